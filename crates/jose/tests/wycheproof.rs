//! Wycheproof's JWS vectors (C2SP/wycheproof,
//! `testvectors_v1/json_web_signature_test.json`), scored on the signature
//! verdict: every `valid` vector verifies, no `invalid` one does.
//!
//! The vectors are not copied into this repository; the test reads them
//! from the file named by `AUTHDOCTOR_WYCHEPROOF_JWS` (a checkout of the
//! Wycheproof repository has it). The defect classes they found are
//! regression tests of their own in `attacks.rs`, which always run.
//!
//! Deliberate strictness beyond the vectors: a key whose `alg` differs
//! from the token's is refused, and so is a key restricted to encryption
//! (`use: enc`, `key_ops` without `verify`); a token with a character
//! outside base64url is refused whatever its MAC (RFC 7515 §2; two vectors
//! call such a token valid). A `valid` vector refused for these reasons
//! counts as strict, not as a failure.

#![allow(clippy::unwrap_used)]

use authdoctor_jose::{JwkSet, Keys, Policy, check, decode};
use serde_json::Value;

#[test]
fn wycheproof_jws_signature_verdicts() {
    let Some(path) = std::env::var_os("AUTHDOCTOR_WYCHEPROOF_JWS") else {
        eprintln!(
            "skipped: set AUTHDOCTOR_WYCHEPROOF_JWS to Wycheproof's json_web_signature_test.json"
        );
        return;
    };
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let (mut right, mut strict, mut contradictory, mut wrong) = (0, 0, 0, Vec::new());
    // A vector byte-identical to another with the opposite result cannot be
    // met by any verifier (the snapshot lost the padding of two vectors).
    let mut verdicts: std::collections::HashMap<String, Vec<bool>> = Default::default();
    for g in doc["testGroups"].as_array().unwrap() {
        for t in g["tests"].as_array().unwrap() {
            if let Some(j) = t["jws"].as_str() {
                verdicts
                    .entry(j.to_owned())
                    .or_default()
                    .push(t["result"] == "valid");
            }
        }
    }
    for g in doc["testGroups"].as_array().unwrap() {
        let key = g.get("public").unwrap_or(&g["private"]);
        let set = JwkSet::parse(&key.to_string()).unwrap();
        for t in g["tests"].as_array().unwrap() {
            let Some(jws) = t["jws"].as_str() else {
                // JSON serialization: not a compact JWS, never accepted.
                right += 1;
                continue;
            };
            if verdicts[jws].contains(&true) && verdicts[jws].contains(&false) {
                contradictory += 1;
                continue;
            }
            let d = decode(jws);
            let r = check(
                &d,
                &Policy::at(0),
                Keys {
                    jwks: Some(&set),
                    secret: None,
                },
            );
            let valid = t["result"] == "valid";
            match (valid, r.signature_verified) {
                (true, true) | (false, false) => right += 1,
                (true, false) => {
                    let why = r
                        .checks
                        .iter()
                        .map(|c| c.detail.clone())
                        .collect::<Vec<_>>()
                        .join(" | ");
                    let outside_alphabet = jws.bytes().any(|b| {
                        !(b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
                    });
                    if outside_alphabet
                        || why.contains("may not verify")
                        || why.contains("key set has no key that may verify")
                    {
                        strict += 1;
                    } else {
                        wrong.push(format!(
                            "tc {} {} (valid, refused): {why}",
                            t["tcId"], t["comment"]
                        ));
                    }
                }
                (false, true) => wrong.push(format!(
                    "tc {} {} (invalid, accepted)",
                    t["tcId"], t["comment"]
                )),
            }
        }
    }
    eprintln!(
        "wycheproof JWS: {right} right, {strict} strict, {contradictory} contradictory, {} wrong",
        wrong.len()
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
