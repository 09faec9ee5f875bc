//! The live screen of a run: rates and latency percentiles over time, connections, errors. Rendering
//! only, from a [`View`]; the runner owns the terminal.
//!
//! ```text
//! ┌ mqscope bench latency · mqtt://host:1883 · 12 s · q stops (twice: at once) ─────────────────────┐
//! │ sent 1000/s (12000)  received 1000/s (12000)  connections 3/3  errors 0       │
//! │ latency this second  p50 0.412 ms  p90 …  p99 …  max …                        │
//! ├ nodes (with more than one) ────────────────────────────────────────────────────┤
//! │ 1  conns 2/2  sent 500/s (6000)  recv 500/s (6000)  p99 0.5 ms  errors 0  mqtt://a │
//! ├ messages per second ───────────────────────────────────────────────────────────┤
//! │ sent ⠤⠤⠤ received ⠒⠒⠒                                                          │
//! ├ latency per second (ms): p50 p99 max ──────────────────────────────────────────┤
//! ├ errors by reason ──────────────────────────────────────────────────────────────┤
//! └────────────────────────────────────────────────────────────────────────────────┘
//! ```

#[cfg(test)]
use super::report::NodeTick;
use super::report::{Tick, ms};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType, Paragraph};
use std::collections::BTreeMap;

/// Seconds kept for the charts.
pub const HISTORY: usize = 300;

/// What the screen shows; filled by the runner once a second.
#[derive(Debug, Clone, Default)]
pub struct View {
    pub title: String,
    pub planned: u64,
    pub total_sent: u64,
    pub total_received: u64,
    pub late: u64,
    pub ticks: Vec<Tick>,
    pub errors: BTreeMap<String, u64>,
    /// Per node (index order): URL (password masked), clients planned, and sent and received so far.
    pub node_urls: Vec<String>,
    pub node_planned: Vec<u64>,
    pub node_totals: Vec<(u64, u64)>,
}

impl View {
    pub fn push(&mut self, tick: Tick) {
        if self.ticks.len() >= HISTORY {
            self.ticks.remove(0);
        }
        self.ticks.push(tick);
    }
}

fn series(ticks: &[Tick], f: impl Fn(&Tick) -> Option<f64>) -> Vec<(f64, f64)> {
    ticks.iter().filter_map(|t| f(t).map(|v| (t.second as f64, v))).collect()
}

/// One line of a chart: its name, colour and points.
type Series<'a> = (&'a str, Color, &'a [(f64, f64)]);

fn chart<'a>(title: &'a str, lines: Vec<Series<'a>>, x: [f64; 2], unit: &str) -> Chart<'a> {
    let hi = lines.iter().flat_map(|(_, _, d)| d.iter().map(|p| p.1)).fold(0.0, f64::max).max(1.0) * 1.1;
    let datasets = lines
        .into_iter()
        .map(|(name, color, data)| {
            Dataset::default()
                .name(name)
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(Style::new().fg(color))
                .data(data)
        })
        .collect();
    Chart::new(datasets)
        .block(Block::bordered().title(title))
        .x_axis(
            Axis::default()
                .bounds(x)
                .labels(vec![Span::raw(format!("{:.0}s", x[0])), Span::raw(format!("{:.0}s", x[1]))]),
        )
        .y_axis(Axis::default().bounds([0.0, hi]).labels(vec![Span::raw("0"), Span::raw(format!("{hi:.1}{unit}"))]))
}

/// Rows the nodes pane shows: every node up to a quarter of the screen.
fn node_rows(v: &View, area: Rect) -> u16 {
    if v.node_urls.len() < 2 {
        return 0;
    }
    let fit = (area.height / 4).max(1);
    u16::try_from(v.node_urls.len()).unwrap_or(u16::MAX).min(fit)
}

/// One compact row per node; the URL last, so a narrow screen cuts it and not the figures.
fn render_nodes(f: &mut Frame<'_>, v: &View, area: Rect) {
    let last = v.ticks.last();
    let shown = usize::from(area.height.saturating_sub(2));
    let rows: Vec<Line> = v
        .node_urls
        .iter()
        .enumerate()
        .take(shown)
        .map(|(i, url)| {
            let t = last.and_then(|t| t.nodes.get(i));
            let (sent, received) = v.node_totals.get(i).copied().unwrap_or_default();
            let p99 = t.and_then(|t| t.latency_ns).map_or_else(|| "-".to_owned(), |p| ms(p.p99));
            Line::raw(format!(
                "{:<2} conns {}/{}  sent {}/s ({sent})  recv {}/s ({received})  p99 {p99}  errors {}  {}",
                super::nodes::label(i),
                t.map_or(0, |t| t.connected),
                v.node_planned.get(i).copied().unwrap_or_default(),
                t.map_or(0, |t| t.sent),
                t.map_or(0, |t| t.received),
                t.map_or(0, |t| t.errors),
                crate::sanitize::line(url),
            ))
        })
        .collect();
    let hidden = v.node_urls.len().saturating_sub(shown);
    let title = if hidden > 0 { format!(" nodes ({hidden} more not shown) ") } else { " nodes ".to_owned() };
    f.render_widget(Paragraph::new(rows).block(Block::bordered().title(title)), area);
}

pub fn render(f: &mut Frame<'_>, v: &View, area: Rect) {
    let node_rows = node_rows(v, area);
    let nodes_height = if node_rows > 0 { node_rows + 2 } else { 0 };
    let [head, nodes, rates, latency, errors] = Layout::vertical([
        Constraint::Length(4),
        Constraint::Length(nodes_height),
        Constraint::Fill(1),
        Constraint::Fill(1),
        Constraint::Length(5),
    ])
    .areas(area);
    if node_rows > 0 {
        render_nodes(f, v, nodes);
    }
    let last = v.ticks.last();
    let mut lines = vec![Line::raw(format!(
        "sent {}/s ({})  received {}/s ({})  connections {}/{}  errors {}  late sends {}",
        last.map_or(0, |t| t.sent),
        v.total_sent,
        last.map_or(0, |t| t.received),
        v.total_received,
        last.map_or(0, |t| t.connected),
        v.planned,
        last.map_or(0, |t| t.errors),
        v.late,
    ))];
    lines.push(Line::raw(match last.and_then(|t| t.latency_ns) {
        Some(p) => format!(
            "latency this second  p50 {}  p90 {}  p99 {}  p99.9 {}  max {}",
            ms(p.p50),
            ms(p.p90),
            ms(p.p99),
            ms(p.p99_9),
            ms(p.max)
        ),
        None => "latency this second  -".to_owned(),
    }));
    f.render_widget(Paragraph::new(lines).block(Block::bordered().title(v.title.as_str())), head);

    let x0 = v.ticks.first().map_or(0.0, |t| t.second as f64);
    let x = [x0, v.ticks.last().map_or(1.0, |t| t.second as f64).max(x0 + 1.0)];
    let sent = series(&v.ticks, |t| Some(t.sent as f64));
    let received = series(&v.ticks, |t| Some(t.received as f64));
    let rate_lines = vec![("sent", Color::Cyan, &sent[..]), ("received", Color::Green, &received[..])];
    f.render_widget(chart(" messages per second: sent (cyan), received (green) ", rate_lines, x, ""), rates);

    let to_ms = |ns: u64| ns as f64 / 1e6;
    let p50 = series(&v.ticks, |t| t.latency_ns.map(|p| to_ms(p.p50)));
    let p99 = series(&v.ticks, |t| t.latency_ns.map(|p| to_ms(p.p99)));
    let max = series(&v.ticks, |t| t.latency_ns.map(|p| to_ms(p.max)));
    let lat_lines =
        vec![("p50", Color::Green, &p50[..]), ("p99", Color::Yellow, &p99[..]), ("max", Color::Red, &max[..])];
    f.render_widget(chart(" latency per second: p50 (green), p99 (yellow), max (red) ", lat_lines, x, " ms"), latency);

    let items: Vec<Line> = if v.errors.is_empty() {
        vec![Line::raw("none")]
    } else {
        v.errors.iter().map(|(reason, n)| Line::raw(format!("{n} x {}", crate::sanitize::line(reason)))).collect()
    };
    f.render_widget(Paragraph::new(items).block(Block::bordered().title(" errors by reason ")), errors);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::stats::Percentiles;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    #[test]
    fn the_screen_shows_rates_latency_and_errors() {
        let mut v = View {
            title: " mqscope bench latency · mqtt://127.0.0.1:1883 · q stops (twice: at once) ".into(),
            planned: 3,
            ..View::default()
        };
        for s in 1..=5u64 {
            let p = Percentiles {
                count: 1000,
                min: 100_000,
                p50: 400_000 + s * 1000,
                p90: 800_000,
                p99: 1_500_000,
                p99_9: 2_000_000,
                p99_99: 2_100_000,
                max: 2_500_000,
            };
            v.push(Tick {
                second: s,
                sent: 1000,
                received: 990 + s,
                latency_ns: Some(p),
                connected: 3,
                errors: 0,
                nodes: Vec::new(),
            });
        }
        v.total_sent = 5000;
        v.total_received = 4965;
        v.errors.insert("disconnected: broker went away\u{1b}[2J".into(), 1);
        let mut terminal = Terminal::new(TestBackend::new(100, 30)).expect("test backend");
        terminal.draw(|f| render(f, &v, f.area())).expect("draw");
        insta::assert_snapshot!(terminal.backend());
    }

    /// Three nodes: publishers on 1, subscribers on 2 and 3; node 3 refuses connections.
    fn cluster_view() -> View {
        let mut v = View {
            title: " mqscope bench latency · mqtt://127.0.0.1:1883, mqtt://me:***@127.0.0.1:1884, ws://127.0.0.1:8080/mqtt · q stops (twice: at once) ".into(),
            planned: 6,
            node_urls: vec![
                "mqtt://127.0.0.1:1883".into(),
                "mqtt://me:***@127.0.0.1:1884".into(),
                "ws://127.0.0.1:8080/mqtt".into(),
            ],
            node_planned: vec![2, 2, 2],
            ..View::default()
        };
        for s in 1..=5u64 {
            let p = |base: u64| Percentiles {
                count: 500,
                min: base / 4,
                p50: base,
                p90: base * 2,
                p99: base * 3,
                p99_9: base * 4,
                p99_99: base * 4,
                max: base * 5,
            };
            let nodes = vec![
                NodeTick { node: 1, sent: 1000, received: 0, latency_ns: None, connected: 2, errors: 0 },
                NodeTick { node: 2, sent: 0, received: 1000, latency_ns: Some(p(600_000)), connected: 2, errors: 0 },
                NodeTick { node: 3, sent: 0, received: 0, latency_ns: None, connected: 0, errors: 2 },
            ];
            v.push(Tick {
                second: s,
                sent: 1000,
                received: 1000,
                latency_ns: Some(p(600_000)),
                connected: 4,
                errors: 2,
                nodes,
            });
        }
        v.total_sent = 5000;
        v.total_received = 5000;
        v.node_totals = vec![(5000, 0), (0, 5000), (0, 0)];
        v.errors.insert("Connection refused (os error 111)".into(), 2);
        v
    }

    #[test]
    fn the_screen_shows_a_row_per_node_at_80x24() {
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("test backend");
        terminal.draw(|f| render(f, &cluster_view(), f.area())).expect("draw");
        insta::assert_snapshot!(terminal.backend());
    }

    #[test]
    fn the_screen_shows_a_row_per_node_at_160x48() {
        let mut terminal = Terminal::new(TestBackend::new(160, 48)).expect("test backend");
        terminal.draw(|f| render(f, &cluster_view(), f.area())).expect("draw");
        insta::assert_snapshot!(terminal.backend());
    }
}
