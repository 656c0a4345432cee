//! The diagnosis as data (the JSON contract, `authdoctor.diagnosis/1`) and
//! its human and Markdown renderings. Every secret that went in is masked
//! on the way out unless the user asked to see them.

use crate::facts::display_url;
use crate::observations::Observations;
use crate::rules::Finding;
use anstyle::{AnsiColor, Style};
use authdoctor_causes::{Cause, Likelihood};
use authdoctor_jose::time::{rfc3339, span};
use authdoctor_secret::{Kind, mask, redact};
use serde::Serialize;
use serde_json::{Value, json};
use std::io::{self, Write};

/// The retry's outcome, as reported.
#[derive(Clone, Debug, Serialize)]
pub struct RetryReport {
    /// Whether the request was sent again with a fresh token.
    pub attempted: bool,
    /// The status of that attempt.
    pub status: Option<u16>,
    /// The cause a successful retry confirms.
    pub confirms: Option<Cause>,
    /// How the fresh token was had.
    pub grant: Option<String>,
    /// Why it was not attempted, or what stopped it.
    pub skipped: Option<String>,
    /// The token endpoint's refusal.
    pub grant_error: Option<String>,
    /// What differs between the token sent and the fresh one.
    pub changes: Vec<String>,
    /// A note on client authentication methods.
    pub client_auth: Option<String>,
    /// The refresh token the token endpoint issued in place of the one
    /// given (masked unless --show-secrets): keep it, the old one is spent.
    pub rotated_refresh_token: Option<String>,
}

/// The request as reproduced, its credentials masked.
#[derive(Clone, Debug, Serialize)]
pub struct RequestReport {
    /// The method.
    pub method: String,
    /// The URL, its credentials masked.
    pub url: String,
    /// The headers, `[name, value]`, credentials masked.
    pub headers: Vec<(String, String)>,
    /// Whether redirects were followed.
    pub follow_redirects: bool,
}

/// One exchange (a hop), its credentials masked.
#[derive(Clone, Debug, Serialize)]
pub struct ExchangeReport {
    /// The method sent.
    pub method: String,
    /// The URL.
    pub url: String,
    /// The status.
    pub status: u16,
    /// The response headers, `[name, value]`, credentials masked.
    pub headers: Vec<(String, String)>,
    /// The server's `Date`, RFC 3339.
    pub date: Option<String>,
    /// Milliseconds to the answer's headers.
    pub elapsed_ms: u64,
    /// Credential headers dropped to send this hop.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dropped_headers: Vec<String>,
    /// The start of a rejection's body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

/// A value the API expects and where it came from.
#[derive(Clone, Debug, Serialize)]
pub struct Sourced {
    /// The value (a string, or the list of scopes).
    pub value: Value,
    /// Where it came from.
    pub source: crate::observations::Source,
}

/// What the API expects.
#[derive(Clone, Debug, Serialize)]
pub struct ExpectedReport {
    /// The issuer it trusts.
    pub issuer: Option<Sourced>,
    /// Its audience.
    pub audience: Option<Sourced>,
    /// The scopes it needs.
    pub scopes: Option<Sourced>,
    /// Where the server contradicts what the user said.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub contradictions: Vec<String>,
}

/// The token sent, as the rules saw it (masked).
#[derive(Clone, Debug, Serialize)]
pub struct TokenReport {
    /// Where it was.
    pub place: String,
    /// Its mask.
    pub token: String,
    /// Its header.
    pub header: Option<serde_json::Map<String, Value>>,
    /// Its claims.
    pub claims: Option<serde_json::Map<String, Value>>,
    /// Every check, at the server's clock.
    pub checks_at_server_clock: Vec<authdoctor_jose::Check>,
    /// Whether the signature was verified.
    pub signature_verified: bool,
}

/// What introspection said.
#[derive(Clone, Debug, Serialize)]
pub struct IntrospectionReport {
    /// `active`.
    pub active: bool,
}

/// The facts the rules used.
#[derive(Clone, Debug, Serialize)]
pub struct ObservationsReport {
    /// The local clock, RFC 3339.
    pub local_date: String,
    /// The server's clock (its `Date`).
    pub server_date: Option<String>,
    /// Server minus local, seconds.
    pub clock_offset_s: Option<i64>,
    /// The clock-skew allowance assumed.
    pub leeway_s: u64,
    /// The token sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<TokenReport>,
    /// What the API expects.
    pub expected: ExpectedReport,
    /// What introspection said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub introspection: Option<IntrospectionReport>,
    /// Why the issuer's keys could not be had.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwks_error: Option<String>,
    /// Notes on the request (curl options without effect, unknown ones).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// When the request was a token request: its grant type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_request_grant: Option<String>,
}

/// One endpoint that received a credential, or that one was withheld from.
#[derive(Clone, Debug, Serialize)]
pub struct CredentialReport {
    /// The endpoint.
    pub endpoint: String,
    /// What was (or would have been) sent.
    pub credentials: Vec<String>,
    /// Whether it was sent.
    pub sent: bool,
    /// Why not, when it was not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withheld_because: Option<String>,
}

/// The secrets a diagnosis saw, kept to mask them in any output. Its
/// `Debug` shows masks only.
#[derive(Clone, Default)]
pub struct Secrets(pub Vec<(String, Kind)>);

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(s, k)| mask(s, *k)))
            .finish()
    }
}

/// The whole diagnosis. Its `Debug` is its JSON with every secret masked,
/// so a stray `{:?}` in a log or a panic cannot leak what the report masks.
#[derive(Clone, Serialize)]
pub struct Diagnosis {
    /// `authdoctor.diagnosis/1`.
    pub schema: &'static str,
    /// The request reproduced.
    pub request: RequestReport,
    /// Every exchange, hop by hop.
    pub exchanges: Vec<ExchangeReport>,
    /// The facts the rules used.
    pub observations: ObservationsReport,
    /// The causes, most likely first; empty only when the request succeeded.
    pub causes: Vec<Finding>,
    /// The fresh-token retry.
    pub retry: RetryReport,
    /// Every endpoint a credential (client secret, refresh token, the
    /// token itself) was sent to or withheld from, by the trust policy.
    pub credentials_sent: Vec<CredentialReport>,
    /// When the answer is not an authentication failure at all (a 404, a
    /// bare 500): what the status usually means. No cause is listed then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_an_auth_failure: Option<String>,
    /// Where no cause is listed (the server accepted the request, or let
    /// the credentials through to an error after authentication): the
    /// token's checks that fail all the same, by the server's clock. A
    /// server that makes them would refuse it (it takes an expired token, an
    /// ID token, an unsigned one), or what was given to check it against
    /// (`--audience`) is not what the server takes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tolerated: Vec<String>,
    /// Masking: every secret that went in, to redact from any output.
    #[serde(skip)]
    pub secrets: Secrets,
}

impl std::fmt::Debug for Diagnosis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let json = serde_json::to_string(self).map_err(|_| std::fmt::Error)?;
        write!(f, "Diagnosis{}", self.finish(&json, false))
    }
}

impl Diagnosis {
    /// The exit status: 0 the request succeeded, 1 a cause was found, 3 the
    /// cause could not be determined.
    pub fn exit_code(&self) -> u8 {
        if self.not_an_auth_failure.is_some() {
            return 3;
        }
        match self.causes.first() {
            None => 0,
            Some(f) if f.likelihood == Likelihood::Low => 3,
            Some(_) => 1,
        }
    }

    /// Masks every secret that went in, and whatever else looks like one
    /// by its shape or its place (a JWT, a URL's password, a secret-named
    /// JSON member or parameter in a server's body), unless `show`
    /// (--show-secrets).
    pub fn finish(&self, text: &str, show: bool) -> String {
        if show {
            return text.to_owned();
        }
        let s: Vec<(&str, Kind)> = self
            .secrets
            .0
            .iter()
            .map(|(s, k)| (s.as_str(), *k))
            .collect();
        authdoctor_secret::scrub(&redact(text, &s)).into_owned()
    }
}

fn mask_header(name: &str, value: &str) -> String {
    match name.to_ascii_lowercase().as_str() {
        "authorization" | "proxy-authorization" => {
            let c = authdoctor_httpauth::lint(value);
            match (c.scheme, c.token) {
                (Some(s), Some(t)) if s.eq_ignore_ascii_case("basic") => {
                    let user = c
                        .basic
                        .map(|b| format!(" (user {:?})", authdoctor_secret::shown_user(&b.user)))
                        .unwrap_or_default();
                    format!("{s} {}{user}", mask(&t, Kind::Password))
                }
                (Some(s), Some(t)) => format!("{s} {}", mask(&t, Kind::Token)),
                _ => mask(value, Kind::Token),
            }
        }
        "cookie" => value
            .split(';')
            .map(|c| match c.split_once('=') {
                Some((n, v)) => format!("{}={}", n.trim(), mask(v, Kind::Cookie)),
                None => c.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("; "),
        "set-cookie" => match value.split_once('=') {
            Some((n, rest)) => {
                let (v, attrs) = rest.split_once(';').unwrap_or((rest, ""));
                format!(
                    "{n}={}{}{attrs}",
                    mask(v, Kind::Cookie),
                    if attrs.is_empty() { "" } else { ";" }
                )
            }
            None => value.to_owned(),
        },
        n if authdoctor_secret::is_secret_header(n) => mask(value, Kind::Token),
        _ => value.to_owned(),
    }
}

fn masked_headers(h: &[(String, String)]) -> Vec<(String, String)> {
    h.iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), mask_header(n, v)))
        .collect()
}

fn claim_diff(old: &authdoctor_jose::Decoded, new: &authdoctor_jose::Decoded) -> Vec<String> {
    let mut out = Vec::new();
    for k in ["alg", "kid", "typ"] {
        let (a, b) = (old.header_param(k), new.header_param(k));
        if a != b {
            out.push(format!("header {k}: {} → {}", show(a), show(b)));
        }
    }
    for k in [
        "iss",
        "aud",
        "scope",
        "scp",
        "azp",
        "client_id",
        "sub",
        "acr",
        "cnf",
    ] {
        let (a, b) = (old.claim(k), new.claim(k));
        if a != b {
            out.push(format!("{k}: {} → {}", show(a), show(b)));
        }
    }
    let life =
        |d: &authdoctor_jose::Decoded| Some(d.claim("exp")?.as_i64()? - d.claim("iat")?.as_i64()?);
    if let (Some(exp_old), Some(exp_new)) = (
        old.claim("exp").and_then(Value::as_i64),
        new.claim("exp").and_then(Value::as_i64),
    ) {
        out.push(format!("exp: {} → {}", rfc3339(exp_old), rfc3339(exp_new)));
    }
    if let (Some(a), Some(b)) = (life(old), life(new))
        && a != b
    {
        out.push(format!(
            "lifetime: {} → {}",
            span(a.max(0) as u64),
            span(b.max(0) as u64)
        ));
    }
    out
}

fn show(v: Option<&Value>) -> String {
    v.map(Value::to_string).unwrap_or_else(|| "(none)".into())
}

/// Builds the report from the observations and the findings.
pub fn build(
    o: &Observations,
    causes: Vec<Finding>,
    extra_secrets: Vec<(String, Kind)>,
) -> Diagnosis {
    let mut secrets = o.spec.secrets();
    secrets.extend(extra_secrets);
    if let Some(t) = &o.retry.fresh_token {
        secrets.push((t.expose().to_owned(), Kind::Token));
    }
    if let Some(t) = &o.token {
        secrets.push((t.raw.expose().to_owned(), Kind::Token));
    }
    if let Some(t) = &o.opaque_token {
        secrets.push((t.expose().to_owned(), Kind::Token));
    }
    if let Some(t) = &o.retry.rotated_refresh_token {
        secrets.push((t.expose().to_owned(), Kind::RefreshToken));
    }
    let request = RequestReport {
        method: o.spec.method.clone(),
        url: display_url(&o.spec.url),
        headers: masked_headers(&o.spec.headers),
        follow_redirects: o.spec.follow,
    };
    // The final answer's refusal in its body, read once already.
    let last = o.hops.len().saturating_sub(1);
    let exchanges = o
        .hops
        .iter()
        .enumerate()
        .map(|(i, h)| ExchangeReport {
            method: h.method.clone(),
            url: display_url(&h.url),
            status: h.status,
            headers: masked_headers(&h.headers),
            date: h.date.map(rfc3339),
            elapsed_ms: h.elapsed_ms,
            dropped_headers: h.dropped.clone(),
            body: ((h.status >= 400 || (i == last && o.refused_in_body.is_some()))
                && !h.body.is_empty())
            .then(|| h.body.chars().take(1024).collect()),
        })
        .collect();
    let exp = |x: &Option<(String, crate::observations::Source)>| {
        x.as_ref().map(|(v, s)| Sourced {
            value: Value::String(v.clone()),
            source: s.clone(),
        })
    };
    let observations = ObservationsReport {
        local_date: rfc3339(o.local_now),
        server_date: o.server_now.map(rfc3339),
        clock_offset_s: o.clock_offset(),
        leeway_s: o.leeway,
        token: o.token.as_ref().map(|t| TokenReport {
            place: t.place.clone(),
            token: t.raw.masked(),
            header: t.decoded.header.clone(),
            claims: t.decoded.claims.clone(),
            checks_at_server_clock: t.at_server.checks.clone(),
            signature_verified: t.at_server.signature_verified,
        }),
        expected: ExpectedReport {
            issuer: exp(&o.expected.issuer),
            audience: exp(&o.expected.audience),
            scopes: o.expected.scopes.as_ref().map(|(v, s)| Sourced {
                value: json!(v),
                source: s.clone(),
            }),
            contradictions: o.expected.contradictions.clone(),
        },
        introspection: o
            .introspected_active()
            .map(|active| IntrospectionReport { active }),
        jwks_error: match &o.jwks {
            Some(Err(e)) => Some(e.to_string()),
            _ => None,
        },
        // A request the server limited was not judged: said beside the
        // causes the credentials would meet after the wait.
        notes: o
            .spec
            .notes
            .iter()
            .cloned()
            .chain(limited(o).filter(|_| !causes.is_empty()))
            .collect(),
        token_request_grant: o.token_request_grant.clone(),
    };
    let r = &o.retry;
    let confirms = match (r.attempted, r.status, causes.first()) {
        (true, Some(s), Some(f))
            if s < 400
                && !matches!(
                    f.id,
                    Cause::HeaderLostOnRedirect | Cause::Transient | Cause::ServerMisconfigured
                ) =>
        {
            Some(f.id)
        }
        _ => None,
    };
    let changes = match (&o.token, &r.fresh) {
        (Some(t), Some(fresh)) => claim_diff(&t.decoded, fresh),
        _ => Vec::new(),
    };
    let retry = RetryReport {
        attempted: r.attempted,
        status: r.status,
        confirms,
        grant: r.grant.clone(),
        skipped: r.skipped.clone(),
        grant_error: r.grant_error.as_ref().map(|(s, e, d)| {
            format!(
                "{s} {e}{}",
                d.as_ref().map(|d| format!(": {d}")).unwrap_or_default()
            )
        }),
        changes,
        client_auth: r.auth_method_note.clone(),
        rotated_refresh_token: r
            .rotated_refresh_token
            .as_ref()
            .map(|t| t.expose().to_owned()),
    };
    let credentials_sent = o
        .credential_uses
        .iter()
        .map(|u| CredentialReport {
            endpoint: u.endpoint.clone(),
            credentials: u.credentials.clone(),
            sent: u.refused.is_none(),
            withheld_because: u.refused.clone(),
        })
        .collect();
    let status = if o.hops.is_empty() { 0 } else { o.answered() };
    let edge = o.edge_block.as_ref().map(|e| {
        format!(
            "The answer ({}) came from {} in front of the API, not from the API ({}{}): the request was stopped there, before any authentication, so no cause is listed. Ask the operator of the site to let this client through{}, or call from an address and with a client the edge allows.",
            o.last().status,
            e.who,
            e.evidence,
            e.reference
                .as_ref()
                .map(|r| format!("; reference {r}"))
                .unwrap_or_default(),
            e.reference
                .as_ref()
                .map(|r| format!(" (quote the reference {r})"))
                .unwrap_or_default(),
        )
    });
    // A redirect the request was not let follow (no -L), and no sign-in
    // page behind it (that reading is a cause): not a success, and not yet
    // an answer to judge.
    let redirect = (causes.is_empty() && (300..400).contains(&status) && o.sign_in.is_none())
        .then(|| {
            let to = o
                .last()
                .header("location")
                .map(|l| format!(" to {}", crate::facts::display_url(l)))
                .unwrap_or_default();
            format!(
                "The server answered {status}, a redirect{to} that was not followed: no authentication failure is in it yet. Follow it with -L (credential headers are dropped where it leaves the origin, as curl does), and the doctor judges the answer at its end."
            )
        });
    let csrf = o.csrf.as_ref().map(|c| {
        format!(
            "The server answered {}, refused by {}'s protection against cross-site request forgery (its words: {:?}): the token that shows the request came from the application's own page is missing or stale. The session or credentials may be good; this is not an authentication failure, so no cause is listed. {}",
            o.last().status,
            c.who,
            c.words,
            c.fix
        )
    });
    let not_an_auth_failure = edge.or(csrf).or(redirect).or_else(|| (causes.is_empty() && status >= 400).then(|| {
        let meaning = status_meaning(status);
        let status = match &o.refused_in_body {
            Some(_) => format!(
                "{} with a refusal in its body, a {status}",
                o.last().status
            ),
            None => status.to_string(),
        };
        if let Some(limited) = limited(o) {
            let behind = match o.last().status {
                429 => " If the server counts failed authentications from this address, another client behind it may be failing (the server's log names it).",
                _ => " Send it again after the wait.",
            };
            return format!(
                "{}, so this is not an authentication failure of these credentials and no cause is listed.{behind}",
                capitalized(&limited)
            );
        }
        match o.bare_status.filter(|_| crate::rules::passed_authentication(o)) {
            Some(bare) => format!(
                "The server answered {status} ({meaning}), and sent without its credentials the same request is refused ({bare}): the credentials passed the server's authentication, and the {status} came after it. This is not an authentication failure, so no cause is listed."
            ),
            None => format!(
                "The server answered {status} ({meaning}), and nothing in the answer or the token points at authentication: this is not an authentication failure, so no cause is listed."
            ),
        }
    }));
    let tolerated = match (&o.token, causes.is_empty() && o.edge_block.is_none()) {
        (Some(t), true) => t
            .at_server
            .checks
            .iter()
            .filter(|c| c.status == authdoctor_jose::Status::Fail)
            .map(|c| format!("{}: {}", c.name, c.detail))
            .collect(),
        _ => Vec::new(),
    };
    Diagnosis {
        schema: "authdoctor.diagnosis/1",
        not_an_auth_failure,
        tolerated,
        request,
        exchanges,
        observations,
        causes,
        retry,
        credentials_sent,
        secrets: Secrets(secrets),
    }
}

/// A request the server did not judge: limited (429 Too Many Requests), or
/// unavailable (503) where it says when to come back. How long it asks to
/// wait (Retry-After, seconds or a date) and its words, if any.
fn limited(o: &Observations) -> Option<String> {
    let last = o.last();
    let retry_after = last.header("retry-after").map(str::trim);
    let (status, what) = match last.status {
        429 => (
            "429 Too Many Requests",
            "it limited this request before judging its credentials",
        ),
        503 if retry_after.is_some() => (
            "503 Service Unavailable",
            "it, or what it depends on (an issuer's keys, its introspection), is down, and it did not judge the credentials",
        ),
        _ => return None,
    };
    let wait = retry_after
        .map(|v| match v.parse::<u64>() {
            Ok(secs) => format!(" and asks to wait {secs} s (Retry-After)"),
            Err(_) => format!(" and asks to wait until {v} (Retry-After)"),
        })
        .unwrap_or_default();
    let words = o
        .body_error
        .as_ref()
        .and_then(|(_, d)| d.as_deref())
        .map(|d| format!(" (its words: {d:?})"))
        .unwrap_or_default();
    Some(format!("the server answered {status}{wait}: {what}{words}"))
}

/// The sentence with its first letter upper-case.
fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// What a status usually means, for a rejection that is not about
/// authentication.
fn status_meaning(status: u16) -> &'static str {
    match status {
        400 => "Bad Request: the request itself is malformed (a parameter, the body)",
        404 => "Not Found: the URL names nothing here; check the path and the host",
        405 => "Method Not Allowed: the route exists but not for this method",
        409 => "Conflict: the resource's state forbids the change",
        413 => "Content Too Large: the body is too big",
        415 => "Unsupported Media Type: the Content-Type is not accepted",
        422 => "Unprocessable Content: the body is well formed but its content is refused",
        429 => "Too Many Requests: a rate limit; wait for Retry-After",
        500 => "Internal Server Error: the server failed; its logs say why",
        502 => "Bad Gateway: a proxy could not reach the upstream",
        503 => "Service Unavailable: the server or a dependency is down or overloaded",
        504 => "Gateway Timeout: the upstream did not answer the proxy in time",
        _ if status >= 500 => "a server error",
        _ => "a client error",
    }
}

const BAD: Style = AnsiColor::Red.on_default().bold();
const GOOD: Style = AnsiColor::Green.on_default();
const WARN: Style = AnsiColor::Yellow.on_default();
const DIM: Style = Style::new().dimmed();
const BOLD: Style = Style::new().bold();

fn st(style: Style, text: &str) -> String {
    format!("{style}{text}{style:#}")
}

fn lk(l: Likelihood) -> &'static str {
    match l {
        Likelihood::High => "high",
        Likelihood::Medium => "medium",
        Likelihood::Low => "low",
    }
}

fn effort(e: authdoctor_causes::Effort) -> &'static str {
    match e {
        authdoctor_causes::Effort::Easy => "easy",
        authdoctor_causes::Effort::Medium => "medium",
        authdoctor_causes::Effort::Hard => "hard",
    }
}

/// The line over [`Diagnosis::tolerated`], in every format.
const TOLERATED: &str = "The server let the token through, though these checks of it fail (a server that makes them refuses it):";

/// What the server let through that a correct server refuses
/// ([`Diagnosis::tolerated`]), under the verdict.
fn tolerated_human(d: &Diagnosis, out: &mut dyn Write) -> io::Result<()> {
    if d.tolerated.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "{}", st(WARN, TOLERATED))?;
    for t in &d.tolerated {
        writeln!(out, "  · {t}")?;
    }
    Ok(())
}

/// The human report: the verdict, the evidence, the fix, the confirmation.
pub fn human(d: &Diagnosis, out: &mut dyn Write) -> io::Result<()> {
    let status = d.exchanges.last().map(|e| e.status).unwrap_or(0);
    if let Some(note) = &d.not_an_auth_failure {
        writeln!(out, "{} {}", st(WARN, "?"), note)?;
        tolerated_human(d, out)?;
        writeln!(out)?;
        writeln!(out, "{}", st(BOLD, "Exchanges"))?;
        for e in &d.exchanges {
            writeln!(out, "  {} {} → {}", e.method, e.url, e.status)?;
        }
        return Ok(());
    }
    let Some(top) = d.causes.first() else {
        writeln!(
            out,
            "{} {}",
            st(GOOD, "✓"),
            st(
                GOOD,
                &format!("The request succeeded ({status}): nothing to diagnose.")
            )
        )?;
        tolerated_human(d, out)?;
        return Ok(());
    };
    let mark = if top.likelihood == Likelihood::Low {
        st(WARN, "?")
    } else {
        st(BAD, "✗")
    };
    writeln!(
        out,
        "{mark} {}  {}  {}",
        st(BOLD, top.id.id()),
        top.summary,
        st(DIM, &format!("[{}]", lk(top.likelihood)))
    )?;
    writeln!(out)?;
    writeln!(out, "{}", st(BOLD, "Evidence"))?;
    for e in &top.evidence {
        writeln!(out, "  • {e}")?;
    }
    if !top.witnesses.agree.is_empty() || !top.witnesses.disagree.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", st(BOLD, "Witnesses"))?;
        for a in &top.witnesses.agree {
            writeln!(out, "  {} {a}", st(GOOD, "✓"))?;
        }
        for a in &top.witnesses.disagree {
            writeln!(out, "  {} {a}", st(WARN, "✗"))?;
        }
    }
    writeln!(out)?;
    writeln!(out, "{}", st(BOLD, "Fix"))?;
    for f in &top.fixes {
        writeln!(
            out,
            "  → {} {}",
            st(DIM, &format!("[{}]", effort(f.effort))),
            f.action
        )?;
    }
    if d.causes.len() > 1 {
        writeln!(out)?;
        writeln!(out, "{}", st(BOLD, "Also"))?;
        for c in &d.causes[1..] {
            writeln!(
                out,
                "  · {} {}  {}",
                c.id.id(),
                st(DIM, &format!("[{}]", lk(c.likelihood))),
                c.summary
            )?;
        }
    }
    if !d.observations.notes.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", st(BOLD, "Notes on the request"))?;
        for n in &d.observations.notes {
            writeln!(out, "  · {n}")?;
        }
    }
    writeln!(out)?;
    writeln!(out, "{}", st(BOLD, "Confirmation"))?;
    let r = &d.retry;
    match (r.attempted, r.status) {
        (true, Some(s)) if s < 400 => writeln!(
            out,
            "  {} A fresh token ({}) was accepted: {s}.{}",
            st(GOOD, "✓"),
            r.grant.as_deref().unwrap_or("fresh"),
            r.confirms
                .map(|c| format!(" That confirms {c}."))
                .unwrap_or_default()
        )?,
        (true, Some(s)) => writeln!(
            out,
            "  {} A fresh token ({}) was rejected too: {s}.",
            st(WARN, "!"),
            r.grant.as_deref().unwrap_or("fresh")
        )?,
        _ => writeln!(
            out,
            "  {} Not retried: {}",
            st(DIM, "·"),
            r.skipped
                .as_deref()
                .or(r.grant_error.as_deref())
                .unwrap_or("no fresh token could be had")
        )?,
    }
    if let Some(e) = &r.grant_error {
        writeln!(out, "  the token endpoint refused: {e}")?;
    }
    if let Some(n) = &r.client_auth {
        writeln!(out, "  {n}")?;
    }
    if !r.changes.is_empty() {
        writeln!(out, "  What the fresh token changes:")?;
        for c in &r.changes {
            writeln!(out, "    {c}")?;
        }
    }
    if let Some(t) = &r.rotated_refresh_token {
        writeln!(
            out,
            "  The token endpoint rotated the refresh token: the one given is spent; keep the new one: {t}"
        )?;
    }
    credentials_human(d, out)?;
    writeln!(out)?;
    writeln!(out, "{}", st(BOLD, "Exchanges"))?;
    for e in &d.exchanges {
        let dropped = if e.dropped_headers.is_empty() {
            String::new()
        } else {
            format!(", dropped {}", e.dropped_headers.join(" "))
        };
        writeln!(
            out,
            "  {} {} → {} {}",
            e.method,
            e.url,
            e.status,
            st(DIM, &format!("({} ms{dropped})", e.elapsed_ms))
        )?;
    }
    Ok(())
}

/// Where credentials went, and where the trust policy kept them back.
fn credentials_human(d: &Diagnosis, out: &mut dyn Write) -> io::Result<()> {
    if d.credentials_sent.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "{}", st(BOLD, "Credentials"))?;
    for c in &d.credentials_sent {
        match &c.withheld_because {
            None => writeln!(
                out,
                "  → sent {} to {}",
                c.credentials.join(", "),
                c.endpoint
            )?,
            Some(why) => writeln!(
                out,
                "  {} withheld {}: {why}",
                st(WARN, "✋"),
                c.credentials.join(", ")
            )?,
        }
    }
    Ok(())
}

fn md(text: &str) -> String {
    text.replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('\n', " ")
}

/// The Markdown report, to paste into a ticket.
pub fn markdown(d: &Diagnosis, out: &mut dyn Write) -> io::Result<()> {
    let tolerated = |out: &mut dyn Write| -> io::Result<()> {
        if !d.tolerated.is_empty() {
            writeln!(out)?;
            writeln!(out, "{TOLERATED}")?;
            writeln!(out)?;
            for t in &d.tolerated {
                writeln!(out, "- {}", md(t))?;
            }
        }
        Ok(())
    };
    if let Some(note) = &d.not_an_auth_failure {
        writeln!(out, "### ❔ {}", md(note))?;
        return tolerated(out);
    }
    let Some(top) = d.causes.first() else {
        writeln!(out, "### ✅ The request succeeded: nothing to diagnose.")?;
        return tolerated(out);
    };
    writeln!(out, "### ❌ `{}`: {}", top.id, md(&top.summary))?;
    writeln!(out)?;
    writeln!(out, "**Evidence**")?;
    writeln!(out)?;
    for e in &top.evidence {
        writeln!(out, "- {}", md(e))?;
    }
    if !top.witnesses.agree.is_empty() || !top.witnesses.disagree.is_empty() {
        writeln!(out)?;
        writeln!(out, "**Witnesses**")?;
        writeln!(out)?;
        for a in &top.witnesses.agree {
            writeln!(out, "- ✔ {}", md(a))?;
        }
        for a in &top.witnesses.disagree {
            writeln!(out, "- ✘ {}", md(a))?;
        }
    }
    writeln!(out)?;
    writeln!(out, "**Fix**")?;
    writeln!(out)?;
    for f in &top.fixes {
        writeln!(out, "- ({}) {}", effort(f.effort), md(&f.action))?;
    }
    if d.causes.len() > 1 {
        writeln!(out)?;
        writeln!(out, "| other cause | likelihood | summary |")?;
        writeln!(out, "|---|---|---|")?;
        for c in &d.causes[1..] {
            writeln!(
                out,
                "| `{}` | {} | {} |",
                c.id,
                lk(c.likelihood),
                md(&c.summary)
            )?;
        }
    }
    if !d.observations.notes.is_empty() {
        writeln!(out)?;
        writeln!(out, "**Notes on the request**")?;
        writeln!(out)?;
        for n in &d.observations.notes {
            writeln!(out, "- {}", md(n))?;
        }
    }
    writeln!(out)?;
    let r = &d.retry;
    writeln!(
        out,
        "**Retry with a fresh token:** {}",
        match (r.attempted, r.status) {
            (true, Some(s)) => format!(
                "sent, answered {s}{}",
                r.confirms
                    .map(|c| format!(" (confirms `{c}`)"))
                    .unwrap_or_default()
            ),
            _ => format!(
                "not sent ({})",
                md(r.skipped
                    .as_deref()
                    .or(r.grant_error.as_deref())
                    .unwrap_or("no fresh token"))
            ),
        }
    )?;
    if let Some(t) = &r.rotated_refresh_token {
        writeln!(out)?;
        writeln!(
            out,
            "**The refresh token was rotated:** the one given is spent; the new one is {}",
            md(t)
        )?;
    }
    if !d.credentials_sent.is_empty() {
        writeln!(out)?;
        writeln!(out, "**Credentials**")?;
        writeln!(out)?;
        for c in &d.credentials_sent {
            match &c.withheld_because {
                None => writeln!(
                    out,
                    "- sent {} to {}",
                    md(&c.credentials.join(", ")),
                    md(&c.endpoint)
                )?,
                Some(why) => writeln!(
                    out,
                    "- withheld {}: {}",
                    md(&c.credentials.join(", ")),
                    md(why)
                )?,
            }
        }
    }
    writeln!(out)?;
    writeln!(out, "<details><summary>Exchanges</summary>")?;
    writeln!(out)?;
    writeln!(out, "```json")?;
    writeln!(
        out,
        "{}",
        serde_json::to_string_pretty(&d.exchanges).unwrap_or_default()
    )?;
    writeln!(out, "```")?;
    writeln!(out)?;
    writeln!(out, "</details>")?;
    Ok(())
}
