//! State several guard nodes share through Redis: the limiter's counters,
//! the revocation denylist, introspection's answers and the DPoP proofs
//! used.
//!
//! Nothing on a request's path waits for Redis but the look-up of an
//! introspection answer this node does not have (and then for at most
//! [`READ_TIMEOUT`], before it asks the issuer itself), and a DPoP proof's
//! first use (at most as long; unanswered, the proof is judged by this
//! node's memory of proofs alone). Failures,
//! revocations and answers are queued — a bounded queue: under a flood the
//! excess is counted and dropped, never held — to one worker that sends them
//! in pipelines. A client the counters flag, or a token found revoked, is
//! published on a channel every node listens to, and each node puts it in its
//! own limiter or denylist, which is what requests read.
//!
//! When Redis cannot be reached, every token is still checked from local
//! state (never fail open), the limits are those of one node, and the reject
//! log (`redis_unavailable`, `redis_connected`) and `/metrics`
//! (`authdoctor_guard_redis_up`) say so. The connection is tried again every
//! second.
//!
//! Keys, under the configured prefix `P`: `P:f:{ip}`, `P:g:{ip}`, `P:c:{ip}`
//! (failures, forged tokens and a HyperLogLog of distinct credentials in the
//! current window), `P:b:{ip}` (a block), `P:r:<sha256>` (a revoked token),
//! `P:i:<sha256>` (an introspection answer), `P:d:<sha256>` (a DPoP proof's
//! `jti`, used); the channel is `P:notices`. A token itself is never
//! stored, only its SHA-256.

use crate::proxy::{Claims, Guard};
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::Duration;
use tokio::sync::mpsc;

/// The longest a request waits for Redis.
pub(crate) const READ_TIMEOUT: Duration = Duration::from_millis(250);

/// The most events waiting for the worker; past it they are dropped.
const QUEUE: usize = 65_536;

/// One failure against the window of its client address, atomically:
/// counts it, remembers its credential, and when the address has failed
/// often enough with enough distinct credentials, sets the block (once) and
/// returns the kind of attack. `KEYS`: failures, forged, credentials, block.
/// `ARGV`: credential, forged (1/0), window, failures, distinct, block
/// seconds.
const FAILURE: &str = r"
local f = redis.call('INCR', KEYS[1])
if f == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  redis.call('DEL', KEYS[2], KEYS[3])
end
local g = tonumber(redis.call('GET', KEYS[2]) or '0')
if ARGV[2] == '1' then g = redis.call('INCR', KEYS[2]) end
redis.call('PFADD', KEYS[3], ARGV[1])
local t = redis.call('TTL', KEYS[1])
if t > 0 then
  redis.call('EXPIRE', KEYS[2], t)
  redis.call('EXPIRE', KEYS[3], t)
end
if f >= tonumber(ARGV[4]) and redis.call('PFCOUNT', KEYS[3]) >= tonumber(ARGV[5]) then
  local kind = 'credential_stuffing'
  if g * 2 > f then kind = 'token_guessing' end
  if redis.call('SET', KEYS[4], kind, 'NX', 'EX', ARGV[6]) then return kind end
end
return ''
";

/// What a node tells the others.
enum Event {
    Failure {
        ip: IpAddr,
        credential: u64,
        forged: bool,
    },
    Revoked {
        key: [u8; 32],
        until: i64,
    },
    Answer {
        key: [u8; 32],
        answer: Option<Claims>,
        seconds: u64,
    },
}

/// A guard node's link to the others.
pub(crate) struct Cluster {
    prefix: String,
    client: redis::Client,
    conn: RwLock<Option<redis::aio::MultiplexedConnection>>,
    up: AtomicBool,
    tx: mpsc::Sender<Event>,
    rx: Mutex<Option<mpsc::Receiver<Event>>>,
    /// Commands that failed.
    pub(crate) errors: AtomicU64,
    /// Events dropped: the queue was full or Redis was down.
    pub(crate) dropped: AtomicU64,
}

fn hex(key: &[u8; 32]) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<[u8; 32]> {
    let mut k = [0u8; 32];
    if s.len() != 64 {
        return None;
    }
    for (i, b) in k.iter_mut().enumerate() {
        *b = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(k)
}

impl Cluster {
    /// A link for `url` (not yet connected: [`Cluster::start`] does that).
    pub(crate) fn new(url: &str, prefix: &str) -> Result<Cluster, String> {
        let client = redis::Client::open(url).map_err(|e| {
            format!(
                "the redis url {} cannot be used: {}",
                authdoctor_secret::scrub(url),
                authdoctor_secret::scrub(&e.to_string())
            )
        })?;
        let (tx, rx) = mpsc::channel(QUEUE);
        Ok(Cluster {
            prefix: prefix.to_owned(),
            client,
            conn: RwLock::new(None),
            up: AtomicBool::new(false),
            tx,
            rx: Mutex::new(Some(rx)),
            errors: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
        })
    }

    /// Starts the connection keeper and the worker, for as long as the guard
    /// lives.
    pub(crate) fn start(self: &Arc<Self>, guard: Weak<Guard>) {
        let rx = self.rx.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(rx) = rx {
            tokio::spawn(self.clone().work(rx, guard.clone()));
        }
        tokio::spawn(self.clone().keep(guard));
    }

    /// Whether Redis answers now.
    pub(crate) fn is_up(&self) -> bool {
        self.up.load(Ordering::Relaxed)
    }

    fn channel(&self) -> String {
        format!("{}:notices", self.prefix)
    }

    fn connection(&self) -> Option<redis::aio::MultiplexedConnection> {
        self.conn.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn queue(&self, e: Event) {
        if !self.is_up() || self.tx.try_send(e).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A failed authentication from `ip`, for the shared window.
    pub(crate) fn failure(&self, ip: IpAddr, credential: u64, forged: bool) {
        self.queue(Event::Failure {
            ip,
            credential,
            forged,
        });
    }

    /// A token (by digest) found revoked: every node refuses it until `until`.
    pub(crate) fn revoked(&self, key: [u8; 32], until: i64) {
        self.queue(Event::Revoked { key, until });
    }

    /// What introspection said of a token, for the other nodes.
    pub(crate) fn answered(&self, key: [u8; 32], answer: Option<Claims>, seconds: u64) {
        if seconds > 0 {
            self.queue(Event::Answer {
                key,
                answer,
                seconds,
            });
        }
    }

    /// An introspection answer another node had: the claims when active,
    /// `None` when not; nothing when Redis has none or does not answer soon.
    pub(crate) async fn answer(&self, key: &[u8; 32]) -> Option<Option<Claims>> {
        let mut conn = self.connection()?;
        let k = format!("{}:i:{}", self.prefix, hex(key));
        let got = tokio::time::timeout(
            READ_TIMEOUT,
            redis::cmd("GET")
                .arg(&k)
                .query_async::<Option<String>>(&mut conn),
        )
        .await;
        let text = match got {
            Ok(Ok(v)) => v?,
            _ => {
                self.errors.fetch_add(1, Ordering::Relaxed);
                return None;
            }
        };
        match serde_json::from_str::<Value>(&text).ok()? {
            Value::Object(m) => Some(Some(Arc::new(m))),
            Value::Bool(false) => Some(None),
            _ => None,
        }
    }

    /// Whether this is the first use in the cluster of the DPoP proof
    /// whose `jti` has digest `key` (RFC 9449 §11.1: a proof replayed to
    /// another node is refused there too), remembered for `seconds`.
    /// `None` when Redis is down or does not answer soon.
    pub(crate) async fn first_use(&self, key: &[u8; 32], seconds: u64) -> Option<bool> {
        if !self.is_up() {
            return None;
        }
        let mut conn = self.connection()?;
        let k = format!("{}:d:{}", self.prefix, hex(key));
        let set = tokio::time::timeout(
            READ_TIMEOUT,
            redis::cmd("SET")
                .arg(&k)
                .arg(1)
                .arg("NX")
                .arg("EX")
                .arg(seconds.max(1))
                .query_async::<Option<String>>(&mut conn),
        )
        .await;
        match set {
            Ok(Ok(v)) => Some(v.is_some()),
            _ => {
                self.errors.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    fn set_up(&self, guard: &Guard, up: bool, why: &str) {
        if self.up.swap(up, Ordering::Relaxed) != up {
            if up {
                guard.log_event(
                    "redis_connected",
                    json!({"detail": "limits, revocations and introspection answers are shared again"}),
                );
            } else {
                guard.log_event(
                    "redis_unavailable",
                    json!({"detail": format!("{}; tokens are still checked, limits are per node until it is back", authdoctor_secret::scrub(why))}),
                );
            }
        }
    }

    /// Keeps a connection and the subscription to the notices; marks Redis
    /// down when either fails, and tries again every second.
    async fn keep(self: Arc<Self>, guard: Weak<Guard>) {
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Duration::from_secs(1))
            .set_response_timeout(Duration::from_secs(1));
        loop {
            let connect = async {
                let conn = self
                    .client
                    .get_multiplexed_async_connection_with_config(&config)
                    .await?;
                let mut sub = self.client.get_async_pubsub().await?;
                sub.subscribe(self.channel()).await?;
                Ok::<_, redis::RedisError>((conn, sub))
            };
            let why = match tokio::time::timeout(Duration::from_secs(2), connect).await {
                Ok(Ok((conn, sub))) => {
                    let Some(g) = guard.upgrade() else { return };
                    *self.conn.write().unwrap_or_else(|e| e.into_inner()) = Some(conn.clone());
                    self.set_up(&g, true, "");
                    drop(g);
                    let why = self.listen(sub, conn, &guard).await;
                    *self.conn.write().unwrap_or_else(|e| e.into_inner()) = None;
                    why
                }
                Ok(Err(e)) => format!("Redis cannot be reached: {e}"),
                Err(_) => "Redis did not answer within 2 s".to_owned(),
            };
            let Some(g) = guard.upgrade() else { return };
            self.set_up(&g, false, &why);
            drop(g);
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    /// Applies the notices until the subscription ends or a ping fails;
    /// returns why.
    async fn listen(
        &self,
        sub: redis::aio::PubSub,
        mut conn: redis::aio::MultiplexedConnection,
        guard: &Weak<Guard>,
    ) -> String {
        let mut notices = sub.into_on_message();
        let mut ping = tokio::time::interval(Duration::from_secs(2));
        loop {
            tokio::select! {
                msg = notices.next() => {
                    let Some(msg) = msg else {
                        return "the connection to Redis closed".to_owned();
                    };
                    let Some(g) = guard.upgrade() else {
                        return String::new();
                    };
                    if let Ok(text) = msg.get_payload::<String>() {
                        g.notice(&text);
                    }
                }
                _ = ping.tick() => {
                    let pong = tokio::time::timeout(
                        READ_TIMEOUT * 4,
                        redis::cmd("PING").query_async::<String>(&mut conn),
                    )
                    .await;
                    match pong {
                        Ok(Ok(_)) => {}
                        Ok(Err(e)) => return format!("Redis failed a ping: {e}"),
                        Err(_) => return "Redis did not answer a ping within 1 s".to_owned(),
                    }
                    if guard.strong_count() == 0 {
                        return String::new();
                    }
                }
            }
        }
    }

    /// Sends the queued events in pipelines; publishes the clients the
    /// shared counters flag.
    async fn work(self: Arc<Self>, mut rx: mpsc::Receiver<Event>, guard: Weak<Guard>) {
        let mut batch = Vec::with_capacity(256);
        while rx.recv_many(&mut batch, 256).await > 0 {
            let Some(g) = guard.upgrade() else { return };
            let Some(mut conn) = self.connection() else {
                self.dropped
                    .fetch_add(batch.len() as u64, Ordering::Relaxed);
                batch.clear();
                continue;
            };
            let c = g.config();
            let l = &c.limits;
            let now = jiff::Timestamp::now().as_second();
            let p = &self.prefix;
            let mut pipe = redis::pipe();
            let mut failures = Vec::new();
            for e in batch.drain(..) {
                match e {
                    Event::Failure {
                        ip,
                        credential,
                        forged,
                    } => {
                        // One hash tag per address: the keys of a script
                        // stay on one Redis Cluster slot.
                        pipe.cmd("EVAL")
                            .arg(FAILURE)
                            .arg(4)
                            .arg(format!("{p}:f:{{{ip}}}"))
                            .arg(format!("{p}:g:{{{ip}}}"))
                            .arg(format!("{p}:c:{{{ip}}}"))
                            .arg(format!("{p}:b:{{{ip}}}"))
                            .arg(format!("{credential:016x}"))
                            .arg(if forged { "1" } else { "0" })
                            .arg(l.window_seconds.max(1))
                            .arg(l.failures_per_client)
                            .arg(l.distinct_credentials_per_client)
                            .arg(l.block_seconds);
                        failures.push(ip);
                    }
                    Event::Revoked { key, until } => {
                        let h = hex(&key);
                        let ttl = (until - now).max(1);
                        pipe.cmd("SET")
                            .arg(format!("{p}:r:{h}"))
                            .arg(until)
                            .arg("EX")
                            .arg(ttl)
                            .ignore();
                        pipe.cmd("PUBLISH")
                            .arg(self.channel())
                            .arg(format!("revoke {h} {until}"))
                            .ignore();
                    }
                    Event::Answer {
                        key,
                        answer,
                        seconds,
                    } => {
                        let v = match answer {
                            Some(m) => Value::Object((*m).clone()),
                            None => Value::Bool(false),
                        };
                        pipe.cmd("SET")
                            .arg(format!("{p}:i:{}", hex(&key)))
                            .arg(v.to_string())
                            .arg("EX")
                            .arg(seconds)
                            .ignore();
                    }
                }
            }
            let kinds = match pipe.query_async::<Vec<String>>(&mut conn).await {
                Ok(k) => k,
                Err(e) => {
                    self.errors.fetch_add(1, Ordering::Relaxed);
                    self.set_up(&g, false, &format!("a Redis command failed: {e}"));
                    continue;
                }
            };
            for (ip, kind) in failures.iter().zip(kinds) {
                if kind.is_empty() {
                    continue;
                }
                // Logged before it is published: no node refuses the
                // client before the line that says why is written.
                g.flagged(*ip, &kind, "cluster");
                let notice = format!("block {ip} {} {kind}", l.block_seconds);
                let sent = redis::cmd("PUBLISH")
                    .arg(self.channel())
                    .arg(&notice)
                    .query_async::<i64>(&mut conn)
                    .await;
                if sent.is_err() {
                    self.errors.fetch_add(1, Ordering::Relaxed);
                    // Still honoured here.
                    g.notice(&notice);
                }
            }
        }
    }
}

/// A notice, read: what a node applies to its own state.
#[derive(Debug, PartialEq)]
pub(crate) enum Notice {
    /// Answer `ip` 429 for `seconds`.
    Block { ip: IpAddr, seconds: u64 },
    /// Refuse the token with this digest until `until`.
    Revoke { key: [u8; 32], until: i64 },
}

impl Notice {
    pub(crate) fn parse(text: &str) -> Option<Notice> {
        let mut w = text.split(' ');
        match w.next()? {
            "block" => Some(Notice::Block {
                ip: w.next()?.parse().ok()?,
                seconds: w.next()?.parse().ok()?,
            }),
            "revoke" => Some(Notice::Revoke {
                key: unhex(w.next()?)?,
                until: w.next()?.parse().ok()?,
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_read_back_and_garbage_is_ignored() {
        let key = [0xab; 32];
        assert_eq!(
            Notice::parse(&format!("revoke {} 1700000000", hex(&key))),
            Some(Notice::Revoke {
                key,
                until: 1_700_000_000
            })
        );
        assert_eq!(
            Notice::parse("block 2001:db8::1 300 token_guessing"),
            Some(Notice::Block {
                ip: "2001:db8::1".parse().unwrap_or(IpAddr::from([0, 0, 0, 0])),
                seconds: 300
            })
        );
        for bad in [
            "",
            "block",
            "block x 1",
            "revoke zz 1",
            "revoke ab 1",
            "nuke 1",
        ] {
            assert_eq!(Notice::parse(bad), None, "{bad}");
        }
    }
}
