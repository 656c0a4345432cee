//! The embedded lab: a genuine OAuth 2.0 / OpenID Connect provider and a
//! protected API on loopback, with switchable faults, so that every cause
//! of a 401 can be produced on demand with nothing to install. It serves
//! `authdoctor lab` and `authdoctor demo`, the tests and the benchmarks.
//!
//! Listeners (ports ephemeral unless given):
//!
//! - the identity provider, `http://127.0.0.1:P/{prod,staging}`;
//! - the API, `http://127.0.0.1:Q`, with the fault switches under `/lab/`;
//! - the same API on another loopback host, `http://127.0.0.2:R`, the
//!   target of `/redirect/…`;
//! - the same API with a clock 10 minutes fast, `http://127.0.0.1:S`.

// Handlers answer an early failure with the response itself
// (`Result<_, Response>`), the usual axum idiom; boxing it buys nothing.
#![allow(clippy::result_large_err)]

pub mod api;
pub mod dpop;
pub mod idp;
pub mod state;

use authdoctor_causes::Cause;
use authdoctor_jose::{Alg, PrivateKey, SigningKey};
use serde::Serialize;
use state::{Client, Faults, Issuer, Shared, State};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How far ahead the skewed API's clock runs.
pub const SKEW_SECONDS: i64 = 600;

/// How to start a lab.
#[derive(Clone, Debug)]
pub struct Options {
    /// The identity provider's port (0: ephemeral). The API takes the next
    /// ports (Q = P+1, S = P+2) when this is not 0.
    pub port: u16,
    /// Access-token lifetime, seconds.
    pub token_lifetime: i64,
    /// Print log lines (tokens masked) to standard error.
    pub log_to_stderr: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            port: 0,
            token_lifetime: 300,
            log_to_stderr: false,
        }
    }
}

/// Why a lab could not start.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// A port could not be bound.
    #[error(
        "The lab could not listen on {addr}: {err}. Choose another --port, or leave it out for ephemeral ports."
    )]
    Bind {
        /// The address.
        addr: String,
        /// Why.
        err: std::io::Error,
    },
    /// A key could not be made.
    #[error("The lab could not make its keys: {0}")]
    Key(#[from] authdoctor_jose::KeyError),
    /// A token could not be minted.
    #[error("The lab could not mint its example tokens: {0}")]
    Mint(String),
}

/// A client as the lab describes it.
#[derive(Clone, Debug, Serialize)]
pub struct ClientInfo {
    /// Its id.
    pub client_id: String,
    /// Its secret (none for a public client).
    pub client_secret: Option<String>,
    /// Grants it may use.
    pub grant_types: Vec<&'static str>,
    /// Client authentication methods the token endpoint accepts from it.
    pub token_endpoint_auth_methods: Vec<&'static str>,
    /// Scopes it may have.
    pub scopes: Vec<&'static str>,
}

/// A protected route.
#[derive(Clone, Debug, Serialize)]
pub struct ResourceInfo {
    /// A short name.
    pub name: &'static str,
    /// The HTTP method.
    pub method: &'static str,
    /// The URL.
    pub url: String,
    /// What it needs.
    pub requires: &'static str,
    /// The audience it expects (ask the token endpoint with `resource=` this).
    pub audience: Option<String>,
    /// The issuer it trusts.
    pub issuer: Option<String>,
    /// The scope to ask for.
    pub scope: Option<&'static str>,
    /// The RFC 8707 resource to ask for.
    pub resource: Option<String>,
}

/// A ready command that fails for one named cause.
#[derive(Clone, Debug, Serialize)]
pub struct Example {
    /// The cause it produces.
    pub cause: Cause,
    /// What it shows.
    pub description: &'static str,
    /// The command line.
    pub curl: String,
}

/// Everything a user or script needs to use the lab.
#[derive(Clone, Debug, Serialize)]
pub struct LabInfo {
    /// Issuer name → issuer URL.
    pub issuers: BTreeMap<String, String>,
    /// The API's base URL.
    pub api: String,
    /// The same API on another loopback host (the redirect target).
    pub api_other_host: String,
    /// The same API with its clock 10 minutes fast.
    pub api_skewed: String,
    /// The fault switches (GET to read, POST a JSON object to change).
    pub faults: String,
    /// The demo clients.
    pub clients: Vec<ClientInfo>,
    /// The demo user, for Basic, the cookie login and the code flow.
    pub user: BTreeMap<&'static str, &'static str>,
    /// The protected routes.
    pub resources: Vec<ResourceInfo>,
    /// Ready commands, each failing for one cause.
    pub examples: Vec<Example>,
}

/// A running lab. Dropping it does not stop it; call [`Lab::shutdown`].
pub struct Lab {
    state: Shared,
    info: LabInfo,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

/// The four RSA keys a lab starts with, as PKCS#8. RSA key generation is
/// most of a lab's start-up (about 80 ms a key), so the keys are made on
/// four threads at the first start in a process and reused by later starts
/// in the same process (a test suite starts many labs; each still has its
/// own ports, issuer URLs and state, and rotation makes fresh keys).
fn start_keys() -> Result<[Vec<u8>; 4], LabError> {
    static CACHE: Mutex<Option<[Vec<u8>; 4]>> = Mutex::new(None);
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(k) = cache.as_ref() {
        return Ok(k.clone());
    }
    let made: Vec<Result<Vec<u8>, LabError>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    let k = PrivateKey::generate(&Alg::RS256)?;
                    k.to_pkcs8()
                        .ok_or(LabError::Mint("an RSA key has no PKCS#8 form".into()))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or(Err(LabError::Mint("key generation panicked".into())))
            })
            .collect()
    });
    let mut keys = Vec::with_capacity(4);
    for k in made {
        keys.push(k?);
    }
    let keys: [Vec<u8>; 4] = keys
        .try_into()
        .map_err(|_| LabError::Mint("four keys were not made".into()))?;
    *cache = Some(keys.clone());
    Ok(keys)
}

async fn bind(ip: IpAddr, port: u16) -> Result<TcpListener, LabError> {
    let addr = SocketAddr::new(ip, port);
    TcpListener::bind(addr).await.map_err(|err| LabError::Bind {
        addr: addr.to_string(),
        err,
    })
}

fn serve(
    listener: TcpListener,
    router: axum::Router,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let _ = axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stop.wait_for(|s| *s).await;
            })
            .await;
    })
}

impl Lab {
    /// Starts every listener and returns once all of them accept.
    pub async fn start(opts: Options) -> Result<Lab, LabError> {
        let lo = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let lo2 = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
        let next = |n: u16| {
            if opts.port == 0 {
                0
            } else {
                opts.port.saturating_add(n)
            }
        };
        let idp_l = bind(lo, opts.port).await?;
        let api_l = bind(lo, next(1)).await?;
        let skew_l = bind(lo, next(2)).await?;
        let alt_l = bind(lo2, next(1)).await?;
        let port = |l: &TcpListener| l.local_addr().map(|a| a.port()).unwrap_or(0);
        let idp_base = format!("http://127.0.0.1:{}", port(&idp_l));
        let api_base = format!("http://127.0.0.1:{}", port(&api_l));
        let skew_base = format!("http://127.0.0.1:{}", port(&skew_l));
        let alt_base = format!("http://127.0.0.2:{}", port(&alt_l));

        // Keys: prod signs with prod-1; prod-0 is retired (its tokens fail
        // with an unknown kid); an impostor also calls itself prod-1.
        let [prod_old, prod, staging, impostor] = start_keys()?;
        let key = |der: Vec<u8>, kid: &str| -> Result<SigningKey, LabError> {
            Ok(SigningKey::new(
                PrivateKey::from_pkcs8(&Alg::RS256, &der)?,
                kid,
            ))
        };
        let (prod_old, prod) = (key(prod_old, "prod-0")?, key(prod, "prod-1")?);
        let (staging, impostor) = (key(staging, "staging-1")?, key(impostor, "prod-1")?);
        let secret = |_: ()| state::random_token(24);
        let clients = vec![
            Client {
                client_id: "demo-cli".into(),
                client_secret: Some(authdoctor_secret::ClientSecret::new(secret(()))),
                grant_types: vec!["client_credentials", "authorization_code", "refresh_token"],
                scopes: vec![
                    "orders:read",
                    "orders:write",
                    "openid",
                    "profile",
                    "offline_access",
                ],
                roles: vec![],
                post_only: false,
            },
            Client {
                client_id: "demo-post".into(),
                client_secret: Some(authdoctor_secret::ClientSecret::new(secret(()))),
                grant_types: vec!["client_credentials"],
                scopes: vec!["orders:read"],
                roles: vec![],
                post_only: true,
            },
            Client {
                client_id: "demo-admin".into(),
                client_secret: Some(authdoctor_secret::ClientSecret::new(secret(()))),
                grant_types: vec!["client_credentials"],
                scopes: vec!["orders:read", "orders:write"],
                roles: vec!["admin"],
                post_only: false,
            },
            Client {
                client_id: "demo-spa".into(),
                client_secret: None,
                grant_types: vec!["authorization_code", "refresh_token"],
                scopes: vec!["orders:read", "openid", "profile", "offline_access"],
                roles: vec![],
                post_only: false,
            },
        ];
        let st = State {
            issuers: vec![
                Issuer {
                    name: "prod".into(),
                    url: format!("{idp_base}/prod"),
                    keys: vec![prod],
                    retired: vec![prod_old],
                    generation: 1,
                },
                Issuer {
                    name: "staging".into(),
                    url: format!("{idp_base}/staging"),
                    keys: vec![staging],
                    retired: vec![],
                    generation: 1,
                },
            ],
            clients: clients.clone(),
            refresh: HashMap::new(),
            codes: HashMap::new(),
            revoked_jti: HashSet::new(),
            sessions: HashMap::new(),
            dpop_jti: HashSet::new(),
            faults: Faults {
                api_clock_offset: 0,
                trusted_issuer: "prod".into(),
                expected_audience: None,
            },
            token_lifetime: opts.token_lifetime,
            next_family: 0,
            log: Vec::new(),
            log_to_stderr: opts.log_to_stderr,
        };
        let shared = Shared(Arc::new(Mutex::new(st)));
        let (stop, rx) = watch::channel(false);
        let api = |base: &str, extra_offset: i64, admin: bool| api::Api {
            state: shared.clone(),
            base: base.to_owned(),
            resource_base: api_base.clone(),
            redirect_base: alt_base.clone(),
            extra_offset,
            admin,
        };
        let tasks = vec![
            serve(idp_l, idp::router(shared.clone()), rx.clone()),
            serve(api_l, api::router(api(&api_base, 0, true)), rx.clone()),
            serve(alt_l, api::router(api(&alt_base, 0, false)), rx.clone()),
            serve(
                skew_l,
                api::router(api(&skew_base, SKEW_SECONDS, false)),
                rx,
            ),
        ];
        let info = examples::info(
            &shared, &clients, &impostor, &idp_base, &api_base, &alt_base, &skew_base,
        )?;
        Ok(Lab {
            state: shared,
            info,
            stop,
            tasks,
        })
    }

    /// URLs, clients, resources and examples.
    pub fn info(&self) -> &LabInfo {
        &self.info
    }

    /// The shared state, for tests that switch faults in-process.
    pub fn state(&self) -> &Shared {
        &self.state
    }

    /// The log lines so far (every token in them masked).
    pub fn log(&self) -> Vec<String> {
        self.state.lock().log.clone()
    }

    /// Stops every listener and waits for them.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

mod examples;
pub use examples::EXAMPLE_LIFETIME;
