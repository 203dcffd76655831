//! AES-256-CBC as TGBOX uses it (spec §5): one-shot `IV ‖ CBC(PKCS7(x))` for small fields and
//! streaming states for payloads, with **strict** PKCS#7 on decryption.
//!
//! The reference unpads leniently (only the last byte is read); honest writers never produce
//! anything a strict reader refuses, so strictness costs no compatibility (§5).

use crate::{Error, Result, rng::Entropy};
use aes::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit, array::Array};
use zeroize::{Zeroize, Zeroizing};

/// The AES block size.
pub const BLOCK: usize = 16;

type Enc = cbc::Encryptor<aes::Aes256>;
type Dec = cbc::Decryptor<aes::Aes256>;

fn enc_in_place(e: &mut Enc, buf: &mut [u8]) {
    let (blocks, rest) = Array::slice_as_chunks_mut(buf);
    debug_assert!(rest.is_empty(), "callers pass whole blocks");
    e.encrypt_blocks(blocks);
}

fn dec_in_place(d: &mut Dec, buf: &mut [u8]) {
    let (blocks, rest) = Array::slice_as_chunks_mut(buf);
    debug_assert!(rest.is_empty(), "callers pass whole blocks");
    d.decrypt_blocks(blocks);
}

/// PKCS#7 padding for a message of `len` bytes: always 1 to 16 bytes.
pub fn padding(len: u64) -> Vec<u8> {
    let n = BLOCK - (len % BLOCK as u64) as usize;
    vec![n as u8; n]
}

/// Ciphertext length of a padded message: `16·(floor(len/16)+1)`.
pub fn padded_len(len: u64) -> u64 {
    (len / BLOCK as u64 + 1) * BLOCK as u64
}

/// Strict PKCS#7: `1 ≤ n ≤ 16` and all `n` bytes equal `n`. Returns the unpadded length.
fn strict_unpad(block: &[u8]) -> Result<usize> {
    let n = *block.last().ok_or(Error::Decryption)? as usize;
    if n == 0 || n > BLOCK || n > block.len() {
        return Err(Error::Decryption);
    }
    // Constant-time over the padding bytes: the caller learns only "valid or not".
    let bad = block[block.len() - n..]
        .iter()
        .fold(0u8, |acc, &b| acc | (b ^ n as u8));
    if bad != 0 {
        return Err(Error::Decryption);
    }
    Ok(block.len() - n)
}

/// `Enc(K, X) = IV ‖ AES-CBC(K, IV, PKCS7(X))` with a fresh IV (spec §5).
///
/// # Errors
/// [`Error::Entropy`].
pub fn encrypt(key: &[u8; 32], plaintext: &[u8], rng: &mut dyn Entropy) -> Result<Vec<u8>> {
    let iv: [u8; 16] = crate::rng::array(rng)?;
    Ok(encrypt_with_iv(key, &iv, plaintext))
}

/// `IV ‖ AES-CBC(K, IV, PKCS7(X))` with the given IV.
pub fn encrypt_with_iv(key: &[u8; 32], iv: &[u8; 16], plaintext: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + padded_len(plaintext.len() as u64) as usize);
    out.extend_from_slice(iv);
    out.extend_from_slice(plaintext);
    out.extend_from_slice(&padding(plaintext.len() as u64));
    let mut e = Enc::new(key.into(), iv.into());
    enc_in_place(&mut e, &mut out[16..]);
    out
}

/// Inverse of [`encrypt`]: the first 16 bytes are the IV; strict PKCS#7.
///
/// # Errors
/// [`Error::Decryption`] for a wrong key, bad length or bad padding.
pub fn decrypt(key: &[u8; 32], data: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    if data.len() < 32 || !data.len().is_multiple_of(BLOCK) {
        return Err(Error::Decryption);
    }
    let (iv, ct) = data.split_at(16);
    let iv: &[u8; 16] = iv.try_into().expect("16 bytes");
    let mut buf = Zeroizing::new(ct.to_vec());
    let mut d = Dec::new(key.into(), iv.into());
    dec_in_place(&mut d, &mut buf);
    let len = strict_unpad(&buf)?;
    buf.truncate(len);
    Ok(buf)
}

/// CBC without padding and without a stored IV (the key inside a ShareKey, spec §11.1).
pub(crate) fn encrypt_nopad(key: &[u8; 32], iv: &[u8; 16], data: &[u8; 32]) -> [u8; 32] {
    let mut out = *data;
    enc_in_place(&mut Enc::new(key.into(), iv.into()), &mut out);
    out
}

/// Inverse of [`encrypt_nopad`].
pub(crate) fn decrypt_nopad(key: &[u8; 32], iv: &[u8; 16], data: &[u8; 32]) -> [u8; 32] {
    let mut out = *data;
    dec_in_place(&mut Dec::new(key.into(), iv.into()), &mut out);
    out
}

/// A CBC encryption stream that keeps its chain across calls (the reference's `AESwState`).
pub struct CbcEncryptor {
    inner: Enc,
    pending: [u8; BLOCK],
    pending_len: usize,
    total: u64,
}

impl CbcEncryptor {
    /// A stream with the given key and IV. The IV is not emitted.
    pub fn new(key: &[u8; 32], iv: &[u8; 16]) -> Self {
        Self {
            inner: Enc::new(key.into(), iv.into()),
            pending: [0; BLOCK],
            pending_len: 0,
            total: 0,
        }
    }

    /// Encrypts a whole number of blocks in place: the zero-copy hot path.
    ///
    /// # Panics
    /// Never on input data; a length that is not a multiple of 16 after a previous unaligned
    /// [`update`](Self::update) is a programming error and is refused with a debug assertion only
    /// because the encryption would otherwise be wrong. Use `update` for arbitrary lengths.
    pub fn encrypt_blocks_in_place(&mut self, buf: &mut [u8]) {
        assert!(
            self.pending_len == 0 && buf.len().is_multiple_of(BLOCK),
            "whole blocks only"
        );
        self.total += buf.len() as u64;
        enc_in_place(&mut self.inner, buf);
    }

    /// Encrypts any amount of plaintext, appending whole ciphertext blocks to `out`.
    pub fn update(&mut self, mut input: &[u8], out: &mut Vec<u8>) {
        self.total += input.len() as u64;
        if self.pending_len > 0 {
            let take = (BLOCK - self.pending_len).min(input.len());
            self.pending[self.pending_len..self.pending_len + take].copy_from_slice(&input[..take]);
            self.pending_len += take;
            input = &input[take..];
            if self.pending_len < BLOCK {
                return;
            }
            let mut block = self.pending;
            enc_in_place(&mut self.inner, &mut block);
            out.extend_from_slice(&block);
            self.pending_len = 0;
        }
        let whole = input.len() - input.len() % BLOCK;
        let start = out.len();
        out.extend_from_slice(&input[..whole]);
        enc_in_place(&mut self.inner, &mut out[start..]);
        let rest = &input[whole..];
        self.pending[..rest.len()].copy_from_slice(rest);
        self.pending_len = rest.len();
    }

    /// Pads what is left (PKCS#7, 1 to 16 bytes) and appends the last block(s).
    pub fn finish(mut self, out: &mut Vec<u8>) {
        let pad = padding(self.total);
        let mut block = self.pending;
        block[self.pending_len..].copy_from_slice(&pad);
        enc_in_place(&mut self.inner, &mut block);
        out.extend_from_slice(&block);
        self.pending.zeroize();
    }
}

/// A CBC decryption stream that holds back the last block until [`finish`](Self::finish), where
/// the padding is checked strictly.
pub struct CbcDecryptor {
    inner: Dec,
    held: Zeroizing<Vec<u8>>,
}

impl CbcDecryptor {
    /// A stream with the given key and IV.
    pub fn new(key: &[u8; 32], iv: &[u8; 16]) -> Self {
        Self {
            inner: Dec::new(key.into(), iv.into()),
            held: Zeroizing::new(Vec::with_capacity(2 * BLOCK)),
        }
    }

    /// Feeds ciphertext; appends every plaintext block except the last one seen so far.
    pub fn update(&mut self, input: &[u8], out: &mut Vec<u8>) {
        // The logical stream is `held ‖ input`. Keep its last whole block (it may be the
        // padding) plus any partial block; decrypt the rest straight into `out` (one copy).
        let total = self.held.len() + input.len();
        let keep = BLOCK + total % BLOCK;
        if total <= keep {
            self.held.extend_from_slice(input);
            return;
        }
        let ready = total - keep;
        let start = out.len();
        let from_held = ready.min(self.held.len());
        out.extend_from_slice(&self.held[..from_held]);
        let from_input = ready - from_held;
        out.extend_from_slice(&input[..from_input]);
        dec_in_place(&mut self.inner, &mut out[start..]);
        self.held.drain(..from_held);
        self.held.extend_from_slice(&input[from_input..]);
    }

    /// Decrypts and strictly unpads the last block.
    ///
    /// # Errors
    /// [`Error::Decryption`] when the ciphertext was not a positive multiple of 16 bytes or the
    /// padding is wrong.
    pub fn finish(mut self, out: &mut Vec<u8>) -> Result<()> {
        if self.held.len() != BLOCK {
            return Err(Error::Decryption);
        }
        let mut block = [0u8; BLOCK];
        block.copy_from_slice(&self.held);
        dec_in_place(&mut self.inner, &mut block);
        let len = strict_unpad(&block);
        let res = len.map(|l| out.extend_from_slice(&block[..l]));
        block.zeroize();
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn streaming_equals_one_shot(data: Vec<u8>, cuts in proptest::collection::vec(0usize..64, 0..8)) {
            let key = [7u8; 32];
            let iv = [9u8; 16];
            let one = encrypt_with_iv(&key, &iv, &data);
            let mut e = CbcEncryptor::new(&key, &iv);
            let mut out = Vec::new();
            let mut rest = &data[..];
            for c in cuts {
                let c = c.min(rest.len());
                e.update(&rest[..c], &mut out);
                rest = &rest[c..];
            }
            e.update(rest, &mut out);
            e.finish(&mut out);
            prop_assert_eq!(&one[16..], &out[..]);

            let mut d = CbcDecryptor::new(&key, &iv);
            let mut pt = Vec::new();
            for piece in out.chunks(13) {
                d.update(piece, &mut pt);
            }
            d.finish(&mut pt).unwrap();
            prop_assert_eq!(&pt, &data);
            prop_assert_eq!(&*decrypt(&key, &one).unwrap(), &data);
        }

        #[test]
        fn decrypt_never_panics(data: Vec<u8>) {
            let _ = decrypt(&[1; 32], &data);
        }
    }

    #[test]
    fn lenient_padding_is_refused() {
        // One block of 'A' then a block that decrypts to sixteen zero bytes: the reference
        // yields an empty result (spec §5); we refuse.
        let key = [0u8; 32];
        let iv = [0u8; 16];
        let mut e = CbcEncryptor::new(&key, &iv);
        let mut ct = Vec::new();
        let mut blocks = [0x41u8; 16].to_vec();
        blocks.extend_from_slice(&[0u8; 16]);
        e.encrypt_blocks_in_place(&mut blocks);
        ct.extend_from_slice(&iv);
        ct.extend_from_slice(&blocks);
        assert!(matches!(decrypt(&key, &ct), Err(Error::Decryption)));
    }
}
