//! Command line: subcommands and flags (clap derive).

use crate::codec::QoS;
use crate::codec::{DEFAULT_MAX_PACKET_SIZE, ProtocolVersion};
use clap::CommandFactory as _;
use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

pub mod bench;
pub mod value;

const EXAMPLES: &str = "\
Examples:
  mqscope demo                                              embedded broker, simulated feed, dashboard
  mqscope -u ws://broker.example:8080/mqtt                 watch everything (the dashboard)
  mqscope -u mqtt://localhost -t 'home/#' -T 'home/noisy/#'
  mqscope sub -u ws://broker.example:8080/mqtt -t 'sensors/#' -v
  mqscope sub -u mqtts://broker.example -t '#' -F json -C 10 --password-env MQTT_PASSWORD --username me
  mqscope pub -u mqtt://localhost -t greetings -m hello -q 1
  seq 1000 | mqscope pub -u mqtt://localhost -t numbers -l
  mqscope clean-retained -u mqtt://localhost 'devices/old/#' --dry-run
  mqscope diff -u mqtt://edge -u mqtt://cloud -t 'factory/#' --map factory/=site1/factory/
  mqscope decode --hex <<< '30 0a 00 03 61 2f 62 68 65 6c 6c 6f'
";

#[derive(Debug, Parser)]
#[command(name = "mqscope", version, about, after_help = EXAMPLES, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Config file (default: the platform's config directory, e.g. ~/.config/mqscope/config.toml).
    #[arg(long, global = true, value_name = "FILE", env = "MQSCOPE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Without a command: the live dashboard.
    #[command(flatten)]
    pub tui: TuiArgs,
}

/// The dashboard's options (used when no command is given).
#[derive(Debug, Clone, Args)]
pub struct TuiArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Two brokers or more (`-u` or `-P` given more than once), in the order written: one tab
    /// each, every other flag shared. Empty for one broker (`conn` has it).
    #[arg(skip)]
    pub brokers: Vec<BrokerArg>,
    /// Topic filter to watch (repeatable; default '#', which does not include '$SYS/#').
    #[arg(short = 't', long = "topic", value_name = "FILTER")]
    pub topics: Vec<String>,
    /// QoS for the subscriptions.
    #[arg(short = 'q', long, default_value = "0")]
    pub qos: QoS,
    /// Per-filter QoS from a profile (parallel to `topics`; empty means `qos` for all).
    #[arg(skip)]
    pub topic_qos: Vec<QoS>,
    /// Hide topics matching this filter from the tree; they are still counted (repeatable).
    #[arg(short = 'T', long = "exclude", value_name = "FILTER")]
    pub exclude: Vec<String>,
    /// Messages kept per topic [default: 100].
    #[arg(long, value_name = "N", value_parser = value::history)]
    pub history: Option<usize>,
    /// Memory budget for kept payloads, in MiB; the oldest are evicted (and counted) beyond it [default: 256].
    #[arg(long, value_name = "MIB", value_parser = value::memory_mib)]
    pub memory: Option<usize>,
    /// Most frames drawn per second [default: 30].
    #[arg(long, value_name = "N", value_parser = value::fps)]
    pub fps: Option<u32>,
    /// Show the frame timer: frame and key times (p50, p99, max) above the status line (F12 toggles).
    #[arg(long)]
    pub frame_stats: bool,
    /// Hide topics whose retained message was cleared (their last message was empty); H in the tree toggles.
    #[arg(long)]
    pub hide_cleared: bool,
    /// Colour theme: dark, light or high-contrast (NO_COLOR turns colours off) [default: dark].
    #[arg(long, value_name = "THEME")]
    pub theme: Option<crate::app::ThemeName>,
    /// Start in the watch view.
    #[arg(long)]
    pub watch: bool,
    /// Payload view for topics matching a filter, FILTER=FORMAT with FORMAT auto, json, text, hex,
    /// msgpack, cbor, sparkplug, protobuf (with --proto) or raw-protobuf (repeatable; first match wins).
    #[arg(long = "payload-view", value_name = "FILTER=FORMAT")]
    pub payload_views: Vec<String>,
    #[command(flatten)]
    pub proto: ProtoArgs,
    /// Check the messages on a topic filter against a JSON Schema file: violations are counted in the
    /// tree and listed in the detail pane (repeatable; before the profile's `schemas`, first match wins).
    #[arg(long = "schema", value_name = "FILTER=FILE", value_parser = value::schema)]
    pub schemas: Vec<(String, PathBuf)>,
    /// Log level for the log file: error, warn, info, debug (debug includes every packet) or trace.
    #[arg(long, value_name = "LEVEL", default_value = "info", value_parser = ["error", "warn", "info", "debug", "trace"])]
    pub log_level: String,
    /// Log file (default: mqscope.log in the platform's data directory).
    #[arg(long, value_name = "FILE")]
    pub log_file: Option<PathBuf>,
}

/// One broker of a dashboard with several.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrokerArg {
    Url(String),
    Profile(String),
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Subscribe and print messages as they arrive (like mosquitto_sub, also over WebSockets).
    Sub(SubArgs),
    /// Publish one message, a file, or every line of stdin.
    Pub(PubArgs),
    /// Clear the retained messages under a topic filter (zero-length retained publishes, QoS 1).
    CleanRetained(CleanRetainedArgs),
    /// Start an embedded broker with a simulated market feed and open the dashboard on it.
    Demo(DemoArgs),
    /// Play a recording back in the dashboard (no broker needed), or publish it to a broker (--to).
    Replay(ReplayArgs),
    /// List the profiles in the config file (no secrets are shown).
    Profiles,
    /// Print a shell completion script: bash, zsh, fish, elvish or powershell.
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff) to stdout.
    Man,
    /// Decode MQTT packets from a file or stdin and print each as one JSON object per line.
    Decode(DecodeArgs),
    /// Compare two brokers under a filter (a bridge or a migration): topics on one side only, retained
    /// values that differ, messages lost on the way and their delay. Exit 1 when anything differs.
    Diff(DiffArgs),
    /// Load a broker and measure it: publish rate, subscriber throughput, end-to-end latency.
    #[command(subcommand)]
    Bench(Box<bench::BenchMode>),
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Broker URL, twice: A (the source) then B.
    #[arg(short = 'u', long = "url", value_name = "URL")]
    pub urls: Vec<String>,
    /// Saved profile, twice: A then B (instead of two -u).
    #[arg(short = 'P', long = "profile", value_name = "NAME")]
    pub profiles: Vec<String>,
    /// Topic filter on A (repeatable); on B it is mapped with --map.
    #[arg(short = 't', long = "topic", value_name = "FILTER", required = true)]
    pub topics: Vec<String>,
    /// A's topics under A_PREFIX are B's under B_PREFIX, as a bridge's `topic` line remaps them
    /// (repeatable; the longest prefix wins), e.g. --map factory/=site1/factory/.
    #[arg(long = "map", value_name = "A_PREFIX=B_PREFIX")]
    pub maps: Vec<String>,
    /// How long to watch live traffic, in seconds or with a unit (500ms, 2m).
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = value::secs)]
    pub duration: Duration,
    /// A message not seen on the other broker within this long is late; one never seen, lost.
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = value::secs)]
    pub max_delay: Duration,
    /// Compare only the retained messages of both (a snapshot each), without waiting for live traffic.
    #[arg(long, conflicts_with = "duration")]
    pub retained: bool,
    /// The retained snapshot is complete when no message arrived for this long after the
    /// subscription, in milliseconds or with a unit (2s).
    #[arg(long, value_name = "MS", default_value = "1000", value_parser = value::millis)]
    pub idle_ms: Duration,
    /// Messages waiting for their twin, per broker, at most; older ones are counted as not checked.
    #[arg(long, value_name = "N", default_value = "1000000", value_parser = value::count)]
    pub window: u64,
    /// Topics tracked at most; messages on more are counted as not checked.
    #[arg(long, value_name = "N", default_value = "1000000", value_parser = value::count)]
    pub max_topics: u64,
    /// QoS of the subscriptions on both brokers.
    #[arg(short = 'q', long, default_value = "1")]
    pub qos: QoS,
    /// Output format: text, or one JSON object.
    #[arg(short = 'F', long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Topics listed per section in the text output (all with -F json).
    #[arg(long, value_name = "N", default_value = "50", value_parser = value::count)]
    pub list: u64,
    /// MQTT version for both: 3.1, 3.1.1 or 5.
    #[arg(long = "mqtt", value_name = "VERSION")]
    pub mqtt_version: Option<crate::codec::ProtocolVersion>,
    /// Time allowed for connecting to each, in seconds or with a unit.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = value::secs)]
    pub connect_timeout: Duration,
    /// CA certificate file (PEM) for both.
    #[arg(long, value_name = "FILE")]
    pub cafile: Option<PathBuf>,
    /// Do not verify the brokers' TLS certificates. For test brokers only.
    #[arg(long)]
    pub insecure: bool,
    /// Print connection steps and every packet to stderr.
    #[arg(short = 'd', long)]
    pub debug: bool,
}

#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// Read this file instead of stdin.
    pub file: Option<PathBuf>,
    /// Input is hex text (white space and 0x prefixes ignored) instead of raw bytes.
    #[arg(long)]
    pub hex: bool,
    /// Protocol version of the stream: 3.1, 3.1.1 or 5. A CONNECT in the stream switches to its version.
    #[arg(long = "mqtt", value_name = "VERSION", default_value = "3.1.1")]
    pub version: ProtocolVersion,
    /// Largest packet accepted, in bytes (1 to 268435460).
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_PACKET_SIZE, value_parser = value::packet_size)]
    pub max_packet_size: usize,
}

/// How to reach the broker and who we are: shared by every command that connects.
#[derive(Debug, Clone, Args)]
pub struct ConnArgs {
    /// Connect with this saved profile from the config file; flags override its fields.
    #[arg(short = 'P', long, value_name = "NAME", env = "MQSCOPE_PROFILE")]
    pub profile: Option<String>,
    /// Broker URL: ws://, wss://, mqtt:// (TCP) or mqtts:// (TLS), e.g. ws://localhost:8080/mqtt.
    #[arg(short = 'u', long, env = "MQSCOPE_URL", value_name = "URL")]
    pub url: Option<String>,
    /// Client identifier (default: mqscope- and random hex).
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// User name.
    #[arg(long, env = "MQSCOPE_USERNAME", value_name = "NAME")]
    pub username: Option<String>,
    /// Read the password from this environment variable.
    #[arg(long, value_name = "VAR", group = "password_source")]
    pub password_env: Option<String>,
    /// Run this shell command and use its output (first line) as the password.
    #[arg(long, value_name = "CMD", group = "password_source")]
    pub password_cmd: Option<String>,
    /// Ask for the password on the terminal.
    #[arg(long, group = "password_source")]
    pub ask_password: bool,
    /// The password itself. Discouraged: it ends up in shell history and the process list.
    #[arg(long, value_name = "PASSWORD", group = "password_source")]
    pub password: Option<String>,
    /// A password from the profile (warned about when loading it), never from the command line.
    #[arg(skip)]
    pub password_from_profile: Option<String>,
    /// MQTT version: 3.1, 3.1.1 or 5. Default: 5.0, falling back to 3.1.1 when the broker refuses it.
    #[arg(long = "mqtt", value_name = "VERSION")]
    pub mqtt_version: Option<crate::codec::ProtocolVersion>,
    /// Keepalive interval in seconds (0 turns it off) [default: 30].
    #[arg(long, value_name = "SECS", value_parser = value::u16_secs)]
    pub keepalive: Option<u16>,
    /// Resume a session the broker kept for this client id (clean start off).
    #[arg(long, conflicts_with = "clean")]
    pub no_clean: bool,
    /// Start a clean session (the default).
    #[arg(long)]
    pub clean: bool,
    /// MQTT 5 session expiry interval in seconds (how long the broker keeps the session after we leave).
    #[arg(long, value_name = "SECS", value_parser = value::u32_secs)]
    pub session_expiry: Option<u32>,
    /// CA certificate file (PEM) to trust instead of the platform roots.
    #[arg(long, value_name = "FILE")]
    pub cafile: Option<PathBuf>,
    /// Client certificate (PEM) for mutual TLS.
    #[arg(long, value_name = "FILE", requires = "key")]
    pub cert: Option<PathBuf>,
    /// Client private key (PEM) for mutual TLS.
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<PathBuf>,
    /// Do not verify the broker's TLS certificate. For test brokers only.
    #[arg(long)]
    pub insecure: bool,
    /// ALPN protocol to offer in TLS (repeatable), e.g. mqtt or x-amzn-mqtt-ca.
    #[arg(long, value_name = "PROTO")]
    pub alpn: Vec<String>,
    /// Extra HTTP header for the WebSocket upgrade, 'Name: value' (repeatable).
    #[arg(long = "header", value_name = "NAME:VALUE")]
    pub headers: Vec<String>,
    /// Headers from a file, one 'Name: value' a line ('#' comments), kept out of the process list.
    #[arg(long = "header-file", value_name = "FILE")]
    pub header_files: Vec<std::path::PathBuf>,
    /// Headers from an environment variable holding 'Name: value' lines, kept out of the process list.
    #[arg(long = "header-env", value_name = "VAR")]
    pub header_envs: Vec<String>,
    /// Last will topic.
    #[arg(long, value_name = "TOPIC")]
    pub will_topic: Option<String>,
    /// Last will payload.
    #[arg(long, value_name = "TEXT", requires = "will_topic")]
    pub will_payload: Option<String>,
    /// Last will QoS.
    #[arg(long, value_name = "QOS", default_value = "0", requires = "will_topic")]
    pub will_qos: QoS,
    /// Retain the last will.
    #[arg(long, requires = "will_topic")]
    pub will_retain: bool,
    /// Time allowed for connecting (DNS, TCP, TLS and WebSocket each), in seconds or with a unit (500ms, 1m).
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = value::secs)]
    pub connect_timeout: Duration,
    /// Largest packet accepted from the broker, in bytes (1 to 268435460; announced to MQTT 5 brokers).
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_PACKET_SIZE, value_parser = value::packet_size)]
    pub max_packet_size: usize,
    /// MQTT 5 topic aliases the broker may use towards us; 0 asks for none (for brokers that get them wrong).
    #[arg(long, value_name = "N", default_value_t = crate::session::state::TOPIC_ALIAS_MAXIMUM, value_parser = value::u16_count)]
    pub topic_alias_max: u16,
    /// Outgoing QoS 1/2 messages in flight at most (1-65535); on MQTT 5 the broker's receive maximum
    /// lowers it further. MQTT 3.1.1 brokers set no limit, and some stall or disconnect a client
    /// that sends too many.
    #[arg(long, value_name = "N", default_value_t = crate::session::state::DEFAULT_MAX_INFLIGHT,
          value_parser = clap::value_parser!(u16).range(1..))]
    pub max_inflight: u16,
    /// Print connection steps, the WebSocket upgrade headers and every packet (as `decode` does) to stderr.
    #[arg(short = 'd', long)]
    pub debug: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// The payload (with -v: topic, a space, the payload), one message a line.
    Text,
    /// One JSON object a line: topic, qos, retain, dup, properties, payload text and hex, received_at.
    Json,
}

#[derive(Debug, Args)]
pub struct SubArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Topic filter to subscribe to (repeatable; default: the profile's subscriptions).
    #[arg(short = 't', long = "topic", value_name = "FILTER")]
    pub topics: Vec<String>,
    /// QoS for the subscriptions.
    #[arg(short = 'q', long, default_value = "0")]
    pub qos: QoS,
    /// Per-filter QoS from a profile (parallel to `topics`; empty means `qos` for all).
    #[arg(skip)]
    pub topic_qos: Vec<QoS>,
    /// Exit after this many messages.
    #[arg(short = 'C', long, value_name = "COUNT", value_parser = value::count)]
    pub count: Option<u64>,
    /// Exit after this long, in seconds or with a unit (500ms, 5m); exit code 6 when -C was given and
    /// not reached.
    #[arg(short = 'W', long, value_name = "SECS", value_parser = value::secs)]
    pub timeout: Option<Duration>,
    /// Print the topic before the payload (text format).
    #[arg(short = 'v', long)]
    pub verbose: bool,
    /// Output format.
    #[arg(short = 'F', long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Print only retained messages; exit at the first live one, or when none came for --idle-ms.
    #[arg(long, conflicts_with = "no_retained")]
    pub retained_only: bool,
    /// With --retained-only: exit when no message arrived for this long after the subscription, in
    /// milliseconds or with a unit (2s).
    #[arg(long, value_name = "MS", default_value = "1000", value_parser = value::millis)]
    pub idle_ms: Duration,
    /// Skip retained messages (MQTT 5 asks the broker not to send them).
    #[arg(long)]
    pub no_retained: bool,
    /// MQTT 5: do not receive our own publishes.
    #[arg(long)]
    pub no_local: bool,
    /// Also write every received message to this new file as JSON Lines (for `mqscope replay`).
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// With --record: add to the file if it exists (it must be a recording).
    #[arg(long, requires = "record")]
    pub append: bool,
    /// Check the messages on a topic filter against a JSON Schema file (repeatable; before the
    /// profile's `schemas`, first match wins).
    #[arg(long = "schema", value_name = "FILTER=FILE", value_parser = value::schema)]
    pub schemas: Vec<(String, PathBuf)>,
    /// Print each schema violation with its topic on stderr and exit 7 when any was seen.
    #[arg(long)]
    pub validate: bool,
    #[command(flatten)]
    pub proto: ProtoArgs,
    /// The profile's Protobuf message types (`payload_views`), after --proto.
    #[arg(skip)]
    pub profile_protos: Vec<crate::payload::protobuf::ProtoSpec>,
}

/// Protobuf message types for topic filters, from `.proto` files compiled at start (no protoc needed).
#[derive(Debug, Clone, Default, Args)]
pub struct ProtoArgs {
    /// Decode the messages on a topic filter as a Protobuf message type defined in a .proto file,
    /// FILTER=TYPE:FILE, e.g. 'factory/+/telemetry=acme.Telemetry:proto/telemetry.proto' (repeatable;
    /// before the profile's, first match wins).
    #[arg(long = "proto", value_name = "FILTER=TYPE:FILE", value_parser = value::proto)]
    pub protos: Vec<crate::payload::protobuf::ProtoSpec>,
    /// Folder where imports of the --proto files are looked up, as protoc's --proto_path (repeatable;
    /// default: each file's folder).
    #[arg(long = "proto-path", value_name = "DIR")]
    pub proto_paths: Vec<PathBuf>,
}

impl ProtoArgs {
    /// The flags' specs, with their include folders, then the profile's.
    pub fn specs(&self, profile: &[crate::payload::protobuf::ProtoSpec]) -> Vec<crate::payload::protobuf::ProtoSpec> {
        let mut specs: Vec<_> = self
            .protos
            .iter()
            .map(|s| crate::payload::protobuf::ProtoSpec { include: self.proto_paths.clone(), ..s.clone() })
            .collect();
        specs.extend_from_slice(profile);
        specs
    }
}

/// What `pub --encode` turns the JSON payload into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Encoding {
    /// The Protobuf message type that --proto or the profile gives the topic.
    Protobuf,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// A recording made with `sub --record` or the dashboard's `r` key.
    pub file: PathBuf,
    /// Play this many times faster than recorded (0.5 is half speed; 0.001 to 1000000).
    #[arg(long, value_name = "N", conflicts_with = "max", value_parser = value::speed)]
    pub speed: Option<f64>,
    /// Play as fast as possible.
    #[arg(long)]
    pub max: bool,
    /// Refuse a file with any bad line (checked before anything plays) instead of skipping it.
    #[arg(long)]
    pub strict: bool,
    /// Publish the recording to this broker instead of opening the dashboard (other connection
    /// options as for `pub`).
    #[arg(long, value_name = "URL")]
    pub to: Option<String>,
    /// With --to: give up when nothing was acknowledged for this long, in seconds or with a unit
    /// (exit code 6).
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = value::secs)]
    pub ack_timeout: Duration,
    #[command(flatten)]
    pub proto: ProtoArgs,
    /// Check the replayed messages on a topic filter against a JSON Schema file, as the dashboard
    /// does live (repeatable; first match wins). Messages it does not cover show the verdict the
    /// recording kept, marked as recorded.
    #[arg(long = "schema", value_name = "FILTER=FILE", value_parser = value::schema)]
    pub schemas: Vec<(String, PathBuf)>,
    #[command(flatten)]
    pub conn: ConnArgs,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Run the broker and the feed only and print their URLs, for other clients.
    #[arg(long)]
    pub headless: bool,
    /// WebSocket port (TCP uses the next one); default: free ports.
    #[arg(long, value_name = "PORT", value_parser = value::demo_port)]
    pub port: Option<u16>,
    /// Most frames drawn per second (1 to 240).
    #[arg(long, value_name = "N", default_value_t = 30, value_parser = value::fps)]
    pub fps: u32,
    /// Log file (default: mqscope.log in the platform's data directory).
    #[arg(long, value_name = "FILE")]
    pub log_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("source").required(true).args(["message", "file", "lines", "null_message"])))]
pub struct PubArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Topic to publish to.
    #[arg(short = 't', long, value_name = "TOPIC")]
    pub topic: String,
    /// The message.
    #[arg(short = 'm', long, value_name = "TEXT")]
    pub message: Option<String>,
    /// Send this file's contents as one message.
    #[arg(short = 'f', long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Send each line of stdin as a message.
    #[arg(short = 'l', long)]
    pub lines: bool,
    /// Send a zero-length message (with -r this clears a retained message).
    #[arg(short = 'n', long = "null-message")]
    pub null_message: bool,
    /// QoS.
    #[arg(short = 'q', long, default_value = "0")]
    pub qos: QoS,
    /// Retain the message.
    #[arg(short = 'r', long)]
    pub retain: bool,
    /// MQTT 5 user property, NAME=VALUE (repeatable, order kept).
    #[arg(long = "user-property", value_name = "NAME=VALUE")]
    pub user_properties: Vec<String>,
    /// MQTT 5 content type.
    #[arg(long, value_name = "TYPE")]
    pub content_type: Option<String>,
    /// MQTT 5 message expiry interval in seconds.
    #[arg(long, value_name = "SECS", value_parser = value::u32_secs)]
    pub expiry: Option<u32>,
    /// Give up when nothing was acknowledged for this long, in seconds or with a unit (exit code 6).
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = value::secs)]
    pub ack_timeout: Duration,
    /// Encode each JSON payload (-m, -f, each line of -l) as the topic's Protobuf message type before
    /// sending it; a payload that does not fit the type is an error (exit 2), nothing is sent.
    #[arg(long, value_name = "FORMAT", value_enum)]
    pub encode: Option<Encoding>,
    #[command(flatten)]
    pub proto: ProtoArgs,
    /// The profile's Protobuf message types (`payload_views`), after --proto.
    #[arg(skip)]
    pub profile_protos: Vec<crate::payload::protobuf::ProtoSpec>,
}

#[derive(Debug, Args)]
pub struct CleanRetainedArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Topic filter whose retained messages are cleared, e.g. 'sensors/#'.
    #[arg(value_name = "FILTER")]
    pub filter: String,
    /// Only list the retained topics that would be cleared (one a line on stdout).
    #[arg(long)]
    pub dry_run: bool,
    /// Collecting ends when no message arrived for this long after the subscription (or at the first
    /// live message), in milliseconds or with a unit (2s).
    #[arg(long, value_name = "MS", default_value = "1000", value_parser = value::millis)]
    pub idle_ms: Duration,
    /// QoS of the subscription that collects the retained messages.
    #[arg(short = 'q', long, default_value = "0")]
    pub qos: QoS,
    /// Give up when nothing was acknowledged for this long, in seconds or with a unit (exit code 6).
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = value::secs)]
    pub ack_timeout: Duration,
}

/// Parses the process's command line (see [`hoist_options`]). Clap's own errors come back sanitised,
/// as text to print with the exit code to use; `--help` and `--version` print and exit here.
pub fn parse() -> Result<Cli, String> {
    parse_from(std::env::args_os().collect())
}

pub fn parse_from(args: Vec<OsString>) -> Result<Cli, String> {
    use clap::FromArgMatches as _;
    use clap::error::ErrorKind;
    let rendered = |e: clap::Error| match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => e.exit(),
        // Values can hold anything, escape sequences included.
        _ => crate::sanitize::text(e.render().to_string().trim_end(), true).into_owned(),
    };
    // The dashboard takes `-u` and `-P` more than once (a tab per broker); the commands do not.
    let cmd = Cli::command()
        .mut_arg("url", |a| a.action(clap::ArgAction::Append))
        .mut_arg("profile", |a| a.action(clap::ArgAction::Append));
    let matches = cmd.try_get_matches_from(hoist_options(args)).map_err(rendered)?;
    if let Some(("replay", m)) = matches.subcommand() {
        replay_without_to(m)?;
    }
    let brokers = if matches.subcommand().is_none() { dashboard_brokers(&matches) } else { Vec::new() };
    let mut cli = Cli::from_arg_matches(&matches).map_err(rendered)?;
    cli.tui.brokers = brokers;
    Ok(cli)
}

/// The brokers of the dashboard's command line in the order written, when there are several: more
/// than one `-u` or more than one `-P`, each opens a tab. One of each is one broker, as before: the
/// profile with its URL replaced.
fn dashboard_brokers(m: &clap::ArgMatches) -> Vec<BrokerArg> {
    let given = |id: &str, make: fn(String) -> BrokerArg| -> Vec<(usize, BrokerArg)> {
        if m.value_source(id) != Some(clap::parser::ValueSource::CommandLine) {
            return Vec::new();
        }
        let (Some(values), Some(at)) = (m.get_many::<String>(id), m.indices_of(id)) else { return Vec::new() };
        at.zip(values.cloned().map(make)).collect()
    };
    let urls = given("url", BrokerArg::Url);
    let profiles = given("profile", BrokerArg::Profile);
    if urls.len() < 2 && profiles.len() < 2 {
        return Vec::new();
    }
    let mut all: Vec<(usize, BrokerArg)> = urls.into_iter().chain(profiles).collect();
    all.sort_by_key(|(at, _)| *at);
    all.into_iter().map(|(_, b)| b).collect()
}

/// `replay` without `--to` plays into the dashboard: connection options typed for it would be ignored.
/// With `--to` it only publishes: the options that decode or check messages for the dashboard would be.
fn replay_without_to(m: &clap::ArgMatches) -> Result<(), String> {
    if m.contains_id("to") && m.value_source("to").is_some() {
        let given = |id: &str| m.value_source(id) == Some(clap::parser::ValueSource::CommandLine);
        return match ["protos", "proto_paths", "schemas"].into_iter().find(|id| given(id)) {
            Some(id) => Err(format!(
                "error: {} decodes or checks messages in the dashboard; replay --to only publishes them",
                match id {
                    "protos" => "--proto",
                    "proto_paths" => "--proto-path",
                    _ => "--schema",
                }
            )),
            None => Ok(()),
        };
    }
    let conn = ConnArgs::augment_args(clap::Command::new("conn"));
    match conn
        .get_arguments()
        .find(|a| m.value_source(a.get_id().as_str()) == Some(clap::parser::ValueSource::CommandLine))
    {
        Some(a) => Err(format!(
            "error: {} is for publishing a recording to a broker: give the broker with --to URL",
            a.get_long().map_or_else(|| a.get_id().to_string(), |l| format!("--{l}"))
        )),
        None => Ok(()),
    }
}

/// Moves the options written before the command's name to just after it, so that
/// `mqscope --config F -P home sub -t x` means `mqscope sub --config F -P home -t x`: each command
/// takes the options it knows wherever they are written, and refuses the others in the usual way.
/// Only when every word before the command is an option (or an option's value); `--help` and
/// `--version` stay where they are.
pub fn hoist_options(args: Vec<OsString>) -> Vec<OsString> {
    let cli = Cli::command();
    let args_of = |pick: &dyn Fn(&clap::Arg) -> bool| {
        cli.get_arguments().find(|a| pick(a)).map(|a| a.get_action().takes_values())
    };
    let long_takes_value = |name: &str| args_of(&|a| a.get_long() == Some(name)).unwrap_or(false);
    let short_takes_value = |c: char| args_of(&|a| a.get_short() == Some(c)).unwrap_or(false);
    let is_command = |w: &str| cli.get_subcommands().any(|c| c.get_name() == w || c.get_all_aliases().any(|a| a == w));
    let mut i = 1;
    while let Some(word) = args.get(i) {
        let Some(w) = word.to_str() else { return args };
        if let Some(long) = w.strip_prefix("--") {
            let (name, inline) = long.split_once('=').map_or((long, false), |(n, _)| (n, true));
            if name.is_empty() || name == "help" || name == "version" {
                return args;
            }
            i += if !inline && long_takes_value(name) { 2 } else { 1 };
        } else if let Some(shorts) = w.strip_prefix('-').filter(|s| !s.is_empty()) {
            let mut step = 1;
            for (at, c) in shorts.char_indices() {
                if c == 'h' || c == 'V' {
                    return args;
                }
                if short_takes_value(c) {
                    // `-P name`, or the value joined on: `-Pname`.
                    if at + c.len_utf8() == shorts.len() {
                        step = 2;
                    }
                    break;
                }
            }
            i += step;
        } else {
            if i > 1 && is_command(w) {
                let mut out = Vec::with_capacity(args.len());
                out.extend(args.first().cloned());
                out.push(word.clone());
                out.extend(args.iter().take(i).skip(1).cloned());
                out.extend(args.iter().skip(i + 1).cloned());
                return out;
            }
            return args;
        }
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hoisted(words: &[&str]) -> Vec<String> {
        let args = std::iter::once("mqscope").chain(words.iter().copied()).map(OsString::from).collect();
        hoist_options(args).into_iter().skip(1).map(|w| w.to_string_lossy().into_owned()).collect()
    }

    #[test]
    fn options_before_the_command_move_after_it() {
        assert_eq!(hoisted(&["--config", "f", "profiles"]), ["profiles", "--config", "f"]);
        assert_eq!(hoisted(&["-P", "home", "sub", "-t", "a"]), ["sub", "-P", "home", "-t", "a"]);
        assert_eq!(hoisted(&["-dP", "sub", "sub", "-t", "a"]), ["sub", "-dP", "sub", "-t", "a"]);
        assert_eq!(hoisted(&["-Psub", "--url=x", "pub"]), ["pub", "-Psub", "--url=x"]);
        assert_eq!(hoisted(&["-d", "--watch", "sub"]), ["sub", "-d", "--watch"]);
        // Nothing to move, or not only options before the command: as written.
        for words in [
            &["sub", "-P", "x"][..],
            &["-u", "x", "-t", "a"],
            &["--help", "sub"],
            &["-h", "sub"],
            &["--", "sub"],
            &["-u", "x", "stray", "sub"],
        ] {
            assert_eq!(hoisted(words), words, "{words:?}");
        }
    }

    fn brokers(words: &[&str]) -> Vec<BrokerArg> {
        let args = std::iter::once("mqscope").chain(words.iter().copied()).map(OsString::from).collect();
        parse_from(args).unwrap().tui.brokers
    }

    #[test]
    fn the_dashboard_opens_a_tab_per_url_or_profile_in_the_order_written() {
        use BrokerArg::{Profile, Url};
        assert_eq!(
            brokers(&["-u", "mqtt://a", "-t", "x", "--url", "ws://b/mqtt"]),
            [Url("mqtt://a".into()), Url("ws://b/mqtt".into())]
        );
        assert_eq!(
            brokers(&["-P", "edge", "-u", "mqtt://c", "--profile=cloud"]),
            [Profile("edge".into()), Url("mqtt://c".into()), Profile("cloud".into())]
        );
        assert_eq!(brokers(&["-u", "mqtt://a", "-u", "mqtt://a"]).len(), 2, "the same broker twice: two tabs");
        // One broker: the profile with its URL replaced, as before.
        assert!(brokers(&["-P", "edge", "-u", "mqtt://c"]).is_empty());
        let one = parse_from(["mqscope", "-P", "edge", "-u", "mqtt://c"].map(OsString::from).to_vec()).unwrap();
        assert_eq!((one.tui.conn.profile.as_deref(), one.tui.conn.url.as_deref()), (Some("edge"), Some("mqtt://c")));
        // The commands still take one broker.
        let e = parse_from(["mqscope", "sub", "-u", "mqtt://a", "-u", "mqtt://b"].map(OsString::from).to_vec());
        assert!(e.is_err_and(|e| e.contains("--url")));
    }

    #[test]
    fn clap_errors_come_back_escaped() {
        let args = ["mqscope", "sub", "-t", "a", "-W", "\x1b[31m"].map(OsString::from).to_vec();
        let e = parse_from(args).unwrap_err();
        assert!(e.contains("--timeout") && !e.contains('\x1b'), "{e}");
    }

    #[test]
    fn command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn dashboard_flags_parse_without_a_command() {
        let cli = Cli::try_parse_from(["mqscope", "-u", "ws://h/mqtt", "-t", "a/#", "-T", "$SYS/#", "--mqtt", "5"])
            .expect("parses");
        assert!(cli.command.is_none());
        assert_eq!(cli.tui.topics, ["a/#"]);
        assert_eq!(cli.tui.conn.mqtt_version, Some(crate::codec::ProtocolVersion::V5));
        assert!(Cli::try_parse_from(["mqscope", "sub", "-u", "ws://h", "-t", "#"]).is_ok());
    }
}
