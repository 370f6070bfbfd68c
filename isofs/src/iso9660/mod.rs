//! ECMA-119 (ISO 9660) on-disk structures: volume descriptors, directory records, dates.

pub mod datetime;
pub mod descriptor;
pub mod dirrec;
