//! Extended attributes. Named data streams appear as `user.<stream>` (wimlib's
//! `--streams-interface=xattr`) and can be set and removed on read-write mounts. Windows
//! metadata answers to ntfs-3g's names, readable by name but not listed (as in ntfs-3g):
//! `system.ntfs_attrib` (FILE_ATTRIBUTE_* as u32 LE), `system.ntfs_acl` (self-relative
//! security descriptor), `system.ntfs_reparse_data` (the full reparse buffer),
//! `system.ntfs_dos_name` (the short name) and `system.ntfs_object_id`. Linux xattrs captured
//! by wimlib appear under their own names. The root answers `wimfs.cache_stats` (chunk-cache
//! hits, misses and bytes decoded), for benchmarks.

use std::ffi::{OsStr, OsString};

use common::vfs::{VfsError, VfsResult};

use super::mounted_image::WimFs;
use super::symlink::MAX_REPARSE;
use crate::change::{stream_name, Op};

/// Largest stream served or stored as an xattr value (the Linux limit).
const MAX_XATTR: u64 = 64 * 1024;

impl WimFs {
    pub(super) fn do_listxattr(&self, ino: u64) -> VfsResult<Vec<OsString>> {
        let tree = self.tree.read();
        let inode = tree.inode(ino).ok_or(VfsError::NotFound)?;
        let mut names: Vec<OsString> = inode
            .extras()
            .named_streams
            .iter()
            .map(|(n, _)| OsString::from(format!("user.{}", String::from_utf16_lossy(n))))
            .collect();
        for (n, _) in &inode.extras().xattrs {
            let name = OsString::from(String::from_utf8_lossy(n).into_owned());
            if !names.contains(&name) {
                names.push(name);
            }
        }
        Ok(names)
    }

    pub(super) fn do_getxattr(&self, ino: u64, name: &OsStr) -> VfsResult<Vec<u8>> {
        if ino == common::vfs::ROOT_INO && name.as_encoded_bytes() == b"wimfs.cache_stats" {
            // Not listed; for benchmarks: how many bytes were decoded to serve the reads so far.
            let st = self.wim().cache().stats();
            return Ok(format!(
                "hits={} misses={} decoded_bytes={} held_bytes={} spill_hits={} spill_bytes={}\n",
                st.hits,
                st.misses,
                st.decoded_bytes,
                self.wim().cache().held_bytes(),
                st.spill_hits,
                st.spill_bytes
            )
            .into_bytes());
        }
        let (content, inode_attrs) = {
            let tree = self.tree.read();
            let inode = tree.inode(ino).ok_or(VfsError::NotFound)?;
            let name_bytes = name.as_encoded_bytes();
            match name_bytes {
                b"system.ntfs_attrib" => return Ok(inode.attributes.to_le_bytes().to_vec()),
                b"system.ntfs_acl" => {
                    return usize::try_from(inode.security_id)
                        .ok()
                        .and_then(|i| tree.security.get(i))
                        .cloned()
                        .ok_or(VfsError::NoAttribute)
                }
                b"system.ntfs_dos_name" if !inode.short_name.is_empty() => {
                    return Ok(String::from_utf16_lossy(&inode.short_name).into_bytes())
                }
                b"system.ntfs_object_id" => {
                    return inode
                        .extras()
                        .object_id
                        .clone()
                        .ok_or(VfsError::NoAttribute)
                }
                b"system.ntfs_reparse_data" => {
                    let rp = inode
                        .extras()
                        .reparse
                        .clone()
                        .ok_or(VfsError::NoAttribute)?;
                    (rp, Some(inode.extras().reparse_tag))
                }
                _ => {
                    if let Some(stream) = name_bytes.strip_prefix(b"user.") {
                        let want = String::from_utf8_lossy(stream);
                        if let Some((_, c)) = inode
                            .extras()
                            .named_streams
                            .iter()
                            .find(|(n, _)| String::from_utf16_lossy(n) == want)
                        {
                            (c.clone(), None)
                        } else {
                            return self.tagged_xattr(inode, name_bytes);
                        }
                    } else {
                        return self.tagged_xattr(inode, name_bytes);
                    }
                }
            }
        };
        match inode_attrs {
            Some(tag) => {
                let data = self.read_small(&content, MAX_REPARSE)?;
                let mut out = tag.to_le_bytes().to_vec();
                out.extend_from_slice(&(data.len() as u16).to_le_bytes());
                out.extend_from_slice(&[0, 0]);
                out.extend_from_slice(&data);
                Ok(out)
            }
            None => self.read_small(&content, MAX_XATTR),
        }
    }

    fn tagged_xattr(&self, inode: &crate::inode::Inode, name: &[u8]) -> VfsResult<Vec<u8>> {
        inode
            .extras()
            .xattrs
            .iter()
            .find(|(n, _)| n.as_slice() == name)
            .map(|(_, v)| v.clone())
            .ok_or(VfsError::NoAttribute)
    }

    pub(super) fn do_setxattr(&self, ino: u64, name: &OsStr, value: &[u8]) -> VfsResult<()> {
        self.writable()?;
        stream_name(name)?;
        if value.len() as u64 > MAX_XATTR {
            return Err(VfsError::TooBig(format!("{} bytes", value.len())));
        }
        let mut tree = self.tree.write();
        let op = Op::SetXattr {
            ino,
            name: name.as_encoded_bytes().to_vec(),
            value: value.to_vec(),
        };
        self.change(&mut tree, op).map(|_| ())
    }

    pub(super) fn do_removexattr(&self, ino: u64, name: &OsStr) -> VfsResult<()> {
        self.writable()?;
        stream_name(name)?;
        let mut tree = self.tree.write();
        let op = Op::RemoveXattr {
            ino,
            name: name.as_encoded_bytes().to_vec(),
        };
        self.change(&mut tree, op).map(|_| ())
    }
}
