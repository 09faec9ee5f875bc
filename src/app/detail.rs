//! What the detail pane shows, computed once per message rather than once per frame: decoding a
//! large payload can take tens of milliseconds, a frame has eight.

use super::App;
use super::topics::NodeId;
use crate::payload::{self, Decoder, PayloadFormat, Rendered};
use std::collections::HashMap;

/// Most lines a payload is rendered to.
pub const MAX_LINES: usize = 2_000;

#[derive(Debug, Default)]
pub struct DetailCache {
    /// (message seq, view) the rendering belongs to.
    key: Option<(u64, PayloadFormat)>,
    pub rendered: Option<Rendered>,
    /// Change from the previous message, by the later message's seq.
    pub diffs: HashMap<u64, Option<String>>,
    /// Chart values by message seq, one per charted field.
    values: HashMap<u64, Vec<Option<f64>>>,
    values_key: Option<(NodeId, PayloadFormat, Vec<String>)>,
    /// Points per charted field: (seconds since the first kept message, value).
    pub chart: Vec<Vec<(f64, f64)>>,
    pub chart_fields: Vec<String>,
}

impl DetailCache {
    /// Memory the decoded view and the diffs hold, for the budget.
    pub fn bytes(&self) -> usize {
        let rendered = self.rendered.as_ref().map_or(0, |r| {
            r.lines.iter().map(|l| 24 + l.iter().map(|(_, t)| 40 + t.len()).sum::<usize>()).sum::<usize>()
        });
        let diffs: usize = self.diffs.values().map(|d| 48 + d.as_ref().map_or(0, String::len)).sum();
        let values: usize = self.values.values().map(|v| 48 + v.len() * 16).sum();
        rendered + diffs + values + self.chart.iter().map(|c| c.len() * 16).sum::<usize>()
    }
}

impl App {
    /// Brings the detail cache up to date with the shown topic and message.
    pub(super) fn refresh_detail(&mut self) {
        let (Some(node), Some(msg)) = (self.detail_topic(), self.detail_message().cloned()) else {
            self.detail_cache = DetailCache::default();
            return;
        };
        let format = self.payload_format(node);
        let decoder = Decoder::for_topic(format, &self.sparkplug, self.tree.node(node).path());
        let c = &mut self.detail_cache;
        if c.key != Some((msg.seq, format)) {
            c.rendered = Some(payload::render(&msg.payload, decoder, MAX_LINES));
            c.key = Some((msg.seq, format));
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
        c.diffs.retain(|seq, _| history.iter().any(|m| m.seq == *seq));
        c.values.retain(|seq, _| history.iter().any(|m| m.seq == *seq));
        for pair in history.windows(2) {
            c.diffs.entry(pair[1].seq).or_insert_with(|| payload::diff(&pair[0].payload, &pair[1].payload, decoder));
        }
        for m in &history {
            c.values
                .entry(m.seq)
                .or_insert_with(|| fields.iter().map(|f| payload::field_value(&m.payload, decoder, f)).collect());
        }
        let t0 = history.first().map_or(0, |m| m.at_ms);
        c.chart = (0..fields.len())
            .map(|i| {
                history
                    .iter()
                    .filter_map(|m| {
                        let v = c.values.get(&m.seq)?.get(i).copied().flatten()?;
                        Some(((m.at_ms.saturating_sub(t0)) as f64 / 1000.0, v))
                    })
                    .collect()
            })
            .collect();
        c.chart_fields = fields;
    }
}
