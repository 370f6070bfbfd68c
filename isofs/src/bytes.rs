//! Field access on byte slices ([`Fields`], shared with wimfs through `common::fields`: errors
//! name the structure and its absolute image offset) and checked arithmetic helpers.

use crate::error::{IsoError, IsoResult};

pub use common::fields::Fields;

/// `a + b` or an error naming `structure` at `offset`.
pub fn add(a: u64, b: u64, structure: &'static str, offset: u64) -> IsoResult<u64> {
    a.checked_add(b)
        .ok_or_else(|| IsoError::invalid(structure, offset, format!("{a} + {b} overflows")))
}

/// `a * b` or an error naming `structure` at `offset`.
pub fn mul(a: u64, b: u64, structure: &'static str, offset: u64) -> IsoResult<u64> {
    a.checked_mul(b)
        .ok_or_else(|| IsoError::invalid(structure, offset, format!("{a} * {b} overflows")))
}

/// Trims trailing spaces and NULs from a d-/a-character field and decodes it leniently.
pub fn trim_text(raw: &[u8]) -> String {
    let end = raw
        .iter()
        .rposition(|&b| b != b' ' && b != 0)
        .map_or(0, |p| p + 1);
    String::from_utf8_lossy(&raw[..end]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed() {
        assert_eq!(trim_text(b"CDROM   \0\0"), "CDROM");
        assert_eq!(trim_text(b"   "), "");
    }
}
