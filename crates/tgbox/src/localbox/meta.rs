//! This implementation's own notes about a LocalBox (table `TGBOX_RS_META`), readable without
//! a key: the scrypt parameters the box was opened with, so that a user never has to type
//! custom ones again (the phrase alone is secret; the parameters are not).

use rusqlite::{OptionalExtension, params};
use tgbox_core::keys::ScryptParams;

use super::LocalBox;
use crate::error::{Error, Result};

const SCRYPT: &str = "scrypt";

impl LocalBox {
    /// Remembers the scrypt parameters of the phrase that opens this box.
    ///
    /// # Errors
    /// [`Error::LocalBox`].
    pub fn remember_scrypt(&self, params: &ScryptParams) -> Result<()> {
        let text = format!(
            "{}:{}:{}:{}:{}",
            hex_of(params.salt()),
            params.n(),
            params.r(),
            params.p(),
            params.dklen()
        );
        let conn = self.lock();
        conn.execute(
            "INSERT OR REPLACE INTO TGBOX_RS_META VALUES (?1, ?2)",
            params![SCRYPT, text.as_bytes()],
        )
        .map_err(self.sql("writing TGBOX_RS_META"))?;
        Ok(())
    }

    /// The scrypt parameters remembered with this box, if any.
    ///
    /// # Errors
    /// [`Error::LocalBox`] for a value this build cannot read.
    pub fn scrypt_params(&self) -> Result<Option<ScryptParams>> {
        let value: Option<Vec<u8>> = {
            let conn = self.lock();
            conn.query_row(
                "SELECT VALUE FROM TGBOX_RS_META WHERE KEY = ?1",
                [SCRYPT],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.sql("reading TGBOX_RS_META"))?
        };
        let Some(value) = value else { return Ok(None) };
        let bad = || Error::LocalBox {
            path: self.path().to_path_buf(),
            message: "unreadable scrypt parameters".into(),
            source: None,
        };
        let text = String::from_utf8(value).map_err(|_| bad())?;
        let f: Vec<&str> = text.split(':').collect();
        let [salt, n, r, p, dklen] = f.as_slice() else {
            return Err(bad());
        };
        let salt = (0..salt.len())
            .step_by(2)
            .map(|i| {
                salt.get(i..i + 2)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
            })
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(bad)?;
        let num = |s: &str| s.parse::<u64>().map_err(|_| bad());
        ScryptParams::new(
            salt,
            num(n)?,
            num(r)? as u32,
            num(p)? as u32,
            num(dklen)? as usize,
        )
        .map(Some)
        .map_err(|_| bad())
    }
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
