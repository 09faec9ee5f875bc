//! The IO edge: one byte stream to the broker over TCP, TLS, WebSocket or WebSocket over TLS.
//!
//! The session above sees bytes in and bytes out and never which transport carries them (the shape of
//! rumqttc's `framed.rs`). WebSocket binary messages are appended to the caller's read buffer, so the MQTT
//! decoder never sees frame boundaries: a packet split over frames, or several packets in one frame, just
//! work. Each [`Transport::send`] on a WebSocket is exactly one binary message, and so is each
//! [`Transport::send_batch`]: MQTT over WebSocket lets a frame carry several packets and obliges the
//! receiver to reassemble them (MQTT 3.1.1 §6.0, MQTT 5 §6), and a frame per acknowledgement costs a
//! client a mask, a header and a trip through the WebSocket layer for every message of a flood.
//!
//! This module knows nothing about MQTT: no packets, no keepalive, no reconnect policy. What it does own
//! is turning every way a connection can fail into a [`TransportError`] that says what to fix.

mod cert_error;
mod debug;
mod error;
pub mod sniff;
mod tls;
mod url;
mod ws;

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::{SinkExt, Stream as _};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_rustls::TlsConnector;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::error::{Error as WsError, ProtocolError};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

pub use debug::{DebugEvent, mask_header};
pub use error::{HandshakeStage, TransportError};
pub use tls::{INSECURE_WARNING, TlsOptions};
pub use url::{
    BrokerUrl, Scheme, UrlError, redact as redact_url, shown as shown_url, strip_password as url_without_password,
};

/// The subprotocols offered by default: `mqtt` (MQTT 3.1.1 §6, MQTT 5 §6) and the older `mqttv3.1`.
pub const DEFAULT_SUBPROTOCOLS: [&str; 2] = ["mqtt", "mqttv3.1"];

/// Reads ask for at least this much free space in the buffer, so a flood costs few syscalls.
const READ_CHUNK: usize = 64 * 1024;
/// A WebSocket read returns once it has appended this much, so the caller can decode and come back.
const WS_READ_BATCH: usize = 64 * 1024;
/// tungstenite's own default read buffer.
pub const WS_READ_BUFFER: usize = 128 * 1024;
/// How long [`Transport::close`] waits for the close to go out.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// Where and how to connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportOptions {
    /// Broker URL: `mqtt://` (also `tcp://`), `mqtts://` (also `ssl://`, `tls://`), `ws://` or `wss://`;
    /// no scheme means `mqtt://`. WebSocket URLs use their path as given, `/` when there is none: most brokers
    /// want `/mqtt` (mosquitto takes any path).
    pub url: String,
    /// Extra HTTP headers for the WebSocket upgrade (auth tokens, cookies). They replace ours of the same name.
    pub headers: Vec<(String, String)>,
    pub tls: TlsOptions,
    /// Bound on name resolution plus the TCP connect.
    pub connect_timeout: Duration,
    /// Bound on the TLS handshake, and separately on the WebSocket upgrade.
    pub handshake_timeout: Duration,
    /// WebSocket subprotocols to offer, in order of preference. Empty offers none and accepts any answer.
    pub subprotocols: Vec<String>,
    /// The WebSocket read buffer, allocated up front for each connection: large for floods, small for
    /// many idle connections (`bench conn`).
    pub ws_read_buffer: usize,
}

impl TransportOptions {
    /// Options with defaults: 10 s timeouts, subprotocols `mqtt` and `mqttv3.1`, no headers, platform roots.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            headers: Vec::new(),
            tls: TlsOptions::default(),
            connect_timeout: Duration::from_secs(10),
            handshake_timeout: Duration::from_secs(10),
            subprotocols: DEFAULT_SUBPROTOCOLS.iter().map(|s| (*s).to_owned()).collect(),
            ws_read_buffer: WS_READ_BUFFER,
        }
    }

    /// Whether the connection will be TLS without certificate checks (`--insecure` on a TLS scheme).
    pub fn unverified_tls(&self) -> bool {
        self.tls.insecure && BrokerUrl::parse(&self.url).is_ok_and(|u| u.scheme.is_tls())
    }

    /// What the caller should tell the user before connecting: the insecure-TLS warning, and options
    /// that the URL's scheme makes meaningless.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        let Ok(url) = BrokerUrl::parse(&self.url) else { return out };
        if url.scheme.is_tls() {
            out.extend(self.tls.warning().map(str::to_owned));
        } else if self.tls.is_configured() {
            out.push(format!("TLS options are ignored for {}:// (use mqtts:// or wss://)", url.scheme));
        }
        if !url.scheme.is_websocket() && !self.headers.is_empty() {
            out.push(format!("HTTP headers are ignored for {}:// (they are for ws:// and wss://)", url.scheme));
        }
        out
    }
}

/// The code and reason of the WebSocket Close frame the server sent (RFC 6455 §7.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseInfo {
    pub code: u16,
    pub reason: String,
}

/// A TCP or TLS byte stream: what WebSocket runs over, and what `mqtt://`/`mqtts://` use directly.
pub(crate) enum Stream {
    Tcp(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Tcp(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Self::Tcp(s) => s.is_write_vectored(),
            Self::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Tcp(s) => Pin::new(s).poll_flush(cx),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

enum Io {
    Stream(Stream),
    Ws(Box<WebSocketStream<Stream>>),
}

/// How a WebSocket read ended when it could not be reported yet because data came first.
enum Ending {
    Close(Option<CloseFrame>),
    Error(TransportError),
}

/// A connected byte stream to the broker.
pub struct Transport {
    io: Io,
    url: BrokerUrl,
    peer: SocketAddr,
    subprotocol: Option<String>,
    close_info: Option<CloseInfo>,
    pending_end: Option<Ending>,
    eof: bool,
    write_buf: BytesMut,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("url", &self.url.to_string())
            .field("peer", &self.peer)
            .field("subprotocol", &self.subprotocol)
            .finish_non_exhaustive()
    }
}

impl Transport {
    /// Resolves, connects, and runs the TLS and WebSocket handshakes as the URL asks. `debug` sees each
    /// step (addresses, TLS parameters, the upgrade request and response with secrets masked).
    /// Pass `|_| {}` when nothing is to be shown.
    pub async fn connect(
        opts: &TransportOptions,
        mut debug: impl FnMut(DebugEvent) + Send,
    ) -> Result<Self, TransportError> {
        Self::connect_with(opts, &mut debug).await
    }

    async fn connect_with(
        opts: &TransportOptions,
        debug: &mut (dyn FnMut(DebugEvent) + Send),
    ) -> Result<Self, TransportError> {
        let url = BrokerUrl::parse(&opts.url)
            .map_err(|source| TransportError::InvalidUrl { url: url::shown(&opts.url), source })?;
        // Files and settings first: a typo in a CA path should not wait for a network timeout.
        let tls_config = if url.scheme.is_tls() { Some(tls::client_config(&opts.tls)?) } else { None };

        let (tcp, peer) =
            timeout(opts.connect_timeout, connect_tcp(&url.host, url.port, debug)).await.map_err(|_| {
                TransportError::ConnectTimeout { host: url.host.clone(), port: url.port, timeout: opts.connect_timeout }
            })??;

        let stream = match tls_config {
            None => Stream::Tcp(tcp),
            Some(config) => {
                let name = tls::server_name(&url.host)?;
                let handshake = TlsConnector::from(config).connect(name, tcp);
                let tls = timeout(opts.handshake_timeout, handshake)
                    .await
                    .map_err(|_| handshake_timeout(HandshakeStage::Tls, &url, opts))?
                    .map_err(|e| tls::map_handshake_failure(&url, e))?;
                let (_, conn) = tls.get_ref();
                debug(DebugEvent::TlsEstablished {
                    version: conn.protocol_version().map_or_else(|| "?".to_owned(), |v| format!("{v:?}")),
                    cipher: conn
                        .negotiated_cipher_suite()
                        .map_or_else(|| "?".to_owned(), |c| format!("{:?}", c.suite())),
                    alpn: conn.alpn_protocol().map(|p| String::from_utf8_lossy(p).into_owned()),
                });
                Stream::Tls(Box::new(tls))
            }
        };

        let (io, subprotocol) = if url.scheme.is_websocket() {
            let upgraded = timeout(opts.handshake_timeout, ws::upgrade(stream, &url, opts, debug))
                .await
                .map_err(|_| handshake_timeout(HandshakeStage::WebSocket, &url, opts))??;
            (Io::Ws(Box::new(upgraded.ws)), upgraded.subprotocol)
        } else {
            (Io::Stream(stream), None)
        };

        Ok(Self {
            io,
            url,
            peer,
            subprotocol,
            close_info: None,
            pending_end: None,
            eof: false,
            write_buf: BytesMut::new(),
        })
    }

    pub fn url(&self) -> &BrokerUrl {
        &self.url
    }

    pub fn scheme(&self) -> Scheme {
        self.url.scheme
    }

    pub fn peer_addr(&self) -> SocketAddr {
        self.peer
    }

    /// The WebSocket subprotocol the server chose (`None` for TCP/TLS, or when none was offered).
    pub fn subprotocol(&self) -> Option<&str> {
        self.subprotocol.as_deref()
    }

    /// The Close frame the server sent, once a read has seen it (also after a normal close, which
    /// [`Transport::read`] reports as `Ok(0)`).
    pub fn close_info(&self) -> Option<&CloseInfo> {
        self.close_info.as_ref()
    }

    /// Appends whatever bytes have arrived to `buf` and returns how many; waits if there are none.
    /// Takes everything that is waiting, up to the buffer's room (at least 16 KiB) on every scheme, so
    /// a short read means that nothing more was waiting, which `TaskOptions::read_pace` relies on
    /// (`tests/transport_mosquitto.rs` holds every scheme to it).
    ///
    /// `Ok(0)` is a clean end of stream: TCP EOF, or a WebSocket Close with code 1000 or no code. A Close
    /// with any other code is [`TransportError::Closed`]; see also [`Transport::close_info`]. After the end,
    /// every read returns `Ok(0)`.
    ///
    /// Cancel-safe: when dropped before it completes (e.g. in `tokio::select!`), no bytes are lost.
    pub async fn read(&mut self, buf: &mut BytesMut) -> Result<usize, TransportError> {
        if self.eof {
            return Ok(0);
        }
        if let Some(end) = self.pending_end.take() {
            return self.finish(end);
        }
        match &mut self.io {
            Io::Stream(stream) => {
                if buf.capacity() - buf.len() < READ_CHUNK / 4 {
                    buf.reserve(READ_CHUNK);
                }
                let n = stream.read_buf(buf).await.map_err(|e| stream_error(&self.url, e))?;
                self.eof = n == 0;
                Ok(n)
            }
            Io::Ws(ws) => {
                let pending_end = &mut self.pending_end;
                match poll_fn(|cx| poll_ws_read(ws, buf, cx, pending_end)).await {
                    Ok(n) => Ok(n),
                    Err(end) => self.finish(end),
                }
            }
        }
    }

    fn finish(&mut self, end: Ending) -> Result<usize, TransportError> {
        self.eof = true;
        match end {
            Ending::Error(TransportError::Io(e)) => Err(stream_error(&self.url, e)),
            Ending::Error(e) => Err(e),
            Ending::Close(None) => Ok(0),
            Ending::Close(Some(frame)) => {
                let code = u16::from(frame.code);
                let info = CloseInfo { code, reason: frame.reason.as_str().to_owned() };
                self.close_info = Some(info.clone());
                if frame.code == CloseCode::Normal {
                    Ok(0)
                } else {
                    Err(TransportError::Closed { code: info.code, reason: info.reason })
                }
            }
        }
    }

    /// Sends one encoded packet (one binary message on WebSocket) and flushes it.
    ///
    /// Not cancel-safe: a send dropped halfway may have written part of the packet.
    pub async fn send(&mut self, packet: Bytes) -> Result<(), TransportError> {
        match &mut self.io {
            Io::Stream(stream) => {
                stream.write_all(&packet).await.map_err(|e| stream_error(&self.url, e))?;
                stream.flush().await.map_err(|e| stream_error(&self.url, e))?;
            }
            Io::Ws(ws) => ws.send(Message::Binary(packet)).await.map_err(|e| ws_error(&self.url, e))?,
        }
        Ok(())
    }

    /// Sends several packets with one flush: one write for TCP/TLS, one binary message holding them all
    /// on WebSocket. Not cancel-safe, like [`Transport::send`].
    pub async fn send_batch(&mut self, packets: impl IntoIterator<Item = Bytes>) -> Result<(), TransportError> {
        let mut packets = packets.into_iter();
        let Some(first) = packets.next() else { return Ok(()) };
        // One packet goes as it is, without a copy (a large PUBLISH, most often).
        let Some(second) = packets.next() else { return self.send(first).await };
        self.write_buf.clear();
        for packet in [first, second].into_iter().chain(packets) {
            self.write_buf.extend_from_slice(&packet);
        }
        match &mut self.io {
            Io::Stream(stream) => {
                stream.write_all(&self.write_buf).await.map_err(|e| stream_error(&self.url, e))?;
                stream.flush().await.map_err(|e| stream_error(&self.url, e))?;
            }
            Io::Ws(ws) => {
                // The message takes the bytes; the buffer grows back on the next batch.
                let message = Message::Binary(self.write_buf.split().freeze());
                ws.send(message).await.map_err(|e| ws_error(&self.url, e))?;
            }
        }
        Ok(())
    }

    /// Closes the connection: a WebSocket Close (1000) or a TLS close_notify, then the write side of the
    /// socket. Best effort and bounded in time; errors are ignored since the connection is going anyway.
    pub async fn close(&mut self) {
        let io = &mut self.io;
        let _ = timeout(CLOSE_TIMEOUT, async move {
            match io {
                Io::Stream(stream) => {
                    let _ = stream.shutdown().await;
                }
                Io::Ws(ws) => {
                    let frame = CloseFrame { code: CloseCode::Normal, reason: "".into() };
                    let _ = ws.as_mut().close(Some(frame)).await;
                }
            }
        })
        .await;
    }
}

/// Appends every binary message that is ready, up to [`WS_READ_BATCH`] bytes. Returns `Pending` only when
/// nothing was appended, which is what makes [`Transport::read`] cancel-safe. A close or an error that
/// comes after some data is kept in `pending_end` for the next read.
fn poll_ws_read(
    ws: &mut WebSocketStream<Stream>,
    buf: &mut BytesMut,
    cx: &mut Context<'_>,
    pending_end: &mut Option<Ending>,
) -> Poll<Result<usize, Ending>> {
    let mut appended = 0;
    loop {
        let end = match Pin::new(&mut *ws).poll_next(cx) {
            Poll::Ready(Some(Ok(Message::Binary(data)))) => {
                buf.extend_from_slice(&data);
                appended += data.len();
                if appended >= WS_READ_BATCH {
                    return Poll::Ready(Ok(appended));
                }
                continue;
            }
            // tungstenite answers pings by itself on the next read or write.
            Poll::Ready(Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)))) => continue,
            Poll::Ready(Some(Ok(Message::Text(text)))) => Ending::Error(TransportError::TextFrame { len: text.len() }),
            Poll::Ready(Some(Ok(Message::Close(frame)))) => Ending::Close(frame),
            Poll::Ready(Some(Err(e))) => match e {
                WsError::ConnectionClosed
                | WsError::AlreadyClosed
                | WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => Ending::Close(None),
                other => Ending::Error(map_ws_error(other)),
            },
            Poll::Ready(None) => Ending::Close(None),
            Poll::Pending if appended > 0 => return Poll::Ready(Ok(appended)),
            Poll::Pending => return Poll::Pending,
        };
        if appended > 0 {
            *pending_end = Some(end);
            return Poll::Ready(Ok(appended));
        }
        return Poll::Ready(Err(end));
    }
}

/// IO errors after connecting. With TLS 1.3 a server that rejects the client certificate says so only
/// after the client has finished its handshake, so TLS alerts can surface here too.
fn stream_error(url: &BrokerUrl, e: io::Error) -> TransportError {
    if url.scheme.is_tls() { tls::map_handshake_error(&url.host, e) } else { TransportError::Io(e) }
}

fn ws_error(url: &BrokerUrl, e: WsError) -> TransportError {
    match map_ws_error(e) {
        TransportError::Io(e) => stream_error(url, e),
        other => other,
    }
}

fn map_ws_error(e: WsError) -> TransportError {
    match e {
        WsError::Io(io) => TransportError::Io(io),
        WsError::ConnectionClosed | WsError::AlreadyClosed => {
            TransportError::Io(io::Error::new(io::ErrorKind::BrokenPipe, "the WebSocket is closed"))
        }
        other => TransportError::WebSocket(Box::new(other)),
    }
}

fn handshake_timeout(stage: HandshakeStage, url: &BrokerUrl, opts: &TransportOptions) -> TransportError {
    TransportError::HandshakeTimeout { stage, host: url.host.clone(), port: url.port, timeout: opts.handshake_timeout }
}

/// Resolves `host` and connects to the first address that answers. Errors name the host or address.
async fn connect_tcp(
    host: &str,
    port: u16,
    debug: &mut (dyn FnMut(DebugEvent) + Send),
) -> Result<(TcpStream, SocketAddr), TransportError> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|source| TransportError::Dns { host: host.to_owned(), source })?
        .collect();
    debug(DebugEvent::Resolved { host: host.to_owned(), addrs: addrs.clone() });
    let mut last_error = TransportError::NoAddress { host: host.to_owned() };
    for addr in addrs {
        match TcpStream::connect(addr).await {
            Ok(stream) => {
                // MQTT packets are small and latency matters more than segment count.
                stream.set_nodelay(true)?;
                debug(DebugEvent::Connected { addr });
                return Ok((stream, addr));
            }
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => last_error = TransportError::Refused { addr },
            Err(source) => last_error = TransportError::Connect { addr, source },
        }
    }
    Err(last_error)
}
