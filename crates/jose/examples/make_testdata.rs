//! Regenerates `testdata/tokens/`: a key set and tokens, each with one
//! named defect, for the CLI tests, the README and the benchmarks.
//!
//! Run from the repository root: `cargo run -p authdoctor-jose --example make_testdata`.
//! Keys are fresh each run; the files are checked in so that tests are
//! repeatable. Every time in them is fixed relative to `T`, which the tests
//! pass as `--at`.

use authdoctor_jose::{Alg, JwkSet, SigningKey};
use serde_json::{Map, Value, json};
use std::fs;

/// The instant the tests judge at: 2026-11-26T17:34:12Z.
const T: i64 = 1_795_714_452;
const ISS: &str = "https://id.example.test/";
const AUD: &str = "https://api.example.test";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::path::Path::new("testdata/tokens");
    fs::create_dir_all(dir)?;
    let rs = SigningKey::generate(&Alg::RS256, "prod-2026-11")?;
    let es = SigningKey::generate(&Alg::ES256, "prod-ec-2026-11")?;
    let retired = SigningKey::generate(&Alg::RS256, "prod-2026-05")?;
    let staging = SigningKey::generate(&Alg::RS256, "prod-2026-11")?;
    let jwks = JwkSet {
        keys: vec![rs.public_jwk(), es.public_jwk()],
    };
    fs::write(
        dir.join("jwks.json"),
        serde_json::to_string_pretty(&jwks.to_json())? + "\n",
    )?;

    let base = |over: Value| -> Value {
        let mut c = json!({
            "iss": ISS, "sub": "user-4711", "aud": AUD, "client_id": "orders-cli",
            "scope": "orders:read orders:write", "iat": T - 300, "exp": T + 600, "jti": "b6f1c0de"
        });
        if let (Some(m), Some(o)) = (c.as_object_mut(), over.as_object()) {
            for (k, v) in o {
                if v.is_null() {
                    m.remove(k);
                } else {
                    m.insert(k.clone(), v.clone());
                }
            }
        }
        c
    };
    let at = Some("at+jwt");
    let none = Map::new();
    let files: Vec<(&str, String)> = vec![
        ("valid.jwt", rs.sign_jwt(at, &none, &base(json!({})))?),
        ("valid-es256.jwt", es.sign_jwt(at, &none, &base(json!({})))?),
        ("expired.jwt", rs.sign_jwt(at, &none, &base(json!({"iat": T - 4440, "exp": T - 840})))?),
        ("not-yet-valid.jwt", rs.sign_jwt(at, &none, &base(json!({"iat": T + 540, "nbf": T + 540, "exp": T + 4140})))?),
        ("wrong-audience.jwt", rs.sign_jwt(at, &none, &base(json!({"aud": "https://billing.example.test"})))?),
        ("wrong-issuer.jwt", rs.sign_jwt(at, &none, &base(json!({"iss": "https://id.staging.example.test/"})))?),
        ("missing-scope.jwt", rs.sign_jwt(at, &none, &base(json!({"scope": "orders:read"})))?),
        ("unknown-kid.jwt", retired.sign_jwt(at, &none, &base(json!({})))?),
        ("bad-signature.jwt", staging.sign_jwt(at, &none, &base(json!({})))?),
        ("id-token.jwt", rs.sign_jwt(Some("JWT"), &none, &base(json!({"aud": "orders-cli", "azp": "orders-cli", "nonce": "n-0S6_WzA2Mj", "auth_time": T - 400, "scope": null, "client_id": null})))?),
    ];
    for (name, token) in &files {
        fs::write(dir.join(name), format!("{token}\n"))?;
    }
    // Unsigned and truncated ones, built by hand.
    let b64 = |v: &Value| authdoctor_jose::b64::encode(v.to_string().as_bytes());
    let alg_none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "at+jwt"})),
        b64(&base(json!({})))
    );
    fs::write(dir.join("alg-none.jwt"), format!("{alg_none}\n"))?;
    let valid = &files[0].1;
    fs::write(
        dir.join("truncated.jwt"),
        format!("{}\n", &valid[..valid.rfind('.').unwrap_or(valid.len())]),
    )?;
    println!("wrote {} files to {}", files.len() + 3, dir.display());
    Ok(())
}
