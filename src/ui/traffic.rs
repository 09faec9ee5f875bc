//! The traffic view: live bars of the busiest topics and subtrees, QoS and retained shares, the
//! payload size histogram, and the broker's own `$SYS` statistics.
//!
//! ```text
//! ┏ Traffic · ranked by msgs/s ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┓
//! ┃┌ Busiest topics ───────────────────────┐┌ Busiest subtrees (level 1) ────────────────┐┃
//! ┃│ ticker/AAPL  ██████████████▌    120/s  ││ ticker/  ███████████████████   340/s       │┃
//! ┃└───────────────────────────────────────┘└────────────────────────────────────────────┘┃
//! ┃┌ Messages ─────────────────────────────┐┌ Broker ($SYS) ─────────────────────────────┐┃
//! ┃│ QoS 0 ... retained ... sizes          ││ clients connected 12 ...                   │┃
//! ┃└───────────────────────────────────────┘└────────────────────────────────────────────┘┃
//! ┗━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┛
//! ```
//! The rankings come from `App::prepare` (see `app::traffic`), recomputed once a second.

use super::fmt;
use super::theme::Theme;
use crate::app::App;
use crate::app::traffic::{self, RankBy, Ranked, SIZE_LABELS};
use crate::sanitize;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph};

/// A horizontal bar of `value / max` over `width` cells, in eighths.
pub fn bar(value: u64, max: u64, width: usize) -> String {
    if max == 0 || width == 0 {
        return String::new();
    }
    let eighths = (value.min(max) as u128 * width as u128 * 8 / max as u128) as usize;
    let mut s = "█".repeat(eighths / 8);
    const PARTS: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
    s.push_str(PARTS[eighths % 8]);
    if s.is_empty() && value > 0 {
        s.push('▏');
    }
    s
}

fn rate_text(v: u64, by: RankBy) -> String {
    match by {
        RankBy::Messages => format!("{}/s", fmt::count(v)),
        RankBy::Bytes => format!("{}/s", fmt::bytes(v)),
    }
}

fn bars(app: &App, ranked: &[Ranked], by: RankBy, width: usize, theme: &Theme, suffix: &str) -> Vec<Line<'static>> {
    let max = ranked.first().map_or(0, |r| u64::from(r.value(by)));
    let name_w = (width / 3).clamp(8, 40);
    let value_w = 11;
    let bar_w = width.saturating_sub(name_w + value_w + 3);
    ranked
        .iter()
        .map(|r| {
            let name = format!("{}{suffix}", sanitize::line(app.tree.node(r.id).path()));
            let v = u64::from(r.value(by));
            let b = bar(v, max, bar_w);
            let pad = bar_w.saturating_sub(b.chars().count());
            Line::from(vec![
                Span::raw(format!(" {:<name_w$} ", fmt::fit(&name, name_w))),
                Span::styled(b, theme.spark),
                Span::raw(" ".repeat(pad)),
                Span::styled(format!(" {:>value_w$}", rate_text(v, by)), theme.rate),
            ])
        })
        .collect()
}

fn boxed<'a>(title: String, theme: &Theme) -> Block<'a> {
    Block::bordered().border_style(theme.border).title(title).title_style(theme.title)
}

pub fn render(f: &mut Frame<'_>, app: &App, area: Rect, theme: &Theme) {
    let view = app.traffic;
    let (mps, bps) = app.rates_now();
    let block = Block::bordered()
        .border_type(BorderType::Thick)
        .border_style(theme.border_focus)
        .title(format!(
            " Traffic · ranked by {} · now {}/s, {}/s · b: msgs/bytes · < >: level · $: subscribe $SYS/# · Esc back ",
            view.by.name(),
            fmt::count(mps),
            fmt::bytes(bps)
        ))
        .title_style(theme.title);
    let inner = block.inner(area);
    f.render_widget(block, area);
    if inner.height < 6 || inner.width < 40 {
        return;
    }
    let bottom_h = (SIZE_LABELS.len() as u16 + 7).min(inner.height / 2);
    let [top, bottom] = Layout::vertical([Constraint::Min(3), Constraint::Length(bottom_h)]).areas(inner);
    let [tl, tr] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(top);
    let [bl, br] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(bottom);
    let rows = usize::from(tl.height.saturating_sub(2));
    let topics = &app.rankings.topics[..app.rankings.topics.len().min(rows)];
    let b = boxed(" Busiest topics ".into(), theme);
    let r = b.inner(tl);
    f.render_widget(b, tl);
    let mut lines = bars(app, topics, view.by, usize::from(r.width), theme, "");
    if lines.is_empty() {
        lines.push(Line::styled(" no traffic in the last second", theme.dim));
    }
    f.render_widget(Paragraph::new(lines), r);

    let subtrees = &app.rankings.subtrees[..app.rankings.subtrees.len().min(rows)];
    let b = boxed(format!(" Busiest subtrees (level {}) ", view.level), theme);
    let r = b.inner(tr);
    f.render_widget(b, tr);
    let mut lines = bars(app, subtrees, view.by, usize::from(r.width), theme, "/");
    if lines.is_empty() {
        lines.push(Line::styled(" no subtree this deep had traffic in the last second", theme.dim));
    }
    f.render_widget(Paragraph::new(lines), r);

    render_totals(f, app, bl, theme);
    render_broker(f, app, br, theme);
}

fn render_totals(f: &mut Frame<'_>, app: &App, area: Rect, theme: &Theme) {
    let t = &app.totals;
    let b = boxed(format!(" Messages {} ", fmt::count(t.messages)), theme);
    let r = b.inner(area);
    f.render_widget(b, area);
    let width = usize::from(r.width);
    let share = |label: &str, n: u64| -> Line<'static> {
        let pct = t.percent(n);
        let bar_w = width.saturating_sub(30);
        let b = bar((pct * 10.0) as u64, 1000, bar_w);
        let pad = bar_w.saturating_sub(b.chars().count());
        Line::from(vec![
            Span::raw(format!(" {label:<9}")),
            Span::styled(b, theme.spark),
            Span::raw(" ".repeat(pad)),
            Span::styled(format!(" {pct:>5.1}% {:>7}", fmt::count(n)), theme.count),
        ])
    };
    let mut lines = vec![
        share("QoS 0", t.qos[0]),
        share("QoS 1", t.qos[1]),
        share("QoS 2", t.qos[2]),
        share("retained", t.retained),
        Line::styled(" payload size (bytes)", theme.title),
    ];
    let max = t.sizes.iter().copied().max().unwrap_or(0);
    let bar_w = width.saturating_sub(28);
    for (label, &n) in SIZE_LABELS.iter().zip(&t.sizes) {
        let b = bar(n, max, bar_w);
        let pad = bar_w.saturating_sub(b.chars().count());
        lines.push(Line::from(vec![
            Span::raw(format!(" {label:>8} ")),
            Span::styled(b, theme.chart[0]),
            Span::raw(" ".repeat(pad)),
            Span::styled(format!(" {:>5.1}% {:>8}", t.percent(n), fmt::count(n)), theme.count),
        ]));
    }
    f.render_widget(Paragraph::new(lines), r);
}

fn render_broker(f: &mut Frame<'_>, app: &App, area: Rect, theme: &Theme) {
    let b = boxed(" Broker ($SYS) ".into(), theme);
    let r = b.inner(area);
    f.render_widget(b, area);
    let stats = traffic::broker_stats(&app.tree, &app.store);
    let mut lines = Vec::new();
    if stats.is_empty() {
        lines.push(Line::styled(" no $SYS statistics seen: '#' does not match $SYS topics;", theme.dim));
        lines.push(Line::styled(
            if app.subs.holds(traffic::SYS_FILTER) {
                " subscribed to $SYS/#: waiting for the broker to publish them"
            } else {
                " press $ to subscribe to $SYS/# (mosquitto, EMQX layouts)"
            },
            theme.dim,
        ));
    }
    for s in &stats {
        lines.push(Line::styled(format!(" {}", s.source), theme.title));
        for (label, value) in &s.rows {
            lines.push(Line::from(vec![
                Span::raw(format!("   {label:<20} ")),
                Span::styled(value.clone(), theme.number),
            ]));
        }
    }
    f.render_widget(Paragraph::new(lines), r);
}

#[cfg(test)]
mod tests {
    use super::bar;

    #[test]
    fn bars_use_eighths() {
        assert_eq!(bar(10, 10, 4), "████");
        assert_eq!(bar(5, 10, 4), "██");
        assert_eq!(bar(1, 16, 2), "▏");
        assert_eq!(bar(1, 1000, 2), "▏", "anything above zero shows");
        assert_eq!(bar(0, 10, 4), "");
    }
}
