//! The LocalBox schema: the reference's four tables exactly (spec/tgbox-boxes.md §2.2), plus
//! this implementation's own tables, which the reference leaves alone (§2.10: it compares and
//! rebuilds only its four tables, so nothing of ours may be added to them).

use rusqlite::Connection;

/// The reference's tables in the reference's column order (inserts are positional).
pub(super) const REFERENCE_TABLES: [(&str, &[(&str, &str)]); 4] = [
    (
        "BOX_DATA",
        &[
            ("BOX_CHANNEL_ID", "BLOB NOT NULL"),
            ("BOX_CR_TIME", "BLOB NOT NULL"),
            ("BOX_SALT", "BLOB NOT NULL"),
            ("MAINKEY", "BLOB"),
            ("SESSION", "BLOB NOT NULL"),
            ("API_ID", "BLOB NOT NULL"),
            ("API_HASH", "BLOB NOT NULL"),
            ("FAST_SYNC_LAST_EVENT_ID", "BLOB"),
        ],
    ),
    (
        "FILES",
        &[
            ("ID", "INTEGER PRIMARY KEY"),
            ("UPLOAD_TIME", "BLOB NOT NULL"),
            ("PPATH_HEAD", "BLOB NOT NULL"),
            ("FILEKEY", "BLOB"),
            ("FINGERPRINT", "BLOB"),
            ("METADATA", "BLOB NOT NULL"),
            ("UPDATED_METADATA", "BLOB"),
        ],
    ),
    (
        "PATH_PARTS",
        &[
            ("ENC_PART", "BLOB NOT NULL"),
            ("PART_ID", "BLOB NOT NULL PRIMARY KEY"),
            ("PARENT_PART_ID", "BLOB"),
        ],
    ),
    (
        "DEFAULTS",
        &[
            ("METADATA_MAX", "INTEGER NOT NULL"),
            ("FILE_PATH_MAX", "INTEGER NOT NULL"),
            ("DOWNLOAD_PATH", "TEXT NOT NULL"),
            ("DEF_NO_FOLDER", "TEXT NOT NULL"),
            ("DEF_UNK_FOLDER", "TEXT NOT NULL"),
            ("FAST_SYNC_ENABLED", "INTEGER NOT NULL"),
        ],
    ),
];

/// The DEFAULTS row a new LocalBox gets (§2.6).
pub(super) const DEFAULTS_ROW: (i64, i64, &str, &str, &str, i64) = (
    1_000_000,
    4096,
    "DownloadsTGBOX",
    "NO_FOLDER",
    "UNKNOWN_FOLDER",
    0,
);

/// Our own tables. `TGBOX_RS_` keeps them apart from anything the reference may add.
const OWN_TABLES: &str = "
CREATE TABLE IF NOT EXISTS TGBOX_RS_META (KEY TEXT PRIMARY KEY, VALUE BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS TGBOX_RS_UPLOAD_JOURNAL (
    FILE_SALT BLOB PRIMARY KEY,
    STARTED INTEGER NOT NULL,
    SOURCE TEXT NOT NULL,
    SOURCE_SIZE INTEGER NOT NULL,
    SOURCE_MTIME INTEGER NOT NULL,
    DOCUMENT_SIZE INTEGER NOT NULL,
    HEADER BLOB NOT NULL,
    TOKEN TEXT,
    REPLACES INTEGER,
    SOURCE_OFFSET INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS TGBOX_RS_UPLOAD_PARTS (
    FILE_SALT BLOB NOT NULL,
    PART INTEGER NOT NULL,
    PRIMARY KEY (FILE_SALT, PART)
);
-- FILES' version: every change to FILES, by any program (the reference included: triggers live
-- in the database), moves it, so a saved index is known current without reading FILES.
CREATE TABLE IF NOT EXISTS TGBOX_RS_FILES_VERSION (
    ID INTEGER PRIMARY KEY CHECK (ID = 1),
    VERSION INTEGER NOT NULL
);
INSERT OR IGNORE INTO TGBOX_RS_FILES_VERSION VALUES (1, 0);
CREATE TRIGGER IF NOT EXISTS TGBOX_RS_FILES_INSERTED AFTER INSERT ON FILES
    BEGIN UPDATE TGBOX_RS_FILES_VERSION SET VERSION = VERSION + 1 WHERE ID = 1; END;
CREATE TRIGGER IF NOT EXISTS TGBOX_RS_FILES_UPDATED AFTER UPDATE ON FILES
    BEGIN UPDATE TGBOX_RS_FILES_VERSION SET VERSION = VERSION + 1 WHERE ID = 1; END;
CREATE TRIGGER IF NOT EXISTS TGBOX_RS_FILES_DELETED AFTER DELETE ON FILES
    BEGIN UPDATE TGBOX_RS_FILES_VERSION SET VERSION = VERSION + 1 WHERE ID = 1; END;
-- The decrypted index, sealed under keys derived from the MainKey (crate::index_store).
CREATE TABLE IF NOT EXISTS TGBOX_RS_INDEX (
    ID INTEGER PRIMARY KEY CHECK (ID = 1),
    FILES_VERSION INTEGER NOT NULL,
    SEALED BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS TGBOX_RS_FILES_PPATH_HEAD ON FILES (PPATH_HEAD);
CREATE INDEX IF NOT EXISTS TGBOX_RS_FILES_FINGERPRINT ON FILES (FINGERPRINT);
CREATE INDEX IF NOT EXISTS TGBOX_RS_PATH_PARTS_PARENT ON PATH_PARTS (PARENT_PART_ID);
";

/// The `CREATE TABLE` statement of one reference table, as the reference writes it.
fn create_statement(table: &str, columns: &[(&str, &str)]) -> String {
    let cols: Vec<String> = columns.iter().map(|(n, t)| format!("{n} {t}")).collect();
    format!("CREATE TABLE {table} ({})", cols.join(", "))
}

/// Whether `table` exists.
fn exists(conn: &Connection, table: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
        [table],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n > 0)
}

/// The columns of `table` as the reference compares them: name and declared type with
/// " NOT NULL" and " PRIMARY KEY" appended (§2.10).
fn columns(conn: &Connection, table: &str) -> rusqlite::Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare(&format!("PRAGMA table_info({table})"))?;
    let rows = stmt.query_map([], |r| {
        let name: String = r.get(1)?;
        let ty: String = r.get(2)?;
        let notnull: i64 = r.get(3)?;
        let pk: i64 = r.get(5)?;
        let mut decl = ty;
        if notnull != 0 {
            decl.push_str(" NOT NULL");
        }
        if pk != 0 {
            decl.push_str(" PRIMARY KEY");
        }
        Ok((name, decl))
    })?;
    rows.collect()
}

/// What [`prepare`] found.
pub(super) enum SchemaState {
    /// The tables were just created (a new LocalBox).
    Created,
    /// The tables were there, as expected.
    Existing,
}

/// Creates missing tables (and the DEFAULTS row), checks existing ones, adds our own tables.
/// A reference table whose columns differ is refused with the difference named, rather than
/// rebuilt: rebuilding silently drops data the other implementation may need.
pub(super) fn prepare(conn: &Connection) -> Result<SchemaState, String> {
    let sql = |e: rusqlite::Error| e.to_string();
    let mut created = 0;
    for (table, cols) in REFERENCE_TABLES {
        if exists(conn, table).map_err(sql)? {
            let mut have = columns(conn, table).map_err(sql)?;
            let mut want: Vec<(String, String)> = cols
                .iter()
                .map(|(n, t)| ((*n).into(), (*t).into()))
                .collect();
            have.sort();
            want.sort();
            if have != want {
                return Err(format!(
                    "table {table} has columns {have:?}, this build expects {want:?} (a LocalBox of another tgbox version?)"
                ));
            }
        } else {
            conn.execute_batch(&create_statement(table, cols))
                .map_err(sql)?;
            if table == "DEFAULTS" {
                let d = DEFAULTS_ROW;
                conn.execute(
                    "INSERT INTO DEFAULTS VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    rusqlite::params![d.0, d.1, d.2, d.3, d.4, d.5],
                )
                .map_err(sql)?;
            }
            created += 1;
        }
    }
    conn.execute_batch(OWN_TABLES).map_err(sql)?;
    Ok(if created == REFERENCE_TABLES.len() {
        SchemaState::Created
    } else {
        SchemaState::Existing
    })
}
