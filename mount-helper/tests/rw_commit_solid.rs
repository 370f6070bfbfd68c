//! Servicing a solid WIM (an ESD, `wimlib-imagex capture --solid`) writes the new blobs as one
//! more solid LZMS resource (issue 15 item 3), not as a resource each: `wimlib-imagex info
//! --blobs` lists every new blob inside one new solid resource whose chunk size is the WIM's
//! existing solid resources' one (or, for little new data, smaller so that both cores get a
//! chunk, never below 4 MiB), wimlib verifies the WIM and applies exactly the expected tree,
//! and the WIM grows by at most 1.15x what `wimlib-imagex update` adds for the same files.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use tests::{
    add_by_our_commit, add_by_wimlib_update, assert_growth_within, assert_wim_image,
    expected_after_add, small_windows_tree, wimlib, TempDir,
};

/// New files: text, machine code (this test's own executable, the x86 filter's case), records,
/// and one file twice (deduplicated).
fn update_pack(dir: &Path, exe_bytes: usize) {
    fs::create_dir_all(dir.join("upd")).expect("mkdir");
    let mut inf = String::new();
    for i in 0..15_000 {
        inf.push_str(&format!(
            "HKR,Ndi\\Params\\Speed{},ParamDesc,,\"Link speed {} Mbps\"\r\n",
            i % 89,
            (i * 41) % 1000
        ));
    }
    fs::write(dir.join("upd/update.inf"), &inf).expect("write");
    fs::write(dir.join("upd/copy.inf"), &inf).expect("write");
    let exe = fs::read(std::env::current_exe().expect("exe")).expect("read exe");
    fs::write(dir.join("upd/update.sys"), &exe[..exe.len().min(exe_bytes)]).expect("write");
    let mut records = Vec::new();
    for i in 0u32..40_000 {
        records.extend_from_slice(&i.to_le_bytes());
        records.extend_from_slice(&(i.wrapping_mul(2_654_435_761) >> 18).to_le_bytes());
    }
    fs::write(dir.join("upd/update.cat"), &records).expect("write");
}

/// One blob as `wimlib-imagex info --blobs` lists it.
#[derive(Debug)]
struct Blob {
    size: u64,
    /// (uncompressed size, offset in the WIM) of the solid resource holding it.
    solid: Option<(u64, u64)>,
    metadata: bool,
}

fn blobs(wim: &Path) -> Vec<Blob> {
    let out = wimlib(&["info", wim.to_str().expect("utf-8"), "--blobs"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let field = |block: &str, name: &str| -> Option<String> {
        block
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim_start_matches([' ', '=']).to_string())
    };
    text.split("\n\n")
        .filter(|b| b.contains("Hash"))
        .map(|b| {
            let size = field(b, "Uncompressed size")
                .and_then(|v| v.split(' ').next()?.parse().ok())
                .expect("uncompressed size");
            // "Solid resource    = 100006 => 43144 bytes @ offset 208"
            let solid = field(b, "Solid resource").map(|v| {
                let words: Vec<&str> = v.split_whitespace().collect();
                (
                    words[0].parse().expect("solid size"),
                    words.last().and_then(|w| w.parse().ok()).expect("offset"),
                )
            });
            Blob {
                size,
                solid,
                metadata: b.contains("WIM_RESHDR_FLAG_METADATA"),
            }
        })
        .collect()
}

/// The chunk size in the solid resource header at `offset` of `wim`.
fn solid_chunk_size(wim: &Path, offset: u64) -> u32 {
    let bytes = fs::read(wim).expect("read wim");
    let at = usize::try_from(offset).expect("offset") + 8;
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
}

/// Captures a solid WIM (wimlib's `--solid-chunk-size` when given) and a copy of it, adds the
/// update pack to ours with our mount and commit, and checks the result with wimlib (verify,
/// apply); returns the scratch dir (`ours.wim`, an untouched `theirs.wim`, the `pack`) and our
/// WIM's growth.
fn commit_into_solid(name: &str, chunk: Option<&str>, exe_bytes: usize) -> (TempDir, u64) {
    let scratch = TempDir::new(name);
    let dir = scratch.path();
    let src = dir.join("src");
    small_windows_tree(&src);
    let ours = dir.join("ours.wim");
    let mut args = vec![
        "capture".to_string(),
        src.display().to_string(),
        ours.display().to_string(),
        "--solid".into(),
    ];
    if let Some(c) = chunk {
        args.push(format!("--solid-chunk-size={c}"));
    }
    wimlib(&args.iter().map(String::as_str).collect::<Vec<_>>());
    fs::copy(&ours, dir.join("theirs.wim")).expect("copy");
    let pack = dir.join("pack");
    update_pack(&pack, exe_bytes);
    let growth = add_by_our_commit(&ours, &pack, "Drivers", dir);

    let expected = dir.join("expected");
    expected_after_add(&src, &pack, "Drivers", &expected);
    assert_wim_image(&ours, "1", &expected);
    (scratch, growth)
}

/// The solid resources of `wim` by offset: (uncompressed size, blob count, blob bytes).
fn solid_resources(wim: &Path) -> BTreeMap<u64, (u64, usize, u64)> {
    let list = blobs(wim);
    let mut res: BTreeMap<u64, (u64, usize, u64)> = BTreeMap::new();
    for b in &list {
        if b.metadata {
            assert!(b.solid.is_none(), "metadata in a solid resource: {b:?}");
            continue;
        }
        let (size, offset) = b
            .solid
            .unwrap_or_else(|| panic!("a blob outside every solid resource: {b:?}\n{list:?}"));
        let r = res.entry(offset).or_insert((size, 0, 0));
        r.1 += 1;
        r.2 += b.size;
    }
    res
}

#[test]
fn new_blobs_go_into_one_new_solid_resource_growing_the_wim_about_as_much_as_wimlib() {
    let (scratch, ours_growth) = commit_into_solid("solid-commit", None, 1_500_000);
    let dir = scratch.path();
    let ours = dir.join("ours.wim");
    let res = solid_resources(&ours);
    assert_eq!(res.len(), 2, "one old and one new solid resource: {res:?}");
    let (&new_at, &(new_size, new_count, new_bytes)) = res.iter().last().expect("two");
    // update.inf, update.sys, update.cat (copy.inf is a duplicate of update.inf).
    assert_eq!(new_count, 3, "{res:?}");
    assert_eq!(
        new_size, new_bytes,
        "the new resource holds exactly the new blobs"
    );
    // The WIM's 64 MiB chunk size, or smaller chunks (down to 4 MiB) so that every core gets
    // one when the new data is small.
    let (&old_at, _) = res.iter().next().expect("two");
    let (old_chunk, new_chunk) = (
        solid_chunk_size(&ours, old_at),
        solid_chunk_size(&ours, new_at),
    );
    assert_eq!(old_chunk, 64 << 20);
    assert!(
        new_chunk.is_power_of_two() && (4 << 20..=old_chunk).contains(&new_chunk),
        "new chunk size {new_chunk}"
    );

    let theirs_growth = add_by_wimlib_update(&dir.join("theirs.wim"), &dir.join("pack"), "Drivers");
    assert_growth_within(ours_growth, theirs_growth, 1.15);
}

#[test]
fn the_new_solid_resource_keeps_the_wims_small_chunk_size_over_many_chunks() {
    let (scratch, _) = commit_into_solid("solid-commit-chunks", Some("128K"), 1_500_000);
    let dir = scratch.path();
    let ours = dir.join("ours.wim");
    let res = solid_resources(&ours);
    assert_eq!(res.len(), 2, "{res:?}");
    let (&new_at, &(new_size, _, _)) = res.iter().last().expect("two");
    assert_eq!(solid_chunk_size(&ours, new_at), 128 << 10);
    assert!(
        new_size > 8 * (128 << 10),
        "several chunks: {new_size} bytes"
    );
}
