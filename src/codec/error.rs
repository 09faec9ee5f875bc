//! Decode errors: what was wrong, in which packet, which field, at which byte.

use std::fmt;

/// What was wrong with the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// Packet type 0, or 15 (AUTH) before MQTT 5.
    ReservedPacketType(u8),
    /// Fixed-header flag bits that the spec fixes had other values (MQTT 5 §2.1.3).
    ReservedFlags { expected: u8, found: u8 },
    /// A reserved bit inside the packet was set.
    ReservedBits,
    /// The remaining length took more than four bytes (MQTT 5 §1.5.5).
    RemainingLengthTooLong,
    /// A variable byte integer did not use the fewest bytes (MQTT 5 §1.5.5).
    NonMinimalVarInt,
    /// The packet is larger than the configured maximum packet size.
    PacketTooLarge { len: usize, max: usize },
    /// A length inside the packet runs past its end.
    Truncated,
    /// Bytes were left over after the last field of the packet.
    TrailingBytes(usize),
    /// A UTF-8 string was not well-formed UTF-8 (MQTT 5 §1.5.4).
    InvalidUtf8,
    /// A UTF-8 string contained U+0000 (MQTT 5 §1.5.4).
    NullCharacter,
    /// A topic name contained `+` or `#` (MQTT 5 §4.7.1).
    WildcardInTopicName,
    /// A topic name or filter was empty where it may not be.
    EmptyTopic,
    /// A topic filter broke the wildcard rules (MQTT 5 §4.7.1).
    InvalidTopicFilter(&'static str),
    /// QoS value 3 (MQTT 5 §3.3.1.2).
    InvalidQoS(u8),
    /// DUP set on a QoS 0 PUBLISH (MQTT 5 §3.3.1.1).
    DupOnQoS0,
    /// Packet identifier 0 where a non-zero one is required (MQTT 5 §2.2.1).
    ZeroPacketId,
    /// A property that may appear once appeared again (MQTT 5 §2.2.2.2).
    DuplicateProperty(&'static str),
    /// A property that this packet may not carry.
    PropertyNotAllowed(&'static str),
    /// A property identifier the spec does not define.
    UnknownProperty(u32),
    /// A property had a value outside its range.
    InvalidPropertyValue(&'static str),
    /// A reason or return code not defined for this packet.
    InvalidReasonCode(u8),
    /// The CONNECT protocol name was not "MQTT" / "MQIsdp".
    InvalidProtocolName,
    /// The CONNECT protocol level is not 3, 4 or 5 (or does not match the name).
    UnsupportedProtocolLevel(u8),
    /// A list that must have at least one entry was empty.
    EmptyList,
    /// Any other rule the value broke, in words.
    Invalid(&'static str),
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ErrorKind::*;
        match self {
            ReservedPacketType(t) => write!(f, "packet type {t} is reserved"),
            ReservedFlags { expected, found } => {
                write!(f, "reserved flags must be {expected:#06b}, found {found:#06b}")
            }
            ReservedBits => f.write_str("reserved bits are set"),
            RemainingLengthTooLong => f.write_str("remaining length is longer than 4 bytes"),
            NonMinimalVarInt => f.write_str("variable byte integer is not minimally encoded"),
            PacketTooLarge { len, max } => {
                write!(f, "packet of {len} bytes exceeds the maximum packet size of {max} bytes")
            }
            Truncated => f.write_str("length runs past the end of the packet"),
            TrailingBytes(n) => write!(f, "{n} unexpected trailing byte(s) at the end of the packet"),
            InvalidUtf8 => f.write_str("not valid UTF-8"),
            NullCharacter => f.write_str("contains U+0000"),
            WildcardInTopicName => f.write_str("topic name contains a wildcard ('+' or '#')"),
            EmptyTopic => f.write_str("must not be empty"),
            InvalidTopicFilter(why) => write!(f, "invalid topic filter: {why}"),
            InvalidQoS(q) => write!(f, "QoS {q} is not valid"),
            DupOnQoS0 => f.write_str("DUP flag set on a QoS 0 message"),
            ZeroPacketId => f.write_str("packet identifier must not be 0"),
            DuplicateProperty(p) => write!(f, "property {p} appears more than once"),
            PropertyNotAllowed(p) => write!(f, "property {p} is not allowed in this packet"),
            UnknownProperty(id) => write!(f, "unknown property identifier {id:#04x}"),
            InvalidPropertyValue(p) => write!(f, "property {p} has an invalid value"),
            InvalidReasonCode(c) => write!(f, "reason code {c:#04x} is not valid for this packet"),
            InvalidProtocolName => f.write_str("protocol name must be \"MQTT\" (or \"MQIsdp\" for 3.1)"),
            UnsupportedProtocolLevel(l) => write!(f, "protocol level {l} is not supported"),
            EmptyList => f.write_str("must contain at least one entry"),
            Invalid(why) => f.write_str(why),
        }
    }
}

/// A malformed packet: which packet, which field, at which byte offset of the packet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct DecodeError {
    /// The packet's name, or "packet" when the type byte itself was bad.
    pub packet: &'static str,
    pub field: &'static str,
    /// Offset of the offending field from the first byte of the packet.
    pub offset: usize,
    /// Offset of the packet's first byte in the whole stream the decoder has seen.
    pub stream_offset: u64,
    pub kind: ErrorKind,
}

impl DecodeError {
    pub(crate) fn new(packet: &'static str, field: &'static str, offset: usize, kind: ErrorKind) -> Self {
        Self { packet, field, offset, stream_offset: 0, kind }
    }

    /// Byte offset of the offending field in the whole stream.
    pub fn absolute_offset(&self) -> u64 {
        self.stream_offset + self.offset as u64
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "malformed {} packet: {} at byte {} (stream byte {}): {}",
            self.packet,
            self.field,
            self.offset,
            self.absolute_offset(),
            self.kind
        )
    }
}
