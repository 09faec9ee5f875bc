//! `mqscope replay`: reads the file, then plays it into the dashboard or republishes it.

use crate::cli::ReplayArgs;
use crate::exit;
use crate::replay::{self, Pace};

pub fn run(args: &ReplayArgs, to_broker: bool) -> u8 {
    let records = match crate::record::read(&args.file) {
        Ok(r) => r,
        Err(e) => {
            crate::report!("mqscope replay: {e}");
            // A file that is no recording at all (a FIFO, a device, too large) is a usage error.
            return match &e {
                crate::record::ReadError::File(f) if f.io_kind().is_none() => exit::USAGE,
                _ => exit::FAILURE,
            };
        }
    };
    let pace = if args.max { Pace::Max } else { Pace::Speed(args.speed.unwrap_or(1.0)) };
    if let Pace::Speed(s) = pace
        && !(s > 0.0 && s.is_finite())
    {
        crate::report!("mqscope replay: --speed must be a positive number");
        return exit::USAGE;
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
                return exit::USAGE;
            }
        };
        let ack_timeout = std::time::Duration::from_secs(args.ack_timeout.max(1));
        return rt.block_on(replay::republish(records, pace, opts, ack_timeout));
    }
    let label = format!("replay {}", args.file.display());
    let _log = crate::tui_setup::init_logging_to(None, "info");
    let config = crate::app::Config {
        url: label.clone(),
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        zone: crate::timefmt::Zone::local(),
        ..crate::app::Config::default()
    };
    let result = rt.block_on(async {
        let handle = replay::spawn_into_app(records, pace, label);
        crate::tui::run_with(config, handle, 30).await
    });
    crate::tui::exit_code(result)
}
