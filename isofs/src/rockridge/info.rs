//! Everything the Rock Ridge entries of one directory record say, gathered from its System Use
//! area and continuations: IEEE P1282 (RRIP) 4.1 (PX, PN, SL, NM, TF, RE, CL, PL) and the
//! zisofs ZF/Z2 entries, plus SUSP's SP (P1281 5.3) and ER (5.5).

use crate::error::IsoResult;
use crate::rockridge::names::{LinkBuilder, NameBuilder};
use crate::rockridge::px::{parse_pn, Px};
use crate::rockridge::tf::{self, Times};
use crate::rockridge::zf::{self, ZfEntry};
use crate::susp::entry::SuspEntry;

/// The Rock Ridge view of one directory record.
#[derive(Debug, Clone, Default)]
pub struct RrInfo {
    /// POSIX attributes.
    pub px: Option<Px>,
    /// Device number of a device node ([`common::vfs::encode_dev`]'s encoding).
    pub device: Option<u32>,
    /// The alternate name.
    pub name: Option<Vec<u8>>,
    /// The symlink target.
    pub symlink: Option<Vec<u8>>,
    /// Time stamps.
    pub times: Times,
    /// "CL": this record stands for a directory relocated to this block.
    pub child_link: Option<u32>,
    /// "PL": the original parent of a relocated directory (in its ".." record).
    pub parent_link: Option<u32>,
    /// "RE": this directory was relocated; its entry in the relocation directory is hidden.
    pub relocated: bool,
    /// A zisofs marker.
    pub zisofs: Option<ZfEntry>,
    /// "SP": SUSP is in use, skipping this many bytes of every System Use area.
    pub sp_skip: Option<u8>,
    /// "ER" extension identifiers.
    pub extensions: Vec<String>,
    /// True if any Rock Ridge entry was present.
    pub any: bool,
}

impl RrInfo {
    /// Gathers the entries. Unknown and malformed optional entries are ignored: they must not
    /// make the file unreachable.
    pub fn from_entries(entries: &[SuspEntry]) -> IsoResult<Self> {
        let mut info = RrInfo::default();
        let mut name = NameBuilder::default();
        let mut link = LinkBuilder::default();
        for e in entries {
            let f = e.fields();
            match &e.sig {
                b"PX" => info.px = Px::parse(e).ok(),
                b"PN" => info.device = parse_pn(e).ok(),
                b"NM" => name.push(&e.raw),
                b"SL" => link.push(&e.raw),
                b"TF" => tf::parse(&e.raw, &mut info.times),
                b"CL" => info.child_link = f.both32(4).ok(),
                b"PL" => info.parent_link = f.both32(4).ok(),
                b"RE" => info.relocated = true,
                b"ZF" | b"Z2" => info.zisofs = zf::parse(e).ok().flatten(),
                b"SP" => {
                    if f.bytes(4, 2).ok() == Some(&[0xBE, 0xEF][..]) {
                        info.sp_skip = f.u8(6).ok();
                    }
                }
                b"ER" => {
                    if let (Ok(id_len), Ok(_)) = (f.u8(4), f.u8(5)) {
                        if let Ok(id) = f.bytes(8, id_len.into()) {
                            info.extensions
                                .push(String::from_utf8_lossy(id).into_owned());
                        }
                    }
                }
                _ => continue,
            }
            if !matches!(&e.sig, b"SP" | b"ER") {
                info.any = true;
            }
        }
        info.name = name.finish();
        info.symlink = link.finish();
        Ok(info)
    }
}
