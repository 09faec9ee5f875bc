//! From the dashboard's command line to app and session options, and the log file.

use crate::app::Config;
use crate::cli::TuiArgs;
use crate::codec::{Subscription, SubscriptionOptions, topic};
use crate::headless::conn::{SetupError, task_options};
use crate::payload::PayloadFormat;
use crate::session::TaskOptions;
use std::path::PathBuf;

/// App config and session options; `Err` says which flag is wrong.
pub fn options(args: &TuiArgs, profile: Option<&crate::config::Profile>) -> Result<(Config, TaskOptions), SetupError> {
    let filters: Vec<String> = if args.topics.is_empty() { vec!["#".into()] } else { args.topics.clone() };
    for f in filters.iter().chain(&args.exclude) {
        topic::check_topic_filter(f).map_err(|k| format!("topic filter '{f}': {k}"))?;
    }
    let mut payload_views = Vec::new();
    for pv in &args.payload_views {
        let (filter, format) =
            pv.split_once('=').ok_or_else(|| format!("--payload-view '{pv}' must be FILTER=FORMAT"))?;
        topic::check_topic_filter(filter).map_err(|k| format!("--payload-view filter '{filter}': {k}"))?;
        let format: PayloadFormat = format.parse().map_err(|e| format!("--payload-view '{pv}': {e}"))?;
        payload_views.push((filter.to_string(), format));
    }
    payload_views.extend(args.proto.protos.iter().map(|s| (s.filter.clone(), PayloadFormat::Protobuf)));
    // The command line's views come first: the first match wins.
    payload_views.extend(profile.map(|p| p.payload_formats()).unwrap_or_default());
    let specs = args.proto.specs(&profile.map(|p| p.proto_specs()).unwrap_or_default());
    let protos = std::sync::Arc::new(crate::payload::protobuf::Protos::load(&specs)?);
    // Compiled here, before the screen is taken: a schema that does not compile is an error naming it.
    let schemas = std::sync::Arc::new(crate::payload::schema::Schemas::load(&args.schemas)?);
    let asked: Vec<(String, crate::codec::QoS)> = filters
        .iter()
        .enumerate()
        .map(|(i, f)| (f.clone(), args.topic_qos.get(i).copied().unwrap_or(args.qos)))
        .collect();
    let subs = asked
        .iter()
        .map(|(f, qos)| Subscription {
            filter: f.as_str().into(),
            options: SubscriptionOptions::retain_as_published(*qos),
        })
        .collect();
    let mut task = task_options(&args.conn, subs)?;
    // The dashboard keeps trying and shows why in the status line.
    task.reconnect.retry_first_connect = true;
    task.read_pace = Some(crate::tui::READ_PACE);
    let config = Config {
        // Shown in the status line: no password (the transport has none) and no token from the query.
        url: crate::transport::shown_url(&task.transport.url),
        filters: asked,
        exclude: args.exclude.clone(),
        history_per_topic: args.history.unwrap_or(100).max(1),
        byte_budget: args.memory.unwrap_or(256).saturating_mul(1024 * 1024),
        theme: args.theme.unwrap_or_default(),
        start_view: if args.watch { crate::app::View::Watch } else { crate::app::View::Dashboard },
        templates: profile.map(|p| p.templates()).unwrap_or_default(),
        watch_lists: match profile {
            Some(p) => p.watch_lists()?,
            None => Vec::new(),
        },
        payload_views,
        protos,
        schemas,
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        zone: crate::timefmt::Zone::local(),
        insecure_tls: task.transport.unverified_tls(),
        frame_stats: args.frame_stats,
        hide_cleared: args.hide_cleared,
        ..Config::default()
    };
    Ok((config, task))
}

/// Where the log goes by default: `mqscope.log` in the platform's data directory.
pub fn default_log_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "mqscope").map(|d| d.data_dir().join("mqscope.log"))
}

/// Log lines that may wait for the log file's writer thread.
const LOG_LINES_QUEUED: usize = 8_192;

/// Sends `tracing` output to the log file (never to the screen). Keep the guard alive.
pub fn init_logging(args: &TuiArgs) -> std::io::Result<tracing_appender::non_blocking::WorkerGuard> {
    init_logging_to(args.log_file.clone(), &args.log_level)
}

/// `init_logging` for a given file (default: `default_log_path`) and level.
pub fn init_logging_to(
    file: Option<PathBuf>,
    level: &str,
) -> std::io::Result<tracing_appender::non_blocking::WorkerGuard> {
    let path = file.or_else(default_log_path).unwrap_or_else(|| std::env::temp_dir().join("mqscope.log"));
    // Private (0600, a new folder 0700): the log names brokers, users and topics.
    let file = crate::files::append_private(&path)?;
    // Records carry wire text (reason strings, client ids): escaped, as on the screen.
    // 8,192 lines in flight, not the default 128,000: that queue is allocated and touched whole at
    // start (4 MB of the idle dashboard's memory), and the writer thread keeps far ahead of it.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(LOG_LINES_QUEUED)
        .finish(crate::sanitize::EscapingWriter(file));
    let level = level.parse().unwrap_or(tracing::Level::INFO);
    let _ = tracing_subscriber::fmt().with_writer(writer).with_ansi(false).with_max_level(level).try_init();
    tracing::info!("mqscope {} starting, log at {}", env!("CARGO_PKG_VERSION"), path.display());
    Ok(guard)
}
