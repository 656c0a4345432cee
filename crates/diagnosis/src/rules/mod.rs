//! The rules: one per cause of the vocabulary, each its own item in one
//! registry ([`RULES`]), each a pure function of the observations and of
//! what the witnesses said, split into files by family.
//!
//! Every finding rests on witnesses, and they are uneven. In order of
//! weight: an **experiment** (a fresh, correct token sent again: accepted
//! confirms, rejected the same way rules out), the **token** checked
//! against its issuer's keys at the server's clock, the **server's words**
//! (challenge, body, status, read through [`crate::dialects`]; some
//! mislead), and **defaults**. Each rule says what it found and on which
//! witness; [`diagnose`] ranks the findings and then weighs the
//! experiment ([`weigh`]).
//!
//! Adding a cause is one rule here (the test `every_cause_has_a_rule`
//! points at a forgotten one) and its unit tests from fixtures.

mod authorization;
mod browser;
mod header;
mod token;
mod token_endpoint;
mod transport;

#[cfg(test)]
mod tests;

use crate::dialects::{self, Said};
use crate::observations::{Observations, Source};
use authdoctor_causes::{Cause, Effort, Likelihood};
use authdoctor_httpauth::BearerChallenge;
use serde::Serialize;

/// A fix and how much work it is.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Fix {
    /// How much work.
    pub effort: Effort,
    /// What to do.
    pub action: String,
}

/// One cause the evidence supports.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Finding {
    /// The cause.
    pub id: Cause,
    /// How strongly the evidence supports it.
    pub likelihood: Likelihood,
    /// What is wrong, in one sentence.
    pub summary: String,
    /// The facts that show it.
    pub evidence: Vec<String>,
    /// What to do.
    pub fixes: Vec<Fix>,
    /// Which witnesses agree (`token`, `server's words (express-jwt)`,
    /// `experiment`), and which disagree.
    #[serde(skip_serializing_if = "Witnessed::is_empty")]
    pub witnesses: Witnessed,
}

/// Which witnesses speak for a finding and which against it.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Witnessed {
    /// Those that agree.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub agree: Vec<String>,
    /// Those that disagree, and how.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub disagree: Vec<String>,
}

impl Witnessed {
    fn is_empty(&self) -> bool {
        self.agree.is_empty() && self.disagree.is_empty()
    }
}

/// One rule: it speaks for one cause.
pub trait Rule: Sync {
    /// The cause it speaks for.
    fn cause(&self) -> Cause;
    /// Whether it reads a call to a token endpoint (RFC 6749 §5.2 errors);
    /// the others read a call to a resource.
    fn at_token_endpoint(&self) -> bool {
        false
    }
    /// What it finds, given the witnesses and what the rules before it
    /// found (only `server.misconfigured` reads those).
    fn find(&self, w: &Witnesses<'_>, found: &[Finding]) -> Option<Finding>;
}

/// Every rule, one per cause; `server.misconfigured` last, since it speaks
/// only when nothing else explains the rejection.
pub static RULES: &[&dyn Rule] = &[
    &browser::CorsBlocked,
    &token_endpoint::ClientInvalid,
    &token_endpoint::RefreshFailed,
    &transport::HeaderLostOnRedirect,
    &header::CredentialsMissing,
    &header::HeaderMalformed,
    &header::SchemeMismatch,
    &token::TokenMalformed,
    &token::TokenExpired,
    &token::TokenNotYetValid,
    &token::ClockSkew,
    &token::TokenSignatureInvalid,
    &token::TokenUnknownKey,
    &token::TokenAlgRejected,
    &token::TokenIssuerMismatch,
    &token::TokenAudienceMismatch,
    &token::TokenWrongType,
    &token::TokenScopeInsufficient,
    &token::TokenRevoked,
    &token::TokenBindingRequired,
    &token::StepupRequired,
    &header::CredentialsInvalid,
    &header::CookieRejected,
    &authorization::AuthzForbidden,
    &transport::Transient,
    &transport::ServerMisconfigured,
];

/// The observations and what the witnesses said, read once for every rule.
pub struct Witnesses<'a> {
    /// The facts.
    pub o: &'a Observations,
    /// What the server said, read through the dialect catalogue, the most
    /// specific first.
    pub said: Vec<Said>,
    /// The server's Bearer challenge, when it sent one.
    pub bearer: Option<BearerChallenge>,
    /// The server's words as evidence lines (`challenge: …`, `body: …`).
    pub words: Vec<String>,
}

impl<'a> Witnesses<'a> {
    /// Reads the witnesses of a set of observations.
    pub fn of(o: &'a Observations) -> Witnesses<'a> {
        let bearer = o
            .challenges
            .iter()
            .find_map(BearerChallenge::from_challenge);
        let descriptions: Vec<String> = o
            .challenges
            .iter()
            .filter_map(|c| c.param("error_description").map(str::to_owned))
            .collect();
        let mut said = if o.hops.is_empty() || o.answered() < 400 {
            Vec::new()
        } else {
            dialects::hear(&descriptions, &o.last().body)
        };
        // A challenge that judged the token (`error="invalid_token"`) proves
        // the server read it: a body's "no credentials were provided" beside
        // it is a framework's default words (Django REST framework's, over
        // django-oauth-toolkit), no witness that the header was lost.
        if o.challenges.iter().any(|c| c.param("error").is_some()) {
            said.retain(|s| !(s.cause == Some(Cause::CredentialsMissing) && s.place == "body"));
        }
        let mut words = Vec::new();
        // A family's own status for an authentication failure: what it
        // means there, and the cause it names after any its words name.
        if let Some(d) = o
            .hops
            .last()
            .and_then(|h| dialects::status_dialect(h.status))
        {
            words.push(format!(
                "the server answered {} {:?}, {}'s status for an authentication failure (a 401 in RFC 9110's terms): {}",
                d.status, d.phrase, d.family, d.meaning
            ));
            if d.cause.is_some() {
                said.push(Said {
                    cause: d.cause,
                    family: d.family,
                    text: format!("{} {}", d.status, d.phrase),
                    place: "status",
                    expected_audience: None,
                    expected_issuer: None,
                    scopes: Vec::new(),
                    claim: None,
                    expired_at: None,
                    user: None,
                });
            }
        }
        if let (Some(to), false) = (&o.sign_in, o.hops.is_empty()) {
            words.push(format!(
                "the server sent the request to sign in ({} to {}) instead of answering it",
                o.hops[0].status,
                crate::facts::display_url(to)
            ));
        }
        if let Some(r) = &o.refused_in_body {
            words.push(format!(
                "the server answered {} and refused the request in its body{}: {:?} (a refusal, as a {} is)",
                o.last().status,
                r.code
                    .as_ref()
                    .map(|c| format!(" (code {c})"))
                    .unwrap_or_default(),
                r.message,
                r.status
            ));
        }
        if !o.hops.is_empty() {
            for v in o.last().headers_named("www-authenticate") {
                words.push(format!("challenge: {v}"));
            }
        }
        if o.challenged_bare {
            let asked: Vec<&str> = o.challenges.iter().map(|c| c.scheme.as_str()).collect();
            words.push(format!(
                "the server answered 400 with no word; sent again without its credentials, the request was answered 401 asking for {}: the 400 refused the credentials sent",
                asked.join(", ")
            ));
        }
        if let Some((e, d)) = &o.body_error {
            words.push(format!(
                "body: error={e:?}{}",
                d.as_ref()
                    .map(|d| format!(", error_description={d:?}"))
                    .unwrap_or_default()
            ));
        } else if let Some(s) = said.iter().find(|s| s.place == "body") {
            words.push(format!("body: {:?}", s.text));
        }
        Witnesses {
            o,
            said,
            bearer,
            words,
        }
    }

    /// What the server's words say of `cause`, if they name it.
    pub fn says(&self, cause: Cause) -> Option<&Said> {
        self.said.iter().find(|s| s.cause == Some(cause))
    }

    /// The cause the server's words name first, if any.
    pub fn named(&self) -> Option<&Said> {
        self.said.iter().find(|s| s.cause.is_some())
    }

    /// What the server's words say of the token's key: that it has none
    /// for the token, or that the signature fails with its keys.
    pub fn refuses_key(&self) -> Option<&Said> {
        self.says(Cause::TokenSignatureInvalid)
            .or_else(|| self.says(Cause::TokenUnknownKey))
    }

    /// Whether the words name an authentication cause (anything but
    /// authorization).
    pub fn names_authentication(&self) -> bool {
        self.said
            .iter()
            .any(|s| s.cause.is_some_and(|c| c != Cause::AuthzForbidden))
    }

    /// The evidence line of what the server said of `cause`.
    pub fn quote(&self, s: &Said) -> String {
        format!("the server says ({}, {}): {:?}", s.family, s.place, s.text)
    }
}

pub(crate) fn finding(
    id: Cause,
    likelihood: Likelihood,
    summary: String,
    evidence: Vec<String>,
    fixes: Vec<(Effort, String)>,
) -> Finding {
    let mut fixes: Vec<Fix> = fixes
        .into_iter()
        .map(|(effort, action)| Fix { effort, action })
        .collect();
    if fixes.is_empty() {
        fixes.push(Fix {
            effort: Effort::Easy,
            action: id.fix().to_owned(),
        });
    }
    Finding {
        id,
        likelihood,
        summary,
        evidence,
        fixes,
        witnesses: Witnessed::default(),
    }
}

pub(crate) fn source_note(s: &Source) -> &'static str {
    match s {
        Source::User => "as you gave it",
        Source::ResourceMetadata => "from the resource's RFC 9728 metadata",
        Source::Challenge => "from the server's challenge",
        Source::ServerWords => "from the server's own words",
    }
}

/// Whether the answer is an authentication or authorization failure at
/// all: 401, 403 and 407 are; a browser's failure is; any other status
/// only when the server says so (a challenge, an OAuth error, words that
/// name a cause), or when the request was a call to a token endpoint.
pub fn is_auth_failure(w: &Witnesses<'_>) -> bool {
    let o = w.o;
    // A firewall's page in front of the API answered: nothing was
    // authenticated.
    // Nor where its CSRF protection refused: the session may be good.
    if o.edge_block.is_some() || o.csrf.is_some() {
        return false;
    }
    let status = o.status();
    // A missing resource or method, and without its credentials the
    // request is refused: they passed the server's authentication, and
    // this error came after it.
    if passed_authentication(o) {
        return false;
    }
    matches!(status, 401 | 403 | 407)
        || o.client_certificate.is_some()
        || o.spec.browser.as_ref().is_some_and(|b| b.status <= 0)
        || !o.challenges.is_empty()
        || o.token_request_grant.is_some()
        || o.body_error.as_ref().is_some_and(|(e, _)| {
            matches!(
                e.as_str(),
                "invalid_token"
                    | "invalid_request"
                    | "insufficient_scope"
                    | "invalid_client"
                    | "invalid_grant"
                    | "unauthorized_client"
                    | "invalid_dpop_proof"
                    | "use_dpop_nonce"
                    | "insufficient_user_authentication"
                    | "unauthorized"
                    | "access_denied"
            )
        })
        || w.named().is_some()
        // Some frameworks hide an authentication failure behind a 500 (a
        // key lookup throwing) or a 422: the token's own checks decide.
        || o.token.as_ref().is_some_and(|t| !t.at_server.causes.is_empty())
        // Or the experiments do: it fails on the token at finding its key,
        // or on an opaque token it cannot read.
        || fails_at_the_key(o)
        || (fails_on_the_token(o) && o.opaque_token.is_some())
        // Or the experiment does, where the token cannot be checked (an
        // opaque one): the same request sent again failed again, and a
        // fresh token cured it. The credential made the failure, not a
        // passing fault of the server.
        || (o.fresh_token_accepted() && o.resend_status.is_some_and(|s| s >= 400))
        || o
            .authorization
            .as_ref()
            .is_some_and(authdoctor_httpauth::Credentials::has_errors)
}

/// Whether the server failed (500) on the token at finding its key: the
/// same request without the token was refused (401, 403, 407), and with
/// the token's signature broken it failed again, before it could have
/// checked a signature ([`Observations::broken_signature_status`]). A
/// key lookup that throws (a key set without the token's `kid`) answers
/// so; an application that fails after accepting the token does not.
pub fn fails_at_the_key(o: &Observations) -> bool {
    fails_on_the_token(o) && o.broken_signature_status == Some(500)
}

/// Whether the server's 403 is its token check's: without the token the
/// request is asked for credentials (401), and the same token with its
/// signature broken is refused with the same 403 ([`Observations::
/// broken_signature_status`]): the server refuses this token as it
/// refuses a forged one, as the tutorials' middleware answers 403 to every
/// token it cannot verify. `Some(false)` where the forged token was
/// answered otherwise: the server told the two apart, and passed this one.
pub fn refused_as_forged(o: &Observations) -> Option<bool> {
    if o.status() != 403 || o.bare_status != Some(401) {
        return None;
    }
    o.broken_signature_status.map(|s| s == 403)
}

/// What the forged copy of the token sent by the experiment was.
pub fn forged_copy(o: &Observations) -> &'static str {
    match o.opaque_token {
        Some(_) => "a changed copy of the token (one nobody issued)",
        None => "the same token with its signature broken",
    }
}

/// Whether the server failed (500) on the request's Bearer token: the same
/// request without it was refused (401, 403, 407). Its token check threw,
/// or the application failed after accepting the token: for a JWT,
/// [`fails_at_the_key`] tells; an opaque token, which a JWT-only check
/// cannot parse, is the first.
pub fn fails_on_the_token(o: &Observations) -> bool {
    o.status() == 500 && o.bare_status.is_some_and(|b| matches!(b, 401 | 403 | 407))
}

/// Whether the answer is one an authentication layer does not give (404,
/// 405, 410: a resource or method), and the same request without its
/// credentials was refused (401, 403, 407, or sent to sign in): then the
/// credentials passed the server's authentication. Not for a 500, a 422
/// or a 400, which some frameworks answer to a bad token while they
/// refuse a request without one.
pub fn passed_authentication(o: &Observations) -> bool {
    after_authentication(o.status()) && o.bare_status.is_some_and(|b| matches!(b, 401 | 403 | 407))
}

/// The statuses of a resource or method that is not there: what an
/// application answers after authentication, never an authentication
/// layer itself.
pub fn after_authentication(status: u16) -> bool {
    matches!(status, 404 | 405 | 410)
}

/// Runs every rule and ranks the findings; then weighs the experiment.
/// Empty when the request succeeded or the answer is not an
/// authentication failure at all.
pub fn diagnose(o: &Observations) -> Vec<Finding> {
    if o.hops.is_empty() {
        return Vec::new();
    }
    let w = Witnesses::of(o);
    if o.status() < 400 {
        // Only a browser can have failed a request the server answered.
        return browser::CorsBlocked.find(&w, &[]).into_iter().collect();
    }
    if !is_auth_failure(&w) {
        return Vec::new();
    }
    // The proxy on the way refused the request: its credentials are the
    // only matter (the API saw nothing).
    if let Some(f) = header::proxy_refusal(&w, false).or_else(|| header::proxy_refusal(&w, true)) {
        return vec![f];
    }
    let mut f: Vec<Finding> = Vec::new();
    let token_endpoint = o.token_request_grant.is_some();
    for rule in RULES {
        if token_endpoint && !rule.at_token_endpoint() {
            continue;
        }
        if let Some(x) = rule.find(&w, &f) {
            debug_assert_eq!(x.id, rule.cause());
            f.push(x);
        }
    }
    rank(&mut f);
    weigh(&w, &mut f);
    rank(&mut f);
    f
}

fn rank(f: &mut Vec<Finding>) {
    // One finding per cause: the strongest.
    let mut seen: Vec<Cause> = Vec::new();
    f.sort_by_key(|x| x.likelihood);
    f.retain(|x| {
        let new = !seen.contains(&x.id);
        seen.push(x.id);
        new
    });
    f.sort_by_key(|x| (x.likelihood, x.id.priority()));
}

/// Causes a fresh, correct token fixes: the experiment tests them.
fn fresh_token_fixes(c: Cause) -> bool {
    matches!(
        c,
        Cause::TokenMalformed
            | Cause::TokenExpired
            | Cause::TokenNotYetValid
            | Cause::TokenSignatureInvalid
            | Cause::TokenUnknownKey
            | Cause::TokenAlgRejected
            | Cause::TokenIssuerMismatch
            | Cause::TokenAudienceMismatch
            | Cause::TokenWrongType
            | Cause::TokenScopeInsufficient
            | Cause::TokenRevoked
            | Cause::CredentialsMissing
            | Cause::HeaderMalformed
            | Cause::SchemeMismatch
    )
}

/// The experiment, weighed: a fresh token accepted confirms the leading
/// hypothesis that a fresh token fixes; one rejected the same way, while
/// free of the defect a finding names, rules that finding out. Without an
/// experiment, a finding that rests on the server's words alone says which
/// experiment would settle it.
pub fn weigh(w: &Witnesses<'_>, f: &mut [Finding]) {
    let o = w.o;
    let r = &o.retry;
    let first_status = o.status();
    match (r.attempted, r.status) {
        (true, Some(s)) if s < 400 => {
            if let Some(top) = f.iter_mut().find(|x| fresh_token_fixes(x.id)) {
                top.likelihood = Likelihood::High;
                top.witnesses
                    .agree
                    .push(format!("experiment: a fresh token was accepted ({s})"));
            }
        }
        (true, Some(s)) if s == first_status => {
            let fresh_causes: Vec<Cause> = r
                .fresh_report
                .as_ref()
                .map(|x| x.causes.clone())
                .unwrap_or_default();
            for x in f.iter_mut() {
                if fresh_token_fixes(x.id)
                    && r.fresh_report.is_some()
                    && !fresh_causes.contains(&x.id)
                    && x.id != Cause::ClockSkew
                {
                    x.likelihood = Likelihood::Low;
                    x.witnesses.disagree.push(format!(
                        "experiment: a fresh token without this defect was rejected the same way ({s}); the cause is elsewhere"
                    ));
                }
            }
        }
        _ => {
            let Some(top) = f.first_mut() else { return };
            if top.likelihood != Likelihood::Medium || !fresh_token_fixes(top.id) {
                return;
            }
            // A page that takes no token: a fresh one would settle nothing.
            if o.sign_in.is_some() && top.id == Cause::SchemeMismatch {
                return;
            }
            if r.skipped
                .as_deref()
                .is_some_and(|s| s.contains("no client"))
            {
                top.fixes.push(Fix {
                    effort: Effort::Easy,
                    action: format!(
                        "Settle it by experiment: a fresh token from the issuer the API trusts, for its audience, is sent again; accepted confirms this. Run: {}",
                        experiment_command(o, top.id)
                    ),
                });
            }
        }
    }
}

/// The command that would run the experiment: the same request, with a
/// client that can get a fresh token from the issuer the API trusts. The
/// token's own issuer stands for it where nobody said which, unless the
/// suspicion is that the API trusts another (`top`, the cause to settle).
fn experiment_command(o: &Observations, top: Cause) -> String {
    let issuer = o
        .expected
        .issuer
        .as_ref()
        .map(|(i, _)| i.clone())
        .or_else(|| {
            if top == Cause::TokenIssuerMismatch {
                return None;
            }
            o.token
                .as_ref()?
                .decoded
                .claim("iss")?
                .as_str()
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "ISSUER".into());
    let mut cmd = format!(
        "AUTHDOCTOR_CLIENT_SECRET=… authdoctor diagnose --issuer {issuer} --client-id CLIENT_ID"
    );
    if let Some((a, _)) = &o.expected.audience {
        cmd.push_str(&format!(" --audience {a}"));
    }
    if let Some((s, _)) = &o.expected.scopes {
        cmd.push_str(&format!(" --scope '{}'", s.join(" ")));
    }
    if o.spec.method != "GET" {
        cmd.push_str(&format!(" -X {}", o.spec.method));
    }
    let scheme = o
        .authorization
        .as_ref()
        .and_then(|c| c.scheme.clone())
        .unwrap_or_else(|| "Bearer".into());
    cmd.push_str(&format!(
        " -H 'Authorization: {scheme} <token>' {}",
        crate::facts::display_url(&o.spec.url)
    ));
    cmd
}
