//! DPoP proofs (RFC 9449 §4.3), checked as a token endpoint and a resource
//! check them: the proof carries its own public key, which is right here
//! (unlike in an access token): the key is what the token is bound to, by
//! its RFC 7638 thumbprint. Every failure is a sentence that says which
//! check failed.

use crate::{Alg, Jwk, KeyError, SigningKey, Verifier, b64, crypto::sha256, decode};
use serde_json::{Map, Value, json};

/// A DPoP proof of `key` for a request to `htm` `htu`, made at `iat` with
/// `jti` (and, with an access token, its `ath`): what a client sends
/// (RFC 9449 §4.2), and what [`verify_proof`] checks.
pub fn proof(
    key: &SigningKey,
    htm: &str,
    htu: &str,
    access_token: Option<&str>,
    iat: i64,
    jti: &str,
) -> Result<String, KeyError> {
    let mut header = Map::new();
    header.insert("jwk".into(), key.public_jwk().to_json());
    let mut claims = json!({"htm": htm, "htu": htu, "iat": iat, "jti": jti});
    if let Some(at) = access_token {
        claims["ath"] = json!(b64::encode(&sha256(at.as_bytes())));
    }
    key.sign_jwt(Some("dpop+jwt"), &header, &claims)
}

/// A proof that passed.
pub struct Proof {
    /// The thumbprint of the proof's key.
    pub jkt: String,
}

/// Checks a DPoP proof for a request to `htm` `htu` at `now`; with an
/// access token, also its `ath`. `fresh_jti` says whether the proof's
/// `jti` is new (and remembers it): a proof used twice is refused.
pub fn verify_proof(
    proof: &str,
    htm: &str,
    htu: &str,
    access_token: Option<&str>,
    now: i64,
    fresh_jti: impl FnOnce(&str) -> bool,
) -> Result<Proof, String> {
    let d = decode(proof);
    if d.is_malformed() {
        return Err("The DPoP proof is not a well-formed JWT.".into());
    }
    if d.header_param("typ").and_then(Value::as_str) != Some("dpop+jwt") {
        return Err("The DPoP proof's typ must be dpop+jwt.".into());
    }
    let alg = Alg::parse(d.alg().unwrap_or(""));
    if !matches!(
        alg,
        Alg::ES256 | Alg::ES384 | Alg::EdDSA | Alg::Ed25519 | Alg::RS256 | Alg::PS256
    ) {
        return Err(format!(
            "The DPoP proof's alg {alg} is not accepted (ES256, EdDSA, RS256, PS256)."
        ));
    }
    let Some(jwk) = d.header_param("jwk").and_then(Value::as_object) else {
        return Err("The DPoP proof carries no jwk header.".into());
    };
    if jwk.contains_key("d") {
        return Err("The DPoP proof's jwk contains a private key.".into());
    }
    let key = Jwk::from_json(jwk);
    let material = key
        .material
        .clone()
        .map_err(|e| format!("The DPoP proof's jwk is unusable: {e}."))?;
    let verifier = Verifier::new(&alg, &material)
        .map_err(|e| format!("The DPoP proof's jwk does not fit its alg: {e:?}."))?;
    if !verifier.verify(
        d.signing_input.as_bytes(),
        d.signature.as_deref().unwrap_or(&[]),
    ) {
        return Err("The DPoP proof's signature does not verify with its jwk.".into());
    }
    let claim = |n: &str| d.claim(n).and_then(Value::as_str);
    if claim("htm") != Some(htm) {
        return Err(format!(
            "The DPoP proof's htm is {:?}, and the request is {htm}.",
            claim("htm").unwrap_or("")
        ));
    }
    let strip = |u: &str| u.split(['?', '#']).next().unwrap_or("").to_owned();
    if claim("htu").map(strip) != Some(strip(htu)) {
        return Err(format!(
            "The DPoP proof's htu is {:?}, and the request is to {htu}.",
            claim("htu").unwrap_or("")
        ));
    }
    let iat = d
        .claim("iat")
        .and_then(Value::as_i64)
        .ok_or("The DPoP proof has no iat.")?;
    if (iat - now).abs() > 60 {
        return Err(format!(
            "The DPoP proof's iat is {} s from the server's clock; at most 60 s is accepted.",
            (iat - now).abs()
        ));
    }
    if let Some(at) = access_token {
        let want = b64::encode(&sha256(at.as_bytes()));
        if claim("ath") != Some(want.as_str()) {
            return Err("The DPoP proof's ath is not the hash of the access token.".into());
        }
    }
    let jti = claim("jti").ok_or("The DPoP proof has no jti.")?.to_owned();
    if !fresh_jti(&jti) {
        return Err("The DPoP proof was used before (its jti repeats).".into());
    }
    let jkt = key
        .thumbprint()
        .ok_or("The DPoP proof's jwk has no thumbprint.")?;
    Ok(Proof { jkt })
}
