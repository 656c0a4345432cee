//! The addresses a scan has seen succeed and seen fail: two blocked Bloom
//! filters, so that a success of an address that never failed touches no
//! map.

/// Which addresses succeeded, and which failed, approximately: two blocked
/// Bloom filters of 2^24 bits (2 MB) each, three probes from one hash, all
/// in one 512-bit block (one cache line), and an address's two blocks side
/// by side on 128 bytes (the line and its pair, which the processor fetches
/// together): one miss per line read, not three or six. "Not seen" is
/// certain; "seen" is wrong for about 1 address in 7,800 at 260,000
/// addresses, 1 in 210 at a million (so an address that always fails is
/// missed that often). Filters of scans merge by OR, so the order of the
/// blocks does not matter.
#[derive(Clone)]
pub(crate) struct Seen(Vec<Pair>);

/// 512 bits on one cache line.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Line([u64; 8]);

/// An address's block in each filter.
#[derive(Clone, Copy)]
#[repr(C, align(128))]
struct Pair([Line; 2]);

/// Which of the two filters.
#[derive(Clone, Copy)]
pub(crate) enum Side {
    Succeeded = 0,
    Failed = 1,
}

const SEEN_BITS: u64 = 1 << 24;

impl Default for Seen {
    fn default() -> Seen {
        Seen(vec![Pair([Line([0; 8]); 2]); (SEEN_BITS / 512) as usize])
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

    pub(crate) fn insert(&mut self, side: Side, h: u64) {
        let (block, bits) = Self::bits(h);
        let line = &mut self.0[block].0[side as usize];
        for b in bits {
            line.0[(b / 64) as usize] |= 1 << (b % 64);
        }
    }

    /// A word of the address's block in each filter: reading it brings
    /// both cache lines in.
    pub(crate) fn peek(&self, h: u64) -> u64 {
        let (block, _) = Self::bits(h);
        self.0.get(block).map_or(0, |p| p.0[0].0[0] ^ p.0[1].0[0])
    }

    pub(crate) fn contains(&self, side: Side, h: u64) -> bool {
        let (block, bits) = Self::bits(h);
        let line = &self.0[block].0[side as usize];
        bits.iter()
            .all(|b| line.0[(b / 64) as usize] & (1 << (b % 64)) != 0)
    }

    pub(crate) fn merge(&mut self, o: &Seen) {
        for (a, b) in self.0.iter_mut().zip(&o.0) {
            for (la, lb) in a.0.iter_mut().zip(b.0) {
                for (x, y) in la.0.iter_mut().zip(lb.0) {
                    *x |= y;
                }
            }
        }
    }
}
