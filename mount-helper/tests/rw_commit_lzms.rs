//! Servicing an LZMS WIM compresses the new blobs with our LZMS compressor (issue 15 item 3):
//! the same new files added to two copies of one LZMS WIM, once through our read-write mount and
//! commit, once with `wimlib-imagex update`, make the WIM grow by at most 1.15x what wimlib's
//! LZMS compressor adds; wimlib verifies our WIM and applies exactly the expected tree. Before
//! the compressor existed, the blobs were stored uncompressed (growth ~3x wimlib's here).

mod support;

use std::fs;
use std::path::Path;

use support::*;

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
    fs::create_dir_all(src.join("Windows/INF")).expect("mkdir");
    fs::write(
        src.join("Windows/INF/base.inf"),
        "[Version]\r\n".repeat(500),
    )
    .expect("write");
    fs::write(src.join("Windows/big.bin"), noise(200_000, 3)).expect("write");
    let ours = dir.join("ours.wim");
    capture(&src, &ours, "lzms");
    let theirs = dir.join("theirs.wim");
    fs::copy(&ours, &theirs).expect("copy");
    let pack = dir.join("pack");
    driver_pack(&pack);
    let before = fs::metadata(&ours).expect("stat").len();

    let rw = RwMount::mount(&ours, "1", &dir.join("m"), &dir.join("staging"));
    copy_tree(&pack, &rw.path().join("Drivers"));
    rw.commit();
    let ours_growth = fs::metadata(&ours).expect("stat").len() - before;

    wimlib(&[
        "update",
        theirs.to_str().expect("utf-8"),
        "1",
        &format!("--command=add {} /Drivers", pack.display()),
    ]);
    let theirs_growth = fs::metadata(&theirs).expect("stat").len() - before;

    let expected = dir.join("expected");
    copy_tree(&src, &expected);
    copy_tree(&pack, &expected.join("Drivers"));
    assert_wim_image(&ours, "1", &expected);
    let ratio = ours_growth as f64 / theirs_growth as f64;
    eprintln!("growth: ours {ours_growth}, wimlib {theirs_growth} ({ratio:.3})");
    assert!(
        ratio <= 1.15,
        "our commit grew the WIM by {ours_growth} bytes, {ratio:.3}x wimlib's {theirs_growth}"
    );
}
