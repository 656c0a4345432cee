//! The facts a probe gathers about one rejected request: typed, complete,
//! and all the rules read. Built by the probe from real exchanges, or by
//! tests from fixtures.

use crate::facts::{CredentialUse, Exchange, FetchError, Hop};
use crate::spec::RequestSpec;
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
    /// The server's own words (a body or description in its dialect).
    ServerWords,
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
    /// Where the server contradicts what the user said it expects.
    pub contradictions: Vec<String>,
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
    /// The fresh token's checks against the same expectations, at the
    /// server's clock: what the experiment really tested.
    pub fresh_report: Option<Report>,
    /// Whether client_secret_basic was refused and client_secret_post accepted (or the reverse).
    pub auth_method_note: Option<String>,
    /// The refresh token the token endpoint issued in place of the one
    /// given (rotation): the one given is spent, this one is the user's now.
    pub rotated_refresh_token: Option<RefreshToken>,
    /// The scope of a fresh token the server refused (the one sent and
    /// the one needed, together) and the narrower scope of one it then
    /// accepted (the one needed alone): a server that compares the scope
    /// claim whole, as one string, where a token carries a list.
    pub scope_narrowed: Option<(String, String)>,
}

/// Everything the probe saw.
#[derive(Clone, Debug)]
pub struct Observations {
    /// The request as specified.
    pub spec: RequestSpec,
    /// The exchanges, hop by hop.
    pub hops: Vec<Hop>,
    /// Where the server sent the request to sign in instead of answering
    /// it (a web application's answer to a missing or refused session: a
    /// redirect to its login page or to an identity provider; when
    /// redirects were followed, a sign-in form at their end). A refusal, as
    /// a 401 is ([`Observations::status`]).
    pub sign_in: Option<String>,
    /// A refusal the final answer, a success, carries in its body (a
    /// GraphQL server's `errors`): a refusal, as a 401 or 403 is
    /// ([`Observations::answered`]).
    pub refused_in_body: Option<crate::facts::BodyRefusal>,
    /// A firewall's or bot manager's page in front of the API answered
    /// instead of it: no authentication was made.
    pub edge_block: Option<crate::facts::EdgeBlock>,
    /// The application's CSRF protection refused the request.
    pub csrf: Option<crate::facts::CsrfRefusal>,
    /// The forward proxy the request went through, where the environment
    /// named one.
    pub proxy: Option<crate::facts::ForwardProxy>,
    /// The server wanted a client certificate (mutual TLS) and did not get
    /// one it accepts: how its answer says so.
    pub client_certificate: Option<String>,
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
    /// Cookies that were not sent, and why.
    pub cookies_withheld: Vec<crate::cookies::NotSent>,
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
    pub resource_metadata: Option<Result<Exchange, FetchError>>,
    /// OIDC discovery of the token's issuer.
    pub discovery: Option<Result<Exchange, FetchError>>,
    /// The token issuer's JWKS.
    pub jwks: Option<Result<JwkSet, FetchError>>,
    /// RFC 7662 introspection of the token: `active`, or why it was not asked.
    pub introspection: Option<Result<Value, FetchError>>,
    /// When the request was itself a call to a token endpoint: its grant type.
    pub token_request_grant: Option<String>,
    /// The same request sent again as it was (transient rejections).
    pub resend_status: Option<u16>,
    /// The same request sent without its credentials, where the answer
    /// with them was a missing resource or method (404, 405, 410): a
    /// refusal then (401, 403, or a redirect to sign in) says the server's
    /// authentication let the credentials through, and the error came
    /// after it. Also after a bare 400, a 500 to a Bearer token, and a 403
    /// to one ([`Self::broken_signature_status`]).
    pub bare_status: Option<u16>,
    /// Where the answer was a 500 to a JWT in `Authorization` and the same
    /// request without it was refused ([`Self::bare_status`]), or a 403
    /// (that names no scope) and the request without it was asked for
    /// credentials (401): the answer to the same token with its signature
    /// broken (an opaque token, after a 403: changed, a token nobody
    /// issued). A 500 again says the server fails before it checks a
    /// signature, at finding the token's key
    /// ([`crate::rules::fails_at_the_key`]); a 403 again, that the server
    /// refused the token as it refuses a forged one
    /// ([`crate::rules::refused_as_forged`]).
    pub broken_signature_status: Option<u16>,
    /// Whether [`Self::challenges`] are those of the answer to the request
    /// sent again without its credentials: the answer with them was a bare
    /// 400, and without them a 401 that asked for these.
    pub challenged_bare: bool,
    /// curl --digest or --anyauth: how the password was sent in answer to
    /// the server's challenge.
    pub password_round: Option<crate::facts::PasswordRound>,
    /// The fresh-token retry.
    pub retry: Retry,
    /// Every endpoint a credential was sent to, or withheld from, and why.
    pub credential_uses: Vec<CredentialUse>,
}

impl Observations {
    /// The facts of a request and its exchanges, before any probing: what
    /// the request carried; everything the probe learns later is empty.
    pub fn new(spec: RequestSpec, hops: Vec<Hop>, leeway: u64) -> Observations {
        let (local_now, server_now) = hops
            .last()
            .map(|h| (h.received_at, h.date))
            .unwrap_or((0, None));
        let mut o = Observations {
            authorization: spec.header("authorization").map(authdoctor_httpauth::lint),
            cookies_sent: spec
                .headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case("cookie"))
                .flat_map(|(_, v)| {
                    v.split(';')
                        .filter_map(|c| c.split_once('=').map(|(n, _)| n.trim().to_owned()))
                })
                .collect(),
            other_credentials: spec
                .headers
                .iter()
                .map(|(n, _)| n.to_ascii_lowercase())
                // Credential headers other than the standard ones (API keys and the like).
                .filter(|n| {
                    authdoctor_secret::is_secret_header(n)
                        && !matches!(
                            n.as_str(),
                            "authorization"
                                | "proxy-authorization"
                                | "cookie"
                                | "set-cookie"
                                | "dpop"
                        )
                })
                // And a key in the query string (`?api_key=…`), which
                // servers read as well as a header; a JWT there is the
                // token's matter (its place is "query").
                .chain(query_credentials(&spec.url))
                .collect(),
            token_request_grant: spec
                .form()
                .into_iter()
                .find(|(k, _)| k == "grant_type")
                .map(|(_, v)| v),
            spec,
            hops,
            local_now,
            server_now,
            leeway,
            cookies_withheld: Vec::new(),
            challenges: Vec::new(),
            challenge_problems: Vec::new(),
            body_error: None,
            token: None,
            opaque_token: None,
            expected: Expected::default(),
            resource_metadata: None,
            discovery: None,
            jwks: None,
            introspection: None,
            resend_status: None,
            bare_status: None,
            broken_signature_status: None,
            challenged_bare: false,
            password_round: None,
            retry: Retry::default(),
            credential_uses: Vec::new(),
            sign_in: None,
            refused_in_body: None,
            edge_block: None,
            csrf: None,
            proxy: None,
            client_certificate: None,
        };
        o.read_answer();
        o
    }

    /// What the final answer says of itself, read from it once: a refusal
    /// in a success's body, an edge's page in the API's place, a client
    /// certificate wanted.
    fn read_answer(&mut self) {
        let Some(last) = self.hops.last() else {
            return;
        };
        self.refused_in_body = crate::facts::refusal_in_body(last);
        self.edge_block = crate::facts::edge_block(last);
        self.csrf = crate::facts::csrf_refusal(last);
        self.client_certificate = crate::facts::client_certificate_refused(last);
    }

    /// The status the request's outcome stands for: the final one, 401
    /// where the server sent the request to sign in ([`Self::sign_in`]),
    /// or the status of a refusal in its body ([`Self::answered`]).
    pub fn status(&self) -> u16 {
        match (&self.sign_in, self.answered()) {
            (Some(_), s) if s < 400 => 401,
            (_, s) => s,
        }
    }

    /// The status the final answer stands for: its own, that of the
    /// refusal it carries in its body ([`Self::refused_in_body`]: a GraphQL
    /// server's 200 whose errors say UNAUTHENTICATED stands for a 401), or
    /// 401 for a family's own status of an authentication failure
    /// ([`crate::dialects::STATUS_DIALECTS`]: ArcGIS's 498).
    pub fn answered(&self) -> u16 {
        match &self.refused_in_body {
            Some(r) => r.status,
            None => match crate::dialects::status_dialect(self.last().status) {
                Some(_) => 401,
                None => self.last().status,
            },
        }
    }

    /// Whether the final answer's body holds `words` (given in lower case),
    /// whatever their case there: how a server's tables of words
    /// ([`crate::rules`]) know it.
    pub fn body_holds(&self, words: &str) -> bool {
        self.hops
            .last()
            .is_some_and(|h| h.body.to_ascii_lowercase().contains(words))
    }

    /// The token sent, a JWT or an opaque one, in clear (never shown).
    pub fn sent_token(&self) -> Option<&str> {
        self.token
            .as_ref()
            .map(|t| t.raw.expose())
            .or_else(|| self.opaque_token.as_ref().map(|t| t.expose()))
    }

    /// Whether the token sent passes every check the doctor can make: it
    /// verifies with its issuer's published keys, and its times, issuer,
    /// audience and scope check out.
    pub fn token_passes(&self) -> bool {
        self.token
            .as_ref()
            .is_some_and(|t| t.at_server.valid && t.at_server.signature_verified)
    }

    /// What the server expects of a token that nothing told (no flag, no
    /// metadata, no challenge): `issuer`, `audience`, in that order. A
    /// token that "passes" was not compared with these.
    pub fn unknown_expectations(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.expected.issuer.is_none() {
            out.push("issuer");
        }
        if self.expected.audience.is_none() {
            out.push("audience");
        }
        out
    }

    /// The evidence line of a token that passes: what was checked, and
    /// what could not be, for want of knowing what the server expects.
    pub fn passes_line(&self) -> String {
        match self.unknown_expectations().as_slice() {
            [] => "the token verifies with its issuer's published keys, and its times, issuer, audience and scope check out".to_owned(),
            unknown => format!(
                "the token verifies with its issuer's published keys and its times check out; its {} could not be compared with what the server expects, which nothing said (--{})",
                unknown.join(" and "),
                unknown.join(", --")
            ),
        }
    }

    /// Whether the experiment was made and the request, sent again with a
    /// fresh token, was accepted.
    pub fn fresh_token_accepted(&self) -> bool {
        self.retry.attempted && self.retry.status.is_some_and(|s| s < 400)
    }

    /// Introspection's answer, when it was asked and answered with an
    /// object.
    pub fn introspection_answer(&self) -> Option<&serde_json::Map<String, Value>> {
        self.introspection.as_ref()?.as_ref().ok()?.as_object()
    }

    /// What introspection said of `active`, when it was asked and answered.
    pub fn introspected_active(&self) -> Option<bool> {
        self.introspection_answer()?.get("active")?.as_bool()
    }

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

/// Builds observations from fixtures, for the rules' unit tests and for
/// recorded answers of real servers: one exchange (method, URL, status,
/// headers, body) and then the facts each test needs.
#[derive(Clone, Debug)]
pub struct Fixture {
    o: Observations,
}

impl Fixture {
    /// A request answered with `status`; the clocks agree at `now`.
    pub fn answered(status: u16) -> Fixture {
        let now = 1_800_000_000;
        let spec = RequestSpec {
            method: "GET".into(),
            url: "https://api.example.test/orders".into(),
            ..RequestSpec::default()
        };
        let hop = Hop {
            method: "GET".into(),
            url: spec.url.clone(),
            request_headers: Vec::new(),
            status,
            headers: vec![("date".into(), "Fri, 15 Jan 2027 08:00:00 GMT".into())],
            date: Some(now),
            received_at: now,
            elapsed_ms: 1,
            body: String::new(),
            body_truncated: false,
            raw_body: Vec::new(),
            dropped: Vec::new(),
        };
        Fixture {
            o: Observations::new(spec, vec![hop], 60),
        }
    }

    /// The instant both clocks read.
    pub fn now(&self) -> i64 {
        self.o.local_now
    }

    /// A response header (lower-case name); a `WWW-Authenticate` one is
    /// parsed into challenges as the probe does.
    pub fn header(mut self, name: &str, value: &str) -> Fixture {
        let n = name.to_ascii_lowercase();
        if n == "www-authenticate" {
            let p = authdoctor_httpauth::challenge::parse(value);
            self.o.challenges.extend(p.challenges);
            self.o.challenge_problems.extend(p.problems);
        }
        self.o.hops[0].headers.push((n, value.to_owned()));
        self
    }

    /// The response body (and its OAuth `error`, when it has one).
    pub fn body(mut self, body: &str) -> Fixture {
        self.o.hops[0].body = body.to_owned();
        self.o.hops[0].raw_body = body.as_bytes().to_vec();
        if let Ok(v) = serde_json::from_str::<Value>(body) {
            if let Some(e) = v.get("error").and_then(Value::as_str) {
                self.o.body_error = Some((
                    e.to_owned(),
                    v.get("error_description")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                ));
            }
        }
        self
    }

    /// A request header, as sent (an `Authorization` one is linted).
    pub fn request_header(mut self, name: &str, value: &str) -> Fixture {
        self.o
            .spec
            .headers
            .push((name.to_owned(), value.to_owned()));
        if name.eq_ignore_ascii_case("authorization") {
            self.o.authorization = Some(authdoctor_httpauth::lint(value));
        } else if name.eq_ignore_ascii_case("cookie") {
            self.o
                .cookies_sent
                .push(value.split('=').next().unwrap_or("").to_owned());
        } else if authdoctor_secret::is_secret_header(name) {
            self.o.other_credentials.push(name.to_ascii_lowercase());
        }
        self
    }

    /// The URL of the request (a key in its query string is a credential).
    pub fn url(mut self, url: &str) -> Fixture {
        url.clone_into(&mut self.o.spec.url);
        url.clone_into(&mut self.o.hops[0].url);
        self.o.other_credentials.extend(query_credentials(url));
        self
    }

    /// The method of the request.
    pub fn method(mut self, m: &str) -> Fixture {
        self.o.spec.method = m.to_owned();
        self.o.hops[0].method = m.to_owned();
        self
    }

    /// The server's clock runs `secs` ahead of the local one.
    pub fn server_ahead(mut self, secs: i64) -> Fixture {
        self.o.server_now = Some(self.o.local_now + secs);
        self.o.hops[0].date = self.o.server_now;
        self
    }

    /// A JWT sent as `Bearer`, checked as the probe checks it against
    /// `jwks` and the expectations set so far.
    pub fn bearer_jwt(mut self, token: &str, jwks: Option<&JwkSet>) -> Fixture {
        self = self.request_header("Authorization", &format!("Bearer {token}"));
        let d = authdoctor_jose::decode(token);
        let policy = |now: i64| authdoctor_jose::Policy {
            now,
            leeway: self.o.leeway,
            issuer: self.o.expected.issuer.as_ref().map(|(i, _)| i.clone()),
            audience: self.o.expected.audience.as_ref().map(|(a, _)| a.clone()),
            other_audiences: Vec::new(),
            scopes: self
                .o
                .expected
                .scopes
                .as_ref()
                .map(|(s, _)| s.clone())
                .unwrap_or_default(),
            client_id: None,
            require_at_jwt: false,
            require_exp: false,
            reject_future_iat: false,
            algorithms: None,
        };
        let keys = authdoctor_jose::Keys { jwks, secret: None };
        let server_now = self.o.server_now.unwrap_or(self.o.local_now);
        self.o.token = Some(TokenFacts {
            raw: Token::new(token),
            place: "authorization".into(),
            at_server: authdoctor_jose::check(&d, &policy(server_now), keys),
            at_local: authdoctor_jose::check(&d, &policy(self.o.local_now), keys),
            keys_known: jwks.is_some(),
            decoded: d,
        });
        if let Some(j) = jwks {
            self.o.jwks = Some(Ok(j.clone()));
        }
        self
    }

    /// An opaque token sent as `Bearer`.
    pub fn bearer_opaque(mut self, token: &str) -> Fixture {
        self = self.request_header("Authorization", &format!("Bearer {token}"));
        self.o.opaque_token = Some(Token::new(token));
        self
    }

    /// What the resource expects.
    pub fn expect(mut self, e: Expected) -> Fixture {
        self.o.expected = e;
        self
    }

    /// The answer of introspection.
    pub fn introspection(mut self, v: Value) -> Fixture {
        self.o.introspection = Some(Ok(v));
        self
    }

    /// Changes anything else.
    pub fn with(mut self, f: impl FnOnce(&mut Observations)) -> Fixture {
        f(&mut self.o);
        self
    }

    /// The observations.
    pub fn build(mut self) -> Observations {
        // The answer, as the fixture made it.
        self.o.read_answer();
        self.o
    }
}

/// The query parameters of `url` that carry a credential (an API key, a
/// password, an opaque token), as `the query parameter NAME`; not one
/// whose value is a JWT (the token's own facts say where it was).
fn query_credentials(url: &str) -> Vec<String> {
    let Ok(u) = url::Url::parse(url) else {
        return Vec::new();
    };
    u.query_pairs()
        .filter(|(n, v)| {
            authdoctor_secret::is_secret_param(n)
                && !v.is_empty()
                && !crate::shape::TokenShape::found_jwt(v)
        })
        .map(|(n, _)| format!("the query parameter {n}"))
        .collect()
}
