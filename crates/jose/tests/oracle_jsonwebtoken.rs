//! The `jsonwebtoken` crate as an oracle: tokens it mints verify with ours,
//! and tokens we mint verify with it, for every algorithm both support (it
//! has no ES512). Our JWKs are read by its JWK parser, which checks their
//! encoding too.

#![allow(clippy::unwrap_used)]

use authdoctor_jose::{Alg, JwkSet, Keys, Policy, PrivateKey, SigningKey, check, decode};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Map, Value, json};

const SHARED: &[u8] = b"an HMAC secret of at least sixty-four bytes for HS512, padded out.";

fn algs() -> Vec<(Alg, Algorithm)> {
    vec![
        (Alg::HS256, Algorithm::HS256),
        (Alg::HS384, Algorithm::HS384),
        (Alg::HS512, Algorithm::HS512),
        (Alg::RS256, Algorithm::RS256),
        (Alg::RS384, Algorithm::RS384),
        (Alg::RS512, Algorithm::RS512),
        (Alg::PS256, Algorithm::PS256),
        (Alg::PS384, Algorithm::PS384),
        (Alg::PS512, Algorithm::PS512),
        (Alg::ES256, Algorithm::ES256),
        (Alg::ES384, Algorithm::ES384),
        (Alg::EdDSA, Algorithm::EdDSA),
    ]
}

fn key(alg: &Alg) -> SigningKey {
    let k = match alg.family() {
        Some(authdoctor_jose::alg::Family::Hmac) => PrivateKey::hmac(alg, SHARED).unwrap(),
        _ => PrivateKey::generate(alg).unwrap(),
    };
    SigningKey::new(k, format!("kid-{alg}"))
}

fn pem(der: &[u8]) -> String {
    use base64::Engine;
    let b = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = b
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        lines.join("\n")
    )
}

fn claims() -> Value {
    json!({"sub": "alice", "exp": 4_000_000_000u64, "scope": "read"})
}

#[test]
fn tokens_minted_by_jsonwebtoken_verify_with_ours() {
    for (ours, theirs) in algs() {
        let k = key(&ours);
        let enc = match ours.family() {
            Some(authdoctor_jose::alg::Family::Hmac) => EncodingKey::from_secret(SHARED),
            Some(authdoctor_jose::alg::Family::Rsa) => {
                EncodingKey::from_rsa_pem(pem(&k.private_key().to_pkcs8().unwrap()).as_bytes())
                    .unwrap()
            }
            Some(authdoctor_jose::alg::Family::Ec) => {
                EncodingKey::from_ec_der(&k.private_key().to_pkcs8().unwrap())
            }
            _ => EncodingKey::from_ed_der(&k.private_key().to_pkcs8().unwrap()),
        };
        let mut header = Header::new(theirs);
        header.kid = Some(k.kid.clone());
        let token = jsonwebtoken::encode(&header, &claims(), &enc)
            .unwrap_or_else(|e| panic!("{ours}: {e}"));
        let set = JwkSet {
            keys: vec![k.public_jwk()],
        };
        let secret =
            matches!(ours.family(), Some(authdoctor_jose::alg::Family::Hmac)).then_some(SHARED);
        let keys = Keys {
            jwks: if secret.is_some() { None } else { Some(&set) },
            secret,
        };
        let r = check(&decode(&token), &Policy::at(1_800_000_000), keys);
        assert!(r.signature_verified, "{ours}: {:#?}", r.checks);
    }
}

#[test]
fn tokens_we_mint_verify_with_jsonwebtoken() {
    for (ours, theirs) in algs() {
        let k = key(&ours);
        let token = k.sign_jwt(Some("at+jwt"), &Map::new(), &claims()).unwrap();
        let dec = match ours.family() {
            Some(authdoctor_jose::alg::Family::Hmac) => DecodingKey::from_secret(SHARED),
            _ => {
                // Through its own JWK parser, from the JSON our JWKS serves.
                let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(k.public_jwk().to_json())
                    .unwrap_or_else(|e| panic!("{ours}: {e}"));
                DecodingKey::from_jwk(&jwk).unwrap_or_else(|e| panic!("{ours}: {e}"))
            }
        };
        let mut v = Validation::new(theirs);
        v.validate_aud = false;
        let data = jsonwebtoken::decode::<Value>(&token, &dec, &v)
            .unwrap_or_else(|e| panic!("{ours}: {e}"));
        assert_eq!(data.claims["sub"], "alice");
        assert_eq!(data.header.kid.as_deref(), Some(k.kid.as_str()));
    }
}

#[test]
fn jsonwebtoken_and_ours_agree_on_forgeries() {
    let k = key(&Alg::RS256);
    let token = k.sign_jwt(None, &Map::new(), &claims()).unwrap();
    let last = if token.ends_with('A') { 'Q' } else { 'A' };
    let forged = format!("{}{last}", &token[..token.len() - 1]);
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(k.public_jwk().to_json()).unwrap();
    let theirs = jsonwebtoken::decode::<Value>(
        &forged,
        &DecodingKey::from_jwk(&jwk).unwrap(),
        &Validation::new(Algorithm::RS256),
    );
    let set = JwkSet {
        keys: vec![k.public_jwk()],
    };
    let ours = check(
        &decode(&forged),
        &Policy::at(1_800_000_000),
        Keys {
            jwks: Some(&set),
            secret: None,
        },
    );
    assert!(theirs.is_err());
    assert!(!ours.signature_verified);
}
