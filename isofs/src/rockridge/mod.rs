//! IEEE P1282 Rock Ridge Interchange Protocol entries, and the zisofs markers.

pub mod info;
pub mod names;
pub mod px;
pub mod tf;
pub mod zf;
