use super::*;
use proptest::prelude::*;

const JWT: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln";

fn ids(v: &str) -> Vec<&'static str> {
    lint(v).problems.iter().map(|p| p.id.id()).collect()
}

#[test]
fn two_spaces_are_in_the_grammar_and_the_token_is_read_past_them() {
    let c = lint(&format!("Bearer  {JWT}"));
    assert_eq!(c.token.as_deref(), Some(JWT));
    assert!(
        c.problems.iter().all(|p| p.id.in_grammar()),
        "{:?}",
        c.problems
    );
    assert!(!Defect::TabSeparator.in_grammar());
    assert!(!Defect::InteriorWhitespace.in_grammar());
}

#[test]
fn an_aws_signature_version_4_is_read_in_its_own_grammar() {
    // AWS's documented example: slashes and semicolons in bare values.
    let c = lint(
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024",
    );
    assert!(c.problems.is_empty(), "{:?}", c.problems);
    assert_eq!(c.params.len(), 3);
    assert_eq!(
        c.params[1],
        (
            "SignedHeaders".to_owned(),
            "host;range;x-amz-content-sha256;x-amz-date".to_owned()
        )
    );
    // Without its signature, or with a piece that is no pair: named.
    assert_eq!(
        ids(
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host"
        ),
        ["param_syntax"]
    );
    assert_eq!(
        ids("AWS4-HMAC-SHA256 Credential=A/b, SignedHeaders=host, Signature=ab, junk"),
        ["param_syntax"]
    );
}

#[test]
fn a_good_bearer_header_has_no_problems() {
    let c = lint(&format!("Bearer {JWT}"));
    assert!(c.problems.is_empty(), "{:?}", c.problems);
    assert_eq!(c.scheme.as_deref(), Some("Bearer"));
    assert_eq!(c.token.as_deref(), Some(JWT));
    // RFC 6750 §2.1's example token, with its padding.
    assert!(lint("Bearer mF_9.B5f-4.1JqM").problems.is_empty());
    assert!(lint("Bearer abc+/==").problems.is_empty());
    // The field name pasted along with the value is skipped.
    assert!(
        lint(&format!("Authorization: Bearer {JWT}"))
            .problems
            .is_empty()
    );
}

#[test]
fn each_defect_is_named_with_its_position() {
    let cases: &[(&str, &str, usize)] = &[
        ("", "empty", 0),
        (JWT, "no_scheme", 0),
        ("Bearer", "empty_credentials", 6),
        ("Bearer ", "empty_credentials", 6),
        ("Bearer  abc", "repeated_spaces", 6),
        ("Bearer\tabc", "tab_separator", 6),
        ("Bearer \"abc\"", "quoted_token", 7),
        ("Bearer Bearer abc", "repeated_scheme", 7),
        ("Bearer abc def", "interior_whitespace", 10),
        ("Bearer abc,", "trailing_comma", 10),
        ("Bearer ab\ncd", "line_break", 9),
        ("Bearer abc\n", "line_break", 10),
        ("Bearer ab%2Bcd", "percent_encoded", 9),
        ("Bearer ab=cd", "misplaced_padding", 9),
        ("Bearer ab#cd", "invalid_character", 9),
        ("Bearer: abc", "scheme_colon", 6),
        ("JWT abc", "nonstandard_scheme", 0),
        ("bearer abc", "scheme_case", 0),
        ("Basic !!!", "basic_not_base64", 6),
        ("Basic dXNlcnBhc3M=", "basic_no_colon", 6), // "userpass"
        ("Basic user:pass", "basic_not_encoded", 6),
        ("Basic dXNlcjpwYXNz", "", 0), // valid: "user:pass"
        ("Basic dXNlcjpwdw", "basic_missing_padding", 16), // "user:pw" without its "=="
    ];
    for (input, want, at) in cases {
        let c = lint(input);
        if want.is_empty() {
            assert!(c.problems.is_empty(), "{input:?}: {:?}", c.problems);
            continue;
        }
        let p = c.problems.iter().find(|p| p.id.id() == *want);
        let p = p.unwrap_or_else(|| panic!("{input:?}: want {want}, got {:?}", c.problems));
        if *want != "basic_missing_padding" {
            assert_eq!(p.at, *at, "{input:?}: {p:?}");
        }
        assert!(!p.message.is_empty());
    }
}

#[test]
fn basic_credentials_are_decoded_and_masked_in_debug() {
    let c = lint("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="); // RFC 7617 §2
    assert!(c.problems.is_empty(), "{:?}", c.problems);
    let b = c.basic.expect("decoded");
    assert_eq!(b.user, "Aladdin");
    assert_eq!(b.password, "open sesame");
    assert!(!format!("{b:?}").contains("open sesame"));
}

#[test]
fn basic_url_safe_and_non_utf8() {
    // "??>:x" standard = Pz8+OngK? use bytes whose base64 has + and /.
    let std_b64 = base64::engine::general_purpose::STANDARD.encode(b"a\xfb\xff:pw");
    assert!(std_b64.contains('+') || std_b64.contains('/'), "{std_b64}");
    let c = lint(&format!("Basic {std_b64}"));
    assert_eq!(ids(&format!("Basic {std_b64}")), ["basic_not_utf8"]);
    assert!(c.basic.is_some());
    let url = std_b64.replace('+', "-").replace('/', "_");
    assert!(ids(&format!("Basic {url}")).contains(&"basic_url_safe_alphabet"));
}

#[test]
fn digest_credentials_are_read_as_params() {
    // RFC 7616 §3.9.1.
    let v = r#"Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", algorithm=MD5, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth, response="8ca523f5e9506fed4657c9700eebdbec", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#;
    let c = lint(v);
    assert!(c.problems.is_empty(), "{:?}", c.problems);
    assert_eq!(
        c.params
            .iter()
            .find(|(n, _)| n == "username")
            .map(|p| p.1.as_str()),
        Some("Mufasa")
    );
    let c = lint(r#"Digest username="Mufasa" realm="x""#);
    assert_eq!(c.problems[0].id, Defect::ParamSyntax);
    assert_eq!(c.problems[0].at, 25);
}

#[test]
fn severities_and_causes() {
    let c = lint("bearer abc");
    assert!(!c.has_errors());
    assert_eq!(lint("").problems[0].cause, Cause::CredentialsMissing);
    assert_eq!(lint("Token abc").problems[0].cause, Cause::SchemeMismatch);
    assert_eq!(lint("Bearer ").problems[0].cause, Cause::HeaderMalformed);
    assert!(lint("Bearer ").has_errors());
}

proptest! {
    #[test]
    fn arbitrary_input_never_panics_and_positions_are_in_range(s in "\\PC{0,60}") {
        let c = lint(&s);
        for p in &c.problems {
            prop_assert!(p.at <= s.len(), "{:?} {:?}", s, p);
        }
    }

    #[test]
    fn any_b64token_after_bearer_is_clean(t in "[A-Za-z0-9._~+/-]{1,60}={0,2}") {
        let c = lint(&format!("Bearer {t}"));
        prop_assert!(c.problems.is_empty(), "{:?}", c.problems);
        prop_assert_eq!(c.token.as_deref(), Some(t.as_str()));
    }
}

#[test]
fn basic_with_an_empty_user_and_password_is_not_well_formed() {
    // Found by attack: `Basic Og==` (":" alone) was called well formed.
    let c = lint("Basic Og==");
    let ids: Vec<&str> = c.problems.iter().map(|p| p.id.id()).collect();
    assert!(ids.contains(&"basic_empty_user"), "{ids:?}");
    assert!(ids.contains(&"basic_empty_password"), "{ids:?}");
    assert!(c.problems.iter().any(|p| p.severity == Severity::Error));
    let c = lint("Basic YWxpY2U6"); // "alice:"
    assert_eq!(
        c.problems.iter().map(|p| p.id.id()).collect::<Vec<_>>(),
        ["basic_empty_password"]
    );
}

#[test]
fn an_unexpanded_shell_variable_is_named() {
    let c = lint("Bearer $TOKEN");
    assert_eq!(c.problems.len(), 1, "{:?}", c.problems);
    assert!(
        c.problems[0].message.contains("unexpanded shell variable"),
        "{}",
        c.problems[0].message
    );
    assert!(c.problems[0].message.contains("$TOKEN"));
    let c = lint("Bearer ${ACCESS_TOKEN}");
    assert!(c.problems[0].message.contains("${ACCESS_TOKEN}"));
}

#[test]
fn a_word_for_no_value_or_a_placeholder_is_no_token() {
    for v in [
        "Bearer undefined",
        "Bearer null",
        "Bearer None",
        "Bearer YOUR_TOKEN",
        "Bearer your-token",
    ] {
        let c = lint(v);
        assert_eq!(
            c.problems.iter().map(|p| p.id.id()).collect::<Vec<_>>(),
            ["placeholder_token"],
            "{v}: {:?}",
            c.problems
        );
        assert_eq!(c.problems[0].cause, Cause::HeaderMalformed);
        assert!(c.has_errors(), "{v}");
    }
    assert!(
        lint("Bearer undefined").problems[0]
            .message
            .contains("variable that held no token")
    );
    // One outside the grammar is said to be both.
    let c = lint("Bearer <token>");
    assert_eq!(
        c.problems[0].id.id(),
        "placeholder_token",
        "{:?}",
        c.problems
    );
    assert!(
        c.problems.iter().any(|p| p.id.id() == "invalid_character"),
        "{:?}",
        c.problems
    );
    // An object where its string belongs.
    assert!(
        lint("Bearer [object Object]").problems[0]
            .message
            .contains("JavaScript's text for an object")
    );
    let c = lint(r#"Bearer {"access_token":"abc","token_type":"Bearer"}"#);
    assert!(
        c.problems[0].message.contains("whole token response"),
        "{:?}",
        c.problems
    );
    // It holds the tokens themselves: its message does not quote it.
    assert!(!c.problems[0].message.contains("abc"), "{:?}", c.problems);
    // A token that only begins so is a token.
    assert!(lint("Bearer nullable0123456789").problems.is_empty());
    assert!(lint("Bearer tokenABC0123456789").problems.is_empty());
}
