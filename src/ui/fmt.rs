//! Short human forms of counts, sizes, ages and times for narrow columns.

use unicode_width::UnicodeWidthStr;

/// 999, 1.2k, 12k, 1.2M, 1.2G.
pub fn count(n: u64) -> String {
    match n {
        0..=999 => n.to_string(),
        1_000..=9_999 => format!("{:.1}k", n as f64 / 1e3),
        10_000..=999_999 => format!("{}k", n / 1_000),
        1_000_000..=9_999_999 => format!("{:.1}M", n as f64 / 1e6),
        10_000_000..=999_999_999 => format!("{}M", n / 1_000_000),
        _ => format!("{:.1}G", n as f64 / 1e9),
    }
}

/// 512 B, 1.5 KiB, 12 MiB.
pub fn bytes(n: u64) -> String {
    const K: f64 = 1024.0;
    let f = n as f64;
    if f < K {
        format!("{n} B")
    } else if f < K * K {
        format!("{:.1} KiB", f / K)
    } else if f < K * K * K {
        format!("{:.1} MiB", f / K / K)
    } else {
        format!("{:.1} GiB", f / K / K / K)
    }
}

/// Time since `then_ms`: 0s, 59s, 3m, 5h, 2d; `-` when never.
pub fn age(now_ms: u64, then_ms: u64) -> String {
    if then_ms == 0 {
        return "-".into();
    }
    let s = now_ms.saturating_sub(then_ms) / 1000;
    match s {
        0..=59 => format!("{s}s"),
        60..=3_599 => format!("{}m", s / 60),
        3_600..=86_399 => format!("{}h", s / 3_600),
        _ => format!("{}d", s / 86_400),
    }
}

/// `HH:MM:SS.mmm` of a time in ms since the epoch (pass it through `Zone::wall_ms` first).
pub fn clock(ms: u64) -> String {
    let day_ms = ms % 86_400_000;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        day_ms / 3_600_000,
        (day_ms / 60_000) % 60,
        (day_ms / 1_000) % 60,
        day_ms % 1_000
    )
}

/// Cuts `s` to at most `width` characters, marking the cut with `…`.
pub fn fit(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(width - 1).collect();
    out.push('…');
    out
}

/// Splits `text` into rows of at most `width` columns at spaces; a word longer than a row is cut.
pub fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut rows = Vec::new();
    let mut row = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let needed = if row.is_empty() {
            UnicodeWidthStr::width(word)
        } else {
            UnicodeWidthStr::width(row.as_str()) + 1 + UnicodeWidthStr::width(word)
        };
        if needed > width && !row.is_empty() {
            rows.push(std::mem::take(&mut row));
        }
        if !row.is_empty() {
            row.push(' ');
        }
        // A word wider than the whole row goes on rows of its own, cut at the width.
        let mut rest = word;
        while UnicodeWidthStr::width(row.as_str()) + UnicodeWidthStr::width(rest) > width {
            let room = width - UnicodeWidthStr::width(row.as_str());
            let mut cut = 0;
            let mut used = 0;
            for (i, ch) in rest.char_indices() {
                let w = unicode_width::UnicodeWidthChar::width(ch).unwrap_or(0);
                if used + w > room {
                    break;
                }
                used += w;
                cut = i + ch.len_utf8();
            }
            if cut == 0 {
                // Not even one character fits beside what is there: start a new row.
                if row.is_empty() {
                    break;
                }
                rows.push(std::mem::take(&mut row));
                continue;
            }
            row.push_str(&rest[..cut]);
            rows.push(std::mem::take(&mut row));
            rest = &rest[cut..];
        }
        row.push_str(rest);
    }
    if !row.is_empty() || rows.is_empty() {
        rows.push(row);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_forms() {
        assert_eq!([count(999), count(1_234), count(56_789), count(2_500_000)], ["999", "1.2k", "56k", "2.5M"]);
        assert_eq!([bytes(10), bytes(1536), bytes(3 << 20)], ["10 B", "1.5 KiB", "3.0 MiB"]);
        assert_eq!([age(61_000, 1_000), age(5_000, 0), age(7_200_000, 1)], ["1m", "-", "1h"]);
        assert_eq!(clock(1_795_628_616_123), "17:43:36.123");
        assert_eq!(fit("abcdef", 4), "abc…");
    }

    #[test]
    fn words_wrap_at_spaces_within_the_width() {
        assert_eq!(wrap_words("fold or go to parent", 10), vec!["fold or go", "to parent"]);
        assert_eq!(wrap_words("short", 10), vec!["short"]);
        assert_eq!(wrap_words("", 10), vec![""]);
    }

    #[test]
    fn a_word_longer_than_the_row_is_cut() {
        assert_eq!(wrap_words("mqscope-<time>.jsonl x", 8), vec!["mqscope-", "<time>.j", "sonl x"]);
        assert_eq!(wrap_words("ab ↑↓↑↓↑↓", 4), vec!["ab", "↑↓↑↓", "↑↓"], "a long word starts its own row");
    }

    #[test]
    fn every_row_fits_the_width() {
        for width in 1..40 {
            for row in wrap_words("filter the focused pane (tree: text or MQTT filter; log: text or /regex/)", width) {
                assert!(unicode_width::UnicodeWidthStr::width(row.as_str()) <= width, "'{row}' at {width}");
            }
        }
    }
}
