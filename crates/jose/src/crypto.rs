//! The one module that touches the crypto library (aws-lc-rs), so the
//! backend can change in one file. Everything here works on raw bytes.

use crate::alg::{Alg, Family};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, ParsedPublicKey, RsaKeyPair,
};
use aws_lc_rs::{hmac, rsa};

/// SHA-256 of `bytes` (JWK thumbprints, DPoP `ath`, PKCE S256).
pub fn sha256(bytes: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes)
        .as_ref()
        .to_vec()
}

/// Compares two byte strings in constant time (client secrets).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(a, b).is_ok()
}

/// Fills `buf` from the system's secure random source.
pub fn fill_random(buf: &mut [u8]) -> Result<(), KeyError> {
    aws_lc_rs::rand::fill(buf).map_err(|_| KeyError::Generation)
}

/// Public key material, as a JWK carries it (already base64url-decoded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PublicMaterial {
    /// RSA modulus and exponent, big-endian.
    Rsa {
        /// Modulus.
        n: Vec<u8>,
        /// Exponent.
        e: Vec<u8>,
    },
    /// An EC point on a named curve.
    Ec {
        /// `P-256`, `P-384` or `P-521`.
        crv: String,
        /// x coordinate.
        x: Vec<u8>,
        /// y coordinate.
        y: Vec<u8>,
    },
    /// An octet key pair (`Ed25519`).
    Okp {
        /// The curve.
        crv: String,
        /// The public key.
        x: Vec<u8>,
    },
    /// A symmetric key.
    Oct {
        /// The secret.
        k: Vec<u8>,
    },
}

impl PublicMaterial {
    /// The key family.
    pub fn family(&self) -> Family {
        match self {
            PublicMaterial::Rsa { .. } => Family::Rsa,
            PublicMaterial::Ec { .. } => Family::Ec,
            PublicMaterial::Okp { .. } => Family::Okp,
            PublicMaterial::Oct { .. } => Family::Hmac,
        }
    }

    /// The key size in bits (RSA modulus, EC curve, HMAC secret).
    pub fn bits(&self) -> usize {
        match self {
            PublicMaterial::Rsa { n, .. } => match strip_zeros(n) {
                [] => 0,
                n => n.len() * 8 - n[0].leading_zeros() as usize,
            },
            PublicMaterial::Ec { crv, .. } => match crv.as_str() {
                "P-256" => 256,
                "P-384" => 384,
                "P-521" => 521,
                _ => 0,
            },
            PublicMaterial::Okp { .. } => 256,
            PublicMaterial::Oct { k } => k.len() * 8,
        }
    }
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let i = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    &b[i..]
}

/// Why a verification could not be made or failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VerifyFailure {
    /// The key cannot be used with the algorithm.
    KeyMismatch(String),
    /// The key material is not a valid key.
    BadKey(String),
    /// The signature does not verify.
    BadSignature,
}

/// A public key parsed once, ready to verify many signatures.
pub struct Verifier {
    inner: VerifierInner,
}

enum VerifierInner {
    Parsed(ParsedPublicKey),
    Hmac(Box<hmac::Key>),
}

impl Verifier {
    /// Parses `key` for `alg`. The algorithm must fit the key; the caller
    /// has chosen the algorithm from its policy, never from the key alone.
    pub fn new(alg: &Alg, key: &PublicMaterial) -> Result<Verifier, VerifyFailure> {
        let mismatch = || {
            VerifyFailure::KeyMismatch(format!(
                "a {} key cannot verify {alg}",
                match key.family() {
                    Family::Hmac => "symmetric (oct)",
                    Family::Rsa => "RSA",
                    Family::Ec => "EC",
                    Family::Okp => "OKP",
                }
            ))
        };
        let bad = |what: &str| VerifyFailure::BadKey(what.to_owned());
        let inner = match (alg, key) {
            (Alg::HS256 | Alg::HS384 | Alg::HS512, PublicMaterial::Oct { k }) => {
                let a = match alg {
                    Alg::HS256 => hmac::HMAC_SHA256,
                    Alg::HS384 => hmac::HMAC_SHA384,
                    _ => hmac::HMAC_SHA512,
                };
                VerifierInner::Hmac(Box::new(hmac::Key::new(a, k)))
            }
            (
                Alg::RS256 | Alg::RS384 | Alg::RS512 | Alg::PS256 | Alg::PS384 | Alg::PS512,
                PublicMaterial::Rsa { n, e },
            ) => {
                let params: &'static signature::RsaParameters = match alg {
                    Alg::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
                    Alg::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
                    Alg::RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
                    Alg::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
                    Alg::PS384 => &signature::RSA_PSS_2048_8192_SHA384,
                    _ => &signature::RSA_PSS_2048_8192_SHA512,
                };
                if key.bits() < 2048 {
                    return Err(bad(&format!(
                        "the RSA key is {} bits; RFC 7518 §3.3 requires 2048 or more",
                        key.bits()
                    )));
                }
                let comps = rsa::PublicKeyComponents {
                    n: strip_zeros(n),
                    e: strip_zeros(e),
                };
                VerifierInner::Parsed(
                    comps
                        .to_parsed_public_key(params)
                        .map_err(|e| bad(&format!("the RSA key is not valid ({e})")))?,
                )
            }
            (Alg::ES256 | Alg::ES384 | Alg::ES512, PublicMaterial::Ec { crv, x, y }) => {
                let (want, a): (&str, &'static signature::EcdsaVerificationAlgorithm) = match alg {
                    Alg::ES256 => ("P-256", &signature::ECDSA_P256_SHA256_FIXED),
                    Alg::ES384 => ("P-384", &signature::ECDSA_P384_SHA384_FIXED),
                    _ => ("P-521", &signature::ECDSA_P521_SHA512_FIXED),
                };
                if crv != want {
                    return Err(VerifyFailure::KeyMismatch(format!(
                        "{alg} needs a {want} key, and the key is on {crv}"
                    )));
                }
                let len = alg.ec_coordinate_len().unwrap_or(32);
                if x.len() != len || y.len() != len {
                    return Err(bad(&format!(
                        "the {crv} coordinates must be {len} bytes each, and are {} and {}",
                        x.len(),
                        y.len()
                    )));
                }
                let mut point = Vec::with_capacity(1 + 2 * len);
                point.push(4);
                point.extend_from_slice(x);
                point.extend_from_slice(y);
                VerifierInner::Parsed(
                    ParsedPublicKey::new(a, point)
                        .map_err(|_| bad(&format!("the point is not on {crv}")))?,
                )
            }
            (Alg::EdDSA | Alg::Ed25519, PublicMaterial::Okp { crv, x }) => {
                if crv != "Ed25519" {
                    return Err(VerifyFailure::KeyMismatch(format!(
                        "only Ed25519 is supported for EdDSA, and the key is {crv}"
                    )));
                }
                VerifierInner::Parsed(
                    ParsedPublicKey::new(&signature::ED25519, x.clone())
                        .map_err(|_| bad("the Ed25519 key is not valid"))?,
                )
            }
            _ => return Err(mismatch()),
        };
        Ok(Verifier { inner })
    }

    /// Verifies `sig` over `msg`; HMAC is compared in constant time.
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        match &self.inner {
            VerifierInner::Parsed(k) => k.verify_sig(msg, sig).is_ok(),
            VerifierInner::Hmac(k) => hmac::verify(k, msg, sig).is_ok(),
        }
    }
}

/// Why a key could not be made.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The algorithm cannot sign.
    #[error(
        "{0} cannot be used to sign: choose one of HS256…HS512, RS256…RS512, PS256…PS512, ES256…ES512, EdDSA."
    )]
    Unsupported(String),
    /// The key does not parse or does not fit the algorithm.
    #[error("The private key is not a valid {alg} key ({why}).")]
    Rejected {
        /// The algorithm.
        alg: String,
        /// The library's words.
        why: String,
    },
    /// Key generation failed.
    #[error("The system's random source or key generation failed.")]
    Generation,
}

/// A private key that signs with one algorithm.
pub struct PrivateKey {
    alg: Alg,
    inner: PrivateInner,
}

enum PrivateInner {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
    Hmac(Box<hmac::Key>, Vec<u8>),
}

fn ec_signing(alg: &Alg) -> Option<&'static signature::EcdsaSigningAlgorithm> {
    match alg {
        Alg::ES256 => Some(&signature::ECDSA_P256_SHA256_FIXED_SIGNING),
        Alg::ES384 => Some(&signature::ECDSA_P384_SHA384_FIXED_SIGNING),
        Alg::ES512 => Some(&signature::ECDSA_P521_SHA512_FIXED_SIGNING),
        _ => None,
    }
}

fn hmac_alg(alg: &Alg) -> Option<hmac::Algorithm> {
    match alg {
        Alg::HS256 => Some(hmac::HMAC_SHA256),
        Alg::HS384 => Some(hmac::HMAC_SHA384),
        Alg::HS512 => Some(hmac::HMAC_SHA512),
        _ => None,
    }
}

impl PrivateKey {
    /// Generates a new key: RSA 2048 bits, the algorithm's curve, or a
    /// random HMAC secret as long as the hash.
    pub fn generate(alg: &Alg) -> Result<PrivateKey, KeyError> {
        let inner = match alg.family() {
            Some(Family::Rsa) => PrivateInner::Rsa(
                RsaKeyPair::generate(rsa::KeySize::Rsa2048).map_err(|_| KeyError::Generation)?,
            ),
            Some(Family::Ec) => {
                let a = ec_signing(alg).ok_or_else(|| KeyError::Unsupported(alg.to_string()))?;
                PrivateInner::Ec(EcdsaKeyPair::generate(a).map_err(|_| KeyError::Generation)?)
            }
            Some(Family::Okp) => {
                PrivateInner::Ed(Ed25519KeyPair::generate().map_err(|_| KeyError::Generation)?)
            }
            Some(Family::Hmac) => {
                let mut secret = vec![0u8; alg.hash_len()];
                aws_lc_rs::rand::fill(&mut secret).map_err(|_| KeyError::Generation)?;
                return PrivateKey::hmac(alg, &secret);
            }
            None => return Err(KeyError::Unsupported(alg.to_string())),
        };
        Ok(PrivateKey {
            alg: alg.clone(),
            inner,
        })
    }

    /// An HMAC key from a shared secret.
    pub fn hmac(alg: &Alg, secret: &[u8]) -> Result<PrivateKey, KeyError> {
        let a = hmac_alg(alg).ok_or_else(|| KeyError::Unsupported(alg.to_string()))?;
        Ok(PrivateKey {
            alg: alg.clone(),
            inner: PrivateInner::Hmac(Box::new(hmac::Key::new(a, secret)), secret.to_vec()),
        })
    }

    /// A key from its PKCS#8 DER encoding.
    pub fn from_pkcs8(alg: &Alg, der: &[u8]) -> Result<PrivateKey, KeyError> {
        let rejected = |why: String| KeyError::Rejected {
            alg: alg.to_string(),
            why,
        };
        let inner = match alg.family() {
            Some(Family::Rsa) => {
                PrivateInner::Rsa(RsaKeyPair::from_pkcs8(der).map_err(|e| rejected(e.to_string()))?)
            }
            Some(Family::Ec) => {
                let a = ec_signing(alg).ok_or_else(|| KeyError::Unsupported(alg.to_string()))?;
                PrivateInner::Ec(
                    EcdsaKeyPair::from_pkcs8(a, der).map_err(|e| rejected(e.to_string()))?,
                )
            }
            Some(Family::Okp) => PrivateInner::Ed(
                Ed25519KeyPair::from_pkcs8(der).map_err(|e| rejected(e.to_string()))?,
            ),
            _ => return Err(KeyError::Unsupported(alg.to_string())),
        };
        Ok(PrivateKey {
            alg: alg.clone(),
            inner,
        })
    }

    /// The PKCS#8 DER encoding (`None` for an HMAC secret).
    pub fn to_pkcs8(&self) -> Option<Vec<u8>> {
        match &self.inner {
            PrivateInner::Rsa(k) => k.as_der().ok().map(|d| d.as_ref().to_vec()),
            PrivateInner::Ec(k) => k.to_pkcs8v1().ok().map(|d| d.as_ref().to_vec()),
            PrivateInner::Ed(k) => k.to_pkcs8v1().ok().map(|d| d.as_ref().to_vec()),
            PrivateInner::Hmac(..) => None,
        }
    }

    /// The algorithm this key signs with.
    pub fn alg(&self) -> &Alg {
        &self.alg
    }

    /// The public half.
    pub fn public(&self) -> PublicMaterial {
        match &self.inner {
            PrivateInner::Rsa(k) => {
                let c = rsa::PublicKeyComponents::<Vec<u8>>::from(k.public_key());
                PublicMaterial::Rsa { n: c.n, e: c.e }
            }
            PrivateInner::Ec(k) => {
                let p = k.public_key().as_ref();
                let len = (p.len() - 1) / 2;
                PublicMaterial::Ec {
                    crv: self.alg.curve().unwrap_or("P-256").to_owned(),
                    x: p[1..1 + len].to_vec(),
                    y: p[1 + len..].to_vec(),
                }
            }
            PrivateInner::Ed(k) => PublicMaterial::Okp {
                crv: "Ed25519".to_owned(),
                x: k.public_key().as_ref().to_vec(),
            },
            PrivateInner::Hmac(_, secret) => PublicMaterial::Oct { k: secret.clone() },
        }
    }

    /// Signs `msg`, returning the JWS signature bytes.
    pub fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, KeyError> {
        let rng = SystemRandom::new();
        Ok(match &self.inner {
            PrivateInner::Rsa(k) => {
                let enc: &'static dyn signature::RsaEncoding = match self.alg {
                    Alg::RS256 => &signature::RSA_PKCS1_SHA256,
                    Alg::RS384 => &signature::RSA_PKCS1_SHA384,
                    Alg::RS512 => &signature::RSA_PKCS1_SHA512,
                    Alg::PS256 => &signature::RSA_PSS_SHA256,
                    Alg::PS384 => &signature::RSA_PSS_SHA384,
                    _ => &signature::RSA_PSS_SHA512,
                };
                let mut sig = vec![0u8; k.public_modulus_len()];
                k.sign(enc, &rng, msg, &mut sig)
                    .map_err(|_| KeyError::Generation)?;
                sig
            }
            PrivateInner::Ec(k) => k
                .sign(&rng, msg)
                .map_err(|_| KeyError::Generation)?
                .as_ref()
                .to_vec(),
            PrivateInner::Ed(k) => k.sign(msg).as_ref().to_vec(),
            PrivateInner::Hmac(k, _) => hmac::sign(k, msg).as_ref().to_vec(),
        })
    }
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PrivateKey({}, private part not shown)", self.alg)
    }
}
