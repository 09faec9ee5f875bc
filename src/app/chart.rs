//! The detail pane's chart as data: one series per charted field over the topic's kept history,
//! split where a message lacks the field (a gap, never a zero), and normalised to 0..1 per field
//! when the fields' scales differ too much to share one axis. Pure; the ui only draws it.

/// Fields share one y axis unless one field's own range is less than this share of the range
/// of all of them together (a price near 190 beside a volume near 100,000).
const SCALE_RATIO: f64 = 10.0;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    pub name: String,
    /// Runs of consecutive messages that have the field: (seconds since `Chart::t0_ms`, y). The y
    /// is the real value, or the value within `min..max` as 0..1 when the chart is normalised.
    pub segments: Vec<Vec<(f64, f64)>>,
    pub min: f64,
    pub max: f64,
    /// The newest value.
    pub last: f64,
}

impl Series {
    pub fn points(&self) -> usize {
        self.segments.iter().map(Vec::len).sum()
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Chart {
    /// One per charted field, in the order chosen; a field no kept message has is left out.
    pub series: Vec<Series>,
    /// Each series is scaled to its own min..max: the y axis reads 0..1 and the legend gives the
    /// real ranges.
    pub normalised: bool,
    /// Arrival time of the oldest kept message (ms since the epoch), where x is 0.
    pub t0_ms: u64,
    /// Arrival time of the newest kept message.
    pub t1_ms: u64,
}

impl Chart {
    /// Builds the chart from the kept messages, oldest first: each one's arrival time and its value
    /// of each field (`None` where it has none).
    pub fn build(names: &[String], messages: &[(u64, &[Option<f64>])]) -> Self {
        let t0_ms = messages.first().map_or(0, |(at, _)| *at);
        let t1_ms = messages.last().map_or(0, |(at, _)| *at);
        let mut series = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let mut s = Series { name: name.clone(), min: f64::INFINITY, max: f64::NEG_INFINITY, ..Series::default() };
            let mut run: Vec<(f64, f64)> = Vec::new();
            for (at, values) in messages {
                match values.get(i).copied().flatten().filter(|v| v.is_finite()) {
                    Some(v) => {
                        run.push((at.saturating_sub(t0_ms) as f64 / 1000.0, v));
                        s.min = s.min.min(v);
                        s.max = s.max.max(v);
                        s.last = v;
                    }
                    None if !run.is_empty() => s.segments.push(std::mem::take(&mut run)),
                    None => {}
                }
            }
            if !run.is_empty() {
                s.segments.push(run);
            }
            if !s.segments.is_empty() {
                series.push(s);
            }
        }
        let normalised = differ_in_scale(&series);
        if normalised {
            for s in &mut series {
                let (lo, span) = (s.min, s.max - s.min);
                for p in s.segments.iter_mut().flatten() {
                    // A constant field sits in the middle.
                    p.1 = if span > 0.0 { (p.1 - lo) / span } else { 0.5 };
                }
            }
        }
        Self { series, normalised, t0_ms, t1_ms }
    }

    /// Whether there is a line to draw: some field with two points.
    pub fn drawable(&self) -> bool {
        self.series.iter().any(|s| s.points() >= 2)
    }

    /// The y axis bounds: 0..1 when normalised, else the range of all values (widened around a
    /// constant).
    pub fn y_bounds(&self) -> (f64, f64) {
        if self.normalised {
            return (0.0, 1.0);
        }
        let lo = self.series.iter().map(|s| s.min).fold(f64::INFINITY, f64::min);
        let hi = self.series.iter().map(|s| s.max).fold(f64::NEG_INFINITY, f64::max);
        if !lo.is_finite() || !hi.is_finite() {
            return (0.0, 1.0);
        }
        if (hi - lo).abs() < f64::EPSILON { (lo - 1.0, hi + 1.0) } else { (lo, hi) }
    }

    /// Memory the points hold, for the budget.
    pub fn bytes(&self) -> usize {
        self.series.iter().map(|s| s.name.len() + 64 + s.points() * 16 + s.segments.len() * 24).sum()
    }
}

/// True when some field's own range is less than a tenth of the range of all fields together.
/// A constant field (no range of its own) does not decide it.
fn differ_in_scale(series: &[Series]) -> bool {
    if series.len() < 2 {
        return false;
    }
    let lo = series.iter().map(|s| s.min).fold(f64::INFINITY, f64::min);
    let hi = series.iter().map(|s| s.max).fold(f64::NEG_INFINITY, f64::max);
    let all = hi - lo;
    let spans: Vec<f64> = series.iter().map(|s| s.max - s.min).filter(|d| *d > 0.0).collect();
    let smallest = spans.iter().copied().fold(f64::INFINITY, f64::min);
    // Only constants: flat lines, each at its own height on one axis.
    if spans.is_empty() {
        return false;
    }
    all > smallest * SCALE_RATIO
}

/// A time before now for the x axis: `now`, `-45s`, `-2m30s`, `-5m`, `-1h20m`.
pub fn before_now(ms: u64) -> String {
    // Under ten seconds in tenths, so a short history's labels do not all round to the same second.
    if (50..9_950).contains(&ms) {
        let tenths = (ms + 50) / 100;
        return match tenths % 10 {
            0 => format!("-{}s", tenths / 10),
            t => format!("-{}.{t}s", tenths / 10),
        };
    }
    let s = (ms + 500) / 1000;
    match s {
        0 => "now".into(),
        1..=59 => format!("-{s}s"),
        60..=3_599 if s.is_multiple_of(60) => format!("-{}m", s / 60),
        60..=3_599 => format!("-{}m{}s", s / 60, s % 60),
        _ if s % 3_600 / 60 == 0 => format!("-{}h", s / 3_600),
        _ => format!("-{}h{}m", s / 3_600, s % 3_600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| (*s).to_string()).collect()
    }

    #[test]
    fn a_missing_field_leaves_a_gap_not_a_zero() {
        let rows: Vec<Vec<Option<f64>>> = vec![vec![Some(1.0)], vec![None], vec![Some(3.0)], vec![Some(4.0)]];
        let msgs: Vec<(u64, &[Option<f64>])> =
            rows.iter().enumerate().map(|(i, r)| (1_000 + i as u64 * 1_000, r.as_slice())).collect();
        let c = Chart::build(&names(&["a"]), &msgs);
        assert_eq!(c.series[0].segments, vec![vec![(0.0, 1.0)], vec![(2.0, 3.0), (3.0, 4.0)]]);
        assert_eq!((c.series[0].min, c.series[0].max, c.series[0].last), (1.0, 4.0, 4.0));
        assert!(!c.normalised);
    }

    #[test]
    fn fields_of_different_scales_are_normalised_and_similar_ones_share_an_axis() {
        let rows: Vec<Vec<Option<f64>>> =
            (0..5).map(|i| vec![Some(190.0 + f64::from(i)), Some(100_000.0 + 500.0 * f64::from(i))]).collect();
        let msgs: Vec<(u64, &[Option<f64>])> = rows.iter().map(|r| (0, r.as_slice())).collect();
        let c = Chart::build(&names(&["px", "vol"]), &msgs);
        assert!(c.normalised);
        assert_eq!(c.y_bounds(), (0.0, 1.0));
        assert_eq!(c.series[0].segments[0].first().map(|p| p.1), Some(0.0));
        assert_eq!(c.series[1].segments[0].last().map(|p| p.1), Some(1.0));
        assert_eq!((c.series[1].min, c.series[1].max, c.series[1].last), (100_000.0, 102_000.0, 102_000.0));

        let rows: Vec<Vec<Option<f64>>> =
            (0..5).map(|i| vec![Some(20.0 + f64::from(i)), Some(22.0 + f64::from(i) * 2.0)]).collect();
        let msgs: Vec<(u64, &[Option<f64>])> = rows.iter().map(|r| (0, r.as_slice())).collect();
        let c = Chart::build(&names(&["in", "out"]), &msgs);
        assert!(!c.normalised, "ranges 4 and 8 within 20..30 share one axis");
        assert_eq!(c.y_bounds(), (20.0, 30.0));
    }

    #[test]
    fn a_field_no_message_has_is_left_out() {
        let rows: Vec<Vec<Option<f64>>> = vec![vec![Some(1.0), None], vec![Some(2.0), None]];
        let msgs: Vec<(u64, &[Option<f64>])> = rows.iter().map(|r| (0, r.as_slice())).collect();
        let c = Chart::build(&names(&["a", "b"]), &msgs);
        assert_eq!(c.series.len(), 1);
        assert!(c.drawable());
    }

    #[test]
    fn times_before_now_read_as_offsets() {
        let cases = [
            (0, "now"),
            (30, "now"),
            (400, "-0.4s"),
            (500, "-0.5s"),
            (1_000, "-1s"),
            (45_000, "-45s"),
            (150_000, "-2m30s"),
            (300_000, "-5m"),
        ];
        for (ms, want) in cases {
            assert_eq!(before_now(ms), want);
        }
        assert_eq!(before_now(4_800_000), "-1h20m");
        assert_eq!(before_now(7_200_000), "-2h");
    }
}
