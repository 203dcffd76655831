//! Checking a box: does the LocalBox agree with the channel, and (deep) does every file still
//! decrypt and verify? Read-only: [`TgBox::check`] reports, [`TgBox::sync_deep`] repairs what
//! a LocalBox can repair, and [`TgBox::verify`] proves one file whole without writing any
//! plaintext.

use std::sync::Arc;

use super::remote::{decrypt_message, effective_caption};
use super::sync::known_rows;
use super::{TgBox, blocking};
use crate::error::{Error, Result};
use crate::pipe::async_to_sync;
use crate::progress::Progress;
use crate::retry::retrying;

/// Messages per page of the walk.
const PAGE: usize = 100;

/// What a check found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// Files in the LocalBox.
    pub files: usize,
    /// Files whose message is gone from the channel, or holds no document any more.
    pub missing_in_channel: Vec<i64>,
    /// Files whose message now holds another document or another caption (edited elsewhere).
    pub changed_in_channel: Vec<i64>,
    /// Box files of this box in the channel that the LocalBox does not have.
    pub not_recorded: Vec<i64>,
    /// Box files of this box in the channel that its keys do not open.
    pub unreadable_in_channel: Vec<i64>,
    /// LocalBox rows this box's keys do not decrypt.
    pub unreadable_rows: Vec<i64>,
    /// Documents in the channel that are not this box's files (shared with it and not
    /// imported, or anything else): not a problem.
    pub foreign: usize,
    /// Uploads cut short and still in the journal.
    pub pending_uploads: usize,
    /// Requests sent to the channel.
    pub requests: u64,
}

impl CheckReport {
    /// Differences a deep sync repairs.
    pub fn repairable(&self) -> bool {
        !(self.missing_in_channel.is_empty()
            && self.changed_in_channel.is_empty()
            && self.not_recorded.is_empty())
    }

    /// Nothing wrong and nothing pending.
    pub fn is_whole(&self) -> bool {
        !self.repairable()
            && self.unreadable_in_channel.is_empty()
            && self.unreadable_rows.is_empty()
            && self.pending_uploads == 0
    }
}

impl TgBox {
    /// Compares the LocalBox with the channel, message by message, reporting messages walked
    /// to `progress`. Changes nothing.
    ///
    /// # Errors
    /// Channel errors while listing; [`Error::LocalBox`].
    pub async fn check(&self, progress: &dyn Progress) -> Result<CheckReport> {
        let lb = self.localbox.clone();
        let (rows, pending) =
            blocking(move || Ok((lb.raw_rows()?, lb.journal_pending()?.len()))).await?;
        let mut report = CheckReport {
            files: rows.len(),
            pending_uploads: pending,
            ..CheckReport::default()
        };
        let mut known = known_rows(&rows)?;
        // Rows whose header does not even parse are not in `known`.
        let ids: Vec<i64> = rows.iter().map(|r| r.id()).collect();
        report.unreadable_rows = self.index().await?.unreadable.clone();
        let mut walked = 0u64;
        let mut after = 0;
        loop {
            report.requests += 1;
            let page = retrying(|| self.channel.list_messages(after, PAGE)).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            for message in &page {
                walked += 1;
                let Some(doc) = &message.document else {
                    continue;
                };
                let id = i64::from(message.id);
                match known.remove(&id) {
                    Some(k) if k.file_salt != doc.name => report.changed_in_channel.push(id),
                    Some(k) => {
                        if !k.imported && k.caption != effective_caption(&message.caption) {
                            report.changed_in_channel.push(id);
                        }
                    }
                    None if ids.contains(&id) => {}
                    None => {
                        report.requests += 1;
                        match decrypt_message(
                            self.channel.as_ref(),
                            message,
                            &self.mainkey,
                            &self.data.box_salt,
                        )
                        .await?
                        {
                            Some(Ok(_)) => report.not_recorded.push(id),
                            Some(Err(())) => report.unreadable_in_channel.push(id),
                            None => report.foreign += 1,
                        }
                    }
                }
            }
            progress.update(walked, None);
        }
        let mut gone: Vec<i64> = known.into_keys().collect();
        gone.sort_unstable();
        report.missing_in_channel = gone;
        Ok(report)
    }

    /// Reads file `id` from the channel and checks it as a download would — decryption,
    /// length and HMAC tag — without writing the plaintext anywhere. Returns whether a tag
    /// was checked (v1.5+ files; older ones have none).
    ///
    /// # Errors
    /// As [`TgBox::download`]: [`Error::Protocol`] (`Decryption`) for a damaged document.
    pub async fn verify(&self, id: i64, progress: Arc<dyn Progress>) -> Result<bool> {
        let local = self.file(id).await?;
        let (msg_id, doc) = super::remote::current_document(self.channel.as_ref(), &local).await?;
        let start = local.file.header.payload_offset();
        let total = doc.size.saturating_sub(start);
        let (tx, reader) = async_to_sync();
        let decrypted = local.file;
        let decrypt =
            tokio::task::spawn_blocking(move || decrypted.decrypt_stream(reader, std::io::sink()));
        let fetched = self
            .fetch(msg_id, doc.id, start, doc.size, tx, total, 0, progress)
            .await;
        let verified = decrypt
            .await
            .map_err(|e| Error::InvalidInput(format!("the decryption thread failed: {e}")))?;
        fetched?;
        Ok(verified?.tag_checked)
    }
}
