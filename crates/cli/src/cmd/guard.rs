//! `authdoctor guard`: the configuration from a file or from the flags of
//! the one-route case; the listener; SIGHUP reloads the file; SIGINT and
//! SIGTERM stop it after the requests in flight.

use crate::args::GuardArgs;
use authdoctor_guard::config::{GuardConfig, RouteConfig};
use authdoctor_guard::{Guard, GuardError};

fn config(a: &GuardArgs) -> Result<GuardConfig, GuardError> {
    if let Some(path) = &a.config {
        return Ok(GuardConfig::from_file(path)?);
    }
    let (Some(upstream), Some(issuer), Some(audience)) =
        (&a.upstream, &a.issuer, a.audience.first())
    else {
        return Err(GuardError::Start(
            "give --config FILE, or --upstream, --issuer and --audience".into(),
        ));
    };
    let mut c = GuardConfig::from_toml(&format!(
        "listen = {:?}\nupstream = {upstream:?}\naudience = {audience:?}\n[[issuers]]\nissuer = {issuer:?}\n",
        a.listen
    ))?;
    if let (Some(cert), Some(key)) = (&a.tls_cert, &a.tls_key) {
        c.tls = Some(authdoctor_guard::config::TlsConfig {
            cert: cert.clone(),
            key: key.clone(),
            client_ca: None,
        });
    }
    c.upstream_ca = a.upstream_ca.clone();
    c.other_audiences = a.audience.iter().skip(1).cloned().collect();
    c.check()?;
    if !a.scope.is_empty() {
        c.routes.push(RouteConfig {
            method: "*".into(),
            path: "/*".into(),
            scopes: a.scope.clone(),
            claims: Default::default(),
            public: false,
        });
    }
    Ok(c)
}

/// The configuration of a guard that has an upstream to protect, and the
/// runtime of the main thread.
fn starting(a: &GuardArgs) -> Result<(GuardConfig, tokio::runtime::Runtime), GuardError> {
    let c = config(a)?;
    if c.upstream.is_empty() {
        return Err(GuardError::Start(
            "the configuration names no upstream: add upstream = \"http://host:port\" (the API the guard protects)".into(),
        ));
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| GuardError::Start(e.to_string()))?;
    Ok((c, rt))
}

/// `--check`: the configuration, its files and what it needs from the
/// world, without serving. 0: ready; 1: it would start, but an issuer or
/// the upstream does not answer (it would answer 503 or 502 until they
/// do); an error (exit 2): it would not start.
pub fn check(a: &GuardArgs, out: &mut dyn std::io::Write) -> Result<u8, GuardError> {
    let (c, rt) = starting(a)?;
    let probes = rt.block_on(authdoctor_guard::readiness(&c))?;
    let io = |e: std::io::Error| GuardError::Start(format!("the report could not be written: {e}"));
    writeln!(
        out,
        "The configuration is good: the guard would listen on {}://{} ({} routes, {} issuers).",
        if c.tls.is_some() { "https" } else { "http" },
        c.listen,
        c.routes.len(),
        c.issuers.len()
    )
    .map_err(io)?;
    for p in &probes {
        writeln!(
            out,
            "  {} {}: {}",
            if p.ok { "ok  " } else { "FAIL" },
            p.what,
            p.detail
        )
        .map_err(io)?;
    }
    Ok(if probes.iter().all(|p| p.ok) { 0 } else { 1 })
}

/// Runs the guard until SIGINT or SIGTERM.
pub fn run(a: &GuardArgs) -> Result<(), GuardError> {
    // The main thread's runtime answers signals and runs the guard's
    // background work; requests are served by one thread per core
    // (`serve_per_core`).
    let (c, rt) = starting(a)?;
    rt.block_on(async move {
        let listen = c.listen.clone();
        let listen_err = |err| GuardError::Listen {
            addr: listen.clone(),
            err,
        };
        let at = tokio::net::lookup_host(&listen)
            .await
            .map_err(listen_err)?
            .next()
            .ok_or_else(|| listen_err(std::io::Error::other("the name has no address")))?;
        let threads = match c.threads {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        };
        let (upstream, issuers) = (
            c.upstream.clone(),
            c.issuers
                .iter()
                .map(|i| i.issuer.clone())
                .collect::<Vec<_>>()
                .join(", "),
        );
        // The shell's 1,024 open files would cap the connections; the hard
        // limit is what the system allows this process.
        authdoctor_guard::raise_open_file_limit();
        let tls = c.tls.is_some();
        let admin_listen = c.admin_listen.clone();
        let header_timeout = std::time::Duration::from_secs(c.header_timeout_seconds);
        let guard = Guard::new(c)?;
        // `/healthz` and `/metrics` on a listener of their own, when asked.
        let admin_at = match &admin_listen {
            None => None,
            Some(addr) => {
                let l = tokio::net::TcpListener::bind(addr)
                    .await
                    .map_err(|err| GuardError::Listen {
                        addr: addr.clone(),
                        err,
                    })?;
                let at = l.local_addr().ok();
                let router = guard.admin_router();
                tokio::spawn(authdoctor_guard::serve_router(
                    router,
                    l,
                    header_timeout,
                    std::future::pending(),
                ));
                at
            }
        };
        #[cfg(unix)]
        if let Some(path) = a.config.clone() {
            let g = guard.clone();
            tokio::spawn(async move {
                use tokio::signal::unix::{SignalKind, signal};
                let Ok(mut hup) = signal(SignalKind::hangup()) else {
                    return;
                };
                while hup.recv().await.is_some() {
                    match GuardConfig::from_file(&path).map_err(GuardError::from).and_then(|c| g.reload(c)) {
                        Ok(()) => eprintln!("authdoctor guard: configuration reloaded"),
                        Err(e) => eprintln!(
                            "authdoctor guard: the configuration was not reloaded, the old one stays: {e}"
                        ),
                    }
                }
            });
        }
        let stop = async {
            #[cfg(unix)]
            {
                use tokio::signal::unix::{SignalKind, signal};
                let mut term = match signal(SignalKind::terminate()) {
                    Ok(s) => s,
                    Err(_) => {
                        let _ = tokio::signal::ctrl_c().await;
                        return;
                    }
                };
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            #[cfg(not(unix))]
            {
                let _ = tokio::signal::ctrl_c().await;
            }
        };
        let (addr, serving) =
            authdoctor_guard::serve_per_core(guard, at, threads).map_err(listen_err)?;
        let admin = match admin_at {
            Some(at) => format!("/healthz, /metrics on http://{at}"),
            None => "/healthz, /metrics".to_owned(),
        };
        eprintln!(
            "authdoctor guard: listening on {}://{addr}, protecting {upstream} (issuers: {issuers}), {threads} threads; {admin}",
            if tls { "https" } else { "http" }
        );
        stop.await;
        tokio::task::spawn_blocking(move || serving.stop())
            .await
            .map_err(|e| GuardError::Start(e.to_string()))?
            .map_err(|e| GuardError::Start(e.to_string()))?;
        eprintln!("authdoctor guard: stopped");
        Ok(())
    })
}
