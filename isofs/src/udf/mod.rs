//! UDF (ECMA-167 with the OSTA UDF 1.02-2.60 profile) on-disk structures, one per file.

pub mod anchor;
pub mod cs0;
pub mod descriptors;
pub mod device_ea;
pub mod fentry;
pub mod fid;
pub mod icb;
pub mod pathcomp;
pub mod tag;
pub mod timestamp;
pub mod vat;
