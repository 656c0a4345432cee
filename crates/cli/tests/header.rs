//! `authdoctor header` and `authdoctor challenge` end to end.

#![allow(clippy::unwrap_used)]

mod util;

use serde_json::Value;
use util::{authdoctor, token};

fn json(args: &[&str]) -> (Value, i32) {
    let out = authdoctor().args(args).arg("--json").output().unwrap();
    (
        serde_json::from_slice(&out.stdout).unwrap(),
        out.status.code().unwrap(),
    )
}

#[test]
fn a_good_header_passes() {
    let t = token("valid.jwt");
    let (v, code) = json(&["header", &format!("Bearer {t}")]);
    assert_eq!(code, 0);
    assert_eq!(v["schema"], "authdoctor.header/1");
    assert_eq!(v["scheme"], "Bearer");
    assert_eq!(v["kind"], "jwt");
    assert_eq!(v["problems"], serde_json::json!([]));
    assert!(!v.to_string().contains(&t));
}

#[test]
fn an_api_key_sent_as_the_basic_user_is_masked_and_wants_no_password() {
    // Stripe's way: the key as the user name, the password empty.
    use base64::Engine;
    let key = "sk_test_4eC39HqLyjWDarjtT1zdp7dc";
    let value = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{key}:"))
    );
    let (v, code) = json(&["header", &value]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["problems"], serde_json::json!([]));
    assert!(!v.to_string().contains(key), "{v:#}");
    assert!(
        v["user"].as_str().unwrap().starts_with("sk_t…(sha256:"),
        "{v:#}"
    );
    // A person's name is shown, and an empty password is still a warning.
    let value = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("alice:")
    );
    let (v, _) = json(&["header", &value]);
    assert_eq!(v["user"], "alice");
    assert_eq!(v["problems"][0]["id"], "basic_empty_password", "{v:#}");
}

#[test]
fn defects_are_named_with_positions() {
    let cases: &[(&str, &str, u64, &str)] = &[
        ("Bearer", "empty_credentials", 6, "header.malformed"),
        (
            "Bearer Bearer abc.def.ghi",
            "repeated_scheme",
            7,
            "header.malformed",
        ),
        ("Bearer \"abc\"", "quoted_token", 7, "header.malformed"),
        ("Token abc", "nonstandard_scheme", 0, "scheme.mismatch"),
        (
            "Basic bm9jb2xvbg==",
            "basic_no_colon",
            6,
            "header.malformed",
        ),
        ("", "empty", 0, "credentials.missing"),
    ];
    for (value, id, at, cause) in cases {
        let (v, code) = json(&["header", value]);
        assert_eq!(code, 1, "{value:?}");
        let p = &v["problems"][0];
        assert_eq!(p["id"], *id, "{value:?}: {v:#}");
        assert_eq!(p["at"], *at, "{value:?}");
        assert_eq!(v["causes"][0], *cause, "{value:?}");
        assert!(p["message"].as_str().unwrap().ends_with('.'));
    }
}

#[test]
fn basic_passwords_are_never_printed() {
    // "admin:s3cr3t-Pa55word"
    let value = "Basic YWRtaW46czNjcjN0LVBhNTV3b3Jk";
    for format in ["human", "json", "markdown"] {
        let out = authdoctor()
            .args(["header", "--format", format, value])
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(!text.contains("s3cr3t-Pa55word"), "{format}");
        assert!(!text.contains("YWRtaW46czNjcjN0LVBhNTV3b3Jk"), "{format}");
        assert!(text.contains("admin"), "{format}: the user name is shown");
    }
}

#[test]
fn a_line_break_in_the_token_is_found() {
    let t = token("valid.jwt");
    let broken = format!("Bearer {}\n{}", &t[..40], &t[40..]);
    let (v, code) = json(&["header", &broken]);
    assert_eq!(code, 1);
    assert_eq!(v["problems"][0]["id"], "line_break");
    assert_eq!(v["problems"][0]["at"], 47);
    assert!(!v.to_string().contains(&t[40..]));
}

#[test]
fn challenge_json_follows_the_contract() {
    let (v, code) = json(&[
        "challenge",
        r#"Bearer realm="example", error="invalid_token""#,
    ]);
    assert_eq!(code, 0);
    assert_eq!(v["schema"], "authdoctor.challenge/1");
    assert_eq!(v["challenges"][0]["scheme"], "Bearer");
    assert_eq!(v["challenges"][0]["token68"], Value::Null);
    assert_eq!(
        v["challenges"][0]["params"],
        serde_json::json!([["realm", "example"], ["error", "invalid_token"]])
    );
    assert_eq!(v["problems"], serde_json::json!([]));
}

#[test]
fn challenge_lines_and_problems() {
    let (v, code) = json(&[
        "challenge",
        r#"Bearer realm="a""#,
        r#"error="insufficient_scope", scope="orders:write""#,
    ]);
    assert_eq!(code, 0);
    assert_eq!(
        v["challenges"][0]["suggests"][0],
        "token.scope_insufficient"
    );
    let (v, code) = json(&["challenge", r#"Bearer realm="a" error="x"#]);
    assert_eq!(code, 1);
    let kinds: Vec<&str> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["missing_comma", "unterminated_quote"]);
}

#[test]
fn challenge_human_output_points_at_the_defect() {
    let out = authdoctor()
        .args(["challenge", r#"WWW-Authenticate: Bearer realm="api" error="invalid_token", error_description="jwt expired""#])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(
        "challenge_missing_comma_human",
        String::from_utf8(out.stdout).unwrap()
    );
}

#[test]
fn broken_pipe_is_not_an_error() {
    // `authdoctor … | head -c 1`: the reader goes away after one byte of a
    // report far larger than the pipe's buffer; exit 0, and say nothing.
    let script = format!(
        "{{ echo 'Bearer realm=\"a\"'; i=0; while [ $i -lt 20000 ]; do echo \"p$i=\\\"xxxxxxxxxxxxxxxxxxxx\\\"\"; i=$((i+1)); done; }} | {} challenge - | head -c 1 >/dev/null; echo \"${{PIPESTATUS[1]}}\"",
        assert_cmd::cargo::cargo_bin("authdoctor").display()
    );
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(script)
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.is_empty(), "{stderr}");
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), "0");
}

#[test]
fn challenge_reads_the_description_through_the_dialect_catalogue() {
    let out = authdoctor()
        .args([
            "challenge",
            "--json",
            r#"Bearer realm="api", error="invalid_token", error_description="unexpected \"aud\" claim value""#,
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["challenges"][0]["suggests"],
        serde_json::json!(["token.audience_mismatch"])
    );
}
