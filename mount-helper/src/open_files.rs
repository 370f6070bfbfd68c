//! Counting the files still open in a mount before a commit.
//!
//! The kernel sends FUSE's `RELEASE` for a file after `close(2)` has returned, from a work
//! queue (it waits for it only on `fuseblk` mounts; FUSE protocol, `fuse_release` in the
//! kernel's `fs/fuse/file.c`). So a file that a script closed just before it ran `wimfs
//! unmount --commit` may still count as open for a moment, longer on a loaded machine. The
//! count is taken again until it is zero or a grace period has passed; only a file that stays
//! open that long makes the commit refuse.

use std::time::{Duration, Instant};

/// How long files closed just before a commit get to have their `RELEASE` arrive.
pub const RELEASE_GRACE: Duration = Duration::from_secs(3);

/// Pause between two counts.
const POLL: Duration = Duration::from_millis(5);

/// `count()` once it is zero, or its value when `grace` has passed.
pub fn settled_count(mut count: impl FnMut() -> usize, grace: Duration) -> usize {
    let deadline = Instant::now() + grace;
    loop {
        let open = count();
        if open == 0 || Instant::now() >= deadline {
            return open;
        }
        std::thread::sleep(POLL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_arriving_late_are_waited_for() {
        let mut pending = 4;
        let open = settled_count(
            || {
                pending -= 1;
                pending
            },
            Duration::from_secs(5),
        );
        assert_eq!(open, 0);
    }

    #[test]
    fn a_file_that_stays_open_is_counted_after_the_grace_period() {
        let start = Instant::now();
        let grace = Duration::from_millis(60);
        assert_eq!(settled_count(|| 2, grace), 2);
        assert!(start.elapsed() >= grace);
    }
}
