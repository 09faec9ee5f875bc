use clap::{CommandFactory, Parser};
use mqscope::cli::{Cli, Command, DecodeArgs};
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
        None => {
            let _ = Cli::command().print_help();
            exit::USAGE
        }
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
