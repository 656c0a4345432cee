//! Listening: the accept loop with its connection limit, HTTP/1.1 and
//! HTTP/2 on one port, TLS, graceful stop, and one thread per core.

use super::*;

/// The largest request head taken, over HTTP/1.1 and HTTP/2 alike: room
/// for a token with many group claims and the usual headers (Envoy's
/// default is 60 KiB, nginx's 32 KiB over four buffers).
const MAX_HEAD: usize = 64 * 1024;

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
    // A request's head is bounded as HTTP/2's is (`MAX_HEAD`): past it,
    // 431, where hyper's own bound (about 408 KiB) let one header of 400
    // KiB through to the upstream, and every connection at the cap could
    // hold that much.
    let mut h1 = hyper_util::server::conn::auto::Builder::new(exec.clone()).http1_only();
    h1.http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .max_buf_size(MAX_HEAD);
    // An HTTP/2 connection that stops answering pings is closed. Its
    // headers may be as large as a large token needs (`MAX_HEAD`, where
    // hyper's 16 KiB would refuse a token with many group claims); hyper's
    // other limits stand (200 streams at once, resets counted).
    let mut h2 = hyper_util::server::conn::auto::Builder::new(exec).http2_only();
    h2.http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(header_timeout))
        .keep_alive_timeout(header_timeout)
        .max_header_list_size(MAX_HEAD as u32);
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
/// (`listeners`) and keeping its own upstream connections: a connection,
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
