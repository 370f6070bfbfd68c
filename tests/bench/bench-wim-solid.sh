#!/usr/bin/env bash
# Side-by-side benchmark of our wimfs mount against wimlib's on LZMS WIMs: a solid (ESD-like)
# WIM and a non-solid LZMS WIM of the big fixture's tree (tests/fixtures/make-big-fixture.sh).
#
#   tests/bench/bench-wim-solid.sh [FIXTURE_DIR]        (default FIXTURE_DIR: /tmp/wimfs-big)
#
# The two WIMs are made once from FIXTURE_DIR/big-lzx.wim with `wimlib-imagex export` (same tree,
# recompressed), and kept next to it (remade when big-lzx.wim is newer):
#   big-lzms-solid-<chunk>.wim   export --solid --solid-chunk-size=SOLID_CHUNK (LZMS)
#   big-lzms.wim                 export --compress=lzms (default LZMS chunk size)
#
# Env:
#   WIMFS         our binary (default <repo>/target/release/wimfs; `cargo build --release -p
#                 mount-helper`)
#   WIMFS_COMMIT  what the binary was built from (printed; default: the repo's HEAD)
#   SOLID_CHUNK   solid chunk size in bytes (default 4194304). wimlib's own default is 64 MiB
#                 (DISM /compress:recovery), but wimlib's mount has no chunk cache: every FUSE read
#                 decodes the whole chunk(s) it touches (~45 ms a read for 4 MiB chunks on this
#                 machine), so reading everything through it with 64 MiB chunks takes well over
#                 half an hour. Set SOLID_CHUNK=67108864 to measure that anyway (TIMEOUT applies).
#   READS         random 4 KiB reads in (c) (default 200)
#   RUNS          runs per measurement, median reported (default 1)
#   TIMEOUT       seconds before one timed operation is abandoned (default 900)
#   WIMS          which WIMs: "solid lzms" (default) or one of them
#
# Measurements, each cold: page cache dropped (echo 3 > /proc/sys/vm/drop_caches) and a fresh
# mount (no decoded chunk survives between runs):
#   a) mount + `find DIR -ls > /dev/null`
#   b) `tar -cf - . | cat > /dev/null` in the mount (read everything)
#   c) READS random 4 KiB reads: files chosen at random weighted by size (so uniformly over the
#      resource's bytes), a 4 KiB-aligned offset at random, each through a fresh open with
#      readahead off (POSIX_FADV_RANDOM); the same pieces for both tools (fixed seed), and their
#      SHA-1 compared between the tools.
# For our mount, the root xattr wimfs.cache_stats gives the bytes decoded; "decoded/served" is
# decoded bytes per byte the application read (b: the files' total size; c: READS x 4096).
# Ratios are ours/wimlib: below 1 means wimfs is faster.
set -euo pipefail

HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
REPO=$(readlink -f "$HERE/../..")
FIX=$(readlink -f "${1:-/tmp/wimfs-big}")
WIMFS=${WIMFS:-$REPO/target/release/wimfs}
WIMFS_COMMIT=${WIMFS_COMMIT:-$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')}
SOLID_CHUNK=${SOLID_CHUNK:-4194304}
READS=${READS:-200}
RUNS=${RUNS:-1}
TIMEOUT=${TIMEOUT:-900}
WIMS=${WIMS:-solid lzms}
CMDLINE="$0 $*"
ENVLINE="WIMFS=$WIMFS SOLID_CHUNK=$SOLID_CHUNK READS=$READS RUNS=$RUNS TIMEOUT=$TIMEOUT WIMS=\"$WIMS\""
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

die() {
    echo "bench-wim-solid.sh: $*" >&2
    exit 1
}
[[ -x $WIMFS ]] || die "our binary not found at $WIMFS (cargo build --release -p mount-helper, or set WIMFS=)"
for t in wimlib-imagex fusermount3 tar find python3 getfattr timeout; do
    command -v "$t" >/dev/null || die "required tool '$t' not found"
done
if [[ ! -f $FIX/big-lzx.wim ]]; then
    echo "big fixture missing in $FIX: building it (a few minutes) ..." >&2
    "$REPO/tests/fixtures/make-big-fixture.sh" "$FIX" >&2
fi

SCRATCH=$(mktemp -d /tmp/wimfs-bench-solid.XXXXXX)
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

# The WIMs, exported from big-lzx.wim when missing or older than it.
export_wim() { # NAME OPTIONS...
    local out="$FIX/$1"
    shift
    if [[ -f $out && $out -nt $FIX/big-lzx.wim ]]; then
        return
    fi
    echo "exporting $(basename "$out") from big-lzx.wim ($*) ..." >&2
    rm -f "$out.tmp"
    wimlib-imagex export "$FIX/big-lzx.wim" 1 "$out.tmp" --threads="$(nproc)" "$@" >/dev/null
    mv "$out.tmp" "$out"
}
SOLID_WIM=big-lzms-solid-$((SOLID_CHUNK / 1048576))M.wim
declare -A WIM_FILE=([solid]=$SOLID_WIM [lzms]=big-lzms.wim)
for w in $WIMS; do
    case $w in
    solid) export_wim "$SOLID_WIM" --solid --solid-compress=lzms --solid-chunk-size="$SOLID_CHUNK" ;;
    lzms) export_wim big-lzms.wim --compress=lzms ;;
    *) die "unknown WIMS entry '$w' (solid, lzms)" ;;
    esac
done

CAN_DROP=yes
drop_caches() {
    sync
    if ! { echo 3 >/proc/sys/vm/drop_caches; } 2>/dev/null; then
        CAN_DROP=no
    fi
}

do_mount() { # TOOL WIM
    case $1 in
    wimfs) "$WIMFS" mount "$2" 1 "$MNT" ;;
    wimlib) wimlib-imagex mount "$2" 1 "$MNT" 2>/dev/null ;;
    esac
}
do_unmount() { # TOOL
    local i
    for i in $(seq 50); do
        case $1 in
        wimfs) "$WIMFS" unmount "$MNT" 2>/dev/null || true ;;
        wimlib) wimlib-imagex unmount "$MNT" 2>/dev/null || true ;;
        esac
        mountpoint -q "$MNT" || return 0
        sleep 0.2
    done
    fusermount3 -u -z "$MNT" 2>/dev/null || true
    sleep 1
    mountpoint -q "$MNT" && die "$MNT still mounted after unmount"
    return 0
}

now() { echo "${EPOCHREALTIME/,/.}"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
decoded_bytes() { # the wimfs mount's decoded_bytes so far
    getfattr --absolute-names --only-values -n wimfs.cache_stats "$MNT" | tr ' ' '\n' | sed -n 's/^decoded_bytes=//p'
}

# Each measure_* prints "SECONDS [DECODED_BYTES [DIGEST]]"; SECONDS is "timeout" when the
# operation took longer than TIMEOUT.
measure_mount_find() { # TOOL WIM
    drop_caches
    local t0 t1 rc=0
    t0=$(now)
    do_mount "$1" "$2"
    timeout "$TIMEOUT" find "$MNT" -ls >/dev/null || rc=$?
    t1=$(now)
    do_unmount "$1"
    if ((rc == 124)); then echo timeout; else elapsed "$t0" "$t1"; echo; fi
}

measure_tar() { # TOOL WIM
    do_mount "$1" "$2"
    drop_caches
    local t0 t1 rc=0 d0=0 d1=0
    [[ $1 == wimfs ]] && d0=$(decoded_bytes)
    t0=$(now)
    (cd "$MNT" && timeout "$TIMEOUT" bash -c 'tar -cf - . | cat >/dev/null') || rc=$?
    t1=$(now)
    [[ $1 == wimfs ]] && d1=$(decoded_bytes)
    do_unmount "$1"
    if ((rc == 124)); then echo timeout; else echo "$(elapsed "$t0" "$t1") $((d1 - d0))"; fi
}

# Random reads: the pieces are chosen from LIST before the clock starts; prints
# "SECONDS DIGEST" (time measured inside, around the reads only).
RANDOM_READS_PY='
import bisect, hashlib, itertools, json, os, random, sys, time
mnt, listfile, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
files = json.load(open(listfile))
rng = random.Random(20261121)
cum = list(itertools.accumulate(s for _, s in files))
pieces = []
for _ in range(n):
    p, s = files[bisect.bisect_right(cum, rng.randrange(cum[-1]))]
    pieces.append((p, rng.randrange(s // 4096) * 4096))
h = hashlib.sha1()
t0 = time.monotonic()
for p, off in pieces:
    fd = os.open(os.path.join(mnt, p), os.O_RDONLY)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)
    h.update(os.pread(fd, 4096, off))
    os.close(fd)
print("%.3f %s" % (time.monotonic() - t0, h.hexdigest()))
'
measure_random() { # TOOL WIM
    do_mount "$1" "$2"
    drop_caches
    local out rc=0 d0=0 d1=0
    [[ $1 == wimfs ]] && d0=$(decoded_bytes)
    out=$(timeout "$TIMEOUT" python3 -c "$RANDOM_READS_PY" "$MNT" "$SCRATCH/files.json" "$READS") || rc=$?
    [[ $1 == wimfs ]] && d1=$(decoded_bytes)
    do_unmount "$1"
    if ((rc == 124)); then echo timeout; else
        read -r secs digest <<<"$out"
        echo "$secs $((d1 - d0)) $digest"
    fi
}

median() { # numbers... ("timeout" sorts last)
    printf '%s\n' "$@" | sed 's/^timeout$/inf/' | sort -g |
        awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : v[NR / 2]; print (m == "inf") ? "timeout" : m }'
}
# Runs a measure RUNS times; prints the median time, then the last run's other fields.
runs() { # FUNCTION ARGS...
    local times=() line rest="" i
    for i in $(seq "$RUNS"); do
        line=$("$@")
        times+=("${line%% *}")
        [[ $line == *" "* ]] && rest=${line#* }
    done
    echo "$(median "${times[@]}") $rest"
}
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (a == "timeout" || b == "timeout" || b <= 0) print "n/a"; else printf "%.2f", a / b }'
}
per_byte() { awk -v d="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.2f", d / s; else print "n/a" }'; }
fmt_time() { if [[ $1 == timeout ]]; then echo ">$TIMEOUT (timed out)"; else echo "$1"; fi; }

ROWS=()
row() { ROWS+=("| $1 | $2 | $(fmt_time "$3") | $(fmt_time "$4") | $(ratio "$3" "$4") | $5 |"); }

for w in $WIMS; do
    W="$FIX/${WIM_FILE[$w]}"
    # The files to read at random (>= 4 KiB), and their total size, from our mount.
    do_mount wimfs "$W"
    python3 - "$MNT" "$SCRATCH/files.json" <<'EOF'
import json, os, stat, sys
root, out = sys.argv[1], sys.argv[2]
files = []
for d, dirs, names in os.walk(root):
    dirs.sort()
    for n in sorted(names):
        p = os.path.join(d, n)
        st = os.lstat(p)
        if stat.S_ISREG(st.st_mode) and st.st_size >= 4096:
            files.append((os.path.relpath(p, root), st.st_size))
json.dump(files, open(out, "w"))
EOF
    total_bytes=$(find "$MNT" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
    do_unmount wimfs
    echo "benchmarking ${WIM_FILE[$w]} ($RUNS run(s) each) ..." >&2

    read -r a_ours _ <<<"$(runs measure_mount_find wimfs "$W")"
    read -r a_ref _ <<<"$(runs measure_mount_find wimlib "$W")"
    row "${WIM_FILE[$w]}" "mount + \`find -ls\`" "$a_ours" "$a_ref" ""

    read -r b_ours b_dec _ <<<"$(runs measure_tar wimfs "$W")"
    read -r b_ref _ <<<"$(runs measure_tar wimlib "$W")"
    row "${WIM_FILE[$w]}" "\`tar -cf - . \\| cat\` (read all, $((total_bytes / 1048576)) MiB)" "$b_ours" "$b_ref" \
        "wimfs decoded $(((${b_dec:-0}) / 1048576)) MiB: $(per_byte "${b_dec:-0}" "$total_bytes") decoded/served"

    read -r c_ours c_dec c_dig_ours <<<"$(runs measure_random wimfs "$W")"
    read -r c_ref _ c_dig_ref <<<"$(runs measure_random wimlib "$W")"
    same="pieces identical"
    [[ ${c_dig_ours:-x} == "${c_dig_ref:-y}" ]] || same="PIECES DIFFER between the tools"
    row "${WIM_FILE[$w]}" "$READS random 4 KiB reads (fresh open each)" "$c_ours" "$c_ref" \
        "wimfs decoded $(((${c_dec:-0}) / 1048576)) MiB: $(per_byte "${c_dec:-0}" $((READS * 4096))) decoded/served; $same"
done

echo
echo "## wimfs vs wimlib-imagex mount on LZMS WIMs ($(date -u '+%F %H:%M UTC'))"
echo
echo "Command: \`$CMDLINE\` ($ENVLINE)"
echo
echo "- machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r); load average at start $LOAD_START, at end $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- $(wimlib-imagex --version | head -n1); $("$WIMFS" --version) (built from $WIMFS_COMMIT, binary of $(date -u -r "$WIMFS" '+%F %H:%M UTC'))"
if [[ -f $FIX/big-fixture.txt ]]; then
    echo "- fixture: $(sed -n 2p "$FIX/big-fixture.txt") ($(sed -n 1p "$FIX/big-fixture.txt"))"
fi
for w in $WIMS; do
    echo "- ${WIM_FILE[$w]}: $(stat -c %s "$FIX/${WIM_FILE[$w]}" | awk '{ printf "%.1f MB", $1 / 1e6 }')"
done
if [[ $CAN_DROP == yes ]]; then
    echo "- cold cache: page cache dropped before every timed run; fresh mount per run"
else
    echo "- WARNING: could not drop the page cache (no permission); fresh mount per run"
fi
echo "- times: median of $RUNS run(s), seconds; ratio = wimfs / wimlib (< 1: wimfs faster)"
echo
echo "| WIM | operation | wimfs (s) | wimlib mount (s) | ratio | notes |"
echo "|---|---|---:|---:|---:|---|"
printf '%s\n' "${ROWS[@]}"
