//! The guard as tower middleware: a [`BearerLayer`] holding the shared
//! configuration, a [`Bearer`] service wrapping the inner one. A rejected
//! request becomes its 400/401/403 response with the challenge; an
//! accepted one reaches the handler with [`Authorized`] in its extensions.
//!
//! Two forms. [`BearerLayer::new`] checks tokens against one issuer's keys
//! and nothing more. [`BearerLayer::guard`] is everything `authdoctor guard`
//! does, in process: the same [`Guard`] (configuration, routes, issuers,
//! introspection, verified-token cache, limiter, denylist, Redis, reject log,
//! metrics), deciding by the same code the proxy decides by; merge
//! [`Guard::endpoints`] into the application's router for `/healthz`,
//! `/metrics`, the metadata document and revocation, and serve it with
//! `into_make_service_with_connect_info::<SocketAddr>()` so the limiter can
//! tell clients apart (without the client's address it is not used).
//!
//! Keys come from a [`KeySource`]. [`RemoteJwks`] fetches the issuer's JWKS
//! and, when a token names a `kid` it does not have (the issuer rotated),
//! refetches once — single-flight, never more often than its minimum
//! interval, without holding a lock across the fetch, and serving the old
//! keys meanwhile.

use crate::proxy::{Guard, admitted_headers, bearer, client_address, guarded};
use crate::{Authorized, Rejection, Requirements, authorize};
use authdoctor_causes::Cause;
use authdoctor_jose::JwkSet;
use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::Request;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// A future the key source returns.
pub type Refresh<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Where the guard's keys come from.
pub trait KeySource: Send + Sync + 'static {
    /// The keys now, without I/O.
    fn keys(&self) -> Arc<JwkSet>;
    /// Fetches the keys again, when the source can (a token named a `kid`
    /// not among them, or the keys are older than their maximum age).
    fn refresh(&self) -> Refresh<'_>;
    /// Whether the keys are older than the source keeps them.
    fn stale(&self) -> bool {
        false
    }
}

/// A fixed key set.
pub struct StaticKeys(pub Arc<JwkSet>);

impl KeySource for StaticKeys {
    fn keys(&self) -> Arc<JwkSet> {
        self.0.clone()
    }
    fn refresh(&self) -> Refresh<'_> {
        Box::pin(async {})
    }
}

/// An issuer's JWKS, fetched over HTTP and refetched on an unknown `kid`.
pub struct RemoteJwks {
    url: String,
    probe: authdoctor_net::Probe,
    current: RwLock<(Arc<JwkSet>, Instant)>,
    refreshing: tokio::sync::Mutex<()>,
    min_interval: Duration,
    max_age: Duration,
}

/// Why a key set could not be had.
#[derive(Debug, thiserror::Error)]
#[error("The key set at {url} could not be fetched: {why}")]
pub struct JwksFetchError {
    /// Where.
    pub url: String,
    /// Why.
    pub why: String,
}

async fn fetch(probe: &authdoctor_net::Probe, url: &str) -> Result<JwkSet, JwksFetchError> {
    let err = |why: String| JwksFetchError {
        url: authdoctor_net::display_url(url),
        why,
    };
    let e = probe.get_json(url).await.map_err(|e| err(e.to_string()))?;
    if e.hop.status != 200 {
        return Err(err(format!("it answered {}", e.hop.status)));
    }
    JwkSet::parse(&e.text()).map_err(|e| err(e.to_string()))
}

impl RemoteJwks {
    /// Fetches the key set once. Later it is fetched again when it is older
    /// than `max_age` (so retired keys stop being trusted; an hour is usual)
    /// or when a token names an unknown `kid`, but never more often than
    /// every `min_interval` (30 s is a sensible floor against tokens that
    /// name random kids to make the server hammer its issuer).
    pub async fn new(
        url: &str,
        min_interval: Duration,
        max_age: Duration,
    ) -> Result<RemoteJwks, JwksFetchError> {
        let probe = authdoctor_net::Probe::new(Duration::from_secs(10), false).map_err(|e| {
            JwksFetchError {
                url: authdoctor_net::display_url(url),
                why: e.to_string(),
            }
        })?;
        let keys = fetch(&probe, url).await?;
        Ok(RemoteJwks {
            url: url.to_owned(),
            probe,
            current: RwLock::new((Arc::new(keys), Instant::now())),
            refreshing: tokio::sync::Mutex::new(()),
            min_interval,
            max_age,
        })
    }

    fn fetched_at(&self) -> Instant {
        self.current
            .read()
            .map(|c| c.1)
            .unwrap_or_else(|e| e.into_inner().1)
    }
}

impl KeySource for RemoteJwks {
    fn stale(&self) -> bool {
        self.fetched_at().elapsed() >= self.max_age
    }

    fn keys(&self) -> Arc<JwkSet> {
        self.current
            .read()
            .map(|c| c.0.clone())
            .unwrap_or_else(|e| e.into_inner().0.clone())
    }

    fn refresh(&self) -> Refresh<'_> {
        Box::pin(async move {
            if self.fetched_at().elapsed() < self.min_interval {
                return;
            }
            // Single flight: one fetch at a time; whoever waited finds the
            // keys fresh and returns.
            let _one = self.refreshing.lock().await;
            if self.fetched_at().elapsed() < self.min_interval {
                return;
            }
            let fetched = fetch(&self.probe, &self.url).await;
            let mut cur = self.current.write().unwrap_or_else(|e| e.into_inner());
            match fetched {
                Ok(k) => *cur = (Arc::new(k), Instant::now()),
                // Keep serving the old keys; try again after the interval.
                Err(_) => cur.1 = Instant::now(),
            }
        })
    }
}

/// A sink for the reason-coded log line of each rejection.
pub type RejectLog = Arc<dyn Fn(&Rejection) + Send + Sync>;

struct Shared {
    req: Requirements,
    keys: Arc<dyn KeySource>,
    clock: Arc<dyn Fn() -> i64 + Send + Sync>,
    log: Option<RejectLog>,
}

/// What a layer checks with.
#[derive(Clone)]
enum Checks {
    /// One issuer's keys.
    Keys(Arc<Shared>),
    /// The whole guard.
    Guard(Arc<Guard>),
}

/// The layer: validates bearer tokens before the inner service runs.
#[derive(Clone)]
pub struct BearerLayer {
    checks: Checks,
}

impl BearerLayer {
    /// A layer that checks `req` with keys from `keys` at the local clock.
    pub fn new(req: Requirements, keys: Arc<dyn KeySource>) -> BearerLayer {
        BearerLayer {
            checks: Checks::Keys(Arc::new(Shared {
                req,
                keys,
                clock: Arc::new(|| jiff::Timestamp::now().as_second()),
                log: None,
            })),
        }
    }

    /// A layer that decides as `authdoctor guard` does, with all of `guard`
    /// (its configuration's `upstream` is not used: the wrapped service is
    /// the upstream).
    pub fn guard(guard: Arc<Guard>) -> BearerLayer {
        BearerLayer {
            checks: Checks::Guard(guard),
        }
    }

    /// Judges times by another clock (tests, a server that knows better).
    /// A layer made with [`BearerLayer::guard`] keeps its guard's clock
    /// ([`Guard::with_clock`]).
    pub fn with_clock(self, clock: Arc<dyn Fn() -> i64 + Send + Sync>) -> BearerLayer {
        self.rebuild(|s| s.clock = clock)
    }

    /// Sends each rejection to `log` (its `log_line()` masks the token).
    /// A layer made with [`BearerLayer::guard`] writes its guard's log.
    pub fn with_log(self, log: RejectLog) -> BearerLayer {
        self.rebuild(|s| s.log = Some(log))
    }

    fn rebuild(self, f: impl FnOnce(&mut Shared)) -> BearerLayer {
        let Checks::Keys(shared) = &self.checks else {
            return self;
        };
        let mut s = Shared {
            req: shared.req.clone(),
            keys: shared.keys.clone(),
            clock: shared.clock.clone(),
            log: shared.log.clone(),
        };
        f(&mut s);
        BearerLayer {
            checks: Checks::Keys(Arc::new(s)),
        }
    }
}

impl<S> tower::Layer<S> for BearerLayer {
    type Service = Bearer<S>;
    fn layer(&self, inner: S) -> Bearer<S> {
        Bearer {
            inner,
            checks: self.checks.clone(),
        }
    }
}

/// The service the layer makes.
#[derive(Clone)]
pub struct Bearer<S> {
    inner: S,
    checks: Checks,
}

impl<S> tower::Service<Request<Body>> for Bearer<S>
where
    S: tower::Service<Request<Body>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<Body>) -> Self::Future {
        // The service that was polled ready goes into the future; a clone stays.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let shared = match &self.checks {
            Checks::Keys(shared) => shared.clone(),
            Checks::Guard(g) => {
                let g = g.clone();
                return Box::pin(async move {
                    let peer = client_address(&req);
                    let grpc = crate::grpc::is_grpc(req.headers());
                    let mut failed = None;
                    let resp = guarded(&g, req, peer, |mut req, c, claims, rid| {
                        let token = bearer(req.headers());
                        admitted_headers(&c, req.headers_mut(), claims.as_deref(), &rid);
                        if let (Some(claims), Some(token)) = (claims, token) {
                            req.extensions_mut().insert(Authorized {
                                claims: (*claims).clone(),
                                token: authdoctor_secret::Token::new(token),
                            });
                        }
                        let failed = &mut failed;
                        async move {
                            inner.call(req).await.unwrap_or_else(|e| {
                                *failed = Some(e);
                                Response::default()
                            })
                        }
                    })
                    .await;
                    match failed {
                        Some(e) => Err(e),
                        None if grpc => Ok(crate::grpc::as_grpc(resp)),
                        None => Ok(resp),
                    }
                });
            }
        };
        Box::pin(async move {
            // The headers alone cross the await (a body is not Sync).
            let headers = req.headers().clone();
            let check = |keys: &JwkSet| authorize(&headers, &shared.req, keys, (shared.clock)());
            if shared.keys.stale() {
                shared.keys.refresh().await;
            }
            let mut result = check(&shared.keys.keys());
            if matches!(&result, Err(r) if r.cause == Cause::TokenUnknownKey) {
                // The issuer may have rotated: fetch its keys again, once.
                shared.keys.refresh().await;
                result = check(&shared.keys.keys());
            }
            match result {
                Ok(a) => {
                    req.extensions_mut().insert::<Authorized>(a);
                    inner.call(req).await
                }
                Err(r) => {
                    if let Some(log) = &shared.log {
                        log(&r);
                    }
                    if crate::grpc::is_grpc(&headers) {
                        return Ok(crate::grpc::as_grpc(r.into_response()));
                    }
                    Ok(r.into_response())
                }
            }
        })
    }
}
