//! The UDF redundancy the spec provides, exercised by damaging the primary copy: the anchor at
//! sector 256 (then N-256 / N are used), the main volume descriptor sequence (then the reserve
//! one), the metadata file (then its mirror). The tree must still match its oracle manifest.

mod support;

use isofs::info::ImageInfo;
use isofs::udf::descriptors::PartitionMapDesc;
use isofs::TreeKind;
use support::{compare, fixtures, open, read_manifest, walk};
use tests::TempDir;

fn check(case: &str, name: &str, data: &[u8]) {
    let scratch = TempDir::new(&format!("isofs-udf-{case}"));
    let image = scratch.join(name);
    std::fs::write(&image, data).expect("write");
    let fs = open(&image, Some(TreeKind::Udf)).expect("opens from the redundant copy");
    let manifest = fixtures().join(format!("{name}.udf.manifest"));
    let diffs = compare(&walk(&fs), &read_manifest(&manifest));
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}

fn le32(d: &[u8], at: usize) -> usize {
    u32::from_le_bytes([d[at], d[at + 1], d[at + 2], d[at + 3]]) as usize
}

#[test]
fn anchor_at_256_damaged() {
    let mut data = std::fs::read(fixtures().join("udf-bridge.iso")).expect("fixture");
    data[256 * 2048 + 4] ^= 0xFF;
    check("anchor", "udf-bridge.iso", &data);
}

#[test]
fn main_descriptor_sequence_damaged() {
    for name in ["udf-bridge.iso", "udf250-metadata-bluray.iso"] {
        let mut data = std::fs::read(fixtures().join(name)).expect("fixture");
        let anchor = 256 * 2048;
        let (len, loc) = (le32(&data, anchor + 16), le32(&data, anchor + 20));
        assert_ne!(
            loc,
            le32(&data, anchor + 28),
            "{name}: a separate reserve sequence"
        );
        for s in loc..loc + len / 2048 {
            data[s * 2048 + 4] ^= 0xFF;
        }
        check("main", name, &data);
    }
}

#[test]
fn metadata_file_damaged_uses_the_mirror() {
    let name = "udf250-metadata-bluray.iso";
    let path = fixtures().join(name);
    let info = ImageInfo::read(&path).expect("info");
    let udf = info.recognized.udf.as_ref().expect("udf");
    let file = udf
        .lvd
        .maps
        .iter()
        .find_map(|m| match m {
            PartitionMapDesc::Metadata { file, .. } => Some(*file),
            _ => None,
        })
        .expect("a metadata partition");
    let start = udf.partitions[0].start as usize;
    let mut data = std::fs::read(&path).expect("fixture");
    data[(start + file as usize) * 2048 + 4] ^= 0xFF;
    check("metadata", name, &data);
}
