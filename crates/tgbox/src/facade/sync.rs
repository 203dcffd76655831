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

use tgbox_core::boxfile::{BoxFileHeader, KeyRef, NO_FOLDER};
use tgbox_core::{b64, ints::LEN24_MAX};

use super::remote::read_header;
use super::{TgBox, blocking};
use crate::channel::Message;
use crate::error::{Error, Result};
use crate::localbox::NewFileRow;
use crate::progress::Progress;
use crate::retry::retrying;

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
struct Known {
    file_salt: String,
    caption: String,
}

/// The caption as readers see it: a placeholder (`<…`, protocol §10.4) counts as none.
fn effective(caption: &str) -> &str {
    if caption.starts_with('<') {
        ""
    } else {
        caption
    }
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
        let mut known: HashMap<i64, Known> = HashMap::with_capacity(rows.len());
        for row in &rows {
            if let Ok(header) = BoxFileHeader::parse(&row.canonical_metadata()?, LEN24_MAX) {
                let caption = row.updated().map(b64::encode).unwrap_or_default();
                known.insert(
                    row.id(),
                    Known {
                        file_salt: header.file_salt.to_b64(),
                        caption,
                    },
                );
            }
        }
        let mut report = SyncReport::default();
        let mut after = 0;
        let mut walked = 0u64;
        loop {
            report.requests += 1;
            let page = retrying(|| self.channel.list_messages(after, 100)).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            for message in &page {
                let id = i64::from(message.id);
                let Some(doc) = &message.document else {
                    continue;
                };
                let outcome = match known.remove(&id) {
                    Some(k) if k.file_salt == doc.name => {
                        if k.caption == effective(&message.caption) {
                            continue;
                        }
                        self.merge_caption(id, effective(&message.caption))
                            .await
                            .map(|()| report.updated.push(id))
                    }
                    prior => {
                        report.requests += 1;
                        self.record_remote(message, prior.is_some())
                            .await
                            .map(|recorded| match (recorded, prior) {
                                (true, Some(_)) => report.updated.push(id),
                                (true, None) => report.added.push(id),
                                _ => {}
                            })
                    }
                };
                if let Err(e) = outcome {
                    report.skipped.push((message.id, e.to_string()));
                }
            }
            walked += page.len() as u64;
            progress.update(walked, None);
        }
        let gone: Vec<i64> = known.into_keys().collect();
        if !gone.is_empty() {
            let (lb, ids) = (self.localbox.clone(), gone.clone());
            blocking(move || lb.delete_files(&ids)).await?;
            report.removed = gone;
            report.removed.sort_unstable();
        }
        *self.index.lock().unwrap_or_else(|p| p.into_inner()) = None;
        Ok(report)
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

    /// Records a message's box file (new, or re-uploaded in place); `Ok(false)` for a
    /// document that is not a box file of this box (another box's forwarded file, say).
    async fn record_remote(&self, message: &Message, replace: bool) -> Result<bool> {
        let Some((header, region)) = read_header(self.channel.as_ref(), message, LEN24_MAX).await?
        else {
            return Ok(false);
        };
        if header.box_salt.as_bytes() != self.data.box_salt.as_bytes() {
            return Ok(false);
        }
        let mut file = header
            .decrypt(KeyRef::Main(&self.mainkey))
            .map_err(|_| Error::NotABoxFile(message.id))?;
        let caption = effective(&message.caption);
        let mut blob = None;
        if !caption.is_empty() && file.apply_caption(caption, Some(&self.mainkey))? {
            blob = Some(b64::decode(caption)?);
        }
        let dir = file
            .info
            .dir
            .clone()
            .unwrap_or_else(|| NO_FOLDER.to_owned());
        let (lb, mk) = (self.localbox.clone(), self.mainkey.clone());
        let (id, date) = (i64::from(message.id), message.date);
        blocking(move || {
            let row = NewFileRow {
                id,
                upload_time: date,
                metadata: &region,
                dir: &dir,
                name: &file.info.name,
                filekey: file.filekey(),
                foreign_key: false,
                updated_metadata: blob.as_deref(),
                check_fingerprint: false,
            };
            if replace {
                lb.replace_file(&mk, &row)
            } else {
                lb.record_file(&mk, &row)
            }
        })
        .await?;
        Ok(true)
    }
}
