//! Changes as data: a write through the filesystem builds an [`Op`], checks it against the
//! tree ([`crate::tree::ImageTree::check`]), appends it to the journal, then applies it
//! ([`crate::tree::ImageTree::apply`]); resuming a mount applies the journaled ops in a loop.
//! The same code decides what an op does in both cases, so a replayed tree equals the live
//! one, inode numbers included.

mod apply;
mod apply_attrs;
mod apply_names;
mod names;
mod op;
#[cfg(test)]
mod tests;

pub use apply::{Applied, ApplyContext};
pub use names::{check_name, stream_name, symlink_reparse_data, type_bits, MAX_REPARSE};
pub use op::Op;
