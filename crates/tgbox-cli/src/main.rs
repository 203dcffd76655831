//! `tgbox`: encrypted cloud storage in your own Telegram channels.
//!
//! One module per noun. This build carries the offline `raw` tools; the box, file, share,
//! account and backup nouns arrive with the library they drive.

mod address;
mod output;
mod raw;

use clap::{Parser, Subcommand};

/// Encrypted cloud storage in your own Telegram channels, compatible with TGBOX.
#[derive(Debug, Parser)]
#[command(name = "tgbox", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Offline tools: keys, encrypt, decrypt and inspect single box files; raw channel access.
    #[command(subcommand)]
    Raw(raw::RawCommand),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Raw(cmd) => raw::run(cmd),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // One line: the error and its causes.
            let chain: Vec<String> = e.chain().map(ToString::to_string).collect();
            eprintln!("error: {}", chain.join(": "));
            std::process::ExitCode::FAILURE
        }
    }
}
