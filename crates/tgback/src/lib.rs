//! TGBACK-X: an encrypted backup of a Telegram session that a phrase alone brings back,
//! compatible with tgback-x 1.1 and its XQt app (spec: shared/spec/tgback-x.md).
//!
//! * [`keys`]: phrase → scrypt key (library defaults, custom parameters, XQt's birthday salt)
//!   → [`KeyId`], the public channel username.
//! * [`phrase`]: generated phrases from the twelve XQt word lists, and the NFC/NFD variants a
//!   reader retries.
//! * [`capsule`]: the `JSON_AES_CBC_UB64` protocol, sealed and opened byte for byte.
//! * [`backup`]: what a backup holds (a Telethon StringSession and its API credentials) and the
//!   `+T+` message around it.
//! * [`page`]: the repairing reader of the public preview page `t.me/s/<KeyID>`.
//! * [`provider`]: where backups live — a local file, or the public channel read anonymously.

pub mod backup;
pub mod capsule;
mod error;
pub mod keys;
pub mod page;
pub mod phrase;
pub mod provider;
mod pyjson;

pub use backup::Backup;
pub use error::{Error, Result};
pub use keys::{BackupKey, KeyId, KeyParams};
