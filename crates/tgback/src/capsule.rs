//! The `JSON_AES_CBC_UB64` protocol (spec §5): named fields → JSON → AES-256-CBC under a key
//! derived from the scrypt key with a fresh salt, an HMAC-SHA256 tag over IV and ciphertext →
//! `"JSON_AES_CBC_UB64_" + base64url(salt ‖ iv ‖ ct ‖ tag)`.
//!
//! Opening is strict where it matters and lenient where the reference is (§5.2): the tag is
//! checked first, in constant time; the protocol is recognised by its full prefix (the
//! reference's dispatch bug, §5.3, is not reproduced); base64 may use either alphabet, carry
//! whitespace, and lack its padding; a missing `k_deco` is read as empty.

use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Map, Value};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use tgbox_core::{Entropy, aes_cbc, b64};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::keys::BackupKey;

/// The protocol's name.
pub const PROTOCOL: &str = "JSON_AES_CBC_UB64";
/// What every capsule starts with.
pub const PREFIX: &str = "JSON_AES_CBC_UB64_";
/// The HMAC message of the MAC key (§5.1 step 6).
const MAC_MESSAGE: &[u8] = b"Holy Diver";
/// salt 32 + iv 16 + one block 16 + tag 32.
const MIN_BLOB: usize = 96;

/// A field's value: JSON, or raw bytes (carried as base64url and listed in `k_deco`).
#[derive(Clone, Debug, PartialEq)]
pub enum Field {
    /// A JSON value.
    Json(Value),
    /// Raw bytes.
    Bytes(Vec<u8>),
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key");
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// The plaintext JSON of `fields` (§5.1 steps 1–3), `k_deco` last.
pub fn plaintext(fields: &[(String, Field)]) -> Zeroizing<String> {
    let mut map = Map::new();
    let mut k_deco = Vec::new();
    for (name, value) in fields {
        match value {
            Field::Json(v) => {
                map.insert(name.clone(), v.clone());
            }
            Field::Bytes(b) => {
                map.insert(name.clone(), Value::String(b64::encode(b)));
                k_deco.push(Value::String(name.clone()));
            }
        }
    }
    map.insert("k_deco".into(), Value::Array(k_deco));
    let text = Zeroizing::new(crate::pyjson::dumps(&Value::Object(map.clone())));
    // The map held secrets too: overwrite its strings before it goes.
    for (_, v) in map.iter_mut() {
        if let Value::String(s) = v {
            zeroize::Zeroize::zeroize(s);
        }
    }
    text
}

/// Seals `fields` under `key` with the given salt and IV (vectors use fixed ones).
pub fn seal_with(
    key: &BackupKey,
    fields: &[(String, Field)],
    salt: &[u8; 32],
    iv: &[u8; 16],
) -> String {
    let plain = plaintext(fields);
    let ek = Zeroizing::new(hmac(key.expose_secret(), &[salt]));
    let iv_ct = aes_cbc::encrypt_with_iv(&ek, iv, plain.as_bytes());
    let mk = Zeroizing::new(hmac(&ek[..], &[MAC_MESSAGE]));
    let tag = hmac(&mk[..], &[&iv_ct]);
    let mut blob = Vec::with_capacity(32 + iv_ct.len() + 32);
    blob.extend_from_slice(salt);
    blob.extend_from_slice(&iv_ct);
    blob.extend_from_slice(&tag);
    format!("{PREFIX}{}", b64::encode(&blob))
}

/// Seals `fields` under `key` with a fresh salt and IV from `rng`.
///
/// # Errors
/// [`Error::Core`] when the random source fails.
pub fn seal(key: &BackupKey, fields: &[(String, Field)], rng: &mut dyn Entropy) -> Result<String> {
    let mut salt = [0u8; 32];
    let mut iv = [0u8; 16];
    rng.fill(&mut salt)?;
    rng.fill(&mut iv)?;
    Ok(seal_with(key, fields, &salt, &iv))
}

/// The capsule's bytes from its text: every occurrence of the prefix removed (as the reference
/// does), whitespace dropped, either base64 alphabet, padding optional.
fn blob_of(text: &str) -> Result<Vec<u8>> {
    let trimmed = text.trim_start();
    // Another protocol of the same family (`JSON_…_`): named, not misread as base64.
    if trimmed.starts_with("JSON_") && !trimmed.starts_with(PREFIX) {
        let name: String = trimmed
            .chars()
            .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
            .collect();
        // The name ends at the last underscore of the run (the payload may start with
        // capitals too).
        let name = name.rsplit_once('_').map_or(name.as_str(), |(n, _)| n);
        return Err(Error::UnsupportedProtocol(name.to_owned()));
    }
    let body: String = text
        .replace(PREFIX, "")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let mut padded = body.trim_end_matches('=').to_owned();
    match padded.len() % 4 {
        0 => {}
        1 => {
            return Err(Error::Corrupt(
                "the base64 text has a length no encoder produces (cut short?)".into(),
            ));
        }
        n => padded.push_str(&"=".repeat(4 - n)),
    }
    b64::decode(&padded).map_err(|e| Error::Corrupt(e.to_string()))
}

/// Opens a capsule with `key`: its fields in their order, the `k_deco` ones as bytes.
///
/// # Errors
/// [`Error::WrongKeyOrTampered`] when the tag does not verify; [`Error::Corrupt`] for text
/// that is not a capsule, or JSON that is not an object.
pub fn open(key: &BackupKey, text: &str) -> Result<Vec<(String, Field)>> {
    let blob = Zeroizing::new(blob_of(text)?);
    if blob.len() < MIN_BLOB || !(blob.len() - 80).is_multiple_of(16) {
        // Still a wrong key or an altered capsule as far as the user can tell: the tag cannot
        // be where it should be.
        return Err(Error::WrongKeyOrTampered);
    }
    let (salt, rest) = blob.split_at(32);
    let (iv_ct, tag) = rest.split_at(rest.len() - 32);
    let ek = Zeroizing::new(hmac(key.expose_secret(), &[salt]));
    let mk = Zeroizing::new(hmac(&ek[..], &[MAC_MESSAGE]));
    let want = hmac(&mk[..], &[iv_ct]);
    if !bool::from(want.ct_eq(tag)) {
        return Err(Error::WrongKeyOrTampered);
    }
    let plain = aes_cbc::decrypt(&ek, iv_ct).map_err(|_| Error::Corrupt("bad padding".into()))?;
    let value: Value = serde_json::from_slice(&plain)
        .map_err(|e| Error::Corrupt(format!("the content is not JSON: {e}")))?;
    let Value::Object(mut map) = value else {
        return Err(Error::Corrupt("the content is not a JSON object".into()));
    };
    let k_deco: Vec<String> = match map.remove("k_deco") {
        None => Vec::new(),
        Some(Value::Array(names)) => names
            .into_iter()
            .map(|n| match n {
                Value::String(s) => Ok(s),
                _ => Err(Error::Corrupt(
                    "k_deco lists a name that is not text".into(),
                )),
            })
            .collect::<Result<_>>()?,
        Some(_) => return Err(Error::Corrupt("k_deco is not a list".into())),
    };
    let mut out = Vec::with_capacity(map.len());
    for (name, value) in map {
        if k_deco.contains(&name) {
            let Value::String(text) = &value else {
                return Err(Error::Corrupt(format!("field {name} is not base64 text")));
            };
            let bytes =
                b64::decode(text).map_err(|e| Error::Corrupt(format!("field {name}: {e}")))?;
            out.push((name, Field::Bytes(bytes)));
        } else {
            out.push((name, Field::Json(value)));
        }
    }
    Ok(out)
}
