//! `mqscope diff -u A -u B -t FILTER [--map A_PREFIX=B_PREFIX]`: the bridge check. Both brokers are
//! subscribed to at once, from one task; their messages go to [`crate::compare::Comparer`] and the
//! report to stdout. Exit 0 when both carry the same, 1 when anything is missing or differs.
//!
//! 1. Connect and subscribe to both; retained messages (the snapshot) are taken from the first.
//! 2. Live messages count for `--duration`, from `--max-delay` after both subscriptions are answered:
//!    a message that left one broker before we listened there may reach the other until then.
//! 3. Then up to `--max-delay` more for the last messages to reach the other side; nothing new counts.
//!
//! With `--retained` only the snapshots are compared: each ends after `--idle-ms` of quiet or at the
//! first live message.

use super::conn::task_options;
use super::sub::{far, finish, report, setup_failed};
use crate::cli::{ConnArgs, DiffArgs, OutputFormat};
use crate::codec::{Subscription, SubscriptionOptions, topic};
use crate::compare::map::{Mapping, PrefixMap};
use crate::compare::{Comparer, Limits, Report, Side};
use crate::exit;
use crate::sanitize;
use crate::session::{self, SessionEvent, SubscribeOutcome};
use std::io::Write;
use std::time::{Duration, SystemTime};
use tokio::time::{Instant, sleep_until};

mod output;

/// Batches each session may queue ahead of the comparison.
const QUEUE_BATCHES: usize = 16;
/// How often messages that waited too long are given up, without waiting for the next message.
const ADVANCE_EVERY: Duration = Duration::from_millis(100);

/// The connection options of A and B from the command line: two `-u` or two `-P` (profiles are
/// applied by the caller), with the options shared by both.
pub fn sides(args: &DiffArgs) -> Result<[ConnArgs; 2], String> {
    use clap::{Args as _, FromArgMatches as _};
    let names: Vec<(Option<String>, Option<String>)> = match (args.urls.len(), args.profiles.len()) {
        (2, 0) => args.urls.iter().map(|u| (Some(u.clone()), None)).collect(),
        (0, 2) => args.profiles.iter().map(|p| (None, Some(p.clone()))).collect(),
        (u, p) => {
            return Err(format!(
                "diff compares two brokers: give them as two -u URL or two -P PROFILE (got {u} -u and {p} -P)"
            ));
        }
    };
    let base =
        ConnArgs::from_arg_matches(&ConnArgs::augment_args(clap::Command::new("diff")).get_matches_from(["diff"]))
            .map_err(|e| e.to_string())?;
    let make = |(url, profile): &(Option<String>, Option<String>)| {
        let mut c = base.clone();
        c.url.clone_from(url);
        c.profile.clone_from(profile);
        c.mqtt_version = args.mqtt_version;
        c.connect_timeout = args.connect_timeout;
        c.cafile.clone_from(&args.cafile);
        c.insecure = args.insecure;
        c.debug = args.debug;
        c
    };
    match names.as_slice() {
        [a, b] => Ok([make(a), make(b)]),
        _ => Err("diff compares two brokers".into()),
    }
}

/// The filters and mapping, checked: A's filters, B's, and the map.
fn plan(args: &DiffArgs) -> Result<(Vec<String>, Vec<String>, PrefixMap), String> {
    for t in &args.topics {
        topic::check_topic_filter(t).map_err(|k| format!("topic filter '{t}': {k}"))?;
    }
    let map = PrefixMap::new(args.maps.iter().map(|m| Mapping::parse(m)).collect::<Result<_, _>>()?);
    let mut b_filters: Vec<String> = Vec::new();
    for t in &args.topics {
        for f in map.b_filters(t) {
            topic::check_topic_filter(&f)
                .map_err(|k| format!("--map turns '{t}' into '{f}' on B, which is not a valid filter: {k}"))?;
            if !b_filters.contains(&f) {
                b_filters.push(f);
            }
        }
    }
    Ok((args.topics.clone(), b_filters, map))
}

/// One broker's session and where it is.
struct Broker {
    side: Side,
    label: String,
    handle: session::SessionHandle,
    subscribed: bool,
    /// The retained snapshot is complete (`--retained`).
    snapshot_done: bool,
    quiet_at: Option<Instant>,
    reconnects: u64,
}

impl Broker {
    fn name(&self) -> &'static str {
        match self.side {
            Side::A => "A",
            Side::B => "B",
        }
    }
}

/// What ended the run early: an exit code, said on stderr already.
type Stop = u8;

/// Runs the command; returns the exit code. `conns` are A's and B's options, profiles applied.
pub async fn run(args: &DiffArgs, conns: [ConnArgs; 2], mut out: impl Write) -> u8 {
    let (a_filters, b_filters, map) = match plan(args) {
        Ok(p) => p,
        Err(e) => {
            crate::report!("mqscope: {e}");
            return exit::USAGE;
        }
    };
    let options = SubscriptionOptions::qos(args.qos);
    let mut brokers = Vec::with_capacity(2);
    for (side, (conn, filters)) in [Side::A, Side::B].into_iter().zip(conns.iter().zip([&a_filters, &b_filters])) {
        let subs = filters.iter().map(|f| Subscription { filter: f.as_str().into(), options }).collect();
        let mut opts = match task_options(conn, subs) {
            Ok(o) => o,
            Err(e) => {
                for b in brokers {
                    finish_broker(b, args.debug).await;
                }
                return setup_failed(&e);
            }
        };
        opts.channel_capacity = QUEUE_BATCHES;
        let label = sanitize::line(&crate::transport::redact_url(&opts.transport.url)).into_owned();
        brokers.push(Broker {
            side,
            label,
            handle: session::spawn(opts),
            subscribed: false,
            snapshot_done: false,
            quiet_at: None,
            reconnects: 0,
        });
    }
    let limits = Limits {
        max_delay: args.max_delay,
        window: usize::try_from(args.window).unwrap_or(usize::MAX),
        max_topics: usize::try_from(args.max_topics).unwrap_or(usize::MAX),
        ..Limits::default()
    };
    let mut comparer = Comparer::new(a_filters.clone(), map, limits);
    let started = Instant::now();
    let result = watch(args, &mut brokers, &mut comparer).await;
    let labels = [brokers[0].label.clone(), brokers[1].label.clone()];
    let reconnects = [brokers[0].reconnects, brokers[1].reconnects];
    let (a, b) = {
        let mut it = brokers.into_iter();
        (it.next(), it.next())
    };
    let debug = args.debug;
    tokio::join!(
        async {
            if let Some(a) = a {
                finish_broker(a, debug).await
            }
        },
        async {
            if let Some(b) = b {
                finish_broker(b, debug).await
            }
        }
    );
    let watched = match result {
        Ok(w) => w,
        Err(code) => return code,
    };
    let summary = output::Summary {
        labels,
        filters: [a_filters, b_filters],
        maps: args.maps.clone(),
        retained_mode: args.retained,
        watched,
        elapsed: started.elapsed(),
        max_delay: args.max_delay,
        reconnects,
        list: usize::try_from(args.list).unwrap_or(usize::MAX),
    };
    let report = comparer.finish();
    let written = match args.format {
        OutputFormat::Text => output::text(&mut out, &summary, &report),
        OutputFormat::Json => output::json(&mut out, &summary, &report),
    };
    if let Err(e) = written.and_then(|()| out.flush()) {
        return exit::write_failed(&e);
    }
    verdict(&report, reconnects)
}

/// 0 when both carry the same and all of it was checked; 1 otherwise.
fn verdict(report: &Report, reconnects: [u64; 2]) -> u8 {
    if report.equal() && reconnects == [0, 0] { exit::OK } else { exit::FAILURE }
}

async fn finish_broker(b: Broker, debug: bool) {
    finish(b.handle, debug).await;
}

/// Feeds both brokers' messages to the comparer until the run is over; how long live traffic was
/// watched. `Err` holds the exit code of a failure, already said on stderr.
async fn watch(args: &DiffArgs, brokers: &mut [Broker], comparer: &mut Comparer) -> Result<Duration, Stop> {
    let origin = SystemTime::now();
    let since = |t: SystemTime| t.duration_since(origin).unwrap_or_default();
    let subscribe_deadline = Instant::now() + args.connect_timeout * 3;
    let mut warm_until: Option<Instant> = None;
    let mut live_from: Option<Instant> = None;
    let mut live_until: Option<Instant> = None;
    let mut grace_until: Option<Instant> = None;
    let mut advance = tokio::time::interval(ADVANCE_EVERY);
    advance.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut interrupted = false;
    let [a, b] = brokers else { return Err(exit::FAILURE) };
    loop {
        let both_subscribed = a.subscribed && b.subscribed;
        if args.retained && a.snapshot_done && b.snapshot_done {
            return Ok(Duration::ZERO);
        }
        if grace_until.is_some() && comparer.waiting() == 0 {
            return Ok(live_from.map(|f| live_until.unwrap_or(f) - f).unwrap_or_default());
        }
        let quiet = [a.quiet_at, b.quiet_at];
        tokio::select! {
            ev = a.handle.events.recv() => on_event(args, a, ev, comparer, &since)?,
            ev = b.handle.events.recv() => on_event(args, b, ev, comparer, &since)?,
            _ = sleep_until(subscribe_deadline), if !both_subscribed => {
                for x in [&*a, &*b].into_iter().filter(|x| !x.subscribed) {
                    crate::report!(
                        "mqscope: {} ({}) did not answer the subscription within {:.1} s",
                        x.name(), x.label, (args.connect_timeout * 3).as_secs_f64()
                    );
                }
                return Err(exit::TIMEOUT);
            }
            _ = sleep_until(quiet[0].unwrap_or_else(far)), if quiet[0].is_some() => {
                a.snapshot_done = true;
                a.quiet_at = None;
            }
            _ = sleep_until(quiet[1].unwrap_or_else(far)), if quiet[1].is_some() => {
                b.snapshot_done = true;
                b.quiet_at = None;
            }
            _ = sleep_until(warm_until.unwrap_or_else(far)), if warm_until.is_some() && live_from.is_none() => {
                let now = Instant::now();
                live_from = Some(now);
                live_until = Some(now + args.duration);
                comparer.start();
            }
            _ = sleep_until(live_until.unwrap_or_else(far)), if live_until.is_some() && grace_until.is_none() => {
                comparer.close();
                grace_until = Some(Instant::now() + args.max_delay);
            }
            _ = sleep_until(grace_until.unwrap_or_else(far)), if grace_until.is_some() => {
                return Ok(live_from.map(|f| live_until.unwrap_or(f) - f).unwrap_or_default());
            }
            _ = advance.tick() => {
                // A side with nothing queued has been read up to now; one with a backlog has not.
                let now = since(SystemTime::now());
                for x in [&*a, &*b].into_iter().filter(|x| x.handle.events.is_empty()) {
                    comparer.advance(x.side, now);
                }
            }
            _ = &mut ctrl_c, if !interrupted => {
                interrupted = true;
                if args.retained || live_from.is_none() {
                    crate::report!("mqscope: interrupted before the comparison was complete");
                    return Err(exit::FAILURE);
                }
                // The messages already seen still get their time to arrive on the other side.
                live_until = Some(Instant::now());
                comparer.close();
                grace_until = Some(Instant::now() + args.max_delay);
            }
        }
        if warm_until.is_none() && a.subscribed && b.subscribed && !args.retained {
            // A message that left one broker before we subscribed there may still reach the other
            // within the delay allowed: counting starts after that, with earlier ones only pairing up.
            warm_until = Some(Instant::now() + args.max_delay);
        }
    }
}

/// One event of one broker.
fn on_event(
    args: &DiffArgs,
    broker: &mut Broker,
    ev: Option<SessionEvent>,
    comparer: &mut Comparer,
    since: &impl Fn(SystemTime) -> Duration,
) -> Result<(), Stop> {
    let name = broker.name();
    let Some(ev) = ev else {
        crate::report!("mqscope: {name} ({}): the session ended", broker.label);
        return Err(exit::FAILURE);
    };
    match ev {
        SessionEvent::Messages(batch) => {
            for m in &batch {
                if m.retain {
                    comparer.observe(broker.side, &m.topic, &m.payload, true, since(m.received_at));
                    if broker.quiet_at.is_some() {
                        broker.quiet_at = Some(Instant::now() + args.idle_ms);
                    }
                } else if args.retained {
                    // A live message: the broker has sent its whole snapshot.
                    broker.snapshot_done = true;
                    broker.quiet_at = None;
                } else {
                    // Before both are subscribed, only to complete pairs (the comparer counts from `start`).
                    comparer.observe(broker.side, &m.topic, &m.payload, false, since(m.received_at));
                }
            }
        }
        SessionEvent::Subscribed { results, reason_string } => {
            let mut refused = 0;
            for (filter, outcome) in &results {
                match outcome {
                    SubscribeOutcome::Granted(_) => {}
                    SubscribeOutcome::Refused { code, reason } => {
                        refused += 1;
                        crate::report!(
                            "mqscope: {name} refused '{}': {} ({code:#04x})",
                            sanitize::line(filter),
                            sanitize::line(reason)
                        );
                    }
                    SubscribeOutcome::Invalid(why) => {
                        refused += 1;
                        crate::report!("mqscope: {name}: invalid filter '{}': {why}", sanitize::line(filter));
                    }
                }
            }
            if let Some(r) = reason_string {
                crate::report!("mqscope: {name} says: {}", sanitize::line(&r));
            }
            if refused > 0 {
                // A partial subscription would show topics as missing that were never asked for.
                crate::report!(
                    "mqscope: {name} ({}) refused {refused} of {} subscription(s)",
                    broker.label,
                    results.len()
                );
                return Err(exit::AUTH);
            }
            if !broker.subscribed {
                broker.subscribed = true;
                if args.retained {
                    broker.quiet_at = Some(Instant::now() + args.idle_ms);
                }
            }
        }
        SessionEvent::Disconnected { reason, reconnect_in, fatal } => match (reconnect_in, fatal) {
            (Some(wait), _) => {
                broker.reconnects += 1;
                crate::report!(
                    "mqscope: {name} ({}): {}; reconnecting in {:.1} s (messages meanwhile are not compared)",
                    broker.label,
                    sanitize::line(&reason),
                    wait.as_secs_f64()
                );
            }
            (None, fatal) => {
                crate::report!("mqscope: {name} ({}): {}", broker.label, sanitize::line(&reason));
                return Err(fatal.map_or(exit::FAILURE, super::conn::exit_code));
            }
        },
        SessionEvent::Warning(w) | SessionEvent::Notice(w) => {
            crate::report!("mqscope: {name}: {}", sanitize::line(&w));
        }
        SessionEvent::Stray { topic, total } => {
            crate::report!("mqscope: {name}: {}", session::stray_notice(&topic, total));
        }
        other => report(&other, args.debug),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;

    fn diff_args(words: &[&str]) -> DiffArgs {
        let cli = crate::cli::Cli::try_parse_from(["mqscope", "diff"].iter().chain(words)).unwrap();
        match cli.command {
            Some(crate::cli::Command::Diff(d)) => d,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn two_brokers_are_needed_given_the_same_way() {
        let two = diff_args(&["-u", "mqtt://a", "-u", "mqtt://b", "-t", "#", "--mqtt", "3.1.1"]);
        let [a, b] = sides(&two).unwrap();
        assert_eq!((a.url.as_deref(), b.url.as_deref()), (Some("mqtt://a"), Some("mqtt://b")));
        assert!(a.mqtt_version.is_some() && b.mqtt_version.is_some());
        let profiles = diff_args(&["-P", "edge", "-P", "cloud", "-t", "#"]);
        assert_eq!(sides(&profiles).unwrap()[1].profile.as_deref(), Some("cloud"));
        for words in [&["-u", "mqtt://a", "-t", "#"][..], &["-u", "mqtt://a", "-P", "b", "-t", "#"]] {
            assert!(sides(&diff_args(words)).unwrap_err().contains("two -u URL or two -P"), "{words:?}");
        }
    }

    #[test]
    fn filters_are_mapped_for_b_and_bad_ones_refused() {
        let (a, b, _) =
            plan(&diff_args(&["-u", "x", "-u", "y", "-t", "factory/#", "--map", "factory/=site1/factory/"])).unwrap();
        assert_eq!((a, b), (vec!["factory/#".to_owned()], vec!["site1/factory/#".to_owned()]));
        let e = plan(&diff_args(&["-u", "x", "-u", "y", "-t", "#", "--map", "fac=x"])).unwrap_err();
        assert!(e.contains("'x#'"), "{e}");
        assert!(plan(&diff_args(&["-u", "x", "-u", "y", "-t", "a/#/b"])).is_err());
        assert!(plan(&diff_args(&["-u", "x", "-u", "y", "-t", "#", "--map", "nope"])).is_err());
    }
}
