//! Access logs' text lines: the common and combined formats (and a
//! virtual host or an X-Forwarded-For list before them), Envoy's and
//! Istio's, HAProxy's, AWS ALB's, morgan's, uvicorn's and Django's, and
//! W3C extended logs by their `#Fields:`.

use super::*;

/// Envoy's default text access log, and Istio's (which adds the response
/// code's details, such as `jwt_authn_access_denied{Jwt_is_expired}`, and
/// the downstream addresses):
/// `[2026-11-26T17:34:12.345Z] "GET /orders HTTP/1.1" 401 - jwt_authn_access_denied{Jwt_is_expired} - "-" 0 14 1 - "10.0.0.7" "curl/8.5.0" "…" "api.example" "-" …`.
/// The client is the first address of `X-Forwarded-For`, else (Istio) the
/// downstream remote address: the last `address:port` field.
pub(super) fn envoy(t: &str) -> Option<Event<'_>> {
    let rest = t.strip_prefix('[')?;
    let (time, rest) = split_at_byte(rest, b']')?;
    let ts = time.parse::<jiff::Timestamp>().ok()?.as_second();
    let rest = rest.strip_prefix(" \"")?;
    let (request, rest) = split_request(rest)?;
    let fields = envoy_fields(rest);
    let (status, _) = fields.first()?;
    // Envoy writes 0 when no response was sent.
    let status: u16 = status.parse().ok().filter(|s| *s <= 599)?;
    let (method, target) = request_parts(request).unwrap_or((request, ""));
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

/// A request line's event: its time, the client if the line names one
/// (`address:port` taken to the address), the method and the target's
/// path, the status.
pub(super) fn request_event<'a>(
    format: Format,
    ts: Option<i64>,
    client: Option<&str>,
    (method, target): (&'a str, &str),
    status: u16,
) -> Event<'a> {
    Event {
        format,
        ts,
        client: client.map(|c| Cow::Owned(bare_address(c))),
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
pub(super) fn haproxy(t: &str) -> Option<Event<'_>> {
    let rest = match find_literal!(t, "haproxy[") {
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
    let status = http_status(f.next()?)?;
    let line = rest.strip_suffix('"')?;
    let line = &line[line.rfind('"')? + 1..];
    let second = time.split('.').next()?;
    Some(request_event(
        Format::Haproxy,
        clf_time(&format!("{second} +0000")),
        Some(client),
        request_parts(line)?,
        status,
    ))
}

/// An AWS Application Load Balancer's access log line: type, time, load
/// balancer, client:port, target:port, three timings, the status the
/// balancer answered and the target's, two byte counts, the quoted request
/// and user agent, and more. The status is the balancer's: the one the
/// client saw (401 from its own `authenticate-oidc` action as well).
pub(super) fn alb(t: &str) -> Option<Event<'_>> {
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
    Some(request_event(
        Format::Alb,
        Some(ts),
        Some(client),
        request_parts(request)?,
        http_status(status)?,
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
    let status = http_status(get(fields.status)?)?;
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
pub(super) fn python(t: &str) -> Option<Event<'_>> {
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
    Some(request_event(
        Format::Python,
        ts,
        client,
        request_parts(request)?,
        http_status(rest.split(' ').next()?)?,
    ))
}

/// morgan's `dev` and `tiny` (`GET /orders 401 1.234 ms - 12`,
/// `GET /orders 401 12 - 1.234 ms`) and `short` (`::1 - GET /orders
/// HTTP/1.1 401 12 - 1.234 ms`): no time in any, an address and user in
/// `short` only.
pub(super) fn morgan(t: &str) -> Option<Event<'_>> {
    // Its first six fields, at most: the rest of the line is not looked at.
    let mut fields = [""; 6];
    let mut n = 0;
    for (slot, field) in fields
        .iter_mut()
        .zip(t.split(' ').filter(|f| !f.is_empty()))
    {
        *slot = field;
        n += 1;
    }
    let f = &fields[..n];
    let status = |s: &str| (s.len() == 3).then(|| http_status(s)).flatten();
    let (client, user, method, target, code) = match f {
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
    if !t.ends_with(" ms") && find_literal!(t, " ms - ").is_none() {
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

/// Space-separated fields, a quoted one whole (without its quotes), each
/// with whether it was quoted.
pub(super) fn envoy_fields(s: &str) -> Vec<(&str, bool)> {
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

pub(super) fn combined(t: &str) -> Option<Event<'_>> {
    let c = common(t)?;
    let (method, path) = (c.method, c.path);
    // Combined: `… bytes "referer" "agent"`, and in formats that go on
    // (nginx's `main` adds `"$http_x_forwarded_for"`) more after it: the
    // agent is the second quoted field after the status.
    let (agent, beyond) = refused(c.status)
        .then(|| {
            let (_bytes, quoted) = split_at_byte(c.after, b' ')?;
            let (_referer, rest) = quoted.strip_prefix('"')?.split_once("\" \"")?;
            let (agent, beyond) = split_at_byte(rest, b'"').unwrap_or((rest, ""));
            Some(((!agent.is_empty() && agent != "-").then_some(agent), beyond))
        })
        .flatten()
        .unwrap_or((None, ""));
    Some(Event {
        cause: logged_challenge(beyond),
        format: Format::Combined,
        ts: clf_time(c.time),
        client: c.client.map(Cow::Borrowed),
        user: c.user.map(Cow::Borrowed),
        method: Some(Cow::Borrowed(method)),
        path: Some(Cow::Borrowed(path)),
        agent: agent.map(Cow::Borrowed),
        status: c.status,
        ..Event::default()
    })
}

/// The cause a refused line's format logs after its agent, where it logs
/// the response's `WWW-Authenticate` there (nginx's
/// `"$sent_http_www_authenticate"`, which writes a `"` as `\x22`; Apache's
/// `"%{WWW-Authenticate}o"`, which writes it as `\"`): a Bearer or DPoP
/// challenge's `error_description`
/// ([`authdoctor_diagnosis::dialects::said_in_challenge`]). `beyond`: what
/// follows the agent's closing quote.
fn logged_challenge(beyond: &str) -> Option<Cause> {
    if !beyond.contains("error") {
        return None;
    }
    // Each quoted field: up to a quote that no backslash escapes.
    let mut rest = beyond;
    while let Some(open) = rest.find('"') {
        let body = &rest[open + 1..];
        let mut end = None;
        let mut escaped = false;
        for (i, b) in body.bytes().enumerate() {
            match b {
                b'\\' if !escaped => escaped = true,
                b'"' if !escaped => {
                    end = Some(i);
                    break;
                }
                _ => escaped = false,
            }
        }
        let end = end?;
        let field = body[..end].replace("\\x22", "\"").replace("\\\"", "\"");
        if let Some(c) =
            authdoctor_diagnosis::dialects::said_in_challenge(&field).and_then(|s| s.cause)
        {
            return Some(c);
        }
        rest = &body[end + 1..];
    }
    None
}

/// The fields of a common or combined line.
pub(super) struct Common<'a> {
    /// `None` where the line has `-`, as for the user.
    pub client: Option<&'a str>,
    pub user: Option<&'a str>,
    /// As written, `26/Nov/2026:17:34:12 +0000`.
    pub time: &'a str,
    /// The request's method (the whole request line where it has no
    /// space) and its path, without its query.
    pub method: &'a str,
    pub path: &'a str,
    pub status: u16,
    /// What follows the status: the size, and the referer and agent of the
    /// combined format.
    pub after: &'a str,
}

/// A common or combined line's fields: `ip ident user [time] "request"
/// status bytes …`.
pub(super) fn common(t: &str) -> Option<Common<'_>> {
    let (client, user, time, rest) = match combined_head(t) {
        Some(head) => head,
        None => combined_head_slow(t)?,
    };
    let (method, path, rest) = match request_fields(rest) {
        Some(fields) => fields,
        None => {
            let (request, rest) = split_request(rest)?;
            let (method, path) = method_and_path(request);
            (method, path, rest)
        }
    };
    let (status, after) = match rest.as_bytes() {
        // Three digits and a space (or the end): most lines.
        [a @ b'1'..=b'5', b @ b'0'..=b'9', c @ b'0'..=b'9', tail @ ..]
            if tail.first().is_none_or(|x| *x == b' ') =>
        {
            let digit = |x: &u8| u16::from(x - b'0');
            (
                digit(a) * 100 + digit(b) * 10 + digit(c),
                rest.get(4..).unwrap_or(""),
            )
        }
        _ => {
            let (status, after) = split_at_byte(rest, b' ').unwrap_or((rest, ""));
            (status.parse().ok()?, after)
        }
    };
    // Behind a load balancer, the address logged is the balancer's; the
    // client's is in the X-Forwarded-For that nginx's `main` format logs
    // last. Looked for only where the address may be internal (its first
    // bytes say so for most public ones: a public client costs no search).
    let client = match may_be_forwarded(client)
        .then(|| forwarded_list(after))
        .flatten()
        .and_then(|list| behind(client, list))
    {
        Some(forwarded) => forwarded,
        None => client,
    };
    Some(Common {
        // `-`: the header was absent.
        client: (client != "-").then_some(client),
        user: (user != "-").then_some(user),
        time,
        method,
        path,
        status,
        after,
    })
}

/// A request line's method (the whole line where it has no space) and its
/// path, without its query.
fn method_and_path(request: &str) -> (&str, &str) {
    let (method, target) = request_parts(request).unwrap_or((request, ""));
    let path = match find_byte(target.as_bytes(), b'?') {
        Some(q) => target.get(..q).unwrap_or(target),
        None => target,
    };
    (method, path)
}

/// The method, the path (without its query) and what follows the closing
/// `" ` of a request written as most are, `METHOD TARGET HTTP/x.y" `, no
/// quote inside it; `None` for any other, which [`split_request`] reads.
/// One pass over the method and one over the target, each ending at the
/// first of the bytes that may end it: where a search for the closing
/// quote, then for each space, then for a `?` read the same bytes four
/// times (more than half of a common line's reading).
fn request_fields(s: &str) -> Option<(&str, &str, &str)> {
    let b = s.as_bytes();
    let method_end = first_any(b, 0, [b' ', b'"'])?;
    if b[method_end] != b' ' {
        return None;
    }
    let mut from = method_end + 1;
    let mut query = None;
    let target_end = loop {
        let i = first_any(b, from, [b' ', b'"', b'?'])?;
        match b[i] {
            b' ' => break i,
            b'?' => {
                query = query.or(Some(i));
                from = i + 1;
            }
            _ => return None,
        }
    };
    // `HTTP/1.1" ` after the target, and the rest of the line after it.
    let protocol = b.get(target_end + 1..target_end + 11)?;
    let [b'H', b'T', b'T', b'P', b'/', major, b'.', minor, b'"', b' '] = *protocol else {
        return None;
    };
    if !major.is_ascii_digit() || !minor.is_ascii_digit() {
        return None;
    }
    Some((
        s.get(..method_end)?,
        s.get(method_end + 1..query.unwrap_or(target_end))?,
        s.get(target_end + 11..)?,
    ))
}

/// Whether a line logged from `client` may name another client in its
/// `X-Forwarded-For` ([`behind`]): any, where proxies are trusted; else
/// where the address may be internal.
fn may_be_forwarded(client: &str) -> bool {
    TRUSTED_PROXIES.get().is_some() || may_be_internal(client)
}

/// Whether an address logged may be internal ([`is_internal`]), by its
/// first bytes: `-` (none), 10., 127., 172., 192.168., 169.254., 0., an
/// IPv6 address (any: read whole when a list is found). False for most
/// public IPv4 addresses, at no parsing.
fn may_be_internal(client: &str) -> bool {
    let b = client.as_bytes();
    // (Patterns of bytes, not `starts_with`, which calls memcmp for each.)
    matches!(
        b,
        [b'1', b'0', b'.', ..]
            | [b'1', b'2', b'7', b'.', ..]
            | [b'1', b'7', b'2', b'.', ..]
            | [b'1', b'9', b'2', b'.', b'1', b'6', b'8', b'.', ..]
            | [b'1', b'6', b'9', b'.', b'2', b'5', b'4', b'.', ..]
            | [b'0', b'.', ..]
            | [b'-']
    )
        // IPv6: a colon within its first five bytes (a group is at most
        // four digits; `::` may open it), or a bracket before it.
        || b.iter().take(5).any(|c| matches!(c, b':' | b'['))
}

/// The bytes an `X-Forwarded-For` list is made of: hex digits, `.`, `:`,
/// `,`, space, and the letters of `unknown`.
const ADDRESS_LIKE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        t[i] = c.is_ascii_hexdigit()
            || matches!(
                c,
                b'.' | b':' | b',' | b' ' | b'n' | b'o' | b'w' | b'k' | b'u'
            );
        i += 1;
    }
    t
};

/// The `"$http_x_forwarded_for"` a line ends with, after the referer and
/// the agent (nginx's `main` format, the one its own configuration and its
/// container image write), whose client ([`behind`]) is the request's: the
/// balancer's own address, which the line logs otherwise, would make every
/// client one. `after`: what follows the status.
fn forwarded_list(after: &str) -> Option<&str> {
    // Looked at from the end, so that most lines (the last quoted field an
    // agent: no address) are told apart in a few bytes.
    let body = after.strip_suffix('"')?;
    // Read back to the field's opening quote over what a list of addresses
    // is made of (and the letters of `unknown`): most lines' last field, an
    // agent's, stops it within a few bytes (`curl/8.5.0` at its `/`).
    let open = last_not_address_like(body.as_bytes())?;
    if body.as_bytes()[open] != b'"' {
        return None;
    }
    let list = body.get(open + 1..)?;
    // Two quoted fields before it: `"referer" "agent" "list"`.
    let agent = body.get(..open)?.strip_suffix("\" ")?;
    let agent_open = memchr::memrchr(b'"', agent.as_bytes())?;
    agent.get(..agent_open)?.strip_suffix("\" ")?;
    Some(list)
}

/// The place of the last byte of `b` that no address list is made of
/// ([`ADDRESS_LIKE`]). The last eight bytes are looked at together, with
/// no branch on each (a loop that stopped after four bytes on one line and
/// five on the next was a quarter of a common line's reading, in branches
/// mispredicted); the bytes before them only when all eight are like an
/// address's.
fn last_not_address_like(b: &[u8]) -> Option<usize> {
    let not_like = |c: &u8| !ADDRESS_LIKE[usize::from(*c)];
    let Some(at) = b.len().checked_sub(8) else {
        return b.iter().rposition(not_like);
    };
    let mut mask = 0u32;
    for (i, c) in b[at..].iter().enumerate() {
        mask |= u32::from(not_like(c)) << i;
    }
    if mask != 0 {
        return Some(at + (31 - mask.leading_zeros()) as usize);
    }
    b[..at].iter().rposition(not_like)
}

/// A common line's client, user and time, and what follows the time's
/// `] "`, when its head is as most are: three fields and a 26-byte time in
/// the first 64 bytes, the client no list. The three spaces are found
/// eight bytes at a time ([`first_places`]), where a byte loop per field
/// cost a mispredicted branch each.
fn combined_head(t: &str) -> Option<(&str, &str, &str, &str)> {
    let b = t.as_bytes();
    let [s0, s1, s2] = first_places::<3>(b, b' ')?;
    // A time `[26/Nov/2026:17:34:12 +0000] "` right after the third space.
    // (Compared as arrays of a known length: a slice's comparison calls
    // memcmp, which cost more than the three bytes.)
    let time_end = b
        .get(s2 + 28..s2 + 31)
        .and_then(|s| <[u8; 3]>::try_from(s).ok());
    if b.get(s2 + 1) != Some(&b'[') || time_end != Some(*b"] \"") {
        return None;
    }
    let client = t.get(..s0)?;
    if client.ends_with(',') {
        return None;
    }
    Some((
        client,
        t.get(s1 + 1..s2)?,
        t.get(s2 + 2..s2 + 28)?,
        t.get(s2 + 31..)?,
    ))
}

/// [`combined_head`] for any line: an `X-Forwarded-For` list in the
/// client's place, a time of another width, a long head.
fn combined_head_slow(t: &str) -> Option<(&str, &str, &str, &str)> {
    let (mut client, mut rest) = split_at_byte(t, b' ')?;
    // Behind a load balancer, servers log X-Forwarded-For in the address's
    // place (Apache's `%{X-Forwarded-For}i`): a list, its first public
    // address the client's (else its first).
    if client.ends_with(',') {
        let mut end = client.len();
        loop {
            let (hop, after) = split_at_byte(rest, b' ')?;
            end += 1 + hop.len();
            rest = after;
            if !hop.ends_with(',') {
                break;
            }
        }
        let first = client.trim_end_matches(',');
        client = t.get(..end).and_then(listed_client).unwrap_or(first);
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
    Some((client, user, time, rest))
}

/// A combined or common line behind a virtual host's name, as Apache's
/// `vhost_combined` (Debian's `other_vhosts_access.log`) and many nginx
/// formats write it: `api.example:443 10.0.0.7 - - [27/Nov/2026:…] "GET …`.
pub(super) fn vhost_combined(t: &str) -> Option<Event<'_>> {
    let (vhost, rest) = split_at_byte(t, b' ')?;
    // A host name (and port): no bracket, no quote.
    if vhost.is_empty() || vhost.contains(['[', '"']) {
        return None;
    }
    combined(rest)
}

/// The quoted request and what follows its closing `" `: the first `"`
/// followed by a space (a request line escapes its own quotes as `\"`).
pub(super) fn split_request(s: &str) -> Option<(&str, &str)> {
    let b = s.as_bytes();
    let mut from = 0;
    loop {
        let i = from + find_byte(b.get(from..)?, b'"')?;
        if b.get(i + 1) == Some(&b' ') {
            return Some((s.get(..i)?, s.get(i + 2..)?));
        }
        from = i + 1;
    }
}

/// A request line's method and target (`GET /orders?x=1 HTTP/1.1`).
pub(super) fn request_parts(request: &str) -> Option<(&str, &str)> {
    let (method, target) = split_at_byte(request, b' ')?;
    Some((
        method,
        split_at_byte(target, b' ').map_or(target, |(t, _)| t),
    ))
}

/// A response's status as a log writes it, 100 to 599.
pub(super) fn http_status(s: &str) -> Option<u16> {
    s.parse().ok().filter(|s| (100..=599).contains(s))
}

/// oauth2-proxy's request and authentication logs (its default formats,
/// which share a head):
/// `CLIENT - REQUEST_ID - USER [TIME] HOST METHOD UPSTREAM "URI" PROTOCOL
/// "AGENT" STATUS SIZE DURATION` and `CLIENT - REQUEST_ID - USER [TIME]
/// [AuthFailure] message`. The time is the common log format's (since
/// v7) or Go's `2026/11/27 10:00:00` (before); the client may carry its
/// port.
pub(super) fn oauth2_proxy(t: &str) -> Option<Event<'_>> {
    let (client, rest) = split_at_byte(t, b' ')?;
    let rest = rest.strip_prefix("- ")?;
    let (_request_id, rest) = split_at_byte(rest, b' ')?;
    let rest = rest.strip_prefix("- ")?;
    let (user, rest) = split_at_byte(rest, b' ')?;
    let (time, rest) = rest.strip_prefix('[')?.split_once("] ")?;
    let ts = clf_time(time).or_else(|| lead_time(time));
    ts?;
    let client = (client != "-").then(|| Cow::Owned(bare_address(client)));
    let user = (!user.is_empty() && user != "-").then_some(Cow::Borrowed(user));
    // The authentication log: its status in brackets, then its words.
    if let Some(r) = rest.strip_prefix('[') {
        let (status, message) = r.split_once("] ")?;
        let (failed, cause) = match status {
            "AuthSuccess" => (false, None),
            // The user signed in at the provider but is not allowed here
            // (email domain, group): oauth2-proxy answers 403.
            "AuthFailure" if message.contains("via OAuth2: unauthorized") => {
                (true, Some(Cause::AuthzForbidden))
            }
            "AuthFailure" if message.contains("basic auth") => {
                (true, Some(Cause::CredentialsInvalid))
            }
            "AuthFailure" | "AuthError" => (
                true,
                authdoctor_diagnosis::dialects::read(message, "log")
                    .and_then(|s| s.cause)
                    .or((status == "AuthFailure").then_some(Cause::CredentialsInvalid)),
            ),
            _ => return None,
        };
        return Some(Event {
            format: Format::OAuth2Proxy,
            ts,
            client,
            user,
            status: match cause {
                Some(Cause::AuthzForbidden) => 403,
                _ if failed => 401,
                _ => 200,
            },
            cause,
            // An error of oauth2-proxy's own that names no cause is no
            // client's rejection.
            notice: failed && cause.is_none(),
            ..Event::default()
        });
    }
    // The request log.
    let (_host, rest) = split_at_byte(rest, b' ')?;
    let (method, rest) = split_at_byte(rest, b' ')?;
    if !METHODS.contains(&method) {
        return None;
    }
    let (_upstream, rest) = split_at_byte(rest, b' ')?;
    let (uri, rest) = rest.strip_prefix('"')?.split_once("\" ")?;
    let (_protocol, rest) = split_at_byte(rest, b' ')?;
    let (agent, rest) = rest.strip_prefix('"')?.split_once("\" ")?;
    let (status, _) = split_at_byte(rest, b' ').unwrap_or((rest, ""));
    let status = http_status(status)?;
    Some(Event {
        format: Format::OAuth2Proxy,
        ts,
        client,
        user,
        method: Some(Cow::Borrowed(method)),
        path: Some(Cow::Owned(url_path(uri))),
        agent: (refused(status) && !agent.is_empty() && agent != "-")
            .then_some(Cow::Borrowed(agent)),
        status,
        ..Event::default()
    })
}

/// ASP.NET Core's request line (`Microsoft.AspNetCore.Hosting.Diagnostics`
/// event 2, under its console header or on its own): `Request finished
/// HTTP/1.1 GET http://localhost:5000/api/orders?x=1 - 401 0 - 12.3456ms`.
/// It names no client, and no time unless the logger put one before it.
pub(super) fn aspnet(t: &str) -> Option<Event<'_>> {
    let at = find_literal!(t, "Request finished ")?;
    let rest = &t[at + "Request finished ".len()..];
    let (protocol, rest) = split_at_byte(rest, b' ')?;
    if !protocol.starts_with("HTTP/") {
        return None;
    }
    let (method, rest) = split_at_byte(rest, b' ')?;
    if !METHODS.contains(&method) {
        return None;
    }
    let (url, rest) = split_at_byte(rest, b' ')?;
    let rest = rest.strip_prefix("- ")?;
    let (status, _) = split_at_byte(rest, b' ')?;
    let status = http_status(status)?;
    Some(Event {
        format: Format::AspNet,
        ts: lead_time(t),
        method: Some(Cow::Borrowed(method)),
        path: Some(Cow::Owned(url_path(url))),
        status,
        ..Event::default()
    })
}

/// A request line of a Go web framework's logger ([`Format::GoWeb`]): Gin's
/// default, or chi's `middleware.Logger`.
pub(super) fn go_web(t: &str) -> Option<Event<'_>> {
    match t.strip_prefix("[GIN] ") {
        Some(rest) => gin(rest),
        None => chi(t),
    }
}

/// Gin's `[GIN] 2026/11/27 - 10:00:00 | 401 |  1.2ms |  10.0.0.7 | GET
/// "/orders?x=1"`: its time (the server's local time, read as UTC), the
/// status, the client's address, the method and the path, quoted as Go
/// quotes a string.
fn gin(rest: &str) -> Option<Event<'_>> {
    let mut f = rest.split('|');
    let (when, status, _latency, client, request) =
        (f.next()?, f.next()?, f.next()?, f.next()?, f.next()?);
    let status = http_status(status.trim())?;
    let (method, quoted) = request.trim().split_once(' ')?;
    if !METHODS.contains(&method) {
        return None;
    }
    let target = quoted.trim().strip_prefix('"')?.strip_suffix('"')?;
    let client = client.trim();
    Some(Event {
        format: Format::GoWeb,
        ts: lead_time(&when.trim().replacen(" - ", " ", 1)),
        client: (!client.is_empty()).then(|| Cow::Owned(bare_address(client))),
        method: Some(Cow::Borrowed(method)),
        path: Some(Cow::Owned(url_path(target))),
        status,
        ..Event::default()
    })
}

/// chi's `2026/11/27 10:00:00 [host/abc-000001] "GET http://host/orders
/// HTTP/1.1" from 10.0.0.7:5123 - 401 36B in 1.2ms`, after Go's log time.
fn chi(t: &str) -> Option<Event<'_>> {
    let open = memchr::memchr(b'"', t.as_bytes())?;
    let (request, after) = t[open + 1..].split_once("\" from ")?;
    let (client, outcome) = after.split_once(" - ")?;
    let (status, rest) = split_at_byte(outcome, b' ')?;
    if !rest.contains(" in ") {
        return None;
    }
    let (method, rest) = split_at_byte(request, b' ')?;
    let (url, protocol) = rest.rsplit_once(' ')?;
    if !METHODS.contains(&method) || !protocol.starts_with("HTTP/") {
        return None;
    }
    Some(Event {
        format: Format::GoWeb,
        ts: lead_time(t),
        client: Some(Cow::Owned(bare_address(client))),
        method: Some(Cow::Borrowed(method)),
        path: Some(Cow::Owned(url_path(url))),
        status: http_status(status)?,
        ..Event::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The eight-at-once search gives what a byte-by-byte search from the
    /// end gives, for fields shorter and longer than eight bytes, lists and
    /// agents, and a list as long as the whole text.
    #[test]
    fn the_last_byte_no_address_has_is_found_as_one_at_a_time_finds_it() {
        let one_at_a_time = |b: &[u8]| b.iter().rposition(|c| !ADDRESS_LIKE[usize::from(*c)]);
        for body in [
            "",
            "1.2.3.4",
            "\"1.2.3.4",
            "\"-\" \"curl/8.5.0\" \"203.0.113.9, 10.0.0.2",
            "\"-\" \"curl/8.5.0",
            "\"-\" \"python-requests/2.32",
            "\"-\" \"Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0",
            "\"-\" \"ok\" \"2001:db8::1, unknown",
            "12345678",
            "x12345678",
            "1234567x",
            "\"12345678901234",
        ] {
            assert_eq!(
                last_not_address_like(body.as_bytes()),
                one_at_a_time(body.as_bytes()),
                "{body:?}"
            );
        }
    }

    /// Where the one-pass reading of a request takes a line at all, it
    /// reads what the search for the closing quote and the cuts after it
    /// read: on request lines put together from the bytes that end fields
    /// (spaces, quotes, `?`), protocols right and wrong, a character of
    /// two bytes and targets longer than a word of eight, 200,000 of them
    /// in a fixed pseudo-random order.
    #[test]
    fn a_request_read_in_one_pass_is_read_as_the_cuts_read_it() {
        let pieces = [
            "GET",
            "POST",
            " ",
            "  ",
            "/orders",
            "?",
            "x=1",
            "\"",
            "\" ",
            "HTTP/1.1",
            "HTTP/2.0",
            "HTTP/1",
            "HTTPS/1.1",
            "HTTP/a.1",
            "é",
            "-",
            "200 12 \"-\"",
            "/a-target-longer-than-a-word-of-eight-bytes-and-then-some-more-of-it",
        ];
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let (mut taken, mut lines) = (0, 0);
        while lines < 200_000 {
            lines += 1;
            let mut s = String::new();
            for _ in 0..1 + next(9) {
                s.push_str(pieces[next(pieces.len())]);
            }
            // Half of them shaped as a request: method, target, protocol.
            if next(2) == 0 {
                s = format!("GET {s} HTTP/1.1\" 401 0 \"-\" \"curl\"");
            }
            let Some((method, path, rest)) = request_fields(&s) else {
                continue;
            };
            taken += 1;
            let (request, cut_rest) = split_request(&s).expect("the cuts read it too");
            assert_eq!((method, path), method_and_path(request), "{s:?}");
            assert_eq!(rest, cut_rest, "{s:?}");
        }
        // Enough of them are taken in one pass for the comparison to say
        // something (the pieces put spaces and quotes in many targets).
        assert!(taken > 20_000, "{taken} taken of {lines}");
        let line = "GET /orders/42?page=2 HTTP/1.1\" 200 512";
        assert_eq!(request_fields(line), Some(("GET", "/orders/42", "200 512")));
        // A quote inside the request (escaped as nginx writes it), or
        // another protocol, is left to the cuts.
        assert_eq!(request_fields("GET /a\\\"b HTTP/1.1\" 200 5"), None);
        assert_eq!(request_fields("GET /a HTTP/2\" 200 5"), None);
    }
}
