//! ECMA-119 dates: the 7-byte recording date of directory records (9.1.5) and the 17-byte
//! digit form of volume descriptors (8.4.26.1). Both carry a signed offset from GMT in 15-minute
//! units. Invalid or absent dates become the Unix epoch rather than errors: a bad timestamp must
//! not make a file unreadable.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Days from 1970-01-01 to the given proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Seconds since the epoch to a `SystemTime` (negative values before the epoch).
pub fn system_time(secs: i64, nanos: u32) -> SystemTime {
    if secs >= 0 {
        UNIX_EPOCH + Duration::new(secs.unsigned_abs(), nanos.min(999_999_999))
    } else {
        UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs()) + Duration::from_nanos(nanos.into())
    }
}

/// Broken-down civil time plus a GMT offset in minutes, to a `SystemTime`; `None` if a field
/// is out of range.
pub fn civil_to_time(
    year: i64,
    month: u32,
    day: u32,
    hms: (u32, u32, u32),
    nanos: u32,
    offset_minutes: i64,
) -> Option<SystemTime> {
    let (h, mi, s) = hms;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(s)
        - offset_minutes * 60;
    Some(system_time(secs, nanos))
}

/// ECMA-119 9.1.5: years since 1900, month, day, hour, minute, second, GMT offset / 15 min.
pub fn short_form(raw: &[u8; 7]) -> SystemTime {
    let off = i64::from(raw[6] as i8) * 15;
    civil_to_time(
        1900 + i64::from(raw[0]),
        raw[1].into(),
        raw[2].into(),
        (raw[3].into(), raw[4].into(), raw[5].into()),
        0,
        off,
    )
    .unwrap_or(UNIX_EPOCH)
}

fn digits(raw: &[u8]) -> Option<u32> {
    raw.iter().try_fold(0u32, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

/// ECMA-119 8.4.26.1: "YYYYMMDDHHMMSScc" digits plus a GMT offset byte; `None` if unset.
pub fn long_form(raw: &[u8; 17]) -> Option<SystemTime> {
    let year = digits(&raw[0..4])?;
    if year == 0 {
        return None;
    }
    let f = |a: usize| digits(&raw[a..a + 2]);
    let off = i64::from(raw[16] as i8) * 15;
    civil_to_time(
        year.into(),
        f(4)?,
        f(6)?,
        (f(8)?, f(10)?, f(12)?),
        f(14)? * 10_000_000,
        off,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_and_known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        let t = short_form(&[100, 1, 1, 0, 0, 0, 0]);
        assert_eq!(t, UNIX_EPOCH + Duration::from_secs(946_684_800));
        // One hour east of GMT is an hour earlier in UTC.
        let t = short_form(&[100, 1, 1, 1, 0, 0, 4]);
        assert_eq!(t, UNIX_EPOCH + Duration::from_secs(946_684_800));
        assert_eq!(short_form(&[0, 0, 0, 0, 0, 0, 0]), UNIX_EPOCH);
    }

    #[test]
    fn long_form_digits() {
        let mut raw = *b"2000010100000050\0";
        raw[16] = 0;
        let t = long_form(&raw).expect("valid");
        assert_eq!(t, UNIX_EPOCH + Duration::new(946_684_800, 500_000_000));
        assert!(long_form(b"0000000000000000\0").is_none());
        assert!(long_form(b"20x0010100000000\0").is_none());
    }
}
