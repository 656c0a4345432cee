//! What the guard counts (`/metrics`, Prometheus text) and the bounded,
//! rotating log of its rejections (one JSON line each, never a token).

use super::*;

/// Counters for `/metrics` (Prometheus text format), kept by hand: a few
/// labelled counters and one histogram do not need a metrics framework.
#[derive(Default)]
pub struct Metrics {
    pub(super) requests: Counters,
    pub(super) rejections: Counters,
    pub(super) cache: Counters,
    pub(super) jwks: Counters,
    pub(super) limiter: Counters,
    pub(super) cluster: Counters,
    pub(super) upstream_errors: AtomicU64,
    /// Requests sent upstream again after the upstream closed their
    /// kept-alive connection under them.
    pub(super) upstream_retries: AtomicU64,
    /// WebSocket tunnels joined, and open now.
    pub(super) tunnels: AtomicU64,
    pub(super) tunnels_open: AtomicU64,
    /// Why tunnels ended: closed by a side, the guard stopped, the token
    /// expired or was revoked.
    pub(super) tunnels_ended: Counters,
    /// Clients' TLS handshakes, done or failed (`[tls]`).
    pub(super) tls_handshakes: Counters,
    latency: [AtomicU64; 9],
    latency_sum_us: AtomicU64,
}

const BUCKETS_S: [f64; 8] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1.0];

/// Counts by label. Every request adds to a few: a label seen before is a
/// shared read and an atomic add, with no lock held against other cores and
/// nothing allocated; only a new label takes the write lock. The labels are
/// hashed with foldhash (seeded at random per process), not SipHash.
#[derive(Default)]
pub(super) struct Counters(RwLock<foldhash::HashMap<String, AtomicU64>>);

impl Counters {
    fn add(&self, label: &str) {
        if let Some(n) = self.0.read().unwrap_or_else(|e| e.into_inner()).get(label) {
            n.fetch_add(1, Ordering::Relaxed);
            return;
        }
        self.0
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .entry(label.to_owned())
            .or_default()
            .fetch_add(1, Ordering::Relaxed);
    }

    fn rows(&self) -> Vec<(String, u64)> {
        let mut rows: Vec<(String, u64)> = self
            .0
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(k, v)| (k.clone(), v.load(Ordering::Relaxed)))
            .collect();
        rows.sort();
        rows
    }
}

impl Metrics {
    pub(super) fn count(&self, m: &Counters, label: &str) {
        m.add(label);
    }

    pub(super) fn observe(&self, d: Duration) {
        let s = d.as_secs_f64();
        let i = BUCKETS_S
            .iter()
            .position(|b| s <= *b)
            .unwrap_or(BUCKETS_S.len());
        self.latency[i].fetch_add(1, Ordering::Relaxed);
        self.latency_sum_us
            .fetch_add(d.as_micros() as u64, Ordering::Relaxed);
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut family = |name: &str, help: &str, label: &str, m: &Counters| {
            out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} counter\n"));
            for (k, v) in m.rows() {
                out.push_str(&format!("{name}{{{label}=\"{k}\"}} {v}\n"));
            }
        };
        family(
            "authdoctor_guard_requests_total",
            "Requests by outcome.",
            "outcome",
            &self.requests,
        );
        family(
            "authdoctor_guard_rejections_total",
            "Rejections by root cause.",
            "reason",
            &self.rejections,
        );
        family(
            "authdoctor_guard_token_cache_total",
            "Verified-token cache lookups.",
            "result",
            &self.cache,
        );
        family(
            "authdoctor_guard_jwks_fetches_total",
            "Key-set fetches.",
            "result",
            &self.jwks,
        );
        family(
            "authdoctor_guard_limiter_total",
            "Limiter decisions.",
            "decision",
            &self.limiter,
        );
        family(
            "authdoctor_guard_notices_total",
            "Notices from the other nodes.",
            "kind",
            &self.cluster,
        );
        family(
            "authdoctor_guard_tunnels_ended_total",
            "WebSocket tunnels ended, by why.",
            "why",
            &self.tunnels_ended,
        );
        family(
            "authdoctor_guard_tls_handshakes_total",
            "Clients' TLS handshakes, by result.",
            "result",
            &self.tls_handshakes,
        );
        out.push_str(&format!(
            "# HELP authdoctor_guard_upstream_errors_total Requests the upstream did not answer.\n# TYPE authdoctor_guard_upstream_errors_total counter\nauthdoctor_guard_upstream_errors_total {}\n",
            self.upstream_errors.load(Ordering::Relaxed)
        ));
        out.push_str(&format!(
            "# HELP authdoctor_guard_upstream_retries_total Requests sent upstream again, once, after the upstream closed their kept-alive connection under them.\n# TYPE authdoctor_guard_upstream_retries_total counter\nauthdoctor_guard_upstream_retries_total {}\n",
            self.upstream_retries.load(Ordering::Relaxed)
        ));
        out.push_str(&format!(
            "# HELP authdoctor_guard_tunnels_total WebSocket tunnels joined to the upstream.\n# TYPE authdoctor_guard_tunnels_total counter\nauthdoctor_guard_tunnels_total {}\n# HELP authdoctor_guard_tunnels_open WebSocket tunnels open now.\n# TYPE authdoctor_guard_tunnels_open gauge\nauthdoctor_guard_tunnels_open {}\n",
            self.tunnels.load(Ordering::Relaxed),
            self.tunnels_open.load(Ordering::Relaxed)
        ));
        out.push_str("# HELP authdoctor_guard_request_duration_seconds Time in the guard and upstream.\n# TYPE authdoctor_guard_request_duration_seconds histogram\n");
        let mut cumulative = 0;
        for (i, b) in BUCKETS_S.iter().enumerate() {
            cumulative += self.latency[i].load(Ordering::Relaxed);
            out.push_str(&format!(
                "authdoctor_guard_request_duration_seconds_bucket{{le=\"{b}\"}} {cumulative}\n"
            ));
        }
        cumulative += self.latency[BUCKETS_S.len()].load(Ordering::Relaxed);
        out.push_str(&format!(
            "authdoctor_guard_request_duration_seconds_bucket{{le=\"+Inf\"}} {cumulative}\nauthdoctor_guard_request_duration_seconds_sum {}\nauthdoctor_guard_request_duration_seconds_count {cumulative}\n",
            self.latency_sum_us.load(Ordering::Relaxed) as f64 / 1e6
        ));
        out
    }
}

/// The reject log: one JSON object per line, to a file rotated (to `.1`)
/// past its size, or to standard error. Bounded either way.
pub(super) struct RejectLog {
    file: Mutex<Option<(std::fs::File, u64)>>,
}

impl RejectLog {
    pub(super) fn open(c: &GuardConfig) -> Result<RejectLog, String> {
        let file = match &c.log.path {
            Some(p) => {
                let f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)
                    .map_err(|e| format!("the reject log {} cannot be opened: {e}", p.display()))?;
                let len = f.metadata().map(|m| m.len()).unwrap_or(0);
                Some((f, len))
            }
            None => None,
        };
        Ok(RejectLog {
            file: Mutex::new(file),
        })
    }

    pub(super) fn write(&self, c: &GuardConfig, line: &Value) {
        let text = format!("{line}\n");
        let mut f = lock(&self.file);
        match (f.as_mut(), &c.log.path) {
            (Some((file, len)), Some(path)) => {
                if *len + text.len() as u64 > c.log.max_bytes {
                    let mut old = path.clone().into_os_string();
                    old.push(".1");
                    let _ = std::fs::rename(path, &old);
                    if let Ok(nf) = std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(path)
                    {
                        *file = nf;
                        *len = 0;
                    }
                }
                if file.write_all(text.as_bytes()).is_ok() {
                    *len += text.len() as u64;
                }
            }
            _ => eprint!("{text}"),
        }
    }
}
