//! ShareKey and RequestKey bytes from an untrusted peer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tgbox_core::{RequestKey, ShareKey, sharing};

fuzz_target!(|data: &[u8]| {
    if let Ok(share) = ShareKey::from_slice(data.get(..65).unwrap_or(data)) {
        let _ = sharing::import_key(&[3; 32], b"salt", &share);
    }
    if let Ok(req) = RequestKey::from_slice(data.get(..33).unwrap_or(data)) {
        let _ = sharing::share_key(&[4; 32], b"salt", &req);
    }
});
