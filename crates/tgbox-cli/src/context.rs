//! What every command shares: the home, its config, the key cache, the global options; and the
//! one way to open a box by name — with its cached key, or by asking for the phrase once and
//! keeping the derived key (never the phrase) until `box lock` or the idle timeout.

use anyhow::{Context, Result};
use std::path::PathBuf;
use std::sync::Arc;
use tgbox::TgBox;
use tgbox::localbox::LocalBox;

use crate::accounts::Accounts;
use crate::address::{Address, Reach};
use crate::failure::CliError;
use crate::home::{BoxEntry, Config, Home};
use crate::keycache::KeyCache;

/// The options every command takes.
#[derive(Debug, Clone, clap::Args)]
pub struct Global {
    /// Where tgbox keeps its config, LocalBoxes and accounts [default: the platform's data
    /// directory, e.g. ~/.local/share/tgbox]
    #[arg(long, global = true, env = "TGBOX_HOME", value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// The box to act on instead of the one in use
    #[arg(long, global = true, env = "TGBOX_BOX", value_name = "NAME")]
    pub in_box: Option<String>,
    /// Read the phrase from this file instead of asking (one trailing newline is ignored)
    #[arg(long, global = true, env = "TGBOX_PHRASE_FILE", value_name = "F")]
    pub phrase_file: Option<PathBuf>,
    /// No progress and no notes on stderr; errors still show
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// More detail on stderr: -v info, -vv debug, -vvv trace (or RUST_LOG)
    #[arg(long, short, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// The shared state of one command.
pub struct Ctx {
    /// The home.
    pub home: Home,
    /// The config as read at start.
    pub config: Config,
    /// The unlocked boxes' keys.
    pub keys: KeyCache,
    /// The global options.
    pub global: Global,
    /// The Telegram accounts and the connections this command made.
    pub accounts: Accounts,
}

/// A box opened for a command.
pub struct Opened {
    /// Its name.
    pub name: String,
    /// Its entry in the config.
    pub entry: BoxEntry,
    /// The box.
    pub tgbox: TgBox,
}

impl Ctx {
    /// Reads the home and drops expired keys.
    pub fn new(global: Global) -> Result<Ctx> {
        let home = Home::locate(global.home.as_deref())?;
        let config = home.config()?;
        let keys = KeyCache::new(&home, config.idle_timeout_secs)?;
        keys.purge_expired()?;
        let accounts = Accounts::new(&home);
        Ok(Ctx {
            home,
            config,
            keys,
            global,
            accounts,
        })
    }

    /// The account that reaches a `telegram:` channel: the one given, else the one in use.
    pub fn account_for<'a>(&'a self, given: Option<&'a str>) -> Option<&'a str> {
        given.or(self.config.current_account.as_deref())
    }

    /// How `address` is reached with account `given` (or the one in use).
    pub fn reach<'a>(&'a self, given: Option<&'a str>) -> Reach<'a> {
        Reach {
            accounts: &self.accounts,
            account: self.account_for(given),
        }
    }

    /// Whether progress and notes are silenced.
    pub fn quiet(&self) -> bool {
        self.global.quiet
    }

    /// A note for the person at the terminal (stderr, unless quiet).
    pub fn note(&self, text: impl std::fmt::Display) {
        if !self.global.quiet {
            eprintln!("{text}");
        }
    }

    /// Opens the box chosen by `--in-box` or the one in use.
    pub async fn open_current(&self) -> Result<Opened> {
        let (name, entry) = self.home.resolve(self.global.in_box.as_deref())?;
        self.open(name, entry).await
    }

    /// Opens box `name`.
    pub async fn open_named(&self, name: &str) -> Result<Opened> {
        let (name, entry) = self.home.resolve(Some(name))?;
        self.open(name, entry).await
    }

    async fn open(&self, name: String, entry: BoxEntry) -> Result<Opened> {
        let address = Address::parse(&entry.channel)?;
        let localbox = self.home.localbox_path(&entry);
        if !localbox.exists() {
            return Err(CliError::NotFound(format!(
                "the LocalBox of box {name:?} is missing ({}); `tgbox box close {name}` then \
                 `tgbox box open` rebuilds it from the channel",
                localbox.display()
            ))
            .into());
        }
        tracing::debug!(box = %name, channel = %address, "opening");
        let reach = self.reach(entry.account.as_deref());
        let channel: Arc<dyn tgbox::channel::Channel> = Arc::from(address.open(&reach).await?);
        if let Some(key) = self.keys.load(&name)? {
            tracing::debug!(box = %name, "key cache hit");
            match TgBox::open(channel.clone(), &localbox, &key).await {
                Ok(tgbox) => return Ok(self.opened(name, entry, tgbox)),
                // A key from before the box was replaced: forget it and ask.
                Err(tgbox::Error::WrongPhrase) => {
                    self.keys.forget(&name)?;
                }
                Err(e) => return Err(e.into()),
            }
        }
        let phrase = crate::phrase::obtain(self.global.phrase_file.as_deref(), &name)?;
        let lb = LocalBox::open(&localbox)?;
        let params = lb.scrypt_params()?.unwrap_or_default();
        drop(lb);
        let key = crate::phrase::derive(phrase, params, self.quiet()).await?;
        let tgbox = TgBox::open(channel, &localbox, &key).await?;
        self.keys
            .store(&name, &key)
            .context("cannot keep the unlocked key")?;
        Ok(self.opened(name, entry, tgbox))
    }

    fn opened(&self, name: String, entry: BoxEntry, tgbox: TgBox) -> Opened {
        tgbox.set_parallel(self.config.jobs);
        Opened { name, entry, tgbox }
    }
}
