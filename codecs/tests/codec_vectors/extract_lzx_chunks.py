#!/usr/bin/env python3
"""Extract LZX-compressed chunks from a WIM, paired with their uncompressed bytes.

Usage:
    extract_lzx_chunks.py WIM SOURCE_DIR OUT_DIR [--name-prefix P] [--max-per-file N]
                          [--only FILE_NAME ...] [--list]
    extract_lzx_chunks.py WIM SOURCE_DIR --pack PACK_FILE

With --pack, every chunk of every compressed file blob (LZX or stored raw) goes into one file
for tests/lzx_bench.rs and wimlib_lzx_bench.c: records of u8 kind (0 = LZX, 1 = stored raw),
u32 chunk size, u32 stored length, u32 raw length, the stored bytes, the raw bytes (LE).

The WIM is one made by `wimlib-imagex capture SOURCE_DIR WIM --compress=lzx [--chunk-size=...]`.
The uncompressed contents of each chunk are taken from the captured files themselves: every file
under SOURCE_DIR is hashed (SHA-1) and matched against the blob table. For each chosen chunk the
script writes `OUT_DIR/<prefix><file>.c<index>.w<window>.lzx` (the compressed chunk, as stored)
and the same name with `.raw` (its expected decoded bytes). Chunks stored raw (compressed size ==
uncompressed size) are skipped: they are not LZX.

How the committed lzx*.lzx / lzx*.raw pairs were made (wimlib-imagex 1.13.5): a directory
with an x86-64 shared library (libz.so), apt's changelog (text), a 143 KB pseudo-text with
long-range repeats, 100 KB of zeros, 70 KB of random bytes (stored raw: no LZX chunk) and small
files, captured three times and cut with this script:
    wimlib-imagex capture SRC lzx32k.wim --compress=lzx
    wimlib-imagex capture SRC lzx64k.wim --compress=lzx --chunk-size=64K
    wimlib-imagex capture SRC lzx2m.wim  --compress=lzx --chunk-size=2M
    extract_lzx_chunks.py lzx32k.wim SRC OUT --name-prefix lzx32k-   (likewise 64k, 2m)
then a few pairs were kept (verbatim and aligned-offset blocks, E8 translation, 16- and 24-bit
block sizes, a partial last chunk, a 200-byte file).

Only as much of the WIM format is parsed as this needs (see wimlib's documentation):
  * header (208 bytes): magic "MSWIM\\0\\0\\0", chunk size u32 at offset 20, blob table resource
    header at offset 48;
  * resource header (24 bytes): 7-byte LE size in WIM, 1 flag byte (0x2 metadata, 0x4
    compressed, 0x10 solid), u64 offset, u64 original size;
  * blob table entry (50 bytes): resource header, u16 part number, u32 reference count, SHA-1;
  * a compressed non-solid resource starts with a chunk table of (nchunks - 1) entries, 4 bytes
    each (8 if the original size is above 4 GiB): the offsets of chunks 2..n relative to the end
    of the table.
"""

import argparse
import hashlib
import os
import struct
import sys

FLAG_METADATA = 0x02
FLAG_COMPRESSED = 0x04
FLAG_SOLID = 0x10


def parse_reshdr(b):
    size_in_wim = int.from_bytes(b[0:7], "little")
    flags = b[7]
    offset, orig_size = struct.unpack_from("<QQ", b, 8)
    return size_in_wim, flags, offset, orig_size


def read_wim(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[0:8] != b"MSWIM\0\0\0":
        sys.exit(f"{path}: not a WIM (bad magic)")
    (hdr_size,) = struct.unpack_from("<I", data, 8)
    (flags,) = struct.unpack_from("<I", data, 16)
    (chunk_size,) = struct.unpack_from("<I", data, 20)
    if hdr_size != 208:
        sys.exit(f"{path}: unexpected header size {hdr_size}")
    bt_size, bt_flags, bt_off, bt_orig = parse_reshdr(data[48:72])
    if bt_flags & FLAG_COMPRESSED:
        sys.exit(f"{path}: compressed blob table is not supported by this script")
    table = data[bt_off:bt_off + bt_size]
    blobs = []
    for i in range(0, len(table) - 49, 50):
        e = table[i:i + 50]
        size_in_wim, rflags, offset, orig = parse_reshdr(e[0:24])
        part, refcnt = struct.unpack_from("<HI", e, 24)
        sha1 = e[30:50].hex()
        blobs.append(dict(size_in_wim=size_in_wim, flags=rflags, offset=offset,
                          orig=orig, sha1=sha1))
    return data, flags, chunk_size, blobs


def chunks_of(data, blob, chunk_size):
    """Yields (index, compressed bytes, uncompressed size) for a compressed non-solid blob."""
    n = (blob["orig"] + chunk_size - 1) // chunk_size
    esz = 8 if blob["orig"] > 0xFFFFFFFF else 4
    table_len = (n - 1) * esz
    base = blob["offset"]
    table = data[base:base + table_len]
    offs = [0] + [int.from_bytes(table[i:i + esz], "little") for i in range(0, table_len, esz)]
    body = base + table_len
    body_len = blob["size_in_wim"] - table_len
    for i in range(n):
        start = offs[i]
        end = offs[i + 1] if i + 1 < n else body_len
        usize = chunk_size if i + 1 < n else blob["orig"] - chunk_size * (n - 1)
        yield i, data[body + start:body + end], usize


def write_pack(path, data, chunk_size, blobs, by_hash):
    counts = [0, 0]
    with open(path, "wb") as f:
        for blob in blobs:
            if blob["flags"] & (FLAG_METADATA | FLAG_SOLID) or not blob["flags"] & FLAG_COMPRESSED:
                continue
            found = by_hash.get(blob["sha1"])
            if found is None:
                continue
            content = found[1]
            for i, comp, usize in chunks_of(data, blob, chunk_size):
                raw = content[i * chunk_size:i * chunk_size + usize]
                kind = 1 if len(comp) == usize else 0
                f.write(struct.pack("<BIII", kind, chunk_size, len(comp), usize))
                f.write(comp)
                f.write(raw)
                counts[kind] += 1
    print(f"packed {counts[0]} LZX chunks and {counts[1]} stored-raw chunks into {path}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("wim")
    ap.add_argument("source_dir")
    ap.add_argument("out_dir", nargs="?")
    ap.add_argument("--pack", default=None, help="write all chunks into one pack file")
    ap.add_argument("--name-prefix", default="")
    ap.add_argument("--max-per-file", type=int, default=1 << 30)
    ap.add_argument("--only", nargs="*", default=None, help="file names to take chunks from")
    ap.add_argument("--chunks", default=None,
                    help="comma-separated chunk indexes to keep (negative counts from the end)")
    ap.add_argument("--list", action="store_true", help="only list the compressed chunks")
    args = ap.parse_args()

    data, _, chunk_size, blobs = read_wim(args.wim)
    by_hash = {}
    for root, _, files in os.walk(args.source_dir):
        for name in files:
            p = os.path.join(root, name)
            if os.path.islink(p) or not os.path.isfile(p):
                continue
            with open(p, "rb") as f:
                content = f.read()
            by_hash.setdefault(hashlib.sha1(content).hexdigest(), (name, content))

    if args.pack:
        write_pack(args.pack, data, chunk_size, blobs, by_hash)
        return
    if args.out_dir is None:
        sys.exit("OUT_DIR or --pack is required")
    os.makedirs(args.out_dir, exist_ok=True)
    written = 0
    for blob in blobs:
        if blob["flags"] & FLAG_METADATA or blob["flags"] & FLAG_SOLID:
            continue
        if not blob["flags"] & FLAG_COMPRESSED:
            continue
        found = by_hash.get(blob["sha1"])
        if found is None:
            continue
        name, content = found
        if args.only is not None and name not in args.only:
            continue
        n = (blob["orig"] + chunk_size - 1) // chunk_size
        keep = None
        if args.chunks:
            keep = {int(c) % n for c in args.chunks.split(",")}
        taken = 0
        for i, comp, usize in chunks_of(data, blob, chunk_size):
            if len(comp) == usize:
                continue  # stored raw
            if keep is not None and i not in keep:
                continue
            if taken >= args.max_per_file:
                break
            raw = content[i * chunk_size:i * chunk_size + usize]
            if args.list:
                print(f"{name} chunk {i}: {len(comp)} -> {usize}")
            else:
                stem = os.path.join(args.out_dir, f"{args.name_prefix}{name}.c{i}.w{chunk_size}")
                with open(stem + ".lzx", "wb") as f:
                    f.write(comp)
                with open(stem + ".raw", "wb") as f:
                    f.write(raw)
                written += 1
            taken += 1
    if not args.list:
        print(f"wrote {written} chunk pairs (chunk size {chunk_size}) to {args.out_dir}")


if __name__ == "__main__":
    main()
