//! A byte-weighted semaphore bounding the memory of big decodes in flight.
//!
//! Decoding a solid chunk needs its whole output (up to 64 MiB for LZMS) and its compressed
//! input at once, and FUSE serves reads on several threads: without a bound, four readers
//! touching four chunks would hold four chunks' worth of buffers. Each decode takes a permit
//! weighing its buffers; permits are granted while their weights fit the budget, and a decode
//! heavier than the whole budget still runs, alone.

use parking_lot::{Condvar, Mutex};

/// The memory available to decodes in flight.
#[derive(Debug)]
pub struct DecodeBudget {
    total: u64,
    available: Mutex<u64>,
    freed: Condvar,
}

/// A granted share of a [`DecodeBudget`], given back on drop.
#[derive(Debug)]
pub struct DecodePermit<'a> {
    budget: &'a DecodeBudget,
    weight: u64,
}

impl DecodeBudget {
    /// A budget of `total` bytes.
    pub fn new(total: u64) -> Self {
        Self {
            total,
            available: Mutex::new(total),
            freed: Condvar::new(),
        }
    }

    /// The budget's bytes.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Waits until `weight` bytes (at most the whole budget) are free, and takes them.
    pub fn acquire(&self, weight: u64) -> DecodePermit<'_> {
        let weight = weight.min(self.total);
        let mut available = self.available.lock();
        while *available < weight {
            self.freed.wait(&mut available);
        }
        *available -= weight;
        DecodePermit {
            budget: self,
            weight,
        }
    }

    /// Takes `weight` bytes if they are free now.
    pub fn try_acquire(&self, weight: u64) -> Option<DecodePermit<'_>> {
        let weight = weight.min(self.total);
        let mut available = self.available.lock();
        (*available >= weight).then(|| {
            *available -= weight;
            DecodePermit {
                budget: self,
                weight,
            }
        })
    }
}

impl Drop for DecodePermit<'_> {
    fn drop(&mut self) {
        *self.budget.available.lock() += self.weight;
        self.budget.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permits_fit_the_budget_and_oversized_ones_run_alone() {
        let b = DecodeBudget::new(100);
        let first = b.acquire(60);
        assert!(b.try_acquire(60).is_none());
        let second = b.try_acquire(40).expect("fits");
        drop(first);
        assert!(b.try_acquire(500).is_none(), "the 40 still held");
        drop(second);
        let alone = b.try_acquire(500).expect("heavier than the budget, alone");
        assert!(b.try_acquire(1).is_none());
        drop(alone);
    }

    #[test]
    fn waiters_proceed_when_permits_are_returned() {
        let b = std::sync::Arc::new(DecodeBudget::new(10));
        let held = b.acquire(10);
        let waiter = {
            let b = std::sync::Arc::clone(&b);
            std::thread::spawn(move || drop(b.acquire(5)))
        };
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(!waiter.is_finished());
        drop(held);
        waiter.join().expect("waiter");
    }
}
