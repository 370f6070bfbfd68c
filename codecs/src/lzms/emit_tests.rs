//! The block writer against a byte-at-a-time reference: random sequences (LZ matches near and
//! overlapping, delta matches, literal runs short, empty and long) that end anywhere up to the
//! end of the output, where no piece may overshoot.

use super::{emit, Block, Seq, LITS_CAP, SEQS_CAP};
use crate::progress::PROGRESS_STEP;

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// What the item pass means by `seqs` and `tail`, byte by byte.
fn reference(out: &mut [u8], mut pos: usize, lits: &[u8], seqs: &[Seq], tail: usize) -> usize {
    let mut lp = 0;
    for s in seqs {
        for _ in 0..s.lits {
            out[pos] = lits[lp];
            pos += 1;
            lp += 1;
        }
        let (o, sp) = (s.offset as usize, s.span as usize);
        for _ in 0..s.len {
            out[pos] = if sp == 0 {
                out[pos - o]
            } else {
                out[pos - o]
                    .wrapping_add(out[pos - sp])
                    .wrapping_sub(out[pos - o - sp])
            };
            pos += 1;
        }
    }
    for _ in 0..tail {
        out[pos] = lits[lp];
        pos += 1;
        lp += 1;
    }
    pos
}

/// A random block of sequences from `start`, valid for an output of `size` bytes, filling it
/// to `size - slack`.
fn random_block(
    rng: &mut Rng,
    block: &mut Block,
    start: usize,
    size: usize,
    slack: usize,
) -> (usize, usize) {
    let end = (size - slack).min(start + PROGRESS_STEP);
    let (mut pos, mut lp, mut n) = (start, 0, 0);
    loop {
        let room = end - pos;
        let lits = match rng.below(6) {
            0 => 0,
            1 => rng.below(40).min(room),
            _ => rng.below(17).min(room),
        };
        for k in 0..lits {
            block.lits[lp + k] = rng.below(256) as u8;
        }
        lp += lits;
        pos += lits;
        if pos >= end || n == SEQS_CAP {
            return (n, lits);
        }
        let room = end - pos;
        let len = match rng.below(5) {
            0 => 1 + rng.below(100),
            _ => 1 + rng.below(20),
        }
        .min(room);
        let delta = pos >= 3 && rng.below(8) == 0;
        let (offset, span) = if delta {
            let span = 1 << rng.below(3);
            let offset = 1 + rng.below(pos - span);
            (offset.min(pos - span), span)
        } else {
            let offset = match rng.below(3) {
                0 => 1 + rng.below(pos.min(20)),
                _ => 1 + rng.below(pos),
            };
            (offset, 0)
        };
        block.seqs[n] = Seq {
            lits: lits as u32,
            len: len as u32,
            offset: offset as u32,
            span: span as u32,
        };
        n += 1;
        pos += len;
        if pos >= end {
            return (n, 0);
        }
    }
}

#[test]
fn blocks_are_written_as_the_reference_writes_them() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut block = Block::new();
    for round in 0..400 {
        let size = 64 + rng.below(3 * PROGRESS_STEP);
        let mut base = vec![0u8; size];
        for b in base.iter_mut() {
            *b = rng.below(256) as u8;
        }
        // A block at the start, in the middle or ending right at the end of the output.
        let start = 1 + rng.below(size / 2);
        let slack = if round % 3 == 0 { 0 } else { rng.below(40) };
        let (n, tail) = random_block(&mut rng, &mut block, start, size, slack);
        let mut want = base.clone();
        let end = reference(&mut want, start, &block.lits[..], &block.seqs[..n], tail);
        let mut got = base;
        assert_eq!(
            emit(&mut got, start, &block.lits, &block.seqs[..n], tail),
            end
        );
        // Bytes past the block may be overwritten (overshoot), none before its end may differ.
        assert!(got[..end] == want[..end], "round {round}: block differs");
    }
}

#[test]
fn a_block_of_literals_only_fills_the_whole_buffer() {
    let mut block = Block::new();
    for (k, b) in block.lits.iter_mut().enumerate() {
        *b = (k * 7) as u8;
    }
    for size in [PROGRESS_STEP, PROGRESS_STEP + 5, PROGRESS_STEP + 16] {
        let mut out = vec![0xAAu8; size];
        assert_eq!(
            emit(&mut out, 0, &block.lits, &[], PROGRESS_STEP),
            PROGRESS_STEP
        );
        assert!(out[..PROGRESS_STEP] == block.lits[..PROGRESS_STEP]);
        const { assert!(LITS_CAP >= PROGRESS_STEP + 16) };
    }
}
