//! IEEE P1281 System Use Sharing Protocol: entries and continuation chains.

pub mod chain;
pub mod entry;
