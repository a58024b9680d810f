//! The two listeners of `signet serve`: the API (and ACME) over HTTPS at `listen`, with its
//! certificate issued and renewed by signet or read from files; and plain HTTP at `http_listen`
//! for what relying parties fetch without TLS (CA certificates, CRLs, OCSP), whose URL goes into
//! certificates.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::{ConfigProblem, raw, setting};

/// Where the HTTPS listener's certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsSource {
    /// Issued by the CA named `issuer` for the listen address, `localhost` and the public URL's
    /// host, kept in the data directory and renewed before it expires.
    Managed {
        /// The issuing CA (`signet ca list`).
        issuer: String,
    },
    /// Read from files (PEM: the chain, leaf first; the private key), and read again when they
    /// change.
    Files {
        /// The certificate chain.
        certificate: PathBuf,
        /// The private key.
        key: PathBuf,
        /// How often the files are looked at for a replaced pair (`tls_reload_interval_secs`);
        /// None: only on SIGHUP.
        reload_every: Option<std::time::Duration>,
    },
}

/// The listeners, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listeners {
    /// The HTTPS certificate.
    pub tls: TlsSource,
    /// Address of the plain-HTTP listener (CA certificates, CRLs, OCSP).
    pub http_listen: SocketAddr,
    /// Base URL of the plain-HTTP listener, put in certificates.
    pub http_public_url: String,
}

/// The host of a URL (`https://HOST:PORT/path`), without brackets around an IPv6 address.
pub fn url_host(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split_once(']')?.0,
        None => authority.rsplit_once(':').map_or(authority, |(host, _)| host),
    };
    (!host.is_empty()).then_some(host)
}

pub(crate) fn listeners(server: &raw::Server, public_url: &str, data_dir: &Path) -> Result<Listeners, ConfigProblem> {
    let tls = match (&server.tls_cert, &server.tls_key) {
        (None, None) => TlsSource::Managed { issuer: server.tls_issuer.clone() },
        (Some(certificate), Some(key)) => TlsSource::Files {
            certificate: data_dir.join(certificate),
            key: data_dir.join(key),
            reload_every: (server.tls_reload_interval_secs > 0)
                .then(|| std::time::Duration::from_secs(server.tls_reload_interval_secs)),
        },
        (Some(_), None) => return Err(setting("server.tls_key", "tls_cert is set: give the key file too")),
        (None, Some(_)) => return Err(setting("server.tls_cert", "tls_key is set: give the certificate file too")),
    };
    let http_listen: SocketAddr = server.http_listen.parse().map_err(|_| {
        setting("server.http_listen", format!("{:?} is not an address like 127.0.0.1:8080", server.http_listen))
    })?;
    let http_public_url = match &server.http_public_url {
        Some(url) if url.starts_with("http://") => url.trim_end_matches('/').to_string(),
        Some(url) => {
            return Err(setting(
                "server.http_public_url",
                format!("{url:?} must start with http:// (CRLs, OCSP and CA certificates are fetched without TLS)"),
            ));
        }
        None => default_http_url(public_url, http_listen),
    };
    Ok(Listeners { tls, http_listen, http_public_url })
}

/// `http://` the public URL's host and the plain listener's port (the port left out when 80).
pub(crate) fn default_http_url(public_url: &str, http_listen: SocketAddr) -> String {
    let host = match url_host(public_url) {
        Some(host) if host.contains(':') => format!("[{host}]"),
        Some(host) => host.to_string(),
        None => http_listen.ip().to_string(),
    };
    match http_listen.port() {
        80 => format!("http://{host}"),
        port => format!("http://{host}:{port}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_of_urls() {
        assert_eq!(url_host("https://ca.example.com:8443/x"), Some("ca.example.com"));
        assert_eq!(url_host("https://ca.example.com"), Some("ca.example.com"));
        assert_eq!(url_host("https://[::1]:8443"), Some("::1"));
        assert_eq!(url_host("https://u@10.0.0.1:1/"), Some("10.0.0.1"));
        assert_eq!(url_host("nonsense"), None);
    }

    #[test]
    fn the_plain_url_follows_the_public_host() {
        let listen: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        assert_eq!(default_http_url("https://ca.example.com:8443", listen), "http://ca.example.com:8080");
        assert_eq!(default_http_url("https://[::1]:8443", listen), "http://[::1]:8080");
        assert_eq!(default_http_url("https://ca.example.com", "0.0.0.0:80".parse().unwrap()), "http://ca.example.com");
    }
}
