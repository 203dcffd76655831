//! What a backup holds (spec §6): a Telethon StringSession and the API credentials of the app
//! that made it, with its creation time and the format version; and the message around the
//! capsule (`+T+`, newline, capsule, newline, `+T+`).

use serde_json::{Number, Value};
use tgbox_core::Entropy;
use tgbox_core::session::StringSession;
use zeroize::Zeroizing;

use crate::capsule::{self, Field};
use crate::error::{Error, Result};
use crate::keys::BackupKey;

/// The marker around a backup message.
pub const MARKER: &str = "+T+";
/// The `version` field this implementation writes.
pub const VERSION: &str = "1.1";
/// The longest message Telegram takes; a backup is about 820 characters.
pub const MESSAGE_MAX: usize = 4096;

/// A Telegram session backup, decrypted. Secrets are zeroized and never printed by `Debug`.
pub struct Backup {
    /// The Telethon StringSession (full access to the account).
    pub session: Zeroizing<String>,
    /// The app's API id.
    pub api_id: i64,
    /// The app's API hash.
    pub api_hash: Zeroizing<String>,
    /// POSIX seconds with microseconds.
    pub created_at: f64,
    /// The format version.
    pub version: String,
}

impl std::fmt::Debug for Backup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backup")
            .field("api_id", &self.api_id)
            .field("created_at", &self.created_at)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// Checks an API hash: 32 hexadecimal characters, as Telegram issues them.
///
/// # Errors
/// [`Error::InvalidInput`].
pub fn check_api_hash(hash: &str) -> Result<()> {
    if hash.len() != 32 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::InvalidInput(
            "an API hash is 32 hexadecimal characters (from my.telegram.org)".into(),
        ));
    }
    Ok(())
}

impl Backup {
    /// A backup of `session` made now; the session and credentials are checked.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a session that is not a StringSession, an API id that is
    /// not positive or a malformed API hash.
    pub fn new(session: &str, api_id: i64, api_hash: &str) -> Result<Backup> {
        let parsed = StringSession::parse(session)
            .map_err(|e| Error::InvalidInput(format!("not a Telethon StringSession: {e}")))?;
        if api_id <= 0 {
            return Err(Error::InvalidInput("an API id is a positive number".into()));
        }
        check_api_hash(api_hash)?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_err(|_| Error::InvalidInput("the clock is before 1970".into()))?;
        let micros = now.as_micros() as f64 / 1e6;
        Ok(Backup {
            session: parsed.encode(),
            api_id,
            api_hash: Zeroizing::new(api_hash.to_owned()),
            created_at: micros,
            version: VERSION.to_owned(),
        })
    }

    /// The fields in the reference's order (§6).
    pub fn fields(&self) -> Vec<(String, Field)> {
        let created = Number::from_f64(self.created_at).unwrap_or_else(|| Number::from(0));
        vec![
            (
                "session".into(),
                Field::Json(Value::String(self.session.to_string())),
            ),
            (
                "api_id".into(),
                Field::Json(Value::Number(self.api_id.into())),
            ),
            (
                "api_hash".into(),
                Field::Json(Value::String(self.api_hash.to_string())),
            ),
            ("created_at".into(), Field::Json(Value::Number(created))),
            (
                "version".into(),
                Field::Json(Value::String(self.version.clone())),
            ),
        ]
    }

    /// Reads the fields of an opened capsule. Unknown fields are ignored; the session must be
    /// a StringSession.
    ///
    /// # Errors
    /// [`Error::Corrupt`] for missing or mistyped fields.
    pub fn from_fields(fields: Vec<(String, Field)>) -> Result<Backup> {
        let (mut session, mut api_id, mut api_hash, mut created_at, mut version) =
            (None, None, None, None, None);
        for (name, value) in fields {
            let Field::Json(v) = value else { continue };
            match (name.as_str(), v) {
                ("session", Value::String(s)) => session = Some(Zeroizing::new(s)),
                ("api_id", Value::Number(n)) => api_id = n.as_i64(),
                ("api_hash", Value::String(s)) => api_hash = Some(Zeroizing::new(s)),
                ("created_at", Value::Number(n)) => created_at = n.as_f64(),
                ("version", Value::String(s)) => version = Some(s),
                _ => {}
            }
        }
        let missing = |f: &str| Error::Corrupt(format!("the backup has no valid {f} field"));
        let session = session.ok_or_else(|| missing("session"))?;
        StringSession::parse(&session)
            .map_err(|e| Error::Corrupt(format!("its session is not a StringSession: {e}")))?;
        Ok(Backup {
            session,
            api_id: api_id.ok_or_else(|| missing("api_id"))?,
            api_hash: api_hash.ok_or_else(|| missing("api_hash"))?,
            created_at: created_at.unwrap_or(0.0),
            version: version.unwrap_or_default(),
        })
    }

    /// Seals this backup under `key`: the capsule text.
    ///
    /// # Errors
    /// [`Error::Core`] when the random source fails.
    pub fn seal(&self, key: &BackupKey, rng: &mut dyn Entropy) -> Result<String> {
        capsule::seal(key, &self.fields(), rng)
    }

    /// Opens a capsule (or a whole message, markers and line breaks included) with `key`.
    ///
    /// # Errors
    /// As [`capsule::open`] and [`Backup::from_fields`].
    pub fn open(key: &BackupKey, text: &str) -> Result<Backup> {
        Backup::from_fields(capsule::open(key, &strip_markers(text))?)
    }
}

/// The message text around a capsule: `+T+`, newline, capsule, newline, `+T+`.
///
/// # Errors
/// [`Error::InvalidInput`] when it would not fit in one Telegram message.
pub fn message(capsule: &str) -> Result<String> {
    let text = format!("{MARKER}\n{capsule}\n{MARKER}");
    if text.chars().count() > MESSAGE_MAX {
        return Err(Error::InvalidInput(format!(
            "the backup is {} characters; one message holds {MESSAGE_MAX}",
            text.chars().count()
        )));
    }
    Ok(text)
}

/// A capsule from text a person supplies (a saved message, a file): every `+T+` removed, as
/// the reference's raw-data path does (§9.3 step 1).
pub fn strip_markers(text: &str) -> String {
    text.replace(MARKER, "")
}

/// The title of a backup channel: `TgbX (` + C `ctime` + `)`, e.g. `TgbX (Sun Jan  5 09:03:07
/// 2025)` with the day padded by a space (spec §9.1). The time is UTC: a title is public, and
/// a local time would tell the owner's time zone.
pub fn channel_title(unix_secs: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = unix_secs.div_euclid(86_400);
    let secs = unix_secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "TgbX ({} {} {:>2} {:02}:{:02}:{:02} {})",
        DAYS[days.rem_euclid(7) as usize],
        MONTHS[(month - 1) as usize],
        day,
        secs / 3600,
        secs % 3600 / 60,
        secs % 60,
        year
    )
}

#[cfg(test)]
mod title_tests {
    #[test]
    fn titles_are_ctime_with_a_space_padded_day() {
        assert_eq!(
            super::channel_title(1_736_067_787),
            "TgbX (Sun Jan  5 09:03:07 2025)"
        );
        assert_eq!(
            super::channel_title(1_737_203_696),
            "TgbX (Sat Jan 18 12:34:56 2025)"
        );
        assert_eq!(super::channel_title(0), "TgbX (Thu Jan  1 00:00:00 1970)");
        assert_eq!(
            super::channel_title(951_782_400),
            "TgbX (Tue Feb 29 00:00:00 2000)"
        );
    }
}
