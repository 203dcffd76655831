//! The box-file header, public and secret metadata and payload of untrusted documents.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tgbox_core::{MainKey, boxfile};

const ALICE_MAINKEY: [u8; 32] = [
    0x94, 0x5a, 0xe5, 0x27, 0x84, 0x35, 0x45, 0xfd, 0x19, 0xab, 0x9c, 0x55, 0x87, 0x33, 0x59, 0x52,
    0x37, 0x47, 0x13, 0x67, 0xc2, 0xc3, 0xc0, 0x68, 0x23, 0x7a, 0xe5, 0xa2, 0x23, 0xa5, 0x8b, 0xf5,
];

fuzz_target!(|data: &[u8]| {
    // Alice's MainKey of the golden vectors: the seed corpus (fuzz/seed_corpus.py) holds her
    // sample box files, so mutations of them reach the metadata and payload decoders.
    let mk = MainKey::from_bytes(ALICE_MAINKEY);
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
