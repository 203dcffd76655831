//! The one home of the command line's state: `--home DIR`, `TGBOX_HOME`, or the platform's
//! data directory. It holds `config.toml` (boxes by name, the box in use, settings) and the
//! LocalBoxes under `boxes/`. The home is 0700 and every file in it 0600; every change to the
//! config is a locked read-modify-write followed by an atomic replace, so two commands running
//! at once never lose each other's changes and a crash never leaves half a config.

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::failure::CliError;

/// How long an unlocked box stays unlocked without use, unless the config says otherwise.
pub const DEFAULT_IDLE_TIMEOUT_SECS: u64 = 30 * 60;

/// Transfers in flight per command, unless the config or `--jobs` says otherwise.
pub const DEFAULT_JOBS: usize = 4;

/// `config.toml`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The box commands act on when no `--in-box` is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_box: Option<String>,
    /// Seconds an unlocked box stays unlocked without use.
    #[serde(default = "default_idle")]
    pub idle_timeout_secs: u64,
    /// Default transfers in flight.
    #[serde(default = "default_jobs")]
    pub jobs: usize,
    /// The boxes, by name.
    #[serde(default)]
    pub boxes: BTreeMap<String, BoxEntry>,
    /// The Telegram account `telegram:` boxes use when none is named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_account: Option<String>,
    /// The default api_id for new Telegram accounts (my.telegram.org).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_id: Option<i32>,
    /// The default api_hash for new Telegram accounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_hash: Option<String>,
}

fn default_idle() -> u64 {
    DEFAULT_IDLE_TIMEOUT_SECS
}

fn default_jobs() -> usize {
    DEFAULT_JOBS
}

impl Default for Config {
    fn default() -> Self {
        Config {
            current_box: None,
            idle_timeout_secs: DEFAULT_IDLE_TIMEOUT_SECS,
            jobs: DEFAULT_JOBS,
            boxes: BTreeMap::new(),
            current_account: None,
            api_id: None,
            api_hash: None,
        }
    }
}

/// One box the home knows.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct BoxEntry {
    /// Its channel address (`local:/abs/dir`).
    pub channel: String,
    /// Its LocalBox, relative to the home.
    pub localbox: String,
    /// The Telegram account that reaches its channel (`telegram:` boxes only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
}

/// The home directory.
#[derive(Clone, Debug)]
pub struct Home {
    root: PathBuf,
}

/// Checks a box name: 1 to 64 of `A-Z a-z 0-9 . _ -`, not starting with a dot or a dash, so
/// that it is a safe file name and never read as an option.
pub fn check_box_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with(['.', '-'])
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if !ok {
        return Err(CliError::Usage(format!(
            "{name:?} is not a box name: use 1 to 64 letters, digits, '.', '_' or '-', \
             not starting with '.' or '-'"
        ))
        .into());
    }
    Ok(())
}

/// The platform's data directory for tgbox.
fn platform_default() -> Result<PathBuf> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if cfg!(windows) {
        if let Some(d) = env("APPDATA") {
            return Ok(d.join("tgbox"));
        }
    } else if cfg!(target_os = "macos") {
        if let Some(h) = env("HOME") {
            return Ok(h.join("Library/Application Support/tgbox"));
        }
    } else {
        if let Some(d) = env("XDG_DATA_HOME") {
            return Ok(d.join("tgbox"));
        }
        if let Some(h) = env("HOME") {
            return Ok(h.join(".local/share/tgbox"));
        }
    }
    bail!("cannot tell where to keep tgbox's state: give --home DIR or set TGBOX_HOME")
}

/// Creates a directory readable by the owner only (and tightens an existing one).
pub fn private_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot make {} private", dir.display()))?;
    }
    Ok(())
}

/// Writes `bytes` to `path` atomically, readable by the owner only.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let mut opts = OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let result = (|| -> Result<()> {
        let mut f = opts
            .open(&tmp)
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        f.write_all(bytes)
            .and_then(|()| f.sync_all())
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        std::fs::rename(&tmp, path)
            .with_context(|| format!("cannot replace {}", path.display()))?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

impl Home {
    /// The home from `--home`/`TGBOX_HOME` or the platform default, created 0700.
    pub fn locate(given: Option<&Path>) -> Result<Home> {
        let root = match given {
            Some(p) => p.to_path_buf(),
            None => platform_default()?,
        };
        private_dir(&root)?;
        let root = root
            .canonicalize()
            .with_context(|| format!("cannot open {}", root.display()))?;
        Ok(Home { root })
    }

    /// The home directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn config_path(&self) -> PathBuf {
        self.root.join("config.toml")
    }

    /// Where a box's LocalBox lives.
    pub fn localbox_path(&self, entry: &BoxEntry) -> PathBuf {
        self.root.join(&entry.localbox)
    }

    /// The LocalBox file for a new box called `name`.
    pub fn new_localbox(&self, name: &str) -> Result<(String, PathBuf)> {
        let dir = self.root.join("boxes");
        private_dir(&dir)?;
        let rel = format!("boxes/{name}.tgbox");
        Ok((rel.clone(), self.root.join(rel)))
    }

    /// Reads the config (the defaults when there is none yet).
    pub fn config(&self) -> Result<Config> {
        let path = self.config_path();
        match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text)
                .with_context(|| format!("{} is not a valid tgbox config", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    /// Changes the config under the home's lock: `change` sees the current config and its
    /// changes are written atomically when it succeeds.
    pub fn update<T>(&self, change: impl FnOnce(&mut Config) -> Result<T>) -> Result<T> {
        let lock_path = self.root.join("config.lock");
        let mut opts = OpenOptions::new();
        opts.write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let lock: File = opts
            .open(&lock_path)
            .with_context(|| format!("cannot open {}", lock_path.display()))?;
        lock.lock()
            .with_context(|| format!("cannot lock {}", lock_path.display()))?;
        let mut config = self.config()?;
        let out = change(&mut config)?;
        let text = toml::to_string_pretty(&config).context("cannot write the config")?;
        write_private(&self.config_path(), text.as_bytes())?;
        Ok(out)
    }

    /// The box `name`, or the current box when `name` is `None`.
    pub fn resolve(&self, name: Option<&str>) -> Result<(String, BoxEntry)> {
        let config = self.config()?;
        let name = match name {
            Some(n) => n.to_owned(),
            None => config.current_box.clone().ok_or(CliError::NoCurrentBox)?,
        };
        let entry = config
            .boxes
            .get(&name)
            .cloned()
            .ok_or_else(|| CliError::UnknownBox(name.clone()))?;
        Ok((name, entry))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_names() {
        for good in ["a", "my-box", "photos_2024", "A.b", &"x".repeat(64)] {
            assert!(check_box_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            ".hidden",
            "-x",
            "a/b",
            "..",
            "a b",
            "é",
            &"x".repeat(65),
        ] {
            assert!(check_box_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn config_round_trip_and_private_files() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::locate(Some(&dir.path().join("h"))).unwrap();
        assert_eq!(home.config().unwrap(), Config::default());
        home.update(|c| {
            c.current_box = Some("a".into());
            c.boxes.insert(
                "a".into(),
                BoxEntry {
                    channel: "local:/x".into(),
                    localbox: "boxes/a.tgbox".into(),
                    account: None,
                },
            );
            Ok(())
        })
        .unwrap();
        let back = home.config().unwrap();
        assert_eq!(back.current_box.as_deref(), Some("a"));
        assert_eq!(back.boxes["a"].channel, "local:/x");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(home.root()), 0o700);
            assert_eq!(mode(&home.root().join("config.toml")), 0o600);
        }
        // A failed change writes nothing.
        let err = home.update(|c| -> Result<()> {
            c.current_box = None;
            bail!("no")
        });
        assert!(err.is_err());
        assert_eq!(home.config().unwrap().current_box.as_deref(), Some("a"));
    }

    #[test]
    fn a_broken_config_is_an_error_not_a_reset() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::locate(Some(dir.path())).unwrap();
        std::fs::write(home.root().join("config.toml"), "current_box = [").unwrap();
        let err = home.config().unwrap_err();
        assert!(format!("{err:#}").contains("not a valid tgbox config"));
        assert!(home.update(|_| Ok(())).is_err());
    }
}
