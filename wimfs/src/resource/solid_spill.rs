//! Solid chunks through the chunk cache's spill file ([`common::spill::SpillFile`]): each
//! decoded once per mount whatever the read order and RAM budget, decodes bounded by the
//! cache's [`common::decode_budget::DecodeBudget`], and the next chunk decoded ahead on another
//! thread while a reader moves through a solid resource. A chunk is decoded into the spill
//! file's page cache, its input staged there too, and the LZMS decoder's progress reports
//! release the pages it is done with ([`common::spill::SpillTarget`]), so that decoding a
//! 64 MiB chunk grows the daemon's resident set by the cache's decode window
//! ([`common::cache::ChunkCache::decode_resident`]), not by the chunk and its input.

use common::spill::{ChunkFill, DecodeAt, SpillTarget};

use super::codec::decode;
use super::{Chunked, ResourceContext};
use crate::compress;
use crate::error::{WimError, WimResult};
use crate::format::header::Compression;

impl Chunked {
    /// Copies chunk `i` from `within` into `out` through the cache's spill file when this is
    /// a solid resource and the cache has one; `None` otherwise (use [`Self::chunk`]). Solid
    /// chunks bypass the RAM cache: an LRU smaller than the chunks a read order cycles through
    /// would decode each again and again, while the spill keeps every one decoded once.
    pub(super) fn read_spilled(
        &self,
        ctx: &ResourceContext,
        i: u64,
        within: u64,
        out: &mut [u8],
    ) -> WimResult<Option<usize>> {
        let Some(spill) = ctx.cache.spill().filter(|_| self.solid) else {
            return Ok(None);
        };
        let fill = ChunkFill {
            len: self.chunk_len(i),
            resident: ctx.cache.decode_resident(),
            permit: || Ok(ctx.cache.decoders().acquire(self.decode_weight(i))),
            decode: |t: &mut SpillTarget<'_>| self.decode_for_spill(ctx, i, t),
        };
        let read_error = |e| {
            WimError::io(
                format!("reading the spill file in {}", spill.dir().display()),
                e,
            )
        };
        let n = spill.read_or_fill(
            ctx.key(self.hdr.offset_in_wim, i),
            within,
            out,
            fill,
            read_error,
        )?;
        // A reader that moved on from the previous chunk to this one: decode the next on
        // another core while it reads this one.
        if i > 0 && spill.contains(&ctx.key(self.hdr.offset_in_wim, i - 1)) {
            self.decode_ahead(ctx, i + 1);
        }
        Ok(Some(n))
    }

    /// Memory a decode of chunk `i` holds: its output (when it cannot be decoded into the spill
    /// file's page cache) and (at most about half as much) input.
    fn decode_weight(&self, i: u64) -> u64 {
        let len = self.chunk_len(i);
        len.saturating_add(len / 2)
    }

    /// Reads and decodes chunk `i` into `t` (which holds exactly its uncompressed length).
    fn decode_for_spill(
        &self,
        ctx: &ResourceContext,
        i: u64,
        t: &mut SpillTarget<'_>,
    ) -> WimResult<()> {
        let out_len = t.len();
        let (start, in_len) = self.chunk_span(ctx, i, out_len)?;
        let read = |at: u64, piece: &mut [u8]| {
            let pos = start
                .checked_add(at)
                .ok_or_else(|| std::io::Error::other("chunk offset overflow"))?;
            ctx.source.read_exact_at(pos, piece)
        };
        if in_len == out_len {
            t.copy_in(read).map_err(self.read_error(i))?;
        } else {
            let mut input = t.stage_input(in_len, read).map_err(self.read_error(i))?;
            t.decode(&mut input, |input, out, progress| match self.compression {
                Compression::Lzms => {
                    compress::lzms::decompress_with_progress(input, out, &mut |p| {
                        progress(DecodeAt {
                            final_pass: p.final_pass,
                            output: p.output,
                            input_unread: p.input_unread,
                        })
                    })
                }
                c => decode(c, input, out, self.chunk_size),
            })
            .map_err(|e| self.decode_error(i, e))?;
        }
        ctx.cache.note_decoded(out_len);
        Ok(())
    }

    /// Decodes chunk `i` into the spill file on a background thread, if it exists, is not
    /// there yet, and the decode budget has room now (never waiting for it).
    fn decode_ahead(&self, ctx: &ResourceContext, i: u64) {
        let key = ctx.key(self.hdr.offset_in_wim, i);
        if i >= self.chunk_count() || ctx.cache.spill().is_none_or(|s| s.has_or_fills(&key)) {
            return;
        }
        if ctx
            .cache
            .decoders()
            .try_acquire(self.decode_weight(i))
            .is_none()
        {
            return;
        }
        let (this, ctx) = (*self, ctx.clone());
        let spawned = std::thread::Builder::new()
            .name("solid-ahead".into())
            .spawn(move || {
                let Some(spill) = ctx.cache.spill() else {
                    return;
                };
                let fill = ChunkFill {
                    len: this.chunk_len(i),
                    resident: ctx.cache.decode_resident(),
                    permit: || {
                        ctx.cache
                            .decoders()
                            .try_acquire(this.decode_weight(i))
                            .ok_or_else(|| {
                                WimError::Unsupported(
                                    "no decode budget left for reading ahead".into(),
                                )
                            })
                    },
                    decode: |t: &mut SpillTarget<'_>| this.decode_for_spill(&ctx, i, t),
                };
                let read_error = |e| WimError::io("reading the spill file ahead".to_string(), e);
                if let Err(e) = spill.read_or_fill(key, 0, &mut [0u8; 1], fill, read_error) {
                    tracing::debug!("decoding chunk {i} ahead: {e}");
                }
            });
        if let Err(e) = spawned {
            tracing::debug!("no thread for decoding ahead: {e}");
        }
    }
}
