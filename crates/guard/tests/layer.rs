//! The guard as middleware: without a socket through `oneshot`, and end to
//! end against the lab's issuer, whose keys rotate under it.

#![allow(clippy::unwrap_used)]

use authdoctor_guard::{Authorized, BearerLayer, RemoteJwks, Requirements, StaticKeys};
use authdoctor_jose::{Alg, JwkSet, SigningKey};
use axum::body::Body;
use axum::routing::get;
use axum::{Extension, Router};
use http::{Request, StatusCode};
use serde_json::{Map, Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tower::ServiceExt;

const NOW: i64 = 1_800_000_000;
const ISS: &str = "https://id.test/";
const AUD: &str = "https://api.test";

fn req(scopes: &[&str]) -> Requirements {
    Requirements {
        realm: "api".into(),
        issuer: ISS.into(),
        audience: AUD.into(),
        other_audiences: Vec::new(),
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        leeway: 60,
        algorithms: vec![Alg::RS256, Alg::ES256],
        require_at_jwt: true,
        require_exp: true,
        resource_metadata: Some("https://api.test/.well-known/oauth-protected-resource".into()),
    }
}

fn app(layer: BearerLayer) -> Router {
    Router::new()
        .route(
            "/orders",
            get(|Extension(a): Extension<Authorized>| async move {
                a.claims["sub"].as_str().unwrap_or("").to_owned()
            }),
        )
        .layer(layer)
}

fn token(k: &SigningKey, over: Value) -> String {
    let mut c = json!({"iss": ISS, "aud": AUD, "sub": "alice", "scope": "orders:read", "iat": NOW - 10, "exp": NOW + 300});
    for (key, v) in over.as_object().unwrap() {
        c[key] = v.clone();
    }
    k.sign_jwt(Some("at+jwt"), &Map::new(), &c).unwrap()
}

async fn call(app: &Router, authz: Option<&str>) -> (StatusCode, Option<String>, String) {
    let mut r = Request::builder().uri("/orders");
    if let Some(a) = authz {
        r = r.header("authorization", a);
    }
    let resp = app
        .clone()
        .oneshot(r.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let ch = resp
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, ch, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn rfc6750_answers_through_the_layer() {
    let k = SigningKey::generate(&Alg::ES256, "k1").unwrap();
    let keys = Arc::new(StaticKeys(Arc::new(JwkSet {
        keys: vec![k.public_jwk()],
    })));
    let logged = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = logged.clone();
    let layer = BearerLayer::new(req(&["orders:read"]), keys)
        .with_clock(Arc::new(|| NOW))
        .with_log(Arc::new(move |r| sink.lock().unwrap().push(r.log_line())));
    let app = app(layer);

    let good = token(&k, json!({}));
    let (s, _, body) = call(&app, Some(&format!("Bearer {good}"))).await;
    assert_eq!((s, body.as_str()), (StatusCode::OK, "alice"));

    let (s, ch, _) = call(&app, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let ch = ch.unwrap();
    assert!(
        ch.starts_with("Bearer realm=\"api\"") && !ch.contains("error="),
        "{ch}"
    );
    assert!(ch.contains("resource_metadata="));

    let (s, ch, _) = call(
        &app,
        Some(&format!("Bearer {}", token(&k, json!({"exp": NOW - 600})))),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(ch.unwrap().contains("error=\"invalid_token\""));

    let (s, ch, _) = call(
        &app,
        Some(&format!(
            "Bearer {}",
            token(&k, json!({"scope": "profile"}))
        )),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(ch.unwrap().contains("scope=\"orders:read\""));

    // `undefined` (a script's unset variable) is a well-formed b64token that
    // is no JWT: 401 invalid_token, as a correct server answers it.
    let (s, ch, _) = call(&app, Some("Bearer undefined")).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(ch.unwrap().contains("error=\"invalid_token\""));

    // Dated in the future beyond the leeway: not yet valid, refused; within
    // it, accepted.
    for (ahead, status) in [(600, StatusCode::UNAUTHORIZED), (30, StatusCode::OK)] {
        let t = token(&k, json!({"iat": NOW + ahead}));
        let (s, ch, _) = call(&app, Some(&format!("Bearer {t}"))).await;
        assert_eq!(s, status, "iat {ahead} s ahead");
        if status == StatusCode::UNAUTHORIZED {
            assert!(ch.unwrap().contains("error=\"invalid_token\""));
        }
    }

    // Two spaces after the scheme are allowed (RFC 6750 §2.1: 1*SP); a
    // token split in two is malformed.
    let (s, _, _) = call(&app, Some(&format!("Bearer  {good}"))).await;
    assert_eq!(s, StatusCode::OK);
    let (s, ch, _) = call(&app, Some(&format!("Bearer {good} {good}"))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(ch.unwrap().contains("invalid_request"));

    let log = logged.lock().unwrap().join("\n");
    for reason in [
        "credentials.missing",
        "token.expired",
        "token.not_yet_valid",
        "token.scope_insufficient",
        "header.malformed",
    ] {
        assert!(
            log.contains(&format!("reason={reason}")),
            "{reason} not in {log}"
        );
    }
    assert!(!log.contains(&good), "the token is masked in the log");

    // A gRPC call refused is answered as gRPC answers (HTTP 200, the code
    // and reason in grpc-status and grpc-message, no body); one let
    // through gets the service's own answer.
    let grpc = |authz: Option<String>| {
        let mut r = Request::builder()
            .uri("/orders")
            .header("content-type", "application/grpc");
        if let Some(a) = authz {
            r = r.header("authorization", a);
        }
        app.clone().oneshot(r.body(Body::empty()).unwrap())
    };
    let expired = token(&k, json!({"exp": NOW - 600}));
    for (authz, code) in [
        (None, "16"),
        (Some(format!("Bearer {expired}")), "16"),
        (
            Some(format!("Bearer {}", token(&k, json!({"scope": "profile"})))),
            "7",
        ),
    ] {
        let r = grpc(authz).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["grpc-status"], code);
        assert_eq!(r.headers()["content-type"], "application/grpc");
        let body = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        assert!(body.is_empty());
    }
    let r = grpc(Some(format!("Bearer {good}"))).await.unwrap();
    assert!(!r.headers().contains_key("grpc-status"));
    let body = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
    assert_eq!(&body[..], b"alice");
}

#[tokio::test]
async fn two_authorization_headers_are_an_invalid_request() {
    // Found by attack: the first of two Authorization headers won. RFC 6750
    // §3.1 answers 400 invalid_request, whichever of them is valid.
    let k = SigningKey::generate(&Alg::ES256, "k1").unwrap();
    let keys = Arc::new(StaticKeys(Arc::new(JwkSet {
        keys: vec![k.public_jwk()],
    })));
    let app = app(BearerLayer::new(req(&["orders:read"]), keys).with_clock(Arc::new(|| NOW)));
    let good = format!("Bearer {}", token(&k, json!({})));
    for pair in [
        [good.as_str(), "Bearer forged"],
        ["Bearer forged", good.as_str()],
        [good.as_str(), good.as_str()],
    ] {
        let r = Request::builder()
            .uri("/orders")
            .header("authorization", pair[0])
            .header("authorization", pair[1])
            .body(Body::empty())
            .unwrap();
        let resp = app.clone().oneshot(r).await.unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
        let ch = resp.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(ch.contains("error=\"invalid_request\""), "{ch}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_key_is_fetched_once_and_a_retired_one_refused() {
    let lab = authdoctor_lab::Lab::start(authdoctor_lab::Options::default())
        .await
        .unwrap();
    let issuer = lab.info().issuers["prod"].clone();
    let api = lab.info().api.clone();
    let audience = format!("{api}/orders");
    let requirements = Requirements {
        issuer: issuer.clone(),
        audience: audience.clone(),
        ..req(&["orders:read"])
    };
    // A cache kept an hour: only an unknown kid makes it fetch again.
    let hour = Arc::new(
        RemoteJwks::new(
            &format!("{issuer}/jwks"),
            Duration::ZERO,
            Duration::from_secs(3600),
        )
        .await
        .unwrap(),
    );
    let app = app(BearerLayer::new(requirements.clone(), hour));
    // A cache kept 200 ms, to see a retirement.
    let short = Arc::new(
        RemoteJwks::new(
            &format!("{issuer}/jwks"),
            Duration::ZERO,
            Duration::from_millis(200),
        )
        .await
        .unwrap(),
    );
    let short_app = self::app(BearerLayer::new(requirements, short));
    let http = reqwest::Client::new();
    let secret = lab
        .info()
        .clients
        .iter()
        .find(|c| c.client_id == "demo-cli")
        .unwrap()
        .client_secret
        .clone()
        .unwrap();
    let mint = || {
        let (http, issuer, secret, audience) = (
            http.clone(),
            issuer.clone(),
            secret.clone(),
            audience.clone(),
        );
        async move {
            let v: Value = http
                .post(format!("{issuer}/token"))
                .basic_auth("demo-cli", Some(secret))
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("scope", "orders:read"),
                    ("resource", &audience),
                ])
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v["access_token"].as_str().unwrap().to_owned()
        }
    };
    let old = mint().await;
    assert_eq!(
        call(&app, Some(&format!("Bearer {old}"))).await.0,
        StatusCode::OK
    );
    // The issuer rotates: the guard has never seen prod-2.
    http.post(format!("{api}/lab/rotate/prod"))
        .send()
        .await
        .unwrap();
    let new = mint().await;
    assert_eq!(
        call(&app, Some(&format!("Bearer {new}"))).await.0,
        StatusCode::OK,
        "refetched on the unknown kid"
    );
    // The old key is retired. The hour-long cache still trusts it (as real
    // servers do until their JWKS cache expires); the short one, once past
    // its age, refuses it.
    http.post(format!("{api}/lab/retire/prod/prod-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        call(&app, Some(&format!("Bearer {old}"))).await.0,
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (s, ch, _) = call(&short_app, Some(&format!("Bearer {old}"))).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(ch.unwrap().contains("unknown key"));
    lab.shutdown().await;
}

/// The bearer token in a lab example's curl line.
fn lab_token(lab: &authdoctor_lab::Lab, cause: authdoctor_causes::Cause) -> String {
    let e = lab.info().examples.iter().find(|e| e.cause == cause);
    let line = &e.unwrap().curl;
    let t = line.split("Bearer ").nth(1).unwrap();
    t.split('"').next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_layer_made_from_a_guard_decides_as_the_proxy_does() {
    use authdoctor_causes::Cause;
    use authdoctor_guard::{Guard, GuardConfig};
    let lab = authdoctor_lab::Lab::start(authdoctor_lab::Options::default())
        .await
        .unwrap();
    let dir = std::env::temp_dir().join(format!("authdoctor-layer-g-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("reject.jsonl");
    // No upstream: the handlers below are what the guard protects.
    let config = GuardConfig::from_toml(&format!(
        r#"
audience = "{api}/orders"
[[issuers]]
issuer = "{prod}"
[forward_claims]
sub = "x-auth-subject"
[[routes]]
method = "POST"
path = "/orders*"
scopes = ["orders:write"]
[limits]
failures_per_client = 20
distinct_credentials_per_client = 5
blocked_delay_ms = 0
[log]
path = "{log}"
"#,
        api = lab.info().api,
        prod = lab.info().issuers["prod"],
        log = log.display()
    ))
    .unwrap();
    let g = Guard::new(config).unwrap();
    let seen = Arc::new(Mutex::new(Vec::<(String, Option<String>, bool)>::new()));
    let s = seen.clone();
    let handler = move |Extension(a): Extension<Authorized>, h: http::HeaderMap| {
        let s = s.clone();
        async move {
            let sub = a.claims["sub"].as_str().unwrap_or("").to_owned();
            let forwarded = h
                .get("x-auth-subject")
                .map(|v| v.to_str().unwrap().to_owned());
            s.lock()
                .unwrap()
                .push((sub, forwarded, h.contains_key("authorization")));
            "ok"
        }
    };
    let app = Router::new()
        .route("/orders", get(handler.clone()).post(handler))
        .layer(BearerLayer::guard(g.clone()))
        .merge(g.endpoints());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(
            l,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
    });
    // Ready when /healthz says the keys are in: 30 s at most.
    let c = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..600 {
        let r = c.get(format!("{base}/healthz")).send().await;
        if r.is_ok_and(|r| r.status() == 200) {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ready, "{base}/healthz did not answer 200 in 30 s");
    let get = |t: Option<String>| {
        let mut r = c.get(format!("{base}/orders"));
        if let Some(t) = t {
            r = r.bearer_auth(t);
        }
        async move { r.send().await.unwrap() }
    };
    // RFC 6750: no credentials, no error code; the metadata URL is absolute.
    let r = get(None).await;
    assert_eq!(r.status(), 401);
    let ch = r.headers()["www-authenticate"].to_str().unwrap().to_owned();
    assert!(!ch.contains("error="), "{ch}");
    assert!(
        ch.contains(&format!(
            "resource_metadata=\"{base}/.well-known/oauth-protected-resource\""
        )),
        "{ch}"
    );
    // A valid token: the handler sees the claims and the forwarded subject,
    // not the token; the response carries a request id.
    let read = lab_token(&lab, Cause::TokenScopeInsufficient);
    let r = get(Some(read.clone())).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("x-request-id"));
    let (sub, forwarded, kept) = seen.lock().unwrap()[0].clone();
    assert_eq!(forwarded.as_deref(), Some(sub.as_str()));
    assert!(!kept, "strip_token is on by default");
    // The route's scope: 403 with scope=, never 401.
    let r = c
        .post(format!("{base}/orders"))
        .bearer_auth(&read)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let ch = r.headers()["www-authenticate"].to_str().unwrap().to_owned();
    assert!(
        ch.contains("insufficient_scope") && ch.contains("scope=\"orders:write\""),
        "{ch}"
    );
    // Guessing from one address: 429, while the verified token passes.
    let mut last = 0;
    for i in 0..30 {
        let forged = format!("{}{i:02}", &read[..read.len() - 2]);
        last = get(Some(forged)).await.status().as_u16();
    }
    assert_eq!(last, 429);
    assert_eq!(get(Some(read.clone())).await.status(), 200);
    // Revocation through the guard's endpoint.
    let r = c
        .post(format!("{base}/_guard/revoke"))
        .form(&[("token", read.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(get(Some(read.clone())).await.status(), 401);
    // The same log and metrics as the proxy's.
    let text = std::fs::read_to_string(&log).unwrap();
    let reasons: Vec<String> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|l| l["reason"].as_str().map(str::to_owned))
        .collect();
    for want in ["token.scope_insufficient", "token.revoked"] {
        assert!(reasons.iter().any(|r| r == want), "{want}: {reasons:?}");
    }
    assert!(text.contains("\"event\":\"client_flagged\""), "{text}");
    assert!(!text.contains(&read), "no token in the log");
    let m = c
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        m.contains("authdoctor_guard_requests_total{outcome=\"accepted\"} 2"),
        "{m}"
    );
    assert!(m.contains("authdoctor_guard_requests_total{outcome=\"limited\"}"));
    lab.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
