//! What the user knows that the request does not say (the context flags),
//! and what the diagnoses of one run share.

use authdoctor_secret::{ClientSecret, RefreshToken, Token};
use std::sync::{Arc, Mutex};

pub use authdoctor_diagnosis::spec::{
    BrowserSaw, JarCookie, PasswordScheme, RecordedDocument, Redirected, RequestSpec, Session,
    TokenRequest,
};

/// A callback told each network step as it starts (a progress line).
#[derive(Clone)]
pub struct Progress(pub std::sync::Arc<dyn Fn(&str) + Send + Sync>);

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress(..)")
    }
}

/// What the user knows that the request does not say.
#[derive(Clone, Debug)]
pub struct Context {
    /// The issuer the API trusts.
    pub issuer: Option<String>,
    /// The audience the API expects.
    pub audience: Option<String>,
    /// Scopes the endpoint needs.
    pub scopes: Vec<String>,
    /// The client id (for introspection, a fresh token, and telling an ID token apart).
    pub client_id: Option<String>,
    /// The client secret.
    pub client_secret: Option<ClientSecret>,
    /// A refresh token (used at most once).
    pub refresh_token: Option<RefreshToken>,
    /// The token endpoint, when discovery cannot find it.
    pub token_endpoint: Option<String>,
    /// The clock-skew allowance, seconds.
    pub leeway: u64,
    /// Whether to get a fresh token and send the request again.
    pub retry: bool,
    /// Whether that retry may resend an unsafe method.
    pub retry_unsafe: bool,
    /// The deadline of a whole diagnosis, seconds: every network step of
    /// it (redirects, metadata, keys, a fresh token, the retry) ends by then.
    pub timeout_secs: u64,
    /// More origins the user trusts with credentials, beside those of
    /// `issuer` and `token_endpoint` (an identity provider the resource's
    /// metadata names, confirmed with `--trust-origin`).
    pub trusted_origins: Vec<String>,
    /// Whether a credential may go to an endpoint over plain http on
    /// another machine (loopback is always allowed).
    pub allow_http: bool,
    /// Told each network step as it starts.
    pub progress: Option<Progress>,
    /// What the diagnoses of one invocation share (see [`RunState`]).
    pub run: Arc<RunState>,
}

/// What the diagnoses of one invocation share: a refresh token is spent at
/// most once per run (a second use of a rotated refresh token revokes the
/// whole family at most providers), and the access token it bought, with
/// the rotated refresh token, is kept for every later diagnosis of the run
/// (the entries of a HAR file).
#[derive(Debug, Default)]
pub struct RunState {
    inner: Mutex<RunInner>,
}

#[derive(Debug, Default)]
struct RunInner {
    refresh_spent: bool,
    bought: Option<Bought>,
}

/// What one use of the refresh token bought.
#[derive(Clone, Debug)]
pub struct Bought {
    /// The token endpoint that answered.
    pub endpoint: String,
    /// The fresh access token.
    pub access_token: Token,
    /// The new refresh token, when the endpoint rotated it.
    pub rotated: Option<RefreshToken>,
}

impl RunState {
    /// Marks the refresh token spent; false when it already was.
    pub fn spend_refresh_token(&self) -> bool {
        let Ok(mut g) = self.inner.lock() else {
            return false;
        };
        !std::mem::replace(&mut g.refresh_spent, true)
    }

    /// Keeps what the refresh token bought.
    pub fn keep(&self, b: Bought) {
        if let Ok(mut g) = self.inner.lock() {
            g.bought = Some(b);
        }
    }

    /// What the refresh token bought earlier in this run, if anything.
    pub fn bought(&self) -> Option<Bought> {
        self.inner.lock().ok()?.bought.clone()
    }
}

impl Context {
    /// The trust policy for credentials this context allows: the origins
    /// the user named, and nothing else.
    pub fn trust(&self) -> authdoctor_net::Trust {
        authdoctor_net::Trust::new(
            self.issuer
                .iter()
                .chain(&self.token_endpoint)
                .chain(&self.trusted_origins)
                .map(String::as_str),
            self.allow_http,
        )
    }

    /// Reports a step to the progress callback, if any.
    pub fn step(&self, what: &str) {
        if let Some(p) = &self.progress {
            (p.0)(what);
        }
    }
}

impl Default for Context {
    fn default() -> Self {
        Context {
            issuer: None,
            audience: None,
            scopes: Vec::new(),
            client_id: None,
            client_secret: None,
            refresh_token: None,
            token_endpoint: None,
            leeway: 60,
            retry: true,
            retry_unsafe: false,
            timeout_secs: 30,
            trusted_origins: Vec::new(),
            allow_http: false,
            progress: None,
            run: Arc::default(),
        }
    }
}
