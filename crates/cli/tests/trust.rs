//! The trust policy and the attacks it answers, each a regression test
//! named after what broke: credentials go only where the user sent them,
//! every input is read within bounds, and no secret leaves in clear.
//!
//! The hostile parties are real HTTP servers on loopback (a "trap" that
//! plays a hostile API, issuer and token endpoint at once, and records
//! every request it is sent), and the binary is run as a user runs it.

#![allow(clippy::unwrap_used)]

mod util;

use base64::Engine;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use util::authdoctor;

/// One request a trap received.
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    path: String,
    /// The whole request: line, headers and body.
    raw: String,
}

/// What a trap answers: status, extra headers, body.
type Answer = (u16, Vec<(String, String)>, String);

/// A server that records every request and answers through `route`.
struct Trap {
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Trap {
    fn start(host: &str, route: impl Fn(&Seen, &str) -> Answer + Send + Sync + 'static) -> Trap {
        let l = TcpListener::bind(format!("{host}:0")).unwrap();
        let base = format!("http://{}", l.local_addr().unwrap());
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let route = Arc::new(route);
        let (b, s) = (base.clone(), seen.clone());
        std::thread::spawn(move || {
            for stream in l.incoming().flatten() {
                let (route, seen, base) = (route.clone(), s.clone(), b.clone());
                std::thread::spawn(move || serve(stream, &*route, &seen, &base));
            }
        });
        Trap { base, seen }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn serve(
    stream: TcpStream,
    route: &(dyn Fn(&Seen, &str) -> Answer + Send + Sync),
    seen: &Mutex<Vec<Seen>>,
    base: &str,
) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut r = BufReader::new(stream.try_clone().unwrap());
    loop {
        let mut head = String::new();
        let mut line = String::new();
        let mut len = 0usize;
        loop {
            line.clear();
            if r.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap_or(0);
            }
            head.push_str(&line);
            if line == "\r\n" {
                break;
            }
        }
        let mut body = vec![0; len];
        let _ = r.read_exact(&mut body);
        let first = head.lines().next().unwrap_or("").to_owned();
        let mut parts = first.split(' ');
        let s = Seen {
            method: parts.next().unwrap_or("").to_owned(),
            path: parts.next().unwrap_or("").to_owned(),
            raw: head + &String::from_utf8_lossy(&body),
        };
        seen.lock().unwrap().push(s.clone());
        let (status, headers, body) = route(&s, base);
        let mut out = format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\n", body.len());
        for (n, v) in headers {
            out.push_str(&format!("{n}: {v}\r\n"));
        }
        out.push_str("\r\n");
        out.push_str(&body);
        let mut w = &stream;
        if w.write_all(out.as_bytes()).is_err() {
            return;
        }
    }
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

/// A JWT nobody signed, claiming to come from `iss`.
fn forged(iss: &str, exp: i64) -> String {
    format!(
        "{}.{}.{}",
        b64(r#"{"alg":"RS256","kid":"k1","typ":"at+jwt"}"#),
        b64(&json!({"iss": iss, "aud": "api", "sub": "mallory", "exp": exp, "iat": exp - 600, "scope": "read"}).to_string()),
        b64("not-a-signature-but-long-enough-to-look-like-one")
    )
}

fn json_answer(v: Value) -> Answer {
    (
        200,
        vec![("Content-Type".into(), "application/json".into())],
        v.to_string(),
    )
}

/// A hostile API that is also its own issuer and authorization server: it
/// names itself in the challenge, the RFC 9728 metadata and discovery.
fn hostile(s: &Seen, base: &str) -> Answer {
    match s.path.split('?').next().unwrap_or("") {
        "/.well-known/oauth-protected-resource" => json_answer(json!({
            "resource": "api", "authorization_servers": [base],
        })),
        "/.well-known/openid-configuration" => json_answer(json!({
            "issuer": base,
            "jwks_uri": format!("{base}/jwks"),
            "token_endpoint": format!("{base}/token"),
            "introspection_endpoint": format!("{base}/introspect"),
        })),
        "/jwks" => json_answer(json!({"keys": []})),
        "/token" => json_answer(json!({"access_token": "trap-issued", "token_type": "Bearer"})),
        "/introspect" => json_answer(json!({"active": true})),
        _ => (
            401,
            vec![(
                "WWW-Authenticate".into(),
                format!(
                    "Bearer realm=\"api\", error=\"invalid_token\", resource_metadata=\"{base}/.well-known/oauth-protected-resource\""
                ),
            )],
            String::new(),
        ),
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

const SECRET: &str = "Client-Secret-Marker-9f8e7d6c";

/// Whether a request carried the client secret in any form (form value,
/// HTTP Basic).
fn carries_secret(s: &Seen) -> bool {
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("cli:{SECRET}"));
    s.raw.contains(SECRET) || s.raw.contains(&basic)
}

#[test]
fn a_forged_token_cannot_steal_the_client_secret_through_its_iss_or_the_resource_metadata() {
    let trap = Trap::start("127.0.0.1", hostile);
    let token = forged(&trap.base, now() - 60);
    for via_env in [false, true] {
        let mut cmd = authdoctor();
        cmd.args(["diagnose", "--json", "--client-id", "cli"])
            .arg("-H")
            .arg(format!("Authorization: Bearer {token}"))
            .arg(format!("{}/orders", trap.base));
        if via_env {
            cmd.env("AUTHDOCTOR_CLIENT_SECRET", SECRET);
        } else {
            cmd.args(["--client-secret", SECRET]);
        }
        let out = cmd.timeout(Duration::from_secs(30)).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(!stdout.contains(SECRET), "{stdout}");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        // It read the public documents, and sent the secret nowhere.
        let seen = trap.seen();
        assert!(
            seen.iter()
                .any(|s| s.path == "/.well-known/openid-configuration")
        );
        assert!(!seen.iter().any(carries_secret), "{seen:#?}");
        assert!(
            !seen.iter().any(|s| s.method == "POST"),
            "nothing is posted to a server the user did not name: {seen:#?}"
        );
        // And the report says what it withheld, and why.
        let withheld = v["credentials_sent"].as_array().unwrap();
        assert!(!withheld.is_empty(), "{v:#}");
        for w in withheld {
            assert_eq!(w["sent"], false, "{w}");
            assert!(
                w["withheld_because"]
                    .as_str()
                    .unwrap()
                    .contains("not on an origin you named"),
                "{w}"
            );
        }
    }
}

#[test]
fn a_named_issuer_gets_the_secret_and_the_report_lists_it() {
    // The same server named by the user with --issuer is trusted: the
    // secret goes to its token endpoint, and the report says so.
    let trap = Trap::start("127.0.0.1", hostile);
    let token = forged(&trap.base, now() - 60);
    let out = authdoctor()
        .args(["diagnose", "--json", "--client-id", "cli", "--issuer"])
        .arg(&trap.base)
        .env("AUTHDOCTOR_CLIENT_SECRET", SECRET)
        .arg("-H")
        .arg(format!("Authorization: Bearer {token}"))
        .arg(format!("{}/orders", trap.base))
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(trap.seen().iter().any(carries_secret));
    let sent: Vec<&Value> = v["credentials_sent"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["sent"] == true)
        .collect();
    assert!(
        sent.iter()
            .any(|c| c["endpoint"].as_str().unwrap().ends_with("/token")),
        "{v:#}"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains(SECRET));
}

#[test]
fn plain_http_to_another_machine_gets_no_credential() {
    // The policy itself: loopback is fine, another host over http is not
    // without --allow-http, https is.
    let t = authdoctor_net::Trust::new(
        [
            "http://idp.example.test/",
            "https://secure.example.test",
            "http://127.0.0.1:9/",
        ],
        false,
    );
    assert!(t.check("http://127.0.0.1:9/token").is_ok());
    assert!(t.check("https://secure.example.test/token").is_ok());
    let e = t.check("http://idp.example.test/token").unwrap_err();
    assert!(e.to_string().contains("--allow-http"), "{e}");
    assert!(t.check("https://evil.example.test/token").is_err());
    // Another port is another origin.
    assert!(t.check("https://secure.example.test:8443/token").is_err());
    let t = authdoctor_net::Trust::new(["http://idp.example.test/"], true);
    assert!(t.check("http://idp.example.test/token").is_ok());
}

#[test]
fn a_refresh_token_is_used_once_per_run_across_har_entries() {
    let grants = Arc::new(Mutex::new(0u32));
    let g = grants.clone();
    let trap = Trap::start("127.0.0.1", move |s, base| {
        if s.path == "/token" {
            *g.lock().unwrap() += 1;
            return json_answer(json!({
                "access_token": "fresh-access-0123456789abcdef",
                "refresh_token": "Rotated-Refresh-Marker-55aa",
                "token_type": "Bearer",
            }));
        }
        let ok = s.raw.contains("Bearer fresh-access-0123456789abcdef");
        if ok {
            (200, vec![], "{}".into())
        } else {
            hostile(s, base)
        }
    });
    let old = forged(&trap.base, now() - 3600);
    let entry = |path: &str| {
        json!({"request": {"method": "GET", "url": format!("{}{path}", trap.base),
            "headers": [{"name": "Authorization", "value": format!("Bearer {old}")}]},
            "response": {"status": 401, "headers": []}})
    };
    let har =
        json!({"log": {"version": "1.2", "entries": [entry("/a"), entry("/b"), entry("/c")]}});
    let dir = std::env::temp_dir().join(format!("authdoctor-trust-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("three.har");
    std::fs::write(&path, har.to_string()).unwrap();
    for format in ["json", "human"] {
        *grants.lock().unwrap() = 0;
        let out = authdoctor()
            .args([
                "diagnose",
                "--format",
                format,
                "--client-id",
                "spa",
                "--har",
            ])
            .arg(&path)
            .arg("--token-endpoint")
            .arg(format!("{}/token", trap.base))
            .env("AUTHDOCTOR_REFRESH_TOKEN", "Original-Refresh-Marker-77bb")
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(*grants.lock().unwrap(), 1, "{text}");
        assert!(!text.contains("Rotated-Refresh-Marker-55aa"), "{text}");
        assert!(!text.contains("Original-Refresh-Marker-77bb"), "{text}");
        if format == "json" {
            let v: Value = serde_json::from_slice(&out.stdout).unwrap();
            let entries = v["entries"].as_array().unwrap();
            assert_eq!(entries.len(), 3);
            for e in entries {
                // Every entry was retried with the one fresh token.
                assert_eq!(e["diagnosis"]["retry"]["status"], 200, "{e:#}");
                let rotated = e["diagnosis"]["retry"]["rotated_refresh_token"]
                    .as_str()
                    .unwrap();
                assert!(rotated.contains("sha256:"), "{rotated}");
            }
        } else {
            assert!(text.contains("rotated the refresh token"), "{text}");
        }
    }
    // With --show-secrets the rotated token is printed for the user to keep.
    let out = authdoctor()
        .args(["diagnose", "--show-secrets", "--client-id", "spa", "--har"])
        .arg(&path)
        .arg("--token-endpoint")
        .arg(format!("{}/token", trap.base))
        .env("AUTHDOCTOR_REFRESH_TOKEN", "Original-Refresh-Marker-77bb")
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("Rotated-Refresh-Marker-55aa"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn options_after_the_url_are_options_not_curl_words() {
    let trap = Trap::start("127.0.0.1", hostile);
    let other = Trap::start("127.0.0.2", hostile);
    let other_host = other.base.trim_start_matches("http://").to_owned();
    let out = authdoctor()
        .args([
            "diagnose",
            "--json",
            "-H",
            "Authorization: Bearer Bearer-Marker-0123456789",
        ])
        .arg(format!("{}/echo", trap.base))
        .arg("--scope")
        .arg(format!("{other_host}/steal"))
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(1 | 3)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        other.seen().is_empty(),
        "the bearer went to the scope's host"
    );
    assert!(trap.seen().iter().any(|s| s.path == "/echo"));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["observations"]["expected"]["scopes"]["value"][0],
        format!("{other_host}/steal")
    );

    // A secret after the URL is a secret, not a host to look up.
    let out = authdoctor()
        .args(["diagnose", "--no-retry"])
        .arg(format!("{}/echo", trap.base))
        .args(["--client-secret", "Secret-After-Url-4444"])
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    let all =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(matches!(out.status.code(), Some(1 | 3)), "{all}");
    assert!(!all.contains("Secret-After-Url-4444"), "{all}");

    // A second bare word is an error, exit 2.
    let out = authdoctor()
        .args(["diagnose"])
        .arg(format!("{}/a", trap.base))
        .arg(format!("{}/b", trap.base))
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));

    // Inside a curl command: an authdoctor option is named, its value never
    // printed; a stray word after the URL is refused without quoting it.
    let out = authdoctor()
        .args(["diagnose", "--", "curl"])
        .arg(format!("{}/a", trap.base))
        .args(["--client-secret", "Secret-In-Curl-5555"])
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--client-secret is an option of authdoctor"),
        "{err}"
    );
    assert!(!err.contains("Secret-In-Curl-5555"), "{err}");
    let out = authdoctor()
        .args(["diagnose", "--curl"])
        .arg(format!("curl {}/a --frobnicate Stray-Word-6666", trap.base))
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("bare word after its URL"), "{err}");
    assert!(!err.contains("Stray-Word-6666"), "{err}");
    assert_eq!(trap.seen().iter().filter(|s| s.path == "/a").count(), 0);
}

#[test]
fn an_endless_local_file_is_refused_within_its_bound() {
    for args in [
        vec!["-b", "/dev/zero"],
        vec!["--cacert", "/dev/zero"],
        vec!["-d", "@/dev/zero"],
        vec!["--curl", "@/dev/zero"],
    ] {
        let out = authdoctor()
            .arg("diagnose")
            .args(&args)
            .arg("http://127.0.0.1:9/x")
            .timeout(Duration::from_secs(30))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("larger than"), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
}

/// A marker in every place a request or response can carry a credential;
/// none of it may reach any output format, error message or log.
#[test]
fn a_marker_secret_in_every_place_is_masked_in_every_format() {
    const M: &str = "Zq7Marker0Secret9Xy";
    let trap = Trap::start("127.0.0.1", |s, _| {
        // A server that echoes the request, and tokens, in its 401 body.
        let echo = json!({
            "error": "invalid_token",
            "echo": s.raw,
            "access_token": format!("{M}-access"),
            "refresh_token": format!("{M}-refresh"),
            "note": format!("token {M}-quoted\" ended"),
        });
        (
            401,
            vec![
                ("Content-Type".into(), "application/json".into()),
                ("WWW-Authenticate".into(), "Bearer realm=\"x\"".into()),
            ],
            echo.to_string(),
        )
    });
    let host = trap.base.trim_start_matches("http://");
    let queries = [
        "jwt",
        "pwd",
        "passwd",
        "pass",
        "auth",
        "session",
        "sessionid",
        "x-api-key",
        "bearer",
    ]
    .iter()
    .map(|q| format!("{q}={M}-{q}"))
    .collect::<Vec<_>>()
    .join("&");
    let url = format!("http://alice:{M}-userinfo@{host}/x?{queries}");
    let mut args: Vec<String> = vec!["diagnose".into(), "--no-retry".into()];
    for h in [
        "X-Auth-Key",
        "X-Password",
        "Authentication",
        "X-Session",
        "X-Access-Key",
        "X-JWT",
        "X-Signature",
        "X-Forwarded-Authorization",
        "Cookie2",
        "X-Api-Key",
    ] {
        args.push("-H".into());
        args.push(format!("{h}: {M}-{h}"));
    }
    args.push("-H".into());
    args.push(format!("Authorization: Bearer {M}-bearer"));
    args.push("-d".into());
    args.push(
        ["pwd", "passwd", "pin", "otp", "credential"]
            .iter()
            .map(|f| format!("{f}={M}-{f}"))
            .collect::<Vec<_>>()
            .join("&"),
    );
    args.push("-X".into());
    args.push("GET".into());
    args.push(url.clone());
    for format in ["json", "human", "markdown"] {
        let out = authdoctor()
            .args(&args)
            .args(["--format", format])
            .timeout(Duration::from_secs(30))
            .output()
            .unwrap();
        let all = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(matches!(out.status.code(), Some(1 | 3)), "{format}: {all}");
        assert!(!all.contains(M), "{format}: the marker in clear:\n{all}");
    }
    // The user's password in --issuer and --token-endpoint, and in an error.
    let out = authdoctor()
        .args(["diagnose", "--json", "--client-id", "c", "--issuer"])
        .arg(format!("http://bob:{M}-issuer@{host}/"))
        .arg("--token-endpoint")
        .arg(format!("http://bob:{M}-te@{host}/token"))
        .arg(format!("http://carol:{M}-conn@127.0.0.1:9/x"))
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    let all =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(!all.contains(M), "{all}");
    // A JWT in the path of a URL that cannot be used.
    let jwt = forged("https://id.example.test", now());
    let out = authdoctor()
        .args(["diagnose", &format!("http://[::1/{jwt}")])
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    let all =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(!all.contains(&jwt[40..]), "{all}");
}

#[test]
fn a_key_set_larger_than_the_report_snippet_is_parsed() {
    // Found by attack: JSON was parsed from the 4 KiB snippet kept for the
    // report, so a real key set of a few keys failed as "not JSON".
    let jwks: Value = serde_json::from_str(
        &std::fs::read_to_string(util::testdata().join("tokens/jwks.json")).unwrap(),
    )
    .unwrap();
    let mut keys = jwks["keys"].as_array().unwrap().clone();
    let filler = keys[0].clone();
    for i in 0..20 {
        let mut k = filler.clone();
        k["kid"] = json!(format!("filler-{i}"));
        keys.push(k);
    }
    let big = json!({"keys": keys}).to_string();
    assert!(big.len() > 8192);
    let trap = Trap::start("127.0.0.1", move |_, _| {
        json_answer(serde_json::from_str(&big).unwrap())
    });
    let mut cmd = authdoctor();
    cmd.args(["token", "--json", "--at", util::AT, "--jwks"])
        .arg(format!("{}/jwks.json", trap.base))
        .arg(format!(
            "@{}",
            util::testdata().join("tokens/valid.jwt").display()
        ));
    let out = cmd.timeout(Duration::from_secs(30)).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["signature_verified"], true, "{v:#}");
}

#[test]
fn custom_credential_headers_do_not_cross_origins_on_redirect() {
    let target = Trap::start("127.0.0.2", |_, _| (401, vec![], String::new()));
    let to = target.base.clone();
    let start = Trap::start("127.0.0.1", move |_, _| {
        (
            307,
            vec![("Location".into(), format!("{to}/next"))],
            String::new(),
        )
    });
    let out = authdoctor()
        .args([
            "diagnose",
            "--json",
            "-L",
            "-H",
            "X-Api-Key: Api-Key-Marker-1234",
        ])
        .arg(format!("{}/first", start.base))
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        !target
            .seen()
            .iter()
            .any(|s| s.raw.contains("Api-Key-Marker-1234"))
    );
    assert_eq!(v["exchanges"][1]["dropped_headers"], json!(["x-api-key"]));
    // curl's --location-trusted sends it on, as the user asked.
    let _ = authdoctor()
        .args([
            "diagnose",
            "--location-trusted",
            "-H",
            "X-Api-Key: Api-Key-Marker-1234",
        ])
        .arg(format!("{}/first", start.base))
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    assert!(
        target
            .seen()
            .iter()
            .any(|s| s.raw.contains("Api-Key-Marker-1234"))
    );
}

#[test]
fn the_timeout_is_one_deadline_for_the_whole_run() {
    // Eleven slow redirects: each hop takes 1 s. With --timeout 3 the run
    // stops at its deadline, after about three hops, not after eleven.
    let trap = Trap::start("127.0.0.1", |s, _| {
        std::thread::sleep(Duration::from_millis(1000));
        let n: u32 = s.path.trim_start_matches("/hop").parse().unwrap_or(0);
        (
            302,
            vec![("Location".into(), format!("/hop{}", n + 1))],
            String::new(),
        )
    });
    let out = authdoctor()
        .args(["diagnose", "-L", "--timeout", "3"])
        .arg(format!("{}/hop0", trap.base))
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("did not answer within 3 s"), "{err}");
    assert!(
        trap.seen().len() <= 4,
        "{} hops were sent",
        trap.seen().len()
    );
    // A timeout beyond the maximum is refused, not waited for.
    let out = authdoctor()
        .args([
            "diagnose",
            "--timeout",
            "18446744073709551615",
            "http://127.0.0.1:9/",
        ])
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn curl_forms_and_uploads_are_sent_with_their_method_and_body() {
    let trap = Trap::start("127.0.0.1", |_, _| (401, vec![], String::new()));
    let dir = std::env::temp_dir().join(format!("authdoctor-upload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("report.csv");
    std::fs::write(&file, "a,b\n1,2\n").unwrap();
    let out = authdoctor()
        .args(["diagnose", "--", "curl", "-F", "name=alice", "-F"])
        .arg(format!("doc=@{}", file.display()))
        .arg(format!("{}/form", trap.base))
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = authdoctor()
        .args(["diagnose", "--", "curl", "-T"])
        .arg(&file)
        .arg(format!("{}/up/", trap.base))
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen = trap.seen();
    let form = seen.iter().find(|s| s.path == "/form").unwrap();
    assert_eq!(form.method, "POST");
    assert!(
        form.raw.contains("multipart/form-data; boundary="),
        "{}",
        form.raw
    );
    assert!(form.raw.contains("name=\"doc\"; filename=\"report.csv\""));
    assert!(form.raw.contains("a,b\n1,2\n"));
    let up = seen.iter().find(|s| s.path == "/up/report.csv").unwrap();
    assert_eq!(up.method, "PUT");
    assert!(up.raw.ends_with("a,b\n1,2\n"));
    // Neither unsafe method was sent a second time.
    assert_eq!(seen.len(), 2, "{seen:#?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// What a hostile server says, and what a log line holds, reaches the
/// terminal as text: no escape sequence of theirs moves the cursor,
/// retitles the window or hides what follows; the report's own colours are
/// the only sequences left.
#[test]
fn a_hostile_body_or_log_line_cannot_drive_the_terminal() {
    const NASTY: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{1b}[8mhidden\u{202e}desrever";
    let trap = Trap::start("127.0.0.1", |_, _| {
        (
            401,
            vec![
                ("Content-Type".into(), "application/json".into()),
                (
                    "WWW-Authenticate".into(),
                    r#"Bearer error="invalid_token""#.into(),
                ),
            ],
            json!({"error": "invalid_token", "error_description": NASTY}).to_string(),
        )
    });
    let judge = |what: &str, stdout: &[u8]| {
        let text = String::from_utf8_lossy(stdout);
        // Shown, as an escape (the doctor writes a body's words as a
        // string literal; the rest goes through the terminal's filter).
        assert!(
            what == "markdown" || text.contains("]0;pwned"),
            "{what}: {text}"
        );
        for bad in ["\u{1b}]", "\u{7}", "\u{1b}[2J", "\u{1b}[8m", "\u{202e}"] {
            assert!(!text.contains(bad), "{what}: {bad:?} in {text:?}");
        }
    };
    let out = authdoctor()
        .args([
            "diagnose",
            "--format",
            "human",
            &format!("{}/api", trap.base),
        ])
        .args(["-H", "Authorization: Bearer opaque-token-0123456789"])
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    judge("diagnose", &out.stdout);
    // A JSON log line decodes its escapes into the very bytes.
    let dir = std::env::temp_dir().join(format!("authdoctor-trust-log-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("app.jsonl");
    let line = json!({"ts": 1_795_766_400, "status": 401, "client": "[click here](https://phish.example/)", "path": format!("/x{NASTY}"), "user_agent": NASTY});
    std::fs::write(&log, format!("{line}\n").repeat(6)).unwrap();
    for format in ["human", "markdown"] {
        let out = authdoctor()
            .args(["logs", "--format", format])
            .arg(&log)
            .output()
            .unwrap();
        judge(format, &out.stdout);
        // Nor does what a client is called become a link in a ticket.
        if format == "markdown" {
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(!text.contains("[click here](https://"), "{text}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
