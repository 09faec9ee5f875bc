//! Screens of the detail pane's tree at 80x24 and 160x48.

use crate::app::App;
use crate::app::AppEvent;
use crate::app::tests::{T0, app, feed, key, msg};
use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const DOC: &str = r#"{"site":"plant/1","sensors":[{"name":"a","temp":20.5,"tags":["x","y"]},{"name":"b","temp":21.5,"tags":[]},{"name":"c","temp":"22.0","deep":{"l1":{"l2":{"l3":{"l4":{"l5":{"temp":-4.25}}}}}}}],"ok":true,"none":null}"#;

fn screen(a: &mut App, w: u16, h: u16) -> String {
    a.apply(AppEvent::Resize { width: w, height: h });
    a.prepare();
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    term.draw(|f| super::super::draw(f, a)).expect("draw");
    super::super::tests::text(term.backend().buffer())
}

/// A topic with `payload`, selected, its tree shown.
fn tree_of(payload: &[u8]) -> App {
    let mut a = app();
    feed(&mut a, vec![msg("plant/line1", payload, T0)]);
    a.apply(AppEvent::Tick { now_ms: T0 + 2_000 });
    a.tree_view.selected = a.tree.find("plant/line1");
    a.prepare();
    key(&mut a, KeyCode::Char('T'));
    a
}

fn both(name: &str, a: &mut App) {
    insta::assert_snapshot!(format!("{name}_80x24"), screen(a, 80, 24));
    insta::assert_snapshot!(format!("{name}_160x48"), screen(a, 160, 48));
}

#[test]
fn unfolded() {
    both("tree_unfolded", &mut tree_of(DOC.as_bytes()));
}

#[test]
fn folded() {
    let mut a = tree_of(DOC.as_bytes());
    key(&mut a, KeyCode::Char('C'));
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::Right);
    both("tree_folded", &mut a);
}

#[test]
fn selected_deep_value() {
    let mut a = tree_of(DOC.as_bytes());
    for _ in 0..22 {
        key(&mut a, KeyCode::Down);
    }
    let path = a.detail_cache.json.as_ref().map(|t| t.selected_path()).unwrap_or_default();
    assert_eq!(path, "/sensors/2/deep/l1/l2/l3/l4/l5/temp");
    both("tree_deep", &mut a);
}

#[test]
fn long_strings() {
    let long = "lorem ipsum ".repeat(400);
    let doc = format!(r#"{{"note":"{long}","id":7,"list":["{long}"]}}"#);
    both("tree_long", &mut tree_of(doc.as_bytes()));
}

#[test]
fn hostile_keys_and_strings_are_sanitised() {
    let doc = "{\"\\u001b]0;owned\\u0007title\":\"\\u001b[2J\\u001b[31mred\\u001b[0m\",\"bidi\\u202e\":\"x\\u202ey\",\"a/b~c\":{\"\\u0000\":1}}";
    let mut a = tree_of(doc.as_bytes());
    key(&mut a, KeyCode::End);
    let small = screen(&mut a, 80, 24);
    assert!(!small.contains('\u{1b}') && !small.contains('\u{202e}') && !small.contains('\u{7}'), "{small}");
    assert!(small.contains("/a~1b~0c/\\x00"), "the path escapes / and ~ and shows the control:\n{small}");
    both("tree_hostile", &mut a);
}
