//! Helpers shared by the integration tests.

use tgbox_core::BaseKey;
use tgbox_core::keys::{DEFAULT_SCRYPT_SALT, ScryptParams};

/// A BaseKey with cheap scrypt (N = 16384, as `ref_box.py --scrypt-n 16384`); the real
/// parameters take a second and 1 GiB per derivation.
pub fn cheap_basekey(phrase: &str) -> BaseKey {
    let params = ScryptParams::new(DEFAULT_SCRYPT_SALT.to_vec(), 16384, 8, 1, 32).unwrap();
    BaseKey::derive(phrase.as_bytes(), &params).unwrap()
}
