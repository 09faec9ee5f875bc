use clap::Parser;
use mqscope::cli::{Cli, Command, DecodeArgs, TuiArgs};
use mqscope::exit;
use mqscope::headless::decode::{self, DecodeFailure};
use mqscope::headless::{conn, publish, sub};
use std::io::IsTerminal;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Some(Command::Decode(args)) => run_decode(&args),
        Some(Command::Sub(args)) => with_runtime(|rt| {
            let stdout = std::io::stdout();
            let terminal = stdout.is_terminal();
            let out = std::io::BufWriter::with_capacity(64 * 1024, stdout.lock());
            rt.block_on(sub::run(&args, out, terminal))
        }),
        Some(Command::Pub(args)) => with_runtime(|rt| rt.block_on(publish::run(&args))),
        Some(Command::Demo(args)) => mqscope::demo::run(&args),
        None => run_tui(&cli.tui),
    };
    ExitCode::from(code)
}

fn run_decode(args: &DecodeArgs) -> u8 {
    let opts = decode::Options { version: args.version, hex: args.hex, max_packet_size: args.max_packet_size };
    let stdout = std::io::stdout().lock();
    let result = match &args.file {
        Some(path) => match std::fs::File::open(path) {
            Ok(f) => decode::run(&opts, f, stdout),
            Err(e) => {
                eprintln!("mqscope: cannot open '{}': {e}", path.display());
                return exit::FAILURE;
            }
        },
        None => decode::run(&opts, std::io::stdin().lock(), stdout),
    };
    match result {
        Ok(_) => exit::OK,
        Err(e) => {
            eprintln!("mqscope decode: {e}");
            match e {
                DecodeFailure::Io(_) => exit::FAILURE,
                _ => exit::PROTOCOL,
            }
        }
    }
}

fn with_runtime(f: impl FnOnce(&tokio::runtime::Runtime) -> u8) -> u8 {
    match conn::runtime() {
        Ok(rt) => f(&rt),
        Err(e) => {
            eprintln!("mqscope: cannot start the async runtime: {e}");
            exit::FAILURE
        }
    }
}

fn run_tui(args: &TuiArgs) -> u8 {
    if args.conn.url.is_none() {
        eprintln!("mqscope: no broker URL: run 'mqscope -u ws://HOST:PORT/mqtt' (see 'mqscope --help')");
        return exit::USAGE;
    }
    let (config, task) = match mqscope::tui_setup::options(args) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("mqscope: {e}");
            return exit::USAGE;
        }
    };
    let _log = match mqscope::tui_setup::init_logging(args) {
        Ok(guard) => guard,
        Err(e) => {
            eprintln!("mqscope: cannot open the log file: {e}");
            return exit::FAILURE;
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("mqscope: cannot start the async runtime: {e}");
            return exit::FAILURE;
        }
    };
    match rt.block_on(mqscope::tui::run(config, task, args.fps)) {
        Ok(()) => exit::OK,
        Err(e) => {
            mqscope::tui::restore_terminal();
            eprintln!("mqscope: {e:#}");
            exit::FAILURE
        }
    }
}
