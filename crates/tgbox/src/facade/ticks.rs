//! The upload journal's part ticks, written in batches.
//!
//! Every acknowledged part must reach the journal so a resumed upload skips it, but one SQLite
//! commit per part costs several disk syncs and, with parts of 512 KiB, held uploads to the
//! disk's sync rate. Ticks are gathered and committed together at most every
//! [`FLUSH_EVERY`], and once more when the parts are all sent or the sending stops. A crash
//! loses at most the ticks of that last interval: those parts are sent again on resume,
//! which the channel contract allows (sending a part again replaces it), so the journal stays
//! a safe lower bound of what the channel holds.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::blocking;
use crate::error::Result;
use crate::localbox::LocalBox;

/// The longest time an acknowledged part waits for its tick to be committed.
pub(super) const FLUSH_EVERY: Duration = Duration::from_millis(250);

/// Ticks of one upload's parts waiting to be committed.
pub(super) struct PartTicks {
    localbox: Arc<LocalBox>,
    salt: [u8; 32],
    pending: Mutex<(Vec<u32>, Instant)>,
}

impl PartTicks {
    pub(super) fn new(localbox: Arc<LocalBox>, salt: [u8; 32]) -> Self {
        PartTicks {
            localbox,
            salt,
            pending: Mutex::new((Vec::new(), Instant::now())),
        }
    }

    /// Notes that the channel acknowledged part `index`; commits the gathered ticks when the
    /// last commit is older than [`FLUSH_EVERY`].
    pub(super) async fn done(&self, index: u32) -> Result<()> {
        let due = {
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            pending.0.push(index);
            if pending.1.elapsed() >= FLUSH_EVERY {
                pending.1 = Instant::now();
                std::mem::take(&mut pending.0)
            } else {
                Vec::new()
            }
        };
        self.commit(due).await
    }

    /// Commits every tick gathered so far.
    pub(super) async fn flush(&self) -> Result<()> {
        let due = {
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            pending.1 = Instant::now();
            std::mem::take(&mut pending.0)
        };
        self.commit(due).await
    }

    async fn commit(&self, parts: Vec<u32>) -> Result<()> {
        if parts.is_empty() {
            return Ok(());
        }
        let (lb, salt) = (self.localbox.clone(), self.salt);
        blocking(move || lb.journal_parts_done(&salt, &parts)).await
    }
}
