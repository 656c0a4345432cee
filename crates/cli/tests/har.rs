//! `authdoctor diagnose --har`: a browser's export, every rejected entry
//! sent again and diagnosed, against the lab.

#![allow(clippy::unwrap_used)]

mod util;

use serde_json::{Value, json};
use std::time::Duration;
use util::{authdoctor, example, start_lab};

fn header_pairs(curl_line: &str) -> (String, Vec<Value>) {
    let words = shlex::split(curl_line).unwrap();
    let mut headers = Vec::new();
    let mut method = "GET".to_owned();
    let mut i = 1;
    while i < words.len() {
        match words[i].as_str() {
            "-H" => {
                let (n, v) = words[i + 1].split_once(": ").unwrap();
                headers.push(json!({"name": n, "value": v}));
                i += 1;
            }
            "-X" => {
                method = words[i + 1].clone();
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    (method, headers)
}

/// `authdoctor diagnose --json --har` on `path`: its output, and the
/// report it printed.
fn har_report(path: &std::path::Path) -> (std::process::Output, Value) {
    let out = authdoctor()
        .args(["diagnose", "--json", "--har"])
        .arg(path)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    (out, v)
}

fn har_entry(curl_line: &str, status: i64) -> Value {
    let url = curl_line.rsplit(' ').next().unwrap();
    let (method, mut headers) = header_pairs(curl_line);
    headers.push(json!({"name": ":authority", "value": "ignored"}));
    json!({"request": {"method": method, "url": url, "headers": headers}, "response": {"status": status, "headers": []}})
}

#[test]
fn every_rejected_entry_is_diagnosed() {
    let lab = start_lab();
    let info = &lab.info;
    let ok = json!({"request": {"method": "GET", "url": format!("{}/.well-known/oauth-protected-resource", info["api"].as_str().unwrap()), "headers": []}, "response": {"status": 200}});
    let har = json!({"log": {"version": "1.2", "entries": [
        ok,
        har_entry(&example(info, "token.expired"), 401),
        har_entry(&example(info, "cors.blocked"), 0),
        har_entry(&example(info, "token.audience_mismatch"), 401),
    ]}});
    let dir = std::env::temp_dir().join(format!("authdoctor-har-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("session.har");
    std::fs::write(&path, har.to_string()).unwrap();
    let out = authdoctor()
        .args(["diagnose", "--json", "--har"])
        .arg(&path)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let v = util::json_out(&out, 1);
    assert_eq!(v["schema"], "authdoctor.har/1");
    let entries = v["entries"].as_array().unwrap();
    let got: Vec<(u64, &str)> = entries
        .iter()
        .map(|e| {
            (
                e["entry"].as_u64().unwrap(),
                e["diagnosis"]["causes"][0]["id"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (1, "token.expired"),
            (2, "cors.blocked"),
            (3, "token.audience_mismatch")
        ]
    );
    // The tokens in the HAR never come out.
    let text = String::from_utf8(out.stdout).unwrap();
    for e in har["log"]["entries"].as_array().unwrap() {
        for h in e["request"]["headers"].as_array().unwrap() {
            if h["name"] == "Authorization" {
                let token = h["value"].as_str().unwrap().trim_start_matches("Bearer ");
                assert!(!text.contains(token));
            }
        }
    }
    // One entry only.
    let out = authdoctor()
        .args(["diagnose", "--json", "--har"])
        .arg(&path)
        .args(["--entry", "2"])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["entries"].as_array().unwrap().len(), 1);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_har_that_is_not_json_is_one_line() {
    let dir = std::env::temp_dir().join(format!("authdoctor-badhar-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("x.har");
    std::fs::write(&path, "<html>not a har</html>").unwrap();
    let out = authdoctor()
        .args(["diagnose", "--har"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("authdoctor: The HAR file is not JSON"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1);
    std::fs::remove_dir_all(dir).unwrap();
}

/// A real browser session: headless Chromium (Debian's, driven by
/// playwright-core) runs a single-page app against the lab and records the
/// HAR (tests/node/record-har.mjs). Each entry the page made on purpose is
/// diagnosed with the fault it carried, and the successful one with none.
#[test]
fn a_real_chromium_session_is_diagnosed_entry_by_entry() {
    use std::io::BufRead;
    let Some(node) = util::chromium_ready() else {
        return;
    };
    let lab = start_lab();
    let dir = std::env::temp_dir().join(format!("authdoctor-chromium-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let lab_json = dir.join("lab.json");
    std::fs::write(&lab_json, lab.info.to_string()).unwrap();
    let har = dir.join("session.har");
    let mut rec = std::process::Command::new("node")
        .arg("record-har.mjs")
        .arg(&lab_json)
        .arg(&har)
        .current_dir(&node)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = rec.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = std::io::BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(90))
        .expect("the browser session is recorded");
    let rec_out: Value = serde_json::from_str(&line).unwrap();
    let expect = rec_out["expect"].as_object().unwrap().clone();
    assert!(expect.len() >= 5, "{rec_out}");
    let (out, v) = har_report(&har);
    let diagnosed = diagnosed_by_entry(&v);
    for (entry, want) in &expect {
        match want.as_str() {
            Some(cause) => {
                let d = diagnosed
                    .get(entry)
                    .unwrap_or_else(|| panic!("entry {entry} was not diagnosed: {v:#}"));
                assert_eq!(d["causes"][0]["id"], cause, "entry {entry}: {d:#}");
            }
            None => {
                // A successful entry: not among the rejected ones, and when
                // asked for alone, nothing to diagnose.
                assert!(!diagnosed.contains_key(entry));
                let one = authdoctor()
                    .args(["diagnose", "--json", "--har"])
                    .arg(&har)
                    .args(["--entry", entry])
                    .timeout(Duration::from_secs(60))
                    .output()
                    .unwrap();
                assert_eq!(
                    one.status.code(),
                    Some(0),
                    "{}",
                    String::from_utf8_lossy(&one.stdout)
                );
            }
        }
    }
    // The access token the page asked for without the API's audience: the
    // session shows that neither its authorization request nor its token
    // request named one.
    let asked_none = expect
        .iter()
        .filter(|(_, w)| *w == "token.audience_mismatch")
        .map(|(entry, _)| diagnosed[entry]["causes"][0]["evidence"].to_string())
        .collect::<Vec<_>>();
    assert_eq!(asked_none.len(), 1, "{v:#}");
    assert!(
        asked_none[0].contains("grant_type=authorization_code")
            && asked_none[0]
                .contains("named no `audience` or `resource`, nor did its authorization request"),
        "{}",
        asked_none[0]
    );
    // No token of the session appears in clear, the ones the page got
    // from the token endpoint included.
    let har_text = std::fs::read_to_string(&har).unwrap();
    let all: Value = serde_json::from_str(&har_text).unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    for e in all["log"]["entries"].as_array().unwrap() {
        if let Some(t) = e["response"]["content"]["text"].as_str() {
            if let Ok(j) = serde_json::from_str::<Value>(t) {
                for k in ["access_token", "refresh_token", "id_token"] {
                    if let Some(tok) = j[k].as_str() {
                        assert!(!stdout.contains(tok), "{k} in clear");
                    }
                }
            }
        }
    }
    // The same session as Chrome's DevTools export it by default
    // (sanitized: every Authorization, Cookie and Set-Cookie header
    // removed, names and all): no entry the server refused with a token's
    // error is taken for a request without credentials; each is diagnosed
    // from the answer the browser recorded, by the server's words (the
    // expired token to the cause the full export gives; the refresh token
    // sent as an access token only as the server's "malformed", as the
    // token itself is gone).
    let mut sanitized = all.clone();
    sanitized["log"]["creator"] = json!({"name": "WebInspector", "version": "537.36"});
    for e in sanitized["log"]["entries"].as_array_mut().unwrap() {
        for (side, names) in [
            ("request", &["authorization", "cookie"][..]),
            ("response", &["set-cookie"][..]),
        ] {
            if let Some(hs) = e[side]["headers"].as_array_mut() {
                hs.retain(|h| {
                    let n = h["name"].as_str().unwrap().to_ascii_lowercase();
                    !names.contains(&n.as_str())
                });
            }
        }
    }
    let sanitized_path = dir.join("sanitized.har");
    std::fs::write(&sanitized_path, sanitized.to_string()).unwrap();
    let (_, v) = har_report(&sanitized_path);
    let (mut read_as_sanitized, mut as_full) = (0, 0);
    for e in v["entries"].as_array().unwrap() {
        let entry = e["entry"].to_string();
        let d = &e["diagnosis"];
        let notes = d["observations"]["notes"].to_string();
        if !notes.contains("the HAR export removed the request's credentials") {
            continue;
        }
        read_as_sanitized += 1;
        assert_ne!(
            d["causes"][0]["id"], "credentials.missing",
            "entry {entry}: {d:#}"
        );
        if let Some(want) = expect.get(&entry).and_then(Value::as_str) {
            as_full += usize::from(d["causes"][0]["id"] == want);
        }
    }
    assert!(read_as_sanitized >= 2 && as_full >= 1, "{v:#}");

    // The app's origin gone (the recorder stops its gateway), as for a HAR
    // sent from another network: each entry the server answered is
    // diagnosed from the answer the browser recorded, to the same cause,
    // and says so. One the browser blocked has no answer to read: sent to
    // a server still up (the lab, after the cross-origin redirect), it is
    // sent again; else its entry says why, and the others are still
    // diagnosed.
    drop(rec.stdin.take());
    let _ = rec.wait();
    let (out, v) = har_report(&har);
    let mut from_recording = 0;
    for e in v["entries"].as_array().unwrap() {
        let entry = e["entry"].to_string();
        if e["browser_status"].as_i64().unwrap() < 100 {
            assert!(
                e["error"].as_str().is_some() || e["diagnosis"]["causes"].is_array(),
                "entry {entry}: {e:#}"
            );
            continue;
        }
        let d = &e["diagnosis"];
        if let Some(want) = expect.get(&entry).and_then(Value::as_str) {
            assert_eq!(d["causes"][0]["id"], want, "entry {entry}: {d:#}");
        }
        let notes = d["observations"]["notes"].to_string();
        assert!(
            notes.contains("the answer the browser recorded"),
            "entry {entry}: {d:#}"
        );
        from_recording += 1;
    }
    assert!(from_recording >= 3, "{v:#}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    for t in header_values(&all, "request", "authorization") {
        assert!(!stdout.contains(&t[7..]), "a token in clear");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A browser session recorded by a tests/node recorder (`script` with
/// `args`, in `node`): the JSON line it prints last (the HAR's path, the
/// page's log, and what each entry made on purpose should be diagnosed
/// with).
fn recorded_session(node: &std::path::Path, script: &str, args: &[&std::ffi::OsStr]) -> Value {
    let rec = assert_cmd::Command::new("node")
        .arg(script)
        .args(args)
        .current_dir(node)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    assert!(rec.status.success(), "{script}: {rec:?}");
    let out = String::from_utf8_lossy(&rec.stdout);
    let line = out.lines().last().unwrap_or_default();
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{script} printed {line:?}: {e}"))
}

/// A HAR report's diagnoses, by entry (its number as text, as the
/// recorders' expectations name it).
fn diagnosed_by_entry(v: &Value) -> std::collections::BTreeMap<String, Value> {
    v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["entry"].to_string(), e["diagnosis"].clone()))
        .collect()
}

/// The values of every `name` header on the `side` (`request`,
/// `response`) of a HAR's entries.
fn header_values(har: &Value, side: &str, name: &str) -> Vec<String> {
    har["log"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e[side]["headers"].as_array().unwrap())
        .filter(|h| h["name"].as_str().unwrap().eq_ignore_ascii_case(name))
        .map(|h| h["value"].as_str().unwrap().to_owned())
        .collect()
}

/// The lab's answer to a request, as a HAR records it: status, headers
/// and body text.
fn answer_of(curl_line: &str) -> (u16, Vec<Value>, String) {
    let url = curl_line.rsplit(' ').next().unwrap().to_owned();
    let (method, headers) = header_pairs(curl_line);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut req = reqwest::Client::new().request(method.parse().unwrap(), &url);
        for h in &headers {
            req = req.header(h["name"].as_str().unwrap(), h["value"].as_str().unwrap());
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let hs = r
            .headers()
            .iter()
            .map(|(n, v)| json!({"name": n.as_str(), "value": v.to_str().unwrap()}))
            .collect();
        (status, hs, r.text().await.unwrap())
    })
}

/// The time a token names in claim `claim`.
fn claim_time(token: &str, claim: &str) -> i64 {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    let v: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    v[claim].as_i64().unwrap()
}

/// A HAR read where sending its requests again would not show what the
/// browser saw. Its server out of reach (a HAR from another network): the
/// entry the server answered is diagnosed from the answer recorded (the
/// lab's own, for a token of another audience), one with no answer says
/// why, and the run goes on. Its token expired since (the browser sent a
/// read-only token to a write route while it was valid; it has expired
/// since): the recorded answer is read, not the server's word now that
/// the token expired.
#[test]
fn a_har_is_read_from_its_recording_where_a_replay_cannot_show_what_the_browser_saw() {
    let lab = start_lab();
    let info = &lab.info;
    let gone = format!("127.0.0.1:{}", util::free_port());
    let aud = example(info, "token.audience_mismatch");
    let (status, headers, text) = answer_of(&aud);
    assert_eq!(status, 401);
    let lab_api = info["api"].as_str().unwrap();
    let moved = aud.replace(lab_api, &format!("http://{gone}"));
    let (method, req_headers) = header_pairs(&moved);
    let url = moved.rsplit(' ').next().unwrap();
    let recorded = json!({"startedDateTime": jiff::Timestamp::now().to_string(),
        "request": {"method": method, "url": url, "headers": req_headers},
        "response": {"status": status, "headers": headers, "content": {"mimeType": "application/json", "text": text}}});
    let mut blocked = har_entry(&moved, 0);
    blocked["request"]["url"] = json!(format!("http://{gone}/orders/blocked"));
    let har = json!({"log": {"version": "1.2", "entries": [recorded, blocked]}});
    let dir = std::env::temp_dir().join(format!("authdoctor-har-rec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("gone.har");
    std::fs::write(&path, har.to_string()).unwrap();
    let (out, v) = har_report(&path);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let d = &v["entries"][0]["diagnosis"];
    assert_eq!(d["causes"][0]["id"], "token.audience_mismatch", "{d:#}");
    assert!(
        d["observations"]["notes"]
            .to_string()
            .contains("could not be reached from here"),
        "{d:#}"
    );
    assert_eq!(v["entries"][1]["entry"], 1, "{v:#}");
    assert!(v["entries"][1]["error"].is_string(), "{v:#}");
    // The blocked entry alone: nothing to read, one line, exit 2.
    let one = authdoctor()
        .args(["diagnose", "--har"])
        .arg(&path)
        .args(["--entry", "1"])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(one.status.code(), Some(2), "{one:?}");
    assert_eq!(String::from_utf8_lossy(&one.stderr).lines().count(), 1);

    // A read-only token sent to the write route while it was valid: the
    // answer the lab gives a valid read-only token there, recorded two
    // minutes before the token's expiry, with the Date of then.
    let expired = example(info, "token.expired");
    let token = expired
        .split("Bearer ")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let then = claim_time(token, "exp") - 120;
    let scope = example(info, "token.scope_insufficient");
    let (status, mut headers, text) = answer_of(&scope);
    assert_eq!(status, 403);
    let then_ts = jiff::Timestamp::from_second(then).unwrap();
    let date = jiff::fmt::rfc2822::DateTimePrinter::new()
        .timestamp_to_rfc9110_string(&then_ts)
        .unwrap();
    headers.retain(|h| !h["name"].as_str().unwrap().eq_ignore_ascii_case("date"));
    headers.push(json!({"name": "Date", "value": date}));
    let (method, _) = header_pairs(&scope);
    let url = scope.rsplit(' ').next().unwrap();
    let entry = json!({"startedDateTime": then_ts.to_string(),
        "request": {"method": method, "url": url, "headers": [{"name": "Authorization", "value": format!("Bearer {token}")}]},
        "response": {"status": status, "headers": headers, "content": {"mimeType": "application/json", "text": text}}});
    let path = dir.join("since.har");
    std::fs::write(
        &path,
        json!({"log": {"version": "1.2", "entries": [entry]}}).to_string(),
    )
    .unwrap();
    let (out, v) = har_report(&path);
    let d = &v["entries"][0]["diagnosis"];
    assert_eq!(d["causes"][0]["id"], "token.scope_insufficient", "{d:#}");
    assert!(
        d["observations"]["notes"]
            .to_string()
            .contains("after the browser sent the request"),
        "{d:#}"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains(&token[20..60]));
    let _ = std::fs::remove_dir_all(&dir);
}

/// An entry diagnosed from its recording, out of reach: no secret the
/// browser sent or was sent (its token, cookie and query key, the answer's
/// Set-Cookie, a token in its Location, a refresh token and a password in
/// its body) reaches the report, in any format.
#[test]
fn a_recorded_answer_shows_no_secret_in_any_format() {
    let gone = format!("http://127.0.0.1:{}", util::free_port());
    let secrets = [
        "QUERYSECRET98765",
        "opaque-token-SECRET-0123456789abcdef",
        "REQCOOKIESECRET4242",
        "SETCOOKIESECRET777",
        "LOCSECRET31337",
        "rt-BODYSECRET-555666",
        "PWSECRET000",
    ];
    let har = json!({"log": {"version": "1.2", "creator": {"name": "WebInspector"}, "entries": [{
        "startedDateTime": "2026-11-27T22:00:00.000Z",
        "request": {"method": "GET", "url": format!("{gone}/api/orders?api_key={}", secrets[0]),
            "headers": [
                {"name": "Authorization", "value": format!("Bearer {}", secrets[1])},
                {"name": "Cookie", "value": format!("sid={}", secrets[2])}]},
        "response": {"status": 401, "headers": [
                {"name": "Set-Cookie", "value": format!("sid={}; HttpOnly", secrets[3])},
                {"name": "WWW-Authenticate", "value": "Bearer error=\"invalid_token\""},
                {"name": "Location", "value": format!("/login?token={}", secrets[4])}],
            "content": {"mimeType": "application/json",
                "text": json!({"error": "invalid_token", "refresh_token": secrets[5], "password": secrets[6]}).to_string()}}}]}});
    let dir = std::env::temp_dir().join(format!("authdoctor-har-secrets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("secrets.har");
    std::fs::write(&path, har.to_string()).unwrap();
    for format in ["human", "json", "markdown"] {
        let out = authdoctor()
            .args(["diagnose", "--format", format, "--har"])
            .arg(&path)
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        // An opaque token no one here can judge: undetermined (3).
        assert_eq!(out.status.code(), Some(3), "{format}: {out:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("the answer the browser recorded"),
            "{format}: {text}"
        );
        for s in secrets {
            assert!(!text.contains(s), "{format}: {s} in clear: {text}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A session whose sign-ins a real identity provider (the npm
/// oidc-provider, tests/node/idp.mjs) refused, recorded as a browser
/// records them: silent renewal (prompt=none) redirected back with
/// login_required; its own error pages for a redirect_uri it does not know
/// and for a client it does not know. Each is said in its entry's place,
/// read from the recording (nothing is sent), with its cause where one
/// fits; a sign-in that succeeded is not among them.
#[test]
fn sign_ins_a_real_identity_provider_refused_are_said_in_their_place() {
    let Some((_idp, port)) = util::node_server("idp.mjs", "oidc-provider") else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let authorize = |client_id: &str, redirect: &str, prompt: &str| {
        format!(
            "http://127.0.0.1:{port}/auth?client_id={client_id}&response_type=code&redirect_uri={}&scope=openid&state=s1{prompt}",
            url_escape(redirect)
        )
    };
    let recorded = |url: String| {
        rt.block_on(async {
            let r = client.get(&url).send().await.unwrap();
            let status = r.status().as_u16();
            let location = r
                .headers()
                .get("location")
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default();
            let headers: Vec<Value> = r
                .headers()
                .iter()
                .map(|(n, v)| json!({"name": n.as_str(), "value": v.to_str().unwrap()}))
                .collect();
            let text = r.text().await.unwrap();
            json!({"_resourceType": "document", "request": {"method": "GET", "url": url, "headers": []},
                   "response": {"status": status, "headers": headers, "redirectURL": location,
                                "content": {"mimeType": "text/html", "text": text}}})
        })
    };
    let app = "https://app.example.test/cb";
    let entries = vec![
        recorded(authorize("logs-cli", app, "&prompt=none")),
        recorded(authorize("logs-cli", "https://evil.example.test/cb", "")),
        recorded(authorize("nobody", app, "")),
        // Sent to the provider's sign-in page: no refusal.
        recorded(authorize("logs-cli", app, "")),
    ];
    assert_eq!(entries[0]["response"]["status"], 303);
    assert_eq!(entries[1]["response"]["status"], 400);
    let dir = std::env::temp_dir().join(format!("authdoctor-har-signin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("session.har");
    std::fs::write(&path, json!({"log": {"entries": entries}}).to_string()).unwrap();

    let (out, v) = har_report(&path);
    let refusals = v["sign_in_refusals"].as_array().unwrap();
    let said: Vec<(u64, &str, Option<&str>)> = refusals
        .iter()
        .map(|r| {
            (
                r["entry"].as_u64().unwrap(),
                r["error"].as_str().unwrap(),
                r["cause"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        said,
        [
            (0, "login_required", Some("cookie.rejected")),
            (1, "redirect_uri mismatch", None),
            (2, "invalid_client", Some("client.invalid")),
        ],
        "{v:#}"
    );
    assert_eq!(
        refusals[0]["error_description"],
        "End-User authentication is required"
    );
    assert_eq!(
        refusals[1]["error_description"],
        "the redirect_uri sent: https://evil.example.test/cb"
    );
    // An undetermined one among them: exit 3.
    assert_eq!(out.status.code(), Some(3));

    let human = authdoctor()
        .args(["diagnose", "--har"])
        .arg(&path)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.contains("── entry 0: the identity provider refused the sign-in")
            && text.contains(
                "✗ login_required (\"End-User authentication is required\")  [cookie.rejected]"
            )
            && text.contains("third-party cookies")
            && text.contains("── entry 1:")
            && !text.contains("── entry 3"),
        "{text}"
    );
    assert!(!text.contains("nothing to diagnose"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `s` escaped for a query value.
fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A HAR whose page fetched its issuer's discovery document and key set
/// (as OpenID Connect client libraries do), then called an API that says
/// only that the token could not be validated (Debian's Apache with
/// mod_auth_openidc as an OAuth 2.0 resource server, the lab's prod keys
/// its certificates), read after the API and the identity provider are
/// both gone: the key set the browser recorded says whose key is not
/// published (token.unknown_key) and whose signature fails with the key
/// published (token.signature_invalid), and the report says where its keys
/// came from. The lab's API, whose RFC 9728 metadata the page fetched too
/// (as an MCP client does), refused a token for another audience: the
/// audience it expects is read from that metadata, so the token's own
/// check says so (high). A staging token the module refused, its keys out
/// of reach, is a token from another issuer than the one the page signs
/// in at (medium). The same HAR without those entries names none of them,
/// and takes no audience from metadata: the recorded documents are the
/// witnesses.
#[test]
fn a_hars_recorded_discovery_and_keys_speak_where_the_issuer_is_gone() {
    if !util::mod_auth_openidc_installed() {
        return;
    }
    let lab = start_lab();
    let prod = lab.info["issuers"]["prod"].as_str().unwrap().to_owned();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let jwks = util::jwks_of(&rt, &prod);
    drop(rt);
    let apache = util::oauth20_apache(&jwks, "har", None);
    let now = jiff::Timestamp::now().to_string();
    let recorded = |curl_line: &str| {
        let url = curl_line.rsplit(' ').next().unwrap().to_owned();
        let (method, req_headers) = header_pairs(curl_line);
        let (status, headers, text) = answer_of(curl_line);
        json!({"startedDateTime": now,
            "request": {"method": method, "url": url, "headers": req_headers},
            "response": {"status": status, "headers": headers, "content": {"mimeType": "application/json", "text": text}}})
    };
    let discovery = recorded(&format!("curl -i {prod}/.well-known/openid-configuration"));
    let disc: Value =
        serde_json::from_str(discovery["response"]["content"]["text"].as_str().unwrap()).unwrap();
    let keys = recorded(&format!("curl -i {}", disc["jwks_uri"].as_str().unwrap()));
    let api = format!("http://127.0.0.1:{}/api/orders", apache.port);
    let mut entries = vec![discovery, keys];
    let causes = ["token.unknown_key", "token.signature_invalid"];
    for cause in causes {
        let token = util::example_token(&lab.info, cause);
        let e = recorded(&format!(
            "curl -i -H \"Authorization: Bearer {token}\" {api}"
        ));
        assert_eq!(e["response"]["status"], 401, "{e:#}");
        assert!(
            !e["response"]["headers"].to_string().contains("key"),
            "the module names no key: {e:#}"
        );
        entries.push(e);
    }
    let lab_api = lab.info["api"].as_str().unwrap();
    entries.push(recorded(&format!(
        "curl -i {lab_api}/.well-known/oauth-protected-resource/orders"
    )));
    let aud = recorded(&example(&lab.info, "token.audience_mismatch"));
    assert_eq!(aud["response"]["status"], 401, "{aud:#}");
    entries.push(aud);
    // A staging token (kept from another environment) at the module: the
    // page signed in at prod (its discovery document above).
    let staging = util::example_token(&lab.info, "token.issuer_mismatch");
    let e = recorded(&format!(
        "curl -i -H \"Authorization: Bearer {staging}\" {api}"
    ));
    assert_eq!(e["response"]["status"], 401, "{e:#}");
    entries.push(e);
    drop(apache);
    drop(lab);
    let dir = std::env::temp_dir().join(format!("authdoctor-har-docs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("session.har");
    let write = |entries: &[Value]| {
        std::fs::write(
            &path,
            json!({"log": {"version": "1.2", "entries": entries}}).to_string(),
        )
        .unwrap();
    };
    write(&entries);
    let (_, v) = har_report(&path);
    for (i, cause) in causes.iter().enumerate() {
        let e = &v["entries"][i];
        assert_eq!(e["entry"], i + 2, "{v:#}");
        let d = &e["diagnosis"];
        assert_eq!(d["causes"][0]["id"], *cause, "{d:#}");
        assert_eq!(d["causes"][0]["likelihood"], "high", "{d:#}");
        let notes = d["observations"]["notes"].to_string();
        assert!(
            notes.contains("discovery document and key set read as the browser recorded them (HAR entries 0, 1)"),
            "{d:#}"
        );
    }
    let d = &v["entries"][2]["diagnosis"];
    assert_eq!(v["entries"][2]["entry"], 5, "{v:#}");
    assert_eq!(d["causes"][0]["id"], "token.audience_mismatch", "{d:#}");
    assert_eq!(d["causes"][0]["likelihood"], "high", "{d:#}");
    let metadata_said = |d: &Value| {
        d["causes"][0]["evidence"]
            .to_string()
            .contains("from the resource's RFC 9728 metadata")
    };
    assert!(metadata_said(d), "{d:#}");
    assert!(
        d["observations"]["notes"]
            .to_string()
            .contains("the resource's metadata and the issuer's discovery document and key set read as the browser recorded them (HAR entries 4, 0, 1)"),
        "{d:#}"
    );
    let d = &v["entries"][3]["diagnosis"];
    assert_eq!(v["entries"][3]["entry"], 6, "{v:#}");
    assert_eq!(
        (&d["causes"][0]["id"], &d["causes"][0]["likelihood"]),
        (&json!("token.issuer_mismatch"), &json!("medium")),
        "{d:#}"
    );
    assert!(
        d["causes"][0]["evidence"]
            .to_string()
            .contains("the page signs in at"),
        "{d:#}"
    );
    let without: Vec<Value> = entries
        .iter()
        .enumerate()
        .filter(|(i, _)| ![0, 1, 4].contains(i))
        .map(|(_, e)| e.clone())
        .collect();
    write(&without);
    let (_, v) = har_report(&path);
    for (i, cause) in causes.iter().enumerate() {
        let d = &v["entries"][i]["diagnosis"];
        assert_ne!(d["causes"][0]["id"], *cause, "{d:#}");
        assert!(
            !d["observations"]["notes"]
                .to_string()
                .contains("as the browser recorded them")
        );
    }
    assert!(!metadata_said(&v["entries"][2]["diagnosis"]), "{v:#}");
    assert_ne!(
        v["entries"][3]["diagnosis"]["causes"][0]["id"], "token.issuer_mismatch",
        "{v:#}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A real browser session with a session cookie: headless Chromium
/// (tests/node/record-cookies.mjs) signs in to a Flask API behind Flask's
/// own session cookie (tests/python/cookie_api.py: `HttpOnly`, no
/// SameSite; a 401 that says only "not signed in"), from a page of another
/// origin. Its sign-in with a wrong password is credentials.invalid (the
/// password in the form's body is a credential, not none). Its call that
/// did not ask to send cookies to another origin,
/// and its call to the API by another site's name (whose answer's cookie
/// the browser refused), are each cookie.rejected, with why and the fix;
/// the call that sent the cookie is not diagnosed. The same HAR with the
/// sign-ins' Set-Cookie removed (the cookie nowhere in the session) reads
/// as a request without credentials: the recorded Set-Cookie is the
/// witness. No cookie value reaches the report.
#[test]
fn a_session_cookie_the_browser_did_not_send_is_named_with_why() {
    use std::io::BufRead;
    let Some(node) = util::chromium_ready() else {
        return;
    };
    let python = node.join("../python");
    let py = python.join(".venv/bin/python");
    if !util::installed("tests/python/.venv (Flask)", py.exists()) {
        return;
    }
    let mut api = std::process::Command::new(&py)
        .arg("cookie_api.py")
        .current_dir(&python)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut port = String::new();
    std::io::BufReader::new(api.stdout.take().unwrap())
        .read_line(&mut port)
        .unwrap();
    let _api = util::Running(api);
    let dir = std::env::temp_dir().join(format!("authdoctor-har-cookie-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let har = dir.join("session.har");
    let rec_out = recorded_session(
        &node,
        "record-cookies.mjs",
        &[port.trim().as_ref(), har.as_os_str()],
    );
    let expect = rec_out["expect"].as_object().unwrap().clone();
    assert_eq!(expect.len(), 4, "{rec_out}");
    let (out, v) = har_report(&har);
    let diagnosed = diagnosed_by_entry(&v);
    let mut whys = Vec::new();
    for (entry, want) in &expect {
        let Some(cause) = want.as_str() else {
            assert!(!diagnosed.contains_key(entry), "{v:#}");
            continue;
        };
        let d = &diagnosed[entry];
        assert_eq!(d["causes"][0]["id"], cause, "entry {entry}: {d:#}");
        assert_eq!(d["causes"][0]["likelihood"], "high", "entry {entry}: {d:#}");
        if cause != "credentials.invalid" {
            whys.push(d["causes"][0].to_string());
        }
    }
    assert!(
        whys[0].contains("without asking to send cookies")
            && whys[0].contains("credentials: 'include'")
            && whys[0].contains("Access-Control-Allow-Credentials: true"),
        "{}",
        whys[0]
    );
    assert!(
        whys[1].contains("the browser refused it: no SameSite")
            && whys[1].contains("SameSite=None; Secure"),
        "{}",
        whys[1]
    );
    // No cookie value in the report.
    let all: Value = serde_json::from_str(&std::fs::read_to_string(&har).unwrap()).unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let set = header_values(&all, "response", "set-cookie");
    for v in &set {
        let value = v.split(';').next().unwrap().split_once('=').unwrap().1;
        assert!(!stdout.contains(value), "a cookie's value in clear");
    }
    assert!(set.len() >= 2, "the session's cookies were set: {all:#}");

    // The sign-ins' Set-Cookie removed: no cookie anywhere in the session.
    let mut unset = all.clone();
    for e in unset["log"]["entries"].as_array_mut().unwrap() {
        e["response"]["headers"]
            .as_array_mut()
            .unwrap()
            .retain(|h| {
                !h["name"]
                    .as_str()
                    .unwrap()
                    .eq_ignore_ascii_case("set-cookie")
            });
    }
    let path = dir.join("unset.har");
    std::fs::write(&path, unset.to_string()).unwrap();
    let (_, v) = har_report(&path);
    for e in v["entries"].as_array().unwrap() {
        let d = &e["diagnosis"];
        let want = match expect[&e["entry"].to_string()].as_str() {
            Some("credentials.invalid") => "credentials.invalid",
            _ => "credentials.missing",
        };
        assert_eq!(d["causes"][0]["id"], want, "{d:#}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A browser session tests/node/record-spa.mjs records (`mode`: none, the
/// page never names the API; `resource`, `refresh`, `stale`), in a folder
/// of its own: the HAR, what the recorder printed, the HAR read, and the
/// one call to the API it expects diagnosed (its entry, its cause).
struct SpaSession {
    dir: std::path::PathBuf,
    har: std::path::PathBuf,
    rec: Value,
    all: Value,
    entry: String,
    want: Value,
}

fn spa_session(node: &std::path::Path, mode: Option<&str>) -> SpaSession {
    let dir = std::env::temp_dir().join(format!(
        "authdoctor-har-spa-{}-{}",
        mode.unwrap_or("plain"),
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let har = dir.join("session.har");
    let mut args = vec![har.as_os_str()];
    if let Some(m) = mode {
        args.push(m.as_ref());
    }
    let rec = recorded_session(node, "record-spa.mjs", &args);
    let expect = rec["expect"].as_object().unwrap().clone();
    assert_eq!(expect.len(), 1, "{rec}");
    let (entry, want) = expect.into_iter().next().unwrap();
    let all = serde_json::from_str(&std::fs::read_to_string(&har).unwrap()).unwrap();
    SpaSession {
        dir,
        har,
        rec,
        all,
        entry,
        want,
    }
}

impl SpaSession {
    /// Asserts the page logged each of `words`.
    fn logged(&self, words: &[&str]) {
        let log = self.rec["log"].as_str().unwrap();
        for w in words {
            assert!(log.contains(w), "the page did not log {w:?}: {}", self.rec);
        }
    }

    /// The HAR diagnosed: the command's output, its report, and the
    /// expected call's diagnosis, whose first cause is asserted.
    fn diagnosed(&self) -> (std::process::Output, Value, Value) {
        let (out, v) = har_report(&self.har);
        let d = diagnosed_by_entry(&v)
            .remove(&self.entry)
            .unwrap_or_else(|| panic!("entry {} not diagnosed: {v:#}", self.entry));
        assert_eq!(d["causes"][0]["id"], self.want, "{d:#}");
        (out, v, d)
    }
}

/// The HAR entry of the session's token request of `grant` answered
/// `status`.
fn token_request_entry(all: &Value, grant: &str, status: u16) -> usize {
    all["log"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .position(|e| {
            e["request"]["postData"]["text"]
                .as_str()
                .is_some_and(|t| t.contains(&format!("grant_type={grant}")))
                && e["response"]["status"] == status
        })
        .unwrap_or_else(|| panic!("no {grant} request answered {status} in the recording"))
}

/// A real single-page app's session: headless Chromium
/// (tests/node/record-spa.mjs) signs in with the npm oidc-client-ts at the
/// npm oidc-provider (its sign-in and consent pages filled in), without
/// naming the API, and calls an API guarded by express-oauth2-jwt-bearer
/// with the opaque token it was handed. Read after all three are gone:
/// token.audience_mismatch (high), the session's code flow named as the
/// witness, where without the session's token request the same call reads
/// as a token of the wrong kind. The token is never shown. With the fix
/// (the page names the API), the call is answered: nothing to diagnose.
#[test]
fn a_spa_that_never_asked_for_the_api_is_told_so() {
    let Some(node) = util::chromium_ready() else {
        return;
    };
    let SpaSession {
        dir,
        har,
        all,
        entry,
        want,
        ..
    } = spa_session(&node, None);
    let (out, v) = har_report(&har);
    let d = diagnosed_by_entry(&v)
        .remove(&entry)
        .unwrap_or_else(|| panic!("entry {entry} not diagnosed: {v:#}"));
    assert_eq!(d["causes"][0]["id"], want, "{d:#}");
    assert_eq!(d["causes"][0]["likelihood"], "high", "{d:#}");
    assert!(
        d["causes"][0]["evidence"]
            .to_string()
            .contains("grant_type=authorization_code")
            && d["causes"][0]["evidence"]
                .to_string()
                .contains("named no `audience` or `resource`, nor did its authorization request"),
        "{d:#}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let tokens = header_values(&all, "request", "authorization");
    assert!(!tokens.is_empty());
    for t in tokens {
        assert!(!stdout.contains(&t[7..]), "a token in clear");
    }
    // Without the session's token requests, only the token's kind is left.
    let mut without = all.clone();
    without["log"]["entries"]
        .as_array_mut()
        .unwrap()
        .retain(|e| !e["request"]["url"].as_str().unwrap().ends_with("/token"));
    let path = dir.join("without.har");
    std::fs::write(&path, without.to_string()).unwrap();
    let (_, v) = har_report(&path);
    let d = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["browser_status"] == 401)
        .map(|e| e["diagnosis"].clone())
        .unwrap();
    assert_eq!(d["causes"][0]["id"], "token.wrong_type", "{d:#}");
    // The fix: the page names the API (RFC 8707 `resource`), gets a JWT
    // for it, and the call is answered; nothing to diagnose.
    let fixed = spa_session(&node, Some("resource"));
    assert!(
        fixed.rec["log"].as_str().unwrap().contains("orders 200"),
        "{}",
        fixed.rec
    );
    assert!(fixed.want.is_null());
    let one = authdoctor()
        .args(["diagnose", "--json", "--har"])
        .arg(&fixed.har)
        .args(["--entry", &fixed.entry])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(one.status.code(), Some(0), "{one:?}");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&fixed.dir);
}

/// A real page renews its token as it runs out and is refused: the page
/// (tests/node/record-spa.mjs `refresh`: oidc-client-ts, signed in at the
/// npm oidc-provider with a refresh token, tokens of three seconds) waits
/// its tokens out, tries the refresh_token grant (invalid_grant: the
/// refresh token expired too), and calls the API (express-oauth2-jwt-bearer)
/// with the token it has. The call is diagnosed as the expired token it
/// sent, with the refused refresh just before it said beside (its HAR
/// entry named); the requests the recording aborted (the provider's web
/// font) are no failure to diagnose; no token or refresh token in clear.
#[test]
fn a_page_whose_refresh_was_refused_is_told_so_beside_its_expired_token() {
    let Some(node) = util::chromium_ready() else {
        return;
    };
    let s = spa_session(&node, Some("refresh"));
    s.logged(&["refresh token yes", "renewal refused", "orders 401"]);
    let all = &s.all;
    let entries = all["log"]["entries"].as_array().unwrap();
    let refresh = token_request_entry(all, "refresh_token", 400);
    let (out, v, d) = s.diagnosed();
    let diagnosed = diagnosed_by_entry(&v);
    let beside = d["causes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "refresh.failed")
        .unwrap_or_else(|| panic!("no refresh.failed beside: {d:#}"));
    assert_eq!(beside["likelihood"], "medium", "{d:#}");
    assert!(
        beside["summary"]
            .as_str()
            .unwrap()
            .contains(&format!("HAR entry {refresh}")),
        "{beside:#}"
    );
    // The aborted font requests: in the recording, not diagnosed.
    let aborted: Vec<usize> = entries
        .iter()
        .enumerate()
        .filter(|(_, e)| e["_wasAborted"] == true)
        .map(|(i, _)| i)
        .collect();
    assert!(
        !aborted.is_empty(),
        "the recording aborts the provider's font"
    );
    for i in aborted {
        assert!(
            !diagnosed.contains_key(&i.to_string()),
            "aborted entry {i} diagnosed: {v:#}"
        );
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let post = entries[refresh]["request"]["postData"]["text"]
        .as_str()
        .unwrap();
    let refresh_token = post
        .split('&')
        .find_map(|kv| kv.strip_prefix("refresh_token="))
        .unwrap();
    assert!(refresh_token.len() > 20);
    assert!(
        !stdout.contains(refresh_token),
        "the refresh token in clear"
    );
    for t in header_values(all, "request", "authorization") {
        assert!(!stdout.contains(&t[7..]), "a token in clear");
    }
    let _ = std::fs::remove_dir_all(&s.dir);
}

/// The page renews its token (tests/node/record-spa.mjs `stale`: the
/// refresh_token grant answered with a new access token) and calls the
/// API with the one it kept from sign-in, past its exp by seconds: the
/// diagnosis names the newer token the page had been handed (its HAR
/// entry) and the fix is to send it, first.
#[test]
fn a_page_that_renewed_its_token_and_sent_the_old_one_is_told_to_send_the_new() {
    let Some(node) = util::chromium_ready() else {
        return;
    };
    let s = spa_session(&node, Some("stale"));
    s.logged(&["renewed with a new token", "orders 401"]);
    let renewal = token_request_entry(&s.all, "refresh_token", 200);
    let (_, _, d) = s.diagnosed();
    assert!(
        d["causes"][0]["evidence"].to_string().contains(&format!(
            "the page had been handed a newer access token (HAR entry {renewal}), yet sent this older one"
        )),
        "{d:#}"
    );
    assert!(
        d["causes"][0]["fixes"][0]["action"]
            .as_str()
            .unwrap()
            .starts_with("Send the access token the page got last"),
        "{d:#}"
    );
    let _ = std::fs::remove_dir_all(&s.dir);
}
