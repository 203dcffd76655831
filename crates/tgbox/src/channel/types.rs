//! The values that cross the [`Channel`](super::Channel) seam.
//!
//! They mirror spec/local-channel.md §3–5, which in turn mirrors what Telegram returns: a
//! header, message records with their document, and change events.

use std::fmt;
use std::time::Duration;

use tokio::io::AsyncRead;

use super::limits::Limits;

/// A message id: positive, per channel, only ever growing, never reused (Telegram: 32-bit).
pub type MessageId = i32;
/// A document id: random per upload; a replaced document gets a new one.
pub type DocumentId = u64;
/// A change-feed event id: strictly increasing, gaps allowed.
pub type EventId = u64;
/// The largest message id a channel hands out (2³¹−1).
pub const MESSAGE_ID_MAX: MessageId = i32::MAX;

/// A channel's header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelHeader {
    /// The channel's bare id (the LocalBox stores it as `BOX_CHANNEL_ID`).
    pub id: i64,
    /// The title; a box uses `"TGBOX[01]: " + box name`.
    pub title: String,
    /// The description; a box keeps `base64url(BoxSalt)` here.
    pub about: String,
    /// Whether the channel has a photo.
    pub has_photo: bool,
    /// Unix seconds of creation.
    pub created: i64,
    /// Whether writers get the Premium limits.
    pub premium: bool,
}

/// What a channel allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capabilities {
    /// Size and length limits for writers.
    pub limits: Limits,
    /// How long change events are kept (Telegram: 48 hours); `None` = forever.
    pub event_retention: Option<Duration>,
    /// The largest `len` one [`read_document`](super::Channel::read_document) call accepts.
    pub read_max: usize,
}

/// A document attached to a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    /// Its id; changes when the document is replaced.
    pub id: DocumentId,
    /// Its file name attribute (box files: `base64url(FileSalt)`).
    pub name: String,
    /// Its exact size in bytes.
    pub size: u64,
    /// Its MIME type as declared by the uploader.
    pub mime: String,
}

/// Where a forwarded message came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForwardedFrom {
    /// The original channel's id.
    pub channel_id: i64,
    /// The original message's id, when known.
    pub message_id: Option<MessageId>,
    /// The original message's date (Unix seconds).
    pub date: i64,
}

/// One message of a channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Its id.
    pub id: MessageId,
    /// Unix seconds when it was posted; edits leave it alone (TGBOX's upload time).
    pub date: i64,
    /// Unix seconds of the last caption or document edit.
    pub edit_date: Option<i64>,
    /// The caption, verbatim.
    pub caption: String,
    /// The document, if the message has one (TGBOX skips messages without).
    pub document: Option<Document>,
    /// Set when the message was forwarded in from elsewhere.
    pub forwarded_from: Option<ForwardedFrom>,
}

/// A change in the feed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Its id.
    pub id: EventId,
    /// Unix seconds of the change.
    pub date: i64,
    /// What changed.
    pub action: EventAction,
}

/// What a change event records.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventAction {
    /// A message was posted.
    NewMessage {
        /// The message as posted.
        message: Message,
    },
    /// A caption was edited and/or a document replaced.
    EditMessage {
        /// The message after the change.
        message: Message,
        /// The message before the change.
        prev: Message,
    },
    /// A message was deleted.
    DeleteMessage {
        /// The message as it was when deleted.
        message: Message,
    },
    /// The title changed.
    EditTitle {
        /// The new title.
        title: String,
        /// The previous title.
        prev: String,
    },
    /// The description changed.
    EditAbout {
        /// The new description.
        about: String,
        /// The previous description.
        prev: String,
    },
    /// The photo changed.
    EditPhoto,
}

impl EventAction {
    /// The message an event concerns, if it concerns one.
    pub fn message_id(&self) -> Option<MessageId> {
        match self {
            EventAction::NewMessage { message }
            | EventAction::EditMessage { message, .. }
            | EventAction::DeleteMessage { message } => Some(message.id),
            _ => None,
        }
    }
}

/// Which events [`events`](super::Channel::events) returns, like the admin log's filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventFilter {
    /// New messages (Telegram's "send" events).
    pub new_messages: bool,
    /// Caption edits and document replacements.
    pub edits: bool,
    /// Deletions.
    pub deletes: bool,
    /// Title, description and photo changes (Telegram's "info" events).
    pub info: bool,
}

impl EventFilter {
    /// Every event.
    pub const ALL: EventFilter = EventFilter {
        new_messages: true,
        edits: true,
        deletes: true,
        info: true,
    };
    /// What TGBOX's fast sync asks for: edits and deletes (spec/tgbox-boxes.md §6.2).
    pub const FAST_SYNC: EventFilter = EventFilter {
        new_messages: false,
        edits: true,
        deletes: true,
        info: false,
    };

    /// Whether `action` passes the filter.
    pub fn matches(&self, action: &EventAction) -> bool {
        match action {
            EventAction::NewMessage { .. } => self.new_messages,
            EventAction::EditMessage { .. } => self.edits,
            EventAction::DeleteMessage { .. } => self.deletes,
            EventAction::EditTitle { .. }
            | EventAction::EditAbout { .. }
            | EventAction::EditPhoto => self.info,
        }
    }
}

/// A document to post: its attributes, its exact size, and a stream of its bytes.
pub struct Upload {
    /// The file name attribute.
    pub name: String,
    /// The MIME type.
    pub mime: String,
    /// The exact number of bytes `body` yields.
    pub size: u64,
    /// The bytes.
    pub body: Box<dyn AsyncRead + Send + Unpin>,
}

impl Upload {
    /// An upload from a stream of known size.
    pub fn new(
        name: impl Into<String>,
        mime: impl Into<String>,
        size: u64,
        body: impl AsyncRead + Send + Unpin + 'static,
    ) -> Self {
        Upload {
            name: name.into(),
            mime: mime.into(),
            size,
            body: Box::new(body),
        }
    }

    /// An upload of bytes already in memory.
    pub fn from_bytes(name: impl Into<String>, mime: impl Into<String>, bytes: Vec<u8>) -> Self {
        let size = bytes.len() as u64;
        Upload::new(name, mime, size, std::io::Cursor::new(bytes))
    }
}

impl fmt::Debug for Upload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Upload")
            .field("name", &self.name)
            .field("mime", &self.mime)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

/// The size of every part of an upload in parts but the last (Telegram's 512 KiB).
pub const PART_SIZE: usize = 512 * 1024;

/// How many parts a document of `size` bytes has.
pub fn part_count(size: u64) -> u32 {
    size.div_ceil(PART_SIZE as u64) as u32
}

/// The length of part `index` of a document of `size` bytes, or `None` past the last part.
pub fn part_len(size: u64, index: u32) -> Option<usize> {
    let start = u64::from(index) * PART_SIZE as u64;
    (start < size).then(|| (size - start).min(PART_SIZE as u64) as usize)
}

/// Names an upload in parts (see [`Channel::begin_upload`](super::Channel::begin_upload)).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UploadToken(pub String);

/// A channel photo: its bytes and the file extension they should be stored under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Photo {
    /// The image bytes.
    pub bytes: Vec<u8>,
    /// Lower-case extension without the dot, 1–8 of `[a-z0-9]` (e.g. `png`); anything else is
    /// stored without an extension.
    pub extension: String,
}
