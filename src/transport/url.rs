//! Broker URLs: `scheme://[user[:password]@]host[:port][/path][?query]`.
//!
//! A small hand parser instead of a URL crate: the grammar we accept is tiny and the errors can say
//! exactly what is wrong. A URL without a scheme is `mqtt://`.

use std::borrow::Cow;
use std::fmt;

/// How the bytes travel. Each scheme has a default port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `mqtt://` (also `tcp://`): plain TCP, port 1883.
    Mqtt,
    /// `mqtts://` (also `ssl://`, `tls://`): TLS over TCP, port 8883.
    Mqtts,
    /// `ws://`: WebSocket over TCP, port 80.
    Ws,
    /// `wss://`: WebSocket over TLS, port 443.
    Wss,
}

impl Scheme {
    /// Parses a scheme name, accepting the common aliases (`tcp`, `ssl`, `tls`), case-insensitively.
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "mqtt" | "tcp" => Some(Self::Mqtt),
            "mqtts" | "ssl" | "tls" => Some(Self::Mqtts),
            "ws" => Some(Self::Ws),
            "wss" => Some(Self::Wss),
            _ => None,
        }
    }

    pub fn default_port(self) -> u16 {
        match self {
            Self::Mqtt => 1883,
            Self::Mqtts => 8883,
            Self::Ws => 80,
            Self::Wss => 443,
        }
    }

    pub fn is_tls(self) -> bool {
        matches!(self, Self::Mqtts | Self::Wss)
    }

    pub fn is_websocket(self) -> bool {
        matches!(self, Self::Ws | Self::Wss)
    }

    /// The canonical name (`mqtt`, `mqtts`, `ws`, `wss`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mqtt => "mqtt",
            Self::Mqtts => "mqtts",
            Self::Ws => "ws",
            Self::Wss => "wss",
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parsed broker URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerUrl {
    pub scheme: Scheme,
    /// Host name or IP address, without the brackets of an IPv6 literal.
    pub host: String,
    pub port: u16,
    /// Whether the URL named the port (the WebSocket `Host` header then names it too).
    pub explicit_port: bool,
    /// Path and query for WebSocket URLs, `/` when the URL has none. Most brokers serve MQTT on `/mqtt`
    /// (mosquitto accepts any path). Ignored for `mqtt://` and `mqtts://`.
    pub path: String,
    /// User name from the URL's user info, percent-decoded. The transport does not use it: it is for the
    /// session's CONNECT.
    pub username: Option<String>,
    /// Password from the URL's user info, percent-decoded.
    pub password: Option<String>,
}

/// Why a URL could not be parsed. Displayed after "invalid broker URL '…': ".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("unknown scheme '{0}' (use mqtt://, mqtts://, ws:// or wss://)")]
    UnknownScheme(String),
    #[error("no host name")]
    NoHost,
    #[error("port '{0}' is not a number from 1 to 65535")]
    BadPort(String),
    #[error("unclosed '[' in an IPv6 address")]
    UnclosedBracket,
    #[error("unexpected '{0}' after the host")]
    Junk(String),
    #[error("invalid percent-encoding in the user info")]
    BadPercentEncoding,
}

impl BrokerUrl {
    pub fn parse(input: &str) -> Result<Self, UrlError> {
        let input = input.trim();
        let (scheme, rest) = match input.split_once("://") {
            Some((name, rest)) => (Scheme::parse(name).ok_or_else(|| UrlError::UnknownScheme(name.to_owned()))?, rest),
            None => (Scheme::Mqtt, input),
        };
        // The authority ends at the first '/', '?' or '#'.
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        let tail = tail.split_once('#').map_or(tail, |(before, _fragment)| before);
        let path = match tail {
            "" => "/".to_owned(),
            t if t.starts_with('?') => format!("/{t}"),
            t => t.to_owned(),
        };

        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let (username, password) = match userinfo {
            None => (None, None),
            Some(u) => match u.split_once(':') {
                Some((user, pass)) => (Some(percent_decode(user)?), Some(percent_decode(pass)?)),
                None => (Some(percent_decode(u)?), None),
            },
        };

        let (host, port_str) = if let Some(after) = hostport.strip_prefix('[') {
            let (host, after) = after.split_once(']').ok_or(UrlError::UnclosedBracket)?;
            match after {
                "" => (host, None),
                a => match a.strip_prefix(':') {
                    Some(p) => (host, Some(p)),
                    None => return Err(UrlError::Junk(a.to_owned())),
                },
            }
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (hostport, None),
            }
        };
        if host.is_empty() {
            return Err(UrlError::NoHost);
        }
        let port = match port_str {
            None | Some("") => None,
            Some(p) => match p.parse::<u16>() {
                Ok(n) if n != 0 => Some(n),
                _ => return Err(UrlError::BadPort(p.to_owned())),
            },
        };
        Ok(Self {
            scheme,
            host: host.to_owned(),
            port: port.unwrap_or(scheme.default_port()),
            explicit_port: port.is_some(),
            path,
            username,
            password,
        })
    }

    /// `host` or `host:port` as it goes into the HTTP `Host` header (IPv6 literals in brackets).
    pub fn authority(&self) -> String {
        let host = if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
        if self.explicit_port { format!("{host}:{}", self.port) } else { host }
    }
}

/// A URL as it may be shown: the password as `***` ([`redact`]), and so the value of every query
/// parameter whose name suggests a secret (`?X-Amz-Signature=***&token=***`, as for headers). Works
/// on any text, also one that does not parse.
pub fn shown(url: &str) -> String {
    redact_query(&redact(url))
}

/// A path with its query's secret-looking parameter values as `***`.
pub fn redact_query(path: &str) -> String {
    let Some((before, query)) = path.split_once('?') else { return path.to_owned() };
    let (query, fragment) = match query.split_once('#') {
        Some((q, f)) => (q, Some(f)),
        None => (query, None),
    };
    let params: Vec<String> = query
        .split('&')
        .map(|p| match p.split_once('=') {
            Some((name, _)) if super::debug::is_secret(name) => format!("{name}=***"),
            _ => p.to_owned(),
        })
        .collect();
    let fragment = fragment.map(|f| format!("#{f}")).unwrap_or_default();
    format!("{before}?{}{fragment}", params.join("&"))
}

/// Prints the URL without the password, and with secret query values masked.
impl fmt::Display for BrokerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://", self.scheme)?;
        if let Some(user) = &self.username {
            write!(f, "{user}{}@", if self.password.is_some() { ":***" } else { "" })?;
        }
        let host = if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
        write!(f, "{host}:{}", self.port)?;
        if self.scheme.is_websocket() {
            f.write_str(&redact_query(&self.path))?;
        }
        Ok(())
    }
}

/// The URL text with the password of its user info replaced by `***` (`mqtt://alice:***@host`), for
/// every place a URL is shown or logged. Works on text that does not parse as a broker URL too.
pub fn redact(input: &str) -> Cow<'_, str> {
    match password_span(input) {
        Some((from, to)) => Cow::Owned(format!("{}***{}", &input[..from], &input[to..])),
        None => Cow::Borrowed(input),
    }
}

/// The URL text without the password (and its ':'), for a URL that is saved to a file.
pub fn strip_password(input: &str) -> Cow<'_, str> {
    match password_span(input) {
        Some((from, to)) => Cow::Owned(format!("{}{}", &input[..from - 1], &input[to..])),
        None => Cow::Borrowed(input),
    }
}

/// Byte range of the password in `scheme://user:password@host...`, after the ':' and before the '@'.
fn password_span(input: &str) -> Option<(usize, usize)> {
    let start = input.find("://").map_or(0, |i| i + 3);
    let rest = input.get(start..)?;
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let at = authority.rfind('@')?;
    let colon = authority[..at].find(':')?;
    Some((start + colon + 1, start + at))
}

fn percent_decode(s: &str) -> Result<String, UrlError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes.get(i + 1..i + 3).ok_or(UrlError::BadPercentEncoding)?;
            let hex = std::str::from_utf8(hex).map_err(|_| UrlError::BadPercentEncoding)?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| UrlError::BadPercentEncoding)?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| UrlError::BadPercentEncoding)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> BrokerUrl {
        BrokerUrl::parse(s).unwrap()
    }

    #[test]
    fn defaults_per_scheme() {
        assert_eq!((url("mqtt://h").scheme, url("mqtt://h").port), (Scheme::Mqtt, 1883));
        assert_eq!((url("tcp://h").scheme, url("tcp://h").port), (Scheme::Mqtt, 1883));
        assert_eq!((url("mqtts://h").scheme, url("mqtts://h").port), (Scheme::Mqtts, 8883));
        assert_eq!(url("ssl://h").scheme, Scheme::Mqtts);
        assert_eq!(url("TLS://h").scheme, Scheme::Mqtts);
        assert_eq!((url("ws://h").scheme, url("ws://h").port), (Scheme::Ws, 80));
        assert_eq!((url("wss://h").scheme, url("wss://h").port), (Scheme::Wss, 443));
    }

    #[test]
    fn no_scheme_means_mqtt() {
        let u = url("broker.local:1999");
        assert_eq!((u.scheme, u.host.as_str(), u.port, u.explicit_port), (Scheme::Mqtt, "broker.local", 1999, true));
        assert_eq!(url("localhost").port, 1883);
    }

    #[test]
    fn path_defaults_to_slash_and_keeps_query() {
        assert_eq!(url("ws://h").path, "/");
        assert_eq!(url("ws://h:8080/mqtt").path, "/mqtt");
        assert_eq!(url("ws://h/mqtt?token=a#frag").path, "/mqtt?token=a");
        assert_eq!(url("ws://h?x=1").path, "/?x=1");
    }

    #[test]
    fn passwords_and_secret_query_values_are_redacted() {
        assert_eq!(
            shown("wss://me:hunter2@h.example/mqtt?X-Amz-Signature=abc&X-Amz-Date=20250101&token=t#f"),
            "wss://me:***@h.example/mqtt?X-Amz-Signature=***&X-Amz-Date=20250101&token=***#f"
        );
        assert_eq!(shown("mqtt://me@h:1883"), "mqtt://me@h:1883");
        assert_eq!(shown("h:1883"), "h:1883");
        assert_eq!(shown("ws://h/mqtt?x=1"), "ws://h/mqtt?x=1");
        assert_eq!(shown("me:pw@h:1883"), "me:***@h:1883");
        let parsed = BrokerUrl::parse("wss://me:pw@h/mqtt?X-Amz-Security-Token=abc").unwrap();
        assert_eq!(parsed.to_string(), "wss://me:***@h:443/mqtt?X-Amz-Security-Token=***");
    }

    #[test]
    fn ipv6_and_userinfo() {
        let u = url("wss://us%40er:p%3Ass@[::1]:9001/ws");
        assert_eq!(u.host, "::1");
        assert_eq!(u.port, 9001);
        assert_eq!(u.username.as_deref(), Some("us@er"));
        assert_eq!(u.password.as_deref(), Some("p:ss"));
        assert_eq!(u.authority(), "[::1]:9001");
        assert_eq!(u.to_string(), "wss://us@er:***@[::1]:9001/ws");
        assert_eq!(url("ws://[::1]").authority(), "[::1]");
    }

    #[test]
    fn redact_hides_only_the_password() {
        assert_eq!(redact("mqtt://alice:secret@host:1883"), "mqtt://alice:***@host:1883");
        assert_eq!(redact("ws://a:p%40ss@[::1]:9001/mqtt?x=a@b"), "ws://a:***@[::1]:9001/mqtt?x=a@b");
        assert_eq!(redact("alice:pw:with:colons@host"), "alice:***@host");
        assert_eq!(redact("htp://bob:pw@h"), "htp://bob:***@h", "even in a URL that does not parse");
        assert_eq!(redact("mqtt://alice@host"), "mqtt://alice@host");
        assert_eq!(redact("mqtt://host/path@x:y"), "mqtt://host/path@x:y");
        assert_eq!(redact("mqtt://h"), "mqtt://h");
        assert_eq!(strip_password("mqtt://alice:secret@host:1883"), "mqtt://alice@host:1883");
        assert_eq!(strip_password("mqtt://:pw@host"), "mqtt://@host");
        assert_eq!(strip_password("ws://host/mqtt"), "ws://host/mqtt");
    }

    #[test]
    fn errors() {
        assert_eq!(BrokerUrl::parse("http://h"), Err(UrlError::UnknownScheme("http".into())));
        assert_eq!(BrokerUrl::parse("mqtt://:1883"), Err(UrlError::NoHost));
        assert_eq!(BrokerUrl::parse("mqtt://h:0"), Err(UrlError::BadPort("0".into())));
        assert_eq!(BrokerUrl::parse("mqtt://h:99999"), Err(UrlError::BadPort("99999".into())));
        assert_eq!(BrokerUrl::parse("mqtt://[::1"), Err(UrlError::UnclosedBracket));
        assert_eq!(BrokerUrl::parse("mqtt://[::1]x"), Err(UrlError::Junk("x".into())));
        assert_eq!(BrokerUrl::parse("mqtt://a%zz@h"), Err(UrlError::BadPercentEncoding));
    }
}
