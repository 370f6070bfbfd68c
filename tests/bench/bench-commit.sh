#!/usr/bin/env bash
# Commit benchmark, side by side in one run: the same work done with wimlib's read-write mount
# and with ours. Each copies SRC (default: /usr/bin and /usr/libexec, ~340 MB of mixed files
# that the big fixture does not already contain) into a fresh copy of the big fixture's LZX WIM
# and commits; reports commit wall time (the unmount command) and the WIM's size growth.
# (SRC is copied into the mount before the timer starts, for both tools.)
#
#   tests/bench/bench-commit.sh [FIXTURE_DIR]      (default /tmp/wimfs-big; see make-big-fixture.sh)
#   env: WIMFS (default target/release/wimfs), SRC (space-separated dirs), SCRATCH
set -euo pipefail
HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
REPO=$(readlink -f "$HERE/../..")
FIX=${1:-/tmp/wimfs-big}
WIMFS=${WIMFS:-$REPO/target/release/wimfs}
SRC=${SRC:-/usr/bin /usr/libexec}
SCRATCH=${SCRATCH:-/tmp/wimfs-bench-commit.$$}
[[ -f $FIX/big-lzx.wim ]] || { echo "no $FIX/big-lzx.wim: run tests/fixtures/make-big-fixture.sh $FIX" >&2; exit 1; }
mkdir -p "$SCRATCH/m"
trap 'fusermount3 -uz "$SCRATCH/m" 2>/dev/null || true; rm -rf "$SCRATCH"' EXIT
bytes=$(du -scb $SRC 2>/dev/null | tail -1 | cut -f1)
now() { date +%s.%N; }
sync
# wimlib
cp "$FIX/big-lzx.wim" "$SCRATCH/a.wim"; a0=$(stat -c %s "$SCRATCH/a.wim")
wimlib-imagex mountrw "$SCRATCH/a.wim" 1 "$SCRATCH/m" >/dev/null
mkdir -p "$SCRATCH/m/added"; for s in $SRC; do cp -a "$s" "$SCRATCH/m/added/" 2>/dev/null || true; done
t0=$(now); wimlib-imagex unmount "$SCRATCH/m" --commit >/dev/null; t1=$(now)
wl_time=$(awk "BEGIN{print $t1 - $t0}"); wl_grow=$(( $(stat -c %s "$SCRATCH/a.wim") - a0 ))
# ours
cp "$FIX/big-lzx.wim" "$SCRATCH/b.wim"; b0=$(stat -c %s "$SCRATCH/b.wim")
"$WIMFS" mount --rw --staging-dir "$SCRATCH/st" "$SCRATCH/b.wim" 1 "$SCRATCH/m"
mkdir -p "$SCRATCH/m/added"; for s in $SRC; do cp -a "$s" "$SCRATCH/m/added/" 2>/dev/null || true; done
t0=$(now); "$WIMFS" unmount "$SCRATCH/m" --commit >/dev/null; t1=$(now)
us_time=$(awk "BEGIN{print $t1 - $t0}"); us_grow=$(( $(stat -c %s "$SCRATCH/b.wim") - b0 ))
wimlib-imagex verify "$SCRATCH/b.wim" >/dev/null && verified=yes || verified=NO
echo "command: $0 $* (SRC=$SRC, $((bytes / 1048576)) MiB added; load average $(cut -d' ' -f1-3 /proc/loadavg))"
echo
echo "| commit of ~$((bytes / 1048576)) MiB into big-lzx.wim | wimlib-imagex | wimfs | ratio (wimfs/wimlib) |"
echo "|---|---|---|---|"
awk -v a="$wl_time" -v b="$us_time" 'BEGIN{printf "| commit wall time (s) | %.2f | %.2f | %.2f |\n", a, b, b / a}'
awk -v a="$wl_grow" -v b="$us_grow" 'BEGIN{printf "| WIM growth (MiB) | %.1f | %.1f | %.3f |\n", a / 1048576, b / 1048576, b / a}'
echo
echo "wimlib-imagex verify of our committed WIM: $verified"
