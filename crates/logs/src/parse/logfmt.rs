//! `key=value` lines (logfmt) that record a request: Go's slog
//! (`TextHandler`) and logrus, Heroku's router, Rails' lograge, gRPC
//! servers' logging interceptors (go-grpc-middleware's over logrus or
//! slog), and most services that log one line per request this way. The pairs are read as
//! the members of a JSON line, so every name the JSON reader knows for a
//! status, time, client, route, user or reason is known here too.

use super::*;

/// The line's pairs, as a JSON object's members, when it records a
/// request (a status, and a method or a route); its time, where no pair
/// gives one, the time it begins with (Heroku's).
pub(super) fn logfmt(t: &str) -> Option<Event<'_>> {
    // Cheap refusals first: most lines tried here are no logfmt. A gRPC
    // call's line gives its status as a code (go-grpc-middleware's
    // `grpc.code=Unauthenticated`).
    if find_literal!(t, "status").is_none()
        && find_literal!(t, "Status").is_none()
        && find_literal!(t, "grpc.code").is_none()
    {
        return None;
    }
    let members = pairs(t);
    if members.len() < 3 {
        return None;
    }
    let mut e = json(&Value::Object(members))?;
    if e.method.is_none() && e.path.is_none() {
        return None;
    }
    e.format = Format::Logfmt;
    if e.ts.is_none() {
        e.ts = lead_time(t);
    }
    Some(e)
}

/// The `key=value` pairs of a line, values unquoted (`msg="a \"b\""`);
/// words that are no pair (a time, `heroku[router]:`) are passed over. The
/// first of a repeated key is kept.
fn pairs(t: &str) -> serde_json::Map<String, Value> {
    let mut out = serde_json::Map::new();
    let b = t.as_bytes();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && b[i] == b' ' {
            i += 1;
        }
        let key_start = i;
        while i < b.len()
            && (b[i].is_ascii_alphanumeric() || matches!(b[i], b'_' | b'-' | b'.' | b'@'))
        {
            i += 1;
        }
        let key = &t[key_start..i];
        if key.is_empty() || b.get(i) != Some(&b'=') {
            // No pair: on to the next word.
            while i < b.len() && b[i] != b' ' {
                i += 1;
            }
            continue;
        }
        i += 1;
        let value = if b.get(i) == Some(&b'"') {
            i += 1;
            let mut v = String::new();
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' && i + 1 < b.len() {
                    i += 1;
                }
                // Whole characters: a quote or backslash is ASCII, so `i`
                // stays on a boundary.
                let ch = t[i..].chars().next().unwrap_or(' ');
                v.push(ch);
                i += ch.len_utf8();
            }
            i += 1;
            v
        } else {
            let start = i;
            while i < b.len() && b[i] != b' ' {
                i += 1;
            }
            t[start..i].to_owned()
        };
        if !out.contains_key(key) {
            out.insert(key.to_owned(), Value::String(value));
        }
    }
    out
}
