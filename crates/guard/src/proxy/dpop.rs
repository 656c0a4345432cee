//! DPoP-bound tokens (RFC 9449): the proof checked, its `jti` remembered
//! once.

use super::*;

/// The most DPoP proofs' `jti` remembered at once: past it (a flood of
/// fresh proofs within their minute), a new proof is refused rather than
/// the memory grown.
const DPOP_JTIS: usize = 200_000;

impl Guard {
    /// Whether a DPoP proof's `jti` is new (and remembers it).
    fn dpop_jti_fresh(&self, jti: &str, now: i64) -> bool {
        let mut seen = self.dpop_jtis.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() >= DPOP_JTIS {
            // A proof is at most a minute old (and a minute ahead).
            seen.retain(|_, at| *at > now - 120);
        }
        if seen.len() >= DPOP_JTIS || jti.len() > 256 || seen.contains_key(jti) {
            return false;
        }
        seen.insert(jti.to_owned(), now);
        true
    }
}

/// A DPoP request refused (RFC 9449 §7.1): the DPoP challenge with
/// `error`, logged as token.binding_required.
pub(super) fn dpop_refusal(
    c: &GuardConfig,
    token: &str,
    error: &str,
    description: &str,
    detail: String,
) -> Rejection {
    let mut r = Rejection::new(
        StatusCode::UNAUTHORIZED,
        &c.realm,
        None,
        Cause::TokenBindingRequired,
        detail,
    );
    r.challenge = authdoctor_httpauth::Challenge::new("DPoP")
        .with("realm", &c.realm)
        .with("error", error)
        .with("error_description", description)
        .with("algs", "ES256 EdDSA RS256 PS256");
    r.token_mask = Some(authdoctor_secret::mask_token(token));
    r
}

/// How long a DPoP proof's `jti` is remembered: a proof is taken at most a
/// minute old or a minute ahead.
pub(super) const DPOP_JTI_SECONDS: u64 = 130;

/// A DPoP-bound token's request (`Authorization: DPoP <token>`, the
/// guard taking them): its proof checked against the request and the
/// token's key (RFC 9449 §4.3, §7.1), its `jti` new to this node. With a
/// cluster, the digest of the `jti`, for it to say whether it is new there
/// too ([`crate::cluster::Cluster::first_use`]); without one, nothing is
/// hashed.
pub(super) fn check_dpop(
    g: &Guard,
    c: &GuardConfig,
    parts: &http::request::Parts,
    token: &str,
    claims: &Map<String, Value>,
) -> Result<Option<[u8; 32]>, Rejection> {
    let refuse = |error: &str, description: &str, detail: String| {
        Err(dpop_refusal(c, token, error, description, detail))
    };
    let Some(jkt) = claims
        .get("cnf")
        .and_then(|c| c.get("jkt"))
        .and_then(Value::as_str)
    else {
        return refuse(
            "invalid_token",
            "The token is not bound to a DPoP key; send it as Bearer",
            "the DPoP scheme with a token without cnf.jkt".to_owned(),
        );
    };
    let mut proofs = parts.headers.get_all("dpop").iter();
    let (Some(proof), None) = (proofs.next(), proofs.next()) else {
        return refuse(
            "invalid_dpop_proof",
            "Send exactly one DPoP proof header",
            "no DPoP proof, or more than one".to_owned(),
        );
    };
    let htu = format!("{}{}", public_base(c, &parts.headers), parts.uri.path());
    let now = (g.clock)();
    let mut used = None;
    match authdoctor_jose::dpop::verify_proof(
        proof.to_str().unwrap_or(""),
        parts.method.as_str(),
        &htu,
        Some(token),
        now,
        |jti| {
            if g.cluster.is_some() {
                used = Some(TokenCache::<()>::key(jti));
            }
            g.dpop_jti_fresh(jti, now)
        },
    ) {
        Ok(p) if p.jkt == jkt => Ok(used),
        Ok(p) => refuse(
            "invalid_dpop_proof",
            "The DPoP proof is signed by another key than the token is bound to",
            format!("cnf.jkt {jkt}, the proof's key {}", p.jkt),
        ),
        Err(why) => refuse("invalid_dpop_proof", "The DPoP proof is invalid", why),
    }
}
