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
/// and set in the filter when the list is full or the filter is merged or
/// read ([`Seen::settle`], [`Seen::settled`]),
/// all of its addresses in one tight loop: their cache misses overlap,
/// where one miss per line, among a line's parsing and tallying, stalled
/// each line (60 ns of a line's 230 measured by `cargo bench -p
/// authdoctor-logs --bench scan`). The list is put in the filter's order
/// first (a counting sort by the region of the filter each falls in), so
/// that its writes go through the filter once, from start to end, a
/// region at a time: the filter is larger than a core's cache, and
/// writes in the list's own order, one cache miss each, cost a tenth of a
/// scan of the bench's log (`bench/logs-vs-rg-goaccess`).
#[derive(Clone)]
pub(crate) struct Seen {
    lines: Vec<Line>,
    noted: Vec<u64>,
    /// The noted hashes in the filter's order (kept between settles: one
    /// allocation).
    ordered: Vec<u64>,
}

/// 512 bits on one cache line.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Line([u64; 8]);

const SEEN_BITS: u64 = 1 << 24;

/// The filter's blocks (cache lines).
const BLOCKS: usize = (SEEN_BITS / 512) as usize;

/// Addresses noted before the filter is written: 512 KiB of hashes.
const NOTED_MAX: usize = 1 << 16;

/// The regions the noted hashes are sorted into: each 1/4096 of the
/// filter (512 bytes), so that the writes go nearly in address order and
/// the core's prefetcher fetches ahead of them (256 regions of 8 KiB saved
/// half as much: within one, the writes were as scattered as before).
const REGIONS: usize = 4096;

/// Below this many notes, the filter is written in their own order: the
/// sort's fixed cost is more than the misses it saves.
const ORDERED_FROM: usize = 4096;

impl Default for Seen {
    fn default() -> Seen {
        Seen {
            lines: vec![Line([0; 8]); BLOCKS],
            noted: Vec::new(),
            ordered: Vec::new(),
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

/// Sets hash `h`'s bits in the filter.
fn set(lines: &mut [Line], h: u64) {
    let (block, bits) = Seen::bits(h);
    let line = &mut lines[block];
    for b in bits {
        line.0[(b / 64) as usize] |= 1 << (b % 64);
    }
}

impl Seen {
    /// The block, from the hash's low 15 bits, and three places in it from
    /// each of three further 9-bit slices.
    fn bits(h: u64) -> (usize, [u64; 3]) {
        (
            (h % BLOCKS as u64) as usize,
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

    /// The filter's region that hash `h`'s block is in.
    fn region(h: u64) -> usize {
        Self::bits(h).0 * REGIONS / BLOCKS
    }

    /// Sets every noted address in the filter, in the filter's order when
    /// there are many.
    pub(crate) fn settle(&mut self) {
        if self.noted.len() < ORDERED_FROM {
            for h in self.noted.drain(..) {
                set(&mut self.lines, h);
            }
            return;
        }
        let mut starts = vec![0usize; REGIONS];
        for &h in &self.noted {
            starts[Self::region(h)] += 1;
        }
        let mut sum = 0;
        for s in starts.iter_mut() {
            (*s, sum) = (sum, sum + *s);
        }
        self.ordered.resize(self.noted.len(), 0);
        for &h in &self.noted {
            let at = &mut starts[Self::region(h)];
            self.ordered[*at] = h;
            *at += 1;
        }
        self.noted.clear();
        for &h in &self.ordered {
            set(&mut self.lines, h);
        }
    }

    /// The filter with every note in it: this one, or, with notes still
    /// listed, a copy with them set (made once, where the findings are
    /// read; a scan's reading never waits on the filter for a short list).
    pub(crate) fn settled(&self) -> std::borrow::Cow<'_, Seen> {
        if self.noted.is_empty() {
            return std::borrow::Cow::Borrowed(self);
        }
        let mut all = self.clone();
        all.settle();
        std::borrow::Cow::Owned(all)
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
        b.note(seen_hash("192.0.2.1"));
        // Read before any settle: the copy settled for reading has it.
        assert!(b.settled().contains(seen_hash("192.0.2.1")));
        assert!(!b.settled().contains(seen_hash("192.0.2.2")));
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
