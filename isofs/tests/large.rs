//! Files larger than 4 GiB: ECMA-119 multi-extent files (several records of one name, all but
//! the last flagged "not final"), in a sparse image that costs no disk.

mod support;

use std::ffi::OsStr;

use common::vfs::{Vfs, ROOT_INO};
use support::synth::{directory, pvd, record, terminator, write_image};
use tests::TempDir;

#[test]
fn multi_extent_file_past_4_gib() {
    let scratch = TempDir::new("isofs-large");
    let image = scratch.join("large.iso");
    // Extent 1: 4 GiB - 2 KiB at block 20; extent 2: 1 GiB right after it.
    let first: u32 = 0xFFFF_F800;
    let second: u32 = 1 << 30;
    let second_block = 20 + first / 2048;
    let total = u64::from(first) + u64::from(second);
    let blocks_total = 20 + total / 2048;
    let root = directory(&[
        record(&[0], 18, 2048, 2),
        record(&[1], 18, 2048, 2),
        record(b"HUGE.BIN;1", 20, first, 0x80),
        record(b"HUGE.BIN;1", second_block, second, 0),
        record(b"SMALL.TXT;1", 19, 5, 0),
    ]);
    let boundary = 20 * 2048 + u64::from(first);
    write_image(
        &image,
        blocks_total * 2048,
        &[
            (16, pvd(blocks_total as u32, 18)),
            (17, terminator()),
            (18, root),
            (19, b"small".to_vec()),
            (20, b"first".to_vec()),
            ((boundary - 3) / 2048, {
                // Bytes "abc" end the first extent, "def" start the second.
                let mut v = vec![0u8; 2048 * 2];
                let at = ((boundary - 3) % 2048) as usize;
                v[at..at + 6].copy_from_slice(b"abcdef");
                v
            }),
            ((blocks_total * 2048 - 4) / 2048, {
                let mut v = vec![0u8; 2048];
                v[2044..].copy_from_slice(b"end!");
                v
            }),
        ],
    );
    let fs = support::open(&image, None).expect("opens");
    let attr = fs.lookup(ROOT_INO, OsStr::new("HUGE.BIN")).expect("lookup");
    assert_eq!(attr.size, total);
    assert!(attr.size > 4 << 30);
    let mut buf = [0u8; 6];
    assert_eq!(fs.read(attr.ino, 0, 0, &mut buf[..5]).expect("read"), 5);
    assert_eq!(&buf[..5], b"first");
    let n = fs
        .read(attr.ino, 0, u64::from(first) - 3, &mut buf)
        .expect("read");
    assert_eq!((n, &buf), (6, b"abcdef"));
    let n = fs.read(attr.ino, 0, total - 4, &mut buf).expect("read");
    assert_eq!((n, &buf[..4]), (4, &b"end!"[..]));
    assert_eq!(fs.read(attr.ino, 0, total, &mut buf).expect("read"), 0);
}

/// The real thing from `make-fixtures.sh --large` (xorriso, 4.4 GiB): run with --ignored.
#[test]
#[ignore = "needs /tmp/isofs-large/large.iso from make-fixtures.sh --large"]
fn xorriso_large_image() {
    let image = std::path::Path::new("/tmp/isofs-large/large.iso");
    let fs = support::open(image, None).expect("opens");
    let attr = fs.lookup(ROOT_INO, OsStr::new("huge.bin")).expect("lookup");
    assert_eq!(attr.size, 4500 << 20);
    let mut buf = [0u8; 5];
    fs.read(attr.ino, 0, 0, &mut buf).expect("read");
    assert_eq!(&buf, b"start");
    fs.read(attr.ino, 0, attr.size - 5, &mut buf).expect("read");
    assert_eq!(&buf, b"end!!");
}

/// UDF with a > 4 GiB file from `make-fixtures.sh --large` (genisoimage): run with --ignored.
#[test]
#[ignore = "needs /tmp/isofs-large/udf-large.iso from make-fixtures.sh --large"]
fn genisoimage_large_udf_image() {
    let image = std::path::Path::new("/tmp/isofs-large/udf-large.iso");
    let fs = support::open(image, Some(isofs::TreeKind::Udf)).expect("opens");
    let attr = fs.lookup(ROOT_INO, OsStr::new("huge.bin")).expect("lookup");
    assert_eq!(attr.size, 4500 << 20);
    let mut buf = [0u8; 5];
    fs.read(attr.ino, 0, 0, &mut buf).expect("read");
    assert_eq!(&buf, b"start");
    fs.read(attr.ino, 0, attr.size - 5, &mut buf).expect("read");
    assert_eq!(&buf, b"end!!");
}

/// ECMA-119 9.1.7/9.1.8: an interleaved file, units of one block separated by gaps of two.
#[test]
fn interleaved_file() {
    let scratch = TempDir::new("isofs-interleave");
    let image = scratch.join("interleaved.iso");
    let mut rec = record(b"IL.BIN;1", 20, 3 * 2048, 0);
    rec[26] = 1; // file unit size
    rec[27] = 2; // interleave gap
    let root = directory(&[record(&[0], 18, 2048, 2), record(&[1], 18, 2048, 2), rec]);
    let unit = |c: u8| vec![c; 2048];
    write_image(
        &image,
        30 * 2048,
        &[
            (16, pvd(30, 18)),
            (17, terminator()),
            (18, root),
            (20, unit(b'a')),
            (21, unit(b'x')),
            (22, unit(b'x')),
            (23, unit(b'b')),
            (24, unit(b'y')),
            (25, unit(b'y')),
            (26, unit(b'c')),
        ],
    );
    let fs = support::open(&image, None).expect("opens");
    let attr = fs.lookup(ROOT_INO, OsStr::new("IL.BIN")).expect("lookup");
    let data = support::read_all(&fs, attr.ino).expect("read");
    let mut want = unit(b'a');
    want.extend(unit(b'b'));
    want.extend(unit(b'c'));
    assert!(data == want, "units a, b, c without the gaps");
}
