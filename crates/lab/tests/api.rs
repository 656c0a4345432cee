//! The protected API over real HTTP: every example command fails for the
//! cause it names, with the status and challenge a correct server gives;
//! the faults switch; the log never holds a secret in clear.

#![allow(clippy::unwrap_used)]

mod common;

use authdoctor_causes::Cause;
use authdoctor_httpauth::challenge;
use common::*;
use serde_json::{Value, json};
use std::process::Command;

/// Runs an example's curl line and returns the last response's status and
/// WWW-Authenticate value.
fn run_curl(line: &str) -> (u16, Option<String>) {
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!("{line} --max-time 10"))
        .output()
        .expect("bash and curl run");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut status = 0;
    let mut challenge = None;
    for l in text.lines() {
        if let Some(rest) = l.strip_prefix("HTTP/") {
            status = rest
                .split(' ')
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            challenge = None;
        } else if let Some(v) = l
            .strip_prefix("www-authenticate: ")
            .or_else(|| l.strip_prefix("WWW-Authenticate: "))
        {
            challenge = Some(v.trim().to_owned());
        }
    }
    (status, challenge)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_example_fails_for_its_cause() {
    let lab = lab().await;
    let examples = lab.info().examples.clone();
    assert!(examples.len() >= 20);
    let mut seen = Vec::new();
    for e in &examples {
        let line = e.curl.clone();
        let (status, ch) = tokio::task::spawn_blocking(move || run_curl(&line))
            .await
            .unwrap();
        let error = ch
            .as_deref()
            .map(challenge::parse)
            .and_then(|p| p.challenges.into_iter().next())
            .and_then(|c| c.param("error").map(str::to_owned));
        let want: (u16, Option<&str>) = match e.cause {
            Cause::CredentialsMissing | Cause::HeaderLostOnRedirect | Cause::SchemeMismatch => {
                (401, None)
            }
            Cause::HeaderMalformed => (400, Some("invalid_request")),
            Cause::TokenScopeInsufficient => (403, Some("insufficient_scope")),
            Cause::AuthzForbidden => (403, None),
            Cause::StepupRequired => (401, Some("insufficient_user_authentication")),
            Cause::TokenBindingRequired => (401, Some("invalid_token")),
            Cause::CredentialsInvalid | Cause::CookieRejected => (401, None),
            Cause::ClientInvalid => (401, None),
            Cause::CorsBlocked => (401, None),
            Cause::RefreshFailed => (400, None),
            _ => (401, Some("invalid_token")),
        };
        assert_eq!(status, want.0, "{}: {}", e.cause, e.curl);
        if want.1.is_some() {
            assert_eq!(error.as_deref(), want.1, "{}: {ch:?}", e.cause);
        }
        if status == 401 {
            assert!(
                ch.is_some(),
                "{}: a 401 must carry a challenge (RFC 9110 §15.5.2)",
                e.cause
            );
        }
        seen.push(e.cause);
    }
    // The log names each cause the server itself can know.
    let log = lab.log().join("\n");
    for c in [
        Cause::TokenExpired,
        Cause::TokenAudienceMismatch,
        Cause::TokenIssuerMismatch,
        Cause::TokenUnknownKey,
        Cause::TokenSignatureInvalid,
        Cause::TokenAlgRejected,
        Cause::TokenMalformed,
        Cause::TokenWrongType,
        Cause::TokenRevoked,
        Cause::AuthzForbidden,
        Cause::StepupRequired,
        Cause::HeaderMalformed,
        Cause::SchemeMismatch,
        Cause::CredentialsInvalid,
        Cause::CookieRejected,
    ] {
        assert!(
            log.contains(&format!("reason={c}")),
            "{c} not in the log:\n{log}"
        );
    }
    lab.shutdown().await;
}

#[tokio::test]
async fn challenges_carry_realm_and_resource_metadata() {
    let lab = lab().await;
    let r = http().get(orders(&lab)).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let ch = challenge::parse(r.headers()["www-authenticate"].to_str().unwrap());
    assert!(ch.problems.is_empty());
    let c = &ch.challenges[0];
    assert!(c.is("Bearer"));
    assert_eq!(c.param("realm"), Some("lab"));
    assert_eq!(
        c.param("error"),
        None,
        "RFC 6750 §3.1: no error code without credentials"
    );
    let meta_url = c.param("resource_metadata").unwrap().to_owned();
    let meta: Value = http()
        .get(&meta_url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(meta["resource"], orders(&lab));
    assert_eq!(meta["authorization_servers"], json!([prod(&lab)]));
    lab.shutdown().await;
}

#[tokio::test]
async fn a_good_token_passes_and_scope_is_403() {
    let lab = lab().await;
    let t = cc_token(&lab, "demo-cli", "orders:read orders:write").await;
    assert_eq!(
        http()
            .get(orders(&lab))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        http()
            .post(orders(&lab))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap()
            .status(),
        201
    );
    let read = cc_token(&lab, "demo-cli", "orders:read").await;
    let r = http()
        .post(orders(&lab))
        .bearer_auth(&read)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let ch = challenge::parse(r.headers()["www-authenticate"].to_str().unwrap());
    assert_eq!(ch.challenges[0].param("scope"), Some("orders:write"));
    // The admin client has the role.
    let admin = cc_token(&lab, "demo-admin", "orders:read").await;
    assert_eq!(
        http()
            .get(format!("{}/admin", lab.info().api))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    lab.shutdown().await;
}

#[tokio::test]
async fn clock_offset_fault_shows_in_date_and_expires_tokens() {
    let lab = lab().await;
    let t = cc_token(&lab, "demo-cli", "orders:read").await;
    let faults = lab.info().faults.clone();
    let r: Value = http()
        .post(&faults)
        .json(&json!({"api_clock_offset": 900}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["api_clock_offset"], 900);
    let resp = http()
        .get(orders(&lab))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let date = httpdate::parse_http_date(resp.headers()["date"].to_str().unwrap()).unwrap();
    let ahead = date
        .duration_since(std::time::SystemTime::now())
        .map(|d| d.as_secs())
        .unwrap_or(0);
    assert!((890..=910).contains(&ahead), "Date is {ahead} s ahead");
    // The skewed listener is 10 minutes fast without any fault.
    http()
        .post(&faults)
        .json(&json!({"api_clock_offset": 0}))
        .send()
        .await
        .unwrap();
    let skewed = http()
        .get(format!("{}/orders", lab.info().api_skewed))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(skewed.status(), 401);
    assert_eq!(
        http()
            .get(orders(&lab))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // Bad fault input is refused.
    assert_eq!(
        http()
            .post(&faults)
            .json(&json!({"trusted_issuer": "nowhere"}))
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
    lab.shutdown().await;
}

#[tokio::test]
async fn trusted_issuer_and_expected_audience_faults() {
    let lab = lab().await;
    let t = cc_token(&lab, "demo-cli", "orders:read").await;
    let faults = lab.info().faults.clone();
    http()
        .post(&faults)
        .json(&json!({"trusted_issuer": "staging"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        http()
            .get(orders(&lab))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert!(
        lab.log()
            .last()
            .unwrap()
            .contains("reason=token.issuer_mismatch"),
        "{:?}",
        lab.log().last()
    );
    http()
        .post(&faults)
        .json(&json!({"trusted_issuer": "prod", "expected_audience": "https://other.example"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        http()
            .get(orders(&lab))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert!(
        lab.log()
            .last()
            .unwrap()
            .contains("reason=token.audience_mismatch")
    );
    http()
        .post(&faults)
        .json(&json!({"expected_audience": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        http()
            .get(orders(&lab))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    lab.shutdown().await;
}

#[tokio::test]
async fn step_up_passes_after_a_stronger_sign_in() {
    let lab = lab().await;
    let url = format!("{}/stepup", lab.info().api);
    let weak = code_flow(&lab, "demo-spa", &[]).await;
    let r = http()
        .get(&url)
        .bearer_auth(weak["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let ch = challenge::parse(r.headers()["www-authenticate"].to_str().unwrap());
    assert_eq!(ch.challenges[0].param("acr_values"), Some("urn:lab:loa:2"));
    let strong = code_flow(&lab, "demo-spa", &[("acr_values", "urn:lab:loa:2")]).await;
    let r = http()
        .get(&url)
        .bearer_auth(strong["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    lab.shutdown().await;
}

#[tokio::test]
async fn basic_and_cookie_sessions() {
    let lab = lab().await;
    let api = lab.info().api.clone();
    let r = http()
        .get(format!("{api}/basic"))
        .basic_auth("alice", Some("wonderland"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = http().get(format!("{api}/basic")).send().await.unwrap();
    assert_eq!(
        r.headers()["www-authenticate"],
        "Basic realm=\"lab\", charset=\"UTF-8\""
    );
    let login = http()
        .post(format!("{api}/login?secure=1"))
        .form(&[("user", "alice"), ("password", "wonderland")])
        .send()
        .await
        .unwrap();
    let cookie = login.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("Path=/app") && cookie.contains("Max-Age=60") && cookie.contains("Secure"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap().to_owned();
    assert_eq!(
        http()
            .get(format!("{api}/app/me"))
            .header("Cookie", &pair)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        http()
            .get(format!("{api}/app/me"))
            .header("Cookie", "lab_session=forged")
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    lab.shutdown().await;
}

#[tokio::test]
async fn the_redirect_goes_to_another_loopback_host() {
    let lab = lab().await;
    let r = http()
        .get(format!("{}/redirect/orders", lab.info().api))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 307);
    let loc = r.headers()["location"].to_str().unwrap();
    assert!(
        loc.starts_with("http://127.0.0.2:") && loc.ends_with("/orders"),
        "{loc}"
    );
    // The other host accepts the token when it is sent there directly.
    let t = cc_token(&lab, "demo-cli", "orders:read").await;
    assert_eq!(
        http()
            .get(loc)
            .bearer_auth(&t)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    lab.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_the_lab_issues_appears_in_its_log() {
    let lab = lab().await;
    let mut secrets: Vec<String> = lab
        .info()
        .clients
        .iter()
        .filter_map(|c| c.client_secret.clone())
        .collect();
    let t = cc_token(&lab, "demo-cli", "orders:read").await;
    let flow = code_flow(&lab, "demo-cli", &[]).await;
    for k in ["access_token", "refresh_token", "id_token"] {
        secrets.push(flow[k].as_str().unwrap().to_owned());
    }
    secrets.push(t.clone());
    // Rejections of every kind, with the tokens in them.
    let s = secret(&lab, "demo-cli");
    http()
        .post(format!("{}/token", prod(&lab)))
        .basic_auth("demo-cli", Some("wrong"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    http()
        .get(orders(&lab))
        .header("Authorization", format!("Bearer  {t}"))
        .send()
        .await
        .unwrap();
    http()
        .post(orders(&lab))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    http()
        .post(format!("{}/revoke", prod(&lab)))
        .basic_auth("demo-cli", Some(&s))
        .form(&[("token", &t)])
        .send()
        .await
        .unwrap();
    http()
        .get(format!("{}/orders/introspected", lab.info().api))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    for e in lab.info().examples.clone() {
        let line = e.curl.clone();
        tokio::task::spawn_blocking(move || run_curl(&line))
            .await
            .unwrap();
    }
    let log = lab.log();
    assert!(log.len() > 20, "{log:?}");
    for line in &log {
        for secret in &secrets {
            assert!(
                !line.contains(secret.as_str()),
                "a secret in the log: {line}"
            );
        }
        // No token's signature part, either.
        for secret in secrets.iter().filter(|s| s.matches('.').count() == 2) {
            let sig = secret.rsplit('.').next().unwrap();
            assert!(!line.contains(sig), "a signature in the log: {line}");
        }
    }
    lab.shutdown().await;
}
