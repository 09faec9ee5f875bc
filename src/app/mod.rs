//! The app's state and its one reducer. `App::apply(event)` takes session events, keys, mouse,
//! resizes and ticks; the ui draws from `&App`. Plain data: no terminal, no sockets, no clock of its
//! own (time comes in with the events), so every path is testable.

pub mod chart;
pub mod clipboard;
pub mod compare_view;
pub mod detail;
pub mod frames;
mod history_view;
pub mod json_tree;
pub mod layout;
pub mod log;
mod log_view;
mod payload_tree;
pub mod previews;
pub mod publish;
pub mod rates;
pub mod reader;
mod replay;
pub mod retained;
pub mod sparkplug;
pub mod store;
pub mod subs;
pub mod tabs;
pub mod template;
pub mod topics;
pub mod traffic;
pub mod value_diff;
pub mod watch;

mod keys;

use crate::codec::ProtocolVersion;
use crate::payload::schema;
use crate::payload::sparkplug::state::{Network, limit_for_budget as sparkplug_limit};
use crate::payload::{self, Decoder, PayloadFormat};
use crate::session::{Command, ConnectionInfo, FatalKind, SessionEvent, SubscribeOutcome};
use layout::{Areas, Pane};
use ratatui::layout::Rect;
use rates::Series;
use std::collections::HashMap;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use store::{Store, StoredMessage};
use topics::{NodeId, TopicTree};

pub use keys::Key;
pub use replay::PlayerView;

/// A message's schema verdict, shared (see `Schemas::check_shared`).
pub type Verdict = Arc<schema::Verdict>;

/// The key table the help overlay shows.
pub fn keys_help() -> &'static [(&'static str, &'static [(&'static str, &'static str)])] {
    keys::HELP
}

/// The groups of the key table for a replay (`true`) or a broker: a replay has the player's keys
/// first and no publish pane or subscriptions (there is no broker), a broker no player.
pub fn keys_help_for(replay: bool) -> Vec<&'static (&'static str, &'static [(&'static str, &'static str)])> {
    let shown = |group: &str| match replay {
        true => group != keys::PUBLISH_GROUP && group != keys::SUBS_GROUP,
        false => group != keys::REPLAY_GROUP,
    };
    let mut groups: Vec<_> = keys::HELP.iter().filter(|(g, _)| shown(g)).collect();
    if replay {
        groups.sort_by_key(|(g, _)| *g != keys::REPLAY_GROUP);
    }
    groups
}

/// Settings the app starts with (command line, later profiles).
#[derive(Debug, Clone)]
pub struct Config {
    pub url: String,
    /// The subscriptions made at start: filter and the QoS asked for.
    pub filters: Vec<(String, crate::codec::QoS)>,
    /// Topics hidden from the tree (still counted), as MQTT filters.
    pub exclude: Vec<String>,
    pub history_per_topic: usize,
    pub byte_budget: usize,
    pub log_capacity: usize,
    /// Payload view per topic filter, first match wins.
    pub payload_views: Vec<(String, PayloadFormat)>,
    /// The Protobuf message type per topic filter, compiled from the `.proto` files.
    pub protos: std::sync::Arc<crate::payload::protobuf::Protos>,
    /// The JSON Schema per topic filter (`--schema`, the profile's `schemas`), compiled at start.
    pub schemas: std::sync::Arc<crate::payload::schema::Schemas>,
    /// `NO_COLOR`: no colours, only bold/dim/reverse.
    pub no_color: bool,
    pub watch_lists: Vec<watch::WatchList>,
    /// Publish templates for the publish pane (F2).
    pub templates: Vec<template::Template>,
    pub start_view: View,
    pub theme: ThemeName,
    /// The zone times on screen are shown in (the local one when run; UTC by default).
    pub zone: crate::timefmt::Zone,
    /// TLS without certificate checks (`--insecure` on mqtts:// or wss://): the status line says so.
    pub insecure_tls: bool,
    /// Show the frame timer's line from the start (`--frame-stats`; `F12` toggles it).
    pub frame_stats: bool,
    /// Start with topics whose last message was empty (a cleared retained message) hidden
    /// (`--hide-cleared`; `H` toggles it).
    pub hide_cleared: bool,
    /// A replay of this file (its name, sanitised), not a broker: the player's keys and row.
    pub replay: Option<String>,
}

/// The built-in themes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ThemeName {
    #[default]
    Dark,
    Light,
    HighContrast,
}

impl ThemeName {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "dark" => Ok(Self::Dark),
            "light" => Ok(Self::Light),
            "high-contrast" | "high_contrast" | "contrast" => Ok(Self::HighContrast),
            other => Err(format!("theme '{other}' is not dark, light or high-contrast")),
        }
    }
}

impl std::str::FromStr for ThemeName {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// The screens: the dashboard (tree, log, detail), the watch table, and the retained, traffic and
/// subscription views.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum View {
    #[default]
    Dashboard,
    Watch,
    Retained,
    Traffic,
    Subscriptions,
    Sparkplug,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            url: String::new(),
            filters: vec![("#".into(), crate::codec::QoS::AtMostOnce)],
            exclude: Vec::new(),
            history_per_topic: 100,
            byte_budget: 256 * 1024 * 1024,
            log_capacity: 10_000,
            payload_views: Vec::new(),
            protos: std::sync::Arc::default(),
            schemas: std::sync::Arc::default(),
            no_color: false,
            watch_lists: Vec::new(),
            templates: Vec::new(),
            start_view: View::Dashboard,
            theme: ThemeName::Dark,
            zone: crate::timefmt::Zone::Utc,
            insecure_tls: false,
            frame_stats: false,
            hide_cleared: false,
            replay: None,
        }
    }
}

/// Everything that can happen to the app.
#[derive(Debug)]
pub enum AppEvent {
    Session(SessionEvent),
    Key(Key),
    /// A click (left button) at a screen cell.
    Click {
        x: u16,
        y: u16,
    },
    /// Mouse wheel: negative is up.
    Scroll {
        x: u16,
        y: u16,
        delta: i32,
    },
    Resize {
        width: u16,
        height: u16,
    },
    /// The part of the screen this app draws into, when it is not all of it (below the tab bar).
    Area(Rect),
    /// This app's share of the process's memory budget, when several tabs share `total`.
    Budget {
        share: usize,
        total: usize,
    },
    /// The clock moved on (ms since the epoch).
    Tick {
        now_ms: u64,
    },
    /// Session events still queued after this frame's budget: the screen is behind.
    Backlog(usize),
    /// Text pasted into the terminal (bracketed paste).
    Paste(String),
    /// The topics that hold a retained message, from a fresh subscription (`Effect::RetainedSnapshot`),
    /// or why it failed.
    RetainedSnapshot(Result<Vec<String>, String>),
    /// The process's resident memory in bytes while it keeps no message yet: the program, its
    /// runtime, the connection and the screen. Part of the status line's memory figure.
    ProcessBaseline {
        rss: u64,
    },
    /// The most bytes of messages that ever waited between the session and the app
    /// (`session::Events::peak_bytes`): the allocator keeps that much for reuse.
    HandOffPeak(usize),
    /// What became of the recording the app asked for (`Effect::Record`).
    Recording(RecordingEvent),
    /// The frame timer's figures, measured by the runtime (sent once a second while shown).
    FrameStats(frames::Shown),
}

/// The IO edge's answer to `Effect::Record`.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordingEvent {
    /// Recording into this file (a new one, never an existing file).
    Started { file: String },
    /// Stopped with this many messages in the file.
    Stopped { file: String, on_disk: u64 },
    /// Could not start, or a write failed and the recording stopped; the text says how many
    /// messages made it to the file.
    Failed { why: String },
}

/// The recording as the status bar shows it.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Recording {
    #[default]
    Off,
    /// Recording into `file`: `count` messages so far.
    On { file: String, count: u64 },
    /// The last recording failed (shown until the next one starts).
    Failed { why: String },
}

/// Said when something would go to the broker during a replay.
pub const NO_BROKER: &str =
    "a replay has no broker: nothing is published or subscribed (replay FILE --to URL republishes a recording)";

/// What the app asks its owner to do.
#[derive(Debug, PartialEq)]
pub enum Effect {
    Quit,
    Send(Command),
    /// Ring the terminal bell (a watch alert turned on).
    Bell,
    /// Put this text on the clipboard (OSC 52, so it works over SSH too).
    Copy(String),
    /// Start recording received messages (JSON Lines) to a new file named after this stem (the stem
    /// itself plus `.jsonl`, or with `-1`, `-2`… when taken), or stop (`None`). Answered with
    /// `AppEvent::Recording`.
    Record(Option<std::path::PathBuf>),
    /// Ask the broker, through a second short subscription to these filters, which topics hold a
    /// retained message now; the answer comes back as `AppEvent::RetainedSnapshot`.
    RetainedSnapshot(Vec<String>),
    /// Tell a replay's player (pause, step, speed, seek); it answers with `ReplayEvent::Status`.
    Player(crate::record::player::Command),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnStatus {
    Connecting { attempt: u32 },
    Connected,
    Reconnecting { at_ms: u64, error: String },
    Stopped { reason: String },
}

/// What the status bar says about the connection.
#[derive(Debug, Clone)]
pub struct Connection {
    pub status: ConnStatus,
    pub url: String,
    pub version: Option<ProtocolVersion>,
    pub client_id: String,
    pub rtt: Option<Duration>,
    pub info: Option<Box<ConnectionInfo>>,
}

/// Payload bytes a log filter or search looks at: the first 64 KiB, so matching costs at most that
/// per message, whatever the payload.
pub const MATCH_BYTES: usize = 64 * 1024;

/// A filter over log entries: a case-insensitive substring of the topic or the payload, or a
/// `/regex/`. Matches bytes (no UTF-8 or lower-case copy), within [`MATCH_BYTES`] of the payload.
#[derive(Debug, Clone)]
pub struct TextFilter {
    re: regex::bytes::Regex,
    source: String,
}

impl TextFilter {
    pub fn parse(s: &str) -> Result<Option<Self>, String> {
        let t = s.trim();
        if t.is_empty() {
            return Ok(None);
        }
        let (pattern, insensitive) = if t.len() >= 2 && t.starts_with('/') && t.ends_with('/') {
            (t[1..t.len() - 1].to_string(), false)
        } else {
            (regex::escape(t), true)
        };
        let re = regex::bytes::RegexBuilder::new(&pattern)
            .case_insensitive(insensitive)
            .size_limit(1 << 20)
            .build()
            .map_err(|e| format!("bad regex: {e}"))?;
        Ok(Some(Self { re, source: t.to_string() }))
    }

    pub fn matches(&self, topic: &str, payload: &[u8]) -> bool {
        self.re.is_match(topic.as_bytes()) || self.re.is_match(payload.get(..MATCH_BYTES).unwrap_or(payload))
    }

    pub fn source(&self) -> String {
        self.source.clone()
    }

    /// Byte ranges of the matches in `text`, in order, not overlapping.
    pub fn find_ranges<'a>(&'a self, text: &'a str) -> impl Iterator<Item = (usize, usize)> + 'a {
        self.re.find_iter(text.as_bytes()).map(|m| (m.start(), m.end()))
    }
}

#[derive(Debug, Default)]
pub struct TreeView {
    /// The selected node, kept across rebuilds of the rows.
    pub selected: Option<NodeId>,
    pub offset: usize,
    /// Where the selection was last found in the rows, looked at first so a frame does not
    /// search 100,000 rows for it.
    pub row: usize,
}

#[derive(Debug, Default)]
pub struct LogView {
    /// Paused at this sequence number: the shown entries are frozen, newer messages are counted.
    pub paused_at: Option<u64>,
    /// Only the selected subtree.
    pub scoped: bool,
    /// Only messages that broke their schema (`i`).
    pub invalid_only: bool,
    pub filter: Option<TextFilter>,
    pub search: Option<TextFilter>,
    /// The selected entry; `None` follows the newest.
    pub selected: Option<u64>,
    /// Entries not yet matched against a new filter or search (see `log_view.rs`).
    pub matching: bool,
}

#[derive(Debug, Default)]
pub struct DetailView {
    /// Per-topic choice made with `v`.
    pub formats: HashMap<NodeId, PayloadFormat>,
    /// The first body row shown (see `reader.rs`); kept within the body by `prepare`.
    pub scroll: usize,
    /// Long lines run past the pane's edge (seen with ← →) instead of wrapping (`W`).
    pub nowrap: bool,
    /// Columns the unwrapped body is scrolled right by.
    pub hscroll: usize,
    /// The search inside the shown payload (`/` in the detail pane) and the current match.
    pub find: Option<TextFilter>,
    pub find_at: usize,
    /// The history entry shown (`[` `]`), by seq; `None` shows the newest and follows new messages.
    pub shown: Option<u64>,
    /// The history entry marked with `m` to compare the shown one with.
    pub base: Option<u64>,
    /// The body shows the difference from the marked entry to the shown one (`=`).
    pub comparing: bool,
    /// The topic `shown` and `base` belong to; they are dropped when another topic is shown.
    pub history_of: Option<NodeId>,
    /// Fields plotted, by topic.
    pub chart_fields: HashMap<NodeId, Vec<String>>,
    /// The field picker, when open: candidates and the highlighted one.
    pub picker: Option<(Vec<String>, usize)>,
    /// The payload is shown as a foldable tree (`T`, see `payload_tree.rs`).
    pub tree: bool,
}

/// A line being typed at the bottom of the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub text: String,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    TreeFilter,
    LogFilter,
    LogSearch,
    /// Search inside the payload the detail pane shows.
    DetailSearch,
    /// A topic filter to subscribe to, at this QoS (Tab changes it).
    Subscribe(crate::codec::QoS),
    /// Where to take a replay (`J`).
    Jump,
}

impl PromptKind {
    pub fn label(self) -> &'static str {
        use crate::codec::QoS;
        match self {
            Self::TreeFilter => "filter topics (text, or MQTT filter like a/+/c): ",
            Self::LogFilter => "filter log (text, or /regex/): ",
            Self::LogSearch => "search log (text, or /regex/): ",
            Self::DetailSearch => "search the payload (text, or /regex/): ",
            Self::Subscribe(QoS::AtMostOnce) => "subscribe at QoS 0 (Tab: QoS), filter: ",
            Self::Subscribe(QoS::AtLeastOnce) => "subscribe at QoS 1 (Tab: QoS), filter: ",
            Self::Subscribe(QoS::ExactlyOnce) => "subscribe at QoS 2 (Tab: QoS), filter: ",
            Self::Jump => "jump to (12:30:00, 90s, +10s, -1m, 50%, start, end): ",
        }
    }
}

#[derive(Debug)]
pub struct App {
    pub config: Config,
    pub conn: Connection,
    pub tree: TopicTree,
    pub store: Store,
    pub series: Series,
    pub focus: Pane,
    pub tree_view: TreeView,
    pub log_view: LogView,
    pub detail: DetailView,
    pub prompt: Option<Prompt>,
    pub show_help: bool,
    /// Lines the help overlay is scrolled by, on screens too small for all of it.
    pub help_scroll: u16,
    pub size: Rect,
    pub now_ms: u64,
    pub received: u64,
    pub received_bytes: u64,
    /// Session events queued behind the screen at the last frame.
    pub backlog: usize,
    /// The last notice worth showing (warnings, refused subscriptions), with when it came.
    pub notice: Option<(String, u64)>,
    /// The detail pane's decoded payload, diffs and chart points (see `detail.rs`).
    pub detail_cache: detail::DetailCache,
    /// Previews of the rows on screen in their topics' views (see `previews.rs`).
    pub previews: previews::Previews,
    pub view: View,
    pub watch: watch::Watch,
    /// The recording in progress and how many messages went into it, or why the last one failed.
    pub recording: Recording,
    pub publisher: publish::Publisher,
    pub subs: subs::Subscriptions,
    pub retained: retained::RetainedView,
    pub traffic: TrafficView,
    /// Sparkplug B edge nodes, devices, aliases and sequence checks, from every message in the namespace.
    pub sparkplug: Network,
    pub sparkplug_view: sparkplug::SparkplugView,
    /// QoS, retained and payload size counters over every message.
    pub totals: traffic::Totals,
    /// The traffic view's bars, recomputed once a second.
    pub rankings: traffic::Rankings,
    /// Messages per second of the topic or level the detail pane shows (a level: its subtree): the
    /// node, and its series since it was shown, started from the log.
    pub level_series: Option<(NodeId, Series)>,
    /// The process's resident memory before it kept anything, where the runtime can measure it.
    pub process_baseline: Option<u64>,
    /// The most bytes of messages that waited to be applied at once.
    pub hand_off_peak: usize,
    /// The frame timer's line is shown (`--frame-stats`, `F12`).
    pub show_frame_stats: bool,
    /// The frame timer's figures, as last measured by the runtime.
    pub frame_stats: frames::Shown,
    /// Memory the views keep, as last counted (`count_views`).
    views_bytes: usize,
    /// The whole process's budget when this app has a share of it (several tabs), for the status line.
    pub budget_total: Option<usize>,
    /// Messages not kept because their topic was new and the tree had reached its share of the
    /// memory budget (counted in `received`).
    pub refused: u64,
    /// Messages that broke their topic's schema, refused ones too (the status line's figure).
    pub schema_invalid: u64,
    /// The batch just applied and each message's schema verdict, while recording: the runtime
    /// writes them (`take_recorded`), so the recording keeps the verdict without a second check.
    recorded: Option<(Vec<crate::session::Message>, Vec<Option<Verdict>>)>,
    /// A replay: the player's state as last told (`None` for a broker).
    pub player: Option<PlayerView>,
    /// The topic selected before a seek back started the app over, selected again when it comes back.
    pub reselect: Option<String>,
    /// The last token handed out for a publish command (the session answers with it in `Published`).
    next_token: u64,
    dirty: bool,
    /// The user did something since the last `prepare`: that frame answers input and skips
    /// periodic work it did not ask for (`TopicTree::rows_for`).
    input: bool,
    /// Messages arrived since the last frame; drawn at most every `DATA_FRAME_MS` (counts, rates
    /// and the log moving do not need 30 frames a second), unless `dirty` draws them sooner.
    data_dirty: bool,
    /// When the last frame was handed out (`take_dirty`).
    data_drawn_ms: u64,
    effects: Vec<Effect>,
}

/// The shortest time between two frames drawn only because messages arrived: five a second.
pub const DATA_FRAME_MS: u64 = 200;

/// How long a notice stays on the status line.
pub const NOTICE_MS: u64 = 8_000;

/// How the traffic view ranks and which subtree level it shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrafficView {
    pub by: traffic::RankBy,
    /// 1: top-level subtrees (`sensors/`), 2: one below, ...
    pub level: u16,
}

impl Default for TrafficView {
    fn default() -> Self {
        Self { by: traffic::RankBy::Messages, level: 1 }
    }
}

/// Seconds of a level's rate series (the sparkline is at most a third of the screen wide).
const LEVEL_SECONDS: usize = 200;

/// Milliseconds since the epoch.
pub fn epoch_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

impl App {
    pub fn new(config: Config, now_ms: u64) -> Self {
        let mut tree = TopicTree::new(config.exclude.clone());
        tree.set_hide_cleared(config.hide_cleared);
        let watch = watch::Watch::new(config.watch_lists.clone());
        let templates = config.templates.clone();
        let protos = config.protos.clone();
        let view = config.start_view;
        let show_frame_stats = config.frame_stats;
        let store = Store::new(config.history_per_topic, config.byte_budget, config.log_capacity);
        let sparkplug = Network::with_limit(sparkplug_limit(config.byte_budget));
        let subs = subs::Subscriptions::new(&config.filters);
        let warnings = watch::load_warnings(&config.watch_lists, &config.payload_views);
        let mut app = Self {
            conn: Connection {
                status: ConnStatus::Connecting { attempt: 1 },
                url: config.url.clone(),
                version: None,
                client_id: String::new(),
                rtt: None,
                info: None,
            },
            config,
            tree,
            store,
            series: Series::new(600),
            focus: Pane::Tree,
            tree_view: TreeView::default(),
            log_view: LogView::default(),
            detail: DetailView::default(),
            prompt: None,
            show_help: false,
            help_scroll: 0,
            size: Rect::new(0, 0, 80, 24),
            now_ms,
            received: 0,
            received_bytes: 0,
            backlog: 0,
            notice: None,
            detail_cache: detail::DetailCache::default(),
            previews: previews::Previews::default(),
            view,
            watch,
            recording: Recording::Off,
            publisher: publish::Publisher::with_templates(templates).with_protos(protos),
            subs,
            retained: retained::RetainedView::default(),
            sparkplug,
            sparkplug_view: sparkplug::SparkplugView::default(),
            traffic: TrafficView::default(),
            totals: traffic::Totals::default(),
            rankings: traffic::Rankings::default(),
            refused: 0,
            schema_invalid: 0,
            recorded: None,
            level_series: None,
            views_bytes: 0,
            budget_total: None,
            process_baseline: None,
            hand_off_peak: 0,
            show_frame_stats: false,
            frame_stats: frames::Shown::default(),
            player: None,
            reselect: None,
            next_token: 0,
            dirty: true,
            input: false,
            data_dirty: false,
            data_drawn_ms: 0,
            effects: Vec::new(),
        };
        app.show_frame_stats = show_frame_stats;
        app.player = app.config.replay.clone().map(|file| PlayerView { file, ..PlayerView::default() });
        if !warnings.is_empty() {
            app.notify(warnings.join("; "));
        }
        app
    }

    /// True once since the last call when something visible changed: at once for input and
    /// state changes, at most every `DATA_FRAME_MS` when only messages arrived.
    pub fn take_dirty(&mut self) -> bool {
        let data_due = self.data_dirty && self.now_ms >= self.data_drawn_ms + DATA_FRAME_MS;
        if !(self.dirty || data_due) {
            return false;
        }
        self.dirty = false;
        self.data_dirty = false;
        self.data_drawn_ms = self.now_ms;
        true
    }

    /// When the app next needs a `Tick` (ms since the epoch, by its clock): at once when something
    /// visible changed or a repeat publishes, when the messages since the last frame are due to be
    /// drawn, when a notice expires, and otherwise at the next whole second (quarter second in the
    /// watch view) for ages and rates. The dashboard sleeps until then unless input or messages
    /// wake it, so an idle screen costs about a wake-up a second, not one per frame.
    pub fn next_tick_ms(&self) -> u64 {
        let now = self.now_ms;
        if self.dirty || self.publisher.repeat.is_some() {
            return now;
        }
        let period = if self.view == View::Watch { 250 } else { 1000 };
        let mut next = (now / period + 1) * period;
        if self.data_dirty {
            next = next.min(self.data_drawn_ms + DATA_FRAME_MS);
        }
        if let Some((_, at)) = &self.notice {
            next = next.min(at + NOTICE_MS + 1);
        }
        next.max(now)
    }

    /// Text is being typed (a prompt or the publish form): every printable key is the user's text.
    pub fn typing(&self) -> bool {
        self.prompt.is_some() || self.publisher.open
    }

    pub fn take_effects(&mut self) -> Vec<Effect> {
        let mut effects = std::mem::take(&mut self.effects);
        // A replay has no broker: what would be sent (a retained clear, a rebirth request, a
        // subscription) is not, and the user is told so instead of it vanishing.
        if self.config.replay.is_some() {
            let before = effects.len();
            effects.retain(|e| !matches!(e, Effect::Send(_)));
            if effects.len() != before {
                self.notify(NO_BROKER.into());
                self.dirty = true;
            }
        }
        effects
    }

    pub fn areas(&self) -> Areas {
        layout::compute_with(self.size, self.focus, self.player.is_some())
    }

    pub fn apply(&mut self, event: AppEvent) {
        match event {
            AppEvent::Session(ev @ (SessionEvent::Messages(_) | SessionEvent::Message(_))) => {
                self.on_session(ev);
                self.data_dirty = true;
                return;
            }
            AppEvent::Session(SessionEvent::Replay(ev)) => {
                self.on_replay(ev);
                return;
            }
            AppEvent::Session(ev) => self.on_session(ev),
            AppEvent::RetainedSnapshot(result) => self.on_retained_snapshot(result),
            AppEvent::Key(k) => {
                self.input = true;
                self.on_key(k);
            }
            AppEvent::Click { x, y } => {
                self.input = true;
                self.on_click(x, y);
            }
            AppEvent::Scroll { x, y, delta } => {
                self.input = true;
                self.on_scroll(x, y, delta);
            }
            AppEvent::Resize { width, height } => {
                self.input = true;
                self.size = Rect::new(0, 0, width, height);
            }
            AppEvent::Area(area) => {
                self.input = true;
                self.size = area;
            }
            AppEvent::Budget { share, total } => {
                self.config.byte_budget = share;
                // One tab left keeps the whole budget: nothing to say about sharing it.
                self.budget_total = (share != total).then_some(total);
                self.sparkplug.set_limit(sparkplug_limit(share));
                self.store.set_budget(share);
            }
            AppEvent::Recording(ev) => self.on_recording(ev),
            AppEvent::Tick { now_ms } => {
                if self.publisher.repeat.is_some() {
                    let mut next = self.next_token;
                    let cmds = self.publisher.repeat_due(now_ms, &mut || {
                        next += 1;
                        next
                    });
                    self.next_token = next;
                    self.effects.extend(cmds.into_iter().map(Effect::Send));
                    self.dirty = true;
                }
                // Redraw once a second for ages and rates (four times in the watch view, where
                // changed rows flash briefly), not on every tick.
                let period = if self.view == View::Watch { 250 } else { 1000 };
                if now_ms / period != self.now_ms / period {
                    self.dirty = true;
                }
                self.now_ms = self.now_ms.max(now_ms);
                if self.notice.as_ref().is_some_and(|(_, at)| self.now_ms > at + NOTICE_MS) {
                    self.notice = None;
                    self.dirty = true;
                }
                return;
            }
            AppEvent::Paste(text) => {
                self.input = true;
                if self.publisher.open {
                    self.publisher.paste(&text);
                } else if let Some(p) = self.prompt.as_mut() {
                    // A prompt is one line: line breaks become spaces, other controls are dropped.
                    p.text.extend(
                        text.chars().map(|c| if c == '\n' || c == '\r' { ' ' } else { c }).filter(|c| !c.is_control()),
                    );
                }
            }
            AppEvent::ProcessBaseline { rss } => {
                // Redraw for a change the status line shows (a tenth of a MiB).
                if self.process_baseline.map(|r| r / 100_000) != Some(rss / 100_000) {
                    self.dirty = true;
                }
                self.process_baseline = Some(rss);
                return;
            }
            AppEvent::HandOffPeak(bytes) => {
                if bytes / 100_000 != self.hand_off_peak / 100_000 {
                    self.dirty = true;
                }
                self.hand_off_peak = bytes;
                return;
            }
            AppEvent::FrameStats(shown) => {
                if self.frame_stats != shown {
                    self.frame_stats = shown;
                    self.dirty |= self.show_frame_stats;
                }
                return;
            }
            AppEvent::Backlog(n) => {
                if n != self.backlog {
                    self.backlog = n;
                    self.data_dirty = true;
                }
                return;
            }
        }
        self.dirty = true;
    }

    fn on_recording(&mut self, ev: RecordingEvent) {
        match ev {
            RecordingEvent::Started { file } => {
                self.notify(format!("recording to {file} (r stops)"));
                self.recording = Recording::On { file, count: 0 };
            }
            RecordingEvent::Stopped { file, on_disk } => {
                self.notify(format!("recording stopped: {on_disk} messages in {file}"));
                self.recording = Recording::Off;
            }
            // The status bar shows it until the next recording starts.
            RecordingEvent::Failed { why } => {
                self.notify(format!("recording failed: {why}"));
                self.recording = Recording::Failed { why };
            }
        }
    }

    fn notify(&mut self, text: String) {
        self.notice = Some((text, self.now_ms));
    }

    fn on_session(&mut self, ev: SessionEvent) {
        match ev {
            SessionEvent::Messages(batch) => {
                self.count_views();
                // A replay's recorded verdicts, one per message of this batch (none: no verdicts).
                let mut kept = self.player.as_mut().map(|p| std::mem::take(&mut p.verdicts)).unwrap_or_default();
                if kept.len() != batch.len() {
                    kept.clear();
                }
                let mut kept = kept.into_iter();
                if let Recording::On { .. } = self.recording {
                    let verdicts = batch.iter().map(|m| self.record(m, kept.next().flatten())).collect();
                    self.recorded = Some((batch, verdicts));
                } else {
                    for m in &batch {
                        self.record(m, kept.next().flatten());
                    }
                }
            }
            SessionEvent::Message(m) => {
                self.count_views();
                self.record(&m, None);
            }
            SessionEvent::Connecting { url, attempt, version } => {
                self.conn.url = url;
                self.conn.version = Some(version);
                self.conn.status = ConnStatus::Connecting { attempt };
            }
            SessionEvent::Connected(info) => {
                self.conn.status = ConnStatus::Connected;
                self.conn.version = Some(info.version);
                self.conn.client_id.clone_from(&info.client_id);
                self.conn.info = Some(info);
            }
            SessionEvent::Disconnected { reason, reconnect_in, fatal } => {
                self.conn.rtt = None;
                self.conn.status = match (reconnect_in, fatal) {
                    (Some(d), _) => {
                        ConnStatus::Reconnecting { at_ms: self.now_ms + d.as_millis() as u64, error: reason }
                    }
                    (None, Some(FatalKind::Requested)) => ConnStatus::Stopped { reason: "disconnected".into() },
                    (None, _) => ConnStatus::Stopped { reason },
                };
            }
            SessionEvent::Pong { rtt } => self.conn.rtt = Some(rtt),
            SessionEvent::Subscribed { results, reason_string } => {
                self.subs.on_subscribed(&results);
                let refused: Vec<String> = results
                    .iter()
                    .filter_map(|(f, o)| match o {
                        SubscribeOutcome::Granted(_) => None,
                        SubscribeOutcome::Refused { reason, .. } => Some(format!("'{f}' refused: {reason}")),
                        SubscribeOutcome::Invalid(why) => Some(format!("'{f}' invalid: {why}")),
                    })
                    .collect();
                if !refused.is_empty() {
                    let mut text = format!("subscription {}", refused.join("; "));
                    if let Some(r) = reason_string {
                        text.push_str(&format!(" ({r})"));
                    }
                    self.notify(text);
                }
            }
            SessionEvent::Warning(w) | SessionEvent::Notice(w) => self.notify(w),
            SessionEvent::Stray { topic, total } => self.notify(crate::session::stray_notice(&topic, total)),
            SessionEvent::Published { token, result, .. } => self.on_published(token, result),
            SessionEvent::Unsubscribed { results } => {
                for (f, r) in &results {
                    if let Err(why) = r {
                        self.notify(format!("unsubscribe '{f}' failed: {why}"));
                    }
                }
                self.subs.on_unsubscribed(&results);
            }
            SessionEvent::Trace(_) => {}
            SessionEvent::Replay(ev) => self.on_replay(ev),
        }
    }

    /// The batch just applied while recording, with each message's schema verdict (see `recorded`).
    pub fn take_recorded(&mut self) -> Option<(Vec<crate::session::Message>, Vec<Option<Verdict>>)> {
        self.recorded.take()
    }

    /// Takes one message in: counts it, checks it against its topic's schema (once, here), keeps it,
    /// feeds the views. Returns the schema verdict: a schema given here checks again; without one, a
    /// replay shows the verdict the recording kept (`recorded`).
    fn record(&mut self, m: &crate::session::Message, recorded: Option<Verdict>) -> Option<Verdict> {
        let ms = epoch_ms(m.received_at);
        self.now_ms = self.now_ms.max(ms);
        let bytes = m.payload.len();
        self.received += 1;
        self.received_bytes += bytes as u64;
        if let Recording::On { count, .. } = &mut self.recording {
            *count += 1;
        }
        self.totals.record(m.qos, m.retain, bytes);
        self.series.add((ms / 1000) as u32, bytes);
        let verdict = self.config.schemas.check_shared(&m.topic, &m.payload, &self.config.protos).or(recorded);
        let invalid = verdict.as_ref().is_some_and(|v| !v.is_valid());
        self.schema_invalid += u64::from(invalid);
        let Some(node) = self.tree.record_within(&m.topic, bytes, ms, m.retain, self.tree_share()) else {
            self.refused += 1;
            return verdict;
        };
        if invalid {
            self.tree.count_invalid(node);
        }
        self.sparkplug.observe(&m.topic, &m.payload, m.received_at);
        self.store.set_reserved(self.reserved_bytes());
        self.store.push_checked(node, ms, m, verdict.clone());
        self.match_newest(&m.topic, &m.payload);
        if let Some((root, _)) = self.level_series
            && self.is_in_subtree(node, root)
            && let Some((_, series)) = self.level_series.as_mut()
        {
            series.add((ms / 1000) as u32, bytes);
        }
        let (formats, views, network) = (&self.detail.formats, &self.config.payload_views, &self.sparkplug);
        let protos = &*self.config.protos;
        let format =
            || Decoder::for_topic(payload::format_for(formats, views, node, &m.topic), network, protos, &m.topic);
        if self.watch.on_message_as(node, &m.topic, &m.payload, ms, invalid, &format) {
            self.effects.push(Effect::Bell);
        }
        verdict
    }

    /// The part of the memory budget topics may take (names, nodes): three quarters, so history
    /// and the log keep room.
    fn tree_share(&self) -> usize {
        self.config.byte_budget / 4 * 3
    }

    /// Counts what the views keep (watch rows, the retained list, the detail pane's decoded view)
    /// for the budget; once per batch and frame, as it walks the rows.
    pub(super) fn count_views(&mut self) {
        self.views_bytes =
            self.watch.bytes() + self.detail_cache.bytes() + self.previews.bytes() + self.retained.bytes();
        self.store.set_reserved(self.reserved_bytes());
    }

    /// What the app keeps outside the message store: the topic tree, the views, the Sparkplug tracker.
    fn reserved_bytes(&self) -> usize {
        self.tree.bytes() + self.views_bytes + self.sparkplug.usage().0
    }

    // ---- queries used by the ui ----

    /// The visible tree rows (rebuilt when stale).
    pub fn tree_rows(&mut self) -> &[NodeId] {
        let now = self.now_ms;
        self.tree.rows(now)
    }

    /// The topic the detail pane shows: the selected log entry's when the log has focus and one is
    /// selected, else the tree's selection.
    pub fn detail_topic(&self) -> Option<NodeId> {
        if self.focus == Pane::Log
            && let Some(e) = self.selected_log_entry()
        {
            return Some(e.topic);
        }
        self.tree_view.selected
    }

    /// The message the detail pane shows; `None` for a log entry whose message history no longer
    /// keeps.
    pub fn detail_message(&self) -> Option<&StoredMessage> {
        if self.focus == Pane::Log
            && let Some(e) = self.selected_log_entry()
        {
            return self.store.get(e.topic, e.seq);
        }
        let id = self.tree_view.selected?;
        match self.detail.shown {
            Some(seq) if self.detail.history_of == Some(id) => self.store.get(id, seq),
            _ => self.store.latest(id),
        }
    }

    pub fn payload_format(&self, node: NodeId) -> PayloadFormat {
        payload::format_for(&self.detail.formats, &self.config.payload_views, node, self.tree.node(node).path())
    }

    /// How the topic's payloads are decoded: its view, and for Sparkplug the aliases from its BIRTHs.
    pub fn decoder(&self, node: NodeId) -> Decoder<'_> {
        Decoder::for_topic(self.payload_format(node), &self.sparkplug, &self.config.protos, self.tree.node(node).path())
    }

    /// Follows the topic or level the detail pane shows with a series of its own (a level: its
    /// subtree), started from what the log holds of it.
    pub(super) fn follow_level_rate(&mut self) {
        // A topic too: the log reaches further back than the topic's own history ring.
        let level = self.detail_topic();
        if level == self.level_series.as_ref().map(|(id, _)| *id) {
            return;
        }
        self.level_series = level.map(|root| {
            let mut series = Series::new(LEVEL_SECONDS);
            for e in self.store.log().entries() {
                if self.is_in_subtree(e.topic, root) {
                    series.add((e.at_ms / 1000) as u32, e.len);
                }
            }
            (root, series)
        });
    }

    /// Messages per second over the last complete second, and bytes per second.
    /// The memory figure of the status line, in bytes: what the app keeps (counted against the
    /// budget), the most that ever waited in the hand-off from the session, and the process as it
    /// was before it kept anything. It tracks the process's resident memory.
    pub fn memory_figure(&self) -> u64 {
        let kept = self.store.usage().0 as u64;
        kept + self.hand_off_peak as u64 + self.process_baseline.unwrap_or(0)
    }

    pub fn rates_now(&self) -> (u64, u64) {
        self.series.per_second((self.now_ms / 1000) as u32)
    }
}

#[cfg(test)]
pub(crate) mod tests;

#[cfg(test)]
mod action_tests;

#[cfg(test)]
mod reader_tests;

#[cfg(test)]
mod history_tests;

#[cfg(test)]
mod budget_tests;

#[cfg(test)]
mod fault_tests;

#[cfg(test)]
mod schema_tests;
