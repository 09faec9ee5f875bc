//! From `ConnArgs` to session options: URL, credentials (never echoed), TLS, headers, will. Shared by
//! every command that connects.

use crate::cli::ConnArgs;
use crate::codec::{ByteString, Bytes, LastWill, Properties, ProtocolVersion, Subscription};
use crate::exit;
use crate::session::{FatalKind, ReconnectPolicy, SessionConfig, TaskOptions};
use crate::transport::{BrokerUrl, TlsOptions, TransportOptions, redact_url};
use std::time::Duration;

/// A setup problem the user must fix before anything connects.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("no broker URL: pass -u/--url (e.g. -u ws://localhost:8080/mqtt) or set MQSCOPE_URL")]
    NoUrl,
    #[error("environment variable '{0}' (from --password-env) is not set")]
    PasswordEnvMissing(String),
    #[error("environment variable '{0}' (from --header-env) is not set or not UTF-8")]
    HeaderEnvMissing(String),
    #[error("--password-cmd '{cmd}' failed: {why}")]
    PasswordCmd { cmd: String, why: String },
    #[error("--ask-password: {0}")]
    Prompt(String),
    #[error("{0} must look like 'Name: value'")]
    BadHeader(String),
    #[error("--header-file {0}")]
    HeaderFile(String),
    /// Both parts sanitised, and the password masked: the URL is the user's input.
    #[error("invalid broker URL '{url}': {why}")]
    BadUrl { url: String, why: String },
    #[error("{option} '{}': {why}", path.display())]
    Unreadable { option: &'static str, path: std::path::PathBuf, why: String },
    #[error("{0}")]
    Invalid(String),
}

/// Any other problem with the options, said in words.
impl From<String> for SetupError {
    fn from(message: String) -> Self {
        Self::Invalid(message)
    }
}

impl SetupError {
    /// Input the user must correct is a usage error (2); a file, a command or a prompt that failed is 1.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::NoUrl
            | Self::BadUrl { .. }
            | Self::BadHeader(_)
            | Self::HeaderFile(_)
            | Self::HeaderEnvMissing(_)
            | Self::Invalid(_)
            | Self::PasswordEnvMissing(_) => exit::USAGE,
            Self::PasswordCmd { .. } | Self::Prompt(_) | Self::Unreadable { .. } => exit::FAILURE,
        }
    }
}

/// A random-enough client id: `mqscope-` and eight hex digits.
pub fn generated_client_id() -> String {
    let n = (crate::session::backoff::jitter() * f64::from(u32::MAX)) as u32;
    format!("mqscope-{n:08x}")
}

/// Resolves the password from the one source given; the URL's user info (`mqtt://user:pass@host`) comes
/// last. The value is never printed.
pub fn password(args: &ConnArgs) -> Result<Option<Bytes>, SetupError> {
    let from_url = args.url.as_deref().and_then(|u| BrokerUrl::parse(u).ok()).and_then(|u| u.password);
    match password_from_options(args)? {
        Some(pw) => Ok(Some(pw)),
        None => Ok(from_url.map(|pw| {
            crate::report!(
                "mqscope: warning: a password in the URL leaves it in shell history and the process list; \
                 prefer --password-env, --password-cmd or --ask-password"
            );
            Bytes::from(pw)
        })),
    }
}

fn password_from_options(args: &ConnArgs) -> Result<Option<Bytes>, SetupError> {
    if let Some(var) = &args.password_env {
        let value = std::env::var_os(var).ok_or_else(|| SetupError::PasswordEnvMissing(var.clone()))?;
        return Ok(Some(Bytes::from(value.into_encoded_bytes())));
    }
    if let Some(cmd) = &args.password_cmd {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(cmd)
            .stdin(std::process::Stdio::null())
            .output()
            .map_err(|e| SetupError::PasswordCmd { cmd: cmd.clone(), why: e.to_string() })?;
        if !out.status.success() {
            let why = format!("{} ({})", out.status, String::from_utf8_lossy(&out.stderr).trim());
            return Err(SetupError::PasswordCmd { cmd: cmd.clone(), why });
        }
        let first = out.stdout.split(|&b| b == b'\n').next().unwrap_or_default();
        let first = first.strip_suffix(b"\r").unwrap_or(first);
        return Ok(Some(Bytes::copy_from_slice(first)));
    }
    if args.ask_password {
        let prompt = match &args.username {
            Some(u) => format!("Password for {u}: "),
            None => "Password: ".to_string(),
        };
        let pw = rpassword::prompt_password(prompt).map_err(|e| SetupError::Prompt(e.to_string()))?;
        return Ok(Some(Bytes::from(pw)));
    }
    if let Some(pw) = &args.password_from_profile {
        return Ok(Some(Bytes::copy_from_slice(pw.as_bytes())));
    }
    if let Some(pw) = &args.password {
        crate::report!(
            "mqscope: warning: --password leaves the password in shell history and the process list; \
             prefer --password-env, --password-cmd or --ask-password"
        );
        return Ok(Some(Bytes::copy_from_slice(pw.as_bytes())));
    }
    Ok(None)
}

/// Options that only MQTT 5 can carry, with an older version asked for: refused, as they would be
/// dropped without a word. `given` names the options that were set.
pub fn need_v5(args: &ConnArgs, given: &[&str]) -> Result<(), SetupError> {
    match args.mqtt_version {
        Some(v) if !v.is_v5() && !given.is_empty() => {
            Err(SetupError::Invalid(format!("{} need MQTT 5 and cannot be sent with --mqtt {v}", given.join(", "))))
        }
        _ => Ok(()),
    }
}

/// One `Name: value` header; `place` says where it came from, for the error (never the value).
fn header(line: &str, place: impl FnOnce() -> String) -> Result<(String, String), SetupError> {
    match line.split_once(':') {
        Some((name, value)) if !name.trim().is_empty() => Ok((name.trim().to_string(), value.trim().to_string())),
        _ => Err(SetupError::BadHeader(place())),
    }
}

/// `Name: value` lines of a header file or variable: blank lines and `#` comments skipped.
fn header_lines<'a>(text: &'a str, place: &'a str) -> impl Iterator<Item = Result<(String, String), SetupError>> + 'a {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(move |(i, l)| header(l, || format!("{place} line {}", i + 1)))
}

/// Headers in the order later ones win: files, variables, then the profile's and `--header`.
fn headers(args: &ConnArgs) -> Result<Vec<(String, String)>, SetupError> {
    let mut out = Vec::new();
    for path in &args.header_files {
        let text = crate::files::read_regular_text(path, crate::files::HEADER_FILE_LIMIT)
            .map_err(|e| SetupError::HeaderFile(e.to_string()))?;
        let place = format!("--header-file '{}'", path.display());
        out.extend(header_lines(&text, &place).collect::<Result<Vec<_>, _>>()?);
    }
    for var in &args.header_envs {
        let text = std::env::var(var).map_err(|_| SetupError::HeaderEnvMissing(var.clone()))?;
        let place = format!("--header-env '{var}'");
        out.extend(header_lines(&text, &place).collect::<Result<Vec<_>, _>>()?);
    }
    for (i, h) in args.headers.iter().enumerate() {
        out.push(header(h, || format!("--header number {} (or a profile header)", i + 1))?);
    }
    Ok(out)
}

/// Everything the session task needs, from the command line. Warnings (insecure TLS, ignored options)
/// go to stderr here, loudly.
pub fn task_options(args: &ConnArgs, subscriptions: Vec<Subscription>) -> Result<TaskOptions, SetupError> {
    let url = args.url.clone().ok_or(SetupError::NoUrl)?;
    need_v5(args, if args.session_expiry.is_some() { &["--session-expiry"] } else { &[] })?;
    let parsed = BrokerUrl::parse(&url).map_err(|e| SetupError::BadUrl {
        url: crate::sanitize::line(&redact_url(&url)).into_owned(),
        why: crate::sanitize::line(&e.to_string()).into_owned(),
    })?;
    if parsed.scheme.is_tls() {
        // A missing file is the user's to fix, not a connection failure.
        for (option, path) in [("--cafile", &args.cafile), ("--cert", &args.cert), ("--key", &args.key)] {
            if let Some(path) = path {
                std::fs::File::open(path).map_err(|e| SetupError::Unreadable {
                    option,
                    path: path.clone(),
                    why: e.to_string(),
                })?;
            }
        }
    }
    // `--username` wins over the URL's user; the URL's password is read by `password`.
    let url_user = parsed.username;
    // The transport never needs the password: everything it shows (events, errors, the status line, the
    // log) then shows `***`.
    let mut transport = TransportOptions::new(redact_url(&url));
    transport.headers = headers(args)?;
    transport.tls = TlsOptions {
        ca_file: args.cafile.clone(),
        client_cert: args.cert.clone(),
        client_key: args.key.clone(),
        insecure: args.insecure,
        alpn: args.alpn.clone(),
    };
    transport.connect_timeout = args.connect_timeout;
    transport.handshake_timeout = transport.connect_timeout;
    for w in transport.warnings() {
        crate::report!("mqscope: warning: {w}");
    }
    let will = args.will_topic.as_ref().map(|topic| LastWill {
        topic: ByteString::from(topic.as_str()),
        payload: Bytes::from(args.will_payload.clone().unwrap_or_default()),
        qos: args.will_qos,
        retain: args.will_retain,
        properties: Properties::default(),
    });
    if let Some(w) = &will {
        crate::codec::topic::check_topic_name(&w.topic)
            .map_err(|k| SetupError::Invalid(format!("--will-topic '{}': {k}", w.topic)))?;
    }
    let max_packet_size = u32::try_from(args.max_packet_size).unwrap_or(u32::MAX);
    let session = SessionConfig {
        client_id: args.client_id.clone().unwrap_or_else(generated_client_id),
        version: args.mqtt_version.unwrap_or(ProtocolVersion::V5),
        version_forced: args.mqtt_version.is_some(),
        keep_alive: args.keepalive.unwrap_or(30),
        clean_start: !args.no_clean,
        session_expiry: args.session_expiry,
        username: args.username.clone().or(url_user),
        password: password(args)?,
        will,
        max_packet_size,
        receive_maximum: 65_535,
        topic_alias_maximum: args.topic_alias_max,
        max_inflight: args.max_inflight,
        subscriptions,
        connack_timeout: transport.connect_timeout,
    };
    let mut opts = TaskOptions::new(transport, session);
    opts.debug = args.debug;
    // A broker that broke the protocol once will do it again: scripts get exit 5, not a loop.
    opts.reconnect =
        ReconnectPolicy { retry_first_connect: false, protocol_errors_fatal: true, ..ReconnectPolicy::default() };
    Ok(opts)
}

/// The exit code for a session that stopped for good.
pub fn exit_code(kind: FatalKind) -> u8 {
    match kind {
        FatalKind::Connect => exit::CONNECT,
        FatalKind::Auth => exit::AUTH,
        FatalKind::Protocol => exit::PROTOCOL,
        FatalKind::Timeout => exit::TIMEOUT,
        FatalKind::Requested => exit::OK,
    }
}

/// Says on stderr why the connection was lost. `Ok(wait)`: the session reconnects after `wait`;
/// `Err(code)`: it stopped for good, with this exit code.
pub fn disconnected(reason: &str, reconnect_in: Option<Duration>, fatal: Option<FatalKind>) -> Result<Duration, u8> {
    match (reconnect_in, fatal) {
        (Some(wait), _) => {
            crate::report!("mqscope: {reason}; reconnecting in {:.1} s", wait.as_secs_f64());
            Ok(wait)
        }
        (None, Some(kind)) => {
            crate::report!("mqscope: {reason}");
            Err(exit_code(kind))
        }
        (None, None) => Err(exit::FAILURE),
    }
}

/// A single-threaded runtime: the session task and the printer share one core, so handing a batch
/// over costs no cross-thread wake-up, and the other core is left to the broker.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread().enable_all().build()
}
