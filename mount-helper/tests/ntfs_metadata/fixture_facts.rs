//! What the fixture script (tests/fixtures/make-ntfs-fixture.sh) put in the NTFS image, built
//! here independently of it (SIDs, ACEs, security descriptors, reparse buffers), and the check
//! that our mount shows exactly that.

use std::collections::BTreeMap;
use std::path::Path;

use super::metadata_compare::hex;
use super::{Entry, Kind, TAG_MOUNT_POINT, TAG_SYMLINK};

fn sid(text: &str) -> Vec<u8> {
    let parts: Vec<u64> = text
        .split('-')
        .skip(1)
        .map(|x| x.parse().expect("SID number"))
        .collect();
    let mut v = vec![parts[0] as u8, (parts.len() - 2) as u8];
    v.extend_from_slice(&parts[1].to_be_bytes()[2..]);
    for s in &parts[2..] {
        v.extend_from_slice(&(*s as u32).to_le_bytes());
    }
    v
}

fn ace(kind: u8, flags: u8, mask: u32, who: &str) -> Vec<u8> {
    let s = sid(who);
    let mut v = vec![kind, flags];
    v.extend_from_slice(&(8 + s.len() as u16).to_le_bytes());
    v.extend_from_slice(&mask.to_le_bytes());
    v.extend_from_slice(&s);
    v
}

/// A self-relative descriptor: DACL with `aces`, owner Administrators, group SYSTEM.
fn descriptor(aces: &[Vec<u8>]) -> Vec<u8> {
    let body: Vec<u8> = aces.concat();
    let mut acl = vec![2, 0];
    acl.extend_from_slice(&(8 + body.len() as u16).to_le_bytes());
    acl.extend_from_slice(&(aces.len() as u16).to_le_bytes());
    acl.extend_from_slice(&[0, 0]);
    acl.extend_from_slice(&body);
    let (o, g) = (sid("S-1-5-32-544"), sid("S-1-5-18"));
    let owner_off = 20 + acl.len() as u32;
    let mut v = vec![1, 0];
    v.extend_from_slice(&0x8004u16.to_le_bytes());
    for x in [owner_off, owner_off + o.len() as u32, 0, 20] {
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.extend_from_slice(&acl);
    v.extend_from_slice(&o);
    v.extend_from_slice(&g);
    v
}

fn link_buffer(tag: u32, substitute: &str, print: &str, flags: Option<u32>) -> Vec<u8> {
    let s: Vec<u8> = substitute
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let p: Vec<u8> = print.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let mut data = Vec::new();
    for x in [0, s.len(), s.len() + 2, p.len()] {
        data.extend_from_slice(&(x as u16).to_le_bytes());
    }
    if let Some(f) = flags {
        data.extend_from_slice(&f.to_le_bytes());
    }
    data.extend_from_slice(&s);
    data.extend_from_slice(&[0, 0]);
    data.extend_from_slice(&p);
    data.extend_from_slice(&[0, 0]);
    let mut v = tag.to_le_bytes().to_vec();
    v.extend_from_slice(&(data.len() as u16).to_le_bytes());
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(&data);
    v
}

/// Checks that our mount shows what the script made (so that the comparison with ntfs-3g is
/// not vacuous), independently of ntfs-3g.
pub(super) fn check_fixture_facts(ours: &BTreeMap<String, Entry>, mnt: &Path) -> Vec<String> {
    let mut bad = Vec::new();
    let get = |p: &str| -> &Entry { ours.get(p).unwrap_or_else(|| panic!("/{p} missing")) };
    let mut want_meta = |p: &str, name: &str, want: &[u8]| {
        let got = get(p).meta(name);
        if got != Some(want) {
            bad.push(format!(
                "/{p} {name}: {} want {}",
                hex(got),
                hex(Some(want))
            ));
        }
    };
    want_meta(
        "security/known-dacl.txt",
        "system.ntfs_acl",
        &descriptor(&[
            ace(0, 0, 0x1F01FF, "S-1-5-32-544"),
            ace(1, 0, 0x000116, "S-1-5-32-545"),
            ace(0, 0, 0x1200A9, "S-1-1-0"),
            ace(0, 0, 0x1F01FF, "S-1-5-18"),
        ]),
    );
    want_meta(
        "security/empty-dacl.txt",
        "system.ntfs_acl",
        &descriptor(&[]),
    );
    want_meta(
        "links/junction",
        "system.ntfs_reparse_data",
        &link_buffer(TAG_MOUNT_POINT, "\\??\\C:\\plain", "C:\\plain", None),
    );
    want_meta(
        "links/relative-symlink",
        "system.ntfs_reparse_data",
        &link_buffer(
            TAG_SYMLINK,
            "..\\plain\\small.txt",
            "..\\plain\\small.txt",
            Some(1),
        ),
    );
    want_meta(
        "links/absolute-symlink",
        "system.ntfs_reparse_data",
        &link_buffer(
            TAG_SYMLINK,
            "\\??\\C:\\plain\\text.txt",
            "C:\\plain\\text.txt",
            Some(0),
        ),
    );
    // WOF_EXTERNAL_INFO (version 1, provider 2) + FILE_PROVIDER_EXTERNAL_INFO_V1 (1, LZX = 1).
    let mut wof_buf = 0x8000_0017u32.to_le_bytes().to_vec();
    wof_buf.extend_from_slice(&16u16.to_le_bytes());
    wof_buf.extend_from_slice(&[0, 0]);
    for x in [1u32, 2, 1, 1] {
        wof_buf.extend_from_slice(&x.to_le_bytes());
    }
    want_meta("reparse/wof.bin", "system.ntfs_reparse_data", &wof_buf);
    want_meta(
        "shortnames/A long file name.txt",
        "system.ntfs_dos_name",
        b"ALONGF~1.TXT",
    );
    want_meta(
        "shortnames/Program Files",
        "system.ntfs_dos_name",
        b"PROGRA~1",
    );
    let mut objid = vec![
        0x6d, 0x2f, 0x1c, 0x9a, 0x3e, 0x0b, 0x4f, 0x51, 0xa2, 0xc8, 0xd7, 0xe6, 0xf5, 0x04, 0x13,
        0x22,
    ];
    objid.resize(64, 0);
    want_meta("objectid.txt", "system.ntfs_object_id", &objid);
    for (p, want) in [
        ("attributes/readonly.txt", 0x21),
        ("attributes/hidden.txt", 0x22),
        ("attributes/system.txt", 0x24),
        ("attributes/hidden-system-readonly.txt", 0x27),
        ("attributes/hidden-dir", 0x12),
        ("attributes/normal.txt", 0x80),
        ("attributes/temporary.txt", 0x100),
        ("attributes/not-content-indexed.txt", 0x2000),
        ("attributes/compressed-dir/compressed.txt", 0x820),
        ("plain/sparse.bin", 0x220),
        ("reparse/wof.bin", 0x420),
        ("links/junction", 0x430),
        ("", 0x36),
    ] {
        let got = get(p).attrib();
        // ARCHIVE (0x20) is set by ntfs-3g on new files; the rest is what the script set.
        if got & !0x20 != want & !0x20 {
            bad.push(format!("/{p} system.ntfs_attrib {got:#x}, want {want:#x}"));
        }
    }
    let streams = &get("streams/two-streams.txt").streams;
    if streams.get("user.Zone.Identifier").map(Vec::as_slice)
        != Some(b"[ZoneTransfer]\r\nZoneId=3\r\n".as_slice())
        || streams.get("user.big").map(Vec::len) != Some(40_000)
    {
        bad.push(format!(
            "/streams/two-streams.txt streams: {:?}",
            streams.keys().collect::<Vec<_>>()
        ));
    }
    if get("streams/empty-stream.txt").streams.get("user.empty") != Some(&Vec::new()) {
        bad.push("/streams/empty-stream.txt: no empty user.empty".into());
    }
    if !get("streams/dir-with-stream")
        .streams
        .contains_key("user.dirstream")
    {
        bad.push("/streams/dir-with-stream: no user.dirstream".into());
    }
    // Non-link reparse points are regular files (directories) with their data.
    match &get("reparse/wof.bin").kind {
        Kind::File(d) if d == b"the unnamed data of a WOF-tagged file\n" => {}
        k => bad.push(format!("/reparse/wof.bin: {k:?}")),
    }
    if !matches!(get("reparse/dedup.bin").kind, Kind::File(_)) {
        bad.push("/reparse/dedup.bin is not a regular file".into());
    }
    if ours.contains_key("reparse/cloud-dir") && !matches!(get("reparse/cloud-dir").kind, Kind::Dir)
    {
        bad.push("/reparse/cloud-dir is not a directory".into());
    }
    for (p, want) in [
        ("links/relative-symlink", "../plain/small.txt".to_string()),
        (
            "links/absolute-symlink",
            format!("{}/plain/text.txt", mnt.display()),
        ),
        ("links/junction", format!("{}/plain", mnt.display())),
        (
            "links/junction-other-drive",
            format!("{}/Data/Shared", mnt.display()),
        ),
        ("links/broken-symlink", "no/such/file".to_string()),
    ] {
        match &get(p).kind {
            Kind::Symlink(t) if *t == want => {}
            k => bad.push(format!("/{p}: {k:?}, want a symlink to {want:?}")),
        }
    }
    if get("links/original.txt").nlink != 3 || get("links/streamed.txt").nlink != 2 {
        bad.push("hard links: wrong link counts".into());
    }
    let case: Vec<&String> = ours.keys().filter(|p| p.starts_with("case/")).collect();
    if case != ["case/README.TXT", "case/Readme.txt", "case/readme.txt"] {
        bad.push(format!("case-differing names: {case:?}"));
    }
    bad
}
