//! The path a route rule is matched on, and the one sent upstream: the
//! same, in its canonical form. A guard that matched the path as sent
//! while the upstream resolved it would let `/public/../admin`,
//! `//admin` or `/%61dmin` past the rule for `/admin*` (the upstream, nginx
//! for one, serves `/admin`). So the path is normalized as RFC 3986 §6.2.2
//! says (percent-encoded unreserved characters decoded, other escapes in
//! upper case, dot segments removed) and its empty segments merged; what
//! cannot be made unambiguous (an encoded slash or backslash, a backslash,
//! an encoded NUL, a broken escape, a dot segment with a `;` parameter) is
//! refused.
//!
//! A segment's `;` parameters (`/orders;jsessionid=1`) are part of its name
//! to most servers and dropped by others (Tomcat, Jetty, Spring): to those,
//! `/public/..;/admin` is `/admin`. So a dot segment with parameters is
//! refused, and a path whose rule would change without its parameters is
//! refused by the guard ([`without_parameters`]).

use std::borrow::Cow;

/// Why a path is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ambiguous {
    /// `%2F` or `%5C`: a slash that some servers split at and others not.
    EncodedSlash,
    /// `\`: a separator to some servers (IIS, Windows), a character to others.
    Backslash,
    /// `%00` or a control byte.
    Control,
    /// `%` not followed by two hexadecimal digits.
    BrokenEscape,
    /// `.;x` or `..;x`: a dot segment to servers that drop a segment's
    /// parameters (Tomcat, Jetty), a name to the others.
    DotParameter,
}

impl Ambiguous {
    /// What to tell the client.
    pub fn describe(self) -> &'static str {
        match self {
            Ambiguous::EncodedSlash => {
                "The request path holds an encoded slash or backslash (%2F, %5C), which servers read differently; send the path without it."
            }
            Ambiguous::Backslash => {
                "The request path holds a backslash, which servers read differently; use / between segments."
            }
            Ambiguous::Control => {
                "The request path holds a NUL or control character; send the path without it."
            }
            Ambiguous::BrokenEscape => {
                "The request path holds a % that is not followed by two hexadecimal digits; encode it as %25."
            }
            Ambiguous::DotParameter => {
                "The request path holds a dot segment with a ; parameter (/..;/), which some servers resolve and others do not; send the path without it."
            }
        }
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// `text` with its escapes made canonical: an unreserved character's
/// decoded (`%61` is `a`, `%2e%2E` is `..`), another's kept in upper case;
/// an escaped slash or backslash, NUL or control byte, or a broken escape
/// refused. Bytes that are not escapes are kept as they are.
pub fn unescaped(text: &str) -> Result<Cow<'_, str>, Ambiguous> {
    let b = text.as_bytes();
    if !b.contains(&b'%') {
        return Ok(Cow::Borrowed(text));
    }
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'%' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        let (Some(h), Some(l)) = (
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) else {
            return Err(Ambiguous::BrokenEscape);
        };
        match h * 16 + l {
            b'/' | b'\\' => return Err(Ambiguous::EncodedSlash),
            0..=0x1f | 0x7f => return Err(Ambiguous::Control),
            v if unreserved(v) => out.push(v),
            v => out.extend_from_slice(format!("%{v:02X}").as_bytes()),
        }
        i += 3;
    }
    // Only ASCII escapes were replaced, by ASCII: still UTF-8.
    String::from_utf8(out)
        .map(Cow::Owned)
        .map_err(|_| Ambiguous::BrokenEscape)
}

/// The canonical form of a request's path (without its query), borrowed
/// when the path is already canonical (the common case, found in one
/// pass). A path that is not absolute (`*`) is left as it is.
pub fn canonical(raw: &str) -> Result<Cow<'_, str>, Ambiguous> {
    let b = raw.as_bytes();
    if b.first() != Some(&b'/') {
        return Ok(Cow::Borrowed(raw));
    }
    let mut plain = true;
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'\\' => return Err(Ambiguous::Backslash),
            0..=0x1f | 0x7f => return Err(Ambiguous::Control),
            b'%' => plain = false,
            // An empty segment, or a dot segment.
            b'/' if matches!(b.get(i + 1), Some(b'/')) => plain = false,
            b'.' if b[i - 1] == b'/'
                && matches!(
                    (b.get(i + 1), b.get(i + 2)),
                    (None | Some(b'/' | b';'), _) | (Some(b'.'), None | Some(b'/' | b';'))
                ) =>
            {
                plain = false
            }
            _ => {}
        }
    }
    if plain {
        return Ok(Cow::Borrowed(raw));
    }
    let decoded = unescaped(raw)?;
    // Then the segments: empty ones merged, `.` dropped, `..` back one.
    let trailing = decoded.ends_with('/') || decoded.ends_with("/.") || decoded.ends_with("/..");
    let mut kept: Vec<&str> = Vec::new();
    for segment in decoded.split('/') {
        if matches!(segment.split_once(';'), Some(("." | "..", _))) {
            return Err(Ambiguous::DotParameter);
        }
        match segment {
            "" | "." => {}
            ".." => {
                kept.pop();
            }
            s => kept.push(s),
        }
    }
    let mut out = String::with_capacity(decoded.len());
    for s in &kept {
        out.push('/');
        out.push_str(s);
    }
    if trailing || kept.is_empty() {
        out.push('/');
    }
    Ok(if out == raw {
        Cow::Borrowed(raw)
    } else {
        Cow::Owned(out)
    })
}

/// The path with every segment's `;` parameters removed, as Tomcat,
/// Jetty and Spring read it (`/admin;jsessionid=1/x` is `/admin/x`);
/// borrowed when it has none.
pub fn without_parameters(path: &str) -> Cow<'_, str> {
    if !path.contains(';') {
        return Cow::Borrowed(path);
    }
    let mut out = String::with_capacity(path.len());
    for (i, segment) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        out.push_str(segment.split_once(';').map_or(segment, |(name, _)| name));
    }
    Cow::Owned(out)
}

/// The path as a server that decodes it twice reads it (some frameworks,
/// or a proxy that decodes before one that decodes again): its escaped
/// `%` (`%25`) decoded, then made canonical again (`/%2561dmin` is
/// `/admin`), or why that reading is ambiguous (`%252F` is a slash);
/// borrowed when it holds no `%25`.
pub fn as_double_decoders_read(path: &str) -> Result<Cow<'_, str>, Ambiguous> {
    if !path.contains("%25") {
        return Ok(Cow::Borrowed(path));
    }
    canonical(&path.replace("%25", "%")).map(|p| Cow::Owned(p.into_owned()))
}

/// The path as Windows servers (IIS) read a file's name: each segment's
/// trailing dots and spaces (`%20` too) dropped (`/admin.` is `/admin`);
/// borrowed when none ends so. Case, which they ignore too, is left to the
/// caller's comparison.
pub fn as_windows_reads(path: &str) -> Cow<'_, str> {
    let trailing = |s: &str| s.ends_with(['.', ' ']) || s.ends_with("%20");
    if !path
        .split('/')
        .any(|s| trailing(s) && s != "." && s != "..")
    {
        return Cow::Borrowed(path);
    }
    let mut out = String::with_capacity(path.len());
    for (i, segment) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        let mut s = segment;
        loop {
            let t = s.trim_end_matches(['.', ' ']);
            let t = t.strip_suffix("%20").unwrap_or(t);
            if t.len() == s.len() {
                break;
            }
            s = t;
        }
        out.push_str(s);
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_paths_are_left_alone() {
        for p in [
            "/",
            "/orders",
            "/orders/42",
            "/orders/",
            "/a.b/c..d/.e",
            "/x%20y",
            "*",
        ] {
            assert!(matches!(canonical(p), Ok(Cow::Borrowed(_))), "{p}");
        }
    }

    #[test]
    fn the_paths_an_upstream_resolves_are_resolved_first() {
        for (raw, want) in [
            ("/public/../admin", "/admin"),
            ("/public/./../admin/", "/admin/"),
            ("//admin", "/admin"),
            ("/admin//users", "/admin/users"),
            ("/%61dmin", "/admin"),
            ("/public/%2e%2e/admin", "/admin"),
            ("/public/%2E%2E/admin", "/admin"),
            ("/public/.%2e/admin", "/admin"),
            ("/../../admin", "/admin"),
            ("/a/b/..", "/a/"),
            ("/a/.", "/a/"),
            ("/x%2a%7e", "/x%2A~"),
        ] {
            assert_eq!(canonical(raw).as_deref(), Ok(want), "{raw}");
        }
    }

    #[test]
    fn text_beyond_ascii_is_kept_as_it_is() {
        assert_eq!(
            canonical("/caf\u{e9}/../men\u{fc}").as_deref(),
            Ok("/men\u{fc}")
        );
        assert_eq!(unescaped("access%5Ftoken").as_deref(), Ok("access_token"));
    }

    #[test]
    fn what_cannot_be_made_unambiguous_is_refused() {
        for (raw, why) in [
            ("/public%2f..%2fadmin", Ambiguous::EncodedSlash),
            ("/public%2F..%2Fadmin", Ambiguous::EncodedSlash),
            ("/a%5cb", Ambiguous::EncodedSlash),
            ("/public\\..\\admin", Ambiguous::Backslash),
            ("/admin%00.json", Ambiguous::Control),
            ("/a%zz", Ambiguous::BrokenEscape),
            ("/a%4", Ambiguous::BrokenEscape),
            ("/public/..;/admin", Ambiguous::DotParameter),
            ("/public/..;x=1/admin", Ambiguous::DotParameter),
            ("/public/.;/admin", Ambiguous::DotParameter),
            ("/public/%2e%2e;/admin", Ambiguous::DotParameter),
            ("/public/..;", Ambiguous::DotParameter),
        ] {
            assert_eq!(canonical(raw), Err(why), "{raw}");
        }
    }

    #[test]
    fn a_segment_s_parameters_are_dropped_as_tomcat_drops_them() {
        assert!(matches!(without_parameters("/orders/42"), Cow::Borrowed(_)));
        assert_eq!(without_parameters("/admin;jsessionid=1"), "/admin");
        assert_eq!(without_parameters("/a;x/b;y=2/c"), "/a/b/c");
        assert_eq!(without_parameters("/a/;x"), "/a/");
        // Parameters on a name are no dot segment: the path stays canonical.
        assert!(matches!(canonical("/orders;v=1/42"), Ok(Cow::Borrowed(_))));
        assert!(matches!(canonical("/a..;/b"), Ok(Cow::Borrowed(_))));
    }
}
