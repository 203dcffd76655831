//! Reading an upload's body to exactly its declared length.
//!
//! Telegram refuses a file whose parts do not add up to the declared total
//! (`FILE_PARTS_INVALID`); every backend applies the same rule so that a caller's wrong size
//! fails the same everywhere, and before anything becomes visible.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::error::{ChannelError, ErrorKind, Result};

const CHUNK: usize = 512 * 1024;

/// Copies exactly `size` bytes from `body` into `sink`.
///
/// # Errors
/// [`ErrorKind::FilePartsInvalid`] when the body ends before `size` bytes or has more;
/// [`ErrorKind::Io`] when the body or the sink fails.
pub(crate) async fn copy_exact<R, W>(body: &mut R, size: u64, sink: &mut W) -> Result<()>
where
    R: AsyncRead + Unpin + ?Sized,
    W: AsyncWrite + Unpin + ?Sized,
{
    let mut buf = vec![0u8; CHUNK.min(size.max(1) as usize)];
    let mut left = size;
    while left > 0 {
        let want = buf.len().min(left as usize);
        let n = body
            .read(&mut buf[..want])
            .await
            .map_err(|e| ChannelError::io("reading the document to upload", e))?;
        if n == 0 {
            return Err(ChannelError::new(
                ErrorKind::FilePartsInvalid,
                format!(
                    "the document ended after {} of {size} declared bytes",
                    size - left
                ),
            ));
        }
        sink.write_all(&buf[..n])
            .await
            .map_err(|e| ChannelError::io("storing the document", e))?;
        left -= n as u64;
    }
    let mut probe = [0u8; 1];
    let extra = body
        .read(&mut probe)
        .await
        .map_err(|e| ChannelError::io("reading the document to upload", e))?;
    if extra != 0 {
        return Err(ChannelError::new(
            ErrorKind::FilePartsInvalid,
            format!("the document is longer than its declared {size} bytes"),
        ));
    }
    sink.flush()
        .await
        .map_err(|e| ChannelError::io("storing the document", e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn exact_short_and_long() {
        let mut out = Vec::new();
        copy_exact(&mut &b"abcd"[..], 4, &mut out).await.unwrap();
        assert_eq!(out, b"abcd");
        let short = copy_exact(&mut &b"abc"[..], 4, &mut Vec::new())
            .await
            .unwrap_err();
        assert_eq!(short.kind(), ErrorKind::FilePartsInvalid);
        let long = copy_exact(&mut &b"abcde"[..], 4, &mut Vec::new())
            .await
            .unwrap_err();
        assert_eq!(long.kind(), ErrorKind::FilePartsInvalid);
    }
}
