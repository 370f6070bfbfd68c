#!/usr/bin/env python3
"""Rewrite a WIM's compressed file resources with chunks made by another compressor.

Usage: reencode_wim.py IN_WIM CHUNK_DIR OUT_WIM

IN_WIM is a non-solid WIM, CHUNK_DIR the output of extract_chunks.py for it (NAME.NNN.raw,
MANIFEST) where, for each chunk, NAME.NNN.ours holds the replacement compressed chunk (absent:
the chunk is stored raw). Each such blob gets a new resource (chunk table + chunks) appended to
the file and its blob table entry (which wimlib writes uncompressed) is pointed at it. Then
`wimlib-imagex verify OUT_WIM` (or apply) decodes every chunk and checks every SHA-1: the
proof that wimlib reads what the other compressor wrote. Assumes no integrity table.
"""
import os
import struct
import sys

from extract_chunks import reshdr


def main():
    in_wim, chunk_dir, out_wim = sys.argv[1:4]
    wim = bytearray(open(in_wim, "rb").read())
    chunk_size = struct.unpack_from("<I", wim, 20)[0]
    bt_size, bt_flags, bt_off, _ = reshdr(wim, 48)
    assert not bt_flags & 0x4, "compressed blob table"
    assert reshdr(wim, 124)[0] == 0, "integrity table present"
    blobs = {}
    for line in open(os.path.join(chunk_dir, "MANIFEST")):
        sha1, size, name, nchunks = line.split()
        blobs[bytes.fromhex(sha1)] = (name, int(size), int(nchunks))
    replaced = 0
    for e in range(bt_off, bt_off + bt_size - 49, 50):
        size, flags, off, original = reshdr(wim, e)
        sha1 = bytes(wim[e + 30:e + 50])
        if sha1 not in blobs or not flags & 0x4 or flags & 0x12:
            continue
        name, bsize, nchunks = blobs[sha1]
        assert bsize == original and original <= 1 << 32
        chunks = []
        for i in range(nchunks):
            stem = os.path.join(chunk_dir, "%s.%03d" % (name, i))
            raw = open(stem + ".raw", "rb").read()
            ours = stem + ".ours"
            chunks.append(open(ours, "rb").read() if os.path.exists(ours) else raw)
        table = b"".join(struct.pack("<I", sum(map(len, chunks[:i]))) for i in range(1, nchunks))
        res = table + b"".join(chunks)
        new_off = len(wim)
        wim += res
        wim[e:e + 7] = len(res).to_bytes(7, "little")
        struct.pack_into("<Q", wim, e + 8, new_off)
        replaced += 1
    open(out_wim, "wb").write(wim)
    print("%d resources replaced" % replaced)


if __name__ == "__main__":
    main()
