//! Errors of tgback, one variant per thing a person must do differently (spec §9.5).

/// An error of tgback.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Nothing stored under this KeyID: a wrong phrase, birthday or scrypt options, or a
    /// deleted backup.
    #[error("no backup for this phrase{0}")]
    NotFound(String),
    /// The capsule's tag does not verify: a wrong key, or altered data.
    #[error(
        "this phrase does not open the backup: wrong phrase, birthday or scrypt options, or the \
         backup was altered"
    )]
    WrongKeyOrTampered,
    /// The data is not a readable capsule (bad base64, bad JSON, missing fields).
    #[error("the backup is unreadable: {0}")]
    Corrupt(String),
    /// A protocol this build does not know.
    #[error("unsupported backup protocol {0:?}")]
    UnsupportedProtocol(String),
    /// A bad argument.
    #[error("{0}")]
    InvalidInput(String),
    /// The network failed; trying again may work.
    #[error("{0}")]
    Network(String),
    /// Something this build cannot do.
    #[error("{0}")]
    Unsupported(String),
    /// The protocol core refused (scrypt parameters and memory, sessions).
    #[error(transparent)]
    Core(#[from] tgbox_core::Error),
    /// A local file failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

/// The result type of tgback.
pub type Result<T, E = Error> = std::result::Result<T, E>;
