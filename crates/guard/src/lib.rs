//! The guard: validates a request's bearer token the way the doctor expects
//! a correct server to, with the same checks (`authdoctor-jose`).
//!
//! - strict checks with a clock-skew allowance, the time an input;
//! - RFC 6750 §3 challenges: no error code when credentials are missing,
//!   `invalid_request` (400) for a malformed header, `invalid_token` (401),
//!   `insufficient_scope` (403) with the scope needed;
//! - minimal detail to the client, and a reason-coded line for the
//!   server's own log ([`Rejection::log_line`]) in which the token is masked.
//!
//! A rejection is a response, never an error: [`Rejection`] implements
//! `IntoResponse`.

// A Rejection is built once per rejected request and turned straight into
// the response; boxing it would only add an allocation.
#![allow(clippy::result_large_err)]

mod cluster;
pub mod config;
mod grpc;
pub mod layer;
pub mod path;
pub mod proxy;
mod tls;

pub use config::GuardConfig;
pub use layer::{BearerLayer, KeySource, RemoteJwks, StaticKeys};
pub use proxy::{
    Guard, GuardError, PerCore, Readiness, raise_open_file_limit, readiness, serve, serve_per_core,
    serve_router,
};

use authdoctor_causes::Cause;
use authdoctor_httpauth::{Challenge, lint};
use authdoctor_jose::{Alg, JwkSet, Keys, Policy, decode, verdict};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde_json::{Map, Value, json};

/// What a protected resource requires of a token.
#[derive(Clone, Debug)]
pub struct Requirements {
    /// The `realm` of the challenges.
    pub realm: String,
    /// The issuer trusted (compared exactly with `iss`).
    pub issuer: String,
    /// The audience expected in `aud`.
    pub audience: String,
    /// Other audiences accepted as this resource's.
    pub other_audiences: Vec<String>,
    /// Scopes the route needs.
    pub scopes: Vec<String>,
    /// Clock-skew allowance, seconds.
    pub leeway: u64,
    /// Algorithms accepted.
    pub algorithms: Vec<Alg>,
    /// Whether `typ: at+jwt` is required (RFC 9068).
    pub require_at_jwt: bool,
    /// Whether `exp` is required, in seconds (RFC 9068 §2.2): a token that
    /// never expires is refused.
    pub require_exp: bool,
    /// RFC 9728: the URL of the resource's metadata, sent in challenges.
    pub resource_metadata: Option<String>,
}

/// A token that passed every check.
#[derive(Clone, Debug)]
pub struct Authorized {
    /// Its claims.
    pub claims: Map<String, Value>,
    /// The token itself (for introspection or a DPoP `ath`); its Debug is masked.
    pub token: authdoctor_secret::Token,
}

/// A rejected request: the response the client gets, and the reason the
/// server's log records.
#[derive(Clone, Debug)]
pub struct Rejection {
    /// 400, 401 or 403.
    pub status: StatusCode,
    /// The challenge sent in `WWW-Authenticate`.
    pub challenge: Challenge,
    /// The root cause, for the log.
    pub cause: Cause,
    /// What exactly failed, for the log (never sent to the client).
    pub detail: String,
    /// The token's mask, when there was one.
    pub token_mask: Option<String>,
    /// The token's own claims, unverified, when it was a JWT that decoded:
    /// for the log (its subject and times), never sent to the client.
    pub token_claims: Option<Map<String, Value>>,
}

/// The client certificate a TLS connection to the guard presented, by its
/// thumbprint (RFC 8705 §3.1: base64url of the SHA-256 of its DER): in a
/// request's extensions where it presented one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PresentedCertificate(pub String);

/// A sender-constrained token's binding, checked (RFC 8705 §3, RFC 9449
/// §7.1): a token with `cnf` passes only with the proof its binding names.
/// `x5t#S256` (a client certificate) is the certificate the connection
/// presented; a DPoP key (`jkt`), or a binding of another kind, is refused,
/// as the guard takes Bearer tokens only: a sender-constrained token taken
/// as a bearer one is what binding exists to prevent.
pub fn check_binding(
    claims: &Map<String, Value>,
    presented: Option<&PresentedCertificate>,
    realm: &str,
) -> Result<(), Rejection> {
    let Some(cnf) = claims.get("cnf") else {
        return Ok(());
    };
    let refuse = |description: &str, detail: String| {
        Err(Rejection::new(
            StatusCode::UNAUTHORIZED,
            realm,
            Some(("invalid_token", description)),
            Cause::TokenBindingRequired,
            detail,
        ))
    };
    match cnf.get("x5t#S256").and_then(Value::as_str) {
        Some(bound) => match presented {
            Some(p) if p.0 == bound => Ok(()),
            Some(p) => refuse(
                "The token is bound to another client certificate than this connection presented",
                format!("cnf x5t#S256 {bound}, presented {}", p.0),
            ),
            None => refuse(
                "The token is bound to a client certificate, and this connection presented none",
                format!("cnf x5t#S256 {bound}, no client certificate"),
            ),
        },
        None if cnf.get("jkt").is_some() => refuse(
            "The token is bound to a DPoP key; this resource takes Bearer tokens only",
            "cnf jkt: a DPoP-bound token sent as Bearer".to_owned(),
        ),
        None => refuse(
            "The token is bound to a proof of possession this resource cannot check",
            format!(
                "cnf {}",
                authdoctor_secret::scrub(&cnf.to_string())
                    .chars()
                    .take(120)
                    .collect::<String>()
            ),
        ),
    }
}

impl Rejection {
    /// A rejection with a Bearer challenge.
    pub fn new(
        status: StatusCode,
        realm: &str,
        error: Option<(&str, &str)>,
        cause: Cause,
        detail: String,
    ) -> Rejection {
        let mut challenge = Challenge::new("Bearer").with("realm", realm);
        if let Some((code, desc)) = error {
            challenge = challenge
                .with("error", code)
                .with("error_description", desc);
        }
        Rejection {
            status,
            challenge,
            cause,
            detail,
            token_mask: None,
            token_claims: None,
        }
    }

    /// The line for the server's log: `reject reason=token.expired status=401 token=eyJ…(sha256:…) detail="…"`.
    pub fn log_line(&self) -> String {
        format!(
            "reject reason={} status={} token={} detail={:?}",
            self.cause,
            self.status.as_u16(),
            self.token_mask.as_deref().unwrap_or("-"),
            self.detail
        )
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let body = json!({
            "error": self.challenge.param("error").unwrap_or("unauthorized"),
            "error_description": self.challenge.param("error_description").unwrap_or("Authentication is required."),
        });
        let mut resp = (self.status, axum::Json(body)).into_response();
        if let Ok(v) = HeaderValue::from_str(&self.challenge.to_string()) {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        resp.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        resp
    }
}

/// The short public description of a failed check: enough for a client to
/// act on, no more (the log has the rest).
fn public_reason(cause: Cause) -> &'static str {
    match cause {
        Cause::TokenExpired => "The access token expired",
        Cause::TokenNotYetValid => "The access token is not valid yet",
        Cause::TokenSignatureInvalid => "The access token signature is invalid",
        Cause::TokenUnknownKey => "The access token was signed by an unknown key",
        Cause::TokenAlgRejected => "The access token algorithm is not accepted",
        Cause::TokenIssuerMismatch => "The access token issuer is not trusted",
        Cause::TokenAudienceMismatch => "The access token audience is not this resource",
        Cause::TokenWrongType => "The token is not an access token",
        Cause::TokenScopeInsufficient => "The access token lacks the scope required",
        _ => "The access token is malformed",
    }
}

/// Checks the request's credentials against `req` at `now` with `jwks`.
pub fn authorize(
    headers: &HeaderMap,
    req: &Requirements,
    jwks: &JwkSet,
    now: i64,
) -> Result<Authorized, Rejection> {
    let with_meta = |mut r: Rejection| {
        if let Some(m) = &req.resource_metadata {
            r.challenge = r.challenge.with("resource_metadata", m.clone());
        }
        r
    };
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(with_meta(Rejection::new(
            StatusCode::UNAUTHORIZED,
            &req.realm,
            None,
            Cause::CredentialsMissing,
            "no Authorization header".to_owned(),
        )));
    };
    if headers.get_all(header::AUTHORIZATION).iter().count() > 1 {
        // RFC 6750 §3.1: more than one method (or one twice) is
        // invalid_request; taking the first would let a proxy and the
        // server judge different credentials.
        return Err(with_meta(Rejection::new(
            StatusCode::BAD_REQUEST,
            &req.realm,
            Some((
                "invalid_request",
                "The request carries more than one Authorization header",
            )),
            Cause::HeaderMalformed,
            "more than one Authorization header".to_owned(),
        )));
    }
    let Ok(value) = value.to_str() else {
        return Err(with_meta(Rejection::new(
            StatusCode::BAD_REQUEST,
            &req.realm,
            Some((
                "invalid_request",
                "The Authorization header is not visible ASCII",
            )),
            Cause::HeaderMalformed,
            "Authorization is not visible ASCII".to_owned(),
        )));
    };
    let creds = lint(value);
    // Masked only for a rejection: a fingerprint is a SHA-256 of the token.
    let mask = || creds.token.as_deref().map(authdoctor_secret::mask_token);
    let scheme_ok = creds
        .scheme
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("bearer"));
    if !scheme_ok {
        let mut r = Rejection::new(
            StatusCode::UNAUTHORIZED,
            &req.realm,
            None,
            Cause::SchemeMismatch,
            format!(
                "scheme {:?} where Bearer is required",
                creds.scheme.as_deref().unwrap_or("")
            ),
        );
        r.token_mask = mask();
        return Err(with_meta(r));
    }
    // What the grammar allows (two spaces after the scheme) some servers
    // refuse, which the doctor warns of; a correct server takes it.
    if let Some(p) = creds
        .problems
        .iter()
        // (A placeholder such as `undefined` is a well-formed b64token: a
        // token that does not verify, answered 401 below, as a correct
        // server answers it.)
        .find(|p| {
            p.severity == authdoctor_httpauth::Severity::Error
                && !p.id.in_grammar()
                && p.id != authdoctor_httpauth::Defect::PlaceholderToken
        })
    {
        let mut r = Rejection::new(
            StatusCode::BAD_REQUEST,
            &req.realm,
            Some(("invalid_request", "The Authorization header is malformed")),
            p.cause,
            format!("{}: {}", p.id.id(), p.message),
        );
        r.token_mask = mask();
        return Err(with_meta(r));
    }
    let present = creds.token.is_some();
    let token = creds.token.unwrap_or_default();
    let d = decode(&token);
    let policy = Policy {
        now,
        leeway: req.leeway,
        issuer: Some(req.issuer.clone()),
        audience: Some(req.audience.clone()),
        other_audiences: req.other_audiences.clone(),
        scopes: req.scopes.clone(),
        client_id: None,
        require_at_jwt: req.require_at_jwt,
        require_exp: req.require_exp,
        // Strict: a token dated ahead of the clock by more than the leeway
        // is refused, as not yet valid.
        reject_future_iat: true,
        algorithms: Some(req.algorithms.clone()),
    };
    let report = verdict(
        &d,
        &policy,
        Keys {
            jwks: Some(jwks),
            secret: None,
        },
    );
    if report.valid && report.signature_verified {
        return Ok(Authorized {
            claims: d.claims.unwrap_or_default(),
            token: authdoctor_secret::Token::new(token),
        });
    }
    let cause = report
        .causes
        .first()
        .copied()
        .unwrap_or(Cause::TokenSignatureInvalid);
    let detail = report
        .checks
        .iter()
        .find(|c| !c.ok)
        .map(|c| {
            format!(
                "{}: {}",
                c.name,
                authdoctor_secret::redact(
                    &c.detail,
                    &[(token.as_str(), authdoctor_secret::Kind::Token)]
                )
            )
        })
        .unwrap_or_else(|| "the signature was not verified".to_owned());
    // Scope is the one failure that is the caller's rights, not the token's
    // validity: 403 with the scope needed (RFC 6750 §3.1). Only when every
    // other check passed.
    let mut r = if cause == Cause::TokenScopeInsufficient && report.causes.len() == 1 {
        let mut r = Rejection::new(
            StatusCode::FORBIDDEN,
            &req.realm,
            Some(("insufficient_scope", public_reason(cause))),
            cause,
            detail,
        );
        r.challenge = r.challenge.with("scope", req.scopes.join(" "));
        r
    } else {
        Rejection::new(
            StatusCode::UNAUTHORIZED,
            &req.realm,
            Some(("invalid_token", public_reason(cause))),
            cause,
            detail,
        )
    };
    r.token_mask = present.then(|| authdoctor_secret::mask_token(&token));
    r.token_claims = d.claims;
    Err(with_meta(r))
}
