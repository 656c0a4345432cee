//! Signature verification cost per algorithm, on a key parsed once (as a
//! server holds its JWKS) and a typical access token's signing input.
//!
//! Prints one line per algorithm: `ALG ns_per_verify verifies_per_s`.
//! `bench/verify-vs-openssl` runs this beside `openssl speed` on the same
//! machine and reports the ratio; that script is the way to read it.

use authdoctor_jose::{Alg, PrivateKey, Verifier};
use std::hint::black_box;
use std::time::{Duration, Instant};

fn main() {
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let msg = "eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6InByb2QtMjAyNi0xMSJ9.eyJpc3MiOiJodHRwczovL2lkLmV4YW1wbGUudGVzdC8iLCJzdWIiOiJ1c2VyLTQ3MTEiLCJhdWQiOiJodHRwczovL2FwaS5leGFtcGxlLnRlc3QiLCJjbGllbnRfaWQiOiJvcmRlcnMtY2xpIiwic2NvcGUiOiJvcmRlcnM6cmVhZCBvcmRlcnM6d3JpdGUiLCJpYXQiOjE3OTU3MTQxNTIsImV4cCI6MTc5NTcxNTA1MiwianRpIjoiYjZmMWMwZGUifQ";
    for alg in [
        Alg::RS256,
        Alg::PS256,
        Alg::ES256,
        Alg::ES384,
        Alg::ES512,
        Alg::EdDSA,
        Alg::HS256,
    ] {
        if !filter.is_empty() && !filter.iter().any(|f| f == alg.name()) {
            continue;
        }
        let key = match alg {
            Alg::HS256 => PrivateKey::hmac(&alg, &[42u8; 32]),
            _ => PrivateKey::generate(&alg),
        }
        .expect("key generation");
        let sig = key.sign(msg.as_bytes()).expect("signing");
        let v = Verifier::new(&alg, &key.public()).expect("a verifier");
        assert!(v.verify(msg.as_bytes(), &sig));
        // Five rounds of about 0.6 s; the median round is reported.
        let mut per_op = Vec::new();
        for _ in 0..5 {
            let mut n = 0u64;
            let start = Instant::now();
            while start.elapsed() < Duration::from_millis(600) {
                for _ in 0..64 {
                    black_box(v.verify(black_box(msg.as_bytes()), black_box(&sig)));
                }
                n += 64;
            }
            per_op.push(start.elapsed().as_nanos() as f64 / n as f64);
        }
        per_op.sort_by(f64::total_cmp);
        let ns = per_op[2];
        println!("{} {:.0} {:.0}", alg.name(), ns, 1e9 / ns);
    }
}
