//! The `Authorization` header (RFC 9110 §11.6.2): Basic with the URL's `user:password`, else
//! Bearer with `--http-token-file`'s token, else Basic with `~/.netrc`'s entry for the host.
//! The value is a [`Secret`]: never printed.

use super::config::{HttpConfig, Secret};
use super::netrc;
use super::url::HttpUrl;

/// The header value to send, if any credentials apply.
pub fn authorization(url: &HttpUrl, config: &HttpConfig) -> Option<Secret> {
    if let Some((user, pass)) = url.credentials() {
        return Some(basic(user, pass));
    }
    if let Some(token) = &config.bearer_token {
        return Some(Secret::new(format!("Bearer {}", token.expose().trim())));
    }
    let (login, password) = netrc::credentials_for(url.host(), config.netrc.as_deref())?;
    Some(basic(&login, password.expose()))
}

fn basic(user: &str, pass: &str) -> Secret {
    Secret::new(format!(
        "Basic {}",
        base64(format!("{user}:{pass}").as_bytes())
    ))
}

/// Standard base64 with padding (RFC 4648 §4).
fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    #[test]
    fn url_credentials_win_and_tokens_become_bearer() {
        let cfg = HttpConfig {
            bearer_token: Some(Secret::new("tok\n")),
            netrc: Some("/nonexistent".into()),
            ..HttpConfig::default()
        };
        let u = HttpUrl::parse("http://Aladdin:open%20sesame@h/x").expect("url");
        let a = authorization(&u, &cfg).expect("basic");
        assert_eq!(a.expose(), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
        let u = HttpUrl::parse("http://h/x").expect("url");
        assert_eq!(
            authorization(&u, &cfg).expect("bearer").expose(),
            "Bearer tok"
        );
        let none = HttpConfig {
            netrc: Some("/nonexistent".into()),
            ..HttpConfig::default()
        };
        assert!(authorization(&u, &none).is_none());
    }
}
