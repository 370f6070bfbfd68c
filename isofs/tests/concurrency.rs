//! Many threads reading through one `IsoFs` at once (as FUSE worker threads do): plain and
//! zisofs files, overlapping ranges, all bytes equal to a single-threaded read.

mod support;

use std::ffi::OsStr;

use common::vfs::{Vfs, ROOT_INO};
use support::{fixtures, open, read_all};

#[test]
fn parallel_reads_agree() {
    let fs = open(&fixtures().join("deb.iso"), None).expect("opens");
    let z = fs.lookup(ROOT_INO, OsStr::new("z")).expect("z");
    let mut files = Vec::new();
    for name in ["text.txt", "zeros.bin", "random.bin"] {
        files.push(fs.lookup(z.ino, OsStr::new(name)).expect("file").ino);
    }
    files.push(fs.lookup(ROOT_INO, OsStr::new("odd.bin")).expect("odd").ino);
    let whole: Vec<Vec<u8>> = files
        .iter()
        .map(|&i| read_all(&fs, i).expect("read"))
        .collect();
    std::thread::scope(|s| {
        for t in 0..8u64 {
            let (fs, files, whole) = (&fs, &files, &whole);
            s.spawn(move || {
                for round in 0..50u64 {
                    let k = ((t + round) % files.len() as u64) as usize;
                    let len = whole[k].len() as u64;
                    let off = (t * 7919 + round * 104_729) % len.max(1);
                    let mut buf = vec![0u8; 40_000];
                    let n = fs.read(files[k], 0, off, &mut buf).expect("read");
                    let off = off as usize;
                    assert_eq!(&buf[..n], &whole[k][off..off + n]);
                }
            });
        }
    });
}
