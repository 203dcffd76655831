//! Downloading a file (spec/tgbox-boxes.md §3.8), without the reference's bugs: ranged reads
//! run in parallel and arrive in order at a decrypting thread, which writes a 0600 temporary
//! file beside the target; the file takes its name only once the HMAC tag verified and the
//! length matched. The payload is read by byte position, so a tag that straddles a request
//! boundary (the reference fails on a 1,048,544-byte file) is no special case.

use std::collections::VecDeque;
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use tokio::task::JoinHandle;

use super::TgBox;
use crate::channel::{ChannelError, ErrorKind};
use crate::error::{Error, Result};
use crate::pipe::async_to_sync;
use crate::progress::Progress;
use crate::retry::retrying;

/// A finished download.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Downloaded {
    /// Where the plaintext is.
    pub path: PathBuf,
    /// Its size.
    pub size: u64,
    /// Whether an HMAC tag was checked (v1.5+ files; older ones have none).
    pub tag_checked: bool,
}

/// A temporary output file, removed unless kept.
struct Partial {
    path: PathBuf,
    keep: bool,
}

impl Drop for Partial {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Opens (or creates, 0600) the partial file of a download and locks it against a second
/// download of the same file. Returns it positioned for appending and the plaintext offset to
/// resume at: its length rounded down to a whole block, 0 for a fresh start.
/// Makes a file being written durable bit by bit from another thread, so the disk writes
/// overlap the transfer instead of all waiting for the final fsync (the page cache may hold
/// gigabytes before the kernel writes any of it back).
struct BackgroundFlush {
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl BackgroundFlush {
    /// How often the file is flushed while it is written.
    const EVERY: std::time::Duration = std::time::Duration::from_millis(250);

    fn start(file: &std::fs::File) -> Self {
        let Ok(clone) = file.try_clone() else {
            // No second handle: the final fsync alone makes the file durable.
            return BackgroundFlush {
                stop: None,
                thread: None,
            };
        };
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                stopped.recv_timeout(Self::EVERY)
            {
                // An error must reach the caller: the handles share one open file, and a
                // write-back error reported here is not reported again to the final fsync.
                clone.sync_data()?;
            }
            Ok(())
        });
        BackgroundFlush {
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Stops flushing; the error of any flush made meanwhile.
    fn finish(mut self) -> std::io::Result<()> {
        self.stop.take();
        match self.thread.take().map(std::thread::JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(std::io::Error::other("the flushing thread failed")),
            None => Ok(()),
        }
    }
}

impl Drop for BackgroundFlush {
    fn drop(&mut self) {
        self.stop.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn open_partial(path: &Path, size: u64) -> Result<(std::fs::File, u64)> {
    let mut o = std::fs::OpenOptions::new();
    o.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let file = o
        .open(path)
        .map_err(|e| Error::io(format!("cannot create {}", path.display()), e))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            return Err(Error::InvalidInput(format!(
                "another download is writing {}",
                path.display()
            )));
        }
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(Error::io(format!("cannot lock {}", path.display()), e));
        }
    }
    let len = file
        .metadata()
        .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?
        .len();
    let mut resume_at = len - len % 16;
    if resume_at >= size {
        // Everything but the final block is always written last: a partial this long is not
        // one of ours. Start over.
        resume_at = 0;
    }
    file.set_len(resume_at)
        .map_err(|e| Error::io(format!("cannot truncate {}", path.display()), e))?;
    (&file)
        .seek(std::io::SeekFrom::Start(resume_at))
        .map_err(|e| Error::io(format!("cannot seek {}", path.display()), e))?;
    Ok((file, resume_at))
}

impl TgBox {
    /// Downloads file `id` to `out` (a file path; its directory must exist). `out` is written
    /// only once the whole file decrypted and verified; on any failure nothing is left.
    ///
    /// # Errors
    /// [`Error::NoSuchFile`], [`Error::NotABoxFile`] when the channel's message no longer
    /// holds this file (sync first), [`Error::Protocol`] (`Decryption` for a tampered
    /// document), [`Error::Io`] for the output (a full disk, say), channel errors.
    pub async fn download(
        &self,
        id: i64,
        out: &Path,
        progress: Arc<dyn Progress>,
    ) -> Result<Downloaded> {
        if out.is_dir() {
            return Err(Error::InvalidInput(format!(
                "{} is a directory; give a file path",
                out.display()
            )));
        }
        let local = self.file(id).await?;
        let (msg_id, doc) = super::remote::current_document(self.channel.as_ref(), &local).await?;
        let start = local.file.header.payload_offset();
        let total = doc.size.saturating_sub(start);

        if out.exists() {
            return Err(Error::InvalidInput(format!(
                "{} exists; not overwritten",
                out.display()
            )));
        }
        let name = out
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("download");
        let dir = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        // Named after the file and its salt, so that a later run (after a crash, a kill or a
        // dropped connection) finds it and resumes, and never resumes another file's bytes.
        let salt = local.file.header.file_salt.to_b64();
        let tag: String = salt
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(12)
            .collect();
        let mut partial = Partial {
            path: dir.join(format!(".{name}.{id}-{tag}.tgbox-partial")),
            keep: true,
        };
        let (file, resume_at) = open_partial(&partial.path, local.info().size)?;

        let iv: Option<[u8; 16]> = match resume_at {
            0 => None,
            k => {
                let at = start + k - 16;
                let block = retrying(|| self.channel.read_document(msg_id, doc.id, at, 16)).await?;
                Some(
                    block
                        .as_ref()
                        .try_into()
                        .map_err(|_| Error::NotABoxFile(msg_id))?,
                )
            }
        };
        let (tx, reader) = async_to_sync();
        let decrypted = local.file;
        let done_path = partial.path.clone();
        let decrypt = tokio::task::spawn_blocking(move || {
            let flusher = BackgroundFlush::start(&file);
            let mut writer = std::io::BufWriter::with_capacity(1 << 20, &file);
            let verified = match iv {
                None => decrypted.decrypt_stream(reader, &mut writer)?,
                Some(iv) => {
                    let done =
                        std::io::BufReader::new(std::fs::File::open(&done_path)?).take(resume_at);
                    decrypted.decrypt_stream_from(resume_at, done, &iv, reader, &mut writer)?
                }
            };
            writer
                .into_inner()
                .map_err(|e| tgbox_core::Error::Io(e.into_error()))?;
            flusher.finish()?;
            file.sync_all()?;
            Ok::<_, tgbox_core::Error>(verified)
        });

        let fetched = self
            .fetch(
                msg_id,
                doc.id,
                start + resume_at,
                doc.size,
                tx,
                total,
                resume_at,
                progress,
            )
            .await;
        let verified = decrypt
            .await
            .map_err(|e| Error::InvalidInput(format!("the decryption thread failed: {e}")))?;
        let outcome = fetched.and_then(|()| {
            verified.map_err(|e| match e {
                // A full disk, say: name the file, not just the OS's words.
                tgbox_core::Error::Io(io) => {
                    Error::io(format!("cannot write {}", out.display()), io)
                }
                other => other.into(),
            })
        });
        let verified = match outcome {
            Ok(v) => v,
            Err(e) => {
                // A connection that gave out leaves the partial file for the next run; any
                // other failure (a bad tag, a full disk, a changed document) removes it.
                partial.keep = matches!(&e, Error::Channel(c) if c.is_retryable());
                return Err(e);
            }
        };
        if out.exists() {
            partial.keep = false;
            return Err(Error::InvalidInput(format!(
                "{} appeared meanwhile; not overwritten",
                out.display()
            )));
        }
        std::fs::rename(&partial.path, out)
            .map_err(|e| Error::io(format!("cannot move the download to {}", out.display()), e))?;
        Ok(Downloaded {
            path: out.to_path_buf(),
            size: verified.len,
            tag_checked: verified.tag_checked,
        })
    }

    /// Reads `[start, end)` of a document with up to [`TgBox::set_parallel`] requests in flight and
    /// sends the pieces, in order, into the decrypting thread's pipe.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn fetch(
        &self,
        msg_id: i32,
        doc_id: u64,
        start: u64,
        end: u64,
        tx: crate::pipe::AsyncSender,
        total: u64,
        already: u64,
        progress: Arc<dyn Progress>,
    ) -> Result<()> {
        let step = retrying(|| self.channel.capabilities()).await?.read_max as u64;
        let mut next = start;
        let mut inflight: VecDeque<JoinHandle<std::result::Result<Bytes, ChannelError>>> =
            VecDeque::new();
        let mut done = already;
        loop {
            while inflight.len() < self.parallel() && next < end {
                let (ch, offset, len) = (self.channel.clone(), next, step.min(end - next) as usize);
                inflight.push_back(tokio::spawn(async move {
                    retrying(|| ch.read_document(msg_id, doc_id, offset, len)).await
                }));
                next += len as u64;
            }
            let Some(handle) = inflight.pop_front() else {
                return Ok(());
            };
            let piece = handle
                .await
                .map_err(|e| Error::InvalidInput(format!("a read task failed: {e}")))?
                .map_err(Error::from)?;
            if piece.is_empty() {
                return Err(ChannelError::new(
                    ErrorKind::FileReferenceExpired,
                    "the document ended early",
                )
                .into());
            }
            done += piece.len() as u64;
            progress.update(done, Some(total));
            // The decrypting thread stopped (a bad tag or a write error): its result says why.
            if tx.send(Ok(piece)).await.is_err() {
                for h in inflight {
                    h.abort();
                }
                return Ok(());
            }
        }
    }
}
