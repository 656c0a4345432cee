//! One log line into one [`Event`]: nginx/Apache combined and common
//! format, JSON lines (the guard's reject log, Envoy, Traefik, Caddy, Kong,
//! API Gateway and most structured loggers), the text access logs of Envoy,
//! HAProxy, AWS ALB, morgan, uvicorn and Django, Keycloak's events, W3C
//! extended logs (by the `#Fields:` the caller carries, [`w3c`]), each also
//! inside a container runtime's wrapper, and error lines that give a
//! rejection's reason in a server's words (Apache's and nginx's error logs,
//! or an application's `UnauthorizedError: jwt expired`, with the time it
//! begins with, [`lead_time`]), read through the doctor's dialect
//! catalogue. Lines that match no format are counted by the caller, never an
//! error.

use authdoctor_causes::Cause;
use serde_json::Value;
use std::borrow::Cow;

/// What one request line says. Text fields borrow from the line where the
/// line holds them as they are (a combined-format line: no copy per line),
/// and own what was decoded (JSON).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Event<'a> {
    /// The format the line was read as.
    pub format: Format,
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
    /// The client's user agent, where the line names it. Read from
    /// rejections only (401, 403, 407): nothing asks for a success's.
    pub agent: Option<Cow<'a, str>>,
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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// `ip - user [time] "METHOD path HTTP/x" status bytes ["referer" "agent"]`.
    #[default]
    Combined,
    /// A JSON object per line.
    Json,
    /// Envoy's (and Istio's) default text access log.
    Envoy,
    /// AWS Application Load Balancer access logs (`http 2026-11-27T08:00:00Z
    /// app/lb/… 10.0.0.1:2817 10.0.0.2:80 … 401 401 … "GET https://…
    /// HTTP/1.1" …`).
    Alb,
    /// HAProxy's HTTP log (`option httplog`), as syslog writes it:
    /// `… haproxy[14389]: 10.0.1.2:33317 [06/Feb/2026:12:14:14.655] fe
    /// be/srv 10/0/30/69/109 401 … "GET /orders HTTP/1.1"`.
    Haproxy,
    /// Keycloak's event log (`[org.keycloak.events]`): logins, token
    /// requests and their errors, as text lines or inside Keycloak's JSON
    /// log lines.
    Keycloak,
    /// The short formats of morgan, Express's request logger: `dev` and
    /// `tiny` (`GET /orders 401 1.234 ms - 12`), `short` (with the address
    /// and user).
    Morgan,
    /// Python servers' own request lines: uvicorn's (FastAPI, Starlette)
    /// `INFO:     10.0.0.7:51234 - "GET /orders HTTP/1.1" 401 Unauthorized`
    /// (no time) and Django's development server's `[27/Nov/2026 10:07:45]
    /// "GET /orders HTTP/1.1" 401 58` (no address). Werkzeug's (Flask's)
    /// is the common format.
    Python,
    /// The W3C extended log format, its fields named by the file's own
    /// `#Fields:` directive: IIS's default log, CloudFront's, Azure App
    /// Service's HTTP logs.
    W3c,
    /// An error line naming a reason (Apache's error log; an application's
    /// log line in a known middleware's words).
    Reason,
}

/// A line without the terminal's escape sequences a coloured logger writes
/// into it (morgan's `dev` colours the status: `GET /x \x1b[33m401\x1b[0m`):
/// CSI sequences (`ESC [ … letter`), OSC ones (`ESC ] … BEL`), and an ESC
/// with the one character after it.
pub fn without_escapes(line: &str) -> Cow<'_, str> {
    if !line.contains('\u{1b}') {
        return Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('[') => {
                // Parameters and intermediates, then the final byte.
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            Some(']') => {
                while let Some(c) = chars.next() {
                    if c == '\u{7}' || (c == '\u{1b}' && chars.next_if_eq(&'\\').is_some()) {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    Cow::Owned(out)
}

/// Whether a status is an authentication or authorization refusal (401,
/// 403, 407): the lines whose details (the agent) are worth reading.
pub fn refused(status: u16) -> bool {
    matches!(status, 401 | 403 | 407)
}

/// Reads one line; `None` when it matches no format.
pub fn line(text: &str) -> Option<(Format, Event<'_>)> {
    read(text, None, true).map(|e| (e.format, e))
}

/// Reads one line as the given format only; `None` when it is not one.
pub fn line_as(text: &str, format: Format) -> Option<(Format, Event<'_>)> {
    read(text, Some(format), true).map(|e| (e.format, e))
}

/// Reads one line, as `format` or as whichever format it is in. The line
/// is searched for a secret only when `secrets` (a scan of a whole block
/// can tell the many lines with no sign of one: [`may_hold_secret`]).
/// The event is built where it is returned: it is large, and a copy per
/// line showed in profiles.
pub fn read(text: &str, format: Option<Format>, secrets: bool) -> Option<Event<'_>> {
    let mut out = None;
    read_into(text, format, secrets, &mut out);
    out
}

/// [`read`] into a slot that the caller keeps from line to line: each
/// parser's event is written where it stays (the event is large, and a
/// copy of it per line showed in profiles).
pub fn read_into<'a>(
    text: &'a str,
    format: Option<Format>,
    secrets: bool,
    out: &mut Option<Event<'a>>,
) {
    let t = text.trim();
    *out = None;
    match format {
        Some(f) => *out = read_as(f, text, t),
        // A JSON object is JSON or nothing.
        None if t.starts_with('{') => *out = json_line(t),
        None => {
            // The common format first, called directly (a loop over all of
            // them cost the common line 7 ns).
            *out = combined(t);
            if out.is_none() {
                // (Combined again, for a virtual host before the line.)
                for f in DETECTED {
                    *out = read_as(f, text, t);
                    if out.is_some() {
                        break;
                    }
                }
            }
        }
    }
    if out.is_none() {
        *out = unwrapped(t, format);
    }
    if secrets {
        if let Some(e) = out.as_mut() {
            e.secret = secret_in(t);
        }
    }
}

/// A line a container wrote, inside its runtime's wrapper (the files
/// under a Kubernetes node's /var/log/pods and Docker's
/// /var/lib/docker/containers), read as the line itself in whatever format
/// it is, with the wrapper's time where the line has none:
/// - CRI (containerd, CRI-O): `2026-11-27T10:00:00.123456789Z stdout F
///   <line>`;
/// - Docker's json-file driver: `{"log":"<line>\n","stream":"stdout",
///   "time":"2026-11-27T10:00:00.123456789Z"}`;
/// - `kubectl logs --timestamps`: `2026-11-27T10:00:00.123456789Z <line>`.
fn unwrapped<'a>(t: &'a str, format: Option<Format>) -> Option<Event<'a>> {
    let (line, ts): (Cow<'a, str>, Option<i64>) = if t.starts_with('{') {
        let v: Value = serde_json::from_str(t).ok()?;
        let line = v.get("log")?.as_str()?;
        v.get("stream")?;
        (
            Cow::Owned(line.trim_end().to_owned()),
            v.get("time").and_then(json_time),
        )
    } else {
        let (time, rest) = split_at_byte(t, b' ')?;
        let time = Some(time.parse::<jiff::Timestamp>().ok()?.as_second());
        let cri = split_at_byte(rest, b' ').and_then(|(stream, rest)| {
            let (tag, line) = split_at_byte(rest, b' ')?;
            (matches!(stream, "stdout" | "stderr") && matches!(tag, "F" | "P")).then_some(line)
        });
        // `kubectl logs --timestamps`: the time, then the line.
        (Cow::Borrowed(cri.unwrap_or(rest)), time)
    };
    // One wrapper deep: a line inside is never unwrapped again.
    let inner = |line: &str| {
        let t = line.trim();
        match format {
            Some(f) => read_as(f, line, t),
            None if t.starts_with('{') => json_line(t),
            None => combined(t).or_else(|| DETECTED.iter().find_map(|f| read_as(*f, line, t))),
        }
        .map(Event::into_owned)
    };
    let mut e = match line {
        Cow::Borrowed(l) => inner(l)?,
        Cow::Owned(l) => inner(&l)?,
    };
    e.ts = e.ts.or(ts);
    Some(e)
}

impl Event<'_> {
    /// The event with its text its own, free of the line it was read from.
    pub fn into_owned(self) -> Event<'static> {
        let own = |c: Option<Cow<'_, str>>| c.map(|c| Cow::Owned(c.into_owned()));
        Event {
            format: self.format,
            ts: self.ts,
            client: own(self.client),
            user: own(self.user),
            method: own(self.method),
            path: own(self.path),
            status: self.status,
            agent: own(self.agent),
            node: own(self.node),
            cause: self.cause,
            credential: own(self.credential),
            secret: self.secret,
            token_times: self.token_times,
            reason: self.reason,
            notice: self.notice,
        }
    }
}

/// The text formats, in the order a line is tried against them: the most
/// common first, error lines (whose reading runs the dialect catalogue)
/// last.
const DETECTED: [Format; 9] = [
    Format::Combined,
    Format::Envoy,
    Format::Morgan,
    Format::Python,
    Format::W3c,
    Format::Alb,
    Format::Keycloak,
    Format::Haproxy,
    Format::Reason,
];

/// A line read as one format: `t` is the line trimmed, which every
/// reader takes but the stack frame's (told by its indentation).
#[inline]
fn read_as<'a>(f: Format, line: &'a str, t: &'a str) -> Option<Event<'a>> {
    match f {
        Format::Combined => combined(t).or_else(|| vhost_combined(t)),
        Format::Json => json_line(t),
        Format::Envoy => envoy(t),
        Format::Morgan => morgan(t),
        Format::Python => python(t),
        // Its requests need the file's `#Fields:` ([`w3c`], by the scan).
        Format::W3c => w3c_directive(t),
        Format::Alb => alb(t),
        Format::Haproxy => haproxy(t),
        Format::Keycloak => keycloak(t).or_else(|| json_line(t)),
        Format::Reason => reason(t).or_else(|| frame(line)),
    }
}

/// A JSON object's line.
fn json_line(t: &str) -> Option<Event<'_>> {
    if !t.starts_with('{') {
        return None;
    }
    json(&serde_json::from_str::<Value>(t).ok()?)
}

/// Envoy's default text access log, and Istio's (which adds the response
/// code's details, such as `jwt_authn_access_denied{Jwt_is_expired}`, and
/// the downstream addresses):
/// `[2026-11-26T17:34:12.345Z] "GET /orders HTTP/1.1" 401 - jwt_authn_access_denied{Jwt_is_expired} - "-" 0 14 1 - "10.0.0.7" "curl/8.5.0" "…" "api.example" "-" …`.
/// The client is the first address of `X-Forwarded-For`, else (Istio) the
/// downstream remote address: the last `address:port` field.
fn envoy(t: &str) -> Option<Event<'_>> {
    let rest = t.strip_prefix('[')?;
    let (time, rest) = split_at_byte(rest, b']')?;
    let ts = time.parse::<jiff::Timestamp>().ok()?.as_second();
    let rest = rest.strip_prefix(" \"")?;
    let (request, rest) = split_request(rest)?;
    let fields = envoy_fields(rest);
    let (status, _) = fields.first()?;
    // Envoy writes 0 when no response was sent.
    let status: u16 = status.parse().ok().filter(|s| *s <= 599)?;
    let (method, target) = split_at_byte(request, b' ').unwrap_or((request, ""));
    let target = split_at_byte(target, b' ').map_or(target, |(t, _)| t);
    // The details follow the flags where Istio's format writes them.
    let details = fields
        .get(2)
        .filter(|(f, quoted)| !quoted && f.contains(['{', '_']));
    let cause = details
        .and_then(|(d, _)| authdoctor_diagnosis::dialects::read(d, "log"))
        .and_then(|s| s.cause);
    let numeric = |f: &str| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit());
    // X-Forwarded-For: the first quoted field after the byte counts (a
    // quoted field before them is Istio's transport failure reason).
    let counts = fields
        .iter()
        .skip(1)
        .position(|(f, q)| !q && numeric(f))
        .map_or(fields.len(), |i| i + 1);
    let mut quoted = fields[counts..].iter().filter(|(_, q)| *q).map(|(f, _)| *f);
    let xff = quoted.next().filter(|x| *x != "-");
    // The user agent follows it.
    let agent = quoted.next().filter(|a| *a != "-" && refused(status));
    let last_quoted = fields.iter().rposition(|(_, q)| *q).unwrap_or(0);
    let remote = fields[last_quoted..]
        .iter()
        .rfind(|(f, q)| {
            !q && f
                .rsplit_once(':')
                .is_some_and(|(h, p)| !h.is_empty() && numeric(p))
        })
        .map(|(f, _)| *f);
    let client = xff.or(remote).map(|c| Cow::Owned(bare_address(c)));
    Some(Event {
        format: Format::Envoy,
        ts: Some(ts),
        client,
        method: Some(Cow::Borrowed(method)),
        path: Some(Cow::Owned(url_path(target))),
        agent: agent.map(Cow::Borrowed),
        status,
        cause,
        ..Event::default()
    })
}

/// A request line's event: its time, the client (`address:port` taken to
/// the address), the method and the target's path, the status.
fn request_event<'a>(
    format: Format,
    ts: Option<i64>,
    client: &str,
    (method, target): (&'a str, &str),
    status: u16,
) -> Event<'a> {
    Event {
        format,
        ts,
        client: Some(Cow::Owned(bare_address(client))),
        method: Some(Cow::Borrowed(method)),
        path: Some(Cow::Owned(url_path(target))),
        status,
        ..Event::default()
    }
}

/// HAProxy's HTTP log line, through syslog (`… haproxy[pid]: …`) or raw
/// (`log stdout format raw`: the line starts at the client). Its time is
/// the server's local time, read as UTC; the request is the last quoted
/// field.
fn haproxy(t: &str) -> Option<Event<'_>> {
    let rest = match memchr::memmem::find(t.as_bytes(), b"haproxy[") {
        Some(at) => t.get(at..)?.split_once("]: ")?.1,
        None => t,
    };
    let mut f = rest.split(' ');
    let client = f.next()?;
    // `address:port`, then `[27/Nov/2026:08:00:00.655]`.
    let (_, port) = client.rsplit_once(':')?;
    if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let time = f.next()?.strip_prefix('[')?.strip_suffix(']')?;
    let (_frontend, _backend, _timers) = (f.next()?, f.next()?, f.next()?);
    let status: u16 = f.next()?.parse().ok().filter(|s| (100..=599).contains(s))?;
    let line = rest.strip_suffix('"')?;
    let line = &line[line.rfind('"')? + 1..];
    let (method, target) = split_at_byte(line, b' ')?;
    let target = split_at_byte(target, b' ').map_or(target, |(t, _)| t);
    let second = time.split('.').next()?;
    Some(request_event(
        Format::Haproxy,
        clf_time(&format!("{second} +0000")),
        client,
        (method, target),
        status,
    ))
}

/// Keycloak's event line: `2026-11-27 08:00:00,123 WARN  [org.keycloak.events]
/// (executor-thread-1) type="LOGIN_ERROR", realmId="…", clientId="app",
/// userId="…", ipAddress="10.0.0.7", error="invalid_user_credentials",
/// username="alice"` (values quoted since Keycloak 24, bare before). The
/// time is the server's local time, read as UTC.
fn keycloak(t: &str) -> Option<Event<'_>> {
    let (head, message) = t.split_once("[org.keycloak.events] ")?;
    // The thread, in parentheses, before the event.
    let message = match message.strip_prefix('(') {
        Some(m) => m.split_once(") ")?.1,
        None => message,
    };
    let ts = head
        .get(..19)
        .map(|d| d.replacen(' ', "T", 1))
        .and_then(|d| d.parse::<jiff::civil::DateTime>().ok())
        .and_then(|d| jiff::tz::Offset::UTC.to_timestamp(d).ok())
        .map(|t| t.as_second());
    keycloak_event(message, ts)
}

/// The fields of a Keycloak event, `key="value", key=value, …`.
fn keycloak_fields(message: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut rest = message.trim();
    while let Some((key, after)) = rest.split_once('=') {
        let (value, next) = match after.strip_prefix('"') {
            Some(q) => {
                let end = q.find('"').unwrap_or(q.len());
                (&q[..end], q.get(end + 1..).unwrap_or(""))
            }
            None => after.split_once(", ").map_or((after, ""), |(v, n)| (v, n)),
        };
        out.push((key.trim(), value));
        rest = next.trim_start_matches([',', ' ']);
    }
    out
}

/// A Keycloak event as a request: an `…_ERROR` event is a rejection (401),
/// its type and `error` read through the dialect catalogue for the cause; the user is the `username`
/// the client typed, else the user's id.
fn keycloak_event(message: &str, ts: Option<i64>) -> Option<Event<'static>> {
    let fields = keycloak_fields(message);
    let get = |k: &str| {
        fields
            .iter()
            .find(|(key, _)| *key == k)
            .map(|(_, v)| *v)
            .filter(|v| !v.is_empty() && *v != "null")
    };
    let kind = get("type")?;
    let failed = kind.ends_with("_ERROR");
    // The cause, from the type and the error code, through the dialect
    // catalogue ("Keycloak events").
    let cause = failed
        .then(|| {
            let said = format!("{kind} {}", get("error").unwrap_or(""));
            authdoctor_diagnosis::dialects::read(&said, "log")?.cause
        })
        .flatten();
    Some(Event {
        format: Format::Keycloak,
        ts,
        client: get("ipAddress").map(|c| Cow::Owned(bare_address(c))),
        user: get("username")
            .or_else(|| get("userId"))
            .map(|u| Cow::Owned(u.to_owned())),
        // No route: a user failing at one client after logging in at another
        // is a wrong password, not authorization answered as authentication.
        status: if failed { 401 } else { 200 },
        cause,
        ..Event::default()
    })
}

/// An AWS Application Load Balancer's access log line: type, time, load
/// balancer, client:port, target:port, three timings, the status the
/// balancer answered and the target's, two byte counts, the quoted request
/// and user agent, and more. The status is the balancer's: the one the
/// client saw (401 from its own `authenticate-oidc` action as well).
fn alb(t: &str) -> Option<Event<'_>> {
    let (kind, rest) = split_at_byte(t, b' ')?;
    if !matches!(kind, "http" | "https" | "h2" | "grpcs" | "ws" | "wss") {
        return None;
    }
    let f = envoy_fields(rest);
    let [
        (time, false),
        _,
        (client, false),
        _,
        _,
        _,
        _,
        (status, false),
        _,
        _,
        _,
        (request, true),
        ..,
    ] = f.as_slice()
    else {
        return None;
    };
    let ts = time.parse::<jiff::Timestamp>().ok()?.as_second();
    let status: u16 = status.parse().ok().filter(|s| (100..=599).contains(s))?;
    let (method, target) = split_at_byte(request, b' ')?;
    let target = split_at_byte(target, b' ').map_or(target, |(t, _)| t);
    Some(request_event(
        Format::Alb,
        Some(ts),
        client,
        (method, target),
        status,
    ))
}

/// The fields of a W3C extended log, as its `#Fields:` directive names
/// them: where each that is read stands (IIS: `date time s-ip cs-method
/// cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent)
/// cs(Referer) sc-status sc-substatus sc-win32-status time-taken`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct W3cFields {
    date: Option<usize>,
    time: Option<usize>,
    client: Option<usize>,
    user: Option<usize>,
    method: Option<usize>,
    path: Option<usize>,
    status: Option<usize>,
    substatus: Option<usize>,
    win32: Option<usize>,
    agent: Option<usize>,
}

impl W3cFields {
    /// The fields a `#Fields: …` line names; `None` for another line, or
    /// one without a status.
    pub fn directive(line: &str) -> Option<W3cFields> {
        let names = line.trim().strip_prefix("#Fields:")?;
        let names: Vec<&str> = names.split_whitespace().collect();
        let at = |n: &[&str]| {
            names
                .iter()
                .position(|f| n.iter().any(|x| f.eq_ignore_ascii_case(x)))
        };
        let f = W3cFields {
            date: at(&["date"]),
            time: at(&["time"]),
            client: at(&["c-ip"]),
            user: at(&["cs-username"]),
            method: at(&["cs-method"]),
            path: at(&["cs-uri-stem"]),
            status: at(&["sc-status"]),
            substatus: at(&["sc-substatus"]),
            win32: at(&["sc-win32-status"]),
            agent: at(&["cs(User-Agent)"]),
        };
        f.status.is_some().then_some(f)
    }
}

/// A directive line of a W3C extended log (`#Software:`, `#Version:`,
/// `#Date:`, `#Fields:`, `#Remark:`, CloudFront's and IIS's): read, no
/// request.
pub fn w3c_directive(t: &str) -> Option<Event<'static>> {
    const DIRECTIVES: [&str; 7] = [
        "#Version:",
        "#Fields:",
        "#Software:",
        "#Date:",
        "#Remark:",
        "#Start-Date:",
        "#End-Date:",
    ];
    DIRECTIVES.iter().any(|d| t.starts_with(d)).then(|| Event {
        format: Format::W3c,
        notice: true,
        ..Event::default()
    })
}

/// A W3C extended log's request line, its fields where `fields` says (IIS
/// separates them with spaces and writes a space inside one as `+`,
/// CloudFront with tabs; `-` is no value). The time is UTC, as both write
/// it. IIS's substatus says why a 401 was given: 401.1 a logon that failed
/// (`credentials.invalid`), 401.2 a request with no credentials for the
/// site's scheme (`credentials.missing`), 401.3 the file's access list
/// (`authz.forbidden`); and a 401.1 whose Win32 status is
/// SEC_I_CONTINUE_NEEDED (2148074254) is the middle leg of Windows
/// authentication's handshake, no refusal: counted as read, no more.
pub fn w3c<'a>(t: &'a str, fields: &W3cFields) -> Option<Event<'a>> {
    if t.starts_with('#') {
        return w3c_directive(t);
    }
    let values: Vec<&str> = t.split([' ', '\t']).collect();
    let get = |i: Option<usize>| {
        values
            .get(i?)
            .copied()
            .filter(|v| !v.is_empty() && *v != "-")
    };
    let status: u16 = get(fields.status)?
        .parse()
        .ok()
        .filter(|s| (100..=599).contains(s))?;
    let ts = match (get(fields.date), get(fields.time)) {
        (Some(d), Some(c)) => lead_time(&format!("{d}T{c}Z")),
        _ => None,
    };
    let substatus = get(fields.substatus).and_then(|s| s.parse::<u32>().ok());
    let win32 = get(fields.win32).and_then(|s| s.parse::<u64>().ok());
    if status == 401 && substatus == Some(1) && win32 == Some(2_148_074_254) {
        return Some(Event {
            format: Format::W3c,
            ts,
            notice: true,
            ..Event::default()
        });
    }
    let cause = match (status, substatus) {
        (401, Some(1)) => Some(Cause::CredentialsInvalid),
        (401, Some(2)) => Some(Cause::CredentialsMissing),
        (401, Some(3)) => Some(Cause::AuthzForbidden),
        _ => None,
    };
    Some(Event {
        format: Format::W3c,
        ts,
        client: get(fields.client).map(|c| Cow::Owned(bare_address(c))),
        user: get(fields.user).map(Cow::Borrowed),
        method: get(fields.method).map(Cow::Borrowed),
        path: get(fields.path).map(|p| Cow::Owned(url_path(p))),
        agent: refused(status)
            .then(|| get(fields.agent))
            .flatten()
            .map(|a| Cow::Owned(a.replace('+', " "))),
        status,
        cause,
        ..Event::default()
    })
}

/// uvicorn's access line (its default formatter: the level, a colon,
/// padding, then `address:port - "request" status phrase`) or Django's
/// development server's (`[time] "request" status size`).
fn python(t: &str) -> Option<Event<'_>> {
    let (ts, client, rest) = match t.strip_prefix('[') {
        Some(r) => {
            let (time, rest) = split_at_byte(r, b']')?;
            (Some(clf_time(time)?), None, rest.strip_prefix(" \"")?)
        }
        None => {
            let (level, rest) = split_at_byte(t, b':')?;
            if !matches!(
                level,
                "INFO" | "DEBUG" | "WARNING" | "ERROR" | "CRITICAL" | "TRACE"
            ) {
                return None;
            }
            let (client, rest) = rest.trim_start().split_once(" - \"")?;
            (None, Some(client), rest)
        }
    };
    let (request, rest) = split_request(rest)?;
    let status = rest.split(' ').next()?;
    let status: u16 = status.parse().ok().filter(|s| (100..=599).contains(s))?;
    let (method, target) = split_at_byte(request, b' ')?;
    let target = split_at_byte(target, b' ').map_or(target, |(t, _)| t);
    let mut e = request_event(
        Format::Python,
        ts,
        client.unwrap_or(""),
        (method, target),
        status,
    );
    if client.is_none() {
        e.client = None;
    }
    Some(e)
}

/// morgan's `dev` and `tiny` (`GET /orders 401 1.234 ms - 12`,
/// `GET /orders 401 12 - 1.234 ms`) and `short` (`::1 - GET /orders
/// HTTP/1.1 401 12 - 1.234 ms`): no time in any, an address and user in
/// `short` only.
fn morgan(t: &str) -> Option<Event<'_>> {
    const METHODS: [&str; 9] = [
        "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "CONNECT", "TRACE",
    ];
    let f: Vec<&str> = t.split(' ').filter(|f| !f.is_empty()).collect();
    let status = |s: &str| {
        (s.len() == 3)
            .then(|| s.parse::<u16>().ok())
            .flatten()
            .filter(|s| (100..=599).contains(s))
    };
    let (client, user, method, target, code) = match f.as_slice() {
        [m, target, code, ..] if METHODS.contains(m) => (None, None, *m, *target, status(code)?),
        [client, user, m, target, version, code, ..]
            if METHODS.contains(m) && version.starts_with("HTTP/") =>
        {
            (Some(*client), Some(*user), *m, *target, status(code)?)
        }
        _ => return None,
    };
    // Its lines end with the response time in ms: a stray line that begins
    // with a method is not one of them.
    if !t.ends_with(" ms") && !t.contains(" ms - ") {
        return None;
    }
    Some(Event {
        format: Format::Morgan,
        client: client.map(|c| Cow::Owned(bare_address(c))),
        user: user.filter(|u| *u != "-").map(Cow::Borrowed),
        method: Some(Cow::Borrowed(method)),
        path: Some(Cow::Owned(url_path(target))),
        status: code,
        ..Event::default()
    })
}

/// A line of an application's error report that names no cause by itself
/// (its words were read through the catalogue first): the exception's
/// headline (`UnauthorizedError: invalid token`, Java's
/// `…AuthenticationException: …`), an indented line under it (a stack
/// frame, `    at handler (/app/index.js:12:5)`, or a property Node prints
/// after the stack, `  code: 'invalid_token',`), the brace that closes
/// them, or the line that opens a Python traceback. A line of a known
/// format that says nothing.
fn frame(line: &str) -> Option<Event<'_>> {
    let t = line.trim();
    let headline = t.split_once(": ").is_some_and(|(name, _)| {
        let name = name.rsplit('.').next().unwrap_or(name);
        name.starts_with(|c: char| c.is_ascii_uppercase())
            && (name.ends_with("Error") || name.ends_with("Exception"))
            && name.bytes().all(|b| b.is_ascii_alphanumeric())
    });
    let indented = line.starts_with([' ', '\t']) && !t.is_empty();
    let closing = matches!(t, "}" | "}," | "]" | "],");
    let traceback = t == "Traceback (most recent call last):";
    (headline || indented || closing || traceback).then(|| Event {
        format: Format::Reason,
        notice: true,
        ..Event::default()
    })
}

/// Space-separated fields, a quoted one whole (without its quotes), each
/// with whether it was quoted.
fn envoy_fields(s: &str) -> Vec<(&str, bool)> {
    let mut out = Vec::new();
    let mut rest = s.trim_start();
    while !rest.is_empty() {
        if let Some(q) = rest.strip_prefix('"') {
            let end = memchr::memchr(b'"', q.as_bytes()).unwrap_or(q.len());
            out.push((&q[..end], true));
            rest = q.get(end + 1..).unwrap_or("").trim_start();
        } else {
            let end = memchr::memchr(b' ', rest.as_bytes()).unwrap_or(rest.len());
            out.push((&rest[..end], false));
            rest = rest[end..].trim_start();
        }
    }
    out
}

/// `[Fri Nov 27 03:15:59.667421 2026] [auth_openidc:error] [pid 1:tid 2]
/// [client 127.0.0.1:44422] message`, or any line whose words a known
/// middleware uses for a rejection (with an RFC 3339 time at its start, if
/// there is one).
fn reason(t: &str) -> Option<Event<'_>> {
    let (ts, client, message, known) = match apache_error(t).or_else(|| nginx_error(t)) {
        Some((ts, client, message)) => (ts, client, message, true),
        None => (lead_time(t), None, t, false),
    };
    let said = authdoctor_diagnosis::dialects::read(message, "log");
    // A catch-all names no cause and is no evidence. An Apache or nginx
    // error line that names none (a notice) is still a line of a known
    // format.
    let Some(said) = said.filter(|s| s.cause.is_some()) else {
        return known.then(|| Event {
            format: Format::Reason,
            ts,
            client: client.map(Cow::Owned),
            notice: true,
            ..Event::default()
        });
    };
    // When the refused token expired, where the server's words say (the
    // dialect's `exp` group).
    let token_times = said.expired_at.map(|exp| (None, exp));
    // An application's own line may say who asked, and for what.
    let (client, request) = match client {
        Some(c) => (Some(c), None),
        None => said_by(message),
    };
    Some(Event {
        format: Format::Reason,
        ts,
        client: client.map(Cow::Owned),
        method: request.map(|(m, _)| Cow::Borrowed(m)),
        path: request.map(|(_, p)| Cow::Owned(url_path(p))),
        cause: said.cause,
        token_times,
        reason: Some((said.family, said.text)),
        ..Event::default()
    })
}

/// The client (and the request) an application's log line names, where it
/// names them plainly: an address, with or without its port, followed by a
/// method and a target, as Go services and many others print a request
/// (`127.0.0.1:47390 GET /api/orders: …`); or a logfmt or JSON-ish key
/// (`client_ip=10.0.0.7`, `remote_addr="10.0.0.7:5123"`). Any other
/// address in a line (an upstream's, the issuer's) is not taken for the
/// client.
fn said_by(message: &str) -> (Option<String>, Option<(&str, &str)>) {
    const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
    let address = |w: &str| -> Option<String> {
        let w = w.trim_matches(['"', '\'', ',', ';']);
        let ip = w
            .parse::<std::net::IpAddr>()
            .ok()
            .or_else(|| w.parse::<std::net::SocketAddr>().ok().map(|a| a.ip()))?;
        Some(ip.to_string())
    };
    let words: Vec<&str> = message.split_whitespace().collect();
    for (i, w) in words.iter().enumerate() {
        if let (Some(m), Some(target)) = (words.get(i + 1), words.get(i + 2)) {
            if METHODS.contains(m) && target.starts_with('/') {
                if let Some(client) = address(w) {
                    return (Some(client), Some((m, target.trim_end_matches(':'))));
                }
            }
        }
    }
    const KEYS: [&str; 7] = [
        "client_ip=",
        "client=",
        "remote_addr=",
        "remote_ip=",
        "remoteAddr=",
        "peer=",
        "ip=",
    ];
    let client = words.iter().find_map(|w| {
        let w = w.trim_start_matches(['{', '(', '[']);
        KEYS.iter()
            .find_map(|k| w.strip_prefix(k))
            .and_then(address)
    });
    (client, None)
}

/// nginx's error-log line: its time, the client's address, the message.
/// `2026/11/27 07:47:07 [error] 1234#1234: *5 user "alice": password
/// mismatch, client: 127.0.0.1, server: localhost, request: "GET /admin
/// HTTP/1.1", host: "api.example"`. The time is the server's local time,
/// read as UTC (as Apache's).
fn nginx_error(t: &str) -> Option<(Option<i64>, Option<String>, &str)> {
    let b = t.as_bytes();
    // "YYYY/MM/DD HH:MM:SS [": fixed width.
    if b.len() < 21
        || b[4] != b'/'
        || b[7] != b'/'
        || b[10] != b' '
        || b[19] != b' '
        || b[20] != b'['
    {
        return None;
    }
    let (_level, rest) = t.get(21..)?.split_once("] ")?;
    // "pid#tid: " then, for a request's line, "*connection ".
    let (_pid, rest) = rest.split_once(": ")?;
    let rest = match rest.strip_prefix('*') {
        Some(r) => r.split_once(' ').map_or(r, |(_, m)| m),
        None => rest,
    };
    let (message, context) = rest.split_once(", client: ").unwrap_or((rest, ""));
    let client = context
        .split(',')
        .next()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    let month: usize = t.get(5..7)?.parse().ok()?;
    let ts = clf_time(&format!(
        "{}/{}/{}:{} +0000",
        t.get(8..10)?,
        MONTHS.get(month.checked_sub(1)?)?,
        t.get(..4)?,
        t.get(11..19)?
    ));
    Some((ts, client, message))
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

/// `s` split at the first `b` (an ASCII byte). The fields a log line is
/// cut into are short: a plain loop finds the byte sooner than memchr's
/// call and set-up would.
fn split_at_byte(s: &str, b: u8) -> Option<(&str, &str)> {
    let i = s.bytes().position(|c| c == b)?;
    // An ASCII byte is a character boundary on both sides.
    Some((s.get(..i)?, s.get(i + 1..)?))
}

fn combined(t: &str) -> Option<Event<'_>> {
    // ip ident user [time] "request" status bytes ...
    let (mut client, mut rest) = split_at_byte(t, b' ')?;
    // Behind a load balancer, servers log X-Forwarded-For in the address's
    // place (Apache's `%{X-Forwarded-For}i`): a list, its first address the
    // client's.
    if client.ends_with(',') {
        loop {
            let (hop, after) = split_at_byte(rest, b' ')?;
            rest = after;
            if !hop.ends_with(',') {
                break;
            }
        }
        client = client.trim_end_matches(',');
    }
    let (_ident, rest) = split_at_byte(rest, b' ')?;
    let (user, rest) = split_at_byte(rest, b' ')?;
    let rest = rest.strip_prefix('[')?;
    // A time has no ']'; the common log format's is 26 bytes wide
    // (`26/Nov/2026:17:34:12 +0000`), so its end is looked at first.
    let (time, rest) = match rest.as_bytes().get(26) {
        Some(b']') => (rest.get(..26)?, rest.get(27..)?),
        _ => split_at_byte(rest, b']')?,
    };
    let rest = rest.strip_prefix(" \"")?;
    let (request, rest) = split_request(rest)?;
    let (status, after) = split_at_byte(rest, b' ').unwrap_or((rest, ""));
    let status: u16 = status.parse().ok()?;
    // Combined: `… bytes "referer" "agent"`, and in formats that go on
    // (nginx's `main` adds `"$http_x_forwarded_for"`) more after it: the
    // agent is the second quoted field after the status.
    let agent = refused(status)
        .then(|| {
            let (_bytes, quoted) = split_at_byte(after, b' ')?;
            let (_referer, rest) = quoted.strip_prefix('"')?.split_once("\" \"")?;
            let agent = split_at_byte(rest, b'"').map_or(rest, |(a, _)| a);
            (!agent.is_empty() && agent != "-").then_some(agent)
        })
        .flatten();
    let (method, target) = split_at_byte(request, b' ').unwrap_or((request, ""));
    let target = split_at_byte(target, b' ').map_or(target, |(t, _)| t);
    let path = split_at_byte(target, b'?').map_or(target, |(p, _)| p);
    Some(Event {
        format: Format::Combined,
        ts: clf_time(time),
        // `-`: the header was absent.
        client: (client != "-").then_some(Cow::Borrowed(client)),
        user: (user != "-").then_some(Cow::Borrowed(user)),
        method: Some(Cow::Borrowed(method)),
        path: Some(Cow::Borrowed(path)),
        agent: agent.map(Cow::Borrowed),
        status,
        ..Event::default()
    })
}

/// A combined or common line behind a virtual host's name, as Apache's
/// `vhost_combined` (Debian's `other_vhosts_access.log`) and many nginx
/// formats write it: `api.example:443 10.0.0.7 - - [27/Nov/2026:…] "GET …`.
fn vhost_combined(t: &str) -> Option<Event<'_>> {
    let (vhost, rest) = split_at_byte(t, b' ')?;
    // A host name (and port): no bracket, no quote.
    if vhost.is_empty() || vhost.contains(['[', '"']) {
        return None;
    }
    combined(rest)
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
    // Werkzeug's and Django's `27/Nov/2026 10:07:42`: a space before the
    // clock and no zone (the server's local time, read as UTC).
    let (dt, zone) = match s.as_bytes().get(11) {
        Some(b' ') if s.len() == 20 => (s, "+0000"),
        _ => s.split_once(' ').unwrap_or((s, "+0000")),
    };
    let (date, clock) = dt.split_once([':', ' '])?;
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
    paths.iter().find_map(|p| at(v, p))
}

/// The value at a dotted path; a key that holds the dots itself (an ECS
/// logger's `"http.request.method"`) is tried first.
fn at<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let hit = v.get(path).or_else(|| {
        let mut cur = v;
        for part in path.split('.') {
            // A number steps into an array (Caddy logs a header as a list).
            cur = match part.parse::<usize>() {
                Ok(i) if cur.is_array() => cur.get(i)?,
                _ => cur.get(part)?,
            };
        }
        Some(cur)
    })?;
    (!hit.is_null()).then_some(hit)
}

/// The first of several paths that holds text worth reading: a string or
/// a number; an empty string and `-` (a logger's "none") are nothing.
fn text_at(v: &Value, paths: &[&str]) -> Option<String> {
    paths.iter().find_map(|p| {
        let t = match at(v, p)? {
            Value::String(s) => s.trim().to_owned(),
            Value::Number(n) => n.to_string(),
            _ => return None,
        };
        (!t.is_empty() && t != "-").then_some(t)
    })
}

fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A time as loggers write it: RFC 3339 (with or without a zone, read as
/// UTC without one), the common log format's `26/Nov/2026:17:34:12 +0000`,
/// or a number of seconds, milliseconds, microseconds or nanoseconds since
/// the epoch, told apart by size (pino and bunyan write milliseconds, zap
/// and Caddy seconds with a fraction).
fn json_time(t: &Value) -> Option<i64> {
    let epoch = |f: f64| -> Option<i64> {
        let secs = match f.abs() {
            x if x >= 1e17 => f / 1e9,
            x if x >= 1e14 => f / 1e6,
            x if x >= 1e11 => f / 1e3,
            _ => f,
        };
        secs.is_finite().then_some(secs as i64)
    };
    match t {
        Value::Number(n) => epoch(n.as_f64()?),
        Value::String(s) => {
            let s = s.trim();
            if let Ok(t) = s.parse::<jiff::Timestamp>() {
                return Some(t.as_second());
            }
            if let Ok(dt) = s.replace(' ', "T").parse::<jiff::civil::DateTime>() {
                return jiff::tz::Offset::UTC
                    .to_timestamp(dt)
                    .ok()
                    .map(|t| t.as_second());
            }
            if s.as_bytes().get(2) == Some(&b'/') {
                return clf_time(s);
            }
            epoch(s.parse::<f64>().ok()?)
        }
        _ => None,
    }
}

/// The time a free-form line (an application's or a server's own log)
/// begins with, in the forms loggers write, with or without brackets:
/// - ISO 8601 / RFC 3339, `T` or a space between date and time, a fraction
///   after `.` or `,`, a zone or none (read as UTC, as the servers' local
///   times elsewhere): Java's, Python's, Rust's and most JSON-less loggers'
///   `2026-11-27 09:12:07,123`, `2026-11-27T09:12:07.123+01:00`;
/// - slashes, as Go's standard `log` package writes it (and oauth2-proxy,
///   in brackets): `2026/11/27 09:12:05`;
/// - logfmt's leading `time="…"`, `ts=…`, `t=…` (Traefik, Go kit, Grafana);
/// - klog's (Kubernetes) `E1127 09:12:01.123456` and BSD syslog's `Nov 27
///   09:12:01`, which name no year: the year is the latest that does not
///   put the line more than a day ahead of this machine's clock.
pub fn lead_time(t: &str) -> Option<i64> {
    let s = t.trim_start().trim_start_matches('[');
    for key in ["time=", "ts=", "t=", "timestamp="] {
        if let Some(v) = s.strip_prefix(key) {
            let v = match v.strip_prefix('"') {
                Some(q) => q.split('"').next()?,
                None => v.split([' ', '\t']).next()?,
            };
            return json_time(&Value::String(v.to_owned()));
        }
    }
    let b = s.as_bytes();
    let num = |from: usize, to: usize| -> Option<i64> {
        let d = b.get(from..to)?;
        d.iter()
            .all(u8::is_ascii_digit)
            .then(|| d.iter().fold(0, |n, c| n * 10 + i64::from(c - b'0')))
    };
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    // 2026-11-27T09:12:07.123Z, 2026/11/27 09:12:05
    if matches!(b.get(4), Some(b'-' | b'/'))
        && b.get(7) == b.get(4)
        && matches!(b.get(10), Some(b'T' | b' '))
        && at(13, b':')
        && at(16, b':')
    {
        let mut i = 19;
        if matches!(b.get(i), Some(b'.' | b',')) {
            i += 1;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
        let zone = s.get(i..).unwrap_or("");
        let offset = if zone.starts_with('Z') {
            0
        } else if let Some(sign) = zone
            .strip_prefix(['+', '-'])
            .map(|_| if zone.starts_with('-') { -1 } else { 1 })
        {
            let z = zone.as_bytes();
            let d = |i: usize| {
                z.get(i)
                    .filter(|c| c.is_ascii_digit())
                    .map(|c| i64::from(c - b'0'))
            };
            let hours = d(1)? * 10 + d(2)?;
            let minutes = match z.get(3) {
                Some(b':') => d(4)? * 10 + d(5)?,
                Some(c) if c.is_ascii_digit() => d(3)? * 10 + d(4)?,
                _ => 0,
            };
            sign * (hours * 3600 + minutes * 60)
        } else {
            0
        };
        let (y, mo, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
        return civil_time(y, mo, d, (num(11, 13)?, num(14, 16)?, num(17, 19)?), offset);
    }
    // klog: [IWEF]MMDD hh:mm:ss.uuuuuu
    if matches!(b.first(), Some(b'I' | b'W' | b'E' | b'F'))
        && at(5, b' ')
        && at(8, b':')
        && at(11, b':')
    {
        let (mo, d) = (num(1, 3)?, num(3, 5)?);
        return civil_time(
            year_of(mo, d),
            mo,
            d,
            (num(6, 8)?, num(9, 11)?, num(12, 14)?),
            0,
        );
    }
    // BSD syslog: "Nov 27 09:12:01", "Nov  7 09:12:01"
    let month = MONTHS.iter().position(|m| s.starts_with(m))? as i64 + 1;
    let d = match b.get(4) {
        Some(b' ') => num(5, 6)?,
        _ => num(4, 6)?,
    };
    (at(3, b' ') && at(6, b' ') && at(9, b':') && at(12, b':')).then_some(())?;
    civil_time(
        year_of(month, d),
        month,
        d,
        (num(7, 9)?, num(10, 12)?, num(13, 15)?),
        0,
    )
}

/// The months' names as logs abbreviate them.
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Seconds since the epoch of a civil time at a UTC offset (seconds).
fn civil_time(y: i64, mo: i64, d: i64, (h, mi, s): (i64, i64, i64), offset: i64) -> Option<i64> {
    let dt = jiff::civil::DateTime::new(
        i16::try_from(y).ok()?,
        i8::try_from(mo).ok()?,
        i8::try_from(d).ok()?,
        i8::try_from(h).ok()?,
        i8::try_from(mi).ok()?,
        i8::try_from(s).ok()?,
        0,
    )
    .ok()?;
    let offset = jiff::tz::Offset::from_seconds(i32::try_from(offset).ok()?).ok()?;
    Some(offset.to_timestamp(dt).ok()?.as_second())
}

/// The year of a date a log wrote without one: this machine's year, or
/// the one before when that would put the date more than a day ahead.
fn year_of(month: i64, day: i64) -> i64 {
    static TODAY: std::sync::OnceLock<(i64, i64, i64)> = std::sync::OnceLock::new();
    let (y, m, d) = *TODAY.get_or_init(|| {
        let t = jiff::tz::Offset::UTC.to_datetime(
            jiff::Timestamp::now()
                .checked_add(jiff::SignedDuration::from_hours(24))
                .unwrap_or(jiff::Timestamp::MAX),
        );
        (
            i64::from(t.year()),
            i64::from(t.month()),
            i64::from(t.day()),
        )
    });
    if (month, day) > (m, d) { y - 1 } else { y }
}

/// A client address without its port (`1.2.3.4:5678`, `[::1]:443`), the
/// first of an `X-Forwarded-For` list, an IPv4-mapped IPv6 address
/// (`::ffff:10.0.0.7`, as Node reports one) as the IPv4 address it is.
fn bare_address(c: &str) -> String {
    let c = c.split(',').next().unwrap_or(c).trim();
    let c = match c.strip_prefix('[').and_then(|r| r.split_once(']')) {
        Some((h, _)) => h,
        None => match c.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') && p.bytes().all(|b| b.is_ascii_digit()) => h,
            _ => c,
        },
    };
    c.strip_prefix("::ffff:")
        .filter(|v4| v4.contains('.'))
        .unwrap_or(c)
        .to_owned()
}

/// The path of a request target: a full URL's host dropped, the query cut.
fn url_path(target: &str) -> String {
    let t = match target.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => target,
    };
    t.split(['?', '#']).next().unwrap_or("").to_owned()
}

/// The members where loggers put why a request was refused, in the words
/// of the middleware or gateway that refused it: Envoy's
/// `response_code_details` (`jwt_authn_access_denied{Jwt_is_expired}`), an
/// error object's message (pino-http's `err.message`), an `error` string.
/// AWS API Gateway's `$context.authorizer.error` and `$context.error.message`
/// (as their documentation's examples name them), and the challenge the
/// server answered with where a gateway logs the response's headers
/// (Kong's file and HTTP log: `error_description` inside it).
const WORDS: &[&str] = &[
    "response_code_details",
    "ResponseCodeDetail",
    "err.message",
    "error.message",
    "error_description",
    "authorizerError",
    "authorizer.error",
    "errorMessage",
    "error",
    "err",
    "msg",
    "message",
    "response.headers.www-authenticate",
];

fn json<'a>(v: &Value) -> Option<Event<'a>> {
    // Keycloak's JSON log: the event in the message.
    if v.get("loggerName").and_then(Value::as_str) == Some("org.keycloak.events") {
        let ts = first(v, &["timestamp"]).and_then(json_time);
        return keycloak_event(v.get("message").and_then(Value::as_str)?, ts);
    }
    // The guard's own events (a client flagged, a credential blocked, Redis
    // lost): a line of a known format, not a request.
    if v.get("status").is_none() && v.get("event").is_some_and(Value::is_string) {
        return Some(Event {
            format: Format::Json,
            notice: true,
            ..Event::default()
        });
    }
    // The first member that holds a status code: a logger's `"status":
    // "error"` is no status, and the next path is tried.
    let status = [
        "status",
        "response_code",
        "DownstreamStatus",
        "OriginStatus",
        "status_code",
        "statusCode",
        "response.status",
        "response.status_code",
        "http.response.status_code",
        "http.status_code",
        "res.statusCode",
        "httpRequest.status",
    ]
    .iter()
    .find_map(|p| {
        let s = at(v, p)?;
        let n = s.as_u64().or_else(|| s.as_str()?.trim().parse().ok())?;
        (100..=599).contains(&n).then_some(n as u16)
    })?;
    let ts = first(
        v,
        &[
            "ts",
            "time",
            "timestamp",
            "@timestamp",
            "start_time",
            "StartUTC",
            "time_local",
            "time_iso8601",
            "started_at",
            "requestTimeEpoch",
            "requestTime",
            "date",
        ],
    )
    .and_then(json_time);
    let client = text_at(
        v,
        &[
            "client",
            "client_ip",
            "remote_addr",
            "ClientHost",
            "ClientAddr",
            "downstream_remote_address",
            "request.client_ip",
            "request.remote_ip",
            "remote_ip",
            "req.remoteAddress",
            "httpRequest.remoteIp",
            "client.ip",
            "source.ip",
            "x_forwarded_for",
            "sourceIp",
            "identity.sourceIp",
            "ip",
        ],
    )
    .map(|c| Cow::Owned(bare_address(&c)));
    // nginx's JSON logs often carry `$request` whole: "GET /x?y HTTP/1.1".
    let request_line = text_at(v, &["request"]).and_then(|r| {
        let (m, rest) = r.split_once(' ')?;
        let target = rest.split(' ').next()?;
        Some((m.to_owned(), target.to_owned()))
    });
    let path = text_at(
        v,
        &[
            "route",
            "path",
            "uri",
            "RequestPath",
            "resourcePath",
            "request.uri",
            "request_uri",
            "request.path",
            "url.path",
            "url",
            "req.url",
            "httpRequest.requestUrl",
            "http.url",
        ],
    )
    .or_else(|| request_line.as_ref().map(|r| r.1.clone()))
    .map(|p| Cow::Owned(url_path(&p)));
    let method = text_at(
        v,
        &[
            "method",
            "RequestMethod",
            "httpMethod",
            "request.method",
            "request_method",
            "req.method",
            "httpRequest.requestMethod",
            "http.request.method",
            "http.method",
        ],
    )
    .or_else(|| request_line.map(|r| r.0))
    .map(Cow::Owned);
    // The cause: the guard names it by id; other servers in their words,
    // read through the doctor's dialect catalogue.
    let mut cause = first(v, &["reason", "cause"])
        .and_then(Value::as_str)
        .and_then(Cause::from_id);
    let mut token_times = first(v, &["token_exp"])
        .and_then(Value::as_i64)
        .map(|exp| (first(v, &["token_iat"]).and_then(Value::as_i64), exp));
    if cause.is_none() && matches!(status, 400 | 401 | 403 | 407) {
        if let Some(said) = WORDS
            .iter()
            .filter_map(|p| as_text(at(v, p)?))
            .find_map(|w| {
                authdoctor_diagnosis::dialects::read(&w, "log").filter(|s| s.cause.is_some())
            })
        {
            cause = said.cause;
            token_times = token_times.or(said.expired_at.map(|exp| (None, exp)));
        }
    }
    Some(Event {
        format: Format::Json,
        ts,
        client,
        user: text_at(
            v,
            &[
                "sub",
                "user",
                "client_id",
                "remote_user",
                "user_id",
                "ClientUsername",
                "user.name",
                "user.id",
                "usr.id",
                "consumer.username",
            ],
        )
        .map(Cow::Owned),
        method,
        path,
        status,
        agent: refused(status)
            .then(|| {
                text_at(
                    v,
                    &[
                        "user_agent",
                        "userAgent",
                        "http_user_agent",
                        "request.headers.User-Agent.0",
                        "request_User-Agent",
                        "req.headers.user-agent",
                        "httpRequest.userAgent",
                        "user_agent.original",
                        "http.useragent",
                    ],
                )
            })
            .flatten()
            .map(Cow::Owned),
        node: text_at(v, &["node", "hostname", "instance", "pod", "host.name"]).map(Cow::Owned),
        cause,
        credential: first(v, &["token"]).and_then(as_text).map(Cow::Owned),
        token_times,
        secret: None,
        reason: None,
        notice: false,
    })
}

/// The signs of a secret: a query parameter's `=`, a JWT's `eyJ`, a
/// logged `Authorization` header. A text with none holds no secret.
pub fn secret_signs() -> &'static [memchr::memmem::Finder<'static>; 2] {
    static FINDERS: std::sync::OnceLock<[memchr::memmem::Finder<'static>; 2]> =
        std::sync::OnceLock::new();
    FINDERS.get_or_init(|| {
        [
            memchr::memmem::Finder::new("eyJ"),
            memchr::memmem::Finder::new("uthorization"),
        ]
    })
}

/// Whether a text shows a sign of a secret ([`secret_signs`]).
pub fn may_hold_secret(bytes: &[u8]) -> bool {
    let [jwt, authz] = secret_signs();
    memchr::memchr(b'=', bytes).is_some()
        || jwt.find(bytes).is_some()
        || authz.find(bytes).is_some()
}

/// Whether a line carries a secret itself: a credential in a URL's query
/// (`access_token=`, `api_key=`, `password=` …), a bearer token, a JWT or
/// a Basic credential written out. The kind, never the value.
pub fn secret_in(line: &str) -> Option<&'static str> {
    // Most lines carry neither a query parameter, nor a JWT, nor a logged
    // header: say so without lower-casing them. (One aho-corasick pass for
    // the three was slower on real user agents: its rare-byte prefilter
    // stops at every "Mozilla".)
    if !may_hold_secret(line.as_bytes()) {
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
        assert_eq!(e.agent.as_deref(), Some("curl/8.5"), "a rejection's agent");
        let (_, e) = line(
            r#"127.0.0.1 - - [26/Nov/2026:17:34:12 +0000] "GET / HTTP/1.1" 200 12 "-" "curl/8.5""#,
        )
        .unwrap();
        assert_eq!(e.agent, None, "a success's agent is not read");
        let (_, e) =
            line(r#"127.0.0.1 - - [26/Nov/2026:17:34:12 +0000] "GET / HTTP/1.1" 401 12"#).unwrap();
        assert_eq!(e.agent, None, "the common format has none");
        // nginx's `main` format: X-Forwarded-For after the agent.
        let (_, e) = line(r#"10.0.0.9 - - [26/Nov/2026:17:34:12 +0000] "GET / HTTP/1.1" 401 12 "https://app.example/" "okhttp/4.12" "203.0.113.5""#).unwrap();
        assert_eq!(
            (e.agent.as_deref(), e.client.as_deref()),
            (Some("okhttp/4.12"), Some("10.0.0.9"))
        );
        // Apache's vhost_combined: the virtual host first.
        let (f, e) = line(r#"api.example:443 10.0.0.7 - bob [26/Nov/2026:17:34:12 +0000] "GET /orders HTTP/1.1" 401 12 "-" "curl/8.5""#).unwrap();
        assert_eq!(f, Format::Combined);
        assert_eq!(
            (e.client.as_deref(), e.user.as_deref(), e.status),
            (Some("10.0.0.7"), Some("bob"), 401)
        ); // X-Forwarded-For in the address's place (Apache behind a load
        // balancer): the list's first address; `-` when it was absent.
        let (f, e) = line(r#"203.0.113.7, 10.0.0.1, 10.0.0.2 - - [26/Nov/2026:17:34:12 +0000] "GET /orders HTTP/1.1" 401 12 "-" "curl/8.5""#).unwrap();
        assert_eq!(
            (f, e.client.as_deref(), e.status),
            (Format::Combined, Some("203.0.113.7"), 401)
        );
        let (_, e) = line(
            r#"- - - [26/Nov/2026:17:34:12 +0000] "GET /orders HTTP/1.1" 401 12 "-" "curl/8.5""#,
        )
        .unwrap();
        assert_eq!(e.client, None);
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
    fn gateways_json_logs_kong_and_aws_api_gateway() {
        // Kong's file log: the client, the consumer, and the challenge it
        // answered with (its words say why).
        let (_, e) = line(r#"{"request":{"uri":"/orders","method":"GET","headers":{"authorization":"REDACTED"}},"client_ip":"10.0.0.8","consumer":{"username":"svc-billing"},"response":{"headers":{"www-authenticate":"Bearer realm=\"kong\", error=\"invalid_token\", error_description=\"The access token expired\""},"status":401},"started_at":1795773600000}"#).unwrap();
        assert_eq!(
            (
                e.client.as_deref(),
                e.user.as_deref(),
                e.path.as_deref(),
                e.cause,
                e.ts
            ),
            (
                Some("10.0.0.8"),
                Some("svc-billing"),
                Some("/orders"),
                Some(Cause::TokenExpired),
                Some(1_795_773_600)
            )
        );
        // API Gateway's access log as its documentation's examples name the
        // members: the authorizer's error gives the cause.
        let (_, e) = line(r#"{"requestId":"a1","sourceIp":"10.0.0.9","requestTime":"27/Nov/2026:10:00:00 +0000","httpMethod":"GET","resourcePath":"/orders","status":"401","authorizerError":"the token does not have a valid audience"}"#).unwrap();
        assert_eq!(
            (
                e.client.as_deref(),
                e.method.as_deref(),
                e.path.as_deref(),
                e.cause,
                e.ts
            ),
            (
                Some("10.0.0.9"),
                Some("GET"),
                Some("/orders"),
                Some(Cause::TokenAudienceMismatch),
                Some(1_795_773_600)
            )
        );
    }

    #[test]
    fn w3c_extended_logs_iis_and_cloudfront() {
        let iis = W3cFields::directive("#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken").unwrap();
        // A bad password (401.1, ERROR_LOGON_FAILURE).
        let e = w3c(r"2026-11-27 10:00:03 10.0.0.2 POST /login - 443 CORP\bob 10.0.0.9 python-requests/2.32 - 401 1 1326 2", &iis).unwrap();
        assert_eq!(
            (
                e.ts,
                e.client.as_deref(),
                e.user.as_deref(),
                e.path.as_deref(),
                e.status,
                e.cause
            ),
            (
                Some(1_795_773_603),
                Some("10.0.0.9"),
                Some(r"CORP\bob"),
                Some("/login"),
                401,
                Some(Cause::CredentialsInvalid)
            )
        );
        assert_eq!(e.agent.as_deref(), Some("python-requests/2.32"));
        // No credentials for the site's scheme (401.2); IIS's `+` for a space.
        let e = w3c("2026-11-27 10:00:01 10.0.0.2 GET /api/orders - 443 - 10.0.0.7 Mozilla/5.0+(Windows+NT+10.0) - 401 2 5 3", &iis).unwrap();
        assert_eq!(
            (e.cause, e.user, e.agent.as_deref()),
            (
                Some(Cause::CredentialsMissing),
                None,
                Some("Mozilla/5.0 (Windows NT 10.0)")
            )
        );
        // The middle of Windows authentication's handshake: no refusal.
        let e = w3c("2026-11-27 10:00:01 10.0.0.2 GET /api/orders - 443 - 10.0.0.7 Mozilla/5.0 - 401 1 2148074254 1", &iis).unwrap();
        assert!(e.notice);
        // CloudFront: tabs, its own columns.
        let cf = W3cFields::directive("#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type").unwrap();
        let e = w3c("2026-11-27\t10:00:00\tFRA56-P1\t420\t203.0.113.7\tGET\td111.cloudfront.net\t/api/orders\t403\t-\tcurl/8.5.0\t-\t-\tError", &cf).unwrap();
        assert_eq!(
            (e.ts, e.client.as_deref(), e.path.as_deref(), e.status),
            (
                Some(1_795_773_600),
                Some("203.0.113.7"),
                Some("/api/orders"),
                403
            )
        );
        // Directives are lines of the format; a line short of the status
        // is not, nor a directive without one.
        assert!(
            w3c(
                "#Software: Microsoft Internet Information Services 10.0",
                &iis
            )
            .unwrap()
            .notice
        );
        assert!(w3c("2026-11-27 10:00:01 10.0.0.2", &iis).is_none());
        assert!(W3cFields::directive("#Fields: date time c-ip").is_none());
    }

    #[test]
    fn lines_inside_a_container_runtimes_wrapper() {
        // CRI (a Kubernetes node's /var/log/pods): an ingress-nginx line.
        let (f, e) = line(r#"2026-11-27T10:00:05.123456789Z stdout F 10.0.0.7 - - [27/Nov/2026:10:00:05 +0000] "GET /orders HTTP/1.1" 401 17 "-" "curl/8.5.0""#).unwrap();
        assert_eq!(
            (f, e.client.as_deref(), e.status, e.ts),
            (Format::Combined, Some("10.0.0.7"), 401, Some(1_795_773_605))
        );
        // uvicorn writes no time: the wrapper's is the line's.
        let (f, e) = line(r#"2026-11-27T10:00:05.5Z stderr F INFO:     10.0.0.8:5123 - "GET /orders HTTP/1.1" 401 Unauthorized"#).unwrap();
        assert_eq!(
            (f, e.client.as_deref(), e.ts),
            (Format::Python, Some("10.0.0.8"), Some(1_795_773_605))
        );
        // Docker's json-file driver, around a morgan line and a pino line.
        let (f, e) = line(r#"{"log":"GET /orders 401 1.234 ms - 12\n","stream":"stdout","time":"2026-11-27T10:00:05.1Z"}"#).unwrap();
        assert_eq!(
            (f, e.status, e.ts),
            (Format::Morgan, 401, Some(1_795_773_605))
        );
        let (f, e) = line(r#"{"log":"{\"level\":40,\"time\":1795773605000,\"req\":{\"method\":\"GET\",\"url\":\"/orders\",\"remoteAddress\":\"10.0.0.9\"},\"res\":{\"statusCode\":401}}\n","stream":"stdout","time":"2026-11-27T10:00:06Z"}"#).unwrap();
        assert_eq!(
            (f, e.client.as_deref(), e.status, e.ts),
            (Format::Json, Some("10.0.0.9"), 401, Some(1_795_773_605))
        );
        // kubectl logs --timestamps.
        let (f, e) = line(r#"2026-11-27T10:00:05.123456789Z INFO:     10.0.0.8:5123 - "GET /orders HTTP/1.1" 401 Unauthorized"#).unwrap();
        assert_eq!((f, e.ts), (Format::Python, Some(1_795_773_605)));
        // A wrapper around nothing a format reads is nothing.
        assert!(line("2026-11-27T10:00:05Z stdout F the cache warmed up").is_none());
        assert!(
            line(r#"{"log":"hello\n","stream":"stdout","time":"2026-11-27T10:00:06Z"}"#).is_none()
        );
    }

    #[test]
    fn pythons_servers_request_lines() {
        // uvicorn (FastAPI): the address and port, no time.
        let (f, e) =
            line(r#"INFO:     10.0.0.7:57618 - "GET /api/orders?x=1 HTTP/1.1" 401 Unauthorized"#)
                .unwrap();
        assert_eq!(f, Format::Python);
        assert_eq!(
            (e.client.as_deref(), e.path.as_deref(), e.status, e.ts),
            (Some("10.0.0.7"), Some("/api/orders"), 401, None)
        );
        // Django's runserver: the time, no address.
        let (f, e) = line(r#"[27/Nov/2026 10:07:45] "GET /api/orders HTTP/1.1" 403 58"#).unwrap();
        assert_eq!(f, Format::Python);
        assert_eq!((e.client, e.status, e.ts), (None, 403, Some(1_795_774_065)));
        // Werkzeug (Flask): the common format with Django's time.
        let (f, e) =
            line(r#"127.0.0.1 - - [27/Nov/2026 10:07:45] "GET /api/orders HTTP/1.1" 401 -"#)
                .unwrap();
        assert_eq!((f, e.ts), (Format::Combined, Some(1_795_774_065)));
        // uvicorn's other lines are not requests.
        assert!(python("INFO:     Application startup complete.").is_none());
        assert!(python(r#"NOTICE:  10.0.0.7:1 - "GET / HTTP/1.1" 200 OK"#).is_none());
    }

    #[test]
    fn who_an_applications_line_says_asked() {
        // Go's log, a request as Go services print one.
        let (_, e) = line("2026/11/27 10:46:41 127.0.0.9:47390 GET /api/orders: unauthorized: oidc: token is expired (Token Expiry: 2026-11-27 09:56:41 +0000 UTC)").unwrap();
        assert_eq!(
            (
                e.client.as_deref(),
                e.method.as_deref(),
                e.path.as_deref(),
                e.cause
            ),
            (
                Some("127.0.0.9"),
                Some("GET"),
                Some("/api/orders"),
                Some(Cause::TokenExpired)
            )
        );
        // A key.
        let (_, e) = line(r#"time="2026-11-27T10:00:00Z" level=warning msg="token refused" client_ip="[2001:db8::7]:5123" error="token is expired""#).unwrap();
        assert_eq!(e.client.as_deref(), Some("2001:db8::7"));
        // An address that is not the client's (the issuer's) is not taken.
        let (_, e) =
            line("2026-11-27T10:00:00Z fetching keys from 10.0.0.2:8443 failed; token is expired")
                .unwrap();
        assert_eq!(e.client, None);
    }

    #[test]
    fn the_times_error_lines_begin_with() {
        // 2026-11-27T03:20:00Z
        let t = 1_795_749_600;
        for (text, want) in [
            ("2026-11-27T03:20:00Z x", Some(t)),
            ("2026-11-27T03:20:00.123456789Z x", Some(t)),
            ("2026-11-27T04:20:00+01:00 x", Some(t)),
            ("2026-11-27T04:20:00.5+0100 x", Some(t)),
            ("2026-11-26T22:20:00-05:00 x", Some(t)),
            // Java's, Python's logging: a space, a comma, no zone (UTC).
            ("2026-11-27 03:20:00,123 ERROR [main] x", Some(t)),
            ("[2026-11-27 03:20:00] local.ERROR: x", Some(t)),
            // Go's log package; oauth2-proxy's in brackets.
            ("2026/11/27 03:20:00 x", Some(t)),
            ("[2026/11/27 03:20:00] [oauthproxy.go:1010] x", Some(t)),
            // logfmt.
            (
                r#"time="2026-11-27T03:20:00Z" level=debug msg="x""#,
                Some(t),
            ),
            (
                "ts=2026-11-27T03:20:00.001Z caller=main.go:1 msg=x",
                Some(t),
            ),
            ("t=2026-11-27T03:20:00+0000 lvl=eror msg=x", Some(t)),
            // Not times.
            ("2026-13-27T03:20:00Z x", None),
            ("1127 03:20:00 x", None),
            ("Error: 2026-11-27T03:20:00Z", None),
            ("", None),
            ("2026-11-2", None),
        ] {
            assert_eq!(lead_time(text), want, "{text:?}");
        }
        // klog and syslog name no year: the month, day and time are read,
        // in the latest year that is not ahead of this machine's clock.
        let klog = lead_time("E1127 03:20:00.123456       1 authentication.go:74] x").unwrap();
        let syslog = lead_time("Nov 27 03:20:00 node-a kube-apiserver[1]: x").unwrap();
        let padded = lead_time("Nov  7 03:20:00 node-a kube-apiserver[1]: x").unwrap();
        assert_eq!(klog, syslog);
        assert_eq!((klog - t) % (24 * 3600), 0);
        assert!(klog <= jiff::Timestamp::now().as_second() + 24 * 3600);
        assert!(klog > jiff::Timestamp::now().as_second() - 366 * 24 * 3600);
        assert_eq!(
            jiff::tz::Offset::UTC
                .to_datetime(jiff::Timestamp::from_second(padded).unwrap())
                .day(),
            7
        );
        assert_eq!(lead_time("Nov 27 3:20:00 x"), None);
    }

    #[test]
    fn basic_authentication_in_nginx_and_apache_error_logs() {
        let (f, e) = line(r#"2026/11/27 07:47:07 [error] 1234#1234: *5 user "alice": password mismatch, client: 10.0.0.7, server: localhost, request: "GET /admin HTTP/1.1", host: "127.0.0.1:8080""#).unwrap();
        assert_eq!(f, Format::Reason);
        assert_eq!(
            (e.cause, e.client.as_deref()),
            (Some(Cause::CredentialsInvalid), Some("10.0.0.7"))
        );
        assert_eq!(e.ts, Some(1_795_765_627));
        assert_eq!(e.reason.map(|r| r.0), Some("nginx auth_basic"));
        let (_, e) = line(r#"2026/11/27 07:47:08 [error] 1234#1234: *6 user "bob" was not found in "/etc/nginx/htpasswd", client: 10.0.0.8, server: localhost, request: "GET /admin HTTP/1.1", host: "x""#).unwrap();
        assert_eq!(e.cause, Some(Cause::CredentialsInvalid));
        // A line of nginx's error log that names no rejection: a notice.
        let (f, e) = line("2026/11/27 07:47:00 [notice] 1#1: start worker processes").unwrap();
        assert_eq!((f, e.notice, e.cause), (Format::Reason, true, None));
        let (_, e) = line(r#"[Fri Nov 27 07:47:10.123456 2026] [auth_basic:error] [pid 1:tid 2] [client 10.0.0.9:5000] AH01617: user alice: authentication failure for "/admin": Password Mismatch"#).unwrap();
        assert_eq!(
            (e.cause, e.client.as_deref()),
            (Some(Cause::CredentialsInvalid), Some("10.0.0.9"))
        );
        assert_eq!(e.reason.map(|r| r.0), Some("Apache mod_auth_basic"));
        let (_, e) = line("[Fri Nov 27 07:47:11.123456 2026] [auth_basic:error] [pid 1:tid 2] [client 10.0.0.9:5000] AH01614: client used wrong authentication scheme: /admin").unwrap();
        assert_eq!(e.cause, Some(Cause::SchemeMismatch));
    }

    #[test]
    fn a_coloured_loggers_escapes_are_not_its_words() {
        assert_eq!(
            without_escapes(
                "\u{1b}[0mGET /api/orders \u{1b}[33m401\u{1b}[0m 3.970 ms - 32\u{1b}[0m"
            ),
            "GET /api/orders 401 3.970 ms - 32"
        );
        assert_eq!(
            without_escapes("a\u{1b}]0;title\u{7}b\u{1b}]2;t\u{1b}\\c"),
            "abc"
        );
        assert!(matches!(without_escapes("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn an_express_apps_output_morgan_and_its_errors() {
        let (f, e) = line("GET /orders?x=1 401 1.234 ms - 12").unwrap();
        assert_eq!(f, Format::Morgan);
        assert_eq!(
            (e.status, e.method.as_deref(), e.path.as_deref()),
            (401, Some("GET"), Some("/orders"))
        );
        let (_, e) = line("POST /login 401 12 - 3.123 ms").unwrap();
        assert_eq!((e.status, e.path.as_deref()), (401, Some("/login")));
        let (_, e) = line("::ffff:10.0.0.7 alice GET /admin HTTP/1.1 403 9 - 0.532 ms").unwrap();
        assert_eq!(
            (e.client.as_deref(), e.user.as_deref(), e.status),
            (Some("10.0.0.7"), Some("alice"), 403)
        );
        // A sentence that begins with a method is not a request line.
        assert_eq!(line("GET requests 200 times a day"), None);
        // The error and the frames of its stack: a reason, then notices.
        let (_, e) = line("UnauthorizedError: jwt expired").unwrap();
        assert_eq!(e.cause, Some(Cause::TokenExpired));
        let (f, e) = line("    at /app/node_modules/express-jwt/dist/index.js:133:38").unwrap();
        assert_eq!((f, e.notice), (Format::Reason, true));
        let (_, e) = line("\tat com.example.Api.get(Api.java:42)").unwrap();
        assert!(e.notice);
    }

    #[test]
    fn an_aws_load_balancers_log() {
        // AWS's documented example, its status made a 401.
        let (f, e) = line(r#"https 2026-11-27T08:00:00.086270Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.086 0.048 0.037 401 401 0 57 "GET https://www.example.com:443/orders?x=1 HTTP/1.1" "curl/7.46.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337281-1d84f3d73c47ec4e58577259" "www.example.com" "arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012" 1 2026-11-27T08:00:00.000000Z "authenticate,forward" "-" "-" "10.0.0.1:80" "401" "-" "-""#).unwrap();
        assert_eq!(f, Format::Alb);
        assert_eq!((e.status, e.ts), (401, Some(1_795_766_400)));
        assert_eq!(
            (e.client.as_deref(), e.path.as_deref()),
            (Some("192.168.131.39"), Some("/orders"))
        );
        assert_eq!(line("https not a load balancer line"), None);
    }

    #[test]
    fn haproxys_http_log() {
        let (f, e) = line(r#"Nov 27 08:00:00 lb1 haproxy[14389]: 10.0.1.2:33317 [27/Nov/2026:08:00:00.655] http-in api/srv1 10/0/30/69/109 401 2750 - - ---- 1/1/1/1/0 0/0 {api.example} {} "GET /orders?x=1 HTTP/1.1""#).unwrap();
        assert_eq!(f, Format::Haproxy);
        assert_eq!((e.status, e.ts), (401, Some(1_795_766_400)));
        assert_eq!(
            (e.client.as_deref(), e.method.as_deref(), e.path.as_deref()),
            (Some("10.0.1.2"), Some("GET"), Some("/orders"))
        );
        // Logged raw to standard output (`log stdout format raw`).
        let (f, e) = line(r#"127.0.0.1:52994 [27/Nov/2026:08:00:00.961] fe fe/<NOSRV> 0/-1/-1/-1/0 401 215 - - PR-- 1/1/0/0/0 0/0 "GET /admin?x=1 HTTP/1.1""#).unwrap();
        assert_eq!(
            (f, e.status, e.path.as_deref()),
            (Format::Haproxy, 401, Some("/admin"))
        );
        // An aborted request (no status) is no request line.
        assert_eq!(
            haproxy(
                r#"Nov 27 08:00:00 lb1 haproxy[1]: 10.0.1.2:1 [27/Nov/2026:08:00:00.655] fe be/<NOSRV> -1/-1/-1/-1/0 - 0 - - CR-- 1/1/0/0/0 0/0 "<BADREQ>""#
            ),
            None
        );
    }

    #[test]
    fn keycloaks_event_log() {
        // Keycloak 24 and later: quoted values.
        let (f, e) = line(r#"2026-11-27 08:00:00,199 WARN  [org.keycloak.events] (executor-thread-26) type="LOGIN_ERROR", realmId="15b3a838", realmName="test", clientId="account-console", userId="null", ipAddress="192.168.65.1", error="user_not_found", auth_method="openid-connect", auth_type="code", redirect_uri="http://localhost:8080/realms/test/account", code_id="43d6b49", username="mallory""#).unwrap();
        assert_eq!(f, Format::Keycloak);
        assert_eq!((e.status, e.cause), (401, Some(Cause::CredentialsInvalid)));
        assert_eq!(
            (e.client.as_deref(), e.user.as_deref()),
            (Some("192.168.65.1"), Some("mallory"))
        );
        assert_eq!(e.ts, Some(1_795_766_400));
        // Before: bare values.
        let (_, e) = line("2023-03-07 18:42:31,804 WARN  [org.keycloak.events] (executor-thread-5) type=CLIENT_LOGIN_ERROR, realmId=4a31b970, clientId=orders-sync, userId=null, ipAddress=127.0.0.1, error=invalid_client_credentials, grant_type=client_credentials").unwrap();
        assert_eq!((e.cause, e.user), (Some(Cause::ClientInvalid), None));
        let (_, e) = line("2023-03-07 18:42:31,804 WARN  [org.keycloak.events] (executor-thread-5) type=REFRESH_TOKEN_ERROR, realmId=r, clientId=app, userId=u1, ipAddress=10.0.0.1, error=invalid_token").unwrap();
        assert_eq!(e.cause, Some(Cause::RefreshFailed));
        // A success.
        let (_, e) = line(r#"2026-11-27 08:00:01,000 DEBUG [org.keycloak.events] (executor-thread-7) type="LOGIN", realmId="r", clientId="app", userId="u1", ipAddress="10.0.0.2", username="alice""#).unwrap();
        assert_eq!((e.status, e.cause), (200, None));
        // Keycloak's JSON log.
        let (f, e) = line(r#"{"timestamp":"2026-11-27T08:00:00.414798073Z","loggerName":"org.keycloak.events","level":"WARN","message":"type=\"LOGIN_ERROR\", realmId=\"r\", clientId=\"app\", ipAddress=\"10.0.0.9\", error=\"invalid_user_credentials\", username=\"bob\"","hostName":"keycloak"}"#).unwrap();
        assert_eq!(f, Format::Keycloak);
        assert_eq!(
            (e.cause, e.user.as_deref(), e.ts),
            (
                Some(Cause::CredentialsInvalid),
                Some("bob"),
                Some(1_795_766_400)
            )
        );
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

    /// Lines in the shapes real servers write them (the fields, names and
    /// units of each one's documented default format).
    #[test]
    fn real_json_shapes() {
        // Caddy 2: seconds with a fraction, the request nested, an empty
        // user_id, the Authorization header redacted by Caddy itself.
        let (_, e) = line(r#"{"level":"info","ts":1795714452.5241024,"logger":"http.log.access","msg":"handled request","request":{"remote_ip":"172.17.0.1","remote_port":"41342","client_ip":"10.1.2.3","proto":"HTTP/1.1","method":"GET","host":"api.example","uri":"/orders?page=2","headers":{"Authorization":["REDACTED"]}},"user_id":"","duration":0.0009,"size":12,"status":401}"#).unwrap();
        assert_eq!(e.ts, Some(1_795_714_452));
        assert_eq!(
            e.client.as_deref(),
            Some("10.1.2.3"),
            "the client behind a trusted proxy"
        );
        assert_eq!(
            (e.method.as_deref(), e.path.as_deref()),
            (Some("GET"), Some("/orders"))
        );
        assert_eq!(e.user, None, "an empty user_id is no user");
        assert_eq!(e.agent, None, "no User-Agent header in this line");
        assert_eq!(e.secret, None, "a redacted header is no secret");
        // Traefik: ClientAddr with a port, "-" for no user, a path with
        // its query, nanoseconds in StartUTC.
        let (_, e) = line(r#"{"ClientAddr":"10.9.9.9:51234","ClientHost":"10.9.9.9","ClientUsername":"-","DownstreamStatus":401,"OriginStatus":0,"RequestMethod":"GET","RequestPath":"/admin?x=1","RequestHost":"api.example","StartUTC":"2026-11-26T17:34:12.123456789Z","level":"info","msg":"","time":"2026-11-26T17:34:12Z"}"#).unwrap();
        assert_eq!(
            (e.status, e.user.as_deref(), e.path.as_deref()),
            (401, None, Some("/admin"))
        );
        assert_eq!(e.ts, Some(1_795_714_452));
        // Envoy's JSON log with the details of a jwt_authn refusal, in
        // both spellings Envoy has used.
        for details in [
            "jwt_authn_access_denied{Jwt_is_expired}",
            "jwt_authn_access_denied{Jwt is expired}",
        ] {
            let text = format!(
                r#"{{"start_time":"2026-11-26T17:34:12.000Z","method":"GET","path":"/a","response_code":401,"response_code_details":"{details}","downstream_remote_address":"[::1]:5555","x_forwarded_for":null}}"#
            );
            let (_, e) = line(&text).unwrap();
            assert_eq!(
                (e.cause, e.client.as_deref()),
                (Some(Cause::TokenExpired), Some("::1"))
            );
        }
        let (_, e) = line(r#"{"start_time":"2026-11-26T17:34:12.000Z","method":"GET","path":"/a","response_code":401,"response_code_details":"jwt_authn_access_denied{Jwks_doesn't_have_key_to_match_kid_or_alg_from_Jwt}"}"#).unwrap();
        assert_eq!(e.cause, Some(Cause::TokenUnknownKey));
        let (_, e) = line(r#"{"start_time":"2026-11-26T17:34:12.000Z","method":"GET","path":"/a","response_code":403,"response_code_details":"rbac_access_denied_matched_policy[none]"}"#).unwrap();
        assert_eq!(e.cause, Some(Cause::AuthzForbidden));
        // A success's details name no cause, whatever they say.
        let (_, e) = line(r#"{"start_time":"2026-11-26T17:34:12.000Z","path":"/a","response_code":200,"response_code_details":"via_upstream"}"#).unwrap();
        assert_eq!(e.cause, None);
        // pino-http (Express): milliseconds, req/res objects, an IPv4-mapped
        // address, the error's message in express-jwt's words.
        let (_, e) = line(r#"{"level":30,"time":1795714452123,"pid":7,"hostname":"api-7d9f","req":{"id":1,"method":"GET","url":"/orders?x=1","remoteAddress":"::ffff:10.0.0.7","remotePort":50000},"res":{"statusCode":401},"err":{"type":"UnauthorizedError","message":"jwt expired","stack":"UnauthorizedError: jwt expired"},"responseTime":3,"msg":"request errored"}"#).unwrap();
        assert_eq!(e.ts, Some(1_795_714_452));
        assert_eq!(e.client.as_deref(), Some("10.0.0.7"));
        assert_eq!(
            (e.method.as_deref(), e.path.as_deref()),
            (Some("GET"), Some("/orders"))
        );
        assert_eq!(e.cause, Some(Cause::TokenExpired));
        assert_eq!(e.node.as_deref(), Some("api-7d9f"));
        let (_, e) = line(r#"{"ts":1795714452.5,"request":{"remote_ip":"10.1.2.3","method":"GET","uri":"/a","headers":{"User-Agent":["okhttp/4.12"]}},"status":401}"#).unwrap();
        assert_eq!(
            e.agent.as_deref(),
            Some("okhttp/4.12"),
            "Caddy's header list"
        );
        // nginx with a JSON log_format: $request whole, $time_local, a
        // status written as a string; a virtual host is no node.
        let (_, e) = line(r#"{"time_local":"26/Nov/2026:17:34:12 +0000","remote_addr":"10.0.0.8","remote_user":"alice","request":"POST /login?next=/ HTTP/1.1","status":"401","body_bytes_sent":"12","host":"api.example"}"#).unwrap();
        assert_eq!(e.ts, Some(1_795_714_452));
        assert_eq!(
            (e.method.as_deref(), e.path.as_deref(), e.user.as_deref()),
            (Some("POST"), Some("/login"), Some("alice"))
        );
        assert_eq!((e.status, e.node.as_deref()), (401, None));
        // Google Cloud's load balancer: a full URL, the status nested.
        let (_, e) = line(r#"{"httpRequest":{"requestMethod":"GET","requestUrl":"https://api.example/v1/items?id=3","status":403,"remoteIp":"203.0.113.9"},"timestamp":"2026-11-26T17:34:12.5Z"}"#).unwrap();
        assert_eq!(
            (e.status, e.path.as_deref(), e.client.as_deref()),
            (403, Some("/v1/items"), Some("203.0.113.9"))
        );
        // A logger's own "status" that is no status code: the next member.
        let (_, e) =
            line(r#"{"status":"error","statusCode":401,"time":"2026-11-26 17:34:12"}"#).unwrap();
        assert_eq!((e.status, e.ts), (401, Some(1_795_714_452)));
    }

    #[test]
    fn envoy_and_istio_text_lines() {
        // Envoy's default format; a local reply has no upstream time ("-").
        let (f, e) = line(r#"[2026-11-26T17:34:12.310Z] "GET /api/v1/locations HTTP/2" 401 - 0 14 1 - "10.0.35.28" "nsq2http" "cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2" "locations" "-""#).unwrap();
        assert_eq!(f, Format::Envoy);
        assert_eq!((e.status, e.ts), (401, Some(1_795_714_452)));
        assert_eq!(
            (e.client.as_deref(), e.path.as_deref()),
            (Some("10.0.35.28"), Some("/api/v1/locations"))
        );
        assert_eq!(e.agent.as_deref(), Some("nsq2http"));
        // Istio's: the details name the cause; no X-Forwarded-For, so the
        // downstream remote address is the client.
        let (f, e) = line(r#"[2026-11-26T17:34:12.409Z] "GET /status/418?x=1 HTTP/1.1" 401 - jwt_authn_access_denied{Jwt_issuer_is_not_configured} - "-" 0 29 1 - "-" "curl/8.5.0" "84961386-6d84-929d-98bd-c5aee93b5c88" "httpbin:8000" "-" inbound|80|| - 10.44.1.27:80 10.44.1.23:46520 outbound_.8000_._.httpbin.foo.svc.cluster.local default"#).unwrap();
        assert_eq!(f, Format::Envoy);
        assert_eq!(e.cause, Some(Cause::TokenIssuerMismatch));
        assert_eq!(
            (e.client.as_deref(), e.path.as_deref()),
            (Some("10.44.1.23"), Some("/status/418"))
        );
        let (_, e) = line(r#"[2026-11-26T17:34:12.409Z] "GET /status/418 HTTP/1.1" 200 - via_upstream - "-" 0 135 4 4 "10.1.1.1, 10.2.2.2" "curl/8.5.0" "84961386" "httpbin:8000" "10.44.1.27:80" outbound|8000||httpbin 10.44.1.23:37652 10.0.45.184:8000 10.44.1.23:46520 - default"#).unwrap();
        assert_eq!(
            (e.status, e.cause, e.client.as_deref()),
            (200, None, Some("10.1.1.1"))
        );
        // Apache's error lines are not Envoy's (their time is no RFC 3339).
        let (f, _) = line("[Fri Nov 27 03:15:58.575968 2026] [mpm_event:notice] [pid 1:tid 1] AH00489: Apache/2.4.71 (Debian) configured").unwrap();
        assert_eq!(f, Format::Reason);
    }

    #[test]
    fn a_forced_format_reads_nothing_else() {
        let clf = r#"127.0.0.1 - - [26/Nov/2026:17:34:12 +0000] "GET / HTTP/1.1" 401 0 "-" "-""#;
        assert_eq!(
            line_as(clf, Format::Combined).map(|(f, _)| f),
            Some(Format::Combined)
        );
        assert_eq!(line_as(clf, Format::Json), None);
        assert_eq!(line_as(r#"{"status":401}"#, Format::Combined), None);
        assert!(line_as(r#"{"status":401}"#, Format::Json).is_some());
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
