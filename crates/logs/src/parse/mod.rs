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

/// Where the literal `needle` first is in the text `hay`, by a searcher
/// built once for the process. `str::contains`, `split_once` with a string
/// and `memmem::find` build theirs on every call, which on a short line
/// costs more than the search: a line no format takes (most of an
/// application's log) was tried for a dozen such words, a quarter of its
/// reading.
macro_rules! find_literal {
    ($hay:expr, $needle:literal) => {{
        static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
            std::sync::LazyLock::new(|| memchr::memmem::Finder::new($needle));
        FINDER.find(str::as_bytes($hay))
    }};
}

/// `split_once` on the literal `needle`, by [`find_literal!`]'s searcher.
macro_rules! split_literal {
    ($hay:expr, $needle:literal) => {{
        let hay: &str = $hay;
        find_literal!(hay, $needle)
            .and_then(|at| Some((hay.get(..at)?, hay.get(at + $needle.len()..)?)))
    }};
}

mod access;
mod errors;
mod idp;
mod json;
mod keycloak;
mod logfmt;
mod rails;
mod time;

use access::*;
pub use access::{W3cFields, w3c, w3c_directive};
use errors::*;
use idp::*;
use json::*;
use keycloak::*;
use logfmt::*;
pub use rails::{RailsLine, rails};
pub use time::lead_time;
use time::*;

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
    /// oauth2-proxy's request and authentication logs (its default
    /// formats): `10.0.0.7 - 4f3c… - alice@example.com [27/Nov/2026:10:00:00
    /// +0000] api.example GET - "/orders" HTTP/1.1 "curl/8" 401 21 0.001`
    /// and `… [AuthFailure] Invalid authentication via OAuth2: unauthorized`.
    OAuth2Proxy,
    /// Go web frameworks' request loggers: Gin's default (`[GIN]
    /// 2026/11/27 - 10:00:00 | 401 | 1.2ms | 10.0.0.7 | GET "/orders"`)
    /// and chi's (`2026/11/27 10:00:00 "GET http://host/orders HTTP/1.1"
    /// from 10.0.0.7:5123 - 401 36B in 1.2ms`).
    GoWeb,
    /// Rails' request log: `Started GET "/orders" for 10.0.0.7 at …`, the
    /// controller's lines, then `Completed 401 Unauthorized in 2ms`, paired
    /// by the scan ([`rails`]).
    Rails,
    /// ASP.NET Core's request lines (`Request finished HTTP/1.1 GET
    /// http://host/orders - 401 0 - 1.2ms`), with its console logger's
    /// headers (`info: Category[2]`).
    AspNet,
    /// Identity providers' event logs exported as JSON lines: Auth0's and
    /// Okta's System Log (logins and token exchanges, failed or not).
    Idp,
    /// `key=value` pairs that record a request (Go's slog and logrus,
    /// Heroku's router, Rails' lograge): `time=… method=GET path=/orders
    /// status=401 remote_addr=10.0.0.7`.
    Logfmt,
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
/// 403, 407; and the statuses some families answer for a 401: Laravel's
/// 419, IIS and Exchange's 440, ArcGIS's 498): the lines whose details (the
/// agent) are worth reading. Not 499, which ArcGIS answers for a missing
/// token but nginx writes to its own log for a client that closed its
/// connection.
pub fn refused(status: u16) -> bool {
    matches!(status, 401 | 403 | 407 | 419 | 440 | 498)
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
    // A JSON line is parsed once: read as a request or a reason, else as a
    // wrapper around another line.
    let value = t
        .starts_with('{')
        .then(|| serde_json::from_str::<Value>(t).ok())
        .flatten();
    match (format, &value) {
        (_, Some(v)) => *out = json_as(format, v).or_else(|| unwrapped_json(v, format)),
        // A `{` line that is no JSON is nothing, unless a text format is
        // named for it.
        (None | Some(Format::Json | Format::Idp), None) if t.starts_with('{') => {}
        // The common format first, written straight into the slot (an
        // event passed back through `detect` cost the common line a tenth
        // of its time).
        (None, None) => {
            *out = combined(t);
            if out.is_none() {
                *out = others(text, t, true);
            }
        }
        (Some(_), None) => *out = detect(text, t, format, true),
    }
    match out {
        None if value.is_none() => *out = unwrapped_text(t, format),
        None => {}
        // An error line that a syslog daemon wrote (read whole, its time
        // and all): its host is its node.
        Some(e) if e.reason.is_some() && e.node.is_none() => {
            e.node = syslog(t).map(|(_, host, _)| Cow::Borrowed(host));
        }
        Some(_) => {}
    }
    if secrets {
        if let Some(e) = out.as_mut() {
            e.secret = secret_in(t);
        }
    }
}

/// A request that was answered without a refusal (status below 400), as
/// a common or combined line tells it: all that such a line counts for.
pub struct Answered<'a> {
    /// Seconds since the epoch.
    pub ts: Option<i64>,
    /// The status.
    pub status: u16,
    /// The client's address.
    pub client: Option<&'a str>,
    /// The authenticated user.
    pub user: Option<&'a str>,
    /// The path, without the query, where the line names a user (only a
    /// user's tally counts it).
    pub path: Option<&'a str>,
}

/// A common or combined line (most lines of most access logs) that tells
/// of a request answered without a refusal, read without making an
/// [`Event`] (a third of such a line's time went into making, moving and
/// dropping one). `None` for any other line, to be read by [`read_into`]:
/// a line that does not begin with a digit (an address's first), a
/// refusal or an error, another format.
pub fn answered(line: &str) -> Option<Answered<'_>> {
    if !line.as_bytes().first()?.is_ascii_digit() {
        return None;
    }
    let c = access::common(line.trim_end())?;
    (c.status < 400).then(|| Answered {
        ts: clf_time(c.time),
        status: c.status,
        client: c.client,
        user: c.user,
        // Counted only for a user's tally.
        path: c.user.map(|_| c.path),
    })
}

/// The line (`t` trimmed) read as `format`, or as the first format it is
/// in; error lines among them only when `errors`.
#[inline]
fn detect<'a>(
    line: &'a str,
    t: &'a str,
    format: Option<Format>,
    errors: bool,
) -> Option<Event<'a>> {
    match format {
        Some(f) => read_as(f, line, t),
        // A JSON object is JSON or nothing.
        None if t.starts_with('{') => json_line(t),
        // The common format first, called directly (a loop over all of
        // them cost the common line 7 ns); then all of them.
        None => combined(t).or_else(|| others(line, t, errors)),
    }
}

/// The line as the first of the text formats it is in; error lines only
/// when `errors`. Its callers have read it as the common format already:
/// of that format, only a virtual host before the line is left to try.
fn others<'a>(line: &'a str, t: &'a str, errors: bool) -> Option<Event<'a>> {
    DETECTED
        .iter()
        .filter(|f| errors || **f != Format::Reason)
        .find_map(|f| match f {
            Format::Combined => vhost_combined(t),
            f => read_as(*f, line, t),
        })
}

/// A JSON line that is a wrapper a container runtime, journald, a log
/// store or a shipper wrote around another line, read as that line in
/// whatever format it is, with the wrapper's time where the line has none
/// and the wrapper's host, pod or stream as its node ([`wrapped`]):
/// - Docker's json-file driver: `{"log":"<line>\n","stream":"stdout",
///   "time":"2026-11-27T10:00:00.123456789Z"}`, and Fluent Bit's
///   Kubernetes records (the same, with `kubernetes.pod_name`);
/// - `journalctl -o json`: `{"MESSAGE":"<line>","_HOSTNAME":"web-1",
///   "__REALTIME_TIMESTAMP":"1795773600000000",…}`;
/// - Google Cloud Logging's exports: `{"textPayload":"<line>",
///   "timestamp":…,"resource":{"labels":{"pod_name":…}}}`, and
///   `jsonPayload` holding an application's JSON line;
/// - Elasticsearch's documents (elasticdump's lines): `{"_index":…,
///   "_source":{<an ECS or application JSON line>}}`;
/// - a shipper's `message` around a raw line: CloudWatch Logs' events
///   (`logStreamName` the node), Vector's and Fluentd's records (`host`).
fn unwrapped_json(v: &Value, format: Option<Format>) -> Option<Event<'static>> {
    // Read as the line inside, read as `format` (`errors`: error lines among
    // them), one wrapper deep: a line inside is never unwrapped again.
    let inside = |line: &str, ts, node: Option<&str>, errors| {
        wrapped(detect(line, line.trim(), format, errors), ts, node)
    };
    if let Some(line) = v.get("MESSAGE").and_then(Value::as_str) {
        return inside(
            line.trim_end(),
            v.get("__REALTIME_TIMESTAMP").and_then(json_time),
            v.get("_HOSTNAME").and_then(Value::as_str),
            true,
        );
    }
    let node = json::text_at(
        v,
        &[
            "kubernetes.pod_name",
            "resource.labels.pod_name",
            "resource.labels.instance_id",
        ],
    );
    let ts = ["time", "timestamp", "@timestamp"]
        .iter()
        .find_map(|k| v.get(*k).and_then(json_time));
    if let Some(line) = v.get("textPayload").and_then(Value::as_str) {
        return inside(line.trim_end(), ts, node.as_deref(), true);
    }
    // Google's jsonPayload, and Elasticsearch's documents as elasticdump
    // and the bulk API write them (`_source`): read where they lie.
    if let Some(payload) = ["jsonPayload", "_source"]
        .iter()
        .find_map(|k| v.get(*k).filter(|p| p.is_object()))
    {
        // The payload a request or a reason; else a wrapper itself (a
        // Filebeat document: the raw line in its `message`).
        let e = json_as(format, payload).or_else(|| unwrapped_json(payload, format));
        return wrapped(e, ts, node.as_deref());
    }
    if let Some(line) = v.get("log").and_then(Value::as_str) {
        v.get("stream")?;
        return inside(line.trim_end(), ts, node.as_deref(), true);
    }
    // A shipper's record around a raw line: CloudWatch Logs' events
    // (`aws logs filter-log-events`, subscriptions), Vector's and
    // Fluentd's `message`. Its words were read for a reason already.
    let line = v.get("message")?.as_str()?;
    // Filebeat's and Elastic Agent's (ECS): `host.name`, the pod's name.
    let node = node.or_else(|| {
        json::text_at(
            v,
            &[
                "logStreamName",
                "host",
                "hostname",
                "kubernetes.pod.name",
                "host.name",
            ],
        )
    });
    inside(line.trim_end(), ts, node.as_deref(), false)
}

/// A JSON line read as `format` (any JSON form where none is named), not
/// unwrapped: a request, a reason, an event.
fn json_as(format: Option<Format>, v: &Value) -> Option<Event<'static>> {
    match format {
        None | Some(Format::Json | Format::Keycloak) => json(v),
        Some(Format::Idp) => json(v).filter(|e| e.format == Format::Idp),
        Some(_) => None,
    }
}

/// The event read inside a wrapper, with the wrapper's time where the line
/// has none and the wrapper's host (or pod, or stream) as its node.
fn wrapped(e: Option<Event<'_>>, ts: Option<i64>, node: Option<&str>) -> Option<Event<'static>> {
    let mut e = e?.into_owned();
    e.ts = e.ts.or(ts);
    if e.node.is_none() {
        e.node = node.map(|n| Cow::Owned(n.to_owned()));
    }
    Some(e)
}

/// A text line inside a wrapper, read as [`unwrapped_json`] reads a JSON
/// one:
/// - syslog ([`syslog`]): nginx's `access_log syslog:`, rsyslog's files,
///   `journalctl`'s default output, the host the node;
/// - CRI (containerd, CRI-O; the files under a Kubernetes node's
///   /var/log/pods): `2026-11-27T10:00:00.123456789Z stdout F <line>`;
/// - `kubectl logs --timestamps`: `2026-11-27T10:00:00.123456789Z <line>`;
/// - Loki's `logcli query` output: `2026-11-27T10:00:00Z {app="nginx",
///   pod="web-1"} <line>`, its pod label the node.
fn unwrapped_text<'a>(t: &'a str, format: Option<Format>) -> Option<Event<'a>> {
    // `errors`: whether error lines are read inside; not behind a bare time
    // (`kubectl logs --timestamps`), which the error lines' reader has
    // read already, time and all.
    let inside = |line: &str, ts, node: Option<&str>, errors| {
        wrapped(detect(line, line.trim(), format, errors), ts, node)
    };
    if let Some((ts, host, line)) = syslog(t) {
        if let Some(e) = inside(line, ts, Some(host), true) {
            return Some(e);
        }
    }
    let (time, rest) = split_at_byte(t, b' ')?;
    let time = Some(time.parse::<jiff::Timestamp>().ok()?.as_second());
    let cri = split_at_byte(rest, b' ').and_then(|(stream, rest)| {
        let (tag, line) = split_at_byte(rest, b' ')?;
        (matches!(stream, "stdout" | "stderr") && matches!(tag, "F" | "P")).then_some(line)
    });
    if cri.is_none() {
        if let Some((labels, line)) = loki_labels(rest) {
            let node = ["pod", "instance", "host", "hostname", "node"]
                .iter()
                .find_map(|k| label(labels, k));
            return inside(line, time, node, true);
        }
    }
    // `kubectl logs --timestamps`: the time, then the line.
    inside(cri.unwrap_or(rest), time, None, cri.is_some())
}

/// Loki's stream labels before a line (`{app="nginx", pod="web-1"} <line>`,
/// as `logcli query` prints them): the labels' text and the line.
fn loki_labels(rest: &str) -> Option<(&str, &str)> {
    let body = rest.strip_prefix('{')?;
    let end = memchr::memmem::find(body.as_bytes(), b"\"} ")?;
    body.get(..end)?.contains("=\"").then_some(())?;
    Some((body.get(..=end)?, body.get(end + 3..)?))
}

/// A label's value among Loki's stream labels (`app="nginx", pod="web-1"`).
fn label<'a>(labels: &'a str, key: &str) -> Option<&'a str> {
    labels.split(", ").find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k.trim() == key).then(|| v.trim_matches('"'))
    })
}

/// A syslog message's time, host and text, as daemons write one around a
/// program's line:
/// - RFC 3164 and rsyslog's and journalctl's default: `Nov 27 10:00:00
///   web-1 nginx[812]: <line>` (the year the latest that does not put it
///   ahead of this machine's clock), or with an RFC 3339 time (rsyslog's
///   high-precision format), and `<PRI>` before it as sent over a network;
/// - RFC 5424: `<190>1 2026-11-27T10:00:00.123Z web-1 nginx 812 - -
///   <line>`, structured data (`[id k="v"]`) skipped.
fn syslog(t: &str) -> Option<(Option<i64>, &str, &str)> {
    let rest = match t.strip_prefix('<') {
        Some(r) => {
            let (pri, r) = r.split_once('>')?;
            if pri.is_empty() || pri.len() > 3 || !pri.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            r
        }
        None => t,
    };
    if let Some(r) = rest.strip_prefix("1 ") {
        let mut f = r.splitn(6, ' ');
        let (time, host) = (f.next()?, f.next()?);
        let (_app, _pid, _msgid, data) = (f.next()?, f.next()?, f.next()?, f.next()?);
        let msg = match data.strip_prefix('-') {
            Some(m) => m.strip_prefix(' ').unwrap_or(m),
            None => structured_data_end(data)?,
        };
        let msg = msg.strip_prefix('\u{feff}').unwrap_or(msg);
        let ts = (time != "-")
            .then(|| time.parse::<jiff::Timestamp>().ok())
            .flatten();
        return Some((ts.map(|t| t.as_second()), host, msg));
    }
    let (ts, rest) = match rest.get(..15) {
        // `Nov 27 10:00:00`, `Nov  7 10:00:00`.
        Some(head)
            if rest.as_bytes().get(15) == Some(&b' ')
                && head.as_bytes().get(3) == Some(&b' ')
                && head.as_bytes().get(9) == Some(&b':') =>
        {
            (Some(lead_time(head)?), rest.get(16..)?)
        }
        _ => {
            let (time, r) = split_at_byte(rest, b' ')?;
            (Some(time.parse::<jiff::Timestamp>().ok()?.as_second()), r)
        }
    };
    let (host, r) = split_at_byte(rest, b' ')?;
    let (tag, msg) = r.split_once(": ")?;
    // The program's name, its process id in brackets after it.
    let name = match tag.split_once('[') {
        Some((name, pid)) => {
            let pid = pid.strip_suffix(']')?;
            pid.bytes().all(|b| b.is_ascii_digit()).then_some(name)?
        }
        None => tag,
    };
    let ok = !host.is_empty()
        && (1..=48).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/' | b'@'));
    ok.then_some((ts, host, msg))
}

/// What follows an RFC 5424 message's structured data (one or more
/// `[id name="value"…]`, a value's `"`, `]` and `\` escaped by `\`).
fn structured_data_end(data: &str) -> Option<&str> {
    let b = data.as_bytes();
    let (mut i, mut quoted) = (0, false);
    while i < b.len() {
        match b[i] {
            b'\\' if quoted => i += 1,
            b'"' => quoted = !quoted,
            b']' if !quoted && b.get(i + 1) != Some(&b'[') => {
                let rest = data.get(i + 1..)?;
                return Some(rest.strip_prefix(' ').unwrap_or(rest));
            }
            _ => {}
        }
        i += 1;
    }
    None
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
const DETECTED: [Format; 13] = [
    Format::Combined,
    Format::OAuth2Proxy,
    Format::Envoy,
    Format::Morgan,
    Format::Python,
    Format::W3c,
    Format::Alb,
    Format::Keycloak,
    Format::Haproxy,
    Format::Logfmt,
    Format::GoWeb,
    Format::AspNet,
    Format::Reason,
];

/// A line read as one format: `t` is the line trimmed, which every
/// reader takes but the stack frame's (told by its indentation).
#[inline]
fn read_as<'a>(f: Format, line: &'a str, t: &'a str) -> Option<Event<'a>> {
    match f {
        Format::Combined => combined(t).or_else(|| vhost_combined(t)),
        Format::Json => json_line(t),
        Format::Idp => json_line(t).filter(|e| e.format == Format::Idp),
        Format::Envoy => envoy(t),
        Format::Morgan => morgan(t),
        Format::Python => python(t),
        // Its requests need the file's `#Fields:` ([`w3c`], by the scan).
        Format::W3c => w3c_directive(t),
        Format::Alb => alb(t),
        Format::Haproxy => haproxy(t),
        Format::Logfmt => logfmt(t),
        Format::OAuth2Proxy => oauth2_proxy(t),
        Format::AspNet => aspnet(t),
        Format::GoWeb => go_web(t),
        // Its requests span lines: the scan reads them ([`rails`]).
        Format::Rails => None,
        Format::Keycloak => keycloak(t).or_else(|| json_line(t)),
        Format::Reason => reason(t).or_else(|| frame(line)),
    }
}

/// The request methods a log line may name.
const METHODS: [&str; 9] = [
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "CONNECT", "TRACE",
];

/// `s` split at the first `b` (an ASCII byte). The fields a log line is
/// cut into are short: a plain loop finds the byte sooner than memchr's
/// call and set-up would.
fn split_at_byte(s: &str, b: u8) -> Option<(&str, &str)> {
    let i = find_byte(s.as_bytes(), b)?;
    // An ASCII byte is a character boundary on both sides.
    Some((s.get(..i)?, s.get(i + 1..)?))
}

/// The first place of byte `c` (ASCII) in `b`: among the first 64 bytes
/// eight at a time ([`first_places`]), past them by memchr. A log line's
/// fields are short: a loop over their bytes mispredicted its exit on
/// each field of another length, and memchr's call and set-up cost more
/// than the search.
pub(super) fn find_byte(b: &[u8], c: u8) -> Option<usize> {
    match first_places::<1>(b, c) {
        Some([i]) => Some(i),
        None => {
            let rest = b.get(64..)?;
            memchr::memchr(c, rest).map(|i| i + 64)
        }
    }
}

/// The places of the first `N` bytes `c` (ASCII) among the first 64 of
/// `b`, or `None` if fewer are there: eight bytes at a time, each place
/// taken from the word's bits, stopping at the `N`th. (A mask of all 64
/// bytes, gathered with a multiply per word, cost more than the rest of a
/// common line's head: compiled for x86-64's baseline, the multiplies were
/// emulated with vector instructions, and every word was read.)
fn first_places<const N: usize>(b: &[u8], c: u8) -> Option<[usize; N]> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let mut out = [0; N];
    let mut n = 0;
    let head = b.get(..64).unwrap_or(b);
    let mut words = head.chunks_exact(8);
    for (k, w) in (&mut words).enumerate() {
        // A byte of `x` is zero where the byte is `c`; the high bit of each
        // byte of `hit` says which (exactly: no carry crosses bytes).
        let x = u64::from_le_bytes(w.try_into().unwrap_or_default()) ^ (ONES * u64::from(c));
        let mut hit = !(((x & LOW7) + LOW7) | x) & !LOW7;
        while hit != 0 {
            *out.get_mut(n)? = 8 * k + (hit.trailing_zeros() / 8) as usize;
            n += 1;
            if n == N {
                return Some(out);
            }
            hit &= hit - 1;
        }
    }
    let done = head.len() - words.remainder().len();
    for (i, x) in words.remainder().iter().enumerate() {
        if *x == c {
            *out.get_mut(n)? = done + i;
            n += 1;
            if n == N {
                return Some(out);
            }
        }
    }
    None
}

/// The place of the first byte of `b` at or after `from` that is one of
/// `set` (ASCII bytes), eight bytes at a time: each word is compared with
/// every byte of the set at once ([`first_places`]' test), so a field
/// that ends at one byte or another costs one pass, not one per byte.
pub(super) fn first_any<const N: usize>(b: &[u8], from: usize, set: [u8; N]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let rest = b.get(from..)?;
    let mut words = rest.chunks_exact(8);
    for (k, w) in (&mut words).enumerate() {
        let w = u64::from_le_bytes(w.try_into().unwrap_or_default());
        let mut hit = 0;
        for c in set {
            let x = w ^ (ONES * u64::from(c));
            hit |= !(((x & LOW7) + LOW7) | x) & !LOW7;
        }
        if hit != 0 {
            return Some(from + 8 * k + (hit.trailing_zeros() / 8) as usize);
        }
    }
    let done = rest.len() - words.remainder().len();
    words
        .remainder()
        .iter()
        .position(|x| set.contains(x))
        .map(|i| from + done + i)
}

/// The proxies trusted to write `X-Forwarded-For` (`authdoctor logs
/// --trusted-proxies`), once for the process; none given, a list's first
/// public address is the client.
static TRUSTED_PROXIES: std::sync::OnceLock<Vec<ipnet::IpNet>> = std::sync::OnceLock::new();

/// Reads `X-Forwarded-For` as `proxies` write it, for every line read
/// after (the process's setting: given once, before any reading). False if
/// it was given already.
pub fn trust_proxies(proxies: Vec<ipnet::IpNet>) -> bool {
    TRUSTED_PROXIES.set(proxies).is_ok()
}

/// The client of a request that `peer` (a line's address, `-` for none)
/// logged with the `X-Forwarded-For` `list`, where the list names another
/// than the peer; `None` keeps the peer.
/// - Proxies trusted ([`trust_proxies`]): only a trusted peer's list is
///   believed, and in it the last address that is not a trusted proxy,
///   walking back from the one the nearest proxy appended (as the guard
///   and nginx's `real_ip_recursive` read it): an address a client wrote
///   into the header itself is never reached.
/// - Otherwise: an internal peer's list (a balancer's), its first public
///   address, as GoAccess reads it.
fn behind<'a>(peer: &str, list: &'a str) -> Option<&'a str> {
    match TRUSTED_PROXIES.get() {
        Some(proxies) => {
            if peer != "-" && !peer.parse().is_ok_and(|ip| trusted(proxies, &ip)) {
                return None;
            }
            last_untrusted(list, proxies)
        }
        None if peer == "-" || is_internal(peer) => first_public_address(list),
        None => None,
    }
}

fn trusted(proxies: &[ipnet::IpNet], ip: &std::net::IpAddr) -> bool {
    proxies.iter().any(|n| n.contains(ip))
}

/// An `X-Forwarded-For` list's client where `proxies` are trusted, read as
/// the guard reads it ([`authdoctor_httpauth::forwarded::last_untrusted`]).
fn last_untrusted<'a>(list: &'a str, proxies: &[ipnet::IpNet]) -> Option<&'a str> {
    authdoctor_httpauth::forwarded::last_untrusted(list.split(','), |ip| trusted(proxies, ip))
        .map(|(hop, _)| hop)
}

/// The client an `X-Forwarded-For` list logged in the address's place
/// names (Apache's `%{X-Forwarded-For}i`: no peer beside it), if any.
fn listed_client(list: &str) -> Option<&str> {
    match TRUSTED_PROXIES.get() {
        Some(proxies) => last_untrusted(list, proxies),
        None => first_public_address(list),
    }
}

/// The first public address of an `X-Forwarded-For` list (the client, as
/// GoAccess reads one), or `None` when it names none or is not such a
/// list.
fn first_public_address(list: &str) -> Option<&str> {
    let mut first = None;
    // Squid writes `unknown` for a hop it could not tell.
    for hop in list.split(',').map(str::trim).filter(|h| *h != "unknown") {
        let ip: std::net::IpAddr = hop.parse().ok()?;
        if first.is_none() && !is_internal_ip(ip) {
            first = Some(hop);
        }
    }
    first
}

/// Whether an address is a private network's, a loopback, or a link's
/// (a balancer's, a proxy's beside the server).
pub(crate) fn is_internal(addr: &str) -> bool {
    addr.parse().is_ok_and(is_internal_ip)
}

fn is_internal_ip(ip: std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(v4) => {
            v4.is_private() || v4.is_loopback() || v4.is_link_local() || v4.is_unspecified()
        }
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_internal_ip(std::net::IpAddr::V4(v4)),
            None => {
                v6.is_loopback()
                    || v6.is_unspecified()
                    || v6.is_unique_local()
                    || v6.is_unicast_link_local()
            }
        },
    }
}

/// A client address without its port (`1.2.3.4:5678`, `[::1]:443`), the
/// first of an `X-Forwarded-For` list, an IPv4-mapped IPv6 address
/// (`::ffff:10.0.0.7`, as Node reports one) as the IPv4 address it is.
pub fn bare_address(c: &str) -> String {
    let c = match c.split_once(',') {
        // An X-Forwarded-For list: the client it names, else its first.
        Some((first, _)) => listed_client(c).unwrap_or(first.trim()),
        None => c.trim(),
    };
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
    fn the_first_places_of_a_byte_are_every_place_of_it_in_order_and_no_other() {
        let line =
            r#"10.0.0.1 - alice [26/Nov/2026:17:34:12 +0000] "GET /orders HTTP/1.1" 200 5 "-" "é""#;
        for len in [0, 1, 7, 8, 9, 20, 63, 64, line.len()] {
            let b = &line.as_bytes()[..len];
            for c in [b' ', b'"', b'[', b'\0', 0x7f] {
                let all: Vec<usize> = b
                    .iter()
                    .take(64)
                    .enumerate()
                    .filter(|(_, x)| **x == c)
                    .map(|(i, _)| i)
                    .collect();
                let want = |n: usize| all.get(..n).map(<[usize]>::to_vec);
                assert_eq!(
                    first_places::<1>(b, c).map(Vec::from),
                    want(1),
                    "{c} in {len} bytes"
                );
                assert_eq!(
                    first_places::<3>(b, c).map(Vec::from),
                    want(3),
                    "{c} in {len} bytes"
                );
                assert_eq!(
                    first_places::<5>(b, c).map(Vec::from),
                    want(5),
                    "{c} in {len} bytes"
                );
            }
        }
        // Bytes with the high bit set (UTF-8) are no ASCII byte's match.
        assert_eq!(
            first_places::<1>(&[0xa0, 0x20, 0xff, 0x80], b' '),
            Some([1])
        );
        assert_eq!(first_places::<2>(&[0xa0, 0x20, 0xff, 0x80], b' '), None);
    }

    #[test]
    fn with_trusted_proxies_the_client_is_the_last_address_they_did_not_write() {
        fn client(list: &str) -> Option<&str> {
            let ours: [ipnet::IpNet; 2] = [
                "10.0.0.0/8".parse().unwrap(),
                "192.0.2.7/32".parse().unwrap(),
            ];
            last_untrusted(list, &ours)
        }
        // What a client wrote before the address our proxy saw is never
        // reached.
        assert_eq!(client("198.51.100.1, 203.0.113.9"), Some("203.0.113.9"));
        assert_eq!(
            client("198.51.100.1, 203.0.113.9, 10.0.0.4, 192.0.2.7"),
            Some("203.0.113.9")
        );
        assert_eq!(client("2001:db8::9, 10.1.1.1"), Some("2001:db8::9"));
        // Every hop ours: the first of them.
        assert_eq!(client("10.0.0.4, 10.0.0.5"), Some("10.0.0.4"));
        // A hop that is no address stops the walk at the last good one.
        assert_eq!(client("203.0.113.9, unknown, 10.0.0.4"), Some("10.0.0.4"));
        assert_eq!(client("203.0.113.9, garbage"), None);
        assert_eq!(client(""), None);
    }

    #[test]
    fn behind_a_balancer_the_client_is_the_first_public_address_nginx_main_logs_last() {
        let client = |l: &str| line(l).and_then(|(_, e)| e.client.map(|c| c.into_owned()));
        let main = |remote: &str, xff: &str| {
            format!(
                r#"{remote} - - [26/Nov/2026:17:34:12 +0000] "GET /login HTTP/1.1" 401 12 "-" "curl/8.5" "{xff}""#
            )
        };
        // (the address logged, its X-Forwarded-For, the client read)
        for (peer, xff, want) in [
            ("10.0.0.5", "203.0.113.9", "203.0.113.9"),
            (
                "127.0.0.1",
                "10.1.1.1, unknown, 198.51.100.20, 203.0.113.9",
                "198.51.100.20",
            ),
            // IPv6 peers: a colon within the first five bytes marks them
            // (`::` first, a group of four digits), all read whole.
            ("fd00::5", "2001:db8::7", "2001:db8::7"),
            ("::1", "2001:db8::7", "2001:db8::7"),
            ("::ffff:10.0.0.5", "2001:db8::7", "2001:db8::7"),
            ("fe80::1", "2001:db8::7", "2001:db8::7"),
            ("fdab:cd00::1", "2001:db8::7", "2001:db8::7"),
            ("2001:db8::1", "203.0.113.9", "2001:db8::1"),
            // A public address logged is the client's (the server read the
            // header already, or the client wrote one itself).
            ("198.51.100.1", "203.0.113.9", "198.51.100.1"),
            // No header, or no public address in it, or not a list.
            ("10.0.0.5", "-", "10.0.0.5"),
            ("10.0.0.5", "10.0.0.9", "10.0.0.5"),
            ("10.0.0.5", "abc, 203.0.113.9", "10.0.0.5"),
        ] {
            assert_eq!(
                client(&main(peer, xff)).as_deref(),
                Some(want),
                "{peer} {xff}"
            );
        }
        // The list in the address's place (Apache's %{X-Forwarded-For}i).
        let apache = r#"10.1.1.1, 203.0.113.9 - - [26/Nov/2026:17:34:12 +0000] "GET / HTTP/1.1" 401 12 "-" "curl/8.5""#;
        assert_eq!(client(apache).as_deref(), Some("203.0.113.9"));
        // The combined format's last field is the agent, whatever it says.
        let combined = r#"10.0.0.5 - - [26/Nov/2026:17:34:12 +0000] "GET / HTTP/1.1" 200 12 "-" "203.0.113.9""#;
        assert_eq!(client(combined).as_deref(), Some("10.0.0.5"));
        // JSON lines that log the peer beside the header: nginx's, Caddy's
        // (the header a list of values), Envoy's (the peer with its port).
        for l in [
            r#"{"time":"2026-11-26T17:34:12+00:00","remote_addr":"10.0.0.5","request":"GET /login HTTP/1.1","status":401,"http_x_forwarded_for":"203.0.113.9"}"#,
            r#"{"ts":1795714452,"status":401,"request":{"remote_ip":"10.0.0.5","method":"GET","uri":"/login","headers":{"X-Forwarded-For":["203.0.113.9, 10.0.0.1"]}}}"#,
            r#"{"start_time":"2026-11-26T17:34:12.000Z","method":"GET","path":"/login","response_code":401,"downstream_remote_address":"10.0.0.5:44310","x_forwarded_for":"10.9.0.1,203.0.113.9"}"#,
        ] {
            assert_eq!(client(l).as_deref(), Some("203.0.113.9"), "{l}");
        }
        let public_peer = r#"{"remote_addr":"198.51.100.1","request":"GET / HTTP/1.1","status":401,"http_x_forwarded_for":"203.0.113.9"}"#;
        assert_eq!(client(public_peer).as_deref(), Some("198.51.100.1"));
        // The shortcut for answered lines reads it the same.
        let ok = main("10.0.0.5", "203.0.113.9").replace(" 401 ", " 200 ");
        assert_eq!(answered(&ok).and_then(|a| a.client), Some("203.0.113.9"));
    }

    /// find_byte finds what a byte loop finds, on either side of the 64
    /// bytes it looks at eight at a time, and where the byte is absent.
    #[test]
    fn find_byte_is_a_byte_loop_before_and_past_64_bytes() {
        for len in 0..140 {
            for at in [
                None,
                Some(0),
                Some(7),
                Some(8),
                Some(63),
                Some(64),
                Some(65),
                Some(139),
            ] {
                let mut b = vec![b'a'; len];
                if let Some(i) = at.filter(|i| *i < len) {
                    b[i] = b'"';
                    // A second one after: the first is the one found.
                    if let Some(x) = b.get_mut(i + 3) {
                        *x = b'"';
                    }
                }
                assert_eq!(
                    find_byte(&b, b'"'),
                    b.iter().position(|c| *c == b'"'),
                    "len {len}, at {at:?}"
                );
            }
        }
    }

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
        // nginx's `main` format: X-Forwarded-For after the agent, which
        // names the client where the address logged is a balancer's.
        let (_, e) = line(r#"10.0.0.9 - - [26/Nov/2026:17:34:12 +0000] "GET / HTTP/1.1" 401 12 "https://app.example/" "okhttp/4.12" "203.0.113.5""#).unwrap();
        assert_eq!(
            (e.agent.as_deref(), e.client.as_deref()),
            (Some("okhttp/4.12"), Some("203.0.113.5"))
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
    fn the_challenge_a_json_access_line_logs_says_why() {
        let pino = |auth: &str, challenge: &str| {
            line(&format!(
                r#"{{"level":30,"time":1795773600000,"pid":7,"hostname":"api-1","req":{{"id":1,"method":"GET","url":"/api/orders","headers":{{"host":"127.0.0.1:3000","user-agent":"curl/8.5.0"{auth}}},"remoteAddress":"::ffff:10.0.0.7","remotePort":51234}},"res":{{"statusCode":401,"headers":{{"x-powered-by":"Express","www-authenticate":"{challenge}"}}}},"responseTime":3,"msg":"request completed"}}"#
            ))
            .map(|x| x.1.cause)
            .unwrap_or_else(|| panic!("{auth} {challenge}"))
        };
        let sent = r#","authorization":"Bearer abc.def.ghi""#;
        // express-oauth2-jwt-bearer's challenges as pino-http logs them
        // (jose's `"` written `'`).
        let challenge = |description: &str| {
            format!(
                r#"Bearer realm=\"api\", error=\"invalid_token\", error_description=\"{description}\", DPoP algs=\"RS256\""#
            )
        };
        assert_eq!(
            pino(sent, &challenge("'exp' claim timestamp check failed")),
            Some(Cause::TokenExpired)
        );
        assert_eq!(
            pino(sent, &challenge("JWS Protected Header is invalid")),
            Some(Cause::TokenMalformed)
        );
        // No Authorization sent, and a challenge with no error: none sent.
        let bare = r#"Bearer realm=\"api\", DPoP algs=\"RS256\""#;
        assert_eq!(pino("", bare), Some(Cause::CredentialsMissing));
        // Sent, and answered with no error: the line does not say why.
        assert_eq!(pino(sent, bare), None);
        // Caddy's response headers, each a list.
        let (_, e) = line(r#"{"level":"info","ts":1795773600.5,"logger":"http.log.access","msg":"handled request","request":{"remote_ip":"10.0.0.9","method":"GET","uri":"/orders","headers":{"User-Agent":["curl/8.5.0"],"Authorization":["REDACTED"]}},"status":401,"resp_headers":{"Server":["Caddy"],"Www-Authenticate":["Bearer error=\"invalid_token\", error_description=\"Token is expired\""]}}"#).unwrap();
        assert_eq!(e.cause, Some(Cause::TokenExpired));
    }

    #[test]
    fn the_challenge_a_combined_line_logs_after_its_agent_says_why() {
        let cause = |tail: &str| {
            line(&format!(
                r#"10.0.0.7 - - [27/Nov/2026:10:00:00 +0000] "GET /orders HTTP/1.1" 401 0 "-" "curl/8.5.0" {tail}"#
            ))
            .unwrap()
            .1
            .cause
        };
        // nginx's "$sent_http_www_authenticate" (a quote written \x22).
        assert_eq!(
            cause(
                r#""Bearer realm=\x22api\x22, error=\x22invalid_token\x22, error_description=\x22token has invalid audience\x22""#
            ),
            Some(Cause::TokenAudienceMismatch)
        );
        // Apache's "%{WWW-Authenticate}o" (a quote written \"), after an
        // X-Forwarded-For.
        assert_eq!(
            cause(
                r#""203.0.113.9" "Bearer error=\"invalid_token\", error_description=\"token is expired\"""#
            ),
            Some(Cause::TokenExpired)
        );
        // A challenge that names no error, or an agent's words: nothing.
        assert_eq!(cause(r#""Bearer realm=\x22api\x22""#), None);
        assert_eq!(cause(r#""-""#), None);
        let (_, e) = line(r#"10.0.0.7 - - [27/Nov/2026:10:00:00 +0000] "GET /orders HTTP/1.1" 401 0 "-" "Bearer error=\"invalid_token\", error_description=\"token is expired\"""#).unwrap();
        assert_eq!(e.cause, None, "the agent's words");
    }

    #[test]
    fn a_grpc_calls_outcome_is_its_grpc_status() {
        // go-grpc-middleware's logging interceptor (v2, over zap or slog):
        // the service and method, the peer, the code by name, the error.
        let (f, e) = line(r#"{"level":"info","ts":1795773600.5,"msg":"finished call","protocol":"grpc","grpc.component":"server","grpc.service":"orders.v1.Orders","grpc.method":"List","grpc.method_type":"unary","peer.address":"10.0.0.7:51234","grpc.start_time":"2026-11-27T10:00:00Z","grpc.code":"Unauthenticated","grpc.error":"rpc error: code = Unauthenticated desc = invalid token: token is expired","grpc.time_ms":"0.2"}"#).unwrap();
        assert_eq!(
            (f, e.status, e.client.as_deref(), e.path.as_deref(), e.cause),
            (
                Format::Json,
                401,
                Some("10.0.0.7"),
                Some("/orders.v1.Orders/List"),
                Some(Cause::TokenExpired)
            )
        );
        // Its v1 (grpc_zap) form, the words in `error`.
        let (_, e) = line(r#"{"level":"warn","ts":1795773600.5,"msg":"finished unary call with code Unauthenticated","grpc.start_time":"2026-11-27T10:00:00Z","system":"grpc","span.kind":"server","grpc.service":"orders.v1.Orders","grpc.method":"List","peer.address":"10.0.0.7:51234","error":"rpc error: code = Unauthenticated desc = token is expired","grpc.code":"Unauthenticated","grpc.time_ms":0.2}"#).unwrap();
        assert_eq!((e.status, e.cause), (401, Some(Cause::TokenExpired)));
        // An access log's HTTP 200 with the gRPC status beside it (Envoy's
        // %GRPC_STATUS%): the refusal it is.
        let (_, e) = line(r#"{"start_time":"2026-11-27T10:00:00.000Z","method":"POST","path":"/orders.v1.Orders/List","protocol":"HTTP/2","response_code":200,"grpc_status":"PERMISSION_DENIED","downstream_remote_address":"10.0.0.8:4000"}"#).unwrap();
        assert_eq!(e.status, 403);
        let (_, e) = line(r#"{"method":"POST","path":"/orders.v1.Orders/List","response_code":200,"grpc_status":0,"downstream_remote_address":"10.0.0.8:4000"}"#).unwrap();
        assert_eq!(e.status, 200);
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
    fn lines_inside_syslog_and_journald_with_their_host_as_node() {
        let clf = r#"10.0.0.7 - - [27/Nov/2026:10:00:05 +0000] "GET /orders HTTP/1.1" 401 17 "-" "curl/8.5.0""#;
        let node_of = |l: &str| {
            let (f, e) = line(l).unwrap_or_else(|| panic!("{l}"));
            assert_eq!(
                (f, e.status, e.client.as_deref()),
                (Format::Combined, 401, Some("10.0.0.7")),
                "{l}"
            );
            e.node.map(|n| n.into_owned())
        };
        // nginx's `access_log syslog:` (RFC 3164 with its priority), and
        // rsyslog's and journalctl's default files.
        for l in [
            format!("<190>Nov 27 10:00:05 web-1 nginx: {clf}"),
            format!("Nov 27 10:00:05 web-1 nginx[812]: {clf}"),
            format!("Nov  7 10:00:05 web-1 nginx: {clf}"),
            format!("2026-11-27T10:00:05.123456+00:00 web-1 nginx: {clf}"),
            // RFC 5424, with structured data (escapes in a value) or none.
            format!(
                r#"<190>1 2026-11-27T10:00:05.1Z web-1 nginx 812 - [m@1 a="x\]y\"z"][n@2 b="c"] {clf}"#
            ),
            format!("<190>1 2026-11-27T10:00:05.1Z web-1 nginx 812 ID7 - {clf}"),
        ] {
            assert_eq!(node_of(&l).as_deref(), Some("web-1"), "{l}");
        }
        // `journalctl -o json`: its time (microseconds) where the line has none.
        let j = r#"{"__REALTIME_TIMESTAMP":"1795773605123456","_HOSTNAME":"web-2","SYSLOG_IDENTIFIER":"api","MESSAGE":"2026/11/27 10:00:05 oidc: token is expired (Token Expiry: 2026-11-27 09:00:00 +0000 UTC)"}"#;
        let (_, e) = line(j).unwrap();
        assert_eq!(
            (e.cause, e.node.as_deref(), e.ts),
            (
                Some(Cause::TokenExpired),
                Some("web-2"),
                Some(1_795_773_605)
            )
        );
        let j = r#"{"__REALTIME_TIMESTAMP":"1795773605123456","_HOSTNAME":"web-2","MESSAGE":"GET /orders 401 1.234 ms - 12"}"#;
        let (f, e) = line(j).unwrap();
        assert_eq!(
            (f, e.ts, e.node.as_deref()),
            (Format::Morgan, Some(1_795_773_605), Some("web-2"))
        );
        // An error line a syslog daemon wrote: its reason, and its host.
        let (f, e) = line("Nov 27 10:00:05 web-3 api[813]: 2026/11/27 10:00:05 oidc: token is expired (Token Expiry: 2026-11-27 09:00:00 +0000 UTC)").unwrap();
        assert_eq!(
            (f, e.cause, e.node.as_deref()),
            (Format::Reason, Some(Cause::TokenExpired), Some("web-3"))
        );
        // Google Cloud Logging's export: a text line, an application's
        // JSON line; the pod its node.
        let g = format!(
            r#"{{"textPayload":{},"timestamp":"2026-11-27T10:00:05Z","resource":{{"type":"k8s_container","labels":{{"pod_name":"web-4"}}}}}}"#,
            serde_json::to_string(clf).unwrap()
        );
        assert_eq!(node_of(&g).as_deref(), Some("web-4"));
        let g = r#"{"jsonPayload":{"level":40,"req":{"method":"GET","url":"/orders","remoteAddress":"10.0.0.9"},"res":{"statusCode":401}},"timestamp":"2026-11-27T10:00:05Z","resource":{"labels":{"pod_name":"web-5"}}}"#;
        let (f, e) = line(g).unwrap();
        assert_eq!(
            (f, e.status, e.ts, e.node.as_deref()),
            (Format::Json, 401, Some(1_795_773_605), Some("web-5"))
        );
        // A shipper's record around a raw line: a CloudWatch Logs event
        // (its stream the node), Vector's (its host).
        let r = format!(
            r#"{{"logStreamName":"web-7/nginx","timestamp":1795773605000,"message":{},"ingestionTime":1795773606000,"eventId":"1"}}"#,
            serde_json::to_string(clf).unwrap()
        );
        assert_eq!(node_of(&r).as_deref(), Some("web-7/nginx"));
        let r = format!(
            r#"{{"message":{},"timestamp":"2026-11-27T10:00:05Z","host":"web-8","source_type":"file"}}"#,
            serde_json::to_string(clf).unwrap()
        );
        assert_eq!(node_of(&r).as_deref(), Some("web-8"));
        // Elasticsearch's document around an ECS line (elasticdump).
        let d = r#"{"_index":"filebeat-2026.11.27","_id":"a1","_source":{"@timestamp":"2026-11-27T10:00:05Z","source":{"ip":"10.0.0.7"},"http":{"request":{"method":"GET"},"response":{"status_code":401}},"url":{"path":"/orders"},"host":{"name":"web-9"}}}"#;
        let (f, e) = line(d).unwrap();
        assert_eq!(
            (f, e.status, e.client.as_deref(), e.ts),
            (Format::Json, 401, Some("10.0.0.7"), Some(1_795_773_605))
        );
        // Filebeat's event around a raw line (its file output, or a
        // document's `_source`): the line inside, `host.name` the node.
        let fb = format!(
            r#"{{"@timestamp":"2026-11-27T10:00:05.000Z","message":{},"host":{{"name":"web-3"}},"input":{{"type":"filestream"}},"ecs":{{"version":"8.0.0"}}}}"#,
            serde_json::to_string(clf).unwrap()
        );
        assert_eq!(node_of(&fb).as_deref(), Some("web-3"));
        let doc = format!(r#"{{"_index":".ds-filebeat-2026.11.27","_id":"b2","_source":{fb}}}"#);
        assert_eq!(node_of(&doc).as_deref(), Some("web-3"));
        assert_eq!(
            line(&doc).map(|(f, e)| (f, e.status)),
            Some((Format::Combined, 401))
        );
        // Loki's `logcli query` output, the pod label the node.
        let l = format!(r#"2026-11-27T10:00:05Z {{app="nginx", pod="web-6"}} {clf}"#);
        assert_eq!(node_of(&l).as_deref(), Some("web-6"));
        // A syslog line around nothing a format reads, or no syslog line.
        assert!(line("Nov 27 10:00:05 web-1 systemd[1]: Started nginx.service").is_none());
        assert!(line(r#"{"MESSAGE":"Started nginx.service","_HOSTNAME":"web-1"}"#).is_none());
        assert!(syslog("Nov 27 10:00:05 web-1 not a tag here: x").is_none());
        assert!(syslog("<1234>Nov 27 10:00:05 web-1 nginx: x").is_none());
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
    fn the_times_access_lines_write_in_brackets() {
        let at = |time: &str| {
            line(&format!(
                r#"203.0.113.9 - - [{time}] "GET /orders HTTP/1.1" 401 12 "-" "curl/8.5.0""#
            ))
            .and_then(|(_, e)| e.ts)
        };
        let want = Some(1_795_773_600);
        assert_eq!(at("27/Nov/2026:10:00:00 +0000"), want);
        assert_eq!(at("27/Nov/2026:11:00:00 +0100"), want);
        // Milliseconds, and a zone with a colon.
        assert_eq!(at("27/Nov/2026:10:00:00.123 +0000"), want);
        assert_eq!(at("27/Nov/2026:10:00:00 +00:00"), want);
        // nginx's $time_iso8601.
        assert_eq!(at("2026-11-27T10:00:00+00:00"), want);
        assert_eq!(at("2026-11-27T11:00:00.5+01:00"), want);
        // The last time read is kept: one of the same width that differs in
        // any byte is read again, not taken for it.
        for (i, time) in [
            "27/Nov/2026:10:00:01 +0000",
            "27/Nov/2026:10:00:00 +0000",
            "27/Nov/2026:10:00:00 +0001",
            "28/Nov/2026:10:00:00 +0000",
            "27/Nov/2026:10:00:00.1234567 +0000",
        ]
        .into_iter()
        .enumerate()
        {
            let want = [
                want.map(|t| t + 1),
                want,
                want.map(|t| t - 60),
                want.map(|t| t + 86_400),
                want,
            ];
            assert_eq!(at(time), want[i], "{time}");
        }
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
    fn logfmt_lines_that_record_a_request() {
        for (text, client, path, ts) in [
            // Heroku's router: the time before the pairs, the client in fwd.
            (
                r#"2026-11-27T10:00:00.000000+00:00 heroku[router]: at=info method=GET path="/api/orders?x=1" host=app.herokuapp.com request_id=8601b555 fwd="10.0.0.5,10.1.1.1" dyno=web.1 connect=0ms service=3ms status=401 bytes=220 protocol=https"#,
                "10.0.0.5",
                "/api/orders",
                1_795_773_600,
            ),
            // Go's slog TextHandler.
            (
                r#"time=2026-11-27T10:00:00.123Z level=INFO msg="request done" method=GET path=/api/orders status=401 remote_addr=10.0.0.6:5123 duration=1.2ms"#,
                "10.0.0.6",
                "/api/orders",
                1_795_773_600,
            ),
            // logrus's text formatter.
            (
                r#"time="2026-11-27T10:00:00Z" level=info msg=request duration="751.403µs" method=GET path=/api/orders remote_addr="127.0.0.1:60497" status=401 user_agent="curl/8.5.0""#,
                "127.0.0.1",
                "/api/orders",
                1_795_773_600,
            ),
        ] {
            let (f, e) = line(text).unwrap();
            assert_eq!(f, Format::Logfmt, "{text}");
            assert_eq!(e.status, 401, "{text}");
            assert_eq!(e.client.as_deref(), Some(client), "{text}");
            assert_eq!(e.path.as_deref(), Some(path), "{text}");
            assert_eq!(e.ts, Some(ts), "{text}");
        }
        // A gRPC call by go-grpc-middleware's logrus interceptor: its code
        // the status (PERMISSION_DENIED is 403), its service and method
        // the route, its peer the client.
        let (f, e) = line(r#"time="2026-11-27T10:00:00Z" level=warning msg="finished unary call with code PermissionDenied" error="rpc error: code = PermissionDenied desc = the token lacks the scope \"orders:write\"" grpc.code=PermissionDenied grpc.method=Check grpc.service=grpc.health.v1.Health grpc.start_time="2026-11-27T10:00:00Z" grpc.time_ms=0.63 peer.address="127.0.0.5:43781" span.kind=server system=grpc"#).unwrap();
        assert_eq!(
            (f, e.status, e.client.as_deref(), e.path.as_deref(), e.ts),
            (
                Format::Logfmt,
                403,
                Some("127.0.0.5"),
                Some("/grpc.health.v1.Health/Check"),
                Some(1_795_773_600)
            )
        );
        // lograge (Rails): no client, a status and a route.
        let (f, e) = line(r#"method=GET path=/orders format=json controller=OrdersController action=index status=401 duration=2.31 view=0.00 db=0.00"#).unwrap();
        assert_eq!((f, e.status, e.client), (Format::Logfmt, 401, None));
        // The words of a refusal in its message are read as JSON's are.
        let (_, e) = line(r#"time=2026-11-27T10:00:00Z level=WARN msg="token is expired" method=GET path=/x status=401 remote_addr=10.0.0.7"#).unwrap();
        assert_eq!(e.cause, Some(Cause::TokenExpired));
        // A quoted value keeps its escaped quote and its spaces.
        let (_, e) = line(r#"status=403 method=POST path="/a b" user="al\"ice""#).unwrap();
        assert_eq!(
            (e.path.as_deref(), e.user.as_deref()),
            (Some("/a b"), Some("al\"ice"))
        );
        // Pairs that record no request (no status, or no route) are not
        // taken for one: an error line in logfmt is read as one.
        let (f, e) = line(r#"time=2026-11-27T10:00:00Z level=ERROR msg="oidc: token is expired (Token Expiry: 2026-11-27 09:00:00 +0000 UTC)" client_ip=10.0.0.8"#).unwrap();
        assert_eq!((f, e.cause), (Format::Reason, Some(Cause::TokenExpired)));
        assert!(
            line("level=info status=ok component=db msg=\"pool ready\"")
                .is_none_or(|(f, _)| f != Format::Logfmt)
        );
    }

    #[test]
    fn oauth2_proxys_request_auth_and_standard_logs() {
        // The request log, v7's time and the older Go one with a port.
        let (f, e) = line(r#"10.0.0.5 - 4f3c9a1e-5b1e-4c5e-9d2a-1b2c3d4e5f60 - - [27/Nov/2026:10:00:00 +0000] api.example.com GET - "/api/orders?x=1" HTTP/1.1 "curl/8.5.0" 401 21 0.001"#).unwrap();
        assert_eq!(f, Format::OAuth2Proxy);
        assert_eq!(
            (
                e.client.as_deref(),
                e.user.as_deref(),
                e.path.as_deref(),
                e.status,
                e.ts
            ),
            (
                Some("10.0.0.5"),
                None,
                Some("/api/orders"),
                401,
                Some(1_795_773_600)
            )
        );
        assert_eq!(e.agent.as_deref(), Some("curl/8.5.0"));
        let (_, e) = line(r#"10.0.0.5:51235 - 4f3c9a1e - alice@example.com [2026/11/27 10:00:01] api.example.com GET http://upstream:8080 "/api/orders" HTTP/1.1 "curl/8.5.0" 200 120 0.010"#).unwrap();
        assert_eq!(
            (e.client.as_deref(), e.user.as_deref(), e.status, e.ts),
            (
                Some("10.0.0.5"),
                Some("alice@example.com"),
                200,
                Some(1_795_773_601)
            )
        );
        // The authentication log: not allowed after signing in is 403; a
        // wrong Basic password 401; a success 200.
        for (text, status, cause) in [
            (
                "10.0.0.6 - 4f3c - bob@example.com [27/Nov/2026:10:00:02 +0000] [AuthFailure] Invalid authentication via OAuth2: unauthorized",
                403,
                Some(Cause::AuthzForbidden),
            ),
            (
                "10.0.0.7 - 4f3c - carol [27/Nov/2026:10:00:03 +0000] [AuthFailure] Invalid authentication via basic auth: not in htpasswd or htpasswd is not set",
                401,
                Some(Cause::CredentialsInvalid),
            ),
            (
                "10.0.0.8 - 4f3c - dave@example.com [27/Nov/2026:10:00:04 +0000] [AuthSuccess] Authenticated via OAuth2: Session{email:dave@example.com}",
                200,
                None,
            ),
        ] {
            let (f, e) = line(text).unwrap();
            assert_eq!(
                (f, e.status, e.cause),
                (Format::OAuth2Proxy, status, cause),
                "{text}"
            );
            assert!(e.user.is_some() && e.client.is_some(), "{text}");
        }
        // Its standard log: a line of a known format.
        let (f, e) = line("[27/Nov/2026:10:00:05 +0000] [oauthproxy.go:195] OAuthProxy configured for Keycloak OIDC Client ID: app").unwrap();
        assert_eq!(
            (f, e.notice, e.ts),
            (Format::Reason, true, Some(1_795_773_605))
        );
    }

    #[test]
    fn kubernetes_audit_and_azure_diagnostic_logs() {
        // The API server's audit log: one request, two stages; the end
        // counts, its anonymous user is no user.
        let audit = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a1","stage":"STAGE","requestURI":"/api/v1/namespaces/default/pods?limit=500","verb":"list","user":{"username":"system:anonymous","groups":["system:unauthenticated"]},"sourceIPs":["10.0.0.5","10.1.1.1"],"userAgent":"kubectl/v1.31.0","responseStatus":{"metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401},"requestReceivedTimestamp":"2026-11-27T10:00:00.000000Z","stageTimestamp":"2026-11-27T10:00:00.001000Z"}"#;
        let started = audit.replace("STAGE", "RequestReceived");
        assert!(line(&started).unwrap().1.notice);
        let done = audit.replace("STAGE", "ResponseComplete");
        let (f, e) = line(&done).unwrap();
        assert_eq!(f, Format::Json);
        assert_eq!(
            (
                e.client.as_deref(),
                e.user.as_deref(),
                e.path.as_deref(),
                e.status,
                e.ts,
                e.notice
            ),
            (
                Some("10.0.0.5"),
                None,
                Some("/api/v1/namespaces/default/pods"),
                401,
                Some(1_795_773_600),
                false
            )
        );
        // Azure: Application Gateway, Front Door, App Service.
        for text in [
            r#"{"time":"2026-11-27T10:00:00Z","category":"ApplicationGatewayAccessLog","properties":{"clientIP":"10.0.0.5","httpMethod":"GET","requestUri":"/api/orders","userAgent":"curl/8","httpStatus":401}}"#,
            r#"{"time":"2026-11-27T10:00:00Z","category":"FrontDoorAccessLog","properties":{"clientIp":"10.0.0.5","httpMethod":"GET","requestUri":"https://x.azurefd.net/api/orders?a=1","userAgent":"curl/8","httpStatusCode":"401"}}"#,
            r#"{"time":"2026-11-27T10:00:00Z","category":"AppServiceHTTPLogs","properties":{"CIp":"10.0.0.5","CsMethod":"GET","CsUriStem":"/api/orders","UserAgent":"curl/8","ScStatus":401}}"#,
        ] {
            let (f, e) = line(text).unwrap();
            assert_eq!(f, Format::Json, "{text}");
            assert_eq!(
                (
                    e.client.as_deref(),
                    e.method.as_deref(),
                    e.path.as_deref(),
                    e.status,
                    e.ts
                ),
                (
                    Some("10.0.0.5"),
                    Some("GET"),
                    Some("/api/orders"),
                    401,
                    Some(1_795_773_600)
                ),
                "{text}"
            );
            assert_eq!(e.agent.as_deref(), Some("curl/8"), "{text}");
        }
    }

    #[test]
    fn go_web_frameworks_request_lines() {
        // Gin's default logger, without colours and with them.
        for text in [
            r#"[GIN] 2026/11/27 - 10:00:00 | 401 |    1.234567ms |       10.0.0.7 | GET      "/api/orders?x=1""#,
            "[GIN] 2026/11/27 - 10:00:00 |\u{1b}[97;43m 401 \u{1b}[0m|      1.2ms |       10.0.0.7 |\u{1b}[97;44m GET     \u{1b}[0m \"/api/orders?x=1\"",
        ] {
            // (The scan takes the escapes out before a line is read.)
            let plain = without_escapes(text);
            let (f, e) = line(&plain).unwrap();
            assert_eq!(
                (f, e.status, e.client.as_deref(), e.path.as_deref(), e.ts),
                (
                    Format::GoWeb,
                    401,
                    Some("10.0.0.7"),
                    Some("/api/orders"),
                    Some(1_795_773_600)
                ),
                "{text}"
            );
        }
        // chi's middleware.Logger, after Go's log time and a request id.
        let (f, e) = line(r#"2026/11/27 10:00:00 [api.test/abc-000001] "GET http://api.test/api/orders?page=2 HTTP/1.1" from 10.0.0.12:51234 - 403 36B in 1.234ms"#).unwrap();
        assert_eq!(
            (f, e.status, e.client.as_deref(), e.path.as_deref(), e.ts),
            (
                Format::GoWeb,
                403,
                Some("10.0.0.12"),
                Some("/api/orders"),
                Some(1_795_773_600)
            )
        );
        // The error Gin writes under a refusal: a reason in go-oidc's
        // words, or a known line where its words name no cause.
        let (f, e) =
            line("Error #01: oidc: token is expired (Token Expiry: 2026-11-27 09:00:00 +0000 UTC)")
                .unwrap();
        assert_eq!((f, e.cause), (Format::Reason, Some(Cause::TokenExpired)));
        let (f, e) = line("Error #02: the handler's own words").unwrap();
        assert_eq!((f, e.notice), (Format::Reason, true));
        // Gin's debug lines are no request.
        assert!(
            line("[GIN-debug] GET    /api/orders  --> main.main.func1 (4 handlers)")
                .is_none_or(|(f, _)| f != Format::GoWeb)
        );
        // express-winston's JSON: the request and response under `meta`.
        let (f, e) = line(r#"{"meta":{"req":{"url":"/api/orders?x=1","headers":{"host":"api.test"},"method":"GET","httpVersion":"1.1","originalUrl":"/api/orders?x=1","query":{}},"res":{"statusCode":401},"responseTime":3},"level":"warn","message":"HTTP GET /api/orders"}"#).unwrap();
        assert_eq!(
            (f, e.status, e.method.as_deref(), e.path.as_deref()),
            (Format::Json, 401, Some("GET"), Some("/api/orders"))
        );
    }

    #[test]
    fn aspnet_cores_console_log() {
        let (f, e) = line("      Request finished HTTP/1.1 GET http://localhost:5000/api/orders?x=1 - 401 0 - 12.3456ms").unwrap();
        assert_eq!(f, Format::AspNet);
        assert_eq!(
            (e.method.as_deref(), e.path.as_deref(), e.status, e.client),
            (Some("GET"), Some("/api/orders"), 401, None)
        );
        let (_, e) = line("2026-11-27 10:00:00 info: Request finished HTTP/2 POST https://api.example/orders - 403 0 - 1.2ms").unwrap();
        assert_eq!((e.status, e.ts), (403, Some(1_795_773_600)));
        // The console header, and event 7 (the summary of event 1's
        // refusal): known lines that add no cause.
        let (f, e) =
            line("info: Microsoft.AspNetCore.Authentication.JwtBearer.JwtBearerHandler[7]")
                .unwrap();
        assert_eq!((f, e.notice), (Format::Reason, true));
        let (_, e) = line("      Bearer was not authenticated. Failure message: IDX10223: Lifetime validation failed. The token is expired.").unwrap();
        assert_eq!((e.notice, e.cause), (true, None));
        // The same on one line (SingleLine), after a time.
        let (_, e) = line("2026-11-27 10:00:00 info: Microsoft.AspNetCore.Authentication.JwtBearer.JwtBearerHandler[7] Bearer was not authenticated. Failure message: IDX10223: Lifetime validation failed. The token is expired.").unwrap();
        assert_eq!((e.notice, e.cause), (true, None));
        let (_, e) = line("      Microsoft.IdentityModel.Tokens.SecurityTokenExpiredException: IDX10223: Lifetime validation failed. The token is expired.").unwrap();
        assert_eq!(e.cause, Some(Cause::TokenExpired));
    }

    #[test]
    fn akamai_datastream_lines() {
        let (f, e) = line(r#"{"version":1,"cp":"123456","reqId":"1a2b3c","reqTimeSec":"1795773600","bytes":"12","cliIP":"203.0.113.9","statusCode":"401","proto":"HTTPS","reqHost":"api.example.com","reqMethod":"GET","reqPath":"/orders","reqPort":"443","UA":"curl/8.5.0"}"#).unwrap();
        assert_eq!(
            (
                f,
                e.client.as_deref(),
                e.method.as_deref(),
                e.path.as_deref(),
                e.status,
                e.ts,
                e.agent.as_deref()
            ),
            (
                Format::Json,
                Some("203.0.113.9"),
                Some("GET"),
                Some("/orders"),
                401,
                Some(1_795_773_600),
                Some("curl/8.5.0")
            )
        );
    }

    #[test]
    fn cloudflare_logpush_lines() {
        let (f, e) = line(r#"{"ClientIP":"10.0.0.5","ClientRequestHost":"api.example.com","ClientRequestMethod":"POST","ClientRequestURI":"/api/orders?x=1","EdgeResponseStatus":401,"EdgeStartTimestamp":1795773600000000000,"ClientRequestUserAgent":"curl/8.5.0","RayID":"7f1a2b3c4d5e6f70"}"#).unwrap();
        assert_eq!(f, Format::Json);
        assert_eq!(
            (
                e.client.as_deref(),
                e.method.as_deref(),
                e.path.as_deref(),
                e.status,
                e.ts
            ),
            (
                Some("10.0.0.5"),
                Some("POST"),
                Some("/api/orders"),
                401,
                Some(1_795_773_600)
            )
        );
        assert_eq!(e.agent.as_deref(), Some("curl/8.5.0"));
    }

    #[test]
    fn the_user_a_basic_refusal_names_is_read_never_the_password() {
        for (text, user, client) in [
            (
                r#"2026/11/27 07:47:07 [error] 1234#1234: *5 user "alice": password mismatch, client: 10.0.0.7, server: localhost, request: "GET /admin HTTP/1.1", host: "x""#,
                "alice",
                "10.0.0.7",
            ),
            (
                r#"2026/11/27 07:47:08 [error] 1234#1234: *6 user "bob" was not found in "/etc/nginx/htpasswd", client: 10.0.0.8, server: localhost, request: "GET /admin HTTP/1.1", host: "x""#,
                "bob",
                "10.0.0.8",
            ),
            (
                r#"[Fri Nov 27 07:47:10.123456 2026] [auth_basic:error] [pid 1:tid 2] [client 10.0.0.9:5000] AH01617: user carol: authentication failure for "/admin": Password Mismatch"#,
                "carol",
                "10.0.0.9",
            ),
            (
                "[Fri Nov 27 07:47:10.123456 2026] [auth_basic:error] [pid 1:tid 2] [client 10.0.0.9:5000] AH01618: user dave not found: /admin",
                "dave",
                "10.0.0.9",
            ),
            // lighttpd, 1.4.69 and the older form with a comma.
            (
                "2026-11-27 12:52:48: (mod_auth.c.850) password doesn't match for /admin/ username: erin IP: 127.0.0.9",
                "erin",
                "127.0.0.9",
            ),
            (
                "2026-11-27 12:52:48: (mod_auth.c.525) password doesn't match for /admin/ username: frank, IP: 10.1.2.3",
                "frank",
                "10.1.2.3",
            ),
            (
                "2026-11-27 12:52:49: (mod_auth.c.1201) digest: auth failed for grace: wrong password, IP: 10.1.2.4",
                "grace",
                "10.1.2.4",
            ),
            // Apache's mod_auth_digest (2.4.71's own lines).
            (
                "[Sat Nov 28 22:02:44.841020 2026] [auth_digest:error] [pid 655:tid 673] [client 127.0.0.1:58346] AH01794: user admin: password mismatch: /api/orders",
                "admin",
                "127.0.0.1",
            ),
            (
                "[Sat Nov 28 22:02:44.860058 2026] [auth_digest:error] [pid 655:tid 658] [client 127.0.0.1:58356] AH01790: user `nobody' in realm `orders' not found: /api/orders",
                "nobody",
                "127.0.0.1",
            ),
        ] {
            let (f, e) = line(text).unwrap();
            assert_eq!(f, Format::Reason, "{text}");
            assert_eq!(e.cause, Some(Cause::CredentialsInvalid), "{text}");
            assert_eq!(e.user.as_deref(), Some(user), "{text}");
            assert_eq!(e.client.as_deref(), Some(client), "{text}");
            assert!(e.ts.is_some(), "{text}");
        }
        // Basic sent where Apache's mod_auth_digest asks for Digest.
        let (_, e) = line("[Sat Nov 28 22:02:44.877413 2026] [auth_digest:error] [pid 683:tid 687] [client 127.0.0.1:58372] AH01781: client used wrong authentication scheme `Basic': /api/orders").unwrap();
        assert_eq!(e.cause, Some(Cause::SchemeMismatch));
        // lighttpd's other lines: notices of a known format.
        let (f, e) =
            line("2026-11-27 12:52:48: (server.c.1704) server started (lighttpd/1.4.69)").unwrap();
        assert_eq!((f, e.notice, e.cause), (Format::Reason, true, None));
        assert_eq!(e.ts, Some(1_795_783_968));
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
    fn an_applications_own_json_lines_say_why_a_request_was_refused() {
        let cause_of = |l: &str| line(l).and_then(|(_, e)| e.reason.map(|r| (e.cause, r.0)));
        // pino (express-jwt's error), zap (golang-jwt's), logstash-logback
        // (Spring Security's exception).
        assert_eq!(
            cause_of(
                r#"{"level":40,"time":1795773601000,"pid":1,"hostname":"api-1","msg":"jwt expired"}"#
            ),
            Some((Some(Cause::TokenExpired), "jsonwebtoken (Node)"))
        );
        assert_eq!(
            cause_of(
                r#"{"level":"warn","ts":1795773602.5,"caller":"auth/mw.go:42","msg":"token rejected","error":"token has invalid claims: token is expired"}"#
            ),
            Some((Some(Cause::TokenExpired), "golang-jwt"))
        );
        let (_, e) = line(r#"{"@timestamp":"2026-11-27T10:00:00.123Z","message":"Failed to authenticate since the JWT was invalid","logger_name":"org.springframework.security.oauth2.server.resource.web.authentication.BearerTokenAuthenticationFilter","level":"DEBUG","stack_trace":"org.springframework.security.oauth2.server.resource.InvalidBearerTokenException: An error occurred while attempting to decode the Jwt: Jwt expired at 2026-11-27T09:00:00Z"}"#).unwrap();
        assert_eq!(
            (e.cause, e.ts),
            (Some(Cause::TokenExpired), Some(1_795_773_600))
        );
        // Serilog's compact JSON: JwtBearerHandler's failure, its
        // exception the cause; the summary after it (its template rendered
        // with its properties) is not counted again.
        assert_eq!(
            cause_of(
                r#"{"@t":"2026-11-27T10:00:05Z","@mt":"Failed to validate the token.","@x":"Microsoft.IdentityModel.Tokens.SecurityTokenExpiredException: IDX10223: Lifetime validation failed. The token is expired.","SourceContext":"Microsoft.AspNetCore.Authentication.JwtBearer.JwtBearerHandler"}"#
            ),
            Some((Some(Cause::TokenExpired), "ASP.NET Core"))
        );
        assert_eq!(
            cause_of(
                r#"{"@t":"2026-11-27T10:00:05Z","@mt":"{AuthenticationScheme} was not authenticated. Failure message: {FailureMessage}","AuthenticationScheme":"Bearer","FailureMessage":"IDX10223: Lifetime validation failed. The token is expired."}"#
            ),
            None
        );
        // A line that names no cause is not read.
        assert_eq!(
            line(r#"{"level":"info","msg":"server started","port":8080}"#),
            None
        );
    }

    #[test]
    fn garbage_is_no_event() {
        assert_eq!(line("hello"), None);
        assert_eq!(line("{\"msg\":\"no status\"}"), None);
        assert_eq!(line(""), None);
    }
}
