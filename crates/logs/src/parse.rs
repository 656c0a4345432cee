//! One log line into one [`Event`]: nginx/Apache combined and common
//! format, JSON lines (the guard's reject log, Envoy, Traefik, Caddy and
//! most structured loggers), and error lines that give a rejection's reason
//! in a server's words (Apache's error log with mod_auth_openidc, or an
//! application's `UnauthorizedError: jwt expired`), read through the
//! doctor's dialect catalogue. Lines that match no format are counted by the
//! caller, never an error.

use authdoctor_causes::Cause;
use serde_json::Value;
use std::borrow::Cow;

/// What one request line says. Text fields borrow from the line where the
/// line holds them as they are (a combined-format line: no copy per line),
/// and own what was decoded (JSON).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Event<'a> {
    /// Seconds since the epoch, when the line says when.
    pub ts: Option<i64>,
    /// The client's address.
    pub client: Option<Cow<'a, str>>,
    /// The authenticated user, subject or client id the line names.
    pub user: Option<Cow<'a, str>>,
    /// The method.
    pub method: Option<Cow<'a, str>>,
    /// The path, without the query.
    pub path: Option<Cow<'a, str>>,
    /// The status.
    pub status: u16,
    /// The node (host, instance) that answered, in logs of several.
    pub node: Option<Cow<'a, str>>,
    /// The root cause the line names (the guard's `reason`).
    pub cause: Option<Cause>,
    /// A fingerprint of the credential the line names (the guard's masked
    /// token), to count distinct credentials.
    pub credential: Option<Cow<'a, str>>,
    /// A secret written into the line itself: what kind, never the value.
    pub secret: Option<&'static str>,
    /// The `iat` and `exp` of the token the line names (the guard's
    /// `token_iat`, `token_exp`), seconds.
    pub token_times: Option<(Option<i64>, i64)>,
    /// An error line's reason, in the server's words: the middleware family
    /// and the words (masked by the caller). Such a line explains a
    /// rejection an access log counts; it is not a request of its own.
    pub reason: Option<(&'static str, String)>,
    /// A line of a known format that is no request and gives no reason (a
    /// server's notice, the guard's own events): counted as read, no more.
    pub notice: bool,
}

/// Which format a line was read as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `ip - user [time] "METHOD path HTTP/x" status bytes ["referer" "agent"]`.
    Combined,
    /// A JSON object per line.
    Json,
    /// An error line naming a reason (Apache's error log; an application's
    /// log line in a known middleware's words).
    Reason,
}

/// Reads one line; `None` when it matches no format.
pub fn line(text: &str) -> Option<(Format, Event<'_>)> {
    let t = text.trim();
    if t.starts_with('{') {
        let v: Value = serde_json::from_str(t).ok()?;
        return json(&v, t).map(|e| (Format::Json, e));
    }
    if let Some(e) = combined(t) {
        return Some((Format::Combined, e));
    }
    reason(t).map(|e| (Format::Reason, e))
}

/// `[Fri Nov 27 03:15:59.667421 2026] [auth_openidc:error] [pid 1:tid 2]
/// [client 127.0.0.1:44422] message`, or any line whose words a known
/// middleware uses for a rejection (with an RFC 3339 time at its start, if
/// there is one).
fn reason(t: &str) -> Option<Event<'_>> {
    let (ts, client, message, apache) = match apache_error(t) {
        Some((ts, client, message)) => (ts, client, message, true),
        None => {
            let first = t.split([' ', '\t']).next().unwrap_or("");
            let ts = first
                .trim_matches(['[', ']'])
                .parse::<jiff::Timestamp>()
                .ok()
                .map(|t| t.as_second());
            (ts, None, t, false)
        }
    };
    let said = authdoctor_diagnosis::dialects::read(message, "log");
    // A catch-all names no cause and is no evidence. An Apache error line
    // that names none (a notice) is still a line of a known format.
    let Some(said) = said.filter(|s| s.cause.is_some()) else {
        return apache.then(|| Event {
            ts,
            client: client.map(Cow::Owned),
            notice: true,
            secret: secret_in(t),
            ..Event::default()
        });
    };
    // When the refused token expired, where the server's words say (the
    // dialect's `exp` group).
    let token_times = said.expired_at.map(|exp| (None, exp));
    Some(Event {
        ts,
        client: client.map(Cow::Owned),
        cause: said.cause,
        token_times,
        reason: Some((said.family, said.text)),
        secret: secret_in(t),
        ..Event::default()
    })
}

/// Apache's error-log line: its time, the client's address, the message.
fn apache_error(t: &str) -> Option<(Option<i64>, Option<String>, &str)> {
    let rest = t.strip_prefix('[')?;
    let (time, mut rest) = rest.split_once("] ")?;
    let mut client = None;
    // [module:level] [pid …] [client addr:port] …, each optional but the first.
    while let Some(r) = rest.strip_prefix('[') {
        let (field, after) = r.split_once("] ")?;
        if let Some(addr) = field.strip_prefix("client ") {
            client = Some(match addr.rsplit_once(':') {
                Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => {
                    h.trim_matches(['[', ']']).to_owned()
                }
                _ => addr.to_owned(),
            });
        }
        rest = after;
    }
    // "Fri Nov 27 03:15:59.667421 2026": the server's local time, with no
    // zone; read as UTC (as Debian's servers and containers mostly run).
    let mut w = time.split(' ').filter(|s| !s.is_empty());
    let (_day, mon, d, hms, y) = (w.next()?, w.next()?, w.next()?, w.next()?, w.next()?);
    let ts = clf_time(&format!(
        "{d:0>2}/{mon}/{y}:{} +0000",
        hms.split('.').next()?
    ));
    Some((ts, client, rest))
}

/// `s` split at the first `b` (an ASCII byte), found with memchr.
fn split_at_byte(s: &str, b: u8) -> Option<(&str, &str)> {
    let i = memchr::memchr(b, s.as_bytes())?;
    // An ASCII byte is a character boundary on both sides.
    Some((s.get(..i)?, s.get(i + 1..)?))
}

fn combined(t: &str) -> Option<Event<'_>> {
    // ip ident user [time] "request" status bytes ...
    let (client, rest) = split_at_byte(t, b' ')?;
    let (_ident, rest) = split_at_byte(rest, b' ')?;
    let (user, rest) = split_at_byte(rest, b' ')?;
    let rest = rest.strip_prefix('[')?;
    // A time has no ']'.
    let (time, rest) = split_at_byte(rest, b']')?;
    let rest = rest.strip_prefix(" \"")?;
    let (request, rest) = split_request(rest)?;
    let status = rest.split_once(' ').map_or(rest, |(s, _)| s);
    let status: u16 = status.parse().ok()?;
    let (method, target) = split_at_byte(request, b' ').unwrap_or((request, ""));
    let target = split_at_byte(target, b' ').map_or(target, |(t, _)| t);
    let path = split_at_byte(target, b'?').map_or(target, |(p, _)| p);
    Some(Event {
        ts: clf_time(time),
        client: Some(Cow::Borrowed(client)),
        user: (user != "-").then_some(Cow::Borrowed(user)),
        method: Some(Cow::Borrowed(method)),
        path: Some(Cow::Borrowed(path)),
        status,
        secret: secret_in(t),
        ..Event::default()
    })
}

/// The quoted request and what follows its closing `" `: the first `"`
/// followed by a space (a request line escapes its own quotes as `\"`).
fn split_request(s: &str) -> Option<(&str, &str)> {
    let b = s.as_bytes();
    memchr::memchr_iter(b'"', b)
        .find(|&i| b.get(i + 1) == Some(&b' '))
        .and_then(|i| Some((s.get(..i)?, s.get(i + 2..)?)))
}

/// `10/Oct/2026:13:55:36 -0700` (the common log format's time). Lines in a
/// row mostly share their second: the last answer of this thread is kept.
fn clf_time(s: &str) -> Option<i64> {
    thread_local! {
        static LAST: std::cell::RefCell<(String, Option<i64>)> =
            const { std::cell::RefCell::new((String::new(), None)) };
    }
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        if last.0 != s {
            let t = clf_time_uncached(s);
            last.0.clear();
            last.0.push_str(s);
            last.1 = t;
        }
        last.1
    })
}

fn clf_time_uncached(s: &str) -> Option<i64> {
    let (dt, zone) = s.split_once(' ').unwrap_or((s, "+0000"));
    let (date, clock) = dt.split_once(':')?;
    let mut d = date.split('/');
    let day: i8 = d.next()?.parse().ok()?;
    let month: i8 = match d.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i16 = d.next()?.parse().ok()?;
    let mut c = clock.split(':');
    let (h, m, sec): (i8, i8, i8) = (
        c.next()?.parse().ok()?,
        c.next()?.parse().ok()?,
        c.next()?.parse().ok()?,
    );
    let dt = jiff::civil::DateTime::new(year, month, day, h, m, sec, 0).ok()?;
    let sign: i32 = if zone.starts_with('-') { -1 } else { 1 };
    let z = zone.trim_start_matches(['+', '-']);
    let offset = z.get(..2)?.parse::<i32>().ok()? * 3600 + z.get(2..4)?.parse::<i32>().ok()? * 60;
    let off = jiff::tz::Offset::from_seconds(sign * offset).ok()?;
    off.to_timestamp(dt).ok().map(|t| t.as_second())
}

/// The first of several JSON paths that holds a value.
fn first<'a>(v: &'a Value, paths: &[&str]) -> Option<&'a Value> {
    paths.iter().find_map(|p| {
        let mut cur = v;
        for part in p.split('.') {
            cur = cur.get(part)?;
        }
        (!cur.is_null()).then_some(cur)
    })
}

fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn as_cow<'a>(v: &Value) -> Option<Cow<'a, str>> {
    as_text(v).map(Cow::Owned)
}

fn json<'a>(v: &Value, raw: &str) -> Option<Event<'a>> {
    // The guard's own events (a client flagged, a credential blocked, Redis
    // lost): a line of a known format, not a request.
    if v.get("status").is_none() && v.get("event").is_some_and(Value::is_string) {
        return Some(Event {
            notice: true,
            secret: secret_in(raw),
            ..Event::default()
        });
    }
    let status = first(
        v,
        &[
            "status",
            "response_code",
            "DownstreamStatus",
            "status_code",
            "response.status",
            "http.response.status_code",
            "res.statusCode",
        ],
    )
    .and_then(|s| s.as_u64().or_else(|| s.as_str()?.parse().ok()))? as u16;
    let ts = first(
        v,
        &[
            "ts",
            "time",
            "timestamp",
            "@timestamp",
            "start_time",
            "StartUTC",
        ],
    )
    .and_then(|t| match t {
        Value::Number(n) => n.as_f64().map(|f| f as i64),
        Value::String(s) => s
            .parse::<jiff::Timestamp>()
            .ok()
            .map(|t| t.as_second())
            .or_else(|| s.parse::<f64>().ok().map(|f| f as i64)),
        _ => None,
    });
    let client = first(
        v,
        &[
            "client",
            "remote_addr",
            "client_ip",
            "ClientHost",
            "downstream_remote_address",
            "request.remote_ip",
            "remote_ip",
        ],
    )
    .and_then(as_text)
    .map(|c| {
        // `1.2.3.4:5678` → `1.2.3.4`, leaving IPv6 in brackets alone.
        Cow::Owned(match c.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') && p.bytes().all(|b| b.is_ascii_digit()) => {
                h.to_owned()
            }
            _ => c,
        })
    });
    let path = first(
        v,
        &["route", "path", "uri", "RequestPath", "request.uri", "url"],
    )
    .and_then(as_text)
    .map(|p| Cow::Owned(p.split('?').next().unwrap_or("").to_owned()));
    Some(Event {
        ts,
        client,
        user: first(v, &["sub", "user", "client_id", "remote_user", "user_id"]).and_then(as_cow),
        method: first(v, &["method", "RequestMethod", "request.method"]).and_then(as_cow),
        path,
        status,
        node: first(v, &["node", "host", "hostname", "instance"]).and_then(as_cow),
        cause: first(v, &["reason", "cause"])
            .and_then(Value::as_str)
            .and_then(Cause::from_id),
        credential: first(v, &["token"]).and_then(as_cow),
        secret: secret_in(raw),
        token_times: first(v, &["token_exp"])
            .and_then(Value::as_i64)
            .map(|exp| (first(v, &["token_iat"]).and_then(Value::as_i64), exp)),
        reason: None,
        notice: false,
    })
}

/// Whether a line carries a secret itself: a credential in a URL's query
/// (`access_token=`, `api_key=`, `password=` …), a bearer token, a JWT or
/// a Basic credential written out. The kind, never the value.
pub fn secret_in(line: &str) -> Option<&'static str> {
    // Most lines carry neither a query parameter, nor a JWT, nor a logged
    // header: say so without lower-casing them. (One aho-corasick pass for
    // the three was slower on real user agents: its rare-byte prefilter
    // stops at every "Mozilla".)
    static FINDERS: std::sync::OnceLock<[memchr::memmem::Finder<'static>; 2]> =
        std::sync::OnceLock::new();
    let [jwt, authz] = FINDERS.get_or_init(|| {
        [
            memchr::memmem::Finder::new("eyJ"),
            memchr::memmem::Finder::new("uthorization"),
        ]
    });
    let bytes = line.as_bytes();
    if memchr::memchr(b'=', bytes).is_none()
        && jwt.find(bytes).is_none()
        && authz.find(bytes).is_none()
    {
        return None;
    }
    let lower = line.to_ascii_lowercase();
    for (needle, kind) in [
        ("access_token=", "an access token in a URL"),
        ("id_token=", "an ID token in a URL"),
        ("refresh_token=", "a refresh token in a URL"),
        ("client_secret=", "a client secret in a URL"),
        ("api_key=", "an API key in a URL"),
        ("apikey=", "an API key in a URL"),
        ("password=", "a password in a URL"),
        ("passwd=", "a password in a URL"),
        ("token=", "a token in a URL"),
        ("authorization: bearer ", "a logged Authorization header"),
        (
            "\"authorization\":\"bearer ",
            "a logged Authorization header",
        ),
        ("authorization: basic ", "a logged Authorization header"),
    ] {
        if let Some(at) = lower.find(needle) {
            // A masked value (`…(sha256:`) is not a secret in the log.
            let after = &line[at + needle.len()..];
            let value: String = after
                .chars()
                .take_while(|c| !matches!(c, '&' | ' ' | '"' | '\''))
                .collect();
            if value.len() >= 6 && !value.contains('…') && !value.starts_with("REDACTED") {
                return Some(kind);
            }
        }
    }
    // A bare JWT anywhere in the line.
    if let Some(at) = line.find("eyJ") {
        let rest = &line[at..];
        let jwt: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .collect();
        if jwt.matches('.').count() == 2 && jwt.len() > 40 {
            return Some("a JWT");
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nginx_combined() {
        let (f, e) = line(r#"127.0.0.1 - alice [26/Nov/2026:17:34:12 +0000] "GET /orders?x=1 HTTP/1.1" 401 12 "-" "curl/8.5""#).unwrap();
        assert_eq!(f, Format::Combined);
        assert_eq!(e.status, 401);
        assert_eq!(e.client.as_deref(), Some("127.0.0.1"));
        assert_eq!(e.user.as_deref(), Some("alice"));
        assert_eq!(e.path.as_deref(), Some("/orders"));
        assert_eq!(e.ts, Some(1_795_714_452));
        assert_eq!(e.secret, None);
    }

    #[test]
    fn the_guards_reject_log() {
        let (f, e) = line(r#"{"ts":"2026-11-26T17:34:12Z","event":"reject","reason":"token.expired","status":401,"method":"GET","route":"/orders","client":"10.0.0.7","sub":"svc-a","token":"eyJhbGci…(sha256:3f9a1c)"}"#).unwrap();
        assert_eq!(f, Format::Json);
        assert_eq!(e.cause, Some(Cause::TokenExpired));
        assert_eq!(e.client.as_deref(), Some("10.0.0.7"));
        assert_eq!(e.user.as_deref(), Some("svc-a"));
        assert_eq!(e.secret, None, "a masked token is not a secret in the log");
    }

    #[test]
    fn error_lines_give_reasons() {
        let (f, e) = line(r#"[Fri Nov 27 03:15:59.667421 2026] [auth_openidc:error] [pid 21973:tid 22008] [client 127.0.0.1:44422] oidc_proto_validate_exp: "exp" validation failure (1795746342): JWT expired 3017 seconds ago"#).unwrap();
        assert_eq!(f, Format::Reason);
        assert_eq!(e.cause, Some(Cause::TokenExpired));
        assert_eq!(e.client.as_deref(), Some("127.0.0.1"));
        assert_eq!(e.ts, Some(1_795_749_359));
        assert_eq!(e.token_times, Some((None, 1_795_746_342)));
        assert_eq!(e.reason.map(|r| r.0), Some("mod_auth_openidc"));
        // A notice: a known format, no reason.
        let (_, e) = line("[Fri Nov 27 03:15:58.575968 2026] [mpm_event:notice] [pid 21956:tid 21956] AH00489: Apache/2.4.71 (Debian) configured").unwrap();
        assert_eq!(e.cause, None);
        // An application's line in a middleware's words.
        let (f, e) = line("2026-11-27T03:20:00Z UnauthorizedError: jwt expired").unwrap();
        assert_eq!((f, e.cause), (Format::Reason, Some(Cause::TokenExpired)));
        assert_eq!(e.ts, Some(1_795_749_600));
        // Words no middleware uses are no line of a known format.
        assert!(line("2026-11-27T03:20:00Z the cache warmed up").is_none());
    }

    #[test]
    fn envoy_and_traefik_shapes() {
        let (_, e) = line(r#"{"start_time":"2026-11-26T17:34:12.000Z","method":"GET","path":"/a?b","response_code":403,"downstream_remote_address":"10.1.2.3:5555"}"#).unwrap();
        assert_eq!(
            (e.status, e.client.as_deref(), e.path.as_deref()),
            (403, Some("10.1.2.3"), Some("/a"))
        );
        let (_, e) = line(r#"{"ClientHost":"10.9.9.9","DownstreamStatus":401,"RequestMethod":"POST","RequestPath":"/x","StartUTC":"2026-11-26T17:34:12Z"}"#).unwrap();
        assert_eq!((e.status, e.method.as_deref()), (401, Some("POST")));
    }

    #[test]
    fn secrets_in_lines_are_found_by_kind() {
        assert_eq!(
            secret_in("GET /cb?access_token=abcdef123456 HTTP/1.1"),
            Some("an access token in a URL")
        );
        assert_eq!(
            secret_in("GET /login?password=hunter22 HTTP/1.1"),
            Some("a password in a URL")
        );
        assert_eq!(
            secret_in("Authorization: Bearer 0123456789abcdef"),
            Some("a logged Authorization header")
        );
        assert_eq!(secret_in("GET /orders HTTP/1.1"), None);
        assert_eq!(secret_in("token=eyJhbGci…(sha256:3f9a1c)"), None);
    }

    #[test]
    fn garbage_is_no_event() {
        assert_eq!(line("hello"), None);
        assert_eq!(line("{\"msg\":\"no status\"}"), None);
        assert_eq!(line(""), None);
    }
}
