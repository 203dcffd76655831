//! Writing results safely: a file appears under its final name only once it is complete and,
//! for plaintext, verified. Until then it lives in a 0600 temporary file beside the target,
//! which is removed on any failure (also on a panic, through `Drop`).

use anyhow::{Context, Result};
use std::{
    fs::File,
    io::Write,
    path::{Path, PathBuf},
};

/// A file being written under a temporary name.
pub struct PendingFile {
    tmp: Option<PathBuf>,
    target: PathBuf,
    file: Option<File>,
}

impl PendingFile {
    /// Creates `.NAME.tgbox-partial-PID` beside `target`, readable by the owner only.
    pub fn create(target: &Path) -> Result<Self> {
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = target
            .file_name()
            .with_context(|| format!("{} is not a file path", target.display()))?;
        let tmp = dir.join(format!(
            ".{}.tgbox-partial-{}",
            name.to_string_lossy(),
            std::process::id()
        ));
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let file = opts
            .open(&tmp)
            .with_context(|| format!("cannot create {}", tmp.display()))?;
        Ok(Self {
            tmp: Some(tmp),
            target: target.to_path_buf(),
            file: Some(file),
        })
    }

    /// The open temporary file.
    pub fn file(&mut self) -> &mut File {
        self.file.as_mut().expect("open until commit")
    }

    /// Flushes, syncs and renames into place.
    pub fn commit(mut self) -> Result<()> {
        let mut file = self.file.take().expect("open until commit");
        file.flush()?;
        file.sync_all().context("cannot sync the output file")?;
        drop(file);
        let tmp = self.tmp.take().expect("present until commit");
        std::fs::rename(&tmp, &self.target)
            .with_context(|| format!("cannot move the output into {}", self.target.display()))?;
        Ok(())
    }
}

impl Drop for PendingFile {
    fn drop(&mut self) {
        if let Some(tmp) = self.tmp.take() {
            let _ = std::fs::remove_file(tmp);
        }
    }
}
