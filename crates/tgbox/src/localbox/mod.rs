//! The LocalBox: the SQLite index of a box (spec/tgbox-boxes.md §2).
//!
//! The reference's four tables are kept exactly (names, columns, order, encodings), so a
//! LocalBox made here opens in the Python reference and the other way round; this
//! implementation's own state (the upload journal, metadata) lives in `TGBOX_RS_*` tables that
//! the reference leaves alone. Unlike the reference, every multi-step change (path parts and
//! the file row; a file row and its journal entry) is one transaction.
//!
//! All methods are synchronous; the async facade calls them on blocking threads.

mod boxdata;
mod dirs;
mod files;
mod journal;
mod meta;
mod schema;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, params};

pub(crate) use boxdata::offline_session;
pub use boxdata::{BoxData, NewBoxData};
pub use files::{LocalFile, NewFileRow, RawFileRow, SavedIndex, decrypt_row};
pub use journal::PendingUpload;

use crate::error::{Error, Result};
use boxdata::RawBoxData;

/// An open LocalBox database.
pub struct LocalBox {
    conn: Mutex<Connection>,
    path: PathBuf,
}

impl std::fmt::Debug for LocalBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalBox")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl LocalBox {
    fn err(&self, message: impl Into<String>, source: Option<rusqlite::Error>) -> Error {
        Error::LocalBox {
            path: self.path.clone(),
            message: message.into(),
            source,
        }
    }

    pub(crate) fn sql(&self, what: &str) -> impl Fn(rusqlite::Error) -> Error + '_ {
        let what = what.to_owned();
        move |e| self.err(what.clone(), Some(e))
    }

    fn connect(path: &Path) -> Result<Connection> {
        let conn = Connection::open(path).map_err(|e| Error::LocalBox {
            path: path.to_path_buf(),
            message: "cannot open the database".into(),
            source: Some(e),
        })?;
        conn.busy_timeout(std::time::Duration::from_secs(10)).ok();
        Ok(conn)
    }

    /// Starts a LocalBox for a box at `path` (spec §2.1). It is built under a temporary name
    /// beside `path` and appears under `path` only on [`PartialLocalBox::finish`], so a failed
    /// or interrupted creation (a clone that stops half-way) leaves no LocalBox behind. An
    /// existing file at `path` is never touched.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when `path` exists; [`Error::LocalBox`] for SQLite failures.
    pub fn create(path: &Path, sealed: &SealedBoxData) -> Result<PartialLocalBox> {
        if path.exists() {
            return Err(Error::InvalidInput(format!(
                "{} already exists; a LocalBox is never overwritten",
                path.display()
            )));
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| Error::io(format!("creating {}", parent.display()), e))?;
        }
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("LocalBox");
        let tmp = path.with_file_name(format!(".{name}.tgbox-partial-{}", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        let partial = PartialLocalBox {
            lb: Some(LocalBox {
                conn: Mutex::new(Self::connect(&tmp)?),
                path: tmp.clone(),
            }),
            target: path.to_path_buf(),
        };
        restrict_permissions(&tmp)?;
        {
            let lb = partial.localbox();
            let mut conn = lb.lock();
            let tx = conn
                .transaction()
                .map_err(lb.sql("starting a transaction"))?;
            schema::prepare(&tx).map_err(|m| lb.err(m, None))?;
            let r = &sealed.0;
            tx.execute(
                "INSERT INTO BOX_DATA VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    r.channel_id,
                    r.created,
                    r.box_salt,
                    r.mainkey,
                    r.session,
                    r.api_id,
                    r.api_hash,
                    r.fast_sync_last_event_id
                ],
            )
            .map_err(lb.sql("writing BOX_DATA"))?;
            tx.commit().map_err(lb.sql("committing"))?;
        }
        Ok(partial)
    }

    /// Opens an existing LocalBox and checks its schema.
    ///
    /// # Errors
    /// [`Error::LocalBox`] when the file is missing, not SQLite, not a LocalBox, or of a schema
    /// this build does not read.
    pub fn open(path: &Path) -> Result<LocalBox> {
        if !path.is_file() {
            return Err(Error::LocalBox {
                path: path.to_path_buf(),
                message: "no such LocalBox file".into(),
                source: None,
            });
        }
        let conn = Self::connect(path)?;
        let lb = LocalBox {
            conn: Mutex::new(conn),
            path: path.to_path_buf(),
        };
        {
            let conn = lb.lock();
            // A file that is not SQLite fails here, with SQLite's words for it.
            conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
                r.get::<_, i64>(0)
            })
            .map_err(lb.sql("not a readable SQLite database"))?;
            let tables: i64 = conn
                .query_row(
                    "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='BOX_DATA'",
                    [],
                    |r| r.get(0),
                )
                .map_err(lb.sql("reading the schema"))?;
            if tables == 0 {
                return Err(lb.err("not a LocalBox (no BOX_DATA table)", None));
            }
            schema::prepare(&conn).map_err(|m| lb.err(m, None))?;
        }
        lb.raw_box_data()?;
        Ok(lb)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn raw_box_data(&self) -> Result<RawBoxData> {
        let conn = self.lock();
        conn.query_row("SELECT * FROM BOX_DATA", [], |r| {
            Ok(RawBoxData {
                channel_id: r.get(0)?,
                created: r.get(1)?,
                box_salt: r.get(2)?,
                mainkey: r.get(3)?,
                session: r.get(4)?,
                api_id: r.get(5)?,
                api_hash: r.get(6)?,
                fast_sync_last_event_id: r.get(7)?,
            })
        })
        .optional()
        .map_err(self.sql("reading BOX_DATA"))?
        .ok_or_else(|| self.err("BOX_DATA is empty (an unfinished LocalBox)", None))
    }

    /// The box salt, readable without a key.
    ///
    /// # Errors
    /// [`Error::LocalBox`], [`Error::Protocol`] for a malformed salt.
    pub fn box_salt(&self) -> Result<tgbox_core::BoxSalt> {
        Ok(self.raw_box_data()?.box_salt()?)
    }

    /// Opens the box data with the BaseKey: the MainKey (derived, or the sealed foreign one),
    /// then every field. A wrong BaseKey fails here.
    ///
    /// # Errors
    /// [`Error::WrongPhrase`] when the BaseKey does not open this LocalBox.
    pub fn unlock(&self, basekey: &tgbox_core::BaseKey) -> Result<(tgbox_core::MainKey, BoxData)> {
        let raw = self.raw_box_data()?;
        raw.session(basekey).map_err(|_| Error::WrongPhrase)?;
        let mainkey = raw.mainkey(basekey).map_err(|_| Error::WrongPhrase)?;
        let data = raw.open(&mainkey).map_err(|_| Error::WrongPhrase)?;
        Ok((mainkey, data))
    }

    /// The newest change-feed event fast sync has applied (`BOX_DATA.FAST_SYNC_LAST_EVENT_ID`,
    /// as the reference keeps it).
    ///
    /// # Errors
    /// [`Error::LocalBox`]; [`Error::Protocol`] when it does not decrypt.
    pub fn fast_sync_last_event(&self, mainkey: &tgbox_core::MainKey) -> Result<Option<u64>> {
        let raw = self.raw_box_data()?;
        Ok(raw
            .open(mainkey)?
            .fast_sync_last_event_id
            .map(|v| v.max(0) as u64))
    }

    /// Records the newest change-feed event fast sync has applied.
    ///
    /// # Errors
    /// [`Error::LocalBox`]; [`Error::Protocol`] when the OS random source fails.
    pub fn set_fast_sync_last_event(&self, mainkey: &tgbox_core::MainKey, id: u64) -> Result<()> {
        let sealed = tgbox_core::aes_cbc::encrypt(
            mainkey.expose_secret(),
            &tgbox_core::ints::int_to_bytes(id),
            &mut tgbox_core::OsEntropy,
        )?;
        let conn = self.lock();
        conn.execute("UPDATE BOX_DATA SET FAST_SYNC_LAST_EVENT_ID = ?1", [sealed])
            .map_err(self.sql("writing BOX_DATA"))?;
        Ok(())
    }

    /// The `DEFAULTS.METADATA_MAX` setting.
    ///
    /// # Errors
    /// [`Error::LocalBox`].
    pub fn metadata_max(&self) -> Result<usize> {
        let conn = self.lock();
        let v: i64 = conn
            .query_row("SELECT METADATA_MAX FROM DEFAULTS", [], |r| r.get(0))
            .map_err(self.sql("reading DEFAULTS"))?;
        Ok(v.clamp(0, tgbox_core::ints::LEN24_MAX as i64) as usize)
    }
}

/// A LocalBox being built under a temporary name; removed on drop unless finished.
pub struct PartialLocalBox {
    lb: Option<LocalBox>,
    target: PathBuf,
}

impl PartialLocalBox {
    /// The LocalBox being built.
    pub fn localbox(&self) -> &LocalBox {
        self.lb.as_ref().expect("present until finish or drop")
    }

    /// Moves the finished LocalBox to its name and opens it there.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when a file appeared at the target meanwhile; [`Error::Io`].
    pub fn finish(mut self) -> Result<LocalBox> {
        let lb = self.lb.take().expect("present until finish or drop");
        let tmp = lb.path.clone();
        drop(lb);
        if self.target.exists() {
            let _ = std::fs::remove_file(&tmp);
            return Err(Error::InvalidInput(format!(
                "{} appeared meanwhile; not overwritten",
                self.target.display()
            )));
        }
        std::fs::rename(&tmp, &self.target).map_err(|e| {
            Error::io(
                format!("moving the LocalBox to {}", self.target.display()),
                e,
            )
        })?;
        LocalBox::open(&self.target)
    }
}

impl Drop for PartialLocalBox {
    fn drop(&mut self) {
        if let Some(lb) = self.lb.take() {
            let tmp = lb.path.clone();
            drop(lb);
            let _ = std::fs::remove_file(tmp);
        }
    }
}

/// A sealed BOX_DATA row ready for [`LocalBox::create`], made by [`seal_box_data`].
pub struct SealedBoxData(RawBoxData);

/// Seals a new BOX_DATA row: the session with the BaseKey, the rest with the MainKey.
///
/// # Errors
/// [`Error::Protocol`] when the OS random source fails.
pub fn seal_box_data(
    basekey: &tgbox_core::BaseKey,
    mainkey: &tgbox_core::MainKey,
    new: &NewBoxData<'_>,
) -> Result<SealedBoxData> {
    Ok(SealedBoxData(boxdata::seal(basekey, mainkey, new)?))
}

/// The LocalBox holds the Telegram session: owner-only (ARCHITECTURE.md "Secrets").
fn restrict_permissions(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| Error::io(format!("restricting {}", path.display()), e))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}
