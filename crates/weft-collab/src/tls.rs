//! Encryption without a certificate authority: each host makes its own self-signed
//! certificate (kept with its state, so the fingerprint survives restarts), and the invite
//! link carries the certificate's SHA-256 fingerprint. A Weft guest checks that fingerprint
//! during the TLS handshake, before sending anything — the token included — so a
//! different certificate (a man in the middle, another machine) is refused.
//!
//! rustls (with the ring provider) on every system: the host's ECDSA key is taken as rcgen
//! makes it, and the guest's verifier pins the fingerprint while still checking the
//! handshake's signatures, so only the holder of the pinned certificate's key gets in.

use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{ring, verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use sha2::{Digest, Sha256};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::server::TlsStream;
use tracing::{debug, warn};

/// The host's certificate and key (PEM), and the fingerprint guests pin.
#[derive(Clone)]
pub struct Identity {
    cert_pem: String,
    key_pem: String,
    /// Lowercase hex SHA-256 of the certificate (DER).
    pub fingerprint: String,
}

pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der).iter().map(|b| format!("{b:02x}")).collect()
}

fn other(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

impl Identity {
    /// A new self-signed certificate.
    pub fn generate() -> io::Result<Identity> {
        let ck = rcgen::generate_simple_self_signed(vec!["weft-collab-host".to_owned()]).map_err(other)?;
        Ok(Identity { fingerprint: fingerprint(ck.cert.der()), cert_pem: ck.cert.pem(), key_pem: ck.signing_key.serialize_pem() })
    }

    /// The identity kept in `dir` (cert.pem, key.pem readable by the user only), made on
    /// first use.
    pub fn load_or_create(dir: &Path) -> io::Result<Identity> {
        let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
        if let (Ok(cert_pem), Ok(key_pem)) = (std::fs::read_to_string(&cert), std::fs::read_to_string(&key)) {
            let der = CertificateDer::from_pem_slice(cert_pem.as_bytes()).map_err(other)?;
            return Ok(Identity { fingerprint: fingerprint(&der), cert_pem, key_pem });
        }
        let id = Identity::generate()?;
        std::fs::create_dir_all(dir)?;
        let mut o = std::fs::OpenOptions::new();
        o.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
        io::Write::write_all(&mut o.open(&key)?, id.key_pem.as_bytes())?;
        std::fs::write(&cert, &id.cert_pem)?;
        Ok(id)
    }

    fn acceptor(&self) -> io::Result<tokio_rustls::TlsAcceptor> {
        let cert = CertificateDer::from_pem_slice(self.cert_pem.as_bytes()).map_err(other)?;
        let key = PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes()).map_err(other)?;
        let config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(other)?
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .map_err(other)?;
        Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
    }
}

/// A TLS listener for `axum::serve`. Handshakes run in their own tasks, so a slow or
/// silent client cannot hold up everyone else's connection.
pub struct TlsListener {
    addr: SocketAddr,
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    accept_loop: tokio::task::AbortHandle,
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.accept_loop.abort();
    }
}

impl TlsListener {
    pub fn new(tcp: TcpListener, id: &Identity) -> io::Result<TlsListener> {
        let addr = tcp.local_addr()?;
        let acceptor = Arc::new(id.acceptor()?);
        let (tx, ready) = mpsc::channel(64);
        let accept_loop = tokio::spawn(async move {
            loop {
                let (tcp, peer) = match tcp.accept().await {
                    Ok(c) => c,
                    Err(e) => {
                        // Out of file descriptors and the like: wait rather than spin.
                        warn!("collab: accept failed: {e}");
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                        continue;
                    }
                };
                // Keystrokes are small writes: send each at once (no Nagle delay).
                let _ = tcp.set_nodelay(true);
                let (acceptor, tx) = (acceptor.clone(), tx.clone());
                tokio::spawn(async move {
                    match tokio::time::timeout(std::time::Duration::from_secs(10), acceptor.accept(tcp)).await {
                        Ok(Ok(tls)) => {
                            let _ = tx.send((tls, peer)).await;
                        }
                        Ok(Err(e)) => debug!(%peer, "collab: TLS handshake failed: {e}"),
                        Err(_) => debug!(%peer, "collab: TLS handshake timed out"),
                    }
                });
            }
        })
        .abort_handle();
        Ok(TlsListener { addr, ready, accept_loop })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(c) => c,
            // The accept loop only ends when this listener is dropped.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.addr)
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(ring::default_provider())
}

/// Why a pinned connection failed.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The host's certificate is not the one in the invite link: never retried.
    #[error("the host's certificate does not match the invite link (expected {expected}, got {got}); ask the host for a new link")]
    WrongCertificate { expected: String, got: String },
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("TLS: {0}")]
    Tls(#[from] rustls::Error),
}

/// Accepts exactly the certificate whose SHA-256 is the pin (no chain, no name: the link is
/// the trust), and checks the handshake's signatures with it as usual, so presenting the
/// certificate is not enough: the host must hold its key.
#[derive(Debug)]
struct Pinned {
    pin: String,
    /// The fingerprint the host presented, for the error when it is not the pin.
    seen: Mutex<Option<String>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(&self, end_entity: &CertificateDer<'_>, _intermediates: &[CertificateDer<'_>], _name: &ServerName<'_>, _ocsp: &[u8], _now: UnixTime) -> Result<ServerCertVerified, rustls::Error> {
        let got = fingerprint(end_entity);
        let ok = got.eq_ignore_ascii_case(&self.pin);
        *self.seen.lock().unwrap_or_else(|p| p.into_inner()) = Some(got);
        if ok {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(rustls::CertificateError::ApplicationVerificationFailure))
        }
    }

    fn verify_tls12_signature(&self, message: &[u8], cert: &CertificateDer<'_>, dss: &DigitallySignedStruct) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(&self, message: &[u8], cert: &CertificateDer<'_>, dss: &DigitallySignedStruct) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

/// Connects to `host:port` over TLS; the handshake itself checks the certificate's
/// fingerprint, so nothing is sent to a host that does not hold the pinned certificate.
pub async fn connect_pinned(host: &str, port: u16, pin: &str) -> Result<tokio_rustls::client::TlsStream<TcpStream>, ConnectError> {
    let tcp = TcpStream::connect((host, port)).await?;
    tcp.set_nodelay(true)?;
    let provider = provider();
    let verifier = Arc::new(Pinned { pin: pin.to_owned(), seen: Mutex::new(None), provider: provider.clone() });
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone())
        .with_no_client_auth();
    // The certificate names no real host (the pin is the check); any valid name will do.
    let name = ServerName::try_from(host.to_owned()).unwrap_or_else(|_| ServerName::try_from("weft-collab-host").expect("a valid DNS name"));
    match tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp).await {
        Ok(tls) => Ok(tls),
        Err(e) => {
            let seen = verifier.seen.lock().unwrap_or_else(|p| p.into_inner()).clone();
            match seen {
                Some(got) if !got.eq_ignore_ascii_case(pin) => Err(ConnectError::WrongCertificate { expected: pin.to_owned(), got }),
                _ => Err(ConnectError::Io(e)),
            }
        }
    }
}
