//! Option values: durations and numbers, each held to the range that makes sense, with an error that
//! names the limit. Clap calls these for the flags and the config file calls the same checks, so a
//! value means the same in both places and nothing absurd (NaN, infinity, a negative or a year-long
//! timeout, a zero that would divide or stall) reaches the code that sleeps, allocates or divides.
//!
//! Errors leave the raw value out: clap and the config file put it in front, sanitised.

use std::time::Duration;

/// The longest duration any option takes. Deadlines are `now + duration`, which must not overflow.
pub const MAX_DURATION: Duration = Duration::from_secs(365 * 86_400);
/// The shortest: below this a timeout cannot be told from none.
pub const MIN_DURATION: Duration = Duration::from_millis(1);

/// Most frames per second the dashboard draws.
pub const MAX_FPS: u32 = 240;
/// Most messages kept per topic.
pub const MAX_HISTORY: usize = 1_000_000;
/// Largest memory budget, in MiB (1 TiB).
pub const MAX_MEMORY_MIB: usize = 1024 * 1024;
/// MQTT's largest packet: a 4-byte remaining length of 268,435,455 plus the fixed header (MQTT 5 §2.1.4).
pub const MAX_PACKET_SIZE: usize = 268_435_460;
/// Smallest packet size limit: 0 is a protocol error (MQTT 5 §3.1.2.11.4). A limit too small for the
/// broker's packets is allowed and named when a packet exceeds it.
pub const MIN_PACKET_SIZE: usize = 1;
/// Most decimals a watch column shows (an f64 carries about 16 significant digits).
pub const MAX_DECIMALS: usize = 16;
/// Replay speed factor bounds.
pub const MIN_SPEED: f64 = 0.001;
pub const MAX_SPEED: f64 = 1_000_000.0;

/// What a bare number in a duration option counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Secs,
    Millis,
}

impl Unit {
    fn name(self) -> &'static str {
        match self {
            Self::Secs => "seconds",
            Self::Millis => "milliseconds",
        }
    }
}

/// A duration: a number in `unit` (`30`, `1.5`), or a number with its own unit (`500ms`, `2s`, `5m`,
/// `1h`, `1d`). More than 0, at least 1 ms and at most [`MAX_DURATION`].
pub fn duration(text: &str, unit: Unit) -> Result<Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| c.is_ascii_alphabetic() && c != 'e' && c != 'E').unwrap_or(t.len());
    // "inf" and "nan" start with letters: read them as numbers so the error says what they are.
    let word = t.trim_start_matches(['+', '-']);
    let (number, suffix) = if ["inf", "infinity", "nan"].iter().any(|w| word.eq_ignore_ascii_case(w)) {
        (t, "")
    } else {
        t.split_at(split)
    };
    let scale = match suffix {
        "" if unit == Unit::Secs => 1.0,
        "" => 0.001,
        "ms" => 0.001,
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        _ => {
            return Err(format!(
                "not a duration: give a number of {} or one with a unit: 500ms, 2s, 5m, 1h, 1d",
                unit.name()
            ));
        }
    };
    let n: f64 = number.trim().parse().map_err(|_| {
        format!("not a duration: give a number of {} or one with a unit: 500ms, 2s, 5m, 1h, 1d", unit.name())
    })?;
    duration_from_secs(n * scale)
}

/// The same checks for a number of seconds from the config file.
pub fn duration_from_secs(secs: f64) -> Result<Duration, String> {
    if secs.is_nan() {
        return Err("not a number".into());
    }
    if secs <= 0.0 {
        return Err("must be more than 0".into());
    }
    if secs > MAX_DURATION.as_secs_f64() {
        return Err(format!("too long: at most {} s (365 days)", MAX_DURATION.as_secs()));
    }
    let d = Duration::from_secs_f64(secs);
    if d < MIN_DURATION {
        return Err("too short: at least 1 ms".into());
    }
    Ok(d)
}

/// A bare number in seconds (for clap).
pub fn secs(text: &str) -> Result<Duration, String> {
    duration(text, Unit::Secs)
}

/// A bare number in milliseconds (for clap).
pub fn millis(text: &str) -> Result<Duration, String> {
    duration(text, Unit::Millis)
}

/// A whole number from `min` to `max`; the error names the bound that was crossed.
pub fn whole<T: TryFrom<u128>>(text: &str, min: u128, max: u128) -> Result<T, String> {
    let t = text.trim();
    let n = match t.parse::<u128>() {
        Ok(n) => n,
        Err(_) if is_digits(t.strip_prefix('-').unwrap_or("x")) => return Err(below(min)),
        Err(_) if is_digits(t) => return Err(above(max)),
        Err(_) => return Err(format!("not a whole number from {min} to {max}")),
    };
    check_range(n, min, max)?;
    T::try_from(n).map_err(|_| above(max))
}

/// The range check alone, for numbers the config file already parsed.
pub fn check_range(n: u128, min: u128, max: u128) -> Result<(), String> {
    if n < min {
        return Err(below(min));
    }
    if n > max {
        return Err(above(max));
    }
    Ok(())
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn below(min: u128) -> String {
    if min == 0 { "must not be negative".into() } else { format!("must be at least {min}") }
}

fn above(max: u128) -> String {
    format!("too large: at most {max}")
}

/// A count of messages: at least 1.
pub fn count(text: &str) -> Result<u64, String> {
    whole(text, 1, u128::from(u64::MAX))
}

/// Seconds that MQTT carries in 2 bytes (keepalive; 0 turns it off).
pub fn u16_secs(text: &str) -> Result<u16, String> {
    whole(text, 0, u128::from(u16::MAX))
}

/// Seconds that MQTT 5 carries in 4 bytes (session and message expiry).
pub fn u32_secs(text: &str) -> Result<u32, String> {
    whole(text, 0, u128::from(u32::MAX))
}

/// A count MQTT carries in 2 bytes (topic alias maximum; 0 is meaningful).
pub fn u16_count(text: &str) -> Result<u16, String> {
    whole(text, 0, u128::from(u16::MAX))
}

pub fn fps(text: &str) -> Result<u32, String> {
    whole(text, 1, u128::from(MAX_FPS))
}

pub fn history(text: &str) -> Result<usize, String> {
    whole(text, 1, MAX_HISTORY as u128)
}

pub fn memory_mib(text: &str) -> Result<usize, String> {
    whole(text, 1, MAX_MEMORY_MIB as u128)
}

pub fn packet_size(text: &str) -> Result<usize, String> {
    whole(text, MIN_PACKET_SIZE as u128, MAX_PACKET_SIZE as u128)
}

/// The demo's WebSocket port: TCP takes the next one, so 65535 has no room.
pub fn demo_port(text: &str) -> Result<u16, String> {
    whole(text, 1, u128::from(u16::MAX - 1))
}

/// A replay speed factor (0.5 is half speed).
/// `FILTER=TYPE:FILE`: the Protobuf message type of the messages on a topic filter, and the `.proto`
/// file that defines it.
pub fn proto(text: &str) -> Result<crate::payload::protobuf::ProtoSpec, String> {
    let usage = "expected FILTER=TYPE:FILE, e.g. 'factory/+/telemetry=acme.Telemetry:proto/telemetry.proto'";
    let (filter, rest) = text.split_once('=').ok_or(usage)?;
    let (message, file) = rest.split_once(':').ok_or(usage)?;
    if filter.is_empty() || message.is_empty() || file.is_empty() {
        return Err(usage.into());
    }
    crate::codec::topic::check_topic_filter(filter).map_err(|k| k.to_string())?;
    Ok(crate::payload::protobuf::ProtoSpec {
        filter: filter.into(),
        message: message.into(),
        files: vec![file.into()],
        include: Vec::new(),
    })
}

/// `FILTER=FILE`: a JSON Schema for the messages on a topic filter.
pub fn schema(text: &str) -> Result<(String, std::path::PathBuf), String> {
    match text.split_once('=') {
        Some((f, p)) if !f.is_empty() && !p.is_empty() => {
            crate::codec::topic::check_topic_filter(f).map_err(|k| k.to_string())?;
            Ok((f.to_string(), p.into()))
        }
        _ => Err("expected FILTER=FILE, e.g. 'plant/+/telemetry=telemetry.schema.json'".into()),
    }
}

pub fn speed(text: &str) -> Result<f64, String> {
    let s: f64 = text.trim().parse().map_err(|_| "not a number".to_string())?;
    if s.is_nan() {
        return Err("not a number".into());
    }
    if !(MIN_SPEED..=MAX_SPEED).contains(&s) {
        return Err(format!("must be from {MIN_SPEED} to {MAX_SPEED}"));
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_the_flags_unit_or_their_own() {
        assert_eq!(secs("30"), Ok(Duration::from_secs(30)));
        assert_eq!(secs("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(secs(" 2 "), Ok(Duration::from_secs(2)));
        assert_eq!(millis("250"), Ok(Duration::from_millis(250)));
        assert_eq!(millis("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(secs("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(secs("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(secs("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(secs("1e3"), Ok(Duration::from_secs(1000)));
        assert_eq!(secs("365d"), Ok(MAX_DURATION));
    }

    #[test]
    fn absurd_durations_are_refused_with_the_limit() {
        for bad in ["1e30", "inf", "Infinity", "1e19", "18446744073709551615", "366d"] {
            let e = secs(bad).unwrap_err();
            assert!(e.contains("at most 31536000 s"), "{bad}: {e}");
        }
        assert_eq!(secs("nan").unwrap_err(), "not a number");
        assert_eq!(secs("-1").unwrap_err(), "must be more than 0");
        assert_eq!(secs("-inf").unwrap_err(), "must be more than 0");
        assert_eq!(secs("0").unwrap_err(), "must be more than 0");
        assert!(secs("1e-9").unwrap_err().contains("at least 1 ms"));
        assert!(millis("0.5").unwrap_err().contains("at least 1 ms"));
        for junk in ["", "abc", "5 minutes", "1x", "s"] {
            assert!(secs(junk).unwrap_err().starts_with("not a duration"), "{junk:?}");
        }
    }

    #[test]
    fn whole_numbers_name_the_bound_they_cross() {
        assert_eq!(count("5"), Ok(5));
        assert_eq!(count("0").unwrap_err(), "must be at least 1");
        assert_eq!(count("-3").unwrap_err(), "must be at least 1");
        assert_eq!(count("99999999999999999999999").unwrap_err(), "too large: at most 18446744073709551615");
        assert_eq!(u16_secs("65536").unwrap_err(), "too large: at most 65535");
        assert_eq!(u16_secs("-1").unwrap_err(), "must not be negative");
        assert_eq!(u16_secs("0"), Ok(0));
        assert_eq!(fps("0").unwrap_err(), "must be at least 1");
        assert_eq!(fps("1000").unwrap_err(), "too large: at most 240");
        assert_eq!(history("1.5").unwrap_err(), "not a whole number from 1 to 1000000");
        assert_eq!(packet_size("0").unwrap_err(), "must be at least 1");
        assert_eq!(packet_size("268435461").unwrap_err(), "too large: at most 268435460");
        assert_eq!(demo_port("65535").unwrap_err(), "too large: at most 65534");
    }

    #[test]
    fn speeds_are_finite_and_bounded() {
        assert_eq!(speed("0.5"), Ok(0.5));
        assert_eq!(speed("nan").unwrap_err(), "not a number");
        for bad in ["0", "-1", "inf", "1e300", "1e-300"] {
            assert!(speed(bad).unwrap_err().starts_with("must be from"), "{bad}");
        }
    }
}
