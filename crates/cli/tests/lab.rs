//! `authdoctor lab` as a user runs it: one JSON line once every listener
//! is ready, a lab that answers, and a clean stop on Ctrl-C.

#![allow(clippy::unwrap_used)]

mod util;

use std::process::Command;
use std::time::Duration;

#[test]
fn lab_json_then_ctrl_c() {
    let mut lab = util::start_lab();
    let info = lab.info.clone();
    for k in [
        "issuers",
        "clients",
        "resources",
        "examples",
        "api",
        "faults",
    ] {
        assert!(!info[k].is_null(), "{k} missing: {info}");
    }
    assert!(
        info["issuers"]["prod"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:")
    );
    let example = &info["examples"][0];
    assert_eq!(example["cause"], "credentials.missing");
    for r in info["resources"].as_array().unwrap() {
        assert!(r["url"].as_str().unwrap().starts_with("http://127.0.0.1:"));
    }
    // It answers.
    let out = Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--max-time",
            "10",
        ])
        .arg(format!(
            "{}/.well-known/openid-configuration",
            info["issuers"]["prod"].as_str().unwrap()
        ))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "200");
    // Ctrl-C stops it cleanly.
    Command::new("kill")
        .args(["-INT", &lab.child.id().to_string()])
        .status()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = lab.child.try_wait().unwrap() {
            break s;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the lab did not stop on SIGINT"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0));
}

#[test]
fn a_taken_port_is_a_clear_error() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let out = Command::new(assert_cmd::cargo::cargo_bin("authdoctor"))
        .args(["lab", "--port", &port.to_string()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("authdoctor: The lab could not listen on 127.0.0.1:"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1);
}
