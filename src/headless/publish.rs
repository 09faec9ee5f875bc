//! `mqscope pub`: one message, a file, or every line of stdin (as bytes); waits for every
//! acknowledgement, and gives up with exit 6 when nothing moves for `--ack-timeout`.

use super::conn::task_options;
use super::lines::LineReader;
use super::publisher::{Next, Source, publish_all};
use super::sub::{finish, setup_failed};
use crate::cli::PubArgs;
use crate::codec::{Bytes, Properties, Property, topic};
use crate::exit;
use crate::payload::protobuf::{self, Protos};
use crate::session::{self, OutgoingPublish};
use tokio::io::BufReader;

/// The MQTT 5 properties from the flags; `Err` names a malformed `--user-property`.
pub fn properties(args: &PubArgs) -> Result<Properties, String> {
    let mut props = Properties::default();
    if let Some(secs) = args.expiry {
        props.push(Property::MessageExpiryInterval(secs));
    }
    if let Some(ct) = &args.content_type {
        props.push(Property::ContentType(ct.as_str().into()));
    }
    for up in &args.user_properties {
        let Some((k, v)) = up.split_once('=') else {
            return Err(format!("--user-property '{up}' must look like NAME=VALUE"));
        };
        props.push(Property::UserProperty(k.into(), v.into()));
    }
    Ok(props)
}

/// Runs the command; returns the exit code.
pub async fn run(args: &PubArgs) -> u8 {
    let topic_check = if args.topic.is_empty() {
        Err(crate::codec::ErrorKind::EmptyTopic)
    } else {
        topic::check_topic_name(&args.topic)
    };
    if let Err(k) = topic_check {
        crate::report!("mqscope: topic '{}': {k}", args.topic);
        return exit::USAGE;
    }
    let properties = match properties(args) {
        Ok(p) => p,
        Err(e) => {
            crate::report!("mqscope: {e}");
            return exit::USAGE;
        }
    };
    let v5_only = [
        ("--user-property", !args.user_properties.is_empty()),
        ("--content-type", args.content_type.is_some()),
        ("--expiry", args.expiry.is_some()),
    ];
    let given: Vec<&str> = v5_only.iter().filter(|(_, set)| *set).map(|(name, _)| *name).collect();
    if let Err(e) = super::conn::need_v5(&args.conn, &given) {
        return setup_failed(&e);
    }
    let single = if args.lines {
        None
    } else if let Some(m) = &args.message {
        Some(Bytes::from(m.clone()))
    } else if let Some(path) = &args.file {
        // Streamed with a limit, so `-f <(command)` works and `-f /dev/zero` stops.
        match crate::files::read_stream(path, crate::files::PAYLOAD_LIMIT) {
            Ok(data) => Some(Bytes::from(data)),
            Err(e) => {
                crate::report!("mqscope: {e}");
                return if e.io_kind().is_some() { exit::FAILURE } else { exit::USAGE };
            }
        }
    } else {
        Some(Bytes::new())
    };
    let encoder = match args.encode {
        None => None,
        Some(crate::cli::Encoding::Protobuf) => match message_type(args) {
            Ok(m) => Some(m),
            Err(e) => {
                crate::report!("mqscope: {e}");
                return exit::USAGE;
            }
        },
    };
    let single = match (single, &encoder) {
        (Some(payload), Some(m)) => match encode(&payload, m) {
            Ok(bytes) => Some(bytes),
            Err(e) => {
                crate::report!("mqscope: {e}");
                return exit::USAGE;
            }
        },
        (single, _) => single,
    };
    let opts = match task_options(&args.conn, Vec::new()) {
        Ok(o) => o,
        Err(e) => return setup_failed(&e),
    };
    let debug = opts.debug;
    let mut handle = session::spawn(opts);
    let template = OutgoingPublish {
        topic: args.topic.clone(),
        payload: Bytes::new(),
        qos: args.qos,
        retain: args.retain,
        properties,
    };
    let ack_timeout = args.ack_timeout;
    let (code, _) = match single {
        Some(payload) => {
            let mut one = One(Some(OutgoingPublish { payload, ..template }));
            publish_all(&mut handle, &mut one, ack_timeout, debug).await
        }
        None => {
            let mut lines = Lines { reader: LineReader::new(BufReader::new(tokio::io::stdin())), template, encoder };
            publish_all(&mut handle, &mut lines, ack_timeout, debug).await
        }
    };
    let closed = finish(handle, debug).await;
    if !closed && code == exit::OK && args.qos == crate::codec::QoS::AtMostOnce {
        // QoS 0 messages count as sent once handed to the transport; a close that does not complete
        // means they may still be sitting in a buffer. (QoS 1/2 were acknowledged: they arrived.)
        crate::report!("mqscope: the connection did not close cleanly; messages may not have left");
        return exit::FAILURE;
    }
    code
}

/// `-m`, `-f`, `-n`: one message.
struct One(Option<OutgoingPublish>);

impl Source for One {
    async fn next(&mut self) -> Next {
        self.0.take().map_or(Next::End, Next::Message)
    }

    fn name(&self, _token: u64) -> String {
        "the message".into()
    }
}

/// The Protobuf message type `--proto` or the profile gives the topic, for `--encode protobuf`.
fn message_type(args: &PubArgs) -> Result<prost_reflect::MessageDescriptor, String> {
    let protos = Protos::load(&args.proto.specs(&args.profile_protos))?;
    protos.message_for(&args.topic).cloned().ok_or_else(|| {
        format!(
            "--encode protobuf: no Protobuf message type for topic '{}': give one with --proto FILTER=TYPE:FILE \
             or in the profile's payload_views",
            crate::sanitize::line(&args.topic)
        )
    })
}

/// A JSON payload encoded as `message`.
fn encode(payload: &[u8], message: &prost_reflect::MessageDescriptor) -> Result<Bytes, String> {
    let text = std::str::from_utf8(payload).map_err(|e| format!("the payload is not UTF-8 JSON: {e}"))?;
    protobuf::encode_json(text, message).map(Bytes::from)
}

/// `-l`: each line of stdin, as bytes (encoded to Protobuf with `--encode protobuf`).
struct Lines<R> {
    reader: LineReader<R>,
    template: OutgoingPublish,
    encoder: Option<prost_reflect::MessageDescriptor>,
}

impl<R: tokio::io::AsyncBufRead + Unpin> Source for Lines<R> {
    async fn next(&mut self) -> Next {
        match self.reader.next_line().await {
            Ok(Some(payload)) => match &self.encoder {
                Some(m) => match encode(&payload, m) {
                    Ok(payload) => Next::Message(OutgoingPublish { payload, ..self.template.clone() }),
                    Err(e) => Next::Fail(format!("line {}: {e}", self.reader.number)),
                },
                None => Next::Message(OutgoingPublish { payload, ..self.template.clone() }),
            },
            Ok(None) => Next::End,
            Err(e) => Next::Fail(format!("reading stdin after line {}: {e}", self.reader.number)),
        }
    }

    fn name(&self, token: u64) -> String {
        format!("line {token}")
    }
}
