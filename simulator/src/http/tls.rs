//! `serve --tls`: HTTPS with a certificate made at start (`rcgen`): a CA of its own, written as
//! PEM to a file the clients trust (`SSL_CERT_FILE`, `REQUESTS_CA_BUNDLE`, `NODE_EXTRA_CA_CERTS`),
//! and a server certificate it signs for `localhost`, `127.0.0.1`, `::1` and the listening
//! address. MSAL and azure-identity take only https authorities; the JavaScript Graph SDK sends
//! tokens only over https.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// Making the certificates failed.
    #[error("cannot make the TLS certificate: {0}")]
    Certificate(#[from] rcgen::Error),
    /// rustls refused the configuration.
    #[error("cannot configure TLS: {0}")]
    Config(#[from] rustls::Error),
    /// The CA file could not be written.
    #[error("cannot write the CA certificate to {path}: {source}")]
    Write {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// A CA and the server certificate it signed; the CA's PEM is written to `ca_file`.
pub fn acceptor(listening: SocketAddr, ca_file: &Path) -> Result<TlsAcceptor, TlsError> {
    let ca_key = KeyPair::generate()?;
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, "tm-simulator local CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    let ca_cert = ca.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca, ca_key);

    let mut names = vec!["localhost".to_string(), "127.0.0.1".to_string(), "::1".to_string()];
    let ip = listening.ip().to_string();
    if !names.contains(&ip) && !listening.ip().is_unspecified() {
        names.push(ip);
    }
    let key = KeyPair::generate()?;
    let mut leaf = CertificateParams::new(names)?;
    leaf.distinguished_name.push(DnType::CommonName, "tm-simulator");
    let cert = leaf.signed_by(&key, &issuer)?;

    std::fs::write(ca_file, ca_cert.pem()).map_err(|source| TlsError::Write { path: ca_file.display().to_string(), source })?;
    let chain = vec![CertificateDer::from(cert.der().to_vec())];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// An axum listener that speaks TLS over another one's connections. The handshake is done in
/// `accept`, one at a time per listener, bounded by a timeout (a simulator on loopback: a
/// stalled client delays the next connection at most that long).
pub struct TlsListener<L> {
    /// The plain listener.
    pub inner: L,
    /// The TLS configuration.
    pub acceptor: TlsAcceptor,
}

impl<L> axum::serve::Listener for TlsListener<L>
where
    L: axum::serve::Listener<Io = TcpStream>,
{
    type Io = tokio_rustls::server::TlsStream<TcpStream>;
    type Addr = L::Addr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let (tcp, addr) = self.inner.accept().await;
            match tokio::time::timeout(Duration::from_secs(10), self.acceptor.accept(tcp)).await {
                Ok(Ok(tls)) => return (tls, addr),
                Ok(Err(e)) => tracing::debug!("a TLS handshake failed: {e}"),
                Err(_) => tracing::debug!("a TLS handshake timed out"),
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}
