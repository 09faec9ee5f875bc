//! The replay's side of the app (`mqscope replay FILE`): the player's keys become commands for the
//! task that reads the file (`Effect::Player`), its status is kept for the player row, and a seek
//! back starts the app over (`ReplayEvent::Restart`), keeping what the user set up.

use super::keys::is;
use super::{App, Effect, Prompt, PromptKind, View};
use crate::record::player::{self, Command, Jump, ReplayEvent, SKIP_MS, Status};
use crossterm::event::{KeyCode, KeyModifiers};

/// What the app knows of the player.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlayerView {
    /// The recording's file name, sanitised.
    pub file: String,
    /// The player's last status; `None` until the first one.
    pub status: Option<Status>,
    /// The recorded schema verdicts of the batch that comes next (`ReplayEvent::Verdicts`).
    pub verdicts: Vec<Option<super::Verdict>>,
}

impl App {
    /// The player's keys, in a replay: true when the key was one.
    pub(super) fn player_key(&mut self, key: &super::Key) -> bool {
        if self.player.is_none() {
            return false;
        }
        let shift = key.modifiers.contains(KeyModifiers::SHIFT);
        let cmd = match key.code {
            // The retained view marks topics with space.
            KeyCode::Char(' ') if self.view != View::Retained => Command::TogglePause,
            KeyCode::Char('.') if is(key, '.') => Command::Step,
            KeyCode::Char('>') if is(key, '>') => Command::Faster,
            KeyCode::Char('<') if is(key, '<') => Command::Slower,
            KeyCode::Char(',') if is(key, ',') => Command::SeekBy(-SKIP_MS),
            KeyCode::Char(';') if is(key, ';') => Command::SeekBy(SKIP_MS),
            KeyCode::Left if shift => Command::SeekBy(-SKIP_MS),
            KeyCode::Right if shift => Command::SeekBy(SKIP_MS),
            KeyCode::Char('J') => {
                self.prompt = Some(Prompt { kind: PromptKind::Jump, text: String::new(), error: None });
                return true;
            }
            _ => return false,
        };
        self.effects.push(Effect::Player(cmd));
        true
    }

    /// Enter on the jump prompt.
    pub(super) fn jump_from_prompt(&mut self, text: &str) {
        let Some(status) = self.player.as_ref().and_then(|p| p.status.clone()) else {
            if let Some(p) = self.prompt.as_mut() {
                p.error = Some("nothing played yet".into());
            }
            return;
        };
        match player::parse_jump(text, &status, &self.config.zone) {
            Ok(jump) => {
                self.prompt = None;
                let cmd = match jump {
                    Jump::To(ms) => Command::SeekTo(ms),
                    Jump::By(ms) => Command::SeekBy(ms),
                };
                self.effects.push(Effect::Player(cmd));
            }
            Err(e) => {
                if let Some(p) = self.prompt.as_mut() {
                    p.error = Some(e);
                }
            }
        }
    }

    pub(super) fn on_replay(&mut self, ev: ReplayEvent) {
        match ev {
            ReplayEvent::Status(status) => {
                let Some(p) = self.player.as_mut() else { return };
                // The clock running on is drawn with the messages, at most five times a second.
                let same_state = p.status.as_ref().is_some_and(|s| (s.state, s.pace) == (status.state, status.pace));
                p.status = Some(*status);
                if same_state {
                    self.data_dirty = true;
                } else {
                    self.dirty = true;
                }
            }
            ReplayEvent::Restart => self.restart(),
            ReplayEvent::Verdicts(v) => {
                if let Some(p) = self.player.as_mut() {
                    p.verdicts = v.into_iter().map(|v| v.map(std::sync::Arc::new)).collect();
                }
            }
        }
    }

    /// Starts over for a replay read again from its start: what the messages built goes, what the
    /// user set up stays (the screen, filters, views, watch lists, the selected topic once it is
    /// seen again).
    fn restart(&mut self) {
        let mut config = self.config.clone();
        config.watch_lists = self.watch.lists.iter().map(|l| l.list.clone()).collect();
        let mut fresh = App::new(config, self.now_ms);
        fresh.config.watch_lists = self.config.watch_lists.clone();
        fresh.watch.current = self.watch.current.min(fresh.watch.lists.len().saturating_sub(1));
        fresh.tree.set_filter(self.tree.filter().cloned());
        fresh.tree.set_sort(self.tree.sort());
        fresh.tree.set_hide_cleared(self.tree.hide_cleared());
        fresh.reselect =
            self.tree_view.selected.map(|id| self.tree.node(id).path().to_string()).or(self.reselect.take());
        let log = &mut fresh.log_view;
        log.scoped = self.log_view.scoped;
        log.filter = self.log_view.filter.take();
        log.search = self.log_view.search.take();
        let detail = &mut fresh.detail;
        detail.nowrap = self.detail.nowrap;
        detail.find = self.detail.find.take();
        detail.tree = self.detail.tree;
        fresh.conn = self.conn.clone();
        fresh.size = self.size;
        fresh.focus = self.focus;
        fresh.view = self.view;
        fresh.traffic = self.traffic;
        fresh.show_help = self.show_help;
        fresh.help_scroll = self.help_scroll;
        fresh.prompt = self.prompt.take();
        fresh.recording = std::mem::take(&mut self.recording);
        fresh.player = self.player.take();
        fresh.publisher = std::mem::take(&mut self.publisher);
        fresh.show_frame_stats = self.show_frame_stats;
        fresh.frame_stats = self.frame_stats;
        fresh.process_baseline = self.process_baseline;
        fresh.hand_off_peak = self.hand_off_peak;
        fresh.budget_total = self.budget_total;
        fresh.next_token = self.next_token;
        fresh.notice = self.notice.take();
        *self = fresh;
    }

    /// Selects the topic that was selected before a seek back, once it is in the tree again.
    pub(super) fn reselect_topic(&mut self) {
        let Some(path) = &self.reselect else { return };
        if let Some(id) = self.tree.find(path) {
            self.tree_view.selected = Some(id);
            self.reselect = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{T0, feed, key, msg, typed};
    use super::super::{AppEvent, Config, Effect, View};
    use super::*;
    use crate::record::player::State;
    use crate::record::replay::Pace;
    use crate::session::SessionEvent;
    use crossterm::event::{KeyEvent, KeyModifiers};

    pub(crate) fn status(state: State, played: u64) -> Status {
        Status {
            state,
            pace: Pace::Speed(4.0),
            clock_ms: Some(T0 + 754_000),
            start_ms: Some(T0),
            end_ms: Some(T0 + 1_200_000),
            played,
            total: Some(5_000),
            bad_lines: 0,
            rewindable: true,
        }
    }

    fn replay() -> App {
        let mut a = App::new(Config { replay: Some("ticks.jsonl".into()), ..Config::default() }, T0);
        a.apply(AppEvent::Resize { width: 160, height: 48 });
        a.apply(AppEvent::Session(SessionEvent::Replay(ReplayEvent::Status(Box::new(status(State::Playing, 0))))));
        a
    }

    fn effects(a: &mut App) -> Vec<Effect> {
        a.take_effects()
    }

    #[test]
    fn a_replay_says_it_has_no_broker_instead_of_sending_nowhere() {
        let mut a = replay();
        feed(&mut a, vec![msg("cfg/x", b"1", T0)]);
        a.tree_view.selected = a.tree.find("cfg/x");
        a.prepare();
        for c in ['p', 'P', 's'] {
            a.notice = None;
            key(&mut a, KeyCode::Char(c));
            assert!(!a.publisher.open && a.prompt.is_none(), "{c}: no form opens");
            assert_eq!(a.notice.as_ref().map(|(t, _)| t.as_str()), Some(crate::app::NO_BROKER), "{c}");
        }
        // Whatever would still go to the broker (a retained clear from the tree) is said, not sent.
        a.notice = None;
        a.effects.push(Effect::Send(crate::session::Command::Disconnect));
        assert!(effects(&mut a).is_empty());
        assert_eq!(a.notice.as_ref().map(|(t, _)| t.as_str()), Some(crate::app::NO_BROKER));
    }

    #[test]
    fn each_player_key_becomes_its_command() {
        let mut a = replay();
        for (code, cmd) in [
            (KeyCode::Char(' '), Command::TogglePause),
            (KeyCode::Char('.'), Command::Step),
            (KeyCode::Char('<'), Command::Slower),
            (KeyCode::Char('>'), Command::Faster),
            (KeyCode::Char(','), Command::SeekBy(-10_000)),
            (KeyCode::Char(';'), Command::SeekBy(10_000)),
        ] {
            key(&mut a, code);
            assert_eq!(effects(&mut a), [Effect::Player(cmd)], "{code:?}");
        }
        for (code, cmd) in [(KeyCode::Left, Command::SeekBy(-10_000)), (KeyCode::Right, Command::SeekBy(10_000))] {
            a.apply(AppEvent::Key(KeyEvent::new(code, KeyModifiers::SHIFT)));
            assert_eq!(effects(&mut a), [Effect::Player(cmd)], "Shift-{code:?}");
        }
        assert_eq!(a.log_view.paused_at, None, "space pauses the player, not the log");
    }

    #[test]
    fn the_player_keys_work_in_the_other_views_but_space_still_marks_in_the_retained_view() {
        let mut a = replay();
        feed(&mut a, vec![msg("a", b"1", T0)]);
        key(&mut a, KeyCode::Char('t'));
        key(&mut a, KeyCode::Char('>'));
        assert_eq!(effects(&mut a), [Effect::Player(Command::Faster)]);
        key(&mut a, KeyCode::Char('R'));
        assert_eq!(a.view, View::Retained);
        key(&mut a, KeyCode::Char(' '));
        assert!(effects(&mut a).is_empty(), "space marks a topic here");
        key(&mut a, KeyCode::Char('.'));
        assert_eq!(effects(&mut a), [Effect::Player(Command::Step)]);
    }

    #[test]
    fn without_a_replay_the_player_keys_do_nothing_and_space_pauses_the_log() {
        let mut a = super::super::tests::app();
        feed(&mut a, vec![msg("a", b"1", T0)]);
        for c in ['.', '<', '>', ',', ';', 'J'] {
            key(&mut a, KeyCode::Char(c));
            assert!(!effects(&mut a).iter().any(|e| matches!(e, Effect::Player(_))), "{c}");
        }
        assert!(a.prompt.is_none(), "J opens no jump prompt");
        key(&mut a, KeyCode::Char(' '));
        assert!(a.log_view.paused_at.is_some());
    }

    #[test]
    fn the_jump_prompt_seeks_where_it_says_and_keeps_a_bad_time_to_fix() {
        let mut a = replay();
        key(&mut a, KeyCode::Char('J'));
        assert_eq!(a.prompt.as_ref().map(|p| p.kind), Some(PromptKind::Jump));
        assert!(a.typing(), "every key is text now");
        typed(&mut a, "1m3x");
        key(&mut a, KeyCode::Enter);
        let error = a.prompt.as_ref().and_then(|p| p.error.clone()).unwrap_or_default();
        assert!(error.contains("not a time"), "{error}");
        assert!(effects(&mut a).is_empty());
        key(&mut a, KeyCode::Backspace);
        typed(&mut a, "0s");
        key(&mut a, KeyCode::Enter);
        assert!(a.prompt.is_none());
        assert_eq!(effects(&mut a), [Effect::Player(Command::SeekTo(T0 + 90_000))]);
        key(&mut a, KeyCode::Char('J'));
        typed(&mut a, "-30s");
        key(&mut a, KeyCode::Enter);
        assert_eq!(effects(&mut a), [Effect::Player(Command::SeekBy(-30_000))]);
        key(&mut a, KeyCode::Char('J'));
        typed(&mut a, "10:00:00");
        key(&mut a, KeyCode::Esc);
        assert!(a.prompt.is_none() && effects(&mut a).is_empty(), "Esc goes nowhere");
    }

    fn verdict(schema: &str, bad: usize) -> crate::payload::schema::Verdict {
        let v = crate::payload::schema::Violation {
            instance_path: "/t".into(),
            keyword: "maximum\x1b[2J".into(),
            message: "120 is greater than 100".into(),
        };
        crate::payload::schema::Verdict { schema: schema.into(), violations: vec![v; bad], ..Default::default() }
    }

    #[test]
    fn recorded_verdicts_show_unless_a_schema_given_to_the_replay_checks_again() {
        use crate::payload::schema::{MAX_VIOLATIONS, Schemas};
        let mut a = replay();
        a.config.schemas =
            std::sync::Arc::new(Schemas::from_text("checked/#", "now.json", r#"{"type":"number"}"#).unwrap());
        // As the replay task sends them: the verdicts (bounded like a check made here), then their batch.
        let kept = vec![
            Some(verdict("t.json", 40).from_recording()),
            None,
            Some(verdict("t.json", 0).from_recording()),
            Some(verdict("old.json", 1).from_recording()),
        ];
        a.apply(AppEvent::Session(SessionEvent::Replay(ReplayEvent::Verdicts(kept))));
        feed(
            &mut a,
            vec![
                msg("plant/a/t", br#"{"t":120}"#, T0),
                msg("plant/b/t", b"no verdict kept", T0 + 1),
                msg("plant/c/t", br#"{"t":1}"#, T0 + 2),
                msg("checked/x", b"12", T0 + 3),
            ],
        );
        let latest =
            |a: &App, t: &str| a.store.latest(a.tree.find_node(t).unwrap()).and_then(|m| a.store.verdict(m).cloned());
        let bad = latest(&a, "plant/a/t").expect("the recorded verdict");
        assert!(bad.recorded && bad.schema == "t.json");
        assert_eq!((bad.violations.len(), bad.more, bad.total()), (MAX_VIOLATIONS, 40 - MAX_VIOLATIONS, 40));
        assert!(!bad.violations[0].keyword.contains('\x1b'), "file strings are sanitised: {:?}", bad.violations[0]);
        assert!(latest(&a, "plant/b/t").is_none());
        assert!(latest(&a, "plant/c/t").is_some_and(|v| v.recorded && v.is_valid()));
        // A schema given to the replay checks again: the recorded verdict is not used.
        let now = latest(&a, "checked/x").expect("checked here");
        assert!(!now.recorded && now.schema == "now.json" && now.is_valid());
        assert_eq!(a.schema_invalid, 1);
        // The next batch had no verdicts sent: nothing is carried over to it.
        feed(&mut a, vec![msg("plant/a/t", br#"{"t":120}"#, T0 + 4)]);
        assert!(latest(&a, "plant/a/t").is_none());
        // Verdicts that do not match the batch (a bug, or a batch cut) are not pinned on the wrong messages.
        a.apply(AppEvent::Session(SessionEvent::Replay(ReplayEvent::Verdicts(vec![Some(verdict("t.json", 1))]))));
        feed(&mut a, vec![msg("plant/d/t", b"1", T0 + 5), msg("plant/e/t", b"2", T0 + 6)]);
        assert!(latest(&a, "plant/d/t").is_none() && latest(&a, "plant/e/t").is_none());
    }

    #[test]
    fn a_status_is_kept_for_the_player_row() {
        let mut a = replay();
        a.apply(AppEvent::Session(SessionEvent::Replay(ReplayEvent::Status(Box::new(status(State::Paused, 7))))));
        let s = a.player.as_ref().and_then(|p| p.status.as_ref()).unwrap();
        assert_eq!((s.state, s.played), (State::Paused, 7));
        assert!(a.take_dirty(), "a new state is drawn at once");
    }

    #[test]
    fn a_restart_clears_what_the_messages_built_and_keeps_what_the_user_set_up() {
        let mut a = replay();
        feed(&mut a, vec![msg("sensors/kitchen/temp", b"21", T0), msg("sensors/garage/door", b"open", T0 + 1)]);
        a.tree_view.selected = a.tree.find("sensors/garage/door");
        key(&mut a, KeyCode::Char('o'));
        let sort = a.tree.sort();
        key(&mut a, KeyCode::Tab);
        key(&mut a, KeyCode::Char('/'));
        typed(&mut a, "door");
        key(&mut a, KeyCode::Enter);
        assert!(a.log_view.filter.is_some());
        a.apply(AppEvent::Session(SessionEvent::Replay(ReplayEvent::Restart)));
        assert_eq!((a.received, a.tree.topic_count(), a.store.log().entries().len()), (0, 0, 0));
        assert_eq!(a.focus, super::super::layout::Pane::Log);
        assert_eq!(a.tree.sort(), sort);
        assert!(a.log_view.filter.is_some(), "the log filter stays");
        assert_eq!(a.player.as_ref().map(|p| p.file.as_str()), Some("ticks.jsonl"));
        assert!(a.player.as_ref().is_some_and(|p| p.status.is_some()));
        // The selected topic is selected again when it comes back.
        feed(&mut a, vec![msg("sensors/kitchen/temp", b"21", T0), msg("sensors/garage/door", b"open", T0 + 1)]);
        let sel = a.tree_view.selected.map(|id| a.tree.node(id).path().to_string());
        assert_eq!(sel.as_deref(), Some("sensors/garage/door"));
    }
}
