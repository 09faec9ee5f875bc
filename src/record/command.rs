//! `mqscope replay`: plays a recording into the dashboard or republishes it, reading the file as it
//! goes. With `--strict` the whole file is checked first (a streaming pass) and a bad line refuses.

use super::replay::{self, Pace, Report, Source};
use super::{Reader, scan};
use crate::cli::ReplayArgs;
use crate::exit;
use std::sync::{Arc, Mutex};

pub fn run(args: &ReplayArgs, to_broker: bool) -> u8 {
    let file = crate::sanitize::line(&args.file.display().to_string()).into_owned();
    let pace = if args.max { Pace::Max } else { Pace::Speed(args.speed.unwrap_or(1.0)) };
    if let Pace::Speed(s) = pace
        && !(s > 0.0 && s.is_finite())
    {
        crate::report!("mqscope replay: --speed must be a positive number");
        return exit::USAGE;
    }
    let regular = match crate::files::check_streamable(&args.file) {
        Ok(regular) => regular,
        Err(e) => {
            crate::report!("mqscope replay: {e}");
            return if e.io_kind().is_some() { exit::FAILURE } else { exit::USAGE };
        }
    };
    if args.strict && !regular {
        crate::report!("mqscope replay: --strict reads '{file}' twice, so it must be a regular file, not a pipe");
        return exit::USAGE;
    }
    if args.strict {
        match scan(&args.file) {
            Ok(found) if found.bad.total > 0 => {
                for line in found.bad.report(&args.file) {
                    crate::report!("mqscope replay: {line}");
                }
                crate::report!(
                    "mqscope replay: '{file}' has {} bad line(s); nothing replayed (--strict)",
                    found.bad.total
                );
                return exit::FAILURE;
            }
            Ok(_) => {}
            Err(e) => {
                crate::report!("mqscope replay: cannot read '{file}': {e}");
                return exit::FAILURE;
            }
        }
    }
    let reader = match Reader::open(&args.file) {
        Ok(r) => r,
        Err(e) => {
            crate::report!("mqscope replay: cannot read '{file}': {e}");
            return exit::FAILURE;
        }
    };
    let report = Arc::new(Mutex::new(Report::default()));
    let mut source = Source::new(reader, &args.file, report.clone());
    if regular && !to_broker {
        let (again, whole) = (args.file.clone(), args.file.clone());
        source = source.seekable(Box::new(move || Reader::open(&again)), Box::new(move || scan(&whole)));
    }
    let rt = match crate::tui::runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    if to_broker {
        let opts = match crate::headless::conn::task_options(&args.conn, Vec::new()) {
            Ok(o) => o,
            Err(e) => {
                crate::report!("mqscope: {e}");
                return e.exit_code();
            }
        };
        return rt.block_on(replay::republish(source, pace, opts, args.ack_timeout));
    }
    let protos = match crate::payload::protobuf::Protos::load(&args.proto.specs(&[])) {
        Ok(p) => p,
        Err(e) => {
            crate::report!("mqscope: {e}");
            return crate::exit::USAGE;
        }
    };
    // Compiled before the screen is taken: a schema that does not compile is an error naming it.
    let schemas = match crate::payload::schema::Schemas::load(&args.schemas) {
        Ok(s) => s,
        Err(e) => {
            crate::report!("mqscope: {e}");
            return crate::exit::USAGE;
        }
    };
    let label = format!("replay {}", args.file.display());
    let _log = crate::tui_setup::init_logging_to(None, "info");
    let config = crate::app::Config {
        url: label.clone(),
        replay: Some(file.clone()),
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        zone: crate::timefmt::Zone::local(),
        payload_views: args
            .proto
            .protos
            .iter()
            .map(|s| (s.filter.clone(), crate::payload::PayloadFormat::Protobuf))
            .collect(),
        protos: std::sync::Arc::new(protos),
        schemas: std::sync::Arc::new(schemas),
        ..crate::app::Config::default()
    };
    let result = rt.block_on(async {
        let replay = replay::spawn_into_app(source, pace, label);
        crate::tui::run_replay(config, replay, 30).await
    });
    let code = crate::tui::exit_code(result);
    // The screen is gone: what the file held that could not be played goes to stderr.
    let report = report.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    for line in report.lines(&args.file) {
        crate::report!("mqscope replay: {line}");
    }
    code.max(report.exit_code())
}
