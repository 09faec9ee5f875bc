//! Three sparklines: all messages/s, all bytes/s, and the selected topic's messages/s.

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
    let level = app.level_series.as_ref().filter(|(id, _)| Some(*id) == app.detail_topic());
    let (topic_series, label) = match app.detail_topic() {
        // A level: its subtree's rate, as its row shows.
        Some(id) if let Some((_, series)) = level => {
            let n2 = usize::from(parts[2].width.saturating_sub(2));
            let rate = app.tree.node(id).sub.rate.per_second(now_sec);
            (series.last_immutable(now_sec, n2).0, format!(" subtree {}/s ", fmt::count(rate.into())))
        }
        Some(id) => {
            let n2 = usize::from(parts[2].width.saturating_sub(2));
            let mut buckets = vec![0u64; n2];
            for m in app.store.history(id) {
                let sec = (m.at_ms / 1000) as u32;
                if sec < now_sec {
                    let back = (now_sec - sec) as usize;
                    if back <= n2 && back > 0 {
                        buckets[n2 - back] += 1;
                    }
                }
            }
            let rate = app.tree.node(id).own.rate.per_second(now_sec);
            (buckets, format!(" topic {}/s ", fmt::count(rate.into())))
        }
        None => (Vec::new(), " topic ".to_string()),
    };
    spark(f, parts[2], &topic_series, label, theme);
}

fn spark(f: &mut Frame<'_>, area: Rect, data: &[u64], title: String, theme: &Theme) {
    let s = Sparkline::default()
        .block(Block::bordered().title(title).border_style(theme.border))
        .data(data)
        .style(theme.spark);
    f.render_widget(s, area);
}
