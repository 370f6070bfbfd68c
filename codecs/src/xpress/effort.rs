//! How hard the XPRESS compressor searches ([MS-XCA] 2.1 leaves the parse to the encoder):
//! `Normal` for the size of wimlib's default level, `Fast` for commits.

use super::lazy::Params;

/// How hard the compressor works: the hash-chain walk's depth and the nice match length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Effort {
    /// Output no larger than wimlib's at its default level, per core at least as fast
    /// (docs/benchmarks.md, "XPRESS compressor, session 5").
    #[default]
    Normal,
    /// Faster at slightly larger output, for commits (docs/benchmarks.md, "XPRESS commit,
    /// session 5").
    Fast,
}

/// `Effort::Normal`. Measured on 16 MB of /usr/bin and /usr/libexec chunks
/// (`examples/compress_bench.rs`, before the gain rule of the lazy parse): depth 24 gives
/// 0.18% smaller output than 16 at 0.92x the speed, 32 0.29% at 0.88x, 46 (wimlib's default
/// level) 0.38% at 0.83x. (wimlib's default level uses nice 93 too.)
pub(super) const NORMAL: Params = Params {
    depth: 16,
    lazy_depth: 8,
    nice: 93,
};

/// `Effort::Fast`. Measured on 16 MB of /usr/libexec chunks (what the commit benchmark adds),
/// side by side with wimlib (`examples/compress_bench.rs`, load ~4-5): this one 1.19x
/// wimlib's speed per core at +1.26% size (Normal 1.04x at +0.01%); in an earlier build where
/// the parse was inlined into its caller (Normal then 0.98x): this one 1.11-1.13x, depth 8,
/// lazy 4, nice 48 1.06x at +0.47%; 6/3/32 1.08x at +0.77%; 2/1/16 1.18x at +2.45%; 1/1/12
/// 1.21x at +3.6%; greedy (no lazy look) 4/-/24 1.23x at +3.0%. The chain walk is not what
/// dominates at these depths: hashing and inserting every position, and the writer, are.
pub(super) const FAST: Params = Params {
    depth: 4,
    lazy_depth: 2,
    nice: 24,
};
