//! `authdoctor token`: decode a token and run every check offline.

use super::{Rendered, Verdict, emit};
use crate::args::{Format, TokenArgs};
use crate::input::{self, InputError};
use crate::output::{BAD, BOLD, DIM, GOOD, WARN, mark, md, styled, write_fixes};
use authdoctor_causes::Cause;
use authdoctor_jose::{Alg, JwkSet, Keys, Policy, Report, Status, check, decode, time};
use authdoctor_secret::{Kind, Reveal, redact};
use serde::Serialize;
use serde_json::{Map, Value};
use std::io::Write;

/// The JSON of `authdoctor token` (`authdoctor.token/1`).
#[derive(Serialize)]
pub struct TokenReport {
    schema: &'static str,
    /// The token, masked unless --show-secrets.
    token: String,
    /// What kind of token: `jwt`, `jwe`, `opaque`.
    kind: &'static str,
    header: Option<Map<String, Value>>,
    claims: Option<Map<String, Value>>,
    checks: Vec<authdoctor_jose::Check>,
    valid: bool,
    causes: Vec<Cause>,
    signature_verified: bool,
    /// The instant the times were judged at.
    now: String,
    leeway: u64,
}

/// The plain configuration of the command, clap left behind.
pub struct Config {
    token: String,
    jwks: Option<JwkSet>,
    secret: Option<Vec<u8>>,
    policy: Policy,
    reveal: Reveal,
    format: Format,
}

impl Config {
    /// Reads the arguments, files and standard input.
    pub fn from_args(a: &TokenArgs) -> Result<Config, InputError> {
        let token = input::arg_or_stdin(&a.token)?;
        if token.trim().is_empty() {
            return Err(InputError::Empty("the token"));
        }
        let jwks = match &a.jwks {
            Some(p)
                if p.to_string_lossy().starts_with("http://")
                    || p.to_string_lossy().starts_with("https://") =>
            {
                Some(fetch(|probe| async move {
                    authdoctor_doctor::keys::fetch_jwks(&probe, &p.to_string_lossy()).await
                })?)
            }
            Some(p) => {
                Some(
                    JwkSet::parse(&input::file_text(p)?).map_err(|err| InputError::Jwks {
                        path: p.display().to_string(),
                        err,
                    })?,
                )
            }
            // --issuer alone: its discovery document names the key set.
            None => match &a.expect.issuer {
                Some(iss) if iss.starts_with("http://") || iss.starts_with("https://") => {
                    Some(fetch(|probe| async move {
                        match authdoctor_doctor::keys::issuer_keys(&probe, iss).await {
                            (_, Some(jwks)) => jwks,
                            (Err(e), None) => Err(e),
                            (Ok(d), None) if d.hop.status != 200 => {
                                Err(authdoctor_diagnosis::facts::FetchError::Status {
                                    url: authdoctor_net::display_url(&d.hop.url),
                                    status: d.hop.status,
                                })
                            }
                            (Ok(d), None) => {
                                Err(authdoctor_diagnosis::facts::FetchError::Missing {
                                    url: authdoctor_net::display_url(&d.hop.url),
                                    member: "jwks_uri",
                                })
                            }
                        }
                    })?)
                }
                _ => None,
            },
        };
        let secret = match (&a.secret, &a.secret_file) {
            (Some(s), _) => Some(s.as_bytes().to_vec()),
            (None, Some(p)) => Some(input::file_bytes(p)?),
            (None, None) => None,
        };
        let algorithms = if a.alg.is_empty() {
            None
        } else {
            let mut v = Vec::new();
            for s in &a.alg {
                match Alg::parse(s) {
                    Alg::Other(_) | Alg::None(_) => return Err(InputError::Alg(s.clone())),
                    alg => v.push(alg),
                }
            }
            Some(v)
        };
        let now = match &a.at {
            Some(t) => input::parse_time(t)?,
            None => input::now(),
        };
        Ok(Config {
            token,
            jwks,
            secret,
            policy: Policy {
                now,
                leeway: a.expect.leeway,
                issuer: a.expect.issuer.clone(),
                audience: a.expect.audience.clone(),
                other_audiences: Vec::new(),
                scopes: a.expect.scopes(),
                client_id: a.expect.client_id.clone(),
                require_at_jwt: a.require_at_jwt,
                require_exp: false,
                reject_future_iat: false,
                algorithms,
            },
            reveal: Reveal(a.output.show_secrets),
            format: a.output.format(),
        })
    }
}

/// Runs one network fetch on a small runtime, with the usual timeout.
fn fetch<F, Fut>(f: F) -> Result<JwkSet, InputError>
where
    F: FnOnce(authdoctor_net::Probe) -> Fut,
    Fut: std::future::Future<Output = Result<JwkSet, authdoctor_diagnosis::facts::FetchError>>,
{
    let probe = authdoctor_net::Probe::new(std::time::Duration::from_secs(10), false)
        .map_err(|e| InputError::Keys(e.to_string()))?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| InputError::Keys(e.to_string()))?;
    rt.block_on(f(probe))
        .map_err(|e| InputError::Keys(e.to_string()))
}

/// What is said of an opaque token.
const OPAQUE: &str = "The token is opaque, not a JWT: nothing in it can be checked offline. Only its issuer can judge it, by introspection: run authdoctor diagnose on the failing request with --issuer, --client-id and --client-secret.";

/// Builds the report.
pub fn report(c: &Config) -> TokenReport {
    let d = decode(&c.token);
    let r: Report = check(
        &d,
        &c.policy,
        Keys {
            jwks: c.jwks.as_ref(),
            secret: c.secret.as_deref(),
        },
    );
    // One decision of what the token is, shared with the doctor.
    let kind = match authdoctor_diagnosis::shape::TokenShape::of(&d.token) {
        _ if d.parts == 5 => "jwe",
        authdoctor_diagnosis::shape::TokenShape::Opaque if d.header.is_none() => "opaque",
        _ => "jwt",
    };
    let shown = if d.token.is_empty() {
        c.token.trim().to_owned()
    } else {
        d.token.clone()
    };
    // A check's detail never quotes the token; redact all the same, so a
    // future message that does cannot leak it.
    let mut secrets: Vec<(&str, Kind)> = vec![(shown.as_str(), Kind::Token)];
    let secret_text = c
        .secret
        .as_ref()
        .map(|s| String::from_utf8_lossy(s).into_owned());
    if let Some(s) = &secret_text {
        secrets.push((s.as_str(), Kind::ClientSecret));
    }
    let checks = r
        .checks
        .into_iter()
        .map(|mut ch| {
            if !c.reveal.0 {
                ch.detail = redact(&ch.detail, &secrets).into_owned();
            }
            ch
        })
        .collect();
    let (checks, causes, valid) = if kind == "opaque" {
        let skip = authdoctor_jose::Check {
            name: "format",
            ok: true,
            status: Status::Skip,
            cause: None,
            detail: OPAQUE.to_owned(),
            facts: None,
        };
        (vec![skip], Vec::new(), false)
    } else {
        (checks, r.causes, r.valid)
    };
    TokenReport {
        schema: "authdoctor.token/1",
        token: c.reveal.show(&shown, Kind::Token).into_owned(),
        kind,
        header: d.header,
        claims: d.claims,
        checks,
        valid,
        causes,
        signature_verified: r.signature_verified,
        now: time::rfc3339(c.policy.now),
        leeway: c.policy.leeway,
    }
}

/// Runs the command.
pub fn run(c: &Config, out: &mut dyn Write) -> std::io::Result<Verdict> {
    emit(&report(c), c.format, out)
}

impl Rendered for TokenReport {
    fn passed(&self) -> bool {
        self.valid
    }
    /// An opaque token cannot be judged offline: exit 3, the cause could
    /// not be determined.
    fn verdict(&self) -> Verdict {
        match (self.kind, self.valid) {
            ("opaque", _) => Verdict::Code(3),
            (_, true) => Verdict::Pass,
            _ => Verdict::Fail,
        }
    }
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        human(self, out)
    }
    fn markdown(&self, out: &mut dyn Write) -> std::io::Result<()> {
        markdown(self, out)
    }
}

fn summary(rep: &TokenReport) -> String {
    let h = rep.header.as_ref();
    let get = |k: &str| h.and_then(|h| h.get(k)).and_then(Value::as_str);
    let mut parts = Vec::new();
    if let Some(a) = get("alg") {
        parts.push(a.to_owned());
    }
    if let Some(k) = get("kid") {
        parts.push(format!("kid {k}"));
    }
    if let Some(t) = get("typ") {
        parts.push(format!("typ {t}"));
    }
    if let Some(iss) = rep
        .claims
        .as_ref()
        .and_then(|c| c.get("iss"))
        .and_then(Value::as_str)
    {
        parts.push(format!("from {iss}"));
    }
    parts.join(", ")
}

fn verdict_line(rep: &TokenReport) -> (bool, String) {
    if rep.kind == "opaque" {
        return (false, OPAQUE.to_owned());
    }
    if rep.valid {
        let how = if rep.signature_verified {
            "valid"
        } else {
            "well formed and within its times (signature not verified)"
        };
        (true, format!("The token is {how}."))
    } else {
        let first = rep.checks.iter().find(|c| c.status == Status::Fail);
        let cause = rep
            .causes
            .first()
            .map(|c| c.id())
            .unwrap_or("token.malformed");
        (
            false,
            // The verdict style every command shares:
            // `✗ cause  summary  [likelihood]`; a failed offline check is sure.
            format!(
                "{cause}  {}  [high]",
                first
                    .map(|c| c.detail.as_str())
                    .unwrap_or("the token fails a check.")
            ),
        )
    }
}

fn human(rep: &TokenReport, out: &mut dyn Write) -> std::io::Result<()> {
    let (ok, line) = verdict_line(rep);
    writeln!(
        out,
        "{} {}",
        if ok {
            styled(GOOD, "✓")
        } else if rep.kind == "opaque" {
            styled(WARN, "?")
        } else {
            styled(BAD, "✗")
        },
        styled(if ok { GOOD } else { BAD }, &line)
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "{}  {}  {}",
        styled(BOLD, "Token"),
        rep.token,
        styled(DIM, &summary(rep))
    )?;
    writeln!(
        out,
        "{}",
        styled(
            DIM,
            &format!("Judged at {} with {} s leeway.", rep.now, rep.leeway)
        )
    )?;
    writeln!(out)?;
    writeln!(out, "{}", styled(BOLD, "Checks"))?;
    let width = rep.checks.iter().map(|c| c.name.len()).max().unwrap_or(0);
    for c in &rep.checks {
        let (m, st) = mark(c.status);
        writeln!(out, "  {} {:width$}  {}", styled(st, m), c.name, c.detail)?;
    }
    for (title, obj) in [("Header", &rep.header), ("Claims", &rep.claims)] {
        if let Some(o) = obj {
            writeln!(out)?;
            writeln!(out, "{}", styled(BOLD, title))?;
            for (k, v) in o {
                let shown = match (k.as_str(), v.as_f64()) {
                    ("exp" | "nbf" | "iat" | "auth_time", Some(n)) if v.is_number() => {
                        format!(
                            "{v}  {}",
                            styled(DIM, &format!("({})", time::rfc3339(n.floor() as i64)))
                        )
                    }
                    _ => v.to_string(),
                };
                writeln!(out, "  {k}: {shown}")?;
            }
        }
    }
    write_fixes(out, &rep.causes)?;
    Ok(())
}

fn markdown(rep: &TokenReport, out: &mut dyn Write) -> std::io::Result<()> {
    let (ok, line) = verdict_line(rep);
    let mark = match (ok, rep.kind) {
        (true, _) => "✅",
        (_, "opaque") => "❔",
        _ => "❌",
    };
    writeln!(out, "### {mark} {}", md(&line))?;
    writeln!(out)?;
    writeln!(
        out,
        "Token `{}` ({}), judged at {} with {} s leeway.",
        rep.token,
        md(&summary(rep)),
        rep.now,
        rep.leeway
    )?;
    writeln!(out)?;
    writeln!(out, "| check | result | cause | detail |")?;
    writeln!(out, "|---|---|---|---|")?;
    for c in &rep.checks {
        let status = match c.status {
            Status::Pass => "pass",
            Status::Fail => "**fail**",
            Status::Warn => "warn",
            Status::Skip => "skip",
        };
        writeln!(
            out,
            "| {} | {} | {} | {} |",
            c.name,
            status,
            c.cause.map(|c| format!("`{c}`")).unwrap_or_default(),
            md(&c.detail)
        )?;
    }
    if let Some(claims) = &rep.claims {
        writeln!(out)?;
        writeln!(out, "<details><summary>Claims</summary>")?;
        writeln!(out)?;
        writeln!(out, "```json")?;
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(claims).unwrap_or_default()
        )?;
        writeln!(out, "```")?;
        writeln!(out)?;
        writeln!(out, "</details>")?;
    }
    if !rep.causes.is_empty() {
        writeln!(out)?;
        writeln!(out, "**Fix**")?;
        writeln!(out)?;
        for c in &rep.causes {
            writeln!(out, "- `{}`: {}", c.id(), md(c.fix()))?;
        }
    }
    Ok(())
}
