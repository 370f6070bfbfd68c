//! Where a chunk missing from the spill file is decoded: [`SpillTarget`], its output (an extent
//! of the file mapped through [`crate::spill_map`], or memory where that is not possible), and
//! [`StagedInput`], its compressed input.
//!
//! A decoded LZMS solid chunk is up to 64 MiB and its input can be nearly as big (a chunk of barely
//! compressible data), so holding both while decoding would put up to 128 MiB in the daemon's
//! resident set. Instead, when the output is mapped, the input is staged in a scratch extent of the
//! same file (written piece by piece with `pwrite`, so it is page cache, not anonymous memory, and
//! costs no page faults until the decoder reads it), and the decoder's progress reports
//! ([`DecodeAt`]) release the pages it is done with: the output more than a window behind its
//! position (the `resident` bytes given, shared by the decodes in flight; matches reaching further
//! back map their pages again, cheaply, from the page cache), the input its two streams have read
//! past, and, in the final pass, everything behind it. Released pages keep their bytes, so the
//! release never changes what is decoded; it only bounds what is resident.

use std::io;
use std::ops::Range;

use super::{Extent, SpillFile};
use crate::spill_map::{fill_extent, MappedExtent, Pages};

/// Bytes copied in (or staged) between two releases.
const PIECE: usize = 1 << 20;

/// How far a decode has come (a codec's progress report, in the spill file's terms).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeAt {
    /// False while the decoder may still read any output byte before `output` (LZ matches);
    /// true in a final pass that never goes back.
    pub final_pass: bool,
    /// Where the decoder is in the output.
    pub output: usize,
    /// The input the decoder may still read.
    pub input_unread: Range<usize>,
}

/// The output of a chunk being decoded.
#[derive(Debug)]
pub struct SpillTarget<'a> {
    out: &'a mut [u8],
    /// Set when `out` is a mapping of the spill file.
    mapped: Option<(&'a SpillFile, Pages<'a>)>,
    resident: usize,
}

/// A chunk's compressed input, staged for decoding; its scratch space is given back on drop.
#[derive(Debug)]
pub struct StagedInput<'a> {
    staged: Staged<'a>,
}

#[derive(Debug)]
enum Staged<'a> {
    Memory(Vec<u8>),
    Mapped {
        spill: &'a SpillFile,
        ext: Extent,
        map: Option<MappedExtent>,
    },
}

impl<'a> SpillTarget<'a> {
    /// Output mapped from `spill`, keeping at most about `resident` bytes mapped behind the
    /// decoder.
    pub(super) fn mapped(
        spill: &'a SpillFile,
        out: &'a mut [u8],
        pages: Pages<'a>,
        resident: usize,
    ) -> Self {
        Self {
            out,
            mapped: Some((spill, pages)),
            resident,
        }
    }

    /// Output in memory.
    pub(super) fn memory(out: &'a mut [u8]) -> Self {
        Self {
            out,
            mapped: None,
            resident: usize::MAX,
        }
    }

    /// The chunk's decoded length.
    pub fn len(&self) -> usize {
        self.out.len()
    }

    /// True for an empty chunk.
    pub fn is_empty(&self) -> bool {
        self.out.is_empty()
    }

    /// True when the output is a mapping of the spill file.
    pub fn is_mapped(&self) -> bool {
        self.mapped.is_some()
    }

    /// Fills the whole output with `read(offset, piece)` (a chunk stored uncompressed), piece
    /// by piece, releasing each piece once written.
    pub fn copy_in(
        &mut self,
        read: impl FnMut(u64, &mut [u8]) -> io::Result<()>,
    ) -> io::Result<()> {
        copy_pieces(self.out, self.mapped.as_ref().map(|(_, p)| p), read)
    }

    /// `len` bytes of compressed input read with `read(offset, piece)`: staged in a scratch
    /// extent of the spill file when the output is mapped and the extent can be mapped too,
    /// else read into memory.
    pub fn stage_input(
        &self,
        len: usize,
        mut read: impl FnMut(u64, &mut [u8]) -> io::Result<()>,
    ) -> io::Result<StagedInput<'a>> {
        if let Some((spill, _)) = &self.mapped {
            if let Some((ext, map)) = spill.reserve_scratch_mapped(len as u64) {
                // Written, not stored through the mapping: no page faults, and the pages are
                // not mapped until the decoder reads them (see `crate::spill_map`).
                let copied = fill_extent(&spill.file, ext.offset, len as u64, &mut read);
                let input = StagedInput {
                    staged: Staged::Mapped {
                        spill,
                        ext,
                        map: Some(map),
                    },
                };
                return copied.map(|()| input);
            }
        }
        let mut v = vec![0u8; len];
        read(0, &mut v)?;
        Ok(StagedInput {
            staged: Staged::Memory(v),
        })
    }

    /// Runs `decode(input, output, progress)`, releasing the pages of the output and the input
    /// that the decoder's `progress` reports show it is done with: the output more than a
    /// window behind the decoder (all of it behind a final pass) and the input outside the
    /// part still to be read. The window is `resident` shared by the `n` decodes into the
    /// spill file in flight, looked at again at every report: a decode running alone keeps
    /// all of it, two decodes on two cores half each, so that decoding ahead on the other
    /// core does not raise the daemon's resident set. Releases come every 64th of the window
    /// divided by `n` twice more: what far-back matches map again between two releases adds
    /// up over the decodes in flight, and must stay small against the window (measured on the
    /// ESD of docs/benchmarks.md with `--cache-mb 16`, two decodes: peak VmHWM 78-88 MiB
    /// releasing every 64th of their window, 79-87 MiB every 128th, 78 MiB every 256th, as with
    /// one decode, for about the same CPU time).
    pub fn decode<R>(
        &mut self,
        input: &mut StagedInput<'_>,
        decode: impl FnOnce(&[u8], &mut [u8], &mut dyn FnMut(DecodeAt)) -> R,
    ) -> R {
        let out_pages = self.mapped.as_ref().map(|(_, p)| p);
        let spill = self.mapped.as_ref().map(|(s, _)| *s);
        let resident = self.resident;
        let window = move || {
            let n = spill.map_or(1, SpillFile::mapped_decodes);
            (resident / n, n)
        };
        let (bytes, in_pages) = input.parts();
        let in_len = bytes.len();
        let mut released_at: Option<(bool, usize)> = None;
        let mut progress = |at: DecodeAt| {
            let (keep, n) = window();
            let every = release_interval(keep / n.saturating_mul(n));
            let due = match released_at {
                Some((pass, pos)) => {
                    pass != at.final_pass || at.output >= pos.saturating_add(every)
                }
                None => true,
            };
            if !due && !at.input_unread.is_empty() {
                return;
            }
            released_at = Some((at.final_pass, at.output));
            if let Some(p) = &in_pages {
                p.release(0..at.input_unread.start);
                p.release(at.input_unread.end..in_len);
            }
            if let Some(p) = out_pages {
                let keep = if at.final_pass { 0 } else { keep };
                p.release(0..at.output.saturating_sub(keep));
            }
        };
        decode(bytes, self.out, &mut progress)
    }
}

/// Output bytes between two releases when about `resident` bytes are to stay mapped: a 64th
/// of it (16 KiB to 1 MiB). Far-back matches map pages again between two releases (each
/// fault maps the kernel's fault-around, 64 KiB, for a match of a few bytes), and on text-like
/// data a solid chunk's matches reach all over it: measured on a 64 MiB chunk, 64 KiB of output
/// mapped 34 MiB again right after a release.
fn release_interval(resident: usize) -> usize {
    (resident / 64).clamp(16 << 10, 1 << 20)
}

impl StagedInput<'_> {
    /// The input bytes, and the release handle of their pages when they are mapped.
    fn parts(&mut self) -> (&[u8], Option<Pages<'_>>) {
        match &mut self.staged {
            Staged::Memory(v) => (v, None),
            Staged::Mapped { map, .. } => match map {
                Some(m) => {
                    let (bytes, pages) = m.split();
                    (bytes, Some(pages))
                }
                None => (&[], None),
            },
        }
    }
}

impl Drop for StagedInput<'_> {
    fn drop(&mut self) {
        if let Staged::Mapped { spill, ext, map } = &mut self.staged {
            drop(map.take());
            spill.release_scratch(*ext);
        }
    }
}

/// Fills `out` with `read(offset, piece)` piece by piece, releasing each written piece's pages
/// when `pages` is given.
fn copy_pieces(
    out: &mut [u8],
    pages: Option<&Pages<'_>>,
    mut read: impl FnMut(u64, &mut [u8]) -> io::Result<()>,
) -> io::Result<()> {
    let mut at = 0usize;
    for piece in out.chunks_mut(PIECE) {
        let n = piece.len();
        read(at as u64, piece)?;
        if let Some(p) = pages {
            p.release(at..at + n);
        }
        at += n;
    }
    Ok(())
}
