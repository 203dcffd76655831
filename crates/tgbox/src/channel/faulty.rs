//! A fault-injecting wrapper around any channel, deterministic by seed.
//!
//! Telegram misbehaves in a few well-known ways (spec/tgbox-boxes.md §3.11): `FLOOD_WAIT_X`
//! rate limits, connections that drop mid-transfer, latency, and bandwidth per connection.
//! [`FaultyChannel`] reproduces each of them in front of `local:` or `memory:` so that the
//! library's retry logic and transfer pipelines can be tested and benchmarked offline. The same
//! seed and the same sequence of calls inject the same faults.

use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncReadExt, ReadBuf};
use tokio::time::Sleep;

use super::Channel;
use super::error::{ChannelError, ErrorKind, Result};
use super::types::{
    Capabilities, ChannelHeader, DocumentId, Event, EventFilter, EventId, Message, MessageId,
    Photo, Upload, UploadToken,
};

/// Which faults to inject, and how often.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultConfig {
    /// Seed of the fault sequence.
    pub seed: u64,
    /// Probability (0–1) that a request is refused with a rate limit.
    pub flood_wait_rate: f64,
    /// The wait a rate limit asks for.
    pub flood_wait: Duration,
    /// Probability (0–1) that a transfer (post, replace, read) loses its connection part-way.
    pub drop_rate: f64,
    /// Added to every request.
    pub latency: Duration,
    /// Bytes per second of each transfer; `None` = unlimited.
    pub bandwidth: Option<u64>,
}

impl FaultConfig {
    /// No faults at all: a transparent wrapper.
    pub fn none(seed: u64) -> Self {
        FaultConfig {
            seed,
            flood_wait_rate: 0.0,
            flood_wait: Duration::from_secs(1),
            drop_rate: 0.0,
            latency: Duration::ZERO,
            bandwidth: None,
        }
    }
}

/// Counts of what a [`FaultyChannel`] injected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FaultStats {
    /// Requests refused with a rate limit.
    pub flood_waits: u64,
    /// Transfers dropped part-way.
    pub drops: u64,
}

/// A channel that injects faults in front of another.
#[derive(Debug)]
pub struct FaultyChannel<C> {
    inner: C,
    config: FaultConfig,
    rng: Mutex<SplitMix64>,
    flood_waits: AtomicU64,
    drops: AtomicU64,
}

/// SplitMix64: tiny, fast, and fully determined by its seed.
#[derive(Debug)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The fate the dice chose for one request.
struct Fate {
    flood: bool,
    /// For transfers: the fraction of the bytes that get through before the drop.
    drop_at: Option<f64>,
}

impl<C: Channel> FaultyChannel<C> {
    /// Wraps `inner`.
    pub fn new(inner: C, config: FaultConfig) -> Self {
        let rng = Mutex::new(SplitMix64(config.seed));
        FaultyChannel {
            inner,
            config,
            rng,
            flood_waits: AtomicU64::new(0),
            drops: AtomicU64::new(0),
        }
    }

    /// The wrapped channel, for looking behind the faults.
    pub fn inner(&self) -> &C {
        &self.inner
    }

    /// What was injected so far.
    pub fn stats(&self) -> FaultStats {
        FaultStats {
            flood_waits: self.flood_waits.load(Ordering::Relaxed),
            drops: self.drops.load(Ordering::Relaxed),
        }
    }

    fn roll(&self, transfer: bool) -> Fate {
        let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
        // Always draw the same number of values per request so one fault does not shift the
        // rest of the sequence.
        let (a, b, c) = (rng.unit(), rng.unit(), rng.unit());
        Fate {
            flood: a < self.config.flood_wait_rate,
            drop_at: (transfer && b < self.config.drop_rate).then_some(c),
        }
    }

    /// Latency, then maybe a rate limit.
    async fn enter(&self, transfer: bool) -> Result<Option<f64>> {
        if !self.config.latency.is_zero() {
            tokio::time::sleep(self.config.latency).await;
        }
        let fate = self.roll(transfer);
        if fate.flood {
            self.flood_waits.fetch_add(1, Ordering::Relaxed);
            return Err(ChannelError::flood_wait(self.config.flood_wait));
        }
        if fate.drop_at.is_some() {
            self.drops.fetch_add(1, Ordering::Relaxed);
        }
        Ok(fate.drop_at)
    }

    async fn throttle(&self, bytes: u64) {
        if let Some(bw) = self.config.bandwidth.filter(|b| *b > 0) {
            tokio::time::sleep(Duration::from_secs_f64(bytes as f64 / bw as f64)).await;
        }
    }

    /// Consumes the part of an upload that "got through" before the drop, then fails.
    async fn drop_upload(&self, mut upload: Upload, fraction: f64) -> ChannelError {
        let through = (upload.size as f64 * fraction) as u64;
        let mut sink = tokio::io::sink();
        let mut reader = Throttled::new((&mut upload.body).take(through), self.config.bandwidth);
        let _ = tokio::io::copy(&mut reader, &mut sink).await;
        lost(format!(
            "connection dropped after {through} of {} bytes",
            upload.size
        ))
    }

    fn throttled(&self, upload: Upload) -> Upload {
        match self.config.bandwidth {
            Some(bw) if bw > 0 => Upload {
                body: Box::new(Throttled::new(upload.body, Some(bw))),
                ..upload
            },
            _ => upload,
        }
    }
}

fn lost(detail: String) -> ChannelError {
    ChannelError::new(ErrorKind::ConnectionLost, detail)
}

#[async_trait]
impl<C: Channel> Channel for FaultyChannel<C> {
    async fn header(&self) -> Result<ChannelHeader> {
        self.enter(false).await?;
        self.inner.header().await
    }

    async fn capabilities(&self) -> Result<Capabilities> {
        self.enter(false).await?;
        self.inner.capabilities().await
    }

    async fn set_title(&self, title: &str) -> Result<()> {
        self.enter(false).await?;
        self.inner.set_title(title).await
    }

    async fn set_about(&self, about: &str) -> Result<()> {
        self.enter(false).await?;
        self.inner.set_about(about).await
    }

    async fn set_photo(&self, photo: Photo) -> Result<()> {
        self.enter(false).await?;
        self.throttle(photo.bytes.len() as u64).await;
        self.inner.set_photo(photo).await
    }

    async fn photo(&self) -> Result<Option<Bytes>> {
        self.enter(false).await?;
        let photo = self.inner.photo().await?;
        self.throttle(photo.as_ref().map_or(0, |p| p.len() as u64))
            .await;
        Ok(photo)
    }

    async fn post_document(&self, upload: Upload, caption: &str) -> Result<Message> {
        if let Some(fraction) = self.enter(true).await? {
            return Err(self.drop_upload(upload, fraction).await);
        }
        self.inner
            .post_document(self.throttled(upload), caption)
            .await
    }

    async fn begin_upload(&self, size: u64) -> Result<UploadToken> {
        self.enter(false).await?;
        self.inner.begin_upload(size).await
    }

    async fn upload_part(&self, token: &UploadToken, index: u32, bytes: Bytes) -> Result<()> {
        let drop_at = self.enter(true).await?;
        match drop_at {
            Some(fraction) => {
                let through = (bytes.len() as f64 * fraction) as u64;
                self.throttle(through).await;
                Err(lost(format!(
                    "connection dropped after {through} of {} bytes of part {index}",
                    bytes.len()
                )))
            }
            None => {
                self.throttle(bytes.len() as u64).await;
                self.inner.upload_part(token, index, bytes).await
            }
        }
    }

    async fn commit_upload(
        &self,
        token: &UploadToken,
        name: &str,
        mime: &str,
        caption: &str,
    ) -> Result<Message> {
        self.enter(false).await?;
        self.inner.commit_upload(token, name, mime, caption).await
    }

    async fn commit_replacement(
        &self,
        id: MessageId,
        token: &UploadToken,
        name: &str,
        mime: &str,
        caption: Option<&str>,
    ) -> Result<Message> {
        self.enter(false).await?;
        self.inner
            .commit_replacement(id, token, name, mime, caption)
            .await
    }

    async fn replace_document(
        &self,
        id: MessageId,
        upload: Upload,
        caption: Option<&str>,
    ) -> Result<Message> {
        if let Some(fraction) = self.enter(true).await? {
            return Err(self.drop_upload(upload, fraction).await);
        }
        self.inner
            .replace_document(id, self.throttled(upload), caption)
            .await
    }

    async fn edit_caption(&self, id: MessageId, caption: &str) -> Result<Message> {
        self.enter(false).await?;
        self.inner.edit_caption(id, caption).await
    }

    async fn read_document(
        &self,
        id: MessageId,
        document: DocumentId,
        offset: u64,
        len: usize,
    ) -> Result<Bytes> {
        let drop_at = self.enter(true).await?;
        let bytes = self.inner.read_document(id, document, offset, len).await?;
        match drop_at {
            Some(fraction) => {
                let through = (bytes.len() as f64 * fraction) as u64;
                self.throttle(through).await;
                Err(lost(format!(
                    "connection dropped after {through} of {} bytes",
                    bytes.len()
                )))
            }
            None => {
                self.throttle(bytes.len() as u64).await;
                Ok(bytes)
            }
        }
    }

    async fn list_messages(&self, after: MessageId, limit: usize) -> Result<Vec<Message>> {
        self.enter(false).await?;
        self.inner.list_messages(after, limit).await
    }

    async fn get_messages(&self, ids: &[MessageId]) -> Result<Vec<Option<Message>>> {
        self.enter(false).await?;
        self.inner.get_messages(ids).await
    }

    async fn delete_messages(&self, ids: &[MessageId]) -> Result<usize> {
        self.enter(false).await?;
        self.inner.delete_messages(ids).await
    }

    async fn events(
        &self,
        after: EventId,
        filter: EventFilter,
        limit: usize,
    ) -> Result<Vec<Event>> {
        self.enter(false).await?;
        self.inner.events(after, filter, limit).await
    }
}

/// An `AsyncRead` that delivers at most `bandwidth` bytes per second: after each read it
/// sleeps for the time those bytes would have taken.
struct Throttled<R> {
    inner: R,
    bandwidth: Option<u64>,
    pause: Option<Pin<Box<Sleep>>>,
}

impl<R> Throttled<R> {
    fn new(inner: R, bandwidth: Option<u64>) -> Self {
        Throttled {
            inner,
            bandwidth: bandwidth.filter(|b| *b > 0),
            pause: None,
        }
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for Throttled<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if let Some(pause) = self.pause.as_mut() {
            ready!(pause.as_mut().poll(cx));
            self.pause = None;
        }
        let before = buf.filled().len();
        ready!(Pin::new(&mut self.inner).poll_read(cx, buf))?;
        let n = (buf.filled().len() - before) as u64;
        if let Some(bw) = self.bandwidth
            && n > 0
        {
            self.pause = Some(Box::pin(tokio::time::sleep(Duration::from_secs_f64(
                n as f64 / bw as f64,
            ))));
        }
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::MemoryChannel;

    fn chan(config: FaultConfig) -> FaultyChannel<MemoryChannel> {
        FaultyChannel::new(MemoryChannel::create("t", "", false).unwrap(), config)
    }

    async fn outcomes(seed: u64) -> Vec<&'static str> {
        let c = chan(FaultConfig {
            flood_wait_rate: 0.3,
            drop_rate: 0.3,
            ..FaultConfig::none(seed)
        });
        let mut out = Vec::new();
        for _ in 0..40 {
            let r = c
                .post_document(Upload::from_bytes("n", "", vec![1; 100]), "")
                .await;
            out.push(r.map(|_| "ok").unwrap_or_else(|e| e.code()));
        }
        out
    }

    #[tokio::test(start_paused = true)]
    async fn same_seed_same_faults() {
        let a = outcomes(7).await;
        assert_eq!(a, outcomes(7).await);
        assert_ne!(a, outcomes(8).await);
        assert!(
            a.contains(&"FLOOD_WAIT") && a.contains(&"CONNECTION_LOST") && a.contains(&"ok"),
            "{a:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn dropped_posts_leave_nothing_and_flood_waits_say_how_long() {
        let c = chan(FaultConfig {
            flood_wait_rate: 0.5,
            drop_rate: 0.5,
            ..FaultConfig::none(1)
        });
        let mut ok = 0;
        for _ in 0..50 {
            match c
                .post_document(Upload::from_bytes("n", "", vec![2; 10]), "")
                .await
            {
                Ok(_) => ok += 1,
                Err(e) => {
                    assert!(e.is_retryable(), "{e}");
                    if e.kind() == ErrorKind::FloodWait {
                        assert_eq!(e.retry_after(), Some(Duration::from_secs(1)));
                    }
                }
            }
        }
        let listed = c.inner().list_messages(0, 100).await.unwrap();
        assert_eq!(listed.len(), ok);
        let s = c.stats();
        assert_eq!(s.flood_waits + s.drops + ok as u64, 50);
    }

    #[tokio::test(start_paused = true)]
    async fn latency_and_bandwidth_cost_virtual_time() {
        let c = chan(FaultConfig {
            latency: Duration::from_millis(100),
            bandwidth: Some(1000),
            ..FaultConfig::none(3)
        });
        let start = tokio::time::Instant::now();
        let m = c
            .post_document(Upload::from_bytes("n", "", vec![0; 500]), "")
            .await
            .unwrap();
        let posted = start.elapsed();
        assert!(posted >= Duration::from_millis(600), "{posted:?}");
        let start = tokio::time::Instant::now();
        let doc = m.document.unwrap();
        let got = c.read_document(m.id, doc.id, 0, 250).await.unwrap();
        assert_eq!(got.len(), 250);
        let read = start.elapsed();
        assert!(
            read >= Duration::from_millis(350) && read < Duration::from_millis(450),
            "{read:?}"
        );
    }
}
