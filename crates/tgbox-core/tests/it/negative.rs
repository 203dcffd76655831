//! Tampered, truncated, garbled and wrong-key inputs: always a typed error, never a panic and
//! never silent wrong output.

use crate::common::*;
use tgbox_core::{Error, MainKey, boxfile::KeyRef};

fn alice() -> MainKey {
    mainkey(&vectors()["box_context"]["alice"]["mainkey_hex"])
}

#[test]
fn reference_negative_cases() {
    let v = vectors();
    let mk = alice();
    let base = sample("text_unicode_path");
    for case in arr(&v["negative"]) {
        let name = s(&case["name"]);
        let result = match name {
            "payload_bit_flip" => {
                let mut doc = base.clone();
                doc[442] ^= 0x01;
                read_all(&doc, KeyRef::Main(&mk), None, None).map(|_| ())
            }
            "hmac_bit_flip" => {
                let mut doc = base.clone();
                *doc.last_mut().unwrap() ^= 0x80;
                read_all(&doc, KeyRef::Main(&mk), None, None).map(|_| ())
            }
            "wrong_mainkey" => {
                let wrong = MainKey::decode(s(&case["key_encoded"])).unwrap();
                read_all(&base, KeyRef::Main(&wrong), None, None).map(|_| ())
            }
            "v1_8_without_has_hmac_sha256" => {
                read_all(&h(&case["box_file_hex"]), KeyRef::Main(&mk), None, None).map(|_| ())
            }
            "bad_prefix" => {
                let mut doc = base.clone();
                doc[..6].copy_from_slice(&h(&serde_json::json!("0054474f4259")));
                read_all(&doc, KeyRef::Main(&mk), None, None).map(|_| ())
            }
            other => panic!("a negative case this test does not know: {other}"),
        };
        let err = result.expect_err(name);
        match name {
            "payload_bit_flip" | "hmac_bit_flip" | "wrong_mainkey" => {
                assert!(matches!(err, Error::Decryption), "{name}: {err}")
            }
            "v1_8_without_has_hmac_sha256" => assert!(
                matches!(err, Error::MissingField("has_hmac_sha256")),
                "{err}"
            ),
            "bad_prefix" => assert!(matches!(err, Error::NotABoxFile)),
            _ => unreachable!(),
        }
    }
}

/// Every single-bit flip of every v1.5+ sample is detected (spec §14): rejected with a typed
/// error, or, for the two public fields the format leaves unauthenticated and that no key
/// depends on, reported (the fingerprint no longer matches or is gone). The only exception is
/// the five random `_BFP` bytes (§6.4), whose value is discarded by design: a flip there
/// changes nothing that is read.
#[test]
fn every_single_bit_flip_is_detected() {
    let mk = alice();
    for name in [
        "empty",
        "text_unicode_path",
        "png_block_aligned",
        "windows_origin",
    ] {
        let doc = sample(name);
        let header =
            tgbox_core::boxfile::BoxFileHeader::parse(&doc, tgbox_core::boxfile::METADATA_MAX)
                .unwrap();
        let sm = header.public.get("secret_metadata").unwrap();
        let sm_at = find(&doc, sm);
        let bfp_random = (sm_at + 11)..(sm_at + 16);
        let (good, plain, _) = read_all(&doc, KeyRef::Main(&mk), None, Some(&mk)).unwrap();
        assert_eq!(good.fingerprint_matches(), Some(true));
        for i in 0..doc.len() {
            for bit in 0..8 {
                let mut bad = doc.clone();
                bad[i] ^= 1 << bit;
                if let Ok((file, out, _)) = read_all(&bad, KeyRef::Main(&mk), None, Some(&mk)) {
                    assert_eq!(
                        out, plain,
                        "{name}: byte {i} bit {bit} changed the plaintext"
                    );
                    assert_eq!(file.info.name, good.info.name);
                    assert_eq!(file.info.dir, good.info.dir);
                    assert!(
                        file.fingerprint_matches() != Some(true) || bfp_random.contains(&i),
                        "{name}: byte {i} bit {bit} went unnoticed"
                    );
                }
            }
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len())
        .position(|w| w == needle)
        .expect("present")
}

#[test]
fn truncation_at_every_length_is_an_error() {
    let mk = alice();
    let doc = sample("text_unicode_path");
    for len in 0..doc.len() {
        let err = read_all(&doc[..len], KeyRef::Main(&mk), None, None).expect_err("truncated");
        assert!(
            matches!(
                err,
                Error::Truncated(_) | Error::Decryption | Error::SizeMismatch { .. }
            ),
            "len {len}: {err}"
        );
    }
    let mut longer = doc.clone();
    longer.extend_from_slice(&[0u8; 16]);
    assert!(read_all(&longer, KeyRef::Main(&mk), None, None).is_err());
}

#[test]
fn oversized_metadata_length_is_refused_before_allocating() {
    let mut doc = sample("empty");
    doc[7..10].copy_from_slice(&[0xFF, 0xFF, 0xFF]);
    let err =
        tgbox_core::boxfile::BoxFileHeader::read_from(&doc[..], tgbox_core::boxfile::METADATA_MAX)
            .unwrap_err();
    assert!(
        matches!(
            err,
            Error::TooLarge {
                what: "metadata",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn unknown_major_version_is_refused() {
    let mut doc = sample("empty");
    doc[6] = 2;
    assert!(matches!(
        read_all(&doc, KeyRef::Main(&alice()), None, None),
        Err(Error::UnsupportedVersion(2))
    ));
}

#[test]
fn garbled_captions_are_errors_not_garbage() {
    let mk = alice();
    let doc = sample("text_unicode_path");
    let v = vectors();
    let good = s(&v["caption_updates"][0]["caption"]).to_owned();
    for i in 0..good.len() {
        let mut bytes = good.clone().into_bytes();
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        let garbled = String::from_utf8(bytes).unwrap();
        if let Ok((file, _, _)) = read_all(&doc, KeyRef::Main(&mk), Some(&garbled), Some(&mk)) {
            // Only a change in the last character's padding bits could decode; none may alter
            // what the caption says.
            assert_eq!(file.info.name, "переименован.txt", "char {i}");
        }
    }
    assert!(read_all(&doc, KeyRef::Main(&mk), Some("not base64!"), Some(&mk)).is_err());
}
