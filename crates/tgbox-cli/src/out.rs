//! Writing results to stdout. A closed pipe (`tgbox file list | head`) ends the command quietly
//! and successfully instead of as an error; data goes to stdout, everything else to stderr.

use anyhow::Result;
use serde::Serialize;
use std::io::Write;

/// The reader of stdout went away.
#[derive(Debug, thiserror::Error)]
#[error("stdout was closed")]
pub struct StdoutClosed;

/// Writes `text` and a newline to stdout.
pub fn line(text: impl std::fmt::Display) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}").map_err(map)?;
    Ok(())
}

/// Writes `value` as pretty JSON to stdout.
pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    line(text)
}

/// Flushes stdout.
pub fn flush() -> Result<()> {
    std::io::stdout().lock().flush().map_err(map)?;
    Ok(())
}

fn map(e: std::io::Error) -> anyhow::Error {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        StdoutClosed.into()
    } else {
        anyhow::Error::new(e).context("cannot write to stdout")
    }
}
