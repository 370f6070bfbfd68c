//! UDF beyond pressed discs. Write-once UDF (CD-R, BD-R): the virtual partition and its Virtual Allocation Table, in the
//! UDF 2.00+ form (a file of type 248, here UDF 2.60 on BD-R) and the UDF 1.50 form (entries
//! then the "*UDF Virtual Alloc Tbl" regid, CD-R). The fixtures come from mkudffs; their root
//! directories are empty, so opening them proves the File Set Descriptor and the root ICB were
//! found through the VAT. And hard-disk style UDF with 512-byte sectors.

mod support;

use common::vfs::{Vfs, ROOT_INO};
use isofs::info::ImageInfo;
use isofs::udf::descriptors::PartitionMapDesc;
use isofs::TreeKind;
use support::{fixtures, open};
use tests::TempDir;

#[test]
fn vat_volumes_open() {
    for (name, revision, label) in [
        ("vat-bdr-2.60.iso", "2.60", "VAT2.60"),
        ("vat-cdr-1.50.iso", "1.50", "VAT1.50"),
    ] {
        let path = fixtures().join(name);
        let info = ImageInfo::read(&path).expect("info");
        let udf = info.recognized.udf.as_ref().expect("udf");
        assert_eq!(udf.revision(), revision, "{name}");
        assert_eq!(udf.lvd.label, label);
        let virt = udf
            .lvd
            .maps
            .iter()
            .position(|m| matches!(m, PartitionMapDesc::Virtual { .. }))
            .expect("a virtual partition map");
        assert_eq!(
            usize::from(udf.lvd.fsd.location.partition),
            virt,
            "FSD behind the VAT"
        );
        let fs = open(&path, None).expect("opens");
        assert_eq!(fs.tree_kind(), TreeKind::Udf);
        let mut n = 0;
        fs.readdir(ROOT_INO, 0, &mut |_, _| {
            n += 1;
            false
        })
        .expect("readdir");
        assert_eq!(n, 0, "mkudffs writes an empty root");
    }
}

#[test]
fn damaged_vat_is_named() {
    let mut data = std::fs::read(fixtures().join("vat-bdr-2.60.iso")).expect("fixture");
    let last = data.len() - 2048;
    data[last + 4] ^= 0xFF; // the VAT's File Entry tag checksum
    let scratch = TempDir::new("isofs-vat");
    let image = scratch.join("vat.iso");
    std::fs::write(&image, &data).expect("write");
    let err = open(&image, Some(TreeKind::Udf)).expect_err("no VAT");
    assert!(
        err.to_string().contains("Virtual Allocation Table"),
        "{err}"
    );
}

#[test]
fn udf_with_512_byte_sectors() {
    let path = fixtures().join("hd-512.udf");
    let info = ImageInfo::read(&path).expect("info");
    let udf = info.recognized.udf.as_ref().expect("udf");
    assert_eq!((udf.lvd.block_size, udf.lvd.label.as_str()), (512, "HD512"));
    assert_eq!(udf.revision(), "2.01");
    let fs = open(&path, None).expect("opens");
    assert_eq!(fs.tree_kind(), TreeKind::Udf);
    assert!(fs.readdir(ROOT_INO, 0, &mut |_, _| false).is_ok());
}
