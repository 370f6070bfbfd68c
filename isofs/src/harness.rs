//! Entry points shared by the fuzz targets (fuzz/fuzz_targets/iso_*.rs) and the tests that
//! replay their crash inputs (tests/fuzz_regressions.rs): "bytes in, no panic". Each opens or
//! parses hostile bytes and exercises everything reachable from them, ignoring errors.

use std::sync::Arc;

use common::cache::ChunkCache;
use common::vfs::{FileKind, Vfs, ROOT_INO};

use crate::image::{OpenOptions, TreeKind};
use crate::read::extent::{ExtentMap, Piece};
use crate::vfs::IsoFs;
use crate::zisofs::reader::ZisofsFile;

/// Reads at most this many bytes per file while walking.
const READ_LIMIT: u64 = 1 << 20;

/// Opens `data` as an image with every tree choice and walks and reads what it can.
pub fn image(data: &[u8]) {
    let src: Arc<Vec<u8>> = Arc::new(data.to_vec());
    for tree in [
        None,
        Some(TreeKind::Iso9660),
        Some(TreeKind::Joliet),
        Some(TreeKind::RockRidge),
        Some(TreeKind::Udf),
    ] {
        let opts = OpenOptions {
            tree,
            ..OpenOptions::default()
        };
        if let Ok(fs) = IsoFs::open(src.clone(), &opts, 1 << 20) {
            walk(&fs);
        }
    }
    let _ = crate::info::ImageInfo::from_source(&*src);
}

/// Walks and reads a mounted image, ignoring errors.
pub fn walk(fs: &dyn Vfs) {
    let mut stack = vec![ROOT_INO];
    let mut seen = 0usize;
    while let Some(dir) = stack.pop() {
        let mut entries = Vec::new();
        let _ = fs.readdir(dir, 0, &mut |_, e| {
            entries.push(e.clone());
            false
        });
        for e in entries {
            seen += 1;
            if seen > 100_000 {
                return;
            }
            let _ = fs.lookup(dir, &e.name);
            match e.kind {
                FileKind::Directory => stack.push(e.ino),
                FileKind::Symlink => {
                    let _ = fs.readlink(e.ino);
                }
                FileKind::CharDevice
                | FileKind::BlockDevice
                | FileKind::Fifo
                | FileKind::Socket => {}
                FileKind::File => {
                    let mut buf = vec![0u8; 65536];
                    let mut off = 0u64;
                    while off < READ_LIMIT {
                        match fs.read(e.ino, 0, off, &mut buf) {
                            Ok(n) if n > 0 => off += n as u64,
                            _ => break,
                        }
                    }
                }
            }
        }
    }
}

/// Decodes `data` as the content of a zisofs file of every announced size it suggests.
pub fn zisofs(data: &[u8]) {
    let src: Vec<u8> = data.to_vec();
    let mut map = ExtentMap::new();
    if map.push(src.len() as u64, Piece::Image(0)).is_err() {
        return;
    }
    let announced = data.get(8..12).map_or(0, |b| {
        u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    });
    let cache = ChunkCache::new(1 << 20);
    for size in [announced, announced.min(READ_LIMIT), 100_000] {
        let z = ZisofsFile::new(map.clone(), size);
        // Block lengths depend on the announced size: each file is a source of its own.
        let src_id = common::cache::SourceId::fresh();
        let mut buf = vec![0u8; 65536];
        let mut off = 0u64;
        while off < size.min(READ_LIMIT) {
            match z.read_at(&src, src_id, &cache, off, &mut buf) {
                Ok(n) if n > 0 => off += n as u64,
                _ => break,
            }
        }
    }
}

/// Parses `data` with every structure parser of the format layer.
pub fn structures(data: &[u8]) {
    use crate::{eltorito, hybrid, iso9660, rockridge, susp, udf};
    let _ = iso9660::descriptor::VolumeDescriptor::parse(data, 0);
    for r in iso9660::dirrec::RecordIter::new(data, 0, 2048) {
        if r.is_err() {
            break;
        }
    }
    let mut entries = Vec::new();
    if susp::entry::parse_area(data, 0, &mut entries).is_ok() {
        let _ = rockridge::info::RrInfo::from_entries(&entries);
    }
    let _ = eltorito::parse_catalog(data, 0);
    let _ = hybrid::parse_mbr(data);
    let _ = hybrid::gpt_header(data);
    let _ = hybrid::parse_gpt_entries(data, 128, 0);
    let _ = crate::zisofs::header::ZisofsHeader::parse(data, 0);
    let _ = udf::tag::Tag::parse(data, 0);
    let _ = udf::anchor::Anchor::parse(data, 0);
    let _ = udf::descriptors::LogicalVolume::parse(data, 0);
    let _ = udf::descriptors::PartitionDesc::parse(data, 0);
    let _ = udf::fentry::FileEntry::parse(data, 0);
    let _ = udf::fid::Fid::parse(data, 0);
    let _ = udf::pathcomp::to_posix(data);
    let _ = udf::cs0::decode(data);
    let _ = crate::names::joliet(data);
}
