//! Solid chunks through the chunk cache's spill file ([`common::spill::SpillFile`]): each
//! decoded once per mount whatever the read order and RAM budget, decodes bounded by the
//! cache's [`common::decode_budget::DecodeBudget`], and the next chunk decoded ahead on another
//! thread while a reader moves through a solid resource.

use common::spill::ChunkFill;

use super::{Chunked, ResourceContext};
use crate::error::{WimError, WimResult};

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
            permit: || Ok(ctx.cache.decoders().acquire(self.decode_weight(i))),
            decode: |out: &mut [u8]| self.decode_for_spill(ctx, i, out),
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

    fn decode_for_spill(&self, ctx: &ResourceContext, i: u64, out: &mut [u8]) -> WimResult<()> {
        self.decode_chunk_into(ctx, i, out)?;
        ctx.cache.note_decoded(out.len());
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
                    decode: |out: &mut [u8]| this.decode_for_spill(&ctx, i, out),
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
