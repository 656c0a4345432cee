//! The I/O edge. Everything that touches the network is here; everything
//! that judges what came back is elsewhere (the doctor's rules are pure).
//!
//! - [`Probe::send`] sends a request hop by hop with its own redirect loop
//!   (the HTTP library's following is off), keeping each hop's status,
//!   headers, `Date`, timing and a bounded body, and noting which
//!   credential headers were dropped when a redirect crossed origins, as
//!   curl and browsers drop them.
//! - [`Probe::get_json`] and [`Probe::post_form`] are the OAuth/OIDC
//!   exchanges (discovery, JWKS, RFC 9728 metadata, introspection, token
//!   grants); each keeps the raw response.
//!
//! Every step has a timeout; every error reads as a sentence and never
//! quotes a secret (URLs are shown with token-like query values masked).

pub use authdoctor_diagnosis::facts::{CredentialUse, Exchange, Hop, display_url};
pub use env_proxy::env_proxy;

mod env_proxy;
use std::time::{Duration, Instant};

/// The most hops a redirect chain may take.
pub const MAX_HOPS: usize = 10;
/// The most of a body kept for the report.
pub const BODY_SNIPPET: usize = 4096;
/// The most of a body read at all (larger ones are cut, never buffered whole).
pub const BODY_LIMIT: usize = 1024 * 1024;

/// The most a whole run may be given (`--timeout`), seconds.
pub const MAX_TIMEOUT_SECS: u64 = 600;

/// What a URL's scheme makes of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wire {
    /// `http://`, `https://`: the request as given.
    Http,
    /// `ws://`, `wss://`: a WebSocket's opening handshake (RFC 6455 §4.1).
    WebSocket,
    /// `grpc://` (HTTP/2 without TLS, prior knowledge) and `grpcs://`
    /// (over TLS), naming the call as its path
    /// (`grpc://host:port/package.Service/Method`): a gRPC call with an
    /// empty message.
    Grpc { tls: bool },
}

/// The URL a request is sent to over HTTP, and what its scheme makes of
/// it: `ws://`, `wss://`, `grpc://` and `grpcs://` are sent as their
/// `http://` or `https://` URL (RFC 6455 §3 for the first two). Any other
/// scheme is not one.
fn transport_url(url: &str) -> Result<(url::Url, Wire), NetError> {
    let bad = || NetError::BadUrl(display_url(url));
    // `grpc:` is no special scheme to the URL parser (its scheme could
    // not be changed to http): read as http from the start.
    let (text, wire) = match url.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("grpc") => {
            (format!("http://{rest}"), Wire::Grpc { tls: false })
        }
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("grpcs") => {
            (format!("https://{rest}"), Wire::Grpc { tls: true })
        }
        _ => (url.to_owned(), Wire::Http),
    };
    let mut parsed = url::Url::parse(&text).map_err(|_| bad())?;
    if wire != Wire::Http {
        return Ok((parsed, wire));
    }
    let over = match parsed.scheme() {
        "http" | "https" => return Ok((parsed, Wire::Http)),
        "ws" => "http",
        "wss" => "https",
        _ => return Err(bad()),
    };
    parsed.set_scheme(over).map_err(|()| bad())?;
    Ok((parsed, Wire::WebSocket))
}

/// An answer as a hop: its `Date` read, its body kept within
/// [`BODY_LIMIT`] and shown within [`BODY_SNIPPET`]. Shared by the answers
/// this client receives and the ones a recording holds ([`recorded_hop`]).
fn hop_of(
    method: &str,
    url: &str,
    request_headers: &[(String, String)],
    status: u16,
    headers: Vec<(String, String)>,
    mut buf: Vec<u8>,
    received_at: i64,
) -> Hop {
    let date = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("date"))
        .and_then(|(_, d)| httpdate::parse_http_date(d).ok())
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs() as i64);
    let mut truncated = false;
    if buf.len() > BODY_LIMIT {
        buf.truncate(BODY_LIMIT);
        truncated = true;
    }
    let mut body = String::from_utf8_lossy(&buf[..buf.len().min(BODY_SNIPPET + 4)]).into_owned();
    if buf.len() > BODY_SNIPPET {
        let mut cut = BODY_SNIPPET;
        while !body.is_char_boundary(cut) {
            cut -= 1;
        }
        body.truncate(cut);
        truncated = true;
    }
    Hop {
        method: method.to_owned(),
        url: url.to_owned(),
        request_headers: request_headers.to_vec(),
        status,
        headers,
        date,
        received_at,
        elapsed_ms: 0,
        body,
        body_truncated: truncated,
        raw_body: buf,
        dropped: Vec::new(),
    }
}

/// A hop a recording holds (a HAR entry: what the browser sent and the
/// answer it got at `at`, seconds since the epoch), read as an answer this
/// client received then: header names lower-cased, its `Date` the
/// server's clock, the body within the same limits.
pub fn recorded_hop(
    method: &str,
    url: &str,
    request_headers: &[(String, String)],
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
    at: i64,
) -> Hop {
    let headers = headers
        .iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), v.clone()))
        .collect();
    hop_of(
        method,
        url,
        request_headers,
        status,
        headers,
        body.to_vec(),
        at,
    )
}

impl NetError {
    /// Whether the server was not reached (or not understood) at all: no
    /// connection, no answer in time, a failed handshake, a broken
    /// exchange. Not a bad URL, a refused credential or a bad CA bundle,
    /// which are the request's or the user's own.
    pub fn unreached(&self) -> bool {
        matches!(
            self,
            NetError::Timeout { .. }
                | NetError::Connect { .. }
                | NetError::ProxyRefused { .. }
                | NetError::ProxyUnreachable { .. }
                | NetError::Tls { .. }
                | NetError::Other { .. }
        )
    }
}

/// The headers of a gRPC call (its content type, and the TE its servers
/// may require) that `headers` lack.
fn grpc_headers(headers: &[(String, String)]) -> Vec<(String, String)> {
    let has = |name: &str| headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
    let mut lacks = Vec::new();
    if !has("content-type") {
        lacks.push(("content-type".into(), "application/grpc".into()));
    }
    if !has("te") {
        lacks.push(("te".into(), "trailers".into()));
    }
    lacks
}

/// A gRPC call's outcome where its answer carries it in its headers (a
/// "trailers-only" answer, which a refusal is): the HTTP status gRPC's
/// table maps its `grpc-status` to (16 UNAUTHENTICATED is 401, 7
/// PERMISSION_DENIED 403), and its `grpc-message`, percent-decoded, as
/// the words. `None` where the answer's headers carry no gRPC status.
fn grpc_outcome(headers: &[(String, String)]) -> Option<(u16, Vec<u8>)> {
    let get = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let code: u64 = get("grpc-status")?.trim().parse().ok()?;
    let status = authdoctor_httpauth::grpc::http_status(code);
    let words = authdoctor_httpauth::grpc::words(get("grpc-message").unwrap_or(""));
    Some((status, words))
}

/// The headers of a WebSocket opening handshake (RFC 6455 §4.1) that
/// `headers` lack: the upgrade asked for, the version, a fresh random key.
/// A browser's request (a HAR's entry) has its own key and version.
fn websocket_handshake(headers: &[(String, String)]) -> Vec<(String, String)> {
    use base64::Engine;
    let has = |name: &str| headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
    let mut lacks = Vec::new();
    if !has("upgrade") {
        lacks.push(("Connection".into(), "Upgrade".into()));
        lacks.push(("Upgrade".into(), "websocket".into()));
    }
    if !has("sec-websocket-version") {
        lacks.push(("Sec-WebSocket-Version".into(), "13".into()));
    }
    if !has("sec-websocket-key") {
        // Sixteen random bytes, from the system's source (a key that fails
        // to be made is sent as zeros: the server only echoes its hash).
        let mut key = [0u8; 16];
        let _ = authdoctor_jose::crypto::fill_random(&mut key);
        lacks.push((
            "Sec-WebSocket-Key".into(),
            base64::engine::general_purpose::STANDARD.encode(key),
        ));
    }
    lacks
}

/// Why a network step failed. Messages name what to check.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// Not a URL.
    #[error("{0:?} is not an http(s), ws(s) or grpc(s) URL.")]
    BadUrl(String),
    /// No answer in time.
    #[error("{url} did not answer within {secs} s. Check that the server is up and reachable.")]
    Timeout {
        /// Where.
        url: String,
        /// The limit.
        secs: u64,
    },
    /// Could not connect.
    #[error("Could not connect to {url}: {why}. Check the host name, the port and any proxy.")]
    Connect {
        /// Where.
        url: String,
        /// Why, in the library's words.
        why: String,
    },
    /// The forward proxy the environment names refused to open the way
    /// (its 407 to CONNECT, for an https:// URL).
    #[error(
        "The proxy {proxy} (named by {variable}) did not open the way to {url}: {why}. A proxy that wants credentials takes a user and password in its URL in {variable} (curl --proxy-user); where it should not be used, or cannot reach the host, name the host in NO_PROXY."
    )]
    ProxyRefused {
        /// Where the request was going.
        url: String,
        /// The proxy, its password masked.
        proxy: String,
        /// The variable that named it.
        variable: String,
        /// Why, in the library's words.
        why: String,
    },
    /// The forward proxy the environment names could not be reached.
    #[error(
        "Could not connect to the proxy {proxy} (named by {variable}) to reach {url}: {why}. Check that the proxy is up and the variable current, or leave it out for this host (NO_PROXY=host)."
    )]
    ProxyUnreachable {
        /// Where the request was going.
        url: String,
        /// The proxy, its password masked.
        proxy: String,
        /// The variable that named it.
        variable: String,
        /// Why, in the library's words.
        why: String,
    },
    /// TLS failed.
    #[error(
        "The TLS handshake with {url} failed: {why}. Check the certificate (expired, wrong host, unknown CA); -k skips verification for a test."
    )]
    Tls {
        /// Where.
        url: String,
        /// Why.
        why: String,
    },
    /// The server ended the TLS handshake over the client certificate:
    /// none was presented where it requires one, or the one presented
    /// was refused (its TLS alert).
    #[error("{}", client_certificate_words(url, alert, *presented))]
    ClientCertificate {
        /// Where.
        url: String,
        /// The server's TLS alert.
        alert: String,
        /// Whether a client certificate was presented.
        presented: bool,
    },
    /// Redirects did not end.
    #[error("{url} redirected more than {MAX_HOPS} times: a redirect loop.")]
    TooManyRedirects {
        /// Where it started.
        url: String,
    },
    /// A redirect without a usable Location.
    #[error("{url} answered {status} with no usable Location header.")]
    BadRedirect {
        /// Where.
        url: String,
        /// The status.
        status: u16,
    },
    /// A CA bundle that cannot be used.
    #[error(
        "The CA bundle given with --cacert cannot be used: {0}. Give a PEM file of certificates."
    )]
    CaBundle(String),
    /// A client certificate or key that cannot be used.
    #[error(
        "The client certificate given with --cert and --key cannot be used: {0}. Give a PEM certificate (and its chain) and its unencrypted PEM private key."
    )]
    ClientIdentity(String),
    /// A credential was about to go where the trust policy does not allow.
    #[error("{0}")]
    Untrusted(Refusal),
    /// Anything else the HTTP library reports.
    #[error("The request to {url} failed: {why}.")]
    Other {
        /// Where.
        url: String,
        /// Why.
        why: String,
    },
}

/// The trust policy: where a credential may be sent.
///
/// Client secrets, refresh tokens and tokens go to an OAuth endpoint only
/// when its origin is one the user named (`--issuer`, `--token-endpoint`)
/// or an endpoint that the named issuer's own discovery document lists;
/// never to an issuer learned from a token's `iss` or a resource's
/// metadata, which are only read. Over plain http only to loopback unless
/// `allow_http`. [`Probe::post_form`] enforces it for every credential it
/// sends, and records each endpoint that received one.
#[derive(Clone, Debug, Default)]
pub struct Trust {
    origins: Vec<Origin>,
    allow_http: bool,
}

type Origin = (String, String, Option<u16>);

/// Why a credential was not sent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The endpoint's origin is not one the user named.
    #[error(
        "{url} is not on an origin you named (--issuer, --token-endpoint), so no credential was sent to it; name it with --issuer or --token-endpoint if you trust it"
    )]
    NotNamed {
        /// The endpoint, masked.
        url: String,
    },
    /// Plain http to another machine.
    #[error(
        "{url} is plain http on another machine, so no credential was sent to it (anyone on the path could read it); use https, or pass --allow-http"
    )]
    PlainHttp {
        /// The endpoint, masked.
        url: String,
    },
}

impl Trust {
    /// Trusts the origins of these URLs (what the user named).
    pub fn new<'a>(named: impl IntoIterator<Item = &'a str>, allow_http: bool) -> Trust {
        let mut t = Trust {
            origins: Vec::new(),
            allow_http,
        };
        for u in named {
            t.add(u);
        }
        t
    }

    /// Trusts one more origin (an endpoint the named issuer's own discovery
    /// document lists).
    pub fn add(&mut self, u: &str) {
        if let Ok(p) = url::Url::parse(u) {
            let o = origin(&p);
            if !self.origins.contains(&o) {
                self.origins.push(o);
            }
        }
    }

    /// Whether a credential may be sent to `u`.
    pub fn check(&self, u: &str) -> Result<(), Refusal> {
        let shown = display_url(u);
        let Ok(p) = url::Url::parse(u) else {
            return Err(Refusal::NotNamed { url: shown });
        };
        if !self.origins.contains(&origin(&p)) {
            return Err(Refusal::NotNamed { url: shown });
        }
        if p.scheme() != "https"
            && !authdoctor_diagnosis::facts::is_loopback(&p)
            && !self.allow_http
        {
            return Err(Refusal::PlainHttp { url: shown });
        }
        Ok(())
    }

    /// Whether `u` is on an origin the user named.
    pub fn names(&self, u: &str) -> bool {
        url::Url::parse(u).is_ok_and(|p| self.origins.contains(&origin(&p)))
    }
}

/// What to send. Its `Debug` masks credential headers and leaves the body
/// out.
#[derive(Clone, Default)]
pub struct Outgoing {
    /// The method.
    pub method: String,
    /// The URL.
    pub url: String,
    /// The headers, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Option<Vec<u8>>,
    /// Whether to follow redirects (curl -L).
    pub follow: bool,
    /// Whether credential headers may follow a redirect to another origin
    /// (curl --location-trusted).
    pub location_trusted: bool,
}

impl std::fmt::Debug for Outgoing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let h = authdoctor_secret::mask_headers(&self.headers);
        f.debug_struct("Outgoing")
            .field("method", &self.method)
            .field("url", &display_url(&self.url))
            .field("headers", &h)
            .field("body_bytes", &self.body.as_ref().map(Vec::len))
            .field("follow", &self.follow)
            .field("location_trusted", &self.location_trusted)
            .finish()
    }
}

/// The recording client.
#[derive(Clone)]
pub struct Probe {
    client: reqwest::Client,
    /// What its clients are made with.
    settings: std::sync::Arc<ClientSettings>,
    /// The same client over HTTP/1.1 only, for WebSocket handshakes (an
    /// upgrade is HTTP/1.1's; over HTTP/2 its headers are not allowed);
    /// made on first use, as a client costs milliseconds to make.
    handshakes: std::sync::Arc<std::sync::OnceLock<reqwest::Client>>,
    /// The same client over HTTP/2 without TLS (prior knowledge), for
    /// `grpc://` calls; made on first use.
    h2c: std::sync::Arc<std::sync::OnceLock<reqwest::Client>>,
    timeout: Duration,
    deadline: Option<Instant>,
    trust: Trust,
    used: std::sync::Arc<std::sync::Mutex<Vec<CredentialUse>>>,
    /// The clients that present the user's client certificate, and the one
    /// origin they are for (where the user sent the request): no other
    /// server is shown it.
    identified: Option<std::sync::Arc<Identified>>,
}

/// A probe's clients that present a client certificate, for one origin.
struct Identified {
    origin: (String, String, Option<u16>),
    settings: ClientSettings,
    client: reqwest::Client,
    handshakes: std::sync::OnceLock<reqwest::Client>,
}

/// What a probe's HTTP clients are made with: the per-request timeout,
/// whether certificates go unchecked (curl -k), and the roots trusted
/// beside the system's (curl --cacert).
#[derive(Clone)]
struct ClientSettings {
    timeout: Duration,
    insecure: bool,
    roots: Vec<reqwest::Certificate>,
    /// The client certificate presented (mutual TLS), where one is.
    identity: Option<reqwest::Identity>,
}

impl ClientSettings {
    /// A client for requests of `wire`'s kind.
    fn client(&self, wire: Wire) -> Result<reqwest::Client, NetError> {
        let mut builder = reqwest::Client::builder();
        if !self.roots.is_empty() {
            builder = builder.tls_certs_merge(self.roots.iter().cloned());
        }
        if let Some(id) = &self.identity {
            builder = builder.identity(id.clone());
        }
        builder = match wire {
            Wire::WebSocket => builder.http1_only(),
            Wire::Grpc { tls: false } => builder.http2_prior_knowledge(),
            Wire::Http | Wire::Grpc { tls: true } => builder,
        };
        builder
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(self.timeout.min(Duration::from_secs(10)))
            .timeout(self.timeout)
            .danger_accept_invalid_certs(self.insecure)
            .user_agent(concat!("authdoctor/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| NetError::Other {
                url: String::new(),
                why: e.to_string(),
            })
    }
}

/// The methods that may be sent again without asking (RFC 9110 §9.2.2).
pub fn idempotent(method: &str) -> bool {
    matches!(
        method,
        "GET" | "HEAD" | "OPTIONS" | "TRACE" | "PUT" | "DELETE"
    )
}

/// Whether a request failed because its connection was closed under it,
/// without an answer: hyper's "closed before message completed", or the
/// socket's reset, abort or end, found in `e`'s chain of sources. The
/// caller rules out a connection that could not be opened, and a timeout.
pub fn closed_under_request(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut src = Some(e);
    while let Some(s) = src {
        if s.downcast_ref::<hyper::Error>()
            .is_some_and(hyper::Error::is_incomplete_message)
        {
            return true;
        }
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::BrokenPipe
                    | std::io::ErrorKind::UnexpectedEof
            );
        }
        src = s.source();
    }
    false
}

/// What [`NetError::ClientCertificate`] says.
fn client_certificate_words(url: &str, alert: &str, presented: bool) -> String {
    if presented {
        format!(
            "{url} refused the client certificate (TLS alert {alert}): it must be signed by the CA the server trusts for clients, unexpired, and made for client authentication (clientAuth)."
        )
    } else {
        format!(
            "{url} requires a client certificate (mutual TLS) and ended the TLS handshake without one (TLS alert {alert}): give it with --cert FILE and --key FILE."
        )
    }
}

fn origin(u: &url::Url) -> (String, String, Option<u16>) {
    (
        u.scheme().to_owned(),
        u.host_str().unwrap_or("").to_owned(),
        u.port_or_known_default(),
    )
}

impl Probe {
    /// The same probe, presenting the client certificate and key of `pem`
    /// (mutual TLS) to `url`'s origin, and to no other.
    pub fn with_client_identity(mut self, pem: &[u8], url: &str) -> Result<Probe, NetError> {
        let identity = reqwest::Identity::from_pem(pem)
            .map_err(|e| NetError::ClientIdentity(e.to_string()))?;
        let (parsed, _) = transport_url(url)?;
        let settings = ClientSettings {
            identity: Some(identity),
            ..ClientSettings::clone(&self.settings)
        };
        self.identified = Some(std::sync::Arc::new(Identified {
            origin: origin(&parsed),
            client: settings.client(Wire::Http)?,
            settings,
            handshakes: std::sync::OnceLock::new(),
        }));
        Ok(self)
    }

    /// A client with the given per-request timeout; `insecure` skips TLS
    /// certificate verification (curl -k).
    pub fn new(timeout: Duration, insecure: bool) -> Result<Probe, NetError> {
        Probe::with_roots(timeout, insecure, None)
    }

    /// The same, trusting the certificates of a PEM bundle besides the
    /// system's (curl --cacert).
    pub fn with_roots(
        timeout: Duration,
        insecure: bool,
        extra_roots_pem: Option<&[u8]>,
    ) -> Result<Probe, NetError> {
        let mut roots = Vec::new();
        if let Some(pem) = extra_roots_pem {
            roots = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| NetError::CaBundle(e.to_string()))?;
            if roots.is_empty() {
                return Err(NetError::CaBundle("it holds no PEM certificate".into()));
            }
        }
        let settings = std::sync::Arc::new(ClientSettings {
            timeout,
            insecure,
            roots,
            identity: None,
        });
        Ok(Probe {
            client: settings.client(Wire::Http)?,
            settings,
            handshakes: Default::default(),
            h2c: Default::default(),
            timeout,
            deadline: None,
            trust: Trust::default(),
            used: Default::default(),
            identified: None,
        })
    }

    /// The same client with one deadline for every step from now on: a
    /// run of many steps (redirects, discovery, keys, a fresh token) ends
    /// by then, whatever each step takes.
    pub fn with_deadline(mut self, deadline: Instant) -> Probe {
        self.deadline = Some(deadline);
        self
    }

    /// The same client with a trust policy for credentials (the default
    /// trusts nothing: no credential is sent to any OAuth endpoint).
    pub fn with_trust(mut self, trust: Trust) -> Probe {
        self.trust = trust;
        self
    }

    /// The trust policy in force.
    pub fn trust(&self) -> &Trust {
        &self.trust
    }

    /// Trusts one more origin from now on (see [`Trust::add`]).
    pub fn trust_also(&mut self, u: &str) {
        self.trust.add(u);
    }

    /// Every credential-bearing request sent or refused so far.
    pub fn credential_uses(&self) -> Vec<CredentialUse> {
        self.used.lock().map(|u| u.clone()).unwrap_or_default()
    }

    /// How long the next step may take: the per-step limit, cut to what is
    /// left before the deadline.
    fn step_timeout(&self, url: &str) -> Result<Duration, NetError> {
        match self.deadline {
            None => Ok(self.timeout),
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    Err(NetError::Timeout {
                        url: display_url(url),
                        secs: self.timeout.as_secs(),
                    })
                } else {
                    Ok(left.min(self.timeout))
                }
            }
        }
    }

    fn classify(&self, url: &str, e: reqwest::Error) -> NetError {
        // The library's message may quote the URL, token-like query and all.
        let e = e.without_url();
        let shown = display_url(url);
        let mut why = e.to_string();
        let mut src: Option<&dyn std::error::Error> = std::error::Error::source(&e);
        while let Some(s) = src {
            why = s.to_string();
            src = s.source();
        }
        // A library's words may quote a URL it used: a proxy's, user and
        // password and all.
        let why = authdoctor_secret::scrub(&why).into_owned();
        // The proxy the request went through, where a connection failed.
        let proxied = env_proxy(url).filter(|_| e.is_connect());
        // The server's alert over the client certificate (mutual TLS).
        let presented = self
            .identified
            .as_deref()
            .is_some_and(|i| url::Url::parse(url).is_ok_and(|u| origin(&u) == i.origin));
        let alert = why
            .split("received fatal alert: ")
            .nth(1)
            .map(|a| a.trim().to_owned())
            .filter(|a| {
                a == "CertificateRequired"
                    || (presented
                        && matches!(
                            a.as_str(),
                            "BadCertificate"
                                | "UnknownCA"
                                | "CertificateUnknown"
                                | "CertificateExpired"
                                | "UnsupportedCertificate"
                                | "AccessDenied"
                        ))
            });
        if e.is_timeout() {
            NetError::Timeout {
                url: shown,
                secs: self.timeout.as_secs(),
            }
        } else if let Some(alert) = alert {
            NetError::ClientCertificate {
                url: shown,
                alert,
                presented,
            }
        } else if why.to_ascii_lowercase().contains("certificate")
            || why.contains("tls")
            || why.contains("TLS")
        {
            NetError::Tls { url: shown, why }
        } else if let Some(p) = proxied {
            // Through a proxy, a connection that failed is the proxy's: it
            // refused the tunnel (its words), or it was not there.
            let w = why.to_ascii_lowercase();
            let (url, proxy, variable) = (shown, p.shown, p.variable);
            if w.contains("proxy") || w.contains("tunnel") {
                NetError::ProxyRefused {
                    url,
                    proxy,
                    variable,
                    why,
                }
            } else {
                NetError::ProxyUnreachable {
                    url,
                    proxy,
                    variable,
                    why,
                }
            }
        } else if e.is_connect() {
            NetError::Connect { url: shown, why }
        } else {
            NetError::Other { url: shown, why }
        }
    }

    /// Sends one request (no redirect following) and records it.
    pub async fn once(
        &self,
        method: &str,
        url: &str,
        headers: &[(String, String)],
        body: Option<&[u8]>,
    ) -> Result<Hop, NetError> {
        let (parsed, wire) = transport_url(url)?;
        // A gRPC call is a POST of a message: an empty one (five bytes: not
        // compressed, length 0) where none is given.
        let method = match wire {
            Wire::Grpc { .. } => "POST",
            _ => method,
        };
        let empty_message = [0u8; 5];
        let body = match (wire, body) {
            (Wire::Grpc { .. }, None) => Some(&empty_message[..]),
            (_, b) => b,
        };
        let m = reqwest::Method::from_bytes(method.as_bytes()).map_err(|_| NetError::Other {
            url: display_url(url),
            why: format!("{method:?} is not an HTTP method"),
        })?;
        // A WebSocket URL is sent as its opening handshake, the headers of
        // one added where the request has none (a pasted browser request
        // has them already); a gRPC call with its own.
        let mut headers = headers.to_vec();
        let lacks = match wire {
            Wire::WebSocket => websocket_handshake(&headers),
            Wire::Grpc { .. } => grpc_headers(&headers),
            Wire::Http => Vec::new(),
        };
        headers.extend(lacks);
        let headers = &headers[..];
        let step = self.step_timeout(url)?;
        let made =
            |cell: &std::sync::OnceLock<reqwest::Client>| -> Result<reqwest::Client, NetError> {
                if let Some(c) = cell.get() {
                    return Ok(c.clone());
                }
                let c = self.settings.client(wire)?;
                Ok(cell.get_or_init(|| c).clone())
            };
        // The client certificate goes to its origin only.
        let identified = self
            .identified
            .as_deref()
            .filter(|i| i.origin == origin(&parsed));
        let client = match (wire, identified) {
            (Wire::WebSocket, Some(i)) => match i.handshakes.get() {
                Some(c) => c.clone(),
                None => {
                    let c = i.settings.client(wire)?;
                    i.handshakes.get_or_init(|| c).clone()
                }
            },
            (Wire::Http | Wire::Grpc { tls: true }, Some(i)) => i.client.clone(),
            (Wire::WebSocket, None) => made(&self.handshakes)?,
            (Wire::Grpc { tls: false }, _) => made(&self.h2c)?,
            (Wire::Http | Wire::Grpc { tls: true }, None) => self.client.clone(),
        };
        let mut req = client.request(m, parsed).timeout(step);
        for (n, v) in headers {
            req = req.header(n.as_str(), v.as_str());
        }
        if let Some(b) = body {
            req = req.body(b.to_vec());
        }
        let start = Instant::now();
        // A kept-alive connection the server closed as this request went
        // out on it (its idle timeout's race) answers nothing: the request
        // goes once more, on a fresh connection, as curl sends it, where
        // its method may be repeated (RFC 9110 §9.2.2). A POST (a token
        // endpoint's, a refresh token's single use) never is.
        let again = idempotent(method).then(|| req.try_clone()).flatten();
        let mut resp = match (req.send().await, again) {
            (Ok(r), _) => r,
            (Err(e), Some(again))
                if !e.is_timeout() && !e.is_connect() && closed_under_request(&e) =>
            {
                again
                    .timeout(self.step_timeout(url)?)
                    .send()
                    .await
                    .map_err(|e| self.classify(url, e))?
            }
            (Err(e), _) => return Err(self.classify(url, e)),
        };
        let elapsed_ms = start.elapsed().as_millis() as u64;
        let received_at = jiff::Timestamp::now().as_second();
        let mut status = resp.status().as_u16();
        let hdrs: Vec<(String, String)> = resp
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        // Read the body in chunks, never more than the limit.
        let mut buf = Vec::new();
        let mut truncated = false;
        loop {
            match resp.chunk().await {
                Ok(Some(c)) => {
                    let room = BODY_LIMIT.saturating_sub(buf.len());
                    if c.len() > room {
                        buf.extend_from_slice(&c[..room]);
                        truncated = true;
                        break;
                    }
                    buf.extend_from_slice(&c);
                }
                Ok(None) => break,
                Err(e) => return Err(self.classify(url, e)),
            }
        }
        // A gRPC call answered in its headers (a refusal is): its status as
        // the HTTP status it stands for, its message as the body, so that
        // they are judged as an HTTP refusal and its words are.
        if let (Wire::Grpc { .. }, Some((code, words))) = (wire, grpc_outcome(&hdrs)) {
            status = code;
            buf = words;
        }
        let mut hop = hop_of(method, url, headers, status, hdrs, buf, received_at);
        hop.elapsed_ms = elapsed_ms;
        hop.body_truncated |= truncated;
        Ok(hop)
    }

    /// Sends a request and, when asked, follows redirects itself: 301/302/303
    /// turn into GET without a body (as curl and browsers do), 307/308 keep
    /// both; every header that carries a credential (Authorization, Cookie,
    /// API keys and the like) is dropped when the origin changes, unless
    /// `location_trusted`, and the hop records it.
    pub async fn send(&self, out: &Outgoing) -> Result<Vec<Hop>, NetError> {
        let mut hops = Vec::new();
        let mut method = out.method.clone();
        let mut url = out.url.clone();
        let mut headers = out.headers.clone();
        let mut body = out.body.clone();
        let mut dropped = Vec::new();
        loop {
            let mut hop = self.once(&method, &url, &headers, body.as_deref()).await?;
            hop.dropped = std::mem::take(&mut dropped);
            let status = hop.status;
            let location = hop.header("location").map(str::to_owned);
            hops.push(hop);
            if !out.follow || !matches!(status, 301 | 302 | 303 | 307 | 308) {
                return Ok(hops);
            }
            if hops.len() > MAX_HOPS {
                return Err(NetError::TooManyRedirects {
                    url: display_url(&out.url),
                });
            }
            let base = url::Url::parse(&url).map_err(|_| NetError::BadUrl(display_url(&url)))?;
            let Some(next) = location.and_then(|l| base.join(&l).ok()) else {
                return Err(NetError::BadRedirect {
                    url: display_url(&url),
                    status,
                });
            };
            if origin(&next) != origin(&base) && !out.location_trusted {
                headers.retain(|(n, _)| {
                    let cred = authdoctor_secret::is_secret_header(n);
                    if cred {
                        dropped.push(n.to_ascii_lowercase());
                    }
                    !cred
                });
            }
            if (301..=303).contains(&status) && method != "HEAD" {
                method = "GET".into();
                body = None;
                headers.retain(|(n, _)| {
                    !n.eq_ignore_ascii_case("content-type")
                        && !n.eq_ignore_ascii_case("content-length")
                });
            }
            url = next.to_string();
        }
    }

    /// GETs a JSON document (discovery, JWKS, resource metadata).
    pub async fn get_json(&self, url: &str) -> Result<Exchange, NetError> {
        let hop = self
            .once(
                "GET",
                url,
                &[("accept".into(), "application/json".into())],
                None,
            )
            .await?;
        Ok(Exchange::from(hop))
    }

    /// POSTs a form (token, introspection, revocation endpoints), with
    /// client_secret_basic credentials when given. Every such form carries a
    /// credential, so the trust policy is checked first: a refused endpoint
    /// gets nothing and the answer is [`NetError::Untrusted`]. Either way the
    /// use is recorded (see [`Probe::credential_uses`]).
    pub async fn post_form(
        &self,
        url: &str,
        form: &[(&str, &str)],
        basic: Option<(&str, &str)>,
    ) -> Result<Exchange, NetError> {
        let mut carried = Vec::new();
        if basic.is_some() {
            carried.push("client secret (HTTP Basic)".to_owned());
        }
        for (k, _) in form {
            if authdoctor_secret::is_secret_param(k) {
                carried.push(match *k {
                    "client_secret" => "client secret (form)".to_owned(),
                    "token" => "the token (to be introspected)".to_owned(),
                    k => k.replace('_', " "),
                });
            }
        }
        let verdict = self.trust.check(url);
        if let Ok(mut used) = self.used.lock() {
            used.push(CredentialUse {
                endpoint: display_url(url),
                credentials: carried,
                refused: verdict.as_ref().err().map(ToString::to_string),
            });
        }
        verdict.map_err(NetError::Untrusted)?;
        let body = serde_urlencoded_form(form);
        let mut headers = vec![
            (
                "content-type".to_owned(),
                "application/x-www-form-urlencoded".to_owned(),
            ),
            ("accept".to_owned(), "application/json".to_owned()),
        ];
        if let Some((id, secret)) = basic {
            use base64::Engine;
            // RFC 6749 §2.3.1: each part form-urlencoded, then base64.
            let pair = format!("{}:{}", form_encode(id), form_encode(secret));
            headers.push((
                "authorization".to_owned(),
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(pair)
                ),
            ));
        }
        let hop = self
            .once("POST", url, &headers, Some(body.as_bytes()))
            .await?;
        Ok(Exchange::from(hop))
    }
}

fn form_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn serde_urlencoded_form(form: &[(&str, &str)]) -> String {
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in form {
        ser.append_pair(k, v);
    }
    ser.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_websocket_url_is_sent_as_its_handshake() {
        let sent = |url: &str| {
            transport_url(url)
                .map(|(u, wire)| (u.as_str().to_owned(), wire))
                .map_err(|e| e.to_string())
        };
        assert_eq!(
            sent("wss://api.test:8443/live?x=1"),
            Ok(("https://api.test:8443/live?x=1".to_owned(), Wire::WebSocket))
        );
        assert_eq!(
            sent("ws://127.0.0.1/live"),
            Ok(("http://127.0.0.1/live".to_owned(), Wire::WebSocket))
        );
        assert_eq!(
            sent("https://api.test/"),
            Ok(("https://api.test/".to_owned(), Wire::Http))
        );
        assert_eq!(
            sent("grpc://127.0.0.1:50051/orders.v1.Orders/List"),
            Ok((
                "http://127.0.0.1:50051/orders.v1.Orders/List".to_owned(),
                Wire::Grpc { tls: false }
            ))
        );
        assert_eq!(
            sent("GRPCS://api.test/orders.v1.Orders/List"),
            Ok((
                "https://api.test/orders.v1.Orders/List".to_owned(),
                Wire::Grpc { tls: true }
            ))
        );
        assert!(matches!(
            transport_url("ftp://api.test/"),
            Err(NetError::BadUrl(_))
        ));
        // All four headers where none is given; a browser's own key and
        // version kept, never sent twice.
        let names = |h: Vec<(String, String)>| h.into_iter().map(|(n, _)| n).collect::<Vec<_>>();
        assert_eq!(
            names(websocket_handshake(&[])),
            [
                "Connection",
                "Upgrade",
                "Sec-WebSocket-Version",
                "Sec-WebSocket-Key"
            ]
        );
        let browser = [
            (
                "sec-websocket-key".to_owned(),
                "dGhlIHNhbXBsZSBub25jZQ==".to_owned(),
            ),
            ("sec-websocket-version".to_owned(), "13".to_owned()),
        ];
        assert_eq!(
            names(websocket_handshake(&browser)),
            ["Connection", "Upgrade"]
        );
        // A fresh key each time, of 16 bytes.
        let key = |h: Vec<(String, String)>| {
            h.into_iter()
                .find(|(n, _)| n == "Sec-WebSocket-Key")
                .map(|(_, v)| v)
        };
        let (a, b) = (key(websocket_handshake(&[])), key(websocket_handshake(&[])));
        assert_ne!(a, b);
        assert_eq!(a.map(|k| k.len()), Some(24));
    }

    #[test]
    fn a_grpc_refusal_is_read_as_the_http_status_it_stands_for() {
        let h = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect()
        };
        assert_eq!(
            grpc_outcome(&h(&[
                ("grpc-status", "16"),
                ("grpc-message", "token%20is%20expired%3A%20100%25")
            ])),
            Some((401, b"token is expired: 100%".to_vec()))
        );
        assert_eq!(
            grpc_outcome(&h(&[("grpc-status", "7")])),
            Some((403, Vec::new()))
        );
        assert_eq!(
            grpc_outcome(&h(&[("grpc-status", "0")])).map(|o| o.0),
            Some(200)
        );
        // A broken escape is kept as it is.
        assert_eq!(
            grpc_outcome(&h(&[("grpc-status", "16"), ("grpc-message", "50%")])),
            Some((401, b"50%".to_vec()))
        );
        assert_eq!(
            grpc_outcome(&h(&[("content-type", "application/grpc")])),
            None
        );
        // A call's own headers are kept where given.
        assert_eq!(
            grpc_headers(&h(&[("Content-Type", "application/grpc+proto")])),
            h(&[("te", "trailers")])
        );
    }
}
