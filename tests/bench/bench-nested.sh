#!/usr/bin/env bash
# Nested versus direct: the big fixture's WIM read through `wimfs mount OUTER.iso:/sources/
# install.wim` (the WIM read in place inside an ISO, through isofs) against the same WIM file
# mounted directly, side by side in one run. Target: nested within 10% of direct.
#
#   tests/bench/bench-nested.sh [FIXTURE_DIR]        (default FIXTURE_DIR: /tmp/wimfs-big)
#
# Env: WIMFS (default <repo>/target/release/wimfs), RUNS (default 3, median reported),
#      WIMS (default "big-lzx.wim big-xpress.wim"), SCRATCH (default /dev/shm/wimfs-nested.PID).
#
# For each WIM, ISOs holding it as sources/install.wim are made next to it (xorriso: ISO 9660
# + Rock Ridge; genisoimage -udf: UDF bridge). Each measurement is cold: page cache dropped,
# fresh mount; runs of the three variants alternate so load drifts hit them alike.
#   a) mount + `find -ls`            (mount time includes opening the ISO and the WIM metadata)
#   b) `tar -cf - . | cat >/dev/null` in the mount (read everything)
# Ratios are nested/direct: 1.00 = same speed, below 1.10 meets the target.
set -euo pipefail

HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
REPO=$(readlink -f "$HERE/../..")
# shellcheck source=lib.sh
source "$HERE/lib.sh"
FIX=${1:-/tmp/wimfs-big}
WIMFS=${WIMFS:-$REPO/target/release/wimfs}
RUNS=${RUNS:-3}
SCRATCH=${SCRATCH:-/dev/shm/wimfs-nested.$$}
WIMS=${WIMS:-big-lzx.wim big-xpress.wim}
CMDLINE="$0 $*"

die() {
    echo "bench-nested.sh: $*" >&2
    exit 1
}
[[ -x $WIMFS ]] || die "our binary not found at $WIMFS (cargo build --release -p mount-helper)"
for t in xorriso genisoimage fusermount3 tar find; do
    command -v "$t" >/dev/null || die "required tool '$t' not found"
done
if [[ ! -f $FIX/big-lzx.wim || ! -f $FIX/big-xpress.wim ]]; then
    echo "big fixture missing in $FIX: building it (a few minutes) ..." >&2
    "$REPO/tests/fixtures/make-big-fixture.sh" "$FIX" >&2
fi

mkdir -p "$SCRATCH/mnt" "$SCRATCH/iso/sources"
MNT="$SCRATCH/mnt"
cleanup() {
    if mountpoint -q "$MNT"; then "$WIMFS" unmount "$MNT" || fusermount3 -u -z "$MNT" || true; fi
    rm -rf "$SCRATCH"
}
trap cleanup EXIT


unmount() {
    "$WIMFS" unmount "$MNT"
    local i
    for i in $(seq 100); do
        mountpoint -q "$MNT" || return 0
        sleep 0.1
    done
    die "$MNT still mounted"
}

measure_find() { # SOURCE
    drop_caches
    local t0 t1
    t0=$(now)
    "$WIMFS" mount "$1" 1 "$MNT"
    find "$MNT" -ls >/dev/null
    t1=$(now)
    unmount
    elapsed "$t0" "$t1"
}

measure_tar() { # SOURCE
    "$WIMFS" mount "$1" 1 "$MNT"
    drop_caches
    local t0 t1
    t0=$(now)
    (cd "$MNT" && tar -cf - . | cat >/dev/null)
    t1=$(now)
    unmount
    elapsed "$t0" "$t1"
}

ROWS=()
for wim in $WIMS; do
    W="$FIX/$wim"
    [[ -f $W ]] || die "no $W"
    RR="$FIX/${wim%.wim}-rr.iso"
    UDF="$FIX/${wim%.wim}-udf.iso"
    if [[ ! -f $RR || ! -f $UDF || $RR -ot $W || $UDF -ot $W ]]; then
        echo "making ISOs holding $wim ..." >&2
        ln -f "$W" "$SCRATCH/iso/sources/install.wim" 2>/dev/null || cp "$W" "$SCRATCH/iso/sources/install.wim"
        xorriso -as mkisofs -R -J -o "$RR" "$SCRATCH/iso" 2>/dev/null
        genisoimage -quiet -udf -o "$UDF" "$SCRATCH/iso"
        rm -f "$SCRATCH/iso/sources/install.wim"
    fi
    for m in find tar; do
        d=() r=() u=()
        echo "benchmarking $wim: $m ($RUNS runs each) ..." >&2
        for _ in $(seq "$RUNS"); do
            d+=("$(measure_$m "$W")")
            r+=("$(measure_$m "$RR:/sources/install.wim")")
            u+=("$(measure_$m "$UDF:/sources/install.wim")")
        done
        D=$(median "${d[@]}") R=$(median "${r[@]}") U=$(median "${u[@]}")
        case $m in
        find) what="mount + \`find -ls\`" ;;
        tar) what="\`tar -cf - . \\| cat\` (read all)" ;;
        esac
        ROWS+=("| $wim | $what | $D | $R ($(ratio "$R" "$D")) | $U ($(ratio "$U" "$D")) |")
    done
done

echo
echo "## Nested WIM-in-ISO vs direct ($(date -u '+%F %H:%M UTC'))"
echo
echo "Command: \`$CMDLINE\` (WIMFS=$WIMFS RUNS=$RUNS)"
echo
echo "- machine: $(nproc) cores, kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- $("$WIMFS" --version), repo HEAD $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')"
echo
echo "| WIM | measurement | direct (s) | inside RR ISO (s, ratio) | inside UDF ISO (s, ratio) |"
echo "| --- | --- | ---: | ---: | ---: |"
printf '%s\n' "${ROWS[@]}"
