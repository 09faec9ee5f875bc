//! The JSON tree in the detail pane (`T`): building it for the shown message, its keys, and what a
//! selected value can be used for (copied, charted, added as a watch column). The tree itself is
//! `json_tree.rs`.

use super::json_tree::{self, Move, Tree};
use super::keys::is;
use super::layout::Pane;
use super::topics::NodeId;
use super::watch::FieldSpec;
use super::{App, Effect, Key};
use crate::payload::{self, Decoder, PayloadFormat, VALUE_FIELD};
use crate::sanitize;
use crossterm::event::KeyCode;
use serde_json::Value;

/// The value a tree shows for `payload` in `decoder`'s view, or why there is none.
fn tree_value(payload: &[u8], decoder: Decoder<'_>) -> Result<Value, String> {
    let decoder = match decoder.format {
        PayloadFormat::Text | PayloadFormat::Hex => {
            return Err(format!(
                "the {} view has no tree: JSON, MessagePack, CBOR, Sparkplug and Protobuf do (v switches the view)",
                decoder.format.name()
            ));
        }
        // Auto shows a JSON payload as JSON: decoding it as JSON says why when it is not.
        PayloadFormat::Auto => Decoder { format: PayloadFormat::Json, ..decoder },
        _ => decoder,
    };
    match payload::decode(payload, decoder) {
        Ok(Some(v)) => Ok(v),
        Ok(None) => Err("the payload does not decode to a value".into()),
        Err(e) => Err(e),
    }
}

impl App {
    /// The tree is on screen: chosen with `T`, a tree was built, and no comparison is shown.
    pub fn tree_shown(&self) -> bool {
        self.detail.tree && !self.detail.comparing && self.detail_cache.json.is_some()
    }

    /// Builds the tree for the shown message when it changed (once per message, never per frame),
    /// keeping the folds and the selection of the topic's previous message. Drops it when the tree is
    /// off, so its memory goes back.
    pub(super) fn refresh_json_tree(&mut self) {
        let shown = self.detail_topic().zip(self.detail_message().map(|m| m.seq));
        let (true, Some((node, seq))) = (self.detail.tree, shown) else {
            let c = &mut self.detail_cache;
            (c.json, c.json_key, c.json_error) = (None, None, None);
            return;
        };
        let format = self.payload_format(node);
        let key = Some((node, seq, format));
        if self.detail_cache.json_key == key {
            let height = self.detail_page();
            if let Some(t) = self.detail_cache.json.as_mut() {
                t.scroll_into_view(height);
            }
            return;
        }
        let same_topic = self.detail_cache.json_key.is_some_and(|(n, _, f)| n == node && f == format);
        let height = self.detail_page();
        let Some(msg) = self.detail_message().cloned() else { return };
        let decoded = tree_value(msg.payload(), self.decoder(node));
        let c = &mut self.detail_cache;
        c.json_key = key;
        match decoded {
            Ok(value) => {
                match c.json.as_mut() {
                    Some(tree) if same_topic => tree.reload(&value, height),
                    _ => c.json = Some(Tree::new(&value)),
                }
                c.json_error = None;
            }
            Err(e) => {
                c.json = None;
                c.json_error = Some(sanitize::line(&e).into_owned());
            }
        }
    }

    /// `T`: shows the tree of the payload in the detail pane (and focuses it), or the text again.
    pub(super) fn toggle_tree(&mut self) {
        self.detail.tree = !self.detail.tree;
        if !self.detail.tree {
            self.refresh_json_tree();
            return;
        }
        self.focus = Pane::Detail;
        self.refresh_json_tree();
        if let Some(e) = self.detail_cache.json_error.clone() {
            self.notify(format!("no tree: {e}"));
        }
    }

    /// A key of the detail pane while the tree is shown; false when the tree does not use it.
    pub(super) fn json_tree_key(&mut self, key: Key) -> bool {
        let mv = match key.code {
            KeyCode::Up => Move::Up,
            KeyCode::Down => Move::Down,
            KeyCode::Char('k') if is(&key, 'k') => Move::Up,
            KeyCode::Char('j') if is(&key, 'j') => Move::Down,
            KeyCode::PageUp => Move::PageUp,
            KeyCode::PageDown => Move::PageDown,
            KeyCode::Home => Move::Home,
            KeyCode::End => Move::End,
            KeyCode::Char('g') if is(&key, 'g') => Move::Home,
            KeyCode::Char('G') => Move::End,
            KeyCode::Left => Move::Fold,
            KeyCode::Char('h') if is(&key, 'h') => Move::Fold,
            KeyCode::Right => Move::Unfold,
            KeyCode::Char('l') if is(&key, 'l') => Move::Unfold,
            KeyCode::Enter => Move::Toggle,
            KeyCode::Char('E') => Move::UnfoldAll,
            KeyCode::Char('C') => Move::FoldAll,
            KeyCode::Char('a') if is(&key, 'a') => {
                self.chart_tree_field();
                return true;
            }
            KeyCode::Char('+') => {
                self.watch_tree_field();
                return true;
            }
            KeyCode::Char('W' | 'n' | 'N') => {
                self.notify("the tree has no long lines or search: T shows the text again".into());
                return true;
            }
            _ => return false,
        };
        self.move_json_tree(mv);
        true
    }

    pub(super) fn move_json_tree(&mut self, mv: Move) {
        let height = self.detail_page();
        if let Some(t) = self.detail_cache.json.as_mut() {
            t.apply(mv, height);
        }
    }

    /// The selected value's field, as charts and watch columns name fields: its JSON pointer, or for
    /// a Sparkplug metric's value `/metrics/NAME`. With the payload decoded, for `y`.
    fn tree_selection(&self) -> Option<(NodeId, String, Value)> {
        let node = self.detail_topic()?;
        let tree = self.detail_cache.json.as_ref()?;
        let msg = self.detail_message()?;
        let root = tree_value(msg.payload(), self.decoder(node)).ok()?;
        let slots = tree.selected_slots();
        let value = json_tree::value_at(&root, &slots)?.clone();
        let mut field = tree.selected_path();
        if self.payload_format(node) == PayloadFormat::Sparkplug
            && let [m, i, v] = slots[..]
            && let Some((key, Value::Array(metrics))) = root.as_object().and_then(|o| o.iter().nth(m as usize))
            && key == "metrics"
            && let Some(Value::Object(metric)) = metrics.get(i as usize)
            && metric.keys().nth(v as usize).is_some_and(|k| k == "value")
            && let Some(name) = metric.get("name").and_then(Value::as_str)
        {
            field = "/metrics".into();
            payload::pointer_segment(&mut field, name);
        }
        if field.is_empty() {
            field = VALUE_FIELD.into();
        }
        Some((node, field, value))
    }

    /// `y` / `Y` with the tree shown: the selected value (strings as their text, the rest as
    /// JSON) or its path.
    pub(super) fn copy_tree_selection(&mut self, path: bool) {
        let Some((_, _, value)) = self.tree_selection() else { return };
        let pointer = self.detail_cache.json.as_ref().map(Tree::selected_path).unwrap_or_default();
        let shown = if pointer.is_empty() { "(the root)".to_owned() } else { pointer.clone() };
        let (text, what) = if path {
            (pointer, format!("path {shown}"))
        } else {
            let text = match &value {
                Value::String(s) => s.clone(),
                v => serde_json::to_string_pretty(v).unwrap_or_default(),
            };
            let what = format!("value at {shown} ({} B)", text.len());
            (text, what)
        };
        if text.len() > super::clipboard::MAX_COPY {
            self.notify(format!("the {what} is too large to copy (over {} KiB)", super::clipboard::MAX_COPY / 1024));
            return;
        }
        self.effects.push(Effect::Copy(text));
        self.notify(format!("copied the {what} to the clipboard"));
    }

    /// `a`: charts the selected number beside the fields already charted (again: removes it).
    fn chart_tree_field(&mut self) {
        let numeric = self.detail_cache.json.as_ref().is_some_and(Tree::selected_numeric);
        let Some((node, field, _)) = self.tree_selection() else { return };
        let shown = sanitize::line(&field).into_owned();
        if !numeric {
            self.notify(format!("{shown} is not a number to chart (+ adds any value to the watch list)"));
            return;
        }
        if self.toggle_chart_field(node, field) {
            self.notify(format!("charting {shown} (a again removes it; c lists the fields)"));
        } else {
            self.notify(format!("{shown} is no longer charted"));
        }
    }

    /// Adds `field` to the topic's chart, keeping the fields charted now (the default one too), or
    /// removes it when charted. True when it was added.
    pub(super) fn toggle_chart_field(&mut self, node: NodeId, field: String) -> bool {
        let current = self.chart_fields(node);
        let chosen = self.detail.chart_fields.entry(node).or_insert(current);
        match chosen.iter().position(|f| *f == field) {
            Some(i) => {
                chosen.remove(i);
                false
            }
            None => {
                chosen.push(field);
                true
            }
        }
    }

    /// `+`: adds the selected value as a column of the current watch list (and its topic as a row).
    fn watch_tree_field(&mut self) {
        let leaf = self.detail_cache.json.as_ref().and_then(Tree::selected_kind).is_some_and(|k| !k.is_container());
        let Some((node, field, _)) = self.tree_selection() else { return };
        let shown = sanitize::line(&field).into_owned();
        if !leaf {
            self.notify(format!("{shown} holds values: pick one of them to watch"));
            return;
        }
        let topic = self.tree.node(node).path().to_string();
        let title = column_title(&field);
        let list = sanitize::line(&self.watch.current().list.name).into_owned();
        let spec = if field == VALUE_FIELD { FieldSpec::Auto } else { FieldSpec::Pointer(field.clone()) };
        let added = self.watch.add_column(&topic, &title, spec);
        if let Some(m) = self.store.latest(node).cloned() {
            let decoder = Decoder::for_topic(self.payload_format(node), &self.sparkplug, &self.config.protos, &topic);
            if added.topic {
                self.watch.on_message_as(node, &topic, m.payload(), m.at_ms, m.invalid(), &|| decoder);
            } else if let Some(col) = added.column {
                self.watch.fill_column(node, col, m.payload(), decoder);
            }
        }
        let text = match (added.topic, added.column) {
            (_, None) => format!("{shown} is already a column of list '{list}'"),
            (true, Some(_)) => {
                format!("watching {shown} as column '{title}' of list '{list}', with its topic (w shows it)")
            }
            (false, Some(_)) => format!("watching {shown} as column '{title}' of list '{list}' (w shows it)"),
        };
        self.notify(text);
    }
}

/// A watch column's title for a field: its last pointer segment (`/sensors/3/temp` → `temp`).
fn column_title(field: &str) -> String {
    let last = field.rsplit('/').next().unwrap_or(field);
    let last = if last.is_empty() { VALUE_FIELD } else { last };
    sanitize::line(&last.replace("~1", "/").replace("~0", "~")).chars().take(24).collect()
}

#[cfg(test)]
#[path = "payload_tree_tests.rs"]
mod tests;
