//! Node's `jose` package (panva/jose) as an oracle, for every algorithm
//! including ES512, which the Rust oracle lacks: its tokens verify with
//! ours, and ours with it. `scripts/test` installs it under tests/node.

#![allow(clippy::unwrap_used)]

use authdoctor_jose::{Alg, JwkSet, Keys, Policy, PrivateKey, SigningKey, b64, check, decode};
use serde_json::{Map, Value, json};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

const ALGS: &[&str] = &[
    "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256",
    "ES384", "ES512", "EdDSA",
];

fn node_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/node")
}

/// Sends one request to the oracle, or `None` when the oracle is not
/// installed and the run says that is acceptable.
fn oracle(req: &Value) -> Option<Value> {
    if !node_dir().join("node_modules/jose").exists() {
        assert!(
            std::env::var_os("AUTHDOCTOR_SKIP_NODE").is_some(),
            "tests/node/node_modules is missing: run scripts/test (it installs the oracles), or set AUTHDOCTOR_SKIP_NODE=1 to skip"
        );
        return None;
    }
    let mut child = Command::new("node")
        .arg("jose-oracle.mjs")
        .current_dir(node_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(req.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "the oracle failed on {req}");
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

#[test]
fn tokens_minted_by_node_jose_verify_with_ours() {
    for alg in ALGS {
        let Some(ans) = oracle(
            &json!({"op": "sign", "alg": alg, "claims": {"sub": "alice", "exp": 4_000_000_000u64}}),
        ) else {
            return;
        };
        let token = ans["token"].as_str().unwrap();
        let set = JwkSet::parse(&ans["jwks"].to_string()).unwrap();
        let secret = ans["jwks"]["keys"][0]["k"]
            .as_str()
            .and_then(b64::decode_strict);
        let keys = Keys {
            jwks: if secret.is_some() { None } else { Some(&set) },
            secret: secret.as_deref(),
        };
        let r = check(&decode(token), &Policy::at(1_800_000_000), keys);
        assert!(r.signature_verified, "{alg}: {:#?}", r.checks);
        assert!(r.valid, "{alg}: {:#?}", r.checks);
    }
}

#[test]
fn tokens_we_mint_verify_with_node_jose() {
    for alg in ALGS {
        let a = Alg::parse(alg);
        let key = if alg.starts_with("HS") {
            PrivateKey::hmac(&a, &[7u8; 64]).unwrap()
        } else {
            PrivateKey::generate(&a).unwrap()
        };
        let k = SigningKey::new(key, format!("ours-{alg}"));
        let token = k
            .sign_jwt(
                Some("at+jwt"),
                &Map::new(),
                &json!({"sub": "bob", "exp": 4_000_000_000u64}),
            )
            .unwrap();
        let jwks = JwkSet {
            keys: vec![k.public_jwk()],
        }
        .to_json();
        let Some(ans) = oracle(&json!({"op": "verify", "token": token, "jwks": jwks})) else {
            return;
        };
        assert_eq!(ans["ok"], true, "{alg}: {ans}");
        assert_eq!(ans["payload"]["sub"], "bob");
        // And a forged one fails there too.
        let forged = format!("{}A", &token[..token.rfind('.').unwrap() + 1]);
        let Some(ans) = oracle(&json!({"op": "verify", "token": forged, "jwks": jwks})) else {
            return;
        };
        assert_eq!(ans["ok"], false, "{alg}");
    }
}

#[test]
fn a_kid_that_is_not_a_string_is_refused_by_node_jose_as_by_ours() {
    // The issuer's own good signature; only the header's `kid` is of
    // another type. panva/jose's key set finds no key for it, as ours
    // finds the header malformed: neither tries every key.
    let k = SigningKey::new(PrivateKey::generate(&Alg::RS256).unwrap(), "key-1");
    let jwks = JwkSet {
        keys: vec![k.public_jwk()],
    };
    for kid in [json!(1), json!({"$ne": null})] {
        let mut header = Map::new();
        header.insert("kid".into(), kid.clone());
        let token = k
            .sign_jwt(
                Some("at+jwt"),
                &header,
                &json!({"sub": "bob", "exp": 4_000_000_000u64}),
            )
            .unwrap();
        let Some(ans) = oracle(&json!({"op": "verify", "token": token, "jwks": jwks.to_json()}))
        else {
            return;
        };
        assert_eq!(ans["ok"], false, "node jose took kid {kid}: {ans}");
        let keys = Keys {
            jwks: Some(&jwks),
            secret: None,
        };
        let r = check(&decode(&token), &Policy::at(1_800_000_000), keys);
        assert!(!r.valid, "kid {kid}: {:#?}", r.checks);
    }
}
