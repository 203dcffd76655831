//! Editing files (spec/tgbox-boxes.md §3.7, protocol §10): rename, move, custom attributes,
//! MIME type — through caption updates the reference reads — and deleting files.
//!
//! Unlike the reference (local first, then a separately computed remote caption), the new
//! caption is computed from the channel's current caption, sent, and only then written to the
//! LocalBox, byte for byte the same: a failed remote edit changes nothing anywhere.

use tgbox_core::caption::{self, Change};
use tgbox_core::{Attributes, OsEntropy, b64};

use super::{TgBox, blocking};
use crate::channel::ErrorKind;
use crate::error::{Error, Result};
use crate::localbox::LocalFile;
use crate::retry::retrying;

/// One change to a file's metadata.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Edit {
    /// A new file name.
    Rename(String),
    /// A new directory.
    Move(String),
    /// Back to the directory the file was uploaded to.
    MoveBack,
    /// Adds or changes a custom attribute.
    SetAttr(String, Vec<u8>),
    /// Removes a custom attribute set by an earlier edit (one written into the box file at
    /// upload cannot be removed: protocol §10.3).
    RemoveAttr(String),
    /// A new MIME type.
    Mime(String),
}

/// The changes of protocol §10.2 for a list of edits, in the reference's dictionary order.
fn changes(edits: &[Edit]) -> Result<Vec<(String, Change)>> {
    let mut out: Vec<(String, Change)> = Vec::new();
    let mut cattrs = Attributes::default();
    for e in edits {
        match e {
            Edit::Rename(n) => {
                tgbox_core::paths::check_name(n)?;
                out.push(("file_name".into(), Change::Set(n.clone().into_bytes())));
            }
            Edit::Move(d) => {
                let d = tgbox_core::paths::normalize_dir(d)?;
                out.push(("file_path".into(), Change::Set(d.into_bytes())));
            }
            Edit::MoveBack => out.push(("file_path".into(), Change::Remove)),
            Edit::SetAttr(k, v) if !v.is_empty() => cattrs.set(k.clone(), v.clone()),
            Edit::SetAttr(k, _) | Edit::RemoveAttr(k) => cattrs.set(k.clone(), Vec::new()),
            Edit::Mime(m) => out.push(("mime".into(), Change::Set(m.clone().into_bytes()))),
        }
    }
    if cattrs.iter().next().is_some() {
        out.push(("cattrs".into(), Change::Set(cattrs.pack_in_order()?)));
    }
    Ok(out)
}

impl TgBox {
    /// Applies `edits` to file `id`, in the channel and then in the LocalBox.
    ///
    /// # Errors
    /// [`Error::FingerprintExists`] when the new path is taken; [`Error::Protocol`] for a bad
    /// name or directory, or a caption that would not fit ("no place left for metadata");
    /// [`Error::NoSuchFile`], [`Error::NotABoxFile`], channel errors;
    /// [`Error::InvalidInput`] for removing an attribute that was written into the box file at
    /// upload (protocol §10.3: it can be changed, never removed).
    pub async fn edit(&self, id: i64, edits: &[Edit]) -> Result<LocalFile> {
        let local = self.file(id).await?;
        let changes = changes(edits)?;
        let original = self.original_info(&local)?;
        for e in edits {
            let removed = match e {
                Edit::RemoveAttr(k) => Some(k),
                Edit::SetAttr(k, v) if v.is_empty() => Some(k),
                _ => None,
            };
            if let Some(k) = removed
                && original.cattrs.contains(k)
            {
                return Err(Error::InvalidInput(format!(
                    "attribute {k:?} was written into the file at upload: it can be changed \
                     but not removed (protocol §10.3)"
                )));
            }
        }
        let (message, _) = super::remote::current_message(self.channel.as_ref(), &local).await?;
        let msg_id = message.id;
        let max = retrying(|| self.channel.capabilities())
            .await?
            .limits
            .caption_max;
        let text = caption::update(
            local.file.filekey(),
            &self.mainkey,
            &message.caption,
            &changes,
            max,
            &mut OsEntropy,
        )?;

        // The file as it will read: check the new path before anything is sent.
        let mut after = self.file(id).await?;
        after.file.info = self.original_info(&local)?;
        after.file.apply_caption(&text, Some(&self.mainkey))?;
        let dir = after
            .info()
            .dir
            .clone()
            .unwrap_or_else(|| tgbox_core::boxfile::NO_FOLDER.into());
        let name = after.info().name.clone();
        let fingerprint =
            tgbox_core::paths::fingerprint(&self.mainkey, &tgbox_core::paths::join(&dir, &name));
        let lb = self.localbox.clone();
        if let Some(other) = blocking(move || lb.file_with_fingerprint(&fingerprint))
            .await?
            .filter(|o| *o != id)
        {
            return Err(Error::FingerprintExists(other));
        }

        if text != message.caption {
            // Idempotent: a retry after a lost answer finds the caption set already
            // (MESSAGE_NOT_MODIFIED), which is success.
            match retrying(|| self.channel.edit_caption(msg_id, &text)).await {
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::MessageNotModified => {}
                Err(e) => return Err(e.into()),
            }
        }
        let blob = if text.is_empty() {
            None
        } else {
            Some(b64::decode(&text)?)
        };
        let (lb, mk) = (self.localbox.clone(), self.mainkey.clone());
        blocking(move || lb.update_file(&mk, id, blob.as_deref(), &dir, &name, true)).await?;
        let file = self.file(id).await?;
        self.index_update(|ix| ix.insert(crate::index::IndexedFile::from(&file)));
        Ok(file)
    }

    /// The metadata written into the box file itself, before any caption update.
    pub(crate) fn original_info(&self, local: &LocalFile) -> Result<tgbox_core::boxfile::FileInfo> {
        let file = match local.imported {
            true => local
                .file
                .header
                .decrypt(tgbox_core::boxfile::KeyRef::File(local.file.filekey()))?,
            false => local
                .file
                .header
                .decrypt(tgbox_core::boxfile::KeyRef::Main(&self.mainkey))?,
        };
        Ok(file.info)
    }

    /// Deletes files from the channel, then from the LocalBox. Ids the channel no longer has
    /// are removed locally too. Returns how many rows were removed.
    ///
    /// # Errors
    /// Channel errors (then nothing is removed locally); [`Error::LocalBox`].
    pub async fn delete(&self, ids: &[i64]) -> Result<usize> {
        let msg_ids: Vec<i32> = ids.iter().filter_map(|&i| i32::try_from(i).ok()).collect();
        retrying(|| self.channel.delete_messages(&msg_ids)).await?;
        let (lb, ids_v) = (self.localbox.clone(), ids.to_vec());
        let n = blocking(move || lb.delete_files(&ids_v)).await?;
        self.index_update(|ix| ids.iter().for_each(|&id| ix.remove(id)));
        Ok(n)
    }
}
