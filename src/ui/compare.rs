//! The compare view: two tabs over a filter (see `app::compare_view`): counts, delays, and the
//! topics only on one side, the retained values that differ and the topics with lost messages.

use super::fmt;
use super::theme::Theme;
use crate::app::compare_view::CompareView;
use crate::app::tabs::Ask;
use crate::compare::delay::DelaySummary;
use crate::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph};

fn delay(d: Option<DelaySummary>) -> String {
    let ms = |d: std::time::Duration| format!("{:.1}ms", d.as_secs_f64() * 1e3);
    match d {
        Some(d) => format!("p50 {} p99 {} max {} ({})", ms(d.p50), ms(d.p99), ms(d.max), fmt::count(d.count)),
        None => "none matched yet".into(),
    }
}

pub fn render(f: &mut Frame<'_>, v: &CompareView, area: Rect, theme: &Theme) {
    if area.height < 3 || area.width < 20 {
        return;
    }
    let [a, b] = [&v.names[0], &v.names[1]].map(|n| sanitize::line(n).into_owned());
    let (na, nb) = (v.spec.a + 1, v.spec.b + 1);
    let maps: Vec<String> = v.spec.maps.iter().map(|(x, y)| format!("{x}={y}")).collect();
    let secs = v.now_ms.saturating_sub(v.since_ms) / 1000;
    let title = format!(
        " Compare {na} {a} → {nb} {b} · {}{} · {secs}s ",
        sanitize::line(&v.spec.filter),
        if maps.is_empty() { String::new() } else { format!(" ({})", sanitize::line(&maps.join(" "))) }
    );
    let block = Block::bordered().border_type(BorderType::Thick).border_style(theme.border_focus).title(title);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let r = &v.report;
    let c = &r.counts;
    let warn_if = |n: usize| if n > 0 { theme.warn } else { theme.ok };
    let mut lines = vec![
        Line::from(vec![
            Span::raw(format!(" topics: on both {}", fmt::count(r.both as u64))),
            Span::styled(format!(" · only on {na} {}", fmt::count(r.only_a.len() as u64)), warn_if(r.only_a.len())),
            Span::styled(format!(" · only on {nb} {}", fmt::count(r.only_b.len() as u64)), warn_if(r.only_b.len())),
            Span::styled(
                format!(" · retained differ {}", fmt::count(r.retained_differ.len() as u64)),
                warn_if(r.retained_differ.len()),
            ),
        ]),
        Line::from(vec![
            Span::raw(format!(
                " messages on {na}: {} (matched {}) · on {nb}: {} (matched {})",
                fmt::count(c.messages[0]),
                fmt::count(c.matched[0]),
                fmt::count(c.messages[1]),
                fmt::count(c.matched[1])
            )),
            Span::styled(format!(" · lost {na}→{nb} {}", fmt::count(c.unmatched[0])), warn_if(c.unmatched[0] as usize)),
            Span::styled(
                format!(" · on {nb} not {na} {}", fmt::count(c.unmatched[1])),
                warn_if(c.unmatched[1] as usize),
            ),
            Span::styled(
                format!(" · late {}", fmt::count(c.late[0] + c.late[1])),
                warn_if((c.late[0] + c.late[1]) as usize),
            ),
            Span::styled(format!(" · waiting {}", fmt::count(v.waiting() as u64)), theme.dim),
        ]),
        Line::raw(format!(" delay {na}→{nb}: {}", delay(r.delays[0]))),
        Line::raw(format!(" delay {nb}→{na}: {}", delay(r.delays[1]))),
    ];
    let unchecked = c.overflow[0] + c.overflow[1] + c.untracked[0] + c.untracked[1];
    if unchecked > 0 {
        lines
            .push(Line::styled(format!(" not checked (window or topic limit): {}", fmt::count(unchecked)), theme.warn));
    }
    let head = lines.len() as u16;
    f.render_widget(Paragraph::new(lines), Rect { height: head.min(inner.height), ..inner });
    // Four columns of topics below, then the keys.
    let body = Rect { y: inner.y + head + 1, height: inner.height.saturating_sub(head + 2), ..inner };
    if body.height >= 2 {
        let cols: [(String, Vec<String>); 4] = [
            (format!("only on {na}"), r.only_a.iter().map(|t| t.topic.clone()).collect()),
            (format!("only on {nb}"), r.only_b.iter().map(|t| t.topic.clone()).collect()),
            ("retained differ".into(), r.retained_differ.iter().map(|d| d.topic.clone()).collect()),
            (
                format!("lost {na}→{nb}"),
                r.unmatched.iter().filter(|u| u.a_to_b > 0).map(|u| format!("{} {}", u.topic, u.a_to_b)).collect(),
            ),
        ];
        let w = body.width / 4;
        for (i, (name, topics)) in cols.iter().enumerate() {
            let x = body.x + w * i as u16;
            let room = usize::from(w.saturating_sub(1));
            let rows = usize::from(body.height - 1);
            let mut col = vec![Line::styled(fmt::fit(&format!(" {name} ({})", topics.len()), room), theme.title)];
            let more = topics.len().saturating_sub(rows);
            let shown = if more > 0 { rows.saturating_sub(1) } else { rows };
            for t in topics.iter().take(shown) {
                col.push(Line::raw(fmt::fit(&format!(" {}", sanitize::line(t)), room)));
            }
            if more > 0 {
                col.push(Line::styled(format!(" … {} more", topics.len() - shown), theme.dim));
            }
            f.render_widget(Paragraph::new(col), Rect { x, width: w, ..body });
        }
    }
    let keys = Rect { y: inner.y + inner.height.saturating_sub(1), height: 1.min(inner.height), ..inner };
    f.render_widget(
        Paragraph::new(Line::styled(
            " counts since it opened (retained: what the tabs hold) · Esc / B back · Alt-1..9 switch tabs",
            theme.dim,
        )),
        keys,
    );
}

/// The compare line being typed, on the screen's last row.
pub fn render_ask(f: &mut Frame<'_>, ask: &Ask, area: Rect, theme: &Theme) {
    let mut spans = vec![
        Span::styled("compare tabs A B FILTER [A_PREFIX=B_PREFIX ...]: ", theme.title),
        Span::raw(sanitize::line(&ask.text).into_owned()),
        Span::styled("█", theme.dim),
    ];
    if let Some(e) = &ask.error {
        spans.push(Span::styled(format!("  {}", sanitize::line(e)), theme.error));
    }
    f.render_widget(ratatui::widgets::Clear, area);
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}
