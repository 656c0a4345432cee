//! An issuer's keys, fetched in the background and refetched on an unknown
//! `kid`, and its introspection endpoint for opaque tokens (RFC 7662).

use super::*;

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
    pub(super) issuer: String,
    jwks_uri: Option<String>,
    pub(super) introspection: Option<Introspection>,
    probe: authdoctor_net::Probe,
    current: RwLock<Option<(Arc<JwkSet>, Instant)>>,
    last_attempt: Mutex<Option<Instant>>,
    refreshing: tokio::sync::Mutex<()>,
    min_interval: Duration,
}

/// How the guard asks an issuer whether a token is active (RFC 7662).
pub(super) struct Introspection {
    endpoint: String,
    client_id: String,
    secret: authdoctor_secret::ClientSecret,
    ttl: i64,
    /// An answer without `token_type` is no access token's.
    requires_token_type: bool,
    /// Introspection's answers by token digest: the claims when active,
    /// `None` when not, each until the token's `exp` or `ttl`.
    answers: TokenCache<Option<Claims>>,
    /// The questions being asked, by token digest: the requests that carry
    /// a token while it is asked about wait for that one answer. Only the
    /// questions in flight are here.
    asking: Mutex<HashMap<[u8; 32], Arc<tokio::sync::OnceCell<Active>>>>,
}

/// A request's part in one question to the issuer; on leaving (answered,
/// or the request gone), the last one out removes the question.
struct Asking<'a> {
    asking: &'a Mutex<HashMap<[u8; 32], Arc<tokio::sync::OnceCell<Active>>>>,
    key: [u8; 32],
    flight: Arc<tokio::sync::OnceCell<Active>>,
}

impl Drop for Asking<'_> {
    fn drop(&mut self) {
        let mut m = lock(self.asking);
        // Held by the map and by this request alone: nobody else waits.
        if m.get(&self.key)
            .is_some_and(|f| Arc::ptr_eq(f, &self.flight))
            && Arc::strong_count(&self.flight) <= 2
        {
            m.remove(&self.key);
        }
    }
}

impl IssuerKeys {
    /// The key set `old` holds, taken over where it is the same issuer's
    /// at the same key-set address: a reload keeps serving with the keys
    /// it had (refetched behind), where fresh keys to fetch first would
    /// answer 503 until they came.
    pub(super) fn keep_keys_of(&self, old: &IssuerKeys) {
        if self.issuer == old.issuer && self.jwks_uri == old.jwks_uri {
            let keys = old
                .current
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .clone();
            *self.current.write().unwrap_or_else(|e| e.into_inner()) = keys;
        }
    }

    pub(super) fn new(i: &crate::config::IssuerConfig) -> Result<IssuerKeys, String> {
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
                    requires_token_type: i.introspection_requires_token_type,
                    answers: TokenCache::new(100_000),
                    asking: Mutex::new(HashMap::new()),
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

    pub(super) async fn fetch(&self) -> Result<JwkSet, String> {
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
    pub(super) async fn refresh(&self, metrics: &Metrics, force: bool) {
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
#[derive(Clone)]
pub(super) enum Active {
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
    pub(super) fn introspection_ttl(&self) -> i64 {
        self.introspection.as_ref().map_or(0, |i| i.ttl)
    }

    /// Asks the issuer whether `token` is active: through this node's
    /// answers, then the other nodes' (when shared), then the issuer.
    pub(super) async fn introspect(
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
        // One question per token at a time: a page's burst of requests with
        // a fresh token costs the issuer one introspection. Should the
        // request asking go away, a waiting one asks in its place.
        let flight = lock(&i.asking)
            .entry(key)
            .or_insert_with(|| Arc::new(tokio::sync::OnceCell::new()))
            .clone();
        let part = Asking {
            asking: &i.asking,
            key,
            flight,
        };
        let answer = part
            .flight
            .get_or_init(|| self.ask(i, token, key, now, cluster))
            .await
            .clone();
        drop(part);
        Some(answer)
    }

    /// Asks the issuer's introspection endpoint about `token`, and keeps
    /// the answer (here, and for the other nodes when shared).
    async fn ask(
        &self,
        i: &Introspection,
        token: &str,
        key: [u8; 32],
        now: i64,
        cluster: Option<&crate::cluster::Cluster>,
    ) -> Active {
        let answer = self
            .probe
            .post_form(
                &i.endpoint,
                // Only an access token is wanted; an issuer that heeds the
                // hint looks no further (RFC 7662 §2.1).
                &[("token", token), ("token_type_hint", "access_token")],
                Some((&i.client_id, i.secret.expose())),
            )
            .await;
        let v = match answer {
            Ok(e) if e.hop.status == 200 => e.json,
            _ => None,
        };
        let Some(Value::Object(m)) = v else {
            return Active::Unknown;
        };
        let active = m.get("active") == Some(&Value::Bool(true));
        let exp = m.get("exp").and_then(Value::as_i64).unwrap_or(now + i.ttl);
        let until = (now + i.ttl).min(exp.max(now));
        let answer = active.then(|| Arc::new(m));
        i.answers.put_key(key, answer.clone(), until, now);
        if let Some(c) = cluster {
            c.answered(key, answer.clone(), (until - now).max(0) as u64);
        }
        match answer {
            Some(claims) => Active::Yes(claims),
            None => Active::No,
        }
    }

    /// What this issuer's introspection answer says the token is, where it
    /// is not an access token ([`authdoctor_jose::check::declared_kind`]);
    /// and, where the issuer is configured to name every access token's
    /// type, an answer that names none.
    pub(super) fn not_an_access_token(&self, claims: &Map<String, Value>) -> Option<String> {
        authdoctor_jose::check::declared_kind(claims).or_else(|| {
            self.introspection
                .as_ref()
                .filter(|i| i.requires_token_type && !claims.contains_key("token_type"))
                .map(|_| "no token_type, which this issuer names for its access tokens".to_owned())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_file_is_read_bounded() {
        let dir = std::env::temp_dir().join(format!("authdoctor-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_default();
        let ok = dir.join("secret");
        std::fs::write(&ok, "s3cret\n").unwrap_or_default();
        assert_eq!(read_secret_file(&ok).as_deref(), Ok("s3cret"));
        let e = read_secret_file(std::path::Path::new("/dev/zero")).unwrap_err();
        assert!(e.contains("larger than"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
