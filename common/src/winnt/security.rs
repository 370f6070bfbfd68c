//! Self-relative security descriptors: a sanity check for the ones an image stores (before
//! they are handed to Windows) and the default one served when an image has none.
//!
//! Layout per MS-DTYP 2.4.6 (SECURITY_DESCRIPTOR, self-relative form), 2.4.2 (SID), 2.4.5 (ACL)
//! and 2.4.4.2 (ACCESS_ALLOWED_ACE).

/// SECURITY_DESCRIPTOR control: a DACL is present.
pub const SE_DACL_PRESENT: u16 = 0x0004;
/// SECURITY_DESCRIPTOR control: the descriptor is in self-relative form.
pub const SE_SELF_RELATIVE: u16 = 0x8000;
/// FILE_ALL_ACCESS.
pub const FILE_ALL_ACCESS: u32 = 0x001F_01FF;
/// FILE_GENERIC_READ | FILE_GENERIC_EXECUTE.
pub const FILE_READ_EXECUTE: u32 = 0x0012_00A9;

const HEADER_LEN: usize = 20;
const ACL_HEADER_LEN: usize = 8;
const ACL_REVISION: u8 = 2;
const ACCESS_ALLOWED_ACE_TYPE: u8 = 0;
const OBJECT_INHERIT_ACE: u8 = 0x01;
const CONTAINER_INHERIT_ACE: u8 = 0x02;
const MAX_SUB_AUTHORITIES: usize = 15;

/// A SID in binary form: revision 1, the 48-bit authority, the sub-authorities.
fn sid(authority: u8, subs: &[u32]) -> Vec<u8> {
    let mut out = vec![1, subs.len() as u8, 0, 0, 0, 0, 0, authority];
    for s in subs {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

/// S-1-5-18, LocalSystem.
pub fn sid_system() -> Vec<u8> {
    sid(5, &[18])
}

/// S-1-5-32-544, BUILTIN\Administrators.
pub fn sid_administrators() -> Vec<u8> {
    sid(5, &[32, 544])
}

/// S-1-1-0, Everyone.
pub fn sid_everyone() -> Vec<u8> {
    sid(1, &[0])
}

fn acl(aces: &[(u8, u32, Vec<u8>)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (flags, mask, sid) in aces {
        let size = (8 + sid.len()) as u16;
        body.push(ACCESS_ALLOWED_ACE_TYPE);
        body.push(*flags);
        body.extend_from_slice(&size.to_le_bytes());
        body.extend_from_slice(&mask.to_le_bytes());
        body.extend_from_slice(sid);
    }
    let size = (ACL_HEADER_LEN + body.len()) as u16;
    let mut out = vec![ACL_REVISION, 0];
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(&(aces.len() as u16).to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(&body);
    out
}

/// The descriptor served for files of an image that stores none (ISO images, WIMs captured
/// without security data): owner Administrators, group SYSTEM; SYSTEM and Administrators have
/// full control, Everyone read and execute (full control on a writable mount). Directories
/// pass the entries on to their children.
pub fn default_security_descriptor(directory: bool, writable: bool) -> Vec<u8> {
    let inherit = if directory {
        OBJECT_INHERIT_ACE | CONTAINER_INHERIT_ACE
    } else {
        0
    };
    let everyone = if writable {
        FILE_ALL_ACCESS
    } else {
        FILE_READ_EXECUTE
    };
    let owner = sid_administrators();
    let group = sid_system();
    let dacl = acl(&[
        (inherit, FILE_ALL_ACCESS, sid_system()),
        (inherit, FILE_ALL_ACCESS, sid_administrators()),
        (inherit, everyone, sid_everyone()),
    ]);
    let owner_off = HEADER_LEN;
    let group_off = owner_off + owner.len();
    let dacl_off = group_off + group.len();
    let mut out = vec![1, 0];
    out.extend_from_slice(&(SE_SELF_RELATIVE | SE_DACL_PRESENT).to_le_bytes());
    for off in [owner_off, group_off, 0, dacl_off] {
        out.extend_from_slice(&(off as u32).to_le_bytes());
    }
    out.extend_from_slice(&owner);
    out.extend_from_slice(&group);
    out.extend_from_slice(&dacl);
    out
}

/// The descriptor to hand over in a buffer of `capacity` bytes: `sd` itself if it fits, else
/// the default one (WinFsp's Rust binding cannot ask for a bigger buffer). `None` if neither
/// fits.
pub fn fit_descriptor(
    sd: Vec<u8>,
    capacity: usize,
    directory: bool,
    writable: bool,
) -> Option<Vec<u8>> {
    if sd.len() <= capacity {
        return Some(sd);
    }
    let fallback = default_security_descriptor(directory, writable);
    (fallback.len() <= capacity).then_some(fallback)
}

fn u16_at(b: &[u8], off: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        b.get(off..off.checked_add(2)?)?.try_into().ok()?,
    ))
}

fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(off..off.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn check_sid(b: &[u8], off: usize) -> Result<(), String> {
    let hdr = b
        .get(off..)
        .filter(|s| s.len() >= 8)
        .ok_or("SID header past the end")?;
    let count = hdr[1] as usize;
    if hdr[0] != 1 || count > MAX_SUB_AUTHORITIES {
        return Err(format!("bad SID at {off}"));
    }
    if hdr.len() < 8 + 4 * count {
        return Err(format!("SID at {off} runs past the end"));
    }
    Ok(())
}

fn check_acl(b: &[u8], off: usize) -> Result<(), String> {
    let size = u16_at(b, off + 2).ok_or("ACL header past the end")? as usize;
    let count = u16_at(b, off + 4).ok_or("ACL header past the end")? as usize;
    let acl = off
        .checked_add(size)
        .and_then(|end| b.get(off..end))
        .filter(|_| size >= ACL_HEADER_LEN)
        .ok_or_else(|| format!("ACL at {off} of size {size} does not fit"))?;
    if !(2..=4).contains(&acl[0]) {
        return Err(format!("ACL revision {} at {off}", acl[0]));
    }
    let mut pos = ACL_HEADER_LEN;
    for i in 0..count {
        let ace_size = u16_at(acl, pos + 2).ok_or_else(|| format!("ACE {i} past the ACL"))?;
        let ace_size = ace_size as usize;
        if ace_size < 4 || pos + ace_size > acl.len() {
            return Err(format!("ACE {i} of the ACL at {off} does not fit"));
        }
        pos += ace_size;
    }
    Ok(())
}

/// Checks that `sd` is a structurally sound self-relative security descriptor: revision 1,
/// the self-relative flag, and owner, group, SACL and DACL (those present) inside the buffer.
pub fn check_self_relative(sd: &[u8]) -> Result<(), String> {
    if sd.len() < HEADER_LEN {
        return Err(format!("{} bytes, shorter than the header", sd.len()));
    }
    let control = u16_at(sd, 2).unwrap_or(0);
    if sd[0] != 1 || control & SE_SELF_RELATIVE == 0 {
        return Err("not a revision 1 self-relative descriptor".into());
    }
    let offset = |i: usize| u32_at(sd, 4 + 4 * i).map_or(0, |o| o as usize);
    let (owner, group, sacl, dacl) = (offset(0), offset(1), offset(2), offset(3));
    for sid_off in [owner, group] {
        if sid_off != 0 {
            check_sid(sd, sid_off)?;
        }
    }
    for acl_off in [sacl, dacl] {
        if acl_off != 0 {
            check_acl(sd, acl_off)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_sids() {
        assert_eq!(sid_system(), [1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0]);
        assert_eq!(
            sid_administrators(),
            [1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x20, 2, 0, 0]
        );
        assert_eq!(sid_everyone(), [1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
    }

    #[test]
    fn default_descriptor_is_sound_and_laid_out_as_windows_expects() {
        for (dir, rw) in [(false, false), (true, false), (true, true)] {
            let sd = default_security_descriptor(dir, rw);
            assert_eq!(check_self_relative(&sd), Ok(()));
            assert_eq!(u16_at(&sd, 2), Some(0x8004));
            assert_eq!(u32_at(&sd, 4), Some(20)); // owner right after the header
            assert_eq!(u32_at(&sd, 12), Some(0)); // no SACL
            let dacl = u32_at(&sd, 16).unwrap_or(0) as usize;
            assert_eq!(&sd[20..36], &sid_administrators()[..]);
            assert_eq!(
                u16_at(&sd, dacl + 2).map(usize::from),
                Some(sd.len() - dacl)
            );
            assert_eq!(u16_at(&sd, dacl + 4), Some(3)); // three ACEs
            let flags = sd[dacl + 8 + 1];
            assert_eq!(flags, if dir { 3 } else { 0 });
            // The Everyone ACE is last: its mask sits 12 bytes before the end.
            let everyone = u32_at(&sd, sd.len() - 16).unwrap_or(0);
            assert_eq!(
                everyone,
                if rw {
                    FILE_ALL_ACCESS
                } else {
                    FILE_READ_EXECUTE
                }
            );
        }
    }

    #[test]
    fn descriptors_too_big_for_the_buffer_fall_back_to_the_default() {
        let big = vec![0u8; 2000];
        assert_eq!(
            fit_descriptor(big.clone(), 4096, false, false),
            Some(big.clone())
        );
        let fallback = fit_descriptor(big, 1024, true, false);
        assert_eq!(fallback, Some(default_security_descriptor(true, false)));
        assert_eq!(fit_descriptor(vec![0; 30], 10, false, false), None);
    }

    #[test]
    fn broken_descriptors_are_refused() {
        let good = default_security_descriptor(false, false);
        assert!(check_self_relative(&good[..19]).is_err());
        assert!(check_self_relative(&good[..good.len() - 1]).is_err());
        let mut absolute = good.clone();
        absolute[3] = 0; // clear SE_SELF_RELATIVE
        assert!(check_self_relative(&absolute).is_err());
        let mut far_owner = good.clone();
        far_owner[4..8].copy_from_slice(&10_000u32.to_le_bytes());
        assert!(check_self_relative(&far_owner).is_err());
        let mut many_subs = good.clone();
        many_subs[21] = 200;
        assert!(check_self_relative(&many_subs).is_err());
        let mut big_ace = good;
        let dacl = u32_at(&big_ace, 16).unwrap_or(0) as usize;
        big_ace[dacl + 10..dacl + 12].copy_from_slice(&0xFFFFu16.to_le_bytes());
        assert!(check_self_relative(&big_ace).is_err());
        // Empty descriptor with only the header: no owner, no DACL (NULL DACL) is sound.
        let mut bare = vec![1, 0, 0, 0x80];
        bare.extend_from_slice(&[0; 16]);
        assert_eq!(check_self_relative(&bare), Ok(()));
    }
}
