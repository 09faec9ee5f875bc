//! TLS client setup with rustls on the `aws-lc-rs` provider: trust roots, client certificates, ALPN, the
//! insecure mode, and turning rustls errors into ones that say what to fix.
//!
//! Trust: the CA file when one is given (and only it, as `mosquitto_sub --cafile` does), otherwise the
//! platform's roots through rustls-native-certs. We do not bundle webpki-roots: a TLS MQTT broker is often a
//! private one, the platform store is what the user manages, and an empty store gets a clear error.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};

use super::TransportError;

/// TLS settings for `mqtts://` and `wss://`. Ignored for the plain schemes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// PEM file with the CA certificate(s) to trust instead of the platform's roots.
    pub ca_file: Option<PathBuf>,
    /// PEM file with the client certificate chain (leaf first); needs `client_key`.
    pub client_cert: Option<PathBuf>,
    /// PEM file with the client's private key (PKCS#8, PKCS#1 or SEC1).
    pub client_key: Option<PathBuf>,
    /// Skip certificate verification entirely. For test brokers only: see [`TlsOptions::warning`].
    pub insecure: bool,
    /// ALPN protocol names to offer, e.g. `x-amzn-mqtt-ca` for AWS IoT on port 443.
    pub alpn: Vec<String>,
}

/// The warning a caller must show when `insecure` is set (the caller says it is a warning).
pub const INSECURE_WARNING: &str = "TLS certificate verification is disabled (--insecure): the connection is \
     encrypted but anyone on the network path can impersonate the broker and read or change all traffic";

impl TlsOptions {
    /// The text to print before connecting, when there is something to warn about.
    pub fn warning(&self) -> Option<&'static str> {
        self.insecure.then_some(INSECURE_WARNING)
    }

    fn any_set(&self) -> bool {
        self.ca_file.is_some() || self.client_cert.is_some() || self.client_key.is_some() || !self.alpn.is_empty()
    }

    pub(crate) fn is_configured(&self) -> bool {
        self.any_set() || self.insecure
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// Builds the rustls client configuration. Reads the files (and the platform store) each time: it runs
/// once per connection attempt, and a renewed certificate on disk is then picked up on reconnect.
pub(crate) fn client_config(opts: &TlsOptions) -> Result<Arc<ClientConfig>, TransportError> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| TransportError::TlsConfig(e.to_string()))?;

    let builder = if opts.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerification(provider.signature_verification_algorithms)))
    } else {
        builder.with_root_certificates(root_store(opts.ca_file.as_deref())?)
    };

    let mut config = match (&opts.client_cert, &opts.client_key) {
        (Some(cert), Some(key)) => {
            let chain = read_certs(cert, "client certificate")?;
            let key_error = |reason| TransportError::TlsFile { what: "client key", path: key.clone(), reason };
            let pem = read_pem(key).map_err(key_error)?;
            let key = PrivateKeyDer::from_pem_slice(&pem).map_err(|e| key_error(pem_reason(&e, "PRIVATE KEY")))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| TransportError::TlsConfig(format!("client certificate and key do not go together: {e}")))?
        }
        (None, None) => builder.with_no_client_auth(),
        (Some(_), None) => return Err(TransportError::TlsConfig("a client certificate needs a client key".into())),
        (None, Some(_)) => return Err(TransportError::TlsConfig("a client key needs a client certificate".into())),
    };
    config.alpn_protocols = opts.alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
    Ok(Arc::new(config))
}

fn root_store(ca_file: Option<&Path>) -> Result<RootCertStore, TransportError> {
    let mut roots = RootCertStore::empty();
    if let Some(path) = ca_file {
        let certs = read_certs(path, "CA file")?;
        let (_added, ignored) = roots.add_parsable_certificates(certs);
        if roots.is_empty() {
            return Err(TransportError::TlsFile {
                what: "CA file",
                path: path.to_owned(),
                reason: format!("none of its {ignored} certificates could be parsed"),
            });
        }
        return Ok(roots);
    }
    let found = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(found.certs);
    if roots.is_empty() {
        let reason = match found.errors.first() {
            Some(e) => format!("the platform store could not be read: {e}"),
            None => "the platform store is empty".to_owned(),
        };
        return Err(TransportError::NoRootCertificates { reason });
    }
    Ok(roots)
}

fn read_certs(path: &Path, what: &'static str) -> Result<Vec<CertificateDer<'static>>, TransportError> {
    let file_error = |reason: String| TransportError::TlsFile { what, path: path.to_owned(), reason };
    let pem = read_pem(path).map_err(file_error)?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .map(|c| c.map(CertificateDer::into_owned))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| file_error(pem_reason(&e, "CERTIFICATE")))?;
    if certs.is_empty() {
        return Err(file_error("no PEM 'CERTIFICATE' section found".into()));
    }
    Ok(certs)
}

/// A PEM file's bytes: a regular file of at most `files::PEM_LIMIT` bytes.
fn read_pem(path: &Path) -> Result<Vec<u8>, String> {
    crate::files::read_regular(path, crate::files::PEM_LIMIT).map_err(|e| e.reason())
}

fn pem_reason(e: &rustls_pki_types::pem::Error, section: &str) -> String {
    use rustls_pki_types::pem::Error;
    match e {
        Error::Io(io) => io.to_string(),
        Error::NoItemsFound => format!("no PEM '{section}' section found"),
        other => format!("not valid PEM: {other:?}"),
    }
}

/// The server name for SNI and verification: a DNS name, or an IP address (no SNI is sent for those, and
/// the certificate must list the IP).
pub(crate) fn server_name(host: &str) -> Result<ServerName<'static>, TransportError> {
    ServerName::try_from(host.to_owned())
        .map_err(|_| TransportError::TlsConfig(format!("'{host}' is not a valid TLS server name")))
}

/// Maps a failed TLS handshake: a server that closes the connection or answers with something that is
/// not TLS is no TLS listener (a URL of the wrong kind); anything else as `map_handshake_error`.
pub(crate) fn map_handshake_failure(url: &super::BrokerUrl, err: io::Error) -> TransportError {
    let tls = err.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>());
    match tls {
        Some(rustls::Error::InvalidMessage(_)) => super::sniff::not_tls(url, true),
        None if matches!(
            err.kind(),
            io::ErrorKind::ConnectionReset
                | io::ErrorKind::UnexpectedEof
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::BrokenPipe
        ) =>
        {
            super::sniff::not_tls(url, false)
        }
        _ => map_handshake_error(&url.host, err),
    }
}

/// Maps an error from the TLS handshake to the variant the user can act on.
pub(crate) fn map_handshake_error(host: &str, err: io::Error) -> TransportError {
    let Some(tls) = err.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) else {
        return TransportError::Io(err);
    };
    let host = host.to_owned();
    match tls {
        rustls::Error::InvalidCertificate(cert) => match cert {
            CertificateError::NotValidForName => TransportError::TlsNameMismatch { host, detail: String::new() },
            CertificateError::NotValidForNameContext { presented, .. } => {
                let detail = if presented.is_empty() {
                    " (it lists no names)".to_owned()
                } else {
                    let names: Vec<&str> = presented.iter().map(|n| presented_name(n)).collect();
                    format!(" (it is valid for {})", names.join(", "))
                };
                TransportError::TlsNameMismatch { host, detail }
            }
            CertificateError::Expired => TransportError::TlsExpired { host, detail: String::new() },
            CertificateError::ExpiredContext { time, not_after } => TransportError::TlsExpired {
                host,
                detail: format!(" (valid until {}, now {})", utc_date(not_after.as_secs()), utc_date(time.as_secs())),
            },
            CertificateError::NotValidYet => TransportError::TlsNotValidYet { host, detail: String::new() },
            CertificateError::NotValidYetContext { time, not_before } => TransportError::TlsNotValidYet {
                host,
                detail: format!(" (valid from {}, now {})", utc_date(not_before.as_secs()), utc_date(time.as_secs())),
            },
            CertificateError::UnknownIssuer => TransportError::TlsUnknownIssuer { host },
            other => TransportError::TlsBadCertificate { host, detail: super::cert_error::describe(other) },
        },
        rustls::Error::AlertReceived(alert) => TransportError::TlsAlert { host, alert: format!("{alert:?}") },
        other => TransportError::Tls { host, source: other.clone() },
    }
}

/// rustls describes presented names as `DnsName("a.example")` / `IpAddress(..)`; show the bare name.
fn presented_name(name: &str) -> &str {
    name.strip_prefix("DnsName(\"").and_then(|n| n.strip_suffix("\")")).unwrap_or(name)
}

/// `YYYY-MM-DD HH:MM:SS UTC` for seconds since 1970 (Howard Hinnant's civil-from-days).
fn utc_date(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(i64::MAX / 2);
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Accepts any server certificate, but still checks the handshake signatures, so the session is at least
/// bound to the key in the certificate the server showed.
#[derive(Debug)]
struct NoVerification(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(utc_date(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc_date(1_609_459_200), "2021-01-01 00:00:00 UTC");
        assert_eq!(utc_date(951_782_400 + 3_661), "2000-02-29 01:01:01 UTC");
    }

    #[test]
    fn names() {
        assert_eq!(presented_name("DnsName(\"a.example\")"), "a.example");
        assert_eq!(presented_name("IpAddress(1.2.3.4)"), "IpAddress(1.2.3.4)");
    }

    #[test]
    fn insecure_warning_only_when_insecure() {
        assert_eq!(TlsOptions::default().warning(), None);
        assert!(TlsOptions { insecure: true, ..Default::default() }.warning().is_some());
    }
}
