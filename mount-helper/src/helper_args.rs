//! The mount(8) helper convention: `mount -t wimfs SOURCE DIR -o OPTS` (and fstab entries)
//! run `/sbin/mount.wimfs SOURCE DIR [-sfnv] [-N NS] [-o OPTS] [-t TYPE]`. When our binaries
//! are invoked under the names `mount.wimfs` / `mount.isofs` (symlinks installed by
//! `scripts/install`), the call is translated here into the equivalent `wimfs mount ...` /
//! `isofs mount ...` command line, so both paths share one implementation.
//!
//! mount(8) passes `rw` whenever `ro` is not given, so `rw` cannot be what asks for a writable
//! WIM: that is the option `writable` (see docs/user-guide.md). Generic options that only
//! concern mount(8) or the kernel (`defaults`, `nofail`, `noauto`, `user`, `_netdev`,
//! `nosuid`, `x-*`, ...) are accepted and ignored; anything else unknown is an error, unless
//! `-s` (sloppy) is given.

use std::ffi::{OsStr, OsString};
use std::path::Path;

/// Exit status of a helper whose mount failed (mount(8)'s "mount failure").
pub const MOUNT_FAILURE: u8 = 32;

/// Options every helper accepts and ignores: mount(8)'s own, and VFS flags FUSE applies anyway.
const IGNORED: &[&str] = &[
    "rw",
    "defaults",
    "auto",
    "noauto",
    "nofail",
    "user",
    "users",
    "nouser",
    "owner",
    "group",
    "_netdev",
    "exec",
    "noexec",
    "suid",
    "nosuid",
    "dev",
    "nodev",
    "async",
    "sync",
    "atime",
    "noatime",
    "relatime",
    "norelatime",
    "strictatime",
    "nostrictatime",
    "diratime",
    "nodiratime",
    "lazytime",
    "nolazytime",
    "silent",
    "loud",
];

/// The options of `mount.wimfs`, for its man page (one paragraph each).
pub const WIMFS_OPTIONS: &str = "Comma-separated options:

ro: read-only, the default (the rw that mount(8) passes otherwise is ignored).

writable: read-write; changes are staged on local disk until `wimfs unmount --commit`. An \
unmount by umount(8) or fusermount3 -u keeps them staged for `wimfs commit WIM`, `wimfs mount \
--rw --resume` or `wimfs cleanup WIM`.

index=N: the image's 1-based index (default 1).

image=NAME: the image's name instead of its index.

cache_mb=N: decoded-chunk cache budget in MiB (default 256).

allow_other: let other users access the mount (needs user_allow_other in /etc/fuse.conf \
unless mounted by root).

threads=N: worker threads serving requests.

ref=PATH: another part of a split WIM (repeat for each; patterns like install*.swm).

inner=PATH: mount the WIM at PATH inside the ISO given as SOURCE.

check: verify the integrity table first.

staging_dir=DIR: where a writable mount stages its changes.

resume: continue changes left staged by an interrupted writable mount.

log_file=FILE: append the daemon's log to FILE.

SOURCE may be an http:// or https:// URL (read-only). For those:

ca_file=FILE: trust a private CA's certificates too. http_token_file=FILE: send its token as \
Authorization: Bearer. netrc_file=FILE: credentials from this netrc file (default ~/.netrc). \
http_timeout=SECS: fail a read with EIO after this long without data (default 30). \
http_connections=N: range requests in flight. cache_dir=DIR: keep fetched blocks on disk for \
later mounts. cache_dir_max_mb=N: its budget (default 8192). Add _netdev in /etc/fstab.

Generic options (defaults, nofail, noauto, user, _netdev, nosuid, nodev, x-*, ...) are \
accepted and ignored; other unknown options are errors unless -s is given.";

/// The options of `mount.isofs`, for its man page (one paragraph each).
pub const ISOFS_OPTIONS: &str = "Comma-separated options:

ro: read-only; ISO images always are (the rw that mount(8) passes otherwise is ignored).

tree=KIND: iso9660, joliet, rockridge or udf (default: the image's best).

cache_mb=N: memory for decompressed blocks, in MiB.

allow_other: let other users access the mount.

inner=PATH: mount the ISO at PATH inside the ISO given as SOURCE.

all: SOURCE is a directory; every *.iso below it appears as a directory named like the file.

wim: with all, WIM/ESD files appear as NAME.wim.d/INDEX/ directories.

idle_secs=N: with all, close images unused for N seconds (default 120).

log=FILE: append the daemon's log to FILE.

SOURCE may be an http:// or https:// URL (read-only). For those:

ca_file=FILE: trust a private CA's certificates too. http_token_file=FILE: send its token as \
Authorization: Bearer. netrc_file=FILE: credentials from this netrc file (default ~/.netrc). \
http_timeout=SECS: fail a read with EIO after this long without data (default 30). \
http_connections=N: range requests in flight. cache_dir=DIR: keep fetched blocks on disk for \
later mounts. cache_dir_max_mb=N: its budget (default 8192). Add _netdev in /etc/fstab.

Generic options (defaults, nofail, noauto, user, _netdev, nosuid, nodev, x-*, ...) are \
accepted and ignored; other unknown options are errors unless -s is given.";

/// Examples for the man page of `mount.wimfs`.
pub const WIMFS_EXAMPLES: &str = "\
Examples:
  mount -t wimfs -o index=2 /srv/images/install.wim /mnt/wim
  mount -t wimfs /media/usb/Win11.iso:/sources/install.wim /mnt/wim
  # /etc/fstab:
  /srv/images/install.wim  /mnt/wim  wimfs  ro,index=1,allow_other,nofail  0 0
  https://deploy.example/install.wim  /mnt/web  wimfs  ro,index=1,cache_dir=/var/cache/wimfs,_netdev,nofail  0 0";

/// Examples for the man page of `mount.isofs`.
pub const ISOFS_EXAMPLES: &str = "\
Examples:
  mount -t isofs /srv/iso/debian.iso /mnt/deb
  mount -t isofs -o all,wim /media/me/Ventoy /mnt/ventoy
  # /etc/fstab:
  /srv/iso/debian.iso  /mnt/deb  isofs  ro,tree=udf,allow_other,nofail  0 0";

/// A helper invocation, parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HelperCall {
    /// What to mount.
    pub source: OsString,
    /// Where.
    pub dir: OsString,
    /// The `-o` options, split at commas.
    pub options: Vec<String>,
    /// `-s`: ignore unknown options.
    pub sloppy: bool,
    /// `-f`: check everything, mount nothing.
    pub fake: bool,
    /// `-v`.
    pub verbose: bool,
}

/// The helper name our binary runs as (`mount.wimfs` for "wimfs"), if `argv0` is it.
pub fn is_helper_name(argv0: &OsStr, tool: &str) -> bool {
    Path::new(argv0)
        .file_name()
        .and_then(OsStr::to_str)
        .is_some_and(|n| n.strip_prefix("mount.") == Some(tool))
}

/// The process's command line for clap: as given, or, when the binary runs as
/// `mount.TOOL`, translated by `translate` (the helper call is returned too).
pub fn command_line(
    tool: &str,
    translate: fn(&HelperCall) -> Result<Vec<OsString>, String>,
) -> Result<(Vec<OsString>, Option<HelperCall>), String> {
    let args: Vec<OsString> = std::env::args_os().collect();
    match args.first() {
        Some(argv0) if is_helper_name(argv0, tool) => {
            let call = parse(&args[1..])?;
            Ok((translate(&call)?, Some(call)))
        }
        _ => Ok((args, None)),
    }
}

/// Parses `mount.TOOL SOURCE DIR [flags]` (`args` without argv0).
pub fn parse(args: &[OsString]) -> Result<HelperCall, String> {
    let mut call = HelperCall::default();
    let mut positional = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let s = a.to_str().unwrap_or("");
        match s {
            "-o" => {
                let v = it.next().ok_or("-o needs a value")?;
                push_options(&mut call.options, v)?;
            }
            "-N" | "-t" => {
                it.next().ok_or_else(|| format!("{s} needs a value"))?;
            }
            _ if s.starts_with("-o") => push_options(&mut call.options, OsStr::new(&s[2..]))?,
            _ if s.starts_with('-') && s.len() > 1 && !s.starts_with("--") => {
                for flag in s[1..].chars() {
                    match flag {
                        's' => call.sloppy = true,
                        'f' => call.fake = true,
                        'v' => call.verbose = true,
                        'n' => {}
                        _ => return Err(format!("unknown flag -{flag}")),
                    }
                }
            }
            _ => positional.push(a.clone()),
        }
    }
    let [source, dir]: [OsString; 2] = positional
        .try_into()
        .map_err(|_| "usage: mount.TYPE SOURCE DIR [-sfnv] [-o OPTIONS]".to_string())?;
    call.source = source;
    call.dir = dir;
    Ok(call)
}

fn push_options(out: &mut Vec<String>, opts: &OsStr) -> Result<(), String> {
    let opts = opts.to_str().ok_or("-o options must be UTF-8")?;
    out.extend(opts.split(',').filter(|o| !o.is_empty()).map(str::to_owned));
    Ok(())
}

/// One option as (name, value).
fn split(opt: &str) -> (&str, Option<&str>) {
    match opt.split_once('=') {
        Some((k, v)) => (k, Some(v)),
        None => (opt, None),
    }
}

fn ignored(name: &str) -> bool {
    IGNORED.contains(&name) || name.starts_with("x-") || name.starts_with("X-") || name == "comment"
}

/// The options of HTTP(S) sources, the same for both helpers.
const HTTP_MAP: &[(&str, &str, bool)] = &[
    ("ca_file", "--ca-file", true),
    ("http_token_file", "--http-token-file", true),
    ("netrc_file", "--netrc-file", true),
    ("http_timeout", "--http-timeout", true),
    ("http_connections", "--http-connections", true),
    ("cache_dir", "--cache-dir", true),
    ("cache_dir_max_mb", "--cache-dir-max-mb", true),
];

/// Translates options into `--flags` with the table `map` (and [`HTTP_MAP`]) (option name, flag, takes a value);
/// `extra` handles options the table does not cover.
fn translate(
    call: &HelperCall,
    map: &[(&str, &str, bool)],
    mut extra: impl FnMut(&str, Option<&str>) -> Option<Result<(), String>>,
) -> Result<Vec<OsString>, String> {
    let mut out: Vec<OsString> = Vec::new();
    for opt in &call.options {
        let (name, value) = split(opt);
        if let Some(&(_, flag, takes)) = map.iter().chain(HTTP_MAP).find(|(n, _, _)| *n == name) {
            match (takes, value) {
                (true, Some(v)) => out.extend([flag.into(), v.into()]),
                (false, None) => out.push(flag.into()),
                (true, None) => return Err(format!("option {name} needs a value ({name}=...)")),
                (false, Some(_)) => return Err(format!("option {name} takes no value")),
            }
            continue;
        }
        if let Some(r) = extra(name, value) {
            r?;
            continue;
        }
        if !(ignored(name) || call.sloppy) {
            return Err(format!("unknown option {opt}"));
        }
    }
    Ok(out)
}

/// `wimfs mount ...` for a `mount.wimfs` call. Options: `ro`, `writable`, `index=N` or
/// `image=NAME` (default 1), `cache_mb=N`, `allow_other`, `threads=N`, `ref=PATH`, `check`,
/// `inner=PATH`, `staging_dir=DIR`, `resume`, `log_file=FILE`.
pub fn wimfs_args(call: &HelperCall) -> Result<Vec<OsString>, String> {
    const MAP: &[(&str, &str, bool)] = &[
        ("writable", "--rw", false),
        ("cache_mb", "--cache-mb", true),
        ("allow_other", "--allow-other", false),
        ("threads", "--threads", true),
        ("ref", "--ref", true),
        ("check", "--check", false),
        ("inner", "--inner", true),
        ("staging_dir", "--staging-dir", true),
        ("resume", "--resume", false),
        ("log_file", "--log-file", true),
    ];
    let mut image: Option<String> = None;
    let flags = translate(call, MAP, |name, value| match (name, value) {
        ("index" | "image", Some(v)) => Some(if image.replace(v.to_owned()).is_some() {
            Err("give one of index= or image=".into())
        } else {
            Ok(())
        }),
        ("ro", None) => Some(Ok(())),
        _ => None,
    })?;
    let image: OsString = image.unwrap_or_else(|| "1".into()).into();
    Ok(mount_command(
        "wimfs",
        call,
        flags,
        [call.source.clone(), image, call.dir.clone()],
    ))
}

/// `isofs mount ...` for a `mount.isofs` call. Options: `ro`, `tree=KIND`, `cache_mb=N`,
/// `allow_other`, `inner=PATH`, `all`, `wim`, `idle_secs=N`, `log=FILE`.
pub fn isofs_args(call: &HelperCall) -> Result<Vec<OsString>, String> {
    const MAP: &[(&str, &str, bool)] = &[
        ("tree", "--tree", true),
        ("cache_mb", "--cache-mb", true),
        ("allow_other", "--allow-other", false),
        ("inner", "--inner", true),
        ("all", "--all", false),
        ("wim", "--wim", false),
        ("idle_secs", "--idle-secs", true),
        ("log", "--log", true),
    ];
    let flags = translate(call, MAP, |name, value| match (name, value) {
        ("ro", None) => Some(Ok(())),
        ("writable", _) => Some(Err("ISO images are always mounted read-only".into())),
        _ => None,
    })?;
    Ok(mount_command(
        "isofs",
        call,
        flags,
        [call.source.clone(), call.dir.clone()],
    ))
}

/// `TOOL [-v] mount FLAGS... POSITIONAL...`.
fn mount_command(
    tool: &str,
    call: &HelperCall,
    flags: Vec<OsString>,
    positional: impl IntoIterator<Item = OsString>,
) -> Vec<OsString> {
    let mut out: Vec<OsString> = vec![tool.into()];
    if call.verbose {
        out.push("-v".into());
    }
    out.push("mount".into());
    out.extend(flags);
    out.extend(positional);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    #[test]
    fn helper_names_are_recognized() {
        assert!(is_helper_name(OsStr::new("/sbin/mount.wimfs"), "wimfs"));
        assert!(is_helper_name(OsStr::new("mount.isofs"), "isofs"));
        assert!(!is_helper_name(OsStr::new("/usr/bin/wimfs"), "wimfs"));
        assert!(!is_helper_name(OsStr::new("mount.wimfs"), "isofs"));
    }

    #[test]
    fn fstab_options_become_command_lines() {
        let call = parse(&os(&[
            "/srv/install.wim",
            "/mnt/wim",
            "-o",
            "ro,index=2,allow_other,nofail,cache_mb=64,x-systemd.automount",
        ]))
        .expect("parses");
        assert_eq!(
            wimfs_args(&call).expect("translates"),
            os(&[
                "wimfs",
                "mount",
                "--allow-other",
                "--cache-mb",
                "64",
                "/srv/install.wim",
                "2",
                "/mnt/wim"
            ])
        );
        // mount(8)'s implicit rw does not make a WIM writable; `writable` does.
        let call =
            parse(&os(&["w.wim", "/m", "-o", "rw,image=Pro,writable", "-v"])).expect("parses");
        assert_eq!(
            wimfs_args(&call).expect("translates"),
            os(&["wimfs", "-v", "mount", "--rw", "w.wim", "Pro", "/m"])
        );
        let call = parse(&os(&[
            "https://h/x.wim",
            "/m",
            "-o",
            "ro,cache_dir=/c,_netdev",
        ]))
        .expect("parses");
        assert_eq!(
            wimfs_args(&call).expect("translates"),
            os(&[
                "wimfs",
                "mount",
                "--cache-dir",
                "/c",
                "https://h/x.wim",
                "1",
                "/m"
            ])
        );
        let call = parse(&os(&["/iso", "/m", "-oro,tree=udf,all,wim", "-n"])).expect("parses");
        assert_eq!(
            isofs_args(&call).expect("translates"),
            os(&["isofs", "mount", "--tree", "udf", "--all", "--wim", "/iso", "/m"])
        );
    }

    #[test]
    fn mistakes_are_reported() {
        let bad = parse(&os(&["a", "b", "-o", "bogus"])).expect("parses");
        assert!(wimfs_args(&bad).is_err_and(|e| e.contains("bogus")));
        let sloppy = parse(&os(&["a", "b", "-s", "-o", "bogus"])).expect("parses");
        assert!(wimfs_args(&sloppy).is_ok());
        let two = parse(&os(&["a", "b", "-o", "index=1,image=x"])).expect("parses");
        assert!(wimfs_args(&two).is_err());
        let novalue = parse(&os(&["a", "b", "-o", "cache_mb"])).expect("parses");
        assert!(wimfs_args(&novalue).is_err());
        assert!(parse(&os(&["only-one"])).is_err());
        assert!(parse(&os(&["a", "b", "-o"])).is_err());
        let w = parse(&os(&["a", "b", "-o", "writable"])).expect("parses");
        assert!(isofs_args(&w).is_err());
    }
}
