//! Committing a read-write mount's changes into the WIM, crash-safely: everything new is
//! appended after the current end of the file and made durable, and only then is the 208-byte
//! header (one sector) rewritten to point at it. Until that single write the old header and
//! every structure it points to are untouched, so a crash at any instant leaves the old image;
//! after it, the new one. A failure before the header write truncates the file back.

mod blob_writer;
mod chunk_pipeline;
#[cfg(feature = "fault-injection")]
mod fault;
mod fault_point;
mod hash_streams;
mod image_stats;
mod integrity;
mod metadata;
mod new_blobs;
mod new_image;
mod new_table;
mod rebuild;
mod refs;
mod repair;
mod run;
mod solid_order;
mod solid_table;
mod solid_writer;
mod source;
mod writeback;
mod writer;
mod xml;
mod xml_append;

pub use crate::wim_end::valid_end;
pub use blob_writer::Tail;
pub use fault_point::fault_point;
pub use new_image::NewImage;
pub use rebuild::{rebuild, RebuildReport};
pub use repair::{repair, RepairReport};
pub use run::{commit, commit_with, CommitOptions, CommitPhase, CommitReport, SwitchPoint};
pub use solid_writer::{SolidFormat, SolidWritten};
pub use source::CommitSource;
pub use writer::WimWriter;
