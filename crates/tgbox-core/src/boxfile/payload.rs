//! Streaming payload encryption and verification (spec §5.1, §8.1, §8.6 step 7).
//!
//! Encryption: AES-256-CBC over the plaintext with PKCS#7, then `HMAC-SHA256(HMACKey, P)`.
//! Decryption holds back the last 32 bytes (the tag) and the last block (the padding) until
//! [`PayloadDecryptor::finish`], which checks padding, tag (constant time) and `file_size`.

use crate::{
    Error, Result,
    aes_cbc::{CbcDecryptor, CbcEncryptor},
    keys::{FileKey, HmacKey},
};
use hmac::{KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::TAG_LEN;

type HmacSha256 = hmac::Hmac<Sha256>;

/// Proof that a payload's tag (when it has one) and length were verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct Verified {
    /// Plaintext bytes produced.
    pub len: u64,
    /// Whether an HMAC tag was checked (false only for pre-v1.5 files, which have none).
    pub tag_checked: bool,
}

/// Encrypts a payload of a declared size; [`finish`](Self::finish) appends padding and tag.
///
/// It is the two halves the streaming writer runs on two threads, used on one.
pub struct PayloadEncryptor {
    enc: EncryptHalf,
    mac: MacHalf,
}

impl PayloadEncryptor {
    pub(crate) fn new(filekey: &FileKey, hmackey: &HmacKey, iv: &[u8; 16], declared: u64) -> Self {
        Self {
            enc: EncryptHalf {
                cbc: CbcEncryptor::new(filekey.expose_secret(), iv),
                declared,
                seen: 0,
            },
            mac: MacHalf {
                mac: HmacSha256::new_from_slice(hmackey.expose_secret()).expect("any key length"),
            },
        }
    }

    /// Encrypts `plain`, appending ciphertext to `out`.
    ///
    /// # Errors
    /// [`Error::SizeMismatch`] once more plaintext arrives than was declared.
    pub fn update(&mut self, plain: &[u8], out: &mut Vec<u8>) -> Result<()> {
        self.enc.update(plain, out)?;
        self.mac.update(plain);
        Ok(())
    }

    /// Splits the work across two threads: the caller encrypts, the returned half MACs.
    pub(crate) fn split(self) -> (EncryptHalf, MacHalf) {
        (self.enc, self.mac)
    }

    /// Pads, appends the last ciphertext block and the 32-byte tag.
    ///
    /// # Errors
    /// [`Error::SizeMismatch`] when less plaintext arrived than was declared.
    pub fn finish(self, out: &mut Vec<u8>) -> Result<()> {
        self.enc.finish(self.mac.finish(), out)
    }
}

/// The AES half of a [`PayloadEncryptor`]; it also enforces the declared size.
pub(crate) struct EncryptHalf {
    cbc: CbcEncryptor,
    declared: u64,
    seen: u64,
}

impl EncryptHalf {
    pub(crate) fn update(&mut self, plain: &[u8], out: &mut Vec<u8>) -> Result<()> {
        self.seen += plain.len() as u64;
        if self.seen > self.declared {
            return Err(Error::SizeMismatch {
                declared: self.declared,
                actual: self.seen,
            });
        }
        self.cbc.update(plain, out);
        Ok(())
    }

    pub(crate) fn finish(self, tag: [u8; 32], out: &mut Vec<u8>) -> Result<()> {
        if self.seen != self.declared {
            return Err(Error::SizeMismatch {
                declared: self.declared,
                actual: self.seen,
            });
        }
        self.cbc.finish(out);
        out.extend_from_slice(&tag);
        Ok(())
    }
}

/// The HMAC half of a split [`PayloadEncryptor`].
pub(crate) struct MacHalf {
    mac: HmacSha256,
}

impl MacHalf {
    pub(crate) fn update(&mut self, plain: &[u8]) {
        self.mac.update(plain);
    }
    pub(crate) fn finish(self) -> [u8; 32] {
        self.mac.finalize().into_bytes().into()
    }
}

/// Decrypts and verifies a payload stream.
///
/// Plaintext handed out by [`update`](Self::update) is **unverified** until
/// [`finish`](Self::finish) returns [`Verified`]: write it to a temporary place and release it
/// only then (spec §14.2).
pub struct PayloadDecryptor {
    cbc: CbcDecryptor,
    mac: Option<HmacSha256>,
    /// Whether the stream ends in a tag (v1.5+); independent of `mac`, which a two-thread
    /// reader takes to another thread.
    has_tag: bool,
    declared: u64,
    produced: u64,
    tail: Vec<u8>,
}

impl PayloadDecryptor {
    pub(crate) fn new(
        filekey: &FileKey,
        hmackey: Option<&HmacKey>,
        iv: &[u8; 16],
        declared: u64,
    ) -> Self {
        Self {
            cbc: CbcDecryptor::new(filekey.expose_secret(), iv),
            mac: hmackey
                .map(|k| HmacSha256::new_from_slice(k.expose_secret()).expect("any key length")),
            has_tag: hmackey.is_some(),
            declared,
            produced: 0,
            tail: Vec::with_capacity(2 * TAG_LEN),
        }
    }

    /// Feeds the bytes of the document that follow the header (ciphertext, then tag); appends
    /// unverified plaintext to `out`.
    ///
    /// # Errors
    /// [`Error::SizeMismatch`] as soon as the plaintext outgrows the declared size.
    pub fn update(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<()> {
        let start = out.len();
        if !self.has_tag {
            self.cbc.update(input, out);
            return self.account(start, out);
        }
        // The logical stream is `tail ‖ input`; everything but its last TAG_LEN bytes may be
        // decrypted now, the rest is held back because it may be the tag.
        let total = self.tail.len() + input.len();
        if total <= TAG_LEN {
            self.tail.extend_from_slice(input);
            return Ok(());
        }
        let release = total - TAG_LEN;
        let from_tail = release.min(self.tail.len());
        self.cbc.update(&self.tail[..from_tail], out);
        let from_input = release - from_tail;
        self.cbc.update(&input[..from_input], out);
        self.tail.drain(..from_tail);
        self.tail.extend_from_slice(&input[from_input..]);
        self.account(start, out)
    }

    fn account(&mut self, start: usize, out: &[u8]) -> Result<()> {
        account(
            &mut self.mac,
            &mut self.produced,
            self.declared,
            &out[start..],
        )
    }

    /// Unpads, checks the tag in constant time and the length against `file_size`.
    ///
    /// # Errors
    /// [`Error::Decryption`] (bad padding, bad tag, truncated input) or [`Error::SizeMismatch`].
    pub fn finish(mut self, out: &mut Vec<u8>) -> Result<Verified> {
        let mac = self.mac.take();
        self.finish_detached(out, mac)
    }

    /// Accounts for plaintext that an earlier, interrupted run already produced (a resumed
    /// download): it goes into the HMAC and the length count without being decrypted again.
    pub(crate) fn skip_verified(&mut self, plain: &[u8]) {
        if let Some(mac) = self.mac.as_mut() {
            mac.update(plain);
        }
        self.produced += plain.len() as u64;
    }

    /// Takes the HMAC out, so that another thread can feed it the plaintext that
    /// [`update`](Self::update) produces from now on; [`finish_detached`](Self::finish_detached)
    /// takes it back.
    pub(crate) fn detach_mac(&mut self) -> Option<HmacSha256> {
        self.mac.take()
    }

    /// [`finish`](Self::finish) with the HMAC that [`detach_mac`](Self::detach_mac) took out,
    /// after it has seen every plaintext byte produced so far.
    pub(crate) fn finish_detached(
        self,
        out: &mut Vec<u8>,
        mut mac: Option<HmacSha256>,
    ) -> Result<Verified> {
        let Self {
            cbc,
            has_tag,
            declared,
            mut produced,
            tail,
            ..
        } = self;
        if mac.is_some() != has_tag {
            return Err(Error::Decryption);
        }
        if has_tag && tail.len() != TAG_LEN {
            return Err(Error::Decryption);
        }
        let start = out.len();
        cbc.finish(out)?;
        account(&mut mac, &mut produced, declared, &out[start..])?;
        let tag_checked = match mac {
            Some(mac) => {
                let computed = mac.finalize().into_bytes();
                if !bool::from(computed.as_slice().ct_eq(&tail)) {
                    return Err(Error::Decryption);
                }
                true
            }
            None => false,
        };
        if produced != declared {
            return Err(Error::SizeMismatch {
                declared,
                actual: produced,
            });
        }
        Ok(Verified {
            len: produced,
            tag_checked,
        })
    }
}

fn account(
    mac: &mut Option<HmacSha256>,
    produced: &mut u64,
    declared: u64,
    new: &[u8],
) -> Result<()> {
    if let Some(mac) = mac.as_mut() {
        mac.update(new);
    }
    *produced += new.len() as u64;
    if *produced > declared {
        return Err(Error::SizeMismatch {
            declared,
            actual: *produced,
        });
    }
    Ok(())
}
