//! Which node each client of a run connects to: the nodes of a cluster (or bridged brokers) from `-u`,
//! `--pub-url` and `--sub-url`, and connections spread over them round-robin. Pure: URLs and counts
//! in, a node per client out.

use crate::transport::BrokerUrl;

/// The nodes of a run and the node of every client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// Every node once, in the order first named (URLs as given; mask them before showing).
    pub nodes: Vec<String>,
    /// Node index of subscriber `n`.
    pub subscribers: Vec<usize>,
    /// Node index of publisher `n`.
    pub publishers: Vec<usize>,
    /// Said on stderr before the run: nodes that get no client.
    pub warnings: Vec<String>,
}

/// What the command line names. `urls` are the `-u` nodes (or the one URL of a profile or the
/// environment); `explicit` says they came from `-u` itself.
#[derive(Debug, Clone, Default)]
pub struct Request<'a> {
    pub urls: &'a [String],
    pub explicit: bool,
    pub pub_urls: &'a [String],
    pub sub_urls: &'a [String],
    pub publishers: u64,
    pub subscribers: u64,
}

/// Two spellings of one node (`mqtt://h` and `mqtt://H:1883`) are the same node.
fn identity(url: &str) -> String {
    match BrokerUrl::parse(url) {
        Ok(u) => {
            let path = if u.scheme.is_websocket() { u.path.as_str() } else { "" };
            format!("{:?}://{}:{}{path}", u.scheme, u.host.to_ascii_lowercase(), u.port)
        }
        Err(_) => url.to_owned(),
    }
}

fn shown(url: &str) -> String {
    crate::sanitize::line(&crate::transport::redact_url(url)).into_owned()
}

/// Adds `list` to `nodes` (each node once) and returns the index of each entry; a node named twice in
/// one list is an error: it would count twice in the round-robin and once in the report.
fn intern(nodes: &mut Vec<String>, keys: &mut Vec<String>, list: &[String], flag: &str) -> Result<Vec<usize>, String> {
    let mut out: Vec<usize> = Vec::with_capacity(list.len());
    for url in list {
        let key = identity(url);
        let i = match keys.iter().position(|k| *k == key) {
            Some(i) => i,
            None => {
                nodes.push(url.clone());
                keys.push(key);
                nodes.len() - 1
            }
        };
        if out.contains(&i) {
            return Err(format!(
                "{flag} '{}' names node '{}' again: give each node once",
                shown(url),
                shown(&nodes[i])
            ));
        }
        out.push(i);
    }
    Ok(out)
}

/// Client `k` of `count` on `nodes[(offset + k) % len]`.
pub fn round_robin(count: u64, nodes: &[usize], offset: u64) -> Vec<usize> {
    if nodes.is_empty() {
        return Vec::new();
    }
    let len = nodes.len() as u64;
    (0..count).map(|k| nodes[((offset + k) % len) as usize]).collect()
}

/// Places every client. With `-u` alone, subscribers (started first) and then publishers take the
/// nodes in turn as one sequence, so one subscriber and one publisher on two nodes land on different
/// nodes. With `--pub-url` or `--sub-url`, each role goes round-robin over its own list.
pub fn place(r: &Request<'_>) -> Result<Placement, String> {
    if !r.pub_urls.is_empty() && !r.sub_urls.is_empty() && r.explicit && !r.urls.is_empty() {
        return Err("-u is not used when both --pub-url and --sub-url are given: \
                    drop -u, or one of --pub-url and --sub-url"
            .into());
    }
    let (mut nodes, mut keys) = (Vec::new(), Vec::new());
    let has_u = !r.urls.is_empty() && (r.explicit || r.pub_urls.is_empty() || r.sub_urls.is_empty());
    let u = if has_u { intern(&mut nodes, &mut keys, r.urls, "-u")? } else { Vec::new() };
    let p = intern(&mut nodes, &mut keys, r.pub_urls, "--pub-url")?;
    let s = intern(&mut nodes, &mut keys, r.sub_urls, "--sub-url")?;
    if nodes.is_empty() {
        return Err("no broker URL: give -u URL (repeatable for the nodes of a cluster)".into());
    }
    let (pub_nodes, sub_nodes) = (if p.is_empty() { &u } else { &p }, if s.is_empty() { &u } else { &s });
    if r.publishers > 0 && pub_nodes.is_empty() {
        return Err("--sub-url places the subscribers; say where the publishers connect with --pub-url or -u".into());
    }
    if r.subscribers > 0 && sub_nodes.is_empty() {
        return Err("--pub-url places the publishers; say where the subscribers connect with --sub-url or -u".into());
    }
    let (subscribers, publishers) = if p.is_empty() && s.is_empty() {
        (round_robin(r.subscribers, &u, 0), round_robin(r.publishers, &u, r.subscribers))
    } else {
        (round_robin(r.subscribers, sub_nodes, 0), round_robin(r.publishers, pub_nodes, 0))
    };
    let warnings = nodes
        .iter()
        .enumerate()
        .filter(|(i, _)| !subscribers.contains(i) && !publishers.contains(i))
        .map(|(_, url)| {
            format!(
                "node '{}' gets no client: {} client(s) do not go round all {} nodes",
                shown(url),
                r.publishers + r.subscribers,
                nodes.len()
            )
        })
        .collect();
    Ok(Placement { nodes, subscribers, publishers, warnings })
}

/// Node labels in reports: 1, 2, 3 … in the order the nodes were named.
pub fn label(node: usize) -> usize {
    node + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn round_robin_goes_round_the_nodes_from_the_offset() {
        assert_eq!(round_robin(5, &[0, 1], 0), [0, 1, 0, 1, 0]);
        assert_eq!(round_robin(4, &[2, 0, 1], 1), [0, 1, 2, 0]);
        assert!(round_robin(3, &[], 0).is_empty());
    }

    #[test]
    fn with_u_alone_subscribers_then_publishers_take_the_nodes_in_turn() {
        let u = urls(&["mqtt://a", "mqtt://b"]);
        let p =
            place(&Request { urls: &u, explicit: true, publishers: 1, subscribers: 1, ..Request::default() }).unwrap();
        assert_eq!((p.subscribers, p.publishers), (vec![0], vec![1]));
        let p =
            place(&Request { urls: &u, explicit: true, publishers: 3, subscribers: 2, ..Request::default() }).unwrap();
        assert_eq!((p.subscribers, p.publishers), (vec![0, 1], vec![0, 1, 0]));
        assert!(p.warnings.is_empty());
    }

    #[test]
    fn pub_url_and_sub_url_place_each_role_on_its_own_nodes() {
        let (a, b) = (urls(&["mqtt://a:1"]), urls(&["mqtt://b:2", "ws://c:3/mqtt"]));
        let p = place(&Request { pub_urls: &a, sub_urls: &b, publishers: 2, subscribers: 3, ..Request::default() })
            .unwrap();
        assert_eq!(p.nodes, urls(&["mqtt://a:1", "mqtt://b:2", "ws://c:3/mqtt"]));
        assert_eq!((p.publishers, p.subscribers), (vec![0, 0], vec![1, 2, 1]));
        // One role named, the other on -u; a node in both lists is one node.
        let u = urls(&["mqtt://b:2"]);
        let p = place(&Request {
            urls: &u,
            explicit: true,
            pub_urls: &a,
            publishers: 1,
            subscribers: 1,
            ..Request::default()
        })
        .unwrap();
        assert_eq!((p.nodes.len(), p.publishers, p.subscribers), (2, vec![1], vec![0]));
    }

    #[test]
    fn a_profile_url_is_not_a_contradiction_when_both_roles_are_placed() {
        let (profile, a, b) = (urls(&["mqtt://p"]), urls(&["mqtt://a"]), urls(&["mqtt://b"]));
        let p = place(&Request {
            urls: &profile,
            explicit: false,
            pub_urls: &a,
            sub_urls: &b,
            publishers: 1,
            subscribers: 1,
        })
        .unwrap();
        assert_eq!(p.nodes, urls(&["mqtt://a", "mqtt://b"]));
    }

    #[test]
    fn contradictions_and_repeats_are_refused_with_the_fix() {
        let (u, a, b) = (urls(&["mqtt://u"]), urls(&["mqtt://a"]), urls(&["mqtt://b"]));
        let e = place(&Request { urls: &u, explicit: true, pub_urls: &a, sub_urls: &b, publishers: 1, subscribers: 1 })
            .unwrap_err();
        assert!(e.contains("-u is not used"), "{e}");
        let e = place(&Request { sub_urls: &b, publishers: 1, subscribers: 1, ..Request::default() }).unwrap_err();
        assert!(e.contains("--pub-url or -u"), "{e}");
        let twice = urls(&["mqtt://me:secret@Host", "mqtt://host:1883"]);
        let e = place(&Request { urls: &twice, explicit: true, publishers: 2, ..Request::default() }).unwrap_err();
        assert!(e.contains("again") && !e.contains("secret"), "{e}");
        let e = place(&Request { publishers: 1, ..Request::default() }).unwrap_err();
        assert!(e.contains("no broker URL"), "{e}");
    }

    #[test]
    fn nodes_left_without_a_client_are_named() {
        let u = urls(&["mqtt://a", "mqtt://b", "mqtt://c"]);
        let p =
            place(&Request { urls: &u, explicit: true, publishers: 1, subscribers: 1, ..Request::default() }).unwrap();
        assert_eq!(p.warnings.len(), 1);
        assert!(p.warnings[0].contains("mqtt://c"), "{:?}", p.warnings);
    }
}
