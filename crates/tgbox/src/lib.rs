//! The async tgbox library.
//!
//! A box lives in a *channel*: an append-only log of numbered messages, each carrying one
//! document and an editable caption, plus a header and a feed of recent changes. The
//! [`channel`] module is the one seam between the library and wherever a channel really is:
//! the [`Channel`](channel::Channel) trait, the embedded backends
//! [`LocalChannel`](channel::LocalChannel) (`local:DIR`, the on-disk layout of
//! `spec/local-channel.md`) and [`MemoryChannel`](channel::MemoryChannel) (`memory:`), the
//! deterministic fault injector [`FaultyChannel`](channel::FaultyChannel), and the
//! conformance suite every backend must pass.
//!
//! ```
//! use tgbox::channel::{Channel, MemoryChannel, Upload};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let channel = MemoryChannel::create("TGBOX[01]: example", "", false)?;
//! let posted = channel
//!     .post_document(Upload::from_bytes("name", "application/octet-stream", b"bytes".to_vec()), "")
//!     .await?;
//! let document = posted.document.as_ref().expect("a posted message has a document");
//! let bytes = channel.read_document(posted.id, document.id, 1, 3).await?;
//! assert_eq!(&bytes[..], b"yte");
//! # Ok::<(), tgbox::channel::ChannelError>(())
//! # }).unwrap();
//! ```

pub mod channel;
mod error;
mod facade;
mod index;
mod index_store;
pub mod localbox;
mod pipe;
mod progress;
mod retry;
mod search;

pub use error::{Error, Result};
pub use facade::{
    BOX_TITLE_PREFIX, BatchItem, BatchResult, CheckReport, DirListing, Downloaded, Edit,
    MULTIPART_BLOCK, MakeBox, SessionInfo, SyncReport, TgBox, UploadFile, box_salt_from_about,
    tree_items,
};
pub use index::IndexedFile;
pub use progress::{NoProgress, Progress};
pub use search::{Criteria, SearchFilter};
