//! Encryption without a certificate authority: each host makes its own self-signed
//! certificate (kept with its state, so the fingerprint survives restarts), and the invite
//! link carries the certificate's SHA-256 fingerprint. A Weft guest checks that fingerprint
//! after the TLS handshake and before sending anything — the token included — so a
//! different certificate (a man in the middle, another machine) is refused.

use std::io;
use std::net::SocketAddr;
use std::path::Path;

use sha2::{Digest, Sha256};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_native_tls::TlsStream;
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
            let der = native_tls::Certificate::from_pem(cert_pem.as_bytes()).and_then(|c| c.to_der()).map_err(other)?;
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

    fn acceptor(&self) -> io::Result<tokio_native_tls::TlsAcceptor> {
        let identity = native_tls::Identity::from_pkcs8(self.cert_pem.as_bytes(), self.key_pem.as_bytes()).map_err(other)?;
        Ok(native_tls::TlsAcceptor::new(identity).map_err(other)?.into())
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
        let acceptor = std::sync::Arc::new(id.acceptor()?);
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

/// Why a pinned connection failed.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The host's certificate is not the one in the invite link: never retried.
    #[error("the host's certificate does not match the invite link (expected {expected}, got {got}); ask the host for a new link")]
    WrongCertificate { expected: String, got: String },
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("TLS: {0}")]
    Tls(#[from] native_tls::Error),
}

/// Connects to `host:port` over TLS and checks the certificate's fingerprint before
/// anything else is sent.
pub async fn connect_pinned(host: &str, port: u16, pin: &str) -> Result<TlsStream<TcpStream>, ConnectError> {
    let tcp = TcpStream::connect((host, port)).await?;
    tcp.set_nodelay(true)?;
    // The certificate is self-signed and names no real host: the pin is the whole check.
    let connector = native_tls::TlsConnector::builder().danger_accept_invalid_certs(true).danger_accept_invalid_hostnames(true).build()?;
    let tls = tokio_native_tls::TlsConnector::from(connector).connect(host, tcp).await?;
    let der = tls.get_ref().peer_certificate()?.map(|c| c.to_der()).transpose()?.unwrap_or_default();
    let got = fingerprint(&der);
    if !got.eq_ignore_ascii_case(pin) {
        return Err(ConnectError::WrongCertificate { expected: pin.to_owned(), got });
    }
    Ok(tls)
}
