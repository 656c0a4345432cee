//! The whole token check of a request (`authorize`: the header read, the
//! token decoded, every claim checked, the signature verified) beside the
//! signature verification alone, on the same token and key: what the guard
//! does besides the signature, per request, in process (no network).
//!
//! Prints one line per algorithm:
//! `ALG authorize_ns verify_ns overhead_ns overhead/verify`.
//! Run: `cargo bench -p authdoctor-guard --bench authorize`.

use authdoctor_guard::{Requirements, authorize};
use authdoctor_jose::{Alg, JwkSet, SigningKey, Verifier};
use http::{HeaderMap, HeaderValue, header};
use serde_json::{Map, json};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// The median of five rounds of about 0.5 s, in ns per call.
fn time(mut f: impl FnMut()) -> f64 {
    let mut per = Vec::new();
    for _ in 0..5 {
        let (mut n, start) = (0u64, Instant::now());
        while start.elapsed() < Duration::from_millis(500) {
            for _ in 0..32 {
                f();
            }
            n += 32;
        }
        per.push(start.elapsed().as_nanos() as f64 / n as f64);
    }
    per.sort_by(f64::total_cmp);
    per[2]
}

fn main() {
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let now = 1_795_714_200;
    for alg in [Alg::RS256, Alg::ES256] {
        if !only.is_empty() && !only.iter().any(|o| o == alg.name()) {
            continue;
        }
        let key = SigningKey::generate(&alg, "k1").expect("a key");
        let jwks = JwkSet::parse(&json!({"keys": [key.public_jwk().to_json()]}).to_string())
            .expect("a key set");
        let claims = json!({
            "iss": "https://id.example.test/", "sub": "user-4711",
            "aud": "https://api.example.test", "client_id": "orders-cli",
            "scope": "orders:read orders:write", "iat": now - 60, "exp": now + 840,
            "jti": "b6f1c0de"
        });
        let token = key
            .sign_jwt(Some("at+jwt"), &Map::new(), &claims)
            .expect("a token");
        let mut headers = HeaderMap::new();
        let value = HeaderValue::from_str(&format!("Bearer {token}")).expect("a header");
        headers.insert(header::AUTHORIZATION, value);
        let req = Requirements {
            realm: "api".into(),
            issuer: "https://id.example.test/".into(),
            audience: "https://api.example.test".into(),
            other_audiences: Vec::new(),
            scopes: vec!["orders:read".into()],
            leeway: 60,
            algorithms: vec![alg.clone()],
            require_at_jwt: true,
            require_exp: true,
            resource_metadata: Some(
                "https://api.example.test/.well-known/oauth-protected-resource".into(),
            ),
        };
        assert!(
            authorize(&headers, &req, &jwks, now).is_ok(),
            "{alg} token refused"
        );
        let (input, sig) = token.rsplit_once('.').expect("three parts");
        let sig = authdoctor_jose::b64::decode_strict(sig).expect("base64url");
        let verifier = Verifier::new(&alg, &key.private_key().public()).expect("a verifier");
        let whole = time(|| {
            black_box(authorize(black_box(&headers), &req, &jwks, now).is_ok());
        });
        let bare = time(|| {
            black_box(verifier.verify(black_box(input.as_bytes()), black_box(&sig)));
        });
        println!(
            "{} {whole:.0} {bare:.0} {:.0} {:.2}",
            alg.name(),
            whole - bare,
            (whole - bare) / bare
        );
    }
}
