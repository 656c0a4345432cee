//! `authdoctor serve`: its API refuses what would let another site or
//! another machine use it, and the page, in a real headless Chromium
//! (tests/node/serve-e2e.mjs), decodes a lab token, diagnoses a lab curl
//! line and a HAR file, answers bad input on the page, asks nothing of any
//! other host and shows no secret in the clear. Screenshots are kept in
//! the target directory (`serve-*.png`).

#![allow(clippy::unwrap_used)]

mod util;

use std::io::Write;

use serde_json::{Value, json};
use std::io::BufRead;

/// `authdoctor serve --port 0`, killed when dropped.
struct Serve {
    child: std::process::Child,
    url: String,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve() -> Serve {
    serve_with(&[])
}

/// `authdoctor serve --port 0` with more options.
fn serve_with(options: &[&str]) -> Serve {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("authdoctor"))
        .args(["serve", "--port", "0"])
        .args(options)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("authdoctor serve: ")
        .unwrap_or_else(|| panic!("{line}"))
        .to_owned();
    Serve { child, url }
}

/// A request, answered: status, headers, body.
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

fn send(r: reqwest::RequestBuilder) -> Answer {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let r = r.send().await.unwrap();
        Answer {
            status: r.status().as_u16(),
            headers: r.headers().clone(),
            body: r.text().await.unwrap(),
        }
    })
}

#[test]
fn the_api_answers_only_its_own_page_and_reads_no_local_file() {
    let s = serve();
    let c = reqwest::Client::new();
    let post = |path: &str, body: Value, extra: &[(&str, &str)]| {
        let mut r = c
            .post(format!("{}{path}", s.url.trim_end_matches('/')))
            .header("content-type", "application/json")
            .body(body.to_string());
        for (k, v) in extra {
            r = r.header(*k, *v);
        }
        send(r)
    };
    let page = send(c.get(&s.url));
    assert_eq!(page.status, 200);
    let csp = page.headers["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("connect-src 'self'"),
        "{csp}"
    );
    // Another site's page, a rebound DNS name, a form post: refused.
    let token = json!({"token": "eyJhbGciOiJub25lIn0.e30."});
    assert_eq!(
        post(
            "/api/token",
            token.clone(),
            &[("origin", "http://evil.example")]
        )
        .status,
        403
    );
    assert_eq!(
        post("/api/token", token.clone(), &[("host", "evil.example")]).status,
        403
    );
    let form = send(
        c.post(format!("{}api/token", s.url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("token=x"),
    );
    assert_eq!(form.status, 415);
    // What would read a local file: refused, with what to do instead.
    for body in [
        json!({"token": "@/etc/passwd"}),
        json!({"token": "x", "jwks": "/etc/passwd"}),
    ] {
        let r = post("/api/token", body, &[]);
        assert_eq!(r.status, 400);
    }
    for line in [
        "curl -d @/etc/passwd http://127.0.0.1:9/",
        "curl -T /etc/passwd http://127.0.0.1:9/",
        "curl --cacert /etc/ssl/private/key.pem https://127.0.0.1:9/",
    ] {
        let r = post("/api/diagnose", json!({"curl": line}), &[]);
        assert_eq!(r.status, 400, "{line}");
        let v = r.json();
        assert!(v["error"].as_str().unwrap().contains("local files"), "{v}");
    }
    // The token API is the command line's contract.
    let r = post("/api/token", token, &[]);
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["x-authdoctor-exit"], "1");
    let v = r.json();
    assert_eq!(v["schema"], "authdoctor.token/1");
    // A 200 MB HAR posted straight to the API (around the page's own size
    // check): refused by its announced length before it is read, and the
    // server goes on answering.
    let addr = s
        .url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let mut conn = std::net::TcpStream::connect(&addr).unwrap();
    conn.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    write!(
        conn,
        "POST /api/har/timeline HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        200 * 1024 * 1024
    )
    .unwrap();
    let mut answer = Vec::new();
    let _ = std::io::Read::read_to_end(&mut conn, &mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("8 MB at most"), "{answer}");
    assert_eq!(send(c.get(&s.url)).status, 200);
}

#[test]
fn a_bind_beyond_loopback_needs_the_key_in_the_url() {
    let s = serve_with(&["--bind", "0.0.0.0"]);
    let url = s.url.clone();
    let key = url.split("?key=").nth(1).unwrap().to_owned();
    assert_eq!(key.len(), 48);
    let port = url
        .split(':')
        .nth(2)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let c = reqwest::Client::new();
    let host = format!("http://0.0.0.0:{port}");
    // The bound address is what Host must say.
    assert_eq!(send(c.get(format!("{host}/"))).status, 401);
    assert_eq!(send(c.get(&url)).status, 200);
    let api = |k: Option<&str>| {
        let mut r = c
            .post(format!("{host}/api/token"))
            .header("content-type", "application/json")
            .body(json!({"token": "eyJhbGciOiJub25lIn0.e30."}).to_string());
        if let Some(k) = k {
            r = r.header("x-authdoctor-key", k);
        }
        send(r).status
    };
    assert_eq!(api(None), 401);
    assert_eq!(api(Some("0000")), 401);
    assert_eq!(api(Some(&key)), 200);
    // Reached by another name for the machine: the key, not the Host, is
    // what counts beyond loopback.
    let by_name = c
        .get(format!("{host}/?key={key}"))
        .header("host", format!("authdoctor-box.lan:{port}"));
    assert_eq!(send(by_name).status, 200);
    drop(s);
}

#[test]
fn the_page_in_a_real_chromium() {
    let Some(node) = util::chromium_ready() else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (lab, info) = util::lab_on(&rt);
    let dir = std::env::temp_dir().join(format!("authdoctor-serve-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("lab.json"), info.to_string()).unwrap();
    // A session: the API answered once, then refused an expired token.
    let api = info["api"].as_str().unwrap();
    let expired = util::example_token(&info, "token.expired");
    let good = util::example_token(&info, "token.scope_insufficient");
    let entry = |token: &str, status: u16| json!({"startedDateTime": "2026-11-27T03:00:00Z", "request": {"method": "GET", "url": format!("{api}/orders"), "headers": [{"name": "Authorization", "value": format!("Bearer {token}")}]}, "response": {"status": status, "headers": []}});
    // And a sign-in the lab's provider refused (a scope the client may not
    // have), as the browser recorded its redirect back.
    let authorize = format!(
        "{}/authorize?client_id=demo-cli&response_type=code&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb&scope=nope&state=s1",
        info["issuers"]["prod"].as_str().unwrap()
    );
    let location = rt.block_on(async {
        let r = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(&authorize)
            .send()
            .await
            .unwrap();
        r.headers()["location"].to_str().unwrap().to_owned()
    });
    let refused = json!({"startedDateTime": "2026-11-27T03:00:01Z", "request": {"method": "GET", "url": authorize, "headers": []}, "response": {"status": 303, "redirectURL": location, "headers": []}});
    let har = json!({"log": {"version": "1.2", "entries": [entry(&good, 200), entry(&expired, 401), refused]}});
    std::fs::write(dir.join("session.har"), har.to_string()).unwrap();
    std::fs::write(dir.join("junk.har"), b"\x00\x01 this is not a HAR").unwrap();
    // A session recorded by Chromium itself (tests/node/record-har.mjs),
    // and what each entry it made on purpose carried.
    let mut rec = std::process::Command::new("node")
        .arg("record-har.mjs")
        .arg(dir.join("lab.json"))
        .arg(dir.join("recorded.har"))
        .current_dir(&node)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(rec.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let recorded: Value = serde_json::from_str(&line).unwrap();
    let s = serve();
    let shots = env!("CARGO_TARGET_TMPDIR");
    let out = std::process::Command::new("node")
        .arg("serve-e2e.mjs")
        .arg(&s.url)
        .arg(dir.join("lab.json"))
        .arg(dir.join("session.har"))
        .arg(dir.join("junk.har"))
        .arg(shots)
        .arg(dir.join("recorded.har"))
        .current_dir(&node)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
            .chars()
            .take(4000)
            .collect::<String>()
    );
    let seen: Value = serde_json::from_slice(&out.stdout).unwrap();
    let verdict = |k: &str| seen["verdicts"][k].as_str().unwrap_or("").to_owned();
    assert!(verdict("token").contains("token.expired"), "{seen:#}");
    assert_eq!(seen["axis"], 1, "the token's lifetime is drawn");
    assert!(
        verdict("curl").contains("token.audience_mismatch"),
        "{seen:#}"
    );
    assert_eq!(
        (seen["timeline"].as_u64(), seen["rejectedRows"].as_u64()),
        (Some(3), Some(2))
    );
    assert!(verdict("har").contains("token.expired"), "{seen:#}");
    assert!(
        verdict("har").contains("Entry 2: the identity provider refused the sign-in")
            && verdict("har").contains("invalid_scope"),
        "{seen:#}"
    );
    // Each lab example pasted: its cause first; the one that reads a cookie
    // jar (a local file) refused as such.
    for e in info["examples"].as_array().unwrap() {
        let cause = e["cause"].as_str().unwrap();
        let got = seen["examples"][cause].as_str().unwrap_or("");
        if cause == "cookie.rejected" {
            assert!(got.contains("local files"), "{cause}: {got}");
        } else {
            assert_eq!(got, cause, "{seen:#}");
        }
    }
    // The recorded session: each refused entry the page made on purpose is
    // diagnosed on the page with the fault it carried.
    let expect = recorded["expect"].as_object().unwrap();
    assert!(
        expect.values().filter(|v| v.is_string()).count() >= 4,
        "{recorded}"
    );
    for (entry, want) in expect {
        if let Some(cause) = want.as_str() {
            assert_eq!(seen["recorded"][entry], cause, "entry {entry}: {seen:#}");
        }
    }
    assert_eq!(seen["curlAxis"], 1, "the token against the clocks");
    assert!(
        verdict("redirect").contains("header.lost_on_redirect"),
        "{seen:#}"
    );
    assert_eq!(
        (seen["chain"].as_u64(), seen["marked"].as_u64()),
        (Some(2), Some(1)),
        "{seen:#}"
    );
    assert_eq!(seen["overflow"], false, "wider than a phone's screen");
    assert!(
        seen["hugeHar"].as_str().unwrap().contains("8 MB"),
        "{seen:#}"
    );
    assert_eq!(
        (&seen["hiddenByDefault"], &seen["shown"]),
        (&json!(true), &json!(true))
    );
    assert_eq!(seen["secretHidden"], "password");
    assert!(
        seen["experiment"]
            .as_str()
            .unwrap()
            .contains("confirms token.expired"),
        "{seen:#}"
    );
    let changes = seen["changes"].as_array().unwrap();
    assert!(
        changes
            .iter()
            .any(|r| r.as_str().unwrap().starts_with("exp")),
        "{seen:#}"
    );
    assert_eq!(
        seen["secretInResult"], false,
        "the client secret in the result"
    );
    assert!(
        seen["junk"].as_str().unwrap().contains("not JSON"),
        "{seen:#}"
    );
    assert!(!seen["huge"].as_str().unwrap_or("").is_empty());
    assert_eq!(seen["keyboard"], "true");
    assert_eq!(seen["leaked"], 0, "a secret in the clear in the page");
    assert_eq!(seen["foreign"], json!([]), "the page asked another host");
    assert_eq!(seen["errors"], json!([]), "{seen:#}");
    assert!(std::path::Path::new(shots).join("serve-har.png").exists());
    // The server is still up after the bad input.
    assert_eq!(send(reqwest::Client::new().get(&s.url)).status, 200);
    drop(rec.stdin.take());
    let _ = rec.wait();
    rt.block_on(lab.shutdown());
    let _ = std::fs::remove_dir_all(&dir);
}
