//! The journal of a read-write mount: every change to the tree is appended to
//! `<staging>/journal` (under the tree lock, before the change is acknowledged), so a later
//! mount can replay it onto the same image and get the same tree, inode numbers included.
//! File data is not journaled: it lives in the staging files themselves, and a staged file's
//! size is its length on disk.
//!
//! Record: length (u32 LE, of what follows the CRC), CRC-32 of the payload (u32 LE), payload =
//! opcode (u8) + fields (u64 LE numbers, u32-length-prefixed byte strings). Replay stops at the
//! first torn or damaged record (the tail of a write interrupted by a crash).
//!
//! Durability: records are written with write(2) before the operation returns, so they survive
//! the daemon being killed; they reach the disk on fsync/fsyncdir from applications, every
//! second while changes are pending, and before a commit.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::Path;

use common::vfs::{VfsError, VfsResult};

pub use super::journal_base::JournalBase;
pub use crate::change::Op;

struct Enc(Vec<u8>);

impl Enc {
    fn n(&mut self, v: u64) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn b(&mut self, v: &[u8]) -> &mut Self {
        self.0.extend_from_slice(&(v.len() as u32).to_le_bytes());
        self.0.extend_from_slice(v);
        self
    }
    fn o(&mut self, v: Option<u64>) -> &mut Self {
        self.n(u64::from(v.is_some())).n(v.unwrap_or(0))
    }
}

struct Dec<'a>(&'a [u8]);

impl Dec<'_> {
    fn n(&mut self) -> Option<u64> {
        let (h, t) = self.0.split_first_chunk::<8>()?;
        self.0 = t;
        Some(u64::from_le_bytes(*h))
    }
    fn b(&mut self) -> Option<Vec<u8>> {
        let (h, t) = self.0.split_first_chunk::<4>()?;
        let len = u32::from_le_bytes(*h) as usize;
        let v = t.get(..len)?.to_vec();
        self.0 = &t[len..];
        Some(v)
    }
    fn o(&mut self) -> Option<Option<u64>> {
        let some = self.n()?;
        let v = self.n()?;
        Some((some != 0).then_some(v))
    }
}

impl Op {
    fn encode(&self) -> Vec<u8> {
        let mut e = Enc(Vec::new());
        match self {
            Op::Create {
                parent,
                name,
                ino,
                perm,
                staged,
            } => {
                e.0.push(1);
                e.n(*parent).b(name).n(*ino).n(u64::from(*perm)).n(*staged);
            }
            Op::Mkdir {
                parent,
                name,
                ino,
                perm,
            } => {
                e.0.push(2);
                e.n(*parent).b(name).n(*ino).n(u64::from(*perm));
            }
            Op::Symlink {
                parent,
                name,
                ino,
                target,
            } => {
                e.0.push(3);
                e.n(*parent).b(name).n(*ino).b(target);
            }
            Op::Link { ino, parent, name } => {
                e.0.push(4);
                e.n(*ino).n(*parent).b(name);
            }
            Op::Remove { parent, name, dir } => {
                e.0.push(5);
                e.n(*parent).b(name).n(u64::from(*dir));
            }
            Op::Rename {
                parent,
                name,
                new_parent,
                new_name,
                no_replace,
            } => {
                e.0.push(6);
                e.n(*parent)
                    .b(name)
                    .n(*new_parent)
                    .b(new_name)
                    .n(u64::from(*no_replace));
            }
            Op::Stage { ino, staged, empty } => {
                e.0.push(7);
                e.n(*ino).n(*staged).n(u64::from(*empty));
            }
            Op::SetAttr {
                ino,
                perm,
                uid,
                gid,
                atime,
                mtime,
            } => {
                e.0.push(8);
                e.n(*ino)
                    .o(perm.map(u64::from))
                    .o(uid.map(u64::from))
                    .o(gid.map(u64::from))
                    .o(*atime)
                    .o(*mtime);
            }
            Op::SetXattr { ino, name, value } => {
                e.0.push(9);
                e.n(*ino).b(name).b(value);
            }
            Op::RemoveXattr { ino, name } => {
                e.0.push(10);
                e.n(*ino).b(name);
            }
        }
        e.0
    }

    fn decode(payload: &[u8]) -> Option<Op> {
        let (&code, rest) = payload.split_first()?;
        let mut d = Dec(rest);
        let small = |v: u64| u16::try_from(v).ok();
        let op = match code {
            1 => Op::Create {
                parent: d.n()?,
                name: d.b()?,
                ino: d.n()?,
                perm: small(d.n()?)?,
                staged: d.n()?,
            },
            2 => Op::Mkdir {
                parent: d.n()?,
                name: d.b()?,
                ino: d.n()?,
                perm: small(d.n()?)?,
            },
            3 => Op::Symlink {
                parent: d.n()?,
                name: d.b()?,
                ino: d.n()?,
                target: d.b()?,
            },
            4 => Op::Link {
                ino: d.n()?,
                parent: d.n()?,
                name: d.b()?,
            },
            5 => Op::Remove {
                parent: d.n()?,
                name: d.b()?,
                dir: d.n()? != 0,
            },
            6 => Op::Rename {
                parent: d.n()?,
                name: d.b()?,
                new_parent: d.n()?,
                new_name: d.b()?,
                no_replace: d.n()? != 0,
            },
            7 => Op::Stage {
                ino: d.n()?,
                staged: d.n()?,
                empty: d.n()? != 0,
            },
            8 => Op::SetAttr {
                ino: d.n()?,
                perm: d.o()?.and_then(small),
                uid: d.o()?.and_then(|v| u32::try_from(v).ok()),
                gid: d.o()?.and_then(|v| u32::try_from(v).ok()),
                atime: d.o()?,
                mtime: d.o()?,
            },
            9 => Op::SetXattr {
                ino: d.n()?,
                name: d.b()?,
                value: d.b()?,
            },
            10 => Op::RemoveXattr {
                ino: d.n()?,
                name: d.b()?,
            },
            _ => return None,
        };
        d.0.is_empty().then_some(op)
    }
}

/// The open journal file.
#[derive(Debug)]
pub struct Journal {
    file: File,
}

fn io(what: &str) -> impl FnOnce(std::io::Error) -> VfsError + '_ {
    // ENOSPC on Unix, ERROR_DISK_FULL on Windows.
    move |source| match source.kind() {
        std::io::ErrorKind::StorageFull => VfsError::NoSpace(what.to_string()),
        _ => VfsError::Io {
            context: what.to_string(),
            source,
        },
    }
}

impl Journal {
    /// Opens (creating) `<dir>/journal` for appending.
    pub fn open(dir: &Path) -> VfsResult<Self> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("journal"))
            .map_err(io("opening the journal"))?;
        Ok(Self { file })
    }

    /// Appends one record (one write(2)).
    pub fn append(&mut self, op: &Op) -> VfsResult<()> {
        let rec = frame(&op.encode());
        self.file.write_all(&rec).map_err(io("writing the journal"))
    }

    /// Makes the journal durable.
    pub fn sync(&self) -> VfsResult<()> {
        self.file.sync_data().map_err(io("syncing the journal"))
    }

    /// Reads every intact record of `<dir>/journal` (none if it does not exist), without the
    /// base record of a rebased journal (see `journal_base.rs`).
    pub fn read_all(dir: &Path) -> VfsResult<Vec<Op>> {
        Ok(Self::read_based(dir)?.1)
    }

    /// Reads `<dir>/journal`: the base record that begins a journal rebased by a commit while
    /// mounted (none for a journal begun at mount), and every intact change record after it.
    pub fn read_based(dir: &Path) -> VfsResult<(Option<JournalBase>, Vec<Op>)> {
        let mut bytes = Vec::new();
        match File::open(dir.join("journal")) {
            Ok(mut f) => {
                f.read_to_end(&mut bytes)
                    .map_err(io("reading the journal"))?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((None, Vec::new())),
            Err(e) => return Err(io("opening the journal")(e)),
        }
        let mut ops = Vec::new();
        let mut base = None;
        let mut rest = bytes.as_slice();
        while let Some((head, tail)) = rest.split_first_chunk::<8>() {
            let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
            let crc = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
            let Some(payload) = tail.get(..len) else {
                break;
            };
            if crc32fast::hash(payload) != crc {
                break;
            }
            rest = &tail[len..];
            if base.is_none() && ops.is_empty() && JournalBase::is_base(payload) {
                let b = JournalBase::decode(payload).ok_or_else(|| {
                    VfsError::Corrupt("the journal's base record is damaged".into())
                })?;
                base = Some(b);
                continue;
            }
            let Some(op) = Op::decode(payload) else { break };
            ops.push(op);
        }
        Ok((base, ops))
    }
}

impl Journal {
    /// Replaces `<dir>/journal` by one holding only `base` (a journal rebased by a commit while
    /// mounted), durably: a new file renamed over it; then opens it for appending.
    pub fn write_rebased(dir: &Path, base: &JournalBase) -> VfsResult<Journal> {
        let tmp = dir.join("journal.tmp");
        let mut f = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(&tmp)
            .map_err(io("creating the rebased journal"))?;
        f.write_all(&frame(&base.encode()))
            .map_err(io("writing the rebased journal"))?;
        f.sync_all().map_err(io("syncing the rebased journal"))?;
        drop(f);
        std::fs::rename(&tmp, dir.join("journal")).map_err(io("replacing the journal"))?;
        crate::staging::sync_dir(dir).map_err(io("syncing the staging directory"))?;
        Journal::open(dir)
    }
}

/// One record: length (u32 LE), CRC-32 (u32 LE), payload.
fn frame(payload: &[u8]) -> Vec<u8> {
    let mut rec = Vec::with_capacity(payload.len() + 8);
    rec.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    rec.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    rec.extend_from_slice(payload);
    rec
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_a_torn_tail_is_dropped() {
        let dir = std::env::temp_dir().join(format!("wimfs-journal-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let ops = vec![
            Op::Create {
                parent: 1,
                name: b"a".to_vec(),
                ino: 9,
                perm: 0o644,
                staged: 3,
            },
            Op::Rename {
                parent: 1,
                name: b"a".to_vec(),
                new_parent: 2,
                new_name: "é".into(),
                no_replace: true,
            },
            Op::SetAttr {
                ino: 9,
                perm: Some(0o600),
                uid: None,
                gid: Some(5),
                atime: None,
                mtime: Some(1 << 60),
            },
            Op::Remove {
                parent: 2,
                name: b"x".to_vec(),
                dir: false,
            },
        ];
        let mut j = Journal::open(&dir).expect("open");
        for op in &ops {
            j.append(op).expect("append");
        }
        drop(j);
        assert_eq!(Journal::read_all(&dir).expect("read"), ops);
        // A torn last record and garbage after it are ignored.
        let path = dir.join("journal");
        let mut bytes = std::fs::read(&path).expect("read");
        bytes.truncate(bytes.len() - 3);
        std::fs::write(&path, &bytes).expect("write");
        assert_eq!(Journal::read_all(&dir).expect("read"), ops[..3].to_vec());
        bytes.extend_from_slice(&[0xff; 40]);
        std::fs::write(&path, &bytes).expect("write");
        assert_eq!(Journal::read_all(&dir).expect("read"), ops[..3].to_vec());
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn a_rebased_journal_reads_back_its_base_then_its_changes() {
        let dir = std::env::temp_dir().join(format!("wimfs-journal-base-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let mut old = Journal::open(&dir).expect("open");
        let op = Op::Remove {
            parent: 1,
            name: b"x".to_vec(),
            dir: false,
        };
        old.append(&op).expect("append");
        drop(old);
        let base = JournalBase {
            fingerprint: "ab12".into(),
            len: 9,
            map: vec![1, 7, 3],
        };
        let mut j = Journal::write_rebased(&dir, &base).expect("rebase");
        assert_eq!(
            Journal::read_based(&dir).expect("read"),
            (Some(base.clone()), vec![])
        );
        j.append(&op).expect("append");
        assert_eq!(
            Journal::read_based(&dir).expect("read"),
            (Some(base.clone()), vec![op.clone()])
        );
        assert_eq!(Journal::read_all(&dir).expect("read"), vec![op]);
        // A damaged base is an error, not an empty journal replayed onto the wrong image.
        let mut bytes = std::fs::read(dir.join("journal")).expect("read");
        let len = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
        bytes[9] = 0xff; // the fingerprint's length now runs past the record
        let crc = crc32fast::hash(&bytes[8..8 + len]);
        bytes[4..8].copy_from_slice(&crc.to_le_bytes());
        std::fs::write(dir.join("journal"), &bytes).expect("write");
        assert!(Journal::read_based(&dir).is_err());
        std::fs::remove_dir_all(&dir).ok();
    }
}
