//! `mqscope decode`: packets from a byte stream (raw or hex text) to JSON lines.

use crate::codec::{DecodeError, Decoder, ProtocolVersion};
use crate::inspect::packet_json;
use bytes::BytesMut;
use std::io::{self, BufWriter, Read, Write};

#[derive(Debug, thiserror::Error)]
pub enum DecodeFailure {
    #[error(transparent)]
    Malformed(#[from] DecodeError),
    #[error("input ends inside a {packet} packet that starts at stream byte {offset} ({have} of {need} bytes present)")]
    Truncated { packet: String, offset: u64, have: usize, need: String },
    #[error("hex input: {0}")]
    BadHex(String),
    #[error("reading input: {0}")]
    Read(io::Error),
    #[error("writing output: {0}")]
    Write(io::Error),
}

pub struct Options {
    pub version: ProtocolVersion,
    pub hex: bool,
    pub max_packet_size: usize,
}

/// Turns hex text into bytes as it streams in; whitespace is skipped, and so is a `0x` before a byte.
#[derive(Default)]
struct HexReader {
    high: Option<u8>,
    after_zero: bool,
    offset: u64,
}

impl HexReader {
    fn feed(&mut self, text: &[u8], out: &mut BytesMut) -> Result<(), DecodeFailure> {
        for &c in text {
            self.offset += 1;
            if c.is_ascii_whitespace() {
                if self.high.is_some() {
                    return Err(self.error(c, "a byte is split by white space"));
                }
                continue;
            }
            // "0x" prefix: only where a new byte starts with '0' followed by 'x'.
            if (c == b'x' || c == b'X') && self.after_zero && self.high == Some(0) {
                self.high = None;
                self.after_zero = false;
                continue;
            }
            let Some(n) = (c as char).to_digit(16) else {
                return Err(self.error(c, "not a hex digit"));
            };
            let n = n as u8;
            match self.high.take() {
                None => {
                    self.high = Some(n);
                    self.after_zero = c == b'0';
                }
                Some(h) => {
                    out.extend_from_slice(&[(h << 4) | n]);
                    self.after_zero = false;
                }
            }
        }
        Ok(())
    }

    fn finish(&self) -> Result<(), DecodeFailure> {
        if self.high.is_some() {
            return Err(DecodeFailure::BadHex("odd number of hex digits".into()));
        }
        Ok(())
    }

    fn error(&self, c: u8, why: &str) -> DecodeFailure {
        DecodeFailure::BadHex(format!("{why}: {:?} at input character {}", c as char, self.offset))
    }
}

/// Decodes everything from `input`, printing one JSON object per packet to `output` as it goes.
/// Returns how many packets were printed.
pub fn run(opts: &Options, mut input: impl Read, output: impl Write) -> Result<u64, DecodeFailure> {
    let mut out = BufWriter::new(output);
    let mut decoder = Decoder::new(opts.version).with_max_packet_size(opts.max_packet_size);
    let mut buf = BytesMut::new();
    let mut hex = HexReader::default();
    let mut chunk = vec![0u8; 64 * 1024];
    let mut count = 0u64;
    loop {
        let n = match input.read(&mut chunk) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(DecodeFailure::Read(e)),
        };
        if n == 0 {
            break;
        }
        if opts.hex {
            hex.feed(&chunk[..n], &mut buf)?;
        } else {
            buf.extend_from_slice(&chunk[..n]);
        }
        count += print_ready(&mut decoder, &mut buf, &mut out)?;
    }
    if opts.hex {
        hex.finish()?;
    }
    out.flush().map_err(DecodeFailure::Write)?;
    if !buf.is_empty() {
        return Err(truncated(&decoder, &buf));
    }
    Ok(count)
}

fn print_ready(decoder: &mut Decoder, buf: &mut BytesMut, out: &mut impl Write) -> Result<u64, DecodeFailure> {
    let mut n = 0;
    loop {
        let at = decoder.consumed();
        let before = buf.len();
        let result = decoder.decode(buf);
        // Flush what was decoded before reporting an error, so the good packets are not lost.
        let packet = match result {
            Ok(Some(p)) => p,
            Ok(None) => return Ok(n),
            Err(e) => {
                out.flush().map_err(DecodeFailure::Write)?;
                return Err(e.into());
            }
        };
        let mut json = packet_json(&packet, decoder.version());
        if let Some(o) = json.as_object_mut() {
            o.insert("offset".into(), at.into());
            o.insert("length".into(), (before - buf.len()).into());
        }
        crate::sanitize::json_to_writer(&mut *out, &json)
            .map_err(io::Error::from)
            .and_then(|()| out.write_all(b"\n"))
            .map_err(DecodeFailure::Write)?;
        n += 1;
    }
}

fn truncated(decoder: &Decoder, buf: &BytesMut) -> DecodeFailure {
    let header = crate::codec::fixed_header_peek(buf, decoder.version()).ok().flatten();
    DecodeFailure::Truncated {
        packet: header.map_or("(unknown)".into(), |h| h.packet_type.name().to_string()),
        offset: decoder.consumed(),
        have: buf.len(),
        need: header.map_or("more".into(), |h| h.frame_len().to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(hex: bool) -> Options {
        Options { version: ProtocolVersion::V3_1_1, hex, max_packet_size: 1024 }
    }

    #[test]
    fn hex_with_spaces_newlines_and_0x_prefixes() {
        let input = "30 05 00 01 61 68 69\n0xc0 0x00\n";
        let mut out = Vec::new();
        assert_eq!(run(&opts(true), input.as_bytes(), &mut out).unwrap(), 2);
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].contains("\"topic\":\"a\"") && lines[0].contains("\"payload_text\":\"hi\""), "{text}");
        assert!(lines[1].contains("\"type\":\"PINGREQ\"") && lines[1].contains("\"offset\":7"), "{text}");
    }

    #[test]
    fn malformed_packet_prints_what_came_before_and_names_the_field() {
        // PINGREQ, then PUBLISH with topic "a+" (a wildcard).
        let input = [0xc0, 0x00, 0x30, 0x04, 0x00, 0x02, b'a', b'+'];
        let mut out = Vec::new();
        let err = run(&opts(false), &input[..], &mut out).unwrap_err();
        assert!(String::from_utf8(out).unwrap().contains("PINGREQ"));
        let msg = err.to_string();
        assert!(msg.contains("PUBLISH") && msg.contains("topic name") && msg.contains("stream byte 7"), "{msg}");
    }

    #[test]
    fn truncated_input_is_an_error_that_says_how_much_is_missing() {
        let err = run(&opts(true), "30 0a 00".as_bytes(), Vec::new()).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("PUBLISH") && msg.contains("3 of 12 bytes"), "{msg}");
        assert!(matches!(run(&opts(true), "3".as_bytes(), Vec::new()), Err(DecodeFailure::BadHex(_))));
        assert!(matches!(run(&opts(true), "zz".as_bytes(), Vec::new()), Err(DecodeFailure::BadHex(_))));
    }
}
