//! A bounded byte pipe from async transfers to a synchronous crypto thread.
//!
//! tgbox-core decrypts over `Read` on its own threads; channel reads arrive as async chunks.
//! The pipe carries whole chunks through a bounded queue, so memory stays at
//! `capacity × chunk` whatever the file size, and either side seeing the other gone ends the
//! transfer instead of blocking forever.

use std::io;

use bytes::Bytes;
use tokio::sync::mpsc;

/// Chunks in flight per pipe.
const CAPACITY: usize = 4;

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
    use std::io::Read;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn chunks_and_errors_cross_in_order() {
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
