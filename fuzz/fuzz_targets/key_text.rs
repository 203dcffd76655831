//! Key text decoding (spec §4.7) and base64url.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = tgbox_core::AnyKey::decode(&text);
    if let Ok(raw) = tgbox_core::b64::decode(&text) {
        assert_eq!(tgbox_core::b64::decode(&tgbox_core::b64::encode(&raw)).expect("round trip"), raw);
    }
});
