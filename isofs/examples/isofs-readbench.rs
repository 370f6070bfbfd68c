//! Times opening an image and reading one file through the `Vfs` trait without FUSE:
//! `isofs-readbench IMAGE PATH [CHUNK_KIB]` prints open time, read time and throughput.

use std::ffi::OsStr;
use std::path::Path;
use std::time::Instant;

use common::vfs::{Vfs, ROOT_INO};
use isofs::{IsoFs, OpenOptions};

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(image), Some(path)) = (args.get(1), args.get(2)) else {
        return Err("usage: isofs-readbench IMAGE PATH [CHUNK_KIB]".into());
    };
    let chunk: usize = args.get(3).and_then(|c| c.parse().ok()).unwrap_or(128) << 10;
    let t0 = Instant::now();
    let fs = IsoFs::open_path(Path::new(image), &OpenOptions::default(), 64 << 20)
        .map_err(|e| e.to_string())?;
    let opened = t0.elapsed();
    let mut ino = ROOT_INO;
    for part in path.split('/').filter(|p| !p.is_empty()) {
        ino = fs
            .lookup(ino, OsStr::new(part))
            .map_err(|e| e.to_string())?
            .ino;
    }
    let mut buf = vec![0u8; chunk];
    let t1 = Instant::now();
    let mut off = 0u64;
    loop {
        let n = fs.read(ino, 0, off, &mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        off += n as u64;
    }
    let secs = t1.elapsed().as_secs_f64();
    println!(
        "open {:.3} s ({} inodes); read {off} bytes in {secs:.3} s = {:.0} MiB/s",
        opened.as_secs_f64(),
        fs.tree().len(),
        off as f64 / secs / 1048576.0
    );
    Ok(())
}
