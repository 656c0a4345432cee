//! Running the real binary in tests.

#![allow(dead_code, clippy::unwrap_used)]

use assert_cmd::Command;
use std::path::PathBuf;

/// The instant the test tokens are judged at (see testdata's generator).
pub const AT: &str = "2026-11-26T17:34:12Z";

/// The repository's testdata folder.
pub fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

/// A test token's text.
pub fn token(name: &str) -> String {
    std::fs::read_to_string(testdata().join("tokens").join(name))
        .unwrap()
        .trim()
        .to_owned()
}

/// The binary, with colour off and a clean environment for it.
pub fn authdoctor() -> Command {
    let mut c = Command::cargo_bin("authdoctor").unwrap();
    c.env("NO_COLOR", "1").env_remove("CLICOLOR_FORCE");
    c
}

/// `authdoctor token` with the test key set and the API's expectations.
pub fn token_cmd(name: &str) -> Command {
    let mut c = authdoctor();
    c.args(["token", "--at", AT, "--jwks"])
        .arg(testdata().join("tokens/jwks.json"))
        .args([
            "--issuer",
            "https://id.example.test/",
            "--audience",
            "https://api.example.test",
            "--scope",
            "orders:write",
            "--client-id",
            "orders-cli",
        ])
        .arg(format!(
            "@{}",
            testdata().join("tokens").join(name).display()
        ));
    c
}

/// A running `authdoctor lab --json --quiet`, stopped when dropped.
pub struct LabProcess {
    /// The process.
    pub child: std::process::Child,
    /// Its JSON line.
    pub info: serde_json::Value,
}

impl Drop for LabProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the lab as a user would and reads its JSON line.
pub fn start_lab() -> LabProcess {
    use std::io::BufRead;
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("authdoctor"))
        .args(["lab", "--json", "--quiet"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = std::io::BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("the lab prints its JSON line");
    LabProcess {
        info: serde_json::from_str(&line).unwrap(),
        child,
    }
}

/// The curl line of a lab example.
pub fn example(info: &serde_json::Value, cause: &str) -> String {
    info["examples"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["cause"] == cause)
        .unwrap()["curl"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The bearer token in a lab example's curl line.
pub fn example_token(info: &serde_json::Value, cause: &str) -> String {
    let line = example(info, cause);
    let after = line
        .split("Bearer ")
        .nth(1)
        .expect("the example sends a Bearer token");
    after.split('"').next().unwrap_or("").to_owned()
}

/// A run's JSON output, once its exit status is `code` (its standard error,
/// then its standard output, in the message when not).
pub fn json_out(out: &std::process::Output, code: i32) -> serde_json::Value {
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The folder of the Node.js test packages when Debian's Chromium and
/// playwright-core are there to drive a real browser; `None` only where the
/// run skips third-party packages on purpose (else the test fails).
pub fn chromium_ready() -> Option<PathBuf> {
    let node = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/node");
    let ready = std::path::Path::new("/usr/bin/chromium").exists()
        && node.join("node_modules/playwright-core").exists();
    if !installed("Chromium or playwright-core", ready) {
        return None;
    }
    Some(node)
}

/// The embedded lab, started on `rt`, and its description as JSON.
pub fn lab_on(rt: &tokio::runtime::Runtime) -> (authdoctor_lab::Lab, serde_json::Value) {
    let lab = rt
        .block_on(authdoctor_lab::Lab::start(
            authdoctor_lab::Options::default(),
        ))
        .unwrap();
    let info = serde_json::to_value(lab.info()).unwrap();
    (lab, info)
}

/// A port free on loopback now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A client whose requests leave from loopback address `from`: each test
/// client an address of its own, as servers log and limit them.
pub fn client_from(from: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(std::net::IpAddr::from(from))
        .build()
        .unwrap()
}

/// The status of `GET url` with `token` as its bearer token, from
/// loopback address `from`.
pub async fn bearer_get(from: [u8; 4], url: &str, token: &str) -> u16 {
    client_from(from)
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The status of `GET path` on loopback `port`, with Basic credentials,
/// from loopback address `from`: one plain HTTP/1.1 exchange on a socket
/// bound to that address (cheaper than a client per address, which loads
/// the system's roots each time).
pub async fn basic_get(from: [u8; 4], port: u16, path: &str, user: &str, password: &str) -> u16 {
    use base64::Engine;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = tokio::net::TcpSocket::new_v4().unwrap();
    s.bind((std::net::Ipv4Addr::from(from), 0).into()).unwrap();
    let mut c = s.connect(([127, 0, 0, 1], port).into()).await.unwrap();
    let creds = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    c.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic {creds}\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    )
    .await
    .unwrap();
    // The status line is all that is read: some servers (lighttpd) linger
    // a second before closing after a refusal.
    let mut out = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        let mut buf = [0u8; 512];
        while !out.windows(2).any(|w| w == b"\r\n") {
            match c.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    String::from_utf8_lossy(&out)
        .get(9..12)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

/// tests/node, where `package` is installed there (by scripts/test), or
/// `None` where the tests are told to go without; missing otherwise is a
/// failure.
pub fn node_with(package: &str) -> Option<std::path::PathBuf> {
    let node = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/node");
    installed(
        "tests/node",
        node.join("node_modules").join(package).exists(),
    )
    .then_some(node)
}

/// A server of tests/node (`script`, run with port 0), where `package` is
/// installed: the process (standard input held open: the script serves
/// until it closes) and the port it printed.
pub fn node_server(script: &str, package: &str) -> Option<(Running, u16)> {
    node_server_with(script, package, &[])
}

/// [`node_server`] with more arguments after the port.
pub fn node_server_with(
    script: &str,
    package: &str,
    args: &[&std::path::Path],
) -> Option<(Running, u16)> {
    use std::io::BufRead;
    let node = node_with(package)?;
    let mut child = std::process::Command::new("node")
        .arg(script)
        .arg("0")
        .args(args)
        .current_dir(&node)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    out.read_line(&mut line).unwrap();
    // What it prints later (oidc-provider logs some errors to standard
    // output) is read and dropped: a closed pipe would kill it (EPIPE).
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    let port = line.trim().parse().unwrap_or_else(|_| {
        let _ = child.kill();
        panic!("{script} printed {line:?}, not its port")
    });
    Some((Running(child), port))
}

#[path = "../../../tests/support/servers.rs"]
mod servers;
#[allow(unused_imports)] // each test crate uses some of util
pub use servers::{installed, listening, wait_for_port};

/// Starts a server on a port [`free_port`] gives: `start(port)` spawns it
/// and names the file its errors go to. A port freed by `free_port` may be
/// taken again before the server binds it (tests start servers side by
/// side): then the server exits at once, and another port is tried, three
/// in all.
pub fn on_a_free_port(
    mut start: impl FnMut(u16) -> (std::process::Child, Option<PathBuf>),
) -> (std::process::Child, u16) {
    let mut failures = Vec::new();
    for _ in 0..3 {
        let port = free_port();
        let (mut child, errors) = start(port);
        match listening(&mut child, port, errors.as_deref()) {
            Ok(()) => return (child, port),
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                failures.push(e);
            }
        }
    }
    panic!("the server did not start: {}", failures.join("; "))
}

/// A server the test started (a tests/node script, a Debian daemon);
/// stopped when dropped.
pub struct Running(pub std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A fresh access token from the lab's prod issuer for its orders API, of
/// `scope` (client credentials of `demo-cli`).
pub async fn mint(lab: &authdoctor_lab::Lab, scope: &str) -> String {
    let v = grant(lab, scope, None).await;
    v["access_token"].as_str().unwrap().to_owned()
}

/// The token endpoint's answer to [`mint`]'s grant, sent with `dpop` (a
/// DPoP proof for the token endpoint) where given: the token is then
/// bound to the proof's key.
pub async fn grant(
    lab: &authdoctor_lab::Lab,
    scope: &str,
    dpop: Option<String>,
) -> serde_json::Value {
    let cli = lab
        .info()
        .clients
        .iter()
        .find(|c| c.client_id == "demo-cli")
        .unwrap()
        .clone();
    let mut req = reqwest::Client::new()
        .post(format!("{}/token", lab.info().issuers["prod"]))
        .basic_auth(&cli.client_id, cli.client_secret.as_deref())
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", scope),
            ("resource", &format!("{}/orders", lab.info().api)),
        ]);
    if let Some(proof) = dpop {
        req = req.header("DPoP", proof);
    }
    req.send().await.unwrap().json().await.unwrap()
}

/// Debian's Apache on loopback, in a folder of its own (which its workers,
/// as www-data, may write to: its logs), with the modules every test needs
/// (the event MPM, authn/authz core and user, mod_auth_openidc), a
/// combined access log and `conf` after them. Stopped, and its folder
/// removed, when dropped.
pub struct Apache {
    /// Its folder: its configuration and logs.
    pub dir: std::path::PathBuf,
    /// The loopback port it listens on.
    pub port: u16,
    child: std::process::Child,
}

/// Starts [`Apache`] for the test `name`, under faketime's `clock` offset
/// (`+10m`) where given, after `prepare` has put what `conf` needs in its
/// folder; `conf` may name the folder as `{dir}` and the port as `{port}`.
/// Waits until it accepts.
pub fn apache(
    name: &str,
    clock: Option<&str>,
    conf: &str,
    prepare: impl FnOnce(&std::path::Path),
) -> Apache {
    let modules = std::path::Path::new("/usr/lib/apache2/modules");
    assert!(
        modules.join("mod_auth_openidc.so").exists(),
        "mod_auth_openidc is not installed: run scripts/test (Debian's libapache2-mod-auth-openidc)"
    );
    let dir = std::env::temp_dir().join(format!("authdoctor-apache-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Apache's children (www-data) write the logs.
    let mut p = std::fs::metadata(&dir).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut p, 0o777);
    std::fs::set_permissions(&dir, p).unwrap();
    prepare(&dir);
    let (child, port) = on_a_free_port(|port| {
        let (m, d) = (modules.display(), dir.display());
        let text = conf
            .replace("{dir}", &d.to_string())
            .replace("{port}", &port.to_string());
        std::fs::write(
            dir.join("httpd.conf"),
            format!(
                r#"ServerRoot "{d}"
ServerName localhost
Listen 127.0.0.1:{port}
PidFile {d}/httpd.pid
ErrorLog {d}/error.log
LogLevel warn
User www-data
Group www-data
LoadModule mpm_event_module {m}/mod_mpm_event.so
LoadModule authn_core_module {m}/mod_authn_core.so
LoadModule authz_core_module {m}/mod_authz_core.so
LoadModule authz_user_module {m}/mod_authz_user.so
LoadModule auth_openidc_module {m}/mod_auth_openidc.so
LogFormat "%h %l %u %t \"%r\" %>s %b \"%{{Referer}}i\" \"%{{User-Agent}}i\"" combined
CustomLog {d}/access.log combined
{text}"#
            ),
        )
        .unwrap();
        // In the foreground, a child of the test (`-k start` waits forever
        // under faketime).
        let mut start = match clock {
            Some(offset) => {
                let mut c = std::process::Command::new("faketime");
                c.args(["-f", offset, "apache2"]);
                c
            }
            None => std::process::Command::new("apache2"),
        };
        let child = start
            .arg("-f")
            .arg(dir.join("httpd.conf"))
            .args(["-D", "FOREGROUND"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(dir.join("stderr.log")).unwrap())
            .spawn()
            .unwrap();
        (child, Some(dir.join("stderr.log")))
    });
    Apache { dir, port, child }
}

impl Drop for Apache {
    fn drop(&mut self) {
        // A graceful stop (its workers with it), then the process itself.
        let _ = std::process::Command::new("apache2")
            .arg("-f")
            .arg(self.dir.join("httpd.conf"))
            .args(["-k", "stop"])
            .status();
        for _ in 0..100 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Debian's Apache with mod_auth_openidc as an OAuth 2.0 resource server
/// (`AuthType oauth20`) on `/api`, trusting the lab's prod keys `jwks`.
/// `node` names its folder; `clock`, a faketime offset (`+10m`) for a
/// node whose clock is off.
pub fn oauth20_apache(jwks: &serde_json::Value, node: &str, clock: Option<&str>) -> Apache {
    // Its keys as PEM files named by kid (it fetches a JWKS only over
    // https), in its folder.
    let keys: Vec<(String, serde_json::Value)> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["kid"].as_str().unwrap().to_owned(), k.clone()))
        .collect();
    let certs: Vec<String> = keys
        .iter()
        .map(|(kid, _)| format!("{kid}#{{dir}}/{kid}.pem"))
        .collect();
    let conf = format!(
        "OIDCCryptoPassphrase only-for-a-test\nOIDCOAuthVerifyCertFiles {}\nOIDCOAuthRemoteUserClaim sub\n<Location /api>\n  AuthType oauth20\n  Require valid-user\n</Location>\n",
        certs.join(" ")
    );
    apache(&format!("logs-{node}"), clock, &conf, |dir| {
        for (kid, k) in &keys {
            let pem = std::process::Command::new("node")
                .args([
                    "-e",
                    "const c=require('crypto');process.stdout.write(c.createPublicKey({key:JSON.parse(process.argv[1]),format:'jwk'}).export({type:'spki',format:'pem'}))",
                    &k.to_string(),
                ])
                .output()
                .unwrap();
            assert!(pem.status.success(), "{pem:?}");
            std::fs::write(dir.join(format!("{kid}.pem")), pem.stdout).unwrap();
        }
    })
}

/// Whether Debian's mod_auth_openidc is installed; missing, a failure
/// unless the tests are told to go without third-party servers.
pub fn mod_auth_openidc_installed() -> bool {
    installed(
        "mod_auth_openidc (Debian's libapache2-mod-auth-openidc)",
        std::path::Path::new("/usr/lib/apache2/modules/mod_auth_openidc.so").exists(),
    )
}

/// The key set an issuer publishes at `{issuer}/jwks` (the lab's).
pub fn jwks_of(rt: &tokio::runtime::Runtime, issuer: &str) -> serde_json::Value {
    rt.block_on(async {
        reqwest::get(format!("{issuer}/jwks"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    })
}
