//! The real dashboard in a real terminal: a detached tmux session on a private server (`tmux -S <socket>
//! -f /dev/null`), so neither the user's tmux nor the other tests are touched. Keys go in with
//! `send-keys`, the screen comes back with `capture-pane`; every wait is a bounded poll of the screen.
//!
//! Missing tools: the tests print "skipping: ..." and pass, except under `CI=true`, where that is a failure.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Bound for any one thing to show up on screen.
pub const SCREEN_WAIT: Duration = Duration::from_secs(15);

fn on_path(name: &str) -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    // Debian puts mosquitto in /usr/sbin, which is not on every user's PATH.
    std::env::split_paths(&path).chain(["/usr/sbin".into()]).any(|dir| dir.join(name).is_file())
}

/// Whether `tools` are all installed; when not, fails under `CI=true` and otherwise says why it skips.
pub fn tools_present(tools: &[&str]) -> bool {
    let missing: Vec<&str> = tools.iter().copied().filter(|t| !on_path(t)).collect();
    if missing.is_empty() {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "{} not installed, and CI must run the tmux tests (.ci/run installs them): \
             apt-get install -y tmux mosquitto mosquitto-clients",
            missing.join(", ")
        );
    }
    eprintln!("skipping: {} not installed", missing.join(", "));
    false
}

/// `p` quoted for `sh`.
pub fn quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', r"'\''"))
}

/// A detached session on a private tmux server; the server is killed on drop.
pub struct Tmux {
    socket: PathBuf,
    name: String,
}

impl Tmux {
    /// Starts `command` (a shell command line) in a `width` x `height` pane, on a new server listening
    /// on `socket`. The socket must still be there when this drops, or the server outlives the test.
    pub fn start(socket: PathBuf, label: &str, width: u16, height: u16, command: &str) -> Self {
        let t = Self { socket, name: format!("mqscope-{label}-{}", std::process::id()) };
        let out =
            t.run(&["new-session", "-d", "-s", &t.name, "-x", &width.to_string(), "-y", &height.to_string(), command]);
        assert!(out.status.success(), "tmux new-session failed: {}", String::from_utf8_lossy(&out.stderr));
        t
    }

    /// The session's name, for `-t`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Any tmux command, on this server.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(["-f", "/dev/null"])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("tmux runs")
    }

    pub fn capture(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", &self.name]).stdout).into_owned()
    }

    /// Keys by tmux name (`j`, `Down`, `Enter`, `Escape`, `Space`, `Tab`, `?`).
    pub fn keys(&self, keys: &[&str]) {
        for k in keys {
            let out = self.run(&["send-keys", "-t", &self.name, k]);
            assert!(out.status.success(), "send-keys {k}: {}", String::from_utf8_lossy(&out.stderr));
        }
    }

    /// Text typed as is.
    pub fn type_text(&self, text: &str) {
        let out = self.run(&["send-keys", "-t", &self.name, "-l", text]);
        assert!(out.status.success(), "send-keys -l: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// A tmux format about the pane, e.g. `#{pane_title}`.
    pub fn display(&self, format: &str) -> String {
        let out = self.run(&["display-message", "-p", "-t", &self.name, format]);
        String::from_utf8_lossy(&out.stdout).trim_end().to_owned()
    }

    /// Polls the screen until `ok` holds; panics with the last screen after [`SCREEN_WAIT`].
    pub fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        self.wait_for_within(SCREEN_WAIT, what, ok)
    }

    /// [`Tmux::wait_for`] with another bound.
    pub fn wait_for_within(&self, limit: Duration, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let screen = self.capture();
            if ok(&screen) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}; the screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(40));
        }
    }

    pub fn wait_text(&self, text: &str) -> String {
        self.wait_for(&format!("'{text}'"), |s| s.contains(text))
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

/// mqscope in a private tmux server; its script, log and the server's socket share one temp dir.
pub struct Dashboard {
    // Before `_dir`, so it drops first: the server is killed through a socket that still exists.
    pub tmux: Tmux,
    _dir: tempfile::TempDir,
}

impl Deref for Dashboard {
    type Target = Tmux;

    fn deref(&self) -> &Tmux {
        &self.tmux
    }
}

impl Dashboard {
    /// Starts `mqscope -u URL ARGS...` in a `width` x `height` pane.
    pub fn start(label: &str, width: u16, height: u16, url: &str, args: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let args: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
        let script = format!(
            "{bin} -u '{url}' --log-file {log} {args}\necho \"EXITED:$?\"\nexec sleep 120\n",
            bin = quote(Path::new(env!("CARGO_BIN_EXE_mqscope"))),
            log = quote(&dir.path().join("mqscope.log")),
            args = args.join(" "),
        );
        std::fs::write(dir.path().join("run.sh"), script).unwrap();
        let cmd = format!("sh {}", quote(&dir.path().join("run.sh")));
        Self { tmux: Tmux::start(dir.path().join("tmux.sock"), label, width, height, &cmd), _dir: dir }
    }

    /// Escape (closes a prompt or the publish pane), then q. Read in one go the two bytes are
    /// Alt+q, which quits nothing, so they go apart, and again if the dashboard is still up.
    pub fn quit(&self) {
        let deadline = Instant::now() + SCREEN_WAIT;
        loop {
            self.keys(&["Escape"]);
            std::thread::sleep(Duration::from_millis(300));
            self.keys(&["q"]);
            let attempt = Instant::now() + Duration::from_secs(3);
            while Instant::now() < attempt {
                let s = self.capture();
                if s.contains("EXITED:") {
                    assert!(s.contains("EXITED:0"), "{s}");
                    return;
                }
                std::thread::sleep(Duration::from_millis(40));
            }
            assert!(Instant::now() < deadline, "the dashboard did not quit:\n{}", self.capture());
        }
    }
}
