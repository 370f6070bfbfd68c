#!/usr/bin/env python3
"""Make the source directories captured for the LZMS test vectors (tests/codec_vectors/lzms/).

Usage: make_lzms_sources.py OUT_DIR

Writes OUT_DIR/src1 (the non-solid captures) and OUT_DIR/src2 (the solid capture). Synthetic
files come from a seeded generator; two files are copied from a Debian 12 system (an x86-64
shared library, to exercise the x86 filter, and apt's changelog as text); any comparable files
will do for new vectors, since the expected bytes are committed with each chunk.
"""

import gzip
import math
import os
import random
import shutil
import struct
import sys


def main():
    out = sys.argv[1]
    s1, s2 = os.path.join(out, "src1"), os.path.join(out, "src2")
    os.makedirs(s1, exist_ok=True)
    os.makedirs(s2, exist_ok=True)
    shutil.copy("/usr/lib/x86_64-linux-gnu/libz.so.1.2.13", os.path.join(s1, "x86_libz.so"))
    with gzip.open("/usr/share/doc/apt/changelog.gz") as f:
        changelog = f.read()

    def put(d, name, data):
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)

    r = random.Random(1234)
    put(s1, "apt_changelog.txt", changelog)
    put(s1, "random.bin", bytes(r.getrandbits(8) for _ in range(70000)))  # stored raw
    put(s1, "dna.txt", bytes(r.choice(b"ACGT") for _ in range(60000)))
    # 16-bit stereo "audio": a sine plus a slow ramp (delta matches with spans 2 and 4).
    audio = []
    for i in range(30000):
        v = int(8000 * math.sin(i / 40.0)) + (i // 3)
        audio.append(struct.pack("<hh", v & 0x7FFF, (v * 2) & 0x7FFF))
    put(s1, "audio16.pcm", b"".join(audio))
    # 256x128 RGBA gradient.
    px = bytearray()
    for y in range(128):
        for x in range(256):
            px += bytes([x & 255, (y * 2) & 255, (x + y) & 255, 255])
    put(s1, "gradient.rgba", bytes(px))
    put(s1, "counters.bin", b"".join(struct.pack("<I", 1000 + 7 * i) for i in range(20000)))
    put(s1, "small200.txt", (b"The quick brown fox jumps over the lazy dog. " * 5)[:200])
    put(s1, "zeros.bin", bytes(100000))

    for name in ["apt_changelog.txt", "gradient.rgba", "counters.bin", "small200.txt"]:
        shutil.copy(os.path.join(s1, name), os.path.join(s2, name))
    with open(os.path.join(s1, "x86_libz.so"), "rb") as f:
        put(s2, "x86_head.bin", f.read(40000))


if __name__ == "__main__":
    main()
