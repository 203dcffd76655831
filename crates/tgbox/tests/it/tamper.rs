//! A LocalBox tampered with, row by row: every column of a FILES row and of BOX_DATA flipped,
//! truncated, emptied or blown up. Opening, listing, searching, checking and downloading
//! answer with a typed error or with the truth — never a panic (a panicking worker thread
//! would surface as "a worker thread failed"), never wrong plaintext.

use std::path::Path;
use std::sync::Arc;

use rusqlite::Connection;
use tgbox::channel::conformance::{block_on, pattern};
use tgbox::channel::{Channel, LocalChannel};
use tgbox::{BOX_TITLE_PREFIX, NoProgress, SearchFilter, TgBox, UploadFile};
use tgbox_core::{Attributes, BaseKey};

use crate::common::{cheap_basekey, make_box};

/// How a value is damaged.
#[derive(Clone, Copy, Debug)]
enum Damage {
    Flip(usize),
    FlipLast,
    Truncate,
    Empty,
    Huge,
    Null,
}

fn damaged(value: Option<Vec<u8>>, how: Damage) -> Option<Vec<u8>> {
    let mut v = value.unwrap_or_default();
    match how {
        Damage::Flip(i) if !v.is_empty() => {
            let i = i % v.len();
            v[i] ^= 0x55;
        }
        Damage::FlipLast if !v.is_empty() => {
            let i = v.len() - 1;
            v[i] ^= 1;
        }
        Damage::Truncate => v.truncate(v.len() / 2),
        Damage::Empty => v.clear(),
        Damage::Huge => v = vec![0xAB; 4 << 20],
        Damage::Null => return None,
        _ => {}
    }
    Some(v)
}

/// Panics that a worker thread turned into an error are still panics.
fn no_panic<T>(what: &str, r: &Result<T, tgbox::Error>) {
    if let Err(e) = r {
        let text = e.to_string();
        assert!(
            !text.contains("thread failed"),
            "{what}: a panic surfaced as {text}"
        );
        assert!(!text.is_empty());
    }
}

/// Every operation on the tampered LocalBox at `db`: typed errors or the truth.
async fn exercise(
    channel: Arc<dyn Channel>,
    db: &Path,
    key: &BaseKey,
    truth: &[(i64, Vec<u8>)],
    dir: &Path,
    what: &str,
) {
    let opened = TgBox::open(channel, db, key).await;
    no_panic(what, &opened);
    let Ok(tgbox) = opened else { return };
    no_panic(what, &tgbox.files().await);
    no_panic(what, &tgbox.search(&SearchFilter::default()).await);
    no_panic(what, &tgbox.list_dir(Some("/t")).await);
    let report = tgbox.check(&NoProgress).await;
    no_panic(what, &report);
    for (id, bytes) in truth {
        let out = dir.join(format!("out-{id}-{}", what.len()));
        let r = tgbox.download(*id, &out, Arc::new(NoProgress)).await;
        no_panic(what, &r);
        if r.is_ok() {
            assert!(
                std::fs::read(&out).unwrap() == *bytes,
                "{what}: file {id} read back wrong"
            );
            std::fs::remove_file(&out).unwrap();
        } else {
            assert!(
                !out.exists(),
                "{what}: a failed download left {}",
                out.display()
            );
        }
        no_panic(what, &tgbox.verify(*id, Arc::new(NoProgress)).await);
    }
}

#[test]
fn tampered_rows_give_typed_errors_or_the_truth() {
    let tmp = tempfile::tempdir().unwrap();
    let key = cheap_basekey("tamper");
    block_on(async {
        let channel: Arc<dyn Channel> = Arc::new(
            LocalChannel::create(
                tmp.path().join("chan"),
                &format!("{BOX_TITLE_PREFIX}t"),
                "",
                false,
            )
            .await
            .unwrap(),
        );
        let db = tmp.path().join("box.db");
        let tgbox = make_box(channel.clone(), &db, &key).await;
        let mut attrs = Attributes::default();
        attrs.set("k", b"v".to_vec());
        let mut truth = Vec::new();
        for (i, len) in [0usize, 17, 70_000].into_iter().enumerate() {
            let src = tmp.path().join(format!("f{i}"));
            let bytes = pattern(i as u64, len);
            std::fs::write(&src, &bytes).unwrap();
            let f = tgbox
                .upload(
                    UploadFile {
                        source: &src,
                        dir: "/t",
                        name: None,
                        mime: "",
                        cattrs: &attrs,
                    },
                    Arc::new(NoProgress),
                )
                .await
                .unwrap();
            truth.push((f.id, bytes));
        }
        tgbox
            .edit(truth[1].0, &[tgbox::Edit::Rename("renamed".into())])
            .await
            .unwrap();
        drop(tgbox);

        let damages = [
            Damage::Flip(0),
            Damage::Flip(7),
            Damage::Flip(40),
            Damage::Flip(1000),
            Damage::FlipLast,
            Damage::Truncate,
            Damage::Empty,
            Damage::Huge,
            Damage::Null,
        ];
        let targets: [(&str, &[&str]); 2] = [
            (
                "FILES",
                &[
                    "UPLOAD_TIME",
                    "PPATH_HEAD",
                    "FILEKEY",
                    "FINGERPRINT",
                    "METADATA",
                    "UPDATED_METADATA",
                ],
            ),
            (
                "BOX_DATA",
                &[
                    "BOX_CHANNEL_ID",
                    "BOX_CR_TIME",
                    "BOX_SALT",
                    "MAINKEY",
                    "SESSION",
                    "API_ID",
                    "API_HASH",
                    "FAST_SYNC_LAST_EVENT_ID",
                ],
            ),
        ];
        let mut cases = 0;
        for (table, columns) in targets {
            for column in columns {
                for how in damages {
                    let copy = tmp.path().join("copy.db");
                    std::fs::copy(&db, &copy).unwrap();
                    let conn = Connection::open(&copy).unwrap();
                    let filter = if table == "FILES" {
                        format!("WHERE ID = {}", truth[1].0)
                    } else {
                        String::new()
                    };
                    let old: Option<Vec<u8>> = conn
                        .query_row(&format!("SELECT {column} FROM {table} {filter}"), [], |r| {
                            r.get(0)
                        })
                        .unwrap();
                    let new = damaged(old, how);
                    // NOT NULL columns refuse a NULL: that damage cannot happen to them.
                    if conn
                        .execute(&format!("UPDATE {table} SET {column} = ?1 {filter}"), [new])
                        .is_err()
                    {
                        continue;
                    }
                    drop(conn);
                    let what = format!("{table}.{column} {how:?}");
                    exercise(channel.clone(), &copy, &key, &truth, tmp.path(), &what).await;
                    cases += 1;
                }
            }
        }
        assert!(cases > 100, "only {cases} cases ran");
    });
}
