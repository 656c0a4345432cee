//! Typed views of the challenges people meet: Bearer (RFC 6750) with its
//! extensions — RFC 9728 `resource_metadata`, RFC 9470 step-up, the Docker
//! registry's `service`/`scope` — DPoP (RFC 9449), Basic (RFC 7617), Digest
//! (RFC 7616) and Negotiate (RFC 4559).
//!
//! A view reads parameters; it never fails. What a parameter means for the
//! diagnosis is [`BearerChallenge::suggested_causes`].

use crate::challenge::Challenge;
use authdoctor_causes::Cause;
use serde::Serialize;

/// The `error` codes of a Bearer or DPoP challenge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BearerError {
    /// RFC 6750 §3.1: the request is missing a parameter or is malformed.
    InvalidRequest,
    /// RFC 6750 §3.1: the token is expired, revoked, malformed or invalid.
    InvalidToken,
    /// RFC 6750 §3.1: the token lacks the scope the resource needs.
    InsufficientScope,
    /// RFC 9470 §3: stronger or fresher user authentication is needed.
    InsufficientUserAuthentication,
    /// RFC 9449 §7.1: the DPoP proof is missing or invalid.
    InvalidDpopProof,
    /// RFC 9449 §9: the server wants a DPoP proof with its nonce.
    UseDpopNonce,
    /// Any other code, as sent.
    Other(String),
}

impl BearerError {
    /// Reads an `error` parameter.
    pub fn parse(s: &str) -> BearerError {
        match s {
            "invalid_request" => BearerError::InvalidRequest,
            "invalid_token" => BearerError::InvalidToken,
            "insufficient_scope" => BearerError::InsufficientScope,
            "insufficient_user_authentication" => BearerError::InsufficientUserAuthentication,
            "invalid_dpop_proof" => BearerError::InvalidDpopProof,
            "use_dpop_nonce" => BearerError::UseDpopNonce,
            other => BearerError::Other(other.to_owned()),
        }
    }
}

/// A Bearer (or DPoP) challenge, its parameters read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BearerChallenge {
    /// `realm`.
    pub realm: Option<String>,
    /// `scope`, split on spaces.
    pub scope: Vec<String>,
    /// `error`.
    pub error: Option<BearerError>,
    /// `error_description`.
    pub error_description: Option<String>,
    /// `error_uri`.
    pub error_uri: Option<String>,
    /// RFC 9728 §5.1: where the resource's metadata is.
    pub resource_metadata: Option<String>,
    /// RFC 9470: the authentication context classes wanted, split on spaces.
    pub acr_values: Vec<String>,
    /// RFC 9470: the greatest age of the authentication wanted, in seconds.
    pub max_age: Option<u64>,
    /// RFC 9449: the DPoP algorithms the server accepts, split on spaces.
    pub algs: Vec<String>,
    /// The Docker registry token protocol: the `service` to ask a token for.
    pub service: Option<String>,
    /// Whether the challenge's scheme is DPoP rather than Bearer.
    pub dpop: bool,
}

fn words(v: Option<&str>) -> Vec<String> {
    v.map(|s| s.split_ascii_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

impl BearerChallenge {
    /// Reads a challenge whose scheme is Bearer or DPoP.
    pub fn from_challenge(ch: &Challenge) -> Option<BearerChallenge> {
        let dpop = ch.is("DPoP");
        if !(ch.is("Bearer") || dpop) {
            return None;
        }
        let get = |n: &str| ch.param(n).map(str::to_owned);
        Some(BearerChallenge {
            realm: get("realm"),
            scope: words(ch.param("scope")),
            error: ch.param("error").map(BearerError::parse),
            error_description: get("error_description"),
            error_uri: get("error_uri"),
            resource_metadata: get("resource_metadata"),
            acr_values: words(ch.param("acr_values")),
            max_age: ch.param("max_age").and_then(|v| v.trim().parse().ok()),
            algs: words(ch.param("algs")),
            service: get("service"),
            dpop,
        })
    }

    /// Whether this is the Docker registry token protocol's challenge: a
    /// `realm` that is the URL of a token service, and a `service`.
    pub fn is_registry_style(&self) -> bool {
        self.service.is_some()
            && self
                .realm
                .as_deref()
                .is_some_and(|r| r.starts_with("https://") || r.starts_with("http://"))
    }

    /// Where the registry token protocol's token is asked for: the realm
    /// with the challenge's `service` and each `scope` in its query, as a
    /// registry client (docker) asks. `None` for another challenge.
    pub fn registry_token_url(&self) -> Option<String> {
        if !self.is_registry_style() {
            return None;
        }
        // Everything but the unreserved characters, percent-encoded.
        const QUERY: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
            .remove(b'-')
            .remove(b'.')
            .remove(b'_')
            .remove(b'~');
        let mut url = self.realm.clone()?;
        let mut sep = if url.contains('?') { '&' } else { '?' };
        let pairs = self
            .service
            .iter()
            .map(|s| ("service", s))
            .chain(self.scope.iter().map(|s| ("scope", s)));
        for (name, value) in pairs {
            url.push(sep);
            url.push_str(name);
            url.push('=');
            url.extend(percent_encoding::utf8_percent_encode(value, QUERY));
            sep = '&';
        }
        Some(url)
    }

    /// The causes this challenge points at, strongest first. A server's
    /// words are one piece of evidence among others: the doctor weighs them
    /// against its own checks.
    pub fn suggested_causes(&self) -> Vec<Cause> {
        let mut out = Vec::new();
        match &self.error {
            // RFC 6750 §3.1: a request without credentials gets no error code.
            None => out.push(Cause::CredentialsMissing),
            Some(BearerError::InvalidRequest) => out.push(Cause::HeaderMalformed),
            // RFC 6750 §3.1: "expired, revoked, malformed, or invalid for
            // other reasons": the candidates the doctor must check,
            // commonest first. What a description says in a server's own
            // words is the doctor's dialect catalogue's to read, not the
            // grammar's.
            Some(BearerError::InvalidToken) => out.extend([
                Cause::TokenExpired,
                Cause::TokenSignatureInvalid,
                Cause::TokenRevoked,
                Cause::TokenMalformed,
            ]),
            Some(BearerError::InsufficientScope) => out.push(Cause::TokenScopeInsufficient),
            Some(BearerError::InsufficientUserAuthentication) => out.push(Cause::StepupRequired),
            Some(BearerError::InvalidDpopProof | BearerError::UseDpopNonce) => {
                out.push(Cause::TokenBindingRequired)
            }
            Some(BearerError::Other(_)) => {}
        }
        out.dedup();
        out
    }
}

/// A Basic challenge (RFC 7617).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BasicChallenge {
    /// `realm` (required by RFC 7617 §2).
    pub realm: Option<String>,
    /// `charset`: only `UTF-8` is defined (RFC 7617 §2.1).
    pub charset: Option<String>,
}

impl BasicChallenge {
    /// Reads a Basic challenge.
    pub fn from_challenge(ch: &Challenge) -> Option<BasicChallenge> {
        ch.is("Basic").then(|| BasicChallenge {
            realm: ch.param("realm").map(str::to_owned),
            charset: ch.param("charset").map(str::to_owned),
        })
    }
}

/// A Digest challenge (RFC 7616 §3.3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DigestChallenge {
    /// `realm`.
    pub realm: Option<String>,
    /// `domain`, split on spaces.
    pub domain: Vec<String>,
    /// `nonce`.
    pub nonce: Option<String>,
    /// `opaque`.
    pub opaque: Option<String>,
    /// `stale`: the nonce was stale, the credentials may be right.
    pub stale: bool,
    /// `algorithm` (MD5 when absent).
    pub algorithm: String,
    /// `qop`, split on commas.
    pub qop: Vec<String>,
    /// `charset`.
    pub charset: Option<String>,
    /// `userhash`.
    pub userhash: bool,
}

impl DigestChallenge {
    /// Reads a Digest challenge.
    pub fn from_challenge(ch: &Challenge) -> Option<DigestChallenge> {
        if !ch.is("Digest") {
            return None;
        }
        let flag = |n: &str| ch.param(n).is_some_and(|v| v.eq_ignore_ascii_case("true"));
        Some(DigestChallenge {
            realm: ch.param("realm").map(str::to_owned),
            domain: words(ch.param("domain")),
            nonce: ch.param("nonce").map(str::to_owned),
            opaque: ch.param("opaque").map(str::to_owned),
            stale: flag("stale"),
            algorithm: ch.param("algorithm").unwrap_or("MD5").to_owned(),
            qop: ch
                .param("qop")
                .map(|q| {
                    q.split(',')
                        .map(|s| s.trim().to_owned())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            charset: ch.param("charset").map(str::to_owned),
            userhash: flag("userhash"),
        })
    }
}

/// A challenge seen through the view of its scheme.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Typed {
    /// Bearer or DPoP.
    Bearer(BearerChallenge),
    /// Basic.
    Basic(BasicChallenge),
    /// Digest.
    Digest(DigestChallenge),
    /// Negotiate (Kerberos/SPNEGO), with its token68 if any.
    Negotiate {
        /// The continuation token, when the server sent one.
        token68: Option<String>,
    },
    /// A scheme without a view here.
    Other,
}

impl Typed {
    /// The view of `ch`.
    pub fn of(ch: &Challenge) -> Typed {
        if let Some(b) = BearerChallenge::from_challenge(ch) {
            Typed::Bearer(b)
        } else if let Some(b) = BasicChallenge::from_challenge(ch) {
            Typed::Basic(b)
        } else if let Some(d) = DigestChallenge::from_challenge(ch) {
            Typed::Digest(d)
        } else if ch.is("Negotiate") {
            Typed::Negotiate {
                token68: ch.token68.clone(),
            }
        } else {
            Typed::Other
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::challenge::parse;

    fn bearer(v: &str) -> BearerChallenge {
        let p = parse(v);
        assert!(p.problems.is_empty(), "{v}: {:?}", p.problems);
        BearerChallenge::from_challenge(&p.challenges[0]).expect("a Bearer challenge")
    }

    #[test]
    fn rfc6750_insufficient_scope() {
        let b = bearer(r#"Bearer realm="example", error="insufficient_scope", scope="read write""#);
        assert_eq!(b.error, Some(BearerError::InsufficientScope));
        assert_eq!(b.scope, ["read", "write"]);
        assert_eq!(b.suggested_causes(), [Cause::TokenScopeInsufficient]);
    }

    #[test]
    fn rfc6750_no_error_means_no_credentials() {
        assert_eq!(
            bearer(r#"Bearer realm="example""#).suggested_causes(),
            [Cause::CredentialsMissing]
        );
    }

    #[test]
    fn invalid_token_names_the_candidates_by_its_code_alone() {
        // The description is the server's own words: the doctor's dialect
        // catalogue reads them, not the grammar.
        let b = bearer(
            r#"Bearer realm="example", error="invalid_token", error_description="unexpected \"aud\" claim value""#,
        );
        assert_eq!(
            b.suggested_causes(),
            [
                Cause::TokenExpired,
                Cause::TokenSignatureInvalid,
                Cause::TokenRevoked,
                Cause::TokenMalformed
            ]
        );
    }

    #[test]
    fn rfc9470_step_up() {
        // RFC 9470 §3, the example.
        let b = bearer(
            r#"Bearer error="insufficient_user_authentication", error_description="A different authentication level is required", acr_values="myACR""#,
        );
        assert_eq!(b.error, Some(BearerError::InsufficientUserAuthentication));
        assert_eq!(b.acr_values, ["myACR"]);
        let b = bearer(
            r#"Bearer error="insufficient_user_authentication", error_description="More recent authentication is required", max_age="5""#,
        );
        assert_eq!(b.max_age, Some(5));
        assert_eq!(b.suggested_causes(), [Cause::StepupRequired]);
    }

    #[test]
    fn rfc9449_dpop() {
        // RFC 9449 §7.1 and §9.
        let b = bearer(r#"DPoP algs="ES256 PS256""#);
        assert!(b.dpop);
        assert_eq!(b.algs, ["ES256", "PS256"]);
        let b = bearer(
            r#"DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof""#,
        );
        assert_eq!(b.error, Some(BearerError::UseDpopNonce));
        assert_eq!(b.suggested_causes(), [Cause::TokenBindingRequired]);
    }

    #[test]
    fn rfc9728_resource_metadata() {
        // RFC 9728 §5.1.
        let b = bearer(
            r#"Bearer resource_metadata="https://resource.example.com/.well-known/oauth-protected-resource""#,
        );
        assert_eq!(
            b.resource_metadata.as_deref(),
            Some("https://resource.example.com/.well-known/oauth-protected-resource")
        );
    }

    #[test]
    fn docker_registry_style() {
        let b = bearer(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push""#,
        );
        assert!(b.is_registry_style());
        assert_eq!(b.scope, ["repository:samalba/my-app:pull,push"]);
        assert_eq!(
            b.registry_token_url().as_deref(),
            Some(
                "https://auth.docker.io/token?service=registry.docker.io&scope=repository%3Asamalba%2Fmy-app%3Apull%2Cpush"
            )
        );
        // A realm with a query of its own keeps it.
        let b = bearer(r#"Bearer realm="https://ghcr.io/token?x=1",service="ghcr.io""#);
        assert_eq!(
            b.registry_token_url().as_deref(),
            Some("https://ghcr.io/token?x=1&service=ghcr.io")
        );
        assert_eq!(bearer(r#"Bearer realm="api""#).registry_token_url(), None);
    }

    #[test]
    fn basic_digest_negotiate_views() {
        let p = parse(
            r#"Basic realm="WallyWorld", charset="UTF-8", Negotiate, Digest realm="r", stale=true, qop="auth,auth-int", algorithm=SHA-256"#,
        );
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        let views: Vec<Typed> = p.challenges.iter().map(Typed::of).collect();
        assert!(matches!(&views[0], Typed::Basic(b) if b.charset.as_deref() == Some("UTF-8")));
        assert!(matches!(&views[1], Typed::Negotiate { token68: None }));
        match &views[2] {
            Typed::Digest(d) => {
                assert!(d.stale);
                assert_eq!(d.qop, ["auth", "auth-int"]);
                assert_eq!(d.algorithm, "SHA-256");
            }
            other => panic!("{other:?}"),
        }
    }
}
