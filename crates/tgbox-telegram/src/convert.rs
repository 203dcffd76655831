//! Telegram's TL objects turned into the values of the channel seam (spec/tgbox-boxes.md §3.3).
//!
//! A box file is a message whose media is a document; its name is the document's
//! `documentAttributeFilename`, its caption the message text, its upload time the message
//! date. Service messages ("channel created", "photo changed") carry no document and are not
//! part of the log the seam describes, so they map to nothing.

use grammers_tl_types as tl;
use tgbox::channel::{Document, ForwardedFrom, Message};

/// What reading a document needs besides the message: its location and DC.
#[derive(Clone, Debug)]
pub(crate) struct RemoteDocument {
    pub id: i64,
    pub access_hash: i64,
    pub file_reference: Vec<u8>,
    pub dc_id: i32,
    pub size: u64,
}

impl RemoteDocument {
    pub(crate) fn location(&self) -> tl::enums::InputFileLocation {
        tl::enums::InputFileLocation::InputDocumentFileLocation(
            tl::types::InputDocumentFileLocation {
                id: self.id,
                access_hash: self.access_hash,
                file_reference: self.file_reference.clone(),
                thumb_size: String::new(),
            },
        )
    }
}

/// A message of the channel and, when it has one, its document's location.
pub(crate) fn message(raw: &tl::enums::Message) -> Option<(Message, Option<RemoteDocument>)> {
    let tl::enums::Message::Message(m) = raw else {
        return None;
    };
    let mut remote = None;
    let document = match &m.media {
        Some(tl::enums::MessageMedia::Document(md)) => match &md.document {
            Some(tl::enums::Document::Document(d)) => {
                remote = Some(RemoteDocument {
                    id: d.id,
                    access_hash: d.access_hash,
                    file_reference: d.file_reference.clone(),
                    dc_id: d.dc_id,
                    size: u64::try_from(d.size).unwrap_or(0),
                });
                Some(document(d))
            }
            _ => None,
        },
        _ => None,
    };
    let forwarded_from = m
        .fwd_from
        .as_ref()
        .map(|tl::enums::MessageFwdHeader::Header(h)| ForwardedFrom {
            channel_id: match &h.from_id {
                Some(tl::enums::Peer::Channel(c)) => c.channel_id,
                Some(tl::enums::Peer::User(u)) => u.user_id,
                Some(tl::enums::Peer::Chat(c)) => c.chat_id,
                None => 0,
            },
            message_id: h.channel_post,
            date: i64::from(h.date),
        });
    Some((
        Message {
            id: m.id,
            date: i64::from(m.date),
            edit_date: m.edit_date.map(i64::from),
            caption: m.message.clone(),
            document,
            forwarded_from,
        },
        remote,
    ))
}

fn document(d: &tl::types::Document) -> Document {
    let name = d
        .attributes
        .iter()
        .find_map(|a| match a {
            tl::enums::DocumentAttribute::Filename(f) => Some(f.file_name.clone()),
            _ => None,
        })
        .unwrap_or_default();
    Document {
        id: d.id as u64,
        name,
        size: u64::try_from(d.size).unwrap_or(0),
        mime: d.mime_type.clone(),
    }
}

/// The messages an `Updates` answer carries (new or edited channel messages).
pub(crate) fn updated_messages(u: &tl::enums::Updates) -> Vec<&tl::enums::Message> {
    let list: &[tl::enums::Update] = match u {
        tl::enums::Updates::Updates(u) => &u.updates,
        tl::enums::Updates::Combined(u) => &u.updates,
        tl::enums::Updates::UpdateShort(u) => std::slice::from_ref(&u.update),
        _ => &[],
    };
    list.iter()
        .filter_map(|up| match up {
            tl::enums::Update::NewChannelMessage(x) => Some(&x.message),
            tl::enums::Update::EditChannelMessage(x) => Some(&x.message),
            _ => None,
        })
        .collect()
}

/// The chats an `Updates` answer carries.
pub(crate) fn updated_chats(u: &tl::enums::Updates) -> &[tl::enums::Chat] {
    match u {
        tl::enums::Updates::Updates(u) => &u.chats,
        tl::enums::Updates::Combined(u) => &u.chats,
        _ => &[],
    }
}

/// The messages of a `messages.Messages` answer.
pub(crate) fn listed(m: tl::enums::messages::Messages) -> Vec<tl::enums::Message> {
    match m {
        tl::enums::messages::Messages::Messages(m) => m.messages,
        tl::enums::messages::Messages::Slice(m) => m.messages,
        tl::enums::messages::Messages::ChannelMessages(m) => m.messages,
        tl::enums::messages::Messages::NotModified(_) => Vec::new(),
    }
}
