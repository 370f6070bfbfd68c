//! FILETIME (100 ns ticks since 1601-01-01 UTC) to and from [`SystemTime`].

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// FILETIME of the Unix epoch (1970-01-01).
pub const UNIX_EPOCH_FILETIME: u64 = 116_444_736_000_000_000;

const TICKS_PER_SEC: u64 = 10_000_000;

/// The FILETIME of `t`; times before 1601 become 0, times past the FILETIME range saturate.
pub fn to_filetime(t: SystemTime) -> u64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(after) => {
            let ticks = after
                .as_secs()
                .saturating_mul(TICKS_PER_SEC)
                .saturating_add(u64::from(after.subsec_nanos() / 100));
            UNIX_EPOCH_FILETIME.saturating_add(ticks)
        }
        Err(e) => {
            let before = e.duration();
            let ticks = before
                .as_secs()
                .saturating_mul(TICKS_PER_SEC)
                .saturating_add(u64::from(before.subsec_nanos().div_ceil(100)));
            UNIX_EPOCH_FILETIME.saturating_sub(ticks)
        }
    }
}

/// The [`SystemTime`] of a FILETIME (every u64 is representable on the supported hosts).
pub fn from_filetime(ft: u64) -> SystemTime {
    let to_duration = |ticks: u64| {
        Duration::new(
            ticks / TICKS_PER_SEC,
            ((ticks % TICKS_PER_SEC) * 100) as u32,
        )
    };
    if ft >= UNIX_EPOCH_FILETIME {
        let d = to_duration(ft - UNIX_EPOCH_FILETIME);
        UNIX_EPOCH.checked_add(d).unwrap_or(UNIX_EPOCH)
    } else {
        let d = to_duration(UNIX_EPOCH_FILETIME - ft);
        UNIX_EPOCH.checked_sub(d).unwrap_or(UNIX_EPOCH)
    }
}

/// A time in a SetBasicInfo request: 0 means "leave unchanged", as does `u64::MAX` (-1,
/// "stop updating this time for this handle", which a VFS has no notion of).
pub fn requested_change(ft: u64) -> Option<SystemTime> {
    match ft {
        0 | u64::MAX => None,
        ft => Some(from_filetime(ft)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_and_round_trip() {
        assert_eq!(to_filetime(UNIX_EPOCH), UNIX_EPOCH_FILETIME);
        assert_eq!(from_filetime(UNIX_EPOCH_FILETIME), UNIX_EPOCH);
        // 2009-07-14 (a Windows 7 image's timestamps), with 100 ns precision.
        let t = UNIX_EPOCH + Duration::new(1_247_547_600, 123_456_700);
        assert_eq!(from_filetime(to_filetime(t)), t);
        assert_eq!(to_filetime(t), 128_920_212_001_234_567);
    }

    #[test]
    fn before_the_unix_epoch_and_extremes() {
        let t = UNIX_EPOCH - Duration::from_secs(86_400);
        assert_eq!(to_filetime(t), UNIX_EPOCH_FILETIME - 86_400 * TICKS_PER_SEC);
        assert_eq!(from_filetime(to_filetime(t)), t);
        assert_eq!(
            from_filetime(0),
            UNIX_EPOCH - Duration::from_secs(11_644_473_600)
        );
        assert_eq!(
            to_filetime(UNIX_EPOCH - Duration::from_secs(20_000_000_000)),
            0
        );
        assert!(from_filetime(u64::MAX) > UNIX_EPOCH);
    }

    #[test]
    fn set_basic_info_sentinels_leave_times_alone() {
        assert_eq!(requested_change(0), None);
        assert_eq!(requested_change(u64::MAX), None);
        assert_eq!(requested_change(UNIX_EPOCH_FILETIME), Some(UNIX_EPOCH));
    }
}
