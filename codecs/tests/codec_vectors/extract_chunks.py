#!/usr/bin/env python3
"""Extract the compressed chunks of a WIM's file blobs as codec test vectors.

Usage: extract_chunks.py WIM SRC_DIR OUT_DIR [CODEC_EXT]

WIM is a non-solid WIM captured from SRC_DIR (e.g. `wimlib-imagex capture SRC_DIR out.wim
--compress=xpress`). For every file F in SRC_DIR whose content is a compressed blob of the WIM,
chunk number N (0-based) is written as OUT_DIR/F.NNN.xpress (the compressed chunk as stored)
and OUT_DIR/F.NNN.raw (the matching slice of F); a chunk stored uncompressed gets only
F.NNN.raw. OUT_DIR/MANIFEST lists "sha1 size name nchunks" for each blob so the decoder test can
reassemble the blob and check it against the blob table's SHA-1.

Only as much of the format is parsed as this needs: the 208-byte header (chunk size at 20,
blob table resource header at 48), 24-byte resource headers (7-byte size in WIM, 1-byte flags
with 0x2 metadata / 0x4 compressed / 0x10 solid, u64 offset, u64 original size), 50-byte blob
table entries (resource header, u16 part, u32 refcount, 20-byte SHA-1), and the chunk table
of a compressed non-solid resource ((nchunks-1) entries of 4 bytes, 8 if the original size
exceeds 4 GiB, each the offset of chunks 2..n from the end of the table).
"""
import hashlib
import os
import struct
import sys


def reshdr(buf, off):
    size_in_wim = int.from_bytes(buf[off:off + 7], "little")
    flags = buf[off + 7]
    offset, original = struct.unpack_from("<QQ", buf, off + 8)
    return size_in_wim, flags, offset, original


def main():
    wim_path, src_dir, out_dir = sys.argv[1:4]
    ext = sys.argv[4] if len(sys.argv) > 4 else "xpress"
    wim = open(wim_path, "rb").read()
    if wim[:8] != b"MSWIM\0\0\0":
        sys.exit("not a WIM")
    chunk_size = struct.unpack_from("<I", wim, 20)[0]
    bt_size, _, bt_off, _ = reshdr(wim, 48)
    table = wim[bt_off:bt_off + bt_size]

    files = {}
    for root, _, names in os.walk(src_dir):
        for n in names:
            p = os.path.join(root, n)
            data = open(p, "rb").read()
            name = "_".join(os.path.relpath(p, src_dir).replace("/", "_").split())
            files[hashlib.sha1(data).digest()] = (name, data)

    os.makedirs(out_dir, exist_ok=True)
    manifest = []
    for e in range(0, len(table) - 49, 50):
        size, flags, off, original = reshdr(table, e)
        sha1 = table[e + 30:e + 50]
        if flags & 0x2 or flags & 0x10 or not flags & 0x4 or sha1 not in files:
            continue
        name, data = files[sha1]
        assert len(data) == original
        res = wim[off:off + size]
        nchunks = (original + chunk_size - 1) // chunk_size
        esz = 8 if original > 1 << 32 else 4
        tsz = (nchunks - 1) * esz
        starts = [0] + [int.from_bytes(res[i:i + esz], "little") for i in range(0, tsz, esz)]
        ends = starts[1:] + [size - tsz]
        for i, (a, b) in enumerate(zip(starts, ends)):
            raw = data[i * chunk_size:(i + 1) * chunk_size]
            stem = os.path.join(out_dir, "%s.%03d" % (name, i))
            open(stem + ".raw", "wb").write(raw)
            if b - a != len(raw):
                open(stem + "." + ext, "wb").write(res[tsz + a:tsz + b])
        manifest.append("%s %d %s %d" % (sha1.hex(), original, name, nchunks))
    open(os.path.join(out_dir, "MANIFEST"), "w").write("\n".join(sorted(manifest)) + "\n")
    print("%d blobs, chunk size %d" % (len(manifest), chunk_size))


if __name__ == "__main__":
    main()
