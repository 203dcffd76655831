//! `TgBox`: a decrypted box — its channel, its LocalBox and its keys — and the operations on
//! it, one file per concern (making and opening, cloning, uploading, downloading), each adding
//! an `impl TgBox` block.

mod browse;
mod check;
mod clone;
mod download;
mod edit;
mod make;
mod multipart;
mod ranges;
mod remote;
mod share;
mod sync;
mod ticks;
mod upload;
mod upload_many;

use std::path::Path;
use std::sync::Arc;

use tgbox_core::{BaseKey, BoxSalt, MainKey};

use crate::channel::Channel;
use crate::error::{Error, Result};
use crate::localbox::{BoxData, LocalBox};

pub use browse::DirListing;
pub use check::CheckReport;
pub use download::Downloaded;
pub use edit::Edit;
pub use make::{BOX_TITLE_PREFIX, MakeBox, SessionInfo, box_salt_from_about};
pub use multipart::MULTIPART_BLOCK;
pub use sync::SyncReport;
pub use upload::UploadFile;
pub use upload_many::{BatchItem, BatchResult, tree_items};

/// A decrypted box.
pub struct TgBox {
    channel: Arc<dyn Channel>,
    localbox: Arc<LocalBox>,
    mainkey: Arc<MainKey>,
    data: BoxData,
    index: std::sync::Mutex<Option<Arc<crate::index::FileIndex>>>,
    parallel: std::sync::atomic::AtomicUsize,
}

impl std::fmt::Debug for TgBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TgBox")
            .field("channel_id", &self.data.channel_id)
            .field("localbox", &self.localbox.path())
            .finish_non_exhaustive()
    }
}

/// Runs LocalBox work on a blocking thread.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::InvalidInput(format!("a worker thread failed: {e}")))?
}

impl TgBox {
    /// A box from its parts, with an empty index and the default parallelism (4).
    fn assemble(
        channel: Arc<dyn Channel>,
        lb: LocalBox,
        mainkey: Arc<MainKey>,
        data: BoxData,
    ) -> TgBox {
        TgBox {
            channel,
            localbox: Arc::new(lb),
            mainkey,
            data,
            index: Default::default(),
            parallel: std::sync::atomic::AtomicUsize::new(4),
        }
    }

    /// Opens a box from its LocalBox and its channel. The BaseKey must open the LocalBox, and
    /// the LocalBox must belong to this channel.
    ///
    /// # Errors
    /// [`Error::WrongPhrase`], [`Error::ChannelMismatch`], [`Error::LocalBox`], channel errors.
    pub async fn open(
        channel: Arc<dyn Channel>,
        localbox: &Path,
        basekey: &BaseKey,
    ) -> Result<TgBox> {
        let path = localbox.to_path_buf();
        let lb = blocking(move || LocalBox::open(&path)).await?;
        let (mainkey, data) = lb.unlock(basekey)?;
        let header = crate::retry::retrying(|| channel.header()).await?;
        if header.id != data.channel_id {
            return Err(Error::ChannelMismatch {
                localbox: data.channel_id,
                channel: header.id,
            });
        }
        let tgbox = TgBox::assemble(channel, lb, Arc::new(mainkey), data);
        tgbox.recover_uploads().await?;
        Ok(tgbox)
    }

    /// The channel.
    pub fn channel(&self) -> &Arc<dyn Channel> {
        &self.channel
    }

    /// The LocalBox.
    pub fn localbox(&self) -> &LocalBox {
        &self.localbox
    }

    /// The box salt.
    pub fn box_salt(&self) -> &BoxSalt {
        &self.data.box_salt
    }

    /// The channel's id.
    pub fn channel_id(&self) -> i64 {
        self.data.channel_id
    }

    /// The MainKey (needed to share or to decrypt box files by hand).
    pub fn mainkey(&self) -> &MainKey {
        &self.mainkey
    }

    /// Every file of the LocalBox, decrypted, ascending by id.
    ///
    /// # Errors
    /// [`Error::LocalBox`], [`Error::Protocol`] for a row this box cannot decrypt.
    pub async fn files(&self) -> Result<Vec<crate::localbox::LocalFile>> {
        let (lb, mk) = (self.localbox.clone(), self.mainkey.clone());
        blocking(move || {
            lb.file_ids()?
                .into_iter()
                .map(|id| lb.file(&mk, id))
                .collect()
        })
        .await
    }

    /// One file of the LocalBox.
    ///
    /// # Errors
    /// [`Error::NoSuchFile`], as [`TgBox::files`].
    pub async fn file(&self, id: i64) -> Result<crate::localbox::LocalFile> {
        let (lb, mk) = (self.localbox.clone(), self.mainkey.clone());
        blocking(move || lb.file(&mk, id)).await
    }
}
