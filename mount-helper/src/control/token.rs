//! The parts of the Windows control transport that need no Windows API: the token's text form,
//! its constant-time comparison and the port file's format. Compiled on Windows, and for the
//! tests everywhere (so they run on the Linux CI).

/// Bytes of the token.
pub(super) const TOKEN_LEN: usize = 32;

/// Lower-case hex digits of `bytes`.
pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Equal contents, in a time that depends only on the lengths.
pub(super) fn same_secret(a: &[u8], b: &[u8]) -> bool {
    let diff = a
        .iter()
        .zip(b)
        .fold(0u8, |acc, (x, y)| std::hint::black_box(acc | (x ^ y)));
    a.len() == b.len() && diff == 0
}

/// The port file's contents: `<port> <token hex>\n`.
pub(super) fn port_file(port: u16, token_hex: &str) -> String {
    format!("{port} {token_hex}\n")
}

/// The port and token of a port file; `None` if it is damaged.
pub(super) fn parse_port_file(text: &str) -> Option<(u16, &str)> {
    let (port, token) = text.trim_end().split_once(' ')?;
    let port = port.parse().ok()?;
    let well_formed = token.len() == 2 * TOKEN_LEN && token.bytes().all(|b| b.is_ascii_hexdigit());
    well_formed.then_some((port, token))
}

/// The line a client sends first.
pub(super) fn token_line(token_hex: &str) -> Vec<u8> {
    format!("{token_hex}\n").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_by_content_and_length() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abc", b"abd"));
        assert!(!same_secret(b"abc", b"abcd"));
        assert!(!same_secret(b"", b"a"));
    }

    #[test]
    fn port_files_round_trip_and_damage_is_refused() {
        let token = hex(&[0xab; TOKEN_LEN]);
        assert_eq!(token.len(), 64);
        let text = port_file(49152, &token);
        assert_eq!(parse_port_file(&text), Some((49152, token.as_str())));
        assert_eq!(token_line(&token).len(), 65);
        assert_eq!(parse_port_file("49152"), None);
        assert_eq!(parse_port_file("99999 00"), None);
        assert_eq!(parse_port_file(&format!("1 {}", &token[..63])), None);
        assert_eq!(parse_port_file(&format!("1 {}zz", &token[..62])), None);
    }
}
