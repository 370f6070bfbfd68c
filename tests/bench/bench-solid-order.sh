#!/usr/bin/env bash
# Solid ESD read-all through our mount, in tar order and in shuffled file order, with the
# default cache and with --cache-mb 16, side by side with `wimlib-imagex apply` of the same
# image to tmpfs (issue 14's targets: <= 2x apply in tar order, <= 3x shuffled).
#
#   tests/bench/bench-solid-order.sh ESD
#
# ESD: a solid WIM, e.g. `wimlib-imagex export big-lzx.wim 1 solid.esd --solid
# --solid-chunk-size=67108864` of tests/fixtures/make-big-fixture.sh's WIM (BIG_FIXTURE_MB=400).
# Env: WIMFS (default <repo>/target/release/wimfs), RUNS (default 1, median reported),
# ORDERS (default "tar shuffled") and CACHES (--cache-mb values, default "256 16") to run
# some rows only.
# Each run is cold: page cache dropped, fresh mount. For our mount the root xattr
# wimfs.cache_stats gives the bytes decoded (decoded/served), the root xattr
# fuse.request_counts the FUSE requests per directory entry, and /proc the daemon's peak RSS
# (VmHWM: anonymous memory plus mapped file pages, such as a solid chunk being decoded into the
# spill file) and its peak anonymous RSS (RssAnon, sampled every 20 ms), the highest of the
# runs.
set -euo pipefail

HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
REPO=$(readlink -f "$HERE/../..")
# shellcheck source=lib.sh
source "$HERE/lib.sh"
ESD=$(readlink -f "${1:?usage: $0 ESD}")
WIMFS=${WIMFS:-$REPO/target/release/wimfs}
RUNS=${RUNS:-1}
ORDERS=${ORDERS:-tar shuffled}
CACHES=${CACHES:-256 16}
WORK=$(mktemp -d /tmp/bench-solid-order.XXXXXX)
MNT=$WORK/m
APPLY=/dev/shm/bench-solid-apply.$$
mkdir -p "$MNT"
cleanup() {
    "$WIMFS" unmount "$MNT" 2>/dev/null || fusermount3 -uz "$MNT" 2>/dev/null || true
    rm -rf "$WORK" "$APPLY"
}
trap cleanup EXIT

served=$(wimlib-imagex info "$ESD" 1 | awk -F': *' '/^Total Bytes/ { print $2 }')
entries=$(wimlib-imagex info "$ESD" 1 | awk -F': *' '/^(Directory|File) Count/ { n += $2 } END { print n }')

time_apply() {
    rm -rf "$APPLY"
    drop_caches
    local t0 t1
    t0=$(now)
    wimlib-imagex apply "$ESD" 1 "$APPLY" >/dev/null
    t1=$(now)
    elapsed "$t0" "$t1"
    rm -rf "$APPLY"
}

# Prints "seconds decoded_bytes peak_rss_kb peak_anon_kb requests" for one cold read of the
# mount in ORDER.
time_mount() { # ORDER CACHE_MB
    local order=$1 cache=$2 t0 t1 pid stats
    drop_caches
    "$WIMFS" mount --cache-mb "$cache" "$ESD" 1 "$MNT"
    pid=$(pgrep -f -- "$(basename "$WIMFS") mount --cache-mb $cache $ESD" | head -n1)
    local anon_file=$WORK/anon
    echo 0 >"$anon_file"
    (
        peak=0
        while a=$(awk '/^RssAnon/ { print $2 }' "/proc/$pid/status" 2>/dev/null) && [[ -n $a ]]; do
            if ((a > peak)); then peak=$a && echo "$peak" >"$anon_file"; fi
            sleep 0.02
        done
    ) &
    local sampler=$!
    t0=$(now)
    if [[ $order == tar ]]; then
        (cd "$MNT" && tar cf - . | cat >/dev/null)
    else
        (cd "$MNT" && find . -type f | shuf --random-source=<(yes) | tr '\n' '\0' | xargs -0 cat >/dev/null)
    fi
    t1=$(now)
    stats=$(getfattr --only-values -n wimfs.cache_stats "$MNT")
    local requests
    requests=$(getfattr --only-values -n fuse.request_counts "$MNT" |
        tr ' ' '\n' | awk -F= '$1 != "getxattr" { n += $2 } END { print n }')
    local rss
    rss=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
    "$WIMFS" unmount "$MNT"
    wait "$sampler" 2>/dev/null || true
    local decoded
    decoded=$(sed -n 's/.*decoded_bytes=\([0-9]*\).*/\1/p' <<<"$stats")
    echo "$(elapsed "$t0" "$t1") $decoded $rss $(cat "$anon_file") $requests"
}

apply_times=()
for _ in $(seq "$RUNS"); do apply_times+=("$(time_apply)"); done
apply_s=$(median "${apply_times[@]}")

echo "# bench-solid-order.sh $ESD ($(du -m "$ESD" | cut -f1) MB, $served bytes in image 1), wimfs $(git -C "$REPO" rev-parse --short HEAD), RUNS=$RUNS, load at start $(cut -d' ' -f1-3 /proc/loadavg), caches dropped: $CAN_DROP"
echo "wimlib-imagex apply to tmpfs: ${apply_s}s"
echo "| order | --cache-mb | wimfs s | apply s | ratio (target) | decoded/served | FUSE requests/entry | peak RSS MiB (bound) | peak RssAnon MiB |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for order in $ORDERS; do
    for cache in $CACHES; do
        secs=()
        max_rss=0
        max_anon=0
        for _ in $(seq "$RUNS"); do
            read -r s decoded rss anon requests < <(time_mount "$order" "$cache")
            secs+=("$s")
            ((rss > max_rss)) && max_rss=$rss
            ((anon > max_anon)) && max_anon=$anon
        done
        rss=$max_rss
        anon=$max_anon
        s=$(median "${secs[@]}")
        target=2
        [[ $order == shuffled ]] && target=3
        echo "| $order | $cache | $s | $apply_s | $(ratio "$s" "$apply_s") (<= $target) | $(ratio "$decoded" "$served") | $(ratio "$requests" "$entries") | $((rss / 1024)) (<= $((cache + 64))) | $((anon / 1024)) |"
    done
done
