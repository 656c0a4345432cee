//! The first hour with authdoctor, as a new user spends it: typos, flags
//! mixed with a curl line, an empty `$TOKEN`, a 404 and a 500 from a plain
//! server, a browser's "Copy as cURL" through standard input, completions,
//! the manual page and `--version`. Each a regression test of what misled.

#![allow(clippy::unwrap_used)]

mod util;

use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;
use util::authdoctor;

/// A plain server that answers every request with `status` and `body`,
/// with no challenge.
fn plain(status: u16, body: &'static str) -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            std::thread::spawn(move || {
                let mut s = s;
                let mut buf = [0u8; 8192];
                let _ = s.read(&mut buf);
                let _ = write!(
                    s,
                    "HTTP/1.1 {status} X\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
    format!("http://{addr}")
}

#[test]
fn a_mistyped_option_is_an_error_with_a_suggestion() {
    for typo in ["--heder", "--client_id"] {
        let out = authdoctor()
            .args(["diagnose", typo, "x", "http://127.0.0.1:9/"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{typo}: {err}");
        assert!(err.contains("similar argument"), "{typo}: {err}");
    }
}

#[test]
fn flags_beside_a_curl_command_are_merged_not_dropped() {
    let url = plain(401, "");
    for args in [
        vec!["--curl".to_owned(), format!("curl {url}/x")],
        vec!["--".to_owned(), "curl".into(), format!("{url}/x")],
    ] {
        let out = authdoctor()
            .args([
                "diagnose",
                "--json",
                "-H",
                "Authorization: Bearer merged-0123456789",
            ])
            .args(&args)
            .timeout(Duration::from_secs(30))
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let headers = v["request"]["headers"].to_string();
        assert!(headers.contains("authorization"), "{args:?}: {headers}");
    }
}

#[test]
fn an_empty_token_reads_cleanly() {
    let url = plain(401, "");
    for value in ["Authorization: Bearer ", "Authorization: Bearer"] {
        let out = authdoctor()
            .args(["diagnose", "-H", value])
            .arg(format!("{url}/x"))
            .timeout(Duration::from_secs(30))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{text}");
        assert!(text.starts_with("✗ header.malformed"), "{text}");
        assert!(!text.contains("sha256"), "a bare scheme was masked: {text}");
    }
    // An unexpanded variable in a pasted curl line is named as one.
    let out = authdoctor()
        .args(["diagnose", "--curl"])
        .arg(format!("curl -H 'Authorization: Bearer $TOKEN' {url}/x"))
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("`$TOKEN` at byte 7 is an unexpanded shell variable"),
        "{text}"
    );
}

#[test]
fn statuses_that_are_not_authentication_failures_list_no_cause_and_exit_3() {
    for (status, body) in [(404, "Not Found"), (500, "Internal Server Error")] {
        let url = plain(status, body);
        let out = authdoctor()
            .args([
                "diagnose",
                "--json",
                "-H",
                "Authorization: Bearer opaque-0123456789",
            ])
            .arg(format!("{url}/x"))
            .timeout(Duration::from_secs(30))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3), "{status}");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["causes"], serde_json::json!([]), "{status}: {v:#}");
        assert!(
            v["not_an_auth_failure"]
                .as_str()
                .unwrap()
                .contains(&status.to_string())
        );
        let out = authdoctor()
            .arg("diagnose")
            .arg(format!("{url}/x"))
            .timeout(Duration::from_secs(30))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("not an authentication failure"), "{text}");
        assert!(!text.contains("credentials.missing"), "{text}");
    }
    // A 403 without credentials: two readings, neither sure (credentials
    // wanted, answered 403 where 401 belongs; or a rule that refuses the
    // operation), and never "authenticated".
    let url = plain(403, "Forbidden");
    let out = authdoctor()
        .args(["diagnose", "--json"])
        .arg(format!("{url}/x"))
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let named: Vec<(&str, &str)> = v["causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_str().unwrap(), c["likelihood"].as_str().unwrap()))
        .collect();
    assert_eq!(
        named,
        [
            ("credentials.missing", "medium"),
            ("authz.forbidden", "medium")
        ],
        "{v:#}"
    );
    assert!(!v.to_string().contains("Authentication succeeded"));
}

#[test]
fn a_curl_line_from_standard_input_and_from_a_file() {
    let url = plain(401, "");
    // What Chrome's "Copy as cURL" gives: single quotes everywhere.
    let line = format!(
        "curl '{url}/orders' \\\n  -H 'accept: application/json' \\\n  -H 'authorization: Bearer stdin-0123456789' \\\n  --compressed"
    );
    let out = authdoctor()
        .args(["diagnose", "--json", "--curl", "-"])
        .write_stdin(line.clone())
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["request"]["url"].as_str().unwrap().ends_with("/orders"));
    let dir = std::env::temp_dir().join(format!("authdoctor-curl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("request.sh");
    std::fs::write(&f, line).unwrap();
    let out = authdoctor()
        .args(["diagnose", "--json", "--curl"])
        .arg(format!("@{}", f.display()))
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["request"]["headers"]
            .to_string()
            .contains("authorization")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn small_things() {
    // An empty token is bad input, not an opaque token.
    let out = authdoctor().args(["token", ""]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    // The newline of standard input is not part of the header value.
    let out = authdoctor()
        .args(["header", "--json", "-"])
        .write_stdin("Bearer abcdefghijkl\n")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn completions_the_manual_and_the_version() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = authdoctor().args(["completions", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("diagnose") && text.contains("client-id"),
            "{shell}"
        );
    }
    let out = authdoctor().arg("man").output().unwrap();
    let man = String::from_utf8_lossy(&out.stdout);
    assert!(man.contains(".TH authdoctor 1"), "{man}");
    let out = authdoctor().arg("--version").output().unwrap();
    let v = String::from_utf8_lossy(&out.stdout);
    assert!(
        v.contains("commit ") || v.contains("not built from a git checkout"),
        "{v}"
    );
    // diagnose --help teaches: groups, examples, exit codes.
    let out = authdoctor().args(["diagnose", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for part in [
        "Request (as curl spells it):",
        "What you believe the API expects:",
        "Client (for the experiment: a fresh token):",
        "Examples:",
        "Exit status:",
    ] {
        assert!(help.contains(part), "{part} missing from:\n{help}");
    }
}

#[test]
fn the_lab_takes_format_json_as_every_command_does() {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("authdoctor"))
        .args(["lab", "--format", "json", "--quiet"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 65536];
        let n = stdout.read(&mut buf).unwrap_or(0);
        let _ = tx.send(String::from_utf8_lossy(&buf[..n]).into_owned());
    });
    let line = rx.recv_timeout(Duration::from_secs(30)).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(line.starts_with("{\"issuers\""), "{line}");
}
