//! Channel addresses: the one place that maps `local:DIR`, `memory:` and `telegram:…` to a
//! backend.

use anyhow::{Result, bail};
use std::path::PathBuf;
use tgbox::channel::{Channel, LocalChannel};

/// A parsed channel address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    /// `local:DIR`: the embedded on-disk channel.
    Local(PathBuf),
}

impl Address {
    /// Parses an address.
    pub fn parse(text: &str) -> Result<Address> {
        if let Some(dir) = text.strip_prefix("local:") {
            if dir.is_empty() {
                bail!("`local:` needs a directory, e.g. local:./mybox");
            }
            return Ok(Address::Local(PathBuf::from(dir)));
        }
        if text == "memory:" || text.starts_with("memory:") {
            bail!(
                "a memory: channel lives inside one process and is gone when it exits; use local:DIR"
            );
        }
        if text.starts_with("telegram:") {
            bail!("telegram: channels are not available in this build; use local:DIR");
        }
        bail!("unknown channel address {text:?}: expected local:DIR")
    }

    /// Opens the existing channel at this address.
    pub async fn open(&self) -> Result<Box<dyn Channel>> {
        match self {
            Address::Local(dir) => Ok(Box::new(LocalChannel::open(dir).await?)),
        }
    }

    /// Creates a channel at this address.
    pub async fn create(
        &self,
        title: &str,
        about: &str,
        premium: bool,
    ) -> Result<Box<dyn Channel>> {
        match self {
            Address::Local(dir) => Ok(Box::new(
                LocalChannel::create(dir, title, about, premium).await?,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(
            Address::parse("local:/tmp/x").unwrap(),
            Address::Local("/tmp/x".into())
        );
        for bad in ["local:", "memory:", "telegram:123", "/tmp/x", ""] {
            assert!(Address::parse(bad).is_err(), "{bad}");
        }
    }
}
