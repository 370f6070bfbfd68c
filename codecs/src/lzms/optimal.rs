//! Choosing the items: a near-optimal parse.
//!
//! The chunk is parsed in windows of up to `WINDOW` positions. Within a window, the cheapest
//! sequence of items from its start to its end is found by dynamic programming over the
//! positions (a shortest path: position `i` reaches `i + 1` with a literal and `i + len` with
//! each match found at `i`, for every length up to the longest), with every item priced by the
//! model as it stands at the window's start (codes and probabilities change little within a
//! window). Each position carries the recent-offset queue of its cheapest path (with the
//! pending-offset rule of `items`), so repeat matches are priced as such. Delta matches
//! (`delta_finder`) are priced as explicit ones (a delta match is, for the LZ queue, an item
//! in between, like a literal). The items of the
//! path are then coded, which adapts the model for the next window. A match of `nice` bytes
//! or more ends the window: it is taken without looking at the positions it covers.

use super::delta_finder::{DeltaFinder, DeltaMatch, MIN_DELTA_LEN};
use super::items::Items;
use super::match_finder::{match_len, LzFinder, Match};
use super::matches::{push_front, take};

/// Positions per window.
const WINDOW: usize = 4096;

/// The queue state of a path: what `items` keeps, reduced to what a match needs.
#[derive(Debug, Clone, Copy, Default)]
struct Queue {
    q: [u32; 4],
    pending: u32,
    /// The path's last item is a match (its offset is not repeatable yet).
    after_match: bool,
}

impl Queue {
    fn reps(&self) -> [u32; 3] {
        if self.pending != 0 && !self.after_match {
            [self.pending, self.q[0], self.q[1]]
        } else {
            [self.q[0], self.q[1], self.q[2]]
        }
    }

    fn after_literal(mut self) -> Self {
        self.after_match = false;
        self
    }

    /// The state after a match at `offset` (mirrors `Items::lz_match`).
    fn after_match(mut self, offset: u32) -> Self {
        if self.pending != 0 && !self.after_match {
            push_front(&mut self.q, self.pending);
            self.pending = 0;
        }
        if let Some(idx) = self.q[..3].iter().position(|&o| o == offset) {
            take(&mut self.q, idx);
        }
        if self.pending != 0 {
            push_front(&mut self.q, self.pending);
        }
        self.pending = offset;
        self.after_match = true;
        self
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Node {
    cost: u32,
    /// The item that reaches this node: length (1: literal), offset (LZ offset or delta raw
    /// offset) and, for a delta match, its power plus one (0: LZ match or literal).
    len: u32,
    offset: u32,
    delta: u32,
    queue: Queue,
}

/// Where the parse searches delta matches (`delta_finder`: on x86-64 code about 7% smaller
/// output for 2.3 times the time, on tables of counters several times smaller output).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DeltaSearch {
    /// In every window.
    Always,
    /// In a window whose previous window's items were at least 1/[`DELTA_SHARE`] delta
    /// matches (by bytes), and in every [`DELTA_PROBE`]-th window: tables keep their delta
    /// matches, code and text (where they win little) mostly skip the search.
    WhereUsed,
}

/// See [`DeltaSearch::WhereUsed`].
const DELTA_SHARE: usize = 64;
/// See [`DeltaSearch::WhereUsed`].
const DELTA_PROBE: usize = 8;

/// Parses and codes `data` into `items`, searching delta matches as `deltas` says; gives up
/// (false) once the output reaches `limit`.
pub(super) fn parse_optimal(
    data: &[u8],
    items: &mut Items,
    (mut mf, nice): (impl LzFinder, usize),
    deltas: DeltaSearch,
    limit: usize,
) -> bool {
    let n = data.len();
    let mut next_insert = 0usize;
    let mut matches: Vec<Match> = Vec::new();
    let mut df = DeltaFinder::new(n);
    // Bytes of delta matches in the last window's path; windows parsed so far.
    let (mut delta_bytes, mut window) = (0usize, 0usize);
    let mut found: Vec<DeltaMatch> = Vec::new();
    let mut nodes = vec![Node::default(); WINDOW + 1];
    let mut len_cost = vec![0u32; nice + 1];
    let mut path: Vec<(u32, u32, u32)> = Vec::new();
    let mut pos = 0;
    while pos < n {
        if items.size() >= limit {
            return false;
        }
        let w = WINDOW.min(n - pos);
        let search_deltas = deltas == DeltaSearch::Always
            || delta_bytes * DELTA_SHARE >= WINDOW
            || window.is_multiple_of(DELTA_PROBE);
        window += 1;
        delta_bytes = 0;
        for (l, c) in len_cost.iter_mut().enumerate().skip(1) {
            *c = items.length_cost(l as u32);
        }
        nodes[0] = Node {
            cost: 0,
            len: 0,
            offset: 0,
            delta: 0,
            queue: {
                let (q, pending, after_match) = items.queue_state(pos);
                Queue {
                    q,
                    pending,
                    after_match,
                }
            },
        };
        for node in &mut nodes[1..=w] {
            node.cost = u32::MAX;
        }
        let mut end = w;
        let mut forced = None;
        let mut i = 0;
        while i < end {
            let p = pos + i;
            let here = nodes[i];
            // Literal.
            let c = here.cost + items.literal_cost(data[p]);
            if c < nodes[i + 1].cost {
                nodes[i + 1] = Node {
                    cost: c,
                    len: 1,
                    offset: 0,
                    delta: 0,
                    queue: here.queue.after_literal(),
                };
            }
            let max = n - p;
            let reps = here.queue.reps();
            let mut long: Option<(u32, u32)> = None;
            // Longest LZ match here: delta matches are only tried for longer lengths.
            let mut longest = 0;
            for (idx, &off) in reps.iter().enumerate() {
                let o = off as usize;
                if o > p || reps[..idx].contains(&off) {
                    continue;
                }
                let len = match_len(data, p - o, p, max);
                longest = longest.max(len);
                if len >= nice {
                    if long.is_none_or(|(l, _)| l < len as u32) {
                        long = Some((len as u32, off));
                    }
                    continue;
                }
                let base = here.cost + items.rep_cost(idx);
                for l in 2..=len.min(end - i) {
                    let c = base + len_cost[l];
                    if c < nodes[i + l].cost {
                        nodes[i + l] = Node {
                            cost: c,
                            len: l as u32,
                            offset: off,
                            delta: 0,
                            queue: here.queue.after_match(off),
                        };
                    }
                }
            }
            while next_insert < p {
                mf.insert(data, next_insert);
                if search_deltas {
                    df.insert(data, next_insert);
                }
                next_insert += 1;
            }
            if long.is_none() {
                mf.find(data, p, 3, &mut matches);
                next_insert = p + 1;
                let mut prev_len = 2;
                for m in &matches {
                    let len = m.len as usize;
                    if len >= nice {
                        long = Some((m.len, m.offset));
                        break;
                    }
                    let base = here.cost
                        + match reps.iter().position(|&o| o == m.offset) {
                            Some(idx) => items.rep_cost(idx),
                            None => items.offset_cost(m.offset),
                        };
                    for l in prev_len + 1..=len.min(end - i) {
                        let c = base + len_cost[l];
                        if c < nodes[i + l].cost {
                            nodes[i + l] = Node {
                                cost: c,
                                len: l as u32,
                                offset: m.offset,
                                delta: 0,
                                queue: here.queue.after_match(m.offset),
                            };
                        }
                    }
                    prev_len = len;
                }
                longest = longest.max(prev_len);
                if search_deltas {
                    df.find(data, p, longest + 1, (nice - 1).min(end - i), &mut found);
                } else {
                    found.clear();
                }
                for d in &found {
                    let base = here.cost + items.delta_cost(d.power, d.raw);
                    for l in (longest + 1).max(MIN_DELTA_LEN)..=d.len as usize {
                        let c = base + len_cost[l];
                        if c < nodes[i + l].cost {
                            nodes[i + l] = Node {
                                cost: c,
                                len: l as u32,
                                offset: d.raw,
                                delta: d.power + 1,
                                queue: here.queue.after_literal(),
                            };
                        }
                    }
                }
            }
            if long.is_some() {
                // Take it: the window ends after it.
                forced = long;
                end = i;
                break;
            }
            i += 1;
        }
        // Walk back from `end`, then code the path forwards.
        path.clear();
        let mut k = end;
        while k > 0 {
            let node = nodes[k];
            path.push((node.len, node.offset, node.delta));
            k -= node.len as usize;
        }
        path.reverse();
        path.extend(forced.map(|(len, off)| (len, off, 0)));
        for &(len, off, delta) in &path {
            if len == 1 {
                items.literal(data[pos]);
            } else if delta > 0 {
                items.delta_match(pos, delta - 1, off, len);
                delta_bytes += len as usize;
            } else {
                items.lz_match(pos, off, len);
            }
            pos += len as usize;
        }
        path.clear();
    }
    true
}
