//! Topic names and topic filters (MQTT 5 §4.7): validation and matching.

use super::error::ErrorKind;

/// Checks a topic name used in PUBLISH: no wildcards (MQTT 5 §4.7.1). Emptiness is the caller's rule.
pub fn check_topic_name(topic: &str) -> Result<(), ErrorKind> {
    match super::parse::find_forbidden(topic.as_bytes(), true) {
        Some(pos) if topic.as_bytes()[pos] != 0 => Err(ErrorKind::WildcardInTopicName),
        // U+0000 is the string rule's to report (and the encoder's).
        Some(pos) => check_topic_name(topic.get(pos + 1..).unwrap_or("")),
        None => Ok(()),
    }
}

/// Checks a topic filter: not empty, `#` only as the whole last level, `+` only as a whole level
/// (MQTT 5 §4.7.1), and a well-formed shared subscription `$share/NAME/FILTER` (§4.8.2).
pub fn check_topic_filter(filter: &str) -> Result<(), ErrorKind> {
    if filter.is_empty() {
        return Err(ErrorKind::EmptyTopic);
    }
    let filter = match shared_parts(filter) {
        Some(Ok((_, inner))) => inner,
        Some(Err(why)) => return Err(ErrorKind::InvalidTopicFilter(why)),
        None => filter,
    };
    let mut levels = filter.split('/').peekable();
    while let Some(level) = levels.next() {
        if level.contains('#') && (level != "#" || levels.peek().is_some()) {
            return Err(ErrorKind::InvalidTopicFilter("'#' must be the whole last level"));
        }
        if level.contains('+') && level != "+" {
            return Err(ErrorKind::InvalidTopicFilter("'+' must be a whole level"));
        }
    }
    Ok(())
}

/// For `$share/NAME/FILTER` gives `(NAME, FILTER)`, checked; `None` for other filters.
pub fn shared_parts(filter: &str) -> Option<Result<(&str, &str), &'static str>> {
    let rest = filter.strip_prefix("$share/")?;
    let Some((name, inner)) = rest.split_once('/') else {
        return Some(Err("shared subscription needs '$share/NAME/FILTER'"));
    };
    if name.is_empty() || name.contains(['+', '#']) {
        return Some(Err("share name must be non-empty and without wildcards"));
    }
    if inner.is_empty() {
        return Some(Err("shared subscription filter is empty"));
    }
    Some(Ok((name, inner)))
}

/// Whether `topic` matches `filter` (MQTT 5 §4.7). Topics starting with `$` are not matched by a
/// filter starting with a wildcard (§4.7.2). Shared subscriptions match by their inner filter.
pub fn matches(filter: &str, topic: &str) -> bool {
    let filter = match shared_parts(filter) {
        Some(Ok((_, inner))) => inner,
        _ => filter,
    };
    if topic.starts_with('$') && (filter.starts_with('+') || filter.starts_with('#')) {
        return false;
    }
    let mut f = filter.split('/');
    let mut t = topic.split('/');
    loop {
        match (f.next(), t.next()) {
            (Some("#"), _) => return true,
            (Some("+"), Some(_)) => {}
            (Some(a), Some(b)) if a == b => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_follow_the_wildcard_rules() {
        for ok in ["#", "+", "a/#", "a/+/b", "+/+", "/", "a//b", "$share/g/a/#", "sport/tennis/+"] {
            assert_eq!(check_topic_filter(ok), Ok(()), "{ok}");
        }
        for bad in ["", "a/#/b", "a+/b", "a/b#", "#/", "$share/g", "$share//a", "$share/+/a", "$share/g/"] {
            assert!(check_topic_filter(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn topic_names_have_no_wildcards() {
        assert!(check_topic_name("a/b c/ü").is_ok());
        assert_eq!(check_topic_name("a/+"), Err(ErrorKind::WildcardInTopicName));
        assert_eq!(check_topic_name("#"), Err(ErrorKind::WildcardInTopicName));
    }

    #[test]
    fn matching_follows_the_spec_examples() {
        // MQTT 5 §4.7.1.2 and §4.7.1.3.
        assert!(matches("sport/tennis/player1/#", "sport/tennis/player1"));
        assert!(matches("sport/tennis/player1/#", "sport/tennis/player1/ranking"));
        assert!(matches("sport/#", "sport"));
        assert!(matches("sport/tennis/+", "sport/tennis/player1"));
        assert!(!matches("sport/tennis/+", "sport/tennis/player1/ranking"));
        assert!(matches("sport/+", "sport/"));
        assert!(!matches("sport/+", "sport"));
        assert!(matches("+/+", "/finance"));
        assert!(matches("/+", "/finance"));
        assert!(!matches("+", "/finance"));
        assert!(!matches("#", "$SYS/broker/load"));
        assert!(!matches("+/monitor/Clients", "$SYS/monitor/Clients"));
        assert!(matches("$SYS/#", "$SYS/broker/load"));
        assert!(matches("$share/g/a/+", "a/b"));
    }
}
