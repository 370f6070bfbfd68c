//! Man pages generated from the clap definitions (clap_mangen): one page for each binary, one
//! for each of its subcommands (`wimfs-mount.1`, ...), and section-8 pages for the mount(8)
//! helpers. `wimfs __man DIR` / `isofs __man DIR` write them; docs/man holds the committed
//! copies, and a test fails when they are stale.

use std::path::{Path, PathBuf};

use clap::{Arg, ArgAction, Command};

fn render(cmd: Command, section: &str, dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let name = cmd.get_name().to_string();
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd)
        .section(section)
        .date("")
        .render(&mut buf)
        .map_err(|e| format!("rendering {name}: {e}"))?;
    let path = dir.join(format!("{name}.{section}"));
    std::fs::write(&path, buf).map_err(|e| format!("{}: {e}", path.display()))?;
    out.push(path);
    Ok(())
}

/// Writes the pages of `cmd` (the binary) and `helper` (its mount(8) helper) into `dir`.
pub fn write_all(cmd: Command, helper: Command, dir: &Path) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut out = Vec::new();
    let mut cmd = cmd;
    cmd.build();
    let tool = cmd.get_name().to_string();
    for sub in cmd.get_subcommands() {
        if sub.is_hide_set() || sub.get_name() == "help" {
            continue;
        }
        let name = format!("{tool}-{}", sub.get_name());
        render(sub.clone().name(name), "1", dir, &mut out)?;
    }
    render(cmd, "1", dir, &mut out)?;
    render(helper, "8", dir, &mut out)?;
    Ok(out)
}

/// The clap description of `mount.TOOL` (parsing is done by [`crate::helper_args`]; this is
/// for its man page).
pub fn helper_command(tool: &str, options: &'static str, example: &'static str) -> Command {
    Command::new(format!("mount.{tool}"))
        .about(format!(
            "mount(8) helper: `mount -t {tool}` and fstab entries of type {tool}"
        ))
        .long_about(format!(
            "Called by mount(8) as `mount.{tool} SOURCE DIR -o OPTIONS` (install it with \
             scripts/install: a symlink to {tool} in /sbin). It mounts like `{tool} mount` and \
             returns once the mount is live. Unmount with umount(8), fusermount3 -u or \
             `{tool} unmount`."
        ))
        .arg(
            Arg::new("source")
                .required(true)
                .help("The image (or directory, with all)"),
        )
        .arg(Arg::new("dir").required(true).help("The mount point"))
        .arg(
            Arg::new("options")
                .short('o')
                .value_name("OPTIONS")
                .help("Comma-separated options")
                .long_help(options),
        )
        .arg(
            Arg::new("sloppy")
                .short('s')
                .action(ArgAction::SetTrue)
                .help("Ignore unknown options"),
        )
        .arg(
            Arg::new("fake")
                .short('f')
                .action(ArgAction::SetTrue)
                .help("Check the arguments, mount nothing"),
        )
        .arg(
            Arg::new("no-mtab")
                .short('n')
                .action(ArgAction::SetTrue)
                .help("Accepted and ignored"),
        )
        .arg(
            Arg::new("verbose")
                .short('v')
                .action(ArgAction::SetTrue)
                .help("More log output"),
        )
        .after_long_help(example)
}
