//! `authdoctor challenge`: parse WWW-Authenticate and read what the server
//! is asking for.

use super::{Rendered, Verdict, emit};
use crate::args::{ChallengeArgs, Format};
use crate::input::{self, InputError};
use crate::output::{BAD, BOLD, DIM, GOOD, WARN, md, styled};
use authdoctor_causes::Cause;
use authdoctor_httpauth::challenge::{Problem, parse_lines};
use authdoctor_httpauth::{Challenge, Typed};
use serde::Serialize;
use std::io::Write;

/// One challenge in the JSON: the contract's fields, then what it means.
#[derive(Serialize)]
struct ChallengeOut {
    scheme: String,
    token68: Option<String>,
    params: Vec<(String, String)>,
    /// The scheme's view of the parameters.
    view: Typed,
    /// The causes the challenge points at, strongest first.
    suggests: Vec<Cause>,
}

/// The JSON of `authdoctor challenge` (`authdoctor.challenge/1`).
#[derive(Serialize)]
pub struct ChallengeReport {
    schema: &'static str,
    /// The field value as parsed (several lines joined with ", ").
    value: String,
    challenges: Vec<ChallengeOut>,
    problems: Vec<Problem>,
}

/// The plain configuration of the command.
pub struct Config {
    lines: Vec<String>,
    format: Format,
}

impl Config {
    /// Reads the arguments, or lines of standard input.
    pub fn from_args(a: &ChallengeArgs) -> Result<Config, InputError> {
        let mut lines = Vec::new();
        for v in &a.values {
            if v == "-" {
                lines.extend(
                    input::arg_or_stdin("-")?
                        .lines()
                        .filter(|l| !l.trim().is_empty())
                        .map(str::to_owned),
                );
            } else {
                lines.push(v.clone());
            }
        }
        // A pasted field name is not part of the value.
        for l in &mut lines {
            for name in ["www-authenticate:", "proxy-authenticate:"] {
                if l.len() >= name.len()
                    && l.is_char_boundary(name.len())
                    && l[..name.len()].eq_ignore_ascii_case(name)
                {
                    *l = l[name.len()..].trim_start().to_owned();
                }
            }
        }
        Ok(Config {
            lines,
            format: a.output.format(),
        })
    }
}

/// Builds the report.
pub fn report(c: &Config) -> ChallengeReport {
    let parsed = parse_lines(&c.lines);
    ChallengeReport {
        schema: "authdoctor.challenge/1",
        value: c.lines.join(", "),
        challenges: parsed
            .challenges
            .into_iter()
            .map(|ch: Challenge| {
                let view = Typed::of(&ch);
                let suggests = match &view {
                    // The description, in the server's own words, read
                    // through the dialect catalogue; else the error code.
                    Typed::Bearer(b) => match b
                        .error_description
                        .as_deref()
                        .and_then(|d| authdoctor_diagnosis::dialects::read(d, "challenge"))
                        .and_then(|s| s.cause)
                    {
                        Some(c) => vec![c],
                        None => b.suggested_causes(),
                    },
                    Typed::Basic(_) | Typed::Digest(_) | Typed::Negotiate { .. } => {
                        vec![Cause::CredentialsMissing, Cause::CredentialsInvalid]
                    }
                    Typed::Other => Vec::new(),
                };
                ChallengeOut {
                    scheme: ch.scheme,
                    token68: ch.token68,
                    params: ch.params,
                    view,
                    suggests,
                }
            })
            .collect(),
        problems: parsed.problems,
    }
}

/// Runs the command.
pub fn run(c: &Config, out: &mut dyn Write) -> std::io::Result<Verdict> {
    emit(&report(c), c.format, out)
}

impl Rendered for ChallengeReport {
    fn passed(&self) -> bool {
        self.problems.is_empty()
    }
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        human(self, out)
    }
    fn markdown(&self, out: &mut dyn Write) -> std::io::Result<()> {
        markdown(self, out)
    }
}

/// What a challenge asks for, in a sentence.
fn meaning(ch: &ChallengeOut) -> String {
    match &ch.view {
        Typed::Bearer(b) => {
            let mut s = match (&b.error, b.dpop) {
                (None, false) => "The server wants a Bearer token and saw none (RFC 6750 §3.1: no error code means no credentials).".to_owned(),
                (None, true) => "The server wants a DPoP-bound token with a DPoP proof.".to_owned(),
                (Some(e), _) => {
                    let code = serde_json::to_value(e).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_else(|| format!("{e:?}"));
                    format!("The server rejected the token: error={code}.")
                }
            };
            if let Some(d) = &b.error_description {
                s.push_str(&format!(" It says: {d:?}."));
            }
            if !b.scope.is_empty() {
                s.push_str(&format!(" Scope needed: {}.", b.scope.join(" ")));
            }
            if !b.acr_values.is_empty() {
                s.push_str(&format!(
                    " Authentication context wanted: {}.",
                    b.acr_values.join(" ")
                ));
            }
            if let Some(m) = b.max_age {
                s.push_str(&format!(" Authentication no older than {m} s."));
            }
            if !b.algs.is_empty() {
                s.push_str(&format!(" DPoP algorithms accepted: {}.", b.algs.join(" ")));
            }
            if let Some(r) = &b.resource_metadata {
                s.push_str(&format!(" The resource's metadata (RFC 9728) is at {r}."));
            }
            if b.is_registry_style() {
                s.push_str(&format!(
                    " This is a registry token challenge: get a token from {} for service {:?}.",
                    b.realm.as_deref().unwrap_or(""),
                    b.service.as_deref().unwrap_or("")
                ));
            }
            s
        }
        Typed::Basic(b) => format!(
            "The server wants Basic credentials (user:password, base64) for realm {:?}{}.",
            b.realm.as_deref().unwrap_or(""),
            b.charset
                .as_deref()
                .map(|c| format!(", encoded as {c}"))
                .unwrap_or_default()
        ),
        Typed::Digest(d) => format!(
            "The server wants Digest credentials ({}){}.",
            d.algorithm,
            if d.stale {
                "; the nonce was stale, so the password may be right: retry with the new nonce"
            } else {
                ""
            }
        ),
        Typed::Negotiate { .. } => {
            "The server wants Kerberos/SPNEGO (Negotiate) authentication.".to_owned()
        }
        Typed::Other => format!("A {} challenge.", ch.scheme),
    }
}

fn human(rep: &ChallengeReport, out: &mut dyn Write) -> std::io::Result<()> {
    if rep.problems.is_empty() {
        writeln!(
            out,
            "{} {}",
            styled(GOOD, "✓"),
            styled(
                GOOD,
                &match rep.challenges.len() {
                    1 => "1 challenge, well formed.".to_owned(),
                    n => format!("{n} challenges, well formed."),
                }
            )
        )?;
    } else {
        writeln!(
            out,
            "{} {}",
            styled(BAD, "✗"),
            styled(
                BAD,
                &match rep.problems.len() {
                    1 => "1 problem in the field value.".to_owned(),
                    n => format!("{n} problems in the field value."),
                }
            )
        )?;
        writeln!(out)?;
        writeln!(out, "  {}", rep.value)?;
        for p in &rep.problems {
            // The caret counts characters, not bytes, to line up.
            let col = rep.value.get(..p.at).map_or(p.at, |s| s.chars().count());
            writeln!(
                out,
                "  {}{} {}",
                " ".repeat(col),
                styled(WARN, "^"),
                p.message
            )?;
        }
    }
    for (i, ch) in rep.challenges.iter().enumerate() {
        writeln!(out)?;
        writeln!(
            out,
            "{} {}",
            styled(BOLD, &format!("{}.", i + 1)),
            styled(BOLD, &ch.scheme)
        )?;
        writeln!(out, "   {}", meaning(ch))?;
        if let Some(t) = &ch.token68 {
            writeln!(out, "   {} {t}", styled(DIM, "token68"))?;
        }
        for (n, v) in &ch.params {
            writeln!(out, "   {} {v:?}", styled(DIM, &format!("{n} =")))?;
        }
        if !ch.suggests.is_empty() {
            writeln!(
                out,
                "   {} {}",
                styled(DIM, "points at"),
                ch.suggests
                    .iter()
                    .map(|c| c.id())
                    .collect::<Vec<_>>()
                    .join(", ")
            )?;
        }
    }
    Ok(())
}

fn markdown(rep: &ChallengeReport, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "### {} `WWW-Authenticate: {}`",
        if rep.problems.is_empty() {
            "✅"
        } else {
            "❌"
        },
        rep.value.replace('`', "'")
    )?;
    for p in &rep.problems {
        writeln!(out, "- byte {}: {}", p.at, md(&p.message))?;
    }
    for ch in &rep.challenges {
        writeln!(out)?;
        writeln!(out, "**{}**: {}", md(&ch.scheme), md(&meaning(ch)))?;
        if !ch.params.is_empty() {
            writeln!(out)?;
            writeln!(out, "| parameter | value |")?;
            writeln!(out, "|---|---|")?;
            for (n, v) in &ch.params {
                writeln!(out, "| `{n}` | {} |", md(v))?;
            }
        }
    }
    Ok(())
}
