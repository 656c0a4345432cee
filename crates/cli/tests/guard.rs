//! `authdoctor guard` as a reverse proxy, over real HTTP on loopback: the
//! embedded lab is the issuer, a small axum app the upstream. Each answer
//! RFC 6750 asks for, the JSON reject log, the outage and abuse answers,
//! and the doctor naming the cause the guard logged.

#![allow(clippy::unwrap_used)]

use authdoctor_causes::Cause;
use authdoctor_guard::{Guard, GuardConfig};
use authdoctor_lab::{Lab, Options};
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Headers, as `(name, value)`.
type Headers = Vec<(String, String)>;

/// The upstream: answers 200 with what it received (headers), and keeps them.
async fn upstream() -> (String, Arc<Mutex<Vec<Headers>>>) {
    let seen: Arc<Mutex<Vec<Headers>>> = Arc::default();
    let s = seen.clone();
    let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let s = s.clone();
        async move {
            let h: Vec<(String, String)> = req
                .headers()
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_owned()))
                .collect();
            s.lock().unwrap().push(h);
            "upstream says hello"
        }
    });
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await });
    (format!("http://{addr}"), seen)
}

/// Starts a guard for `toml`; returns its base URL.
async fn guard(toml: &str) -> (String, Arc<Guard>) {
    let c = GuardConfig::from_toml(toml).unwrap();
    let g = Guard::new(c).unwrap();
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = l.local_addr().unwrap();
    let g2 = g.clone();
    tokio::spawn(async move { authdoctor_guard::serve(g2, l, std::future::pending()).await });
    // Ready when /healthz says the keys are in.
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if let Ok(r) = client.get(format!("http://{addr}/healthz")).send().await {
            if r.status() == 200 {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (format!("http://{addr}"), g)
}

fn example_token(lab: &Lab, cause: Cause) -> String {
    let line = &lab
        .info()
        .examples
        .iter()
        .find(|e| e.cause == cause)
        .unwrap()
        .curl;
    line.split("Bearer ")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

fn config(lab: &Lab, upstream: &str, log: &std::path::Path) -> String {
    format!(
        r#"
upstream = "{upstream}"
audience = "{api}/orders"
strip_token = true
[[issuers]]
issuer = "{prod}"
[forward_claims]
sub = "x-auth-subject"
[[routes]]
method = "GET"
path = "/orders*"
scopes = ["orders:read"]
[[routes]]
method = "POST"
path = "/orders*"
scopes = ["orders:write"]
[[routes]]
path = "/public*"
public = true
[limits]
window_seconds = 60
failures_per_client = 20
distinct_credentials_per_client = 5
block_seconds = 60
[log]
path = "{log}"
"#,
        api = lab.info().api,
        prod = lab.info().issuers["prod"],
        log = log.display()
    )
}

/// The issuer (the lab), an upstream, and a guard in front of it with its
/// reject log in a folder of its own: what most tests here stand on.
struct Stand {
    lab: Lab,
    base: String,
    seen: Arc<Mutex<Vec<Headers>>>,
    log: std::path::PathBuf,
    dir: std::path::PathBuf,
    _guard: Arc<Guard>,
}

async fn stand(name: &str) -> Stand {
    let lab = Lab::start(Options::default()).await.unwrap();
    let (up, seen) = upstream().await;
    let dir = std::env::temp_dir().join(format!("authdoctor-guard-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("reject.jsonl");
    let (base, g) = guard(&config(&lab, &up, &log)).await;
    Stand {
        lab,
        base,
        seen,
        log,
        dir,
        _guard: g,
    }
}

impl Stand {
    async fn stop(self) {
        self.lab.shutdown().await;
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A fresh access token from the lab's prod issuer for its orders API
/// (client credentials of `demo-cli`, scope orders:read).
async fn mint(lab: &Lab) -> String {
    let cli = lab
        .info()
        .clients
        .iter()
        .find(|c| c.client_id == "demo-cli")
        .unwrap()
        .clone();
    let v: Value = reqwest::Client::new()
        .post(format!("{}/token", lab.info().issuers["prod"]))
        .basic_auth(&cli.client_id, cli.client_secret.as_deref())
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "orders:read"),
            ("resource", &format!("{}/orders", lab.info().api)),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["access_token"].as_str().unwrap().to_owned()
}

fn log_lines(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guard_answers_as_rfc_6750_asks_and_logs_the_cause() {
    let st = stand("main").await;
    let (lab, base, seen, log) = (&st.lab, st.base.clone(), st.seen.clone(), st.log.clone());
    let _ = (&seen, &log);
    let c = reqwest::Client::new();
    let read = example_token(lab, Cause::TokenScopeInsufficient);

    // A good token: through, stripped, its subject forwarded; a client's
    // own x-auth-subject cannot forge one.
    let r = c
        .get(format!("{base}/orders?x=1"))
        .bearer_auth(&read)
        .header("x-auth-subject", "mallory")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("x-request-id"));
    assert_eq!(r.text().await.unwrap(), "upstream says hello");
    let got = seen.lock().unwrap().last().cloned().unwrap();
    assert!(!got.iter().any(|(n, _)| n == "authorization"), "{got:?}");
    assert!(
        got.contains(&("x-auth-subject".into(), "demo-cli".into())),
        "{got:?}"
    );

    // No credentials: 401, a challenge with no error code, and the metadata.
    let r = c.get(format!("{base}/orders")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let ch = r.headers()["www-authenticate"].to_str().unwrap().to_owned();
    assert!(!ch.contains("error="), "{ch}");
    assert!(ch.contains("resource_metadata="), "{ch}");

    // Expired: 401 invalid_token. Wrong audience, other issuer: the same.
    for (cause, token) in [
        (Cause::TokenExpired, example_token(lab, Cause::TokenExpired)),
        (
            Cause::TokenAudienceMismatch,
            example_token(lab, Cause::TokenAudienceMismatch),
        ),
        (
            Cause::TokenIssuerMismatch,
            example_token(lab, Cause::TokenIssuerMismatch),
        ),
    ] {
        let r = c
            .get(format!("{base}/orders"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{cause}");
        assert!(
            r.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .contains("invalid_token")
        );
    }
    // A read token on a write route: 403 insufficient_scope, with the scope.
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
    // Malformed, and two Authorization headers: 400 invalid_request.
    let r = c
        .get(format!("{base}/orders"))
        .header("authorization", format!("Bearer  {read}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = c
        .get(format!("{base}/orders"))
        .header("authorization", format!("Bearer {read}"))
        .header("authorization", "Bearer forged")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // Public routes need nothing.
    assert_eq!(
        c.get(format!("{base}/public/x"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    // The guard's own endpoints.
    let m: Value = c
        .get(format!("{base}/.well-known/oauth-protected-resource"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(m["resource"], format!("{}/orders", lab.info().api));
    assert_eq!(m["authorization_servers"][0], lab.info().issuers["prod"]);
    let metrics = c
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("authdoctor_guard_rejections_total{reason=\"token.expired\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("authdoctor_guard_requests_total{outcome=\"accepted\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("authdoctor_guard_request_duration_seconds_count"));

    // The reject log: one JSON line each, the cause id, never the token.
    let lines = log_lines(&log);
    let reasons: Vec<&str> = lines.iter().filter_map(|l| l["reason"].as_str()).collect();
    for want in [
        "credentials.missing",
        "token.expired",
        "token.audience_mismatch",
        "token.issuer_mismatch",
        "token.scope_insufficient",
        "header.malformed",
    ] {
        assert!(reasons.contains(&want), "{want} not in {reasons:?}");
    }
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.contains(&read[40..]), "a token in the log");
    assert!(!text.contains(&example_token(lab, Cause::TokenExpired)[40..]));
    st.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outages_are_503_and_502_never_401() {
    let lab = Lab::start(Options::default()).await.unwrap();
    let read = example_token(&lab, Cause::TokenScopeInsufficient);
    // The issuer's keys cannot be had: 503 with Retry-After.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let (base, _g) = guard(&format!(
        "upstream = \"http://127.0.0.1:9\"\naudience = \"a\"\n[[issuers]]\nissuer = \"http://{dead}\"\n"
    ))
    .await;
    let c = reqwest::Client::new();
    let r = c
        .get(format!("{base}/x"))
        .bearer_auth(&read)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("retry-after"));
    let h = c.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(h.status(), 503);
    // The upstream is down: 502, after the token passed.
    let dir = std::env::temp_dir().join(format!("authdoctor-guard-o-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (base, _g) = guard(&config(&lab, "http://127.0.0.1:9", &dir.join("l.jsonl"))).await;
    let r = c
        .get(format!("{base}/orders"))
        .bearer_auth(&read)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 502);
    lab.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuffing_client_is_limited_and_a_verified_token_still_passes() {
    let st = stand("s").await;
    let (lab, base, seen, log) = (&st.lab, st.base.clone(), st.seen.clone(), st.log.clone());
    let _ = (&seen, &log);
    let c = reqwest::Client::new();
    let read = example_token(lab, Cause::TokenScopeInsufficient);
    // The valid client is served first (its token is now verified).
    assert_eq!(
        c.get(format!("{base}/orders"))
            .bearer_auth(&read)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // 30 distinct forged tokens from the same address.
    let mut statuses = Vec::new();
    let forged = example_token(lab, Cause::TokenSignatureInvalid);
    for i in 0..30 {
        let t = format!("{}{i}", &forged[..forged.len() - 2]);
        statuses.push(
            c.get(format!("{base}/orders"))
                .bearer_auth(&t)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16(),
        );
    }
    assert!(statuses[..19].iter().all(|s| *s == 401), "{statuses:?}");
    assert_eq!(*statuses.last().unwrap(), 429, "{statuses:?}");
    // The flagged address's next guess is refused without a check …
    let r = c
        .get(format!("{base}/orders"))
        .bearer_auth("eyJhbGciOiJub25lIn0.e30.")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    // … and the valid client behind it keeps being served.
    assert_eq!(
        c.get(format!("{base}/orders"))
            .bearer_auth(&read)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let lines = log_lines(&log);
    assert!(
        lines
            .iter()
            .any(|l| l["event"] == "client_flagged" && l["kind"] == "token_guessing"),
        "{lines:?}"
    );
    st.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_doctor_names_the_cause_the_guard_logged() {
    let st = stand("d").await;
    let (lab, base, seen, log) = (&st.lab, st.base.clone(), st.seen.clone(), st.log.clone());
    let _ = (&seen, &log);
    let read = example_token(lab, Cause::TokenScopeInsufficient);
    let cases: Vec<(Cause, &str, Headers)> = vec![
        (Cause::CredentialsMissing, "GET", vec![]),
        (
            Cause::TokenExpired,
            "GET",
            vec![(
                "Authorization".into(),
                format!("Bearer {}", example_token(lab, Cause::TokenExpired)),
            )],
        ),
        (
            Cause::TokenAudienceMismatch,
            "GET",
            vec![(
                "Authorization".into(),
                format!(
                    "Bearer {}",
                    example_token(lab, Cause::TokenAudienceMismatch)
                ),
            )],
        ),
        (
            Cause::TokenIssuerMismatch,
            "GET",
            vec![(
                "Authorization".into(),
                format!("Bearer {}", example_token(lab, Cause::TokenIssuerMismatch)),
            )],
        ),
        (
            Cause::TokenUnknownKey,
            "GET",
            vec![(
                "Authorization".into(),
                format!("Bearer {}", example_token(lab, Cause::TokenUnknownKey)),
            )],
        ),
        (
            Cause::HeaderMalformed,
            "GET",
            vec![("Authorization".into(), format!("Bearer  {read}"))],
        ),
        (
            Cause::TokenScopeInsufficient,
            "POST",
            vec![("Authorization".into(), format!("Bearer {read}"))],
        ),
    ];
    for (cause, method, headers) in cases {
        let spec = authdoctor_doctor::RequestSpec {
            method: method.into(),
            url: format!("{base}/orders"),
            headers,
            ..Default::default()
        };
        let ctx = authdoctor_doctor::Context {
            retry: false,
            ..Default::default()
        };
        let d = authdoctor_doctor::run(&spec, &ctx).await.unwrap();
        let logged = log_lines(&log).last().cloned().unwrap();
        assert_eq!(logged["reason"], cause.id(), "the guard's log");
        assert_eq!(d.causes[0].id, cause, "the doctor: {:#?}", d.causes[0]);
    }
    st.stop().await;
}

/// The attack playbook through the proxy: each forged or broken token is
/// refused, with 400 or 401, and the upstream never sees the request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_tokens_never_reach_the_upstream() {
    use authdoctor_jose::{Alg, SigningKey, b64};
    use serde_json::{Map, json};
    let st = stand("a").await;
    let (lab, base, seen, log) = (&st.lab, st.base.clone(), st.seen.clone(), st.log.clone());
    let _ = (&seen, &log);
    let c = reqwest::Client::new();
    let prod = lab.info().issuers["prod"].clone();
    let jwks: Value = c
        .get(format!("{prod}/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kid = jwks["keys"][0]["kid"].as_str().unwrap().to_owned();
    let now = jiff::Timestamp::now().as_second();
    let claims = json!({"iss": prod, "aud": format!("{}/orders", lab.info().api), "sub": "mallory",
        "scope": "orders:read", "iat": now, "exp": now + 600, "client_id": "demo-cli"});
    let raw = |h: Value, p: &Value, sig: &[u8]| {
        format!(
            "{}.{}.{}",
            b64::encode(h.to_string().as_bytes()),
            b64::encode(p.to_string().as_bytes()),
            b64::encode(sig)
        )
    };
    let attacker = SigningKey::generate(&Alg::RS256, &kid).unwrap();
    let mut forged: Vec<(&str, String)> = Vec::new();
    for alg in ["none", "None", "NONE", "nOnE"] {
        forged.push((
            "alg none",
            raw(
                json!({"alg": alg, "kid": kid, "typ": "at+jwt"}),
                &claims,
                b"",
            ),
        ));
    }
    // HS256 keyed with the published RSA key (key confusion).
    let confusion =
        authdoctor_jose::PrivateKey::hmac(&Alg::HS256, jwks.to_string().as_bytes()).unwrap();
    forged.push((
        "key confusion",
        SigningKey::new(confusion, &kid)
            .sign_jwt(Some("at+jwt"), &Map::new(), &claims)
            .unwrap(),
    ));
    // Signed by the attacker, who points at his own key.
    let mut embedded = Map::new();
    embedded.insert("jwk".into(), attacker.public_jwk().to_json());
    forged.push((
        "embedded jwk",
        attacker
            .sign_jwt(Some("at+jwt"), &embedded, &claims)
            .unwrap(),
    ));
    for h in ["jku", "x5u"] {
        let mut m = Map::new();
        m.insert(h.into(), json!("http://127.0.0.1:9/keys.json"));
        forged.push((
            "jku/x5u",
            attacker.sign_jwt(Some("at+jwt"), &m, &claims).unwrap(),
        ));
    }
    forged.push((
        "same kid, other key",
        attacker
            .sign_jwt(Some("at+jwt"), &Map::new(), &claims)
            .unwrap(),
    ));
    let mut path_kid = Map::new();
    path_kid.insert("kid".into(), json!("../../../../dev/null"));
    forged.push((
        "kid path trick",
        attacker
            .sign_jwt(Some("at+jwt"), &path_kid, &claims)
            .unwrap(),
    ));
    let mut crit = Map::new();
    crit.insert("crit".into(), json!(["exp-never"]));
    crit.insert("exp-never".into(), json!(true));
    forged.push((
        "unknown crit",
        attacker.sign_jwt(Some("at+jwt"), &crit, &claims).unwrap(),
    ));
    let mut b64false = Map::new();
    b64false.insert("b64".into(), json!(false));
    b64false.insert("crit".into(), json!(["b64"]));
    forged.push((
        "b64 false",
        attacker
            .sign_jwt(Some("at+jwt"), &b64false, &claims)
            .unwrap(),
    ));
    // ES256 with r = s = 0 (the psychic signature).
    forged.push((
        "psychic signature",
        raw(json!({"alg": "ES256", "kid": kid}), &claims, &[0u8; 64]),
    ));
    // A typed exp that lenient libraries treat as absent.
    let mut typed = claims.clone();
    typed["exp"] = json!("9999999999");
    forged.push((
        "exp as a string",
        raw(json!({"alg": "RS256", "kid": kid}), &typed, b"sig"),
    ));
    // Padding and whitespace in a genuine-looking signature part.
    let good_shape = attacker
        .sign_jwt(Some("at+jwt"), &Map::new(), &claims)
        .unwrap();
    forged.push(("padded signature", format!("{good_shape}==")));
    forged.push((
        "2 MB token",
        format!("{}{}", good_shape, "A".repeat(2 * 1024 * 1024)),
    ));
    let before = seen.lock().unwrap().len();
    for (what, t) in &forged {
        let r = c.get(format!("{base}/orders")).bearer_auth(t).send().await;
        let status = r.map(|r| r.status().as_u16()).unwrap_or(0);
        assert!(
            matches!(status, 400 | 401 | 413 | 431 | 0),
            "{what}: answered {status}"
        );
    }
    assert_eq!(
        seen.lock().unwrap().len(),
        before,
        "a forged token reached the upstream"
    );
    st.stop().await;
}

/// A key-set endpoint that answers garbage, or too slowly: 503, never 401;
/// and a rotation at the issuer rejects no valid token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_or_slow_keys_are_503_and_a_rotation_rejects_no_valid_token() {
    let lab = Lab::start(Options::default()).await.unwrap();
    let read = example_token(&lab, Cause::TokenScopeInsufficient);
    let c = reqwest::Client::new();
    // Garbage, then silence.
    for body in ["<html>oops</html>", ""] {
        let slow = body.is_empty();
        let app = axum::Router::new().fallback(move || async move {
            if slow {
                tokio::time::sleep(Duration::from_secs(30)).await;
            }
            body
        });
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(l, app).await });
        let (base, _g) = guard(&format!(
            "upstream = \"http://127.0.0.1:9\"\naudience = \"a\"\n[[issuers]]\nissuer = \"http://{addr}\"\njwks_uri = \"http://{addr}/jwks\"\n"
        ))
        .await;
        let r = c
            .get(format!("{base}/x"))
            .bearer_auth(&read)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 503, "{body:?}");
        assert!(r.headers().contains_key("retry-after"));
    }
    // Rotation: tokens signed with the new key pass at once.
    let (up, _) = upstream().await;
    let dir = std::env::temp_dir().join(format!("authdoctor-guard-r-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (base, _g) = guard(&config(&lab, &up, &dir.join("l.jsonl"))).await;
    assert_eq!(
        c.get(format!("{base}/orders"))
            .bearer_auth(&read)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let lab_api = lab.info().api.clone();
    let rotated = c
        .post(format!("{}/lab/rotate/prod", lab_api))
        .send()
        .await
        .unwrap();
    assert!(rotated.status().is_success());
    // A fresh token from the rotated issuer (its new kid).
    let fresh = mint(&lab).await;
    let fresh = fresh.as_str();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let r = c
        .get(format!("{base}/orders"))
        .bearer_auth(fresh)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "a token signed with the rotated key");
    // The old one, still published, passes too.
    assert_eq!(
        c.get(format!("{base}/orders"))
            .bearer_auth(&read)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    lab.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// With introspection configured, a token the issuer revoked is refused at
/// once, though its signature and times are good; the others pass.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_is_refused_when_the_guard_introspects() {
    let lab = Lab::start(Options::default()).await.unwrap();
    let (up, _) = upstream().await;
    let cli = lab
        .info()
        .clients
        .iter()
        .find(|c| c.client_id == "demo-cli")
        .unwrap()
        .clone();
    let secret = cli.client_secret.clone().unwrap();
    let prod = lab.info().issuers["prod"].clone();
    let api = lab.info().api.clone();
    let c = reqwest::Client::new();
    let (kept, gone) = (mint(&lab).await, mint(&lab).await);
    // The secret reaches the guard through a file (a mounted secret).
    let dir = std::env::temp_dir().join(format!("authdoctor-guard-i-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let secret_file = dir.join("client-secret");
    std::fs::write(&secret_file, format!("{secret}\n")).unwrap();
    let (base, _g) = guard(&format!(
        r#"
upstream = "{up}"
audience = "{api}/orders"
[[issuers]]
issuer = "{prod}"
introspection_endpoint = "{prod}/introspect"
client_id = "demo-cli"
client_secret_file = "{file}"
"#,
        file = secret_file.display()
    ))
    .await;
    let r = c
        .post(format!("{prod}/revoke"))
        .basic_auth(&cli.client_id, Some(&secret))
        .form(&[("token", gone.as_str())])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    assert_eq!(
        c.get(format!("{base}/orders"))
            .bearer_auth(&kept)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let r = c
        .get(format!("{base}/orders"))
        .bearer_auth(&gone)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
    lab.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
