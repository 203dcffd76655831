//! Sharing a single file between boxes (spec/tgbox-protocol.md §11, tgbox-boxes.md §5.7):
//! the owner's file is forwarded into the receiver's channel; the receiver makes a RequestKey
//! for it, the owner answers with a ShareKey, and the receiver imports the file with it. The
//! imported key is kept in the LocalBox (sealed with the receiver's MainKey), so syncs never
//! lose the file.

use tgbox_core::boxfile::{KeyRef, NO_FOLDER};
use tgbox_core::{FileSalt, ImportKey, RequestKey, ShareKey, b64, sharing};

use super::remote::{effective_caption, read_header};
use super::{TgBox, blocking};
use crate::error::{Error, Result};
use crate::localbox::{LocalFile, NewFileRow};

impl TgBox {
    /// The receiver's side, step 1: a RequestKey for message `id` of this box's channel (a
    /// file forwarded in from another box), to send to the file's owner.
    ///
    /// # Errors
    /// [`Error::NotABoxFile`] when the message holds no box file; channel errors.
    pub async fn request_key(&self, id: i32) -> Result<RequestKey> {
        let (header, _) = self.message_header(id).await?;
        Ok(RequestKey::for_file(&self.mainkey, &header.file_salt)?)
    }

    /// The owner's side: the ShareKey that lets the holder of `request` open file `id` (and
    /// nothing else of this box).
    ///
    /// # Errors
    /// [`Error::NoSuchFile`]; [`Error::Protocol`] for a malformed RequestKey.
    pub async fn share_key(&self, id: i64, request: &RequestKey) -> Result<ShareKey> {
        let local = self.file(id).await?;
        let salt = FileSalt::from_bytes(*local.file.header.file_salt.as_bytes());
        Ok(ShareKey::for_file(local.file.filekey(), &salt, request)?)
    }

    /// The receiver's side, step 2: imports message `id` (the forwarded file) with the owner's
    /// ShareKey and records it under `dir` (the owner's directory is encrypted with the owner's
    /// MainKey and stays unknown; [`NO_FOLDER`] by default).
    ///
    /// # Errors
    /// [`Error::WrongShareKey`] when the ShareKey does not open the file (wrong, tampered, or
    /// made for another RequestKey); [`Error::NotABoxFile`]; LocalBox errors.
    pub async fn import_file(
        &self,
        id: i32,
        share: &ShareKey,
        dir: Option<&str>,
    ) -> Result<LocalFile> {
        let (header, _) = self.message_header(id).await?;
        let import: ImportKey = sharing::import_key(
            self.mainkey.expose_secret(),
            header.file_salt.as_bytes(),
            share,
        )
        .map_err(|_| Error::WrongShareKey)?;
        self.import_with(id, &import, dir).await
    }

    /// The owner's side of sharing a directory: a ShareKey of its DirectoryKey, which opens
    /// every file directly in it (not its subdirectories), those uploaded later included.
    ///
    /// # Errors
    /// [`Error::Protocol`] for a malformed directory or RequestKey.
    pub fn share_directory(&self, dir: &str, request: &RequestKey) -> Result<ShareKey> {
        let dir = tgbox_core::paths::normalize_dir(dir)?;
        let dirkey = tgbox_core::paths::directory_key(&self.mainkey, &dir)?;
        let head = tgbox_core::paths::head_part_id(&self.mainkey, &dir)?;
        Ok(ShareKey::for_directory(&dirkey, &head, request)?)
    }

    /// The receiver's side of a shared directory: the ShareKey answers the RequestKey made on
    /// message `requested_on`; it imports messages `ids` (files of that directory forwarded
    /// here) under `dir`. Call it again with the same ShareKey for files added later.
    ///
    /// # Errors
    /// As [`TgBox::import_file`]; a file of another directory is [`Error::WrongShareKey`].
    pub async fn import_directory(
        &self,
        requested_on: i32,
        share: &ShareKey,
        ids: &[i32],
        dir: Option<&str>,
    ) -> Result<Vec<LocalFile>> {
        let (header, _) = self.message_header(requested_on).await?;
        let import: ImportKey = sharing::import_key(
            self.mainkey.expose_secret(),
            header.file_salt.as_bytes(),
            share,
        )
        .map_err(|_| Error::WrongShareKey)?;
        let mut out = Vec::with_capacity(ids.len());
        for &id in ids {
            out.push(self.import_with(id, &import, dir).await?);
        }
        Ok(out)
    }

    /// Imports message `id` with an ImportKey (a FileKey or a DirectoryKey, protocol §11.6).
    async fn import_with(
        &self,
        id: i32,
        import: &ImportKey,
        dir: Option<&str>,
    ) -> Result<LocalFile> {
        let (header, region) = self.message_header(id).await?;
        let mut file = header
            .decrypt(KeyRef::Import(import))
            .map_err(|_| Error::WrongShareKey)?;
        let dir = match dir {
            Some(d) => tgbox_core::paths::normalize_dir(d)?,
            None => NO_FOLDER.to_owned(),
        };
        let message = super::remote::message(self.channel.as_ref(), id).await?;
        let caption = effective_caption(&message.caption);
        if !caption.is_empty() {
            // The owner's edits (a new name, attributes); their directory is sealed with the
            // owner's MainKey and stays unknown.
            let _ = file.apply_caption(caption, None);
        }
        // The owner's updates plus the chosen directory as a local-only update: `efile_path`
        // sealed with this box's MainKey inside the file's key (§2.8), so it survives every
        // re-decryption.
        let text = tgbox_core::caption::update(
            file.filekey(),
            &self.mainkey,
            caption,
            &[(
                "file_path".to_owned(),
                tgbox_core::caption::Change::Set(dir.clone().into_bytes()),
            )],
            usize::MAX,
            &mut tgbox_core::OsEntropy,
        )?;
        let blob = b64::decode(&text)?;
        let (lb, mk) = (self.localbox.clone(), self.mainkey.clone());
        let (row_id, date) = (i64::from(id), message.date);
        // Files of this very box re-derive their key; only foreign ones store it (§2.8).
        let foreign = header.box_salt.as_bytes() != self.data.box_salt.as_bytes();
        blocking(move || {
            let row = NewFileRow {
                id: row_id,
                upload_time: date,
                metadata: &region,
                dir: &dir,
                name: &file.info.name,
                filekey: file.filekey(),
                foreign_key: foreign,
                updated_metadata: Some(&blob),
                check_fingerprint: true,
            };
            lb.record_file(&mk, &row)
        })
        .await?;
        let recorded = self.file(row_id).await?;
        self.index_update(|ix| ix.insert(crate::index::IndexedFile::from(&recorded)));
        Ok(recorded)
    }

    async fn message_header(
        &self,
        id: i32,
    ) -> Result<(tgbox_core::boxfile::BoxFileHeader, Vec<u8>)> {
        let message = super::remote::message(self.channel.as_ref(), id).await?;
        read_header(self.channel.as_ref(), &message, tgbox_core::ints::LEN24_MAX)
            .await?
            .ok_or(Error::NotABoxFile(id))
    }
}
