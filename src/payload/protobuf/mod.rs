//! Protobuf payloads. By schema: the user's `.proto` files, compiled in process when the profile loads
//! (protox, no `protoc`), give the message type of each topic filter; a payload decodes to the canonical
//! Protobuf JSON mapping (prost-reflect), so everything that reads JSON payloads reads it, and a JSON
//! payload encodes back to the message for `pub --encode protobuf`. Without a schema, [`raw`] decodes
//! the wire format alone.
//!
//! Bounded as the other decoders are: before a payload is decoded, its wire bytes are walked once under
//! the message type to refuse nesting beyond [`MAX_DEPTH`] and more than [`MAX_ELEMENTS`] values, so a
//! small hostile payload cannot make a large tree. Every name and message from the files is sanitised.

pub mod raw;
pub(crate) mod wire;

use std::path::{Path, PathBuf};

use prost::Message as _;
use prost_reflect::{DynamicMessage, Kind, MessageDescriptor, SerializeOptions};
use serde_json::Value;

use super::{MAX_DEPTH, MAX_ELEMENTS};
use crate::codec::topic;
use crate::sanitize;
use wire::{Reader, WireValue};

/// Message names listed when a type is not found.
const MAX_NAMES_LISTED: usize = 20;

/// One topic filter's message type and the files that define it, as the profile or `--proto` give them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProtoSpec {
    pub filter: String,
    /// Full name, `package.Message`.
    pub message: String,
    pub files: Vec<PathBuf>,
    /// Where imports are looked up; empty means each file's own folder.
    pub include: Vec<PathBuf>,
}

struct Entry {
    filter: String,
    message: MessageDescriptor,
}

/// The compiled message types of a profile, in its order (first matching filter wins).
#[derive(Default)]
pub struct Protos {
    entries: Vec<Entry>,
}

impl std::fmt::Debug for Protos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.entries.iter().map(|e| (&e.filter, e.message.full_name()))).finish()
    }
}

impl Protos {
    /// Compiles every spec; an error names the file, line and column, or the message types there are.
    pub fn load(specs: &[ProtoSpec]) -> Result<Self, String> {
        let mut entries = Vec::with_capacity(specs.len());
        for spec in specs {
            topic::check_topic_filter(&spec.filter)
                .map_err(|k| format!("protobuf filter '{}': {k}", sanitize::line(&spec.filter)))?;
            entries.push(Entry { filter: spec.filter.clone(), message: compile(spec)? });
        }
        Ok(Self { entries })
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The message type of the first filter that matches `topic`.
    pub fn message_for(&self, topic: &str) -> Option<&MessageDescriptor> {
        self.entries.iter().find(|e| topic::matches(&e.filter, topic)).map(|e| &e.message)
    }

    /// Filters that have a message type, in order, for the payload view list.
    pub fn filters(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.filter.as_str())
    }
}

/// Compiles the spec's files and finds its message type.
pub fn compile(spec: &ProtoSpec) -> Result<MessageDescriptor, String> {
    if spec.files.is_empty() {
        return Err(format!("protobuf '{}': no .proto file given", sanitize::line(&spec.filter)));
    }
    let given: Vec<PathBuf> = if spec.include.is_empty() {
        let mut dirs: Vec<PathBuf> = Vec::new();
        for f in &spec.files {
            let dir = f.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf();
            if !dirs.contains(&dir) {
                dirs.push(dir);
            }
        }
        dirs
    } else {
        spec.include.clone()
    };
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let includes: Vec<PathBuf> = given.iter().map(|p| absolute(p)).collect();
    let mut compiler = protox::Compiler::new(&includes).map_err(|e| describe(&e, &given))?;
    for f in &spec.files {
        // As protoc: a file named relative to an include folder is found there too.
        let path = match f.is_relative() && !f.exists() {
            true => includes.iter().map(|dir| dir.join(f)).find(|p| p.is_file()).unwrap_or_else(|| absolute(f)),
            false => absolute(f),
        };
        compiler.open_file(path).map_err(|e| describe(&e, &given))?;
    }
    let pool = compiler.descriptor_pool();
    let wanted = spec.message.trim_start_matches('.');
    pool.get_message_by_name(wanted).ok_or_else(|| {
        let names: Vec<String> = pool
            .all_messages()
            .filter(|m| !m.is_map_entry() && !m.full_name().starts_with("google.protobuf."))
            .map(|m| m.full_name().to_owned())
            .collect();
        let mut listed = names.iter().take(MAX_NAMES_LISTED).cloned().collect::<Vec<_>>().join(", ");
        if names.len() > MAX_NAMES_LISTED {
            listed.push_str(&format!(" and {} more", names.len() - MAX_NAMES_LISTED));
        }
        sanitize::line(&format!(
            "protobuf '{}': no message type '{wanted}' in {}; the files define: {}",
            spec.filter,
            spec.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(", "),
            if listed.is_empty() { "none".into() } else { listed },
        ))
        .into_owned()
    })
}

/// A compile error as `FILE:LINE:COLUMN: message`, the file as the user named its folder.
fn describe(e: &protox::Error, includes: &[PathBuf]) -> String {
    use miette::Diagnostic as _;
    let file = e.file().map(|name| {
        includes
            .iter()
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
            .map_or_else(|| name.to_owned(), |p| p.display().to_string())
    });
    let position = e.labels().and_then(|mut labels| labels.next()).and_then(|label| {
        let source = e.source_code()?;
        let span = source.read_span(label.inner(), 0, 0).ok()?;
        Some((span.line() + 1, span.column() + 1))
    });
    let mut message = e.to_string();
    if let Some(help) = e.help() {
        message.push_str(&format!(" ({help})"));
    }
    let text = match (file, position) {
        (Some(f), Some((line, column))) => format!("{f}:{line}:{column}: {message}"),
        (Some(f), None) => format!("{f}: {message}"),
        (None, _) => format!("protobuf: {message}"),
    };
    sanitize::line(&text).into_owned()
}

/// A payload as the canonical Protobuf JSON mapping of `message` (lowerCamelCase names, enums by name,
/// 64-bit integers as strings, bytes as base64, fields at their default value left out).
pub fn decode_json(payload: &[u8], message: &MessageDescriptor) -> Result<Value, String> {
    let mut budget = MAX_ELEMENTS;
    walk(payload, Some(message), 0, &mut budget).map_err(|e| e.to_string())?;
    let decoded = DynamicMessage::decode(message.clone(), payload).map_err(|e| e.to_string())?;
    decoded.serialize_with_options(serde_json::value::Serializer, &SerializeOptions::new()).map_err(|e| e.to_string())
}

/// A JSON text (the canonical mapping, field names or their JSON names) encoded as `message`.
pub fn encode_json(text: &str, message: &MessageDescriptor) -> Result<Vec<u8>, String> {
    let fail = |e: serde_json::Error| {
        sanitize::line(&format!("the JSON does not fit {}: {e}", message.full_name())).into_owned()
    };
    let mut de = serde_json::Deserializer::from_str(text);
    let decoded = DynamicMessage::deserialize(message.clone(), &mut de).map_err(fail)?;
    de.end().map_err(fail)?;
    Ok(decoded.encode_to_vec())
}

/// Walks the wire bytes under `message` without keeping anything, refusing what would nest too deep or
/// decode to too many values. Fields the type does not know are read past (prost keeps them as unknown).
fn walk(
    bytes: &[u8],
    message: Option<&MessageDescriptor>,
    depth: usize,
    budget: &mut usize,
) -> Result<(), wire::WireError> {
    walk_fields(&mut Reader::new(bytes), message, depth, None, budget)
}

fn walk_fields(
    r: &mut Reader<'_>,
    message: Option<&MessageDescriptor>,
    depth: usize,
    group: Option<u32>,
    budget: &mut usize,
) -> Result<(), wire::WireError> {
    let fail = |offset: usize, reason: String| Err(wire::WireError { offset, reason });
    if depth > MAX_DEPTH {
        return fail(r.pos(), format!("nested deeper than {MAX_DEPTH} levels"));
    }
    while !r.at_end() {
        let at = r.pos();
        let (number, value) = r.field()?;
        let field = message.and_then(|m| m.get_field(number));
        let nested = field.as_ref().and_then(|f| match f.kind() {
            Kind::Message(m) => Some(m),
            _ => None,
        });
        let mut cost = 1usize;
        match value {
            WireValue::Len(inner) if nested.is_some() => walk(inner, nested.as_ref(), depth + 1, budget)?,
            WireValue::Len(inner) if field.as_ref().is_some_and(|f| f.is_list()) => {
                cost = field.as_ref().map_or(1, |f| packed_count(&f.kind(), inner)).max(1);
            }
            WireValue::StartGroup => walk_fields(r, nested.as_ref(), depth + 1, Some(number), budget)?,
            WireValue::EndGroup if group == Some(number) => return Ok(()),
            WireValue::EndGroup => return fail(at, format!("end of group {number}, which was not started")),
            _ => {}
        }
        match budget.checked_sub(cost) {
            Some(left) => *budget = left,
            None => return fail(at, format!("more than {MAX_ELEMENTS} values")),
        }
    }
    match group {
        Some(n) => fail(r.pos(), format!("group {n} has no end")),
        None => Ok(()),
    }
}

/// How many values a packed repeated field of `kind` holds in `bytes` (1 for strings and bytes, which
/// are never packed).
fn packed_count(kind: &Kind, bytes: &[u8]) -> usize {
    match kind {
        Kind::String | Kind::Bytes | Kind::Message(_) => 1,
        Kind::Fixed32 | Kind::Sfixed32 | Kind::Float => bytes.len() / 4,
        Kind::Fixed64 | Kind::Sfixed64 | Kind::Double => bytes.len() / 8,
        // Varints: one value ends at each byte without the continuation bit.
        _ => bytes.iter().filter(|b| *b & 0x80 == 0).count(),
    }
}

#[cfg(test)]
pub(crate) mod tests;
