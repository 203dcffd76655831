//! Loading shared/vectors: `TGBOX_SHARED` or `../shared` beside the repository.

use serde_json::Value;
use std::path::PathBuf;
use tgback::BackupKey;

pub fn shared_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("TGBOX_SHARED") {
        return PathBuf::from(dir);
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    assert!(
        dir.join("vectors/tgbackx_vectors.json").is_file(),
        "shared/vectors not found at {}; set TGBOX_SHARED",
        dir.display()
    );
    dir
}

pub fn vectors() -> Value {
    let text = std::fs::read_to_string(shared_dir().join("vectors/tgbackx_vectors.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

pub fn key(hex_text: &str) -> BackupKey {
    BackupKey::from_bytes(hex::decode(hex_text).unwrap())
}

pub fn page(name: &str) -> String {
    std::fs::read_to_string(shared_dir().join("vectors").join(name)).unwrap()
}
