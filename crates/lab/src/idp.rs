//! The identity provider: OpenID Connect discovery and RFC 8414 metadata,
//! the JWKS, the token endpoint (client credentials, refresh with rotation,
//! authorization code with PKCE and automatic consent), RFC 7662
//! introspection and RFC 7009 revocation. One process hosts several
//! issuers under path prefixes (`/prod`, `/staging`), each with its keys.

use crate::dpop;
use crate::state::{CodeGrant, RefreshGrant, Shared, now, random_token};
use authdoctor_jose::{Keys, Policy, b64, check, crypto::sha256, decode};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Json, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// The IdP's routes.
pub fn router(state: Shared) -> Router {
    Router::new()
        .route("/{iss}/.well-known/openid-configuration", get(discovery))
        .route(
            "/{iss}/.well-known/oauth-authorization-server",
            get(discovery),
        )
        .route(
            "/.well-known/oauth-authorization-server/{iss}",
            get(discovery),
        )
        .route("/.well-known/openid-configuration/{iss}", get(discovery))
        .route("/{iss}/jwks", get(jwks))
        .route("/{iss}/token", post(token))
        .route("/{iss}/authorize", get(authorize))
        .route("/{iss}/introspect", post(introspect))
        .route("/{iss}/revoke", post(revoke))
        .with_state(state)
}

fn no_store(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// An RFC 6749 §5.2 error response.
fn oauth_error(status: StatusCode, code: &str, description: &str) -> Response {
    no_store(
        (
            status,
            Json(json!({"error": code, "error_description": description})),
        )
            .into_response(),
    )
}

/// A 400 with an RFC 6749 §5.2 error: most of what a token endpoint refuses.
fn bad(code: &str, description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, code, description)
}

fn not_found() -> Response {
    oauth_error(
        StatusCode::NOT_FOUND,
        "not_found",
        "No such issuer in this lab.",
    )
}

async fn discovery(State(s): State<Shared>, Path(iss): Path<String>) -> Response {
    let st = s.lock();
    let Some(i) = st.issuer(&iss) else {
        return not_found();
    };
    let u = &i.url;
    Json(json!({
        "issuer": u,
        "authorization_endpoint": format!("{u}/authorize"),
        "token_endpoint": format!("{u}/token"),
        "jwks_uri": format!("{u}/jwks"),
        "introspection_endpoint": format!("{u}/introspect"),
        "revocation_endpoint": format!("{u}/revoke"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": ["openid", "profile", "offline_access", "orders:read", "orders:write"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "acr", "azp"],
        "acr_values_supported": ["urn:lab:loa:1", "urn:lab:loa:2"],
        "dpop_signing_alg_values_supported": ["ES256", "EdDSA", "RS256", "PS256"],
        "authorization_response_iss_parameter_supported": true,
    }))
    .into_response()
}

async fn jwks(State(s): State<Shared>, Path(iss): Path<String>) -> Response {
    let st = s.lock();
    let Some(i) = st.issuer(&iss) else {
        return not_found();
    };
    let mut r = Json(i.jwks().to_json()).into_response();
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("max-age=60"),
    );
    r
}

fn form(body: &Bytes) -> HashMap<String, String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .unwrap_or_default()
        .into_iter()
        .fold(HashMap::new(), |mut m, (k, v)| {
            m.entry(k).or_insert(v);
            m
        })
}

/// How a client authenticated.
#[derive(Clone, Copy, PartialEq, Eq)]
enum AuthMethod {
    Basic,
    Post,
    None,
}

/// RFC 6749 §2.3.1: `client_secret_basic` (form-urlencoded id and secret,
/// then base64) or `client_secret_post`; a public client sends only its id.
fn authenticate(
    s: &Shared,
    headers: &HeaderMap,
    f: &HashMap<String, String>,
    require_secret: bool,
) -> Result<(String, AuthMethod), Response> {
    let invalid = |method: AuthMethod, why: &str| {
        let mut r = oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", why);
        if method == AuthMethod::Basic {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"lab\""),
            );
        }
        r
    };
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Basic ")
                .or_else(|| v.strip_prefix("basic "))
        })
        .map(str::trim);
    let (id, secret, method) = if let Some(b) = basic {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(b)
            .ok()
            .and_then(|d| String::from_utf8(d).ok());
        let Some((id, secret)) = decoded.as_deref().and_then(|d| d.split_once(':')) else {
            return Err(invalid(
                AuthMethod::Basic,
                "The Basic credentials are not base64 of client_id:client_secret.",
            ));
        };
        let dec = |x: &str| {
            serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("v={x}"))
                .ok()
                .and_then(|v| v.into_iter().next())
                .map(|(_, v)| v)
                .unwrap_or_else(|| x.to_owned())
        };
        (dec(id), Some(dec(secret)), AuthMethod::Basic)
    } else if let Some(id) = f.get("client_id") {
        let secret = f.get("client_secret").cloned();
        let m = if secret.is_some() {
            AuthMethod::Post
        } else {
            AuthMethod::None
        };
        (id.clone(), secret, m)
    } else {
        return Err(invalid(
            AuthMethod::None,
            "No client authentication: send client_secret_basic or client_secret_post.",
        ));
    };
    let st = s.lock();
    let Some(client) = st.client(&id) else {
        return Err(invalid(method, "Unknown client."));
    };
    if client.post_only && method == AuthMethod::Basic {
        return Err(invalid(
            method,
            "The client is registered for client_secret_post.",
        ));
    }
    match (&client.client_secret, secret) {
        (Some(want), Some(got))
            if authdoctor_jose::crypto::constant_time_eq(
                want.expose().as_bytes(),
                got.as_bytes(),
            ) =>
        {
            Ok((id, method))
        }
        (Some(_), Some(_)) => Err(invalid(method, "The client secret is wrong.")),
        (Some(_), None) => Err(invalid(
            method,
            "The client is confidential: authenticate with its secret.",
        )),
        (None, _) if require_secret => {
            Err(invalid(method, "A public client cannot use this endpoint."))
        }
        (None, _) => Ok((id, AuthMethod::None)),
    }
}

/// What an access token is minted for.
pub struct Grant<'a> {
    /// The issuer's name.
    pub issuer: &'a str,
    /// The client.
    pub client_id: &'a str,
    /// The subject.
    pub sub: &'a str,
    /// The scope.
    pub scope: &'a str,
    /// The RFC 8707 resource, which becomes `aud`; the client id when absent.
    pub resource: Option<&'a str>,
    /// The authentication context and time of a user's sign-in.
    pub user_auth: Option<(Option<&'a str>, i64)>,
    /// The DPoP key's thumbprint, for a sender-constrained token.
    pub jkt: Option<&'a str>,
    /// `iat`, and the lifetime in seconds.
    pub iat: i64,
    /// Lifetime, seconds.
    pub lifetime: i64,
}

/// Mints an RFC 9068 access token. Returns the token and its `jti`.
pub fn mint_access_token(s: &Shared, g: &Grant<'_>) -> Result<String, String> {
    let st = s.lock();
    let issuer = st.issuer(g.issuer).ok_or("no such issuer")?;
    let roles = st
        .client(g.client_id)
        .map(|c| c.roles.clone())
        .unwrap_or_default();
    let mut c = json!({
        "iss": issuer.url,
        "sub": g.sub,
        "aud": g.resource.unwrap_or(g.client_id),
        "client_id": g.client_id,
        "scope": g.scope,
        "jti": random_token(12),
        "iat": g.iat,
        "exp": g.iat + g.lifetime,
    });
    if !roles.is_empty() {
        c["roles"] = json!(roles);
    }
    if let Some((acr, auth_time)) = g.user_auth {
        c["auth_time"] = json!(auth_time);
        if let Some(a) = acr {
            c["acr"] = json!(a);
        }
    }
    if let Some(j) = g.jkt {
        c["cnf"] = json!({"jkt": j});
    }
    issuer
        .active()
        .sign_jwt(Some("at+jwt"), &Map::new(), &c)
        .map_err(|e| e.to_string())
}

/// Mints an OpenID Connect ID token for the grant's user and client.
fn mint_id_token(s: &Shared, g: &Grant<'_>, nonce: Option<&str>) -> Result<String, String> {
    let st = s.lock();
    let i = st.issuer(g.issuer).ok_or("no such issuer")?;
    let (acr, auth_time) = g.user_auth.unwrap_or((None, g.iat));
    let mut c = json!({
        "iss": i.url, "sub": g.sub, "aud": g.client_id, "azp": g.client_id,
        "iat": g.iat, "exp": g.iat + g.lifetime, "auth_time": auth_time,
    });
    if let Some(n) = nonce {
        c["nonce"] = json!(n);
    }
    if let Some(a) = acr {
        c["acr"] = json!(a);
    }
    i.active()
        .sign_jwt(Some("JWT"), &Map::new(), &c)
        .map_err(|e| e.to_string())
}

fn issue_refresh(s: &Shared, mut g: RefreshGrant, family: Option<u64>) -> String {
    let mut st = s.lock();
    g.family = family.unwrap_or_else(|| {
        st.next_family += 1;
        st.next_family
    });
    let rt = random_token(32);
    st.refresh.insert(rt.clone(), g);
    rt
}

async fn token(
    State(s): State<Shared>,
    Path(iss): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (issuer_url, lifetime) = {
        let st = s.lock();
        let Some(i) = st.issuer(&iss) else {
            return not_found();
        };
        (i.url.clone(), st.token_lifetime)
    };
    let f = form(&body);
    let (client_id, _) = match authenticate(&s, &headers, &f, false) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let client = match s.lock().client(&client_id).cloned() {
        Some(c) => c,
        None => {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "Unknown client.",
            );
        }
    };
    let grant_type = f.get("grant_type").map(String::as_str).unwrap_or("");
    if grant_type.is_empty() {
        return bad("invalid_request", "grant_type is missing.");
    }
    if !client.grant_types.contains(&grant_type) {
        return bad(
            "unauthorized_client",
            &format!("The client may not use the {grant_type} grant."),
        );
    }
    // A DPoP proof on the token request binds the token to its key.
    let jkt = match headers.get("dpop") {
        None => None,
        Some(proof) => match dpop::verify_proof(
            proof.to_str().unwrap_or(""),
            "POST",
            &format!("{issuer_url}/token"),
            None,
            now(),
            &s,
        ) {
            Ok(p) => Some(p.jkt),
            Err(e) => return bad("invalid_dpop_proof", &e),
        },
    };
    let requested_scope = |default: &str| -> Result<String, Response> {
        let scope = f
            .get("scope")
            .cloned()
            .unwrap_or_else(|| default.to_owned());
        for sc in scope.split_ascii_whitespace() {
            if !client.scopes.contains(&sc) {
                return Err(bad(
                    "invalid_scope",
                    &format!("The client may not have the scope {sc:?}."),
                ));
            }
        }
        Ok(scope)
    };
    let t = now();
    let mut response = Map::new();
    let (scope, resource, sub, user_auth, family, nonce, wants_refresh) = match grant_type {
        "client_credentials" => {
            let scope = match requested_scope(
                &client
                    .scopes
                    .iter()
                    .filter(|s| s.contains(':'))
                    .copied()
                    .collect::<Vec<_>>()
                    .join(" "),
            ) {
                Ok(s) => s,
                Err(r) => return r,
            };
            (
                scope,
                f.get("resource").cloned(),
                client_id.clone(),
                None,
                None,
                None,
                false,
            )
        }
        "authorization_code" => {
            let Some(code) = f.get("code") else {
                return bad("invalid_request", "code is missing.");
            };
            let Some(g) = s.lock().codes.remove(code) else {
                return bad(
                    "invalid_grant",
                    "The authorization code is unknown, used or expired.",
                );
            };
            if g.client_id != client_id || g.issuer != iss {
                return bad("invalid_grant", "The code was issued to another client.");
            }
            if g.expires < t {
                return bad("invalid_grant", "The authorization code expired.");
            }
            if f.get("redirect_uri") != Some(&g.redirect_uri) {
                return bad(
                    "invalid_grant",
                    "redirect_uri does not match the authorization request.",
                );
            }
            match (&g.code_challenge, f.get("code_verifier")) {
                (Some(ch), Some(v)) if b64::encode(&sha256(v.as_bytes())) == *ch => {}
                (Some(_), _) => {
                    return bad(
                        "invalid_grant",
                        "The PKCE code_verifier does not match the code_challenge.",
                    );
                }
                (None, _) => {}
            }
            let wants = g
                .scope
                .split_ascii_whitespace()
                .any(|x| x == "offline_access");
            (
                g.scope.clone(),
                g.resource.clone().or_else(|| f.get("resource").cloned()),
                "alice".to_owned(),
                Some((g.acr.clone(), g.auth_time)),
                None,
                Some(g.nonce),
                wants,
            )
        }
        "refresh_token" => {
            let Some(rt) = f.get("refresh_token") else {
                return bad("invalid_request", "refresh_token is missing.");
            };
            let mut st = s.lock();
            let Some(g) = st.refresh.get(rt).cloned() else {
                return bad("invalid_grant", "The refresh token is unknown.");
            };
            if g.client_id != client_id || g.issuer != iss {
                return bad(
                    "invalid_grant",
                    "The refresh token was issued to another client.",
                );
            }
            if g.spent {
                // Reuse of a rotated token: revoke the whole family.
                let fam = g.family;
                st.refresh
                    .values_mut()
                    .filter(|x| x.family == fam)
                    .for_each(|x| x.spent = true);
                let line = format!(
                    "refresh token reuse detected: family {fam} revoked (client {client_id})"
                );
                st.log(line);
                return bad(
                    "invalid_grant",
                    "The refresh token was already used or revoked.",
                );
            }
            if let Some(x) = st.refresh.get_mut(rt) {
                x.spent = true;
            }
            drop(st);
            let scope = match f.get("scope") {
                Some(narrow)
                    if narrow
                        .split_ascii_whitespace()
                        .all(|x| g.scope.split_ascii_whitespace().any(|y| y == x)) =>
                {
                    narrow.clone()
                }
                Some(_) => {
                    return bad("invalid_scope", "A refresh may only narrow the scope.");
                }
                None => g.scope.clone(),
            };
            (
                scope,
                g.resource.clone(),
                g.sub.clone(),
                Some((g.acr.clone(), g.auth_time)).filter(|_| g.sub != client_id),
                Some(g.family),
                None,
                true,
            )
        }
        other => {
            return bad(
                "unsupported_grant_type",
                &format!("The grant type {other:?} is not supported."),
            );
        }
    };
    let grant = Grant {
        issuer: &iss,
        client_id: &client_id,
        sub: &sub,
        scope: &scope,
        resource: resource.as_deref(),
        user_auth: user_auth.as_ref().map(|(a, t)| (a.as_deref(), *t)),
        jkt: jkt.as_deref(),
        iat: t,
        lifetime,
    };
    let access = match mint_access_token(&s, &grant) {
        Ok(a) => a,
        Err(e) => return oauth_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", &e),
    };
    response.insert("access_token".into(), json!(access));
    response.insert(
        "token_type".into(),
        json!(if jkt.is_some() { "DPoP" } else { "Bearer" }),
    );
    response.insert("expires_in".into(), json!(lifetime));
    response.insert("scope".into(), json!(scope));
    if scope.split_ascii_whitespace().any(|x| x == "openid") {
        match mint_id_token(&s, &grant, nonce.flatten().as_deref()) {
            Ok(id) => {
                response.insert("id_token".into(), json!(id));
            }
            Err(e) => return oauth_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", &e),
        }
    }
    if wants_refresh && client.grant_types.contains(&"refresh_token") {
        let (acr, auth_time) = user_auth.unwrap_or((None, t));
        let rt = issue_refresh(
            &s,
            RefreshGrant {
                issuer: iss.clone(),
                client_id: client_id.clone(),
                sub,
                scope,
                resource,
                spent: false,
                family: 0,
                acr,
                auth_time,
            },
            family,
        );
        response.insert("refresh_token".into(), json!(rt));
    }
    let line = format!(
        "token issued: grant={grant_type} client={client_id} access_token={}",
        authdoctor_secret::mask_token(&access)
    );
    s.lock().log(line);
    no_store(Json(Value::Object(response)).into_response())
}

fn loopback_redirect(uri: &str) -> bool {
    [
        "http://127.0.0.1:",
        "http://127.0.0.1/",
        "http://localhost:",
        "http://localhost/",
        "http://[::1]:",
    ]
    .iter()
    .any(|p| uri.starts_with(p))
}

async fn authorize(
    State(s): State<Shared>,
    Path(iss): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let issuer_url = match s.lock().issuer(&iss) {
        Some(i) => i.url.clone(),
        None => return not_found(),
    };
    let bad = |why: &str| {
        (
            StatusCode::BAD_REQUEST,
            format!("authorization request refused: {why}\n"),
        )
            .into_response()
    };
    let Some(client_id) = q.get("client_id") else {
        return bad("client_id is missing");
    };
    let Some(client) = s.lock().client(client_id).cloned() else {
        return bad("unknown client");
    };
    let Some(redirect_uri) = q.get("redirect_uri") else {
        return bad("redirect_uri is missing");
    };
    if !loopback_redirect(redirect_uri) {
        return bad("the lab only redirects to loopback addresses (RFC 8252 §7.3)");
    }
    let sep = if redirect_uri.contains('?') { '&' } else { '?' };
    let state = q
        .get("state")
        .map(|st| format!("&state={}", urlencode(st)))
        .unwrap_or_default();
    let err = |code: &str, desc: &str| {
        Redirect::to(&format!(
            "{redirect_uri}{sep}error={code}&error_description={}{state}&iss={}",
            urlencode(desc),
            urlencode(&issuer_url)
        ))
        .into_response()
    };
    if q.get("response_type").map(String::as_str) != Some("code") {
        return err(
            "unsupported_response_type",
            "Only response_type=code is supported.",
        );
    }
    if !client.grant_types.contains(&"authorization_code") {
        return err(
            "unauthorized_client",
            "The client may not use the authorization code grant.",
        );
    }
    let challenge = q.get("code_challenge").cloned();
    if challenge.is_some() && q.get("code_challenge_method").map(String::as_str) != Some("S256") {
        return err(
            "invalid_request",
            "Only code_challenge_method=S256 is supported.",
        );
    }
    if client.client_secret.is_none() && challenge.is_none() {
        return err(
            "invalid_request",
            "A public client must use PKCE (RFC 7636).",
        );
    }
    let scope = q
        .get("scope")
        .cloned()
        .unwrap_or_else(|| "openid".to_owned());
    if let Some(sc) = scope
        .split_ascii_whitespace()
        .find(|sc| !client.scopes.contains(sc))
    {
        return err(
            "invalid_scope",
            &format!("The client may not have the scope {sc:?}."),
        );
    }
    // Automatic consent: alice signs in at once, with the stronger
    // authentication when it is asked for.
    let acr = if q
        .get("acr_values")
        .is_some_and(|a| a.split_ascii_whitespace().any(|x| x == "urn:lab:loa:2"))
    {
        "urn:lab:loa:2"
    } else {
        "urn:lab:loa:1"
    };
    let code = random_token(24);
    let t = now();
    s.lock().codes.insert(
        code.clone(),
        CodeGrant {
            issuer: iss,
            client_id: client_id.clone(),
            redirect_uri: redirect_uri.clone(),
            code_challenge: challenge,
            scope,
            nonce: q.get("nonce").cloned(),
            resource: q.get("resource").cloned(),
            acr: Some(acr.to_owned()),
            expires: t + 60,
            auth_time: t,
        },
    );
    Redirect::to(&format!(
        "{redirect_uri}{sep}code={code}{state}&iss={}",
        urlencode(&issuer_url)
    ))
    .into_response()
}

/// Percent-encodes a query value.
pub fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|x| x[1..].to_owned())
        .unwrap_or_default()
}

/// RFC 7662: whether a token is active, and its claims. Shared by the
/// introspection endpoint and the API's introspecting route.
pub fn introspect_token(s: &Shared, iss: &str, token: &str) -> Value {
    let st = s.lock();
    if let Some(g) = st.refresh.get(token) {
        return if g.spent || g.issuer != iss {
            json!({"active": false})
        } else {
            json!({"active": true, "token_type": "refresh_token", "client_id": g.client_id, "sub": g.sub, "scope": g.scope})
        };
    }
    let Some(issuer) = st.issuer(iss) else {
        return json!({"active": false});
    };
    let d = decode(token);
    let jwks = issuer.jwks();
    let policy = Policy {
        leeway: 0,
        issuer: Some(issuer.url.clone()),
        ..Policy::at(now())
    };
    let r = check(
        &d,
        &policy,
        Keys {
            jwks: Some(&jwks),
            secret: None,
        },
    );
    let jti = d.claim("jti").and_then(Value::as_str).unwrap_or("");
    if !r.valid || !r.signature_verified || st.revoked_jti.contains(jti) {
        return json!({"active": false});
    }
    let mut out = json!({"active": true, "token_type": "Bearer"});
    if let Some(c) = &d.claims {
        for k in [
            "scope",
            "client_id",
            "sub",
            "exp",
            "iat",
            "iss",
            "aud",
            "jti",
            "cnf",
        ] {
            if let Some(v) = c.get(k) {
                out[k] = v.clone();
            }
        }
    }
    out
}

async fn introspect(
    State(s): State<Shared>,
    Path(iss): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if s.lock().issuer(&iss).is_none() {
        return not_found();
    }
    let f = form(&body);
    if let Err(r) = authenticate(&s, &headers, &f, true) {
        return r;
    }
    let Some(token) = f.get("token") else {
        return bad("invalid_request", "token is missing.");
    };
    no_store(Json(introspect_token(&s, &iss, token)).into_response())
}

async fn revoke(
    State(s): State<Shared>,
    Path(iss): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if s.lock().issuer(&iss).is_none() {
        return not_found();
    }
    let f = form(&body);
    let (client_id, _) = match authenticate(&s, &headers, &f, false) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Some(token) = f.get("token") else {
        return bad("invalid_request", "token is missing.");
    };
    let mut st = s.lock();
    if let Some(g) = st.refresh.get_mut(token) {
        if g.client_id == client_id {
            g.spent = true;
        }
    } else if let Some(jti) = decode(token).claim("jti").and_then(Value::as_str) {
        // RFC 7009 §2.2: an unknown or invalid token is not an error.
        let is_ours = introspect_token_locked_ok(&st, &iss, token);
        if is_ours {
            st.revoked_jti.insert(jti.to_owned());
        }
    }
    let line = format!(
        "token revoked by {client_id}: {}",
        authdoctor_secret::mask_token(token)
    );
    st.log(line);
    StatusCode::OK.into_response()
}

/// Whether a JWT was signed by one of the issuer's published keys (the
/// state already locked).
fn introspect_token_locked_ok(st: &crate::state::State, iss: &str, token: &str) -> bool {
    let Some(issuer) = st.issuer(iss) else {
        return false;
    };
    let jwks = issuer.jwks();
    let r = check(
        &decode(token),
        &Policy {
            leeway: 0,
            ..Policy::at(now())
        },
        Keys {
            jwks: Some(&jwks),
            secret: None,
        },
    );
    r.signature_verified
}
