//! `authdoctor guard`: a reverse proxy that lets through only requests whose
//! bearer token a correct server accepts, with the checks of [`authorize`].
//!
//! Per request: the guard's own endpoints (`/healthz`, `/metrics`, the RFC
//! 9728 metadata document, [`REVOKE_PATH`]); the revocation denylist; the
//! route rule (public, scopes, claims); the
//! abuse limiter (a client flagged for stuffing or guessing gets 429 unless
//! its token is one already verified); the verified-token cache (keyed by
//! the token's digest, never outliving its `exp`); the token's issuer and
//! its keys (refetched once on an unknown `kid`; an issuer whose keys cannot
//! be had gives 503 with Retry-After, never 401); then the request goes
//! upstream, streamed both ways, the token stripped unless configured,
//! chosen claims forwarded as headers, with a request id. Every rejection
//! is one JSON line in a bounded, rotating log, and counted in `/metrics`.
//!
//! This file holds the guard's state, its own endpoints and the decision on
//! each request (`guarded`, `admit`, `reject`); the parts it calls are
//! beside it: the issuers' keys and introspection (`keys`), the
//! verified-token cache (`cache`), the abuse limiter (`limiter`), the
//! counters and the rejection log (`metrics`), DPoP proofs (`dpop`), the
//! way upstream and WebSocket tunnels (`upstream`), and listening
//! (`serve`).

use crate::config::GuardConfig;
use crate::{Rejection, Requirements, authorize};
use authdoctor_causes::Cause;
use authdoctor_jose::JwkSet;
use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequest, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderName, HeaderValue, Request, StatusCode, header};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Map, Value, json};
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

mod cache;
mod dpop;
mod keys;
mod limiter;
mod metrics;
mod serve;
mod upstream;

use cache::*;
use dpop::*;
use keys::*;
use limiter::*;
use metrics::*;
pub use serve::{PerCore, serve, serve_per_core, serve_router};
pub(crate) use upstream::admitted_headers;
use upstream::*;

/// How long a client is told to wait when the issuer's keys are down.
const OUTAGE_RETRY_AFTER: u64 = 30;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A file the configuration names (`what`: the setting, for the message),
/// read whole but bounded by `max`: a path pointing at something else (a
/// device, a large file) is a mistake, said as `larger`, not a long read.
pub(crate) fn read_bounded(
    path: &std::path::Path,
    what: &str,
    max: u64,
    larger: &str,
) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let shown = path.display();
    let f = std::fs::File::open(path).map_err(|e| format!("{what} {shown} cannot be read: {e}"))?;
    let mut bytes = Vec::new();
    f.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{what} {shown} cannot be read: {e}"))?;
    if bytes.len() as u64 > max {
        return Err(format!(
            "{what} {shown} is larger than {max} bytes: {larger}"
        ));
    }
    Ok(bytes)
}

/// A token's verified claims.
pub(crate) type Claims = Arc<Map<String, Value>>;

/// The running guard's state, shared by every request.
pub struct Guard {
    config: RwLock<Arc<GuardConfig>>,
    issuers: RwLock<Arc<Vec<Arc<IssuerKeys>>>>,
    /// Verified tokens' claims, until their `exp`.
    cache: RwLock<Arc<TokenCache<Claims>>>,
    /// Tokens found revoked (here, or by another node), until their `exp`:
    /// refused before the cache is read.
    denied: TokenCache<()>,
    limiter: Limiter,
    /// Blocked clients waiting for their 429 (bounded).
    tarpit: tokio::sync::Semaphore,
    /// Client connections open at once ([`GuardConfig::max_connections`]).
    connections: Connections,
    /// The other nodes, through Redis.
    cluster: Option<Arc<crate::cluster::Cluster>>,
    log: RwLock<Arc<RejectLog>>,
    /// The certificate served to clients (`[tls]`), if the guard serves
    /// HTTPS: replaced by a reload.
    server_tls: RwLock<Option<tokio_rustls::TlsAcceptor>>,
    /// How an `https://` upstream is spoken to, and its generation: each
    /// thread's pool is rebuilt when a reload changes it.
    upstream_tls: RwLock<Arc<rustls::ClientConfig>>,
    upstream_generation: AtomicU64,
    /// When an upstream failure was last written to the log (Unix
    /// seconds), and the failures not written since: one line a second.
    upstream_logged: std::sync::atomic::AtomicI64,
    upstream_unlogged: AtomicU64,
    /// The DPoP proofs' `jti` seen (RFC 9449 §11.1), with when: a proof is
    /// taken once. Bounded: entries older than a proof may be are dropped.
    dpop_jtis: std::sync::Mutex<std::collections::HashMap<String, i64>>,
    /// The counters `/metrics` shows.
    pub metrics: Metrics,
    clock: Arc<dyn Fn() -> i64 + Send + Sync>,
}

/// The cap on client connections open at once: a permit per connection,
/// taken before it is accepted, so that past the cap connections wait in
/// the kernel's queue and hold none of the guard's descriptors.
struct Connections {
    permits: Arc<tokio::sync::Semaphore>,
    limit: usize,
    /// Times a listener waited for a connection to close.
    waits: AtomicU64,
    /// When the wait was last logged (Unix seconds): once a minute at most.
    logged: std::sync::atomic::AtomicI64,
}

/// The most connections the open-file limit leaves room for by default.
const MAX_CONNECTIONS: usize = 50_000;

impl Connections {
    fn new(configured: usize) -> Connections {
        let limit = match configured {
            0 => {
                let (soft, _) = rlimit::Resource::NOFILE.get().unwrap_or((1024, 1024));
                usize::try_from(soft.saturating_sub(64) / 2)
                    .unwrap_or(MAX_CONNECTIONS)
                    .clamp(16, MAX_CONNECTIONS)
            }
            n => n,
        };
        Connections {
            permits: Arc::new(tokio::sync::Semaphore::new(limit)),
            limit,
            waits: AtomicU64::new(0),
            logged: std::sync::atomic::AtomicI64::new(0),
        }
    }

    /// Connections open (and listeners waiting to accept one).
    fn open(&self) -> usize {
        self.limit - self.permits.available_permits()
    }
}

/// Raises this process's soft limit on open files to its hard limit (as
/// nginx's `worker_rlimit_nofile` and Go's runtime do), so that the default
/// cap on connections is not the 1,024 a shell hands down; returns the limit
/// now in force. Call before [`Guard::new`].
pub fn raise_open_file_limit() -> u64 {
    rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024)
}

/// Why the guard cannot start.
#[derive(Debug, thiserror::Error)]
pub enum GuardError {
    /// A configuration problem.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// The listener.
    #[error("The guard cannot listen on {addr}: {err}. Choose another address or port.")]
    Listen {
        /// The address.
        addr: String,
        /// Why.
        err: std::io::Error,
    },
    /// Anything else at start.
    #[error("The guard cannot start: {0}.")]
    Start(String),
}

impl Guard {
    /// A guard for `config`; keys are fetched in the background (until they
    /// arrive, requests for that issuer get 503). Call within a Tokio runtime.
    pub fn new(config: GuardConfig) -> Result<Arc<Guard>, GuardError> {
        Guard::with_clock(config, Arc::new(|| jiff::Timestamp::now().as_second()))
    }

    /// A guard that judges times by `clock` (Unix seconds): tests, replays.
    pub fn with_clock(
        config: GuardConfig,
        clock: Arc<dyn Fn() -> i64 + Send + Sync>,
    ) -> Result<Arc<Guard>, GuardError> {
        let cluster = match &config.redis {
            Some(r) => Some(Arc::new(
                crate::cluster::Cluster::new(&r.resolve()?, &r.prefix)
                    .map_err(GuardError::Start)?,
            )),
            None => None,
        };
        let Loaded {
            issuers,
            log,
            server_tls,
            upstream_tls,
        } = Loaded::of(&config)?;
        let connections = Connections::new(config.max_connections);
        let g = Arc::new(Guard {
            cache: RwLock::new(Arc::new(TokenCache::new(config.verified_token_cache))),
            config: RwLock::new(Arc::new(config)),
            issuers: RwLock::new(Arc::new(issuers)),
            denied: TokenCache::new(100_000),
            limiter: Limiter::new(),
            tarpit: tokio::sync::Semaphore::new(10_000),
            connections,
            cluster,
            log: RwLock::new(Arc::new(log)),
            server_tls: RwLock::new(server_tls),
            upstream_tls: RwLock::new(upstream_tls),
            upstream_generation: AtomicU64::new(0),
            upstream_logged: std::sync::atomic::AtomicI64::new(i64::MIN),
            upstream_unlogged: AtomicU64::new(0),
            dpop_jtis: Default::default(),
            metrics: Metrics::default(),
            clock,
        });
        if let Some(c) = &g.cluster {
            c.start(Arc::downgrade(&g));
        }
        g.fetch_all_keys();
        Ok(g)
    }

    /// Writes one line to the reject log.
    /// One line of the reject log: its time and `event` first, then
    /// `fields` (an object).
    pub(crate) fn log_event(&self, event: &str, fields: Value) {
        let mut line = Map::new();
        line.insert("ts".into(), jiff::Timestamp::now().to_string().into());
        line.insert("event".into(), event.into());
        if let Value::Object(f) = fields {
            line.extend(f);
        }
        let c = self.config();
        let log = self.log.read().unwrap_or_else(|e| e.into_inner()).clone();
        log.write(&c, &Value::Object(line));
    }

    /// A client flagged as an attacker (`scope`: by this node's counters or
    /// the cluster's): counted and logged.
    pub(crate) fn flagged(&self, ip: IpAddr, kind: &str, scope: &str) {
        let c = self.config();
        self.metrics.count(&self.metrics.limiter, kind);
        self.log_event(
            "client_flagged",
            json!({
                "kind": kind,
                "scope": scope,
                "client": c.limits.client_shown(ip),
                "block_seconds": c.limits.block_seconds,
            }),
        );
    }

    /// Applies what another node published.
    pub(crate) fn notice(&self, text: &str) {
        use crate::cluster::Notice;
        match Notice::parse(text) {
            Some(Notice::Block { ip, seconds }) => {
                let c = self.config();
                self.limiter.block(&c, c.limits.client_of(ip), seconds);
                self.metrics.count(&self.metrics.cluster, "block_received");
            }
            Some(Notice::Revoke { key, until }) => {
                self.denied.put_key(key, (), until, (self.clock)());
                self.metrics
                    .count(&self.metrics.cluster, "revocation_received");
            }
            None => self
                .metrics
                .count(&self.metrics.cluster, "notice_unreadable"),
        }
    }

    /// Records a token found revoked: refused here at once, and by every
    /// node that shares this one's Redis.
    fn revoke(&self, token: &str, until: i64) {
        let key = TokenCache::<()>::key(token);
        let now = (self.clock)();
        let until = until.max(now + 1);
        self.denied.put_key(key, (), until, now);
        if let Some(c) = &self.cluster {
            c.revoked(key, until);
        }
    }

    fn fetch_all_keys(self: &Arc<Guard>) {
        let issuers = self
            .issuers
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for k in issuers.iter() {
            let (k, g) = (k.clone(), self.clone());
            tokio::spawn(async move { k.refresh(&g.metrics, true).await });
        }
    }

    /// Replaces the configuration (SIGHUP): routes, limits, issuers, log.
    /// Requests in flight finish with the configuration they started with.
    pub fn reload(self: &Arc<Guard>, config: GuardConfig) -> Result<(), GuardError> {
        let serving_tls = self.acceptor().is_some();
        if config.tls.is_some() != serving_tls {
            return Err(GuardError::Start(format!(
                "[tls] turns HTTPS {} and that is read at start: restart the guard for it",
                if serving_tls { "off" } else { "on" }
            )));
        }
        let Loaded {
            issuers,
            log,
            server_tls,
            upstream_tls,
        } = Loaded::of(&config)?;
        *self.server_tls.write().unwrap_or_else(|e| e.into_inner()) = server_tls;
        *self.upstream_tls.write().unwrap_or_else(|e| e.into_inner()) = upstream_tls;
        self.upstream_generation.fetch_add(1, Ordering::Release);
        *self.cache.write().unwrap_or_else(|e| e.into_inner()) =
            Arc::new(TokenCache::new(config.verified_token_cache));
        {
            let mut current = self.issuers.write().unwrap_or_else(|e| e.into_inner());
            for new in &issuers {
                for old in current.iter() {
                    new.keep_keys_of(old);
                }
            }
            *current = Arc::new(issuers);
        }
        *self.log.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(log);
        *self.config.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(config);
        self.fetch_all_keys();
        Ok(())
    }

    /// The certificate served to clients, if the guard serves HTTPS.
    fn acceptor(&self) -> Option<tokio_rustls::TlsAcceptor> {
        self.server_tls
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// An upstream failure (a 502): one line in the log a second at most,
    /// saying why in the connector's words (the address refused, the name
    /// unknown, the certificate not trusted), with the count of failures
    /// not written since the last line.
    fn upstream_failed(&self, c: &GuardConfig, error: &str) {
        let now = (self.clock)();
        let last = self.upstream_logged.load(Ordering::Relaxed);
        if last == now
            || self
                .upstream_logged
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            self.upstream_unlogged.fetch_add(1, Ordering::Relaxed);
            return;
        }
        self.log_event(
            "upstream_failed",
            json!({
                "upstream": upstream_origin(&c.upstream),
                "error": error,
                "failures_not_logged": self.upstream_unlogged.swap(0, Ordering::Relaxed),
            }),
        );
    }

    /// The configuration in force.
    pub fn config(&self) -> Arc<GuardConfig> {
        self.config
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The router: the guard's endpoints, and everything else proxied.
    /// With `admin_listen`, `/healthz` and `/metrics` are not here (they
    /// go upstream like any path): [`Guard::admin_router`] serves them.
    pub fn router(self: &Arc<Guard>) -> axum::Router {
        let admin_here = self.config().admin_listen.is_none();
        self.routes(admin_here)
            .fallback(proxy)
            .with_state(self.clone())
    }

    /// `/healthz` and `/metrics` alone: what `admin_listen` serves.
    pub fn admin_router(self: &Arc<Guard>) -> axum::Router {
        admin_routes().with_state(self.clone())
    }

    /// The guard's own endpoints — `/healthz`, `/metrics`, the RFC 9728
    /// metadata document, [`REVOKE_PATH`] — for an application that guards
    /// its handlers with [`crate::BearerLayer::guard`] to merge into its router.
    pub fn endpoints(self: &Arc<Guard>) -> axum::Router {
        self.routes(true).with_state(self.clone())
    }

    /// The guard's endpoints; `/healthz` and `/metrics` among them where
    /// `admin` (else another listener has them).
    fn routes(&self, admin: bool) -> axum::Router<Arc<Guard>> {
        let r = axum::Router::new()
            .route(REVOKE_PATH, axum::routing::post(revoke))
            .route(
                "/.well-known/oauth-protected-resource",
                axum::routing::get(resource_metadata),
            );
        match admin {
            true => r.merge(admin_routes()),
            false => r,
        }
    }
}

/// `/healthz` and `/metrics`: beside the proxied paths, or on
/// `admin_listen`.
fn admin_routes() -> axum::Router<Arc<Guard>> {
    axum::Router::new()
        .route("/healthz", axum::routing::get(health))
        .route("/metrics", axum::routing::get(metrics))
}

/// What a configuration names that is read before the guard serves with
/// it: its issuers (with their client secret files), the reject log, the
/// certificate served (if any) and how an `https://` upstream is verified.
/// One reading for a start, a reload and `--check`: an error here is one
/// that stops the guard from starting, or a reload from taking effect.
struct Loaded {
    issuers: Vec<Arc<IssuerKeys>>,
    log: RejectLog,
    server_tls: Option<tokio_rustls::TlsAcceptor>,
    upstream_tls: Arc<rustls::ClientConfig>,
}

impl Loaded {
    fn of(c: &GuardConfig) -> Result<Loaded, GuardError> {
        let server_tls = match &c.tls {
            Some(t) => Some(crate::tls::acceptor(t).map_err(GuardError::Start)?),
            None => None,
        };
        Ok(Loaded {
            issuers: build_issuers(c)?,
            log: RejectLog::open(c).map_err(GuardError::Start)?,
            server_tls,
            upstream_tls: crate::tls::upstream(c).map_err(GuardError::Start)?,
        })
    }
}

/// An error and its sources, in their words, each once: the connector's
/// `client error (Connect)`, then why (the address refused, the name
/// unknown, the certificate's issuer unknown).
fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut why: Vec<String> = Vec::new();
    let mut e = Some(err);
    while let Some(x) = e {
        let s = x.to_string();
        if why.last() != Some(&s) {
            why.push(s);
        }
        e = x.source();
    }
    why.join(": ")
}

/// One thing a configuration needs from the world, asked by
/// [`readiness`]: an issuer's keys, the upstream.
#[derive(Debug)]
pub struct Readiness {
    /// What was asked (`issuer https://…`, `upstream https://…`).
    pub what: String,
    /// Whether it answered as the guard needs.
    pub ok: bool,
    /// What it answered, or why it could not.
    pub detail: String,
}

/// What `authdoctor guard --check` does: the configuration's files are
/// read as a start reads them (TLS certificate and key, the upstream's CA,
/// client secret files, the reject log), and an error is what would stop
/// the guard from starting; then each issuer is asked for its keys and the
/// upstream for an answer (`GET /`, any status will do), each within 10
/// seconds, without serving anything. The guard starts without them too (it
/// answers 503 and 502 until they come), so they are reported, not errors.
pub async fn readiness(config: &GuardConfig) -> Result<Vec<Readiness>, GuardError> {
    // The reject log is opened as a start opens it (so an unwritable path
    // is an error here too); one that was not there is removed again: a
    // check leaves nothing behind.
    let log_was_there = config.log.path.as_ref().map(|p| p.exists());
    let loaded = Loaded::of(config);
    if let (Some(p), Some(false)) = (&config.log.path, log_was_there) {
        if std::fs::metadata(p).is_ok_and(|m| m.len() == 0) {
            let _ = std::fs::remove_file(p);
        }
    }
    let Loaded {
        issuers,
        upstream_tls,
        ..
    } = loaded?;
    let limit = Duration::from_secs(10);
    let mut out = Vec::new();
    for k in &issuers {
        let (ok, detail) = match tokio::time::timeout(limit, k.fetch()).await {
            Ok(Ok(set)) => {
                let kids: Vec<&str> = set.keys.iter().filter_map(|j| j.kid.as_deref()).collect();
                (
                    !set.keys.is_empty(),
                    format!("{} keys (kids: {})", set.keys.len(), kids.join(", ")),
                )
            }
            Ok(Err(e)) => (false, e),
            Err(_) => (false, format!("no keys within {} s", limit.as_secs())),
        };
        out.push(Readiness {
            what: format!("issuer {}", authdoctor_net::display_url(&k.issuer)),
            ok,
            detail,
        });
    }
    if !config.upstream.is_empty() {
        let pools = Pools::new(0, &upstream_tls);
        let what = format!("upstream {}", upstream_origin(&config.upstream));
        let req = Request::get(config.upstream.as_str())
            .body(Body::empty())
            .map_err(|e| GuardError::Start(format!("the {what} cannot be asked: {e}")))?;
        let answer = tokio::time::timeout(limit, pools.h1.request(req)).await;
        let (ok, detail) = match answer {
            Ok(Ok(r)) => (true, format!("answered {}", r.status())),
            Ok(Err(e)) => (false, error_chain(&e)),
            Err(_) => (false, format!("no answer within {} s", limit.as_secs())),
        };
        out.push(Readiness { what, ok, detail });
    }
    Ok(out)
}

/// The upstream's scheme, host and port, for a log line: never a user or
/// password written into its URL.
fn upstream_origin(upstream: &str) -> String {
    match url::Url::parse(upstream) {
        Ok(u) => u.origin().ascii_serialization(),
        Err(_) => "(unreadable)".to_owned(),
    }
}

fn build_issuers(c: &GuardConfig) -> Result<Vec<Arc<IssuerKeys>>, GuardError> {
    c.issuers
        .iter()
        .map(|i| IssuerKeys::new(i).map(Arc::new).map_err(GuardError::Start))
        .collect()
}

async fn health(State(g): State<Arc<Guard>>) -> Response {
    let issuers = g.issuers.read().unwrap_or_else(|e| e.into_inner()).clone();
    let status: Map<String, Value> = issuers
        .iter()
        .map(|k| {
            (
                k.issuer.clone(),
                json!(if k.keys().is_some() {
                    "keys"
                } else {
                    "unavailable"
                }),
            )
        })
        .collect();
    let ok = issuers.iter().all(|k| k.keys().is_some());
    (
        if ok {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        },
        axum::Json(json!({"status": if ok { "ok" } else { "degraded" }, "issuers": status})),
    )
        .into_response()
}

/// Where a holder of a token (the client logging out, or an operator with
/// the token in hand) revokes it, RFC 7009-style: `POST` a form with
/// `token=…`. A token this guard accepts goes on the denylist until it
/// expires, on every node that shares this one's Redis; holding a token is
/// the right to end it. One this guard does not accept gets its usual
/// answer (and counts as a failure for the limiter), so the denylist holds
/// only real tokens.
pub const REVOKE_PATH: &str = "/_guard/revoke";

async fn revoke(State(g): State<Arc<Guard>>, req: Request<Body>) -> Response {
    let peer = client_address(&req);
    let form = match axum::Form::<HashMap<String, String>>::from_request(req, &()).await {
        Ok(axum::Form(f)) => f,
        Err(e) => return e.into_response(),
    };
    let c = g.config();
    let Some(token) = form.get("token").filter(|t| !t.is_empty()) else {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": "invalid_request", "error_description": "Send the token to revoke as the form field token."})),
        )
            .into_response();
    };
    let mut headers = HeaderMap::new();
    let Ok(v) = HeaderValue::from_str(&format!("Bearer {token}")) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    headers.insert(header::AUTHORIZATION, v);
    let head = Head {
        headers: &headers,
        method: "POST",
        path: REVOKE_PATH,
    };
    match admit(&g, &c, &head, None, peer).await {
        Ok(claims) => {
            let now = (g.clock)();
            let exp = claims.get("exp").and_then(Value::as_i64).unwrap_or(now);
            g.revoke(token, exp + c.leeway as i64);
            g.log_event(
                "token_revoked",
                json!({
                    "client": peer.map(|ip| ip.to_string()),
                    "sub": claims.get("sub"),
                    "token": authdoctor_secret::mask_token(token),
                }),
            );
            (StatusCode::OK, axum::Json(json!({}))).into_response()
        }
        Err(answer) => answer,
    }
}

async fn metrics(State(g): State<Arc<Guard>>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        g.render_metrics(),
    )
        .into_response()
}

impl Guard {
    /// A listener waits for a connection to close (max_connections are
    /// open): counted, and logged once a minute at most.
    fn connection_waited(&self) {
        let c = &self.connections;
        c.waits.fetch_add(1, Ordering::Relaxed);
        let now = jiff::Timestamp::now().as_second();
        let last = c.logged.load(Ordering::Relaxed);
        if now - last >= 60
            && c.logged
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.log_event(
                "connection_limit",
                json!({"limit": c.limit, "detail": "max_connections client connections are open: new ones wait until one closes (raise max_connections, or look for clients that hold connections idle)"}),
            );
        }
    }

    /// `/metrics`: the counters, and the link to the other nodes.
    pub fn render_metrics(&self) -> String {
        let mut out = self.metrics.render();
        let conns = &self.connections;
        out.push_str(&format!(
            "# HELP authdoctor_guard_connections_open Client connections open (with the listeners waiting for one).\n# TYPE authdoctor_guard_connections_open gauge\nauthdoctor_guard_connections_open {}\n\
             # HELP authdoctor_guard_connections_limit Client connections the guard holds open at most (max_connections).\n# TYPE authdoctor_guard_connections_limit gauge\nauthdoctor_guard_connections_limit {}\n\
             # HELP authdoctor_guard_connection_limit_waits_total Times a listener waited for a connection to close before accepting.\n# TYPE authdoctor_guard_connection_limit_waits_total counter\nauthdoctor_guard_connection_limit_waits_total {}\n",
            conns.open(),
            conns.limit,
            conns.waits.load(Ordering::Relaxed),
        ));
        if let Some(c) = &self.cluster {
            out.push_str(&format!(
                "# HELP authdoctor_guard_redis_up Whether the shared state (Redis) answers; 0 means limits are per node.\n# TYPE authdoctor_guard_redis_up gauge\nauthdoctor_guard_redis_up {}\n\
                 # HELP authdoctor_guard_redis_errors_total Redis commands that failed.\n# TYPE authdoctor_guard_redis_errors_total counter\nauthdoctor_guard_redis_errors_total {}\n\
                 # HELP authdoctor_guard_redis_dropped_total Events not shared: Redis down or the queue full.\n# TYPE authdoctor_guard_redis_dropped_total counter\nauthdoctor_guard_redis_dropped_total {}\n",
                u8::from(c.is_up()),
                c.errors.load(Ordering::Relaxed),
                c.dropped.load(Ordering::Relaxed),
            ));
        }
        out
    }
}

async fn resource_metadata(State(g): State<Arc<Guard>>) -> Response {
    let c = g.config();
    let mut scopes: Vec<&String> = c.routes.iter().flat_map(|r| &r.scopes).collect();
    scopes.sort();
    scopes.dedup();
    axum::Json(json!({
        "resource": c.audience,
        "authorization_servers": c.issuers.iter().map(|i| &i.issuer).collect::<Vec<_>>(),
        "scopes_supported": scopes,
        "bearer_methods_supported": ["header"],
    }))
    .into_response()
}

/// Where clients reach the guard: `public_url` when configured, else the
/// request's Host over http (a TLS terminator in front sets `public_url`).
fn public_base(c: &GuardConfig, h: &HeaderMap) -> String {
    if let Some(u) = &c.public_url {
        return u.trim_end_matches('/').to_owned();
    }
    let host = h
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        })
        .unwrap_or("localhost");
    let scheme = if c.tls.is_some() { "https" } else { "http" };
    format!("{scheme}://{host}")
}

/// The request id: the client's `x-request-id` when it sent a sane one,
/// else this process's random prefix and a count (unique, and no call to
/// the random source per request).
fn request_id(h: &HeaderMap) -> String {
    if let Some(v) = h
        .get(&X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
    {
        return v.to_owned();
    }
    static PREFIX: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let prefix = *PREFIX.get_or_init(|| {
        let mut b = [0u8; 8];
        let _ = authdoctor_jose::crypto::fill_random(&mut b);
        u64::from_le_bytes(b)
    });
    let n = COUNT.fetch_add(1, Ordering::Relaxed);
    let mut out = String::with_capacity(24);
    let _ = std::fmt::Write::write_fmt(
        &mut out,
        format_args!("{:012x}{:012x}", prefix >> 16, n & 0xffff_ffff_ffff),
    );
    out
}

/// The bearer token of a request with exactly one `Authorization: Bearer`.
pub(crate) fn bearer(h: &HeaderMap) -> Option<String> {
    let mut all = h.get_all(header::AUTHORIZATION).iter();
    let first = all.next()?;
    if all.next().is_some() {
        return None;
    }
    let v = first.to_str().ok()?;
    // `"Bearer" 1*SP b64token` (RFC 6750 §2.1).
    let (scheme, token) = v.split_once(' ')?;
    let token = token.trim_start_matches(' ');
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && !token.contains(' '))
        .then(|| token.to_owned())
}

/// The token of `Authorization: DPoP <token>` (one such header), where
/// the guard takes DPoP-bound tokens (`dpop`).
fn dpop_token(c: &GuardConfig, h: &HeaderMap) -> Option<String> {
    if !c.dpop {
        return None;
    }
    let mut all = h.get_all(header::AUTHORIZATION).iter();
    let (Some(v), None) = (all.next(), all.next()) else {
        return None;
    };
    let (scheme, token) = v.to_str().ok()?.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("dpop") && !token.is_empty() && !token.contains(' '))
        .then(|| token.to_owned())
}

/// A 64-bit fingerprint of the credential a request carried.
fn credential_fingerprint(h: &HeaderMap) -> u64 {
    // Each value hashed where it lies: under a flood of blocked
    // credentials this runs for every request.
    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    for v in h.get_all(header::AUTHORIZATION) {
        ctx.update(v.as_bytes());
    }
    let d = ctx.finish();
    let mut b = [0u8; 8];
    b.copy_from_slice(&d.as_ref()[..8]);
    u64::from_le_bytes(b)
}

fn has_claims(
    claims: &Map<String, Value>,
    rule: &std::collections::BTreeMap<String, String>,
) -> bool {
    rule.iter().all(|(k, want)| match claims.get(k) {
        Some(Value::String(s)) => s == want,
        Some(Value::Array(a)) => a.iter().any(|x| x.as_str() == Some(want)),
        Some(Value::Bool(b)) => b.to_string() == *want,
        Some(Value::Number(n)) => n.to_string() == *want,
        _ => false,
    })
}

async fn proxy(
    State(g): State<Arc<Guard>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request<Body>,
) -> Response {
    // An HTTP/1.1 request must name its host (RFC 9112 §3.2); the upstream
    // would be left to guess which site is meant.
    if req.version() == http::Version::HTTP_11
        && req.uri().authority().is_none()
        && !req.headers().contains_key(header::HOST)
    {
        return invalid_request(
            &g,
            &request_id(req.headers()),
            Instant::now(),
            "The request has no Host header, which HTTP/1.1 requires; send one.",
            (req.method().as_str(), req.uri().path(), Some(peer.ip())),
        );
    }
    let g2 = g.clone();
    let grpc = crate::grpc::is_grpc(req.headers());
    let resp = guarded(&g, req, Some(peer.ip()), |req, c, claims, rid| async move {
        forward(&g2, &c, req, claims, &rid, peer).await
    })
    .await;
    if grpc {
        crate::grpc::as_grpc(resp)
    } else {
        resp
    }
}

/// The client's address, when the server recorded it
/// (`into_make_service_with_connect_info::<SocketAddr>()`).
pub(crate) fn client_address<B>(req: &Request<B>) -> Option<IpAddr> {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// The guard's decision on one request — the route rule, the limiter, the
/// denylist, the token — then `pass` for an admitted one (the proxy sends it
/// upstream; the tower layer calls the service it wraps), with the
/// configuration in force, the verified claims (none on a public route) and
/// the request id. Counted, timed, and the response given the request id.
/// `peer`: the client's address, without which the limiter cannot tell
/// clients apart and is not used.
pub(crate) async fn guarded<F, Fut>(
    g: &Arc<Guard>,
    req: Request<Body>,
    peer: Option<IpAddr>,
    pass: F,
) -> Response
where
    F: FnOnce(Request<Body>, Arc<GuardConfig>, Option<Claims>, String) -> Fut,
    Fut: std::future::Future<Output = Response>,
{
    let started = Instant::now();
    let c = g.config();
    let rid = request_id(req.headers());
    // The head is read across the awaits by reference (a body is not Sync,
    // a head is); nothing of it is copied.
    let (mut parts, body) = req.into_parts();
    // Behind a trusted proxy, the client its X-Forwarded-For names.
    let peer = peer.map(|p| c.client_behind(p, &parts.headers));
    if let Err(why) = as_the_upstream_reads(&mut parts) {
        return invalid_request(
            g,
            &rid,
            started,
            why,
            (parts.method.as_str(), parts.uri.path(), peer),
        );
    }
    let route = match c.route_as_read(parts.method.as_str(), parts.uri.path()) {
        Ok(r) => r,
        Err(why) => {
            return invalid_request(
                g,
                &rid,
                started,
                why,
                (parts.method.as_str(), parts.uri.path(), peer),
            );
        }
    };
    // A CORS preflight carries no credentials by definition: the upstream
    // answers it.
    let preflight = c.pass_cors_preflight
        && parts.method == http::Method::OPTIONS
        && parts.headers.contains_key(header::ORIGIN)
        && parts
            .headers
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let mut resp = if preflight || route.is_some_and(|r| r.public) {
        g.metrics.count(
            &g.metrics.requests,
            if preflight { "preflight" } else { "public" },
        );
        // No token is checked here: a bearer (or DPoP) token goes no
        // further, even where admitted requests keep theirs (`strip_token =
        // false`), or an upstream that reads its claims would trust one
        // nobody verified. Other schemes (Basic to a login route) are the
        // upstream's.
        let is_bearer = |v: &&HeaderValue| {
            let b = v.as_bytes();
            b.get(..7)
                .is_some_and(|s| s.eq_ignore_ascii_case(b"bearer "))
                || b.get(..5).is_some_and(|s| s.eq_ignore_ascii_case(b"dpop "))
        };
        let all = parts.headers.get_all(header::AUTHORIZATION);
        if all.iter().any(|v| is_bearer(&v)) {
            let others: Vec<HeaderValue> = all.iter().filter(|v| !is_bearer(v)).cloned().collect();
            parts.headers.remove(header::AUTHORIZATION);
            for v in others {
                parts.headers.append(header::AUTHORIZATION, v);
            }
            parts.headers.remove(&DPOP);
        }
        pass(
            Request::from_parts(parts, body),
            c.clone(),
            None,
            rid.clone(),
        )
        .await
    } else {
        // A DPoP-bound token, where taken (`dpop`): its token is checked as
        // a bearer one's, then its proof below.
        let dpop_token = dpop_token(&c, &parts.headers);
        let as_bearer;
        let head = Head {
            headers: match &dpop_token {
                Some(t) => {
                    let mut h = parts.headers.clone();
                    if let Ok(v) = HeaderValue::from_str(&format!("Bearer {t}")) {
                        h.insert(header::AUTHORIZATION, v);
                    }
                    as_bearer = h;
                    &as_bearer
                }
                None => &parts.headers,
            },
            method: parts.method.as_str(),
            path: parts.uri.path(),
        };
        // A sender-constrained token passes only with its proof: the DPoP
        // proof, or the client certificate this connection presented
        // (checked on every request, the cached ones too).
        let admitted = match admit(g, &c, &head, route, peer).await {
            Err(denied) => Err(denied),
            Ok(claims) => {
                let presented = parts.extensions.get::<crate::PresentedCertificate>();
                let bound = match &dpop_token {
                    Some(t) => match check_dpop(g, &c, &parts, t, &claims) {
                        // New to this node; with Redis, new to every node.
                        Ok(jti) => match (&g.cluster, jti) {
                            (Some(cluster), Some(jti))
                                if cluster.first_use(&jti, DPOP_JTI_SECONDS).await
                                    == Some(false) =>
                            {
                                Err(dpop_refusal(
                                    &c,
                                    t,
                                    "invalid_dpop_proof",
                                    "The DPoP proof is invalid",
                                    "The DPoP proof was used already, at another node.".to_owned(),
                                ))
                            }
                            _ => Ok(()),
                        },
                        Err(r) => Err(r),
                    },
                    None => crate::check_binding(&claims, presented, &c.realm),
                };
                match bound {
                    Ok(()) => Ok(claims),
                    Err(mut r) => {
                        if r.token_mask.is_none() {
                            r.token_mask =
                                bearer(head.headers).map(|t| authdoctor_secret::mask_token(&t));
                        }
                        Err(reject(g, &c, r, &head, peer))
                    }
                }
            }
        };
        match admitted {
            Ok(claims) => {
                g.metrics.count(&g.metrics.requests, "accepted");
                let req = Request::from_parts(parts, body);
                pass(req, c.clone(), Some(claims), rid.clone()).await
            }
            Err(denied) => {
                let outcome = match denied.status() {
                    StatusCode::TOO_MANY_REQUESTS => "limited",
                    StatusCode::SERVICE_UNAVAILABLE => "unavailable",
                    _ => "rejected",
                };
                g.metrics.count(&g.metrics.requests, outcome);
                denied
            }
        }
    };
    if let Ok(v) = HeaderValue::from_str(&rid) {
        resp.headers_mut().insert(X_REQUEST_ID.clone(), v);
    }
    g.metrics.observe(started.elapsed());
    resp
}

/// Makes the request one the rules judge as the upstream will read it, or
/// says why it cannot be:
/// - the path in canonical form, matched and sent as such
///   (`/public/../admin` is `/admin` to both);
/// - no method override naming another method (the upstream may act on the
///   method named while the rules judged the one sent): in a header, or in
///   the query's `_method` (Symfony and Laravel read it there for a POST);
/// - no token in the query beside one in the header (RFC 6750 §2: one
///   method per request; the guard would judge one, the upstream might
///   read the other), the query's names read with their escapes decoded.
fn as_the_upstream_reads(parts: &mut http::request::Parts) -> Result<(), &'static str> {
    // Asterisk-form (`OPTIONS *`, RFC 9112 §3.2.4) names no resource and
    // no rule; nginx refuses it too. Forwarded, it failed as the
    // upstream's 502.
    if !parts.uri.path().starts_with('/') {
        return Err(
            "The request target is not a path (OPTIONS * asks about the whole server), and the guard judges and forwards requests for paths only; ask about a path.",
        );
    }
    if let std::borrow::Cow::Owned(path) =
        crate::path::canonical(parts.uri.path()).map_err(|why| why.describe())?
    {
        let pq = match parts.uri.query() {
            Some(q) => format!("{path}?{q}"),
            None => path,
        };
        let mut u = parts.uri.clone().into_parts();
        u.path_and_query = pq.parse().ok();
        parts.uri = http::Uri::from_parts(u).map_err(|_| "The request path cannot be read.")?;
    }
    // Which of two hosts the upstream (or a cache before it) takes is its
    // own choice (RFC 9112 §3.2 asks for a 400).
    if parts.headers.get_all(header::HOST).iter().nth(1).is_some() {
        return Err("The request has more than one Host header; send one.");
    }
    let method = parts.method.as_str();
    if METHOD_OVERRIDES.iter().any(|h| {
        parts.headers.get_all(*h).iter().any(|v| {
            !v.to_str()
                .is_ok_and(|m| m.trim().eq_ignore_ascii_case(method))
        })
    }) {
        return Err(
            "The request names another method in X-HTTP-Method-Override (or X-HTTP-Method, X-Method-Override) than the one it is sent with; send it with that method instead.",
        );
    }
    // The query's names the rules care about, read in one pass with their
    // escapes decoded: a token (`access_token`), a method override
    // (`_method` naming another method than the one sent).
    let (mut query_token, mut query_method) = (false, false);
    for kv in parts.uri.query().into_iter().flat_map(|q| q.split('&')) {
        let (name, value) = kv.split_once('=').unwrap_or((kv, ""));
        match crate::path::unescaped(name).as_deref() {
            Ok("access_token") => query_token = true,
            Ok("_method") => {
                query_method |= !crate::path::unescaped(&value.replace('+', " "))
                    .is_ok_and(|m| m.trim().eq_ignore_ascii_case(method));
            }
            _ => {}
        }
    }
    if query_method {
        return Err(
            "The request names another method in its query's _method than the one it is sent with, which some frameworks act on; send it with that method instead.",
        );
    }
    // IIS's URL Rewrite, Symfony and Laravel route by these headers when a
    // front proxy sets them: a client's own, naming another path, would
    // be judged at one path and served at the other.
    let path = parts.uri.path();
    if PATH_OVERRIDES.iter().any(|h| {
        parts.headers.get_all(*h).iter().any(|v| {
            !v.to_str().is_ok_and(|u| {
                let named = u.trim().split(['?', '#']).next().unwrap_or("");
                crate::path::canonical(named).is_ok_and(|n| n == path)
            })
        })
    }) {
        return Err(
            "The request names another path in X-Original-URL (or X-Rewrite-URL) than the one it is sent to, which some frameworks route by; send it to that path instead.",
        );
    }
    if query_token && parts.headers.contains_key(header::AUTHORIZATION) {
        return Err(
            "The request carries a token both in the Authorization header and as access_token in the query; send it in the header only.",
        );
    }
    Ok(())
}

/// The headers some frameworks read as the request's real path.
const PATH_OVERRIDES: [&str; 2] = ["x-original-url", "x-rewrite-url"];

/// The headers some frameworks read as the request's real method.
const METHOD_OVERRIDES: [&str; 3] = [
    "x-http-method-override",
    "x-http-method",
    "x-method-override",
];

/// A 400 for a request the rules cannot judge as the upstream would read
/// it (an ambiguous path, a method override): counted, logged, timed, never
/// forwarded.
/// `(method, path, client)`: the request, for its line in the reject log.
fn invalid_request(
    g: &Arc<Guard>,
    rid: &str,
    started: Instant,
    why: &str,
    (method, path, client): (&str, &str, Option<IpAddr>),
) -> Response {
    g.metrics.count(&g.metrics.requests, "invalid_request");
    // Logged as a rejection is, so that a client's 400 can be explained;
    // no cause id: it is not the credentials that are at fault.
    g.log_event(
        "invalid_request",
        json!({
            "status": 400,
            "method": method,
            "route": authdoctor_secret::scrub(path),
            "client": client.map(|ip| ip.to_string()),
            // The client may have named it (X-Request-Id): its text.
            "request_id": authdoctor_secret::scrub(rid),
            "detail": why,
        }),
    );
    let mut resp = (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({"error": "invalid_request", "error_description": why})),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(rid) {
        resp.headers_mut().insert(X_REQUEST_ID.clone(), v);
    }
    // Nothing else is read on this connection: what follows a request the
    // guard cannot judge (a smuggled second request) is never parsed.
    resp.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    g.metrics.observe(started.elapsed());
    resp
}

/// What of a request the checks read.
struct Head<'a> {
    headers: &'a HeaderMap,
    method: &'a str,
    path: &'a str,
}

/// Whether the request may pass: its claims, or the answer it gets.
async fn admit(
    g: &Arc<Guard>,
    c: &GuardConfig,
    req: &Head<'_>,
    route: Option<&crate::config::RouteConfig>,
    ip: Option<IpAddr>,
) -> Result<Claims, Response> {
    let now = (g.clock)();
    let headers = &req.headers;
    let cache = g.cache.read().unwrap_or_else(|e| e.into_inner()).clone();
    let token = bearer(headers);
    // The token's digest, only where a cache or the denylist can use it.
    let key = token
        .as_deref()
        .filter(|_| cache.max > 0 || g.denied.may_hold())
        .map(TokenCache::<()>::key);
    let realm = c.realm.clone();
    let revoked = || {
        Rejection::new(
            StatusCode::UNAUTHORIZED,
            &realm,
            Some(("invalid_token", "The access token is not active")),
            Cause::TokenRevoked,
            "introspection: active false".to_owned(),
        )
    };
    // Revoked (found here or by another node): refused before the cache.
    if let (Some(k), Some(t)) = (&key, token.as_deref()) {
        if g.denied.get_key(k, now).is_some() {
            let mut r = revoked();
            r.detail = "on the revocation denylist".to_owned();
            r.token_mask = Some(authdoctor_secret::mask_token(t));
            return Err(reject(g, c, r, req, ip));
        }
    }
    let cached = key.as_ref().and_then(|k| cache.get_key(k, now));
    g.metrics.count(
        &g.metrics.cache,
        if cached.is_some() { "hit" } else { "miss" },
    );
    if cached.is_none() && token.is_some() {
        // The credential is hashed only when some credential is blocked.
        if let Some(secs) = g
            .limiter
            .credential_blocked(|| credential_fingerprint(headers))
        {
            g.metrics.count(&g.metrics.limiter, "credential_refused");
            return Err(answer(
                StatusCode::TOO_MANY_REQUESTS,
                secs,
                "too_many_requests",
                "This credential has failed too often; get a new one.",
            ));
        }
    }
    if cached.is_none() {
        if let Some(secs) = ip.and_then(|ip| g.limiter.blocked(c.limits.client_of(ip))) {
            g.metrics.count(&g.metrics.limiter, "refused");
            if c.limits.blocked_delay_ms > 0 {
                if let Ok(_waiting) = g.tarpit.try_acquire() {
                    tokio::time::sleep(Duration::from_millis(c.limits.blocked_delay_ms)).await;
                }
            }
            return Err(answer(
                StatusCode::TOO_MANY_REQUESTS,
                secs,
                "too_many_requests",
                "Too many failed authentications from this address.",
            ));
        }
    }
    let scopes = route.map(|r| r.scopes.clone()).unwrap_or_default();
    let introspecting = || {
        g.issuers
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|k| k.introspection.is_some())
            .cloned()
    };
    let unavailable = || {
        answer(
            StatusCode::SERVICE_UNAVAILABLE,
            OUTAGE_RETRY_AFTER,
            "temporarily_unavailable",
            "The issuer cannot be asked about the token right now; try again shortly.",
        )
    };
    let opaque = token
        .as_deref()
        .filter(|t| t.matches('.').count() != 2 && !t.is_empty());
    // Looked up once, and only for an opaque token not in the cache.
    let introspector = match (&cached, opaque) {
        (None, Some(_)) => introspecting(),
        _ => None,
    };
    let claims = match (cached, opaque, introspector) {
        (Some(claims), _, _) => claims,
        // An opaque token: only an issuer that introspects can judge it.
        (None, Some(t), Some(k)) => match k.introspect(t, now, g.cluster.as_deref()).await {
            Some(Active::Yes(claims)) => {
                let ours = |a: &str| a == c.audience || c.other_audiences.iter().any(|o| o == a);
                let aud_ok = match claims.get("aud") {
                    None => true,
                    Some(Value::String(a)) => ours(a),
                    Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).any(ours),
                    Some(_) => false,
                };
                if !aud_ok {
                    let mut r = Rejection::new(
                        StatusCode::UNAUTHORIZED,
                        &realm,
                        Some((
                            "invalid_token",
                            "The access token audience is not this resource",
                        )),
                        Cause::TokenAudienceMismatch,
                        "introspection: aud does not name this resource".to_owned(),
                    );
                    r.token_mask = Some(authdoctor_secret::mask_token(t));
                    return Err(reject(g, c, r, req, ip));
                }
                // Active, but a refresh or ID token by the issuer's word:
                // never an API's credential.
                if let Some(kind) = k.not_an_access_token(&claims) {
                    let mut r = Rejection::new(
                        StatusCode::UNAUTHORIZED,
                        &realm,
                        Some(("invalid_token", "The token is not an access token")),
                        Cause::TokenWrongType,
                        format!("introspection: {kind}"),
                    );
                    r.token_mask = Some(authdoctor_secret::mask_token(t));
                    return Err(reject(g, c, r, req, ip));
                }
                claims
            }
            Some(Active::No) => {
                g.revoke(t, now + k.introspection_ttl());
                let mut r = revoked();
                r.token_mask = Some(authdoctor_secret::mask_token(t));
                return Err(reject(g, c, r, req, ip));
            }
            _ => return Err(unavailable()),
        },
        (None, _, _) => {
            // The issuer the token names, if it is trusted; else the first,
            // and the check reports the issuer mismatch. With one issuer
            // trusted, there is no choice to make (and no decoding for it).
            let issuers = g.issuers.read().unwrap_or_else(|e| e.into_inner()).clone();
            let iss = match issuers.len() {
                0 | 1 => None,
                _ => token.as_deref().and_then(|t| {
                    authdoctor_jose::decode(t)
                        .claim("iss")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                }),
            };
            let keys = iss
                .as_deref()
                .and_then(|i| issuers.iter().find(|k| k.issuer == i))
                .or_else(|| issuers.first())
                .cloned();
            let Some(keys) = keys else {
                return Err(StatusCode::SERVICE_UNAVAILABLE.into_response());
            };
            let requirements = Requirements {
                realm: realm.clone(),
                issuer: keys.issuer.clone(),
                audience: c.audience.clone(),
                other_audiences: c.other_audiences.clone(),
                scopes: Vec::new(),
                leeway: c.leeway,
                algorithms: c.algorithms(),
                require_at_jwt: c.require_at_jwt,
                require_exp: c.require_exp,
                // Named in the challenge of a rejection (added below): not
                // built for the requests that pass.
                resource_metadata: None,
            };
            let Some(jwks) = keys.keys() else {
                if token.is_some() {
                    // Never 401 for want of keys: the token may be fine.
                    keys.refresh(&g.metrics, false).await;
                }
                match keys.keys() {
                    Some(_) => return Box::pin(admit(g, c, req, route, ip)).await,
                    None => {
                        return Err(answer(
                            StatusCode::SERVICE_UNAVAILABLE,
                            OUTAGE_RETRY_AFTER,
                            "temporarily_unavailable",
                            "The issuer's keys cannot be had right now; try again shortly.",
                        ));
                    }
                }
            };
            let mut result = authorize(headers, &requirements, &jwks, now);
            if matches!(&result, Err(r) if r.cause == Cause::TokenUnknownKey) {
                keys.refresh(&g.metrics, false).await;
                if let Some(fresh) = keys.keys() {
                    result = authorize(headers, &requirements, &fresh, now);
                }
            }
            match result {
                Ok(a) => {
                    let claims = Arc::new(a.claims);
                    let exp = claims
                        .get("exp")
                        .and_then(Value::as_i64)
                        .unwrap_or(now + 60);
                    if let Some(k) = key {
                        cache.put_key(k, claims.clone(), exp, now);
                    }
                    claims
                }
                Err(r) => return Err(reject(g, c, r, req, ip)),
            }
        }
    };
    // A JWT whose issuer introspects: a revoked one is refused even while
    // its signature and times are good (the answer cached a few seconds).
    if opaque.is_none() {
        let iss = claims.get("iss").and_then(Value::as_str).unwrap_or("");
        let k = g
            .issuers
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|k| k.issuer == iss && k.introspection.is_some())
            .cloned();
        if let (Some(k), Some(t)) = (k, token.as_deref()) {
            match k.introspect(t, now, g.cluster.as_deref()).await {
                Some(Active::Yes(_)) | None => {}
                Some(Active::No) => {
                    let exp = claims.get("exp").and_then(Value::as_i64).unwrap_or(now);
                    g.revoke(t, exp + c.leeway as i64);
                    let mut r = revoked();
                    r.token_mask = Some(authdoctor_secret::mask_token(t));
                    return Err(reject(g, c, r, req, ip));
                }
                Some(Active::Unknown) => return Err(unavailable()),
            }
        }
    }
    // The route's rule, on verified claims: 403, never 401.
    let granted = authdoctor_jose::check::granted_scopes(&claims);
    let missing: Vec<&String> = scopes.iter().filter(|s| !granted.contains(s)).collect();
    if !missing.is_empty() {
        let mut r = Rejection::new(
            StatusCode::FORBIDDEN,
            &realm,
            Some((
                "insufficient_scope",
                "The access token lacks the scope required",
            )),
            Cause::TokenScopeInsufficient,
            format!(
                "missing scope {}",
                missing
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
        );
        r.challenge = r.challenge.with("scope", scopes.join(" "));
        return Err(reject(g, c, r, req, ip));
    }
    if let Some(rule) = route.map(|r| &r.claims).filter(|r| !r.is_empty()) {
        if !has_claims(&claims, rule) {
            let r = Rejection::new(
                StatusCode::FORBIDDEN,
                &realm,
                Some((
                    "insufficient_scope",
                    "The caller is not allowed on this route",
                )),
                Cause::AuthzForbidden,
                format!("claim rule {rule:?} not met"),
            );
            return Err(reject(g, c, r, req, ip));
        }
    }
    Ok(claims)
}

/// An answer that is not the token's fault (429, 503): a `Retry-After` and
/// an OAuth-style error body.
fn answer(status: StatusCode, retry_after: u64, error: &str, description: &str) -> Response {
    (
        status,
        [(header::RETRY_AFTER, retry_after.to_string())],
        axum::Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

/// Logs, counts and limits a rejection, and makes its response. Every
/// challenge names the guard's RFC 9728 metadata (§5.1), the 403 of a scope
/// or a claim rule too: a client that steps up reads it there.
fn reject(
    g: &Arc<Guard>,
    c: &GuardConfig,
    mut r: Rejection,
    req: &Head<'_>,
    ip: Option<IpAddr>,
) -> Response {
    if r.challenge.param("resource_metadata").is_none() {
        r.challenge = r.challenge.with(
            "resource_metadata",
            format!(
                "{}/.well-known/oauth-protected-resource",
                public_base(c, req.headers)
            ),
        );
    }
    g.metrics.count(&g.metrics.rejections, r.cause.id());
    let authenticated = matches!(
        r.cause,
        Cause::TokenScopeInsufficient | Cause::AuthzForbidden
    );
    // A request with no credentials is not an attempt at guessing one.
    let failed = !authenticated && req.headers.contains_key(header::AUTHORIZATION);
    let forged = matches!(
        r.cause,
        Cause::TokenSignatureInvalid
            | Cause::TokenUnknownKey
            | Cause::TokenAlgRejected
            | Cause::TokenMalformed
    );
    if failed {
        let credential = credential_fingerprint(req.headers);
        // A key the guard does not have yet (a rotation under way) is the
        // server's gap, not the credential's fault.
        if r.cause != Cause::TokenUnknownKey && g.limiter.credential_failure(c, credential) {
            g.metrics.count(&g.metrics.limiter, "credential_blocked");
            g.log_event(
                "credential_blocked",
                json!({
                    "reason": r.cause.id(),
                    "client": ip.map(|ip| ip.to_string()),
                    "token": r.token_mask,
                    "block_seconds": c.limits.window_seconds,
                }),
            );
        }
        // The client the limits count: its network, for IPv6.
        if let Some(client) = ip.map(|ip| c.limits.client_of(ip)) {
            if let Flag::Flagged(kind) = g.limiter.failure(c, client, credential, forged) {
                g.flagged(client, kind, "node");
            }
            if let Some(cluster) = &g.cluster {
                cluster.failure(client, credential, forged);
            }
        }
    }
    // The token's own (unverified) subject and times: who, and at what
    // age of its token a client fails (`authdoctor logs` reads them).
    // The check's own decoding when it had one; else (a revoked or
    // introspected token) the token decoded here.
    let decoded = match (&r.token_claims, &r.token_mask) {
        (None, Some(_)) => bearer(req.headers).and_then(|t| authdoctor_jose::decode(&t).claims),
        _ => None,
    };
    let told = r.token_claims.as_ref().or(decoded.as_ref());
    let claim = |name: &str| told.and_then(|m| m.get(name).cloned());
    let sub = claim("sub").filter(Value::is_string);
    // One subject's real tokens (well signed, refused for another reason)
    // failing from many addresses: flagged, not blocked.
    if let (true, false, Some(ip), Some(Value::String(who))) = (failed, forged, ip, &sub) {
        if g.limiter.subject_failure(c, who, c.limits.client_of(ip)) {
            g.metrics
                .count(&g.metrics.limiter, "distributed_bruteforce");
            g.log_event(
            "subject_flagged",
            json!({
                "kind": "distributed_bruteforce",
                "sub": who,
                "addresses": c.limits.addresses_per_subject,
                "detail": "the token's subject (unverified); its tokens failed from this many addresses within the window",
            }));
        }
    }
    let (iat, exp) = (
        claim("iat").filter(Value::is_i64),
        claim("exp").filter(Value::is_i64),
    );
    g.log_event(
        "reject",
        json!({
            "reason": r.cause.id(),
            "status": r.status.as_u16(),
            "method": req.method,
            "route": req.path,
            "client": ip.map(|ip| ip.to_string()),
            "sub": sub,
            "token": r.token_mask,
            "token_iat": iat,
            "token_exp": exp,
            "detail": authdoctor_secret::scrub(&r.detail),
        }),
    );
    r.into_response()
}

/// The headers every request's way sets or reads, as names (see
/// `HOP_BY_HOP`, beside the way upstream).
static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
static DPOP: HeaderName = HeaderName::from_static("dpop");
