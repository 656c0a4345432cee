//! Lenient decoding of a compact JWS (RFC 7515 §7.1) carrying a JWT: every
//! defect is named, and whatever can still be read is returned.

use crate::b64::{self, Quirk};
use crate::json::{self, NotAnObject};
use authdoctor_causes::Cause;
use serde_json::{Map, Value};
use std::fmt;

/// Above this many bytes a token is not decoded at all.
pub const MAX_TOKEN_BYTES: usize = 256 * 1024;
/// Above this many bytes many servers refuse the header that carries it.
pub const LARGE_TOKEN_BYTES: usize = 8 * 1024;

/// One of the three parts of a compact JWS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// The protected header.
    Header,
    /// The payload (the claims set of a JWT).
    Payload,
    /// The signature.
    Signature,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Part::Header => "header",
            Part::Payload => "payload",
            Part::Signature => "signature",
        })
    }
}

/// A defect found while decoding. `Display` reads as a sentence.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Defect {
    /// Nothing was given.
    #[error("The token is empty.")]
    Empty,
    /// Too large to decode.
    #[error(
        "The token is {len} bytes, more than the {limit} bytes authdoctor decodes; no server accepts a header that large."
    )]
    TooLarge {
        /// Its length.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// Large enough that many servers refuse the header.
    #[error(
        "The token is {len} bytes; many servers and proxies refuse header lines over 8 KiB (nginx answers 400 or 494)."
    )]
    Oversized {
        /// Its length.
        len: usize,
    },
    /// A `Bearer ` prefix was pasted with the token.
    #[error(
        "The input starts with `{0}`: that is the header's scheme, not part of the token (it was skipped)."
    )]
    SchemePrefix(String),
    /// Whitespace or a line break inside the token.
    #[error(
        "Whitespace at byte {at} inside the token: it was broken when copied (a wrapped line?). Remove it."
    )]
    Whitespace {
        /// Where.
        at: usize,
    },
    /// Five parts: a JWE, which is encrypted to its recipient's key.
    #[error(
        "The token has five parts: it is a JWE, encrypted (RFC 7516) to the key of its recipient, its audience; a resource server that expects a signed JWT cannot read it, so it was issued for another audience (Auth0 issues one, for its own userinfo, when the authorization request names no `audience`)."
    )]
    Encrypted,
    /// Not three parts.
    #[error(
        "The token has {found} {parts} separated by dots; a signed JWT has three (header.payload.signature). It was truncated when copied, or it is an opaque token.", parts = if *found == 1 { "part" } else { "parts" }
    )]
    PartCount {
        /// How many parts there are.
        found: usize,
    },
    /// An empty part.
    #[error("The {0} is empty.")]
    EmptyPart(Part),
    /// base64 padding, which JWS omits.
    #[error(
        "The {0} carries `=` padding; JWS uses base64url without padding (RFC 7515 §2). Strict servers reject it."
    )]
    Base64Padding(Part),
    /// Standard base64 alphabet.
    #[error(
        "The {0} uses `+` or `/`: standard base64, not base64url (RFC 7515 §2). Strict servers reject it."
    )]
    Base64StandardAlphabet(Part),
    /// Not base64 at all.
    #[error(
        "The {part} is not base64url (at byte {at} of the token). The token was truncated or altered."
    )]
    Base64Invalid {
        /// Which part.
        part: Part,
        /// Byte offset into the token.
        at: usize,
    },
    /// The JSON does not parse.
    #[error("The {part} is not valid JSON: {message}.")]
    JsonInvalid {
        /// Which part.
        part: Part,
        /// The parser's words.
        message: String,
    },
    /// JSON, but not an object.
    #[error("The {part} is {found}, not a JSON object.")]
    NotAnObject {
        /// Which part.
        part: Part,
        /// What it is.
        found: &'static str,
    },
    /// A member name twice.
    #[error(
        "The {part} names `{name}` twice; RFC 7515 §4 and RFC 8725 §3.14 require rejecting it, since two parsers may read different values."
    )]
    DuplicateMember {
        /// Which part.
        part: Part,
        /// The name.
        name: String,
    },
    /// The header has no `alg`.
    #[error("The header has no `alg`; RFC 7515 §4.1.1 requires it.")]
    MissingAlg,
    /// A header parameter of the wrong JSON type.
    #[error(
        "The header's `{name}` is {found}; RFC 7515 §4.1 requires a string. Servers reject the token{}.",
        kid_remark(.name)
    )]
    HeaderType {
        /// The parameter.
        name: String,
        /// What it is.
        found: &'static str,
    },
    /// A claim of the wrong JSON type.
    #[error(
        "The claim `{name}` is {found}; it must be {expected} (RFC 7519 §4.1). Servers treat it as invalid, and some older libraries silently ignore it."
    )]
    ClaimType {
        /// The claim.
        name: String,
        /// What it must be.
        expected: &'static str,
        /// What it is.
        found: &'static str,
    },
}

impl Defect {
    /// The cause this defect produces, when it makes the token unusable.
    /// `None` for the defects that are only a warning.
    pub fn cause(&self) -> Option<Cause> {
        match self {
            Defect::Oversized { .. } | Defect::SchemePrefix(_) => None,
            Defect::MissingAlg => Some(Cause::TokenAlgRejected),
            // Encrypted to another recipient than the server: its audience
            // is someone else.
            Defect::Encrypted => Some(Cause::TokenAudienceMismatch),
            _ => Some(Cause::TokenMalformed),
        }
    }
}

/// A decoded token: its parts as far as they could be read, and its defects.
/// Its `Debug` shows the header, claims and defects, and only the sizes of
/// the token, the signing input and the signature (together they are the
/// token, a secret).
#[derive(Clone, Default)]
pub struct Decoded {
    /// How many dot-separated parts it has.
    pub parts: usize,
    /// The protected header, when it parsed.
    pub header: Option<Map<String, Value>>,
    /// The claims, when the payload parsed as a JSON object.
    pub claims: Option<Map<String, Value>>,
    /// The signature bytes, when they decoded.
    pub signature: Option<Vec<u8>>,
    /// `BASE64URL(header) . BASE64URL(payload)`, what the signature covers.
    pub signing_input: String,
    /// The token as decoded (any pasted scheme prefix or whitespace removed).
    pub token: String,
    /// Everything wrong, in the order found.
    pub defects: Vec<Defect>,
}

impl std::fmt::Debug for Decoded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decoded")
            .field("parts", &self.parts)
            .field("header", &self.header)
            .field("claims", &self.claims)
            .field("token_bytes", &self.token.len())
            .field("signing_input_bytes", &self.signing_input.len())
            .field("signature_bytes", &self.signature.as_ref().map(Vec::len))
            .field("defects", &self.defects)
            .finish()
    }
}

impl Decoded {
    /// Whether some defect makes the token unusable.
    pub fn is_malformed(&self) -> bool {
        self.defects.iter().any(|d| d.cause().is_some())
    }

    /// Whether the token is exactly canonical compact JWS as sent: no
    /// whitespace inside, and every part strict base64url (no padding, no
    /// standard alphabet, no character outside the alphabet, no stray
    /// trailing bits; RFC 7515 §2). A signature is judged only over such a
    /// token: verifying over a repaired form would accept bytes the signer
    /// never produced.
    pub fn canonical(&self) -> bool {
        !self.defects.iter().any(|d| {
            matches!(
                d,
                Defect::Whitespace { .. }
                    | Defect::Base64Padding(_)
                    | Defect::Base64StandardAlphabet(_)
                    | Defect::Base64Invalid { .. }
            )
        })
    }

    /// The header's `alg`, if it is a string.
    pub fn alg(&self) -> Option<&str> {
        self.header.as_ref()?.get("alg")?.as_str()
    }

    /// The header's `kid`, if it is a string.
    pub fn kid(&self) -> Option<&str> {
        self.header.as_ref()?.get("kid")?.as_str()
    }

    /// A header parameter.
    pub fn header_param(&self, name: &str) -> Option<&Value> {
        self.header.as_ref()?.get(name)
    }

    /// A claim.
    pub fn claim(&self, name: &str) -> Option<&Value> {
        self.claims.as_ref()?.get(name)
    }

    /// The `aud` claim's audiences: a string, or an array of them.
    pub fn audiences(&self) -> Vec<&str> {
        match self.claim("aud") {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }
}

/// Decodes a compact JWS leniently.
pub fn decode(input: &str) -> Decoded {
    let mut d = Decoded::default();
    let mut s = input.trim_matches(|c: char| c.is_ascii_whitespace());
    if s.is_empty() {
        d.defects.push(Defect::Empty);
        return d;
    }
    if s.len() > MAX_TOKEN_BYTES {
        d.defects.push(Defect::TooLarge {
            len: s.len(),
            limit: MAX_TOKEN_BYTES,
        });
        return d;
    }
    for field in ["authorization:", "proxy-authorization:"] {
        if s.len() > field.len()
            && s.is_char_boundary(field.len())
            && s[..field.len()].eq_ignore_ascii_case(field)
        {
            s = s[field.len()..].trim_start();
        }
    }
    for prefix in ["Bearer ", "bearer ", "BEARER ", "DPoP "] {
        if let Some(rest) = s.strip_prefix(prefix) {
            d.defects
                .push(Defect::SchemePrefix(prefix.trim_end().to_owned()));
            s = rest.trim_start();
        }
    }
    if s.len() > LARGE_TOKEN_BYTES {
        d.defects.push(Defect::Oversized { len: s.len() });
    }
    // A token is ASCII: its bytes are searched for whitespace (char's own
    // ASCII set) without decoding characters; other text by characters.
    // A clean token (the common case) is told by one branch-free pass;
    // only one with whitespace is searched for its place.
    let is_space = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r');
    let space = if s.is_ascii() {
        let any = s.bytes().fold(false, |any, b| any | is_space(b));
        if any {
            s.bytes().position(is_space)
        } else {
            None
        }
    } else {
        s.find(char::is_whitespace)
    };
    let token: String = if let Some(at) = space {
        d.defects.push(Defect::Whitespace { at });
        s.chars().filter(|c| !c.is_whitespace()).collect()
    } else {
        s.to_owned()
    };
    d.token = token;
    let pieces: Vec<&str> = d.token.split('.').collect();
    d.parts = pieces.len();
    match pieces.len() {
        3 => {}
        5 => {
            d.defects.push(Defect::Encrypted);
            // The JWE protected header is readable; show it.
            d.header = read_object(pieces[0], 0, Part::Header, &mut d.defects);
            return d;
        }
        n => {
            d.defects.push(Defect::PartCount { found: n });
            // Read what can be read: a truncated token still shows who issued it.
            if n >= 1 && !pieces[0].is_empty() {
                d.header = read_object(pieces[0], 0, Part::Header, &mut d.defects);
            }
            if n >= 2 && !pieces[1].is_empty() {
                d.claims = read_object(
                    pieces[1],
                    pieces[0].len() + 1,
                    Part::Payload,
                    &mut d.defects,
                );
            }
            return d;
        }
    }
    let (h, p, sig) = (pieces[0], pieces[1], pieces[2]);
    // The first two parts and the dot between them, as sent.
    d.signing_input = d.token[..h.len() + 1 + p.len()].to_owned();
    d.header = read_object(h, 0, Part::Header, &mut d.defects);
    d.claims = read_object(p, h.len() + 1, Part::Payload, &mut d.defects);
    if sig.is_empty() {
        d.signature = Some(Vec::new());
    } else {
        match b64::decode(sig) {
            Ok((bytes, quirk)) => {
                note_quirk(quirk, Part::Signature, &mut d.defects);
                d.signature = Some(bytes);
            }
            Err(e) => d.defects.push(Defect::Base64Invalid {
                part: Part::Signature,
                at: h.len() + p.len() + 2 + e.at,
            }),
        }
    }
    if let Some(header) = &d.header {
        if !header.contains_key("alg") {
            d.defects.push(Defect::MissingAlg);
        }
        check_header_types(header, &mut d.defects);
    }
    if let Some(claims) = &d.claims {
        check_claim_types(claims, &mut d.defects);
    }
    d
}

fn note_quirk(q: Option<Quirk>, part: Part, defects: &mut Vec<Defect>) {
    match q {
        Some(Quirk::Padding) => defects.push(Defect::Base64Padding(part)),
        Some(Quirk::StandardAlphabet) => defects.push(Defect::Base64StandardAlphabet(part)),
        None => {}
    }
}

fn read_object(
    s: &str,
    offset: usize,
    part: Part,
    defects: &mut Vec<Defect>,
) -> Option<Map<String, Value>> {
    if s.is_empty() {
        defects.push(Defect::EmptyPart(part));
        return None;
    }
    let bytes = match b64::decode(s) {
        Ok((bytes, quirk)) => {
            note_quirk(quirk, part, defects);
            bytes
        }
        Err(e) => {
            defects.push(Defect::Base64Invalid {
                part,
                at: offset + e.at,
            });
            return None;
        }
    };
    match json::parse_object(&bytes) {
        Ok(obj) => {
            for name in obj.duplicates {
                defects.push(Defect::DuplicateMember { part, name });
            }
            Some(obj.members)
        }
        Err(NotAnObject::NotUtf8) => {
            defects.push(Defect::JsonInvalid {
                part,
                message: "it is not UTF-8 text".to_owned(),
            });
            None
        }
        Err(NotAnObject::OtherJson(found)) => {
            defects.push(Defect::NotAnObject { part, found });
            None
        }
        Err(NotAnObject::Syntax(message)) => {
            defects.push(Defect::JsonInvalid { part, message });
            None
        }
    }
}

/// What a `kid` of another type does at a server, said of `kid` only.
fn kid_remark(name: &str) -> &'static str {
    if name == "kid" {
        " (one that looks its key up by a `kid` of another type finds none)"
    } else {
        ""
    }
}

/// RFC 7515 §4.1: the header parameters that name something by a string
/// (`alg` has its own check). A `kid` of another type (a number, an
/// object such as `{"$ne": null}`) matches no published key by the
/// specification; a server that then tried every key would accept what
/// the others refuse.
fn check_header_types(header: &Map<String, Value>, defects: &mut Vec<Defect>) {
    for name in ["kid", "typ", "cty"] {
        match header.get(name) {
            None | Some(Value::String(_)) => {}
            Some(v) => defects.push(Defect::HeaderType {
                name: name.to_owned(),
                found: json::type_name(v),
            }),
        }
    }
}

/// RFC 7519 §4.1: the registered claims and their types.
fn check_claim_types(claims: &Map<String, Value>, defects: &mut Vec<Defect>) {
    for (name, expected) in [
        ("exp", "a NumericDate (a number of seconds)"),
        ("nbf", "a NumericDate (a number of seconds)"),
        ("iat", "a NumericDate (a number of seconds)"),
        ("iss", "a string"),
        ("sub", "a string"),
        ("jti", "a string"),
        ("aud", "a string or an array of strings"),
    ] {
        let Some(v) = claims.get(name) else { continue };
        let ok = match name {
            "exp" | "nbf" | "iat" => v.is_number(),
            "aud" => v.is_string() || v.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
            _ => v.is_string(),
        };
        if !ok {
            defects.push(Defect::ClaimType {
                name: name.to_owned(),
                expected,
                found: json::type_name(v),
            });
        }
    }
}
