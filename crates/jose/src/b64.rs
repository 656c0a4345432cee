//! base64url as JWS uses it (RFC 7515 §2: no padding), decoded leniently so
//! that the usual mistakes are named rather than just refused.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};

/// What was unusual about a base64url string that still decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quirk {
    /// It carried `=` padding, which JWS omits.
    Padding,
    /// It used `+` or `/`, the standard alphabet, not base64url.
    StandardAlphabet,
}

/// Why a base64url string did not decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Invalid {
    /// Byte offset of the first character that cannot be base64url, or the
    /// length when the string has an impossible length.
    pub at: usize,
}

/// Decodes strict base64url; failing that, padded or standard-alphabet
/// base64, reporting which.
pub fn decode(s: &str) -> Result<(Vec<u8>, Option<Quirk>), Invalid> {
    if let Ok(v) = URL_SAFE_NO_PAD.decode(s) {
        return Ok((v, None));
    }
    let unpadded = s.trim_end_matches('=');
    if unpadded.len() != s.len()
        && let Ok(v) = URL_SAFE_NO_PAD.decode(unpadded)
    {
        return Ok((v, Some(Quirk::Padding)));
    }
    if let Ok(v) = STANDARD_NO_PAD
        .decode(unpadded)
        .or_else(|_| STANDARD.decode(s))
    {
        return Ok((v, Some(Quirk::StandardAlphabet)));
    }
    let at = s
        .bytes()
        .position(|b| !(b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        .unwrap_or(s.len());
    Err(Invalid { at })
}

/// Encodes base64url without padding.
pub fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes strict base64url only (for key material in a JWK).
pub fn decode_strict(s: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(s).ok()
}
