//! The Sparkplug view: groups, edge nodes and devices with state, last birth, metric count, rate and seq
//! problems; below, the selected node's or device's metrics (name, alias, datatype, value, timestamp,
//! quality or properties), values that changed in the last two seconds highlighted. At the bottom, what
//! the tracker left out for the memory budget, and the last decode failure.
//!
//! ```text
//! ┏ Sparkplug B · 1 groups · 1 edge nodes · 2 devices · 0 decode failures · 1 seq problems ┓
//! ┃ NAME              STATE    BIRTH  METRICS  MSG/S  SEQ GAPS/LATE/BDSEQ                   ┃
//! ┃ plant                                                                                    ┃
//! ┃   edge1           online     12s        3      1  1/0/0                                  ┃
//! ┃     pump          online     12s        4      2                                         ┃
//! ┣ Metrics of plant/edge1/pump ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┫
//! ┃ NAME         ALIAS  DATATYPE  VALUE     TIMESTAMP   QUALITY / PROPERTIES                   ┃
//! ```

use super::fmt;
use super::theme::Theme;
use crate::app::App;
use crate::app::sparkplug::{Row, endpoint, rows};
use crate::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};
use serde_json::Value;
use std::time::UNIX_EPOCH;

/// How long a changed value stays highlighted.
const CHANGED_MS: u64 = 2000;

fn ms(t: std::time::SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// A JSON value on one line for a table cell, terminal-safe.
fn cell(v: &Value) -> String {
    match v {
        Value::String(s) => sanitize::line(s).into_owned(),
        other => sanitize::line(&other.to_string()).into_owned(),
    }
}

pub fn render(f: &mut Frame<'_>, app: &App, area: Rect, theme: &Theme) {
    let net = &app.sparkplug;
    let all = rows(net);
    let nodes: usize = net.groups.values().map(|g| g.nodes.len()).sum();
    let devices: usize = net.groups.values().flat_map(|g| g.nodes.values()).map(|n| n.devices.len()).sum();
    let mut title = format!(
        " Sparkplug B · {} groups · {} edge nodes · {} devices · {} decode failures · {} seq problems ",
        net.groups.len(),
        nodes,
        devices,
        fmt::count(net.decode_failures),
        fmt::count(net.seq_problems())
    );
    if !net.hosts.is_empty() {
        let hosts: Vec<String> = net
            .hosts
            .iter()
            .map(|(h, s)| format!("{} {}", sanitize::line(h), if s.online { "online" } else { "offline" }))
            .collect();
        title.push_str(&format!("· hosts: {} ", hosts.join(", ")));
    }
    let block = Block::bordered()
        .border_type(BorderType::Thick)
        .border_style(theme.border_focus)
        .title(title)
        .title_style(theme.title);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let width = usize::from(inner.width);
    let selected = app.sparkplug_view.selected.min(all.len().saturating_sub(1));
    let list_h = (usize::from(inner.height) / 2).max(3);
    let mut lines = vec![Line::styled(
        format!(
            " {:<28} {:<8} {:>6} {:>8} {:>6}  {}",
            "NAME", "STATE", "BIRTH", "METRICS", "MSG/S", "SEQ GAPS/LATE/BDSEQ"
        ),
        theme.title,
    )];
    if all.is_empty() {
        lines.push(Line::styled(" no Sparkplug B message seen yet (topics spBv1.0/…)", theme.dim));
    }
    let skip = selected.saturating_sub(list_h.saturating_sub(2));
    for (i, row) in all.iter().enumerate().skip(skip).take(list_h.saturating_sub(1)) {
        let (name, depth) = match row {
            Row::Group(g) => (g, 0),
            Row::Node(_, n) => (n, 1),
            Row::Device(_, _, d) => (d, 2),
        };
        let label = fmt::fit(&format!("{}{}", "  ".repeat(depth), sanitize::line(name)), 28);
        let mut text = format!(" {label:<28}");
        let mut state_style = theme.dim;
        if let Some(e) = endpoint(net, row) {
            state_style = if e.online { theme.ok } else { theme.error };
            let birth = e.last_birth.map_or("-".to_owned(), |t| fmt::age(app.now_ms, ms(t)));
            text.push_str(&format!(
                " {:<8} {:>6} {:>8} {:>6}",
                if e.online { "online" } else { "offline" },
                birth,
                e.metrics.len(),
                e.rate(app.now_ms / 1000)
            ));
        }
        if let Row::Node(g, n) = row
            && let Some(node) = net.groups.get(g).and_then(|x| x.nodes.get(n))
        {
            text.push_str(&format!("  {}/{}/{}", node.seq_gaps, node.seq_out_of_order, node.bd_seq_mismatches));
        }
        let line = Line::from(vec![Span::raw(fmt::fit(&text, width))]).style(if i == selected {
            theme.selected
        } else if matches!(row, Row::Group(_)) {
            theme.title
        } else {
            state_style
        });
        lines.push(line);
    }
    while lines.len() < list_h {
        lines.push(Line::raw(""));
    }
    let chosen = all.get(selected);
    let path = match chosen {
        Some(Row::Node(g, n)) => format!("{g}/{n}"),
        Some(Row::Device(g, n, d)) => format!("{g}/{n}/{d}"),
        _ => String::new(),
    };
    lines.push(Line::styled(
        fmt::fit(&format!(" ── Metrics of {} (b: rebirth request) ", sanitize::line(&path)), width),
        theme.title,
    ));
    lines.push(Line::styled(
        format!(
            " {:<28} {:>5} {:<10} {:<18} {:<13} {}",
            "NAME", "ALIAS", "DATATYPE", "VALUE", "TIMESTAMP", "QUALITY / PROPERTIES"
        ),
        theme.title,
    ));
    if let Some(e) = chosen.and_then(|r| endpoint(net, r)) {
        let room = usize::from(inner.height).saturating_sub(lines.len());
        for (name, m) in e.metrics.iter().take(room) {
            let props = m.properties.as_ref().map(cell).unwrap_or_default();
            let text = format!(
                " {:<28} {:>5} {:<10} {:<18} {:<13} {}",
                fmt::fit(&sanitize::line(name), 28),
                m.alias.map_or(String::new(), |a| a.to_string()),
                fmt::fit(&m.datatype, 10),
                fmt::fit(&cell(&m.value), 18),
                m.timestamp.map_or(String::new(), |t| fmt::clock(app.config.zone.wall_ms(t))),
                props
            );
            let changed = app.now_ms.saturating_sub(ms(m.changed_at)) < CHANGED_MS;
            lines.push(Line::styled(fmt::fit(&text, width), if changed { theme.warn } else { theme.count }));
        }
    }
    // At the bottom, whatever the height: what the memory share left out, and the last failure.
    let mut footer = Vec::new();
    let untracked = net.untracked;
    if untracked.total() > 0 {
        let (used, limit) = net.usage();
        let text = format!(
            " over its memory share ({} of {}), left out: {} messages, {} metrics",
            fmt::bytes(used as u64),
            fmt::bytes(limit as u64),
            fmt::count(untracked.messages),
            fmt::count(untracked.metrics)
        );
        footer.push(Line::styled(fmt::fit(&text, width), theme.warn));
    }
    if let Some((_, why)) = &net.last_failure {
        let text = format!(" last decode failure: {}", sanitize::line(why));
        footer.push(Line::styled(fmt::fit(&text, width), theme.error));
    }
    if !footer.is_empty() {
        let above = usize::from(inner.height).saturating_sub(footer.len());
        lines.resize(above, Line::raw(""));
        lines.extend(footer);
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// The rebirth confirmation over the view.
pub fn render_confirm(f: &mut Frame<'_>, app: &App, screen: Rect, theme: &Theme) {
    let Some((group, node)) = &app.sparkplug_view.confirm else { return };
    let r = super::centered(screen, 70, 6);
    if r.height < 4 {
        return;
    }
    f.render_widget(Clear, r);
    let block = Block::bordered()
        .border_type(BorderType::Thick)
        .border_style(theme.warn)
        .title(" Request a rebirth? ")
        .title_style(theme.warn);
    let inner = block.inner(r);
    f.render_widget(block, r);
    let topic = format!("spBv1.0/{}/NCMD/{}", sanitize::line(group), sanitize::line(node));
    let lines = vec![
        Line::raw(format!(" Publishes Node Control/Rebirth = true to {topic}")),
        Line::raw(""),
        Line::from(vec![Span::styled(" Enter / y send", theme.warn), Span::styled(" · Esc / n cancel", theme.dim)]),
    ];
    f.render_widget(Paragraph::new(lines), inner);
}

#[cfg(test)]
mod tests {
    use crate::app::tests::{app, feed, key, msg};
    use crate::payload::sparkplug::proto::{Metric, MetricValue, Payload};
    use crossterm::event::KeyCode;
    use prost::Message as _;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use crate::app::tests::T0;

    fn payload(seq: u64, metrics: &[(Option<&str>, u64, u32, MetricValue)]) -> Vec<u8> {
        let metrics = metrics
            .iter()
            .map(|(name, alias, datatype, value)| Metric {
                name: name.map(str::to_owned),
                alias: Some(*alias),
                datatype: Some(*datatype),
                timestamp: Some(T0),
                value: Some(value.clone()),
                ..Default::default()
            })
            .collect();
        Payload { timestamp: Some(T0), seq: Some(seq), metrics, ..Default::default() }.encode_to_vec()
    }

    #[test]
    fn sparkplug_view_lists_nodes_and_devices_and_the_selected_metrics() {
        let mut a = app();
        let nbirth = payload(0, &[(Some("Node Control/Rebirth"), 1, 11, MetricValue::BooleanValue(false))]);
        let dbirth = payload(
            1,
            &[
                (Some("Temperature"), 10, 10, MetricValue::DoubleValue(20.0)),
                (Some("Running"), 11, 11, MetricValue::BooleanValue(true)),
            ],
        );
        // Alias only, and a seq that skips one.
        let ddata = payload(3, &[(None, 10, 10, MetricValue::DoubleValue(21.5))]);
        feed(
            &mut a,
            vec![
                msg("spBv1.0/plant/NBIRTH/edge1", &nbirth, T0),
                msg("spBv1.0/plant/DBIRTH/edge1/pump", &dbirth, T0),
                msg("spBv1.0/plant/DDATA/edge1/pump", &ddata, T0 + 5_000),
                msg("plain/temp", b"55.49", T0 + 5_000),
            ],
        );
        key(&mut a, KeyCode::Char('S'));
        key(&mut a, KeyCode::Char('j'));
        key(&mut a, KeyCode::Char('j'));
        a.apply(crate::app::AppEvent::Resize { width: 100, height: 16 });
        a.prepare();
        let mut term = Terminal::new(TestBackend::new(100, 16)).expect("terminal");
        term.draw(|f| crate::ui::draw(f, &a)).expect("draw");
        let buf = term.backend().buffer().clone();
        let screen: String = (0..buf.area.height)
            .map(|y| {
                (0..buf.area.width).map(|x| buf[(x, y)].symbol().to_string()).collect::<String>().trim_end().to_owned()
                    + "\n"
            })
            .collect();
        // The status line holds the wall clock; the view is what this test is about.
        let view: String = screen.lines().take(15).map(|l| format!("{l}\n")).collect();
        insta::assert_snapshot!(view);
    }

    /// The view over its memory share: the title says how much it holds and what it left out.
    #[test]
    fn sparkplug_view_says_what_its_memory_share_left_out() {
        let config = crate::app::Config { byte_budget: 96 << 10, ..crate::app::Config::default() };
        let mut a = crate::app::App::new(config, T0);
        let nbirth = payload(0, &[(Some("Node Control/Rebirth"), 1, 11, MetricValue::BooleanValue(false))]);
        let dbirth = payload(1, &[(Some("Temperature"), 10, 10, MetricValue::DoubleValue(20.0))]);
        let mut msgs = Vec::new();
        for n in 0..8 {
            msgs.push(msg(&format!("spBv1.0/plant/NBIRTH/edge{n}"), &nbirth, T0));
            msgs.push(msg(&format!("spBv1.0/plant/DBIRTH/edge{n}/pump"), &dbirth, T0));
        }
        feed(&mut a, msgs);
        assert!(a.sparkplug.untracked.total() > 0, "{:?}", a.sparkplug.usage());
        key(&mut a, KeyCode::Char('S'));
        for (w, h) in [(80, 24), (160, 48)] {
            a.apply(crate::app::AppEvent::Resize { width: w, height: h });
            a.prepare();
            let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
            term.draw(|f| crate::ui::draw(f, &a)).expect("draw");
            let buf = term.backend().buffer().clone();
            let screen: String = (0..buf.area.height)
                .map(|y| {
                    (0..buf.area.width)
                        .map(|x| buf[(x, y)].symbol().to_string())
                        .collect::<String>()
                        .trim_end()
                        .to_owned()
                        + "\n"
                })
                .collect();
            // The status line holds the wall clock; the rest is the view.
            let view: String = screen.lines().take(usize::from(h) - 1).map(|l| format!("{l}\n")).collect();
            insta::with_settings!({ snapshot_suffix => format!("{w}x{h}") }, {
                insta::assert_snapshot!(view);
            });
        }
    }
}
