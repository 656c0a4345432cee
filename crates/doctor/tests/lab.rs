//! The doctor against the embedded lab, over real HTTP: each fault's
//! diagnosis, its evidence and the retry's outcome.

#![allow(clippy::unwrap_used)]

use authdoctor_causes::{Cause, Likelihood};
use authdoctor_doctor::{Context, Diagnosis, curl, run};
use authdoctor_lab::{Lab, Options};
use authdoctor_secret::ClientSecret;

fn ctx(lab: &Lab) -> Context {
    let c = lab
        .info()
        .clients
        .iter()
        .find(|c| c.client_id == "demo-cli")
        .unwrap();
    Context {
        client_id: Some(c.client_id.clone()),
        client_secret: c.client_secret.clone().map(ClientSecret::new),
        trusted_origins: lab.info().issuers.values().cloned().collect(),
        ..Context::default()
    }
}

fn example(lab: &Lab, cause: Cause) -> String {
    lab.info()
        .examples
        .iter()
        .find(|e| e.cause == cause)
        .unwrap()
        .curl
        .clone()
}

async fn diagnose(lab: &Lab, cause: Cause) -> Diagnosis {
    let spec = curl::parse_line(&example(lab, cause)).unwrap();
    run(&spec, &ctx(lab)).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_lab_fault_is_named_first() {
    let lab = Lab::start(Options::default()).await.unwrap();
    for e in lab.info().examples.clone() {
        if e.curl.contains("&&") {
            continue; // the cookie example needs its login first: covered by the demo test
        }
        let spec = curl::parse_line(&e.curl).unwrap();
        let d = run(&spec, &ctx(&lab)).await.unwrap();
        let top = d
            .causes
            .first()
            .unwrap_or_else(|| panic!("{}: no cause", e.cause));
        assert_eq!(top.id, e.cause, "{}: {:#?}", e.cause, d.causes);
        assert_ne!(top.likelihood, Likelihood::Low, "{}", e.cause);
        assert!(
            !top.evidence.is_empty() && !top.fixes.is_empty(),
            "{}",
            e.cause
        );
        assert_eq!(d.exit_code(), 1, "{}", e.cause);
        // The retry with a fresh token: what it must come to for each fault.
        let want: Option<u16> = match e.cause {
            // Fixed by a fresh, right token.
            Cause::CredentialsMissing
            | Cause::TokenExpired
            | Cause::TokenAudienceMismatch
            | Cause::TokenIssuerMismatch
            | Cause::TokenUnknownKey
            | Cause::TokenSignatureInvalid
            | Cause::TokenAlgRejected
            | Cause::TokenMalformed
            | Cause::TokenWrongType
            | Cause::TokenRevoked
            | Cause::HeaderMalformed
            | Cause::SchemeMismatch => Some(200),
            // Not a token's fault: a fresh one is refused as well.
            Cause::ClockSkew
            | Cause::StepupRequired
            | Cause::TokenBindingRequired
            | Cause::HeaderLostOnRedirect => Some(401),
            Cause::AuthzForbidden => Some(403),
            // Not sent: an unsafe method, a preflight, Basic, a token endpoint call.
            _ => None,
        };
        assert_eq!(d.retry.status, want, "{}: {:?}", e.cause, d.retry);
        if want == Some(200) {
            assert_eq!(d.retry.confirms, Some(e.cause), "{}", e.cause);
        }
    }
    lab.shutdown().await;
}

#[tokio::test]
async fn expired_is_confirmed_by_a_fresh_token_and_the_difference_shown() {
    let lab = Lab::start(Options::default()).await.unwrap();
    let d = diagnose(&lab, Cause::TokenExpired).await;
    assert!(
        d.causes[0]
            .evidence
            .iter()
            .any(|e| e.starts_with("exp: Expired 50 min ago")),
        "{:#?}",
        d.causes[0].evidence
    );
    assert!(
        d.causes[0]
            .evidence
            .iter()
            .any(|e| e.contains("agrees with the local clock"))
    );
    assert!(d.retry.attempted);
    assert_eq!(d.retry.status, Some(200));
    assert_eq!(d.retry.confirms, Some(Cause::TokenExpired));
    assert!(
        d.retry.changes.iter().any(|c| c.starts_with("exp: ")),
        "{:?}",
        d.retry.changes
    );
    lab.shutdown().await;
}

#[tokio::test]
async fn clock_skew_is_told_apart_from_expiry() {
    let lab = Lab::start(Options::default()).await.unwrap();
    let d = diagnose(&lab, Cause::ClockSkew).await;
    assert_eq!(d.causes[0].id, Cause::ClockSkew);
    assert!(
        // The Date header has a resolution of one second: 9 min 59 s or 10 min.
        d.causes[0].summary.contains("10 min ahead of this machine")
            || d.causes[0]
                .summary
                .contains("9 min 59 s ahead of this machine"),
        "{}",
        d.causes[0].summary
    );
    assert_eq!(d.causes[1].id, Cause::TokenExpired);
    assert_eq!(d.causes[1].likelihood, Likelihood::Medium);
    let offset = d.observations.clock_offset_s.unwrap();
    assert!((595..=605).contains(&offset), "{offset}");
    // A fresh token fails there too: the clock, not the token.
    assert_eq!(d.retry.status, Some(401));
    lab.shutdown().await;
}

#[tokio::test]
async fn audience_and_issuer_come_from_rfc9728_metadata() {
    let lab = Lab::start(Options::default()).await.unwrap();
    let d = diagnose(&lab, Cause::TokenAudienceMismatch).await;
    assert_eq!(
        d.observations.expected.audience.as_ref().map(|a| &a.source),
        Some(&authdoctor_diagnosis::observations::Source::ResourceMetadata)
    );
    assert!(
        d.causes[0].fixes[0].action.contains("resource="),
        "{:?}",
        d.causes[0].fixes
    );
    assert!(
        d.retry.changes.iter().any(|c| c.starts_with("aud: ")),
        "{:?}",
        d.retry.changes
    );
    let d = diagnose(&lab, Cause::TokenIssuerMismatch).await;
    assert_eq!(
        d.observations
            .expected
            .issuer
            .as_ref()
            .map(|i| i.value.clone()),
        Some(serde_json::json!(lab.info().issuers["prod"]))
    );
    // The fresh token comes from the trusted issuer, not the token's own.
    assert_eq!(d.retry.status, Some(200));
    assert!(
        d.retry.changes.iter().any(|c| c.starts_with("iss: ")),
        "{:?}",
        d.retry.changes
    );
    lab.shutdown().await;
}

#[tokio::test]
async fn an_unsafe_method_is_not_resent() {
    let lab = Lab::start(Options::default()).await.unwrap();
    let d = diagnose(&lab, Cause::TokenScopeInsufficient).await;
    assert!(!d.retry.attempted);
    assert!(
        d.retry
            .skipped
            .as_deref()
            .unwrap()
            .contains("--retry-unsafe")
    );
    // The fresh token was had all the same, so the report can say what would change.
    assert!(d.retry.grant.is_some());
    let spec = curl::parse_line(&example(&lab, Cause::TokenScopeInsufficient)).unwrap();
    let c = Context {
        retry_unsafe: true,
        scopes: vec!["orders:write".into()],
        ..ctx(&lab)
    };
    let d = run(&spec, &c).await.unwrap();
    assert_eq!(d.retry.status, Some(201));
    assert_eq!(d.retry.confirms, Some(Cause::TokenScopeInsufficient));
    lab.shutdown().await;
}

#[tokio::test]
async fn the_other_client_authentication_method_is_tried() {
    // A confidential client with a wrong secret: both methods are refused,
    // and the grant error is reported.
    let lab = Lab::start(Options::default()).await.unwrap();
    let spec = curl::parse_line(&example(&lab, Cause::TokenExpired)).unwrap();
    let c = Context {
        client_secret: Some(ClientSecret::new("not-the-secret")),
        ..ctx(&lab)
    };
    let d = run(&spec, &c).await.unwrap();
    assert_eq!(d.causes[0].id, Cause::TokenExpired);
    assert!(!d.retry.attempted);
    assert!(
        d.retry
            .grant_error
            .as_deref()
            .unwrap()
            .contains("invalid_client"),
        "{:?}",
        d.retry
    );
    lab.shutdown().await;
}

#[tokio::test]
async fn a_successful_request_has_nothing_to_diagnose() {
    let lab = Lab::start(Options::default()).await.unwrap();
    let spec = curl::parse_line(&format!(
        "curl {}/.well-known/oauth-protected-resource",
        lab.info().api
    ))
    .unwrap();
    let d = run(&spec, &ctx(&lab)).await.unwrap();
    assert!(d.causes.is_empty());
    assert_eq!(d.exit_code(), 0);
    lab.shutdown().await;
}

#[tokio::test]
async fn no_secret_that_went_in_comes_out() {
    let lab = Lab::start(Options::default()).await.unwrap();
    let c = ctx(&lab);
    let secret = c.client_secret.clone().unwrap();
    for cause in [
        Cause::TokenExpired,
        Cause::CredentialsInvalid,
        Cause::HeaderLostOnRedirect,
        Cause::ClientInvalid,
        Cause::RefreshFailed,
        Cause::TokenRevoked,
    ] {
        let line = example(&lab, cause);
        let spec = curl::parse_line(&line).unwrap();
        let d = run(&spec, &c).await.unwrap();
        let mut texts = vec![serde_json::to_string(&d).unwrap()];
        let mut h = Vec::new();
        authdoctor_doctor::report::human(&d, &mut h).unwrap();
        texts.push(String::from_utf8(h).unwrap());
        let mut m = Vec::new();
        authdoctor_doctor::report::markdown(&d, &mut m).unwrap();
        texts.push(String::from_utf8(m).unwrap());
        let mut secrets: Vec<String> = spec.secrets().into_iter().map(|(s, _)| s).collect();
        secrets.push(secret.expose().to_owned());
        for (i, t) in texts.iter().enumerate() {
            // Masked at the source: even before the last redaction pass.
            for s in &secrets {
                assert!(
                    !t.contains(s.as_str()),
                    "{cause}: a secret in the output before redaction"
                );
            }
            let out = d.finish(t, false);
            for s in &secrets {
                assert!(!out.contains(s.as_str()), "{cause}: a secret in the output");
            }
            if i == 0 && !spec.secrets().is_empty() {
                // The JSON shows the request's credentials, masked.
                assert!(out.contains("sha256:"), "{cause}: nothing masked?");
            }
        }
    }
    lab.shutdown().await;
}

#[tokio::test]
async fn credentials_in_the_wrong_place_are_recognised_by_their_shape() {
    let lab = Lab::start(Options::default()).await.unwrap();
    let good = lab
        .info()
        .examples
        .iter()
        .find(|e| e.cause == Cause::TokenScopeInsufficient)
        .unwrap()
        .curl
        .clone();
    let token = good
        .split("Bearer ")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let orders = format!("{}/orders", lab.info().api);
    for line in [
        format!("curl -H 'X-Api-Key: {token}' {orders}"),
        format!("curl '{orders}?access_token={token}'"),
        format!("curl -H 'Authorization: JWT {token}' {orders}"),
    ] {
        let d = run(&curl::parse_line(&line).unwrap(), &ctx(&lab))
            .await
            .unwrap();
        assert_eq!(
            d.causes[0].id,
            Cause::SchemeMismatch,
            "{line}: {:#?}",
            d.causes
        );
        assert!(!serde_json::to_string(&d).unwrap().contains(&token));
    }
    lab.shutdown().await;
}

#[tokio::test]
async fn a_client_registered_for_post_only_is_told_so() {
    // demo-post is refused over client_secret_basic; the retry tries
    // client_secret_post, which works, and the report says which is accepted.
    let lab = Lab::start(Options::default()).await.unwrap();
    let c = lab
        .info()
        .clients
        .iter()
        .find(|c| c.client_id == "demo-post")
        .unwrap();
    assert_eq!(c.token_endpoint_auth_methods, ["client_secret_post"]);
    let ctx = Context {
        client_id: Some(c.client_id.clone()),
        client_secret: c.client_secret.clone().map(ClientSecret::new),
        trusted_origins: lab.info().issuers.values().cloned().collect(),
        ..Context::default()
    };
    let spec = curl::parse_line(&example(&lab, Cause::TokenExpired)).unwrap();
    let d = run(&spec, &ctx).await.unwrap();
    assert_eq!(d.retry.status, Some(200), "{:?}", d.retry);
    assert_eq!(
        d.retry.grant.as_deref(),
        Some("client_credentials with client_secret_post")
    );
    assert!(
        d.retry
            .client_auth
            .as_deref()
            .unwrap()
            .contains("accepted client_secret_post")
    );
    lab.shutdown().await;
}

#[tokio::test]
async fn debug_output_of_the_facts_never_shows_a_secret() {
    // A stray `{:?}` in a log line must not leak: the observations, the
    // request, every hop and exchange print masked.
    let lab = Lab::start(Options::default()).await.unwrap();
    let c = ctx(&lab);
    for cause in [
        Cause::TokenExpired,
        Cause::CredentialsInvalid,
        Cause::RefreshFailed,
        Cause::TokenRevoked,
    ] {
        let spec = curl::parse_line(&example(&lab, cause)).unwrap();
        let o = authdoctor_doctor::observe(&spec, &c).await.unwrap();
        let d = run(&spec, &c).await.unwrap();
        let text = format!("{o:?} {spec:?} {c:?} {d:?}");
        let mut secrets: Vec<String> = spec.secrets().into_iter().map(|(s, _)| s).collect();
        secrets.push(c.client_secret.as_ref().unwrap().expose().to_owned());
        if let Some(t) = &o.retry.fresh_token {
            secrets.push(t.expose().to_owned());
        }
        for s in secrets {
            assert!(!text.contains(&s), "{cause}: a secret in Debug output");
        }
    }
    lab.shutdown().await;
}
