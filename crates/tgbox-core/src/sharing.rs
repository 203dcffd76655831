//! RequestKey → ShareKey → ImportKey (spec §11): an unauthenticated ECDH on secp256k1.
//!
//! ```text
//! b = SHA256(K_B ‖ s_B)                RequestKey = compressed(b·G)
//! a = SHA256(K ‖ SHA256(s_A ‖ RequestKey))
//! ShareKey = AES-CBC-nopad(SHA256(X(a·R)), SHA256(R)[:16], K) ‖ compressed(a·G)
//! ```
//! Compare RequestKey and ShareKey fingerprints out of band: nothing authenticates the exchange
//! (§14.4).

use crate::{
    Error, Result, aes_cbc,
    keys::{BaseKey, DirectoryKey, FileKey, ImportKey, Key, MainKey, RequestKey, ShareKey, sha256},
    salts::{BoxSalt, FileSalt},
};
use k256::elliptic_curve::sec1::ToSec1Point;
use zeroize::Zeroize;

fn secret_scalar(key: &[u8; 32], salt: &[u8]) -> Result<k256::SecretKey> {
    let mut h = sha256(&[key, salt]);
    // Rejects 0 and values ≥ n, as the reference's EC library does (spec §11.1).
    let sk = k256::SecretKey::from_slice(&h).map_err(|_| Error::InvalidScalar);
    h.zeroize();
    sk
}

fn compressed(sk: &k256::SecretKey) -> [u8; 33] {
    let point = sk.public_key().to_sec1_point(true);
    point
        .as_bytes()
        .try_into()
        .expect("a compressed secp256k1 point is 33 bytes")
}

fn ecdh_key(sk: &k256::SecretKey, peer: &[u8]) -> Result<[u8; 32]> {
    let public = k256::PublicKey::from_sec1_bytes(peer).map_err(|_| Error::InvalidPoint)?;
    let shared = k256::ecdh::diffie_hellman(sk.to_nonzero_scalar(), public.as_affine());
    // The ECDH secret is the raw X coordinate, then SHA-256 (spec §11.1).
    Ok(sha256(&[shared.raw_secret_bytes().as_slice()]))
}

/// The requester's side: `K_B` and `s_B` give the private scalar and the RequestKey.
///
/// # Errors
/// [`Error::InvalidScalar`] with probability ≈ 2^-128.
pub fn request_key(k_b: &[u8; 32], s_b: &[u8]) -> Result<RequestKey> {
    Ok(RequestKey(compressed(&secret_scalar(k_b, s_b)?)))
}

/// The giver's side: encrypts the 32-byte key `k` for `request` (spec §11.1).
///
/// # Errors
/// [`Error::InvalidPoint`] for a RequestKey that is not a curve point, [`Error::InvalidScalar`].
pub fn share_key(k: &[u8; 32], s_a: &[u8], request: &RequestKey) -> Result<ShareKey> {
    let t = sha256(&[s_a, request.as_bytes()]);
    let a = secret_scalar(k, &t)?;
    let mut k_enc = ecdh_key(&a, request.as_bytes())?;
    let iv: [u8; 16] = sha256(&[request.as_bytes()])[..16]
        .try_into()
        .expect("16 bytes");
    let enc = aes_cbc::encrypt_nopad(&k_enc, &iv, k);
    k_enc.zeroize();
    let mut out = [0u8; 65];
    out[..32].copy_from_slice(&enc);
    out[32..].copy_from_slice(&compressed(&a));
    Ok(ShareKey(out))
}

/// The requester recovers the key from a ShareKey with the same `K_B`, `s_B` (spec §11.1).
///
/// Nothing in the exchange is authenticated, so a wrong `K_B` or a tampered ShareKey yields a
/// wrong key rather than an error here; it shows as [`Error::Decryption`] at first use.
///
/// # Errors
/// [`Error::InvalidPoint`] when the ShareKey's tail is not a curve point.
pub fn import_key(k_b: &[u8; 32], s_b: &[u8], share: &ShareKey) -> Result<ImportKey> {
    let b = secret_scalar(k_b, s_b)?;
    let request = compressed(&b);
    let mut k_enc = ecdh_key(&b, &share.0[32..])?;
    let iv: [u8; 16] = sha256(&[&request])[..16].try_into().expect("16 bytes");
    let enc: [u8; 32] = share.0[..32].try_into().expect("32 bytes");
    let key = aes_cbc::decrypt_nopad(&k_enc, &iv, &enc);
    k_enc.zeroize();
    Ok(ImportKey::from_bytes(key))
}

impl RequestKey {
    /// Bob asks for one file: his MainKey and the file's FileSalt (spec §11.2).
    ///
    /// # Errors
    /// [`Error::InvalidScalar`].
    pub fn for_file(mainkey: &MainKey, file_salt: &FileSalt) -> Result<Self> {
        request_key(mainkey.expose_secret(), file_salt.as_bytes())
    }
    /// Bob asks for a directory: his MainKey and the FileSalt of any of its files (§11.3).
    ///
    /// # Errors
    /// [`Error::InvalidScalar`].
    pub fn for_directory(mainkey: &MainKey, file_salt: &FileSalt) -> Result<Self> {
        request_key(mainkey.expose_secret(), file_salt.as_bytes())
    }
    /// Bob asks for a whole box: his BaseKey and Alice's BoxSalt (§11.4).
    ///
    /// # Errors
    /// [`Error::InvalidScalar`].
    pub fn for_box(basekey: &BaseKey, box_salt: &BoxSalt) -> Result<Self> {
        request_key(basekey.expose_secret(), box_salt.as_bytes())
    }
}

impl ShareKey {
    /// Alice shares a file's FileKey; her salt is the FileSalt (§11.2).
    ///
    /// # Errors
    /// As [`share_key`].
    pub fn for_file(filekey: &FileKey, file_salt: &FileSalt, request: &RequestKey) -> Result<Self> {
        share_key(filekey.expose_secret(), file_salt.as_bytes(), request)
    }
    /// Alice shares a DirectoryKey; her salt is the directory's HeadPartID, as the reference's
    /// API does (§11.3; any salt interoperates).
    ///
    /// # Errors
    /// As [`share_key`].
    pub fn for_directory(
        dirkey: &DirectoryKey,
        head_part_id: &[u8; 32],
        request: &RequestKey,
    ) -> Result<Self> {
        share_key(dirkey.expose_secret(), head_part_id, request)
    }
    /// Alice shares her MainKey; her salt is the BoxSalt (§11.4).
    ///
    /// # Errors
    /// As [`share_key`].
    pub fn for_box(mainkey: &MainKey, box_salt: &BoxSalt, request: &RequestKey) -> Result<Self> {
        share_key(mainkey.expose_secret(), box_salt.as_bytes(), request)
    }
    /// A short fingerprint to compare out of band: the first 8 bytes of SHA256(text), hex.
    pub fn fingerprint(&self) -> String {
        sha256(&[self.encode().as_bytes()])[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

impl ImportKey {
    /// Unencrypted sharing (§11.5): a key handed over as is.
    pub fn unencrypted(key: &[u8; 32]) -> Self {
        ImportKey::from_bytes(*key)
    }
}
