//! The Telegram side of TGBACK-X backups against the test server: the channel a store makes,
//! and the orphan it must not leave when the account has no public link left.

use tgbox_telegram::backup_channel::{self, ABOUT};
use tgbox_testserver::TestServer;

use crate::smoke::connect;

const TEXT: &str = "+T+\nJSON_AES_CBC_UB64_payload\n+T+";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_makes_a_public_channel_and_appends_after() {
    let server = TestServer::start().await;
    let conn = connect(&server);
    let first = backup_channel::store(&conn, "tgbxkeyidone", TEXT, "TgbX (t)")
        .await
        .unwrap();
    let again = backup_channel::store(&conn, "tgbxkeyidone", TEXT, "TgbX (t)")
        .await
        .unwrap();
    assert_eq!(first.channel_id, again.channel_id, "the same channel");
    assert!(again.message_id > first.message_id);
    let world = server.shared.world();
    assert_eq!(world.texts_of("tgbxkeyidone"), vec![TEXT, TEXT]);
    assert_eq!(
        world.header_of("tgbxkeyidone"),
        Some(("TgbX (t)".to_owned(), ABOUT.to_owned()))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_orphan_channel_when_the_public_links_are_used_up() {
    let server = TestServer::start().await;
    let conn = connect(&server);
    for i in 0..10 {
        backup_channel::store(&conn, &format!("tgbxfull{i:02}"), TEXT, "TgbX (t)")
            .await
            .unwrap();
    }
    let before = server.shared.world().channel_count();
    let e = backup_channel::store(&conn, "tgbxonetoomany", TEXT, "TgbX (t)")
        .await
        .unwrap_err();
    assert_eq!(e.rpc_name(), Some("CHANNELS_ADMIN_PUBLIC_TOO_MUCH"), "{e}");
    assert_eq!(
        server.shared.world().channel_count(),
        before,
        "the channel made for the backup was deleted again"
    );
    let e = backup_channel::store(&conn, &"x".repeat(5), &"a".repeat(4097), "t")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("does not fit"), "{e}");
}
