#!/usr/bin/env bash
# Our XPRESS and LZX compressors per core against wimlib's, on the same chunks in one run
# (docs/benchmarks.md, "XPRESS/LZX compressors per core vs wimlib"); LZX at both efforts: the
# row LZX is `Effort::Normal` (wimfs's default), LZX-fast `Effort::Fast` (what commits use);
# XPRESS likewise (XPRESS, XPRESS-fast).
#
#   codecs/bench/bench-compressors.sh [CORPUS...]
#
# Each CORPUS is a list of directories separated by ':' (default: "/usr/bin:/usr/libexec",
# the files the commit benchmark adds, and "/usr/share:/usr/lib/x86_64-linux-gnu", the big
# fixture's kind of content: text, locales, shared libraries). Their files are cut into 32 KiB
# chunks (each file on its own, as a WIM stores them) and MAX_BYTES of them (default 32 MB,
# every k-th chunk) are compressed by ours and by wimlib's compressor at its default level
# (libwim's wimlib_compress, what `wimlib-imagex capture` uses), alternating chunk by chunk,
# best of ROUNDS (default 3) passes, speed in MB per second of the thread's CPU time
# (codecs/examples/compress_bench.rs; every chunk of ours is decoded by our decoder and by
# wimlib's first). Then, unless CALLGRIND=0, `valgrind --tool=callgrind` counts the
# instructions of each compressor alone on CG_BYTES (default 2 MB) of the first corpus,
# minus those of loading the data: a measure that does not depend on the machine's load.
# Needs libwim-dev (scripts/install-deps) and, for the counts, valgrind.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
ROUNDS=${ROUNDS:-3}
MAX_BYTES=${MAX_BYTES:-32000000}
CG_BYTES=${CG_BYTES:-2000000}
if [[ $# -gt 0 ]]; then
    CORPORA=("$@")
else
    CORPORA=("/usr/bin:/usr/libexec" "/usr/share:/usr/lib/x86_64-linux-gnu")
fi

if [[ ! -e /usr/include/wimlib.h ]]; then
    echo "$0: libwim-dev (wimlib.h, libwim.so) is not installed (scripts/install-deps)" >&2
    exit 3
fi
if [[ ${CALLGRIND:-1} != 0 ]] && ! command -v valgrind >/dev/null; then
    echo "$0: valgrind not found (apt-get install valgrind, or CALLGRIND=0)" >&2
    exit 3
fi

cd "$ROOT"
cargo build --release -p wimcodecs --features wimlib-bench --example compress_bench
BIN=$ROOT/target/release/examples/compress_bench
echo "# $(date -u +%FT%TZ) $(git rev-parse --short HEAD) load: $(cut -d' ' -f1-3 /proc/loadavg)"
for corpus in "${CORPORA[@]}"; do
    IFS=: read -r -a dirs <<<"$corpus"
    "$BIN" --rounds "$ROUNDS" --max-bytes "$MAX_BYTES" "${dirs[@]}"
    echo "# load: $(cut -d' ' -f1-3 /proc/loadavg)"
done

if [[ ${CALLGRIND:-1} != 0 ]]; then
    IFS=: read -r -a dirs <<<"${CORPORA[0]}"
    out=$(mktemp -d)
    trap 'rm -rf "$out"' EXIT
    count() { # CODEC ONLY -> instructions
        valgrind --tool=callgrind --callgrind-out-file="$out/cg" "$BIN" --codec "$1" \
            --only "$2" --rounds 1 --max-bytes "$CG_BYTES" "${dirs[@]}" 2>&1 >/dev/null |
            sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
    }
    base=$(count xpress none)
    echo "# callgrind instructions on $CG_BYTES bytes of ${CORPORA[0]} (loading: $base)"
    for codec in xpress lzx; do
        ours=$(($(count "$codec" ours) - base))
        theirs=$(($(count "$codec" wimlib) - base))
        awk -v c="$codec" -v o="$ours" -v t="$theirs" 'BEGIN {
            printf "%-6s instructions ours %.0f wimlib %.0f ratio %.2f\n", c, o, t, o / t }'
    done
fi
