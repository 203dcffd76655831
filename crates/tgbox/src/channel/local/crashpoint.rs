//! Named crash points for the crash tests of the local layout (spec/local-channel.md §6.6).
//!
//! When the process was started with `TGBOX_CRASH_POINT=<name>`, reaching that point aborts
//! the process on the spot — no destructors, no flushes, like `kill -9` — so that the tests can
//! check, point by point, that every crash state of §6.6 leaves the channel consistent. Without
//! the variable every point is a no-op after one cached lookup.

use std::sync::OnceLock;

/// The environment variable that arms a crash point.
pub const CRASH_POINT_VAR: &str = "TGBOX_CRASH_POINT";

fn armed() -> Option<&'static str> {
    static ARMED: OnceLock<Option<String>> = OnceLock::new();
    ARMED
        .get_or_init(|| std::env::var(CRASH_POINT_VAR).ok())
        .as_deref()
}

/// Aborts the process if `name` is the armed crash point.
pub(super) fn reach(name: &str) {
    if armed() == Some(name) {
        std::process::abort();
    }
}

/// Whether `name` is armed (for points that must do part of a write before aborting).
pub(super) fn is_armed(name: &str) -> bool {
    armed() == Some(name)
}
