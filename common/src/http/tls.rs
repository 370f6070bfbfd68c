//! TLS settings: rustls with the system's CA certificates (`rustls-native-certs`) plus
//! `--ca-file`'s on Unix; on Windows the system's own TLS (SChannel: ring, rustls's crypto,
//! needs a C toolchain to build for Windows), with its store, or only `--ca-file`'s roots.

use std::path::Path;
#[cfg(not(windows))]
use std::sync::Arc;

use super::error::HttpError;

/// TLS: the system's roots and the CA file on Unix (rustls).
#[cfg(not(windows))]
pub fn tls_config(ca_file: Option<&Path>) -> Result<ureq::tls::TlsConfig, HttpError> {
    use ureq::tls::{Certificate, RootCerts, TlsConfig, TlsProvider};
    let mut roots: Vec<Certificate<'static>> = rustls_native_certs::load_native_certs()
        .certs
        .into_iter()
        .map(|c| Certificate::from_der(c.as_ref()).to_owned())
        .collect();
    if roots.is_empty() {
        tracing::warn!("no system CA certificates found; using the bundled web PKI roots");
    }
    roots.extend(ca_certificates(ca_file)?);
    let root_certs = if roots.is_empty() {
        RootCerts::WebPki
    } else {
        RootCerts::Specific(Arc::new(roots))
    };
    Ok(TlsConfig::builder()
        .provider(TlsProvider::Rustls)
        .root_certs(root_certs)
        .build())
}

/// TLS on Windows: SChannel with the system's store, or only the CA file's certificates.
#[cfg(windows)]
pub fn tls_config(ca_file: Option<&Path>) -> Result<ureq::tls::TlsConfig, HttpError> {
    use std::sync::Arc;
    use ureq::tls::{RootCerts, TlsConfig, TlsProvider};
    let extra = ca_certificates(ca_file)?;
    let root_certs = if extra.is_empty() {
        RootCerts::PlatformVerifier
    } else {
        RootCerts::Specific(Arc::new(extra))
    };
    Ok(TlsConfig::builder()
        .provider(TlsProvider::NativeTls)
        .root_certs(root_certs)
        .build())
}

/// The certificates of a PEM file (none without a file; an error if it holds none).
fn ca_certificates(
    ca_file: Option<&Path>,
) -> Result<Vec<ureq::tls::Certificate<'static>>, HttpError> {
    let Some(path) = ca_file else {
        return Ok(Vec::new());
    };
    let local = |source| HttpError::Local {
        what: "CA file",
        path: path.display().to_string(),
        source,
    };
    let pem = std::fs::read(path).map_err(local)?;
    let certs: Vec<_> = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => Some(c.to_owned()),
            _ => None,
        })
        .collect();
    if certs.is_empty() {
        return Err(local(std::io::Error::other("no PEM certificate in it")));
    }
    Ok(certs)
}
