//! Sequential readahead over positional reads from many threads. A few recent streams are
//! remembered by the block they reached; a read that continues one (starts at or just after
//! its last block) grows its window (doubling, up to the configured maximum), and blocks up to
//! `last + window` are fetched ahead. Refill starts when half the window is consumed, so the
//! network stays busy while the reader works. A read that continues no stream starts a new
//! one with no readahead: random reads fetch only what they touch.

/// How many interleaved streams are tracked.
const STREAMS: usize = 8;

#[derive(Debug, Clone, Copy, Default)]
struct Stream {
    /// The last block read.
    last: u64,
    /// Blocks are scheduled up to (excluding) this one.
    ahead_until: u64,
    /// Current window in blocks.
    window: u64,
    /// For replacing the least recently used stream.
    used: u64,
    live: bool,
}

/// The streams of one source.
#[derive(Debug)]
pub struct Readahead {
    streams: [Stream; STREAMS],
    clock: u64,
    max_window: u64,
    total_blocks: u64,
}

impl Readahead {
    /// Windows grow to `max_window` blocks; the object has `total_blocks`.
    pub fn new(max_window: u64, total_blocks: u64) -> Self {
        Self {
            streams: [Stream::default(); STREAMS],
            clock: 0,
            max_window,
            total_blocks,
        }
    }

    /// Records a read of blocks `first..=last`; returns the blocks to fetch ahead, if any.
    pub fn on_read(&mut self, first: u64, last: u64) -> Option<(u64, u64)> {
        self.clock += 1;
        let clock = self.clock;
        let found = self.streams.iter_mut().find(|s| {
            s.live && first >= s.last.saturating_sub(1) && first <= s.last.saturating_add(1)
        });
        let s = match found {
            Some(s) => s,
            None => {
                let slot = self
                    .streams
                    .iter_mut()
                    .min_by_key(|s| if s.live { s.used } else { 0 })?;
                *slot = Stream {
                    last,
                    ahead_until: last + 1,
                    window: 0,
                    used: clock,
                    live: true,
                };
                return None;
            }
        };
        s.used = clock;
        if last > s.last {
            s.window = (s.window.max(1) * 2).min(self.max_window);
            s.last = last;
        }
        if s.window == 0 {
            return None;
        }
        let target = (s.last + 1 + s.window).min(self.total_blocks);
        let start = s.ahead_until.max(s.last + 1);
        // Refill once half the window has been consumed (or nothing is scheduled ahead).
        if start >= target || (start > s.last + 1 && start - (s.last + 1) > s.window / 2) {
            return None;
        }
        s.ahead_until = target;
        Some((start, target))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequential_reads_grow_the_window_and_random_reads_get_none() {
        let mut r = Readahead::new(16, 1000);
        assert_eq!(r.on_read(0, 0), None);
        assert_eq!(r.on_read(1, 1), Some((2, 4)));
        assert_eq!(r.on_read(2, 2), Some((4, 7)));
        let mut last = 2;
        let mut window_seen = 0;
        for b in 3..40 {
            if let Some((s, e)) = r.on_read(b, b) {
                assert!(s >= last && e > s);
                last = e;
                window_seen = window_seen.max(e - b);
            }
        }
        assert!((8..=17).contains(&window_seen), "{window_seen}");
        // A read far away starts a new stream without readahead.
        assert_eq!(r.on_read(500, 500), None);
        // And the window stops at the end of the object.
        let mut r = Readahead::new(16, 5);
        r.on_read(0, 0);
        assert_eq!(r.on_read(1, 1), Some((2, 4)));
        assert_eq!(r.on_read(2, 3), Some((4, 5)));
        assert_eq!(r.on_read(4, 4), None);
    }
}
