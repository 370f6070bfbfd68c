#!/bin/bash
# Benchmarks isofs against fuseiso and 7-Zip on the same ISO, printing a markdown table.
#
#   isofs/bench/bench-iso.sh [WORKDIR]     (default WORKDIR /tmp/isofs-bench)
#
# Builds (once) an ISO with a 1 GiB file and a tree of 20,000 small files in 400 directories
# (xorriso, Rock Ridge + Joliet), then times, each on a fresh mount (the image itself is in the
# host page cache, so the numbers compare the filesystems, not the disk):
#   - sequential read of the 1 GiB file (cat > /dev/null; 7zz: x -so > /dev/null)
#   - find -ls of the whole tree (7zz: l)
# Needs xorriso, fuseiso, 7zz (or 7z), fusermount3. ISOFS=path overrides the isofs binary
# (default: a release build of this workspace). RUNS=N repeats each measure (best of N).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=${1:-/tmp/isofs-bench}
runs=${RUNS:-3}
mkdir -p "$work"
iso=$work/bench.iso
if [[ ! -f $iso ]]; then
    rm -rf "$work/src" && mkdir -p "$work/src/tree"
    head -c 1G /dev/urandom > "$work/src/big.bin"
    for d in $(seq 1 400); do
        mkdir -p "$work/src/tree/dir$d"
        for f in $(seq 1 50); do echo "file $d/$f" > "$work/src/tree/dir$d/file$f.txt"; done
    done
    xorriso -as mkisofs -R -J -o "$iso" "$work/src" >/dev/null 2>&1
    rm -rf "$work/src"
fi
if [[ -z "${ISOFS:-}" ]]; then
    (cd "$root" && cargo build -q --release -p mount-helper --bin isofs)
    ISOFS=${CARGO_TARGET_DIR:-$root/target}/release/isofs
fi
sevenz=$(command -v 7zz || command -v 7z)
mnt=$work/mnt
mkdir -p "$mnt"
cat "$iso" > /dev/null # warm the host page cache

now() { date +%s.%N; }
best() { # best of $runs for the command "$@"; prints seconds
    local best=""
    for _ in $(seq "$runs"); do
        local t0 t1
        t0=$(now); "$@" > /dev/null 2>&1; t1=$(now)
        best=$(echo "$t0 $t1 ${best:-999999}" | awk '{d=$2-$1; print (d<$3)?d:$3}')
    done
    echo "$best"
}
mounted() { # TOOL ACTION: mount with TOOL, run ACTION, unmount
    local tool=$1 action=$2
    case $tool in
        isofs) "$ISOFS" mount "$iso" "$mnt" ;;
        fuseiso) fuseiso "$iso" "$mnt" ;;
    esac
    case $action in
        read) cat "$mnt/big.bin" > /dev/null ;;
        find) find "$mnt" -ls > /dev/null ;;
    esac
    fusermount3 -u "$mnt"
}
export -f mounted
export ISOFS iso mnt

declare -A t
for tool in isofs fuseiso; do
    for action in read find; do
        t[$tool.$action]=$(best bash -c "mounted $tool $action")
    done
done
t[7z.read]=$(best bash -c "'$sevenz' x -so '$iso' big.bin > /dev/null")
t[7z.find]=$(best "$sevenz" l "$iso")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
mbps() { awk -v s="$1" 'BEGIN { printf "%.0f MiB/s", 1024 / s }'; }
echo "| measure | isofs | fuseiso | 7-Zip | fuseiso / isofs | 7-Zip / isofs |"
echo "|---|---|---|---|---|---|"
printf "| read 1 GiB file | %.2f s (%s) | %.2f s (%s) | %.2f s (%s) | %s | %s |\n" \
    "${t[isofs.read]}" "$(mbps "${t[isofs.read]}")" "${t[fuseiso.read]}" \
    "$(mbps "${t[fuseiso.read]}")" "${t[7z.read]}" "$(mbps "${t[7z.read]}")" \
    "$(ratio "${t[fuseiso.read]}" "${t[isofs.read]}")" "$(ratio "${t[7z.read]}" "${t[isofs.read]}")"
printf "| find -ls, 20,400 entries (7-Zip: l) | %.2f s | %.2f s | %.2f s | %s | %s |\n" \
    "${t[isofs.find]}" "${t[fuseiso.find]}" "${t[7z.find]}" \
    "$(ratio "${t[fuseiso.find]}" "${t[isofs.find]}")" "$(ratio "${t[7z.find]}" "${t[isofs.find]}")"
echo
echo "Best of $runs runs each; mount and unmount included for isofs and fuseiso; $(nproc) cores."
