//! Every section of `tgbox_vectors.json`, iterated (spec §15).

use crate::common::*;
use tgbox_core::{
    AnyKey, Attributes, BaseKey, BoxSalt, DirectoryKey, EncryptedMainKey, FileKey, FileSalt,
    HmacKey, ImportKey, Key, MainKey, Mt19937, Phrase, ReplayEntropy, ScryptParams, aes_cbc,
    caption, ints, paths, phrase, sharing,
};

#[test]
fn constants_and_wordlist() {
    let v = vectors();
    let c = &v["constants"];
    assert_eq!(h(&c["PREFIX_hex"]), tgbox_core::boxfile::PREFIX);
    assert_eq!(h(&c["VERBYTE_hex"]), [tgbox_core::boxfile::VERBYTE]);
    assert_eq!(
        c["MINOR_VERSION"].as_u64().unwrap(),
        tgbox_core::boxfile::MINOR_VERSION
    );
    assert_eq!(
        c["METADATA_MAX"].as_u64().unwrap() as usize,
        tgbox_core::boxfile::METADATA_MAX
    );
    assert_eq!(
        c["FILE_PATH_MAX"].as_u64().unwrap() as usize,
        paths::FILE_PATH_MAX
    );
    assert_eq!(
        c["UPLOAD_LIMIT_DEFAULT"].as_u64().unwrap(),
        tgbox_core::boxfile::UPLOAD_LIMIT
    );
    assert_eq!(
        c["UPLOAD_LIMIT_PREMIUM"].as_u64().unwrap(),
        tgbox_core::boxfile::UPLOAD_LIMIT_PREMIUM
    );
    assert_eq!(s(&c["DEF_NO_FOLDER"]), tgbox_core::boxfile::NO_FOLDER);
    let sc = &c["scrypt"];
    let d = ScryptParams::default();
    assert_eq!(d.n(), sc["N"].as_u64().unwrap());
    assert_eq!(u64::from(d.r), sc["r"].as_u64().unwrap());
    assert_eq!(u64::from(d.p), sc["p"].as_u64().unwrap());
    assert_eq!(d.dklen as u64, sc["dklen"].as_u64().unwrap());
    assert_eq!(d.salt, h(&sc["salt_hex"]));
    assert_eq!(d.memory().unwrap(), sc["maxmem_bytes"].as_u64().unwrap());
    let w = &c["wordlist"];
    let words: Vec<&str> = phrase::wordlist().collect();
    assert_eq!(words.len() as u64, w["count"].as_u64().unwrap());
    assert_eq!(words[0], s(&w["first"]));
    assert_eq!(words[2047], s(&w["last"]));
    let joined: String = words.iter().map(|w| format!("{w}\n")).collect();
    assert_eq!(joined.len() as u64, w["bytes"].as_u64().unwrap());
    assert_eq!(sha256_hex(joined.as_bytes()), s(&w["sha256"]));
}

#[test]
fn int_to_bytes() {
    let v = vectors();
    for case in arr(&v["int_to_bytes"]) {
        let n = case["int"].as_u64().unwrap();
        assert_eq!(ints::int_to_bytes(n), h(&case["default_hex"]), "{n}");
        assert_eq!(
            ints::len24(n as usize, "x").map(|b| b.to_vec()).ok(),
            case["len3_hex"].as_str().map(|x| hex::decode(x).unwrap()),
            "{n}"
        );
        assert_eq!(ints::bytes_to_int(&h(&case["default_hex"])).unwrap(), n);
    }
}

#[test]
fn phrases() {
    let v = vectors();
    let p = &v["phrase"];
    assert_eq!(
        p["generated_word_count_default"].as_u64().unwrap() as usize,
        phrase::DEFAULT_WORDS
    );
    for case in arr(&p["by_indices"]) {
        let idx: Vec<usize> = arr(&case["indices"])
            .iter()
            .map(|i| i.as_u64().unwrap() as usize)
            .collect();
        let phrase = Phrase::from_indices(&idx).unwrap();
        assert_eq!(phrase.expose_secret(), s(&case["phrase"]).as_bytes());
        assert_eq!(phrase.expose_secret(), h(&case["phrase_hex"]));
    }
    let u = &p["str_phrase_is_utf8"];
    assert_eq!(
        Phrase::from_text(s(&u["text"])).expose_secret(),
        h(&u["bytes_hex"])
    );
    let mut rng = tgbox_core::OsEntropy;
    let generated = Phrase::generate(phrase::DEFAULT_WORDS, &mut rng).unwrap();
    let text = std::str::from_utf8(generated.expose_secret()).unwrap();
    assert_eq!(text.split(' ').count(), 6);
    assert!(text.split(' ').all(|w| phrase::wordlist().any(|x| x == w)));
}

#[test]
fn python_random() {
    let v = vectors();
    for case in arr(&v["python_random_mt19937"]) {
        let seed = h(&case["seed_hex"]);
        let mut mt = Mt19937::from_seed_bytes(&seed);
        for want in arr(&case["first_u32"]) {
            assert_eq!(u64::from(mt.next_u32()), want.as_u64().unwrap());
        }
        for (n, want) in case["shuffle_of_range_n"].as_object().unwrap() {
            let n: usize = n.parse().unwrap();
            let mut x: Vec<usize> = (0..n).collect();
            Mt19937::from_seed_bytes(&seed).shuffle(&mut x);
            let want: Vec<usize> = arr(want)
                .iter()
                .map(|i| i.as_u64().unwrap() as usize)
                .collect();
            assert_eq!(x, want, "seed {} n {n}", s(&case["seed_hex"]));
        }
    }
}

fn scrypt_params(case: &serde_json::Value) -> ScryptParams {
    ScryptParams::new(
        h(&case["salt_hex"]),
        case["n"].as_u64().unwrap(),
        case["r"].as_u64().unwrap() as u32,
        case["p"].as_u64().unwrap() as u32,
        case["dklen"].as_u64().unwrap() as usize,
    )
    .unwrap()
}

#[test]
fn basekeys_cheap() {
    let v = vectors();
    for case in arr(&v["basekey_cheap"]) {
        let key = BaseKey::derive(&h(&case["phrase_hex"]), &scrypt_params(case)).unwrap();
        assert_eq!(
            key.expose_secret()[..],
            h(&case["basekey_hex"])[..],
            "{}",
            case["phrase"]
        );
        assert_eq!(&*key.encode(), s(&case["basekey_encoded"]));
    }
}

#[test]
fn basekey_with_the_real_parameters() {
    let v = vectors();
    let case = &v["basekey_default_params"];
    let params = scrypt_params(case);
    assert_eq!(params, ScryptParams::default());
    let key = BaseKey::derive(&h(&case["phrase_hex"]), &params).unwrap();
    assert_eq!(&*key.encode(), s(&case["basekey_encoded"]));
}

#[test]
fn key_hierarchy() {
    let v = vectors();
    let k = &v["keys"];
    for case in arr(&k["mainkey"]) {
        let mk = MainKey::derive(
            &BaseKey::from_bytes(h32(&case["basekey_hex"])),
            &BoxSalt::from_bytes(h32(&case["box_salt_hex"])),
        );
        assert_eq!(mk.expose_secret()[..], h(&case["mainkey_hex"])[..]);
        assert_eq!(&*mk.encode(), s(&case["mainkey_encoded"]));
        assert_eq!(
            BoxSalt::from_b64(s(&case["box_salt_b64"]))
                .unwrap()
                .as_bytes()[..],
            h(&case["box_salt_hex"])[..]
        );
    }
    for case in arr(&k["dirkey"]) {
        let dk = DirectoryKey::derive(&mainkey(&case["mainkey_hex"]), &h32(&case["part_id_hex"]));
        assert_eq!(dk.expose_secret()[..], h(&case["dirkey_hex"])[..]);
    }
    for case in arr(&k["filekey_v1_3"]) {
        let fk = FileKey::derive(
            &DirectoryKey::from_bytes(h32(&case["dirkey_hex"])),
            &FileSalt::from_bytes(h32(&case["file_salt_hex"])),
        );
        assert_eq!(fk.expose_secret()[..], h(&case["filekey_hex"])[..]);
    }
    for case in arr(&k["filekey_legacy"]) {
        let fk = FileKey::derive_legacy(
            &mainkey(&case["mainkey_hex"]),
            &FileSalt::from_bytes(h32(&case["file_salt_hex"])),
        );
        assert_eq!(fk.expose_secret()[..], h(&case["filekey_hex"])[..]);
    }
    for case in arr(&k["hmackey"]) {
        let hk = HmacKey::derive(
            &FileKey::from_bytes(h32(&case["filekey_hex"])),
            &FileSalt::from_bytes(h32(&case["file_salt_hex"])),
        );
        assert_eq!(hk.expose_secret()[..], h(&case["hmackey_hex"])[..]);
    }
    let em = &k["encrypted_mainkey_layout"];
    let base = BaseKey::from_bytes(h32(&em["basekey_hex"]));
    let mut rng = ReplayEntropy::new([h(&em["iv_hex"])]);
    let sealed = EncryptedMainKey::seal(&base, &mainkey(&em["mainkey_hex"]), &mut rng).unwrap();
    assert_eq!(sealed.as_bytes()[..], h(&em["encrypted_hex"])[..]);
    assert_eq!(
        sealed.open(&base).unwrap().expose_secret()[..],
        h(&em["mainkey_hex"])[..]
    );
    assert!(sealed.open(&BaseKey::from_bytes([0; 32])).is_err());
}

#[test]
fn key_text_encoding() {
    let v = vectors();
    for case in arr(&v["keys"]["key_encoding"]) {
        let raw = h(&case["key_hex"]);
        let text = s(&case["encoded"]);
        assert_eq!(text.len() as u64, case["encoded_len"].as_u64().unwrap());
        let any = AnyKey::decode(text).unwrap();
        assert_eq!(any.type_name(), s(&case["type"]));
        let encoded = match &any {
            AnyKey::Base(k) => k.encode(),
            AnyKey::Main(k) => k.encode(),
            AnyKey::Request(k) => k.encode(),
            AnyKey::Share(k) => k.encode(),
            AnyKey::Import(k) => k.encode(),
            AnyKey::File(k) => k.encode(),
            AnyKey::EncryptedMain(k) => k.encode(),
            AnyKey::Directory(k) => k.encode(),
            AnyKey::Hmac(k) => k.encode(),
            other => panic!("unexpected {other:?}"),
        };
        assert_eq!(&*encoded, text);
        assert_eq!(raw.len() as u64, case["key_len"].as_u64().unwrap());
        assert_eq!(text.chars().next().unwrap().to_string(), s(&case["prefix"]));
    }
    for case in arr(&v["keys"]["key_decoding"]) {
        let input = s(&case["input"]);
        match case.get("error") {
            Some(_) => assert!(AnyKey::decode(input).is_err(), "{}", case["case"]),
            None => {
                let any = AnyKey::decode(input).unwrap();
                assert_eq!(any.type_name(), s(&case["type"]));
                let raw = match any {
                    AnyKey::Main(k) => k.expose_secret().to_vec(),
                    AnyKey::File(k) => k.expose_secret().to_vec(),
                    other => panic!("unexpected {other:?}"),
                };
                assert_eq!(raw, h(&case["key_hex"]));
            }
        }
    }
    // A typed decoder refuses another type with a clear error.
    assert!(matches!(
        MainKey::decode("FXjh9sb4WzYSvn6SmZ2DrdmmPzR1JRCq08L/iTApwrSk="),
        Err(tgbox_core::Error::WrongKeyType { .. })
    ));
}

#[test]
fn aes_cbc_cases() {
    let v = vectors();
    let a = &v["aes_cbc"];
    let key = h32(&a["key_hex"]);
    let iv: [u8; 16] = h(&a["iv_hex"]).try_into().unwrap();
    for case in arr(&a["cases"]) {
        let pt = h(&case["plaintext_hex"]);
        let out = aes_cbc::encrypt_with_iv(&key, &iv, &pt);
        assert_eq!(out, h(&case["iv_and_ciphertext_hex"]));
        assert_eq!(
            out.len() - 16,
            case["ciphertext_len"].as_u64().unwrap() as usize
        );
        assert_eq!(*aes_cbc::decrypt(&key, &out).unwrap(), pt);
    }
    // Streaming: the output of the calls, concatenated, is the IV and the CBC chain.
    let st = &a["streaming"];
    let pt = h(&st["plaintext_hex"]);
    let mut enc = Some(aes_cbc::CbcEncryptor::new(&key, &iv));
    let mut ours = iv.to_vec();
    let mut expected = Vec::new();
    for call in arr(&st["calls"]) {
        let r = arr(&call["input_range"]);
        let piece = &pt[r[0].as_u64().unwrap() as usize..r[1].as_u64().unwrap() as usize];
        let e = enc.as_mut().expect("no call after the padded one");
        e.update(piece, &mut ours);
        if call["pad"].as_bool().unwrap() {
            enc.take().unwrap().finish(&mut ours);
        }
        expected.extend_from_slice(&h(&call["output_hex"]));
    }
    assert!(enc.is_none(), "the last call pads");
    assert_eq!(ours, expected);
    assert_eq!(ours, aes_cbc::encrypt_with_iv(&key, &iv, &pt));
    let nopad = &a["no_pad_no_iv"];
    let mut blocks = h(&nopad["plaintext_hex"]);
    aes_cbc::CbcEncryptor::new(&key, &iv).encrypt_blocks_in_place(&mut blocks);
    assert_eq!(blocks, h(&nopad["ciphertext_hex"]));
    // The reference's lenient unpadding is refused by our strict reader (spec §5).
    for case in arr(&a["reference_unpad_leniency"]) {
        let blocks = h(&case["plaintext_blocks_hex"]);
        let mut ct = blocks.clone();
        aes_cbc::CbcEncryptor::new(&key, &iv).encrypt_blocks_in_place(&mut ct);
        let mut data = iv.to_vec();
        data.extend_from_slice(&ct);
        assert!(matches!(
            aes_cbc::decrypt(&key, &data),
            Err(tgbox_core::Error::Decryption)
        ));
    }
}

#[test]
fn packed_attributes() {
    let v = vectors();
    let p = &v["packed_attributes"];
    for case in arr(&p["pack"]) {
        let values = case["values_hex"].as_object().unwrap();
        let attrs: Attributes = arr(&case["input_order"])
            .iter()
            .map(|k| (s(k).to_owned(), h(&values[s(k)])))
            .collect();
        let protected: Vec<&str> = arr(&case["protected_keys"]).iter().map(s).collect();
        let seed = h(&case["seed_hex"]);
        let order: Vec<&str> = attrs
            .shuffled_order(&seed, &protected)
            .into_iter()
            .map(|i| attrs.keys().nth(i).unwrap())
            .collect();
        let want: Vec<&str> = arr(&case["final_order"]).iter().map(s).collect();
        assert_eq!(order, want, "{}", case["name"]);
        assert_eq!(
            attrs.pack_seeded(&seed, &protected).unwrap(),
            h(&case["packed_hex"]),
            "{}",
            case["name"]
        );
    }
    for case in arr(&p["unpack"]) {
        let got = Attributes::unpack(&h(&case["input_hex"]));
        match case["strict_result"].as_object() {
            None => assert!(got.is_err(), "{}", case["name"]),
            Some(want) => {
                let got = got.unwrap();
                assert_eq!(got.len(), want.len(), "{}", case["name"]);
                for (k, val) in want {
                    assert_eq!(got.get(k).unwrap(), h(val), "{}", case["name"]);
                }
            }
        }
    }
    let ins: Attributes = [("field", b"data".to_vec()), ("x", b"test".to_vec())]
        .into_iter()
        .collect();
    assert_eq!(
        ins.pack_in_order().unwrap(),
        h(&p["insertion_order_example_hex"])
    );
    let bug = &p["non_ascii_key_bug"];
    let attrs: Attributes = [(s(&bug["key"]), h(&bug["value_hex"]))]
        .into_iter()
        .collect();
    assert!(matches!(
        attrs.pack_in_order(),
        Err(tgbox_core::Error::NonAsciiKey(_))
    ));
    // The reference's corrupt container is refused by the strict reader.
    assert!(Attributes::unpack(&h(&bug["reference_packed_hex"])).is_err());
}

#[test]
fn path_parts() {
    let v = vectors();
    let p = &v["path_parts"];
    let mk = mainkey(&p["mainkey_hex"]);
    for case in arr(&p["cases"]) {
        let input = s(&case["input"]);
        let want: Vec<String> = arr(&case["general_parts"])
            .iter()
            .map(|x| s(x).to_owned())
            .collect();
        let parts = paths::split(input);
        assert_eq!(parts, want, "{input:?}");
        let ids = paths::part_ids(&mk, &parts);
        for (id, part) in ids.iter().zip(arr(&case["parts"])) {
            assert_eq!(
                id[..],
                h(&part["part_id_hex"])[..],
                "{input:?} {}",
                part["part"]
            );
        }
        match case.get("head_part_id_hex").and_then(|x| x.as_str()) {
            Some(head) => {
                assert_eq!(
                    paths::head_part_id(&mk, input).unwrap()[..],
                    hex::decode(head).unwrap()[..],
                    "{input:?}"
                );
                assert_eq!(
                    paths::directory_key(&mk, input).unwrap().expose_secret()[..],
                    h(&case["dirkey_hex"])[..]
                );
            }
            None => assert!(paths::head_part_id(&mk, input).is_err(), "{input:?}"),
        }
    }
    assert!(p["fuzz_strings_agreeing_with_reference"].as_u64().unwrap() > 10_000);
}

#[test]
fn fingerprints() {
    let v = vectors();
    let f = &v["fingerprints"];
    let mk = mainkey(&f["mainkey_hex"]);
    for case in arr(&f["cases"]) {
        let path = s(&case["file_path"]);
        let want: Vec<String> = arr(&case["general_parts"])
            .iter()
            .map(|x| s(x).to_owned())
            .collect();
        assert_eq!(paths::split(path), want);
        assert_eq!(
            paths::fingerprint(&mk, path)[..],
            h(&case["fingerprint_hex"])[..],
            "{path:?}"
        );
    }
}

#[test]
fn caption_updates_replayed() {
    let v = vectors();
    let mk = mainkey(&v["box_context"]["alice"]["mainkey_hex"]);
    let sample_vec = v["box_files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == "text_unicode_path")
        .unwrap();
    let fk = FileKey::from_bytes(h32(&sample_vec["filekey_hex"]));
    let doc = sample("text_unicode_path");
    for case in arr(&v["caption_updates"]) {
        let Some(changes) = case.get("changes") else {
            // The fast-sync placeholder caption is ignored by the reader (§10.4).
            let (file, _, _) = read_all(
                &doc,
                tgbox_core::boxfile::KeyRef::Main(&mk),
                Some(s(&case["caption"])),
                Some(&mk),
            )
            .unwrap();
            assert_eq!(file.info.name, s(&case["reader_view"]["file_name"]));
            continue;
        };
        let changes: Vec<(String, caption::Change)> = changes
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, val)| {
                (
                    k.clone(),
                    match val.as_str() {
                        Some(x) => caption::Change::Set(hex::decode(x).unwrap()),
                        None => caption::Change::Remove,
                    },
                )
            })
            .collect();
        let mut rng = ReplayEntropy::new(arr(&case["random_draws"]).iter().map(|d| h(&d["hex"])));
        let text = caption::update(
            &fk,
            &mk,
            s(&case["previous_caption"]),
            &changes,
            caption::CAPTION_MAX,
            &mut rng,
        )
        .unwrap();
        assert_eq!(text, s(&case["caption"]), "{}", case["name"]);
        assert_eq!(rng.remaining(), 0);

        let view = &case["reader_view"];
        let (file, plain, _) = read_all(
            &doc,
            tgbox_core::boxfile::KeyRef::Main(&mk),
            Some(&text),
            Some(&mk),
        )
        .unwrap();
        assert_eq!(file.info.name, s(&view["file_name"]));
        assert_eq!(file.info.mime, s(&view["mime"]));
        assert_eq!(file.info.dir.as_deref(), Some(s(&view["file_path"])));
        assert_eq!(file.info.size, view["size"].as_u64().unwrap());
        let want_cattrs = view["cattrs"].as_object().unwrap();
        assert_eq!(file.info.cattrs.len(), want_cattrs.len());
        for (k, val) in want_cattrs {
            assert_eq!(file.info.cattrs.get(k).unwrap(), h(val));
        }
        // The reference reports the caption's `_BFP` as residual metadata; we drop it (§10.3).
        for (k, val) in view["residual_metadata"].as_object().unwrap() {
            if k != "_BFP" {
                assert_eq!(file.info.residual.get(k).unwrap(), h(val));
            }
        }
        assert!(!file.info.residual.contains("_BFP"));
        assert_eq!(sha256_hex(&plain), s(&view["plaintext_sha256"]));
    }
}

#[test]
fn sharing_all_flows() {
    let v = vectors();
    let sh = &v["sharing"];
    for name in ["file", "directory_api_salt", "directory_docs_salt", "box"] {
        let c = &sh[name];
        let bob_key = h32(&c["bob_key_hex"]);
        let bob_salt = h(&c["bob_salt_hex"]);
        let req = sharing::request_key(&bob_key, &bob_salt).unwrap();
        assert_eq!(req.as_bytes()[..], h(&c["requestkey_hex"])[..], "{name}");
        assert_eq!(&*req.encode(), s(&c["requestkey_encoded"]));
        let share =
            sharing::share_key(&h32(&c["shared_key_hex"]), &h(&c["alice_salt_hex"]), &req).unwrap();
        assert_eq!(share.as_bytes()[..], h(&c["sharekey_hex"])[..], "{name}");
        assert_eq!(&*share.encode(), s(&c["sharekey_encoded"]));
        let decoded = tgbox_core::ShareKey::decode(s(&c["sharekey_encoded"])).unwrap();
        let import = sharing::import_key(&bob_key, &bob_salt, &decoded).unwrap();
        assert_eq!(
            import.expose_secret()[..],
            h(&c["importkey_hex"])[..],
            "{name}"
        );
        assert_eq!(&*import.encode(), s(&c["importkey_encoded"]));
    }
    // The typed helpers agree with the raw flow.
    let b = &sh["box"];
    let req = tgbox_core::RequestKey::for_box(
        &BaseKey::from_bytes(h32(&b["bob_key_hex"])),
        &BoxSalt::from_bytes(h32(&b["bob_salt_hex"])),
    )
    .unwrap();
    let share = tgbox_core::ShareKey::for_box(
        &mainkey(&b["shared_key_hex"]),
        &BoxSalt::from_bytes(h32(&b["alice_salt_hex"])),
        &req,
    )
    .unwrap();
    assert_eq!(&*share.encode(), s(&b["sharekey_encoded"]));
    let u = &sh["unencrypted"];
    assert_eq!(
        &*ImportKey::unencrypted(&h32(&u["shared_key_hex"])).encode(),
        s(&u["encoded"])
    );

    // Reader checks: the shared sample read with each kind of key (spec §11.6).
    let doc = sample("text_unicode_path");
    let file_import = ImportKey::decode(s(&sh["file"]["importkey_encoded"])).unwrap();
    let dir_import = ImportKey::decode(s(&sh["directory_api_salt"]["importkey_encoded"])).unwrap();
    let filekey = FileKey::from_bytes(h32(&sh["file"]["shared_key_hex"]));
    let checks = arr(&sh["reader_checks"]);
    for (check, key) in checks.iter().zip([
        tgbox_core::boxfile::KeyRef::Import(&file_import),
        tgbox_core::boxfile::KeyRef::Import(&dir_import),
        tgbox_core::boxfile::KeyRef::File(&filekey),
    ]) {
        let (file, _, verified) = read_all(&doc, key, None, None).unwrap();
        assert!(verified.tag_checked);
        assert_eq!(file.info.name, s(&check["file_name"]));
        assert_eq!(
            file.info.dir, None,
            "no MainKey: the reference says {}",
            check["file_path"]
        );
        match check["dirkey_hex"].as_str() {
            Some(dk) => assert_eq!(
                file.dirkey().unwrap().expose_secret()[..],
                hex::decode(dk).unwrap()[..]
            ),
            None => assert!(file.dirkey().is_none()),
        }
    }
    assert!(
        sh["observations"]
            .as_object()
            .unwrap()
            .values()
            .all(|x| x.as_bool() == Some(true))
    );
    let obs_base = BaseKey::from_bytes(h32(&b["bob_key_hex"]));
    let derived = MainKey::derive(&obs_base, &BoxSalt::from_bytes(h32(&b["bob_salt_hex"])));
    assert_eq!(
        derived.expose_secret()[..],
        h(&b["bob_private_scalar_hex"])[..]
    );
}
