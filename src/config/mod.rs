//! The config file: saved connection profiles and their settings, in TOML. Strict: an unknown key or
//! a wrong type is an error naming the file, line and column and what was expected. Secrets are never
//! written back (see `save.rs`) and never printed.

pub mod apply;
pub mod save;

use crate::app::View;
use crate::app::watch::{Alert, Column, FieldSpec, Reference, WatchList};
use crate::codec::{ProtocolVersion, QoS, topic};
use crate::payload::PayloadFormat;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The whole file.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Profile used when none is named and no URL is given (else the connection manager opens).
    pub default_profile: Option<String>,
    /// Theme for every profile that does not set one: dark, light or high-contrast.
    pub theme: Option<String>,
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

/// One saved connection and how to show it.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub url: Option<String>,
    /// "3.1", "3.1.1" or "5"; unset tries 5.0 and falls back.
    pub mqtt: Option<String>,
    pub client_id: Option<String>,
    pub username: Option<String>,
    pub password_env: Option<String>,
    pub password_cmd: Option<String>,
    /// Ask on the terminal when connecting.
    pub password_prompt: Option<bool>,
    /// Accepted with a warning: better kept out of files.
    pub password: Option<String>,
    pub tls: Option<TlsProfile>,
    /// Extra HTTP headers for the WebSocket upgrade.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    pub keepalive: Option<u16>,
    pub clean_start: Option<bool>,
    pub session_expiry: Option<u32>,
    pub will: Option<WillProfile>,
    #[serde(default)]
    pub subscriptions: Vec<SubscriptionProfile>,
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Hide topics whose retained message was cleared (`--hide-cleared`).
    pub hide_cleared: Option<bool>,
    /// "dashboard" or "watch".
    pub view: Option<String>,
    #[serde(default)]
    pub watch: Vec<WatchProfile>,
    /// Messages kept per topic.
    pub history: Option<usize>,
    /// Memory budget for kept payloads, MiB.
    pub memory_mib: Option<usize>,
    pub fps: Option<u32>,
    pub theme: Option<String>,
    /// Payload view per topic filter: `"sensors/#" = "json"`, or a Protobuf message type and its files:
    /// `"factory/+/telemetry" = { protobuf = "acme.Telemetry", files = ["proto/telemetry.proto"],
    /// include = ["proto"] }` (paths relative to the config file's folder once parsed).
    #[serde(default)]
    pub payload_views: BTreeMap<String, ViewProfile>,
    /// JSON Schema file per topic filter: `"sensors/#" = "schemas/sensor.json"` (relative to the
    /// config file's folder once parsed).
    #[serde(default)]
    pub schemas: BTreeMap<String, String>,
    /// Publish templates for the publish pane.
    #[serde(default)]
    pub templates: Vec<TemplateProfile>,
}

/// A payload view in a profile: a view's name, or a Protobuf message type with its `.proto` files.
#[derive(Debug, Clone, PartialEq)]
pub enum ViewProfile {
    Format(String),
    Protobuf(ProtobufProfile),
}

/// `{ protobuf = "acme.Telemetry", files = [...], include = [...] }`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProtobufProfile {
    /// The message type's full name, `package.Message`.
    pub protobuf: String,
    pub files: Vec<String>,
    /// Folders imports are looked up in (default: each file's folder).
    #[serde(default)]
    pub include: Vec<String>,
}

impl<'de> Deserialize<'de> for ViewProfile {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = ViewProfile;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a view name such as \"json\", or { protobuf = \"package.Message\", files = [...] }")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ViewProfile, E> {
                Ok(ViewProfile::Format(v.to_owned()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<ViewProfile, A::Error> {
                ProtobufProfile::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(ViewProfile::Protobuf)
            }
        }
        d.deserialize_any(Visitor)
    }
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TlsProfile {
    pub ca_file: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    #[serde(default)]
    pub insecure: bool,
    #[serde(default)]
    pub alpn: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WillProfile {
    pub topic: String,
    #[serde(default)]
    pub payload: String,
    #[serde(default)]
    pub qos: u8,
    #[serde(default)]
    pub retain: bool,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionProfile {
    pub filter: String,
    #[serde(default)]
    pub qos: u8,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WatchProfile {
    pub name: String,
    pub patterns: Vec<String>,
    #[serde(default)]
    pub columns: Vec<ColumnProfile>,
    /// Topic holding each row's reference value; `{last}` is the row topic's last level.
    pub reference_topic: Option<String>,
    /// Field of the reference (in that topic, or in the row's own payload when no topic is set).
    pub reference_field: Option<String>,
    /// Seconds without an update before a row is dimmed.
    pub stale_secs: Option<u64>,
    /// Alert (highlight, bell) on a row whose last message broke its topic's schema.
    pub alert_invalid: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ColumnProfile {
    pub title: String,
    /// `/json/pointer`, `dotted.path`, `re:REGEX` (first capture) or `auto`.
    #[serde(default)]
    pub field: String,
    pub decimals: Option<usize>,
    pub above: Option<f64>,
    pub below: Option<f64>,
    pub change_pct: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TemplateProfile {
    pub name: String,
    pub topic: String,
    #[serde(default)]
    pub payload: String,
    #[serde(default)]
    pub qos: u8,
    #[serde(default)]
    pub retain: bool,
    #[serde(default)]
    pub user_properties: BTreeMap<String, String>,
    pub content_type: Option<String>,
    /// Messages per second when the publish pane repeats it (F6).
    pub rate: Option<f64>,
}

/// A config problem, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("config file: {why}")]
    Read { path: PathBuf, why: String },
    #[error("{}:{line}:{column}: {message}", path.display())]
    Parse { path: PathBuf, line: usize, column: usize, message: String },
    #[error("{}: profile '{profile}': {message}", path.display())]
    Invalid { path: PathBuf, profile: String, message: String },
    #[error("no profile named '{name}' in {} (profiles: {known})", path.display())]
    UnknownProfile { path: PathBuf, name: String, known: String },
}

/// Where the config file is: `--config`, then `MQSCOPE_CONFIG`, then the platform's config directory
/// (`~/.config/mqscope/config.toml` on Linux). The bool says whether the user named it explicitly.
pub fn locate(flag: Option<&Path>) -> Option<(PathBuf, bool)> {
    if let Some(p) = flag {
        return Some((p.to_path_buf(), true));
    }
    if let Some(p) = std::env::var_os("MQSCOPE_CONFIG").filter(|v| !v.is_empty()) {
        return Some((PathBuf::from(p), true));
    }
    directories::ProjectDirs::from("", "", "mqscope").map(|d| (d.config_dir().join("config.toml"), false))
}

/// The 1-based line and column of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Parses and checks config text; `path` is only for messages.
pub fn parse(text: &str, path: &Path) -> Result<ConfigFile, ConfigError> {
    let file: ConfigFile = toml::from_str(text).map_err(|e| {
        let (line, column) = e.span().map_or((0, 0), |s| line_col(text, s.start));
        ConfigError::Parse { path: path.to_path_buf(), line, column, message: e.message().trim().to_string() }
    })?;
    let mut file = file;
    let dir = path.parent().unwrap_or(Path::new(""));
    for p in file.profiles.values_mut() {
        for f in p.schemas.values_mut() {
            *f = dir.join(&*f).display().to_string();
        }
        for v in p.payload_views.values_mut() {
            if let ViewProfile::Protobuf(pb) = v {
                for f in pb.files.iter_mut().chain(pb.include.iter_mut()) {
                    *f = dir.join(&*f).display().to_string();
                }
            }
        }
    }
    for (name, p) in &file.profiles {
        p.validate().map_err(|message| ConfigError::Invalid {
            path: path.to_path_buf(),
            profile: name.clone(),
            message,
        })?;
    }
    if let Some(theme) = &file.theme {
        crate::app::ThemeName::parse(theme).map_err(|message| ConfigError::Invalid {
            path: path.to_path_buf(),
            profile: "(top level)".into(),
            message,
        })?;
    }
    Ok(file)
}

/// Loads the config: `Ok(None)` when no file was named and the default one does not exist.
pub fn load(flag: Option<&Path>) -> Result<Option<(PathBuf, ConfigFile)>, ConfigError> {
    let Some((path, explicit)) = locate(flag) else { return Ok(None) };
    let text = match crate::files::read_regular_text(&path, crate::files::CONFIG_LIMIT) {
        Ok(t) => t,
        Err(e) if e.io_kind() == Some(std::io::ErrorKind::NotFound) && !explicit => return Ok(None),
        Err(e) => return Err(ConfigError::Read { path, why: e.to_string() }),
    };
    parse(&text, &path).map(|c| Some((path, c)))
}

impl ConfigFile {
    pub fn profile(&self, path: &Path, name: &str) -> Result<&Profile, ConfigError> {
        self.profiles.get(name).ok_or_else(|| ConfigError::UnknownProfile {
            path: path.to_path_buf(),
            name: name.to_string(),
            known: if self.profiles.is_empty() {
                "none".into()
            } else {
                self.profiles.keys().cloned().collect::<Vec<_>>().join(", ")
            },
        })
    }
}

fn qos(v: u8, what: &str) -> Result<QoS, String> {
    QoS::from_u8(v).ok_or_else(|| format!("{what}: QoS {v} is not 0, 1 or 2"))
}

impl Profile {
    /// Checks values the types cannot: the URL, versions, filters, views, regexes, QoS, and numbers
    /// against the same limits as their command-line flags.
    pub fn validate(&self) -> Result<(), String> {
        use crate::cli::value::{self, check_range};
        if let Some(u) = &self.url {
            crate::transport::BrokerUrl::parse(u).map_err(|e| {
                format!(
                    "url '{}': {}",
                    crate::sanitize::line(&crate::transport::redact_url(u)),
                    crate::sanitize::line(&e.to_string())
                )
            })?;
        }
        let limits = [
            ("history", self.history, value::MAX_HISTORY),
            ("memory_mib", self.memory_mib, value::MAX_MEMORY_MIB),
            ("fps", self.fps.map(|f| f as usize), value::MAX_FPS as usize),
        ];
        for (name, n, max) in limits {
            if let Some(n) = n {
                check_range(n as u128, 1, max as u128).map_err(|e| format!("{name} {n}: {e}"))?;
            }
        }
        if let Some(v) = &self.mqtt {
            v.parse::<ProtocolVersion>()?;
        }
        for s in &self.subscriptions {
            topic::check_topic_filter(&s.filter).map_err(|k| format!("subscription '{}': {k}", s.filter))?;
            qos(s.qos, &format!("subscription '{}'", s.filter))?;
        }
        for f in &self.exclude {
            topic::check_topic_filter(f).map_err(|k| format!("exclude '{f}': {k}"))?;
        }
        if let Some(w) = &self.will {
            topic::check_topic_name(&w.topic).map_err(|k| format!("will topic '{}': {k}", w.topic))?;
            qos(w.qos, "will")?;
        }
        if let Some(v) = &self.view {
            parse_view(v)?;
        }
        if let Some(t) = &self.theme {
            crate::app::ThemeName::parse(t)?;
        }
        for (filter, view) in &self.payload_views {
            topic::check_topic_filter(filter).map_err(|k| format!("payload_views '{filter}': {k}"))?;
            match view {
                ViewProfile::Format(v) => {
                    v.parse::<PayloadFormat>().map_err(|e| e.to_string())?;
                }
                ViewProfile::Protobuf(pb) if pb.protobuf.trim().is_empty() => {
                    return Err(format!("payload_views '{filter}': empty protobuf message type"));
                }
                ViewProfile::Protobuf(pb) if pb.files.is_empty() => {
                    return Err(format!("payload_views '{filter}': protobuf needs files = [\"x.proto\", ...]"));
                }
                ViewProfile::Protobuf(_) => {}
            }
        }
        for (filter, file) in &self.schemas {
            topic::check_topic_filter(filter).map_err(|k| format!("schemas '{filter}': {k}"))?;
            if file.is_empty() {
                return Err(format!("schemas '{filter}': empty file name"));
            }
        }
        self.watch_lists()?;
        for t in &self.templates {
            qos(t.qos, &format!("template '{}'", t.name))?;
            if t.rate.is_some_and(|r| !(r > 0.0 && r <= 100_000.0)) {
                return Err(format!("template '{}': rate must be above 0 and at most 100000 per second", t.name));
            }
        }
        if self.password.is_some() {
            // Allowed, but the caller warns.
        }
        Ok(())
    }

    /// Watch lists as the app wants them.
    pub fn watch_lists(&self) -> Result<Vec<WatchList>, String> {
        self.watch
            .iter()
            .map(|w| {
                let stale_secs = w.stale_secs.unwrap_or(30);
                let stale = crate::cli::value::duration_from_secs(stale_secs as f64)
                    .map_err(|e| format!("watch '{}' stale_secs {stale_secs}: {e}", w.name))?;
                for p in &w.patterns {
                    topic::check_topic_filter(p).map_err(|k| format!("watch '{}' pattern '{p}': {k}", w.name))?;
                }
                let columns = if w.columns.is_empty() {
                    vec![Column { title: "value".into(), field: FieldSpec::Auto, decimals: None, alert: None }]
                } else {
                    w.columns
                        .iter()
                        .map(|c| {
                            check_column(c).map_err(|e| format!("watch '{}' column '{}': {e}", w.name, c.title))?;
                            let field = FieldSpec::parse(&c.field).map_err(|e| format!("watch '{}': {e}", w.name))?;
                            let alert = (c.above.is_some() || c.below.is_some() || c.change_pct.is_some())
                                .then_some(Alert { above: c.above, below: c.below, change_pct: c.change_pct });
                            Ok(Column { title: c.title.clone(), field, decimals: c.decimals, alert })
                        })
                        .collect::<Result<_, String>>()?
                };
                let reference = match (&w.reference_topic, &w.reference_field) {
                    (None, None) => None,
                    (topic, field) => Some(Reference {
                        topic: topic.clone(),
                        field: FieldSpec::parse(field.as_deref().unwrap_or("auto"))
                            .map_err(|e| format!("watch '{}': {e}", w.name))?,
                    }),
                };
                Ok(WatchList {
                    name: w.name.clone(),
                    patterns: w.patterns.clone(),
                    columns,
                    reference,
                    stale_after_ms: u64::try_from(stale.as_millis()).unwrap_or(u64::MAX),
                    alert_invalid: w.alert_invalid.unwrap_or(false),
                })
            })
            .collect()
    }

    /// Publish templates as the publish pane wants them.
    pub fn templates(&self) -> Vec<crate::app::template::Template> {
        self.templates
            .iter()
            .map(|t| crate::app::template::Template {
                name: t.name.clone(),
                topic: t.topic.clone(),
                payload: t.payload.clone(),
                qos: QoS::from_u8(t.qos).unwrap_or_default(),
                retain: t.retain,
                content_type: t.content_type.clone(),
                user_properties: t.user_properties.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                rate: t.rate.unwrap_or(1.0),
            })
            .collect()
    }

    pub fn start_view(&self) -> View {
        self.view.as_deref().and_then(|v| parse_view(v).ok()).unwrap_or_default()
    }

    pub fn payload_formats(&self) -> Vec<(String, PayloadFormat)> {
        self.payload_views
            .iter()
            .filter_map(|(f, v)| match v {
                ViewProfile::Format(v) => Some((f.clone(), v.parse().ok()?)),
                ViewProfile::Protobuf(_) => Some((f.clone(), PayloadFormat::Protobuf)),
            })
            .collect()
    }

    /// The Protobuf message types of `payload_views`, to compile.
    pub fn proto_specs(&self) -> Vec<crate::payload::protobuf::ProtoSpec> {
        self.payload_views
            .iter()
            .filter_map(|(f, v)| match v {
                ViewProfile::Protobuf(pb) => Some(crate::payload::protobuf::ProtoSpec {
                    filter: f.clone(),
                    message: pb.protobuf.clone(),
                    files: pb.files.iter().map(PathBuf::from).collect(),
                    include: pb.include.iter().map(PathBuf::from).collect(),
                }),
                ViewProfile::Format(_) => None,
            })
            .collect()
    }

    /// How the password is obtained, for listings (never the password).
    pub fn password_source(&self) -> &'static str {
        if self.password_env.is_some() {
            "env"
        } else if self.password_cmd.is_some() {
            "command"
        } else if self.password_prompt == Some(true) {
            "prompt"
        } else if self.password.is_some() {
            "in file (discouraged)"
        } else {
            "none"
        }
    }
}

/// A column's numbers: decimals a formatter can produce, thresholds that compare.
fn check_column(c: &ColumnProfile) -> Result<(), String> {
    if let Some(d) = c.decimals {
        crate::cli::value::check_range(d as u128, 0, crate::cli::value::MAX_DECIMALS as u128)
            .map_err(|e| format!("decimals {d}: {e}"))?;
    }
    for (name, v) in [("above", c.above), ("below", c.below), ("change_pct", c.change_pct)] {
        if v.is_some_and(|v| !v.is_finite()) {
            return Err(format!("{name} must be a finite number"));
        }
    }
    Ok(())
}

fn parse_view(v: &str) -> Result<View, String> {
    match v {
        "dashboard" => Ok(View::Dashboard),
        "watch" => Ok(View::Watch),
        other => Err(format!("view '{other}' is not 'dashboard' or 'watch'")),
    }
}

/// `mqscope profiles`: one line per profile, no secrets (a password in a URL is masked); every value from the file escaped, so a
/// value can neither add a line nor reach the terminal as a control sequence.
pub fn listing(file: &ConfigFile) -> String {
    use crate::sanitize::line;
    let mut out = String::new();
    for (name, p) in &file.profiles {
        let default = if file.default_profile.as_deref() == Some(name) { " (default)" } else { "" };
        out.push_str(&format!(
            "{}{default}\n  url: {}\n  user: {}  password: {}\n  subscriptions: {}\n",
            line(name),
            line(&crate::transport::shown_url(p.url.as_deref().unwrap_or("-"))),
            line(p.username.as_deref().unwrap_or("-")),
            p.password_source(),
            if p.subscriptions.is_empty() {
                "#".to_string()
            } else {
                p.subscriptions.iter().map(|s| line(&s.filter).into_owned()).collect::<Vec<_>>().join(" ")
            }
        ));
    }
    out
}

#[cfg(test)]
mod tests;
