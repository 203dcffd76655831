//! Bounded byte pipes between the synchronous crypto threads and async channel transfers.
//!
//! tgbox-core encrypts and decrypts over `Read`/`Write` on its own threads; channels take and
//! give async streams. These pipes carry whole chunks through a bounded queue, so memory stays
//! at `capacity × chunk` whatever the file size, and either side seeing the other gone ends
//! the transfer instead of blocking forever.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::io::{AsyncRead, ReadBuf};
use tokio::sync::mpsc;

/// Chunks in flight per pipe.
const CAPACITY: usize = 4;
/// Size of the chunks a [`SyncWriter`] sends.
const CHUNK: usize = 512 * 1024;

/// The sync writing end: buffers writes into chunks and sends them (blocking when full).
pub(crate) struct SyncWriter {
    tx: mpsc::Sender<Bytes>,
    buf: Vec<u8>,
}

/// The async reading end.
pub(crate) struct AsyncReader {
    rx: mpsc::Receiver<Bytes>,
    current: Bytes,
}

/// A pipe from a blocking writer thread to an async reader.
pub(crate) fn sync_to_async() -> (SyncWriter, AsyncReader) {
    let (tx, rx) = mpsc::channel(CAPACITY);
    (
        SyncWriter {
            tx,
            buf: Vec::with_capacity(CHUNK),
        },
        AsyncReader {
            rx,
            current: Bytes::new(),
        },
    )
}

impl SyncWriter {
    fn send_buf(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(chunk)
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the upload stopped reading"))
    }
}

impl io::Write for SyncWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = data.len().min(CHUNK - self.buf.len());
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() == CHUNK {
            self.send_buf()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send_buf()
    }
}

impl AsyncRead for AsyncReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        while self.current.is_empty() {
            match self.rx.poll_recv(cx) {
                Poll::Ready(Some(chunk)) => self.current = chunk,
                // The writer finished (or died; the caller learns why from its thread).
                Poll::Ready(None) => return Poll::Ready(Ok(())),
                Poll::Pending => return Poll::Pending,
            }
        }
        let n = self.current.len().min(out.remaining());
        out.put_slice(&self.current.split_to(n));
        Poll::Ready(Ok(()))
    }
}

/// The async sending end of a pipe to a blocking reader.
pub(crate) type AsyncSender = mpsc::Sender<io::Result<Bytes>>;

/// The sync reading end: blocks for chunks; an `Err` chunk fails the read.
pub(crate) struct SyncReader {
    rx: mpsc::Receiver<io::Result<Bytes>>,
    current: Bytes,
}

/// A pipe from async producers to a blocking reader thread.
pub(crate) fn async_to_sync() -> (AsyncSender, SyncReader) {
    let (tx, rx) = mpsc::channel(CAPACITY);
    (
        tx,
        SyncReader {
            rx,
            current: Bytes::new(),
        },
    )
}

impl io::Read for SyncReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            }
        }
        let n = self.current.len().min(out.len());
        out[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use tokio::io::AsyncReadExt;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn bytes_cross_both_ways_in_order() {
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        let (mut w, mut r) = sync_to_async();
        let src = data.clone();
        let t = std::thread::spawn(move || {
            for piece in src.chunks(100_000) {
                w.write_all(piece).unwrap();
            }
            w.flush().unwrap();
        });
        let mut got = Vec::new();
        r.read_to_end(&mut got).await.unwrap();
        t.join().unwrap();
        assert!(got == data);

        let (tx, mut sr) = async_to_sync();
        let t = std::thread::spawn(move || {
            let mut got = Vec::new();
            let r = sr.read_to_end(&mut got);
            (r.is_err(), got)
        });
        tx.send(Ok(Bytes::from_static(b"abc"))).await.unwrap();
        tx.send(Err(io::Error::other("dropped"))).await.unwrap();
        drop(tx);
        let (failed, got) = tokio::task::spawn_blocking(move || t.join().unwrap())
            .await
            .unwrap();
        assert!(failed, "an error chunk fails the read");
        assert_eq!(got, b"abc");
    }
}
