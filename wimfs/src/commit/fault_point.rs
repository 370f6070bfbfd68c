//! A crash point of the crash tests outside the WIM's own writes: a commit while mounted also
//! writes into the staging directory (the record of the image the WIM is about to become, the
//! rebased journal), and the crash tests kill the daemon at each of those writes too. Without
//! the `fault-injection` cargo feature this does nothing.

/// Counts one write and, under `WIMFS_FAULT_AFTER_WRITES=N`, crashes when it is the N-th (the
/// same count as the WIM's writes).
pub fn fault_point() {
    #[cfg(feature = "fault-injection")]
    super::fault::before_write();
}
