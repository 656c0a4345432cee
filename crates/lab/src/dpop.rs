//! DPoP proofs (RFC 9449 §4.3): checked on the token request and on the
//! DPoP-bound resource, by [`authdoctor_jose::dpop`], each `jti` once.

use crate::state::Shared;
pub use authdoctor_jose::dpop::Proof;

/// Checks a DPoP proof for a request to `htm` `htu` at `now`; with an
/// access token, also its `ath`; its `jti` remembered.
pub fn verify_proof(
    proof: &str,
    htm: &str,
    htu: &str,
    access_token: Option<&str>,
    now: i64,
    s: &Shared,
) -> Result<Proof, String> {
    authdoctor_jose::dpop::verify_proof(proof, htm, htu, access_token, now, |jti| {
        s.lock().dpop_jti.insert(jti.to_owned())
    })
}
