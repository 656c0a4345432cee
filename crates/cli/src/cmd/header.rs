//! `authdoctor header`: lint an Authorization value.

use super::{Rendered, Verdict, emit};
use crate::args::{Format, HeaderArgs};
use crate::input::{self, InputError};
use crate::output::{BAD, BOLD, DIM, GOOD, WARN, md, styled, write_fixes};
use authdoctor_causes::Cause;
use authdoctor_httpauth::{Severity, credentials::Problem, lint};
use authdoctor_secret::{Kind, Reveal, redact};
use serde::Serialize;
use std::io::Write;

/// The JSON of `authdoctor header` (`authdoctor.header/1`).
#[derive(Serialize)]
pub struct HeaderReport {
    schema: &'static str,
    scheme: Option<String>,
    /// The credentials after the scheme, masked unless --show-secrets.
    credentials: Option<String>,
    /// For Basic: the user name (the password is never shown).
    user: Option<String>,
    /// What the credentials look like: `jwt`, `jwe`, `opaque`, `basic`, `params`.
    kind: Option<&'static str>,
    problems: Vec<Problem>,
    valid: bool,
    causes: Vec<Cause>,
}

/// The plain configuration of the command.
pub struct Config {
    value: String,
    reveal: Reveal,
    format: Format,
}

impl Config {
    /// Reads the arguments or standard input.
    pub fn from_args(a: &HeaderArgs) -> Result<Config, InputError> {
        Ok(Config {
            // From standard input or a file, the line's own newline is not
            // part of the value (`echo 'Bearer abc' | authdoctor header -`).
            value: {
                let v = input::arg_or_stdin(&a.value)?;
                if a.value == "-" || a.value.starts_with('@') {
                    v.strip_suffix('\n')
                        .map(|x| x.strip_suffix('\r').unwrap_or(x))
                        .unwrap_or(&v)
                        .to_owned()
                } else {
                    v
                }
            },
            reveal: Reveal(a.output.show_secrets),
            format: a.output.format(),
        })
    }
}

/// Builds the report.
pub fn report(c: &Config) -> HeaderReport {
    let creds = lint(&c.value);
    let mut secrets: Vec<(&str, Kind)> = Vec::new();
    if let Some(t) = &creds.token {
        secrets.push((t.as_str(), Kind::Token));
    }
    if let Some(b) = &creds.basic {
        secrets.push((b.password.as_str(), Kind::Password));
    }
    let problems: Vec<Problem> = creds
        .problems
        .iter()
        .cloned()
        .map(|mut p| {
            if !c.reveal.0 {
                p.message = redact(&p.message, &secrets).into_owned();
            }
            p
        })
        .collect();
    let mut causes = Vec::new();
    for p in &problems {
        if p.severity == Severity::Error && !causes.contains(&p.cause) {
            causes.push(p.cause);
        }
    }
    let is_basic = creds
        .scheme
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("basic"));
    let kind = if is_basic {
        Some("basic")
    } else if !creds.params.is_empty() {
        Some("params")
    } else {
        creds
            .token
            .as_deref()
            .map(|t| authdoctor_diagnosis::shape::TokenShape::of(t).name())
    };
    HeaderReport {
        schema: "authdoctor.header/1",
        scheme: creds.scheme.clone(),
        credentials: creds.token.as_deref().map(|t| {
            c.reveal
                .show(
                    t,
                    if is_basic {
                        Kind::Password
                    } else {
                        Kind::Token
                    },
                )
                .into_owned()
        }),
        // A user name that is itself a key (Stripe's) is masked as one.
        user: creds.basic.as_ref().map(|b| {
            if c.reveal.0 {
                b.user.clone()
            } else {
                authdoctor_secret::shown_user(&b.user).into_owned()
            }
        }),
        kind,
        valid: !creds.has_errors(),
        causes,
        problems,
    }
}

/// Runs the command.
pub fn run(c: &Config, out: &mut dyn Write) -> std::io::Result<Verdict> {
    emit(&report(c), c.format, out)
}

impl Rendered for HeaderReport {
    fn passed(&self) -> bool {
        self.valid
    }
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        human(self, out)
    }
    fn markdown(&self, out: &mut dyn Write) -> std::io::Result<()> {
        markdown(self, out)
    }
}

fn verdict(rep: &HeaderReport) -> String {
    match (rep.valid, rep.problems.first()) {
        (true, None) => "The header is well formed.".to_owned(),
        (true, Some(_)) => "The header is well formed, with a warning.".to_owned(),
        (false, _) => {
            let first = rep.problems.iter().find(|p| p.severity == Severity::Error);
            format!(
                "{}: {}",
                rep.causes
                    .first()
                    .map(|c| c.id())
                    .unwrap_or("header.malformed"),
                first
                    .map(|p| p.message.as_str())
                    .unwrap_or("the header is not well formed.")
            )
        }
    }
}

fn describe(rep: &HeaderReport) -> String {
    let mut parts = vec![format!(
        "scheme {}",
        rep.scheme.as_deref().unwrap_or("(none)")
    )];
    if let Some(k) = rep.kind {
        parts.push(
            match k {
                "jwt" => "a JWT (check it with `authdoctor token`)",
                "jwe" => "an encrypted JWT (JWE)",
                "opaque" => "an opaque token",
                "basic" => "Basic credentials",
                _ => "auth-params",
            }
            .to_owned(),
        );
    }
    if let Some(u) = &rep.user {
        parts.push(format!("user {u:?}"));
    }
    parts.join(", ")
}

fn human(rep: &HeaderReport, out: &mut dyn Write) -> std::io::Result<()> {
    let ok = rep.valid;
    writeln!(
        out,
        "{} {}",
        if ok {
            styled(GOOD, "✓")
        } else {
            styled(BAD, "✗")
        },
        styled(if ok { GOOD } else { BAD }, &verdict(rep))
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "{}  {}",
        styled(BOLD, "Credentials"),
        rep.credentials.as_deref().unwrap_or("(none)")
    )?;
    writeln!(out, "{}", styled(DIM, &describe(rep)))?;
    if !rep.problems.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", styled(BOLD, "Problems"))?;
        for p in &rep.problems {
            let (m, st) = match p.severity {
                Severity::Error => ("✗", BAD),
                Severity::Warning => ("!", WARN),
            };
            writeln!(
                out,
                "  {} {} {}  {}",
                styled(st, m),
                p.id.id(),
                styled(DIM, &format!("(byte {})", p.at)),
                p.message
            )?;
        }
    }
    write_fixes(out, &rep.causes)?;
    Ok(())
}

fn markdown(rep: &HeaderReport, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "### {} {}",
        if rep.valid { "✅" } else { "❌" },
        md(&verdict(rep))
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "Credentials `{}`: {}.",
        rep.credentials.as_deref().unwrap_or("(none)"),
        md(&describe(rep))
    )?;
    if !rep.problems.is_empty() {
        writeln!(out)?;
        writeln!(out, "| problem | severity | byte | cause | detail |")?;
        writeln!(out, "|---|---|---|---|---|")?;
        for p in &rep.problems {
            let sev = match p.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            writeln!(
                out,
                "| `{}` | {sev} | {} | `{}` | {} |",
                p.id.id(),
                p.at,
                p.cause,
                md(&p.message)
            )?;
        }
    }
    for c in &rep.causes {
        writeln!(out)?;
        writeln!(out, "**Fix** (`{}`): {}", c.id(), md(c.fix()))?;
    }
    Ok(())
}
