//! PackedAttributes, the key/value container of every TGBOX structure (spec §6).
//!
//! `0xFF { len24(key) ‖ key ‖ len24(value) ‖ value }*`, keys ASCII on output (§6.1), key order
//! shuffled with a seeded Mersenne Twister since v1.5 (§6.2), parsed **strictly**: truncation,
//! invalid UTF-8 and a missing `FF` are errors, because "garbage ⇒ unpack failure" is what detects
//! tampered metadata (§6.3, §14).

use crate::{
    Error, Result,
    ints::{LEN24_MAX, len24, read_len24},
    mt19937::Mt19937,
    rng::Entropy,
};

/// An insertion-ordered map from text keys to byte values, with Python `dict` semantics:
/// setting an existing key keeps its position, a new key goes last.
#[derive(Clone, Default)]
pub struct Attributes {
    entries: Vec<(String, Vec<u8>)>,
}

/// Equality is that of dictionaries: the same keys with the same values, in any order.
impl PartialEq for Attributes {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl Eq for Attributes {}

impl std::fmt::Debug for Attributes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Values may be secret (keys, paths): show only names and sizes.
        f.debug_map()
            .entries(self.entries.iter().map(|(k, v)| (k, v.len())))
            .finish()
    }
}

impl Attributes {
    /// An empty container.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` (in place if present, else appended).
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<Vec<u8>>) {
        let key = key.into();
        let value = value.into();
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.entries.push((key, value)),
        }
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&[u8]> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_slice())
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<Vec<u8>> {
        let i = self.entries.iter().position(|(k, _)| k == key)?;
        Some(self.entries.remove(i).1)
    }

    /// Whether `key` is present.
    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }

    /// Keys in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(k, _)| k.as_str())
    }

    /// Keeps the entries for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &[u8]) -> bool) {
        self.entries.retain(|(k, v)| keep(k, v));
    }

    /// Packs the entries in their current order (the pre-v1.5 layout).
    ///
    /// # Errors
    /// [`Error::NonAsciiKey`] (spec §6.1) or [`Error::TooLarge`] for a key or value over 16 MiB.
    pub fn pack_in_order(&self) -> Result<Vec<u8>> {
        let size = 1 + self
            .entries
            .iter()
            .map(|(k, v)| 6 + k.len() + v.len())
            .sum::<usize>();
        let mut out = Vec::with_capacity(size);
        out.push(0xFF);
        for (k, v) in &self.entries {
            if !k.is_ascii() {
                return Err(Error::NonAsciiKey(k.clone()));
            }
            out.extend_from_slice(&len24(k.len(), "attribute key")?);
            out.extend_from_slice(k.as_bytes());
            out.extend_from_slice(&len24(v.len(), "attribute value")?);
            out.extend_from_slice(v);
        }
        Ok(out)
    }

    /// The v1.5+ order: shuffle with `Random(seed)`, then move each protected key that landed
    /// first or last to index `len(rest) // 2` (spec §6.2).
    pub fn shuffled_order(&self, seed: &[u8], protected: &[&str]) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.entries.len()).collect();
        Mt19937::from_seed_bytes(seed).shuffle(&mut order);
        for p in protected {
            let Some(pos) = order.iter().position(|&i| self.entries[i].0 == *p) else {
                continue;
            };
            if pos == 0 || pos == order.len() - 1 {
                let idx = order.remove(pos);
                order.insert(order.len() / 2, idx);
            }
        }
        order
    }

    /// Packs with the given shuffle seed (spec §6.2).
    ///
    /// # Errors
    /// As [`pack_in_order`](Self::pack_in_order).
    pub fn pack_seeded(&self, seed: &[u8], protected: &[&str]) -> Result<Vec<u8>> {
        let order = self.shuffled_order(seed, protected);
        let shuffled = Attributes {
            entries: order.into_iter().map(|i| self.entries[i].clone()).collect(),
        };
        shuffled.pack_in_order()
    }

    /// Packs with a fresh 32-byte seed from `rng` (what every v1.5+ writer does).
    ///
    /// # Errors
    /// As [`pack_in_order`](Self::pack_in_order), or [`Error::Entropy`].
    pub fn pack(&self, protected: &[&str], rng: &mut dyn Entropy) -> Result<Vec<u8>> {
        let seed: [u8; 32] = crate::rng::array(rng)?;
        self.pack_seeded(&seed, protected)
    }

    /// Strict unpacking (spec §6.3): the first byte must be `FF`, every length must fit, keys
    /// must be UTF-8. A repeated key keeps the last value, as in the reference. Empty input is
    /// an empty container.
    ///
    /// # Errors
    /// [`Error::Malformed`] for any deviation.
    pub fn unpack(data: &[u8]) -> Result<Self> {
        let mut out = Self::new();
        if data.is_empty() {
            return Ok(out);
        }
        if data[0] != 0xFF {
            return Err(Error::malformed("PackedAttributes", "missing FF marker"));
        }
        let mut pos = 1;
        let field = |pos: &mut usize| -> Result<&[u8]> {
            let len_bytes: [u8; 3] = data
                .get(*pos..*pos + 3)
                .and_then(|s| s.try_into().ok())
                .ok_or_else(|| Error::malformed("PackedAttributes", "truncated length"))?;
            let len = read_len24(len_bytes);
            debug_assert!(len <= LEN24_MAX);
            let start = *pos + 3;
            let value = data
                .get(start..start + len)
                .ok_or_else(|| Error::malformed("PackedAttributes", "truncated field"))?;
            *pos = start + len;
            Ok(value)
        };
        while pos < data.len() {
            let key = field(&mut pos)?;
            let key = std::str::from_utf8(key)
                .map_err(|_| Error::malformed("PackedAttributes", "key is not UTF-8"))?
                .to_owned();
            let value = field(&mut pos)?.to_vec();
            out.set(key, value);
        }
        Ok(out)
    }
}

impl<K: Into<String>, V: Into<Vec<u8>>> FromIterator<(K, V)> for Attributes {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut out = Self::new();
        for (k, v) in iter {
            out.set(k, v);
        }
        out
    }
}

/// The `_BFP` first block of every encrypted container since v1.5 (spec §6.4):
/// `FF 000004 "_BFP" 000005 r0..r4`, exactly one AES block.
///
/// The reference packs it through the shuffling `pack`, so it spends one seed draw on a
/// one-key shuffle; we draw and discard the same seed so replayed vectors stay in step.
///
/// # Errors
/// [`Error::Entropy`].
pub fn bfp_block(rng: &mut dyn Entropy) -> Result<[u8; 16]> {
    let r: [u8; 5] = crate::rng::array(rng)?;
    let _seed: [u8; 32] = crate::rng::array(rng)?;
    let mut block = [0u8; 16];
    block[..11].copy_from_slice(b"\xff\x00\x00\x04_BFP\x00\x00\x05");
    block[11..].copy_from_slice(&r);
    Ok(block)
}

/// `BFP_block ‖ packed[1:]`: the plaintext of a secret-metadata or caption blob (§6.4).
///
/// The callers draw the `_BFP` block and the fields' shuffle seed themselves, because the
/// reference draws them in a different order for box files (seed first) and captions (`_BFP`
/// first), and replayed vectors must stay in step.
pub fn join_bfp(bfp: &[u8; 16], packed: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + packed.len().saturating_sub(1));
    out.extend_from_slice(bfp);
    out.extend_from_slice(packed.get(1..).unwrap_or_default());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn docs_example_in_insertion_order() {
        let a: Attributes = [("field", b"data".to_vec()), ("x", b"test".to_vec())]
            .into_iter()
            .collect();
        assert_eq!(
            hex::encode(a.pack_in_order().unwrap()),
            "ff0000056669656c64000004646174610000017800000474657374"
        );
    }

    #[test]
    fn non_ascii_key_is_refused() {
        let a: Attributes = [("ключ", b"v".to_vec())].into_iter().collect();
        assert!(matches!(a.pack_in_order(), Err(Error::NonAsciiKey(_))));
    }

    #[test]
    fn strict_unpack_refuses_trailing_garbage() {
        assert!(Attributes::unpack(&[0xFF, 0, 0]).is_err());
        assert!(Attributes::unpack(&[0x00]).is_err());
        assert!(Attributes::unpack(&[0xFF]).unwrap().is_empty());
    }

    proptest! {
        #[test]
        fn round_trip(entries in proptest::collection::vec(("[a-z_]{0,12}", proptest::collection::vec(any::<u8>(), 0..64)), 0..10), seed: [u8; 32]) {
            let a: Attributes = entries.into_iter().collect();
            let packed = a.pack_seeded(&seed, &[]).unwrap();
            let b = Attributes::unpack(&packed).unwrap();
            prop_assert_eq!(a.len(), b.len());
            for (k, v) in a.iter() {
                prop_assert_eq!(b.get(k), Some(v));
            }
        }

        #[test]
        fn protected_key_is_never_at_an_end(n in 3usize..12, seed: [u8; 32]) {
            let a: Attributes = (0..n).map(|i| (format!("k{i}"), vec![i as u8])).collect();
            let order = a.shuffled_order(&seed, &["k0"]);
            let pos = order.iter().position(|&i| i == 0).unwrap();
            prop_assert!(pos != 0 && pos != n - 1);
        }

        #[test]
        fn unpack_never_panics(data: Vec<u8>) {
            let _ = Attributes::unpack(&data);
        }
    }
}
