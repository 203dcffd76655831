//! Uploading a file into a box (spec/tgbox-boxes.md §3.5), streaming in constant memory:
//! the file is read in 512 KiB pieces, encrypted on one thread while another computes the HMAC
//! (tgbox-core's pipeline), and the box file flows through a bounded pipe into the channel. The
//! journal makes the LocalBox and the channel agree after any crash.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tgbox_core::boxfile::{self, Limits, NewFile, UPLOAD_LIMIT, UPLOAD_LIMIT_PREMIUM};
use tgbox_core::{Attributes, OsEntropy};

use super::remote::read_header;
use super::{TgBox, blocking};
use crate::channel::{Message, Upload};
use crate::error::{Error, Result};
use crate::localbox::{LocalFile, NewFileRow};
use crate::pipe::sync_to_async;
use crate::progress::Progress;

/// MIME type of every box-file document (§3.3).
const DOCUMENT_MIME: &str = "application/octet-stream";

/// A file to upload.
pub struct UploadFile<'a> {
    /// The file on disk.
    pub source: &'a Path,
    /// The directory in the box.
    pub dir: &'a str,
    /// The name in the box; the source's file name when `None`.
    pub name: Option<&'a str>,
    /// MIME type (may be empty).
    pub mime: &'a str,
    /// Custom attributes.
    pub cattrs: &'a Attributes,
}

/// Counts plaintext bytes as the encryptor reads them.
struct Counting<R> {
    inner: R,
    done: Arc<AtomicU64>,
    total: u64,
    progress: Arc<dyn Progress>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let done = self.done.fetch_add(n as u64, Ordering::Relaxed) + n as u64;
        self.progress.update(done, Some(self.total));
        Ok(n)
    }
}

impl TgBox {
    /// Uploads one file and records it in the LocalBox; returns the recorded file.
    ///
    /// # Errors
    /// [`Error::Io`] for a missing or unreadable source, [`Error::InvalidInput`] for a
    /// directory, [`Error::FingerprintExists`] when the box has a file at that path already,
    /// [`Error::Protocol`] for names, paths or sizes over the limits, channel errors (a file
    /// over the channel's document limit is `FILE_PARTS_INVALID`). Nothing is left in the
    /// channel or the LocalBox on failure.
    pub async fn upload(
        &self,
        file: UploadFile<'_>,
        progress: Arc<dyn Progress>,
    ) -> Result<LocalFile> {
        let source = file.source.to_path_buf();
        let meta = tokio::fs::metadata(&source)
            .await
            .map_err(|e| Error::io(format!("cannot read {}", source.display()), e))?;
        if meta.is_dir() {
            return Err(Error::InvalidInput(format!(
                "{} is a directory, not a file",
                source.display()
            )));
        }
        let name = match file.name {
            Some(n) => n.to_owned(),
            None => source
                .file_name()
                .and_then(|n| n.to_str())
                .ok_or_else(|| {
                    Error::InvalidInput(format!("{} has no UTF-8 file name", source.display()))
                })?
                .to_owned(),
        };
        let size = meta.len();
        let caps = self.channel.capabilities().await?;
        let (lb, mk) = (self.localbox.clone(), self.mainkey.clone());
        let metadata_max = blocking(move || lb.metadata_max()).await?;
        let limits = Limits {
            metadata_max,
            upload_limit: if caps.limits.premium {
                UPLOAD_LIMIT_PREMIUM
            } else {
                UPLOAD_LIMIT
            },
        };
        let new = NewFile {
            dir: file.dir,
            name: &name,
            size,
            mime: file.mime,
            preview: &[],
            duration: 0,
            cattrs: file.cattrs,
        };
        let prepared = Arc::new(boxfile::prepare(
            &mk,
            &self.data.box_salt,
            &new,
            &limits,
            &mut OsEntropy,
        )?);
        let fingerprint = *prepared.fingerprint();
        let lb = self.localbox.clone();
        if let Some(other) = blocking(move || lb.file_with_fingerprint(&fingerprint)).await? {
            return Err(Error::FingerprintExists(other));
        }
        caps.limits.check_document_size(prepared.total_len())?;
        let file_salt = *prepared.file_salt().as_bytes();
        let (lb, src) = (self.localbox.clone(), source.display().to_string());
        let total_len = prepared.total_len();
        blocking(move || lb.journal_begin(&file_salt, &src, total_len)).await?;

        let posted = self
            .stream_upload(prepared.clone(), &source, size, progress)
            .await;
        let message = match posted {
            Ok(m) => m,
            Err(e) => {
                // A transport error may hide a post that happened; keep the entry for the
                // recovery at the next open. Anything else: nothing was posted.
                let keep = matches!(&e, Error::Channel(c) if c.is_retryable());
                if !keep {
                    let lb = self.localbox.clone();
                    blocking(move || lb.journal_drop(&file_salt)).await?;
                }
                return Err(e);
            }
        };
        let dir = prepared.dir().to_owned();
        let (lb, mk, p) = (
            self.localbox.clone(),
            self.mainkey.clone(),
            prepared.clone(),
        );
        let id = i64::from(message.id);
        let date = message.date;
        let recorded = blocking(move || {
            let row = NewFileRow {
                id,
                upload_time: date,
                metadata: p.header(),
                dir: &dir,
                name: &name,
                filekey: p.filekey(),
                foreign_key: false,
                updated_metadata: None,
                check_fingerprint: true,
            };
            lb.journal_finish(&mk, &file_salt, &row)
        })
        .await;
        if let Err(e) = recorded {
            // The row could not be written (a concurrent upload took the path): take the
            // document back so the channel and the LocalBox still agree.
            self.channel.delete_messages(&[message.id]).await?;
            let lb = self.localbox.clone();
            blocking(move || lb.journal_drop(&file_salt)).await?;
            return Err(e);
        }
        let recorded = self.file(id).await?;
        self.index_update(|ix| ix.insert(crate::index::IndexedFile::from(&recorded)));
        Ok(recorded)
    }

    /// Encrypts `source` on blocking threads into a pipe that the channel reads.
    async fn stream_upload(
        &self,
        prepared: Arc<boxfile::PreparedBoxFile>,
        source: &Path,
        size: u64,
        progress: Arc<dyn Progress>,
    ) -> Result<Message> {
        let file = std::fs::File::open(source)
            .map_err(|e| Error::io(format!("cannot open {}", source.display()), e))?;
        let (writer, reader) = sync_to_async();
        let p = prepared.clone();
        let encrypt = tokio::task::spawn_blocking(move || {
            let input = Counting {
                inner: std::io::BufReader::with_capacity(boxfile::write::CHUNK, file),
                done: Arc::new(AtomicU64::new(0)),
                total: size,
                progress,
            };
            p.encrypt_stream(input, writer)
        });
        let upload = Upload::new(
            prepared.file_salt().to_b64(),
            DOCUMENT_MIME,
            prepared.total_len(),
            reader,
        );
        let posted = self.channel.post_document(upload, "").await;
        let encrypted = encrypt
            .await
            .map_err(|e| Error::InvalidInput(format!("the encryption thread failed: {e}")))?;
        match (posted, encrypted) {
            (Ok(m), Ok(_)) => Ok(m),
            // The source failed or changed under us: that is the cause, the short body only
            // its symptom. A post that still went through is taken back.
            (posted, Err(e)) => {
                if let Ok(m) = posted {
                    self.channel.delete_messages(&[m.id]).await?;
                }
                Err(e.into())
            }
            (Err(e), Ok(_)) => Err(e.into()),
        }
    }

    /// Settles uploads a crash interrupted: a journal entry whose document reached the channel
    /// gets its row; one whose document did not is dropped.
    pub(crate) async fn recover_uploads(&self) -> Result<()> {
        let lb = self.localbox.clone();
        let pending = blocking(move || lb.journal_pending()).await?;
        if pending.is_empty() {
            return Ok(());
        }
        let lb = self.localbox.clone();
        let after = blocking(move || lb.last_file_id()).await?.unwrap_or(0);
        let mut after = i32::try_from(after).unwrap_or(0);
        let mut left: Vec<_> = pending;
        while !left.is_empty() {
            let page = crate::retry::retrying(|| self.channel.list_messages(after, 100)).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            for message in &page {
                let Some(doc) = &message.document else {
                    continue;
                };
                let Some(pos) = left.iter().position(|p| {
                    tgbox_core::FileSalt::from_bytes(p.file_salt).to_b64() == doc.name
                        && p.document_size == doc.size
                }) else {
                    continue;
                };
                let entry = left.swap_remove(pos);
                self.record_recovered(message, &entry.file_salt).await?;
            }
        }
        for entry in left {
            let lb = self.localbox.clone();
            blocking(move || lb.journal_drop(&entry.file_salt)).await?;
        }
        Ok(())
    }

    async fn record_recovered(&self, message: &Message, file_salt: &[u8; 32]) -> Result<()> {
        let Some((header, region)) =
            read_header(self.channel.as_ref(), message, tgbox_core::ints::LEN24_MAX).await?
        else {
            return Err(Error::NotABoxFile(message.id));
        };
        let file = header.decrypt(tgbox_core::boxfile::KeyRef::Main(&self.mainkey))?;
        let dir = file
            .info
            .dir
            .clone()
            .unwrap_or_else(|| boxfile::NO_FOLDER.to_owned());
        let (lb, mk, salt) = (self.localbox.clone(), self.mainkey.clone(), *file_salt);
        let (id, date) = (i64::from(message.id), message.date);
        blocking(move || {
            let row = NewFileRow {
                id,
                upload_time: date,
                metadata: &region,
                dir: &dir,
                name: &file.info.name,
                filekey: file.filekey(),
                foreign_key: false,
                updated_metadata: None,
                check_fingerprint: false,
            };
            match lb.journal_finish(&mk, &salt, &row) {
                // Recorded already (e.g. by a sync): only the entry was left.
                Err(Error::InvalidInput(_)) => lb.journal_drop(&salt),
                other => other,
            }
        })
        .await
    }
}
