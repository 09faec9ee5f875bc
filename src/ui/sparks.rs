//! Three sparklines: all messages/s, all bytes/s, and the selected topic's messages/s (a level's:
//! its subtree's).
//!
//! The bars are on a log scale, so a steady 10 msg/s stays visible beside a burst of 50,000 (on a
//! linear scale it would round to nothing until the burst scrolled out); the titles give the
//! current figures.

use super::fmt;
use super::theme::Theme;
use crate::app::App;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::{Block, Sparkline};

pub fn render(f: &mut Frame<'_>, app: &App, area: Rect, theme: &Theme) {
    let w = area.width / 3;
    let parts = [
        Rect { width: w, ..area },
        Rect { x: area.x + w, width: w, ..area },
        Rect { x: area.x + 2 * w, width: area.width - 2 * w, ..area },
    ];
    let now_sec = (app.now_ms / 1000) as u32;
    let n = usize::from(w.saturating_sub(2));
    let (msgs, bytes) = app.series.last_immutable(now_sec, n);
    let (mps, bps) = app.rates_now();
    spark(f, parts[0], &msgs, format!(" msgs/s {} ", fmt::count(mps)), theme);
    spark(f, parts[1], &bytes, format!(" bytes/s {} ", fmt::bytes(bps)), theme);
    let followed = app.level_series.as_ref().filter(|(id, _)| Some(*id) == app.detail_topic());
    let (topic_series, label) = match followed {
        Some((id, series)) => {
            let n2 = usize::from(parts[2].width.saturating_sub(2));
            let node = app.tree.node(*id);
            let (rate, what) = if node.children.is_empty() {
                (node.own.rate.per_second(now_sec), "topic")
            } else {
                // A level, or a topic with topics below it: its subtree, as its row shows.
                (node.sub.rate.per_second(now_sec), "subtree")
            };
            (series.last_immutable(now_sec, n2).0, format!(" {what} {}/s ", fmt::count(rate.into())))
        }
        None => (Vec::new(), " topic ".to_string()),
    };
    spark(f, parts[2], &topic_series, label, theme);
}

/// Bar heights in eighths of the `rows` a sparkline has: the logarithm of each value against the
/// largest one, and at least one eighth for any value above zero, so nothing that happened is
/// drawn as nothing.
pub fn log_levels(data: &[u64], rows: u16) -> Vec<u64> {
    let top = u64::from(rows.max(1)) * 8;
    let max = data.iter().copied().max().unwrap_or(0);
    if max == 0 {
        return vec![0; data.len()];
    }
    let scale = (max as f64).ln_1p();
    data.iter()
        .map(|&v| match v {
            0 => 0,
            _ => ((v as f64).ln_1p() / scale * top as f64).round().clamp(1.0, top as f64) as u64,
        })
        .collect()
}

fn spark(f: &mut Frame<'_>, area: Rect, data: &[u64], title: String, theme: &Theme) {
    let rows = area.height.saturating_sub(2);
    let levels = log_levels(data, rows);
    let s = Sparkline::default()
        .block(Block::bordered().title(title).border_style(theme.border))
        .data(&levels)
        .max(u64::from(rows.max(1)) * 8)
        .style(theme.spark);
    f.render_widget(s, area);
}

#[cfg(test)]
mod tests {
    use super::log_levels;

    #[test]
    fn a_steady_rate_keeps_bars_beside_a_burst() {
        let levels = log_levels(&[50_000, 10, 10, 0, 1], 1);
        assert_eq!(levels[0], 8, "the burst fills the row");
        assert!(levels[1] >= 2 && levels[1] == levels[2], "10 a second is a bar, not nothing: {levels:?}");
        assert_eq!((levels[3], levels[4]), (0, 1), "nothing is nothing, one is one eighth");
        assert_eq!(log_levels(&[0, 0], 1), [0, 0]);
        assert_eq!(log_levels(&[3, 3], 2), [16, 16], "equal values fill every row");
    }
}
