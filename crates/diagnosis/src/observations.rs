//! The facts a probe gathers about one rejected request: typed, complete,
//! and all the rules read. Built by the probe from real exchanges, or by
//! tests from fixtures.

use crate::facts::{CredentialUse, Exchange, Hop};
use crate::spec::{JarCookie, RequestSpec};
use authdoctor_httpauth::challenge::Problem;
use authdoctor_httpauth::{Challenge, Credentials};
use authdoctor_jose::{Decoded, JwkSet, Report};
use authdoctor_secret::{RefreshToken, Token};
use serde_json::Value;

/// Where a fact the rules compare against came from.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The user said so (a flag).
    User,
    /// The resource's RFC 9728 metadata.
    ResourceMetadata,
    /// The server's challenge.
    Challenge,
}

/// What the resource expects, and where that came from.
#[derive(Clone, Debug, Default)]
pub struct Expected {
    /// The trusted issuer.
    pub issuer: Option<(String, Source)>,
    /// The audience.
    pub audience: Option<(String, Source)>,
    /// The scopes needed.
    pub scopes: Option<(Vec<String>, Source)>,
}

/// The token found in the request and what the checks say of it.
#[derive(Clone, Debug)]
pub struct TokenFacts {
    /// The token (its Debug is masked; `expose()` for the clear text).
    pub raw: Token,
    /// Where it was: `authorization`, a header name, or `query`.
    pub place: String,
    /// Decoded.
    pub decoded: Decoded,
    /// The checks, judged at the server's clock (its `Date`) when known.
    pub at_server: Report,
    /// The checks, judged at the local clock.
    pub at_local: Report,
    /// Whether the keys of the token's issuer were fetched.
    pub keys_known: bool,
}

/// A retry with a fresh token.
#[derive(Clone, Debug, Default)]
pub struct Retry {
    /// Whether it was sent.
    pub attempted: bool,
    /// Why not, when it was not.
    pub skipped: Option<String>,
    /// How the fresh token was had (`client_credentials`, `refresh_token`), and with which client authentication.
    pub grant: Option<String>,
    /// The token endpoint's refusal, when it refused.
    pub grant_error: Option<(u16, String, Option<String>)>,
    /// The retry's final status.
    pub status: Option<u16>,
    /// The fresh token.
    pub fresh_token: Option<Token>,
    /// The fresh token's claims and header, for the comparison.
    pub fresh: Option<Decoded>,
    /// Whether client_secret_basic was refused and client_secret_post accepted (or the reverse).
    pub auth_method_note: Option<String>,
    /// The refresh token the token endpoint issued in place of the one
    /// given (rotation): the one given is spent, this one is the user's now.
    pub rotated_refresh_token: Option<RefreshToken>,
}

/// Everything the probe saw.
#[derive(Clone, Debug)]
pub struct Observations {
    /// The request as specified.
    pub spec: RequestSpec,
    /// The exchanges, hop by hop.
    pub hops: Vec<Hop>,
    /// The local clock when the final answer came.
    pub local_now: i64,
    /// The server's clock (final `Date`).
    pub server_now: Option<i64>,
    /// The clock-skew allowance assumed.
    pub leeway: u64,
    /// The Authorization value sent first, linted.
    pub authorization: Option<Credentials>,
    /// Cookies sent with the first request (names).
    pub cookies_sent: Vec<String>,
    /// Jar cookies that were not sent, and why.
    pub cookies_withheld: Vec<(JarCookie, String)>,
    /// Headers other than Authorization that carry credentials (name).
    pub other_credentials: Vec<String>,
    /// The final answer's challenges and their defects.
    pub challenges: Vec<Challenge>,
    /// Defects of the final WWW-Authenticate.
    pub challenge_problems: Vec<Problem>,
    /// `error` and `error_description` from a JSON body.
    pub body_error: Option<(String, Option<String>)>,
    /// The token and its checks, when it is a JWT.
    pub token: Option<TokenFacts>,
    /// The token, when it is opaque (only its issuer can say anything of it).
    pub opaque_token: Option<Token>,
    /// What the resource expects.
    pub expected: Expected,
    /// RFC 9728 metadata: the exchange or why it failed.
    pub resource_metadata: Option<Result<Exchange, String>>,
    /// OIDC discovery of the token's issuer.
    pub discovery: Option<Result<Exchange, String>>,
    /// The token issuer's JWKS.
    pub jwks: Option<Result<JwkSet, String>>,
    /// RFC 7662 introspection of the token: `active`, or why it was not asked.
    pub introspection: Option<Result<Value, String>>,
    /// When the request was itself a call to a token endpoint: its grant type.
    pub token_request_grant: Option<String>,
    /// The same request sent again as it was (transient rejections).
    pub resend_status: Option<u16>,
    /// The fresh-token retry.
    pub retry: Retry,
    /// Every endpoint a credential was sent to, or withheld from, and why.
    pub credential_uses: Vec<CredentialUse>,
}

impl Observations {
    /// The final answer.
    pub fn last(&self) -> &Hop {
        // `observe` never returns without at least one hop.
        &self.hops[self.hops.len() - 1]
    }

    /// The clock offset: server minus local, seconds.
    pub fn clock_offset(&self) -> Option<i64> {
        let last = self.last();
        last.date.map(|d| d - last.received_at)
    }
}
