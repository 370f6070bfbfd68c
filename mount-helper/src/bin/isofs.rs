//! `isofs`: mount ISO 9660 / Joliet / Rock Ridge / UDF images read-only with FUSE, without root.
//!
//! ```text
//! isofs mount IMAGE DIR [--tree iso9660|joliet|rockridge|udf] [--cache-mb N] [--allow-other]
//!                       [--foreground] [-v] [--log FILE]
//! isofs unmount DIR [--lazy]
//! isofs info IMAGE [--extract-boot DIR]
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use common::backend::fuse::FuseOptions;
use isofs::info::ImageInfo;
use isofs::{IsoFs, OpenOptions, TreeKind};
use mount_helper::{logging, mountpoint, run_mount, MountRequest};

#[derive(Debug, Parser)]
#[command(
    name = "isofs",
    version,
    about = "Mount ISO 9660 and UDF images without root"
)]
struct Cli {
    /// More log output (-v info, -vv debug, -vvv trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// Append log lines to FILE instead of stderr (a daemon's stderr is /dev/null).
    #[arg(long, value_name = "FILE", global = true)]
    log: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Mount IMAGE read-only on DIR.
    Mount {
        /// The image file.
        image: PathBuf,
        /// The mount point (an existing, empty directory).
        dir: PathBuf,
        /// Which directory tree to serve (default: rockridge, else udf, else joliet, else
        /// iso9660).
        #[arg(long, value_parser = parse_tree)]
        tree: Option<TreeKind>,
        /// Memory for decompressed zisofs blocks, in MiB.
        #[arg(long, default_value_t = 64)]
        cache_mb: usize,
        /// Let other users access the mount (needs user_allow_other in /etc/fuse.conf).
        #[arg(long)]
        allow_other: bool,
        /// Stay in the foreground until unmounted.
        #[arg(short, long)]
        foreground: bool,
    },
    /// Unmount an isofs mount.
    Unmount {
        /// The mount point.
        dir: PathBuf,
        /// Detach now, clean up when no longer busy.
        #[arg(long)]
        lazy: bool,
    },
    /// Describe an image: label, trees, El Torito boot entries, partition table.
    Info {
        /// The image file.
        image: PathBuf,
        /// Write the El Torito boot images into this directory.
        #[arg(long, value_name = "DIR")]
        extract_boot: Option<PathBuf>,
    },
}

fn parse_tree(s: &str) -> Result<TreeKind, String> {
    s.parse()
}

fn open_options(tree: Option<TreeKind>) -> OpenOptions {
    #[cfg(unix)]
    // SAFETY: getuid/getgid have no preconditions and cannot fail.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    // Windows has no uids; access follows the security descriptors.
    #[cfg(not(unix))]
    let (uid, gid) = (0, 0);
    OpenOptions { tree, uid, gid }
}

fn mount(
    image: PathBuf,
    dir: PathBuf,
    tree: Option<TreeKind>,
    cache_mb: usize,
    allow_other: bool,
    foreground: bool,
) -> Result<(), String> {
    let meta = std::fs::metadata(&image).map_err(|e| format!("{}: {e}", image.display()))?;
    if meta.is_dir() {
        return Err(format!("{} is a directory, not an image", image.display()));
    }
    let image = image
        .canonicalize()
        .map_err(|e| format!("{}: {e}", image.display()))?;
    // Recognize the image in the parent (cheap: descriptors only) so a bad image or an absent
    // tree fails before forking; the daemon builds the tree once.
    let opts = open_options(tree);
    let cache = cache_mb.saturating_mul(1 << 20);
    let info = ImageInfo::read(&image).map_err(|e| format!("{}: {e}", image.display()))?;
    if let Some(t) = tree {
        if !info.recognized.trees().contains(&t) {
            return Err(format!("{}: the image has no {t} tree", image.display()));
        }
    }
    let req = MountRequest {
        mountpoint: dir,
        foreground,
        fuse: FuseOptions {
            fsname: image.display().to_string(),
            subtype: "isofs".into(),
            allow_other,
            threads: 4,
        },
    };
    run_mount(&req, move || {
        IsoFs::open_path(&image, &opts, cache)
            .map(Arc::new)
            .map_err(|e| format!("{}: {e}", image.display()))
    })
}

fn info(image: PathBuf, extract_boot: Option<PathBuf>) -> Result<(), String> {
    let info = ImageInfo::read(&image).map_err(|e| format!("{}: {e}", image.display()))?;
    print!("{info}");
    if let Some(dir) = extract_boot {
        let written = info
            .extract_boot(&image, &dir)
            .map_err(|e| format!("extracting boot images: {e}"))?;
        for p in written {
            println!("wrote {}", p.display());
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init(cli.verbose, cli.log.as_deref());
    let result = match cli.command {
        Command::Mount {
            image,
            dir,
            tree,
            cache_mb,
            allow_other,
            foreground,
        } => mount(image, dir, tree, cache_mb, allow_other, foreground),
        Command::Unmount { dir, lazy } => mountpoint::unmount(&dir, "isofs", lazy),
        Command::Info {
            image,
            extract_boot,
        } => info(image, extract_boot),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("isofs: {e}");
            ExitCode::FAILURE
        }
    }
}
