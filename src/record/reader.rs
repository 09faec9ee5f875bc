//! Reading a recording line by line: memory holds one line at a time, whatever the file's length.
//! A line that is not a recording line (a crash cut it, something else wrote there) is reported
//! with its number and a sanitised excerpt, and reading goes on.

use super::Record;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

/// Longer than any recorded message can be (a 256 MiB payload in base64 plus its properties); a
/// longer line is reported as bad without being held in memory.
const MAX_LINE: usize = 400 << 20;

/// How much of a bad line is quoted.
const EXCERPT_CHARS: usize = 60;

/// A line that is not a recording line.
#[derive(Debug, Clone, PartialEq)]
pub struct BadLine {
    /// 1-based.
    pub number: u64,
    pub why: String,
    /// The start of the line, sanitised for any output.
    pub excerpt: String,
    /// The file ends inside this line (no newline after it): a recording cut by a crash or a kill.
    pub cut: bool,
}

impl fmt::Display for BadLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}", self.number)?;
        if self.cut {
            write!(f, " (cut short: the file ends inside it)")?;
        }
        write!(f, ": {}: '{}'", self.why, self.excerpt)
    }
}

/// One line of a recording.
#[derive(Debug, PartialEq)]
pub enum Entry {
    Record(Box<Record>),
    Bad(BadLine),
}

/// Reads a recording one line at a time; blank lines are skipped.
pub struct Reader<R> {
    input: R,
    line: Vec<u8>,
    number: u64,
}

impl Reader<BufReader<File>> {
    pub fn open(path: &Path) -> io::Result<Self> {
        Ok(Self::new(BufReader::with_capacity(64 * 1024, File::open(path)?)))
    }
}

impl<R: BufRead> Reader<R> {
    pub fn new(input: R) -> Self {
        Self { input, line: Vec::new(), number: 0 }
    }

    /// The next line that is not blank; `None` at the end of the input.
    pub fn next_entry(&mut self) -> io::Result<Option<Entry>> {
        loop {
            let Some((ended, too_long)) = self.read_line()? else { return Ok(None) };
            self.number += 1;
            if !too_long && self.line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let why = if too_long {
                format!("longer than {} MiB", MAX_LINE >> 20)
            } else {
                match parse_line(&self.line) {
                    Ok(r) => return Ok(Some(Entry::Record(Box::new(r)))),
                    Err(why) => why,
                }
            };
            // The parser's message can quote the line (an unknown field's name): sanitise it too.
            let why = crate::sanitize::line(&why).into_owned();
            return Ok(Some(Entry::Bad(BadLine { number: self.number, why, excerpt: self.excerpt(), cut: !ended })));
        }
    }

    /// Reads one line into `self.line` (without its newline, at most `MAX_LINE` bytes kept). Returns
    /// whether it ended with a newline and whether it was too long; `None` at the end of the input.
    fn read_line(&mut self) -> io::Result<Option<(bool, bool)>> {
        self.line.clear();
        let mut too_long = false;
        let mut any = false;
        loop {
            let available = match self.input.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                return Ok(any.then_some((false, too_long)));
            }
            any = true;
            let (chunk, used, found) = match available.iter().position(|&b| b == b'\n') {
                Some(i) => (&available[..i], i + 1, true),
                None => (available, available.len(), false),
            };
            if too_long || self.line.len() + chunk.len() > MAX_LINE {
                too_long = true;
                // Keep only the start, for the excerpt.
                let room = (EXCERPT_CHARS * 4).saturating_sub(self.line.len());
                self.line.extend_from_slice(&chunk[..room.min(chunk.len())]);
            } else {
                self.line.extend_from_slice(chunk);
            }
            self.input.consume(used);
            if found {
                return Ok(Some((true, too_long)));
            }
        }
    }

    fn excerpt(&self) -> String {
        let text = String::from_utf8_lossy(&self.line);
        let mut short: String = text.chars().take(EXCERPT_CHARS).collect();
        if short.len() < text.len() {
            short.push('…');
        }
        crate::sanitize::line(&short).into_owned()
    }
}

/// One line as a record that can be played again.
fn parse_line(line: &[u8]) -> Result<Record, String> {
    let r: Record = serde_json::from_slice(line).map_err(|e| e.to_string())?;
    r.check()?;
    Ok(r)
}

/// The bad lines met while reading: the first few kept for the report, all of them counted.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct BadLines {
    pub first: Vec<BadLine>,
    pub total: u64,
    /// Bad lines other than a cut last line.
    pub corrupt: u64,
}

impl BadLines {
    /// Bad lines listed one by one; the rest are only counted.
    const SHOWN: usize = 10;

    /// Counts a bad line; true when it is one of the first few, to be shown as it is met.
    pub fn add(&mut self, bad: BadLine) -> bool {
        self.total += 1;
        if !bad.cut {
            self.corrupt += 1;
        }
        let shown = self.first.len() < Self::SHOWN;
        if shown {
            self.first.push(bad);
        }
        shown
    }

    /// A report for stderr, one line each, or nothing when every line was good.
    pub fn report(&self, path: &Path) -> Vec<String> {
        let file = crate::sanitize::line(&path.display().to_string()).into_owned();
        let mut out: Vec<String> = self.first.iter().map(|b| format!("{file}: {b}")).collect();
        if self.total > self.first.len() as u64 {
            out.push(format!("{file}: {} more bad lines", self.total - self.first.len() as u64));
        }
        out
    }

    /// A short line for the status bar, e.g. "2 bad lines skipped (line 7: …)".
    pub fn summary(&self) -> Option<String> {
        let first = self.first.first()?;
        let s = if self.total == 1 { "" } else { "s" };
        Some(format!("{} bad line{s} skipped ({first})", self.total))
    }
}

/// What a read of the whole file found, holding nothing but counts.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Scan {
    pub records: u64,
    pub first_ts_ms: Option<u64>,
    pub last_ts_ms: Option<u64>,
    /// The latest stamp in the file (the last one, unless the clock went back while recording).
    pub high_ts_ms: Option<u64>,
    pub bad: BadLines,
}

/// Reads the whole file once, keeping only counts and the first bad lines.
pub fn scan(path: &Path) -> io::Result<Scan> {
    scan_reader(Reader::open(path)?)
}

/// [`scan`] of any reader.
pub fn scan_reader<R: BufRead>(mut reader: Reader<R>) -> io::Result<Scan> {
    let mut scan = Scan::default();
    while let Some(entry) = reader.next_entry()? {
        match entry {
            Entry::Record(r) => {
                scan.records += 1;
                scan.first_ts_ms.get_or_insert(r.ts_ms);
                scan.last_ts_ms = Some(r.ts_ms);
                scan.high_ts_ms = scan.high_ts_ms.max(Some(r.ts_ms));
            }
            Entry::Bad(b) => {
                scan.bad.add(b);
            }
        }
    }
    Ok(scan)
}

/// The first line of `path` that is not a recording line, if any; an empty file is a recording.
pub fn first_bad_line(path: &Path) -> io::Result<Option<BadLine>> {
    let mut reader = Reader::open(path)?;
    while let Some(entry) = reader.next_entry()? {
        if let Entry::Bad(b) = entry {
            return Ok(Some(b));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"ts":"x","ts_ms":1,"topic":"t","qos":0,"retain":false}"#;

    fn entries(text: &[u8]) -> Vec<Entry> {
        let mut r = Reader::new(text);
        let mut out = Vec::new();
        while let Some(e) = r.next_entry().unwrap() {
            out.push(e);
        }
        out
    }

    fn bad(e: &Entry) -> &BadLine {
        match e {
            Entry::Bad(b) => b,
            Entry::Record(r) => panic!("expected a bad line, got {r:?}"),
        }
    }

    #[test]
    fn a_cut_last_line_is_bad_and_marked_cut_and_the_lines_before_are_read() {
        let text = format!("{GOOD}\n\n{GOOD}\n{}", &GOOD[..20]);
        let e = entries(text.as_bytes());
        assert_eq!(e.len(), 3);
        assert!(matches!(e[0], Entry::Record(_)) && matches!(e[1], Entry::Record(_)));
        let b = bad(&e[2]);
        assert_eq!((b.number, b.cut), (4, true));
        assert!(b.why.contains("EOF"), "{b}");
        assert!(b.to_string().starts_with("line 4 (cut short"), "{b}");
    }

    #[test]
    fn a_bad_line_in_the_middle_is_named_quoted_sanitised_and_not_cut() {
        // Line 3 names an unknown field with an escape in it, which the parser's message quotes.
        let text = format!("{GOOD}\n\x1b]0;title\x07{{\"ts\":1}}\n{{\"\\u001b[2J\":1}}\n{GOOD}");
        let e = entries(text.as_bytes());
        let b = bad(&e[1]);
        assert_eq!((b.number, b.cut), (2, false));
        assert!(!b.excerpt.contains('\x1b') && !b.excerpt.contains('\x07'), "{:?}", b.excerpt);
        let b = bad(&e[2]);
        assert!(b.why.contains("unknown field") && !b.to_string().contains('\x1b'), "{b:?}");
        assert!(matches!(e[3], Entry::Record(_)), "a last line without newline that parses is fine");
    }

    #[test]
    fn records_that_cannot_be_played_again_are_bad() {
        for line in [
            r#"{"ts":"x","ts_ms":1,"topic":"t","qos":0,"retain":false,"payload_base64":"@@"}"#,
            r#"{"ts":"x","ts_ms":1,"topic":"t","qos":3,"retain":false}"#,
            r#"{"ts":"x","ts_ms":1,"topic":"t","qos":0,"retain":false,"correlation_data_base64":"@"}"#,
            r#"{"ts":"x","ts_ms":1,"topic":"t","qos":0,"retain":false,"extra":1}"#,
        ] {
            let e = entries(format!("{line}\n").as_bytes());
            assert_eq!(bad(&e[0]).number, 1, "{line}");
        }
    }

    #[test]
    fn bad_lines_keep_the_first_few_and_count_all() {
        let mut b = BadLines::default();
        for n in 1..=25 {
            assert_eq!(b.add(BadLine { number: n, why: "x".into(), excerpt: String::new(), cut: n == 25 }), n <= 10);
        }
        assert_eq!((b.first.len(), b.total, b.corrupt), (10, 25, 24));
        let report = b.report(Path::new("f"));
        assert_eq!(report.len(), 11);
        assert_eq!(report[10], "f: 15 more bad lines");
        assert!(b.summary().unwrap().starts_with("25 bad lines skipped (line 1: x"));
    }
}
