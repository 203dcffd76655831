//! Fault soak: two users of one box, each behind its own fault injector (flood waits, dropped
//! transfers, latency, a bandwidth cap; seeded), upload, download, edit and sync a workload of
//! 200 files at the same time. Every operation completes or fails with a typed error; uploads
//! cut short are finished from the journal; in the end both LocalBoxes equal a fresh clone of
//! the channel and every file reads back with the bytes it was uploaded with.
//!
//! `TGBOX_SOAK_FILES` (default 200) and `TGBOX_SOAK_SEED` scale and vary it for a longer local
//! run.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tgbox::channel::conformance::block_on;
use tgbox::channel::{Channel, FaultConfig, FaultyChannel, LocalChannel};
use tgbox::{BOX_TITLE_PREFIX, NoProgress, SessionInfo, TgBox, UploadFile};
use tgbox_core::Attributes;

use crate::common::{cheap_basekey, make_box, view};

fn faults(seed: u64) -> FaultConfig {
    FaultConfig {
        seed,
        flood_wait_rate: 0.04,
        flood_wait: Duration::from_millis(30),
        drop_rate: 0.04,
        latency: Duration::from_millis(2),
        bandwidth: Some(40 << 20),
    }
}

/// The bytes of file `i` of user `u`.
fn content(u: usize, i: usize, seed: u64) -> Vec<u8> {
    let len = 1 + (i * 7919 + u * 104_729 + seed as usize) % (24 << 10);
    (0..len)
        .map(|k| (k as u64 ^ seed ^ (i as u64 * 31 + u as u64)) as u8)
        .collect()
}

/// What one user's run did.
#[derive(Default, Debug)]
struct Tally {
    ok: u64,
    /// Typed errors, reported (their text is checked to say something).
    failed: u64,
    /// The first few of them, for the report.
    errors: Vec<String>,
    /// Uploads cut short and then finished from the journal.
    resumed: u64,
}

/// One user's part of the workload: `n` uploads, each followed now and then by a download of
/// a random known file, a rename or tag of one of its own files, or a sync.
async fn workload(user: &TgBox, u: usize, n: usize, seed: u64, dir: &Path) -> Tally {
    let mut tally = Tally::default();
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (u as u64 + 1);
    let mut next = move |m: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % m
    };
    let none = Attributes::default();
    let mut mine: Vec<i64> = Vec::new();
    let note = |r: Result<(), tgbox::Error>, tally: &mut Tally| match r {
        Ok(()) => tally.ok += 1,
        Err(e) => {
            assert!(!e.to_string().is_empty());
            tally.failed += 1;
            if tally.errors.len() < 4 {
                tally.errors.push(e.to_string());
            }
        }
    };
    for i in 0..n {
        let src = dir.join(format!("u{u}-{i}.bin"));
        std::fs::write(&src, content(u, i, seed)).unwrap();
        let up = user
            .upload(
                UploadFile {
                    source: &src,
                    dir: &format!("/u{u}"),
                    name: None,
                    mime: "",
                    cattrs: &none,
                },
                Arc::new(NoProgress),
            )
            .await;
        match up {
            Ok(f) => {
                mine.push(f.id);
                tally.ok += 1;
            }
            Err(e) => {
                assert!(!e.to_string().is_empty());
                // Cut short: the journal has it; finish it now.
                let done = user.resume_uploads(Arc::new(NoProgress)).await.unwrap();
                tally.resumed += done.len() as u64;
                mine.extend(done.iter().map(|f| f.id));
            }
        }
        match next(8) {
            0 | 1 => {
                let known = user.files().await.unwrap();
                if let Some(f) = known.get(next(known.len() as u64 + 1) as usize) {
                    let out = dir.join(format!("dl-u{u}-{i}"));
                    let r = user
                        .download(f.id, &out, Arc::new(NoProgress))
                        .await
                        .map(|_| ());
                    note(r, &mut tally);
                    let _ = std::fs::remove_file(&out);
                }
            }
            2 if !mine.is_empty() => {
                let id = mine[next(mine.len() as u64) as usize];
                // The new name keeps the upload's `uU-I` stem, which names its bytes.
                let r = match user.file(id).await {
                    Ok(f) => {
                        let base = f.info().name.trim_end_matches(".bin").to_owned();
                        user.edit(id, &[tgbox::Edit::Rename(format!("{base}-r{i}.bin"))])
                            .await
                            .map(|_| ())
                    }
                    Err(e) => Err(e),
                };
                note(r, &mut tally);
            }
            3 if !mine.is_empty() => {
                let id = mine[next(mine.len() as u64) as usize];
                let r = user
                    .edit(
                        id,
                        &[tgbox::Edit::SetAttr(
                            "step".into(),
                            i.to_string().into_bytes(),
                        )],
                    )
                    .await
                    .map(|_| ());
                note(r, &mut tally);
            }
            4 => note(user.sync_deep(&NoProgress).await.map(|_| ()), &mut tally),
            5 => note(user.sync_fast(&NoProgress).await.map(|_| ()), &mut tally),
            _ => {}
        }
    }
    tally
}

#[test]
fn two_users_under_faults_end_identical_and_whole() {
    let files: usize = std::env::var("TGBOX_SOAK_FILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let seed: u64 = std::env::var("TGBOX_SOAK_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(7);
    let tmp = tempfile::tempdir().unwrap();
    let chan = tmp.path().join("chan");
    let key = cheap_basekey("soak");
    block_on(async {
        let plain: Arc<dyn Channel> = Arc::new(
            LocalChannel::create(&chan, &format!("{BOX_TITLE_PREFIX}soak"), "", false)
                .await
                .unwrap(),
        );
        drop(make_box(plain, &tmp.path().join("setup.db"), &key).await);
        let mut users = Vec::new();
        let mut injectors = Vec::new();
        for u in 0..2 {
            let faulty = Arc::new(FaultyChannel::new(
                LocalChannel::open(&chan).await.unwrap(),
                faults(seed * 10 + u as u64),
            ));
            injectors.push(faulty.clone());
            let user = TgBox::clone_from(
                faulty,
                &tmp.path().join(format!("user{u}.db")),
                &key,
                SessionInfo::offline().unwrap(),
                &NoProgress,
            )
            .await
            .unwrap();
            user.set_parallel(4);
            users.push(user);
        }
        let work = tmp.path().join("work");
        std::fs::create_dir(&work).unwrap();
        let (t0, t1) = tokio::join!(
            workload(&users[0], 0, files / 2, seed, &work),
            workload(&users[1], 1, files - files / 2, seed, &work),
        );
        let stats: Vec<_> = injectors.iter().map(|f| f.stats()).collect();
        // Uploads still cut short are finished first, by everyone; only then does everyone
        // sync, so that each sees every other's last upload.
        for user in &users {
            user.resume_uploads(Arc::new(NoProgress)).await.unwrap();
            assert!(user.localbox().journal_pending().unwrap().is_empty());
        }
        for user in &users {
            let report = user.sync_deep(&NoProgress).await.unwrap();
            assert!(report.skipped.is_empty(), "{report:?}");
        }

        // The truth: a fresh clone through no faults.
        let plain: Arc<dyn Channel> = Arc::new(LocalChannel::open(&chan).await.unwrap());
        let truth = TgBox::clone_from(
            plain,
            &tmp.path().join("truth.db"),
            &key,
            SessionInfo::offline().unwrap(),
            &NoProgress,
        )
        .await
        .unwrap();
        let expected = view(&truth).await;
        assert_eq!(view(&users[0]).await, expected, "user 0");
        assert_eq!(view(&users[1]).await, expected, "user 1");
        assert_eq!(
            expected.len(),
            files,
            "every upload landed once: {t0:?} {t1:?}"
        );

        // Every file reads back with the bytes it was uploaded with.
        let sources: HashMap<String, Vec<u8>> = (0..2)
            .flat_map(|u| {
                let n = if u == 0 { files / 2 } else { files - files / 2 };
                (0..n).map(move |i| (format!("u{u}-{i}"), content(u, i, seed)))
            })
            .collect();
        let check = tmp.path().join("check");
        std::fs::create_dir(&check).unwrap();
        for f in truth.files().await.unwrap() {
            let out = check.join(f.id.to_string());
            truth
                .download(f.id, &out, Arc::new(NoProgress))
                .await
                .unwrap();
            // The upload-time name is in the source path; renames keep that prefix.
            let name = &f.info().name;
            let stem = name.split(['.', '-']).take(2).collect::<Vec<_>>().join("-");
            let same = std::fs::read(&out).unwrap() == sources[&stem];
            assert!(same, "file {} ({name}) does not read back as {stem}", f.id);
        }
        let injected: u64 = stats.iter().map(|s| s.flood_waits + s.drops).sum();
        eprintln!(
            "soak: {files} files, seed {seed}: {injected} faults injected ({stats:?}); \
             user 0 {t0:?}, user 1 {t1:?}"
        );
        assert!(injected > 0, "the soak injected no fault");
    });
}
