//! Round trips through the public API with random inputs, and the limits of spec §9.

use proptest::prelude::*;
use tgbox_core::{
    Attributes, BaseKey, BoxSalt, Error, FileKey, Key, MainKey, OsEntropy, RequestKey, ShareKey,
    boxfile,
    boxfile::{KeyRef, NewFile},
    caption, sharing,
};

fn write(
    mk: &MainKey,
    dir: &str,
    name: &str,
    plain: &[u8],
    cattrs: &Attributes,
) -> tgbox_core::Result<Vec<u8>> {
    let file = NewFile {
        dir,
        name,
        size: plain.len() as u64,
        mime: "",
        preview: &[],
        duration: 0,
        cattrs,
    };
    let prepared = boxfile::prepare(
        mk,
        &BoxSalt::from_bytes([3; 32]),
        &file,
        &Default::default(),
        &mut OsEntropy,
    )?;
    let mut doc = Vec::new();
    prepared.encrypt_stream(plain, &mut doc)?;
    Ok(doc)
}

fn read(mk: &MainKey, doc: &[u8]) -> tgbox_core::Result<(boxfile::DecryptedBoxFile, Vec<u8>)> {
    let header = boxfile::BoxFileHeader::parse(doc, boxfile::METADATA_MAX)?;
    let file = header.decrypt(KeyRef::Main(mk))?;
    let mut dec = file.payload_decryptor();
    let mut out = Vec::new();
    dec.update(&doc[header.payload_offset() as usize..], &mut out)?;
    let verified = dec.finish(&mut out)?;
    assert!(verified.tag_checked);
    Ok((file, out))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn box_file_round_trip(
        plain in proptest::collection::vec(any::<u8>(), 0..3000),
        dir in "(/[a-zA-Z0-9 éü日]{1,8}){1,4}",
        name in "[a-zA-Z0-9 ._-]{1,16}",
        cattrs in proptest::collection::vec(("[a-z]{1,8}", proptest::collection::vec(any::<u8>(), 0..32)), 0..4),
    ) {
        prop_assume!(name != "." && name != "..");
        let mk = MainKey::from_bytes([9; 32]);
        let cattrs: Attributes = cattrs.into_iter().collect();
        let doc = write(&mk, &dir, &name, &plain, &cattrs).unwrap();
        let (file, out) = read(&mk, &doc).unwrap();
        prop_assert_eq!(out, plain);
        prop_assert_eq!(&file.info.name, &name);
        prop_assert_eq!(file.info.dir.clone(), Some(tgbox_core::paths::normalize_dir(&dir).unwrap()));
        prop_assert_eq!(&file.info.cattrs, &cattrs);
        prop_assert_eq!(file.fingerprint_matches(), Some(true));
    }

    #[test]
    fn header_parser_never_panics(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mk = MainKey::from_bytes([9; 32]);
        if let Ok(h) = boxfile::BoxFileHeader::parse(&data, boxfile::METADATA_MAX) {
            let _ = h.decrypt(KeyRef::Main(&mk));
        }
    }

    #[test]
    fn caption_round_trip(new_name in "[a-z]{1,20}", tag in "[a-z]{1,10}") {
        let mk = MainKey::from_bytes([9; 32]);
        let doc = write(&mk, "/a", "x.txt", b"hello", &Attributes::new()).unwrap();
        let (file, _) = read(&mk, &doc).unwrap();
        let fk = FileKey::from_bytes(*file.filekey().expose_secret());
        let cattrs: Attributes = [("tag", tag.clone().into_bytes())].into_iter().collect();
        let changes = vec![
            ("file_name".to_owned(), caption::Change::Set(new_name.clone().into_bytes())),
            ("file_path".to_owned(), caption::Change::Set(b"/moved/here".to_vec())),
            ("cattrs".to_owned(), caption::Change::Set(cattrs.pack_in_order().unwrap())),
        ];
        let text = caption::update(&fk, &mk, "", &changes, caption::CAPTION_MAX, &mut OsEntropy).unwrap();
        let header = boxfile::BoxFileHeader::parse(&doc, boxfile::METADATA_MAX).unwrap();
        let mut file = header.decrypt(KeyRef::Main(&mk)).unwrap();
        prop_assert!(file.apply_caption(&text, Some(&mk)).unwrap());
        prop_assert_eq!(&file.info.name, &new_name);
        prop_assert_eq!(file.info.dir.as_deref(), Some("/moved/here"));
        prop_assert_eq!(file.info.cattrs.get("tag"), Some(tag.as_bytes()));
        // Restoring: remove the name change and the move.
        let back = caption::update(&fk, &mk, &text, &[
            ("file_name".to_owned(), caption::Change::Remove),
            ("file_path".to_owned(), caption::Change::Remove),
            ("cattrs".to_owned(), caption::Change::Set(Attributes::from_iter([("tag", b" ".to_vec())]).pack_in_order().unwrap())),
        ], caption::CAPTION_MAX, &mut OsEntropy).unwrap();
        prop_assert_eq!(back, "");
    }

    #[test]
    fn sharing_round_trip(alice in any::<[u8; 32]>(), bob in any::<[u8; 32]>(), salt in any::<[u8; 32]>(), secret in any::<[u8; 32]>()) {
        let req = sharing::request_key(&bob, &salt).unwrap();
        let share = sharing::share_key(&secret, &salt, &req).unwrap();
        let good = sharing::import_key(&bob, &salt, &share).unwrap();
        prop_assert_eq!(good.expose_secret(), &secret);
        if alice != bob {
            let wrong = sharing::import_key(&alice, &salt, &share).unwrap();
            prop_assert_ne!(wrong.expose_secret(), &secret);
        }
        let round = ShareKey::decode(&share.encode()).unwrap();
        prop_assert_eq!(round, share);
        prop_assert_eq!(RequestKey::decode(&req.encode()).unwrap(), req);
    }

    #[test]
    fn key_text_decoding_never_panics(text in "\\PC{0,100}") {
        let _ = tgbox_core::AnyKey::decode(&text);
    }
}

#[test]
fn sharekey_with_a_point_off_the_curve_is_refused() {
    let mut bad = [0u8; 65];
    bad[32] = 0x02;
    bad[33..].fill(0xFF);
    let share = ShareKey::from_slice(&bad).unwrap();
    assert!(matches!(
        sharing::import_key(&[1; 32], b"s", &share),
        Err(Error::InvalidPoint)
    ));
    let req = RequestKey::from_slice(&bad[32..]).unwrap();
    assert!(matches!(
        sharing::share_key(&[1; 32], b"s", &req),
        Err(Error::InvalidPoint)
    ));
}

#[test]
fn limits_each_have_a_typed_error() {
    let mk = MainKey::from_bytes([1; 32]);
    let empty = Attributes::new();
    // FILE_PATH_MAX
    let long_dir = format!("/{}", "d".repeat(4096));
    assert!(matches!(
        write(&mk, &long_dir, "a", b"", &empty),
        Err(Error::TooLarge {
            what: "file path",
            ..
        })
    ));
    // METADATA_MAX
    let big: Attributes = [("big", vec![0u8; 1_000_000])].into_iter().collect();
    assert!(matches!(
        write(&mk, "/a", "a", b"", &big),
        Err(Error::TooLarge {
            what: "metadata",
            ..
        })
    ));
    // PackedAttributes value > 16 MiB
    let huge: Attributes = [("huge", vec![0u8; (1 << 24) + 1])].into_iter().collect();
    assert!(matches!(huge.pack_in_order(), Err(Error::TooLarge { .. })));
    // Non-ASCII attribute key
    let bad: Attributes = [("ключ", b"v".to_vec())].into_iter().collect();
    assert!(matches!(
        write(&mk, "/a", "a", b"", &bad),
        Err(Error::NonAsciiKey(_))
    ));
    // Upload limit
    let file = NewFile {
        dir: "/a",
        name: "a",
        size: 2_000_000_000,
        mime: "",
        preview: &[],
        duration: 0,
        cattrs: &empty,
    };
    let err = boxfile::prepare(
        &mk,
        &BoxSalt::from_bytes([0; 32]),
        &file,
        &Default::default(),
        &mut OsEntropy,
    )
    .unwrap_err();
    assert!(matches!(err, Error::TooLarge { what: "file", .. }));
    let premium = boxfile::Limits {
        upload_limit: boxfile::UPLOAD_LIMIT_PREMIUM,
        ..Default::default()
    };
    assert!(
        boxfile::prepare(
            &mk,
            &BoxSalt::from_bytes([0; 32]),
            &file,
            &premium,
            &mut OsEntropy
        )
        .is_ok()
    );
    // Caption length
    let doc = write(&mk, "/a", "a", b"x", &empty).unwrap();
    let (f, _) = read(&mk, &doc).unwrap();
    let fk = FileKey::from_bytes(*f.filekey().expose_secret());
    let long = vec![("note".to_owned(), caption::Change::Set(vec![b'x'; 2000]))];
    assert!(matches!(
        caption::update(&fk, &mk, "", &long, caption::CAPTION_MAX, &mut OsEntropy),
        Err(Error::TooLarge {
            what: "caption",
            ..
        })
    ));
    assert!(matches!(
        caption::update(
            &fk,
            &mk,
            "",
            &[("file_size".into(), caption::Change::Set(vec![1]))],
            1024,
            &mut OsEntropy
        ),
        Err(Error::RestrictedField(_))
    ));
    // Bad paths
    assert!(matches!(
        write(&mk, "", "a", b"", &empty),
        Err(Error::InvalidPath { .. })
    ));
    assert!(matches!(
        write(&mk, "/a", "..", b"", &empty),
        Err(Error::InvalidPath { .. })
    ));
    assert!(matches!(
        write(&mk, "/a", "b/c", b"", &empty),
        Err(Error::InvalidPath { .. })
    ));
}

#[test]
fn declared_size_is_enforced_by_the_writer() {
    let mk = MainKey::from_bytes([1; 32]);
    let empty = Attributes::new();
    let file = NewFile {
        dir: "/a",
        name: "a",
        size: 10,
        mime: "",
        preview: &[],
        duration: 0,
        cattrs: &empty,
    };
    let p = boxfile::prepare(
        &mk,
        &BoxSalt::from_bytes([0; 32]),
        &file,
        &Default::default(),
        &mut OsEntropy,
    )
    .unwrap();
    assert!(matches!(
        p.encrypt_stream(&[0u8; 9][..], Vec::new()),
        Err(Error::SizeMismatch { .. })
    ));
    assert!(matches!(
        p.encrypt_stream(&[0u8; 11][..], Vec::new()),
        Err(Error::SizeMismatch { .. })
    ));
}

#[test]
fn basekey_reads_through_the_public_box_salt_and_debug_is_redacted() {
    let base = BaseKey::from_bytes([5; 32]);
    let salt = BoxSalt::from_bytes([3; 32]);
    let mk = MainKey::derive(&base, &salt);
    let doc = write(&mk, "/a", "a", b"data", &Attributes::new()).unwrap();
    let header = boxfile::BoxFileHeader::parse(&doc, boxfile::METADATA_MAX).unwrap();
    let file = header.decrypt(KeyRef::Base(&base)).unwrap();
    assert_eq!(file.info.dir.as_deref(), Some("/a"));
    assert_eq!(format!("{base:?}"), "BaseKey(<redacted>)");
    assert!(!format!("{:?}", file.info).contains("/a"));
}

#[test]
fn scrypt_parameters_are_validated() {
    assert!(tgbox_core::ScryptParams::new(vec![], 1000, 8, 1, 32).is_err());
    assert!(tgbox_core::ScryptParams::new(vec![], 1 << 40, 8, 1, 32).is_err());
    assert!(tgbox_core::ScryptParams::new(vec![], 1024, 0, 1, 32).is_err());
    assert!(tgbox_core::ScryptParams::new(vec![1], 1024, 8, 1, 64).is_ok());
}

/// The two-thread `decrypt_stream` agrees with the push decryptor on every size around the
/// piece and block boundaries, and refuses every tampered or truncated payload without
/// reporting success.
#[test]
fn decrypt_stream_matches_the_push_decryptor() {
    let mk = MainKey::from_bytes([5; 32]);
    let chunk = boxfile::write::CHUNK;
    for size in [
        0,
        1,
        15,
        16,
        17,
        1000,
        chunk - 33,
        chunk - 32,
        chunk - 1,
        chunk,
        chunk + 1,
        2 * chunk + 7,
    ] {
        let plain: Vec<u8> = (0..size).map(|i| (i * 13 % 256) as u8).collect();
        let doc = write(&mk, "/s", "n", &plain, &Attributes::default()).unwrap();
        let header = boxfile::BoxFileHeader::parse(&doc, boxfile::METADATA_MAX).unwrap();
        let file = header.decrypt(KeyRef::Main(&mk)).unwrap();
        let body = &doc[header.payload_offset() as usize..];
        let mut out = Vec::new();
        let verified = file.decrypt_stream(body, &mut out).unwrap();
        assert!(
            verified.tag_checked && verified.len == size as u64,
            "size {size}"
        );
        assert!(out == plain, "size {size}: plaintext differs");
        // A flipped bit anywhere (ciphertext or tag) and a cut tag are refused.
        for pos in [0, body.len() / 2, body.len() - 1] {
            let mut bad = body.to_vec();
            bad[pos] ^= 0x10;
            assert!(
                file.decrypt_stream(&bad[..], Vec::new()).is_err(),
                "size {size}: flip at {pos}"
            );
        }
        assert!(
            file.decrypt_stream(&body[..body.len() - 1], Vec::new())
                .is_err(),
            "size {size}: truncated"
        );
    }
}

/// A decryption resumed at any block boundary reproduces the rest of the plaintext and still
/// verifies the tag over the whole file; a wrong IV or a different earlier part fails it.
#[test]
fn decrypt_stream_resumes_at_block_boundaries() {
    let mk = MainKey::from_bytes([6; 32]);
    let chunk = boxfile::write::CHUNK;
    let size = 2 * chunk + 100;
    let plain: Vec<u8> = (0..size).map(|i| (i * 7 % 253) as u8).collect();
    let doc = write(&mk, "/s", "n", &plain, &Attributes::default()).unwrap();
    let header = boxfile::BoxFileHeader::parse(&doc, boxfile::METADATA_MAX).unwrap();
    let file = header.decrypt(KeyRef::Main(&mk)).unwrap();
    let body = &doc[header.payload_offset() as usize..];
    for offset in [16usize, chunk, chunk + 16, 2 * chunk, size - size % 16 - 16] {
        let iv: [u8; 16] = body[offset - 16..offset].try_into().unwrap();
        let mut rest = Vec::new();
        let v = file
            .decrypt_stream_from(
                offset as u64,
                &plain[..offset],
                &iv,
                &body[offset..],
                &mut rest,
            )
            .unwrap();
        assert!(v.tag_checked && v.len == size as u64, "offset {offset}");
        assert!(rest == plain[offset..], "offset {offset}");
        let mut other = plain[..offset].to_vec();
        other[0] ^= 1;
        assert!(
            file.decrypt_stream_from(offset as u64, &other[..], &iv, &body[offset..], Vec::new())
                .is_err(),
            "tampered prefix at {offset}"
        );
        assert!(
            file.decrypt_stream_from(
                offset as u64,
                &plain[..offset],
                &[0; 16],
                &body[offset..],
                Vec::new()
            )
            .is_err(),
            "wrong IV at {offset}"
        );
    }
    assert!(
        file.decrypt_stream_from(15, &plain[..15], &[0; 16], &body[15..], Vec::new())
            .is_err()
    );
    assert!(
        file.decrypt_stream_from(32, &plain[..10], &[0; 16], &body[32..], Vec::new())
            .is_err()
    );
}

/// A prepared file rebuilt from its header encrypts the same plaintext to the same bytes (an
/// upload resumed after a crash sends parts identical to the first attempt's).
#[test]
fn a_prepared_file_rebuilt_from_its_header_encrypts_identically() {
    let mk = MainKey::from_bytes([8; 32]);
    let plain: Vec<u8> = (0..700_000u32).map(|i| (i % 241) as u8).collect();
    let mut cattrs = Attributes::default();
    cattrs.set("k", b"v".to_vec());
    let file = NewFile {
        dir: "/a/b",
        name: "n.bin",
        size: plain.len() as u64,
        mime: "x/y",
        preview: &[],
        duration: 0,
        cattrs: &cattrs,
    };
    let prepared = boxfile::prepare(
        &mk,
        &BoxSalt::from_bytes([3; 32]),
        &file,
        &Default::default(),
        &mut OsEntropy,
    )
    .unwrap();
    let mut first = Vec::new();
    prepared.encrypt_stream(&plain[..], &mut first).unwrap();
    let again = boxfile::PreparedBoxFile::resume(&mk, prepared.header()).unwrap();
    assert_eq!(again.fingerprint(), prepared.fingerprint());
    assert_eq!(again.dir(), prepared.dir());
    let mut second = Vec::new();
    again.encrypt_stream(&plain[..], &mut second).unwrap();
    assert!(first == second, "identical documents");
    assert!(
        boxfile::PreparedBoxFile::resume(&MainKey::from_bytes([9; 32]), prepared.header()).is_err()
    );
    assert!(
        boxfile::PreparedBoxFile::resume(&mk, &prepared.header()[..prepared.header().len() - 1])
            .is_err()
    );
}
