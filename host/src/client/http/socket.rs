//! The byte stream under an [`super::OwnConnection`]: a TCP connection, or TLS over one for an
//! `https://` origin (rustls, HTTP/1.1 by ALPN, the run's trust: `--ca-cert`, `--insecure`).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// Where an own connection connects, and how.
#[derive(Clone)]
pub(super) struct Endpoint {
    /// `host:port`.
    pub addr: String,
    /// For an `https://` origin: the TLS settings and the name the certificate must carry.
    pub tls: Option<(TlsConnector, ServerName<'static>)>,
}

impl Endpoint {
    /// The endpoint of `host:port`, with TLS under `config` when it is given.
    pub fn new(host: &str, port: u16, config: Option<Arc<rustls::ClientConfig>>) -> io::Result<Endpoint> {
        let tls = match config {
            None => None,
            Some(config) => {
                // An IPv6 authority is bracketed (`[::1]`); the certificate names the address alone.
                let name = host.trim_start_matches('[').trim_end_matches(']').to_string();
                let name = ServerName::try_from(name).map_err(|e| {
                    io::Error::new(io::ErrorKind::InvalidInput, format!("server name {host:?}: {e}"))
                })?;
                Some((TlsConnector::from(config), name))
            }
        };
        Ok(Endpoint { addr: format!("{host}:{port}"), tls })
    }

    /// Opens the connection: TCP, then the TLS handshake when the origin is `https://`.
    pub async fn connect(&self) -> io::Result<Socket> {
        let tcp = TcpStream::connect(&self.addr).await?;
        // Small requests and responses: Nagle would only add latency.
        tcp.set_nodelay(true)?;
        match &self.tls {
            None => Ok(Socket::Plain(tcp)),
            Some((connector, name)) => {
                let tls = connector.connect(name.clone(), tcp).await?;
                Ok(Socket::Tls(Box::new(tls)))
            }
        }
    }
}

/// An open connection's bytes.
pub(super) enum Socket {
    Plain(TcpStream),
    /// Boxed: a TLS stream is far larger than a socket, and most runs never make one.
    Tls(Box<TlsStream<TcpStream>>),
}

impl Socket {
    /// Whether the connection, between requests, has neither been closed by the server nor
    /// received bytes no request asked for. Plain: without a system call when tokio knows the
    /// socket is not readable, otherwise one `recv`. TLS: one read attempt that does not wait;
    /// records that carry no data (TLS 1.3 session tickets) are taken in by rustls and leave the
    /// connection open, a `close_notify` or an EOF ends it.
    pub fn is_idle_and_open(&mut self) -> bool {
        match self {
            Socket::Plain(tcp) => {
                let mut byte = [0u8; 1];
                matches!(tcp.try_read(&mut byte), Err(e) if e.kind() == io::ErrorKind::WouldBlock)
            }
            Socket::Tls(tls) => {
                let mut byte = [0u8; 1];
                let mut buf = ReadBuf::new(&mut byte);
                let mut cx = Context::from_waker(Waker::noop());
                matches!(Pin::new(tls.as_mut()).poll_read(&mut cx, &mut buf), Poll::Pending)
            }
        }
    }
}

impl AsyncRead for Socket {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Socket::Plain(tcp) => Pin::new(tcp).poll_read(cx, buf),
            Socket::Tls(tls) => Pin::new(tls.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Socket {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Socket::Plain(tcp) => Pin::new(tcp).poll_write(cx, buf),
            Socket::Tls(tls) => Pin::new(tls.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Socket::Plain(tcp) => Pin::new(tcp).poll_flush(cx),
            Socket::Tls(tls) => Pin::new(tls.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Socket::Plain(tcp) => Pin::new(tcp).poll_shutdown(cx),
            Socket::Tls(tls) => Pin::new(tls.as_mut()).poll_shutdown(cx),
        }
    }
}
