//! Uploading a file into a box (spec/tgbox-boxes.md §3.5), streaming in constant memory and
//! in parallel: the file is read in 512 KiB pieces, encrypted on one thread while another
//! computes the HMAC (tgbox-core's pipeline), cut into the channel's parts, and up to
//! [`TgBox::set_parallel`] parts are in flight at once. The journal records the header and
//! every acknowledged part, so an upload cut short by a crash, a kill or a lost connection
//! continues where it stopped ([`TgBox::resume_uploads`]) and the LocalBox and the channel
//! always agree.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use futures::stream::{self, StreamExt, TryStreamExt};
use tgbox_core::boxfile::{
    self, Limits, NewFile, PreparedBoxFile, UPLOAD_LIMIT, UPLOAD_LIMIT_PREMIUM,
};
use tgbox_core::{Attributes, OsEntropy};
use tokio::sync::mpsc;

use super::remote::read_header;
use super::ticks::PartTicks;
use super::{TgBox, blocking};
use crate::channel::{Message, PART_SIZE, Upload, UploadToken, part_count};
use crate::error::{Error, Result};
use crate::localbox::{LocalFile, NewFileRow, PendingUpload};
use crate::progress::Progress;
use crate::retry::{retrying, retrying_refusals};

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
    done: u64,
    total: u64,
    progress: Arc<dyn Progress>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.done += n as u64;
        self.progress.update(self.done, Some(self.total));
        Ok(n)
    }
}

/// Cuts the box-file stream into the channel's parts and hands them over (blocking when the
/// senders are behind), skipping the parts the channel already has.
struct PartWriter {
    tx: mpsc::Sender<(u32, Bytes)>,
    buf: Vec<u8>,
    index: u32,
    skip: HashSet<u32>,
}

impl PartWriter {
    fn emit(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let part = std::mem::replace(&mut self.buf, Vec::with_capacity(PART_SIZE));
        let index = self.index;
        self.index += 1;
        if self.skip.contains(&index) {
            return Ok(());
        }
        self.tx
            .blocking_send((index, Bytes::from(part)))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the upload stopped"))
    }
}

impl Write for PartWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let n = data.len().min(PART_SIZE - self.buf.len());
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() == PART_SIZE {
            self.emit()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        // Called once at the end of the stream by the encryptor: the last, short part.
        self.emit()
    }
}

/// Nanoseconds since the epoch of a file's modification time (0 when unknown).
fn mtime_of(meta: &std::fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as i64)
}

/// The file system facts of an upload's source, refusing what is not a file.
async fn source_metadata(source: &Path) -> Result<std::fs::Metadata> {
    let meta = tokio::fs::metadata(source)
        .await
        .map_err(|e| Error::io(format!("cannot read {}", source.display()), e))?;
    if meta.is_dir() {
        return Err(Error::InvalidInput(format!(
            "{} is a directory, not a file",
            source.display()
        )));
    }
    Ok(meta)
}

/// The journal entry of an upload about to start.
fn journal_entry(
    prepared: &PreparedBoxFile,
    source: &Path,
    meta: &std::fs::Metadata,
    replaces: Option<i64>,
    source_offset: u64,
) -> PendingUpload {
    PendingUpload {
        file_salt: *prepared.file_salt().as_bytes(),
        started: crate::channel::now_unix(),
        source: source.to_string_lossy().into_owned(),
        source_size: meta.len(),
        source_mtime: mtime_of(meta),
        document_size: prepared.total_len(),
        header: prepared.header().to_vec(),
        token: None,
        replaces,
        source_offset,
    }
}

impl TgBox {
    /// The channel's capabilities and the box-file writer's limits for this account and box.
    async fn writer_limits(&self) -> Result<(crate::channel::Capabilities, Limits)> {
        let caps = retrying(|| self.channel.capabilities()).await?;
        let lb = self.localbox.clone();
        let metadata_max = blocking(move || lb.metadata_max()).await?;
        let upload_limit = if caps.limits.premium {
            UPLOAD_LIMIT_PREMIUM
        } else {
            UPLOAD_LIMIT
        };
        Ok((
            caps,
            Limits {
                metadata_max,
                upload_limit,
            },
        ))
    }

    /// How many parts (uploads) or ranged reads (downloads) one transfer keeps in flight.
    pub fn set_parallel(&self, n: usize) {
        self.parallel.store(n.clamp(1, 64), Ordering::Relaxed);
    }

    pub(crate) fn parallel(&self) -> usize {
        self.parallel.load(Ordering::Relaxed)
    }

    /// Uploads one file and records it in the LocalBox; returns the recorded file.
    ///
    /// # Errors
    /// [`Error::Io`] for a missing or unreadable source, [`Error::InvalidInput`] for a
    /// directory, [`Error::FingerprintExists`] when the box has a file at that path already,
    /// [`Error::Protocol`] for names, paths or sizes over the limits, channel errors (a file
    /// over the channel's document limit is `FILE_PARTS_INVALID`). After a failure nothing is
    /// in the channel or the LocalBox, except that an upload cut short by a transport error
    /// stays in the journal for [`TgBox::resume_uploads`].
    pub async fn upload(
        &self,
        file: UploadFile<'_>,
        progress: Arc<dyn Progress>,
    ) -> Result<LocalFile> {
        self.upload_slice(file, None, progress).await
    }

    /// [`TgBox::upload`] of bytes `[offset, offset + len)` of the source when `slice` is given
    /// (a part of a multipart file).
    pub(crate) async fn upload_slice(
        &self,
        file: UploadFile<'_>,
        slice: Option<(u64, u64)>,
        progress: Arc<dyn Progress>,
    ) -> Result<LocalFile> {
        let source = file.source.to_path_buf();
        let meta = source_metadata(&source).await?;
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
        let (caps, limits) = self.writer_limits().await?;
        let new = NewFile {
            dir: file.dir,
            name: &name,
            size: slice.map_or(meta.len(), |(_, len)| len),
            mime: file.mime,
            preview: &[],
            duration: 0,
            cattrs: file.cattrs,
        };
        let prepared = Arc::new(boxfile::prepare(
            &self.mainkey,
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
        let pending = journal_entry(
            &prepared,
            &source,
            &meta,
            None,
            slice.map_or(0, |(offset, _)| offset),
        );
        let (lb, p) = (self.localbox.clone(), pending.clone());
        blocking(move || lb.journal_begin(&p)).await?;
        self.continue_upload(pending, prepared, progress).await
    }

    /// Re-uploads file `id` from `source`, replacing its document in place (spec
    /// tgbox-boxes.md §3.6): the id and upload date stay, the file keeps its current directory
    /// and name, and its metadata edits are carried over to the new document's key.
    /// Journaled and resumable like an upload.
    ///
    /// # Errors
    /// As [`TgBox::upload`], plus [`Error::NoSuchFile`] and [`Error::NotABoxFile`].
    pub async fn replace(
        &self,
        id: i64,
        source: &Path,
        progress: Arc<dyn Progress>,
    ) -> Result<LocalFile> {
        let local = self.file(id).await?;
        super::remote::current_document(self.channel.as_ref(), &local).await?;
        let meta = source_metadata(source).await?;
        let (caps, limits) = self.writer_limits().await?;
        let original = self.original_info(&local)?;
        let dir = local
            .info()
            .dir
            .clone()
            .unwrap_or_else(|| boxfile::NO_FOLDER.to_owned());
        let new = NewFile {
            dir: &dir,
            name: &local.info().name,
            size: meta.len(),
            mime: &original.mime,
            preview: &[],
            duration: 0,
            cattrs: &original.cattrs,
        };
        let prepared = Arc::new(boxfile::prepare(
            &self.mainkey,
            &self.data.box_salt,
            &new,
            &limits,
            &mut OsEntropy,
        )?);
        caps.limits.check_document_size(prepared.total_len())?;
        let pending = journal_entry(&prepared, source, &meta, Some(id), 0);
        let (lb, p) = (self.localbox.clone(), pending.clone());
        blocking(move || lb.journal_begin(&p)).await?;
        self.continue_upload(pending, prepared, progress).await
    }

    /// Sends what the channel lacks of a journaled upload, posts it and records it.
    async fn continue_upload(
        &self,
        pending: PendingUpload,
        prepared: Arc<PreparedBoxFile>,
        progress: Arc<dyn Progress>,
    ) -> Result<LocalFile> {
        let salt = pending.file_salt;
        if pending.replaces.is_none()
            && pending.token.is_none()
            && prepared.total_len() <= PART_SIZE as u64
        {
            return self.post_whole(pending, prepared, progress).await;
        }
        let result = async {
            let (token, done) = match &pending.token {
                Some(t) => {
                    let lb = self.localbox.clone();
                    (
                        UploadToken(t.clone()),
                        blocking(move || lb.journal_parts(&salt)).await?,
                    )
                }
                None => (
                    self.new_token(&salt, prepared.total_len()).await?,
                    Vec::new(),
                ),
            };
            let sent = self
                .send_parts(
                    &prepared,
                    Path::new(&pending.source),
                    pending.source_offset,
                    &token,
                    &salt,
                    done,
                    progress.clone(),
                )
                .await;
            let token = match sent {
                // The channel forgot the parts (they expire): start them over once.
                Err(Error::Channel(e))
                    if e.kind() == crate::channel::ErrorKind::FilePartsInvalid
                        && pending.token.is_some() =>
                {
                    let token = self.new_token(&salt, prepared.total_len()).await?;
                    self.send_parts(
                        &prepared,
                        Path::new(&pending.source),
                        pending.source_offset,
                        &token,
                        &salt,
                        Vec::new(),
                        progress,
                    )
                    .await?;
                    token
                }
                other => {
                    other?;
                    token
                }
            };
            let name = prepared.file_salt().to_b64();
            // Not retried: a post whose answer was lost may have happened. The journal entry
            // stays, and the next open finds the document by its name.
            let message = match pending.replaces {
                None => {
                    self.channel
                        .commit_upload(&token, &name, DOCUMENT_MIME, "")
                        .await?
                }
                Some(id) => {
                    let caption = self.carried_caption(id, &prepared).await?;
                    let msg_id = i32::try_from(id).map_err(|_| Error::NoSuchFile(id))?;
                    self.channel
                        .commit_replacement(msg_id, &token, &name, DOCUMENT_MIME, Some(&caption))
                        .await?
                }
            };
            Ok::<Message, Error>(message)
        }
        .await;
        let message = match result {
            Ok(m) => m,
            Err(e) => return Err(self.failed(salt, e).await),
        };
        self.record_posted(&message, prepared, &salt, pending.replaces.is_some())
            .await
    }

    /// Uploads a document of one part in one request: no upload token or part ticks to
    /// journal (two LocalBox commits fewer per small file). The journal entry made before
    /// still covers a post whose answer is lost; a resumed entry without a token comes here
    /// again and encrypts the source anew.
    async fn post_whole(
        &self,
        pending: PendingUpload,
        prepared: Arc<PreparedBoxFile>,
        progress: Arc<dyn Progress>,
    ) -> Result<LocalFile> {
        use std::io::Seek;
        let salt = pending.file_salt;
        let (p, source, offset) = (
            prepared.clone(),
            pending.source.clone(),
            pending.source_offset,
        );
        let document = blocking(move || {
            let cannot = |e| Error::io(format!("cannot read {source}"), e);
            let mut file = std::fs::File::open(&source).map_err(cannot)?;
            file.seek(std::io::SeekFrom::Start(offset))
                .map_err(cannot)?;
            let mut document = Vec::with_capacity(p.total_len() as usize);
            p.encrypt_stream(file.take(p.size()), &mut document)?;
            Ok(document)
        })
        .await;
        let posted = match document {
            Ok(document) => {
                progress.update(prepared.size(), Some(prepared.size()));
                let name = prepared.file_salt().to_b64();
                // Retried only when refused, as the post may otherwise have happened: the
                // journal entry settles a lost answer.
                retrying_refusals(|| {
                    let upload = Upload::from_bytes(name.clone(), DOCUMENT_MIME, document.clone());
                    self.channel.post_document(upload, "")
                })
                .await
                .map_err(Error::from)
            }
            Err(e) => Err(e),
        };
        match posted {
            Ok(message) => self.record_posted(&message, prepared, &salt, false).await,
            Err(e) => Err(self.failed(salt, e).await),
        }
    }

    /// A failed upload stays in the journal for a resume when the channel may recover (a
    /// transient error); otherwise its entry is dropped. Returns the error to report.
    async fn failed(&self, salt: [u8; 32], e: Error) -> Error {
        if !matches!(&e, Error::Channel(c) if c.is_retryable()) {
            let lb = self.localbox.clone();
            if let Err(dropping) = blocking(move || lb.journal_drop(&salt)).await {
                return dropping;
            }
        }
        e
    }

    /// The caption of file `id`'s message, its updates re-encrypted under the new document's
    /// FileKey.
    async fn carried_caption(&self, id: i64, prepared: &PreparedBoxFile) -> Result<String> {
        let local = self.file(id).await?;
        let msg_id = i32::try_from(id).map_err(|_| Error::NoSuchFile(id))?;
        let message = super::remote::message(self.channel.as_ref(), msg_id).await?;
        let max = retrying(|| self.channel.capabilities())
            .await?
            .limits
            .caption_max;
        let caption = super::remote::effective_caption(&message.caption);
        Ok(tgbox_core::caption::reencrypt(
            local.file.filekey(),
            prepared.filekey(),
            caption,
            max,
            &mut OsEntropy,
        )?)
    }

    async fn new_token(&self, salt: &[u8; 32], size: u64) -> Result<UploadToken> {
        let token = retrying(|| self.channel.begin_upload(size)).await?;
        let (lb, t, s) = (self.localbox.clone(), token.0.clone(), *salt);
        blocking(move || lb.journal_token(&s, &t)).await?;
        Ok(token)
    }

    /// Encrypts the source again from its start (CBC and the HMAC run over the whole file) and
    /// sends every part not in `done`, up to [`TgBox::parallel`] at once, ticking each off in
    /// the journal as the channel acknowledges it.
    #[allow(clippy::too_many_arguments)]
    async fn send_parts(
        &self,
        prepared: &Arc<PreparedBoxFile>,
        source: &Path,
        offset: u64,
        token: &UploadToken,
        salt: &[u8; 32],
        done: Vec<u32>,
        progress: Arc<dyn Progress>,
    ) -> Result<()> {
        use std::io::Seek;
        let mut file = std::fs::File::open(source)
            .map_err(|e| Error::io(format!("cannot open {}", source.display()), e))?;
        file.seek(std::io::SeekFrom::Start(offset))
            .map_err(|e| Error::io(format!("cannot read {}", source.display()), e))?;
        // Exactly the slice: the encryptor checks the length against the declared size.
        let file = file.take(prepared.size());
        let parallel = self.parallel();
        let (tx, rx) = mpsc::channel::<(u32, Bytes)>(parallel);
        let writer = PartWriter {
            tx,
            buf: Vec::with_capacity(PART_SIZE),
            index: 0,
            skip: done.into_iter().collect(),
        };
        let (p, size) = (prepared.clone(), prepared.size());
        let encrypt = tokio::task::spawn_blocking(move || {
            let input = Counting {
                inner: std::io::BufReader::with_capacity(boxfile::write::CHUNK, file),
                done: 0,
                total: size,
                progress,
            };
            p.encrypt_stream(input, writer)
        });
        let sent = AtomicU64::new(0);
        let ticks = PartTicks::new(self.localbox.clone(), *salt);
        let sends = stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|part| (part, rx))
        })
        .map(|(index, bytes)| {
            let (sent, ticks) = (&sent, &ticks);
            async move {
                retrying(|| self.channel.upload_part(token, index, bytes.clone())).await?;
                ticks.done(index).await?;
                sent.fetch_add(1, Ordering::Relaxed);
                Ok::<(), Error>(())
            }
        })
        .buffer_unordered(parallel)
        .try_collect::<()>()
        .await;
        // Whatever stopped the sending, the parts acknowledged so far are kept for a resume.
        let flushed = ticks.flush().await;
        let encrypted = encrypt
            .await
            .map_err(|e| Error::InvalidInput(format!("the encryption thread failed: {e}")))?;
        // A source that failed or changed under us is the cause; a send error its symptom.
        if let Err(e) = encrypted {
            return Err(e.into());
        }
        sends?;
        flushed?;
        let parts = part_count(prepared.total_len());
        let lb = self.localbox.clone();
        let s = *salt;
        let acknowledged = blocking(move || lb.journal_parts(&s)).await?.len() as u32;
        if acknowledged != parts {
            return Err(Error::InvalidInput(format!(
                "{acknowledged} of {parts} parts reached the channel"
            )));
        }
        Ok(())
    }

    /// Records a posted upload's row and crosses its journal entry out; if the row cannot be
    /// written (another upload took the path meanwhile), the document is taken back.
    async fn record_posted(
        &self,
        message: &Message,
        prepared: Arc<PreparedBoxFile>,
        salt: &[u8; 32],
        replace: bool,
    ) -> Result<LocalFile> {
        let caption = super::remote::effective_caption(&message.caption);
        let blob = if caption.is_empty() {
            None
        } else {
            Some(tgbox_core::b64::decode(caption)?)
        };
        let (lb, mk, p, s) = (
            self.localbox.clone(),
            self.mainkey.clone(),
            prepared.clone(),
            *salt,
        );
        let (id, date) = (i64::from(message.id), message.date);
        let name = {
            let header = tgbox_core::boxfile::BoxFileHeader::parse(
                prepared.header(),
                tgbox_core::ints::LEN24_MAX,
            )?;
            header
                .decrypt(tgbox_core::boxfile::KeyRef::Main(&self.mainkey))?
                .info
                .name
        };
        let recorded = blocking(move || {
            let row = NewFileRow {
                id,
                upload_time: date,
                metadata: p.header(),
                dir: p.dir(),
                name: &name,
                filekey: p.filekey(),
                foreign_key: false,
                updated_metadata: blob.as_deref(),
                check_fingerprint: !replace,
            };
            lb.journal_finish(&mk, &s, &row, replace)
        })
        .await;
        if let Err(e) = recorded {
            // A new document whose row cannot be written is taken back; a replaced one stays
            // (it is the file now) and the next sync records it.
            if !replace {
                let ids = [message.id];
                retrying(|| self.channel.delete_messages(&ids)).await?;
            }
            let lb = self.localbox.clone();
            let s = *salt;
            blocking(move || lb.journal_drop(&s)).await?;
            return Err(e);
        }
        let file = self.file(id).await?;
        self.index_update(|ix| ix.insert(crate::index::IndexedFile::from(&file)));
        Ok(file)
    }

    /// Continues every journaled upload that a crash, a kill or a lost connection cut short,
    /// when its source is still there unchanged (same size and modification time); others are
    /// dropped from the journal. Returns the files it finished.
    ///
    /// # Errors
    /// LocalBox errors; an upload that fails again is left in the journal and skipped.
    pub async fn resume_uploads(&self, progress: Arc<dyn Progress>) -> Result<Vec<LocalFile>> {
        // First the uploads whose post happened but whose answer was lost: they are recorded,
        // not posted twice.
        self.recover_uploads().await?;
        let lb = self.localbox.clone();
        let pending = blocking(move || lb.journal_pending()).await?;
        let mut finished = Vec::new();
        for entry in pending {
            let salt = entry.file_salt;
            let unchanged = std::fs::metadata(&entry.source).is_ok_and(|m| {
                m.is_file() && m.len() == entry.source_size && mtime_of(&m) == entry.source_mtime
            });
            let prepared = PreparedBoxFile::resume(&self.mainkey, &entry.header).ok();
            let (true, Some(prepared)) = (unchanged, prepared) else {
                let lb = self.localbox.clone();
                blocking(move || lb.journal_drop(&salt)).await?;
                continue;
            };
            if let Ok(f) = self
                .continue_upload(entry, Arc::new(prepared), progress.clone())
                .await
            {
                finished.push(f);
            }
        }
        Ok(finished)
    }

    /// At open: journal entries whose document reached the channel (a crash between the post
    /// and the row) get their row now. The others stay for [`TgBox::resume_uploads`].
    pub(crate) async fn recover_uploads(&self) -> Result<()> {
        let lb = self.localbox.clone();
        let mut left = blocking(move || lb.journal_pending()).await?;
        if left.is_empty() {
            return Ok(());
        }
        // Re-uploads in place: look at their message directly.
        let replacements: Vec<PendingUpload> = left
            .iter()
            .filter(|p| p.replaces.is_some())
            .cloned()
            .collect();
        left.retain(|p| p.replaces.is_none());
        for entry in replacements {
            let Some(msg_id) = entry.replaces.and_then(|id| i32::try_from(id).ok()) else {
                continue;
            };
            let ids = [msg_id];
            let message = retrying(|| self.channel.get_messages(&ids))
                .await?
                .pop()
                .flatten();
            let salt = tgbox_core::FileSalt::from_bytes(entry.file_salt).to_b64();
            if let Some(m) = message.filter(|m| m.document.as_ref().is_some_and(|d| d.name == salt))
            {
                self.record_recovered(&m, &entry.file_salt, true).await?;
            }
        }
        let lb = self.localbox.clone();
        let after = blocking(move || lb.last_file_id()).await?.unwrap_or(0);
        let mut after = i32::try_from(after).unwrap_or(0);
        while !left.is_empty() {
            let page = retrying(|| self.channel.list_messages(after, 100)).await?;
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
                self.record_recovered(message, &entry.file_salt, false)
                    .await?;
            }
        }
        Ok(())
    }

    async fn record_recovered(
        &self,
        message: &Message,
        file_salt: &[u8; 32],
        replace: bool,
    ) -> Result<()> {
        let Some((header, region)) =
            read_header(self.channel.as_ref(), message, tgbox_core::ints::LEN24_MAX).await?
        else {
            return Err(Error::NotABoxFile(message.id));
        };
        let mut file = header.decrypt(tgbox_core::boxfile::KeyRef::Main(&self.mainkey))?;
        let caption = super::remote::effective_caption(&message.caption);
        let mut blob = None;
        if !caption.is_empty() && file.apply_caption(caption, Some(&self.mainkey))? {
            blob = Some(tgbox_core::b64::decode(caption)?);
        }
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
                updated_metadata: blob.as_deref(),
                check_fingerprint: false,
            };
            lb.journal_finish(&mk, &salt, &row, replace)
        })
        .await
    }
}
