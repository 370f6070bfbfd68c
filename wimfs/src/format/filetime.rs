//! FILETIME: the time stamps of WIM dentries and XML, 100 ns intervals since 1601-01-01 UTC
//! (Microsoft, "FILETIME structure", minwinbase.h), and their conversions to `SystemTime`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// 100 ns intervals between 1601-01-01 and 1970-01-01.
const EPOCH_DIFF: u64 = 116_444_736_000_000_000;

/// Converts a FILETIME (100 ns units since 1601) to a SystemTime.
pub fn filetime_to_system(ft: u64) -> SystemTime {
    if ft >= EPOCH_DIFF {
        let d = ft - EPOCH_DIFF;
        UNIX_EPOCH + Duration::new(d / 10_000_000, (d % 10_000_000) as u32 * 100)
    } else {
        let d = EPOCH_DIFF - ft;
        UNIX_EPOCH
            .checked_sub(Duration::new(d / 10_000_000, (d % 10_000_000) as u32 * 100))
            .unwrap_or(UNIX_EPOCH)
    }
}

/// Converts a SystemTime to a FILETIME (clamped to the representable range).
pub fn system_to_filetime(t: SystemTime) -> u64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => EPOCH_DIFF
            .saturating_add(d.as_secs().saturating_mul(10_000_000))
            .saturating_add(u64::from(d.subsec_nanos() / 100)),
        Err(e) => {
            let d = e.duration();
            EPOCH_DIFF.saturating_sub(
                d.as_secs().saturating_mul(10_000_000) + u64::from(d.subsec_nanos() / 100),
            )
        }
    }
}

/// The current time as a FILETIME.
pub fn now_filetime() -> u64 {
    system_to_filetime(SystemTime::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filetimes_round_trip() {
        for ft in [
            0u64,
            EPOCH_DIFF,
            EPOCH_DIFF + 12_345_678_901,
            133_000_000_000_000_000,
        ] {
            assert_eq!(system_to_filetime(filetime_to_system(ft)), ft);
        }
    }
}
