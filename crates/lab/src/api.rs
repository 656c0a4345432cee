//! The protected API. Each route exposes one way to fail, and answers as a
//! correct server does: RFC 6750 challenges from the guard, 401 and 403
//! apart, a `Date` header that shows the API's own clock.

use crate::dpop;
use crate::idp::introspect_token;
use crate::state::{Faults, Shared, now, random_token};
use authdoctor_causes::Cause;
use authdoctor_guard::{Authorized, Rejection, Requirements, authorize};
use authdoctor_jose::Alg;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::{Duration, UNIX_EPOCH};

/// Where one API listener stands.
#[derive(Clone)]
pub struct Api {
    /// The shared state.
    pub state: Shared,
    /// This listener's base URL (what `htu` and redirects are built from).
    pub base: String,
    /// The main API's base URL: the resource identifiers are built on it,
    /// so every listener expects the same audience.
    pub resource_base: String,
    /// Where `/redirect/…` sends clients (another loopback host).
    pub redirect_base: String,
    /// Seconds this listener's clock runs ahead, on top of the fault.
    pub extra_offset: i64,
    /// Whether the lab's admin routes are served here.
    pub admin: bool,
}

impl Api {
    /// This API's clock.
    fn now(&self) -> i64 {
        now() + self.extra_offset + self.state.lock().faults.api_clock_offset
    }

    fn requirements(&self, scopes: &[&str]) -> Requirements {
        let st = self.state.lock();
        let issuer = st
            .issuer(&st.faults.trusted_issuer)
            .map(|i| i.url.clone())
            .unwrap_or_default();
        Requirements {
            realm: "lab".into(),
            issuer,
            audience: st
                .faults
                .expected_audience
                .clone()
                .unwrap_or_else(|| format!("{}/orders", self.resource_base)),
            other_audiences: Vec::new(),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            leeway: 60,
            algorithms: vec![Alg::RS256, Alg::PS256, Alg::ES256, Alg::EdDSA],
            require_at_jwt: true,
            require_exp: true,
            resource_metadata: Some(format!(
                "{}/.well-known/oauth-protected-resource/orders",
                self.resource_base
            )),
        }
    }

    /// Runs the guard, logging a rejection with its reason.
    fn guard(&self, headers: &HeaderMap, scopes: &[&str]) -> Result<Authorized, Response> {
        let req = self.requirements(scopes);
        let jwks = {
            let st = self.state.lock();
            st.issuer(&st.faults.trusted_issuer)
                .map(|i| i.jwks())
                .unwrap_or_default()
        };
        authorize(headers, &req, &jwks, self.now()).map_err(|r| self.reject(r))
    }

    fn reject(&self, r: Rejection) -> Response {
        self.state.lock().log(r.log_line());
        r.into_response()
    }
}

/// The API's routes; `admin` adds the lab's fault switches.
pub fn router(api: Api) -> Router {
    let mut r = Router::new()
        .route("/orders", get(orders_read).post(orders_write))
        .route("/orders/introspected", get(orders_introspected))
        .route("/admin", get(admin))
        .route("/basic", get(basic))
        .route("/login", post(login))
        .route("/app/me", get(me))
        .route("/me", get(me))
        .route("/redirect/{*path}", get(redirect))
        .route("/dpop/orders", get(dpop_orders))
        .route("/stepup", get(stepup))
        .route("/cors/orders", axum::routing::any(cors_orders))
        .route(
            "/.well-known/oauth-protected-resource",
            get(resource_metadata),
        )
        .route(
            "/.well-known/oauth-protected-resource/orders",
            get(resource_metadata),
        );
    if api.admin {
        r = r
            .route("/lab/faults", get(get_faults).post(set_faults))
            .route("/lab/rotate/{issuer}", post(rotate))
            .route("/lab/retire/{issuer}/{kid}", post(retire))
            .route("/lab/log", get(log));
    }
    r.layer(middleware::from_fn_with_state(api.clone(), date_header))
        .with_state(api)
}

/// Sets `Date` from the API's own clock, so a skewed clock shows.
async fn date_header(State(api): State<Api>, req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let t = UNIX_EPOCH + Duration::from_secs(api.now().max(0) as u64);
    if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(t)) {
        resp.headers_mut().insert(header::DATE, v);
    }
    resp
}

async fn orders_read(State(api): State<Api>, headers: HeaderMap) -> Response {
    match api.guard(&headers, &["orders:read"]) {
        Ok(a) => Json(json!({"orders": [{"id": 1, "item": "teapot"}], "sub": a.claims.get("sub")}))
            .into_response(),
        Err(r) => r,
    }
}

async fn orders_write(State(api): State<Api>, headers: HeaderMap) -> Response {
    match api.guard(&headers, &["orders:write"]) {
        Ok(_) => (StatusCode::CREATED, Json(json!({"created": 2}))).into_response(),
        Err(r) => r,
    }
}

/// Also asks the issuer whether the token is still active (RFC 7662), so a
/// revoked token fails although its signature and times are good.
async fn orders_introspected(State(api): State<Api>, headers: HeaderMap) -> Response {
    let a = match api.guard(&headers, &["orders:read"]) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let issuer = api.state.lock().faults.trusted_issuer.clone();
    let answer = introspect_token(&api.state, &issuer, a.token.expose());
    if answer["active"] != true {
        let r = Rejection::new(
            StatusCode::UNAUTHORIZED,
            "lab",
            Some(("invalid_token", "The access token is not active")),
            Cause::TokenRevoked,
            "introspection answered active=false".into(),
        );
        let meta = api.requirements(&[]).resource_metadata;
        let mut r = Rejection {
            token_mask: Some(a.token.masked()),
            ..r
        };
        if let Some(m) = meta {
            r.challenge = r.challenge.with("resource_metadata", m);
        }
        return api.reject(r);
    }
    Json(json!({"orders": [{"id": 1, "item": "teapot"}], "introspected": true})).into_response()
}

/// Authenticated but not allowed: 403 without a challenge to answer.
async fn admin(State(api): State<Api>, headers: HeaderMap) -> Response {
    let a = match api.guard(&headers, &["orders:read"]) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let is_admin = a
        .claims
        .get("roles")
        .and_then(Value::as_array)
        .is_some_and(|r| r.iter().any(|x| x == "admin"));
    if !is_admin {
        let line = format!(
            "reject reason={} status=403 token={} detail=\"role admin required\"",
            Cause::AuthzForbidden,
            a.token.masked()
        );
        api.state.lock().log(line);
        return (
            StatusCode::FORBIDDEN,
            Json(json!({"error": "forbidden", "error_description": "The caller lacks the admin role."})),
        )
            .into_response();
    }
    Json(json!({"admin": true})).into_response()
}

const USER: &str = "alice";
const PASSWORD: &str = "wonderland";

fn basic_challenge() -> Response {
    let mut r = (
        StatusCode::UNAUTHORIZED,
        Json(json!({"error": "unauthorized"})),
    )
        .into_response();
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"lab\", charset=\"UTF-8\""),
    );
    r
}

async fn basic(State(api): State<Api>, headers: HeaderMap) -> Response {
    let Some(v) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return basic_challenge();
    };
    let creds = authdoctor_httpauth::lint(v);
    let ok = creds
        .scheme
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("basic"))
        && creds
            .basic
            .as_ref()
            .is_some_and(|b| b.user == USER && b.password == PASSWORD);
    if ok {
        return Json(json!({"user": USER})).into_response();
    }
    let user = creds
        .basic
        .as_ref()
        .map(|b| b.user.clone())
        .unwrap_or_default();
    api.state.lock().log(format!(
        "reject reason={} status=401 user={user:?} detail=\"wrong user or password\"",
        Cause::CredentialsInvalid
    ));
    basic_challenge()
}

/// Signs alice in and sets a session cookie scoped to `/app`, for 60 s,
/// `Secure` when `?secure=1`: the settings behind the usual cookie mistakes
/// (calling `/me`, waiting a minute, using http).
async fn login(
    State(api): State<Api>,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let f: HashMap<String, String> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    if f.get("user").map(String::as_str) != Some(USER)
        || f.get("password").map(String::as_str) != Some(PASSWORD)
    {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "invalid_credentials"})),
        )
            .into_response();
    }
    let sid = random_token(18);
    let expires = api.now() + 60;
    api.state.lock().sessions.insert(sid.clone(), expires);
    let secure = if q.get("secure").map(String::as_str) == Some("1") {
        "; Secure"
    } else {
        ""
    };
    let cookie =
        format!("lab_session={sid}; Path=/app; Max-Age=60; HttpOnly; SameSite=Lax{secure}");
    let mut r = Json(json!({"user": USER, "session_expires_in": 60})).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

async fn me(State(api): State<Api>, headers: HeaderMap) -> Response {
    let sid = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().strip_prefix("lab_session="))
        .next()
        .map(str::to_owned);
    let now = api.now();
    let why = match &sid {
        None => "no lab_session cookie was sent",
        Some(s) => match api.state.lock().sessions.get(s) {
            Some(&exp) if exp > now => return Json(json!({"user": USER})).into_response(),
            Some(_) => "the session expired",
            None => "the session is unknown",
        },
    };
    api.state.lock().log(format!(
        "reject reason={} status=401 detail={why:?}",
        Cause::CookieRejected
    ));
    let mut r = (
        StatusCode::UNAUTHORIZED,
        Json(json!({"error": "session_required", "error_description": why})),
    )
        .into_response();
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(
            "Cookie realm=\"lab\", form-action=\"/login\", cookie-name=\"lab_session\"",
        ),
    );
    r
}

/// 307 to another loopback host: a client that follows it drops
/// `Authorization`, as curl and browsers do across hosts.
async fn redirect(State(api): State<Api>, Path(path): Path<String>) -> Response {
    let mut r = StatusCode::TEMPORARY_REDIRECT.into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("{}/{path}", api.redirect_base)) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

const DPOP_ALGS: &str = "ES256 EdDSA RS256 PS256";

fn dpop_reject(api: &Api, error: Option<(&str, &str)>, detail: String) -> Response {
    let mut ch = authdoctor_httpauth::Challenge::new("DPoP").with("algs", DPOP_ALGS);
    if let Some((code, desc)) = error {
        ch = ch.with("error", code).with("error_description", desc);
    }
    api.state.lock().log(format!(
        "reject reason={} status=401 detail={detail:?}",
        Cause::TokenBindingRequired
    ));
    let mut r = (
        StatusCode::UNAUTHORIZED,
        Json(json!({"error": error.map(|e| e.0).unwrap_or("unauthorized")})),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&ch.to_string()) {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    r
}

/// A DPoP-bound resource (RFC 9449 §7): the token must come with the DPoP
/// scheme and a proof made with the key it is bound to.
async fn dpop_orders(State(api): State<Api>, headers: HeaderMap) -> Response {
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(token) = auth.strip_prefix("DPoP ") else {
        let why = if auth.is_empty() {
            None
        } else {
            Some((
                "invalid_token",
                "This resource requires a DPoP-bound token sent with the DPoP scheme and a proof",
            ))
        };
        return dpop_reject(
            &api,
            why,
            format!(
                "scheme {:?} where DPoP is required",
                auth.split(' ').next().unwrap_or("")
            ),
        );
    };
    // The token itself passes the same checks as anywhere else.
    let mut as_bearer = headers.clone();
    if let Ok(v) = HeaderValue::from_str(&format!("Bearer {token}")) {
        as_bearer.insert(header::AUTHORIZATION, v);
    }
    let a = match api.guard(&as_bearer, &["orders:read"]) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Some(proof) = headers.get("dpop").and_then(|v| v.to_str().ok()) else {
        return dpop_reject(
            &api,
            Some(("invalid_dpop_proof", "The DPoP proof is missing")),
            "no DPoP header".into(),
        );
    };
    let p = match dpop::verify_proof(
        proof,
        "GET",
        &format!("{}/dpop/orders", api.base),
        Some(token),
        api.now(),
        &api.state,
    ) {
        Ok(p) => p,
        Err(e) => {
            return dpop_reject(
                &api,
                Some(("invalid_dpop_proof", "The DPoP proof is invalid")),
                e,
            );
        }
    };
    let bound = a
        .claims
        .get("cnf")
        .and_then(|c| c.get("jkt"))
        .and_then(Value::as_str);
    if bound != Some(p.jkt.as_str()) {
        return dpop_reject(
            &api,
            Some((
                "invalid_token",
                "The token is not bound to the DPoP proof's key",
            )),
            "cnf.jkt differs from the proof key".into(),
        );
    }
    Json(json!({"orders": [{"id": 1, "item": "teapot"}], "dpop": true})).into_response()
}

/// A route that demands a token on every method, OPTIONS included: the
/// mistake that makes browsers fail every cross-origin call, since a CORS
/// preflight never carries credentials.
async fn cors_orders(State(api): State<Api>, headers: HeaderMap) -> Response {
    let mut r = match api.guard(&headers, &["orders:read"]) {
        Ok(_) => Json(json!({"orders": [{"id": 1, "item": "teapot"}]})).into_response(),
        Err(r) => r,
    };
    if let Some(origin) = headers.get(header::ORIGIN) {
        r.headers_mut()
            .insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        r.headers_mut().insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("authorization"),
        );
    }
    r
}

/// Step-up (RFC 9470): the caller must have signed in with `urn:lab:loa:2`
/// within the last 5 minutes.
async fn stepup(State(api): State<Api>, headers: HeaderMap) -> Response {
    let a = match api.guard(&headers, &["orders:read"]) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let acr = a.claims.get("acr").and_then(Value::as_str);
    let auth_time = a.claims.get("auth_time").and_then(Value::as_i64);
    let fresh = auth_time.is_some_and(|t| api.now() - t <= 300);
    if acr == Some("urn:lab:loa:2") && fresh {
        return Json(json!({"stepped_up": true})).into_response();
    }
    let mut r = Rejection::new(
        StatusCode::UNAUTHORIZED,
        "lab",
        Some((
            "insufficient_user_authentication",
            "Sign in with a second factor (acr urn:lab:loa:2) within the last 5 minutes",
        )),
        Cause::StepupRequired,
        format!("acr={acr:?} auth_time={auth_time:?}"),
    );
    r.challenge = r
        .challenge
        .with("acr_values", "urn:lab:loa:2")
        .with("max_age", "300");
    r.token_mask = Some(a.token.masked());
    api.reject(r)
}

/// RFC 9728 protected-resource metadata.
async fn resource_metadata(State(api): State<Api>) -> Response {
    let st = api.state.lock();
    let issuer = st
        .issuer(&st.faults.trusted_issuer)
        .map(|i| i.url.clone())
        .unwrap_or_default();
    Json(json!({
        "resource": format!("{}/orders", api.resource_base),
        "authorization_servers": [issuer],
        "scopes_supported": ["orders:read", "orders:write"],
        "bearer_methods_supported": ["header"],
        "resource_signing_alg_values_supported": ["RS256", "PS256", "ES256", "EdDSA"],
        "dpop_signing_alg_values_supported": DPOP_ALGS.split(' ').collect::<Vec<_>>(),
        "resource_name": "authdoctor lab orders API",
    }))
    .into_response()
}

async fn get_faults(State(api): State<Api>) -> Response {
    Json(api.state.lock().faults.clone()).into_response()
}

/// Changes faults: a JSON object with any of `api_clock_offset`,
/// `trusted_issuer`, `expected_audience` (null restores the default).
async fn set_faults(State(api): State<Api>, body: Bytes) -> Response {
    let Ok(patch) = serde_json::from_slice::<serde_json::Map<String, Value>>(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "the body must be a JSON object"})),
        )
            .into_response();
    };
    let mut st = api.state.lock();
    let mut f: Faults = st.faults.clone();
    for (k, v) in patch {
        match (k.as_str(), v) {
            ("api_clock_offset", Value::Number(n)) if n.as_i64().is_some() => {
                f.api_clock_offset = n.as_i64().unwrap_or(0)
            }
            ("trusted_issuer", Value::String(s)) if st.issuer(&s).is_some() => f.trusted_issuer = s,
            ("expected_audience", Value::String(s)) => f.expected_audience = Some(s),
            ("expected_audience", Value::Null) => f.expected_audience = None,
            (k, v) => {
                return (
                    StatusCode::BAD_REQUEST,
                    Json(json!({"error": format!("{k} cannot be set to {v}")})),
                )
                    .into_response();
            }
        }
    }
    st.faults = f.clone();
    st.log(format!(
        "faults changed: {}",
        serde_json::to_string(&f).unwrap_or_default()
    ));
    Json(f).into_response()
}

async fn rotate(State(api): State<Api>, Path(issuer): Path<String>) -> Response {
    let mut st = api.state.lock();
    let Some(i) = st.issuer_mut(&issuer) else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "no such issuer"})),
        )
            .into_response();
    };
    match i.rotate() {
        Ok(kid) => {
            let kids: Vec<String> = i.keys.iter().map(|k| k.kid.clone()).collect();
            st.log(format!("issuer {issuer} rotated: now signs with {kid}"));
            Json(json!({"active": kid, "published": kids})).into_response()
        }
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": e.to_string()})),
        )
            .into_response(),
    }
}

async fn retire(State(api): State<Api>, Path((issuer, kid)): Path<(String, String)>) -> Response {
    let mut st = api.state.lock();
    let Some(i) = st.issuer_mut(&issuer) else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "no such issuer"})),
        )
            .into_response();
    };
    match i.retire(&kid) {
        Ok(()) => {
            let kids: Vec<String> = i.keys.iter().map(|k| k.kid.clone()).collect();
            st.log(format!("issuer {issuer} retired {kid}"));
            Json(json!({"published": kids})).into_response()
        }
        Err(e) => (StatusCode::CONFLICT, Json(json!({"error": e}))).into_response(),
    }
}

/// The API's log, one JSON object per line (`application/x-ndjson`), as a
/// log shipper reads it: `{"n": 1, "entry": "reject reason=… status=…"}`.
async fn log(State(api): State<Api>) -> Response {
    let lines: String = api
        .state
        .lock()
        .log
        .iter()
        .enumerate()
        .map(|(i, e)| format!("{}\n", json!({"n": i + 1, "entry": e})))
        .collect();
    ([(header::CONTENT_TYPE, "application/x-ndjson")], lines).into_response()
}

/// The lab's user and password.
pub const CREDENTIALS: (&str, &str) = (USER, PASSWORD);
