#!/usr/bin/env bash
# Side-by-side benchmark of our wimfs mount against wimlib's, on the big fixture
# (tests/fixtures/make-big-fixture.sh: a real tree of this machine as LZX and XPRESS WIMs).
#
#   tests/bench/bench-wim.sh [FIXTURE_DIR]        (default FIXTURE_DIR: /tmp/wimfs-big)
#
# Env:
#   WIMFS     our binary (default: <repo>/target/release/wimfs; build with
#             `cargo build --release -p mount-helper`)
#   RUNS      runs per measurement, the median is reported (default 3)
#   SCRATCH   where decoded trees go (default /dev/shm/wimfs-bench.PID: tmpfs, so that the
#             destination's speed does not count)
#   WIMS      which fixtures (default "big-lzx.wim big-xpress.wim")
#   WIMFS_COMMIT  the commit the binary was built from, for the report (optional)
#
# Measurements, each cold: page cache dropped (echo 3 > /proc/sys/vm/drop_caches, reported if not
# permitted) and a fresh mount (so no FUSE/decoder cache survives between runs):
#   a) mount + `find DIR -ls > /dev/null`              (metadata: mount time, readdir, lstat)
#   b) `tar -cf - . | cat > /dev/null` in the mount    (read everything; the pipe matters: GNU tar
#                                                       skips reading files when the archive is
#                                                       /dev/null itself)
#   c) decode to tmpfs: `wimlib-imagex apply WIM 1 DST` vs `cp -a MOUNT/. DST` through our
#      mount (also shown: cp -a through wimlib's mount, and `wimfs extract` if it exists)
# Ratios are ours/wimlib: below 1 means wimfs is faster. On a shared machine other jobs' load
# (printed with the table) makes single numbers noisy: compare ratios from one run.
set -euo pipefail

HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
REPO=$(readlink -f "$HERE/../..")
# shellcheck source=lib.sh
source "$HERE/lib.sh"
FIX=${1:-/tmp/wimfs-big}
WIMFS=${WIMFS:-$REPO/target/release/wimfs}
RUNS=${RUNS:-3}
SCRATCH=${SCRATCH:-/dev/shm/wimfs-bench.$$}
WIMS=${WIMS:-big-lzx.wim big-xpress.wim}
CMDLINE="$0 $*"

die() {
    echo "bench-wim.sh: $*" >&2
    exit 1
}
[[ -x $WIMFS ]] || die "our binary not found at $WIMFS (cargo build --release -p mount-helper, or set WIMFS=)"
for t in wimlib-imagex fusermount3 tar find cp; do
    command -v "$t" >/dev/null || die "required tool '$t' not found"
done
if [[ ! -f $FIX/big-lzx.wim || ! -f $FIX/big-xpress.wim ]]; then
    echo "big fixture missing in $FIX: building it (a few minutes) ..." >&2
    "$REPO/tests/fixtures/make-big-fixture.sh" "$FIX" >&2
fi

mkdir -p "$SCRATCH"
MNT="$SCRATCH/mnt"
mkdir -p "$MNT"
cleanup() {
    if mountpoint -q "$MNT"; then
        "$WIMFS" unmount "$MNT" 2>/dev/null || wimlib-imagex unmount "$MNT" 2>/dev/null ||
            fusermount3 -u -z "$MNT" || true
    fi
    rm -rf "$SCRATCH"
}
trap cleanup EXIT


do_mount() { # TOOL WIM
    case $1 in
    wimfs) "$WIMFS" mount "$2" 1 "$MNT" ;;
    wimlib) wimlib-imagex mount "$2" 1 "$MNT" ;;
    esac
}
do_unmount() { # TOOL
    case $1 in
    wimfs) "$WIMFS" unmount "$MNT" ;;
    wimlib) wimlib-imagex unmount "$MNT" ;;
    esac
    local i
    for i in $(seq 100); do
        mountpoint -q "$MNT" || return 0
        sleep 0.1
    done
    die "$MNT still mounted after unmount"
}



# Each measure_* prints one time in seconds.
measure_mount_find() { # TOOL WIM
    drop_caches
    local t0 t1
    t0=$(now)
    do_mount "$1" "$2"
    find "$MNT" -ls >/dev/null
    t1=$(now)
    do_unmount "$1"
    elapsed "$t0" "$t1"
}

measure_tar() { # TOOL WIM
    do_mount "$1" "$2"
    drop_caches
    local t0 t1
    t0=$(now)
    (cd "$MNT" && tar -cf - . | cat >/dev/null)
    t1=$(now)
    do_unmount "$1"
    elapsed "$t0" "$t1"
}

measure_cp() { # TOOL WIM
    do_mount "$1" "$2"
    drop_caches
    local t0 t1
    t0=$(now)
    cp -a "$MNT/." "$SCRATCH/dst"
    t1=$(now)
    do_unmount "$1"
    rm -rf "$SCRATCH/dst"
    elapsed "$t0" "$t1"
}

measure_apply() { # WIM
    drop_caches
    local t0 t1
    t0=$(now)
    wimlib-imagex apply "$1" 1 "$SCRATCH/dst" >/dev/null
    t1=$(now)
    rm -rf "$SCRATCH/dst"
    elapsed "$t0" "$t1"
}

measure_extract() { # WIM
    drop_caches
    local t0 t1
    t0=$(now)
    "$WIMFS" extract "$1" 1 "$SCRATCH/dst" >/dev/null 2>&1
    t1=$(now)
    rm -rf "$SCRATCH/dst"
    elapsed "$t0" "$t1"
}

runs() { # FUNCTION ARGS... -> median of RUNS runs
    local times=() i
    for i in $(seq "$RUNS"); do
        times+=("$("$@")")
    done
    median "${times[@]}"
}


HAVE_EXTRACT=no
if "$WIMFS" --help 2>/dev/null | grep -q '^ *extract'; then HAVE_EXTRACT=yes; fi

ROWS=()
row() { ROWS+=("| $1 | $2 | $3 | $4 | $5 |"); }

for wim in $WIMS; do
    W="$FIX/$wim"
    [[ -f $W ]] || die "no $W"
    echo "benchmarking $wim ($RUNS runs each) ..." >&2
    a_ours=$(runs measure_mount_find wimfs "$W")
    a_ref=$(runs measure_mount_find wimlib "$W")
    row "$wim" "mount + \`find -ls\`" "$a_ours" "$a_ref (wimlib mount)" "$(ratio "$a_ours" "$a_ref")"
    b_ours=$(runs measure_tar wimfs "$W")
    b_ref=$(runs measure_tar wimlib "$W")
    row "$wim" "\`tar -cf - . \\| cat\` (read all)" "$b_ours" "$b_ref (wimlib mount)" "$(ratio "$b_ours" "$b_ref")"
    c_ours=$(runs measure_cp wimfs "$W")
    c_ref=$(runs measure_apply "$W")
    row "$wim" "decode to tmpfs: \`cp -a\` from mount vs \`wimlib-imagex apply\`" "$c_ours" "$c_ref (apply)" "$(ratio "$c_ours" "$c_ref")"
    c_wlm=$(runs measure_cp wimlib "$W")
    row "$wim" "\`cp -a\` from mount, both mounts" "$c_ours" "$c_wlm (wimlib mount)" "$(ratio "$c_ours" "$c_wlm")"
    if [[ $HAVE_EXTRACT == yes ]]; then
        e_ours=$(runs measure_extract "$W")
        row "$wim" "\`wimfs extract\` vs \`wimlib-imagex apply\`" "$e_ours" "$c_ref (apply)" "$(ratio "$e_ours" "$c_ref")"
    fi
done

echo
echo "## wimfs vs wimlib-imagex ($(date -u '+%F %H:%M UTC'))"
echo
echo "Command: \`$CMDLINE\` (WIMFS=$WIMFS RUNS=$RUNS SCRATCH=$SCRATCH)"
echo
echo "- machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- $(wimlib-imagex --version | head -n1); $("$WIMFS" --version), binary $WIMFS built $(date -u -r "$WIMFS" '+%F %H:%M UTC')${WIMFS_COMMIT:+ from commit $WIMFS_COMMIT} (repo HEAD $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?'))"
if [[ -f $FIX/big-fixture.txt ]]; then
    echo "- fixture: $(sed -n 2p "$FIX/big-fixture.txt") ($(sed -n 1p "$FIX/big-fixture.txt"))"
fi
for wim in $WIMS; do
    echo "- $wim: $(stat -c %s "$FIX/$wim" | awk '{ printf "%.1f MB", $1 / 1e6 }')"
done
if [[ $CAN_DROP == yes ]]; then
    echo "- cold cache: page cache dropped before every timed run; fresh mount per run"
else
    echo "- WARNING: could not drop the page cache (no permission): the WIM was probably cached; fresh mount per run"
fi
echo "- times: median of $RUNS runs, seconds; ratio = wimfs / reference (< 1: wimfs faster)"
echo
echo "| WIM | operation | wimfs (s) | reference (s) | ratio |"
echo "|---|---|---:|---:|---:|"
printf '%s\n' "${ROWS[@]}"
