//! Channel addresses: the one place that maps `local:DIR`, `memory:` and `telegram:…` to a
//! backend.

use anyhow::{Result, bail};

use crate::accounts::Accounts;
use crate::failure::CliError;
use std::path::PathBuf;
use tgbox::channel::{Channel, LocalChannel};
use tgbox_telegram::{ChannelAddress, TelegramChannel};

/// A parsed channel address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    /// `local:DIR`: the embedded on-disk channel.
    Local(PathBuf),
    /// `telegram`: a new Telegram channel, made by `box make`.
    TelegramNew,
    /// `telegram:@name` or `telegram:ID`: an existing Telegram channel.
    Telegram(ChannelAddress),
}

/// Which Telegram account reaches a `telegram:` address.
pub struct Reach<'a> {
    /// The home's accounts.
    pub accounts: &'a Accounts,
    /// The account's name (resolved by the caller: the box's, `--account`, or the current).
    pub account: Option<&'a str>,
}

impl Reach<'_> {
    fn channel_connection(&self) -> Result<std::sync::Arc<tgbox_telegram::Connection>> {
        let name = self.account.ok_or_else(|| {
            CliError::Usage(
                "no Telegram account: `tgbox account login NAME` first, or give --account NAME"
                    .into(),
            )
        })?;
        self.accounts.connection(name)
    }
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
        if text == "telegram" {
            return Ok(Address::TelegramNew);
        }
        if let Some(target) = text.strip_prefix("telegram:") {
            return ChannelAddress::parse(target)
                .map(Address::Telegram)
                .map_err(|e| {
                    CliError::Usage(format!(
                        "{text:?}: {}; expected telegram:@name or telegram:ID",
                        e.detail()
                    ))
                    .into()
                });
        }
        Err(CliError::Usage(format!(
            "unknown channel address {text:?}: expected local:DIR, telegram, telegram:@name \
             or telegram:ID"
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
            other => Ok(other),
        }
    }

    /// Whether this address needs a Telegram account.
    pub fn is_telegram(&self) -> bool {
        !matches!(self, Address::Local(_))
    }

    /// Removes the channel at this address with everything in it. A local directory is removed
    /// only when it is a local channel (it holds `channel.json`, spec/local-channel.md §2).
    /// A Telegram channel is deleted through the account (creator only).
    pub async fn destroy(&self, reach: &Reach<'_>) -> Result<()> {
        match self {
            Address::Local(dir) => {
                if !dir.join("channel.json").is_file() {
                    bail!("{} is not a local channel; not removed", dir.display());
                }
                std::fs::remove_dir_all(dir)
                    .map_err(|e| anyhow::anyhow!("cannot remove {}: {e}", dir.display()))
            }
            Address::Telegram(target) => {
                let ch = TelegramChannel::find(reach.channel_connection()?, target).await?;
                Ok(ch.delete_channel().await?)
            }
            Address::TelegramNew => bail!("`telegram` names no channel to delete"),
        }
    }

    /// Opens a `local:` channel (the offline `raw` tools have no accounts).
    pub async fn open_local(&self) -> Result<Box<dyn Channel>> {
        match self {
            Address::Local(dir) => Ok(Box::new(LocalChannel::open(dir).await?)),
            _ => Err(offline_only()),
        }
    }

    /// Creates a `local:` channel (the offline `raw` tools).
    pub async fn create_local(
        &self,
        title: &str,
        about: &str,
        premium: bool,
    ) -> Result<Box<dyn Channel>> {
        match self {
            Address::Local(dir) => Ok(Box::new(
                LocalChannel::create(dir, title, about, premium).await?,
            )),
            _ => Err(offline_only()),
        }
    }

    /// Opens the existing channel at this address.
    pub async fn open(&self, reach: &Reach<'_>) -> Result<Box<dyn Channel>> {
        match self {
            Address::Local(dir) => Ok(Box::new(LocalChannel::open(dir).await?)),
            Address::Telegram(target) => Ok(Box::new(
                TelegramChannel::find(reach.channel_connection()?, target).await?,
            )),
            Address::TelegramNew => Err(CliError::Usage(
                "name the channel to open: telegram:@name or telegram:ID".into(),
            )
            .into()),
        }
    }

    /// Creates a channel at this address; returns it with the address that names it from now
    /// on (a new Telegram channel gets `telegram:ID`).
    pub async fn create(
        &self,
        title: &str,
        about: &str,
        premium: bool,
        reach: &Reach<'_>,
    ) -> Result<(Box<dyn Channel>, Address)> {
        match self {
            Address::Local(dir) => Ok((
                Box::new(LocalChannel::create(dir, title, about, premium).await?),
                self.clone(),
            )),
            Address::TelegramNew => {
                let ch = TelegramChannel::create(reach.channel_connection()?, title, about).await?;
                let address = Address::Telegram(ChannelAddress::Id(ch.id()));
                Ok((Box::new(ch), address))
            }
            Address::Telegram(_) => Err(CliError::Usage(
                "`box make` makes a new channel: give --channel telegram (without a target); \
                 `box open` opens an existing one"
                    .into(),
            )
            .into()),
        }
    }
}

fn offline_only() -> anyhow::Error {
    CliError::Usage("the raw tools work offline, on local:DIR channels only".into()).into()
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Address::Local(dir) => write!(f, "local:{}", dir.display()),
            Address::TelegramNew => f.write_str("telegram"),
            Address::Telegram(ChannelAddress::Id(id)) => write!(f, "telegram:{id}"),
            Address::Telegram(ChannelAddress::Username(u)) => write!(f, "telegram:@{u}"),
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
        for text in ["telegram", "telegram:123", "telegram:@my_box"] {
            assert_eq!(Address::parse(text).unwrap().to_string(), text);
        }
        assert_eq!(
            Address::parse("telegram:-100123").unwrap().to_string(),
            "telegram:123"
        );
        for bad in [
            "local:",
            "memory:",
            "telegram:",
            "telegram:@x",
            "telegram:-5",
            "/tmp/x",
            "",
        ] {
            assert!(Address::parse(bad).is_err(), "{bad}");
        }
    }
}
