//! How a file of a box is shown: one line of text, or the JSON object of `--json`
//! (`{id, name, path, size, mime, tags, uploaded_at}`, a contract for scripts).

use serde::Serialize;
use std::collections::BTreeMap;
use tgbox::IndexedFile;

use crate::progress::human_bytes;

/// A file as `--json` prints it.
#[derive(Debug, Serialize)]
pub struct FileView {
    /// The file id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its directory in the box (`null` when it cannot be read, as for some imported files).
    pub path: Option<String>,
    /// Plaintext size in bytes.
    pub size: u64,
    /// MIME type ("" when none).
    pub mime: String,
    /// Custom attributes: UTF-8 values as they are, others as `hex:` and their bytes in hex.
    pub tags: BTreeMap<String, String>,
    /// Upload time, RFC 3339 in UTC.
    pub uploaded_at: String,
}

/// A tag value as text.
pub fn tag_text(value: &[u8]) -> String {
    match std::str::from_utf8(value) {
        Ok(s) if !s.starts_with("hex:") => s.to_owned(),
        _ => format!("hex:{}", hex::encode(value)),
    }
}

impl From<&IndexedFile> for FileView {
    fn from(f: &IndexedFile) -> Self {
        FileView {
            id: f.id,
            name: f.name.clone(),
            path: f.dir.clone(),
            size: f.size,
            mime: f.mime.clone(),
            tags: f
                .cattrs
                .iter()
                .map(|(k, v)| (k.to_owned(), tag_text(v)))
                .collect(),
            uploaded_at: rfc3339(f.upload_time),
        }
    }
}

impl From<&tgbox::localbox::LocalFile> for FileView {
    fn from(f: &tgbox::localbox::LocalFile) -> Self {
        FileView::from(&IndexedFile::from(f))
    }
}

impl FileView {
    /// The full path in the box: directory and name.
    pub fn full_path(&self) -> String {
        match self.path.as_deref() {
            Some(d) if d.ends_with('/') || d.ends_with('\\') => format!("{d}{}", self.name),
            Some(d) => format!("{d}/{}", self.name),
            None => format!("?/{}", self.name),
        }
    }

    /// One line: id, size, full path, and the tags.
    pub fn line(&self) -> String {
        let mut s = format!(
            "{:>7}  {:>10}  {}",
            self.id,
            human_bytes(self.size),
            self.full_path()
        );
        for (k, v) in &self.tags {
            s.push_str(&format!("  [{k}={v}]"));
        }
        s
    }
}

/// Unix seconds as `YYYY-MM-DDTHH:MM:SSZ` (proleptic Gregorian, UTC).
pub fn rfc3339(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_431_321), "2026-11-23T10:55:21Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn tags() {
        assert_eq!(tag_text(b"blue"), "blue");
        assert_eq!(tag_text(&[0xff, 0]), "hex:ff00");
        assert_eq!(tag_text(b"hex:41"), "hex:6865783a3431");
    }
}
