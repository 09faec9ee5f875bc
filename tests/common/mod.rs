//! Shared harness for the integration tests: brokers to talk to and fake peers to script.
//!
//! - [`rumqttd`]: an embedded rumqttd broker (3.1.1 TCP, 5.0 TCP, 3.1.1 WebSocket), one per test binary,
//!   so `cargo test` works on a fresh machine.
//! - [`Mosquitto`]: Debian's mosquitto started from a generated config (TCP, WebSocket, TLS and WebSocket
//!   over TLS listeners with rcgen certificates, optional users), killed on drop, restartable on the same
//!   ports. Missing binary: tests skip, except under `CI=true` where that is a failure.
//! - [`TestCa`]: certificates for TLS tests (trusted, untrusted, wrong name, expired, client certs).
//! - [`FakeTcpServer`], [`FakeWsServer`], [`fake_http_once`], [`FakeTlsServer`], [`silent_server`]: peers
//!   whose bytes the test scripts, for malformed input and error paths.
//! - [`bridge`]: two mosquittos, one bridged to the other.
//! - [`tmux`]: the dashboard in a real terminal, on a private tmux server.
//!
//! Everything binds 127.0.0.1 on ports the OS picks, and every wait is bounded.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::result_large_err)]
// Tests print skip reasons and timings of their own.
#![allow(clippy::disallowed_macros)]

use std::collections::HashMap;
use std::fs;
use std::io::Read as _;
use std::net::{SocketAddr, TcpListener as StdListener, TcpStream as StdStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use futures_util::{SinkExt, StreamExt};
use mqscope::codec::{Bytes, ConnAck, Connect, Decoder, Packet, Properties, ProtocolVersion, encode};
use mqscope::transport::{Transport, TransportOptions};
use rcgen::{CertificateParams, CertifiedIssuer, IsCa, KeyPair, date_time_ymd};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::HeaderValue;

pub mod bridge;
pub mod tmux;

/// Bound for every wait on a peer in these helpers.
pub const WAIT: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------------------------------------
// Ports

/// `n` distinct free ports: bind them all on 127.0.0.1:0 at once, note the ports, release them. Another
/// process can grab one before the broker binds it, so callers retry with fresh ports on failure.
pub fn free_ports(n: usize) -> Vec<u16> {
    let listeners: Vec<StdListener> = (0..n).map(|_| StdListener::bind("127.0.0.1:0").unwrap()).collect();
    listeners.iter().map(|l| l.local_addr().unwrap().port()).collect()
}

/// Waits until something accepts TCP connections on each port, or `deadline` passes.
fn wait_for_ports(ports: &[u16], deadline: Instant) -> bool {
    for &port in ports {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        loop {
            if StdStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                break;
            }
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }
    true
}

// ---------------------------------------------------------------------------------------------------------
// MQTT bytes

/// A CONNECT with a clean start, 30 s keepalive and the given client id.
pub fn connect_packet(version: ProtocolVersion, client_id: &str) -> Packet {
    connect_packet_with_login(version, client_id, None)
}

pub fn connect_packet_with_login(version: ProtocolVersion, client_id: &str, login: Option<(&str, &str)>) -> Packet {
    Packet::Connect(Box::new(Connect {
        protocol: version,
        bridge: false,
        clean_start: true,
        keep_alive: 30,
        properties: Properties::default(),
        client_id: client_id.into(),
        will: None,
        username: login.map(|(u, _)| u.into()),
        password: login.map(|(_, p)| Bytes::copy_from_slice(p.as_bytes())),
    }))
}

pub fn encode_packet(packet: &Packet, version: ProtocolVersion) -> Bytes {
    let mut buf = BytesMut::new();
    encode(packet, version, &mut buf).unwrap();
    buf.freeze()
}

/// Reads from the transport until one whole packet decodes, within [`WAIT`]. `None` if the stream ended.
pub async fn read_packet(transport: &mut Transport, buf: &mut BytesMut, version: ProtocolVersion) -> Option<Packet> {
    let mut decoder = Decoder::new(version);
    tokio::time::timeout(WAIT, async {
        loop {
            if let Some(packet) = decoder.decode(buf).unwrap() {
                return Some(packet);
            }
            if transport.read(buf).await.unwrap() == 0 {
                return None;
            }
        }
    })
    .await
    .expect("no packet within the time limit")
}

/// Connects to `opts`, sends CONNECT, and returns the CONNACK (panics if something else comes).
pub async fn mqtt_handshake(opts: &TransportOptions, version: ProtocolVersion, client_id: &str) -> ConnAck {
    mqtt_handshake_with_login(opts, version, client_id, None).await
}

pub async fn mqtt_handshake_with_login(
    opts: &TransportOptions,
    version: ProtocolVersion,
    client_id: &str,
    login: Option<(&str, &str)>,
) -> ConnAck {
    let mut transport = Transport::connect(opts, |_| {}).await.unwrap();
    transport.send(encode_packet(&connect_packet_with_login(version, client_id, login), version)).await.unwrap();
    let mut buf = BytesMut::new();
    let packet = read_packet(&mut transport, &mut buf, version).await;
    transport.close().await;
    match packet {
        Some(Packet::ConnAck(ack)) => ack,
        other => panic!("expected CONNACK, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------------------
// Embedded rumqttd

/// Addresses of the embedded rumqttd's listeners.
#[derive(Debug, Clone, Copy)]
pub struct EmbeddedBroker {
    /// MQTT 3.1.1 over TCP.
    pub v4: SocketAddr,
    /// MQTT 5.0 over TCP.
    pub v5: SocketAddr,
    /// MQTT 3.1.1 over WebSocket (its ws listener speaks 3.1.1 only; any path).
    pub ws: SocketAddr,
}

impl EmbeddedBroker {
    pub fn tcp_v4_url(&self) -> String {
        format!("mqtt://{}", self.v4)
    }
    pub fn tcp_v5_url(&self) -> String {
        format!("mqtt://{}", self.v5)
    }
    pub fn ws_url(&self) -> String {
        format!("ws://{}/mqtt", self.ws)
    }
}

/// The embedded broker of this test binary, started on first use. It lives until the process exits.
pub fn rumqttd() -> &'static EmbeddedBroker {
    static BROKER: OnceLock<EmbeddedBroker> = OnceLock::new();
    BROKER.get_or_init(|| {
        for _attempt in 0..5 {
            let ports = free_ports(3);
            let addr = |i: usize| SocketAddr::from(([127, 0, 0, 1], ports[i]));
            let broker = EmbeddedBroker { v4: addr(0), v5: addr(1), ws: addr(2) };
            let config = rumqttd_config(&broker);
            std::thread::Builder::new()
                .name("rumqttd".into())
                .spawn(move || {
                    let _ = rumqttd::Broker::new(config).start();
                })
                .unwrap();
            if wait_for_ports(&ports, Instant::now() + WAIT) {
                return broker;
            }
            // A port was taken in the meantime; the broker's other listeners stay up unused. Try fresh ports.
        }
        panic!("the embedded rumqttd did not come up on free ports after 5 attempts");
    })
}

fn rumqttd_config(broker: &EmbeddedBroker) -> rumqttd::Config {
    let server = |name: &str, listen: SocketAddr| {
        let settings = rumqttd::ServerSettings {
            name: name.to_owned(),
            listen,
            tls: None,
            next_connection_delay_ms: 1,
            connections: rumqttd::ConnectionSettings {
                connection_timeout_ms: 60_000,
                max_payload_size: 4 * 1024 * 1024,
                max_inflight_count: 100,
                auth: None,
                external_auth: None,
                dynamic_filters: true,
            },
        };
        Some(HashMap::from([("1".to_owned(), settings)]))
    };
    rumqttd::Config {
        id: 0,
        router: rumqttd::RouterConfig {
            max_connections: 1000,
            max_outgoing_packet_count: 200,
            max_segment_size: 100 * 1024 * 1024,
            max_segment_count: 10,
            ..Default::default()
        },
        v4: server("v4", broker.v4),
        v5: server("v5", broker.v5),
        ws: server("ws", broker.ws),
        ..Default::default()
    }
}

// ---------------------------------------------------------------------------------------------------------
// Certificates

/// A test certificate authority (ECDSA P-256).
pub struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

/// A PEM certificate and its PEM private key.
#[derive(Debug, Clone)]
pub struct CertPair {
    pub cert_pem: String,
    pub key_pem: String,
}

impl TestCa {
    pub fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.distinguished_name.push(rcgen::DnType::CommonName, name);
        params.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign, rcgen::KeyUsagePurpose::CrlSign];
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        Self { issuer }
    }

    pub fn cert_pem(&self) -> String {
        self.issuer.pem()
    }

    /// A server certificate for these names (DNS names or IP addresses), valid from 2020 to 2100.
    pub fn server_cert(&self, names: &[&str]) -> CertPair {
        self.cert(names, (2020, 1, 1), (2100, 1, 1), false)
    }

    /// A certificate for these names that expired in 2021.
    pub fn expired_cert(&self, names: &[&str]) -> CertPair {
        self.cert(names, (2020, 1, 1), (2021, 1, 1), false)
    }

    /// A client certificate for TLS client authentication.
    pub fn client_cert(&self, name: &str) -> CertPair {
        self.cert(&[name], (2020, 1, 1), (2100, 1, 1), true)
    }

    fn cert(
        &self,
        names: &[&str],
        (from_y, from_m, from_d): (i32, u8, u8),
        (to_y, to_m, to_d): (i32, u8, u8),
        client: bool,
    ) -> CertPair {
        let mut params = CertificateParams::new(names.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>()).unwrap();
        params.distinguished_name.push(rcgen::DnType::CommonName, names.first().copied().unwrap_or("test"));
        params.not_before = date_time_ymd(from_y, from_m, from_d);
        params.not_after = date_time_ymd(to_y, to_m, to_d);
        params.extended_key_usages = vec![if client {
            rcgen::ExtendedKeyUsagePurpose::ClientAuth
        } else {
            rcgen::ExtendedKeyUsagePurpose::ServerAuth
        }];
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        CertPair { cert_pem: cert.pem(), key_pem: key.serialize_pem() }
    }
}

/// Writes `contents` to `dir/name` and returns the path.
pub fn write_file(dir: &Path, name: &str, contents: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, contents).unwrap();
    path
}

// ---------------------------------------------------------------------------------------------------------
// mosquitto

/// Settings for [`Mosquitto::start_with`].
#[derive(Debug, Clone, Default)]
pub struct MosquittoOptions {
    /// Users for a password file; when not empty, anonymous clients are refused.
    pub users: Vec<(String, String)>,
    /// Lines appended to the generated config.
    pub extra_config: String,
}

/// A mosquitto process with TCP, WebSocket, TLS and WebSocket-over-TLS listeners on 127.0.0.1.
pub struct Mosquitto {
    child: Option<Child>,
    dir: tempfile::TempDir,
    binary: PathBuf,
    config: PathBuf,
    log: PathBuf,
    pub tcp_port: u16,
    pub ws_port: u16,
    pub tls_port: u16,
    pub wss_port: u16,
    /// PEM of the CA that signed the server certificate (valid for 127.0.0.1 and localhost).
    pub ca_file: PathBuf,
    /// The CA itself, to make client certificates.
    pub ca: Arc<TestCa>,
}

fn mosquitto_binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/usr/local/sbin".into()])
        .map(|dir| dir.join("mosquitto"))
        .find(|p| p.is_file())
}

impl Mosquitto {
    /// Publishes one message with mosquitto_pub at QoS 1 (the payload on stdin, so any bytes go).
    pub fn publish(&self, topic: &str, payload: &[u8], retain: bool) {
        use std::io::Write as _;
        let mut cmd = std::process::Command::new("mosquitto_pub");
        cmd.args(["-h", "127.0.0.1", "-p", &self.tcp_port.to_string(), "-t", topic, "-q", "1", "-s"]);
        if retain {
            cmd.arg("-r");
        }
        let mut child = cmd
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("mosquitto_pub runs");
        child.stdin.take().expect("stdin").write_all(payload).expect("payload written");
        let out = child.wait_with_output().expect("mosquitto_pub ends");
        assert!(out.status.success(), "mosquitto_pub -t {topic}: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// Starts mosquitto with anonymous access. `None` (after printing "skipping: mosquitto not installed")
    /// when the binary is missing and `CI` is not `true`; under CI a missing binary panics.
    pub fn start() -> Option<Self> {
        Self::start_with(MosquittoOptions::default())
    }

    pub fn start_with(opts: MosquittoOptions) -> Option<Self> {
        let Some(binary) = mosquitto_binary() else {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("mosquitto is not installed, and CI must run the mosquitto tests: apt-get install -y mosquitto");
            }
            eprintln!("skipping: mosquitto not installed");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let ca = TestCa::new("mqscope test CA");
        let server = ca.server_cert(&["127.0.0.1", "localhost"]);
        let ca_file = write_file(dir.path(), "ca.pem", &ca.cert_pem());
        write_file(dir.path(), "server.pem", &server.cert_pem);
        write_file(dir.path(), "server.key", &server.key_pem);
        if !opts.users.is_empty() {
            let passwd = dir.path().join("passwd");
            for (i, (user, pass)) in opts.users.iter().enumerate() {
                let mut cmd = Command::new("mosquitto_passwd");
                cmd.arg("-b");
                if i == 0 {
                    cmd.arg("-c");
                }
                let status = cmd.arg(&passwd).arg(user).arg(pass).stdout(Stdio::null()).status().unwrap();
                assert!(status.success(), "mosquitto_passwd failed for user '{user}'");
            }
        }
        let mut broker = Self {
            child: None,
            config: dir.path().join("mosquitto.conf"),
            log: dir.path().join("mosquitto.log"),
            dir,
            binary,
            tcp_port: 0,
            ws_port: 0,
            tls_port: 0,
            wss_port: 0,
            ca_file,
            ca: Arc::new(ca),
        };
        for attempt in 1..=5 {
            let ports = free_ports(4);
            (broker.tcp_port, broker.ws_port, broker.tls_port, broker.wss_port) =
                (ports[0], ports[1], ports[2], ports[3]);
            broker.write_config(&opts);
            match broker.spawn() {
                Ok(()) => return Some(broker),
                Err(log) if attempt < 5 && log.contains("in use") => continue,
                Err(log) => panic!("mosquitto did not start:\n{log}"),
            }
        }
        unreachable!()
    }

    fn write_config(&self, opts: &MosquittoOptions) {
        let dir = self.dir.path().display();
        let tls = format!("cafile {dir}/ca.pem\ncertfile {dir}/server.pem\nkeyfile {dir}/server.key\n");
        let auth = if opts.users.is_empty() {
            "allow_anonymous true\n".to_owned()
        } else {
            format!("allow_anonymous false\npassword_file {dir}/passwd\n")
        };
        let config = format!(
            "# written by the mqscope test harness\n\
             per_listener_settings false\n\
             {auth}\
             persistence false\n\
             max_queued_messages 0\n\
             max_inflight_messages 0\n\
             log_dest stderr\n\
             log_type error\nlog_type warning\nlog_type notice\nlog_type information\n\
             user root\n\
             listener {tcp} 127.0.0.1\n\
             listener {ws} 127.0.0.1\nprotocol websockets\n\
             listener {tls_port} 127.0.0.1\n{tls}\
             listener {wss} 127.0.0.1\nprotocol websockets\n{tls}\
             {extra}\n",
            tcp = self.tcp_port,
            ws = self.ws_port,
            tls_port = self.tls_port,
            wss = self.wss_port,
            extra = opts.extra_config,
        );
        fs::write(&self.config, config).unwrap();
    }

    /// Starts the process and waits until every listener accepts; on failure returns the log.
    fn spawn(&mut self) -> Result<(), String> {
        let log = fs::File::create(&self.log).unwrap();
        let child = Command::new(&self.binary)
            .arg("-c")
            .arg(&self.config)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + WAIT;
        let ports = [self.tcp_port, self.ws_port, self.tls_port, self.wss_port];
        for &port in &ports {
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            loop {
                if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().unwrap()) {
                    self.child = None;
                    return Err(format!("exited with {status}\n{}", self.log()));
                }
                if StdStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                    break;
                }
                if Instant::now() > deadline {
                    self.stop();
                    return Err(format!("listeners not up within {WAIT:?}\n{}", self.log()));
                }
                std::thread::sleep(Duration::from_millis(25));
            }
        }
        Ok(())
    }

    /// Stops the broker: SIGTERM to its PID, then SIGKILL if it has not exited within 5 s.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Starts it again with the same config and ports (after [`Mosquitto::stop`]).
    pub fn start_again(&mut self) {
        assert!(self.child.is_none(), "mosquitto is still running");
        if let Err(log) = self.spawn() {
            panic!("mosquitto did not restart on the same ports:\n{log}");
        }
    }

    pub fn restart(&mut self) {
        self.stop();
        self.start_again();
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub fn tcp_url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.tcp_port)
    }
    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}/mqtt", self.ws_port)
    }
    pub fn tls_url(&self) -> String {
        format!("mqtts://127.0.0.1:{}", self.tls_port)
    }
    pub fn wss_url(&self) -> String {
        format!("wss://127.0.0.1:{}/mqtt", self.wss_port)
    }

    /// Options for `url` that trust this broker's CA.
    pub fn options(&self, url: String) -> TransportOptions {
        let mut opts = TransportOptions::new(url);
        opts.tls.ca_file = Some(self.ca_file.clone());
        opts
    }

    /// The broker's output so far (for failure messages).
    pub fn log(&self) -> String {
        let mut text = String::new();
        if let Ok(mut f) = fs::File::open(&self.log) {
            let _ = f.read_to_string(&mut text);
        }
        text
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        self.stop();
    }
}

// ---------------------------------------------------------------------------------------------------------
// Fake peers

/// A TCP listener on 127.0.0.1:0 whose connections the test scripts byte by byte.
pub struct FakeTcpServer {
    listener: TcpListener,
    pub addr: SocketAddr,
}

impl FakeTcpServer {
    pub async fn bind() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        Self { listener, addr }
    }

    pub fn url(&self) -> String {
        format!("mqtt://{}", self.addr)
    }

    /// Accepts one connection, however long it takes (bound it with a timeout).
    pub async fn accept_raw(&self) -> FakePeer {
        let (stream, _) = self.listener.accept().await.unwrap();
        FakePeer { stream, buf: BytesMut::new() }
    }

    /// Accepts one connection (within [`WAIT`]).
    pub async fn accept(&self) -> FakePeer {
        let (stream, _) = tokio::time::timeout(WAIT, self.listener.accept()).await.expect("no connection").unwrap();
        FakePeer { stream, buf: BytesMut::new() }
    }
}

/// The server side of one fake TCP connection.
pub struct FakePeer {
    pub stream: TcpStream,
    buf: BytesMut,
}

impl FakePeer {
    /// Writes raw bytes, e.g. a malformed packet.
    pub async fn write(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
    }

    pub async fn send_packet(&mut self, packet: &Packet, version: ProtocolVersion) {
        let bytes = encode_packet(packet, version);
        self.write(&bytes).await;
    }

    /// Reads until one packet decodes (within [`WAIT`]); `None` on EOF.
    pub async fn read_packet(&mut self, version: ProtocolVersion) -> Option<Packet> {
        let mut decoder = Decoder::new(version);
        tokio::time::timeout(WAIT, async {
            loop {
                if let Some(packet) = decoder.decode(&mut self.buf).unwrap() {
                    return Some(packet);
                }
                if self.stream.read_buf(&mut self.buf).await.unwrap() == 0 {
                    return None;
                }
            }
        })
        .await
        .expect("no packet from the client within the time limit")
    }

    /// Closes the connection (FIN).
    pub async fn shutdown(&mut self) {
        let _ = self.stream.shutdown().await;
    }
}

/// How a [`FakeWsServer`] answers the upgrade.
#[derive(Debug, Clone, Default)]
pub enum SubprotocolAnswer {
    /// Pick the first offered one (what a real broker does).
    #[default]
    FirstOffered,
    /// Answer without Sec-WebSocket-Protocol.
    None,
    /// Answer with this one, offered or not.
    Fixed(String),
}

/// A WebSocket server on 127.0.0.1:0 whose messages and frames the test scripts.
pub struct FakeWsServer {
    listener: TcpListener,
    pub addr: SocketAddr,
}

impl FakeWsServer {
    pub async fn bind() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        Self { listener, addr }
    }

    pub fn url(&self, path: &str) -> String {
        format!("ws://{}{path}", self.addr)
    }

    /// Accepts one connection and completes the upgrade (within [`WAIT`]).
    pub async fn accept(&self, answer: SubprotocolAnswer) -> FakeWsPeer {
        let (stream, _) = tokio::time::timeout(WAIT, self.listener.accept()).await.expect("no connection").unwrap();
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen_in_callback = seen.clone();
        let callback = move |request: &Request, mut response: Response| -> Result<Response, ErrorResponse> {
            let headers: Vec<(String, String)> = request
                .headers()
                .iter()
                .map(|(n, v)| (n.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                .collect();
            let offered = request
                .headers()
                .get("Sec-WebSocket-Protocol")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .map(|s| s.trim().to_owned());
            *seen_in_callback.lock().unwrap() = headers;
            let chosen = match answer {
                SubprotocolAnswer::FirstOffered => offered,
                SubprotocolAnswer::None => None,
                SubprotocolAnswer::Fixed(p) => Some(p),
            };
            if let Some(p) = chosen {
                response.headers_mut().insert("Sec-WebSocket-Protocol", HeaderValue::from_str(&p).unwrap());
            }
            Ok(response)
        };
        let ws = tokio::time::timeout(WAIT, tokio_tungstenite::accept_hdr_async(stream, callback))
            .await
            .expect("no upgrade")
            .unwrap();
        let request_headers = std::mem::take(&mut *seen.lock().unwrap());
        FakeWsPeer { ws, request_headers }
    }
}

/// The server side of one fake WebSocket connection.
pub struct FakeWsPeer {
    pub ws: WebSocketStream<TcpStream>,
    /// The upgrade request's headers as the server saw them.
    pub request_headers: Vec<(String, String)>,
}

impl FakeWsPeer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.request_headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Sends each chunk as one binary message.
    pub async fn send_binary(&mut self, chunks: &[&[u8]]) {
        for chunk in chunks {
            self.ws.feed(Message::Binary(Bytes::copy_from_slice(chunk))).await.unwrap();
        }
        self.ws.flush().await.unwrap();
    }

    pub async fn send(&mut self, message: Message) {
        self.ws.send(message).await.unwrap();
    }

    /// The next message from the client (within [`WAIT`]); `None` when the stream ended.
    pub async fn next_message(&mut self) -> Option<Message> {
        tokio::time::timeout(WAIT, self.ws.next()).await.expect("no message from the client").map(|m| m.unwrap())
    }
}

/// Serves one HTTP connection: reads the request head, writes `response` as is, closes. The handle gives
/// the request head as text.
pub async fn fake_http_once(response: String) -> (SocketAddr, tokio::task::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = tokio::spawn(async move {
        let (mut stream, _) = tokio::time::timeout(WAIT, listener.accept()).await.unwrap().unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if stream.read(&mut byte).await.unwrap() == 0 {
                break;
            }
            head.push(byte[0]);
        }
        stream.write_all(response.as_bytes()).await.unwrap();
        let _ = stream.shutdown().await;
        String::from_utf8_lossy(&head).into_owned()
    });
    (addr, handle)
}

/// Accepts TCP connections and never says a word (handshake timeouts). Ends with the test's runtime.
pub async fn silent_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    addr
}

/// A TLS server (rustls, aws-lc-rs) that completes handshakes and echoes what it reads. Optionally requires a
/// client certificate signed by `client_ca`.
pub struct FakeTlsServer {
    pub addr: SocketAddr,
}

impl FakeTlsServer {
    pub async fn start(server: &CertPair, client_ca: Option<&TestCa>) -> Self {
        use rustls_pki_types::pem::PemObject;
        use rustls_pki_types::{CertificateDer, PrivateKeyDer};
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let chain = vec![CertificateDer::from_pem_slice(server.cert_pem.as_bytes()).unwrap()];
        let key = PrivateKeyDer::from_pem_slice(server.key_pem.as_bytes()).unwrap();
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap();
        let builder = match client_ca {
            None => builder.with_no_client_auth(),
            Some(ca) => {
                let mut roots = rustls::RootCertStore::empty();
                roots.add(CertificateDer::from_pem_slice(ca.cert_pem().as_bytes()).unwrap()).unwrap();
                let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                    .build()
                    .unwrap();
                builder.with_client_cert_verifier(verifier)
            }
        };
        let config = builder.with_single_cert(chain, key).unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(stream).await else { return };
                    let mut buf = [0u8; 4096];
                    while let Ok(n) = tls.read(&mut buf).await {
                        if n == 0 || tls.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                        let _ = tls.flush().await;
                    }
                });
            }
        });
        Self { addr }
    }

    pub fn url(&self) -> String {
        format!("mqtts://{}", self.addr)
    }
}

/// Waits for `child` (stdout and stderr piped) at most `limit`, then collects its output; past the limit it
/// is killed and the test fails, naming `what` and showing its stderr.
pub fn output_within(mut child: Child, limit: Duration, what: &str) -> Output {
    let deadline = Instant::now() + limit;
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!("{what} ran over {limit:?}; stderr: {}", String::from_utf8_lossy(&out.stderr));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
