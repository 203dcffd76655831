//! Progress of long work on stderr: a bar (indicatif) on a terminal; on anything else, a plain
//! line at most every few seconds, so logs of long jobs show they are alive without flooding.
//! `--quiet` silences both.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How often the plain fallback prints.
const PLAIN_EVERY: Duration = Duration::from_secs(5);

/// What a bar counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Bytes transferred.
    Bytes,
    /// Messages or files walked.
    Items,
}

enum Sink {
    Silent,
    Bar(ProgressBar),
    Plain { last: Mutex<Option<Instant>> },
}

/// A progress display for one long operation; also a `tgbox::Progress`.
pub struct Bar {
    label: String,
    unit: Unit,
    sink: Sink,
}

/// Human size: `12.3 MiB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

impl Bar {
    /// A display for `label`, drawn unless `quiet`.
    pub fn new(quiet: bool, label: impl Into<String>, unit: Unit) -> Bar {
        let label = label.into();
        let sink = if quiet {
            Sink::Silent
        } else if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            let style = match unit {
                Unit::Bytes => ProgressStyle::with_template(
                    "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                ),
                Unit::Items => ProgressStyle::with_template("{spinner} {msg}: {pos} {per_sec}"),
            }
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
            bar.set_style(style);
            bar.set_message(label.clone());
            bar.enable_steady_tick(Duration::from_millis(200));
            Sink::Bar(bar)
        } else {
            Sink::Plain {
                last: Mutex::new(Some(Instant::now())),
            }
        };
        Bar { label, unit, sink }
    }

    fn amount(&self, n: u64) -> String {
        match self.unit {
            Unit::Bytes => human_bytes(n),
            Unit::Items => n.to_string(),
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Sink::Bar(bar) = &self.sink {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.finish();
    }
}

impl tgbox::Progress for Bar {
    fn update(&self, done: u64, total: Option<u64>) {
        match &self.sink {
            Sink::Silent => {}
            Sink::Bar(bar) => {
                if let Some(t) = total
                    && bar.length() != Some(t)
                {
                    bar.set_length(t);
                }
                bar.set_position(done);
            }
            Sink::Plain { last } => {
                let mut last = last.lock().unwrap_or_else(|p| p.into_inner());
                if last.is_some_and(|t| t.elapsed() < PLAIN_EVERY) {
                    return;
                }
                *last = Some(Instant::now());
                match total {
                    Some(t) if t > 0 => eprintln!(
                        "{}: {}% ({} of {})",
                        self.label,
                        done.saturating_mul(100) / t,
                        self.amount(done),
                        self.amount(t)
                    ),
                    _ => eprintln!("{}: {}", self.label, self.amount(done)),
                }
            }
        }
    }
}

/// A spinner for work with no measure (scrypt).
pub struct Spinner(Option<ProgressBar>);

impl Spinner {
    /// Starts a spinner with `label` on a terminal, unless `quiet`.
    pub fn start(quiet: bool, label: &str) -> Spinner {
        if quiet || !std::io::stderr().is_terminal() {
            return Spinner(None);
        }
        let bar = ProgressBar::new_spinner();
        bar.set_message(label.to_owned());
        bar.enable_steady_tick(Duration::from_millis(120));
        Spinner(Some(bar))
    }

    /// Removes the spinner.
    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(25 * 1024 * 1024), "25.0 MiB");
    }
}
