//! The replay's player as plain data: where it is in the recording, how fast it goes, whether it
//! is paused, and when the next record is due. No clock, no file and no channel: the task in
//! `replay.rs` hands it the time (ms since the task started) and each record's clock, and does what
//! it answers. A seek backwards cannot undo messages the app has seen, so it answers
//! [`Outcome::Restart`]: the task starts the file over into a clean app and plays up to the target
//! at full speed.
//!
//! The recording's clock is each record's `ts_ms`, made monotonic: a record stamped earlier than
//! one before it (a clock stepped back while recording) counts as at the same time as that one, so
//! it plays at once and positions and seeks stay well defined.

use super::replay::Pace;

/// The speeds `<` and `>` step through; above the last comes `max` (no waiting).
pub const SPEEDS: [f64; 9] = [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0];

/// How far `,` and `;` (and Shift-← →) move.
pub const SKIP_MS: i64 = 10_000;

/// What the app asks of the player.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Pause, or play on; at the end, play again from the start.
    TogglePause,
    /// Play the next message, then hold (pauses first when playing).
    Step,
    Faster,
    Slower,
    /// Move by this many ms of the recording's clock from where it is.
    SeekBy(i64),
    /// Move to this clock (ms since the epoch); before the start is the start, past the end the end.
    SeekTo(u64),
}

/// What the task must do after a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing but sending the new status.
    Status,
    /// Start the file over (the app is reset) and play up to the target as fast as possible.
    Restart,
    /// Not done, and why (said on the status line).
    Refused(String),
}

/// What to do with the next record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Play,
    /// Not before this time (ms since the task started).
    WaitUntil(u64),
    /// Paused: wait for a command.
    Hold,
}

/// Where the player is, as the app shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Playing,
    Paused,
    /// Playing up to this clock as fast as possible (a seek).
    Seeking(u64),
    /// At the end of the file; it stays there until a seek back.
    Ended,
}

/// The player's state for the screen, sent by the task whenever it changes (and a few times a
/// second while the clock runs).
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub state: State,
    pub pace: Pace,
    /// The recording's clock now (ms since the epoch); `None` before the first record.
    pub clock_ms: Option<u64>,
    /// The first record's clock.
    pub start_ms: Option<u64>,
    /// The last (latest) record's clock, once the file has been scanned or played to its end.
    pub end_ms: Option<u64>,
    /// Messages played since the start of the file.
    pub played: u64,
    /// Messages in the file, once known.
    pub total: Option<u64>,
    /// Lines that are not recording lines, in the whole file once scanned (else so far).
    pub bad_lines: u64,
    /// Seeking back is possible (a regular file, not a pipe).
    pub rewindable: bool,
}

/// What the task tells the app about the replay, in order with the messages.
#[derive(Debug, Clone, PartialEq)]
pub enum ReplayEvent {
    Status(Box<Status>),
    /// The file starts over: everything the app holds from this replay goes (a seek back).
    Restart,
    /// The schema verdicts the recording kept for the messages of the batch that comes next, one per
    /// message (sent only when one of them has a verdict).
    Verdicts(Vec<Option<crate::payload::schema::Verdict>>),
}

#[derive(Debug, Clone)]
pub struct Player {
    pace: Pace,
    paused: bool,
    ended: bool,
    rewindable: bool,
    start_ms: Option<u64>,
    end_ms: Option<u64>,
    total: Option<u64>,
    /// The clock at `anchor` (ms since the task started); while playing it runs on from there.
    clock_ms: u64,
    anchor: u64,
    /// The latest clock played so far (the monotonic clock of the last record played).
    high_ms: Option<u64>,
    /// The clock of the record waiting to be played, which the clock shown does not pass.
    pending_ms: Option<u64>,
    played: u64,
    /// Records before this clock play at once; `u64::MAX`: to the end.
    target: Option<u64>,
    /// Records to play while paused (`.`).
    steps: u32,
    bad_lines: u64,
    /// Bad lines of the whole file, from the scan; takes over from the count so far.
    scanned_bad: Option<u64>,
    /// No record has been looked at yet: the clock starts at the first one.
    fresh: bool,
}

impl Player {
    pub fn new(pace: Pace, rewindable: bool) -> Self {
        Self {
            pace,
            paused: false,
            ended: false,
            rewindable,
            start_ms: None,
            end_ms: None,
            total: None,
            clock_ms: 0,
            anchor: 0,
            high_ms: None,
            pending_ms: None,
            played: 0,
            target: None,
            steps: 0,
            bad_lines: 0,
            scanned_bad: None,
            fresh: true,
        }
    }

    /// What a scan of the whole file found: its records, first and last clock, bad lines.
    pub fn scanned(&mut self, total: u64, start_ms: Option<u64>, end_ms: Option<u64>, bad_lines: u64) {
        self.total = Some(total);
        if self.start_ms.is_none() {
            self.start_ms = start_ms;
        }
        self.end_ms = end_ms.max(self.end_ms);
        self.scanned_bad = Some(bad_lines);
    }

    /// A bad line met while playing.
    pub fn bad_line(&mut self) {
        self.bad_lines += 1;
    }

    /// The clock a record stamped `ts_ms` plays at: never before one already played.
    fn clock_of(&self, ts_ms: u64) -> u64 {
        self.high_ms.map_or(ts_ms, |h| h.max(ts_ms))
    }

    /// The next record is stamped `ts_ms`: play it now, later, or hold.
    pub fn decide(&mut self, now: u64, ts_ms: u64) -> Decision {
        let c = self.clock_of(ts_ms);
        if self.fresh {
            self.fresh = false;
            self.start_ms = Some(self.start_ms.map_or(c, |s| s.min(c)));
            self.clock_ms = c;
            self.anchor = now;
        }
        self.pending_ms = Some(c);
        if let Some(t) = self.target {
            if c < t {
                return Decision::Play;
            }
            self.arrive(now, t);
        }
        if self.steps > 0 {
            return Decision::Play;
        }
        if self.paused {
            return Decision::Hold;
        }
        match self.pace {
            Pace::Max => Decision::Play,
            Pace::Speed(s) => {
                let wait = (c.saturating_sub(self.clock_ms) as f64 / s.max(1e-6)).min(u64::MAX as f64 / 4.0) as u64;
                let due = self.anchor.saturating_add(wait);
                if due <= now { Decision::Play } else { Decision::WaitUntil(due) }
            }
        }
    }

    /// A seek reached its target (or the file's end): the clock stands there.
    fn arrive(&mut self, now: u64, target: u64) {
        self.target = None;
        self.clock_ms = if target == u64::MAX { self.high_ms.unwrap_or(self.clock_ms) } else { target };
        self.anchor = now;
    }

    /// The record `decide` said to play was played.
    pub fn played(&mut self, now: u64, ts_ms: u64) {
        let c = self.clock_of(ts_ms);
        self.high_ms = Some(c);
        self.pending_ms = None;
        self.played += 1;
        if self.steps > 0 && self.target.is_none() {
            self.steps -= 1;
            self.clock_ms = c;
            self.anchor = now;
        } else if self.target.is_some() || self.pace == Pace::Max {
            // No timeline to keep: the clock is where the records are.
            self.clock_ms = c;
            self.anchor = now;
        }
    }

    /// The file has no more records.
    pub fn end_of_file(&mut self, now: u64) {
        self.ended = true;
        self.steps = 0;
        self.pending_ms = None;
        if self.target.is_some() {
            self.arrive(now, u64::MAX);
        }
        if let Some(h) = self.high_ms {
            self.clock_ms = h;
            self.end_ms = Some(self.end_ms.map_or(h, |e| e.max(h)));
        }
        self.total = Some(self.total.map_or(self.played, |t| t.max(self.played)));
        self.anchor = now;
    }

    /// Whether the file has ended and nothing asks for more.
    pub fn is_ended(&self) -> bool {
        self.ended
    }

    /// The recording's clock now.
    pub fn clock(&self, now: u64) -> Option<u64> {
        if self.fresh && !self.ended {
            return None;
        }
        self.start_ms?;
        let running = !self.paused && !self.ended && self.target.is_none() && self.steps == 0;
        let mut c = match self.pace {
            Pace::Speed(s) if running => self
                .clock_ms
                .saturating_add((now.saturating_sub(self.anchor) as f64 * s).min(u64::MAX as f64 / 4.0) as u64),
            _ => self.clock_ms,
        };
        if let Some(p) = self.pending_ms {
            c = c.min(p.max(self.clock_ms));
        }
        if let Some(e) = self.end_ms {
            c = c.min(e.max(self.clock_ms));
        }
        Some(c)
    }

    /// Acts on a command from the app.
    pub fn command(&mut self, now: u64, cmd: Command) -> Outcome {
        match cmd {
            Command::TogglePause => {
                if self.ended {
                    return match self.start_ms {
                        Some(start) => self.seek(now, start, false),
                        None => Outcome::Refused("the recording is empty".into()),
                    };
                }
                self.hold(now, !self.paused);
                Outcome::Status
            }
            Command::Step => {
                if self.ended {
                    return Outcome::Refused("at the end of the recording: seek back to step again".into());
                }
                self.hold(now, true);
                self.steps = self.steps.saturating_add(1).min(1_000);
                Outcome::Status
            }
            Command::Faster | Command::Slower => {
                let next = step_speed(self.pace, cmd == Command::Faster);
                if next == self.pace {
                    let which = if cmd == Command::Faster { "fastest" } else { "slowest" };
                    return Outcome::Refused(format!("already at the {which} speed ({})", speed_label(self.pace)));
                }
                // The clock goes on from where it is at the new speed.
                if let Some(c) = self.clock(now) {
                    self.clock_ms = c;
                }
                self.anchor = now;
                self.pace = next;
                Outcome::Status
            }
            Command::SeekBy(delta) => match self.clock(now) {
                Some(c) => self.seek(now, c.saturating_add_signed(delta), self.paused),
                None => Outcome::Refused(self.nothing_yet()),
            },
            Command::SeekTo(t) => match self.start_ms {
                Some(_) => self.seek(now, t, self.paused),
                None => Outcome::Refused(self.nothing_yet()),
            },
        }
    }

    fn nothing_yet(&self) -> String {
        if self.ended { "the recording is empty".into() } else { "nothing read yet".into() }
    }

    /// Pauses (`true`) or plays on, the clock standing where it is.
    fn hold(&mut self, now: u64, paused: bool) {
        if let Some(c) = self.clock(now) {
            self.clock_ms = c;
        }
        self.anchor = now;
        self.paused = paused;
    }

    /// Goes to clock `t` (clamped to the recording), then holds if `paused`.
    fn seek(&mut self, now: u64, t: u64, paused: bool) -> Outcome {
        let Some(start) = self.start_ms else { return Outcome::Refused(self.nothing_yet()) };
        let t = t.max(start);
        let to_end = self.end_ms.is_some_and(|e| t >= e);
        // Something at or after `t` was played: only reading the file again can undo it.
        let played_past = self.high_ms.is_some_and(|h| t <= h);
        self.steps = 0;
        if played_past {
            if !self.rewindable {
                return Outcome::Refused("cannot seek back: the recording is read from a pipe".into());
            }
            self.rewind(now, start, t);
            self.paused = paused;
            return Outcome::Restart;
        }
        self.paused = paused;
        if to_end {
            if self.ended {
                self.anchor = now;
                return Outcome::Status;
            }
            self.target = Some(u64::MAX);
        } else if self.ended {
            // Between the last record and the end: nothing more to play.
            self.clock_ms = t;
            self.anchor = now;
        } else {
            self.target = Some(t);
            if self.pending_ms.is_some_and(|p| p >= t) {
                self.arrive(now, t);
            }
        }
        Outcome::Status
    }

    /// Back to the start of the file, to play up to `t` at once.
    fn rewind(&mut self, now: u64, start: u64, t: u64) {
        self.ended = false;
        self.high_ms = None;
        self.pending_ms = None;
        self.played = 0;
        self.bad_lines = 0;
        self.clock_ms = start;
        self.anchor = now;
        self.target = (t > start).then_some(t);
    }

    pub fn status(&self, now: u64) -> Status {
        let state = if let Some(t) = self.target {
            State::Seeking(if t == u64::MAX { self.end_ms.unwrap_or(t) } else { t })
        } else if self.ended {
            State::Ended
        } else if self.paused {
            State::Paused
        } else {
            State::Playing
        };
        Status {
            state,
            pace: self.pace,
            clock_ms: self.clock(now),
            start_ms: self.start_ms,
            end_ms: self.end_ms,
            played: self.played,
            total: self.total,
            bad_lines: self.scanned_bad.unwrap_or(0).max(self.bad_lines),
            rewindable: self.rewindable,
        }
    }
}

/// The next speed up or down the ladder; a speed given with `--speed` between two steps goes to
/// the nearer step in that direction.
pub fn step_speed(pace: Pace, faster: bool) -> Pace {
    match (pace, faster) {
        (Pace::Max, true) => Pace::Max,
        (Pace::Max, false) => Pace::Speed(SPEEDS[SPEEDS.len() - 1]),
        (Pace::Speed(s), true) => SPEEDS.iter().find(|&&x| x > s).map_or(Pace::Max, |&x| Pace::Speed(x)),
        (Pace::Speed(s), false) => SPEEDS.iter().rev().find(|&&x| x < s).map_or(pace, |&x| Pace::Speed(x)),
    }
}

/// `x4`, `x0.25`, `max`.
pub fn speed_label(pace: Pace) -> String {
    match pace {
        Pace::Max => "max".into(),
        Pace::Speed(s) if s >= 1.0 && s.fract() == 0.0 => format!("x{s:.0}"),
        Pace::Speed(s) => {
            let t = format!("{s:.3}");
            format!("x{}", t.trim_end_matches('0').trim_end_matches('.'))
        }
    }
}

/// Where the jump prompt (`J`) goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jump {
    To(u64),
    By(i64),
}

/// Reads the jump prompt: a clock time of the recording (`HH:MM:SS` or `HH:MM`, in `zone`), a time
/// from its start (`90s`, `1m30s`, `2h`, a bare number of seconds), a move from where it is
/// (`+10s`, `-1m`), a share of it (`50%`), `start` or `end`.
pub fn parse_jump(text: &str, status: &Status, zone: &crate::timefmt::Zone) -> Result<Jump, String> {
    let t = text.trim();
    let (Some(start), clock) = (status.start_ms, status.clock_ms) else {
        return Err("nothing to jump in yet".into());
    };
    let end = status.end_ms;
    match t {
        "" => return Err("type a time: 12:30:00, 90s, +10s, -1m, 50%, start or end".into()),
        "start" | "0" => return Ok(Jump::To(start)),
        "end" => return Ok(Jump::To(end.unwrap_or(u64::MAX))),
        _ => {}
    }
    if let Some(pct) = t.strip_suffix('%') {
        let p: f64 = pct.trim().parse().map_err(|_| format!("'{t}' is not a percentage"))?;
        let Some(end) = end else { return Err("the length is not known yet: give a time".into()) };
        if !(0.0..=100.0).contains(&p) {
            return Err(format!("'{t}' is not between 0% and 100%"));
        }
        return Ok(Jump::To(start + ((end - start) as f64 * p / 100.0) as u64));
    }
    if let Some(rest) = t.strip_prefix('+') {
        return duration_ms(rest).map(|ms| Jump::By(ms as i64)).ok_or_else(|| bad_time(t));
    }
    if let Some(rest) = t.strip_prefix('-') {
        return duration_ms(rest).map(|ms| Jump::By(-(ms as i64))).ok_or_else(|| bad_time(t));
    }
    if t.contains(':') {
        let wall = time_of_day_ms(t).ok_or_else(|| bad_time(t))?;
        return Ok(Jump::To(at_wall_time(wall, start, end.unwrap_or(clock.unwrap_or(start)), zone)));
    }
    duration_ms(t).map(|ms| Jump::To(start.saturating_add(ms))).ok_or_else(|| bad_time(t))
}

fn bad_time(t: &str) -> String {
    format!("'{}' is not a time: try 12:30:00, 90s, 1m30s, +10s, -1m, 50%, start or end", crate::sanitize::line(t))
}

/// `90`, `90s`, `1m30s`, `2h`, `1h2m3s`, `500ms` in ms.
fn duration_ms(t: &str) -> Option<u64> {
    let t = t.trim();
    if t.is_empty() {
        return None;
    }
    if let Ok(secs) = t.parse::<u64>() {
        return secs.checked_mul(1000);
    }
    let mut total: u64 = 0;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit())?;
        if digits == 0 {
            return None;
        }
        let n: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let (unit, len) = if rest.starts_with("ms") {
            (1, 2)
        } else {
            match rest.chars().next()? {
                'h' => (3_600_000, 1),
                'm' => (60_000, 1),
                's' => (1_000, 1),
                _ => return None,
            }
        };
        total = total.checked_add(n.checked_mul(unit)?)?;
        rest = &rest[len..];
    }
    Some(total)
}

/// `HH:MM:SS` or `HH:MM` as ms since midnight.
fn time_of_day_ms(t: &str) -> Option<u64> {
    let parts: Vec<&str> = t.split(':').collect();
    let num = |s: &str, max: u64| s.parse::<u64>().ok().filter(|&n| n < max && s.len() <= 2);
    let (h, m, s) = match parts.as_slice() {
        [h, m] => (num(h, 24)?, num(m, 60)?, 0),
        [h, m, s] => (num(h, 24)?, num(m, 60)?, num(s, 60)?),
        _ => return None,
    };
    Some(((h * 60 + m) * 60 + s) * 1000)
}

/// The instant in [start, end] (or nearest to it) at which a wall clock in `zone` shows `wall`
/// (ms since midnight): a recording that runs past midnight has the time on either day.
fn at_wall_time(wall: u64, start: u64, end: u64, zone: &crate::timefmt::Zone) -> u64 {
    const DAY: u64 = 86_400_000;
    let offset = |utc: u64| zone.wall_ms(utc) as i64 - utc as i64;
    let first_day = zone.wall_ms(start) / DAY;
    let last_day = zone.wall_ms(end.max(start)) / DAY;
    let mut best: Option<(u64, u64)> = None;
    for day in first_day.saturating_sub(1)..=last_day + 1 {
        let local = day * DAY + wall;
        let guess = (local as i64 - offset(start)).max(0) as u64;
        let utc = (local as i64 - offset(guess)).max(0) as u64;
        let distance = if utc < start { start - utc } else { utc.saturating_sub(end.max(start)) };
        if best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, utc));
        }
    }
    best.map_or(start, |(_, utc)| utc)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_764_669_600_000; // 2025-12-02T10:00:00Z

    /// Plays records stamped `stamps` (ms after T0) through `p` from `now`, as far as they are
    /// due; returns the ones played and the decision that stopped it.
    fn run(p: &mut Player, now: u64, stamps: &mut Vec<u64>) -> (Vec<u64>, Option<Decision>) {
        let mut out = Vec::new();
        while let Some(&s) = stamps.first() {
            match p.decide(now, T0 + s) {
                Decision::Play => {
                    p.played(now, T0 + s);
                    out.push(s);
                    stamps.remove(0);
                }
                d => return (out, Some(d)),
            }
        }
        p.end_of_file(now);
        (out, None)
    }

    #[test]
    fn records_are_due_at_their_recorded_gaps_divided_by_the_speed() {
        let mut p = Player::new(Pace::Speed(2.0), true);
        let mut s = vec![0, 1_000, 4_000];
        assert_eq!(run(&mut p, 0, &mut s), (vec![0], Some(Decision::WaitUntil(500))));
        assert_eq!(run(&mut p, 500, &mut s), (vec![1_000], Some(Decision::WaitUntil(2_000))));
        assert_eq!(p.clock(1_000), Some(T0 + 2_000), "the clock runs between records");
        assert_eq!(run(&mut p, 2_000, &mut s), (vec![4_000], None));
        let st = p.status(2_000);
        assert_eq!((st.state, st.played, st.total, st.end_ms), (State::Ended, 3, Some(3), Some(T0 + 4_000)));
    }

    #[test]
    fn pause_holds_the_clock_and_resume_goes_on_from_there() {
        let mut p = Player::new(Pace::Speed(1.0), true);
        let mut s = vec![0, 10_000];
        run(&mut p, 0, &mut s);
        assert_eq!(p.command(3_000, Command::TogglePause), Outcome::Status);
        assert_eq!(p.status(3_000).state, State::Paused);
        assert_eq!(run(&mut p, 9_000, &mut s).1, Some(Decision::Hold));
        assert_eq!(p.clock(9_000), Some(T0 + 3_000));
        p.command(20_000, Command::TogglePause);
        // 7 s of the recording were left when paused.
        assert_eq!(run(&mut p, 20_000, &mut s).1, Some(Decision::WaitUntil(27_000)));
    }

    #[test]
    fn step_plays_one_message_and_holds() {
        let mut p = Player::new(Pace::Speed(1.0), true);
        let mut s = vec![0, 5_000, 9_000];
        run(&mut p, 0, &mut s);
        p.command(1_000, Command::Step);
        assert_eq!(p.status(1_000).state, State::Paused, "step pauses a playing replay");
        assert_eq!(run(&mut p, 1_000, &mut s), (vec![5_000], Some(Decision::Hold)));
        assert_eq!(p.clock(60_000), Some(T0 + 5_000), "the clock stands at the message stepped to");
        p.command(60_000, Command::Step);
        assert_eq!(run(&mut p, 60_000, &mut s), (vec![9_000], None));
        assert_eq!(
            p.command(60_000, Command::Step),
            Outcome::Refused("at the end of the recording: seek back to step again".into())
        );
    }

    #[test]
    fn speed_steps_through_the_ladder_to_max_and_stops_at_both_ends() {
        let mut pace = Pace::Speed(0.25);
        let mut seen = vec![speed_label(pace)];
        while pace != Pace::Max {
            pace = step_speed(pace, true);
            seen.push(speed_label(pace));
        }
        assert_eq!(seen, ["x0.25", "x0.5", "x1", "x2", "x4", "x8", "x16", "x32", "x64", "max"]);
        assert_eq!(step_speed(Pace::Max, false), Pace::Speed(64.0));
        assert_eq!(step_speed(Pace::Speed(3.0), true), Pace::Speed(4.0), "--speed 3 steps to the next");
        assert_eq!(step_speed(Pace::Speed(3.0), false), Pace::Speed(2.0));
        assert_eq!(step_speed(Pace::Speed(1000.0), false), Pace::Speed(64.0));
        assert_eq!(step_speed(Pace::Speed(0.001), false), Pace::Speed(0.001), "below the ladder it stays");
        let mut p = Player::new(Pace::Max, true);
        assert!(matches!(p.command(0, Command::Faster), Outcome::Refused(w) if w.contains("fastest")));
        let mut p = Player::new(Pace::Speed(0.25), true);
        assert!(matches!(p.command(0, Command::Slower), Outcome::Refused(w) if w.contains("slowest")));
    }

    #[test]
    fn a_speed_change_keeps_the_clock_where_it_is() {
        let mut p = Player::new(Pace::Speed(1.0), true);
        let mut s = vec![0, 10_000];
        run(&mut p, 0, &mut s);
        p.command(2_000, Command::Faster);
        assert_eq!(p.clock(2_000), Some(T0 + 2_000));
        // 8 s left at x2: 4 s.
        assert_eq!(run(&mut p, 2_000, &mut s).1, Some(Decision::WaitUntil(6_000)));
    }

    #[test]
    fn seek_forward_plays_everything_before_the_target_at_once_then_goes_on_at_pace() {
        let mut p = Player::new(Pace::Speed(1.0), true);
        let mut s = vec![0, 1_000, 2_000, 30_000, 31_000];
        run(&mut p, 0, &mut s);
        assert_eq!(p.command(0, Command::SeekTo(T0 + 30_500)), Outcome::Status);
        assert_eq!(p.status(0).state, State::Seeking(T0 + 30_500));
        assert_eq!(run(&mut p, 0, &mut s), (vec![1_000, 2_000, 30_000], Some(Decision::WaitUntil(500))));
        assert_eq!(p.status(0).state, State::Playing);
        assert_eq!(p.clock(0), Some(T0 + 30_500));
    }

    #[test]
    fn seek_while_paused_stays_paused_at_the_target() {
        let mut p = Player::new(Pace::Speed(1.0), true);
        let mut s = vec![0, 5_000, 12_000, 20_000];
        run(&mut p, 0, &mut s);
        p.command(0, Command::TogglePause);
        p.command(0, Command::SeekBy(SKIP_MS));
        assert_eq!(run(&mut p, 0, &mut s), (vec![5_000], Some(Decision::Hold)));
        assert_eq!(p.status(0).state, State::Paused);
        assert_eq!(p.clock(99_000), Some(T0 + 10_000));
    }

    #[test]
    fn seek_back_restarts_the_file_and_plays_up_to_the_target() {
        let mut p = Player::new(Pace::Speed(1.0), true);
        let mut s = vec![0, 5_000, 12_000, 20_000];
        run(&mut p, 0, &mut s);
        run(&mut p, 100_000, &mut s);
        assert!(p.is_ended());
        assert_eq!(p.command(100_000, Command::SeekBy(-SKIP_MS)), Outcome::Restart);
        let st = p.status(100_000);
        assert_eq!((st.state, st.played, st.total), (State::Seeking(T0 + 10_000), 0, Some(4)));
        let mut again = vec![0, 5_000, 12_000, 20_000];
        assert_eq!(run(&mut p, 100_000, &mut again), (vec![0, 5_000], Some(Decision::WaitUntil(102_000))));
        assert_eq!(p.status(100_000).played, 2);
    }

    #[test]
    fn seeks_outside_the_recording_are_clamped_to_it() {
        let mut p = Player::new(Pace::Speed(1.0), true);
        p.scanned(3, Some(T0), Some(T0 + 2_000), 0);
        let mut s = vec![0, 1_000, 2_000];
        run(&mut p, 0, &mut s);
        // Past the end: everything plays and the player says ended, at the end's clock.
        p.command(0, Command::SeekBy(3_600_000));
        assert_eq!(run(&mut p, 0, &mut s), (vec![1_000, 2_000], None));
        let st = p.status(0);
        assert_eq!((st.state, st.clock_ms, st.played), (State::Ended, Some(T0 + 2_000), 3));
        // Past the end again: nothing to do.
        assert_eq!(p.command(0, Command::SeekTo(u64::MAX)), Outcome::Status);
        // Before the start: the start, with nothing played (the first record is at the start).
        assert_eq!(p.command(0, Command::SeekTo(0)), Outcome::Restart);
        p.command(0, Command::TogglePause);
        let mut again = vec![0, 1_000, 2_000];
        assert_eq!(run(&mut p, 0, &mut again), (vec![], Some(Decision::Hold)));
        let st = p.status(0);
        assert_eq!((st.state, st.clock_ms, st.played), (State::Paused, Some(T0), 0));
        assert_eq!(p.command(0, Command::SeekBy(-1_000_000)), Outcome::Status, "at the start already");
    }

    #[test]
    fn space_at_the_end_plays_again_from_the_start() {
        let mut p = Player::new(Pace::Max, true);
        let mut s = vec![0, 1_000];
        run(&mut p, 0, &mut s);
        assert_eq!(p.command(0, Command::TogglePause), Outcome::Restart);
        assert_eq!(p.status(0).state, State::Playing);
        let mut again = vec![0, 1_000];
        assert_eq!(run(&mut p, 0, &mut again).0, vec![0, 1_000]);
    }

    #[test]
    fn an_empty_recording_ends_at_once_and_refuses_seeks() {
        let mut p = Player::new(Pace::Speed(1.0), true);
        p.end_of_file(0);
        let st = p.status(0);
        assert_eq!((st.state, st.clock_ms, st.played, st.total), (State::Ended, None, 0, Some(0)));
        assert_eq!(p.command(0, Command::SeekBy(-SKIP_MS)), Outcome::Refused("the recording is empty".into()));
        assert_eq!(p.command(0, Command::TogglePause), Outcome::Refused("the recording is empty".into()));
    }

    #[test]
    fn a_one_line_recording_plays_ends_and_seeks_back() {
        let mut p = Player::new(Pace::Speed(1.0), true);
        let mut s = vec![0];
        assert_eq!(run(&mut p, 0, &mut s), (vec![0], None));
        let st = p.status(0);
        assert_eq!((st.state, st.start_ms, st.end_ms), (State::Ended, Some(T0), Some(T0)));
        assert_eq!(p.command(0, Command::SeekBy(-SKIP_MS)), Outcome::Restart, "before the start is the start");
        assert_eq!(run(&mut p, 0, &mut vec![0]), (vec![0], None), "and it plays again");
    }

    #[test]
    fn a_clock_going_backwards_plays_at_once_and_never_moves_the_clock_back() {
        let mut p = Player::new(Pace::Speed(1.0), true);
        let mut s = vec![10_000, 2_000, 11_000];
        assert_eq!(run(&mut p, 0, &mut s), (vec![10_000, 2_000], Some(Decision::WaitUntil(1_000))));
        assert_eq!(p.clock(0), Some(T0 + 10_000));
        // A seek to a time between the stepped-back stamp and the high one is behind what played.
        assert_eq!(p.command(0, Command::SeekTo(T0 + 5_000)), Outcome::Restart);
    }

    #[test]
    fn a_pipe_cannot_seek_back_but_can_seek_forward() {
        let mut p = Player::new(Pace::Speed(1.0), false);
        let mut s = vec![0, 5_000, 30_000];
        run(&mut p, 5_000, &mut s);
        assert!(matches!(p.command(5_000, Command::SeekBy(-SKIP_MS)), Outcome::Refused(w) if w.contains("pipe")));
        assert_eq!(p.command(5_000, Command::SeekBy(SKIP_MS)), Outcome::Status);
    }

    #[test]
    fn the_scan_gives_the_total_end_and_bad_lines() {
        let mut p = Player::new(Pace::Speed(1.0), true);
        p.bad_line();
        assert_eq!(p.status(0).bad_lines, 1);
        p.scanned(10, Some(T0), Some(T0 + 60_000), 3);
        let st = p.status(0);
        assert_eq!((st.total, st.end_ms, st.bad_lines, st.start_ms), (Some(10), Some(T0 + 60_000), 3, Some(T0)));
    }

    fn status(start: u64, end: Option<u64>, clock: u64) -> Status {
        Status {
            state: State::Playing,
            pace: Pace::Speed(1.0),
            clock_ms: Some(clock),
            start_ms: Some(start),
            end_ms: end,
            played: 0,
            total: None,
            bad_lines: 0,
            rewindable: true,
        }
    }

    #[test]
    fn the_jump_prompt_reads_clock_times_offsets_moves_and_shares() {
        use crate::timefmt::Zone;
        let st = status(T0, Some(T0 + 3_600_000), T0 + 600_000);
        let z = Zone::Utc;
        assert_eq!(parse_jump("10:30:00", &st, &z), Ok(Jump::To(T0 + 1_800_000)));
        assert_eq!(parse_jump("10:30", &st, &z), Ok(Jump::To(T0 + 1_800_000)));
        assert_eq!(parse_jump("90s", &st, &z), Ok(Jump::To(T0 + 90_000)));
        assert_eq!(parse_jump("90", &st, &z), Ok(Jump::To(T0 + 90_000)));
        assert_eq!(parse_jump("1m30s", &st, &z), Ok(Jump::To(T0 + 90_000)));
        assert_eq!(parse_jump("+10s", &st, &z), Ok(Jump::By(10_000)));
        assert_eq!(parse_jump("-1m", &st, &z), Ok(Jump::By(-60_000)));
        assert_eq!(parse_jump("50%", &st, &z), Ok(Jump::To(T0 + 1_800_000)));
        assert_eq!(parse_jump("start", &st, &z), Ok(Jump::To(T0)));
        assert_eq!(parse_jump("end", &st, &z), Ok(Jump::To(T0 + 3_600_000)));
        for bad in ["", "25:00", "10:61", "abc", "1x", "+", "150%", "1:2:3:4"] {
            assert!(parse_jump(bad, &st, &z).is_err(), "{bad}");
        }
        // In the display zone: 11:30 in UTC+1 is 10:30 UTC.
        assert_eq!(parse_jump("11:30", &st, &Zone::fixed(3600)), Ok(Jump::To(T0 + 1_800_000)));
        // A recording over midnight: 00:10 is on the second day.
        let late = T0 + 13 * 3_600_000 + 50 * 60_000; // 23:50
        let st = status(late, Some(late + 40 * 60_000), late);
        assert_eq!(parse_jump("00:10", &st, &z), Ok(Jump::To(late + 20 * 60_000)));
        assert_eq!(parse_jump("23:49", &st, &z), Ok(Jump::To(late - 60_000)), "the nearest; the player clamps");
    }
}
