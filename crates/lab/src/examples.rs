//! The lab's description of itself, and the ready commands that each fail
//! for one named cause. The tokens in them are minted at start, in-process,
//! the way the token endpoint mints them.

use crate::idp::{Grant, mint_access_token};
use crate::state::{RefreshGrant, Shared, now, random_token};
use crate::{ClientInfo, Example, LabError, LabInfo, ResourceInfo};
use authdoctor_causes::Cause;
use authdoctor_jose::{SigningKey, b64};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// How long the example commands' tokens stay valid: a day.
pub const EXAMPLE_LIFETIME: i64 = 24 * 3600;

/// The clock-skew example's token lives 5 minutes: against an API 10
/// minutes fast it looks expired only while it is valid locally.
const SKEW_EXAMPLE_LIFETIME: i64 = 300;

fn sign(key: &SigningKey, typ: &str, claims: &Value) -> Result<String, LabError> {
    key.sign_jwt(Some(typ), &Map::new(), claims)
        .map_err(|e| LabError::Mint(e.to_string()))
}

pub(crate) fn info(
    s: &Shared,
    clients: &[crate::state::Client],
    impostor: &SigningKey,
    idp: &str,
    api: &str,
    alt: &str,
    skew: &str,
) -> Result<LabInfo, LabError> {
    let prod = format!("{idp}/prod");
    let staging = format!("{idp}/staging");
    let orders = format!("{api}/orders");
    let t = now();
    // The examples must stay true for as long as the lab runs, whatever the
    // lifetime of the tokens its token endpoint hands out.
    let lifetime = s.lock().token_lifetime.max(EXAMPLE_LIFETIME);
    let mint = |issuer: &str, scope: &str, resource: Option<&str>, iat: i64, lifetime: i64| {
        mint_access_token(
            s,
            &Grant {
                issuer,
                client_id: "demo-cli",
                sub: "demo-cli",
                scope,
                resource,
                user_auth: None,
                jkt: None,
                iat,
                lifetime,
            },
        )
        .map_err(LabError::Mint)
    };
    let read = mint("prod", "orders:read", Some(&orders), t, lifetime)?;
    // Clock skew shows only while the token is valid by the local clock and
    // expired by the fast one: a short life, said in the description.
    let short = mint(
        "prod",
        "orders:read",
        Some(&orders),
        t,
        SKEW_EXAMPLE_LIFETIME,
    )?;
    let expired = mint("prod", "orders:read", Some(&orders), t - 3600, 600)?;
    let other_aud = mint(
        "prod",
        "orders:read",
        Some(&format!("{api}/billing")),
        t,
        lifetime,
    )?;
    let from_staging = mint("staging", "orders:read", Some(&orders), t, lifetime)?;
    let revoked = mint("prod", "orders:read", Some(&orders), t, lifetime)?;
    let body = |tok: &str| -> Value {
        let payload = tok
            .split('.')
            .nth(1)
            .and_then(b64::decode_strict)
            .unwrap_or_default();
        serde_json::from_slice(&payload).unwrap_or(Value::Null)
    };
    let read_claims = body(&read);
    let (retired_key, id_token) = {
        let st = s.lock();
        let issuer = st
            .issuer("prod")
            .ok_or_else(|| LabError::Mint("no prod issuer".into()))?;
        let mut c = read_claims.clone();
        c["jti"] = json!(random_token(12));
        let retired = sign(&issuer.retired[0], "at+jwt", &c)?;
        let id = sign(
            issuer.active(),
            "JWT",
            &json!({"iss": prod, "sub": "alice", "aud": "demo-cli", "azp": "demo-cli", "nonce": "n-0S6_WzA2Mj",
                    "auth_time": t - 30, "iat": t, "exp": t + lifetime}),
        )?;
        (retired, id)
    };
    let forged = sign(impostor, "at+jwt", &read_claims)?;
    let alg_none = format!(
        "{}.{}.",
        b64::encode(br#"{"alg":"none","typ":"at+jwt"}"#),
        b64::encode(read_claims.to_string().as_bytes())
    );
    let truncated = read[..read.rfind('.').unwrap_or(read.len())].to_owned();
    if let Some(jti) = body(&revoked)["jti"].as_str() {
        s.lock().revoked_jti.insert(jti.to_owned());
    }
    let spent_refresh = random_token(32);
    {
        let mut st = s.lock();
        st.next_family += 1;
        let family = st.next_family;
        st.refresh.insert(
            spent_refresh.clone(),
            RefreshGrant {
                issuer: "prod".into(),
                client_id: "demo-cli".into(),
                sub: "alice".into(),
                scope: "orders:read offline_access".into(),
                resource: Some(orders.clone()),
                spent: true,
                family,
                acr: None,
                auth_time: t - 86_400,
            },
        );
    }
    let cli_secret = clients
        .iter()
        .find(|c| c.client_id == "demo-cli")
        .and_then(|c| c.client_secret.as_ref().map(|s| s.expose().to_owned()))
        .unwrap_or_default();
    let bearer = |tok: &str, url: &str| format!("curl -i -H \"Authorization: Bearer {tok}\" {url}");
    let (user, password) = crate::api::CREDENTIALS;
    let examples = vec![
        Example {
            cause: Cause::CredentialsMissing,
            description: "no credentials at all",
            curl: format!("curl -i {orders}"),
        },
        Example {
            cause: Cause::TokenExpired,
            description: "a token that expired 50 minutes ago",
            curl: bearer(&expired, &orders),
        },
        Example {
            cause: Cause::ClockSkew,
            description: "a fresh token, sent to an API whose clock runs 10 minutes fast (true for the lab's first 5 minutes: restart the lab for a new one)",
            curl: bearer(&short, &format!("{skew}/orders")),
        },
        Example {
            cause: Cause::TokenAudienceMismatch,
            description: "a token requested for another API (resource=…/billing)",
            curl: bearer(&other_aud, &orders),
        },
        Example {
            cause: Cause::TokenIssuerMismatch,
            description: "a staging token sent to the prod API",
            curl: bearer(&from_staging, &orders),
        },
        Example {
            cause: Cause::TokenUnknownKey,
            description: "a token signed with the retired key prod-0",
            curl: bearer(&retired_key, &orders),
        },
        Example {
            cause: Cause::TokenSignatureInvalid,
            description: "a token signed by another key that also calls itself prod-1",
            curl: bearer(&forged, &orders),
        },
        Example {
            cause: Cause::TokenAlgRejected,
            description: "an unsigned token (alg none)",
            curl: bearer(&alg_none, &orders),
        },
        Example {
            cause: Cause::TokenMalformed,
            description: "a token cut off at its last dot",
            curl: bearer(&truncated, &orders),
        },
        Example {
            cause: Cause::TokenWrongType,
            description: "an ID token sent as an access token",
            curl: bearer(&id_token, &orders),
        },
        Example {
            cause: Cause::TokenScopeInsufficient,
            description: "a read-only token used to create an order",
            curl: format!("curl -i -X POST -H \"Authorization: Bearer {read}\" {orders}"),
        },
        Example {
            cause: Cause::TokenRevoked,
            description: "a revoked token at a route that introspects",
            curl: bearer(&revoked, &format!("{api}/orders/introspected")),
        },
        Example {
            cause: Cause::AuthzForbidden,
            description: "a valid token without the admin role",
            curl: bearer(&read, &format!("{api}/admin")),
        },
        Example {
            cause: Cause::StepupRequired,
            description: "a token without a second-factor sign-in at a step-up route",
            curl: bearer(&read, &format!("{api}/stepup")),
        },
        Example {
            cause: Cause::TokenBindingRequired,
            description: "a Bearer token at a DPoP-bound route",
            curl: bearer(&read, &format!("{api}/dpop/orders")),
        },
        Example {
            cause: Cause::HeaderMalformed,
            description: "the token broken in two by a space, as a copy across a line wrap leaves it",
            curl: format!(
                "curl -i -H \"Authorization: Bearer {} {}\" {orders}",
                &read[..read.len() / 2],
                &read[read.len() / 2..]
            ),
        },
        Example {
            cause: Cause::SchemeMismatch,
            description: "the Token scheme where Bearer is wanted",
            curl: format!("curl -i -H \"Authorization: Token {read}\" {orders}"),
        },
        Example {
            cause: Cause::HeaderLostOnRedirect,
            description: "a redirect to another host; curl drops Authorization",
            curl: format!("curl -i -L -H \"Authorization: Bearer {read}\" {api}/redirect/orders"),
        },
        Example {
            cause: Cause::CredentialsInvalid,
            description: "a wrong Basic password",
            curl: format!("curl -i -u {user}:not-{password} {api}/basic"),
        },
        Example {
            cause: Cause::CookieRejected,
            description: "a session cookie scoped to /app, then a call to /me",
            curl: format!(
                "curl -s -c /tmp/authdoctor-lab.jar -d user={user} -d password={password} {api}/login >/dev/null && curl -i -b /tmp/authdoctor-lab.jar {api}/me"
            ),
        },
        Example {
            cause: Cause::CorsBlocked,
            description: "a CORS preflight to a route that demands a token on OPTIONS too",
            curl: format!(
                "curl -i -X OPTIONS -H \"Origin: http://app.lab.test\" -H \"Access-Control-Request-Method: GET\" -H \"Access-Control-Request-Headers: authorization\" {api}/cors/orders"
            ),
        },
        Example {
            cause: Cause::ClientInvalid,
            description: "a wrong client secret at the token endpoint",
            curl: format!(
                "curl -i -u demo-cli:wrong-secret -d grant_type=client_credentials {prod}/token"
            ),
        },
        Example {
            cause: Cause::RefreshFailed,
            description: "a refresh token that was already used",
            curl: format!(
                "curl -i -u demo-cli:{cli_secret} -d grant_type=refresh_token -d refresh_token={spent_refresh} {prod}/token"
            ),
        },
    ];
    let resources = vec![
        resource(
            "orders",
            "GET",
            orders.clone(),
            "a token for the orders API with scope orders:read",
            &prod,
            &orders,
            Some("orders:read"),
        ),
        resource(
            "orders-write",
            "POST",
            orders.clone(),
            "scope orders:write",
            &prod,
            &orders,
            Some("orders:write"),
        ),
        resource(
            "orders-introspected",
            "GET",
            format!("{api}/orders/introspected"),
            "orders:read, and active by introspection",
            &prod,
            &orders,
            Some("orders:read"),
        ),
        resource(
            "admin",
            "GET",
            format!("{api}/admin"),
            "orders:read and the admin role (client demo-admin)",
            &prod,
            &orders,
            Some("orders:read"),
        ),
        resource(
            "stepup",
            "GET",
            format!("{api}/stepup"),
            "orders:read and acr urn:lab:loa:2 within 5 minutes (authorize with acr_values=urn:lab:loa:2)",
            &prod,
            &orders,
            Some("orders:read"),
        ),
        resource(
            "dpop",
            "GET",
            format!("{api}/dpop/orders"),
            "a DPoP-bound token (send a DPoP proof to the token endpoint) with the DPoP scheme and a proof",
            &prod,
            &orders,
            Some("orders:read"),
        ),
        ResourceInfo {
            name: "basic",
            method: "GET",
            url: format!("{api}/basic"),
            requires: "Basic credentials of the lab user",
            audience: None,
            issuer: None,
            scope: None,
            resource: None,
        },
        ResourceInfo {
            name: "session",
            method: "GET",
            url: format!("{api}/app/me"),
            requires: "the lab_session cookie from POST /login (Path=/app, Max-Age=60; Secure with ?secure=1)",
            audience: None,
            issuer: None,
            scope: None,
            resource: None,
        },
    ];
    Ok(LabInfo {
        issuers: BTreeMap::from([
            ("prod".to_owned(), prod.clone()),
            ("staging".to_owned(), staging),
        ]),
        api: api.to_owned(),
        api_other_host: alt.to_owned(),
        api_skewed: skew.to_owned(),
        faults: format!("{api}/lab/faults"),
        clients: clients
            .iter()
            .map(|c| ClientInfo {
                client_id: c.client_id.clone(),
                client_secret: c.client_secret.as_ref().map(|s| s.expose().to_owned()),
                grant_types: c.grant_types.clone(),
                token_endpoint_auth_methods: if c.post_only {
                    vec!["client_secret_post"]
                } else if c.client_secret.is_some() {
                    vec!["client_secret_basic", "client_secret_post"]
                } else {
                    vec!["none"]
                },
                scopes: c.scopes.clone(),
            })
            .collect(),
        user: BTreeMap::from([("user", user), ("password", password)]),
        resources,
        examples,
    })
}

fn resource(
    name: &'static str,
    method: &'static str,
    url: String,
    requires: &'static str,
    issuer: &str,
    aud: &str,
    scope: Option<&'static str>,
) -> ResourceInfo {
    ResourceInfo {
        name,
        method,
        url,
        requires,
        audience: Some(aud.to_owned()),
        issuer: Some(issuer.to_owned()),
        scope,
        resource: Some(aud.to_owned()),
    }
}
