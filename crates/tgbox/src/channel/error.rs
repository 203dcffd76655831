//! The one error type of every channel backend.
//!
//! Each refusal has a [`ErrorKind`] whose [`code`](ErrorKind::code) is Telegram's RPC error
//! name where one exists (spec/local-channel.md §7), so the library reacts to `local:`,
//! `memory:` and `telegram:` alike. Transient failures say so through
//! [`ChannelError::is_retryable`] and, for rate limits, [`ChannelError::retry_after`]; the
//! library's retry policy reads only those two.

use std::fmt;
use std::time::Duration;

/// What went wrong, independent of the backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A caption longer than the channel's limit (`MEDIA_CAPTION_TOO_LONG`).
    CaptionTooLong,
    /// An empty document, one over the size limit, or a body whose length differs from the
    /// declared size (`FILE_PARTS_INVALID`).
    FilePartsInvalid,
    /// An empty or all-white-space title (`CHAT_TITLE_EMPTY`).
    TitleEmpty,
    /// A title over 128 UTF-16 code units (`CHAT_TITLE_TOO_LONG`).
    TitleTooLong,
    /// A description over 255 UTF-16 code units (`CHAT_ABOUT_TOO_LONG`).
    AboutTooLong,
    /// Editing a message that does not exist (`MESSAGE_ID_INVALID`).
    MessageIdInvalid,
    /// An edit that changes nothing (`MESSAGE_NOT_MODIFIED`).
    MessageNotModified,
    /// Setting the title to its current value (`CHAT_NOT_MODIFIED`).
    TitleNotModified,
    /// Setting the description to its current value (`CHAT_ABOUT_NOT_MODIFIED`).
    AboutNotModified,
    /// Reading a document that has since been replaced or deleted (`FILE_REFERENCE_EXPIRED`).
    FileReferenceExpired,
    /// The address names no valid channel (`CHANNEL_INVALID`).
    ChannelInvalid,
    /// A local channel of a layout version this build cannot read
    /// (`CHANNEL_VERSION_UNSUPPORTED`).
    VersionUnsupported,
    /// A local channel whose files violate the layout (`CHANNEL_CORRUPT`).
    Corrupt,
    /// Creating a local channel in a directory that holds other files (`CHANNEL_DIR_NOT_EMPTY`).
    DirNotEmpty,
    /// Message ids would exceed 2³¹−1 (`CHANNEL_FULL`).
    ChannelFull,
    /// The account lacks the admin right the operation needs (`CHAT_ADMIN_REQUIRED`).
    AdminRequired,
    /// A rate limit: wait [`ChannelError::retry_after`], then retry (`FLOOD_WAIT`).
    FloodWait,
    /// The account's session was revoked, logged out or never signed in
    /// (`AUTH_KEY_UNREGISTERED`); only signing in again helps.
    Unauthorized,
    /// The connection broke before the request completed; retrying may succeed
    /// (`CONNECTION_LOST`).
    ConnectionLost,
    /// The backend did not answer in time; retrying may succeed (`TIMEOUT`).
    Timeout,
    /// A caller error: an argument the trait's contract rules out (`INVALID_ARGUMENT`).
    InvalidArgument,
    /// The backend cannot do this at all (`METHOD_UNSUPPORTED`).
    Unsupported,
    /// The local file system failed (`IO_ERROR`).
    Io,
    /// Any other backend error; the detail carries the backend's own name for it.
    Other,
}

impl ErrorKind {
    /// The error's name: Telegram's RPC error name where one exists, else a local name in the
    /// same style (spec/local-channel.md §7).
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::CaptionTooLong => "MEDIA_CAPTION_TOO_LONG",
            ErrorKind::FilePartsInvalid => "FILE_PARTS_INVALID",
            ErrorKind::TitleEmpty => "CHAT_TITLE_EMPTY",
            ErrorKind::TitleTooLong => "CHAT_TITLE_TOO_LONG",
            ErrorKind::AboutTooLong => "CHAT_ABOUT_TOO_LONG",
            ErrorKind::MessageIdInvalid => "MESSAGE_ID_INVALID",
            ErrorKind::MessageNotModified => "MESSAGE_NOT_MODIFIED",
            ErrorKind::TitleNotModified => "CHAT_NOT_MODIFIED",
            ErrorKind::AboutNotModified => "CHAT_ABOUT_NOT_MODIFIED",
            ErrorKind::FileReferenceExpired => "FILE_REFERENCE_EXPIRED",
            ErrorKind::ChannelInvalid => "CHANNEL_INVALID",
            ErrorKind::VersionUnsupported => "CHANNEL_VERSION_UNSUPPORTED",
            ErrorKind::Corrupt => "CHANNEL_CORRUPT",
            ErrorKind::DirNotEmpty => "CHANNEL_DIR_NOT_EMPTY",
            ErrorKind::ChannelFull => "CHANNEL_FULL",
            ErrorKind::AdminRequired => "CHAT_ADMIN_REQUIRED",
            ErrorKind::FloodWait => "FLOOD_WAIT",
            ErrorKind::Unauthorized => "AUTH_KEY_UNREGISTERED",
            ErrorKind::ConnectionLost => "CONNECTION_LOST",
            ErrorKind::Timeout => "TIMEOUT",
            ErrorKind::InvalidArgument => "INVALID_ARGUMENT",
            ErrorKind::Unsupported => "METHOD_UNSUPPORTED",
            ErrorKind::Io => "IO_ERROR",
            ErrorKind::Other => "CHANNEL_ERROR",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An error from a channel backend: a kind, a one-line detail, and for rate limits the wait.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.render())]
pub struct ChannelError {
    kind: ErrorKind,
    detail: String,
    retry_after: Option<Duration>,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

/// The result type of every channel method.
pub type Result<T, E = ChannelError> = std::result::Result<T, E>;

impl ChannelError {
    /// An error of `kind` with a one-line detail (may be empty).
    pub fn new(kind: ErrorKind, detail: impl Into<String>) -> Self {
        ChannelError {
            kind,
            detail: detail.into(),
            retry_after: None,
            source: None,
        }
    }

    /// A rate limit: the caller should wait `wait` and then retry.
    pub fn flood_wait(wait: Duration) -> Self {
        ChannelError {
            kind: ErrorKind::FloodWait,
            detail: format!("retry after {} s", wait.as_secs_f64()),
            retry_after: Some(wait),
            source: None,
        }
    }

    /// Attaches the lower-level error that caused this one.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// An I/O failure while doing `what`.
    pub fn io(what: impl fmt::Display, err: std::io::Error) -> Self {
        ChannelError::new(ErrorKind::Io, format!("{what}: {err}")).with_source(err)
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Telegram's name for the error (see [`ErrorKind::code`]).
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }

    /// The one-line detail.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// Whether repeating the same request later may succeed: rate limits, dropped
    /// connections and timeouts. Every other error repeats itself.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::FloodWait | ErrorKind::ConnectionLost | ErrorKind::Timeout
        )
    }

    /// How long to wait before retrying, when the backend said (rate limits).
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    fn render(&self) -> String {
        if self.detail.is_empty() {
            self.kind.code().to_owned()
        } else {
            format!("{}: {}", self.kind.code(), self.detail)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_code_then_detail() {
        let e = ChannelError::new(ErrorKind::CaptionTooLong, "1025 > 1024");
        assert_eq!(e.to_string(), "MEDIA_CAPTION_TOO_LONG: 1025 > 1024");
        assert_eq!(
            ChannelError::new(ErrorKind::MessageNotModified, "").to_string(),
            "MESSAGE_NOT_MODIFIED"
        );
    }

    #[test]
    fn only_transient_errors_are_retryable() {
        let wait = ChannelError::flood_wait(Duration::from_secs(3));
        assert!(wait.is_retryable());
        assert_eq!(wait.retry_after(), Some(Duration::from_secs(3)));
        assert!(ChannelError::new(ErrorKind::ConnectionLost, "").is_retryable());
        assert!(!ChannelError::new(ErrorKind::CaptionTooLong, "").is_retryable());
        assert_eq!(
            ChannelError::new(ErrorKind::Corrupt, "").retry_after(),
            None
        );
    }
}
