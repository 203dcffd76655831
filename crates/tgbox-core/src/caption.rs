//! Metadata updates kept in the message caption (spec §10).
//!
//! `caption = base64url(IV ‖ AES-CBC(FileKey, IV, PKCS7(BFP_block ‖ pack(U)[1:])))`.

use crate::{
    Attributes, Error, Result, aes_cbc, b64,
    boxfile::FileInfo,
    ints::bytes_to_int,
    keys::{FileKey, MainKey},
    packed::{bfp_block, join_bfp},
    rng::Entropy,
};

/// Decodes a caption into its update dictionary `U` (without `_BFP`).
///
/// Returns `None` for captions that carry no update: empty ones and those starting with `<`
/// (the fast-sync placeholder, §10.4; base64url never starts with `<`).
///
/// # Errors
/// [`Error::Malformed`] (bad base64) or [`Error::Decryption`] (wrong key, garbled blob).
pub fn decode(filekey: &FileKey, caption: &str) -> Result<Option<Attributes>> {
    if caption.is_empty() || caption.starts_with('<') {
        return Ok(None);
    }
    let raw = b64::decode(caption)?;
    let plain = aes_cbc::decrypt(filekey.expose_secret(), &raw)?;
    let mut update = Attributes::unpack(&plain).map_err(|_| Error::Decryption)?;
    if update.remove("_BFP").is_none() {
        // Every writer since v1.5 starts the blob with `_BFP`; without it the first block is
        // open to IV bit-flipping (§6.4), so we refuse it.
        return Err(Error::Decryption);
    }
    Ok(Some(update))
}

/// Merges an update into the file's metadata as the reader does (spec §10.3).
///
/// # Errors
/// [`Error::Malformed`] for a field of the wrong shape, [`Error::Decryption`] when the moved
/// directory cannot be decrypted with the MainKey.
pub fn merge(info: &mut FileInfo, update: &Attributes, mainkey: Option<&MainKey>) -> Result<()> {
    for (key, value) in update.iter() {
        match key {
            "file_name" => info.name = utf8(value, "file_name")?,
            "mime" => info.mime = utf8(value, "mime")?,
            "preview" => info.preview = value.to_vec(),
            "duration" => info.duration = bytes_to_int(value)?,
            "cattrs" => {
                for (k, v) in Attributes::unpack(value)?.iter() {
                    info.cattrs.set(k, v);
                }
            }
            "efile_path" => {
                if let Some(mk) = mainkey {
                    let dir = aes_cbc::decrypt(mk.expose_secret(), value)?;
                    info.dir = Some(utf8(&dir, "efile_path")?);
                }
            }
            // The reference's `file_size` update is a bug (§10.3): never trust it.
            "file_size" | "_BFP" => {}
            other => info.residual.set(other, value),
        }
    }
    Ok(())
}

fn utf8(v: &[u8], what: &'static str) -> Result<String> {
    String::from_utf8(v.to_vec()).map_err(|_| Error::malformed(what, "not UTF-8"))
}

/// One requested change, with the reference's `update_metadata` semantics (§10.2).
#[derive(Clone, PartialEq, Eq)]
pub enum Change {
    /// Set the key to this value. An empty value removes the key; for `file_path` an empty
    /// value means "no change", and for entries of `cattrs` an empty or blank value deletes
    /// that attribute.
    Set(Vec<u8>),
    /// Remove the key from the update (for `file_path`: restore the original directory).
    Remove,
}

impl std::fmt::Debug for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Change::Set(v) => write!(f, "Set({} bytes)", v.len()),
            Change::Remove => write!(f, "Remove"),
        }
    }
}

/// Writes a new caption from the previous one and a list of changes (spec §10.2).
///
/// `changes` is ordered like the reference's dictionary. `file_path` (a directory) becomes an
/// `efile_path` encrypted with the MainKey. The result must fit `max_len` characters.
///
/// Random draws, in the reference's order: efile_path IV (when moving), cattrs seed (when
/// re-packed), `_BFP` bytes, `_BFP` seed, update seed, caption IV.
///
/// # Errors
/// [`Error::RestrictedField`] for `efile_path` or `file_size`, [`Error::TooLarge`] when the
/// caption would exceed `max_len`, [`Error::NonAsciiKey`], [`Error::Entropy`].
pub fn update(
    filekey: &FileKey,
    mainkey: &MainKey,
    previous: &str,
    changes: &[(String, Change)],
    max_len: usize,
    rng: &mut dyn Entropy,
) -> Result<String> {
    for (k, _) in changes {
        if k == "efile_path" || k == "file_size" {
            return Err(Error::RestrictedField(k.clone()));
        }
        if !k.is_ascii() {
            return Err(Error::NonAsciiKey(k.clone()));
        }
    }
    // A previous caption that does not decode is dropped, as the reference does.
    let mut updates = decode(filekey, previous).ok().flatten().unwrap_or_default();

    // `current_changes`, built in the reference's order: file_path popped, efile_path appended,
    // cattrs popped and re-appended.
    let mut current: Vec<(String, Option<Vec<u8>>)> = Vec::new();
    let mut file_path: Option<&Change> = None;
    let mut cattrs_change: Option<&Change> = None;
    for (k, c) in changes {
        match k.as_str() {
            "file_path" => file_path = Some(c),
            _ => {
                if k == "cattrs" {
                    cattrs_change = Some(c);
                }
                current.push((
                    k.clone(),
                    match c {
                        Change::Set(v) => Some(v.clone()),
                        Change::Remove => None,
                    },
                ));
            }
        }
    }
    match file_path {
        Some(Change::Set(p)) if !p.is_empty() => {
            let enc = aes_cbc::encrypt(mainkey.expose_secret(), p, rng)?;
            current.push(("efile_path".into(), Some(enc)));
        }
        Some(Change::Remove) => {
            updates.remove("efile_path");
        }
        _ => {}
    }
    if let Some(change) = cattrs_change {
        current.retain(|(k, _)| k != "cattrs");
        let new = match change {
            Change::Set(v) => Attributes::unpack(v)?,
            Change::Remove => Attributes::new(),
        };
        let blank = |v: &[u8]| {
            v.iter()
                .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c))
        };
        let mut merged = match updates.remove("cattrs") {
            Some(prev) => {
                let mut prev = Attributes::unpack(&prev).unwrap_or_default();
                for (k, v) in new.iter() {
                    if blank(v) {
                        prev.remove(k);
                    }
                }
                prev
            }
            None => Attributes::new(),
        };
        for (k, v) in new.iter() {
            if !blank(v) {
                merged.set(k, v);
            }
        }
        if !merged.is_empty() {
            current.push(("cattrs".into(), Some(merged.pack(&[], rng)?)));
        }
    }
    for (k, v) in current {
        match v {
            Some(v) if !v.is_empty() => updates.set(k, v),
            _ => {
                updates.remove(&k);
            }
        }
    }
    encode(filekey, updates, max_len, rng)
}

/// Re-encrypts a caption's updates under another FileKey (a document re-uploaded in place
/// keeps its metadata edits, spec tgbox-boxes.md §3.6), with fresh `_BFP`, order and IV. An
/// empty or unreadable caption gives an empty one.
///
/// # Errors
/// [`Error::TooLarge`] when the result would exceed `max_len`, [`Error::Entropy`].
pub fn reencrypt(
    old: &FileKey,
    new: &FileKey,
    caption: &str,
    max_len: usize,
    rng: &mut dyn Entropy,
) -> Result<String> {
    let updates = decode(old, caption).ok().flatten().unwrap_or_default();
    encode(new, updates, max_len, rng)
}

/// Packs and encrypts updates as a caption (§10.1); no updates, no caption.
fn encode(
    filekey: &FileKey,
    mut updates: Attributes,
    max_len: usize,
    rng: &mut dyn Entropy,
) -> Result<String> {
    updates.retain(|k, v| !v.is_empty() && k != "_BFP");
    if updates.is_empty() {
        return Ok(String::new());
    }
    let bfp = bfp_block(rng)?;
    let packed = updates.pack(&[], rng)?;
    let blob = aes_cbc::encrypt(filekey.expose_secret(), &join_bfp(&bfp, &packed), rng)?;
    let text = b64::encode(&blob);
    let chars = text.len();
    if chars > max_len {
        return Err(Error::TooLarge {
            what: "caption",
            size: chars as u64,
            limit: max_len as u64,
        });
    }
    Ok(text)
}

/// Telegram's caption limit for normal accounts, in characters.
pub const CAPTION_MAX: usize = 1024;
/// Telegram's caption limit for Premium accounts.
pub const CAPTION_MAX_PREMIUM: usize = 2048;
