use super::*;
use proptest::prelude::*;

fn params(ch: &Challenge) -> Vec<(&str, &str)> {
    ch.params
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect()
}

#[test]
fn rfc9110_section_11_6_1_example() {
    // RFC 9110 §11.6.1: two challenges, an escaped quote, a token value.
    let p =
        parse(r#"Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple""#);
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    assert_eq!(p.challenges.len(), 2);
    assert_eq!(p.challenges[0].scheme, "Newauth");
    assert_eq!(
        params(&p.challenges[0]),
        [
            ("realm", "apps"),
            ("type", "1"),
            ("title", "Login to \"apps\"")
        ]
    );
    assert_eq!(p.challenges[1].scheme, "Basic");
    assert_eq!(params(&p.challenges[1]), [("realm", "simple")]);
}

#[test]
fn rfc6750_section_3_examples() {
    let p = parse(r#"Bearer realm="example""#);
    assert_eq!(params(&p.challenges[0]), [("realm", "example")]);
    let p = parse(
        r#"Bearer realm="example",
                       error="invalid_token",
                       error_description="The access token expired""#
            .replace('\n', "")
            .as_str(),
    );
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    assert_eq!(
        params(&p.challenges[0]),
        [
            ("realm", "example"),
            ("error", "invalid_token"),
            ("error_description", "The access token expired")
        ]
    );
}

#[test]
fn rfc7616_section_3_9_1_digest_example() {
    let v = r#"Digest
       realm="http-auth@example.org",
       qop="auth, auth-int",
       algorithm=SHA-256,
       nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
       opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#
        .replace('\n', "");
    let p = parse(&v);
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    let ch = &p.challenges[0];
    assert_eq!(ch.param("qop"), Some("auth, auth-int"));
    assert_eq!(ch.param("algorithm"), Some("SHA-256"));
    // Rendered back, algorithm stays a token (RFC 7616 §3.3).
    assert!(ch.to_string().contains("algorithm=SHA-256"));
}

#[test]
fn token68_and_several_challenges() {
    let p = parse(
        "Negotiate YIIBhwYGKwYBBQUCoIIBezCCAXegDTALBgkqhkiG9xIBAgKiggFk==, Basic realm=\"x\"",
    );
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    assert_eq!(
        p.challenges[0].token68.as_deref(),
        Some("YIIBhwYGKwYBBQUCoIIBezCCAXegDTALBgkqhkiG9xIBAgKiggFk==")
    );
    assert!(p.challenges[1].is("basic"));
    let p = parse("Negotiate, NTLM");
    assert_eq!(p.challenges.len(), 2);
    assert!(
        p.challenges
            .iter()
            .all(|c| c.params.is_empty() && c.token68.is_none())
    );
}

#[test]
fn whitespace_around_equals_empty_elements_and_case() {
    let p = parse(r#" , BEARER Realm = "a" ,, ERROR= invalid_token , "#);
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    assert_eq!(p.challenges.len(), 1);
    assert!(p.challenges[0].is("bearer"));
    assert_eq!(
        params(&p.challenges[0]),
        [("realm", "a"), ("error", "invalid_token")]
    );
}

#[test]
fn commas_inside_quotes_do_not_split() {
    let p = parse(r#"Bearer scope="a,b c", realm="x""#);
    assert_eq!(
        params(&p.challenges[0]),
        [("scope", "a,b c"), ("realm", "x")]
    );
}

#[test]
fn a_value_split_over_several_lines() {
    let p = parse_lines(&[
        r#"Bearer realm="api""#,
        r#"error="invalid_token""#,
        "Basic realm=\"b\"",
    ]);
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    assert_eq!(p.challenges.len(), 2);
    assert_eq!(
        params(&p.challenges[0]),
        [("realm", "api"), ("error", "invalid_token")]
    );
}

#[test]
fn unterminated_quote_is_named_with_its_position() {
    // A quote left open swallows the rest of the value.
    let p = parse(r#"Bearer realm="example, error=invalid_token"#);
    assert_eq!(p.problems.len(), 1, "{:?}", p.problems);
    assert_eq!(p.problems[0].kind, ProblemKind::UnterminatedQuote);
    assert_eq!(p.problems[0].at, 13);
    // A stray quote closes the first one early; what follows lacks a comma.
    let p = parse(r#"Bearer realm="example, error="x"#);
    assert_eq!(p.problems[0].kind, ProblemKind::MissingComma);
    assert_eq!(p.problems[0].at, 30);
}

#[test]
fn missing_comma_between_params() {
    let p = parse(r#"Bearer realm="a" error="invalid_token""#);
    assert_eq!(p.problems.len(), 1);
    assert_eq!(p.problems[0].kind, ProblemKind::MissingComma);
    assert_eq!(p.problems[0].at, 17);
    // Recovery still reads the second parameter.
    assert_eq!(p.challenges[0].param("error"), Some("invalid_token"));
}

#[test]
fn stray_equals_and_missing_value() {
    let p = parse(r#"Bearer realm="a", ="x""#);
    assert_eq!(p.problems[0].kind, ProblemKind::MissingName);
    assert_eq!(p.problems[0].at, 18);
    let p = parse(r#"Bearer realm="a", error=, scope="s""#);
    assert_eq!(
        p.problems[0].kind,
        ProblemKind::MissingValue {
            name: "error".into()
        }
    );
    assert_eq!(p.challenges[0].param("scope"), Some("s"));
}

#[test]
fn param_before_any_scheme() {
    let p = parse(r#"realm="a", Bearer"#);
    assert_eq!(p.problems[0].kind, ProblemKind::MissingScheme);
    assert_eq!(p.challenges.len(), 1);
}

/// Found by the fuzzer: a parameter after a token68 challenge was attached
/// to it, and rendering then lost it.
#[test]
fn a_param_after_a_token68_belongs_to_no_challenge() {
    let p = parse(r#"Digest re6, nonce="abc", Negotiate YIIBhw=="#);
    assert_eq!(p.problems.len(), 1, "{:?}", p.problems);
    assert_eq!(p.problems[0].kind, ProblemKind::MissingScheme);
    assert_eq!(p.problems[0].at, 12);
    assert_eq!(p.challenges[0].token68.as_deref(), Some("re6"));
    assert!(p.challenges[0].params.is_empty());
    assert_eq!(p.challenges[1].token68.as_deref(), Some("YIIBhw=="));
}

#[test]
fn duplicate_param_is_named() {
    let p = parse(r#"Bearer realm="a", realm="b""#);
    assert_eq!(p.problems.len(), 1);
    assert_eq!(
        p.problems[0].kind,
        ProblemKind::DuplicateParam {
            name: "realm".into()
        }
    );
    assert_eq!(p.problems[0].at, 18);
}

#[test]
fn empty_value_and_garbage() {
    assert_eq!(parse("").problems[0].kind, ProblemKind::Empty);
    assert_eq!(parse("   ").problems[0].kind, ProblemKind::Empty);
    let p = parse("\"Bearer\"");
    assert!(matches!(
        p.problems[0].kind,
        ProblemKind::UnexpectedCharacter { found: '"' }
    ));
    let p = parse("Bearer realm=\"a\\");
    assert!(
        p.problems
            .iter()
            .any(|p| p.kind == ProblemKind::DanglingEscape)
    );
}

#[test]
fn rendering_quotes_and_escapes() {
    let ch = Challenge::new("Bearer")
        .with("realm", "say \"hi\" \\o/")
        .with("error", "invalid_token");
    assert_eq!(
        ch.to_string(),
        r#"Bearer realm="say \"hi\" \\o/", error="invalid_token""#
    );
    assert_eq!(parse(&ch.to_string()).challenges, vec![ch]);
}

/// The `http-auth` crate reads the same challenges as we do on every input it
/// accepts (it has no token68 support, so those inputs are left out).
#[test]
fn agrees_with_the_http_auth_crate() {
    let inputs = [
        r#"Bearer realm="example""#,
        r#"Bearer realm="example", error="invalid_token", error_description="The access token expired""#,
        r#"Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple""#,
        r#"Basic realm="x", charset="UTF-8""#,
        r#"Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="abc""#,
        r#"Bearer realm="a" , scope="x y""#,
        r#"Negotiate, Basic realm="b""#,
        r#"DPoP algs="ES256 PS256", error="use_dpop_nonce""#,
    ];
    for input in inputs {
        let ours = parse(input);
        assert!(ours.problems.is_empty(), "{input}: {:?}", ours.problems);
        let theirs: Vec<_> = http_auth::parser::ChallengeParser::new(input)
            .collect::<Result<Vec<_>, _>>()
            .unwrap_or_else(|e| panic!("http-auth rejects {input}: {e:?}"));
        assert_eq!(ours.challenges.len(), theirs.len(), "{input}");
        for (o, t) in ours.challenges.iter().zip(&theirs) {
            assert!(o.scheme.eq_ignore_ascii_case(t.scheme), "{input}");
            let tp: Vec<(String, String)> = t
                .params
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.to_unescaped()))
                .collect();
            assert_eq!(o.params, tp, "{input}");
        }
    }
}

fn arb_token() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]{0,10}"
}

fn arb_challenge() -> impl Strategy<Value = Challenge> {
    let with_params = (
        arb_token(),
        proptest::collection::vec(
            (
                arb_token().prop_map(|n| n.to_ascii_lowercase()),
                "[ -~\u{e9}\u{4e2d}]{0,20}",
            ),
            0..5,
        ),
    )
        .prop_map(|(scheme, ps)| {
            let mut seen = Vec::new();
            let params = ps
                .into_iter()
                .filter(|(n, _)| {
                    let fresh = !seen.contains(n);
                    seen.push(n.clone());
                    fresh
                })
                .collect();
            Challenge {
                scheme,
                token68: None,
                params,
            }
        });
    let with_token68 =
        (arb_token(), "[A-Za-z0-9._~+/-]{1,30}={0,2}").prop_map(|(scheme, t)| Challenge {
            scheme,
            token68: Some(t),
            params: Vec::new(),
        });
    prop_oneof![with_params, with_token68]
}

proptest! {
    #[test]
    fn parse_render_parse_is_the_identity(chs in proptest::collection::vec(arb_challenge(), 1..4)) {
        let text = render(&chs);
        let p = parse(&text);
        prop_assert!(p.problems.is_empty(), "{text}: {:?}", p.problems);
        prop_assert_eq!(&p.challenges, &chs, "{}", text);
        prop_assert_eq!(render(&p.challenges), text);
    }

    #[test]
    fn arbitrary_input_never_panics(s in "\\PC{0,80}") {
        let p = parse(&s);
        for pr in &p.problems {
            prop_assert!(pr.at <= s.len());
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..120)) {
        let s = String::from_utf8_lossy(&b);
        let _ = parse(&s);
    }
}
