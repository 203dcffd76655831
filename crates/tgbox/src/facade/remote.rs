//! Reading box files' headers straight from the channel (spec/tgbox-boxes.md §3.3), in one
//! request for the common case instead of the reference's two.

use tgbox_core::boxfile::{BoxFileHeader, PREFIX};
use tgbox_core::ints::read_len24;

use crate::channel::{Channel, Message};
use crate::error::{Error, Result};
use crate::retry::retrying;

/// The first read: header and metadata of most box files fit (metadata is ~400 bytes without
/// a preview).
const FIRST_READ: usize = 16 * 1024;

/// Message `msg_id` of the channel; [`Error::NotABoxFile`] when it is not there.
pub(crate) async fn message(
    channel: &dyn Channel,
    msg_id: crate::channel::MessageId,
) -> Result<Message> {
    let ids = [msg_id];
    retrying(|| channel.get_messages(&ids))
        .await?
        .pop()
        .flatten()
        .ok_or(Error::NotABoxFile(msg_id))
}

/// The message of file `local` and its document, checked to be the one the LocalBox row
/// describes (the document is named after the FileSalt; a re-upload elsewhere changes it).
pub(crate) async fn current_message(
    channel: &dyn Channel,
    local: &crate::localbox::LocalFile,
) -> Result<(Message, crate::channel::Document)> {
    let msg_id = i32::try_from(local.id).map_err(|_| Error::NoSuchFile(local.id))?;
    let message = message(channel, msg_id).await?;
    match &message.document {
        Some(doc) if doc.name == local.file.header.file_salt.to_b64() => {
            let doc = doc.clone();
            Ok((message, doc))
        }
        _ => Err(Error::NotABoxFile(msg_id)),
    }
}

/// [`current_message`]'s id and document.
pub(crate) async fn current_document(
    channel: &dyn Channel,
    local: &crate::localbox::LocalFile,
) -> Result<(crate::channel::MessageId, crate::channel::Document)> {
    current_message(channel, local)
        .await
        .map(|(m, doc)| (m.id, doc))
}

/// A message's box-file header and the raw header region (`PREFIX … IV`), or `None` when the
/// message has no document or the document is not a box file.
pub(crate) async fn read_header(
    channel: &dyn Channel,
    message: &Message,
    metadata_max: usize,
) -> Result<Option<(BoxFileHeader, Vec<u8>)>> {
    let Some(doc) = &message.document else {
        return Ok(None);
    };
    if doc.size < (PREFIX.len() + 4 + 16) as u64 {
        return Ok(None);
    }
    let first = FIRST_READ.min(doc.size as usize);
    let mut head = retrying(|| channel.read_document(message.id, doc.id, 0, first))
        .await?
        .to_vec();
    if head.len() < PREFIX.len() + 4 || head[..PREFIX.len()] != PREFIX {
        return Ok(None);
    }
    let m = read_len24([head[7], head[8], head[9]]);
    if m > metadata_max {
        return Ok(None);
    }
    let region = 10 + m + 16;
    if region as u64 > doc.size {
        return Ok(None);
    }
    // Long metadata takes more reads, each within what this channel allows per request.
    let step = if head.len() < region {
        retrying(|| channel.capabilities()).await?.read_max
    } else {
        0
    };
    while head.len() < region {
        let want = (region - head.len()).min(step);
        let at = head.len() as u64;
        let more = retrying(|| channel.read_document(message.id, doc.id, at, want)).await?;
        if more.is_empty() {
            return Ok(None);
        }
        head.extend_from_slice(&more);
    }
    head.truncate(region);
    match BoxFileHeader::parse(&head, metadata_max) {
        Ok(header) => Ok(Some((header, head))),
        Err(_) => Ok(None),
    }
}

/// A box file of the channel, decrypted, ready to be recorded.
pub(crate) struct Found {
    pub id: i64,
    pub date: i64,
    pub header_region: Vec<u8>,
    pub file: tgbox_core::boxfile::DecryptedBoxFile,
    pub caption_blob: Option<Vec<u8>>,
    /// The row replaces one with the same id (a document re-uploaded in place).
    pub replaces: bool,
}

/// The caption as readers see it: a placeholder (`<…`, protocol §10.4) counts as none.
pub(crate) fn effective_caption(caption: &str) -> &str {
    if caption.starts_with('<') {
        ""
    } else {
        caption
    }
}

/// Decrypts one message's box file with the MainKey: `Ok(None)` for anything that is not a
/// box file of this box (no document, another box's forwarded file), `Ok(Some(Err(())))` for
/// one of this box that the MainKey does not open.
pub(crate) async fn decrypt_message(
    channel: &dyn Channel,
    message: &crate::channel::Message,
    mainkey: &tgbox_core::MainKey,
    box_salt: &tgbox_core::BoxSalt,
) -> Result<Option<std::result::Result<Found, ()>>> {
    let Some((header, region)) = read_header(channel, message, tgbox_core::ints::LEN24_MAX).await?
    else {
        return Ok(None);
    };
    if header.box_salt.as_bytes() != box_salt.as_bytes() {
        // A file forwarded in from another box: it needs a stored key (sharing), not ours.
        return Ok(None);
    }
    let Ok(mut file) = header.decrypt(tgbox_core::boxfile::KeyRef::Main(mainkey)) else {
        return Ok(Some(Err(())));
    };
    let caption = effective_caption(&message.caption);
    let mut caption_blob = None;
    if !caption.is_empty() && file.apply_caption(caption, Some(mainkey)).unwrap_or(false) {
        caption_blob = tgbox_core::b64::decode(caption).ok();
    }
    Ok(Some(Ok(Found {
        id: i64::from(message.id),
        date: message.date,
        header_region: region,
        file,
        caption_blob,
        replaces: false,
    })))
}

/// What [`decrypt_message`] gives for one message.
pub(crate) type Decrypted = Result<Option<std::result::Result<Found, ()>>>;

/// [`decrypt_message`] of several messages with up to `parallel` header reads in flight,
/// the results in the messages' order (a clone and a sync read only headers, one small
/// request each: done one by one they would be paced by the round trip, not the channel).
pub(crate) async fn decrypt_messages(
    channel: &dyn Channel,
    messages: &[&crate::channel::Message],
    mainkey: &tgbox_core::MainKey,
    box_salt: &tgbox_core::BoxSalt,
    parallel: usize,
) -> Vec<Decrypted> {
    use futures::stream::{self, StreamExt};
    stream::iter(messages)
        .map(|m| decrypt_message(channel, m, mainkey, box_salt))
        .buffered(parallel.max(1))
        .collect()
        .await
}

/// Records found files in one transaction (a page of a clone or a sync).
pub(crate) fn record_all(
    lb: &crate::localbox::LocalBox,
    mainkey: &tgbox_core::MainKey,
    found: &[Found],
) -> Result<()> {
    let dirs: Vec<String> = found
        .iter()
        .map(|f| {
            f.file
                .info
                .dir
                .clone()
                .unwrap_or_else(|| tgbox_core::boxfile::NO_FOLDER.to_owned())
        })
        .collect();
    let rows: Vec<crate::localbox::NewFileRow<'_>> = found
        .iter()
        .zip(&dirs)
        .map(|(f, dir)| crate::localbox::NewFileRow {
            id: f.id,
            upload_time: f.date,
            metadata: &f.header_region,
            dir,
            name: &f.file.info.name,
            filekey: f.file.filekey(),
            foreign_key: false,
            updated_metadata: f.caption_blob.as_deref(),
            check_fingerprint: false,
        })
        .collect();
    let replaced: Vec<i64> = found.iter().filter(|f| f.replaces).map(|f| f.id).collect();
    lb.record_files_replacing(mainkey, &rows, &replaced)
}
