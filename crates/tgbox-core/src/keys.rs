//! The key hierarchy of spec §4 and the text form of every key type (§4.7).
//!
//! ```text
//! phrase ──scrypt──SHA256──► BaseKey ──‖BoxSalt──SHA256──► MainKey
//! MainKey ──(path parts §4.3)──► DirectoryKey ──‖FileSalt──► FileKey ──HMAC(FileSalt)──► HMACKey
//! ```
//! Secret keys are zeroized on drop, never `Clone`, `Copy` or `Serialize`, print as
//! `MainKey(<redacted>)` and compare in constant time.

use crate::{
    Error, Result, b64,
    rng::Entropy,
    salts::{BoxSalt, FileSalt},
};
use hmac::{KeyInit, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

pub(crate) fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

pub(crate) fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut m = hmac::Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    m.update(msg);
    m.finalize().into_bytes().into()
}

/// What every key type shares: its text prefix and its raw bytes (spec §4.7).
pub trait Key {
    /// The class-name letter of the reference (`B`, `M`, `R`, ...).
    const PREFIX: char;
    /// The type's name as the spec spells it.
    const NAME: &'static str;
    /// The raw key bytes.
    fn key_bytes(&self) -> &[u8];
    /// `prefix ‖ base64url(bytes)`, the form users copy around.
    fn encode(&self) -> Zeroizing<String> {
        let mut s = String::with_capacity(1 + self.key_bytes().len().div_ceil(3) * 4);
        s.push(Self::PREFIX);
        let mut body = b64::encode(self.key_bytes());
        s.push_str(&body);
        body.zeroize();
        Zeroizing::new(s)
    }
}

macro_rules! secret_key {
    ($(#[$m:meta])* $name:ident, $prefix:literal, $spec:literal) => {
        $(#[$m])*
        pub struct $name([u8; 32]);

        impl $name {
            /// Wraps 32 raw bytes.
            pub fn from_bytes(bytes: [u8; 32]) -> Self {
                Self(bytes)
            }
            /// Wraps a slice that must be exactly 32 bytes.
            ///
            /// # Errors
            /// [`Error::KeyLength`] for any other length.
            pub fn from_slice(bytes: &[u8]) -> Result<Self> {
                let arr: [u8; 32] = bytes.try_into().map_err(|_| Error::KeyLength {
                    what: $spec,
                    expected: 32,
                    got: bytes.len(),
                })?;
                Ok(Self(arr))
            }
            /// The raw secret; keep the borrow short.
            pub fn expose_secret(&self) -> &[u8; 32] {
                &self.0
            }
            /// Parses the text form (prefix letter and base64url).
            ///
            /// # Errors
            /// [`Error::KeyText`], [`Error::WrongKeyType`] or [`Error::KeyLength`].
            pub fn decode(text: &str) -> Result<Self> {
                let (prefix, mut raw) = decode_text(text)?;
                if prefix != Self::PREFIX {
                    raw.zeroize();
                    return Err(Error::WrongKeyType { expected: $spec, got: name_of(prefix) });
                }
                let out = Self::from_slice(&raw);
                raw.zeroize();
                out
            }
        }

        impl Key for $name {
            const PREFIX: char = $prefix;
            const NAME: &'static str = $spec;
            fn key_bytes(&self) -> &[u8] {
                &self.0
            }
        }

        impl Drop for $name {
            fn drop(&mut self) {
                self.0.zeroize();
            }
        }

        impl zeroize::ZeroizeOnDrop for $name {}

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, concat!($spec, "(<redacted>)"))
            }
        }

        impl ConstantTimeEq for $name {
            fn ct_eq(&self, other: &Self) -> subtle::Choice {
                self.0.ct_eq(&other.0)
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                bool::from(self.ct_eq(other))
            }
        }

        impl Eq for $name {}
    };
}

secret_key!(
    /// `SHA256(scrypt(phrase))`: the root secret of a user (spec §4.1).
    BaseKey, 'B', "BaseKey"
);
secret_key!(
    /// `SHA256(BaseKey ‖ BoxSalt)`: the key of one box (spec §4.2).
    MainKey, 'M', "MainKey"
);
secret_key!(
    /// `SHA256(SHA256(MainKey) ‖ HeadPartID)`: the key of one directory (spec §4.3).
    DirectoryKey, 'D', "DirectoryKey"
);
secret_key!(
    /// The AES key of one file (spec §4.4).
    FileKey, 'F', "FileKey"
);
secret_key!(
    /// `HMAC-SHA256(FileKey, FileSalt)`: the payload tag key, v1.5+ (spec §4.5).
    HmacKey, 'H', "HMACKey"
);
secret_key!(
    /// A key recovered from a ShareKey: a FileKey, DirectoryKey or MainKey (spec §11).
    ImportKey, 'I', "ImportKey"
);

impl BaseKey {
    /// Derives the BaseKey from a phrase (spec §4.1). Needs `128·r·N` bytes (1 GiB by default):
    /// run it off any async executor.
    ///
    /// # Errors
    /// [`Error::ScryptParams`] or [`Error::ScryptMemory`].
    pub fn derive(phrase: &[u8], params: &ScryptParams) -> Result<Self> {
        let out = scrypt_raw(phrase, params)?;
        Ok(Self(sha256(&[&out])))
    }
}

impl MainKey {
    /// `SHA256(BaseKey ‖ BoxSalt)` (spec §4.2).
    pub fn derive(basekey: &BaseKey, box_salt: &BoxSalt) -> Self {
        Self(sha256(&[&basekey.0, box_salt.as_bytes()]))
    }
}

impl DirectoryKey {
    /// `SHA256(SHA256(MainKey) ‖ HeadPartID)` (spec §4.3).
    pub fn derive(mainkey: &MainKey, head_part_id: &[u8; 32]) -> Self {
        let mut inner = sha256(&[&mainkey.0]);
        let out = sha256(&[&inner, head_part_id]);
        inner.zeroize();
        Self(out)
    }
}

impl FileKey {
    /// v1.3+: `SHA256(DirectoryKey ‖ FileSalt)` (spec §4.4).
    pub fn derive(dirkey: &DirectoryKey, file_salt: &FileSalt) -> Self {
        Self(sha256(&[&dirkey.0, file_salt.as_bytes()]))
    }
    /// Before v1.3: `SHA256(MainKey ‖ FileSalt)` (spec §4.4).
    pub fn derive_legacy(mainkey: &MainKey, file_salt: &FileSalt) -> Self {
        Self(sha256(&[&mainkey.0, file_salt.as_bytes()]))
    }
    /// A FileKey from an ImportKey used as a DirectoryKey (spec §11.3, §11.6).
    pub fn derive_from_import(import: &ImportKey, file_salt: &FileSalt) -> Self {
        Self(sha256(&[&import.0, file_salt.as_bytes()]))
    }
}

impl HmacKey {
    /// `HMAC-SHA256(key = FileKey, msg = FileSalt)` (spec §4.5).
    pub fn derive(filekey: &FileKey, file_salt: &FileSalt) -> Self {
        Self(hmac_sha256(&filekey.0, file_salt.as_bytes()))
    }
}

/// The default scrypt salt of spec §4.1 (a global constant of the reference).
pub const DEFAULT_SCRYPT_SALT: [u8; 32] = [
    0x37, 0xce, 0x65, 0xc8, 0x34, 0xc6, 0xef, 0xe0, 0x5d, 0xfa, 0xd0, 0x24, 0x13, 0xc0, 0x95, 0x00,
    0x72, 0xa1, 0xfe, 0x3e, 0xd4, 0x8a, 0x33, 0x36, 0x83, 0x33, 0x84, 0x8d, 0x9c, 0x78, 0x21, 0x67,
];

/// The scrypt parameters of a BaseKey (spec §4.1); [`Default`] is the reference's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScryptParams {
    /// The salt bytes.
    pub salt: Vec<u8>,
    /// `log2(N)`; the default is 20.
    pub log_n: u8,
    /// Block size; the default is 8.
    pub r: u32,
    /// Parallelism; the default is 1.
    pub p: u32,
    /// scrypt output length before the SHA-256; the default is 32.
    pub dklen: usize,
}

impl Default for ScryptParams {
    fn default() -> Self {
        Self {
            salt: DEFAULT_SCRYPT_SALT.to_vec(),
            log_n: 20,
            r: 8,
            p: 1,
            dklen: 32,
        }
    }
}

/// scrypt of `secret` with `params`: `params.dklen` bytes (any length; `scrypt::Params` only
/// fixes the cost, the output buffer sets the length). The working memory is reserved first,
/// so a small host gets a typed error instead of an abort. Needs `128·r·N` bytes: run it off
/// any async executor.
///
/// # Errors
/// [`Error::ScryptParams`] or [`Error::ScryptMemory`].
pub fn scrypt_raw(secret: &[u8], params: &ScryptParams) -> Result<Zeroizing<Vec<u8>>> {
    params.check_memory()?;
    let sp = scrypt::Params::new(params.log_n, params.r, params.p)
        .map_err(|e| Error::ScryptParams(e.to_string()))?;
    let mut out = Zeroizing::new(vec![0u8; params.dklen]);
    scrypt::scrypt(secret, &params.salt, &sp, &mut out)
        .map_err(|e| Error::ScryptParams(e.to_string()))?;
    Ok(out)
}

/// Memory we refuse to go beyond for scrypt, whatever the parameters ask (64 GiB).
const SCRYPT_MEMORY_CAP: u64 = 64 << 30;

impl ScryptParams {
    /// Parameters from `N` (a power of two above 1) as the reference takes them.
    ///
    /// # Errors
    /// [`Error::ScryptParams`] when `n` is not a power of two greater than 1, or r, p or dklen is 0.
    pub fn new(salt: Vec<u8>, n: u64, r: u32, p: u32, dklen: usize) -> Result<Self> {
        if n < 2 || !n.is_power_of_two() {
            return Err(Error::ScryptParams(format!(
                "N must be a power of two above 1, got {n}"
            )));
        }
        if r == 0 || p == 0 || dklen == 0 {
            return Err(Error::ScryptParams(
                "r, p and dklen must be positive".into(),
            ));
        }
        let out = Self {
            salt,
            log_n: n.trailing_zeros() as u8,
            r,
            p,
            dklen,
        };
        out.memory()?;
        Ok(out)
    }

    /// `N`.
    pub fn n(&self) -> u64 {
        1u64 << self.log_n
    }

    /// The salt.
    pub fn salt(&self) -> &[u8] {
        &self.salt
    }

    /// `r`.
    pub fn r(&self) -> u32 {
        self.r
    }

    /// `p`.
    pub fn p(&self) -> u32 {
        self.p
    }

    /// The derived key's length.
    pub fn dklen(&self) -> usize {
        self.dklen
    }

    /// `128·r·(N+p+2)` bytes: what the reference passes as `maxmem`.
    ///
    /// # Errors
    /// [`Error::ScryptParams`] when the figure overflows or exceeds 64 GiB.
    pub fn memory(&self) -> Result<u64> {
        let n = 1u64
            .checked_shl(u32::from(self.log_n))
            .filter(|_| self.log_n < 63);
        let mem = n
            .and_then(|n| n.checked_add(u64::from(self.p) + 2))
            .and_then(|x| x.checked_mul(128 * u64::from(self.r)))
            .filter(|m| *m <= SCRYPT_MEMORY_CAP)
            .ok_or_else(|| Error::ScryptParams("needs more than 64 GiB of memory".into()))?;
        Ok(mem)
    }

    /// Reserves the working memory once up front, so a small host gets a typed error instead of
    /// an abort inside scrypt.
    fn check_memory(&self) -> Result<()> {
        let need = self.memory()?;
        let mut probe: Vec<u8> = Vec::new();
        probe
            .try_reserve_exact(need as usize)
            .map_err(|_| Error::ScryptMemory(need))?;
        Ok(())
    }
}

/// A requester's public key: compressed secp256k1, 33 bytes (spec §4.6, §11.1). Not secret.
#[derive(Clone, PartialEq, Eq)]
pub struct RequestKey(pub(crate) [u8; 33]);

/// `AES-CBC-nopad(key) ‖ giver's compressed public key`, 65 bytes (spec §11.1). Not secret.
#[derive(Clone, PartialEq, Eq)]
pub struct ShareKey(pub(crate) [u8; 65]);

/// `IV ‖ AES-CBC(BaseKey, IV, PKCS7(MainKey))`, 64 bytes (spec §4.6, Appendix A).
#[derive(Clone, PartialEq, Eq)]
pub struct EncryptedMainKey(pub(crate) [u8; 64]);

macro_rules! public_key {
    ($name:ident, $len:literal, $prefix:literal, $spec:literal) => {
        impl $name {
            /// Wraps raw bytes of the right length.
            ///
            /// # Errors
            /// [`Error::KeyLength`] for any other length.
            pub fn from_slice(bytes: &[u8]) -> Result<Self> {
                Ok(Self(bytes.try_into().map_err(|_| Error::KeyLength {
                    what: $spec,
                    expected: $len,
                    got: bytes.len(),
                })?))
            }
            /// The raw bytes.
            pub fn as_bytes(&self) -> &[u8; $len] {
                &self.0
            }
            /// Parses the text form.
            ///
            /// # Errors
            /// [`Error::KeyText`], [`Error::WrongKeyType`] or [`Error::KeyLength`].
            pub fn decode(text: &str) -> Result<Self> {
                let (prefix, raw) = decode_text(text)?;
                if prefix != Self::PREFIX {
                    return Err(Error::WrongKeyType {
                        expected: $spec,
                        got: name_of(prefix),
                    });
                }
                Self::from_slice(&raw)
            }
        }
        impl Key for $name {
            const PREFIX: char = $prefix;
            const NAME: &'static str = $spec;
            fn key_bytes(&self) -> &[u8] {
                &self.0
            }
        }
        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({})", $spec, &*self.encode())
            }
        }
    };
}

public_key!(RequestKey, 33, 'R', "RequestKey");
public_key!(ShareKey, 65, 'S', "ShareKey");
public_key!(EncryptedMainKey, 64, 'E', "EncryptedMainkey");

impl EncryptedMainKey {
    /// Encrypts a MainKey under a BaseKey with a fresh IV (LocalBox `BOX_DATA.MAINKEY`).
    ///
    /// # Errors
    /// [`Error::Entropy`].
    pub fn seal(basekey: &BaseKey, mainkey: &MainKey, rng: &mut dyn Entropy) -> Result<Self> {
        let ct = crate::aes_cbc::encrypt(basekey.expose_secret(), &mainkey.0, rng)?;
        Self::from_slice(&ct)
    }
    /// Recovers the MainKey.
    ///
    /// # Errors
    /// [`Error::Decryption`] with the wrong BaseKey.
    pub fn open(&self, basekey: &BaseKey) -> Result<MainKey> {
        let pt = crate::aes_cbc::decrypt(basekey.expose_secret(), &self.0)?;
        MainKey::from_slice(&pt).map_err(|_| Error::Decryption)
    }
}

/// A key of any type, as decoded from text whose prefix names the type.
#[derive(Debug)]
#[non_exhaustive]
pub enum AnyKey {
    /// `B…`
    Base(BaseKey),
    /// `M…`
    Main(MainKey),
    /// `R…`
    Request(RequestKey),
    /// `S…`
    Share(ShareKey),
    /// `I…`
    Import(ImportKey),
    /// `F…`
    File(FileKey),
    /// `E…`
    EncryptedMain(EncryptedMainKey),
    /// `D…`
    Directory(DirectoryKey),
    /// `H…`
    Hmac(HmacKey),
}

impl AnyKey {
    /// Decodes any key text, checking the length its type needs (spec §4.7).
    ///
    /// # Errors
    /// [`Error::KeyText`] for an unknown prefix or bad base64, [`Error::KeyLength`].
    pub fn decode(text: &str) -> Result<Self> {
        let (prefix, raw) = decode_text(text)?;
        let raw = Zeroizing::new(raw);
        Ok(match prefix {
            'B' => AnyKey::Base(BaseKey::from_slice(&raw)?),
            'M' => AnyKey::Main(MainKey::from_slice(&raw)?),
            'R' => AnyKey::Request(RequestKey::from_slice(&raw)?),
            'S' => AnyKey::Share(ShareKey::from_slice(&raw)?),
            'I' => AnyKey::Import(ImportKey::from_slice(&raw)?),
            'F' => AnyKey::File(FileKey::from_slice(&raw)?),
            'E' => AnyKey::EncryptedMain(EncryptedMainKey::from_slice(&raw)?),
            'D' => AnyKey::Directory(DirectoryKey::from_slice(&raw)?),
            'H' => AnyKey::Hmac(HmacKey::from_slice(&raw)?),
            _ => unreachable!("decode_text only returns known prefixes"),
        })
    }

    /// The spec's name of the key's type.
    pub fn type_name(&self) -> &'static str {
        match self {
            AnyKey::Base(_) => BaseKey::NAME,
            AnyKey::Main(_) => MainKey::NAME,
            AnyKey::Request(_) => RequestKey::NAME,
            AnyKey::Share(_) => ShareKey::NAME,
            AnyKey::Import(_) => ImportKey::NAME,
            AnyKey::File(_) => FileKey::NAME,
            AnyKey::EncryptedMain(_) => EncryptedMainKey::NAME,
            AnyKey::Directory(_) => DirectoryKey::NAME,
            AnyKey::Hmac(_) => HmacKey::NAME,
        }
    }
}

fn name_of(prefix: char) -> &'static str {
    match prefix {
        'B' => "BaseKey",
        'M' => "MainKey",
        'R' => "RequestKey",
        'S' => "ShareKey",
        'I' => "ImportKey",
        'F' => "FileKey",
        'E' => "EncryptedMainkey",
        'D' => "DirectoryKey",
        'H' => "HMACKey",
        _ => "unknown key",
    }
}

/// Splits key text into its prefix and raw bytes. Surrounding whitespace is ignored.
fn decode_text(text: &str) -> Result<(char, Vec<u8>)> {
    let text = text.trim();
    let mut chars = text.chars();
    let prefix = chars.next().ok_or_else(|| Error::KeyText("empty".into()))?;
    if !"BMRSIFEDH".contains(prefix) {
        return Err(Error::KeyText(format!(
            "unknown key type prefix {prefix:?}"
        )));
    }
    let raw = b64::decode(chars.as_str()).map_err(|e| Error::KeyText(e.to_string()))?;
    Ok((prefix, raw))
}
