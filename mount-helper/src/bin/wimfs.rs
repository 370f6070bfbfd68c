//! `wimfs`: inspect and mount Windows Imaging Format (WIM) images.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, CommandFactory, Parser, Subcommand};
use common::backend::fuse::FuseOptions;
use mount_helper::helper_args;
use mount_helper::serving_args::ServingArgs;
use mount_helper::spill_args::SpillArgs;
use mount_helper::web::HttpArgs;
use mount_helper::wim_inspect::{check_integrity, extract, info, open_wim, verify};
use mount_helper::{logging, mountpoint, run_mount_with, MountRequest};
use wimfs::{WimFs, WimFsOptions};

#[derive(Parser, Debug)]
#[command(
    name = "wimfs",
    version,
    about = "Mount and inspect Windows WIM images"
)]
struct Cli {
    /// More logging (-v info, -vv debug, -vvv trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Show the WIM's header and its images.
    Info {
        /// The WIM file (or an http:// or https:// URL).
        wim: PathBuf,
        /// Show only this image (index or name).
        image: Option<String>,
        /// Print the raw XML data instead.
        #[arg(long)]
        xml: bool,
        /// Open this file inside the given image (an ISO) instead: the same as writing
        /// IMAGE:PATH, for image paths that contain ':'.
        #[arg(long, value_name = "PATH")]
        inner: Option<PathBuf>,
        /// Other parts of a split WIM (paths, URLs or quoted patterns like 'install*.swm').
        #[arg(long = "ref", value_name = "PATH")]
        refs: Vec<String>,
        #[command(flatten)]
        http: HttpArgs,
    },
    /// Mount an image (read-only) on a directory.
    Mount(MountArgs),
    /// Extract an image to a directory (decoding in parallel), like `wimlib-imagex apply`.
    Extract {
        /// The WIM file (or URL).
        wim: PathBuf,
        /// The image: index or name.
        image: String,
        /// Destination directory.
        dest: PathBuf,
        /// Decoding threads (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
        /// Open this file inside the given image (an ISO) instead: the same as writing
        /// IMAGE:PATH, for image paths that contain ':'.
        #[arg(long, value_name = "PATH")]
        inner: Option<PathBuf>,
        /// Other parts of a split WIM.
        #[arg(long = "ref", value_name = "PATH")]
        refs: Vec<String>,
        #[command(flatten)]
        http: HttpArgs,
    },
    /// List live read-write mounts and staged changes left behind.
    Status,
    /// Commit a live read-write mount and stay mounted (DIR), or commit changes left staged by
    /// an interrupted read-write mount without mounting (WIM).
    ///
    /// With DIR (like DISM /Commit-Image), the changes made so far are written into the WIM as
    /// crash-safely as by `wimfs unmount --commit`, and the mount stays read-write: later
    /// changes build on the committed image, and the next commit writes only what changed
    /// since. While it runs, changes through the mount fail with EBUSY; reads go on. Files open
    /// for reading keep reading; a file open for writing makes it refuse unless --force.
    Commit {
        /// The mount point of a read-write mount, or the WIM file.
        #[arg(value_name = "DIR|WIM")]
        wim: PathBuf,
        /// The staging directory (default: the WIM's only leftover one).
        #[arg(long)]
        staging: Option<PathBuf>,
        /// Add an integrity table.
        #[arg(long)]
        check: bool,
        /// DIR: commit even while files are open for writing (as they are now; they stay open).
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        new_image: NewImageArgs,
    },
    /// Discard changes left staged by an interrupted read-write mount of this WIM.
    Cleanup {
        /// The WIM file.
        wim: PathBuf,
    },
    /// Check the integrity table (if any) and the SHA-1 of every blob and metadata resource.
    Verify {
        /// Also repair what an interrupted write left: truncate an orphaned tail, clear the
        /// WRITE_IN_PROGRESS flag.
        #[arg(long)]
        repair: bool,
        /// The WIM file.
        wim: PathBuf,
        /// Open this file inside the given image (an ISO) instead: the same as writing
        /// IMAGE:PATH, for image paths that contain ':'.
        #[arg(long, value_name = "PATH")]
        inner: Option<PathBuf>,
        /// Other parts of a split WIM.
        #[arg(long = "ref", value_name = "PATH")]
        refs: Vec<String>,
        #[command(flatten)]
        http: HttpArgs,
    },
    /// Unmount a wimfs mount (read-write mounts: commit or discard the changes first).
    Unmount {
        /// The mount point.
        dir: PathBuf,
        /// Write the changes into the WIM (read-write mounts).
        #[arg(long, conflicts_with = "discard")]
        commit: bool,
        /// Drop the changes (read-write mounts).
        #[arg(long)]
        discard: bool,
        /// Commit or discard even while files are open.
        #[arg(long)]
        force: bool,
        /// Add an integrity table when committing.
        #[arg(long, requires = "commit")]
        check: bool,
        /// After committing, rewrite the WIM compacted (a new file renamed over the old one).
        #[arg(long, requires = "commit")]
        rebuild: bool,
        /// Detach now even if busy (lazy unmount; read-only mounts).
        #[arg(long)]
        lazy: bool,
        #[command(flatten)]
        new_image: NewImageArgs,
    },
    /// Write the man pages into DIR (for packaging; docs/man holds them).
    #[command(name = "__man", hide = true)]
    Man {
        /// Where to write them.
        dir: PathBuf,
    },
}

/// `--new-image [--image-name NAME]` of `commit` and `unmount --commit`.
#[derive(Args, Debug)]
struct NewImageArgs {
    /// Append the changed tree to the WIM as a new image (like DISM /Unmount-Image /Commit
    /// /Append, or wimlib's --new-image); the mounted image stays exactly as it was.
    #[arg(long)]
    new_image: bool,
    /// The new image's name (default: the original's name with " (2)", or the next free
    /// number); a name another image has is refused.
    #[arg(long, value_name = "NAME", requires = "new_image")]
    image_name: Option<String>,
}

impl NewImageArgs {
    fn get(&self) -> Option<wimfs::commit::NewImage> {
        self.new_image.then(|| wimfs::commit::NewImage {
            name: self.image_name.clone(),
        })
    }
}

#[derive(Args, Debug)]
struct MountArgs {
    /// The WIM file (or an http:// or https:// URL).
    wim: PathBuf,
    /// The image: its 1-based index or its name.
    image: String,
    /// The mount point (an existing directory).
    dir: PathBuf,
    /// Decoded-chunk cache budget in MiB.
    #[arg(long, default_value_t = 256)]
    cache_mb: usize,
    #[command(flatten)]
    spill: SpillArgs,
    #[command(flatten)]
    serving: ServingArgs,
    /// Stay in the foreground (default: return once mounted, serving from a daemon).
    #[arg(short, long)]
    foreground: bool,
    /// Worker threads serving requests.
    #[arg(long, default_value_t = 4)]
    threads: usize,
    /// Append the daemon's log to this file.
    #[arg(long)]
    log_file: Option<PathBuf>,
    /// Other parts of a split WIM (paths or quoted patterns like 'install*.swm').
    #[arg(long = "ref", value_name = "PATH")]
    refs: Vec<String>,
    /// Open this file inside the given image (an ISO) instead: the same as writing
    /// WIM:PATH, for image paths that contain ':'.
    #[arg(long, value_name = "PATH", conflicts_with = "rw")]
    inner: Option<PathBuf>,
    /// Verify the WIM's integrity table (if it has one) before mounting.
    #[arg(long)]
    check: bool,
    /// Read-write: changes are staged on local disk until `wimfs unmount --commit`.
    #[arg(long)]
    rw: bool,
    /// Where to stage changes (default: under $XDG_CACHE_HOME/wimfs/staging).
    #[arg(long, requires = "rw")]
    staging_dir: Option<PathBuf>,
    /// Continue the changes a killed or interrupted read-write mount left staged.
    #[arg(long, requires = "rw")]
    resume: bool,
    #[command(flatten)]
    http: HttpArgs,
}

fn mount(args: &MountArgs, verbose: u8) -> Result<(), String> {
    if args.rw && args.wim.to_str().is_some_and(common::http::is_url) {
        return Err(format!(
            "{}: a WIM on a web server mounts read-only; --rw needs a local WIM file (download it first)",
            mount_helper::source::ImageSource::resolve(&args.wim, None)?.display()
        ));
    }
    // Validate the WIM and the image before forking so mistakes are reported at once.
    let wim = open_wim(
        &args.wim,
        args.inner.as_deref(),
        &args.refs,
        args.spill.cache(args.cache_mb.saturating_mul(1 << 20)),
        &args.http.options()?,
    )?;
    let index = wim.select_image(&args.image).map_err(|e| e.to_string())?;
    if args.check {
        check_integrity(&wim)?;
    }
    let mountpoint = mountpoint::check_mountpoint(&args.dir)?;
    let request = MountRequest {
        mountpoint: mountpoint.clone(),
        foreground: args.foreground,
        fuse: FuseOptions {
            fsname: wim.name().to_string(),
            subtype: "wimfs".into(),
            allow_other: args.serving.allow_other,
            threads: args.threads,
            files_ahead: args.serving.files_ahead(),
        },
    };
    #[cfg(unix)]
    // SAFETY: getuid/getgid cannot fail.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    // Windows has no uids; access follows the security descriptors.
    #[cfg(not(unix))]
    let (uid, gid) = (0, 0);
    if args.rw && wim.path().is_none() {
        return Err(format!(
            "{} lives inside another image and can only be mounted read-only",
            args.wim.display()
        ));
    }
    let (staging_dir, resume, lock) = if args.rw {
        let lock = mount_helper::wim_lock::lock_wim(&args.wim)?;
        let (dir, resume) = mount_helper::wim_rw::choose_staging(
            &args.wim,
            index,
            args.staging_dir.as_deref(),
            args.resume,
        )?;
        (Some(dir), resume, Some(lock))
    } else {
        if args.resume {
            return Err("--resume needs --rw".into());
        }
        (None, false, None)
    };
    let opts = WimFsOptions {
        staging_dir,
        resume,
        mount_root: Some(mountpoint.display().to_string()),
        uid,
        gid,
    };
    let wim = Arc::new(wim);
    let log_file = args.log_file.clone();
    let foreground = args.foreground;
    let rw = args.rw;
    let control_mountpoint = mountpoint.clone();
    run_mount_with(
        &request,
        move || {
            if !foreground {
                logging::init(verbose, log_file.as_deref());
            }
            let fs = WimFs::new(wim, index, opts).map_err(|e| format!("image {index}: {e}"))?;
            Ok(Arc::new(fs))
        },
        move |fs, unmounter| {
            // The WIM's read-write lock lives as long as the daemon serves the mount.
            if let Some(lock) = lock {
                lock.keep_until_unmounted();
            }
            if rw {
                mount_helper::wim_rw::start_journal_sync(Arc::clone(&fs));
                let controller = Arc::new(mount_helper::wim_rw::WimController::new(fs, unmounter));
                mount_helper::control::serve(&control_mountpoint, controller)?;
            }
            Ok(())
        },
    )
}

fn write_man(dir: &Path) -> Result<(), String> {
    let helper = mount_helper::manpages::helper_command(
        "wimfs",
        helper_args::WIMFS_OPTIONS,
        helper_args::WIMFS_EXAMPLES,
    );
    for p in mount_helper::manpages::write_all(Cli::command(), helper, dir)? {
        println!("{}", p.display());
    }
    Ok(())
}

fn main() -> ExitCode {
    let (args, helper) = match helper_args::command_line("wimfs", helper_args::wimfs_args) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("mount.wimfs: {e}");
            return ExitCode::FAILURE;
        }
    };
    let cli = Cli::parse_from(args);
    if helper.as_ref().is_some_and(|h| h.fake) {
        return ExitCode::SUCCESS;
    }
    let daemon = matches!(&cli.command, Command::Mount(m) if !m.foreground);
    if !daemon {
        logging::init(cli.verbose, None);
    } else {
        // The image is opened before the daemon forks: no HTTP threads until then.
        common::http::no_worker_threads_in_this_process();
    }
    let result = match &cli.command {
        Command::Info {
            wim,
            image,
            xml,
            inner,
            refs,
            http,
        } => http
            .options()
            .and_then(|o| info(wim, inner.as_deref(), image.as_deref(), *xml, refs, &o)),
        Command::Mount(args) => mount(args, cli.verbose),
        Command::Extract {
            wim,
            image,
            dest,
            threads,
            inner,
            refs,
            http,
        } => http
            .options()
            .and_then(|o| extract(wim, inner.as_deref(), image, dest, *threads, refs, &o)),
        Command::Verify {
            wim,
            inner,
            refs,
            repair,
            http,
        } => http.options().and_then(|o| {
            if *repair {
                if inner.is_some() || wim.to_str().is_some_and(common::http::is_url) {
                    Err("--repair needs a local WIM file".into())
                } else {
                    mount_helper::wim_rw::repair(wim).and_then(|()| verify(wim, None, refs, &o))
                }
            } else {
                verify(wim, inner.as_deref(), refs, &o)
            }
        }),
        Command::Status => mount_helper::wim_rw::status(),
        Command::Man { dir } => write_man(dir),
        Command::Commit {
            wim,
            staging,
            check,
            new_image,
            force,
        } => {
            if wim.is_dir() {
                if new_image.get().is_some() {
                    Err("--new-image applies to a WIM file (offline) or to `wimfs unmount DIR --commit`; a live commit updates the mounted image".into())
                } else {
                    mount_helper::live_commit::commit_mounted(
                        wim,
                        staging.as_deref(),
                        *force,
                        *check,
                    )
                }
            } else if *force {
                Err("--force applies to a mounted directory, not a WIM file".into())
            } else {
                mount_helper::wim_rw::commit_offline(
                    wim,
                    staging.as_deref(),
                    *check,
                    new_image.get(),
                )
            }
        }
        Command::Cleanup { wim } => mount_helper::wim_rw::cleanup(wim),
        Command::Unmount {
            dir,
            commit,
            discard,
            force,
            check,
            rebuild,
            lazy,
            new_image,
        } => {
            if new_image.new_image && !*commit {
                Err("--new-image needs --commit".into())
            } else {
                mount_helper::wim_rw::unmount(
                    dir,
                    *commit,
                    *discard,
                    *force,
                    *check,
                    *rebuild,
                    *lazy,
                    new_image.get(),
                )
            }
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wimfs: {e}");
            if helper.is_some() {
                ExitCode::from(helper_args::MOUNT_FAILURE)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
