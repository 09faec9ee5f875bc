//! The watch view: a stock-ticker table of the current watch list, full screen.

use super::fmt;
use super::theme::Theme;
use crate::app::App;
use crate::app::watch::{self, Row, TableCol};
use crate::sanitize;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Cell, Paragraph, Row as TRow, Table};

/// How long a changed row stays highlighted.
const FLASH_MS: u64 = 700;

pub fn render(f: &mut Frame<'_>, app: &App, area: Rect, theme: &Theme) {
    let w = &app.watch;
    let l = w.current();
    let mut title = format!(" Watch: {} ", sanitize::line(&l.list.name));
    if w.lists.len() > 1 {
        title.push_str(&format!("[{}/{}, Tab: next] ", w.current + 1, w.lists.len()));
    }
    if !l.list.patterns.is_empty() {
        let pats: Vec<String> = l.list.patterns.iter().map(|p| sanitize::line(p).into_owned()).collect();
        title.push_str(&format!("· {} ", fmt::fit(&pats.join(" "), 60)));
    }
    if l.list.alert_invalid {
        title.push_str("· alert on schema-invalid (i) ");
    }
    let block = Block::bordered()
        .border_type(BorderType::Thick)
        .border_style(theme.border_focus)
        .title(title)
        .title_style(theme.title);
    if l.rows.is_empty() {
        let hint = if l.list.patterns.is_empty() {
            "no topics watched yet: select one in the dashboard (w) and press +"
        } else {
            "no matching topic has published yet"
        };
        f.render_widget(Paragraph::new(Span::styled(hint, theme.dim)).block(block), area);
        return;
    }
    // A row whose last message broke its schema is marked before its topic.
    let mark = |r: &Row| if r.invalid { "✗ " } else { "" };
    let topic_w = l
        .rows
        .iter()
        .map(|r| mark(r).chars().count() + short_topic(&r.topic, &l.list.patterns).chars().count())
        .max()
        .unwrap_or(5);
    let topic_w = (topic_w.clamp(5, 40) + 1) as u16;
    // Columns in order while they fit; the rest are left out on narrow screens.
    let mut room = area.width.saturating_sub(2 + topic_w);
    let cols: Vec<(String, TableCol)> = watch::table_columns(&l.list)
        .into_iter()
        .take_while(|(_, c)| {
            let w = width(*c) + 1;
            let fits = w <= room;
            room = room.saturating_sub(w);
            fits
        })
        .collect();
    let sort = l.sort;
    let mut header = vec![head("TOPIC", 0, sort, theme)];
    for (i, (t, _)) in cols.iter().enumerate() {
        header.push(head(t, i + 1, sort, theme));
    }
    let now_sec = (app.now_ms / 1000) as u32;
    let rows: Vec<TRow> = w
        .order(app.now_ms)
        .into_iter()
        .map(|i| {
            let r = &l.rows[i];
            let stale = app.now_ms.saturating_sub(r.last_ms) > l.list.stale_after_ms;
            let dir = r.cells.first().and_then(|c| c.change()).map_or(0.0, |c| c);
            let topic = sanitize::line(short_topic(&r.topic, &l.list.patterns)).into_owned();
            let mut cells = vec![if r.invalid {
                Cell::from(Line::from(vec![Span::styled(mark(r), theme.error), Span::raw(topic)]))
            } else {
                Cell::from(topic)
            }];
            for (_, col) in &cols {
                cells.push(cell(app, l, r, *col, now_sec, dir, theme));
            }
            let mut style = Style::new();
            if stale {
                style = style.add_modifier(Modifier::DIM);
            }
            if app.now_ms.saturating_sub(r.changed_ms) < FLASH_MS && r.changed_ms > 0 {
                style = style.add_modifier(Modifier::BOLD);
            }
            if r.alert {
                style = style.patch(theme.error).add_modifier(Modifier::REVERSED);
            }
            TRow::new(cells).style(style)
        })
        .collect();
    let mut widths = vec![Constraint::Length(topic_w)];
    widths.extend(cols.iter().map(|(_, c)| Constraint::Length(width(*c))));
    let table = Table::new(rows, widths).header(TRow::new(header).style(theme.title)).block(block).column_spacing(1);
    f.render_widget(table, area);
}

fn width(c: TableCol) -> u16 {
    match c {
        TableCol::Trend => 16,
        TableCol::Rate | TableCol::Age => 6,
        TableCol::ChangePct | TableCol::SinceBase => 8,
        _ => 11,
    }
}

fn head<'a>(title: &str, index: usize, sort: watch::Sort, theme: &Theme) -> Cell<'a> {
    let arrow = if sort.column == index { if sort.descending { "▼" } else { "▲" } } else { "" };
    let style = if sort.column == index { theme.key } else { Style::new() };
    Cell::from(Span::styled(format!("{title}{arrow}"), style))
}

/// The topic without the part every pattern shares, so `ticker/AAPL` shows as `AAPL`.
fn short_topic<'a>(topic: &'a str, patterns: &[String]) -> &'a str {
    match patterns {
        [p] if p.ends_with("/+") => topic.rsplit('/').next().unwrap_or(topic),
        _ => topic,
    }
}

fn number(v: Option<f64>, decimals: Option<usize>) -> String {
    match (v, decimals) {
        (None, _) => "-".into(),
        (Some(v), Some(d)) => format!("{v:.d$}"),
        (Some(v), None) if v.fract() == 0.0 && v.abs() < 1e15 => format!("{v:.0}"),
        (Some(v), None) => format!("{v:.4}").trim_end_matches('0').to_string(),
    }
}

fn signed(v: Option<f64>, suffix: &str, decimals: usize) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:+.decimals$}{suffix}"))
}

fn cell<'a>(
    app: &App,
    l: &watch::ListState,
    r: &Row,
    col: TableCol,
    now_sec: u32,
    dir: f64,
    theme: &Theme,
) -> Cell<'a> {
    let updown = |v: f64| {
        if v > 0.0 {
            theme.ok
        } else if v < 0.0 {
            theme.error
        } else {
            Style::new()
        }
    };
    let primary = r.cells.first();
    let dec = l.list.columns.first().and_then(|c| c.decimals).unwrap_or(2);
    match col {
        TableCol::Value(i) => {
            let cell = r.cells.get(i);
            let text = match cell.and_then(|c| c.text.as_deref()) {
                // A text value (wire text: sanitised), fitted to the column.
                Some(t) => fmt::fit(&sanitize::line(t), usize::from(width(TableCol::Value(i))) - 2),
                None => number(cell.and_then(|c| c.last), l.list.columns.get(i).and_then(|c| c.decimals)),
            };
            if i == 0 {
                let arrow = if dir > 0.0 {
                    "▲ "
                } else if dir < 0.0 {
                    "▼ "
                } else {
                    "  "
                };
                Cell::from(Line::from(Span::styled(format!("{arrow}{text}"), updown(dir))))
            } else {
                Cell::from(text)
            }
        }
        TableCol::Change => Cell::from(Span::styled(signed(primary.and_then(|c| c.change()), "", dec), updown(dir))),
        TableCol::ChangePct => {
            Cell::from(Span::styled(signed(primary.and_then(|c| c.change_pct()), "%", 2), updown(dir)))
        }
        TableCol::SinceBase => {
            let v = r.since_base_pct();
            Cell::from(Span::styled(signed(v, "%", 2), updown(v.unwrap_or(0.0))))
        }
        TableCol::Trend => {
            Cell::from(Span::styled(primary.map(|c| watch::spark(&c.recent, 16)).unwrap_or_default(), theme.spark))
        }
        TableCol::Rate => Cell::from(fmt::count(r.rate.per_second(now_sec).into())),
        TableCol::Age => Cell::from(fmt::age(app.now_ms, r.last_ms)),
        TableCol::Topic => Cell::from(""),
    }
}
