//! The durable file operations of a local channel (spec/local-channel.md §6.1–6.2): the
//! writers' lock, atomic writes, appends that repair a torn last line, directory fsyncs.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::channel::error::{ChannelError, Result};

pub(super) fn io_err(
    what: impl std::fmt::Display,
    path: &Path,
) -> impl FnOnce(std::io::Error) -> ChannelError {
    let what = format!("{what} {}", path.display());
    move |e| ChannelError::io(what, e)
}

/// The exclusive writers' lock on `DIR/lock` (§6.1), released on drop.
pub(super) struct WriterLock {
    file: File,
}

impl WriterLock {
    /// Blocks until this process holds the lock. Creates `lock` if missing; never deletes it.
    pub fn acquire(root: &Path) -> Result<WriterLock> {
        let path = root.join("lock");
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io_err("opening", &path))?;
        // flock(LOCK_EX) on POSIX, LockFileEx on Windows: the lock the layout names.
        file.lock().map_err(io_err("locking", &path))?;
        Ok(WriterLock { file })
    }
}

impl Drop for WriterLock {
    fn drop(&mut self) {
        // Closing the descriptor releases the lock as well; unlocking first is just explicit.
        let _ = self.file.unlock();
    }
}

/// A unique path in `DIR/tmp/` for a writer's staging or temporary file.
pub(super) fn tmp_path(root: &Path, prefix: &str) -> Result<PathBuf> {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).map_err(|e| {
        ChannelError::new(
            crate::channel::ErrorKind::Other,
            format!("the OS random source failed: {e}"),
        )
    })?;
    let name = format!("{prefix}-{}-{}.tmp", std::process::id(), hex16(&b));
    Ok(root.join("tmp").join(name))
}

fn hex16(b: &[u8; 8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// fsyncs a directory so that renames and removals in it survive a power loss (POSIX; the
/// call does not exist on Windows).
pub(super) fn fsync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io_err("syncing", dir))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Writes `data` to `dest` atomically (§6.2): a new file in `tmp/`, fsync, rename over `dest`,
/// fsync of `dest`'s directory. A reader sees the old or the new content, never a mix.
pub(super) fn atomic_write(root: &Path, dest: &Path, data: &[u8]) -> Result<()> {
    let tmp = tmp_path(root, "w")?;
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(io_err("creating", &tmp))?;
        f.write_all(data).map_err(io_err("writing", &tmp))?;
        f.sync_all().map_err(io_err("syncing", &tmp))?;
        drop(f);
        fs::rename(&tmp, dest).map_err(io_err("renaming into", dest))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result?;
    fsync_dir(dest.parent().unwrap_or(root))
}

/// Moves a fully written, fsynced file into place and fsyncs the target directory.
pub(super) fn place(staged: &Path, dest: &Path) -> Result<()> {
    fs::rename(staged, dest).map_err(io_err("moving the staged document to", dest))?;
    fsync_dir(dest.parent().unwrap_or(Path::new(".")))
}

/// Appends one event line to `events.jsonl` (§6.2): first cuts a torn last line left by a
/// crashed writer, then writes the line with its `\n` and fsyncs. Call under the lock.
pub(super) fn append_line(path: &Path, line: &[u8]) -> Result<()> {
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(io_err("opening", path))?;
    let size = f.seek(SeekFrom::End(0)).map_err(io_err("seeking", path))?;
    let mut end = size;
    if size > 0 {
        let mut last = [0u8; 1];
        f.seek(SeekFrom::Start(size - 1))
            .map_err(io_err("seeking", path))?;
        f.read_exact(&mut last).map_err(io_err("reading", path))?;
        if last[0] != b'\n' {
            end = last_line_end(&mut f, size).map_err(io_err("reading", path))?;
            f.set_len(end)
                .map_err(io_err("truncating the torn line of", path))?;
        }
    }
    f.seek(SeekFrom::Start(end))
        .map_err(io_err("seeking", path))?;
    if super::crashpoint::is_armed("event:torn") {
        // Half a line on disk, then the crash: the torn append of §6.6.
        let _ = f
            .write_all(&line[..line.len() / 2])
            .and_then(|()| f.sync_all());
        std::process::abort();
    }
    f.write_all(line).map_err(io_err("appending to", path))?;
    f.sync_all().map_err(io_err("syncing", path))
}

/// The offset just after the last `\n` before `size` (0 if there is none).
fn last_line_end(f: &mut File, size: u64) -> std::io::Result<u64> {
    let mut pos = size;
    let mut buf = vec![0u8; 64 * 1024];
    while pos > 0 {
        let start = pos.saturating_sub(buf.len() as u64);
        let chunk = &mut buf[..(pos - start) as usize];
        f.seek(SeekFrom::Start(start))?;
        f.read_exact(chunk)?;
        if let Some(nl) = chunk.iter().rposition(|&b| b == b'\n') {
            return Ok(start + nl as u64 + 1);
        }
        pos = start;
    }
    Ok(0)
}

/// Reads a whole file; `Ok(None)` when it does not exist.
pub(super) fn read_if_exists(path: &Path) -> Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ChannelError::io(format!("reading {}", path.display()), e)),
    }
}

/// Removes a file; a missing file is not an error.
pub(super) fn remove_if_exists(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(ChannelError::io(format!("removing {}", path.display()), e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn append_cuts_a_torn_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("events.jsonl");
        fs::write(&p, b"{\"id\":1}\n{\"id\":2,\"da").unwrap();
        append_line(&p, b"{\"id\":3}\n").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"{\"id\":1}\n{\"id\":3}\n");
        fs::write(&p, b"torn without any newline").unwrap();
        append_line(&p, b"x\n").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"x\n");
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("tmp")).unwrap();
        let dest = dir.path().join("a.json");
        atomic_write(dir.path(), &dest, b"one").unwrap();
        atomic_write(dir.path(), &dest, b"two").unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"two");
        assert_eq!(fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
    }
}
