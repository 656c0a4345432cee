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

/// The type markers that open well-known API keys and tokens, some of
/// which are sent as Basic's user name (Stripe's `sk_live_…:`).
const KEY_MARKERS: &[&str] = &[
    "sk_live_",
    "sk_test_",
    "rk_live_",
    "rk_test_",
    "whsec_",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "xoxb-",
    "xoxp-",
    "xoxa-",
    "xoxr-",
    "xoxe-",
    "sk-",
    "hvs.",
    "hvb.",
    "SG.",
    "key-",
    "shpat_",
    "shpss_",
    "npm_",
    "pypi-",
    "dop_v1_",
    "glc_",
    "AIza",
];

/// Whether a user name is a credential: an API key sent as Basic's user
/// (Stripe, Chargebee, Freshdesk and others take the key there, the
/// password empty), known by its type marker or by its shape (20 or more
/// letters, digits, `_` and `-`, both letters and digits, no `@`).
pub fn user_is_secret(user: &str) -> bool {
    if KEY_MARKERS
        .iter()
        .any(|m| user.starts_with(m) && user.len() > m.len() + 3)
    {
        return true;
    }
    // AWS access key ids: AKIA/ASIA and 16 more.
    if (user.starts_with("AKIA") || user.starts_with("ASIA")) && user.len() == 20 {
        return true;
    }
    user.len() >= 20
        && user
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && user.bytes().any(|b| b.is_ascii_digit())
        && user.bytes().any(|b| b.is_ascii_alphabetic())
}

/// A Basic user name as it may be shown: itself, or its mask where it is
/// a credential ([`user_is_secret`]).
pub fn shown_user(user: &str) -> Cow<'_, str> {
    if user_is_secret(user) {
        Cow::Owned(mask(user, Kind::Token))
    } else {
        Cow::Borrowed(user)
    }
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

/// Whether a header carries a secret in its value: the standard credential
/// headers, and any whose name speaks of a key, a token, a secret, a
/// password, a session, a signature or authorization. Challenges
/// (`WWW-Authenticate`) and CORS headers name schemes, not secrets.
pub fn is_secret_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    if matches!(
        n.as_str(),
        "www-authenticate" | "proxy-authenticate" | "authentication-info"
    ) || n.starts_with("access-control-")
    {
        return false;
    }
    matches!(
        n.as_str(),
        "authorization"
            | "proxy-authorization"
            | "authentication"
            | "cookie"
            | "cookie2"
            | "set-cookie"
            | "set-cookie2"
            | "dpop"
    ) || n.starts_with("x-auth")
        || [
            "authorization",
            "api-key",
            "apikey",
            "api_key",
            "access-key",
            "access_key",
            "auth-key",
            "token",
            "secret",
            "passw",
            "pwd",
            "session",
            "jwt",
            "signature",
            "credential",
        ]
        .iter()
        .any(|w| n.contains(w))
}

/// Whether a form field, query parameter or JSON member is a password by
/// its name (`password`, `user[password]`, `passwd`, `pwd`, `pass`,
/// `passphrase`): what a sign-in form sends. One list for masking them
/// ([`is_secret_param`]) and for telling a sign-in apart.
pub fn is_password_param(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["passw", "passphrase", "pwd"].iter().any(|w| n.contains(w)) || n == "pass"
}

/// Whether a query or form parameter (or a JSON member) carries a secret:
/// the OAuth ones by name, and any whose name speaks of a token, a secret,
/// a password, a key, a session or a one-time code. One list for every
/// place that masks or redacts parameters.
pub fn is_secret_param(name: &str) -> bool {
    if is_password_param(name) {
        return true;
    }
    let n = name.to_ascii_lowercase();
    matches!(
        n.as_str(),
        "key"
            | "code"
            | "code_verifier"
            | "assertion"
            | "client_assertion"
            | "sig"
            | "signature"
            | "jwt"
            | "auth"
            | "authorization"
            | "bearer"
            | "session"
            | "sessionid"
            | "sid"
            | "pin"
            | "otp"
            | "totp"
            | "credential"
            | "credentials"
            | "private_key"
            | "x-api-key"
    ) || [
        "token",
        "secret",
        "api_key",
        "apikey",
        "api-key",
        "access_key",
        "session",
        "credential",
        "jwt",
    ]
    .iter()
    .any(|w| n.contains(w))
}

/// Whether a text is already a mask (so a second pass leaves it alone), or
/// an ellipsis that stands for a value (`AUTHDOCTOR_CLIENT_SECRET=…` in a
/// command the doctor suggests), which masked would read as a secret.
fn is_mask(v: &str) -> bool {
    v.contains("…(sha256:") || matches!(v, "(empty)" | "…" | "...")
}

fn is_b64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// Text made safe to print on a terminal: a control character (C0 but line
/// feed and tab, DEL, C1) and a character that reorders what follows it
/// (the bidirectional overrides and isolates) is written as its escape,
/// `\x1b`, `\u{202e}`, so a log line or a server's body cannot move the
/// cursor, retitle the window, hide the text after it or reverse it. The
/// escape sequences in `keep` (the program's own colours) stay where they
/// begin at an ESC.
pub fn printable<'a, K: AsRef<str>>(text: &'a str, keep: &[K]) -> Cow<'a, str> {
    let unsafe_char = |c: char| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '\u{1b}' {
            if let Some(k) = keep
                .iter()
                .map(AsRef::as_ref)
                .find(|k| !k.is_empty() && rest.starts_with(*k))
            {
                out.push_str(k);
                rest = &rest[k.len()..];
                continue;
            }
        }
        if unsafe_char(c) {
            if (c as u32) < 0x100 {
                out.push_str(&format!("\\x{:02x}", c as u32));
            } else {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
        } else {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    Cow::Owned(out)
}

/// Masks what looks like a credential wherever it stands in free text, by
/// its shape and its position: JWTs (`eyJ…` with two dots), the password of
/// a URL's userinfo (`https://user:pw@host`), the values of JSON members and
/// of `name=value` pairs whose names carry secrets (`"access_token": "…"`,
/// `password=…`), and what follows `Bearer `/`Basic `. The last line of
/// defence for text nobody registered a secret for: a server's body, an
/// error message, a URL.
pub fn scrub(text: &str) -> Cow<'_, str> {
    let mut out: Option<String> = None;
    for pass in [mask_jwts, mask_userinfo, mask_named_values, mask_auth_words] {
        let current = out.as_deref().unwrap_or(text);
        if let Cow::Owned(s) = pass(current) {
            out = Some(s);
        }
    }
    match out {
        Some(s) => Cow::Owned(s),
        None => Cow::Borrowed(text),
    }
}

/// Replaces byte ranges of `text` by the mask of what they hold.
fn replace_ranges<'a>(text: &'a str, ranges: &[(usize, usize, Kind)]) -> Cow<'a, str> {
    if ranges.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut s = String::with_capacity(text.len());
    let mut at = 0;
    for &(a, b, kind) in ranges {
        s.push_str(&text[at..a]);
        s.push_str(&mask(&text[a..b], kind));
        at = b;
    }
    s.push_str(&text[at..]);
    Cow::Owned(s)
}

fn mask_jwts(text: &str) -> Cow<'_, str> {
    let b = text.as_bytes();
    let mut ranges = Vec::new();
    let mut i = 0;
    while let Some(off) = text[i..].find("eyJ") {
        let start = i + off;
        if start > 0 && is_b64url(b[start - 1]) {
            i = start + 3;
            continue;
        }
        let mut j = start;
        let mut dots = 0;
        while j < b.len() && (is_b64url(b[j]) || (b[j] == b'.' && dots < 4)) {
            if b[j] == b'.' {
                dots += 1;
            }
            j += 1;
        }
        if dots >= 1 && j - start >= 16 {
            ranges.push((start, j, Kind::Token));
        }
        i = j.max(start + 3);
    }
    replace_ranges(text, &ranges)
}

fn mask_userinfo(text: &str) -> Cow<'_, str> {
    let b = text.as_bytes();
    let mut ranges = Vec::new();
    let mut i = 0;
    while let Some(off) = text[i..].find("://") {
        let auth_start = i + off + 3;
        let mut j = auth_start;
        while j < b.len()
            && !matches!(b[j], b'/' | b'?' | b'#' | b'"' | b'\'' | b'<' | b'>' | b'`')
            && !b[j].is_ascii_whitespace()
        {
            j += 1;
        }
        let authority = &text[auth_start..j];
        if let Some(at) = authority.rfind('@') {
            let info = &authority[..at];
            if let Some(colon) = info.find(':') {
                let (a, z) = (auth_start + colon + 1, auth_start + at);
                if z > a && !is_mask(&text[a..z]) {
                    ranges.push((a, z, Kind::Password));
                }
            }
        }
        i = j.max(auth_start);
    }
    replace_ranges(text, &ranges)
}

/// Whether a word standing after `Bearer ` is a credential, not a word of a
/// sentence ("Bearer authentication"): digits, mixed case or symbols, or
/// long.
fn looks_like_credential(v: &str) -> bool {
    let digit = v.bytes().any(|c| c.is_ascii_digit());
    let mixed =
        v.bytes().any(|c| c.is_ascii_uppercase()) && v.bytes().any(|c| c.is_ascii_lowercase());
    let symbol = v.bytes().any(|c| !c.is_ascii_alphanumeric());
    (v.len() >= 6 && digit) || (v.len() >= 12 && (mixed || symbol)) || v.len() >= 24
}

/// Values of secret-named members that name a kind of token or grant, not
/// a secret (`"grant_type": "refresh_token"`, `"token_type": "Bearer"`).
fn is_vocabulary(v: &str) -> bool {
    let l = v.to_ascii_lowercase();
    matches!(
        l.as_str(),
        "refresh_token"
            | "access_token"
            | "id_token"
            | "client_credentials"
            | "authorization_code"
            | "password"
            | "bearer"
            | "dpop"
            | "n_a"
            | "mac"
            | "true"
            | "false"
            | "null"
    ) || l.starts_with("urn:")
        || l.starts_with("refresh_token (")
        || l.starts_with("client_credentials (")
}

/// Names that carry a secret in OAuth (`code`, `key`) but an error code or a
/// label in many servers' JSON (`"code": "token_not_valid"`).
fn ambiguous(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "code" | "key" | "sig" | "auth" | "session" | "credential" | "credentials"
    )
}

/// An error code or label rather than a secret: letters and underscores
/// or dashes only, no digit.
fn is_label(v: &str) -> bool {
    !v.is_empty()
        && v.bytes()
            .all(|c| c.is_ascii_alphabetic() || c == b'_' || c == b'-' || c == b'.' || c == b' ')
}

/// `"name": "value"` and `name=value` where the name carries a secret.
fn mask_named_values(text: &str) -> Cow<'_, str> {
    let b = text.as_bytes();
    let mut ranges: Vec<(usize, usize, Kind)> = Vec::new();
    let name_char = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'.';
    let mut i = 0;
    while i < b.len() {
        // A name: a run of name characters, maybe in quotes.
        if !name_char(b[i]) || (i > 0 && name_char(b[i - 1])) {
            i += 1;
            continue;
        }
        let quoted = i > 0 && b[i - 1] == b'"';
        let mut j = i;
        while j < b.len() && name_char(b[j]) {
            j += 1;
        }
        let name = &text[i..j];
        let mut k = j;
        if quoted {
            // `"name": "value"`, or the same escaped inside a JSON string
            // (`\"name\": \"value\"`, a body quoted in our own JSON).
            let esc = i >= 2 && b[i - 2] == b'\\';
            let quote: &[u8] = if esc { b"\\\"" } else { b"\"" };
            let at = |k: usize, q: &[u8]| b.len() >= k + q.len() && &b[k..k + q.len()] == q;
            if !at(k, quote) {
                i = j;
                continue;
            }
            k += quote.len();
            while k < b.len() && b[k] == b' ' {
                k += 1;
            }
            if k >= b.len() || b[k] != b':' {
                i = j;
                continue;
            }
            k += 1;
            while k < b.len() && b[k].is_ascii_whitespace() {
                k += 1;
            }
            if !at(k, quote) {
                i = j;
                continue;
            }
            // The string's value, up to its closing quote.
            let start = k + quote.len();
            let mut e = start;
            while e < b.len() && !at(e, quote) {
                if !esc && b[e] == b'\\' {
                    e += 1;
                }
                e += 1;
            }
            let e = e.min(b.len());
            if is_secret_param(name)
                && e > start
                && !is_mask(&text[start..e])
                && !is_vocabulary(&text[start..e])
                && !(ambiguous(name) && is_label(&text[start..e]))
            {
                ranges.push((start, e, Kind::Token));
                i = e;
            } else {
                // Not a secret: its value may hold members that are.
                i = j;
            }
        } else {
            if k >= b.len() || b[k] != b'=' || !is_secret_param(name) {
                i = j;
                continue;
            }
            let start = k + 1;
            let mut e = start;
            while e < b.len()
                && !matches!(b[e], b'&' | b'"' | b'\'' | b';' | b',' | b'<' | b')' | b'`')
                && !b[e].is_ascii_whitespace()
            {
                e += 1;
            }
            let label = ambiguous(name) && is_label(&text[start..e]);
            if e > start && !is_mask(&text[start..e]) && !is_vocabulary(&text[start..e]) && !label {
                ranges.push((start, e, Kind::Token));
            }
            i = e;
        }
    }
    // A JSON value may hold `a=b`: keep the outermost ranges only.
    ranges.sort_by_key(|r| r.0);
    let mut kept: Vec<(usize, usize, Kind)> = Vec::new();
    for r in ranges {
        if kept.last().is_none_or(|l| r.0 >= l.1) {
            kept.push(r);
        }
    }
    // Never cut inside a character.
    kept.retain(|r| text.is_char_boundary(r.0) && text.is_char_boundary(r.1));
    replace_ranges(text, &kept)
}

/// What follows `Bearer ` or `Basic ` (any case) in free text.
fn mask_auth_words(text: &str) -> Cow<'_, str> {
    let lower = text.to_ascii_lowercase();
    let b = text.as_bytes();
    let mut ranges = Vec::new();
    for word in ["bearer ", "basic ", "dpop "] {
        let mut i = 0;
        while let Some(off) = lower[i..].find(word) {
            let at = i + off;
            let start = at + word.len();
            i = start;
            if at > 0 && b[at - 1].is_ascii_alphanumeric() {
                continue;
            }
            let mut e = start;
            while e < b.len()
                && (is_b64url(b[e]) || matches!(b[e], b'.' | b'~' | b'+' | b'/' | b'='))
            {
                e += 1;
            }
            let v = &text[start..e];
            if looks_like_credential(v) && !text[e..].starts_with('…') {
                ranges.push((start, e, Kind::Token));
            }
        }
    }
    ranges.sort_by_key(|r| r.0);
    ranges.dedup_by_key(|r| r.0);
    replace_ranges(text, &ranges)
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

/// A list of headers as it may be shown (for `Debug` impls and logs):
/// each value through [`mask_header`].
pub fn mask_headers(headers: &[(String, String)]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(n, v)| (n.clone(), mask_header(n, v)))
        .collect()
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

    #[test]
    fn a_user_name_that_is_a_key_is_told_from_a_persons() {
        for key in [
            "sk_live_51H8abcdEFGH",
            "AKIAIOSFODNN7EXAMPLE",
            "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
            "a1b2c3d4e5f6a7b8c9d0e1f2",
        ] {
            assert!(user_is_secret(key), "{key}");
            assert!(!shown_user(key).contains(&key[6..]), "{key}");
        }
        for person in [
            "alice",
            "svc-orders",
            "alice@example.com",
            "elastic",
            "sk-",
            "Administrator",
        ] {
            assert!(!user_is_secret(person), "{person}");
            assert_eq!(shown_user(person), person);
        }
    }

    #[test]
    fn printable_text_moves_no_cursor_and_keeps_the_programs_colours() {
        assert!(matches!(
            printable("plain\ttext\n", &[] as &[&str]),
            Cow::Borrowed(_)
        ));
        let hostile = "a\u{1b}]0;pwned\u{7}b\u{1b}[8mhidden\u{9b}c\u{202e}dcba\r";
        let out = printable(hostile, &[] as &[&str]);
        assert!(!out.chars().any(|c| c.is_control()), "{out:?}");
        assert_eq!(
            out,
            "a\\x1b]0;pwned\\x07b\\x1b[8mhidden\\x9bc\\u{202e}dcba\\x0d"
        );
        // The program's own colours stay; the same bytes elsewhere in a
        // hostile string would stay too, and colour it, no more.
        let ours = "\u{1b}[1mbold\u{1b}[0m \u{1b}[2J";
        assert_eq!(
            printable(ours, &["\u{1b}[1m", "\u{1b}[0m"]),
            "\u{1b}[1mbold\u{1b}[0m \\x1b[2J"
        );
    }

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

    #[test]
    fn scrub_masks_by_shape_and_by_position() {
        let marker = "MarkerSecret-1234567890";
        let cases = [
            format!("GET http://alice:{marker}@api.test/x failed"),
            format!(r#"{{"access_token": "{marker}", "token_type": "Bearer"}}"#),
            format!(r#"{{"refresh_token":"{marker}"}}"#),
            format!(r#""body": "{{\"client_secret\":\"{marker}\",\"x\":1}}""#),
            format!("password={marker}&user=alice"),
            format!("user=alice&passphrase={marker}"),
            format!(r#"{{"user":{{"passphrase":"{marker}"}}}}"#),
            format!("GET /orders?jwt={marker} HTTP/1.1"),
            format!("pwd={marker}; passwd={marker}; pin={marker}; otp={marker}"),
            format!("echo: Authorization: Bearer {marker}"),
            format!("bad token {JWT}\" here"),
            format!("http://api.test/{JWT}/x is not a URL"),
        ];
        for c in &cases {
            let out = scrub(c);
            assert!(!out.contains(marker) && !out.contains(JWT), "{c} -> {out}");
            assert!(out.contains("sha256:"), "{out}");
            // A second pass changes nothing.
            assert_eq!(scrub(&out), out, "{out}");
        }
    }

    #[test]
    fn scrub_leaves_the_vocabulary_and_sentences_alone() {
        for t in [
            r#"{"grant_type": "refresh_token", "token_type": "Bearer"}"#,
            "Send a Bearer authentication header; Bearer realm=\"api\", error=\"invalid_token\"",
            "scope=orders:read error=invalid_token",
            r#"{"code": "JWK_NOT_FOUND", "detail": "x", "code2": 1}"#,
            r#"{"code":"token_not_valid"}"#,
            "https://api.test/orders?page=2",
            // An ellipsis stands for the value in a command to run.
            "Run: AUTHDOCTOR_CLIENT_SECRET=… authdoctor diagnose --issuer https://idp.test",
            "client_secret=... (the client's)",
        ] {
            assert_eq!(scrub(t), t);
        }
    }

    #[test]
    fn names_that_carry_secrets() {
        for h in [
            "X-Auth-Key",
            "X-Password",
            "Authentication",
            "X-Session",
            "X-Access-Key",
            "X-JWT",
            "X-Signature",
            "X-Forwarded-Authorization",
            "Cookie2",
            "X-Api-Key",
        ] {
            assert!(is_secret_header(h), "{h}");
        }
        for h in [
            "WWW-Authenticate",
            "Access-Control-Allow-Headers",
            "Accept",
            "Date",
        ] {
            assert!(!is_secret_header(h), "{h}");
        }
        for p in [
            "jwt",
            "pwd",
            "passwd",
            "pass",
            "auth",
            "session",
            "sessionid",
            "x-api-key",
            "bearer",
            "pin",
            "otp",
            "credential",
            "access_token",
            "passphrase",
            "user[passphrase]",
        ] {
            assert!(is_secret_param(p), "{p}");
        }
        for p in ["scope", "page", "grant_type", "state", "redirect_uri"] {
            assert!(!is_secret_param(p), "{p}");
        }
    }

    proptest! {
        #[test]
        fn a_mask_never_contains_a_long_secret(s in "[A-Za-z0-9_~+/-]{12,200}") {
            let m = mask(&s, Kind::Token);
            prop_assert!(!m.contains(&s));
        }
    }
}
