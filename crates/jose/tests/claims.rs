//! The claim checks: time against a given `now` and leeway, issuer,
//! audience, token type and scope, each with its cause and its numbers.

#![allow(clippy::unwrap_used)]

use authdoctor_causes::Cause;
use authdoctor_jose::{Keys, Policy, Status, b64, check, decode};
use serde_json::{Value, json};

const NOW: i64 = 1_800_000_000;

fn token(header: Value, claims: Value) -> String {
    format!(
        "{}.{}.c2ln",
        b64::encode(header.to_string().as_bytes()),
        b64::encode(claims.to_string().as_bytes())
    )
}

fn at(claims: Value) -> String {
    token(json!({"alg": "RS256", "typ": "at+jwt"}), claims)
}

fn run(t: &str, p: &Policy) -> authdoctor_jose::Report {
    check(&decode(t), p, Keys::default())
}

fn find<'a>(r: &'a authdoctor_jose::Report, name: &str) -> &'a authdoctor_jose::Check {
    r.checks
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no {name} check in {:?}", r.checks))
}

#[test]
fn expiry_with_and_without_leeway() {
    let p = Policy::at(NOW);
    let r = run(&at(json!({"exp": NOW - 14 * 60})), &p);
    let c = find(&r, "exp");
    assert_eq!(
        (c.status, c.cause),
        (Status::Fail, Some(Cause::TokenExpired))
    );
    assert!(c.detail.starts_with("Expired 14 min ago"), "{}", c.detail);
    assert!(c.detail.contains("60 s leeway"));
    // 30 s past exp, within the 60 s leeway: accepted, with a warning.
    let r = run(&at(json!({"exp": NOW - 30})), &p);
    assert_eq!(find(&r, "exp").status, Status::Warn);
    assert!(r.valid);
    // With no leeway the same token fails.
    let strict = Policy {
        leeway: 0,
        ..Policy::at(NOW)
    };
    assert_eq!(
        run(&at(json!({"exp": NOW - 30})), &strict).causes,
        [Cause::TokenExpired]
    );
}

#[test]
fn not_yet_valid_and_issued_in_the_future() {
    let p = Policy::at(NOW);
    let r = run(&at(json!({"exp": NOW + 3600, "nbf": NOW + 9 * 60})), &p);
    assert_eq!(r.causes, [Cause::TokenNotYetValid]);
    assert!(
        find(&r, "nbf").detail.contains("9 min"),
        "{}",
        find(&r, "nbf").detail
    );
    let r = run(&at(json!({"exp": NOW + 3600, "iat": NOW + 600})), &p);
    let iat = find(&r, "iat");
    assert_eq!(
        (iat.status, iat.cause),
        (Status::Warn, Some(Cause::TokenNotYetValid))
    );
}

#[test]
fn missing_exp_and_milliseconds() {
    let r = run(&at(json!({"sub": "a"})), &Policy::at(NOW));
    assert_eq!(find(&r, "exp").status, Status::Warn);
    let r = run(&at(json!({"exp": (NOW + 60) * 1000})), &Policy::at(NOW));
    assert!(find(&r, "exp").detail.contains("milliseconds"));
}

#[test]
fn issuer_exact_and_trailing_slash() {
    let p = Policy {
        issuer: Some("https://id.test/".into()),
        ..Policy::at(NOW)
    };
    let ok = run(&at(json!({"exp": NOW + 60, "iss": "https://id.test/"})), &p);
    assert_eq!(find(&ok, "iss").status, Status::Pass);
    let slash = run(&at(json!({"exp": NOW + 60, "iss": "https://id.test"})), &p);
    assert_eq!(slash.causes, [Cause::TokenIssuerMismatch]);
    assert!(find(&slash, "iss").detail.contains("trailing slash"));
    let staging = run(
        &at(json!({"exp": NOW + 60, "iss": "https://staging.id.test/"})),
        &p,
    );
    assert!(find(&staging, "iss").detail.contains("another tenant"));
}

#[test]
fn another_audience_the_server_accepts_passes_and_a_refusal_names_them_all() {
    let p = Policy {
        audience: Some("api://orders".into()),
        other_audiences: vec!["6f1c0de0-aaaa-4bbb-8ccc-000000000001".into()],
        ..Policy::at(NOW)
    };
    let v2 = run(
        &at(json!({"exp": NOW + 60, "aud": "6f1c0de0-aaaa-4bbb-8ccc-000000000001"})),
        &p,
    );
    assert!(v2.valid);
    assert!(find(&v2, "aud").detail.contains("other audiences"));
    assert!(
        run(
            &at(json!({"exp": NOW + 60, "aud": ["x", "api://orders"]})),
            &p
        )
        .valid
    );
    let other = run(&at(json!({"exp": NOW + 60, "aud": "api://billing"})), &p);
    assert_eq!(other.causes, [Cause::TokenAudienceMismatch]);
    assert!(
        find(&other, "aud")
            .detail
            .contains(r#"one of "api://orders", "6f1c0de0-aaaa-4bbb-8ccc-000000000001""#),
        "{}",
        find(&other, "aud").detail
    );
}

#[test]
fn audience_string_array_and_client_id() {
    let p = Policy {
        audience: Some("https://api.test".into()),
        ..Policy::at(NOW)
    };
    assert!(run(&at(json!({"exp": NOW + 60, "aud": "https://api.test"})), &p).valid);
    assert!(
        run(
            &at(json!({"exp": NOW + 60, "aud": ["other", "https://api.test"]})),
            &p
        )
        .valid
    );
    let r = run(
        &at(json!({"exp": NOW + 60, "aud": "my-spa", "azp": "my-spa", "scope": "x"})),
        &p,
    );
    assert_eq!(r.causes, [Cause::TokenAudienceMismatch]);
    assert!(
        find(&r, "aud").detail.contains("client's own id"),
        "{}",
        find(&r, "aud").detail
    );
}

#[test]
fn an_id_token_used_as_an_access_token() {
    let id_token = token(
        json!({"alg": "RS256", "typ": "JWT"}),
        json!({"exp": NOW + 60, "aud": "my-spa", "nonce": "n-0S6", "auth_time": NOW - 100, "iss": "https://id.test/"}),
    );
    let p = Policy {
        client_id: Some("my-spa".into()),
        ..Policy::at(NOW)
    };
    let r = run(&id_token, &p);
    assert_eq!(r.causes, [Cause::TokenWrongType]);
    assert!(find(&r, "typ").detail.contains("ID token"));
    // Checked against the API's audience too, the ID token ranks first.
    let p = Policy {
        audience: Some("https://api.test".into()),
        ..p
    };
    assert_eq!(
        run(&id_token, &p).causes,
        [Cause::TokenWrongType, Cause::TokenAudienceMismatch]
    );
    // A refresh token that happens to be a JWT (as some issuers mint).
    let rt = token(
        json!({"alg": "HS256", "typ": "Refresh"}),
        json!({"exp": NOW + 60}),
    );
    assert_eq!(run(&rt, &Policy::at(NOW)).causes, [Cause::TokenWrongType]);
}

#[test]
fn typ_at_jwt_advised_or_required() {
    let plain = token(
        json!({"alg": "RS256", "typ": "JWT"}),
        json!({"exp": NOW + 60, "scope": "a"}),
    );
    let r = run(&plain, &Policy::at(NOW));
    assert_eq!(find(&r, "typ").status, Status::Warn);
    assert!(r.valid);
    let strict = Policy {
        require_at_jwt: true,
        ..Policy::at(NOW)
    };
    assert_eq!(run(&plain, &strict).causes, [Cause::TokenWrongType]);
}

#[test]
fn a_token_that_never_expires_is_advised_against_or_refused() {
    let no_exp = at(json!({"scope": "a"}));
    // exp in milliseconds: thousands of years away.
    let millis = at(json!({"exp": (NOW + 60) * 1000, "scope": "a"}));
    let strict = Policy {
        require_exp: true,
        reject_future_iat: false,
        ..Policy::at(NOW)
    };
    for t in [&no_exp, &millis] {
        let advised = run(t, &Policy::at(NOW));
        assert_eq!(find(&advised, "exp").status, Status::Warn);
        assert!(advised.valid);
        let refused = run(t, &strict);
        assert_eq!(find(&refused, "exp").status, Status::Fail);
        assert_eq!(refused.causes, [Cause::TokenMalformed]);
        assert!(!refused.valid);
    }
    // An exp in seconds passes either way.
    let fine = at(json!({"exp": NOW + 60, "scope": "a"}));
    assert!(run(&fine, &strict).valid);
}

#[test]
fn scopes_from_scope_scp_and_permissions() {
    let p = Policy {
        scopes: vec!["orders:write".into()],
        ..Policy::at(NOW)
    };
    let r = run(
        &at(json!({"exp": NOW + 60, "scope": "orders:read profile"})),
        &p,
    );
    assert_eq!(r.causes, [Cause::TokenScopeInsufficient]);
    let d = &find(&r, "scope").detail;
    assert!(
        d.contains("`orders:write`") && d.contains("orders:read profile"),
        "{d}"
    );
    assert!(run(&at(json!({"exp": NOW + 60, "scp": ["orders:write"]})), &p).valid);
    assert!(
        run(
            &at(json!({"exp": NOW + 60, "permissions": ["orders:write"]})),
            &p
        )
        .valid
    );
}

#[test]
fn every_failure_is_reported_not_just_the_first() {
    let p = Policy {
        issuer: Some("https://id.test/".into()),
        audience: Some("api".into()),
        scopes: vec!["admin".into()],
        ..Policy::at(NOW)
    };
    let r = run(
        &at(json!({"exp": NOW - 3600, "iss": "https://other/", "aud": "web", "scope": "read"})),
        &p,
    );
    assert_eq!(
        r.causes,
        // Ranked: the token from the wrong issuer is the root; the rest follow.
        [
            Cause::TokenIssuerMismatch,
            Cause::TokenAudienceMismatch,
            Cause::TokenExpired,
            Cause::TokenScopeInsufficient
        ]
    );
}

#[test]
fn a_token_that_says_what_it_is_in_its_payload_is_taken_at_its_word() {
    // Keycloak's access token: `typ: Bearer` in the payload, `azp` the
    // client, here without `scope` and with `aud` the client: an access
    // token still, not an ID token.
    let kc = |typ: &str| {
        token(
            json!({"alg": "RS256", "typ": "JWT"}),
            json!({"exp": NOW + 60, "aud": "orders-api", "azp": "orders-api", "typ": typ, "iss": "https://kc.test/realms/orders"}),
        )
    };
    let r = run(&kc("Bearer"), &Policy::at(NOW));
    assert!(r.valid, "{:?}", r.checks);
    assert!(!r.causes.contains(&Cause::TokenWrongType));
    // Its ID token and its refresh token say so too.
    for typ in ["ID", "Refresh", "Offline"] {
        assert_eq!(
            run(&kc(typ), &Policy::at(NOW)).causes,
            [Cause::TokenWrongType],
            "{typ}"
        );
    }
    // Cognito's access token: `token_use: access`.
    let cognito = token(
        json!({"alg": "RS256", "typ": "JWT"}),
        json!({"exp": NOW + 60, "client_id": "orders-cli", "aud": "orders-cli", "token_use": "access", "auth_time": NOW - 10}),
    );
    assert!(
        !run(&cognito, &Policy::at(NOW))
            .causes
            .contains(&Cause::TokenWrongType)
    );
}

#[test]
fn a_token_issued_in_the_future_warns_the_doctor_and_fails_a_strict_server() {
    let t = at(json!({"exp": NOW + 3600, "iat": NOW + 600}));
    let r = run(&t, &Policy::at(NOW));
    assert_eq!(find(&r, "iat").status, Status::Warn);
    assert!(r.valid);
    let strict = Policy {
        reject_future_iat: true,
        ..Policy::at(NOW)
    };
    let r = run(&t, &strict);
    assert_eq!(r.causes, [Cause::TokenNotYetValid]);
    // Within the leeway, strict or not, it passes.
    let r = run(&at(json!({"exp": NOW + 3600, "iat": NOW + 30})), &strict);
    assert!(r.valid, "{:?}", r.checks);
}
