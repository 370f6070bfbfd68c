//! `isofs`: mount ISO 9660 / Joliet / Rock Ridge / UDF images read-only with FUSE, without root.
//!
//! ```text
//! isofs mount IMAGE DIR [--tree iso9660|joliet|rockridge|udf] [--cache-mb N] [--allow-other]
//!                       [--inner PATH] [--foreground] [-v] [--log FILE]
//! isofs mount --all HOSTDIR DIR [--wim] [--idle-secs N] ...
//! isofs unmount DIR [--lazy]
//! isofs info IMAGE [--extract-boot DIR]
//! ```
//!
//! IMAGE may be `OUTER.iso:/inner.iso` (an image inside an image, read in place).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{CommandFactory, Parser, Subcommand};
use common::backend::fuse::FuseOptions;
use isofs::info::ImageInfo;
use isofs::{IsoFs, OpenOptions, TreeKind};
use mount_helper::collection::{CollectionFs, CollectionOptions};
use mount_helper::helper_args;
use mount_helper::serving_args::ServingArgs;
use mount_helper::source::ImageSource;
use mount_helper::spill_args::SpillArgs;
use mount_helper::web::{HttpArgs, SourceOptions};
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
    /// Mount IMAGE read-only on DIR (or, with --all, every ISO below a directory).
    Mount {
        /// The image file or http(s) URL (OUTER.iso:/inner.iso for an image inside an image);
        /// with --all, the directory holding the images.
        image: PathBuf,
        /// The mount point (an existing, empty directory).
        dir: PathBuf,
        /// Open this file inside IMAGE instead: the same as IMAGE:PATH, for image paths that
        /// contain ':'.
        #[arg(long, value_name = "PATH", conflicts_with = "all")]
        inner: Option<PathBuf>,
        /// Serve every *.iso below the directory IMAGE, one directory each (named like the
        /// file), each opened on first access and closed when idle.
        #[arg(long)]
        all: bool,
        /// With --all: show the images of WIM/ESD files (inside the ISOs and beside them) as
        /// NAME.wim.d/INDEX/ directories.
        #[arg(long, requires = "all")]
        wim: bool,
        /// With --all: close images unused for this many seconds.
        #[arg(long, default_value_t = 120, requires = "all")]
        idle_secs: u64,
        /// Which directory tree to serve (default: rockridge, else udf, else joliet, else
        /// iso9660).
        #[arg(long, value_parser = parse_tree)]
        tree: Option<TreeKind>,
        /// Memory for decompressed blocks (zisofs; with --wim, the WIM chunks of all images,
        /// as much as `wimfs mount` uses for one), in MiB.
        #[arg(long, default_value_t = 256)]
        cache_mb: usize,
        /// With --all --wim: the disk tier for solid WIM chunks.
        #[command(flatten)]
        spill: SpillArgs,
        #[command(flatten)]
        serving: ServingArgs,
        /// Stay in the foreground until unmounted.
        #[arg(short, long)]
        foreground: bool,
        #[command(flatten)]
        http: HttpArgs,
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
        /// The image file or URL (or OUTER.iso:/inner.iso).
        image: PathBuf,
        /// Describe this file inside IMAGE instead (for image paths that contain ':').
        #[arg(long, value_name = "PATH")]
        inner: Option<PathBuf>,
        /// Write the El Torito boot images into this directory.
        #[arg(long, value_name = "DIR")]
        extract_boot: Option<PathBuf>,
        #[command(flatten)]
        http: HttpArgs,
    },
    /// Write the man pages into DIR (for packaging; docs/man holds them).
    #[command(name = "__man", hide = true)]
    Man {
        /// Where to write them.
        dir: PathBuf,
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

/// How an image is mounted (the parts of `isofs mount` that are not the source).
struct MountSettings {
    dir: PathBuf,
    tree: Option<TreeKind>,
    cache_mb: usize,
    spill: SpillArgs,
    serving: ServingArgs,
    foreground: bool,
}

impl MountSettings {
    fn request(&self, fsname: String) -> MountRequest {
        MountRequest {
            mountpoint: self.dir.clone(),
            foreground: self.foreground,
            fuse: FuseOptions {
                fsname,
                subtype: "isofs".into(),
                allow_other: self.serving.allow_other,
                threads: 4,
                files_ahead: self.serving.files_ahead(),
            },
        }
    }
}

fn mount(source: &ImageSource, m: &MountSettings, sources: &SourceOptions) -> Result<(), String> {
    // Recognize the image in the parent (cheap: descriptors only) so a bad image or an absent
    // tree fails before forking; the daemon builds the tree once.
    let source = source.canonicalize()?;
    let name = source.display();
    let opts = open_options(m.tree);
    let cache = m.cache_mb.saturating_mul(1 << 20);
    let bytes = source.open(sources)?;
    let info = ImageInfo::from_source(bytes.as_ref()).map_err(|e| format!("{name}: {e}"))?;
    if let Some(t) = m.tree {
        if !info.recognized.trees().contains(&t) {
            return Err(format!("{name}: the image has no {t} tree"));
        }
    }
    run_mount(&m.request(name.clone()), move || {
        IsoFs::open(bytes, &opts, cache)
            .map(Arc::new)
            .map_err(|e| format!("{name}: {e}"))
    })
}

fn mount_all(host_dir: &Path, wim: bool, idle_secs: u64, m: &MountSettings) -> Result<(), String> {
    let root = host_dir
        .canonicalize()
        .map_err(|e| format!("{}: {e}", host_dir.display()))?;
    if !root.is_dir() {
        return Err(format!("{}: --all needs a directory", root.display()));
    }
    let mountpoint = mountpoint::check_mountpoint(&m.dir)?;
    if mountpoint.starts_with(&root) {
        return Err(format!(
            "the mount point {} is inside {}: pick one outside it",
            mountpoint.display(),
            root.display()
        ));
    }
    let opts = open_options(m.tree);
    let options = CollectionOptions {
        root: root.clone(),
        mountpoint,
        wim,
        idle_secs: idle_secs.max(1),
        cache_bytes: m.cache_mb.saturating_mul(1 << 20),
        spill: m.spill.clone(),
        tree: m.tree,
        uid: opts.uid,
        gid: opts.gid,
    };
    run_mount(&m.request(root.display().to_string()), move || {
        Ok(Arc::new(CollectionFs::new(options)))
    })
}

fn info(
    source: &ImageSource,
    extract_boot: Option<PathBuf>,
    sources: &SourceOptions,
) -> Result<(), String> {
    let name = source.display();
    let bytes = source.open(sources)?;
    let info = ImageInfo::from_source(bytes.as_ref()).map_err(|e| format!("{name}: {e}"))?;
    sources.print_pinned();
    print!("{info}");
    if let Some(dir) = extract_boot {
        let written = info
            .extract_boot_from(bytes.as_ref(), &dir)
            .map_err(|e| format!("extracting boot images: {e}"))?;
        for p in written {
            println!("wrote {}", p.display());
        }
    }
    Ok(())
}

fn write_man(dir: &Path) -> Result<(), String> {
    let helper = mount_helper::manpages::helper_command(
        "isofs",
        helper_args::ISOFS_OPTIONS,
        helper_args::ISOFS_EXAMPLES,
    );
    for p in mount_helper::manpages::write_all(Cli::command(), helper, dir)? {
        println!("{}", p.display());
    }
    Ok(())
}

fn main() -> ExitCode {
    let (args, helper) = match helper_args::command_line("isofs", helper_args::isofs_args) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("mount.isofs: {e}");
            return ExitCode::FAILURE;
        }
    };
    let cli = Cli::parse_from(args);
    if helper.as_ref().is_some_and(|h| h.fake) {
        return ExitCode::SUCCESS;
    }
    logging::init(cli.verbose, cli.log.as_deref());
    if matches!(
        &cli.command,
        Command::Mount {
            foreground: false,
            all: false,
            ..
        }
    ) {
        // The image is opened before the daemon forks: no HTTP threads until then.
        common::http::no_worker_threads_in_this_process();
    }
    let result = match cli.command {
        Command::Mount {
            image,
            dir,
            inner,
            all,
            wim,
            idle_secs,
            tree,
            cache_mb,
            spill,
            serving,
            foreground,
            http,
        } => {
            let settings = MountSettings {
                dir,
                tree,
                cache_mb,
                spill,
                serving,
                foreground,
            };
            if all {
                mount_all(&image, wim, idle_secs, &settings)
            } else {
                let source = ImageSource::resolve(&image, inner.as_deref());
                http.options()
                    .and_then(|o| source.and_then(|source| mount(&source, &settings, &o)))
            }
        }
        Command::Man { dir } => write_man(&dir),
        Command::Unmount { dir, lazy } => mountpoint::unmount(&dir, "isofs", lazy),
        Command::Info {
            image,
            inner,
            extract_boot,
            http,
        } => http.options().and_then(|o| {
            ImageSource::resolve(&image, inner.as_deref())
                .and_then(|source| info(&source, extract_boot, &o))
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("isofs: {e}");
            if helper.is_some() {
                ExitCode::from(helper_args::MOUNT_FAILURE)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
