//! Topics and payloads of the publishers: `%c` (client number) and `%i` (sequence number) expanded,
//! the bench header first, then filler, a file's bytes or a template.

use super::stamp::{self, Stamp};
use bytes::Bytes;

/// A topic or template with `%c` and `%i` in it. `%%` is a literal `%`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern(String);

impl Pattern {
    pub fn new(text: &str) -> Self {
        Self(text.to_owned())
    }

    pub fn has_sequence(&self) -> bool {
        self.0.contains("%i")
    }

    pub fn expand(&self, client: u64, seq: u64) -> String {
        let mut out = String::with_capacity(self.0.len() + 8);
        let mut chars = self.0.chars();
        while let Some(ch) = chars.next() {
            if ch != '%' {
                out.push(ch);
                continue;
            }
            match chars.next() {
                Some('c') => out.push_str(&client.to_string()),
                Some('i') => out.push_str(&seq.to_string()),
                Some(other) => {
                    out.push('%');
                    if other != '%' {
                        out.push(other);
                    }
                }
                None => out.push('%'),
            }
        }
        out
    }

    /// The filter that matches every topic of the pattern: each level with a placeholder becomes `+`.
    pub fn filter(&self) -> String {
        self.0
            .split('/')
            .map(|level| if level.contains("%c") || level.contains("%i") { "+" } else { level })
            .collect::<Vec<_>>()
            .join("/")
    }
}

/// What follows the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// This many filler bytes.
    Filler(usize),
    Fixed(Bytes),
    Template(Pattern),
}

impl Body {
    /// From `--size` (the whole payload, header included); an error when it cannot hold the header.
    pub fn sized(size: usize) -> Result<Self, String> {
        size.checked_sub(stamp::LEN).map(Body::Filler).ok_or_else(|| {
            format!("--size {size} is too small: a bench payload starts with a {}-byte header", stamp::LEN)
        })
    }

    pub fn build(&self, s: &Stamp) -> Bytes {
        let mut out = match self {
            Self::Filler(n) => {
                let mut v = vec![b'.'; stamp::LEN + n];
                s.write(&mut v);
                return Bytes::from(v);
            }
            Self::Fixed(b) => {
                let mut v = Vec::with_capacity(stamp::LEN + b.len());
                v.resize(stamp::LEN, 0);
                v.extend_from_slice(b);
                v
            }
            Self::Template(t) => {
                let text = t.expand(u64::from(s.client), s.seq);
                let mut v = Vec::with_capacity(stamp::LEN + text.len());
                v.resize(stamp::LEN, 0);
                v.extend_from_slice(text.as_bytes());
                v
            }
        };
        s.write(&mut out);
        Bytes::from(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_expand_and_percent_escapes_stay() {
        let p = Pattern::new("bench/%c/%i/100%%/%x");
        assert_eq!(p.expand(3, 42), "bench/3/42/100%/%x");
        assert!(p.has_sequence());
        assert!(!Pattern::new("a/%c").has_sequence());
    }

    #[test]
    fn the_filter_has_a_plus_for_each_level_with_a_placeholder() {
        assert_eq!(Pattern::new("bench/%c").filter(), "bench/+");
        assert_eq!(Pattern::new("bench/c%c/x/%i").filter(), "bench/+/x/+");
        assert_eq!(Pattern::new("fixed/topic").filter(), "fixed/topic");
    }

    #[test]
    fn payloads_start_with_the_header_and_have_the_asked_size() {
        let s = Stamp { run: 1, client: 2, seq: 3, scheduled_ns: 4 };
        let p = Body::sized(64).expect("64 holds the header").build(&s);
        assert_eq!(p.len(), 64);
        assert_eq!(Stamp::read(&p), Some(s));
        let p = Body::Template(Pattern::new("{\"c\":%c,\"i\":%i}")).build(&s);
        assert_eq!(&p[stamp::LEN..], b"{\"c\":2,\"i\":3}");
        let p = Body::Fixed(Bytes::from_static(b"abc")).build(&s);
        assert_eq!((&p[stamp::LEN..], Stamp::read(&p)), (&b"abc"[..], Some(s)));
        assert!(Body::sized(27).is_err());
    }
}
