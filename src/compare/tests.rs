use super::map::{Mapping, PrefixMap};
use super::*;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn comparer(filter: &str, maps: &[&str]) -> Comparer {
    let map = PrefixMap::new(maps.iter().map(|m| Mapping::parse(m).unwrap()).collect());
    started(Comparer::new(vec![filter.to_owned()], map, Limits { max_delay: ms(1000), ..Limits::default() }))
}

fn started(mut c: Comparer) -> Comparer {
    c.start();
    c
}

fn topics(list: &[TopicCount]) -> Vec<&str> {
    list.iter().map(|t| t.topic.as_str()).collect()
}

#[test]
fn a_message_on_both_sides_is_matched_and_its_delay_recorded() {
    let mut c = comparer("#", &[]);
    c.observe(Side::A, "t", b"1", false, ms(100));
    c.observe(Side::B, "t", b"1", false, ms(103));
    let r = c.finish();
    assert_eq!(r.both, 1);
    assert_eq!(r.counts.matched, [1, 1]);
    assert_eq!(r.counts.unmatched, [0, 0]);
    let d = r.delays[0].unwrap();
    assert_eq!(d.count, 1);
    assert!(d.max.abs_diff(ms(3)) < Duration::from_micros(10), "{d:?}");
    assert_eq!(r.delays[1], None);
    assert!(r.equal());
}

#[test]
fn a_message_that_went_from_b_to_a_counts_in_that_direction() {
    let mut c = comparer("#", &[]);
    c.observe(Side::B, "t", b"1", false, ms(100));
    c.observe(Side::A, "t", b"1", false, ms(102));
    let r = c.finish();
    assert_eq!(r.delays[0], None);
    assert_eq!(r.delays[1].unwrap().count, 1);
    assert!(r.equal());
}

#[test]
fn topics_on_one_side_only_are_listed_sorted() {
    let mut c = comparer("#", &[]);
    c.observe(Side::A, "z/only-a", b"x", false, ms(0));
    c.observe(Side::A, "b/only-a", b"x", true, ms(0));
    c.observe(Side::B, "only-b", b"x", false, ms(0));
    let r = c.finish();
    assert_eq!(topics(&r.only_a), ["b/only-a", "z/only-a"]);
    assert!(r.only_a[0].retained && r.only_a[0].messages == 0);
    assert_eq!(topics(&r.only_b), ["only-b"]);
    assert_eq!(r.counts.unmatched, [1, 1], "the live ones found no twin");
    assert!(r.differs());
}

#[test]
fn a_message_that_never_arrives_within_the_delay_is_lost() {
    let mut c = comparer("#", &[]);
    c.observe(Side::A, "t", b"1", false, ms(0));
    c.observe(Side::A, "t", b"2", false, ms(10));
    c.observe(Side::B, "t", b"2", false, ms(20));
    c.observe(Side::B, "t", b"other", false, ms(1500));
    let r = c.finish();
    assert_eq!(r.counts.unmatched, [1, 1], "'1' never reached B; 'other' was never on A");
    assert_eq!(r.counts.late, [0, 0]);
    assert_eq!(
        r.unmatched,
        [TopicUnmatched { topic: "t".into(), a_to_b: 1, b_not_on_a: 1, late_a_to_b: 0, late_b_to_a: 0 }]
    );
    assert!(r.differs());
}

#[test]
fn a_message_that_arrives_after_the_delay_is_late_not_lost() {
    let mut c = comparer("#", &[]);
    c.observe(Side::A, "t", b"1", false, ms(0));
    c.observe(Side::A, "t", b"2", false, ms(10));
    c.observe(Side::B, "t", b"2", false, ms(20));
    // `1` reaches B 1.5 s later, over the 1 s allowed: it was given up, then turns up.
    c.observe(Side::B, "t", b"1", false, ms(1500));
    let r = c.finish();
    assert_eq!(r.counts.unmatched, [0, 0], "nothing is missing: B's copy of '1' is A's late one");
    assert_eq!(r.counts.late, [1, 0]);
    assert_eq!(r.counts.matched, [2, 2]);
    assert_eq!(
        r.unmatched,
        [TopicUnmatched { topic: "t".into(), a_to_b: 0, b_not_on_a: 0, late_a_to_b: 1, late_b_to_a: 0 }]
    );
    let d = r.delays[0].unwrap();
    assert_eq!(d.count, 2, "the late one's delay is recorded too");
    assert!(d.max.abs_diff(ms(1500)) < ms(2), "{d:?}");
    assert!(!r.differs(), "late is reported, not a difference");
    assert!(r.late() && !r.equal(), "but it is not equal either: `diff` exits 1 on it");
}

#[test]
fn a_message_later_than_the_late_window_is_lost_and_its_twin_unexplained() {
    let map = PrefixMap::new(Vec::new());
    let limits = Limits { max_delay: ms(1000), late_window: ms(5000), ..Limits::default() };
    let mut c = started(Comparer::new(vec!["#".into()], map, limits));
    c.observe(Side::A, "t", b"1", false, ms(0));
    c.observe(Side::B, "t", b"x", false, ms(1500));
    c.observe(Side::B, "t", b"y", false, ms(7000));
    c.observe(Side::B, "t", b"1", false, ms(7001));
    let r = c.finish();
    assert_eq!(r.counts.late, [0, 0]);
    assert_eq!(r.counts.unmatched[0], 1);
}

#[test]
fn what_is_remembered_for_late_twins_is_bounded_by_the_window() {
    let map = PrefixMap::new(Vec::new());
    let limits = Limits { max_delay: ms(10), window: 100, ..Limits::default() };
    let mut c = started(Comparer::new(vec!["#".into()], map, limits));
    for i in 0..10_000u64 {
        c.observe(Side::A, "t", &i.to_be_bytes(), false, ms(i * 100));
        c.advance(Side::B, ms(i * 100));
    }
    assert!(c.given_up[0].order.len() <= 100, "{}", c.given_up[0].order.len());
    // The newest given up is still known, the oldest not.
    c.observe(Side::B, "t", &9_998u64.to_be_bytes(), false, ms(1_000_000));
    c.observe(Side::B, "t", &0u64.to_be_bytes(), false, ms(1_000_000));
    let r = c.finish();
    assert_eq!(r.counts.late, [1, 0]);
    assert_eq!(r.counts.unmatched[1], 1, "the twin of a message forgotten long ago stays unexplained");
}

#[test]
fn advancing_the_clock_gives_up_without_a_new_message() {
    let mut c = comparer("#", &[]);
    c.observe(Side::A, "t", b"1", false, ms(0));
    c.advance(Side::B, ms(999));
    assert_eq!(c.counts().unmatched, [0, 0]);
    assert_eq!(c.waiting(), 1);
    // A's own clock says nothing about whether B's copy is on its way.
    c.advance(Side::A, ms(5000));
    assert_eq!(c.waiting(), 1);
    c.advance(Side::B, ms(1001));
    assert_eq!(c.counts().unmatched, [1, 0]);
    assert_eq!(c.waiting(), 0);
}

#[test]
fn repeated_payloads_pair_up_oldest_first() {
    let mut c = comparer("#", &[]);
    for i in 0..3 {
        c.observe(Side::A, "t", b"on", false, ms(i * 10));
    }
    for i in 0..3 {
        c.observe(Side::B, "t", b"on", false, ms(i * 10 + 5));
    }
    let r = c.finish();
    let d = r.delays[0].unwrap();
    assert_eq!((d.count, r.counts.unmatched), (3, [0, 0]));
    assert!(d.max.abs_diff(ms(5)) < Duration::from_micros(10), "{d:?}");
}

#[test]
fn b_topics_are_mapped_back_into_a_names() {
    let mut c = comparer("factory/#", &["factory/=site1/factory/"]);
    c.observe(Side::A, "factory/line1/t", b"1", false, ms(0));
    c.observe(Side::B, "site1/factory/line1/t", b"1", false, ms(2));
    // B's own factory/ tree is not A's: it stands for nothing under the filter.
    c.observe(Side::B, "factory/line1/t", b"1", false, ms(3));
    let r = c.finish();
    assert_eq!(r.both, 1);
    assert!(r.only_b.is_empty());
    assert_eq!(r.counts.outside, [0, 1]);
    assert!(r.equal());
}

#[test]
fn retained_values_are_compared_byte_for_byte() {
    let mut c = comparer("#", &[]);
    for (topic, a, b) in [("same", &b"21.5"[..], &b"21.5"[..]), ("newline", b"21.5\n", b"21.5"), ("other", b"1", b"2")]
    {
        c.observe(Side::A, topic, a, true, ms(0));
        c.observe(Side::B, topic, b, true, ms(0));
    }
    c.observe(Side::A, "only-a-retained", b"x", true, ms(0));
    c.observe(Side::B, "only-a-retained", b"x", false, ms(0));
    c.observe(Side::A, "only-a-retained", b"x", false, ms(1));
    let r = c.finish();
    let differ: Vec<_> = r.retained_differ.iter().map(|d| (d.topic.as_str(), &d.a[..], &d.b[..])).collect();
    assert_eq!(differ, [("newline", &b"21.5\n"[..], &b"21.5"[..]), ("other", b"1", b"2")]);
    assert_eq!(r.retained_only_a, ["only-a-retained"]);
    assert_eq!(r.counts.retained, [4, 3]);
    assert_eq!(r.delays[1].unwrap().count, 1, "retained ones are never paired, live ones are");
}

#[test]
fn a_full_window_drops_the_oldest_and_counts_it_unchecked() {
    let map = PrefixMap::default();
    let mut c = started(Comparer::new(
        vec!["#".into()],
        map,
        Limits { max_delay: ms(1000), window: 3, max_topics: 10, ..Limits::default() },
    ));
    for i in 0..5u8 {
        c.observe(Side::A, "t", &[i], false, ms(u64::from(i)));
    }
    assert_eq!(c.waiting(), 3);
    c.observe(Side::B, "t", &[4], false, ms(10));
    let r = c.finish();
    assert_eq!(r.counts.overflow, [2, 0]);
    assert_eq!(r.counts.unmatched, [2, 0]);
    assert!(r.incomplete() && !r.equal());
}

#[test]
fn matched_messages_free_their_room_in_the_window() {
    let mut c = started(Comparer::new(
        vec!["#".into()],
        PrefixMap::default(),
        Limits { max_delay: ms(1000), window: 2, max_topics: 10, ..Limits::default() },
    ));
    for i in 0..100u8 {
        c.observe(Side::A, "t", &[i], false, ms(u64::from(i)));
        c.observe(Side::B, "t", &[i], false, ms(u64::from(i)));
    }
    let r = c.finish();
    assert_eq!((r.counts.overflow, r.counts.matched), ([0, 0], [100, 100]));
    assert!(r.equal());
}

#[test]
fn topics_beyond_the_limit_are_counted_not_tracked() {
    let mut c = started(Comparer::new(
        vec!["#".into()],
        PrefixMap::default(),
        Limits { max_delay: ms(1000), window: 10, max_topics: 2, ..Limits::default() },
    ));
    for t in ["a", "b", "c", "c"] {
        c.observe(Side::A, t, b"1", false, ms(0));
        c.observe(Side::B, t, b"1", false, ms(1));
    }
    let r = c.finish();
    assert_eq!(r.both, 2);
    assert_eq!(r.counts.untracked, [2, 2]);
    assert!(r.incomplete());
}

#[test]
fn after_closing_messages_only_complete_waiting_pairs() {
    let mut c = comparer("#", &[]);
    c.observe(Side::A, "t", b"1", false, ms(0));
    c.close();
    c.observe(Side::B, "t", b"1", false, ms(5));
    c.observe(Side::B, "t", b"new", false, ms(6));
    c.observe(Side::B, "late-topic", b"x", false, ms(6));
    let r = c.finish();
    assert_eq!(r.counts.messages, [1, 1]);
    assert_eq!(r.counts.unmatched, [0, 0]);
    assert!(r.only_b.is_empty() && r.only_a.is_empty());
    assert!(r.equal());
    assert_eq!(r.delays[0].unwrap().count, 1);
}

#[test]
fn messages_outside_the_filter_are_ignored_and_nothing_seen_is_said() {
    let mut c = comparer("factory/#", &[]);
    c.observe(Side::A, "office/t", b"1", false, ms(0));
    let r = c.finish();
    assert_eq!(r.counts.outside, [1, 0]);
    assert!(r.nothing_seen() && !r.differs() && !r.equal());
}

#[test]
fn payloads_that_differ_only_in_a_trailing_newline_are_not_twins() {
    let mut c = comparer("#", &[]);
    c.observe(Side::A, "t", b"21.5\n", false, ms(0));
    c.observe(Side::B, "t", b"21.5", false, ms(1));
    let r = c.finish();
    assert_eq!(r.counts.unmatched, [1, 1]);
    assert!(r.differs());
}

#[test]
fn a_hundred_thousand_topics_a_side() {
    let mut c = comparer("#", &[]);
    for i in 0..100_000u64 {
        let topic = format!("t/{i}");
        c.observe(Side::A, &topic, b"v", false, Duration::from_micros(i));
        if i % 1000 != 0 {
            c.observe(Side::B, &topic, b"v", false, Duration::from_micros(i + 1));
        }
    }
    let r = c.finish();
    assert_eq!((r.both, r.only_a.len(), r.counts.unmatched), (99_900, 100, [100, 0]));
}

#[test]
fn messages_before_the_start_only_complete_pairs() {
    let map = PrefixMap::default();
    let mut c = Comparer::new(vec!["#".into()], map, Limits { max_delay: ms(1000), ..Limits::default() });
    c.observe(Side::A, "t", b"in flight", false, ms(0));
    c.observe(Side::A, "t", b"never on B", false, ms(1));
    c.observe(Side::B, "early", b"x", false, ms(1));
    c.observe(Side::A, "r", b"snapshot", true, ms(1));
    c.start();
    c.observe(Side::B, "t", b"in flight", false, ms(5));
    let r = c.finish();
    assert_eq!(r.counts.messages, [0, 1]);
    assert_eq!(r.counts.matched, [0, 1]);
    assert_eq!(r.counts.unmatched, [0, 0], "nothing from before the start is judged");
    assert_eq!(topics(&r.only_a), ["r"], "the snapshot counts from the first");
    assert_eq!(r.both, 1, "t is on A: its message there completed B's");
    assert!(r.only_b.is_empty(), "{:?}", r.only_b);
}

#[test]
fn a_backlog_on_one_side_is_not_a_loss() {
    let mut c = comparer("#", &[]);
    // A's stream is read far ahead of B's: B's copies, sent in time, are still queued.
    for i in 0..10u64 {
        c.observe(Side::A, "t", &i.to_be_bytes(), false, ms(i * 1000));
    }
    for i in 0..10u64 {
        c.observe(Side::B, "t", &i.to_be_bytes(), false, ms(i * 1000 + 10));
    }
    let r = c.finish();
    assert_eq!((r.counts.unmatched, r.counts.matched), ([0, 0], [10, 10]));
}
