//! The one error type of `tgbox-core`.
//!
//! Every failure that comes from untrusted input has its own variant, so callers and tests can
//! tell them apart. Decryption failures are deliberately a single variant ([`Error::Decryption`]):
//! a wrong key, a garbled block, bad padding and a failed HMAC tag read the same to the caller
//! (ARCHITECTURE.md, "Conventions").

/// Everything that can go wrong in the pure protocol.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input does not start with the box-file PREFIX (spec §8.6 step 1).
    #[error("not a TGBOX file (bad prefix)")]
    NotABoxFile,
    /// The VERBYTE is not `01` (spec §8.6 step 1; the reference ignores it, we do not).
    #[error("unsupported TGBOX major version {0:#04x}")]
    UnsupportedVersion(u8),
    /// The file's `minor_version` is newer than this implementation knows (spec §8.7).
    #[error("box file minor version {0} is newer than the supported 8")]
    UnsupportedMinor(i64),
    /// The file was written for another box than the one it is read in (its public BoxSalt
    /// differs); either it was tampered with or it belongs elsewhere.
    #[error("the file's BoxSalt does not match this box")]
    BoxSaltMismatch,
    /// The input ended before a field the format requires.
    #[error("truncated input: {0}")]
    Truncated(&'static str),
    /// A structure is malformed (bad length, trailing bytes, invalid UTF-8 ...).
    #[error("malformed {what}: {why}")]
    Malformed {
        /// Which structure.
        what: &'static str,
        /// What is wrong with it.
        why: String,
    },
    /// A field the format requires is absent.
    #[error("missing required field `{0}`")]
    MissingField(&'static str),
    /// Wrong key, tampered data, bad padding or a failed HMAC tag: indistinguishable on purpose.
    #[error("decryption failed: wrong key or tampered data")]
    Decryption,
    /// The decrypted payload length differs from the `file_size` in the metadata (spec §14.2).
    #[error("payload length {actual} does not match the declared file size {declared}")]
    SizeMismatch {
        /// `file_size` from the secret metadata.
        declared: u64,
        /// Bytes of plaintext actually produced.
        actual: u64,
    },
    /// A value exceeds one of the limits of spec §9.
    #[error("{what} is too large: {size} bytes, the limit is {limit}")]
    TooLarge {
        /// Which limit.
        what: &'static str,
        /// The offending size.
        size: u64,
        /// The limit in force.
        limit: u64,
    },
    /// A PackedAttributes key that is not ASCII (spec §6.1: the reference corrupts such keys).
    #[error("attribute key {0:?} is not ASCII")]
    NonAsciiKey(String),
    /// A key's text form could not be decoded (spec §4.7).
    #[error("invalid key text: {0}")]
    KeyText(String),
    /// A key of the wrong type was given.
    #[error("expected a {expected}, got a {got}")]
    WrongKeyType {
        /// What was needed.
        expected: &'static str,
        /// What was given.
        got: &'static str,
    },
    /// A key has the wrong number of bytes.
    #[error("a {what} must be {expected} bytes, got {got}")]
    KeyLength {
        /// The key type.
        what: &'static str,
        /// The length it must have.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// A hash gave a secp256k1 scalar of 0 or not below the curve order (spec §11.1).
    #[error("derived secp256k1 scalar is out of range")]
    InvalidScalar,
    /// A RequestKey or the tail of a ShareKey is not a point on secp256k1.
    #[error("not a valid secp256k1 public key")]
    InvalidPoint,
    /// A path cannot be stored (empty, no file name, too long ...).
    #[error("invalid box path {path:?}: {why}")]
    InvalidPath {
        /// The path as given.
        path: String,
        /// Why it was refused.
        why: &'static str,
    },
    /// Invalid scrypt parameters.
    #[error("invalid scrypt parameters: {0}")]
    ScryptParams(String),
    /// scrypt needs more memory than could be reserved.
    #[error("scrypt needs {0} bytes of memory, which could not be allocated")]
    ScryptMemory(u64),
    /// A caption update tried to change a field that cannot change (spec §10.1: `file_size`).
    #[error("the field `{0}` cannot be changed by a caption update")]
    RestrictedField(String),
    /// The operating system's random number generator failed.
    #[error("the OS random number generator failed")]
    Entropy,
    /// Reading or writing a stream failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn malformed(what: &'static str, why: impl Into<String>) -> Self {
        Error::Malformed {
            what,
            why: why.into(),
        }
    }
}
