#!/usr/bin/env python3
"""Time wimlib's own LZMS decompressor over a directory of chunks (NAME.lzms with NAME.raw or
NAME.sha1 "HEX SIZE"), as written by extract_lzms_chunks.py, for comparison with
`cargo test --release -p wimcodecs --test lzms_vectors -- --ignored --nocapture` (LZMS_BENCH_DIR).

Usage: bench_wimlib_lzms.py DIR [ROUNDS]

Calls wimlib_create_decompressor / wimlib_decompress from libwim (ctypes), so only decoding is
timed; the decoded bytes are checked against the expected ones once, outside the timing.
"""

import ctypes
import ctypes.util
import hashlib
import os
import sys
import time

LZMS = 3


def load(dir_):
    items = []
    for name in sorted(os.listdir(dir_)):
        if not name.endswith(".lzms"):
            continue
        stem = os.path.join(dir_, name[:-5])
        comp = open(stem + ".lzms", "rb").read()
        if os.path.exists(stem + ".raw"):
            raw = open(stem + ".raw", "rb").read()
            items.append((comp, len(raw), hashlib.sha1(raw).hexdigest()))
        else:
            hexd, size = open(stem + ".sha1").read().split()
            items.append((comp, int(size), hexd))
    return items


def main():
    dir_ = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    lib = ctypes.CDLL(ctypes.util.find_library("wim") or "libwim.so.15")
    items = load(dir_)
    max_size = max(size for _, size, _ in items)
    dec = ctypes.c_void_p()
    if lib.wimlib_create_decompressor(LZMS, ctypes.c_size_t(max_size), ctypes.byref(dec)):
        sys.exit("wimlib_create_decompressor failed")
    out = ctypes.create_string_buffer(max_size)
    inputs = [(ctypes.create_string_buffer(c, len(c)), len(c), s, h) for c, s, h in items]
    for buf, clen, size, h in inputs:
        if lib.wimlib_decompress(buf, ctypes.c_size_t(clen), out, ctypes.c_size_t(size), dec):
            sys.exit("wimlib_decompress failed")
        if hashlib.sha1(out.raw[:size]).hexdigest() != h:
            sys.exit("wimlib decoded something else than expected")
    total = sum(size for _, _, size, _ in inputs)
    best = best_cpu = None
    for _ in range(rounds):
        t0, c0 = time.perf_counter(), time.thread_time()
        for buf, clen, size, _ in inputs:
            lib.wimlib_decompress(buf, ctypes.c_size_t(clen), out, ctypes.c_size_t(size), dec)
        dt, dc = time.perf_counter() - t0, time.thread_time() - c0
        best = dt if best is None else min(best, dt)
        best_cpu = dc if best_cpu is None else min(best_cpu, dc)
    print(f"wimlib: {len(inputs)} chunks, {total} bytes out, best of {rounds}: "
          f"{best:.3f} s wall = {total / best / 1e6:.1f} MB/s, "
          f"{best_cpu:.2f} s CPU = {total / best_cpu / 1e6:.1f} MB/s")
    lib.wimlib_free_decompressor(dec)


if __name__ == "__main__":
    main()
