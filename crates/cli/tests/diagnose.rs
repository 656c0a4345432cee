//! `authdoctor diagnose` and `authdoctor demo` end to end, and hostile
//! servers: each a clear one-line error or a diagnosis, in bounded time.

#![allow(clippy::unwrap_used)]

mod util;

#[path = "../../../tests/support/certs.rs"]
mod certs;

use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};
use util::authdoctor;

/// A server on loopback that answers every connection with `handler`,
/// given the request's first bytes (its head).
/// `authdoctor diagnose --json` with `args` (options, then the URL), given
/// a minute: its output, for the caller to read its status and its JSON.
fn diagnose_json<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> std::process::Output {
    authdoctor()
        .args(["diagnose", "--json"])
        .args(args)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap()
}

fn server(handler: impl Fn(&mut std::net::TcpStream, &str) + Send + Sync + 'static) -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let handler = std::sync::Arc::new(handler);
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            let h = handler.clone();
            std::thread::spawn(move || {
                let mut s = s;
                let mut buf = [0u8; 4096];
                let n = s.read(&mut buf).unwrap_or(0);
                h(&mut s, &String::from_utf8_lossy(&buf[..n]));
            });
        }
    });
    format!("http://{addr}")
}

#[test]
fn the_demo_diagnoses_every_fault() {
    let out = authdoctor()
        .args(["demo", "--json"])
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let v = util::json_out(&out, 0);
    assert_eq!(v["right"], v["total"]);
    assert!(v["total"].as_u64().unwrap() >= 23);
    for f in v["faults"].as_array().unwrap() {
        assert_eq!(f["right"], true, "{f}");
        assert_eq!(f["diagnosed"], f["fault"]);
    }
    let confirmed = |c: &str| {
        v["faults"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["fault"] == c)
            .unwrap()["retry"]
            .clone()
    };
    assert_eq!(confirmed("token.expired")["confirms"], "token.expired");
    assert_eq!(confirmed("token.scope_insufficient")["attempted"], false);
}

#[test]
fn the_demo_human_output_lists_every_fault_then_one_report() {
    let out = authdoctor()
        .arg("demo")
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("23 of 23 faults diagnosed right."), "{text}");
    assert!(text.contains("✓ token.expired"));
    assert!(
        text.contains("\nEvidence\n")
            && text.contains("\nFix\n")
            && text.contains("\nConfirmation\n")
    );
}

#[test]
fn a_silent_server_times_out_clearly() {
    let url = server(|s, _| {
        std::thread::sleep(Duration::from_secs(30));
        let _ = s.write_all(b"");
    });
    let start = Instant::now();
    let out = authdoctor()
        .args(["diagnose", "--timeout", "2", &format!("{url}/x")])
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    assert!(start.elapsed() < Duration::from_secs(15));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("did not answer within 2 s"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1);
}

/// A server that closes a kept-alive connection as the next request
/// arrives on it, without answering it or saying `Connection: close` (an
/// idle timeout's race; a load balancer's): the request goes again once on
/// a fresh connection, as curl sends it, where the method may be repeated.
#[test]
fn a_connection_closed_under_a_request_is_tried_once_more() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let connections = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = connections.clone();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            std::thread::spawn(move || {
                let mut s = s;
                let mut buf = [0u8; 8192];
                let n = s.read(&mut buf).unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).into_owned();
                let answer: &[u8] = if head.starts_with("GET /start ") {
                    b"HTTP/1.1 302 Found\r\nLocation: /orders\r\nContent-Length: 0\r\n\r\n"
                } else {
                    b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"orders\", error=\"invalid_token\", error_description=\"The access token expired\"\r\nContent-Length: 0\r\n\r\n"
                };
                let _ = s.write_all(answer);
                // The next request on this connection: read, then the
                // connection closed under it.
                let _ = s.read(&mut buf);
            });
        }
    });
    let token = util::token("expired.jwt");
    let out = diagnose_json(&[
        "-L".to_owned(),
        "-H".into(),
        format!("Authorization: Bearer {token}"),
        format!("{url}/start"),
    ]);
    let v = util::json_out(&out, 1);
    assert_eq!(v["causes"][0]["id"], "token.expired", "{v}");
    let statuses: Vec<&Value> = v["exchanges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["status"])
        .collect();
    assert_eq!(statuses[..2], [&Value::from(302), &Value::from(401)], "{v}");
    // The redirect's connection, then a fresh one for the request it
    // closed under (and more for the doctor's own experiments).
    assert!(connections.load(std::sync::atomic::Ordering::SeqCst) >= 2);
}

#[test]
fn a_huge_body_is_read_only_in_part() {
    let url = server(|s, _| {
        let _ = s.write_all(b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"x\"\r\nContent-Length: 1073741824\r\n\r\n");
        let chunk = vec![b'a'; 1 << 16];
        for _ in 0..(1 << 14) {
            if s.write_all(&chunk).is_err() {
                return;
            }
        }
    });
    let start = Instant::now();
    let out = authdoctor()
        .args(["diagnose", "--json", &format!("{url}/x")])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert!(start.elapsed() < Duration::from_secs(30));
    let v = util::json_out(&out, 1);
    assert_eq!(v["causes"][0]["id"], "credentials.missing");
}

#[test]
fn a_redirect_loop_is_named() {
    let url = server(|s, _| {
        let _ = s.write_all(b"HTTP/1.1 302 Found\r\nLocation: /again\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    });
    let out = authdoctor()
        .args(["diagnose", "-L", &format!("{url}/start")])
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("redirect loop"), "{err}");
}

#[test]
fn a_redirect_not_followed_is_not_called_a_success() {
    // Without -L the answer is the redirect itself: exit 3 (no
    // authentication failure in it yet), with where it points and how to
    // follow it; the secret in its query masked.
    let url = server(|s, _| {
        let _ = s.write_all(b"HTTP/1.1 307 Temporary Redirect\r\nLocation: /v2/orders?api_key=Redirect-Secret-0123456789\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    });
    let out = authdoctor()
        .args(["diagnose", "--json", &format!("{url}/orders")])
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    let v = util::json_out(&out, 3);
    assert_eq!(v["causes"], serde_json::json!([]));
    let note = v["not_an_auth_failure"].as_str().unwrap_or_default();
    assert!(note.contains("307, a redirect to /v2/orders"), "{note}");
    assert!(note.contains("-L"), "{note}");
    assert!(!v.to_string().contains("Redirect-Secret-0123456789"), "{v}");
}

#[test]
fn a_malformed_challenge_still_gets_a_diagnosis() {
    let url = server(|s, _| {
        let _ = s.write_all(b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"x error=\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    });
    let out = authdoctor()
        .args(["diagnose", "--json", &format!("{url}/x")])
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    let v = util::json_out(&out, 1);
    assert_eq!(v["schema"], "authdoctor.diagnosis/1");
    assert_eq!(v["causes"][0]["id"], "credentials.missing");
}

#[test]
fn nothing_listening_and_bad_urls_are_one_line() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    for args in [
        vec!["diagnose".to_owned(), format!("http://127.0.0.1:{port}/")],
        vec!["diagnose".into(), "ftp://x/".into()],
        vec![
            "diagnose".into(),
            "--curl".into(),
            "curl 'unbalanced".into(),
        ],
        vec!["diagnose".into()],
    ] {
        let out = authdoctor()
            .args(&args)
            .timeout(Duration::from_secs(30))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.starts_with("authdoctor: "), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
    }
}

#[test]
fn a_token_in_the_url_is_masked_in_errors() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    let secret = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzZWNyZXQtdXNlciJ9.c2lnbmF0dXJlLXNlY3JldA";
    let out = authdoctor()
        .args([
            "diagnose",
            &format!("http://127.0.0.1:{port}/x?access_token={secret}"),
        ])
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        !err.contains(secret) && !err.contains("c2lnbmF0dXJlLXNlY3JldA"),
        "{err}"
    );
}

#[test]
fn curl_forms_agree() {
    // The three ways to give a request read the same request.
    let url = server(|s, _| {
        let _ = s.write_all(b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"x\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    });
    let target = format!("{url}/basic");
    let runs = [
        vec![
            "diagnose".to_owned(),
            "--json".into(),
            "-u".into(),
            "alice:wrong".into(),
            target.clone(),
        ],
        vec![
            "diagnose".into(),
            "--json".into(),
            "--curl".into(),
            format!("curl -u alice:wrong {target}"),
        ],
        vec![
            "diagnose".into(),
            "--json".into(),
            "--".into(),
            "curl".into(),
            "-u".into(),
            "alice:wrong".into(),
            target.clone(),
        ],
    ];
    for args in runs {
        let out = authdoctor()
            .args(&args)
            .timeout(Duration::from_secs(30))
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["causes"][0]["id"], "credentials.invalid", "{args:?}");
        assert!(!v.to_string().contains("wrong"), "the password is masked");
    }
}

#[test]
fn an_undetermined_cause_is_exit_3() {
    // An opaque token, no introspection to ask, a bare challenge: nothing
    // client-side explains the 401, and nothing can be checked. The
    // likelier reading (an API that reads JWTs only) comes first, low;
    // the server, with the way to ask the issuer, after it.
    let url = server(|s, _| {
        let _ = s.write_all(b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"x\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    });
    let out = authdoctor()
        .args([
            "diagnose",
            "--json",
            "-H",
            "Authorization: Bearer opaque-0123456789abcdef",
            &format!("{url}/x"),
        ])
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    let v = util::json_out(&out, 3);
    assert_eq!(v["causes"][0]["id"], "token.wrong_type");
    assert_eq!(v["causes"][0]["likelihood"], "low");
    let server = v["causes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "server.misconfigured")
        .expect("server.misconfigured beside it");
    assert_eq!(server["likelihood"], "low");
    assert!(
        server["evidence"].to_string().contains("introspection"),
        "{server}"
    );
    assert!(!v.to_string().contains("opaque-0123456789abcdef"));
}

#[test]
fn every_secret_looking_header_and_parameter_is_masked() {
    // Found in review: a header named like a secret but not like a token
    // (X-Client-Secret) was shown in clear in the JSON request.
    let url = server(|s, _| {
        let _ = s.write_all(b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"x\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    });
    let secrets = [
        "client-secret-0123456789",
        "password-0123456789",
        "refresh-0123456789",
        "session-0123456789",
    ];
    for format in ["json", "human", "markdown"] {
        let out = authdoctor()
            .args([
                "diagnose",
                "--format",
                format,
                "-H",
                &format!("X-Client-Secret: {}", secrets[0]),
                "-b",
                &format!("sid={}", secrets[3]),
            ])
            .arg(format!(
                "{url}/x?password={}&refresh_token={}",
                secrets[1], secrets[2]
            ))
            .timeout(Duration::from_secs(30))
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap() + &String::from_utf8(out.stderr).unwrap();
        for s in secrets {
            assert!(!text.contains(s), "{format}: {s} in clear:\n{text}");
        }
    }
}

/// Apache with mod_auth_openidc as an OpenID Connect relying party (Debian's
/// module, installed by scripts/test), its pages behind the lab's issuer:
/// a request without a session is sent to sign in, at the identity
/// provider's authorization endpoint, and one with a session cookie the
/// module does not accept is too. The doctor reads each as the refusal it
/// is: credentials.missing, then cookie.rejected.
#[test]
fn mod_auth_openidc_as_a_relying_party_sends_to_sign_in() {
    if !util::mod_auth_openidc_installed() {
        return;
    }
    let lab = util::start_lab();
    let prod = lab.info["issuers"]["prod"].as_str().unwrap().to_owned();
    let cli = lab.info["clients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["client_id"] == "demo-cli")
        .unwrap()
        .clone();
    let conf = format!(
        r#"OIDCProviderMetadataURL {prod}/.well-known/openid-configuration
OIDCClientID {id}
OIDCClientSecret {secret}
OIDCRedirectURI http://127.0.0.1:{{port}}/app/redirect_uri
OIDCCryptoPassphrase only-for-a-test
OIDCScope "openid"
<Location /app>
  AuthType openid-connect
  Require valid-user
</Location>
"#,
        id = cli["client_id"].as_str().unwrap(),
        secret = cli["client_secret"].as_str().unwrap(),
    );
    let apache = util::apache("rp", None, &conf, |_| {});
    let url = format!("http://127.0.0.1:{}/app/orders", apache.port);
    let diagnosed = |extra: &[&str]| {
        let out = diagnose_json(&[extra, &[url.as_str()]].concat());
        util::json_out(&out, 1)
    };
    let v = diagnosed(&[]);
    assert_eq!(v["causes"][0]["id"], "credentials.missing", "{v:#}");
    let evidence = v["causes"][0]["evidence"].to_string();
    assert!(
        evidence.contains("sent the request to sign in") && evidence.contains("authorize"),
        "{v:#}"
    );
    let v = diagnosed(&["-H", "Cookie: mod_auth_openidc_session=0a1b2c3d-stale"]);
    assert_eq!(v["causes"][0]["id"], "cookie.rejected", "{v:#}");
    assert_eq!(v["causes"][0]["likelihood"], "high", "{v:#}");
}

/// Apache with mod_auth_openidc as an OAuth 2.0 resource server (`AuthType
/// oauth20`, the lab's prod keys as its certificates, no issuer or
/// audience configured): each of the lab's example tokens that the module
/// refuses is diagnosed as the fault the lab made, though the module says
/// only "JWT token could not be validated" and nobody tells the doctor
/// which issuer it trusts: the staging issuer's valid token is
/// token.issuer_mismatch, not server.misconfigured. A token it lets through
/// to a 404 is no refusal, an ID token included.
#[test]
fn mod_auth_openidc_as_an_oauth2_resource_server() {
    if !util::mod_auth_openidc_installed() {
        return;
    }
    let lab = util::start_lab();
    let prod = lab.info["issuers"]["prod"].as_str().unwrap().to_owned();
    let jwks = util::jwks_of(&tokio::runtime::Runtime::new().unwrap(), &prod);
    let apache = util::oauth20_apache(&jwks, "rs", None);
    let url = format!("http://127.0.0.1:{}/api/orders", apache.port);
    let (mut refused, mut passed, mut wrong) = (0, 0, Vec::new());
    for ex in lab.info["examples"].as_array().unwrap() {
        let cause = ex["cause"].as_str().unwrap();
        let curl = ex["curl"].as_str().unwrap();
        let Some(token) = curl
            .split("Bearer ")
            .nth(1)
            .and_then(|r| r.split('"').next())
        else {
            continue;
        };
        let out = authdoctor()
            .args(["diagnose", "--json", "-H"])
            .arg(format!("Authorization: Bearer {token}"))
            .arg(&url)
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        // What the module let through (its `/api` serves nothing: 404)
        // has no refusal to diagnose, whatever the token's own defects
        // (an ID token, which the module takes): without credentials the
        // same request is refused, so the 404 came after authentication.
        if v["exchanges"][0]["status"] != 401 {
            assert_eq!(v["exchanges"][0]["status"], 404, "{cause}: {v:#}");
            assert_eq!(v["causes"], serde_json::json!([]), "{cause}: {v:#}");
            let note = v["not_an_auth_failure"].as_str().unwrap_or_default();
            assert!(
                note.contains("refused (401)")
                    && note.contains("passed the server's authentication"),
                "{cause}: {note}"
            );
            // What the module tolerated is said all the same.
            if cause == "token.wrong_type" {
                let tolerated = v["tolerated"].to_string();
                assert!(tolerated.contains("ID token"), "{v:#}");
            }
            passed += 1;
            continue;
        }
        refused += 1;
        if v["causes"][0]["id"] != cause {
            wrong.push(format!("{cause}: {:#}", v["causes"]));
        }
    }
    assert!(refused >= 7, "{refused} refused");
    assert!(passed >= 3, "{passed} let through");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Django REST framework with SimpleJWT under Debian's Apache and mod_wsgi
/// (all Debian's packages; tests/python/orders_wsgi.py), as Django's
/// deployment guide has it: mod_wsgi keeps the Authorization header from
/// the application unless `WSGIPassAuthorization On`, so a good token is
/// refused as "Authentication credentials were not provided.". The doctor
/// names the header lost in front of the application, and the fix; with
/// the directive, the same token is accepted.
#[test]
fn an_authorization_header_mod_wsgi_keeps_from_django_is_named() {
    let modules = std::path::Path::new("/usr/lib/apache2/modules");
    let drf = std::path::Path::new("/usr/lib/python3/dist-packages/rest_framework_simplejwt");
    if !util::installed(
        "mod_wsgi or SimpleJWT (Debian's libapache2-mod-wsgi-py3, python3-djangorestframework-simplejwt)",
        modules.join("mod_wsgi.so").exists() && drf.exists(),
    ) {
        return;
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (lab, info) = util::lab_on(&rt);
    let prod = info["issuers"]["prod"].as_str().unwrap().to_owned();
    let token = rt.block_on(util::mint(&lab, "orders:read"));
    let config = serde_json::json!({
        "issuer": prod,
        "jwks_uri": format!("{prod}/jwks"),
        "audience": format!("{}/orders", info["api"].as_str().unwrap()),
    });
    let app =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/python/orders_wsgi.py");
    let serve = |name: &str, pass: &str| {
        let conf = format!(
            "LoadModule wsgi_module {}/mod_wsgi.so\nWSGISocketPrefix {{dir}}/wsgi\nWSGIDaemonProcess orders threads=4\nWSGIProcessGroup orders\nWSGIScriptAlias /api {{dir}}/orders_wsgi.py\n{pass}\n<Directory {{dir}}>\n  Require all granted\n</Directory>\n",
            modules.display()
        );
        util::apache(name, None, &conf, |dir| {
            std::fs::copy(&app, dir.join("orders_wsgi.py")).unwrap();
            std::fs::write(dir.join("orders.json"), config.to_string()).unwrap();
        })
    };
    let diagnose = |port: u16| {
        let out = authdoctor()
            .args(["diagnose", "--json", "--no-retry", "-H"])
            .arg(format!("Authorization: Bearer {token}"))
            .arg(format!("http://127.0.0.1:{port}/api/orders"))
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
        (out.status.code(), v)
    };
    let kept = serve("wsgi-kept", "");
    let (code, v) = diagnose(kept.port);
    assert_eq!(v["exchanges"][0]["status"], 401, "{v:#}");
    let top = &v["causes"][0];
    assert_eq!(top["id"], "server.misconfigured", "{v:#}");
    assert_eq!(top["likelihood"], "high", "{v:#}");
    let text = v.to_string();
    assert!(
        text.contains("did not reach the application") && text.contains("WSGIPassAuthorization On"),
        "{v:#}"
    );
    assert_eq!(code, Some(1));
    // No token in the report.
    assert!(!text.contains(&token), "the token leaked");
    drop(kept);
    let passed = serve("wsgi-passed", "WSGIPassAuthorization On");
    let (code, v) = diagnose(passed.port);
    assert_eq!(v["exchanges"][0]["status"], 200, "{v:#}");
    assert_eq!(code, Some(0));
}

/// Debian's Apache with mod_ssl requiring a client certificate in the TLS
/// handshake (`SSLVerifyClient require`): it ends the handshake with a TLS
/// alert, before any HTTP answer. Without a certificate, and with one its
/// CA did not sign, a one-line error says which (exit 2); with the right
/// one, the request is answered.
#[test]
fn apache_ending_the_handshake_over_a_client_certificate() {
    if !util::mod_auth_openidc_installed() {
        return;
    }
    let m = "/usr/lib/apache2/modules";
    let conf = format!(
        "LoadModule ssl_module {m}/mod_ssl.so\nLoadModule alias_module {m}/mod_alias.so\nSSLEngine on\nSSLCertificateFile {{dir}}/leaf.pem\nSSLCertificateKeyFile {{dir}}/leaf.key\nSSLCACertificateFile {{dir}}/ca.pem\nSSLVerifyClient require\nSSLVerifyDepth 2\nAlias /orders {{dir}}/ok.txt\n<Directory {{dir}}>\n  Require all granted\n</Directory>\n"
    );
    let apache = util::apache("mtls", None, &conf, |dir| {
        certs::make_certs(dir);
        certs::make_client_cert(dir, "client", Some("ca"));
        certs::make_client_cert(dir, "stranger", None);
        std::fs::write(dir.join("ok.txt"), "ok\n").unwrap();
    });
    let d = apache.dir.display().to_string();
    let url = format!("https://127.0.0.1:{}/orders", apache.port);
    let diagnose = |extra: &[&str]| {
        authdoctor()
            .args(["diagnose", "--cacert", &format!("{d}/ca.pem")])
            .args(extra)
            .arg(&url)
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap()
    };
    let none = diagnose(&["-H", "Authorization: Bearer abc.def.ghi"]);
    let err = String::from_utf8_lossy(&none.stderr);
    assert_eq!(none.status.code(), Some(2), "{err}");
    assert!(
        err.contains("requires a client certificate (mutual TLS)")
            && err.contains("--cert FILE and --key FILE")
            && err.lines().count() == 1,
        "{err}"
    );
    let stranger = diagnose(&[
        "--cert",
        &format!("{d}/stranger.pem"),
        "--key",
        &format!("{d}/stranger.key"),
    ]);
    let err = String::from_utf8_lossy(&stranger.stderr);
    assert_eq!(stranger.status.code(), Some(2), "{err}");
    assert!(err.contains("refused the client certificate"), "{err}");
    let client = diagnose(&[
        "--cert",
        &format!("{d}/client.pem"),
        "--key",
        &format!("{d}/client.key"),
    ]);
    assert_eq!(
        client.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&client.stdout)
    );
}

/// Debian's Apache asking for HTTP Digest (mod_auth_digest): the fix for
/// the missing credentials speaks Digest (curl --digest), not Bearer.
#[test]
fn apache_asking_for_digest_is_told_how_to_send_it() {
    if !util::mod_auth_openidc_installed() {
        return;
    }
    let m = "/usr/lib/apache2/modules";
    let conf = format!(
        "LoadModule auth_digest_module {m}/mod_auth_digest.so\nLoadModule authn_file_module {m}/mod_authn_file.so\nLoadModule alias_module {m}/mod_alias.so\nAlias /orders {{dir}}/ok.txt\n<Location /orders>\n  AuthType Digest\n  AuthName \"lab\"\n  AuthDigestProvider file\n  AuthUserFile {{dir}}/htdigest\n  Require valid-user\n</Location>\n"
    );
    let apache = util::apache("digest", None, &conf, |dir| {
        std::fs::write(dir.join("ok.txt"), "ok\n").unwrap();
        // A user (none is sent: only the challenge is read).
        std::fs::write(
            dir.join("htdigest"),
            "alice:lab:0123456789abcdef0123456789abcdef\n",
        )
        .unwrap();
    });
    let out = diagnose_json(&[format!("http://127.0.0.1:{}/orders", apache.port)]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["exchanges"][0]["status"], 401, "{v:#}");
    assert_eq!(v["causes"][0]["id"], "credentials.missing", "{v:#}");
    let fix = v["causes"][0]["fixes"][0]["action"]
        .as_str()
        .unwrap_or_default();
    assert!(fix.contains("curl --digest"), "{fix}");
}

/// Debian's docker-registry (the CNCF Distribution registry) with token
/// authentication, as registries run it: its challenge names the token
/// service, the service and the scope. Without credentials, the fix is to
/// ask that token service (its URL built from the challenge), not to send
/// "a Bearer token", and the doctor proves it: it asks the token service
/// for an anonymous token (a token service here, signing as registries'
/// do: RS256 with its certificate chain in `x5c`) and the request passes
/// with it. With a password sent as Basic, the scheme is the matter (the
/// registry never judged the password).
#[test]
fn a_registry_with_token_auth_is_told_how_to_get_its_token() {
    if !util::installed(
        "docker-registry (Debian's)",
        std::path::Path::new("/usr/bin/docker-registry").exists(),
    ) {
        return;
    }
    let dir = std::env::temp_dir().join(format!("authdoctor-registry-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // The certificates the registry trusts for its tokens (none is asked
    // for here, but it will not start without them).
    certs::make_certs(&dir);
    let port = util::free_port();
    // The token service: a token for the scope asked (a public
    // repository's pull), signed by the certificate the registry trusts.
    let leaf = certs::openssl_with(&dir, &["x509", "-in", "leaf.pem", "-outform", "DER"], b"");
    let asked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let token_service = {
        let (asked, dir) = (asked.clone(), dir.clone());
        server(move |conn, request| {
            use base64::Engine;
            let (url, std_b64) = (
                base64::engine::general_purpose::URL_SAFE_NO_PAD,
                base64::engine::general_purpose::STANDARD,
            );
            let access: Vec<Value> = request
                .split_whitespace()
                .nth(1)
                .and_then(|target| target.split_once("scope="))
                .map(|(_, s)| s.split('&').next().unwrap_or(""))
                .map(|s| {
                    s.replace("%3A", ":")
                        .replace("%2F", "/")
                        .replace("%2C", ",")
                })
                .and_then(|s| {
                    let mut p = s.splitn(3, ':');
                    let (kind, name, actions) = (p.next()?, p.next()?, p.next()?);
                    Some(serde_json::json!({"type": kind, "name": name, "actions": actions.split(',').collect::<Vec<_>>()}))
                })
                .into_iter()
                .collect();
            asked.lock().unwrap().push(request.to_owned());
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs();
            let header =
                serde_json::json!({"alg": "RS256", "typ": "JWT", "x5c": [std_b64.encode(&leaf)]});
            let claims = serde_json::json!({"iss": "test-issuer", "sub": "", "aud": "registry.test", "exp": now + 300, "nbf": now - 10, "iat": now, "jti": now.to_string(), "access": access});
            let input = format!(
                "{}.{}",
                url.encode(header.to_string()),
                url.encode(claims.to_string())
            );
            let signature = certs::openssl_with(
                &dir,
                &["dgst", "-sha256", "-sign", "leaf.key"],
                input.as_bytes(),
            );
            let body = serde_json::json!({ "token": format!("{input}.{}", url.encode(signature)) })
                .to_string();
            let _ = write!(
                conn,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        })
    };
    let token_port: u16 = token_service.rsplit(':').next().unwrap().parse().unwrap();
    // A registry on `port` whose token service is `realm`.
    let registry = |port: u16, realm: &str| {
        let config = dir.join(format!("config-{port}.yml"));
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: error\nstorage:\n  inmemory: {{}}\nhttp:\n  addr: 127.0.0.1:{port}\nauth:\n  token:\n    realm: {realm}\n    service: registry.test\n    issuer: test-issuer\n    rootcertbundle: {}\n",
                dir.join("ca.pem").display()
            ),
        )
        .unwrap();
        let mut child = util::Running(
            std::process::Command::new("docker-registry")
                .arg("serve")
                .arg(&config)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap(),
        );
        util::wait_for_port(&mut child.0, port, None);
        child
    };
    let _registry = registry(port, &format!("http://127.0.0.1:{token_port}/token"));
    let url = format!("http://127.0.0.1:{port}/v2/library/nginx/manifests/latest");
    let diagnose = |extra: &[&str]| -> Value {
        let out = diagnose_json(&[extra, &[url.as_str()]].concat());
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let ask = format!(
        "http://127.0.0.1:{token_port}/token?service=registry.test&scope=repository%3Alibrary%2Fnginx%3Apull"
    );
    let v = diagnose(&[]);
    assert_eq!(v["exchanges"][0]["status"], 401, "{v:#}");
    assert_eq!(v["causes"][0]["id"], "credentials.missing", "{v:#}");
    let fix = v["causes"][0]["fixes"][0]["action"]
        .as_str()
        .unwrap_or_default();
    assert!(
        fix.contains("registry token protocol") && fix.contains(&ask),
        "{fix}"
    );
    // The anonymous token got the request past authentication (the
    // repository is empty: its manifest is unknown, 404).
    assert_eq!(v["retry"]["attempted"], true, "{v:#}");
    assert_eq!(v["retry"]["status"], 404, "{v:#}");
    assert!(asked.lock().unwrap().iter().any(|r| {
        r.contains("GET /token?service=registry.test&scope=repository%3Alibrary%2Fnginx%3Apull")
    }));
    // At the registry's root, the same proof: a 200.
    let root = diagnose_json(&[format!("http://127.0.0.1:{port}/v2/")]);
    let root: Value = serde_json::from_slice(&root.stdout).unwrap();
    assert_eq!(root["retry"]["status"], 200, "{root:#}");
    assert_eq!(root["causes"][0]["id"], "credentials.missing", "{root:#}");
    // A password sent as Basic: the registry wants the token it buys.
    let v = diagnose(&["-u", "alice:s3cret-registry"]);
    assert_eq!(v["causes"][0]["id"], "scheme.mismatch", "{v:#}");
    let fix = v["causes"][0]["fixes"][0]["action"]
        .as_str()
        .unwrap_or_default();
    assert!(fix.contains("takes a token") && fix.contains(&ask), "{fix}");
    assert!(
        !v["causes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == "credentials.invalid"),
        "the registry never judged the password: {v:#}"
    );
    assert!(
        !v.to_string().contains("s3cret-registry"),
        "the password leaked"
    );
    // A token for another repository: the scope the challenge names is
    // lacking, and the token's grants are read from its `access` claim.
    let other = {
        let mut c = std::net::TcpStream::connect(("127.0.0.1", token_port)).unwrap();
        write!(
            c,
            "GET /token?service=registry.test&scope=repository%3Aother%2Fapp%3Apull HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        c.read_to_string(&mut answer).unwrap();
        let body: Value = serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap()).unwrap();
        body["token"].as_str().unwrap().to_owned()
    };
    let v = diagnose(&["-H", &format!("Authorization: Bearer {other}")]);
    assert_eq!(v["causes"][0]["id"], "token.scope_insufficient", "{v:#}");
    let said = v["causes"][0].to_string();
    assert!(said.contains("repository:other/app:pull"), "{said}");
    let fix = v["causes"][0]["fixes"][0]["action"]
        .as_str()
        .unwrap_or_default();
    assert!(fix.contains(&ask), "{fix}");
    // A registry whose token service is on another machine (here another
    // loopback address): the server names where the doctor would go and
    // gets what comes back, so it is not asked.
    let foreign_port = util::free_port();
    let _foreign = registry(
        foreign_port,
        &format!("http://127.0.0.2:{token_port}/token"),
    );
    let before = asked.lock().unwrap().len();
    let out = diagnose_json(&[format!("http://127.0.0.1:{foreign_port}/v2/")]);
    let foreign: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        foreign["causes"][0]["id"], "credentials.missing",
        "{foreign:#}"
    );
    assert!(
        foreign["retry"]["skipped"]
            .as_str()
            .unwrap_or_default()
            .contains("not on the registry's site"),
        "{foreign:#}"
    );
    assert_eq!(
        asked.lock().unwrap().len(),
        before,
        "the foreign token service was asked"
    );
    // The token service was never sent the password: only the anonymous
    // asks of the runs without credentials reached it.
    let asked = asked.lock().unwrap();
    assert!(
        asked
            .iter()
            .all(|r| !r.to_ascii_lowercase().contains("authorization")),
        "{asked:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `c` sent through `proxy`, named by `variable` (its lower-case twin
/// unset), with no host left out of it: a machine's own NO_PROXY would
/// let loopback bypass the proxy.
fn through_proxy<'a>(
    c: &'a mut assert_cmd::Command,
    variable: &str,
    proxy: &str,
) -> &'a mut assert_cmd::Command {
    c.env(variable, proxy)
        .env_remove(variable.to_ascii_lowercase())
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
}

/// The error of `authdoctor diagnose url` through `proxy` (named by
/// `variable`) that does not let it through: exit 2 and one line, which
/// it returns.
fn proxy_error(url: &str, variable: &str, proxy: &str) -> String {
    let out = through_proxy(authdoctor().args(["diagnose", url]), variable, proxy)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    err
}

/// Debian's tinyproxy asking for its own Basic credentials, as a company's
/// forward proxy does, in front of the lab's API (named by HTTP_PROXY, as
/// curl reads it): without them it answers 407, to a wrong password 401
/// (tinyproxy's own way); each is named as the proxy's refusal, the API
/// never reached. With the right ones, the API's own answer is diagnosed.
/// The proxy's password is in no report.
#[test]
fn a_forward_proxy_that_wants_its_own_credentials_is_told_from_the_api() {
    let bin = std::path::Path::new("/usr/bin/tinyproxy");
    if !util::installed("tinyproxy (Debian's tinyproxy)", bin.exists()) {
        return;
    }
    let dir = std::env::temp_dir().join(format!("authdoctor-tinyproxy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = util::free_port();
    std::fs::write(
        dir.join("tinyproxy.conf"),
        format!("Port {port}\nListen 127.0.0.1\nTimeout 30\nMaxClients 20\nLogLevel Error\nBasicAuth alice Proxy-Secret-0123\nAllow 127.0.0.1\n"),
    )
    .unwrap();
    let err = dir.join("tinyproxy.err");
    let mut child = std::process::Command::new(bin)
        .arg("-d")
        .arg("-c")
        .arg(dir.join("tinyproxy.conf"))
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    util::wait_for_port(&mut child, port, Some(&err));
    let _proxy = util::Running(child);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (_lab, info) = util::lab_on(&rt);
    let api = format!("{}/orders", info["api"].as_str().unwrap());
    let diagnose = |proxy: &str| {
        let out = through_proxy(
            authdoctor().args(["diagnose", "--json", "--no-retry", &api]),
            "HTTP_PROXY",
            proxy,
        )
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !text.contains("Proxy-Secret-0123") && !text.contains("Wrong-Secret-0123"),
            "a proxy password in the report: {text}"
        );
        util::json_out(&out, 1)
    };
    for (proxy, cause, status) in [
        (
            format!("http://127.0.0.1:{port}"),
            "credentials.missing",
            407,
        ),
        (
            format!("http://alice:Wrong-Secret-0123@127.0.0.1:{port}"),
            "credentials.invalid",
            401,
        ),
    ] {
        let v = diagnose(&proxy);
        assert_eq!(v["exchanges"][0]["status"], status, "{v:#}");
        let top = &v["causes"][0];
        assert_eq!(top["id"], cause, "{v:#}");
        assert!(top["summary"].as_str().unwrap().contains("proxy"), "{v:#}");
        let evidence = top["evidence"].to_string();
        assert!(
            evidence.contains("tinyproxy") && evidence.contains("HTTP_PROXY"),
            "{v:#}"
        );
        assert_eq!(v["causes"].as_array().unwrap().len(), 1, "{v:#}");
    }
    // An https:// URL goes through the proxy's CONNECT, which it refuses
    // before any answer of the API: a one-line error naming the proxy.
    for proxy in [
        format!("http://127.0.0.1:{port}"),
        format!("http://alice:Wrong-Secret-0123@127.0.0.1:{port}"),
    ] {
        let err = proxy_error("https://api.example.test/orders", "HTTPS_PROXY", &proxy);
        assert!(
            err.contains(&format!(
                "127.0.0.1:{port}/ (named by HTTPS_PROXY) did not open the way"
            )),
            "{err}"
        );
        assert!(!err.contains("Wrong-Secret-0123"), "{err}");
    }
    // Let through: the API's answer to a request without a token.
    let v = diagnose(&format!("http://alice:Proxy-Secret-0123@127.0.0.1:{port}"));
    assert_eq!(v["exchanges"][0]["status"], 401, "{v:#}");
    let top = &v["causes"][0];
    assert_eq!(top["id"], "credentials.missing", "{v:#}");
    assert!(!top["summary"].as_str().unwrap().contains("proxy"), "{v:#}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Django (the PyPI package scripts/test installs) with its CSRF
/// middleware on, as every new project has it: a POST that carries a
/// session cookie but no CSRF token is refused 403 by the middleware. The
/// doctor says it is the CSRF protection, not authentication, and what to
/// send (exit 3), where it read as a permission matter.
#[test]
fn djangos_csrf_refusal_is_not_called_a_permission_matter() {
    let py = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/python/.venv/bin/python");
    if !util::installed("tests/python/.venv (Django)", py.exists()) {
        return;
    }
    let app =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/python/csrf_django.py");
    let port = util::free_port();
    let mut child = std::process::Command::new(&py)
        .arg(&app)
        .arg(port.to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    util::wait_for_port(&mut child, port, None);
    let _django = util::Running(child);
    let out = authdoctor()
        .args([
            "diagnose",
            "--json",
            "-X",
            "POST",
            "-H",
            "Cookie: sessionid=Session-Secret-0123456789",
        ])
        .arg(format!("http://127.0.0.1:{port}/orders"))
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let v = util::json_out(&out, 3);
    assert_eq!(v["exchanges"][0]["status"], 403, "{v:#}");
    assert_eq!(v["causes"], serde_json::json!([]), "{v:#}");
    let note = v["not_an_auth_failure"].as_str().unwrap_or_default();
    assert!(
        note.contains("Django's protection against cross-site request forgery"),
        "{note}"
    );
    assert!(note.contains("X-CSRFToken"), "{note}");
    assert!(
        !v.to_string().contains("Session-Secret-0123456789"),
        "{v:#}"
    );
}

/// A proxy named in the environment that is not there (a stale
/// HTTP_PROXY in the shell): one line that names it, its password masked,
/// not "could not connect" to the API.
#[test]
fn a_proxy_that_is_not_there_is_named() {
    let dead = util::free_port();
    let err = proxy_error(
        "http://api.example.test/orders",
        "HTTP_PROXY",
        &format!("http://ops:Stale-Secret-0123@127.0.0.1:{dead}"),
    );
    assert!(
        err.contains("Could not connect to the proxy http://ops:"),
        "{err}"
    );
    assert!(err.contains("(named by HTTP_PROXY)"), "{err}");
    assert!(!err.contains("Stale-Secret-0123"), "{err}");
}
