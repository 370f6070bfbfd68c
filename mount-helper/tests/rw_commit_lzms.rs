//! Servicing an LZMS WIM compresses the new blobs with our LZMS compressor (issue 15 item 3):
//! the same new files added to two copies of one LZMS WIM, once through our read-write mount and
//! commit, once with `wimlib-imagex update`, make the WIM grow by at most 1.15x what wimlib's
//! LZMS compressor adds; wimlib verifies our WIM and applies exactly the expected tree. Before
//! the compressor existed, the blobs were stored uncompressed (growth ~3x wimlib's here).

use std::fs;
use std::path::Path;

use tests::{
    add_by_our_commit, add_by_wimlib_update, assert_growth_within, assert_wim_image, capture,
    expected_after_add, small_windows_tree, TempDir,
};

/// New files like a driver pack: text (INF-like), records, and machine code (this test's own
/// executable, the x86 filter's case).
fn driver_pack(dir: &Path) {
    fs::create_dir_all(dir.join("net")).expect("mkdir");
    let mut inf = String::new();
    for i in 0..12_000 {
        inf.push_str(&format!(
            "HKR,Ndi\\Params\\Speed{},ParamDesc,,\"Link speed {} Mbps\"\r\n",
            i % 97,
            (i * 37) % 1000
        ));
    }
    fs::write(dir.join("net/netdrv.inf"), &inf).expect("write");
    let exe = fs::read(std::env::current_exe().expect("exe")).expect("read exe");
    fs::write(dir.join("net/netdrv.sys"), &exe[..exe.len().min(1_500_000)]).expect("write");
    let mut records = Vec::new();
    for i in 0u32..60_000 {
        records.extend_from_slice(&i.to_le_bytes());
        records.extend_from_slice(&(i.wrapping_mul(2_654_435_761) >> 20).to_le_bytes());
    }
    fs::write(dir.join("net/netdrv.cat"), &records).expect("write");
}

#[test]
fn an_lzms_commit_grows_the_wim_about_as_much_as_wimlib() {
    let scratch = TempDir::new("lzms-commit");
    let dir = scratch.path();
    let src = dir.join("src");
    small_windows_tree(&src);
    let ours = dir.join("ours.wim");
    capture(&src, &ours, "lzms");
    let theirs = dir.join("theirs.wim");
    fs::copy(&ours, &theirs).expect("copy");
    let pack = dir.join("pack");
    driver_pack(&pack);

    let ours_growth = add_by_our_commit(&ours, &pack, "Drivers", dir);
    let theirs_growth = add_by_wimlib_update(&theirs, &pack, "Drivers");

    let expected = dir.join("expected");
    expected_after_add(&src, &pack, "Drivers", &expected);
    assert_wim_image(&ours, "1", &expected);
    assert_growth_within(ours_growth, theirs_growth, 1.15);
}
