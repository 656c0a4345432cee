//! `authdoctor guard` as a reverse proxy, over real HTTP on loopback: the
//! embedded lab is the issuer, a small axum app the upstream. Each answer
//! RFC 6750 asks for, the JSON reject log, the outage and abuse answers,
//! and the doctor naming the cause the guard logged.

#![allow(clippy::unwrap_used)]

mod util;

use authdoctor_causes::Cause;
use authdoctor_guard::{Guard, GuardConfig};
use authdoctor_lab::{Lab, Options};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Headers, as `(name, value)`.
type Headers = Vec<(String, String)>;

/// The upstream: answers 200 with what it received (headers), and keeps them.
async fn upstream() -> (String, Arc<Mutex<Vec<Headers>>>) {
    let seen: Arc<Mutex<Vec<Headers>>> = Arc::default();
    let s = seen.clone();
    let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let s = s.clone();
        async move {
            // The headers, and the path as the upstream got it (`:path`).
            let h: Vec<(String, String)> = req
                .headers()
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_owned()))
                .chain(std::iter::once((":path".to_owned(), req.uri().to_string())))
                .collect();
            s.lock().unwrap().push(h);
            if req.uri().path().ends_with("/slow") {
                tokio::time::sleep(Duration::from_millis(600)).await;
            }
            "upstream says hello"
        }
    });
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await });
    (format!("http://{addr}"), seen)
}

/// A guard serving as `authdoctor guard` does (a thread per core, here
/// two); dropping it stops it.
struct Served {
    _guard: Arc<Guard>,
    threads: authdoctor_guard::PerCore,
}

/// Starts a guard for `toml`; returns its base URL.
async fn guard(toml: &str) -> (String, Served) {
    guard_on(toml, 2).await
}

/// [`guard`] on `threads` threads.
async fn guard_on(toml: &str, threads: usize) -> (String, Served) {
    started(toml, threads, true).await
}

/// [`guard`] for an issuer whose keys cannot be had: ready when `/healthz`
/// answers at all (503, the keys missing).
async fn guard_without_keys(toml: &str) -> (String, Served) {
    started(toml, 2, false).await
}

async fn started(toml: &str, threads: usize, keys: bool) -> (String, Served) {
    let c = GuardConfig::from_toml(toml).unwrap();
    let g = Guard::new(c).unwrap();
    let (addr, threads) =
        authdoctor_guard::serve_per_core(g.clone(), "127.0.0.1:0".parse().unwrap(), threads)
            .unwrap();
    let base = format!("http://{addr}");
    until_healthy(&reqwest::Client::new(), &base, keys).await;
    (base, Served { _guard: g, threads })
}

/// Waits until the guard at `base` answers `/healthz` 200, its keys in
/// (or, where `keys` is false, answers at all); 30 s at most: a loaded
/// machine starts slowly. Fails the test after that.
async fn until_healthy(client: &reqwest::Client, base: &str, keys: bool) {
    for _ in 0..600 {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await {
            if r.status() == 200 || !keys {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the guard at {base} did not report healthy in 30 s");
}

fn example_token(lab: &Lab, cause: Cause) -> String {
    let line = &lab
        .info()
        .examples
        .iter()
        .find(|e| e.cause == cause)
        .unwrap()
        .curl;
    line.split("Bearer ")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

fn config(lab: &Lab, upstream: &str, log: &std::path::Path) -> String {
    format!(
        r#"
upstream = "{upstream}"
audience = "{api}/orders"
strip_token = true
[[issuers]]
issuer = "{prod}"
[forward_claims]
sub = "x-auth-subject"
[[routes]]
method = "GET"
path = "/orders*"
scopes = ["orders:read"]
[[routes]]
method = "POST"
path = "/orders*"
scopes = ["orders:write"]
[[routes]]
path = "/public*"
public = true
[limits]
window_seconds = 60
failures_per_client = 20
distinct_credentials_per_client = 5
block_seconds = 60
blocked_delay_ms = 200
[log]
path = "{log}"
"#,
        api = lab.info().api,
        prod = lab.info().issuers["prod"],
        log = log.display()
    )
}

/// An upstream written byte by byte: `serve` is given each connection.
/// Its URL.
async fn raw_upstream<F, Fut>(serve: F) -> String
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let up = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            tokio::spawn(serve(s));
        }
    });
    up
}

/// The issuer (the lab), an upstream, and a guard in front of it with its
/// reject log in a folder of its own: what most tests here stand on.
struct Stand {
    lab: Lab,
    base: String,
    seen: Arc<Mutex<Vec<Headers>>>,
    log: std::path::PathBuf,
    dir: std::path::PathBuf,
    guard: Served,
}

async fn stand(name: &str) -> Stand {
    stand_with(name, "").await
}

/// [`stand`] with more top-level settings for the guard (`key = value`
/// lines).
async fn stand_with(name: &str, settings: &str) -> Stand {
    let (up, seen) = upstream().await;
    stand_before(name, &up, seen, settings).await
}

/// [`stand_with`] in front of the upstream at `up` (what it received,
/// where it keeps it, in `seen`).
async fn stand_before(
    name: &str,
    up: &str,
    seen: Arc<Mutex<Vec<Headers>>>,
    settings: &str,
) -> Stand {
    let lab = Lab::start(Options::default()).await.unwrap();
    let dir = std::env::temp_dir().join(format!("authdoctor-guard-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("reject.jsonl");
    let (base, g) = guard(&format!("{settings}{}", config(&lab, up, &log))).await;
    Stand {
        lab,
        base,
        seen,
        log,
        dir,
        guard: g,
    }
}

impl Stand {
    async fn stop(self) {
        self.lab.shutdown().await;
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A fresh access token from the lab's prod issuer for its orders API
/// (client credentials of `demo-cli`, scope orders:read).
async fn mint(lab: &Lab) -> String {
    util::mint(lab, "orders:read").await
}

/// The body of a GET of `url` (a 200 or not).
async fn text_of(c: &reqwest::Client, url: String) -> String {
    c.get(url).send().await.unwrap().text().await.unwrap()
}

fn log_lines(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guard_answers_as_rfc_6750_asks_and_logs_the_cause() {
    let st = stand("main").await;
    let (lab, base, seen, log) = (&st.lab, st.base.clone(), st.seen.clone(), st.log.clone());
    let _ = (&seen, &log);
    let c = reqwest::Client::new();
    let read = example_token(lab, Cause::TokenScopeInsufficient);

    // A good token: through, stripped, its subject forwarded; a client's
    // own x-auth-subject cannot forge one.
    let r = c
        .get(format!("{base}/orders?x=1"))
        .bearer_auth(&read)
        .header("x-auth-subject", "mallory")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("x-request-id"));
    assert_eq!(r.text().await.unwrap(), "upstream says hello");
    let got = seen.lock().unwrap().last().cloned().unwrap();
    assert!(!got.iter().any(|(n, _)| n == "authorization"), "{got:?}");
    assert!(
        got.contains(&("x-auth-subject".into(), "demo-cli".into())),
        "{got:?}"
    );

    // No credentials: 401, a challenge with no error code, and the metadata.
    let r = c.get(format!("{base}/orders")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let ch = r.headers()["www-authenticate"].to_str().unwrap().to_owned();
    assert!(!ch.contains("error="), "{ch}");
    assert!(ch.contains("resource_metadata="), "{ch}");

    // Expired: 401 invalid_token. Wrong audience, other issuer: the same.
    for (cause, token) in [
        (Cause::TokenExpired, example_token(lab, Cause::TokenExpired)),
        (
            Cause::TokenAudienceMismatch,
            example_token(lab, Cause::TokenAudienceMismatch),
        ),
        (
            Cause::TokenIssuerMismatch,
            example_token(lab, Cause::TokenIssuerMismatch),
        ),
    ] {
        let r = c
            .get(format!("{base}/orders"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{cause}");
        assert!(
            r.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .contains("invalid_token")
        );
    }
    // A read token on a write route: 403 insufficient_scope, with the scope,
    // and the metadata named as in every challenge (RFC 9728 §5.1): a
    // client that steps up reads it there.
    let r = c
        .post(format!("{base}/orders"))
        .bearer_auth(&read)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let ch = r.headers()["www-authenticate"].to_str().unwrap().to_owned();
    assert!(
        ch.contains("insufficient_scope")
            && ch.contains("scope=\"orders:write\"")
            && ch.contains("resource_metadata=\""),
        "{ch}"
    );
    // Malformed (a token broken in two), and two Authorization headers:
    // 400 invalid_request.
    let r = c
        .get(format!("{base}/orders"))
        .header("authorization", format!("Bearer {read} {read}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = c
        .get(format!("{base}/orders"))
        .header("authorization", format!("Bearer {read}"))
        .header("authorization", "Bearer forged")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // Public routes need nothing.
    assert_eq!(
        c.get(format!("{base}/public/x"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    // The guard's own endpoints.
    let m: Value = c
        .get(format!("{base}/.well-known/oauth-protected-resource"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(m["resource"], format!("{}/orders", lab.info().api));
    assert_eq!(m["authorization_servers"][0], lab.info().issuers["prod"]);
    let metrics = text_of(&c, format!("{base}/metrics")).await;
    assert!(
        metrics.contains("authdoctor_guard_rejections_total{reason=\"token.expired\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("authdoctor_guard_requests_total{outcome=\"accepted\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("authdoctor_guard_request_duration_seconds_count"));

    // The reject log: one JSON line each, the cause id, never the token.
    let lines = log_lines(&log);
    let reasons: Vec<&str> = lines.iter().filter_map(|l| l["reason"].as_str()).collect();
    for want in [
        "credentials.missing",
        "token.expired",
        "token.audience_mismatch",
        "token.issuer_mismatch",
        "token.scope_insufficient",
        "header.malformed",
    ] {
        assert!(reasons.contains(&want), "{want} not in {reasons:?}");
    }
    // An expired token's line carries its times (for `authdoctor logs`):
    // refused after its exp.
    let expired = lines
        .iter()
        .find(|l| l["reason"] == "token.expired")
        .unwrap();
    let (iat, exp) = (
        expired["token_iat"].as_i64().unwrap(),
        expired["token_exp"].as_i64().unwrap(),
    );
    let ts: jiff::Timestamp = expired["ts"].as_str().unwrap().parse().unwrap();
    assert!(iat < exp && exp < ts.as_second(), "{expired}");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.contains(&read[40..]), "a token in the log");
    assert!(!text.contains(&example_token(lab, Cause::TokenExpired)[40..]));
    st.stop().await;
}

/// One request with its path exactly as written (an HTTP client would
/// resolve `..` itself); the status and the body.
async fn raw(base: &str, method: &str, path: &str, token: Option<&str>) -> (u16, String) {
    raw_with(base, method, path, token, "").await
}

/// [`raw`] with more header lines (each ended by `\r\n`).
async fn raw_with(
    base: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    extra: &str,
) -> (u16, String) {
    let addr = base.trim_start_matches("http://");
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let text = exchange(
        addr,
        &format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}{extra}Content-Length: 0\r\nConnection: close\r\n\r\n"),
    )
    .await;
    let status = text.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, text)
}

/// Sends `request` as it is on a connection of its own to `addr` and
/// returns all the server answers until it closes (10 s at most).
async fn exchange(addr: &str, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// A public route's prefix, an empty segment or an escape does not carry a
/// request past the rule for the path the upstream will serve: the rules
/// are matched on the resolved path, and that is the path sent upstream.
/// Nor does a method override, or a header named in `Connection`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_path_and_a_method_are_judged_as_the_upstream_will_read_them() {
    let st = stand("paths").await;
    let read = example_token(&st.lab, Cause::TokenScopeInsufficient);
    let last_path = || {
        st.seen
            .lock()
            .unwrap()
            .last()
            .and_then(|h| h.iter().find(|(n, _)| n == ":path").map(|(_, v)| v.clone()))
    };
    // Public stays public.
    assert_eq!(raw(&st.base, "GET", "/public/x", None).await.0, 200);
    assert_eq!(last_path().as_deref(), Some("/public/x"));
    // Through the public prefix, no token: the orders rule, 401.
    for path in [
        "/public/../orders",
        "/public/%2e%2e/orders",
        "/public/.%2E/orders?x=1",
        "/public/./../orders/",
    ] {
        let (status, text) = raw(&st.base, "GET", path, None).await;
        assert_eq!(status, 401, "{path}: {text}");
    }
    // A read token writing through an empty segment or an escape: the
    // write rule, 403.
    for path in ["//orders", "/%6Frders", "/orders//42", "/x/../orders"] {
        let (status, text) = raw(&st.base, "POST", path, Some(&read)).await;
        assert_eq!(status, 403, "{path}: {text}");
        assert!(text.contains("insufficient_scope"), "{path}: {text}");
    }
    // Admitted, the upstream gets the path the rule was matched on.
    let (status, _) = raw(&st.base, "GET", "/public/../orders/./42?x=%2F", Some(&read)).await;
    assert_eq!(status, 200);
    assert_eq!(last_path().as_deref(), Some("/orders/42?x=%2F"));
    // What cannot be made unambiguous: 400, never forwarded.
    let before = st.seen.lock().unwrap().len();
    for path in [
        "/public%2f..%2forders",
        "/public/..%5Corders",
        "/public\\..\\orders",
        "/orders%00",
        // Decoded twice, as some servers do: the orders rule.
        "/public/..%252Forders",
        "/%256Frders",
    ] {
        let (status, text) = raw(&st.base, "GET", path, Some(&read)).await;
        assert_eq!(status, 400, "{path}: {text}");
        assert!(text.contains("invalid_request"), "{path}: {text}");
    }
    // No path at all: asterisk-form (OPTIONS *) and authority-form
    // (CONNECT) name no rule; refused, where they failed upstream as 502s.
    for (method, target) in [("OPTIONS", "*"), ("CONNECT", "127.0.0.1:9")] {
        let (status, text) = raw(&st.base, method, target, Some(&read)).await;
        assert_eq!(status, 400, "{method} {target}: {text}");
        assert!(
            text.contains("invalid_request"),
            "{method} {target}: {text}"
        );
    }
    // A method override naming another method: 400, never forwarded; one
    // naming the method sent is no override.
    for h in [
        "X-HTTP-Method-Override",
        "X-HTTP-Method",
        "X-Method-Override",
    ] {
        let (status, text) = raw_with(
            &st.base,
            "GET",
            "/orders",
            Some(&read),
            &format!("{h}: POST\r\n"),
        )
        .await;
        assert_eq!(status, 400, "{h}: {text}");
    }
    // The same in the query's `_method` (Symfony and Laravel read it for a
    // POST), its escapes decoded; one naming the method sent is none.
    for target in ["/orders?_method=DELETE", "/orders?a=1&%5Fmethod=delete"] {
        let (status, text) = raw(&st.base, "POST", target, Some(&read)).await;
        assert_eq!(status, 400, "{target}: {text}");
        assert!(text.contains("_method"), "{target}: {text}");
    }
    // Two Host headers: which one the upstream reads is its own choice.
    let (status, text) = raw_with(
        &st.base,
        "GET",
        "/orders",
        Some(&read),
        "Host: other.example\r\n",
    )
    .await;
    assert_eq!(status, 400, "{text}");
    // No Host at all, in HTTP/1.1: the same.
    let text = exchange(
        st.base.trim_start_matches("http://"),
        &format!(
            "GET /orders HTTP/1.1\r\nAuthorization: Bearer {read}\r\nConnection: close\r\n\r\n"
        ),
    )
    .await;
    assert!(text.starts_with("HTTP/1.1 400"), "{text}");
    // A path override naming another path (IIS, Symfony and Laravel
    // route by it): 400, never forwarded.
    for h in ["X-Original-URL", "X-Rewrite-URL"] {
        let (status, text) = raw_with(
            &st.base,
            "GET",
            "/public/x",
            None,
            &format!("{h}: /orders\r\n"),
        )
        .await;
        assert_eq!(status, 400, "{h}: {text}");
        assert!(text.contains("X-Original-URL"), "{h}: {text}");
    }
    assert_eq!(st.seen.lock().unwrap().len(), before);
    let (status, _) = raw_with(
        &st.base,
        "GET",
        "/orders",
        Some(&read),
        "X-HTTP-Method-Override: get\r\nX-Original-URL: /orders?a=1\r\n",
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = raw(&st.base, "GET", "/orders?_method=GET", Some(&read)).await;
    assert_eq!(status, 200);
    // A CORS preflight (never with credentials) goes to the upstream; an
    // OPTIONS request that is no preflight still needs a token.
    let (status, text) = raw_with(
        &st.base,
        "OPTIONS",
        "/orders",
        None,
        "Origin: https://app.example\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: authorization\r\n",
    )
    .await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("upstream says hello"), "{text}");
    let (status, _) = raw(&st.base, "OPTIONS", "/orders", None).await;
    assert_eq!(status, 401);
    // A token in the query beside the header's: 400 (RFC 6750 §2), its
    // name escaped or not.
    for path in [
        "/orders?access_token=another",
        "/orders?x=1&access%5Ftoken=another",
    ] {
        let (status, text) = raw(&st.base, "GET", path, Some(&read)).await;
        assert_eq!(status, 400, "{path}: {text}");
        assert!(text.contains("invalid_request"), "{path}: {text}");
    }
    // A dot segment with `;` parameters is `..` to Tomcat, Jetty and
    // Spring and a name to the others: 400, never forwarded. Parameters on
    // a name that leave the rule as it is are kept.
    let before = st.seen.lock().unwrap().len();
    for path in [
        "/public/..;/orders",
        "/public/.;/../orders",
        "/public/%2e%2e;x=1/orders",
        "/public;a/..;b/orders",
    ] {
        let (status, text) = raw(&st.base, "GET", path, None).await;
        assert_eq!(status, 400, "{path}: {text}");
        assert!(text.contains("dot segment"), "{path}: {text}");
        assert!(text.contains("connection: close"), "{path}: {text}");
    }
    assert_eq!(st.seen.lock().unwrap().len(), before);
    // Each such 400 is a line of the reject log, with no cause id: the
    // credentials are not at fault.
    let logged = log_lines(&st.log);
    let line = logged
        .iter()
        .find(|l| l["event"] == "invalid_request" && l["route"] == "/public/..;/orders")
        .unwrap_or_else(|| panic!("{logged:#?}"));
    assert_eq!(line["status"], 400);
    assert_eq!(line["client"], "127.0.0.1");
    assert!(line["reason"].is_null(), "{line}");
    assert!(
        line["detail"].as_str().unwrap().contains("dot segment"),
        "{line}"
    );
    let (status, _) = raw(&st.base, "GET", "/orders;jsessionid=1/42", Some(&read)).await;
    assert_eq!(status, 200);
    assert_eq!(last_path().as_deref(), Some("/orders;jsessionid=1/42"));
    // RFC 6750 §2.1: one or more spaces after the scheme.
    let (status, text) = raw_with(
        &st.base,
        "GET",
        "/orders",
        None,
        &format!("Authorization: Bearer   {read}\r\n"),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    // A header that CGI, WSGI and Rack read as one the guard sets
    // (`X_Auth_Subject` is HTTP_X_AUTH_SUBJECT, as `X-Auth-Subject` is)
    // goes no further, on a public route or an admitted request.
    for (path, token) in [("/public/x", None), ("/orders", Some(read.as_str()))] {
        let (status, _) = raw_with(
            &st.base,
            "GET",
            path,
            token,
            "X_Auth_Subject: admin\r\nx_forwarded_for: 10.0.0.1\r\nX-Auth_Subject: root\r\n",
        )
        .await;
        assert_eq!(status, 200, "{path}");
        let got = st.seen.lock().unwrap().last().cloned().unwrap();
        assert!(
            !got.iter()
                .any(|(n, v)| n.contains('_') || v == "admin" || v == "root"),
            "{path}: {got:?}"
        );
    }
    // A body framed twice (Content-Length and Transfer-Encoding) is read
    // by its chunks alone and the connection closed after the answer
    // (RFC 9112 §6.1): the request smuggled behind it is never read.
    {
        let addr = st.base.trim_start_matches("http://");
        let smuggled = format!("GET /orders HTTP/1.1\r\nHost: {addr}\r\n\r\n");
        let body = format!("0\r\n\r\n{smuggled}");
        let text = exchange(
            addr,
            &format!(
                "POST /public/form HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nTransfer-Encoding: chunked\r\n\r\n{body}",
                body.len()
            ),
        )
        .await;
        assert!(text.starts_with("HTTP/1.1 200"), "{text}");
        assert_eq!(text.matches("HTTP/1.1 ").count(), 1, "{text}");
        let got = st.seen.lock().unwrap().last().cloned().unwrap();
        assert!(
            got.contains(&(":path".into(), "/public/form".into())),
            "{got:?}"
        );
    }
    // An exact rule for a protected path beside a public catch-all: the
    // path read without its parameters falls under another rule, so it is
    // refused rather than judged by the lenient one.
    let (up2, seen2) = upstream().await;
    let (base2, _g2) = guard(&format!(
        "{}[[routes]]\npath = \"/admin\"\nscopes = [\"admin\"]\n[[routes]]\npath = \"/*\"\npublic = true\n",
        config(&st.lab, &up2, &st.dir.join("reject-admin.jsonl"))
    ))
    .await;
    assert_eq!(raw(&base2, "GET", "/admin", None).await.0, 401);
    for path in ["/admin;x", "/admin;jsessionid=0"] {
        let (status, text) = raw(&base2, "GET", path, None).await;
        assert_eq!(status, 400, "{path}: {text}");
        assert!(text.contains("rule"), "{path}: {text}");
    }
    // The same for letter case, which IIS ignores: /ADMIN is its /admin.
    for path in ["/ADMIN", "/Admin"] {
        let (status, text) = raw(&base2, "GET", path, None).await;
        assert_eq!(status, 400, "{path}: {text}");
        assert!(text.contains("letter case"), "{path}: {text}");
    }
    // And for the trailing dots and spaces Windows drops: /admin. is its
    // /admin.
    for path in ["/admin.", "/admin%20", "/admin.%20."] {
        let (status, text) = raw(&base2, "GET", path, None).await;
        assert_eq!(status, 400, "{path}: {text}");
        assert!(text.contains("dots or spaces"), "{path}: {text}");
    }
    // And a read token cannot write by shouting the path.
    let (status, text) = raw(&st.base, "POST", "/ORDERS", Some(&read)).await;
    assert_eq!(status, 400, "{text}");
    assert!(seen2.lock().unwrap().is_empty());
    assert_eq!(raw(&base2, "GET", "/news;v=2", None).await.0, 200);
    assert_eq!(raw(&base2, "GET", "/News", None).await.0, 200);
    // Where admitted requests keep their token (strip_token = false), a
    // public route's bearer token, which nobody checked, goes no further;
    // another scheme (Basic, for a login route) is the upstream's.
    let (up3, seen3) = upstream().await;
    let (base3, _g3) = guard(
        &config(&st.lab, &up3, &st.dir.join("reject-kept.jsonl"))
            .replace("strip_token = true", "strip_token = false"),
    )
    .await;
    let authorization = |seen: &Arc<Mutex<Vec<Headers>>>| {
        seen.lock().unwrap().last().and_then(|h| {
            h.iter()
                .find(|(n, _)| n == "authorization")
                .map(|(_, v)| v.clone())
        })
    };
    assert_eq!(
        raw(&base3, "GET", "/public/x", Some("forged.by.me"))
            .await
            .0,
        200
    );
    assert_eq!(authorization(&seen3), None);
    let (status, _) = raw_with(
        &base3,
        "GET",
        "/public/login",
        None,
        "Authorization: Basic YWxpY2U6c2VjcmV0\r\n",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        authorization(&seen3).as_deref(),
        Some("Basic YWxpY2U6c2VjcmV0")
    );
    assert_eq!(raw(&base3, "GET", "/orders", Some(&read)).await.0, 200);
    assert_eq!(authorization(&seen3), Some(format!("Bearer {read}")));
    // Headers the client names in Connection go no further; naming the
    // guard's own forwarded header does not remove it.
    let (status, _) = raw_with(
        &st.base,
        "GET",
        "/orders",
        Some(&read),
        "X-Hop: 1\r\nConnection: x-hop, x-auth-subject\r\n",
    )
    .await;
    assert_eq!(status, 200);
    let got = st.seen.lock().unwrap().last().cloned().unwrap();
    assert!(!got.iter().any(|(n, _)| n == "x-hop"), "{got:?}");
    assert!(
        got.contains(&("x-auth-subject".into(), "demo-cli".into())),
        "{got:?}"
    );
    st.stop().await;
}

/// A client that dribbles its headers, or opens a connection and says
/// nothing, is cut off after `header_timeout_seconds`; the others are served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_client_is_cut_off_and_holds_nothing() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let st = stand_with("slow", "header_timeout_seconds = 1\n").await;
    let addr = st.base.trim_start_matches("http://").to_owned();
    let mut dribbling = tokio::net::TcpStream::connect(&addr).await.unwrap();
    dribbling
        .write_all(b"GET /orders HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut silent = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let started = std::time::Instant::now();
    for conn in [&mut dribbling, &mut silent] {
        let mut buf = Vec::new();
        // Closed by the guard (an answer or none, then the end), long
        // before this test would give up.
        let read = tokio::time::timeout(Duration::from_secs(20), conn.read_to_end(&mut buf)).await;
        assert!(read.is_ok(), "still open after {:?}", started.elapsed());
    }
    // Meanwhile and after, a normal client is served.
    let read = example_token(&st.lab, Cause::TokenScopeInsufficient);
    let (status, _) = raw(&st.base, "GET", "/orders", Some(&read)).await;
    assert_eq!(status, 200);
    st.stop().await;
}

/// A request's head is bounded alike over HTTP/1.1 and HTTP/2: a head
/// with a header of 100 KiB is answered 431 on a public route (nothing of
/// it reaches the upstream), where one of 48 KiB (a token with many group
/// claims has room) is carried on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_head_is_bounded_alike_over_http_1_1_and_http_2() {
    let st = stand("head").await;
    let h1 = reqwest::Client::new();
    let h2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    for (version, c) in [("HTTP/1.1", &h1), ("HTTP/2", &h2)] {
        for (size, want) in [(48 * 1024, 200), (100 * 1024, 431)] {
            let before = st.seen.lock().unwrap().len();
            let marker = format!("{version}-{size}");
            let r = c
                .get(format!("{}/public/{marker}", st.base))
                .header("x-large", "a".repeat(size))
                .send()
                .await;
            // HTTP/2 may refuse a head past its limit by a reset instead.
            let status = r.map(|r| r.status().as_u16()).unwrap_or(431);
            assert_eq!(status, want, "{version}, a header of {size} bytes");
            let reached = st.seen.lock().unwrap()[before..]
                .iter()
                .any(|h| h.iter().any(|(n, v)| n == ":path" && v.contains(&marker)));
            assert_eq!(reached, want == 200, "{version}, {size} bytes upstream");
        }
    }
    st.stop().await;
}

/// The status of `GET url` with the `i`th of a run of distinct forged
/// tokens (`forged`, its last two characters replaced), from loopback
/// address `from`, the client writing `xff` as its X-Forwarded-For.
async fn forged_get(url: &str, forged: &str, i: usize, from: [u8; 4], xff: &str) -> u16 {
    util::client_from(from)
        .get(url)
        .bearer_auth(format!("{}{i}", &forged[..forged.len() - 2]))
        .header("x-forwarded-for", xff)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Behind a trusted load balancer every connection is the balancer's: the
/// client is the address it appended to X-Forwarded-For, so one client
/// guessing tokens is blocked and the next client through the same
/// balancer is not; an untrusted connection's header is not believed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_each_client_is_told_apart() {
    let st = stand_with("behind", "trusted_proxies = [\"127.0.0.1\"]\n").await;
    let forged = example_token(&st.lab, Cause::TokenSignatureInvalid);
    let url = format!("{}/orders", st.base);
    // The guesser writes an address of its own first; the balancer appends
    // the one it saw.
    let send = |xff: &'static str, i: usize| forged_get(&url, &forged, i, [127, 0, 0, 1], xff);
    let mut statuses = Vec::new();
    for i in 0..30 {
        statuses.push(send("192.0.2.1, 203.0.113.9", i).await);
    }
    assert_eq!(*statuses.last().unwrap(), 429, "{statuses:?}");
    // Another client through the same balancer is judged on its own.
    assert_eq!(send("203.0.113.10", 99).await, 401);
    let lines = log_lines(&st.log);
    let flagged: Vec<&Value> = lines
        .iter()
        .filter(|l| l["event"] == "client_flagged")
        .collect();
    assert!(!flagged.is_empty(), "{lines:?}");
    assert!(
        flagged.iter().all(|l| l["client"] == "203.0.113.9"),
        "{flagged:?}"
    );
    assert!(
        lines.iter().any(|l| l["client"] == "203.0.113.10"),
        "{lines:?}"
    );
    st.stop().await;

    // Without trusted_proxies, the header is the client's word: ignored.
    let st = stand("untrusted").await;
    let forged = example_token(&st.lab, Cause::TokenSignatureInvalid);
    let url = format!("{}/orders", st.base);
    let mut last = 0;
    for i in 0..30 {
        last = forged_get(&url, &forged, i, [127, 0, 0, 1], &format!("203.0.113.{i}")).await;
    }
    assert_eq!(last, 429, "a header changed the address the limits count");
    st.stop().await;

    // Over IPv6 a client is its /64: a guesser that takes a fresh address
    // of its network for each request is blocked all the same (its next
    // address too); a client of another network is judged on its own.
    let st = stand_with("behind6", "trusted_proxies = [\"127.0.0.1\"]\n").await;
    let forged = example_token(&st.lab, Cause::TokenSignatureInvalid);
    let url = format!("{}/orders", st.base);
    let token = mint(&st.lab).await;
    let valid = || async {
        util::client_from([127, 0, 0, 1])
            .get(&url)
            .bearer_auth(&token)
            .header("x-forwarded-for", "2001:db8:7:1::5")
            .send()
            .await
            .unwrap()
            .status()
    };
    assert_eq!(valid().await, 200);
    let mut statuses = Vec::new();
    for i in 0..30 {
        let from = format!("2001:db8:7:1:{i:x}::{:x}", i * 7 + 1);
        statuses.push(forged_get(&url, &forged, i, [127, 0, 0, 1], &from).await);
    }
    assert_eq!(*statuses.last().unwrap(), 429, "{statuses:?}");
    assert_eq!(
        forged_get(&url, &forged, 98, [127, 0, 0, 1], "2001:db8:7:1:ffff::99").await,
        429
    );
    assert_eq!(
        forged_get(&url, &forged, 99, [127, 0, 0, 1], "2001:db8:7:2::1").await,
        401
    );
    // A client of the blocked network whose token the guard has verified
    // is still served.
    assert_eq!(valid().await, 200);
    let flagged: Vec<Value> = log_lines(&st.log)
        .into_iter()
        .filter(|l| l["event"] == "client_flagged")
        .collect();
    assert!(
        !flagged.is_empty() && flagged.iter().all(|l| l["client"] == "2001:db8:7:1::/64"),
        "{flagged:?}"
    );
    st.stop().await;
}

/// What the upstream is told of where a request came from. From a client
/// (the guard the first hop), the client's own forwarding headers are not
/// passed on, in any spelling: the upstream hears the connection's
/// address, the Host asked for, plain http. From a trusted proxy, its word
/// is passed on, with the address it connected from appended.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_trusted_proxy_tells_the_upstream_where_a_request_came_from() {
    let spoofed = [
        ("x-forwarded-for", "6.6.6.6"),
        ("x-forwarded-host", "evil.example"),
        ("x-forwarded-proto", "https"),
        ("x-real-ip", "10.0.0.1"),
        ("forwarded", "for=1.2.3.4;host=evil.example;proto=https"),
        ("x-forwarded-prefix", "/evil"),
        ("x_forwarded_host", "evil2.example"),
        ("true-client-ip", "10.0.0.2"),
    ];
    let seen_for = |st: &Stand| {
        let all = st.seen.lock().unwrap().clone();
        all.last().unwrap().clone()
    };
    let get = |h: &Headers, n: &str| -> Vec<String> {
        h.iter()
            .filter(|(k, _)| k == n)
            .map(|(_, v)| v.clone())
            .collect()
    };
    let st = stand("forwarding").await;
    let mut r = reqwest::Client::new().get(format!("{}/public/x", st.base));
    for (n, v) in spoofed {
        r = r.header(n, v);
    }
    assert_eq!(r.send().await.unwrap().status(), 200);
    let h = seen_for(&st);
    let host = st.base.trim_start_matches("http://").to_owned();
    assert_eq!(get(&h, "x-forwarded-for"), ["127.0.0.1"], "{h:?}");
    assert_eq!(get(&h, "x-real-ip"), ["127.0.0.1"], "{h:?}");
    assert_eq!(get(&h, "x-forwarded-host"), [host], "{h:?}");
    assert_eq!(get(&h, "x-forwarded-proto"), ["http"], "{h:?}");
    for gone in [
        "forwarded",
        "x-forwarded-prefix",
        "x_forwarded_host",
        "true-client-ip",
    ] {
        assert!(get(&h, gone).is_empty(), "{gone}: {h:?}");
    }
    // A real upstream that believes its proxy (Express with `trust
    // proxy`): what it makes of the same spoofed request through the guard.
    if let Some((_app, port)) = util::node_server("express-behind-proxy.mjs", "express") {
        let (base, _g) = guard(&config(
            &st.lab,
            &format!("http://127.0.0.1:{port}"),
            &st.dir.join("express.jsonl"),
        ))
        .await;
        let mut r = reqwest::Client::new().get(format!("{base}/public/x"));
        for (n, v) in spoofed {
            r = r.header(n, v);
        }
        let v: Value = r.send().await.unwrap().json().await.unwrap();
        let host = base.trim_start_matches("http://");
        assert_eq!(v["ip"], "127.0.0.1", "{v}");
        assert_eq!(v["protocol"], "http", "{v}");
        assert_eq!(v["hostname"], "127.0.0.1", "{v}");
        assert_eq!(v["link"], format!("http://{host}/reset?code=1"), "{v}");
    }
    st.stop().await;

    let st = stand_with("forwarding-trusted", "trusted_proxies = [\"127.0.0.1\"]\n").await;
    let r = reqwest::Client::new()
        .get(format!("{}/public/x", st.base))
        .header("x-forwarded-for", "203.0.113.9")
        .header("x-forwarded-host", "shop.example")
        .header("x-forwarded-proto", "https")
        .header("forwarded", "for=203.0.113.9;proto=https")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let h = seen_for(&st);
    assert_eq!(
        get(&h, "x-forwarded-for"),
        ["203.0.113.9, 127.0.0.1"],
        "{h:?}"
    );
    assert_eq!(get(&h, "x-real-ip"), ["203.0.113.9"], "{h:?}");
    assert_eq!(get(&h, "x-forwarded-host"), ["shop.example"], "{h:?}");
    assert_eq!(get(&h, "x-forwarded-proto"), ["https"], "{h:?}");
    assert_eq!(
        get(&h, "forwarded"),
        ["for=203.0.113.9;proto=https"],
        "{h:?}"
    );
    st.stop().await;
}

/// The same behind a real load balancer: Debian's HAProxy with `option
/// forwardfor` in front of the guard, clients on addresses of their own.
/// HAProxy appends the address it saw to what the client sent, and the
/// guard, trusting HAProxy, judges each client by that address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_real_haproxy_each_client_is_told_apart() {
    let Some(haproxy) = ["/usr/sbin/haproxy", "/usr/bin/haproxy"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
    else {
        util::installed("haproxy", false);
        return;
    };
    let st = stand_with("haproxy", "trusted_proxies = [\"127.0.0.1\"]\n").await;
    let guard = st.base.trim_start_matches("http://").to_owned();
    let port = util::free_port();
    let cfg = st.dir.join("haproxy.cfg");
    std::fs::write(
        &cfg,
        format!(
            "defaults\n  mode http\n  option forwardfor\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n\
             frontend api\n  bind 127.0.0.1:{port}\n  default_backend guard\n\
             backend guard\n  server g {guard}\n"
        ),
    )
    .unwrap();
    let mut lb = std::process::Command::new(haproxy)
        .arg("-f")
        .arg(&cfg)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    util::wait_for_port(&mut lb, port, None);
    let forged = example_token(&st.lab, Cause::TokenSignatureInvalid);
    let url = format!("http://127.0.0.1:{port}/orders");
    // What a client writes itself is not believed.
    let send = |from: u8, i: usize| forged_get(&url, &forged, i, [127, 0, 0, from], "192.0.2.1");
    let mut statuses = Vec::new();
    for i in 0..30 {
        statuses.push(send(9, i).await);
    }
    assert_eq!(*statuses.last().unwrap(), 429, "{statuses:?}");
    assert_eq!(
        send(10, 99).await,
        401,
        "another client behind the same balancer"
    );
    let _ = lb.kill();
    let _ = lb.wait();
    let lines = log_lines(&st.log);
    assert!(
        lines
            .iter()
            .any(|l| l["event"] == "client_flagged" && l["client"] == "127.0.0.9"),
        "{lines:?}"
    );
    assert!(
        lines.iter().all(|l| l["client"] != "192.0.2.1"),
        "{lines:?}"
    );
    st.stop().await;
}

/// Past max_connections the guard accepts no more until one closes: idle
/// connections cannot take every descriptor it has, and the next client
/// is served as soon as one goes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_its_connection_limit_the_guard_waits_for_one_to_close() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let lab = Lab::start(Options::default()).await.unwrap();
    let (up, _) = upstream().await;
    let dir = std::env::temp_dir().join(format!("authdoctor-guard-conns-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // One thread: its listener holds the next connection's permit.
    let (base, served) = guard_on(
        &format!(
            "max_connections = 3\n{}",
            config(&lab, &up, &dir.join("r.jsonl"))
        ),
        1,
    )
    .await;
    let addr = base.trim_start_matches("http://").to_owned();
    let mut idle = Vec::new();
    for _ in 0..3 {
        idle.push(tokio::net::TcpStream::connect(&addr).await.unwrap());
    }
    // The fourth connects (the kernel's queue) but is not served...
    let mut next = tokio::net::TcpStream::connect(&addr).await.unwrap();
    next.write_all(
        format!("GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut buf = Vec::new();
    let early = tokio::time::timeout(Duration::from_secs(2), next.read_to_end(&mut buf)).await;
    assert!(
        early.is_err() && buf.is_empty(),
        "served past the limit: {}",
        String::from_utf8_lossy(&buf)
    );
    // ... until one of the idle ones goes.
    drop(idle.pop());
    tokio::time::timeout(Duration::from_secs(20), next.read_to_end(&mut buf))
        .await
        .expect("served once a connection closed")
        .unwrap();
    let text = String::from_utf8_lossy(&buf);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(
        text.contains("authdoctor_guard_connections_limit 3\n"),
        "{text}"
    );
    assert!(
        !text.contains("authdoctor_guard_connection_limit_waits_total 0\n"),
        "{text}"
    );
    // The wait is logged, once.
    let log = std::fs::read_to_string(dir.join("r.jsonl")).unwrap_or_default();
    assert_eq!(log.matches("\"connection_limit\"").count(), 1, "{log}");
    drop(served);
    lab.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thread_per_core_serves_every_connection_and_stops_after_the_requests_in_flight() {
    let s = stand("percore").await;
    let token = mint(&s.lab).await;
    // Sixteen clients, each on connections of its own: the kernel spreads
    // them over both threads' listeners; every one is served.
    let mut answers = Vec::new();
    for _ in 0..16 {
        let (base, token) = (s.base.clone(), token.clone());
        answers.push(tokio::spawn(async move {
            let c = reqwest::Client::new();
            let mut codes = Vec::new();
            for _ in 0..5 {
                let r = c
                    .get(format!("{base}/orders"))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap();
                codes.push(r.status().as_u16());
            }
            codes
        }));
    }
    for a in answers {
        assert_eq!(a.await.unwrap(), vec![200; 5]);
    }
    assert_eq!(s.seen.lock().unwrap().len(), 80);
    // The port is the guard's alone: a second guard on it does not start
    // (and so cannot take a share of the connections unseen).
    let taken: std::net::SocketAddr = s.base.trim_start_matches("http://").parse().unwrap();
    let second = Guard::new(
        GuardConfig::from_toml(&config(
            &s.lab,
            "http://127.0.0.1:9",
            &s.dir.join("second.jsonl"),
        ))
        .unwrap(),
    )
    .unwrap();
    let err = authdoctor_guard::serve_per_core(second, taken, 2).err();
    assert_eq!(err.map(|e| e.kind()), Some(std::io::ErrorKind::AddrInUse));
    // A request in flight when the guard is told to stop gets its answer;
    // after the stop, the port is closed.
    let (base, t) = (s.base.clone(), token.clone());
    let slow = tokio::spawn(async move {
        reqwest::Client::new()
            .get(format!("{base}/orders/slow"))
            .bearer_auth(&t)
            .send()
            .await
            .map(|r| r.status().as_u16())
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let Stand {
        lab,
        guard,
        dir,
        base,
        ..
    } = s;
    tokio::task::spawn_blocking(move || guard.threads.stop())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(slow.await.unwrap().unwrap(), 200);
    assert!(
        reqwest::Client::new()
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_err(),
        "the port still answers after the stop"
    );
    lab.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outages_are_503_and_502_never_401() {
    let lab = Lab::start(Options::default()).await.unwrap();
    let read = example_token(&lab, Cause::TokenScopeInsufficient);
    // The issuer's keys cannot be had: 503 with Retry-After.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let (base, _g) = guard_without_keys(&format!(
        "upstream = \"http://127.0.0.1:9\"\naudience = \"a\"\n[[issuers]]\nissuer = \"http://{dead}\"\n"
    ))
    .await;
    let c = reqwest::Client::new();
    let r = c
        .get(format!("{base}/x"))
        .bearer_auth(&read)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("retry-after"));
    let h = c.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(h.status(), 503);
    // The doctor says the guard could not judge it, and when to come back.
    let d = diagnosed("GET", format!("{base}/x"), bearer(&read)).await;
    let said = d.not_an_auth_failure.clone().unwrap_or_default();
    assert!(
        said.starts_with("The server answered 503 Service Unavailable and asks to wait")
            && said.contains("did not judge the credentials"),
        "{d:?}"
    );
    // The upstream is down: 502, after the token passed.
    let dir = std::env::temp_dir().join(format!("authdoctor-guard-o-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (base, _g) = guard(&config(&lab, "http://127.0.0.1:9", &dir.join("l.jsonl"))).await;
    let r = c
        .get(format!("{base}/orders"))
        .bearer_auth(&read)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 502);
    lab.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// An API known by two identifiers (`other_audiences`): a token naming
/// the other one passes; without it, the same token is refused as for
/// another audience, and the refusal names what the guard expects.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_for_another_of_the_apis_identifiers_passes() {
    let lab = Lab::start(Options::default()).await.unwrap();
    let (up, _) = upstream().await;
    let dir = std::env::temp_dir().join(format!("authdoctor-guard-auds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let minted = format!("audience = \"{}/orders\"", lab.info().api);
    let renamed = |others: &str, log: &str| {
        config(&lab, &up, &dir.join(log)).replace(
            &minted,
            &format!("audience = \"api://orders-v2\"\nother_audiences = [{others}]"),
        )
    };
    let token = mint(&lab).await;
    let c = reqwest::Client::new();
    let (both, _g1) = guard(&renamed(
        &format!("\"{}/orders\"", lab.info().api),
        "a.jsonl",
    ))
    .await;
    let r = c
        .get(format!("{both}/orders"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (one, _g2) = guard(&renamed("", "b.jsonl")).await;
    let r = c
        .get(format!("{one}/orders"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let lines = log_lines(&dir.join("b.jsonl"));
    assert_eq!(
        lines.last().unwrap()["reason"],
        "token.audience_mismatch",
        "{lines:?}"
    );
    lab.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// An upstream that takes the request and never answers: 504 once
/// `upstream_timeout_seconds` have passed since the request was all sent,
/// and the connection free again. An upload slower than that limit is not
/// cut: the clock starts at the body's end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_that_never_answers_is_a_504_and_a_slow_upload_is_not_cut() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let up = raw_upstream(|mut s| async move {
        // The head, and the body its Content-Length gives.
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        let (head_end, length) = loop {
            let n = s.read(&mut buf).await.unwrap_or(0);
            if n == 0 {
                return;
            }
            got.extend_from_slice(&buf[..n]);
            if let Some(i) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&got[..i]).to_ascii_lowercase();
                let length = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                break (i + 4, length);
            }
        };
        while got.len() < head_end + length {
            let n = s.read(&mut buf).await.unwrap_or(0);
            if n == 0 {
                return;
            }
            got.extend_from_slice(&buf[..n]);
        }
        if got.starts_with(b"POST /public/upload ") {
            let _ = s
                .write_all(
                    format!("HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\ngot {length:>3}")
                        .as_bytes(),
                )
                .await;
        }
        // Anything else: taken, never answered.
        tokio::time::sleep(Duration::from_secs(120)).await;
    })
    .await;
    let st = stand_before(
        "hang",
        &up,
        Arc::default(),
        "upstream_timeout_seconds = 1\n",
    )
    .await;
    let (base, log) = (st.base.clone(), st.log.clone());
    // Bounded, so that a guard that waited for ever fails the test.
    let c = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let r = c.get(format!("{base}/public/hang")).send().await.unwrap();
    assert_eq!(r.status(), 504);
    assert!(started.elapsed() >= Duration::from_secs(1));
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "gateway_timeout");
    // An upload that takes longer than the limit, then answered at once.
    let addr = base.trim_start_matches("http://").to_owned();
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    s.write_all(b"POST /public/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nfirst")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1600)).await;
    s.write_all(b"-last").await.unwrap();
    let mut out = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(10), s.read(&mut out))
        .await
        .unwrap()
        .unwrap();
    let answer = String::from_utf8_lossy(&out[..n]);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("got  10"), "{answer}");
    // A body sent at once to an upstream that never answers: 504 too.
    let r = c
        .post(format!("{base}/public/hang"))
        .body("order=1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 504);
    let metrics = text_of(&c, format!("{base}/metrics")).await;
    assert!(
        metrics.contains("authdoctor_guard_upstream_errors_total 2\n"),
        "{metrics}"
    );
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(logged.contains("no answer within 1 s"), "{logged}");
    st.stop().await;
}

/// An upstream that closes a kept-alive connection as the next request
/// arrives on it, unanswered and without `Connection: close` (its idle
/// timeout's race): a GET goes again once on a fresh connection and is
/// answered; a POST, which may not be repeated, is the client's 502.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_the_upstream_closed_its_connection_under_is_sent_again_if_it_may_be() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let heads: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = heads.clone();
    let up = raw_upstream(move |mut s| {
        let seen = seen.clone();
        async move {
            let mut buf = vec![0u8; 16384];
            let n = s.read(&mut buf).await.unwrap_or(0);
            seen.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&buf[..n]).into_owned());
            let _ = s
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
                .await;
            let n = s.read(&mut buf).await.unwrap_or(0);
            seen.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&buf[..n]).into_owned());
            // Closed under the request just read.
        }
    })
    .await;
    let st = stand_before("close", &up, Arc::default(), "").await;
    let base = st.base.clone();
    let c = reqwest::Client::new();
    for _ in 0..2 {
        let r = c.get(format!("{base}/public/a")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.text().await.unwrap(), "hello");
    }
    let r = c
        .post(format!("{base}/public/b"))
        .body("order=1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 502);
    let heads = heads.lock().unwrap().clone();
    let count = |start: &str| heads.iter().filter(|h| h.starts_with(start)).count();
    // The second GET twice (closed under, then answered); the POST once.
    assert_eq!(count("GET /public/a "), 3, "{heads:?}");
    assert_eq!(count("POST /public/b "), 1, "{heads:?}");
    let metrics = text_of(&c, format!("{base}/metrics")).await;
    assert!(
        metrics.contains("authdoctor_guard_upstream_retries_total 1\n"),
        "{metrics}"
    );
    st.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuffing_client_is_limited_and_a_verified_token_still_passes() {
    let st = stand("s").await;
    let (lab, base, seen, log) = (&st.lab, st.base.clone(), st.seen.clone(), st.log.clone());
    let _ = (&seen, &log);
    let c = reqwest::Client::new();
    let read = example_token(lab, Cause::TokenScopeInsufficient);
    // The valid client is served first (its token is now verified).
    assert_eq!(
        c.get(format!("{base}/orders"))
            .bearer_auth(&read)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // 30 distinct forged tokens from the same address.
    let mut statuses = Vec::new();
    let forged = example_token(lab, Cause::TokenSignatureInvalid);
    for i in 0..30 {
        let t = format!("{}{i}", &forged[..forged.len() - 2]);
        statuses.push(
            c.get(format!("{base}/orders"))
                .bearer_auth(&t)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16(),
        );
    }
    assert!(statuses[..19].iter().all(|s| *s == 401), "{statuses:?}");
    assert_eq!(*statuses.last().unwrap(), 429, "{statuses:?}");
    // The flagged address's next guess is refused without a check, and
    // waits for it (blocked_delay_ms) …
    let asked = std::time::Instant::now();
    let r = c
        .get(format!("{base}/orders"))
        .bearer_auth("eyJhbGciOiJub25lIn0.e30.")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(asked.elapsed() >= Duration::from_millis(200));
    assert!(r.headers().contains_key("retry-after"));
    // The doctor, from the same address with a good token the guard has
    // not seen: limited before it was judged, the wait and the guard's
    // words said, no cause listed.
    let d = diagnosed("GET", format!("{base}/orders"), bearer(&mint(lab).await)).await;
    assert!(d.causes.is_empty(), "{d:?}");
    let said = d.not_an_auth_failure.clone().unwrap_or_default();
    assert!(
        said.contains("429 Too Many Requests and asks to wait")
            && said.contains("Too many failed authentications from this address"),
        "{said}"
    );
    // … and the valid client behind it keeps being served.
    assert_eq!(
        c.get(format!("{base}/orders"))
            .bearer_auth(&read)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let lines = log_lines(&log);
    assert!(
        lines
            .iter()
            .any(|l| l["event"] == "client_flagged" && l["kind"] == "token_guessing"),
        "{lines:?}"
    );
    st.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_doctor_names_the_cause_the_guard_logged() {
    let st = stand("d").await;
    let (lab, base, seen, log) = (&st.lab, st.base.clone(), st.seen.clone(), st.log.clone());
    let _ = (&seen, &log);
    let read = example_token(lab, Cause::TokenScopeInsufficient);
    let cases: Vec<(Cause, &str, Headers)> = vec![
        (Cause::CredentialsMissing, "GET", vec![]),
        (
            Cause::TokenExpired,
            "GET",
            vec![(
                "Authorization".into(),
                format!("Bearer {}", example_token(lab, Cause::TokenExpired)),
            )],
        ),
        (
            Cause::TokenAudienceMismatch,
            "GET",
            vec![(
                "Authorization".into(),
                format!(
                    "Bearer {}",
                    example_token(lab, Cause::TokenAudienceMismatch)
                ),
            )],
        ),
        (
            Cause::TokenIssuerMismatch,
            "GET",
            vec![(
                "Authorization".into(),
                format!("Bearer {}", example_token(lab, Cause::TokenIssuerMismatch)),
            )],
        ),
        (
            Cause::TokenUnknownKey,
            "GET",
            vec![(
                "Authorization".into(),
                format!("Bearer {}", example_token(lab, Cause::TokenUnknownKey)),
            )],
        ),
        (
            Cause::HeaderMalformed,
            "GET",
            vec![("Authorization".into(), format!("Bearer {read} {read}"))],
        ),
        (
            Cause::TokenScopeInsufficient,
            "POST",
            vec![("Authorization".into(), format!("Bearer {read}"))],
        ),
        (
            Cause::TokenNotYetValid,
            "GET",
            vec![(
                "Authorization".into(),
                format!("Bearer {}", issued_ahead(lab)),
            )],
        ),
    ];
    for (cause, method, headers) in cases {
        let d = diagnosed(method, format!("{base}/orders"), headers).await;
        let logged = log_lines(&log).last().cloned().unwrap();
        assert_eq!(logged["reason"], cause.id(), "the guard's log");
        assert_eq!(d.causes[0].id, cause, "the doctor: {:#?}", d.causes[0]);
    }
    st.stop().await;
}

/// A token of the lab's prod issuer, signed with its key, for the API,
/// dated an hour ahead of the clock (`iat`, `exp` two hours ahead).
fn issued_ahead(lab: &Lab) -> String {
    let state = lab.state().lock();
    let issuer = state.issuer("prod").unwrap();
    let now = jiff::Timestamp::now().as_second();
    let claims = serde_json::json!({"iss": issuer.url, "aud": format!("{}/orders", lab.info().api), "sub": "alice",
        "scope": "orders:read", "iat": now + 3600, "exp": now + 7200, "client_id": "demo-cli"});
    issuer
        .active()
        .sign_jwt(Some("at+jwt"), &serde_json::Map::new(), &claims)
        .unwrap()
}

/// The doctor's diagnosis of `method url` with `headers` (no fresh-token
/// retry).
async fn diagnosed(method: &str, url: String, headers: Headers) -> authdoctor_doctor::Diagnosis {
    let spec = authdoctor_doctor::RequestSpec {
        method: method.into(),
        url,
        headers,
        ..Default::default()
    };
    let ctx = authdoctor_doctor::Context {
        retry: false,
        ..Default::default()
    };
    authdoctor_doctor::run(&spec, &ctx).await.unwrap()
}

/// An Authorization header with `token` as its bearer token.
fn bearer(token: &str) -> Headers {
    vec![("Authorization".into(), format!("Bearer {token}"))]
}

/// The attack playbook through the proxy: each forged or broken token is
/// refused, with 400 or 401 and the cause a correct server gives (the
/// reject log's `reason`), and the upstream never sees the request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_tokens_never_reach_the_upstream() {
    use authdoctor_jose::{Alg, SigningKey, b64};
    use serde_json::{Map, json};
    let st = stand("a").await;
    let (lab, base, seen, log) = (&st.lab, st.base.clone(), st.seen.clone(), st.log.clone());
    let c = reqwest::Client::new();
    let prod = lab.info().issuers["prod"].clone();
    let jwks: Value = c
        .get(format!("{prod}/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kid = jwks["keys"][0]["kid"].as_str().unwrap().to_owned();
    let now = jiff::Timestamp::now().as_second();
    let claims = json!({"iss": prod, "aud": format!("{}/orders", lab.info().api), "sub": "mallory",
        "scope": "orders:read", "iat": now, "exp": now + 600, "client_id": "demo-cli"});
    let raw = |h: Value, p: &Value, sig: &[u8]| {
        format!(
            "{}.{}.{}",
            b64::encode(h.to_string().as_bytes()),
            b64::encode(p.to_string().as_bytes()),
            b64::encode(sig)
        )
    };
    let attacker = SigningKey::generate(&Alg::RS256, &kid).unwrap();
    // What each attack is, the cause the guard must log (none for a token
    // refused before it is read), and the token.
    let mut forged: Vec<(&str, Option<Cause>, String)> = Vec::new();
    for alg in ["none", "None", "NONE", "nOnE"] {
        forged.push((
            "alg none",
            Some(Cause::TokenAlgRejected),
            raw(
                json!({"alg": alg, "kid": kid, "typ": "at+jwt"}),
                &claims,
                b"",
            ),
        ));
    }
    // HS256 keyed with the published RSA key (key confusion).
    let confusion =
        authdoctor_jose::PrivateKey::hmac(&Alg::HS256, jwks.to_string().as_bytes()).unwrap();
    forged.push((
        "key confusion",
        Some(Cause::TokenAlgRejected),
        SigningKey::new(confusion, &kid)
            .sign_jwt(Some("at+jwt"), &Map::new(), &claims)
            .unwrap(),
    ));
    // Signed by the attacker, who points at his own key.
    let mut embedded = Map::new();
    embedded.insert("jwk".into(), attacker.public_jwk().to_json());
    forged.push((
        "embedded jwk",
        Some(Cause::TokenSignatureInvalid),
        attacker
            .sign_jwt(Some("at+jwt"), &embedded, &claims)
            .unwrap(),
    ));
    for h in ["jku", "x5u"] {
        let mut m = Map::new();
        m.insert(h.into(), json!("http://127.0.0.1:9/keys.json"));
        forged.push((
            "jku/x5u",
            Some(Cause::TokenSignatureInvalid),
            attacker.sign_jwt(Some("at+jwt"), &m, &claims).unwrap(),
        ));
    }
    forged.push((
        "same kid, other key",
        Some(Cause::TokenSignatureInvalid),
        attacker
            .sign_jwt(Some("at+jwt"), &Map::new(), &claims)
            .unwrap(),
    ));
    let mut path_kid = Map::new();
    path_kid.insert("kid".into(), json!("../../../../dev/null"));
    forged.push((
        "kid path trick",
        Some(Cause::TokenUnknownKey),
        attacker
            .sign_jwt(Some("at+jwt"), &path_kid, &claims)
            .unwrap(),
    ));
    let mut crit = Map::new();
    crit.insert("crit".into(), json!(["exp-never"]));
    crit.insert("exp-never".into(), json!(true));
    forged.push((
        "unknown crit",
        Some(Cause::TokenMalformed),
        attacker.sign_jwt(Some("at+jwt"), &crit, &claims).unwrap(),
    ));
    let mut b64false = Map::new();
    b64false.insert("b64".into(), json!(false));
    b64false.insert("crit".into(), json!(["b64"]));
    forged.push((
        "b64 false",
        Some(Cause::TokenMalformed),
        attacker
            .sign_jwt(Some("at+jwt"), &b64false, &claims)
            .unwrap(),
    ));
    // ES256 with r = s = 0 (the psychic signature).
    forged.push((
        "psychic signature",
        Some(Cause::TokenSignatureInvalid),
        raw(json!({"alg": "ES256", "kid": kid}), &claims, &[0u8; 64]),
    ));
    // A typed exp that lenient libraries treat as absent.
    let mut typed = claims.clone();
    typed["exp"] = json!("9999999999");
    forged.push((
        "exp as a string",
        Some(Cause::TokenMalformed),
        raw(json!({"alg": "RS256", "kid": kid}), &typed, b"sig"),
    ));
    // Padding and whitespace in a genuine-looking signature part.
    let good_shape = attacker
        .sign_jwt(Some("at+jwt"), &Map::new(), &claims)
        .unwrap();
    forged.push((
        "padded signature",
        Some(Cause::TokenMalformed),
        format!("{good_shape}=="),
    ));
    forged.push((
        "2 MB token",
        None,
        format!("{}{}", good_shape, "A".repeat(2 * 1024 * 1024)),
    ));
    // Signed with the issuer's own key, but never expiring: no exp, or
    // one in milliseconds (a guard that took either would let a stolen
    // token live for ever).
    {
        let state = lab.state().lock();
        let issuer_key = state.issuer("prod").unwrap().active();
        let mut endless = claims.clone();
        endless.as_object_mut().unwrap().remove("exp");
        let sign = |c: &Value| issuer_key.sign_jwt(Some("at+jwt"), &Map::new(), c).unwrap();
        forged.push(("no exp", Some(Cause::TokenMalformed), sign(&endless)));
        endless["exp"] = json!((now + 600) * 1000);
        forged.push((
            "exp in milliseconds",
            Some(Cause::TokenMalformed),
            sign(&endless),
        ));
        // Dated ahead of the clock, beyond the leeway: a life stretched from
        // a later iat. Not yet valid.
        let mut ahead = claims.clone();
        ahead["iat"] = json!(now + 3600);
        ahead["exp"] = json!(now + 7200);
        forged.push((
            "iat an hour ahead",
            Some(Cause::TokenNotYetValid),
            sign(&ahead),
        ));
        // The issuer's own signature, with a `kid` that is not a string
        // (an object aimed at a key store queried by the header): no key
        // is named, and trying every key would accept what others refuse.
        for kid in [json!(7), json!({"$ne": null})] {
            let mut odd = Map::new();
            odd.insert("kid".into(), kid);
            forged.push((
                "kid not a string",
                Some(Cause::TokenMalformed),
                issuer_key.sign_jwt(Some("at+jwt"), &odd, &claims).unwrap(),
            ));
        }
    }
    let before = seen.lock().unwrap().len();
    for (what, cause, t) in &forged {
        let logged = log_lines(&log).len();
        let r = c.get(format!("{base}/orders")).bearer_auth(t).send().await;
        let status = r.map(|r| r.status().as_u16()).unwrap_or(0);
        assert!(
            matches!(status, 400 | 401 | 413 | 431 | 0),
            "{what}: answered {status}"
        );
        if let Some(cause) = cause {
            let lines = log_lines(&log);
            let reasons: Vec<&str> = lines[logged..]
                .iter()
                .filter(|l| l["event"] == "reject")
                .filter_map(|l| l["reason"].as_str())
                .collect();
            assert_eq!(reasons, [cause.id()], "{what}");
        }
    }
    assert_eq!(
        seen.lock().unwrap().len(),
        before,
        "a forged token reached the upstream"
    );
    st.stop().await;
}

/// A key-set endpoint that answers garbage, or too slowly: 503, never 401;
/// and a rotation at the issuer rejects no valid token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_or_slow_keys_are_503_and_a_rotation_rejects_no_valid_token() {
    let lab = Lab::start(Options::default()).await.unwrap();
    let read = example_token(&lab, Cause::TokenScopeInsufficient);
    let c = reqwest::Client::new();
    // Garbage, then silence.
    for body in ["<html>oops</html>", ""] {
        let slow = body.is_empty();
        let app = axum::Router::new().fallback(move || async move {
            if slow {
                tokio::time::sleep(Duration::from_secs(30)).await;
            }
            body
        });
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(l, app).await });
        let (base, _g) = guard_without_keys(&format!(
            "upstream = \"http://127.0.0.1:9\"\naudience = \"a\"\n[[issuers]]\nissuer = \"http://{addr}\"\njwks_uri = \"http://{addr}/jwks\"\n"
        ))
        .await;
        let r = c
            .get(format!("{base}/x"))
            .bearer_auth(&read)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 503, "{body:?}");
        assert!(r.headers().contains_key("retry-after"));
    }
    // Rotation: tokens signed with the new key pass at once.
    let (up, _) = upstream().await;
    let dir = std::env::temp_dir().join(format!("authdoctor-guard-rot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (base, _g) = guard(&config(&lab, &up, &dir.join("l.jsonl"))).await;
    assert_eq!(
        c.get(format!("{base}/orders"))
            .bearer_auth(&read)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let lab_api = lab.info().api.clone();
    let rotated = c
        .post(format!("{}/lab/rotate/prod", lab_api))
        .send()
        .await
        .unwrap();
    assert!(rotated.status().is_success());
    // A fresh token from the rotated issuer (its new kid).
    let fresh = mint(&lab).await;
    let fresh = fresh.as_str();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let r = c
        .get(format!("{base}/orders"))
        .bearer_auth(fresh)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "a token signed with the rotated key");
    // The old one, still published, passes too.
    assert_eq!(
        c.get(format!("{base}/orders"))
            .bearer_auth(&read)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    lab.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// Opaque access tokens of a real issuer (npm oidc-provider), judged by
/// its introspection endpoint: a token passes with its scope; requests that
/// arrive together with a fresh token cost the issuer one introspection,
/// not one each; a token the issuer revoked is refused once the cached
/// answer has aged out; a token it never issued is refused; a refresh
/// token, which the issuer answers active with no `token_type`, is refused
/// as the wrong kind (`introspection_requires_token_type`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opaque_tokens_are_judged_by_a_real_issuers_introspection_once_per_token() {
    let Some((_idp, port)) = util::node_server("introspecting-idp.mjs", "oidc-provider") else {
        return;
    };
    let issuer = format!("http://127.0.0.1:{port}");
    let (up, seen) = upstream().await;
    let dir = std::env::temp_dir().join(format!("authdoctor-guard-op-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("secret"), "guard-secret-0123456789abcdef\n").unwrap();
    let log = dir.join("l.jsonl");
    let (base, _g) = guard(&format!(
        r#"
upstream = "{up}"
audience = "https://api.example.test/orders"
[[issuers]]
issuer = "{issuer}"
introspection_endpoint = "{issuer}/token/introspection"
client_id = "guard-rs"
client_secret_file = "{secret}"
introspection_cache = 1
introspection_requires_token_type = true
[[routes]]
method = "GET"
path = "/orders*"
scopes = ["orders:read"]
[[routes]]
method = "POST"
path = "/orders*"
scopes = ["orders:write"]
[log]
path = "{log}"
"#,
        secret = dir.join("secret").display(),
        log = log.display()
    ))
    .await;
    let c = reqwest::Client::new();
    let token_of = |scope: &'static str| {
        let c = c.clone();
        let issuer = issuer.clone();
        async move {
            let v: Value = c
                .post(format!("{issuer}/token"))
                .basic_auth("orders-cli", Some("orders-secret-0123456789abcdef"))
                .form(&[("grant_type", "client_credentials"), ("scope", scope)])
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v["access_token"].as_str().unwrap().to_owned()
        }
    };
    let token = token_of("orders:read").await;
    assert!(!token.contains('.'), "an opaque token: {token}");
    let count = || {
        let c = c.clone();
        let issuer = issuer.clone();
        async move {
            text_of(&c, format!("{issuer}/_count"))
                .await
                .parse::<u32>()
                .unwrap()
        }
    };
    // Forty requests at once with a token the guard has not seen.
    let before = count().await;
    let mut burst = tokio::task::JoinSet::new();
    for _ in 0..40 {
        let r = c.get(format!("{base}/orders")).bearer_auth(&token).send();
        burst.spawn(async move { r.await.map(|r| r.status()) });
    }
    while let Some(s) = burst.join_next().await {
        assert_eq!(s.unwrap().unwrap(), 200);
    }
    assert_eq!(count().await - before, 1, "one introspection for the burst");
    assert_eq!(seen.lock().unwrap().len(), 40);
    // Its scope is read from the issuer's answer.
    let r = c
        .post(format!("{base}/orders"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("insufficient_scope")
    );
    // Revoked at the issuer: refused once the cached answer (1 s) is old.
    let r = c
        .post(format!("{issuer}/token/revocation"))
        .basic_auth("orders-cli", Some("orders-secret-0123456789abcdef"))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let r = c
        .get(format!("{base}/orders"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // A token the issuer never issued.
    let r = c
        .get(format!("{base}/orders"))
        .bearer_auth("Xq3vJ9kP2mN8rT5wY7zA1bC4dE6fG0hI2jK4lM6nO8p")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // A refresh token of a grant with the scope the route asks for: the
    // issuer calls it active.
    let refresh = text_of(&c, format!("{issuer}/_refresh_token")).await;
    let asked: Value = c
        .post(format!("{issuer}/token/introspection"))
        .basic_auth("guard-rs", Some("guard-secret-0123456789abcdef"))
        .form(&[("token", refresh.as_str())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(asked["active"], true, "{asked}");
    assert!(asked.get("token_type").is_none(), "{asked}");
    let r = c
        .get(format!("{base}/orders"))
        .bearer_auth(&refresh)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let reasons: Vec<Value> = log_lines(&log)
        .into_iter()
        .filter(|l| l["event"] == "reject")
        .map(|l| l["reason"].clone())
        .collect();
    assert_eq!(
        reasons,
        [
            "token.scope_insufficient",
            "token.revoked",
            "token.revoked",
            "token.wrong_type"
        ],
        "{reasons:?}"
    );
    // No token in the log, masked or not beyond its mask.
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.contains(&token), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// With introspection configured, a token the issuer revoked is refused at
/// once, though its signature and times are good; the others pass.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_is_refused_when_the_guard_introspects() {
    let lab = Lab::start(Options::default()).await.unwrap();
    let (up, _) = upstream().await;
    let cli = lab
        .info()
        .clients
        .iter()
        .find(|c| c.client_id == "demo-cli")
        .unwrap()
        .clone();
    let secret = cli.client_secret.clone().unwrap();
    let prod = lab.info().issuers["prod"].clone();
    let api = lab.info().api.clone();
    let c = reqwest::Client::new();
    let (kept, gone) = (mint(&lab).await, mint(&lab).await);
    // The secret reaches the guard through a file (a mounted secret).
    let dir = std::env::temp_dir().join(format!("authdoctor-guard-i-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let secret_file = dir.join("client-secret");
    std::fs::write(&secret_file, format!("{secret}\n")).unwrap();
    let (base, _g) = guard(&format!(
        r#"
upstream = "{up}"
audience = "{api}/orders"
[[issuers]]
issuer = "{prod}"
introspection_endpoint = "{prod}/introspect"
client_id = "demo-cli"
client_secret_file = "{file}"
"#,
        file = secret_file.display()
    ))
    .await;
    let r = c
        .post(format!("{prod}/revoke"))
        .basic_auth(&cli.client_id, Some(&secret))
        .form(&[("token", gone.as_str())])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    assert_eq!(
        c.get(format!("{base}/orders"))
            .bearer_auth(&kept)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let r = c
        .get(format!("{base}/orders"))
        .bearer_auth(&gone)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
    lab.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// A Redis server (Debian's `redis-server`) on a free loopback port, with no
/// persistence; killed when dropped.
struct Redis {
    port: u16,
    child: std::process::Child,
}

impl Redis {
    fn start(port: u16) -> Redis {
        let mut child = std::process::Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server (Debian's redis-server; scripts/test installs it)");
        util::wait_for_port(&mut child, port, None);
        Redis { port, child }
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One `authdoctor guard` process; killed when dropped.
struct Node {
    base: String,
    log: std::path::PathBuf,
    child: std::process::Child,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `authdoctor guard` run with `args`, as deployed: the process, its base
/// URL and its first line ("authdoctor guard: listening on http://ADDR,
/// …"); what it writes after is read and dropped.
fn guard_process<S: AsRef<std::ffi::OsStr>>(
    args: impl IntoIterator<Item = S>,
) -> (std::process::Child, String, String) {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("authdoctor"))
        .arg("guard")
        .args(args)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut err, &mut line).unwrap();
    std::thread::spawn(move || std::io::copy(&mut err, &mut std::io::sink()));
    let addr = line
        .split("listening on http://")
        .nth(1)
        .and_then(|r| r.split(',').next())
        .unwrap_or_else(|| panic!("{line}"))
        .to_owned();
    (child, format!("http://{addr}"), line)
}

impl Node {
    async fn start(config: &str, dir: &std::path::Path, name: &str) -> Node {
        let log = dir.join(format!("{name}.jsonl"));
        let path = dir.join(format!("{name}.toml"));
        std::fs::write(
            &path,
            format!(
                "listen = \"127.0.0.1:0\"\n{config}\n[log]\npath = \"{}\"\n",
                log.display()
            ),
        )
        .unwrap();
        let (child, base, _) = guard_process([std::ffi::OsStr::new("--config"), path.as_os_str()]);
        let node = Node { base, log, child };
        node.wait_for("authdoctor_guard_redis_up 1").await;
        node
    }

    async fn metrics(&self) -> String {
        reqwest::get(format!("{}/metrics", self.base))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Waits (up to 10 s) until `/metrics` shows `what`.
    async fn wait_for(&self, what: &str) {
        for _ in 0..200 {
            if let Ok(r) = reqwest::get(format!("{}/metrics", self.base)).await {
                if r.text().await.unwrap_or_default().contains(what) {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "{} never showed {what}:\n{}",
            self.base,
            self.metrics().await
        );
    }

    async fn status(&self, token: Option<&str>) -> u16 {
        self.status_from([127, 0, 0, 1], token).await
    }

    /// The status for a request from another loopback address.
    async fn status_from(&self, from: [u8; 4], token: Option<&str>) -> u16 {
        let mut r = util::client_from(from).get(format!("{}/orders", self.base));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send().await.unwrap().status().as_u16()
    }

    /// Waits (up to 5 s) until a request with `token` is answered `want`.
    async fn until(&self, token: Option<&str>, want: u16) -> u16 {
        let mut got = 0;
        for _ in 0..100 {
            got = self.status(token).await;
            if got == want {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        got
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_share_limits_and_revocations_through_redis_and_keep_checking_without_it() {
    let lab = Lab::start(Options::default()).await.unwrap();
    let (up, seen) = upstream().await;
    let mut redis = Redis::start(util::free_port());
    let dir = std::env::temp_dir().join(format!("authdoctor-guard-r-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cli = lab
        .info()
        .clients
        .iter()
        .find(|c| c.client_id == "demo-cli")
        .unwrap()
        .clone();
    let secret = cli.client_secret.clone().unwrap();
    std::fs::write(dir.join("secret"), &secret).unwrap();
    let prod = lab.info().issuers["prod"].clone();
    let config = format!(
        r#"upstream = "{up}"
audience = "{api}/orders"
[[issuers]]
issuer = "{prod}"
introspection_endpoint = "{prod}/introspect"
client_id = "demo-cli"
client_secret_file = "{secret}"
[limits]
window_seconds = 60
failures_per_client = 20
distinct_credentials_per_client = 5
block_seconds = 60
blocked_delay_ms = 200
[redis]
url = "redis://127.0.0.1:{port}/0"
prefix = "test:{pid}"
"#,
        api = lab.info().api,
        secret = dir.join("secret").display(),
        port = redis.port,
        pid = std::process::id(),
    );
    let a = Node::start(&config, &dir, "a").await;
    let b = Node::start(&config, &dir, "b").await;

    // A valid client, verified by both nodes before the attack.
    let valid = mint(&lab).await;
    assert_eq!(a.status(Some(&valid)).await, 200);
    assert_eq!(b.status(Some(&valid)).await, 200);
    let gone = mint(&lab).await;
    assert_eq!(a.status(Some(&gone)).await, 200);
    assert_eq!(b.status(Some(&gone)).await, 200);

    // Stuffing spread over both nodes: 12 distinct forged tokens to each,
    // under either node's own threshold (20), over the shared one.
    let forged = example_token(&lab, Cause::TokenSignatureInvalid);
    for i in 0..24 {
        let t = format!("{}{i:02}", &forged[..forged.len() - 2]);
        let node = if i % 2 == 0 { &a } else { &b };
        let s = node.status(Some(&t)).await;
        assert!(s == 401 || (i >= 19 && s == 429), "request {i}: {s}");
    }
    // Both nodes refuse the address now, without a check …
    assert_eq!(a.until(None, 429).await, 429);
    assert_eq!(b.until(None, 429).await, 429);
    let flagged: Vec<Value> = log_lines(&a.log)
        .into_iter()
        .chain(log_lines(&b.log))
        .filter(|l| l["event"] == "client_flagged")
        .collect();
    assert_eq!(
        flagged.len(),
        1,
        "flagged once, by the shared counters: {flagged:?}"
    );
    assert_eq!(flagged[0]["scope"], "cluster");
    assert_eq!(flagged[0]["kind"], "token_guessing");
    // … and the valid client behind the same address keeps being served.
    assert_eq!(a.status(Some(&valid)).await, 200);
    assert_eq!(b.status(Some(&valid)).await, 200);

    // A revocation at one node is honoured by the other, which had
    // verified the token (and cached its introspection answer for 30 s).
    let r = reqwest::Client::new()
        .post(format!("{}/_guard/revoke", a.base))
        .form(&[("token", gone.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(a.status(Some(&gone)).await, 401);
    assert_eq!(b.until(Some(&gone), 401).await, 401);
    assert!(
        log_lines(&b.log)
            .iter()
            .any(|l| l["reason"] == "token.revoked"
                && l["detail"].as_str().unwrap().contains("denylist")),
        "{:?}",
        log_lines(&b.log)
    );
    // A token the guard does not accept is not put on the denylist (here,
    // from a flagged address, it is not even looked at).
    let r = reqwest::Client::new()
        .post(format!("{}/_guard/revoke", a.base))
        .form(&[("token", "not-a-token")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    // Introspection's answers are shared: keys by digest, no token in them.
    let keys = std::process::Command::new("redis-cli")
        .args(["-p", &redis.port.to_string(), "--scan", "--pattern"])
        .arg(format!("test:{}:*", std::process::id()))
        .output()
        .unwrap();
    let keys = String::from_utf8_lossy(&keys.stdout).into_owned();
    assert!(keys.contains(":i:") && keys.contains(":r:"), "{keys}");
    assert!(!keys.contains(&gone[..20]));

    // Redis goes down: both nodes say so, and keep checking every token.
    redis.stop();
    a.wait_for("authdoctor_guard_redis_up 0").await;
    b.wait_for("authdoctor_guard_redis_up 0").await;
    let fresh = mint(&lab).await;
    let before = seen.lock().unwrap().len();
    let other = [127, 0, 0, 2];
    assert_eq!(a.status_from(other, Some(&fresh)).await, 200);
    assert_eq!(b.status_from(other, Some(&forged)).await, 401);
    assert_eq!(b.status_from(other, Some(&gone)).await, 401);
    assert_eq!(
        b.status(Some(&forged)).await,
        429,
        "still blocked from local state"
    );
    assert_eq!(seen.lock().unwrap().len(), before + 1);
    assert!(
        log_lines(&a.log)
            .iter()
            .any(|l| l["event"] == "redis_unavailable"),
        "{:?}",
        log_lines(&a.log)
    );
    // … and back.
    let redis = Redis::start(redis.port);
    a.wait_for("authdoctor_guard_redis_up 1").await;
    b.wait_for("authdoctor_guard_redis_up 1").await;
    assert!(
        log_lines(&a.log)
            .iter()
            .any(|l| l["event"] == "redis_connected")
    );
    // Nothing of a token is in Redis's keys, or the logs.
    let all = format!(
        "{}{}",
        std::fs::read_to_string(&a.log).unwrap(),
        std::fs::read_to_string(&b.log).unwrap()
    );
    assert!(!all.contains(&valid) && !all.contains(&gone) && !all.contains(&secret));
    drop((a, b, redis));
    lab.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_token_retried_is_refused_unchecked_and_one_subject_failing_everywhere_is_flagged() {
    let st = stand("dead").await;
    let expired = example_token(&st.lab, Cause::TokenExpired);
    let from = |i: u8| util::client_from([127, 0, 0, i]);
    let get = |c: reqwest::Client, t: String| {
        let url = format!("{}/orders", st.base);
        async move { c.get(url).bearer_auth(t).send().await.unwrap() }
    };
    // The same expired token from ten addresses (one subject, demo-cli).
    for i in 0..10 {
        assert_eq!(get(from(10 + i), expired.clone()).await.status(), 401);
    }
    // The eleventh try of that token is refused without a check …
    let r = get(from(30), expired.clone()).await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    // … while a valid token from the same address is served.
    let read = example_token(&st.lab, Cause::TokenScopeInsufficient);
    assert_eq!(get(from(30), read).await.status(), 200);
    let lines = log_lines(&st.log);
    let blocked: Vec<&Value> = lines
        .iter()
        .filter(|l| l["event"] == "credential_blocked")
        .collect();
    assert_eq!(blocked.len(), 1, "{lines:?}");
    assert_eq!(blocked[0]["reason"], "token.expired");
    let flagged: Vec<&Value> = lines
        .iter()
        .filter(|l| l["event"] == "subject_flagged")
        .collect();
    assert_eq!(flagged.len(), 1, "{lines:?}");
    assert_eq!(flagged[0]["sub"], "demo-cli");
    assert_eq!(flagged[0]["kind"], "distributed_bruteforce");
    let text = std::fs::read_to_string(&st.log).unwrap();
    assert!(!text.contains(&expired[40..]), "a token in the log");
    // `authdoctor logs` reads the guard's log back, every line of it, and
    // names what the guard flagged.
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("authdoctor"))
        .args(["logs", "--json"])
        .arg(&st.log)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["unparsed"], 0, "{v:#}");
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "distributed_bruteforce")
        .unwrap_or_else(|| panic!("{v:#}"));
    assert_eq!(f["subject"], "demo-cli");
    st.stop().await;
}

/// A WebSocket handshake for `path` on a connection of its own to `addr`,
/// with `token` and `upgrade` (the protocol asked for): the connection and
/// the answer's head.
async fn handshake(
    addr: &str,
    path: &str,
    token: Option<&str>,
    upgrade: &str,
) -> (tokio::net::TcpStream, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    s.write_all(
        format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: Upgrade\r\nUpgrade: {upgrade}\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    tokio::time::timeout(Duration::from_secs(10), async {
        while !head.ends_with(b"\r\n\r\n") {
            if s.read(&mut byte).await.unwrap() == 0 {
                break;
            }
            head.push(byte[0]);
        }
    })
    .await
    .unwrap();
    (s, String::from_utf8_lossy(&head).into_owned())
}

/// Sends `text` as one masked WebSocket text frame (a client's, RFC 6455
/// §5.3) and reads the server's answer frame (unmasked, shorter than 126
/// bytes); `None` if the connection closed first.
async fn ws_echo(s: &mut tokio::net::TcpStream, text: &str) -> Option<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mask = [0x37, 0xfa, 0x21, 0x3d];
    let mut frame = vec![0x81, 0x80 | text.len() as u8];
    frame.extend_from_slice(&mask);
    frame.extend(text.bytes().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    s.write_all(&frame).await.ok()?;
    let mut head = [0u8; 2];
    tokio::time::timeout(Duration::from_secs(10), s.read_exact(&mut head))
        .await
        .ok()?
        .ok()?;
    assert_eq!(head[0], 0x81, "not a final text frame");
    let mut payload = vec![0u8; usize::from(head[1] & 0x7f)];
    s.read_exact(&mut payload).await.ok()?;
    Some(String::from_utf8(payload).unwrap())
}

/// A WebSocket through the guard, to the npm `ws` package's server: the
/// handshake is judged as any request (no token, no upgrade: 401), then
/// joined byte for byte, the token stripped as configured. Only a
/// WebSocket's upgrade goes on: an `h2c` one reaches the upstream as a
/// plain request (a tunnel of HTTP/2 would carry requests no rule judged).
/// A tunnel open when the guard stops is closed, not waited on forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_is_joined_after_its_handshake_is_judged() {
    let Some((_ws, port)) = util::node_server("ws-echo.mjs", "ws") else {
        return;
    };
    let lab = Lab::start(Options::default()).await.unwrap();
    let dir = std::env::temp_dir().join(format!("authdoctor-guard-ws-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let upstream = format!("http://127.0.0.1:{port}");
    let (base, served) = guard(&config(&lab, &upstream, &dir.join("reject.jsonl"))).await;
    let addr = base.trim_start_matches("http://").to_owned();
    let token = mint(&lab).await;

    let (mut s, head) = handshake(&addr, "/orders/live?x=1", Some(&token), "websocket").await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    // The upstream's answer to the key (RFC 6455 §1.3's example).
    assert!(
        head.to_ascii_lowercase()
            .contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo="),
        "{head}"
    );
    assert!(
        head.to_ascii_lowercase().contains("upgrade: websocket"),
        "{head}"
    );
    for text in ["hello", "again"] {
        assert_eq!(
            ws_echo(&mut s, text).await.as_deref(),
            Some(format!("{text} | /orders/live?x=1 | -").as_str())
        );
    }

    // Counted, and open, in the metrics.
    let metrics = exchange(
        &addr,
        &format!("GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    )
    .await;
    for line in [
        "authdoctor_guard_tunnels_total 1\n",
        "authdoctor_guard_tunnels_open 1\n",
    ] {
        assert!(metrics.contains(line), "{line}: {metrics}");
    }

    let (_, head) = handshake(&addr, "/orders/live", None, "websocket").await;
    assert!(head.starts_with("HTTP/1.1 401"), "{head}");
    let (_, head) = handshake(&addr, "/orders/live", Some("not.a.token"), "websocket").await;
    assert!(head.starts_with("HTTP/1.1 401"), "{head}");

    let (mut h2c, head) = handshake(&addr, "/orders/live", Some(&token), "h2c").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let mut body = [0u8; 12];
    tokio::io::AsyncReadExt::read_exact(&mut h2c, &mut body)
        .await
        .unwrap();
    assert_eq!(&body, b"plain http -");

    // The doctor sends a ws:// URL as its opening handshake: an expired
    // token's refusal is named, and a valid token's handshake is accepted
    // (101, no cause).
    let doctor =
        |token: String| diagnosed("GET", format!("ws://{addr}/orders/live"), bearer(&token));
    let d = doctor(example_token(&lab, Cause::TokenExpired)).await;
    assert_eq!(d.exchanges[0].status, 401, "{d:?}");
    assert_eq!(d.causes[0].id, Cause::TokenExpired, "{d:?}");
    let d = doctor(token.clone()).await;
    assert_eq!(d.exchanges[0].status, 101, "{d:?}");
    assert!(d.causes.is_empty(), "{d:?}");

    // Stopping the guard closes the open tunnel.
    tokio::task::spawn_blocking(move || served.threads.stop())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ws_echo(&mut s, "after").await, None);

    // A tunnel is a connection still: at a cap of one, the next connection
    // waits until the tunnel closes.
    let (base, _one) = guard_on(
        &format!(
            "max_connections = 1\n{}",
            config(&lab, &upstream, &dir.join("one.jsonl"))
        ),
        1,
    )
    .await;
    let addr = base.trim_start_matches("http://").to_owned();
    let (mut tunnel, head) = handshake(&addr, "/orders/live", Some(&token), "websocket").await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    assert!(ws_echo(&mut tunnel, "held").await.is_some());
    let metrics = format!("GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    let next = tokio::spawn({
        let (addr, metrics) = (addr.clone(), metrics.clone());
        async move { exchange(&addr, &metrics).await }
    });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        !next.is_finished(),
        "served past the cap while a tunnel was open"
    );
    drop(tunnel);
    let text = tokio::time::timeout(Duration::from_secs(20), next)
        .await
        .expect("served once the tunnel closed")
        .unwrap();
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    // The tunnel is counted, and no longer open.
    assert!(
        text.contains("authdoctor_guard_tunnels_total 1\n"),
        "{text}"
    );
    assert!(text.contains("authdoctor_guard_tunnels_open 0\n"), "{text}");
    lab.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// Echoes through tunnel `s` every half second until the tunnel closes;
/// how long it stayed open, or `None` if it outlived `limit`.
async fn open_for(s: &mut tokio::net::TcpStream, limit: Duration) -> Option<Duration> {
    let start = std::time::Instant::now();
    while start.elapsed() < limit {
        if ws_echo(s, "still").await.is_none() {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    None
}

/// A WebSocket tunnel lasts no longer than the token it was opened with:
/// it is closed when the token expires (no leeway here) and when the token
/// is revoked at the guard, and the metrics say why each ended.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_tunnel_ends_with_its_token() {
    let Some((_ws, port)) = util::node_server("ws-echo.mjs", "ws") else {
        return;
    };
    // The lab's tokens live 4 seconds.
    let lab = Lab::start(Options {
        token_lifetime: 4,
        ..Options::default()
    })
    .await
    .unwrap();
    let dir = std::env::temp_dir().join(format!("authdoctor-guard-wsend-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let upstream = format!("http://127.0.0.1:{port}");
    let toml = format!(
        "leeway = 0\n{}",
        config(&lab, &upstream, &dir.join("reject.jsonl"))
    );
    let (base, _served) = guard(&toml).await;
    let addr = base.trim_start_matches("http://").to_owned();

    let short = mint(&lab).await;
    let (mut s, head) = handshake(&addr, "/orders/live", Some(&short), "websocket").await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    let open = open_for(&mut s, Duration::from_secs(15)).await;
    assert!(
        open.is_some_and(|d| d <= Duration::from_secs(8)),
        "the tunnel outlived its token: {open:?}"
    );

    // Revoked at the guard while the tunnel is open (a fresh token, which
    // would have lived longer than the wait below).
    let token = mint(&lab).await;
    let (mut s, head) = handshake(&addr, "/orders/live", Some(&token), "websocket").await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    assert!(ws_echo(&mut s, "before").await.is_some());
    let r = reqwest::Client::new()
        .post(format!("{base}/_guard/revoke"))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let open = open_for(&mut s, Duration::from_secs(3)).await;
    assert!(open.is_some(), "the tunnel outlived its token's revocation");

    // A tunnel is counted as ended when the guard's side of it ends, which
    // may come after the client saw it close: waited for, 10 s at most.
    let lines = [
        "authdoctor_guard_tunnels_ended_total{why=\"token_expired\"} 1\n",
        "authdoctor_guard_tunnels_ended_total{why=\"token_revoked\"} 1\n",
        "authdoctor_guard_tunnels_open 0\n",
    ];
    let mut metrics = String::new();
    for _ in 0..100 {
        metrics = exchange(
            &addr,
            &format!("GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
        )
        .await;
        if lines.iter().all(|l| metrics.contains(l)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for line in lines {
        assert!(metrics.contains(line), "{line}: {metrics}");
    }
    lab.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// One gRPC call through `addr` with the npm @grpc/grpc-js client
/// (tests/node/grpc-echo.mjs): its status code, and its details or answer.
/// The echo service's routes: Admin needs orders:admin, the rest
/// orders:read.
const GRPC_ROUTES: &str = "\n[[routes]]\nmethod = \"POST\"\npath = \"/authdoctor.test.Echo/Admin\"\nscopes = [\"orders:admin\"]\n[[routes]]\nmethod = \"POST\"\npath = \"/authdoctor.test.Echo/*\"\nscopes = [\"orders:read\"]\n";

fn grpc_call(node: &std::path::Path, addr: &str, method: &str, token: Option<&str>) -> Value {
    grpc_call_trusting(node, addr, method, token, None)
}

/// [`grpc_call`] over TLS, trusting the CA `ca` (PEM), where one is given.
fn grpc_call_trusting(
    node: &std::path::Path,
    addr: &str,
    method: &str,
    token: Option<&str>,
    ca: Option<&std::path::Path>,
) -> Value {
    let out = std::process::Command::new("node")
        .args(["grpc-echo.mjs", "call", addr, method, token.unwrap_or("-")])
        .args(ca)
        .current_dir(node)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("grpc-echo.mjs call: {out:?}"))
}

/// gRPC through the guard, over HTTP/2 without TLS end to end, between the
/// npm @grpc/grpc-js client and server: a call with a token of the scope
/// its route needs goes through (the token stripped, the subject
/// forwarded); one without a token, or with an expired one, is
/// UNAUTHENTICATED, one without the scope PERMISSION_DENIED, each with the
/// guard's reason as its details, and logged with its cause.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_over_http2_is_judged_and_carried() {
    let Some((_grpc, port)) = util::node_server("grpc-echo.mjs", "@grpc/grpc-js") else {
        return;
    };
    let node = util::node_with("@grpc/grpc-js").unwrap();
    let lab = Lab::start(Options::default()).await.unwrap();
    let dir = std::env::temp_dir().join(format!("authdoctor-guard-grpc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let toml = config(
        &lab,
        &format!("http://127.0.0.1:{port}"),
        &dir.join("r.jsonl"),
    ) + GRPC_ROUTES;
    let (base, served) = guard(&toml).await;
    let addr = base.trim_start_matches("http://").to_owned();
    let token = mint(&lab).await;
    let expired = example_token(&lab, Cause::TokenExpired);
    // The valid token's claims under `alg: none`, unsigned.
    let payload = token.split('.').nth(1).unwrap().to_owned();
    let unsigned = format!("eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0.{payload}.");
    let calls = tokio::task::spawn_blocking(move || {
        [
            grpc_call(&node, &addr, "Say", Some(&token)),
            grpc_call(&node, &addr, "Say", None),
            grpc_call(&node, &addr, "Admin", Some(&token)),
            grpc_call(&node, &addr, "Say", Some(&expired)),
            grpc_call(&node, &addr, "Say", Some(&unsigned)),
        ]
    })
    .await
    .unwrap();
    assert_eq!(calls[0]["code"], 0, "{calls:?}");
    assert_eq!(calls[0]["text"], "hi | - | demo-cli", "{calls:?}");
    // gRPC's codes: 16 UNAUTHENTICATED, 7 PERMISSION_DENIED.
    assert_eq!(calls[1]["code"], 16, "{calls:?}");
    assert_eq!(calls[2]["code"], 7, "{calls:?}");
    // The guard's reason, as the client reads it (trailers-only: HTTP 200,
    // grpc-status and grpc-message).
    assert_eq!(calls[3]["code"], 16, "{calls:?}");
    let details = calls[3]["details"]
        .as_str()
        .unwrap_or("")
        .to_ascii_lowercase();
    assert!(details.contains("expired"), "{calls:?}");
    assert!(
        calls[2]["details"].as_str().unwrap_or("").contains("scope"),
        "{calls:?}"
    );
    // Over HTTP/2 as over HTTP/1.1, an unsigned token is refused.
    assert_eq!(calls[4]["code"], 16, "{calls:?}");
    // The doctor on a grpc:// URL makes the call: an expired token's
    // refusal (UNAUTHENTICATED) is named, a valid token's call is not.
    let grpc_url = format!(
        "grpc://{}/authdoctor.test.Echo/Say",
        base.trim_start_matches("http://")
    );
    let doctor = |token: String| diagnosed("GET", grpc_url.clone(), bearer(&token));
    let d = doctor(example_token(&lab, Cause::TokenExpired)).await;
    assert_eq!(d.exchanges[0].status, 401, "{d:?}");
    assert_eq!(d.exchanges[0].method, "POST", "{d:?}");
    assert_eq!(d.causes[0].id, Cause::TokenExpired, "{d:?}");
    let d = doctor(mint(&lab).await).await;
    assert_eq!(d.exchanges[0].status, 200, "{d:?}");
    assert!(d.causes.is_empty(), "{d:?}");
    // The guard's log has each refusal with its cause.
    let causes: Vec<Value> = log_lines(&dir.join("r.jsonl"))
        .iter()
        .map(|l| l["reason"].clone())
        .collect();
    // (The five refusals: the client's four, and the doctor's.)
    assert_eq!(causes.len(), 5, "{causes:?}");
    assert_eq!(
        causes[..3],
        [
            "credentials.missing",
            "token.scope_insufficient",
            "token.expired"
        ],
        "{causes:?}"
    );
    // A gRPC call to Node's own HTTP/2 server: carried on in HTTP/2, with
    // the one TE HTTP/2 allows (gRPC's servers may require it), the token
    // stripped.
    let Some((_h2, h2_port)) = util::node_server("h2-echo.mjs", "@grpc/grpc-js") else {
        return;
    };
    let toml = config(
        &lab,
        &format!("http://127.0.0.1:{h2_port}"),
        &dir.join("h2.jsonl"),
    );
    let (h2_base, h2_served) = guard(&toml).await;
    let client = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let got: Value = client
        .get(format!("{h2_base}/orders/7"))
        .bearer_auth(mint(&lab).await)
        .header("te", "trailers")
        .header("content-type", "application/grpc")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got["version"], "2.0", "{got}");
    assert_eq!(got["headers"]["te"], "trailers", "{got}");
    assert_eq!(got["headers"][":path"], "/orders/7", "{got}");
    assert_eq!(got["headers"]["x-auth-subject"], "demo-cli", "{got}");
    assert!(got["headers"].get("authorization").is_none(), "{got}");
    let refused = client
        .get(format!("{h2_base}/orders/7"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    assert_eq!(refused.version(), reqwest::Version::HTTP_2);
    drop(h2_served);
    // Any other HTTP/2 request goes on in HTTP/1.1, which every upstream
    // speaks (the test's axum upstream speaks nothing else).
    let st = stand("h2-to-h1").await;
    let r = client
        .get(format!("{}/orders/9", st.base))
        .bearer_auth(mint(&st.lab).await)
        .send()
        .await
        .unwrap();
    assert_eq!(r.version(), reqwest::Version::HTTP_2);
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "upstream says hello");
    let seen = st.seen.lock().unwrap().last().cloned().unwrap();
    assert!(
        seen.contains(&(":path".to_owned(), "/orders/9".to_owned())),
        "{seen:?}"
    );
    st.stop().await;
    drop(served);
    lab.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[path = "../../../tests/support/certs.rs"]
mod certs;

/// A folder of this test process for the test `name`, with a private CA
/// and a certificate for 127.0.0.1 in it ([`certs::make_certs`]).
fn certified(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("authdoctor-guard-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    certs::make_certs(&dir);
    dir
}

/// A tests/node server (`script`, where `package` is installed) serving
/// TLS with the certificate in `dir`.
fn serving_tls(script: &str, package: &str, dir: &std::path::Path) -> Option<(util::Running, u16)> {
    util::node_server_with(
        script,
        package,
        &[&dir.join("leaf.pem"), &dir.join("leaf.key")],
    )
}

/// A client that trusts only the CA in `dir` (`ca.pem`); `h1`: HTTP/1.1
/// only, else HTTP/2 where ALPN agrees to it.
fn trusting(dir: &std::path::Path, h1: bool) -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(&std::fs::read(dir.join("ca.pem")).unwrap()).unwrap();
    let b = reqwest::Client::builder().tls_certs_only([ca]);
    if h1 { b.http1_only() } else { b }.build().unwrap()
}

/// `config`'s guard serving HTTPS with the certificate in `cert_dir`
/// (`[tls]`), and top-level `settings` before it.
fn with_tls(config: &str, settings: &str, cert_dir: &std::path::Path) -> String {
    let (head, tables) = config.split_once("[[issuers]]").unwrap();
    format!(
        "{settings}{head}[tls]\ncert = \"{}\"\nkey = \"{}\"\n[[issuers]]{tables}",
        cert_dir.join("leaf.pem").display(),
        cert_dir.join("leaf.key").display()
    )
}

/// A guard for `toml` that serves HTTPS, on two threads; its base URL once
/// `/healthz`, asked over TLS trusting `ca_dir`'s CA, says the keys are in.
async fn guard_tls(toml: &str, ca_dir: &std::path::Path) -> (String, Arc<Guard>, Served) {
    let g = Guard::new(GuardConfig::from_toml(toml).unwrap()).unwrap();
    let (addr, threads) =
        authdoctor_guard::serve_per_core(g.clone(), "127.0.0.1:0".parse().unwrap(), 2).unwrap();
    let base = format!("https://{addr}");
    until_healthy(&trusting(ca_dir, true), &base, true).await;
    let served = Served {
        _guard: g.clone(),
        threads,
    };
    (base, g, served)
}

/// TLS on both sides: the guard serves HTTPS (HTTP/1.1 and HTTP/2 by ALPN)
/// with a private CA's certificate, and speaks TLS to an upstream (Node's
/// HTTPS server) whose CA it is given; without that CA the upstream's
/// certificate is refused (502) and the log says so; a reload serves a
/// renewed certificate to the next connections.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guard_speaks_tls_to_its_clients_and_to_its_upstream() {
    let dir = std::env::temp_dir().join(format!("authdoctor-guard-tls-{}", std::process::id()));
    let (one, two) = (dir.join("one"), dir.join("two"));
    for d in [&one, &two] {
        std::fs::create_dir_all(d).unwrap();
        certs::make_certs(d);
    }
    let Some((_up, up_port)) = util::node_server_with(
        "tls-echo.mjs",
        "jose",
        &[&one.join("leaf.pem"), &one.join("leaf.key")],
    ) else {
        return;
    };
    let lab = Lab::start(Options::default()).await.unwrap();
    let log = dir.join("reject.jsonl");
    let upstream = format!("https://127.0.0.1:{up_port}");
    let with = |settings: &str, cert_dir: &std::path::Path| {
        with_tls(&config(&lab, &upstream, &log), settings, cert_dir)
    };
    let trusted = with(
        &format!("upstream_ca = \"{}\"\n", one.join("ca.pem").display()),
        &one,
    );
    let (base, g, _served) = guard_tls(&trusted, &one).await;
    let addr = base.trim_start_matches("https://").to_owned();
    let h1 = trusting(&one, true);
    let token = mint(&lab).await;
    // HTTP/1.1 and HTTP/2 to the guard; HTTP/1.1 over TLS to the upstream,
    // told the client's TLS ended at the guard, never shown the token.
    for (client, version) in [
        (h1.clone(), reqwest::Version::HTTP_11),
        (trusting(&one, false), reqwest::Version::HTTP_2),
    ] {
        let r = client
            .get(format!("{base}/orders"))
            .bearer_auth(&token)
            .header("x-forwarded-proto", "http")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.version(), version);
        let echo: Value = r.json().await.unwrap();
        assert_eq!(echo["version"], "1.1", "{echo}");
        assert_eq!(echo["headers"]["x-forwarded-proto"], "https", "{echo}");
        assert_eq!(echo["headers"]["x-auth-subject"], "demo-cli", "{echo}");
        assert!(echo["headers"].get("authorization").is_none(), "{echo}");
    }
    // A refusal over HTTPS names its metadata at the https:// address.
    let r = h1.get(format!("{base}/orders")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let challenge = r.headers()["www-authenticate"].to_str().unwrap().to_owned();
    assert!(
        challenge.contains(&format!(
            "resource_metadata=\"{base}/.well-known/oauth-protected-resource\""
        )),
        "{challenge}"
    );
    // Plain HTTP to the HTTPS port: no handshake, counted.
    assert!(
        reqwest::get(format!("http://{addr}/orders"))
            .await
            .map_or(true, |r| r.status() != 200)
    );
    // Counted when the guard's side of the failed handshake ends, which
    // may come after the client saw its connection close.
    let failed = "authdoctor_guard_tls_handshakes_total{result=\"failed\"} 1";
    let mut metrics = String::new();
    for _ in 0..100 {
        metrics = text_of(&h1, format!("{base}/metrics")).await;
        if metrics.contains(failed) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(metrics.contains(failed), "{metrics}");
    assert!(
        metrics.contains("authdoctor_guard_tls_handshakes_total{result=\"done\"}"),
        "{metrics}"
    );

    // A renewed certificate (here, of another CA) is served from the
    // reload on; the upstream's CA left out, its certificate is refused:
    // 502, never 401, and the log says why.
    let renewed = with("", &two);
    g.reload(GuardConfig::from_toml(&renewed).unwrap()).unwrap();
    let r = trusting(&two, true)
        .get(format!("{base}/orders"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 502);
    assert!(
        trusting(&one, true)
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_err(),
        "the old certificate is still served"
    );
    let failed: Vec<Value> = log_lines(&log)
        .into_iter()
        .filter(|l| l["event"] == "upstream_failed")
        .collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0]["upstream"], upstream.as_str());
    let why = failed[0]["error"].as_str().unwrap();
    assert!(why.contains("certificate"), "{why}");
    assert!(!std::fs::read_to_string(&log).unwrap().contains(&token));
    // The doctor, given the CA (curl's --cacert), names the cause the
    // guard gives over HTTPS.
    let spec = authdoctor_doctor::RequestSpec {
        method: "GET".into(),
        url: format!("{base}/orders"),
        headers: bearer(&example_token(&lab, Cause::TokenExpired)),
        cacert: Some(two.join("ca.pem")),
        ..Default::default()
    };
    let ctx = authdoctor_doctor::Context {
        retry: false,
        ..Default::default()
    };
    let d = authdoctor_doctor::run(&spec, &ctx).await.unwrap();
    assert_eq!(d.exchanges[0].status, 401, "{d:?}");
    assert_eq!(d.causes[0].id, Cause::TokenExpired, "{d:?}");

    // HTTPS is turned on or off at start only; a key that is not the
    // certificate's is refused with the files named, never their contents.
    let plain = config(&lab, &upstream, &log);
    let e = g
        .reload(GuardConfig::from_toml(&plain).unwrap())
        .unwrap_err()
        .to_string();
    assert!(e.contains("restart"), "{e}");
    let mismatched = trusted.replace(
        &one.join("leaf.key").display().to_string(),
        &two.join("leaf.key").display().to_string(),
    );
    let e = g
        .reload(GuardConfig::from_toml(&mismatched).unwrap())
        .unwrap_err()
        .to_string();
    assert!(e.contains("tls.key") && e.contains("leaf.key"), "{e}");
    assert!(!e.contains("PRIVATE KEY-----\n"), "{e}");
    let not_pem = trusted.replace(
        &one.join("leaf.pem").display().to_string(),
        &log.display().to_string(),
    );
    let e = Guard::new(GuardConfig::from_toml(&not_pem).unwrap())
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("holds no certificate"), "{e}");
    // The renewed certificate is still in force after the refused reloads.
    let r = trusting(&two, true)
        .get(format!("{base}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    lab.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// gRPC over TLS on both sides: a client speaks HTTP/2 to the guard by
/// ALPN, and the guard to a gRPC server with a private CA's certificate
/// (@grpc/grpc-js) in HTTP/2 by ALPN; the call is judged and carried as
/// without TLS.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_over_tls_is_judged_and_carried() {
    let dir = certified("grpcs");
    let Some((_grpc, port)) = serving_tls("grpc-echo.mjs", "@grpc/grpc-js", &dir) else {
        return;
    };
    let node = util::node_with("@grpc/grpc-js").unwrap();
    let lab = Lab::start(Options::default()).await.unwrap();
    let toml = with_tls(
        &config(
            &lab,
            &format!("https://127.0.0.1:{port}"),
            &dir.join("r.jsonl"),
        ),
        &format!("upstream_ca = \"{}\"\n", dir.join("ca.pem").display()),
        &dir,
    ) + GRPC_ROUTES;
    let (base, _g, _served) = guard_tls(&toml, &dir).await;
    let addr = base.trim_start_matches("https://").to_owned();
    let token = mint(&lab).await;
    let ca = dir.join("ca.pem");
    let calls = tokio::task::spawn_blocking(move || {
        [
            grpc_call_trusting(&node, &addr, "Say", Some(&token), Some(&ca)),
            grpc_call_trusting(&node, &addr, "Say", None, Some(&ca)),
            grpc_call_trusting(&node, &addr, "Admin", Some(&token), Some(&ca)),
        ]
    })
    .await
    .unwrap();
    assert_eq!(calls[0]["code"], 0, "{calls:?}");
    assert_eq!(calls[0]["text"], "hi | - | demo-cli", "{calls:?}");
    assert_eq!(calls[1]["code"], 16, "{calls:?}");
    assert_eq!(calls[2]["code"], 7, "{calls:?}");
    lab.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// `authdoctor guard --check`: 0 when the configuration's files are good
/// and its issuer and upstream answer; 1 when it would start but the
/// upstream's certificate is not trusted (the line says so); 2, one line,
/// when a file it needs cannot be read. It serves nothing either way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guard_check_says_whether_a_configuration_is_ready() {
    let dir = certified("check");
    let Some((_up, up_port)) = serving_tls("tls-echo.mjs", "jose", &dir) else {
        return;
    };
    let lab = Lab::start(Options::default()).await.unwrap();
    let upstream = format!("https://127.0.0.1:{up_port}");
    let log = dir.join("r.jsonl");
    let write = |name: &str, settings: &str| {
        let path = dir.join(name);
        std::fs::write(
            &path,
            with_tls(&config(&lab, &upstream, &log), settings, &dir),
        )
        .unwrap();
        path
    };
    let ready = write(
        "ready.toml",
        &format!("upstream_ca = \"{}\"\n", dir.join("ca.pem").display()),
    );
    let untrusted = write("untrusted.toml", "");
    let check = |path: std::path::PathBuf| {
        tokio::task::spawn_blocking(move || {
            util::authdoctor()
                .args(["guard", "--check", "--config"])
                .arg(path)
                .timeout(Duration::from_secs(60))
                .output()
                .unwrap()
        })
    };
    let out = check(ready).await.unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("would listen on https://"), "{text}");
    assert!(
        text.contains(&format!("ok   issuer {}", lab.info().issuers["prod"])),
        "{text}"
    );
    assert!(text.contains("ok   upstream https://127.0.0.1:"), "{text}");
    let out = check(untrusted).await.unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{text}");
    let fail = text
        .lines()
        .find(|l| l.contains("FAIL upstream"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(fail.contains("certificate"), "{fail}");
    // The key's file is gone: it would not start.
    std::fs::remove_file(dir.join("leaf.key")).unwrap();
    let out = check(dir.join("ready.toml")).await.unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("tls.key") && err.contains("leaf.key"), "{err}");
    // A check leaves nothing behind: the reject log it opened, not there
    // before, is not there after.
    assert!(!log.exists(), "--check left {}", log.display());
    lab.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// Certificate-bound tokens (RFC 8705): with `[tls] client_ca`, the guard
/// asks each client for a certificate that CA signed (a client without one
/// is still served). A token whose `cnf` names a certificate's thumbprint
/// (`x5t#S256`) passes only over a connection that presented that
/// certificate, on every request, the cached ones too; a DPoP-bound token
/// sent as Bearer is refused, as the guard takes Bearer tokens only; each
/// refusal is `token.binding_required` in the log, the token masked. A
/// certificate another CA signed ends the handshake.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_bound_tokens_pass_only_with_their_certificate() {
    let dir = std::env::temp_dir().join(format!("authdoctor-guard-mtls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    certs::make_certs(&dir);
    certs::make_client_cert(&dir, "client", Some("ca"));
    certs::make_client_cert(&dir, "colleague", Some("ca"));
    certs::make_client_cert(&dir, "stranger", None);
    // The issuer's key set, served as an issuer serves it.
    let key = authdoctor_jose::SigningKey::generate(&authdoctor_jose::Alg::ES256, "k1").unwrap();
    let jwks = serde_json::json!({"keys": [key.public_jwk().to_json()]});
    let app = axum::Router::new().route(
        "/jwks",
        axum::routing::get(move || {
            let jwks = jwks.clone();
            async move { axum::Json(jwks) }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let keys_at = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await });
    let (up, _seen) = upstream().await;
    let log = dir.join("reject.jsonl");
    let d = dir.display();
    let toml = format!(
        r#"
upstream = "{up}"
audience = "https://orders.api.test"
[tls]
cert = "{d}/leaf.pem"
key = "{d}/leaf.key"
client_ca = "{d}/ca.pem"
[[issuers]]
issuer = "https://issuer.test"
jwks_uri = "http://{keys_at}/jwks"
[[routes]]
method = "GET"
path = "/orders*"
[log]
path = "{}"
"#,
        log.display()
    );
    let (base, _g, _served) = guard_tls(&toml, &dir).await;
    // A certificate's thumbprint: base64url of the SHA-256 of its DER.
    let thumbprint = |name: &str| {
        let der = std::process::Command::new("openssl")
            .args(["x509", "-outform", "DER", "-in"])
            .arg(dir.join(format!("{name}.pem")))
            .output()
            .unwrap()
            .stdout;
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &der);
        authdoctor_jose::b64::encode(digest.as_ref())
    };
    let now = jiff::Timestamp::now().as_second();
    let token = |cnf: Option<Value>| {
        let mut claims = serde_json::json!({"iss": "https://issuer.test", "aud": "https://orders.api.test", "sub": "svc-orders", "iat": now, "exp": now + 600});
        if let Some(c) = cnf {
            claims["cnf"] = c;
        }
        key.sign_jwt(Some("at+jwt"), &serde_json::Map::new(), &claims)
            .unwrap()
    };
    let bound = token(Some(serde_json::json!({"x5t#S256": thumbprint("client")})));
    let with_cert = |name: Option<&str>| {
        let ca =
            reqwest::Certificate::from_pem(&std::fs::read(dir.join("ca.pem")).unwrap()).unwrap();
        let mut b = reqwest::Client::builder().tls_certs_only([ca]);
        if let Some(n) = name {
            let pem = [
                std::fs::read(dir.join(format!("{n}.pem"))).unwrap(),
                std::fs::read(dir.join(format!("{n}.key"))).unwrap(),
            ]
            .concat();
            b = b.identity(reqwest::Identity::from_pem(&pem).unwrap());
        }
        b.build().unwrap()
    };
    let call = |client: reqwest::Client, t: String| {
        let url = format!("{base}/orders");
        async move { authorized_get(&client, &url, "Bearer", &t, None).await }
    };
    // Its certificate: admitted (and the verified token cached).
    assert_eq!(call(with_cert(Some("client")), bound.clone()).await.0, 200);
    // No certificate, or a colleague's (same CA): refused, cache or not.
    let (status, challenge) = call(with_cert(None), bound.clone()).await;
    assert_eq!(status, 401);
    assert!(
        challenge.contains("error=\"invalid_token\"")
            && challenge
                .contains("bound to a client certificate, and this connection presented none"),
        "{challenge}"
    );
    let (status, challenge) = call(with_cert(Some("colleague")), bound.clone()).await;
    assert_eq!(status, 401);
    assert!(
        challenge.contains("another client certificate"),
        "{challenge}"
    );
    // A token bound to nothing needs no certificate.
    assert_eq!(call(with_cert(None), token(None)).await.0, 200);
    // A DPoP-bound token sent as Bearer.
    let dpop = token(Some(
        serde_json::json!({"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}),
    ));
    let (status, challenge) = call(with_cert(Some("client")), dpop).await;
    assert_eq!(status, 401);
    assert!(challenge.contains("DPoP key"), "{challenge}");
    // A certificate another CA signed: no handshake.
    assert!(
        with_cert(Some("stranger"))
            .get(format!("{base}/orders"))
            .bearer_auth(&bound)
            .send()
            .await
            .is_err()
    );
    // The doctor names what the guard logged, and with the certificate
    // (--cert, --key) the request passes.
    let doctor = |cert: bool| {
        let spec = authdoctor_doctor::RequestSpec {
            method: "GET".into(),
            url: format!("{base}/orders"),
            headers: bearer(&bound),
            cacert: Some(dir.join("ca.pem")),
            client_cert: cert.then(|| dir.join("client.pem")),
            client_key: cert.then(|| dir.join("client.key")),
            ..Default::default()
        };
        let ctx = authdoctor_doctor::Context {
            retry: false,
            ..Default::default()
        };
        async move { authdoctor_doctor::run(&spec, &ctx).await.unwrap() }
    };
    let d = doctor(false).await;
    assert_eq!(
        d.causes[0].id,
        Cause::TokenBindingRequired,
        "{:#?}",
        d.causes
    );
    assert!(
        d.causes[0].fixes[0].action.contains("--cert"),
        "{:#?}",
        d.causes[0]
    );
    let d = doctor(true).await;
    assert!(d.causes.is_empty(), "{:#?}", d.causes);
    assert_eq!(d.exchanges[0].status, 200);
    // Each refusal logged with its cause, the token masked.
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    let reasons = logged
        .lines()
        .filter(|l| l.contains("\"token.binding_required\""))
        .count();
    assert_eq!(reasons, 4, "{logged}");
    assert!(!logged.contains(&bound), "the token leaked into the log");
    let _ = std::fs::remove_dir_all(&dir);
}

/// DPoP-bound tokens (RFC 9449), where the guard takes them (`dpop =
/// true`): a token the lab bound to a key at its token endpoint passes as
/// `Authorization: DPoP` with a fresh proof of that key for this request,
/// and the upstream sees neither; a replayed proof, a proof for another
/// URL or by another key, no proof, the token sent as Bearer, and a token
/// bound to nothing sent as DPoP are refused with the DPoP challenge's
/// error, each logged as token.binding_required. A Bearer token bound to
/// nothing still passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dpop_bound_tokens_pass_with_their_proof_only() {
    let lab = Lab::start(Options::default()).await.unwrap();
    let (up, seen) = upstream().await;
    let dir = std::env::temp_dir().join(format!("authdoctor-guard-dpop-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("reject.jsonl");
    let toml = format!("dpop = true\n{}", config(&lab, &up, &log));
    let (base, _served) = guard(&toml).await;
    let key = authdoctor_jose::SigningKey::generate(&authdoctor_jose::Alg::ES256, "dpop").unwrap();
    let other =
        authdoctor_jose::SigningKey::generate(&authdoctor_jose::Alg::ES256, "other").unwrap();
    let proof = dpop_proof;
    // The lab binds the token to the key of the proof sent with the grant.
    let at = dpop_bound_token(&lab, &key).await;
    let c = reqwest::Client::new();
    let url = format!("{base}/orders");
    let call = |scheme: &str, proof: Option<String>| {
        let (c, url, at, scheme) = (&c, &url, &at, scheme.to_owned());
        async move { authorized_get(c, url, &scheme, at, proof).await }
    };
    // With a fresh proof of its key: through, neither token nor proof sent on.
    let first = proof(&key, "GET", &url, Some(&at));
    assert_eq!(call("DPoP", Some(first.clone())).await.0, 200);
    let sent = seen.lock().unwrap().last().cloned().unwrap();
    assert!(
        !sent
            .iter()
            .any(|(n, _)| n == "authorization" || n == "dpop"),
        "{sent:?}"
    );
    // And again, with another fresh proof (the cached token, proof checked).
    assert_eq!(
        call("DPoP", Some(proof(&key, "GET", &url, Some(&at))))
            .await
            .0,
        200
    );
    for (what, scheme, p, words) in [
        (
            "a replayed proof",
            "DPoP",
            Some(first),
            "invalid_dpop_proof",
        ),
        (
            "a proof for another URL",
            "DPoP",
            Some(proof(&key, "GET", &format!("{base}/admin"), Some(&at))),
            "invalid_dpop_proof",
        ),
        (
            "a proof by another key",
            "DPoP",
            Some(proof(&other, "GET", &url, Some(&at))),
            "another key than the token is bound to",
        ),
        ("no proof", "DPoP", None, "invalid_dpop_proof"),
        ("the token as Bearer", "Bearer", None, "bound to a DPoP key"),
    ] {
        let (status, challenge) = call(scheme, p).await;
        assert_eq!(status, 401, "{what}");
        assert!(challenge.contains(words), "{what}: {challenge}");
    }
    // At a public route, a DPoP token and its proof, checked by no one,
    // go no further (as a bearer token does not), even from a guard that
    // lets admitted requests keep their token.
    let keeping = toml.replace("strip_token = true", "strip_token = false");
    assert_ne!(keeping, toml);
    let (keeping_base, _keeping) = guard(&keeping).await;
    let r = c
        .get(format!("{keeping_base}/public/x"))
        .header("Authorization", format!("DPoP {at}"))
        .header("DPoP", proof(&key, "GET", &url, Some(&at)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let sent = seen.lock().unwrap().last().cloned().unwrap();
    assert!(
        !sent
            .iter()
            .any(|(n, _)| n == "authorization" || n == "dpop"),
        "{sent:?}"
    );
    // A token bound to nothing: as Bearer, through; as DPoP, refused.
    let plain = mint(&lab).await;
    let r = c.get(&url).bearer_auth(&plain).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = c
        .get(&url)
        .header("Authorization", format!("DPoP {plain}"))
        .header("DPoP", proof(&key, "GET", &url, Some(&plain)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("not bound to a DPoP key")
    );
    let lines = log_lines(&log);
    let bound = lines
        .iter()
        .filter(|l| l["reason"] == "token.binding_required")
        .count();
    assert_eq!(bound, 6, "{lines:?}");
    assert!(
        !std::fs::read_to_string(&log).unwrap().contains(&at),
        "the token leaked"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The one-route case from flags alone: `--audience` given twice names
/// the API's second identifier, and a token for it passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_flags_alone_guard_an_api_known_by_two_audiences() {
    let lab = Lab::start(Options::default()).await.unwrap();
    let (up, _) = upstream().await;
    let issuer = lab.info().issuers["prod"].clone();
    let second = format!("{}/orders", lab.info().api);
    let (child, base, _) = guard_process([
        "--listen",
        "127.0.0.1:0",
        "--upstream",
        up.as_str(),
        "--issuer",
        issuer.as_str(),
        "--audience",
        "api://orders-v2",
        "--audience",
        second.as_str(),
        "--scope",
        "orders:read",
    ]);
    let _child = util::Running(child);
    let c = reqwest::Client::new();
    until_healthy(&c, &base, true).await;
    let token = mint(&lab).await;
    let r = c
        .get(format!("{base}/orders"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let other = example_token(&lab, Cause::TokenAudienceMismatch);
    let r = c
        .get(format!("{base}/orders"))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    lab.shutdown().await;
}

/// `admin_listen`: `/healthz` and `/metrics` on a port of their own (the
/// binary, as deployed), and on the clients' port those paths are the
/// upstream's like any other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_endpoints_can_have_a_port_of_their_own() {
    let lab = Lab::start(Options::default()).await.unwrap();
    let (up, seen) = upstream().await;
    let dir = std::env::temp_dir().join(format!("authdoctor-guard-admin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("guard.toml");
    let admin_port = util::free_port();
    std::fs::write(
        &path,
        format!(
            "listen = \"127.0.0.1:0\"\nadmin_listen = \"127.0.0.1:{admin_port}\"\n{}[[routes]]\npath = \"/metrics\"\npublic = true\n",
            config(&lab, &up, &dir.join("l.jsonl"))
        ),
    )
    .unwrap();
    let (child, base, line) = guard_process([std::ffi::OsStr::new("--config"), path.as_os_str()]);
    let _child = util::Running(child);
    // "… listening on http://ADDR, …; /healthz, /metrics on http://ADMIN"
    let admin = format!("http://127.0.0.1:{admin_port}");
    assert!(
        line.trim_end()
            .ends_with(&format!("/healthz, /metrics on {admin}")),
        "{line}"
    );
    let c = reqwest::Client::new();
    until_healthy(&c, &admin, true).await;
    let m = text_of(&c, format!("{admin}/metrics")).await;
    assert!(m.contains("authdoctor_guard_requests_total"), "{m}");
    // On the clients' port, /metrics is the upstream's.
    let r = c.get(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "upstream says hello");
    assert!(
        seen.lock()
            .unwrap()
            .iter()
            .any(|h| h.iter().any(|(n, v)| n == ":path" && v == "/metrics"))
    );
    // /healthz has no rule there: a path the guard protects, refused.
    assert_eq!(
        c.get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    lab.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// A reload (SIGHUP: a renewed certificate, a changed limit) keeps the
/// key sets it had for the issuers it keeps, refetching them behind: a
/// token is verified at once after it, even with the issuer unreachable
/// then, where keys fetched afresh first would answer 503 until they came.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_keeps_serving_with_the_keys_it_had() {
    let lab = Lab::start(Options::default()).await.unwrap();
    let (up, _seen) = upstream().await;
    let dir = std::env::temp_dir().join(format!("authdoctor-guard-keep-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let toml = config(&lab, &up, &dir.join("reject.jsonl"));
    let (base, served) = guard(&toml).await;
    let token = mint(&lab).await;
    let c = reqwest::Client::new();
    let status = |c: &reqwest::Client| {
        let r = c.get(format!("{base}/orders")).bearer_auth(&token).send();
        async move { r.await.unwrap().status().as_u16() }
    };
    assert_eq!(status(&c).await, 200);
    // The issuer goes away; the guard is reloaded (its verified-token
    // cache starts anew, so the token is verified again).
    lab.shutdown().await;
    served
        ._guard
        .reload(GuardConfig::from_toml(&toml).unwrap())
        .unwrap();
    assert_eq!(status(&c).await, 200);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A DPoP proof is used once in a cluster (RFC 9449 §11.1): two guard
/// processes behind one public URL share the proofs used through Redis, so
/// a proof one node took is refused by the other; a fresh proof passes at
/// either. Without Redis, each node still refuses a proof it saw itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dpop_proof_replayed_to_another_node_is_refused_there() {
    let lab = Lab::start(Options::default()).await.unwrap();
    let (up, _seen) = upstream().await;
    let mut redis = Redis::start(util::free_port());
    let dir = std::env::temp_dir().join(format!("authdoctor-guard-dj-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let public = "https://api.example";
    let config = format!(
        r#"upstream = "{up}"
audience = "{api}/orders"
dpop = true
public_url = "{public}"
[[issuers]]
issuer = "{prod}"
[redis]
url = "redis://127.0.0.1:{port}/0"
prefix = "dj:{pid}"
"#,
        api = lab.info().api,
        prod = lab.info().issuers["prod"],
        port = redis.port,
        pid = std::process::id(),
    );
    let a = Node::start(&config, &dir, "a").await;
    let b = Node::start(&config, &dir, "b").await;
    let key = authdoctor_jose::SigningKey::generate(&authdoctor_jose::Alg::ES256, "dpop").unwrap();
    let at = dpop_bound_token(&lab, &key).await;
    let orders = format!("{public}/orders");
    let proof = |at: &str| dpop_proof(&key, "GET", &orders, Some(at));
    let c = reqwest::Client::new();
    let call = |node: &Node, p: String| {
        let url = format!("{}/orders", node.base);
        let (c, at) = (&c, &at);
        async move { authorized_get(c, &url, "DPoP", at, Some(p)).await }
    };
    // Taken at a, replayed to b: refused there, saying why.
    let first = proof(&at);
    assert_eq!(call(&a, first.clone()).await.0, 200);
    let (status, challenge) = call(&b, first.clone()).await;
    assert_eq!(status, 401, "{challenge}");
    assert!(challenge.contains("invalid_dpop_proof"), "{challenge}");
    let logged = log_lines(&b.log);
    assert!(
        logged
            .iter()
            .any(|l| l["reason"] == "token.binding_required"
                && l["detail"].as_str().unwrap_or("").contains("another node")),
        "{logged:?}"
    );
    // A fresh proof passes at either node.
    assert_eq!(call(&b, proof(&at)).await.0, 200);
    assert_eq!(call(&a, proof(&at)).await.0, 200);
    // Only the jti's digest is kept: neither the token nor the proof.
    let keys = std::process::Command::new("redis-cli")
        .args(["-p", &redis.port.to_string(), "--scan", "--pattern"])
        .arg(format!("dj:{}:d:*", std::process::id()))
        .output()
        .unwrap();
    let keys = String::from_utf8_lossy(&keys.stdout).into_owned();
    assert_eq!(keys.lines().count(), 3, "{keys}");
    // Without Redis: a node still refuses a proof it took itself.
    redis.stop();
    a.wait_for("authdoctor_guard_redis_up 0").await;
    let again = proof(&at);
    assert_eq!(call(&a, again.clone()).await.0, 200);
    assert_eq!(call(&a, again).await.0, 401);
    let all = std::fs::read_to_string(&a.log).unwrap() + &std::fs::read_to_string(&b.log).unwrap();
    assert!(!all.contains(&at), "the token leaked into a log");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A fresh DPoP proof by `key` for `htm` `htu`, bound to the access token
/// `at` when given (its jti the time in nanoseconds).
fn dpop_proof(key: &authdoctor_jose::SigningKey, htm: &str, htu: &str, at: Option<&str>) -> String {
    let now = jiff::Timestamp::now();
    let jti = now.as_nanosecond().to_string();
    authdoctor_jose::dpop::proof(key, htm, htu, at, now.as_second(), &jti).unwrap()
}

/// A token the lab's prod issuer binds to `key` (the grant sent with a
/// proof of it), for the orders API.
async fn dpop_bound_token(lab: &Lab, key: &authdoctor_jose::SigningKey) -> String {
    let token_url = format!("{}/token", lab.info().issuers["prod"]);
    let v = util::grant(
        lab,
        "orders:read",
        Some(dpop_proof(key, "POST", &token_url, None)),
    )
    .await;
    assert_eq!(v["token_type"], "DPoP", "{v}");
    v["access_token"].as_str().unwrap().to_owned()
}

/// GET `url` with `Authorization: {scheme} {at}` (and `proof` as its DPoP
/// header, when given): the status and the challenge.
async fn authorized_get(
    c: &reqwest::Client,
    url: &str,
    scheme: &str,
    at: &str,
    proof: Option<String>,
) -> (u16, String) {
    let mut r = c.get(url).header("Authorization", format!("{scheme} {at}"));
    if let Some(p) = proof {
        r = r.header("DPoP", p);
    }
    let r = r.send().await.unwrap();
    let challenge = r
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (r.status().as_u16(), challenge)
}
