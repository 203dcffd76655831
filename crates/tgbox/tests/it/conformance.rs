//! The conformance suite on `memory:`, `local:` and the fault wrapper in pass-through mode.

use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use tgbox::channel::conformance::ChannelFactory;
use tgbox::channel::{FaultConfig, FaultyChannel, LocalChannel, MemoryChannel, Result};

struct Memory;

#[async_trait]
impl ChannelFactory for Memory {
    type Channel = MemoryChannel;
    async fn fresh(&self, title: &str) -> Result<MemoryChannel> {
        MemoryChannel::create(title, "", false)
    }
}

/// Local channels in a temporary directory that lives as long as the factory (one test).
struct Local {
    root: tempfile::TempDir,
    premium: bool,
    made: AtomicUsize,
}

impl Local {
    fn new(premium: bool) -> Self {
        Local {
            root: tempfile::tempdir().expect("temporary directory"),
            premium,
            made: AtomicUsize::new(0),
        }
    }
}

#[async_trait]
impl ChannelFactory for Local {
    type Channel = LocalChannel;
    async fn fresh(&self, title: &str) -> Result<LocalChannel> {
        let n = self.made.fetch_add(1, Ordering::Relaxed);
        LocalChannel::create(
            self.root.path().join(format!("chan{n}")),
            title,
            "",
            self.premium,
        )
        .await
    }
}

/// The fault wrapper with every fault off must be invisible.
struct Transparent;

#[async_trait]
impl ChannelFactory for Transparent {
    type Channel = FaultyChannel<MemoryChannel>;
    async fn fresh(&self, title: &str) -> Result<Self::Channel> {
        Ok(FaultyChannel::new(
            MemoryChannel::create(title, "", false)?,
            FaultConfig::none(1),
        ))
    }
}

mod memory {
    tgbox::channel_conformance_tests!(super::Memory);
}

mod local {
    tgbox::channel_conformance_tests!(super::Local::new(false));
}

mod local_premium {
    // The suite reads the limits from the channel, so the Premium ones are checked too.
    tgbox::channel_conformance_tests!(super::Local::new(true));
}

mod faulty_transparent {
    tgbox::channel_conformance_tests!(super::Transparent);
}
