//! `memory:` — a channel held in process memory, for unit tests.
//!
//! Same semantics as `local:` (spec/local-channel.md §6.3) without the files: ids reserved
//! before use, Telegram's limits, the change feed. Clones share one channel, so several
//! "clients" of one box can be simulated in one process.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use bytes::Bytes;

use super::Channel;
use super::body::copy_exact;
use super::error::{ChannelError, ErrorKind, Result};
use super::limits::{Limits, READ_MAX, check_read_len};
use super::stamps::{document_id, now_unix, random_in};
use super::types::{
    Capabilities, ChannelHeader, Document, DocumentId, Event, EventAction, EventFilter, EventId,
    MESSAGE_ID_MAX, Message, MessageId, Photo, Upload, UploadToken, part_count, part_len,
};

/// A channel in memory. Cloning gives another handle on the same channel.
#[derive(Clone, Debug)]
pub struct MemoryChannel {
    state: Arc<Mutex<State>>,
}

#[derive(Debug)]
struct State {
    header: ChannelHeader,
    photo: Option<Bytes>,
    next_message_id: i64,
    next_event_id: EventId,
    messages: BTreeMap<MessageId, Stored>,
    events: Vec<Event>,
    /// Uploads in parts: size and the parts received.
    uploads: std::collections::HashMap<String, (u64, BTreeMap<u32, Bytes>)>,
}

#[derive(Debug)]
struct Stored {
    message: Message,
    bytes: Bytes,
}

impl MemoryChannel {
    /// A new empty channel.
    ///
    /// # Errors
    /// [`ErrorKind::TitleEmpty`], [`ErrorKind::TitleTooLong`], [`ErrorKind::AboutTooLong`].
    pub fn create(title: &str, about: &str, premium: bool) -> Result<Self> {
        let limits = Limits::for_account(premium);
        limits.check_title(title)?;
        limits.check_about(about)?;
        let header = ChannelHeader {
            id: random_in(9_000_000_000)? as i64 + 999_999_999,
            title: title.to_owned(),
            about: about.to_owned(),
            has_photo: false,
            created: now_unix(),
            premium,
        };
        let state = State {
            header,
            photo: None,
            next_message_id: 1,
            next_event_id: 1,
            messages: BTreeMap::new(),
            events: Vec::new(),
            uploads: Default::default(),
        };
        Ok(MemoryChannel {
            state: Arc::new(Mutex::new(state)),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave a half-applied change: every change
        // below is computed first and applied with infallible steps, so the poison is moot.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn limits(&self) -> Limits {
        Limits::for_account(self.lock().header.premium)
    }

    async fn stage(&self, upload: Upload) -> Result<(Document, Bytes)> {
        self.limits().check_document_size(upload.size)?;
        let Upload {
            name,
            mime,
            size,
            mut body,
        } = upload;
        let mut bytes = Vec::with_capacity(size.min(64 << 20) as usize);
        copy_exact(&mut body, size, &mut bytes).await?;
        let document = Document {
            id: document_id()?,
            name,
            size,
            mime,
        };
        Ok((document, Bytes::from(bytes)))
    }
}

impl State {
    fn limits(&self) -> Limits {
        Limits::for_account(self.header.premium)
    }

    /// The parts of an upload joined in order, once every one is there; the upload stays until
    /// [`State::post`] or [`State::replace`] succeeded.
    fn joined_parts(&self, token: &UploadToken) -> Result<(u64, Bytes)> {
        let (size, parts) = self
            .uploads
            .get(&token.0)
            .ok_or_else(|| unknown_upload(token))?;
        let (size, count) = (*size, part_count(*size));
        if let Some(missing) = (0..count).find(|i| !parts.contains_key(i)) {
            return Err(ChannelError::new(
                ErrorKind::FilePartsInvalid,
                format!("part {missing} of {count} is missing"),
            ));
        }
        let mut bytes = Vec::with_capacity(size as usize);
        for part in parts.values() {
            bytes.extend_from_slice(part);
        }
        Ok((size, Bytes::from(bytes)))
    }

    /// Makes `document` message `id`'s document (and `caption` its caption, when given).
    fn replace(
        &mut self,
        id: MessageId,
        document: Document,
        bytes: Bytes,
        caption: Option<&str>,
    ) -> Result<Message> {
        let limits = self.limits();
        if let Some(c) = caption {
            limits.check_caption(c)?;
        }
        limits.check_document_size(document.size)?;
        let Some(stored) = self.messages.get_mut(&id) else {
            return Err(ChannelError::new(
                ErrorKind::MessageIdInvalid,
                format!("no message {id}"),
            ));
        };
        let prev = stored.message.clone();
        stored.message.document = Some(document);
        if let Some(c) = caption {
            stored.message.caption = c.to_owned();
        }
        stored.message.edit_date = Some(now_unix());
        stored.bytes = bytes;
        let message = stored.message.clone();
        self.push_event(EventAction::EditMessage {
            message: message.clone(),
            prev,
        });
        Ok(message)
    }

    /// Posts `document` with `bytes` as a new message.
    fn post(&mut self, document: Document, bytes: Bytes, caption: &str) -> Result<Message> {
        let limits = self.limits();
        limits.check_caption(caption)?;
        limits.check_document_size(document.size)?;
        if self.next_message_id > i64::from(MESSAGE_ID_MAX) {
            return Err(ChannelError::new(
                ErrorKind::ChannelFull,
                "message ids exhausted",
            ));
        }
        let id = self.next_message_id as MessageId;
        self.next_message_id += 1;
        let message = Message {
            id,
            date: now_unix(),
            edit_date: None,
            caption: caption.to_owned(),
            document: Some(document),
            forwarded_from: None,
        };
        self.messages.insert(
            id,
            Stored {
                message: message.clone(),
                bytes,
            },
        );
        self.push_event(EventAction::NewMessage {
            message: message.clone(),
        });
        Ok(message)
    }

    fn push_event(&mut self, action: EventAction) {
        let id = self.next_event_id;
        self.next_event_id += 1;
        self.events.push(Event {
            id,
            date: now_unix(),
            action,
        });
    }
}

pub(crate) fn unknown_upload(token: &UploadToken) -> ChannelError {
    ChannelError::new(
        ErrorKind::FilePartsInvalid,
        format!("no upload {} (unknown or expired)", token.0),
    )
}

/// Checks a part's index and length against the document size.
pub(crate) fn check_part(size: u64, index: u32, len: usize) -> Result<()> {
    match part_len(size, index) {
        Some(want) if want == len => Ok(()),
        Some(want) => Err(ChannelError::new(
            ErrorKind::FilePartsInvalid,
            format!("part {index} has {len} bytes, it must have {want}"),
        )),
        None => Err(ChannelError::new(
            ErrorKind::FilePartsInvalid,
            format!(
                "part {index} is past the last part ({} parts)",
                part_count(size)
            ),
        )),
    }
}

#[async_trait]
impl Channel for MemoryChannel {
    async fn header(&self) -> Result<ChannelHeader> {
        Ok(self.lock().header.clone())
    }

    async fn capabilities(&self) -> Result<Capabilities> {
        Ok(Capabilities {
            limits: self.limits(),
            event_retention: None,
            read_max: READ_MAX,
        })
    }

    async fn set_title(&self, title: &str) -> Result<()> {
        let mut st = self.lock();
        st.limits().check_title(title)?;
        if st.header.title == title {
            return Err(ChannelError::new(ErrorKind::TitleNotModified, ""));
        }
        let prev = std::mem::replace(&mut st.header.title, title.to_owned());
        st.push_event(EventAction::EditTitle {
            title: title.to_owned(),
            prev,
        });
        Ok(())
    }

    async fn set_about(&self, about: &str) -> Result<()> {
        let mut st = self.lock();
        st.limits().check_about(about)?;
        if st.header.about == about {
            return Err(ChannelError::new(ErrorKind::AboutNotModified, ""));
        }
        let prev = std::mem::replace(&mut st.header.about, about.to_owned());
        st.push_event(EventAction::EditAbout {
            about: about.to_owned(),
            prev,
        });
        Ok(())
    }

    async fn set_photo(&self, photo: Photo) -> Result<()> {
        if photo.bytes.is_empty() {
            return Err(ChannelError::new(
                ErrorKind::FilePartsInvalid,
                "empty photo",
            ));
        }
        let mut st = self.lock();
        st.photo = Some(Bytes::from(photo.bytes));
        st.header.has_photo = true;
        st.push_event(EventAction::EditPhoto);
        Ok(())
    }

    async fn photo(&self) -> Result<Option<Bytes>> {
        Ok(self.lock().photo.clone())
    }

    async fn post_document(&self, upload: Upload, caption: &str) -> Result<Message> {
        self.limits().check_caption(caption)?;
        let (document, bytes) = self.stage(upload).await?;
        self.lock().post(document, bytes, caption)
    }

    async fn begin_upload(&self, size: u64) -> Result<UploadToken> {
        self.limits().check_document_size(size)?;
        let token = format!("{:016x}", random_in(u64::MAX)?);
        self.lock()
            .uploads
            .insert(token.clone(), (size, BTreeMap::new()));
        Ok(UploadToken(token))
    }

    async fn upload_part(&self, token: &UploadToken, index: u32, bytes: Bytes) -> Result<()> {
        let mut st = self.lock();
        let (size, parts) = st
            .uploads
            .get_mut(&token.0)
            .ok_or_else(|| unknown_upload(token))?;
        check_part(*size, index, bytes.len())?;
        parts.insert(index, bytes);
        Ok(())
    }

    async fn commit_upload(
        &self,
        token: &UploadToken,
        name: &str,
        mime: &str,
        caption: &str,
    ) -> Result<Message> {
        let mut st = self.lock();
        let (size, bytes) = st.joined_parts(token)?;
        let document = Document {
            id: document_id()?,
            name: name.to_owned(),
            size,
            mime: mime.to_owned(),
        };
        let message = st.post(document, bytes, caption)?;
        st.uploads.remove(&token.0);
        Ok(message)
    }

    async fn commit_replacement(
        &self,
        id: MessageId,
        token: &UploadToken,
        name: &str,
        mime: &str,
        caption: Option<&str>,
    ) -> Result<Message> {
        let mut st = self.lock();
        let (size, bytes) = st.joined_parts(token)?;
        let document = Document {
            id: document_id()?,
            name: name.to_owned(),
            size,
            mime: mime.to_owned(),
        };
        let message = st.replace(id, document, bytes, caption)?;
        st.uploads.remove(&token.0);
        Ok(message)
    }

    async fn replace_document(
        &self,
        id: MessageId,
        upload: Upload,
        caption: Option<&str>,
    ) -> Result<Message> {
        if let Some(c) = caption {
            self.limits().check_caption(c)?;
        }
        if !self.lock().messages.contains_key(&id) {
            return Err(ChannelError::new(
                ErrorKind::MessageIdInvalid,
                format!("no message {id}"),
            ));
        }
        let (document, bytes) = self.stage(upload).await?;
        self.lock().replace(id, document, bytes, caption)
    }

    async fn edit_caption(&self, id: MessageId, caption: &str) -> Result<Message> {
        let mut st = self.lock();
        let limits = st.limits();
        let Some(stored) = st.messages.get_mut(&id) else {
            return Err(ChannelError::new(
                ErrorKind::MessageIdInvalid,
                format!("no message {id}"),
            ));
        };
        if stored.message.caption == caption {
            return Err(ChannelError::new(ErrorKind::MessageNotModified, ""));
        }
        limits.check_caption(caption)?;
        let prev = stored.message.clone();
        stored.message.caption = caption.to_owned();
        stored.message.edit_date = Some(now_unix());
        let message = stored.message.clone();
        st.push_event(EventAction::EditMessage {
            message: message.clone(),
            prev,
        });
        Ok(message)
    }

    async fn read_document(
        &self,
        id: MessageId,
        document: DocumentId,
        offset: u64,
        len: usize,
    ) -> Result<Bytes> {
        check_read_len(len)?;
        let st = self.lock();
        let stored = st
            .messages
            .get(&id)
            .filter(|s| {
                s.message
                    .document
                    .as_ref()
                    .is_some_and(|d| d.id == document)
            })
            .ok_or_else(|| {
                ChannelError::new(
                    ErrorKind::FileReferenceExpired,
                    format!("message {id} no longer has document {document}"),
                )
            })?;
        let size = stored.bytes.len() as u64;
        let start = offset.min(size) as usize;
        let end = offset.saturating_add(len as u64).min(size) as usize;
        Ok(stored.bytes.slice(start..end))
    }

    async fn list_messages(&self, after: MessageId, limit: usize) -> Result<Vec<Message>> {
        let st = self.lock();
        let from = after.saturating_add(1);
        Ok(st
            .messages
            .range(from..)
            .take(limit)
            .map(|(_, s)| s.message.clone())
            .collect())
    }

    async fn get_messages(&self, ids: &[MessageId]) -> Result<Vec<Option<Message>>> {
        let st = self.lock();
        Ok(ids
            .iter()
            .map(|id| st.messages.get(id).map(|s| s.message.clone()))
            .collect())
    }

    async fn delete_messages(&self, ids: &[MessageId]) -> Result<usize> {
        let mut st = self.lock();
        let mut deleted = 0;
        for id in ids {
            if let Some(stored) = st.messages.remove(id) {
                st.push_event(EventAction::DeleteMessage {
                    message: stored.message,
                });
                deleted += 1;
            }
        }
        Ok(deleted)
    }

    async fn events(
        &self,
        after: EventId,
        filter: EventFilter,
        limit: usize,
    ) -> Result<Vec<Event>> {
        let st = self.lock();
        Ok(st
            .events
            .iter()
            .filter(|e| e.id > after && filter.matches(&e.action))
            .take(limit)
            .cloned()
            .collect())
    }
}
