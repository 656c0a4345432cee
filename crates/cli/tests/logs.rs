//! `authdoctor logs` on logs written by real servers: Debian's nginx with
//! Basic authentication (combined format), driven with a stuffing run, a
//! brute force on one account and a token in a URL; and a gzipped copy.
//! The guard's own JSON reject log is read in the guard's tests' style by
//! the crate's unit tests.

#![allow(clippy::unwrap_used)]

mod util;

use serde_json::Value;
use std::io::Write;
use std::time::Duration;
use util::authdoctor;

struct Nginx {
    child: std::process::Child,
    dir: std::path::PathBuf,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn nginx() -> Option<(Nginx, u16)> {
    let bin = ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists());
    let Some(bin) = bin else {
        assert!(
            std::env::var_os("AUTHDOCTOR_SKIP_THIRD_PARTY").is_some(),
            "nginx is not installed: run scripts/test, or set AUTHDOCTOR_SKIP_THIRD_PARTY=1"
        );
        return None;
    };
    let dir = std::env::temp_dir().join(format!("authdoctor-logs-nginx-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    std::fs::write(dir.join("htpasswd"), "alice:{PLAIN}wonderland\n").unwrap();
    std::fs::write(dir.join("ok.txt"), "ok").unwrap();
    let conf = format!(
        "master_process off; daemon off; pid {d}/nginx.pid; error_log {d}/error.log;\n\
         events {{ worker_connections 64; }}\n\
         http {{ access_log {d}/access.log combined;\n\
           server {{ listen 127.0.0.1:{port};\n\
             location /admin {{ auth_basic \"admin\"; auth_basic_user_file {d}/htpasswd; root {d}; try_files /ok.txt =404; }}\n\
             location / {{ return 200 \"ok\"; }} }} }}\n",
        d = dir.display()
    );
    std::fs::write(dir.join("nginx.conf"), conf).unwrap();
    let child = std::process::Command::new(bin)
        .args([
            "-c",
            &dir.join("nginx.conf").display().to_string(),
            "-p",
            &dir.display().to_string(),
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Some((Nginx { child, dir }, port))
}

fn get(port: u16, path: &str, user: Option<(&str, &str)>) {
    use base64::Engine;
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let auth = user
        .map(|(u, p)| {
            format!(
                "Authorization: Basic {}\r\n",
                base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
            )
        })
        .unwrap_or_default();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\n{auth}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut b = Vec::new();
    let _ = std::io::Read::read_to_end(&mut s, &mut b);
}

#[test]
fn a_real_nginx_log_with_stuffing_a_brute_force_and_a_token_in_a_url() {
    let Some((n, port)) = nginx() else { return };
    // Stuffing: 30 users, one address.
    for i in 0..30 {
        get(port, "/admin", Some((&format!("user{i}"), "guess")));
    }
    // The real user, successfully, and a token written into a URL.
    get(port, "/admin", Some(("alice", "wonderland")));
    get(
        port,
        "/callback?access_token=Log-Secret-Marker-0123456789",
        None,
    );
    let log = n.dir.join("access.log");
    for _ in 0..50 {
        if std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .count()
            >= 32
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    for format in ["json", "human", "markdown"] {
        let out = authdoctor()
            .args(["logs", "--format", format])
            .arg(&log)
            .timeout(Duration::from_secs(30))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{text}");
        assert!(
            !text.contains("Log-Secret-Marker-0123456789"),
            "{format}: the secret in clear"
        );
        if format == "json" {
            let v: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(v["schema"], "authdoctor.logs/1");
            let kinds: Vec<&str> = v["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["kind"].as_str().unwrap())
                .collect();
            assert!(
                kinds.contains(&"credential_stuffing"),
                "{kinds:?} in {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            assert!(kinds.contains(&"secret_in_log"), "{kinds:?}");
            let stuffing = v["findings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["kind"] == "credential_stuffing")
                .unwrap();
            assert_eq!(stuffing["subject"], "127.0.0.1");
            assert_eq!(stuffing["count"], 30);
            assert_eq!(v["formats"]["combined"], 32);
        }
    }
    // The same, gzipped.
    let gz = n.dir.join("access.log.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    enc.write_all(&std::fs::read(&log).unwrap()).unwrap();
    enc.finish().unwrap();
    let out = authdoctor()
        .args(["logs", "--json"])
        .arg(&gz)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["lines"], 32);
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let out = authdoctor()
        .args(["logs", "/nonexistent/access.log"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim().lines().count(),
        1
    );
    // Binary junk is counted as unparsed, not a crash.
    let out = authdoctor()
        .args(["logs", "--json", "-"])
        .write_stdin(vec![0u8, 159, 146, 150, b'\n', b'x'])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["unparsed"], 2);
}
