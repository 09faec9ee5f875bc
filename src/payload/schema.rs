//! JSON Schema checks per topic filter (draft 2020-12 and draft 7, picked by the schema's own
//! `$schema`, 2020-12 when it names none). Schemas are compiled once, when the profile loads; each
//! message is checked once, when it arrives. No schema is fetched from the network or another file.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use crate::codec::topic;
use crate::sanitize;

/// Most violations kept per message; the rest are counted in [`Verdict::more`].
pub const MAX_VIOLATIONS: usize = 16;
/// Longest violation message kept, in characters.
const MAX_MESSAGE_CHARS: usize = 200;
/// Largest schema file read.
const MAX_SCHEMA_BYTES: u64 = 4 << 20;

/// One way a message broke its schema.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Violation {
    /// JSON Pointer into the message, `""` for the whole message.
    pub instance_path: String,
    /// The schema keyword that failed (`required`, `type`...); `json` when the payload is not JSON.
    pub keyword: String,
    /// What went wrong, terminal-safe.
    pub message: String,
}

/// The result of checking one message.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Verdict {
    /// The schema file that checked it, for messages.
    pub schema: String,
    pub violations: Vec<Violation>,
    /// Violations beyond [`MAX_VIOLATIONS`], not listed.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub more: usize,
    /// Read from a recording (the check made when it was recorded), not made here.
    #[serde(skip)]
    pub recorded: bool,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Verdict {
    pub fn is_valid(&self) -> bool {
        self.violations.is_empty()
    }

    /// Memory the verdict holds, for a memory budget: itself, its strings, allocator rounding.
    pub fn cost(&self) -> usize {
        let string = |s: &String| s.len().next_multiple_of(16);
        std::mem::size_of::<Self>()
            + 16
            + string(&self.schema)
            + self
                .violations
                .iter()
                .map(|v| {
                    std::mem::size_of::<Violation>()
                        + string(&v.instance_path)
                        + string(&v.keyword)
                        + string(&v.message)
                })
                .sum::<usize>()
    }

    /// A verdict read from a recording, held to what a check made here may hold (a file is input like
    /// any other): at most [`MAX_VIOLATIONS`] listed, the rest counted; every string terminal-safe and
    /// clipped.
    pub fn from_recording(mut self) -> Self {
        if self.violations.len() > MAX_VIOLATIONS {
            self.more = self.more.saturating_add(self.violations.len() - MAX_VIOLATIONS);
            self.violations.truncate(MAX_VIOLATIONS);
        }
        self.schema = clip(&self.schema);
        for v in &mut self.violations {
            v.instance_path = clip(&v.instance_path);
            v.keyword = clip(&v.keyword);
            v.message = clip(&v.message);
        }
        self.recorded = true;
        self
    }

    /// Violations in all: those listed and those only counted.
    pub fn total(&self) -> usize {
        self.violations.len().saturating_add(self.more)
    }
}

struct Entry {
    filter: String,
    file: String,
    validator: jsonschema::Validator,
    /// The one verdict every valid message of this schema shares, so a valid message costs a
    /// pointer, not an allocation.
    valid: Arc<Verdict>,
}

impl Entry {
    fn new(filter: String, file: String, validator: jsonschema::Validator) -> Self {
        let valid = Arc::new(Verdict { schema: file.clone(), ..Verdict::default() });
        Self { filter, file, validator, valid }
    }
}

/// The compiled schemas of a profile, in its order (first matching filter wins).
#[derive(Default)]
pub struct Schemas {
    entries: Vec<Entry>,
}

impl std::fmt::Debug for Schemas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.entries.iter().map(|e| (&e.filter, &e.file))).finish()
    }
}

impl Schemas {
    /// Reads and compiles each `(filter, file)`; an error names the file and says why.
    pub fn load(list: &[(String, PathBuf)]) -> Result<Self, String> {
        let mut entries = Vec::with_capacity(list.len());
        for (filter, path) in list {
            topic::check_topic_filter(filter)
                .map_err(|k| format!("schema filter '{}': {k}", sanitize::line(filter)))?;
            entries.push(Entry::new(filter.clone(), shown(path), compile_file(path)?));
        }
        Ok(Self { entries })
    }

    /// Compiles a schema given as text; `file` names it in messages.
    pub fn from_text(filter: &str, file: &str, text: &str) -> Result<Self, String> {
        let validator = compile_text(text, file)?;
        Ok(Self { entries: vec![Entry::new(filter.into(), sanitize::line(file).into_owned(), validator)] })
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Checks a message when a schema's filter matches its topic; `None` when none does.
    pub fn check(&self, topic: &str, payload: &[u8]) -> Option<Verdict> {
        let e = self.entries.iter().find(|e| topic::matches(&e.filter, topic))?;
        Some(check_with(&e.validator, &e.file, payload))
    }

    /// Checks a message already decoded to JSON (a Protobuf payload's JSON form), or, when `decoded`
    /// is an error, reports why it did not decode as one violation.
    pub fn check_decoded(&self, topic: &str, decoded: Result<&Value, &str>) -> Option<Verdict> {
        let e = self.entries.iter().find(|e| topic::matches(&e.filter, topic))?;
        let mut verdict = Verdict { schema: e.file.clone(), ..Verdict::default() };
        match decoded {
            Ok(instance) => collect(&e.validator, instance, &mut verdict),
            Err(why) => verdict.violations.push(Violation {
                instance_path: String::new(),
                keyword: "protobuf".into(),
                message: clip(why),
            }),
        }
        Some(verdict)
    }

    /// Checks a message as the dashboard keeps it: a Protobuf payload (its topic has a message type
    /// in `protos`) in its JSON form, any other as JSON. A valid verdict is the schema's shared one.
    /// `None` when no schema's filter matches, without decoding anything.
    pub fn check_shared(
        &self,
        topic: &str,
        payload: &[u8],
        protos: &crate::payload::protobuf::Protos,
    ) -> Option<Arc<Verdict>> {
        let e = self.entries.iter().find(|e| topic::matches(&e.filter, topic))?;
        let verdict = match protos.message_for(topic) {
            Some(t) => match crate::payload::protobuf::decode_json(payload, t) {
                Ok(v) => self.check_decoded(topic, Ok(&v))?,
                Err(why) => self.check_decoded(topic, Err(&format!("not valid {}: {why}", t.full_name())))?,
            },
            None => check_with(&e.validator, &e.file, payload),
        };
        Some(if verdict.is_valid() { e.valid.clone() } else { Arc::new(verdict) })
    }
}

fn shown(path: &Path) -> String {
    sanitize::line(&path.display().to_string()).into_owned()
}

fn compile_file(path: &Path) -> Result<jsonschema::Validator, String> {
    let name = shown(path);
    let len = std::fs::metadata(path).map_err(|e| format!("schema '{name}': {e}"))?.len();
    if len > MAX_SCHEMA_BYTES {
        return Err(format!("schema '{name}': {len} bytes, more than the {MAX_SCHEMA_BYTES} accepted"));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("schema '{name}': {e}"))?;
    compile_text(&text, &name)
}

fn compile_text(text: &str, name: &str) -> Result<jsonschema::Validator, String> {
    let name = sanitize::line(name);
    let value: Value = serde_json::from_str(text)
        .map_err(|e| format!("schema '{name}': not JSON: {}", sanitize::line(&e.to_string())))?;
    jsonschema::validator_for(&value)
        .map_err(|e| format!("schema '{name}' does not compile: {}", clip(&e.masked().to_string())))
}

fn check_with(v: &jsonschema::Validator, file: &str, payload: &[u8]) -> Verdict {
    let mut verdict = Verdict { schema: file.to_string(), ..Verdict::default() };
    let instance: Value = match serde_json::from_slice(payload) {
        Ok(v) => v,
        Err(e) => {
            verdict.violations.push(Violation {
                instance_path: String::new(),
                keyword: "json".into(),
                message: clip(&format!("not JSON: {e}")),
            });
            return verdict;
        }
    };
    collect(v, &instance, &mut verdict);
    verdict
}

fn collect(v: &jsonschema::Validator, instance: &Value, verdict: &mut Verdict) {
    // Most messages pass: the yes/no check stops at nothing and builds no error.
    if v.is_valid(instance) {
        return;
    }
    for e in v.iter_errors(instance) {
        if verdict.violations.len() == MAX_VIOLATIONS {
            verdict.more += 1;
            continue;
        }
        verdict.violations.push(Violation {
            instance_path: sanitize::line(e.instance_path().as_str()).into_owned(),
            keyword: sanitize::line(e.kind().keyword()).into_owned(),
            message: clip(&e.masked().to_string()),
        });
    }
}

/// Terminal-safe and at most [`MAX_MESSAGE_CHARS`] characters.
fn clip(s: &str) -> String {
    let s = sanitize::line(s);
    if s.chars().count() <= MAX_MESSAGE_CHARS {
        return s.into_owned();
    }
    let mut out: String = s.chars().take(MAX_MESSAGE_CHARS - 1).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DRAFT7: &str = r#"{"$schema":"http://json-schema.org/draft-07/schema#","type":"object",
        "required":["t"],"properties":{"t":{"type":"number","maximum":100}},
        "definitions":{"x":{"type":"string"}}}"#;
    const DRAFT2020: &str = r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object",
        "properties":{"tags":{"type":"array","prefixItems":[{"type":"string"}],"items":false}}}"#;

    fn one(filter: &str, text: &str) -> Schemas {
        Schemas::from_text(filter, "s.json", text).unwrap()
    }

    #[test]
    fn a_valid_message_has_no_violations_and_unmatched_topics_are_not_checked() {
        let s = one("plant/+/t", DRAFT7);
        let v = s.check("plant/a/t", br#"{"t": 21.5}"#).unwrap();
        assert!(v.is_valid(), "{v:?}");
        assert_eq!(v.schema, "s.json");
        assert_eq!(s.check("other/a/t", b"garbage"), None);
    }

    #[test]
    fn draft7_violations_name_the_path_and_the_keyword() {
        let s = one("#", DRAFT7);
        let v = s.check("x", br#"{"t": 120}"#).unwrap();
        assert_eq!(v.violations.len(), 1);
        assert_eq!(v.violations[0].instance_path, "/t");
        assert_eq!(v.violations[0].keyword, "maximum");
        assert!(v.violations[0].message.contains("100"), "{:?}", v.violations[0]);
        let v = s.check("x", br#"{}"#).unwrap();
        assert_eq!((v.violations[0].instance_path.as_str(), v.violations[0].keyword.as_str()), ("", "required"));
    }

    #[test]
    fn draft_2020_12_keywords_are_understood() {
        let s = one("#", DRAFT2020);
        assert!(s.check("x", br#"{"tags":["a"]}"#).unwrap().is_valid());
        let v = s.check("x", br#"{"tags":["a", 2]}"#).unwrap();
        assert_eq!(v.violations[0].instance_path, "/tags/1");
        assert_eq!(v.violations[0].keyword, "falseSchema");
    }

    #[test]
    fn a_payload_that_is_not_json_is_one_violation() {
        let v = one("#", DRAFT7).check("x", b"\xff\x1b[31m").unwrap();
        assert_eq!(v.violations.len(), 1);
        assert_eq!(v.violations[0].keyword, "json");
        assert!(!v.violations[0].message.contains('\x1b'));
    }

    #[test]
    fn many_violations_are_capped_and_counted() {
        let s = one("#", r#"{"type":"array","items":{"type":"string"}}"#);
        let v = s.check("x", &serde_json::to_vec(&vec![1; 40]).unwrap()).unwrap();
        assert_eq!(v.violations.len(), MAX_VIOLATIONS);
        assert_eq!(v.more, 40 - MAX_VIOLATIONS);
    }

    #[test]
    fn violation_text_is_terminal_safe_and_short() {
        let s = one("#", r#"{"const":"ok"}"#);
        let long = format!("\"\\u001b[2J{}\"", "x".repeat(5000));
        let v = s.check("x", long.as_bytes()).unwrap();
        let m = &v.violations[0].message;
        assert!(!m.contains('\x1b') && m.chars().count() <= MAX_MESSAGE_CHARS, "{m}");
    }

    #[test]
    fn a_schema_that_does_not_compile_names_the_file() {
        let e = Schemas::from_text("#", "bad.json", r#"{"type": 12}"#).unwrap_err();
        assert!(e.contains("'bad.json' does not compile"), "{e}");
        let e = Schemas::from_text("#", "broken.json", "{").unwrap_err();
        assert!(e.contains("'broken.json': not JSON"), "{e}");
    }

    #[test]
    fn load_reads_files_and_names_a_missing_one() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good.json");
        std::fs::write(&good, DRAFT7).unwrap();
        let s = Schemas::load(&[("a/#".into(), good)]).unwrap();
        assert!(!s.check("a/b", br#"{"t":1000}"#).unwrap().is_valid());
        let missing = dir.path().join("missing.json");
        let e = Schemas::load(&[("a/#".into(), missing)]).unwrap_err();
        assert!(e.contains("missing.json"), "{e}");
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, r#"{"minimum":"x"}"#).unwrap();
        let e = Schemas::load(&[("a/#".into(), bad)]).unwrap_err();
        assert!(e.contains("bad.json") && e.contains("does not compile"), "{e}");
        let e = Schemas::load(&[("a/#/b".into(), dir.path().join("good.json"))]).unwrap_err();
        assert!(e.contains("schema filter 'a/#/b'"), "{e}");
    }
}
