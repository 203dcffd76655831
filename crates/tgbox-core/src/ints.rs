//! Integer encodings of spec §2.1: unsigned big-endian, minimal length plus a sign byte.

use crate::{Error, Result};

/// `int_to_bytes(v)`: `floor(bitlen(v)/8) + 1` big-endian bytes (spec §2.1).
///
/// This is Python's `v.to_bytes(v.bit_length() // 8 + 1)`, so `128` is `00 80` and `0` is `00`.
pub fn int_to_bytes(v: u64) -> Vec<u8> {
    let bitlen = 64 - v.leading_zeros() as usize;
    let len = bitlen / 8 + 1;
    let be = v.to_be_bytes();
    if len > 8 {
        let mut out = vec![0u8; len - 8];
        out.extend_from_slice(&be);
        out
    } else {
        be[8 - len..].to_vec()
    }
}

/// `bytes_to_int(b)` for any length (empty is 0); fails only when the value exceeds `u64`.
///
/// # Errors
/// [`Error::Malformed`] when the value does not fit in 64 bits.
pub fn bytes_to_int(b: &[u8]) -> Result<u64> {
    let significant = b
        .iter()
        .position(|&x| x != 0)
        .map_or(&b[b.len()..], |i| &b[i..]);
    if significant.len() > 8 {
        return Err(Error::malformed(
            "integer",
            format!("{} significant bytes", significant.len()),
        ));
    }
    Ok(significant
        .iter()
        .fold(0u64, |acc, &x| (acc << 8) | u64::from(x)))
}

/// The largest value a 3-byte length field holds.
pub const LEN24_MAX: usize = 0xFF_FFFF;

/// A 3-byte big-endian length (spec §2.1, `int_to_bytes(v, 3)`).
///
/// # Errors
/// [`Error::TooLarge`] when `v` exceeds 16 777 215.
pub fn len24(v: usize, what: &'static str) -> Result<[u8; 3]> {
    if v > LEN24_MAX {
        return Err(Error::TooLarge {
            what,
            size: v as u64,
            limit: LEN24_MAX as u64,
        });
    }
    Ok([(v >> 16) as u8, (v >> 8) as u8, v as u8])
}

/// Reads a 3-byte big-endian length.
pub fn read_len24(b: [u8; 3]) -> usize {
    (usize::from(b[0]) << 16) | (usize::from(b[1]) << 8) | usize::from(b[2])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn examples_of_the_spec() {
        for (v, hex) in [
            (0u64, "00"),
            (8, "08"),
            (127, "7f"),
            (128, "0080"),
            (255, "00ff"),
            (256, "0100"),
            (65535, "00ffff"),
            (65536, "010000"),
        ] {
            assert_eq!(int_to_bytes(v), hex::decode(hex).unwrap(), "{v}");
        }
        assert_eq!(
            int_to_bytes(u64::MAX),
            hex::decode("00ffffffffffffffff").unwrap()
        );
    }

    #[test]
    fn oversized_integer_is_an_error() {
        assert!(bytes_to_int(&[1; 9]).is_err());
        assert_eq!(bytes_to_int(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5]).unwrap(), 5);
        assert_eq!(bytes_to_int(&[]).unwrap(), 0);
    }

    #[test]
    fn len24_limit() {
        assert!(len24(LEN24_MAX + 1, "x").is_err());
        assert_eq!(read_len24(len24(LEN24_MAX, "x").unwrap()), LEN24_MAX);
    }

    proptest! {
        #[test]
        fn int_round_trip(v: u64) {
            let b = int_to_bytes(v);
            prop_assert_eq!(bytes_to_int(&b).unwrap(), v);
            prop_assert!(b[0] & 0x80 == 0);
        }
    }
}
