//! `authdoctor token` end to end: each test token is diagnosed with its
//! cause and exit status, in every format, with the token masked.

#![allow(clippy::unwrap_used)]

mod util;

use serde_json::Value;
use util::{AT, authdoctor, testdata, token, token_cmd};

fn json_of(name: &str) -> (Value, i32) {
    let out = token_cmd(name).arg("--json").output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{name}: {e}: {}", String::from_utf8_lossy(&out.stdout)));
    (v, out.status.code().unwrap())
}

#[test]
fn each_test_token_gets_its_cause() {
    let cases = [
        ("valid.jwt", None),
        ("valid-es256.jwt", None),
        ("expired.jwt", Some("token.expired")),
        ("not-yet-valid.jwt", Some("token.not_yet_valid")),
        ("wrong-audience.jwt", Some("token.audience_mismatch")),
        ("wrong-issuer.jwt", Some("token.issuer_mismatch")),
        ("missing-scope.jwt", Some("token.scope_insufficient")),
        ("unknown-kid.jwt", Some("token.unknown_key")),
        ("bad-signature.jwt", Some("token.signature_invalid")),
        ("id-token.jwt", Some("token.wrong_type")),
        ("alg-none.jwt", Some("token.alg_rejected")),
        ("truncated.jwt", Some("token.malformed")),
    ];
    for (name, want) in cases {
        let (v, code) = json_of(name);
        assert_eq!(v["schema"], "authdoctor.token/1");
        match want {
            None => {
                assert_eq!(code, 0, "{name}: {v:#}");
                assert_eq!(v["valid"], true);
                assert_eq!(v["signature_verified"], true);
                assert_eq!(v["causes"], serde_json::json!([]));
            }
            Some(cause) => {
                assert_eq!(code, 1, "{name}");
                assert_eq!(v["valid"], false);
                assert_eq!(v["causes"][0], cause, "{name}: {:#}", v["checks"]);
                let failed = v["checks"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|c| c["ok"] == false)
                    .unwrap();
                assert!(!failed["detail"].as_str().unwrap().is_empty());
            }
        }
    }
}

#[test]
fn json_follows_the_contract() {
    let (v, _) = json_of("expired.jwt");
    let exp = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "exp")
        .unwrap();
    assert_eq!(exp["ok"], false);
    assert_eq!(exp["cause"], "token.expired");
    assert!(
        exp["detail"]
            .as_str()
            .unwrap()
            .starts_with("Expired 14 min ago")
    );
    assert_eq!(v["claims"]["sub"], "user-4711");
    assert_eq!(v["header"]["kid"], "prod-2026-11");
    assert_eq!(v["now"], AT);
}

#[test]
fn human_output_puts_the_verdict_first() {
    let out = token_cmd("expired.jwt").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    insta::assert_snapshot!("token_expired_human", text);
}

#[test]
fn markdown_output() {
    let out = token_cmd("wrong-audience.jwt")
        .args(["--format", "markdown"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    insta::assert_snapshot!("token_wrong_audience_markdown", text);
}

#[test]
fn the_token_is_masked_in_every_format_unless_asked() {
    for name in ["valid.jwt", "expired.jwt", "truncated.jwt", "alg-none.jwt"] {
        let t = token(name);
        let sig = t.rsplit('.').next().unwrap();
        let payload = t.split('.').nth(1).unwrap();
        for format in ["human", "json", "markdown"] {
            let out = token_cmd(name).args(["--format", format]).output().unwrap();
            let text =
                String::from_utf8(out.stdout).unwrap() + &String::from_utf8(out.stderr).unwrap();
            assert!(!text.contains(&t), "{name} {format}");
            assert!(!text.contains(payload), "{name} {format}: payload in clear");
            if sig.len() > 8 {
                assert!(!text.contains(sig), "{name} {format}: signature in clear");
            }
            assert!(text.contains("sha256:"), "{name} {format}");
        }
        let shown = token_cmd(name)
            .args(["--json", "--show-secrets"])
            .output()
            .unwrap();
        assert!(
            String::from_utf8(shown.stdout).unwrap().contains(&t),
            "{name}"
        );
    }
}

#[test]
fn an_hmac_secret_never_appears() {
    let secret = "correct-horse-battery-staple-0123456789abcdef";
    let t = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJlMDEy";
    for format in ["human", "json", "markdown"] {
        let out = authdoctor()
            .args(["token", "--format", format, "--secret", secret, t])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(!text.contains(secret), "{format}");
        assert!(text.contains("token.signature_invalid"), "{format}: {text}");
    }
}

#[test]
fn the_hmac_secret_can_come_from_the_environment() {
    let jws = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    // The wrong secret, from the environment: read, used, and not printed.
    let out = authdoctor()
        .env(
            "AUTHDOCTOR_HMAC_SECRET",
            "an-environment-secret-of-some-length",
        )
        .args(["token", "--json", "--at", "1300819000", jws])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["causes"][0], "token.signature_invalid", "{v:#}");
    assert!(!text.contains("an-environment-secret-of-some-length"));
}

#[test]
fn reads_stdin_and_strips_a_pasted_header() {
    let t = token("valid.jwt");
    authdoctor()
        .args(["token", "--at", AT, "--json", "-"])
        .write_stdin(format!("Authorization: Bearer {t}\n"))
        .assert()
        .code(0);
}

#[test]
fn hmac_tokens_verify_with_the_secret() {
    // RFC 7515 A.1, whose key is base64url; give the raw bytes via a file.
    let jws = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    use base64::Engine;
    let key = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow")
        .unwrap();
    let dir = std::env::temp_dir().join(format!("authdoctor-hmac-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("key.bin");
    std::fs::write(&f, key).unwrap();
    let out = authdoctor()
        .args(["token", "--json", "--at", "1300819000", "--secret-file"])
        .arg(&f)
        .arg(jws)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["signature_verified"], true, "{v:#}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let jwks = testdata().join("tokens/jwks.json");
    let garbage =
        std::env::temp_dir().join(format!("authdoctor-garbage-{}.json", std::process::id()));
    std::fs::write(&garbage, "{not json").unwrap();
    let cases: Vec<Vec<String>> = vec![
        vec![
            "token".into(),
            "--at".into(),
            "yesterday-ish".into(),
            "x".into(),
        ],
        vec![
            "token".into(),
            "--jwks".into(),
            "/no/such/file.json".into(),
            "x".into(),
        ],
        vec![
            "token".into(),
            "--jwks".into(),
            garbage.display().to_string(),
            "x".into(),
        ],
        vec![
            "token".into(),
            "--jwks".into(),
            format!("http://127.0.0.1:{}/jwks", closed_port()),
            "x".into(),
        ],
        vec!["token".into(), "--alg".into(), "XX999".into(), "x".into()],
        vec!["token".into(), "@/no/such/token".into()],
        vec!["token".into(), "--jwks".into(), jwks.display().to_string()],
        vec!["nonsense".into()],
    ];
    for args in cases {
        let out = authdoctor().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(!err.is_empty(), "{args:?}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        let usage_error = args[0] == "nonsense" || args.len() == 3;
        if usage_error {
            assert!(err.contains("Usage:"), "{args:?}: {err}");
        } else {
            assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
            assert!(err.starts_with("authdoctor: "), "{err}");
        }
    }
    std::fs::remove_file(garbage).unwrap();
}

fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[test]
fn keys_from_the_issuer_by_discovery_or_a_jwks_url() {
    let lab = util::start_lab();
    let iss = lab.info["issuers"]["prod"].as_str().unwrap().to_owned();
    let token = util::example_token(&lab.info, "token.scope_insufficient");
    let out = authdoctor()
        .args(["token", "--json", "--issuer", &iss, &token])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["signature_verified"], true, "{v:#}");
    assert_eq!(out.status.code(), Some(0));
    let out = authdoctor()
        .args(["token", "--json", "--jwks", &format!("{iss}/jwks"), &token])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["signature_verified"], true);
    // The retired key's token fails with an unknown kid against the live set.
    let token = util::example_token(&lab.info, "token.unknown_key");
    let out = authdoctor()
        .args(["token", "--json", "--issuer", &iss, &token])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["causes"][0], "token.unknown_key");
}

#[test]
fn huge_or_binary_stdin_is_refused() {
    let out = authdoctor()
        .args(["token", "-"])
        .write_stdin(vec![b'A'; 9 * 1024 * 1024])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("larger than")
    );
    let out = authdoctor()
        .args(["token", "-"])
        .write_stdin(vec![0xff, 0xfe, 0x00])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_two_megabyte_token_is_a_diagnosis_not_a_crash() {
    let big = format!("eyJhbGciOiJSUzI1NiJ9.{}.c2ln", "A".repeat(2 * 1024 * 1024));
    let out = authdoctor()
        .args(["token", "--json", "-"])
        .write_stdin(big)
        .output()
        .unwrap();
    let v = util::json_out(&out, 1);
    assert_eq!(v["causes"][0], "token.malformed");
}

#[test]
fn an_opaque_token_is_not_called_malformed() {
    // An opaque token says nothing offline: exit 3, no cause, and the way
    // to ask its issuer. A truncated JWT is still malformed.
    let out = authdoctor()
        .args([
            "token",
            "--json",
            "gho_16C7e42F292c6912E7710c838347Ae178B4a",
        ])
        .output()
        .unwrap();
    let v = util::json_out(&out, 3);
    assert_eq!(v["kind"], "opaque");
    assert_eq!(v["causes"], serde_json::json!([]));
    assert_eq!(v["checks"][0]["status"], "skip");
    assert!(
        v["checks"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("introspection")
    );
    assert!(
        !v.to_string()
            .contains("16C7e42F292c6912E7710c838347Ae178B4a")
    );
    // A base64url token may begin with `-`: read as the token, not
    // refused as an unknown option.
    let out = authdoctor()
        .args(["token", "--json", "-Jx3kQ0r9v_TzWm5eLqA8YcN"])
        .output()
        .unwrap();
    let v = util::json_out(&out, 3);
    assert_eq!(v["kind"], "opaque");
    let out = authdoctor()
        .args(["token", "--json", "eyJhbGciOi"])
        .output()
        .unwrap();
    let v = util::json_out(&out, 1);
    assert_eq!(v["causes"][0], "token.malformed");
}
