//! The library's error type: what went wrong with a box, a LocalBox or a transfer.
//!
//! Lower-level errors stay attached as sources: [`ChannelError`] for anything the channel said,
//! [`tgbox_core::Error`] for the protocol (any decryption failure reads the same), SQLite for
//! the LocalBox.

use std::path::PathBuf;

use crate::channel::ChannelError;

/// An error of the tgbox library.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The channel refused or failed (see [`ChannelError::kind`]).
    #[error(transparent)]
    Channel(#[from] ChannelError),
    /// A box file, key or metadata failed the protocol's checks.
    #[error(transparent)]
    Protocol(#[from] tgbox_core::Error),
    /// The phrase (or the scrypt parameters) do not open this channel's box files, or the
    /// channel is not a box.
    #[error("wrong phrase or not a TGBOX channel")]
    WrongPhrase,
    /// The channel is not a TGBOX box (no BoxSalt in its description).
    #[error("not a TGBOX channel: {0}")]
    NotABox(String),
    /// The LocalBox database failed or holds something this build cannot use.
    #[error("LocalBox {}: {message}", path.display())]
    LocalBox {
        /// The database file.
        path: PathBuf,
        /// What went wrong.
        message: String,
        /// SQLite's error, when it was one.
        #[source]
        source: Option<rusqlite::Error>,
    },
    /// A LocalBox and a channel that belong to different boxes.
    #[error("the LocalBox belongs to channel {localbox}, the channel is {channel}")]
    ChannelMismatch {
        /// The channel id the LocalBox records.
        localbox: i64,
        /// The channel's id.
        channel: i64,
    },
    /// A file with the same directory and name is already in the box.
    #[error("the box already has a file at this path (file {0})")]
    FingerprintExists(i64),
    /// A ShareKey that does not open the shared file: wrong, tampered, or made for another
    /// RequestKey.
    #[error(
        "the ShareKey does not open this file (wrong, tampered, or made for another RequestKey)"
    )]
    WrongShareKey,
    /// No file with this id in the LocalBox.
    #[error("there is no file {0} in the LocalBox")]
    NoSuchFile(i64),
    /// The channel holds no box file under this id (or it is not one this box can read).
    #[error("message {0} is not a box file of this box")]
    NotABoxFile(i32),
    /// A file system operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done, with the path.
        what: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// An argument the caller should have checked.
    #[error("{0}")]
    InvalidInput(String),
}

/// The result type of the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An I/O error while doing `what`.
    pub(crate) fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            what: what.into(),
            source,
        }
    }
}
