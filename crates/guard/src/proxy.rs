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

/// A secret from a mounted file, its last newline dropped; bounded (a
/// secret is short).
fn read_secret_file(path: &std::path::Path) -> Result<String, String> {
    let bytes = read_bounded(
        path,
        "client_secret_file",
        64 * 1024,
        "that is not a client secret",
    )?;
    let text = String::from_utf8(bytes).map_err(|_| {
        format!(
            "client_secret_file {} is not text: give the file that holds the client secret",
            path.display()
        )
    })?;
    Ok(text.trim_end_matches(['\n', '\r']).to_owned())
}

/// One trusted issuer's keys: fetched in the background, refetched on an
/// unknown `kid` (single flight, at most every `min_interval`), kept while
/// the issuer is down. `None` until a first fetch succeeds.
pub struct IssuerKeys {
    issuer: String,
    jwks_uri: Option<String>,
    introspection: Option<Introspection>,
    probe: authdoctor_net::Probe,
    current: RwLock<Option<(Arc<JwkSet>, Instant)>>,
    last_attempt: Mutex<Option<Instant>>,
    refreshing: tokio::sync::Mutex<()>,
    min_interval: Duration,
}

/// A token's verified claims.
pub(crate) type Claims = Arc<Map<String, Value>>;

/// How the guard asks an issuer whether a token is active (RFC 7662).
struct Introspection {
    endpoint: String,
    client_id: String,
    secret: authdoctor_secret::ClientSecret,
    ttl: i64,
    /// Answers by token digest: active (with the claims) or not, and until when.
    /// Introspection's answers: the claims when active, `None` when not.
    answers: TokenCache<Option<Claims>>,
}

impl IssuerKeys {
    /// The key set `old` holds, taken over where it is the same issuer's
    /// at the same key-set address: a reload keeps serving with the keys
    /// it had (refetched behind), where fresh keys to fetch first would
    /// answer 503 until they came.
    fn keep_keys_of(&self, old: &IssuerKeys) {
        if self.issuer == old.issuer && self.jwks_uri == old.jwks_uri {
            let keys = old
                .current
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .clone();
            *self.current.write().unwrap_or_else(|e| e.into_inner()) = keys;
        }
    }

    fn new(i: &crate::config::IssuerConfig) -> Result<IssuerKeys, String> {
        let introspection = match &i.introspection_endpoint {
            None => None,
            Some(ep) => {
                let client_id = i
                    .client_id
                    .clone()
                    .ok_or("introspection_endpoint needs client_id")?;
                let secret = match (&i.client_secret_env, &i.client_secret_file) {
                    (Some(var), _) => std::env::var(var).map_err(|_| {
                        format!("the environment variable {var} (client_secret_env) is not set")
                    })?,
                    (None, Some(path)) => read_secret_file(path)?,
                    (None, None) => {
                        return Err("introspection_endpoint needs client_secret_env or client_secret_file (where the secret is)".into());
                    }
                };
                Some(Introspection {
                    endpoint: ep.clone(),
                    client_id,
                    secret: authdoctor_secret::ClientSecret::new(secret),
                    ttl: i.introspection_cache as i64,
                    answers: TokenCache::new(100_000),
                })
            }
        };
        // The configuration names the introspection endpoint: the client's
        // secret may go there, and nowhere else.
        let trust =
            authdoctor_net::Trust::new(i.introspection_endpoint.iter().map(String::as_str), true);
        Ok(IssuerKeys {
            issuer: i.issuer.clone(),
            jwks_uri: i.jwks_uri.clone(),
            introspection,
            probe: authdoctor_net::Probe::new(Duration::from_secs(5), false)
                .map_err(|e| e.to_string())?
                .with_trust(trust),
            current: RwLock::new(None),
            last_attempt: Mutex::new(None),
            refreshing: tokio::sync::Mutex::new(()),
            // A rotation must never reject a valid token for long: an
            // unknown kid may refetch once a second (single flight), which
            // bounds what random kids can make the guard ask of the issuer.
            min_interval: Duration::from_secs(1),
        })
    }

    /// The keys now, if any were ever had.
    pub fn keys(&self) -> Option<Arc<JwkSet>> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(|(k, _)| k.clone())
    }

    async fn fetch(&self) -> Result<JwkSet, String> {
        let uri = match &self.jwks_uri {
            Some(u) => u.clone(),
            None => {
                let url = format!(
                    "{}/.well-known/openid-configuration",
                    self.issuer.trim_end_matches('/')
                );
                let d = self.probe.get_json(&url).await.map_err(|e| e.to_string())?;
                d.str("jwks_uri")
                    .filter(|_| d.hop.status == 200)
                    .map(str::to_owned)
                    .ok_or_else(|| {
                        format!(
                            "{} names no jwks_uri ({})",
                            authdoctor_net::display_url(&url),
                            d.hop.status
                        )
                    })?
            }
        };
        let e = self.probe.get_json(&uri).await.map_err(|e| e.to_string())?;
        if e.hop.status != 200 {
            return Err(format!(
                "{} answered {}",
                authdoctor_net::display_url(&uri),
                e.hop.status
            ));
        }
        JwkSet::parse(&e.text()).map_err(|e| e.to_string())
    }

    /// Fetches the keys again unless that was tried within `min_interval`
    /// (`force` skips that wait for the first fetch).
    async fn refresh(&self, metrics: &Metrics, force: bool) {
        let recent = |s: &Self| lock(&s.last_attempt).is_some_and(|t| t.elapsed() < s.min_interval);
        if !force && recent(self) {
            return;
        }
        let _one = self.refreshing.lock().await;
        if !force && recent(self) {
            return;
        }
        *lock(&self.last_attempt) = Some(Instant::now());
        match self.fetch().await {
            Ok(k) => {
                metrics.count(&metrics.jwks, "ok");
                *self.current.write().unwrap_or_else(|e| e.into_inner()) =
                    Some((Arc::new(k), Instant::now()));
            }
            Err(_) => metrics.count(&metrics.jwks, "failed"),
        }
    }
}

/// What introspection said of a token.
enum Active {
    /// Active, with the introspection's claims.
    Yes(Claims),
    /// Not active: revoked, expired, unknown.
    No,
    /// The endpoint could not be asked.
    Unknown,
}

impl IssuerKeys {
    /// Asks the issuer whether `token` is active, through the cache.
    /// How long an introspection answer is kept, seconds.
    fn introspection_ttl(&self) -> i64 {
        self.introspection.as_ref().map_or(0, |i| i.ttl)
    }

    /// Asks the issuer whether `token` is active: through this node's
    /// answers, then the other nodes' (when shared), then the issuer.
    async fn introspect(
        &self,
        token: &str,
        now: i64,
        cluster: Option<&crate::cluster::Cluster>,
    ) -> Option<Active> {
        let i = self.introspection.as_ref()?;
        let key = TokenCache::<()>::key(token);
        let known = match i.answers.get_key(&key, now) {
            Some(a) => Some(a),
            None => match cluster {
                Some(c) => c.answer(&key).await.inspect(|a| {
                    // Kept here a short while: the other node's answer is
                    // already up to `ttl` old.
                    i.answers.put_key(key, a.clone(), now + i.ttl.min(5), now);
                }),
                None => None,
            },
        };
        if let Some(claims) = known {
            return Some(match claims {
                Some(c) => Active::Yes(c),
                None => Active::No,
            });
        }
        let answer = self
            .probe
            .post_form(
                &i.endpoint,
                &[("token", token)],
                Some((&i.client_id, i.secret.expose())),
            )
            .await;
        let v = match answer {
            Ok(e) if e.hop.status == 200 => e.json,
            _ => None,
        };
        let Some(Value::Object(m)) = v else {
            return Some(Active::Unknown);
        };
        let active = m.get("active") == Some(&Value::Bool(true));
        let exp = m.get("exp").and_then(Value::as_i64).unwrap_or(now + i.ttl);
        let until = (now + i.ttl).min(exp.max(now));
        let answer = active.then(|| Arc::new(m));
        i.answers.put_key(key, answer.clone(), until, now);
        if let Some(c) = cluster {
            c.answered(key, answer.clone(), (until - now).max(0) as u64);
        }
        Some(match answer {
            Some(claims) => Active::Yes(claims),
            None => Active::No,
        })
    }
}

/// Answers about tokens, by the SHA-256 of the token, each until a time:
/// verified claims until `exp`, or what introspection said for a while.
/// Bounded by size, also when every entry is still live (a flood of
/// distinct tokens cannot grow it); an entry never outlives its time.
struct TokenCache<V> {
    max: usize,
    map: Mutex<HashMap<[u8; 32], (V, i64)>>,
    /// Whether anything was ever put (until then a look-up is no look-up).
    used: std::sync::atomic::AtomicBool,
}

impl<V: Clone> TokenCache<V> {
    fn new(max: usize) -> TokenCache<V> {
        TokenCache {
            max,
            map: Mutex::new(HashMap::new()),
            used: std::sync::atomic::AtomicBool::new(false),
        }
    }

    fn key(token: &str) -> [u8; 32] {
        let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
        let mut k = [0u8; 32];
        k.copy_from_slice(d.as_ref());
        k
    }

    #[cfg(test)]
    fn get(&self, token: &str, now: i64) -> Option<V> {
        self.get_key(&Self::key(token), now)
    }

    /// Whether a look-up can find anything: the cache is on and was used.
    fn may_hold(&self) -> bool {
        self.max > 0 && self.used.load(Ordering::Relaxed)
    }

    fn get_key(&self, k: &[u8; 32], now: i64) -> Option<V> {
        if !self.may_hold() {
            return None;
        }
        let mut m = lock(&self.map);
        match m.get(k) {
            Some((v, until)) if *until > now => Some(v.clone()),
            Some(_) => {
                m.remove(k);
                None
            }
            None => None,
        }
    }

    #[cfg(test)]
    fn put(&self, token: &str, v: V, until: i64, now: i64) {
        self.put_key(Self::key(token), v, until, now);
    }

    fn put_key(&self, k: [u8; 32], v: V, until: i64, now: i64) {
        if self.max == 0 || until <= now {
            return;
        }
        let mut m = lock(&self.map);
        self.used.store(true, Ordering::Relaxed);
        if m.len() >= self.max {
            m.retain(|_, (_, e)| *e > now);
            if m.len() >= self.max {
                // Still full of live entries: make room by dropping some.
                let drop: Vec<[u8; 32]> = m.keys().take(self.max / 10 + 1).copied().collect();
                for k in drop {
                    m.remove(&k);
                }
            }
        }
        m.insert(k, (v, until));
    }
}

/// What the limiter knows of one client address.
struct ClientWindow {
    start: Instant,
    failures: u32,
    credentials: HashSet<u64>,
    forged: u32,
    blocked_until: Option<Instant>,
}

/// Failures per client address in a sliding window; a client whose
/// failures carry many distinct credentials is flagged (stuffing, or token
/// guessing when most are forged) and answered 429 for a while, except
/// with a token the guard has already verified.
struct Limiter {
    clients: Mutex<Windows<IpAddr, ClientWindow>>,
    /// Failures per credential fingerprint.
    credentials: Mutex<Windows<u64, Strikes>>,
    /// The addresses each subject's refused tokens came from.
    subjects: Mutex<Windows<String, Spread>>,
}

/// One credential's failures in its window.
struct Strikes {
    start: Instant,
    failures: u32,
    blocked_until: Option<Instant>,
}

/// One subject's failures in its window, and from where.
struct Spread {
    start: Instant,
    addresses: HashSet<IpAddr>,
    flagged: bool,
}

/// A bounded map of windows. When it is full, the windows past their time
/// are swept out, at most once a second: a flood of newcomers into a map full
/// of live windows must not cost a scan of the whole map each (until a sweep
/// frees room, a newcomer is simply not tracked).
struct Windows<K, V> {
    map: HashMap<K, V>,
    swept: Option<Instant>,
}

impl<K: std::hash::Hash + Eq, V> Windows<K, V> {
    fn new() -> Windows<K, V> {
        Windows {
            map: HashMap::new(),
            swept: None,
        }
    }

    /// Whether a newcomer can be given a window.
    fn room(&mut self, max: usize, live: impl Fn(&V) -> bool) -> bool {
        if self.map.len() < max {
            return true;
        }
        if self
            .swept
            .is_some_and(|t| t.elapsed() < Duration::from_secs(1))
        {
            return false;
        }
        self.swept = Some(Instant::now());
        self.map.retain(|_, v| live(v));
        self.map.len() < max
    }
}

impl<K, V> std::ops::Deref for Windows<K, V> {
    type Target = HashMap<K, V>;
    fn deref(&self) -> &HashMap<K, V> {
        &self.map
    }
}

impl<K, V> std::ops::DerefMut for Windows<K, V> {
    fn deref_mut(&mut self) -> &mut HashMap<K, V> {
        &mut self.map
    }
}

/// What the limiter decided about a failure.
enum Flag {
    None,
    Flagged(&'static str),
}

impl ClientWindow {
    fn new() -> ClientWindow {
        ClientWindow {
            start: Instant::now(),
            failures: 0,
            credentials: HashSet::new(),
            forged: 0,
            blocked_until: None,
        }
    }
}

impl Limiter {
    fn new() -> Limiter {
        Limiter {
            clients: Mutex::new(Windows::new()),
            credentials: Mutex::new(Windows::new()),
            subjects: Mutex::new(Windows::new()),
        }
    }

    /// Seconds left on a credential's block.
    fn credential_blocked(&self, fp: impl FnOnce() -> u64) -> Option<u64> {
        let m = lock(&self.credentials);
        if m.is_empty() {
            return None;
        }
        let until = m.get(&fp())?.blocked_until?;
        let left = until.saturating_duration_since(Instant::now());
        (!left.is_zero()).then(|| left.as_secs().max(1))
    }

    /// One more failure of a credential; `true` when it is now blocked.
    fn credential_failure(&self, c: &GuardConfig, fp: u64) -> bool {
        let l = &c.limits;
        let window = Duration::from_secs(l.window_seconds.max(1));
        let mut m = lock(&self.credentials);
        if !m.contains_key(&fp)
            && !m.room(l.max_clients, |s| {
                s.start.elapsed() < window || s.blocked_until.is_some_and(|b| b > Instant::now())
            })
        {
            return false;
        }
        let s = m.entry(fp).or_insert_with(|| Strikes {
            start: Instant::now(),
            failures: 0,
            blocked_until: None,
        });
        if s.start.elapsed() >= window {
            (s.start, s.failures) = (Instant::now(), 0);
        }
        s.failures += 1;
        let blocked = s.blocked_until.is_some_and(|b| b > Instant::now());
        if l.failures_per_credential > 0 && s.failures >= l.failures_per_credential && !blocked {
            s.blocked_until = Some(Instant::now() + window);
            return true;
        }
        false
    }

    /// A refused token of `sub` from `ip`; `true` when the subject has just
    /// failed from enough addresses to be flagged.
    fn subject_failure(&self, c: &GuardConfig, sub: &str, ip: IpAddr) -> bool {
        let l = &c.limits;
        let window = Duration::from_secs(l.window_seconds.max(1));
        let mut m = lock(&self.subjects);
        if !m.contains_key(sub) && !m.room(l.max_clients, |s| s.start.elapsed() < window) {
            return false;
        }
        let s = m.entry(sub.to_owned()).or_insert_with(|| Spread {
            start: Instant::now(),
            addresses: HashSet::new(),
            flagged: false,
        });
        if s.start.elapsed() >= window {
            (s.start, s.flagged) = (Instant::now(), false);
            s.addresses.clear();
        }
        if s.addresses.len() < 1024 {
            s.addresses.insert(ip);
        }
        if l.addresses_per_subject > 0
            && s.addresses.len() as u32 >= l.addresses_per_subject
            && !s.flagged
        {
            s.flagged = true;
            return true;
        }
        false
    }

    /// Whether `ip` has, or can be given, a window: at the bound, windows
    /// past their time and not blocked make room; else the client is not
    /// tracked (memory stays bounded).
    fn room(m: &mut Windows<IpAddr, ClientWindow>, c: &GuardConfig, ip: IpAddr) -> bool {
        if m.contains_key(&ip) {
            return true;
        }
        let window = Duration::from_secs(c.limits.window_seconds.max(1));
        m.room(c.limits.max_clients, |w| {
            w.start.elapsed() < window || w.blocked_until.is_some_and(|b| b > Instant::now())
        })
    }

    fn blocked(&self, ip: IpAddr) -> Option<u64> {
        let m = lock(&self.clients);
        let until = m.get(&ip)?.blocked_until?;
        let left = until.saturating_duration_since(Instant::now());
        (!left.is_zero()).then(|| left.as_secs().max(1))
    }

    /// Answers `ip` 429 for `seconds` (another node flagged it).
    fn block(&self, c: &GuardConfig, ip: IpAddr, seconds: u64) {
        let mut m = lock(&self.clients);
        if !Self::room(&mut m, c, ip) {
            return;
        }
        let w = m.entry(ip).or_insert_with(ClientWindow::new);
        let until = Instant::now() + Duration::from_secs(seconds);
        if w.blocked_until.is_none_or(|b| b < until) {
            w.blocked_until = Some(until);
        }
    }

    fn failure(&self, c: &GuardConfig, ip: IpAddr, credential: u64, forged: bool) -> Flag {
        let l = &c.limits;
        let window = Duration::from_secs(l.window_seconds.max(1));
        let mut m = lock(&self.clients);
        if !Self::room(&mut m, c, ip) {
            return Flag::None;
        }
        let w = m.entry(ip).or_insert_with(ClientWindow::new);
        if w.start.elapsed() >= window {
            w.start = Instant::now();
            w.failures = 0;
            w.forged = 0;
            w.credentials.clear();
        }
        w.failures += 1;
        if forged {
            w.forged += 1;
        }
        if w.credentials.len() < 1024 {
            w.credentials.insert(credential);
        }
        let flagged = w.failures >= l.failures_per_client
            && w.credentials.len() as u32 >= l.distinct_credentials_per_client;
        if flagged && w.blocked_until.is_none_or(|b| b <= Instant::now()) {
            w.blocked_until = Some(Instant::now() + Duration::from_secs(l.block_seconds));
            let kind = if w.forged * 2 > w.failures {
                "token_guessing"
            } else {
                "credential_stuffing"
            };
            return Flag::Flagged(kind);
        }
        Flag::None
    }
}

/// Counters for `/metrics` (Prometheus text format), kept by hand: a few
/// labelled counters and one histogram do not need a metrics framework.
#[derive(Default)]
pub struct Metrics {
    requests: Counters,
    rejections: Counters,
    cache: Counters,
    jwks: Counters,
    limiter: Counters,
    cluster: Counters,
    upstream_errors: AtomicU64,
    /// WebSocket tunnels joined, and open now.
    tunnels: AtomicU64,
    tunnels_open: AtomicU64,
    /// Why tunnels ended: closed by a side, the guard stopped, the token
    /// expired or was revoked.
    tunnels_ended: Counters,
    /// Clients' TLS handshakes, done or failed (`[tls]`).
    tls_handshakes: Counters,
    latency: [AtomicU64; 9],
    latency_sum_us: AtomicU64,
}

const BUCKETS_S: [f64; 8] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1.0];

/// Counts by label. Every request adds to a few: a label seen before is a
/// shared read and an atomic add, with no lock held against other cores and
/// nothing allocated; only a new label takes the write lock. The labels are
/// hashed with foldhash (seeded at random per process), not SipHash.
#[derive(Default)]
struct Counters(RwLock<foldhash::HashMap<String, AtomicU64>>);

impl Counters {
    fn add(&self, label: &str) {
        if let Some(n) = self.0.read().unwrap_or_else(|e| e.into_inner()).get(label) {
            n.fetch_add(1, Ordering::Relaxed);
            return;
        }
        self.0
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .entry(label.to_owned())
            .or_default()
            .fetch_add(1, Ordering::Relaxed);
    }

    fn rows(&self) -> Vec<(String, u64)> {
        let mut rows: Vec<(String, u64)> = self
            .0
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(k, v)| (k.clone(), v.load(Ordering::Relaxed)))
            .collect();
        rows.sort();
        rows
    }
}

impl Metrics {
    fn count(&self, m: &Counters, label: &str) {
        m.add(label);
    }

    fn observe(&self, d: Duration) {
        let s = d.as_secs_f64();
        let i = BUCKETS_S
            .iter()
            .position(|b| s <= *b)
            .unwrap_or(BUCKETS_S.len());
        self.latency[i].fetch_add(1, Ordering::Relaxed);
        self.latency_sum_us
            .fetch_add(d.as_micros() as u64, Ordering::Relaxed);
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut family = |name: &str, help: &str, label: &str, m: &Counters| {
            out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} counter\n"));
            for (k, v) in m.rows() {
                out.push_str(&format!("{name}{{{label}=\"{k}\"}} {v}\n"));
            }
        };
        family(
            "authdoctor_guard_requests_total",
            "Requests by outcome.",
            "outcome",
            &self.requests,
        );
        family(
            "authdoctor_guard_rejections_total",
            "Rejections by root cause.",
            "reason",
            &self.rejections,
        );
        family(
            "authdoctor_guard_token_cache_total",
            "Verified-token cache lookups.",
            "result",
            &self.cache,
        );
        family(
            "authdoctor_guard_jwks_fetches_total",
            "Key-set fetches.",
            "result",
            &self.jwks,
        );
        family(
            "authdoctor_guard_limiter_total",
            "Limiter decisions.",
            "decision",
            &self.limiter,
        );
        family(
            "authdoctor_guard_notices_total",
            "Notices from the other nodes.",
            "kind",
            &self.cluster,
        );
        family(
            "authdoctor_guard_tunnels_ended_total",
            "WebSocket tunnels ended, by why.",
            "why",
            &self.tunnels_ended,
        );
        family(
            "authdoctor_guard_tls_handshakes_total",
            "Clients' TLS handshakes, by result.",
            "result",
            &self.tls_handshakes,
        );
        out.push_str(&format!(
            "# HELP authdoctor_guard_upstream_errors_total Requests the upstream did not answer.\n# TYPE authdoctor_guard_upstream_errors_total counter\nauthdoctor_guard_upstream_errors_total {}\n",
            self.upstream_errors.load(Ordering::Relaxed)
        ));
        out.push_str(&format!(
            "# HELP authdoctor_guard_tunnels_total WebSocket tunnels joined to the upstream.\n# TYPE authdoctor_guard_tunnels_total counter\nauthdoctor_guard_tunnels_total {}\n# HELP authdoctor_guard_tunnels_open WebSocket tunnels open now.\n# TYPE authdoctor_guard_tunnels_open gauge\nauthdoctor_guard_tunnels_open {}\n",
            self.tunnels.load(Ordering::Relaxed),
            self.tunnels_open.load(Ordering::Relaxed)
        ));
        out.push_str("# HELP authdoctor_guard_request_duration_seconds Time in the guard and upstream.\n# TYPE authdoctor_guard_request_duration_seconds histogram\n");
        let mut cumulative = 0;
        for (i, b) in BUCKETS_S.iter().enumerate() {
            cumulative += self.latency[i].load(Ordering::Relaxed);
            out.push_str(&format!(
                "authdoctor_guard_request_duration_seconds_bucket{{le=\"{b}\"}} {cumulative}\n"
            ));
        }
        cumulative += self.latency[BUCKETS_S.len()].load(Ordering::Relaxed);
        out.push_str(&format!(
            "authdoctor_guard_request_duration_seconds_bucket{{le=\"+Inf\"}} {cumulative}\nauthdoctor_guard_request_duration_seconds_sum {}\nauthdoctor_guard_request_duration_seconds_count {cumulative}\n",
            self.latency_sum_us.load(Ordering::Relaxed) as f64 / 1e6
        ));
        out
    }
}

/// The reject log: one JSON object per line, to a file rotated (to `.1`)
/// past its size, or to standard error. Bounded either way.
struct RejectLog {
    file: Mutex<Option<(std::fs::File, u64)>>,
}

impl RejectLog {
    fn open(c: &GuardConfig) -> Result<RejectLog, String> {
        let file = match &c.log.path {
            Some(p) => {
                let f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)
                    .map_err(|e| format!("the reject log {} cannot be opened: {e}", p.display()))?;
                let len = f.metadata().map(|m| m.len()).unwrap_or(0);
                Some((f, len))
            }
            None => None,
        };
        Ok(RejectLog {
            file: Mutex::new(file),
        })
    }

    fn write(&self, c: &GuardConfig, line: &Value) {
        let text = format!("{line}\n");
        let mut f = lock(&self.file);
        match (f.as_mut(), &c.log.path) {
            (Some((file, len)), Some(path)) => {
                if *len + text.len() as u64 > c.log.max_bytes {
                    let mut old = path.clone().into_os_string();
                    old.push(".1");
                    let _ = std::fs::rename(path, &old);
                    if let Ok(nf) = std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(path)
                    {
                        *file = nf;
                        *len = 0;
                    }
                }
                if file.write_all(text.as_bytes()).is_ok() {
                    *len += text.len() as u64;
                }
            }
            _ => eprint!("{text}"),
        }
    }
}

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
                "client": ip.to_string(),
                "block_seconds": c.limits.block_seconds,
            }),
        );
    }

    /// Applies what another node published.
    pub(crate) fn notice(&self, text: &str) {
        use crate::cluster::Notice;
        match Notice::parse(text) {
            Some(Notice::Block { ip, seconds }) => {
                self.limiter.block(&self.config(), ip, seconds);
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
    fn upstream_failed(&self, c: &GuardConfig, err: &hyper_util::client::legacy::Error) {
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
                "error": error_chain(err),
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
    pub fn router(self: &Arc<Guard>) -> axum::Router {
        self.routes().fallback(proxy).with_state(self.clone())
    }

    /// The guard's own endpoints — `/healthz`, `/metrics`, the RFC 9728
    /// metadata document, [`REVOKE_PATH`] — for an application that guards
    /// its handlers with [`crate::BearerLayer::guard`] to merge into its router.
    pub fn endpoints(self: &Arc<Guard>) -> axum::Router {
        self.routes().with_state(self.clone())
    }

    fn routes(&self) -> axum::Router<Arc<Guard>> {
        axum::Router::new()
            .route("/healthz", axum::routing::get(health))
            .route("/metrics", axum::routing::get(metrics))
            .route(REVOKE_PATH, axum::routing::post(revoke))
            .route(
                "/.well-known/oauth-protected-resource",
                axum::routing::get(resource_metadata),
            )
    }
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

/// The most DPoP proofs' `jti` remembered at once: past it (a flood of
/// fresh proofs within their minute), a new proof is refused rather than
/// the memory grown.
const DPOP_JTIS: usize = 200_000;

impl Guard {
    /// Whether a DPoP proof's `jti` is new (and remembers it).
    fn dpop_jti_fresh(&self, jti: &str, now: i64) -> bool {
        let mut seen = self.dpop_jtis.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() >= DPOP_JTIS {
            // A proof is at most a minute old (and a minute ahead).
            seen.retain(|_, at| *at > now - 120);
        }
        if seen.len() >= DPOP_JTIS || jti.len() > 256 || seen.contains_key(jti) {
            return false;
        }
        seen.insert(jti.to_owned(), now);
        true
    }
}

/// A DPoP request refused (RFC 9449 §7.1): the DPoP challenge with
/// `error`, logged as token.binding_required.
fn dpop_refusal(
    c: &GuardConfig,
    token: &str,
    error: &str,
    description: &str,
    detail: String,
) -> Rejection {
    let mut r = Rejection::new(
        StatusCode::UNAUTHORIZED,
        &c.realm,
        None,
        Cause::TokenBindingRequired,
        detail,
    );
    r.challenge = authdoctor_httpauth::Challenge::new("DPoP")
        .with("realm", &c.realm)
        .with("error", error)
        .with("error_description", description)
        .with("algs", "ES256 EdDSA RS256 PS256");
    r.token_mask = Some(authdoctor_secret::mask_token(token));
    r
}

/// How long a DPoP proof's `jti` is remembered: a proof is taken at most a
/// minute old or a minute ahead.
const DPOP_JTI_SECONDS: u64 = 130;

/// A DPoP-bound token's request (`Authorization: DPoP <token>`, the
/// guard taking them): its proof checked against the request and the
/// token's key (RFC 9449 §4.3, §7.1), its `jti` new to this node. With a
/// cluster, the digest of the `jti`, for it to say whether it is new there
/// too ([`crate::cluster::Cluster::first_use`]); without one, nothing is
/// hashed.
fn check_dpop(
    g: &Guard,
    c: &GuardConfig,
    parts: &http::request::Parts,
    token: &str,
    claims: &Map<String, Value>,
) -> Result<Option<[u8; 32]>, Rejection> {
    let refuse = |error: &str, description: &str, detail: String| {
        Err(dpop_refusal(c, token, error, description, detail))
    };
    let Some(jkt) = claims
        .get("cnf")
        .and_then(|c| c.get("jkt"))
        .and_then(Value::as_str)
    else {
        return refuse(
            "invalid_token",
            "The token is not bound to a DPoP key; send it as Bearer",
            "the DPoP scheme with a token without cnf.jkt".to_owned(),
        );
    };
    let mut proofs = parts.headers.get_all("dpop").iter();
    let (Some(proof), None) = (proofs.next(), proofs.next()) else {
        return refuse(
            "invalid_dpop_proof",
            "Send exactly one DPoP proof header",
            "no DPoP proof, or more than one".to_owned(),
        );
    };
    let htu = format!("{}{}", public_base(c, &parts.headers), parts.uri.path());
    let now = (g.clock)();
    let mut used = None;
    match authdoctor_jose::dpop::verify_proof(
        proof.to_str().unwrap_or(""),
        parts.method.as_str(),
        &htu,
        Some(token),
        now,
        |jti| {
            if g.cluster.is_some() {
                used = Some(TokenCache::<()>::key(jti));
            }
            g.dpop_jti_fresh(jti, now)
        },
    ) {
        Ok(p) if p.jkt == jkt => Ok(used),
        Ok(p) => refuse(
            "invalid_dpop_proof",
            "The DPoP proof is signed by another key than the token is bound to",
            format!("cnf.jkt {jkt}, the proof's key {}", p.jkt),
        ),
        Err(why) => refuse("invalid_dpop_proof", "The DPoP proof is invalid", why),
    }
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
        if let Some(secs) = ip.and_then(|ip| g.limiter.blocked(ip)) {
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
                let aud_ok = match claims.get("aud") {
                    None => true,
                    Some(Value::String(a)) => *a == c.audience,
                    Some(Value::Array(a)) => a.iter().any(|x| x.as_str() == Some(&c.audience)),
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
                Err(mut r) => {
                    r.challenge = r.challenge.with(
                        "resource_metadata",
                        format!(
                            "{}/.well-known/oauth-protected-resource",
                            public_base(c, headers)
                        ),
                    );
                    return Err(reject(g, c, r, req, ip));
                }
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

/// Logs, counts and limits a rejection, and makes its response.
fn reject(
    g: &Arc<Guard>,
    c: &GuardConfig,
    r: Rejection,
    req: &Head<'_>,
    ip: Option<IpAddr>,
) -> Response {
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
        if let Some(ip) = ip {
            if let Flag::Flagged(kind) = g.limiter.failure(c, ip, credential, forged) {
                g.flagged(ip, kind, "node");
            }
            if let Some(cluster) = &g.cluster {
                cluster.failure(ip, credential, forged);
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
        if g.limiter.subject_failure(c, who, ip) {
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

/// Hop-by-hop headers (RFC 9110 §7.6.1): never forwarded.
///
/// Names, not text: a name given as text is parsed again at every removal,
/// twice per request (its request and its response).
static HOP_BY_HOP: [HeaderName; 8] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    header::TRANSFER_ENCODING,
    header::TE,
    header::TRAILER,
    header::UPGRADE,
    header::PROXY_AUTHORIZATION,
];

/// The headers every request's way sets or reads, as names (see
/// [`HOP_BY_HOP`]).
static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
static DPOP: HeaderName = HeaderName::from_static("dpop");

/// What an admitted request carries on (upstream, or to the wrapped
/// service): the token stripped unless configured, the chosen claims as
/// headers — replacing anything the client sent under those names, so a
/// client cannot forge them — and the request id.
pub(crate) fn admitted_headers(
    c: &GuardConfig,
    headers: &mut HeaderMap,
    claims: Option<&Map<String, Value>>,
    rid: &str,
) {
    if c.strip_token {
        headers.remove(header::AUTHORIZATION);
        // A DPoP proof is for the guard's URL, and goes with the token.
        headers.remove(&DPOP);
    }
    // CGI, WSGI and Rack servers read `X_Auth_Subject` as `X-Auth-Subject`
    // (both are HTTP_X_AUTH_SUBJECT): a client's header that reads as one
    // the guard sets is removed, whatever its underscores.
    let spoofs: Vec<HeaderName> = headers
        .keys()
        .filter(|n| n.as_str().contains('_'))
        .filter(|n| {
            let dashed = n.as_str().replace('_', "-");
            dashed == "x-request-id"
                || dashed == "x-forwarded-for"
                || c.forward_claims
                    .values()
                    .any(|h| h.eq_ignore_ascii_case(&dashed))
        })
        .cloned()
        .collect();
    for n in spoofs {
        headers.remove(n);
    }
    for (claim, name) in &c.forward_claims {
        let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else {
            continue;
        };
        headers.remove(&name);
        let value = claims.and_then(|cl| cl.get(claim)).map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        if let Some(v) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
            headers.insert(name, v);
        }
    }
    if let Ok(v) = HeaderValue::from_str(rid) {
        headers.insert(X_REQUEST_ID.clone(), v);
    }
}

/// A client to the upstream: plain HTTP, or TLS for an `https://` one.
type UpstreamClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Body>;

/// A thread's upstream pools: HTTP/1.1 for most requests, HTTP/2 for a
/// gRPC call that came in HTTP/2 (gRPC needs HTTP/2 end to end; prior
/// knowledge over plain HTTP, ALPN over TLS), built for one generation of
/// the upstream's TLS settings.
struct Pools {
    generation: u64,
    h1: UpstreamClient,
    h2: UpstreamClient,
}

impl Pools {
    fn new(generation: u64, tls: &Arc<rustls::ClientConfig>) -> Pools {
        let client = |h2: bool| {
            let mut http = HttpConnector::new();
            http.set_connect_timeout(Some(Duration::from_secs(5)));
            http.set_nodelay(true);
            // TLS only where the URL says https; its ALPN offers the one
            // protocol the pool speaks.
            http.enforce_http(false);
            let https = hyper_rustls::HttpsConnectorBuilder::new()
                .with_tls_config(rustls::ClientConfig::clone(tls))
                .https_or_http();
            let connector = if h2 {
                https.enable_http2().wrap_connector(http)
            } else {
                https.enable_http1().wrap_connector(http)
            };
            Client::builder(hyper_util::rt::TokioExecutor::new())
                .pool_idle_timeout(Duration::from_secs(30))
                .http2_only(h2)
                .build(connector)
        };
        Pools {
            generation,
            h1: client(false),
            h2: client(true),
        }
    }
}

thread_local! {
    /// The upstream connection pools of this thread. A pooled connection is
    /// driven by the runtime that opened it: with one runtime per core
    /// ([`serve_per_core`]), a pool shared between them would hand one
    /// core's connections to the other and wake it for every response.
    static UPSTREAM: std::cell::RefCell<Option<Pools>> = const { std::cell::RefCell::new(None) };
}

/// The client for a request going on in `version`: HTTP/2 over HTTP/2,
/// anything else over HTTP/1.1; this thread's pool, made again after a
/// reload that changed the upstream's TLS settings.
fn upstream_client(g: &Guard, version: http::Version) -> UpstreamClient {
    let generation = g.upstream_generation.load(Ordering::Acquire);
    UPSTREAM.with(|pools| {
        let mut slot = pools.borrow_mut();
        let pools = match slot.take() {
            Some(p) if p.generation == generation => slot.insert(p),
            _ => {
                let tls = g
                    .upstream_tls
                    .read()
                    .unwrap_or_else(|e| e.into_inner())
                    .clone();
                slot.insert(Pools::new(generation, &tls))
            }
        };
        if version == http::Version::HTTP_2 {
            pools.h2.clone()
        } else {
            pools.h1.clone()
        }
    })
}

async fn forward(
    g: &Arc<Guard>,
    c: &GuardConfig,
    req: Request<Body>,
    claims: Option<Arc<Map<String, Value>>>,
    rid: &str,
    peer: SocketAddr,
) -> Response {
    let (mut parts, body) = req.into_parts();
    let pq = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".into());
    let Ok(uri) = format!("{}{pq}", c.upstream.trim_end_matches('/')).parse::<http::Uri>() else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    parts.uri = uri;
    // The headers the client named in Connection are hop-by-hop too (RFC
    // 9110 §7.6.1); removed before the guard adds its own.
    let named: Vec<HeaderName> = parts
        .headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|t| HeaderName::from_bytes(t.trim().as_bytes()).ok())
        .collect();
    let te_trailers = parts
        .headers
        .get(header::TE)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"trailers"));
    // A WebSocket handshake (RFC 6455 §4.1) served where it can be
    // joined: its client side, taken before its hop-by-hop headers go.
    let joinable = match parts.extensions.remove::<Tunnel>() {
        Some(mut t) if asks_websocket(parts.method == http::Method::GET, &parts.headers) => {
            // The tunnel lasts no longer than the token it was opened with.
            t.token = bearer(&parts.headers).map(|tok| Held {
                key: TokenCache::<()>::key(&tok),
                until: claims
                    .as_deref()
                    .and_then(|m| m.get("exp"))
                    .and_then(Value::as_i64)
                    .map(|exp| exp.saturating_add(i64::try_from(c.leeway).unwrap_or(0))),
            });
            parts
                .extensions
                .remove::<hyper::upgrade::OnUpgrade>()
                .map(|client| (client, t))
        }
        _ => None,
    };
    for n in named {
        parts.headers.remove(n);
    }
    for h in &HOP_BY_HOP {
        parts.headers.remove(h);
    }
    // Only a WebSocket's upgrade goes on: any other protocol (HTTP/2's
    // `h2c` above all) would open a tunnel of requests no rule judged.
    if joinable.is_some() {
        upgrade_headers(&mut parts.headers);
    }
    // A gRPC call goes on in HTTP/2, which gRPC needs end to end, with
    // the one TE that HTTP/2 allows (`trailers`: gRPC's clients send it,
    // grpc-java's server requires it). Any other request goes on in
    // HTTP/1.1, which every upstream speaks, whatever the client spoke.
    let h2 = parts.version == http::Version::HTTP_2 && crate::grpc::is_grpc(&parts.headers);
    if h2 && te_trailers {
        parts
            .headers
            .insert(header::TE, HeaderValue::from_static("trailers"));
    }
    if !h2 && parts.version == http::Version::HTTP_2 {
        parts.version = http::Version::HTTP_11;
    }
    parts.headers.remove(header::HOST);
    admitted_headers(c, &mut parts.headers, claims.as_deref(), rid);
    let xff = match parts
        .headers
        .get(&X_FORWARDED_FOR)
        .and_then(|v| v.to_str().ok())
    {
        Some(prev) => format!("{prev}, {}", peer.ip()),
        None => peer.ip().to_string(),
    };
    if let Ok(v) = HeaderValue::from_str(&xff) {
        parts.headers.insert(X_FORWARDED_FOR.clone(), v);
    }
    // Where the guard ends the client's TLS, the upstream is told so (the
    // frameworks' redirects and secure cookies read it), whatever the
    // client wrote in its place.
    if c.tls.is_some() {
        parts
            .headers
            .insert("x-forwarded-proto", HeaderValue::from_static("https"));
    }
    match upstream_client(g, parts.version)
        .request(Request::from_parts(parts, body))
        .await
    {
        Ok(mut resp) => {
            // The upstream switched to the WebSocket protocol: its
            // connection and the client's are joined, byte for byte.
            let switched = resp.status() == StatusCode::SWITCHING_PROTOCOLS;
            let upstream = switched.then(|| hyper::upgrade::on(&mut resp));
            let (mut p, b) = resp.into_parts();
            for h in &HOP_BY_HOP {
                p.headers.remove(h);
            }
            match (upstream, joinable) {
                (Some(upstream), Some((client, t))) => {
                    upgrade_headers(&mut p.headers);
                    tokio::spawn(join(client, upstream, t, g.clone()));
                    Response::from_parts(p, Body::empty())
                }
                // A switch the guard did not ask for: nothing it can carry.
                (Some(_), None) => bad_gateway(g),
                (None, _) => Response::from_parts(p, Body::new(b)),
            }
        }
        Err(e) => {
            g.upstream_failed(c, &e);
            bad_gateway(g)
        }
    }
}

fn bad_gateway(g: &Guard) -> Response {
    g.metrics.upstream_errors.fetch_add(1, Ordering::Relaxed);
    (
        StatusCode::BAD_GATEWAY,
        axum::Json(
            json!({"error": "bad_gateway", "error_description": "The upstream did not answer."}),
        ),
    )
        .into_response()
}

/// What a request that asks for an upgrade carries for its tunnel, should
/// it become one: the server's signal to stop, and its connection's
/// permit, held while the tunnel lasts (a tunnel is a connection still).
#[derive(Clone)]
struct Tunnel {
    stop: tokio::sync::watch::Receiver<()>,
    permit: Option<Arc<tokio::sync::OwnedSemaphorePermit>>,
    /// The token the handshake was admitted with, once judged.
    token: Option<Held>,
}

/// The token a tunnel was opened with: its digest (the denylist's key) and
/// the moment the guard stops accepting it (its `exp` and the leeway).
#[derive(Clone)]
struct Held {
    key: [u8; 32],
    until: Option<i64>,
}

/// How often an open tunnel looks its token up on the revocation denylist.
const TUNNEL_RECHECK: Duration = Duration::from_secs(1);

/// Whether a request is a WebSocket handshake: a GET whose `Connection`
/// names `upgrade` and whose `Upgrade` offers `websocket` (RFC 6455 §4.1;
/// both without regard to case).
fn asks_websocket(get: bool, headers: &HeaderMap) -> bool {
    let lists = |name: header::HeaderName, token: &str| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    };
    get && lists(header::CONNECTION, "upgrade") && lists(header::UPGRADE, "websocket")
}

/// A WebSocket upgrade's hop-by-hop headers, as the guard sends them on.
fn upgrade_headers(headers: &mut HeaderMap) {
    headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
}

/// Joins a client's connection to the upstream's once both have switched,
/// until either closes or the server stops. The token is checked at the
/// handshake (what the tunnel carries is the upstream's protocol, not
/// HTTP); the tunnel outlives it no more than a cached verdict would: it is
/// closed when the token expires (with the leeway) or is revoked, here or
/// on another node.
async fn join(
    client: hyper::upgrade::OnUpgrade,
    upstream: hyper::upgrade::OnUpgrade,
    mut t: Tunnel,
    g: Arc<Guard>,
) {
    use hyper_util::rt::TokioIo;
    let (Ok(client), Ok(upstream)) = tokio::join!(client, upstream) else {
        return;
    };
    g.metrics.tunnels.fetch_add(1, Ordering::Relaxed);
    g.metrics.tunnels_open.fetch_add(1, Ordering::Relaxed);
    let (mut client, mut upstream) = (TokioIo::new(client), TokioIo::new(upstream));
    let ended = |why: &str| g.metrics.count(&g.metrics.tunnels_ended, why);
    let token = t.token.clone();
    let token_ends = async {
        let Some(held) = token else {
            return std::future::pending::<&'static str>().await;
        };
        let mut tick = tokio::time::interval(TUNNEL_RECHECK);
        loop {
            tick.tick().await;
            let now = (g.clock)();
            if held.until.is_some_and(|u| now >= u) {
                return "token_expired";
            }
            if g.denied.get_key(&held.key, now).is_some() {
                return "token_revoked";
            }
        }
    };
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut upstream) => ended("closed"),
        _ = t.stop.changed() => ended("guard_stopped"),
        why = token_ends => ended(why),
    }
    g.metrics.tunnels_open.fetch_sub(1, Ordering::Relaxed);
    drop(t.permit);
}

/// Serves the guard on `listener` until `shutdown` completes, letting
/// requests in flight finish: [`serve_router`] with the guard's header
/// timeout and its cap on connections.
pub async fn serve(
    g: Arc<Guard>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limit = Limit {
        permits: g.connections.permits.clone(),
        on_wait: Box::new({
            let g = g.clone();
            move || g.connection_waited()
        }),
    };
    let timeout = Duration::from_secs(g.config().header_timeout_seconds);
    // HTTPS: the certificate in force when each connection comes (a
    // reload's renewed one from then on), and the handshakes counted.
    let tls = g.acceptor().is_some().then(|| g.clone());
    accept_loop(g.router(), listener, timeout, Some(limit), tls, shutdown).await
}

/// Serves `router` on `listener` as the guard serves itself, until
/// `shutdown` completes, letting requests in flight finish: over HTTP/1.1,
/// a connection that takes longer than `header_timeout` to send a request's
/// head (a slowloris, or one that sits idle) is closed, and each request
/// carries the client's address as axum's `ConnectInfo`. For any server
/// here that may face a network (`axum::serve` sets no timer).
pub async fn serve_router(
    router: axum::Router,
    listener: tokio::net::TcpListener,
    header_timeout: Duration,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    accept_loop(router, listener, header_timeout, None, None, shutdown).await
}

/// A cap on connections open at once: a permit each, and what to do when
/// a listener has to wait for one.
struct Limit {
    permits: Arc<tokio::sync::Semaphore>,
    on_wait: Box<dyn Fn() + Send + Sync>,
}

async fn accept_loop(
    router: axum::Router,
    listener: tokio::net::TcpListener,
    header_timeout: Duration,
    limit: Option<Limit>,
    tls: Option<Arc<Guard>>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::TokioTimer;
    // A connection that dribbles its headers (slowloris) or sits idle past
    // the timeout is closed: a few hundred of them cannot hold every
    // descriptor the server has.
    // HTTP/1.1, and HTTP/2 without TLS where a client opens with its
    // preface (h2c with prior knowledge: gRPC's clients, and proxies in
    // front that speak HTTP/2 to their backends), told apart by the first
    // bytes ([`speaks_h2`]).
    let exec = hyper_util::rt::TokioExecutor::new();
    let mut h1 = hyper_util::server::conn::auto::Builder::new(exec.clone()).http1_only();
    h1.http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    // An HTTP/2 connection that stops answering pings is closed. Its
    // headers may be as large as a large token needs (64 KiB, where
    // hyper's 16 KiB would refuse a token with many group claims); hyper's
    // other limits stand (200 streams at once, resets counted).
    let mut h2 = hyper_util::server::conn::auto::Builder::new(exec).http2_only();
    h2.http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(header_timeout))
        .keep_alive_timeout(header_timeout)
        .max_header_list_size(64 * 1024);
    let builders = Arc::new((h1, h2));
    // Told to every connection (and tunnel) when the server stops; each
    // holds a receiver until it ends, so the sender's `closed` is when all
    // have.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(());
    tokio::pin!(shutdown);
    loop {
        // A connection's permit before the connection: at the cap, the next
        // waits in the kernel's queue until one closes.
        let permit = match &limit {
            None => None,
            Some(l) => Some(Arc::new(match l.permits.clone().try_acquire_owned() {
                Ok(p) => p,
                Err(_) => {
                    (l.on_wait)();
                    tokio::select! {
                        p = l.permits.clone().acquire_owned() => match p {
                            Ok(p) => p,
                            Err(_) => break,
                        },
                        () = &mut shutdown => break,
                    }
                }
            })),
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                // Out of descriptors, a connection reset before it was
                // taken: a moment, then the next one.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let tunnel = Tunnel {
            stop: stop_rx.clone(),
            permit: permit.clone(),
            token: None,
        };
        // The client's address as `ConnectInfo`, as axum's own server
        // gives it; and to a request that asks for an upgrade, what its
        // tunnel would need.
        let svc = hyper::service::service_fn(move |mut req: Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            if req.headers().contains_key(header::UPGRADE) {
                req.extensions_mut().insert(tunnel.clone());
            }
            tower::ServiceExt::oneshot(router.clone(), req)
        });
        let stop = stop_rx.clone();
        let builders = builders.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            match tls.as_deref().and_then(|g| Some((g, g.acceptor()?))) {
                // HTTPS: the protocol is the one ALPN agreed on. A client
                // that does not finish its handshake within the header
                // timeout is closed.
                Some((g, acceptor)) => {
                    let handshake = tokio::time::timeout(header_timeout, acceptor.accept(stream));
                    let stream = match handshake.await {
                        Ok(Ok(s)) => s,
                        _ => {
                            g.metrics.count(&g.metrics.tls_handshakes, "failed");
                            return;
                        }
                    };
                    g.metrics.count(&g.metrics.tls_handshakes, "done");
                    let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
                    // The client certificate it presented, if any, to each
                    // of its requests (a header could be forged; this not).
                    let cert = crate::tls::presented(stream.get_ref().1);
                    let svc = hyper::service::service_fn(
                        move |mut req: Request<hyper::body::Incoming>| {
                            if let Some(c) = &cert {
                                req.extensions_mut().insert(c.clone());
                            }
                            hyper::service::Service::call(&svc, req)
                        },
                    );
                    serve_connection(&builders, h2, stream, svc, stop).await;
                }
                // A connection that sends nothing within the header timeout
                // is closed before any protocol is chosen.
                None => {
                    let Some(h2) = speaks_h2(&stream, header_timeout).await else {
                        return;
                    };
                    serve_connection(&builders, h2, stream, svc, stop).await;
                }
            }
            drop(permit);
        });
    }
    drop(listener);
    let _ = stop_tx.send(());
    drop(stop_rx);
    stop_tx.closed().await;
    Ok(())
}

/// Serves one client connection (`h2`: in HTTP/2) until it closes, or
/// until the server stops: then the requests in flight are answered and
/// the connection closes.
async fn serve_connection<I, S, B>(
    builders: &(
        hyper_util::server::conn::auto::Builder<hyper_util::rt::TokioExecutor>,
        hyper_util::server::conn::auto::Builder<hyper_util::rt::TokioExecutor>,
    ),
    h2: bool,
    io: I,
    svc: S,
    mut stop: tokio::sync::watch::Receiver<()>,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    S: hyper::service::Service<Request<hyper::body::Incoming>, Response = http::Response<B>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let builder = if h2 { &builders.1 } else { &builders.0 };
    let conn = builder
        .serve_connection_with_upgrades(hyper_util::rt::TokioIo::new(io), svc)
        .into_owned();
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = stop.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

/// Whether a connection opens with HTTP/2's preface (RFC 9113 §3.4), by
/// its first bytes, peeked (left for the server to read): `None` if it
/// closes, or sends nothing that decides within `timeout`. A byte that
/// differs from the preface decides HTTP/1.1 at once.
async fn speaks_h2(stream: &tokio::net::TcpStream, timeout: Duration) -> Option<bool> {
    const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    let deadline = tokio::time::Instant::now() + timeout;
    let mut buf = [0u8; 24];
    loop {
        let n = tokio::time::timeout_at(deadline, stream.peek(&mut buf))
            .await
            .ok()?
            .ok()?;
        if n == 0 {
            return None;
        }
        if buf[..n] != PREFACE[..n] {
            return Some(false);
        }
        if n == PREFACE.len() {
            return Some(true);
        }
        // Part of the preface: peeking again at once would return the
        // same bytes; wait a moment for the rest.
        tokio::time::sleep(Duration::from_millis(5)).await;
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
    }
}

/// `n` listeners on `addr`, ready for any runtime. On Unix each is a
/// socket of its own joined to the port with `SO_REUSEPORT`, and the kernel
/// spreads new connections among them evenly (one socket shared by several
/// threads leaves a burst of connections to whichever thread wakes first:
/// measured here, all 16 of wrk's on one thread). The port must be free
/// first: a plain bind says so (a guard already there refuses it even though
/// its own sockets share), so a second guard fails to start instead of
/// taking a share of the connections unseen. Elsewhere the threads share
/// one socket. Port 0 picks a port for all of them.
fn listeners(
    addr: SocketAddr,
    n: usize,
) -> std::io::Result<(SocketAddr, Vec<std::net::TcpListener>)> {
    let probe = std::net::TcpListener::bind(addr)?;
    let at = probe.local_addr()?;
    #[cfg(unix)]
    {
        drop(probe);
        (0..n.max(1))
            .map(|_| {
                let s = if at.is_ipv4() {
                    tokio::net::TcpSocket::new_v4()?
                } else {
                    tokio::net::TcpSocket::new_v6()?
                };
                s.set_reuseaddr(true)?;
                s.set_reuseport(true)?;
                s.bind(at)?;
                s.listen(1024)?.into_std()
            })
            .collect::<std::io::Result<_>>()
            .map(|all| (at, all))
    }
    #[cfg(not(unix))]
    {
        probe.set_nonblocking(true)?;
        let mut all = (1..n.max(1))
            .map(|_| probe.try_clone())
            .collect::<std::io::Result<Vec<_>>>()?;
        all.push(probe);
        Ok((at, all))
    }
}

/// Serves the guard on `addr` with one single-threaded runtime per core
/// (`threads` of them), each accepting on its own listener of the port
/// ([`listeners`]) and keeping its own upstream connections: a connection,
/// its upstream requests and every wake-up stay on the core that accepted
/// it, where a work-stealing runtime moves tasks and wakes the other core's
/// thread for them. Returns once the port is bound, with the address and a
/// handle whose [`PerCore::stop`] lets requests in flight finish and then
/// returns. Call it within a Tokio runtime: background work (key refreshes
/// started at load, the cluster's worker) runs on the caller's runtime,
/// which must keep running.
pub fn serve_per_core(
    g: Arc<Guard>,
    addr: SocketAddr,
    threads: usize,
) -> std::io::Result<(SocketAddr, PerCore)> {
    let (at, listeners) = listeners(addr, threads)?;
    let (tx, rx) = tokio::sync::watch::channel(false);
    let mut joins = Vec::new();
    for (i, l) in listeners.into_iter().enumerate() {
        let (g, mut rx) = (g.clone(), rx.clone());
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let join = std::thread::Builder::new()
            .name(format!("guard-{i}"))
            .spawn(move || {
                rt.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(l)?;
                    serve(g, listener, async move {
                        let _ = rx.wait_for(|stop| *stop).await;
                    })
                    .await
                })
            })?;
        joins.push(join);
    }
    Ok((at, PerCore { stop: tx, joins }))
}

/// The threads of [`serve_per_core`]. Dropping it stops them too, without
/// waiting for them.
pub struct PerCore {
    stop: tokio::sync::watch::Sender<bool>,
    joins: Vec<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl PerCore {
    /// Stops accepting, lets requests in flight finish, and returns the
    /// first error a thread met.
    pub fn stop(self) -> std::io::Result<()> {
        let _ = self.stop.send(true);
        let mut first = Ok(());
        for j in self.joins {
            let r = j
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("a guard thread panicked")));
            if first.is_ok() {
                first = r;
            }
        }
        first
    }
}

#[cfg(test)]
mod tests {
    use super::{TokenCache, Windows};
    use std::time::Instant;

    #[test]
    fn a_secret_file_is_read_bounded() {
        let dir = std::env::temp_dir().join(format!("authdoctor-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_default();
        let ok = dir.join("secret");
        std::fs::write(&ok, "s3cret\n").unwrap_or_default();
        assert_eq!(super::read_secret_file(&ok).as_deref(), Ok("s3cret"));
        let e = super::read_secret_file(std::path::Path::new("/dev/zero")).unwrap_err();
        assert!(e.contains("larger than"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_full_map_of_live_windows_is_swept_at_most_once_a_second() {
        let mut w: Windows<u64, Instant> = Windows::new();
        for i in 0..1000 {
            w.insert(i, Instant::now());
        }
        let sweeps = std::cell::Cell::new(0);
        let live = |_: &Instant| {
            sweeps.set(sweeps.get() + 1);
            true
        };
        // Full of live windows: the first newcomer sweeps (and finds no
        // room), the next thousand are refused without a scan.
        for _ in 0..1001 {
            assert!(!w.room(1000, live));
        }
        assert_eq!(sweeps.get(), 1000, "one sweep of the thousand windows");
        assert!(w.room(1001, live), "under its bound, room without a sweep");
    }

    #[test]
    fn the_token_cache_stays_bounded_under_a_flood_of_live_entries() {
        let c: TokenCache<Option<u8>> = TokenCache::new(1_000);
        for i in 0..50_000 {
            c.put(&format!("opaque-{i}"), None, 10_000, 0);
            assert!(super::lock(&c.map).len() <= 1_000);
        }
        // The newest answer is kept and read back; an expired one is gone.
        assert_eq!(c.get("opaque-49999", 1), Some(None));
        c.put("short", Some(7), 5, 0);
        assert_eq!(c.get("short", 4), Some(Some(7)));
        assert_eq!(c.get("short", 5), None);
        // Size 0 turns the cache off.
        let off: TokenCache<u8> = TokenCache::new(0);
        off.put("t", 1, 100, 0);
        assert_eq!(off.get("t", 1), None);
    }
}
