//! The box-file header, public and secret metadata and payload of untrusted documents.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tgbox_core::{MainKey, boxfile};

fuzz_target!(|data: &[u8]| {
    let mk = MainKey::from_bytes([7; 32]);
    if let Ok(header) = boxfile::BoxFileHeader::parse(data, boxfile::METADATA_MAX) {
        if let Ok(file) = header.decrypt(boxfile::KeyRef::Main(&mk)) {
            let mut dec = file.payload_decryptor();
            let mut out = Vec::new();
            let start = (header.payload_offset() as usize).min(data.len());
            if dec.update(&data[start..], &mut out).is_ok() {
                let _ = dec.finish(&mut out);
            }
        }
    }
    let _ = boxfile::BoxFileHeader::read_from(data, boxfile::METADATA_MAX);
});
