//! The fetching threads of one HTTP source: a small pool (one connection each) taking jobs
//! (runs of adjacent blocks) from a queue, so several range requests are in flight at once.
//! Blocks a reader waits for go to the front of the queue; readahead to the back.
//!
//! The pool holds the source weakly: when the source is dropped the queue closes and the
//! threads end after their current request.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::Duration;

/// A run of adjacent blocks to fetch with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Job {
    /// The first block.
    pub first: u64,
    /// How many blocks.
    pub count: u64,
}

/// What runs a job (the source).
pub trait RunJob: Send + Sync + 'static {
    /// Fetches the job's blocks and stores them (or records the failure).
    fn run_job(&self, job: Job);
}

#[derive(Debug, Default)]
struct QueueState {
    jobs: VecDeque<Job>,
    closed: bool,
}

/// The job queue shared by the threads.
#[derive(Debug, Default)]
pub struct Queue {
    state: Mutex<QueueState>,
    ready: Condvar,
}

impl Queue {
    /// Queues `job`: first in line if `urgent`, else last.
    pub fn push(&self, job: Job, urgent: bool) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if urgent {
            s.jobs.push_front(job);
        } else {
            s.jobs.push_back(job);
        }
        self.ready.notify_one();
    }

    /// Ends the threads (after their current job).
    pub fn close(&self) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.closed = true;
        s.jobs.clear();
        self.ready.notify_all();
    }

    fn pop(&self) -> Option<Job> {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if s.closed {
                return None;
            }
            if let Some(j) = s.jobs.pop_front() {
                return Some(j);
            }
            s = self
                .ready
                .wait_timeout(s, Duration::from_secs(5))
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }
}

/// Starts `threads` fetching threads for `owner`; returns their queue.
pub fn start<T: RunJob>(owner: Weak<T>, threads: usize, name: &str) -> std::io::Result<Arc<Queue>> {
    let queue = Arc::new(Queue::default());
    for i in 0..threads.max(1) {
        let (q, owner) = (Arc::clone(&queue), owner.clone());
        std::thread::Builder::new()
            .name(format!("{name}-{i}"))
            .spawn(move || {
                while let Some(job) = q.pop() {
                    let Some(owner) = owner.upgrade() else {
                        return;
                    };
                    owner.run_job(job);
                }
            })?;
    }
    Ok(queue)
}

/// Splits the blocks `blocks` (sorted, distinct) into runs of adjacent blocks of at most
/// `max` each.
pub fn runs(blocks: &[u64], max: u64) -> Vec<Job> {
    let mut out: Vec<Job> = Vec::new();
    for &b in blocks {
        match out.last_mut() {
            Some(j) if j.first + j.count == b && j.count < max => j.count += 1,
            _ => out.push(Job { first: b, count: 1 }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[test]
    fn adjacent_blocks_coalesce_up_to_the_cap() {
        let j = runs(&[1, 2, 3, 5, 6, 7, 8, 9], 3);
        let got: Vec<(u64, u64)> = j.iter().map(|j| (j.first, j.count)).collect();
        assert_eq!(got, vec![(1, 3), (5, 3), (8, 2)]);
    }

    #[derive(Default)]
    struct Counter(AtomicU64);
    impl RunJob for Counter {
        fn run_job(&self, job: Job) {
            self.0.fetch_add(job.count, Ordering::SeqCst);
        }
    }

    #[test]
    fn threads_run_jobs_and_end_with_their_owner() {
        let owner = Arc::new(Counter::default());
        let q = start(Arc::downgrade(&owner), 3, "t").expect("threads");
        for i in 0..10 {
            q.push(Job { first: i, count: 2 }, i % 2 == 0);
        }
        for _ in 0..500 {
            if owner.0.load(Ordering::SeqCst) == 20 {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(owner.0.load(Ordering::SeqCst), 20);
        q.close();
    }
}
