//! Error lines: the reason a server or an application gives for a
//! rejection, in its own words (read through the dialect catalogue), with
//! the time, client and request the line names; and the lines of an error
//! report that say nothing of their own.

use super::*;

/// A line of an application's error report that names no cause by itself
/// (its words were read through the catalogue first): the exception's
/// headline (`UnauthorizedError: invalid token`, Java's
/// `…AuthenticationException: …`), an indented line under it (a stack
/// frame, `    at handler (/app/index.js:12:5)`, or a property Node prints
/// after the stack, `  code: 'invalid_token',`), the brace that closes
/// them, or the line that opens a Python traceback. A line of a known
/// format that says nothing.
pub(super) fn frame(line: &str) -> Option<Event<'_>> {
    let t = line.trim();
    let headline = find_literal!(t, ": ").is_some_and(|at| {
        let name = t.get(..at).unwrap_or("");
        let name = name.rsplit('.').next().unwrap_or(name);
        name.starts_with(|c: char| c.is_ascii_uppercase())
            && (name.ends_with("Error") || name.ends_with("Exception"))
            && name.bytes().all(|b| b.is_ascii_alphanumeric())
    });
    let indented = line.starts_with([' ', '\t']) && !t.is_empty();
    // .NET's console logger: `info: Category.Name[7]`, then its message
    // indented under it, or on the same line (`SingleLine`), after a time
    // where `TimestampFormat` asks for one.
    // Each level's searcher built once (a search built on each call cost
    // more than the search, on every line no format takes).
    static LEVELS: std::sync::LazyLock<[memchr::memmem::Finder<'static>; 6]> =
        std::sync::LazyLock::new(|| {
            ["trce: ", "dbug: ", "info: ", "warn: ", "fail: ", "crit: "]
                .map(memchr::memmem::Finder::new)
        });
    let dotnet = LEVELS
        .iter()
        .find_map(|l| {
            let at = l.find(t.as_bytes())?;
            (at == 0 || (t.as_bytes()[at - 1] == b' ' && lead_time(t).is_some()))
                .then(|| t.get(at + l.needle().len()..))
                .flatten()
        })
        .is_some_and(|rest| {
            let category = rest.split(' ').next().unwrap_or("");
            category.ends_with(']') && category.contains('[')
        });
    let closing = matches!(t, "}" | "}," | "]" | "],");
    let traceback = t == "Traceback (most recent call last):";
    (headline || indented || closing || traceback || dotnet).then(|| Event {
        format: Format::Reason,
        notice: true,
        ..Event::default()
    })
}

/// `[Fri Nov 27 03:15:59.667421 2026] [auth_openidc:error] [pid 1:tid 2]
/// [client 127.0.0.1:44422] message`, or any line whose words a known
/// middleware uses for a rejection (with an RFC 3339 time at its start, if
/// there is one).
pub(super) fn reason(t: &str) -> Option<Event<'_>> {
    let (ts, client, message, known) = match apache_error(t)
        .or_else(|| nginx_error(t))
        .or_else(|| lighttpd_error(t))
        .or_else(|| oauth2_proxy_standard(t))
        .or_else(|| gin_error(t))
    {
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
        // A Basic refusal names the user (never the password): the
        // evidence of a stuffing run.
        user: said.user.map(Cow::Owned),
        cause: said.cause,
        token_times,
        reason: Some((said.family, said.text)),
        ..Event::default()
    })
}

/// The error Gin's logger writes under a request line, for each error its
/// handlers attached (`Error #01: oidc: token is expired …`): a line of a
/// known format, whatever its words.
fn gin_error(t: &str) -> Option<(Option<i64>, Option<String>, &str)> {
    let rest = t.strip_prefix("Error #")?;
    let (n, message) = rest.split_once(": ")?;
    (n.len() == 2 && n.bytes().all(|b| b.is_ascii_digit())).then_some((None, None, message))
}

/// The client (and the request) an application's log line names, where it
/// names them plainly: an address, with or without its port, followed by a
/// method and a target, as Go services and many others print a request
/// (`127.0.0.1:47390 GET /api/orders: …`); or a logfmt or JSON-ish key
/// (`client_ip=10.0.0.7`, `remote_addr="10.0.0.7:5123"`). Any other
/// address in a line (an upstream's, the issuer's) is not taken for the
/// client.
pub(super) fn said_by(message: &str) -> (Option<String>, Option<(&str, &str)>) {
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
    let client = words
        .iter()
        .find_map(|w| {
            let w = w.trim_start_matches(['{', '(', '[']);
            KEYS.iter()
                .find_map(|k| w.strip_prefix(k))
                .and_then(address)
        })
        // `IP: 127.0.0.1` (lighttpd), `client: 10.0.0.7`.
        .or_else(|| {
            words.windows(2).find_map(|w| {
                matches!(w[0], "IP:" | "ip:" | "client:")
                    .then(|| address(w[1]))
                    .flatten()
            })
        });
    (client, None)
}

/// nginx's error-log line: its time, the client's address, the message.
/// `2026/11/27 07:47:07 [error] 1234#1234: *5 user "alice": password
/// mismatch, client: 127.0.0.1, server: localhost, request: "GET /admin
/// HTTP/1.1", host: "api.example"`. The time is the server's local time,
/// read as UTC (as Apache's).
pub(super) fn nginx_error(t: &str) -> Option<(Option<i64>, Option<String>, &str)> {
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
    Some((lead_time(t), client, message))
}

/// lighttpd's error-log line: `2026-11-27 12:52:48: (mod_auth.c.850)
/// message`, its time the server's local time (read as UTC), the client
/// named in the message where it is (`IP: 127.0.0.1`, read by
/// [`said_by`]).
pub(super) fn lighttpd_error(t: &str) -> Option<(Option<i64>, Option<String>, &str)> {
    let b = t.as_bytes();
    // "YYYY-MM-DD HH:MM:SS: (": fixed width.
    if b.len() < 22 || b[4] != b'-' || b[10] != b' ' || &b[19..22] != b": (" {
        return None;
    }
    // "file.c.line) ".
    let (source, message) = t.get(22..)?.split_once(") ")?;
    let (_file, line) = source.rsplit_once('.')?;
    if !source.contains(".c.") || !line.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some((lead_time(t), None, message))
}

/// oauth2-proxy's standard log line: `[27/Nov/2026:10:00:05 +0000]
/// [oauthproxy.go:195] message` (Go's `2026/11/27 10:00:05` before v7).
pub(super) fn oauth2_proxy_standard(t: &str) -> Option<(Option<i64>, Option<String>, &str)> {
    let (time, rest) = t.strip_prefix('[')?.split_once("] [")?;
    let (source, message) = rest.split_once("] ")?;
    let (file, line) = source.rsplit_once(':')?;
    if !file.ends_with(".go") || !line.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let ts = clf_time(time).or_else(|| lead_time(time));
    ts?;
    Some((ts, None, message))
}

/// Apache's error-log line: its time, the client's address, the message.
pub(super) fn apache_error(t: &str) -> Option<(Option<i64>, Option<String>, &str)> {
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
