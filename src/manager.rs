//! The connection manager: what `mqscope` shows when started with neither a URL nor a profile. Pick
//! a saved profile, start the demo, or fill a new connection and (optionally) save it as a profile.
//! The state and its key handling are pure; `run` is the thin terminal loop around them. The
//! dashboard shows the same manager over its screen to add a broker in a new tab (`A`): there the
//! demo is not offered, and a password is typed into the manager (hidden), as no terminal prompt
//! can be used while the screen is the dashboard's.

use crate::config::save::NewProfile;
use crate::sanitize;
use crate::ui::theme::Theme;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

/// What the user chose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    Profile(String),
    Demo,
    /// A new connection; saved first under the name when one was given.
    New {
        profile: NewProfile,
        save_as: Option<String>,
        ask_password: bool,
    },
    /// A choice that needed a password, with the password typed for it (in the dashboard only).
    Password {
        choice: Box<Choice>,
        password: Secret,
    },
    Quit,
}

/// A typed password: its `Debug` shows its length only, so it reaches no log or panic message.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret({} chars)", self.0.chars().count())
    }
}

/// A password asked for a choice (in the dashboard), typed but never shown.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordAsk {
    pub choice: Choice,
    /// What is asked, e.g. `Password for me at broker:1883`.
    pub prompt: String,
    typed: String,
}

impl std::fmt::Debug for PasswordAsk {
    // The password itself never reaches a log or a panic message.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordAsk").field("choice", &self.choice).field("typed", &self.typed.len()).finish()
    }
}

/// The form's fields, in order.
const FIELDS: [&str; 8] = [
    "URL (ws://, wss://, mqtt://, mqtts://)",
    "user name",
    "password from env variable (name)",
    "ask for the password (y/n)",
    "client id (empty: generated)",
    "subscribe to (filters, space separated; empty: #)",
    "MQTT version (3.1, 3.1.1, 5; empty: 5 with fallback)",
    "save as profile (name; empty: do not save)",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manager {
    /// Saved profiles: name and URL.
    pub profiles: Vec<(String, String)>,
    pub config_path: String,
    /// Selected row: profiles, then "demo", then "new connection".
    pub selected: usize,
    /// The form, when open: field values and the focused field.
    pub form: Option<(Vec<String>, usize)>,
    pub error: Option<String>,
    /// The demo row is offered (not in the dashboard, where the demo cannot start).
    demo: bool,
    /// A password being typed for a choice that needs one.
    pub password: Option<PasswordAsk>,
    /// What is being done for the last choice (in the dashboard: "connecting…"); keys wait, but
    /// for Esc, which gives up on it.
    pub busy: Option<String>,
}

impl Manager {
    pub fn new(profiles: Vec<(String, String)>, config_path: String, demo_available: bool) -> Self {
        Self {
            profiles,
            config_path,
            selected: 0,
            form: None,
            error: None,
            demo: demo_available,
            password: None,
            busy: None,
        }
    }

    fn rows(&self) -> usize {
        self.profiles.len() + if self.demo { 2 } else { 1 }
    }

    /// Asks for the password `choice` needs; the next Enter returns [`Choice::Password`].
    pub fn ask_password(&mut self, choice: Choice, prompt: String) {
        self.error = None;
        self.password = Some(PasswordAsk { choice, prompt, typed: String::new() });
    }

    /// Handles a key; `Some` when the user has chosen.
    pub fn key(&mut self, key: KeyEvent) -> Option<Choice> {
        if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
            return Some(Choice::Quit);
        }
        if self.busy.is_some() {
            return (key.code == KeyCode::Esc).then_some(Choice::Quit);
        }
        if let Some(ask) = self.password.as_mut() {
            match key.code {
                KeyCode::Esc => self.password = None,
                KeyCode::Enter => {
                    let ask = self.password.take()?;
                    return Some(Choice::Password { choice: Box::new(ask.choice), password: Secret(ask.typed) });
                }
                KeyCode::Backspace => {
                    ask.typed.pop();
                }
                KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => ask.typed.push(c),
                _ => {}
            }
            return None;
        }
        if let Some((values, field)) = self.form.as_mut() {
            match key.code {
                KeyCode::Esc => self.form = None,
                KeyCode::Tab | KeyCode::Down => *field = (*field + 1) % FIELDS.len(),
                KeyCode::BackTab | KeyCode::Up => *field = (*field + FIELDS.len() - 1) % FIELDS.len(),
                KeyCode::Backspace => {
                    values[*field].pop();
                }
                KeyCode::Enter => return self.submit(),
                KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => values[*field].push(c),
                _ => {}
            }
            self.error = None;
            return None;
        }
        match key.code {
            KeyCode::Char('q') | KeyCode::Esc => return Some(Choice::Quit),
            KeyCode::Up | KeyCode::Char('k') => self.selected = self.selected.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => self.selected = (self.selected + 1).min(self.rows() - 1),
            KeyCode::Char('d') if self.demo => return Some(Choice::Demo),
            KeyCode::Char('n') => self.open_form(),
            KeyCode::Enter => {
                let n = self.profiles.len();
                return match self.selected {
                    i if i < n => Some(Choice::Profile(self.profiles[i].0.clone())),
                    i if i == n && self.demo => Some(Choice::Demo),
                    _ => {
                        self.open_form();
                        None
                    }
                };
            }
            _ => {}
        }
        None
    }

    fn open_form(&mut self) {
        let mut values = vec![String::new(); FIELDS.len()];
        values[0] = "ws://localhost:8080/mqtt".into();
        values[3] = "n".into();
        self.form = Some((values, 0));
    }

    fn submit(&mut self) -> Option<Choice> {
        let (v, _) = self.form.as_ref()?;
        let opt = |i: usize| Some(v[i].trim().to_string()).filter(|s| !s.is_empty());
        let Some(url) = opt(0) else {
            self.error = Some("the URL is required".into());
            return None;
        };
        if let Err(e) = crate::transport::BrokerUrl::parse(&url) {
            self.error = Some(format!("URL: {e}"));
            return None;
        }
        let mut subscriptions = Vec::new();
        for f in v[5].split_whitespace() {
            if let Err(k) = crate::codec::topic::check_topic_filter(f) {
                self.error = Some(format!("filter '{f}': {k}"));
                return None;
            }
            subscriptions.push((f.to_string(), 0));
        }
        if let Some(m) = opt(6)
            && let Err(e) = m.parse::<crate::codec::ProtocolVersion>()
        {
            self.error = Some(e);
            return None;
        }
        let save_as = opt(7);
        if let Some(name) = &save_as
            && self.profiles.iter().any(|(n, _)| n == name)
        {
            self.error = Some(format!("a profile named '{name}' exists already"));
            return None;
        }
        let profile = NewProfile {
            url,
            mqtt: opt(6),
            client_id: opt(4),
            username: opt(1),
            password_env: opt(2),
            password_cmd: None,
            subscriptions,
        };
        let ask_password = v[3].trim().eq_ignore_ascii_case("y");
        Some(Choice::New { profile, save_as, ask_password })
    }

    pub fn render(&self, f: &mut Frame<'_>, theme: &Theme) {
        let area = f.area();
        let r = crate::ui::centered(area, 90, (self.rows() as u16 + 14).max(20));
        let mut lines =
            vec![Line::styled(format!("config: {}", sanitize::line(&self.config_path)), theme.dim), Line::raw("")];
        match (&self.password, &self.form) {
            (Some(ask), _) => {
                lines.push(Line::styled(sanitize::line(&ask.prompt).into_owned(), theme.title));
                lines.push(Line::from(vec![
                    Span::styled("password ", theme.key),
                    Span::styled(format!("{}█", "•".repeat(ask.typed.chars().count().min(64))), theme.selected),
                ]));
                lines.push(Line::raw(""));
                lines.push(Line::styled("Enter connect · Esc back · kept in memory only, never saved", theme.dim));
            }
            (None, None) => {
                lines.push(Line::styled("Saved profiles", theme.title));
                if self.profiles.is_empty() {
                    lines.push(Line::styled("  none yet: n makes one", theme.dim));
                }
                let mut rows: Vec<String> = self
                    .profiles
                    .iter()
                    .map(|(n, u)| {
                        format!("{:<20} {}", sanitize::line(n), sanitize::line(&crate::transport::shown_url(u)))
                    })
                    .collect();
                if self.demo {
                    rows.push("Start the demo (embedded broker and simulated feed)".into());
                }
                rows.push("New connection…".into());
                for (i, row) in rows.iter().enumerate() {
                    if i == self.profiles.len() {
                        lines.push(Line::raw(""));
                    }
                    let style = if i == self.selected { theme.selected } else { ratatui::style::Style::new() };
                    lines.push(Line::styled(format!("{} {row}", if i == self.selected { ">" } else { " " }), style));
                }
                lines.push(Line::raw(""));
                lines.push(Line::styled(
                    if self.demo {
                        "↑↓ choose · Enter connect · d demo · n new · q quit"
                    } else {
                        "↑↓ choose · Enter connect in a new tab · n new · q/Esc back"
                    },
                    theme.dim,
                ));
            }
            (None, Some((values, field))) => {
                lines.push(Line::styled("New connection", theme.title));
                for (i, label) in FIELDS.iter().enumerate() {
                    let focused = i == *field;
                    lines.push(Line::from(vec![
                        Span::styled(format!("{label:<52} "), if focused { theme.key } else { theme.dim }),
                        Span::styled(
                            format!("{}{}", sanitize::line(&values[i]), if focused { "█" } else { "" }),
                            if focused { theme.selected } else { ratatui::style::Style::new() },
                        ),
                    ]));
                }
                lines.push(Line::raw(""));
                lines.push(Line::styled(
                    "Tab/↑↓ field · Enter connect (and save) · Esc back · the password itself is never saved",
                    theme.dim,
                ));
            }
        }
        if let Some(b) = &self.busy {
            lines.push(Line::styled(format!("{} (Esc gives up)", sanitize::line(b)), theme.warn));
        }
        if let Some(e) = &self.error {
            lines.push(Line::styled(sanitize::line(e).into_owned(), theme.error));
        }
        // Over the dashboard, nothing of it may show through.
        f.render_widget(ratatui::widgets::Clear, r);
        let title = if self.demo { " mqscope: connect " } else { " mqscope: add a broker " };
        f.render_widget(
            Paragraph::new(lines).block(Block::bordered().title(title).border_style(theme.border_focus)),
            Rect { ..r },
        );
    }
}

/// Shows the manager until the user chooses. The terminal is restored before returning.
pub fn run(mut m: Manager, theme: Theme) -> anyhow::Result<Choice> {
    // A signal that ends the program is a quit, so the terminal is restored on the way out. The
    // runtime's one worker thread receives it while this loop waits for keys.
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut signals = rt.block_on(async { crate::tui::ExitSignals::new() })?;
    let flag = stop.clone();
    rt.spawn(async move {
        signals.recv().await;
        flag.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    let (_guard, mut terminal) = crate::tui::setup_terminal()?;
    loop {
        terminal.draw(|f| m.render(f, &theme))?;
        // Wake up now and then to see whether a signal came.
        while !crossterm::event::poll(std::time::Duration::from_millis(50))? {
            if stop.load(std::sync::atomic::Ordering::Relaxed) {
                return Ok(Choice::Quit);
            }
        }
        if let crossterm::event::Event::Key(k) = crossterm::event::read()?
            && k.kind == KeyEventKind::Press
            && let Some(choice) = m.key(k)
        {
            return Ok(choice);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(m: &mut Manager, code: KeyCode) -> Option<Choice> {
        m.key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    fn typed(m: &mut Manager, s: &str) {
        for c in s.chars() {
            press(m, KeyCode::Char(c));
        }
    }

    fn manager() -> Manager {
        Manager::new(vec![("home".into(), "ws://nas/mqtt".into())], "/tmp/c.toml".into(), true)
    }

    #[test]
    fn a_profile_or_the_demo_is_chosen_from_the_list() {
        let mut m = manager();
        assert_eq!(press(&mut m, KeyCode::Enter), Some(Choice::Profile("home".into())));
        press(&mut m, KeyCode::Down);
        assert_eq!(press(&mut m, KeyCode::Enter), Some(Choice::Demo));
        assert_eq!(press(&mut m, KeyCode::Char('d')), Some(Choice::Demo));
        assert_eq!(press(&mut m, KeyCode::Char('q')), Some(Choice::Quit));
    }

    #[test]
    fn the_form_validates_and_returns_a_profile_to_save() {
        let mut m = manager();
        press(&mut m, KeyCode::Char('n'));
        // Clear the suggested URL and type a bad one.
        for _ in 0..40 {
            press(&mut m, KeyCode::Backspace);
        }
        typed(&mut m, "gopher://x");
        assert_eq!(press(&mut m, KeyCode::Enter), None);
        assert!(m.error.as_ref().is_some_and(|e| e.contains("URL")), "{:?}", m.error);
        for _ in 0..40 {
            press(&mut m, KeyCode::Backspace);
        }
        typed(&mut m, "mqtt://broker:1883");
        press(&mut m, KeyCode::Tab);
        typed(&mut m, "me");
        press(&mut m, KeyCode::Tab);
        typed(&mut m, "MY_PW");
        for _ in 0..3 {
            press(&mut m, KeyCode::Tab);
        }
        typed(&mut m, "a/# b");
        press(&mut m, KeyCode::Tab);
        press(&mut m, KeyCode::Tab);
        typed(&mut m, "home");
        assert_eq!(press(&mut m, KeyCode::Enter), None, "the name is taken");
        for _ in 0..4 {
            press(&mut m, KeyCode::Backspace);
        }
        typed(&mut m, "lab");
        let Some(Choice::New { profile, save_as, ask_password }) = press(&mut m, KeyCode::Enter) else {
            panic!("no choice")
        };
        assert_eq!(profile.url, "mqtt://broker:1883");
        assert_eq!(profile.username.as_deref(), Some("me"));
        assert_eq!(profile.password_env.as_deref(), Some("MY_PW"));
        assert_eq!(profile.subscriptions, [("a/#".to_string(), 0), ("b".to_string(), 0)]);
        assert_eq!((save_as.as_deref(), ask_password), (Some("lab"), false));
    }

    #[test]
    fn in_the_dashboard_the_demo_is_not_offered_and_a_password_is_typed_hidden() {
        let mut m = Manager::new(vec![("home".into(), "ws://nas/mqtt".into())], "/tmp/c.toml".into(), false);
        assert_eq!(press(&mut m, KeyCode::Char('d')), None, "no demo in the dashboard");
        press(&mut m, KeyCode::Down);
        assert_eq!(press(&mut m, KeyCode::Enter), None, "the row after the profiles is the form");
        assert!(m.form.is_some());
        press(&mut m, KeyCode::Esc);
        press(&mut m, KeyCode::Up);
        let Some(choice) = press(&mut m, KeyCode::Enter) else { panic!("no choice") };
        m.ask_password(choice, "Password for me at nas".into());
        typed(&mut m, "s3cret");
        press(&mut m, KeyCode::Backspace);
        let theme = Theme::new(crate::app::ThemeName::Dark, true);
        let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(100, 30)).unwrap();
        term.draw(|f| m.render(f, &theme)).unwrap();
        let text = format!("{:?}", term.backend().buffer());
        assert!(text.contains("Password for me at nas") && text.contains("•••••"), "{text}");
        assert!(!text.contains("s3cre") && !format!("{m:?}").contains("s3cre"), "never shown, never logged");
        assert_eq!(
            press(&mut m, KeyCode::Enter),
            Some(Choice::Password {
                choice: Box::new(Choice::Profile("home".into())),
                password: Secret("s3cre".into())
            })
        );
        assert!(m.password.is_none());
    }

    #[test]
    fn it_renders_the_list_and_the_form() {
        let mut m = manager();
        let theme = Theme::new(crate::app::ThemeName::Dark, true);
        let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(100, 30)).unwrap();
        term.draw(|f| m.render(f, &theme)).unwrap();
        let text = format!("{:?}", term.backend().buffer());
        assert!(text.contains("home") && text.contains("Start the demo") && text.contains("New connection"));
        press(&mut m, KeyCode::Char('n'));
        term.draw(|f| m.render(f, &theme)).unwrap();
        assert!(format!("{:?}", term.backend().buffer()).contains("save as profile"));
    }
}
