//! Token decoding and every check, against a fixed key set and secret:
//! never panics, and never claims a verified signature for fuzz input.
#![no_main]

use authdoctor_jose::{JwkSet, Keys, Policy, check, decode};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static JWKS: OnceLock<JwkSet> = OnceLock::new();

/// Tokens genuinely signed with the test key set (the seeds include some).
const GENUINE: &[&str] = &[
    include_str!("../../testdata/tokens/valid.jwt"),
    include_str!("../../testdata/tokens/valid-es256.jwt"),
    include_str!("../../testdata/tokens/expired.jwt"),
    include_str!("../../testdata/tokens/not-yet-valid.jwt"),
    include_str!("../../testdata/tokens/wrong-audience.jwt"),
    include_str!("../../testdata/tokens/wrong-issuer.jwt"),
    include_str!("../../testdata/tokens/missing-scope.jwt"),
    include_str!("../../testdata/tokens/id-token.jwt"),
];

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let jwks = JWKS.get_or_init(|| {
        JwkSet::parse(include_str!("../../testdata/tokens/jwks.json")).expect("the test key set parses")
    });
    let d = decode(s);
    let r = check(&d, &Policy::at(1_795_714_452), Keys { jwks: Some(jwks), secret: Some(b"fuzz-secret") });
    if r.signature_verified {
        // The HMAC secret is known to the fuzzer's world; a public-key
        // signature cannot be found by chance, only copied from a genuine
        // token, signed content and all.
        let hmac = d.alg().is_some_and(|a| a.starts_with("HS"));
        let copied = GENUINE.iter().any(|t| t.trim().starts_with(&format!("{}.", d.signing_input)));
        assert!(hmac || copied, "{s:?} verified");
    }
});
