//! Where backups live (spec §8). A provider sees only sealed text, addressed by KeyID:
//!
//! * [`FileProvider`] (`file:PATH`): the message — `+T+`, newline, capsule, newline, `+T+`,
//!   exactly what the channel provider posts — in a 0600 file, for offline use and printing;
//! * [`TelegramPreview`] (`telegram`): the public channel named by the KeyID, read anonymously
//!   from its web preview page over HTTPS, with timeouts and retries. Storing in and deleting
//!   such a channel need a signed-in session: `tgbox_telegram::backup_channel` does that (this
//!   crate does not link a Telegram client), and `tgbox backup` puts the two together.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use crate::backup::strip_markers;
use crate::error::{Error, Result};
use crate::keys::KeyId;

/// The user agent the reference sends (spec §9.2).
pub const USER_AGENT: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

/// The public preview's address.
pub const PREVIEW_BASE: &str = "https://t.me";

/// A place that keeps sealed backups.
pub trait Provider {
    /// Keeps `message` (the `+T+` text) under `key_id`.
    ///
    /// # Errors
    /// Provider-specific.
    fn store(&self, key_id: &KeyId, message: &str) -> Result<()>;

    /// The capsules kept under `key_id`, newest first.
    ///
    /// # Errors
    /// [`Error::NotFound`] when there is none.
    fn fetch(&self, key_id: &KeyId) -> Result<Vec<String>>;

    /// Removes what is kept under `key_id`.
    ///
    /// # Errors
    /// Provider-specific.
    fn destroy(&self, key_id: &KeyId) -> Result<()>;
}

/// A provider address: `telegram` or `file:PATH`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProviderAddress {
    /// The public channel.
    Telegram,
    /// A local file.
    File(PathBuf),
}

impl ProviderAddress {
    /// Parses an address.
    ///
    /// # Errors
    /// [`Error::InvalidInput`].
    pub fn parse(text: &str) -> Result<ProviderAddress> {
        if text == "telegram" {
            return Ok(ProviderAddress::Telegram);
        }
        if let Some(path) = text.strip_prefix("file:") {
            if path.is_empty() {
                return Err(Error::InvalidInput(
                    "`file:` needs a path, e.g. file:backup.txt".into(),
                ));
            }
            return Ok(ProviderAddress::File(PathBuf::from(path)));
        }
        Err(Error::InvalidInput(format!(
            "unknown provider {text:?}: expected telegram or file:PATH"
        )))
    }
}

/// A backup in a local file.
#[derive(Clone, Debug)]
pub struct FileProvider {
    path: PathBuf,
}

impl FileProvider {
    /// The provider for `path`.
    pub fn new(path: impl Into<PathBuf>) -> FileProvider {
        FileProvider { path: path.into() }
    }
}

impl Provider for FileProvider {
    fn store(&self, _: &KeyId, message: &str) -> Result<()> {
        let io = |what: &str| {
            let what = format!("{what} {}", self.path.display());
            move |source| Error::Io { what, source }
        };
        let dir = match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = self.path.file_name().ok_or_else(|| {
            Error::InvalidInput(format!("{} is not a file path", self.path.display()))
        })?;
        let tmp = dir.join(format!(
            ".{}.tgback-{}",
            name.to_string_lossy(),
            std::process::id()
        ));
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let result = (|| {
            let mut f = opts.open(&tmp).map_err(io("cannot create a file beside"))?;
            f.write_all(message.as_bytes())
                .and_then(|()| f.sync_all())
                .map_err(io("cannot write"))?;
            std::fs::rename(&tmp, &self.path).map_err(io("cannot write"))
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }

    fn fetch(&self, _: &KeyId) -> Result<Vec<String>> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(source) => {
                return Err(Error::Io {
                    what: format!("cannot read {}", self.path.display()),
                    source,
                });
            }
        };
        let capsule: String = strip_markers(&text).split_whitespace().collect();
        if capsule.is_empty() {
            return Err(Error::NotFound(format!(
                ": {} holds no backup",
                self.path.display()
            )));
        }
        Ok(vec![capsule])
    }

    fn destroy(&self, _: &KeyId) -> Result<()> {
        std::fs::remove_file(&self.path).map_err(|source| Error::Io {
            what: format!("cannot remove {}", self.path.display()),
            source,
        })
    }
}

/// The public channel, read anonymously from its web preview.
#[derive(Clone, Debug)]
pub struct TelegramPreview {
    base: String,
    timeout: Duration,
    attempts: u32,
}

impl Default for TelegramPreview {
    fn default() -> Self {
        TelegramPreview {
            base: PREVIEW_BASE.into(),
            timeout: Duration::from_secs(20),
            attempts: 3,
        }
    }
}

impl TelegramPreview {
    /// Reads from another base address (a mirror, or a test server): `BASE/s/<KeyID>`.
    pub fn with_base(base: impl Into<String>) -> TelegramPreview {
        TelegramPreview {
            base: base.into().trim_end_matches('/').to_owned(),
            ..TelegramPreview::default()
        }
    }

    /// Sets the timeout of each request and the number of attempts.
    pub fn with_limits(mut self, timeout: Duration, attempts: u32) -> TelegramPreview {
        self.timeout = timeout;
        self.attempts = attempts.max(1);
        self
    }

    /// The page's address for `key_id`.
    pub fn url(&self, key_id: &KeyId) -> String {
        format!("{}/s/{}", self.base, key_id)
    }

    fn get(&self, url: &str) -> Result<Option<String>> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(self.timeout))
            .http_status_as_error(false)
            .build()
            .into();
        let mut last = String::new();
        for attempt in 0..self.attempts {
            if attempt > 0 {
                std::thread::sleep(Duration::from_millis(500 << attempt.min(4)));
            }
            match agent.get(url).header("User-Agent", USER_AGENT).call() {
                Ok(mut resp) => {
                    let status = resp.status().as_u16();
                    if status == 404 {
                        return Ok(None);
                    }
                    if status == 429 || status >= 500 {
                        last = format!("{url} answered HTTP {status}");
                        continue;
                    }
                    if !(200..300).contains(&status) {
                        return Err(Error::Network(format!("{url} answered HTTP {status}")));
                    }
                    let body = resp
                        .body_mut()
                        .with_config()
                        .limit(8 << 20)
                        .read_to_string()
                        .map_err(|e| Error::Network(format!("cannot read {url}: {e}")))?;
                    return Ok(Some(body));
                }
                Err(e) => last = format!("cannot reach {url}: {e}"),
            }
        }
        Err(Error::Network(last))
    }
}

impl Provider for TelegramPreview {
    fn store(&self, _: &KeyId, _: &str) -> Result<()> {
        Err(Error::Unsupported(
            "the anonymous preview reader cannot post; storing in a Telegram channel goes through \
             a signed-in session (tgbox_telegram::backup_channel::store)"
                .into(),
        ))
    }

    fn fetch(&self, key_id: &KeyId) -> Result<Vec<String>> {
        let url = self.url(key_id);
        let Some(page) = self.get(&url)? else {
            return Err(Error::NotFound(format!(" ({url} does not exist)")));
        };
        let found = crate::page::candidates(&page);
        if found.is_empty() {
            return Err(Error::NotFound(format!(" (KeyID {key_id})")));
        }
        Ok(found)
    }

    fn destroy(&self, _: &KeyId) -> Result<()> {
        Err(Error::Unsupported(
            "the anonymous preview reader cannot delete; destroying goes through the backed-up \
             session (tgbox_telegram::backup_channel::destroy)"
                .into(),
        ))
    }
}

/// Fetches the backup for `key_id` from `provider` and opens it with `key`: the newest
/// capsule that opens wins (the reference only tries the newest; older ones are a safe
/// extension, spec §9.2 step 4). Returns the backup and how many newer capsules failed.
///
/// # Errors
/// [`Error::NotFound`]; the newest capsule's error when none opens.
pub fn open_from(
    provider: &dyn Provider,
    key: &crate::keys::BackupKey,
) -> Result<(crate::Backup, usize)> {
    let key_id = key.key_id();
    let found = provider.fetch(&key_id)?;
    let mut first_err = None;
    for (i, capsule) in found.iter().enumerate() {
        match crate::Backup::open(key, capsule) {
            Ok(b) => return Ok((b, i)),
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    Err(first_err.unwrap_or_else(|| Error::NotFound(String::new())))
}
