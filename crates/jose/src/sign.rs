//! Minting tokens: a JWS over a claims set, with the header a correct
//! issuer sends (`alg`, `kid`, and `typ: at+jwt` for RFC 9068 access tokens).

use crate::alg::Alg;
use crate::b64;
use crate::crypto::{KeyError, PrivateKey};
use crate::jwk::Jwk;
use serde_json::{Map, Value};

/// A private key with its key id: what an issuer signs with.
#[derive(Debug)]
pub struct SigningKey {
    /// The key id published in the JWKS and sent as `kid`.
    pub kid: String,
    key: PrivateKey,
}

impl SigningKey {
    /// Generates a key for `alg`.
    pub fn generate(alg: &Alg, kid: impl Into<String>) -> Result<SigningKey, KeyError> {
        Ok(SigningKey {
            kid: kid.into(),
            key: PrivateKey::generate(alg)?,
        })
    }

    /// Wraps an existing private key.
    pub fn new(key: PrivateKey, kid: impl Into<String>) -> SigningKey {
        SigningKey {
            kid: kid.into(),
            key,
        }
    }

    /// The algorithm.
    pub fn alg(&self) -> &Alg {
        self.key.alg()
    }

    /// The private key.
    pub fn private_key(&self) -> &PrivateKey {
        &self.key
    }

    /// The public JWK to publish (for HMAC, the secret: never publish that).
    pub fn public_jwk(&self) -> Jwk {
        Jwk::public(
            self.key.public(),
            Some(self.kid.clone()),
            Some(self.key.alg()),
        )
    }

    /// Signs `claims` with a header of `alg`, `kid`, `typ` and any `extra`
    /// header parameters.
    pub fn sign_jwt(
        &self,
        typ: Option<&str>,
        extra: &Map<String, Value>,
        claims: &Value,
    ) -> Result<String, KeyError> {
        let mut header = Map::new();
        header.insert("alg".into(), Value::from(self.key.alg().name()));
        if let Some(t) = typ {
            header.insert("typ".into(), Value::from(t));
        }
        header.insert("kid".into(), Value::from(self.kid.as_str()));
        for (k, v) in extra {
            header.insert(k.clone(), v.clone());
        }
        let h = b64::encode(Value::Object(header).to_string().as_bytes());
        let p = b64::encode(claims.to_string().as_bytes());
        let input = format!("{h}.{p}");
        let sig = self.key.sign(input.as_bytes())?;
        Ok(format!("{input}.{}", b64::encode(&sig)))
    }
}
