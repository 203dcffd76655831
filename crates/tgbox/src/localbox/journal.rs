//! The upload journal (table `TGBOX_RS_UPLOADS`): an upload is written down before its first
//! byte leaves and crossed out in the same transaction that records its file row. After a
//! crash, an entry left over names a document that may or may not have reached the channel;
//! [`TgBox::open`](crate::TgBox::open) looks for it by its FileSalt and records it or drops the
//! entry, so a remote document is never left without its row, or the reverse.

use rusqlite::params;
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
    /// The document's size.
    pub document_size: u64,
}

impl LocalBox {
    /// Writes an upload down before it starts.
    ///
    /// # Errors
    /// [`crate::Error::LocalBox`].
    pub fn journal_begin(
        &self,
        file_salt: &[u8; 32],
        source: &str,
        document_size: u64,
    ) -> Result<()> {
        let conn = self.lock();
        conn.execute(
            "INSERT OR REPLACE INTO TGBOX_RS_UPLOADS VALUES (?1, ?2, ?3, ?4)",
            params![
                &file_salt[..],
                crate::channel::now_unix(),
                source.as_bytes(),
                document_size as i64
            ],
        )
        .map_err(self.sql("writing the upload journal"))?;
        Ok(())
    }

    /// Uploads started and not finished.
    ///
    /// # Errors
    /// [`crate::Error::LocalBox`].
    pub fn journal_pending(&self) -> Result<Vec<PendingUpload>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare(
                "SELECT FILE_SALT, STARTED, DOCUMENT_SIZE FROM TGBOX_RS_UPLOADS ORDER BY STARTED",
            )
            .map_err(self.sql("reading the upload journal"))?;
        let rows = stmt
            .query_map([], |r| {
                let salt: Vec<u8> = r.get(0)?;
                let size: i64 = r.get(2)?;
                Ok((salt, r.get::<_, i64>(1)?, size))
            })
            .map_err(self.sql("reading the upload journal"))?;
        let mut out = Vec::new();
        for row in rows {
            let (salt, started, size) = row.map_err(self.sql("reading the upload journal"))?;
            if let Ok(file_salt) = <[u8; 32]>::try_from(salt.as_slice()) {
                out.push(PendingUpload {
                    file_salt,
                    started,
                    document_size: size.max(0) as u64,
                });
            }
        }
        Ok(out)
    }

    /// Crosses an upload out without recording a file (it never reached the channel).
    ///
    /// # Errors
    /// [`crate::Error::LocalBox`].
    pub fn journal_drop(&self, file_salt: &[u8; 32]) -> Result<()> {
        let conn = self.lock();
        conn.execute(
            "DELETE FROM TGBOX_RS_UPLOADS WHERE FILE_SALT = ?1",
            [&file_salt[..]],
        )
        .map_err(self.sql("updating the upload journal"))?;
        Ok(())
    }

    /// Records the uploaded file's row and crosses its journal entry out, in one transaction.
    ///
    /// # Errors
    /// As [`LocalBox::record_file`].
    pub fn journal_finish(
        &self,
        mainkey: &MainKey,
        file_salt: &[u8; 32],
        row: &NewFileRow<'_>,
    ) -> Result<()> {
        let mut conn = self.lock();
        let tx = conn
            .transaction()
            .map_err(self.sql("starting a transaction"))?;
        self.record_file_in(&tx, mainkey, row)?;
        tx.execute(
            "DELETE FROM TGBOX_RS_UPLOADS WHERE FILE_SALT = ?1",
            [&file_salt[..]],
        )
        .map_err(self.sql("updating the upload journal"))?;
        tx.commit().map_err(self.sql("committing the upload"))
    }
}
