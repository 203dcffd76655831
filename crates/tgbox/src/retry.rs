//! The one retry policy: transient channel errors (rate limits, dropped connections, timeouts)
//! are retried with the wait the backend asked for, or an exponential backoff; every other
//! error is final at once.

use std::future::Future;
use std::time::Duration;

use crate::channel::ChannelError;

/// Attempts per request before a transient error is given up on.
const ATTEMPTS: u32 = 6;
/// The longest wait between attempts that is accepted without failing (Telethon's
/// flood-sleep threshold, spec/tgbox-boxes.md §3.11).
const MAX_WAIT: Duration = Duration::from_secs(60);

/// Runs `op` until it succeeds, fails for good, or runs out of attempts.
pub(crate) async fn retrying<T, F, Fut>(op: F) -> Result<T, ChannelError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ChannelError>>,
{
    retrying_when(op, ChannelError::is_retryable).await
}

/// For requests that must not run twice (a post): retries only refusals, the rate limits that
/// say the request was not carried out. A dropped connection or a timeout may hide a request
/// that happened, so those are final here (the upload journal settles them).
pub(crate) async fn retrying_refusals<T, F, Fut>(op: F) -> Result<T, ChannelError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ChannelError>>,
{
    retrying_when(op, |e| e.kind() == crate::channel::ErrorKind::FloodWait).await
}

async fn retrying_when<T, F, Fut>(
    mut op: F,
    transient: impl Fn(&ChannelError) -> bool,
) -> Result<T, ChannelError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ChannelError>>,
{
    let mut backoff = Duration::from_millis(200);
    let mut attempt = 1;
    loop {
        match op().await {
            Ok(v) => return Ok(v),
            Err(e) if transient(&e) && attempt < ATTEMPTS => {
                let wait = e.retry_after().unwrap_or(backoff);
                if wait > MAX_WAIT {
                    return Err(e);
                }
                tokio::time::sleep(wait).await;
                backoff = (backoff * 2).min(Duration::from_secs(10));
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::ErrorKind;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test(start_paused = true)]
    async fn transient_errors_are_retried_and_final_ones_are_not() {
        let calls = AtomicU32::new(0);
        let r = retrying(|| async {
            if calls.fetch_add(1, Ordering::Relaxed) < 3 {
                Err(ChannelError::flood_wait(Duration::from_secs(2)))
            } else {
                Ok(7)
            }
        })
        .await;
        assert_eq!(r.unwrap(), 7);
        assert_eq!(calls.load(Ordering::Relaxed), 4);

        let calls = AtomicU32::new(0);
        let r: Result<(), _> = retrying(|| async {
            calls.fetch_add(1, Ordering::Relaxed);
            Err(ChannelError::new(ErrorKind::CaptionTooLong, ""))
        })
        .await;
        assert_eq!(r.unwrap_err().kind(), ErrorKind::CaptionTooLong);
        assert_eq!(calls.load(Ordering::Relaxed), 1);

        let r: Result<(), _> =
            retrying(|| async { Err(ChannelError::new(ErrorKind::ConnectionLost, "")) }).await;
        assert_eq!(
            r.unwrap_err().kind(),
            ErrorKind::ConnectionLost,
            "gives up after the last attempt"
        );
        let r: Result<(), _> =
            retrying(|| async { Err(ChannelError::flood_wait(Duration::from_secs(3600))) }).await;
        assert_eq!(
            r.unwrap_err().kind(),
            ErrorKind::FloodWait,
            "an hour's wait is not slept through"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_post_is_retried_when_refused_but_not_when_its_answer_may_be_lost() {
        let calls = AtomicU32::new(0);
        let r = retrying_refusals(|| async {
            if calls.fetch_add(1, Ordering::Relaxed) < 2 {
                Err(ChannelError::flood_wait(Duration::from_secs(1)))
            } else {
                Ok(1)
            }
        })
        .await;
        assert_eq!((r.unwrap(), calls.load(Ordering::Relaxed)), (1, 3));
        for kind in [ErrorKind::ConnectionLost, ErrorKind::Timeout] {
            let calls = AtomicU32::new(0);
            let r: Result<(), _> = retrying_refusals(|| async {
                calls.fetch_add(1, Ordering::Relaxed);
                Err(ChannelError::new(kind, "dropped"))
            })
            .await;
            assert_eq!(r.unwrap_err().kind(), kind);
            assert_eq!(calls.load(Ordering::Relaxed), 1, "{kind:?} is not retried");
        }
    }
}
