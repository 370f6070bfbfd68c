//! Solid chunks through the chunk cache's spill file ([`common::spill::SpillFile`]): each
//! decoded once per mount whatever the read order and RAM budget, decodes bounded by the
//! cache's [`common::decode_budget::DecodeBudget`], and the next chunk decoded ahead on another
//! thread, as planned by the spill file's [`common::spill::ReadAhead`] from the chunks readers
//! asked for (readers do not follow a solid resource's order: `tar` of an ESD asks for all its
//! chunks early, in an order of their own). A chunk is decoded into the spill
//! file's page cache, its input staged there too, and the LZMS decoder's progress reports
//! release the pages it is done with ([`common::spill::SpillTarget`]), so that decoding a
//! 64 MiB chunk grows the daemon's resident set by the cache's decode window
//! ([`common::cache::ChunkCache::decode_resident`]), not by the chunk and its input.

use common::spill::{ChunkFill, DecodeAt, SpillFile, SpillTarget};

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
    /// `file_start`: the read starts at the start of a file (a blob), evidence, like a read
    /// from the chunk's start, of files copied out, which decodes chunks ahead.
    pub(super) fn read_spilled(
        &self,
        ctx: &ResourceContext,
        i: u64,
        within: u64,
        out: &mut [u8],
        file_start: bool,
    ) -> WimResult<Option<usize>> {
        let Some(spill) = ctx.cache.spill().filter(|_| self.solid) else {
            return Ok(None);
        };
        let key = ctx.key(self.hdr.offset_in_wim, i);
        // Planned before the read where two decodes run at once: a reader about to wait for
        // this chunk's decode has the next chunk decoded on the other core meanwhile. Where
        // one runs at a time, the reader's own chunk goes first.
        let copying = file_start || within == 0;
        let pending = self.stored_or_decoding(ctx, spill);
        let switched = match spill
            .ahead()
            .note_read(&key, self.chunk_count(), copying, pending)
        {
            Some(next) => {
                if two_decodes_at_once(ctx) {
                    self.decode_ahead(ctx, next);
                }
                true
            }
            None => false,
        };
        let fill = ChunkFill {
            len: self.chunk_len(i),
            resident: ctx.cache.decode_resident(),
            permit: |mapped| {
                Ok(ctx
                    .cache
                    .decoders()
                    .acquire(self.decode_weight(ctx, i, mapped)))
            },
            decode: |t: &mut SpillTarget<'_>| self.decode_for_spill(ctx, i, t),
        };
        let read_error = |e| {
            WimError::io(
                format!("reading the spill file in {}", spill.dir().display()),
                e,
            )
        };
        let n = spill.read_or_fill(key, within, out, fill, read_error)?;
        if switched {
            // The decode budget may have had no room before this chunk's decode.
            self.plan_ahead(ctx, &key);
        }
        Ok(Some(n))
    }

    /// The share of the cache's decode budget a decode of chunk `i` takes: into memory, its
    /// output and (at most about half as much) input; into a mapping of the spill file, half
    /// the budget where [`two_decodes_at_once`] (one per core, a reader's and one ahead of
    /// it, sharing the decode window: `SpillTarget::decode`), else all of it.
    fn decode_weight(&self, ctx: &ResourceContext, i: u64, mapped: bool) -> u64 {
        if mapped {
            let total = ctx.cache.decoders().total();
            return if two_decodes_at_once(ctx) {
                total / 2
            } else {
                total
            };
        }
        let len = self.chunk_len(i);
        len.saturating_add(len / 2)
    }

    /// Decodes ahead the chunk the spill file's planner proposes after a read of `key`'s
    /// resource, if any.
    fn plan_ahead(&self, ctx: &ResourceContext, key: &common::cache::ChunkKey) {
        let Some(spill) = ctx.cache.spill() else {
            return;
        };
        let pending = self.stored_or_decoding(ctx, spill);
        if let Some(next) = spill.ahead().plan(key, self.chunk_count(), pending) {
            self.decode_ahead(ctx, next);
        }
    }

    /// Tells, for a chunk index of this resource, whether `spill` holds that chunk or a
    /// decode of it is in flight (what the read-ahead planner must not propose).
    fn stored_or_decoding<'a>(
        &'a self,
        ctx: &'a ResourceContext,
        spill: &'a SpillFile,
    ) -> impl Fn(u64) -> bool + 'a {
        move |c| spill.has_or_fills(&ctx.key(self.hdr.offset_in_wim, c))
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
    /// there yet, and the decode budget has room now (never waiting for it); then plans the
    /// next.
    fn decode_ahead(&self, ctx: &ResourceContext, i: u64) {
        let key = ctx.key(self.hdr.offset_in_wim, i);
        if i >= self.chunk_count() || ctx.cache.spill().is_none_or(|s| s.has_or_fills(&key)) {
            return;
        }
        let weight = self.decode_weight(ctx, i, SPILL_MAPS);
        if ctx.cache.decoders().try_acquire(weight).is_none() {
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
                    permit: |mapped| {
                        ctx.cache
                            .decoders()
                            .try_acquire(this.decode_weight(&ctx, i, mapped))
                            .ok_or_else(|| {
                                WimError::Unsupported(
                                    "no decode budget left for reading ahead".into(),
                                )
                            })
                    },
                    decode: |t: &mut SpillTarget<'_>| this.decode_for_spill(&ctx, i, t),
                };
                let read_error = |e| WimError::io("reading the spill file ahead".to_string(), e);
                match spill.read_or_fill(key, 0, &mut [0u8; 1], fill, read_error) {
                    Ok(_) => this.plan_ahead(&ctx, &key),
                    Err(e) => tracing::debug!("decoding chunk {i} ahead: {e}"),
                }
            });
        if let Err(e) = spawned {
            tracing::debug!("no thread for decoding ahead: {e}");
        }
    }
}

/// True where chunks are decoded into mappings of the spill file (a decode then weighs
/// [`Chunked::decode_weight`]'s mapped share; elsewhere it decodes into memory).
const SPILL_MAPS: bool = cfg!(target_os = "linux");

/// True when two decodes into the spill file may run at once: when each keeps a window of at
/// least 32 MiB behind it. With smaller windows the far-back matches of LZMS solid chunks map
/// released pages again so often that two decodes cost more than they gain on two cores
/// (`--cache-mb 16`, 8 MiB windows: daemon CPU 5.9-6.5 s against 4.5-5.0 s, tar of the ESD of
/// docs/benchmarks.md 15-17 s against 10-12 s at load 8.5), so they run one at a time.
fn two_decodes_at_once(ctx: &ResourceContext) -> bool {
    ctx.cache.decode_resident() / 2 >= 32 << 20
}
