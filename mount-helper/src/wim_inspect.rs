//! `wimfs info`, `verify` and `extract`, and opening a WIM from the command line's terms (a
//! path or URL, `OUTER:/inner` or `--inner`, split parts).

use std::path::Path;
use std::sync::Arc;

use common::cache::ChunkCache;
use wimfs::{WimFile, WimFs, WimFsOptions};

use crate::source::{ImageSource, NamedSource};
use crate::spill_args::SpillArgs;
use crate::web::SourceOptions;

pub fn progress_bar(label: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg:>16} [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_message(label.to_string());
    bar
}

pub fn check_integrity(wim: &WimFile) -> Result<(), String> {
    let bar = progress_bar("integrity");
    let outcomes = wimfs::verify::check_integrity(wim, &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    });
    bar.finish_and_clear();
    for o in outcomes.map_err(|e| e.to_string())? {
        match o {
            wimfs::verify::IntegrityOutcome::Absent => println!("integrity table: none"),
            wimfs::verify::IntegrityOutcome::Ok { chunks } => {
                println!("integrity table: OK ({chunks} chunks)")
            }
        }
    }
    Ok(())
}

pub fn verify(
    path: &Path,
    inner: Option<&Path>,
    refs: &[String],
    opts: &SourceOptions,
) -> Result<(), String> {
    let wim = open_wim(path, inner, refs, ChunkCache::new(256 << 20), opts)?;
    check_integrity(&wim)?;
    let bar = progress_bar("blobs");
    let failures = wimfs::verify::verify_blobs(&wim, &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    });
    bar.finish_and_clear();
    let count = wim.blobs().count() + wim.image_count() as usize;
    if failures.is_empty() {
        println!("blobs: all {count} match their SHA-1");
        return Ok(());
    }
    for f in &failures {
        eprintln!("{}: {}", f.what, f.error);
    }
    Err(format!("{} of {count} blobs are damaged", failures.len()))
}

/// Opens the WIM at `path` (a file or URL, or `OUTER:/inner`, or `--inner` inside `path`)
/// with its parts.
pub fn open_wim(
    path: &Path,
    inner: Option<&Path>,
    refs: &[String],
    cache: ChunkCache,
    opts: &SourceOptions,
) -> Result<WimFile, String> {
    let cache = Arc::new(cache);
    let source = ImageSource::resolve(path, inner)?;
    if let ImageSource::Inside { .. } = source {
        if !refs.is_empty() {
            return Err("--ref cannot be combined with a WIM inside another image".into());
        }
        // A split WIM inside an image: its parts are found beside it.
        return WimFile::from_sources(source.open_wim_parts(opts)?, cache)
            .map_err(|e| e.to_string());
    }
    let refs = crate::refs::expand(refs)?;
    let any_url = refs
        .iter()
        .any(|r| r.to_str().is_some_and(common::http::is_url));
    if source.host_file().is_some() && !any_url {
        return WimFile::open_with_refs(path, &refs, cache).map_err(|e| e.to_string());
    }
    // Parts on a web server (or a mix of files and URLs).
    let mut sources: Vec<NamedSource> = vec![(source.open(opts)?, source.display())];
    for r in refs {
        if r == path {
            continue;
        }
        let part = ImageSource::resolve(&r, None)?;
        sources.push((part.open(opts)?, part.display()));
    }
    WimFile::from_sources(sources, cache).map_err(|e| e.to_string())
}

pub fn human(bytes: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < units.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", units[u])
    }
}

pub fn info(
    path: &Path,
    inner: Option<&Path>,
    image: Option<&str>,
    xml: bool,
    refs: &[String],
    opts: &SourceOptions,
) -> Result<(), String> {
    let wim = open_wim(path, inner, refs, ChunkCache::new(64 << 20), opts)?;
    if xml {
        println!("{}", wim.xml());
        return Ok(());
    }
    let h = wim.header();
    let selected = image
        .map(|i| wim.select_image(i))
        .transpose()
        .map_err(|e| e.to_string())?;
    if selected.is_none() {
        println!(
            "Path:        {}",
            ImageSource::resolve(path, inner)?.display()
        );
        opts.print_pinned();
        println!("Version:     0x{:x}", h.version);
        println!("Compression: {}", h.compression.name());
        println!("Chunk size:  {} bytes", h.chunk_size);
        println!("Part:        {}/{}", h.part_number, h.total_parts);
        println!("Images:      {}", h.image_count);
        println!("Boot index:  {}", h.boot_index);
        println!(
            "Integrity:   {}",
            if h.integrity.size_in_wim > 0 {
                "yes"
            } else {
                "no"
            }
        );
        println!();
        println!(
            "{:>5}  {:<30} {:>9} {:>7} {:>12}",
            "Index", "Name", "Files", "Dirs", "Total bytes"
        );
    }
    for index in 1..=wim.image_count() {
        if selected.is_some_and(|s| s != index) {
            continue;
        }
        let info = wim.image_info(index);
        let name = info.and_then(|i| i.name.clone()).unwrap_or_default();
        let (mut files, mut dirs, mut bytes) = (
            info.and_then(|i| i.file_count),
            info.and_then(|i| i.dir_count),
            info.and_then(|i| i.total_bytes),
        );
        if files.is_none() || dirs.is_none() || bytes.is_none() {
            let tree = wimfs::ImageTree::load(&wim, index).map_err(|e| e.to_string())?;
            let (d, f) = tree.counts();
            dirs = dirs.or(Some(d));
            files = files.or(Some(f));
            bytes = bytes.or(Some(tree.live().map(|(_, i)| i.data.size()).sum()));
        }
        if selected.is_some() {
            println!("Index:       {index}");
            for (k, v) in info.map(|i| i.properties.as_slice()).unwrap_or(&[]) {
                println!("{k:<28} {v}");
            }
            continue;
        }
        println!(
            "{index:>5}  {name:<30} {:>9} {:>7} {:>12}  ({})",
            files.unwrap_or(0),
            dirs.unwrap_or(0),
            bytes.unwrap_or(0),
            human(bytes.unwrap_or(0))
        );
    }
    Ok(())
}

pub fn extract(
    path: &Path,
    inner: Option<&Path>,
    image: &str,
    dest: &Path,
    threads: Option<usize>,
    refs: &[String],
    opts: &SourceOptions,
) -> Result<(), String> {
    let wim = Arc::new(open_wim(
        path,
        inner,
        refs,
        SpillArgs::default().cache(256 << 20),
        opts,
    )?);
    let index = wim.select_image(image).map_err(|e| e.to_string())?;
    let fs = WimFs::new(wim, index, WimFsOptions::default()).map_err(|e| e.to_string())?;
    let threads =
        threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let (files, bytes) = crate::extract::extract(&fs, dest, threads)?;
    eprintln!(
        "extracted {files} files, {} to {}",
        human(bytes),
        dest.display()
    );
    Ok(())
}
