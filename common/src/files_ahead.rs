//! Reading ahead across files: which files to hand the kernel before they are asked for.
//!
//! A reader that copies a tree (`tar`, `cp -r`, a file manager) reads the files of each
//! directory one after another, in listing order, and every small file costs it a round trip
//! to the daemon: about 100 µs on the project's 2-core VM (mostly two cross-CPU wake-ups),
//! against about 10 µs for a file the kernel has cached. Within a file the kernel reads ahead;
//! across files nothing does. So when the reads that reach the daemon follow a directory's
//! listing, a backend hands the kernel the next files of that listing (FUSE:
//! `FUSE_NOTIFY_STORE`), in windows that double while the reader keeps following, as the
//! kernel's readahead grows within a file. [`FilesAhead`] decides which, from those reads.
//!
//! The daemon sees only the reads the kernel could not serve: those of files not handed over
//! yet. A read of position `i` of a directory's listing continues that directory's stream when
//! `i` lies after the stream's last read and at most [`SLACK`] entries past what was handed
//! over (subdirectories and symlinks between the files); it then hands over the files up to
//! `i + 1 + window`. Any other read starts the directory's stream afresh, handing over
//! nothing: a reader in another order (shuffled, a search tool) costs only this bookkeeping,
//! and a stream starts paying off with the second file read in listing order. Except that a
//! reader whose last read continued a stream, and who now reads in a directory without one,
//! walks a tree (`tar` entering a subdirectory): its stream there starts confirmed.

use std::ops::Range;

use parking_lot::Mutex;

/// Files handed over at the second read in listing order.
pub const FIRST_WINDOW: usize = 4;
/// The most files handed over after one read.
pub const MAX_WINDOW: usize = 256;
/// Listing entries past what was handed over within which a read still continues a stream.
pub const SLACK: usize = 64;
/// Directories followed at once (the most recently read); `tar` keeps one per level of the
/// tree it is in.
const STREAMS: usize = 16;

/// The streams of reads in listing order, one per directory recently read from.
#[derive(Debug, Default)]
pub struct FilesAhead {
    /// Most recently used first.
    streams: Mutex<Vec<Stream>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stream {
    dir: u64,
    /// The listing position after the stream's last read (the reader has got that far).
    next: usize,
    /// End of the positions handed over (or, before any, `next`).
    frontier: usize,
    /// Files handed over at the last read; 0 before the stream is confirmed.
    window: usize,
}

impl Stream {
    /// A stream whose reader just read position `index`, nothing handed over yet.
    fn start(dir: u64, index: usize) -> Self {
        let next = index.saturating_add(1);
        Self {
            dir,
            next,
            frontier: next,
            window: 0,
        }
    }

    /// A stream of a tree-walking reader about to read from position `next` on: the first
    /// window, from there, is handed over at once.
    fn confirmed(dir: u64, next: usize) -> Self {
        Self {
            dir,
            next,
            frontier: next.saturating_add(FIRST_WINDOW),
            window: FIRST_WINDOW,
        }
    }

    /// The positions handed over when the stream was made [`Self::confirmed`].
    fn first_window(&self) -> Range<usize> {
        self.next..self.frontier
    }
}

impl FilesAhead {
    /// No streams yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A read of the file at position `index` of directory `dir`'s listing reached the daemon
    /// at the file's start. Returns the listing positions whose files to hand over now.
    pub fn began(&self, dir: u64, index: usize) -> Option<Range<usize>> {
        let mut streams = self.streams.lock();
        let found = streams.iter().position(|s| s.dir == dir);
        let mut handed = None;
        let stream = match found.map(|p| streams.remove(p)) {
            Some(mut s) if index >= s.next && index <= s.frontier.saturating_add(SLACK) => {
                s.window = s.window.saturating_mul(2).clamp(FIRST_WINDOW, MAX_WINDOW);
                s.next = index.saturating_add(1);
                let from = s.frontier.max(s.next);
                let to = s.next.saturating_add(s.window);
                if to > from {
                    s.frontier = to;
                    handed = Some(from..to);
                }
                s
            }
            Some(_) => Stream::start(dir, index),
            // A reader that was following a listing when it came here walks a tree (`tar`
            // entering a subdirectory): its first file here confirms the stream.
            None if Self::walking(&streams) => {
                let s = Stream::confirmed(dir, index.saturating_add(1));
                handed = Some(s.first_window());
                s
            }
            None => Stream::start(dir, index),
        };
        streams.insert(0, stream);
        streams.truncate(STREAMS);
        handed
    }

    /// Directory `dir` was listed from its start. A reader walking a tree (see
    /// [`Self::began`]) lists a directory before it reads the files in it: returns the
    /// positions to hand over first, if the last read continued a stream and `dir` has none.
    pub fn listed(&self, dir: u64) -> Option<Range<usize>> {
        let mut streams = self.streams.lock();
        if !Self::walking(&streams) || streams.iter().any(|s| s.dir == dir) {
            return None;
        }
        let stream = Stream::confirmed(dir, 0);
        // Behind the stream the reader is in: its next read may be in either directory.
        streams.insert(1, stream);
        streams.truncate(STREAMS);
        Some(stream.first_window())
    }

    /// True when the most recent read continued a stream (the reader follows listings).
    fn walking(streams: &[Stream]) -> bool {
        streams.first().is_some_and(|last| last.window > 0)
    }

    /// True when the reader of `dir`'s stream already read past position `index` (its file
    /// need not be handed over any more).
    pub fn passed(&self, dir: u64, index: usize) -> bool {
        let streams = self.streams.lock();
        streams
            .iter()
            .find(|s| s.dir == dir)
            .is_none_or(|s| index < s.next)
    }

    /// Handing over stopped before position `end` of `dir`'s listing (a byte limit): the
    /// stream's next read is expected there, so the files from there on are handed over
    /// again when it comes.
    pub fn stopped_at(&self, dir: u64, end: usize) {
        let mut streams = self.streams.lock();
        if let Some(s) = streams.iter_mut().find(|s| s.dir == dir) {
            if end < s.frontier {
                s.frontier = end.max(s.next);
            }
        }
    }
}

#[cfg(test)]
#[path = "files_ahead_tests.rs"]
mod tests;
