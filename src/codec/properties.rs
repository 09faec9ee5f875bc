//! MQTT 5 properties (MQTT 5 §2.2.2): identifiers, wire types, where each may appear, and which
//! may repeat. Properties keep their wire order, so user properties stay in order.

use super::encode::{EncodeError, field_len, put_binary, put_str, put_var_int, var_int_len};
use super::error::ErrorKind;
use super::parse::{Fail, PResult, binary, failure, field, u8_, u16_, u32_, utf8, var_int};
use super::{ByteString, Bytes};
use bytes::{BufMut, BytesMut};
use nom::Parser;
use nom::bytes::complete::take;

/// Where a property list stands; each property is allowed in some of these (MQTT 5 §2.2.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    Connect = 0,
    ConnAck,
    Publish,
    Will,
    PubAck,
    PubRec,
    PubRel,
    PubComp,
    Subscribe,
    SubAck,
    Unsubscribe,
    UnsubAck,
    Disconnect,
    Auth,
}

impl Place {
    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

macro_rules! places {
    ($($p:ident),*) => { 0 $(| (1 << (Place::$p as u16)))* };
}

/// Property identifiers (MQTT 5 §2.2.2.2 table 2-4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PropertyId {
    PayloadFormatIndicator = 0x01,
    MessageExpiryInterval = 0x02,
    ContentType = 0x03,
    ResponseTopic = 0x08,
    CorrelationData = 0x09,
    SubscriptionIdentifier = 0x0B,
    SessionExpiryInterval = 0x11,
    AssignedClientIdentifier = 0x12,
    ServerKeepAlive = 0x13,
    AuthenticationMethod = 0x15,
    AuthenticationData = 0x16,
    RequestProblemInformation = 0x17,
    WillDelayInterval = 0x18,
    RequestResponseInformation = 0x19,
    ResponseInformation = 0x1A,
    ServerReference = 0x1C,
    ReasonString = 0x1F,
    ReceiveMaximum = 0x21,
    TopicAliasMaximum = 0x22,
    TopicAlias = 0x23,
    MaximumQoS = 0x24,
    RetainAvailable = 0x25,
    UserProperty = 0x26,
    MaximumPacketSize = 0x27,
    WildcardSubscriptionAvailable = 0x28,
    SubscriptionIdentifierAvailable = 0x29,
    SharedSubscriptionAvailable = 0x2A,
}

impl PropertyId {
    pub fn from_u32(id: u32) -> Option<Self> {
        use PropertyId::*;
        Some(match id {
            0x01 => PayloadFormatIndicator,
            0x02 => MessageExpiryInterval,
            0x03 => ContentType,
            0x08 => ResponseTopic,
            0x09 => CorrelationData,
            0x0B => SubscriptionIdentifier,
            0x11 => SessionExpiryInterval,
            0x12 => AssignedClientIdentifier,
            0x13 => ServerKeepAlive,
            0x15 => AuthenticationMethod,
            0x16 => AuthenticationData,
            0x17 => RequestProblemInformation,
            0x18 => WillDelayInterval,
            0x19 => RequestResponseInformation,
            0x1A => ResponseInformation,
            0x1C => ServerReference,
            0x1F => ReasonString,
            0x21 => ReceiveMaximum,
            0x22 => TopicAliasMaximum,
            0x23 => TopicAlias,
            0x24 => MaximumQoS,
            0x25 => RetainAvailable,
            0x26 => UserProperty,
            0x27 => MaximumPacketSize,
            0x28 => WildcardSubscriptionAvailable,
            0x29 => SubscriptionIdentifierAvailable,
            0x2A => SharedSubscriptionAvailable,
            _ => return None,
        })
    }

    /// The spec's name in snake case, as `mqscope decode` prints it.
    pub fn name(self) -> &'static str {
        use PropertyId::*;
        match self {
            PayloadFormatIndicator => "payload_format_indicator",
            MessageExpiryInterval => "message_expiry_interval",
            ContentType => "content_type",
            ResponseTopic => "response_topic",
            CorrelationData => "correlation_data",
            SubscriptionIdentifier => "subscription_identifier",
            SessionExpiryInterval => "session_expiry_interval",
            AssignedClientIdentifier => "assigned_client_identifier",
            ServerKeepAlive => "server_keep_alive",
            AuthenticationMethod => "authentication_method",
            AuthenticationData => "authentication_data",
            RequestProblemInformation => "request_problem_information",
            WillDelayInterval => "will_delay_interval",
            RequestResponseInformation => "request_response_information",
            ResponseInformation => "response_information",
            ServerReference => "server_reference",
            ReasonString => "reason_string",
            ReceiveMaximum => "receive_maximum",
            TopicAliasMaximum => "topic_alias_maximum",
            TopicAlias => "topic_alias",
            MaximumQoS => "maximum_qos",
            RetainAvailable => "retain_available",
            UserProperty => "user_property",
            MaximumPacketSize => "maximum_packet_size",
            WildcardSubscriptionAvailable => "wildcard_subscription_available",
            SubscriptionIdentifierAvailable => "subscription_identifier_available",
            SharedSubscriptionAvailable => "shared_subscription_available",
        }
    }

    /// The packets (and will) that may carry this property (MQTT 5 table 2-4).
    fn places(self) -> u16 {
        use PropertyId::*;
        match self {
            PayloadFormatIndicator | MessageExpiryInterval | ContentType | ResponseTopic | CorrelationData => {
                places!(Publish, Will)
            }
            SubscriptionIdentifier => places!(Publish, Subscribe),
            SessionExpiryInterval => places!(Connect, ConnAck, Disconnect),
            AssignedClientIdentifier | ServerKeepAlive | ResponseInformation | MaximumQoS | RetainAvailable => {
                places!(ConnAck)
            }
            WildcardSubscriptionAvailable | SubscriptionIdentifierAvailable | SharedSubscriptionAvailable => {
                places!(ConnAck)
            }
            AuthenticationMethod | AuthenticationData => places!(Connect, ConnAck, Auth),
            RequestProblemInformation | RequestResponseInformation => places!(Connect),
            WillDelayInterval => places!(Will),
            ServerReference => places!(ConnAck, Disconnect),
            ReasonString => {
                places!(ConnAck, PubAck, PubRec, PubRel, PubComp, SubAck, UnsubAck, Disconnect, Auth)
            }
            ReceiveMaximum | TopicAliasMaximum | MaximumPacketSize => places!(Connect, ConnAck),
            TopicAlias => places!(Publish),
            UserProperty => u16::MAX,
        }
    }

    /// User properties repeat anywhere; subscription identifiers repeat in PUBLISH (§3.3.2.3.8).
    fn may_repeat(self, place: Place) -> bool {
        self == Self::UserProperty || (self == Self::SubscriptionIdentifier && place == Place::Publish)
    }
}

/// One property with its value, in the wire type the spec gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Property {
    PayloadFormatIndicator(u8),
    MessageExpiryInterval(u32),
    ContentType(ByteString),
    ResponseTopic(ByteString),
    CorrelationData(Bytes),
    SubscriptionIdentifier(u32),
    SessionExpiryInterval(u32),
    AssignedClientIdentifier(ByteString),
    ServerKeepAlive(u16),
    AuthenticationMethod(ByteString),
    AuthenticationData(Bytes),
    RequestProblemInformation(u8),
    WillDelayInterval(u32),
    RequestResponseInformation(u8),
    ResponseInformation(ByteString),
    ServerReference(ByteString),
    ReasonString(ByteString),
    ReceiveMaximum(u16),
    TopicAliasMaximum(u16),
    TopicAlias(u16),
    MaximumQoS(u8),
    RetainAvailable(u8),
    UserProperty(ByteString, ByteString),
    MaximumPacketSize(u32),
    WildcardSubscriptionAvailable(u8),
    SubscriptionIdentifierAvailable(u8),
    SharedSubscriptionAvailable(u8),
}

impl Property {
    pub fn id(&self) -> PropertyId {
        use Property as P;
        use PropertyId as I;
        match self {
            P::PayloadFormatIndicator(_) => I::PayloadFormatIndicator,
            P::MessageExpiryInterval(_) => I::MessageExpiryInterval,
            P::ContentType(_) => I::ContentType,
            P::ResponseTopic(_) => I::ResponseTopic,
            P::CorrelationData(_) => I::CorrelationData,
            P::SubscriptionIdentifier(_) => I::SubscriptionIdentifier,
            P::SessionExpiryInterval(_) => I::SessionExpiryInterval,
            P::AssignedClientIdentifier(_) => I::AssignedClientIdentifier,
            P::ServerKeepAlive(_) => I::ServerKeepAlive,
            P::AuthenticationMethod(_) => I::AuthenticationMethod,
            P::AuthenticationData(_) => I::AuthenticationData,
            P::RequestProblemInformation(_) => I::RequestProblemInformation,
            P::WillDelayInterval(_) => I::WillDelayInterval,
            P::RequestResponseInformation(_) => I::RequestResponseInformation,
            P::ResponseInformation(_) => I::ResponseInformation,
            P::ServerReference(_) => I::ServerReference,
            P::ReasonString(_) => I::ReasonString,
            P::ReceiveMaximum(_) => I::ReceiveMaximum,
            P::TopicAliasMaximum(_) => I::TopicAliasMaximum,
            P::TopicAlias(_) => I::TopicAlias,
            P::MaximumQoS(_) => I::MaximumQoS,
            P::RetainAvailable(_) => I::RetainAvailable,
            P::UserProperty(..) => I::UserProperty,
            P::MaximumPacketSize(_) => I::MaximumPacketSize,
            P::WildcardSubscriptionAvailable(_) => I::WildcardSubscriptionAvailable,
            P::SubscriptionIdentifierAvailable(_) => I::SubscriptionIdentifierAvailable,
            P::SharedSubscriptionAvailable(_) => I::SharedSubscriptionAvailable,
        }
    }

    /// Whether the value is in the range the spec allows (MQTT 5 §3.1.2.11, §3.2.2.3, §3.3.2.3).
    fn is_valid(&self) -> bool {
        use Property as P;
        match *self {
            P::PayloadFormatIndicator(v)
            | P::RequestProblemInformation(v)
            | P::RequestResponseInformation(v)
            | P::MaximumQoS(v)
            | P::RetainAvailable(v)
            | P::WildcardSubscriptionAvailable(v)
            | P::SubscriptionIdentifierAvailable(v)
            | P::SharedSubscriptionAvailable(v) => v <= 1,
            P::ReceiveMaximum(v) | P::TopicAlias(v) => v != 0,
            P::MaximumPacketSize(v) => v != 0,
            P::SubscriptionIdentifier(v) => (1..=super::MAX_REMAINING_LENGTH as u32).contains(&v),
            _ => true,
        }
    }

    /// The string and binary rules `write` enforces (MQTT 5 §1.5.4, §1.5.6), checked before anything
    /// is written, so a length computed with `wire_len` is only trusted for a packet that will encode.
    fn check_fields(&self) -> Result<(), EncodeError> {
        use Property as P;
        let name = self.id().name();
        let string = |s: &str| {
            if s.contains('\0') {
                return Err(EncodeError::invalid(name, "contains U+0000"));
            }
            field_len(s.len(), name).map(drop)
        };
        match self {
            P::ContentType(s)
            | P::ResponseTopic(s)
            | P::AssignedClientIdentifier(s)
            | P::AuthenticationMethod(s)
            | P::ResponseInformation(s)
            | P::ServerReference(s)
            | P::ReasonString(s) => string(s),
            P::CorrelationData(b) | P::AuthenticationData(b) => field_len(b.len(), name).map(drop),
            P::UserProperty(k, v) => string(k).and_then(|()| string(v)),
            _ => Ok(()),
        }
    }

    /// Bytes this property takes on the wire, identifier included.
    fn wire_len(&self) -> usize {
        use Property as P;
        1 + match self {
            P::PayloadFormatIndicator(_)
            | P::RequestProblemInformation(_)
            | P::RequestResponseInformation(_)
            | P::MaximumQoS(_)
            | P::RetainAvailable(_)
            | P::WildcardSubscriptionAvailable(_)
            | P::SubscriptionIdentifierAvailable(_)
            | P::SharedSubscriptionAvailable(_) => 1,
            P::ServerKeepAlive(_) | P::ReceiveMaximum(_) | P::TopicAliasMaximum(_) | P::TopicAlias(_) => 2,
            P::MessageExpiryInterval(_)
            | P::SessionExpiryInterval(_)
            | P::WillDelayInterval(_)
            | P::MaximumPacketSize(_) => 4,
            P::SubscriptionIdentifier(v) => var_int_len(*v as usize),
            P::ContentType(s)
            | P::ResponseTopic(s)
            | P::AssignedClientIdentifier(s)
            | P::AuthenticationMethod(s)
            | P::ResponseInformation(s)
            | P::ServerReference(s)
            | P::ReasonString(s) => 2 + s.len(),
            P::CorrelationData(b) | P::AuthenticationData(b) => 2 + b.len(),
            P::UserProperty(k, v) => 4 + k.len() + v.len(),
        }
    }

    fn write(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        use Property as P;
        buf.put_u8(self.id() as u8);
        match self {
            P::PayloadFormatIndicator(v)
            | P::RequestProblemInformation(v)
            | P::RequestResponseInformation(v)
            | P::MaximumQoS(v)
            | P::RetainAvailable(v)
            | P::WildcardSubscriptionAvailable(v)
            | P::SubscriptionIdentifierAvailable(v)
            | P::SharedSubscriptionAvailable(v) => buf.put_u8(*v),
            P::ServerKeepAlive(v) | P::ReceiveMaximum(v) | P::TopicAliasMaximum(v) | P::TopicAlias(v) => {
                buf.put_u16(*v)
            }
            P::MessageExpiryInterval(v)
            | P::SessionExpiryInterval(v)
            | P::WillDelayInterval(v)
            | P::MaximumPacketSize(v) => buf.put_u32(*v),
            P::SubscriptionIdentifier(v) => put_var_int(buf, *v as usize)?,
            P::ContentType(s)
            | P::ResponseTopic(s)
            | P::AssignedClientIdentifier(s)
            | P::AuthenticationMethod(s)
            | P::ResponseInformation(s)
            | P::ServerReference(s)
            | P::ReasonString(s) => put_str(buf, s, self.id().name())?,
            P::CorrelationData(b) | P::AuthenticationData(b) => put_binary(buf, b, self.id().name())?,
            P::UserProperty(k, v) => {
                put_str(buf, k, "user_property")?;
                put_str(buf, v, "user_property")?;
            }
        }
        Ok(())
    }
}

/// An ordered property list. Empty costs no allocation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Properties(pub Vec<Property>);

impl Properties {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Property> {
        self.0.iter()
    }

    pub fn push(&mut self, p: Property) {
        self.0.push(p);
    }

    /// The first property with this identifier.
    pub fn get(&self, id: PropertyId) -> Option<&Property> {
        self.0.iter().find(|p| p.id() == id)
    }

    pub fn user_properties(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().filter_map(|p| match p {
            Property::UserProperty(k, v) => Some((&**k, &**v)),
            _ => None,
        })
    }

    pub fn reason_string(&self) -> Option<&str> {
        self.0.iter().find_map(|p| match p {
            Property::ReasonString(s) => Some(&**s),
            _ => None,
        })
    }

    pub fn topic_alias(&self) -> Option<u16> {
        self.0.iter().find_map(|p| match p {
            Property::TopicAlias(v) => Some(*v),
            _ => None,
        })
    }

    /// Length of the properties without the length prefix.
    pub(crate) fn body_len(&self) -> usize {
        self.0.iter().map(Property::wire_len).sum()
    }

    /// Length with the variable byte integer prefix.
    pub(crate) fn wire_len(&self) -> usize {
        let n = self.body_len();
        var_int_len(n) + n
    }

    pub(crate) fn write(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        put_var_int(buf, self.body_len())?;
        for p in &self.0 {
            p.write(buf)?;
        }
        Ok(())
    }
}

impl FromIterator<Property> for Properties {
    fn from_iter<T: IntoIterator<Item = Property>>(iter: T) -> Self {
        Self(iter.into_iter().collect())
    }
}

/// A property list: its length, then properties until that length is used up.
pub(crate) fn parse_properties<'a>(frame: &'a Bytes, place: Place, i: &'a [u8]) -> PResult<'a, Properties> {
    let (i, len) = var_int("property length")(i)?;
    let (rest, body) = field("property length", take(len))(i)?;
    // Offsets are measured from the end of the input, and `body` ends where `rest` begins: count
    // `rest` in, or an error inside the list would point too far into the packet.
    let props = parse_property_list(frame, place, body).map_err(|e| {
        e.map(|mut f| {
            f.rest += rest.len();
            f
        })
    })?;
    Ok((rest, props))
}

/// The properties of one list, until `body` (exactly the list's bytes) is used up.
fn parse_property_list<'a>(frame: &'a Bytes, place: Place, mut body: &'a [u8]) -> Result<Properties, nom::Err<Fail>> {
    let mut props = Vec::new();
    let mut seen: u64 = 0;
    while !body.is_empty() {
        let at = body;
        let (b, raw_id) = var_int("property identifier")(body)?;
        let Some(id) = PropertyId::from_u32(raw_id) else {
            return Err(failure(at, "property identifier", ErrorKind::UnknownProperty(raw_id)));
        };
        if id.places() & place.bit() == 0 {
            return Err(failure(at, id.name(), ErrorKind::PropertyNotAllowed(id.name())));
        }
        let bit = 1u64 << (id as u8);
        if seen & bit != 0 && !id.may_repeat(place) {
            return Err(failure(at, id.name(), ErrorKind::DuplicateProperty(id.name())));
        }
        seen |= bit;
        let (b, prop) = field(id.name(), |b| parse_value(frame, id, b)).parse(b)?;
        if !prop.is_valid() {
            return Err(failure(at, id.name(), ErrorKind::InvalidPropertyValue(id.name())));
        }
        props.push(prop);
        body = b;
    }
    Ok(Properties(props))
}

fn parse_value<'a>(frame: &'a Bytes, id: PropertyId, i: &'a [u8]) -> Result<(&'a [u8], Property), nom::Err<Fail>> {
    use Property as P;
    use PropertyId as I;
    let name = id.name();
    let byte = |i: &'a [u8], f: fn(u8) -> Property| u8_(name)(i).map(|(r, v)| (r, f(v)));
    let two = |i: &'a [u8], f: fn(u16) -> Property| u16_(name)(i).map(|(r, v)| (r, f(v)));
    let four = |i: &'a [u8], f: fn(u32) -> Property| u32_(name)(i).map(|(r, v)| (r, f(v)));
    let text = |i: &'a [u8], f: fn(ByteString) -> Property| utf8(frame, name)(i).map(|(r, v)| (r, f(v)));
    match id {
        I::PayloadFormatIndicator => byte(i, P::PayloadFormatIndicator),
        I::MessageExpiryInterval => four(i, P::MessageExpiryInterval),
        I::ContentType => text(i, P::ContentType),
        I::ResponseTopic => text(i, P::ResponseTopic),
        I::CorrelationData => binary(frame, name)(i).map(|(r, v)| (r, P::CorrelationData(v))),
        I::SubscriptionIdentifier => var_int(name)(i).map(|(r, v)| (r, P::SubscriptionIdentifier(v))),
        I::SessionExpiryInterval => four(i, P::SessionExpiryInterval),
        I::AssignedClientIdentifier => text(i, P::AssignedClientIdentifier),
        I::ServerKeepAlive => two(i, P::ServerKeepAlive),
        I::AuthenticationMethod => text(i, P::AuthenticationMethod),
        I::AuthenticationData => binary(frame, name)(i).map(|(r, v)| (r, P::AuthenticationData(v))),
        I::RequestProblemInformation => byte(i, P::RequestProblemInformation),
        I::WillDelayInterval => four(i, P::WillDelayInterval),
        I::RequestResponseInformation => byte(i, P::RequestResponseInformation),
        I::ResponseInformation => text(i, P::ResponseInformation),
        I::ServerReference => text(i, P::ServerReference),
        I::ReasonString => text(i, P::ReasonString),
        I::ReceiveMaximum => two(i, P::ReceiveMaximum),
        I::TopicAliasMaximum => two(i, P::TopicAliasMaximum),
        I::TopicAlias => two(i, P::TopicAlias),
        I::MaximumQoS => byte(i, P::MaximumQoS),
        I::RetainAvailable => byte(i, P::RetainAvailable),
        I::UserProperty => {
            let (i, k) = utf8(frame, "user_property name")(i)?;
            let (i, v) = utf8(frame, "user_property value")(i)?;
            Ok((i, P::UserProperty(k, v)))
        }
        I::MaximumPacketSize => four(i, P::MaximumPacketSize),
        I::WildcardSubscriptionAvailable => byte(i, P::WildcardSubscriptionAvailable),
        I::SubscriptionIdentifierAvailable => byte(i, P::SubscriptionIdentifierAvailable),
        I::SharedSubscriptionAvailable => byte(i, P::SharedSubscriptionAvailable),
    }
}

/// Checks a property list about to be encoded against the same rules the parser enforces.
pub(crate) fn check_places(props: &Properties, place: Place) -> Result<(), EncodeError> {
    let mut seen: u64 = 0;
    for p in props.iter() {
        let id = p.id();
        if id.places() & place.bit() == 0 {
            return Err(EncodeError::PropertyNotAllowed(id.name()));
        }
        let bit = 1u64 << (id as u8);
        if seen & bit != 0 && !id.may_repeat(place) {
            return Err(EncodeError::DuplicateProperty(id.name()));
        }
        if !p.is_valid() {
            return Err(EncodeError::InvalidPropertyValue(id.name()));
        }
        p.check_fields()?;
        seen |= bit;
    }
    Ok(())
}
