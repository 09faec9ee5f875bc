//! Topic prefix mapping between two brokers, as mosquitto's bridge `topic` lines remap a tree: A's
//! `factory/line1/x` is B's `site1/factory/line1/x` with the mapping `factory/=site1/factory/`.
//!
//! Everything is compared in A's names (the key); B's topics are mapped back. The longest matching
//! prefix wins, and a topic under no prefix has the same name on both.

use std::borrow::Cow;

/// A's prefix and B's prefix for the same part of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    pub a: String,
    pub b: String,
}

impl Mapping {
    /// `A_PREFIX=B_PREFIX`; either side may be empty (`=site1/` puts all of A under `site1/`). Prefixes
    /// are literal: a wildcard in one is refused, as it could not be mapped back.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let (a, b) = spec.split_once('=').ok_or_else(|| format!("--map '{spec}' must look like A_PREFIX=B_PREFIX"))?;
        for p in [a, b] {
            if p.contains(['+', '#', '\0']) {
                return Err(format!("--map '{spec}': a prefix cannot hold '+', '#' or U+0000"));
            }
        }
        if a == b {
            return Err(format!("--map '{spec}': both prefixes are the same, which maps nothing"));
        }
        Ok(Self { a: a.to_owned(), b: b.to_owned() })
    }
}

/// The mappings of one comparison.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrefixMap {
    mappings: Vec<Mapping>,
}

impl PrefixMap {
    pub fn new(mappings: Vec<Mapping>) -> Self {
        Self { mappings }
    }

    pub fn is_empty(&self) -> bool {
        self.mappings.is_empty()
    }

    /// The mapping whose A prefix is the longest one `a_topic` starts with.
    fn for_a(&self, a_topic: &str) -> Option<&Mapping> {
        self.mappings.iter().filter(|m| a_topic.starts_with(m.a.as_str())).max_by_key(|m| m.a.len())
    }

    /// A's topic (or filter starting with a prefix) as B names it.
    pub fn to_b<'t>(&self, a_topic: &'t str) -> Cow<'t, str> {
        match self.for_a(a_topic) {
            Some(m) => Cow::Owned(format!("{}{}", m.b, a_topic.strip_prefix(m.a.as_str()).unwrap_or_default())),
            None => Cow::Borrowed(a_topic),
        }
    }

    /// B's topic in A's names, the comparison key: the A topic that maps to it. A mapped name wins
    /// over the same name unmapped; `None` when no A topic maps to it (it is under an A prefix that
    /// maps elsewhere, so it stands for nothing on A).
    pub fn to_a<'t>(&self, b_topic: &'t str) -> Option<Cow<'t, str>> {
        let mut best: Option<(usize, String)> = None;
        for m in &self.mappings {
            let Some(rest) = b_topic.strip_prefix(m.b.as_str()) else { continue };
            let a = format!("{}{rest}", m.a);
            if self.to_b(&a) == b_topic && best.as_ref().is_none_or(|(len, _)| m.b.len() > *len) {
                best = Some((m.b.len(), a));
            }
        }
        match best {
            Some((_, a)) => Some(Cow::Owned(a)),
            None if self.to_b(b_topic) == b_topic => Some(Cow::Borrowed(b_topic)),
            None => None,
        }
    }

    /// The filters to subscribe to on B so that every B topic standing for a topic under `filter` on
    /// A is received (more may come; the caller checks each key against the filter). A filter under a
    /// prefix is mapped; any other filter is kept, plus `B_PREFIX#` for each prefix it may reach into.
    pub fn b_filters(&self, filter: &str) -> Vec<String> {
        if self.for_a(filter).is_some() {
            return vec![self.to_b(filter).into_owned()];
        }
        let mut out = vec![filter.to_owned()];
        for m in &self.mappings {
            if may_reach_into(filter, &m.a) {
                let extra = format!("{}#", m.b);
                if !out.contains(&extra) {
                    out.push(extra);
                }
            }
        }
        out
    }
}

/// Whether some topic starting with `prefix` may match `filter`.
fn may_reach_into(filter: &str, prefix: &str) -> bool {
    if prefix.is_empty() {
        return true;
    }
    let mut f = filter.split('/');
    let levels: Vec<&str> = prefix.split('/').collect();
    let last = levels.len() - 1;
    for (i, level) in levels.iter().enumerate() {
        let Some(fl) = f.next() else { return false };
        match fl {
            "#" => return true,
            "+" => {}
            // The last level of the prefix may be cut short: `fac` reaches `factory`.
            _ if i == last => return fl.starts_with(level),
            _ if fl == *level => {}
            _ => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(specs: &[&str]) -> PrefixMap {
        PrefixMap::new(specs.iter().map(|s| Mapping::parse(s).unwrap()).collect())
    }

    #[test]
    fn parse_refuses_wildcards_a_missing_equals_sign_and_a_no_op() {
        assert_eq!(Mapping::parse("factory/=site1/factory/").unwrap().b, "site1/factory/");
        assert!(Mapping::parse("factory/").unwrap_err().contains("A_PREFIX=B_PREFIX"));
        assert!(Mapping::parse("f/#=g/").unwrap_err().contains("'#'"));
        assert!(Mapping::parse("x/=x/").is_err());
        assert_eq!(Mapping::parse("=site1/").unwrap().a, "");
    }

    #[test]
    fn topics_map_both_ways_and_unmapped_ones_keep_their_name() {
        let m = map(&["factory/=site1/factory/"]);
        assert_eq!(m.to_b("factory/line1/t"), "site1/factory/line1/t");
        assert_eq!(m.to_b("office/t"), "office/t");
        assert_eq!(m.to_a("site1/factory/line1/t").as_deref(), Some("factory/line1/t"));
        assert_eq!(m.to_a("office/t").as_deref(), Some("office/t"));
        // B's own `factory/x` stands for nothing on A: A's `factory/x` is B's `site1/factory/x`.
        assert_eq!(m.to_a("factory/x"), None);
    }

    #[test]
    fn the_longest_prefix_wins() {
        let m = map(&["a/=x/", "a/b/=y/"]);
        assert_eq!(m.to_b("a/b/c"), "y/c");
        assert_eq!(m.to_b("a/c"), "x/c");
        assert_eq!(m.to_a("y/c").as_deref(), Some("a/b/c"));
        // Not from a/b/c, which maps to y/c: A's own x/b/c, under no prefix there.
        assert_eq!(m.to_a("x/b/c").as_deref(), Some("x/b/c"));
        let m = map(&["a/=x/", "a/b/=x/b/b/"]);
        assert_eq!(m.to_a("x/b/b/c").as_deref(), Some("a/b/c"));
    }

    #[test]
    fn filters_for_b_cover_every_mapped_topic() {
        let m = map(&["factory/=site1/factory/"]);
        assert_eq!(m.b_filters("factory/#"), ["site1/factory/#"]);
        assert_eq!(m.b_filters("factory/+/temp"), ["site1/factory/+/temp"]);
        assert_eq!(m.b_filters("#"), ["#", "site1/factory/#"]);
        assert_eq!(m.b_filters("+/line1/#"), ["+/line1/#", "site1/factory/#"]);
        assert_eq!(m.b_filters("office/#"), ["office/#"]);
        assert_eq!(m.b_filters("factory"), ["factory"]);
        assert_eq!(map(&["=site1/"]).b_filters("a/#"), ["site1/a/#"]);
        assert_eq!(map(&["fac=x/"]).b_filters("+"), ["+", "x/#"]);
    }
}
