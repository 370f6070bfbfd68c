//! Solid chunks through the chunk cache's spill file ([`common::spill::SpillFile`]): each
//! decoded once per mount whatever the read order and RAM budget, decodes bounded by the
//! cache's [`common::decode_budget::DecodeBudget`], and the next chunk decoded ahead on another
//! thread while a reader moves through a solid resource.

use std::sync::Arc;

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
        let decode = || {
            let permit = ctx.cache.decoders().acquire(self.decode_weight(i));
            Ok((self.decode_for_spill(ctx, i)?, permit))
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
            decode,
            read_error,
        )?;
        // A reader that moved on from the previous chunk to this one: decode the next on
        // another core while it reads this one.
        if i > 0 && spill.contains(&ctx.key(self.hdr.offset_in_wim, i - 1)) {
            self.decode_ahead(ctx, i + 1);
        }
        Ok(Some(n))
    }

    /// Memory a decode of chunk `i` holds: its output and (at most about half as much) input.
    fn decode_weight(&self, i: u64) -> u64 {
        let len = self.chunk_len(i);
        len.saturating_add(len / 2)
    }

    fn decode_for_spill(&self, ctx: &ResourceContext, i: u64) -> WimResult<Arc<[u8]>> {
        let data = self.decode_chunk(ctx, i)?;
        ctx.cache.note_decoded(data.len());
        Ok(data)
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
                let decode = || match ctx.cache.decoders().try_acquire(this.decode_weight(i)) {
                    Some(permit) => Ok((this.decode_for_spill(&ctx, i)?, permit)),
                    None => Err(WimError::Unsupported(
                        "no decode budget left for reading ahead".into(),
                    )),
                };
                let read_error = |e| WimError::io("reading the spill file ahead".to_string(), e);
                if let Err(e) = spill.read_or_fill(key, 0, &mut [0u8; 1], decode, read_error) {
                    tracing::debug!("decoding chunk {i} ahead: {e}");
                }
            });
        if let Err(e) = spawned {
            tracing::debug!("no thread for decoding ahead: {e}");
        }
    }
}
