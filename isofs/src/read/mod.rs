//! Readers: metadata reads, and file bytes from extents.

pub mod extent;
pub mod image;
