//! The reference's sample box files: our writer rebuilds them byte for byte from the recorded
//! random draws, and our reader agrees with the reference reader's view of each.

use crate::common::*;
use serde_json::Value;
use tgbox_core::{
    Attributes, BoxSalt, ReplayEntropy,
    boxfile::{self, KeyRef, NewFile},
};

fn draws(d: &Value) -> Vec<Vec<u8>> {
    let mut out = vec![
        h(&d["file_salt_hex"]),
        h(&d["file_iv_hex"]),
        h(&d["efile_path_iv_hex"]),
    ];
    if let Some(seed) = d["cattrs_pack_seed_hex"].as_str() {
        out.push(hex::decode(seed).unwrap());
    }
    out.extend([
        h(&d["secret_pack_seed_hex"]),
        h(&d["bfp_hex"]),
        h(&d["bfp_pack_seed_hex"]),
        h(&d["secret_metadata_iv_hex"]),
        h(&d["public_pack_seed_hex"]),
    ]);
    out
}

fn check_reader_view(doc: &[u8], view: &Value, mk: &tgbox_core::MainKey) {
    let (file, plain, verified) = read_all(doc, KeyRef::Main(mk), None, Some(mk)).unwrap();
    let header = &file.header;
    assert_eq!(
        header.metadata_size as u64,
        view["metadata_size"].as_u64().unwrap()
    );
    assert_eq!(
        header.minor_version,
        view["minor_version"].as_i64().unwrap()
    );
    assert_eq!(header.file_iv[..], h(&view["file_iv_hex"])[..]);
    assert_eq!(header.box_salt.as_bytes()[..], h(&view["box_salt_hex"])[..]);
    assert_eq!(
        header.file_salt.as_bytes()[..],
        h(&view["file_salt_hex"])[..]
    );
    assert_eq!(
        header.payload_offset(),
        view["encrypted_payload_offset"].as_u64().unwrap()
    );
    let public_keys: Vec<&str> = header.public.keys().collect();
    let want_keys: Vec<&str> = arr(&view["public_key_order"]).iter().map(s).collect();
    assert_eq!(public_keys, want_keys);
    assert_eq!(
        file.filekey().expose_secret()[..],
        h(&view["filekey_hex"])[..]
    );
    match view["dirkey_hex"].as_str() {
        Some(dk) => assert_eq!(
            file.dirkey().unwrap().expose_secret()[..],
            hex::decode(dk).unwrap()[..]
        ),
        None => assert!(file.dirkey().is_none()),
    }
    assert_eq!(file.has_hmac(), view["has_hmac_sha256"].as_bool().unwrap());
    assert_eq!(
        verified.tag_checked,
        view["hmac_verified"].as_bool().unwrap()
    );
    // The reference displays the directory re-joined from its parts (§7.4); we keep the stored
    // string, which joins to the same text.
    assert_eq!(
        tgbox_core::paths::reference_join(file.info.dir.as_deref().unwrap()),
        s(&view["file_path"])
    );
    assert_eq!(file.info.name, s(&view["file_name"]));
    assert_eq!(file.info.size, view["size"].as_u64().unwrap());
    assert_eq!(file.info.mime, s(&view["mime"]));
    assert_eq!(file.info.duration, view["duration"].as_u64().unwrap());
    assert_eq!(
        file.info.preview.len() as u64,
        view["preview_len"].as_u64().unwrap()
    );
    let cattrs = view["cattrs"].as_object().unwrap();
    assert_eq!(file.info.cattrs.len(), cattrs.len());
    for (k, v) in cattrs {
        assert_eq!(file.info.cattrs.get(k).unwrap(), h(v));
    }
    assert_eq!(
        file.info.residual.len(),
        view["residual_metadata"].as_object().unwrap().len()
    );
    assert_eq!(
        file.fingerprint_matches(),
        view["fingerprint_matches"].as_bool()
    );
    assert_eq!(plain.len() as u64, view["plaintext_len"].as_u64().unwrap());
    assert_eq!(sha256_hex(&plain), s(&view["plaintext_sha256"]));
}

#[test]
fn writer_reproduces_every_sample_byte_for_byte() {
    let v = vectors();
    let mut seen = 0;
    for b in arr(&v["box_files"]) {
        let name = s(&b["name"]);
        let mk = mainkey(&b["mainkey_hex"]);
        let box_salt = BoxSalt::from_bytes(h32(&b["box_salt_hex"]));
        let inputs = &b["inputs"];
        let plain = h(&inputs["plaintext_hex"]);
        let cattrs: Attributes = match inputs["cattrs_hex"].as_object() {
            Some(m) => m.iter().map(|(k, v)| (k.clone(), h(v))).collect(),
            None => Attributes::new(),
        };
        let file = NewFile {
            dir: s(&b["dir_string"]),
            name: s(&b["file_name"]),
            size: plain.len() as u64,
            mime: s(&inputs["mime_detected"]),
            preview: &[],
            duration: 0,
            cattrs: &cattrs,
        };
        let mut rng = ReplayEntropy::new(draws(&b["random_draws"]));
        let prepared =
            boxfile::prepare(&mk, &box_salt, &file, &Default::default(), &mut rng).unwrap();
        assert_eq!(rng.remaining(), 0, "{name}: every recorded draw used");
        assert_eq!(
            prepared.fingerprint()[..],
            h(&b["fingerprint_hex"])[..],
            "{name}"
        );
        assert_eq!(
            prepared.filekey().expose_secret()[..],
            h(&b["filekey_hex"])[..],
            "{name}"
        );
        let mut doc = Vec::new();
        let written = prepared.encrypt_stream(&plain[..], &mut doc).unwrap();
        assert_eq!(written, doc.len() as u64);
        assert_eq!(prepared.total_len(), doc.len() as u64);
        assert_eq!(hex::encode(&doc), s(&b["box_file_hex"]), "{name}");
        assert_eq!(doc, sample(name), "{name}: the sample file on disk");
        check_reader_view(&doc, &b["reader_view"], &mk);
        seen += 1;
    }
    assert_eq!(seen, 4);
}

#[test]
fn large_file_three_upload_parts() {
    let v = vectors();
    let l = &v["box_file_large"];
    let mk = mainkey(&v["box_context"]["alice"]["mainkey_hex"]);
    let box_salt = BoxSalt::from_bytes(h32(&v["box_context"]["alice"]["box_salt_hex"]));
    let n = l["plaintext_len"].as_u64().unwrap() as usize;
    let plain: Vec<u8> = (0..n).map(|i| ((i * 31 + 7) % 256) as u8).collect();
    assert_eq!(sha256_hex(&plain), s(&l["plaintext_sha256"]));
    let path = s(&l["file_path"]);
    let (dir, name) = path.rsplit_once('/').unwrap();
    let cattrs = Attributes::new();
    let file = NewFile {
        dir,
        name,
        size: n as u64,
        mime: "",
        preview: &[],
        duration: 0,
        cattrs: &cattrs,
    };
    let mut rng = ReplayEntropy::new(draws(&l["random_draws"]));
    let prepared = boxfile::prepare(&mk, &box_salt, &file, &Default::default(), &mut rng).unwrap();
    let mut doc = Vec::new();
    prepared.encrypt_stream(&plain[..], &mut doc).unwrap();
    assert_eq!(doc.len() as u64, l["box_file_len"].as_u64().unwrap());
    assert_eq!(sha256_hex(&doc), s(&l["box_file_sha256"]));
    assert_eq!(doc[doc.len() - 32..], h(&l["hmac_hex"])[..]);
    let (_, back, verified) = read_all(&doc, KeyRef::Main(&mk), None, None).unwrap();
    assert!(verified.tag_checked);
    assert_eq!(back, plain);
}

#[test]
fn legacy_files_are_read() {
    let v = vectors();
    let mk = mainkey(&v["box_context"]["alice"]["mainkey_hex"]);
    for b in arr(&v["legacy_box_files"]) {
        let doc = sample(s(&b["name"]));
        assert_eq!(hex::encode(&doc), s(&b["box_file_hex"]));
        check_reader_view(&doc, &b["reader_view"], &mk);
        let (_, plain, verified) = read_all(&doc, KeyRef::Main(&mk), None, None).unwrap();
        assert!(!verified.tag_checked, "pre-v1.5 files carry no tag");
        assert_eq!(plain, h(&b["plaintext_hex"]));
    }
}

#[test]
fn every_sample_in_the_directory_is_read() {
    let dir = shared_dir().join("vectors/tgbox_samples");
    let v = vectors();
    let mk = mainkey(&v["box_context"]["alice"]["mainkey_hex"]);
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let doc = std::fs::read(entry.unwrap().path()).unwrap();
        let (_file, _plain, _verified) =
            read_all(&doc, KeyRef::Main(&mk), None, Some(&mk)).unwrap();
        n += 1;
    }
    assert!(n >= 6);
}
