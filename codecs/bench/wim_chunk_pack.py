#!/usr/bin/env python3
"""Write every compressed chunk of a non-solid WIM into one pack file for the decoder benchmark
(`codecs/examples/decoder_bench.rs`, run by `codecs/bench/bench-decoders.sh`).

Usage: wim_chunk_pack.py WIM PACK

Pack records (little-endian): u8 codec (1 XPRESS, 2 LZX, 3 LZMS), u32 chunk size of the WIM (the
LZX window), u32 stored length, u32 decoded length, then the stored bytes. Chunks stored raw
(stored length == decoded length) are left out: they are not compressed. The decoded bytes are
not stored: the benchmark checks our output against wimlib's.

Only what this needs of the format is parsed (wimlib's documentation, `include/wimlib/header.h`
and `resource.h`): the header (magic "MSWIM\\0\\0\\0", flags u32 at 16 with 0x20000 XPRESS /
0x40000 LZX / 0x80000 LZMS, chunk size u32 at 20, blob table resource header at 48); 24-byte
resource headers (7-byte size in WIM, flag byte with 0x4 compressed and 0x10 solid, u64
offset, u64 original size); 50-byte blob table entries (a resource header first); and the
chunk table of a compressed non-solid resource: (n - 1) entries of 4 bytes (8 when the
original size exceeds 4 GiB), the offsets of chunks 2..n from the end of the table. A solid
resource (entry flag 0x10 with original size 0x100000000) starts with a 16-byte header {u64
uncompressed size, u32 chunk size, u32 compression (1 XPRESS, 2 LZX, 3 LZMS)} and one u32
compressed size per chunk; its chunks are packed with the header's chunk size.
"""
import struct
import sys

CODECS = {0x20000: 1, 0x40000: 2, 0x80000: 3}


def reshdr(buf, off):
    size = int.from_bytes(buf[off:off + 7], "little")
    flags = buf[off + 7]
    offset, original = struct.unpack_from("<QQ", buf, off + 8)
    return size, flags, offset, original


def main():
    wim_path, pack_path = sys.argv[1:3]
    wim = open(wim_path, "rb").read()
    if wim[:8] != b"MSWIM\0\0\0":
        sys.exit(f"{wim_path}: not a WIM")
    flags, chunk_size = struct.unpack_from("<II", wim, 16)
    codec = next((c for bit, c in CODECS.items() if flags & bit), None)
    if codec is None:
        sys.exit(f"{wim_path}: not an XPRESS, LZX or LZMS WIM (flags {flags:#x})")
    bt_size, _, bt_off, _ = reshdr(wim, 48)
    table = wim[bt_off:bt_off + bt_size]
    seen = set()
    nchunks = stored_total = raw_total = 0
    with open(pack_path, "wb") as out:
        for e in range(0, len(table) - 49, 50):
            size, rflags, offset, original = reshdr(table, e)
            if rflags & 0x10 and original == 1 << 32 and offset not in seen:
                seen.add(offset)
                usize, csize, ctype = struct.unpack_from("<QII", wim, offset)
                n = (usize + csize - 1) // csize
                sizes = struct.unpack_from(f"<{n}I", wim, offset + 16)
                pos = offset + 16 + 4 * n
                for i, clen in enumerate(sizes):
                    raw_len = min(csize, usize - i * csize)
                    if clen < raw_len:
                        out.write(struct.pack("<BIII", ctype, csize, clen, raw_len))
                        out.write(wim[pos:pos + clen])
                        nchunks += 1
                        stored_total += clen
                        raw_total += raw_len
                    pos += clen
                continue
            if not rflags & 0x4 or rflags & 0x10 or offset in seen or original == 0:
                continue
            seen.add(offset)
            n = (original + chunk_size - 1) // chunk_size
            entry = 8 if original > 1 << 32 else 4
            tsize = (n - 1) * entry
            fmt = "<Q" if entry == 8 else "<I"
            starts = [0] + [struct.unpack_from(fmt, wim, offset + i * entry)[0]
                            for i in range(n - 1)]
            ends = starts[1:] + [size - tsize]
            for i, (a, b) in enumerate(zip(starts, ends)):
                raw_len = min(chunk_size, original - i * chunk_size)
                stored = wim[offset + tsize + a:offset + tsize + b]
                if len(stored) >= raw_len:
                    continue
                out.write(struct.pack("<BIII", codec, chunk_size, len(stored), raw_len))
                out.write(stored)
                nchunks += 1
                stored_total += len(stored)
                raw_total += raw_len
    print(f"{pack_path}: {nchunks} chunks, {stored_total} bytes stored, {raw_total} decoded")


if __name__ == "__main__":
    main()
