//! Code nobody here wrote, against the lab: openid-client (discovery,
//! client credentials over basic and post, the code flow with PKCE and
//! ID-token validation, refresh with rotation, introspection, revocation),
//! jose (remote JWKS verification) and Auth0's express-oauth2-jwt-bearer
//! (accepts the lab's tokens, rejects each faulty example). The script is
//! tests/node/lab-interop.mjs; scripts/test installs its packages.

#![allow(clippy::unwrap_used)]

mod common;

use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn node_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/node")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn third_party_clients_and_middleware_accept_the_lab() {
    if !node_dir().join("node_modules/openid-client").exists() {
        assert!(
            std::env::var_os("AUTHDOCTOR_SKIP_NODE").is_some(),
            "tests/node/node_modules is missing: run scripts/test (it installs the oracles), or set AUTHDOCTOR_SKIP_NODE=1 to skip"
        );
        return;
    }
    let lab = common::lab().await;
    let info = serde_json::to_string(lab.info()).unwrap();
    let out = tokio::task::spawn_blocking(move || {
        let mut child = Command::new("node")
            .arg("lab-interop.mjs")
            .current_dir(node_dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("node runs");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(info.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    assert!(out.status.success());
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    for step in [
        "discovery",
        "client_credentials_post",
        "client_credentials_basic",
        "wrong_secret",
        "authorization_code_pkce",
        "refresh",
        "introspection_and_revocation",
        "jose_remote_jwks",
        "express_oauth2_jwt_bearer",
    ] {
        assert_eq!(r[step]["ok"], true, "{step}: {}", r[step]);
    }
    assert_eq!(r["discovery"]["issuer"], lab.info().issuers["prod"]);
    assert_eq!(r["client_credentials_post"]["scope"], "orders:read");
    assert_eq!(r["wrong_secret"]["rejected"], true);
    assert_eq!(r["wrong_secret"]["error"], "invalid_client");
    assert_eq!(r["authorization_code_pkce"]["sub"], "alice");
    assert_eq!(r["authorization_code_pkce"]["has_refresh"], true);
    assert_eq!(r["refresh"]["rotated"], true);
    assert_eq!(r["refresh"]["reuse"], "invalid_grant");
    assert_eq!(r["introspection_and_revocation"]["before"], true);
    assert_eq!(r["introspection_and_revocation"]["after"], false);
    assert_eq!(r["jose_remote_jwks"]["typ"], "at+jwt");
    let api = &r["express_oauth2_jwt_bearer"]["results"];
    assert_eq!(api["good"]["status"], 200);
    assert_eq!(api["missing"]["status"], 401);
    for cause in [
        "token.expired",
        "token.audience_mismatch",
        "token.issuer_mismatch",
        "token.unknown_key",
        "token.signature_invalid",
        "token.alg_rejected",
        "token.malformed",
        "token.wrong_type",
    ] {
        assert_eq!(api[cause]["status"], 401, "{cause}: {}", api[cause]);
        assert!(
            api[cause]["challenge"]
                .as_str()
                .unwrap()
                .contains("invalid_token"),
            "{cause}"
        );
    }
    assert_eq!(api["header.malformed"]["status"], 400);
    lab.shutdown().await;
}
