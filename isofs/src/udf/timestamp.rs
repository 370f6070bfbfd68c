//! ECMA-167 1/7.3: the 12-byte timestamp: type and time zone (low 12 bits, signed minutes from
//! UTC, -2047 = unspecified), year, month, day, hour, minute, second, centiseconds, hundreds
//! of microseconds, microseconds.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::iso9660::datetime::civil_to_time;

/// Decodes a timestamp; invalid ones become the epoch.
pub fn decode(raw: &[u8; 12]) -> SystemTime {
    let tz_raw = u16::from_le_bytes([raw[0], raw[1]]) & 0x0FFF;
    // Sign-extend 12 bits.
    let tz = i64::from(((tz_raw << 4) as i16) >> 4);
    let tz = if tz == -2047 { 0 } else { tz };
    let year = i64::from(i16::from_le_bytes([raw[2], raw[3]]));
    let micros = u32::from(raw[9]) * 10_000 + u32::from(raw[10]) * 100 + u32::from(raw[11]);
    civil_to_time(
        year,
        raw[4].into(),
        raw[5].into(),
        (raw[6].into(), raw[7].into(), raw[8].into()),
        micros.min(999_999) * 1000,
        tz,
    )
    .unwrap_or(UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn utc_and_offsets() {
        let mut t = [0u8; 12];
        t[0..2].copy_from_slice(&(0x1000u16).to_le_bytes());
        t[2..4].copy_from_slice(&2000i16.to_le_bytes());
        t[4] = 1;
        t[5] = 1;
        assert_eq!(decode(&t), UNIX_EPOCH + Duration::from_secs(946_684_800));
        // +60 minutes: an hour earlier in UTC.
        t[0..2].copy_from_slice(&(0x1000u16 | 60).to_le_bytes());
        t[6] = 1;
        assert_eq!(decode(&t), UNIX_EPOCH + Duration::from_secs(946_684_800));
        assert_eq!(decode(&[0u8; 12]), UNIX_EPOCH);
    }
}
