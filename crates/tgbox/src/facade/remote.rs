//! Reading box files' headers straight from the channel (spec/tgbox-boxes.md §3.3), in one
//! request for the common case instead of the reference's two.

use tgbox_core::boxfile::{BoxFileHeader, PREFIX};
use tgbox_core::ints::read_len24;

use crate::channel::{Channel, Message, READ_MAX};
use crate::error::{Error, Result};
use crate::retry::retrying;

/// The first read: header and metadata of most box files fit (metadata is ~400 bytes without
/// a preview).
const FIRST_READ: usize = 16 * 1024;

/// The message of file `local` and its document, checked to be the one the LocalBox row
/// describes (the document is named after the FileSalt; a re-upload elsewhere changes it).
pub(crate) async fn current_document(
    channel: &dyn Channel,
    local: &crate::localbox::LocalFile,
) -> Result<(crate::channel::MessageId, crate::channel::Document)> {
    let msg_id = i32::try_from(local.id).map_err(|_| Error::NoSuchFile(local.id))?;
    let ids = [msg_id];
    let message = retrying(|| channel.get_messages(&ids))
        .await?
        .pop()
        .flatten()
        .ok_or(Error::NotABoxFile(msg_id))?;
    match message.document {
        Some(doc) if doc.name == local.file.header.file_salt.to_b64() => Ok((msg_id, doc)),
        _ => Err(Error::NotABoxFile(msg_id)),
    }
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
    while head.len() < region {
        let want = (region - head.len()).min(READ_MAX);
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
