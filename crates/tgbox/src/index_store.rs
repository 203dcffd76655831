//! The decrypted index kept between processes, sealed in the LocalBox.
//!
//! Building the index decrypts every row (about 20 µs a row on one core): 20 ms for 1,000
//! files but most of a second for 100,000, paid by every `tgbox` command that searches or
//! lists. So the index is saved in `TGBOX_RS_INDEX`, tagged with FILES' version (which the
//! schema's triggers move on every change to FILES, whoever makes it):
//!
//! * version unchanged: the saved index is used as it is, without reading FILES;
//! * version moved: FILES is read, each row's digest compared with the one saved beside its
//!   entry, and only new or changed rows are decrypted; the result is saved again.
//!
//! The LocalBox stays without plaintext (spec/tgbox-boxes.md §5.3): the saved index is
//! AES-256-CBC encrypted and HMAC-SHA256 authenticated under two keys derived from the MainKey.
//! Anything that does not authenticate or parse is ignored and the index is rebuilt from the
//! rows, so a damaged or foreign snapshot costs time, never a wrong answer.

use std::collections::HashMap;

use hmac::{KeyInit, Mac};
use sha2::Sha256;
use tgbox_core::{Attributes, MainKey, OsEntropy, aes_cbc};
use zeroize::Zeroizing;

use crate::error::Result;
use crate::index::{FileIndex, IndexedFile};
use crate::localbox::{LocalBox, RawFileRow};

type HmacSha256 = hmac::Hmac<Sha256>;

/// The first bytes of a saved index's plaintext: the format and its version.
const MAGIC: &[u8; 14] = b"TGBOXRS-INDEX1";
/// Bytes of the authentication tag at the end of a sealed index.
const TAG_LEN: usize = 32;

/// The keys a saved index is sealed with, derived from the MainKey.
struct SnapshotKeys {
    encryption: Zeroizing<[u8; 32]>,
    mac: Zeroizing<[u8; 32]>,
}

impl SnapshotKeys {
    fn derive(mainkey: &MainKey) -> Self {
        let derive = |label: &[u8]| {
            let mut mac =
                HmacSha256::new_from_slice(mainkey.expose_secret()).expect("any key length");
            mac.update(label);
            Zeroizing::new(<[u8; 32]>::from(mac.finalize().into_bytes()))
        };
        SnapshotKeys {
            encryption: derive(b"tgbox-rs saved index: encryption"),
            mac: derive(b"tgbox-rs saved index: authentication"),
        }
    }

    fn tag(&self, data: &[u8]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&*self.mac).expect("any key length");
        mac.update(data);
        mac
    }
}

/// One saved entry: the digest of the row it came from, and the file or an unreadable id.
type Entry = ([u8; 16], Option<IndexedFile>, i64);

/// Loads the index of `lb`: the saved one when current, else rebuilt from the rows, reusing
/// saved entries whose row did not change, and saved again.
///
/// # Errors
/// LocalBox errors while reading FILES. Failing to save is not an error: the index is right,
/// only the next process pays for the rebuild.
pub(crate) fn load(lb: &LocalBox, mainkey: &MainKey, threads: usize) -> Result<FileIndex> {
    let keys = SnapshotKeys::derive(mainkey);
    let (version, saved) = lb.saved_index()?;
    let mut reusable: HashMap<i64, ([u8; 16], Option<IndexedFile>)> = HashMap::new();
    if let Some(saved) = saved
        && let Some(entries) = unseal(&keys, &saved.sealed)
    {
        if saved.files_version == version {
            return Ok(assemble(entries.into_iter().map(|(_, f, id)| (f, id))));
        }
        reusable = entries.into_iter().map(|(d, f, id)| (id, (d, f))).collect();
    }
    let (version, rows) = lb.raw_rows_versioned()?;
    let mut entries: Vec<Entry> = Vec::with_capacity(rows.len());
    let mut to_decrypt: Vec<RawFileRow> = Vec::new();
    let mut digests: HashMap<i64, [u8; 16]> = HashMap::new();
    for row in rows {
        let digest = row.digest();
        match reusable.remove(&row.id()) {
            Some((d, f)) if d == digest => entries.push((d, f, row.id())),
            _ => {
                digests.insert(row.id(), digest);
                to_decrypt.push(row);
            }
        }
    }
    let fresh = FileIndex::build(mainkey, to_decrypt, threads);
    for f in fresh.files() {
        entries.push((digests[&f.id], Some(IndexedFile::clone(f)), f.id));
    }
    for &id in &fresh.unreadable {
        entries.push((digests[&id], None, id));
    }
    // Saved in id order, the order the index keeps: the next load's sort has nothing to do.
    entries.sort_unstable_by_key(|e| e.2);
    // A LocalBox that cannot be written now (read-only, disk full) still answers from the
    // index just built; only the next process pays for the rebuild.
    let _ = seal(&keys, &entries).and_then(|s| lb.save_index(version, &s));
    Ok(assemble(entries.into_iter().map(|(_, f, id)| (f, id))))
}

fn assemble(entries: impl Iterator<Item = (Option<IndexedFile>, i64)>) -> FileIndex {
    let mut files = Vec::new();
    let mut unreadable = Vec::new();
    for (f, id) in entries {
        match f {
            Some(f) => files.push(f),
            None => unreadable.push(id),
        }
    }
    unreadable.sort_unstable();
    FileIndex::from_parts(files, unreadable)
}

/// `IV ‖ AES-CBC(plaintext) ‖ HMAC(IV ‖ ciphertext)`.
fn seal(keys: &SnapshotKeys, entries: &[Entry]) -> Result<Vec<u8>> {
    let mut plain = Zeroizing::new(Vec::with_capacity(entries.len() * 160 + 32));
    plain.extend_from_slice(MAGIC);
    put_u64(&mut plain, entries.len() as u64);
    for (digest, file, id) in entries {
        plain.extend_from_slice(digest);
        put_u64(&mut plain, *id as u64);
        let Some(f) = file else {
            plain.push(0);
            continue;
        };
        plain.push(1);
        put_bytes(&mut plain, f.name.as_bytes());
        match &f.dir {
            Some(d) => {
                plain.push(1);
                put_bytes(&mut plain, d.as_bytes());
            }
            None => plain.push(0),
        }
        put_u64(&mut plain, f.size);
        put_bytes(&mut plain, f.mime.as_bytes());
        put_u64(&mut plain, f.cattrs.len() as u64);
        for (k, v) in f.cattrs.iter() {
            put_bytes(&mut plain, k.as_bytes());
            put_bytes(&mut plain, v);
        }
        put_u64(&mut plain, f.upload_time as u64);
        put_bytes(&mut plain, f.file_salt.as_bytes());
        plain.push(f.verbyte);
        put_u64(&mut plain, f.minor_version as u64);
        plain.push(u8::from(f.imported));
        plain.extend_from_slice(&f.ppath_head);
    }
    let mut sealed = aes_cbc::encrypt(&keys.encryption, &plain, &mut OsEntropy)?;
    let tag = keys.tag(&sealed).finalize().into_bytes();
    sealed.extend_from_slice(&tag);
    Ok(sealed)
}

/// The entries of a sealed index, or `None` when it does not authenticate or parse.
fn unseal(keys: &SnapshotKeys, sealed: &[u8]) -> Option<Vec<Entry>> {
    let body_len = sealed.len().checked_sub(TAG_LEN)?;
    let (body, tag) = sealed.split_at(body_len);
    keys.tag(body).verify_slice(tag).ok()?;
    let plain = aes_cbc::decrypt(&keys.encryption, body).ok()?;
    parse(&plain)
}

fn parse(plain: &[u8]) -> Option<Vec<Entry>> {
    let mut r = Reader(plain.strip_prefix(MAGIC.as_slice())?);
    let count = r.u64()?;
    // Each entry takes at least 25 bytes: a count beyond that is damage, not a reason to
    // reserve memory.
    let mut entries = Vec::with_capacity((count as usize).min(r.0.len() / 25));
    let mut splits = HashMap::new();
    for _ in 0..count {
        let digest: [u8; 16] = r.take(16)?.try_into().ok()?;
        let id = r.u64()? as i64;
        let file = match r.u8()? {
            0 => None,
            1 => Some(r.file(id, &mut splits)?),
            _ => return None,
        };
        entries.push((digest, file, id));
    }
    r.0.is_empty().then_some(entries)
}

/// `paths::split(dir)`, from `splits` when the directory was seen before.
fn self_split(splits: &mut HashMap<String, Vec<String>>, dir: &str) -> Vec<String> {
    if let Some(parts) = splits.get(dir) {
        return parts.clone();
    }
    let parts = tgbox_core::paths::split(dir);
    splits.insert(dir.to_owned(), parts.clone());
    parts
}

fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, v: &[u8]) {
    put_u64(out, v.len() as u64);
    out.extend_from_slice(v);
}

/// A bounds-checked reader over a saved index's plaintext.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.0.len() {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = usize::try_from(self.u64()?).ok()?;
        self.take(n)
    }

    fn text(&mut self) -> Option<String> {
        String::from_utf8(self.bytes()?.to_vec()).ok()
    }

    fn file(&mut self, id: i64, splits: &mut HashMap<String, Vec<String>>) -> Option<IndexedFile> {
        let name = self.text()?;
        let dir = match self.u8()? {
            0 => None,
            1 => Some(self.text()?),
            _ => return None,
        };
        let size = self.u64()?;
        let mime = self.text()?;
        let mut cattrs = Attributes::new();
        for _ in 0..self.u64()? {
            let key = self.text()?;
            cattrs.set(key, self.bytes()?.to_vec());
        }
        let upload_time = self.u64()? as i64;
        let file_salt = self.text()?;
        let verbyte = self.u8()?;
        let minor_version = self.u64()? as i64;
        let imported = match self.u8()? {
            0 => false,
            1 => true,
            _ => return None,
        };
        let ppath_head: [u8; 32] = self.take(32)?.try_into().ok()?;
        Some(IndexedFile {
            id,
            dir_parts: match dir.as_deref() {
                // Files share directories: each is split once.
                Some(d) => self_split(splits, d),
                None => Vec::new(),
            },
            name,
            dir,
            size,
            mime,
            cattrs,
            upload_time,
            file_salt,
            verbyte,
            minor_version,
            imported,
            ppath_head,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(byte: u8) -> SnapshotKeys {
        SnapshotKeys::derive(&MainKey::from_slice(&[byte; 32]).unwrap())
    }

    fn entry(id: i64) -> Entry {
        let mut cattrs = Attributes::new();
        cattrs.set("k", b"v\x00\xff".to_vec());
        let f = IndexedFile {
            id,
            name: format!("f{id}.txt"),
            dir: Some("/a/b".into()),
            dir_parts: tgbox_core::paths::split("/a/b"),
            size: 12345,
            mime: "text/plain".into(),
            cattrs,
            upload_time: 1_700_000_000,
            file_salt: "c2FsdA".into(),
            verbyte: 1,
            minor_version: -1,
            imported: id % 2 == 0,
            ppath_head: [id as u8; 32],
        };
        ([id as u8; 16], Some(f), id)
    }

    fn same(a: &[Entry], b: &[Entry]) -> bool {
        a.len() == b.len()
            && a.iter().zip(b).all(|(x, y)| {
                x.0 == y.0
                    && x.2 == y.2
                    && match (&x.1, &y.1) {
                        (None, None) => true,
                        (Some(p), Some(q)) => {
                            (&p.name, &p.dir, &p.dir_parts, p.size, &p.mime, &p.cattrs)
                                == (&q.name, &q.dir, &q.dir_parts, q.size, &q.mime, &q.cattrs)
                                && (p.upload_time, &p.file_salt, p.verbyte, p.minor_version)
                                    == (q.upload_time, &q.file_salt, q.verbyte, q.minor_version)
                                && (p.imported, p.ppath_head) == (q.imported, q.ppath_head)
                        }
                        _ => false,
                    }
            })
    }

    #[test]
    fn a_sealed_index_opens_with_its_key_only() {
        let entries = vec![entry(1), ([9; 16], None, 2), entry(4)];
        let sealed = seal(&keys(1), &entries).unwrap();
        assert!(same(&unseal(&keys(1), &sealed).unwrap(), &entries));
        assert!(unseal(&keys(2), &sealed).is_none(), "another box's key");
        assert!(
            !sealed.windows(8).any(|w| w == b"f1.txt\0\0"),
            "names are not in the clear"
        );
    }

    #[test]
    fn any_damage_is_refused_not_misread() {
        let sealed = seal(&keys(1), &[entry(1), entry(2)]).unwrap();
        for i in (0..sealed.len()).step_by(7) {
            let mut bad = sealed.clone();
            bad[i] ^= 0x40;
            assert!(unseal(&keys(1), &bad).is_none(), "flip at {i}");
        }
        for n in [0, 1, 31, 32, 48, sealed.len() - 1] {
            assert!(unseal(&keys(1), &sealed[..n]).is_none(), "cut at {n}");
        }
    }

    #[test]
    fn the_parser_bounds_every_length() {
        let mut plain = MAGIC.to_vec();
        put_u64(&mut plain, u64::MAX);
        assert!(
            parse(&plain).is_none(),
            "a huge count with nothing after it"
        );
        let mut plain = MAGIC.to_vec();
        put_u64(&mut plain, 1);
        plain.extend_from_slice(&[0; 16]);
        put_u64(&mut plain, 5);
        plain.push(1);
        put_u64(&mut plain, u64::MAX / 2);
        assert!(parse(&plain).is_none(), "a huge name length");
        let mut plain = MAGIC.to_vec();
        put_u64(&mut plain, 0);
        plain.push(0);
        assert!(parse(&plain).is_none(), "trailing bytes");
    }
}
