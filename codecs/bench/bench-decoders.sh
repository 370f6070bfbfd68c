#!/usr/bin/env bash
# Decoders per core against wimlib's, on the same chunks in one run (docs/benchmarks.md,
# "Decoders per core vs wimlib").
#
#   codecs/bench/bench-decoders.sh [OUTDIR]     (default /tmp/wimfs-codecs-bench)
#
# Makes (cached) a realistic tree's WIMs with tests/fixtures/make-big-fixture.sh
# (BIG_FIXTURE_MB, default 100 here: /usr/share and /usr/lib content captured by
# `wimlib-imagex capture --compress=lzx|xpress`), exports the LZX one as a non-solid LZMS WIM
# (`wimlib-imagex export --compress=lzms --recompress`, 128 KiB chunks) and as a solid one
# (`--solid`: LZMS, 64 MiB chunks, as in ESD files), cuts every compressed
# chunk of each into a pack (wim_chunk_pack.py) and runs codecs/examples/decoder_bench.rs,
# which checks our output against wimlib's and times both (single thread, CPU time, best of
# ROUNDS, default 5). Needs wimlib-imagex and libwim-dev (scripts/install-deps).
#
# BASELINE=<git revision> also builds that revision's decoder_bench (from `git archive`, in
# OUTDIR/baseline) and runs it on the same packs right after, for before/after numbers.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${1:-/tmp/wimfs-codecs-bench}
ROUNDS=${ROUNDS:-5}

for tool in wimlib-imagex python3 cargo; do
    command -v "$tool" >/dev/null || {
        echo "$0: required tool '$tool' not found (scripts/install-deps)" >&2
        exit 3
    }
done
if [[ ! -e /usr/include/wimlib.h ]]; then
    echo "$0: libwim-dev (wimlib.h, libwim.so) is not installed (scripts/install-deps)" >&2
    exit 3
fi

BIG_FIXTURE_MB=${BIG_FIXTURE_MB:-100} "$ROOT/tests/fixtures/make-big-fixture.sh" "$OUT"
if [[ ! -f $OUT/big-lzms.wim || $OUT/big-lzms.wim -ot $OUT/big-lzx.wim ]]; then
    echo "exporting LZMS ..."
    wimlib-imagex export "$OUT/big-lzx.wim" 1 "$OUT/big-lzms.wim.tmp" --compress=lzms \
        --recompress >/dev/null
    mv "$OUT/big-lzms.wim.tmp" "$OUT/big-lzms.wim"
fi
if [[ ! -f $OUT/big-lzms-solid.wim || $OUT/big-lzms-solid.wim -ot $OUT/big-lzx.wim ]]; then
    echo "exporting solid LZMS ..."
    wimlib-imagex export "$OUT/big-lzx.wim" 1 "$OUT/big-lzms-solid.wim.tmp" --solid \
        --recompress >/dev/null
    mv "$OUT/big-lzms-solid.wim.tmp" "$OUT/big-lzms-solid.wim"
fi
packs=()
for c in xpress lzx lzms lzms-solid; do
    if [[ ! -f $OUT/$c.pack || $OUT/$c.pack -ot $OUT/big-$c.wim ]]; then
        python3 "$HERE/wim_chunk_pack.py" "$OUT/big-$c.wim" "$OUT/$c.pack"
    fi
    packs+=("$OUT/$c.pack")
done

cd "$ROOT"
cargo build --release -p wimcodecs --features wimlib-bench --example decoder_bench
echo "# $(date -u +%FT%TZ) $(git rev-parse --short HEAD) load: $(cut -d' ' -f1-3 /proc/loadavg)"
target/release/examples/decoder_bench --rounds "$ROUNDS" "${packs[@]}"
if [[ -n ${BASELINE:-} ]]; then
    rm -rf "$OUT/baseline/src"
    mkdir -p "$OUT/baseline/src"
    git archive "$BASELINE" | tar -x -C "$OUT/baseline/src"
    (cd "$OUT/baseline/src" && CARGO_TARGET_DIR="$OUT/baseline/target" cargo build --release \
        -p wimcodecs --features wimlib-bench --example decoder_bench)
    echo "# baseline $BASELINE, load: $(cut -d' ' -f1-3 /proc/loadavg)"
    "$OUT/baseline/target/release/examples/decoder_bench" --rounds "$ROUNDS" "${packs[@]}"
fi
