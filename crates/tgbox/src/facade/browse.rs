//! Searching and browsing a box offline, from the in-memory index (spec/tgbox-boxes.md §5.2,
//! §5.3, §5.5).

use std::sync::Arc;

use super::{TgBox, blocking};
use crate::error::{Error, Result};
use crate::index::{FileIndex, IndexedFile};
use crate::search::{Matcher, SearchFilter};

/// The contents of one directory: subdirectories, then files (iterdir order).
#[derive(Debug, Clone)]
pub struct DirListing {
    /// Names of the subdirectories, sorted.
    pub dirs: Vec<String>,
    /// The files directly in the directory, ascending by id.
    pub files: Vec<Arc<IndexedFile>>,
}

impl TgBox {
    /// The decrypted index: on first use, the one saved in the LocalBox when still current,
    /// else built from the rows (decrypting only those that changed since it was saved).
    pub(crate) async fn index(&self) -> Result<Arc<FileIndex>> {
        if let Some(ix) = self.index.lock().unwrap_or_else(|p| p.into_inner()).clone() {
            return Ok(ix);
        }
        let (lb, mk) = (self.localbox.clone(), self.mainkey.clone());
        let built = blocking(move || {
            let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
            crate::index_store::load(&lb, &mk, threads)
        })
        .await?;
        let built = Arc::new(built);
        *self.index.lock().unwrap_or_else(|p| p.into_inner()) = Some(built.clone());
        Ok(built)
    }

    /// Keeps a built index current after a change.
    pub(crate) fn index_update(&self, change: impl FnOnce(&mut FileIndex)) {
        let mut guard = self.index.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(ix) = guard.as_mut() {
            change(Arc::make_mut(ix));
        }
    }

    /// The files that pass `filter`, ascending by id.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a regular expression that does not compile; LocalBox errors
    /// while the index is first built.
    pub async fn search(&self, filter: &SearchFilter) -> Result<Vec<Arc<IndexedFile>>> {
        let matcher = Matcher::new(filter)?;
        let ix = self.index().await?;
        Ok(ix
            .files()
            .iter()
            .filter(|f| matcher.matches(f))
            .cloned()
            .collect())
    }

    /// Lists a directory of the box (`None`: the roots, such as `/`).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a directory that is not in the box.
    pub async fn list_dir(&self, dir: Option<&str>) -> Result<DirListing> {
        let part = match dir {
            Some(d) => {
                let id = tgbox_core::paths::head_part_id(&self.mainkey, d)?;
                let lb = self.localbox.clone();
                if !blocking(move || lb.has_directory(&id)).await? {
                    return Err(Error::InvalidInput(format!(
                        "there is no directory {d:?} in the box"
                    )));
                }
                Some(id)
            }
            None => None,
        };
        let (lb, mk) = (self.localbox.clone(), self.mainkey.clone());
        let dirs = blocking(move || lb.subdirectories(&mk, part.as_ref())).await?;
        let files = match &part {
            Some(id) => self.index().await?.in_dir(id).cloned().collect(),
            None => Vec::new(),
        };
        Ok(DirListing {
            dirs: dirs.into_iter().map(|(n, _)| n).collect(),
            files,
        })
    }
}
