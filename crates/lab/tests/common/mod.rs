//! Starting a lab and talking to it over real HTTP on loopback.

#![allow(dead_code, clippy::unwrap_used)]

use authdoctor_jose::{Alg, JwkSet, SigningKey, b64, crypto::sha256};
use authdoctor_lab::{Lab, Options};
use serde_json::Value;

pub async fn lab() -> Lab {
    Lab::start(Options::default()).await.unwrap()
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap()
}

pub fn secret(lab: &Lab, client: &str) -> String {
    lab.info()
        .clients
        .iter()
        .find(|c| c.client_id == client)
        .unwrap()
        .client_secret
        .clone()
        .unwrap()
}

pub fn prod(lab: &Lab) -> String {
    lab.info().issuers["prod"].clone()
}

pub fn orders(lab: &Lab) -> String {
    format!("{}/orders", lab.info().api)
}

/// A client-credentials token for the orders API.
pub async fn cc_token(lab: &Lab, client: &str, scope: &str) -> String {
    let r: Value = http()
        .post(format!("{}/token", prod(lab)))
        .basic_auth(client, Some(secret(lab, client)))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", scope),
            ("resource", &orders(lab)),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("{r}"))
        .to_owned()
}

pub fn claims(token: &str) -> Value {
    serde_json::from_slice(&b64::decode_strict(token.split('.').nth(1).unwrap()).unwrap()).unwrap()
}

pub fn header(token: &str) -> Value {
    serde_json::from_slice(&b64::decode_strict(token.split('.').next().unwrap()).unwrap()).unwrap()
}

pub async fn jwks(lab: &Lab, issuer: &str) -> JwkSet {
    let t = http()
        .get(format!("{}/jwks", lab.info().issuers[issuer]))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    JwkSet::parse(&t).unwrap()
}

/// PKCE verifier and S256 challenge.
pub fn pkce() -> (String, String) {
    let v = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-verifier-0123456789".to_owned();
    let c = b64::encode(&sha256(v.as_bytes()));
    (v, c)
}

/// Runs the authorization code flow for `client` and returns the token response.
pub async fn code_flow(lab: &Lab, client: &str, extra: &[(&str, &str)]) -> Value {
    let (verifier, challenge) = pkce();
    let redirect = "http://127.0.0.1:9/callback";
    let mut q = vec![
        ("response_type", "code"),
        ("client_id", client),
        ("redirect_uri", redirect),
        ("scope", "openid orders:read offline_access"),
        ("state", "st-1"),
        ("nonce", "n-1"),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ];
    let res = orders(lab);
    q.push(("resource", &res));
    q.extend_from_slice(extra);
    let r = http()
        .get(format!("{}/authorize", prod(lab)))
        .query(&q)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{:?}", r.text().await);
    let loc = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(loc.starts_with(redirect), "{loc}");
    assert!(loc.contains("state=st-1") && loc.contains("iss="), "{loc}");
    let code = loc
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("code="))
        .unwrap()
        .to_owned();
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", redirect),
        ("code_verifier", verifier.as_str()),
        ("client_id", client),
    ];
    let s;
    if let Some(c) = lab
        .info()
        .clients
        .iter()
        .find(|c| c.client_id == client)
        .and_then(|c| c.client_secret.clone())
    {
        s = c;
        form.push(("client_secret", &s));
    }
    http()
        .post(format!("{}/token", prod(lab)))
        .form(&form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// A DPoP key and proofs made with it.
pub struct DpopKey(pub SigningKey);

impl DpopKey {
    pub fn new() -> DpopKey {
        DpopKey(SigningKey::generate(&Alg::ES256, "dpop").unwrap())
    }
    pub fn proof(&self, htm: &str, htu: &str, access_token: Option<&str>) -> String {
        authdoctor_jose::dpop::proof(
            &self.0,
            htm,
            htu,
            access_token,
            authdoctor_lab::state::now(),
            &authdoctor_lab::state::random_token(12),
        )
        .unwrap()
    }
}
