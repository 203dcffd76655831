//! Deep sync (spec/tgbox-boxes.md §6.3): the channel is walked and the LocalBox made to agree
//! with it — files added by others recorded, edited captions merged, re-uploads followed,
//! deleted files removed — without the reference's defects:
//!
//! * an unchanged file costs nothing beyond its share of the listing: its document name (the
//!   FileSalt) and caption are compared with the LocalBox row, and only new or changed files
//!   have their metadata range read (never a whole document);
//! * imported (shared) files are matched by their document, not by decrypting with the
//!   MainKey, so their stored keys are never lost;
//! * a message that cannot be read is reported and skipped; the run goes on.

use std::collections::HashMap;

use tgbox_core::boxfile::{BoxFileHeader, NO_FOLDER};
use tgbox_core::{b64, ints::LEN24_MAX};

use super::remote::{Found, decrypt_messages, effective_caption, record_all};
use super::{TgBox, blocking};
use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::retry::retrying;

/// Files recorded per LocalBox transaction by a deep sync.
const RECORD_BATCH: usize = 2000;

/// What a sync changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Files recorded (new in the channel).
    pub added: Vec<i64>,
    /// Files whose metadata or document changed.
    pub updated: Vec<i64>,
    /// Files removed (gone from the channel).
    pub removed: Vec<i64>,
    /// Messages that could not be read, with why; skipped.
    pub skipped: Vec<(i32, String)>,
    /// Requests sent to the channel.
    pub requests: u64,
}

/// What the LocalBox knows of a file, to compare with its message.
pub(super) struct Known {
    pub(super) file_salt: String,
    pub(super) caption: String,
    /// An imported file: its caption blob holds this box's directory for it (a local-only
    /// update, §2.8), which the owner's caption must not overwrite.
    pub(super) imported: bool,
}

/// What the LocalBox knows of each file, by id.
pub(super) fn known_rows(rows: &[crate::localbox::RawFileRow]) -> Result<HashMap<i64, Known>> {
    let mut known = HashMap::with_capacity(rows.len());
    for row in rows {
        if let Ok(header) = BoxFileHeader::parse(&row.canonical_metadata()?, LEN24_MAX) {
            let caption = row.updated().map(b64::encode).unwrap_or_default();
            known.insert(
                row.id(),
                Known {
                    file_salt: header.file_salt.to_b64(),
                    caption,
                    imported: row.is_imported(),
                },
            );
        }
    }
    Ok(known)
}

impl TgBox {
    /// Makes the LocalBox agree with the channel, reporting messages walked to `progress`.
    ///
    /// # Errors
    /// Channel errors while listing (a failed page stops the run, and nothing is removed);
    /// [`Error::LocalBox`].
    pub async fn sync_deep(&self, progress: &dyn Progress) -> Result<SyncReport> {
        let lb = self.localbox.clone();
        let rows = blocking(move || lb.raw_rows()).await?;
        let mut known = known_rows(&rows)?;
        let mut report = SyncReport::default();
        let mut after = 0;
        let mut walked = 0u64;
        let mut found = Vec::new();
        loop {
            report.requests += 1;
            let page = match retrying(|| self.channel.list_messages(after, 100)).await {
                Ok(page) => page,
                Err(e) => {
                    // What was read so far is kept: the next sync starts with less to do.
                    self.record_found(&mut found).await?;
                    return Err(e.into());
                }
            };
            let Some(last) = page.last() else { break };
            after = last.id;
            self.sync_messages(&page, &mut known, &mut report, &mut found)
                .await?;
            if found.len() >= RECORD_BATCH {
                self.record_found(&mut found).await?;
            }
            walked += page.len() as u64;
            progress.update(walked, None);
        }
        self.record_found(&mut found).await?;
        let gone: Vec<i64> = known.into_keys().collect();
        self.remove_gone(gone, &mut report).await?;
        Ok(report)
    }

    /// Fast sync: applies the changes in the channel's feed since the last sync (new, edited
    /// and deleted messages), reading only the messages they name. The feed is a hint (a crash
    /// can lose an event, Telegram keeps 48 hours): run [`TgBox::sync_deep`] now and then.
    ///
    /// # Errors
    /// Channel errors; [`Error::LocalBox`].
    pub async fn sync_fast(&self, progress: &dyn Progress) -> Result<SyncReport> {
        let (lb, mk) = (self.localbox.clone(), self.mainkey.clone());
        let since = blocking(move || lb.fast_sync_last_event(&mk))
            .await?
            .unwrap_or(0);
        let mut report = SyncReport::default();
        let mut touched: Vec<i32> = Vec::new();
        let mut last_event = since;
        loop {
            report.requests += 1;
            let page = retrying(|| {
                self.channel
                    .events(last_event, crate::channel::EventFilter::ALL, 100)
            })
            .await?;
            let Some(last) = page.last() else { break };
            last_event = last.id;
            touched.extend(page.iter().filter_map(|e| e.action.message_id()));
        }
        touched.sort_unstable();
        touched.dedup();
        let lb = self.localbox.clone();
        let rows = blocking(move || lb.raw_rows()).await?;
        let mut known = known_rows(&rows)?;
        known.retain(|id, _| i32::try_from(*id).is_ok_and(|m| touched.binary_search(&m).is_ok()));
        let mut done = 0u64;
        for chunk in touched.chunks(100) {
            report.requests += 1;
            let messages: Vec<_> = retrying(|| self.channel.get_messages(chunk))
                .await?
                .into_iter()
                .flatten()
                .collect();
            let mut found = Vec::new();
            self.sync_messages(&messages, &mut known, &mut report, &mut found)
                .await?;
            self.record_found(&mut found).await?;
            done += chunk.len() as u64;
            progress.update(done, Some(touched.len() as u64));
        }
        // Named by the feed, known here, and no longer in the channel: deleted.
        let gone: Vec<i64> = known.into_keys().collect();
        self.remove_gone(gone, &mut report).await?;
        let (lb, mk) = (self.localbox.clone(), self.mainkey.clone());
        blocking(move || lb.set_fast_sync_last_event(&mk, last_event)).await?;
        Ok(report)
    }

    /// Compares messages with what the LocalBox knows (removing them from `known`), merges
    /// changed captions and adds new or re-uploaded files to `found`, for
    /// [`TgBox::record_found`].
    async fn sync_messages(
        &self,
        messages: &[crate::channel::Message],
        known: &mut HashMap<i64, Known>,
        report: &mut SyncReport,
        found: &mut Vec<Found>,
    ) -> Result<()> {
        // Known files with their document are compared here; the rest need their header read,
        // which is done for all of them at once below.
        let mut to_read = Vec::new();
        for message in messages {
            let id = i64::from(message.id);
            let Some(doc) = &message.document else {
                continue;
            };
            let caption = effective_caption(&message.caption);
            match known.remove(&id) {
                Some(k) if k.file_salt == doc.name => {
                    if k.caption == caption || k.imported {
                        continue;
                    }
                    match self.merge_caption(id, caption).await {
                        Ok(()) => report.updated.push(id),
                        Err(e) => report.skipped.push((message.id, e.to_string())),
                    }
                }
                prior => to_read.push((message, prior.is_some())),
            }
        }
        report.requests += to_read.len() as u64;
        let messages: Vec<_> = to_read.iter().map(|(m, _)| *m).collect();
        let decrypted = decrypt_messages(
            self.channel.as_ref(),
            &messages,
            &self.mainkey,
            &self.data.box_salt,
            self.parallel(),
        )
        .await;
        for ((message, replaces), outcome) in to_read.into_iter().zip(decrypted) {
            let id = i64::from(message.id);
            let outcome = match outcome {
                Ok(Some(Ok(mut f))) => {
                    f.replaces = replaces;
                    if f.replaces {
                        report.updated.push(id)
                    } else {
                        report.added.push(id)
                    }
                    found.push(f);
                    Ok(())
                }
                Ok(Some(Err(()))) => Err(Error::NotABoxFile(message.id)),
                // Not a box file of this box: nothing to record.
                Ok(None) => Ok(()),
                Err(e) => Err(e),
            };
            if let Err(e) = outcome {
                report.skipped.push((message.id, e.to_string()));
            }
        }
        Ok(())
    }

    /// Records found files in one transaction. A deep sync gathers them over pages up to
    /// [`RECORD_BATCH`]: a transaction touches index pages all over the LocalBox (fingerprints
    /// are random), so one per page of 100 rewrote the same pages again and again. A crash
    /// loses only the gathered files' records, which the next sync reads again.
    async fn record_found(&self, found: &mut Vec<Found>) -> Result<()> {
        if found.is_empty() {
            return Ok(());
        }
        let (lb, mk, batch) = (
            self.localbox.clone(),
            self.mainkey.clone(),
            std::mem::take(found),
        );
        blocking(move || record_all(&lb, &mk, &batch)).await
    }

    /// Removes rows whose messages are gone, and drops the index.
    async fn remove_gone(&self, mut gone: Vec<i64>, report: &mut SyncReport) -> Result<()> {
        if !gone.is_empty() {
            gone.sort_unstable();
            let (lb, ids) = (self.localbox.clone(), gone.clone());
            blocking(move || lb.delete_files(&ids)).await?;
            report.removed = gone;
        }
        *self.index.lock().unwrap_or_else(|p| p.into_inner()) = None;
        Ok(())
    }

    /// Applies a message's caption to its file's row (another user's edit).
    async fn merge_caption(&self, id: i64, caption: &str) -> Result<()> {
        let mut file = self.file(id).await?;
        file.file.info = self.original_info(&file)?;
        if !caption.is_empty() {
            file.file.apply_caption(caption, Some(&self.mainkey))?;
        }
        let blob = if caption.is_empty() {
            None
        } else {
            Some(b64::decode(caption)?)
        };
        let dir = file.info().dir.clone().unwrap_or_else(|| NO_FOLDER.into());
        let name = file.info().name.clone();
        let (lb, mk) = (self.localbox.clone(), self.mainkey.clone());
        blocking(move || lb.update_file(&mk, id, blob.as_deref(), &dir, &name, false)).await
    }
}
