//! The identity provider over real HTTP: discovery, keys, every grant,
//! client authentication, introspection and revocation.

#![allow(clippy::unwrap_used)]

mod common;

use authdoctor_jose::{Keys, Policy, check, decode};
use common::*;
use serde_json::Value;

#[tokio::test]
async fn discovery_and_rfc8414_metadata() {
    let lab = lab().await;
    let iss = prod(&lab);
    let d: Value = http()
        .get(format!("{iss}/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(d["issuer"], iss);
    for k in [
        "authorization_endpoint",
        "token_endpoint",
        "jwks_uri",
        "introspection_endpoint",
        "revocation_endpoint",
    ] {
        assert!(d[k].as_str().unwrap().starts_with(&iss), "{k}");
    }
    assert_eq!(
        d["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    // RFC 8414 §3: the well-known segment goes before the issuer's path.
    let base = iss.trim_end_matches("/prod");
    let m: Value = http()
        .get(format!(
            "{base}/.well-known/oauth-authorization-server/prod"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(m["issuer"], iss);
    let st: Value = http()
        .get(format!(
            "{}/.well-known/openid-configuration",
            lab.info().issuers["staging"]
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_ne!(st["jwks_uri"], d["jwks_uri"]);
    let r = http()
        .get(format!("{base}/nope/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    lab.shutdown().await;
}

#[tokio::test]
async fn client_credentials_mints_rfc9068_tokens_that_verify() {
    let lab = lab().await;
    let t = cc_token(&lab, "demo-cli", "orders:read").await;
    assert_eq!(header(&t)["typ"], "at+jwt");
    assert_eq!(header(&t)["kid"], "prod-1");
    let c = claims(&t);
    assert_eq!(c["iss"], prod(&lab));
    assert_eq!(c["aud"], orders(&lab));
    assert_eq!(c["client_id"], "demo-cli");
    assert_eq!(c["scope"], "orders:read");
    assert!(c["jti"].is_string());
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 300);
    let set = jwks(&lab, "prod").await;
    let r = check(
        &decode(&t),
        &Policy {
            issuer: Some(prod(&lab)),
            audience: Some(orders(&lab)),
            require_at_jwt: true,
            ..Policy::at(authdoctor_lab::state::now())
        },
        Keys {
            jwks: Some(&set),
            secret: None,
        },
    );
    assert!(r.valid && r.signature_verified, "{:#?}", r.checks);
    lab.shutdown().await;
}

#[tokio::test]
async fn client_authentication_basic_post_and_failures() {
    let lab = lab().await;
    let url = format!("{}/token", prod(&lab));
    let s = secret(&lab, "demo-cli");
    // client_secret_post
    let r = http()
        .post(&url)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "demo-cli"),
            ("client_secret", &s),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    // no resource: aud is the client itself (the usual mistake)
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        claims(v["access_token"].as_str().unwrap())["aud"],
        "demo-cli"
    );
    // wrong secret over Basic: 401 invalid_client with a Basic challenge (RFC 6749 §5.2)
    let r = http()
        .post(&url)
        .basic_auth("demo-cli", Some("wrong"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_client");
    // wrong secret over post: 401 invalid_client, no challenge needed
    let r = http()
        .post(&url)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "demo-cli"),
            ("client_secret", "nope"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // scope the client may not have; grant it may not use; unknown grant
    let r: Value = http()
        .post(&url)
        .basic_auth("demo-cli", Some(&s))
        .form(&[("grant_type", "client_credentials"), ("scope", "admin:all")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["error"], "invalid_scope");
    let r: Value = http()
        .post(&url)
        .basic_auth("demo-admin", Some(secret(&lab, "demo-admin")))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "x")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["error"], "unauthorized_client");
    let r: Value = http()
        .post(&url)
        .basic_auth("demo-cli", Some(&s))
        .form(&[("grant_type", "password")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["error"], "unauthorized_client");
    lab.shutdown().await;
}

#[tokio::test]
async fn authorization_code_with_pkce_for_a_public_client() {
    let lab = lab().await;
    let r = code_flow(&lab, "demo-spa", &[]).await;
    let at = r["access_token"].as_str().unwrap();
    let id = r["id_token"].as_str().unwrap();
    assert!(r["refresh_token"].is_string());
    assert_eq!(claims(at)["sub"], "alice");
    assert_eq!(claims(at)["aud"], orders(&lab));
    assert_eq!(claims(id)["aud"], "demo-spa");
    assert_eq!(claims(id)["nonce"], "n-1");
    assert_eq!(header(id)["typ"], "JWT");
    // A public client without PKCE is refused at the authorization endpoint.
    let res = http()
        .get(format!("{}/authorize", prod(&lab)))
        .query(&[
            ("response_type", "code"),
            ("client_id", "demo-spa"),
            ("redirect_uri", "http://127.0.0.1:9/cb"),
            ("state", "s"),
        ])
        .send()
        .await
        .unwrap();
    let loc = res.headers()["location"].to_str().unwrap();
    assert!(
        loc.contains("error=invalid_request") && loc.contains("state=s"),
        "{loc}"
    );
    // A redirect off loopback is refused outright.
    let res = http()
        .get(format!("{}/authorize", prod(&lab)))
        .query(&[
            ("response_type", "code"),
            ("client_id", "demo-spa"),
            ("redirect_uri", "https://evil.example/cb"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    lab.shutdown().await;
}

#[tokio::test]
async fn a_wrong_pkce_verifier_or_a_reused_code_is_invalid_grant() {
    let lab = lab().await;
    let (_, challenge) = pkce();
    let redirect = "http://127.0.0.1:9/cb";
    let auth = |q: Vec<(&'static str, String)>| {
        let lab_url = format!("{}/authorize", prod(&lab));
        async move { http().get(lab_url).query(&q).send().await.unwrap() }
    };
    let r = auth(vec![
        ("response_type", "code".into()),
        ("client_id", "demo-spa".into()),
        ("redirect_uri", redirect.into()),
        ("code_challenge", challenge.clone()),
        ("code_challenge_method", "S256".into()),
    ])
    .await;
    let loc = r.headers()["location"].to_str().unwrap().to_owned();
    let code = loc
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("code="))
        .unwrap()
        .to_owned();
    let url = format!("{}/token", prod(&lab));
    let bad: Value = http()
        .post(&url)
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", redirect),
            (
                "code_verifier",
                "wrong-verifier-wrong-verifier-wrong-verifier",
            ),
            ("client_id", "demo-spa"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(bad["error"], "invalid_grant");
    // The code was consumed by the failed attempt; using it again fails too.
    let again: Value = http()
        .post(&url)
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", redirect),
            ("code_verifier", &pkce().0),
            ("client_id", "demo-spa"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["error"], "invalid_grant");
    lab.shutdown().await;
}

#[tokio::test]
async fn refresh_tokens_rotate_and_reuse_revokes_the_family() {
    let lab = lab().await;
    let first = code_flow(&lab, "demo-cli", &[]).await;
    let rt1 = first["refresh_token"].as_str().unwrap().to_owned();
    let url = format!("{}/token", prod(&lab));
    let s = secret(&lab, "demo-cli");
    let refresh = |rt: String| {
        let (url, s) = (url.clone(), s.clone());
        async move {
            http()
                .post(url)
                .basic_auth("demo-cli", Some(s))
                .form(&[("grant_type", "refresh_token"), ("refresh_token", &rt)])
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let second = refresh(rt1.clone()).await;
    let rt2 = second["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(rt1, rt2);
    assert_eq!(
        claims(second["access_token"].as_str().unwrap())["sub"],
        "alice"
    );
    // Reusing the rotated token: invalid_grant, and the family is revoked.
    assert_eq!(refresh(rt1).await["error"], "invalid_grant");
    assert_eq!(refresh(rt2).await["error"], "invalid_grant");
    lab.shutdown().await;
}

#[tokio::test]
async fn introspection_and_revocation() {
    let lab = lab().await;
    let t = cc_token(&lab, "demo-cli", "orders:read").await;
    let s = secret(&lab, "demo-cli");
    let intro = |token: String| {
        let (url, s) = (format!("{}/introspect", prod(&lab)), s.clone());
        async move {
            http()
                .post(url)
                .basic_auth("demo-cli", Some(s))
                .form(&[("token", token)])
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let a = intro(t.clone()).await;
    assert_eq!(a["active"], true);
    assert_eq!(a["client_id"], "demo-cli");
    assert_eq!(a["scope"], "orders:read");
    assert_eq!(a["iss"], prod(&lab));
    // Introspection needs client authentication.
    let r = http()
        .post(format!("{}/introspect", prod(&lab)))
        .form(&[("token", &t)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Revoke, then it is inactive; an unknown token revokes quietly (RFC 7009 §2.2).
    let r = http()
        .post(format!("{}/revoke", prod(&lab)))
        .basic_auth("demo-cli", Some(&s))
        .form(&[("token", &t)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(intro(t).await, serde_json::json!({"active": false}));
    let r = http()
        .post(format!("{}/revoke", prod(&lab)))
        .basic_auth("demo-cli", Some(&s))
        .form(&[("token", "garbage")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(intro("garbage".into()).await["active"], false);
    lab.shutdown().await;
}

#[tokio::test]
async fn key_rotation_and_retirement() {
    let lab = lab().await;
    let api = lab.info().api.clone();
    let old = cc_token(&lab, "demo-cli", "orders:read").await;
    let r: Value = http()
        .post(format!("{api}/lab/rotate/prod"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["active"], "prod-2");
    let new = cc_token(&lab, "demo-cli", "orders:read").await;
    assert_eq!(header(&new)["kid"], "prod-2");
    let kids: Vec<String> = jwks(&lab, "prod")
        .await
        .keys
        .iter()
        .filter_map(|k| k.kid.clone())
        .collect();
    assert_eq!(kids, ["prod-1", "prod-2"]);
    // Both verify while both are published.
    for t in [&old, &new] {
        assert_eq!(
            http()
                .get(orders(&lab))
                .bearer_auth(t)
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
    }
    // The active key cannot be retired; the old one can.
    assert_eq!(
        http()
            .post(format!("{api}/lab/retire/prod/prod-2"))
            .send()
            .await
            .unwrap()
            .status(),
        409
    );
    assert_eq!(
        http()
            .post(format!("{api}/lab/retire/prod/prod-1"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let r = http()
        .get(orders(&lab))
        .bearer_auth(&old)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        lab.log()
            .iter()
            .any(|l| l.contains("reason=token.unknown_key")),
        "{:?}",
        lab.log()
    );
    assert_eq!(
        http()
            .get(orders(&lab))
            .bearer_auth(&new)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    lab.shutdown().await;
}

#[tokio::test]
async fn dpop_bound_tokens() {
    let lab = lab().await;
    let key = DpopKey::new();
    let token_url = format!("{}/token", prod(&lab));
    let r: Value = http()
        .post(&token_url)
        .basic_auth("demo-cli", Some(secret(&lab, "demo-cli")))
        .header("DPoP", key.proof("POST", &token_url, None))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "orders:read"),
            ("resource", &orders(&lab)),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["token_type"], "DPoP");
    let at = r["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        claims(&at)["cnf"]["jkt"],
        key.0.public_jwk().thumbprint().unwrap()
    );
    let url = format!("{}/dpop/orders", lab.info().api);
    let proof = key.proof("GET", &url, Some(&at));
    let ok = http()
        .get(&url)
        .header("Authorization", format!("DPoP {at}"))
        .header("DPoP", &proof)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    // The same proof again is a replay.
    let replay = http()
        .get(&url)
        .header("Authorization", format!("DPoP {at}"))
        .header("DPoP", &proof)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 401);
    assert!(
        replay.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_dpop_proof")
    );
    // Sent as a plain Bearer token: the DPoP challenge.
    let bearer = http().get(&url).bearer_auth(&at).send().await.unwrap();
    assert_eq!(bearer.status(), 401);
    let ch = bearer.headers()["www-authenticate"].to_str().unwrap();
    assert!(ch.starts_with("DPoP algs="), "{ch}");
    // A proof from another key does not match the binding.
    let other = DpopKey::new();
    let r = http()
        .get(&url)
        .header("Authorization", format!("DPoP {at}"))
        .header("DPoP", other.proof("GET", &url, Some(&at)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    lab.shutdown().await;
}
