//! Randomness is passed in (ARCHITECTURE.md: `tgbox-core` has no hidden I/O).
//!
//! Every function that needs random bytes takes a `&mut dyn Entropy`. [`OsEntropy`] is the OS
//! CSPRNG and what products use; [`ReplayEntropy`] hands out recorded draws in order, which is how
//! the tests rebuild the reference's vectors byte for byte.

use crate::{Error, Result};
use zeroize::Zeroize;

/// A source of random bytes.
pub trait Entropy {
    /// Fills `dest` with random bytes.
    ///
    /// # Errors
    /// [`Error::Entropy`] when the source cannot deliver.
    fn fill(&mut self, dest: &mut [u8]) -> Result<()>;
}

/// The operating system's CSPRNG.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsEntropy;

impl Entropy for OsEntropy {
    fn fill(&mut self, dest: &mut [u8]) -> Result<()> {
        getrandom::fill(dest).map_err(|_| Error::Entropy)
    }
}

/// Hands out pre-recorded draws, one per call, checking that each has the requested length.
///
/// Used to reproduce the reference's vectors; running out of draws is an [`Error::Entropy`].
#[derive(Debug, Default)]
pub struct ReplayEntropy {
    draws: std::collections::VecDeque<Vec<u8>>,
}

impl ReplayEntropy {
    /// A source that will return `draws` in order.
    pub fn new(draws: impl IntoIterator<Item = Vec<u8>>) -> Self {
        Self {
            draws: draws.into_iter().collect(),
        }
    }

    /// How many draws are left.
    pub fn remaining(&self) -> usize {
        self.draws.len()
    }
}

impl Entropy for ReplayEntropy {
    fn fill(&mut self, dest: &mut [u8]) -> Result<()> {
        let mut next = self.draws.pop_front().ok_or(Error::Entropy)?;
        if next.len() != dest.len() {
            next.zeroize();
            return Err(Error::Entropy);
        }
        dest.copy_from_slice(&next);
        next.zeroize();
        Ok(())
    }
}

pub(crate) fn array<const N: usize>(rng: &mut dyn Entropy) -> Result<[u8; N]> {
    let mut out = [0u8; N];
    rng.fill(&mut out)?;
    Ok(out)
}
