//! Uploading many files at once, with a bound on concurrent transfers, and whole directory
//! trees kept in shape under a target directory of the box.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::stream::{self, StreamExt};
use tgbox_core::Attributes;

use super::TgBox;
use super::upload::UploadFile;
use crate::error::{Error, Result};
use crate::localbox::LocalFile;
use crate::progress::Progress;

/// One file of a batch: where it is, and the directory it goes to in the box.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchItem {
    /// The file on disk.
    pub source: PathBuf,
    /// Its directory in the box.
    pub dir: String,
}

/// What happened to one file of a batch.
#[derive(Debug)]
pub struct BatchResult {
    /// The item.
    pub item: BatchItem,
    /// The recorded file, or why it failed (the other files go on).
    pub outcome: Result<LocalFile>,
}

/// Adds up the bytes of all transfers of a batch for one [`Progress`].
struct Total {
    done: AtomicU64,
    total: u64,
    outer: Arc<dyn Progress>,
}

/// One file's share of a [`Total`].
struct Share {
    total: Arc<Total>,
    mine: AtomicU64,
}

impl Progress for Share {
    fn update(&self, done: u64, _: Option<u64>) {
        let before = self.mine.swap(done, Ordering::Relaxed);
        let all = self
            .total
            .done
            .fetch_add(done.saturating_sub(before), Ordering::Relaxed)
            + done.saturating_sub(before);
        self.total.outer.update(all, Some(self.total.total));
    }
}

impl TgBox {
    /// Uploads `items`, each with the custom attributes `cattrs`, with at most `parallel`
    /// transfers at a time. Every file is tried; the results come back in the order of `items`.
    /// `progress` sees the bytes of the whole batch.
    pub async fn upload_batch(
        &self,
        items: Vec<BatchItem>,
        cattrs: &Attributes,
        parallel: usize,
        progress: Arc<dyn Progress>,
    ) -> Vec<BatchResult> {
        let sizes: Vec<u64> = items
            .iter()
            .map(|i| std::fs::metadata(&i.source).map_or(0, |m| m.len()))
            .collect();
        let total = Arc::new(Total {
            done: AtomicU64::new(0),
            total: sizes.iter().sum(),
            outer: progress,
        });
        let mut results: Vec<(usize, BatchResult)> = stream::iter(items.into_iter().enumerate())
            .map(|(i, item)| {
                let share: Arc<dyn Progress> = Arc::new(Share {
                    total: total.clone(),
                    mine: AtomicU64::new(0),
                });
                async move {
                    let outcome = self
                        .upload(
                            UploadFile {
                                source: &item.source,
                                dir: &item.dir,
                                name: None,
                                mime: "",
                                cattrs,
                            },
                            share,
                        )
                        .await;
                    (i, BatchResult { item, outcome })
                }
            })
            .buffer_unordered(parallel.max(1))
            .collect()
            .await;
        results.sort_by_key(|(i, _)| *i);
        results.into_iter().map(|(_, r)| r).collect()
    }

    /// Uploads every file under `source` (a directory), keeping its shape under `target` in the
    /// box, each with the custom attributes `cattrs`: `source/a/b.txt` goes to `target/a` as
    /// `b.txt`. Symbolic links are not followed
    /// (they are reported as failures, not silently skipped).
    ///
    /// # Errors
    /// [`Error::Io`] when `source` cannot be walked; per-file failures are in the results.
    pub async fn upload_tree(
        &self,
        source: &Path,
        target: &str,
        cattrs: &Attributes,
        parallel: usize,
        progress: Arc<dyn Progress>,
    ) -> Result<Vec<BatchResult>> {
        let (items, links) = tree_items(source, target)?;
        let mut results = self.upload_batch(items, cattrs, parallel, progress).await;
        results.extend(links.into_iter().map(|item| BatchResult {
            outcome: Err(Error::InvalidInput(format!(
                "{} is a symbolic link; not followed",
                item.source.display()
            ))),
            item,
        }));
        Ok(results)
    }
}

/// The files under `root` (a directory), each with its box directory under `target` as
/// [`TgBox::upload_tree`] places them, in a stable (sorted) order; and the symbolic links found,
/// which are not followed.
///
/// # Errors
/// [`Error::Io`] when `root` cannot be walked, [`Error::InvalidInput`] when it is not a
/// directory.
pub fn tree_items(root: &Path, target: &str) -> Result<(Vec<BatchItem>, Vec<BatchItem>)> {
    let meta = std::fs::symlink_metadata(root)
        .map_err(|e| Error::io(format!("cannot read {}", root.display()), e))?;
    if !meta.is_dir() {
        return Err(Error::InvalidInput(format!(
            "{} is not a directory",
            root.display()
        )));
    }
    let mut out = Vec::new();
    let mut links = Vec::new();
    let mut stack = vec![(root.to_path_buf(), target.trim_end_matches('/').to_owned())];
    while let Some((dir, box_dir)) = stack.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .map_err(|e| Error::io(format!("cannot list {}", dir.display()), e))?
            .collect::<std::io::Result<Vec<_>>>()
            .map_err(|e| Error::io(format!("cannot list {}", dir.display()), e))?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = entry.path();
            let kind = entry
                .file_type()
                .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let here = if box_dir.is_empty() {
                "/".to_owned()
            } else {
                box_dir.clone()
            };
            if kind.is_dir() {
                stack.push((path, tgbox_core::paths::join(&here, &name)));
            } else if kind.is_symlink() {
                links.push(BatchItem {
                    source: path,
                    dir: here,
                });
            } else {
                out.push(BatchItem {
                    source: path,
                    dir: here,
                });
            }
        }
    }
    out.sort_by(|a, b| (&a.dir, &a.source).cmp(&(&b.dir, &b.source)));
    Ok((out, links))
}
