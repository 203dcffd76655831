//! The box phrase (spec §3): words from the reference's list (BIP-39 English), joined by spaces.

use crate::{Result, rng::Entropy};
use zeroize::Zeroizing;

/// The reference's word list (`tgbox/other/words.txt`, byte-identical to BIP-39 English).
const WORDS_TXT: &str = include_str!("words.txt");

/// Words in a generated phrase (the reference's default; 66 bits).
pub const DEFAULT_WORDS: usize = 6;

/// The 2048 words.
pub fn wordlist() -> impl Iterator<Item = &'static str> {
    WORDS_TXT.lines()
}

fn word(i: usize) -> &'static str {
    wordlist().nth(i).expect("index below 2048")
}

/// A secret phrase: zeroized on drop, redacted in `Debug`, never `Clone`.
pub struct Phrase(Zeroizing<Vec<u8>>);

impl std::fmt::Debug for Phrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Phrase(<redacted>)")
    }
}

impl Phrase {
    /// `count` words, each chosen uniformly from 2048 with the given CSPRNG.
    ///
    /// # Errors
    /// [`crate::Error::Entropy`].
    pub fn generate(count: usize, rng: &mut dyn Entropy) -> Result<Self> {
        let mut out = Zeroizing::new(Vec::new());
        for i in 0..count {
            // 2048 is a power of two: 11 bits of a u16 are uniform, no rejection needed.
            let mut b = Zeroizing::new([0u8; 2]);
            rng.fill(&mut *b)?;
            let idx = usize::from(u16::from_be_bytes(*b) & 0x7FF);
            if i > 0 {
                out.push(b' ');
            }
            out.extend_from_slice(word(idx).as_bytes());
        }
        Ok(Self(out))
    }

    /// The phrase for word indices (used by tests against the vectors).
    pub fn from_indices(indices: &[usize]) -> Option<Self> {
        let words: Option<Vec<&str>> = indices.iter().map(|&i| wordlist().nth(i)).collect();
        Some(Self(Zeroizing::new(words?.join(" ").into_bytes())))
    }

    /// A phrase typed by the user: its UTF-8 bytes, unnormalised (spec §3).
    pub fn from_text(text: &str) -> Self {
        Self(Zeroizing::new(text.as_bytes().to_vec()))
    }

    /// A phrase given as raw bytes.
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The bytes fed to scrypt.
    pub fn expose_secret(&self) -> &[u8] {
        &self.0
    }
}
