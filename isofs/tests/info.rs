//! `isofs info` contents: labels, trees, El Torito entries and extraction, hybrid partition
//! tables, UDF revisions; plus hard links sharing one inode in Rock Ridge and UDF trees.

mod support;

use std::ffi::OsStr;

use common::vfs::{Vfs, ROOT_INO};
use isofs::info::ImageInfo;
use isofs::TreeKind;
use support::{fixtures, open};
use tests::TempDir;

#[test]
fn debian_like_boot_entries_and_extraction() {
    let image = fixtures().join("deb.iso");
    let info = ImageInfo::read(&image).expect("info");
    let text = info.to_string();
    assert!(text.contains("volume label: DEBIAN_LIKE"), "{text}");
    assert!(text.contains("trees: rockridge, joliet, iso9660"), "{text}");
    assert!(
        text.contains("IEEE_P1282") || text.contains("RRIP_1991A"),
        "{text}"
    );
    assert_eq!(info.boot.len(), 2, "{text}");
    assert_eq!(info.boot[0].platform_name(), "BIOS");
    assert_eq!(info.boot[1].platform_name(), "UEFI");
    // isohybrid: an MBR and a GPT, the EFI image as a partition of both.
    let efi_sector = u64::from(info.boot[1].lba) * 4;
    assert!(info
        .partitions
        .iter()
        .any(|p| p.table == "mbr" && p.start == efi_sector));
    assert!(info
        .partitions
        .iter()
        .any(|p| p.table == "gpt" && p.start == efi_sector));
    let scratch = TempDir::new("isofs-boot");
    let out = scratch.path();
    let written = info.extract_boot(&image, out).expect("extract");
    assert_eq!(written.len(), 2);
    // The EFI image is the file /boot/efi.img of the tree, byte for byte.
    let efi = std::fs::read(&written[1]).expect("efi image");
    let fs = open(&image, None).expect("opens");
    let boot = fs.lookup(ROOT_INO, OsStr::new("boot")).expect("boot");
    let img = fs.lookup(boot.ino, OsStr::new("efi.img")).expect("efi.img");
    assert_eq!(efi, support::read_all(&fs, img.ino).expect("read"));
}

#[test]
fn appended_partition_table() {
    let info = ImageInfo::read(&fixtures().join("appended-efi.iso")).expect("info");
    let efi = info
        .partitions
        .iter()
        .find(|p| p.kind == "C12A7328-F81F-11D2-BA4B-00A0C93EC93B")
        .expect("an EFI system partition in the GPT");
    // The appended partition lies past the ISO volume.
    let volume_blocks = info
        .recognized
        .iso
        .primary
        .as_ref()
        .expect("pvd")
        .space_blocks;
    assert!(efi.start * 512 >= u64::from(volume_blocks) * 2048, "{info}");
    assert!(info.partitions.iter().any(|p| p.table == "mbr"));
}

#[test]
fn udf_revisions_and_tree_choice() {
    let bluray = ImageInfo::read(&fixtures().join("udf250-metadata-bluray.iso")).expect("info");
    let udf = bluray.recognized.udf.as_ref().expect("udf");
    assert_eq!(udf.revision(), "2.50");
    assert_eq!(bluray.recognized.trees(), vec![TreeKind::Udf]);
    let bridge = ImageInfo::read(&fixtures().join("udf-bridge.iso")).expect("info");
    assert_eq!(
        bridge.recognized.trees()[0],
        TreeKind::Udf,
        "UDF before the README stub"
    );
    let fs = open(&fixtures().join("udf-bridge.iso"), None).expect("opens");
    assert_eq!(fs.tree_kind(), TreeKind::Udf);
    let fs = open(&fixtures().join("udf-bridge.iso"), Some(TreeKind::Iso9660)).expect("opens");
    assert!(fs.lookup(ROOT_INO, OsStr::new("README.TXT")).is_ok());
    assert!(ImageInfo::read(std::path::Path::new("/etc/hostname")).is_err());
}

#[test]
fn hard_links_share_an_inode() {
    let fs = open(&fixtures().join("deb-plain.iso"), None).expect("opens");
    let a = fs.lookup(ROOT_INO, OsStr::new("odd.bin")).expect("a");
    let b = fs
        .lookup(ROOT_INO, OsStr::new("hardlink-to-odd.bin"))
        .expect("b");
    assert_eq!((a.ino, a.nlink), (b.ino, 2));
    let fs = open(&fixtures().join("udf-bridge.iso"), None).expect("opens");
    let a = fs.lookup(ROOT_INO, OsStr::new("setup.exe")).expect("a");
    let dir = fs.lookup(ROOT_INO, OsStr::new("sources")).expect("dir");
    let b = fs.lookup(dir.ino, OsStr::new("setup-link.exe")).expect("b");
    assert_eq!((a.ino, a.nlink), (b.ino, 2));
    let open_info = fs.open(a.ino, false).expect("open");
    assert!(open_info.immutable);
    assert!(fs.open(a.ino, true).is_err(), "read-only");
}

#[test]
fn udf_times_match_7zip() {
    // 7z l -slt: Modified = Created = 2026-11-21 14:08:39 (UTC) for BDMV/index.bdmv.
    let fs = open(&fixtures().join("udf250-metadata-bluray.iso"), None).expect("opens");
    let bdmv = fs.lookup(ROOT_INO, OsStr::new("BDMV")).expect("BDMV");
    let a = fs
        .lookup(bdmv.ino, OsStr::new("index.bdmv"))
        .expect("index.bdmv");
    let want = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_795_270_119);
    assert_eq!(a.mtime, want);
    assert_eq!(a.crtime, want);
}
