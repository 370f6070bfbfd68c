//! Choosing the items: a lazy, cost-driven greedy parse.
//!
//! At each position the candidates are the three repeatable offsets and the hash chains'
//! matches; each is scored by its gain, what its bytes would cost as literals minus what the
//! match costs, both priced with the model's current codes and probabilities. The best is
//! taken unless the next position offers a clearly better one, in which case a literal goes
//! first.
//! A match of `nice` bytes or more is taken at once.

use super::items::Items;
use super::match_finder::{match_len, LzFinder, Match, MatchFinder};

/// How much more (in 1/16 bits) the next position's match must gain for a literal to go
/// first (measured on a 64 MiB solid chunk: 3 bits gain 0.3% over 0).
const LAZY_MARGIN: i64 = 48;

/// The chosen item at a position: a match (`len` > 0) or nothing (literal).
#[derive(Debug, Clone, Copy, Default)]
struct Choice {
    len: u32,
    offset: u32,
    gain: i64,
}

/// Parse parameters.
#[derive(Debug, Clone, Copy)]
pub(super) struct Params {
    /// Chain links followed per search.
    pub(super) depth: u32,
    /// Match length taken without further search.
    pub(super) nice: usize,
}

struct Parser<'a> {
    data: &'a [u8],
    mf: MatchFinder,
    nice: usize,
    /// Next position to insert into the match finder.
    next_insert: usize,
    matches: Vec<Match>,
    /// Literal costs of the bytes from the position being scored (prefix sums).
    lit_sums: Vec<u32>,
}

impl Parser<'_> {
    fn insert_to(&mut self, end: usize) {
        while self.next_insert < end {
            self.mf.insert(self.data, self.next_insert);
            self.next_insert += 1;
        }
    }

    /// Sum of literal costs of `data[pos..pos + len]` (`len` <= nice).
    fn lit_cost(&mut self, items: &Items, pos: usize, len: usize) -> u32 {
        while self.lit_sums.len() <= len {
            let k = self.lit_sums.len() - 1;
            let prev = self.lit_sums[k];
            self.lit_sums
                .push(prev + items.literal_cost(self.data[pos + k]));
        }
        self.lit_sums[len]
    }

    /// The best item at `pos`, where the repeatable offsets are `reps`.
    fn best(&mut self, items: &Items, pos: usize, reps: [u32; 3]) -> Choice {
        let data = self.data;
        let max = data.len() - pos;
        self.lit_sums.clear();
        self.lit_sums.push(0);
        let mut best = Choice::default();
        let mut longest_rep = 0;
        for (idx, &off) in reps.iter().enumerate() {
            let off_us = off as usize;
            if off_us > pos || reps[..idx].contains(&off) {
                continue;
            }
            let len = match_len(data, pos - off_us, pos, max);
            if len < 2 {
                continue;
            }
            longest_rep = longest_rep.max(len);
            if len >= self.nice {
                if len > best.len as usize {
                    best = Choice {
                        len: len as u32,
                        offset: off,
                        gain: i64::MAX,
                    };
                }
                continue;
            }
            let gain = i64::from(self.lit_cost(items, pos, len))
                - i64::from(items.rep_cost(idx) + items.length_cost(len as u32));
            if gain > best.gain {
                best = Choice {
                    len: len as u32,
                    offset: off,
                    gain,
                };
            }
        }
        self.insert_to(pos);
        if longest_rep >= self.nice {
            return best;
        }
        let mut matches = std::mem::take(&mut self.matches);
        self.mf.find(data, pos, 3, &mut matches);
        self.next_insert = pos + 1;
        for m in &matches {
            let len = m.len as usize;
            if len <= longest_rep && reps.contains(&m.offset) {
                continue;
            }
            if len >= self.nice {
                best = Choice {
                    len: m.len,
                    offset: m.offset,
                    gain: i64::MAX,
                };
                break;
            }
            let match_cost = match reps.iter().position(|&o| o == m.offset) {
                Some(idx) => items.rep_cost(idx),
                None => items.offset_cost(m.offset),
            } + items.length_cost(m.len);
            let gain = i64::from(self.lit_cost(items, pos, len)) - i64::from(match_cost);
            if gain > best.gain {
                best = Choice {
                    len: m.len,
                    offset: m.offset,
                    gain,
                };
            }
        }
        self.matches = matches;
        best
    }
}

/// Parses and codes `data` into `items`. Gives up (returns false) once the output reaches
/// `limit` bytes.
pub(super) fn parse(data: &[u8], items: &mut Items, params: Params, limit: usize) -> bool {
    let mut p = Parser {
        data,
        mf: MatchFinder::new(data.len(), params.depth, params.nice),
        nice: params.nice,
        next_insert: 0,
        matches: Vec::new(),
        lit_sums: Vec::new(),
    };
    let n = data.len();
    let mut pos = 0;
    let mut ahead: Option<Choice> = None;
    let mut checked = 0usize;
    while pos < n {
        if pos >= checked {
            if items.size() >= limit {
                return false;
            }
            checked = pos + 4096;
        }
        let cur = match ahead.take() {
            Some(c) => c,
            None => p.best(items, pos, items.lz_reps(pos)),
        };
        if cur.len == 0 {
            items.literal(data[pos]);
            pos += 1;
            continue;
        }
        if (cur.len as usize) < p.nice && pos + 1 < n {
            let next = p.best(items, pos + 1, items.lz_reps_after_literal());
            if next.gain > cur.gain + LAZY_MARGIN {
                items.literal(data[pos]);
                pos += 1;
                ahead = Some(next);
                continue;
            }
        }
        items.lz_match(pos, cur.offset, cur.len);
        pos += cur.len as usize;
    }
    true
}
