#!/usr/bin/env bash
# Images on a web server: the big LZX WIM (tests/fixtures/make-big-fixture.sh) mounted from an
# http:// URL through the test kit's latency proxy (DELAY_MS added to every request), side by
# side with the local mount of the same file, with httpdirfs (Debian package) + our local mount
# of the file it exposes, and with ratarmount's http:// mount of an ISO holding the WIM (PyPI;
# skipped if not installed) against ours.
#
#   tests/bench/bench-http.sh [FIXTURE_DIR]        (default FIXTURE_DIR: /tmp/wimfs-big)
#
# Env:
#   WIMFS / ISOFS  our binaries (default: target/release/, else target/debug/ (opt-level 2))
#   PROXY          the proxy (default: fault-proxy next to WIMFS; `cargo build -p tests --bins`)
#   DELAY_MS       latency added per request (default 25)
#   RUNS           runs per measurement, the median is reported (default 3)
#   SCRATCH        work directory (default /dev/shm/wimfs-bench-http.PID)
#
# Measured, each with the page cache dropped and a fresh mount:
#   a) mount + `find -ls > /dev/null`, b) `tar -cf - . | cat > /dev/null` (read everything),
#   c) b) again with --cache-dir: the second mount with the same directory,
# and the bytes nginx sent for each (its access log: $body_bytes_sent).
# Targets (issue 16): a) and b) at most 3x the local mount's time, transferring at most 1.1x the
# file's size; c) transferring at most 2% of it.
set -euo pipefail

HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
REPO=$(readlink -f "$HERE/../..")
# shellcheck source=lib.sh
source "$HERE/lib.sh"
FIX=${1:-/tmp/wimfs-big}
pick() { if [[ -x $REPO/target/release/$1 ]]; then echo "$REPO/target/release/$1"; else echo "$REPO/target/debug/$1"; fi; }
WIMFS=${WIMFS:-$(pick wimfs)}
ISOFS=${ISOFS:-$(dirname "$WIMFS")/isofs}
PROXY=${PROXY:-$(dirname "$WIMFS")/fault-proxy}
DELAY_MS=${DELAY_MS:-25}
RUNS=${RUNS:-3}
SCRATCH=${SCRATCH:-/dev/shm/wimfs-bench-http.$$}
WIM=big-lzx.wim
CMDLINE="$0 $*"

die() {
    echo "bench-http.sh: $*" >&2
    exit 1
}
for b in "$WIMFS" "$ISOFS" "$PROXY"; do
    [[ -x $b ]] || die "$b not found (cargo build -p mount-helper -p tests --bins)"
done
for t in nginx fusermount3 tar find xorriso; do
    command -v "$t" >/dev/null || die "required tool '$t' not found (scripts/install-deps)"
done
if [[ ! -f $FIX/$WIM ]]; then
    echo "big fixture missing in $FIX: building it (a few minutes) ..." >&2
    "$REPO/tests/fixtures/make-big-fixture.sh" "$FIX" >&2
fi
SIZE=$(stat -c %s "$FIX/$WIM")

mkdir -p "$SCRATCH"/{www,tmp,mnt,hmnt,cache,iso}
MNT=$SCRATCH/mnt HMNT=$SCRATCH/hmnt
ln -sf "$FIX/$WIM" "$SCRATCH/www/$WIM"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
NPORT=$(free_port) PPORT=$(free_port)
cat >"$SCRATCH/nginx.conf" <<CONF
daemon off; master_process off; worker_processes 1; pid $SCRATCH/nginx.pid;
error_log $SCRATCH/error.log; events { worker_connections 512; }
http { access_log $SCRATCH/access.log; sendfile on; types { } default_type application/octet-stream;
  client_body_temp_path $SCRATCH/tmp; proxy_temp_path $SCRATCH/tmp; fastcgi_temp_path $SCRATCH/tmp;
  uwsgi_temp_path $SCRATCH/tmp; scgi_temp_path $SCRATCH/tmp;
  server { listen 127.0.0.1:$NPORT; root $SCRATCH/www; autoindex on; } }
CONF
nginx -e "$SCRATCH/error.log" -p "$SCRATCH" -c "$SCRATCH/nginx.conf" &
NGINX_PID=$!
# The proxy runs until its stdin closes: a fifo this script holds open.
mkfifo "$SCRATCH/proxy.in"
"$PROXY" "$PPORT" "$NPORT" "$DELAY_MS" <"$SCRATCH/proxy.in" >/dev/null &
PROXY_PID=$!
exec 9>"$SCRATCH/proxy.in"
cleanup() {
    for m in "$MNT" "$HMNT"; do
        if mountpoint -q "$m"; then fusermount3 -u -z "$m" 2>/dev/null || true; fi
    done
    exec 9>&-
    kill "$NGINX_PID" "$PROXY_PID" 2>/dev/null || true
    rm -rf "$SCRATCH"
}
trap cleanup EXIT
sleep 0.5
BASE=http://127.0.0.1:$PPORT
URL=$BASE/$WIM

sent() { awk '{ s += $10 } END { print s + 0 }' "$SCRATCH/access.log"; }
wait_unmounted() { local i; for i in $(seq 100); do mountpoint -q "$1" || return 0; sleep 0.1; done; die "$1 still mounted"; }
unmount() { fusermount3 -u "$1" 2>/dev/null || "$WIMFS" unmount "$1"; wait_unmounted "$1"; }

# measure KIND SOURCE [mount args...]: prints "seconds bytes" (KIND: find | tar).
measure() {
    local kind=$1 src=$2
    shift 2
    drop_caches
    local before t0 t1
    before=$(sent)
    t0=$(now)
    "$WIMFS" mount "$src" 1 "$MNT" "$@"
    if [[ $kind == find ]]; then
        find "$MNT" -ls >/dev/null
    else
        drop_caches
        t0=$(now)
        (cd "$MNT" && tar -cf - . | cat >/dev/null)
    fi
    t1=$(now)
    unmount "$MNT"
    echo "$(elapsed "$t0" "$t1") $(($(sent) - before))"
}
runs() { # measure args... -> "median-seconds bytes-of-last-run"
    local times=() out i
    for i in $(seq "$RUNS"); do
        out=$(measure "$@")
        times+=("${out% *}")
    done
    echo "$(median "${times[@]}") ${out#* }"
}

ROWS=()
row() { # operation source seconds local-seconds bytes target-ratio
    local r t
    r=$(ratio "$3" "$4")
    t=$(awk -v b="$5" -v s="$SIZE" 'BEGIN { printf "%.3f", b / s }')
    ROWS+=("| $1 | $2 | $3 | $4 | $r | $5 | $t |")
}

echo "benchmarking ($RUNS runs each, ${DELAY_MS} ms per request) ..." >&2
read -r lf _ < <(runs find "$FIX/$WIM")
read -r uf ub < <(runs find "$URL")
row "mount + \`find -ls\`" "URL" "$uf" "$lf" "$ub"
read -r lt _ < <(runs tar "$FIX/$WIM")
read -r ut ubt < <(runs tar "$URL")
row "\`tar\` read-all" "URL" "$ut" "$lt" "$ubt"
rm -rf "$SCRATCH/cache" && mkdir -p "$SCRATCH/cache"
read -r ct1 cb1 < <(measure tar "$URL" --cache-dir "$SCRATCH/cache")
row "\`tar\` read-all, first mount with --cache-dir" "URL" "$ct1" "$lt" "$cb1"
read -r ct2 cb2 < <(runs tar "$URL" --cache-dir "$SCRATCH/cache")
row "\`tar\` read-all, next mount, same --cache-dir" "URL" "$ct2" "$lt" "$cb2"

# httpdirfs + our local mount of the file it shows.
if command -v httpdirfs >/dev/null; then
    hd() { # KIND -> "seconds bytes"
        drop_caches
        local before t0 t1
        before=$(sent)
        t0=$(now)
        # httpdirfs 1.2.5's own range check misreads nginx's 206 answer; ranges do work.
        httpdirfs --no-range-check "$BASE/" "$HMNT" >/dev/null 2>&1
        "$WIMFS" mount "$HMNT/$WIM" 1 "$MNT"
        if [[ $1 == find ]]; then
            find "$MNT" -ls >/dev/null
        else
            drop_caches
            t0=$(now)
            (cd "$MNT" && tar -cf - . | cat >/dev/null)
        fi
        t1=$(now)
        unmount "$MNT"
        unmount "$HMNT"
        echo "$(elapsed "$t0" "$t1") $(($(sent) - before))"
    }
    if out=$(hd find); then
        read -r hf hb <<<"$out"
        row "mount + \`find -ls\`" "httpdirfs + wimfs (1 run)" "$hf" "$lf" "$hb"
    else
        ROWS+=("| mount + \`find -ls\` | httpdirfs + wimfs: failed | - | $lf | - | - | - |")
    fi
    if out=$(hd tar); then
        read -r ht hbt <<<"$out"
        row "\`tar\` read-all" "httpdirfs + wimfs (1 run)" "$ht" "$lt" "$hbt"
    else
        ROWS+=("| \`tar\` read-all | httpdirfs + wimfs: failed | - | $lt | - | - | - |")
    fi
fi

# ratarmount's http:// ISO mount against ours: an ISO holding the WIM, read whole (ratarmount
# needs PyPI's ratarmount and Debian's libarchive13 for ISOs).
ISO_ROWS=()
xorriso -as mkisofs -quiet -R -o "$SCRATCH/www/big.iso" "$FIX/$WIM" 2>/dev/null
iso_read() { # TOOL -> "seconds bytes"
    drop_caches
    local before t0 t1 pid="" i
    before=$(sent)
    t0=$(now)
    case $1 in
    isofs) "$ISOFS" mount "$BASE/big.iso" "$HMNT" || return 1 ;;
    ratarmount)
        # ratarmount refuses to daemonize with its HTTP threads running: foreground, in the
        # background of this script.
        ratarmount -f "$BASE/big.iso" "$HMNT" >"$SCRATCH/ratarmount.log" 2>&1 &
        pid=$!
        for i in $(seq 600); do
            mountpoint -q "$HMNT" && break
            kill -0 "$pid" 2>/dev/null || return 1
            sleep 0.1
        done
        ;;
    esac
    cat "$HMNT/$WIM" >/dev/null || return 1
    t1=$(now)
    unmount "$HMNT"
    [[ -z $pid ]] || wait "$pid" 2>/dev/null || true
    echo "$(elapsed "$t0" "$t1") $(($(sent) - before))"
}
read -r it ib < <(iso_read isofs)
if command -v ratarmount >/dev/null; then
    if out=$(iso_read ratarmount 2>/dev/null); then
        read -r rt rb <<<"$out"
        ISO_ROWS+=("| mount big.iso from the URL + \`cat\` the WIM in it | $it | $rt | $(ratio "$it" "$rt") | $ib | $rb |")
    else
        ISO_ROWS+=("| ratarmount failed to mount the ISO from the URL | $it | - | - | $ib | - |")
    fi
else
    ISO_ROWS+=("| ratarmount not installed (pip install ratarmount) | $it | - | - | $ib | - |")
fi

echo
echo "## Images on a web server ($(date -u '+%F %H:%M UTC'))"
echo
echo "Command: \`$CMDLINE\` (WIMFS=$WIMFS RUNS=$RUNS DELAY_MS=$DELAY_MS)"
echo
echo "- machine: $(nproc) cores, kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg); $(nginx -v 2>&1); $("$WIMFS" --version) (repo HEAD $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?'))"
echo "- $WIM: $SIZE bytes; served by nginx on 127.0.0.1 behind the test kit's proxy adding ${DELAY_MS} ms to every request"
[[ $CAN_DROP == yes ]] || echo "- WARNING: could not drop the page cache"
echo "- times: median of $RUNS runs (seconds); ratio = time / local mount's time (target <= 3); transfer = bytes sent / file size (target <= 1.1; second --cache-dir mount <= 0.02)"
echo
echo "| operation | source | time (s) | local mount (s) | ratio | bytes sent | transfer |"
echo "|---|---|---:|---:|---:|---:|---:|"
printf '%s\n' "${ROWS[@]}"
echo
echo "| ISO on the server | isofs (s) | ratarmount (s) | ratio | isofs bytes | ratarmount bytes |"
echo "|---|---:|---:|---:|---:|---:|"
printf '%s\n' "${ISO_ROWS[@]}"
