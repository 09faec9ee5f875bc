//! The publish pane, drawn over the current view.
//!
//! ```text
//! ┏ Publish ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┓
//! ┃┌ Topic ──────────────────────────────────────────────┐┃
//! ┃└─────────────────────────────────────────────────────┘┃
//! ┃┌ Payload (Enter: new line) ──────────────────────────┐┃
//! ┃└─────────────────────────────────────────────────────┘┃
//! ┃ QoS 0 [1] 2   retain [x]                              ┃
//! ┃┌ Content type ─┐┌ User properties NAME=VALUE ────────┐┃
//! ┃└───────────────┘└────────────────────────────────────┘┃
//! ┃ last send: acked (success)                            ┃
//! ┃┌ Sent (Ctrl-↑ ↓ recall) ─────────────────────────────┐┃
//! ┃└─────────────────────────────────────────────────────┘┃
//! ┃ Ctrl-S / F5 send · Tab next field · Esc close         ┃
//! ┗━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┛
//! ```

use super::fmt;
use super::theme::Theme;
use crate::app::App;
use crate::app::publish::{Field, SendState};
use crate::codec::QoS;
use crate::payload;
use crate::sanitize;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};
use ratatui_textarea::TextArea;

fn field_block<'a>(title: &'a str, focused: bool, theme: &Theme) -> Block<'a> {
    Block::bordered()
        .border_type(if focused { BorderType::Thick } else { BorderType::Plain })
        .border_style(if focused { theme.border_focus } else { theme.border })
        .title(title)
}

/// A text area in its box. Text that came from the wire (a topic prefilled from the tree) may hold
/// control or bidi characters: then the lines are shown escaped instead of through the widget.
fn text_field(
    f: &mut Frame<'_>,
    area: &TextArea<'static>,
    r: Rect,
    block: Block<'_>,
    focused: bool,
    placeholder: &str,
) {
    let unsafe_text = area.lines().iter().any(|l| sanitize::line(l) != l.as_str());
    if unsafe_text {
        let lines: Vec<Line> = area.lines().iter().map(|l| Line::raw(sanitize::line(l).into_owned())).collect();
        f.render_widget(Paragraph::new(lines).block(block), r);
        return;
    }
    let mut ta = area.clone();
    ta.set_block(block);
    ta.set_cursor_line_style(Style::default());
    if !focused {
        ta.set_cursor_style(Style::default());
    }
    ta.set_placeholder_text(placeholder);
    f.render_widget(&ta, r);
}

pub fn render(f: &mut Frame<'_>, app: &App, screen: Rect, theme: &Theme) {
    let area = Rect { height: screen.height.saturating_sub(1), ..screen };
    if area.width < 30 || area.height < 16 {
        return;
    }
    let r = super::centered(area, 110, 30);
    f.render_widget(Clear, r);
    let p = &app.publisher;
    let block = Block::bordered()
        .border_type(BorderType::Thick)
        .border_style(theme.border_focus)
        .title(" Publish ")
        .title_style(theme.title);
    let inner = block.inner(r);
    f.render_widget(block, r);
    let [topic_r, payload_r, opts_r, props_r, status_r, history_r, help_r] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(4),
        Constraint::Length(1),
        Constraint::Length(5),
        Constraint::Length(1),
    ])
    .areas(inner);

    let focus = p.field;
    text_field(
        f,
        &p.topic,
        topic_r,
        field_block(" Topic ", focus == Field::Topic, theme),
        focus == Field::Topic,
        "a/topic",
    );
    // A topic with a Protobuf type takes JSON and sends it encoded: the title says which type.
    let payload_title = match p.encoding_for(&p.topic_text()) {
        Some(t) => format!(" Payload: JSON, sent as {} (Enter: new line) ", crate::sanitize::line(t)),
        None => " Payload (Enter: new line) ".to_string(),
    };
    text_field(
        f,
        &p.payload,
        payload_r,
        field_block(&payload_title, focus == Field::Payload, theme),
        focus == Field::Payload,
        "message text",
    );

    // QoS and retain on one line; the focused one is highlighted.
    let mut spans = vec![Span::styled(" QoS ", if focus == Field::Qos { theme.selected } else { theme.title })];
    for q in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce] {
        let text = if q == p.qos { format!("[{}]", q.as_u8()) } else { format!(" {} ", q.as_u8()) };
        spans.push(Span::styled(text, if q == p.qos { theme.ok } else { theme.dim }));
    }
    spans.push(Span::raw("   "));
    spans.push(Span::styled(" retain ", if focus == Field::Retain { theme.selected } else { theme.title }));
    spans.push(Span::styled(if p.retain { "[x]" } else { "[ ]" }, if p.retain { theme.warn } else { theme.dim }));
    if let Some(t) = p.template.and_then(|i| p.templates.get(i)) {
        spans.push(Span::styled(format!("   template {} (F2 next)", sanitize::line(&t.name)), theme.key));
    }
    if let Some(r) = &p.repeat {
        spans.push(Span::styled(
            format!("   REPEAT {}/s · {} sent last second · F6 stops", r.rate, r.achieved(app.now_ms)),
            theme.warn,
        ));
    }
    if app.conn.version.is_some_and(|v| !v.is_v5()) {
        spans.push(Span::styled("   content type and user properties need MQTT 5 (dropped)", theme.warn));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), opts_r);

    let [ct_r, up_r] = Layout::horizontal([Constraint::Percentage(35), Constraint::Percentage(65)]).areas(props_r);
    text_field(
        f,
        &p.content_type,
        ct_r,
        field_block(" Content type ", focus == Field::ContentType, theme),
        focus == Field::ContentType,
        "e.g. application/json",
    );
    text_field(
        f,
        &p.properties,
        up_r,
        field_block(" User properties NAME=VALUE ", focus == Field::Properties, theme),
        focus == Field::Properties,
        "one a line",
    );

    let status = if let Some(e) = &p.error {
        Line::from(vec![Span::styled(" ✕ ", theme.error), Span::styled(sanitize::line(e).into_owned(), theme.error)])
    } else if let Some(last) = p.last() {
        let style = match last.state {
            SendState::Failed(_) => theme.error,
            SendState::Sending => theme.warn,
            _ => theme.ok,
        };
        Line::from(vec![
            Span::styled(" last send: ", theme.dim),
            Span::styled(sanitize::line(&last.state.describe()).into_owned(), style),
            Span::styled(format!("  to '{}'", sanitize::line(&last.publish.topic)), theme.dim),
        ])
    } else {
        Line::styled(" nothing sent yet", theme.dim)
    };
    f.render_widget(Paragraph::new(status), status_r);

    let hist_block = field_block(" Sent (Ctrl-↑ ↓ recall) ", false, theme);
    let hist_inner = hist_block.inner(history_r);
    f.render_widget(hist_block, history_r);
    let width = usize::from(hist_inner.width);
    let lines: Vec<Line> = p
        .history
        .iter()
        .enumerate()
        .rev()
        .take(usize::from(hist_inner.height))
        .map(|(i, s)| {
            let head = format!(
                "{} q{}{} {:<24} ",
                fmt::clock(app.config.zone.wall_ms(s.at_ms)),
                s.publish.qos.as_u8(),
                if s.publish.retain { "r" } else { " " },
                fmt::fit(&sanitize::line(&s.publish.topic), 24),
            );
            let state = s.state.describe();
            let room = width.saturating_sub(head.chars().count() + state.chars().count() + 2);
            let body = payload::preview(&s.publish.payload, room);
            let pad = room.saturating_sub(body.chars().count());
            let line = Line::from(vec![
                Span::raw(head),
                Span::styled(body, theme.dim),
                Span::raw(" ".repeat(pad + 1)),
                Span::styled(sanitize::line(&state).into_owned(), theme.count),
            ]);
            if p.recall == Some(i) { line.style(theme.selected) } else { line }
        })
        .collect();
    f.render_widget(Paragraph::new(lines), hist_inner);
    f.render_widget(
        Paragraph::new(Line::styled(
            " Ctrl-S / F5 send · F2 template · F6 repeat · Tab / Shift-Tab field · Ctrl-↑ ↓ history · Esc close (kept)",
            theme.dim,
        )),
        help_r,
    );
}
