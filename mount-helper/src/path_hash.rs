//! A stable, short name for a path: FNV-1a of its bytes (control sockets, staging
//! registrations). Not a security measure: it only spreads names.

/// FNV-1a: a stable, short name for a path (control sockets, staging registrations).
pub(crate) fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
