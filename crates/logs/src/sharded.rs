//! A map of text keys kept in shards by the key's hash, so that the maps of
//! two scans merge shard by shard, the shards on every core at once.

use crate::seen::seen_hash;
use foldhash::HashMap;

/// Shards of each map: at least the workers a scan is split over (at most
/// eight), so that a merge keeps every core busy.
const SHARDS: usize = 8;

/// Below this many entries on the smaller side, a merge runs on the
/// calling thread: starting threads would cost more than the work.
const PARALLEL_FROM: usize = 8192;

/// The shards; a key's shard comes from [`seen_hash`], the same in every
/// scan of the process (its top bits: the filter uses the low ones), so
/// that the same key is in the same shard of every scan.
pub(crate) struct Sharded<V> {
    shards: [HashMap<String, V>; SHARDS],
}

impl<V> Default for Sharded<V> {
    fn default() -> Sharded<V> {
        Sharded {
            shards: std::array::from_fn(|_| HashMap::default()),
        }
    }
}

fn shard_of(key: &str) -> usize {
    (seen_hash(key) >> 61) as usize % SHARDS
}

impl<V: Send> Sharded<V> {
    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(HashMap::len).sum()
    }

    pub(crate) fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        self.shards[shard_of(key)].get_mut(key)
    }

    pub(crate) fn contains_key(&self, key: &str) -> bool {
        self.shards[shard_of(key)].contains_key(key)
    }

    pub(crate) fn insert(&mut self, key: String, value: V) {
        self.shards[shard_of(&key)].insert(key, value);
    }

    /// The key's value, made from `V::default()` on first sight.
    pub(crate) fn get_or_default(&mut self, key: &str) -> &mut V
    where
        V: Default,
    {
        self.shards[shard_of(key)]
            .entry(key.to_owned())
            .or_default()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&String, &V)> {
        self.shards.iter().flat_map(|s| s.iter())
    }

    /// Takes `other`'s entries in: a key only one side has moves as it is,
    /// a key both have is folded by `fold(ours, theirs)`. Each pair of
    /// shards on a thread of its own when the maps are large.
    pub(crate) fn merge(&mut self, other: Sharded<V>, fold: impl Fn(&mut V, V) + Sync) {
        let large = self.len().min(other.len()) >= PARALLEL_FROM;
        let pairs = self.shards.iter_mut().zip(other.shards);
        if !large {
            for (ours, theirs) in pairs {
                merge_shard(ours, theirs, &fold);
            }
            return;
        }
        std::thread::scope(|s| {
            for (ours, theirs) in pairs {
                let fold = &fold;
                s.spawn(move || merge_shard(ours, theirs, fold));
            }
        });
    }
}

/// One shard's merge: the smaller map into the larger, room made at once
/// (not grown and rehashed step by step).
fn merge_shard<V>(
    ours: &mut HashMap<String, V>,
    mut theirs: HashMap<String, V>,
    fold: &impl Fn(&mut V, V),
) {
    if theirs.len() > ours.len() {
        std::mem::swap(ours, &mut theirs);
    }
    ours.reserve(theirs.len());
    for (k, v) in theirs {
        match ours.get_mut(&k) {
            Some(m) => fold(m, v),
            None => {
                ours.insert(k, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sums, however the keys were split between the maps and whichever
    /// way the merge runs (on the calling thread, or a thread a shard).
    #[test]
    fn a_merge_folds_shared_keys_and_moves_the_rest_small_or_large() {
        for n in [10, PARALLEL_FROM * 2] {
            let mut a = Sharded::<u64>::default();
            let mut b = Sharded::<u64>::default();
            for i in 0..n {
                *a.get_or_default(&format!("10.0.{i}")) += 1;
                if i % 3 == 0 {
                    b.insert(format!("10.0.{i}"), 10);
                }
                b.insert(format!("192.0.2.{i}"), 5);
            }
            a.merge(b, |m, v| *m += v);
            assert_eq!(a.len(), 2 * n);
            assert_eq!(a.get_mut("10.0.0").copied(), Some(11));
            assert_eq!(a.get_mut("10.0.1").copied(), Some(1));
            assert!(a.contains_key("192.0.2.7"));
            assert_eq!(
                a.iter().map(|(_, v)| *v).sum::<u64>(),
                n as u64 * 6 + n.div_ceil(3) as u64 * 10
            );
        }
    }
}
