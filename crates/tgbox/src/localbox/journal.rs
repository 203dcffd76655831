//! The upload journal (tables `TGBOX_RS_UPLOAD_JOURNAL` and `TGBOX_RS_UPLOAD_PARTS`).
//!
//! An upload is written down before its first part leaves — with its header region, so that
//! the same bytes can be produced again, and the channel's upload token — and every part the
//! channel acknowledged is ticked off. The entry is crossed out in the same transaction that
//! records the file's row. After a crash or a kill, an entry left over is either a document
//! that reached the channel (its row is recorded) or an upload to continue: the source is
//! encrypted again and only the parts not yet acknowledged are sent. A remote document is
//! never left without its row, or the reverse.

use rusqlite::{OptionalExtension, params};
use tgbox_core::MainKey;

use super::{LocalBox, NewFileRow};
use crate::error::Result;

/// An upload that was started and not finished.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingUpload {
    /// The box file's FileSalt: its document's name is `base64url` of it.
    pub file_salt: [u8; 32],
    /// Unix seconds when it started.
    pub started: i64,
    /// The source file.
    pub source: String,
    /// The source's size when the upload started.
    pub source_size: u64,
    /// The source's modification time (nanoseconds since the epoch) when it started.
    pub source_mtime: i64,
    /// The document's size.
    pub document_size: u64,
    /// The box file's header region (`PREFIX … IV`).
    pub header: Vec<u8>,
    /// The channel's token for the parts, once it gave one.
    pub token: Option<String>,
    /// The file whose document this upload replaces in place, if it is a re-upload.
    pub replaces: Option<i64>,
    /// Where in the source the uploaded bytes start (a part of a multipart file).
    pub source_offset: u64,
}

const TABLE: &str = "TGBOX_RS_UPLOAD_JOURNAL";

impl LocalBox {
    /// Writes an upload down before it starts.
    ///
    /// # Errors
    /// [`crate::Error::LocalBox`].
    pub fn journal_begin(&self, p: &PendingUpload) -> Result<()> {
        let mut conn = self.lock();
        let tx = conn
            .transaction()
            .map_err(self.sql("starting a transaction"))?;
        tx.execute(
            &format!(
                "INSERT OR REPLACE INTO {TABLE} VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
            ),
            params![
                &p.file_salt[..],
                p.started,
                p.source,
                p.source_size as i64,
                p.source_mtime,
                p.document_size as i64,
                p.header,
                p.token,
                p.replaces,
                p.source_offset as i64
            ],
        )
        .map_err(self.sql("writing the upload journal"))?;
        tx.execute(
            "DELETE FROM TGBOX_RS_UPLOAD_PARTS WHERE FILE_SALT = ?1",
            [&p.file_salt[..]],
        )
        .map_err(self.sql("writing the upload journal"))?;
        tx.commit()
            .map_err(self.sql("committing the upload journal"))
    }

    /// Records the channel's token for an upload (a new token forgets every acknowledged part).
    ///
    /// # Errors
    /// [`crate::Error::LocalBox`].
    pub fn journal_token(&self, file_salt: &[u8; 32], token: &str) -> Result<()> {
        let mut conn = self.lock();
        let tx = conn
            .transaction()
            .map_err(self.sql("starting a transaction"))?;
        tx.execute(
            &format!("UPDATE {TABLE} SET TOKEN = ?2 WHERE FILE_SALT = ?1"),
            params![&file_salt[..], token],
        )
        .map_err(self.sql("writing the upload journal"))?;
        tx.execute(
            "DELETE FROM TGBOX_RS_UPLOAD_PARTS WHERE FILE_SALT = ?1",
            [&file_salt[..]],
        )
        .map_err(self.sql("writing the upload journal"))?;
        tx.commit()
            .map_err(self.sql("committing the upload journal"))
    }

    /// Ticks off parts the channel acknowledged, in one transaction (one commit for many
    /// parts: a commit costs several disk syncs).
    ///
    /// # Errors
    /// [`crate::Error::LocalBox`].
    pub fn journal_parts_done(&self, file_salt: &[u8; 32], parts: &[u32]) -> Result<()> {
        if parts.is_empty() {
            return Ok(());
        }
        let mut conn = self.lock();
        let tx = conn
            .transaction()
            .map_err(self.sql("starting a transaction"))?;
        {
            let mut stmt = tx
                .prepare_cached("INSERT OR IGNORE INTO TGBOX_RS_UPLOAD_PARTS VALUES (?1, ?2)")
                .map_err(self.sql("writing the upload journal"))?;
            for part in parts {
                stmt.execute(params![&file_salt[..], part])
                    .map_err(self.sql("writing the upload journal"))?;
            }
        }
        tx.commit()
            .map_err(self.sql("committing the upload journal"))
    }

    /// The parts of an upload the channel acknowledged.
    ///
    /// # Errors
    /// [`crate::Error::LocalBox`].
    pub fn journal_parts(&self, file_salt: &[u8; 32]) -> Result<Vec<u32>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare("SELECT PART FROM TGBOX_RS_UPLOAD_PARTS WHERE FILE_SALT = ?1 ORDER BY PART")
            .map_err(self.sql("reading the upload journal"))?;
        let rows = stmt
            .query_map([&file_salt[..]], |r| r.get(0))
            .map_err(self.sql("reading the upload journal"))?;
        rows.collect::<rusqlite::Result<Vec<u32>>>()
            .map_err(self.sql("reading the upload journal"))
    }

    /// Uploads started and not finished, oldest first.
    ///
    /// # Errors
    /// [`crate::Error::LocalBox`].
    pub fn journal_pending(&self) -> Result<Vec<PendingUpload>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT FILE_SALT, STARTED, SOURCE, SOURCE_SIZE, SOURCE_MTIME, DOCUMENT_SIZE, HEADER, TOKEN, REPLACES, SOURCE_OFFSET \
                 FROM {TABLE} ORDER BY STARTED"
            ))
            .map_err(self.sql("reading the upload journal"))?;
        let rows = stmt
            .query_map([], |r| {
                let salt: Vec<u8> = r.get(0)?;
                Ok((
                    salt,
                    PendingUpload {
                        file_salt: [0; 32],
                        started: r.get(1)?,
                        source: r.get(2)?,
                        source_size: r.get::<_, i64>(3)?.max(0) as u64,
                        source_mtime: r.get(4)?,
                        document_size: r.get::<_, i64>(5)?.max(0) as u64,
                        header: r.get(6)?,
                        token: r.get(7)?,
                        replaces: r.get(8)?,
                        source_offset: r.get::<_, i64>(9)?.max(0) as u64,
                    },
                ))
            })
            .map_err(self.sql("reading the upload journal"))?;
        let mut out = Vec::new();
        for row in rows {
            let (salt, mut p) = row.map_err(self.sql("reading the upload journal"))?;
            if let Ok(s) = <[u8; 32]>::try_from(salt.as_slice()) {
                p.file_salt = s;
                out.push(p);
            }
        }
        Ok(out)
    }

    /// One pending upload.
    ///
    /// # Errors
    /// [`crate::Error::LocalBox`].
    pub fn journal_get(&self, file_salt: &[u8; 32]) -> Result<Option<PendingUpload>> {
        Ok(self
            .journal_pending()?
            .into_iter()
            .find(|p| &p.file_salt == file_salt))
    }

    /// Crosses an upload out without recording a file (it never reached the channel, or its
    /// source is gone).
    ///
    /// # Errors
    /// [`crate::Error::LocalBox`].
    pub fn journal_drop(&self, file_salt: &[u8; 32]) -> Result<()> {
        let mut conn = self.lock();
        let tx = conn
            .transaction()
            .map_err(self.sql("starting a transaction"))?;
        self.forget_in(&tx, file_salt)?;
        tx.commit()
            .map_err(self.sql("committing the upload journal"))
    }

    /// Deletes an upload's entry and its acknowledged parts inside the caller's transaction.
    fn forget_in(&self, tx: &rusqlite::Transaction<'_>, file_salt: &[u8; 32]) -> Result<()> {
        tx.execute(
            &format!("DELETE FROM {TABLE} WHERE FILE_SALT = ?1"),
            [&file_salt[..]],
        )
        .map_err(self.sql("updating the upload journal"))?;
        tx.execute(
            "DELETE FROM TGBOX_RS_UPLOAD_PARTS WHERE FILE_SALT = ?1",
            [&file_salt[..]],
        )
        .map_err(self.sql("updating the upload journal"))?;
        Ok(())
    }

    /// Records the uploaded file's row (replacing the row of the same id when `replace`) and
    /// crosses its journal entry out, in one transaction.
    ///
    /// # Errors
    /// As [`LocalBox::record_file`].
    pub fn journal_finish(
        &self,
        mainkey: &MainKey,
        file_salt: &[u8; 32],
        row: &NewFileRow<'_>,
        replace: bool,
    ) -> Result<()> {
        let mut conn = self.lock();
        let tx = conn
            .transaction()
            .map_err(self.sql("starting a transaction"))?;
        if replace {
            // A re-upload in place: the file keeps its id, its row is the new document's.
            tx.execute("DELETE FROM FILES WHERE ID = ?1", [row.id])
                .map_err(self.sql("replacing a file row"))?;
        }
        let exists: Option<i64> = tx
            .query_row("SELECT ID FROM FILES WHERE ID = ?1", [row.id], |r| r.get(0))
            .optional()
            .map_err(self.sql("looking up the id"))?;
        if exists.is_none() {
            self.record_file_in(&tx, mainkey, row)?;
        }
        self.forget_in(&tx, file_salt)?;
        tx.commit().map_err(self.sql("committing the upload"))
    }
}
