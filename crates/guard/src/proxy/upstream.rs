//! An admitted request's way upstream: headers carried or set, the
//! upstream pools (HTTP/1.1, HTTP/2 for gRPC), streamed bodies, 502 when the
//! upstream fails, and WebSocket tunnels joined after their handshake.

use super::*;

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
pub(super) struct Pools {
    generation: u64,
    pub(super) h1: UpstreamClient,
    h2: UpstreamClient,
}

impl Pools {
    pub(super) fn new(generation: u64, tls: &Arc<rustls::ClientConfig>) -> Pools {
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

pub(super) async fn forward(
    g: &Arc<Guard>,
    c: &GuardConfig,
    req: Request<Body>,
    claims: Option<Arc<Map<String, Value>>>,
    rid: &str,
    peer: SocketAddr,
) -> Response {
    let (mut parts, body) = req.into_parts();
    // The host the client asked for: its Host, or HTTP/2's :authority.
    let asked_host = parts.headers.get(header::HOST).cloned().or_else(|| {
        parts
            .uri
            .authority()
            .and_then(|a| HeaderValue::from_str(a.as_str()).ok())
    });
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
    forwarding_headers(c, &mut parts.headers, peer.ip(), asked_host);
    // The request once more, should the upstream close its kept-alive
    // connection as the request goes out on it (an idle timeout's race:
    // Node's is 5 s, the pool's 30 s), where nothing of it is lost by
    // sending it again: a method that may be repeated (RFC 9110 §9.2.2)
    // with no body, as nginx's proxy_next_upstream does by default.
    let again = (joinable.is_none()
        && authdoctor_net::idempotent(parts.method.as_str())
        && axum::body::HttpBody::is_end_stream(&body))
    .then(|| {
        let mut r = Request::new(Body::empty());
        *r.method_mut() = parts.method.clone();
        *r.uri_mut() = parts.uri.clone();
        *r.version_mut() = parts.version;
        *r.headers_mut() = parts.headers.clone();
        r
    });
    // The upstream's time to answer counts from when the request is all
    // sent: at once for one without a body, after its body's end for one
    // with (a long upload is not cut short by it).
    let (body, sent_all) = if axum::body::HttpBody::is_end_stream(&body) {
        (body, None)
    } else {
        let (done, sent_all) = tokio::sync::oneshot::channel();
        (
            Body::new(Watched {
                inner: body,
                done: Some(done),
            }),
            Some(sent_all),
        )
    };
    let client = upstream_client(g, parts.version);
    let exchange = async {
        match (
            client.request(Request::from_parts(parts, body)).await,
            again,
        ) {
            (Err(e), Some(again))
                if !e.is_connect() && authdoctor_net::closed_under_request(&e) =>
            {
                g.metrics.upstream_retries.fetch_add(1, Ordering::Relaxed);
                client.request(again).await
            }
            (sent, _) => sent,
        }
    };
    let limit = Duration::from_secs(c.upstream_timeout_seconds);
    let answered = async {
        tokio::pin!(exchange);
        if let Some(sent_all) = sent_all {
            tokio::select! {
                r = &mut exchange => return Some(r),
                _ = sent_all => {}
            }
        }
        tokio::time::timeout(limit, exchange).await.ok()
    };
    let sent = match answered.await {
        Some(sent) => sent,
        None => {
            g.upstream_failed(c, &format!("no answer within {} s", limit.as_secs()));
            g.metrics.upstream_errors.fetch_add(1, Ordering::Relaxed);
            return (
                StatusCode::GATEWAY_TIMEOUT,
                axum::Json(json!({
                    "error": "gateway_timeout",
                    "error_description": format!("The upstream did not answer within {} s.", limit.as_secs()),
                })),
            )
                .into_response();
        }
    };
    match sent {
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
            g.upstream_failed(c, &error_chain(&e));
            bad_gateway(g)
        }
    }
}

/// A request body that says when it has been read to its end, or failed
/// (`done`): the upstream's time to answer counts from then.
struct Watched {
    inner: Body,
    done: Option<tokio::sync::oneshot::Sender<()>>,
}

impl axum::body::HttpBody for Watched {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        let polled = std::pin::Pin::new(&mut self.inner).poll_frame(cx);
        let ended = match &polled {
            std::task::Poll::Ready(None | Some(Err(_))) => true,
            std::task::Poll::Ready(Some(Ok(_))) => self.inner.is_end_stream(),
            std::task::Poll::Pending => false,
        };
        if ended {
            if let Some(done) = self.done.take() {
                let _ = done.send(());
            }
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

/// The headers in which a proxy tells its upstream where a request came
/// from: the client's address, the host and scheme it asked for, the path
/// prefix it saw. Frameworks behind a proxy believe them (Express's `trust
/// proxy`, Django's USE_X_FORWARDED_HOST, Rails, Spring, Werkzeug's
/// ProxyFix), to build links (a password reset mail's), to judge a
/// connection secure, or to allow an address.
static FORWARDING: [&str; 12] = [
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-forwarded-port",
    "x-forwarded-prefix",
    "x-forwarded-ssl",
    "x-real-ip",
    "x-client-ip",
    "true-client-ip",
    "cf-connecting-ip",
    "x-cluster-client-ip",
];

/// Sets what the upstream is told of where a request came from. Only a
/// trusted proxy's word is passed on: from anyone else the guard is the
/// first hop, and the client's own forwarding headers (underscored
/// spellings too, which CGI, WSGI and Rack read alike) are removed. Then:
/// - `X-Forwarded-For`: the connection's address, after what a trusted
///   proxy wrote;
/// - `X-Real-IP`: the client as the guard judged it (behind a trusted
///   proxy, the address it named);
/// - `X-Forwarded-Host`: a trusted proxy's, else the host the client asked
///   for;
/// - `X-Forwarded-Proto`: `https` where the guard ended the client's TLS;
///   else a trusted proxy's, else `http`.
fn forwarding_headers(
    c: &GuardConfig,
    headers: &mut HeaderMap,
    peer: std::net::IpAddr,
    asked_host: Option<HeaderValue>,
) {
    let client = c.client_behind(peer, headers);
    if !c.trusts(&peer) {
        let spoken: Vec<HeaderName> = headers
            .keys()
            .filter(|n| {
                let name = n.as_str();
                FORWARDING.contains(&name)
                    || (name.contains('_') && FORWARDING.contains(&name.replace('_', "-").as_str()))
            })
            .cloned()
            .collect();
        for n in spoken {
            headers.remove(n);
        }
    }
    let before: Vec<&str> = headers
        .get_all(&X_FORWARDED_FOR)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let xff = match before.is_empty() {
        true => peer.to_string(),
        false => format!("{}, {peer}", before.join(", ")),
    };
    if let Ok(v) = HeaderValue::from_str(&xff) {
        headers.insert(X_FORWARDED_FOR.clone(), v);
    }
    if let Ok(v) = HeaderValue::from_str(&client.to_string()) {
        headers.insert("x-real-ip", v);
    }
    if !headers.contains_key("x-forwarded-host") {
        if let Some(h) = asked_host {
            headers.insert("x-forwarded-host", h);
        }
    }
    if c.tls.is_some() {
        headers.insert("x-forwarded-proto", HeaderValue::from_static("https"));
    } else if !headers.contains_key("x-forwarded-proto") {
        headers.insert("x-forwarded-proto", HeaderValue::from_static("http"));
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
pub(super) struct Tunnel {
    pub(super) stop: tokio::sync::watch::Receiver<()>,
    pub(super) permit: Option<Arc<tokio::sync::OwnedSemaphorePermit>>,
    /// The token the handshake was admitted with, once judged.
    pub(super) token: Option<Held>,
}

/// The token a tunnel was opened with: its digest (the denylist's key) and
/// the moment the guard stops accepting it (its `exp` and the leeway).
#[derive(Clone)]
pub(super) struct Held {
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
