//! The root causes of a rejected HTTP request: the vocabulary every part of
//! authdoctor speaks (the doctor's report, the guard's reject log, tests).
//!
//! The ids are those of `causes.md` in the design documents and are stable:
//! new causes are added, none is renamed. A [`Cause`] serializes as its id.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! causes {
    ($( $(#[$doc:meta])* $variant:ident = $id:literal, $what:literal; )*) => {
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

            /// The cause with this id, if it is one.
            pub fn from_id(id: &str) -> Option<Cause> {
                match id { $($id => Some(Cause::$variant),)* _ => None }
            }
        }
    };
}

causes! {
    /// The request carries no credentials at all.
    CredentialsMissing = "credentials.missing", "the request carries no credentials at all";
    /// Credentials are present but the header is not well formed.
    HeaderMalformed = "header.malformed", "credentials are present but the header is not well formed";
    /// The wrong scheme, or credentials in the wrong place.
    SchemeMismatch = "scheme.mismatch", "the wrong scheme, or credentials in the wrong place";
    /// The client dropped `Authorization` when it followed a redirect.
    HeaderLostOnRedirect = "header.lost_on_redirect", "the client dropped Authorization when it followed a redirect";
    /// The token cannot be parsed.
    TokenMalformed = "token.malformed", "the token cannot be parsed";
    /// `exp` is in the past by the server's clock.
    TokenExpired = "token.expired", "the token's exp is in the past by the server's clock";
    /// `nbf` (or `iat`) is in the future by the server's clock.
    TokenNotYetValid = "token.not_yet_valid", "the token's nbf (or iat) is in the future by the server's clock";
    /// A clock is wrong, not the token.
    ClockSkew = "clock.skew", "a clock is wrong, not the token";
    /// The signature does not verify with the issuer's keys.
    TokenSignatureInvalid = "token.signature_invalid", "the signature does not verify with the issuer's keys";
    /// The signing key is not (or no longer) published by the issuer.
    TokenUnknownKey = "token.unknown_key", "the signing key is not (or no longer) published by the issuer";
    /// The token uses an algorithm the server does not accept.
    TokenAlgRejected = "token.alg_rejected", "the token uses an algorithm the server does not accept";
    /// `iss` is not the issuer the resource trusts.
    TokenIssuerMismatch = "token.issuer_mismatch", "iss is not the issuer the resource trusts";
    /// `aud` does not name this resource.
    TokenAudienceMismatch = "token.audience_mismatch", "aud does not name this resource";
    /// A token of the wrong kind is used as an access token.
    TokenWrongType = "token.wrong_type", "a token of the wrong kind is used as an access token";
    /// The token lacks a scope or permission the endpoint needs.
    TokenScopeInsufficient = "token.scope_insufficient", "the token lacks a scope or permission the endpoint needs";
    /// The issuer says the token is no longer active.
    TokenRevoked = "token.revoked", "the token is well formed and unexpired but the issuer says it is no longer active";
    /// The token is sender-constrained and the proof is missing or wrong.
    TokenBindingRequired = "token.binding_required", "the token is sender-constrained and the proof is missing or wrong";
    /// Stronger or fresher user authentication is required.
    StepupRequired = "stepup.required", "stronger or fresher user authentication is required";
    /// The credentials are well formed but wrong.
    CredentialsInvalid = "credentials.invalid", "the credentials are well formed but wrong";
    /// The session cookie is missing, expired or not sent.
    CookieRejected = "cookie.rejected", "the session cookie is missing, expired or not sent";
    /// A browser blocked the request or hid its answer (CORS).
    CorsBlocked = "cors.blocked", "a browser blocked the request or hid its answer (CORS)";
    /// The client's own credentials fail at the token endpoint.
    ClientInvalid = "client.invalid", "the client's own credentials fail at the token endpoint";
    /// A fresh token cannot be had with the refresh token.
    RefreshFailed = "refresh.failed", "a fresh token cannot be had with the refresh token";
    /// The caller is authenticated but not allowed.
    AuthzForbidden = "authz.forbidden", "the caller is authenticated but not allowed";
    /// Every client-side check passes, yet the server rejects.
    ServerMisconfigured = "server.misconfigured", "every check on the client side passes, yet the server rejects";
    /// The rejection does not repeat.
    Transient = "transient", "the rejection does not repeat";
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

#[cfg(test)]
mod tests;
