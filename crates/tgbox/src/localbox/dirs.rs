//! The directory tree of `PATH_PARTS` (spec/tgbox-boxes.md §2.5): a directory is found by
//! computing its PartIDs, without decrypting anything; only the names of listed
//! subdirectories are decrypted.

use rusqlite::OptionalExtension;
use tgbox_core::{MainKey, aes_cbc};

use super::LocalBox;
use crate::error::Result;

impl LocalBox {
    /// Whether a directory node with this PartID exists.
    ///
    /// # Errors
    /// [`crate::Error::LocalBox`].
    pub fn has_directory(&self, part_id: &[u8; 32]) -> Result<bool> {
        let conn = self.lock();
        let found: Option<i64> = conn
            .query_row(
                "SELECT 1 FROM PATH_PARTS WHERE PART_ID = ?1",
                [&part_id[..]],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.sql("looking up a directory"))?;
        Ok(found.is_some())
    }

    /// The subdirectories of `parent` (the roots when `None`): names and PartIDs, sorted by
    /// name. A name that does not decrypt (a node of another MainKey) is left out.
    ///
    /// # Errors
    /// [`crate::Error::LocalBox`].
    pub fn subdirectories(
        &self,
        mainkey: &MainKey,
        parent: Option<&[u8; 32]>,
    ) -> Result<Vec<(String, [u8; 32])>> {
        let rows: Vec<(Vec<u8>, Vec<u8>)> = {
            let conn = self.lock();
            let mut stmt = conn
                .prepare("SELECT ENC_PART, PART_ID FROM PATH_PARTS WHERE PARENT_PART_ID IS ?1")
                .map_err(self.sql("listing directories"))?;
            let rows = stmt
                .query_map([parent.map(|p| p.to_vec())], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(self.sql("listing directories"))?;
            rows.collect::<rusqlite::Result<_>>()
                .map_err(self.sql("listing directories"))?
        };
        let mut out = Vec::with_capacity(rows.len());
        for (enc, id) in rows {
            let (Ok(name), Ok(id)) = (
                aes_cbc::decrypt(mainkey.expose_secret(), &enc),
                <[u8; 32]>::try_from(id.as_slice()),
            ) else {
                continue;
            };
            if let Ok(name) = String::from_utf8(name.to_vec()) {
                out.push((name, id));
            }
        }
        out.sort();
        Ok(out)
    }
}
