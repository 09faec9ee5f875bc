use clap::CommandFactory;
use mqscope::cli::{Cli, Command, DecodeArgs, TuiArgs};
use mqscope::exit;
use mqscope::headless::decode::{self, DecodeFailure};
use mqscope::headless::{clean_retained, conn, publish, sub};
use std::io::IsTerminal;
use std::process::ExitCode;

fn main() -> ExitCode {
    mqscope::STARTED.get_or_init(std::time::Instant::now);
    let mut cli = match mqscope::cli::parse() {
        Ok(cli) => cli,
        Err(message) => {
            mqscope::report_lines!("{message}");
            return ExitCode::from(exit::USAGE);
        }
    };
    let config = cli.config.clone();
    let code = match cli.command.take() {
        Some(Command::Decode(args)) => run_decode(&args),
        Some(Command::Sub(mut args)) => match profiles::for_command(config.as_deref(), &mut args.conn) {
            Ok(profile) => with_runtime(|rt| {
                if let Some(p) = &profile {
                    mqscope::config::apply::sub(&mut args, p);
                }
                let stdout = std::io::stdout();
                let terminal = stdout.is_terminal();
                let out = std::io::BufWriter::with_capacity(64 * 1024, stdout.lock());
                rt.block_on(sub::run(&args, out, terminal))
            }),
            Err(code) => code,
        },
        Some(Command::Pub(mut args)) => match profiles::for_command(config.as_deref(), &mut args.conn) {
            Ok(profile) => with_runtime(|rt| {
                if let Some(p) = &profile {
                    mqscope::config::apply::publish(&mut args, p);
                }
                rt.block_on(publish::run(&args))
            }),
            Err(code) => code,
        },
        Some(Command::CleanRetained(mut args)) => match profiles::for_command(config.as_deref(), &mut args.conn) {
            Ok(_) => with_runtime(|rt| {
                let stdout = std::io::stdout();
                let terminal = stdout.is_terminal();
                rt.block_on(clean_retained::run(&args, stdout.lock(), terminal))
            }),
            Err(code) => code,
        },
        Some(Command::Diff(args)) => run_diff(config.as_deref(), &args),
        Some(Command::Bench(mut mode)) => {
            let conn = match &mut *mode {
                mqscope::cli::bench::BenchMode::Pub(a) => &mut a.conn.conn,
                mqscope::cli::bench::BenchMode::Sub(a) => &mut a.conn.conn,
                mqscope::cli::bench::BenchMode::Latency(a) => &mut a.conn.conn,
                mqscope::cli::bench::BenchMode::Conn(a) => &mut a.conn.conn,
            };
            match profiles::for_command(config.as_deref(), conn) {
                Ok(_) => with_runtime(|rt| {
                    let stdout = std::io::stdout();
                    let terminal = stdout.is_terminal();
                    let mut out = stdout.lock();
                    rt.block_on(mqscope::bench::run(&mode, &mut out, terminal))
                }),
                Err(code) => code,
            }
        }
        Some(Command::Demo(args)) => mqscope::demo::run(&args),
        Some(Command::Profiles) => profiles::list(config.as_deref()),
        Some(Command::Replay(mut args)) => {
            if let Some(url) = args.to.take() {
                args.conn.url = Some(url);
                match profiles::for_command(config.as_deref(), &mut args.conn) {
                    Ok(_) => mqscope::record::command::run(&args, true),
                    Err(code) => code,
                }
            } else {
                mqscope::record::command::run(&args, false)
            }
        }
        Some(Command::Completions { shell }) => {
            // Into memory first: the generator panics on a closed pipe.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "mqscope", &mut script);
            mqscope::headless::print_all(&script)
        }
        Some(Command::Man) => {
            let mut page = Vec::new();
            match clap_mangen::Man::new(Cli::command()).render(&mut page) {
                Ok(()) => mqscope::headless::print_all(&page),
                Err(e) => {
                    mqscope::report!("mqscope: {e}");
                    exit::FAILURE
                }
            }
        }
        None if cli.tui.brokers.len() >= 2 => run_tabs(config.as_deref(), &cli.tui),
        None => {
            let mut args = cli.tui;
            // Brokers added at runtime (`A`) share the command line's options, not the first profile's.
            let adder = mqscope::tui_add::Adder::new(config.clone(), &args);
            match profiles::for_dashboard(config.as_deref(), &mut args) {
                Ok(None) if args.conn.url.is_none() => match profiles::manager(config.as_deref(), &mut args) {
                    Ok(profiles::Next::Dashboard(profile)) => run_tui(&args, profile.as_ref().as_ref(), adder),
                    Ok(profiles::Next::Demo) => mqscope::demo::run(&mqscope::cli::DemoArgs {
                        headless: false,
                        port: None,
                        fps: 30,
                        log_file: None,
                    }),
                    Ok(profiles::Next::Quit) => exit::OK,
                    Err(code) => code,
                },
                Ok(profile) => run_tui(&args, profile.as_ref(), adder),
                Err(code) => code,
            }
        }
    };
    ExitCode::from(code)
}

/// Profiles from the config file, applied under the command line's flags.
mod profiles {
    use mqscope::cli::{ConnArgs, TuiArgs};
    use mqscope::config::{self, Profile, apply};
    use mqscope::exit;
    use std::path::Path;

    fn warn(warnings: Vec<String>) {
        for w in warnings {
            mqscope::report!("mqscope: warning: {w}");
        }
    }

    /// The named profile, or the file's default one when nothing names a broker; with the file's theme.
    fn pick(file: Option<&Path>, name: Option<&str>, has_url: bool) -> Result<(Option<Profile>, Option<String>), u8> {
        let loaded = config::load(file).map_err(|e| {
            mqscope::report!("mqscope: {e}");
            exit::USAGE
        })?;
        let Some((path, cfg)) = loaded else {
            if let Some(name) = name {
                mqscope::report!("mqscope: no config file to take profile '{name}' from (see --config)");
                return Err(exit::USAGE);
            }
            return Ok((None, None));
        };
        let name = match (name, &cfg.default_profile) {
            (Some(n), _) => n,
            (None, Some(d)) if !has_url => d.as_str(),
            _ => return Ok((None, cfg.theme.clone())),
        };
        let profile = cfg.profile(&path, name).cloned().map_err(|e| {
            mqscope::report!("mqscope: {e}");
            exit::USAGE
        })?;
        Ok((Some(profile), cfg.theme.clone()))
    }

    /// Applies the profile, if any, to the connection options, and returns it for the rest.
    pub fn for_command(file: Option<&Path>, args: &mut ConnArgs) -> Result<Option<Profile>, u8> {
        let (profile, _) = pick(file, args.profile.as_deref(), args.url.is_some())?;
        if let Some(p) = &profile {
            warn(apply::conn(args, p).map_err(|e| {
                mqscope::report!("mqscope: profile: {e}");
                exit::USAGE
            })?);
        }
        Ok(profile)
    }

    pub fn for_dashboard(file: Option<&Path>, args: &mut TuiArgs) -> Result<Option<Profile>, u8> {
        let (profile, file_theme) = pick(file, args.conn.profile.as_deref(), args.conn.url.is_some())?;
        if args.theme.is_none() && profile.as_ref().is_none_or(|p| p.theme.is_none()) {
            args.theme = file_theme.and_then(|t| t.parse().ok());
        }
        if let Some(p) = &profile {
            warn(apply::tui(args, p).map_err(|e| {
                mqscope::report!("mqscope: profile: {e}");
                exit::USAGE
            })?);
        }
        Ok(profile)
    }

    pub enum Next {
        Dashboard(Box<Option<Profile>>),
        Demo,
        Quit,
    }

    /// The connection manager: a saved profile, the demo, or a new connection (saved if named).
    pub fn manager(file: Option<&Path>, args: &mut TuiArgs) -> Result<Next, u8> {
        use mqscope::manager::{self, Choice, Manager};
        let loaded = config::load(file).map_err(|e| {
            mqscope::report!("mqscope: {e}");
            exit::USAGE
        })?;
        let path = loaded
            .as_ref()
            .map(|(p, _)| p.clone())
            .or_else(|| config::locate(file).map(|(p, _)| p))
            .unwrap_or_else(|| "config.toml".into());
        let list = loaded
            .as_ref()
            .map(|(_, c)| {
                c.profiles
                    .iter()
                    .map(|(n, p)| {
                        (n.clone(), mqscope::transport::redact_url(p.url.as_deref().unwrap_or_default()).into_owned())
                    })
                    .collect()
            })
            .unwrap_or_default();
        let theme = mqscope::ui::theme::Theme::new(
            args.theme.unwrap_or_default(),
            std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        );
        let choice = manager::run(Manager::new(list, path.display().to_string(), true), theme).map_err(|e| {
            mqscope::tui::restore_terminal();
            mqscope::report!("mqscope: {e:#}");
            exit::FAILURE
        })?;
        match choice {
            // Only the dashboard's manager asks for a password itself.
            Choice::Quit | Choice::Password { .. } => Ok(Next::Quit),
            Choice::Demo => Ok(Next::Demo),
            Choice::Profile(name) => {
                args.conn.profile = Some(name);
                for_dashboard(file, args).map(|p| Next::Dashboard(Box::new(p)))
            }
            Choice::New { profile, save_as, ask_password } => {
                if let Some(name) = &save_as {
                    match config::save::save_profile(&path, name, &profile) {
                        Ok(()) => mqscope::report!("mqscope: saved profile '{name}' in {}", path.display()),
                        Err(e) => mqscope::report!("mqscope: warning: profile not saved: {e}"),
                    }
                }
                let p = Profile {
                    url: Some(profile.url),
                    mqtt: profile.mqtt,
                    client_id: profile.client_id,
                    username: profile.username,
                    password_env: profile.password_env,
                    password_prompt: Some(ask_password),
                    subscriptions: profile
                        .subscriptions
                        .into_iter()
                        .map(|(filter, qos)| config::SubscriptionProfile { filter, qos })
                        .collect(),
                    ..Profile::default()
                };
                warn(apply::tui(args, &p).map_err(|e| {
                    mqscope::report!("mqscope: {e}");
                    exit::USAGE
                })?);
                Ok(Next::Dashboard(Box::new(Some(p))))
            }
        }
    }

    /// Text for stdout, escaped; a reader that went away (`| head`) is not an error, others are.
    fn printed(text: &str) -> u8 {
        match mqscope::sanitize::print_text(text) {
            Ok(()) => exit::OK,
            Err(e) => exit::write_failed(&e),
        }
    }

    pub fn list(file: Option<&Path>) -> u8 {
        match config::load(file) {
            Ok(Some((path, cfg))) => printed(&format!("# {}\n{}", path.display(), config::listing(&cfg))),
            Ok(None) => {
                let hint = config::locate(None).map(|(p, _)| p.display().to_string()).unwrap_or_default();
                printed(&format!("no config file ({hint}); see config.example.toml\n"))
            }
            Err(e) => {
                mqscope::report!("mqscope: {e}");
                exit::USAGE
            }
        }
    }
}

fn run_decode(args: &DecodeArgs) -> u8 {
    let opts = decode::Options { version: args.version, hex: args.hex, max_packet_size: args.max_packet_size };
    let stdout = std::io::stdout().lock();
    let result = match &args.file {
        Some(path) => match std::fs::File::open(path) {
            Ok(f) => decode::run(&opts, f, stdout),
            Err(e) => {
                mqscope::report!("mqscope: cannot open '{}': {e}", path.display());
                return exit::FAILURE;
            }
        },
        None => decode::run(&opts, std::io::stdin().lock(), stdout),
    };
    match result {
        Ok(_) => exit::OK,
        Err(DecodeFailure::Write(e)) => exit::write_failed(&e),
        Err(e) => {
            mqscope::report!("mqscope decode: {e}");
            match e {
                DecodeFailure::Read(_) => exit::FAILURE,
                _ => exit::PROTOCOL,
            }
        }
    }
}

/// `diff`: both brokers' options, each with its profile applied, then the comparison.
fn run_diff(config: Option<&std::path::Path>, args: &mqscope::cli::DiffArgs) -> u8 {
    let mut conns = match mqscope::headless::diff::sides(args) {
        Ok(c) => c,
        Err(e) => {
            mqscope::report!("mqscope: {e}");
            return exit::USAGE;
        }
    };
    for conn in &mut conns {
        if conn.profile.is_some()
            && let Err(code) = profiles::for_command(config, conn)
        {
            return code;
        }
    }
    with_runtime(|rt| {
        let out = std::io::BufWriter::new(std::io::stdout().lock());
        rt.block_on(mqscope::headless::diff::run(args, conns, out))
    })
}

fn with_runtime(f: impl FnOnce(&tokio::runtime::Runtime) -> u8) -> u8 {
    match conn::runtime() {
        Ok(rt) => f(&rt),
        Err(e) => {
            mqscope::report!("mqscope: cannot start the async runtime: {e}");
            exit::FAILURE
        }
    }
}

fn run_tui(args: &TuiArgs, profile: Option<&mqscope::config::Profile>, adder: mqscope::tui_add::Adder) -> u8 {
    if args.conn.url.is_none() {
        mqscope::report!("mqscope: no broker URL: run 'mqscope -u ws://HOST:PORT/mqtt' (see 'mqscope --help')");
        return exit::USAGE;
    }
    // The log first, so that what the options find (an unknown time zone) is written down.
    let _log = match mqscope::tui_setup::init_logging(args) {
        Ok(guard) => guard,
        Err(e) => {
            mqscope::report!("mqscope: cannot open the log file: {e}");
            return exit::FAILURE;
        }
    };
    let (config, task) = match mqscope::tui_setup::options(args, profile) {
        Ok(v) => v,
        Err(e) => {
            mqscope::report!("mqscope: {e}");
            return e.exit_code();
        }
    };
    let rt = match mqscope::tui::runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let name = mqscope::app::tabs::tab_name(args.conn.profile.as_deref(), &config.url);
    let result = rt.block_on(mqscope::tui::run(name, config, task, args.fps.unwrap_or(30), Some(adder)));
    // A broker still being added (a password command that never ends) must not hold up the exit.
    rt.shutdown_background();
    mqscope::tui::exit_code(result)
}

/// The dashboard with a tab per broker: each broker's profile applied under the shared flags, all
/// checked before the screen opens.
fn run_tabs(config: Option<&std::path::Path>, args: &TuiArgs) -> u8 {
    use mqscope::cli::BrokerArg;
    let _log = match mqscope::tui_setup::init_logging(args) {
        Ok(guard) => guard,
        Err(e) => {
            mqscope::report!("mqscope: cannot open the log file: {e}");
            return exit::FAILURE;
        }
    };
    let mut brokers = Vec::new();
    for broker in &args.brokers {
        let mut one = args.clone();
        one.brokers.clear();
        let (url, profile) = match broker {
            BrokerArg::Url(u) => (Some(u.clone()), None),
            BrokerArg::Profile(p) => (None, Some(p.clone())),
        };
        one.conn.url = url;
        one.conn.profile = profile.clone();
        let loaded = match profiles::for_dashboard(config, &mut one) {
            Ok(p) => p,
            Err(code) => return code,
        };
        let Some(url) = one.conn.url.clone() else {
            mqscope::report!(
                "mqscope: profile '{}' has no url",
                mqscope::sanitize::line(profile.as_deref().unwrap_or_default())
            );
            return exit::USAGE;
        };
        let (config, task) = match mqscope::tui_setup::options(&one, loaded.as_ref()) {
            Ok(v) => v,
            Err(e) => {
                mqscope::report!("mqscope: {}: {e}", mqscope::app::tabs::tab_name(profile.as_deref(), &url));
                return e.exit_code();
            }
        };
        let name = mqscope::app::tabs::tab_name(profile.as_deref(), &config.url);
        brokers.push(mqscope::tui::Broker { name, config, task });
    }
    let rt = match mqscope::tui::runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let adder = mqscope::tui_add::Adder::new(config.map(std::path::Path::to_path_buf), args);
    let result = rt.block_on(mqscope::tui::run_brokers(brokers, args.fps.unwrap_or(30), Some(adder)));
    // A broker still being added (a password command that never ends) must not hold up the exit.
    rt.shutdown_background();
    mqscope::tui::exit_code(result)
}
