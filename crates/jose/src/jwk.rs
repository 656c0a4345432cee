//! JSON Web Keys and key sets (RFC 7517), read leniently: a key that cannot
//! be used is kept with the reason, so a report can say "the JWKS has the
//! `kid`, but that key is for encryption".

use crate::alg::{Alg, Family};
use crate::b64;
use crate::crypto::PublicMaterial;
use serde_json::{Map, Value, json};

/// One key from a JWK set.
#[derive(Clone, Debug)]
pub struct Jwk {
    /// `kty`.
    pub kty: String,
    /// `kid`.
    pub kid: Option<String>,
    /// `alg`, when the key is restricted to one algorithm.
    pub alg: Option<String>,
    /// `use` (`sig` or `enc`).
    pub use_: Option<String>,
    /// `key_ops`.
    pub key_ops: Option<Vec<String>>,
    /// The key material, or why it cannot be read.
    pub material: Result<PublicMaterial, String>,
    /// Verifiers already parsed from the material, by algorithm: a server
    /// checks many tokens against one key set, and parsing an RSA key costs
    /// as much as a verification.
    pub verifiers: Verifiers,
}

/// One parsed verifier, by the name of its algorithm.
type ParsedFor = (String, std::sync::Arc<crate::crypto::Verifier>);

/// The verifiers parsed from one key, by algorithm name; shared by clones.
#[derive(Clone, Default)]
pub struct Verifiers(std::sync::Arc<std::sync::Mutex<Vec<ParsedFor>>>);

impl std::fmt::Debug for Verifiers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Verifiers(..)")
    }
}

impl Verifiers {
    /// The verifier for `alg`, parsed once.
    pub fn get_or_parse(
        &self,
        alg: &crate::Alg,
        material: &PublicMaterial,
    ) -> Result<std::sync::Arc<crate::crypto::Verifier>, crate::crypto::VerifyFailure> {
        let mut cache = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, v)) = cache.iter().find(|(n, _)| n == alg.name()) {
            return Ok(v.clone());
        }
        let v = std::sync::Arc::new(crate::crypto::Verifier::new(alg, material)?);
        cache.push((alg.name().to_owned(), v.clone()));
        Ok(v)
    }
}

impl Jwk {
    /// Reads one JWK object.
    pub fn from_json(obj: &Map<String, Value>) -> Jwk {
        let s = |n: &str| obj.get(n).and_then(Value::as_str).map(str::to_owned);
        let kty = s("kty").unwrap_or_default();
        let field = |n: &str| -> Result<Vec<u8>, String> {
            let v = obj
                .get(n)
                .and_then(Value::as_str)
                .ok_or_else(|| format!("the {kty} key has no `{n}`"))?;
            b64::decode_strict(v).ok_or_else(|| format!("`{n}` is not base64url"))
        };
        let material = match kty.as_str() {
            "RSA" => field("n").and_then(|n| Ok(PublicMaterial::Rsa { n, e: field("e")? })),
            "EC" => s("crv")
                .ok_or_else(|| "the EC key has no `crv`".to_owned())
                .and_then(|crv| {
                    Ok(PublicMaterial::Ec {
                        crv,
                        x: field("x")?,
                        y: field("y")?,
                    })
                }),
            "OKP" => s("crv")
                .ok_or_else(|| "the OKP key has no `crv`".to_owned())
                .and_then(|crv| {
                    Ok(PublicMaterial::Okp {
                        crv,
                        x: field("x")?,
                    })
                }),
            "oct" => field("k").map(|k| PublicMaterial::Oct { k }),
            "" => Err("the key has no `kty`".to_owned()),
            other => Err(format!(
                "`kty` {other:?} is not a key type authdoctor knows"
            )),
        };
        Jwk {
            kty,
            kid: s("kid"),
            alg: s("alg"),
            use_: s("use"),
            key_ops: obj.get("key_ops").and_then(Value::as_array).map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            }),
            material,
            verifiers: Verifiers::default(),
        }
    }

    /// A public JWK for `material`, as a JWKS endpoint publishes it.
    pub fn public(material: PublicMaterial, kid: Option<String>, alg: Option<&Alg>) -> Jwk {
        Jwk {
            kty: match material.family() {
                Family::Rsa => "RSA",
                Family::Ec => "EC",
                Family::Okp => "OKP",
                Family::Hmac => "oct",
            }
            .to_owned(),
            kid,
            alg: alg.map(|a| a.name().to_owned()),
            use_: Some("sig".to_owned()),
            key_ops: None,
            material: Ok(material),
            verifiers: Verifiers::default(),
        }
    }

    /// The JWK as JSON. Symmetric keys include `k`: only call this for a
    /// key set the caller means to keep private.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("kty".into(), json!(self.kty));
        if let Some(k) = &self.kid {
            m.insert("kid".into(), json!(k));
        }
        if let Some(u) = &self.use_ {
            m.insert("use".into(), json!(u));
        }
        if let Some(a) = &self.alg {
            m.insert("alg".into(), json!(a));
        }
        match &self.material {
            Ok(PublicMaterial::Rsa { n, e }) => {
                m.insert("n".into(), json!(b64::encode(n)));
                m.insert("e".into(), json!(b64::encode(e)));
            }
            Ok(PublicMaterial::Ec { crv, x, y }) => {
                m.insert("crv".into(), json!(crv));
                m.insert("x".into(), json!(b64::encode(x)));
                m.insert("y".into(), json!(b64::encode(y)));
            }
            Ok(PublicMaterial::Okp { crv, x }) => {
                m.insert("crv".into(), json!(crv));
                m.insert("x".into(), json!(b64::encode(x)));
            }
            Ok(PublicMaterial::Oct { k }) => {
                m.insert("k".into(), json!(b64::encode(k)));
            }
            Err(_) => {}
        }
        Value::Object(m)
    }

    /// The RFC 7638 thumbprint: base64url(SHA-256) of the required members
    /// in lexicographic order, no whitespace. `None` for a key that did not
    /// parse.
    pub fn thumbprint(&self) -> Option<String> {
        let m = self.material.as_ref().ok()?;
        let canonical = match m {
            PublicMaterial::Rsa { n, e } => format!(
                r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
                b64::encode(e),
                b64::encode(n)
            ),
            PublicMaterial::Ec { crv, x, y } => format!(
                r#"{{"crv":"{crv}","kty":"EC","x":"{}","y":"{}"}}"#,
                b64::encode(x),
                b64::encode(y)
            ),
            PublicMaterial::Okp { crv, x } => {
                format!(r#"{{"crv":"{crv}","kty":"OKP","x":"{}"}}"#, b64::encode(x))
            }
            PublicMaterial::Oct { k } => format!(r#"{{"k":"{}","kty":"oct"}}"#, b64::encode(k)),
        };
        Some(b64::encode(&crate::crypto::sha256(canonical.as_bytes())))
    }

    /// A short description: `kid=abc RSA 2048-bit RS256`.
    pub fn describe(&self) -> String {
        let mut s = format!("kid={}", self.kid.as_deref().unwrap_or("(none)"));
        s.push(' ');
        s.push_str(&self.kty);
        if let Ok(m) = &self.material {
            match m {
                PublicMaterial::Ec { crv, .. } | PublicMaterial::Okp { crv, .. } => {
                    s.push(' ');
                    s.push_str(crv);
                }
                _ => s.push_str(&format!(" {}-bit", m.bits())),
            }
        }
        if let Some(a) = &self.alg {
            s.push(' ');
            s.push_str(a);
        }
        s
    }

    /// Why this key may not verify `alg`, if it may not: the wrong family
    /// or curve, an `alg` of its own, `use: enc`, `key_ops` without verify.
    pub fn unusable_for(&self, alg: &Alg) -> Option<String> {
        let m = match &self.material {
            Ok(m) => m,
            Err(e) => return Some(e.clone()),
        };
        if Some(m.family()) != alg.family() {
            return Some(format!(
                "it is a {} key and the token is signed with {alg}",
                self.kty
            ));
        }
        if let (Some(want), PublicMaterial::Ec { crv, .. } | PublicMaterial::Okp { crv, .. }) =
            (alg.curve(), m)
            && crv != want
        {
            return Some(format!("it is on {crv} and {alg} needs {want}"));
        }
        if let Some(a) = &self.alg
            && a != alg.name()
            && !(matches!(alg, Alg::EdDSA | Alg::Ed25519)
                && matches!(a.as_str(), "EdDSA" | "Ed25519"))
        {
            return Some(format!("the key is for {a} only, and the token says {alg}"));
        }
        if self.use_.as_deref().is_some_and(|u| u != "sig") {
            return Some(format!(
                "the key's use is {:?}, not \"sig\"",
                self.use_.as_deref().unwrap_or("")
            ));
        }
        if let Some(ops) = &self.key_ops
            && !ops.iter().any(|o| o == "verify")
        {
            return Some("the key's key_ops do not include \"verify\"".to_owned());
        }
        None
    }
}

/// A JWK set.
#[derive(Clone, Debug, Default)]
pub struct JwkSet {
    /// The keys, in order.
    pub keys: Vec<Jwk>,
}

/// Why a document is not a JWK set.
#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    /// Not JSON.
    #[error("The key set is not JSON ({0}).")]
    NotJson(String),
    /// JSON, but neither a JWK set nor a single JWK.
    #[error(
        "The document is JSON but neither a JWK set (`{{\"keys\": [...]}}`) nor a JWK (an object with `kty`)."
    )]
    NotAKeySet,
}

impl JwkSet {
    /// Reads a JWK set, or a single JWK as a set of one.
    pub fn parse(text: &str) -> Result<JwkSet, JwksError> {
        let v: Value = serde_json::from_str(text).map_err(|e| JwksError::NotJson(e.to_string()))?;
        let obj = v.as_object().ok_or(JwksError::NotAKeySet)?;
        if let Some(keys) = obj.get("keys").and_then(Value::as_array) {
            Ok(JwkSet {
                keys: keys
                    .iter()
                    .map(|k| match k.as_object() {
                        Some(o) => Jwk::from_json(o),
                        None => Jwk {
                            kty: String::new(),
                            kid: None,
                            alg: None,
                            use_: None,
                            key_ops: None,
                            material: Err("the entry is not a JSON object".to_owned()),
                            verifiers: Verifiers::default(),
                        },
                    })
                    .collect(),
            })
        } else if obj.contains_key("kty") {
            Ok(JwkSet {
                keys: vec![Jwk::from_json(obj)],
            })
        } else {
            Err(JwksError::NotAKeySet)
        }
    }

    /// The set as JSON.
    pub fn to_json(&self) -> Value {
        json!({ "keys": self.keys.iter().map(Jwk::to_json).collect::<Vec<_>>() })
    }

    /// Whether the set holds a key for a public-key algorithm.
    pub fn has_public_keys(&self) -> bool {
        self.keys
            .iter()
            .any(|k| matches!(&k.material, Ok(m) if m.family() != Family::Hmac))
    }
}
