//! The detail pane: the shown topic's latest (or selected) payload in the chosen view, its MQTT 5
//! properties, a chart of numeric fields over its history, and the history with changes.

use super::fmt;
use super::theme::Theme;
use crate::app::App;
use crate::app::layout::{self, Pane};
use crate::codec::Property;
use crate::payload::{self, TokenKind};
use crate::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
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
            Some(_) if evicted => vec![Line::styled(
                "this message is no longer kept: history evicted it (ring or memory budget); its log row shows how it began",
                theme.dim,
            )],
            Some(id) if !app.tree.node(id).is_topic => {
                subtree_summary(app, id, theme, usize::from(app.detail.scroll) + usize::from(inner.height))
            }
            Some(_) => vec![Line::styled("no message kept for this topic (history cleared)", theme.dim)],
            None => vec![Line::styled("select a topic", theme.dim)],
        };
        f.render_widget(Paragraph::new(lines).scroll((app.detail.scroll, 0)), inner);
        return;
    };
    let format = app.payload_format(node);
    let cache = &app.detail_cache;
    let history_len = app.store.history(node).len();
    let chartable = cache.chart.iter().any(|s| s.len() >= 2) && inner.height >= 16;
    let chart_h = if chartable { inner.height / 3 } else { 0 };
    let hist_h = if inner.height >= 12 { (inner.height / 4).min(history_len as u16 + 1) } else { 0 };
    let top_h = inner.height - chart_h - hist_h;
    let top = Rect { height: top_h, ..inner };

    let Some(rendered) = cache.rendered.as_ref() else { return };
    let mut lines: Vec<Line> = Vec::new();
    let mut head = vec![
        Span::styled(rendered.format_used.name().to_uppercase(), theme.title),
        Span::styled(format!(" · {} · QoS {}", fmt::bytes(msg.payload.len() as u64), msg.qos.as_u8()), theme.dim),
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
    lines.push(Line::from(head));
    if let Some(err) = &rendered.error {
        lines.push(Line::styled(sanitize::line(err).into_owned(), theme.error));
    }
    for l in &rendered.lines {
        lines.push(Line::from(
            l.iter().map(|(k, t)| Span::styled(t.clone(), token_style(*k, theme))).collect::<Vec<_>>(),
        ));
    }
    if rendered.truncated {
        lines.push(Line::styled("… (truncated)", theme.dim));
    }
    if !msg.properties.is_empty() {
        lines.push(Line::styled("── properties", theme.dim));
        for p in msg.properties.iter() {
            lines.push(property_line(p, theme));
        }
    }
    f.render_widget(Paragraph::new(lines).scroll((app.detail.scroll, 0)), top);

    let mut y = inner.y + top_h;
    if chart_h > 0 {
        chart(f, app, Rect { y, height: chart_h, ..inner }, theme);
        y += chart_h;
    }
    if hist_h > 0 {
        history_list(f, app, node, Rect { y, height: hist_h, ..inner }, theme);
    }
    if let Some((cands, pos)) = &app.detail.picker {
        picker(f, app, node, cands, *pos, inner, theme);
    }
}

fn token_style(k: TokenKind, theme: &Theme) -> Style {
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

fn property_line<'a>(p: &Property, theme: &Theme) -> Line<'a> {
    let (name, value) = match p {
        Property::UserProperty(k, v) => (format!("user {}", sanitize::line(k)), sanitize::line(v).into_owned()),
        Property::ContentType(s) | Property::ResponseTopic(s) => {
            (p.id().name().to_string(), sanitize::line(s).into_owned())
        }
        Property::CorrelationData(b) => (p.id().name().to_string(), sanitize::bytes(b, false).into_owned()),
        Property::PayloadFormatIndicator(v) => {
            (p.id().name().to_string(), if *v == 1 { "1 (UTF-8)".into() } else { "0 (bytes)".into() })
        }
        Property::MessageExpiryInterval(v) => (p.id().name().to_string(), format!("{v} s")),
        Property::SubscriptionIdentifier(v) => (p.id().name().to_string(), v.to_string()),
        Property::TopicAlias(v) => (p.id().name().to_string(), v.to_string()),
        other => (other.id().name().to_string(), format!("{other:?}")),
    };
    Line::from(vec![Span::styled(format!("{name}: "), theme.key), Span::raw(value)])
}

fn history_list(f: &mut Frame<'_>, app: &App, node: crate::app::topics::NodeId, area: Rect, theme: &Theme) {
    let history: Vec<_> = app.store.history(node).collect();
    let title = format!("── history {} (newest first)", history.len());
    let mut lines = vec![Line::styled(title, theme.dim)];
    let width = usize::from(area.width);
    for (i, m) in history.iter().enumerate().rev().take(usize::from(area.height.saturating_sub(1))) {
        let change = if i > 0 { app.detail_cache.diffs.get(&m.seq).cloned().flatten() } else { None };
        let head = format!("{} ", fmt::clock(app.config.zone.wall_ms(m.at_ms)));
        let change = change.map(|c| fmt::fit(&format!("  {}", sanitize::line(&c)), width / 2)).unwrap_or_default();
        let room = width.saturating_sub(head.len() + change.chars().count());
        lines.push(Line::from(vec![
            Span::styled(head, theme.dim),
            Span::raw(payload::preview(&m.payload, room)),
            Span::styled(change, theme.number),
        ]));
    }
    f.render_widget(Paragraph::new(lines), area);
}

fn chart(f: &mut Frame<'_>, app: &App, area: Rect, theme: &Theme) {
    let series = &app.detail_cache.chart;
    let fields = &app.detail_cache.chart_fields;
    let all = series.iter().flatten();
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for &(_, v) in all {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() || !hi.is_finite() {
        return;
    }
    if (hi - lo).abs() < f64::EPSILON {
        lo -= 1.0;
        hi += 1.0;
    }
    let span = series.iter().flatten().map(|&(t, _)| t).fold(1.0, f64::max);
    let datasets: Vec<Dataset> = series
        .iter()
        .zip(fields)
        .enumerate()
        .map(|(i, (data, name))| {
            Dataset::default()
                .name(sanitize::line(name).into_owned())
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(theme.chart[i % theme.chart.len()])
                .data(data)
        })
        .collect();
    let label = |v: f64| Span::styled(format!("{v:.2}"), theme.dim);
    let chart = Chart::new(datasets)
        .block(Block::new().title(Line::styled("── chart (c: fields)", theme.dim)))
        .x_axis(
            Axis::default()
                .bounds([0.0, span])
                .labels(vec![Span::styled("0s", theme.dim), Span::styled(format!("{span:.0}s"), theme.dim)]),
        )
        .y_axis(Axis::default().bounds([lo, hi]).labels(vec![label(lo), label(hi)]));
    f.render_widget(chart, area);
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
            .map(|m| payload::preview_of(payload::head(&m.payload), m.payload.len(), 60))
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
