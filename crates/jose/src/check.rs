//! The checks a resource server makes on a JWT access token, each reported
//! on its own with the cause it would produce. Nothing here reads the
//! clock: `now` is an input, so the caller decides whether it is the local
//! clock or the server's `Date`.

use crate::alg::{Alg, Family};
use crate::crypto::{PublicMaterial, Verifier};
use crate::decode::Decoded;
use crate::jwk::JwkSet;
use crate::time::{rfc3339, span};
use authdoctor_causes::Cause;
use serde::Serialize;
use serde_json::Value;

/// What a server expects of a token.
#[derive(Clone, Debug)]
pub struct Policy {
    /// The time to judge `exp`, `nbf` and `iat` against, in seconds since
    /// the epoch.
    pub now: i64,
    /// The clock-skew allowance in seconds (60 by default, as most servers).
    pub leeway: u64,
    /// The issuer the server trusts.
    pub issuer: Option<String>,
    /// The audience the server expects in `aud`.
    pub audience: Option<String>,
    /// Other audiences the server accepts as its own (an API known by
    /// several identifiers): `aud` naming any of them passes too.
    pub other_audiences: Vec<String>,
    /// Scopes the endpoint needs.
    pub scopes: Vec<String>,
    /// The client id of the application, to recognise an ID token (whose
    /// `aud` is the client).
    pub client_id: Option<String>,
    /// Whether `typ: at+jwt` (RFC 9068) is required rather than advised.
    pub require_at_jwt: bool,
    /// Whether the token must carry an `exp` that ends its life (RFC 9068
    /// §2.2) rather than be advised to: a token with none, or with one in
    /// milliseconds (thousands of years away), fails instead of warning.
    /// A server's choice; the doctor, judging a server it did not
    /// configure, only warns.
    pub require_exp: bool,
    /// Whether a token issued in the future (`iat` past now by more than
    /// the leeway) fails rather than warns: a strict server's choice (the
    /// guard's; PyJWT and golang-jwt reject it too), as no honest issuer
    /// dates a token ahead of its own clock.
    pub reject_future_iat: bool,
    /// The algorithms accepted; `None` accepts any algorithm the key fits.
    pub algorithms: Option<Vec<Alg>>,
}

impl Policy {
    /// A policy that checks times at `now` with the usual 60 s leeway and
    /// nothing else.
    pub fn at(now: i64) -> Policy {
        Policy {
            now,
            leeway: 60,
            issuer: None,
            audience: None,
            other_audiences: Vec::new(),
            scopes: Vec::new(),
            client_id: None,
            require_at_jwt: false,
            require_exp: false,
            reject_future_iat: false,
            algorithms: None,
        }
    }
}

/// The keys a signature may be verified with.
#[derive(Clone, Copy, Debug, Default)]
pub struct Keys<'a> {
    /// The issuer's published keys.
    pub jwks: Option<&'a JwkSet>,
    /// A shared HMAC secret.
    pub secret: Option<&'a [u8]>,
}

/// The outcome of one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// It holds.
    Pass,
    /// It fails: a correct server rejects the token.
    Fail,
    /// It holds, but something deserves attention.
    Warn,
    /// It was not made (nothing to check against).
    Skip,
}

/// One check and its outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What was checked: `format`, `alg`, `signature`, `exp`, `nbf`, `iat`,
    /// `iss`, `aud`, `typ`, `scope`, `crit`, `key_source`.
    pub name: &'static str,
    /// Whether a correct server accepts the token on this account.
    pub ok: bool,
    /// The outcome.
    pub status: Status,
    /// The cause a failure (or warning) points at.
    pub cause: Option<Cause>,
    /// What was found, with the numbers, in a sentence.
    pub detail: String,
    /// What was found, typed: the numbers and values a reader (the doctor's
    /// rules, a script reading the JSON) would otherwise parse back out of
    /// the sentence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facts: Option<Facts>,
}

/// The typed outcome of the checks whose numbers matter to a reader.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Facts {
    /// `exp` is before `now` (by more than `leeway` when `beyond_leeway`).
    Expired {
        /// `exp`, seconds since the epoch.
        exp: i64,
        /// The instant judged at.
        now: i64,
        /// The allowance, seconds.
        leeway: u64,
        /// Whether it is past even the allowance.
        beyond_leeway: bool,
    },
    /// `nbf` is after `now` by more than `leeway`.
    NotYetValid {
        /// `nbf`.
        nbf: i64,
        /// The instant judged at.
        now: i64,
        /// The allowance, seconds.
        leeway: u64,
    },
    /// `iss` is not the issuer trusted.
    IssuerMismatch {
        /// The token's `iss`, if any.
        found: Option<String>,
        /// The issuer trusted.
        expected: String,
    },
    /// `aud` does not name the audience expected.
    AudienceMismatch {
        /// The token's audiences.
        found: Vec<String>,
        /// The audience expected.
        expected: String,
    },
}

impl std::fmt::Display for Facts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Facts::Expired {
                exp,
                now,
                leeway,
                beyond_leeway,
            } => {
                write!(
                    f,
                    "expired {} before {} (exp {}){}",
                    span((now - exp).max(0) as u64),
                    rfc3339(*now),
                    rfc3339(*exp),
                    if *beyond_leeway {
                        format!(", beyond the {leeway} s leeway")
                    } else {
                        format!(", within the {leeway} s leeway")
                    }
                )
            }
            Facts::NotYetValid { nbf, now, leeway } => write!(
                f,
                "not valid for another {} (nbf {}, now {}, {leeway} s leeway)",
                span((nbf - now).max(0) as u64),
                rfc3339(*nbf),
                rfc3339(*now)
            ),
            Facts::IssuerMismatch { found, expected } => write!(
                f,
                "iss {} where {expected:?} is trusted",
                found
                    .as_deref()
                    .map(|x| format!("{x:?}"))
                    .unwrap_or_else(|| "absent".into())
            ),
            Facts::AudienceMismatch { found, expected } => write!(
                f,
                "aud {} where {expected:?} is expected",
                if found.is_empty() {
                    "absent".to_owned()
                } else {
                    format!("{found:?}")
                }
            ),
        }
    }
}

impl Check {
    fn new(
        name: &'static str,
        status: Status,
        cause: Option<Cause>,
        detail: impl Into<String>,
    ) -> Check {
        Check {
            name,
            ok: status != Status::Fail,
            status,
            cause,
            detail: detail.into(),
            facts: None,
        }
    }

    fn with(mut self, facts: Facts) -> Check {
        self.facts = Some(facts);
        self
    }
    fn pass(name: &'static str, detail: impl Into<String>) -> Check {
        Check::new(name, Status::Pass, None, detail)
    }
    fn fail(name: &'static str, cause: Cause, detail: impl Into<String>) -> Check {
        Check::new(name, Status::Fail, Some(cause), detail)
    }
    fn warn(name: &'static str, cause: Option<Cause>, detail: impl Into<String>) -> Check {
        Check::new(name, Status::Warn, cause, detail)
    }
    fn skip(name: &'static str, detail: impl Into<String>) -> Check {
        Check::new(name, Status::Skip, None, detail)
    }
}

/// Every check on one token.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// The checks, in the order a reader wants them.
    pub checks: Vec<Check>,
    /// Whether no check failed.
    pub valid: bool,
    /// The causes of the failed checks, without repeats, in order.
    pub causes: Vec<Cause>,
    /// Whether the signature was verified (as opposed to not checked).
    pub signature_verified: bool,
}

/// Whether the sentence of a check that passes is written: always for a
/// reader ([`check`]); never for a server that explains only its refusals
/// ([`verdict`]), so that a token that passes costs it no formatting.
#[derive(Clone, Copy)]
struct Say(bool);

impl Say {
    fn pass(self, name: &'static str, detail: impl FnOnce() -> String) -> Check {
        Check::pass(name, if self.0 { detail() } else { String::new() })
    }
}

/// Runs every check on a decoded token.
pub fn check(d: &Decoded, policy: &Policy, keys: Keys<'_>) -> Report {
    run(d, policy, keys, Say(true))
}

/// [`check`] for a server: the same checks, the same outcomes, causes and
/// sentences for every check that does not pass, and an empty `detail` for
/// each that passes (nobody reads why an accepted token was accepted).
pub fn verdict(d: &Decoded, policy: &Policy, keys: Keys<'_>) -> Report {
    run(d, policy, keys, Say(false))
}

fn run(d: &Decoded, policy: &Policy, keys: Keys<'_>, say: Say) -> Report {
    let mut checks = Vec::new();
    for defect in &d.defects {
        checks.push(match defect.cause() {
            Some(c) => Check::fail("format", c, defect.to_string()),
            None => Check::warn("format", None, defect.to_string()),
        });
    }
    let readable = d.header.is_some() && d.parts == 3;
    let mut signature_verified = false;
    if readable {
        checks.extend(check_crit(d));
        let (alg_checks, verified) = check_signature(d, policy, keys, say);
        checks.extend(alg_checks);
        signature_verified = verified;
    }
    if d.claims.is_some() {
        checks.extend(check_times(d, policy, say));
        checks.extend(check_issuer(d, policy, say));
        checks.extend(check_audience(d, policy, say));
        checks.extend(check_type(d, policy, say));
        checks.extend(check_scope(d, policy, say));
    }
    let mut causes = Vec::new();
    for c in &checks {
        if c.status == Status::Fail
            && let Some(cause) = c.cause
            && !causes.contains(&cause)
        {
            causes.push(cause);
        }
    }
    // The one whose fix also fixes the others first.
    causes.sort_by_key(|c| c.priority());
    Report {
        valid: checks.iter().all(|c| c.ok),
        checks,
        causes,
        signature_verified,
    }
}

/// RFC 7515 §4.1.11: a `crit` extension the recipient does not understand
/// makes the JWS invalid. authdoctor understands none.
fn check_crit(d: &Decoded) -> Option<Check> {
    let crit = d.header_param("crit")?;
    let names: Option<Vec<&str>> = crit
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect());
    Some(match names {
        Some(n) if !n.is_empty() && n.len() == crit.as_array().map_or(0, Vec::len) => Check::fail(
            "crit",
            Cause::TokenMalformed,
            format!(
                "The header marks {} as critical; a recipient that does not understand them must reject the token (RFC 7515 §4.1.11).",
                n.iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
        _ => Check::fail(
            "crit",
            Cause::TokenMalformed,
            "`crit` must be a non-empty array of header parameter names (RFC 7515 §4.1.11).",
        ),
    })
}

fn check_signature(d: &Decoded, policy: &Policy, keys: Keys<'_>, say: Say) -> (Vec<Check>, bool) {
    let mut out = Vec::new();
    // Keys a token names for itself are never used (RFC 8725 §3.10).
    let embedded: Vec<&str> = ["jwk", "jku", "x5u", "x5c"]
        .into_iter()
        .filter(|n| d.header_param(n).is_some())
        .collect();
    if !embedded.is_empty() {
        out.push(Check::warn(
            "key_source",
            Some(Cause::TokenSignatureInvalid),
            format!(
                "The header names its own key ({}). authdoctor ignores it, as a server must: a key the token brings proves nothing. Keys come only from the issuer's JWKS.",
                embedded.join(", ")
            ),
        ));
    }
    let Some(alg_name) = d.alg() else {
        if d.header_param("alg").is_some() {
            out.push(Check::fail(
                "alg",
                Cause::TokenAlgRejected,
                "`alg` is not a string.",
            ));
        }
        return (out, false);
    };
    let alg = Alg::parse(alg_name);
    match &alg {
        Alg::None(s) => {
            out.push(Check::fail(
                "alg",
                Cause::TokenAlgRejected,
                format!("`alg` is {s:?}: the token is unsigned and anyone could have written it. No server may accept it (RFC 8725 §3.1)."),
            ));
            return (out, false);
        }
        Alg::Other(s) => {
            out.push(Check::fail(
                "alg",
                Cause::TokenAlgRejected,
                format!("`alg` is {s:?}, not a JWS signature algorithm (RS256, PS256, ES256, EdDSA, HS256 and their kin)."),
            ));
            return (out, false);
        }
        _ => {}
    }
    if let Some(allowed) = &policy.algorithms
        && !allowed.contains(&alg)
    {
        out.push(Check::fail(
            "alg",
            Cause::TokenAlgRejected,
            format!(
                "The token is signed with {alg}; the server accepts only {}.",
                allowed.iter().map(Alg::name).collect::<Vec<_>>().join(", ")
            ),
        ));
        return (out, false);
    }
    let Some(sig) = d.signature.as_deref() else {
        return (out, false);
    };
    if sig.is_empty() {
        out.push(Check::fail(
            "signature",
            Cause::TokenSignatureInvalid,
            format!(
                "The signature part is empty although `alg` is {alg}: the signature was stripped."
            ),
        ));
        return (out, false);
    }
    // HS* with only public keys on offer: the RS/HS key confusion attack.
    if alg.family() == Some(Family::Hmac) && keys.secret.is_none() {
        if keys.jwks.is_some_and(JwkSet::has_public_keys) {
            out.push(Check::fail(
                "alg",
                Cause::TokenAlgRejected,
                format!("The token says {alg} (a shared secret) while the issuer publishes public keys: a server that fed its public key to HMAC would accept a forgery (key confusion, RFC 8725 §2.1). A correct server rejects it."),
            ));
            return (out, false);
        }
        if keys.jwks.is_none() {
            out.push(Check::skip("signature", format!("Not verified: the token is signed with {alg}; give the shared secret (--secret) to verify it.")));
            return (out, false);
        }
    }
    if let Some(len) = alg.ec_coordinate_len() {
        if sig.len() == 2 * len
            && (sig[..len].iter().all(|&b| b == 0) || sig[len..].iter().all(|&b| b == 0))
        {
            out.push(Check::fail(
                "signature",
                Cause::TokenSignatureInvalid,
                "The ECDSA signature has r or s equal to zero, which verifies nothing (the \"psychic signature\", CVE-2022-21449). The token is forged.",
            ));
            return (out, false);
        }
        if sig.len() != 2 * len {
            let der = sig.first() == Some(&0x30);
            out.push(Check::fail(
                "signature",
                Cause::TokenSignatureInvalid,
                if der {
                    format!("The {alg} signature is {} bytes of DER; JOSE requires the raw r‖s form of {} bytes (RFC 7518 §3.4). The signer used a DER-producing API without converting.", sig.len(), 2 * len)
                } else {
                    format!("The {alg} signature is {} bytes; it must be {} (RFC 7518 §3.4). It was truncated.", sig.len(), 2 * len)
                },
            ));
            return (out, false);
        }
    }
    out.push(say.pass("alg", || format!("{alg} is a signature algorithm.")));

    // Candidate keys.
    let kid = d.kid();
    // Each candidate key: the key (none for a shared secret given once,
    // whose verifier is parsed for this token only) and its material.
    // Borrowed: a key is described only where a sentence names it.
    type Candidate<'k> = (
        Option<&'k crate::jwk::Jwk>,
        std::borrow::Cow<'k, PublicMaterial>,
    );
    let describe = |k: Option<&crate::jwk::Jwk>| {
        k.map_or_else(|| "the shared secret".to_owned(), crate::jwk::Jwk::describe)
    };
    let mut candidates: Vec<Candidate<'_>> = Vec::new();
    let mut unusable: Vec<String> = Vec::new();
    if let Some(secret) = keys.secret
        && alg.family() == Some(Family::Hmac)
    {
        candidates.push((
            None,
            std::borrow::Cow::Owned(PublicMaterial::Oct { k: secret.to_vec() }),
        ));
        if secret.len() < alg.hash_len() {
            out.push(Check::warn(
                "key_strength",
                None,
                format!("The shared secret is {} bytes; RFC 7518 §3.2 requires at least {} for {alg}. A short secret can be brute-forced offline from any token.", secret.len(), alg.hash_len()),
            ));
        }
    }
    if let Some(jwks) = keys.jwks {
        let named: Vec<_> = jwks
            .keys
            .iter()
            .filter(|k| kid.is_none() || k.kid.as_deref() == kid)
            .collect();
        if kid.is_some() && named.is_empty() && candidates.is_empty() {
            let published: Vec<String> = jwks
                .keys
                .iter()
                .map(|k| k.kid.clone().unwrap_or_else(|| "(none)".into()))
                .collect();
            out.push(Check::fail(
                "signature",
                Cause::TokenUnknownKey,
                format!(
                    "The token's kid {:?} is not among the {} {} in the key set (kids: {}). The issuer rotated its keys, or the token comes from another issuer or environment.",
                    kid.unwrap_or(""),
                    jwks.keys.len(),
                    if jwks.keys.len() == 1 { "key" } else { "keys" },
                    if published.is_empty() { "none".to_owned() } else { published.join(", ") }
                ),
            ));
            return (out, false);
        }
        for k in named {
            match k.unusable_for(&alg) {
                None => {
                    if let Ok(m) = &k.material {
                        candidates.push((Some(k), std::borrow::Cow::Borrowed(m)));
                    }
                }
                Some(why) => unusable.push(format!("{}: {why}", k.describe())),
            }
        }
    }
    if candidates.is_empty() {
        if keys.jwks.is_none() && keys.secret.is_none() {
            out.push(Check::skip(
                "signature",
                "Not verified: no key was given (--jwks, --issuer or --secret).",
            ));
        } else {
            out.push(Check::fail(
                if unusable.is_empty() {
                    "signature"
                } else {
                    "alg"
                },
                if unusable.is_empty() {
                    Cause::TokenUnknownKey
                } else {
                    Cause::TokenAlgRejected
                },
                if unusable.is_empty() {
                    format!("No key in the key set fits {alg}.")
                } else {
                    format!(
                        "The key set has no key that may verify {alg}: {}.",
                        unusable.join("; ")
                    )
                },
            ));
        }
        return (out, false);
    }
    if !d.canonical() {
        out.push(Check::fail(
            "signature",
            Cause::TokenMalformed,
            "Not accepted: the token as sent is not canonical base64url (RFC 7515 §2: whitespace, padding, the standard alphabet or characters outside it). A signature is verified only over the exact bytes sent, never over a repaired copy.",
        ));
        return (out, false);
    }
    let mut errors = Vec::new();
    let (mut mismatched, mut verified_none) = (0, 0);
    for (key, material) in &candidates {
        let verifier = match key {
            Some(k) => k.verifiers.get_or_parse(&alg, material),
            None => Verifier::new(&alg, material).map(std::sync::Arc::new),
        };
        let name = || describe(*key);
        match verifier {
            Ok(v) => {
                if v.verify(d.signing_input.as_bytes(), sig) {
                    out.push(say.pass("signature", || {
                        format!("Verified with the issuer's key {}.", name())
                    }));
                    return (out, true);
                }
                verified_none += 1;
                errors.push(format!("{}: does not verify", name()));
            }
            Err(crate::crypto::VerifyFailure::KeyMismatch(why)) => {
                mismatched += 1;
                errors.push(format!("{}: {why}", name()));
            }
            Err(crate::crypto::VerifyFailure::BadKey(why)) => {
                errors.push(format!("{}: {why}", name()));
            }
            Err(crate::crypto::VerifyFailure::BadSignature) => {
                verified_none += 1;
                errors.push(format!("{}: does not verify", name()));
            }
        }
    }
    // The algorithm is the problem only when every key refused it; a key
    // that is broken (a point off its curve, an empty modulus) verifies
    // nothing, so the signature stands unverified.
    out.push(Check::fail(
        "signature",
        if mismatched == candidates.len() && verified_none == 0 {
            Cause::TokenAlgRejected
        } else {
            Cause::TokenSignatureInvalid
        },
        format!(
            "The signature does not verify ({}). The token was altered, or signed by another key with the same kid (another environment's issuer).",
            errors.join("; ")
        ),
    ));
    (out, false)
}

fn numeric(d: &Decoded, name: &str) -> Option<i64> {
    let v = d.claim(name)?.as_f64()?;
    v.is_finite().then_some(v.floor() as i64)
}

/// Seconds since the epoch above which a NumericDate was surely written in
/// milliseconds (year 5138).
const MILLIS_THRESHOLD: i64 = 100_000_000_000;

fn check_times(d: &Decoded, p: &Policy, say: Say) -> Vec<Check> {
    let mut out = Vec::new();
    let now = p.now;
    let lw = p.leeway as i64;
    let lw_text = || format!("{} s leeway", p.leeway);
    match numeric(d, "exp") {
        None if d.claim("exp").is_none() && p.require_exp => out.push(Check::fail(
            "exp",
            Cause::TokenMalformed,
            "The token has no `exp`: it would never expire. RFC 9068 §2.2 requires `exp` in access tokens, and this server requires it.",
        )),
        None if d.claim("exp").is_none() => out.push(Check::warn(
            "exp",
            None,
            "The token has no `exp`: it never expires. RFC 9068 §2.2 requires `exp` in access tokens, and many servers reject a token without it.",
        )),
        None => {} // a type defect, reported by the decoder
        Some(exp) if exp > MILLIS_THRESHOLD && p.require_exp => out.push(Check::fail(
            "exp",
            Cause::TokenMalformed,
            format!("`exp` is {exp}: milliseconds, not seconds since the epoch, thousands of years away; the token would never expire, and this server requires one that does."),
        )),
        Some(exp) if exp > MILLIS_THRESHOLD => out.push(Check::warn(
            "exp",
            Some(Cause::TokenMalformed),
            format!("`exp` is {exp}: milliseconds, not seconds since the epoch. Servers read it as thousands of years away, so the token never expires."),
        )),
        Some(exp) if now > exp + lw => out.push(
            Check::fail(
                "exp",
                Cause::TokenExpired,
                format!(
                    "Expired {} ago: exp {} is before now {} by more than the {}.",
                    span((now - exp) as u64),
                    rfc3339(exp),
                    rfc3339(now),
                    lw_text()
                ),
            )
            .with(Facts::Expired { exp, now, leeway: p.leeway, beyond_leeway: true }),
        ),
        Some(exp) if now > exp => out.push(
            Check::warn(
                "exp",
                Some(Cause::TokenExpired),
                format!(
                    "Expired {} ago (exp {}), within the {}: a server with less leeway, or a clock a little ahead, rejects it.",
                    span((now - exp) as u64),
                    rfc3339(exp),
                    lw_text()
                ),
            )
            .with(Facts::Expired { exp, now, leeway: p.leeway, beyond_leeway: false }),
        ),
        Some(exp) => out.push(say.pass("exp", || format!("Expires in {} (exp {}).", span((exp - now) as u64), rfc3339(exp)))),
    }
    if let Some(nbf) = numeric(d, "nbf") {
        if nbf - lw > now {
            out.push(
                Check::fail(
                    "nbf",
                    Cause::TokenNotYetValid,
                    format!(
                        "Not valid for another {}: nbf {} is after now {} by more than the {}. The issuer's clock runs ahead, or this one behind.",
                        span((nbf - now) as u64),
                        rfc3339(nbf),
                        rfc3339(now),
                        lw_text()
                    ),
                )
                .with(Facts::NotYetValid { nbf, now, leeway: p.leeway }),
            );
        } else {
            out.push(say.pass("nbf", || format!("Valid since {} (nbf).", rfc3339(nbf))));
        }
    }
    if let Some(iat) = numeric(d, "iat") {
        if iat - lw > now {
            let words = format!(
                "Issued {} in the future (iat {}, now {}): the issuer's clock and this one disagree. Servers that check iat reject it.",
                span((iat - now) as u64),
                rfc3339(iat),
                rfc3339(now)
            );
            out.push(if p.reject_future_iat {
                Check::fail("iat", Cause::TokenNotYetValid, words)
            } else {
                Check::warn("iat", Some(Cause::TokenNotYetValid), words)
            });
        } else {
            out.push(say.pass("iat", || {
                let lifetime = numeric(d, "exp")
                    .map(|e| format!("; lifetime {}", span((e - iat).max(0) as u64)))
                    .unwrap_or_default();
                format!(
                    "Issued {} ago ({}){lifetime}.",
                    span((now - iat).max(0) as u64),
                    rfc3339(iat)
                )
            }));
        }
    }
    out
}

fn check_issuer(d: &Decoded, p: &Policy, say: Say) -> Option<Check> {
    let iss = d.claim("iss").and_then(Value::as_str);
    let Some(want) = &p.issuer else {
        return iss.map(|i| {
            Check::skip(
                "iss",
                format!("Issued by {i:?} (no issuer given to compare with)."),
            )
        });
    };
    let facts = || Facts::IssuerMismatch {
        found: iss.map(str::to_owned),
        expected: want.clone(),
    };
    Some(match iss {
        None => Check::fail(
            "iss",
            Cause::TokenIssuerMismatch,
            format!("The token has no `iss`; the server trusts {want:?}."),
        )
        .with(facts()),
        Some(i) if i == want => say.pass("iss", || format!("Issued by {i:?}, the issuer trusted.")),
        Some(i) if i.trim_end_matches('/') == want.trim_end_matches('/') => Check::fail(
            "iss",
            Cause::TokenIssuerMismatch,
            format!(
                "`iss` is {i:?} and the server trusts {want:?}: they differ only by a trailing slash, and issuers are compared exactly (OIDC Discovery §4.3). Fix the server's configured issuer."
            ),
        )
        .with(facts()),
        Some(i) => Check::fail(
            "iss",
            Cause::TokenIssuerMismatch,
            format!(
                "`iss` is {i:?}, and the server trusts {want:?}: a token from another tenant, realm or environment."
            ),
        )
        .with(facts()),
    })
}

fn client_of(d: &Decoded, p: &Policy) -> Option<String> {
    p.client_id.clone().or_else(|| {
        ["azp", "client_id"]
            .iter()
            .find_map(|n| d.claim(n).and_then(Value::as_str).map(str::to_owned))
    })
}

fn check_audience(d: &Decoded, p: &Policy, say: Say) -> Option<Check> {
    let auds = d.audiences();
    let Some(want) = &p.audience else {
        return (!auds.is_empty()).then(|| {
            Check::skip(
                "aud",
                format!(
                    "For audience {} (no audience given to compare with).",
                    auds.join(", ")
                ),
            )
        });
    };
    if auds.iter().any(|a| a == want) {
        return Some(say.pass("aud", || format!("`aud` names {want:?}.")));
    }
    if let Some(other) = auds
        .iter()
        .find(|a| p.other_audiences.iter().any(|o| o == *a))
    {
        return Some(say.pass("aud", || {
            format!("`aud` names {other:?}, one of the server's other audiences.")
        }));
    }
    // What the server expects, its other audiences too.
    let want_said = match p.other_audiences.is_empty() {
        true => format!("{want:?}"),
        false => format!(
            "one of {want:?}, {}",
            p.other_audiences
                .iter()
                .map(|a| format!("{a:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let client = client_of(d, p);
    let hint = if client.as_deref().is_some_and(|c| auds.contains(&c)) {
        " `aud` is the client's own id: this is an ID token, or an access token requested without the API's audience (`audience` or RFC 8707 `resource` parameter)."
    } else if auds
        .iter()
        .any(|a| a.trim_end_matches('/') == want.trim_end_matches('/'))
    {
        " They differ only by a trailing slash; audiences are compared exactly."
    } else {
        " Request the token for this API (the `audience` or `resource` parameter of the token request)."
    };
    Some(
        Check::fail(
            "aud",
            Cause::TokenAudienceMismatch,
            if auds.is_empty() {
                format!("The token has no `aud`; the server expects {want_said}.{hint}")
            } else {
                format!(
                    "`aud` is {}, and the server expects {want_said}.{hint}",
                    auds.iter()
                        .map(|a| format!("{a:?}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            },
        )
        .with(Facts::AudienceMismatch {
            found: auds.iter().map(|a| (*a).to_owned()).collect(),
            expected: want.clone(),
        }),
    )
}

/// RFC 9068 §2.1 `typ: at+jwt`, and the tell-tales of an ID token or a
/// refresh token presented as an access token.
fn check_type(d: &Decoded, p: &Policy, say: Say) -> Option<Check> {
    let typ = d.header_param("typ").and_then(Value::as_str);
    let is_at = typ.is_some_and(|t| {
        t.eq_ignore_ascii_case("at+jwt") || t.eq_ignore_ascii_case("application/at+jwt")
    });
    let mut id_signs = Vec::new();
    for n in ["nonce", "at_hash", "c_hash", "auth_time"] {
        if d.claim(n).is_some() {
            id_signs.push(format!("`{n}`"));
        }
    }
    let has_scope = ["scope", "scp", "permissions"]
        .iter()
        .any(|n| d.claim(n).is_some());
    let auds = d.audiences();
    if let Some(client) = client_of(d, p)
        && auds.len() == 1
        && auds[0] == client
    {
        id_signs.push("`aud` = the client id".to_owned());
    }
    if !has_scope {
        id_signs.push("no `scope`".to_owned());
    }
    let token_use = d.claim("token_use").and_then(Value::as_str);
    // Keycloak says what a token is in a `typ` claim of its payload:
    // `Bearer` (an access token), `ID`, `Refresh`, `Offline`.
    let claim_typ = d.claim("typ").and_then(Value::as_str);
    let refreshy = typ
        .or(claim_typ)
        .is_some_and(|t| t.eq_ignore_ascii_case("refresh") || t.eq_ignore_ascii_case("offline"));
    // A token that declares itself an access token is none of the others,
    // whatever it lacks (Keycloak's `typ: Bearer`, Cognito's
    // `token_use: access`).
    let declared_access =
        claim_typ.is_some_and(|t| t.eq_ignore_ascii_case("bearer")) || token_use == Some("access");
    if refreshy {
        return Some(Check::fail(
            "typ",
            Cause::TokenWrongType,
            format!(
                "`typ` is {:?}: this is a refresh token. Send it to the token endpoint for an access token; never to an API.",
                typ.or(claim_typ).unwrap_or("")
            ),
        ));
    }
    if token_use == Some("id")
        || typ
            .or(claim_typ)
            .is_some_and(|t| t.eq_ignore_ascii_case("id") || t.eq_ignore_ascii_case("id+jwt"))
    {
        return Some(Check::fail(
            "typ",
            Cause::TokenWrongType,
            "The token declares itself an ID token; send the access token to APIs.",
        ));
    }
    // An ID token: nonce/at_hash or aud = client, and no scope; at least two signs.
    if !is_at
        && !declared_access
        && id_signs.len() >= 2
        && id_signs.iter().any(|s| s != "no `scope`")
    {
        return Some(Check::fail(
            "typ",
            Cause::TokenWrongType,
            format!(
                "This looks like an OpenID Connect ID token, not an access token ({}). Send the access_token from the token response instead.",
                id_signs.join(", ")
            ),
        ));
    }
    Some(match typ {
        _ if is_at => say.pass("typ", || {
            "`typ` is at+jwt: an RFC 9068 access token.".to_owned()
        }),
        t if p.require_at_jwt => Check::fail(
            "typ",
            Cause::TokenWrongType,
            format!(
                "`typ` is {}, and the server requires `at+jwt` (RFC 9068 §2.1).",
                t.map(|t| format!("{t:?}"))
                    .unwrap_or_else(|| "absent".into())
            ),
        ),
        t => Check::warn(
            "typ",
            None,
            format!(
                "`typ` is {}, not `at+jwt`; servers that enforce RFC 9068 reject it.",
                t.map(|t| format!("{t:?}"))
                    .unwrap_or_else(|| "absent".into())
            ),
        ),
    })
}

/// The scopes a token grants: `scope` (space-separated), `scp` (string or
/// array; Azure, Okta), `permissions` (Auth0 RBAC), and a container
/// registry's token's `access` (the registry token protocol: each entry's
/// `type:name:actions`, as registries write scopes).
pub fn granted_scopes(claims: &serde_json::Map<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    for n in ["scope", "scp", "permissions"] {
        match claims.get(n) {
            Some(Value::String(s)) => out.extend(s.split_ascii_whitespace().map(str::to_owned)),
            Some(Value::Array(a)) => {
                out.extend(a.iter().filter_map(Value::as_str).map(str::to_owned))
            }
            _ => {}
        }
    }
    if let Some(Value::Array(access)) = claims.get("access") {
        for a in access {
            let (Some(kind), Some(name)) = (
                a.get("type").and_then(Value::as_str),
                a.get("name").and_then(Value::as_str),
            ) else {
                continue;
            };
            let actions: Vec<&str> = a
                .get("actions")
                .and_then(Value::as_array)
                .map(|v| v.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            out.push(format!("{kind}:{name}:{}", actions.join(",")));
        }
    }
    out
}

/// What a token's claims, or an introspection answer about it (RFC 7662),
/// declare it to be, where not an access token: Keycloak's `typ` (`Refresh`, `Offline`, `ID`), Ory
/// Hydra's `token_use` (`refresh_token`), or a `token_type` naming a
/// refresh or ID token. Most issuers say nothing of it (RFC 7662's
/// `token_type` is an access token's type: `Bearer`, `DPoP`).
pub fn declared_kind(claims: &serde_json::Map<String, Value>) -> Option<String> {
    ["typ", "token_use", "token_type"].iter().find_map(|name| {
        let v = claims.get(*name)?.as_str()?;
        let t = v.to_ascii_lowercase();
        let t = t
            .strip_prefix("urn:ietf:params:oauth:token-type:")
            .unwrap_or(&t);
        matches!(
            t,
            "refresh" | "offline" | "refresh_token" | "id" | "id_token"
        )
        .then(|| format!("{name} {v}"))
    })
}

/// Whether `granted` covers the scope `needed`: the same word, or, where
/// the token is a registry's (`registry`: it has an `access` claim), a
/// grant of the same type and name (`repository:library/nginx`) with every
/// action needed (or `*`). Other tokens' scopes are words, compared whole.
fn grants(granted: &[String], needed: &str, registry: bool) -> bool {
    fn parts(s: &str) -> Option<(&str, &str, Vec<&str>)> {
        let (kind, rest) = s.split_once(':')?;
        let (name, actions) = rest.rsplit_once(':')?;
        Some((
            kind,
            name,
            actions.split(',').filter(|a| !a.is_empty()).collect(),
        ))
    }
    granted.iter().any(|g| {
        g == needed
            || registry
                && match (parts(g), parts(needed)) {
                    (Some((gk, gn, ga)), Some((nk, nn, na))) => {
                        gk == nk
                            && gn == nn
                            && na.iter().all(|a| ga.contains(a) || ga.contains(&"*"))
                    }
                    _ => false,
                }
    })
}

fn check_scope(d: &Decoded, p: &Policy, say: Say) -> Option<Check> {
    let claims = d.claims.as_ref()?;
    let granted = granted_scopes(claims);
    if p.scopes.is_empty() {
        return (!granted.is_empty()).then(|| {
            Check::skip(
                "scope",
                format!(
                    "Grants {} (no scope required to compare with).",
                    granted.join(" ")
                ),
            )
        });
    }
    let registry = claims.contains_key("access");
    let missing: Vec<&String> = p
        .scopes
        .iter()
        .filter(|s| !grants(&granted, s, registry))
        .collect();
    Some(if missing.is_empty() {
        say.pass("scope", || {
            format!("Grants every scope needed ({}).", p.scopes.join(" "))
        })
    } else {
        Check::fail(
            "scope",
            Cause::TokenScopeInsufficient,
            format!(
                "Lacks {} (grants: {}). Request the token with `scope={}`, and check the client may have it.",
                missing
                    .iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                if granted.is_empty() {
                    "nothing".to_owned()
                } else {
                    granted.join(" ")
                },
                p.scopes.join(" ")
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::{declared_kind, granted_scopes, grants};
    use serde_json::json;

    #[test]
    fn a_declared_refresh_or_id_token_is_named() {
        let kind = |v: serde_json::Value| declared_kind(v.as_object().unwrap());
        assert_eq!(
            kind(json!({"active": true, "typ": "Refresh"})).as_deref(),
            Some("typ Refresh")
        );
        assert_eq!(
            kind(json!({"active": true, "typ": "Offline"})).as_deref(),
            Some("typ Offline")
        );
        assert_eq!(
            kind(json!({"active": true, "typ": "ID"})).as_deref(),
            Some("typ ID")
        );
        assert_eq!(
            kind(json!({"active": true, "token_use": "refresh_token"})).as_deref(),
            Some("token_use refresh_token")
        );
        assert_eq!(
            kind(json!({"active": true, "token_type": "urn:ietf:params:oauth:token-type:refresh_token"})).as_deref(),
            Some("token_type urn:ietf:params:oauth:token-type:refresh_token")
        );
        // An access token, said or not.
        for v in [
            json!({"active": true, "typ": "Bearer", "token_type": "Bearer"}),
            json!({"active": true, "token_use": "access_token"}),
            json!({"active": true, "token_type": "DPoP"}),
            json!({"active": true, "scope": "orders:read"}),
            json!({"active": true, "typ": 7}),
        ] {
            assert_eq!(kind(v.clone()), None, "{v}");
        }
    }

    #[test]
    fn a_registry_tokens_access_is_read_as_its_scopes_and_actions_cover_their_subsets() {
        let claims = json!({
            "access": [
                {"type": "repository", "name": "library/nginx", "actions": ["pull", "push"]},
                {"type": "repository", "name": "team/app", "actions": ["*"]},
                {"type": "registry", "name": "catalog"}
            ],
            "scope": "openid"
        });
        let granted = granted_scopes(claims.as_object().unwrap());
        assert_eq!(
            granted,
            [
                "openid",
                "repository:library/nginx:pull,push",
                "repository:team/app:*",
                "registry:catalog:"
            ]
        );
        assert!(grants(&granted, "repository:library/nginx:pull", true));
        assert!(grants(&granted, "repository:library/nginx:push,pull", true));
        assert!(grants(&granted, "repository:team/app:delete", true));
        assert!(!grants(&granted, "repository:library/nginx:delete", true));
        assert!(!grants(&granted, "repository:other/app:pull", true));
        assert!(grants(&granted, "openid", true));
        assert!(!grants(&granted, "profile", true));
        // Another token's scopes are words: no action covers another.
        let words = [
            "urn:orders:*".to_owned(),
            "urn:orders:read,write".to_owned(),
        ];
        assert!(!grants(&words, "urn:orders:delete", false));
        assert!(!grants(&words, "urn:orders:read", false));
        assert!(grants(&words, "urn:orders:*", false));
    }
}
