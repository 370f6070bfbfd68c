#!/usr/bin/env python3
"""Write the deterministic source files the XPRESS vectors were captured from.

Usage: make_xpress_sources.py DIR
then:  wimlib-imagex capture DIR v.wim --compress=xpress
       extract_chunks.py v.wim DIR xpress/
"""
import os
import random
import sys

d = sys.argv[1]
os.makedirs(d, exist_ok=True)
rng = random.Random(2024)


def put(name, data):
    open(os.path.join(d, name), "wb").write(data)


# Plain English text (the GPL-3 text shipped by Debian, ~35 KiB: two chunks).
put("text", open("/usr/share/common-licenses/GPL-3", "rb").read())
# Long runs and short periods: offsets 1..3, lengths needing the 1-byte and u16 forms.
runs = bytearray()
for i in range(40):
    runs += bytes([i]) * rng.choice([3, 17, 18, 100, 270, 300, 2000])
    runs += bytes(rng.randrange(256) for _ in range(rng.randrange(1, 5))) * rng.randrange(2, 200)
put("runs", bytes(runs[:40000]))
# Skewed random bytes: few matches, long Huffman codes.
put("skewed", bytes(min(255, int(rng.expovariate(0.05))) for _ in range(20000)))
# Structured binary: little-endian records with counters and repeated fields.
rec = bytearray()
for i in range(2500):
    rec += i.to_bytes(4, "little") + (i * 7 % 1000).to_bytes(4, "little") + b"REC\0" + bytes([i % 7]) * 4
put("records", bytes(rec))
# A small compressible file (a single, short chunk).
put("small", b"small file, small file, small file! " * 12)
# An incompressible chunk (stored raw inside the compressed resource: no .xpress file) and a
# compressible one.
put("mixed", bytes(rng.randrange(256) for _ in range(32768)) + b"tail, tail, tail. " * 200)
