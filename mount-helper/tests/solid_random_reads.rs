//! Random 4 KiB reads from a solid LZMS WIM decode only the chunks they touch.
//!
//! A solid resource compresses many files together in big chunks (here 4 MiB); reading 4 KiB
//! of one file must decode the one chunk holding those bytes (once: the chunk cache keeps it),
//! not the whole resource and not the rest of the file. The test captures ~30 MB of varied
//! files with `wimlib-imagex capture --solid --solid-chunk-size=4194304`, finds where each
//! file lies in the solid resource (through the wimfs library), mounts the WIM with our
//! binary, and reads 200 random 4 KiB pieces from the middle of three of its chunks, each
//! through a fresh open with readahead off (POSIX_FADV_RANDOM, so the kernel asks for exactly
//! the page read). Every byte is checked against the source, and the root xattr
//! `wimfs.cache_stats` (`hits= misses= decoded_bytes= held_bytes=`) must show at most one
//! chunk decoded per distinct chunk touched.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::os::unix::fs::FileExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use support::*;
use wimfs::blob_index::BlobLocation;
use wimfs::inode::{Content, NodeKind};

const CHUNK: u64 = 4 << 20;
const PIECE: u64 = 4096;
const READS: usize = 200;
/// Size of the biggest file (several chunks).
const BIG: usize = 12_000_000;

/// The cache counters of a mount.
#[derive(Debug, Clone, Copy)]
struct Stats {
    hits: u64,
    misses: u64,
    decoded: u64,
    held: u64,
}

fn stats_of(mnt: &Path) -> Stats {
    let field = |name| cache_stat(mnt, name);
    Stats {
        hits: field("hits"),
        misses: field("misses"),
        decoded: field("decoded_bytes"),
        held: field("held_bytes"),
    }
}

/// Compressible text with structure.
fn text(len: usize, seed: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 100);
    let words = [
        "registry", "driver", "kernel", "service", "window", "system32", "policy", "update",
        "manifest", "assembly", "language", "resource",
    ];
    let mut x = seed | 1;
    let mut line = 0u64;
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let w = words[(x % words.len() as u32) as usize];
        out.extend_from_slice(format!("{seed}:{line} {w} = {:08x}; ", x >> 3).as_bytes());
        if x.is_multiple_of(7) {
            out.extend_from_slice(b"\r\n");
        }
        line += 1;
    }
    out.truncate(len);
    out
}

/// Structured binary: little-endian records with counters and some noise.
fn records(len: usize, seed: u32) -> Vec<u8> {
    let n = noise(len / 16 + 1, seed);
    let mut out = Vec::with_capacity(len + 16);
    let mut i = 0u32;
    while out.len() < len {
        out.extend_from_slice(&i.to_le_bytes());
        out.extend_from_slice(&(i.wrapping_mul(2654435761)).to_le_bytes());
        out.extend_from_slice(&[n[i as usize % n.len()]; 4]);
        out.extend_from_slice(b"REC\0");
        i += 1;
    }
    out.truncate(len);
    out
}

/// ~30 MB of varied files; returns the total size.
fn make_source(src: &Path) -> u64 {
    let mut total = 0u64;
    let mut put = |rel: &str, data: Vec<u8>| {
        let p = src.join(rel);
        fs::create_dir_all(p.parent().expect("has a parent")).expect("mkdir");
        total += data.len() as u64;
        fs::write(&p, data).expect("write");
    };
    // Spans at least three chunks: some pieces are read deep inside one big file.
    put("big/text.log", text(BIG, 1));
    put("big/random.bin", noise(4_000_000, 2));
    put("big/records.dat", records(4_000_000, 3));
    let mut mixed = Vec::new();
    for i in 0..16u32 {
        if i % 2 == 0 {
            mixed.extend(noise(120_000, 100 + i));
        } else {
            mixed.extend(text(120_000, 100 + i));
        }
    }
    put("big/mixed.img", mixed);
    for i in 0..200u32 {
        let len = 1_000 + (i as usize * 7919) % 90_000;
        let data = match i % 3 {
            0 => text(len, 1000 + i),
            1 => noise(len, 1000 + i),
            _ => records(len, 1000 + i),
        };
        put(&format!("many/dir{}/file{i:03}.dat", i % 10), data);
    }
    total
}

/// Every regular file of image 1: path -> (offset in the solid resource, size).
fn solid_layout(wim: &Path) -> BTreeMap<PathBuf, (u64, u64)> {
    let cache = Arc::new(common::cache::ChunkCache::new(64 << 20));
    let wim = wimfs::WimFile::open(wim, cache).expect("open the WIM");
    let tree = wimfs::ImageTree::load(&wim, 1).expect("load image 1");
    let mut out = BTreeMap::new();
    let mut stack = vec![(common::vfs::ROOT_INO, PathBuf::new())];
    while let Some((ino, path)) = stack.pop() {
        let inode = tree.inode(ino).expect("inode");
        match inode.kind {
            NodeKind::Directory => {
                for (name, child) in &inode.children {
                    stack.push((*child, path.join(name)));
                }
            }
            _ => {
                let Content::Blob(s) = &inode.data else {
                    continue;
                };
                if s.size == 0 {
                    continue;
                }
                let blob = wim.blob(&s.hash).expect("blob in the table");
                match blob.location {
                    BlobLocation::Solid { resource, offset } => {
                        assert_eq!(resource, 0, "one solid resource expected");
                        out.insert(path, (offset, s.size));
                    }
                    BlobLocation::Resource(_) => {
                        panic!("{}: not in a solid resource", path.display())
                    }
                }
            }
        }
    }
    out
}

#[test]
fn random_reads_in_a_solid_wim_decode_only_the_chunks_they_touch() {
    let scratch = TempDir::new("solid-random");
    let dir = scratch.path();
    let src = dir.join("src");
    let total = make_source(&src);
    assert!(total > 28_000_000, "{total} bytes of source");
    let wim = dir.join("solid.wim");
    wimlib(&[
        "capture",
        src.to_str().expect("utf-8"),
        wim.to_str().expect("utf-8"),
        "solid",
        "--solid",
        &format!("--solid-chunk-size={CHUNK}"),
        "--threads=2",
    ]);

    let layout = solid_layout(&wim);
    let resource_size = layout.values().map(|(o, s)| o + s).max().expect("files");
    assert!(
        resource_size >= total,
        "the solid resource holds every file"
    );
    let chunks = resource_size.div_ceil(CHUNK);
    assert!(chunks >= 7, "{chunks} chunks");
    // Three full chunks (not the last, partial one): one inside the big file but not holding
    // its start (a read there must not decode the file's earlier chunks), and two holding
    // other files only.
    let (big_start, big_size) = layout[Path::new("big/text.log")];
    let big_chunks = big_start / CHUNK..(big_start + big_size).div_ceil(CHUNK);
    let inside = (big_start / CHUNK + 1..chunks - 1)
        .find(|c| (c + 1) * CHUNK <= big_start + big_size)
        .expect("a chunk inside the big file");
    let others: Vec<u64> = (0..chunks - 1)
        .filter(|c| !big_chunks.contains(c))
        .collect();
    let targets = [
        inside,
        *others.first().expect("chunks"),
        *others.last().expect("chunks"),
    ];
    assert!(
        targets[1] < targets[2],
        "distinct target chunks {targets:?} of {chunks}"
    );
    // Files by resource offset, to find the file holding a resource offset.
    let by_offset: BTreeMap<u64, (&PathBuf, u64)> =
        layout.iter().map(|(p, &(o, s))| (o, (p, s))).collect();

    // Choose the pieces: a random resource offset in the middle half of a target chunk, the
    // file holding it, the 4 KiB-aligned file offset there (the piece must stay in the chunk).
    let mut rng = noise(READS * 64, 77).into_iter();
    let mut next = || -> u64 {
        (0..8).fold(0u64, |a, _| {
            (a << 8) | u64::from(rng.next().expect("enough noise"))
        })
    };
    let mut pieces = Vec::new();
    let mut touched = BTreeSet::new();
    while pieces.len() < READS {
        let chunk = targets[(next() % targets.len() as u64) as usize];
        let r = chunk * CHUNK + CHUNK / 4 + next() % (CHUNK / 2);
        let (&start, &(path, size)) = by_offset.range(..=r).next_back().expect("a file");
        let file_off = (r - start) / PIECE * PIECE;
        let piece_start = start + file_off;
        if file_off + PIECE > size
            || piece_start / CHUNK != chunk
            || (piece_start + PIECE - 1) / CHUNK != chunk
        {
            continue;
        }
        touched.insert(chunk);
        pieces.push((path.clone(), file_off));
    }

    let m = dir.join("m");
    fs::create_dir_all(&m).expect("mkdir");
    let mounted = MountGuard::wimfs(&wim, "1", &m, &[]);
    let before = stats_of(&m);
    let mut served = 0u64;
    let mut wrong = Vec::new();
    for (path, off) in &pieces {
        let f = fs::File::open(m.join(path)).expect("open in the mount");
        // SAFETY: a valid fd; POSIX_FADV_RANDOM only turns readahead off for this open file.
        let rc = unsafe { libc::posix_fadvise(f.as_raw_fd(), 0, 0, libc::POSIX_FADV_RANDOM) };
        assert_eq!(rc, 0, "posix_fadvise");
        let mut got = vec![0u8; PIECE as usize];
        f.read_exact_at(&mut got, *off).expect("read a piece");
        served += PIECE;
        let want = {
            let src_file = fs::File::open(src.join(path)).expect("source");
            let mut w = vec![0u8; PIECE as usize];
            src_file.read_exact_at(&mut w, *off).expect("source piece");
            w
        };
        if got != want {
            wrong.push(format!("{} @ {off}", path.display()));
        }
    }
    let after = stats_of(&m);
    mounted.unmount();

    let decoded = after.decoded - before.decoded;
    let misses = after.misses - before.misses;
    let report = format!(
        "{READS} reads of {PIECE} bytes ({served} bytes served) in chunks {touched:?} of \
         {chunks} ({CHUNK}-byte chunks, resource {resource_size} bytes): decoded {decoded} \
         bytes ({:.0} per byte served), misses {misses}, hits {}, held {} bytes",
        decoded as f64 / served as f64,
        after.hits - before.hits,
        after.held,
    );
    eprintln!("{report}");
    assert!(wrong.is_empty(), "wrong bytes read: {wrong:?}");
    // Each touched chunk once, plus the resource's chunk table (8 bytes a chunk, cached too).
    let bound = touched.len() as u64 * CHUNK + (chunks + 1) * 8;
    assert!(
        decoded <= bound,
        "decoded more than the chunks touched ({bound} bytes): {report}"
    );
    assert!(
        decoded > 0,
        "nothing decoded: the stats do not count? {report}"
    );
    // Not the whole resource (let alone once per read, as a decoder without a cache would).
    assert!(decoded < resource_size, "decoded too much: {report}");
}
