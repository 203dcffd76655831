//! The v1.8 writer (spec §8.5): metadata first, then the payload as a stream.

use super::{
    METADATA_MAX, MINOR_VERSION, PREFIX, TAG_LEN, UPLOAD_LIMIT, VERBYTE, payload::PayloadEncryptor,
};
use crate::{
    Attributes, Error, Result,
    aes_cbc::{self, padded_len},
    ints::{int_to_bytes, len24},
    keys::{FileKey, HmacKey, MainKey},
    packed::{bfp_block, join_bfp},
    paths::{self, FILE_PATH_MAX},
    rng::{Entropy, array},
    salts::{BoxSalt, FileSalt},
};
use std::io::{Read, Write};

/// Plaintext piece size of the streaming writer: the reference's 512 KiB upload part (§5.1).
pub const CHUNK: usize = 512 * 1024;

/// The limits a writer enforces (spec §9), per LocalBox and account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `METADATA_MAX` of the box (1 000 000 by default).
    pub metadata_max: usize,
    /// `10 + |M| + 16 + |P|` may not exceed this (2 000 000 000; 4 000 000 000 for Premium).
    pub upload_limit: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            metadata_max: METADATA_MAX,
            upload_limit: UPLOAD_LIMIT,
        }
    }
}

/// What the writer needs to know about a new file.
#[derive(Debug, Clone, Copy)]
pub struct NewFile<'a> {
    /// The directory in the box (normalised as the reference's POSIX writer does, §7.1).
    pub dir: &'a str,
    /// The file name.
    pub name: &'a str,
    /// Exact plaintext size; the stream must deliver exactly this many bytes.
    pub size: u64,
    /// MIME type or empty.
    pub mime: &'a str,
    /// JPEG thumbnail or empty.
    pub preview: &'a [u8],
    /// Whole seconds, or 0.
    pub duration: u64,
    /// Custom attributes (ASCII keys).
    pub cattrs: &'a Attributes,
}

/// A box file whose header and metadata are built; the payload follows.
pub struct PreparedBoxFile {
    header: Vec<u8>,
    file_salt: FileSalt,
    file_iv: [u8; 16],
    filekey: FileKey,
    hmackey: HmacKey,
    dir: String,
    size: u64,
    fingerprint: [u8; 32],
}

impl std::fmt::Debug for PreparedBoxFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedBoxFile")
            .field("file_salt", &self.file_salt)
            .field("header_len", &self.header.len())
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

/// Builds the metadata of a v1.8 box file (spec §8.5 steps 1–10).
///
/// Random draws, in the reference's order: FileSalt, file IV, efile_path IV, [cattrs seed],
/// secret seed, `_BFP` bytes, `_BFP` seed, secret-metadata IV, public seed.
///
/// # Errors
/// [`Error::InvalidPath`], [`Error::NonAsciiKey`], [`Error::TooLarge`] (path, metadata, upload
/// limit) or [`Error::Entropy`].
pub fn prepare(
    mainkey: &MainKey,
    box_salt: &BoxSalt,
    file: &NewFile<'_>,
    limits: &Limits,
    rng: &mut dyn Entropy,
) -> Result<PreparedBoxFile> {
    let dir = paths::normalize_dir(file.dir)?;
    paths::check_name(file.name)?;
    let full = paths::join(&dir, file.name);
    if full.len() > FILE_PATH_MAX {
        return Err(Error::TooLarge {
            what: "file path",
            size: full.len() as u64,
            limit: FILE_PATH_MAX as u64,
        });
    }
    for key in file.cattrs.keys() {
        if !key.is_ascii() {
            return Err(Error::NonAsciiKey(key.to_owned()));
        }
    }
    let fingerprint = paths::fingerprint(mainkey, &full);

    let file_salt = FileSalt::generate(rng)?;
    let file_iv: [u8; 16] = array(rng)?;
    let dirkey = paths::directory_key(mainkey, &dir)?;
    let filekey = FileKey::derive(&dirkey, &file_salt);
    let hmackey = HmacKey::derive(&filekey, &file_salt);
    let efile_path = aes_cbc::encrypt(mainkey.expose_secret(), dir.as_bytes(), rng)?;

    let cattrs = if file.cattrs.is_empty() {
        Vec::new()
    } else {
        file.cattrs.pack(&[], rng)?
    };
    let secret: Attributes = [
        ("preview", file.preview.to_vec()),
        ("duration", int_to_bytes(file.duration)),
        ("file_size", int_to_bytes(file.size)),
        ("file_name", file.name.as_bytes().to_vec()),
        ("mime", file.mime.as_bytes().to_vec()),
        ("cattrs", cattrs),
        ("has_hmac_sha256", vec![1]),
    ]
    .into_iter()
    .collect();
    let packed = secret.pack(&["has_hmac_sha256"], rng)?;
    let bfp = bfp_block(rng)?;
    let secret_metadata = aes_cbc::encrypt(filekey.expose_secret(), &join_bfp(&bfp, &packed), rng)?;

    let public: Attributes = [
        ("box_salt", box_salt.as_bytes().to_vec()),
        ("file_salt", file_salt.as_bytes().to_vec()),
        ("file_fingerprint", fingerprint.to_vec()),
        ("minor_version", int_to_bytes(MINOR_VERSION)),
        ("efile_path", efile_path),
        ("secret_metadata", secret_metadata),
    ]
    .into_iter()
    .collect();
    let metadata = public.pack(&[], rng)?;
    // The reference reader refuses M + 16 > METADATA_MAX (spec §8.5 step 9, §14.9).
    let meta_limit = limits.metadata_max.saturating_sub(16);
    if metadata.len() > meta_limit {
        return Err(Error::TooLarge {
            what: "metadata",
            size: metadata.len() as u64,
            limit: meta_limit as u64,
        });
    }
    let upload = 10 + metadata.len() as u64 + 16 + file.size;
    if upload > limits.upload_limit {
        return Err(Error::TooLarge {
            what: "file",
            size: upload,
            limit: limits.upload_limit,
        });
    }

    let mut header = Vec::with_capacity(26 + metadata.len());
    header.extend_from_slice(&PREFIX);
    header.push(VERBYTE);
    header.extend_from_slice(&len24(metadata.len(), "metadata")?);
    header.extend_from_slice(&metadata);
    header.extend_from_slice(&file_iv);
    Ok(PreparedBoxFile {
        header,
        file_salt,
        file_iv,
        filekey,
        hmackey,
        dir,
        size: file.size,
        fingerprint,
    })
}

impl PreparedBoxFile {
    /// Rebuilds a prepared file from its header region (as an upload journal keeps it), so
    /// that an interrupted upload can encrypt the very same payload again, byte for byte, and
    /// send only the parts that did not arrive.
    ///
    /// # Errors
    /// [`Error::Malformed`] for a region that is not exactly a header, decryption errors for
    /// one this MainKey does not open, [`Error::InvalidPath`] for a file without a directory.
    pub fn resume(mainkey: &MainKey, header: &[u8]) -> Result<Self> {
        let parsed = super::BoxFileHeader::parse(header, crate::ints::LEN24_MAX)?;
        if parsed.payload_offset() != header.len() as u64 {
            return Err(Error::malformed(
                "header",
                "the region does not end where the payload starts",
            ));
        }
        let file = parsed.decrypt(super::KeyRef::Main(mainkey))?;
        if !file.has_hmac() {
            return Err(Error::malformed(
                "header",
                "only v1.5+ files with a tag are written",
            ));
        }
        let dir = file.info.dir.clone().ok_or_else(|| Error::InvalidPath {
            path: String::new(),
            why: "the file has no directory this MainKey decrypts",
        })?;
        let filekey = FileKey::from_bytes(*file.filekey().expose_secret());
        let hmackey = HmacKey::derive(&filekey, &parsed.file_salt);
        let fingerprint = paths::fingerprint(mainkey, &paths::join(&dir, &file.info.name));
        Ok(PreparedBoxFile {
            header: header.to_vec(),
            file_salt: FileSalt::from_bytes(*parsed.file_salt.as_bytes()),
            file_iv: parsed.file_iv,
            filekey,
            hmackey,
            dir,
            size: file.info.size,
            fingerprint,
        })
    }

    /// `PREFIX ‖ VERBYTE ‖ len24(M) ‖ M ‖ file IV`: the bytes before the payload.
    pub fn header(&self) -> &[u8] {
        &self.header
    }
    /// The FileSalt; `base64url` of it is the document name (spec §12).
    pub fn file_salt(&self) -> &FileSalt {
        &self.file_salt
    }
    /// The FileKey of the new file.
    pub fn filekey(&self) -> &FileKey {
        &self.filekey
    }
    /// The directory string as stored.
    pub fn dir(&self) -> &str {
        &self.dir
    }
    /// The public fingerprint (spec §7.4).
    pub fn fingerprint(&self) -> &[u8; 32] {
        &self.fingerprint
    }
    /// Declared plaintext size.
    pub fn size(&self) -> u64 {
        self.size
    }
    /// The exact length of the whole box file: `10 + M + 16 + padded(P) + 32`.
    pub fn total_len(&self) -> u64 {
        self.header.len() as u64 + padded_len(self.size) + TAG_LEN as u64
    }

    /// A streaming payload encryptor for this file.
    pub fn payload_encryptor(&self) -> PayloadEncryptor {
        PayloadEncryptor::new(&self.filekey, &self.hmackey, &self.file_iv, self.size)
    }

    /// Writes the whole box file: header, then the payload read from `input` in 512 KiB pieces,
    /// encrypted on this thread while a second thread computes the HMAC (ARCHITECTURE.md, "Data
    /// flow of an upload"). Memory stays constant: a few pieces in flight.
    ///
    /// # Errors
    /// [`Error::Io`], or [`Error::SizeMismatch`] when `input` does not hold exactly `size` bytes.
    pub fn encrypt_stream<R: Read, W: Write>(&self, mut input: R, mut output: W) -> Result<u64> {
        output.write_all(&self.header)?;
        let (mut enc, mut mac) = self.payload_encryptor().split();
        // Plaintext pieces go to the MAC thread and come back for reuse, so the steady state
        // allocates nothing (a fresh 512 KiB buffer per piece costs page faults).
        let (to_mac, mac_rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(3);
        let (back_tx, back_rx) = std::sync::mpsc::channel::<Vec<u8>>();
        let written = std::thread::scope(|scope| -> Result<u64> {
            let mac_thread = scope.spawn(move || {
                for piece in mac_rx {
                    mac.update(&piece);
                    // The reader may be gone already; the buffer is then simply dropped.
                    let _ = back_tx.send(piece);
                }
                mac.finish()
            });
            let mut written = self.header.len() as u64;
            let mut out = Vec::with_capacity(CHUNK + 32);
            let result = (|| -> Result<()> {
                loop {
                    let mut piece = back_rx
                        .try_recv()
                        .unwrap_or_else(|_| Vec::with_capacity(CHUNK));
                    read_piece(&mut input, &mut piece, CHUNK)?;
                    if piece.is_empty() {
                        return Ok(());
                    }
                    out.clear();
                    enc.update(&piece, &mut out)?;
                    // A closed channel means the MAC thread is gone; its join reports why.
                    let _ = to_mac.send(piece);
                    output.write_all(&out)?;
                    written += out.len() as u64;
                }
            })();
            drop(to_mac);
            let tag = mac_thread
                .join()
                .map_err(|_| Error::Io(std::io::Error::other("HMAC thread panicked")))?;
            result?;
            out.clear();
            enc.finish(tag, &mut out)?;
            output.write_all(&out)?;
            written += out.len() as u64;
            Ok(written)
        })?;
        output.flush()?;
        Ok(written)
    }
}

/// Reads up to `max` bytes into `buf` (cleared first), fewer only at the end of the stream.
fn read_piece<R: Read>(input: &mut R, buf: &mut Vec<u8>, max: usize) -> Result<()> {
    buf.clear();
    input.by_ref().take(max as u64).read_to_end(buf)?;
    Ok(())
}
