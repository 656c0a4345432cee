//! Each rule on fixture observations: what it finds, on which witness, and
//! where it must stay silent. No network: the facts are built by hand (or
//! recorded from real servers) with [`Fixture`].

use super::*;
use crate::observations::{Expected, Fixture, Source};
use crate::spec::JarCookie;
use authdoctor_causes::{Cause, Likelihood};
use authdoctor_jose::{Alg, JwkSet, SigningKey};
use serde_json::{Map, Value, json};

const ISS: &str = "https://id.example.test/";
const AUD: &str = "https://api.example.test";

fn key(kid: &str) -> SigningKey {
    SigningKey::generate(&Alg::ES256, kid).expect("an ES256 key")
}

fn set(keys: &[&SigningKey]) -> JwkSet {
    JwkSet {
        keys: keys.iter().map(|k| k.public_jwk()).collect(),
    }
}

fn jwt(k: &SigningKey, now: i64, over: Value) -> String {
    let mut c = json!({"iss": ISS, "aud": AUD, "sub": "alice", "scope": "orders:read", "iat": now - 60, "exp": now + 600});
    for (name, v) in over.as_object().expect("an object") {
        c[name] = v.clone();
    }
    k.sign_jwt(Some("at+jwt"), &Map::new(), &c)
        .expect("a signed token")
}

fn expect_all() -> Expected {
    Expected {
        issuer: Some((ISS.into(), Source::User)),
        audience: Some((AUD.into(), Source::User)),
        scopes: None,
        contradictions: Vec::new(),
    }
}

fn top(f: Fixture) -> Vec<Finding> {
    diagnose(&f.build())
}

fn first(f: Fixture) -> (Cause, Likelihood) {
    let all = top(f);
    let x = all.first().expect("a finding");
    (x.id, x.likelihood)
}

const BEARER: &str = "Bearer realm=\"api\"";
const INVALID: &str = "Bearer realm=\"api\", error=\"invalid_token\"";

#[test]
fn every_cause_has_exactly_one_rule() {
    for c in Cause::ALL {
        let n = RULES.iter().filter(|r| r.cause() == *c).count();
        assert_eq!(n, 1, "{c} has {n} rules");
    }
    assert_eq!(RULES.len(), Cause::ALL.len());
    assert_eq!(
        RULES.last().map(|r| r.cause()),
        Some(Cause::ServerMisconfigured)
    );
}

#[test]
fn credentials_missing() {
    let f = Fixture::answered(401).header("www-authenticate", BEARER);
    assert_eq!(first(f), (Cause::CredentialsMissing, Likelihood::High));
    // A 403 that asks for nothing, to a request without credentials: a
    // refusal of the operation, or a server that answers 403 where 401
    // belongs. Both are named, neither sure.
    let f = Fixture::answered(403);
    let all = top(f);
    let named: Vec<(Cause, Likelihood)> = all.iter().map(|x| (x.id, x.likelihood)).collect();
    assert_eq!(
        named,
        vec![
            (Cause::CredentialsMissing, Likelihood::Medium),
            (Cause::AuthzForbidden, Likelihood::Medium)
        ],
        "{all:#?}"
    );
    // keycloak-connect's bearer-only answer to a request without a token.
    let all = top(Fixture::answered(403).body("Access denied"));
    assert_eq!(
        (all[0].id, all[0].likelihood),
        (Cause::CredentialsMissing, Likelihood::Medium),
        "{all:#?}"
    );
}

/// A server that answers 403 to every failure (aws-jwt-verify's README
/// example for Express): without credentials, the experiment decides. A
/// fresh token accepted makes it credentials.missing, with the 403 named
/// as the server's error; a valid token refused where a fresh one passes
/// is no permission matter.
#[test]
fn a_bare_403_is_a_demand_for_credentials_where_a_fresh_token_passes() {
    let accepted = |o: &mut crate::observations::Observations| {
        o.retry.attempted = true;
        o.retry.status = Some(200);
    };
    let f = Fixture::answered(403).body(r#"{"statusCode":403,"message":"Forbidden"}"#);
    assert_eq!(
        first(f.clone()),
        (Cause::CredentialsMissing, Likelihood::Medium)
    );
    let all = top(f.with(accepted));
    assert_eq!(
        (all[0].id, all[0].likelihood),
        (Cause::CredentialsMissing, Likelihood::High)
    );
    assert!(
        all[0].evidence.iter().any(|e| e.contains("403 where 401")),
        "{all:#?}"
    );
    let k = key("k1");
    let f = Fixture::answered(403)
        .body(r#"{"statusCode":403,"message":"Forbidden"}"#)
        .expect(expect_all());
    let now = f.now();
    let f = f.bearer_jwt(&jwt(&k, now, json!({})), Some(&set(&[&k])));
    assert_eq!(first(f.clone()).0, Cause::AuthzForbidden);
    let all = top(f.with(accepted));
    assert!(
        all.iter().all(|x| x.id != Cause::AuthzForbidden),
        "{all:#?}"
    );
}

#[test]
fn header_malformed() {
    let f = Fixture::answered(400)
        .header("www-authenticate", "Bearer error=\"invalid_request\"")
        .request_header("Authorization", "Bearer  abc.def.ghi");
    assert_eq!(first(f), (Cause::HeaderMalformed, Likelihood::High));
    // Well formed by RFC 9110, refused by a stricter grammar: its words.
    let f = Fixture::answered(401)
        .body(r#"{"message":"Format is Authorization: Bearer [token]"}"#)
        .request_header("Authorization", "bearer abcdefghijkl");
    assert_eq!(first(f).0, Cause::HeaderMalformed);
}

#[test]
fn scheme_mismatch() {
    let f = Fixture::answered(401)
        .header("www-authenticate", BEARER)
        .request_header("Authorization", "Token abcdefghijkl");
    assert_eq!(first(f), (Cause::SchemeMismatch, Likelihood::High));
}

#[test]
fn header_lost_on_redirect() {
    let f = Fixture::answered(401).with(|o| {
        let mut first = o.hops[0].clone();
        first.status = 307;
        first.headers = vec![(
            "location".into(),
            "https://other.example.test/orders".into(),
        )];
        o.hops[0].url = "https://other.example.test/orders".into();
        o.hops[0].dropped = vec!["authorization".into()];
        o.hops.insert(0, first);
    });
    let f = f.request_header("Authorization", "Bearer abcdefghijkl0123");
    assert_eq!(first(f), (Cause::HeaderLostOnRedirect, Likelihood::High));
}

#[test]
fn token_malformed() {
    let f = Fixture::answered(401).header("www-authenticate", INVALID);
    let f = f.bearer_jwt("eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJh", None);
    assert_eq!(first(f).0, Cause::TokenMalformed);
}

#[test]
fn token_expired_at_the_servers_clock() {
    let k = key("k1");
    let f = Fixture::answered(401)
        .header("www-authenticate", INVALID)
        .expect(expect_all());
    let now = f.now();
    let f = f.bearer_jwt(&jwt(&k, now, json!({"exp": now - 900})), Some(&set(&[&k])));
    let all = top(f);
    assert_eq!(
        (all[0].id, all[0].likelihood),
        (Cause::TokenExpired, Likelihood::High)
    );
    assert!(all[0].summary.contains("15 min"), "{}", all[0].summary);
}

#[test]
fn token_expired_within_the_leeway_is_expired_for_a_strict_server() {
    let k = key("k1");
    let jwks = set(&[&k]);
    let f = Fixture::answered(401).expect(expect_all());
    let now = f.now();
    let t = jwt(&k, now, json!({"exp": now - 15}));
    // The server says so: sure.
    let said = f
        .clone()
        .body(r#"{"error":"invalid_token","error_description":"jwt expired"}"#)
        .bearer_jwt(&t, Some(&jwks));
    let all = top(said);
    assert_eq!(
        (all[0].id, all[0].likelihood),
        (Cause::TokenExpired, Likelihood::High)
    );
    assert!(
        all[0].summary.contains("leeway under 15 s"),
        "{}",
        all[0].summary
    );
    // Silent server: still the leading hypothesis, at medium.
    assert_eq!(
        first(
            f.header("www-authenticate", INVALID)
                .bearer_jwt(&t, Some(&jwks))
        ),
        (Cause::TokenExpired, Likelihood::Medium)
    );
}

#[test]
fn token_not_yet_valid() {
    let k = key("k1");
    let f = Fixture::answered(401)
        .header("www-authenticate", INVALID)
        .expect(expect_all());
    let now = f.now();
    let f = f.bearer_jwt(
        &jwt(&k, now, json!({"nbf": now + 900, "iat": now + 900})),
        Some(&set(&[&k])),
    );
    assert_eq!(first(f), (Cause::TokenNotYetValid, Likelihood::High));
}

#[test]
fn clock_skew() {
    let k = key("k1");
    // The server's clock is 20 minutes ahead: the token (10 minutes left
    // by the local clock) looks expired to it.
    let f = Fixture::answered(401)
        .header("www-authenticate", INVALID)
        .expect(expect_all())
        .server_ahead(1200);
    let now = f.now();
    let f = f.bearer_jwt(&jwt(&k, now, json!({})), Some(&set(&[&k])));
    let all = top(f);
    assert_eq!(
        (all[0].id, all[0].likelihood),
        (Cause::ClockSkew, Likelihood::High)
    );
    assert!(
        all.iter()
            .any(|x| x.id == Cause::TokenExpired && x.likelihood == Likelihood::Medium)
    );
}

#[test]
fn token_signature_invalid_and_unknown_key() {
    let (k, other) = (key("k1"), key("k1"));
    let f = Fixture::answered(401)
        .header("www-authenticate", INVALID)
        .expect(expect_all());
    let now = f.now();
    let forged = jwt(&other, now, json!({}));
    assert_eq!(
        first(f.clone().bearer_jwt(&forged, Some(&set(&[&k])))),
        (Cause::TokenSignatureInvalid, Likelihood::High)
    );
    let rotated = jwt(&key("k0-retired"), now, json!({}));
    assert_eq!(
        first(f.bearer_jwt(&rotated, Some(&set(&[&k])))),
        (Cause::TokenUnknownKey, Likelihood::High)
    );
}

#[test]
fn token_alg_rejected() {
    let f = Fixture::answered(401)
        .header("www-authenticate", INVALID)
        .expect(expect_all());
    let none = "eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0.eyJpc3MiOiJodHRwczovL2lkLmV4YW1wbGUudGVzdC8iLCJzdWIiOiJhIn0.";
    let k = key("k1");
    assert_eq!(
        first(f.bearer_jwt(none, Some(&set(&[&k])))).0,
        Cause::TokenAlgRejected
    );
}

#[test]
fn token_issuer_mismatch_outranks_words_that_blame_a_key() {
    // express-oauth2-jwt-bearer calls a foreign issuer's token a missing
    // key; the token's own checks know better, and the report says both.
    let k = key("k1");
    let f = Fixture::answered(401)
        .header(
            "www-authenticate",
            "Bearer realm=\"api\", error=\"invalid_token\", error_description=\"no applicable key found in the JSON Web Key Set\"",
        )
        .expect(expect_all());
    let now = f.now();
    let f = f.bearer_jwt(
        &jwt(&k, now, json!({"iss": "https://staging.example.test/"})),
        Some(&set(&[&k])),
    );
    let all = top(f);
    assert_eq!(
        (all[0].id, all[0].likelihood),
        (Cause::TokenIssuerMismatch, Likelihood::High)
    );
    assert!(!all[0].witnesses.disagree.is_empty(), "{:#?}", all[0]);
}

#[test]
fn token_audience_mismatch_from_the_servers_words() {
    let k = key("k1");
    let f =
        Fixture::answered(401).body("jwt audience invalid. expected: https://orders.example.test");
    let now = f.now();
    // Nothing told authdoctor the audience; the server's words do.
    let t = jwt(&k, now, json!({}));
    let (c, l) = first(f.clone().bearer_jwt(&t, Some(&set(&[&k]))));
    assert_eq!((c, l), (Cause::TokenAudienceMismatch, Likelihood::Medium));
    // With the audience the words name set as the expectation (the probe
    // does that), the token's own check confirms it.
    let f = f.expect(Expected {
        audience: Some(("https://orders.example.test".into(), Source::ServerWords)),
        ..Expected::default()
    });
    assert_eq!(
        first(f.bearer_jwt(&t, Some(&set(&[&k])))),
        (Cause::TokenAudienceMismatch, Likelihood::High)
    );
}

#[test]
fn token_wrong_type() {
    // An ID token: aud is the client, a nonce, typ JWT.
    let k = key("k1");
    let f = Fixture::answered(401)
        .header("www-authenticate", INVALID)
        .expect(expect_all());
    let now = f.now();
    let id_token = k
        .sign_jwt(
            Some("JWT"),
            &Map::new(),
            &json!({"iss": ISS, "aud": "my-spa", "sub": "a", "nonce": "n", "iat": now, "exp": now + 600}),
        )
        .expect("signed");
    let f2 = f.clone().bearer_jwt(&id_token, Some(&set(&[&k])));
    let all = top(f2);
    assert!(
        all.iter()
            .any(|x| x.id == Cause::TokenWrongType || x.id == Cause::TokenAudienceMismatch),
        "{all:#?}"
    );
    // An opaque value at a JWT-only server.
    let f = Fixture::answered(401)
        .body(r#"{"detail":"Not enough segments"}"#)
        .bearer_opaque("def50200a1b2c3d4e5f6");
    assert_eq!(first(f), (Cause::TokenWrongType, Likelihood::High));
}

#[test]
fn token_scope_insufficient() {
    let f = Fixture::answered(403)
        .header(
            "www-authenticate",
            "Bearer error=\"insufficient_scope\", scope=\"orders:write\"",
        )
        .bearer_opaque("opaque-0123456789");
    assert_eq!(first(f), (Cause::TokenScopeInsufficient, Likelihood::High));
    // An opaque token the issuer says is active, without the route's scope.
    let f = Fixture::answered(401)
        .bearer_opaque("opaque-0123456789")
        .introspection(json!({"active": true, "scope": "orders:read"}))
        .expect(Expected {
            scopes: Some((vec!["orders:write".into()], Source::ResourceMetadata)),
            ..Expected::default()
        });
    assert_eq!(first(f), (Cause::TokenScopeInsufficient, Likelihood::High));
}

#[test]
fn a_server_that_compares_the_scope_claim_whole_is_named_by_the_narrowed_experiment() {
    let k = key("k1");
    let f = Fixture::answered(401).expect(Expected {
        scopes: Some((vec!["orders:read".into()], Source::User)),
        ..expect_all()
    });
    let now = f.now();
    let f = f.bearer_jwt(
        &jwt(&k, now, json!({"scope": "orders:write"})),
        Some(&set(&[&k])),
    );
    let plain = top(f.clone());
    assert_eq!(plain[0].id, Cause::TokenScopeInsufficient, "{plain:#?}");
    assert!(!plain[0].evidence.iter().any(|e| e.contains("one string")));
    // The fresh token with both scopes refused, the one with the needed
    // scope alone accepted (mod_oauth2's Require oauth2_claim scope:…).
    let f = f.with(|o| {
        o.retry.attempted = true;
        o.retry.status = Some(200);
        o.retry.scope_narrowed = Some(("orders:write orders:read".into(), "orders:read".into()));
    });
    let all = top(f);
    let x = &all[0];
    assert_eq!(
        (x.id, x.likelihood),
        (Cause::TokenScopeInsufficient, Likelihood::High)
    );
    assert!(
        x.evidence.iter().any(|e| e
            .contains(r#"scope "orders:write orders:read" was refused too"#)
            && e.contains("as one string")),
        "{x:#?}"
    );
    assert!(
        x.fixes
            .iter()
            .any(|f| f.action.contains(r#"exactly "orders:read""#)),
        "{x:#?}"
    );
}

#[test]
fn a_read_scope_on_a_write_method_refused_without_a_word() {
    let k = key("k1");
    let f = Fixture::answered(403).method("POST").expect(expect_all());
    let now = f.now();
    let f = f.bearer_jwt(&jwt(&k, now, json!({})), Some(&set(&[&k])));
    let all = top(f);
    assert!(
        all.iter().any(|x| x.id == Cause::TokenScopeInsufficient),
        "{all:#?}"
    );
}

#[test]
fn an_opaque_token_its_issuer_calls_a_refresh_token_is_the_wrong_kind() {
    // Ory Hydra's answer for a refresh token; Keycloak's `typ`.
    for answer in [
        json!({"active": true, "token_use": "refresh_token", "scope": "orders:read"}),
        json!({"active": true, "typ": "Refresh"}),
    ] {
        let f = Fixture::answered(401)
            .header("www-authenticate", INVALID)
            .bearer_opaque("ory_rt_0123456789abcdef")
            .introspection(answer.clone());
        let all = top(f);
        assert_eq!(
            (all[0].id, all[0].likelihood),
            (Cause::TokenWrongType, Likelihood::High),
            "{answer}: {all:#?}"
        );
        assert!(
            all[0].evidence[0].contains("introspection answer: active"),
            "{all:#?}"
        );
    }
    // An access token's answer names nothing of the kind.
    let f = Fixture::answered(401)
        .header("www-authenticate", INVALID)
        .bearer_opaque("ory_at_0123456789abcdef")
        .introspection(json!({"active": true, "token_use": "access_token"}));
    assert!(
        top(f)
            .iter()
            .all(|x| x.id != Cause::TokenWrongType || x.likelihood != Likelihood::High)
    );
}

#[test]
fn token_revoked() {
    let f = Fixture::answered(401)
        .header("www-authenticate", INVALID)
        .bearer_opaque("opaque-0123456789")
        .introspection(json!({"active": false}));
    assert_eq!(first(f), (Cause::TokenRevoked, Likelihood::High));
}

#[test]
fn dpop_offered_beside_bearer_is_not_required() {
    // express-oauth2-jwt-bearer 1.10's default answer to an expired token.
    let k = key("k1");
    let f = Fixture::answered(401)
        .header(
            "www-authenticate",
            "Bearer realm=\"api\", error=\"invalid_token\", error_description=\"\\\"exp\\\" claim timestamp check failed\", DPoP algs=\"RS256 ES256\"",
        )
        .expect(expect_all());
    let now = f.now();
    let f = f.bearer_jwt(&jwt(&k, now, json!({"exp": now - 900})), Some(&set(&[&k])));
    let all = top(f);
    assert_eq!(all[0].id, Cause::TokenExpired, "{all:#?}");
    assert!(
        all.iter().all(|x| x.id != Cause::TokenBindingRequired),
        "{all:#?}"
    );
}

#[test]
fn token_binding_required() {
    // DPoP alone, Bearer sent.
    let f = Fixture::answered(401)
        .header("www-authenticate", "DPoP algs=\"ES256\"")
        .bearer_opaque("opaque-0123456789");
    assert_eq!(first(f), (Cause::TokenBindingRequired, Likelihood::High));
    // A bound token sent as Bearer.
    let k = key("k1");
    let f = Fixture::answered(401)
        .header(
            "www-authenticate",
            format!("{INVALID}, DPoP algs=\"ES256\"").as_str(),
        )
        .expect(expect_all());
    let now = f.now();
    let f = f.bearer_jwt(
        &jwt(
            &k,
            now,
            json!({"cnf": {"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}}),
        ),
        Some(&set(&[&k])),
    );
    assert_eq!(first(f), (Cause::TokenBindingRequired, Likelihood::High));
    // The DPoP scheme without a proof: a bare 400.
    let f = Fixture::answered(400)
        .header("www-authenticate", "DPoP algs=\"ES256\"")
        .request_header("Authorization", "DPoP opaque-0123456789");
    assert_eq!(first(f), (Cause::TokenBindingRequired, Likelihood::High));
}

#[test]
fn stepup_required() {
    let f = Fixture::answered(401)
        .header(
            "www-authenticate",
            "Bearer error=\"insufficient_user_authentication\", acr_values=\"mfa\", max_age=\"300\"",
        )
        .bearer_opaque("opaque-0123456789");
    let all = top(f);
    assert_eq!(
        (all[0].id, all[0].likelihood),
        (Cause::StepupRequired, Likelihood::High)
    );
    assert!(all[0].summary.contains("acr_values=mfa"));
}

#[test]
fn credentials_invalid() {
    let f = Fixture::answered(401)
        .header("www-authenticate", "Basic realm=\"admin\"")
        .request_header("Authorization", "Basic YWxpY2U6d3Jvbmc=");
    assert_eq!(first(f), (Cause::CredentialsInvalid, Likelihood::High));
}

#[test]
fn cookie_rejected_names_the_path_that_does_not_cover_the_url() {
    let f = Fixture::answered(401).with(|o| {
        o.cookies_withheld.push(crate::cookies::NotSent {
            cookie: JarCookie {
                domain: "api.example.test".into(),
                include_subdomains: false,
                path: "/app".into(),
                secure: false,
                expires: 0,
                name: "session".into(),
                value: authdoctor_secret::CookieValue::new("v-0123456789"),
            },
            why: crate::cookies::Withheld::Path {
                path: "/app".into(),
                request: "/orders".into(),
            },
            set_in_entry: None,
        });
    });
    let all = top(f);
    assert_eq!(all[0].id, Cause::CookieRejected);
    assert!(
        all[0].fixes[0].action.contains("Path=/app"),
        "{:#?}",
        all[0].fixes
    );
}

/// A session cookie the only credential, refused (401): medium; the
/// answer deleting that very cookie says the server ended the session
/// (high), with the evidence.
#[test]
fn a_refused_session_cookie_the_answer_deletes_is_surely_rejected() {
    let refused = |set_cookie: Option<&str>| {
        let mut f = Fixture::answered(401)
            .request_header("Cookie", "sid=s-0123456789")
            .with(|o| o.cookies_sent = vec!["sid".into()]);
        if let Some(v) = set_cookie {
            f = f.header("set-cookie", v);
        }
        top(f)
    };
    let all = refused(None);
    assert_eq!(
        (all[0].id, all[0].likelihood),
        (Cause::CookieRejected, Likelihood::Medium),
        "{all:#?}"
    );
    let all = refused(Some("sid=; Path=/; Max-Age=0"));
    assert_eq!(
        (all[0].id, all[0].likelihood),
        (Cause::CookieRejected, Likelihood::High),
        "{all:#?}"
    );
    assert!(
        all[0]
            .evidence
            .iter()
            .any(|e| e.contains("the answer deletes the cookie sid"))
    );
    // Another cookie deleted says nothing of this one.
    let all = refused(Some("theme=; Max-Age=0"));
    assert_eq!(all[0].likelihood, Likelihood::Medium, "{all:#?}");
}

#[test]
fn cors_blocked() {
    let f = Fixture::answered(401).method("OPTIONS").with(|o| {
        o.spec
            .headers
            .push(("Access-Control-Request-Method".into(), "GET".into()));
        o.spec
            .headers
            .push(("Origin".into(), "https://app.example.test".into()));
    });
    assert_eq!(first(f), (Cause::CorsBlocked, Likelihood::High));
}

#[test]
fn client_invalid_and_refresh_failed_at_the_token_endpoint() {
    let f = Fixture::answered(401)
        .body(r#"{"error":"invalid_client"}"#)
        .with(|o| o.token_request_grant = Some("client_credentials".into()));
    assert_eq!(first(f), (Cause::ClientInvalid, Likelihood::High));
    let f = Fixture::answered(400)
        .body(r#"{"error":"invalid_grant"}"#)
        .with(|o| o.token_request_grant = Some("refresh_token".into()));
    assert_eq!(first(f), (Cause::RefreshFailed, Likelihood::High));
}

#[test]
fn authz_forbidden() {
    let k = key("k1");
    let f = Fixture::answered(403).expect(expect_all());
    let now = f.now();
    let good = jwt(&k, now, json!({}));
    assert_eq!(
        first(f.bearer_jwt(&good, Some(&set(&[&k])))),
        (Cause::AuthzForbidden, Likelihood::High)
    );
    // A claim rule answered as 401: still authorization.
    let f = Fixture::answered(401)
        .header(
            "www-authenticate",
            "Bearer realm=\"api\", error=\"invalid_token\", error_description=\"Unexpected 'client_id' value\"",
        )
        .expect(expect_all());
    let all = top(f.bearer_jwt(&good, Some(&set(&[&k]))));
    assert_eq!(
        (all[0].id, all[0].likelihood),
        (Cause::AuthzForbidden, Likelihood::High)
    );
    // A gateway's 403 for an expired token is authentication.
    let f = Fixture::answered(403)
        .body(r#"{"message":"Jwt is expired"}"#)
        .expect(expect_all());
    let expired = jwt(&k, now, json!({"exp": now - 900}));
    assert_eq!(
        first(f.bearer_jwt(&expired, Some(&set(&[&k])))).0,
        Cause::TokenExpired
    );
    // A bare 403 to a token 20 s past its exp, within the leeway assumed
    // here: the tutorials' middleware answers 403 to every failed
    // verification, with no leeway. Not a permission matter.
    let f = Fixture::answered(403).expect(expect_all());
    let just = jwt(&k, now, json!({"exp": now - 20}));
    let all = top(f.bearer_jwt(&just, Some(&set(&[&k]))));
    assert_eq!(
        (all[0].id, all[0].likelihood),
        (Cause::TokenExpired, Likelihood::Medium),
        "{all:#?}"
    );
    assert!(
        all.iter().all(|x| x.id != Cause::AuthzForbidden),
        "{all:#?}"
    );
}

#[test]
fn transient() {
    let f = Fixture::answered(401)
        .bearer_opaque("opaque-0123456789")
        .with(|o| o.resend_status = Some(200));
    assert_eq!(first(f), (Cause::Transient, Likelihood::High));
}

#[test]
fn server_misconfigured_is_sure_only_when_a_fresh_correct_token_fails_too() {
    let k = key("k1");
    let jwks = set(&[&k]);
    let f = Fixture::answered(401)
        .header("www-authenticate", INVALID)
        .expect(expect_all());
    let now = f.now();
    let good = jwt(&k, now, json!({}));
    let f = f.bearer_jwt(&good, Some(&jwks));
    assert_eq!(
        first(f.clone()),
        (Cause::ServerMisconfigured, Likelihood::Medium)
    );
    let report = f.clone().build().token.expect("a token").at_server;
    let f = f.with(|o| {
        o.retry.attempted = true;
        o.retry.status = Some(401);
        o.retry.fresh_report = Some(report);
    });
    assert_eq!(first(f), (Cause::ServerMisconfigured, Likelihood::High));
}

#[test]
fn a_server_that_calls_a_published_keys_signature_bad_and_takes_another_keys_token_lacks_the_key() {
    // HAProxy with a PEM file of the issuer's older key, in its guide's
    // words: the token, signed with the key published next, is a "bad
    // signature"; a fresh token signed with the older key is accepted.
    let (old, next) = (key("k1"), key("k2"));
    let f = Fixture::answered(403)
        .body("Invalid JWT signature")
        .expect(expect_all());
    let now = f.now();
    let refused = jwt(&next, now, json!({}));
    let fresh = jwt(&old, now, json!({}));
    let f = f.bearer_jwt(&refused, Some(&set(&[&old, &next])));
    let accepted = |kid_token: String| {
        move |o: &mut crate::observations::Observations| {
            o.retry.attempted = true;
            o.retry.status = Some(200);
            o.retry.fresh = Some(authdoctor_jose::decode(&kid_token));
        }
    };
    let all = top(f.clone().with(accepted(fresh)));
    assert_eq!(
        (all[0].id, all[0].likelihood),
        (Cause::ServerMisconfigured, Likelihood::High),
        "{all:#?}"
    );
    assert!(all[0].summary.contains("lacks `k2`"), "{:#?}", all[0]);
    assert!(
        all.iter().all(|x| x.id != Cause::TokenSignatureInvalid),
        "{all:#?}"
    );
    // A fresh token signed with the same key, accepted: the words stand
    // (the token sent was altered on its way, or is another's).
    let all = top(f.with(accepted(jwt(&next, now, json!({})))));
    assert_eq!(all[0].id, Cause::TokenSignatureInvalid, "{all:#?}");
}

#[test]
fn a_key_unknown_to_the_server_but_published_by_the_tokens_issuer_is_not_an_unknown_key() {
    // Nobody said which issuer the server trusts: the token verifies with
    // a key its own issuer publishes, and the server knows no such key.
    let k = key("staging-key-1");
    let f = Fixture::answered(401).body(r#"{"message":"Unable to find appropriate key"}"#);
    let now = f.now();
    let all = top(f.bearer_jwt(&jwt(&k, now, json!({})), Some(&set(&[&k]))));
    assert!(
        all.iter().all(|x| x.id != Cause::TokenUnknownKey),
        "{all:#?}"
    );
    assert_eq!(all[0].id, Cause::TokenIssuerMismatch, "{all:#?}");
    // Said with a 500, as @fastify/jwt says it.
    let f = Fixture::answered(500).body(
        r#"{"statusCode":500,"code":"JWK_NOT_FOUND","error":"Internal Server Error","message":"No matching JWK found in the set."}"#,
    );
    let all = top(f.bearer_jwt(&jwt(&k, now, json!({})), Some(&set(&[&k]))));
    assert_eq!(all[0].id, Cause::TokenIssuerMismatch, "{all:#?}");
    // A key its issuer does not publish: the words and the check agree.
    let other = key("gone");
    let f = Fixture::answered(401).body(r#"{"message":"Unable to find appropriate key"}"#);
    let all = top(f.bearer_jwt(&jwt(&other, now, json!({})), Some(&set(&[&k]))));
    assert_eq!(all[0].id, Cause::TokenUnknownKey, "{all:#?}");
}

#[test]
fn a_jwt_only_servers_complaint_about_an_algorithm_is_about_an_opaque_tokens_kind() {
    let f = Fixture::answered(403)
        .body("Unsupported JWT signing algorithm")
        .bearer_opaque("rABPwrQKIRy4Lcj8_JbQyPFYlvYyzEXAMPLEopaque");
    assert_eq!(first(f), (Cause::TokenWrongType, Likelihood::High));
}

#[test]
fn a_valid_token_signed_with_a_key_published_beside_others_points_at_the_servers_copy_of_the_keys()
{
    // The issuer publishes its old key and the next; the token, signed
    // with the next, passes every check, and the server refuses it.
    let (old, next) = (key("k1"), key("k2"));
    let f = Fixture::answered(401)
        .header("www-authenticate", INVALID)
        .expect(expect_all());
    let now = f.now();
    let good = jwt(&next, now, json!({}));
    let rotating = f.clone().bearer_jwt(&good, Some(&set(&[&old, &next])));
    let found = top(rotating);
    let f0 = found.first().expect("a finding");
    assert_eq!(f0.id, Cause::ServerMisconfigured);
    assert!(
        f0.evidence
            .iter()
            .any(|e| e.contains("`k2`, one of the 2 keys")),
        "{:?}",
        f0.evidence
    );
    assert!(
        f0.fixes[0]
            .action
            .contains("read its issuer's key set again"),
        "{:?}",
        f0.fixes
    );
    // One key published, and the server names no key: the generic advice.
    let alone = f.bearer_jwt(&jwt(&old, now, json!({})), Some(&set(&[&old])));
    let found = top(alone);
    let f0 = found.first().expect("a finding");
    assert_eq!(f0.id, Cause::ServerMisconfigured);
    assert!(
        !f0.fixes[0]
            .action
            .contains("read its issuer's key set again"),
        "{:?}",
        f0.fixes
    );
}

#[test]
fn the_experiment_rules_a_hypothesis_out() {
    // Words blame the audience; a fresh token for that audience fails the
    // same way: the audience is not it.
    let k = key("k1");
    let f =
        Fixture::answered(401).body("jwt audience invalid. expected: https://orders.example.test");
    let now = f.now();
    let fresh_ok = f
        .clone()
        .expect(expect_all())
        .bearer_jwt(&jwt(&k, now, json!({})), Some(&set(&[&k])))
        .build()
        .token
        .expect("a token")
        .at_server;
    let f = f
        .bearer_jwt(&jwt(&k, now, json!({})), Some(&set(&[&k])))
        .with(|o| {
            o.retry.attempted = true;
            o.retry.status = Some(401);
            o.retry.fresh_report = Some(fresh_ok);
        });
    let all = top(f);
    let aud = all
        .iter()
        .find(|x| x.id == Cause::TokenAudienceMismatch)
        .expect("the hypothesis");
    assert_eq!(aud.likelihood, Likelihood::Low);
    assert!(!aud.witnesses.disagree.is_empty());
}

#[test]
fn statuses_that_are_not_authentication_failures_name_no_cause() {
    let f = Fixture::answered(404);
    assert!(top(f).is_empty());
    let f = Fixture::answered(500).body("Internal Server Error");
    assert!(top(f).is_empty());
    // A framework that hides an expired token behind a 500: the words decide.
    let f = Fixture::answered(500)
        .body(r#"{"message":"jwt expired"}"#)
        .bearer_opaque("opaque-0123456789");
    assert_eq!(first(f).0, Cause::TokenExpired);
}

/// A server that throws on a token it cannot read (Auth0's Python
/// quickstart reads the header of whatever it is given: an opaque token is
/// a 500): the experiment decides. Sent again, the request fails again,
/// and a fresh JWT is accepted: the token made the failure. A 500 that
/// does not come back when the request is sent again was a passing fault.
#[test]
fn a_server_error_that_a_fresh_token_cures() {
    let k = key("k1");
    let f = Fixture::answered(500)
        .body("Internal Server Error")
        .bearer_opaque("opaque-0123456789abcdef");
    let now = f.now();
    let fresh = authdoctor_jose::decode(&jwt(&k, now, json!({})));
    let tried = |f: Fixture, again: u16| {
        let fresh = fresh.clone();
        f.with(move |o| {
            o.retry.attempted = true;
            o.retry.status = Some(200);
            o.retry.fresh = Some(fresh);
            o.resend_status = Some(again);
        })
    };
    assert_eq!(
        first(tried(f.clone(), 500)),
        (Cause::TokenWrongType, Likelihood::High)
    );
    assert!(top(tried(f.clone(), 200)).is_empty());
    assert!(top(f).is_empty());
}

#[test]
fn a_lower_case_scheme_refused_as_invalid_request() {
    let f = Fixture::answered(400)
        .header(
            "www-authenticate",
            "Bearer realm=\"orders\", error=\"invalid_request\"",
        )
        .request_header("Authorization", "bearer abcdefghijkl0123");
    assert_eq!(first(f), (Cause::HeaderMalformed, Likelihood::High));
}

/// A server that cuts the exact prefix `Bearer ` (Go's
/// `strings.TrimPrefix`) takes `bearer eyJ…` whole for its token and
/// answers a bare invalid_token: the token passing every check, the
/// scheme's case is the one thing wrong, and sure once the request sent
/// canonically was accepted. A token that fails a check is that check's.
#[test]
fn a_lower_case_scheme_taken_for_part_of_the_token() {
    let k = key("k1");
    let jwks = set(&[&k]);
    let f = Fixture::answered(401)
        .header("www-authenticate", INVALID)
        .body("unauthorized")
        .expect(expect_all());
    let now = f.now();
    let lower = |f: Fixture, t: &str| {
        f.bearer_jwt(t, Some(&jwks))
            .with(|o| o.spec.headers.retain(|(n, _)| n != "Authorization"))
            .request_header("Authorization", &format!("bearer {t}"))
    };
    let f_good = lower(f.clone(), &jwt(&k, now, json!({})));
    assert_eq!(
        first(f_good.clone()),
        (Cause::HeaderMalformed, Likelihood::Medium)
    );
    let accepted = f_good.with(|o| {
        o.retry.attempted = true;
        o.retry.status = Some(200);
    });
    let all = top(accepted);
    assert_eq!(
        (all[0].id, all[0].likelihood),
        (Cause::HeaderMalformed, Likelihood::High)
    );
    assert!(
        all[0].evidence.iter().any(|e| e.contains("was accepted")),
        "{all:#?}"
    );
    let expired = jwt(&k, now, json!({"iat": now - 7200, "exp": now - 3600}));
    assert_eq!(first(lower(f, &expired)).0, Cause::TokenExpired);
}

#[test]
fn without_a_client_the_report_gives_the_command_of_the_experiment() {
    let k = key("k1");
    let f =
        Fixture::answered(401).body("jwt audience invalid. expected: https://orders.example.test");
    let now = f.now();
    let f = f
        .bearer_jwt(&jwt(&k, now, json!({})), Some(&set(&[&k])))
        .with(|o| o.retry.skipped = Some("no client credentials or refresh token".into()));
    let all = top(f);
    let cmd = all[0]
        .fixes
        .iter()
        .find(|x| x.action.contains("authdoctor diagnose"))
        .expect("the experiment's command");
    assert!(
        cmd.action.contains("--issuer https://id.example.test/"),
        "{}",
        cmd.action
    );
    assert!(
        cmd.action.contains("https://api.example.test/orders"),
        "{}",
        cmd.action
    );
}

#[test]
fn an_api_key_refused_and_a_session_cookie_refused() {
    let f = Fixture::answered(401)
        .body(r#"{"message":"Invalid API key"}"#)
        .request_header("X-Api-Key", "k-0123456789abcdef");
    assert_eq!(first(f), (Cause::CredentialsInvalid, Likelihood::High));
    let f = Fixture::answered(401).request_header("Cookie", "sid=s-0123456789");
    assert_eq!(first(f).0, Cause::CookieRejected);
}

#[test]
fn a_token_whose_audience_is_its_own_client_at_a_silent_server() {
    let k = key("k1");
    let f = Fixture::answered(401).header("www-authenticate", INVALID);
    let now = f.now();
    let t = jwt(&k, now, json!({"aud": "my-cli", "azp": "my-cli"}));
    let f = f.bearer_jwt(&t, Some(&set(&[&k])));
    assert_eq!(first(f), (Cause::TokenAudienceMismatch, Likelihood::Medium));
}

#[test]
fn a_token_that_only_writes_refused_on_a_read_without_a_word() {
    let k = key("k1");
    let f = Fixture::answered(403).body("Forbidden");
    let now = f.now();
    let writes = jwt(&k, now, json!({"scope": "orders:write"}));
    let f2 = f.clone().bearer_jwt(&writes, Some(&set(&[&k])));
    assert_eq!(
        first(f2),
        (Cause::TokenScopeInsufficient, Likelihood::Medium)
    );
    // Scopes granted as an array (`scp`, Okta's; Azure's), read the same.
    let scp = jwt(&k, now, json!({"scope": null, "scp": ["orders:write"]}));
    let f5 = f.clone().bearer_jwt(&scp, Some(&set(&[&k])));
    assert_eq!(
        first(f5),
        (Cause::TokenScopeInsufficient, Likelihood::Medium)
    );
    // A read scope among them: nothing to say of the scope.
    let both = jwt(&k, now, json!({"scope": "orders:read orders:write"}));
    let f3 = f.clone().bearer_jwt(&both, Some(&set(&[&k])));
    assert_ne!(first(f3).0, Cause::TokenScopeInsufficient);
    // And the other way round: read scopes only on a method that writes.
    let reads = jwt(&k, now, json!({"scope": "orders:read"}));
    let f4 = f.method("POST").bearer_jwt(&reads, Some(&set(&[&k])));
    assert_eq!(
        first(f4),
        (Cause::TokenScopeInsufficient, Likelihood::Medium)
    );
}

#[test]
fn a_key_the_server_lacks_that_the_tokens_own_issuer_publishes_is_another_issuer() {
    // No challenge, only words: Crypt::JWT has no key for the token's
    // kid, which the token's own issuer publishes (and which verifies).
    let k = key("k1");
    let f = Fixture::answered(401).body(r#"{"error":"JWS: kid_keys lookup failed"}"#);
    let now = f.now();
    let f = f.bearer_jwt(&jwt(&k, now, json!({})), Some(&set(&[&k])));
    let all = top(f.clone());
    assert_eq!(
        (all[0].id, all[0].likelihood),
        (Cause::TokenIssuerMismatch, Likelihood::Medium),
        "{all:#?}"
    );
    assert!(
        all[0]
            .witnesses
            .agree
            .iter()
            .any(|a| a.contains("Crypt::JWT")),
        "{all:#?}"
    );
    // Told the issuer the server trusts (the token's own): no inference.
    assert!(
        top(f.expect(expect_all()))
            .iter()
            .all(|x| x.id != Cause::TokenIssuerMismatch)
    );
}

#[test]
fn a_valid_token_refused_without_a_word_where_nothing_said_what_the_api_expects() {
    // A bare 401: the token verifies with its issuer's keys, its times
    // check out, nobody said the API's audience or issuer.
    let k = key("k1");
    let f = Fixture::answered(401)
        .header("www-authenticate", BEARER)
        .body("Unauthorized");
    let now = f.now();
    // Its audience another API's (its words none of the URL's): most
    // likely issued for that one.
    let billing = "https://billing.example.test";
    let other = f
        .clone()
        .bearer_jwt(&jwt(&k, now, json!({"aud": billing})), Some(&set(&[&k])));
    let all = top(other);
    assert_eq!(
        (all[0].id, all[0].likelihood),
        (Cause::TokenAudienceMismatch, Likelihood::Low),
        "{all:#?}"
    );
    assert!(
        all[0].evidence.iter().any(|e| e.contains(billing))
            && all[0]
                .evidence
                .iter()
                .any(|e| e.contains("issued for another API"))
            && all[0].fixes.iter().any(|f| f.action.contains("--audience")),
        "{all:#?}"
    );
    // Its audience the host the request went to, or a word of the URL's
    // own (`orders`): the audience is most likely right, and an issuer the
    // API does not trust is what is left; the audience is still named.
    for aud in [AUD, "https://orders.internal.test", "orders-api"] {
        let this = f
            .clone()
            .bearer_jwt(&jwt(&k, now, json!({"aud": aud})), Some(&set(&[&k])));
        let all = top(this);
        assert_eq!(
            (all[0].id, all[0].likelihood),
            (Cause::TokenIssuerMismatch, Likelihood::Low),
            "{aud}: {all:#?}"
        );
        assert!(
            all[0]
                .evidence
                .iter()
                .any(|e| e.contains("most likely this API's")),
            "{aud}: {all:#?}"
        );
        assert!(
            all.iter().any(|x| x.id == Cause::TokenAudienceMismatch),
            "{aud}: {all:#?}"
        );
    }
    // The URL's own words are not quoted: a path may carry a key.
    let keyed = Fixture::answered(401)
        .body("Unauthorized")
        .with(|o| o.spec.url = "https://api.example.test/hooks/sk9Zq7LiveKey42/orders".into())
        .bearer_jwt(&jwt(&k, now, json!({"aud": billing})), Some(&set(&[&k])));
    let all = top(keyed);
    assert_eq!(all[0].id, Cause::TokenAudienceMismatch, "{all:#?}");
    assert!(
        !format!("{all:?}")
            .to_ascii_lowercase()
            .contains("sk9zq7livekey42"),
        "{all:#?}"
    );
    // On this machine, another port is another server: no more this API's
    // than any other host.
    let local = Fixture::answered(401)
        .body("Unauthorized")
        .with(|o| o.spec.url = "http://localhost:3000/v1/list".into());
    let other_port = local.bearer_jwt(
        &jwt(&k, now, json!({"aud": "http://localhost:8080"})),
        Some(&set(&[&k])),
    );
    assert_eq!(first(other_port).0, Cause::TokenAudienceMismatch);
    // Generic words only (Okta's `api://default`): nothing to go by, and
    // the commonest reason leads.
    let generic = f.clone().bearer_jwt(
        &jwt(&k, now, json!({"aud": "api://default"})),
        Some(&set(&[&k])),
    );
    assert_eq!(first(generic).0, Cause::TokenAudienceMismatch);
    let f = f.bearer_jwt(&jwt(&k, now, json!({})), Some(&set(&[&k])));
    let all = top(f.clone());
    // The server is a suspect too, and says so without claiming that the
    // issuer and audience were checked.
    let server = all
        .iter()
        .find(|x| x.id == Cause::ServerMisconfigured)
        .expect("server.misconfigured beside it");
    assert_eq!(server.likelihood, Likelihood::Low);
    assert!(
        server
            .evidence
            .iter()
            .any(|e| e.contains("issuer and audience could not be compared")),
        "{server:#?}"
    );
    // Told what the API expects, and the token matches it: the server is
    // the one to look at; no guess at the audience.
    let all = top(f.expect(expect_all()));
    assert_eq!(
        (all[0].id, all[0].likelihood),
        (Cause::ServerMisconfigured, Likelihood::Medium),
        "{all:#?}"
    );
    assert!(all.iter().all(|x| x.id != Cause::TokenAudienceMismatch));
    // A 403 is not this: a token accepted, then not allowed.
    let f = Fixture::answered(403).body("Forbidden");
    let f = f.bearer_jwt(&jwt(&k, now, json!({})), Some(&set(&[&k])));
    assert!(top(f).iter().all(|x| x.id != Cause::TokenAudienceMismatch));
    // Words that name a cause speak instead.
    let f = Fixture::answered(401).body(r#"{"error":"JWT: exp claim check failed (1/0 vs. 2)"}"#);
    let f = f.bearer_jwt(&jwt(&k, now, json!({})), Some(&set(&[&k])));
    assert!(top(f).iter().all(|x| x.id != Cause::TokenAudienceMismatch));
}

#[test]
fn an_opaque_token_refused_without_a_word_is_most_likely_the_wrong_kind() {
    let f = Fixture::answered(401)
        .body("Unauthorized")
        .bearer_opaque("Zn2-yQD4Zb3VPtVccTGzilFq1WPXbP3VcwZ0sgWhQ8m");
    let all = top(f);
    assert_eq!(
        (all[0].id, all[0].likelihood),
        (Cause::TokenWrongType, Likelihood::Low),
        "{all:#?}"
    );
    assert!(
        all[0]
            .fixes
            .iter()
            .any(|f| f.action.contains("introspects")),
        "{all:#?}"
    );
    // Its issuer said it is inactive: that speaks instead.
    let f = Fixture::answered(401)
        .body("Unauthorized")
        .bearer_opaque("Zn2-yQD4Zb3VPtVccTGzilFq1WPXbP3VcwZ0sgWhQ8m")
        .introspection(json!({"active": false}));
    assert_eq!(first(f).0, Cause::TokenRevoked);
}

#[test]
fn a_server_that_names_its_own_scheme_is_not_a_scheme_mismatch() {
    // @hapi/jwt answers `WWW-Authenticate: Token error="Token expired"` to
    // a Bearer token it reads: the words say what is wrong.
    let k = key("k1");
    let f = Fixture::answered(401)
        .header(
            "www-authenticate",
            "Token error=\"Token maximum age exceeded\"",
        )
        .body(r#"{"statusCode":401,"error":"Unauthorized","message":"Token maximum age exceeded"}"#)
        .expect(expect_all());
    let now = f.now();
    let f = f.bearer_jwt(&jwt(&k, now, json!({"exp": now - 900})), Some(&set(&[&k])));
    let all = top(f);
    assert_eq!(all[0].id, Cause::TokenExpired, "{all:#?}");
    assert!(
        all.iter().all(|x| x.id != Cause::SchemeMismatch),
        "{all:#?}"
    );
}

#[test]
fn a_bearer_token_at_a_token_scheme_server_that_sees_no_credentials_is_a_scheme_mismatch() {
    // Django REST framework's TokenAuthentication wants `Authorization: Token …`.
    let f = Fixture::answered(401)
        .header("www-authenticate", "Token")
        .body(r#"{"detail":"Authentication credentials were not provided."}"#)
        .bearer_opaque("9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b");
    assert_eq!(first(f), (Cause::SchemeMismatch, Likelihood::High));
}

#[test]
fn a_token_its_own_issuer_vouches_for_refused_as_invalid_is_from_another_issuer() {
    // Nobody named the issuer the server trusts; the token verifies with
    // its own issuer's keys; the server calls it an invalid token.
    let k = key("k1");
    let f = Fixture::answered(401).header("www-authenticate", INVALID);
    let now = f.now();
    let good = jwt(&k, now, json!({}));
    let f = f.bearer_jwt(&good, Some(&set(&[&k])));
    assert_eq!(
        first(f.clone()),
        (Cause::TokenIssuerMismatch, Likelihood::Medium)
    );
    // Told which issuer it trusts (the token's own), the server is the
    // one to look at.
    assert_eq!(
        first(f.expect(expect_all())),
        (Cause::ServerMisconfigured, Likelihood::Medium)
    );
    // A bare 401 says nothing of the token: no inference from it (the
    // token's audience another API's, which the audience rule weighs).
    let f = Fixture::answered(401).header("www-authenticate", BEARER);
    let other = json!({"aud": "https://billing.example.test"});
    let f = f.bearer_jwt(&jwt(&k, now, other.clone()), Some(&set(&[&k])));
    assert_ne!(first(f).0, Cause::TokenIssuerMismatch);
    // Refused as an invalid token with no word of a key, a token whose
    // audience names another API is more likely that API's than another
    // issuer's.
    let f = Fixture::answered(401).header("www-authenticate", INVALID);
    let f = f.bearer_jwt(&jwt(&k, now, other), Some(&set(&[&k])));
    assert_eq!(first(f).0, Cause::TokenAudienceMismatch);
    // Past its exp by seconds (within the leeway assumed here): most
    // libraries refuse it for that alone (hono/jwk: "token verification
    // failure"), and no issuer is guessed.
    let f = Fixture::answered(401).header("www-authenticate", INVALID);
    let late = jwt(&k, now, json!({"iat": now - 600, "exp": now - 20}));
    let f = f.bearer_jwt(&late, Some(&set(&[&k])));
    let all = top(f);
    assert_eq!(all[0].id, Cause::TokenExpired, "{all:#?}");
    assert!(
        all.iter().all(|c| c.id != Cause::TokenIssuerMismatch),
        "{all:#?}"
    );
}

#[test]
fn a_server_that_fails_on_a_token_at_finding_its_key_trusts_another_issuer() {
    // A 500 to a token its own issuer vouches for, and a 401 without it.
    let k = key("k1");
    let f = Fixture::answered(500);
    let now = f.now();
    let good = jwt(&k, now, json!({}));
    let failed = f
        .bearer_jwt(&good, Some(&set(&[&k])))
        .with(|o| o.bare_status = Some(401));
    // The application may have failed after accepting it: no cause.
    assert!(top(failed.clone()).is_empty());
    // With the signature broken it fails alike: before any signature was
    // checked, at finding the key; the token's issuer publishes it.
    let at_key = failed
        .clone()
        .with(|o| o.broken_signature_status = Some(500));
    assert_eq!(
        first(at_key.clone()),
        (Cause::TokenIssuerMismatch, Likelihood::Medium)
    );
    // The experiment that would settle it asks the issuer the API trusts,
    // which nobody named: not the token's own, the one suspected.
    let no_client =
        at_key.with(|o| o.retry.skipped = Some("no client credentials or refresh token".into()));
    let fixes: Vec<String> = top(no_client)[0]
        .fixes
        .iter()
        .map(|f| f.action.clone())
        .collect();
    let settle = fixes
        .iter()
        .find(|f| f.starts_with("Settle it by experiment"))
        .expect("the experiment's command");
    assert!(settle.contains("--issuer ISSUER "), "{settle}");
    // With the signature broken it is refused: the server checked the
    // signature with the token's key, and failed after it on the good one.
    let after = failed.with(|o| o.broken_signature_status = Some(401));
    assert!(top(after).is_empty());
    // An opaque token it fails on: a check that reads JWTs threw on it.
    let opaque = Fixture::answered(500)
        .bearer_opaque("bF8kL0Ea0vTGOJ7h-Cqqwov2WOcBoZVSxXR4eTi_Vni")
        .with(|o| o.bare_status = Some(401));
    assert_eq!(first(opaque), (Cause::TokenWrongType, Likelihood::Medium));
}

#[test]
fn an_error_after_authentication_passed_is_no_refusal() {
    let k = key("k1");
    // A 404 with an expired token, and no experiment: the token's checks.
    let f = Fixture::answered(404);
    let now = f.now();
    let expired = jwt(&k, now, json!({"exp": now - 900}));
    let f = f.bearer_jwt(&expired, Some(&set(&[&k])));
    assert_eq!(first(f.clone()).0, Cause::TokenExpired);
    // Without its credentials the same request is a 404 too: still them.
    let same = f.clone().with(|o| o.bare_status = Some(404));
    assert_eq!(first(same).0, Cause::TokenExpired);
    // Refused without them: the credentials passed authentication.
    let passed = f.with(|o| o.bare_status = Some(401));
    assert!(top(passed).is_empty());
    // A 500 to the token and a 401 without it is a framework's refusal
    // hidden behind an error: the experiment does not speak for it.
    let f = Fixture::answered(500);
    let f = f
        .bearer_jwt(&expired, Some(&set(&[&k])))
        .with(|o| o.bare_status = Some(401));
    assert_eq!(first(f).0, Cause::TokenExpired);
}

#[test]
fn a_request_the_server_limited_says_the_wait_beside_the_causes() {
    // A 429 with Retry-After to an expired token: the expiry is the cause
    // the token meets after the wait; the limit is said in the notes, in
    // every format.
    let k = key("k1");
    let f = Fixture::answered(429).header("retry-after", "287");
    let now = f.now();
    let o = f
        .bearer_jwt(&jwt(&k, now, json!({"exp": now - 900})), Some(&set(&[&k])))
        .build();
    let d = crate::report::build(&o, diagnose(&o), Vec::new());
    assert_eq!(d.causes[0].id, Cause::TokenExpired);
    assert!(
        d.observations
            .notes
            .iter()
            .any(|n| n.contains("429 Too Many Requests and asks to wait 287 s")),
        "{:?}",
        d.observations.notes
    );
    let mut md = Vec::new();
    crate::report::markdown(&d, &mut md).unwrap();
    assert!(
        String::from_utf8(md)
            .unwrap()
            .contains("asks to wait 287 s")
    );
    // A good token limited: no cause, the limit is the verdict.
    let o = Fixture::answered(429)
        .header("retry-after", "287")
        .bearer_jwt(&jwt(&k, now, json!({})), Some(&set(&[&k])))
        .build();
    let d = crate::report::build(&o, diagnose(&o), Vec::new());
    assert!(d.causes.is_empty(), "{:?}", d.causes);
    assert!(
        d.not_an_auth_failure
            .as_deref()
            .is_some_and(|s| s
                .starts_with("The server answered 429 Too Many Requests and asks to wait 287 s")),
        "{:?}",
        d.not_an_auth_failure
    );
}

#[test]
fn a_defect_the_server_let_through_is_said_under_the_verdict() {
    // A 404 after authentication passed, with an expired token: no cause,
    // and the expiry said as tolerated, in every format, the token masked.
    let k = key("k1");
    let f = Fixture::answered(404);
    let now = f.now();
    let expired = jwt(&k, now, json!({"exp": now - 900}));
    let o = f
        .bearer_jwt(&expired, Some(&set(&[&k])))
        .with(|o| o.bare_status = Some(401))
        .build();
    let d = crate::report::build(&o, diagnose(&o), Vec::new());
    assert!(d.causes.is_empty());
    assert!(
        d.tolerated.iter().any(|t| t.contains("Expired")),
        "{:?}",
        d.tolerated
    );
    let mut human = Vec::new();
    crate::report::human(&d, &mut human).unwrap();
    let mut md = Vec::new();
    crate::report::markdown(&d, &mut md).unwrap();
    for text in [
        String::from_utf8(human).unwrap(),
        String::from_utf8(md).unwrap(),
    ] {
        assert!(text.contains("let the token through"), "{text}");
        assert!(
            text.contains("passed the server's authentication"),
            "{text}"
        );
        assert!(!text.contains(&expired), "{text}");
    }
    // A token that passes every check: nothing tolerated.
    let o = Fixture::answered(200)
        .bearer_jwt(&jwt(&k, now, json!({})), Some(&set(&[&k])))
        .build();
    assert!(
        crate::report::build(&o, diagnose(&o), Vec::new())
            .tolerated
            .is_empty()
    );
}

#[test]
fn a_graphql_refusal_in_a_200_is_diagnosed_as_a_401_or_403_is() {
    let k = key("k1");
    let apollo = r#"{"errors":[{"message":"You must be logged in","path":["orders"],"extensions":{"code":"UNAUTHENTICATED"}}],"data":{"orders":null}}"#;
    // An expired token, refused in the errors of a 200.
    let f = Fixture::answered(200)
        .method("POST")
        .body(apollo)
        .expect(expect_all());
    let now = f.now();
    let f = f.bearer_jwt(&jwt(&k, now, json!({"exp": now - 900})), Some(&set(&[&k])));
    let all = top(f);
    assert_eq!(all[0].id, Cause::TokenExpired);
    assert!(
        all[0]
            .evidence
            .iter()
            .any(|e| e.contains("refused the request in its body (code UNAUTHENTICATED)")),
        "{:?}",
        all[0].evidence
    );
    // No credentials at all.
    let f = Fixture::answered(200).method("POST").body(apollo);
    assert_eq!(first(f).0, Cause::CredentialsMissing);
    // Hasura's words name the cause where the token cannot be checked.
    let f = Fixture::answered(200)
        .method("POST")
        .body(r#"{"errors":[{"extensions":{"path":"$","code":"invalid-jwt"},"message":"Could not verify JWT: JWTNotInAudience"}]}"#);
    let now = f.now();
    let f = f.bearer_jwt(&jwt(&k, now, json!({})), None);
    assert_eq!(first(f).0, Cause::TokenAudienceMismatch);
    // A valid token refused as FORBIDDEN: the 403's causes.
    let f = Fixture::answered(200)
        .method("POST")
        .body(r#"{"errors":[{"message":"You are not authorized to perform this action.","extensions":{"code":"FORBIDDEN"}}],"data":{"orders":null}}"#)
        .expect(expect_all());
    let now = f.now();
    let f = f.bearer_jwt(&jwt(&k, now, json!({})), Some(&set(&[&k])));
    assert!(
        matches!(
            first(f).0,
            Cause::AuthzForbidden | Cause::TokenScopeInsufficient
        ),
        "a 403's cause"
    );
    // A 200 with data, or with an error that is no refusal: nothing.
    for body in [
        r#"{"data":{"orders":["a"]}}"#,
        r#"{"errors":[{"message":"Cannot query field \"x\" on type \"Query\".","extensions":{"code":"GRAPHQL_VALIDATION_FAILED"}}]}"#,
    ] {
        let f = Fixture::answered(200).method("POST").body(body);
        let now = f.now();
        let f = f.bearer_jwt(&jwt(&k, now, json!({"exp": now - 900})), Some(&set(&[&k])));
        assert!(top(f).is_empty(), "{body}");
    }
}

#[test]
fn api_gateway_wanting_sigv4_is_the_wrong_scheme() {
    let k = key("k1");
    let f = Fixture::answered(403)
        .body(r#"{"message":"Invalid key=value pair (missing equal-sign) in Authorization header (hashed with SHA-256 and encoded with Base64): 'V2hhdCBpcyBoYXNoZWQ='."}"#)
        .expect(expect_all());
    let now = f.now();
    let f = f.bearer_jwt(&jwt(&k, now, json!({})), Some(&set(&[&k])));
    assert_eq!(first(f).0, Cause::SchemeMismatch);
}

#[test]
fn a_firewalls_block_page_is_no_authentication_failure() {
    let k = key("k1");
    let f = Fixture::answered(403)
        .header("server", "cloudflare")
        .header("cf-ray", "8f1c2d3e4a5b6c7d-AMS")
        .body(
            "<title>Attention Required! | Cloudflare</title><h1>Sorry, you have been blocked</h1>",
        )
        .expect(expect_all());
    let now = f.now();
    let o = f
        .bearer_jwt(&jwt(&k, now, json!({"exp": now - 900})), Some(&set(&[&k])))
        .build();
    // Not even the expired token: the API never saw it.
    assert!(diagnose(&o).is_empty());
    let d = crate::report::build(&o, diagnose(&o), Vec::new());
    let note = d.not_an_auth_failure.as_deref().unwrap_or_default();
    assert!(
        note.contains("came from Cloudflare in front of the API")
            && note.contains("8f1c2d3e4a5b6c7d-AMS"),
        "{note}"
    );
    assert!(d.tolerated.is_empty());
    assert_eq!(d.exit_code(), 3);
}

#[test]
fn a_header_that_never_reached_the_application_is_named() {
    // Django REST framework behind mod_wsgi without WSGIPassAuthorization:
    // a good token, refused as if none were sent.
    let k = key("k1");
    let f = Fixture::answered(401)
        .header("www-authenticate", "Bearer realm=\"api\"")
        .body(r#"{"detail":"Authentication credentials were not provided."}"#)
        .expect(expect_all());
    let now = f.now();
    let all = top(f.bearer_jwt(&jwt(&k, now, json!({})), Some(&set(&[&k]))));
    assert_eq!(
        (all[0].id, all[0].likelihood),
        (Cause::ServerMisconfigured, Likelihood::High)
    );
    assert!(
        all[0].summary.contains("did not reach the application"),
        "{}",
        all[0].summary
    );
    // A malformed header the server could not read is that, not a loss.
    let f = Fixture::answered(401)
        .body(r#"{"detail":"Authentication credentials were not provided."}"#)
        .request_header("Authorization", "Bearer");
    assert_ne!(first(f).0, Cause::ServerMisconfigured);
}

#[test]
fn the_fix_for_missing_credentials_speaks_the_scheme_the_server_asks_for() {
    let fix = |challenge: &str| {
        let all = top(Fixture::answered(401).header("www-authenticate", challenge));
        assert_eq!(all[0].id, Cause::CredentialsMissing, "{challenge}");
        all[0].fixes[0].action.clone()
    };
    assert!(fix("Negotiate").contains("curl --negotiate"));
    assert!(fix("Negotiate, NTLM").contains("curl --negotiate"));
    assert!(fix("NTLM").contains("curl --ntlm"));
    assert!(fix("Digest realm=\"x\", nonce=\"n\", qop=\"auth\"").contains("curl --digest"));
    assert!(fix("Basic realm=\"x\"").contains("curl -u USER:PASSWORD"));
    assert!(fix("Bearer realm=\"x\"").contains("Authorization: Bearer"));
    assert!(fix("Custom realm=\"x\"").contains("Authorization: Bearer"));
}

#[test]
fn a_registrys_token_service_in_the_fix_is_shown_with_its_secrets_masked() {
    let f = Fixture::answered(401).header(
        "www-authenticate",
        r#"Bearer realm="https://robot:hunter2-registry@reg.example/token?access_token=opaque-secret-0123456789",service="reg.example",scope="repository:team/app:pull""#,
    );
    let found = top(f);
    let f0 = found.first().expect("a finding");
    assert_eq!(f0.id, Cause::CredentialsMissing);
    let fix = &f0.fixes[0].action;
    assert!(fix.contains("registry token protocol"), "{fix}");
    assert!(fix.contains("service=reg.example"), "{fix}");
    assert!(!fix.contains("hunter2-registry"), "{fix}");
    assert!(!fix.contains("opaque-secret-0123456789"), "{fix}");
}

#[test]
fn a_refused_token_called_not_provided_is_no_lost_header_once_a_fresh_one_gets_through() {
    // Django REST framework over django-oauth-toolkit: a token it refuses
    // is "not provided". An opaque token nothing here can judge: likely
    // the header was lost, not sure.
    let f = Fixture::answered(401)
        .header("www-authenticate", "Bearer realm=\"api\"")
        .body(r#"{"detail":"Authentication credentials were not provided."}"#)
        .bearer_opaque("Hb2mBqHkJwqDq0aGQ4m9oU7nUVY2xP");
    let all = top(f.clone());
    assert_eq!(
        (all[0].id, all[0].likelihood),
        (Cause::ServerMisconfigured, Likelihood::Medium),
        "{all:#?}"
    );
    assert!(all[0].summary.contains("did not reach the application"));
    // A fresh token sent the same way was accepted: the header arrives.
    let all = top(f.clone().with(|o| {
        o.retry.attempted = true;
        o.retry.status = Some(200);
    }));
    assert!(
        all.iter()
            .all(|x| !x.summary.contains("did not reach the application")),
        "{all:#?}"
    );
    // Refused too: the header is lost, surely.
    let all = top(f.with(|o| {
        o.retry.attempted = true;
        o.retry.status = Some(401);
    }));
    assert_eq!(
        (all[0].id, all[0].likelihood),
        (Cause::ServerMisconfigured, Likelihood::High),
        "{all:#?}"
    );
    assert!(
        all[0]
            .evidence
            .iter()
            .any(|e| e.contains("refused too (401)"))
    );
}

#[test]
fn a_familys_own_status_for_an_authentication_failure_is_read_as_a_401() {
    // ArcGIS's 498 for an expired token: the token's own checks decide.
    let k = key("k1");
    let now = Fixture::answered(498).now();
    let expired = jwt(&k, now, json!({"exp": now - 3600}));
    let f = Fixture::answered(498)
        .expect(expect_all())
        .bearer_jwt(&expired, Some(&set(&[&k])));
    let all = top(f);
    assert_eq!(all[0].id, Cause::TokenExpired);
    assert!(
        all[0]
            .evidence
            .iter()
            .any(|e| e.contains("498 \"Invalid Token\", Esri ArcGIS's status")),
        "{:?}",
        all[0].evidence
    );
    // Its 499 to a request without a token: none was sent.
    assert_eq!(
        first(Fixture::answered(499)),
        (Cause::CredentialsMissing, Likelihood::High)
    );
    // IIS's 440, Laravel's 419: a session wanted; none sent, or the one
    // sent is not accepted.
    let (c, l) = first(Fixture::answered(440).bearer_opaque("opaque-token-0123456789"));
    assert_eq!((c, l), (Cause::CookieRejected, Likelihood::High));
    let (c, l) = first(Fixture::answered(419).request_header("Cookie", "laravel_session=abc"));
    assert_eq!((c, l), (Cause::CookieRejected, Likelihood::High));
    // Not an authentication status anywhere: no cause.
    assert!(top(Fixture::answered(418)).is_empty());
}

#[test]
fn a_proxy_that_wants_its_own_credentials_is_not_the_api() {
    let asks = |f: Fixture| {
        f.header("proxy-authenticate", "Basic realm=\"corp proxy\"")
            .body("Proxy Authentication Required")
    };
    // None sent: the proxy's, not the API's, are missing, whatever the
    // request carries for the API.
    let all =
        top(asks(Fixture::answered(407)).request_header("Authorization", "Bearer abc.def.ghi"));
    assert_eq!(all[0].id, Cause::CredentialsMissing);
    assert_eq!(all[0].likelihood, Likelihood::High);
    assert!(all[0].summary.contains("proxy"), "{}", all[0].summary);
    assert!(
        all[0]
            .evidence
            .iter()
            .any(|e| e.contains("Proxy-Authenticate: Basic realm=\"corp proxy\"")),
        "{:?}",
        all[0].evidence
    );
    // Sent and refused: they are wrong.
    let all = top(asks(Fixture::answered(407)).request_header("Proxy-Authorization", "Basic dTpw"));
    assert_eq!(all[0].id, Cause::CredentialsInvalid);
    assert!(all[0].summary.contains("proxy"), "{}", all[0].summary);
}

const SIGV4: &str = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261128/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-date, Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024";

#[test]
fn a_request_signed_with_aws_signature_version_4_is_judged_by_the_words_of_its_refusal() {
    // The header is AWS's own grammar, not a malformed one.
    let f = Fixture::answered(403)
        .request_header("Authorization", SIGV4)
        .body(r#"{"message":"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method."}"#);
    assert_eq!(first(f), (Cause::CredentialsInvalid, Likelihood::High));
    // S3 (and MinIO) in XML: the signing time too far from the server's.
    let f = Fixture::answered(403)
        .request_header("Authorization", SIGV4)
        .body("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>RequestTimeTooSkewed</Code><Message>The difference between the request time and the server's time is too large.</Message></Error>");
    assert_eq!(first(f), (Cause::ClockSkew, Likelihood::High));
    let f = Fixture::answered(403)
        .request_header("Authorization", SIGV4)
        .body(r#"{"message":"Signature expired: 20261128T000000Z is now earlier than 20261128T001500Z (20261128T003000Z - 15 min.)"}"#);
    assert_eq!(first(f).0, Cause::ClockSkew);
    // Temporary credentials past their session.
    let f = Fixture::answered(403)
        .request_header("Authorization", SIGV4)
        .body(r#"{"message":"The security token included in the request is expired"}"#);
    assert_eq!(first(f).0, Cause::TokenExpired);
    // Cut short: malformed.
    let f = Fixture::answered(403).request_header(
        "Authorization",
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261128/us-east-1/s3/aws4_request, SignedHeaders=host",
    );
    assert_eq!(first(f).0, Cause::HeaderMalformed);
}

#[test]
fn a_scheme_of_its_own_that_the_server_read_is_not_the_matter() {
    // GitHub takes `token`; its "Bad credentials" judges the token.
    let f = Fixture::answered(401)
        .request_header("Authorization", "token ghp_16C7e42F292c6912E7710c838347Ae178B4a")
        .body(r#"{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest","status":"401"}"#);
    assert_eq!(first(f), (Cause::CredentialsInvalid, Likelihood::High));
    // Without words that judge the credential, the odd scheme is named.
    let f = Fixture::answered(401).request_header(
        "Authorization",
        "token ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    );
    assert_eq!(first(f).0, Cause::SchemeMismatch);
}

#[test]
fn a_csrf_refusal_is_not_an_authentication_failure() {
    for (status, body, who) in [
        (
            403,
            "<h1>Forbidden <span>(403)</span></h1><p>CSRF verification failed. Request aborted.</p>",
            "Django",
        ),
        (
            403,
            "<h2>HTTP ERROR 403 No valid crumb was included in the request</h2>",
            "Jenkins",
        ),
        (
            403,
            r#"{"status":403,"error":"Forbidden","message":"Invalid CSRF Token 'null' was found on the request parameter '_csrf' or header 'X-CSRF-TOKEN'."}"#,
            "Spring Security",
        ),
        (419, r#"{"message":"CSRF token mismatch."}"#, "Laravel"),
        (422, "ActionController::InvalidAuthenticityToken", "Rails"),
        (
            403,
            "ForbiddenError: invalid csrf token",
            "Express (csurf, csrf-csrf)",
        ),
        (
            400,
            "400 Bad Request: The CSRF token is missing.",
            "Flask-WTF",
        ),
    ] {
        let o = Fixture::answered(status)
            .request_header("Cookie", "sessionid=abc")
            .body(body)
            .build();
        assert_eq!(o.csrf.as_ref().map(|c| c.who), Some(who), "{body}");
        assert!(diagnose(&o).is_empty(), "{body}");
    }
    // The same words in a 401 are not a CSRF refusal.
    let o = Fixture::answered(401)
        .body("CSRF verification failed")
        .build();
    assert_eq!(o.csrf, None);
}

#[test]
fn slacks_refusals_in_a_200_and_googles_words_are_heard() {
    let slack = |code: &str| {
        Fixture::answered(200)
            .bearer_opaque("xoxb-1234-5678-opaque0123456789")
            .body(&format!(r#"{{"ok":false,"error":"{code}"}}"#))
    };
    assert_eq!(
        first(slack("invalid_auth")),
        (Cause::CredentialsInvalid, Likelihood::High)
    );
    assert_eq!(first(slack("token_revoked")).0, Cause::TokenRevoked);
    assert_eq!(first(slack("token_expired")).0, Cause::TokenExpired);
    assert_eq!(
        first(Fixture::answered(200).body(r#"{"ok":false,"error":"not_authed"}"#)).0,
        Cause::CredentialsMissing
    );
    // Slack's other errors are not refusals; nor is its success.
    assert!(top(slack("channel_not_found")).is_empty());
    assert!(top(Fixture::answered(200).body(r#"{"ok":true}"#)).is_empty());
    // Google's APIs, to an opaque access token they refuse.
    let f = Fixture::answered(401)
        .header("www-authenticate", "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"")
        .bearer_opaque("ya29.a0AfH6SMB-opaque0123456789")
        .body(r#"{"error":{"code":401,"message":"Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.","status":"UNAUTHENTICATED"}}"#);
    assert_eq!(first(f), (Cause::CredentialsInvalid, Likelihood::High));
}

#[test]
fn vaults_permission_denied_is_not_called_a_sure_permission_matter() {
    // Vault says the same to a dead token as to a policy that refuses:
    // neither reading is sure, and the check that tells them apart is given.
    let all = top(Fixture::answered(403)
        .request_header("X-Vault-Token", "hvs.CAESIabcdef0123456789abcdef")
        .body(r#"{"errors":["permission denied"]}"#));
    assert!(
        all.iter().all(|f| f.likelihood != Likelihood::High),
        "{all:?}"
    );
    let authz = all
        .iter()
        .find(|f| f.id == Cause::AuthzForbidden)
        .expect("the permission reading");
    assert!(
        authz.fixes[0].action.contains("vault token lookup"),
        "{authz:?}"
    );
}

#[test]
fn s3s_access_denied_to_an_unsigned_request_asks_for_a_signature() {
    let denied = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied.</Message><Key>a.txt</Key><BucketName>b</BucketName><Resource>/b/a.txt</Resource></Error>";
    let unsigned = top(Fixture::answered(403).body(denied));
    assert_eq!(unsigned[0].id, Cause::CredentialsMissing);
    assert_eq!(unsigned[0].likelihood, Likelihood::Medium);
    assert!(unsigned[0].fixes[0].action.contains("presigned URL"));
    assert!(
        unsigned.iter().all(|f| f.id != Cause::AuthzForbidden),
        "{unsigned:?}"
    );
    // Signed, the same answer is the bucket's policy.
    let signed = top(Fixture::answered(403)
        .request_header("Authorization", SIGV4)
        .body(denied));
    assert_eq!(signed[0].id, Cause::AuthzForbidden);
}

/// An opaque credential under `scheme` (`Token`, `Bearer`), as the probe
/// records one.
fn opaque_under(f: Fixture, scheme: &str, token: &str) -> Fixture {
    f.request_header("Authorization", &format!("{scheme} {token}"))
        .with(|o| o.opaque_token = Some(authdoctor_secret::Token::new(token)))
}

#[test]
fn a_key_under_the_scheme_the_server_asks_for_is_no_scheme_mismatch() {
    // Django REST framework's TokenAuthentication, to a key it does not
    // have: the scheme is the one it asks for, its words call the key
    // invalid.
    let f = Fixture::answered(401)
        .header("www-authenticate", "Token")
        .body(r#"{"detail":"Invalid token."}"#);
    let all = top(opaque_under(
        f,
        "Token",
        "0000b09199c62bcf9418ad846dd0e4bbdfc6ee4b",
    ));
    assert_eq!(
        (all[0].id, all[0].likelihood),
        (Cause::CredentialsInvalid, Likelihood::High),
        "{all:#?}"
    );
    // A server that asks for a scheme of its own reads keys, not JWTs.
    assert!(
        all.iter()
            .all(|x| x.id != Cause::SchemeMismatch && x.id != Cause::TokenWrongType),
        "{all:#?}"
    );
    // The same key under Bearer there is the scheme's matter still.
    let f = Fixture::answered(401)
        .header("www-authenticate", "Token")
        .body(r#"{"detail":"Authentication credentials were not provided."}"#);
    let all = top(opaque_under(
        f,
        "Bearer",
        "0000b09199c62bcf9418ad846dd0e4bbdfc6ee4b",
    ));
    assert_eq!(all[0].id, Cause::SchemeMismatch, "{all:#?}");
}

#[test]
fn a_challenge_that_judges_the_token_proves_the_header_arrived() {
    // django-oauth-toolkit under Django REST framework: the challenge
    // calls the token invalid while the body, DRF's, says none was
    // provided. The server read it: no header was lost.
    let f = Fixture::answered(401)
        .header(
            "www-authenticate",
            r#"Bearer realm="api",error="invalid_token",error_description="The access token is invalid.""#,
        )
        .body(r#"{"detail":"Authentication credentials were not provided."}"#)
        .bearer_opaque("dot-unknown-0123456789abcdef");
    let all = top(f);
    assert!(
        all.iter()
            .all(|x| !x.summary.contains("did not reach the application")),
        "{all:#?}"
    );
    // Both readings of an opaque token refused as invalid are named.
    for c in [Cause::TokenWrongType, Cause::CredentialsInvalid] {
        assert!(all.iter().any(|x| x.id == c), "{c}: {all:#?}");
    }
    let inv = all.iter().find(|x| x.id == Cause::CredentialsInvalid);
    assert!(
        inv.is_some_and(|x| x.fixes.iter().any(|f| f.action.contains("--issuer"))),
        "{all:#?}"
    );
}

#[test]
fn a_well_formed_header_the_server_calls_malformed_is_of_another_scheme() {
    // @fastify/bearer-auth, to Basic credentials: no challenge, and words
    // about the header, not the password.
    let f = Fixture::answered(401)
        .body(r#"{"error":"invalid authorization header"}"#)
        .request_header("Authorization", "Basic YWRtaW46eA==");
    let all = top(f);
    assert_eq!(all[0].id, Cause::SchemeMismatch, "{all:#?}");
    assert!(
        all.iter().all(|x| x.id != Cause::CredentialsInvalid),
        "{all:#?}"
    );
    // node-oauth2-server (express-oauth-server): RFC 6750's invalid_request
    // in the body, to Basic credentials: it reads Bearer tokens.
    let f = Fixture::answered(400)
        .body(r#"{"error":"invalid_request","error_description":"Invalid request: malformed authorization header"}"#)
        .request_header("Authorization", "Basic Y2xpOng=");
    let all = top(f);
    assert_eq!(
        (all[0].id, all[0].likelihood),
        (Cause::SchemeMismatch, Likelihood::High)
    );
    // Its words call the header malformed; it is well formed.
    assert!(
        all.iter().all(|x| x.id != Cause::HeaderMalformed),
        "{all:#?}"
    );
    // express-basic-auth's bare 401 to a wrong password stays the
    // password's matter.
    let f = Fixture::answered(401).request_header("Authorization", "Basic YWRtaW46d3Jvbmc=");
    assert_eq!(first(f), (Cause::CredentialsInvalid, Likelihood::High));
}

#[test]
fn an_api_key_the_server_cannot_validate_is_a_wrong_key_even_in_a_403() {
    // FastAPI's APIKeyHeader as its documentation's examples use it: a 403
    // "Could not validate API key" to a key it does not know.
    let f = Fixture::answered(403)
        .body(r#"{"detail":"Could not validate API key"}"#)
        .request_header("X-API-Key", "key-wrong56789abcdef");
    let all = top(f);
    assert_eq!(
        (all[0].id, all[0].likelihood),
        (Cause::CredentialsInvalid, Likelihood::High),
        "{all:#?}"
    );
    assert!(
        all.iter().all(|x| x.id != Cause::AuthzForbidden),
        "{all:#?}"
    );
}

#[test]
fn a_key_sent_where_the_server_does_not_look_is_the_wrong_place() {
    // FastAPI's APIKeyHeader(name="X-API-Key"), sent another header's
    // name: "Not authenticated", and its own scheme `APIKey` asked for.
    let f = Fixture::answered(401)
        .header("www-authenticate", "APIKey")
        .body(r#"{"detail":"Not authenticated"}"#)
        .request_header("Api-Key", "key-0123456789abcdef");
    let all = top(f);
    assert_eq!(
        (all[0].id, all[0].likelihood),
        (Cause::SchemeMismatch, Likelihood::High),
        "{all:#?}"
    );
    assert!(all[0].summary.contains("api-key"), "{all:#?}");
    assert!(
        all.iter()
            .all(|x| x.id != Cause::CredentialsInvalid && x.id != Cause::CredentialsMissing),
        "{all:#?}"
    );
}

#[test]
fn a_key_in_the_query_string_is_a_credential() {
    // FastAPI's APIKeyQuery(name="api_key"), to a key it does not know.
    let f = Fixture::answered(401)
        .header("www-authenticate", "APIKey")
        .body(r#"{"detail":"Invalid API Key"}"#)
        .url("http://127.0.0.1:8000/orders?api_key=key-wrong56789abcdef");
    let o = f.build();
    assert!(
        o.other_credentials.iter().any(|c| c.contains("api_key")),
        "{:?}",
        o.other_credentials
    );
    let all = diagnose(&o);
    assert_eq!(
        (all[0].id, all[0].likelihood),
        (Cause::CredentialsInvalid, Likelihood::High),
        "{all:#?}"
    );
}

#[test]
fn a_recorded_digest_answer_is_for_a_nonce_gone_by() {
    // A browser's "Copy as cURL" of a page behind Apache's mod_auth_digest:
    // the answer is for the nonce of that moment.
    let sent = r#"Digest username="admin", realm="orders", nonce="OLDNONCE", uri="/api/orders", algorithm=MD5, response="0123456789abcdef0123456789abcdef", qop=auth, nc=00000001, cnonce="abc""#;
    let f = |challenge: &str| {
        Fixture::answered(401)
            .header("www-authenticate", challenge)
            .request_header("Authorization", sent)
    };
    let all = top(f(
        r#"Digest realm="orders", nonce="NEWNONCE", algorithm=MD5, qop="auth", stale=true"#,
    ));
    assert_eq!(
        (all[0].id, all[0].likelihood),
        (Cause::CredentialsInvalid, Likelihood::High),
        "{all:#?}"
    );
    assert!(
        all[0].summary.contains("nonce of an earlier exchange"),
        "{all:#?}"
    );
    assert!(all[0].fixes[0].action.contains("--digest -u"), "{all:#?}");
    let all = top(f(
        r#"Digest realm="orders", nonce="NEWNONCE", algorithm=MD5, qop="auth""#,
    ));
    assert_eq!(
        (all[0].id, all[0].likelihood),
        (Cause::CredentialsInvalid, Likelihood::Medium),
        "{all:#?}"
    );
    // The nonce it answered, refused: the password's matter.
    let all = top(f(
        r#"Digest realm="orders", nonce="OLDNONCE", algorithm=MD5, qop="auth""#,
    ));
    assert!(
        all.iter().all(|x| !x.summary.contains("earlier exchange")),
        "{all:#?}"
    );
}

#[test]
fn django_rest_frameworks_403s_to_a_password_and_a_session_it_does_not_take() {
    // DRF's defaults (SessionAuthentication first, which asks for nothing):
    // a wrong Basic password is a 403 in its words.
    let f = Fixture::answered(403)
        .body(r#"{"detail":"Invalid username/password."}"#)
        .request_header("Authorization", "Basic YWxpY2U6d3Jvbmc=");
    assert_eq!(first(f), (Cause::CredentialsInvalid, Likelihood::High));
    // A session cookie it does not recognise (signed with another key,
    // expired): the request is anonymous to it, "not provided".
    let f = Fixture::answered(403)
        .body(r#"{"detail":"Authentication credentials were not provided."}"#)
        .request_header("Cookie", "sessionid=.eJxVjDsOwjAQBe_iGlnxxxx");
    let all = top(f);
    assert_eq!(
        (all[0].id, all[0].likelihood),
        (Cause::CookieRejected, Likelihood::Medium),
        "{all:#?}"
    );
}

#[test]
fn a_token_that_is_a_word_for_no_value_is_the_headers_fault() {
    // A single-page app that built the header before sign-in finished.
    for t in ["undefined", "null"] {
        let f = Fixture::answered(401)
            .header("www-authenticate", INVALID)
            .bearer_opaque(t);
        let all = top(f);
        assert_eq!(
            (all[0].id, all[0].likelihood),
            (Cause::HeaderMalformed, Likelihood::High),
            "{t}: {all:#?}"
        );
        assert!(
            all[0].summary.contains("variable that held no token"),
            "{all:#?}"
        );
    }
}

#[test]
fn an_api_token_of_its_own_scheme_called_invalid_is_a_wrong_token() {
    // Okta's management API, to an SSWS token it does not know: no
    // challenge, its own words.
    let f = opaque_under(
        Fixture::answered(401).body(r#"{"errorCode":"E0000011","errorSummary":"Invalid token provided","errorLink":"E0000011","errorId":"oae123","errorCauses":[]}"#),
        "SSWS",
        "00abcdefghijklmnopqrstuvwxyz0123456789ABCD",
    );
    let all = top(f);
    assert_eq!(all[0].id, Cause::CredentialsInvalid, "{all:#?}");
    // Not told to send a JWT: that is a Bearer server's reading.
    assert!(
        all.iter().all(|x| x.id != Cause::TokenWrongType),
        "{all:#?}"
    );
}

/// A browser session (a HAR) whose page fetched one identity provider's
/// discovery document: a token refused as invalid without a word of why
/// is the audience's matter where that provider issued it (the page's
/// issuer is most likely the API's), and the issuer's where another did (a
/// token kept from another environment), its keys read or not. Without
/// the session, the issuer is named first, as before.
#[test]
fn the_identity_provider_a_page_signs_in_at_tells_issuer_from_audience() {
    use crate::spec::{RecordedDocument, Session};
    let k = key("k1");
    let page = |issuer: &str| Session {
        documents: vec![RecordedDocument {
            entry: 0,
            url: format!("{issuer}.well-known/openid-configuration"),
            headers: Vec::new(),
            body: json!({"issuer": issuer, "jwks_uri": format!("{issuer}keys")})
                .to_string()
                .into_bytes(),
            at: None,
        }],
        ..Session::default()
    };
    let refused = |session: Option<Session>, jwks: Option<&JwkSet>, iss: &str| {
        let f = Fixture::answered(401).header("www-authenticate", INVALID);
        let now = f.now();
        let f = f
            .bearer_jwt(&jwt(&k, now, json!({"iss": iss})), jwks)
            .with(|o| o.spec.session = session);
        top(f)
    };
    let keys = set(&[&k]);
    let all = refused(None, Some(&keys), ISS);
    assert_eq!(all[0].id, Cause::TokenIssuerMismatch, "{all:#?}");
    let all = refused(Some(page(ISS)), Some(&keys), ISS);
    assert_eq!(
        (all[0].id, all[0].likelihood),
        (Cause::TokenAudienceMismatch, Likelihood::Medium),
        "{all:#?}"
    );
    assert!(all.iter().all(|f| f.id != Cause::TokenIssuerMismatch));
    assert!(
        all[0]
            .evidence
            .iter()
            .any(|e| e.contains("the page signs in at the token's own issuer"))
    );
    // No discovery document, only the page's token request, under the
    // token's issuer: the same.
    let sdk = Session {
        token_request: Some(crate::spec::TokenRequest {
            entry: 3,
            url: format!("{ISS}oauth/token"),
            ..Default::default()
        }),
        ..Session::default()
    };
    let all = refused(Some(sdk), Some(&keys), ISS);
    assert_eq!(
        (all[0].id, all[0].likelihood),
        (Cause::TokenAudienceMismatch, Likelihood::Medium),
        "{all:#?}"
    );
    let staging = "https://staging.example.test/";
    for jwks in [Some(&keys), None] {
        let all = refused(Some(page(ISS)), jwks, staging);
        assert_eq!(
            (all[0].id, all[0].likelihood),
            (Cause::TokenIssuerMismatch, Likelihood::Medium),
            "{all:#?}"
        );
        assert!(
            all[0]
                .evidence
                .iter()
                .any(|e| e
                    .contains("but the token it sent was issued by https://staging.example.test/")),
            "{all:#?}"
        );
    }
}

/// The browser sent the same request with the same credentials again later
/// in the session, and it was answered: the refusal did not repeat
/// (medium; the session is the witness). Not where the token's own checks
/// fail at the server's clock: an expired token explains itself.
#[test]
fn a_refusal_the_session_saw_answered_later_is_transient() {
    use crate::spec::BrowserSaw;
    let k = key("k1");
    let later = |over: Value| {
        let f = Fixture::answered(401).header("www-authenticate", INVALID);
        let now = f.now();
        let f = f
            .bearer_jwt(&jwt(&k, now, over), Some(&set(&[&k])))
            .expect(expect_all())
            .with(|o| {
                o.spec.browser = Some(BrowserSaw {
                    status: 401,
                    at: Some(now - 10),
                    later_success: Some((7, 200, Some(now - 4))),
                    ..BrowserSaw::default()
                })
            });
        top(f)
    };
    let all = later(json!({}));
    assert_eq!(
        (all[0].id, all[0].likelihood),
        (Cause::Transient, Likelihood::Medium),
        "{all:#?}"
    );
    assert!(
        all[0].evidence[0].contains("HAR entry 7, 6 s later"),
        "{all:#?}"
    );
    // Refused again when sent now: another moment than the session's.
    let f = Fixture::answered(401).header("www-authenticate", INVALID);
    let now = f.now();
    let again = top(f
        .bearer_jwt(&jwt(&k, now, json!({})), Some(&set(&[&k])))
        .expect(expect_all())
        .with(|o| {
            o.resend_status = Some(401);
            o.spec.browser = Some(BrowserSaw {
                status: 401,
                later_success: Some((7, 200, None)),
                ..BrowserSaw::default()
            })
        }));
    assert!(again.iter().any(|f| f.id == Cause::Transient), "{again:#?}");
    let now = fixture_now();
    let all = later(json!({"exp": now - 3600, "iat": now - 7200}));
    assert_eq!(all[0].id, Cause::TokenExpired, "{all:#?}");
    assert!(all.iter().all(|f| f.id != Cause::Transient), "{all:#?}");
}

/// The time fixtures are built at.
fn fixture_now() -> i64 {
    Fixture::answered(200).now()
}

/// A browser session whose last token request before the call was a
/// refresh the token endpoint refused: a call without a token, or with an
/// expired one, had no fresh token to send (refresh.failed beside what the
/// call shows). Not where the refresh succeeded, nor for a valid token.
#[test]
fn a_refused_refresh_before_the_call_is_said_beside_it() {
    use crate::spec::{Session, TokenRequest};
    let k = key("k1");
    let session = |status: i64| Session {
        token_request: Some(TokenRequest {
            entry: 4,
            url: format!("{ISS}oauth/token"),
            grant: Some("refresh_token".into()),
            status,
            ..TokenRequest::default()
        }),
        ..Session::default()
    };
    let call = |over: Option<Value>, status: i64| {
        let f = Fixture::answered(401).header("www-authenticate", BEARER);
        let now = f.now();
        let f = match over {
            Some(over) => f.bearer_jwt(&jwt(&k, now, over), Some(&set(&[&k]))),
            None => f,
        };
        top(f
            .expect(expect_all())
            .with(|o| o.spec.session = Some(session(status))))
    };
    let refresh = |all: &[Finding]| all.iter().find(|f| f.id == Cause::RefreshFailed).cloned();
    let now = fixture_now();
    let all = call(Some(json!({"exp": now - 600, "iat": now - 4000})), 400);
    assert_eq!(all[0].id, Cause::TokenExpired, "{all:#?}");
    let f = refresh(&all).expect("refresh.failed");
    assert_eq!(f.likelihood, Likelihood::Medium);
    assert!(
        f.evidence[0].contains("HAR entry 4, grant_type=refresh_token"),
        "{f:#?}"
    );
    let all = call(None, 400);
    assert_eq!(all[0].id, Cause::CredentialsMissing, "{all:#?}");
    assert!(refresh(&all).is_some(), "{all:#?}");
    assert!(refresh(&call(None, 200)).is_none());
    assert!(refresh(&call(Some(json!({})), 400)).is_none());
}

/// A sign-in form's password (a form field, or a JSON member, nested too)
/// refused: credentials.invalid, not a request without credentials. Not a
/// token request's password grant, and not a CSRF refusal.
#[test]
fn a_refused_sign_in_form_is_credentials_invalid() {
    let sign_in = |ct: &str, body: &str| {
        top(Fixture::answered(401)
            .method("POST")
            .request_header("Content-Type", ct)
            .with(|o| o.spec.body = Some(body.as_bytes().to_vec())))
    };
    let form = "application/x-www-form-urlencoded";
    for (ct, body) in [
        (form, "user=alice&password=nope"),
        (form, "user%5Bemail%5D=a&user%5Bpassword%5D=nope"),
        (
            "application/json",
            r#"{"user":{"email":"a","password":"nope"}}"#,
        ),
        ("application/json", r#"{"username":"a","passwd":"nope"}"#),
    ] {
        let all = sign_in(ct, body);
        assert_eq!(
            (all[0].id, all[0].likelihood),
            (Cause::CredentialsInvalid, Likelihood::High),
            "{body}: {all:#?}"
        );
        assert!(all.iter().all(|f| f.id != Cause::CredentialsMissing));
        assert!(!format!("{all:?}").contains("nope"));
    }
    // No password: no credentials. A form that changes a password needs a
    // session besides: not a sign-in.
    let all = sign_in(form, "user=alice&password=");
    assert_eq!(all[0].id, Cause::CredentialsMissing, "{all:#?}");
    let all = sign_in(form, "current_password=a&new_password=b");
    assert!(
        all.iter().all(|f| f.id != Cause::CredentialsInvalid),
        "{all:#?}"
    );
}

/// An expired token sent after the browser session had handed the page a
/// newer one: the evidence names the entry, and the first fix is to send
/// the newest. Not said where the token sent is the newest.
#[test]
fn an_expired_token_sent_after_a_newer_one_was_handed_out_says_so() {
    use crate::spec::Session;
    let k = key("k1");
    let f = Fixture::answered(401).header("www-authenticate", INVALID);
    let now = f.now();
    let old = jwt(&k, now, json!({"exp": now - 600, "iat": now - 4000}));
    let newer = jwt(&k, now, json!({}));
    let expired = |newest: &str| {
        let session = Session {
            issued: vec![
                (
                    "access_token".into(),
                    authdoctor_secret::Token::new(&old),
                    2,
                ),
                (
                    "access_token".into(),
                    authdoctor_secret::Token::new(newest),
                    5,
                ),
            ],
            ..Session::default()
        };
        let f = Fixture::answered(401).header("www-authenticate", INVALID);
        top(f
            .bearer_jwt(&old, Some(&set(&[&k])))
            .with(|o| o.spec.session = Some(session)))
    };
    let all = expired(&newer);
    assert_eq!(all[0].id, Cause::TokenExpired, "{all:#?}");
    assert!(
        all[0]
            .evidence
            .iter()
            .any(|e| e.contains("newer access token (HAR entry 5)")),
        "{all:#?}"
    );
    assert!(
        all[0].fixes[0]
            .action
            .contains("the access token the page got last")
    );
    let all = expired(&old);
    assert!(
        all[0]
            .evidence
            .iter()
            .all(|e| !e.contains("newer access token")),
        "{all:#?}"
    );
}

/// An opaque access token the page asked for without naming the API (its
/// code flow named no audience or resource), refused by a server that
/// reads JWTs only: the audience is the cause (the identity provider's own
/// token), not the token's kind. Without the session, its kind.
#[test]
fn an_opaque_token_a_page_asked_for_without_the_api_is_the_audiences_matter() {
    use crate::spec::{Session, TokenRequest};
    let opaque = "Zk9x2mQ-opaque-access-token-0123456789";
    let refused = |session: Option<Session>| {
        top(Fixture::answered(401)
            .header("www-authenticate", INVALID)
            .body(r#"{"message":"jwt malformed"}"#)
            .bearer_opaque(opaque)
            .with(|o| o.spec.session = session))
    };
    let session = Session {
        issued: vec![(
            "access_token".into(),
            authdoctor_secret::Token::new(opaque),
            3,
        )],
        token_requests: vec![TokenRequest {
            entry: 3,
            url: format!("{ISS}token"),
            grant: Some("authorization_code".into()),
            resource: None,
            resource_known: true,
            ..TokenRequest::default()
        }],
        ..Session::default()
    };
    let all = refused(Some(session));
    assert_eq!(
        (all[0].id, all[0].likelihood),
        (Cause::TokenAudienceMismatch, Likelihood::High),
        "{all:#?}"
    );
    assert!(
        all.iter().all(|f| f.id != Cause::TokenWrongType),
        "{all:#?}"
    );
    let all = refused(None);
    assert_eq!(all[0].id, Cause::TokenWrongType, "{all:#?}");
}

#[test]
fn a_403_that_a_forged_copy_of_the_token_gets_too_is_the_token_checks() {
    // The tutorials' middleware: no token, 401; a token it cannot verify
    // (a forged one, or one for another audience), a bare 403.
    let k = key("k1");
    let f = Fixture::answered(403).body("Forbidden");
    let now = f.now();
    let billing = json!({"aud": "https://billing.example.test"});
    let f = f
        .bearer_jwt(&jwt(&k, now, billing), Some(&set(&[&k])))
        .with(|o| o.bare_status = Some(401));
    // Refused alike: the token's audience, another API's, leads, with the
    // experiment in its evidence; a permission matter only beside it.
    let alike = top(f.clone().with(|o| o.broken_signature_status = Some(403)));
    assert_eq!(alike[0].id, Cause::TokenAudienceMismatch, "{alike:#?}");
    assert!(
        alike[0]
            .evidence
            .iter()
            .any(|e| e.contains("as it refuses a forged one")),
        "{alike:#?}"
    );
    let authz = alike.iter().find(|x| x.id == Cause::AuthzForbidden);
    assert!(
        authz.is_none_or(|a| a.likelihood == Likelihood::Low),
        "{alike:#?}"
    );
    // Told apart (the forged one 401): this token passed the token check,
    // and the 403 is a permission matter.
    let apart = top(f.clone().with(|o| o.broken_signature_status = Some(401)));
    assert_eq!(
        (apart[0].id, apart[0].likelihood),
        (Cause::AuthzForbidden, Likelihood::High),
        "{apart:#?}"
    );
    assert!(
        apart[0]
            .evidence
            .iter()
            .any(|e| e.contains("passed its token check")),
        "{apart:#?}"
    );
    // No experiment: as before, a permission matter.
    assert_eq!(first(f).0, Cause::AuthzForbidden);
    // An opaque token at the same middleware (JWTs only): a changed copy
    // of it refused alike, the wrong kind of token leads.
    let opaque = Fixture::answered(403)
        .body("Forbidden")
        .bearer_opaque("Zn2-yQD4Zb3VPtVccTGzilFq1WPXbP3VcwZ0sgWhQ8m")
        .with(|o| o.bare_status = Some(401));
    let alike = top(opaque
        .clone()
        .with(|o| o.broken_signature_status = Some(403)));
    assert_eq!(alike[0].id, Cause::TokenWrongType, "{alike:#?}");
    assert!(
        alike[0]
            .evidence
            .iter()
            .any(|e| e.contains("a changed copy")),
        "{alike:#?}"
    );
    let authz = alike.iter().find(|x| x.id == Cause::AuthzForbidden);
    assert!(
        authz.is_none_or(|a| a.evidence.iter().any(|e| e.contains("a changed copy"))),
        "{alike:#?}"
    );
    assert_eq!(first(opaque).0, Cause::AuthzForbidden);
}
