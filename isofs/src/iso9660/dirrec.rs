//! ECMA-119 9.1: the directory record. A directory's extent is a sequence of these, never
//! crossing a logical sector boundary (a zero length byte means "continue at the next sector",
//! 6.8.1.1). The System Use area after the identifier carries SUSP/Rock Ridge entries.

use std::time::SystemTime;

use crate::bytes::Fields;
use crate::error::{IsoError, IsoResult};
use crate::iso9660::datetime::short_form;

/// File flags (ECMA-119 9.1.6).
pub mod flags {
    /// The existence bit: hide from the user.
    pub const HIDDEN: u8 = 0x01;
    /// A directory.
    pub const DIRECTORY: u8 = 0x02;
    /// An associated file (resource fork); not served.
    pub const ASSOCIATED: u8 = 0x04;
    /// Not the final record of a multi-extent file.
    pub const MULTI_EXTENT: u8 = 0x80;
}

/// The smallest valid record: 33 fixed bytes plus a one-byte identifier.
pub const MIN_RECORD: usize = 34;

/// A parsed directory record.
#[derive(Debug, Clone)]
pub struct DirRecord {
    /// Absolute offset of the record in the image.
    pub offset: u64,
    /// The record's length in bytes.
    pub len: u8,
    /// Extended attribute record length, in logical blocks.
    pub ext_attr_len: u8,
    /// First logical block of the extent.
    pub extent: u32,
    /// Data length in bytes.
    pub size: u32,
    /// Recording date.
    pub mtime: SystemTime,
    /// File flags (see [`flags`]).
    pub flags: u8,
    /// Interleaved file unit size (blocks), 0 if not interleaved.
    pub unit_size: u8,
    /// Interleave gap size (blocks).
    pub gap_size: u8,
    /// The raw file identifier (0x00 is ".", 0x01 is "..").
    pub name: Vec<u8>,
    /// The System Use area.
    pub system_use: Vec<u8>,
}

impl DirRecord {
    /// Parses the record at the start of `raw` (read at image byte `offset`); `raw` may extend
    /// past the record.
    pub fn parse(raw: &[u8], offset: u64) -> IsoResult<Self> {
        let f = Fields::new(raw, "directory record", offset);
        let len = f.u8(0)?;
        if usize::from(len) < MIN_RECORD || usize::from(len) > raw.len() {
            return Err(IsoError::invalid(
                "directory record",
                offset,
                format!(
                    "length {len} (must be {MIN_RECORD}..={} here)",
                    raw.len().min(255)
                ),
            ));
        }
        let f = Fields::new(&raw[..usize::from(len)], "directory record", offset);
        let name_len = usize::from(f.u8(32)?);
        let name = f.bytes(33, name_len)?.to_vec();
        // A pad byte follows an even-length identifier (9.1.12).
        let su_start = 33 + name_len + usize::from(name_len % 2 == 0);
        let system_use = f.data.get(su_start..).unwrap_or_default().to_vec();
        Ok(Self {
            offset,
            len,
            ext_attr_len: f.u8(1)?,
            extent: f.both32(2)?,
            size: f.both32(10)?,
            mtime: short_form(&f.array(18)?),
            flags: f.u8(25)?,
            unit_size: f.u8(26)?,
            gap_size: f.u8(27)?,
            name,
            system_use,
        })
    }

    /// True for a directory.
    pub fn is_dir(&self) -> bool {
        self.flags & flags::DIRECTORY != 0
    }

    /// True for the "." record.
    pub fn is_self(&self) -> bool {
        self.name == [0]
    }

    /// True for the ".." record.
    pub fn is_parent(&self) -> bool {
        self.name == [1]
    }
}

/// Iterates the records of a directory extent, skipping the zero padding at sector ends.
/// Damaged records end the iteration with an error item; nothing here can loop forever, since
/// every step advances by at least one byte.
#[derive(Debug)]
pub struct RecordIter<'a> {
    data: &'a [u8],
    base: u64,
    sector: usize,
    pos: usize,
    done: bool,
}

impl<'a> RecordIter<'a> {
    /// Records of the directory bytes `data`, read at image byte `base`, in `sector`-byte
    /// logical sectors.
    pub fn new(data: &'a [u8], base: u64, sector: usize) -> Self {
        Self {
            data,
            base,
            sector: sector.max(1),
            pos: 0,
            done: false,
        }
    }
}

impl Iterator for RecordIter<'_> {
    type Item = IsoResult<DirRecord>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done && self.pos < self.data.len() {
            let sector_end = (self.pos / self.sector + 1) * self.sector;
            let sector_end = sector_end.min(self.data.len());
            let len = usize::from(self.data[self.pos]);
            if len == 0 || self.pos + len > sector_end {
                // Padding to the end of the sector (or a record that would cross it).
                self.pos = sector_end;
                continue;
            }
            let offset = self.base + self.pos as u64;
            let result = DirRecord::parse(&self.data[self.pos..sector_end], offset);
            match &result {
                Ok(_) => self.pos += len,
                Err(_) => self.done = true,
            }
            return Some(result);
        }
        None
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds a directory record for tests.
    pub fn record(name: &[u8], extent: u32, size: u32, fl: u8, su: &[u8]) -> Vec<u8> {
        let mut r = vec![0u8; 33];
        r[2..6].copy_from_slice(&extent.to_le_bytes());
        r[6..10].copy_from_slice(&extent.to_be_bytes());
        r[10..14].copy_from_slice(&size.to_le_bytes());
        r[14..18].copy_from_slice(&size.to_be_bytes());
        r[18..25].copy_from_slice(&[100, 1, 1, 0, 0, 0, 0]);
        r[25] = fl;
        r[28] = 1;
        r[31] = 1;
        r[32] = name.len() as u8;
        r.extend_from_slice(name);
        if name.len().is_multiple_of(2) {
            r.push(0);
        }
        r.extend_from_slice(su);
        if r.len() % 2 == 1 {
            r.push(0);
        }
        r[0] = r.len() as u8;
        r
    }

    #[test]
    fn parses_and_iterates_with_padding() {
        let mut data = record(&[0], 20, 2048, flags::DIRECTORY, b"");
        data.extend(record(b"A.TXT;1", 30, 5, 0, b"XY"));
        data.resize(2048, 0);
        data.extend(record(b"B;1", 31, 7, 0, b""));
        data.resize(4096, 0);
        let recs: Vec<_> = RecordIter::new(&data, 0, 2048)
            .collect::<Result<_, _>>()
            .expect("valid");
        assert_eq!(recs.len(), 3);
        assert!(recs[0].is_self());
        assert_eq!(recs[1].name, b"A.TXT;1");
        assert_eq!(recs[1].system_use, b"XY");
        assert_eq!(recs[2].offset, 2048);
        assert_eq!(recs[2].extent, 31);
    }

    #[test]
    fn short_record_is_an_error() {
        let mut r = record(b"A", 1, 1, 0, b"");
        r[0] = 20;
        assert!(DirRecord::parse(&r, 0).is_err());
        r[0] = 200;
        assert!(DirRecord::parse(&r, 0).is_err());
    }
}
