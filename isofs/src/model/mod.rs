//! The image model: inodes and the directory tree built from an image's metadata.

pub mod iso_tree;
pub mod node;
pub mod tree;
pub mod udf_tree;
