//! The detail pane: the shown topic's latest (or selected) payload in the chosen view, its MQTT 5
//! properties, a chart of numeric fields over its history, and the history with changes.

use super::fmt;
use super::theme::Theme;
use crate::app::App;
use crate::app::layout::{self, Pane};
use crate::app::reader::{self, Mark};
use crate::payload::{self, TokenKind};
use crate::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Chart, Clear, Dataset, GraphType, List, ListItem, Paragraph};

pub fn render(f: &mut Frame<'_>, app: &App, area: Rect, theme: &Theme) {
    let node = app.detail_topic();
    let title = match node {
        Some(id) => format!(" {} ", sanitize::line(app.tree.node(id).path())),
        None => " Detail ".to_string(),
    };
    f.render_widget(super::pane_block(app, Pane::Detail, title, theme), area);
    let inner = layout::inner(area);
    let (Some(node), Some(msg)) = (node, app.detail_message()) else {
        let evicted = app.focus == Pane::Log && app.selected_log_entry().is_some();
        let lines = match node {
            Some(id) if evicted => vec![Line::styled(
                format!("this message is no longer kept: {}; its log row shows how it began", app.store.why_gone(id)),
                theme.dim,
            )],
            Some(id) if !app.tree.node(id).is_topic => {
                subtree_summary(app, id, theme, app.detail.scroll.saturating_add(usize::from(inner.height)))
            }
            Some(_) => vec![Line::styled("no message kept for this topic (history cleared)", theme.dim)],
            None => vec![Line::styled("select a topic", theme.dim)],
        };
        let scroll = u16::try_from(app.detail.scroll).unwrap_or(u16::MAX);
        f.render_widget(Paragraph::new(lines).scroll((scroll, 0)), inner);
        return;
    };
    let format = app.payload_format(node);
    let cache = &app.detail_cache;
    let Some(parts) = app.detail_parts() else { return };
    let Some(rendered) = cache.rendered.as_ref() else { return };
    let mut head = vec![
        Span::styled(rendered.format_used.name().to_uppercase(), theme.title),
        Span::styled(format!(" · {} · QoS {}", fmt::bytes(msg.payload().len() as u64), msg.qos.as_u8()), theme.dim),
    ];
    if msg.retain {
        head.push(Span::styled(" · retained", theme.retained));
    }
    if msg.dup {
        head.push(Span::styled(" · dup", theme.dim));
    }
    head.push(Span::styled(
        format!(
            " · {} ({} ago) · view {} (v)",
            fmt::clock(app.config.zone.wall_ms(msg.at_ms)),
            fmt::age(app.now_ms, msg.at_ms),
            format.name()
        ),
        theme.dim,
    ));
    if let Some((at, count)) = app.history_position().filter(|_| app.detail.shown.is_some()) {
        head.insert(0, Span::styled(format!("entry {at}/{count} ([ ]) · "), theme.warn));
    }
    if let Some(base) = app.detail.base.and_then(|seq| app.store.get(node, seq)).filter(|_| app.detail.comparing) {
        head = vec![
            Span::styled("DIFF ", theme.title),
            Span::styled(
                format!(
                    "marked {} → shown {} · view {} (v) · = or Esc: back",
                    fmt::clock(app.config.zone.wall_ms(base.at_ms)),
                    fmt::clock(app.config.zone.wall_ms(msg.at_ms)),
                    format.name()
                ),
                theme.warn,
            ),
        ];
    }
    let mut heads = vec![Line::from(head)];
    let tree = app.detail_cache.json.as_ref().filter(|_| app.tree_shown());
    if parts.head.height > 1 {
        heads.push(match (tree, &app.detail_cache.json_error) {
            (Some(tree), _) => super::json_tree::position_line(tree, usize::from(parts.head.width), theme),
            (None, Some(e)) if app.detail.tree && !app.detail.comparing => {
                Line::styled(format!("no tree: {e} · T: text"), theme.warn)
            }
            _ => position_line(app, usize::from(parts.body.height), theme),
        });
    }
    f.render_widget(Paragraph::new(heads), parts.head);
    if tree.is_some() {
        super::json_tree::rows(f, app, parts.body, theme);
    } else {
        body(f, app, parts.body, theme);
    }
    if let Some(v) = app.store.verdict(msg).map(|v| &**v).filter(|_| parts.schema.height > 0) {
        schema(f, v, parts.schema, theme);
    }
    if parts.chart.height > 0 {
        chart(f, app, parts.chart, theme);
    }
    if parts.history.height > 0 {
        history_list(f, app, node, parts.history, theme);
    }
    if let Some((cands, pos)) = &app.detail.picker {
        picker(f, app, node, cands, *pos, inner, theme);
    }
}

/// Where the body is: the rows shown of how many, the search and its current match, and whether
/// lines are unwrapped (and how far right).
fn position_line<'a>(app: &App, height: usize, theme: &Theme) -> Line<'a> {
    let c = &app.detail_cache;
    let total = c.rows.len();
    let first = (app.detail.scroll + 1).min(total);
    let last = (app.detail.scroll + height).min(total);
    let mut spans = vec![Span::styled(format!("rows {first}-{last}/{total}"), theme.dim)];
    if let Some(find) = &app.detail.find {
        let source = sanitize::line(&find.source()).into_owned();
        let count = if c.matches_capped { format!("{}+", c.matches.len()) } else { c.matches.len().to_string() };
        let at = if c.matches.is_empty() { 0 } else { app.detail.find_at + 1 };
        spans.push(Span::styled(" · ", theme.dim));
        spans.push(Span::styled(format!("'{source}' {at}/{count} (n N)"), theme.warn));
    }
    if app.detail.nowrap {
        spans.push(Span::styled(format!(" · unwrapped, col {} (← → W)", app.detail.hscroll + 1), theme.dim));
    } else if last < total {
        spans.push(Span::styled(" · End: the end", theme.dim));
    }
    Line::from(spans)
}

/// The body rows in view, with search matches marked.
fn body(f: &mut Frame<'_>, app: &App, area: Rect, theme: &Theme) {
    let c = &app.detail_cache;
    let skip = if app.detail.nowrap { app.detail.hscroll } else { 0 };
    let current = c.matches.get(app.detail.find_at).copied();
    let mark = Style::new().add_modifier(Modifier::REVERSED);
    let mut lines = Vec::with_capacity(usize::from(area.height));
    for row in c.rows.iter().skip(app.detail.scroll).take(usize::from(area.height)) {
        let line_no = row.line as usize;
        let Some(line) = c.body.get(line_no) else { break };
        let from = c.matches.partition_point(|m| m.line < line_no);
        let matches: Vec<_> =
            c.matches[from..].iter().take_while(|m| m.line == line_no).map(|m| (*m, Some(*m) == current)).collect();
        let spans: Vec<Span> = reader::pieces(line, *row, skip, usize::from(area.width), &matches)
            .into_iter()
            .map(|(k, m, text)| {
                let style = line.get(k).map_or(Style::new(), |(kind, _)| token_style(*kind, theme));
                let style = match m {
                    Mark::None => style,
                    Mark::Match => style.patch(mark),
                    Mark::Current => style.patch(mark).add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
                };
                Span::styled(text, style)
            })
            .collect();
        lines.push(Line::from(spans));
    }
    f.render_widget(Paragraph::new(lines), area);
}

pub(super) fn token_style(k: TokenKind, theme: &Theme) -> Style {
    match k {
        TokenKind::Key => theme.key,
        TokenKind::String => theme.string,
        TokenKind::Number => theme.number,
        TokenKind::Bool | TokenKind::Null => theme.literal,
        TokenKind::Punct | TokenKind::HexOffset | TokenKind::Ascii => theme.dim,
        TokenKind::Error => theme.error,
        _ => Style::new(),
    }
}

/// The shown message's schema check: "valid against FILE", or each violation (instance path,
/// keyword, message); what does not fit is counted on the last row.
fn schema(f: &mut Frame<'_>, v: &crate::payload::schema::Verdict, area: Rect, theme: &Theme) {
    let file = sanitize::line(&v.schema);
    // A replay shows what the recording kept when no schema given to it covers the topic; said first,
    // so a narrow pane cuts the file name, not that.
    let title = if v.recorded { "── schema (recorded) " } else { "── schema " };
    if v.is_valid() {
        let line =
            Line::from(vec![Span::styled(title, theme.dim), Span::styled(format!("✓ valid against {file}"), theme.ok)]);
        f.render_widget(Paragraph::new(line), area);
        return;
    }
    let total = v.total();
    let noun = if total == 1 { "violation" } else { "violations" };
    let mut lines = vec![Line::from(vec![
        Span::styled(title, theme.dim),
        Span::styled(format!("✗ {total} {noun} of {file}"), theme.error),
    ])];
    let rows = usize::from(area.height).saturating_sub(1);
    let listed = if v.total() > rows { rows.saturating_sub(1) } else { rows };
    for x in v.violations.iter().take(listed) {
        let at = if x.instance_path.is_empty() { "(root)".into() } else { sanitize::line(&x.instance_path) };
        lines.push(Line::from(vec![
            Span::styled(format!("  {at}"), theme.key),
            Span::styled(format!("  {}", sanitize::line(&x.keyword)), theme.warn),
            Span::raw(format!("  {}", sanitize::line(&x.message))),
        ]));
    }
    let shown = v.violations.len().min(listed);
    if total > shown && rows > 0 {
        lines.push(Line::styled(format!("  … {} more", total - shown), theme.dim));
    }
    f.render_widget(Paragraph::new(lines), area);
}

fn history_list(f: &mut Frame<'_>, app: &App, node: crate::app::topics::NodeId, area: Rect, theme: &Theme) {
    let count = app.store.history(node).len();
    let title = format!("── history {count} (newest first; [ ] show, m mark, = compare)");
    let mut lines = vec![Line::styled(title, theme.dim)];
    let width = usize::from(area.width);
    let rows = usize::from(area.height.saturating_sub(1));
    let shown = app.detail_message().map(|m| m.seq);
    for (i, m) in app.history_rows(node, rows) {
        let change = if i > 0 { app.detail_cache.diffs.get(&m.seq).cloned().flatten() } else { None };
        let mark = match (Some(m.seq) == shown, app.detail.base == Some(m.seq)) {
            (true, true) => "▶m ",
            (true, false) => "▶  ",
            (false, true) => " m ",
            (false, false) => "   ",
        };
        let head = format!("{mark}{} ", fmt::clock(app.config.zone.wall_ms(m.at_ms)));
        let change = change.map(|c| fmt::fit(&format!("  {}", sanitize::line(&c)), width / 2)).unwrap_or_default();
        // An entry that broke its schema is marked.
        let bad = if m.invalid() { "✗ " } else { "" };
        let room = width.saturating_sub(head.chars().count() + bad.chars().count() + change.chars().count());
        lines.push(Line::from(vec![
            Span::styled(head, theme.dim),
            Span::styled(bad, theme.error),
            Span::raw(app.preview(node, m.seq, m.payload(), m.payload().len(), room)),
            Span::styled(change, theme.number),
        ]));
    }
    f.render_widget(Paragraph::new(lines), area);
}

/// The charted fields over the kept history: a title, a legend (each field's colour, name, range
/// and last value) when there is more than one, and the lines against time before now. Fields of
/// different scales are each drawn within their own range (the y axis then reads min..max).
fn chart(f: &mut Frame<'_>, app: &App, area: Rect, theme: &Theme) {
    let c = &app.detail_cache.chart;
    let colour = |i: usize| theme.chart[i % theme.chart.len()];
    let wide = area.width >= 60;
    let title = match (c.normalised, wide, c.series.as_slice()) {
        // One field: its name in the title is the legend.
        (false, _, [one]) => format!("── chart of {} (c: fields)", fmt::fit(&sanitize::line(&one.name), 40)),
        (false, _, _) => "── chart (c: fields)".to_string(),
        (true, true, _) => "── chart (c: fields) · each field scaled to its own min..max".to_string(),
        (true, false, _) => "── chart (c: fields) · own scale each".to_string(),
    };
    let mut head = vec![Line::styled(title, theme.dim)];
    if c.series.len() > 1 || c.normalised {
        // Keep at least four rows for the plot: axis, labels and two rows of lines.
        let room = usize::from(area.height.saturating_sub(5));
        for (i, s) in c.series.iter().enumerate().take(room) {
            let name = fmt::fit(&sanitize::line(&s.name), 24);
            let (min, max, last) = (number(s.min), number(s.max), number(s.last));
            let long = format!("  min {min}  max {max}  last {last}");
            let stats = if 3 + name.chars().count() + long.chars().count() <= usize::from(area.width) {
                long
            } else {
                format!(" {min}..{max} last {last}")
            };
            head.push(Line::from(vec![
                Span::styled("━━ ", colour(i)),
                Span::styled(name, colour(i)),
                Span::styled(stats, theme.dim),
            ]));
        }
    }
    let head_h = (head.len() as u16).min(area.height);
    f.render_widget(Paragraph::new(head), Rect { height: head_h, ..area });
    let plot = Rect { y: area.y + head_h, height: area.height - head_h, ..area };
    let datasets: Vec<Dataset> = c
        .series
        .iter()
        .enumerate()
        .flat_map(|(i, s)| {
            s.segments.iter().map(move |seg| {
                // A lone point between gaps has no line to draw: show it as a dot.
                let kind = if seg.len() == 1 { GraphType::Scatter } else { GraphType::Line };
                Dataset::default().marker(Marker::Braille).graph_type(kind).style(colour(i)).data(seg)
            })
        })
        .collect();
    let now_ms = app.now_ms.max(c.t1_ms);
    let before = now_ms.saturating_sub(c.t0_ms);
    let span = (before as f64 / 1000.0).max(1.0);
    let steps: u64 = if plot.width >= 100 { 4 } else { 2 };
    let x_labels: Vec<Span> = (0..=steps)
        .map(|k| Span::styled(crate::app::chart::before_now(before - before * k / steps), theme.dim))
        .collect();
    let (lo, hi) = c.y_bounds();
    let y_labels = if c.normalised {
        vec![Span::styled("min", theme.dim), Span::styled("max", theme.dim)]
    } else {
        vec![Span::styled(number(lo), theme.dim), Span::styled(number(hi), theme.dim)]
    };
    let chart = Chart::new(datasets)
        .legend_position(None)
        .x_axis(Axis::default().bounds([0.0, span]).labels(x_labels))
        .y_axis(Axis::default().bounds([lo, hi]).labels(y_labels));
    f.render_widget(chart, plot);
}

/// A value for the chart's axis and legend: at most two decimals, trailing zeros dropped.
fn number(v: f64) -> String {
    if v.abs() >= 1e9 {
        return format!("{v:.3e}");
    }
    let s = format!("{v:.2}");
    let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.') } else { &s };
    if s == "-0" { "0".into() } else { s.to_string() }
}

fn picker(
    f: &mut Frame<'_>,
    app: &App,
    node: crate::app::topics::NodeId,
    cands: &[String],
    pos: usize,
    area: Rect,
    theme: &Theme,
) {
    let chosen = app.chart_fields(node);
    let h = (cands.len() as u16 + 2).min(area.height);
    let w = (cands.iter().map(|c| c.chars().count()).max().unwrap_or(10) as u16 + 8).min(area.width);
    let r = super::centered(area, w.max(24), h);
    let items: Vec<ListItem> = cands
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mark = if chosen.contains(c) { "[x] " } else { "[ ] " };
            let item = ListItem::new(format!("{mark}{}", sanitize::line(c)));
            if i == pos { item.style(theme.selected) } else { item }
        })
        .collect();
    f.render_widget(Clear, r);
    f.render_widget(
        List::new(items).block(Block::bordered().title(" chart fields ").border_style(theme.border_focus)),
        r,
    );
}

/// For a level with no messages of its own: totals and the levels below it with their last values,
/// as many as `limit` lines show (a level may have 100,000 below it).
fn subtree_summary<'a>(app: &App, id: crate::app::topics::NodeId, theme: &Theme, limit: usize) -> Vec<Line<'a>> {
    let n = app.tree.node(id);
    let now_sec = (app.now_ms / 1000) as u32;
    let mut lines = vec![Line::styled(
        format!(
            "{} topics · {} messages · {}/s · {} · last {} ago",
            fmt::count(n.topics.into()),
            fmt::count(n.sub.count),
            fmt::count(n.sub.rate.per_second(now_sec).into()),
            fmt::bytes(n.sub.bytes),
            fmt::age(app.now_ms, n.sub.last_ms)
        ),
        theme.title,
    )];
    for &c in n.children.iter().take(limit.saturating_sub(1)) {
        let child = app.tree.node(c);
        let last = app
            .store
            .latest(c)
            .map(|m| app.preview(c, m.seq, payload::head(m.payload()), m.payload().len(), 60))
            .unwrap_or_default();
        let name = if child.children.is_empty() { child.name().to_string() } else { format!("{}/", child.name()) };
        lines.push(Line::from(vec![
            Span::styled(format!("{:<24} ", sanitize::line(&name)), theme.key),
            Span::styled(format!("{:>7} ", fmt::count(child.sub.count)), theme.count),
            Span::raw(last),
        ]));
    }
    lines
}
