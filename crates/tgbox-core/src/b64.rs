//! base64url with `=` padding (spec §2), and the lenient decoder the reference accepts (§4.7).
//!
//! Output is always the URL-safe alphabet with padding. Input follows Python's
//! `urlsafe_b64decode`: characters outside the alphabet (spaces, newlines) are dropped, `+` and `/`
//! are accepted beside `-` and `_`, and missing padding is an error. Unlike Python we also refuse
//! `=` anywhere but at the end, and padding that leaves non-zero trailing bits.

use crate::{Error, Result};

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Encodes with the URL-safe alphabet and `=` padding.
pub fn encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn value(c: u8) -> Option<u32> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'-' | b'+' => 62,
        b'_' | b'/' => 63,
        _ => return None,
    } as u32)
}

/// Decodes base64url (or standard base64) text, leniently as described in the module docs.
///
/// # Errors
/// [`Error::Malformed`] on missing or misplaced padding.
pub fn decode(text: &str) -> Result<Vec<u8>> {
    let mut vals = Vec::with_capacity(text.len());
    let mut pad = 0usize;
    for &c in text.as_bytes() {
        if c == b'=' {
            pad += 1;
        } else if let Some(v) = value(c) {
            if pad > 0 {
                return Err(Error::malformed("base64", "data after padding"));
            }
            vals.push(v);
        }
    }
    if !(vals.len() + pad).is_multiple_of(4) || pad > 2 {
        return Err(Error::malformed("base64", "incorrect padding"));
    }
    let rem = vals.len() % 4;
    if rem == 1 || (rem != 0 && rem + pad != 4) || (rem == 0 && pad != 0) {
        return Err(Error::malformed("base64", "incorrect padding"));
    }
    let mut out = Vec::with_capacity(vals.len() * 3 / 4);
    for chunk in vals.chunks(4) {
        let mut n = 0u32;
        for (i, v) in chunk.iter().enumerate() {
            n |= v << (18 - 6 * i);
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        let keep = chunk.len() - 1;
        if keep < 3 && n & (0xFF_FFFF >> (8 * keep)) != 0 {
            return Err(Error::malformed("base64", "non-zero trailing bits"));
        }
        out.extend_from_slice(&bytes[..keep]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn lenient_inputs() {
        assert_eq!(decode("QQ==").unwrap(), b"A");
        assert_eq!(decode(" Q Q\n==\n").unwrap(), b"A");
        assert_eq!(decode("-_-_").unwrap(), decode("+/+/").unwrap());
        assert!(
            decode("QQ").is_err(),
            "missing padding is an error, as in the reference"
        );
        assert!(decode("QQ=").is_err());
        assert!(decode("Q===").is_err());
        assert!(decode("QQ==QQ==").is_err());
        assert!(decode("QR==").is_err(), "non-canonical trailing bits");
        assert_eq!(decode("").unwrap(), b"");
    }

    proptest! {
        #[test]
        fn round_trip(data: Vec<u8>) {
            let e = encode(&data);
            prop_assert_eq!(e.len(), data.len().div_ceil(3) * 4);
            prop_assert_eq!(decode(&e).unwrap(), data);
        }

        #[test]
        fn never_panics(s: String) {
            let _ = decode(&s);
        }
    }
}
