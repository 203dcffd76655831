//! The box file of spec §8: `PREFIX ‖ 01 ‖ len24(M) ‖ M ‖ IV ‖ AES-CBC(P) ‖ HMAC(P)`.
//!
//! - [`write`] builds the metadata of a v1.8 file ([`prepare`]) and streams the payload
//!   ([`PayloadEncryptor`], [`PreparedBoxFile::encrypt_stream`]) in constant memory.
//! - [`read`] parses the header and public metadata of every minor version ([`BoxFileHeader`]),
//!   derives the keys from whatever key the caller holds and decrypts the secret metadata
//!   ([`DecryptedBoxFile`]), then streams the payload through a [`PayloadDecryptor`] whose
//!   plaintext is only final once [`PayloadDecryptor::finish`] returned [`Verified`].

pub mod payload;
pub mod read;
pub mod write;

pub use payload::{PayloadDecryptor, PayloadEncryptor, Verified};
pub use read::{BoxFileHeader, DecryptedBoxFile, KeyRef, KeyUsedAs};
pub use write::{Limits, NewFile, PreparedBoxFile, prepare};

/// `"\x00TGBOX"` (spec §8.1).
pub const PREFIX: [u8; 6] = *b"\x00TGBOX";
/// The major version byte (spec §8.1).
pub const VERBYTE: u8 = 1;
/// The minor version this crate writes (spec §9).
pub const MINOR_VERSION: u64 = 8;
/// Default `METADATA_MAX` (spec §9; per-LocalBox setting).
pub const METADATA_MAX: usize = 1_000_000;
/// Size of the HMAC tag of v1.5+ files.
pub const TAG_LEN: usize = 32;
/// Upload limit of a normal account, as the reference checks it (spec §8.5 step 11).
pub const UPLOAD_LIMIT: u64 = 2_000_000_000;
/// Upload limit of a Premium account.
pub const UPLOAD_LIMIT_PREMIUM: u64 = 4_000_000_000;
/// The directory the reference reports for a file read without the MainKey.
pub const NO_FOLDER: &str = "NO_FOLDER";

/// The plaintext metadata of a file (secret metadata of spec §8.3, after caption merges).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct FileInfo {
    /// The file name.
    pub name: String,
    /// The directory, when it could be decrypted (needs the MainKey).
    pub dir: Option<String>,
    /// Plaintext size in bytes.
    pub size: u64,
    /// MIME type or empty.
    pub mime: String,
    /// Duration in whole seconds (audio/video), else 0.
    pub duration: u64,
    /// JPEG thumbnail or empty.
    pub preview: Vec<u8>,
    /// Custom attributes.
    pub cattrs: crate::Attributes,
    /// Unknown secret-metadata or caption keys, kept for forward compatibility.
    pub residual: crate::Attributes,
}

impl std::fmt::Debug for FileInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Names and paths are private: a Debug print must not leak them into logs.
        f.debug_struct("FileInfo")
            .field("size", &self.size)
            .field("mime", &self.mime)
            .field("cattrs", &self.cattrs)
            .finish_non_exhaustive()
    }
}
