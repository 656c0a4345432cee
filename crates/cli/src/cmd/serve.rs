//! `authdoctor serve`: a page on 127.0.0.1 over the same checks as the
//! command line. Its API runs the command lines themselves (`token --json`,
//! `diagnose --json --curl`, `diagnose --json --har`) through the same
//! parser and code, so the page and the terminal cannot disagree, and the
//! JSON it answers is the command line's contract.
//!
//! What keeps it local: it listens on 127.0.0.1 unless `--bind` names
//! another address, and then every request needs the random access key
//! printed in the page's URL; a request whose `Host` is not this server's
//! address (DNS rebinding) or whose `Origin` is another site's is refused;
//! the API takes only JSON (a form post from another site cannot reach it);
//! the page loads nothing from anywhere else (its Content-Security-Policy
//! allows only this server) and its assets are in the binary. The page
//! never reads local files: a token or curl line that names one
//! (`@FILE`, `-d @FILE`, `-T`, `--cacert` …) is refused. Requests leave the
//! machine only when the user presses Diagnose, as with the command line.

use crate::args::{Cli, ServeArgs};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use clap::Parser;
use serde_json::{Value, json};
use std::sync::Arc;

const INDEX: &str = include_str!("serve/index.html");
const SCRIPT: &str = include_str!("serve/app.js");
const STYLE: &str = include_str!("serve/app.css");

/// The largest HAR file the page takes (the command line's input bound).
const MAX_BODY: usize = crate::input::MAX_INPUT as usize;

/// Why the page cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum ServeFailure {
    /// The address is taken or not ours.
    #[error("authdoctor serve cannot listen on {addr}: {err}. Choose another --port.")]
    Listen {
        /// Where.
        addr: String,
        /// Why.
        err: std::io::Error,
    },
    /// The runtime or the random key.
    #[error("authdoctor serve cannot start: {0}.")]
    Start(String),
}

struct Page {
    /// The access key, when not on loopback.
    key: Option<String>,
    /// The `Host` values a request may carry.
    hosts: Vec<String>,
}

/// Serves the page until interrupted.
pub fn run(a: &ServeArgs) -> Result<(), ServeFailure> {
    let ip = a.bind.unwrap_or(std::net::IpAddr::from([127, 0, 0, 1]));
    let key = match ip.is_loopback() {
        true => None,
        false => {
            let mut k = [0u8; 24];
            aws_lc_rs::rand::fill(&mut k)
                .map_err(|_| ServeFailure::Start("no randomness".into()))?;
            Some(k.iter().map(|b| format!("{b:02x}")).collect::<String>())
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| ServeFailure::Start(e.to_string()))?;
    rt.block_on(async move {
        let addr = std::net::SocketAddr::new(ip, a.port);
        let listener =
            tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|err| ServeFailure::Listen {
                    addr: addr.to_string(),
                    err,
                })?;
        let bound = listener.local_addr().map_err(|err| ServeFailure::Listen {
            addr: addr.to_string(),
            err,
        })?;
        let port = bound.port();
        let mut hosts = vec![bound.to_string()];
        if ip.is_loopback() {
            hosts.push(format!("localhost:{port}"));
            hosts.push(format!("127.0.0.1:{port}"));
            hosts.push(format!("[::1]:{port}"));
        }
        let url = match &key {
            Some(k) => format!("http://{bound}/?key={k}"),
            None => format!("http://{bound}/"),
        };
        println!("authdoctor serve: {url}");
        eprintln!("Press Ctrl-C to stop. Nothing leaves this machine until you press Diagnose.");
        if a.open {
            for opener in ["xdg-open", "open"] {
                if std::process::Command::new(opener)
                    .arg(&url)
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .spawn()
                    .is_ok()
                {
                    break;
                }
            }
        }
        let page = Arc::new(Page { key, hosts });
        let app = axum::Router::new()
            .route("/", axum::routing::get(index))
            .route("/app.js", axum::routing::get(script))
            .route("/app.css", axum::routing::get(style))
            .route(
                "/favicon.ico",
                axum::routing::get(|| async { StatusCode::NO_CONTENT }),
            )
            .route("/api/token", axum::routing::post(token))
            .route("/api/diagnose", axum::routing::post(diagnose))
            .route("/api/har/timeline", axum::routing::post(har_timeline))
            .route("/api/har/diagnose", axum::routing::post(har_diagnose))
            .layer(DefaultBodyLimit::max(MAX_BODY))
            .layer(axum::middleware::from_fn(announced_size))
            .layer(axum::middleware::map_response(harden))
            .with_state(page);
        // With the guard's header timeout: a page given --bind faces a
        // network, where a client that dribbles its headers must not hold a
        // connection forever.
        let timeout =
            std::time::Duration::from_secs(authdoctor_guard::config::HEADER_TIMEOUT_SECONDS);
        authdoctor_guard::serve_router(app, listener, timeout, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|err| ServeFailure::Listen {
            addr: bound.to_string(),
            err,
        })
    })
}

/// Headers on every answer: the page loads nothing from anywhere else, is
/// framed by no one, and is not cached.
async fn harden(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// Whether a request may be answered: our own `Host` (on loopback), no
/// other site's `Origin`, and the access key when there is one (`key` in the query for
/// the page, the `x-authdoctor-key` header for the API).
fn allowed(p: &Page, h: &HeaderMap, query_key: Option<&str>) -> Result<(), Refused> {
    let host = h
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // On loopback, the Host must be ours (a rebound DNS name is another
    // site's page reaching us). Beyond it, clients name the machine as they
    // know it, and the key is what keeps others out.
    if p.key.is_none() && !p.hosts.iter().any(|x| x == host) {
        return Err(Refused::new(
            StatusCode::FORBIDDEN,
            "This page answers only at its own address.",
        ));
    }
    if let Some(origin) = h.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        if origin != format!("http://{host}") {
            return Err(Refused::new(
                StatusCode::FORBIDDEN,
                "Requests from other sites are refused.",
            ));
        }
    }
    if let Some(k) = &p.key {
        let given = query_key.or_else(|| h.get("x-authdoctor-key").and_then(|v| v.to_str().ok()));
        if given != Some(k.as_str()) {
            return Err(Refused::new(
                StatusCode::UNAUTHORIZED,
                "Open the page with the URL authdoctor serve printed (it carries the access key).",
            ));
        }
    }
    Ok(())
}

/// A body announced larger than the page takes is refused before any of it
/// is read: a 200 MB HAR gets its answer at once. (One that does not say
/// its length is cut at the limit as it is read.)
async fn announced_size(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > MAX_BODY as u64) {
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The file is too large for the page (8 MB at most). Use authdoctor diagnose --har on the command line.",
        );
    }
    next.run(req).await
}

fn refuse(status: StatusCode, why: &str) -> Response {
    (status, axum::Json(json!({"error": why}))).into_response()
}

/// A request refused, and why (the page shows it).
struct Refused(StatusCode, String);

impl Refused {
    fn new(status: StatusCode, why: &str) -> Refused {
        Refused(status, why.to_owned())
    }
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        refuse(self.0, &self.1)
    }
}

async fn index(
    State(p): State<Arc<Page>>,
    h: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    if let Err(r) = allowed(&p, &h, q.get("key").map(String::as_str)) {
        return r.into_response();
    }
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], INDEX).into_response()
}

async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        SCRIPT,
    )
        .into_response()
}

async fn style() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE).into_response()
}

/// The API's body: JSON only (another site's form cannot send it).
fn json_body(h: &HeaderMap, body: &Bytes) -> Result<Value, Refused> {
    json_type(h)?;
    serde_json::from_slice(body)
        .map_err(|_| Refused::new(StatusCode::BAD_REQUEST, "The request is not JSON."))
}

/// A pasted input's request: from the page, JSON, its `field` given, and
/// no local file (`what` names it in the answer; `ask` when it is empty).
fn pasted(
    p: &Page,
    h: &HeaderMap,
    body: &Bytes,
    field: &str,
    what: &str,
    ask: &str,
) -> Result<(Value, String), Refused> {
    allowed(p, h, None)?;
    let v = json_body(h, body)?;
    let text = v[field].as_str().unwrap_or("").trim().to_owned();
    if text.is_empty() {
        return Err(Refused::new(StatusCode::BAD_REQUEST, ask));
    }
    no_local_file(what, &text)?;
    Ok((v, text))
}

/// A value the page sends into a command line: never a local file.
fn no_local_file(what: &str, v: &str) -> Result<(), Refused> {
    if v.starts_with('@') || v.starts_with('-') {
        return Err(Refused::new(
            StatusCode::BAD_REQUEST,
            &format!(
                "The page does not read local files or take options as the {what}; paste the value itself."
            ),
        ));
    }
    Ok(())
}

/// A curl line's words that would read a local file.
fn reads_local_files(line: &str) -> bool {
    let Some(words) = shlex::split(line) else {
        return false;
    };
    let mut last = "";
    for word in &words {
        // `--opt=value` is `--opt value`; `-bFILE` is `-b FILE`, as the
        // curl reader takes them.
        let (prev, w) = match word.split_once('=').filter(|(f, _)| f.starts_with("--")) {
            Some((flag, value)) => (flag, value),
            None if word.len() > 2 && word.starts_with("-b") && !word.starts_with("--") => {
                ("-b", &word[2..])
            }
            None => (last, word.as_str()),
        };
        let file_opt = matches!(
            prev,
            "-T" | "--upload-file"
                | "-K"
                | "--config"
                | "--cacert"
                | "--capath"
                | "-E"
                | "--cert"
                | "--key"
        );
        let cookie_file = matches!(prev, "-b" | "--cookie") && !w.contains('=');
        if file_opt
            || cookie_file
            || w.starts_with('@')
            || w.contains("=@")
            || w.starts_with("-T") && w.len() > 2
        {
            return true;
        }
        last = word;
    }
    false
}

/// Runs a command line as the terminal would, its JSON report the answer
/// (`x-authdoctor-exit`: the exit status it would have had).
async fn command(argv: Vec<String>) -> Response {
    let run = tokio::task::spawn_blocking(move || {
        let cli = match Cli::try_parse_from(&argv) {
            Ok(c) => c,
            Err(e) => return Err(authdoctor_secret::scrub(&e.render().to_string()).into_owned()),
        };
        let mut out = Vec::new();
        match crate::run_to(&cli, &mut out) {
            Ok(v) => Ok((v, out)),
            Err(e) => Err(authdoctor_secret::scrub(&e.to_string()).into_owned()),
        }
    })
    .await;
    match run {
        Ok(Ok((verdict, out))) => {
            let code = match verdict {
                crate::cmd::Verdict::Pass => 0,
                crate::cmd::Verdict::Fail => 1,
                crate::cmd::Verdict::Code(c) => c,
            };
            (
                [
                    (header::CONTENT_TYPE, "application/json".to_owned()),
                    (
                        header::HeaderName::from_static("x-authdoctor-exit"),
                        code.to_string(),
                    ),
                ],
                out,
            )
                .into_response()
        }
        Ok(Err(why)) => refuse(StatusCode::BAD_REQUEST, &why),
        Err(_) => refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The check failed inside authdoctor.",
        ),
    }
}

async fn token(State(p): State<Arc<Page>>, h: HeaderMap, body: Bytes) -> Response {
    let (v, t) = match pasted(&p, &h, &body, "token", "token", "Paste a token.") {
        Ok(x) => x,
        Err(r) => return r.into_response(),
    };
    let mut argv: Vec<String> = ["authdoctor", "token", "--json"].map(String::from).to_vec();
    let fields = [
        ("jwks", "--jwks", true),
        ("issuer", "--issuer", true),
        ("audience", "--audience", false),
    ];
    match options(&v, &fields) {
        Ok(o) => argv.extend(o),
        Err(r) => return r.into_response(),
    }
    argv.extend(["--".to_owned(), t]);
    command(argv).await
}

async fn diagnose(State(p): State<Arc<Page>>, h: HeaderMap, body: Bytes) -> Response {
    let (v, line) = match pasted(
        &p,
        &h,
        &body,
        "curl",
        "curl line",
        "Paste a curl command line.",
    ) {
        Ok(x) => x,
        Err(r) => return r.into_response(),
    };
    if reads_local_files(&line) {
        return refuse(
            StatusCode::BAD_REQUEST,
            "This curl line reads local files (@FILE, -T, -b FILE, --cacert …); the page does not. Run it with authdoctor diagnose --curl.",
        );
    }
    let mut argv: Vec<String> = ["authdoctor", "diagnose", "--json"]
        .map(String::from)
        .to_vec();
    argv.push(format!("--curl={line}"));
    let experiment = [
        ("issuer", "--issuer", true),
        ("client_id", "--client-id", false),
        ("client_secret", "--client-secret", false),
    ];
    match options(&v, &experiment) {
        Ok(o) => argv.extend(o),
        Err(r) => return r.into_response(),
    }
    command(argv).await
}

/// The page's optional fields as `--flag=value` (a value is never taken for
/// an option): each must be a URL where `url` says so, and never a file
/// (`@…`).
fn options(v: &Value, fields: &[(&str, &str, bool)]) -> Result<Vec<String>, Refused> {
    let mut out = Vec::new();
    for (field, flag, url) in fields {
        let Some(x) = v[*field].as_str().map(str::trim).filter(|s| !s.is_empty()) else {
            continue;
        };
        let web = x.starts_with("https://") || x.starts_with("http://");
        if x.starts_with('@') || (*url && !web) {
            let what = if *url {
                "a URL (https://…)"
            } else {
                "a value, not a file"
            };
            return Err(Refused(
                StatusCode::BAD_REQUEST,
                format!("The {} is {what}.", field.replace('_', " ")),
            ));
        }
        out.push(format!("{flag}={x}"));
    }
    Ok(out)
}

/// The API takes JSON only: another site's page cannot post it without
/// asking first (a CORS preflight, which this server does not grant).
fn json_type(h: &HeaderMap) -> Result<(), Refused> {
    let ct = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match ct.starts_with("application/json") {
        true => Ok(()),
        false => Err(Refused::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "The API takes JSON.",
        )),
    }
}

/// A HAR file's requests, for the timeline: nothing is sent.
async fn har_timeline(State(p): State<Arc<Page>>, h: HeaderMap, body: Bytes) -> Response {
    if let Err(r) = allowed(&p, &h, None).and_then(|()| json_type(&h)) {
        return r.into_response();
    }
    let text = String::from_utf8_lossy(&body);
    match authdoctor_doctor::har::timeline(&text) {
        Ok(t) => {
            axum::Json(json!({"schema": "authdoctor.har-timeline/1", "entries": t})).into_response()
        }
        Err(e) => refuse(
            StatusCode::BAD_REQUEST,
            &authdoctor_secret::scrub(&e.to_string()),
        ),
    }
}

/// A HAR file's rejected entries, each sent again and diagnosed (as
/// `diagnose --har`); `?entry=N` for one.
async fn har_diagnose(
    State(p): State<Arc<Page>>,
    h: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
    body: Bytes,
) -> Response {
    if let Err(r) = allowed(&p, &h, None).and_then(|()| json_type(&h)) {
        return r.into_response();
    }
    let dir = std::env::temp_dir().join(format!(
        "authdoctor-serve-{}-{}",
        std::process::id(),
        jiff::Timestamp::now().as_nanosecond()
    ));
    if std::fs::create_dir_all(&dir).is_err()
        || std::fs::write(dir.join("session.har"), &body).is_err()
    {
        return refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The HAR file could not be held for the diagnosis.",
        );
    }
    let mut argv: Vec<String> = ["authdoctor", "diagnose", "--json", "--har"]
        .map(String::from)
        .to_vec();
    argv.push(dir.join("session.har").display().to_string());
    if let Some(n) = q.get("entry").and_then(|n| n.parse::<usize>().ok()) {
        argv.extend(["--entry".to_owned(), n.to_string()]);
    }
    let r = command(argv).await;
    let _ = std::fs::remove_dir_all(&dir);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curl_lines_that_read_local_files_are_known() {
        for bad in [
            "curl -d @/etc/passwd https://x",
            "curl -F f=@secret.txt https://x",
            "curl -T file https://x",
            "curl --cacert /tmp/ca.pem https://x",
            "curl -b cookies.txt https://x",
            "curl -K ~/.curlrc https://x",
            // The same with the value joined to its option.
            "curl --upload-file=/etc/passwd https://x",
            "curl --cacert=/tmp/ca.pem https://x",
            "curl --cert=/root/client.pem https://x",
            "curl --key=/root/client.key https://x",
            "curl --cookie=cookies.txt https://x",
            "curl -bcookies.txt https://x",
            "curl -E /root/client.pem https://x",
        ] {
            assert!(reads_local_files(bad), "{bad}");
        }
        for ok in [
            "curl -H 'Authorization: Bearer abc' https://x",
            "curl -b 'session=abc' https://x",
            "curl -d 'a=b' https://x",
        ] {
            assert!(!reads_local_files(ok), "{ok}");
        }
    }
}
