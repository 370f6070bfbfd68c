//! Readers: metadata reads, and file bytes from extents.

pub mod extent;
pub mod image;
pub mod udf_alloc;
pub mod udf_partition;
pub mod udf_partition_maps;
pub mod udf_vat;
