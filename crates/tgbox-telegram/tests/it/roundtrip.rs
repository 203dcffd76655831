//! A whole box on Telegram through the wire: make, a 25 MiB upload (saveBigFilePart, parts in
//! parallel over several links), list, ranged download, rename, delete, and a second device
//! that follows by deep and fast sync.

use std::sync::Arc;

use tgbox::channel::Channel;
use tgbox::{Edit, MakeBox, NoProgress, SessionInfo, TgBox, UploadFile};
use tgbox_core::Attributes;
use tgbox_core::keys::{DEFAULT_SCRYPT_SALT, ScryptParams};
use tgbox_telegram::{ChannelAddress, TelegramChannel};

use crate::smoke::connect;
use tgbox_testserver::TestServer;

fn basekey() -> tgbox_core::BaseKey {
    let params = ScryptParams::new(DEFAULT_SCRYPT_SALT.to_vec(), 16384, 8, 1, 32).unwrap();
    tgbox_core::BaseKey::derive(b"wire phrase", &params).unwrap()
}

fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn args<'a>(source: &'a std::path::Path, dir: &'a str, none: &'a Attributes) -> UploadFile<'a> {
    UploadFile {
        source,
        dir,
        name: None,
        mime: "",
        cattrs: none,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_box_round_trip_through_the_wire() {
    let server = TestServer::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let conn = connect(&server);
    let channel = Arc::new(
        TelegramChannel::create(conn, "TGBOX[01]: wire", "")
            .await
            .unwrap(),
    );
    let channel_id = channel.id();
    let key = basekey();
    let alice = TgBox::make(
        channel.clone() as Arc<dyn Channel>,
        MakeBox {
            localbox: &tmp.path().join("alice.db"),
            basekey: &key,
            box_salt: None,
            photo: None,
            session: SessionInfo::offline().unwrap(),
        },
    )
    .await
    .unwrap();

    // The second device finds the channel by id, as the reference does (access hash 0).
    let bob_channel = Arc::new(
        TelegramChannel::find(connect(&server), &ChannelAddress::Id(channel_id))
            .await
            .unwrap(),
    );
    let bob = TgBox::clone_from(
        bob_channel as Arc<dyn Channel>,
        &tmp.path().join("bob.db"),
        &key,
        SessionInfo::offline().unwrap(),
        &NoProgress,
    )
    .await
    .unwrap();
    assert!(bob.files().await.unwrap().is_empty());

    let none = Attributes::default();
    let big = pattern(1, 25 * 1024 * 1024 + 333);
    let small = pattern(2, 70_000);
    let (big_path, small_path) = (tmp.path().join("big.bin"), tmp.path().join("small.txt"));
    std::fs::write(&big_path, &big).unwrap();
    std::fs::write(&small_path, &small).unwrap();
    let parts_before = server.calls("upload.saveBigFilePart");
    let b = alice
        .upload(args(&big_path, "/media", &none), Arc::new(NoProgress))
        .await
        .unwrap();
    assert!(
        server.calls("upload.saveBigFilePart") - parts_before >= 50,
        "a 25 MiB box file goes up in 512 KiB big-file parts"
    );
    let s = alice
        .upload(args(&small_path, "/docs", &none), Arc::new(NoProgress))
        .await
        .unwrap();
    assert_eq!(server.calls("messages.sendMedia"), 2, "one post per file");

    let names: Vec<_> = alice
        .files()
        .await
        .unwrap()
        .iter()
        .map(|f| f.info().name.clone())
        .collect();
    assert_eq!(names, vec!["big.bin", "small.txt"]);

    let out = tmp.path().join("big.out");
    alice
        .download(b.id, &out, Arc::new(NoProgress))
        .await
        .unwrap();
    assert!(
        std::fs::read(&out).unwrap() == big,
        "the big file comes back whole"
    );
    for (off, len) in [
        (0u64, 10usize),
        (1_048_570, 20),
        (25 * 1024 * 1024, 333),
        (5_000_000, 1_000_000),
    ] {
        let got = alice.read_range(b.id, off, len).await.unwrap();
        assert_eq!(
            got,
            big[off as usize..off as usize + len],
            "range {off}+{len}"
        );
    }

    alice
        .edit(s.id, &[Edit::Rename("renamed.txt".into())])
        .await
        .unwrap();
    let report = bob.sync_deep(&NoProgress).await.unwrap();
    assert_eq!(report.added.len(), 2, "{report:?}");
    let bob_small = bob.file(s.id).await.unwrap();
    assert_eq!(bob_small.info().name, "renamed.txt");
    let bob_out = tmp.path().join("bob-small.out");
    bob.download(s.id, &bob_out, Arc::new(NoProgress))
        .await
        .unwrap();
    assert_eq!(std::fs::read(&bob_out).unwrap(), small);

    // Fast sync sees the next edit and the deletion through the admin log.
    alice
        .edit(b.id, &[Edit::Move("/archive".into())])
        .await
        .unwrap();
    assert_eq!(alice.delete(&[s.id]).await.unwrap(), 1);
    let fast = bob.sync_fast(&NoProgress).await.unwrap();
    assert_eq!(fast.removed, vec![s.id], "{fast:?}");
    assert!(bob.file(s.id).await.is_err());
    assert_eq!(
        bob.file(b.id).await.unwrap().info().dir.as_deref(),
        Some("/archive")
    );
    assert_eq!(
        server.calls("messages.sendMedia"),
        2,
        "nothing was posted twice"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channels_are_found_by_username_and_the_log_keeps_48_hours() {
    use tgbox::channel::EventFilter;
    let server = TestServer::start().await;
    let conn = connect(&server);
    let made = TelegramChannel::create(conn.clone(), "TGBOX[01]: named", "")
        .await
        .unwrap();
    made.set_about("salt").await.unwrap();
    server.shared.world().set_username(made.id(), "named_box");
    let found = TelegramChannel::find(conn.clone(), &ChannelAddress::parse("@named_box").unwrap())
        .await
        .unwrap();
    assert_eq!(found.id(), made.id());
    let missing = TelegramChannel::find(
        conn.clone(),
        &ChannelAddress::parse("@nobody_here").unwrap(),
    )
    .await
    .unwrap_err();
    assert_eq!(missing.kind(), tgbox::channel::ErrorKind::ChannelInvalid);
    assert_eq!(
        found.events(0, EventFilter::ALL, 100).await.unwrap().len(),
        1
    );
    server.shared.world().age_log(49 * 3600);
    assert!(
        found
            .events(0, EventFilter::ALL, 100)
            .await
            .unwrap()
            .is_empty(),
        "admin-log events older than 48 hours are gone"
    );
}
