//! Keys and mouse: what each does, per pane. The help overlay and the README list the same keys
//! (`HELP`), and a test checks every entry here is listed there.

use super::layout::{self, Pane};
use super::reader;
use super::topics::{NodeId, ROOT, TopicFilter};
use super::{App, Effect, Prompt, PromptKind, Recording, TextFilter, View};
use crate::payload;
pub use crossterm::event::KeyEvent as Key;
use crossterm::event::{KeyCode, KeyModifiers};

/// The group of the player's keys, shown in a replay instead of the publish pane's.
pub const REPLAY_GROUP: &str = "Replay (mqscope replay FILE)";
/// The groups the help leaves out in a replay: there is no broker to publish or subscribe to.
pub const PUBLISH_GROUP: &str = "Publish pane";
pub const SUBS_GROUP: &str = "Subscriptions (u)";

/// Every key, grouped, as the help overlay shows it.
pub const HELP: &[(&str, &[(&str, &str)])] = &[
    (
        "Everywhere",
        &[
            ("q, Ctrl-C", "quit (on this help, q only closes it)"),
            ("?", "show this help (↑ ↓ PgUp PgDn scroll it, any other key, q too, closes it)"),
            ("Tab, Shift-Tab", "next / previous pane"),
            ("space", "pause / resume the message log (counting goes on)"),
            ("/", "filter the focused pane (tree: text or MQTT filter; log: text or /regex/); detail: search"),
            ("Esc", "close help or prompt, clear the focused pane's filter or search"),
            ("w", "switch between the dashboard and the watch view"),
            ("r", "start / stop recording received messages to mqscope-<time>.jsonl (see replay)"),
            ("p", "publish pane (topic from the selection)"),
            ("P", "publish pane filled from the shown message, to resend or edit"),
            ("s", "subscribe to a filter (Tab picks the QoS)"),
            ("u", "subscriptions with their SUBACK results; u there unsubscribes"),
            ("R", "retained messages: audit and clear"),
            ("t", "traffic: busiest topics and subtrees, QoS, sizes, $SYS"),
            ("S", "Sparkplug B: groups, edge nodes, devices, their metrics; rebirth requests"),
            ("y, Y", "copy the selected payload / topic to the clipboard (OSC 52)"),
            ("mouse", "click selects, wheel scrolls"),
            ("F12", "frame timer: frame and key times (p50, p99, max) on screen"),
        ],
    ),
    (
        "Brokers and tabs",
        &[
            ("A", "add a broker in a new tab (a saved profile or a new connection)"),
            ("Alt-1…9, { }", "show that tab; previous / next tab (two brokers or more)"),
            ("X, B", "close the shown tab (Enter or y confirms); compare two tabs"),
        ],
    ),
    (
        PUBLISH_GROUP,
        &[
            ("Tab, Shift-Tab", "next / previous field: topic, payload, QoS, retain, content type, properties"),
            ("Ctrl-S, F5", "send (Enter breaks lines in the payload)"),
            ("Ctrl-↑ ↓, Alt-↑ ↓", "recall older / newer sent messages to edit"),
            ("F2", "load the next saved template ({{now}} {{counter}} {{uuid}} {{random A B}} filled at send)"),
            ("F6", "repeat: send the form at the template's rate until F6 again"),
            ("0-2, ← →, space", "QoS field: set / cycle; retain field: space toggles"),
            ("Esc", "close (the form is kept)"),
        ],
    ),
    (SUBS_GROUP, &[("↑ ↓, k j", "move"), ("u, d, Enter", "unsubscribe the selected filter"), ("Esc", "back")]),
    (
        "Retained view (R)",
        &[
            ("↑ ↓, k j, PgUp PgDn", "move"),
            ("space", "mark / unmark the topic"),
            ("a", "mark the selected topic's subtree; again: one level up"),
            ("d, Del", "clear the marked topics (or the selected one) after a confirmation"),
            ("f", "fresh snapshot: ask the broker which topics hold a retained message now"),
            ("Enter / Esc", "on the confirmation: clear / cancel"),
            ("Esc", "unmark all, then back"),
        ],
    ),
    (
        "Sparkplug view (S)",
        &[("↑ ↓ k j, b, Esc", "move (metrics of the selection below); rebirth request (Enter / y confirms); back")],
    ),
    (
        "Traffic view (t)",
        &[
            ("b", "rank by messages/s or bytes/s"),
            ("< >, [ ]", "subtree level (in a replay < > set the speed: use [ ])"),
            ("$", "subscribe to $SYS/# for the broker's statistics"),
            ("Esc", "back"),
        ],
    ),
    (
        "Topic tree",
        &[
            ("↑ ↓, k j", "move"),
            ("PgUp PgDn, Home End, g G", "move by page / to the ends"),
            ("← h, → l", "fold or go to parent / unfold or go to child"),
            ("Enter", "fold or unfold"),
            ("E, C", "unfold all / fold all (100+ topics open folded)"),
            ("H", "hide / show topics whose retained was cleared"),
            ("Del, x", "clear the retained messages of the topic or subtree (confirm)"),
            ("o", "order by name, last activity or rate"),
            ("v", "switch payload view: auto, json, text, hex, msgpack, cbor, sparkplug, protobuf, raw-protobuf"),
            ("D", "clear the selected topic's history (and chart)"),
            ("+", "add the selected topic to the current watch list"),
        ],
    ),
    (
        "Watch view",
        &[
            ("Tab", "next watch list"),
            ("0-9", "sort by that column (0 = topic); again reverses"),
            ("i", "alert on schema-invalid rows (again: off)"),
            ("Esc, w", "back to the dashboard"),
        ],
    ),
    (
        "Message log",
        &[
            ("↑ ↓, k j", "select older / newer message (leaves follow mode)"),
            ("End, G, F", "follow the newest message"),
            ("f", "search; n / N next / previous match"),
            ("a, i", "only the selected subtree / only schema-invalid ones (again: all)"),
        ],
    ),
    (
        "Detail",
        &[
            ("↑ ↓, k j", "scroll a row (never past the end)"),
            ("PgUp PgDn", "scroll a page"),
            ("Home End, g G", "to the top / the end of the payload"),
            ("W", "wrap long lines (the default) or show them whole"),
            ("← →, h l", "unwrapped: scroll sideways"),
            ("/", "search the payload (text, or /regex/); Esc ends the search"),
            ("n, N", "next / previous match"),
            ("[ ]", "show the older / newer history entry (past the newest: follow new messages)"),
            ("m", "mark the shown entry to compare (again: unmark)"),
            ("=", "compare the marked entry with the shown one: every added, removed and changed field"),
            ("v", "switch payload view"),
            ("c", "choose the fields to chart (space toggles, Enter closes)"),
            ("D", "clear the topic's history (and chart)"),
            ("T", "the payload as a foldable tree (T again: text)"),
            ("tree: ←→ Enter E C y Y a +", "fold/unfold, all; copy value/path; chart; watch"),
        ],
    ),
    (
        REPLAY_GROUP,
        &[
            ("space", "pause / play the replay, not the log (at the end: play again from the start)"),
            (".", "step: play the next message, then hold"),
            ("< >", "slower / faster: x0.25 to x64, then max (no waiting)"),
            (", ;  Shift-← →", "back / forward 10 s of the recording's clock"),
            ("J", "jump to: 12:30:00 (its clock), 90s or 1m30s (from its start), +10s, -1m, 50%, start, end"),
        ],
    ),
];

pub(super) fn is(key: &Key, c: char) -> bool {
    key.code == KeyCode::Char(c) && !key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
}

impl App {
    pub(super) fn on_key(&mut self, key: Key) {
        if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
            self.effects.push(Effect::Quit);
            return;
        }
        if key.code == KeyCode::F(12) {
            self.show_frame_stats = !self.show_frame_stats;
            return;
        }
        if self.prompt.is_some() {
            self.prompt_key(key);
            return;
        }
        if self.publisher.open {
            self.publish_key(key);
            return;
        }
        if self.retained.confirm.is_some() {
            self.confirm_key(key);
            return;
        }
        if self.sparkplug_view.confirm.is_some() {
            self.sparkplug_key(key);
            return;
        }
        if self.detail.picker.is_some() {
            self.picker_key(key);
            return;
        }
        if self.show_help {
            // Arrows and pages scroll a help taller than the screen; any other key, q included, only
            // closes it: a user leaving the help with q expects the dashboard, not to be thrown out.
            match key.code {
                KeyCode::Up | KeyCode::Char('k') => self.help_scroll = self.help_scroll.saturating_sub(1),
                KeyCode::Down | KeyCode::Char('j') => self.help_scroll = self.help_scroll.saturating_add(1),
                KeyCode::PageUp => self.help_scroll = self.help_scroll.saturating_sub(10),
                KeyCode::PageDown => self.help_scroll = self.help_scroll.saturating_add(10),
                _ => {
                    self.show_help = false;
                    self.help_scroll = 0;
                }
            }
            return;
        }
        if self.player_key(&key) {
            return;
        }
        match key.code {
            KeyCode::Char('q') if is(&key, 'q') => self.effects.push(Effect::Quit),
            KeyCode::Char('?') => self.show_help = true,
            KeyCode::Char('w') if is(&key, 'w') => {
                self.view = if self.view == View::Watch { View::Dashboard } else { View::Watch };
            }
            KeyCode::Char('r') if is(&key, 'r') => self.toggle_recording(),
            KeyCode::Char('R') => self.toggle_view(View::Retained),
            KeyCode::Char('t') if is(&key, 't') => self.toggle_view(View::Traffic),
            KeyCode::Char('S') => self.toggle_view(View::Sparkplug),
            KeyCode::Char('u') if is(&key, 'u') && self.view != View::Subscriptions => {
                self.toggle_view(View::Subscriptions)
            }
            // A replay has no broker: said at once, rather than a form whose sending goes nowhere.
            KeyCode::Char('s' | 'p') | KeyCode::Char('P')
                if self.config.replay.is_some()
                    && (is(&key, 's') || is(&key, 'p') || key.code == KeyCode::Char('P')) =>
            {
                self.notify(super::NO_BROKER.into())
            }
            KeyCode::Char('s') if is(&key, 's') => self.open_subscribe_prompt(),
            KeyCode::Char('p') if is(&key, 'p') => self.open_publisher(),
            KeyCode::Char('P') if self.view == View::Dashboard => self.publish_from_message(),
            KeyCode::Char('y') if is(&key, 'y') => self.copy(false),
            KeyCode::Char('Y') => self.copy(true),
            _ if self.view == View::Watch => self.watch_key(key),
            _ if self.view == View::Retained => self.retained_key(key),
            _ if self.view == View::Traffic => self.traffic_key(key),
            _ if self.view == View::Sparkplug => self.sparkplug_key(key),
            _ if self.view == View::Subscriptions => self.subs_key(key),
            KeyCode::Tab => self.focus = self.focus.next(),
            KeyCode::BackTab => self.focus = self.focus.prev(),
            KeyCode::Char(' ') => self.toggle_pause(),
            KeyCode::Char('/') => {
                if self.focus == Pane::Detail && self.tree_shown() {
                    self.notify("search works in the text: T shows the text again".into());
                    return;
                }
                let (kind, text) = match self.focus {
                    Pane::Log => (PromptKind::LogFilter, self.log_view.filter.as_ref().map(TextFilter::source)),
                    Pane::Detail => (PromptKind::DetailSearch, self.detail.find.as_ref().map(TextFilter::source)),
                    _ => (PromptKind::TreeFilter, self.tree.filter().map(filter_source)),
                };
                self.prompt = Some(Prompt { kind, text: text.unwrap_or_default(), error: None });
            }
            KeyCode::Esc => match self.focus {
                Pane::Log => self.set_log_filter(None),
                Pane::Detail if self.detail.comparing => self.toggle_compare(),
                Pane::Detail if self.detail.find.is_some() => self.start_detail_search(None),
                _ => self.set_tree_filter(None),
            },
            KeyCode::Char('T') => self.toggle_tree(),
            _ => match self.focus {
                Pane::Tree => self.tree_key(key),
                Pane::Log => self.log_key(key),
                Pane::Detail => self.detail_key(key),
            },
        }
    }

    /// `r`: starts recording received messages to a new `mqscope-<UTC time>.jsonl` in the current
    /// directory (`-1`, `-2`… added when the name is taken), or stops. The IO edge answers with
    /// `AppEvent::Recording`.
    fn toggle_recording(&mut self) {
        if let Recording::On { .. } = self.recording {
            self.effects.push(Effect::Record(None));
            return;
        }
        let stamp: String =
            crate::timefmt::rfc3339_millis(std::time::UNIX_EPOCH + std::time::Duration::from_millis(self.now_ms))
                .chars()
                .filter(|c| c.is_ascii_digit())
                .take(14)
                .collect();
        self.effects.push(Effect::Record(Some(format!("mqscope-{stamp}").into())));
    }

    /// Sets the tree filter and selects the first matching topic (its levels are shown unfolded),
    /// so Enter on a filter lands on what was asked for, not on the level above it.
    fn set_tree_filter(&mut self, f: Option<TopicFilter>) {
        self.tree.set_filter(f);
        self.tree_view.offset = 0;
        let now = self.now_ms;
        let Some(filter) = self.tree.filter().cloned() else { return };
        self.tree.rows_for(now, true);
        let rows = self.tree.cached_rows();
        let first = rows.iter().position(|&id| {
            let n = self.tree.node(id);
            n.is_topic && filter.matches(n.path())
        });
        if let Some(i) = first {
            self.tree_view.selected = Some(rows[i]);
            self.tree_view.row = i;
            self.detail.scroll = 0;
            self.detail.hscroll = 0;
        }
    }

    fn prompt_key(&mut self, key: Key) {
        let Some(p) = self.prompt.as_mut() else { return };
        match key.code {
            KeyCode::Esc => self.prompt = None,
            KeyCode::Backspace => {
                p.text.pop();
                p.error = None;
            }
            KeyCode::Tab | KeyCode::BackTab if matches!(p.kind, PromptKind::Subscribe(_)) => {
                if let PromptKind::Subscribe(q) = p.kind {
                    let next = (q.as_u8() + 1) % 3;
                    p.kind = PromptKind::Subscribe(crate::codec::QoS::from_u8(next).unwrap_or(q));
                }
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                p.text.push(c);
                p.error = None;
            }
            KeyCode::Enter => {
                let text = p.text.clone();
                match p.kind {
                    PromptKind::Subscribe(qos) => self.subscribe_from_prompt(&text, qos),
                    PromptKind::Jump => self.jump_from_prompt(&text),
                    PromptKind::TreeFilter => {
                        self.set_tree_filter(TopicFilter::parse(&text));
                        self.prompt = None;
                    }
                    PromptKind::DetailSearch => match TextFilter::parse(&text) {
                        Ok(f) => {
                            self.prompt = None;
                            self.start_detail_search(f);
                        }
                        Err(e) => p.error = Some(e),
                    },
                    PromptKind::LogFilter | PromptKind::LogSearch => match TextFilter::parse(&text) {
                        Ok(f) => {
                            let filter = p.kind == PromptKind::LogFilter;
                            self.prompt = None;
                            if filter {
                                self.set_log_filter(f);
                            } else {
                                self.set_log_search(f);
                                self.search(true);
                            }
                        }
                        Err(e) => p.error = Some(e),
                    },
                }
            }
            _ => {}
        }
    }

    fn tree_key(&mut self, key: Key) {
        let page = self.areas().tree.map_or(10, |r| usize::from(layout::inner(r).height.max(1)));
        match key.code {
            KeyCode::Up => self.move_tree(-1),
            KeyCode::Down => self.move_tree(1),
            KeyCode::Char('k') if is(&key, 'k') => self.move_tree(-1),
            KeyCode::Char('j') if is(&key, 'j') => self.move_tree(1),
            KeyCode::PageUp => self.move_tree(-(page as i64)),
            KeyCode::PageDown => self.move_tree(page as i64),
            KeyCode::Home => self.move_tree(i64::MIN / 2),
            KeyCode::End => self.move_tree(i64::MAX / 2),
            KeyCode::Char('g') if is(&key, 'g') => self.move_tree(i64::MIN / 2),
            KeyCode::Char('G') => self.move_tree(i64::MAX / 2),
            KeyCode::Left => self.fold_or_parent(),
            KeyCode::Char('h') if is(&key, 'h') => self.fold_or_parent(),
            KeyCode::Right => self.unfold_or_child(),
            KeyCode::Char('l') if is(&key, 'l') => self.unfold_or_child(),
            KeyCode::Enter => {
                if let Some(id) = self.tree_view.selected {
                    let expanded = self.tree.node(id).expanded;
                    self.tree.set_expanded(id, !expanded);
                }
            }
            KeyCode::Char('H') => self.toggle_hide_cleared(),
            KeyCode::Delete => self.clear_retained_here(),
            KeyCode::Char('x') if is(&key, 'x') => self.clear_retained_here(),
            KeyCode::Char('E') => self.tree.set_all_expanded(true),
            KeyCode::Char('C') => self.tree.set_all_expanded(false),
            KeyCode::Char('o') if is(&key, 'o') => {
                let next = self.tree.sort().next();
                self.tree.set_sort(next);
            }
            KeyCode::Char('v') if is(&key, 'v') => self.cycle_format(),
            KeyCode::Char('D') => self.clear_selected(),
            KeyCode::Char('+') => self.watch_selected(),
            _ => {}
        }
    }

    /// `Del`/`x` on a tree row: the retained view's confirmation and clear, for the selected topic or
    /// every retained topic under the selected level.
    fn clear_retained_here(&mut self) {
        let Some(id) = self.tree_view.selected else { return };
        if !self.retained.ask_clear_subtree(&self.tree, id) {
            let path = crate::sanitize::line(self.tree.node(id).path()).into_owned();
            self.notify(format!("no retained message at or under '{path}' (R lists every retained topic)"));
        }
    }

    /// `H`: hides or shows topics whose last message was empty (a cleared retained message).
    fn toggle_hide_cleared(&mut self) {
        let hide = !self.tree.hide_cleared();
        self.tree.set_hide_cleared(hide);
        let n = self.tree.cleared_count();
        let topics = if n == 1 { "topic" } else { "topics" };
        self.notify(if hide {
            format!("hiding {n} {topics} whose retained message was cleared (H shows them)")
        } else {
            format!("showing {n} {topics} whose retained message was cleared (H hides them)")
        });
    }

    fn watch_selected(&mut self) {
        let Some(id) = self.tree_view.selected else { return };
        let path = self.tree.node(id).path().to_string();
        let name = self.watch.current().list.name.clone();
        if self.watch.add_topic(&path) {
            // Feed what we already have, so the row is not empty until the next message.
            if let Some(m) = self.store.latest(id).cloned() {
                let auto = || payload::PayloadFormat::Auto.into();
                self.watch.on_message_as(id, &path, m.payload(), m.at_ms, m.invalid(), &auto);
            }
            self.notify(format!("watching '{}' in list '{name}' (w shows it)", crate::sanitize::line(&path)));
        } else {
            self.notify(format!("'{}' is already in list '{name}'", crate::sanitize::line(&path)));
        }
    }

    fn watch_key(&mut self, key: Key) {
        match key.code {
            KeyCode::Tab => self.watch.next_list(),
            KeyCode::Char(c @ '0'..='9') => self.watch.sort_by(c as usize - '0' as usize),
            KeyCode::Char('i') if is(&key, 'i') => {
                let on = self.watch.toggle_alert_invalid();
                let list = crate::sanitize::line(&self.watch.current().list.name).into_owned();
                self.notify(format!(
                    "list '{list}': alert on schema-invalid messages {} (i)",
                    if on { "on" } else { "off" }
                ));
            }
            KeyCode::Esc => self.view = View::Dashboard,
            _ => {}
        }
    }

    /// Moves the tree selection by `delta` rows (clamped).
    pub(super) fn move_tree(&mut self, delta: i64) {
        let now = self.now_ms;
        let hint = self.tree_view.row;
        let rows = self.tree.rows_for(now, true);
        if rows.is_empty() {
            return;
        }
        let cur = self.tree_view.selected.and_then(|s| position(rows, s, hint)).unwrap_or(0);
        self.reselect = None;
        let next = (cur as i64).saturating_add(delta).clamp(0, rows.len() as i64 - 1) as usize;
        self.tree_view.selected = Some(rows[next]);
        self.tree_view.row = next;
        self.detail.scroll = 0;
        self.detail.hscroll = 0;
    }

    fn fold_or_parent(&mut self) {
        let Some(id) = self.tree_view.selected else { return };
        if !self.tree.set_expanded(id, false) {
            let parent = self.tree.node(id).parent;
            if parent != ROOT {
                self.tree_view.selected = Some(parent);
            }
        }
    }

    fn unfold_or_child(&mut self) {
        let Some(id) = self.tree_view.selected else { return };
        if !self.tree.set_expanded(id, true) {
            self.move_tree(1);
        }
    }

    fn cycle_format(&mut self) {
        let Some(node) = self.detail_topic() else { return };
        let next = self.payload_format(node).next();
        self.detail.formats.insert(node, next);
        self.detail.scroll = 0;
    }

    fn clear_selected(&mut self) {
        let Some(node) = self.detail_topic() else { return };
        self.store.clear(node);
        self.tree.clear_topic(node);
        self.notify(format!("cleared the history of '{}'", crate::sanitize::line(self.tree.node(node).path())));
    }

    fn log_key(&mut self, key: Key) {
        match key.code {
            KeyCode::Up => self.move_log(-1),
            KeyCode::Down => self.move_log(1),
            KeyCode::Char('k') if is(&key, 'k') => self.move_log(-1),
            KeyCode::Char('j') if is(&key, 'j') => self.move_log(1),
            KeyCode::PageUp => self.move_log(-20),
            KeyCode::PageDown => self.move_log(20),
            KeyCode::End | KeyCode::Char('G') | KeyCode::Char('F') => self.log_view.selected = None,
            KeyCode::Char('a') if is(&key, 'a') => self.log_view.scoped = !self.log_view.scoped,
            KeyCode::Char('i') if is(&key, 'i') => self.toggle_invalid_only(),
            KeyCode::Char('f') if is(&key, 'f') => {
                let text = self.log_view.search.as_ref().map(TextFilter::source).unwrap_or_default();
                self.prompt = Some(Prompt { kind: PromptKind::LogSearch, text, error: None });
            }
            KeyCode::Char('n') if is(&key, 'n') => self.search(true),
            KeyCode::Char('N') => self.search(false),
            KeyCode::Char('v') if is(&key, 'v') => self.cycle_format(),
            _ => {}
        }
    }

    fn detail_key(&mut self, key: Key) {
        if self.tree_shown() && self.json_tree_key(key) {
            return;
        }
        let page = self.detail_page() as i64;
        match key.code {
            KeyCode::Up => self.scroll_detail(-1),
            KeyCode::Down => self.scroll_detail(1),
            KeyCode::Char('k') if is(&key, 'k') => self.scroll_detail(-1),
            KeyCode::Char('j') if is(&key, 'j') => self.scroll_detail(1),
            KeyCode::PageUp => self.scroll_detail(-page),
            KeyCode::PageDown => self.scroll_detail(page),
            KeyCode::Home => self.scroll_detail(i64::MIN / 2),
            KeyCode::End => self.scroll_detail(i64::MAX / 2),
            KeyCode::Char('g') if is(&key, 'g') => self.scroll_detail(i64::MIN / 2),
            KeyCode::Char('G') => self.scroll_detail(i64::MAX / 2),
            KeyCode::Left => self.hscroll_detail(-1),
            KeyCode::Right => self.hscroll_detail(1),
            KeyCode::Char('h') if is(&key, 'h') => self.hscroll_detail(-1),
            KeyCode::Char('l') if is(&key, 'l') => self.hscroll_detail(1),
            KeyCode::Char('W') => self.toggle_wrap(),
            KeyCode::Char('[') => self.step_history(-1),
            KeyCode::Char(']') => self.step_history(1),
            KeyCode::Char('m') if is(&key, 'm') => self.mark_history(),
            KeyCode::Char('=') => self.toggle_compare(),
            KeyCode::Char('n') if is(&key, 'n') => self.show_match(self.detail.find_at.wrapping_add(1)),
            KeyCode::Char('N') => {
                let count = self.detail_cache.matches.len();
                self.show_match((self.detail.find_at + count).wrapping_sub(1));
            }
            KeyCode::Char('v') if is(&key, 'v') => self.cycle_format(),
            KeyCode::Char('c') if is(&key, 'c') => self.open_picker(),
            KeyCode::Char('D') => self.clear_selected(),
            _ => {}
        }
    }

    /// ← →: moves unwrapped lines by [`reader::HSCROLL_STEP`] columns; wrapped lines need none, so it
    /// says which key unwraps them.
    fn hscroll_detail(&mut self, direction: i64) {
        if !self.detail.nowrap {
            self.notify("lines wrap; W shows them unwrapped to scroll sideways".into());
            return;
        }
        self.detail.hscroll = if direction < 0 {
            self.detail.hscroll.saturating_sub(reader::HSCROLL_STEP)
        } else {
            self.detail.hscroll.saturating_add(reader::HSCROLL_STEP)
        };
        self.clamp_scroll();
    }

    /// `W`: wraps long lines or shows them whole, keeping the line at the top in view.
    fn toggle_wrap(&mut self) {
        let top = self.detail_cache.rows.get(self.detail.scroll).map(|r| r.line);
        self.detail.nowrap = !self.detail.nowrap;
        self.detail.hscroll = 0;
        self.prepare();
        if let Some(line) = top {
            self.detail.scroll = self.detail_cache.rows.partition_point(|r| r.line < line);
            self.clamp_scroll();
        }
    }

    /// Enter on the payload search prompt: searches the shown payload and jumps to the first match
    /// from the top of the view.
    fn start_detail_search(&mut self, filter: Option<TextFilter>) {
        self.detail.find = filter;
        self.detail.find_at = 0;
        self.refresh_matches();
        let Some(f) = &self.detail.find else { return };
        if self.detail_cache.matches.is_empty() {
            let text = format!("no match for '{}' in the payload", crate::sanitize::line(&f.source()));
            self.notify(text);
        } else {
            self.show_match(self.first_match_in_view());
        }
    }

    /// The numeric fields of the shown topic's latest message.
    pub fn numeric_candidates(&self) -> Vec<String> {
        let (Some(node), Some(m)) = (self.detail_topic(), self.detail_message()) else { return Vec::new() };
        payload::numeric_fields(m.payload(), self.decoder(node)).into_iter().map(|(k, _)| k).collect()
    }

    fn open_picker(&mut self) {
        let fields = self.numeric_candidates();
        if fields.is_empty() {
            self.notify("the payload has no numeric fields to chart".into());
            return;
        }
        self.detail.picker = Some((fields, 0));
    }

    fn picker_key(&mut self, key: Key) {
        let Some(node) = self.detail_topic() else {
            self.detail.picker = None;
            return;
        };
        let Some((fields, pos)) = self.detail.picker.as_mut() else { return };
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => *pos = pos.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => *pos = (*pos + 1).min(fields.len().saturating_sub(1)),
            KeyCode::Char(' ') => {
                if let Some(field) = fields.get(*pos).cloned() {
                    self.toggle_chart_field(node, field);
                }
            }
            KeyCode::Enter | KeyCode::Esc | KeyCode::Char('c') | KeyCode::Char('q') => self.detail.picker = None,
            _ => {}
        }
    }

    /// Fields charted for `node`: the user's choice (which may be none), else the first numeric field.
    pub fn chart_fields(&self, node: NodeId) -> Vec<String> {
        match self.detail.chart_fields.get(&node) {
            Some(f) => f.clone(),
            None => {
                let shown = (self.detail_topic(), self.detail_message().map(|m| m.seq));
                match &self.detail_cache.default_fields {
                    Some(((n, seq, f), first))
                        if shown == (Some(*n), Some(*seq)) && *n == node && *f == self.payload_format(node) =>
                    {
                        first.clone()
                    }
                    _ => self.numeric_candidates().into_iter().take(1).collect(),
                }
            }
        }
    }

    pub(super) fn on_click(&mut self, x: u16, y: u16) {
        self.show_help = false;
        let areas = self.areas();
        if let Some(r) = areas.tree.filter(|r| layout::contains(*r, x, y)) {
            self.focus = Pane::Tree;
            self.reselect = None;
            let inner = layout::inner(r);
            if layout::contains(inner, x, y) {
                let row = self.tree_view.offset + usize::from(y - inner.y);
                let now = self.now_ms;
                if let Some(&id) = self.tree.rows_for(now, true).get(row) {
                    if self.tree_view.selected == Some(id) {
                        let expanded = self.tree.node(id).expanded;
                        self.tree.set_expanded(id, !expanded);
                    }
                    self.tree_view.selected = Some(id);
                    self.detail.scroll = 0;
                    self.detail.hscroll = 0;
                }
            }
        } else if let Some(r) = areas.log.filter(|r| layout::contains(*r, x, y)) {
            self.focus = Pane::Log;
            let inner = layout::inner(r);
            if layout::contains(inner, x, y) {
                let rows = self.log_rows(usize::from(inner.height));
                if let Some(m) = rows.get(usize::from(y - inner.y)) {
                    self.log_view.selected = Some(m.seq);
                }
            }
        } else if areas.detail.is_some_and(|r| layout::contains(r, x, y)) {
            self.focus = Pane::Detail;
        }
    }

    pub(super) fn on_scroll(&mut self, x: u16, y: u16, delta: i32) {
        let areas = self.areas();
        let delta = i64::from(delta) * 3;
        if areas.tree.is_some_and(|r| layout::contains(r, x, y)) {
            self.move_tree(delta);
        } else if areas.log.is_some_and(|r| layout::contains(r, x, y)) {
            self.move_log(delta);
        } else if areas.detail.is_some_and(|r| layout::contains(r, x, y)) {
            if self.tree_shown() {
                let mv = if delta < 0 { super::json_tree::Move::Up } else { super::json_tree::Move::Down };
                for _ in 0..delta.unsigned_abs() {
                    self.move_json_tree(mv);
                }
            } else {
                self.scroll_detail(delta);
            }
        }
    }

    /// Makes derived view state current before drawing: tree rows, a valid selection, scroll offsets.
    pub fn prepare(&mut self) {
        let now = self.now_ms;
        let height = self.areas().tree.map_or(0, |r| usize::from(layout::inner(r).height));
        let input = std::mem::take(&mut self.input);
        self.tree.rows_for(now, input);
        self.reselect_topic();
        self.select_visible(height);
        self.match_pending(super::log_view::MATCH_BYTES_PER_FRAME);
        self.select_visible_log_entry();
        self.follow_level_rate();
        self.refresh_detail();
        self.refresh_previews();
        self.count_views();
        self.prepare_retained();
        self.prepare_traffic();
    }

    /// Keeps the tree selection on a visible row and in view.
    fn select_visible(&mut self, height: usize) {
        let rows = self.tree.cached_rows();
        if rows.is_empty() {
            return;
        }
        // The selection may have been filtered or folded away: use its nearest visible ancestor.
        let mut cur = self.tree_view.selected;
        let mut pos = None;
        while let Some(id) = cur {
            if let Some(p) = position(rows, id, self.tree_view.row) {
                pos = Some(p);
                break;
            }
            cur = (id != ROOT).then(|| self.tree.node(id).parent);
        }
        let p = pos.unwrap_or(0);
        self.tree_view.selected = Some(rows[p]);
        self.tree_view.row = p;
        self.tree_view.offset = layout::scroll_to(self.tree_view.offset, p, height);
    }
}

/// Where `id` is in `rows`, looking at `hint` (where it was last) first.
fn position(rows: &[NodeId], id: NodeId, hint: usize) -> Option<usize> {
    if rows.get(hint) == Some(&id) {
        return Some(hint);
    }
    rows.iter().position(|&r| r == id)
}

fn filter_source(f: &TopicFilter) -> String {
    match f {
        TopicFilter::Wildcard(s) | TopicFilter::Substring(s) => s.clone(),
    }
}

/// Every payload view, in the order `v` cycles through them.
#[cfg(test)]
pub fn formats() -> Vec<&'static str> {
    use crate::payload::PayloadFormat;
    let mut f = PayloadFormat::Auto;
    let mut out = Vec::new();
    loop {
        out.push(f.name());
        f = f.next();
        if f == PayloadFormat::Auto {
            return out;
        }
    }
}
