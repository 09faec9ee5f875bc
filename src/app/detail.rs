//! What the detail pane shows, computed once per message rather than once per frame: decoding a
//! large payload can take tens of milliseconds, a frame has eight.

use super::App;
use super::layout;
use super::reader::{self, Match, Parts, Row};
use super::store::StoredMessage;
use super::topics::NodeId;
use crate::codec::{Properties, Property};
use crate::payload::{self, Decoder, Line, PayloadFormat, Rendered, TokenKind};
use crate::sanitize;
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

/// Most lines a payload is rendered to for the detail pane, and most text: enough for any payload
/// the views decode (1 MiB) pretty-printed, or a text or hex dump of a few megabytes, to be read
/// to its end; past that the pane says it was cut.
pub const MAX_LINES: usize = 250_000;
pub const MAX_TEXT_BYTES: usize = 8 << 20;

#[derive(Debug, Default)]
pub struct DetailCache {
    /// (message seq, view, the marked entry's seq when comparing) the body belongs to.
    key: Option<(u64, PayloadFormat, Option<u64>)>,
    /// The rendering, its lines moved into `body`.
    pub rendered: Option<Rendered>,
    /// What the pane scrolls through: the error, the payload's lines, a truncation note and the
    /// MQTT 5 properties.
    pub body: Vec<Line>,
    /// Bumped whenever `body` changes, so rows and matches know when to follow.
    body_gen: u64,
    /// Memory `body` holds, counted once when it is built (it can have 250,000 lines).
    body_bytes: usize,
    /// `body` laid out for (body_gen, width, wrapped), and its widest line.
    rows_key: Option<(u64, usize, bool)>,
    pub rows: Vec<Row>,
    pub widest: usize,
    /// Matches of the payload search in `body`, for (body_gen, search text); capped at
    /// `reader::MAX_MATCHES`.
    matches_key: Option<(u64, String)>,
    pub matches: Vec<Match>,
    pub matches_capped: bool,
    /// Change from the previous message, by the later message's seq.
    pub diffs: HashMap<u64, Option<String>>,
    /// Chart values by message seq, one per charted field.
    values: HashMap<u64, Vec<Option<f64>>>,
    values_key: Option<(NodeId, PayloadFormat, Vec<String>)>,
    /// The charted fields over the kept history.
    pub chart: super::chart::Chart,
    pub chart_fields: Vec<String>,
    /// The shown payload as a tree (when `T` is on), for (topic, message seq, view); or why none.
    pub json: Option<super::json_tree::Tree>,
    pub(super) json_key: Option<(NodeId, u64, PayloadFormat)>,
    pub json_error: Option<String>,
    /// The field charted by default (the first numeric one) of the shown message, by (topic, seq,
    /// view): finding it decodes the payload, once per message rather than once per frame.
    pub(super) default_fields: Option<((NodeId, u64, PayloadFormat), Vec<String>)>,
}

impl DetailCache {
    /// Memory the decoded view and the diffs hold, for the budget.
    pub fn bytes(&self) -> usize {
        let rendered = self.body_bytes
            + self.rows.capacity() * std::mem::size_of::<Row>()
            + self.matches.capacity() * std::mem::size_of::<Match>();
        let diffs: usize = self.diffs.values().map(|d| 48 + d.as_ref().map_or(0, String::len)).sum();
        let values: usize = self.values.values().map(|v| 48 + v.len() * 16).sum();
        let tree = self.json.as_ref().map_or(0, super::json_tree::Tree::bytes);
        rendered + diffs + values + tree + self.chart.bytes()
    }
}

impl App {
    /// Brings the detail cache up to date with the shown topic and message.
    pub(super) fn refresh_detail(&mut self) {
        self.check_history_choice();
        let (Some(node), Some(msg)) = (self.detail_topic(), self.detail_message().cloned()) else {
            self.detail_cache = DetailCache::default();
            self.refresh_json_tree();
            return;
        };
        let format = self.payload_format(node);
        let decoder = Decoder::for_topic(format, &self.sparkplug, &self.config.protos, self.tree.node(node).path());
        let base = self.compared_entry().cloned();
        let c = &mut self.detail_cache;
        let key = Some((msg.seq, format, base.as_ref().map(|b| b.seq)));
        if c.key != key {
            let mut rendered = payload::render_within(msg.payload(), decoder, MAX_LINES, MAX_TEXT_BYTES);
            c.body = match &base {
                Some(old) => super::history_view::compare_body(old, &msg, decoder),
                None => body(&mut rendered, self.store.properties(&msg)),
            };
            c.body_bytes = line_bytes(&c.body);
            c.body_gen += 1;
            c.rendered = Some(rendered);
            c.key = key;
        }
        let shown = (node, msg.seq, format);
        if self.detail_cache.default_fields.as_ref().map(|(k, _)| *k) != Some(shown) {
            let first = self.numeric_candidates().into_iter().take(1).collect();
            self.detail_cache.default_fields = Some((shown, first));
        }
        let fields = self.chart_fields(node);
        let history: Vec<_> = self.store.history(node).cloned().collect();
        let c = &mut self.detail_cache;
        let values_key = Some((node, format, fields.clone()));
        if c.values_key != values_key {
            c.values.clear();
            c.diffs.clear();
            c.values_key = values_key;
        }
        let kept: HashSet<u64> = history.iter().map(|m| m.seq).collect();
        c.values.retain(|seq, _| kept.contains(seq));
        let mut decoded = Decoded::default();
        for m in &history {
            if let Entry::Vacant(slot) = c.values.entry(m.seq) {
                let row = if format == PayloadFormat::Sparkplug {
                    // Reads the metrics charted without making JSON of all of them.
                    fields.iter().map(|f| payload::field_value(m.payload(), decoder, f)).collect()
                } else {
                    let value = decoded.get(m, decoder);
                    fields.iter().map(|f| payload::field_value_decoded(m.payload(), value, format, f)).collect()
                };
                slot.insert(row);
            }
        }
        let rows: Vec<(u64, &[Option<f64>])> =
            history.iter().map(|m| (m.at_ms, c.values.get(&m.seq).map_or(&[][..], Vec::as_slice))).collect();
        c.chart = super::chart::Chart::build(&fields, &rows);
        c.chart_fields = fields;
        self.lay_out_body();
        self.refresh_diffs(node, &history, decoded);
        self.refresh_json_tree();
    }

    /// Works out the change from the previous message for the history rows on screen (the only
    /// place it shows), once per message: a flood brings more messages a frame than the list has
    /// rows, and each change decodes two payloads.
    fn refresh_diffs(&mut self, node: NodeId, history: &[StoredMessage], mut decoded: Decoded) {
        let rows = self.detail_parts().map_or(0, |p| usize::from(p.history.height.saturating_sub(1)));
        let listed: Vec<usize> = self.history_rows(node, rows).iter().map(|(i, _)| *i).collect();
        let format = self.payload_format(node);
        let decoder = Decoder::for_topic(format, &self.sparkplug, &self.config.protos, self.tree.node(node).path());
        let c = &mut self.detail_cache;
        let kept: HashSet<u64> = history.iter().map(|m| m.seq).collect();
        c.diffs.retain(|seq, _| kept.contains(seq));
        for i in listed {
            let (Some(prev), Some(cur)) = (i.checked_sub(1).and_then(|p| history.get(p)), history.get(i)) else {
                continue;
            };
            if let Entry::Vacant(slot) = c.diffs.entry(cur.seq) {
                decoded.get(prev, decoder);
                decoded.get(cur, decoder);
                let (before, after) = (decoded.value(prev.seq), decoded.value(cur.seq));
                slot.insert(payload::diff_decoded((prev.payload(), before), (cur.payload(), after), format));
            }
        }
    }
}

/// Payloads of the shown topic decoded in this refresh, by message seq, so that a message's chart
/// values and the changes to and from it decode it once.
#[derive(Default)]
struct Decoded(HashMap<u64, Option<serde_json::Value>>);

impl Decoded {
    fn get(&mut self, m: &StoredMessage, decoder: Decoder<'_>) -> Option<&serde_json::Value> {
        self.0.entry(m.seq).or_insert_with(|| payload::decode(m.payload(), decoder).ok().flatten()).as_ref()
    }

    fn value(&self, seq: u64) -> Option<&serde_json::Value> {
        self.0.get(&seq).and_then(Option::as_ref)
    }
}

/// Memory held by `lines`: each line's vector and each token's string.
pub(super) fn line_bytes(lines: &[Line]) -> usize {
    lines.iter().map(|l| 24 + l.iter().map(|(_, t)| 40 + t.len()).sum::<usize>()).sum()
}

/// The body lines of one message: why its view failed, its rendered lines (moved out of `rendered`),
/// a note when they were cut, and its MQTT 5 properties.
fn body(rendered: &mut Rendered, props: &Properties) -> Vec<Line> {
    let mut lines = Vec::with_capacity(rendered.lines.len() + 3 + props.0.len());
    if let Some(err) = &rendered.error {
        lines.push(vec![(TokenKind::Error, sanitize::line(err).into_owned())]);
    }
    lines.append(&mut rendered.lines);
    if rendered.truncated {
        let note =
            format!("… (cut: the pane shows at most {MAX_LINES} lines and {} MiB of text)", MAX_TEXT_BYTES >> 20);
        lines.push(vec![(TokenKind::Punct, note)]);
    }
    if !props.is_empty() {
        lines.push(vec![(TokenKind::Punct, "── properties".to_string())]);
        lines.extend(props.iter().map(property_line));
    }
    lines
}

fn property_line(p: &Property) -> Line {
    let (name, value) = match p {
        Property::UserProperty(k, v) => (format!("user {}", sanitize::line(k)), sanitize::line(v).into_owned()),
        Property::ContentType(s) | Property::ResponseTopic(s) => {
            (p.id().name().to_string(), sanitize::line(s).into_owned())
        }
        Property::CorrelationData(b) => (p.id().name().to_string(), sanitize::bytes(b, false).into_owned()),
        Property::PayloadFormatIndicator(v) => {
            (p.id().name().to_string(), if *v == 1 { "1 (UTF-8)".into() } else { "0 (bytes)".into() })
        }
        Property::MessageExpiryInterval(v) => (p.id().name().to_string(), format!("{v} s")),
        Property::SubscriptionIdentifier(v) => (p.id().name().to_string(), v.to_string()),
        Property::TopicAlias(v) => (p.id().name().to_string(), v.to_string()),
        other => (other.id().name().to_string(), sanitize::line(&format!("{other:?}")).into_owned()),
    };
    vec![(TokenKind::Key, format!("{name}: ")), (TokenKind::Plain, value)]
}

impl App {
    /// Where the detail pane's head, body, chart and history go now, or `None` when it is not on
    /// screen. The head has a second row (the position line) when the body holds more rows than fit,
    /// a search is active, or lines are not wrapped.
    pub fn detail_parts(&self) -> Option<Parts> {
        let inner = layout::inner(self.areas().detail?);
        let c = &self.detail_cache;
        let chartable = c.chart.drawable();
        let history = self.detail_topic().map_or(0, |id| self.store.history(id).len());
        let schema = reader::schema_rows(self.detail_message().and_then(|m| self.store.verdict(m)).map(|v| &**v));
        let one = reader::split(inner, chartable, history, 1, schema);
        let two = c.rows.len() > usize::from(one.body.height)
            || self.detail.find.is_some()
            || self.detail.nowrap
            || self.detail.tree;
        Some(if two { reader::split(inner, chartable, history, 2, schema) } else { one })
    }

    /// Lays the body out at the body's width (when it or the wrap mode changed), re-runs the
    /// search on a new body, and keeps the scroll offsets within it.
    fn lay_out_body(&mut self) {
        let width = self.areas().detail.map_or(0, |r| usize::from(layout::inner(r).width));
        let wrap = !self.detail.nowrap;
        let c = &mut self.detail_cache;
        if c.rows_key != Some((c.body_gen, width, wrap)) {
            (c.rows, c.widest) = reader::layout(&c.body, width, wrap);
            c.rows_key = Some((c.body_gen, width, wrap));
        }
        self.refresh_matches();
        self.clamp_scroll();
    }

    /// Runs the payload search again when the body or the search changed.
    pub(super) fn refresh_matches(&mut self) {
        let c = &mut self.detail_cache;
        let Some(filter) = &self.detail.find else {
            c.matches = Vec::new();
            c.matches_key = None;
            return;
        };
        let key = Some((c.body_gen, filter.source()));
        if c.matches_key != key {
            (c.matches, c.matches_capped) = reader::find(&c.body, filter);
            c.matches_key = key;
            self.detail.find_at = self.detail.find_at.min(c.matches.len().saturating_sub(1));
        }
    }

    /// Rows the body shows at once.
    pub fn detail_page(&self) -> usize {
        self.detail_parts().map_or(10, |p| usize::from(p.body.height).max(1))
    }

    /// Keeps the body's offsets where there is something to see: never past the last row, and
    /// never right of the widest line.
    pub(super) fn clamp_scroll(&mut self) {
        let page = self.detail_page();
        let c = &self.detail_cache;
        self.detail.scroll = self.detail.scroll.min(reader::max_scroll(c.rows.len(), page));
        let width = self.detail_parts().map_or(0, |p| usize::from(p.body.width));
        self.detail.hscroll =
            if self.detail.nowrap { self.detail.hscroll.min(c.widest.saturating_sub(width / 2)) } else { 0 };
    }

    /// Scrolls the body by `delta` rows, within it.
    pub(super) fn scroll_detail(&mut self, delta: i64) {
        let to = (self.detail.scroll as i64).saturating_add(delta).max(0);
        self.detail.scroll = usize::try_from(to).unwrap_or(usize::MAX);
        self.clamp_scroll();
    }

    /// Makes match `i` (wrapping around) the current one and brings it into view.
    pub(super) fn show_match(&mut self, i: usize) {
        let c = &self.detail_cache;
        let Some(count) = std::num::NonZeroUsize::new(c.matches.len()) else { return };
        let i = i % count;
        self.detail.find_at = i;
        let m = c.matches[i];
        let row = reader::row_of(&c.rows, m);
        let page = self.detail_page();
        // A match jumped to sits a few rows below the top, so its context shows.
        if row < self.detail.scroll || row >= self.detail.scroll + page {
            self.detail.scroll = row.saturating_sub(page / 4);
        }
        if self.detail.nowrap {
            let width = self.detail_parts().map_or(1, |p| usize::from(p.body.width).max(1));
            let col = self.detail_cache.body.get(m.line).map_or(0, |l| reader::column_of(l, m.start));
            if col < self.detail.hscroll || col >= self.detail.hscroll + width {
                self.detail.hscroll = col.saturating_sub(width / 3);
            }
        }
        self.clamp_scroll();
    }

    /// The first match at or below the top row, for a new search.
    pub(super) fn first_match_in_view(&self) -> usize {
        let c = &self.detail_cache;
        let top = c.rows.get(self.detail.scroll).map_or(0, |r| r.line as usize);
        c.matches.iter().position(|m| m.line >= top).unwrap_or(0)
    }
}
