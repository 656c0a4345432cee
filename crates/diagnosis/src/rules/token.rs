//! The token: its format, its times (and the clocks), its signature and
//! key, its issuer, audience, type and scope, whether it is still active,
//! whether it must be bound to a key, and whether the user must sign in
//! again. The token's own checks (at the server's clock, against its
//! issuer's keys) outweigh the server's words; the words speak where the
//! token cannot be checked, and where they disagree the report says so.

use super::{Finding, Fix, Rule, Witnesses, finding, source_note};
use authdoctor_causes::{Cause, Effort, Likelihood};
use authdoctor_httpauth::BearerError;
use authdoctor_jose::time::{rfc3339, span};
use authdoctor_jose::{Check, Status};
use serde_json::Value;

/// The failed check of the token, at the server's clock, for `cause`.
fn failed<'a>(w: &'a Witnesses<'_>, cause: Cause) -> Option<&'a Check> {
    let t = w.o.token.as_ref()?;
    t.at_server
        .checks
        .iter()
        .find(|c| c.cause == Some(cause) && c.status == Status::Fail)
}

/// A finding for a cause the token's checks show (high), or that only the
/// server's words name (medium), with each witness marked.
fn checked_or_said(
    w: &Witnesses<'_>,
    cause: Cause,
    summary: &str,
    fixes: Vec<(Effort, String)>,
) -> Option<Finding> {
    let o = w.o;
    if let Some(check) = failed(w, cause) {
        let mut ev = vec![format!("{}: {}", check.name, check.detail)];
        let src = match cause {
            Cause::TokenIssuerMismatch => o.expected.issuer.as_ref().map(|(_, s)| s),
            Cause::TokenAudienceMismatch => o.expected.audience.as_ref().map(|(_, s)| s),
            Cause::TokenScopeInsufficient => o.expected.scopes.as_ref().map(|(_, s)| s),
            _ => None,
        };
        if let Some(s) = src {
            ev.push(format!(
                "what the server expects was taken {}",
                source_note(s)
            ));
        }
        if matches!(
            cause,
            Cause::TokenIssuerMismatch | Cause::TokenAudienceMismatch
        ) {
            ev.extend(o.expected.contradictions.iter().cloned());
        }
        ev.extend(w.words.clone());
        let mut f = finding(cause, Likelihood::High, summary.to_owned(), ev, fixes);
        f.witnesses.agree.push("the token's own checks".into());
        match (w.says(cause), w.named()) {
            (Some(s), _) => f
                .witnesses
                .agree
                .push(format!("the server's words ({})", s.family)),
            (None, Some(other)) => f.witnesses.disagree.push(format!(
                "the server's words ({}) name {} instead: {:?}",
                other.family,
                other.cause.map(|c| c.id()).unwrap_or("nothing"),
                other.text
            )),
            _ => {}
        }
        return Some(f);
    }
    let said = w.says(cause)?;
    let mut ev = vec![w.quote(said)];
    let mut f_disagree = Vec::new();
    match &o.token {
        Some(t) if t.keys_known && t.at_server.valid => {
            ev.push("yet every check authdoctor can make of the token passes".into());
            f_disagree.push("the token's own checks pass".to_owned());
        }
        Some(t) if !t.keys_known => ev.push(
            "the issuer's keys could not be fetched, so the token was not fully checked here"
                .into(),
        ),
        Some(_) => {}
        None if o.opaque_token.is_some() => {
            ev.push("the token is opaque, so only the server and its issuer can judge it".into())
        }
        None => {}
    }
    if let Some(a) = &said.expected_audience {
        ev.push(format!("the server expects the audience {a}"));
    }
    if let Some(i) = &said.expected_issuer {
        ev.push(format!("the server expects the issuer {i}"));
    }
    ev.extend(w.words.clone());
    let mut f = finding(
        cause,
        Likelihood::Medium,
        format!("The server says: {}.", cause.what()),
        ev,
        fixes,
    );
    f.witnesses
        .agree
        .push(format!("the server's words ({})", said.family));
    f.witnesses.disagree = f_disagree;
    Some(f)
}

/// `token.malformed`.
pub struct TokenMalformed;

impl Rule for TokenMalformed {
    fn cause(&self) -> Cause {
        Cause::TokenMalformed
    }

    fn find(&self, w: &Witnesses<'_>, _: &[Finding]) -> Option<Finding> {
        // An opaque value is not a malformed JWT: the wrong-type rule reads
        // a JWT-only server's complaint about one.
        if w.o.opaque_token.is_some() {
            return None;
        }
        checked_or_said(
            w,
            Cause::TokenMalformed,
            "The token cannot be parsed.",
            vec![],
        )
    }
}

/// The server's clock, or the local one when it sent no `Date`.
fn server_now(w: &Witnesses<'_>) -> i64 {
    w.o.server_now.unwrap_or(w.o.local_now)
}

/// Whether the token is past its `exp` by the server's clock, if only
/// within the leeway assumed here: most libraries allow none by default
/// (jsonwebtoken, PyJWT, golang-jwt, jose), and refuse it.
pub(super) fn past_its_exp(w: &Witnesses<'_>) -> bool {
    w.o.token
        .as_ref()
        .and_then(|t| t.decoded.claim("exp"))
        .and_then(Value::as_i64)
        .is_some_and(|e| e <= server_now(w))
}

fn clock_evidence(w: &Witnesses<'_>) -> String {
    let o = w.o;
    let server_date = o.server_now.map(rfc3339).unwrap_or_default();
    match o.clock_offset() {
        Some(off) if off.abs() > 1 => format!(
            "the server's Date is {server_date}; the local clock said {} ({} {} the server)",
            rfc3339(o.last().received_at),
            span(off.unsigned_abs()),
            if off > 0 { "behind" } else { "ahead of" }
        ),
        Some(_) => format!(
            "the server's Date ({server_date}) agrees with the local clock: the token, not a clock, is off"
        ),
        None => "the server sent no Date; judged by the local clock".to_owned(),
    }
}

/// Whether a clock, not the token, explains a time failure: the token is
/// fine by the local clock and the clocks differ by more than the leeway.
fn skew_explains(w: &Witnesses<'_>, cause: Cause) -> bool {
    let o = w.o;
    let Some(t) = &o.token else { return false };
    let skewed = o
        .clock_offset()
        .is_some_and(|off| off.unsigned_abs() > o.leeway);
    skewed && !t.at_local.causes.contains(&cause) && t.at_server.causes.contains(&cause)
}

/// `token.expired`, judged at the server's clock; a token past `exp` but
/// within the assumed leeway is still expired for a stricter server.
pub struct TokenExpired;

impl Rule for TokenExpired {
    fn cause(&self) -> Cause {
        Cause::TokenExpired
    }

    fn find(&self, w: &Witnesses<'_>, _: &[Finding]) -> Option<Finding> {
        let o = w.o;
        let exp = o
            .token
            .as_ref()
            .and_then(|t| t.decoded.claim("exp"))
            .and_then(Value::as_i64);
        if let Some(check) = failed(w, Cause::TokenExpired) {
            let mut ev = vec![
                format!("{}: {}", check.name, check.detail),
                clock_evidence(w),
            ];
            ev.extend(w.words.clone());
            if skew_explains(w, Cause::TokenExpired) {
                let mut f = finding(
                    Cause::TokenExpired,
                    Likelihood::Medium,
                    "By the server's clock the token is expired.".into(),
                    ev,
                    vec![],
                );
                f.witnesses
                    .disagree
                    .push("the local clock: the token is valid by it".into());
                return Some(f);
            }
            // The check's typed facts carry the numbers judged.
            let summary = match &check.facts {
                Some(authdoctor_jose::Facts::Expired { exp, now, .. }) => format!(
                    "The access token expired {} before the server received it.",
                    span((now - exp).max(0) as u64)
                ),
                _ => format!(
                    "The token {}.",
                    check.detail.trim_end_matches('.').to_lowercase()
                ),
            };
            let fixes = newer_token_said(o, &mut ev);
            let mut f = finding(Cause::TokenExpired, Likelihood::High, summary, ev, fixes);
            f.witnesses
                .agree
                .push("the token's exp at the server's clock".into());
            if let Some(s) = w.says(Cause::TokenExpired) {
                f.witnesses
                    .agree
                    .push(format!("the server's words ({})", s.family));
            }
            return Some(f);
        }
        // Past exp, but within the leeway assumed: a server with less
        // leeway rejects it. Its words decide how sure that is.
        if let Some(e) = exp.filter(|e| *e <= server_now(w)) {
            let ago = (server_now(w) - e) as u64;
            let said = w.says(Cause::TokenExpired);
            let mut ev = vec![
                format!(
                    "exp = {} is {} before the server's clock ({})",
                    rfc3339(e),
                    span(ago),
                    rfc3339(server_now(w))
                ),
                format!(
                    "within the {} s leeway assumed here, but servers with a leeway under {} reject it",
                    o.leeway,
                    span(ago.max(1))
                ),
            ];
            if let Some(s) = said {
                ev.push(w.quote(s));
            }
            ev.extend(w.words.clone());
            let fixes = newer_token_said(o, &mut ev);
            let mut f = finding(
                Cause::TokenExpired,
                if said.is_some() {
                    Likelihood::High
                } else {
                    Likelihood::Medium
                },
                format!(
                    "The access token expired {} ago by the server's clock; servers with a leeway under {} reject it.",
                    span(ago.max(1)),
                    span(ago.max(1))
                ),
                ev,
                fixes,
            );
            f.witnesses
                .agree
                .push("the token's exp at the server's clock".into());
            if let Some(s) = said {
                f.witnesses
                    .agree
                    .push(format!("the server's words ({})", s.family));
            }
            return Some(f);
        }
        checked_or_said(w, Cause::TokenExpired, "", vec![])
    }
}

/// `token.not_yet_valid`.
pub struct TokenNotYetValid;

impl Rule for TokenNotYetValid {
    fn cause(&self) -> Cause {
        Cause::TokenNotYetValid
    }

    fn find(&self, w: &Witnesses<'_>, _: &[Finding]) -> Option<Finding> {
        if let Some(check) = failed(w, Cause::TokenNotYetValid) {
            let mut ev = vec![
                format!("{}: {}", check.name, check.detail),
                clock_evidence(w),
            ];
            ev.extend(w.words.clone());
            let skew = skew_explains(w, Cause::TokenNotYetValid);
            return Some(finding(
                Cause::TokenNotYetValid,
                if skew {
                    Likelihood::Medium
                } else {
                    Likelihood::High
                },
                if skew {
                    "By the server's clock the token is not yet valid.".into()
                } else {
                    format!(
                        "The token {}.",
                        check.detail.trim_end_matches('.').to_lowercase()
                    )
                },
                ev,
                vec![],
            ));
        }
        checked_or_said(w, Cause::TokenNotYetValid, "", vec![])
    }
}

/// `clock.skew` where no token says so but the server's words do: a
/// request signed with its time (AWS Signature Version 4) refused for it.
fn skew_said(w: &Witnesses<'_>) -> Option<Finding> {
    let s = w.says(Cause::ClockSkew)?;
    let mut ev = vec![w.quote(s), clock_evidence(w)];
    ev.extend(w.words.clone());
    let mut f = finding(
        Cause::ClockSkew,
        Likelihood::High,
        "The server refuses the time the request was signed with: this machine's clock is off, its words say.".into(),
        ev,
        vec![(
            Effort::Easy,
            "Synchronise this machine's clock with NTP (timedatectl set-ntp true, or chronyd): a signed request carries its signing time, and AWS refuses one more than 15 minutes from its own.".into(),
        )],
    );
    f.witnesses
        .agree
        .push(format!("the server's words ({})", s.family));
    Some(f)
}

/// `clock.skew`: a clock is wrong, not the token.
pub struct ClockSkew;

impl Rule for ClockSkew {
    fn cause(&self) -> Cause {
        Cause::ClockSkew
    }

    fn find(&self, w: &Witnesses<'_>, _: &[Finding]) -> Option<Finding> {
        let Some((cause, check)) = [Cause::TokenExpired, Cause::TokenNotYetValid]
            .into_iter()
            .find(|c| skew_explains(w, *c))
            .and_then(|c| Some((c, failed(w, c)?)))
        else {
            return skew_said(w);
        };
        let off = w.o.clock_offset().unwrap_or(0);
        let mut ev = vec![
            format!("{}: {}", check.name, check.detail),
            clock_evidence(w),
        ];
        ev.extend(w.words.clone());
        let mut f = finding(
            Cause::ClockSkew,
            Likelihood::High,
            format!(
                "A clock is wrong, not the token: the server's clock is {} {} this machine's, and that alone makes the token look {}.",
                span(off.unsigned_abs()),
                if off > 0 { "ahead of" } else { "behind" },
                if cause == Cause::TokenExpired { "expired" } else { "not yet valid" }
            ),
            ev,
            vec![
                (Effort::Medium, "Synchronise the clocks with NTP (on the server, or on the issuer, whichever is off: compare both with a trusted time source).".into()),
                (Effort::Easy, "As a stopgap, raise the server's clock-skew leeway.".into()),
            ],
        );
        f.witnesses
            .agree
            .push("the server's Date against the local clock".into());
        Some(f)
    }
}

/// `token.signature_invalid`.
pub struct TokenSignatureInvalid;

impl Rule for TokenSignatureInvalid {
    fn cause(&self) -> Cause {
        Cause::TokenSignatureInvalid
    }

    fn find(&self, w: &Witnesses<'_>, _: &[Finding]) -> Option<Finding> {
        // A token in quotes is called a bad signature by some servers: the
        // header rule names the real defect.
        if w.o
            .authorization
            .as_ref()
            .is_some_and(|c| c.problems.iter().any(|p| p.id.id() == "quoted_token"))
            && failed(w, Cause::TokenSignatureInvalid).is_none()
        {
            return None;
        }
        // A signature that verifies with its issuer's published key,
        // called bad by a server that accepts a fresh token signed with
        // another of them: the server lacks this key.
        if failed(w, Cause::TokenSignatureInvalid).is_none()
            && super::transport::stale_by_experiment(w).is_some()
        {
            return None;
        }
        checked_or_said(
            w,
            Cause::TokenSignatureInvalid,
            "The token's signature does not verify with its issuer's published keys.",
            vec![],
        )
    }
}

/// `token.unknown_key`: from the token's own check, or the server's words
/// where the token does not verify with its issuer's published keys.
pub struct TokenUnknownKey;

impl Rule for TokenUnknownKey {
    fn cause(&self) -> Cause {
        Cause::TokenUnknownKey
    }

    fn find(&self, w: &Witnesses<'_>, _: &[Finding]) -> Option<Finding> {
        // The server's words alone, where the token's own issuer publishes
        // its key and its signature verifies with it: the key is unknown
        // to the server's keys, not to its issuer's, which is another
        // issuer trusted or a stale copy of the keys (those rules speak).
        if failed(w, Cause::TokenUnknownKey).is_none() && w.o.token_passes() {
            return None;
        }
        checked_or_said(
            w,
            Cause::TokenUnknownKey,
            "The token was signed with a key its issuer no longer publishes (keys rotated), or by another issuer.",
            vec![],
        )
    }
}

/// `token.alg_rejected`: from the token's own check, or the server's words
/// for a JWT (an opaque token has no algorithm: the wrong-type rule reads
/// a JWT-only server's complaint about one).
pub struct TokenAlgRejected;

impl Rule for TokenAlgRejected {
    fn cause(&self) -> Cause {
        Cause::TokenAlgRejected
    }

    fn find(&self, w: &Witnesses<'_>, _: &[Finding]) -> Option<Finding> {
        if w.o.opaque_token.is_some() {
            return None;
        }
        checked_or_said(
            w,
            Cause::TokenAlgRejected,
            "The token uses an algorithm no correct server accepts.",
            vec![],
        )
    }
}

/// `token.issuer_mismatch`: the token's issuer is not the one expected
/// (high), or the server says so (medium); or, where nobody said which
/// issuer the server trusts, the server refuses as invalid a token that
/// its own issuer vouches for (medium): the server verifies with other
/// keys than the token's issuer publishes, which is a token from another
/// tenant, realm or environment than the one it trusts (a staging token at
/// production, Azure AD's v1 issuer where v2 is configured) far more often
/// than anything else.
pub struct TokenIssuerMismatch;

impl Rule for TokenIssuerMismatch {
    fn cause(&self) -> Cause {
        Cause::TokenIssuerMismatch
    }

    fn find(&self, w: &Witnesses<'_>, _: &[Finding]) -> Option<Finding> {
        let fix = || {
            (
                Effort::Easy,
                "Get the token from the issuer the API trusts (check the environment, tenant or realm of the client's configuration).".to_owned(),
            )
        };
        if let Some(f) = checked_or_said(
            w,
            Cause::TokenIssuerMismatch,
            "The token comes from an issuer this API does not trust (another tenant, realm or environment).",
            vec![fix()],
        ) {
            return Some(f);
        }
        match page_issuer(w.o) {
            // The page signs in where the token comes from: the issuer
            // the API trusts, most likely (the audience is left).
            Some(PageIssuer::Token(_)) => None,
            Some(PageIssuer::Other(said)) => match unvouched_issuer(w, fix()) {
                Some(mut f) => {
                    f.evidence.insert(1, said);
                    f.witnesses.agree.push("the browser session (HAR)".into());
                    Some(f)
                }
                None => page_issuer_differs(w, said, fix()),
            },
            None => unvouched_issuer(w, fix()).or_else(|| issuer_unknown(w, fix())),
        }
    }
}

/// What a browser session (a HAR) says of the identity provider its page
/// signs in at (the one discovery document it fetched), against the
/// token's issuer; each with the sentence that says so.
enum PageIssuer {
    /// The token's own.
    Token(String),
    /// Another.
    Other(String),
}

/// [`PageIssuer`], where the session shows one identity provider and the
/// token names its issuer.
fn page_issuer(o: &crate::Observations) -> Option<PageIssuer> {
    let iss = o
        .token
        .as_ref()?
        .decoded
        .claim("iss")
        .and_then(Value::as_str)?;
    let session = o.spec.session.as_ref()?;
    let mut pages = session.documents.iter().filter_map(|d| {
        let j = d.json()?;
        j.get("jwks_uri")?;
        Some((j.get("issuer")?.as_str()?.to_owned(), d.entry))
    });
    let Some((page, entry)) = pages.next() else {
        // No discovery document (an SDK that knows its endpoints): a token
        // request under the token's issuer says the page's is the same.
        // (Another's says nothing: one provider may issue under another
        // name than its endpoints', as Azure's v1 tokens do.) The one
        // before the request, else any of the session: where the page gets
        // its tokens does not change.
        let tr = session
            .token_request
            .as_ref()
            .or(session.token_requests.last())?;
        return tr
            .url
            .starts_with(&format!("{}/", iss.trim_end_matches('/')))
            .then(|| {
                PageIssuer::Token(format!(
                    "the page gets its tokens from the token's own issuer, {iss} (its token request, HAR entry {}): most likely the issuer the API trusts",
                    tr.entry
                ))
            });
    };
    if pages.any(|(p, _)| p != page) {
        return None;
    }
    Some(
        match page.trim_end_matches('/') == iss.trim_end_matches('/') {
            true => PageIssuer::Token(format!(
                "the page signs in at the token's own issuer, {iss} (its discovery document, HAR entry {entry}): most likely the issuer the API trusts"
            )),
            false => PageIssuer::Other(format!(
                "the page signs in at {page} (its discovery document, HAR entry {entry}), but the token it sent was issued by {iss}"
            )),
        },
    )
}

/// [`TokenIssuerMismatch`] where the token could not be checked at its
/// own issuer (its keys out of reach), nobody named the issuer the server
/// trusts, and the server refuses it as an invalid token without naming
/// another cause, but the browser session shows the page signing in at
/// another issuer (`page`: [`PageIssuer::Other`]): a token kept from
/// another environment, tenant or realm.
fn page_issuer_differs(w: &Witnesses<'_>, page: String, fix: (Effort, String)) -> Option<Finding> {
    let o = w.o;
    let t = o.token.as_ref()?;
    let words_fit = match w.named() {
        None => true,
        Some(s) => matches!(
            s.cause,
            Some(
                Cause::TokenSignatureInvalid | Cause::TokenUnknownKey | Cause::TokenIssuerMismatch
            )
        ),
    };
    let invalid = w
        .bearer
        .as_ref()
        .is_some_and(|b| b.error == Some(BearerError::InvalidToken));
    if o.expected.issuer.is_some()
        || !t.at_server.causes.is_empty()
        || !words_fit
        || !(o.status() == 401 || invalid)
    {
        return None;
    }
    let mut ev = vec![page];
    if !t.keys_known {
        ev.push(
            "the token's issuer's keys could not be read, so its signature was not checked here"
                .into(),
        );
    }
    ev.extend(w.words.clone());
    let mut f = finding(
        Cause::TokenIssuerMismatch,
        Likelihood::Medium,
        "The token sent is another issuer's than the one the page signs in at: a token kept from another environment, tenant or realm, which the API most likely does not trust.".into(),
        ev,
        vec![
            (
                Effort::Easy,
                "Sign in again and send the token the page's own identity provider issues (clear the token kept in the browser's storage from the other environment).".into(),
            ),
            fix,
        ],
    );
    f.witnesses.agree.push("the browser session (HAR)".into());
    Some(f)
}

/// The token's audiences and its client, where its `aud` names its own
/// client (`azp` or `client_id`): an access token asked for without the
/// API's audience, or an ID token.
fn own_client_audience(t: &crate::observations::TokenFacts) -> Option<(Vec<&str>, &str)> {
    let auds = t.decoded.audiences();
    let client = t
        .decoded
        .claim("azp")
        .or_else(|| t.decoded.claim("client_id"))
        .and_then(Value::as_str)?;
    auds.contains(&client).then_some((auds, client))
}

/// Whether the token's `aud` names the API it was sent to, where nobody
/// said what audience the API expects: the evidence that tells a token
/// from another issuer (its audience right) from one for another API,
/// when the server refuses both in the same words or none.
#[derive(Debug, PartialEq)]
enum AudFit {
    /// The sentence that says how: the audience is the host the request
    /// went to, or shares a word of its own with the request's host or
    /// path (`https://orders.api.example` at `/api/orders`).
    NamesThis(String),
    /// Both have words of their own, and none is shared, nor the host:
    /// the token was most likely issued for another API.
    NamesOther(String),
    /// Nothing to go by (no `aud`, or only generic words: `api://default`,
    /// `account`, a GUID, a request to `/graphql`).
    Unknown,
}

/// Words that name no API in particular: parts of any URL, environments,
/// the generic names of endpoints and defaults.
const GENERIC_WORDS: &[&str] = &[
    "http",
    "https",
    "www",
    "localhost",
    "local",
    "example",
    "test",
    "tests",
    "apis",
    "service",
    "services",
    "server",
    "backend",
    "gateway",
    "internal",
    "cluster",
    "public",
    "private",
    "prod",
    "production",
    "stage",
    "staging",
    "develop",
    "development",
    "default",
    "auth",
    "oauth",
    "oauth2",
    "oidc",
    "account",
    "client",
    "resource",
    "resources",
    "grpc",
    "graphql",
    "health",
    "check",
    "index",
    "json",
    "rest",
    "data",
];

/// The distinctive words of a URL's host and path (or of a bare name):
/// runs of letters and digits, lower-cased, of four or more, not generic,
/// not a number or a hexadecimal run (a GUID's parts, an id; a word such
/// as `cafe` goes with them).
fn distinctive_words(s: &str) -> Vec<String> {
    let text = match url::Url::parse(s) {
        Ok(u) if u.host_str().is_some() => {
            format!("{} {}", u.host_str().unwrap_or(""), u.path())
        }
        _ => s.to_owned(),
    };
    let mut out: Vec<String> = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| w.len() >= 4)
        .map(str::to_ascii_lowercase)
        .filter(|w| !GENERIC_WORDS.contains(&w.as_str()))
        .filter(|w| !w.bytes().all(|b| b.is_ascii_hexdigit()))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// [`AudFit`] of the token's audiences against the request's URL.
fn aud_fit(o: &crate::Observations) -> AudFit {
    let Some(t) = o.token.as_ref() else {
        return AudFit::Unknown;
    };
    let auds = t.decoded.audiences();
    // The host; on this machine, where each port is another server, its
    // port too.
    let place = |u: &url::Url| {
        let host = u.host_str()?.to_ascii_lowercase();
        let port = crate::facts::is_loopback(u).then(|| u.port_or_known_default());
        Some((host, port))
    };
    let request_place = url::Url::parse(&o.spec.url).ok().and_then(|u| place(&u));
    for aud in &auds {
        let aud_place = url::Url::parse(aud).ok().and_then(|u| place(&u));
        if aud_place.is_some() && aud_place == request_place {
            return AudFit::NamesThis(format!(
                "the token's aud {aud:?} is the host the request was sent to: its audience is most likely this API's"
            ));
        }
    }
    let ours = distinctive_words(&o.spec.url);
    let theirs: Vec<String> = auds.iter().flat_map(|a| distinctive_words(a)).collect();
    if let Some(shared) = theirs.iter().find(|w| ours.contains(w)) {
        return AudFit::NamesThis(format!(
            "the token's aud {auds:?} names `{shared}`, as the URL it was sent to does: its audience is most likely this API's"
        ));
    }
    if ours.is_empty() || theirs.is_empty() {
        return AudFit::Unknown;
    }
    // The URL's own words are not quoted: a path may carry a key.
    AudFit::NamesOther(format!(
        "the token's aud {auds:?} names {}, none of which the URL it was sent to names: the token was most likely issued for another API",
        theirs.join(", ")
    ))
}

/// The token's `iss`, as evidence quotes it: `(none)` where it has none.
fn issuer_named(t: &crate::observations::TokenFacts) -> &str {
    t.decoded
        .claim("iss")
        .and_then(Value::as_str)
        .unwrap_or("(none)")
}

/// Whether the refusal is the server's token check's: a 401, or a 403
/// that a forged copy of the token got too ([`crate::rules::
/// refused_as_forged`]).
fn refused_by_token_check(o: &crate::Observations) -> bool {
    o.status() == 401 || crate::rules::refused_as_forged(o) == Some(true)
}

/// Whether the server's words name a cause. After a 403 that a forged
/// copy of the token got too, a word of permission ("Forbidden") is only
/// the status's own: it names none.
fn names_a_cause(w: &Witnesses<'_>) -> bool {
    match crate::rules::refused_as_forged(w.o) {
        Some(true) => w.names_authentication(),
        _ => w.named().is_some(),
    }
}

/// Whether a token that passes every check that can be made here was
/// refused by the server's token check in words that name no cause, and
/// no fresh token was taken instead: what is left to infer from is the
/// token itself ([`issuer_unknown`], [`audience_unknown`]).
fn refused_unexplained(w: &Witnesses<'_>) -> bool {
    let o = w.o;
    o.token_passes() && refused_by_token_check(o) && !names_a_cause(w) && !o.fresh_token_accepted()
}

/// The experiment's sentence, where a 403 was given to a forged copy of
/// the token as well.
fn forged_alike_line(o: &crate::Observations) -> Option<String> {
    (crate::rules::refused_as_forged(o) == Some(true)).then(|| {
        format!(
            "experiment: without the token the server asks for credentials (401), and {} is refused with the same 403: the server refuses this token as it refuses a forged one, at its token check",
            crate::rules::forged_copy(o)
        )
    })
}

/// [`TokenIssuerMismatch`] where nobody named what the API expects, the
/// server refuses a token that passes every check that can be made
/// without that (a 401 that names no cause), and the token's audience
/// names this API ([`AudFit::NamesThis`]): the issuer is what is left.
/// Low: the server's configured issuer is not known.
fn issuer_unknown(w: &Witnesses<'_>, fix: (Effort, String)) -> Option<Finding> {
    let o = w.o;
    let t = o.token.as_ref()?;
    if o.expected.issuer.is_some()
        || o.expected.audience.is_some()
        || !refused_unexplained(w)
        // Past its exp, if only within the leeway assumed here: the
        // expiry explains the refusal ([`unvouched_issuer`] alike).
        || past_its_exp(w)
    {
        return None;
    }
    let AudFit::NamesThis(fits) = aud_fit(o) else {
        return None;
    };
    let iss = issuer_named(t);
    let mut ev = vec![o.passes_line(), fits, format!("the token's iss is {iss:?}")];
    ev.extend(forged_alike_line(o));
    ev.extend(w.words.clone());
    Some(finding(
        Cause::TokenIssuerMismatch,
        Likelihood::Low,
        "The token passes every check that can be made without knowing what the API expects, and its audience names this API, yet the server refuses it without saying why: an issuer the API does not trust (another tenant, realm or environment) is what is left.".into(),
        ev,
        vec![
            fix,
            (Effort::Easy, "Give --issuer (and --audience) with the values the API is configured to expect, to compare the token with them.".to_owned()),
        ],
    ))
}

/// [`TokenIssuerMismatch`] where nobody named the issuer the server
/// trusts: a token that passes every check at its own issuer, refused by
/// the server as an invalid token (its challenge's `invalid_token`, or
/// words that say only that it could not be validated, or that its
/// signature or key is wrong), with no experiment made.
fn unvouched_issuer(w: &Witnesses<'_>, fix: (Effort, String)) -> Option<Finding> {
    let o = w.o;
    // The server's words alone may say it: it has no key for this token,
    // or the signature fails with its keys, where the token's own issuer
    // publishes the key and the signature verifies with it. Said so, the
    // status matters less (@fastify/jwt answers 500 for a key it lacks).
    let key_refused = w.refuses_key();
    // Or the experiments say it: the server fails (500) on the token, at
    // finding its key, and refuses the request without it.
    let fails_at_key = crate::rules::fails_at_the_key(o);
    if o.expected.issuer.is_some()
        || o.retry.attempted
        || !o.token_passes()
        || (o.status() != 401 && key_refused.is_none() && !fails_at_key)
    {
        return None;
    }
    let invalid = w
        .bearer
        .as_ref()
        .is_some_and(|b| b.error == Some(BearerError::InvalidToken));
    let words_fit = match w.named() {
        None => true,
        Some(s) => matches!(
            s.cause,
            Some(Cause::TokenSignatureInvalid | Cause::TokenUnknownKey)
        ),
    };
    if !(words_fit && (invalid || key_refused.is_some() || fails_at_key)) {
        return None;
    }
    // A token past its exp, if only within the leeway assumed here, is
    // refused as an invalid token by most libraries for that alone: the
    // expiry explains the refusal, where no word names the key.
    if past_its_exp(w) && key_refused.is_none() && !fails_at_key {
        return None;
    }
    // A token whose audience names another API than the one it was sent
    // to, refused in words that name no key: its audience explains the
    // refusal as well, and more likely ([`audience_unknown`] says so).
    if key_refused.is_none()
        && !fails_at_key
        && o.expected.audience.is_none()
        && matches!(aud_fit(o), AudFit::NamesOther(_))
    {
        return None;
    }
    // A token for its own client: the audience rule explains that better
    // (where nobody named the API's audience either).
    let t = o.token.as_ref()?;
    if o.expected.audience.is_none() && own_client_audience(t).is_some() {
        return None;
    }
    let iss = issuer_named(t);
    let kid = t.decoded.kid().unwrap_or("(none)");
    let mut ev = vec![format!(
        "the token verifies with the published keys of its own issuer, {iss}, and its times check out"
    )];
    if fails_at_key {
        ev.push(format!(
            "yet the server fails on it (500), and refuses the same request without it ({}): the token made it fail",
            o.bare_status.unwrap_or(0)
        ));
        ev.push(format!(
            "experiment: the same token with its signature broken fails the same way (500): the server fails before it checks a signature, at finding the token's key `{kid}`, which its key set lacks"
        ));
    } else {
        ev.push("yet the server refuses it as an invalid token: it verifies with other keys than that issuer's".to_owned());
    }
    ev.push("nobody said which issuer the server trusts: give --issuer to check the token against it, and to try a fresh token from it".to_owned());
    ev.extend(w.words.clone());
    let mut f = finding(
        Cause::TokenIssuerMismatch,
        Likelihood::Medium,
        "The server refuses a token its own issuer vouches for: it most likely trusts another issuer (another tenant, realm or environment).".to_owned(),
        ev,
        vec![
            fix,
            (
                Effort::Medium,
                "If the server should trust this issuer, check its configured issuer (the exact string) and that its key set is this issuer's, with the current keys.".to_owned(),
            ),
        ],
    );
    f.witnesses
        .agree
        .push("the token's own checks, at its issuer".into());
    if invalid {
        f.witnesses
            .agree
            .push("the server's challenge (invalid_token)".into());
    }
    if let Some(s) = key_refused {
        f.witnesses
            .agree
            .push(format!("the server's words ({})", s.family));
    }
    if fails_at_key {
        f.witnesses.agree.push(
            "experiments: without the token, refused; with its signature broken, the same failure"
                .into(),
        );
        let (effort, action) = answer_401_not_500("a token whose key it cannot find");
        f.fixes.push(crate::Fix { effort, action });
    }
    Some(f)
}

/// Where the page had a newer access token than the expired one it sent
/// ([`newer_token_in_session`]): that said in `ev`, and the fixes it calls
/// for (none otherwise: the cause's own then).
fn newer_token_said(o: &crate::Observations, ev: &mut Vec<String>) -> Vec<(Effort, String)> {
    let Some(entry) = newer_token_in_session(o) else {
        return Vec::new();
    };
    ev.push(format!(
        "the page had been handed a newer access token (HAR entry {entry}), yet sent this older one"
    ));
    vec![
        (
            Effort::Easy,
            "Send the access token the page got last: it keeps (or reads from storage) the one it had before refreshing.".to_owned(),
        ),
        (Effort::Easy, Cause::TokenExpired.fix().to_owned()),
    ]
}

/// Where a browser session had handed the page a newer access token
/// before the request, and the request sent another one: the entry that
/// handed the newer one out.
fn newer_token_in_session(o: &crate::Observations) -> Option<usize> {
    let sent = o.token.as_ref()?.raw.expose();
    let s = o.spec.session.as_ref()?;
    let (_, newest, entry) = s
        .issued
        .iter()
        .filter(|(k, _, _)| k == "access_token")
        .max_by_key(|(_, _, e)| *e)?;
    (newest.expose() != sent).then_some(*entry)
}

/// `token.audience_mismatch`.
pub struct TokenAudienceMismatch;

impl Rule for TokenAudienceMismatch {
    fn cause(&self) -> Cause {
        Cause::TokenAudienceMismatch
    }

    fn find(&self, w: &Witnesses<'_>, _: &[Finding]) -> Option<Finding> {
        let aud =
            w.o.expected
                .audience
                .as_ref()
                .map(|(a, _)| a.clone())
                .or_else(|| {
                    w.says(Cause::TokenAudienceMismatch)
                        .and_then(|s| s.expected_audience.clone())
                })
                .unwrap_or_else(|| "<the API's identifier>".into());
        let o = w.o;
        // The opaque access token a page asked for without naming the API
        // (a browser session shows it): the identity provider handed out
        // one for its own use (its userinfo), which the API cannot read.
        if let (Some(said), Some(_), 401 | 403) =
            (asked_for_no_audience(o), &o.opaque_token, o.answered())
        {
            let names_other = w.named().is_some_and(|s| {
                !matches!(
                    s.cause,
                    Some(
                        Cause::TokenMalformed
                            | Cause::TokenWrongType
                            | Cause::TokenAlgRejected
                            | Cause::TokenAudienceMismatch
                    )
                )
            });
            if !names_other {
                let mut ev = vec![
                    "the token is opaque (not a JWT), and the session handed it out as the access token".to_owned(),
                    said,
                ];
                ev.extend(w.words.clone());
                let mut f = finding(
                    Cause::TokenAudienceMismatch,
                    Likelihood::High,
                    "The page asked for its token without naming this API (no audience or resource), so the identity provider handed it an opaque token for its own use (its userinfo), which this API cannot read.".into(),
                    ev,
                    vec![(Effort::Easy, format!(
                        "Ask for the token for this API: its identifier as `audience` (Auth0) or RFC 8707 `resource` in the authorization request ({aud})."
                    ))],
                );
                f.witnesses.agree.push("the browser session (HAR)".into());
                return Some(f);
            }
        }
        // Nothing says what the API's audience is, but the token's own
        // `aud` is the client itself: an access token asked for without the
        // API's audience (or an ID token), and the server refuses it.
        if o.expected.audience.is_none() && failed(w, Cause::TokenAudienceMismatch).is_none() {
            if let Some((t, (auds, client))) = o
                .token
                .as_ref()
                .and_then(|t| Some((t, own_client_audience(t)?)))
            {
                if t.at_server.valid && w.named().is_none() {
                    let mut ev = vec![format!(
                        "the token's aud is {auds:?}, its own client ({client}); an API's audience is usually the API's identifier"
                    )];
                    ev.extend(w.words.clone());
                    return Some(finding(
                        Cause::TokenAudienceMismatch,
                        Likelihood::Medium,
                        "The token's audience is the client itself, not this API: it was requested without the API's audience.".into(),
                        ev,
                        vec![(Effort::Easy, format!("Request the token with this API's identifier as `audience` or RFC 8707 `resource` ({aud}); give --audience to check it here."))],
                    ));
                }
            }
        }
        checked_or_said(
            w,
            Cause::TokenAudienceMismatch,
            "The token was issued for another audience, not this API.",
            vec![(
                Effort::Easy,
                format!(
                    "Request the token for this API: add `resource={aud}` (RFC 8707) or `audience={aud}` to the token request."
                ),
            )],
        )
        .or_else(|| audience_unknown(w))
        .map(|mut f| {
            if let Some(said) = asked_for_no_audience(o) {
                f.evidence.push(said);
                f.witnesses.agree.push("the browser session (HAR)".into());
            }
            f
        })
    }
}

/// Where the browser session (a HAR) handed out the token sent as its
/// access token, and the token request named no `audience` or `resource`:
/// which request that was.
fn asked_for_no_audience(o: &crate::Observations) -> Option<String> {
    let s = o.spec.session.as_ref()?;
    let sent = o.sent_token()?;
    let (_, _, entry) = s
        .issued
        .iter()
        .find(|(k, t, _)| k == "access_token" && t.expose() == sent)?;
    let tr = s
        .token_requests
        .iter()
        .find(|tr| tr.entry == *entry && tr.resource.is_none() && tr.resource_known)?;
    let grant = tr.grant.as_deref().unwrap_or("?");
    Some(format!(
        "the token request that got this token (HAR entry {entry}, grant_type={grant} at {}) named no `audience` or `resource`{}",
        crate::facts::display_url(&tr.url),
        match grant {
            "authorization_code" => ", nor did its authorization request",
            _ => "",
        }
    ))
}

/// Nothing says what audience the API expects (no --audience, no
/// metadata, no words), the token passes every check that can be made
/// without it, and a 401 names no cause: a token for another audience is
/// the commonest reason an API refuses a valid token, so it is named, at
/// low likelihood, with how to check it (`server.misconfigured` is the
/// suspect only once the token's audience and issuer are known good).
fn audience_unknown(w: &Witnesses<'_>) -> Option<Finding> {
    let o = w.o;
    let t = o.token.as_ref()?;
    if o.expected.audience.is_some() || !refused_unexplained(w) {
        return None;
    }
    let auds = t.decoded.audiences();
    let mut ev = vec![
        o.passes_line(),
        if auds.is_empty() {
            "the token has no aud: a server that requires one refuses it".to_owned()
        } else {
            format!("the token's aud is {auds:?}")
        },
    ];
    if let Some(iss) = t.decoded.claim("iss").and_then(|v| v.as_str()) {
        ev.push(format!("the token's iss is {iss:?}"));
    }
    if let AudFit::NamesOther(said) = aud_fit(o) {
        ev.push(said);
    }
    ev.extend(forged_alike_line(o));
    // The page signs in at the token's own issuer: the audience is left.
    let page = match page_issuer(o) {
        Some(PageIssuer::Token(said)) => Some(said),
        _ => None,
    };
    let likelihood = match page {
        Some(said) => {
            ev.push(said);
            Likelihood::Medium
        }
        None => Likelihood::Low,
    };
    ev.extend(w.words.clone());
    Some(finding(
        Cause::TokenAudienceMismatch,
        likelihood,
        "The token passes every check that can be made without knowing what the API expects, and the server says nothing of why: a token issued for another audience (or by an issuer the API does not trust) is the commonest reason for that.".into(),
        ev,
        vec![
            (Effort::Easy, "Give --audience (and --issuer) with the values the API is configured to expect, to compare the token with them.".to_owned()),
            (Effort::Easy, "Request the token for this API: its identifier as `audience`, or as RFC 8707 `resource`, in the token request.".to_owned()),
        ],
    ))
}

/// `token.wrong_type`: an ID token, a refresh token or another opaque value
/// sent as an access token.
pub struct TokenWrongType;

impl Rule for TokenWrongType {
    fn cause(&self) -> Cause {
        Cause::TokenWrongType
    }

    fn find(&self, w: &Witnesses<'_>, _: &[Finding]) -> Option<Finding> {
        let o = w.o;
        // The browser session handed this very token out as something else.
        let sent = o.sent_token();
        if let (Some(sent), Some(s)) = (sent, o.spec.session.as_ref()) {
            if let Some((kind, t, entry)) = s
                .issued
                .iter()
                .find(|(k, t, _)| k != "access_token" && t.expose() == sent)
            {
                let mut ev = vec![format!(
                    "the token endpoint's answer at entry {entry} of the session handed this token out as its {kind} ({})",
                    t.masked()
                )];
                if let Some(tr) = &s.token_request {
                    ev.push(format!(
                        "grant_type={} at {}",
                        tr.grant.as_deref().unwrap_or("?"),
                        crate::facts::display_url(&tr.url)
                    ));
                }
                ev.extend(w.words.clone());
                let mut f = finding(
                    Cause::TokenWrongType,
                    Likelihood::High,
                    format!(
                        "The {} was sent as the access token.",
                        kind.replace('_', " ")
                    ),
                    ev,
                    vec![(
                        Effort::Easy,
                        "Send the access_token of the token response, not the refresh or ID token."
                            .into(),
                    )],
                );
                f.witnesses.agree.push("the browser session (HAR)".into());
                return Some(f);
            }
        }
        // An opaque token the issuer's own introspection calls a refresh or
        // ID token (Ory Hydra's token_use, Keycloak's typ, a token_type
        // naming one): active, but no API's credential.
        if o.opaque_token.is_some() && o.introspected_active() == Some(true) {
            let said = o
                .introspection_answer()
                .and_then(authdoctor_jose::check::declared_kind);
            if let Some(kind) = said {
                let mut ev = vec![format!(
                    "the issuer's introspection answer: active, {kind}: not an access token"
                )];
                ev.extend(w.words.clone());
                let mut f = finding(
                    Cause::TokenWrongType,
                    Likelihood::High,
                    "The token is a refresh token (or an ID token), by its issuer's own introspection answer: APIs take access tokens.".into(),
                    ev,
                    vec![(
                        Effort::Easy,
                        "Send the access_token of the token response; use the refresh token only at the token endpoint."
                            .into(),
                    )],
                );
                f.witnesses.agree.push("the issuer's introspection".into());
                return Some(f);
            }
        }
        // An opaque value at a server that only reads JWTs: it calls it
        // malformed, or refuses the algorithm of a header it does not have.
        // (Not the access token a page asked for without naming the API:
        // the audience rule speaks for that one.)
        if o.opaque_token.is_some() && asked_for_no_audience(o).is_none() {
            if let Some(s) = w
                .says(Cause::TokenMalformed)
                .or_else(|| w.says(Cause::TokenWrongType))
                .or_else(|| w.says(Cause::TokenAlgRejected))
            {
                let mut ev = vec!["the token is opaque (not a JWT)".to_owned(), w.quote(s)];
                ev.extend(w.words.clone());
                let mut f = finding(
                    Cause::TokenWrongType,
                    Likelihood::High,
                    "An opaque token was sent to an API that only reads JWTs: most likely a refresh token, or a reference token meant for another API.".into(),
                    ev,
                    vec![(Effort::Easy, "Send the access token (a JWT for this API), not the refresh token; or ask the issuer for JWT access tokens for this API's audience.".into())],
                );
                f.witnesses.agree.push("the token's shape".into());
                f.witnesses
                    .agree
                    .push(format!("the server's words ({})", s.family));
                return Some(f);
            }
        }
        // An opaque token refused without a word on authentication (a bare
        // "Forbidden" is none), where a fresh JWT access token was accepted:
        // the API takes JWTs only.
        if o.opaque_token.is_some() && !w.names_authentication() {
            let fresh_jwt_accepted = o.fresh_token_accepted()
                && o.retry.fresh.as_ref().is_some_and(|d| d.header.is_some());
            let active = o.introspected_active();
            if fresh_jwt_accepted || (active == Some(true) && !o.retry.attempted) {
                let mut ev = vec!["the token is opaque (not a JWT)".to_owned()];
                if active == Some(true) {
                    ev.push(
                        "introspection says it is active, so it is good for its own audience"
                            .into(),
                    );
                }
                if fresh_jwt_accepted {
                    ev.push("a fresh JWT access token was accepted".into());
                }
                ev.extend(w.words.clone());
                let mut f = finding(
                    Cause::TokenWrongType,
                    if fresh_jwt_accepted { Likelihood::High } else { Likelihood::Medium },
                    "An opaque token was sent to an API that takes JWT access tokens: a refresh token, or a reference token meant for another API.".into(),
                    ev,
                    vec![(Effort::Easy, "Send a JWT access token issued for this API (request it with this API's audience), not the refresh or reference token.".into())],
                );
                f.witnesses.agree.push("the token's shape".into());
                if fresh_jwt_accepted {
                    f.witnesses
                        .agree
                        .push("experiment: a fresh JWT was accepted".into());
                }
                return Some(f);
            }
        }
        // An opaque token the server fails on (500), where it refuses the
        // request without it: a token check that parses JWTs threw on it.
        if o.opaque_token.is_some() && crate::rules::fails_on_the_token(o) && !o.retry.attempted {
            let mut ev = vec![
                "the token is opaque (not a JWT)".to_owned(),
                format!(
                    "the server fails on it (500), and refuses the same request without it ({}): the token made it fail",
                    o.bare_status.unwrap_or(0)
                ),
            ];
            ev.extend(w.words.clone());
            let mut f = finding(
                Cause::TokenWrongType,
                Likelihood::Medium,
                "The server fails on an opaque token: its token check reads JWT access tokens, and this is a refresh token or a reference token (one issued without this API's audience).".into(),
                ev,
                vec![
                    (Effort::Easy, SEND_A_JWT.into()),
                    answer_401_not_500("a token it cannot read"),
                ],
            );
            f.witnesses.agree.push("the token's shape".into());
            f.witnesses
                .agree
                .push("experiment: without the token, refused".into());
            return Some(f);
        }
        // An opaque token refused by a 401 that names no cause, and
        // nothing to judge it by (no introspection answer, no experiment):
        // most APIs read JWT access tokens only, so the wrong kind of token
        // is the likelier reading; said at low likelihood, with the way to
        // tell (an API that introspects opaque tokens is the other).
        if opaque_bearer_unjudged(w) {
            let mut ev = vec![
                "the token is opaque (not a JWT), and the server's answer names no cause".to_owned(),
                "most APIs read JWT access tokens only; one that introspects opaque tokens would refuse this one only if it is inactive or for another audience".to_owned(),
            ];
            ev.extend(forged_alike_line(o));
            ev.extend(w.words.clone());
            let mut f = finding(
                Cause::TokenWrongType,
                Likelihood::Low,
                "An opaque token was refused without a reason: most likely the API takes JWT access tokens, and this is a refresh token or a reference token (one issued without this API's audience).".into(),
                ev,
                vec![
                    (Effort::Easy, SEND_A_JWT.into()),
                    (Effort::Easy, "If this API introspects opaque tokens, ask the issuer whether this one is active: give --issuer, --client-id and the client's secret (AUTHDOCTOR_CLIENT_SECRET).".into()),
                ],
            );
            f.witnesses.agree.push("the token's shape".into());
            return Some(f);
        }
        checked_or_said(
            w,
            Cause::TokenWrongType,
            "The token is not an access token (an ID token or a refresh token was sent).",
            vec![],
        )
    }
}

/// The server's own fix where it fails (500) on a token it should refuse
/// (`what` it fails on).
fn answer_401_not_500(what: &str) -> (Effort, String) {
    (
        Effort::Medium,
        format!(
            "Have the API answer 401 with error=\"invalid_token\" for {what} (RFC 6750 §3.1), not 500: its clients then know to get another token."
        ),
    )
}

/// The fix for an opaque token where a JWT access token is wanted.
const SEND_A_JWT: &str = "Send a JWT access token issued for this API: request it with this API's identifier as `audience` (or RFC 8707 `resource`); an issuer that gets none hands out an opaque token.";

/// An opaque token sent as Bearer, to a server that asks for Bearer or
/// for nothing, refused by a 401 that names no cause, with nothing to
/// judge it by (no introspection answer, no experiment). Two readings fit:
/// a JWT-only API given the wrong kind of token (the wrong-type rule's),
/// and an API that looks its tokens up and does not know this one (the
/// invalid-credentials rule's). Not a key under a scheme of its own
/// (`Token`, Okta's `SSWS`): no JWT gone astray.
pub(crate) fn opaque_bearer_unjudged(w: &Witnesses<'_>) -> bool {
    let o = w.o;
    let sent_bearer = o
        .authorization
        .as_ref()
        .and_then(|c| c.scheme.as_deref())
        .is_some_and(|s| s.eq_ignore_ascii_case("bearer"));
    o.opaque_token.is_some()
        && sent_bearer
        && (o.challenges.is_empty() || o.challenges.iter().any(|c| c.is("Bearer")))
        && (o.answered() == 401 || crate::rules::refused_as_forged(o) == Some(true))
        && !names_a_cause(w)
        && o.introspected_active().is_none()
        && !o.retry.attempted
}

/// `token.scope_insufficient`: from the token's checks or the challenge;
/// an opaque token's introspected scope against what the route names; a
/// read scope on a write method when the server says nothing.
pub struct TokenScopeInsufficient;

impl Rule for TokenScopeInsufficient {
    fn cause(&self) -> Cause {
        Cause::TokenScopeInsufficient
    }

    fn at_token_endpoint(&self) -> bool {
        true
    }

    fn find(&self, w: &Witnesses<'_>, _: &[Finding]) -> Option<Finding> {
        let mut f = scope_insufficient(w)?;
        // The experiment found the server compares the scope claim whole:
        // the token it needs carries that scope and no other.
        if let Some((asked, needed)) = &w.o.retry.scope_narrowed {
            f.evidence.push(format!(
                "experiment: a fresh token with scope {asked:?} was refused too, and one with scope {needed:?} alone was accepted: the server compares the scope claim as one string"
            ));
            f.fixes.push(Fix {
                effort: Effort::Medium,
                action: format!(
                    "The server requires the scope claim to be exactly {needed:?}, so a token that carries other scopes beside it is refused (RFC 6749 makes scope a space-separated list). Match one scope within the list in the server's rule, or ask for tokens with that scope alone."
                ),
            });
        }
        Some(f)
    }
}

/// [`TokenScopeInsufficient`]'s reading of the witnesses.
fn scope_insufficient(w: &Witnesses<'_>) -> Option<Finding> {
    let o = w.o;
    if o.token_request_grant.is_some() {
        let (err, _) = o.body_error.as_ref()?;
        if err != "invalid_scope" {
            return None;
        }
        let mut ev = super::token_endpoint::evidence(o);
        ev.extend(w.words.clone());
        return Some(finding(
            Cause::TokenScopeInsufficient,
            Likelihood::High,
            "The client asked for a scope it may not have (invalid_scope).".into(),
            ev,
            vec![],
        ));
    }
    let wanted = o
        .expected
        .scopes
        .as_ref()
        .map(|(s, _)| s.join(" "))
        .unwrap_or_default();
    // A registry's token is asked of its token service with the scope
    // its challenge names.
    let fixes = vec![(
        Effort::Easy,
        match w.bearer.as_ref().and_then(super::header::registry_token) {
            Some(how) => format!(
                "The token does not grant `{wanted}`; ask for one that does (a user allowed that access). {how}"
            ),
            None => format!(
                "Request the token with `scope={wanted}`, and check the client is allowed that scope."
            ),
        },
    )];
    if let Some(f) = checked_or_said(
        w,
        Cause::TokenScopeInsufficient,
        "The token lacks a scope the endpoint needs.",
        fixes.clone(),
    ) {
        return Some(f);
    }
    if w.bearer.as_ref().and_then(|b| b.error.clone()) == Some(BearerError::InsufficientScope) {
        let mut ev = vec![format!(
            "the challenge says insufficient_scope{}",
            if wanted.is_empty() {
                String::new()
            } else {
                format!(" and names scope={wanted}")
            }
        )];
        ev.extend(w.words.clone());
        return Some(finding(
            Cause::TokenScopeInsufficient,
            Likelihood::High,
            "The token lacks a scope the endpoint needs.".into(),
            ev,
            fixes,
        ));
    }
    // An opaque token the issuer says is active: compare its scope.
    let active = o
        .introspection_answer()
        .filter(|v| v.get("active") == Some(&Value::Bool(true)));
    if let (Some(v), Some((need, _))) = (active, &o.expected.scopes) {
        let has: Vec<&str> = v
            .get("scope")
            .and_then(Value::as_str)
            .unwrap_or("")
            .split(' ')
            .collect();
        let missing: Vec<&String> = need.iter().filter(|s| !has.contains(&s.as_str())).collect();
        if !missing.is_empty() {
            let mut ev = vec![
                format!(
                    "introspection: the token is active with scope {:?}",
                    has.join(" ")
                ),
                format!(
                    "the route needs {}",
                    missing
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
            ];
            ev.extend(w.words.clone());
            return Some(finding(
                Cause::TokenScopeInsufficient,
                Likelihood::High,
                "The token is active but lacks a scope the route needs.".into(),
                ev,
                fixes,
            ));
        }
    }
    // A token whose scopes do not fit the method, refused without a
    // word: read scopes only on a method that writes, or none that
    // reads on one that only reads.
    if let Some((scope, writes)) = scope_misfits_method(w) {
        let (has, does, wants) = if writes {
            ("read scopes only", "writes", "write")
        } else {
            ("no scope that reads", "reads", "read")
        };
        let mut ev = vec![
            format!("the token's scope is {scope:?}: {has}"),
            format!("the request is a {}, which {does}", o.spec.method),
        ];
        ev.extend(w.words.clone());
        return Some(finding(
            Cause::TokenScopeInsufficient,
            Likelihood::Medium,
            format!("The token carries {has}, and {} {does}.", o.spec.method),
            ev,
            vec![(
                Effort::Easy,
                format!("Request the token with the {wants} scope of this API as well."),
            )],
        ));
    }
    None
}

/// A valid token's `scope`, where a 403 that names no cause refuses a
/// method its scopes do not fit: `true`, read scopes only on a method that
/// writes; `false`, no scope that reads on one that only reads.
pub(super) fn scope_misfits_method(w: &Witnesses<'_>) -> Option<(String, bool)> {
    let o = w.o;
    // Words that name an authentication cause speak instead; a bare
    // "Forbidden" names only the refusal.
    if w.names_authentication() || o.answered() != 403 {
        return None;
    }
    // Every shape a token grants scopes in (`scope`, `scp`, an array of
    // them, `permissions`).
    let granted = authdoctor_jose::check::granted_scopes(
        o.token
            .as_ref()
            .filter(|t| t.at_server.valid)?
            .decoded
            .claims
            .as_ref()?,
    );
    if granted.is_empty() {
        return None;
    }
    let scope = granted.join(" ");
    let scopes: Vec<String> = granted.iter().map(|s| s.to_ascii_lowercase()).collect();
    let reads =
        |s: &str| s.contains("read") || s.ends_with(":get") || s == "openid" || s == "profile";
    let writes = |s: &str| {
        ["write", "delete", "create", "update", "manage", "admin"]
            .iter()
            .any(|v| s.contains(v))
    };
    if !o.spec.is_safe() && scopes.iter().all(|s| reads(s)) {
        Some((scope, true))
    } else if o.spec.is_safe() && scopes.iter().all(|s| !reads(s) && writes(s)) {
        Some((scope, false))
    } else {
        None
    }
}

/// `token.revoked`: active false at introspection, or the server's words.
pub struct TokenRevoked;

impl Rule for TokenRevoked {
    fn cause(&self) -> Cause {
        Cause::TokenRevoked
    }

    fn find(&self, w: &Witnesses<'_>, _: &[Finding]) -> Option<Finding> {
        let o = w.o;
        let active = o.introspected_active();
        if o.opaque_token.is_some() && active == Some(false) {
            let mut ev = vec![
                "the token is opaque; introspection (RFC 7662) at its issuer answers active: false"
                    .to_owned(),
            ];
            ev.extend(w.words.clone());
            return Some(finding(
                Cause::TokenRevoked,
                Likelihood::High,
                "The issuer says the token is not active: revoked, expired, or unknown to it."
                    .into(),
                ev,
                vec![],
            ));
        }
        let mut ev = Vec::new();
        let likelihood = match (&o.token, active) {
            (Some(t), Some(false)) if t.at_server.valid => {
                ev.push("introspection (RFC 7662) answers active: false".to_owned());
                ev.push(
                    "the token's signature, times, issuer and audience all check out".to_owned(),
                );
                Likelihood::High
            }
            (Some(t), None) if t.at_server.valid && w.says(Cause::TokenRevoked).is_some() => {
                ev.push("the server's words speak of an inactive or revoked token".to_owned());
                Likelihood::Medium
            }
            (None, None) if o.opaque_token.is_some() && w.says(Cause::TokenRevoked).is_some() => {
                ev.push("the server's words speak of an inactive or revoked token".to_owned());
                Likelihood::Medium
            }
            _ => return None,
        };
        ev.extend(w.words.clone());
        Some(finding(Cause::TokenRevoked, likelihood, "The token is well formed and unexpired, but the issuer says it is no longer active (revoked, or the session ended).".into(), ev, vec![]))
    }
}

/// `token.binding_required` (RFC 9449 DPoP). A DPoP challenge beside a
/// Bearer one means the resource accepts either (§7.1): binding is the
/// cause only when the token is bound and sent as Bearer, when the
/// resource offers DPoP alone, when the error is about the proof, or when
/// `Authorization: DPoP` went without a `DPoP` proof.
pub struct TokenBindingRequired;

impl Rule for TokenBindingRequired {
    fn cause(&self) -> Cause {
        Cause::TokenBindingRequired
    }

    fn find(&self, w: &Witnesses<'_>, _: &[Finding]) -> Option<Finding> {
        let o = w.o;
        let sent = o
            .authorization
            .as_ref()
            .and_then(|c| c.scheme.clone())
            .unwrap_or_default();
        let dpop_offered = o.challenges.iter().any(|c| c.is("DPoP"));
        let bearer_offered = o.challenges.iter().any(|c| c.is("Bearer"));
        let proof_error = o.challenges.iter().any(|c| {
            matches!(
                c.param("error"),
                Some("invalid_dpop_proof" | "use_dpop_nonce")
            )
        }) || o
            .body_error
            .as_ref()
            .is_some_and(|(e, _)| e == "invalid_dpop_proof" || e == "use_dpop_nonce");
        let bound = o.token.as_ref().and_then(|t| {
            let cnf = t.decoded.claim("cnf")?;
            if cnf.get("jkt").is_some() {
                Some("cnf.jkt (a DPoP key)")
            } else if cnf.get("x5t#S256").is_some() {
                Some("cnf.x5t#S256 (a client certificate)")
            } else {
                None
            }
        });
        let no_proof = sent.eq_ignore_ascii_case("dpop") && o.spec.header("dpop").is_none();
        let mut ev = Vec::new();
        let summary;
        if proof_error {
            ev.push(
                "the server's error is about the DPoP proof (invalid_dpop_proof or use_dpop_nonce)"
                    .to_owned(),
            );
            summary = "The DPoP proof is missing, invalid, or lacks the server's nonce.".to_owned();
        } else if no_proof {
            ev.push("`Authorization: DPoP …` was sent without a `DPoP` proof header".to_owned());
            summary = "The DPoP scheme was used without a DPoP proof: each request needs a `DPoP` header signed with the token's key.".to_owned();
        } else if let (Some(b), true, true) = (
            bound,
            sent.eq_ignore_ascii_case("bearer"),
            bound.is_some_and(|b| b.starts_with("cnf.x5t")),
        ) {
            // Bound to a client certificate (RFC 8705): sent as Bearer is
            // right, over mutual TLS with that certificate.
            ev.push(format!("the token is bound by {b}"));
            summary = if o.spec.client_cert.is_some() {
                ev.push(
                    "a client certificate was presented, and the server refused it for this token"
                        .to_owned(),
                );
                "The token is bound to a client certificate, and the one presented is not it."
                    .to_owned()
            } else {
                ev.push("the request presented no client certificate".to_owned());
                "The token is bound to a client certificate (RFC 8705): it passes only over mutual TLS with that certificate.".to_owned()
            };
            ev.extend(w.words.clone());
            return Some(finding(
                Cause::TokenBindingRequired,
                Likelihood::High,
                summary,
                ev,
                vec![(Effort::Easy, "Present the certificate the token was issued to: authdoctor diagnose --cert client.pem --key client.key … (curl --cert, --key); or get a token for the certificate you have, at a token endpoint over mutual TLS.".into())],
            ));
        } else if let (Some(b), true) = (bound, sent.eq_ignore_ascii_case("bearer")) {
            ev.push(format!("the token is bound by {b} and was sent as Bearer"));
            summary = "The token is sender-constrained: it must be sent with its proof of possession, not as a plain Bearer token.".to_owned();
        } else if dpop_offered && !bearer_offered && sent.eq_ignore_ascii_case("bearer") {
            ev.push(
                "the resource offers the DPoP scheme alone, and the request used Bearer".into(),
            );
            summary = "The resource wants a DPoP-bound token sent with the DPoP scheme and a proof of possession (RFC 9449).".to_owned();
        } else if let Some(s) = w.says(Cause::TokenBindingRequired) {
            ev.push(w.quote(s));
            summary =
                "The server says the token must be sent with its proof of possession.".to_owned();
        } else {
            return None;
        }
        ev.extend(w.words.clone());
        Some(finding(
            Cause::TokenBindingRequired,
            Likelihood::High,
            summary,
            ev,
            vec![(Effort::Medium, "Get the token with a DPoP proof at the token endpoint, then send `Authorization: DPoP <token>` with a `DPoP` proof header for each request.".into())],
        ))
    }
}

/// `stepup.required` (RFC 9470).
pub struct StepupRequired;

impl Rule for StepupRequired {
    fn cause(&self) -> Cause {
        Cause::StepupRequired
    }

    fn find(&self, w: &Witnesses<'_>, _: &[Finding]) -> Option<Finding> {
        let b = w.bearer.as_ref();
        let stepup =
            b.is_some_and(|b| b.error == Some(BearerError::InsufficientUserAuthentication));
        let said = w.says(Cause::StepupRequired);
        if !stepup && said.is_none() {
            return None;
        }
        let mut what = Vec::new();
        if let Some(b) = b {
            if !b.acr_values.is_empty() {
                what.push(format!("acr_values={}", b.acr_values.join(" ")));
            }
            if let Some(m) = b.max_age {
                what.push(format!("max_age={m}"));
            }
        }
        Some(finding(
            Cause::StepupRequired,
            if stepup {
                Likelihood::High
            } else {
                Likelihood::Medium
            },
            format!(
                "The server wants a stronger or fresher sign-in ({}).",
                if what.is_empty() {
                    "RFC 9470".to_owned()
                } else {
                    what.join(", ")
                }
            ),
            w.words.clone(),
            vec![(
                Effort::Medium,
                format!(
                    "Send the user through the authorization endpoint again with {} and use the new token.",
                    if what.is_empty() {
                        "prompt=login".to_owned()
                    } else {
                        what.join(" and ")
                    }
                ),
            )],
        ))
    }
}
