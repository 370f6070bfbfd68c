#!/usr/bin/env bash
# Commit benchmark over every compression format, side by side with wimlib in one run: for each
# base WIM (LZX, XPRESS, non-solid LZMS, solid LZMS), the same files SRC are copied into a
# read-write mount of two fresh copies of it, one mounted by wimlib (`mountrw`), one by wimfs
# (`mount --rw`); then each is committed (`unmount --commit`, the timed part) and the WIM's
# growth measured. Prints a markdown table with ratios (wimfs / wimlib) and checks our WIMs with
# `wimlib-imagex verify`. SRC is copied into the mount before the timer starts, for both tools.
#
#   tests/bench/bench-commit-formats.sh [FIXTURE_DIR]   (default /tmp/wimfs-big; see make-big-fixture.sh)
#   env: WIMFS (default target/release/wimfs)
#        SRC      space-separated dirs to add (default /usr/libexec: files the fixture lacks)
#        FORMATS  any of "lzx xpress lzms solid" (default all four)
#        RUNS     runs per format and tool; the table shows medians (default 1)
#        SCRATCH  work directory (default /tmp/wimfs-bench-commit-formats.PID)
#
# Base WIMs: big-lzx.wim, big-xpress.wim, big-lzms.wim from make-big-fixture.sh /
# bench-wim-solid.sh; big-lzms-solid.wim (solid LZMS, wimlib's default 64 MiB chunks) is exported
# from big-lzx.wim on first use (`wimlib-imagex export --solid`, a few minutes).
set -euo pipefail
HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
REPO=$(readlink -f "$HERE/../..")
source "$HERE/lib.sh"
FIX=${1:-/tmp/wimfs-big}
WIMFS=${WIMFS:-$REPO/target/release/wimfs}
SRC=${SRC:-/usr/libexec}
FORMATS=${FORMATS:-lzx xpress lzms solid}
RUNS=${RUNS:-1}
SCRATCH=${SCRATCH:-/tmp/wimfs-bench-commit-formats.$$}
die() { echo "bench-commit-formats.sh: $*" >&2; exit 1; }
[[ -x $WIMFS ]] || die "no $WIMFS: cargo build --release -p mount-helper"
[[ -f $FIX/big-lzx.wim ]] || die "no $FIX/big-lzx.wim: run tests/fixtures/make-big-fixture.sh $FIX"
declare -A BASE=([lzx]=big-lzx.wim [xpress]=big-xpress.wim [lzms]=big-lzms.wim [solid]=big-lzms-solid.wim)
for f in $FORMATS; do
    [[ -n ${BASE[$f]:-} ]] || die "unknown format '$f' (lzx xpress lzms solid)"
    [[ -f $FIX/${BASE[$f]} ]] && continue
    case $f in
    lzms) opts=(--compress=lzms) ;;
    solid) opts=(--solid) ;;
    *) die "no $FIX/${BASE[$f]}: run tests/fixtures/make-big-fixture.sh $FIX" ;;
    esac
    echo "exporting $FIX/${BASE[$f]} (${opts[*]}) ..." >&2
    wimlib-imagex export "$FIX/big-lzx.wim" all "$FIX/${BASE[$f]}.tmp" "${opts[@]}" >/dev/null
    mv "$FIX/${BASE[$f]}.tmp" "$FIX/${BASE[$f]}"
done
mkdir -p "$SCRATCH/m"
trap 'fusermount3 -uz "$SCRATCH/m" 2>/dev/null || true; rm -rf "$SCRATCH"' EXIT
bytes=$(du -scb $SRC 2>/dev/null | tail -1 | cut -f1)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

add_files() { mkdir -p "$SCRATCH/m/added"; for s in $SRC; do cp -a "$s" "$SCRATCH/m/added/" 2>/dev/null || true; done; sync; }

# One commit with TOOL (wimlib|wimfs) into a fresh copy of BASE; prints "seconds growth verified".
commit_once() { # tool base
    local tool=$1 wim=$SCRATCH/$1.wim t0 t1 size0 ok=-
    cp "$FIX/$2" "$wim"; sync; size0=$(stat -c %s "$wim")
    if [[ $tool == wimlib ]]; then
        wimlib-imagex mountrw "$wim" 1 "$SCRATCH/m" >/dev/null
        add_files
        t0=$(now); wimlib-imagex unmount "$SCRATCH/m" --commit >/dev/null; t1=$(now)
    else
        rm -rf "$SCRATCH/st"
        "$WIMFS" mount --rw --staging-dir "$SCRATCH/st" "$wim" 1 "$SCRATCH/m"
        add_files
        t0=$(now); "$WIMFS" unmount "$SCRATCH/m" --commit >/dev/null; t1=$(now)
        wimlib-imagex verify "$wim" >/dev/null 2>&1 && ok=yes || ok=NO
    fi
    echo "$(elapsed "$t0" "$t1") $(($(stat -c %s "$wim") - size0)) $ok"
    rm -f "$wim"
}

declare -A ROW
for f in $FORMATS; do
    wl_t=() us_t=() wl_g=0 us_g=0 ver=yes
    for ((r = 0; r < RUNS; r++)); do
        read -r t g _ < <(commit_once wimlib "${BASE[$f]}"); wl_t+=("$t"); wl_g=$g
        read -r t g ok < <(commit_once wimfs "${BASE[$f]}"); us_t+=("$t"); us_g=$g
        [[ $ok == yes ]] || ver=NO
    done
    wt=$(median "${wl_t[@]}") ut=$(median "${us_t[@]}")
    ROW[$f]="| ${BASE[$f]} | $wt | $ut | $(ratio "$ut" "$wt") | $(awk -v g="$wl_g" 'BEGIN{printf "%.1f", g / 1048576}') | $(awk -v g="$us_g" 'BEGIN{printf "%.1f", g / 1048576}') | $(awk -v a="$us_g" -v b="$wl_g" 'BEGIN{printf "%.3f", a / b}') | $ver |"
    echo "done: ${ROW[$f]}" >&2
done

commit=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
echo "command: ${0#"$REPO"/} $* (WIMFS=$WIMFS, repo at $commit; SRC=$SRC, $((bytes / 1048576)) MiB added; RUNS=$RUNS; load average $load_start at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end)"
echo
echo "| base WIM | wimlib commit (s) | wimfs commit (s) | time ratio | wimlib growth (MiB) | wimfs growth (MiB) | growth ratio | wimlib verify of ours |"
echo "|---|---:|---:|---:|---:|---:|---:|---|"
for f in $FORMATS; do echo "${ROW[$f]}"; done
