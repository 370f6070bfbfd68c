#!/usr/bin/env bash
# Reading ahead across files, measured: a cold `tar cf - . | cat` of each image through our
# mount with the hand-over of files ahead (the default) and without it (--no-files-ahead),
# the two alternating run by run, plus `wimlib-imagex apply` (WIMs) or `xorriso -extract`
# (ISOs) of the same image to tmpfs as the reference.
#
#   tests/bench/bench-files-ahead.sh IMAGE...
#
# IMAGE: a WIM/ESD (image 1 is read, with wimfs) or an ISO (isofs). Env: RUNS (default 3,
# medians reported), CACHE_MB (wimfs --cache-mb, default 256), WIMFS / ISOFS (default
# <repo>/target/release/...). Every run is cold: page cache dropped, fresh mount. Reported per
# image: seconds with and without the hand-over, the READ requests of each (root xattr
# fuse.request_counts), and each against the reference.
set -euo pipefail

HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
REPO=$(readlink -f "$HERE/../..")
# shellcheck source=lib.sh
source "$HERE/lib.sh"
[[ $# -ge 1 ]] || { echo "usage: $0 IMAGE..." >&2; exit 2; }
RUNS=${RUNS:-3}
CACHE_MB=${CACHE_MB:-256}
WIMFS=${WIMFS:-$REPO/target/release/wimfs}
ISOFS=${ISOFS:-$REPO/target/release/isofs}
WORK=$(mktemp -d /tmp/bench-files-ahead.XXXXXX)
MNT=$WORK/m
OUT=/dev/shm/bench-files-ahead.$$
mkdir -p "$MNT"
cleanup() {
    fusermount3 -uz "$MNT" 2>/dev/null || true
    rm -rf "$WORK" "$OUT"
}
trap cleanup EXIT

is_iso() { [[ $1 == *.iso || $1 == *.ISO ]]; }

# Prints "seconds reads" for one cold tar through the mount of IMAGE with OPTS.
time_tar() { # IMAGE OPTS...
    local image=$1 t0 t1 reads
    shift
    drop_caches
    if is_iso "$image"; then
        "$ISOFS" mount "$@" "$image" "$MNT"
    else
        "$WIMFS" mount --cache-mb "$CACHE_MB" "$@" "$image" 1 "$MNT"
    fi
    t0=$(now)
    (cd "$MNT" && tar cf - . | cat >/dev/null)
    t1=$(now)
    reads=$(getfattr --only-values -n fuse.request_counts "$MNT" 2>/dev/null |
        tr ' ' '\n' | awk -F= '$1 == "read" { print $2 }')
    fusermount3 -u "$MNT"
    echo "$(elapsed "$t0" "$t1") $reads"
}

time_reference() { # IMAGE
    local image=$1 t0 t1
    rm -rf "$OUT"
    drop_caches
    t0=$(now)
    if is_iso "$image"; then
        xorriso -osirrox on -indev "stdio:$image" -extract / "$OUT" >/dev/null 2>&1
    else
        wimlib-imagex apply "$image" 1 "$OUT" >/dev/null
    fi
    t1=$(now)
    rm -rf "$OUT"
    elapsed "$t0" "$t1"
}

echo "# bench-files-ahead.sh $*, RUNS=$RUNS, --cache-mb $CACHE_MB, wimfs $(git -C "$REPO" rev-parse --short HEAD), load at start $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| image | with hand-over s (READs) | without s (READs) | with / without | reference s | with / reference | without / reference |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for image in "$@"; do
    image=$(readlink -f "$image")
    on=() off=() on_reads=() off_reads=() ref=()
    for _ in $(seq "$RUNS"); do
        read -r s r < <(time_tar "$image")
        on+=("$s") on_reads+=("$r")
        read -r s r < <(time_tar "$image" --no-files-ahead)
        off+=("$s") off_reads+=("$r")
        ref+=("$(time_reference "$image")")
    done
    a=$(median "${on[@]}") b=$(median "${off[@]}") c=$(median "${ref[@]}")
    echo "| $(basename "$image") | $a ($(median "${on_reads[@]}")) | $b ($(median "${off_reads[@]}")) | $(ratio "$a" "$b") | $c | $(ratio "$a" "$c") | $(ratio "$b" "$c") |"
done
echo "# load at end $(cut -d' ' -f1-3 /proc/loadavg); caches dropped: $CAN_DROP"
