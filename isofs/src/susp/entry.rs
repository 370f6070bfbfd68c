//! IEEE P1281 (SUSP) 4: System Use entries. Each entry is a two-byte signature, a length byte
//! (covering the whole entry), a version byte and data. An area ends at its end, at an "ST"
//! terminator (5.4) or at padding shorter than an entry. A "CE" entry (5.1) names one
//! continuation area: block, offset in the block, length (each ECMA-119 7.3.3 both-endian).

use crate::bytes::Fields;
use crate::error::IsoResult;

/// One System Use entry, its data copied out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuspEntry {
    /// The two-character signature ("PX", "NM", ...).
    pub sig: [u8; 2],
    /// The entry's version byte.
    pub version: u8,
    /// The whole entry, header included, so field offsets match the specs' tables.
    pub raw: Vec<u8>,
    /// Absolute image offset of the entry.
    pub offset: u64,
}

impl SuspEntry {
    /// Field access with the entry's offsets as in the specifications (data starts at 4).
    pub fn fields(&self) -> Fields<'_> {
        Fields::new(&self.raw, "System Use entry", self.offset)
    }
}

/// A continuation area named by a "CE" entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Continuation {
    /// Logical block of the area.
    pub block: u32,
    /// Offset inside that block.
    pub offset: u32,
    /// Length of the area in bytes.
    pub len: u32,
}

/// Splits one System Use area (read at image byte `base`) into entries, appending them to
/// `out`; returns the last "CE" entry's continuation, if any. Malformed trailing bytes end the
/// area (as every reader of real images must tolerate padding), they are not an error.
pub fn parse_area(
    area: &[u8],
    base: u64,
    out: &mut Vec<SuspEntry>,
) -> IsoResult<Option<Continuation>> {
    let mut pos = 0usize;
    let mut next = None;
    while area.len().saturating_sub(pos) >= 4 {
        let len = usize::from(area[pos + 2]);
        if len < 4 || pos + len > area.len() {
            break;
        }
        let raw = &area[pos..pos + len];
        let entry = SuspEntry {
            sig: [raw[0], raw[1]],
            version: raw[3],
            raw: raw.to_vec(),
            offset: base + pos as u64,
        };
        pos += len;
        match &entry.sig {
            b"ST" => break,
            b"CE" => {
                let f = entry.fields();
                next = Some(Continuation {
                    block: f.both32(4)?,
                    offset: f.both32(12)?,
                    len: f.both32(20)?,
                });
            }
            _ => out.push(entry),
        }
    }
    Ok(next)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds an entry for tests.
    pub fn entry(sig: &[u8; 2], data: &[u8]) -> Vec<u8> {
        let mut e = vec![sig[0], sig[1], (4 + data.len()) as u8, 1];
        e.extend_from_slice(data);
        e
    }

    fn both32(v: u32) -> Vec<u8> {
        let mut b = v.to_le_bytes().to_vec();
        b.extend_from_slice(&v.to_be_bytes());
        b
    }

    /// A "CE" entry.
    pub fn ce(block: u32, offset: u32, len: u32) -> Vec<u8> {
        let mut d = both32(block);
        d.extend(both32(offset));
        d.extend(both32(len));
        entry(b"CE", &d)
    }

    #[test]
    fn splits_entries_and_stops_at_st() {
        let mut area = entry(b"NM", b"\0abc");
        area.extend(ce(30, 8, 100));
        area.extend(entry(b"ST", b""));
        area.extend(entry(b"PX", b"ignored"));
        let mut out = Vec::new();
        let cont = parse_area(&area, 1000, &mut out).expect("valid");
        assert_eq!(out.len(), 1);
        assert_eq!(&out[0].sig, b"NM");
        assert_eq!(out[0].offset, 1000);
        assert_eq!(
            cont,
            Some(Continuation {
                block: 30,
                offset: 8,
                len: 100
            })
        );
    }

    #[test]
    fn bad_lengths_end_the_area() {
        let mut out = Vec::new();
        assert_eq!(
            parse_area(&[b'N', b'M', 2, 1, 0, 0], 0, &mut out).ok(),
            Some(None)
        );
        assert_eq!(
            parse_area(&[b'N', b'M', 200, 1], 0, &mut out).ok(),
            Some(None)
        );
        assert!(out.is_empty());
    }
}
