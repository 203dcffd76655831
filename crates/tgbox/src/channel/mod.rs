//! The seam between tgbox and wherever a channel really is.
//!
//! A channel is what TGBOX needs from Telegram and nothing more (spec/tgbox-boxes.md §3–4,
//! spec/local-channel.md §1): an append-only log of numbered messages, each carrying one
//! document and an editable caption; a header (title, description holding the box salt,
//! photo); deletion; and a feed of recent changes (Telegram's admin log) for fast sync.
//! It only ever sees ciphertext.
//!
//! Backends: [`LocalChannel`] (`local:DIR`), [`MemoryChannel`] (`memory:`), and the
//! [`FaultyChannel`] wrapper that injects rate limits, dropped connections, latency and
//! bandwidth caps into any of them. The [`conformance`] module holds the one test suite every
//! backend must pass, `telegram:` included.

mod body;
pub mod conformance;
mod error;
mod faulty;
mod limits;
mod local;
mod memory;
pub mod paging;
mod stamps;
pub(crate) use stamps::now_unix;
mod types;

pub use error::{ChannelError, ErrorKind, Result};
pub use faulty::{FaultConfig, FaultStats, FaultyChannel};
pub use limits::{
    ABOUT_MAX, CAPTION_MAX, CAPTION_MAX_PREMIUM, DOCUMENT_MAX, DOCUMENT_MAX_PREMIUM, Limits,
    READ_MAX, TITLE_MAX, utf16_len,
};
pub use local::{CRASH_POINT_VAR, GarbageReport, LocalChannel};
pub use memory::MemoryChannel;
pub use types::{
    Capabilities, ChannelHeader, Document, DocumentId, Event, EventAction, EventFilter, EventId,
    ForwardedFrom, MESSAGE_ID_MAX, Message, MessageId, PART_SIZE, Photo, Upload, UploadToken,
    part_count, part_len,
};

use async_trait::async_trait;
use bytes::Bytes;

/// What TGBOX needs from a Telegram channel.
///
/// Every method is one request as far as the caller is concerned: it either happens
/// completely or not at all, never half (a document is never visible before all of its bytes
/// are stored). Methods may be called concurrently from many tasks; the backend serialises what
/// must be serialised. Errors are [`ChannelError`]s; only those with
/// [`is_retryable`](ChannelError::is_retryable) are worth repeating, after
/// [`retry_after`](ChannelError::retry_after) when given. Retrying is the caller's job, in one
/// place: backends never retry on their own beyond what their transport needs.
///
/// **Cancel-safety.** Dropping a read-only future has no effect. Dropping the future of a
/// change (post, replace, edit, delete, header edits) leaves the channel as if the change
/// either happened completely or not at all; which one is not reported, so after a cancelled
/// change the caller looks (by listing or by id) before repeating it. Changes are not
/// idempotent: posting the same upload twice makes two messages.
#[async_trait]
pub trait Channel: Send + Sync {
    /// The header: id, title, description, photo name, creation date, Premium flag.
    ///
    /// # Errors
    /// Transport errors; [`ErrorKind::ChannelInvalid`] when the channel is gone.
    async fn header(&self) -> Result<ChannelHeader>;

    /// What this channel allows: the limits of the account, the retention of the change feed,
    /// the largest read.
    ///
    /// # Errors
    /// Transport errors.
    async fn capabilities(&self) -> Result<Capabilities>;

    /// Sets the title (logged as an `edit_title` event). Repeating it answers
    /// [`ErrorKind::TitleNotModified`], which a retry after a lost answer reads as success.
    ///
    /// # Errors
    /// [`ErrorKind::TitleEmpty`], [`ErrorKind::TitleTooLong`],
    /// [`ErrorKind::TitleNotModified`] when it equals the current title.
    async fn set_title(&self, title: &str) -> Result<()>;

    /// Sets the description (logged as an `edit_about` event). TGBOX stores the box salt here.
    /// Repeating it answers [`ErrorKind::AboutNotModified`].
    ///
    /// # Errors
    /// [`ErrorKind::AboutTooLong`], [`ErrorKind::AboutNotModified`] when unchanged.
    async fn set_about(&self, about: &str) -> Result<()>;

    /// Sets the channel photo (logged as an `edit_photo` event).
    ///
    /// # Errors
    /// [`ErrorKind::FilePartsInvalid`] for an empty photo; transport errors.
    async fn set_photo(&self, photo: Photo) -> Result<()>;

    /// The photo's bytes as uploaded, if the channel has one.
    ///
    /// # Errors
    /// Transport errors.
    async fn photo(&self) -> Result<Option<Bytes>>;

    /// Posts a new message carrying `upload` as its document, with `caption` sent verbatim
    /// (no Markdown or HTML parsing). Returns the new message: its id is greater than every id
    /// the channel ever handed out, its `date` is the post time.
    ///
    /// The body is read exactly `upload.size` bytes far; a body that ends early or runs on is
    /// refused and nothing is posted. Limits are checked before the first byte is read.
    /// Not idempotent: every successful call makes a new message.
    ///
    /// # Errors
    /// [`ErrorKind::CaptionTooLong`], [`ErrorKind::FilePartsInvalid`] (empty, too big, or a
    /// body whose length differs from `upload.size`), [`ErrorKind::ChannelFull`], errors of the
    /// body stream as [`ErrorKind::Io`], transport errors.
    async fn post_document(&self, upload: Upload, caption: &str) -> Result<Message>;

    /// Starts an upload in parts of a document of `size` bytes: parts of [`PART_SIZE`] bytes
    /// (the last one shorter), sent with [`Channel::upload_part`] in any order and in
    /// parallel, then posted with [`Channel::commit_upload`] (Telegram's
    /// `upload.saveBigFilePart` and `messages.sendMedia`). The token is printable and may be
    /// kept across restarts to resume: the backend keeps received parts for at least a day.
    ///
    /// # Errors
    /// [`ErrorKind::FilePartsInvalid`] for an empty document or one over the limit.
    async fn begin_upload(&self, size: u64) -> Result<UploadToken>;

    /// Stores part `index` of an upload. Idempotent: sending a part again replaces it.
    /// Cancel-safe: a dropped call leaves the part stored or absent, never half.
    ///
    /// # Errors
    /// [`ErrorKind::FilePartsInvalid`] for an unknown or expired token, an index past the last
    /// part, or a part of the wrong length; transport errors.
    async fn upload_part(&self, token: &UploadToken, index: u32, bytes: Bytes) -> Result<()>;

    /// Posts the uploaded parts as a new message's document, as
    /// [`Channel::post_document`] does; the token is used up.
    ///
    /// # Errors
    /// [`ErrorKind::FilePartsInvalid`] when a part is missing or the token is unknown;
    /// [`ErrorKind::CaptionTooLong`], [`ErrorKind::ChannelFull`], transport errors.
    async fn commit_upload(
        &self,
        token: &UploadToken,
        name: &str,
        mime: &str,
        caption: &str,
    ) -> Result<Message>;

    /// Replaces message `id`'s document with the uploaded parts, as
    /// [`Channel::replace_document`] does (Telegram's `messages.editMessage` with an uploaded
    /// document); the token is used up.
    ///
    /// # Errors
    /// As [`Channel::commit_upload`], plus [`ErrorKind::MessageIdInvalid`].
    async fn commit_replacement(
        &self,
        id: MessageId,
        token: &UploadToken,
        name: &str,
        mime: &str,
        caption: Option<&str>,
    ) -> Result<Message>;

    /// Replaces message `id`'s document in place (TGBOX's re-upload, spec/tgbox-boxes.md §3.6):
    /// the id and `date` stay, the document gets a new id, `edit_date` is set, and the caption
    /// becomes `caption` when given. Readers of the old document then get
    /// [`ErrorKind::FileReferenceExpired`]. Not idempotent: each call stores a new document.
    ///
    /// # Errors
    /// As [`Channel::post_document`], plus [`ErrorKind::MessageIdInvalid`].
    async fn replace_document(
        &self,
        id: MessageId,
        upload: Upload,
        caption: Option<&str>,
    ) -> Result<Message>;

    /// Sets message `id`'s caption, keeping its id, date and document; sets `edit_date`.
    /// Repeating it answers [`ErrorKind::MessageNotModified`], which a retry reads as success.
    ///
    /// # Errors
    /// [`ErrorKind::MessageIdInvalid`], [`ErrorKind::MessageNotModified`] when the caption is
    /// unchanged, [`ErrorKind::CaptionTooLong`].
    async fn edit_caption(&self, id: MessageId, caption: &str) -> Result<Message>;

    /// Reads up to `len` bytes of message `id`'s document `document` from `offset`. The result
    /// is shorter than `len` only at the end of the document (empty at or past the end). Any
    /// offset is allowed; backends with alignment rules (Telegram) align internally.
    ///
    /// # Errors
    /// [`ErrorKind::FileReferenceExpired`] when the message is gone or now carries another
    /// document; [`ErrorKind::InvalidArgument`] when `len` exceeds
    /// [`Capabilities::read_max`]; transport errors.
    async fn read_document(
        &self,
        id: MessageId,
        document: DocumentId,
        offset: u64,
        len: usize,
    ) -> Result<Bytes>;

    /// Messages with an id greater than `after`, in ascending id order, at most `limit` (a page:
    /// fewer may come back even when more exist; an empty page means there are no more).
    ///
    /// # Errors
    /// Transport errors; [`ErrorKind::Corrupt`] for an unreadable local record.
    async fn list_messages(&self, after: MessageId, limit: usize) -> Result<Vec<Message>>;

    /// The messages with the given ids, one entry per id in the same order; `None` for an id
    /// that does not exist (never existed, or was deleted).
    ///
    /// # Errors
    /// Transport errors.
    async fn get_messages(&self, ids: &[MessageId]) -> Result<Vec<Option<Message>>>;

    /// Deletes the messages with the given ids and their documents. Ids that do not exist are
    /// skipped; returns how many were deleted. Deleted ids are never handed out again.
    /// Idempotent: repeating it deletes nothing more and returns 0.
    ///
    /// # Errors
    /// [`ErrorKind::AdminRequired`] without the right; transport errors.
    async fn delete_messages(&self, ids: &[MessageId]) -> Result<usize>;

    /// Change events with an id greater than `after` that pass `filter`, oldest first, at most
    /// `limit` (a page, as in [`Channel::list_messages`]). Event ids strictly increase; gaps
    /// are allowed. Events older than [`Capabilities::event_retention`] may be gone, and an
    /// event may be missing after a crash: the feed is a hint for fast sync, the messages are
    /// the truth.
    ///
    /// # Errors
    /// Transport errors.
    async fn events(&self, after: EventId, filter: EventFilter, limit: usize)
    -> Result<Vec<Event>>;
}
