//! The character classes and small productions of RFC 9110 §5.6 that the
//! authentication grammar is built from.

/// `tchar` (RFC 9110 §5.6.2): a character allowed in a token.
pub fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

/// A character of `token68` (RFC 9110 §11.2) before its `=` padding; the
/// same set as RFC 6750's `b64token`.
pub fn is_token68_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
}

/// Whether `s` is a `token`: one or more `tchar`.
pub fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_tchar)
}

/// Whether `s` is a `token68`: one or more token68 characters, then `=`s.
pub fn is_token68(s: &str) -> bool {
    let body = s.trim_end_matches('=');
    !body.is_empty() && body.bytes().all(is_token68_char)
}

/// Whether a byte may stand in a quoted-string unescaped (`qdtext`, or a
/// byte of a multi-byte UTF-8 character, which the grammar calls obs-text).
pub fn is_qdtext(b: u8) -> bool {
    matches!(b, b'\t' | b' ' | 0x21 | 0x23..=0x5B | 0x5D..=0x7E | 0x80..=0xFF)
}

/// Whether a byte may follow a backslash in a `quoted-pair`.
pub fn is_quotable(b: u8) -> bool {
    matches!(b, b'\t' | b' ' | 0x21..=0x7E | 0x80..=0xFF)
}

/// Optional whitespace: space or horizontal tab.
pub fn is_ows(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Renders `s` as a quoted-string, escaping `"` and `\`.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}
