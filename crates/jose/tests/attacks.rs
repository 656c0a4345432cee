//! The JWT attack suite: each forged or broken token is rejected with the
//! cause a correct server gives, and nothing panics or hangs.

#![allow(clippy::unwrap_used)]

use authdoctor_causes::Cause;
use authdoctor_jose::{Alg, JwkSet, Keys, Policy, SigningKey, Status, b64, check, decode};
use serde_json::{Map, Value, json};

const NOW: i64 = 1_800_000_000;

fn claims() -> Value {
    json!({"iss": "https://issuer.test", "sub": "alice", "aud": "api", "exp": NOW + 600, "iat": NOW - 10, "scope": "read"})
}

fn raw(header: &str, payload: &str, sig: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        b64::encode(header.as_bytes()),
        b64::encode(payload.as_bytes()),
        b64::encode(sig)
    )
}

fn issuer_key(alg: Alg) -> (SigningKey, JwkSet) {
    let k = SigningKey::generate(&alg, "key-1").unwrap();
    let set = JwkSet {
        keys: vec![k.public_jwk()],
    };
    (k, set)
}

fn run(token: &str, jwks: &JwkSet) -> authdoctor_jose::Report {
    check(
        &decode(token),
        &Policy::at(NOW),
        Keys {
            jwks: Some(jwks),
            secret: None,
        },
    )
}

#[test]
fn a_genuine_token_passes() {
    let (k, set) = issuer_key(Alg::RS256);
    let t = k.sign_jwt(Some("at+jwt"), &Map::new(), &claims()).unwrap();
    let r = run(&t, &set);
    assert!(r.valid && r.signature_verified, "{:#?}", r.checks);
}

/// A token broken across lines is named where it breaks and read as if
/// whole, to show what it says; its signature, checked only over the bytes
/// as sent, is refused. A whole token's signing input is its first two
/// parts and the dot between them.
#[test]
fn a_token_broken_by_whitespace_is_named_where_it_breaks() {
    let (k, set) = issuer_key(Alg::RS256);
    let t = k.sign_jwt(Some("at+jwt"), &Map::new(), &claims()).unwrap();
    let whole = decode(&t);
    let dots: Vec<usize> = t.match_indices('.').map(|(i, _)| i).collect();
    assert_eq!(whole.signing_input, t[..dots[1]]);
    assert!(whole.defects.is_empty(), "{:?}", whole.defects);
    for space in [" ", "\t", "\n", "\r\n", "\u{b}", "\u{c}"] {
        let broken = format!("{}{space}{}", &t[..40], &t[40..]);
        let d = decode(&broken);
        assert!(
            d.defects
                .contains(&authdoctor_jose::Defect::Whitespace { at: 40 }),
            "{space:?}: {:?}",
            d.defects
        );
        assert_eq!(d.token, t);
        assert_eq!(d.signing_input, whole.signing_input);
        let r = run(&broken, &set);
        assert!(!r.valid && !r.signature_verified, "{:#?}", r.checks);
    }
}

/// A header parameter that must be a string and is not is named with
/// what it is; what a `kid` of another type does is said of `kid` only.
#[test]
fn a_header_parameter_of_another_type_is_named() {
    let payload = claims().to_string();
    for (name, json, found) in [
        ("kid", r#"{"alg":"RS256","kid":1}"#, "a number"),
        ("typ", r#"{"alg":"RS256","typ":["at+jwt"]}"#, "an array"),
        ("cty", r#"{"alg":"RS256","cty":{"a":1}}"#, "an object"),
    ] {
        let d = decode(&raw(json, &payload, b"sig"));
        let said: Vec<String> = d.defects.iter().map(ToString::to_string).collect();
        let defect = said
            .iter()
            .find(|s| s.starts_with(&format!("The header's `{name}` is {found};")))
            .unwrap_or_else(|| panic!("{name}: {said:?}"));
        assert_eq!(
            defect.contains("looks its key up"),
            name == "kid",
            "{defect}"
        );
    }
}

#[test]
fn alg_none_in_any_letter_case() {
    let (_, set) = issuer_key(Alg::RS256);
    for none in ["none", "None", "NONE", "nOnE"] {
        let t = raw(
            &format!(r#"{{"alg":"{none}","kid":"key-1"}}"#),
            &claims().to_string(),
            b"",
        );
        let r = run(&t, &set);
        assert!(!r.valid, "{none}");
        assert_eq!(
            r.causes[0],
            Cause::TokenAlgRejected,
            "{none}: {:?}",
            r.checks
        );
    }
}

#[test]
fn hs256_signed_with_the_rsa_public_key_is_key_confusion() {
    let (k, set) = issuer_key(Alg::RS256);
    // The attacker's "secret" is the published public key.
    let public = set.to_json().to_string();
    let forger = authdoctor_jose::PrivateKey::hmac(&Alg::HS256, public.as_bytes()).unwrap();
    let forged = SigningKey::new(forger, &k.kid)
        .sign_jwt(None, &Map::new(), &claims())
        .unwrap();
    let r = run(&forged, &set);
    assert_eq!(r.causes, [Cause::TokenAlgRejected], "{:?}", r.checks);
    assert!(r.checks.iter().any(|c| c.detail.contains("key confusion")));
}

#[test]
fn psychic_signature_cve_2022_21449() {
    let (_, set) = issuer_key(Alg::ES256);
    let t = raw(
        r#"{"alg":"ES256","kid":"key-1"}"#,
        &claims().to_string(),
        &[0u8; 64],
    );
    let r = run(&t, &set);
    assert_eq!(r.causes, [Cause::TokenSignatureInvalid]);
    assert!(r.checks.iter().any(|c| c.detail.contains("CVE-2022-21449")));
}

#[test]
fn der_encoded_ecdsa_signature_is_named() {
    let (_, set) = issuer_key(Alg::ES256);
    let mut der = vec![0x30, 0x44, 0x02, 0x20];
    der.extend([1u8; 32]);
    der.extend([0x02, 0x20]);
    der.extend([2u8; 32]);
    let t = raw(
        r#"{"alg":"ES256","kid":"key-1"}"#,
        &claims().to_string(),
        &der,
    );
    let r = run(&t, &set);
    assert!(
        r.checks.iter().any(|c| c.detail.contains("DER")),
        "{:?}",
        r.checks
    );
}

#[test]
fn an_embedded_jwk_is_never_trusted() {
    let (_, set) = issuer_key(Alg::ES256);
    let attacker = SigningKey::generate(&Alg::ES256, "key-1").unwrap();
    let mut extra = Map::new();
    extra.insert("jwk".into(), attacker.public_jwk().to_json());
    let t = attacker.sign_jwt(None, &extra, &claims()).unwrap();
    let r = run(&t, &set);
    assert!(!r.signature_verified);
    assert_eq!(r.causes, [Cause::TokenSignatureInvalid], "{:?}", r.checks);
    assert!(
        r.checks
            .iter()
            .any(|c| c.name == "key_source" && c.status == Status::Warn)
    );
}

#[test]
fn jku_and_x5u_injection_are_ignored() {
    let (_, set) = issuer_key(Alg::RS256);
    let attacker = SigningKey::generate(&Alg::RS256, "key-1").unwrap();
    for header in ["jku", "x5u"] {
        let mut extra = Map::new();
        extra.insert(header.into(), json!("https://attacker.test/keys.json"));
        let t = attacker.sign_jwt(None, &extra, &claims()).unwrap();
        let r = run(&t, &set);
        assert!(!r.signature_verified, "{header}");
        let warn = r.checks.iter().find(|c| c.name == "key_source").unwrap();
        assert!(warn.detail.contains(header));
    }
}

#[test]
fn unknown_kid_means_rotated_keys() {
    let (_, set) = issuer_key(Alg::RS256);
    let other = SigningKey::generate(&Alg::RS256, "key-2").unwrap();
    let t = other.sign_jwt(None, &Map::new(), &claims()).unwrap();
    let r = run(&t, &set);
    assert_eq!(r.causes, [Cause::TokenUnknownKey]);
    let c = r.checks.iter().find(|c| c.name == "signature").unwrap();
    assert!(
        c.detail.contains("\"key-2\"") && c.detail.contains("key-1"),
        "{}",
        c.detail
    );
}

#[test]
fn same_kid_other_key_is_a_bad_signature() {
    let (_, set) = issuer_key(Alg::PS256);
    let staging = SigningKey::generate(&Alg::PS256, "key-1").unwrap();
    let t = staging.sign_jwt(None, &Map::new(), &claims()).unwrap();
    assert_eq!(run(&t, &set).causes, [Cause::TokenSignatureInvalid]);
}

#[test]
fn tampered_payload() {
    let (k, set) = issuer_key(Alg::EdDSA);
    let t = k.sign_jwt(None, &Map::new(), &claims()).unwrap();
    let parts: Vec<&str> = t.split('.').collect();
    let mut c = claims();
    c["scope"] = json!("read admin");
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        b64::encode(c.to_string().as_bytes()),
        parts[2]
    );
    assert_eq!(run(&forged, &set).causes, [Cause::TokenSignatureInvalid]);
}

#[test]
fn truncated_tokens() {
    let (k, set) = issuer_key(Alg::RS256);
    let t = k.sign_jwt(None, &Map::new(), &claims()).unwrap();
    // Cut in the signature, at the last dot, and in the payload.
    for cut in [
        t.len() - 10,
        t.rfind('.').unwrap(),
        t.find('.').unwrap() + 7,
    ] {
        let r = run(&t[..cut], &set);
        assert!(!r.valid, "cut at {cut}");
        assert!(
            r.causes.contains(&Cause::TokenMalformed)
                || r.causes.contains(&Cause::TokenSignatureInvalid),
            "cut at {cut}: {:?}",
            r.checks
        );
    }
    assert_eq!(
        run(&t[..t.rfind('.').unwrap()], &set).causes,
        [Cause::TokenMalformed]
    );
}

#[test]
fn duplicate_claims_are_rejected() {
    let (_, set) = issuer_key(Alg::RS256);
    let t = raw(
        r#"{"alg":"RS256","kid":"key-1"}"#,
        r#"{"sub":"alice","sub":"admin","exp":1800000600}"#,
        b"sig",
    );
    let d = decode(&t);
    assert!(
        d.defects
            .iter()
            .any(|x| x.to_string().contains("`sub` twice")),
        "{:?}",
        d.defects
    );
    assert!(run(&t, &set).causes.contains(&Cause::TokenMalformed));
}

#[test]
fn exp_as_a_string_is_not_ignored() {
    // CVE-2026-25537: libraries that treat a mistyped exp as absent accept
    // a token that should have expired.
    let t = raw(
        r#"{"alg":"RS256"}"#,
        r#"{"sub":"a","exp":"1500000000"}"#,
        b"sig",
    );
    let r = check(&decode(&t), &Policy::at(NOW), Keys::default());
    assert!(!r.valid);
    assert!(
        r.checks
            .iter()
            .any(|c| c.detail.contains("`exp` is a string")),
        "{:?}",
        r.checks
    );
}

#[test]
fn unknown_crit_is_rejected() {
    let (k, set) = issuer_key(Alg::ES384);
    let mut extra = Map::new();
    extra.insert("crit".into(), json!(["exp-policy"]));
    extra.insert("exp-policy".into(), json!("strict"));
    let t = k.sign_jwt(None, &extra, &claims()).unwrap();
    let r = run(&t, &set);
    assert!(r.signature_verified, "the signature itself is good");
    assert_eq!(r.causes, [Cause::TokenMalformed]);
    assert!(r.checks.iter().any(|c| c.name == "crit" && !c.ok));
}

#[test]
fn a_two_megabyte_token_is_refused_quickly() {
    let big = format!("eyJhbGciOiJSUzI1NiJ9.{}.c2ln", "A".repeat(2 * 1024 * 1024));
    let (_, set) = issuer_key(Alg::RS256);
    let r = run(&big, &set);
    assert_eq!(r.causes, [Cause::TokenMalformed]);
    assert!(
        r.checks[0].detail.contains("2097"),
        "{}",
        r.checks[0].detail
    );
}

#[test]
fn a_key_restricted_to_another_alg_is_not_used() {
    let (k, mut set) = issuer_key(Alg::RS256);
    set.keys[0].alg = Some("PS256".into());
    let t = k.sign_jwt(None, &Map::new(), &claims()).unwrap();
    assert_eq!(run(&t, &set).causes, [Cause::TokenAlgRejected]);
    set.keys[0].alg = None;
    set.keys[0].use_ = Some("enc".into());
    assert_eq!(run(&t, &set).causes, [Cause::TokenAlgRejected]);
}

#[test]
fn policy_algorithms_are_enforced() {
    let (k, set) = issuer_key(Alg::RS256);
    let t = k.sign_jwt(None, &Map::new(), &claims()).unwrap();
    let mut p = Policy::at(NOW);
    p.algorithms = Some(vec![Alg::ES256]);
    let r = check(
        &decode(&t),
        &p,
        Keys {
            jwks: Some(&set),
            secret: None,
        },
    );
    assert_eq!(r.causes, [Cause::TokenAlgRejected]);
}

#[test]
fn a_jwe_is_said_to_be_encrypted() {
    let t = "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.OKOawDo13gRp2ojaHV7LFpZcgV7T6DVZKTyKOMTYUmKoTCVJRgckCL9kiMT03JGeipsEdY3mx_etLbbWSrFr05kLzcSr4qKAq7YN7e9jwQRb23nfa6c9d-StnImGyFDbSv04uVuxIp5Zms1gNxKKK2Da14B8S4rzVRltdYwam_lDp5XnZAYpQdb76FdIKLaVmqgfwX7XWRxv2322i-vDxRfqNzo_tETKzpVLzfiwQyeyPGLBIO56YJ7eObdv0je81860ppamavo35UgoRdbYaBcoh9QcfylQr66oc6vFWXRcZ_ZT2LawVCWTIy3brGPi6UklfCpIMfIjf7iGdXKHzg.48V1_ALb6US04U3b.5eym8TW_c8SuK0ltJ3rpYIzOeDQz7TALvtu6UG9oMo4vpzs9tX_EFShS8iB7j6jiSdiwkIr3ajwQzaBtQD_A.XFBoMYUZodetZdvTiFvSkQ";
    let d = decode(t);
    assert_eq!(d.defects, [authdoctor_jose::Defect::Encrypted]);
    // Encrypted to another recipient than the server that reads it: its
    // audience is someone else.
    assert_eq!(d.defects[0].cause(), Some(Cause::TokenAudienceMismatch));
    assert_eq!(d.header.as_ref().unwrap()["enc"], "A256GCM");
}

#[test]
fn base64_quirks_are_named() {
    let (k, set) = issuer_key(Alg::HS256);
    let _ = set;
    let t = k.sign_jwt(None, &Map::new(), &claims()).unwrap();
    let parts: Vec<&str> = t.split('.').collect();
    let padded = format!("{}==.{}.{}", parts[0], parts[1], parts[2]);
    let d = decode(&padded);
    assert!(
        d.defects
            .iter()
            .any(|x| matches!(x, authdoctor_jose::Defect::Base64Padding(_))),
        "{:?}",
        d.defects
    );
    let std_alpha = format!(
        "{}.{}.{}",
        parts[0],
        parts[1],
        parts[2].replace('-', "+").replace('_', "/")
    );
    if std_alpha != t {
        let d = decode(&std_alpha);
        assert!(
            d.defects
                .iter()
                .any(|x| matches!(x, authdoctor_jose::Defect::Base64StandardAlphabet(_)))
        );
    }
    let d = decode(&format!("{}.{}.{}", parts[0], "!!!notbase64", parts[2]));
    assert!(
        d.defects
            .iter()
            .any(|x| matches!(x, authdoctor_jose::Defect::Base64Invalid { .. }))
    );
}

/// An HS256 token whose MAC is computed over exactly `signing_input`, as
/// a lenient signer or an attacker would compute it.
fn hs256_over(signing_input: &str, secret: &[u8]) -> String {
    let key = authdoctor_jose::PrivateKey::hmac(&Alg::HS256, secret).unwrap();
    let mac = key.sign(signing_input.as_bytes()).unwrap();
    format!("{signing_input}.{}", b64::encode(&mac))
}

fn hs256_verdict(token: &str, secret: &[u8]) -> authdoctor_jose::Report {
    check(
        &decode(token),
        &Policy::at(NOW),
        Keys {
            jwks: None,
            secret: Some(secret),
        },
    )
}

#[test]
fn the_signature_is_judged_over_the_bytes_as_sent_and_only_canonical_base64url() {
    // Wycheproof's JWS vectors found these accepted: a MAC with spaces in
    // it, padded parts, characters outside the alphabet covered by the MAC,
    // and a MAC over a part with stray trailing bits.
    let secret = [7u8; 32];
    let header = b64::encode(br#"{"alg":"HS256","kid":"k"}"#);
    let payload = b64::encode(claims().to_string().as_bytes());
    let good = hs256_over(&format!("{header}.{payload}"), &secret);
    assert!(hs256_verdict(&good, &secret).signature_verified);
    let (si, mac) = good.rsplit_once('.').unwrap();
    let refused = [
        ("spaces in the MAC", format!("{si}.    {mac}")),
        ("a padded MAC", format!("{si}.{mac}=")),
        (
            "characters outside the alphabet, covered by the MAC",
            hs256_over(&format!("{header}.####{payload}"), &secret),
        ),
        (
            "a character outside the alphabet, covered by the MAC",
            hs256_over(&format!("{header}.?{payload}"), &secret),
        ),
        (
            "a padded payload, covered by the MAC",
            hs256_over(&format!("{header}.{}==", b64::encode(b"Test")), &secret),
        ),
        // "AB" decodes to one byte with non-zero unused bits: not canonical.
        (
            "a MAC over an incorrectly encoded message",
            hs256_over(&format!("{header}.AB"), &secret),
        ),
    ];
    for (what, t) in refused {
        let r = hs256_verdict(&t, &secret);
        assert!(!r.signature_verified, "{what}: accepted");
        assert!(!r.valid, "{what}: valid");
    }
}

#[test]
fn an_empty_rsa_modulus_is_a_zero_bit_key() {
    let m = authdoctor_jose::PublicMaterial::Rsa {
        n: vec![],
        e: vec![1, 0, 1],
    };
    assert_eq!(m.bits(), 0);
    let m = authdoctor_jose::PublicMaterial::Rsa {
        n: vec![0, 0],
        e: vec![1, 0, 1],
    };
    assert_eq!(m.bits(), 0);
    let set = JwkSet::parse(r#"{"keys":[{"kty":"RSA","kid":"key-1","n":"","e":"AQAB"}]}"#).unwrap();
    let (k, _) = issuer_key(Alg::RS256);
    let t = k.sign_jwt(None, &Map::new(), &claims()).unwrap();
    let r = run(&t, &set);
    assert!(!r.signature_verified);
    let text = format!("{:?}", r.checks);
    assert!(!text.contains("18446744073709551"), "{text}");
}

#[test]
fn a_key_off_its_curve_is_a_signature_that_cannot_verify_not_a_wrong_alg() {
    let (k, good) = issuer_key(Alg::ES256);
    let t = k.sign_jwt(None, &Map::new(), &claims()).unwrap();
    let mut jwk = good.keys[0].to_json();
    // Flip a bit of y: the point leaves P-256.
    let mut y = b64::decode_strict(jwk["y"].as_str().unwrap()).unwrap();
    y[31] ^= 1;
    jwk["y"] = json!(b64::encode(&y));
    let set = JwkSet::parse(&json!({"keys": [jwk]}).to_string()).unwrap();
    let r = run(&t, &set);
    assert!(!r.signature_verified);
    let sig = r
        .checks
        .iter()
        .find(|c| c.name == "signature" && c.status == Status::Fail)
        .unwrap();
    assert_eq!(sig.cause, Some(Cause::TokenSignatureInvalid), "{sig:?}");
}

mod proptests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(s in "\\PC{0,300}") {
            let r = check(&decode(&s), &Policy::at(NOW), Keys::default());
            prop_assert!(!r.checks.is_empty() || s.trim().is_empty() || r.valid);
        }

        #[test]
        fn arbitrary_three_part_tokens_never_panic(
            h in proptest::collection::vec(any::<u8>(), 0..80),
            p in proptest::collection::vec(any::<u8>(), 0..80),
            s in proptest::collection::vec(any::<u8>(), 0..140),
        ) {
            let t = format!("{}.{}.{}", b64::encode(&h), b64::encode(&p), b64::encode(&s));
            let (_, set) = (0, JwkSet::default());
            let _ = check(&decode(&t), &Policy::at(NOW), Keys { jwks: Some(&set), secret: Some(b"k") });
        }

        #[test]
        fn arbitrary_json_headers_never_panic(alg in "[A-Za-z0-9]{0,8}", kid in "\\PC{0,10}", sig in proptest::collection::vec(any::<u8>(), 0..200)) {
            let (_, set) = (0, JwkSet::parse(r#"{"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}"#).unwrap());
            let header = json!({"alg": alg, "kid": kid}).to_string();
            let t = raw(&header, &claims().to_string(), &sig);
            let _ = run(&t, &set);
        }
    }
}

#[test]
fn a_kid_that_is_not_a_string_is_malformed_even_when_the_signature_is_good() {
    // RFC 7515 §4.1.4: a string. A number or an object (`{"$ne": null}`,
    // aimed at a key store queried by the header) names no published key;
    // a server that then tried every key would accept what others refuse.
    let (k, set) = issuer_key(Alg::RS256);
    for kid in [
        json!(1),
        json!({"$ne": null}),
        json!(["key-1"]),
        json!(null),
    ] {
        let mut extra = Map::new();
        extra.insert("kid".into(), kid.clone());
        let t = k.sign_jwt(Some("at+jwt"), &extra, &claims()).unwrap();
        let r = run(&t, &set);
        assert!(!r.valid, "kid {kid} accepted");
        assert_eq!(r.causes, [Cause::TokenMalformed], "kid {kid}");
        assert!(
            r.checks
                .iter()
                .any(|c| !c.ok && c.detail.contains("header's `kid`")),
            "kid {kid}: {:?}",
            r.checks
        );
    }
    // `typ` likewise; a string kid that names the key still passes.
    let mut typ = Map::new();
    typ.insert("typ".into(), json!(9068));
    let t = k.sign_jwt(None, &typ, &claims()).unwrap();
    assert_eq!(run(&t, &set).causes, [Cause::TokenMalformed]);
    let t = k.sign_jwt(Some("at+jwt"), &Map::new(), &claims()).unwrap();
    assert!(run(&t, &set).valid);
}

#[test]
fn the_servers_verdict_is_the_check_without_the_sentences_of_what_passed() {
    use authdoctor_jose::verdict;
    let (k, set) = issuer_key(Alg::ES256);
    let mut expired = claims();
    expired["exp"] = json!(NOW - 3600);
    let mut other_aud = claims();
    other_aud["aud"] = json!("another-api");
    let tokens = [
        k.sign_jwt(Some("at+jwt"), &Map::new(), &claims()).unwrap(),
        k.sign_jwt(Some("at+jwt"), &Map::new(), &expired).unwrap(),
        k.sign_jwt(None, &Map::new(), &other_aud).unwrap(),
        raw(r#"{"alg":"none"}"#, &claims().to_string(), b""),
        raw(
            r#"{"alg":"ES256","kid":"key-9"}"#,
            &claims().to_string(),
            &[1; 64],
        ),
    ];
    let policy = Policy {
        issuer: Some("https://issuer.test".into()),
        audience: Some("api".into()),
        scopes: vec!["read".into()],
        ..Policy::at(NOW)
    };
    let keys = Keys {
        jwks: Some(&set),
        secret: None,
    };
    for t in &tokens {
        let d = decode(t);
        let (full, quiet) = (check(&d, &policy, keys), verdict(&d, &policy, keys));
        assert_eq!(
            (full.valid, &full.causes, full.signature_verified),
            (quiet.valid, &quiet.causes, quiet.signature_verified)
        );
        assert_eq!(full.checks.len(), quiet.checks.len());
        for (f, q) in full.checks.iter().zip(&quiet.checks) {
            assert_eq!((f.name, f.status, f.cause), (q.name, q.status, q.cause));
            if f.status == Status::Pass {
                assert!(!f.detail.is_empty() && q.detail.is_empty(), "{f:?} / {q:?}");
            } else {
                assert_eq!(f.detail, q.detail);
            }
        }
    }
    // The first token passes every check, each with its sentence in full.
    let d = decode(&tokens[0]);
    let full = check(&d, &policy, keys);
    assert!(full.valid && full.checks.iter().all(|c| c.status == Status::Pass));
    assert!(
        full.checks
            .iter()
            .any(|c| c.name == "signature" && c.detail.contains("kid=key-1"))
    );
}
