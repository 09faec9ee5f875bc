//! The real dashboard binary in a real terminal: tmux runs `mqscope` against a mosquitto broker, the
//! test types keys with `send-keys` and reads the screen back with `capture-pane`.
//!
//! Each test runs its own tmux server (`tmux -S <socket in a temp dir> -f /dev/null`), so neither the user's
//! tmux nor the other tests are touched, and kills its session when it ends, also on failure. Every
//! wait is a poll of the screen with a generous bound; nothing sleeps for a fixed time.
//!
//! Missing tmux or mosquitto: the tests print "skipping: ..." and pass, except under `CI=true`, where
//! that is a failure.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Mosquitto;
use common::tmux::{SCREEN_WAIT, Tmux, quote};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The title the wrapper script sets before starting mqscope, to prove titles do get through.
const PROBE_TITLE: &str = "mqscope-probe-title";

fn tools_present() -> bool {
    common::tmux::tools_present(&["tmux", "mosquitto", "mosquitto_pub"])
}

/// Reading one capture of the pane.
trait Screen {
    fn has(&self, text: &str) -> bool;

    /// The rows inside the box whose top border carries `title` (`" Messages"`, `" Topics"`), each cut
    /// to the box's columns.
    fn pane(&self, title: &str) -> Vec<String>;

    fn pane_has(&self, title: &str, text: &str) -> bool {
        self.pane(title).iter().any(|l| l.contains(text))
    }

    /// Whether the box with `title` has the thick (focused) border.
    fn focused(&self, title: &str) -> bool {
        self.has(&format!("┏{title}"))
    }

    /// The detail pane's title (the shown topic): the top border's second box.
    fn detail_title_is(&self, topic: &str) -> bool;
}

impl Screen for str {
    fn has(&self, text: &str) -> bool {
        self.contains(text)
    }

    fn pane(&self, title: &str) -> Vec<String> {
        let lines: Vec<&str> = self.lines().collect();
        let Some((top, col)) = lines.iter().enumerate().find_map(|(i, l)| {
            let chars: Vec<char> = l.chars().collect();
            (0..chars.len())
                .find(|&c| is_corner(chars[c]) && chars[c + 1..].iter().collect::<String>().starts_with(title))
                .map(|c| (i, c))
        }) else {
            return Vec::new();
        };
        let width = lines[top].chars().skip(col + 1).position(is_corner).map_or(usize::MAX, |w| w + 2);
        lines[top + 1..]
            .iter()
            .map(|l| l.chars().skip(col).take(width).collect::<String>())
            .take_while(|l| !l.starts_with(['└', '┗']))
            .collect()
    }

    fn detail_title_is(&self, topic: &str) -> bool {
        let first = self.lines().next().unwrap_or_default();
        first.contains(&format!("┌ {topic} ─")) || first.contains(&format!("┏ {topic} ━"))
    }
}

fn is_corner(c: char) -> bool {
    matches!(c, '┌' | '┏')
}

/// Files of one run: the wrapper script, mqscope's PID and log.
struct Run {
    dir: tempfile::TempDir,
}

impl Run {
    fn new() -> Self {
        Self { dir: tempfile::tempdir().unwrap() }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes a script that sets a probe title, notes the tty settings, runs mqscope (its PID in
    /// `mqscope.pid`), then prints `EXITED:<status>` and whether the tty settings came back, and stays
    /// alive so the screen can be read. Returns the command line for tmux.
    fn script(&self, url: &str) -> String {
        self.script_with(url, "")
    }

    /// `script` with more options for mqscope (`extra`, as shell words).
    fn script_with(&self, url: &str, extra: &str) -> String {
        let script = format!(
            "printf '\\033]2;{PROBE_TITLE}\\007'\n\
             before=$(stty -g)\n\
             sh -c 'echo $$ > \"$1\"; shift; exec \"$@\"' mqscope-pid {pid} {bin} -u '{url}' {extra} --log-file {log}\n\
             status=$?\n\
             if [ \"$(stty -g)\" = \"$before\" ]; then tty=restored; else tty=changed; fi\n\
             echo \"EXITED:$status TTY:$tty\"\n\
             exec sleep 120\n",
            pid = quote(&self.path("mqscope.pid")),
            bin = quote(Path::new(env!("CARGO_BIN_EXE_mqscope"))),
            log = quote(&self.path("mqscope.log")),
        );
        let path = self.path("run.sh");
        std::fs::write(&path, script).unwrap();
        format!("sh {}", quote(&path))
    }

    fn pid(&self) -> u32 {
        let deadline = Instant::now() + SCREEN_WAIT;
        loop {
            if let Some(pid) =
                std::fs::read_to_string(self.path("mqscope.pid")).ok().and_then(|s| s.trim().parse().ok())
            {
                return pid;
            }
            assert!(Instant::now() < deadline, "mqscope never wrote its PID");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.path("mqscope.log")).unwrap_or_default()
    }
}

/// After mqscope ended: the shell's line is on the normal screen, with the tty settings as before.
fn assert_exited_and_restored(tmux: &Tmux) {
    let screen = tmux.wait_text("EXITED:");
    assert!(screen.has("EXITED:0 TTY:restored"), "mqscope did not exit cleanly or left the tty changed:\n{screen}");
    assert!(!screen.has("panicked"), "{screen}");
    assert_eq!(tmux.display("#{alternate_on}"), "0", "still on the alternate screen");
    assert_eq!(tmux.display("#{cursor_flag}"), "1", "the cursor is still hidden");
    assert_eq!(
        tmux.display("#{mouse_any_flag}#{mouse_button_flag}#{mouse_standard_flag}"),
        "000",
        "mouse capture left on"
    );
}

const JSON: &[u8] = br#"{"temp":21.5,"hum":40}"#;
const HOSTILE: &[u8] = b"evil \x1b]0;pwned\x07 and \x1b[2J clear";

fn publish_retained(broker: &Mosquitto) {
    broker.publish("sensors/kitchen/env", JSON, true);
    broker.publish("sensors/garage/temp", b"19.25", true);
    broker.publish("blob/raw", &[0x00, 0x01, 0x02, 0xff, 0xfe], true);
    broker.publish("hostile/title", HOSTILE, true);
}

#[test]
fn dashboard_shows_a_live_broker_and_answers_keys() {
    if !tools_present() {
        return;
    }
    let Some(broker) = Mosquitto::start() else { return };
    publish_retained(&broker);
    let run = Run::new();
    let tmux = Tmux::start(run.path("tmux.sock"), "main", 160, 48, &run.script(&broker.ws_url()));

    // Retained messages arrive: the tree, the log, the status line.
    let s =
        tmux.wait_for("the four retained topics", |s| s.has("Topics 4") && s.pane_has(" Messages", "hostile/title"));
    for row in
        ["▾ blob", "raw <5 bytes binary> 00 01 02 ff fe", "▾ sensors", "temp 19.25", r#"env {"temp":21.5,"hum":40}"#]
    {
        assert!(s.pane_has(" Topics", row), "tree row '{row}' missing:\n{s}");
    }
    assert!(s.has("● connected"), "{s}");
    assert!(s.has(&format!("ws://127.0.0.1:{}/mqtt", broker.ws_port)), "{s}");

    // The hostile payload is shown escaped, and neither its title nor its clear reached the terminal.
    assert!(s.pane_has(" Messages", r"hostile/title evil \e]0;pwned\x07 and \e[2J clear"), "{s}");
    assert!(s.pane_has(" Topics", r"title evil \e]0;pwned"), "{s}");
    assert_eq!(tmux.display("#{pane_title}"), PROBE_TITLE, "the probe title should stand (and never be 'pwned')");

    // Live messages are counted and listed as they come.
    for i in 1..=3 {
        broker.publish("live/counter", format!("{i}").as_bytes(), false);
    }
    let s = tmux.wait_for("three live messages", |s| s.has("Topics 5") && s.has("Messages 7") && s.has("total 7"));
    assert!(s.pane_has(" Messages", "live/counter 3"), "{s}");
    assert!(s.pane_has(" Topics", "counter 3"), "{s}");

    // Navigation: g goes to the first row (the selection stays on whichever topic arrived first,
    // and retained messages may come in more than one batch); j/Down go down, k/Up go up; the
    // detail pane follows.
    tmux.keys(&["g"]);
    tmux.wait_for("'blob' selected", |s| s.detail_title_is("blob"));
    tmux.keys(&["j"]);
    let s = tmux.wait_for("'blob/raw' selected", |s| s.detail_title_is("blob/raw"));
    assert!(s.has("HEX · 5 B · QoS 0 · retained"), "{s}");
    assert!(s.has("00000000  00 01 02 ff fe"), "{s}");
    tmux.keys(&["Down"]);
    tmux.wait_for("'hostile' selected", |s| s.detail_title_is("hostile"));
    tmux.keys(&["Down"]);
    let s = tmux.wait_for("'hostile/title' selected", |s| s.detail_title_is("hostile/title"));
    assert!(!s.lines().any(|l| l.contains("pwned") && !l.contains(r"\e]0;pwned")), "{s}");
    tmux.keys(&["k", "Up", "Up"]);
    tmux.wait_for("back on 'blob'", |s| s.detail_title_is("blob"));

    // Fold and unfold one level with h/l and Enter.
    tmux.keys(&["h"]);
    let s = tmux.wait_text("▸ blob (1)");
    assert!(!s.pane_has(" Topics", "raw <5 bytes"), "folded 'blob' still shows its child:\n{s}");
    tmux.keys(&["l"]);
    tmux.wait_for("'blob' unfolded", |s| s.pane_has(" Topics", "▾ blob") && s.pane_has(" Topics", "raw <5 bytes"));
    tmux.keys(&["Enter"]);
    tmux.wait_text("▸ blob (1)");
    tmux.keys(&["Enter"]);
    tmux.wait_for("'blob' unfolded again", |s| s.pane_has(" Topics", "raw <5 bytes"));

    // Fold all, unfold all.
    tmux.keys(&["C"]);
    let s = tmux.wait_for("everything folded", |s| {
        ["▸ blob (1)", "▸ hostile (1)", "▸ live (1)", "▸ sensors (2)"].iter().all(|r| s.pane_has(" Topics", r))
    });
    assert!(!s.pane_has(" Topics", "▾"), "{s}");
    tmux.keys(&["E"]);
    let s = tmux.wait_for("everything unfolded", |s| s.pane_has(" Topics", r#"env {"temp""#));
    assert!(!s.pane_has(" Topics", "▸"), "{s}");

    // Filter the tree: `/`, a pattern, Enter; Esc clears it.
    tmux.keys(&["/"]);
    tmux.wait_text("filter topics");
    tmux.type_text("temp");
    tmux.wait_text("filter topics (text, or MQTT filter like a/+/c): temp");
    tmux.keys(&["Enter"]);
    let s = tmux.wait_text("filter 'temp' (3 rows)");
    assert!(s.pane_has(" Topics", "temp 19.25"), "{s}");
    for gone in ["blob", "hostile", "kitchen", "live"] {
        assert!(!s.pane_has(" Topics", gone), "'{gone}' passed the filter 'temp':\n{s}");
    }
    tmux.keys(&["Escape"]);
    let s = tmux.wait_for("the filter cleared", |s| !s.has("filter '") && s.pane_has(" Topics", "▾ blob"));
    assert!(!s.has("filter topics"), "{s}");

    // Pause: new messages are counted but not listed until resumed.
    tmux.keys(&["Space"]);
    tmux.wait_text("· PAUSED");
    broker.publish("live/after", b"LIVE-AFTER-PAUSE", false);
    let s = tmux.wait_for("the paused message counted", |s| s.has("· 1 new") && s.has("total 8"));
    assert!(s.has("Messages 7 · PAUSED"), "{s}");
    assert!(s.pane_has(" Topics", "after LIVE-AFTER-PAUSE"), "the tree counts it:\n{s}");
    assert!(!s.pane_has(" Messages", "LIVE-AFTER-PAUSE"), "a paused log listed a new message:\n{s}");
    tmux.keys(&["Space"]);
    let s = tmux.wait_for("the log resumed", |s| s.pane_has(" Messages", "live/after LIVE-AFTER-PAUSE"));
    assert!(s.has("Messages 8 · following"), "{s}");

    // Payload views: on the JSON topic, `v` goes json -> text -> hex.
    tmux.keys(&["G"]);
    let s = tmux.wait_for("'sensors/kitchen/env' selected", |s| s.detail_title_is("sensors/kitchen/env"));
    assert!(s.has("view auto (v)") && s.has(r#""temp": 21.5,"#), "pretty JSON expected:\n{s}");
    tmux.keys(&["v"]);
    tmux.wait_text("view json (v)");
    tmux.keys(&["v"]);
    tmux.wait_text("view text (v)");
    tmux.keys(&["v"]);
    let s = tmux.wait_text("view hex (v)");
    assert!(s.has("00000000  7b 22 74 65 6d 70 22 3a"), "no hex dump line:\n{s}");

    // Help overlay; any key closes it, q too (it does not quit: the tree is back below).
    tmux.keys(&["?"]);
    // Wait for the whole overlay: a capture can land between the title and the rest of the frame.
    tmux.wait_for("the help overlay, every group on screen", |s| {
        s.has("mqscope keys")
            && s.has("pause / resume the message log")
            && s.has("Message log")
            && s.has("follow the newest message")
    });
    tmux.keys(&["q"]);
    tmux.wait_for("the help closed", |s| !s.has("mqscope keys") && s.has("Topics"));

    // Tab moves the focus (the thick border) tree -> log -> detail -> tree.
    assert!(tmux.capture().contains("┏ Topics"), "the tree starts focused");
    tmux.keys(&["Tab"]);
    tmux.wait_for("the log focused", |s| s.focused(" Messages") && !s.focused(" Topics"));
    tmux.keys(&["Tab"]);
    tmux.wait_for("the detail focused", |s| s.focused(" sensors/kitchen/env") && !s.focused(" Messages"));
    tmux.keys(&["Tab"]);
    tmux.wait_for("the tree focused", |s| s.focused(" Topics"));

    // Quit: the process ends and the terminal is as it was.
    tmux.keys(&["q"]);
    assert_exited_and_restored(&tmux);
    assert_ne!(tmux.display("#{pane_title}"), "pwned");
    let log = run.log();
    assert!(log.contains("connected: MQTT"), "the log file says nothing of the connection:\n{log}");
}

#[test]
fn sigterm_restores_the_terminal_and_exits() {
    if !tools_present() {
        return;
    }
    let Some(broker) = Mosquitto::start() else { return };
    broker.publish("sensors/garage/temp", b"19.25", true);
    let run = Run::new();
    let tmux = Tmux::start(run.path("tmux.sock"), "sigterm", 120, 40, &run.script(&broker.ws_url()));
    tmux.wait_for("the retained topic", |s| s.pane_has(" Topics", "temp 19.25"));
    assert_eq!(tmux.display("#{alternate_on}"), "1", "the dashboard draws on the alternate screen");
    let pid = run.pid();
    let status = Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap();
    assert!(status.success(), "kill -TERM {pid}");
    assert_exited_and_restored(&tmux);
}

#[test]
fn small_terminal_shows_tree_and_detail_and_survives_resizes() {
    if !tools_present() {
        return;
    }
    let Some(broker) = Mosquitto::start() else { return };
    publish_retained(&broker);
    let run = Run::new();
    let tmux = Tmux::start(run.path("tmux.sock"), "small", 80, 24, &run.script(&broker.ws_url()));

    tmux.wait_for("the tree at 80x24", |s| s.has("Topics 4") && s.pane_has(" Topics", "temp 19.25"));
    // The first topic to arrive stays selected; g goes to the first row.
    tmux.keys(&["g"]);
    let s = tmux.wait_for("the detail pane right of the tree", |s| s.detail_title_is("blob"));
    assert!(!s.has(" Messages "), "no room for the log beside the tree at 80x24:\n{s}");
    tmux.keys(&["j"]);
    let s = tmux.wait_for("'blob/raw' selected", |s| s.detail_title_is("blob/raw"));
    assert!(s.has("00 01 02 ff fe"), "{s}");

    // Tab puts the log where the tree was.
    tmux.keys(&["Tab"]);
    let s = tmux.wait_for("the log in place of the tree", |s| s.focused(" Messages"));
    assert!(!s.has(" Topics "), "{s}");
    assert!(s.pane_has(" Messages", "blob/raw <5 bytes") && s.pane_has(" Messages", "hostile/tit"), "{s}");
    tmux.keys(&["Tab", "Tab"]);
    tmux.wait_for("the tree back", |s| s.focused(" Topics"));

    // Too small for panes, then back: no panic, the panes return.
    let resize = |w: &str, h: &str| {
        let out = tmux.run(&["resize-window", "-t", tmux.name(), "-x", w, "-y", h]);
        assert!(out.status.success(), "resize-window: {}", String::from_utf8_lossy(&out.stderr));
    };
    resize("30", "6");
    tmux.wait_for("only the status line", |s| !s.has("Topics") && s.has("●"));
    resize("80", "24");
    tmux.wait_for("the panes back", |s| s.has("Topics 4") && s.detail_title_is("blob/raw"));

    tmux.keys(&["q"]);
    assert_exited_and_restored(&tmux);
}

#[test]
fn times_on_screen_follow_the_tz_variable() {
    if !tools_present() {
        return;
    }
    let Some(broker) = Mosquitto::start() else { return };
    let run = Run::new();
    // JST-9 is a POSIX rule (UTC+9, no daylight saving): no zone files needed.
    let command = format!("env TZ=JST-9 {}", run.script(&broker.ws_url()));
    let tmux = Tmux::start(run.path("tmux.sock"), "tz", 160, 48, &command);
    tmux.wait_text("● connected");
    let seconds_of_day = |t: SystemTime| (t.duration_since(UNIX_EPOCH).unwrap().as_secs() + 9 * 3600) % 86_400;
    let before = seconds_of_day(SystemTime::now());
    broker.publish("tz/probe", b"now", false);
    let s = tmux.wait_for("the message in the log", |s| s.pane_has(" Messages", "tz/probe now"));
    let after = seconds_of_day(SystemTime::now());
    let row = s.pane(" Messages").into_iter().find(|r| r.contains("tz/probe now")).unwrap();
    let clock = row.trim_matches(|c| c == '│').split_whitespace().next().unwrap_or_default().to_string();
    let hms: Vec<u64> = clock.split(['.', ':']).take(3).filter_map(|n| n.parse().ok()).collect();
    assert_eq!(hms.len(), 3, "no HH:MM:SS.mmm at the start of '{row}'");
    let shown = hms[0] * 3600 + hms[1] * 60 + hms[2];
    // Between the publish and the screen, in UTC+9 (modulo a midnight in between).
    let since_before = (shown + 86_400 - before) % 86_400;
    assert!(
        since_before <= (after + 86_400 - before) % 86_400 + 1,
        "shown {clock}, expected UTC+9 between {before}s and {after}s of the day"
    );
    tmux.keys(&["q"]);
    assert_exited_and_restored(&tmux);
}

#[test]
fn a_password_in_the_url_is_used_and_never_shown_or_logged() {
    if !tools_present() {
        return;
    }
    let opts = common::MosquittoOptions { users: vec![("alice".into(), "hunter2pw".into())], ..Default::default() };
    let Some(mut broker) = Mosquitto::start_with(opts) else { return };
    let run = Run::new();
    let url = format!("mqtt://alice:hunter2pw@127.0.0.1:{}", broker.tcp_port);
    let tmux = Tmux::start(run.path("tmux.sock"), "urlpw", 160, 40, &run.script(&url));
    let s = tmux.wait_for("connected with the URL's credentials", |s| s.has("● connected"));
    assert!(s.has(&format!("mqtt://alice:***@127.0.0.1:{}", broker.tcp_port)), "{s}");
    // A reconnect shows and logs the URL again.
    broker.restart();
    let s = tmux.wait_for("connected again", |s| s.has("● connected"));
    assert!(!s.has("hunter2pw"), "the password is on screen:\n{s}");
    let log = run.log();
    assert!(log.contains("connecting to mqtt://alice:***@"), "{log}");
    assert!(!log.contains("hunter2pw"), "the password is in the log file:\n{log}");
    tmux.keys(&["q"]);
    let screen = tmux.wait_text("EXITED:");
    assert!(!screen.contains("hunter2pw"), "the password is on the terminal after exit:\n{screen}");
}

fn clear_retained(broker: &Mosquitto, topic: &str) {
    let status = Command::new("mosquitto_pub")
        .args(["-h", "127.0.0.1", "-p", &broker.tcp_port.to_string(), "-t", topic, "-q", "1", "-r", "-n"])
        .status()
        .expect("mosquitto_pub runs");
    assert!(status.success(), "mosquitto_pub -r -n -t {topic}");
}

/// Retained messages published after the dashboard connected: on MQTT 5 (Retain As Published) they are
/// marked as they arrive; on 3.1.1 the retained view says so, and `f` takes a fresh snapshot that finds
/// them (and drops what the broker no longer holds).
#[test]
fn retained_messages_published_after_connecting_reach_the_retained_view() {
    if !tools_present() {
        return;
    }
    let Some(broker) = Mosquitto::start() else { return };
    broker.publish("cfg/early", b"1", true);
    for (version, label) in [("5", "v5"), ("3.1.1", "v311")] {
        let run = Run::new();
        let extra = format!("--mqtt {version}");
        let tmux = Tmux::start(run.path("tmux.sock"), label, 160, 40, &run.script_with(&broker.tcp_url(), &extra));
        tmux.wait_for("the early retained topic", |s| s.pane_has(" Topics", "early 1"));
        let late = format!("cfg/late-{label}");
        broker.publish(&late, b"2", true);
        clear_retained(&broker, "cfg/early");
        tmux.wait_for("the late topic", |s| s.pane_has(" Topics", &format!("late-{label} 2")));
        tmux.keys(&["R"]);
        if version == "5" {
            let s = tmux.wait_for("the late topic listed as retained", |s| s.has(&late) && s.has("Retained 1 topics"));
            assert!(!s.has("MQTT 3.1.1"), "{s}");
        } else {
            let s = tmux.wait_for("the retained view", |s| s.has("Retained"));
            assert!(s.has("MQTT 3.1.1: messages retained since connecting show after f"), "{s}");
            assert!(!s.has(&late), "3.1.1 cannot know it yet:\n{s}");
            tmux.keys(&["f"]);
            let s = tmux.wait_for("the snapshot", |s| s.has("retained snapshot:"));
            assert!(s.has(&late) && s.has("Retained 1 topics"), "{s}");
        }
        // Apart: read in one go, Escape and q are Alt+q, which quits nothing.
        tmux.keys(&["Escape"]);
        std::thread::sleep(std::time::Duration::from_millis(300));
        tmux.keys(&["q"]);
        tmux.wait_text("EXITED:");
        clear_retained(&broker, &late);
        broker.publish("cfg/early", b"1", true);
    }
}
