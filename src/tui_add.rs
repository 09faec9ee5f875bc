//! Adding a broker while the dashboard runs (`A`): the connection manager's choice turned into a
//! new tab's options. It does what `mqscope -P NAME` or the manager before the dashboard do, but
//! nothing is printed (the screen is the dashboard's) and nothing is asked on the terminal: errors
//! come back as text for the manager to show, and a password the broker needs is asked for by the
//! manager itself.

use crate::cli::TuiArgs;
use crate::config::{self, Profile, SubscriptionProfile, apply};
use crate::manager::{Choice, Manager};
use crate::tui::Broker;
use std::path::PathBuf;

/// Why a choice did not give a tab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddError {
    /// The broker needs a password typed in: ask with this prompt and try again.
    Password(String),
    /// Shown in the manager; the user can pick another or fix the form.
    Failed(String),
}

/// What the dashboard needs to add brokers: the config file and the command line's shared options.
#[derive(Debug, Clone)]
pub struct Adder {
    config: Option<PathBuf>,
    /// The command line as given, without its brokers: the options every tab shares.
    base: TuiArgs,
}

impl Adder {
    pub fn new(config: Option<PathBuf>, args: &TuiArgs) -> Self {
        let mut base = args.clone();
        base.brokers.clear();
        base.conn.url = None;
        base.conn.profile = None;
        // Said once at start; a second tab must not print the warning over the screen.
        if let Some(pw) = base.conn.password.take() {
            base.conn.password_from_profile = Some(pw);
        }
        Self { config, base }
    }

    /// The manager to show: the saved profiles as the file has them now (one saved a minute ago
    /// is there), without the demo.
    pub fn manager(&self) -> Manager {
        let (list, path, error) = match config::load(self.config.as_deref()) {
            Ok(Some((path, file))) => {
                let list = file
                    .profiles
                    .iter()
                    .map(|(n, p)| {
                        (n.clone(), crate::transport::redact_url(p.url.as_deref().unwrap_or_default()).into())
                    })
                    .collect();
                (list, path, None)
            }
            Ok(None) => (Vec::new(), self.file_path(), None),
            Err(e) => (Vec::new(), self.file_path(), Some(e.to_string())),
        };
        let mut m = Manager::new(list, path.display().to_string(), false);
        m.error = error;
        m
    }

    fn file_path(&self) -> PathBuf {
        config::locate(self.config.as_deref()).map(|(p, _)| p).unwrap_or_else(|| "config.toml".into())
    }

    /// The tab for `choice`. A broker that needs a typed password gives `AddError::Password` until
    /// the choice comes back wrapped in `Choice::Password`.
    pub fn open(&self, choice: Choice) -> Result<Broker, AddError> {
        let (choice, password) = match choice {
            Choice::Password { choice, password } => (*choice, Some(password.0)),
            other => (other, None),
        };
        let mut args = self.base.clone();
        let (name, profile) = match &choice {
            Choice::Profile(name) => {
                let loaded = config::load(self.config.as_deref()).map_err(|e| AddError::Failed(e.to_string()))?;
                let Some((path, file)) = loaded else {
                    return Err(AddError::Failed("no config file to take the profile from".into()));
                };
                let p = file.profile(&path, name).map_err(|e| AddError::Failed(e.to_string()))?.clone();
                args.conn.profile = Some(name.clone());
                if args.theme.is_none() && p.theme.is_none() {
                    args.theme = file.theme.as_deref().and_then(|t| t.parse().ok());
                }
                (Some(name.clone()), p)
            }
            Choice::New { profile, save_as, ask_password } => {
                if let Some(name) = save_as {
                    let path = self.file_path();
                    config::save::save_profile(&path, name, profile)
                        .map_err(|e| AddError::Failed(format!("profile not saved: {e}")))?;
                }
                let p = Profile {
                    url: Some(profile.url.clone()),
                    mqtt: profile.mqtt.clone(),
                    client_id: profile.client_id.clone(),
                    username: profile.username.clone(),
                    password_env: profile.password_env.clone(),
                    password_prompt: Some(*ask_password),
                    subscriptions: profile
                        .subscriptions
                        .iter()
                        .map(|(filter, qos)| SubscriptionProfile { filter: filter.clone(), qos: *qos })
                        .collect(),
                    ..Profile::default()
                };
                (save_as.clone(), p)
            }
            Choice::Demo | Choice::Quit | Choice::Password { .. } => {
                return Err(AddError::Failed("nothing to connect to".into()));
            }
        };
        // Warnings (a plain password in the profile) go to the log: the screen is not ours to print on.
        for w in apply::tui(&mut args, &profile).map_err(|e| AddError::Failed(format!("profile: {e}")))? {
            tracing::warn!("{}", crate::sanitize::line(&w));
        }
        let Some(url) = args.conn.url.clone() else {
            return Err(AddError::Failed("the profile has no url".into()));
        };
        if args.conn.ask_password {
            let Some(pw) = password else {
                let shown = crate::transport::shown_url(&url);
                let prompt = match &args.conn.username {
                    Some(u) => format!("Password for {u} at {shown}"),
                    None => format!("Password for {shown}"),
                };
                return Err(AddError::Password(prompt));
            };
            args.conn.ask_password = false;
            args.conn.password_from_profile = Some(pw);
        }
        let (config, task) =
            crate::tui_setup::options(&args, Some(&profile)).map_err(|e| AddError::Failed(e.to_string()))?;
        let name = crate::app::tabs::tab_name(name.as_deref(), &config.url);
        Ok(Broker { name, config, task })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use crate::manager::Secret;
    use clap::Parser as _;

    fn adder(toml: &str, extra: &[&str]) -> (Adder, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, toml).unwrap();
        let mut argv = vec!["mqscope"];
        argv.extend_from_slice(extra);
        let cli = Cli::try_parse_from(argv).unwrap();
        (Adder::new(Some(path), &cli.tui), dir)
    }

    const PROFILES: &str = r#"
[profiles.edge]
url = "mqtt://127.0.0.1:1883"
subscriptions = [{ filter = "factory/#", qos = 1 }]

[profiles.locked]
url = "mqtt://127.0.0.1:1884"
username = "ops"
password_prompt = true
"#;

    #[test]
    fn a_saved_profile_becomes_a_tab_with_its_own_subscriptions() {
        let (a, _dir) = adder(PROFILES, &["-t", "ignored/by/the/profile?"]);
        let m = a.manager();
        assert_eq!(m.profiles.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["edge", "locked"]);
        let b = a.open(Choice::Profile("edge".into())).unwrap();
        assert_eq!(b.name, "edge");
        assert!(b.config.url.contains("127.0.0.1:1883"), "{}", b.config.url);
    }

    #[test]
    fn a_profile_that_asks_for_a_password_asks_in_the_manager_then_connects() {
        let (a, _dir) = adder(PROFILES, &[]);
        let Err(AddError::Password(prompt)) = a.open(Choice::Profile("locked".into())) else {
            panic!("no password asked")
        };
        assert_eq!(prompt, "Password for ops at mqtt://127.0.0.1:1884");
        let choice =
            Choice::Password { choice: Box::new(Choice::Profile("locked".into())), password: Secret("pw".into()) };
        let b = a.open(choice).unwrap();
        assert_eq!(b.name, "locked");
        assert_eq!(b.task.session.password.as_deref(), Some(&b"pw"[..]));
    }

    #[test]
    fn errors_come_back_as_text_for_the_manager() {
        let (a, _dir) = adder(PROFILES, &[]);
        let Err(AddError::Failed(e)) = a.open(Choice::Profile("nope".into())) else { panic!() };
        assert!(e.contains("nope"), "{e}");
        let (a, _dir) = adder("profiles = 3", &[]);
        assert!(a.manager().error.is_some(), "a broken file is said in the manager");
    }

    #[test]
    fn a_new_connection_is_saved_when_named_and_becomes_a_tab() {
        let (a, dir) = adder("", &[]);
        let profile = crate::config::save::NewProfile {
            url: "ws://127.0.0.1:9001/mqtt".into(),
            mqtt: None,
            client_id: None,
            username: None,
            password_env: None,
            password_cmd: None,
            subscriptions: vec![("a/#".into(), 0)],
        };
        let b = a.open(Choice::New { profile, save_as: Some("lab".into()), ask_password: false }).unwrap();
        assert_eq!(b.name, "lab");
        let saved = std::fs::read_to_string(dir.path().join("config.toml")).unwrap();
        assert!(saved.contains("[profiles.lab]"), "{saved}");
        assert_eq!(a.manager().profiles.len(), 1, "the new profile is offered next time");
    }
}
