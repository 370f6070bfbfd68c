//! Damage we make ourselves: directory loops (ISO 9660 and UDF), extents past the end of the
//! image, truncated images, broken UDF descriptor tags, and seeded random byte flips of every
//! fixture. Each must give a clear error or EIO: never a panic, a hang or a huge allocation.

mod support;

use std::ffi::OsStr;
use std::time::{Duration, Instant};

use common::vfs::{FileKind, Vfs, VfsError, ROOT_INO};
use isofs::udf::tag::crc16;
use isofs::TreeKind;
use support::synth::{directory, pvd, record, terminator, write_image};
use support::{fixtures, open};
use tests::TempDir;

#[test]
fn iso_directory_loops_are_cut() {
    let scratch = TempDir::new("isofs-hostile");
    let image = scratch.join("loop.iso");
    // /LOOP points back at the root; /SUB/SELF points at /SUB.
    let root = directory(&[
        record(&[0], 18, 2048, 2),
        record(&[1], 18, 2048, 2),
        record(b"LOOP", 18, 2048, 2),
        record(b"SUB", 19, 2048, 2),
    ]);
    let sub = directory(&[
        record(&[0], 19, 2048, 2),
        record(&[1], 18, 2048, 2),
        record(b"SELF", 19, 2048, 2),
        record(b"PAST.END;1", 1_000_000, 4096, 0),
    ]);
    write_image(
        &image,
        20 * 2048,
        &[(16, pvd(20, 18)), (17, terminator()), (18, root), (19, sub)],
    );
    let start = Instant::now();
    let fs = open(&image, None).expect("opens");
    assert!(
        fs.lookup(ROOT_INO, OsStr::new("LOOP")).is_err(),
        "the loop is not served"
    );
    let sub = fs.lookup(ROOT_INO, OsStr::new("SUB")).expect("sub");
    assert!(fs.lookup(sub.ino, OsStr::new("SELF")).is_err());
    let past = fs.lookup(sub.ino, OsStr::new("PAST.END")).expect("listed");
    let mut buf = [0u8; 16];
    let err = fs.read(past.ino, 0, 0, &mut buf).expect_err("EIO");
    assert!(matches!(err, VfsError::Corrupt(_)), "{err}");
    assert_eq!(err.errno(), libc_eio());
    assert!(err.to_string().contains("past the end"), "{err}");
    assert!(start.elapsed() < Duration::from_secs(5));
}

fn libc_eio() -> i32 {
    5
}

/// Finds the FID named `name` (CS0 8-bit) and lets `edit` change it, then reseals its tag.
fn edit_fid(data: &mut [u8], name: &[u8], edit: impl FnOnce(&mut [u8], usize)) -> bool {
    let mut pat = vec![8u8];
    pat.extend_from_slice(name);
    let Some(pos) = data.windows(pat.len()).position(|w| w == pat) else {
        return false;
    };
    // The FID starts at a 4-byte boundary before the name with tag id 257.
    let Some(fid) = (pos.saturating_sub(300)..pos)
        .rev()
        .filter(|p| p % 4 == 0)
        .find(|&p| {
            data[p..p + 2] == [1, 1] && {
                let l_iu = usize::from(u16::from_le_bytes([data[p + 36], data[p + 37]]));
                p + 38 + l_iu == pos
            }
        })
    else {
        return false;
    };
    edit(data, fid);
    let crc_len = usize::from(u16::from_le_bytes([data[fid + 10], data[fid + 11]]));
    let crc = crc16(&data[fid + 16..fid + 16 + crc_len]);
    data[fid + 8..fid + 10].copy_from_slice(&crc.to_le_bytes());
    data[fid + 4] = 0;
    let sum = data[fid..fid + 16]
        .iter()
        .fold(0u8, |s, &b| s.wrapping_add(b));
    data[fid + 4] = sum;
    true
}

/// Points the FID's ICB at its directory's own ICB, taken from the parent FID that starts the
/// same block.
fn udf_loop(data: &mut [u8], name: &[u8]) -> bool {
    edit_fid(data, name, |d, fid| {
        let block = fid / 2048 * 2048;
        let parent_icb: Vec<u8> = d[block + 20..block + 36].to_vec();
        d[fid + 20..fid + 36].copy_from_slice(&parent_icb);
    })
}

#[test]
fn udf_deleted_entries_are_not_served() {
    let mut data = std::fs::read(fixtures().join("udf-bridge.iso")).expect("fixture");
    assert!(edit_fid(&mut data, b"setup.exe", |d, fid| d[fid + 18] |= 0x04));
    let scratch = TempDir::new("isofs-hostile");
    let image = scratch.join("udf-deleted.iso");
    std::fs::write(&image, &data).expect("write");
    let fs = open(&image, Some(TreeKind::Udf)).expect("opens");
    assert!(fs.lookup(ROOT_INO, OsStr::new("setup.exe")).is_err());
    assert!(fs.lookup(ROOT_INO, OsStr::new("sources")).is_ok());
}

/// Writes an Indirect Entry at partition block `ie` pointing where the FID named `name`
/// pointed, and points the FID at the IE; `self_loop` makes the IE point at itself instead.
fn udf_indirect(data: &mut [u8], name: &[u8], ie: u32, start: usize, self_loop: bool) -> bool {
    edit_fid(data, name, |d, fid| {
        let mut target: Vec<u8> = d[fid + 20..fid + 36].to_vec();
        if self_loop {
            target[4..8].copy_from_slice(&ie.to_le_bytes());
        }
        let at = (start + ie as usize) * 2048;
        let mut e = vec![0u8; 52];
        e[0..2].copy_from_slice(&259u16.to_le_bytes());
        e[2..4].copy_from_slice(&2u16.to_le_bytes());
        e[12..16].copy_from_slice(&ie.to_le_bytes());
        e[16 + 4..16 + 6].copy_from_slice(&4096u16.to_le_bytes()); // strategy 4096
        e[36..52].copy_from_slice(&target);
        e[10..12].copy_from_slice(&36u16.to_le_bytes());
        let crc = crc16(&e[16..]);
        e[8..10].copy_from_slice(&crc.to_le_bytes());
        e[4] = e[..16].iter().fold(0u8, |s, &b| s.wrapping_add(b));
        d[at..at + 52].copy_from_slice(&e);
        d[fid + 24..fid + 28].copy_from_slice(&ie.to_le_bytes());
    })
}

#[test]
fn udf_indirect_entries_are_followed_and_bounded() {
    let path = fixtures().join("udf-bridge.iso");
    let clean = std::fs::read(&path).expect("fixture");
    let info = isofs::info::ImageInfo::read(&path).expect("info");
    let pd = info.recognized.udf.as_ref().expect("udf").partitions[0];
    let start = pd.start as usize;
    // A free (all-zero) block inside the partition for the Indirect Entry.
    let ie = (1..pd.len as usize)
        .find(|b| {
            let at = (start + b) * 2048;
            at + 2048 <= clean.len() && clean[at..at + 2048].iter().all(|&x| x == 0)
        })
        .expect("a free block") as u32;
    let want = {
        let fs = open(&path, Some(TreeKind::Udf)).expect("opens");
        let a = fs
            .lookup(ROOT_INO, OsStr::new("setup.exe"))
            .expect("setup.exe");
        support::read_all(&fs, a.ino).expect("read")
    };
    let mut data = clean.clone();
    assert!(udf_indirect(&mut data, b"setup.exe", ie, start, false));
    let scratch = TempDir::new("isofs-hostile");
    let image = scratch.join("udf-ie.iso");
    std::fs::write(&image, &data).expect("write");
    let fs = open(&image, Some(TreeKind::Udf)).expect("opens");
    let a = fs
        .lookup(ROOT_INO, OsStr::new("setup.exe"))
        .expect("through the IE");
    assert_eq!(support::read_all(&fs, a.ino).expect("read"), want);
    // An Indirect Entry pointing at itself ends at the hop limit; the entry is skipped.
    let mut data = clean;
    assert!(udf_indirect(&mut data, b"setup.exe", ie, start, true));
    std::fs::write(&image, &data).expect("write");
    let fs = open(&image, Some(TreeKind::Udf)).expect("opens");
    assert!(fs.lookup(ROOT_INO, OsStr::new("setup.exe")).is_err());
    assert!(fs.lookup(ROOT_INO, OsStr::new("sources")).is_ok());
}

#[test]
fn udf_directory_loop_is_cut() {
    let mut data = std::fs::read(fixtures().join("udf-bridge.iso")).expect("fixture");
    assert!(udf_loop(&mut data, b"sources"), "FID found");
    let scratch = TempDir::new("isofs-hostile");
    let image = scratch.join("udf-loop.iso");
    std::fs::write(&image, &data).expect("write");
    let fs = open(&image, Some(TreeKind::Udf)).expect("opens");
    assert!(fs.lookup(ROOT_INO, OsStr::new("sources")).is_err());
    assert!(fs.lookup(ROOT_INO, OsStr::new("setup.exe")).is_ok());
}

#[test]
fn broken_udf_tags_are_named() {
    let clean = std::fs::read(fixtures().join("udf-bridge.iso")).expect("fixture");
    // Damage the anchor at sector 256 and every other copy: no UDF tree, the ISO tree serves.
    let mut data = clean.clone();
    let last = data.len() / 2048 - 1;
    for s in [256, last - 256, last] {
        data[s * 2048 + 4] ^= 0xFF;
    }
    let scratch = TempDir::new("isofs-hostile");
    let image = scratch.join("udf-noanchor.iso");
    std::fs::write(&image, &data).expect("write");
    let fs = open(&image, None).expect("falls back to ISO 9660");
    assert_eq!(fs.tree_kind(), TreeKind::Iso9660);
    assert!(open(&image, Some(TreeKind::Udf)).is_err());
    // Damage the File Set Descriptor: forcing UDF names the structure and offset.
    let mut data = clean;
    let fsd = (0..data.len() / 2048)
        .find(|&s| data[s * 2048..s * 2048 + 2] == [0, 1] && data[s * 2048 + 5] == 0)
        .expect("an FSD");
    data[fsd * 2048 + 100] ^= 0x55;
    std::fs::write(&image, &data).expect("write");
    let err = open(&image, Some(TreeKind::Udf)).expect_err("bad CRC");
    let msg = err.to_string();
    assert!(
        msg.contains("CRC") && msg.contains(&format!("{}", fsd * 2048)),
        "{msg}"
    );
}

fn walk_everything(fs: &dyn Vfs) -> usize {
    let mut n = 0;
    let mut stack = vec![ROOT_INO];
    while let Some(d) = stack.pop() {
        let mut list = Vec::new();
        let _ = fs.readdir(d, 0, &mut |_, e| {
            list.push(e.clone());
            false
        });
        for e in list {
            n += 1;
            match e.kind {
                FileKind::Directory => stack.push(e.ino),
                FileKind::File => {
                    let _ = support::read_all(fs, e.ino);
                }
                FileKind::Symlink => {
                    let _ = fs.readlink(e.ino);
                }
                _ => {
                    let _ = fs.getattr(e.ino);
                }
            }
        }
    }
    n
}

const IMAGES: [&str; 5] = [
    "deb.iso",
    "udf-bridge.iso",
    "udf250-metadata-bluray.iso",
    "zisofs2.iso",
    "appended-efi.iso",
];

#[test]
fn truncated_images() {
    for name in IMAGES {
        let data = std::fs::read(fixtures().join(name)).expect("fixture");
        for cut in [
            0,
            100,
            32_768,
            34_000,
            40_960,
            300_000,
            data.len() / 2,
            data.len() - 2048,
        ] {
            let cut = cut.min(data.len());
            let scratch = TempDir::new("isofs-hostile");
            let image = scratch.join("cut.iso");
            std::fs::write(&image, &data[..cut]).expect("write");
            let start = Instant::now();
            for tree in [None, Some(TreeKind::Udf), Some(TreeKind::Joliet)] {
                if let Ok(fs) = open(&image, tree) {
                    walk_everything(&fs);
                }
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "{name} cut at {cut}"
            );
        }
    }
}

#[test]
fn seeded_byte_flips() {
    // A small deterministic mutation fuzzer over the metadata areas of each fixture.
    let mut seed: u64 = 0x1505_1505;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    // ISOFS_MUTATIONS=N runs N mutants per fixture (default 60).
    let per_image: usize = std::env::var("ISOFS_MUTATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let mut opened = 0;
    for name in IMAGES {
        let clean = std::fs::read(fixtures().join(name)).expect("fixture");
        let meta_end = clean.len().min(600 * 1024);
        for _ in 0..per_image {
            let mut data = clean.clone();
            for _ in 0..(1 + next() % 16) {
                let at = (next() as usize) % meta_end;
                data[at] = next() as u8;
            }
            let start = Instant::now();
            isofs::harness::image(&data);
            opened += 1;
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "{name}: slow mutant"
            );
        }
    }
    assert_eq!(opened, per_image * IMAGES.len());
}
