//! IEEE P1282 (RRIP) 4.1.6 "TF" time stamps: a flags byte says which of creation, modify,
//! access, attributes, backup, expiration, effective follow, each in the ECMA-119 7-byte form
//! (9.1.5) or, with LONG_FORM, the 17-byte form (8.4.26.1).

use std::time::SystemTime;

use crate::iso9660::datetime::{long_form, short_form};

/// The time stamps a "TF" entry may carry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Times {
    /// Creation time.
    pub created: Option<SystemTime>,
    /// Data modification time.
    pub modified: Option<SystemTime>,
    /// Access time.
    pub accessed: Option<SystemTime>,
    /// Attribute change time.
    pub changed: Option<SystemTime>,
}

const LONG_FORM: u8 = 0x80;

/// Parses a "TF" entry (whole entry, header included) into `times`.
pub fn parse(raw: &[u8], times: &mut Times) {
    let Some(&flags) = raw.get(4) else { return };
    let width = if flags & LONG_FORM != 0 { 17 } else { 7 };
    let mut pos = 5usize;
    for bit in 0..7 {
        if flags & (1 << bit) == 0 {
            continue;
        }
        let Some(field) = raw.get(pos..pos + width) else {
            return;
        };
        pos += width;
        let t = if width == 7 {
            let mut a = [0u8; 7];
            a.copy_from_slice(field);
            Some(short_form(&a))
        } else {
            let mut a = [0u8; 17];
            a.copy_from_slice(field);
            long_form(&a)
        };
        match bit {
            0 => times.created = t,
            1 => times.modified = t,
            2 => times.accessed = t,
            3 => times.changed = t,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn short_stamps_in_flag_order() {
        let mut raw = vec![b'T', b'F', 0, 1, 0x06];
        raw.extend([100, 1, 1, 0, 0, 0, 0]); // modify
        raw.extend([70, 1, 1, 0, 0, 0, 0]); // access
        raw[2] = raw.len() as u8;
        let mut t = Times::default();
        parse(&raw, &mut t);
        assert_eq!(
            t.modified,
            Some(UNIX_EPOCH + Duration::from_secs(946_684_800))
        );
        assert_eq!(t.accessed, Some(UNIX_EPOCH));
        assert!(t.created.is_none());
    }
}
