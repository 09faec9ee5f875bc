//! `mqscope bench`: its modes and flags.

use super::{ConnArgs, value};
use crate::codec::QoS;
use clap::{ArgAction, ArgMatches, Args, FromArgMatches, Subcommand};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Subcommand)]
pub enum BenchMode {
    /// N clients publish on a schedule (--rate) or as fast as they can.
    Pub(BenchPubArgs),
    /// N clients subscribe and count messages, bytes, and (for bench payloads) latency and loss.
    Sub(BenchSubArgs),
    /// Publishers and subscribers in one run: end-to-end latency, loss, duplicates, order.
    Latency(BenchLatencyArgs),
    /// Open N connections at a rate and keep them: connect time by stage, failures by reason, memory.
    Conn(BenchConnArgs),
}

/// The connection options with `-u` repeatable: the nodes of a cluster, or bridged brokers.
/// Connections are spread over them round-robin.
#[derive(Debug, Clone)]
pub struct NodeConnArgs {
    /// The shared options; `conn.url` is the first node (or the environment's or a profile's URL).
    pub conn: ConnArgs,
    /// Every `-u` given on the command line, in order (not the environment's MQSCOPE_URL).
    pub urls: Vec<String>,
}

const NODE_URL_HELP: &str = "Broker URL: ws://, wss://, mqtt:// (TCP) or mqtts:// (TLS). Repeatable: the nodes of a \
                             cluster (or bridged brokers), connections spread over them round-robin";

impl FromArgMatches for NodeConnArgs {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        Self::from_arg_matches_mut(&mut m.clone())
    }

    fn from_arg_matches_mut(m: &mut ArgMatches) -> Result<Self, clap::Error> {
        let urls = command_line_urls(m);
        let conn = ConnArgs::from_arg_matches_mut(m)?;
        Ok(Self { conn, urls })
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        self.update_from_arg_matches_mut(&mut m.clone())
    }

    fn update_from_arg_matches_mut(&mut self, m: &mut ArgMatches) -> Result<(), clap::Error> {
        let urls = command_line_urls(m);
        if !urls.is_empty() {
            self.urls = urls;
        }
        self.conn.update_from_arg_matches_mut(m)
    }
}

fn command_line_urls(m: &ArgMatches) -> Vec<String> {
    if m.value_source("url") != Some(clap::parser::ValueSource::CommandLine) {
        return Vec::new();
    }
    m.get_many::<String>("url").map(|v| v.cloned().collect()).unwrap_or_default()
}

impl Args for NodeConnArgs {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        ConnArgs::augment_args(cmd).mut_arg("url", |a| a.action(ArgAction::Append).help(NODE_URL_HELP))
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        ConnArgs::augment_args_for_update(cmd).mut_arg("url", |a| a.action(ArgAction::Append).help(NODE_URL_HELP))
    }
}

#[derive(Debug, Args)]
pub struct BenchConnArgs {
    #[command(flatten)]
    pub conn: NodeConnArgs,
    /// Connections to open.
    #[arg(short = 'c', long = "clients", value_name = "N", default_value = "100", value_parser = value::count)]
    pub clients: u64,
    /// New connections per second.
    #[arg(long, value_name = "N", default_value = "500", value_parser = positive_rate)]
    pub rate: f64,
    /// Keep them open this long after the last one was attempted, then close them all.
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = value::secs)]
    pub duration: std::time::Duration,
    /// Write the final report as JSON to this file (with the command line and versions).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

/// How long a run lasts and where its results go; shared by every mode.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Stop measuring after this long (after the warm-up), in seconds or with a unit (500ms, 2m).
    #[arg(long, value_name = "SECS", value_parser = value::secs)]
    pub duration: Option<Duration>,
    /// Not timed at the start: messages scheduled in this period are counted but not in the histogram.
    #[arg(long, value_name = "SECS", value_parser = value::secs)]
    pub warmup: Option<Duration>,
    /// After publishing stops, wait this long at most for outstanding acknowledgements and messages.
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = value::secs)]
    pub drain: Duration,
    /// Print one line per second instead of the live screen (the default when stdout is not a terminal).
    #[arg(long)]
    pub no_tui: bool,
    /// Write the final report as JSON to this file (with the command line and versions).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write the latency histogram of every second in HdrHistogram's interval log format (values in ns).
    #[arg(long, value_name = "FILE")]
    pub hdr_log: Option<PathBuf>,
}

/// What the publishers send.
#[derive(Debug, Clone, Args)]
pub struct PublishArgs {
    /// Publishing clients.
    #[arg(short = 'c', long = "clients", value_name = "N", default_value = "1", value_parser = value::count)]
    pub clients: u64,
    /// Topic; %c is replaced by the client number, %i by the message's sequence number.
    #[arg(short = 't', long, value_name = "PATTERN", default_value = "bench/%c")]
    pub topic: String,
    /// Messages per second per client, on a fixed schedule; without it, as fast as possible.
    #[arg(long, value_name = "N", value_parser = positive_rate)]
    pub rate: Option<f64>,
    /// Messages per client, then stop.
    #[arg(long, value_name = "N", value_parser = value::count)]
    pub count: Option<u64>,
    /// QoS of the publishes.
    #[arg(short = 'q', long, default_value = "0")]
    pub qos: QoS,
    /// Payload size in bytes; the first 28 are the bench header (publisher, sequence, send time).
    #[arg(short = 's', long, value_name = "BYTES", default_value = "64")]
    pub size: usize,
    /// After the header, this file's contents instead of filler.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["template", "size"])]
    pub payload_file: Option<PathBuf>,
    /// After the header, this text with %c and %i replaced (client and sequence number).
    #[arg(long, value_name = "TEXT", conflicts_with = "size")]
    pub template: Option<String>,
    /// Publish with the retain flag.
    #[arg(short = 'r', long)]
    pub retain: bool,
}

#[derive(Debug, Args)]
pub struct BenchPubArgs {
    #[command(flatten)]
    pub conn: NodeConnArgs,
    /// The same as -u here (repeatable), so the two halves of a split run read alike: `bench pub
    /// --pub-url A` beside `bench sub --sub-url B`.
    #[arg(long = "pub-url", value_name = "URL")]
    pub pub_urls: Vec<String>,
    #[command(flatten)]
    pub publish: PublishArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

/// What the subscribers take.
#[derive(Debug, Clone, Args)]
pub struct SubscribeArgs {
    /// Subscribing clients.
    #[arg(long = "subs", value_name = "N", default_value = "1", value_parser = value::count)]
    pub subscribers: u64,
    /// Topic filter (default: the publish pattern with each placeholder level as '+').
    #[arg(long = "filter", value_name = "FILTER")]
    pub filter: Option<String>,
    /// QoS of the subscriptions (default: the publishers' QoS).
    #[arg(long, value_name = "QOS")]
    pub sub_qos: Option<QoS>,
    /// Subscribe as one shared-subscription group: $share/GROUP/filter (MQTT 5).
    #[arg(long, value_name = "GROUP")]
    pub shared: Option<String>,
}

#[derive(Debug, Args)]
pub struct BenchSubArgs {
    #[command(flatten)]
    pub conn: NodeConnArgs,
    /// The same as -u here (repeatable), so the two halves of a split run read alike: `bench sub
    /// --sub-url B` beside `bench pub --pub-url A`.
    #[arg(long = "sub-url", value_name = "URL")]
    pub sub_urls: Vec<String>,
    /// Subscribing clients.
    #[arg(short = 'c', long = "clients", value_name = "N", default_value = "1", value_parser = value::count)]
    pub clients: u64,
    /// Topic filter.
    #[arg(short = 't', long = "topic", value_name = "FILTER", default_value = "bench/#")]
    pub filter: String,
    /// QoS of the subscriptions.
    #[arg(short = 'q', long, default_value = "0")]
    pub qos: QoS,
    /// Subscribe as one shared-subscription group: $share/GROUP/filter (MQTT 5).
    #[arg(long, value_name = "GROUP")]
    pub shared: Option<String>,
    /// Stop after this many messages in all.
    #[arg(long, value_name = "N", value_parser = value::count)]
    pub count: Option<u64>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Args)]
pub struct BenchLatencyArgs {
    #[command(flatten)]
    pub conn: NodeConnArgs,
    /// Publishers connect to this node (repeatable: round-robin over them); subscribers go to
    /// --sub-url, or to the -u nodes. The latency then includes the cluster's or bridge's forwarding.
    #[arg(long = "pub-url", value_name = "URL")]
    pub pub_urls: Vec<String>,
    /// Subscribers connect to this node (repeatable: round-robin over them); publishers go to
    /// --pub-url, or to the -u nodes.
    #[arg(long = "sub-url", value_name = "URL")]
    pub sub_urls: Vec<String>,
    #[command(flatten)]
    pub publish: PublishArgs,
    #[command(flatten)]
    pub subscribe: SubscribeArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

fn positive_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 => Ok(r),
        _ => Err(format!("'{text}' is not a rate: give messages per second, a number above 0")),
    }
}
