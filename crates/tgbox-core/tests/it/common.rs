//! Loading `shared/vectors`: `TGBOX_SHARED` or `../shared` beside the repository.

use serde_json::Value;
use std::path::PathBuf;

pub fn shared_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("TGBOX_SHARED") {
        return PathBuf::from(dir);
    }
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = repo.join("../shared");
    assert!(
        dir.join("vectors/tgbox_vectors.json").is_file(),
        "shared/vectors not found at {}; set TGBOX_SHARED",
        dir.display()
    );
    dir
}

pub fn vectors() -> Value {
    let text = std::fs::read_to_string(shared_dir().join("vectors/tgbox_vectors.json"))
        .expect("read vectors");
    serde_json::from_str(&text).expect("parse vectors")
}

pub fn sample(name: &str) -> Vec<u8> {
    std::fs::read(
        shared_dir()
            .join("vectors/tgbox_samples")
            .join(format!("{name}.tgbox")),
    )
    .expect("read sample")
}

pub fn h(v: &Value) -> Vec<u8> {
    hex::decode(
        v.as_str()
            .unwrap_or_else(|| panic!("not a hex string: {v}")),
    )
    .expect("hex")
}

pub fn h32(v: &Value) -> [u8; 32] {
    h(v).try_into().expect("32 bytes")
}

pub fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

pub fn arr(v: &Value) -> &Vec<Value> {
    v.as_array().unwrap_or_else(|| panic!("not an array: {v}"))
}

pub fn mainkey(v: &Value) -> tgbox_core::MainKey {
    tgbox_core::MainKey::from_bytes(h32(v))
}

/// Decrypts a whole box file in memory, returning the plaintext only if it verified.
pub fn read_all(
    doc: &[u8],
    key: tgbox_core::boxfile::KeyRef<'_>,
    caption: Option<&str>,
    mainkey: Option<&tgbox_core::MainKey>,
) -> tgbox_core::Result<(
    tgbox_core::boxfile::DecryptedBoxFile,
    Vec<u8>,
    tgbox_core::boxfile::Verified,
)> {
    let header = tgbox_core::boxfile::BoxFileHeader::parse(doc, tgbox_core::boxfile::METADATA_MAX)?;
    // Every sample belongs to Alice's box.
    header.verify_box_salt(&alice_box_salt())?;
    let mut file = header.decrypt(key)?;
    if let Some(c) = caption {
        file.apply_caption(c, mainkey)?;
    }
    let mut dec = file.payload_decryptor();
    let mut out = Vec::new();
    for piece in doc[header.payload_offset() as usize..].chunks(7919) {
        dec.update(piece, &mut out)?;
    }
    let verified = dec.finish(&mut out)?;
    Ok((file, out, verified))
}

pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(data))
}

pub fn alice_box_salt() -> tgbox_core::BoxSalt {
    tgbox_core::BoxSalt::from_bytes(h32(&vectors()["box_context"]["alice"]["box_salt_hex"]))
}
