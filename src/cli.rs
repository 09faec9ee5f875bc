//! Command line: subcommands and flags (clap derive).

use crate::codec::{DEFAULT_MAX_PACKET_SIZE, ProtocolVersion};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  mqscope decode --hex <<< '30 0a 00 03 61 2f 62 68 65 6c 6c 6f'
  mqscope decode --mqtt 5 capture.bin
";

#[derive(Debug, Parser)]
#[command(name = "mqscope", version, about, after_help = EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Decode MQTT packets from a file or stdin and print each as one JSON object per line.
    Decode(DecodeArgs),
}

#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// Read this file instead of stdin.
    pub file: Option<PathBuf>,
    /// Input is hex text (white space and 0x prefixes ignored) instead of raw bytes.
    #[arg(long)]
    pub hex: bool,
    /// Protocol version of the stream: 3.1, 3.1.1 or 5. A CONNECT in the stream switches to its version.
    #[arg(long = "mqtt", value_name = "VERSION", default_value = "3.1.1")]
    pub version: ProtocolVersion,
    /// Largest packet accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_PACKET_SIZE)]
    pub max_packet_size: usize,
}
