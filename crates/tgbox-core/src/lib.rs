//! The pure TGBOX v1 protocol (minor version 8), byte-compatible with the Python reference
//! tgbox 1.8.0.1: keys, AES-CBC streams, PackedAttributes, paths, box files of every minor
//! version, caption updates and the sharing exchange.
//!
//! No async, no I/O beyond `Read`/`Write` handed in, no clock; randomness is passed in through
//! [`Entropy`]. The specification this crate enforces is `spec/tgbox-protocol.md`; comments cite
//! its sections as `§n`.
//!
//! ```
//! use tgbox_core::{Attributes, BoxSalt, MainKey, OsEntropy, boxfile};
//!
//! let mainkey = MainKey::from_bytes([7; 32]);
//! let box_salt = BoxSalt::from_bytes([1; 32]);
//! let cattrs = Attributes::new();
//! let file = boxfile::NewFile {
//!     dir: "/docs", name: "hello.txt", size: 5, mime: "text/plain",
//!     preview: &[], duration: 0, cattrs: &cattrs,
//! };
//! let prepared = boxfile::prepare(&mainkey, &box_salt, &file, &Default::default(), &mut OsEntropy)?;
//! let mut doc = Vec::new();
//! prepared.encrypt_stream(&b"hello"[..], &mut doc)?;
//!
//! let header = boxfile::BoxFileHeader::parse(&doc, boxfile::METADATA_MAX)?;
//! let file = header.decrypt(boxfile::KeyRef::Main(&mainkey))?;
//! assert_eq!(file.info.name, "hello.txt");
//! let mut dec = file.payload_decryptor();
//! let mut plain = Vec::new();
//! dec.update(&doc[header.payload_offset() as usize..], &mut plain)?;
//! let verified = dec.finish(&mut plain)?;
//! assert!(verified.tag_checked);
//! assert_eq!(plain, b"hello");
//! # Ok::<(), tgbox_core::Error>(())
//! ```

pub mod aes_cbc;
pub mod b64;
pub mod boxfile;
pub mod caption;
mod error;
pub mod ints;
pub mod keys;
mod mt19937;
pub mod packed;
pub mod paths;
pub mod phrase;
pub mod rng;
mod salts;
pub mod session;
pub mod sharing;

pub use error::{Error, Result};
pub use keys::{
    AnyKey, BaseKey, DirectoryKey, EncryptedMainKey, FileKey, HmacKey, ImportKey, Key, MainKey,
    RequestKey, ScryptParams, ShareKey,
};
pub use mt19937::Mt19937;
pub use packed::Attributes;
pub use phrase::Phrase;
pub use rng::{Entropy, OsEntropy, ReplayEntropy};
pub use salts::{BoxSalt, FileSalt};
