//! `FILES` rows and the `PATH_PARTS` tree they hang in (spec/tgbox-boxes.md §2.4–2.5).
//!
//! A row is recorded with its directory's path parts in one transaction (the reference commits
//! each statement on its own). Reading a row rebuilds the box-file header from `METADATA`,
//! decrypts it with the row's key, overlays `UPDATED_METADATA`, and decrypts the upload time.

use rusqlite::{OptionalExtension, Transaction, params};
use tgbox_core::boxfile::{BoxFileHeader, DecryptedBoxFile, FileInfo, KeyRef, PREFIX, VERBYTE};
use tgbox_core::ints::{LEN24_MAX, bytes_to_int, int_to_bytes, len24};
use tgbox_core::{FileKey, MainKey, OsEntropy, aes_cbc, b64, paths};

use super::LocalBox;
use crate::error::{Error, Result};

/// A file row to record.
pub struct NewFileRow<'a> {
    /// The message id of the box file.
    pub id: i64,
    /// The message date (Unix seconds).
    pub upload_time: i64,
    /// The header region of the box file: `PREFIX ‖ VERBYTE ‖ len24 ‖ M ‖ IV`.
    pub metadata: &'a [u8],
    /// The file's current directory (after any caption overlay).
    pub dir: &'a str,
    /// The file's current name.
    pub name: &'a str,
    /// The FileKey that opens the file.
    pub filekey: &'a FileKey,
    /// Whether the key cannot be derived from this box's MainKey (a file imported from another
    /// box): the FileKey is then stored sealed with the MainKey.
    pub foreign_key: bool,
    /// The caption blob (before base64) the message carries, if any.
    pub updated_metadata: Option<&'a [u8]>,
    /// Refuse the row when another file has the same directory and name (uploads); a clone
    /// records what the channel holds, duplicates included.
    pub check_fingerprint: bool,
}

/// A file row as stored (see [`decrypt_row`]).
pub struct RawFileRow {
    id: i64,
    upload_time: Vec<u8>,
    ppath_head: Vec<u8>,
    efilekey: Option<Vec<u8>>,
    metadata: Vec<u8>,
    updated: Option<Vec<u8>>,
}

impl RawFileRow {
    /// A digest of every column the index is decrypted from: equal digests, same index entry.
    pub fn digest(&self) -> [u8; 16] {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(self.id.to_le_bytes());
        let absent = [0xFFu8; 8];
        for field in [
            Some(&self.upload_time),
            Some(&self.ppath_head),
            self.efilekey.as_ref(),
            Some(&self.metadata),
            self.updated.as_ref(),
        ] {
            // Length-prefixed, NULL apart from empty, so no two rows share an encoding.
            match field {
                Some(v) => {
                    h.update((v.len() as u64).to_le_bytes());
                    h.update(v);
                }
                None => h.update(absent),
            }
        }
        let full = h.finalize();
        let mut out = [0u8; 16];
        out.copy_from_slice(&full[..16]);
        out
    }

    /// The file id.
    pub fn id(&self) -> i64 {
        self.id
    }

    /// Whether the row holds a sealed FileKey (a file imported from another box).
    pub fn is_imported(&self) -> bool {
        self.efilekey.is_some()
    }

    /// The caption blob (`UPDATED_METADATA`), if any.
    pub fn updated(&self) -> Option<&[u8]> {
        self.updated.as_deref().filter(|b| !b.is_empty())
    }

    /// The header region with a correct length field (see `canonical_header`).
    ///
    /// # Errors
    /// [`Error::Protocol`] for a region that is not a box-file header.
    pub fn canonical_metadata(&self) -> Result<Vec<u8>> {
        Ok(canonical_header(&self.metadata)?)
    }
}

const ROW_SELECT: &str =
    "SELECT ID, UPLOAD_TIME, PPATH_HEAD, FILEKEY, METADATA, UPDATED_METADATA FROM FILES";

/// The sealed index saved in a LocalBox (crate::index_store) and FILES' version it was made at.
pub struct SavedIndex {
    /// FILES' version when the index was made.
    pub files_version: i64,
    /// The sealed index.
    pub sealed: Vec<u8>,
}

/// FILES' version, moved by the schema's triggers on every change.
fn files_version(conn: &rusqlite::Connection) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT VERSION FROM TGBOX_RS_FILES_VERSION WHERE ID = 1",
        [],
        |r| r.get(0),
    )
}

fn raw_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawFileRow> {
    Ok(RawFileRow {
        id: r.get(0)?,
        upload_time: r.get(1)?,
        ppath_head: r.get(2)?,
        efilekey: r.get(3)?,
        metadata: r.get(4)?,
        updated: r.get(5)?,
    })
}

/// Decrypts a row: the header rebuilt from `METADATA`, opened with the row's key (the sealed
/// FileKey of an imported file, else the MainKey), `UPDATED_METADATA` overlaid, the upload
/// time decrypted (spec §2.4).
///
/// # Errors
/// [`Error::Protocol`] when the row does not decrypt with this box's keys.
pub fn decrypt_row(mainkey: &MainKey, row: RawFileRow) -> Result<LocalFile> {
    let header = BoxFileHeader::parse(&canonical_header(&row.metadata)?, LEN24_MAX)?;
    let filekey = match &row.efilekey {
        Some(sealed) => Some(FileKey::from_slice(&aes_cbc::decrypt(
            mainkey.expose_secret(),
            sealed,
        )?)?),
        None => None,
    };
    let mut file = match &filekey {
        Some(fk) => header.decrypt(KeyRef::File(fk))?,
        None => header.decrypt(KeyRef::Main(mainkey))?,
    };
    if let Some(blob) = row.updated.filter(|b| !b.is_empty()) {
        file.apply_caption(&b64::encode(&blob), Some(mainkey))?;
    }
    let time = aes_cbc::decrypt(file.filekey().expose_secret(), &row.upload_time)?;
    Ok(LocalFile {
        id: row.id,
        upload_time: bytes_to_int(&time)? as i64,
        ppath_head: row.ppath_head.as_slice().try_into().unwrap_or([0; 32]),
        file,
        imported: row.efilekey.is_some(),
    })
}

/// A decrypted file row.
pub struct LocalFile {
    /// The file id (the message id).
    pub id: i64,
    /// The PartID of the file's current directory.
    pub ppath_head: [u8; 32],
    /// Unix seconds of the upload (the message date).
    pub upload_time: i64,
    /// The decrypted box file: header, metadata (with caption updates), keys.
    pub file: DecryptedBoxFile,
    /// Whether the file came from another box (its key is stored in the LocalBox).
    pub imported: bool,
}

impl LocalFile {
    /// The file's metadata.
    pub fn info(&self) -> &FileInfo {
        &self.file.info
    }
}

impl std::fmt::Debug for LocalFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalFile")
            .field("id", &self.id)
            .field("info", &self.file.info)
            .finish_non_exhaustive()
    }
}

/// The box-file header bytes with a correct length field, from a `METADATA` column. Rows that
/// came back from Telegram carry `M + 16` in the length field (protocol Appendix A), so the
/// field is ignored and `M` is everything between it and the 16-byte IV, as the reference
/// reads it.
fn canonical_header(metadata: &[u8]) -> tgbox_core::Result<Vec<u8>> {
    let fixed = PREFIX.len() + 1 + 3;
    if metadata.len() < fixed + 16
        || metadata[..PREFIX.len()] != PREFIX
        || metadata[PREFIX.len()] != VERBYTE
    {
        return Err(tgbox_core::Error::NotABoxFile);
    }
    let m = &metadata[fixed..metadata.len() - 16];
    let mut out = Vec::with_capacity(metadata.len());
    out.extend_from_slice(&metadata[..PREFIX.len() + 1]);
    out.extend_from_slice(&len24(m.len(), "metadata")?);
    out.extend_from_slice(&metadata[fixed..]);
    Ok(out)
}

impl LocalBox {
    /// Records a file row and its directory's path parts in one transaction.
    ///
    /// # Errors
    /// [`Error::FingerprintExists`] when another file has the same directory and name;
    /// [`Error::InvalidInput`] when the id is taken; [`Error::LocalBox`].
    pub fn record_file(&self, mainkey: &MainKey, row: &NewFileRow<'_>) -> Result<()> {
        let mut conn = self.lock();
        let tx = conn
            .transaction()
            .map_err(self.sql("starting a transaction"))?;
        self.record_file_in(&tx, mainkey, row)?;
        tx.commit().map_err(self.sql("committing the file row"))
    }

    /// Records many file rows in one transaction (a clone's page, a bulk import): all or none.
    ///
    /// # Errors
    /// As [`LocalBox::record_file`].
    pub fn record_files(&self, mainkey: &MainKey, rows: &[NewFileRow<'_>]) -> Result<()> {
        self.record_files_replacing(mainkey, rows, &[])
    }

    /// [`record_files`](Self::record_files), first deleting the rows of `replaced` (documents
    /// re-uploaded in place), all in one transaction.
    ///
    /// # Errors
    /// As [`LocalBox::record_file`].
    pub fn record_files_replacing(
        &self,
        mainkey: &MainKey,
        rows: &[NewFileRow<'_>],
        replaced: &[i64],
    ) -> Result<()> {
        let mut conn = self.lock();
        let tx = conn
            .transaction()
            .map_err(self.sql("starting a transaction"))?;
        for id in replaced {
            tx.execute("DELETE FROM FILES WHERE ID = ?1", [id])
                .map_err(self.sql("replacing a file row"))?;
        }
        for row in rows {
            self.record_file_in(&tx, mainkey, row)?;
        }
        tx.commit().map_err(self.sql("committing the file rows"))
    }

    /// [`record_file`](Self::record_file) inside the caller's transaction.
    pub(crate) fn record_file_in(
        &self,
        tx: &Transaction<'_>,
        mainkey: &MainKey,
        row: &NewFileRow<'_>,
    ) -> Result<()> {
        let mut rng = OsEntropy;
        // Cached statements: a clone or a sync records thousands of rows in a row, and
        // parsing the SQL anew for each was a sixth of the time.
        let taken: Option<i64> = tx
            .prepare_cached("SELECT ID FROM FILES WHERE ID = ?1")
            .and_then(|mut s| s.query_row([row.id], |r| r.get(0)).optional())
            .map_err(self.sql("looking up the id"))?;
        if taken.is_some() {
            return Err(Error::InvalidInput(format!(
                "file {} is already in the LocalBox",
                row.id
            )));
        }
        let fingerprint = paths::fingerprint(mainkey, &paths::join(row.dir, row.name));
        let clash: Option<i64> = tx
            .prepare_cached("SELECT ID FROM FILES WHERE FINGERPRINT = ?1")
            .and_then(|mut s| s.query_row([&fingerprint[..]], |r| r.get(0)).optional())
            .map_err(self.sql("checking the path"))?;
        if let (true, Some(other)) = (row.check_fingerprint, clash) {
            return Err(Error::FingerprintExists(other));
        }
        let head = self.insert_path_in(tx, mainkey, row.dir)?;
        let upload_time = aes_cbc::encrypt(
            row.filekey.expose_secret(),
            &int_to_bytes(row.upload_time.max(0) as u64),
            &mut rng,
        )?;
        let efilekey = if row.foreign_key {
            Some(aes_cbc::encrypt(
                mainkey.expose_secret(),
                row.filekey.expose_secret(),
                &mut rng,
            )?)
        } else {
            None
        };
        tx.prepare_cached("INSERT INTO FILES VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
            .and_then(|mut s| {
                s.execute(params![
                    row.id,
                    upload_time,
                    &head[..],
                    efilekey,
                    &fingerprint[..],
                    row.metadata,
                    row.updated_metadata
                ])
            })
            .map_err(self.sql("writing the file row"))?;
        Ok(())
    }

    /// Inserts the parts of `dir` that are missing (spec §2.5) and returns the HeadPartID.
    fn insert_path_in(
        &self,
        tx: &Transaction<'_>,
        mainkey: &MainKey,
        dir: &str,
    ) -> Result<[u8; 32]> {
        let parts = paths::split(dir);
        let ids = paths::part_ids(mainkey, &parts);
        let mut rng = OsEntropy;
        let mut parent: Option<[u8; 32]> = None;
        for (part, id) in parts.iter().zip(&ids) {
            let enc = aes_cbc::encrypt(mainkey.expose_secret(), part.as_bytes(), &mut rng)?;
            tx.prepare_cached("INSERT OR IGNORE INTO PATH_PARTS VALUES (?1, ?2, ?3)")
                .and_then(|mut s| s.execute(params![enc, &id[..], parent.as_ref().map(|p| &p[..])]))
                .map_err(self.sql("writing a path part"))?;
            parent = Some(*id);
        }
        parent.ok_or_else(|| Error::InvalidInput(format!("the directory {dir:?} has no parts")))
    }

    /// The file at the fingerprint of a directory and name, if any.
    ///
    /// # Errors
    /// [`Error::LocalBox`].
    pub fn file_with_fingerprint(&self, fingerprint: &[u8; 32]) -> Result<Option<i64>> {
        let conn = self.lock();
        conn.query_row(
            "SELECT ID FROM FILES WHERE FINGERPRINT = ?1",
            [&fingerprint[..]],
            |r| r.get(0),
        )
        .optional()
        .map_err(self.sql("checking the path"))
    }

    /// The ids of all files, ascending.
    ///
    /// # Errors
    /// [`Error::LocalBox`].
    pub fn file_ids(&self) -> Result<Vec<i64>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare("SELECT ID FROM FILES ORDER BY ID")
            .map_err(self.sql("listing files"))?;
        let ids = stmt
            .query_map([], |r| r.get(0))
            .map_err(self.sql("listing files"))?;
        ids.collect::<rusqlite::Result<Vec<i64>>>()
            .map_err(self.sql("listing files"))
    }

    /// The highest file id, if any.
    ///
    /// # Errors
    /// [`Error::LocalBox`].
    pub fn last_file_id(&self) -> Result<Option<i64>> {
        let conn = self.lock();
        conn.query_row("SELECT max(ID) FROM FILES", [], |r| r.get(0))
            .map_err(self.sql("reading the last id"))
    }

    /// Reads and decrypts file `id`.
    ///
    /// # Errors
    /// [`Error::NoSuchFile`]; [`Error::Protocol`] when the row does not decrypt with this box's
    /// keys; [`Error::LocalBox`].
    pub fn file(&self, mainkey: &MainKey, id: i64) -> Result<LocalFile> {
        let row = {
            let conn = self.lock();
            conn.query_row(&format!("{ROW_SELECT} WHERE ID = ?1"), [id], raw_row)
                .optional()
                .map_err(self.sql("reading a file row"))?
        };
        decrypt_row(mainkey, row.ok_or(Error::NoSuchFile(id))?)
    }

    /// Every file row, undecrypted, ascending by id.
    ///
    /// # Errors
    /// [`Error::LocalBox`].
    pub fn raw_rows(&self) -> Result<Vec<RawFileRow>> {
        Ok(self.raw_rows_versioned()?.1)
    }

    /// Every row with FILES' version, read in one transaction so the two agree.
    ///
    /// # Errors
    /// [`Error::LocalBox`].
    pub fn raw_rows_versioned(&self) -> Result<(i64, Vec<RawFileRow>)> {
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(self.sql("listing files"))?;
        let version = files_version(&tx).map_err(self.sql("listing files"))?;
        let rows = {
            let mut stmt = tx
                .prepare(&format!("{ROW_SELECT} ORDER BY ID"))
                .map_err(self.sql("listing files"))?;
            let rows = stmt
                .query_map([], raw_row)
                .map_err(self.sql("listing files"))?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
                .map_err(self.sql("listing files"))?
        };
        tx.commit().map_err(self.sql("listing files"))?;
        Ok((version, rows))
    }

    /// FILES' version and the saved index, if any, with the version it was made at.
    ///
    /// # Errors
    /// [`Error::LocalBox`].
    pub fn saved_index(&self) -> Result<(i64, Option<SavedIndex>)> {
        let mut conn = self.lock();
        let tx = conn
            .transaction()
            .map_err(self.sql("reading the saved index"))?;
        let version = files_version(&tx).map_err(self.sql("reading the saved index"))?;
        let saved = tx
            .query_row(
                "SELECT FILES_VERSION, SEALED FROM TGBOX_RS_INDEX WHERE ID = 1",
                [],
                |r| {
                    Ok(SavedIndex {
                        files_version: r.get(0)?,
                        sealed: r.get(1)?,
                    })
                },
            )
            .optional()
            .map_err(self.sql("reading the saved index"))?;
        tx.commit().map_err(self.sql("reading the saved index"))?;
        Ok((version, saved))
    }

    /// Saves the sealed index made from FILES at `version`.
    ///
    /// # Errors
    /// [`Error::LocalBox`].
    pub fn save_index(&self, version: i64, sealed: &[u8]) -> Result<()> {
        self.lock()
            .execute(
                "INSERT OR REPLACE INTO TGBOX_RS_INDEX VALUES (1, ?1, ?2)",
                params![version, sealed],
            )
            .map_err(self.sql("saving the index"))?;
        Ok(())
    }

    /// Sets a file's caption blob (`UPDATED_METADATA`, `None` for no updates) and, when its
    /// directory or name changed, its `PPATH_HEAD` and `FINGERPRINT`, in one transaction
    /// (spec §3.7; the reference commits them one by one).
    ///
    /// # Errors
    /// [`Error::FingerprintExists`] when another file has the new path (a file never collides
    /// with itself, unlike in the reference); [`Error::NoSuchFile`]; [`Error::LocalBox`].
    pub fn update_file(
        &self,
        mainkey: &MainKey,
        id: i64,
        updated: Option<&[u8]>,
        dir: &str,
        name: &str,
        check_fingerprint: bool,
    ) -> Result<()> {
        let fingerprint = paths::fingerprint(mainkey, &paths::join(dir, name));
        let mut conn = self.lock();
        let tx = conn
            .transaction()
            .map_err(self.sql("starting a transaction"))?;
        let clash: Option<i64> = tx
            .query_row(
                "SELECT ID FROM FILES WHERE FINGERPRINT = ?1 AND ID != ?2",
                params![&fingerprint[..], id],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.sql("checking the path"))?;
        if let (true, Some(other)) = (check_fingerprint, clash) {
            return Err(Error::FingerprintExists(other));
        }
        let head = self.insert_path_in(&tx, mainkey, dir)?;
        let n = tx
            .execute(
                "UPDATE FILES SET UPDATED_METADATA = ?2, PPATH_HEAD = ?3, FINGERPRINT = ?4 WHERE ID = ?1",
                params![id, updated, &head[..], &fingerprint[..]],
            )
            .map_err(self.sql("updating the file row"))?;
        if n == 0 {
            return Err(Error::NoSuchFile(id));
        }
        tx.commit().map_err(self.sql("committing the file row"))
    }

    /// Deletes file rows (not their directories).
    ///
    /// # Errors
    /// [`Error::LocalBox`].
    pub fn delete_files(&self, ids: &[i64]) -> Result<usize> {
        let mut conn = self.lock();
        let tx = conn
            .transaction()
            .map_err(self.sql("starting a transaction"))?;
        let mut n = 0;
        for id in ids {
            n += tx
                .execute("DELETE FROM FILES WHERE ID = ?1", [id])
                .map_err(self.sql("deleting a file row"))?;
        }
        tx.commit().map_err(self.sql("committing"))?;
        Ok(n)
    }
}
