//! `local:DIR` — the embedded channel: one directory laid out exactly as
//! spec/local-channel.md says, which `shared/interop/ref_box.py` reads and writes too.
//!
//! Durable and safe for several processes: document bytes are staged in `tmp/` without the
//! lock; the commit (reserve ids, rename the document into place, write the record atomically,
//! append the event) runs under an exclusive lock on `DIR/lock`. A kill at any point leaves at
//! worst an invisible staged file, a stray document file or an id gap (§6.6). File work runs on
//! tokio's blocking threads.

mod crashpoint;
mod fsio;
mod parts;
mod records;
mod store;

use std::path::Path;

use async_trait::async_trait;
use bytes::Bytes;
use tokio::io::AsyncWriteExt;

pub use crashpoint::CRASH_POINT_VAR;
pub use store::GarbageReport;
use store::{Staged, Store};

use super::Channel;
use super::body::copy_exact;
use super::error::{ChannelError, ErrorKind, Result};
use super::limits::{Limits, READ_MAX, check_read_len};
use super::stamps::random_in;
use super::types::{
    Capabilities, ChannelHeader, DocumentId, Event, EventFilter, EventId, Message, MessageId,
    Photo, Upload, UploadToken,
};

/// A channel in a local directory.
#[derive(Clone, Debug)]
pub struct LocalChannel {
    store: Store,
}

/// Runs blocking file work off the async threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ChannelError::new(ErrorKind::Other, format!("a file task failed: {e}")))?
}

/// Removes a staged file unless it was committed (renamed away) first; also runs when the
/// future that owns it is dropped, so a cancelled upload leaves nothing behind.
struct StagedGuard(Staged);

impl Drop for StagedGuard {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0.path);
    }
}

impl LocalChannel {
    /// Creates a channel in `dir` (§6.3 Create): `dir` may be missing or hold only what an
    /// interrupted create left (`lock`, empty `messages/`, `tmp/`). The channel id is random,
    /// 10 digits, like `ref_box.py`'s.
    ///
    /// # Errors
    /// [`ErrorKind::DirNotEmpty`], the title and description limits, [`ErrorKind::Io`].
    pub async fn create(
        dir: impl AsRef<Path>,
        title: &str,
        about: &str,
        premium: bool,
    ) -> Result<Self> {
        let dir = dir.as_ref().to_path_buf();
        let (title, about) = (title.to_owned(), about.to_owned());
        let id = random_in(9_000_000_000)? as i64 + 999_999_999;
        let store = blocking(move || Store::create(&dir, &title, &about, premium, id)).await?;
        Ok(LocalChannel { store })
    }

    /// Opens the channel in `dir`.
    ///
    /// # Errors
    /// [`ErrorKind::ChannelInvalid`] when `dir` holds no channel,
    /// [`ErrorKind::VersionUnsupported`], [`ErrorKind::Corrupt`].
    pub async fn open(dir: impl AsRef<Path>) -> Result<Self> {
        let store = Store::new(dir.as_ref().to_path_buf());
        let probe = store.clone();
        blocking(move || probe.read_meta()).await?;
        Ok(LocalChannel { store })
    }

    /// The channel's directory.
    pub fn dir(&self) -> &Path {
        self.store.root()
    }

    /// §6.6 Clean-up: removes document files that no record points to and `tmp/` files older
    /// than 24 hours.
    ///
    /// # Errors
    /// [`ErrorKind::Io`], or the errors of reading the channel.
    pub async fn collect_garbage(&self) -> Result<GarbageReport> {
        let store = self.store.clone();
        blocking(move || store.collect_garbage()).await
    }

    async fn limits(&self) -> Result<Limits> {
        let store = self.store.clone();
        let meta = blocking(move || store.read_meta()).await?;
        Ok(Limits::for_account(meta.header.premium))
    }

    /// Streams the body into `tmp/` and fsyncs it (no lock: §6.1 keeps the lock for commits).
    async fn stage(&self, upload: Upload) -> Result<StagedGuard> {
        let Upload {
            name,
            mime,
            size,
            mut body,
        } = upload;
        let path = fsio::tmp_path(self.store.root(), "upload")?;
        let guard = StagedGuard(Staged {
            path: path.clone(),
            size,
            name,
            mime,
        });
        let mut file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await
            .map_err(|e| ChannelError::io(format!("creating {}", path.display()), e))?;
        copy_exact(&mut body, size, &mut file).await?;
        file.sync_all()
            .await
            .map_err(|e| ChannelError::io(format!("syncing {}", path.display()), e))?;
        file.shutdown()
            .await
            .map_err(|e| ChannelError::io(format!("closing {}", path.display()), e))?;
        Ok(guard)
    }
}

#[async_trait]
impl Channel for LocalChannel {
    async fn header(&self) -> Result<ChannelHeader> {
        let store = self.store.clone();
        Ok(blocking(move || store.read_meta()).await?.header)
    }

    async fn capabilities(&self) -> Result<Capabilities> {
        Ok(Capabilities {
            limits: self.limits().await?,
            event_retention: None,
            read_max: READ_MAX,
        })
    }

    async fn set_title(&self, title: &str) -> Result<()> {
        let (store, title) = (self.store.clone(), title.to_owned());
        blocking(move || store.set_title(&title)).await
    }

    async fn set_about(&self, about: &str) -> Result<()> {
        let (store, about) = (self.store.clone(), about.to_owned());
        blocking(move || store.set_about(&about)).await
    }

    async fn set_photo(&self, photo: Photo) -> Result<()> {
        let store = self.store.clone();
        blocking(move || store.set_photo(&photo.bytes, &photo.extension)).await
    }

    async fn photo(&self) -> Result<Option<Bytes>> {
        let store = self.store.clone();
        Ok(blocking(move || store.photo()).await?.map(Bytes::from))
    }

    async fn post_document(&self, upload: Upload, caption: &str) -> Result<Message> {
        let limits = self.limits().await?;
        limits.check_caption(caption)?;
        limits.check_document_size(upload.size)?;
        let staged = self.stage(upload).await?;
        crashpoint::reach("post:staged");
        let (store, caption) = (self.store.clone(), caption.to_owned());
        // The guard moves into the commit: once the commit runs it finishes even if this
        // future is dropped, and the guard's clean-up then finds the file already renamed.
        blocking(move || store.post(&staged.0, &caption)).await
    }

    async fn begin_upload(&self, size: u64) -> Result<UploadToken> {
        let store = self.store.clone();
        blocking(move || store.begin_parts(size)).await
    }

    async fn upload_part(&self, token: &UploadToken, index: u32, bytes: Bytes) -> Result<()> {
        let (store, token) = (self.store.clone(), token.clone());
        blocking(move || store.put_part(&token, index, &bytes)).await
    }

    async fn commit_upload(
        &self,
        token: &UploadToken,
        name: &str,
        mime: &str,
        caption: &str,
    ) -> Result<Message> {
        let (store, token) = (self.store.clone(), token.clone());
        let (name, mime, caption) = (name.to_owned(), mime.to_owned(), caption.to_owned());
        blocking(move || store.commit_parts(&token, &name, &mime, &caption)).await
    }

    async fn commit_replacement(
        &self,
        id: MessageId,
        token: &UploadToken,
        name: &str,
        mime: &str,
        caption: Option<&str>,
    ) -> Result<Message> {
        let (store, token) = (self.store.clone(), token.clone());
        let (name, mime, caption) = (name.to_owned(), mime.to_owned(), caption.map(str::to_owned));
        blocking(move || store.commit_parts_replacing(id, &token, &name, &mime, caption.as_deref()))
            .await
    }

    async fn replace_document(
        &self,
        id: MessageId,
        upload: Upload,
        caption: Option<&str>,
    ) -> Result<Message> {
        let limits = self.limits().await?;
        if let Some(c) = caption {
            limits.check_caption(c)?;
        }
        limits.check_document_size(upload.size)?;
        let probe = self.store.clone();
        if blocking(move || probe.message(id)).await?.is_none() {
            return Err(ChannelError::new(
                ErrorKind::MessageIdInvalid,
                format!("no message {id}"),
            ));
        }
        let staged = self.stage(upload).await?;
        let (store, caption) = (self.store.clone(), caption.map(str::to_owned));
        blocking(move || store.edit(id, caption.as_deref(), Some(&staged.0))).await
    }

    async fn edit_caption(&self, id: MessageId, caption: &str) -> Result<Message> {
        let (store, caption) = (self.store.clone(), caption.to_owned());
        blocking(move || store.edit(id, Some(&caption), None)).await
    }

    async fn read_document(
        &self,
        id: MessageId,
        document: DocumentId,
        offset: u64,
        len: usize,
    ) -> Result<Bytes> {
        check_read_len(len)?;
        let store = self.store.clone();
        Ok(Bytes::from(
            blocking(move || store.read_document(id, document, offset, len)).await?,
        ))
    }

    async fn list_messages(&self, after: MessageId, limit: usize) -> Result<Vec<Message>> {
        let store = self.store.clone();
        blocking(move || store.list(after, limit)).await
    }

    async fn get_messages(&self, ids: &[MessageId]) -> Result<Vec<Option<Message>>> {
        let (store, ids) = (self.store.clone(), ids.to_vec());
        blocking(move || ids.iter().map(|&id| store.message(id)).collect()).await
    }

    async fn delete_messages(&self, ids: &[MessageId]) -> Result<usize> {
        let (store, ids) = (self.store.clone(), ids.to_vec());
        blocking(move || store.delete(&ids)).await
    }

    async fn events(
        &self,
        after: EventId,
        filter: EventFilter,
        limit: usize,
    ) -> Result<Vec<Event>> {
        let store = self.store.clone();
        blocking(move || store.events(after, filter, limit)).await
    }
}
