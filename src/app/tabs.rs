//! The tab shell's pure state: one tab per broker, which one is shown, switching, and closing with
//! a confirmation. Each tab's own app (and session) lives in the runtime (`tui.rs`); this decides
//! what a key or a click on the tab bar does, and how the tab bar is laid out, so a click lands on
//! the tab drawn there.
//!
//! With one tab the shell steps aside: no bar, and every key goes to the app as before, but for
//! `A`, which opens the connection manager over the screen to add a broker in a new tab.

use super::{ConnStatus, Key};
use crossterm::event::{KeyCode, KeyModifiers};
use unicode_width::{UnicodeWidthChar as _, UnicodeWidthStr as _};

/// A tab's identity, kept while other tabs open and close.
pub type TabId = u64;

/// What the bar shows of one tab, read from its app each frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TabSummary {
    pub name: String,
    pub state: TabState,
    /// Messages per second over the last complete second, as shown (`1.2k`).
    pub rate: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TabState {
    Up,
    Connecting,
    /// Lost the broker, trying again.
    Retrying,
    Stopped,
}

impl TabState {
    pub fn of(status: &ConnStatus) -> Self {
        match status {
            ConnStatus::Connected => Self::Up,
            ConnStatus::Connecting { .. } => Self::Connecting,
            ConnStatus::Reconnecting { .. } => Self::Retrying,
            ConnStatus::Stopped { .. } => Self::Stopped,
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Self::Up => "up",
            Self::Connecting => "connecting",
            Self::Retrying => "retrying",
            Self::Stopped => "stopped",
        }
    }
}

/// What a key or a click meant to the shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Not the shell's: the active tab's app takes it.
    Pass,
    /// The shell took it (a switch, a question asked or answered).
    Done,
    /// The user confirmed closing this tab.
    Close(TabId),
    /// Compare two tabs as this line asks (`compare_view::Spec`).
    Compare(String),
    /// `A`: the runtime opens the connection manager (`adding`) with the saved profiles.
    OpenAdd,
    /// The user chose a broker to add in a new tab.
    Add(crate::manager::Choice),
}

/// The compare line being typed, and why the last one was refused.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ask {
    pub text: String,
    pub error: Option<String>,
}

#[derive(Debug)]
pub struct TabList {
    ids: Vec<TabId>,
    active: usize,
    /// A close asked for (`X`), waiting for Enter or y; any other key keeps the tab.
    pub closing: Option<TabId>,
    /// The compare line, while it is typed (`B`).
    pub asking: Option<Ask>,
    /// The compare view is shown instead of the active tab's screen.
    pub comparing: bool,
    /// The last compare line, offered again.
    pub last_compare: Option<String>,
    /// The connection manager over the screen, while a broker is being added (`A`).
    pub adding: Option<crate::manager::Manager>,
    /// Brokers can be added (not in a replay).
    pub can_add: bool,
    next_id: TabId,
}

impl Default for TabList {
    fn default() -> Self {
        Self::new()
    }
}

impl TabList {
    pub fn new() -> Self {
        Self {
            ids: Vec::new(),
            active: 0,
            closing: None,
            asking: None,
            comparing: false,
            last_compare: None,
            adding: None,
            can_add: false,
            next_id: 1,
        }
    }

    /// Adds a tab at the end and returns its id; the active tab stays the same.
    pub fn open(&mut self) -> TabId {
        let id = self.next_id;
        self.next_id += 1;
        self.ids.push(id);
        id
    }

    /// Removes a tab; the one after it (or the new last one) becomes active if it was shown.
    pub fn remove(&mut self, id: TabId) {
        let Some(i) = self.ids.iter().position(|&t| t == id) else { return };
        self.ids.remove(i);
        if self.closing == Some(id) {
            self.closing = None;
        }
        if i < self.active || self.active >= self.ids.len() {
            self.active = self.active.saturating_sub(1);
        }
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The bar is shown (and the shell takes keys) with two tabs or more.
    pub fn shown(&self) -> bool {
        self.ids.len() >= 2
    }

    pub fn active(&self) -> usize {
        self.active
    }

    pub fn active_id(&self) -> Option<TabId> {
        self.ids.get(self.active).copied()
    }

    pub fn ids(&self) -> &[TabId] {
        &self.ids
    }

    pub fn index_of(&self, id: TabId) -> Option<usize> {
        self.ids.iter().position(|&t| t == id)
    }

    pub fn select(&mut self, index: usize) {
        if index < self.ids.len() {
            self.active = index;
        }
    }

    /// Each tab's part of `total` bytes: an even split, so ten tabs together keep what one would.
    pub fn share(&self, total: usize) -> usize {
        total / self.ids.len().max(1)
    }

    /// A key, before the active app sees it. `typing`: the app is taking text (a prompt, the
    /// publish form), so only Alt+digit is the shell's.
    pub fn key(&mut self, key: &Key, typing: bool) -> Outcome {
        let plain = !key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        if let Some(m) = self.adding.as_mut() {
            // Ctrl-C still quits the program.
            if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
                return Outcome::Pass;
            }
            return match m.key(crossterm::event::KeyEvent::new(key.code, key.modifiers)) {
                None | Some(crate::manager::Choice::Demo) => Outcome::Done,
                Some(crate::manager::Choice::Quit) => {
                    self.adding = None;
                    Outcome::Done
                }
                Some(choice) => Outcome::Add(choice),
            };
        }
        if key.code == KeyCode::Char('A')
            && plain
            && !typing
            && self.can_add
            && self.closing.is_none()
            && self.asking.is_none()
        {
            return Outcome::OpenAdd;
        }
        if !self.shown() {
            return Outcome::Pass;
        }
        if let Some(id) = self.closing {
            self.closing = None;
            return match key.code {
                KeyCode::Enter | KeyCode::Char('y') => Outcome::Close(id),
                _ => Outcome::Done,
            };
        }
        if let Some(ask) = self.asking.as_mut() {
            match key.code {
                KeyCode::Esc => self.asking = None,
                KeyCode::Enter => {
                    let line = ask.text.clone();
                    self.last_compare = Some(line.clone());
                    self.asking = None;
                    return Outcome::Compare(line);
                }
                KeyCode::Backspace => {
                    ask.text.pop();
                }
                KeyCode::Char(c) if plain => ask.text.push(c),
                _ => {}
            }
            return Outcome::Done;
        }
        if self.comparing && !key.modifiers.contains(KeyModifiers::ALT) {
            return match key.code {
                KeyCode::Esc | KeyCode::Char('B') => {
                    self.comparing = false;
                    Outcome::Done
                }
                // Quitting works from here too.
                KeyCode::Char('q') if plain => Outcome::Pass,
                KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => Outcome::Pass,
                _ => Outcome::Done,
            };
        }
        match key.code {
            KeyCode::Char(c @ '1'..='9') if key.modifiers.contains(KeyModifiers::ALT) => {
                self.select(c as usize - '1' as usize);
                Outcome::Done
            }
            KeyCode::Char('{') if plain && !typing => {
                self.active = (self.active + self.ids.len() - 1) % self.ids.len();
                Outcome::Done
            }
            KeyCode::Char('}') if plain && !typing => {
                self.active = (self.active + 1) % self.ids.len();
                Outcome::Done
            }
            KeyCode::Char('B') if plain && !typing => {
                let other = if self.active == 0 { 2 } else { 1 };
                let text = self.last_compare.clone().unwrap_or_else(|| format!("{} {other} #", self.active + 1));
                self.asking = Some(Ask { text, error: None });
                Outcome::Done
            }
            KeyCode::Char('X') if plain && !typing => {
                self.closing = self.active_id();
                Outcome::Done
            }
            _ => Outcome::Pass,
        }
    }

    /// A left click on the bar's row at column `x`: switches to the tab drawn there.
    pub fn click(&mut self, tabs: &[TabSummary], width: u16, x: u16) -> Outcome {
        if let Some(i) = bar_cells(tabs, width).iter().position(|&(start, w, _)| x >= start && x < start + w) {
            self.select(i);
        }
        Outcome::Done
    }
}

/// One tab's text on the bar: its number (the Alt key), name, state and rate.
pub fn label(index: usize, tab: &TabSummary) -> String {
    format!(" {} {} {} {}/s ", index + 1, tab.name, tab.state.word(), tab.rate)
}

/// The text a tab gets on the bar within `room` columns: the whole label when it fits, else its
/// number and name (the colour still tells its state), cut with an ellipsis.
pub fn fitted(index: usize, tab: &TabSummary, room: usize) -> String {
    let full = label(index, tab);
    let text = if full.width() <= room { full } else { format!("{} {}", index + 1, tab.name) };
    if text.width() <= room {
        return text;
    }
    let mut out = String::new();
    for c in text.chars() {
        if out.width() + c.width().unwrap_or(0) + 1 > room {
            break;
        }
        out.push(c);
    }
    if room > 0 {
        out.push('…');
    }
    out
}

/// Where each tab sits on the bar: start column, width and text. Each gets at most an even part of
/// the width, so ten tabs fit (shortened) on 80 columns; one column separates them.
pub fn bar_cells(tabs: &[TabSummary], width: u16) -> Vec<(u16, u16, String)> {
    let n = tabs.len().max(1) as u16;
    let most = (width / n).saturating_sub(1).max(1);
    let mut x = 0u16;
    let mut out = Vec::with_capacity(tabs.len());
    for (i, t) in tabs.iter().enumerate() {
        let room = most.min(width.saturating_sub(x));
        let text = fitted(i, t, usize::from(room));
        let w = text.width() as u16;
        out.push((x, w, text));
        x = x.saturating_add(w + 1);
    }
    out
}

/// The name a tab is shown by: the profile's, or the URL's host (and port), without user, password
/// or path; sanitised, as it may come from a file or the command line.
pub fn tab_name(profile: Option<&str>, url: &str) -> String {
    let raw = match profile {
        Some(p) => p,
        None => {
            let rest = url.split_once("://").map_or(url, |(_, r)| r);
            let host = rest.split(['/', '?', '#']).next().unwrap_or(rest);
            host.rsplit_once('@').map_or(host, |(_, h)| h)
        }
    };
    crate::sanitize::line(raw).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyEvent;

    fn key(code: KeyCode) -> Key {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn alt(c: char) -> Key {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::ALT)
    }

    fn list(n: usize) -> TabList {
        let mut t = TabList::new();
        for _ in 0..n {
            t.open();
        }
        t
    }

    fn summary(name: &str, rate: &str) -> TabSummary {
        TabSummary { name: name.into(), state: TabState::Up, rate: rate.into() }
    }

    #[test]
    fn with_one_tab_every_key_is_the_apps() {
        let mut t = list(1);
        for k in [alt('1'), key(KeyCode::Char('{')), key(KeyCode::Char('}')), key(KeyCode::Char('X'))] {
            assert_eq!(t.key(&k, false), Outcome::Pass);
        }
        assert_eq!(t.closing, None);
    }

    #[test]
    fn a_opens_the_manager_even_with_one_tab_and_the_manager_then_takes_every_key() {
        use crate::manager::{Choice, Manager};
        let mut t = list(1);
        assert_eq!(t.key(&key(KeyCode::Char('A')), false), Outcome::Pass, "not where brokers cannot be added");
        t.can_add = true;
        assert_eq!(t.key(&key(KeyCode::Char('A')), true), Outcome::Pass, "an A typed into a prompt");
        assert_eq!(t.key(&key(KeyCode::Char('A')), false), Outcome::OpenAdd);
        t.adding = Some(Manager::new(vec![("cloud".into(), "mqtts://c".into())], "c.toml".into(), false));
        // Keys that are the shell's or the app's elsewhere go to the manager now.
        for k in [key(KeyCode::Char('X')), key(KeyCode::Char('j')), key(KeyCode::Char('k')), alt('1')] {
            assert_eq!(t.key(&k, false), Outcome::Done);
        }
        assert_eq!(t.key(&key(KeyCode::Enter), false), Outcome::Add(Choice::Profile("cloud".into())));
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(t.key(&ctrl_c, false), Outcome::Pass, "Ctrl-C still quits");
        assert_eq!(t.key(&key(KeyCode::Esc), false), Outcome::Done);
        assert!(t.adding.is_none(), "Esc closes the manager");
        assert_eq!(t.key(&key(KeyCode::Char('j')), false), Outcome::Pass, "and keys are the app's again");
    }

    #[test]
    fn alt_digits_pick_a_tab_also_while_typing_and_past_the_end_nothing_moves() {
        let mut t = list(3);
        assert_eq!(t.key(&alt('3'), true), Outcome::Done);
        assert_eq!(t.active(), 2);
        assert_eq!(t.key(&alt('1'), false), Outcome::Done);
        assert_eq!(t.active(), 0);
        assert_eq!(t.key(&alt('9'), false), Outcome::Done);
        assert_eq!(t.active(), 0, "no ninth tab");
        // A plain digit is the app's (the watch view sorts with it).
        assert_eq!(t.key(&key(KeyCode::Char('2')), false), Outcome::Pass);
    }

    #[test]
    fn braces_go_round_the_tabs_except_while_typing() {
        let mut t = list(3);
        assert_eq!(t.key(&key(KeyCode::Char('{')), false), Outcome::Done);
        assert_eq!(t.active(), 2, "before the first is the last");
        assert_eq!(t.key(&key(KeyCode::Char('}')), false), Outcome::Done);
        assert_eq!(t.active(), 0);
        assert_eq!(t.key(&key(KeyCode::Char('}')), false), Outcome::Done);
        assert_eq!(t.active(), 1);
        assert_eq!(t.key(&key(KeyCode::Char('}')), true), Outcome::Pass, "a brace typed into a payload");
        assert_eq!(t.active(), 1);
    }

    #[test]
    fn closing_asks_first_and_only_enter_or_y_closes() {
        let mut t = list(2);
        t.select(1);
        let id = t.active_id().unwrap();
        assert_eq!(t.key(&key(KeyCode::Char('X')), false), Outcome::Done);
        assert_eq!(t.closing, Some(id));
        assert_eq!(t.key(&key(KeyCode::Esc), false), Outcome::Done);
        assert_eq!(t.closing, None, "Esc keeps it");
        t.key(&key(KeyCode::Char('X')), false);
        assert_eq!(t.key(&key(KeyCode::Char('q')), false), Outcome::Done, "q answers no, it does not quit");
        t.key(&key(KeyCode::Char('X')), false);
        assert_eq!(t.key(&key(KeyCode::Char('y')), false), Outcome::Close(id));
        t.key(&key(KeyCode::Char('X')), false);
        assert_eq!(t.key(&key(KeyCode::Enter), false), Outcome::Close(id));
        assert_eq!(t.key(&key(KeyCode::Char('X')), true), Outcome::Pass, "X typed into a prompt");
    }

    #[test]
    fn b_asks_for_the_compare_line_and_enter_hands_it_over() {
        let mut t = list(3);
        t.select(1);
        assert_eq!(t.key(&key(KeyCode::Char('B')), false), Outcome::Done);
        assert_eq!(t.asking.as_ref().map(|a| a.text.as_str()), Some("2 1 #"), "the shown tab against the first");
        t.key(&key(KeyCode::Backspace), false);
        for c in "factory/# factory/=site1/".chars() {
            assert_eq!(t.key(&key(KeyCode::Char(c)), false), Outcome::Done, "typed, not a tab key: {c}");
        }
        assert_eq!(t.key(&key(KeyCode::Enter), false), Outcome::Compare("2 1 factory/# factory/=site1/".into()));
        assert_eq!(t.asking, None);
        // Offered again next time; Esc leaves it.
        t.key(&key(KeyCode::Char('B')), false);
        assert_eq!(t.asking.as_ref().map(|a| a.text.as_str()), Some("2 1 factory/# factory/=site1/"));
        assert_eq!(t.key(&key(KeyCode::Esc), false), Outcome::Done);
        assert_eq!(t.asking, None);
        assert_eq!(t.key(&key(KeyCode::Char('B')), true), Outcome::Pass, "B typed into a prompt");
    }

    #[test]
    fn the_compare_view_takes_the_keys_until_esc_or_b_but_q_still_quits() {
        let mut t = list(2);
        t.comparing = true;
        assert_eq!(t.key(&key(KeyCode::Char('j')), false), Outcome::Done, "the hidden tab gets nothing");
        assert_eq!(t.key(&key(KeyCode::Char('q')), false), Outcome::Pass);
        assert_eq!(t.key(&alt('2'), false), Outcome::Done);
        assert_eq!((t.active(), t.comparing), (1, true), "Alt+digit still picks the tab underneath");
        assert_eq!(t.key(&key(KeyCode::Esc), false), Outcome::Done);
        assert!(!t.comparing);
        t.comparing = true;
        t.key(&key(KeyCode::Char('B')), false);
        assert!(!t.comparing);
    }

    #[test]
    fn removing_a_tab_keeps_the_shown_one_or_shows_its_neighbour() {
        let mut t = list(4);
        let ids = t.ids().to_vec();
        t.select(2);
        t.remove(ids[0]);
        assert_eq!(t.active_id(), Some(ids[2]), "a tab before it went: still the same tab");
        t.remove(ids[2]);
        assert_eq!(t.active_id(), Some(ids[3]), "the shown one went: the next one");
        t.remove(ids[3]);
        assert_eq!(t.active_id(), Some(ids[1]), "the last went: the new last");
        assert!(!t.shown());
        let id = t.open();
        assert_eq!(t.ids(), [ids[1], id]);
        assert!(id > ids[3], "ids are never reused");
    }

    #[test]
    fn the_budget_is_split_evenly() {
        let mut t = list(1);
        assert_eq!(t.share(256), 256);
        for _ in 0..9 {
            t.open();
        }
        let share = t.share(256 << 20);
        assert!(share * 10 <= 256 << 20 && share * 10 > (256 << 20) - 10, "ten tabs keep what one would");
    }

    #[test]
    fn a_click_picks_the_tab_drawn_there_and_ten_tabs_fit_on_80_columns() {
        let tabs: Vec<TabSummary> = ["edge", "cloud"].iter().map(|n| summary(n, "1.2k")).collect();
        let cells = bar_cells(&tabs, 80);
        assert_eq!(cells[0], (0, label(0, &tabs[0]).len() as u16, label(0, &tabs[0])));
        let mut t = list(2);
        assert_eq!(t.click(&tabs, 80, cells[1].0 + 2), Outcome::Done);
        assert_eq!(t.active(), 1);
        t.click(&tabs, 80, 79);
        assert_eq!(t.active(), 1, "a click past the tabs changes nothing");
        let ten: Vec<TabSummary> = (0..10).map(|i| summary(&format!("broker-{i}.example.com"), "99k")).collect();
        let cells = bar_cells(&ten, 80);
        let (x, w, _) = cells[9];
        assert!(x + w <= 80, "{cells:?}");
        assert_eq!(cells[0].2, "1 brok…", "the number and the name first");
        assert!(cells.windows(2).all(|p| p[0].0 + p[0].1 < p[1].0), "{cells:?}");
    }

    #[test]
    fn names_are_the_profile_or_the_host_without_secrets() {
        assert_eq!(tab_name(Some("edge"), "mqtt://x"), "edge");
        assert_eq!(tab_name(None, "ws://user:secret@broker.example:8080/mqtt?token=t"), "broker.example:8080");
        assert_eq!(tab_name(None, "mqtt://127.0.0.1:1883"), "127.0.0.1:1883");
        assert!(!tab_name(Some("a\u{1b}[2Jb"), "").contains('\u{1b}'));
    }
}
