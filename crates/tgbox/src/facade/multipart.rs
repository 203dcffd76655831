//! Files larger than one document, split the way tgbox-cli 1.6 does (spec/tgbox-boxes.md
//! §7.8), so the reference CLI sees the same thing: part *i* is an ordinary box file named
//! `<name>-<i>` in the same directory, carrying the custom attributes `__mp_previous`,
//! `__mp_part`, `__mp_total`, `__mp_ver` and `__mp_hash`. Each part is uploaded (and resumed)
//! like any file and verified on download before it is appended.

use std::io::{Read, Seek, Write};
use std::path::Path;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use tgbox_core::Attributes;
use tgbox_core::ints::{bytes_to_int, int_to_bytes};

use super::TgBox;
use super::upload::UploadFile;
use crate::error::{Error, Result};
use crate::localbox::LocalFile;
use crate::progress::{NoProgress, Progress};
use crate::search::SearchFilter;

/// tgbox-cli's block size.
pub const MULTIPART_BLOCK: u64 = 256_000_000;

/// `SHA256(part bytes ‖ int_to_bytes(i) ‖ MainKey)`: how tgbox-cli recognises a part it
/// already uploaded.
fn part_hash(
    source: &Path,
    offset: u64,
    len: u64,
    index: u64,
    mainkey: &[u8; 32],
) -> Result<Vec<u8>> {
    let mut f = std::fs::File::open(source)
        .map_err(|e| Error::io(format!("cannot open {}", source.display()), e))?;
    f.seek(std::io::SeekFrom::Start(offset))
        .map_err(|e| Error::io(format!("cannot read {}", source.display()), e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut left = len;
    while left > 0 {
        let want = left.min(buf.len() as u64) as usize;
        let n = f
            .read(&mut buf[..want])
            .map_err(|e| Error::io(format!("cannot read {}", source.display()), e))?;
        if n == 0 {
            return Err(Error::InvalidInput(format!(
                "{} shrank while it was read",
                source.display()
            )));
        }
        h.update(&buf[..n]);
        left -= n as u64;
    }
    h.update(int_to_bytes(index));
    h.update(mainkey);
    Ok(h.finalize().to_vec())
}

impl TgBox {
    /// Uploads `file` in parts of `block` bytes ([`MULTIPART_BLOCK`] for tgbox-cli's size),
    /// returning the parts in order. A part already in the box (same name and `__mp_hash`)
    /// is not uploaded again, so running it again after an interruption resumes.
    ///
    /// # Errors
    /// As [`TgBox::upload`] for each part.
    pub async fn upload_multipart(
        &self,
        file: UploadFile<'_>,
        block: u64,
        progress: Arc<dyn Progress>,
    ) -> Result<Vec<LocalFile>> {
        let meta = std::fs::metadata(file.source)
            .map_err(|e| Error::io(format!("cannot read {}", file.source.display()), e))?;
        if meta.is_dir() {
            return Err(Error::InvalidInput(format!(
                "{} is a directory, not a file",
                file.source.display()
            )));
        }
        let name = match file.name {
            Some(n) => n.to_owned(),
            None => file
                .source
                .file_name()
                .and_then(|n| n.to_str())
                .map(str::to_owned)
                .ok_or_else(|| {
                    Error::InvalidInput(format!("{} has no UTF-8 file name", file.source.display()))
                })?,
        };
        let block = block.max(1);
        let size = meta.len();
        let count = size.div_ceil(block).max(1);
        let existing = self.files().await?;
        let mut previous = b"genesis".to_vec();
        let mut parts = Vec::with_capacity(count as usize);
        for i in 0..count {
            let offset = i * block;
            let len = block.min(size - offset);
            let hash = part_hash(file.source, offset, len, i, self.mainkey.expose_secret())?;
            let part_name = format!("{name}-{i}");
            let done = existing.iter().find(|f| {
                f.info().name == part_name
                    && f.info().dir.as_deref() == Some(file.dir)
                    && f.info().cattrs.get("__mp_hash") == Some(&hash[..])
            });
            let part = match done {
                Some(f) => self.file(f.id).await?,
                None => {
                    let mut cattrs: Attributes = file.cattrs.clone();
                    cattrs.set("__mp_previous", previous.clone());
                    cattrs.set("__mp_part", int_to_bytes(i));
                    cattrs.set("__mp_total", int_to_bytes(count));
                    cattrs.set("__mp_ver", int_to_bytes(1));
                    cattrs.set("__mp_hash", hash);
                    let upload = UploadFile {
                        source: file.source,
                        dir: file.dir,
                        name: Some(&part_name),
                        mime: file.mime,
                        cattrs: &cattrs,
                    };
                    self.upload_slice(upload, Some((offset, len)), progress.clone())
                        .await?
                }
            };
            previous = int_to_bytes(part.id as u64);
            parts.push(part);
        }
        Ok(parts)
    }

    /// Downloads the multipart file `name` of directory `dir` to `out`: every part is
    /// verified before it is appended, and `out` appears only once all of them are there.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when parts are missing or disagree on their count; as
    /// [`TgBox::download`] for each part.
    pub async fn download_multipart(
        &self,
        dir: &str,
        name: &str,
        out: &Path,
    ) -> Result<crate::facade::Downloaded> {
        let mut filter = SearchFilter::default();
        filter.include.scope = vec![dir.to_owned()];
        filter.include.non_recursive_scope = true;
        filter.include.file_name = vec![format!("{name}-")];
        let mut parts: Vec<(u64, u64, i64)> = Vec::new();
        for f in self.search(&filter).await? {
            let (Some(part), Some(total)) = (f.cattrs.get("__mp_part"), f.cattrs.get("__mp_total"))
            else {
                continue;
            };
            let (part, total) = (bytes_to_int(part)?, bytes_to_int(total)?);
            if f.name == format!("{name}-{part}") {
                parts.push((part, total, f.id));
            }
        }
        // Ordered by the number the attribute holds, not its raw bytes (the CLI's bug).
        parts.sort_unstable();
        let total = parts
            .first()
            .map(|p| p.1)
            .ok_or_else(|| Error::InvalidInput(format!("no multipart file {name:?} in {dir}")))?;
        if parts.len() as u64 != total
            || parts
                .iter()
                .enumerate()
                .any(|(i, p)| p.0 != i as u64 || p.1 != total)
        {
            return Err(Error::InvalidInput(format!(
                "multipart file {name:?}: {} of {total} parts are in the box",
                parts.len()
            )));
        }
        if out.exists() {
            return Err(Error::InvalidInput(format!(
                "{} exists; not overwritten",
                out.display()
            )));
        }
        let dir_of_out = out
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let joined = dir_of_out.join(format!(
            ".{}.tgbox-multipart-{}",
            out.file_name().and_then(|n| n.to_str()).unwrap_or("out"),
            std::process::id()
        ));
        let result = async {
            let mut target = std::fs::File::create(&joined)
                .map_err(|e| Error::io(format!("cannot create {}", joined.display()), e))?;
            let mut size = 0u64;
            for (i, _, id) in &parts {
                let piece = dir_of_out.join(format!(".{name}.part{i}.{}", std::process::id()));
                let got = self.download(*id, &piece, Arc::new(NoProgress)).await?;
                let mut src = std::fs::File::open(&piece)
                    .map_err(|e| Error::io(format!("cannot read {}", piece.display()), e))?;
                std::io::copy(&mut src, &mut target)
                    .map_err(|e| Error::io(format!("cannot write {}", joined.display()), e))?;
                let _ = std::fs::remove_file(&piece);
                size += got.size;
            }
            target
                .flush()
                .and_then(|()| target.sync_all())
                .map_err(|e| Error::io(format!("cannot write {}", joined.display()), e))?;
            Ok::<u64, Error>(size)
        }
        .await;
        let size = match result {
            Ok(s) => s,
            Err(e) => {
                let _ = std::fs::remove_file(&joined);
                return Err(e);
            }
        };
        std::fs::rename(&joined, out)
            .map_err(|e| Error::io(format!("cannot move the download to {}", out.display()), e))?;
        Ok(crate::facade::Downloaded {
            path: out.to_path_buf(),
            size,
            tag_checked: true,
        })
    }
}
