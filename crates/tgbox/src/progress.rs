//! Watching long work: uploads, downloads, clones.

/// Receives progress of long operations. Called from any task or thread, often: keep it cheap.
pub trait Progress: Send + Sync {
    /// `done` of `total` units (bytes for transfers, messages for a clone; `total` is `None`
    /// when not known in advance).
    fn update(&self, done: u64, total: Option<u64>);
}

/// Progress nobody watches.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn update(&self, _: u64, _: Option<u64>) {}
}
