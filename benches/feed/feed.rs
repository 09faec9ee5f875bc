//! A fast, steady MQTT 3.1.1 publisher for the side-by-side benches: it writes pre-encoded QoS 0 PUBLISH
//! packets of one fixed size raw over TCP, either paced at a rate or as fast as the socket takes them.
//! Standard library only, and its own byte template (not mqscope's encoder), so the bench checks
//! mqscope against bytes it did not make. Built by the bench script with plain `rustc -O`.
//!
//!   feed PORT COUNT TOPICS RATE [PACKET_LEN]
//!
//! PORT: the broker's TCP port on 127.0.0.1. COUNT messages over TOPICS topics (`bench/gGG/tTTTT`, the
//! message number modulo TOPICS). RATE messages per second, 0 for a burst. PACKET_LEN: the whole PUBLISH
//! packet in bytes (default 76), padded with payload. Prints how long the sending took and the rate
//! reached; exits 1 when the broker refuses or the socket fails.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::ExitCode;
use std::thread;
use std::time::{Duration, Instant};

/// Messages written per pacing step at a set rate: about 200 steps a second at 20,000 msgs/s.
const STEP: Duration = Duration::from_millis(5);

fn connect_packet(client_id: &str) -> Vec<u8> {
    // MQTT 3.1.1 CONNECT: protocol name, level 4, clean session, keepalive 60 s, client id.
    let mut body = vec![0, 4, b'M', b'Q', b'T', b'T', 4, 0x02, 0, 60];
    body.extend_from_slice(&(client_id.len() as u16).to_be_bytes());
    body.extend_from_slice(client_id.as_bytes());
    let mut p = vec![0x10, body.len() as u8];
    p.extend_from_slice(&body);
    p
}

/// A QoS 0 PUBLISH of exactly `len` bytes (2 to 129 of them with a one-byte remaining length).
fn publish_packet(n: u64, topics: u64, len: usize) -> Result<Vec<u8>, String> {
    let t = n % topics;
    let topic = format!("bench/g{:02}/t{:04}", t % 100, t / 100);
    let remaining = len.checked_sub(2).filter(|r| *r < 128).ok_or("PACKET_LEN must be 2 to 129")?;
    let payload_len = remaining.checked_sub(2 + topic.len()).ok_or("PACKET_LEN is too short for the topic")?;
    debug_assert_eq!(topic.len(), TOPIC_LEN);
    let mut payload = vec![b'x'; payload_len];
    number(&mut payload, n);
    if let Some(space) = payload.get_mut(10) {
        *space = b' ';
    }
    let mut p = vec![0x30, remaining as u8];
    p.extend_from_slice(&(topic.len() as u16).to_be_bytes());
    p.extend_from_slice(topic.as_bytes());
    p.extend_from_slice(&payload);
    Ok(p)
}

/// Where the payload starts in every packet: fixed header (2), topic length (2), topic.
const PAYLOAD_AT: usize = 4 + TOPIC_LEN;
const TOPIC_LEN: usize = "bench/g00/t0000".len();

/// Writes `n` as ten decimal digits over the start of `payload` (as far as it reaches).
fn number(payload: &mut [u8], mut n: u64) {
    let digits = payload.len().min(10);
    for b in payload[..digits].iter_mut().rev() {
        *b = b'0' + (n % 10) as u8;
        n /= 10;
    }
}

fn arg(args: &[String], i: usize, name: &str) -> Result<u64, String> {
    args.get(i).ok_or(format!("missing {name}"))?.parse().map_err(|e| format!("{name}: {e}"))
}

fn run(args: &[String]) -> Result<(), String> {
    let port = arg(args, 1, "PORT")?;
    let count = arg(args, 2, "COUNT")?;
    let topics = arg(args, 3, "TOPICS")?.max(1);
    let rate = arg(args, 4, "RATE")?;
    let len = if args.len() > 5 { arg(args, 5, "PACKET_LEN")? as usize } else { 76 };
    if topics > 1_000_000 {
        return Err("TOPICS is at most 1,000,000".into());
    }

    // Encoded before connecting: one packet per topic, copied for each message with its number written
    // into the payload, so sending is only copies and writes.
    let template: Vec<Vec<u8>> =
        (0..topics.min(count.max(1))).map(|n| publish_packet(n, topics, len)).collect::<Result<_, _>>()?;
    let io = |e: io::Error| e.to_string();
    let mut s = TcpStream::connect(("127.0.0.1", port as u16)).map_err(io)?;
    s.set_nodelay(true).map_err(io)?;
    s.write_all(&connect_packet(&format!("feed-{}", std::process::id()))).map_err(io)?;
    let mut connack = [0u8; 4];
    s.read_exact(&mut connack).map_err(io)?;
    if connack[0] != 0x20 || connack[3] != 0 {
        return Err(format!("the broker refused the connection: {connack:02x?}"));
    }
    // Anything the broker sends from here on is read and dropped, so it never blocks on us.
    let mut reader = s.try_clone().map_err(io)?;
    let drain = thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while matches!(reader.read(&mut buf), Ok(n) if n > 0) {}
    });

    let per_step = if rate == 0 { 4096 } else { (rate * STEP.as_micros() as u64 / 1_000_000).max(1) };
    let start = Instant::now();
    let mut out = Vec::with_capacity(per_step as usize * len);
    let mut sent = 0u64;
    let mut step = 0u32;
    while sent < count {
        out.clear();
        let n = per_step.min(count - sent);
        for i in sent..sent + n {
            let at = out.len();
            out.extend_from_slice(&template[(i % template.len() as u64) as usize]);
            number(&mut out[at + PAYLOAD_AT..], i);
        }
        s.write_all(&out).map_err(io)?;
        sent += n;
        if rate > 0 {
            // An absolute schedule: a late step is caught up by the next ones, so the rate holds.
            step += 1;
            let due = start + STEP * step;
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                thread::sleep(wait);
            }
        }
    }
    let took = start.elapsed();
    // DISCONNECT, then wait for the broker to close: it has then taken every packet.
    s.write_all(&[0xe0, 0]).map_err(io)?;
    s.shutdown(Shutdown::Write).map_err(io)?;
    let _ = drain.join();
    let secs = took.as_secs_f64().max(1e-9);
    println!("sent {sent} messages of {len} bytes in {secs:.3} s ({:.0} msgs/s)", sent as f64 / secs);
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("feed: {e}");
            eprintln!("usage: feed PORT COUNT TOPICS RATE [PACKET_LEN]");
            ExitCode::FAILURE
        }
    }
}
