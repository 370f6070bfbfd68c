//! Bounds-checked little-endian field readers over a byte slice. Each returns `None` when the
//! field would lie past the end, so callers turn that into an error naming their structure.

/// Reads `N` bytes at `off`.
pub fn array<const N: usize>(buf: &[u8], off: usize) -> Option<[u8; N]> {
    let end = off.checked_add(N)?;
    buf.get(off..end)?.try_into().ok()
}

/// Reads a little-endian u16 at `off`.
pub fn u16_at(buf: &[u8], off: usize) -> Option<u16> {
    array(buf, off).map(u16::from_le_bytes)
}

/// Reads a little-endian u32 at `off`.
pub fn u32_at(buf: &[u8], off: usize) -> Option<u32> {
    array(buf, off).map(u32::from_le_bytes)
}

/// Reads a little-endian u64 at `off`.
pub fn u64_at(buf: &[u8], off: usize) -> Option<u64> {
    array(buf, off).map(u64::from_le_bytes)
}

/// Rounds `n` up to a multiple of 8, or `None` on overflow.
pub fn align8(n: u64) -> Option<u64> {
    n.checked_add(7).map(|v| v & !7)
}

/// Decodes UTF-16LE bytes into UTF-16 code units (an odd trailing byte is dropped).
pub fn utf16le_units(bytes: &[u8]) -> Vec<u16> {
    bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect()
}

/// Decodes UTF-16LE into a String, replacing unpaired surrogates with U+FFFD.
pub fn utf16le_string(bytes: &[u8]) -> String {
    String::from_utf16_lossy(&utf16le_units(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_stop_at_the_end() {
        let b = [1u8, 2, 3, 4, 5];
        assert_eq!(u32_at(&b, 1), Some(0x0504_0302));
        assert_eq!(u32_at(&b, 2), None);
        assert_eq!(u64_at(&b, usize::MAX), None);
        assert_eq!(align8(9), Some(16));
        assert_eq!(align8(u64::MAX), None);
    }
}
