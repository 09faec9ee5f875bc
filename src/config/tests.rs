//! Config files: valid and invalid ones, error positions, precedence, the example file.

use super::*;
use crate::cli::Cli;
use clap::Parser;
use std::path::Path;

fn p() -> &'static Path {
    Path::new("test.toml")
}

#[test]
fn a_valid_file_parses_into_profiles() {
    let c = parse(
        r#"
default_profile = "home"
[profiles.home]
url = "ws://nas:9001/mqtt"
subscriptions = [{ filter = "a/#", qos = 1 }]
"#,
        p(),
    )
    .unwrap();
    assert_eq!(c.default_profile.as_deref(), Some("home"));
    assert_eq!(c.profiles["home"].subscriptions[0].filter, "a/#");
}

#[test]
fn an_unknown_key_names_the_file_line_column_and_what_was_expected() {
    let err = parse("[profiles.x]\nurl = \"ws://h\"\nkeeplive = 30\n", p()).unwrap_err();
    let ConfigError::Parse { line, column, message, .. } = &err else { panic!("{err:?}") };
    assert_eq!((*line, *column), (3, 1));
    assert!(message.contains("unknown field `keeplive`") && message.contains("keepalive"), "{message}");
    assert!(err.to_string().starts_with("test.toml:3:1: "), "{err}");
}

#[test]
fn a_wrong_type_is_an_error_with_its_position() {
    let err = parse("[profiles.x]\nkeepalive = \"thirty\"\n", p()).unwrap_err();
    let ConfigError::Parse { line, column, message, .. } = &err else { panic!("{err:?}") };
    assert_eq!((*line, *column), (2, 13));
    assert!(message.contains("invalid type") || message.contains("expected"), "{message}");
    let err = parse("[profiles.x\n", p()).unwrap_err();
    assert!(matches!(err, ConfigError::Parse { line: 1, .. }), "{err:?}");
}

#[test]
fn values_the_types_cannot_check_are_checked_by_profile() {
    for (text, needle) in [
        ("[profiles.x]\nmqtt = \"4.0\"\n", "4.0"),
        ("[profiles.x]\nsubscriptions = [{ filter = \"a/#/b\" }]\n", "a/#/b"),
        ("[profiles.x]\nsubscriptions = [{ filter = \"a\", qos = 3 }]\n", "QoS 3"),
        ("[profiles.x]\nview = \"grid\"\n", "grid"),
        ("[profiles.x]\ntheme = \"neon\"\n", "neon"),
        ("[profiles.x]\npayload_views = { \"a/#\" = \"yaml\" }\n", "yaml"),
        (
            "[[profiles.x.watch]]\nname = \"w\"\npatterns = [\"t/+\"]\ncolumns = [{ title = \"v\", field = \"re:(\" }]\n",
            "regex",
        ),
    ] {
        let err = parse(text, p()).unwrap_err();
        assert!(matches!(err, ConfigError::Invalid { ref profile, .. } if profile == "x"), "{err:?}");
        assert!(err.to_string().contains(needle), "{err} lacks {needle}");
    }
}

#[test]
fn an_unknown_profile_lists_the_known_ones() {
    let c = parse("[profiles.a]\n[profiles.b]\n", p()).unwrap();
    let err = c.profile(p(), "c").unwrap_err().to_string();
    assert!(err.contains("'c'") && err.contains("a, b"), "{err}");
}

#[test]
fn flags_beat_the_environment_which_beats_the_profile_which_beats_defaults() {
    let profile = parse(
        r#"
[profiles.x]
url = "ws://profile/mqtt"
username = "profile-user"
keepalive = 5
client_id = "profile-id"
password_env = "PROFILE_PW"
clean_start = false
headers = { "X-A" = "profile" }
"#,
        p(),
    )
    .unwrap()
    .profiles["x"]
        .clone();
    // The flag's URL wins; the username comes from the environment variable (clap merges it as a flag).
    let mut cli = Cli::try_parse_from(["mqscope", "-u", "ws://flag/mqtt", "--header", "X-A: flag"]).unwrap();
    cli.tui.conn.username = Some("env-user".into());
    apply::conn(&mut cli.tui.conn, &profile).unwrap();
    let c = &cli.tui.conn;
    assert_eq!(c.url.as_deref(), Some("ws://flag/mqtt"));
    assert_eq!(c.username.as_deref(), Some("env-user"));
    assert_eq!(c.keepalive, Some(5), "profile beats the default");
    assert_eq!(c.client_id.as_deref(), Some("profile-id"));
    assert_eq!(c.password_env.as_deref(), Some("PROFILE_PW"));
    assert!(c.no_clean);
    assert_eq!(c.headers, ["X-A: profile", "X-A: flag"], "the flag's header comes last and wins");
    // A password flag replaces the profile's whole password source.
    let mut cli = Cli::try_parse_from(["mqscope", "--password-cmd", "echo x"]).unwrap();
    apply::conn(&mut cli.tui.conn, &profile).unwrap();
    assert_eq!((cli.tui.conn.password_env.as_deref(), cli.tui.conn.password_cmd.as_deref()), (None, Some("echo x")));
    // With nothing anywhere, the defaults apply later (keepalive 30 in the session config).
    let mut cli = Cli::try_parse_from(["mqscope"]).unwrap();
    apply::conn(&mut cli.tui.conn, &Profile::default()).unwrap();
    assert_eq!(cli.tui.conn.keepalive, None);
}

#[test]
fn a_plain_password_in_a_profile_is_used_with_a_warning_and_never_listed() {
    let c = parse("[profiles.x]\nurl = \"ws://h\"\npassword = \"hunter2\"\n", p()).unwrap();
    let mut cli = Cli::try_parse_from(["mqscope"]).unwrap();
    let warnings = apply::conn(&mut cli.tui.conn, &c.profiles["x"]).unwrap();
    assert_eq!(warnings.len(), 1);
    assert_eq!(cli.tui.conn.password_from_profile.as_deref(), Some("hunter2"));
    let listing = listing(&c);
    assert!(!listing.contains("hunter2") && listing.contains("in file (discouraged)"), "{listing}");
    let c = parse("[profiles.x]\nurl = \"wss://me:hunter2@h/mqtt?token=t0k\"\n", p()).unwrap();
    let listing = super::listing(&c);
    assert!(listing.contains("wss://me:***@h/mqtt?token=***") && !listing.contains("t0k"), "{listing}");
}

#[test]
fn a_password_in_a_profile_url_is_not_listed() {
    let c = parse("[profiles.x]\nurl = \"mqtt://alice:hunter2@h\"\n", p()).unwrap();
    let listing = listing(&c);
    assert!(!listing.contains("hunter2") && listing.contains("mqtt://alice:***@h"), "{listing}");
}

#[test]
fn dashboard_options_come_from_the_profile() {
    let c = parse(
        r#"
[profiles.x]
url = "ws://h/mqtt"
subscriptions = [{ filter = "a/#", qos = 2 }, { filter = "b" }]
exclude = ["$SYS/#"]
history = 7
view = "watch"
theme = "light"
"#,
        p(),
    )
    .unwrap();
    let mut cli = Cli::try_parse_from(["mqscope", "--history", "9"]).unwrap();
    apply::tui(&mut cli.tui, &c.profiles["x"]).unwrap();
    let t = &cli.tui;
    assert_eq!(t.topics, ["a/#", "b"]);
    assert_eq!(t.topic_qos, [QoS::ExactlyOnce, QoS::AtMostOnce]);
    assert_eq!((t.history, t.watch, t.theme), (Some(9), true, Some(crate::app::ThemeName::Light)));
    let (config, task) = crate::tui_setup::options(t, Some(&c.profiles["x"])).unwrap();
    assert_eq!(config.history_per_topic, 9);
    assert_eq!(config.start_view, View::Watch);
    assert_eq!(task.session.subscriptions[0].options.qos, QoS::ExactlyOnce);
}

/// Every option the structs accept, by its path in the example (tables joined with '.').
const EVERY_OPTION: &[&str] = &[
    "default_profile",
    "theme",
    "profiles.*.url",
    "profiles.*.mqtt",
    "profiles.*.client_id",
    "profiles.*.username",
    "profiles.*.password_env",
    "profiles.*.password_cmd",
    "profiles.*.password_prompt",
    "profiles.*.password",
    "profiles.*.tls.ca_file",
    "profiles.*.tls.cert",
    "profiles.*.tls.key",
    "profiles.*.tls.insecure",
    "profiles.*.tls.alpn",
    "profiles.*.headers",
    "profiles.*.keepalive",
    "profiles.*.clean_start",
    "profiles.*.session_expiry",
    "profiles.*.will.topic",
    "profiles.*.will.payload",
    "profiles.*.will.qos",
    "profiles.*.will.retain",
    "profiles.*.subscriptions.filter",
    "profiles.*.subscriptions.qos",
    "profiles.*.exclude",
    "profiles.*.hide_cleared",
    "profiles.*.view",
    "profiles.*.watch.name",
    "profiles.*.watch.patterns",
    "profiles.*.watch.reference_topic",
    "profiles.*.watch.reference_field",
    "profiles.*.watch.stale_secs",
    "profiles.*.watch.alert_invalid",
    "profiles.*.watch.columns.title",
    "profiles.*.watch.columns.field",
    "profiles.*.watch.columns.decimals",
    "profiles.*.watch.columns.above",
    "profiles.*.watch.columns.below",
    "profiles.*.watch.columns.change_pct",
    "profiles.*.history",
    "profiles.*.memory_mib",
    "profiles.*.fps",
    "profiles.*.theme",
    "profiles.*.payload_views",
    "profiles.*.schemas",
    "profiles.*.templates.name",
    "profiles.*.templates.topic",
    "profiles.*.templates.payload",
    "profiles.*.templates.qos",
    "profiles.*.templates.retain",
    "profiles.*.templates.user_properties",
    "profiles.*.templates.content_type",
    "profiles.*.templates.rate",
];

/// Key paths present in a TOML document, including commented-out `# key = ...` lines of the
/// password alternatives (documented but not active).
fn key_paths(v: &toml::Value, prefix: &str, out: &mut Vec<String>) {
    match v {
        toml::Value::Table(t) => {
            for (k, v) in t {
                let key = if prefix == "profiles" { "*" } else { k.as_str() };
                let path = if prefix.is_empty() { key.to_string() } else { format!("{prefix}.{key}") };
                out.push(path.clone());
                if prefix.ends_with("headers")
                    || prefix.ends_with("payload_views")
                    || prefix.ends_with("schemas")
                    || k == "user_properties"
                {
                    continue;
                }
                key_paths(v, &path, out);
            }
        }
        toml::Value::Array(a) => {
            for v in a {
                key_paths(v, prefix, out);
            }
        }
        _ => {}
    }
}

#[test]
fn the_example_file_parses_and_documents_every_option() {
    let text = include_str!("../../config.example.toml");
    let parsed = parse(text, Path::new("config.example.toml")).unwrap();
    assert!(parsed.profiles.contains_key("demo-local"));
    let value: toml::Value = toml::from_str(text).unwrap();
    let mut present = Vec::new();
    key_paths(&value, "", &mut present);
    let commented: Vec<String> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("# ")?.split_once(" = ").map(|(k, _)| format!("profiles.*.{k}")))
        .collect();
    for opt in EVERY_OPTION {
        assert!(present.iter().chain(&commented).any(|p| p == opt), "config.example.toml does not show '{opt}'");
    }
    // And nothing in the example is unknown to this list (the parser would reject it anyway).
    for p in &present {
        if p.starts_with("profiles.*.headers.")
            || p.starts_with("profiles.*.payload_views.")
            || p.starts_with("profiles.*.schemas.")
            || p == "profiles"
            || p == "profiles.*"
        {
            continue;
        }
        assert!(
            EVERY_OPTION.contains(&p.as_str()) || EVERY_OPTION.iter().any(|o| o.starts_with(&format!("{p}."))),
            "'{p}' is not in EVERY_OPTION"
        );
    }
}

#[test]
fn schema_files_are_relative_to_the_config_file_and_filters_are_checked() {
    let text = "[profiles.p.schemas]\n\"a/+/t\" = \"s/t.json\"\n\"abs/#\" = \"/etc/x.json\"\n";
    let parsed = parse(text, Path::new("/home/me/.config/mqscope/config.toml")).unwrap();
    let s = &parsed.profiles["p"].schemas;
    assert_eq!(s["a/+/t"], "/home/me/.config/mqscope/s/t.json");
    assert_eq!(s["abs/#"], "/etc/x.json");
    let e = parse("[profiles.p.schemas]\n\"a/#/b\" = \"x.json\"\n", Path::new("c.toml")).unwrap_err();
    assert!(e.to_string().contains("schemas 'a/#/b'"), "{e}");
}

#[test]
fn payload_views_take_a_protobuf_type_with_files_relative_to_the_config() {
    let text = "[profiles.p.payload_views]\n\"a/#\" = \"hex\"\n\"f/+/t\" = { protobuf = \"acme.T\", files = [\"proto/t.proto\"], include = [\"proto\", \"/abs\"] }\n";
    let parsed = parse(text, Path::new("/etc/mq/c.toml")).unwrap();
    let p = &parsed.profiles["p"];
    assert_eq!(
        p.payload_formats(),
        vec![("a/#".to_string(), PayloadFormat::Hex), ("f/+/t".to_string(), PayloadFormat::Protobuf)]
    );
    let specs = p.proto_specs();
    assert_eq!(specs.len(), 1);
    assert_eq!(specs[0].filter, "f/+/t");
    assert_eq!(specs[0].message, "acme.T");
    assert_eq!(specs[0].files, vec![std::path::PathBuf::from("/etc/mq/proto/t.proto")]);
    assert_eq!(specs[0].include, vec![std::path::PathBuf::from("/etc/mq/proto"), std::path::PathBuf::from("/abs")]);
    // A typo inside the table is an error with its place; a table without files says what it needs.
    let e = parse("[profiles.p.payload_views]\n\"f/#\" = { protobuf = \"T\", file = [\"x\"] }\n", Path::new("c.toml"))
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("c.toml:2:") && e.contains("unknown field `file`"), "{e}");
    let e = parse("[profiles.p.payload_views]\n\"f/#\" = { protobuf = \"T\", files = [] }\n", Path::new("c.toml"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("protobuf needs files"), "{e}");
    let e = parse("[profiles.p.payload_views]\n\"f/#\" = 3\n", Path::new("c.toml")).unwrap_err().to_string();
    assert!(e.starts_with("c.toml:2:") && e.contains("a view name"), "{e}");
}

#[test]
fn the_dashboard_takes_proto_flags_before_the_profiles_protobuf_views() {
    let support = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/protobuf_support/proto");
    let text = format!(
        "[profiles.x]\nurl = \"ws://h/mqtt\"\n[profiles.x.payload_views]\n\"site/#\" = {{ protobuf = \"acme.Location\", files = [\"{}\"] }}\n",
        support.join("acme/common.proto").display()
    );
    let c = parse(&text, Path::new("c.toml")).unwrap();
    let flag = format!("factory/+/telemetry=acme.Telemetry:{}", support.join("acme/telemetry.proto").display());
    let proto_path = support.display().to_string();
    let cli =
        Cli::try_parse_from(["mqscope", "-u", "ws://h/mqtt", "--proto", &flag, "--proto-path", &proto_path]).unwrap();
    let (config, _) = crate::tui_setup::options(&cli.tui, Some(&c.profiles["x"])).unwrap();
    assert_eq!(
        config.payload_views,
        vec![
            ("factory/+/telemetry".to_string(), PayloadFormat::Protobuf),
            ("site/#".to_string(), PayloadFormat::Protobuf)
        ]
    );
    let name = |t: &str| config.protos.message_for(t).map(|m| m.full_name().to_owned());
    assert_eq!(name("factory/a/telemetry").as_deref(), Some("acme.Telemetry"));
    assert_eq!(name("site/b").as_deref(), Some("acme.Location"));
    // A .proto that does not compile stops the dashboard before it connects, with the place.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.proto");
    std::fs::write(&bad, "syntax = \"proto3\";\nmessage M {\n  strin a = 1;\n}\n").unwrap();
    let cli =
        Cli::try_parse_from(["mqscope", "-u", "ws://h/mqtt", "--proto", &format!("t=M:{}", bad.display())]).unwrap();
    let e = crate::tui_setup::options(&cli.tui, None).unwrap_err().to_string();
    assert!(e.contains(&format!("{}:3:3", bad.display())), "{e}");
}
