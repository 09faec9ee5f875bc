//! Writing a profile into the config file without disturbing the rest: comments, order and other
//! profiles stay as the user wrote them (toml_edit). Secrets are never written: only where the
//! password comes from (an environment variable or a command).

use std::path::Path;
use toml_edit::{Array, DocumentMut, InlineTable, Item, Table, value};

/// What the connection form can save.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewProfile {
    pub url: String,
    pub mqtt: Option<String>,
    pub client_id: Option<String>,
    pub username: Option<String>,
    pub password_env: Option<String>,
    pub password_cmd: Option<String>,
    /// Filters with QoS.
    pub subscriptions: Vec<(String, u8)>,
}

#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("{why}")]
    Read { why: String },
    #[error("'{path}' is not valid TOML, so it was not changed: {why}")]
    Parse { path: String, why: String },
    #[error("a profile named '{0}' exists already")]
    Exists(String),
    #[error("profile names may use letters, digits, '-' and '_' only: '{0}'")]
    BadName(String),
    #[error("cannot write '{path}': {why}")]
    Write { path: String, why: String },
}

const HEADER: &str = "# mqscope configuration. See config.example.toml for every option.\n";

/// Adds `[profiles.NAME]` to the text of a config file and returns the new text.
pub fn add_profile(text: &str, name: &str, p: &NewProfile) -> Result<String, SaveError> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(SaveError::BadName(name.to_string()));
    }
    let mut doc: DocumentMut =
        text.parse().map_err(|e: toml_edit::TomlError| SaveError::Parse { path: String::new(), why: e.to_string() })?;
    if !doc.contains_key("profiles") {
        let mut t = Table::new();
        t.set_implicit(true);
        doc.insert("profiles", Item::Table(t));
    }
    let Some(profiles) = doc["profiles"].as_table_mut() else {
        return Err(SaveError::Parse { path: String::new(), why: "'profiles' is not a table".into() });
    };
    if profiles.contains_key(name) {
        return Err(SaveError::Exists(name.to_string()));
    }
    let mut t = Table::new();
    // A password typed into the URL stays out of the file, like every other password.
    t["url"] = value(crate::transport::url_without_password(&p.url).as_ref());
    for (key, v) in [
        ("mqtt", &p.mqtt),
        ("client_id", &p.client_id),
        ("username", &p.username),
        ("password_env", &p.password_env),
        ("password_cmd", &p.password_cmd),
    ] {
        if let Some(v) = v {
            t[key] = value(v);
        }
    }
    if !p.subscriptions.is_empty() {
        let mut subs = Array::new();
        for (filter, qos) in &p.subscriptions {
            let mut s = InlineTable::new();
            s.insert("filter", filter.as_str().into());
            s.insert("qos", i64::from(*qos).into());
            subs.push(s);
        }
        t["subscriptions"] = value(subs);
    }
    profiles.insert(name, Item::Table(t));
    Ok(doc.to_string())
}

/// Adds a profile to the file at `path`, creating it (0600, and its folder 0700) when missing.
pub fn save_profile(path: &Path, name: &str, p: &NewProfile) -> Result<(), SaveError> {
    let shown = path.display().to_string();
    let (text, header) = match crate::files::read_regular_text(path, crate::files::CONFIG_LIMIT) {
        Ok(t) => (t, ""),
        Err(e) if e.io_kind() == Some(std::io::ErrorKind::NotFound) => (String::new(), HEADER),
        Err(e) => return Err(SaveError::Read { why: e.to_string() }),
    };
    let new = add_profile(&text, name, p).map_err(|e| match e {
        SaveError::Parse { why, .. } => SaveError::Parse { path: shown.clone(), why },
        other => other,
    })?;
    let new = format!("{header}{new}");
    // Atomic, through a symlink, keeping the file's mode (a new one is 0600): see `files`.
    crate::files::write_atomic(path, new.as_bytes()).map_err(|e| SaveError::Write { path: shown, why: e.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXISTING: &str = r#"# my brokers
theme = "light" # I like it bright

[profiles.home]
# the house
url = "ws://nas.local:9001/mqtt"
password_env = "HOME_MQTT"
"#;

    #[test]
    fn adding_keeps_comments_order_and_other_profiles() {
        let p = NewProfile {
            url: "mqtts://broker.example".into(),
            username: Some("me".into()),
            password_env: Some("WORK_PW".into()),
            subscriptions: vec![("plant/#".into(), 1)],
            ..NewProfile::default()
        };
        let out = add_profile(EXISTING, "work", &p).unwrap();
        assert!(out.starts_with(EXISTING), "the original text is untouched:\n{out}");
        assert!(out.contains("[profiles.work]\nurl = \"mqtts://broker.example\"\nusername = \"me\""), "{out}");
        assert!(out.contains(r#"subscriptions = [{ filter = "plant/#", qos = 1 }]"#), "{out}");
        let parsed = crate::config::parse(&out, Path::new("c.toml")).unwrap();
        assert_eq!(parsed.profiles["work"].subscriptions[0].qos, 1);
        assert_eq!(parsed.theme.as_deref(), Some("light"));
    }

    #[test]
    fn existing_names_bad_names_and_broken_files_are_refused() {
        let p = NewProfile { url: "ws://x".into(), ..NewProfile::default() };
        assert!(matches!(add_profile(EXISTING, "home", &p), Err(SaveError::Exists(_))));
        assert!(matches!(add_profile(EXISTING, "a b", &p), Err(SaveError::BadName(_))));
        assert!(matches!(add_profile("[[[", "x", &p), Err(SaveError::Parse { .. })));
    }

    #[test]
    fn a_password_in_the_url_is_not_saved() {
        let secret = NewProfile { url: "mqtt://alice:hunter2@h".into(), ..NewProfile::default() };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        save_profile(&path, "s", &secret).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("mqtt://alice@h") && !text.contains("hunter2"), "{text}");
    }

    #[test]
    fn a_new_file_is_created_with_a_header() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/config.toml");
        save_profile(&path, "lab", &NewProfile { url: "ws://lab:8080/mqtt".into(), ..NewProfile::default() }).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("# mqscope configuration"));
        assert_eq!(
            crate::config::parse(&text, &path).unwrap().profiles["lab"].url.as_deref(),
            Some("ws://lab:8080/mqtt")
        );
    }

    fn mode(p: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn saving_keeps_a_private_mode_and_a_symlink() {
        use std::os::unix::fs::{PermissionsExt as _, symlink};
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("dotfiles/mqscope.toml");
        std::fs::create_dir(dir.path().join("dotfiles")).unwrap();
        std::fs::write(&real, EXISTING).unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).unwrap();
        let link = dir.path().join("config.toml");
        symlink(&real, &link).unwrap();
        save_profile(&link, "lab", &NewProfile { url: "ws://lab".into(), ..NewProfile::default() }).unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link stays a link");
        assert!(std::fs::read_to_string(&real).unwrap().contains("[profiles.lab]"), "the target got the profile");
        assert_eq!(mode(&real), 0o600);
        let left = std::fs::read_dir(dir.path().join("dotfiles")).unwrap().count();
        assert_eq!(left, 1, "no temporary file left beside the target");
    }

    #[test]
    fn a_new_config_file_and_its_folder_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mqscope/config.toml");
        save_profile(&path, "lab", &NewProfile { url: "ws://lab".into(), ..NewProfile::default() }).unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&dir.path().join("mqscope")), 0o700);
    }

    #[test]
    fn a_config_that_is_not_a_regular_file_is_not_touched() {
        let p = NewProfile { url: "ws://lab".into(), ..NewProfile::default() };
        let e = save_profile(Path::new("/dev/zero"), "lab", &p).unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{e}");
    }
}
