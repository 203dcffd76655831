//! Uploads in parts on a local channel. Parts live in `tmp/parts-<token>-<size>/` until the
//! commit, which joins them into one staged document and posts it like any other
//! (spec/local-channel.md §6.3); `tmp/` is invisible to readers (§2) and cleaned after 24 hours
//! (§6.6), so parts survive a restart of the uploader, as Telegram keeps uploaded parts.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::fsio::{fsync_dir, io_err, tmp_path};
use super::store::{Staged, Store};
use crate::channel::error::{ChannelError, ErrorKind, Result};
use crate::channel::limits::Limits;
use crate::channel::memory::{check_part, unknown_upload};
use crate::channel::stamps::random_in;
use crate::channel::types::{Message, MessageId, UploadToken, part_count, part_len};

fn parts_dir(root: &Path, token: &UploadToken) -> Result<(PathBuf, u64)> {
    // Tokens are 16 lowercase hex digits; anything else never reaches a path.
    if token.0.len() != 16
        || !token
            .0
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(unknown_upload(token));
    }
    let prefix = format!("parts-{}-", token.0);
    let tmp = root.join("tmp");
    for entry in fs::read_dir(&tmp)
        .map_err(io_err("listing", &tmp))?
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(size) = name
            .strip_prefix(&prefix)
            .and_then(|s| s.parse::<u64>().ok())
        {
            return Ok((entry.path(), size));
        }
    }
    Err(unknown_upload(token))
}

fn part_path(dir: &Path, index: u32) -> PathBuf {
    dir.join(format!("{index:06}.part"))
}

impl Store {
    /// Starts an upload in parts.
    pub fn begin_parts(&self, size: u64) -> Result<UploadToken> {
        Limits::for_account(self.read_meta()?.header.premium).check_document_size(size)?;
        let token = UploadToken(format!("{:016x}", random_in(u64::MAX)?));
        let dir = self
            .root()
            .join("tmp")
            .join(format!("parts-{}-{size}", token.0));
        fs::create_dir(&dir).map_err(io_err("creating", &dir))?;
        Ok(token)
    }

    /// Stores one part atomically (a temporary name, fsync, rename).
    pub fn put_part(&self, token: &UploadToken, index: u32, bytes: &[u8]) -> Result<()> {
        let (dir, size) = parts_dir(self.root(), token)?;
        check_part(size, index, bytes.len())?;
        let final_path = part_path(&dir, index);
        let tmp = dir.join(format!(
            "{index:06}.{:08x}.writing",
            random_in(u32::MAX.into())?
        ));
        let result = (|| {
            let mut f = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)
                .map_err(io_err("creating", &tmp))?;
            f.write_all(bytes).map_err(io_err("writing", &tmp))?;
            f.sync_all().map_err(io_err("syncing", &tmp))?;
            fs::rename(&tmp, &final_path).map_err(io_err("renaming into", &final_path))
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result?;
        fsync_dir(&dir)
    }

    /// Joins the parts into a staged document and posts it; the parts go once it is posted.
    pub fn commit_parts(
        &self,
        token: &UploadToken,
        name: &str,
        mime: &str,
        caption: &str,
    ) -> Result<Message> {
        Limits::for_account(self.read_meta()?.header.premium).check_caption(caption)?;
        self.with_joined(token, name, mime, |staged| self.post(staged, caption))
    }

    /// Joins the parts and makes them message `id`'s new document (§6.3 replacement).
    pub fn commit_parts_replacing(
        &self,
        id: MessageId,
        token: &UploadToken,
        name: &str,
        mime: &str,
        caption: Option<&str>,
    ) -> Result<Message> {
        if let Some(c) = caption {
            Limits::for_account(self.read_meta()?.header.premium).check_caption(c)?;
        }
        if self.message(id)?.is_none() {
            return Err(ChannelError::new(
                ErrorKind::MessageIdInvalid,
                format!("no message {id}"),
            ));
        }
        self.with_joined(token, name, mime, |staged| {
            self.edit(id, caption, Some(staged))
        })
    }

    /// Joins an upload's parts into a staged document, hands it to `commit`, and removes the
    /// parts once the commit succeeded (they stay for another try otherwise).
    fn with_joined(
        &self,
        token: &UploadToken,
        name: &str,
        mime: &str,
        commit: impl FnOnce(&Staged) -> Result<Message>,
    ) -> Result<Message> {
        let (dir, size) = parts_dir(self.root(), token)?;
        let staged_path = tmp_path(self.root(), "upload")?;
        let joined = (|| -> Result<()> {
            let mut out = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&staged_path)
                .map_err(io_err("creating", &staged_path))?;
            for index in 0..part_count(size) {
                let p = part_path(&dir, index);
                let bytes = match fs::read(&p) {
                    Ok(b) => b,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        return Err(ChannelError::new(
                            ErrorKind::FilePartsInvalid,
                            format!("part {index} of {} is missing", part_count(size)),
                        ));
                    }
                    Err(e) => return Err(ChannelError::io(format!("reading {}", p.display()), e)),
                };
                if Some(bytes.len()) != part_len(size, index) {
                    return Err(ChannelError::new(
                        ErrorKind::FilePartsInvalid,
                        format!("part {index} has a wrong length"),
                    ));
                }
                out.write_all(&bytes)
                    .map_err(io_err("writing", &staged_path))?;
            }
            out.sync_all().map_err(io_err("syncing", &staged_path))
        })();
        let staged = Staged {
            path: staged_path,
            size,
            name: name.to_owned(),
            mime: mime.to_owned(),
        };
        let committed = joined.and_then(|()| commit(&staged));
        let _ = fs::remove_file(&staged.path);
        let message = committed?;
        let _ = fs::remove_dir_all(&dir);
        Ok(message)
    }
}
