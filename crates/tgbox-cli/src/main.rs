//! `tgbox`: encrypted cloud storage in your own Telegram channels.
//!
//! One module per noun (`boxes`, `file`, `dir`, `share`, `raw`); the state every command shares
//! (home, config, unlocked keys) is in `context`, and every error leaves through `failure` as
//! one line and an exit code that names its kind.

mod account;
mod accounts;
mod address;
mod backup;
mod boxes;
mod check;
mod context;
mod dir;
mod failure;
mod file;
mod filters;
mod home;
mod keycache;
mod out;
mod output;
mod phrase;
mod progress;
mod raw;
mod scrypt_args;
mod share;
mod view;

use clap::{CommandFactory, Parser, Subcommand};
use std::process::ExitCode;

use crate::context::{Ctx, Global};
use crate::failure::{CliError, EXIT_CODES_HELP, classify};

/// Encrypted cloud storage in your own Telegram channels, compatible with TGBOX.
#[derive(Debug, Parser)]
#[command(
    name = "tgbox",
    version,
    about,
    propagate_version = true,
    after_help = EXIT_CODES_HELP
)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Boxes: make, open, list, use, info, lock, close, delete, sync
    #[command(subcommand, name = "box")]
    Box(boxes::BoxCommand),
    /// Files of the box in use: upload, list, search, download, rename, move, tag, remove
    #[command(subcommand)]
    File(file::FileCommand),
    /// Directories of the box in use
    #[command(subcommand)]
    Dir(dir::DirCommand),
    /// Share files, directories and boxes, and accept what is shared with you
    #[command(subcommand)]
    Share(share::ShareCommand),
    /// Telegram accounts: login, list, use, logout, sessions
    #[command(subcommand)]
    Account(account::AccountCommand),
    /// Encrypted backups of a Telegram session, opened with a phrase alone (TGBACK-X)
    #[command(subcommand)]
    Backup(backup::BackupCommand),
    /// Offline tools: keys, encrypt, decrypt and inspect single box files; raw channel access.
    #[command(subcommand)]
    Raw(raw::RawCommand),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions {
        /// The shell
        shell: clap_complete::Shell,
    },
}

/// Logs to stderr: `-v` info, `-vv` debug, `-vvv` trace; `RUST_LOG` when set. Warnings by
/// default, nothing with `--quiet`.
fn init_logging(global: &Global) {
    use tracing_subscriber::EnvFilter;
    let level = match (global.quiet, global.verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        _ => "trace",
    };
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|v| EnvFilter::try_new(v).ok())
        .unwrap_or_else(|| EnvFilter::new(format!("tgbox={level},tgbox_cli={level}")));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}

async fn dispatch(global: Global, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "tgbox", &mut out);
            out::line(String::from_utf8_lossy(&out).trim_end())
        }
        // The raw tools run their own runtime where they need one: on a thread of their own.
        Command::Raw(cmd) => std::thread::spawn(move || raw::run(cmd))
            .join()
            .map_err(|_| anyhow::anyhow!("the raw command's thread failed"))?,
        Command::Box(cmd) => with_ctx(global, |ctx| boxes::run(ctx, cmd)).await,
        Command::File(cmd) => with_ctx(global, |ctx| file::run(ctx, cmd)).await,
        Command::Dir(cmd) => with_ctx(global, |ctx| dir::run(ctx, cmd)).await,
        Command::Share(cmd) => with_ctx(global, |ctx| share::run(ctx, cmd)).await,
        Command::Account(cmd) => with_ctx(global, |ctx| account::run(ctx, cmd)).await,
        Command::Backup(cmd) => with_ctx(global, |ctx| backup::run(ctx, cmd)).await,
    }
}

/// Runs a command with the home's state, then writes back what Telegram sessions learnt
/// (keys for other DCs, a new home DC), also when the command failed.
async fn with_ctx<'c, F, Fut>(global: Global, f: F) -> anyhow::Result<()>
where
    F: FnOnce(&'c Ctx) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>> + 'c,
{
    let ctx: &'c Ctx = Box::leak(Box::new(Ctx::new(global)?));
    let result = f(ctx).await;
    let saved = ctx.accounts.persist();
    result.and(saved)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli.global);
    finish(run_async(cli.global, cli.command))
}

/// Runs a command on a runtime, stopping at Ctrl-C.
fn run_async(global: Global, command: Command) -> anyhow::Result<()> {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return Err(anyhow::Error::new(e).context("cannot start")),
    };
    let result = runtime.block_on(async {
        tokio::select! {
            r = dispatch(global, command) => r,
            _ = tokio::signal::ctrl_c() => Err(CliError::Interrupted.into()),
        }
    });
    // Work still running on blocking threads is abandoned; what it left is resumable.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    result
}

/// Prints the error, if any, as one line and turns it into the exit code.
fn finish(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.downcast_ref::<out::StdoutClosed>().is_some() => ExitCode::SUCCESS,
        Err(e) => {
            let (exit, hint) = classify(&e);
            // One line: the error and its causes, without repeats.
            let mut parts: Vec<String> = Vec::new();
            for cause in e.chain() {
                // Some messages (a regex error's caret, say) span lines: one line it is.
                let s = cause
                    .to_string()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
                if !parts.iter().any(|p| p.contains(&s)) {
                    parts.push(s);
                }
            }
            eprintln!("error: {}", parts.join(": "));
            if let Some(h) = hint {
                eprintln!("hint: {h}");
            }
            ExitCode::from(exit as u8)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::failure::Exit;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn exit_codes_are_distinct() {
        let all = [
            Exit::Failure,
            Exit::Usage,
            Exit::NotFound,
            Exit::Access,
            Exit::Channel,
            Exit::Integrity,
            Exit::LocalIo,
            Exit::Conflict,
            Exit::Interrupted,
        ];
        let mut codes: Vec<u8> = all.iter().map(|e| *e as u8).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
        for e in all {
            assert!(EXIT_CODES_HELP.contains(&format!("  {}  ", e as u8)) || (e as u8) >= 100);
        }
    }
}
