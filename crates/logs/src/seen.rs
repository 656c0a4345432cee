//! The addresses a scan has seen succeed: a blocked Bloom filter, written
//! in batches, so that a success touches no map and waits on no cache miss.

/// Which addresses succeeded, approximately: a blocked Bloom filter of 2^24
/// bits (2 MB), three probes from one hash, all in one 512-bit block (one
/// cache line). "Not seen" is certain; "seen" is wrong for about 1 address
/// in 7,800 at 260,000 addresses, 1 in 210 at a million (so an address that
/// always fails is missed that often). Filters of scans merge by OR, so the
/// order of the blocks does not matter.
///
/// An address is noted first ([`Seen::note`]: its hash pushed on a list)
/// and set in the filter when the list is written out ([`Seen::settle`]),
/// all of its addresses in one tight loop: their cache misses overlap,
/// where one miss per line, among a line's parsing and tallying, stalled
/// each line (60 ns of a line's 230 measured by `cargo bench -p
/// authdoctor-logs --bench scan`).
#[derive(Clone)]
pub(crate) struct Seen {
    lines: Vec<Line>,
    noted: Vec<u64>,
}

/// 512 bits on one cache line.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Line([u64; 8]);

const SEEN_BITS: u64 = 1 << 24;

/// Addresses noted before the filter is written: 512 KiB of hashes.
const NOTED_MAX: usize = 1 << 16;

impl Default for Seen {
    fn default() -> Seen {
        Seen {
            lines: vec![Line([0; 8]); (SEEN_BITS / 512) as usize],
            noted: Vec::new(),
        }
    }
}

/// One hash per address, the same in every scan of the process (seeded at
/// random once: whoever writes the log cannot aim at the filter).
pub(crate) fn seen_hash(key: &str) -> u64 {
    use std::hash::BuildHasher;
    static SEED: std::sync::OnceLock<foldhash::fast::FixedState> = std::sync::OnceLock::new();
    SEED.get_or_init(|| {
        let random = foldhash::fast::RandomState::default().hash_one(0u64);
        foldhash::fast::FixedState::with_seed(random)
    })
    .hash_one(key)
}

impl Seen {
    /// The block, from the hash's low 15 bits, and three places in it from
    /// each of three further 9-bit slices.
    fn bits(h: u64) -> (usize, [u64; 3]) {
        (
            (h % (SEEN_BITS / 512)) as usize,
            [(h >> 15) & 511, (h >> 24) & 511, (h >> 33) & 511],
        )
    }

    /// Notes an address that succeeded; it is in the filter once the notes
    /// are settled.
    pub(crate) fn note(&mut self, h: u64) {
        self.noted.push(h);
        if self.noted.len() >= NOTED_MAX {
            self.settle();
        }
    }

    /// Sets every noted address in the filter.
    pub(crate) fn settle(&mut self) {
        for h in self.noted.drain(..) {
            let (block, bits) = Self::bits(h);
            let line = &mut self.lines[block];
            for b in bits {
                line.0[(b / 64) as usize] |= 1 << (b % 64);
            }
        }
    }

    /// Whether the address was seen to succeed (the notes settled).
    pub(crate) fn contains(&self, h: u64) -> bool {
        debug_assert!(self.noted.is_empty(), "a filter read with notes unsettled");
        let (block, bits) = Self::bits(h);
        let line = &self.lines[block];
        bits.iter()
            .all(|b| line.0[(b / 64) as usize] & (1 << (b % 64)) != 0)
    }

    /// Takes another scan's addresses in.
    pub(crate) fn merge(&mut self, o: &Seen) {
        self.noted.extend_from_slice(&o.noted);
        for (a, b) in self.lines.iter_mut().zip(&o.lines) {
            for (x, y) in a.0.iter_mut().zip(b.0) {
                *x |= y;
            }
        }
        self.settle();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_noted_address_is_seen_once_settled_and_through_a_merge() {
        let mut a = Seen::default();
        let mut b = Seen::default();
        for i in 0..(NOTED_MAX + 10) {
            a.note(seen_hash(&format!("10.0.{}.{}", i / 256, i % 256)));
        }
        a.settle();
        b.note(seen_hash("192.0.2.1"));
        a.merge(&b);
        assert!(a.contains(seen_hash("10.0.0.0")));
        // The last, noted after the list was written out once.
        assert!(a.contains(seen_hash("10.0.256.9")));
        assert!(a.contains(seen_hash("192.0.2.1")));
        // Never noted: not seen (certain for most, wrong for few).
        let wrong = (0..10_000)
            .filter(|i| a.contains(seen_hash(&format!("172.16.{}.{}", i / 256, i % 256))))
            .count();
        assert!(
            wrong < 50,
            "{wrong} of 10,000 addresses never noted were seen"
        );
    }
}
