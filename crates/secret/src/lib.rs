//! Secrets and their masks.
//!
//! Every token, password, client secret, refresh token and cookie that passes
//! through authdoctor is held in one of the newtypes here. Their `Debug`,
//! `Display` and `Serialize` print the mask, never the value, so a stray
//! `{:?}` in a log line or a panic message cannot leak it; the value is only
//! reachable through [`Token::expose`] and its siblings, which makes each
//! place that needs the clear text easy to find.
//!
//! A mask keeps a short fingerprint, the first six hex digits of the value's
//! SHA-256, so two reports can be compared (`eyJhbGci…(sha256:3f9a1c)`).
//! Only a prefix that carries no secret is shown: the base64 of a JWT's
//! header, or four characters of a long opaque token (where that is a type
//! marker such as `ghp_`); a password shows none.

use std::borrow::Cow;
use std::fmt;

/// The first six hex digits of the SHA-256 of `value`.
pub fn fingerprint(value: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, value);
    digest.as_ref()[..3]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// How many leading characters of a secret a mask may show.
fn safe_prefix_len(value: &str, kind: Kind) -> usize {
    match kind {
        Kind::Password | Kind::ClientSecret | Kind::Cookie => 0,
        Kind::Token | Kind::RefreshToken => {
            if value.starts_with("eyJ") && value.len() > 40 {
                // The base64url of `{"alg":"…`: no secret in it.
                8
            } else if value.len() >= 32 {
                4
            } else {
                0
            }
        }
    }
}

/// What kind of secret a value is; it decides how much of a prefix is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A bearer or access token, an API key, an ID token.
    Token,
    /// A refresh token.
    RefreshToken,
    /// A password.
    Password,
    /// An OAuth client secret, or an HMAC key.
    ClientSecret,
    /// A cookie value.
    Cookie,
}

/// The mask of `value`: a safe prefix, an ellipsis and a fingerprint.
pub fn mask(value: &str, kind: Kind) -> String {
    if value.is_empty() {
        return "(empty)".to_owned();
    }
    let n = safe_prefix_len(value, kind);
    let prefix: String = value.chars().take(n).collect();
    format!("{prefix}…(sha256:{})", fingerprint(value.as_bytes()))
}

/// Masks a token: the common case.
pub fn mask_token(value: &str) -> String {
    mask(value, Kind::Token)
}

/// Replaces every occurrence of each secret in `text` by its mask.
///
/// This is the last line of defence for free text that may quote a secret:
/// a server's error body, a parse error that shows the input. Secrets
/// shorter than four characters are left alone (they would match noise).
pub fn redact<'a>(text: &'a str, secrets: &[(&str, Kind)]) -> Cow<'a, str> {
    let mut out = Cow::Borrowed(text);
    let mut sorted: Vec<&(&str, Kind)> = secrets.iter().filter(|(s, _)| s.len() >= 4).collect();
    // Longest first, so a secret that contains another is masked whole.
    sorted.sort_by_key(|(s, _)| std::cmp::Reverse(s.len()));
    for (secret, kind) in sorted {
        if out.contains(secret) {
            out = Cow::Owned(out.replace(secret, &mask(secret, *kind)));
        }
    }
    out
}

/// Whether a header carries a secret in its value.
pub fn is_secret_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    matches!(
        n.as_str(),
        "authorization" | "proxy-authorization" | "cookie" | "set-cookie" | "dpop"
    ) || n.contains("api-key")
        || n.contains("apikey")
        || n.contains("token")
        || n.contains("secret")
}

/// Whether a query or form parameter carries a secret: the OAuth ones by
/// name, and any whose name speaks of a token, a secret, a password or a key.
/// One list for every place that masks or redacts parameters.
pub fn is_secret_param(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    matches!(
        n.as_str(),
        "key" | "code" | "code_verifier" | "assertion" | "client_assertion" | "sig" | "signature"
    ) || n.contains("token")
        || n.contains("secret")
        || n.contains("password")
        || n.contains("api_key")
        || n.contains("apikey")
}

/// A header value as it may be shown: credential headers masked (the
/// scheme of an Authorization value kept), others as they are.
pub fn mask_header(name: &str, value: &str) -> String {
    if !is_secret_header(name) {
        return value.to_owned();
    }
    let n = name.to_ascii_lowercase();
    if n == "authorization" || n == "proxy-authorization" {
        if let Some((scheme, rest)) = value.split_once(' ') {
            return format!("{scheme} {}", mask(rest.trim_start(), Kind::Token));
        }
    }
    mask(value, Kind::Token)
}

/// Whether output shows secrets in clear (`--show-secrets`) or masked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reveal(pub bool);

impl Reveal {
    /// The value itself when revealing, else its mask.
    pub fn show<'a>(self, value: &'a str, kind: Kind) -> Cow<'a, str> {
        if self.0 {
            Cow::Borrowed(value)
        } else {
            Cow::Owned(mask(value, kind))
        }
    }
}

macro_rules! secret_type {
    ($(#[$doc:meta])* $name:ident, $kind:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            /// Wraps a value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }
            /// The value in clear. Every call is a place a secret leaves its box.
            pub fn expose(&self) -> &str {
                &self.0
            }
            /// The mask of the value.
            pub fn masked(&self) -> String {
                mask(&self.0, $kind)
            }
            /// What kind of secret this is.
            pub const KIND: Kind = $kind;
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.masked())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.masked())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.masked())
            }
        }
    };
}

secret_type!(
    /// An access token, ID token or API key.
    Token,
    Kind::Token
);
secret_type!(
    /// A refresh token.
    RefreshToken,
    Kind::RefreshToken
);
secret_type!(
    /// A password (Basic authentication).
    Password,
    Kind::Password
);
secret_type!(
    /// An OAuth client secret or an HMAC key.
    ClientSecret,
    Kind::ClientSecret
);
secret_type!(
    /// The value of a cookie.
    CookieValue,
    Kind::Cookie
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const JWT: &str =
        "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl";

    #[test]
    fn a_jwt_keeps_its_header_prefix_and_a_fingerprint() {
        let m = mask_token(JWT);
        assert!(m.starts_with("eyJhbGci…(sha256:"), "{m}");
        assert_eq!(m.len(), "eyJhbGci…(sha256:".len() + 7);
        assert!(!m.contains("eyJzdWIi"));
    }

    #[test]
    fn a_password_shows_no_prefix() {
        let m = mask("hunter2hunter2", Kind::Password);
        assert!(m.starts_with("…(sha256:"), "{m}");
    }

    #[test]
    fn debug_display_and_json_are_masked() {
        let t = Token::new(JWT);
        let p = Password::new("correct horse");
        for s in [
            format!("{t:?}"),
            format!("{t}"),
            serde_json::to_string(&t).unwrap(),
            format!("{p:?} {p}"),
        ] {
            assert!(!s.contains(JWT) && !s.contains("correct horse"), "{s}");
            assert!(s.contains("sha256:"), "{s}");
        }
        assert_eq!(t.expose(), JWT);
    }

    #[test]
    fn redact_replaces_every_occurrence_longest_first() {
        let text = format!("bad token {JWT} (again: {JWT}), password s3cret!!");
        let out = redact(&text, &[("s3cret!!", Kind::Password), (JWT, Kind::Token)]);
        assert!(!out.contains(JWT) && !out.contains("s3cret!!"), "{out}");
        assert_eq!(out.matches("sha256:").count(), 3);
    }

    #[test]
    fn same_value_same_fingerprint() {
        assert_eq!(mask_token("abc"), mask_token("abc"));
        assert_ne!(mask_token("abc"), mask_token("abd"));
        assert_eq!(fingerprint(b"abc"), "ba7816"); // SHA-256("abc") = ba7816bf…
    }

    proptest! {
        #[test]
        fn a_mask_never_contains_a_long_secret(s in "[A-Za-z0-9_~+/-]{12,200}") {
            let m = mask(&s, Kind::Token);
            prop_assert!(!m.contains(&s));
        }
    }
}
