//! The Ventoy-like stick (tests/fixtures/make-ventoy-stick.sh, built once per target directory
//! under a file lock, cached by the script's hash), its mount as an unmount-on-drop guard, and a
//! watchdog that fails the test binary instead of letting a hung read hang CI.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use tests::process::which;
use tests::{fixture_dir, is_root, script_fixture, skip_unless_ci, MountGuard, TempDir};

use crate::support::isofs;

/// One WIM image of the stick and its oracle.
#[derive(Debug)]
pub struct Image {
    /// Where `--all --wim` shows it, relative to the mount root.
    pub mount_path: PathBuf,
    /// `wimlib-imagex apply` of it.
    pub applied: PathBuf,
    /// The WIM (first part for the split set).
    pub wim: PathBuf,
    /// Image index.
    pub index: u32,
}

/// One ISO of the stick and the tree it was made from.
#[derive(Debug)]
pub struct Iso {
    /// Relative to the stick (and to the mount root).
    pub path: PathBuf,
    /// The source tree.
    pub source: PathBuf,
}

/// The built fixture.
#[derive(Debug)]
pub struct Stick {
    /// The fixture directory (OUTDIR of the script).
    pub dir: PathBuf,
    /// The stick itself.
    pub root: PathBuf,
    pub images: Vec<Image>,
    pub isos: Vec<Iso>,
}

impl Stick {
    /// The image whose mount path contains `part`.
    pub fn image(&self, part: &str) -> &Image {
        self.images
            .iter()
            .find(|i| i.mount_path.to_string_lossy().contains(part))
            .unwrap_or_else(|| panic!("no image {part} in images.tsv"))
    }
}

/// What this test needs and does not have.
fn missing_prerequisites() -> Vec<String> {
    let mut missing: Vec<String> = ["wimlib-imagex", "xorriso", "genisoimage", "fusermount3"]
        .into_iter()
        .filter(|t| which(t).is_none())
        .map(String::from)
        .collect();
    let pycdlib = Command::new("python3")
        .args(["-c", "import pycdlib"])
        .status()
        .is_ok_and(|s| s.success());
    if !pycdlib {
        missing.push("python3 with pycdlib".into());
    }
    if !is_root() {
        missing.push("root (mknod of the fixture's device nodes)".into());
    }
    if !Path::new("/dev/fuse").exists() {
        missing.push("/dev/fuse".into());
    }
    missing
}

fn read_tsv(path: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.split('\t').map(String::from).collect())
        .collect()
}

fn build() -> Stick {
    let dir = script_fixture("make-ventoy-stick.sh", &fixture_dir("ventoy-stick"));
    let images = read_tsv(&dir.join("images.tsv"))
        .into_iter()
        .map(|f| Image {
            mount_path: PathBuf::from(&f[0]),
            applied: dir.join(&f[1]),
            wim: dir.join(&f[2]),
            index: f[3].parse().expect("image index"),
        })
        .collect();
    let isos = read_tsv(&dir.join("isos.tsv"))
        .into_iter()
        .map(|f| Iso {
            path: PathBuf::from(&f[0]),
            source: dir.join(&f[1]),
        })
        .collect();
    Stick {
        root: dir.join("stick"),
        dir,
        images,
        isos,
    }
}

/// The stick, built on first use. `None` (the test then returns) only when a prerequisite is
/// missing outside CI; under CI a missing prerequisite fails the test.
pub fn stick() -> Option<&'static Stick> {
    static STICK: OnceLock<Option<Stick>> = OnceLock::new();
    STICK
        .get_or_init(|| {
            let missing = missing_prerequisites();
            if missing.is_empty() {
                return Some(build());
            }
            let msg = format!(
                "ventoy_stick needs {}: run scripts/install-deps as root",
                missing.join(", ")
            );
            skip_unless_ci(&msg);
            None
        })
        .as_ref()
}

/// `isofs mount --all --wim [OPTIONS] STICK POINT` in a scratch directory, unmounted on drop
/// (also when the test panics), then the directory removed.
pub struct Mounted {
    pub point: PathBuf,
    _mount: MountGuard,
    _dir: TempDir,
}

impl Mounted {
    pub fn new(stick: &Stick, name: &str) -> Mounted {
        Mounted::with_options(stick, name, &[])
    }

    pub fn with_options(stick: &Stick, name: &str, options: &[&str]) -> Mounted {
        let dir = TempDir::new(name);
        let point = dir.mkdir("m");
        let mount = MountGuard::ours(
            isofs()
                .arg("--log")
                .arg(dir.join("isofs.log"))
                .args(["mount", "--all", "--wim"])
                .args(options)
                .arg(&stick.root)
                .arg(&point),
            &point,
        );
        Mounted {
            point,
            _mount: mount,
            _dir: dir,
        }
    }
}

/// Fails the whole test binary (exit 101 after a lazy unmount) when not dropped within `secs`.
pub struct Watchdog(Arc<AtomicBool>);

impl Watchdog {
    pub fn start(what: &str, point: &Path, secs: u64) -> Watchdog {
        let done = Arc::new(AtomicBool::new(false));
        let (flag, what, point) = (done.clone(), what.to_string(), point.to_path_buf());
        std::thread::spawn(move || {
            let start = Instant::now();
            while !flag.load(Ordering::SeqCst) {
                if start.elapsed() > Duration::from_secs(secs) {
                    eprintln!("WATCHDOG: {what} did not finish within {secs} s: failing");
                    let _ = Command::new("fusermount3").arg("-uz").arg(&point).status();
                    std::process::exit(101);
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        Watchdog(done)
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}
