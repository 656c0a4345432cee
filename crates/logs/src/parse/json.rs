//! JSON lines: whichever members a logger uses for the status, time,
//! client, route and user, and the words it gives for a rejection.

use super::*;

/// A JSON object's line.
pub(super) fn json_line(t: &str) -> Option<Event<'_>> {
    if !t.starts_with('{') {
        return None;
    }
    json(&serde_json::from_str::<Value>(t).ok()?)
}

/// The first of several JSON paths that holds a value.
pub(super) fn first<'a>(v: &'a Value, paths: &[&str]) -> Option<&'a Value> {
    paths.iter().find_map(|p| at(v, p))
}

/// The value at a dotted path; a key that holds the dots itself (an ECS
/// logger's `"http.request.method"`) is tried first.
pub(super) fn at<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
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
pub(super) fn text_at(v: &Value, paths: &[&str]) -> Option<String> {
    paths.iter().find_map(|p| {
        let t = match at(v, p)? {
            Value::String(s) => s.trim().to_owned(),
            Value::Number(n) => n.to_string(),
            _ => return None,
        };
        (!t.is_empty() && t != "-").then_some(t)
    })
}

pub(super) fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The members where loggers put a request's `X-Forwarded-For`: nginx's
/// JSON formats (`$http_x_forwarded_for`), Envoy's and Istio's, Traefik's
/// (with the header kept), Caddy's (the header's first value), pino-http's.
const FORWARDED_FOR: &[&str] = &[
    "http_x_forwarded_for",
    "x_forwarded_for",
    "request_X-Forwarded-For",
    "request.headers.X-Forwarded-For.0",
    "req.headers.x-forwarded-for",
];

/// The members where loggers put why a request was refused, in the words
/// of the middleware or gateway that refused it (before the challenge it
/// answered with, [`CHALLENGES`]): Envoy's
/// `response_code_details` (`jwt_authn_access_denied{Jwt_is_expired}`), an
/// error object's message (pino-http's `err.message`), an `error` string.
/// AWS API Gateway's `$context.authorizer.error` and `$context.error.message`
/// (as their documentation's examples name them).
const WORDS: &[&str] = &[
    "response_code_details",
    "ResponseCodeDetail",
    "err.message",
    "error.message",
    "error_description",
    "authorizerError",
    "authorizer.error",
    "errorMessage",
    // go-grpc-middleware's v2 logging interceptor.
    "grpc.error",
    "error",
    "err",
    "msg",
    "message",
];

/// The HTTP status a gRPC status stands for, where a line logs one: a
/// code (`16`) or its name (`Unauthenticated`, `UNAUTHENTICATED`), as
/// go-grpc-middleware's logging interceptors (`grpc.code`), Envoy's and
/// Istio's JSON formats (`%GRPC_STATUS%`) and gateways write it. The
/// mapping is gRPC's own (its HTTP-to-gRPC table, read back): 16 is 401,
/// 7 is 403.
fn grpc_status(v: &Value) -> Option<u16> {
    let s = first(
        v,
        &[
            "grpc.code",
            "grpc_code",
            "grpc_status",
            "grpc-status",
            "grpcStatus",
            "grpc.status",
        ],
    )?;
    let code = match s {
        Value::Number(n) => n.as_u64()?,
        Value::String(t) => authdoctor_httpauth::grpc::code_named(t),
        _ => return None,
    };
    Some(authdoctor_httpauth::grpc::http_status(code))
}

/// Where loggers put the challenge a refusal was answered with (the
/// response's `WWW-Authenticate`, its `error_description` saying why):
/// Kong's file and HTTP log, pino-http's `res.headers`, Caddy's
/// `resp_headers` (a list per header), Traefik's with headers kept, and a
/// JSON format that names nginx's `$sent_http_www_authenticate`.
const CHALLENGES: &[&str] = &[
    "response.headers.www-authenticate",
    "res.headers.www-authenticate",
    "resp_headers.Www-Authenticate.0",
    "downstream_Www-Authenticate",
    "sent_http_www_authenticate",
    "www_authenticate",
];

/// Where loggers put the request's headers (pino-http's `req.headers`,
/// Kong's and Caddy's `request.headers`).
const REQUEST_HEADERS: &[&str] = &["req.headers", "request.headers"];

/// A 401 whose line shows that no credentials were sent: the request's
/// headers are logged and hold no `Authorization`, and the challenge
/// answered names no error (RFC 6750 §3.1: none is given to a request
/// without credentials). The challenge is asked for too, so that a site
/// whose credentials travel in a cookie is not read as one.
fn sent_no_credentials(v: &Value) -> bool {
    let Some(challenge) = text_at(v, CHALLENGES) else {
        return false;
    };
    let parsed = authdoctor_httpauth::challenge::parse(&challenge).challenges;
    let bare =
        parsed.iter().any(|c| c.is("bearer")) && parsed.iter().all(|c| c.param("error").is_none());
    let headers = REQUEST_HEADERS.iter().find_map(|p| at(v, p)?.as_object());
    bare && headers.is_some_and(|h| !h.keys().any(|k| k.eq_ignore_ascii_case("authorization")))
}

/// The client a JSON line names: the address it logs (without its port),
/// or behind a load balancer, where that is the balancer's, the one the
/// X-Forwarded-For it logs beside it names ([`behind`]).
fn client(v: &Value) -> Option<Cow<'static, str>> {
    let peer = bare_address(&text_at(
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
            "ClientIP",
            "remote",
            "sourceIPs.0",
            "properties.clientIP",
            "properties.clientIp",
            "properties.CIp",
            // Heroku's router: the request's X-Forwarded-For.
            "fwd",
            // Akamai's DataStream.
            "cliIP",
            // go-grpc-middleware's logging interceptors.
            "peer.address",
        ],
    )?);
    let client = text_at(v, FORWARDED_FOR)
        .and_then(|list| behind(&peer, &list).map(str::to_owned))
        .unwrap_or(peer);
    Some(Cow::Owned(client))
}

/// Where JSON loggers put a line's time.
const TIMES: &[&str] = &[
    "ts",
    "time",
    "timestamp",
    "@timestamp",
    "@t",
    "start_time",
    "StartUTC",
    "time_local",
    "time_iso8601",
    "started_at",
    "requestTimeEpoch",
    "requestTime",
    "date",
    "EdgeStartTimestamp",
    "requestReceivedTimestamp",
    // Akamai's DataStream.
    "reqTimeSec",
];

/// Where an application's own JSON log line (pino, zap, logrus,
/// structlog, logstash-logback-encoder, Serilog's compact JSON) puts its
/// words: the message, the error and the exception. A compact-JSON line's
/// message comes first, rendered ([`rendered`]).
const SAID: &[&str] = &[
    "msg",
    "message",
    "error",
    "err",
    "err.message",
    "error.message",
    "exception",
    "@x",
    "stack_trace",
];

/// A compact-JSON (CLEF) line's message: `@m`, or its template `@mt`
/// with its properties put in (`{FailureMessage}`, `{@Name}`, `{Name:l}`),
/// as Serilog renders it. ASP.NET Core's summary of a refusal it logged
/// already (`{AuthenticationScheme} was not authenticated. Failure message:
/// {FailureMessage}`) then reads as the summary it is, and is not counted
/// again.
fn rendered(v: &Value) -> Option<String> {
    if let Some(m) = v.get("@m").and_then(Value::as_str) {
        return Some(m.to_owned());
    }
    let template = v.get("@mt")?.as_str()?;
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        if let Some(escaped) = after.strip_prefix('{') {
            out.push('{');
            rest = escaped;
            continue;
        }
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            rest = "";
            break;
        };
        let name = after[..close]
            .trim_start_matches(['@', '$'])
            .split([':', ','])
            .next()
            .unwrap_or("");
        match v.get(name) {
            Some(Value::String(s)) => out.push_str(s),
            Some(x) if !x.is_null() => out.push_str(&x.to_string()),
            _ => out.push_str(&rest[open..=open + close + 1]),
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// An application's own JSON log line, no request: the refusal it tells
/// of, in its words read through the dialect catalogue (as a text error
/// line's are: a reason, never a request of its own). A line that names no
/// cause is not read (counted as not understood, as before: a gateway's
/// line whose status this reader does not know must not pass unseen).
fn said<'a>(v: &Value) -> Option<Event<'a>> {
    let words: Vec<String> = rendered(v)
        .into_iter()
        .chain(SAID.iter().filter_map(|p| as_text(at(v, p)?)))
        .filter(|w| !w.trim().is_empty())
        .collect();
    // The first words the catalogue knows speak for the line: a summary
    // that names no cause is not overruled by the details after it.
    let said = words
        .iter()
        .find_map(|w| authdoctor_diagnosis::dialects::read(w, "log"))
        .filter(|s| s.cause.is_some())?;
    let ts = first(v, TIMES).and_then(json_time);
    let client = client(v);
    Some(Event {
        format: Format::Json,
        ts,
        client,
        user: said.user.map(Cow::Owned),
        cause: said.cause,
        token_times: said.expired_at.map(|exp| (None, exp)),
        reason: Some((said.family, said.text)),
        ..Event::default()
    })
}

pub(super) fn json<'a>(v: &Value) -> Option<Event<'a>> {
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
    // The Kubernetes API server's audit log writes a request at each stage
    // it reaches: the request is counted once, at its end.
    if v.get("kind").and_then(Value::as_str) == Some("Event")
        && v.get("apiVersion")
            .and_then(Value::as_str)
            .is_some_and(|a| a.starts_with("audit.k8s.io/"))
        && !matches!(
            v.get("stage").and_then(Value::as_str),
            None | Some("ResponseComplete" | "Panic")
        )
    {
        return Some(Event {
            format: Format::Json,
            notice: true,
            ..Event::default()
        });
    }
    // Auth0's and Okta's events: logins and token exchanges, no status.
    if v.get("status").is_none() {
        if let Some(e) = idp_event(v) {
            return Some(e);
        }
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
        // express-winston's `meta`.
        "meta.res.statusCode",
        "httpRequest.status",
        "http_status",
        "httpStatus",
        // Cloudflare's Logpush: what the client was answered.
        "EdgeResponseStatus",
        // The Kubernetes API server's audit log.
        "responseStatus.code",
        // Azure's diagnostic logs: Application Gateway, Front Door, App
        // Service.
        "properties.httpStatus",
        "properties.httpStatusCode",
        "properties.ScStatus",
    ]
    .iter()
    .find_map(|p| {
        let s = at(v, p)?;
        let n = s.as_u64().or_else(|| s.as_str()?.trim().parse().ok())?;
        (100..=599).contains(&n).then_some(n as u16)
    });
    // A gRPC call's outcome is its gRPC status: a refusal is answered with
    // HTTP 200 (trailers-only), so the gRPC status speaks where both are.
    let status = match (status, grpc_status(v)) {
        (None | Some(200), Some(g)) => Some(g),
        (s, _) => s,
    };
    let Some(status) = status else {
        return said(v);
    };
    let ts = first(v, TIMES).and_then(json_time);
    let client = client(v);
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
            "reqPath",
            "url",
            "req.url",
            "meta.req.originalUrl",
            "meta.req.url",
            "httpRequest.requestUrl",
            "http.url",
            "ClientRequestPath",
            "ClientRequestURI",
            "request_path",
            "requestURI",
            "properties.requestUri",
            "properties.CsUriStem",
        ],
    )
    .or_else(|| request_line.as_ref().map(|r| r.1.clone()))
    // A gRPC call's path, as its server's interceptor names it.
    .or_else(|| {
        let service = text_at(v, &["grpc.service"])?;
        let method = text_at(v, &["grpc.method"])?;
        Some(format!("/{service}/{method}"))
    })
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
            "meta.req.method",
            "httpRequest.requestMethod",
            "http.request.method",
            "http.method",
            "ClientRequestMethod",
            "properties.httpMethod",
            "properties.CsMethod",
            // Kubernetes' verb (get, list, create…).
            "verb",
            "reqMethod",
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
            .or_else(|| authdoctor_diagnosis::dialects::said_in_challenge(&text_at(v, CHALLENGES)?))
        {
            cause = said.cause;
            token_times = token_times.or(said.expired_at.map(|exp| (None, exp)));
        } else if status == 401 && sent_no_credentials(v) {
            cause = Some(Cause::CredentialsMissing);
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
                "user.username",
            ],
        )
        // Kubernetes' name for no user at all.
        .filter(|u| u != "system:anonymous")
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
                        "ClientRequestUserAgent",
                        "properties.userAgent",
                        "UA",
                        "properties.UserAgent",
                    ],
                )
            })
            .flatten()
            .map(Cow::Owned),
        node: text_at(
            v,
            &["node", "hostname", "instance", "pod", "host.name", "dyno"],
        )
        .map(Cow::Owned),
        cause,
        credential: first(v, &["token"]).and_then(as_text).map(Cow::Owned),
        token_times,
        secret: None,
        reason: None,
        notice: false,
    })
}
