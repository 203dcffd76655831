//! Keys (spec §3, §4): the phrase's UTF-8 bytes through scrypt give the key; an HMAC of the key
//! gives the KeyID, which is the public channel's username.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use tgbox_core::keys::ScryptParams;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// The library's global scrypt salt: ASCII `Rainbow - Stargazer | ` and ten more bytes (§3.1).
pub const DEFAULT_SALT: [u8; 32] = [
    0x52, 0x61, 0x69, 0x6e, 0x62, 0x6f, 0x77, 0x20, 0x2d, 0x20, 0x53, 0x74, 0x61, 0x72, 0x67, 0x61,
    0x7a, 0x65, 0x72, 0x20, 0x7c, 0x20, 0xc2, 0xe4, 0x67, 0xef, 0x2f, 0xbb, 0xc8, 0xab, 0xb4, 0x6b,
];

/// The HMAC message of the KeyID (§4).
const KEYID_MESSAGE: &[u8] = b"Black Sabbath";

/// A birth date as XQt mixes it into the salt: `DD/MM/YYYY`, four-digit year (§3.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Birthday {
    day: u8,
    month: u8,
    year: u16,
}

impl Birthday {
    /// Parses `DD/MM/YYYY` (one-digit day and month are accepted and zero-padded, as XQt's
    /// date field produces them).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for anything else, or a date that does not exist.
    pub fn parse(text: &str) -> Result<Birthday> {
        let bad = || {
            Error::InvalidInput(format!(
                "birthday {text:?}: expected DD/MM/YYYY with a four-digit year"
            ))
        };
        let parts: Vec<&str> = text.trim().split('/').collect();
        let [d, m, y] = parts.as_slice() else {
            return Err(bad());
        };
        let num = |s: &str, max: usize| {
            (!s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse::<u16>().ok())
                .flatten()
        };
        let (day, month) = (num(d, 2).ok_or_else(bad)?, num(m, 2).ok_or_else(bad)?);
        if y.len() != 4 {
            return Err(bad());
        }
        let year = num(y, 4).ok_or_else(bad)?;
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return Err(bad()),
        };
        if year < 1000 || day == 0 || day > days {
            return Err(bad());
        }
        Ok(Birthday {
            day: day as u8,
            month: month as u8,
            year,
        })
    }

    /// `strftime("%d/%m/%Y")`.
    pub fn format(&self) -> String {
        format!("{:02}/{:02}/{:04}", self.day, self.month, self.year)
    }
}

/// A salt typed as hex, read as Python reads it: an integer, then `bit_length // 8 + 1`
/// big-endian bytes, so leading zero bytes are lost and a set top bit gains one (§3.2).
///
/// # Errors
/// [`Error::InvalidInput`] for text that is not hex.
pub fn salt_from_hex_int(hex_text: &str) -> Result<Vec<u8>> {
    let t = hex_text.trim();
    let t = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t);
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::InvalidInput(format!("salt {hex_text:?} is not hex")));
    }
    let digits = t.trim_start_matches('0');
    let even = if digits.len() % 2 == 1 {
        format!("0{digits}")
    } else {
        digits.to_owned()
    };
    let mut bytes: Vec<u8> = (0..even.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&even[i..i + 2], 16).expect("checked hex"))
        .collect();
    // bit_length // 8 + 1: one leading zero byte when the top bit is set, and for 0 itself.
    if bytes.first().is_none_or(|b| b & 0x80 != 0) {
        bytes.insert(0, 0);
    }
    Ok(bytes)
}

/// XQt's salt: `SHA-256(UTF-8(DD/MM/YYYY) ‖ salt)` (§3.3).
pub fn birthday_salt(birthday: &Birthday, salt: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(birthday.format().as_bytes());
    h.update(salt);
    h.finalize().into()
}

/// How the key is derived: scrypt parameters, and XQt's birthday when one is given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyParams {
    /// The salt before any birthday is mixed in.
    pub salt: Vec<u8>,
    /// scrypt N (a power of two above 1).
    pub n: u64,
    /// scrypt r.
    pub r: u32,
    /// scrypt p.
    pub p: u32,
    /// Key length (any; the key is only ever an HMAC key, §3.4).
    pub dklen: usize,
    /// XQt's birthday.
    pub birthday: Option<Birthday>,
}

impl Default for KeyParams {
    fn default() -> Self {
        KeyParams {
            salt: DEFAULT_SALT.to_vec(),
            n: 1 << 20,
            r: 8,
            p: 1,
            dklen: 32,
            birthday: None,
        }
    }
}

impl KeyParams {
    /// The scrypt parameters, the birthday mixed into the salt.
    ///
    /// # Errors
    /// [`Error::Core`] for parameters scrypt refuses.
    pub fn scrypt(&self) -> Result<ScryptParams> {
        let salt = match &self.birthday {
            Some(b) => birthday_salt(b, &self.salt).to_vec(),
            None => self.salt.clone(),
        };
        Ok(ScryptParams::new(salt, self.n, self.r, self.p, self.dklen)?)
    }
}

/// The key from a phrase: an HMAC key, secret; zeroized, never printed.
pub struct BackupKey(Zeroizing<Vec<u8>>);

impl std::fmt::Debug for BackupKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BackupKey(<redacted>)")
    }
}

impl BackupKey {
    /// Derives the key from the phrase's exact UTF-8 bytes. Takes `128·r·N` bytes of memory
    /// (1 GiB by default) and seconds: run it off any async executor.
    ///
    /// # Errors
    /// [`Error::Core`] for refused parameters or too little memory.
    pub fn derive(phrase: &[u8], params: &KeyParams) -> Result<BackupKey> {
        let sp = params.scrypt()?;
        Ok(BackupKey(tgbox_core::keys::scrypt_raw(phrase, &sp)?))
    }

    /// A key from raw bytes (tests and vectors).
    pub fn from_bytes(bytes: Vec<u8>) -> BackupKey {
        BackupKey(Zeroizing::new(bytes))
    }

    /// The key bytes.
    pub fn expose_secret(&self) -> &[u8] {
        &self.0
    }

    /// This key's KeyID.
    pub fn key_id(&self) -> KeyId {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key");
        mac.update(KEYID_MESSAGE);
        let tag = mac.finalize().into_bytes();
        KeyId(format!("X{}", base32(&tag[..19])))
    }
}

/// RFC 4648 base32 (upper case), without padding.
fn base32(data: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(data.len().div_ceil(5) * 8);
    let (mut buf, mut bits) = (0u32, 0u32);
    for &b in data {
        buf = (buf << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buf >> bits) & 31) as usize] as char);
        }
        buf &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(ALPHABET[((buf << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// A KeyID: `X` and 31 base32 characters; the backup channel's public username (§4).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KeyId(String);

impl KeyId {
    /// Checks the form `^X[A-Z2-7]{30}[AIQY]$`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`].
    pub fn parse(text: &str) -> Result<KeyId> {
        let b = text.as_bytes();
        let ok = b.len() == 32
            && b[0] == b'X'
            && b[1..31]
                .iter()
                .all(|c| c.is_ascii_uppercase() || (b'2'..=b'7').contains(c))
            && matches!(b[31], b'A' | b'I' | b'Q' | b'Y');
        if !ok {
            return Err(Error::InvalidInput(format!("{text:?} is not a KeyID")));
        }
        Ok(KeyId(text.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_matches_rfc4648() {
        assert_eq!(base32(b""), "");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
    }

    #[test]
    fn birthdays() {
        assert_eq!(
            Birthday::parse("07/03/1990").unwrap().format(),
            "07/03/1990"
        );
        assert_eq!(Birthday::parse("7/3/1990").unwrap().format(), "07/03/1990");
        assert_eq!(
            Birthday::parse("29/02/2000").unwrap().format(),
            "29/02/2000"
        );
        for bad in [
            "",
            "1990-03-07",
            "32/01/1990",
            "29/02/1900",
            "00/01/2000",
            "01/13/2000",
            "01/01/990",
            "01/01/19900",
            "a/b/cdef",
            "1/1/ 990",
            "+1/01/2000",
        ] {
            assert!(Birthday::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn key_ids_are_checked() {
        let id = BackupKey::from_bytes(vec![0; 32]).key_id();
        assert_eq!(KeyId::parse(id.as_str()).unwrap(), id);
        for bad in [
            "",
            "XROPZIJYQNE3FRF4XSB5X4NWK4YWI3TB",
            "xROPZIJYQNE3FRF4XSB5X4NWK4YWI3TY",
        ] {
            assert!(KeyId::parse(bad).is_err(), "{bad}");
        }
        assert!(!format!("{:?}", BackupKey::from_bytes(vec![7; 32])).contains('7'));
    }
}
