//! CPython 3.11's `random.Random` seeded from bytes, as far as `shuffle` needs it (spec §6.2).
//!
//! Compatibility does not depend on the shuffle (readers never rely on key order); we implement
//! it exactly so that our writer reproduces the reference's vectors byte for byte from the same
//! random draws, which is the strongest test of the writer we have.

use sha2::{Digest, Sha512};

const N: usize = 624;

/// The Mersenne Twister state.
pub struct Mt19937 {
    mt: [u32; N],
    idx: usize,
}

impl Mt19937 {
    /// `random.Random(seed)` for a `bytes` seed: `a = int_be(seed ‖ SHA512(seed))`, then
    /// `init_by_array` over `a`'s 32-bit words, least significant first.
    pub fn from_seed_bytes(seed: &[u8]) -> Self {
        let mut a = seed.to_vec();
        a.extend_from_slice(&Sha512::digest(seed));
        // Big-endian integer -> little-endian list of u32 words, without leading zero words.
        let first = a.iter().position(|&b| b != 0).unwrap_or(a.len());
        let digits = &a[first..];
        let mut key: Vec<u32> = digits
            .rchunks(4)
            .map(|c| c.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b)))
            .collect();
        if key.is_empty() {
            key.push(0);
        }
        Self::init_by_array(&key)
    }

    fn init_by_array(key: &[u32]) -> Self {
        let mut mt = [0u32; N];
        mt[0] = 19_650_218;
        for i in 1..N {
            mt[i] = 1_812_433_253u32
                .wrapping_mul(mt[i - 1] ^ (mt[i - 1] >> 30))
                .wrapping_add(i as u32);
        }
        let (mut i, mut j) = (1usize, 0usize);
        for _ in 0..N.max(key.len()) {
            mt[i] = (mt[i] ^ (mt[i - 1] ^ (mt[i - 1] >> 30)).wrapping_mul(1_664_525))
                .wrapping_add(key[j])
                .wrapping_add(j as u32);
            i += 1;
            j += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
            if j >= key.len() {
                j = 0;
            }
        }
        for _ in 0..N - 1 {
            mt[i] = (mt[i] ^ (mt[i - 1] ^ (mt[i - 1] >> 30)).wrapping_mul(1_566_083_941))
                .wrapping_sub(i as u32);
            i += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
        }
        mt[0] = 0x8000_0000;
        Self { mt, idx: N }
    }

    /// `genrand_uint32`.
    pub fn next_u32(&mut self) -> u32 {
        if self.idx >= N {
            for k in 0..N {
                let y = (self.mt[k] & 0x8000_0000) | (self.mt[(k + 1) % N] & 0x7FFF_FFFF);
                self.mt[k] =
                    self.mt[(k + 397) % N] ^ (y >> 1) ^ if y & 1 == 1 { 0x9908_B0DF } else { 0 };
            }
            self.idx = 0;
        }
        let mut y = self.mt[self.idx];
        self.idx += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9D2C_5680;
        y ^= (y << 15) & 0xEFC6_0000;
        y ^= y >> 18;
        y
    }

    /// `_randbelow(n)` for `0 < n < 2^32`.
    fn below(&mut self, n: u32) -> u32 {
        let k = 32 - n.leading_zeros();
        loop {
            let r = self.next_u32() >> (32 - k);
            if r < n {
                return r;
            }
        }
    }

    /// `random.shuffle(x)`.
    pub fn shuffle<T>(&mut self, x: &mut [T]) {
        for i in (1..x.len()).rev() {
            let j = self.below(i as u32 + 1) as usize;
            x.swap(i, j);
        }
    }
}
