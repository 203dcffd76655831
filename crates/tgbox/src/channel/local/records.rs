//! The JSON of a local channel: `channel.json`, message records and events
//! (spec/local-channel.md §3–5), parsed strictly and written back with unknown keys kept.
//!
//! Objects are held as `serde_json::Map` so that a rewrite keeps keys a newer writer added
//! (§2: "a writer that rewrites an object MUST keep the keys it does not know"); the typed
//! views ([`Meta`], [`Message`], [`Event`]) are derived from them after validation.

use serde_json::{Map, Value};

use crate::channel::error::{ChannelError, ErrorKind, Result};
use crate::channel::stamps::DOCUMENT_ID_MAX;
use crate::channel::types::{
    ChannelHeader, Document, Event, EventAction, ForwardedFrom, Message, MessageId,
};

/// The `format` marker of `channel.json`.
pub(super) const FORMAT: &str = "tgbox-local-channel";
/// The layout version this build reads and writes.
pub(super) const VERSION: i64 = 1;
/// Digits of a message id in file names.
const ID_DIGITS: usize = 12;
/// Digits of a document id in file names.
const DOC_ID_DIGITS: usize = 16;

/// A JSON object as stored.
pub(super) type Object = Map<String, Value>;

fn corrupt(what: impl std::fmt::Display) -> ChannelError {
    ChannelError::new(ErrorKind::Corrupt, what.to_string())
}

fn int(obj: &Object, key: &str, what: &str) -> Result<i64> {
    obj.get(key)
        .and_then(Value::as_i64)
        .ok_or_else(|| corrupt(format!("{what}: {key} must be an integer")))
}

fn opt_int(obj: &Object, key: &str, what: &str) -> Result<Option<i64>> {
    match obj.get(key) {
        Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .map(Some)
            .ok_or_else(|| corrupt(format!("{what}: {key} must be null or an integer"))),
        None => Err(corrupt(format!("{what}: {key} is missing"))),
    }
}

fn string<'a>(obj: &'a Object, key: &str, what: &str) -> Result<&'a str> {
    obj.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| corrupt(format!("{what}: {key} must be a string")))
}

/// Parses bytes as one JSON object.
pub(super) fn parse_object(bytes: &[u8], what: &str) -> Result<Object> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(corrupt(format!("{what}: not a JSON object"))),
        Err(e) => Err(corrupt(format!("{what}: {e}"))),
    }
}

/// Serialises an object as a file: pretty JSON and a final newline.
pub(super) fn file_bytes(obj: &Object) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(obj).unwrap_or_default();
    out.push(b'\n');
    out
}

/// `channel.json` (§3), validated, with the raw object kept for rewriting.
#[derive(Clone, Debug)]
pub(super) struct Meta {
    pub raw: Object,
    pub header: ChannelHeader,
    pub photo: Option<String>,
    pub next_message_id: i64,
    pub next_event_id: i64,
}

impl Meta {
    /// Validates a `channel.json` object.
    pub fn from_object(raw: Object) -> Result<Meta> {
        const W: &str = "channel.json";
        if raw.get("format").and_then(Value::as_str) != Some(FORMAT) {
            return Err(ChannelError::new(
                ErrorKind::ChannelInvalid,
                format!("{W} is not a {FORMAT} file"),
            ));
        }
        match raw.get("version").and_then(Value::as_i64) {
            Some(VERSION) => {}
            other => {
                return Err(ChannelError::new(
                    ErrorKind::VersionUnsupported,
                    format!("layout version {other:?}, this build reads version {VERSION}"),
                ));
            }
        }
        let id = int(&raw, "id", W)?;
        if !(1..1_000_000_000_000).contains(&id) {
            return Err(corrupt(format!("{W}: id {id} out of range")));
        }
        let next_message_id = int(&raw, "next_message_id", W)?;
        let next_event_id = int(&raw, "next_event_id", W)?;
        if next_message_id < 1 || next_event_id < 1 {
            return Err(corrupt(format!("{W}: counters must be at least 1")));
        }
        let photo = match raw.get("photo") {
            Some(Value::Null) => None,
            Some(Value::String(name)) if is_photo_name(name) => Some(name.clone()),
            _ => {
                return Err(corrupt(format!(
                    "{W}: photo must be null or a photo file name"
                )));
            }
        };
        let premium = raw
            .get("premium")
            .and_then(Value::as_bool)
            .ok_or_else(|| corrupt(format!("{W}: premium must be a boolean")))?;
        let header = ChannelHeader {
            id,
            title: string(&raw, "title", W)?.to_owned(),
            about: string(&raw, "about", W)?.to_owned(),
            has_photo: photo.is_some(),
            created: int(&raw, "created", W)?,
            premium,
        };
        Ok(Meta {
            raw,
            header,
            photo,
            next_message_id,
            next_event_id,
        })
    }

    /// A new channel's object (§6.3 Create).
    pub fn new_object(id: i64, title: &str, about: &str, created: i64, premium: bool) -> Object {
        let mut o = Object::new();
        o.insert("format".into(), FORMAT.into());
        o.insert("version".into(), VERSION.into());
        o.insert("id".into(), id.into());
        o.insert("title".into(), title.into());
        o.insert("about".into(), about.into());
        o.insert("created".into(), created.into());
        o.insert("next_message_id".into(), 1.into());
        o.insert("next_event_id".into(), 1.into());
        o.insert("photo".into(), Value::Null);
        o.insert("premium".into(), premium.into());
        o
    }
}

/// Whether `name` is a valid photo file name: `photo` or `photo.<1–8 of [a-z0-9]>` (§3).
pub(super) fn is_photo_name(name: &str) -> bool {
    match name.strip_prefix("photo") {
        Some("") => true,
        Some(ext) => ext.strip_prefix('.').is_some_and(|e| {
            (1..=8).contains(&e.len())
                && e.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        }),
        None => false,
    }
}

/// `messages/<12-digit id>.json`.
pub(super) fn json_name(id: MessageId) -> String {
    format!("{id:0ID_DIGITS$}.json")
}

/// `messages/<12-digit id>.<16-digit document id>.bin`.
pub(super) fn bin_name(id: MessageId, document: u64) -> String {
    format!("{id:0ID_DIGITS$}.{document:0DOC_ID_DIGITS$}.bin")
}

fn digits(s: &str, n: usize) -> Option<u64> {
    (s.len() == n && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// The message id of a record file name, or `None` for any other name (§2: ignored).
pub(super) fn parse_json_name(name: &str) -> Option<u64> {
    digits(name.strip_suffix(".json")?, ID_DIGITS)
}

/// The message and document ids of a document file name, or `None` for any other name.
pub(super) fn parse_bin_name(name: &str) -> Option<(u64, u64)> {
    let stem = name.strip_suffix(".bin")?;
    let (m, d) = stem.split_once('.')?;
    Some((digits(m, ID_DIGITS)?, digits(d, DOC_ID_DIGITS)?))
}

/// Validates a message record (§4.1) read from the file of message `id`.
pub(super) fn message_from_object(obj: &Object, id: MessageId) -> Result<Message> {
    let w = format!("message {id}");
    if obj.get("id").and_then(Value::as_i64) != Some(i64::from(id)) {
        return Err(corrupt(format!(
            "{w}: id field does not match the file name"
        )));
    }
    let document = match obj.get("document") {
        Some(Value::Null) => None,
        Some(Value::Object(d)) => {
            let dw = format!("{w} document");
            let doc_id = d
                .get("id")
                .and_then(Value::as_u64)
                .filter(|v| (1..=DOCUMENT_ID_MAX).contains(v));
            let size = d.get("size").and_then(Value::as_u64);
            let (Some(doc_id), Some(size)) = (doc_id, size) else {
                return Err(corrupt(format!("{dw}: id or size out of range")));
            };
            Some(Document {
                id: doc_id,
                name: string(d, "name", &dw)?.to_owned(),
                size,
                mime: string(d, "mime", &dw)?.to_owned(),
            })
        }
        _ => return Err(corrupt(format!("{w}: document must be null or an object"))),
    };
    let forwarded_from = match obj.get("forwarded_from") {
        Some(Value::Null) | None => None,
        Some(Value::Object(f)) => {
            let fw = format!("{w} forwarded_from");
            // message_id may be absent or null: an origin without a known message
            let message_id = match f.get("message_id") {
                None | Some(Value::Null) => None,
                Some(v) => Some(
                    v.as_i64()
                        .and_then(|m| MessageId::try_from(m).ok())
                        .ok_or_else(|| corrupt(format!("{fw}: bad message_id")))?,
                ),
            };
            Some(ForwardedFrom {
                channel_id: int(f, "channel_id", &fw)?,
                message_id,
                date: int(f, "date", &fw)?,
            })
        }
        _ => {
            return Err(corrupt(format!(
                "{w}: forwarded_from must be null or an object"
            )));
        }
    };
    Ok(Message {
        id,
        date: int(obj, "date", &w)?,
        edit_date: opt_int(obj, "edit_date", &w)?,
        caption: string(obj, "caption", &w)?.to_owned(),
        document,
        forwarded_from,
    })
}

/// A document object as stored in a record.
pub(super) fn document_object(doc: &Document) -> Value {
    let mut d = Object::new();
    d.insert("id".into(), doc.id.into());
    d.insert("name".into(), doc.name.clone().into());
    d.insert("size".into(), doc.size.into());
    d.insert("mime".into(), doc.mime.clone().into());
    Value::Object(d)
}

/// Parses one complete line of `events.jsonl` (§5). `Ok(None)` for an event of an action this
/// version does not know (readers ignore those).
pub(super) fn event_from_line(line: &[u8]) -> Result<Option<Event>> {
    let obj = parse_object(line, "events.jsonl line")?;
    let w = "event";
    let id = obj
        .get("id")
        .and_then(Value::as_u64)
        .ok_or_else(|| corrupt("events.jsonl: an event without an integer id"))?;
    let date = int(&obj, "date", w)?;
    let record = |key: &str| -> Result<Message> {
        let m = obj
            .get(key)
            .and_then(Value::as_object)
            .ok_or_else(|| corrupt(format!("event {id}: {key} missing")))?;
        let mid = m
            .get("id")
            .and_then(Value::as_i64)
            .and_then(|v| MessageId::try_from(v).ok())
            .ok_or_else(|| corrupt(format!("event {id}: {key}.id missing")))?;
        message_from_object(m, mid)
    };
    let text = |key: &str| -> Result<String> { Ok(string(&obj, key, w)?.to_owned()) };
    let action = match string(&obj, "action", w)? {
        "new_message" => EventAction::NewMessage {
            message: record("message")?,
        },
        "edit_message" => EventAction::EditMessage {
            message: record("message")?,
            prev: record("prev_message")?,
        },
        "delete_message" => EventAction::DeleteMessage {
            message: record("message")?,
        },
        "edit_title" => EventAction::EditTitle {
            title: text("title")?,
            prev: text("prev_title")?,
        },
        "edit_about" => EventAction::EditAbout {
            about: text("about")?,
            prev: text("prev_about")?,
        },
        "edit_photo" => EventAction::EditPhoto,
        _ => return Ok(None),
    };
    Ok(Some(Event { id, date, action }))
}

/// One event line (compact JSON and `\n`).
pub(super) fn event_line(id: i64, date: i64, action: &str, fields: Vec<(&str, Value)>) -> Vec<u8> {
    let mut o = Object::new();
    o.insert("id".into(), id.into());
    o.insert("date".into(), date.into());
    o.insert("action".into(), action.into());
    for (k, v) in fields {
        o.insert(k.into(), v);
    }
    let mut out = serde_json::to_vec(&Value::Object(o)).unwrap_or_default();
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_foreign_names_are_ignored() {
        assert_eq!(json_name(42), "000000000042.json");
        assert_eq!(
            bin_name(42, 4398631093896400),
            "000000000042.4398631093896400.bin"
        );
        assert_eq!(parse_json_name("000000000042.json"), Some(42));
        assert_eq!(
            parse_bin_name("000000000042.4398631093896400.bin"),
            Some((42, 4398631093896400))
        );
        for bad in [
            "42.json",
            "000000000042.json.tmp",
            "00000000004a.json",
            "x",
            "+00000000042.json",
        ] {
            assert_eq!(parse_json_name(bad), None, "{bad}");
        }
        assert_eq!(parse_bin_name("000000000042.123.bin"), None);
    }

    #[test]
    fn photo_names() {
        for ok in ["photo", "photo.png", "photo.jpeg", "photo.a1"] {
            assert!(is_photo_name(ok), "{ok}");
        }
        for bad in [
            "photo.",
            "photo.PNG",
            "photo.toolongext",
            "../photo",
            "photo.png/x",
            "foto",
        ] {
            assert!(!is_photo_name(bad), "{bad}");
        }
    }

    #[test]
    fn meta_refuses_other_formats_and_versions() {
        let mut o = Meta::new_object(1234567890, "t", "", 1, false);
        assert!(Meta::from_object(o.clone()).is_ok());
        o.insert("version".into(), 2.into());
        assert_eq!(
            Meta::from_object(o.clone()).unwrap_err().kind(),
            ErrorKind::VersionUnsupported
        );
        o.insert("format".into(), "x".into());
        assert_eq!(
            Meta::from_object(o).unwrap_err().kind(),
            ErrorKind::ChannelInvalid
        );
        let mut o = Meta::new_object(1234567890, "t", "", 1, false);
        o.remove("premium");
        assert_eq!(Meta::from_object(o).unwrap_err().kind(), ErrorKind::Corrupt);
    }

    #[test]
    fn record_id_must_match_its_file() {
        let raw =
            br#"{"id": 3, "date": 1, "edit_date": null, "caption": "", "forwarded_from": null,
            "document": {"id": 5, "name": "n", "size": 1, "mime": ""}}"#;
        let obj = parse_object(raw, "t").unwrap();
        assert_eq!(
            message_from_object(&obj, 3).unwrap().document.unwrap().id,
            5
        );
        assert_eq!(
            message_from_object(&obj, 4).unwrap_err().kind(),
            ErrorKind::Corrupt
        );
    }

    #[test]
    fn unknown_event_actions_are_skipped() {
        assert!(
            event_from_line(br#"{"id": 9, "date": 1, "action": "future_thing"}"#)
                .unwrap()
                .is_none()
        );
        let e = event_from_line(
            br#"{"id": 9, "date": 1, "action": "edit_title", "title": "b", "prev_title": "a"}"#,
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            e.action,
            EventAction::EditTitle {
                title: "b".into(),
                prev: "a".into()
            }
        );
    }
}
