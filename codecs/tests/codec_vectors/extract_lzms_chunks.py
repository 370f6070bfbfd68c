#!/usr/bin/env python3
"""Extract LZMS-compressed chunks from a WIM, paired with their uncompressed bytes.

Usage:
    extract_lzms_chunks.py WIM SOURCE_DIR OUT_DIR [--name-prefix P] [--only FILE ...]
                           [--chunks I,J,...] [--max-per-file N] [--list]
                           [--solid-digest]

The WIM is one made by `wimlib-imagex capture SOURCE_DIR WIM --compress=lzms [--chunk-size=N]`
(one compressed resource per file), or with `--solid` (files concatenated into solid
resources, 64 MiB chunks by default). The uncompressed contents are rebuilt from the captured
files themselves: every file under SOURCE_DIR is hashed (SHA-1) and matched against the blob
table. For each chosen chunk the script writes `OUT_DIR/<prefix><name>.c<index>.lzms` (the
compressed chunk, as stored) and the same name with `.raw` (its expected decoded bytes), where
<name> is the file name (non-solid; `~2`, `~3`... is appended to the names of later files of
the same name) or `solid<k>` (k-th solid resource). With --solid-digest a
solid chunk's expected bytes are written as `.sha1` (hex SHA-1 and size: "HEX SIZE\\n") instead
of `.raw`, for chunks too big to commit. Chunks stored raw (compressed size == uncompressed
size) are skipped: they are not LZMS.

How the committed pairs in tests/codec_vectors/lzms/ were made (wimlib-imagex 1.13.5): see
tests/codec_vectors/lzms/MANIFEST.

Only as much of the WIM format is parsed as this needs (see wimlib's documentation and
src/resource.c, src/blob_table.c):
  * header (208 bytes): magic "MSWIM\\0\\0\\0", chunk size u32 at offset 20, blob table resource
    header at offset 48;
  * resource header (24 bytes): 7-byte LE size in WIM, 1 flag byte (0x2 metadata, 0x4
    compressed, 0x10 solid), u64 offset, u64 original size;
  * blob table entry (50 bytes): resource header, u16 part number, u32 reference count, SHA-1;
  * a compressed non-solid resource starts with a chunk table of (nchunks - 1) entries, 4 bytes
    each (8 if the original size is above 4 GiB): the offsets of chunks 2..n relative to the end
    of the table;
  * solid entries come in runs of consecutive entries with flag 0x10: an entry whose original
    size is 0x100000000 describes a solid resource, the others are blobs whose "offset" is their
    position in the concatenation of the run's resources (uncompressed) and whose "size in WIM"
    is their size. A solid resource starts with a 16-byte header {u64 uncompressed size, u32
    chunk size, u32 compression format (3 = LZMS)}, then one u32 compressed size per chunk, then
    the chunks.
"""

import argparse
import hashlib
import os
import struct
import sys

FLAG_METADATA = 0x02
FLAG_COMPRESSED = 0x04
FLAG_SOLID = 0x10
SOLID_MAGIC = 0x100000000


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
    (chunk_size,) = struct.unpack_from("<I", data, 20)
    if hdr_size != 208:
        sys.exit(f"{path}: unexpected header size {hdr_size}")
    bt_size, bt_flags, bt_off, _ = parse_reshdr(data[48:72])
    if bt_flags & FLAG_COMPRESSED:
        sys.exit(f"{path}: compressed blob table is not supported by this script")
    table = data[bt_off:bt_off + bt_size]
    entries = []
    for i in range(0, len(table) - 49, 50):
        e = table[i:i + 50]
        size_in_wim, rflags, offset, orig = parse_reshdr(e[0:24])
        entries.append(dict(size_in_wim=size_in_wim, flags=rflags, offset=offset,
                            orig=orig, sha1=e[30:50].hex()))
    return data, chunk_size, entries


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
        end = offs[i + 1] if i + 1 < n else body_len
        usize = chunk_size if i + 1 < n else blob["orig"] - chunk_size * (n - 1)
        yield i, data[body + offs[i]:body + end], usize


def solid_runs(entries):
    """Yields (resources, blobs) for each run of consecutive solid entries."""
    run = None
    for e in entries + [dict(flags=0)]:
        if e["flags"] & FLAG_SOLID:
            if run is None:
                run = ([], [])
            (run[0] if e["orig"] == SOLID_MAGIC else run[1]).append(e)
        elif run is not None:
            yield run
            run = None


def solid_resource_chunks(data, res):
    """Returns (uncompressed size, chunk size, format, [(compressed bytes, usize)])."""
    base = res["offset"]
    usize, chunk_size, fmt = struct.unpack_from("<QII", data, base)
    n = (usize + chunk_size - 1) // chunk_size
    sizes = struct.unpack_from(f"<{n}I", data, base + 16)
    pos = base + 16 + 4 * n
    chunks = []
    for i, cs in enumerate(sizes):
        u = chunk_size if i + 1 < n else usize - chunk_size * (n - 1)
        chunks.append((data[pos:pos + cs], u))
        pos += cs
    return usize, chunk_size, fmt, chunks


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("wim")
    ap.add_argument("source_dir")
    ap.add_argument("out_dir")
    ap.add_argument("--name-prefix", default="")
    ap.add_argument("--max-per-file", type=int, default=1 << 30)
    ap.add_argument("--only", nargs="*", default=None, help="file names to take chunks from")
    ap.add_argument("--chunks", default=None,
                    help="comma-separated chunk indexes to keep (negative counts from the end)")
    ap.add_argument("--list", action="store_true", help="only list the compressed chunks")
    ap.add_argument("--solid-digest", action="store_true",
                    help="write SHA-1 + size (.sha1) instead of .raw for solid chunks")
    args = ap.parse_args()

    data, chunk_size, entries = read_wim(args.wim)
    by_hash = {}
    for root, _, files in os.walk(args.source_dir):
        for name in files:
            p = os.path.join(root, name)
            if os.path.islink(p) or not os.path.isfile(p):
                continue
            with open(p, "rb") as f:
                content = f.read()
            by_hash.setdefault(hashlib.sha1(content).hexdigest(), (name, content))

    os.makedirs(args.out_dir, exist_ok=True)
    written = 0

    used = set()

    def emit(stem, comp, raw, digest_only=False):
        nonlocal written
        # Files of the same name in different directories: keep every chunk.
        base, k = stem, 1
        while stem in used:
            k += 1
            stem = f"{base}~{k}"
        used.add(stem)
        if args.list:
            print(f"{os.path.basename(stem)}: {len(comp)} -> {len(raw)}")
            return
        with open(stem + ".lzms", "wb") as f:
            f.write(comp)
        if digest_only:
            with open(stem + ".sha1", "w") as f:
                f.write(f"{hashlib.sha1(raw).hexdigest()} {len(raw)}\n")
        else:
            with open(stem + ".raw", "wb") as f:
                f.write(raw)
        written += 1

    def keep_set(n):
        return None if not args.chunks else {int(c) % n for c in args.chunks.split(",")}

    # Non-solid resources: one per file.
    for blob in entries:
        if blob["flags"] & (FLAG_METADATA | FLAG_SOLID) or not blob["flags"] & FLAG_COMPRESSED:
            continue
        found = by_hash.get(blob["sha1"])
        if found is None:
            continue
        name, content = found
        if args.only is not None and name not in args.only:
            continue
        n = (blob["orig"] + chunk_size - 1) // chunk_size
        keep = keep_set(n)
        taken = 0
        for i, comp, usize in chunks_of(data, blob, chunk_size):
            if len(comp) == usize or (keep is not None and i not in keep):
                continue
            if taken >= args.max_per_file:
                break
            raw = content[i * chunk_size:i * chunk_size + usize]
            emit(os.path.join(args.out_dir, f"{args.name_prefix}{name}.c{i}"), comp, raw)
            taken += 1

    # Solid resources: rebuild each resource's bytes from its blobs.
    k = 0
    for resources, blobs in solid_runs(entries):
        infos = [solid_resource_chunks(data, r) for r in resources]
        total = sum(info[0] for info in infos)
        whole = bytearray(total)
        for b in blobs:
            found = by_hash.get(b["sha1"])
            if found is None:
                if b["size_in_wim"]:
                    print(f"warning: solid blob {b['sha1']} not among the source files",
                          file=sys.stderr)
                continue
            whole[b["offset"]:b["offset"] + b["size_in_wim"]] = found[1]
        start = 0
        for usize, csize_chunk, fmt, chunks in infos:
            if fmt != 3:
                print(f"solid resource {k}: format {fmt}, not LZMS; skipped", file=sys.stderr)
            else:
                keep = keep_set(len(chunks))
                for i, (comp, u) in enumerate(chunks):
                    if len(comp) == u or (keep is not None and i not in keep):
                        continue
                    lo = start + i * csize_chunk
                    emit(os.path.join(args.out_dir, f"{args.name_prefix}solid{k}.c{i}"),
                         comp, bytes(whole[lo:lo + u]), args.solid_digest)
            start += usize
            k += 1

    if not args.list:
        print(f"wrote {written} chunks (WIM chunk size {chunk_size}) to {args.out_dir}")


if __name__ == "__main__":
    main()
