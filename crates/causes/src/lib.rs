//! The root causes of a rejected HTTP request: the vocabulary every part of
//! authdoctor speaks (the doctor's report, the guard's reject log, tests).
//!
//! The ids are those of `causes.md` in the design documents and are stable:
//! new causes are added, none is renamed. A [`Cause`] serializes as its id.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! causes {
    ($( $(#[$doc:meta])* $variant:ident = $id:literal, $what:literal, $fix:literal; )*) => {
        /// One root cause of a rejected request, named by its stable id.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Cause {
            $( $(#[$doc])* $variant, )*
        }

        impl Cause {
            /// Every cause, in the order of `causes.md`.
            pub const ALL: &'static [Cause] = &[$(Cause::$variant,)*];

            /// The stable string id, such as `token.expired`.
            pub fn id(self) -> &'static str {
                match self { $(Cause::$variant => $id,)* }
            }

            /// What is wrong, in one plain sentence fragment.
            pub fn what(self) -> &'static str {
                match self { $(Cause::$variant => $what,)* }
            }

            /// The usual fix, in one sentence: what to do first.
            pub fn fix(self) -> &'static str {
                match self { $(Cause::$variant => $fix,)* }
            }

            /// The cause with this id, if it is one.
            pub fn from_id(id: &str) -> Option<Cause> {
                match id { $($id => Some(Cause::$variant),)* _ => None }
            }
        }
    };
}

causes! {
    /// The request carries no credentials at all.
    CredentialsMissing = "credentials.missing", "the request carries no credentials at all", "Send credentials: `Authorization: Bearer <token>`, or the scheme the server's challenge names.";
    /// Credentials are present but the header is not well formed.
    HeaderMalformed = "header.malformed", "credentials are present but the header is not well formed", "Rebuild the header as `Authorization: Bearer <token>`: one space, no quotes, no line breaks, the token exactly as issued.";
    /// The wrong scheme, or credentials in the wrong place.
    SchemeMismatch = "scheme.mismatch", "the wrong scheme, or credentials in the wrong place", "Send the credentials with the scheme and in the place the server's challenge asks for (usually `Authorization: Bearer`).";
    /// The client dropped `Authorization` when it followed a redirect.
    HeaderLostOnRedirect = "header.lost_on_redirect", "the client dropped Authorization when it followed a redirect", "Call the final URL directly, or re-send Authorization deliberately after checking the redirect target is trusted.";
    /// The token cannot be parsed.
    TokenMalformed = "token.malformed", "the token cannot be parsed", "Copy the token again, whole: a signed JWT is three base64url parts joined by dots.";
    /// `exp` is in the past by the server's clock.
    TokenExpired = "token.expired", "the token's exp is in the past by the server's clock", "Get a fresh token (refresh grant or a new login) and retry; refresh before exp, not after.";
    /// `nbf` (or `iat`) is in the future by the server's clock.
    TokenNotYetValid = "token.not_yet_valid", "the token's nbf (or iat) is in the future by the server's clock", "Wait until nbf, or fix the clock that is off (run NTP on the issuer or the server).";
    /// A clock is wrong, not the token.
    ClockSkew = "clock.skew", "a clock is wrong, not the token", "Synchronise the clocks (NTP); raise the server's leeway only as a stopgap.";
    /// The signature does not verify with the issuer's keys.
    TokenSignatureInvalid = "token.signature_invalid", "the signature does not verify with the issuer's keys", "Use a token from the issuer this server trusts, unaltered; if the issuer rotated keys, make the server reload its JWKS.";
    /// The signing key is not (or no longer) published by the issuer.
    TokenUnknownKey = "token.unknown_key", "the signing key is not (or no longer) published by the issuer", "Make the server refresh its JWKS cache, or get a token from the issuer whose keys it loads.";
    /// The token uses an algorithm the server does not accept.
    TokenAlgRejected = "token.alg_rejected", "the token uses an algorithm the server does not accept", "Have the issuer sign with an algorithm the server accepts (RS256 or ES256 are the usual ones).";
    /// `iss` is not the issuer the resource trusts.
    TokenIssuerMismatch = "token.issuer_mismatch", "iss is not the issuer the resource trusts", "Get the token from the issuer the API trusts, or fix the API's configured issuer (exact string, trailing slash included).";
    /// `aud` does not name this resource.
    TokenAudienceMismatch = "token.audience_mismatch", "aud does not name this resource", "Request the token for this API: pass its identifier as `audience` (or RFC 8707 `resource`) in the token request.";
    /// A token of the wrong kind is used as an access token.
    TokenWrongType = "token.wrong_type", "a token of the wrong kind is used as an access token", "Send the access token, not the ID token or refresh token, to APIs.";
    /// The token lacks a scope or permission the endpoint needs.
    TokenScopeInsufficient = "token.scope_insufficient", "the token lacks a scope or permission the endpoint needs", "Request the token with the scope the endpoint needs, and make sure the client is allowed that scope.";
    /// The issuer says the token is no longer active.
    TokenRevoked = "token.revoked", "the token is well formed and unexpired but the issuer says it is no longer active", "Sign in again or refresh to get a new token; the old one was revoked.";
    /// The token is sender-constrained and the proof is missing or wrong.
    TokenBindingRequired = "token.binding_required", "the token is sender-constrained and the proof is missing or wrong", "Send the DPoP proof (or client certificate) the token is bound to, with the server's nonce if it asks for one.";
    /// Stronger or fresher user authentication is required.
    StepupRequired = "stepup.required", "stronger or fresher user authentication is required", "Sign in again with the authentication level (acr_values) or recency (max_age) the challenge asks for.";
    /// The credentials are well formed but wrong.
    CredentialsInvalid = "credentials.invalid", "the credentials are well formed but wrong", "Check the user name and password (or API key) against the server's records; they are well formed but wrong.";
    /// The session cookie is missing, expired or not sent.
    CookieRejected = "cookie.rejected", "the session cookie is missing, expired or not sent", "Check the cookie's Domain, Path, Secure and SameSite attributes against how the request is sent, and that it has not expired.";
    /// A browser blocked the request or hid its answer (CORS).
    CorsBlocked = "cors.blocked", "a browser blocked the request or hid its answer (CORS)", "Let the preflight (OPTIONS) through without authentication, and allow Authorization in Access-Control-Allow-Headers.";
    /// The client's own credentials fail at the token endpoint.
    ClientInvalid = "client.invalid", "the client's own credentials fail at the token endpoint", "Check the client id and secret, and the client authentication method the token endpoint expects.";
    /// A fresh token cannot be had with the refresh token.
    RefreshFailed = "refresh.failed", "a fresh token cannot be had with the refresh token", "Sign in again: the refresh token is expired, revoked or was already used.";
    /// The caller is authenticated but not allowed.
    AuthzForbidden = "authz.forbidden", "the caller is authenticated but not allowed", "Grant the caller the role or permission, or call as a user who has it; authentication itself succeeded.";
    /// Every client-side check passes, yet the server rejects.
    ServerMisconfigured = "server.misconfigured", "every check on the client side passes, yet the server rejects", "Check the server's logs and its issuer, audience and JWKS settings: the client side is correct.";
    /// The rejection does not repeat.
    Transient = "transient", "the rejection does not repeat", "Retry; if it recurs, look for a cache or a node in the server's pool with stale keys.";
}

impl Cause {
    /// Where this cause stands when several are found with the same
    /// likelihood: the one whose fix also fixes the others comes first (a
    /// token from the wrong issuer that has also expired is fixed by a token
    /// from the right issuer; an ID token that lacks the API's audience is
    /// fixed by sending the access token). Lower is first.
    pub fn priority(self) -> usize {
        const ORDER: &[Cause] = &[
            Cause::Transient,
            Cause::HeaderLostOnRedirect,
            Cause::ClientInvalid,
            Cause::RefreshFailed,
            Cause::CorsBlocked,
            Cause::CredentialsMissing,
            Cause::HeaderMalformed,
            Cause::SchemeMismatch,
            Cause::TokenMalformed,
            Cause::TokenAlgRejected,
            Cause::TokenWrongType,
            Cause::TokenIssuerMismatch,
            Cause::TokenUnknownKey,
            Cause::TokenSignatureInvalid,
            Cause::TokenAudienceMismatch,
            Cause::ClockSkew,
            Cause::TokenExpired,
            Cause::TokenNotYetValid,
            Cause::TokenRevoked,
            Cause::TokenBindingRequired,
            Cause::StepupRequired,
            Cause::TokenScopeInsufficient,
            Cause::CredentialsInvalid,
            Cause::CookieRejected,
            Cause::AuthzForbidden,
            Cause::ServerMisconfigured,
        ];
        ORDER.iter().position(|c| *c == self).unwrap_or(ORDER.len())
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for Cause {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

impl<'de> Deserialize<'de> for Cause {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let id = String::deserialize(d)?;
        Cause::from_id(&id)
            .ok_or_else(|| serde::de::Error::custom(format!("`{id}` is not a known cause id")))
    }
}

/// How strongly the evidence supports a cause.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Likelihood {
    /// The evidence points straight at it.
    High,
    /// The evidence is consistent with it, but not conclusive.
    Medium,
    /// Possible; worth a look if the others are ruled out.
    Low,
}

/// How much work a fix takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Effort {
    /// A command or a flag.
    Easy,
    /// A configuration change.
    Medium,
    /// A change of code or of another team's system.
    Hard,
}

/// The kinds of finding over many requests (`authdoctor logs`), with stable
/// ids (causes.md, "Log findings").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum FindingKind {
    /// Many distinct users or credentials fail from one client address.
    #[serde(rename = "credential_stuffing")]
    CredentialStuffing,
    /// One account fails from many addresses.
    #[serde(rename = "distributed_bruteforce")]
    DistributedBruteforce,
    /// A burst of forged or badly signed tokens from one client.
    #[serde(rename = "token_guessing")]
    TokenGuessing,
    /// One client fails on every request.
    #[serde(rename = "always_fails")]
    AlwaysFails,
    /// A client's failures come at a fixed age of its token.
    #[serde(rename = "refresh_too_late")]
    RefreshTooLate,
    /// Rejections for unknown keys across many clients after a rotation.
    #[serde(rename = "rotation_spike")]
    RotationSpike,
    /// One node rejects what its peers accept.
    #[serde(rename = "node_outlier")]
    NodeOutlier,
    /// The rejection rate jumps against its own baseline.
    #[serde(rename = "rate_jump")]
    RateJump,
    /// Authorization answered as authentication on some routes only.
    #[serde(rename = "401_instead_of_403")]
    Unauthorized401InsteadOf403,
    /// A secret written into the log itself.
    #[serde(rename = "secret_in_log")]
    SecretInLog,
}

impl FindingKind {
    /// Every kind, in the order of causes.md.
    pub const ALL: &'static [FindingKind] = &[
        FindingKind::CredentialStuffing,
        FindingKind::DistributedBruteforce,
        FindingKind::TokenGuessing,
        FindingKind::AlwaysFails,
        FindingKind::RefreshTooLate,
        FindingKind::RotationSpike,
        FindingKind::NodeOutlier,
        FindingKind::RateJump,
        FindingKind::Unauthorized401InsteadOf403,
        FindingKind::SecretInLog,
    ];

    /// The stable id.
    pub fn id(self) -> &'static str {
        match self {
            FindingKind::CredentialStuffing => "credential_stuffing",
            FindingKind::DistributedBruteforce => "distributed_bruteforce",
            FindingKind::TokenGuessing => "token_guessing",
            FindingKind::AlwaysFails => "always_fails",
            FindingKind::RefreshTooLate => "refresh_too_late",
            FindingKind::RotationSpike => "rotation_spike",
            FindingKind::NodeOutlier => "node_outlier",
            FindingKind::RateJump => "rate_jump",
            FindingKind::Unauthorized401InsteadOf403 => "401_instead_of_403",
            FindingKind::SecretInLog => "secret_in_log",
        }
    }
}

#[cfg(test)]
mod tests;
