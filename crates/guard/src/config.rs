//! The guard's configuration: a TOML file (or the flags of the one-route
//! case), read into plain values. Every field has the default a careful
//! operator would choose.
//!
//! ```toml
//! listen = "127.0.0.1:8080"
//! upstream = "http://127.0.0.1:9000"  # or https://, verified against the system's CAs …
//! # upstream_ca = "/etc/authdoctor/internal-ca.pem"   # … and these
//! audience = "https://api.example.com"
//! algorithms = ["RS256", "ES256"]     # default: every asymmetric JWS algorithm
//! leeway = 60                         # seconds of clock-skew allowance
//! require_at_jwt = false              # RFC 9068 typ at+jwt
//! require_exp = true                  # a token that never expires is refused
//! strip_token = true                  # the upstream never sees the token
//! dpop = false                        # take DPoP-bound tokens with their proof (RFC 9449)
//!
//! # [tls]                             # serve HTTPS (HTTP/1.1 and HTTP/2 by ALPN)
//! # cert = "/etc/authdoctor/guard.crt"  # the chain, PEM; re-read on SIGHUP
//! # key = "/etc/authdoctor/guard.key"
//! # client_ca = "/etc/authdoctor/clients-ca.pem"  # ask clients for a certificate (mutual TLS)
//!
//! [[issuers]]
//! issuer = "https://id.example.com"   # keys by discovery …
//! # jwks_uri = "https://id.example.com/jwks"   # … or named
//!
//! [forward_claims]                    # claim -> header sent upstream
//! sub = "x-auth-subject"
//!
//! [[routes]]                          # first match wins; unmatched routes need a valid token
//! method = "GET"                      # or "*"
//! path = "/orders*"                   # exact, or a prefix ending in *
//! scopes = ["orders:read"]
//! # public = true
//!
//! [limits]
//! window_seconds = 60
//! failures_per_client = 20            # failures in a window that flag a client …
//! distinct_credentials_per_client = 5 # … when they carry this many distinct credentials
//! failures_per_credential = 10        # one token failing this often: 429 for it
//! addresses_per_subject = 10          # one subject failing from this many addresses: flagged
//! block_seconds = 300
//! blocked_delay_ms = 1000            # a blocked client waits this long for its 429
//!
//! [log]
//! path = "/var/log/authdoctor-guard.jsonl"  # one JSON line per rejection
//! max_bytes = 10485760                      # then rotated to .1
//!
//! [redis]                             # several nodes share limits, revocations
//! url_env = "GUARD_REDIS_URL"         # redis://[:password@]host:port/db (or url = …)
//! prefix = "authdoctor:guard"         # nodes of one guard share a prefix
//! ```

use authdoctor_jose::Alg;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;

/// Why a configuration cannot be used. Messages name the field and the fix.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("The guard's configuration {path} could not be read: {err}.")]
    Read {
        /// The path.
        path: String,
        /// Why.
        err: std::io::Error,
    },
    /// Not valid TOML, or a field of the wrong type.
    #[error("The guard's configuration is not valid: {0}")]
    Toml(String),
    /// A value that cannot be used.
    #[error("The guard's configuration: {0}")]
    Invalid(String),
}

/// One trusted issuer.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerConfig {
    /// The issuer, compared exactly with `iss`.
    pub issuer: String,
    /// Its key set; found by OIDC discovery when absent.
    #[serde(default)]
    pub jwks_uri: Option<String>,
    /// Its RFC 7662 introspection endpoint: when set, every token is also
    /// asked about there (a revoked token is refused, an opaque one is
    /// judged by it), the answers cached for at most `introspection_cache`
    /// seconds.
    #[serde(default)]
    pub introspection_endpoint: Option<String>,
    /// The client the guard introspects as.
    #[serde(default)]
    pub client_id: Option<String>,
    /// The name of the environment variable that holds that client's
    /// secret (a configuration file is no place for it) …
    #[serde(default)]
    pub client_secret_env: Option<String>,
    /// … or a file that holds it (a mounted secret), its last newline
    /// dropped.
    #[serde(default)]
    pub client_secret_file: Option<PathBuf>,
    /// How long an introspection answer is trusted, seconds.
    #[serde(default = "thirty")]
    pub introspection_cache: u64,
    /// Refuse an active token whose introspection answer names no
    /// `token_type` (as token.wrong_type). For an issuer that names it for
    /// its access tokens only: npm oidc-provider (and the servers built on
    /// it) leaves it out for a refresh token, which is otherwise taken
    /// for an access token. Off by default: many issuers never name it.
    #[serde(default)]
    pub introspection_requires_token_type: bool,
}

fn thirty() -> u64 {
    30
}

/// Seconds a client may take to send a request's head, by default (as
/// Apache's mod_reqtimeout allows at most): the guard's, and any server
/// here that faces a network ([`crate::serve_router`]).
pub const HEADER_TIMEOUT_SECONDS: u64 = 30;

fn header_timeout() -> u64 {
    HEADER_TIMEOUT_SECONDS
}

fn upstream_timeout() -> u64 {
    60
}

/// One route rule.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    /// The method, or `*`.
    #[serde(default = "star")]
    pub method: String,
    /// The path: exact, or a prefix ending in `*`. It is matched against
    /// the request's path in canonical form (dot segments resolved, empty
    /// segments merged, escaped unreserved characters decoded: see
    /// [`crate::path`]), which is also the path sent upstream; a path with
    /// an encoded slash or a backslash is refused (400).
    pub path: String,
    /// Scopes the route needs.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Claims that must have these values (`{ role = "admin" }`); a claim
    /// that is a list must contain the value.
    #[serde(default)]
    pub claims: BTreeMap<String, String>,
    /// No token needed.
    #[serde(default)]
    pub public: bool,
}

fn star() -> String {
    "*".into()
}

/// The abuse limits.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// The sliding window, seconds.
    pub window_seconds: u64,
    /// Failures within a window that, with enough distinct credentials,
    /// flag a client as stuffing or guessing.
    pub failures_per_client: u32,
    /// Distinct failing credentials within a window that flag a client.
    pub distinct_credentials_per_client: u32,
    /// Failures of one credential (the same token or password) within a
    /// window after which it is answered 429 without being checked again,
    /// whoever sends it: a client retrying a dead token in a loop. A key
    /// the guard does not have yet (a rotation) never counts.
    pub failures_per_credential: u32,
    /// Distinct addresses from which one subject's tokens fail within a
    /// window that flag the subject (one account failing from many places:
    /// a stolen token replayed, a distributed brute force). Logged and
    /// counted, not blocked: the subject of a refused token is the token's
    /// word, not proven.
    pub addresses_per_subject: u32,
    /// How long a flagged client is answered 429 (unless its token is one
    /// the guard has already verified).
    pub block_seconds: u64,
    /// How long a blocked client waits for its 429, milliseconds: a client
    /// that sends its next guess when the last is answered slows to one per
    /// connection per delay, and stops taking the cores valid clients need.
    /// At most 10,000 wait at once (past that, answered at once); 0 answers
    /// at once.
    pub blocked_delay_ms: u64,
    /// The most clients tracked at once (memory stays bounded).
    pub max_clients: usize,
    /// The IPv6 prefix length that is one client to the limits: 64 by
    /// default, the network a home or a host is given, every address of
    /// which its holder can take (one address each would let a guesser
    /// start a fresh window with each request). 128 counts each address.
    /// An IPv4 address (or one mapped into IPv6) is always one client.
    pub ipv6_prefix: u8,
}

impl LimitsConfig {
    /// The client the limits count `ip` as: an IPv4 address as it is (one
    /// mapped into IPv6 as the IPv4 address it is), an IPv6 address as its
    /// network of `ipv6_prefix` bits.
    pub fn client_of(&self, ip: IpAddr) -> IpAddr {
        authdoctor_httpauth::forwarded::client_network(ip, self.ipv6_prefix)
    }

    /// How the limits' client `ip` (from [`LimitsConfig::client_of`]) is
    /// written in the log: an IPv6 network with its prefix length.
    pub fn client_shown(&self, ip: IpAddr) -> String {
        match ip {
            IpAddr::V6(_) if self.ipv6_prefix < 128 => format!("{ip}/{}", self.ipv6_prefix),
            _ => ip.to_string(),
        }
    }
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            window_seconds: 60,
            failures_per_client: 20,
            distinct_credentials_per_client: 5,
            failures_per_credential: 10,
            addresses_per_subject: 10,
            block_seconds: 300,
            blocked_delay_ms: 1000,
            max_clients: 100_000,
            ipv6_prefix: 64,
        }
    }
}

/// The reject log.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// The file; standard error when absent.
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// Rotated (to `.1`) past this size.
    #[serde(default = "ten_mib")]
    pub max_bytes: u64,
}

fn ten_mib() -> u64 {
    10 * 1024 * 1024
}

/// Where several guard nodes share state (the limiter's counters, the
/// revocation denylist, introspection's answers). Read at start; a reload
/// keeps the connection it has.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedisConfig {
    /// `redis://[:password@]host:port/db` …
    #[serde(default)]
    pub url: Option<String>,
    /// … or the environment variable that holds it (a password has no
    /// place in a configuration file).
    #[serde(default)]
    pub url_env: Option<String>,
    /// The prefix of every key and of the notice channel.
    #[serde(default = "prefix")]
    pub prefix: String,
}

fn prefix() -> String {
    "authdoctor:guard".into()
}

impl RedisConfig {
    /// The URL, from the file or the environment.
    pub fn resolve(&self) -> Result<String, ConfigError> {
        match (&self.url, &self.url_env) {
            (Some(u), None) => Ok(u.clone()),
            (None, Some(var)) => std::env::var(var).map_err(|_| {
                ConfigError::Invalid(format!(
                    "redis.url_env names {var}, which is not set: export it, or give redis.url"
                ))
            }),
            _ => Err(ConfigError::Invalid(
                "[redis] needs exactly one of url and url_env".into(),
            )),
        }
    }
}

/// The most serving threads a configuration may ask for.
pub const MAX_THREADS: usize = 256;

/// The certificate the guard serves (`[tls]`): HTTP/1.1 and HTTP/2,
/// chosen by ALPN, over TLS 1.2 or 1.3.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// The certificate chain, PEM: the server's certificate first, then the
    /// intermediates (a `fullchain.pem`).
    pub cert: PathBuf,
    /// Its private key, PEM (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// The CA certificates (PEM) that sign client certificates (mutual
    /// TLS): set, the guard asks each client for a certificate and accepts
    /// one this CA signed (a client without one is still served, as a
    /// token not bound to a certificate needs none); a token bound to a
    /// certificate (RFC 8705: `cnf` `x5t#S256`) passes only over a
    /// connection that presented that certificate.
    #[serde(default)]
    pub client_ca: Option<PathBuf>,
}

/// The whole configuration.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuardConfig {
    /// Where the guard listens.
    #[serde(default = "listen")]
    pub listen: String,
    /// Where `/healthz` and `/metrics` are served apart from the port
    /// clients reach (`127.0.0.1:9901`): the upstream's own paths of those
    /// names are then its own again, and the guard's counts are not told to
    /// every client. Absent: on `listen`, beside the proxied paths. Read at
    /// start.
    #[serde(default)]
    pub admin_listen: Option<String>,
    /// Threads serving requests, each accepting on its own listener of the
    /// port (`SO_REUSEPORT` on Unix) with its own upstream connections (read
    /// at start; a reload keeps the threads). 0, the default: one per core.
    #[serde(default)]
    pub threads: usize,
    /// Seconds a client may take to send a request's head, or to send the
    /// next one on a kept-alive connection; slower, the connection is
    /// closed (a slowloris holds no descriptor for long). Default 30, as
    /// Apache's mod_reqtimeout allows at most; read at start.
    #[serde(default = "header_timeout")]
    pub header_timeout_seconds: u64,
    /// Seconds the upstream may take to answer a request's head, once the
    /// request is sent; slower, the client gets 504 (a hung upstream holds
    /// no client's connection, nor the guard's, for ever). Default 60, as
    /// nginx's proxy_read_timeout.
    #[serde(default = "upstream_timeout")]
    pub upstream_timeout_seconds: u64,
    /// Client connections open at once, over all threads; past it the
    /// guard accepts no more until one closes (they wait in the kernel's
    /// queue: a flood of idle connections cannot take every descriptor the
    /// guard needs for its upstream and its keys). 0, the default: half the
    /// process's open-file limit (each client's connection may need one
    /// upstream), at most 50,000; read at start.
    #[serde(default)]
    pub max_connections: usize,
    /// The proxies in front of the guard (a load balancer, a CDN): addresses
    /// or networks (`10.0.0.0/8`, `2001:db8::/32`, `127.0.0.1`). A request
    /// from one of them is the client's that its `X-Forwarded-For` names:
    /// the last address in it that is not itself a trusted proxy (as
    /// nginx's `real_ip_recursive`), so limits, flags and the reject log are
    /// per client rather than all the load balancer's. An address a client
    /// wrote into the header itself is never reached: the proxy appends the
    /// one it saw. Empty (the default): the connection's own address.
    #[serde(default, deserialize_with = "networks")]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The API it protects (the proxy needs it; the tower layer, which
    /// guards handlers in the same process, does not): `http://`, spoken
    /// to in HTTP/1.1, and in HTTP/2 without TLS for a gRPC call that came
    /// in HTTP/2 (a gRPC API takes HTTP/2 with prior knowledge, as gRPC
    /// servers do); or `https://`, the same over TLS (HTTP/2 by ALPN), its
    /// certificate verified against the system's trust store and
    /// [`GuardConfig::upstream_ca`].
    #[serde(default)]
    pub upstream: String,
    /// More CA certificates (a PEM file) trusted for an `https://`
    /// upstream, beside the system's: an internal CA. Read at start and at
    /// each reload.
    #[serde(default)]
    pub upstream_ca: Option<PathBuf>,
    /// HTTPS for the guard's clients ([`TlsConfig`]); absent, the guard
    /// speaks plain HTTP (behind a load balancer that terminates TLS).
    /// On or off is read at start; the files at start and at each reload.
    #[serde(default)]
    pub tls: Option<TlsConfig>,
    /// The `realm` of its challenges.
    #[serde(default = "realm")]
    pub realm: String,
    /// Where clients reach the guard (`https://api.example.com`), for the
    /// `resource_metadata` URL of its challenges; else the request's Host.
    #[serde(default)]
    pub public_url: Option<String>,
    /// The audience tokens must name (the resource's identifier, in its
    /// RFC 9728 metadata too).
    pub audience: String,
    /// Other audiences accepted as this resource's own: an API known by
    /// several identifiers (Azure AD's v1 tokens name `api://…`, its v2
    /// tokens the application's id; an identifier being renamed).
    #[serde(default)]
    pub other_audiences: Vec<String>,
    /// The trusted issuers.
    pub issuers: Vec<IssuerConfig>,
    /// Accepted algorithms.
    #[serde(default)]
    pub algorithms: Vec<String>,
    /// Clock-skew allowance, seconds.
    #[serde(default = "sixty")]
    pub leeway: u64,
    /// Require `typ: at+jwt`.
    #[serde(default)]
    pub require_at_jwt: bool,
    /// Require `exp` (RFC 9068 §2.2), in seconds since the epoch: a token
    /// without one, or with one in milliseconds, would never expire, and
    /// is refused (`token.malformed`), as express-oauth2-jwt-bearer and
    /// jsonwebtoken's defaults refuse it. `false` only for an issuer that
    /// mints tokens without an end (revocation is then the only end).
    #[serde(default = "yes")]
    pub require_exp: bool,
    /// Strip `Authorization` before forwarding an admitted request. A
    /// bearer token on a public route (or a CORS preflight) is never
    /// forwarded: nobody checked it.
    #[serde(default = "yes")]
    pub strip_token: bool,
    /// Let CORS preflights through without a token (an `OPTIONS` request
    /// with `Origin` and `Access-Control-Request-Method`): a browser never
    /// sends credentials with one, so refusing it with 401 blocks every
    /// cross-origin call (the doctor's `cors.blocked`). The upstream
    /// answers it. Default true.
    #[serde(default = "yes")]
    pub pass_cors_preflight: bool,
    /// Take DPoP-bound tokens (RFC 9449): `Authorization: DPoP <token>`
    /// with a `DPoP` proof of the token's key for this request (its method
    /// and URL, at most a minute old, never used before), the token's
    /// `cnf.jkt` that key's thumbprint. Off by default: a DPoP-bound token
    /// is then refused, as one sent as Bearer always is.
    #[serde(default)]
    pub dpop: bool,
    /// Claims forwarded upstream as headers.
    #[serde(default)]
    pub forward_claims: BTreeMap<String, String>,
    /// Route rules, first match wins.
    #[serde(default)]
    pub routes: Vec<RouteConfig>,
    /// Abuse limits.
    #[serde(default)]
    pub limits: LimitsConfig,
    /// The reject log.
    #[serde(default)]
    pub log: LogConfig,
    /// The most verified tokens remembered (0 turns the cache off).
    #[serde(default = "cache_size")]
    pub verified_token_cache: usize,
    /// State shared with other nodes; none when absent.
    #[serde(default)]
    pub redis: Option<RedisConfig>,
}

fn listen() -> String {
    "127.0.0.1:8080".into()
}
fn realm() -> String {
    "api".into()
}
/// An address or a network as written: `10.0.0.0/8`, `127.0.0.1` (a
/// network of one).
pub fn network(s: &str) -> Option<ipnet::IpNet> {
    s.parse::<ipnet::IpNet>()
        .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .ok()
}

/// Addresses or networks, each as a string: `10.0.0.0/8`, `127.0.0.1`.
fn networks<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<ipnet::IpNet>, D::Error> {
    Vec::<String>::deserialize(d)?
        .iter()
        .map(|s| {
            network(s)
                .ok_or_else(|| {
                    serde::de::Error::custom(format!(
                        "{s:?} in trusted_proxies is neither an address nor a network: write 10.0.0.5 or 10.0.0.0/8"
                    ))
                })
        })
        .collect()
}

fn sixty() -> u64 {
    60
}
fn yes() -> bool {
    true
}
fn cache_size() -> usize {
    100_000
}

/// A TOML error on one line: where, by line and column, and what. The
/// parser's own text draws the line under it, a Redis URL's password or
/// whatever else the line holds included; a value it quotes is scrubbed.
fn one_line(text: &str, e: &toml::de::Error) -> String {
    let what = authdoctor_secret::scrub(e.message().trim_end_matches('\n')).replace('\n', " ");
    match e.span() {
        Some(span) => {
            let before = text.get(..span.start).unwrap_or(text);
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("line {line}, column {column}: {what}")
        }
        None => what,
    }
}

impl GuardConfig {
    /// Reads and checks a TOML file.
    pub fn from_file(path: &std::path::Path) -> Result<GuardConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|err| ConfigError::Read {
            path: path.display().to_string(),
            err,
        })?;
        GuardConfig::from_toml(&text)
    }

    /// Reads and checks TOML text.
    pub fn from_toml(text: &str) -> Result<GuardConfig, ConfigError> {
        let c: GuardConfig =
            toml::from_str(text).map_err(|e| ConfigError::Toml(one_line(text, &e)))?;
        c.check()?;
        Ok(c)
    }

    /// Checks what serde cannot.
    pub fn check(&self) -> Result<(), ConfigError> {
        if self.threads > MAX_THREADS {
            return Err(ConfigError::Invalid(format!(
                "threads = {} is more than {MAX_THREADS}: give the number of cores to use, or 0 for all of them",
                self.threads
            )));
        }
        if !(1..=128).contains(&self.limits.ipv6_prefix) {
            return Err(ConfigError::Invalid(format!(
                "limits.ipv6_prefix = {} is not a prefix length: give 1 to 128 bits (64, the default, counts each /64 network as one client; 128 each address)",
                self.limits.ipv6_prefix
            )));
        }
        if self.header_timeout_seconds == 0 {
            return Err(ConfigError::Invalid(
                "header_timeout_seconds = 0 would close every connection: give the seconds a client may take to send a request's headers (30 is the default)".into(),
            ));
        }
        if self.upstream_timeout_seconds == 0 {
            return Err(ConfigError::Invalid(
                "upstream_timeout_seconds = 0 would answer every request 504: give the seconds the upstream may take to answer (60 is the default)".into(),
            ));
        }
        if self.issuers.is_empty() {
            return Err(ConfigError::Invalid(
                "no issuer is trusted: add an [[issuers]] table with issuer = \"https://…\"".into(),
            ));
        }
        if let Some(i) = self
            .issuers
            .iter()
            .find(|i| i.introspection_requires_token_type && i.introspection_endpoint.is_none())
        {
            return Err(ConfigError::Invalid(format!(
                "issuer {:?} sets introspection_requires_token_type without an introspection_endpoint: name the endpoint, or drop the setting",
                i.issuer
            )));
        }
        if !self.upstream.is_empty() {
            let up = url::Url::parse(&self.upstream).map_err(|_| {
                ConfigError::Invalid(format!("upstream {:?} is not a URL", self.upstream))
            })?;
            if !matches!(up.scheme(), "http" | "https") {
                return Err(ConfigError::Invalid(format!(
                    "upstream {:?} is not http(s)",
                    self.upstream
                )));
            }
            if self.upstream_ca.is_some() && up.scheme() == "http" {
                return Err(ConfigError::Invalid(format!(
                    "upstream_ca names the CA of an https:// upstream, and the upstream {:?} is http://: give its https:// address, or remove upstream_ca",
                    self.upstream
                )));
            }
        }
        for a in &self.algorithms {
            if matches!(Alg::parse(a), Alg::Other(_) | Alg::None(_)) {
                return Err(ConfigError::Invalid(format!(
                    "algorithm {a:?} is not a JWS signature algorithm (RS256, ES256, EdDSA …)"
                )));
            }
        }
        if let Some(r) = &self.redis {
            let u = r.resolve()?;
            match url::Url::parse(&u) {
                Ok(p) if matches!(p.scheme(), "redis" | "unix" | "redis+unix") => {}
                _ => {
                    return Err(ConfigError::Invalid(format!(
                        "redis url {:?} is not redis://host:port",
                        authdoctor_secret::scrub(&u)
                    )));
                }
            }
        }
        for (claim, header) in &self.forward_claims {
            if http::HeaderName::from_bytes(header.as_bytes()).is_err() {
                return Err(ConfigError::Invalid(format!(
                    "forward_claims.{claim} = {header:?} is not a header name"
                )));
            }
        }
        Ok(())
    }

    /// The algorithms accepted: the configured ones, or every asymmetric one.
    pub fn algorithms(&self) -> Vec<Alg> {
        if self.algorithms.is_empty() {
            [
                "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
                "EdDSA",
            ]
            .iter()
            .map(|a| Alg::parse(a))
            .collect()
        } else {
            self.algorithms.iter().map(|a| Alg::parse(a)).collect()
        }
    }

    /// Whether `ip` is one of `trusted_proxies`: its forwarding headers are
    /// a proxy's word.
    pub fn trusts(&self, ip: &IpAddr) -> bool {
        self.trusted_proxies.iter().any(|n| n.contains(ip))
    }

    /// The client a request comes from: `peer`, the connection's address,
    /// unless it is a trusted proxy; then the last address of
    /// `X-Forwarded-For` (every such header, in order) that is not a
    /// trusted proxy, walking back from the one the proxy appended. A hop
    /// that is no address stops the walk at the last good one.
    pub fn client_behind(&self, peer: IpAddr, headers: &http::HeaderMap) -> IpAddr {
        let trusted = |ip: &IpAddr| self.trusts(ip);
        if !trusted(&peer) {
            return peer;
        }
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .collect();
        authdoctor_httpauth::forwarded::last_untrusted(hops.into_iter(), trusted)
            .map_or(peer, |(_, ip)| ip)
    }

    /// The first route rule that matches, if any.
    pub fn route(&self, method: &str, path: &str) -> Option<&RouteConfig> {
        self.rule_index(method, path, false)
            .map(|i| &self.routes[i])
    }

    /// The rule for `path` as every kind of server reads it, or why no one
    /// rule can be chosen. Servers differ on three things a rule hangs on:
    /// - a segment's `;` parameters: part of its name to most, dropped by
    ///   Tomcat, Jetty and Spring (`/admin;x` is `/admin` to them);
    /// - letter case, and a segment's trailing dots and spaces: IIS and
    ///   other Windows servers ignore them (`/ADMIN` and `/admin.` are
    ///   `/admin` to them);
    /// - how often they decode it: `/%2561dmin` is `/admin` to a server
    ///   that decodes twice ([`crate::path::as_double_decoders_read`]).
    ///
    /// When any reading falls under another rule than the path as sent,
    /// the request is refused rather than judged by the more lenient one.
    /// (The path is canonical already: [`crate::path::canonical`].)
    pub fn route_as_read(
        &self,
        method: &str,
        path: &str,
    ) -> Result<Option<&RouteConfig>, &'static str> {
        let rule = self.rule_index(method, path, false);
        let twice = crate::path::as_double_decoders_read(path);
        if matches!(twice, Ok(std::borrow::Cow::Owned(_)) | Err(_)) {
            let twice = twice.map(|p| self.rule_index(method, &p, true));
            if twice != Ok(rule) {
                return Err(
                    "The request path holds an encoded % (%25), and decoded again, as some servers do, it is another path under another rule; send the path encoded once.",
                );
            }
        }
        let plain = crate::path::without_parameters(path);
        if matches!(plain, std::borrow::Cow::Owned(_))
            && self.rule_index(method, &plain, false) != rule
        {
            return Err(
                "The request path's ; parameters change which rule applies to it, and servers differ on whether they are part of the path; send the path without them.",
            );
        }
        if self.rule_index(method, &plain, true) != rule {
            return Err(
                "The request path's letter case changes which rule applies to it, and servers differ on whether case matters (IIS ignores it); send the path in the case the rules name.",
            );
        }
        let windows = crate::path::as_windows_reads(&plain);
        if matches!(windows, std::borrow::Cow::Owned(_))
            && self.rule_index(method, &windows, true) != rule
        {
            return Err(
                "The request path's segments end in dots or spaces, which Windows servers (IIS) drop, and that changes which rule applies to it; send the path without them.",
            );
        }
        Ok(rule.map(|i| &self.routes[i]))
    }

    /// The place of the first rule matching `path`, its letters' case
    /// ignored or not.
    fn rule_index(&self, method: &str, path: &str, any_case: bool) -> Option<usize> {
        let same = |a: &[u8], b: &[u8]| {
            if any_case {
                a.eq_ignore_ascii_case(b)
            } else {
                a == b
            }
        };
        let find = |method: &str| {
            self.routes.iter().position(|r| {
                (r.method == "*" || r.method.eq_ignore_ascii_case(method))
                    && match r.path.strip_suffix('*') {
                        Some(prefix) => path
                            .as_bytes()
                            .get(..prefix.len())
                            .is_some_and(|head| same(head, prefix.as_bytes())),
                        None => same(path.as_bytes(), r.path.as_bytes()),
                    }
            })
        };
        // HEAD is GET without the body (RFC 9110 §9.3.2), and servers route
        // it to the GET handler: without a rule of its own, GET's applies.
        find(method).or_else(|| {
            method
                .eq_ignore_ascii_case("HEAD")
                .then(|| find("GET"))
                .flatten()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The least a configuration holds; tests add what they try.
    const BASE: &str =
        "upstream = \"http://x\"\naudience = \"a\"\n[[issuers]]\nissuer = \"https://i\"\n";

    #[test]
    fn a_rule_is_chosen_only_when_every_server_s_reading_agrees() {
        let c = GuardConfig::from_toml(&format!(
            "{BASE}[[routes]]\npath = \"/Reports*\"\nscopes = [\"r\"]\n[[routes]]\npath = \"/admin\"\nscopes = [\"a\"]\n[[routes]]\npath = \"/*\"\npublic = true\n"
        ))
        .unwrap();
        let scopes = |p: &str| {
            c.route_as_read("GET", p)
                .map(|r| r.map(|r| r.scopes.clone()))
        };
        assert_eq!(scopes("/Reports/1"), Ok(Some(vec!["r".to_owned()])));
        assert_eq!(scopes("/Reports;v=1/1"), Ok(Some(vec!["r".to_owned()])));
        assert_eq!(scopes("/admin"), Ok(Some(vec!["a".to_owned()])));
        assert_eq!(scopes("/news;v=1"), Ok(Some(vec![])));
        assert_eq!(scopes("/news./x"), Ok(Some(vec![])));
        assert_eq!(scopes("/Reports./1"), Ok(Some(vec!["r".to_owned()])));
        // An escaped % that changes nothing, decoded twice: kept.
        assert_eq!(scopes("/news/50%2525"), Ok(Some(vec![])));
        assert_eq!(scopes("/Reports/%2541"), Ok(Some(vec!["r".to_owned()])));
        for p in [
            "/admin;x",
            "/ADMIN",
            "/reports/1",
            "/aDmin;jsessionid=1",
            "/admin.",
            "/admin%20",
            "/Admin.. ",
            // Decoded twice: /admin, or a slash.
            "/%2561dmin",
            "/news/..%252F..%252Fadmin",
            "/news%252F..%252Fadmin",
        ] {
            assert!(scopes(p).is_err(), "{p}");
        }
    }

    #[test]
    fn the_client_behind_a_trusted_proxy_is_the_last_untrusted_hop() {
        let c = GuardConfig::from_toml(&format!(
            "trusted_proxies = [\"127.0.0.1\", \"10.0.0.0/8\", \"2001:db8:1::/48\"]\n{BASE}"
        ))
        .unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let behind = |peer: &str, xff: &[&str]| {
            let mut h = http::HeaderMap::new();
            for v in xff {
                h.append("x-forwarded-for", v.parse().unwrap());
            }
            c.client_behind(ip(peer), &h)
        };
        // An untrusted connection is its own client, whatever it writes.
        assert_eq!(behind("198.51.100.7", &["203.0.113.9"]), ip("198.51.100.7"));
        // A load balancer's: the address it appended.
        assert_eq!(behind("127.0.0.1", &["203.0.113.9"]), ip("203.0.113.9"));
        // What the client wrote itself, left of it, is never reached.
        assert_eq!(
            behind("127.0.0.1", &["6.6.6.6, 203.0.113.9"]),
            ip("203.0.113.9")
        );
        // A chain of trusted proxies, over two header lines.
        assert_eq!(
            behind("10.0.0.3", &["6.6.6.6, 203.0.113.9", "10.0.0.2"]),
            ip("203.0.113.9")
        );
        // Ports and brackets; IPv6 networks.
        assert_eq!(
            behind("2001:db8:1::5", &["[2001:db8:2::1]:443"]),
            ip("2001:db8:2::1")
        );
        assert_eq!(
            behind("127.0.0.1", &["203.0.113.9:5123"]),
            ip("203.0.113.9")
        );
        // No header, or nothing but trusted hops and garbage: the last good.
        assert_eq!(behind("127.0.0.1", &[]), ip("127.0.0.1"));
        assert_eq!(behind("127.0.0.1", &["unknown, 10.0.0.2"]), ip("10.0.0.2"));
        let e = GuardConfig::from_toml(&format!("trusted_proxies = [\"10.0.0.0/33\"]\n{BASE}"))
            .unwrap_err();
        assert!(
            e.to_string().contains("\"10.0.0.0/33\" in trusted_proxies"),
            "{e}"
        );
    }

    #[test]
    fn head_is_judged_by_the_get_rule_unless_it_has_its_own() {
        let c = GuardConfig::from_toml(&format!(
            "{BASE}[[routes]]\nmethod = \"GET\"\npath = \"/orders*\"\nscopes = [\"orders:read\"]\n\
             [[routes]]\nmethod = \"HEAD\"\npath = \"/health\"\npublic = true\n"
        ))
        .unwrap();
        let scopes = |m: &str, p: &str| c.route(m, p).map(|r| (r.scopes.clone(), r.public));
        assert_eq!(
            scopes("HEAD", "/orders/1"),
            Some((vec!["orders:read".to_owned()], false))
        );
        assert_eq!(scopes("HEAD", "/health"), Some((vec![], true)));
        assert_eq!(scopes("POST", "/orders/1"), None);
    }

    #[test]
    fn a_documented_configuration_reads() {
        let c = GuardConfig::from_toml(
            r#"
            upstream = "http://127.0.0.1:9000"
            audience = "https://api.example.com"
            [[issuers]]
            issuer = "https://id.example.com"
            [forward_claims]
            sub = "x-auth-subject"
            [[routes]]
            method = "GET"
            path = "/orders*"
            scopes = ["orders:read"]
            [[routes]]
            path = "/health"
            public = true
            "#,
        )
        .unwrap();
        assert_eq!(c.route("GET", "/orders/7").unwrap().scopes, ["orders:read"]);
        assert!(c.route("POST", "/orders").is_none());
        assert!(c.route("HEAD", "/health").unwrap().public);
        assert_eq!(c.leeway, 60);
        assert!(c.strip_token);
        assert_eq!(c.algorithms().len(), 10);
    }

    #[test]
    fn mistakes_are_named() {
        let e = GuardConfig::from_toml("upstream = \"http://x\"\naudience = \"a\"\nissuers = []\n")
            .unwrap_err();
        assert!(e.to_string().contains("no issuer is trusted"), "{e}");
        let e = GuardConfig::from_toml(
            "upstream = \"http://x\"\naudience = \"a\"\nalgorithms = [\"none\"]\n[[issuers]]\nissuer = \"https://i\"\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("\"none\""), "{e}");
        let e =
            GuardConfig::from_toml("upstream = \"http://x\"\naudience = \"a\"\nlisen = \"x\"\n")
                .unwrap_err();
        assert!(e.to_string().contains("lisen"), "{e}");
        let base = BASE;
        // One line, saying where; the line itself (here a password in an
        // unterminated string) is not quoted.
        for (toml, at) in [
            (
                format!("{base}[redis]\nurl = \"redis://:hunter2@r\n"),
                "line 6, column 26",
            ),
            (
                "upstream = \"http://x\"\naudience = 5\n".to_owned(),
                "line 2, column 12",
            ),
        ] {
            let e = GuardConfig::from_toml(&toml).unwrap_err().to_string();
            assert!(!e.contains('\n') && e.contains(at), "{e}");
            assert!(!e.contains("hunter2"), "{e}");
        }
        let e = GuardConfig::from_toml(&format!("{base}[redis]\nurl = \"http://:hunter2@r\"\n"))
            .unwrap_err();
        assert!(e.to_string().contains("redis://"), "{e}");
        assert!(!e.to_string().contains("hunter2"), "{e}");
        let e = GuardConfig::from_toml(&format!(
            "{base}[redis]\nurl = \"redis://r\"\nurl_env = \"R\"\n"
        ))
        .unwrap_err();
        assert!(e.to_string().contains("exactly one"), "{e}");
        let e = GuardConfig::from_toml(&format!(
            "{base}[redis]\nurl_env = \"AUTHDOCTOR_TEST_UNSET_REDIS\"\n"
        ))
        .unwrap_err();
        assert!(e.to_string().contains("not set"), "{e}");
        let e = GuardConfig::from_toml(&format!("threads = 100000\n{base}")).unwrap_err();
        assert!(e.to_string().contains("threads = 100000"), "{e}");
        let e = GuardConfig::from_toml(&format!("header_timeout_seconds = 0\n{base}")).unwrap_err();
        assert!(e.to_string().contains("header_timeout_seconds = 0"), "{e}");
        let e =
            GuardConfig::from_toml(&format!("upstream_timeout_seconds = 0\n{base}")).unwrap_err();
        assert!(
            e.to_string().contains("upstream_timeout_seconds = 0"),
            "{e}"
        );
        let c = GuardConfig::from_toml(base).unwrap();
        assert_eq!(c.upstream_timeout_seconds, 60);
        let e =
            GuardConfig::from_toml(&format!("{base}introspection_requires_token_type = true\n"))
                .unwrap_err();
        assert!(
            e.to_string().contains("without an introspection_endpoint"),
            "{e}"
        );
        // The client the limits count.
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(c.limits.client_of(ip("203.0.113.9")), ip("203.0.113.9"));
        assert_eq!(
            c.limits.client_of(ip("::ffff:203.0.113.9")),
            ip("203.0.113.9")
        );
        assert_eq!(
            c.limits.client_of(ip("2001:db8:7:1:aa:bb:cc:dd")),
            ip("2001:db8:7:1::")
        );
        assert_eq!(
            c.limits.client_shown(ip("2001:db8:7:1::")),
            "2001:db8:7:1::/64"
        );
        assert_eq!(c.limits.client_shown(ip("203.0.113.9")), "203.0.113.9");
        let every =
            GuardConfig::from_toml(&format!("{base}[limits]\nipv6_prefix = 128\n")).unwrap();
        assert_eq!(every.limits.client_of(ip("2001:db8::1")), ip("2001:db8::1"));
        let site = GuardConfig::from_toml(&format!("{base}[limits]\nipv6_prefix = 48\n")).unwrap();
        assert_eq!(
            site.limits.client_of(ip("2001:db8:7:1::1")),
            ip("2001:db8:7::")
        );
        for bad in ["0", "129"] {
            let e = GuardConfig::from_toml(&format!("{base}[limits]\nipv6_prefix = {bad}\n"))
                .unwrap_err();
            assert!(e.to_string().contains("is not a prefix length"), "{e}");
        }
        assert_eq!(
            GuardConfig::from_toml(&format!("threads = 2\n{base}"))
                .unwrap()
                .threads,
            2
        );
        let c = GuardConfig::from_toml(&format!(
            "{base}[redis]\nurl = \"redis://127.0.0.1:6379/0\"\n"
        ))
        .unwrap();
        assert_eq!(
            c.redis.map(|r| r.prefix),
            Some("authdoctor:guard".to_owned())
        );
    }
}
