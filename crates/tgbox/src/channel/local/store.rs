//! The synchronous write and read protocols of a local channel (spec/local-channel.md §6.3,
//! §6.5, §6.6). Each writer operation takes the lock, re-reads `channel.json`, reserves ids
//! before using them, and makes every change visible with one rename or one append.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::crashpoint::reach;
use super::fsio::{
    WriterLock, append_line, atomic_write, fsync_dir, io_err, place, read_if_exists,
    remove_if_exists,
};
use super::records::{
    Meta, Object, bin_name, document_object, event_from_line, file_bytes, is_photo_name, json_name,
    message_from_object, parse_bin_name, parse_json_name, parse_object,
};
use crate::channel::error::{ChannelError, ErrorKind, Result};
use crate::channel::limits::Limits;
use crate::channel::stamps::{document_id, now_unix};
use crate::channel::types::{
    Document, DocumentId, Event, EventFilter, EventId, MESSAGE_ID_MAX, Message, MessageId,
};

/// How long a file in `tmp/` may be left before clean-up removes it (§6.6).
const TMP_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// A document staged in `tmp/`, fully written and fsynced, waiting for its commit.
pub(super) struct Staged {
    pub path: PathBuf,
    pub size: u64,
    pub name: String,
    pub mime: String,
}

/// What [`LocalChannel::collect_garbage`](super::LocalChannel::collect_garbage) removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GarbageReport {
    /// Document files no record points to.
    pub documents: Vec<String>,
    /// Files in `tmp/` older than 24 hours.
    pub tmp: Vec<String>,
}

/// One channel directory.
#[derive(Clone, Debug)]
pub(super) struct Store {
    root: PathBuf,
}

impl Store {
    pub fn new(root: PathBuf) -> Store {
        Store { root }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn messages_dir(&self) -> PathBuf {
        self.root.join("messages")
    }

    fn record_path(&self, id: MessageId) -> PathBuf {
        self.messages_dir().join(json_name(id))
    }

    fn document_path(&self, id: MessageId, document: DocumentId) -> PathBuf {
        self.messages_dir().join(bin_name(id, document))
    }

    // ------------------------------------------------------------------ reading

    /// Reads and validates `channel.json`.
    pub fn read_meta(&self) -> Result<Meta> {
        let path = self.root.join("channel.json");
        let bytes = read_if_exists(&path)?.ok_or_else(|| {
            ChannelError::new(
                ErrorKind::ChannelInvalid,
                format!("{} has no channel.json", self.root.display()),
            )
        })?;
        Meta::from_object(parse_object(&bytes, "channel.json")?)
    }

    /// The record of message `id`, raw and typed; `None` when it does not exist.
    fn get(&self, id: MessageId) -> Result<Option<(Object, Message)>> {
        if !(1..=MESSAGE_ID_MAX).contains(&id) {
            return Ok(None);
        }
        let Some(bytes) = read_if_exists(&self.record_path(id))? else {
            return Ok(None);
        };
        let obj = parse_object(&bytes, &format!("message {id}"))?;
        let msg = message_from_object(&obj, id)?;
        Ok(Some((obj, msg)))
    }

    /// The message, or `None`.
    pub fn message(&self, id: MessageId) -> Result<Option<Message>> {
        Ok(self.get(id)?.map(|(_, m)| m))
    }

    /// Ids of all records with an id greater than `after`, ascending (§6.5).
    fn message_ids_after(&self, after: MessageId) -> Result<Vec<MessageId>> {
        let dir = self.messages_dir();
        let mut ids = Vec::new();
        for entry in fs::read_dir(&dir).map_err(io_err("listing", &dir))? {
            let entry = entry.map_err(io_err("listing", &dir))?;
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if let Some(id) = parse_json_name(&name).and_then(|v| MessageId::try_from(v).ok())
                && id > after
            {
                ids.push(id);
            }
        }
        ids.sort_unstable();
        Ok(ids)
    }

    /// Up to `limit` messages after `after`, ascending; records that vanish between listing and
    /// reading were deleted and are skipped.
    ///
    /// Ids are dense apart from deletions, so the records right after `after` are first looked
    /// up by name (a page costs about `limit` opens, not a listing of the whole directory); only
    /// a long run of gaps falls back to listing `messages/`.
    pub fn list(&self, after: MessageId, limit: usize) -> Result<Vec<Message>> {
        let next = self.read_meta()?.next_message_id;
        let mut out = Vec::new();
        let mut id = i64::from(after.max(0)) + 1;
        let probe_end = next.min(id.saturating_add(4 * limit as i64 + 16));
        while out.len() < limit && id < probe_end {
            if let Some(m) = self.message(id as MessageId)? {
                out.push(m);
            }
            id += 1;
        }
        if out.len() < limit && id < next {
            let resume = MessageId::try_from(id - 1).unwrap_or(MESSAGE_ID_MAX);
            for id in self.message_ids_after(resume)? {
                if out.len() >= limit {
                    break;
                }
                if let Some(m) = self.message(id)? {
                    out.push(m);
                }
            }
        }
        Ok(out)
    }

    /// Bytes `[offset, offset + len)` of message `id`'s document `document` (§6.5).
    pub fn read_document(
        &self,
        id: MessageId,
        document: DocumentId,
        offset: u64,
        len: usize,
    ) -> Result<Vec<u8>> {
        use std::io::{Read, Seek, SeekFrom};
        let expired = || {
            ChannelError::new(
                ErrorKind::FileReferenceExpired,
                format!("message {id} no longer has document {document}"),
            )
        };
        // The record may change between reading it and opening the file (a replacement or a
        // deletion); an open handle stays valid afterwards, so one consistent look suffices.
        for _ in 0..3 {
            let current = self.message(id)?.and_then(|m| m.document).map(|d| d.id);
            if current != Some(document) {
                return Err(expired());
            }
            let path = self.document_path(id, document);
            let mut f = match fs::File::open(&path) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(ChannelError::io(format!("opening {}", path.display()), e)),
            };
            f.seek(SeekFrom::Start(offset))
                .map_err(io_err("seeking", &path))?;
            let mut out = Vec::with_capacity(len);
            f.take(len as u64)
                .read_to_end(&mut out)
                .map_err(io_err("reading", &path))?;
            return Ok(out);
        }
        Err(ChannelError::new(
            ErrorKind::Corrupt,
            format!("message {id}: its document file is missing"),
        ))
    }

    /// Complete event lines with id > `after` that pass `filter`, at most `limit` (§6.5). A torn
    /// last line is ignored; an unparseable complete line is an error: skipping it could hide a
    /// change from fast sync, and deep sync (which reads the records) still works meanwhile.
    /// The file is streamed and reading stops once the page is full.
    pub fn events(&self, after: EventId, filter: EventFilter, limit: usize) -> Result<Vec<Event>> {
        use std::io::BufRead;
        let path = self.root.join("events.jsonl");
        let file = match fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(ChannelError::io(format!("opening {}", path.display()), e)),
        };
        let mut reader = std::io::BufReader::with_capacity(256 * 1024, file);
        let mut line = Vec::new();
        let mut out = Vec::new();
        while out.len() < limit {
            line.clear();
            let n = reader
                .read_until(b'\n', &mut line)
                .map_err(io_err("reading", &path))?;
            // End of file, or a last line without its newline: a torn append (§5).
            if n == 0 || line.last() != Some(&b'\n') {
                break;
            }
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            if let Some(ev) = event_from_line(&line)?
                && ev.id > after
                && filter.matches(&ev.action)
            {
                out.push(ev);
            }
        }
        Ok(out)
    }

    /// The photo's bytes, if any.
    pub fn photo(&self) -> Result<Option<Vec<u8>>> {
        let meta = self.read_meta()?;
        match meta.photo {
            Some(name) => read_if_exists(&self.root.join(&name))?
                .map(Some)
                .ok_or_else(|| {
                    ChannelError::new(ErrorKind::Corrupt, format!("photo file {name} missing"))
                }),
            None => Ok(None),
        }
    }

    // ------------------------------------------------------------------ writing

    /// §6.3 Create: `channel.json` is the last thing written, so a half-created channel is not
    /// a channel.
    pub fn create(root: &Path, title: &str, about: &str, premium: bool, id: i64) -> Result<Store> {
        let limits = Limits::for_account(premium);
        limits.check_title(title)?;
        limits.check_about(about)?;
        create_private_dir(root)?;
        for sub in ["messages", "tmp"] {
            let p = root.join(sub);
            match fs::create_dir(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(ChannelError::io(format!("creating {}", p.display()), e)),
            }
        }
        let _lock = WriterLock::acquire(root)?;
        let mut leftovers = Vec::new();
        for entry in fs::read_dir(root).map_err(io_err("listing", root))? {
            let name = entry
                .map_err(io_err("listing", root))?
                .file_name()
                .to_string_lossy()
                .into_owned();
            if !matches!(name.as_str(), "lock" | "messages" | "tmp") {
                leftovers.push(name);
            }
        }
        let msgs = root.join("messages");
        if fs::read_dir(&msgs)
            .map_err(io_err("listing", &msgs))?
            .next()
            .is_some()
        {
            leftovers.push("messages/…".into());
        }
        if !leftovers.is_empty() {
            leftovers.sort();
            return Err(ChannelError::new(
                ErrorKind::DirNotEmpty,
                format!("{} already holds {}", root.display(), leftovers.join(", ")),
            ));
        }
        let meta = Meta::new_object(id, title, about, now_unix(), premium);
        let store = Store::new(root.to_path_buf());
        atomic_write(root, &root.join("channel.json"), &file_bytes(&meta))?;
        Ok(store)
    }

    fn write_meta(&self, raw: &Object) -> Result<()> {
        atomic_write(
            &self.root,
            &self.root.join("channel.json"),
            &file_bytes(raw),
        )
    }

    /// Reserves `messages` message ids and `events` event ids by persisting the raised counters
    /// before they are used (§6.3), applying `changes` to the header in the same write.
    fn reserve(
        &self,
        meta: &Meta,
        messages: i64,
        events: i64,
        changes: impl FnOnce(&mut Object),
    ) -> Result<(MessageId, i64)> {
        let first_msg = meta.next_message_id;
        if first_msg + messages - 1 > i64::from(MESSAGE_ID_MAX) {
            return Err(ChannelError::new(
                ErrorKind::ChannelFull,
                "message ids exhausted",
            ));
        }
        let mut raw = meta.raw.clone();
        raw.insert("next_message_id".into(), (first_msg + messages).into());
        raw.insert("next_event_id".into(), (meta.next_event_id + events).into());
        changes(&mut raw);
        self.write_meta(&raw)?;
        Ok((first_msg as MessageId, meta.next_event_id))
    }

    fn append_event(
        &self,
        id: i64,
        date: i64,
        action: &str,
        fields: Vec<(&str, Value)>,
    ) -> Result<()> {
        let line = super::records::event_line(id, date, action, fields);
        append_line(&self.root.join("events.jsonl"), &line)
    }

    /// Locks and reads the newest header.
    fn lock(&self) -> Result<(WriterLock, Meta)> {
        let lock = WriterLock::acquire(&self.root)?;
        let meta = self.read_meta()?;
        Ok((lock, meta))
    }

    /// §6.3 Post a message.
    pub fn post(&self, staged: &Staged, caption: &str) -> Result<Message> {
        let (_lock, meta) = self.lock()?;
        let limits = Limits::for_account(meta.header.premium);
        limits.check_caption(caption)?;
        limits.check_document_size(staged.size)?;
        check_staged_size(staged)?;
        let (id, event) = self.reserve(&meta, 1, 1, |_| {})?;
        reach("post:reserved");
        let doc = Document {
            id: document_id()?,
            name: staged.name.clone(),
            size: staged.size,
            mime: staged.mime.clone(),
        };
        let date = now_unix();
        let mut rec = Object::new();
        rec.insert("id".into(), id.into());
        rec.insert("date".into(), date.into());
        rec.insert("edit_date".into(), Value::Null);
        rec.insert("caption".into(), caption.into());
        rec.insert("document".into(), document_object(&doc));
        rec.insert("forwarded_from".into(), Value::Null);
        place(&staged.path, &self.document_path(id, doc.id))?;
        reach("post:placed");
        atomic_write(&self.root, &self.record_path(id), &file_bytes(&rec))?;
        reach("post:recorded");
        self.append_event(
            event,
            date,
            "new_message",
            vec![("message_id", id.into()), ("message", rec.into())],
        )?;
        Ok(Message {
            id,
            date,
            edit_date: None,
            caption: caption.to_owned(),
            document: Some(doc),
            forwarded_from: None,
        })
    }

    /// §6.3 Edit a caption and/or replace the document.
    pub fn edit(
        &self,
        id: MessageId,
        caption: Option<&str>,
        replacement: Option<&Staged>,
    ) -> Result<Message> {
        let (_lock, meta) = self.lock()?;
        let limits = Limits::for_account(meta.header.premium);
        let Some((prev_raw, prev)) = self.get(id)? else {
            return Err(ChannelError::new(
                ErrorKind::MessageIdInvalid,
                format!("no message {id}"),
            ));
        };
        let caption_changes = caption.is_some_and(|c| c != prev.caption);
        if !caption_changes && replacement.is_none() {
            return Err(ChannelError::new(
                ErrorKind::MessageNotModified,
                format!("message {id} is unchanged"),
            ));
        }
        let mut raw = prev_raw.clone();
        let mut next = prev.clone();
        if let Some(c) = caption.filter(|_| caption_changes) {
            limits.check_caption(c)?;
            raw.insert("caption".into(), c.into());
            next.caption = c.to_owned();
        }
        if let Some(s) = replacement {
            limits.check_document_size(s.size)?;
            check_staged_size(s)?;
            let doc = Document {
                id: document_id()?,
                name: s.name.clone(),
                size: s.size,
                mime: s.mime.clone(),
            };
            raw.insert("document".into(), document_object(&doc));
            next.document = Some(doc);
        }
        let date = now_unix();
        raw.insert("edit_date".into(), date.into());
        next.edit_date = Some(date);
        let (_, event) = self.reserve(&meta, 0, 1, |_| {})?;
        if let (Some(s), Some(doc)) = (replacement, &next.document) {
            place(&s.path, &self.document_path(id, doc.id))?;
            reach("replace:placed");
        }
        atomic_write(&self.root, &self.record_path(id), &file_bytes(&raw))?;
        reach("edit:recorded");
        if replacement.is_some()
            && let Some(old) = &prev.document
        {
            remove_if_exists(&self.document_path(id, old.id))?;
        }
        self.append_event(
            event,
            date,
            "edit_message",
            vec![
                ("message_id", id.into()),
                ("message", raw.into()),
                ("prev_message", prev_raw.into()),
            ],
        )?;
        Ok(next)
    }

    /// §6.3 Delete messages; missing ids are skipped. Returns how many were deleted.
    pub fn delete(&self, ids: &[MessageId]) -> Result<usize> {
        let (_lock, meta) = self.lock()?;
        let mut seen = std::collections::HashSet::new();
        let mut records = Vec::new();
        for &id in ids {
            if seen.insert(id)
                && let Some(r) = self.get(id)?
            {
                records.push(r);
            }
        }
        if records.is_empty() {
            return Ok(0);
        }
        let (_, mut event) = self.reserve(&meta, 0, records.len() as i64, |_| {})?;
        let dir = self.messages_dir();
        for (raw, msg) in &records {
            let path = self.record_path(msg.id);
            fs::remove_file(&path).map_err(io_err("removing", &path))?;
            fsync_dir(&dir)?;
            reach("delete:unrecorded");
            if let Some(doc) = &msg.document {
                remove_if_exists(&self.document_path(msg.id, doc.id))?;
            }
            self.append_event(
                event,
                now_unix(),
                "delete_message",
                vec![
                    ("message_id", msg.id.into()),
                    ("message", Value::Object(raw.clone())),
                ],
            )?;
            event += 1;
        }
        Ok(records.len())
    }

    /// §6.3 Title.
    pub fn set_title(&self, title: &str) -> Result<()> {
        let (_lock, meta) = self.lock()?;
        Limits::for_account(meta.header.premium).check_title(title)?;
        if meta.header.title == title {
            return Err(ChannelError::new(
                ErrorKind::TitleNotModified,
                "the title is unchanged",
            ));
        }
        let (_, event) = self.reserve(&meta, 0, 1, |raw| {
            raw.insert("title".into(), title.into());
        })?;
        self.append_event(
            event,
            now_unix(),
            "edit_title",
            vec![
                ("title", title.into()),
                ("prev_title", meta.header.title.clone().into()),
            ],
        )
    }

    /// §6.3 About.
    pub fn set_about(&self, about: &str) -> Result<()> {
        let (_lock, meta) = self.lock()?;
        Limits::for_account(meta.header.premium).check_about(about)?;
        if meta.header.about == about {
            return Err(ChannelError::new(
                ErrorKind::AboutNotModified,
                "the description is unchanged",
            ));
        }
        let (_, event) = self.reserve(&meta, 0, 1, |raw| {
            raw.insert("about".into(), about.into());
        })?;
        self.append_event(
            event,
            now_unix(),
            "edit_about",
            vec![
                ("about", about.into()),
                ("prev_about", meta.header.about.clone().into()),
            ],
        )
    }

    /// §6.3 Photo: the file first, then `channel.json`, then an older photo of another name is
    /// removed.
    pub fn set_photo(&self, bytes: &[u8], extension: &str) -> Result<()> {
        if bytes.is_empty() {
            return Err(ChannelError::new(
                ErrorKind::FilePartsInvalid,
                "empty photo",
            ));
        }
        let candidate = format!("photo.{}", extension.to_ascii_lowercase());
        let name = if is_photo_name(&candidate) {
            candidate
        } else {
            "photo".to_owned()
        };
        let (_lock, meta) = self.lock()?;
        atomic_write(&self.root, &self.root.join(&name), bytes)?;
        let (_, event) = self.reserve(&meta, 0, 1, |raw| {
            raw.insert("photo".into(), name.clone().into());
        })?;
        if let Some(prev) = meta.photo.as_ref().filter(|p| **p != name) {
            remove_if_exists(&self.root.join(prev))?;
        }
        let prev = meta.photo.clone().map(Value::from).unwrap_or(Value::Null);
        self.append_event(
            event,
            now_unix(),
            "edit_photo",
            vec![("photo", name.into()), ("prev_photo", prev)],
        )
    }

    /// §6.6 Clean-up: removes document files no record points to and `tmp/` files older than
    /// 24 hours.
    pub fn collect_garbage(&self) -> Result<GarbageReport> {
        let (_lock, _meta) = self.lock()?;
        let mut report = GarbageReport::default();
        let dir = self.messages_dir();
        for entry in fs::read_dir(&dir).map_err(io_err("listing", &dir))? {
            let name = entry
                .map_err(io_err("listing", &dir))?
                .file_name()
                .to_string_lossy()
                .into_owned();
            let Some((mid, doc)) = parse_bin_name(&name) else {
                continue;
            };
            let current = MessageId::try_from(mid)
                .ok()
                .map(|id| self.message(id))
                .transpose()?
                .flatten()
                .and_then(|m| m.document)
                .map(|d| d.id);
            if current != Some(doc) {
                remove_if_exists(&dir.join(&name))?;
                report.documents.push(name);
            }
        }
        let tmp = self.root.join("tmp");
        if let Ok(entries) = fs::read_dir(&tmp) {
            for entry in entries.flatten() {
                let old = entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|age| age > TMP_MAX_AGE);
                if old {
                    if entry.file_type().is_ok_and(|t| t.is_dir()) {
                        // The parts of an abandoned upload in parts.
                        let _ = fs::remove_dir_all(entry.path());
                    } else {
                        remove_if_exists(&entry.path())?;
                    }
                    report
                        .tmp
                        .push(entry.file_name().to_string_lossy().into_owned());
                }
            }
        }
        report.documents.sort();
        report.tmp.sort();
        Ok(report)
    }
}

/// The staged file must still hold exactly the bytes that were counted while staging.
fn check_staged_size(staged: &Staged) -> Result<()> {
    let actual = fs::metadata(&staged.path)
        .map_err(io_err("inspecting", &staged.path))?
        .len();
    if actual != staged.size {
        return Err(ChannelError::new(
            ErrorKind::FilePartsInvalid,
            format!(
                "the staged document holds {actual} bytes, {} were declared",
                staged.size
            ),
        ));
    }
    Ok(())
}

/// Creates `dir` (and parents) with mode 0700 where the platform has modes (§2: the title shows
/// the box name).
fn create_private_dir(dir: &Path) -> Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir).map_err(io_err("creating", dir))
}
