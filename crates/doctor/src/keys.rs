//! An issuer's published keys: OIDC discovery, then its `jwks_uri`. Used
//! by the probe and by `authdoctor token --issuer / --jwks URL`.

use authdoctor_diagnosis::facts::FetchError;
use authdoctor_jose::JwkSet;
use authdoctor_net::{Exchange, Probe, display_url};

/// Fetches `{issuer}/.well-known/openid-configuration`.
pub async fn discover(probe: &Probe, issuer: &str) -> Result<Exchange, FetchError> {
    let url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    probe
        .get_json(&url)
        .await
        .map_err(|e| FetchError::Unreachable(e.to_string()))
}

/// The `jwks_uri` of a discovery answer, when it is a 200 with one.
pub fn jwks_uri(disc: &Exchange) -> Option<String> {
    (disc.hop.status == 200)
        .then(|| disc.str("jwks_uri").map(str::to_owned))
        .flatten()
}

/// Fetches and parses a JWK set.
pub async fn fetch_jwks(probe: &Probe, url: &str) -> Result<JwkSet, FetchError> {
    match probe.get_json(url).await {
        Ok(e) if e.hop.status == 200 => {
            JwkSet::parse(&e.text()).map_err(|err| FetchError::Unusable {
                url: display_url(url),
                why: err.to_string(),
            })
        }
        Ok(e) => Err(FetchError::Status {
            url: display_url(url),
            status: e.hop.status,
        }),
        Err(e) => Err(FetchError::Unreachable(e.to_string())),
    }
}

/// Discovery, then the key set: what a verifier of the issuer's tokens needs.
pub async fn issuer_keys(
    probe: &Probe,
    issuer: &str,
) -> (
    Result<Exchange, FetchError>,
    Option<Result<JwkSet, FetchError>>,
) {
    let disc = discover(probe, issuer).await;
    let jwks = match disc.as_ref().ok().and_then(jwks_uri) {
        Some(u) => Some(fetch_jwks(probe, &u).await),
        None => None,
    };
    (disc, jwks)
}
