//! `authdoctor logs` on logs written by real servers: Debian's nginx with
//! Basic authentication (combined format), driven with a stuffing run, a
//! brute force on one account and a token in a URL; a gzipped and a zstd
//! copy; the live log followed across its rotation; and Debian's Apache
//! with mod_auth_openidc, whose error log gives the reasons, two of them
//! as nodes of one service with one clock ten minutes ahead (faketime);
//! Debian's Caddy with its JSON log; Debian's HAProxy with its HTTP log;
//! Debian's lighttpd with Basic authentication, its access and error logs;
//! a Go service (go-oidc) with Go's log lines and logrus's request lines.
//! The guard's own JSON reject log is read in the guard's tests' style by
//! the crate's unit tests.

#![allow(clippy::unwrap_used)]

mod util;

use serde_json::{Value, json};
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

/// A third-party server's program (Debian's), or `None` where the tests
/// are told to go without them; missing otherwise is a failure.
fn installed(name: &str) -> Option<String> {
    let bin = ["/usr/sbin", "/usr/bin"]
        .iter()
        .map(|d| format!("{d}/{name}"))
        .find(|p| std::path::Path::new(p).exists());
    util::installed(name, bin.is_some());
    bin
}

fn nginx() -> Option<(Nginx, u16)> {
    nginx_logging("combined")
}

/// nginx's own `main` format (its nginx.conf's and its container image's):
/// combined, and the X-Forwarded-For header last.
const NGINX_MAIN: &str = "log_format main '$remote_addr - $remote_user [$time_local] \"$request\" '\n\
    '$status $body_bytes_sent \"$http_referer\" '\n\
    '\"$http_user_agent\" \"$http_x_forwarded_for\"';";

/// nginx writing its access log in `format` (`combined`, or `main`).
fn nginx_logging(format: &str) -> Option<(Nginx, u16)> {
    nginx_with(
        &format!("{{dir}}/access.log {format}"),
        "return 200 \"ok\";",
    )
}

/// nginx with `access_log` given `access` (`{dir}` its folder), `/`
/// served by `root` (its location's directives), `/admin` by Basic
/// authentication.
fn nginx_with(access: &str, root: &str) -> Option<(Nginx, u16)> {
    let bin = installed("nginx")?;
    // One folder per server: tests run side by side in this process.
    static SERVERS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "authdoctor-logs-nginx-{}-{}",
        std::process::id(),
        SERVERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("htpasswd"), "alice:{PLAIN}wonderland\n").unwrap();
    std::fs::write(dir.join("ok.txt"), "ok").unwrap();
    let (child, port) = util::on_a_free_port(|port| {
        let conf = format!(
            "master_process off; daemon off; pid {d}/nginx.pid; error_log {d}/error.log;\n\
             events {{ worker_connections 64; }}\n\
             http {{ {main}\n access_log {access};\n\
               server {{ listen 127.0.0.1:{port};\n\
                 location /admin {{ auth_basic \"admin\"; auth_basic_user_file {d}/htpasswd; root {d}; try_files /ok.txt =404; }}\n\
                 location / {{ {root} }} }} }}\n",
            d = dir.display(),
            main = NGINX_MAIN,
            access = access.replace("{dir}", &dir.display().to_string()),
        );
        std::fs::write(dir.join("nginx.conf"), conf).unwrap();
        let child = std::process::Command::new(&bin)
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
        (child, Some(dir.join("error.log")))
    });
    Some((Nginx { child, dir }, port))
}

/// `authdoctor logs --json` on `files`: its report, which has findings
/// (exit status 1).
fn report_of(files: &[&std::path::Path]) -> Value {
    let out = authdoctor()
        .args(["logs", "--json"])
        .args(files)
        .output()
        .unwrap();
    util::json_out(&out, 1)
}

/// The report's finding of `kind` (the first); the report when there is
/// none.
/// The causes a report's reasons give, each with whose words it is in.
fn reasons_of(v: &Value) -> Vec<(&str, &str)> {
    v["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["cause"].as_str().unwrap(), r["family"].as_str().unwrap()))
        .collect()
}

/// A Go service's report over go-oidc's refusals: each of its causes heard
/// in its words (an expired token, another audience, a malformed one).
fn assert_go_oidc_reasons(v: &Value) {
    let causes: Vec<&str> = reasons_of(v).into_iter().map(|(c, _)| c).collect();
    for cause in [
        "token.expired",
        "token.audience_mismatch",
        "token.malformed",
    ] {
        assert!(causes.contains(&cause), "{cause}: {v:#}");
    }
}

fn finding<'a>(v: &'a Value, kind: &str) -> &'a Value {
    v["findings"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["kind"] == kind))
        .unwrap_or_else(|| panic!("no {kind}: {v:#}"))
}

/// Waits (10 s at most) until a server has written `n` lines of its log.
fn wait_for_lines(path: &std::path::Path, n: usize) {
    wait_for_lines_with(path, "", n)
}

/// Waits (10 s at most: a loaded machine's servers write late) until a
/// server has written `n` lines holding `text` into its log. What the
/// test then asserts of the log says what was missing.
fn wait_for_lines_with(path: &std::path::Path, text: &str, n: usize) {
    for _ in 0..200 {
        let lines = std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains(text))
            .count();
        if lines >= n {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn get(port: u16, path: &str, user: Option<(&str, &str)>) {
    get_with(port, path, user, "")
}

/// [`get`] with more header lines (each ended by CRLF).
fn get_with(port: u16, path: &str, user: Option<(&str, &str)>, headers: &str) {
    use base64::Engine;
    let auth = user
        .map(|(u, p)| {
            format!(
                "Authorization: Basic {}\r\n",
                base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
            )
        })
        .unwrap_or_default();
    exchange(
        port,
        &format!("GET {path} HTTP/1.1\r\nHost: x\r\n{auth}{headers}Connection: close\r\n\r\n"),
    );
}

/// Sends `request` as it is on a connection of its own, reads the answer
/// to its end; its status.
fn exchange(port: u16, request: &str) -> u16 {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut b = Vec::new();
    let _ = std::io::Read::read_to_end(&mut s, &mut b);
    String::from_utf8_lossy(&b)
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
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
    wait_for_lines(&log, 32);
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
            let stuffing = finding(&v, "credential_stuffing");
            assert_eq!(stuffing["subject"], "127.0.0.1");
            assert_eq!(stuffing["count"], 30);
            assert_eq!(v["formats"]["combined"], 32);
        }
    }
    // With nginx's error log beside it: its Basic-authentication lines are
    // the reasons, in nginx's words (unknown users, the wrong password).
    let v = report_of(&[&log, &n.dir.join("error.log")]);
    let reasons: Vec<(&str, &str, u64)> = v["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["cause"].as_str().unwrap(),
                r["family"].as_str().unwrap(),
                r["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(
        reasons.contains(&("credentials.invalid", "nginx auth_basic", 30)),
        "{reasons:?} from {}",
        std::fs::read_to_string(n.dir.join("error.log")).unwrap_or_default()
    );
    assert_eq!(v["unparsed"], 0, "{v:#}");
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
    // Piped in gzipped (known by its bytes, not a name) …
    let out = authdoctor()
        .args(["logs", "--json", "-"])
        .write_stdin(std::fs::read(&gz).unwrap())
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["lines"], 32);
    // … and rotated by zstd (Debian's zstd), in two frames, as appended
    // compressed pieces are.
    let whole = std::fs::read(&log).unwrap();
    let (half, rest) = whole.split_at(1000);
    let mut zst = Vec::new();
    for piece in [half, rest] {
        let mut z = std::process::Command::new("zstd")
            .args(["-q", "-c"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("zstd (Debian's zstd; scripts/test installs it)");
        z.stdin.take().unwrap().write_all(piece).unwrap();
        zst.extend(z.wait_with_output().unwrap().stdout);
    }
    let zst_path = n.dir.join("access.log.1");
    std::fs::write(&zst_path, &zst).unwrap();
    let out = authdoctor()
        .args(["logs", "--json"])
        .arg(&zst_path)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["lines"], 32);
    // A truncated one is bad input: one line, exit 2.
    std::fs::write(&zst_path, &zst[..zst.len() / 3]).unwrap();
    let out = authdoctor().arg("logs").arg(&zst_path).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim().lines().count(),
        1
    );
}

#[test]
fn a_real_nginx_behind_a_balancer_names_its_clients_by_x_forwarded_for() {
    // nginx's `main` format, each request through "a balancer" (this
    // loopback address, which nginx logs) that names the client in
    // X-Forwarded-For.
    let Some((n, port)) = nginx_logging("main") else {
        return;
    };
    let via = |client: &str| format!("X-Forwarded-For: {client}\r\n");
    std::thread::scope(|s| {
        // Stuffing from one client: 25 users.
        for i in 0..25 {
            let xff = via("203.0.113.9");
            s.spawn(move || get_with(port, "/admin", Some((&format!("user{i}"), "guess")), &xff));
        }
        // A client with a stale password, every time; behind its own
        // proxy (a private hop before it in the list).
        for _ in 0..6 {
            let xff = via("10.20.0.4, 198.51.100.7");
            s.spawn(move || get_with(port, "/admin", Some(("alice", "old-password")), &xff));
        }
        // Clients that sign in.
        for i in 0..10 {
            let xff = via(&format!("192.0.2.{}", 10 + i));
            s.spawn(move || get_with(port, "/admin", Some(("alice", "wonderland")), &xff));
        }
    });
    let log = n.dir.join("access.log");
    wait_for_lines(&log, 41);
    let v = report_of(&[&log]);
    let stuffing = finding(&v, "credential_stuffing");
    assert_eq!(stuffing["subject"], "203.0.113.9", "{v:#}");
    let stale = finding(&v, "always_fails");
    assert_eq!(stale["subject"], "198.51.100.7", "{v:#}");
    assert_eq!(stale["count"], 6);
    // The balancer's address is no client: every request came from it.
    assert!(
        !v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["subject"] == "127.0.0.1"),
        "{v:#}"
    );
    let clients: Vec<&str> = v["rejected_clients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c[0].as_str().unwrap())
        .collect();
    assert_eq!(clients, ["203.0.113.9", "198.51.100.7"]);
}

#[test]
fn behind_an_appending_balancer_trusted_proxies_read_past_forged_addresses() {
    // nginx's `main` format behind "a balancer" (this loopback address)
    // that appends the address it saw to the X-Forwarded-For it was sent,
    // as AWS's does: what a client wrote comes first.
    let Some((n, port)) = nginx_logging("main") else {
        return;
    };
    std::thread::scope(|s| {
        // Stuffing from 203.0.113.9, which writes another made-up address
        // into the header every time.
        for i in 0..25 {
            let xff = format!("X-Forwarded-For: 198.51.100.{i}, 203.0.113.9\r\n");
            s.spawn(move || get_with(port, "/admin", Some((&format!("user{i}"), "guess")), &xff));
        }
        // A client behind its own proxy (192.0.2.50, not ours), failing
        // every time.
        for _ in 0..6 {
            let xff = "X-Forwarded-For: 10.20.0.4, 192.0.2.50\r\n";
            s.spawn(move || get_with(port, "/admin", Some(("alice", "old-password")), xff));
        }
    });
    let log = n.dir.join("access.log");
    wait_for_lines(&log, 31);
    let subjects = |v: &Value, kind: &str| -> Vec<String> {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["kind"] == kind)
            .map(|f| f["subject"].as_str().unwrap().to_owned())
            .collect()
    };
    let with = |trusted: &str| {
        let out = authdoctor()
            .args(["logs", "--json", "--trusted-proxies", trusted])
            .arg(&log)
            .output()
            .unwrap();
        util::json_out(&out, 1)
    };
    // Read as GoAccess reads it (no proxies named): the made-up addresses
    // come first, and the run is spread over 25 clients.
    let v = report_of(&[&log]);
    assert!(subjects(&v, "credential_stuffing").is_empty(), "{v:#}");
    // The balancer trusted: the last address it did not write is the
    // client's, whatever the client wrote before it.
    let v = with("127.0.0.1,10.0.0.0/8");
    assert_eq!(
        subjects(&v, "credential_stuffing"),
        ["203.0.113.9"],
        "{v:#}"
    );
    // The other client's proxy is not ours: it is the one named.
    assert_eq!(subjects(&v, "always_fails"), ["192.0.2.50"], "{v:#}");
    // A header logged from a peer that is not trusted is not believed.
    let v = with("192.0.2.1");
    assert_eq!(subjects(&v, "credential_stuffing"), ["127.0.0.1"], "{v:#}");
    // A network that is no network is bad usage, named.
    let out = authdoctor()
        .args(["logs", "--trusted-proxies", "10.0.0.0/33"])
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("neither an address nor a network"),
        "{out:?}"
    );
}

#[test]
fn a_real_nginx_logging_to_syslog() {
    // nginx's `access_log syslog:` (RFC 3164 over UDP), gathered into a
    // file as a syslog daemon would.
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let at = udp.local_addr().unwrap().port();
    let Some((n, port)) = nginx_with(
        &format!("syslog:server=127.0.0.1:{at},tag=nginx combined"),
        "return 200 \"ok\";",
    ) else {
        return;
    };
    for _ in 0..6 {
        get(port, "/admin", Some(("alice", "old-password")));
    }
    let mut lines = Vec::new();
    let mut buf = [0u8; 4096];
    while lines.len() < 6 {
        let Ok(len) = udp.recv(&mut buf) else { break };
        lines.push(String::from_utf8_lossy(&buf[..len]).into_owned());
    }
    assert_eq!(lines.len(), 6, "{lines:?}");
    assert!(
        lines[0].starts_with('<') && lines[0].contains(" nginx: 127.0.0.1 - "),
        "{lines:?}"
    );
    let log = n.dir.join("syslog");
    std::fs::write(&log, lines.join("\n") + "\n").unwrap();
    let v = report_of(&[&log]);
    assert_eq!(v["formats"], json!({"combined": 6}), "{v:#}");
    assert_eq!(v["unparsed"], 0);
    let stale = finding(&v, "always_fails");
    assert_eq!(
        (stale["subject"].as_str(), stale["count"].as_u64()),
        (Some("127.0.0.1"), Some(6)),
        "{v:#}"
    );
}

/// Debian's nginx logging the challenge it answers with after the agent
/// (`"$sent_http_www_authenticate"`, its quotes written `\x22`), as an
/// operator adds it to see why requests are refused: a client that always
/// fails is named with the cause the challenge gives, not the guess
/// (`credentials.invalid`) a bare 401 leaves.
#[test]
fn a_real_nginx_logging_its_challenge_names_the_cause() {
    let challenge =
        r#"Bearer realm="api", error="invalid_token", error_description="token is expired""#;
    let Some((n, port)) = nginx_with(
        "{dir}/access.log main;\n log_format challenge '$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent \"$http_referer\" \"$http_user_agent\" \"$sent_http_www_authenticate\"';\n access_log {dir}/challenge.log challenge",
        &format!("add_header WWW-Authenticate '{challenge}' always; return 401;"),
    ) else {
        return;
    };
    for _ in 0..6 {
        get_with(
            port,
            "/orders",
            None,
            "Authorization: Bearer stale.token.here\r\n",
        );
    }
    let log = n.dir.join("challenge.log");
    wait_for_lines(&log, 6);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains(r"error=\x22invalid_token\x22"), "{text}");
    let v = report_of(&[&log]);
    assert_eq!(v["unparsed"], 0, "{v:#}");
    let stale = finding(&v, "always_fails");
    assert_eq!(
        (stale["subject"].as_str(), stale["cause"].as_str()),
        (Some("127.0.0.1"), Some("token.expired")),
        "{v:#}"
    );
}

#[test]
fn a_json_document_of_entries_is_read_as_its_lines() {
    // As `gcloud logging read --format=json` writes an export: one array,
    // pretty-printed, of entries holding a request or a server's line.
    let mut entries = Vec::new();
    for i in 0..6 {
        entries.push(json!({
            "httpRequest": {"requestMethod": "POST", "requestUrl": "https://api.example.test/login",
                            "status": 401, "remoteIp": "198.51.100.3", "userAgent": "python-requests/2.32"},
            "timestamp": format!("2026-11-27T10:00:0{i}Z"), "severity": "WARNING"
        }));
        entries.push(json!({
            "textPayload": format!("198.51.100.9 - - [27/Nov/2026:10:00:0{i} +0000] \"GET /orders HTTP/1.1\" 401 12 \"-\" \"curl/8.5.0\""),
            "timestamp": format!("2026-11-27T10:00:0{i}Z"),
            "resource": {"type": "k8s_container", "labels": {"pod_name": "web-1"}}
        }));
    }
    let dir = std::env::temp_dir().join(format!("authdoctor-logs-jsondoc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (array, pretty) = (dir.join("export.json"), dir.join("jq.json"));
    std::fs::write(&array, serde_json::to_string_pretty(&entries).unwrap()).unwrap();
    // `jq .` over JSON lines: pretty-printed objects one after another.
    let objects: Vec<String> = entries
        .iter()
        .map(|e| serde_json::to_string_pretty(e).unwrap())
        .collect();
    std::fs::write(&pretty, objects.join("\n")).unwrap();
    let stdin = || {
        let out = authdoctor()
            .args(["logs", "--json", "-"])
            .write_stdin(std::fs::read(&array).unwrap())
            .output()
            .unwrap();
        util::json_out(&out, 1)
    };
    // `aws logs filter-log-events`: the entries in a wrapper's `events`;
    // CloudWatch Logs' subscription records: a batch of events a line.
    let clf = |i: usize, who: &str| {
        format!(
            r#"{who} - - [27/Nov/2026:10:00:0{i} +0000] "GET /orders HTTP/1.1" 401 12 "-" "curl/8.5.0""#
        )
    };
    let events: Vec<Value> = (0..6)
        .map(|i| json!({"logStreamName": "web-1/nginx", "timestamp": 1_795_773_600_000u64 + i as u64 * 1000,
                        "message": clf(i, "198.51.100.21"), "eventId": i.to_string()}))
        .collect();
    let (aws, batches) = (dir.join("aws.json"), dir.join("subscription.jsonl"));
    let wrapper = json!({"events": events, "searchedLogStreams": [], "nextToken": "t"});
    std::fs::write(&aws, serde_json::to_string_pretty(&wrapper).unwrap()).unwrap();
    let batch = |from: usize| {
        json!({"messageType": "DATA_MESSAGE", "owner": "123456789012", "logGroup": "/ecs/api",
               "logStream": "web-2", "subscriptionFilters": ["all"],
               "logEvents": (from..from + 3).map(|i| json!({"id": i.to_string(), "timestamp": 1_795_773_600_000u64,
                                                        "message": clf(i, "198.51.100.22")})).collect::<Vec<_>>()})
        .to_string()
    };
    std::fs::write(&batches, format!("{}\n{}\n", batch(0), batch(3))).unwrap();
    // An Elasticsearch search response as Kibana's Dev Tools prints it:
    // Filebeat's documents of nginx's lines in hits.hits, beside totals
    // and an aggregation's buckets.
    let hits: Vec<Value> = (0..6)
        .map(|i| {
            json!({"_index": ".ds-filebeat-2026.11.27", "_id": format!("d{i}"), "_score": 1.0,
                        "_source": {"@timestamp": format!("2026-11-27T10:00:0{i}.000Z"),
                                    "message": clf(i, "198.51.100.23"),
                                    "host": {"name": "web-3"}, "input": {"type": "log"}}})
        })
        .collect();
    let search = dir.join("search.json");
    let response = json!({"took": 4, "timed_out": false,
        "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
        "hits": {"total": {"value": 6, "relation": "eq"}, "max_score": 1.0, "hits": hits},
        "aggregations": {"by_status": {"buckets": [{"key": 401, "doc_count": 6}]}}});
    std::fs::write(&search, serde_json::to_string_pretty(&response).unwrap()).unwrap();
    for (file, who) in [
        (&aws, "198.51.100.21"),
        (&batches, "198.51.100.22"),
        (&search, "198.51.100.23"),
    ] {
        let v = report_of(&[file]);
        assert_eq!(v["formats"], json!({"combined": 6}), "{v:#}");
        assert_eq!(finding(&v, "always_fails")["subject"], who, "{v:#}");
    }
    for v in [report_of(&[&array]), report_of(&[&pretty]), stdin()] {
        assert_eq!(
            (v["lines"].as_u64(), v["unparsed"].as_u64()),
            (Some(12), Some(0)),
            "{v:#}"
        );
        let mut always: Vec<&str> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["kind"] == "always_fails")
            .map(|f| f["subject"].as_str().unwrap())
            .collect();
        always.sort_unstable();
        assert_eq!(always, ["198.51.100.3", "198.51.100.9"], "{v:#}");
    }
    let _ = std::fs::remove_dir_all(&dir);
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
    // Binary junk among log lines is counted as unparsed, not a crash …
    let mut input = vec![0u8, 159, 146, 150, b'\n', b'x', b'\n'];
    input.extend_from_slice(
        br#"127.0.0.1 - - [26/Nov/2026:17:34:12 +0000] "GET / HTTP/1.1" 200 2 "-" "curl/8.5.0""#,
    );
    let out = authdoctor()
        .args(["logs", "--json", "-"])
        .write_stdin(input)
        .output()
        .unwrap();
    let v = util::json_out(&out, 0);
    assert_eq!(v["unparsed"], 2);
    // … and junk alone is bad input, not "nothing found".
    let out = authdoctor()
        .args(["logs", "-"])
        .write_stdin(vec![0u8, 159, 146, 150, b'\n', b'x'])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("--log-format"), "{err}");
    // Junk whose lines start with a tab reads as stack frames, which say
    // nothing: still no log.
    let out = authdoctor()
        .args(["logs", "-"])
        .write_stdin(b"\t\x9f\x92 junk\n\x01\x02junk\n\t}\x03\n".to_vec())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    // A rotation compressed in a way not read (xz, bzip2) is said to be,
    // with the command that reads it, not read as lines of junk; from a
    // file (whose blocks the workers would read) or a pipe.
    let dir = std::env::temp_dir().join(format!("authdoctor-logs-xz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let xz = dir.join("access.log.2.xz");
    let mut bytes = b"\xfd7zXZ\0".to_vec();
    bytes.extend((0..5000u32).map(|i| (i * 7919 % 251) as u8));
    std::fs::write(&xz, &bytes).unwrap();
    let out = authdoctor().arg("logs").arg(&xz).output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("compressed with xz") && err.contains("xz -dc"),
        "{err}"
    );
    let out = authdoctor()
        .args(["logs", "-"])
        .write_stdin(b"BZh91AY&SY junk".to_vec())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("standard input is compressed with bzip2"),
        "{err}"
    );
}

#[test]
fn a_log_of_many_blocks_reports_the_lines_a_single_pass_numbers() {
    // 100,000 lines, about 12 MiB: several of the blocks the workers take
    // in turn. One line is garbage and one carries a token in its URL; their
    // line numbers must be the file's, whichever worker read them.
    let dir = std::env::temp_dir().join(format!("authdoctor-logs-blocks-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("access.log");
    let mut text = String::with_capacity(13 << 20);
    for i in 1..=100_000u32 {
        let line = match i {
            50_001 => "garbage that is not a log line\n".to_owned(),
            77_777 => "10.9.9.9 - - [26/Nov/2026:10:00:00 +0000] \"GET /cb?access_token=Blocks-Secret-0123456789 HTTP/1.1\" 200 12 \"-\" \"curl/8.5.0\"\n".to_owned(),
            _ => format!(
                "10.{}.{}.{} - - [26/Nov/2026:10:{:02}:{:02} +0000] \"GET /items/{i} HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\"\n",
                i % 7,
                i % 251,
                i % 13,
                (i / 60) % 60,
                i % 60
            ),
        };
        text.push_str(&line);
    }
    std::fs::write(&path, &text).unwrap();
    // The file read before it rotated, gzipped: read in order by one
    // thread, where the plain file's blocks are read by the workers. The
    // line numbers run on across both.
    let rotated = dir.join("access.log.1.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for line in text.lines().take(1_000) {
        writeln!(gz, "{line}").unwrap();
    }
    std::fs::write(&rotated, gz.finish().unwrap()).unwrap();
    let out = authdoctor()
        .args(["logs", "--json"])
        .arg(&path)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let both = authdoctor()
        .args(["logs", "--json"])
        .args([&rotated, &path])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let from_stdin = authdoctor()
        .args(["logs", "--json", "-"])
        .write_stdin(text.into_bytes())
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let both: Value = serde_json::from_slice(&both.stdout).unwrap();
    assert_eq!(both["lines"], 101_000);
    assert_eq!(
        finding(&both, "secret_in_log")["examples"],
        json!(["line 78777: an access token in a URL"])
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(out.stdout, from_stdin.stdout, "a file and a pipe disagree");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["lines"], 100_000);
    assert_eq!(v["unparsed"], 1);
    assert!(
        v["unparsed_example"]
            .as_str()
            .unwrap()
            .starts_with("garbage"),
        "{}",
        v["unparsed_example"]
    );
    let secret = finding(&v, "secret_in_log");
    assert_eq!(
        secret["examples"],
        serde_json::json!(["line 77777: an access token in a URL"])
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("Blocks-Secret-0123456789"));
}

#[test]
fn an_iis_log_of_many_blocks_keeps_its_fields_across_them() {
    // IIS's W3C extended log, about 9 MiB (three of the blocks the workers
    // take in turn): the columns are named once at the top, and again after
    // a restart with another order, and every line after each is read by
    // them, whichever worker reads it. One client fails every logon
    // (401.1), the browsers' handshakes (401.2, then 401.1 with
    // SEC_I_CONTINUE_NEEDED, then 200) are no refusals of a client that
    // always fails.
    let dir = std::env::temp_dir().join(format!("authdoctor-logs-iis-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("u_ex261127.log");
    let mut text = String::from(
        "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: 2026-11-27 00:00:00\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n",
    );
    let mut requests = 0u64;
    for i in 0..60_000u32 {
        let (h, m, s) = (i / 3600 % 24, i / 60 % 60, i % 60);
        if i == 40_000 {
            // IIS restarted with other columns.
            text.push_str("#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: 2026-11-27 11:06:40\n#Fields: date time c-ip cs-username cs-method cs-uri-stem cs-uri-query sc-status sc-substatus sc-win32-status cs(User-Agent)\n");
        }
        let client = format!("10.{}.{}.{}", i % 3, i % 199, i % 11 + 1);
        for (user, status, sub, win32) in [
            ("-", 401, 2, 5),
            ("-", 401, 1, 2_148_074_254u64),
            (r"CORP\alice", 200, 0, 0),
        ] {
            let agent = "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)";
            text.push_str(&if i < 40_000 {
                format!("2026-11-27 {h:02}:{m:02}:{s:02} 10.0.0.2 GET /api/orders/{i} - 443 {user} {client} {agent} - {status} {sub} {win32} 15\n")
            } else {
                format!("2026-11-27 {h:02}:{m:02}:{s:02} {client} {user} GET /api/orders/{i} - {status} {sub} {win32} {agent}\n")
            });
            requests += 1;
        }
        if i % 1000 == 0 {
            // A service account whose password changed.
            let (user, agent) = (r"CORP\svc-report", "python-requests/2.32");
            text.push_str(&if i < 40_000 {
                format!("2026-11-27 {h:02}:{m:02}:{s:02} 10.0.0.2 POST /login - 443 {user} 10.7.7.7 {agent} - 401 1 1326 2\n")
            } else {
                format!("2026-11-27 {h:02}:{m:02}:{s:02} 10.7.7.7 {user} POST /login - 401 1 1326 {agent}\n")
            });
            requests += 1;
        }
    }
    assert!(text.len() > 8 << 20);
    std::fs::write(&path, &text).unwrap();
    let out = authdoctor()
        .args(["logs", "--json"])
        .arg(&path)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["unparsed"], 0, "{v:#}");
    assert_eq!(v["formats"]["w3c"], requests + 8, "{v:#}");
    // The handshakes' middle legs are read, not counted as refusals.
    assert_eq!(
        v["statuses"],
        json!({"200": 60_000, "401": 60_060}),
        "{v:#}"
    );
    let always = finding(&v, "always_fails");
    assert_eq!(always["subject"], "10.7.7.7", "{v:#}");
    assert_eq!(always["cause"], "credentials.invalid", "{v:#}");
    assert_eq!(always["count"], 60, "{v:#}");
}

#[test]
fn a_line_longer_than_a_block_is_read_in_pieces_and_files_do_not_run_together() {
    // A 10 MB line (more than two of the 4 MiB blocks) between two requests,
    // and a first file whose last line has no newline: the second file's
    // first line must stay a line of its own.
    let dir = std::env::temp_dir().join(format!("authdoctor-logs-long-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (a, b) = (dir.join("a.log"), dir.join("b.log"));
    let line = |ip: &str, path: &str, status: u16| {
        format!(
            "{ip} - - [26/Nov/2026:10:00:00 +0000] \"GET {path} HTTP/1.1\" {status} 12 \"-\" \"curl/8.5.0\""
        )
    };
    let mut first = line("10.0.0.1", "/orders", 200);
    first.push('\n');
    first.push_str(&"x".repeat(10_000_000));
    first.push('\n');
    first.push_str(&line("10.0.0.2", "/admin", 403)); // no newline at the end
    std::fs::write(&a, first).unwrap();
    let second = format!(
        "{}\n",
        line(
            "10.0.0.3",
            "/cb?access_token=Long-Line-Secret-0123456789",
            401
        )
    );
    std::fs::write(&b, second).unwrap();
    let out = authdoctor()
        .args(["logs", "--json"])
        .args([&a, &b])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let v = util::json_out(&out, 1);
    // The three requests, each whole.
    assert_eq!(v["formats"]["combined"], 3, "{}", v["formats"]);
    assert_eq!(
        v["statuses"],
        serde_json::json!({"200": 1, "401": 1, "403": 1})
    );
    // The long line is read in pieces (each counted, none a request), never
    // whole: its example is cut short, and so is the process's memory.
    let pieces = v["unparsed"].as_u64().unwrap();
    assert!((3..=4).contains(&pieces), "{pieces} pieces");
    assert_eq!(v["lines"].as_u64().unwrap(), 3 + pieces);
    assert!(v["unparsed_example"].as_str().unwrap().len() < 1000);
    let secret = finding(&v, "secret_in_log");
    assert_eq!(
        secret["examples"][0].as_str().unwrap(),
        format!("line {}: an access token in a URL", 3 + pieces)
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("Long-Line-Secret-0123456789"));
}

/// Lines from a child's standard output, as they come.
fn lines_of(child: &mut std::process::Child) -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    let out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for l in std::io::BufRead::lines(std::io::BufReader::new(out)) {
            let Ok(l) = l else { break };
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    rx
}

/// The next finding of `kind` (JSON lines), waiting up to 20 s.
fn next_finding(rx: &std::sync::mpsc::Receiver<String>, kind: &str) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
        let Ok(l) = rx.recv_timeout(left) else { break };
        let v: Value = serde_json::from_str(&l).unwrap();
        if v["kind"] == kind {
            return v;
        }
    }
    panic!("no {kind} finding");
}

#[test]
fn following_a_live_nginx_log_across_its_rotation_with_a_chart() {
    let Some((n, port)) = nginx() else { return };
    let log = n.dir.join("access.log");
    let chart = n.dir.join("rejections.svg");
    get(port, "/admin", Some(("alice", "wonderland")));
    let mut follow = util::Running(
        std::process::Command::new(assert_cmd::cargo::cargo_bin("authdoctor"))
            .args(["logs", "--follow", "--json", "--plot"])
            .arg(&chart)
            .arg(&log)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let rx = lines_of(&mut follow.0);
    for i in 0..25 {
        get(port, "/admin", Some((&format!("user{i}"), "guess")));
    }
    let first = next_finding(&rx, "credential_stuffing");
    assert_eq!(first["subject"], "127.0.0.1");
    // logrotate's way: the file moved aside, nginx told to reopen (USR1).
    std::fs::rename(&log, n.dir.join("access.log.1")).unwrap();
    let signal = std::process::Command::new("kill")
        .args(["-USR1", &n.child.id().to_string()])
        .status()
        .unwrap();
    assert!(signal.success());
    for _ in 0..200 {
        if log.exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    for i in 25..40 {
        get(port, "/admin", Some((&format!("user{i}"), "guess")));
    }
    get(port, "/cb?api_key=Follow-Secret-Marker-42", None);
    // The count grows past the rotation (the 26 + 15 failures of both files).
    while next_finding(&rx, "credential_stuffing")["count"].as_u64() < Some(40) {}
    let secret = next_finding(&rx, "secret_in_log");
    assert!(!secret.to_string().contains("Follow-Secret-Marker-42"));
    drop(follow);
    // The chart, redrawn as lines came.
    let svg = std::fs::read_to_string(&chart).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("401: "), "{svg}");
}

/// The in-process lab, its description and its prod issuer's key set (the
/// keys the test Apaches trust).
fn lab_and_keys(rt: &tokio::runtime::Runtime) -> (authdoctor_lab::Lab, Value, Value) {
    let (lab, info) = util::lab_on(rt);
    let jwks = util::jwks_of(rt, info["issuers"]["prod"].as_str().unwrap());
    (lab, info, jwks)
}

#[test]
fn apache_with_mod_auth_openidc_a_key_rotation_and_a_stale_client() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (lab, info, jwks) = lab_and_keys(&rt);
    let ap = util::oauth20_apache(&jwks, "one", None);
    let url = format!("http://127.0.0.1:{}/api/orders", ap.port);
    let send = |from: [u8; 4], token: &str| rt.block_on(util::bearer_get(from, &url, token));
    // The issuer signs with a key the server does not have yet: six
    // clients refused within the minute.
    let unknown = util::example_token(&info, "token.unknown_key");
    for i in 2..8 {
        assert_eq!(send([127, 0, 0, i], &unknown), 401);
    }
    // A client that keeps sending its expired token.
    let expired = util::example_token(&info, "token.expired");
    for _ in 0..6 {
        assert_eq!(send([127, 0, 0, 9], &expired), 401);
    }
    // A forged one, and a valid one.
    let good = util::example_token(&info, "token.scope_insufficient");
    assert_eq!(
        send([127, 0, 0, 10], &format!("{}AA", &good[..good.len() - 2])),
        401
    );
    assert_ne!(send([127, 0, 0, 10], &good), 401);
    let (access, error) = (ap.dir.join("access.log"), ap.dir.join("error.log"));
    wait_for_lines(&access, 14);
    let out = authdoctor()
        .args(["logs", "--json"])
        .arg(&access)
        .arg(&error)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = v["findings"].as_array().unwrap();
    let find = |kind: &str, subject: &str| {
        findings
            .iter()
            .find(|f| f["kind"] == kind && (subject.is_empty() || f["subject"] == subject))
            .unwrap_or_else(|| panic!("no {kind} {subject}: {v:#}"))
            .clone()
    };
    assert_eq!(find("rotation_spike", "")["cause"], "token.unknown_key");
    assert_eq!(find("always_fails", "127.0.0.9")["cause"], "token.expired");
    // The servers' words, by cause; each error line is a reason, not a
    // request of its own (the access log counted those).
    let reasons = reasons_of(&v);
    for want in [
        "token.unknown_key",
        "token.expired",
        "token.signature_invalid",
    ] {
        assert!(
            reasons.contains(&(want, "mod_auth_openidc")),
            "{want}: {reasons:?}"
        );
    }
    assert_eq!(v["statuses"]["401"], 13, "{v:#}");
    assert_eq!(
        v["unparsed"], 0,
        "Apache's notices are lines of a known format"
    );
    assert!(
        !out.stdout
            .windows(40)
            .any(|w| w == &unknown.as_bytes()[..40])
    );
    // The error log read alone is the only witness: the rotation is found
    // from its lines, and every report says what the server said.
    let out = authdoctor()
        .args(["logs", "--json"])
        .arg(&error)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(finding(&v, "rotation_spike")["cause"], "token.unknown_key");
    let out = authdoctor()
        .args(["logs", "--format", "markdown"])
        .arg(&error)
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(md.contains("#### Why, in the servers' words"), "{md}");
    assert!(
        md.contains("| `token.expired` | mod_auth_openidc |"),
        "{md}"
    );
    rt.block_on(lab.shutdown());
}

/// Debian's Apache with mod_oauth2 (liboauth2) as the resource server,
/// its key set fetched from the lab's issuer: its challenge says only that
/// a token "could not be verified", and its error log says why.
#[test]
fn apache_with_mod_oauth2_a_stale_client_and_a_forger() {
    if !util::installed(
        "mod_oauth2 (Debian's libapache2-mod-oauth2)",
        std::path::Path::new("/usr/lib/apache2/modules/mod_oauth2.so").exists(),
    ) {
        return;
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (lab, info, _) = lab_and_keys(&rt);
    let conf = format!(
        "LoadModule oauth2_module /usr/lib/apache2/modules/mod_oauth2.so\n<Location /api>\n  AuthType oauth2\n  OAuth2TokenVerify jwks_uri {}/jwks\n  Require valid-user\n</Location>\n",
        info["issuers"]["prod"].as_str().unwrap()
    );
    let ap = util::apache("logs-oauth2", None, &conf, |_| {});
    let url = format!("http://127.0.0.1:{}/api/orders", ap.port);
    let send = |from: [u8; 4], token: &str| rt.block_on(util::bearer_get(from, &url, token));
    // A client that keeps sending its expired token.
    let expired = util::example_token(&info, "token.expired");
    for _ in 0..6 {
        assert_eq!(send([127, 0, 0, 9], &expired), 401);
    }
    // Forged tokens from another, which also sends a valid one.
    let good = util::example_token(&info, "token.scope_insufficient");
    for tail in ["AA", "BB", "CC"] {
        let forged = format!("{}{tail}", &good[..good.len() - 2]);
        assert_eq!(send([127, 0, 0, 10], &forged), 401);
    }
    assert_ne!(send([127, 0, 0, 10], &good), 401);
    let (access, error) = (ap.dir.join("access.log"), ap.dir.join("error.log"));
    wait_for_lines(&access, 10);
    wait_for_lines_with(&error, "oauth2:", 9);
    let out = authdoctor()
        .args(["logs", "--json"])
        .arg(&access)
        .arg(&error)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(finding(&v, "always_fails")["subject"], "127.0.0.9", "{v:#}");
    assert_eq!(
        finding(&v, "always_fails")["cause"],
        "token.expired",
        "{v:#}"
    );
    let reasons = reasons_of(&v);
    for want in ["token.expired", "token.signature_invalid"] {
        assert!(
            reasons.contains(&(want, "mod_oauth2 (liboauth2)")),
            "{want}: {reasons:?}"
        );
    }
    assert_eq!(v["statuses"]["401"], 9, "{v:#}");
    assert_eq!(v["unparsed"], 0, "{v:#}");
    assert!(
        !out.stdout
            .windows(40)
            .any(|w| w == &expired.as_bytes()[..40])
    );
    rt.block_on(lab.shutdown());
}

/// Debian's Caddy on loopback with its JSON access log and Basic
/// authentication (scrypt, so that a refused password costs milliseconds).
struct Caddy {
    child: std::process::Child,
    dir: std::path::PathBuf,
    port: u16,
}

impl Drop for Caddy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn caddy() -> Option<Caddy> {
    let bin = installed("caddy")?;
    use base64::Engine;
    let dir = std::env::temp_dir().join(format!("authdoctor-logs-caddy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // `hash-password` takes the salt as it is, the Caddyfile in base64.
    let salt = "authdoctor-salt-0001";
    let hash = std::process::Command::new(&bin)
        .args(["hash-password", "--algorithm", "scrypt", "--salt", salt])
        .args(["--plaintext", "wonderland"])
        .output()
        .unwrap();
    let hash = String::from_utf8(hash.stdout).unwrap();
    let (child, port) = util::on_a_free_port(|port| {
        let conf = format!(
            "{{\n admin off\n auto_https off\n}}\n\
             http://127.0.0.1:{port} {{\n\
               log {{\n output file {d}/access.log\n format json\n }}\n\
               basicauth /admin* scrypt {{\n alice {h} {s}\n }}\n\
               respond \"ok\" 200\n}}\n",
            d = dir.display(),
            h = hash.trim(),
            s = base64::engine::general_purpose::STANDARD.encode(salt),
        );
        std::fs::write(dir.join("Caddyfile"), conf).unwrap();
        let child = std::process::Command::new(&bin)
            .args(["run", "--adapter", "caddyfile", "--config"])
            .arg(dir.join("Caddyfile"))
            // Caddy saves its configuration under the home folder.
            .env("HOME", &dir)
            .env("XDG_CONFIG_HOME", &dir)
            .env("XDG_DATA_HOME", &dir)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(dir.join("caddy.err")).unwrap())
            .spawn()
            .unwrap();
        (child, Some(dir.join("caddy.err")))
    });
    Some(Caddy { child, dir, port })
}

#[test]
fn a_real_caddy_json_log_with_a_stale_client_and_a_token_in_a_url() {
    let Some(c) = caddy() else { return };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let send_via = |from: [u8; 4], path: &str, password: Option<&str>, xff: Option<&str>| {
        rt.block_on(async {
            let mut req = util::client_from(from).get(format!("http://127.0.0.1:{}{path}", c.port));
            if let Some(p) = password {
                req = req.basic_auth("alice", Some(p));
            }
            if let Some(x) = xff {
                req = req.header("x-forwarded-for", x);
            }
            req = req.header("user-agent", "orders-sync/2.1");
            req.send().await.unwrap().status().as_u16()
        })
    };
    let send =
        |from: [u8; 4], path: &str, password: Option<&str>| send_via(from, path, password, None);
    // A client with a stale password, on every request; alice from
    // elsewhere, with hers; a token written into a URL.
    for _ in 0..6 {
        assert_eq!(
            send([127, 0, 0, 5], "/admin/users", Some("old-password")),
            401
        );
    }
    assert_eq!(
        send([127, 0, 0, 6], "/admin/users", Some("wonderland")),
        200
    );
    assert_eq!(
        send(
            [127, 0, 0, 7],
            "/cb?access_token=Caddy-Secret-Marker-0123456789",
            None
        ),
        200
    );
    // Another stale client behind a balancer (its address 127.0.0.8, which
    // Caddy logs as the peer; the client in X-Forwarded-For, which Caddy
    // logs among the request's headers); the balancer also passes a
    // client that signs in.
    for _ in 0..5 {
        let status = send_via(
            [127, 0, 0, 8],
            "/admin/users",
            Some("old"),
            Some("198.51.100.7"),
        );
        assert_eq!(status, 401);
    }
    let status = send_via(
        [127, 0, 0, 8],
        "/admin/users",
        Some("wonderland"),
        Some("192.0.2.10"),
    );
    assert_eq!(status, 200);
    let log = c.dir.join("access.log");
    wait_for_lines(&log, 14);
    let out = authdoctor()
        .args(["logs", "--json"])
        .arg(&log)
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("Caddy-Secret-Marker"),
        "the secret in clear"
    );
    let v = util::json_out(&out, 1);
    assert_eq!(v["formats"]["json"], 14, "{v:#}");
    assert_eq!(v["unparsed"], 0, "{v:#}");
    let findings = v["findings"].as_array().unwrap();
    let has = |kind: &str, subject: &str| {
        findings
            .iter()
            .any(|f| f["kind"] == kind && (subject.is_empty() || f["subject"] == subject))
    };
    assert!(has("always_fails", "127.0.0.5"), "{v:#}");
    assert!(!has("always_fails", "127.0.0.6"), "{v:#}");
    assert!(has("always_fails", "198.51.100.7"), "{v:#}");
    assert!(!has("always_fails", "127.0.0.8"), "{v:#}");
    assert!(has("secret_in_log", ""), "{v:#}");
    // Caddy logs the request's headers: the agent of the refused requests.
    assert_eq!(
        v["rejected_agents"],
        json!([["orders-sync/2.1", 11]]),
        "{v:#}"
    );
    // The balancer named as the proxy in front: its clients are still
    // named by the header; a proxy named that is not the peer leaves the
    // header unbelieved, and the balancer is the client.
    let trusting = |nets: &str| {
        let out = authdoctor()
            .args(["logs", "--json", "--trusted-proxies", nets])
            .arg(&log)
            .output()
            .unwrap();
        util::json_out(&out, 1)["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["kind"] == "always_fails")
            .map(|f| f["subject"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let named = trusting("127.0.0.8");
    assert!(named.iter().any(|s| s == "198.51.100.7"), "{named:?}");
    let named = trusting("10.0.0.0/8");
    assert!(!named.iter().any(|s| s == "198.51.100.7"), "{named:?}");
    // Held to another format, none of its lines is read: bad input, with
    // the first line's start shown masked.
    let out = authdoctor()
        .args(["logs", "--json", "--log-format", "combined"])
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("None of the 14 non-empty lines"), "{err}");
    assert!(!err.contains("Caddy-Secret-Marker"), "{err}");
}

/// The same log of two machines, each in its folder: the folder is the
/// node. One machine's logs of two kinds are not two nodes.
#[test]
fn the_same_log_of_two_machines_finds_the_outlier_node() {
    let root = std::env::temp_dir().join(format!("authdoctor-logs-nodes-{}", std::process::id()));
    let line = |i: u32, status: u16| {
        format!(
            "10.0.{}.{} - - [26/Nov/2026:17:{:02}:{:02} +0000] \"GET /orders HTTP/1.1\" {status} 2 \"-\" \"curl/8.5.0\"\n",
            i / 200,
            i % 200 + 1,
            i / 60 % 60,
            i % 60
        )
    };
    let (a, b) = (root.join("node-a"), root.join("node-b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let good: String = (0..60).map(|i| line(i, 200)).collect();
    let half: String = (0..60)
        .map(|i| line(1000 + i, if i % 2 == 0 { 401 } else { 200 }))
        .collect();
    std::fs::write(a.join("access.log"), &good).unwrap();
    std::fs::write(b.join("access.log.1"), &half).unwrap();
    // The subjects of the node findings for these files.
    let outliers = |files: [std::path::PathBuf; 2]| -> Vec<String> {
        let out = authdoctor()
            .args(["logs", "--json"])
            .args(files)
            .output()
            .unwrap();
        assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["kind"] == "node_outlier")
            .map(|f| f["subject"].as_str().unwrap().to_owned())
            .collect()
    };
    let nodes = outliers([a.join("access.log"), b.join("access.log.1")]);
    assert_eq!(nodes.len(), 1, "{nodes:?}");
    assert!(nodes[0].ends_with("node-b"), "{nodes:?}");
    // Two kinds of log of one machine: no nodes.
    std::fs::write(a.join("reject.jsonl"), &half).unwrap();
    assert_eq!(
        outliers([a.join("access.log"), a.join("reject.jsonl")]),
        Vec::<String>::new()
    );
    let _ = std::fs::remove_dir_all(&root);
}

/// Two Apache nodes behind one name, one of them with its clock ten minutes
/// ahead (Debian's faketime): it refuses as expired the tokens its peer
/// accepts, and its folder's logs say so.
#[test]
fn two_apache_nodes_one_with_a_skewed_clock() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (lab, info, jwks) = lab_and_keys(&rt);
    let (a, b) = (
        util::oauth20_apache(&jwks, "a", None),
        util::oauth20_apache(&jwks, "b", Some("+10m")),
    );
    // The lab's five-minute token: valid here, expired ten minutes ahead.
    let token = util::example_token(&info, "clock.skew");
    let client = reqwest::Client::new();
    let send = |port: u16| {
        rt.block_on(async {
            client
                .get(format!("http://127.0.0.1:{port}/api/orders"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    };
    for _ in 0..24 {
        assert_ne!(send(a.port), 401);
        assert_eq!(send(b.port), 401);
    }
    for ap in [&a, &b] {
        wait_for_lines(&ap.dir.join("access.log"), 24);
    }
    let out = authdoctor()
        .args(["logs", "--json"])
        .args([a.dir.join("access.log"), a.dir.join("error.log")])
        .args([b.dir.join("access.log"), b.dir.join("error.log")])
        .output()
        .unwrap();
    let v = util::json_out(&out, 1);
    let node = finding(&v, "node_outlier");
    assert_eq!(node["subject"], b.dir.display().to_string(), "{v:#}");
    assert_eq!(node["cause"], "clock.skew", "{v:#}");
    assert_eq!(node["count"], 24, "{v:#}");
    rt.block_on(lab.shutdown());
}

/// Debian's HAProxy refusing an admin path with 401, its HTTP log written
/// raw to standard output: a client that always fails is found by its
/// address, the others pass.
#[test]
fn a_real_haproxy_http_log() {
    let Some(bin) = installed("haproxy") else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("authdoctor-logs-haproxy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = util::free_port();
    std::fs::write(
        dir.join("haproxy.cfg"),
        format!(
            "global\n  log stdout format raw local0\n\
             defaults\n  mode http\n  log global\n  option httplog\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n\
             frontend api\n  bind 127.0.0.1:{port}\n\
             \x20 http-request deny deny_status 401 if {{ path_beg /admin }} !{{ req.hdr(authorization) -m str \"Bearer good\" }}\n\
             \x20 http-request return status 200 content-type text/plain string ok\n"
        ),
    )
    .unwrap();
    let log = dir.join("haproxy.log");
    let mut child = std::process::Command::new(&bin)
        .arg("-f")
        .arg(dir.join("haproxy.cfg"))
        .stdin(std::process::Stdio::null())
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    util::wait_for_port(&mut child, port, None);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let send = |from: [u8; 4], path: &str, token: &str| {
        rt.block_on(util::bearer_get(
            from,
            &format!("http://127.0.0.1:{port}{path}"),
            token,
        ))
    };
    for _ in 0..6 {
        assert_eq!(send([127, 0, 0, 5], "/admin/users", "stale"), 401);
    }
    assert_eq!(send([127, 0, 0, 6], "/admin/users", "good"), 200);
    assert_eq!(send([127, 0, 0, 6], "/orders", "good"), 200);
    wait_for_lines(&log, 8);
    let _ = child.kill();
    let _ = child.wait();
    let v = report_of(&[&log]);
    assert_eq!(v["formats"]["haproxy"], 8, "{v:#}");
    assert_eq!(v["statuses"]["401"], 6, "{v:#}");
    let always: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "always_fails")
        .collect();
    assert_eq!(always.len(), 1, "{v:#}");
    assert_eq!(always[0]["subject"], "127.0.0.5", "{v:#}");
    assert_eq!(v["rejected_routes"], json!([["/admin/users", 6]]), "{v:#}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Debian's lighttpd with Basic authentication (mod_auth, htpasswd file),
/// each client from an address of its own: a stuffing run, a client with a
/// stale password, users who sign in, and a brute force on one account
/// spread over addresses. Its access log names no refused user (`-`); its
/// error log does (`password doesn't match for /admin/ username: u1 IP:
/// 127.0.0.9`): read together, the users come from the one and the
/// requests from the other; read alone, the error log tells both.
#[test]
fn a_real_lighttpd_log_with_stuffing_a_stale_password_and_a_brute_force() {
    let Some(bin) = installed("lighttpd") else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("authdoctor-logs-lighttpd-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("www/admin")).unwrap();
    std::fs::write(dir.join("www/admin/index.html"), "ok").unwrap();
    // htpasswd's SHA-1 form of "wonderland" ({SHA}base64(sha1)).
    let sha =
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, b"wonderland");
    let b64 = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(sha.as_ref())
    };
    std::fs::write(
        dir.join("users"),
        format!("alice:{{SHA}}{b64}\nbob:{{SHA}}{b64}\n"),
    )
    .unwrap();
    let port = util::free_port();
    let d = dir.display();
    std::fs::write(
        dir.join("lighttpd.conf"),
        format!(
            "server.document-root = \"{d}/www\"\nserver.port = {port}\nserver.bind = \"127.0.0.1\"\n\
             server.errorlog = \"{d}/error.log\"\naccesslog.filename = \"{d}/access.log\"\n\
             server.modules = (\"mod_auth\", \"mod_authn_file\", \"mod_accesslog\")\n\
             index-file.names = (\"index.html\")\n\
             auth.backend = \"htpasswd\"\nauth.backend.htpasswd.userfile = \"{d}/users\"\n\
             auth.require = ( \"/admin\" => ( \"method\" => \"basic\", \"realm\" => \"admin\", \"require\" => \"valid-user\" ) )\n"
        ),
    )
    .unwrap();
    let mut child = std::process::Command::new(&bin)
        .args(["-D", "-f"])
        .arg(dir.join("lighttpd.conf"))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    util::wait_for_port(&mut child, port, None);
    let rt = tokio::runtime::Runtime::new().unwrap();
    // lighttpd answers a refusal after a second (its brute-force delay):
    // the requests are sent side by side.
    let mut asks: Vec<([u8; 4], String, String, u16)> = Vec::new();
    // Stuffing: 25 users from one address.
    for i in 0..25 {
        asks.push(([127, 0, 0, 9], format!("user{i}"), "guess".into(), 401));
    }
    // A client whose password went stale.
    for _ in 0..6 {
        asks.push(([127, 0, 0, 5], "alice".into(), "old-password".into(), 401));
    }
    // Users who sign in.
    for a in 2..5 {
        asks.push(([127, 0, 0, a], "alice".into(), "wonderland".into(), 200));
    }
    // bob's account tried from twelve addresses, once each.
    for a in 20..32 {
        asks.push(([127, 0, 0, a], "bob".into(), format!("try{a}"), 401));
    }
    rt.block_on(async {
        let mut all = tokio::task::JoinSet::new();
        for (from, user, password, want) in asks {
            all.spawn(async move {
                let got = util::basic_get(from, port, "/admin/", &user, &password).await;
                assert_eq!(got, want, "{user} from {from:?}");
            });
        }
        while let Some(r) = all.join_next().await {
            r.unwrap();
        }
    });
    let (access, error) = (dir.join("access.log"), dir.join("error.log"));
    // lighttpd writes its access log from a buffer it flushes now and
    // then (and on a graceful stop): up to 15 s for it, then a TERM.
    for _ in 0..300 {
        let n = std::fs::read_to_string(&access)
            .unwrap_or_default()
            .lines()
            .count();
        if n >= 46 {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    wait_for_lines_with(&error, "password doesn't match", 43);
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    // Together: the access log counts the requests, the error log names
    // the users and why.
    let v = report_of(&[&access, &error]);
    assert_eq!(v["statuses"]["401"], 43, "{v:#}");
    assert_eq!(v["unparsed"], 0, "{v:#}");
    let stuffing = finding(&v, "credential_stuffing");
    assert_eq!(stuffing["subject"], "127.0.0.9", "{v:#}");
    assert_eq!(stuffing["count"], 25, "{v:#}");
    assert!(
        stuffing["summary"]
            .as_str()
            .unwrap()
            .contains("25 distinct"),
        "{v:#}"
    );
    let stale = finding(&v, "always_fails");
    assert_eq!(stale["subject"], "127.0.0.5", "{v:#}");
    assert_eq!(stale["cause"], "credentials.invalid", "{v:#}");
    assert_eq!(stale["examples"], json!(["alice"]), "{v:#}");
    // Alone, the error log tells the requests too, and the account tried
    // from everywhere.
    let v = report_of(&[&error]);
    assert_eq!(v["counted_from"], "error lines", "{v:#}");
    assert_eq!(
        finding(&v, "credential_stuffing")["subject"],
        "127.0.0.9",
        "{v:#}"
    );
    let brute = finding(&v, "distributed_bruteforce");
    assert_eq!(brute["subject"], "bob", "{v:#}");
    assert_eq!(brute["count"], 12, "{v:#}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_stale_client_secret_and_a_dead_refresh_token_at_a_real_identity_provider() {
    // The npm oidc-provider behind Debian's nginx (its `main` format: the
    // clients named by the X-Forwarded-For a balancer would write).
    let Some(node) = util::node_with("oidc-provider") else {
        return;
    };
    let idp_port = util::free_port();
    let mut idp = std::process::Command::new("node")
        .arg("idp.mjs")
        .arg(idp_port.to_string())
        .current_dir(&node)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let Some((nginx, port)) = nginx_with(
        "{dir}/access.log main",
        &format!(
            "proxy_pass http://127.0.0.1:{idp_port}; proxy_set_header X-Forwarded-For $http_x_forwarded_for;"
        ),
    ) else {
        let _ = idp.kill();
        let _ = idp.wait();
        return;
    };
    util::wait_for_port(&mut idp, idp_port, None);
    // Ready when it serves its discovery document through nginx: a port
    // that accepts is not yet a provider that answers (on a loaded machine
    // its first token request was once answered 500).
    let discovery =
        "GET /.well-known/openid-configuration HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let ready = (0..300).any(|_| {
        let ok = exchange(port, discovery) == 200;
        if !ok {
            std::thread::sleep(Duration::from_millis(100));
        }
        ok
    });
    assert!(
        ready,
        "oidc-provider did not serve its discovery document through nginx in 30 s"
    );
    use base64::Engine;
    let basic = |secret: &str| {
        base64::engine::general_purpose::STANDARD.encode(format!("logs-cli:{secret}"))
    };
    let token_with = |from: &str, secret: &str, body: &str| {
        exchange(
            port,
            &format!(
                "POST /token HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {}\r\nX-Forwarded-For: {from}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                basic(secret),
                body.len()
            ),
        )
    };
    let token = |from: &str, secret: &str| {
        token_with(
            from,
            secret,
            "grant_type=client_credentials&scope=read%3Aorders",
        )
    };
    // A client still configured with the secret the provider rotated away.
    for _ in 0..8 {
        assert_eq!(token("198.51.100.7", "the-old-secret-0123456789abcd"), 401);
    }
    // Its neighbour with the right secret, once wrong.
    assert_eq!(token("198.51.100.8", "the-old-secret-0123456789abcd"), 401);
    for _ in 0..3 {
        assert_eq!(token("198.51.100.8", "logs-secret-0123456789abcdef"), 200);
    }
    // A client whose refresh token is dead (here never issued): the
    // provider answers 400 invalid_grant.
    for _ in 0..6 {
        let status = token_with(
            "198.51.100.9",
            "logs-secret-0123456789abcdef",
            "grant_type=refresh_token&refresh_token=dead-0123456789",
        );
        assert_eq!(status, 400);
    }
    // A client sending a token the provider never issued to its userinfo.
    for _ in 0..6 {
        let status = exchange(
            port,
            "GET /me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer never-issued-0123456789\r\nX-Forwarded-For: 203.0.113.4\r\nConnection: close\r\n\r\n",
        );
        assert_eq!(status, 401);
    }
    let log = nginx.dir.join("access.log");
    wait_for_lines(&log, 24);
    drop(idp.stdin.take());
    let _ = idp.wait();
    let v = report_of(&[&log]);
    let always: Vec<(&str, &str)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "always_fails")
        .map(|f| (f["subject"].as_str().unwrap(), f["cause"].as_str().unwrap()))
        .collect();
    assert!(
        always.contains(&("198.51.100.7", "client.invalid")),
        "{v:#}"
    );
    assert!(
        always.contains(&("203.0.113.4", "credentials.invalid")),
        "{v:#}"
    );
    assert!(
        always.contains(&("198.51.100.9", "refresh.failed")),
        "{v:#}"
    );
    assert!(
        !always.iter().any(|(who, _)| *who == "198.51.100.8"),
        "{v:#}"
    );
    let stale = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["subject"] == "198.51.100.7")
        .unwrap();
    assert!(
        stale["summary"]
            .as_str()
            .unwrap()
            .contains("token endpoint"),
        "{stale:#}"
    );
}

/// What a tests/node app writes to its handshake file once it listens (its
/// port, its test tokens): waited for, 10 s at most.
fn handshake_of(path: &std::path::Path) -> Value {
    for _ in 0..200 {
        if let Ok(v) = serde_json::from_slice(&std::fs::read(path).unwrap_or_default()) {
            return v;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Value::Null
}

/// An Express API logged as most are: morgan's coloured `dev` lines and
/// express-jwt's errors printed with console.error (stack and Node's
/// properties after it), both streams in one file (tests/node, the npm
/// packages themselves). Every line is read; each refusal's reason is
/// found in the packages' own words.
#[test]
fn a_real_express_apps_output_with_morgan_and_express_jwt() {
    let Some(node) = util::node_with("morgan") else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("authdoctor-logs-express-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (log, handshake) = (dir.join("app.log"), dir.join("handshake.json"));
    let out = std::fs::File::create(&log).unwrap();
    let mut child = std::process::Command::new("node")
        .arg("express-logged.mjs")
        .arg("a-test-secret-of-thirty-two-bytes!!")
        .arg(&handshake)
        .current_dir(&node)
        .stdin(std::process::Stdio::piped())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .unwrap();
    let hello = handshake_of(&handshake);
    let port = hello["port"].as_u64().expect("the app's handshake");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let send = |token: Option<&str>| {
        rt.block_on(async {
            let mut r = reqwest::Client::new().get(format!("http://127.0.0.1:{port}/api/orders"));
            if let Some(t) = token {
                r = r.bearer_auth(t);
            }
            r.send().await.unwrap().status().as_u16()
        })
    };
    assert_eq!(send(None), 401);
    assert_eq!(send(Some("not.a.jwt")), 401);
    assert_eq!(send(hello["expired"].as_str()), 401);
    assert_eq!(send(hello["valid"].as_str()), 200);
    wait_for_lines(&log, 40);
    drop(child.stdin.take());
    let _ = child.wait();
    let out = authdoctor()
        .args(["logs", "--json"])
        .arg(&log)
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["unparsed"], 0, "{v:#}");
    assert_eq!(v["formats"]["morgan"], 4, "{v:#}");
    assert_eq!(v["statuses"], json!({"200": 1, "401": 3}), "{v:#}");
    let reasons: Vec<&str> = reasons_of(&v).into_iter().map(|(c, _)| c).collect();
    for want in ["credentials.missing", "token.malformed", "token.expired"] {
        assert!(reasons.contains(&want), "{want}: {v:#}");
    }
    // One refusal, one reason: Node prints the error's inner error indented
    // under it (`inner: TokenExpiredError: jwt expired`), part of the same
    // report.
    let counted: u64 = v["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["count"].as_u64().unwrap())
        .sum();
    assert_eq!(counted, 3, "{v:#}");
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains(hello["expired"].as_str().unwrap()),
        "a token in clear"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// An Express API guarded by Auth0's express-oauth2-jwt-bearer and logged
/// by pino-http (tests/node, the npm packages themselves), its JSON lines
/// in a file: each client that always fails is named with the cause the
/// challenge pino-http logged gives (`'exp' claim timestamp check
/// failed`, `Unexpected 'aud' value`, jose's malformed-token words, no
/// error and no Authorization sent); a client that succeeds is not; and
/// the Authorization headers pino-http logs by default are a secret in the
/// log, reported without the token.
#[test]
fn a_real_express_app_logged_by_pino_http_names_each_clients_cause() {
    let Some(v) = express_json_log("pino-http", "pino") else {
        return;
    };
    let always: std::collections::BTreeMap<&str, &str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "always_fails")
        .map(|f| {
            (
                f["subject"].as_str().unwrap(),
                f["cause"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(
        always,
        [
            ("127.0.0.2", "token.expired"),
            ("127.0.0.3", "token.audience_mismatch"),
            ("127.0.0.4", "credentials.missing"),
            ("127.0.0.5", "token.malformed"),
        ]
        .into_iter()
        .collect(),
        "{v:#}"
    );
    // Each refusal whose challenge says why is heard (six each); the
    // requests that sent no credentials are not reasons.
    let said: std::collections::BTreeMap<&str, u64> = v["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["cause"].as_str().unwrap(), r["count"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        said,
        [
            ("token.audience_mismatch", 6),
            ("token.expired", 6),
            ("token.malformed", 6)
        ]
        .into_iter()
        .collect(),
        "{v:#}"
    );
}

/// The same Express API logged by express-winston with winston's JSON
/// format (npm packages express-winston and winston): the request under
/// `meta.req` and the status under `meta.res` are read; this logger names
/// no client and logs no response header, so it counts the refusals on
/// their route, and finds the Authorization headers it logs by default.
#[test]
fn a_real_express_app_logged_by_express_winston() {
    let Some(v) = express_json_log("express-winston", "winston") else {
        return;
    };
    assert_eq!(v["formats"]["json"], 31, "{v:#}");
    assert_eq!(v["rejected_routes"], json!([["/api/orders", 24]]), "{v:#}");
}

/// The `authdoctor logs --json` report of the Express API of
/// tests/node/express-pino.mjs logged by `logger` (`pino` or `winston`,
/// npm `package` the test needs), after five clients from addresses of
/// their own sent six requests each: one with an expired token, one with a
/// token for another audience, one with none, one with a malformed one,
/// one with a valid token. Whatever the logger, every line is read, every
/// status counted, the logged Authorization headers are a secret in the
/// log, and no token is in the report. `None` where the npm packages are
/// not installed and the run allows skipping.
fn express_json_log(package: &str, logger: &str) -> Option<Value> {
    let node = util::node_with(package)?;
    let dir = std::env::temp_dir().join(format!("authdoctor-logs-{logger}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (log, handshake) = (dir.join("api.log"), dir.join("handshake.json"));
    let mut child = std::process::Command::new("node")
        .arg("express-pino.mjs")
        .arg(&handshake)
        .arg(logger)
        .current_dir(&node)
        .stdin(std::process::Stdio::piped())
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let hello = handshake_of(&handshake);
    let port = hello["port"].as_u64().expect("the app's handshake");
    let rt = tokio::runtime::Runtime::new().unwrap();
    // Each client from a loopback address of its own, six requests each.
    let clients: [([u8; 4], Option<&str>, u16); 5] = [
        ([127, 0, 0, 2], hello["expired"].as_str(), 401),
        ([127, 0, 0, 3], hello["other"].as_str(), 401),
        ([127, 0, 0, 4], None, 401),
        ([127, 0, 0, 5], Some("not-a-jwt.at-all.x"), 401),
        ([127, 0, 0, 6], hello["valid"].as_str(), 200),
    ];
    rt.block_on(async {
        for (from, token, want) in clients {
            for _ in 0..6 {
                let mut r =
                    util::client_from(from).get(format!("http://127.0.0.1:{port}/api/orders"));
                if let Some(t) = token {
                    r = r.bearer_auth(t);
                }
                assert_eq!(r.send().await.unwrap().status().as_u16(), want, "{from:?}");
            }
        }
    });
    wait_for_lines(&log, 31);
    drop(child.stdin.take());
    let _ = child.wait();
    let out = authdoctor()
        .args(["logs", "--json"])
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["unparsed"], 0, "{v:#}");
    // The six, and the API's own fetch of its key set.
    assert_eq!(v["statuses"], json!({"200": 7, "401": 24}), "{v:#}");
    let secret = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "secret_in_log")
        .expect("the logged Authorization headers");
    assert_eq!(secret["count"], 24, "{secret:#}");
    let text = String::from_utf8_lossy(&out.stdout);
    for t in ["expired", "other", "valid"] {
        assert!(
            !text.contains(hello[t].as_str().unwrap()),
            "the {t} token in clear"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    Some(v)
}

/// Python's three most common API servers as people run them (uvicorn
/// under FastAPI, Flask's Werkzeug, Django's runserver; tests/python, the
/// PyPI packages themselves), each logging as it does by default to its
/// own file: a stale client that keeps sending an expired token (each
/// refusal logged with its traceback), six that succeed, and a token in a
/// URL. Every request line is read, with its
/// time where the server writes one, and each log's findings are the ones
/// its lines can show (Django's name no client, so no client's).
#[test]
fn real_uvicorn_flask_and_django_logs() {
    let python = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/python/.venv/bin/python");
    if !util::installed("tests/python", python.exists()) {
        return;
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (lab, info, _) = lab_and_keys(&rt);
    let jwks = format!("{}/jwks", info["issuers"]["prod"].as_str().unwrap());
    let (expired, valid) = (
        util::example_token(&info, "token.expired"),
        util::example_token(&info, "token.scope_insufficient"),
    );
    let dir = std::env::temp_dir().join(format!("authdoctor-logs-python-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for server in ["uvicorn", "flask", "django"] {
        let log = dir.join(format!("{server}.log"));
        let out = std::fs::File::create(&log).unwrap();
        let port = util::free_port();
        let mut child = std::process::Command::new(&python)
            .arg(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../../tests/python/logged.py"),
            )
            .args([server, &port.to_string(), &jwks])
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap();
        util::wait_for_port(&mut child, port, Some(&log));
        let send = |from: u8, path: &str, token: &str| {
            let url = format!("http://127.0.0.1:{port}{path}");
            rt.block_on(util::bearer_get([127, 0, 0, from], &url, token))
        };
        for _ in 0..6 {
            assert_eq!(send(9, "/api/orders", &expired), 401, "{server}");
        }
        for from in 2..8 {
            assert_eq!(send(from, "/api/orders", &valid), 200, "{server}");
        }
        assert_eq!(
            send(2, &format!("/api/orders?access_token={valid}"), &valid),
            200,
            "{server}"
        );
        wait_for_lines_with(&log, "/api/orders", 13);
        let _ = child.kill();
        let _ = child.wait();
        let out = authdoctor()
            .args(["logs", "--json"])
            .arg(&log)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{server}: {out:?}");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            v["statuses"],
            json!({"200": 7, "401": 6}),
            "{server}: {v:#}"
        );
        let format = if server == "flask" {
            "combined"
        } else {
            "python"
        };
        assert_eq!(v["formats"][format], 13, "{server}: {v:#}");
        // Each refusal's traceback (PyJWT's raise, then the exception's
        // line closing it) is one reason, in PyJWT's words.
        assert_eq!(
            v["reasons"],
            json!([{"cause": "token.expired", "family": "PyJWT", "count": 6, "example": v["reasons"][0]["example"]}]),
            "{server}: {v:#}"
        );
        assert!(
            finding(&v, "secret_in_log")["count"] == 1,
            "{server}: {v:#}"
        );
        let kinds: Vec<&str> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["kind"].as_str().unwrap())
            .collect();
        if server == "django" {
            // No address in its lines: no client is blamed, the time is read.
            assert!(!kinds.contains(&"always_fails"), "{v:#}");
            assert!(v["window"].is_array(), "{v:#}");
        } else {
            assert_eq!(finding(&v, "always_fails")["subject"], "127.0.0.9", "{v:#}");
            assert_eq!(v["window"].is_array(), server == "flask", "{v:#}");
        }
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!text.contains(&valid[20..60]), "{server}: a token in clear");
    }
    rt.block_on(lab.shutdown());
    let _ = std::fs::remove_dir_all(&dir);
}

/// A Go API checking tokens with go-oidc (Debian's coreos/go-oidc over
/// square/go-jose; tests/go/oidc-api, built by scripts/test) and logging
/// each refusal with Go's log package: its times (`2026/11/27 10:00:00`)
/// are read, every refusal's cause is found in go-oidc's own words, and a
/// stale client is found by the addresses the lines name, from the error
/// log alone.
/// The Go service's stale client, found in its report `v`: the address
/// that always fails, its cause the error lines', on the one route.
fn the_go_services_stale_client(v: &Value) {
    let always = finding(v, "always_fails");
    assert_eq!(
        (&always["subject"], &always["cause"]),
        (&json!("127.0.0.9"), &json!("token.expired")),
        "{v:#}"
    );
    assert_eq!(v["rejected_routes"], json!([["/api/orders", 11]]), "{v:#}");
}

/// The Go test server `name` (tests/go, built by scripts/test into
/// target/go); `None` where it is not built and the run allows skipping.
fn go_server(name: &str) -> Option<std::path::PathBuf> {
    let bin = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/go")
        .join(name);
    let what = format!("target/go/{name} (built from Debian's golang-go, go-oidc and grpc-go)");
    util::installed(&what, bin.exists()).then_some(bin)
}

/// The audience a token names (its first, where it names several).
fn audience_of(token: &str) -> String {
    let payload = token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
            .unwrap(),
    )
    .unwrap();
    match &claims["aud"] {
        Value::Array(a) => a[0].as_str().unwrap().to_owned(),
        a => a.as_str().unwrap().to_owned(),
    }
}

#[test]
fn a_real_go_oidc_services_log() {
    let Some(bin) = go_server("oidc-api") else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (lab, info, _) = lab_and_keys(&rt);
    let issuer = info["issuers"]["prod"].as_str().unwrap().to_owned();
    let valid = util::example_token(&info, "token.scope_insufficient");
    let audience = audience_of(&valid);
    let dir = std::env::temp_dir().join(format!("authdoctor-logs-go-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("api.log");
    let access = dir.join("access.log");
    let port = util::free_port();
    let mut child = std::process::Command::new(&bin)
        .args([&port.to_string(), &issuer, &audience])
        .stdout(std::fs::File::create(&access).unwrap())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    util::wait_for_port(&mut child, port, Some(&log));
    let url = format!("http://127.0.0.1:{port}/api/orders");
    let send =
        |from: u8, token: &str| rt.block_on(util::bearer_get([127, 0, 0, from], &url, token));
    assert_eq!(send(1, &valid), 200);
    let refused = [
        ("token.expired", "token.expired"),
        ("token.audience_mismatch", "token.audience_mismatch"),
        ("token.issuer_mismatch", "token.issuer_mismatch"),
        ("token.signature_invalid", "token.signature_invalid"),
        ("token.malformed", "token.malformed"),
    ];
    for (example, _) in refused {
        assert_eq!(
            send(1, &util::example_token(&info, example)),
            401,
            "{example}"
        );
    }
    // A client that keeps sending its expired token, from its own address.
    let expired = util::example_token(&info, "token.expired");
    for _ in 0..6 {
        assert_eq!(send(9, &expired), 401);
    }
    wait_for_lines_with(&log, "unauthorized", refused.len() + 6);
    let _ = child.kill();
    let _ = child.wait();
    let out = authdoctor()
        .args(["logs", "--json"])
        .arg(&log)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let reasons = reasons_of(&v);
    for (_, cause) in refused {
        assert!(
            reasons
                .iter()
                .any(|(c, f)| *c == cause && f.starts_with("go-")),
            "{cause}: {v:#}"
        );
    }
    assert!(v["window"].is_array(), "Go's log times: {v:#}");
    // With no access log, the error lines say who was refused: the stale
    // client is found, with its cause.
    the_go_services_stale_client(&v);
    assert_eq!(v["counted_from"], "error lines", "{v:#}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains(&valid[20..60]), "a token in clear");
    // logrus's request lines (logfmt) beside them: they count the
    // requests, the error lines explain them.
    wait_for_lines(&access, refused.len() + 7);
    let v = report_of(&[&access, &log]);
    assert_eq!(v["formats"]["logfmt"], 12, "{v:#}");
    // Only the service's own start-up line says nothing known.
    assert_eq!(v["unparsed"], 1, "{v:#}");
    assert!(
        v["unparsed_example"]
            .as_str()
            .unwrap()
            .contains("listening on"),
        "{v:#}"
    );
    assert_eq!(v["counted_from"], "access log", "{v:#}");
    assert_eq!(v["statuses"], json!({"200": 1, "401": 11}), "{v:#}");
    assert!(v["window"].is_array(), "logrus's times: {v:#}");
    the_go_services_stale_client(&v);
    rt.block_on(lab.shutdown());
    let _ = std::fs::remove_dir_all(&dir);
}

/// A gRPC service as Go services are built (tests/go/grpc-api: grpc-go,
/// go-grpc-middleware's auth interceptor over go-oidc, and its logrus
/// interceptor logging each call; Debian's packages), its calls logged in
/// logrus's JSON and in its text format (logfmt): each call's code is read
/// as the HTTP status it stands for (UNAUTHENTICATED 401,
/// PERMISSION_DENIED 403), its service and method as the route, its error
/// as the reason (go-oidc's words, and the auth interceptor's for a call
/// with no token), and the client that keeps sending an expired token is
/// found by its peer address.
#[test]
fn a_real_go_grpc_services_log() {
    let Some(bin) = go_server("grpc-api") else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (lab, info, _) = lab_and_keys(&rt);
    let issuer = info["issuers"]["prod"].as_str().unwrap().to_owned();
    let valid = util::example_token(&info, "token.scope_insufficient");
    let audience = audience_of(&valid);
    let dir = std::env::temp_dir().join(format!("authdoctor-logs-grpc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut servers = Vec::new();
    for format in ["json", "text"] {
        let port = util::free_port();
        let log = dir.join(format!("{format}.log"));
        let child = std::process::Command::new(&bin)
            .args(["serve", &port.to_string(), &issuer, &audience])
            .args(["orders:read", format])
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        servers.push((port, log, child));
    }
    // A token without the scope the service asks for.
    let unscoped = rt.block_on(util::mint(&lab, "openid"));
    let calls = [
        (1, valid.clone(), "OK"),
        (
            1,
            util::example_token(&info, "token.expired"),
            "Unauthenticated",
        ),
        (
            1,
            util::example_token(&info, "token.audience_mismatch"),
            "Unauthenticated",
        ),
        (
            1,
            util::example_token(&info, "token.malformed"),
            "Unauthenticated",
        ),
        (1, String::new(), "Unauthenticated"),
        (2, unscoped, "PermissionDenied"),
    ];
    let expired = util::example_token(&info, "token.expired");
    for (port, log, child) in &mut servers {
        util::wait_for_port(child, *port, None);
        let call = |from: u8, token: &str| {
            let auth = if token.is_empty() {
                "-".to_owned()
            } else {
                format!("Bearer {token}")
            };
            let out = std::process::Command::new(&bin)
                .args(["call", &port.to_string(), &from.to_string(), &auth])
                .output()
                .unwrap();
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        for (from, token, code) in &calls {
            let got = call(*from, token);
            assert!(got.starts_with(code), "{code}: {got}");
        }
        // A client that keeps sending its expired token, from its own
        // address.
        for _ in 0..6 {
            assert!(call(9, &expired).starts_with("Unauthenticated"));
        }
        wait_for_lines(log, calls.len() + 6);
        let _ = child.kill();
        let _ = child.wait();
        let v = report_of(&[log]);
        let format = if log.ends_with("json.log") {
            "json"
        } else {
            "logfmt"
        };
        assert_eq!(v["formats"][format], 12, "{v:#}");
        assert_eq!(v["unparsed"], 0, "{v:#}");
        assert_eq!(
            v["statuses"],
            json!({"200": 1, "401": 10, "403": 1}),
            "{v:#}"
        );
        assert_eq!(
            v["rejected_routes"],
            json!([["/grpc.health.v1.Health/Check", 11]]),
            "{v:#}"
        );
        assert_go_oidc_reasons(&v);
        let always = finding(&v, "always_fails");
        assert_eq!(
            (&always["subject"], &always["cause"]),
            (&json!("127.0.0.9"), &json!("token.expired")),
            "{v:#}"
        );
        assert!(v["window"].is_array(), "logrus's times: {v:#}");
    }
    rt.block_on(lab.shutdown());
    let _ = std::fs::remove_dir_all(&dir);
}

/// The log of a Go web framework's own logger (tests/go/web-api, `gin` or
/// `chi`, over go-oidc; Debian's packages), after one valid request, three
/// refused ones and six from a client that keeps sending its expired token
/// from its own address; `lines` the lines to wait for. `None` where
/// web-api is not built and the run allows skipping.
fn go_web_log(framework: &str, lines: usize) -> Option<Value> {
    let bin = go_server("web-api")?;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (lab, info, _) = lab_and_keys(&rt);
    let issuer = info["issuers"]["prod"].as_str().unwrap().to_owned();
    let valid = util::example_token(&info, "token.scope_insufficient");
    let audience = audience_of(&valid);
    let dir = std::env::temp_dir().join(format!(
        "authdoctor-logs-{framework}-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("api.log");
    // A port another test may take first: another one then.
    let (mut child, port) = util::on_a_free_port(|port| {
        let child = std::process::Command::new(&bin)
            .args([framework, &port.to_string(), &issuer, &audience])
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        (child, None)
    });
    let url = format!("http://127.0.0.1:{port}/api/orders");
    a_stale_client_among_others(&info, &valid, 401, |from, token| {
        rt.block_on(util::bearer_get([127, 0, 0, from], &url, token))
    });
    wait_for_lines(&log, lines);
    let _ = child.kill();
    let _ = child.wait();
    let v = report_of(&[&log]);
    rt.block_on(lab.shutdown());
    let _ = std::fs::remove_dir_all(&dir);
    Some(v)
}

/// Ten requests through `send` (from loopback address 127.0.0.N, with a
/// token): from .1 the lab's `valid` token (answered 200) and its expired,
/// other-audience and malformed examples (answered `refused`); then from .9
/// the expired one six times, as a client that never refreshes its token.
fn a_stale_client_among_others(
    info: &Value,
    valid: &str,
    refused: u16,
    send: impl Fn(u8, &str) -> u16,
) {
    assert_eq!(send(1, valid), 200);
    for example in [
        "token.expired",
        "token.audience_mismatch",
        "token.malformed",
    ] {
        assert_eq!(
            send(1, &util::example_token(info, example)),
            refused,
            "{example}"
        );
    }
    let expired = util::example_token(info, "token.expired");
    for _ in 0..6 {
        assert_eq!(send(9, &expired), refused);
    }
}

/// What every Go web framework's log gives (`v`): its ten request lines
/// read, none left over, the statuses, the route, the times, and the client
/// that keeps sending an expired token, by its address.
fn a_go_web_frameworks_requests(v: &Value) {
    assert_eq!(v["formats"]["go_web"], 10, "{v:#}");
    assert_eq!(v["unparsed"], 0, "{v:#}");
    assert_eq!(v["statuses"], json!({"200": 1, "401": 9}), "{v:#}");
    assert_eq!(v["rejected_routes"], json!([["/api/orders", 9]]), "{v:#}");
    assert!(v["window"].is_array(), "the logger's times: {v:#}");
    let always = finding(v, "always_fails");
    assert_eq!(always["subject"], "127.0.0.9", "{v:#}");
}

/// A Gin service (Gin's own logger, a go-oidc check that refuses with
/// AbortWithError): its request lines are read (time, status, client,
/// route), the error Gin writes under each refusal gives its cause in
/// go-oidc's words, and the stale client is found by its address.
#[test]
fn a_real_gin_services_log() {
    // A request line, and an error line under each of the 9 refusals.
    let Some(v) = go_web_log("gin", 1 + 2 * 9) else {
        return;
    };
    a_go_web_frameworks_requests(&v);
    assert_go_oidc_reasons(&v);
}

/// A chi service (chi's middleware.Logger after Go's log time, its
/// request ids; a go-oidc check that refuses with http.Error): its request
/// lines are read as Gin's are.
#[test]
fn a_real_chi_services_log() {
    let Some(v) = go_web_log("chi", 10) else {
        return;
    };
    a_go_web_frameworks_requests(&v);
}

/// An Express API verifying tokens with aws-jwt-verify as its README's
/// Express example does (every failure a 403 "Forbidden", the error
/// printed with console.error, stack and all; tests/node/aws-verify-logged.mjs)
/// and logged by morgan's combined format, both streams in one file: every
/// line is read, each refusal's cause is found in aws-jwt-verify's words,
/// and the client that keeps sending its expired token is found.
#[test]
fn a_real_express_app_with_aws_jwt_verify() {
    let Some(node) = util::node_with("aws-jwt-verify") else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (lab, info, _) = lab_and_keys(&rt);
    let issuer = info["issuers"]["prod"].as_str().unwrap().to_owned();
    let valid = util::example_token(&info, "token.scope_insufficient");
    let dir = std::env::temp_dir().join(format!("authdoctor-logs-aws-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (log, handshake) = (dir.join("app.log"), dir.join("handshake.json"));
    let out = std::fs::File::create(&log).unwrap();
    let mut child = std::process::Command::new("node")
        .arg("aws-verify-logged.mjs")
        .args([&issuer, &audience_of(&valid)])
        .arg(&handshake)
        .current_dir(&node)
        .stdin(std::process::Stdio::piped())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .unwrap();
    let port = handshake_of(&handshake)["port"].as_u64().unwrap();
    let url = format!("http://127.0.0.1:{port}/api/orders");
    a_stale_client_among_others(&info, &valid, 403, |from, token| {
        rt.block_on(util::bearer_get([127, 0, 0, from], &url, token))
    });
    wait_for_lines_with(&log, "\"GET /api/orders", 10);
    drop(child.stdin.take());
    let _ = child.wait();
    let v = report_of(&[&log]);
    assert_eq!(v["unparsed"], 0, "{v:#}");
    assert_eq!(v["formats"]["combined"], 10, "{v:#}");
    assert_eq!(v["statuses"], json!({"200": 1, "403": 9}), "{v:#}");
    let reasons = reasons_of(&v);
    for cause in [
        "token.expired",
        "token.audience_mismatch",
        "token.malformed",
    ] {
        assert!(
            reasons.contains(&(cause, "aws-jwt-verify")),
            "{cause}: {v:#}"
        );
    }
    let always = finding(&v, "always_fails");
    assert_eq!(always["subject"], "127.0.0.9", "{v:#}");
    rt.block_on(lab.shutdown());
    let _ = std::fs::remove_dir_all(&dir);
}
