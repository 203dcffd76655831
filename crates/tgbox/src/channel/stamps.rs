//! The dates and random ids a backend stamps on what it stores.

use std::time::{SystemTime, UNIX_EPOCH};

use super::error::{ChannelError, ErrorKind, Result};

/// The largest document id: 2⁵³−1, safe in every JSON implementation
/// (spec/local-channel.md §4.1).
pub(crate) const DOCUMENT_ID_MAX: u64 = (1 << 53) - 1;

/// Unix seconds now.
pub(crate) fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A uniformly random integer in `1..=max` from the OS CSPRNG.
pub(crate) fn random_in(max: u64) -> Result<u64> {
    // Rejection sampling over the smallest covering power of two keeps the draw uniform.
    let mask = u64::MAX >> max.leading_zeros();
    loop {
        let mut b = [0u8; 8];
        getrandom::fill(&mut b).map_err(|e| {
            ChannelError::new(
                ErrorKind::Other,
                format!("the OS random source failed: {e}"),
            )
        })?;
        let v = u64::from_le_bytes(b) & mask;
        if v >= 1 && v <= max {
            return Ok(v);
        }
    }
}

/// A fresh random document id in `1..=2⁵³−1`.
pub(crate) fn document_id() -> Result<u64> {
    random_in(DOCUMENT_ID_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_ids_stay_in_range() {
        for _ in 0..1000 {
            let v = random_in(10).unwrap();
            assert!((1..=10).contains(&v));
            assert!((1..=DOCUMENT_ID_MAX).contains(&document_id().unwrap()));
        }
    }
}
