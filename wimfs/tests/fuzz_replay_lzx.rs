//! Replays every input kept under `tests/fuzz_regressions/lzx_decompress/` through the same
//! checks as the `lzx_decompress` fuzz target: byte 0 (bits 0-1) picks the window (32 KiB,
//! 64 KiB, 1 MiB, 2 MiB), bytes 1..4 the little-endian output size (reduced modulo the smaller
//! of the window and 256 KiB, plus one), the rest is the compressed chunk. Crash reproducers
//! found by `cargo fuzz run lzx_decompress` go there as `crash-*`; the `seed-*` files are
//! fuzzer-made inputs that reach the decoder's paths (valid blocks, bad trees, truncated
//! streams, bad matches) and three valid chunks made by wimlib.

use std::path::Path;

use wimfs::compress::lzx::decompress;

fn replay(data: &[u8]) -> Option<bool> {
    let (head, input) = data.split_first_chunk::<4>()?;
    let window = [32768usize, 65536, 1 << 20, 2 << 20][usize::from(head[0] & 3)];
    let size = u32::from_le_bytes([head[1], head[2], head[3], 0]) as usize;
    let size = size % (window.min(256 * 1024) + 1);
    let mut out = vec![0u8; size];
    let ok = decompress(input, &mut out, window).is_ok();
    if ok {
        let mut again = vec![0xA5u8; size];
        assert!(decompress(input, &mut again, window).is_ok());
        assert_eq!(
            out, again,
            "output must not depend on the buffer's previous contents"
        );
    }
    Some(ok)
}

#[test]
fn replay_lzx_decompress_regressions() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions/lzx_decompress");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("regression dir") {
        let path = entry.expect("dir entry").path();
        let data = std::fs::read(&path).expect("read regression input");
        println!("{}: decodes = {:?}", path.display(), replay(&data));
        // Every truncation of it too, and a few bit flips: cheap extra hostile inputs.
        for cut in (0..data.len()).step_by(5) {
            replay(&data[..cut]);
        }
        for pos in (4..data.len()).step_by(11) {
            let mut d = data.clone();
            d[pos] ^= 0x10;
            replay(&d);
        }
        n += 1;
    }
    assert!(n > 0, "no inputs in {}", dir.display());
}
