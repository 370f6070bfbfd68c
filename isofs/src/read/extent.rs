//! A file's bytes as a list of extents in the image: plain runs, runs of zeros (UDF unrecorded
//! or sparse extents) and ECMA-119 interleaved runs (9.1.7/9.1.8: units of `unit` bytes
//! separated by gaps of `gap` bytes). Reads locate the extent with a binary search over the
//! cumulative file offsets and read positionally, so concurrent reads never contend.

use common::io::ReadAt;

use crate::error::{IsoError, IsoResult};

/// Where an extent's bytes come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece {
    /// Contiguous bytes starting at this image offset.
    Image(u64),
    /// Zeros (not recorded in the image).
    Zero,
    /// Interleaved units: `unit` bytes at `start`, then skip `gap` bytes, and so on.
    Interleaved {
        /// Image offset of the first unit.
        start: u64,
        /// Bytes per unit.
        unit: u64,
        /// Bytes skipped between units.
        gap: u64,
    },
}

/// One run of a file's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extent {
    /// Offset of the run in the file.
    pub file_off: u64,
    /// Length of the run.
    pub len: u64,
    /// Where its bytes are.
    pub piece: Piece,
}

/// The extents of one file, in file order, without holes between them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtentMap {
    extents: Vec<Extent>,
    size: u64,
}

impl ExtentMap {
    /// An empty file.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a run of `len` bytes; fails if the file size would overflow.
    pub fn push(&mut self, len: u64, piece: Piece) -> IsoResult<()> {
        if len == 0 {
            return Ok(());
        }
        let end = self
            .size
            .checked_add(len)
            .ok_or_else(|| IsoError::invalid("file extents", 0, "total size overflows 64 bits"))?;
        self.extents.push(Extent {
            file_off: self.size,
            len,
            piece,
        });
        self.size = end;
        Ok(())
    }

    /// The file size.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The extents.
    pub fn extents(&self) -> &[Extent] {
        &self.extents
    }

    /// Image bytes occupied (zeros excluded).
    pub fn allocated(&self) -> u64 {
        self.extents
            .iter()
            .filter(|e| e.piece != Piece::Zero)
            .map(|e| e.len)
            .sum()
    }

    /// The image offset of the first recorded byte, used as a cache key and hard-link key.
    pub fn first_offset(&self) -> Option<u64> {
        self.extents.iter().find_map(|e| match e.piece {
            Piece::Image(o) => Some(o),
            Piece::Interleaved { start, .. } => Some(start),
            Piece::Zero => None,
        })
    }

    /// Reads up to `buf.len()` bytes at file offset `offset`; 0 at the end of the file. Bytes
    /// the image does not hold (an extent past its end) are an error naming the offset.
    pub fn read_at(&self, src: &dyn ReadAt, offset: u64, buf: &mut [u8]) -> IsoResult<usize> {
        if offset >= self.size || buf.is_empty() {
            return Ok(0);
        }
        let mut done = 0usize;
        let mut pos = offset;
        let mut idx = self.extents.partition_point(|e| e.file_off + e.len <= pos);
        while done < buf.len() && idx < self.extents.len() {
            let e = self.extents[idx];
            let within = pos - e.file_off;
            let (image_off, run) = match e.piece {
                Piece::Image(o) => (Some(o + within), e.len - within),
                Piece::Zero => (None, e.len - within),
                Piece::Interleaved { start, unit, gap } => {
                    let u = within / unit;
                    let in_unit = within % unit;
                    let stride = unit + gap;
                    let at = u
                        .checked_mul(stride)
                        .and_then(|x| x.checked_add(start))
                        .and_then(|x| x.checked_add(in_unit))
                        .ok_or_else(|| {
                            IsoError::invalid("interleaved file", start, "offset overflows")
                        })?;
                    (Some(at), (unit - in_unit).min(e.len - within))
                }
            };
            let want = usize::try_from(run)
                .unwrap_or(usize::MAX)
                .min(buf.len() - done);
            let dst = &mut buf[done..done + want];
            match image_off {
                None => dst.fill(0),
                Some(at) => src.read_exact_at(at, dst).map_err(|err| {
                    if err.kind() == std::io::ErrorKind::UnexpectedEof {
                        IsoError::invalid(
                            "file extent",
                            at,
                            format!(
                                "{want} bytes lie past the end of the image ({} bytes)",
                                src.len()
                            ),
                        )
                    } else {
                        IsoError::io(format!("reading {want} bytes at image byte {at}"), err)
                    }
                })?,
            }
            done += want;
            pos += want as u64;
            if pos >= e.file_off + e.len {
                idx += 1;
            }
        }
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_across_extents_and_zeros() {
        let image: Vec<u8> = (0..=255u8).collect();
        let mut m = ExtentMap::new();
        m.push(4, Piece::Image(10)).expect("ok");
        m.push(3, Piece::Zero).expect("ok");
        m.push(2, Piece::Image(100)).expect("ok");
        let mut buf = [0xAAu8; 16];
        let n = m.read_at(&image, 0, &mut buf).expect("read");
        assert_eq!(&buf[..n], &[10, 11, 12, 13, 0, 0, 0, 100, 101]);
        let n = m.read_at(&image, 5, &mut buf[..3]).expect("read");
        assert_eq!(&buf[..n], &[0, 0, 100]);
        assert_eq!(m.read_at(&image, 9, &mut buf).expect("read"), 0);
    }

    #[test]
    fn interleaved_units_skip_gaps() {
        let image: Vec<u8> = (0..=255u8).collect();
        let mut m = ExtentMap::new();
        m.push(
            6,
            Piece::Interleaved {
                start: 0,
                unit: 2,
                gap: 3,
            },
        )
        .expect("ok");
        let mut buf = [0u8; 6];
        m.read_exact(&image, &mut buf);
        assert_eq!(buf, [0, 1, 5, 6, 10, 11]);
    }

    #[test]
    fn extents_past_the_end_are_errors() {
        let image = vec![0u8; 10];
        let mut m = ExtentMap::new();
        m.push(20, Piece::Image(5)).expect("ok");
        let mut buf = [0u8; 20];
        let e = m.read_at(&image, 0, &mut buf).expect_err("past end");
        assert!(e.to_string().contains("past the end"), "{e}");
    }

    impl ExtentMap {
        fn read_exact(&self, src: &dyn ReadAt, buf: &mut [u8]) {
            let mut done = 0;
            while done < buf.len() {
                let n = self
                    .read_at(src, done as u64, &mut buf[done..])
                    .expect("read");
                assert!(n > 0);
                done += n;
            }
        }
    }
}
