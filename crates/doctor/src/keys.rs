//! An issuer's published keys: OIDC discovery, then its `jwks_uri`. Used
//! by the probe and by `authdoctor token --issuer / --jwks URL`.

use crate::spec::RecordedDocument;
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

/// A document the page fetched, as the exchange it was.
pub fn recorded_exchange(d: &RecordedDocument, now: i64) -> Exchange {
    authdoctor_net::recorded_hop(
        "GET",
        &d.url,
        &[],
        200,
        &d.headers,
        &d.body,
        d.at.unwrap_or(now),
    )
    .into()
}

/// An issuer's keys as a browser session recorded them
/// ([`RecordedDocument`]): its discovery document (the one whose
/// `issuer` is `issuer`, wherever the page fetched it from), and the key
/// set fetched from the `jwks_uri` it names, where the page fetched that
/// too. With the entries they were read from.
pub struct RecordedKeys {
    /// The discovery document.
    pub discovery: Exchange,
    /// The key set, where the page fetched it.
    pub jwks: Option<JwkSet>,
    /// The entries read.
    pub entries: Vec<usize>,
}

/// [`RecordedKeys`] of `issuer` among `docs`.
pub fn recorded_keys(docs: &[RecordedDocument], issuer: &str, now: i64) -> Option<RecordedKeys> {
    let same = |a: &str| a.trim_end_matches('/') == issuer.trim_end_matches('/');
    let (disc, json) = docs.iter().find_map(|d| {
        let j = d.json()?;
        j.get("issuer")
            .and_then(serde_json::Value::as_str)
            .is_some_and(same)
            .then_some((d, j))
    })?;
    let mut entries = vec![disc.entry];
    let jwks = json
        .get("jwks_uri")
        .and_then(serde_json::Value::as_str)
        .and_then(|u| docs.iter().find(|d| d.url == u))
        .and_then(|d| {
            let set = JwkSet::parse(&String::from_utf8_lossy(&d.body)).ok()?;
            entries.push(d.entry);
            Some(set)
        });
    Some(RecordedKeys {
        discovery: recorded_exchange(disc, now),
        jwks,
        entries,
    })
}

/// An issuer's keys as read for a diagnosis: today's, or as a browser
/// session recorded them ([`issuer_keys_then`]).
#[derive(Default)]
pub struct KeysRead {
    /// The discovery document, or why it could not be had (`None`: not
    /// asked).
    pub discovery: Option<Result<Exchange, FetchError>>,
    /// The key set, or why it could not be had (`None`: no `jwks_uri`).
    pub jwks: Option<Result<JwkSet, FetchError>>,
    /// The HAR entries read in place of today's documents.
    pub recorded: Vec<usize>,
    /// Whether the discovery document is the recorded one (then nothing
    /// in it is trusted: it decides no secret's way).
    pub discovery_recorded: bool,
}

/// `issuer`'s discovery document and key set: as the session recorded
/// them (`docs`, [`recorded_keys`]) where the answer diagnosed is the
/// recorded one (`then`: the keys then, not after a rotation), else
/// today's, and the recorded ones where today's cannot be read. Nothing a
/// recording names is fetched.
pub async fn issuer_keys_then(
    probe: &Probe,
    issuer: &str,
    docs: &[RecordedDocument],
    then: bool,
    now: i64,
) -> KeysRead {
    let recorded = recorded_keys(docs, issuer, now);
    if let (true, Some(r)) = (then, &recorded) {
        if let Some(set) = &r.jwks {
            return KeysRead {
                discovery: Some(Ok(r.discovery.clone())),
                jwks: Some(Ok(set.clone())),
                recorded: r.entries.clone(),
                discovery_recorded: true,
            };
        }
    }
    let (disc, jwks) = issuer_keys(probe, issuer).await;
    match recorded {
        // Today's discovery out of reach: the recording's, with its key
        // set where the page fetched it.
        Some(r) if disc.is_err() => KeysRead {
            discovery: Some(Ok(r.discovery)),
            jwks: r.jwks.map(Ok),
            recorded: r.entries,
            discovery_recorded: true,
        },
        // Today's key set out of reach, at the address the recorded
        // discovery names too: the recorded one.
        Some(r)
            if matches!(jwks, Some(Err(FetchError::Unreachable(_))))
                && r.jwks.is_some()
                && disc.as_ref().ok().and_then(|d| d.str("jwks_uri"))
                    == r.discovery.str("jwks_uri") =>
        {
            KeysRead {
                discovery: Some(disc),
                jwks: r.jwks.map(Ok),
                recorded: r.entries.last().copied().into_iter().collect(),
                discovery_recorded: false,
            }
        }
        _ => KeysRead {
            discovery: Some(disc),
            jwks,
            recorded: Vec::new(),
            discovery_recorded: false,
        },
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
