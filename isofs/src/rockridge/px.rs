//! IEEE P1282 (RRIP) 4.1.1 "PX" POSIX file attributes (mode, links, uid, gid and, from RRIP
//! 1.12 on, the file serial number) and 4.1.2 "PN" device numbers.

use crate::error::IsoResult;
use crate::susp::entry::SuspEntry;

/// POSIX file attributes from a "PX" entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Px {
    /// `st_mode`, type bits included.
    pub mode: u32,
    /// `st_nlink`.
    pub nlink: u32,
    /// `st_uid`.
    pub uid: u32,
    /// `st_gid`.
    pub gid: u32,
    /// `st_ino` (RRIP 1.12, entry length 44), if recorded.
    pub ino: Option<u32>,
}

/// POSIX file type bits.
pub mod mode {
    /// Mask of the type bits.
    pub const S_IFMT: u32 = 0o170_000;
    /// Directory.
    pub const S_IFDIR: u32 = 0o040_000;
    /// Regular file.
    pub const S_IFREG: u32 = 0o100_000;
    /// Symbolic link.
    pub const S_IFLNK: u32 = 0o120_000;
}

impl Px {
    /// Parses a "PX" entry.
    pub fn parse(e: &SuspEntry) -> IsoResult<Self> {
        let f = e.fields();
        let ino = if e.raw.len() >= 44 {
            Some(f.both32(36)?)
        } else {
            None
        };
        Ok(Self {
            mode: f.both32(4)?,
            nlink: f.both32(12)?,
            uid: f.both32(20)?,
            gid: f.both32(28)?,
            ino,
        })
    }

    /// The type bits.
    pub fn file_type(&self) -> u32 {
        self.mode & mode::S_IFMT
    }
}

/// Parses a "PN" entry into a device number in [`common::vfs::encode_dev`]'s encoding.
///
/// RRIP 4.1.2 stores "Dev_t High" and "Dev_t Low"; writers with a 32-bit `dev_t` leave High 0
/// and store the whole number in Low, so High 0 means Low is an encoded device number
/// (mkisofs/genisoimage write Linux's `st_rdev` there), and otherwise High and Low are the
/// major and minor numbers (as Linux's isofs driver reads them).
pub fn parse_pn(e: &SuspEntry) -> IsoResult<u32> {
    let f = e.fields();
    let (high, low) = (f.both32(4)?, f.both32(12)?);
    Ok(if high == 0 {
        low
    } else {
        common::vfs::encode_dev(high, low)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::susp::entry::tests::entry;

    fn both(v: u32) -> Vec<u8> {
        let mut b = v.to_le_bytes().to_vec();
        b.extend(v.to_be_bytes());
        b
    }

    #[test]
    fn px_with_and_without_serial() {
        let mut d = both(0o100_644);
        d.extend(both(2));
        d.extend(both(1000));
        d.extend(both(100));
        let raw = entry(b"PX", &d);
        let e = SuspEntry {
            sig: *b"PX",
            version: 1,
            raw,
            offset: 0,
        };
        let px = Px::parse(&e).expect("valid");
        assert_eq!(
            (px.mode, px.nlink, px.uid, px.gid, px.ino),
            (0o100_644, 2, 1000, 100, None)
        );
        d.extend(both(77));
        let e = SuspEntry {
            raw: entry(b"PX", &d),
            ..e
        };
        assert_eq!(Px::parse(&e).expect("valid").ino, Some(77));
        assert_eq!(Px::parse(&e).expect("valid").file_type(), mode::S_IFREG);
    }
}
