//! Caption updates: decoding, and merging into file metadata.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tgbox_core::{FileKey, MainKey, boxfile::FileInfo, caption};

fuzz_target!(|data: &[u8]| {
    let fk = FileKey::from_bytes([1; 32]);
    let mk = MainKey::from_bytes([2; 32]);
    let text = String::from_utf8_lossy(data);
    if let Ok(Some(update)) = caption::decode(&fk, &text) {
        let mut info = FileInfo::default();
        let _ = caption::merge(&mut info, &update, Some(&mk));
    }
    // Also fuzz the decrypted side directly, bypassing the cipher.
    if let Ok(update) = tgbox_core::Attributes::unpack(data) {
        let mut info = FileInfo::default();
        let _ = caption::merge(&mut info, &update, Some(&mk));
    }
});
