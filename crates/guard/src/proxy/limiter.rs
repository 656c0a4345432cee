//! The abuse limiter: sliding windows per client address, subject and
//! credential, failures counted apart from successes; stuffing and token
//! guessing flagged.

use super::*;

/// What the limiter knows of one client address.
struct ClientWindow {
    start: Instant,
    failures: u32,
    credentials: HashSet<u64>,
    forged: u32,
    blocked_until: Option<Instant>,
}

/// Failures per client address in a sliding window; a client whose
/// failures carry many distinct credentials is flagged (stuffing, or token
/// guessing when most are forged) and answered 429 for a while, except
/// with a token the guard has already verified.
pub(super) struct Limiter {
    clients: Mutex<Windows<IpAddr, ClientWindow>>,
    /// Failures per credential fingerprint.
    credentials: Mutex<Windows<u64, Strikes>>,
    /// The addresses each subject's refused tokens came from.
    subjects: Mutex<Windows<String, Spread>>,
}

/// One credential's failures in its window.
struct Strikes {
    start: Instant,
    failures: u32,
    blocked_until: Option<Instant>,
}

/// One subject's failures in its window, and from where.
struct Spread {
    start: Instant,
    addresses: HashSet<IpAddr>,
    flagged: bool,
}

/// A bounded map of windows. When it is full, the windows past their time
/// are swept out, at most once a second: a flood of newcomers into a map full
/// of live windows must not cost a scan of the whole map each (until a sweep
/// frees room, a newcomer is simply not tracked).
struct Windows<K, V> {
    map: HashMap<K, V>,
    swept: Option<Instant>,
}

impl<K: std::hash::Hash + Eq, V> Windows<K, V> {
    fn new() -> Windows<K, V> {
        Windows {
            map: HashMap::new(),
            swept: None,
        }
    }

    /// Whether a newcomer can be given a window.
    fn room(&mut self, max: usize, live: impl Fn(&V) -> bool) -> bool {
        if self.map.len() < max {
            return true;
        }
        if self
            .swept
            .is_some_and(|t| t.elapsed() < Duration::from_secs(1))
        {
            return false;
        }
        self.swept = Some(Instant::now());
        self.map.retain(|_, v| live(v));
        self.map.len() < max
    }
}

impl<K, V> std::ops::Deref for Windows<K, V> {
    type Target = HashMap<K, V>;
    fn deref(&self) -> &HashMap<K, V> {
        &self.map
    }
}

impl<K, V> std::ops::DerefMut for Windows<K, V> {
    fn deref_mut(&mut self) -> &mut HashMap<K, V> {
        &mut self.map
    }
}

/// What the limiter decided about a failure.
pub(super) enum Flag {
    None,
    Flagged(&'static str),
}

impl ClientWindow {
    fn new() -> ClientWindow {
        ClientWindow {
            start: Instant::now(),
            failures: 0,
            credentials: HashSet::new(),
            forged: 0,
            blocked_until: None,
        }
    }
}

impl Limiter {
    pub(super) fn new() -> Limiter {
        Limiter {
            clients: Mutex::new(Windows::new()),
            credentials: Mutex::new(Windows::new()),
            subjects: Mutex::new(Windows::new()),
        }
    }

    /// Seconds left on a credential's block.
    pub(super) fn credential_blocked(&self, fp: impl FnOnce() -> u64) -> Option<u64> {
        let m = lock(&self.credentials);
        if m.is_empty() {
            return None;
        }
        let until = m.get(&fp())?.blocked_until?;
        let left = until.saturating_duration_since(Instant::now());
        (!left.is_zero()).then(|| left.as_secs().max(1))
    }

    /// One more failure of a credential; `true` when it is now blocked.
    pub(super) fn credential_failure(&self, c: &GuardConfig, fp: u64) -> bool {
        let l = &c.limits;
        let window = Duration::from_secs(l.window_seconds.max(1));
        let mut m = lock(&self.credentials);
        if !m.contains_key(&fp)
            && !m.room(l.max_clients, |s| {
                s.start.elapsed() < window || s.blocked_until.is_some_and(|b| b > Instant::now())
            })
        {
            return false;
        }
        let s = m.entry(fp).or_insert_with(|| Strikes {
            start: Instant::now(),
            failures: 0,
            blocked_until: None,
        });
        if s.start.elapsed() >= window {
            (s.start, s.failures) = (Instant::now(), 0);
        }
        s.failures += 1;
        let blocked = s.blocked_until.is_some_and(|b| b > Instant::now());
        if l.failures_per_credential > 0 && s.failures >= l.failures_per_credential && !blocked {
            s.blocked_until = Some(Instant::now() + window);
            return true;
        }
        false
    }

    /// A refused token of `sub` from `ip`; `true` when the subject has just
    /// failed from enough addresses to be flagged.
    pub(super) fn subject_failure(&self, c: &GuardConfig, sub: &str, ip: IpAddr) -> bool {
        let l = &c.limits;
        let window = Duration::from_secs(l.window_seconds.max(1));
        let mut m = lock(&self.subjects);
        if !m.contains_key(sub) && !m.room(l.max_clients, |s| s.start.elapsed() < window) {
            return false;
        }
        let s = m.entry(sub.to_owned()).or_insert_with(|| Spread {
            start: Instant::now(),
            addresses: HashSet::new(),
            flagged: false,
        });
        if s.start.elapsed() >= window {
            (s.start, s.flagged) = (Instant::now(), false);
            s.addresses.clear();
        }
        if s.addresses.len() < 1024 {
            s.addresses.insert(ip);
        }
        if l.addresses_per_subject > 0
            && s.addresses.len() as u32 >= l.addresses_per_subject
            && !s.flagged
        {
            s.flagged = true;
            return true;
        }
        false
    }

    /// Whether `ip` has, or can be given, a window: at the bound, windows
    /// past their time and not blocked make room; else the client is not
    /// tracked (memory stays bounded).
    fn room(m: &mut Windows<IpAddr, ClientWindow>, c: &GuardConfig, ip: IpAddr) -> bool {
        if m.contains_key(&ip) {
            return true;
        }
        let window = Duration::from_secs(c.limits.window_seconds.max(1));
        m.room(c.limits.max_clients, |w| {
            w.start.elapsed() < window || w.blocked_until.is_some_and(|b| b > Instant::now())
        })
    }

    pub(super) fn blocked(&self, ip: IpAddr) -> Option<u64> {
        let m = lock(&self.clients);
        let until = m.get(&ip)?.blocked_until?;
        let left = until.saturating_duration_since(Instant::now());
        (!left.is_zero()).then(|| left.as_secs().max(1))
    }

    /// Answers `ip` 429 for `seconds` (another node flagged it).
    pub(super) fn block(&self, c: &GuardConfig, ip: IpAddr, seconds: u64) {
        let mut m = lock(&self.clients);
        if !Self::room(&mut m, c, ip) {
            return;
        }
        let w = m.entry(ip).or_insert_with(ClientWindow::new);
        let until = Instant::now() + Duration::from_secs(seconds);
        if w.blocked_until.is_none_or(|b| b < until) {
            w.blocked_until = Some(until);
        }
    }

    pub(super) fn failure(
        &self,
        c: &GuardConfig,
        ip: IpAddr,
        credential: u64,
        forged: bool,
    ) -> Flag {
        let l = &c.limits;
        let window = Duration::from_secs(l.window_seconds.max(1));
        let mut m = lock(&self.clients);
        if !Self::room(&mut m, c, ip) {
            return Flag::None;
        }
        let w = m.entry(ip).or_insert_with(ClientWindow::new);
        if w.start.elapsed() >= window {
            w.start = Instant::now();
            w.failures = 0;
            w.forged = 0;
            w.credentials.clear();
        }
        w.failures += 1;
        if forged {
            w.forged += 1;
        }
        if w.credentials.len() < 1024 {
            w.credentials.insert(credential);
        }
        let flagged = w.failures >= l.failures_per_client
            && w.credentials.len() as u32 >= l.distinct_credentials_per_client;
        if flagged && w.blocked_until.is_none_or(|b| b <= Instant::now()) {
            w.blocked_until = Some(Instant::now() + Duration::from_secs(l.block_seconds));
            let kind = if w.forged * 2 > w.failures {
                "token_guessing"
            } else {
                "credential_stuffing"
            };
            return Flag::Flagged(kind);
        }
        Flag::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_map_of_live_windows_is_swept_at_most_once_a_second() {
        let mut w: Windows<u64, Instant> = Windows::new();
        for i in 0..1000 {
            w.insert(i, Instant::now());
        }
        let sweeps = std::cell::Cell::new(0);
        let live = |_: &Instant| {
            sweeps.set(sweeps.get() + 1);
            true
        };
        // Full of live windows: the first newcomer sweeps (and finds no
        // room), the next thousand are refused without a scan.
        for _ in 0..1001 {
            assert!(!w.room(1000, live));
        }
        assert_eq!(sweeps.get(), 1000, "one sweep of the thousand windows");
        assert!(w.room(1001, live), "under its bound, room without a sweep");
    }
}
