//! The index saved in the LocalBox between processes: used as it is while FILES is unchanged,
//! brought up to date after any change to FILES (ours, another process's, another program's),
//! and never trusted when damaged or sealed by another box.

use std::path::Path;
use std::sync::Arc;

use crate::common::{cheap_basekey, make_box};
use tgbox::channel::conformance::block_on;
use tgbox::channel::{Channel, MemoryChannel};
use tgbox::{BOX_TITLE_PREFIX, Edit, NoProgress, SearchFilter, TgBox, UploadFile};
use tgbox_core::Attributes;

/// What a new process finds: every file's (id, dir, name), through the index.
async fn names(channel: &Arc<dyn Channel>, db: &Path, phrase: &str) -> Vec<(i64, String)> {
    let tgbox = TgBox::open(channel.clone(), db, &cheap_basekey(phrase))
        .await
        .unwrap();
    let mut out: Vec<(i64, String)> = tgbox
        .search(&SearchFilter::default())
        .await
        .unwrap()
        .iter()
        .map(|f| {
            (
                f.id,
                format!("{}/{}", f.dir.clone().unwrap_or_default(), f.name),
            )
        })
        .collect();
    out.sort();
    out
}

/// The saved index's row: (FILES version it was made at, sealed bytes), and FILES' version.
fn saved(db: &Path) -> (Option<(i64, Vec<u8>)>, i64) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let row = conn
        .query_row(
            "SELECT FILES_VERSION, SEALED FROM TGBOX_RS_INDEX",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .ok();
    let version = conn
        .query_row("SELECT VERSION FROM TGBOX_RS_FILES_VERSION", [], |r| {
            r.get(0)
        })
        .unwrap();
    (row, version)
}

fn sql(db: &Path, statement: &str) {
    rusqlite::Connection::open(db)
        .unwrap()
        .execute_batch(statement)
        .unwrap();
}

#[test]
fn the_saved_index_follows_every_change_to_files_and_is_never_trusted_blindly() {
    let tmp = tempfile::tempdir().unwrap();
    block_on(async {
        let channel: Arc<dyn Channel> =
            Arc::new(MemoryChannel::create(&format!("{BOX_TITLE_PREFIX}ix"), "", false).unwrap());
        let db = tmp.path().join("box.db");
        let alice = make_box(channel.clone(), &db, &cheap_basekey("p")).await;
        let none = Attributes::default();
        for (i, dir) in ["/a", "/a", "/b", "/c/d"].iter().enumerate() {
            let src = tmp.path().join(format!("f{i}.txt"));
            std::fs::write(&src, vec![i as u8; 100 * (i + 1)]).unwrap();
            let file = UploadFile {
                source: &src,
                dir,
                name: None,
                mime: "",
                cattrs: &none,
            };
            alice.upload(file, Arc::new(NoProgress)).await.unwrap();
        }
        let all = vec![
            (1, "/a/f0.txt".to_string()),
            (2, "/a/f1.txt".to_string()),
            (3, "/b/f2.txt".to_string()),
            (4, "/c/d/f3.txt".to_string()),
        ];
        assert_eq!(saved(&db).0, None, "nothing saved before anything searched");

        // The first process builds and saves it at FILES' version; the next one uses it as it
        // is (a rebuild would seal it again under a fresh IV).
        assert_eq!(names(&channel, &db, "p").await, all);
        let (first, version) = saved(&db);
        let first = first.expect("saved");
        assert_eq!(first.0, version);
        assert_eq!(names(&channel, &db, "p").await, all);
        assert_eq!(
            saved(&db).0.unwrap(),
            first,
            "unchanged FILES: the saved index as it was"
        );

        // A change through another TgBox on the same LocalBox.
        alice
            .edit(2, &[Edit::Rename("renamed.txt".into())])
            .await
            .unwrap();
        let mut want = all.clone();
        want[1].1 = "/a/renamed.txt".into();
        assert_eq!(names(&channel, &db, "p").await, want);
        let (again, version) = saved(&db);
        assert_eq!(
            again.as_ref().unwrap().0,
            version,
            "saved again at the new version"
        );
        assert_ne!(again.unwrap(), first);

        // Another program deletes a row and damages another: the triggers in the database
        // move the version whoever writes.
        sql(
            &db,
            "DELETE FROM FILES WHERE ID = 3; UPDATE FILES SET METADATA = X'00' WHERE ID = 4;",
        );
        want.remove(3);
        want.remove(2);
        assert_eq!(names(&channel, &db, "p").await, want);

        // A damaged saved index at the current version: ignored, rebuilt, the truth.
        let (row, version) = saved(&db);
        let mut sealed = row.unwrap().1;
        let mid = sealed.len() / 2;
        sealed[mid] ^= 1;
        rusqlite::Connection::open(&db)
            .unwrap()
            .execute("UPDATE TGBOX_RS_INDEX SET SEALED = ?1", [&sealed])
            .unwrap();
        assert_eq!(
            saved(&db).1,
            version,
            "the index's own table does not move FILES' version"
        );
        assert_eq!(names(&channel, &db, "p").await, want);

        // Another box's saved index, authentic under its own keys, given this box's version.
        let other_channel: Arc<dyn Channel> = Arc::new(
            MemoryChannel::create(&format!("{BOX_TITLE_PREFIX}other"), "", false).unwrap(),
        );
        let other_db = tmp.path().join("other.db");
        let bob = make_box(other_channel.clone(), &other_db, &cheap_basekey("q")).await;
        let src = tmp.path().join("bob.txt");
        std::fs::write(&src, b"bob").unwrap();
        let file = UploadFile {
            source: &src,
            dir: "/bob",
            name: None,
            mime: "",
            cattrs: &none,
        };
        bob.upload(file, Arc::new(NoProgress)).await.unwrap();
        assert_eq!(
            names(&other_channel, &other_db, "q").await,
            [(1, "/bob/bob.txt".to_string())]
        );
        let foreign = saved(&other_db).0.unwrap().1;
        let version = saved(&db).1;
        rusqlite::Connection::open(&db)
            .unwrap()
            .execute(
                "UPDATE TGBOX_RS_INDEX SET SEALED = ?1, FILES_VERSION = ?2",
                rusqlite::params![foreign, version],
            )
            .unwrap();
        assert_eq!(names(&channel, &db, "p").await, want);
    });
}
