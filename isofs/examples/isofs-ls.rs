//! Lists an image's tree through the `Vfs` trait: `isofs-ls IMAGE [TREE]` prints one line per
//! entry (kind, size, mode, path[ -> target]); warnings about skipped entries go to stderr.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use common::vfs::{FileKind, Vfs, ROOT_INO};
use isofs::{IsoFs, OpenOptions};

fn main() -> Result<(), String> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter("warn")
        .init();
    let args: Vec<String> = std::env::args().collect();
    let image = args.get(1).ok_or("usage: isofs-ls IMAGE [TREE]")?;
    let tree = args.get(2).map(|t| t.parse()).transpose()?;
    let opts = OpenOptions {
        tree,
        ..OpenOptions::default()
    };
    let fs = IsoFs::open_path(Path::new(image), &opts, 1 << 20).map_err(|e| e.to_string())?;
    eprintln!("tree: {}", fs.tree_kind());
    let mut stack = vec![(ROOT_INO, String::new())];
    while let Some((dir, prefix)) = stack.pop() {
        let mut entries = Vec::new();
        fs.readdir(dir, 0, &mut |_, e| {
            entries.push(e.clone());
            false
        })
        .map_err(|e| e.to_string())?;
        for e in entries {
            let path = format!("{prefix}/{}", e.name.to_string_lossy());
            let a = fs
                .lookup(dir, OsStr::from_bytes(e.name.as_bytes()))
                .map_err(|e| e.to_string())?;
            let kind = match a.kind {
                FileKind::Directory => {
                    stack.push((e.ino, path.clone()));
                    'd'
                }
                FileKind::Symlink => 'l',
                FileKind::File => 'f',
                FileKind::CharDevice => 'c',
                FileKind::BlockDevice => 'b',
                FileKind::Fifo => 'p',
                FileKind::Socket => 's',
            };
            let target = match a.kind {
                FileKind::Symlink => fs
                    .readlink(e.ino)
                    .map(|t| format!(" -> {}", String::from_utf8_lossy(&t)))
                    .unwrap_or_default(),
                _ => String::new(),
            };
            println!(
                "{kind} {:>12} {:04o} {}{path}{target}",
                a.size, a.perm, a.nlink
            );
        }
    }
    Ok(())
}
