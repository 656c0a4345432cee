//! The verified-token cache: answers by token digest, bounded in size and
//! never outliving the token.

use super::*;

/// Answers about tokens, by the SHA-256 of the token, each until a time:
/// verified claims until `exp`, or what introspection said for a while.
/// Bounded by size, also when every entry is still live (a flood of
/// distinct tokens cannot grow it); an entry never outlives its time.
pub(super) struct TokenCache<V> {
    pub(super) max: usize,
    map: Mutex<HashMap<[u8; 32], (V, i64)>>,
    /// Whether anything was ever put (until then a look-up is no look-up).
    used: std::sync::atomic::AtomicBool,
}

impl<V: Clone> TokenCache<V> {
    pub(super) fn new(max: usize) -> TokenCache<V> {
        TokenCache {
            max,
            map: Mutex::new(HashMap::new()),
            used: std::sync::atomic::AtomicBool::new(false),
        }
    }

    pub(super) fn key(token: &str) -> [u8; 32] {
        let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
        let mut k = [0u8; 32];
        k.copy_from_slice(d.as_ref());
        k
    }

    #[cfg(test)]
    fn get(&self, token: &str, now: i64) -> Option<V> {
        self.get_key(&Self::key(token), now)
    }

    /// Whether a look-up can find anything: the cache is on and was used.
    pub(super) fn may_hold(&self) -> bool {
        self.max > 0 && self.used.load(Ordering::Relaxed)
    }

    pub(super) fn get_key(&self, k: &[u8; 32], now: i64) -> Option<V> {
        if !self.may_hold() {
            return None;
        }
        let mut m = lock(&self.map);
        match m.get(k) {
            Some((v, until)) if *until > now => Some(v.clone()),
            Some(_) => {
                m.remove(k);
                None
            }
            None => None,
        }
    }

    #[cfg(test)]
    fn put(&self, token: &str, v: V, until: i64, now: i64) {
        self.put_key(Self::key(token), v, until, now);
    }

    pub(super) fn put_key(&self, k: [u8; 32], v: V, until: i64, now: i64) {
        if self.max == 0 || until <= now {
            return;
        }
        let mut m = lock(&self.map);
        self.used.store(true, Ordering::Relaxed);
        if m.len() >= self.max {
            m.retain(|_, (_, e)| *e > now);
            if m.len() >= self.max {
                // Still full of live entries: make room by dropping some.
                let drop: Vec<[u8; 32]> = m.keys().take(self.max / 10 + 1).copied().collect();
                for k in drop {
                    m.remove(&k);
                }
            }
        }
        m.insert(k, (v, until));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_cache_stays_bounded_under_a_flood_of_live_entries() {
        let c: TokenCache<Option<u8>> = TokenCache::new(1_000);
        for i in 0..50_000 {
            c.put(&format!("opaque-{i}"), None, 10_000, 0);
            assert!(lock(&c.map).len() <= 1_000);
        }
        // The newest answer is kept and read back; an expired one is gone.
        assert_eq!(c.get("opaque-49999", 1), Some(None));
        c.put("short", Some(7), 5, 0);
        assert_eq!(c.get("short", 4), Some(Some(7)));
        assert_eq!(c.get("short", 5), None);
        // Size 0 turns the cache off.
        let off: TokenCache<u8> = TokenCache::new(0);
        off.put("t", 1, 100, 0);
        assert_eq!(off.get("t", 1), None);
    }
}
