//! JWS algorithms (RFC 7518 §3, RFC 8037, RFC 9864).

use std::fmt;

/// A JWS `alg` value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Alg {
    HS256,
    HS384,
    HS512,
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    ES256,
    ES384,
    ES512,
    /// RFC 8037: EdDSA, the curve given by the key (Ed25519 here).
    EdDSA,
    /// RFC 9864: the fully specified name for EdDSA with Ed25519.
    Ed25519,
    /// `none` in any letter case, as sent: an unsecured JWS.
    None(String),
    /// Anything else, as sent.
    Other(String),
}

/// The family of key an algorithm needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// A shared secret (`kty: oct`).
    Hmac,
    /// RSA, PKCS#1 v1.5 or PSS.
    Rsa,
    /// ECDSA on a named curve.
    Ec,
    /// EdDSA (`kty: OKP`).
    Okp,
}

impl Alg {
    /// Every algorithm that can be verified and signed here.
    pub const SUPPORTED: &'static [Alg] = &[
        Alg::HS256,
        Alg::HS384,
        Alg::HS512,
        Alg::RS256,
        Alg::RS384,
        Alg::RS512,
        Alg::PS256,
        Alg::PS384,
        Alg::PS512,
        Alg::ES256,
        Alg::ES384,
        Alg::ES512,
        Alg::EdDSA,
        Alg::Ed25519,
    ];

    /// Reads an `alg` value. Values are case-sensitive (RFC 7515 §4.1.1),
    /// except that `none` is recognised in any case, since the attack that
    /// sends `nOnE` counts on a case-insensitive check somewhere.
    pub fn parse(s: &str) -> Alg {
        match s {
            "HS256" => Alg::HS256,
            "HS384" => Alg::HS384,
            "HS512" => Alg::HS512,
            "RS256" => Alg::RS256,
            "RS384" => Alg::RS384,
            "RS512" => Alg::RS512,
            "PS256" => Alg::PS256,
            "PS384" => Alg::PS384,
            "PS512" => Alg::PS512,
            "ES256" => Alg::ES256,
            "ES384" => Alg::ES384,
            "ES512" => Alg::ES512,
            "EdDSA" => Alg::EdDSA,
            "Ed25519" => Alg::Ed25519,
            s if s.eq_ignore_ascii_case("none") => Alg::None(s.to_owned()),
            s => Alg::Other(s.to_owned()),
        }
    }

    /// The name as written in a header.
    pub fn name(&self) -> &str {
        match self {
            Alg::HS256 => "HS256",
            Alg::HS384 => "HS384",
            Alg::HS512 => "HS512",
            Alg::RS256 => "RS256",
            Alg::RS384 => "RS384",
            Alg::RS512 => "RS512",
            Alg::PS256 => "PS256",
            Alg::PS384 => "PS384",
            Alg::PS512 => "PS512",
            Alg::ES256 => "ES256",
            Alg::ES384 => "ES384",
            Alg::ES512 => "ES512",
            Alg::EdDSA => "EdDSA",
            Alg::Ed25519 => "Ed25519",
            Alg::None(s) | Alg::Other(s) => s,
        }
    }

    /// The key family, for the algorithms that have one.
    pub fn family(&self) -> Option<Family> {
        Some(match self {
            Alg::HS256 | Alg::HS384 | Alg::HS512 => Family::Hmac,
            Alg::RS256 | Alg::RS384 | Alg::RS512 | Alg::PS256 | Alg::PS384 | Alg::PS512 => {
                Family::Rsa
            }
            Alg::ES256 | Alg::ES384 | Alg::ES512 => Family::Ec,
            Alg::EdDSA | Alg::Ed25519 => Family::Okp,
            Alg::None(_) | Alg::Other(_) => return None,
        })
    }

    /// For ECDSA, the curve (`crv`) the key must be on.
    pub fn curve(&self) -> Option<&'static str> {
        match self {
            Alg::ES256 => Some("P-256"),
            Alg::ES384 => Some("P-384"),
            Alg::ES512 => Some("P-521"),
            Alg::EdDSA | Alg::Ed25519 => Some("Ed25519"),
            _ => None,
        }
    }

    /// The size in bytes of one ECDSA coordinate (r or s) for this algorithm.
    pub fn ec_coordinate_len(&self) -> Option<usize> {
        match self {
            Alg::ES256 => Some(32),
            Alg::ES384 => Some(48),
            Alg::ES512 => Some(66),
            _ => None,
        }
    }

    /// The hash output size in bytes (the least HMAC key size, RFC 7518 §3.2).
    pub fn hash_len(&self) -> usize {
        match self {
            Alg::HS384 | Alg::RS384 | Alg::PS384 | Alg::ES384 => 48,
            Alg::HS512 | Alg::RS512 | Alg::PS512 | Alg::ES512 => 64,
            _ => 32,
        }
    }
}

impl fmt::Display for Alg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
