//! The watch view's model: named lists of topic patterns with user-defined columns, one row per
//! matching topic, each column's last value, change since the previous and since the first (or a
//! reference) value, recent values for an inline sparkline, alerts. Pure.

use super::rates::RateTrack;
use super::topics::NodeId;
use crate::codec::topic;
use crate::payload::{self, Decoder, PayloadFormat, Scalar};
use regex::Regex;
use std::collections::{HashMap, VecDeque};

/// Recent values kept per cell for the sparkline.
pub const SPARK_POINTS: usize = 32;

/// How a column gets its number out of a payload.
#[derive(Debug, Clone)]
pub enum FieldSpec {
    /// The first numeric field (the whole payload when it is a number).
    Auto,
    /// A JSON pointer (`/px`, `/book/0/1`); dotted paths (`bid.size`) are turned into one.
    Pointer(String),
    /// The first capture group (or the whole match) of a regex over the payload text.
    Regex(Regex),
}

impl FieldSpec {
    /// `""`/`auto`, `/pointer`, `dotted.path`, or `re:PATTERN`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() || s == "auto" {
            Ok(Self::Auto)
        } else if let Some(re) = s.strip_prefix("re:") {
            Regex::new(re).map(Self::Regex).map_err(|e| format!("bad regex '{re}': {e}"))
        } else if s.starts_with('/') {
            Ok(Self::Pointer(s.to_string()))
        } else {
            Ok(Self::Pointer(format!("/{}", s.replace('.', "/"))))
        }
    }

    /// The column's number in a payload shown in view `format`.
    pub fn extract<'a>(&self, data: &[u8], format: impl Into<Decoder<'a>>) -> Option<f64> {
        match self.extract_value(data, format)? {
            Scalar::Number(x) => Some(x),
            Scalar::Text(_) => None,
        }
    }

    /// The column's value in a payload decoded with its view `format` (MessagePack and CBOR as
    /// JSON): a number, or a text when the field holds one.
    pub fn extract_value<'a>(&self, data: &[u8], format: impl Into<Decoder<'a>>) -> Option<Scalar> {
        let format = format.into();
        match self {
            Self::Auto => match payload::numeric_fields(data, format).first() {
                Some((_, v)) => Some(Scalar::Number(*v)),
                None => payload::field_scalar(data, format, ""),
            },
            Self::Pointer(p) => payload::field_scalar(data, format, p),
            Self::Regex(re) => {
                let text = payload::match_text(data, format)?;
                let caps = re.captures(&text)?;
                let m = caps.get(1).or_else(|| caps.get(0))?.as_str().trim();
                Some(match m.parse() {
                    Ok(x) => Scalar::Number(x),
                    Err(_) => Scalar::Text(m.chars().take(payload::SCALAR_TEXT_CHARS).collect()),
                })
            }
        }
    }
}

/// Columns that can never match, to say once at load: a field (a JSON pointer) of a list whose
/// topics all have a text or hex payload view (`views`, first match wins), which have no fields.
pub fn load_warnings(lists: &[WatchList], views: &[(String, PayloadFormat)]) -> Vec<String> {
    let view_of = |pattern: &str| views.iter().find(|(f, _)| topic::matches(f, pattern)).map(|(_, v)| *v);
    let mut out = Vec::new();
    for l in lists {
        let fieldless =
            !l.patterns.is_empty() && l.patterns.iter().all(|p| view_of(p).is_some_and(|v| !payload::has_fields(v)));
        if !fieldless {
            continue;
        }
        for c in &l.columns {
            if let FieldSpec::Pointer(p) = &c.field {
                out.push(format!(
                    "watch '{}' column '{}': field '{p}' can never match, the topics are shown as text or hex (use auto or re:)",
                    l.name, c.title
                ));
            }
        }
    }
    out
}

/// Thresholds that highlight a row and ring the bell once when crossed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Alert {
    pub above: Option<f64>,
    pub below: Option<f64>,
    /// Absolute change in percent since the first (or reference) value.
    pub change_pct: Option<f64>,
}

impl Alert {
    fn triggered(&self, value: f64, base_pct: Option<f64>) -> bool {
        self.above.is_some_and(|a| value > a)
            || self.below.is_some_and(|b| value < b)
            || self.change_pct.zip(base_pct).is_some_and(|(lim, pct)| pct.abs() >= lim)
    }
}

#[derive(Debug, Clone)]
pub struct Column {
    pub title: String,
    pub field: FieldSpec,
    pub decimals: Option<usize>,
    pub alert: Option<Alert>,
}

/// Where a row's reference value (e.g. the opening price) comes from: a field of the same payload,
/// or a field of another topic whose name is made from the row's (`{last}` is its last level).
#[derive(Debug, Clone)]
pub struct Reference {
    pub topic: Option<String>,
    pub field: FieldSpec,
}

#[derive(Debug, Clone)]
pub struct WatchList {
    pub name: String,
    pub patterns: Vec<String>,
    /// The first column is the primary one: change, change % and the sparkline are its.
    pub columns: Vec<Column>,
    pub reference: Option<Reference>,
    /// Rows that got nothing for this long are dimmed.
    pub stale_after_ms: u64,
    /// A row alerts while its last message broke its topic's schema (`alert_invalid` in the
    /// profile, `i` in the watch view).
    pub alert_invalid: bool,
}

impl WatchList {
    /// A list for topics added by hand, charting their first numeric field.
    pub fn ad_hoc() -> Self {
        Self {
            name: "watch".into(),
            patterns: Vec::new(),
            columns: vec![Column { title: "value".into(), field: FieldSpec::Auto, decimals: None, alert: None }],
            reference: None,
            stale_after_ms: 30_000,
            alert_invalid: false,
        }
    }

    pub fn matches(&self, path: &str) -> bool {
        self.patterns.iter().any(|p| topic::matches(p, path))
    }
}

#[derive(Debug, Clone, Default)]
pub struct Cell {
    pub last: Option<f64>,
    pub prev: Option<f64>,
    pub first: Option<f64>,
    pub recent: VecDeque<f64>,
    /// The last value when it was a text (`running`), shown where a number would be.
    pub text: Option<String>,
}

impl Cell {
    pub fn change(&self) -> Option<f64> {
        Some(self.last? - self.prev?)
    }

    pub fn change_pct(&self) -> Option<f64> {
        pct(self.last?, self.prev?)
    }
}

fn pct(now: f64, base: f64) -> Option<f64> {
    (base != 0.0).then(|| (now - base) / base.abs() * 100.0)
}

#[derive(Debug, Clone)]
pub struct Row {
    pub node: NodeId,
    pub topic: String,
    pub cells: Vec<Cell>,
    /// The reference value for the primary column, when configured and seen.
    pub reference: Option<f64>,
    pub rate: RateTrack,
    pub last_ms: u64,
    /// When the primary value last changed, for the brief highlight.
    pub changed_ms: u64,
    pub alert: bool,
    /// The last message broke its topic's schema.
    pub invalid: bool,
}

impl Row {
    /// Change in percent of the primary value since the reference (or the first value seen).
    pub fn since_base_pct(&self) -> Option<f64> {
        let c = self.cells.first()?;
        pct(c.last?, self.reference.or(c.first)?)
    }
}

/// Sort key: a column index into the table's columns (see `table_columns`), and descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sort {
    pub column: usize,
    pub descending: bool,
}

#[derive(Debug)]
pub struct ListState {
    pub list: WatchList,
    pub rows: Vec<Row>,
    by_node: HashMap<NodeId, usize>,
    /// Reference topic -> rows that take their reference from it.
    ref_topics: HashMap<String, Vec<usize>>,
    /// The filter reference topics match (`ref/{last}` -> `ref/+`), and the last value seen on each,
    /// so reference data that arrives before its row (retained messages do) is not lost.
    ref_filter: Option<String>,
    ref_seen: HashMap<String, f64>,
    pub sort: Sort,
}

impl ListState {
    fn new(list: WatchList) -> Self {
        let ref_filter = list.reference.as_ref().and_then(|r| r.topic.as_ref()).map(|t| t.replace("{last}", "+"));
        Self {
            list,
            rows: Vec::new(),
            by_node: HashMap::new(),
            ref_topics: HashMap::new(),
            ref_filter,
            ref_seen: HashMap::new(),
            sort: Sort::default(),
        }
    }

    /// Records a value of a reference topic; true when `path` is one.
    fn reference_message(&mut self, path: &str, data: &[u8], format: Decoder<'_>) -> bool {
        if !self.ref_filter.as_ref().is_some_and(|f| topic::matches(f, path)) {
            return false;
        }
        let Some(v) = self.list.reference.as_ref().and_then(|r| r.field.extract(data, format)) else { return true };
        self.ref_seen.insert(path.to_string(), v);
        if let Some(rows) = self.ref_topics.get(path) {
            for &i in rows {
                self.rows[i].reference = Some(v);
            }
        }
        true
    }
}

/// The table's columns after the topic: (title, what).
pub fn table_columns(list: &WatchList) -> Vec<(String, TableCol)> {
    let mut cols = Vec::new();
    for (i, c) in list.columns.iter().enumerate() {
        cols.push((c.title.to_uppercase(), TableCol::Value(i)));
        if i == 0 {
            cols.push(("CHG".into(), TableCol::Change));
            cols.push(("CHG%".into(), TableCol::ChangePct));
            cols.push((if list.reference.is_some() { "REF%" } else { "FIRST%" }.into(), TableCol::SinceBase));
            cols.push(("TREND".into(), TableCol::Trend));
        }
    }
    cols.push(("UPD/S".into(), TableCol::Rate));
    cols.push(("AGE".into(), TableCol::Age));
    cols
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableCol {
    Topic,
    Value(usize),
    Change,
    ChangePct,
    SinceBase,
    Trend,
    Rate,
    Age,
}

/// What [`Watch::add_column`] added: the topic as a row, and the column's index (none when the list
/// had it already).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Added {
    pub topic: bool,
    pub column: Option<usize>,
}

#[derive(Debug, Default)]
pub struct Watch {
    pub lists: Vec<ListState>,
    pub current: usize,
    /// Topics known not to be in any list, so the hot path skips them with one lookup.
    misses: HashMap<NodeId, ()>,
}

impl Watch {
    pub fn new(lists: Vec<WatchList>) -> Self {
        let lists = if lists.is_empty() { vec![WatchList::ad_hoc()] } else { lists };
        Self { lists: lists.into_iter().map(ListState::new).collect(), current: 0, misses: HashMap::new() }
    }

    /// Memory the rows hold (each row's topic, cells and recent values), for the budget.
    pub fn bytes(&self) -> usize {
        let cell = std::mem::size_of::<Cell>() + SPARK_POINTS * 8 + 32;
        let lists: usize = self
            .lists
            .iter()
            .map(|l| {
                l.rows
                    .iter()
                    .map(|r| std::mem::size_of::<Row>() + 48 + r.topic.len() + r.cells.len() * cell)
                    .sum::<usize>()
            })
            .sum();
        lists + self.misses.len() * 16
    }

    pub fn current(&self) -> &ListState {
        &self.lists[self.current.min(self.lists.len() - 1)]
    }

    pub fn next_list(&mut self) {
        self.current = (self.current + 1) % self.lists.len();
    }

    /// Turns the current list's alert on schema-invalid messages on or off; returns the new state.
    pub fn toggle_alert_invalid(&mut self) -> bool {
        let i = self.current.min(self.lists.len() - 1);
        let list = &mut self.lists[i].list;
        list.alert_invalid = !list.alert_invalid;
        list.alert_invalid
    }

    /// Adds an exact topic to the current list. Returns false when it was there already.
    pub fn add_topic(&mut self, path: &str) -> bool {
        let l = &mut self.lists[self.current];
        if l.list.matches(path) {
            return false;
        }
        l.list.patterns.push(path.to_string());
        self.misses.clear();
        true
    }

    /// Adds a column reading `field` to the current list, and `path` as a row when the list does not
    /// match it yet. Existing rows get an empty cell for it, filled by their next message.
    pub fn add_column(&mut self, path: &str, title: &str, field: FieldSpec) -> Added {
        let topic = self.add_topic(path);
        let l = &mut self.lists[self.current];
        let same = |c: &Column| match (&c.field, &field) {
            (FieldSpec::Pointer(a), FieldSpec::Pointer(b)) => a == b,
            (FieldSpec::Auto, FieldSpec::Auto) => true,
            _ => false,
        };
        if l.list.columns.iter().any(same) {
            return Added { topic, column: None };
        }
        l.list.columns.push(Column { title: title.to_string(), field, decimals: None, alert: None });
        for row in &mut l.rows {
            row.cells.push(Cell::default());
        }
        Added { topic, column: Some(l.list.columns.len() - 1) }
    }

    /// Fills column `column` of `node`'s row in the current list from a payload already seen, without
    /// counting it as a new message.
    pub fn fill_column(&mut self, node: NodeId, column: usize, data: &[u8], format: Decoder<'_>) {
        let l = &mut self.lists[self.current];
        let (Some(&i), Some(col)) = (l.by_node.get(&node), l.list.columns.get(column)) else { return };
        let Some(cell) = l.rows.get_mut(i).and_then(|r| r.cells.get_mut(column)) else { return };
        match col.field.extract_value(data, format) {
            Some(Scalar::Number(v)) => {
                cell.last = Some(v);
                cell.first = Some(v);
                cell.recent.push_back(v);
            }
            Some(Scalar::Text(t)) => cell.text = Some(t),
            None => {}
        }
    }

    /// Feeds one message shown in the automatic view. Returns true when an alert turned on.
    pub fn on_message(&mut self, node: NodeId, path: &str, data: &[u8], ms: u64) -> bool {
        self.on_message_as(node, path, data, ms, false, &|| PayloadFormat::Auto.into())
    }

    /// Feeds one message, decoded in its topic's view (`format`, asked only for watched topics);
    /// `invalid`: it broke its topic's schema. Returns true when an alert turned on (ring the bell).
    pub fn on_message_as<'a>(
        &mut self,
        node: NodeId,
        path: &str,
        data: &[u8],
        ms: u64,
        invalid: bool,
        format: &dyn Fn() -> Decoder<'a>,
    ) -> bool {
        // Nothing watched yet (the usual case without a profile): no lookup per message.
        if self.lists.iter().all(|l| l.list.patterns.is_empty() && l.ref_filter.is_none()) {
            return false;
        }
        if self.misses.contains_key(&node) {
            return false;
        }
        let mut any = false;
        let mut bell = false;
        let mut view = None;
        for l in &mut self.lists {
            let format = *view.get_or_insert_with(format);
            any |= l.reference_message(path, data, format);
            let idx = match l.by_node.get(&node) {
                Some(&i) => i,
                None if l.list.matches(path) => {
                    let i = l.rows.len();
                    l.rows.push(Row {
                        node,
                        topic: path.to_string(),
                        cells: vec![Cell::default(); l.list.columns.len()],
                        reference: None,
                        rate: RateTrack::default(),
                        last_ms: 0,
                        changed_ms: 0,
                        alert: false,
                        invalid: false,
                    });
                    l.by_node.insert(node, i);
                    if let Some(Reference { topic: Some(t), .. }) = &l.list.reference {
                        let last = path.rsplit('/').next().unwrap_or(path);
                        let ref_topic = t.replace("{last}", last);
                        l.rows[i].reference = l.ref_seen.get(&ref_topic).copied();
                        l.ref_topics.entry(ref_topic).or_default().push(i);
                    }
                    i
                }
                None => continue,
            };
            any = true;
            bell |= update_row(&l.list, &mut l.rows[idx], data, ms, invalid, format);
        }
        if !any {
            self.misses.insert(node, ());
        }
        bell
    }

    /// Row indices of the current list in display order.
    pub fn order(&self, now_ms: u64) -> Vec<usize> {
        let l = self.current();
        let cols = table_columns(&l.list);
        let mut idx: Vec<usize> = (0..l.rows.len()).collect();
        let key = if l.sort.column == 0 {
            TableCol::Topic
        } else {
            cols.get(l.sort.column - 1).map_or(TableCol::Topic, |c| c.1)
        };
        let now_sec = (now_ms / 1000) as u32;
        let num = |r: &Row| -> Option<f64> {
            match key {
                TableCol::Value(i) => r.cells.get(i)?.last,
                TableCol::Change => r.cells.first()?.change(),
                TableCol::ChangePct | TableCol::Trend => r.cells.first()?.change_pct(),
                TableCol::SinceBase => r.since_base_pct(),
                TableCol::Rate => Some(f64::from(r.rate.per_second(now_sec))),
                TableCol::Age => Some(now_ms.saturating_sub(r.last_ms) as f64),
                TableCol::Topic => None,
            }
        };
        idx.sort_by(|&a, &b| {
            let (ra, rb) = (&l.rows[a], &l.rows[b]);
            let ord = if key == TableCol::Topic {
                ra.topic.cmp(&rb.topic)
            } else {
                // Rows without a value go last either way.
                match (num(ra), num(rb)) {
                    (Some(x), Some(y)) => x.total_cmp(&y),
                    (Some(_), None) => return std::cmp::Ordering::Less,
                    (None, Some(_)) => return std::cmp::Ordering::Greater,
                    (None, None) => ra.topic.cmp(&rb.topic),
                }
            };
            if l.sort.descending { ord.reverse() } else { ord }
        });
        idx
    }

    /// Sorts by table column `column` (0 is the topic); choosing the same column again reverses.
    pub fn sort_by(&mut self, column: usize) {
        let l = &mut self.lists[self.current];
        let max = table_columns(&l.list).len();
        let column = column.min(max);
        l.sort = if l.sort.column == column {
            Sort { column, descending: !l.sort.descending }
        } else {
            Sort { column, descending: column != 0 }
        };
    }
}

fn update_row(list: &WatchList, row: &mut Row, data: &[u8], ms: u64, invalid: bool, format: Decoder<'_>) -> bool {
    row.rate.add((ms / 1000) as u32);
    row.invalid = invalid;
    row.last_ms = row.last_ms.max(ms);
    if let Some(Reference { topic: None, field }) = &list.reference
        && let Some(v) = field.extract(data, format)
    {
        row.reference = Some(v);
    }
    let was_alert = row.alert;
    let mut alert = list.alert_invalid && invalid;
    for (i, (col, cell)) in list.columns.iter().zip(row.cells.iter_mut()).enumerate() {
        let v = match col.field.extract_value(data, format) {
            None => continue,
            Some(Scalar::Text(t)) => {
                if i == 0 && cell.text.as_ref().is_some_and(|old| *old != t) {
                    row.changed_ms = ms;
                }
                cell.text = Some(t);
                continue;
            }
            Some(Scalar::Number(v)) => v,
        };
        cell.text = None;
        if cell.last != Some(v) {
            if i == 0 && cell.last.is_some() {
                row.changed_ms = ms;
            }
            cell.prev = cell.last;
        }
        cell.last = Some(v);
        cell.first.get_or_insert(v);
        if cell.recent.len() == SPARK_POINTS {
            cell.recent.pop_front();
        }
        cell.recent.push_back(v);
        if let Some(a) = &col.alert {
            let base = if i == 0 { row.reference.or(cell.first) } else { cell.first };
            alert |= a.triggered(v, base.and_then(|b| pct(v, b)));
        }
    }
    row.alert = alert;
    alert && !was_alert
}

/// Block characters for a sparkline of `values` scaled to their own range.
pub fn spark(values: &VecDeque<f64>, width: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let take = values.len().min(width);
    let slice: Vec<f64> = values.iter().skip(values.len() - take).copied().collect();
    let (lo, hi) = slice.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| (l.min(v), h.max(v)));
    slice
        .iter()
        .map(|&v| {
            if (hi - lo).abs() < f64::EPSILON {
                BARS[3]
            } else {
                BARS[(((v - lo) / (hi - lo)) * 7.0).round().clamp(0.0, 7.0) as usize]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quotes() -> WatchList {
        WatchList {
            name: "tickers".into(),
            patterns: vec!["ticker/+".into()],
            columns: vec![
                Column {
                    title: "px".into(),
                    field: FieldSpec::parse("/px").unwrap(),
                    decimals: Some(2),
                    alert: Some(Alert { above: Some(200.0), ..Alert::default() }),
                },
                Column { title: "bid".into(), field: FieldSpec::parse("bid").unwrap(), decimals: None, alert: None },
            ],
            reference: Some(Reference { topic: Some("ref/{last}".into()), field: FieldSpec::parse("/open").unwrap() }),
            stale_after_ms: 5_000,
            alert_invalid: false,
        }
    }

    #[test]
    fn fields_are_extracted_by_pointer_dotted_path_regex_and_auto() {
        let json = br#"{"px":101.5,"bid":{"size":7},"note":"x"}"#;
        assert_eq!(FieldSpec::parse("/px").unwrap().extract(json, PayloadFormat::Auto), Some(101.5));
        assert_eq!(FieldSpec::parse("bid.size").unwrap().extract(json, PayloadFormat::Auto), Some(7.0));
        assert_eq!(FieldSpec::parse("auto").unwrap().extract(json, PayloadFormat::Auto), Some(101.5));
        assert_eq!(FieldSpec::parse("").unwrap().extract(b"21.5", PayloadFormat::Auto), Some(21.5));
        assert_eq!(
            FieldSpec::parse(r"re:temp=([-\d.]+)").unwrap().extract(b"temp=-3.25 hum=40", PayloadFormat::Auto),
            Some(-3.25)
        );
        assert!(FieldSpec::parse("re:(").is_err());
        assert_eq!(FieldSpec::parse("/missing").unwrap().extract(json, PayloadFormat::Auto), None);
    }

    #[test]
    fn change_and_percent_since_previous_first_and_reference() {
        let mut w = Watch::new(vec![quotes()]);
        w.on_message(9, "ref/AAPL", br#"{"open":100.0}"#, 0);
        w.on_message(1, "ticker/AAPL", br#"{"px":110.0,"bid":109}"#, 1_000);
        // The reference arrives after the row exists too.
        w.on_message(9, "ref/AAPL", br#"{"open":100.0}"#, 1_500);
        w.on_message(1, "ticker/AAPL", br#"{"px":99.0,"bid":98}"#, 2_000);
        let row = &w.current().rows[0];
        let px = &row.cells[0];
        assert_eq!((px.last, px.prev, px.first), (Some(99.0), Some(110.0), Some(110.0)));
        assert_eq!(px.change(), Some(-11.0));
        assert!((px.change_pct().unwrap() - -10.0).abs() < 1e-9);
        assert!((row.since_base_pct().unwrap() - -1.0).abs() < 1e-9, "since the opening price");
        assert_eq!(row.cells[1].last, Some(98.0));
        assert_eq!(row.changed_ms, 2_000);
    }

    #[test]
    fn alerts_ring_once_when_they_turn_on() {
        let mut w = Watch::new(vec![quotes()]);
        assert!(!w.on_message(1, "ticker/X", br#"{"px":150}"#, 0));
        assert!(w.on_message(1, "ticker/X", br#"{"px":201}"#, 1), "crossing rings");
        assert!(!w.on_message(1, "ticker/X", br#"{"px":202}"#, 2), "staying above does not ring again");
        assert!(w.current().rows[0].alert);
        assert!(!w.on_message(1, "ticker/X", br#"{"px":150}"#, 3));
        assert!(!w.current().rows[0].alert);
        let mut pct = quotes();
        pct.columns[0].alert = Some(Alert { change_pct: Some(5.0), ..Alert::default() });
        pct.reference = None;
        let mut w = Watch::new(vec![pct]);
        w.on_message(1, "ticker/Y", br#"{"px":100}"#, 0);
        assert!(w.on_message(1, "ticker/Y", br#"{"px":106}"#, 1));
    }

    #[test]
    fn rows_sort_by_any_column_and_reverse() {
        let mut w = Watch::new(vec![quotes()]);
        w.on_message(1, "ticker/B", br#"{"px":3}"#, 0);
        w.on_message(2, "ticker/A", br#"{"px":1}"#, 0);
        w.on_message(3, "ticker/C", br#"{"px":2}"#, 0);
        w.on_message(4, "other/D", br#"{"px":9}"#, 0);
        let topics = |w: &Watch| w.order(0).iter().map(|&i| w.current().rows[i].topic.clone()).collect::<Vec<_>>();
        assert_eq!(topics(&w), ["ticker/A", "ticker/B", "ticker/C"]);
        w.sort_by(1);
        assert_eq!(topics(&w), ["ticker/B", "ticker/C", "ticker/A"], "numbers sort descending first");
        w.sort_by(1);
        assert_eq!(topics(&w), ["ticker/A", "ticker/C", "ticker/B"]);
        w.sort_by(0);
        assert_eq!(topics(&w), ["ticker/A", "ticker/B", "ticker/C"]);
    }

    #[test]
    fn topics_added_by_hand_use_their_first_number() {
        let mut w = Watch::new(vec![]);
        w.on_message(1, "sensors/t", b"21.5 C", 0);
        assert!(w.current().rows.is_empty(), "not watched yet (and remembered as a miss)");
        assert!(w.add_topic("sensors/t"));
        assert!(!w.add_topic("sensors/t"));
        w.on_message(1, "sensors/t", b"22.0 C", 1);
        assert_eq!(w.current().rows[0].cells[0].last, Some(22.0));
    }

    #[test]
    fn sparkline_scales_to_its_range() {
        let v: VecDeque<f64> = [1.0, 2.0, 3.0, 8.0].into_iter().collect();
        assert_eq!(spark(&v, 10), "▁▂▃█");
        assert_eq!(spark(&v, 2), "▁█");
        let flat: VecDeque<f64> = [5.0, 5.0].into_iter().collect();
        assert_eq!(spark(&flat, 4), "▄▄");
    }
}
