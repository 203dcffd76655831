//! Unlocked boxes: the BaseKey derived from a box's phrase is kept in a 0600 file in the user's
//! runtime directory (`$XDG_RUNTIME_DIR/tgbox`, else `HOME/run` of the tgbox home), so the
//! phrase is typed once per box rather than once per command, and scrypt runs once.
//!
//! A key is dropped by `tgbox box lock`, by `box close`/`box delete`, and when it has not been
//! used for the idle timeout: every command first removes the expired keys of its home, and a
//! key found expired is never used. The key never enters an environment variable or a log.

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use tgbox_core::BaseKey;
use zeroize::Zeroizing;

use crate::home::{Home, private_dir};

/// The cache of one home.
#[derive(Debug)]
pub struct KeyCache {
    dir: PathBuf,
    /// A short digest of the home's path: homes sharing one runtime directory never mix.
    prefix: String,
    idle: Duration,
}

impl KeyCache {
    /// The cache of `home`, with keys expiring after `idle_secs` without use.
    pub fn new(home: &Home, idle_secs: u64) -> Result<KeyCache> {
        let dir = match std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from) {
            Some(d) if d.is_absolute() && d.is_dir() => d.join("tgbox"),
            _ => home.root().join("run"),
        };
        private_dir(&dir)?;
        let digest = Sha256::digest(home.root().as_os_str().as_encoded_bytes());
        Ok(KeyCache {
            dir,
            prefix: hex::encode(&digest[..8]),
            idle: Duration::from_secs(idle_secs),
        })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{}-{name}.key", self.prefix))
    }

    fn expired(&self, path: &Path) -> bool {
        let Ok(meta) = std::fs::metadata(path) else {
            return true;
        };
        let last_use = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        match SystemTime::now().duration_since(last_use) {
            Ok(age) => age >= self.idle,
            // A time in the future: the clock moved back; do not trust it.
            Err(_) => true,
        }
    }

    /// The cached key of box `name`, if it is there and not expired; a use restarts its idle
    /// time. A key file that is not private or not 32 bytes is removed, not used.
    pub fn load(&self, name: &str) -> Result<Option<BaseKey>> {
        let path = self.path(name);
        if !path.exists() {
            return Ok(None);
        }
        if self.expired(&path) || !private_file(&path) {
            self.forget(name)?;
            return Ok(None);
        }
        let mut bytes = Zeroizing::new(Vec::with_capacity(33));
        let file = OpenOptions::new().read(true).write(true).open(&path);
        let Ok(mut file) = file else { return Ok(None) };
        Read::by_ref(&mut file)
            .take(33)
            .read_to_end(&mut bytes)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if bytes.len() != 32 {
            self.forget(name)?;
            return Ok(None);
        }
        let _ = file.set_modified(SystemTime::now());
        let mut key = Zeroizing::new([0u8; 32]);
        key.copy_from_slice(&bytes);
        Ok(Some(BaseKey::from_bytes(*key)))
    }

    /// Keeps the key of box `name`.
    pub fn store(&self, name: &str, key: &BaseKey) -> Result<()> {
        crate::home::write_private(&self.path(name), key.expose_secret())
    }

    /// Drops the key of box `name`; true when there was one.
    pub fn forget(&self, name: &str) -> Result<bool> {
        let path = self.path(name);
        if !path.exists() {
            return Ok(false);
        }
        // Overwrite before unlinking, for file systems that are not tmpfs.
        if let Ok(mut f) = OpenOptions::new().write(true).open(&path) {
            let _ = f.write_all(&[0u8; 32]).and_then(|()| f.sync_all());
        }
        std::fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
        Ok(true)
    }

    /// Whether box `name` is unlocked, and for how long more without use.
    pub fn remaining(&self, name: &str) -> Option<Duration> {
        let path = self.path(name);
        let meta = std::fs::metadata(&path).ok()?;
        let age = SystemTime::now()
            .duration_since(meta.modified().ok()?)
            .ok()?;
        self.idle.checked_sub(age).filter(|d| !d.is_zero())
    }

    /// Drops every expired key of this home.
    pub fn purge_expired(&self) -> Result<()> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Ok(());
        };
        for entry in entries.flatten() {
            let file = entry.file_name();
            let file = file.to_string_lossy();
            let Some(name) = file
                .strip_prefix(&format!("{}-", self.prefix))
                .and_then(|rest| rest.strip_suffix(".key"))
            else {
                continue;
            };
            if self.expired(&entry.path()) {
                self.forget(name)?;
            }
        }
        Ok(())
    }
}

/// A regular file of ours that nobody else can read.
fn private_file(path: &Path) -> bool {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return false;
    };
    if !meta.is_file() {
        return false;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // The runtime directory is ours (0700): the mode is what matters.
        if meta.mode() & 0o077 != 0 {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(idle: u64) -> (tempfile::TempDir, KeyCache) {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::locate(Some(dir.path())).unwrap();
        // Keep the test inside its temporary home whatever the environment says.
        let c = KeyCache {
            dir: home.root().join("run"),
            prefix: "test".into(),
            idle: Duration::from_secs(idle),
        };
        private_dir(&c.dir).unwrap();
        (dir, c)
    }

    #[test]
    fn store_load_forget() {
        let (_d, c) = cache(60);
        assert!(c.load("a").unwrap().is_none());
        c.store("a", &BaseKey::from_bytes([7; 32])).unwrap();
        assert_eq!(c.load("a").unwrap().unwrap().expose_secret(), &[7; 32]);
        assert!(c.remaining("a").is_some());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(c.path("a")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(c.forget("a").unwrap());
        assert!(!c.forget("a").unwrap());
        assert!(c.load("a").unwrap().is_none());
    }

    #[test]
    fn expired_keys_are_dropped() {
        let (_d, c) = cache(60);
        c.store("a", &BaseKey::from_bytes([1; 32])).unwrap();
        c.store("b", &BaseKey::from_bytes([2; 32])).unwrap();
        let old = SystemTime::now() - Duration::from_secs(61);
        let f = OpenOptions::new().write(true).open(c.path("a")).unwrap();
        f.set_modified(old).unwrap();
        drop(f);
        c.purge_expired().unwrap();
        assert!(!c.path("a").exists());
        assert!(c.path("b").exists());
        let f = OpenOptions::new().write(true).open(c.path("b")).unwrap();
        f.set_modified(old).unwrap();
        drop(f);
        assert!(c.load("b").unwrap().is_none());
        assert!(!c.path("b").exists());
    }

    #[test]
    fn unsafe_or_damaged_key_files_are_not_used() {
        let (_d, c) = cache(60);
        std::fs::write(c.path("short"), [1u8; 31]).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(c.path("short"), std::fs::Permissions::from_mode(0o600))
                .unwrap();
        }
        assert!(c.load("short").unwrap().is_none());
        assert!(!c.path("short").exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            c.store("open", &BaseKey::from_bytes([3; 32])).unwrap();
            std::fs::set_permissions(c.path("open"), std::fs::Permissions::from_mode(0o644))
                .unwrap();
            assert!(c.load("open").unwrap().is_none());
            assert!(!c.path("open").exists());
        }
    }
}
