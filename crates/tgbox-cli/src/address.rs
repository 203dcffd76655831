//! Channel addresses: the one place that maps `local:DIR`, `memory:` and `telegram:…` to a
//! backend.

use anyhow::{Result, bail};

use crate::failure::CliError;
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
                return Err(CliError::Usage(
                    "`local:` needs a directory, e.g. local:./mybox".into(),
                )
                .into());
            }
            return Ok(Address::Local(PathBuf::from(dir)));
        }
        if text == "memory:" || text.starts_with("memory:") {
            return Err(CliError::Usage("a memory: channel lives inside one process and is gone when it exits; use local:DIR".into()).into());
        }
        if text == "telegram" || text.starts_with("telegram:") {
            return Err(CliError::Usage(
                "telegram: channels are not available in this build yet; use local:DIR".into(),
            )
            .into());
        }
        Err(CliError::Usage(format!(
            "unknown channel address {text:?}: expected local:DIR"
        ))
        .into())
    }

    /// The same address with a local directory made absolute, so that it still names the same
    /// channel from another working directory.
    pub fn absolute(self) -> Result<Address> {
        match self {
            Address::Local(dir) => {
                Ok(Address::Local(std::path::absolute(&dir).map_err(|e| {
                    anyhow::anyhow!("cannot resolve {}: {e}", dir.display())
                })?))
            }
        }
    }

    /// Removes the channel at this address with everything in it. A local directory is removed
    /// only when it is a local channel (it holds `channel.json`, spec/local-channel.md §2).
    pub fn destroy(&self) -> Result<()> {
        match self {
            Address::Local(dir) => {
                if !dir.join("channel.json").is_file() {
                    bail!("{} is not a local channel; not removed", dir.display());
                }
                std::fs::remove_dir_all(dir)
                    .map_err(|e| anyhow::anyhow!("cannot remove {}: {e}", dir.display()))
            }
        }
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

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Address::Local(dir) => write!(f, "local:{}", dir.display()),
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
        assert_eq!(
            Address::parse("local:rel").unwrap().absolute().unwrap(),
            Address::Local(std::env::current_dir().unwrap().join("rel"))
        );
        assert_eq!(Address::Local("/a/b".into()).to_string(), "local:/a/b");
        for bad in ["local:", "memory:", "telegram:123", "/tmp/x", ""] {
            assert!(Address::parse(bad).is_err(), "{bad}");
        }
    }
}
