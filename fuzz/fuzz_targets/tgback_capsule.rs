//! TGBACK-X input from strangers: a capsule (opened with a fixed key), a whole preview page
//! (the repairing reader), and a StringSession. Typed errors or values; never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tgback::{Backup, BackupKey};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let key = BackupKey::from_bytes(vec![7; 32]);
    let _ = tgback::capsule::open(&key, &text);
    let _ = Backup::open(&key, &text);
    for candidate in tgback::page::candidates(&text) {
        let _ = Backup::open(&key, &candidate);
    }
    let _ = tgbox_core::session::StringSession::parse(&text);
    let _ = tgback::keys::salt_from_hex_int(&text);
    let _ = tgback::keys::Birthday::parse(&text);
});
