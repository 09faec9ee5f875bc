use super::*;
use serde_json::json;

fn sensors() -> Value {
    json!({
        "site": "plant/1",
        "sensors": [
            {"name": "a", "temp": 20.5},
            {"name": "b", "temp": "21.0"},
            {"name": "c", "temp": null},
            {"name": "d", "temp": 23, "tags": []}
        ],
        "ok": true
    })
}

/// The visible rows as `depth key` or `depth index` or the root's `-`, with `*` on the selection.
fn shape(t: &Tree) -> Vec<String> {
    t.visible(usize::MAX)
        .map(|r| {
            let name = r.key.map(str::to_owned).or(r.index.map(|i| i.to_string())).unwrap_or("-".into());
            let mark = if r.selected { "*" } else { "" };
            let fold = match (r.kind.is_container(), r.open) {
                (true, true) => "▾",
                (true, false) => "▸",
                _ => "",
            };
            format!("{}{fold}{name}{mark}", r.depth)
        })
        .collect()
}

fn select(t: &mut Tree, path: &str) {
    t.selected = t.find(path);
    t.reveal(10);
}

#[test]
fn a_small_payload_opens_unfolded_with_the_root_selected() {
    let t = Tree::new(&sensors());
    assert_eq!(t.node_count(), 17);
    assert_eq!(t.row_count(), 17);
    assert_eq!(t.selected_path(), "");
    let rows = shape(&t);
    assert_eq!(rows[0], "0▾-*");
    assert_eq!(rows[1], "1\"site\"");
    assert_eq!(rows[2], "1▾\"sensors\"");
    assert_eq!(rows[3], "2▾0");
}

#[test]
fn a_large_payload_opens_with_the_roots_children_folded() {
    let items: Vec<Value> = (0..300).map(|i| json!({"i": i, "v": [i, i]})).collect();
    let t = Tree::new(&json!({"items": items, "n": 300}));
    assert!(t.node_count() > OPEN_ALL_NODES);
    assert_eq!(shape(&t), ["0▾-*", "1▸\"items\"", "1\"n\""]);
}

#[test]
fn up_down_page_home_end_move_within_the_rows() {
    let mut t = Tree::new(&sensors());
    t.apply(Move::Down, 5);
    assert_eq!(t.selected_path(), "/site");
    t.apply(Move::Up, 5);
    t.apply(Move::Up, 5);
    assert_eq!(t.selected_path(), "", "Up stops at the first row");
    t.apply(Move::PageDown, 5);
    assert_eq!(t.selected_row(), 5);
    assert_eq!(t.selected_path(), "/sensors/0/temp");
    assert_eq!(t.offset, 1, "the selection is scrolled into the 5 rows");
    t.apply(Move::PageUp, 5);
    assert_eq!(t.selected_row(), 0);
    assert_eq!(t.offset, 0);
    t.apply(Move::End, 5);
    assert_eq!(t.selected_path(), "/ok");
    assert_eq!(t.offset, t.row_count() - 5);
    t.apply(Move::Down, 5);
    assert_eq!(t.selected_path(), "/ok", "Down stops at the last row");
    t.apply(Move::Home, 5);
    assert_eq!((t.selected_row(), t.offset), (0, 0));
}

#[test]
fn fold_folds_an_open_container_then_goes_to_the_parent() {
    let mut t = Tree::new(&sensors());
    select(&mut t, "/sensors/1");
    t.apply(Move::Fold, 10);
    assert_eq!(t.row_count(), 15, "the two values of /sensors/1 are hidden");
    assert_eq!(t.selected_path(), "/sensors/1");
    t.apply(Move::Fold, 10);
    assert_eq!(t.selected_path(), "/sensors", "a folded container goes to its parent");
    select(&mut t, "/sensors/0/temp");
    t.apply(Move::Fold, 10);
    assert_eq!(t.selected_path(), "/sensors/0", "a leaf goes to its parent");
}

#[test]
fn unfold_unfolds_a_folded_container_then_goes_to_its_first_child() {
    let mut t = Tree::new(&sensors());
    select(&mut t, "/sensors");
    t.apply(Move::Fold, 10);
    assert_eq!(t.row_count(), 4);
    t.apply(Move::Unfold, 10);
    assert_eq!(t.row_count(), 17);
    assert_eq!(t.selected_path(), "/sensors");
    t.apply(Move::Unfold, 10);
    assert_eq!(t.selected_path(), "/sensors/0");
    select(&mut t, "/sensors/3/tags");
    t.apply(Move::Unfold, 10);
    assert_eq!(t.selected_path(), "/sensors/3/tags", "an empty container has no child to go to");
    select(&mut t, "/ok");
    t.apply(Move::Unfold, 10);
    assert_eq!(t.selected_path(), "/ok", "a leaf stays");
}

#[test]
fn toggle_folds_and_unfolds_and_does_nothing_on_a_leaf() {
    let mut t = Tree::new(&sensors());
    select(&mut t, "/sensors/0");
    t.apply(Move::Toggle, 10);
    assert_eq!(t.row_count(), 15);
    t.apply(Move::Toggle, 10);
    assert_eq!(t.row_count(), 17);
    select(&mut t, "/site");
    t.apply(Move::Toggle, 10);
    assert_eq!(t.row_count(), 17);
}

#[test]
fn fold_all_keeps_the_root_open_and_moves_the_selection_to_a_row() {
    let mut t = Tree::new(&sensors());
    select(&mut t, "/sensors/2/temp");
    t.apply(Move::FoldAll, 10);
    assert_eq!(shape(&t), ["0▾-", "1\"site\"", "1▸\"sensors\"*", "1\"ok\""]);
    t.apply(Move::UnfoldAll, 10);
    assert_eq!(t.row_count(), 17);
    assert_eq!(t.selected_path(), "/sensors", "unfolding keeps the selection");
}

#[test]
fn folds_and_the_selection_survive_a_new_payload_where_their_paths_exist() {
    let mut t = Tree::new(&sensors());
    select(&mut t, "/sensors/1");
    t.apply(Move::Fold, 10);
    select(&mut t, "/sensors/3/temp");
    let mut next = sensors();
    next["sensors"][3]["temp"] = json!(99);
    next["extra"] = json!({"x": 1});
    t.reload(&next, 10);
    assert_eq!(t.selected_path(), "/sensors/3/temp");
    assert_eq!(t.row_count(), 17, "/sensors/1 stays folded, /extra opens like the rest: 15 + 2 (/extra and /extra/x)");
    let rows = shape(&t);
    assert!(rows.contains(&"2▸1".to_string()), "{rows:?}");
    // The selected path is gone: its nearest ancestor is selected.
    let mut gone = sensors();
    gone["sensors"] = json!([1]);
    t.reload(&gone, 10);
    assert_eq!(t.selected_path(), "/sensors");
}

#[test]
fn paths_are_json_pointers_with_escaped_and_sanitised_keys() {
    let v = json!({"a/b": {"m~n": [0, {"\u{1b}[31mred": 1}]}});
    let mut t = Tree::new(&v);
    t.apply(Move::End, 10);
    assert_eq!(t.selected_path(), "/a~1b/m~0n/1/\\e[31mred");
    assert_eq!(t.selected_slots(), [0, 0, 1, 0]);
    assert!(t.selected_numeric());
    assert_eq!(value_at(&v, &t.selected_slots()), Some(&json!(1)));
    let row = t.visible(10).last().expect("a row");
    assert!(!row.key.unwrap_or_default().contains('\u{1b}'), "keys are shown sanitised: {row:?}");
    let path = t.selected_path();
    t.reload(&v, 10);
    assert_eq!(t.selected_path(), path, "a sanitised key is found again");
}

#[test]
fn hostile_strings_are_sanitised_and_long_ones_clipped() {
    let long = "x".repeat(MAX_LEAF_BYTES * 3);
    let t = Tree::new(&json!(["\u{1b}]0;owned\u{7}\u{202e}", long]));
    let texts: Vec<&str> = t.visible(10).map(|r| r.text).collect();
    assert!(texts.iter().all(|s| !s.chars().any(|c| c.is_control() || c == '\u{202e}')), "{texts:?}");
    assert!(texts[2].len() <= MAX_LEAF_BYTES + 8 && texts[2].ends_with('…'), "{}", texts[2].len());
}

#[test]
fn a_million_items_index_once_and_a_frame_reads_only_its_rows() {
    let items: Vec<Value> = (0..1_000_000).map(|i| json!(i)).collect();
    let mut t = Tree::new(&Value::Array(items));
    assert_eq!(t.node_count(), 1_000_001);
    assert_eq!(t.row_count(), 1_000_001, "the root is open; its items are leaves");
    t.apply(Move::Home, 60);
    t.apply(Move::Toggle, 60);
    assert_eq!(t.row_count(), 1);
    t.apply(Move::UnfoldAll, 60);
    assert_eq!(t.row_count(), 1_000_001);
    t.apply(Move::End, 60);
    assert_eq!(t.selected_path(), "/999999");
    assert_eq!(t.visible(60).count(), 60);
    assert!(t.bytes() < 64 << 20, "{} bytes", t.bytes());
    t.apply(Move::FoldAll, 60);
    assert_eq!(t.row_count(), 1_000_001, "the root stays open");
    t.apply(Move::Home, 60);
    t.apply(Move::Toggle, 60);
    assert_eq!(t.row_count(), 1);
}

#[test]
fn deep_nesting_is_indexed_without_recursion_trouble_within_the_decoders_depth() {
    let mut v = json!(1);
    for _ in 0..120 {
        v = json!([v]);
    }
    let mut t = Tree::new(&v);
    t.apply(Move::UnfoldAll, 10);
    t.apply(Move::End, 10);
    assert_eq!(t.selected_path(), "/0".repeat(120));
}
