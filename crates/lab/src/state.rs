//! The lab's shared state: issuers and their keys, clients, grants, the
//! revocation lists, and the switchable faults. One mutex guards it; no
//! handler holds it across an await.

use authdoctor_jose::{Alg, JwkSet, SigningKey};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

/// An issuer: its URL, its signing keys (the last is active), and the keys
/// it has retired (no longer published).
pub struct Issuer {
    /// `prod` or `staging`.
    pub name: String,
    /// The issuer identifier, `http://127.0.0.1:PORT/NAME`.
    pub url: String,
    /// Published keys; the last one signs.
    pub keys: Vec<SigningKey>,
    /// Keys taken out of the JWKS (tokens signed with them fail with an
    /// unknown kid).
    pub retired: Vec<SigningKey>,
    /// How many keys this issuer has made, for kids.
    pub generation: u32,
}

impl Issuer {
    /// The key that signs now.
    pub fn active(&self) -> &SigningKey {
        // Never empty: an issuer is created with a key, and retiring the
        // active key is refused.
        &self.keys[self.keys.len() - 1]
    }

    /// The published key set.
    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: self.keys.iter().map(SigningKey::public_jwk).collect(),
        }
    }

    /// Makes a new key and makes it the active one; the old stays published.
    pub fn rotate(&mut self) -> Result<String, authdoctor_jose::KeyError> {
        self.generation += 1;
        let kid = format!("{}-{}", self.name, self.generation);
        self.keys
            .push(SigningKey::generate(&Alg::RS256, kid.clone())?);
        Ok(kid)
    }

    /// Takes a key out of the JWKS. The active key cannot be retired.
    pub fn retire(&mut self, kid: &str) -> Result<(), String> {
        let Some(i) = self.keys.iter().position(|k| k.kid == kid) else {
            return Err(format!("the issuer {} publishes no key {kid:?}", self.name));
        };
        if i == self.keys.len() - 1 {
            return Err(format!("{kid:?} is the active key; rotate first"));
        }
        let k = self.keys.remove(i);
        self.retired.push(k);
        Ok(())
    }
}

/// A registered client.
#[derive(Clone, Debug, Serialize)]
pub struct Client {
    /// The id.
    pub client_id: String,
    /// The secret (`None` for a public client); Debug and Serialize masked.
    pub client_secret: Option<authdoctor_secret::ClientSecret>,
    /// The grants it may use.
    pub grant_types: Vec<&'static str>,
    /// Scopes it may be given.
    pub scopes: Vec<&'static str>,
    /// Roles its tokens carry (`roles` claim).
    pub roles: Vec<&'static str>,
    /// Whether the token endpoint accepts only client_secret_post from it
    /// (some providers register a client for one method only).
    pub post_only: bool,
}

/// A refresh token's grant.
#[derive(Clone, Debug)]
pub struct RefreshGrant {
    /// Which issuer.
    pub issuer: String,
    /// The client it was issued to.
    pub client_id: String,
    /// The subject.
    pub sub: String,
    /// The scope granted.
    pub scope: String,
    /// The resource (audience) asked for.
    pub resource: Option<String>,
    /// Whether it has been used (rotated) or revoked.
    pub spent: bool,
    /// The family: all refresh tokens descended from one grant, revoked
    /// together when a spent one is reused (OAuth 2.0 Security BCP §4.14).
    pub family: u64,
    /// The authentication context of the sign-in.
    pub acr: Option<String>,
    /// When the user signed in.
    pub auth_time: i64,
}

/// An authorization code waiting to be exchanged.
#[derive(Clone, Debug)]
pub struct CodeGrant {
    /// Which issuer.
    pub issuer: String,
    /// The client.
    pub client_id: String,
    /// The redirect URI it was sent to.
    pub redirect_uri: String,
    /// The PKCE challenge (S256).
    pub code_challenge: Option<String>,
    /// The scope.
    pub scope: String,
    /// The OIDC nonce.
    pub nonce: Option<String>,
    /// The resource asked for.
    pub resource: Option<String>,
    /// The authentication context reached.
    pub acr: Option<String>,
    /// When it expires.
    pub expires: i64,
    /// When the user signed in.
    pub auth_time: i64,
}

/// The faults that can be switched at run time.
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct Faults {
    /// Seconds added to the API's clock (its `Date` header shows it).
    pub api_clock_offset: i64,
    /// Which issuer the API trusts (`prod` or `staging`).
    pub trusted_issuer: String,
    /// The audience the API expects, when not its own.
    pub expected_audience: Option<String>,
}

/// Everything the lab's handlers share.
pub struct State {
    /// Issuers by name.
    pub issuers: Vec<Issuer>,
    /// Clients by id.
    pub clients: Vec<Client>,
    /// Refresh tokens (the token itself is the key).
    pub refresh: HashMap<String, RefreshGrant>,
    /// Authorization codes.
    pub codes: HashMap<String, CodeGrant>,
    /// Revoked access tokens, by `jti`.
    pub revoked_jti: HashSet<String>,
    /// Cookie sessions: id → expiry (by the API's clock).
    pub sessions: HashMap<String, i64>,
    /// DPoP proof `jti`s seen (replay protection).
    pub dpop_jti: HashSet<String>,
    /// The faults.
    pub faults: Faults,
    /// Access-token lifetime, seconds.
    pub token_lifetime: i64,
    /// The next refresh-token family.
    pub next_family: u64,
    /// Lines of the lab's log (rejections, grants), tokens masked.
    pub log: Vec<String>,
    /// Whether log lines are also printed to standard error.
    pub log_to_stderr: bool,
}

impl State {
    /// The issuer called `name`.
    pub fn issuer(&self, name: &str) -> Option<&Issuer> {
        self.issuers.iter().find(|i| i.name == name)
    }

    /// The issuer called `name`, to change.
    pub fn issuer_mut(&mut self, name: &str) -> Option<&mut Issuer> {
        self.issuers.iter_mut().find(|i| i.name == name)
    }

    /// The client with this id.
    pub fn client(&self, id: &str) -> Option<&Client> {
        self.clients.iter().find(|c| c.client_id == id)
    }

    /// Records a log line (the caller has masked every secret in it).
    pub fn log(&mut self, line: String) {
        if self.log_to_stderr {
            eprintln!("lab: {line}");
        }
        self.log.push(line);
    }
}

/// The shared handle.
#[derive(Clone)]
pub struct Shared(pub Arc<Mutex<State>>);

impl Shared {
    /// Locks the state. A handler that panicked while holding the lock
    /// leaves data that is still consistent enough for a lab; keep going.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Random bytes as base64url: tokens, codes, secrets.
pub fn random_token(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    // The system's random source does not fail on a working machine; a lab
    // that cannot make unguessable tokens must not run.
    authdoctor_jose::crypto::fill_random(&mut b).expect("the system random source works");
    authdoctor_jose::b64::encode(&b)
}

/// The local clock, seconds since the epoch.
pub fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}
