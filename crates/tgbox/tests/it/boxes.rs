//! Boxes end to end on `local:` and `memory:`: make, upload, download, reopen, clone, the
//! journal, and every bad input leaving the LocalBox and the channel unchanged.

use std::path::Path;
use std::sync::Arc;

use crate::common::view;
use tgbox::channel::conformance::{all_messages, block_on, pattern};
use tgbox::channel::{Channel, FaultConfig, FaultyChannel, LocalChannel, MemoryChannel, Photo};
use tgbox::{BOX_TITLE_PREFIX, Error, MakeBox, NoProgress, SessionInfo, TgBox, UploadFile};
use tgbox_core::keys::ScryptParams;
use tgbox_core::{Attributes, BaseKey, MainKey};

/// Cheap scrypt for tests; the real parameters take a second and 1 GiB.
fn basekey(phrase: &str) -> BaseKey {
    crate::common::cheap_basekey(phrase)
}

async fn local_channel(dir: &Path, name: &str) -> Arc<dyn Channel> {
    Arc::new(
        LocalChannel::create(dir, &format!("{BOX_TITLE_PREFIX}{name}"), "", false)
            .await
            .unwrap(),
    )
}

async fn make(channel: Arc<dyn Channel>, localbox: &Path, phrase: &str) -> TgBox {
    TgBox::make(
        channel,
        MakeBox {
            localbox,
            basekey: &basekey(phrase),
            box_salt: None,
            photo: Some(Photo {
                bytes: b"\x89PNG logo".to_vec(),
                extension: "png".into(),
            }),
            session: SessionInfo::offline().unwrap(),
        },
    )
    .await
    .unwrap()
}

/// The box in `channel` opened on another device (phrase "p"): its LocalBox rebuilt from the
/// channel.
async fn clone_box(channel: Arc<dyn Channel>, localbox: &Path) -> TgBox {
    TgBox::clone_from(
        channel,
        localbox,
        &basekey("p"),
        SessionInfo::offline().unwrap(),
        &NoProgress,
    )
    .await
    .unwrap()
}

/// A box on a fresh `memory:` channel.
async fn memory_box(dir: &Path, name: &str) -> (Arc<dyn Channel>, TgBox) {
    let channel: Arc<dyn Channel> =
        Arc::new(MemoryChannel::create(&format!("{BOX_TITLE_PREFIX}{name}"), "", false).unwrap());
    let tgbox = make(channel.clone(), &dir.join("box.db"), "p").await;
    (channel, tgbox)
}

fn upload_args<'a>(source: &'a Path, dir: &'a str, cattrs: &'a Attributes) -> UploadFile<'a> {
    UploadFile {
        source,
        dir,
        name: None,
        mime: "",
        cattrs,
    }
}

const SIZES: [usize; 7] = [0, 1, 16, 524_288, 1_048_544, 1_048_576, 3 * 1024 * 1024 + 5];

#[test]
fn upload_download_reopen_and_clone_on_local() {
    let tmp = tempfile::tempdir().unwrap();
    block_on(async {
        let chan_dir = tmp.path().join("chan");
        let channel = local_channel(&chan_dir, "Test box").await;
        let db = tmp.path().join("box.db");
        let tgbox = make(channel.clone(), &db, "correct horse").await;
        let header = channel.header().await.unwrap();
        assert_eq!(header.about, tgbox.box_salt().to_b64());
        assert!(header.has_photo);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&db).unwrap().permissions().mode() & 0o777,
                0o600,
                "the LocalBox holds the session"
            );
        }

        let mut cattrs = Attributes::default();
        cattrs.set("tag", b"x".to_vec());
        let mut ids = Vec::new();
        for (i, size) in SIZES.iter().enumerate() {
            let src = tmp.path().join(format!("file-{size}.bin"));
            std::fs::write(&src, pattern(i as u64, *size)).unwrap();
            let f = tgbox
                .upload(
                    upload_args(&src, "/home/ünï/docs", &cattrs),
                    Arc::new(NoProgress),
                )
                .await
                .unwrap();
            assert_eq!(f.info().size, *size as u64);
            assert_eq!(f.info().name, format!("file-{size}.bin"));
            assert_eq!(f.info().dir.as_deref(), Some("/home/ünï/docs"));
            assert_eq!(f.info().cattrs, cattrs);
            ids.push(f.id);
        }
        for (i, (id, size)) in ids.iter().zip(SIZES).enumerate() {
            let out = tmp.path().join(format!("out-{id}"));
            let d = tgbox
                .download(*id, &out, Arc::new(NoProgress))
                .await
                .unwrap();
            assert!(d.tag_checked);
            assert_eq!(d.size, size as u64);
            assert!(
                std::fs::read(&out).unwrap() == pattern(i as u64, size),
                "file {id} of {size} bytes"
            );
        }
        let listed: Vec<i64> = tgbox.files().await.unwrap().iter().map(|f| f.id).collect();
        assert_eq!(listed, ids);
        drop(tgbox);

        let reopened = TgBox::open(channel.clone(), &db, &basekey("correct horse"))
            .await
            .unwrap();
        assert_eq!(reopened.files().await.unwrap().len(), SIZES.len());
        let wrong = TgBox::open(channel.clone(), &db, &basekey("wrong horse"))
            .await
            .unwrap_err();
        assert!(matches!(wrong, Error::WrongPhrase), "{wrong}");
        assert_eq!(wrong.to_string(), "wrong phrase or not a TGBOX channel");

        // Rebuild the LocalBox from the channel alone.
        let db2 = tmp.path().join("clone.db");
        let bad = TgBox::clone_from(
            channel.clone(),
            &db2,
            &basekey("wrong"),
            SessionInfo::offline().unwrap(),
            &NoProgress,
        )
        .await
        .unwrap_err();
        assert!(matches!(bad, Error::WrongPhrase), "{bad}");
        assert!(!db2.exists(), "a refused clone writes nothing");
        assert_eq!(
            std::fs::read_dir(tmp.path())
                .unwrap()
                .filter(|e| e
                    .as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .contains("partial"))
                .count(),
            0
        );
        let cloned = TgBox::clone_from(
            channel.clone(),
            &db2,
            &basekey("correct horse"),
            SessionInfo::offline().unwrap(),
            &NoProgress,
        )
        .await
        .unwrap();
        let a = reopened.files().await.unwrap();
        let b = cloned.files().await.unwrap();
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(
                (
                    x.id,
                    x.upload_time,
                    &x.info().name,
                    &x.info().dir,
                    x.info().size
                ),
                (
                    y.id,
                    y.upload_time,
                    &y.info().name,
                    &y.info().dir,
                    y.info().size
                )
            );
        }
        let out = tmp.path().join("from-clone");
        cloned
            .download(ids[4], &out, Arc::new(NoProgress))
            .await
            .unwrap();
        assert!(std::fs::read(&out).unwrap() == pattern(4, SIZES[4]));
    });
}

#[test]
fn bad_inputs_leave_everything_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    block_on(async {
        let channel: Arc<dyn Channel> =
            Arc::new(MemoryChannel::create(&format!("{BOX_TITLE_PREFIX}bad"), "", false).unwrap());
        let db = tmp.path().join("box.db");
        let tgbox = make(channel.clone(), &db, "p").await;
        let src = tmp.path().join("a.txt");
        std::fs::write(&src, b"hello").unwrap();
        let none = Attributes::default();
        tgbox
            .upload(upload_args(&src, "/d", &none), Arc::new(NoProgress))
            .await
            .unwrap();
        let snapshot = (
            all_messages(channel.as_ref()).await.unwrap(),
            tgbox.localbox().file_ids().unwrap(),
        );

        let missing = tgbox
            .upload(
                upload_args(&tmp.path().join("nope"), "/d", &none),
                Arc::new(NoProgress),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(missing, Error::Io { .. }) && missing.to_string().contains("nope"),
            "{missing}"
        );
        let dir = tgbox
            .upload(upload_args(tmp.path(), "/d", &none), Arc::new(NoProgress))
            .await
            .unwrap_err();
        assert!(dir.to_string().contains("is a directory"), "{dir}");
        let dup = tgbox
            .upload(upload_args(&src, "/d", &none), Arc::new(NoProgress))
            .await
            .unwrap_err();
        assert!(matches!(dup, Error::FingerprintExists(_)), "{dup}");
        let bad_dir = tgbox
            .upload(upload_args(&src, "", &none), Arc::new(NoProgress))
            .await
            .unwrap_err();
        assert!(matches!(bad_dir, Error::Protocol(_)), "{bad_dir}");
        assert_eq!(
            (
                all_messages(channel.as_ref()).await.unwrap(),
                tgbox.localbox().file_ids().unwrap()
            ),
            snapshot
        );
        assert!(tgbox.localbox().journal_pending().unwrap().is_empty());

        // Downloads: an unknown id, an existing target, a tampered document.
        assert!(matches!(
            tgbox
                .download(999, &tmp.path().join("x"), Arc::new(NoProgress))
                .await
                .unwrap_err(),
            Error::NoSuchFile(999)
        ));
        let id = snapshot.1[0];
        let exists = tmp.path().join("exists");
        std::fs::write(&exists, b"keep me").unwrap();
        assert!(
            tgbox
                .download(id, &exists, Arc::new(NoProgress))
                .await
                .is_err()
        );
        assert_eq!(std::fs::read(&exists).unwrap(), b"keep me");
        let leftovers = std::fs::read_dir(tmp.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .contains("partial")
            })
            .count();
        assert_eq!(leftovers, 0, "no partial download left");
    });
}

#[test]
fn a_tampered_document_is_never_released() {
    let tmp = tempfile::tempdir().unwrap();
    block_on(async {
        let chan_dir = tmp.path().join("chan");
        let channel = local_channel(&chan_dir, "tamper").await;
        let tgbox = make(channel.clone(), &tmp.path().join("box.db"), "p").await;
        let src = tmp.path().join("a.bin");
        std::fs::write(&src, pattern(1, 100_000)).unwrap();
        let none = Attributes::default();
        let f = tgbox
            .upload(upload_args(&src, "/d", &none), Arc::new(NoProgress))
            .await
            .unwrap();
        let msg = channel.get_messages(&[f.id as i32]).await.unwrap()[0]
            .clone()
            .unwrap();
        let doc = msg.document.unwrap();
        let bin = chan_dir.join(format!("messages/{:012}.{:016}.bin", f.id, doc.id));
        let mut bytes = std::fs::read(&bin).unwrap();
        bytes[60_000] ^= 1;
        std::fs::write(&bin, &bytes).unwrap();
        let out = tmp.path().join("out");
        let err = tgbox
            .download(f.id, &out, Arc::new(NoProgress))
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::Protocol(tgbox_core::Error::Decryption)),
            "{err}"
        );
        assert!(!out.exists());
    });
}

#[test]
fn the_journal_settles_interrupted_uploads() {
    let tmp = tempfile::tempdir().unwrap();
    block_on(async {
        let chan_dir = tmp.path().join("chan");
        let channel = local_channel(&chan_dir, "journal").await;
        let db = tmp.path().join("box.db");
        let tgbox = make(channel.clone(), &db, "p").await;
        let src = tmp.path().join("a.bin");
        std::fs::write(&src, pattern(3, 5000)).unwrap();
        let none = Attributes::default();
        let f = tgbox
            .upload(upload_args(&src, "/d", &none), Arc::new(NoProgress))
            .await
            .unwrap();
        // A crash after the post and before the row: the row is gone, the entry is there.
        let salt = *f.file.header.file_salt.as_bytes();
        let msg = channel.get_messages(&[f.id as i32]).await.unwrap()[0]
            .clone()
            .unwrap();
        tgbox.localbox().delete_files(&[f.id]).unwrap();
        let entry = |salt: [u8; 32], size: u64| tgbox::localbox::PendingUpload {
            file_salt: salt,
            started: 0,
            source: src.to_string_lossy().into_owned(),
            source_size: 5000,
            source_mtime: 0,
            document_size: size,
            header: Vec::new(),
            token: None,
            replaces: None,
            source_offset: 0,
        };
        tgbox
            .localbox()
            .journal_begin(&entry(salt, msg.document.unwrap().size))
            .unwrap();
        // A crash before the post, of a source that changed since: it cannot resume.
        tgbox
            .localbox()
            .journal_begin(&entry([9; 32], 123))
            .unwrap();
        drop(tgbox);
        let reopened = TgBox::open(channel.clone(), &db, &basekey("p"))
            .await
            .unwrap();
        let ids: Vec<i64> = reopened
            .files()
            .await
            .unwrap()
            .iter()
            .map(|f| f.id)
            .collect();
        assert_eq!(ids, [f.id]);
        assert_eq!(
            reopened.localbox().journal_pending().unwrap().len(),
            1,
            "the unposted upload waits for a resume"
        );
        assert!(
            reopened
                .resume_uploads(Arc::new(NoProgress))
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            reopened.localbox().journal_pending().unwrap().is_empty(),
            "a changed source is dropped"
        );
        let out = tmp.path().join("out");
        reopened
            .download(f.id, &out, Arc::new(NoProgress))
            .await
            .unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), pattern(3, 5000));
    });
}

#[test]
fn downloads_ride_out_flood_waits_and_dropped_connections() {
    let tmp = tempfile::tempdir().unwrap();
    block_on(async {
        let inner = MemoryChannel::create(&format!("{BOX_TITLE_PREFIX}faults"), "", false).unwrap();
        let clean: Arc<dyn Channel> = Arc::new(inner.clone());
        let tgbox = make(clean.clone(), &tmp.path().join("box.db"), "p").await;
        let src = tmp.path().join("a.bin");
        let size = 5 * 1024 * 1024 + 3;
        std::fs::write(&src, pattern(8, size)).unwrap();
        let none = Attributes::default();
        let f = tgbox
            .upload(upload_args(&src, "/d", &none), Arc::new(NoProgress))
            .await
            .unwrap();
        drop(tgbox);
        let faulty = Arc::new(FaultyChannel::new(
            inner,
            FaultConfig {
                flood_wait_rate: 0.1,
                flood_wait: std::time::Duration::from_millis(5),
                drop_rate: 0.1,
                ..FaultConfig::none(220)
            },
        ));
        // Every request the library makes goes through its retry policy. Seed 220 makes the
        // very first two requests (the header at open) rate-limited, so faults are certain.
        let tgbox = TgBox::open(faulty.clone(), &tmp.path().join("box.db"), &basekey("p"))
            .await
            .unwrap();
        let out = tmp.path().join("out");
        tgbox
            .download(f.id, &out, Arc::new(NoProgress))
            .await
            .unwrap();
        assert!(std::fs::read(&out).unwrap() == pattern(8, size));
        assert!(
            faulty.stats().drops + faulty.stats().flood_waits > 0,
            "faults were injected"
        );
    });
}

#[test]
fn search_and_directories() {
    let tmp = tempfile::tempdir().unwrap();
    block_on(async {
        let (_channel, tgbox) = memory_box(tmp.path(), "browse").await;
        let none = Attributes::default();
        let mut tagged = Attributes::default();
        tagged.set("project", b"tgbox".to_vec());
        for (name, dir, size, attrs) in [
            ("a.txt", "/home/u/docs", 10usize, &none),
            ("b.txt", "/home/u/docs/old", 200, &tagged),
            ("c.png", "/home/u", 3000, &none),
            ("d.txt", "/srv", 7, &tagged),
        ] {
            let src = tmp.path().join(name);
            std::fs::write(&src, pattern(size as u64, size)).unwrap();
            tgbox
                .upload(
                    UploadFile {
                        source: &src,
                        dir,
                        name: None,
                        mime: "",
                        cattrs: attrs,
                    },
                    Arc::new(NoProgress),
                )
                .await
                .unwrap();
        }
        let names =
            |v: Vec<Arc<tgbox::IndexedFile>>| v.iter().map(|f| f.name.clone()).collect::<Vec<_>>();
        let mut f = tgbox::SearchFilter::default();
        f.include.file_name = vec![".txt".into()];
        f.include.scope = vec!["/home/u".into()];
        assert_eq!(names(tgbox.search(&f).await.unwrap()), ["a.txt", "b.txt"]);
        f.exclude.cattrs = vec![vec![("project".into(), Vec::new())]];
        assert_eq!(names(tgbox.search(&f).await.unwrap()), ["a.txt"]);
        let mut f = tgbox::SearchFilter::default();
        f.include.min_size = Some(200);
        assert_eq!(names(tgbox.search(&f).await.unwrap()), ["b.txt", "c.png"]);

        let roots = tgbox.list_dir(None).await.unwrap();
        assert_eq!(roots.dirs, ["/"]);
        let root = tgbox.list_dir(Some("/")).await.unwrap();
        assert_eq!(root.dirs, ["home", "srv"]);
        let u = tgbox.list_dir(Some("/home/u")).await.unwrap();
        assert_eq!(u.dirs, ["docs"]);
        assert_eq!(names(u.files), ["c.png"]);
        assert!(tgbox.list_dir(Some("/nowhere")).await.is_err());

        // The index follows uploads made after it was built.
        let src = tmp.path().join("e.txt");
        std::fs::write(&src, b"e").unwrap();
        tgbox
            .upload(
                UploadFile {
                    source: &src,
                    dir: "/home/u",
                    name: None,
                    mime: "",
                    cattrs: &none,
                },
                Arc::new(NoProgress),
            )
            .await
            .unwrap();
        assert_eq!(
            names(tgbox.list_dir(Some("/home/u")).await.unwrap().files),
            ["c.png", "e.txt"]
        );
    });
}

#[test]
fn a_directory_tree_uploads_in_parallel_and_keeps_its_shape() {
    let tmp = tempfile::tempdir().unwrap();
    block_on(async {
        let tree = tmp.path().join("tree");
        for (rel, size) in [
            ("a.txt", 10usize),
            ("sub/b.bin", 70_000),
            ("sub/deeper/c.bin", 1),
            ("sub/d.txt", 300),
        ] {
            let p = tree.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, pattern(size as u64, size)).unwrap();
        }
        #[cfg(unix)]
        std::os::unix::fs::symlink(tree.join("a.txt"), tree.join("link.txt")).unwrap();
        let channel: Arc<dyn Channel> =
            Arc::new(MemoryChannel::create(&format!("{BOX_TITLE_PREFIX}tree"), "", false).unwrap());
        let tgbox = make(channel, &tmp.path().join("box.db"), "p").await;
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        type Seen = Arc<std::sync::Mutex<Vec<(u64, Option<u64>)>>>;
        struct Watch(Seen);
        impl tgbox::Progress for Watch {
            fn update(&self, done: u64, total: Option<u64>) {
                self.0.lock().unwrap().push((done, total));
            }
        }
        let results = tgbox
            .upload_tree(
                &tree,
                "/backup",
                &Attributes::default(),
                3,
                Arc::new(Watch(seen.clone())),
            )
            .await
            .unwrap();
        let ok: Vec<_> = results.iter().filter(|r| r.outcome.is_ok()).collect();
        assert_eq!(ok.len(), 4);
        #[cfg(unix)]
        assert!(results.iter().any(|r| {
            r.outcome
                .as_ref()
                .is_err_and(|e| e.to_string().contains("symbolic link"))
        }));
        let mut placed: Vec<(String, String)> = tgbox
            .files()
            .await
            .unwrap()
            .iter()
            .map(|f| (f.info().dir.clone().unwrap(), f.info().name.clone()))
            .collect();
        placed.sort();
        assert_eq!(
            placed,
            [
                ("/backup".into(), "a.txt".into()),
                ("/backup/sub".into(), "b.bin".into()),
                ("/backup/sub".into(), "d.txt".into()),
                ("/backup/sub/deeper".into(), "c.bin".into())
            ]
        );
        let seen = seen.lock().unwrap();
        assert!(seen.iter().all(|(_, total)| *total == Some(70_311)));
        assert_eq!(
            seen.iter().map(|(done, _)| *done).max(),
            Some(70_311),
            "progress covers the whole batch"
        );
    });
}

#[test]
fn byte_ranges_read_without_a_download() {
    let tmp = tempfile::tempdir().unwrap();
    block_on(async {
        let (_channel, tgbox) = memory_box(tmp.path(), "ranges").await;
        let none = Attributes::default();
        for size in [1usize, 16, 17, 1000, 2_500_000] {
            let data = pattern(size as u64, size);
            let src = tmp.path().join(format!("r{size}"));
            std::fs::write(&src, &data).unwrap();
            let f = tgbox
                .upload(upload_args(&src, "/r", &none), Arc::new(NoProgress))
                .await
                .unwrap();
            for (off, len) in [
                (0usize, 1usize),
                (0, 16),
                (15, 2),
                (16, 16),
                (size / 2, 100),
                (size.saturating_sub(1), 10),
                (size.saturating_sub(17), 17),
                (0, size),
                (3, 1_100_000),
            ] {
                let got = tgbox.read_range(f.id, off as u64, len).await.unwrap();
                let want = &data[off.min(size)..(off + len).min(size)];
                assert!(got == want, "size {size}: range {off}+{len}");
            }
            assert!(
                tgbox
                    .read_range(f.id, size as u64, 5)
                    .await
                    .unwrap()
                    .is_empty()
            );
        }
    });
}

#[test]
fn an_interrupted_download_resumes_and_still_verifies_the_whole_file() {
    let tmp = tempfile::tempdir().unwrap();
    block_on(async {
        let (_channel, tgbox) = memory_box(tmp.path(), "resume").await;
        let none = Attributes::default();
        let size = 3 * 524_288 + 1000;
        let data = pattern(5, size);
        let src = tmp.path().join("big.bin");
        std::fs::write(&src, &data).unwrap();
        let f = tgbox
            .upload(upload_args(&src, "/r", &none), Arc::new(NoProgress))
            .await
            .unwrap();
        let out = tmp.path().join("big.out");
        let tag: String = f
            .file
            .header
            .file_salt
            .to_b64()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(12)
            .collect();
        let partial = tmp
            .path()
            .join(format!(".big.out.{}-{tag}.tgbox-partial", f.id));

        // What an earlier run left, but not what the file holds: the resumed run must notice
        // (the tag covers the whole file) and start nothing from it.
        let mut wrong = data[..524_288 + 21].to_vec();
        wrong[100] ^= 1;
        std::fs::write(&partial, &wrong).unwrap();
        let err = tgbox
            .download(f.id, &out, Arc::new(NoProgress))
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::Protocol(tgbox_core::Error::Decryption)),
            "{err}"
        );
        assert!(!out.exists() && !partial.exists());

        // A correct prefix (cut mid-block, as a crash leaves it) is resumed from.
        std::fs::write(&partial, &data[..524_288 + 21]).unwrap();
        struct First(std::sync::Mutex<Option<u64>>);
        impl tgbox::Progress for First {
            fn update(&self, done: u64, _: Option<u64>) {
                self.0.lock().unwrap().get_or_insert(done);
            }
        }
        let first = Arc::new(First(std::sync::Mutex::new(None)));
        tgbox.download(f.id, &out, first.clone()).await.unwrap();
        assert!(std::fs::read(&out).unwrap() == data);
        assert!(!partial.exists());
        let first = first.0.lock().unwrap().unwrap();
        assert!(
            first > 524_288,
            "the first progress report starts after the resumed prefix ({first})"
        );
    });
}

#[test]
fn refusals_of_bad_boxes_and_oversized_files() {
    let tmp = tempfile::tempdir().unwrap();
    block_on(async {
        // A channel that is not a box: no salt in its description.
        let plain: Arc<dyn Channel> =
            Arc::new(MemoryChannel::create("just a channel", "", false).unwrap());
        let db = tmp.path().join("clone.db");
        let err = TgBox::clone_from(
            plain,
            &db,
            &basekey("p"),
            SessionInfo::offline().unwrap(),
            &NoProgress,
        )
        .await
        .unwrap_err();
        assert!(matches!(err, Error::NotABox(_)), "{err}");
        assert!(!db.exists());

        // A corrupt LocalBox and an SQLite file that is not a LocalBox.
        let channel: Arc<dyn Channel> =
            Arc::new(MemoryChannel::create(&format!("{BOX_TITLE_PREFIX}x"), "", false).unwrap());
        let junk = tmp.path().join("junk.db");
        std::fs::write(&junk, vec![0x5a; 8192]).unwrap();
        let err = TgBox::open(channel.clone(), &junk, &basekey("p"))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::LocalBox { .. }), "{err}");
        assert!(err.to_string().contains("junk.db"), "{err}");
        let good = tmp.path().join("box.db");
        let tgbox = make(channel.clone(), &good, "p").await;
        let params = ScryptParams::new(b"custom salt".to_vec(), 1 << 15, 8, 2, 32).unwrap();
        tgbox.localbox().remember_scrypt(&params).unwrap();
        let back = tgbox.localbox().scrypt_params().unwrap().unwrap();
        assert_eq!(
            (back.salt(), back.n(), back.r(), back.p(), back.dklen()),
            (&b"custom salt"[..], 1 << 15, 8, 2, 32)
        );
        let mut bytes = std::fs::read(&good).unwrap();
        let half = bytes.len() / 2;
        bytes.truncate(half);
        let cut = tmp.path().join("cut.db");
        std::fs::write(&cut, &bytes).unwrap();
        assert!(
            TgBox::open(channel.clone(), &cut, &basekey("p"))
                .await
                .is_err(),
            "a truncated LocalBox is refused"
        );

        // A file over the document limit (no splitting): refused before a byte is sent.
        let big = tmp.path().join("big.sparse");
        std::fs::File::create(&big)
            .unwrap()
            .set_len(2_100_000_000)
            .unwrap();
        let none = Attributes::default();
        let err = tgbox
            .upload(upload_args(&big, "/d", &none), Arc::new(NoProgress))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("2100000"), "{err}");
        assert!(all_messages(channel.as_ref()).await.unwrap().is_empty());
        assert!(tgbox.localbox().journal_pending().unwrap().is_empty());
    });
}

#[test]
fn edits_travel_through_the_channel_and_deep_sync_brings_another_user_in_step() {
    let tmp = tempfile::tempdir().unwrap();
    block_on(async {
        let channel = local_channel(&tmp.path().join("chan"), "shared").await;
        let alice = make(channel.clone(), &tmp.path().join("alice.db"), "p").await;
        let none = Attributes::default();
        let mut ids = Vec::new();
        for i in 0..4u64 {
            let src = tmp.path().join(format!("f{i}.txt"));
            std::fs::write(&src, pattern(i, 100 + i as usize)).unwrap();
            ids.push(
                alice
                    .upload(upload_args(&src, "/docs", &none), Arc::new(NoProgress))
                    .await
                    .unwrap()
                    .id,
            );
        }
        // Bob opens the same box on another device.
        let bob = clone_box(channel.clone(), &tmp.path().join("bob.db")).await;
        assert_eq!(view(&alice).await, view(&bob).await);

        // Alice renames, moves, tags, deletes and uploads; Bob syncs.
        let renamed = alice
            .edit(ids[0], &[tgbox::Edit::Rename("renamed ✓.txt".into())])
            .await
            .unwrap();
        assert_eq!(renamed.info().name, "renamed ✓.txt");
        let moved = alice
            .edit(
                ids[1],
                &[
                    tgbox::Edit::Move("/archive/2026".into()),
                    tgbox::Edit::SetAttr("tag".into(), b"old".to_vec()),
                ],
            )
            .await
            .unwrap();
        assert_eq!(moved.info().dir.as_deref(), Some("/archive/2026"));
        assert_eq!(moved.info().cattrs.get("tag"), Some(&b"old"[..]));
        let back = alice
            .edit(
                ids[1],
                &[tgbox::Edit::MoveBack, tgbox::Edit::RemoveAttr("tag".into())],
            )
            .await
            .unwrap();
        assert_eq!(back.info().dir.as_deref(), Some("/docs"));
        assert_eq!(back.info().cattrs.get("tag"), None);
        alice
            .edit(ids[2], &[tgbox::Edit::Move("/archive".into())])
            .await
            .unwrap();
        let taken = alice
            .edit(ids[3], &[tgbox::Edit::Rename("renamed ✓.txt".into())])
            .await
            .unwrap_err();
        assert!(matches!(taken, Error::FingerprintExists(_)), "{taken}");
        assert_eq!(alice.delete(&[ids[3]]).await.unwrap(), 1);
        let src = tmp.path().join("new.bin");
        std::fs::write(&src, b"new").unwrap();
        let added = alice
            .upload(upload_args(&src, "/docs", &none), Arc::new(NoProgress))
            .await
            .unwrap()
            .id;

        let report = bob.sync_deep(&NoProgress).await.unwrap();
        assert_eq!(report.added, [added]);
        assert_eq!(report.removed, [ids[3]]);
        // File 2 went there and back: its caption is empty again, nothing to update.
        assert_eq!(report.updated, [ids[0], ids[2]], "{report:?}");
        assert!(report.skipped.is_empty(), "{report:?}");
        assert_eq!(view(&alice).await, view(&bob).await);
        let mut filter = tgbox::SearchFilter::default();
        filter.include.scope = vec!["/archive".into()];
        let found: Vec<_> = bob
            .search(&filter)
            .await
            .unwrap()
            .iter()
            .map(|f| (f.id, f.dir.clone()))
            .collect();
        assert_eq!(
            found.len(),
            1,
            "the index follows a sync: {found:?} {:?}",
            view(&bob).await
        );

        // A second sync has nothing to do and reads no metadata: the listing only (one page,
        // then the empty page that ends the walk).
        let again = bob.sync_deep(&NoProgress).await.unwrap();
        assert_eq!(
            (again.added.len(), again.updated.len(), again.removed.len()),
            (0, 0, 0)
        );
        assert_eq!(again.requests, 2);
        // Alice's own LocalBox agrees with the channel too.
        let own = alice.sync_deep(&NoProgress).await.unwrap();
        assert_eq!(
            (own.added.len(), own.updated.len(), own.removed.len()),
            (0, 0, 0),
            "{own:?}"
        );
    });
}

/// Two users of one box doing random uploads, renames, moves, tags and deletions, syncing now
/// and then: after a final sync both LocalBoxes equal a fresh clone of the channel.
#[test]
fn two_users_never_diverge_over_random_operation_sequences() {
    // Successful operations of each kind, over all seeds: the test must exercise them all.
    let mut done = [0u32; 6];
    for seed in 1..=6u64 {
        let tmp = tempfile::tempdir().unwrap();
        block_on(async {
            let (channel, alice) = memory_box(tmp.path(), "multi").await;
            let bob = clone_box(channel.clone(), &tmp.path().join("bob.db")).await;
            let users = [&alice, &bob];
            let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
            let mut next = move |n: u64| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x % n
            };
            let none = Attributes::default();
            for step in 0..40u64 {
                let user = users[next(2) as usize];
                let known: Vec<i64> = user.files().await.unwrap().iter().map(|f| f.id).collect();
                let pick = |r: u64| known.get(r as usize % known.len().max(1)).copied();
                // Operations on a file the other user deleted may fail: that is expected and
                // must leave both sides consistent.
                let op = next(6);
                let outcome = match op {
                    0 | 1 => {
                        let src = tmp.path().join(format!("s{seed}-{step}"));
                        std::fs::write(&src, pattern(step, 1 + next(3000) as usize)).unwrap();
                        let dir = format!("/d{}", next(3));
                        user.upload(
                            UploadFile {
                                source: &src,
                                dir: &dir,
                                name: None,
                                mime: "",
                                cattrs: &none,
                            },
                            Arc::new(NoProgress),
                        )
                        .await
                        .map(|_| ())
                    }
                    2 => match pick(next(100)) {
                        Some(id) => user
                            .edit(id, &[tgbox::Edit::Rename(format!("r{seed}-{step}"))])
                            .await
                            .map(|_| ()),
                        None => Ok(()),
                    },
                    3 => match pick(next(100)) {
                        Some(id) => user
                            .edit(
                                id,
                                &[
                                    tgbox::Edit::Move(format!("/m{}", next(3))),
                                    tgbox::Edit::SetAttr("s".into(), step.to_string().into_bytes()),
                                ],
                            )
                            .await
                            .map(|_| ()),
                        None => Ok(()),
                    },
                    4 => match pick(next(100)) {
                        Some(id) => user.delete(&[id]).await.map(|_| ()),
                        None => Ok(()),
                    },
                    _ => user.sync_deep(&NoProgress).await.map(|_| ()),
                };
                if outcome.is_ok() {
                    done[op as usize] += 1;
                }
            }
            for user in users {
                let report = user.sync_deep(&NoProgress).await.unwrap();
                assert!(report.skipped.is_empty(), "seed {seed}: {report:?}");
            }
            let truth = clone_box(channel.clone(), &tmp.path().join("truth.db")).await;
            let expected = view(&truth).await;
            assert_eq!(view(&alice).await, expected, "seed {seed}: alice");
            assert_eq!(view(&bob).await, expected, "seed {seed}: bob");
        });
    }
    assert!(
        done.iter().all(|&n| n > 0),
        "every kind of operation ran: {done:?}"
    );
}

#[test]
fn a_re_upload_replaces_the_document_in_place_and_keeps_the_edits() {
    let tmp = tempfile::tempdir().unwrap();
    block_on(async {
        let channel = local_channel(&tmp.path().join("chan"), "replace").await;
        let alice = make(channel.clone(), &tmp.path().join("alice.db"), "p").await;
        let none = Attributes::default();
        let src = tmp.path().join("v1.txt");
        std::fs::write(&src, pattern(1, 5000)).unwrap();
        let f = alice
            .upload(upload_args(&src, "/docs", &none), Arc::new(NoProgress))
            .await
            .unwrap();
        alice
            .edit(
                f.id,
                &[
                    tgbox::Edit::Rename("report.txt".into()),
                    tgbox::Edit::SetAttr("v".into(), b"1".to_vec()),
                ],
            )
            .await
            .unwrap();
        let bob = clone_box(channel.clone(), &tmp.path().join("bob.db")).await;

        let v2 = tmp.path().join("v2.txt");
        std::fs::write(&v2, pattern(2, 900_000)).unwrap();
        let r = alice
            .replace(f.id, &v2, Arc::new(NoProgress))
            .await
            .unwrap();
        assert_eq!(
            (r.id, r.upload_time),
            (f.id, f.upload_time),
            "same file, same date"
        );
        assert_eq!(r.info().name, "report.txt");
        assert_eq!(r.info().size, 900_000);
        assert_eq!(
            r.info().cattrs.get("v"),
            Some(&b"1"[..]),
            "the edits survive"
        );
        assert_ne!(
            r.file.header.file_salt.to_b64(),
            f.file.header.file_salt.to_b64()
        );
        let out = tmp.path().join("out");
        alice
            .download(f.id, &out, Arc::new(NoProgress))
            .await
            .unwrap();
        assert!(std::fs::read(&out).unwrap() == pattern(2, 900_000));
        assert!(alice.localbox().journal_pending().unwrap().is_empty());

        // Bob's copy is stale until he syncs: then it is the new document with the edits.
        assert!(matches!(
            bob.download(f.id, &tmp.path().join("stale"), Arc::new(NoProgress))
                .await,
            Err(Error::NotABoxFile(_))
        ));
        let report = bob.sync_deep(&NoProgress).await.unwrap();
        assert_eq!(report.updated, [f.id]);
        assert_eq!(view(&alice).await, view(&bob).await);
        let out = tmp.path().join("bob-out");
        bob.download(f.id, &out, Arc::new(NoProgress))
            .await
            .unwrap();
        assert!(std::fs::read(&out).unwrap() == pattern(2, 900_000));
    });
}

#[test]
fn fast_sync_follows_the_feed_and_a_bad_message_is_skipped_not_fatal() {
    let tmp = tempfile::tempdir().unwrap();
    block_on(async {
        let channel = local_channel(&tmp.path().join("chan"), "fast").await;
        let alice = make(channel.clone(), &tmp.path().join("alice.db"), "p").await;
        let bob = clone_box(channel.clone(), &tmp.path().join("bob.db")).await;
        // Bob is up to date with an empty box: his first fast sync only sets the mark.
        bob.sync_fast(&NoProgress).await.unwrap();
        let none = Attributes::default();
        let mut ids = Vec::new();
        for i in 0..3u64 {
            let src = tmp.path().join(format!("f{i}"));
            std::fs::write(&src, pattern(i, 2000)).unwrap();
            ids.push(
                alice
                    .upload(upload_args(&src, "/f", &none), Arc::new(NoProgress))
                    .await
                    .unwrap()
                    .id,
            );
        }
        alice
            .edit(ids[0], &[tgbox::Edit::Rename("fast ✓".into())])
            .await
            .unwrap();
        alice.delete(&[ids[1]]).await.unwrap();
        // A document that claims this box but no MainKey of it opens: one bad message.
        let stranger = MainKey::from_bytes([7; 32]);
        let nf = tgbox_core::boxfile::NewFile {
            dir: "/x",
            name: "bad",
            size: 3,
            mime: "",
            preview: &[],
            duration: 0,
            cattrs: &none,
        };
        let p = tgbox_core::boxfile::prepare(
            &stranger,
            alice.box_salt(),
            &nf,
            &Default::default(),
            &mut tgbox_core::OsEntropy,
        )
        .unwrap();
        let mut doc = Vec::new();
        p.encrypt_stream(&b"bad"[..], &mut doc).unwrap();
        let bad = channel
            .post_document(
                tgbox::channel::Upload::from_bytes(
                    p.file_salt().to_b64(),
                    "application/octet-stream",
                    doc,
                ),
                "",
            )
            .await
            .unwrap();

        let report = bob.sync_fast(&NoProgress).await.unwrap();
        assert_eq!(report.added, [ids[0], ids[2]], "{report:?}");
        assert_eq!(
            report.skipped.iter().map(|s| s.0).collect::<Vec<_>>(),
            [bad.id],
            "{report:?}"
        );
        assert_eq!(view(&bob).await, view(&alice).await);
        let again = bob.sync_fast(&NoProgress).await.unwrap();
        assert_eq!(
            (
                again.added.len(),
                again.updated.len(),
                again.removed.len(),
                again.requests
            ),
            (0, 0, 0, 1)
        );
        // Deep sync agrees, and also reports the bad message rather than stopping.
        let deep = bob.sync_deep(&NoProgress).await.unwrap();
        assert_eq!((deep.added.len(), deep.removed.len()), (0, 0));
        assert_eq!(deep.skipped.len(), 1);
    });
}

#[test]
fn a_file_shared_between_two_boxes_opens_with_its_sharekey_only() {
    let tmp = tempfile::tempdir().unwrap();
    block_on(async {
        let a_chan = local_channel(&tmp.path().join("a"), "alice").await;
        let alice = make(a_chan.clone(), &tmp.path().join("alice.db"), "alice phrase").await;
        let b_chan = local_channel(&tmp.path().join("b"), "bob").await;
        let bob = make(b_chan.clone(), &tmp.path().join("bob.db"), "bob phrase").await;
        let none = Attributes::default();
        let src = tmp.path().join("shared.pdf");
        std::fs::write(&src, pattern(9, 300_000)).unwrap();
        let f = alice
            .upload(
                upload_args(&src, "/private/alice", &none),
                Arc::new(NoProgress),
            )
            .await
            .unwrap();
        // The document reaches Bob's channel (a forward, byte for byte).
        let msg = a_chan.get_messages(&[f.id as i32]).await.unwrap()[0]
            .clone()
            .unwrap();
        let bytes = tgbox::channel::conformance::read_all(a_chan.as_ref(), &msg)
            .await
            .unwrap();
        let doc = msg.document.unwrap();
        let copy = b_chan
            .post_document(
                tgbox::channel::Upload::from_bytes(doc.name, doc.mime, bytes),
                "",
            )
            .await
            .unwrap();

        let request = bob.request_key(copy.id).await.unwrap();
        let share = alice.share_key(f.id, &request).await.unwrap();
        // A ShareKey made for someone else's request does not open it.
        let other = tgbox_core::RequestKey::for_file(
            &MainKey::from_bytes([3; 32]),
            &tgbox_core::FileSalt::from_bytes(*f.file.header.file_salt.as_bytes()),
        )
        .unwrap();
        let wrong = alice.share_key(f.id, &other).await.unwrap();
        assert!(matches!(
            bob.import_file(copy.id, &wrong, None).await,
            Err(Error::WrongShareKey)
        ));

        let imported = bob
            .import_file(copy.id, &share, Some("/from alice"))
            .await
            .unwrap();
        assert!(imported.imported);
        assert_eq!(
            (
                imported.info().name.as_str(),
                imported.info().dir.as_deref()
            ),
            ("shared.pdf", Some("/from alice"))
        );
        let out = tmp.path().join("got.pdf");
        bob.download(copy.id as i64, &out, Arc::new(NoProgress))
            .await
            .unwrap();
        assert!(std::fs::read(&out).unwrap() == pattern(9, 300_000));
        // Syncs keep the imported file and its key (the reference's deep sync loses them).
        let report = bob.sync_deep(&NoProgress).await.unwrap();
        assert!(
            report.removed.is_empty() && report.skipped.is_empty(),
            "{report:?}"
        );
        bob.sync_fast(&NoProgress).await.unwrap();
        let kept = bob.file(copy.id as i64).await.unwrap();
        assert!(kept.imported);
        assert_eq!(
            kept.info().dir.as_deref(),
            Some("/from alice"),
            "the local directory survives syncs"
        );
    });
}

#[test]
fn a_whole_box_shared_opens_with_the_receivers_own_phrase() {
    let tmp = tempfile::tempdir().unwrap();
    block_on(async {
        let channel = local_channel(&tmp.path().join("chan"), "given").await;
        let alice = make(channel.clone(), &tmp.path().join("alice.db"), "alice").await;
        let src = tmp.path().join("a.txt");
        std::fs::write(&src, b"for bob").unwrap();
        let none = Attributes::default();
        alice
            .upload(upload_args(&src, "/x", &none), Arc::new(NoProgress))
            .await
            .unwrap();
        let bob_key = basekey("bob");
        let request = TgBox::request_box(channel.as_ref(), &bob_key)
            .await
            .unwrap();
        let share = alice.share_box(&request).unwrap();
        // Someone else's ShareKey opens nothing, and leaves nothing behind.
        let eve_request = TgBox::request_box(channel.as_ref(), &basekey("eve"))
            .await
            .unwrap();
        let eve_share = alice.share_box(&eve_request).unwrap();
        let db = tmp.path().join("bob.db");
        let err = TgBox::clone_shared(
            channel.clone(),
            &db,
            &bob_key,
            &eve_share,
            SessionInfo::offline().unwrap(),
            &NoProgress,
        )
        .await
        .unwrap_err();
        assert!(matches!(err, Error::WrongShareKey), "{err}");
        assert!(!db.exists());
        let bob = TgBox::clone_shared(
            channel.clone(),
            &db,
            &bob_key,
            &share,
            SessionInfo::offline().unwrap(),
            &NoProgress,
        )
        .await
        .unwrap();
        assert_eq!(view(&bob).await, view(&alice).await);
        drop(bob);
        let again = TgBox::open(channel, &db, &bob_key).await.unwrap();
        assert_eq!(view(&again).await, view(&alice).await);
    });
}

/// Copies message `id` of `from` into `to` byte for byte (what a forward does), returning the
/// new message's id.
async fn copy_message(from: &Arc<dyn Channel>, to: &Arc<dyn Channel>, id: i64) -> i32 {
    let msg = from.get_messages(&[id as i32]).await.unwrap()[0]
        .clone()
        .unwrap();
    let bytes = tgbox::channel::conformance::read_all(from.as_ref(), &msg)
        .await
        .unwrap();
    let doc = msg.document.unwrap();
    to.post_document(
        tgbox::channel::Upload::from_bytes(doc.name, doc.mime, bytes),
        &msg.caption,
    )
    .await
    .unwrap()
    .id
}

#[test]
fn a_shared_directory_opens_its_files_and_later_ones_but_no_others() {
    let tmp = tempfile::tempdir().unwrap();
    block_on(async {
        let a_chan = local_channel(&tmp.path().join("a"), "alice").await;
        let alice = make(a_chan.clone(), &tmp.path().join("alice.db"), "alice").await;
        let b_chan = local_channel(&tmp.path().join("b"), "bob").await;
        let bob = make(b_chan.clone(), &tmp.path().join("bob.db"), "bob").await;
        let none = Attributes::default();
        let upload = async |name: &str, dir: &str| {
            let src = tmp.path().join(name);
            std::fs::write(&src, name.as_bytes()).unwrap();
            alice
                .upload(upload_args(&src, dir, &none), Arc::new(NoProgress))
                .await
                .unwrap()
                .id
        };
        let (f1, f2, other) = (
            upload("one", "/shared/dir").await,
            upload("two", "/shared/dir").await,
            upload("three", "/other").await,
        );
        let c1 = copy_message(&a_chan, &b_chan, f1).await;
        let c2 = copy_message(&a_chan, &b_chan, f2).await;
        let c3 = copy_message(&a_chan, &b_chan, other).await;

        let request = bob.request_key(c1).await.unwrap();
        let share = alice.share_directory("/shared/dir", &request).unwrap();
        let got = bob
            .import_directory(c1, &share, &[c1, c2], Some("/from alice"))
            .await
            .unwrap();
        assert_eq!(
            got.iter()
                .map(|f| f.info().name.as_str())
                .collect::<Vec<_>>(),
            ["one", "two"]
        );
        assert!(
            matches!(
                bob.import_directory(c1, &share, &[c3], None).await,
                Err(Error::WrongShareKey)
            ),
            "another directory"
        );
        // A file added to the directory later opens with the same ShareKey.
        let f4 = upload("four", "/shared/dir").await;
        let c4 = copy_message(&a_chan, &b_chan, f4).await;
        let later = bob
            .import_directory(c1, &share, &[c4], Some("/from alice"))
            .await
            .unwrap();
        let out = tmp.path().join("four.out");
        bob.download(later[0].id, &out, Arc::new(NoProgress))
            .await
            .unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), b"four");
    });
}

#[test]
fn a_file_bigger_than_a_document_goes_in_tgbox_cli_parts_and_comes_back_whole() {
    let tmp = tempfile::tempdir().unwrap();
    block_on(async {
        let (_channel, tgbox) = memory_box(tmp.path(), "multipart").await;
        let data = pattern(12, 2_500_000);
        let src = tmp.path().join("movie.mkv");
        std::fs::write(&src, &data).unwrap();
        let none = Attributes::default();
        // A small block keeps the test fast; tgbox-cli's is MULTIPART_BLOCK.
        let block = 1_000_000;
        let parts = tgbox
            .upload_multipart(
                upload_args(&src, "/video", &none),
                block,
                Arc::new(NoProgress),
            )
            .await
            .unwrap();
        assert_eq!(
            parts
                .iter()
                .map(|p| p.info().name.as_str())
                .collect::<Vec<_>>(),
            ["movie.mkv-0", "movie.mkv-1", "movie.mkv-2"]
        );
        let attr =
            |p: &tgbox::localbox::LocalFile, k: &str| p.info().cattrs.get(k).map(<[u8]>::to_vec);
        assert_eq!(attr(&parts[0], "__mp_previous"), Some(b"genesis".to_vec()));
        assert_eq!(
            attr(&parts[1], "__mp_previous"),
            Some(tgbox_core::ints::int_to_bytes(parts[0].id as u64))
        );
        assert_eq!(attr(&parts[2], "__mp_part"), Some(vec![2]));
        assert_eq!(attr(&parts[2], "__mp_total"), Some(vec![3]));
        assert_eq!(parts[2].info().size, 500_000);
        // Running it again uploads nothing new (each part is recognised by its hash).
        let again = tgbox
            .upload_multipart(
                upload_args(&src, "/video", &none),
                block,
                Arc::new(NoProgress),
            )
            .await
            .unwrap();
        assert_eq!(
            again.iter().map(|p| p.id).collect::<Vec<_>>(),
            parts.iter().map(|p| p.id).collect::<Vec<_>>()
        );
        let out = tmp.path().join("movie.out");
        let got = tgbox
            .download_multipart("/video", "movie.mkv", &out)
            .await
            .unwrap();
        assert_eq!(got.size, 2_500_000);
        assert!(std::fs::read(&out).unwrap() == data);
        // A missing part is refused, and nothing is written.
        tgbox.delete(&[parts[1].id]).await.unwrap();
        let out2 = tmp.path().join("movie2.out");
        assert!(
            tgbox
                .download_multipart("/video", "movie.mkv", &out2)
                .await
                .is_err()
        );
        assert!(!out2.exists());
    });
}
