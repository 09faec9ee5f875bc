//! The subscriptions the dashboard holds, each with what the broker answered (SUBACK / UNSUBACK).
//! Subscribing and unsubscribing are commands to the session; this list only follows the answers.

use crate::codec::{QoS, Subscription, SubscriptionOptions};
use crate::session::{Command, SubscribeOutcome};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubState {
    /// Sent (or queued until connected); no SUBACK yet.
    Pending,
    Granted(QoS),
    Refused(String),
    /// The session did not send it: the filter breaks the rules.
    Invalid(String),
    Unsubscribing,
    UnsubscribeFailed(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubEntry {
    pub filter: String,
    /// The QoS asked for; `None` for a subscription the app did not ask for (only a SUBACK told).
    pub qos: Option<QoS>,
    pub state: SubState,
}

#[derive(Debug, Default)]
pub struct Subscriptions {
    pub entries: Vec<SubEntry>,
    pub selected: usize,
}

impl Subscriptions {
    /// The subscriptions the session makes at connect, with the QoS each asks for.
    pub fn new(filters: &[(String, QoS)]) -> Self {
        let entries = filters
            .iter()
            .map(|(f, q)| SubEntry { filter: f.clone(), qos: Some(*q), state: SubState::Pending })
            .collect();
        Self { entries, selected: 0 }
    }

    /// The filters the dashboard subscribes to now (not those refused, invalid or being removed).
    pub fn active_filters(&self) -> Vec<String> {
        self.entries
            .iter()
            .filter(|e| matches!(e.state, SubState::Pending | SubState::Granted(_) | SubState::UnsubscribeFailed(_)))
            .map(|e| e.filter.clone())
            .collect()
    }

    /// Adds (or re-asks) a subscription and returns the command for the session.
    pub fn subscribe(&mut self, filter: &str, qos: QoS) -> Command {
        let entry = SubEntry { filter: filter.to_string(), qos: Some(qos), state: SubState::Pending };
        match self.entries.iter().position(|e| e.filter == filter) {
            Some(i) => {
                self.entries[i] = entry;
                self.selected = i;
            }
            None => {
                self.entries.push(entry);
                self.selected = self.entries.len() - 1;
            }
        }
        let sub = Subscription { filter: filter.into(), options: SubscriptionOptions::retain_as_published(qos) };
        Command::Subscribe(vec![sub])
    }

    /// Takes a SUBACK's results (also the ones after each reconnect).
    pub fn on_subscribed(&mut self, results: &[(String, SubscribeOutcome)]) {
        for (filter, outcome) in results {
            let state = match outcome {
                SubscribeOutcome::Granted(q) => SubState::Granted(*q),
                SubscribeOutcome::Refused { code, reason } => SubState::Refused(format!("{reason} ({code:#04x})")),
                SubscribeOutcome::Invalid(why) => SubState::Invalid(why.clone()),
            };
            match self.entries.iter_mut().find(|e| e.filter == *filter) {
                Some(e) => e.state = state,
                None => self.entries.push(SubEntry { filter: filter.clone(), qos: None, state }),
            }
        }
    }

    /// Unsubscribes the selected filter; `None` when the list is empty or it is already going.
    pub fn unsubscribe_selected(&mut self) -> Option<Command> {
        let e = self.entries.get_mut(self.selected)?;
        if e.state == SubState::Unsubscribing {
            return None;
        }
        // A filter the broker never accepted has nothing to undo there.
        if matches!(e.state, SubState::Refused(_) | SubState::Invalid(_)) {
            self.entries.remove(self.selected);
            self.clamp();
            return None;
        }
        e.state = SubState::Unsubscribing;
        Some(Command::Unsubscribe(vec![e.filter.clone()]))
    }

    /// Takes an UNSUBACK's results: gone on success, the reason kept on failure.
    pub fn on_unsubscribed(&mut self, results: &[(String, Result<(), String>)]) {
        for (filter, result) in results {
            match result {
                Ok(()) => self.entries.retain(|e| e.filter != *filter),
                Err(why) => {
                    if let Some(e) = self.entries.iter_mut().find(|e| e.filter == *filter) {
                        e.state = SubState::UnsubscribeFailed(why.clone());
                    }
                }
            }
        }
        self.clamp();
    }

    pub fn move_selection(&mut self, delta: i64) {
        let last = self.entries.len().saturating_sub(1) as i64;
        self.selected = (self.selected as i64).saturating_add(delta).clamp(0, last) as usize;
    }

    fn clamp(&mut self) {
        self.selected = self.selected.min(self.entries.len().saturating_sub(1));
    }

    /// Whether this exact filter is held (granted or pending).
    pub fn holds(&self, filter: &str) -> bool {
        self.entries.iter().any(|e| e.filter == filter && matches!(e.state, SubState::Pending | SubState::Granted(_)))
    }
}

impl super::App {
    /// `s`: asks for a filter to subscribe to.
    pub(super) fn open_subscribe_prompt(&mut self) {
        self.prompt = Some(super::Prompt {
            kind: super::PromptKind::Subscribe(QoS::AtMostOnce),
            text: String::new(),
            error: None,
        });
    }

    pub(super) fn subscribe_from_prompt(&mut self, text: &str, qos: QoS) {
        let filter = text.trim();
        let check = if filter.is_empty() {
            Err("type a topic filter, e.g. sensors/#".to_string())
        } else {
            crate::codec::topic::check_topic_filter(filter).map_err(|k| format!("'{filter}': {k}"))
        };
        if let Err(e) = check {
            if let Some(p) = self.prompt.as_mut() {
                p.error = Some(e);
            }
            return;
        }
        let cmd = self.subs.subscribe(filter, qos);
        self.effects.push(super::Effect::Send(cmd));
        self.prompt = None;
        self.notify(format!("subscribing to '{}' at QoS {} (u lists subscriptions)", filter, qos.as_u8()));
    }

    /// Opens a view, or goes back to the dashboard when it is already shown.
    pub(super) fn toggle_view(&mut self, view: super::View) {
        self.view = if self.view == view { super::View::Dashboard } else { view };
    }

    pub(super) fn subs_key(&mut self, key: super::Key) {
        use crossterm::event::KeyCode;
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => self.subs.move_selection(-1),
            KeyCode::Down | KeyCode::Char('j') => self.subs.move_selection(1),
            KeyCode::Home | KeyCode::Char('g') => self.subs.move_selection(i64::MIN / 2),
            KeyCode::End | KeyCode::Char('G') => self.subs.move_selection(i64::MAX / 2),
            KeyCode::Char('u') | KeyCode::Char('d') | KeyCode::Delete | KeyCode::Enter => {
                if let Some(cmd) = self.subs.unsubscribe_selected() {
                    self.effects.push(super::Effect::Send(cmd));
                }
            }
            KeyCode::Esc => self.view = super::View::Dashboard,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suback_results_update_the_list_and_unsuback_removes() {
        let mut s = Subscriptions::new(&[("#".into(), QoS::AtMostOnce)]);
        let cmd = s.subscribe("a/+", QoS::AtLeastOnce);
        assert!(matches!(&cmd, Command::Subscribe(v) if v.len() == 1 && &*v[0].filter == "a/+"));
        s.on_subscribed(&[
            ("#".into(), SubscribeOutcome::Granted(QoS::AtMostOnce)),
            ("a/+".into(), SubscribeOutcome::Refused { code: 0x87, reason: "Not authorized".into() }),
        ]);
        assert_eq!(s.entries[0].state, SubState::Granted(QoS::AtMostOnce));
        assert_eq!(s.entries[1].state, SubState::Refused("Not authorized (0x87)".into()));
        // Unsubscribing a refused filter just drops it from the list.
        assert_eq!(s.unsubscribe_selected(), None);
        assert_eq!(s.entries.len(), 1);
        s.selected = 0;
        assert_eq!(s.unsubscribe_selected(), Some(Command::Unsubscribe(vec!["#".into()])));
        assert_eq!(s.entries[0].state, SubState::Unsubscribing);
        assert_eq!(s.unsubscribe_selected(), None, "not twice");
        s.on_unsubscribed(&[("#".into(), Ok(()))]);
        assert!(s.entries.is_empty());
    }
}
