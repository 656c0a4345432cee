//! The official JWS examples: RFC 7515 appendix A, RFC 7520 §4.3 and RFC 8037
//! appendix A.4. Each verifies with our code against the RFC's own key, and
//! fails once a single byte of the signed content changes.

#![allow(clippy::unwrap_used)]

use authdoctor_causes::Cause;
use authdoctor_jose::{JwkSet, Keys, Policy, Status, b64, check, decode};

const PAYLOAD_A: &str = "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
/// Before the examples' `exp` (1300819380), so that the time checks pass.
const WHEN: i64 = 1_300_819_000;

struct Vector {
    name: &'static str,
    jwk: &'static str,
    jws: String,
    json_payload: bool,
}

fn vectors() -> Vec<Vector> {
    vec![
        Vector {
            name: "RFC 7515 A.1 HS256",
            jwk: r#"{"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}"#,
            jws: format!("eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.{PAYLOAD_A}.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            json_payload: true,
        },
        Vector {
            name: "RFC 7515 A.2 RS256",
            jwk: r#"{"kty":"RSA","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ","e":"AQAB"}"#,
            jws: format!("eyJhbGciOiJSUzI1NiJ9.{PAYLOAD_A}.cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw"),
            json_payload: true,
        },
        Vector {
            name: "RFC 7515 A.3 ES256",
            jwk: r#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#,
            jws: format!("eyJhbGciOiJFUzI1NiJ9.{PAYLOAD_A}.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"),
            json_payload: true,
        },
        Vector {
            name: "RFC 7515 A.4 ES512",
            jwk: r#"{"kty":"EC","crv":"P-521","x":"AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmPk06wTjxrrjcBpXp5EOnYG_NjFZ6OvLFV1jSfS9tsz4qUxcWceqwQGk","y":"ADSmRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxVg_l2Th-x3S1WDhjDly79ajL4Kkd0AZMaZmh9ubmf63e3kyMj2"}"#,
            jws: "eyJhbGciOiJFUzUxMiJ9.UGF5bG9hZA.AdwMgeerwtHoh-l192l60hp9wAHZFVJbLfD_UxMi70cwnZOYaRI1bKPWROc-mZZqwqT2SI-KGDKB34XO0aw_7XdtAG8GaSwFKdCAPZgoXD2YBJZCPEX3xKpRwcdOO8KpEHwJjyqOgzDO7iKvU8vcnwNrmxYbSW9ERBXukOXolLzeO_Jn".to_owned(),
            json_payload: false,
        },
        Vector {
            name: "RFC 7520 4.3 ES512 with kid",
            jwk: r#"{"kty":"EC","kid":"bilbo.baggins@hobbiton.example","use":"sig","crv":"P-521","x":"AHKZLLOsCOzz5cY97ewNUajB957y-C-U88c3v13nmGZx6sYl_oJXu9A5RkTKqjqvjyekWF-7ytDyRXYgCF5cj0Kt","y":"AdymlHvOiLxXkEhayXQnNCvDX4h9htZaCJN34kfmC6pV5OhQHiraVySsUdaQkAgDPrwQrJmbnX9cwlGfP-HqHZR1"}"#,
            jws: "eyJhbGciOiJFUzUxMiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9.SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4.AE_R_YZCChjn4791jSQCrdPZCNYqHXCTZH0-JZGYNlaAjP2kqaluUIIUnC9qvbu9Plon7KRTzoNEuT4Va2cmL1eJAQy3mtPBu_u_sDDyYjnAMDxXPn7XrT0lw-kvAD890jl8e2puQens_IEKBpHABlsbEPX6sFY8OcGDqoRuBomu9xQ2".to_owned(),
            json_payload: false,
        },
        Vector {
            name: "RFC 8037 A.4 EdDSA",
            jwk: r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#,
            jws: "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg".to_owned(),
            json_payload: false,
        },
    ]
}

fn keys_for(v: &Vector) -> (JwkSet, Option<Vec<u8>>) {
    let set = JwkSet::parse(v.jwk).expect("the RFC's key parses");
    let secret = serde_json::from_str::<serde_json::Value>(v.jwk).unwrap()["k"]
        .as_str()
        .and_then(b64::decode_strict);
    (set, secret)
}

#[test]
fn every_rfc_example_verifies() {
    for v in vectors() {
        let d = decode(&v.jws);
        let (set, secret) = keys_for(&v);
        let keys = Keys {
            jwks: if secret.is_some() { None } else { Some(&set) },
            secret: secret.as_deref(),
        };
        let r = check(&d, &Policy::at(WHEN), keys);
        assert!(r.signature_verified, "{}: {:#?}", v.name, r.checks);
        let sig = r.checks.iter().find(|c| c.name == "signature").unwrap();
        assert_eq!(sig.status, Status::Pass, "{}", v.name);
        if v.json_payload {
            assert!(d.defects.is_empty(), "{}: {:?}", v.name, d.defects);
            assert_eq!(d.claim("iss").and_then(|v| v.as_str()), Some("joe"));
        } else {
            // A JWS whose payload is not a claims set: named as such.
            assert!(d.claims.is_none(), "{}", v.name);
        }
    }
}

#[test]
fn every_rfc_example_fails_when_one_byte_changes() {
    for v in vectors() {
        // Flip one character of the payload's base64url.
        let parts: Vec<&str> = v.jws.split('.').collect();
        let mut payload: Vec<u8> = parts[1].bytes().collect();
        payload[2] = if payload[2] == b'A' { b'B' } else { b'A' };
        let tampered = format!(
            "{}.{}.{}",
            parts[0],
            String::from_utf8(payload).unwrap(),
            parts[2]
        );
        let d = decode(&tampered);
        let (set, secret) = keys_for(&v);
        let keys = Keys {
            jwks: if secret.is_some() { None } else { Some(&set) },
            secret: secret.as_deref(),
        };
        let r = check(&d, &Policy::at(WHEN), keys);
        assert!(!r.signature_verified, "{}", v.name);
        assert!(
            r.causes.contains(&Cause::TokenSignatureInvalid),
            "{}: {:?}",
            v.name,
            r.checks
        );
    }
}

#[test]
fn the_rfc_payload_is_expired_now() {
    let v = &vectors()[2];
    let d = decode(&v.jws);
    let r = check(&d, &Policy::at(1_800_000_000), Keys::default());
    let exp = r.checks.iter().find(|c| c.name == "exp").unwrap();
    assert_eq!(exp.cause, Some(Cause::TokenExpired));
    assert!(
        exp.detail.contains("2011-03-22T18:43:00Z"),
        "{}",
        exp.detail
    );
    assert_eq!(r.causes, [Cause::TokenExpired]);
    // Without a key the signature is skipped, not failed.
    assert!(
        r.checks
            .iter()
            .any(|c| c.name == "signature" && c.status == Status::Skip)
    );
}

/// RFC 7638 §3.1: the example key's thumbprint.
#[test]
fn rfc7638_thumbprint() {
    let k = JwkSet::parse(r#"{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}"#).unwrap();
    assert_eq!(
        k.keys[0].thumbprint().as_deref(),
        Some("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
    );
}
