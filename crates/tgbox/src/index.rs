//! The decrypted index of a LocalBox, held in memory while a box is open (and saved, sealed,
//! between processes: [`crate::index_store`]).
//!
//! Everything searchable is encrypted in the LocalBox (spec/tgbox-boxes.md §5.3: "there is no
//! plaintext index by design"), so the reference decrypts every row on every search. Here the
//! rows are decrypted once, on both cores, into this index, which then serves searches and
//! directory listings without touching SQLite; changes made through the same `TgBox` keep it
//! current. It never leaves memory.

use std::collections::HashMap;
use std::sync::Arc;

use tgbox_core::{Attributes, MainKey};

use crate::localbox::{LocalFile, RawFileRow, decrypt_row};

/// What the index knows of one file.
#[derive(Clone)]
pub struct IndexedFile {
    /// The file id.
    pub id: i64,
    /// The current name.
    pub name: String,
    /// The current directory, when it could be decrypted.
    pub dir: Option<String>,
    /// The directory split into parts (protocol §7.2).
    pub dir_parts: Vec<String>,
    /// Plaintext size.
    pub size: u64,
    /// MIME type.
    pub mime: String,
    /// Custom attributes.
    pub cattrs: Attributes,
    /// Upload time (Unix seconds).
    pub upload_time: i64,
    /// base64url(FileSalt).
    pub file_salt: String,
    /// The version byte.
    pub verbyte: u8,
    /// The minor version (−1 before v1.3).
    pub minor_version: i64,
    /// Whether the file came from another box.
    pub imported: bool,
    /// PartID of the directory.
    pub ppath_head: [u8; 32],
}

impl std::fmt::Debug for IndexedFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Names and paths are private: no Debug print may carry them into a log.
        f.debug_struct("IndexedFile")
            .field("id", &self.id)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

impl From<&LocalFile> for IndexedFile {
    fn from(f: &LocalFile) -> Self {
        let info = &f.file.info;
        IndexedFile {
            id: f.id,
            name: info.name.clone(),
            dir_parts: info
                .dir
                .as_deref()
                .map(tgbox_core::paths::split)
                .unwrap_or_default(),
            dir: info.dir.clone(),
            size: info.size,
            mime: info.mime.clone(),
            cattrs: info.cattrs.clone(),
            upload_time: f.upload_time,
            file_salt: f.file.header.file_salt.to_b64(),
            verbyte: tgbox_core::boxfile::VERBYTE,
            minor_version: f.file.header.minor_version,
            imported: f.imported,
            ppath_head: f.ppath_head,
        }
    }
}

/// The index: files by id, and by directory.
#[derive(Clone, Default)]
pub(crate) struct FileIndex {
    files: Vec<Arc<IndexedFile>>,
    by_dir: HashMap<[u8; 32], Vec<usize>>,
    /// Rows that did not decrypt with this box's keys.
    pub unreadable: Vec<i64>,
}

impl FileIndex {
    /// Decrypts `rows` on up to `threads` threads.
    pub(crate) fn build(mainkey: &MainKey, rows: Vec<RawFileRow>, threads: usize) -> FileIndex {
        let threads = threads.max(1);
        let per = rows.len().div_ceil(threads).max(1);
        let mut chunks: Vec<Vec<RawFileRow>> = Vec::new();
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            chunks.push(rows.by_ref().take(per).collect());
        }
        let results: Vec<Vec<Result<IndexedFile, i64>>> = std::thread::scope(|scope| {
            let handles: Vec<_> = chunks
                .into_iter()
                .map(|chunk| {
                    scope.spawn(move || {
                        chunk
                            .into_iter()
                            .map(|row| {
                                let id = row.id();
                                decrypt_row(mainkey, row)
                                    .map(|f| IndexedFile::from(&f))
                                    .map_err(|_| id)
                            })
                            .collect()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        });
        let (mut files, mut unreadable) = (Vec::new(), Vec::new());
        for r in results.into_iter().flatten() {
            match r {
                Ok(f) => files.push(f),
                Err(id) => unreadable.push(id),
            }
        }
        FileIndex::from_parts(files, unreadable)
    }

    /// An index of already decrypted files (any order) and the ids of unreadable rows.
    pub(crate) fn from_parts(mut files: Vec<IndexedFile>, unreadable: Vec<i64>) -> FileIndex {
        files.sort_by_key(|f| f.id);
        files.dedup_by_key(|f| f.id);
        let mut index = FileIndex {
            files: files.into_iter().map(Arc::new).collect(),
            by_dir: HashMap::new(),
            unreadable,
        };
        index.reindex_dirs();
        index
    }

    /// Adds or replaces a file.
    pub(crate) fn insert(&mut self, f: IndexedFile) {
        self.remove(f.id);
        let pos = self.files.partition_point(|x| x.id < f.id);
        self.files.insert(pos, Arc::new(f));
        self.reindex_dirs();
    }

    /// Removes a file.
    pub(crate) fn remove(&mut self, id: i64) {
        if let Ok(pos) = self.files.binary_search_by_key(&id, |f| f.id) {
            self.files.remove(pos);
            self.reindex_dirs();
        }
    }

    fn reindex_dirs(&mut self) {
        self.by_dir.clear();
        for (i, f) in self.files.iter().enumerate() {
            self.by_dir.entry(f.ppath_head).or_default().push(i);
        }
    }

    /// All files, ascending by id.
    pub(crate) fn files(&self) -> &[Arc<IndexedFile>] {
        &self.files
    }

    /// The files directly in the directory with this PartID, ascending by id.
    pub(crate) fn in_dir(&self, part_id: &[u8; 32]) -> impl Iterator<Item = &Arc<IndexedFile>> {
        self.by_dir
            .get(part_id)
            .into_iter()
            .flatten()
            .map(|&i| &self.files[i])
    }
}
