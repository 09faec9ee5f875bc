//! The detail pane's reading keys on payloads longer than the pane: wrapping, pages, the ends,
//! sideways scrolling and search inside the payload.

use super::layout::Pane;
use super::tests::{T0, app, feed, key, msg, typed};
use super::{App, AppEvent, PromptKind};
use crossterm::event::KeyCode;

/// A one-line text payload of `len` characters: `a` then `b` … cycling, ending in `END`.
fn long_text(len: usize) -> Vec<u8> {
    let mut p: Vec<u8> = (0..len - 3).map(|i| b'a' + (i % 26) as u8).collect();
    p.extend_from_slice(b"END");
    p
}

/// The app with `payload` on topic `big`, selected, the detail pane focused.
fn reading(payload: &[u8]) -> App {
    let mut a = app();
    feed(&mut a, vec![msg("big", payload, T0)]);
    a.tree_view.selected = a.tree.find("big");
    a.focus = Pane::Detail;
    a.prepare();
    a
}

fn body_width(a: &App) -> usize {
    usize::from(a.detail_parts().unwrap().body.width)
}

/// The text of the body row at `i`.
fn row_text(a: &App, i: usize) -> String {
    let c = &a.detail_cache;
    let r = c.rows[i];
    let line: String = c.body[r.line as usize].iter().map(|(_, t)| t.as_str()).collect();
    line.chars().skip(r.start as usize).take((r.end - r.start) as usize).collect()
}

#[test]
fn a_long_line_wraps_by_default_so_all_of_it_is_on_some_row() {
    let a = reading(&long_text(5_000));
    let width = body_width(&a);
    assert_eq!(a.detail_cache.rows.len(), 5_000usize.div_ceil(width));
    let all: String = (0..a.detail_cache.rows.len()).map(|i| row_text(&a, i)).collect();
    assert_eq!(all.len(), 5_000);
    assert!(all.ends_with("END"));
}

#[test]
fn page_keys_move_a_page_and_end_shows_the_last_row_at_the_bottom() {
    let mut a = reading(&long_text(20_000));
    let page = a.detail_page();
    let rows = a.detail_cache.rows.len();
    key(&mut a, KeyCode::PageDown);
    assert_eq!(a.detail.scroll, page);
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::Char('j'));
    assert_eq!(a.detail.scroll, page + 2);
    key(&mut a, KeyCode::Char('k'));
    key(&mut a, KeyCode::Up);
    key(&mut a, KeyCode::PageUp);
    assert_eq!(a.detail.scroll, 0);
    key(&mut a, KeyCode::End);
    assert_eq!(a.detail.scroll, rows - page, "the last row sits at the bottom");
    assert!(row_text(&a, a.detail.scroll + page - 1).ends_with("END"));
    // Nothing scrolls past the end: not a row, a page or the wheel.
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::PageDown);
    let detail = a.areas().detail.unwrap();
    a.apply(AppEvent::Scroll { x: detail.x + 2, y: detail.y + 2, delta: 5 });
    assert_eq!(a.detail.scroll, rows - page);
    key(&mut a, KeyCode::Home);
    assert_eq!(a.detail.scroll, 0);
    key(&mut a, KeyCode::Char('G'));
    assert_eq!(a.detail.scroll, rows - page);
    key(&mut a, KeyCode::Char('g'));
    assert_eq!(a.detail.scroll, 0);
    a.apply(AppEvent::Scroll { x: detail.x + 2, y: detail.y + 2, delta: 1 });
    assert_eq!(a.detail.scroll, 3, "the wheel moves three rows");
}

#[test]
fn unwrapped_lines_scroll_sideways_up_to_the_widest_line() {
    let mut a = reading(&long_text(1_000));
    key(&mut a, KeyCode::Right);
    assert_eq!(a.detail.hscroll, 0, "wrapped lines do not scroll sideways");
    assert!(a.notice.as_ref().is_some_and(|(n, _)| n.contains("W shows them unwrapped")));
    key(&mut a, KeyCode::Char('W'));
    assert!(a.detail.nowrap);
    assert_eq!(a.detail_cache.rows.len(), 1);
    key(&mut a, KeyCode::Right);
    key(&mut a, KeyCode::Char('l'));
    assert_eq!(a.detail.hscroll, 16);
    key(&mut a, KeyCode::Char('h'));
    key(&mut a, KeyCode::Left);
    key(&mut a, KeyCode::Left);
    assert_eq!(a.detail.hscroll, 0);
    for _ in 0..1_000 {
        key(&mut a, KeyCode::Right);
    }
    assert_eq!(a.detail.hscroll, 1_000 - body_width(&a) / 2, "half a pane of the longest line stays in view");
    key(&mut a, KeyCode::Char('W'));
    assert_eq!((a.detail.nowrap, a.detail.hscroll), (false, 0));
}

#[test]
fn wrapping_on_and_off_keeps_the_top_line_in_view() {
    let lines: Vec<String> = (0..100).map(|i| format!("line {i} {}", "x".repeat(200))).collect();
    let mut a = reading(lines.join("\n").as_bytes());
    for _ in 0..30 {
        key(&mut a, KeyCode::Down);
    }
    let top = a.detail_cache.rows[a.detail.scroll].line;
    key(&mut a, KeyCode::Char('W'));
    assert_eq!(a.detail_cache.rows[a.detail.scroll].line, top);
    key(&mut a, KeyCode::Char('W'));
    assert_eq!(a.detail_cache.rows[a.detail.scroll].line, top);
    assert_eq!(a.detail_cache.rows[a.detail.scroll].start, 0);
}

#[test]
fn slash_in_the_detail_pane_searches_the_payload_and_n_moves_between_matches() {
    let mut text: Vec<String> = (0..300).map(|i| format!("row {i}")).collect();
    text[10] = "first needle".into();
    text[150] = "second NEEDLE".into();
    text[290] = "third needle".into();
    let mut a = reading(text.join("\n").as_bytes());
    key(&mut a, KeyCode::Char('/'));
    assert_eq!(a.prompt.as_ref().map(|p| p.kind), Some(PromptKind::DetailSearch));
    typed(&mut a, "needle");
    key(&mut a, KeyCode::Enter);
    assert!(a.prompt.is_none());
    assert_eq!(a.detail_cache.matches.len(), 3, "case-insensitive like the log's search");
    let shown = |a: &App| {
        let m = a.detail_cache.matches[a.detail.find_at];
        let row = super::reader::row_of(&a.detail_cache.rows, m);
        assert!(row >= a.detail.scroll && row < a.detail.scroll + a.detail_page(), "the match is in view");
        m.line
    };
    assert_eq!(shown(&a), 10);
    key(&mut a, KeyCode::Char('n'));
    assert_eq!(shown(&a), 150);
    key(&mut a, KeyCode::Char('n'));
    assert_eq!(shown(&a), 290);
    key(&mut a, KeyCode::Char('n'));
    assert_eq!(shown(&a), 10, "n wraps around to the first match");
    key(&mut a, KeyCode::Char('N'));
    assert_eq!(shown(&a), 290, "N goes back, wrapping to the last");
    key(&mut a, KeyCode::Char('N'));
    assert_eq!(shown(&a), 150);
    // `/` again offers the search to edit; Esc in the pane ends it.
    key(&mut a, KeyCode::Char('/'));
    assert_eq!(a.prompt.as_ref().map(|p| p.text.as_str()), Some("needle"));
    key(&mut a, KeyCode::Esc);
    key(&mut a, KeyCode::Esc);
    assert!(a.detail.find.is_none() && a.detail_cache.matches.is_empty());
}

#[test]
fn a_search_with_no_match_or_a_bad_regex_says_so() {
    let mut a = reading(&long_text(3_000));
    key(&mut a, KeyCode::Char('/'));
    typed(&mut a, "zzz");
    key(&mut a, KeyCode::Enter);
    assert!(a.notice.as_ref().is_some_and(|(n, _)| n.contains("no match for 'zzz'")), "{:?}", a.notice);
    key(&mut a, KeyCode::Char('n'));
    assert_eq!(a.detail.scroll, 0);
    key(&mut a, KeyCode::Char('/'));
    for _ in 0..3 {
        key(&mut a, KeyCode::Backspace);
    }
    typed(&mut a, "/(/");
    key(&mut a, KeyCode::Enter);
    assert!(a.prompt.as_ref().is_some_and(|p| p.error.as_ref().is_some_and(|e| e.contains("bad regex"))));
}

#[test]
fn unwrapped_search_scrolls_sideways_to_the_match() {
    let mut a = reading(&long_text(4_000));
    key(&mut a, KeyCode::Char('W'));
    key(&mut a, KeyCode::Char('/'));
    typed(&mut a, "END");
    key(&mut a, KeyCode::Enter);
    let width = body_width(&a);
    let col = 3_997;
    assert!(a.detail.hscroll <= col && col < a.detail.hscroll + width, "hscroll {}", a.detail.hscroll);
}

#[test]
fn a_new_message_keeps_the_search_and_the_scroll_within_the_new_body() {
    let mut a = reading(&long_text(20_000));
    key(&mut a, KeyCode::End);
    feed(&mut a, vec![msg("big", b"short END", T0 + 1_000)]);
    assert_eq!(a.detail.scroll, 0, "a shorter payload pulls the view back");
    key(&mut a, KeyCode::Char('/'));
    typed(&mut a, "end");
    key(&mut a, KeyCode::Enter);
    feed(&mut a, vec![msg("big", b"END and END", T0 + 2_000)]);
    assert_eq!(a.detail_cache.matches.len(), 2);
}

#[test]
fn a_200kb_one_line_json_payload_is_shown_whole_and_end_reaches_its_last_field() {
    let mut json = String::from("{\"items\":[");
    let mut i = 0;
    while json.len() < 200 * 1024 {
        json.push_str(&format!("{}{{\"id\":{i}}}", if i > 0 { "," } else { "" }));
        i += 1;
    }
    json.push_str("],\"end\":\"THE-END\"}");
    let mut a = reading(json.as_bytes());
    let body: Vec<String> = a.detail_cache.body.iter().map(|l| l.iter().map(|(_, t)| t.as_str()).collect()).collect();
    assert!(body.iter().all(|l| !l.contains("(cut:")), "nothing is cut");
    assert_eq!(body[body.len() - 2], "  \"end\": \"THE-END\"");
    key(&mut a, KeyCode::End);
    let last = a.detail.scroll + a.detail_page() - 1;
    assert_eq!(row_text(&a, last - 1), "  \"end\": \"THE-END\"");
}
