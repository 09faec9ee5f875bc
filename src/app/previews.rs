//! One-line previews in each topic's payload view (MessagePack, CBOR, Sparkplug B and Protobuf
//! topics preview as their decoded value, not as hex) for the tree, the log and the history list.
//! Decoding is the costly part, so it is done once per message, for the rows on screen only, and
//! the results are kept while those rows stay on screen.

use super::App;
use super::layout;
use super::store::StoredMessage;
use super::topics::NodeId;
use crate::payload::{self, PayloadFormat};
use std::collections::HashMap;

/// Characters a kept preview holds: more than any row shows.
const PREVIEW_CHARS: usize = 400;

/// Previews of the messages on screen, by message seq, with the view they were made in.
#[derive(Debug, Default)]
pub struct Previews {
    by_seq: HashMap<u64, (PayloadFormat, Box<str>)>,
}

impl Previews {
    /// Memory the previews hold, for the budget.
    pub fn bytes(&self) -> usize {
        self.by_seq.values().map(|(_, s)| 64 + s.len()).sum()
    }
}

/// Views whose preview decodes the payload, and so is kept.
fn decodes(format: PayloadFormat) -> bool {
    matches!(
        format,
        PayloadFormat::MsgPack
            | PayloadFormat::Cbor
            | PayloadFormat::Sparkplug
            | PayloadFormat::Protobuf
            | PayloadFormat::RawProtobuf
    )
}

impl App {
    /// The one-line preview of message `seq` on `topic`, of which `payload` is at hand (the whole
    /// payload, or its first bytes when `total` is larger), in the topic's view, cut to `room`.
    pub fn preview(&self, topic: NodeId, seq: u64, payload: &[u8], total: usize, room: usize) -> String {
        let decoder = self.decoder(topic);
        match self.previews.by_seq.get(&seq) {
            Some((format, text)) if *format == decoder.format => payload::fit(text, room),
            _ => payload::preview_in(payload, total, decoder, room),
        }
    }

    /// The history list's rows: at most `rows` of the topic's kept messages, newest first, scrolled
    /// so the shown one is among them; each with its place in the history (0 is the oldest).
    pub fn history_rows(&self, node: NodeId, rows: usize) -> Vec<(usize, &StoredMessage)> {
        let history: Vec<&StoredMessage> = self.store.history(node).collect();
        let shown = self.detail_message().map(|m| m.seq);
        let from_newest = shown.and_then(|s| history.iter().rev().position(|m| m.seq == s)).unwrap_or(0);
        let skip = (from_newest + 1).saturating_sub(rows);
        history.into_iter().enumerate().rev().skip(skip).take(rows).collect()
    }

    /// Makes the previews of the rows on screen (tree, log, history list, a level's summary) in
    /// their topics' views, and forgets those no longer on screen.
    pub(super) fn refresh_previews(&mut self) {
        let mut shown: Vec<(NodeId, u64)> = Vec::new();
        let areas = self.areas();
        if let Some(r) = areas.tree {
            let height = usize::from(layout::inner(r).height);
            for &id in self.tree.cached_rows().iter().skip(self.tree_view.offset).take(height) {
                if let Some(m) = self.store.latest(id) {
                    shown.push((id, m.seq));
                }
            }
        }
        if let Some(r) = areas.log {
            let rows = self.log_rows(usize::from(layout::inner(r).height));
            shown.extend(rows.iter().map(|e| (e.topic, e.seq)));
        }
        if let (Some(node), Some(parts)) = (self.detail_topic(), self.detail_parts()) {
            let rows = usize::from(parts.history.height.saturating_sub(1));
            shown.extend(self.history_rows(node, rows).iter().map(|(_, m)| (node, m.seq)));
            let n = self.tree.node(node);
            if !n.is_topic {
                let limit = self.detail.scroll.saturating_add(usize::from(parts.body.height));
                shown.extend(n.children.iter().take(limit).filter_map(|&c| Some((c, self.store.latest(c)?.seq))));
            }
        }
        let mut made = Vec::new();
        for &(topic, seq) in &shown {
            let decoder = self.decoder(topic);
            if !decodes(decoder.format) || self.previews.by_seq.get(&seq).is_some_and(|(f, _)| *f == decoder.format) {
                continue;
            }
            let text = match self.store.get(topic, seq) {
                Some(m) => payload::preview_in(m.payload(), m.payload().len(), decoder, PREVIEW_CHARS),
                // Gone from history: the log entry's first bytes are all there is.
                None => match self.store.log().get(seq) {
                    Some(e) => payload::preview_in(&e.head, e.len, decoder, PREVIEW_CHARS),
                    None => continue,
                },
            };
            made.push((seq, (decoder.format, text.into_boxed_str())));
        }
        self.previews.by_seq.extend(made);
        if self.previews.by_seq.len() > shown.len() {
            let keep: std::collections::HashSet<u64> = shown.iter().map(|(_, s)| *s).collect();
            self.previews.by_seq.retain(|seq, _| keep.contains(seq));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::tests::{T0, feed, key, msg};
    use crate::app::{AppEvent, Config, layout::Pane};
    use crossterm::event::KeyCode;

    /// `{"t":21.5,"ok":true}` in MessagePack and in CBOR.
    pub(crate) const MSGPACK: &[u8] = b"\x82\xa1t\xcb\x40\x35\x80\0\0\0\0\0\xa2ok\xc3";
    pub(crate) const CBOR: &[u8] = b"\xa2\x61t\xfb\x40\x35\x80\0\0\0\0\0\x62ok\xf5";

    fn configured() -> App {
        let views =
            vec![("plant/mp/#".to_string(), PayloadFormat::MsgPack), ("plant/cb/#".to_string(), PayloadFormat::Cbor)];
        let mut a = App::new(Config { payload_views: views, ..Config::default() }, T0);
        a.apply(AppEvent::Resize { width: 160, height: 48 });
        a
    }

    fn preview_of(a: &App, topic: &str) -> String {
        let id = a.tree.find(topic).expect("topic");
        let m = a.store.latest(id).expect("message");
        a.preview(id, m.seq, m.payload(), m.payload().len(), 60)
    }

    #[test]
    fn msgpack_and_cbor_topics_preview_as_decoded_values() {
        let mut a = configured();
        feed(&mut a, vec![msg("plant/mp/temp", MSGPACK, T0), msg("plant/cb/temp", CBOR, T0 + 1)]);
        assert_eq!(preview_of(&a, "plant/mp/temp"), r#"{"t":21.5,"ok":true}"#);
        assert_eq!(preview_of(&a, "plant/cb/temp"), r#"{"t":21.5,"ok":true}"#);
        assert_eq!(a.previews.by_seq.len(), 2, "both rows are on screen and kept");
    }

    #[test]
    fn the_preview_follows_the_view_chosen_with_v() {
        let mut a = configured();
        feed(&mut a, vec![msg("plant/mp/temp", MSGPACK, T0)]);
        a.tree_view.selected = a.tree.find("plant/mp/temp");
        a.focus = Pane::Detail;
        key(&mut a, KeyCode::Char('v'));
        assert_eq!(a.payload_format(a.tree.find("plant/mp/temp").expect("topic")), PayloadFormat::Cbor);
        assert!(preview_of(&a, "plant/mp/temp").starts_with("<not valid cbor> <16 bytes binary> 82 a1"));
    }

    #[test]
    fn only_rows_on_screen_are_decoded_and_kept() {
        let mut a = configured();
        a.apply(AppEvent::Resize { width: 80, height: 24 });
        let msgs = (0..500u64).map(|i| msg(&format!("plant/mp/m{i:03}"), MSGPACK, T0 + i)).collect();
        feed(&mut a, msgs);
        a.tree.set_all_expanded(true);
        a.prepare();
        let kept = a.previews.by_seq.len();
        assert!(kept > 0 && kept <= 48, "{kept} previews kept for a 24-row screen");
    }

    #[test]
    fn a_payload_too_large_to_preview_shows_its_first_bytes() {
        let mut a = configured();
        let mut big = vec![0xdc, 0xff, 0xff]; // array 16: 65,535 nils
        big.resize(payload::PREVIEW_DECODE_BYTES + 1, 0xc0);
        feed(&mut a, vec![msg("plant/mp/big", &big, T0)]);
        assert!(preview_of(&a, "plant/mp/big").starts_with("<16385 bytes binary> dc ff ff c0"));
    }
}
