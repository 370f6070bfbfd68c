//! One entry point per codec for the fuzz targets (`fuzz/fuzz_targets/{xpress,lzx,lzms}_*.rs`)
//! and the tests that replay their kept inputs (`tests/fuzz_replay.rs`), so both exercise the
//! same code. Each takes arbitrary bytes: the first few choose the parameters (output size,
//! window), the rest is the chunk.
//!
//! The `*_decode` functions return the decoder's result and never panic on any input; they
//! panic only when the decoder breaks a contract (a successful decode whose output depends on
//! the output buffer's previous contents). The `*_roundtrip` functions compress the bytes and
//! panic unless whatever compresses is smaller and decodes back to itself.

use crate::{lzms, lzx, xpress, DecodeError};

/// Decodes twice, into buffers of different previous contents; both must agree.
fn decode_twice(
    size: usize,
    decode: impl Fn(&mut [u8]) -> Result<(), DecodeError>,
) -> Result<Vec<u8>, DecodeError> {
    let mut out = vec![0u8; size];
    decode(&mut out)?;
    let mut again = vec![0xA5u8; size];
    assert!(
        decode(&mut again).is_ok(),
        "second decode of the same input failed"
    );
    assert!(
        out == again,
        "output must not depend on the buffer's previous contents"
    );
    Ok(out)
}

/// XPRESS: bytes 0..2 are the little-endian output size (at most 64 KiB - 1), the rest the chunk.
pub fn xpress_decode(data: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let Some((size, input)) = data.split_first_chunk::<2>() else {
        return Ok(Vec::new());
    };
    let size = usize::from(u16::from_le_bytes(*size));
    decode_twice(size, |out| xpress::decompress(input, out))
}

/// XPRESS round trip of `data` cut to one 64 KiB chunk, at both efforts (`Fast` is what
/// commits write); returns the compressed size at `Effort::Normal`, `None` when the encoder
/// stores the chunk raw.
pub fn xpress_roundtrip(data: &[u8]) -> Option<usize> {
    let data = &data[..data.len().min(65536)];
    let fast = xpress::compress_with(data, xpress::Effort::Fast);
    check_efforts(data, [fast, xpress::compress(data)], xpress::decompress)
}

/// The window chosen by a selector byte (bits 0-1): 32 KiB, 64 KiB, 1 MiB or 2 MiB.
fn lzx_window(sel: u8) -> usize {
    [32768usize, 65536, 1 << 20, 2 << 20][usize::from(sel & 3)]
}

/// LZX: byte 0 picks the window (`lzx_window`), bytes 1..4 the little-endian output size
/// (reduced modulo min(window, 256 KiB) + 1), the rest is the chunk.
pub fn lzx_decode(data: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let Some((head, input)) = data.split_first_chunk::<4>() else {
        return Ok(Vec::new());
    };
    let window = lzx_window(head[0]);
    let size = u32::from_le_bytes([head[1], head[2], head[3], 0]) as usize;
    let size = size % (window.min(256 * 1024) + 1);
    decode_twice(size, |out| lzx::decompress(input, out, window))
}

/// LZX round trip: byte 0 picks the window (`lzx_window`), the rest (cut to the window) is
/// the chunk. Returns the compressed size, `None` when the encoder stores the chunk raw.
pub fn lzx_roundtrip(data: &[u8]) -> Option<usize> {
    let (&sel, chunk) = data.split_first()?;
    let window = lzx_window(sel);
    lzx_roundtrip_window(&chunk[..chunk.len().min(window)], window)
}

/// LZX round trip of one chunk with an explicit window size (the WIM's chunk size), at both
/// efforts (`Fast` is what commits write); returns the compressed size at `Effort::Normal`.
pub fn lzx_roundtrip_window(chunk: &[u8], window: usize) -> Option<usize> {
    let fast = lzx::compress_with(chunk, window, lzx::Effort::Fast);
    check_efforts(
        chunk,
        [fast, lzx::compress(chunk, window)],
        |packed, out| lzx::decompress(packed, out, window),
    )
}

/// The output size and the chunk of an LZMS harness input: bytes 0..3 (little-endian, modulo
/// 1 MiB + 1), then the rest; `None` for fewer than 3 bytes.
fn lzms_input(data: &[u8]) -> Option<(usize, &[u8])> {
    let (size, input) = data.split_first_chunk::<3>()?;
    let size = (usize::from(size[0]) | usize::from(size[1]) << 8 | usize::from(size[2]) << 16)
        % ((1 << 20) + 1);
    Some((size, input))
}

/// LZMS: bytes 0..3 (little-endian, modulo 1 MiB + 1) are the output size, the rest the chunk.
pub fn lzms_decode(data: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let Some((size, input)) = lzms_input(data) else {
        return Ok(Vec::new());
    };
    decode_twice(size, |out| lzms::decompress(input, out))
}

/// LZMS through both of the decoder's paths: the one-pass path chunks up to 1 MiB take and
/// the two-pass path of bigger chunks (its item pass and its write pass), whatever the size.
/// Input as for [`lzms_decode`]. Panics unless both give the same bytes or the same error.
pub fn lzms_decode_two_pass(data: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let Some((size, input)) = lzms_input(data) else {
        return Ok(Vec::new());
    };
    let two = decode_twice(size, |out| lzms::decompress_in(input, out, false));
    let mut one = vec![0u8; size];
    let direct = lzms::decompress_in(input, &mut one, true).map(|()| one);
    match (&two, &direct) {
        (Ok(a), Ok(b)) => assert!(a == b, "the two passes decode other bytes than one pass"),
        (Err(a), Err(b)) => assert!(
            a == b,
            "the two passes fail with {a:?}, one pass with {b:?}"
        ),
        _ => panic!("one path decodes, the other fails: {two:?} / {direct:?}"),
    }
    two
}

/// [`check_roundtrip`] of each effort's output that compressed (`[other, normal]`, `None`:
/// stored raw); returns the compressed size at `Effort::Normal`.
fn check_efforts(
    data: &[u8],
    outputs: [Option<Vec<u8>>; 2],
    decompress: impl Fn(&[u8], &mut [u8]) -> Result<(), DecodeError>,
) -> Option<usize> {
    for packed in outputs.iter().flatten() {
        check_roundtrip(data, packed, |out| decompress(packed, out));
    }
    let [_, normal] = outputs;
    normal.map(|packed| packed.len())
}

/// Panics unless `packed` is smaller than `data` and decodes back to it.
fn check_roundtrip(
    data: &[u8],
    packed: &[u8],
    decode: impl Fn(&mut [u8]) -> Result<(), DecodeError>,
) {
    assert!(
        packed.len() < data.len(),
        "compress must only return output smaller than its input"
    );
    let mut out = vec![0u8; data.len()];
    if let Err(e) = decode(&mut out) {
        panic!("our own output does not decode: {e}");
    }
    assert!(out == data, "round trip of {} bytes differs", data.len());
}

/// LZMS round trip of `data` cut to 1 MiB (one chunk; LZMS has no window parameter), at both
/// efforts (`Light` is what commits write for non-solid chunks). Returns the compressed size
/// at `Effort::Normal`, `None` when the encoder stores the chunk raw.
pub fn lzms_roundtrip(data: &[u8]) -> Option<usize> {
    let data = &data[..data.len().min(1 << 20)];
    let light = lzms::compress_with_effort(data, lzms::Effort::Light);
    check_efforts(data, [light, lzms::compress(data)], lzms::decompress)
}

#[cfg(test)]
mod tests {
    /// Text-like bytes: words from a small vocabulary in a pseudo-random order.
    fn words(n: usize, mut seed: u64) -> Vec<u8> {
        let vocabulary = [
            "the ", "chunk ", "offset ", "LZMS ", "range ", "coder\n", "delta ",
        ];
        let mut v = Vec::with_capacity(n + 8);
        while v.len() < n {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            v.extend_from_slice(vocabulary[(seed % 7) as usize].as_bytes());
        }
        v.truncate(n);
        v
    }

    #[test]
    fn xpress_and_lzx_roundtrips_check_both_efforts() {
        assert_eq!(super::xpress_roundtrip(&[]), None);
        assert!(super::xpress_roundtrip(&words(60_000, 5)).is_some());
        let mut lzx = vec![0u8]; // a 32 KiB window, as WIM chunks
        lzx.extend_from_slice(&words(30_000, 6));
        assert!(super::lzx_roundtrip(&lzx).is_some());
        assert_eq!(super::lzx_roundtrip(&[]), None);
    }

    #[test]
    fn lzms_roundtrip_takes_the_fuzzers_first_inputs_and_large_ones() {
        assert_eq!(super::lzms_roundtrip(&[]), None);
        assert_eq!(super::lzms_roundtrip(&[7]), None);
        assert!(super::lzms_roundtrip(&words(300_000, 3)).is_some());
        assert!(super::lzms_roundtrip(&words(2 << 20, 4)).is_some());
    }
}
