//! Builds small synthetic ISO 9660 images for edge cases no mastering tool produces on demand
//! (files > 4 GiB in sparse files, directory loops, damaged records).

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

/// A directory record (ECMA-119 9.1).
pub fn record(name: &[u8], extent: u32, size: u32, flags: u8) -> Vec<u8> {
    let mut r = vec![0u8; 33];
    r[2..6].copy_from_slice(&extent.to_le_bytes());
    r[6..10].copy_from_slice(&extent.to_be_bytes());
    r[10..14].copy_from_slice(&size.to_le_bytes());
    r[14..18].copy_from_slice(&size.to_be_bytes());
    r[18..25].copy_from_slice(&[120, 1, 1, 0, 0, 0, 0]);
    r[25] = flags;
    r[28] = 1;
    r[31] = 1;
    r[32] = name.len() as u8;
    r.extend_from_slice(name);
    if name.len().is_multiple_of(2) {
        r.push(0);
    }
    r[0] = r.len() as u8;
    r
}

/// A primary volume descriptor whose root directory is at `root_extent`.
pub fn pvd(space_blocks: u32, root_extent: u32) -> Vec<u8> {
    let mut s = vec![0u8; 2048];
    s[0] = 1;
    s[1..6].copy_from_slice(b"CD001");
    s[6] = 1;
    s[40..48].copy_from_slice(b"SYNTH   ");
    s[80..84].copy_from_slice(&space_blocks.to_le_bytes());
    s[84..88].copy_from_slice(&space_blocks.to_be_bytes());
    s[128..130].copy_from_slice(&2048u16.to_le_bytes());
    s[130..132].copy_from_slice(&2048u16.to_be_bytes());
    let root = record(&[0], root_extent, 2048, 2);
    s[156..156 + root.len()].copy_from_slice(&root);
    s
}

/// A terminator descriptor.
pub fn terminator() -> Vec<u8> {
    let mut s = vec![0u8; 2048];
    s[0] = 255;
    s[1..6].copy_from_slice(b"CD001");
    s[6] = 1;
    s
}

/// Writes an image: `blocks` maps sector numbers to their content; `len` is the file length
/// (the rest is sparse).
pub fn write_image(path: &Path, len: u64, blocks: &[(u64, Vec<u8>)]) {
    let mut f = File::create(path).expect("create image");
    f.set_len(len).expect("set_len");
    for (sector, data) in blocks {
        f.seek(SeekFrom::Start(sector * 2048)).expect("seek");
        f.write_all(data).expect("write");
    }
}

/// A directory extent from records, padded to one sector.
pub fn directory(records: &[Vec<u8>]) -> Vec<u8> {
    let mut d: Vec<u8> = records.concat();
    assert!(d.len() <= 2048);
    d.resize(2048, 0);
    d
}
