//! The reader for every minor version 1.0 to 1.8 (spec §8.6, §8.7).

use super::{
    FileInfo, METADATA_MAX, PREFIX, VERBYTE,
    payload::{PayloadDecryptor, Verified},
};
use crate::{
    Attributes, Error, Result, aes_cbc, caption,
    ints::{bytes_to_int, read_len24},
    keys::{BaseKey, DirectoryKey, FileKey, HmacKey, ImportKey, MainKey},
    paths,
    salts::{BoxSalt, FileSalt},
};
use std::io::{Read, Write};

/// The header and public metadata of a box file: everything readable without a key.
#[derive(Debug, Clone)]
pub struct BoxFileHeader {
    /// `M`, the size of the public metadata.
    pub metadata_size: usize,
    /// The public metadata as stored (unknown keys included).
    pub public: Attributes,
    /// The payload IV.
    pub file_iv: [u8; 16],
    /// The BoxSalt the file was written with.
    pub box_salt: BoxSalt,
    /// The FileSalt.
    pub file_salt: FileSalt,
    /// The public fingerprint, if present.
    pub fingerprint: Option<Vec<u8>>,
    /// `minor_version`, or -1 when absent (v1.0–v1.2).
    pub minor_version: i64,
}

impl BoxFileHeader {
    /// Where the payload starts: `26 + M`.
    pub fn payload_offset(&self) -> u64 {
        26 + self.metadata_size as u64
    }

    /// Reads and parses the first `26 + M` bytes of a box file from a stream.
    ///
    /// # Errors
    /// [`Error::NotABoxFile`], [`Error::UnsupportedVersion`], [`Error::TooLarge`] (metadata over
    /// `metadata_max`), [`Error::Truncated`], [`Error::Malformed`] or [`Error::MissingField`].
    pub fn read_from<R: Read>(mut input: R, metadata_max: usize) -> Result<Self> {
        let mut head = [0u8; 10];
        read_exact(&mut input, &mut head, "box file header")?;
        let m = Self::check_head(&head, metadata_max)?;
        // The size is bounded by metadata_max above, so this allocation is too.
        let mut rest = vec![0u8; m + 16];
        read_exact(&mut input, &mut rest, "public metadata")?;
        Self::from_parts(m, &rest)
    }

    /// Parses a buffer that starts with a box file (it may hold more).
    ///
    /// # Errors
    /// As [`read_from`](Self::read_from).
    pub fn parse(data: &[u8], metadata_max: usize) -> Result<Self> {
        let head: [u8; 10] = data
            .get(..10)
            .ok_or(Error::Truncated("box file header"))?
            .try_into()
            .expect("10 bytes");
        let m = Self::check_head(&head, metadata_max)?;
        let rest = data
            .get(10..26 + m)
            .ok_or(Error::Truncated("public metadata"))?;
        Self::from_parts(m, rest)
    }

    fn check_head(head: &[u8; 10], metadata_max: usize) -> Result<usize> {
        if head[..6] != PREFIX {
            return Err(Error::NotABoxFile);
        }
        if head[6] != VERBYTE {
            return Err(Error::UnsupportedVersion(head[6]));
        }
        let m = read_len24([head[7], head[8], head[9]]);
        // The reference refuses M + 16 > METADATA_MAX (spec §8.6 step 1).
        if m + 16 > metadata_max {
            return Err(Error::TooLarge {
                what: "metadata",
                size: m as u64,
                limit: metadata_max.saturating_sub(16) as u64,
            });
        }
        Ok(m)
    }

    fn from_parts(m: usize, rest: &[u8]) -> Result<Self> {
        let public = Attributes::unpack(&rest[..m])?;
        let file_iv: [u8; 16] = rest[m..m + 16].try_into().expect("16 bytes");
        let box_salt = BoxSalt::from_slice(
            public
                .get("box_salt")
                .ok_or(Error::MissingField("box_salt"))?,
        )?;
        let file_salt = FileSalt::from_slice(
            public
                .get("file_salt")
                .ok_or(Error::MissingField("file_salt"))?,
        )?;
        if !public.contains("secret_metadata") {
            return Err(Error::MissingField("secret_metadata"));
        }
        let minor_version = match public.get("minor_version") {
            Some(v) => i64::try_from(bytes_to_int(v)?)
                .map_err(|_| Error::malformed("minor_version", "out of range"))?,
            None => -1,
        };
        if minor_version > super::MINOR_VERSION as i64 {
            return Err(Error::UnsupportedMinor(minor_version));
        }
        if minor_version >= 3 && !public.contains("efile_path") {
            return Err(Error::MissingField("efile_path"));
        }
        Ok(Self {
            metadata_size: m,
            fingerprint: public.get("file_fingerprint").map(<[u8]>::to_vec),
            public,
            file_iv,
            box_salt,
            file_salt,
            minor_version,
        })
    }

    /// Checks that the file belongs to the box with this BoxSalt. The reference never checks
    /// it (§8.2); the LocalBox knows its salt, so we do, and a tampered salt is caught.
    ///
    /// # Errors
    /// [`Error::BoxSaltMismatch`].
    pub fn verify_box_salt(&self, expected: &BoxSalt) -> Result<()> {
        if self.box_salt != *expected {
            return Err(Error::BoxSaltMismatch);
        }
        Ok(())
    }

    fn field(&self, name: &'static str) -> Result<&[u8]> {
        self.public.get(name).ok_or(Error::MissingField(name))
    }

    /// Derives the FileKey from `key` and decrypts the secret metadata (spec §8.6 steps 3–6).
    ///
    /// # Errors
    /// [`Error::Decryption`] for a wrong key or tampered metadata, [`Error::MissingField`] for a
    /// v1.5+ file without `has_hmac_sha256` (a downgrade) or without a required field.
    pub fn decrypt(&self, key: KeyRef<'_>) -> Result<DecryptedBoxFile> {
        let derived_main;
        let (mainkey, key) = match key {
            KeyRef::Base(b) => {
                derived_main = MainKey::derive(b, &self.box_salt);
                (Some(&derived_main), KeyRef::Main(&derived_main))
            }
            KeyRef::Main(m) => (Some(m), key),
            other => (None, other),
        };
        let secret_ct = self.field("secret_metadata")?;
        let (filekey, dirkey, used_as, secret) = match key {
            KeyRef::Main(mk) if self.minor_version >= 3 => {
                let dir = self.decrypt_dir(mk, self.field("efile_path")?)?;
                let dk = paths::directory_key(mk, &dir).map_err(|_| Error::Decryption)?;
                let fk = FileKey::derive(&dk, &self.file_salt);
                let secret = open_secret(&fk, secret_ct)?;
                (fk, Some(dk), KeyUsedAs::MainKey, secret)
            }
            KeyRef::Main(mk) => {
                let fk = FileKey::derive_legacy(mk, &self.file_salt);
                let secret = open_secret(&fk, secret_ct)?;
                (fk, None, KeyUsedAs::MainKey, secret)
            }
            KeyRef::Directory(dk) => {
                let fk = FileKey::derive(dk, &self.file_salt);
                let secret = open_secret(&fk, secret_ct)?;
                (
                    fk,
                    Some(DirectoryKey::from_bytes(*dk.expose_secret())),
                    KeyUsedAs::DirectoryKey,
                    secret,
                )
            }
            KeyRef::File(fk) => {
                let fk = FileKey::from_bytes(*fk.expose_secret());
                let secret = open_secret(&fk, secret_ct)?;
                (fk, None, KeyUsedAs::FileKey, secret)
            }
            KeyRef::Import(ik) => {
                // Spec §11.6: first as a DirectoryKey, then as the FileKey itself.
                let as_dir = FileKey::derive_from_import(ik, &self.file_salt);
                match open_secret(&as_dir, secret_ct) {
                    Ok(secret) => (
                        as_dir,
                        Some(DirectoryKey::from_bytes(*ik.expose_secret())),
                        KeyUsedAs::DirectoryKey,
                        secret,
                    ),
                    Err(_) => {
                        let fk = FileKey::from_bytes(*ik.expose_secret());
                        let secret = open_secret(&fk, secret_ct)?;
                        (fk, None, KeyUsedAs::FileKey, secret)
                    }
                }
            }
            KeyRef::Base(_) => unreachable!("converted to a MainKey above"),
        };
        let mut secret = secret;
        let text = |s: &mut Attributes, k: &'static str| -> Result<String> {
            let v = s.remove(k).ok_or(Error::MissingField(k))?;
            String::from_utf8(v).map_err(|_| Error::malformed(k, "not UTF-8"))
        };
        let has_hmac = secret
            .remove("has_hmac_sha256")
            .is_some_and(|v| !v.is_empty());
        if has_hmac {
            if secret.remove("_BFP").is_none() {
                return Err(Error::MissingField("_BFP"));
            }
        } else if self.minor_version >= 5 {
            // A v1.5+ file must carry a tag: without the flag this is a downgrade (spec §8.6 step 6).
            return Err(Error::MissingField("has_hmac_sha256"));
        }
        let preview = secret
            .remove("preview")
            .ok_or(Error::MissingField("preview"))?;
        let duration = bytes_to_int(
            &secret
                .remove("duration")
                .ok_or(Error::MissingField("duration"))?,
        )?;
        let size = bytes_to_int(
            &secret
                .remove("file_size")
                .ok_or(Error::MissingField("file_size"))?,
        )?;
        let name = text(&mut secret, "file_name")?;
        let mime = text(&mut secret, "mime")?;
        let cattrs = Attributes::unpack(
            &secret
                .remove("cattrs")
                .ok_or(Error::MissingField("cattrs"))?,
        )?;
        let dir = if self.minor_version < 3 {
            let enc = secret
                .remove("efile_path")
                .ok_or(Error::MissingField("efile_path"))?;
            match mainkey {
                Some(mk) => Some(self.decrypt_dir(mk, &enc)?),
                None => None,
            }
        } else {
            match mainkey {
                Some(mk) => Some(self.decrypt_dir(mk, self.field("efile_path")?)?),
                None => None,
            }
        };
        let hmackey = has_hmac.then(|| HmacKey::derive(&filekey, &self.file_salt));
        let fingerprint_matches = match (mainkey, &dir, &self.fingerprint) {
            (Some(mk), Some(d), Some(stored)) => {
                Some(paths::fingerprint(mk, &paths::join(d, &name))[..] == stored[..])
            }
            _ => None,
        };
        Ok(DecryptedBoxFile {
            header: self.clone(),
            info: FileInfo {
                name,
                dir,
                size,
                mime,
                duration,
                preview,
                cattrs,
                residual: secret,
            },
            filekey,
            dirkey,
            hmackey,
            used_as,
            fingerprint_matches,
        })
    }

    fn decrypt_dir(&self, mk: &MainKey, enc: &[u8]) -> Result<String> {
        let plain = aes_cbc::decrypt(mk.expose_secret(), enc)?;
        String::from_utf8(plain.to_vec()).map_err(|_| Error::Decryption)
    }
}

/// Decrypts and strictly unpacks a secret-metadata blob; an empty result means a wrong key.
fn open_secret(fk: &FileKey, blob: &[u8]) -> Result<Attributes> {
    let plain = aes_cbc::decrypt(fk.expose_secret(), blob)?;
    let attrs = Attributes::unpack(&plain).map_err(|_| Error::Decryption)?;
    if attrs.is_empty() {
        return Err(Error::Decryption);
    }
    Ok(attrs)
}

fn read_exact<R: Read>(input: &mut R, buf: &mut [u8], what: &'static str) -> Result<()> {
    input.read_exact(buf).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => Error::Truncated(what),
        _ => Error::Io(e),
    })
}

/// The key a reader holds for a file.
#[derive(Debug, Clone, Copy)]
pub enum KeyRef<'a> {
    /// The box's MainKey (the normal case).
    Main(&'a MainKey),
    /// A BaseKey; the MainKey is derived with the file's public BoxSalt.
    Base(&'a BaseKey),
    /// A DirectoryKey of the file's directory (v1.3+).
    Directory(&'a DirectoryKey),
    /// The file's own FileKey.
    File(&'a FileKey),
    /// An ImportKey: tried as a DirectoryKey, then as the FileKey (spec §11.6).
    Import(&'a ImportKey),
}

/// How the reader ended up using the key it was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyUsedAs {
    /// Derived through the MainKey.
    MainKey,
    /// As (or through) a DirectoryKey.
    DirectoryKey,
    /// As the FileKey itself.
    FileKey,
}

/// A box file whose metadata is decrypted; its payload can now be streamed.
pub struct DecryptedBoxFile {
    /// The parsed header.
    pub header: BoxFileHeader,
    /// The decrypted metadata (after any caption merge).
    pub info: FileInfo,
    filekey: FileKey,
    dirkey: Option<DirectoryKey>,
    hmackey: Option<HmacKey>,
    used_as: KeyUsedAs,
    fingerprint_matches: Option<bool>,
}

impl std::fmt::Debug for DecryptedBoxFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecryptedBoxFile")
            .field("info", &self.info)
            .field("used_as", &self.used_as)
            .finish_non_exhaustive()
    }
}

impl DecryptedBoxFile {
    /// The FileKey.
    pub fn filekey(&self) -> &FileKey {
        &self.filekey
    }
    /// The DirectoryKey, when known.
    pub fn dirkey(&self) -> Option<&DirectoryKey> {
        self.dirkey.as_ref()
    }
    /// Whether the payload ends with an HMAC tag (v1.5+).
    pub fn has_hmac(&self) -> bool {
        self.hmackey.is_some()
    }
    /// How the given key was used.
    pub fn key_used_as(&self) -> KeyUsedAs {
        self.used_as
    }
    /// Whether the stored fingerprint matches the path (informational only, spec §7.4).
    pub fn fingerprint_matches(&self) -> Option<bool> {
        self.fingerprint_matches
    }

    /// Merges a caption update into [`info`](Self::info) (spec §10.3). Empty captions and
    /// captions starting with `<` are ignored. Returns whether an update was applied.
    ///
    /// # Errors
    /// [`Error::Decryption`] or [`Error::Malformed`] for a caption that is ours but garbled.
    pub fn apply_caption(&mut self, text: &str, mainkey: Option<&MainKey>) -> Result<bool> {
        match caption::decode(&self.filekey, text)? {
            Some(update) => {
                caption::merge(&mut self.info, &update, mainkey)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// A payload decryptor for the bytes that follow the header.
    pub fn payload_decryptor(&self) -> PayloadDecryptor {
        PayloadDecryptor::new(
            &self.filekey,
            self.hmackey.as_ref(),
            &self.header.file_iv,
            self.info.size,
        )
    }

    /// Decrypts the payload that `input` yields (the bytes after the header) into `output`,
    /// with AES-CBC on this thread and the HMAC (and the writes) on a second one, in
    /// [`CHUNK`](super::write::CHUNK)-sized pieces: constant memory for any size.
    ///
    /// What lands in `output` is **unverified** until this returns `Ok`: write it to a
    /// temporary place and release it only then (spec §14.2).
    ///
    /// # Errors
    /// [`Error::Decryption`] (bad padding, bad tag, truncated input), [`Error::SizeMismatch`],
    /// [`Error::Io`] from either stream.
    pub fn decrypt_stream<R: Read, W: Write + Send>(
        &self,
        input: R,
        output: W,
    ) -> Result<Verified> {
        run_stream(self.payload_decryptor(), input, output)
    }

    /// Resumes [`decrypt_stream`](Self::decrypt_stream) at plaintext `offset` (a multiple of
    /// 16, below the file size): `done` yields the `offset` plaintext bytes already written
    /// (they are fed to the HMAC again, so the tag still covers the whole file), `iv` is the
    /// ciphertext block just before `offset`, and `input` yields the payload from `offset` on.
    /// Unlike the reference's resume, the IV is always that block (spec tgbox-boxes §3.8).
    ///
    /// # Errors
    /// As [`decrypt_stream`](Self::decrypt_stream); [`Error::Malformed`] for an offset that is
    /// not a block boundary inside the file, or a `done` shorter than `offset`.
    pub fn decrypt_stream_from<D: Read, R: Read, W: Write + Send>(
        &self,
        offset: u64,
        mut done: D,
        iv: &[u8; 16],
        input: R,
        output: W,
    ) -> Result<Verified> {
        if offset == 0 || !offset.is_multiple_of(16) || offset >= self.info.size {
            return Err(Error::malformed(
                "resume",
                "the offset must be a block boundary inside the file",
            ));
        }
        let mut dec =
            PayloadDecryptor::new(&self.filekey, self.hmackey.as_ref(), iv, self.info.size);
        let mut buf = vec![0u8; super::write::CHUNK];
        let mut left = offset;
        while left > 0 {
            let want = left.min(buf.len() as u64) as usize;
            let n = done.read(&mut buf[..want])?;
            if n == 0 {
                return Err(Error::malformed(
                    "resume",
                    "fewer plaintext bytes than the offset",
                ));
            }
            dec.skip_verified(&buf[..n]);
            left -= n as u64;
        }
        run_stream(dec, input, output)
    }
}

/// The two-thread pipeline of [`DecryptedBoxFile::decrypt_stream`].
fn run_stream<R: Read, W: Write + Send>(
    mut dec: PayloadDecryptor,
    mut input: R,
    output: W,
) -> Result<Verified> {
    const CHUNK: usize = super::write::CHUNK;
    let mac = dec.detach_mac();
    // Plaintext pieces go to the MAC-and-write thread and come back for reuse.
    let (to_mac, mac_rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(3);
    let (back_tx, back_rx) = std::sync::mpsc::channel::<Vec<u8>>();
    std::thread::scope(|scope| {
        let mac_thread = scope.spawn(move || -> Result<_> {
            let (mut mac, mut output) = (mac, output);
            for piece in mac_rx {
                if let Some(m) = mac.as_mut() {
                    hmac::Mac::update(m, &piece);
                }
                output.write_all(&piece)?;
                let _ = back_tx.send(piece);
            }
            Ok((mac, output))
        });
        let mut inbuf = Vec::with_capacity(CHUNK);
        let fed = (|| -> Result<()> {
            loop {
                inbuf.clear();
                input.by_ref().take(CHUNK as u64).read_to_end(&mut inbuf)?;
                if inbuf.is_empty() {
                    return Ok(());
                }
                let mut out = back_rx
                    .try_recv()
                    .unwrap_or_else(|_| Vec::with_capacity(CHUNK + 32));
                out.clear();
                dec.update(&inbuf, &mut out)?;
                // A closed channel means the writer failed; its join says why.
                if !out.is_empty() && to_mac.send(out).is_err() {
                    return Ok(());
                }
            }
        })();
        drop(to_mac);
        let joined = mac_thread
            .join()
            .map_err(|_| Error::Io(std::io::Error::other("HMAC thread panicked")))?;
        fed?;
        let (mac, mut output) = joined?;
        let mut last = Vec::with_capacity(32);
        let verified = dec.finish_detached(&mut last, mac)?;
        output.write_all(&last)?;
        output.flush()?;
        Ok(verified)
    })
}

/// The default limit for readers that have no LocalBox setting.
pub const DEFAULT_METADATA_MAX: usize = METADATA_MAX;
