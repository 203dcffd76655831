//! Faults on the wire and what the backend does about them: it waits out rate limits, follows
//! files to another DC, reconnects after drops and hangs (never past its timeout), reports a
//! revoked session, and never posts a message twice.

use std::sync::Arc;
use std::time::Duration;

use tgbox::channel::{Channel, ErrorKind};
use tgbox::{MakeBox, NoProgress, SessionInfo, TgBox, UploadFile};
use tgbox_core::Attributes;
use tgbox_core::keys::{DEFAULT_SCRYPT_SALT, ScryptParams};
use tgbox_telegram::{ConnectOptions, Connection, TelegramChannel};

use tgbox_testserver::{FILE_DC, Fault, TestServer};

const TIMEOUT: Duration = Duration::from_secs(2);

struct Setup {
    server: TestServer,
    tmp: tempfile::TempDir,
    channel: Arc<TelegramChannel>,
    tgbox: TgBox,
    conn: Arc<Connection>,
}

async fn setup() -> Setup {
    let server = TestServer::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let mut opts = ConnectOptions::new(1);
    opts.timeout = TIMEOUT;
    opts.links = 2;
    let conn = Connection::new(Arc::new(server.session()), opts);
    let channel = Arc::new(
        TelegramChannel::create(conn.clone(), "TGBOX[01]: faults", "")
            .await
            .unwrap(),
    );
    let params = ScryptParams::new(DEFAULT_SCRYPT_SALT.to_vec(), 16384, 8, 1, 32).unwrap();
    let key = tgbox_core::BaseKey::derive(b"faults", &params).unwrap();
    let tgbox = TgBox::make(
        channel.clone() as Arc<dyn Channel>,
        MakeBox {
            localbox: &tmp.path().join("box.db"),
            basekey: &key,
            box_salt: None,
            photo: None,
            session: SessionInfo::offline().unwrap(),
        },
    )
    .await
    .unwrap();
    Setup {
        server,
        tmp,
        channel,
        tgbox,
        conn,
    }
}

impl Setup {
    async fn upload(&self, name: &str, len: usize) -> (i64, Vec<u8>) {
        let data: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
        let path = self.tmp.path().join(name);
        std::fs::write(&path, &data).unwrap();
        let none = Attributes::default();
        let f = self
            .tgbox
            .upload(
                UploadFile {
                    source: &path,
                    dir: "/f",
                    name: None,
                    mime: "",
                    cattrs: &none,
                },
                Arc::new(NoProgress),
            )
            .await
            .unwrap();
        (f.id, data)
    }

    async fn download(&self, id: i64) -> Vec<u8> {
        let out = self.tmp.path().join(format!("out-{id}-{}", rand_suffix()));
        self.tgbox
            .download(id, &out, Arc::new(NoProgress))
            .await
            .unwrap();
        std::fs::read(out).unwrap()
    }
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flood_waits_are_waited_out_not_fatal() {
    let s = setup().await;
    s.server
        .inject("upload.saveBigFilePart", Fault::FloodWait(1));
    s.server
        .inject("upload.saveBigFilePart", Fault::FloodPremiumWait(1));
    s.server.inject("upload.getFile", Fault::FloodWait(1));
    let (id, data) = s.upload("big", 11 * 1024 * 1024).await;
    assert_eq!(s.download(id).await, data);
    let doc = s.channel.get_messages(&[id as i32]).await.unwrap()[0]
        .clone()
        .unwrap()
        .document
        .unwrap();
    assert_eq!(
        s.server.calls("upload.saveBigFilePart"),
        tgbox::channel::part_count(doc.size) as usize + 2,
        "each refused part is sent again, once"
    );
    assert_eq!(s.server.calls("messages.sendMedia"), 1);
    // The channel reports the wait to its caller with the time Telegram asked for.
    s.server
        .inject("channels.getFullChannel", Fault::FloodWait(7));
    let e = s.channel.header().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::FloodWait);
    assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
    // Telegram's internal errors are worth a retry; they say so.
    s.server.inject(
        "channels.getFullChannel",
        Fault::Error(500, "INTERNAL_SERVER_ERROR".into()),
    );
    let e = s.channel.header().await.unwrap_err();
    assert!(
        e.is_retryable() && e.to_string().contains("INTERNAL_SERVER_ERROR"),
        "{e}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_on_another_dc_are_followed_with_exported_authorization() {
    let s = setup().await;
    let (id, data) = s.upload("f", 700_000).await;
    s.server.shared.control().files_on_dc = Some(FILE_DC);
    assert_eq!(s.download(id).await, data);
    assert_eq!(s.server.calls("auth.exportAuthorization"), 1);
    assert_eq!(s.server.calls("auth.importAuthorization"), 1);
    assert!(s.server.connections(FILE_DC) >= 1);
    // The authorization is imported once per key, not per read.
    assert_eq!(s.download(id).await, data);
    assert_eq!(s.server.calls("auth.importAuthorization"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_connections_reconnect_and_reads_go_on() {
    let s = setup().await;
    let (id, data) = s.upload("f", 300_000).await;
    let before = s.server.connections(tgbox_testserver::HOME_DC);
    s.server.inject("upload.getFile", Fault::DropBefore);
    s.server.inject("upload.getFile", Fault::DropAfter);
    assert_eq!(s.download(id).await, data);
    assert!(
        s.server.connections(tgbox_testserver::HOME_DC) > before,
        "it reconnected"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_post_answer_is_recovered_without_a_second_post() {
    let s = setup().await;
    s.server.inject("messages.sendMedia", Fault::DropAfter);
    let path = s.tmp.path().join("lost");
    std::fs::write(&path, b"posted, but the answer was lost").unwrap();
    let none = Attributes::default();
    let failed = s
        .tgbox
        .upload(
            UploadFile {
                source: &path,
                dir: "/f",
                name: None,
                mime: "",
                cattrs: &none,
            },
            Arc::new(NoProgress),
        )
        .await;
    assert!(failed.is_err(), "the upload reports the lost answer");
    assert_eq!(s.server.calls("messages.sendMedia"), 1);
    let resumed = s.tgbox.resume_uploads(Arc::new(NoProgress)).await.unwrap();
    let files = s.tgbox.files().await.unwrap();
    assert_eq!(files.len(), 1, "recorded once: {resumed:?}");
    assert_eq!(
        s.server.calls("messages.sendMedia"),
        1,
        "the message was found, not posted again"
    );
    assert_eq!(
        tgbox_testserver::World::message_count(&s.server.shared.world(), s.channel.id()),
        2,
        "the service message and one post"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_hangs_end_at_the_timeout_and_reads_retry() {
    let s = setup().await;
    let (id, data) = s.upload("f", 200_000).await;
    s.server.inject("upload.getFile", Fault::Hang);
    let started = std::time::Instant::now();
    assert_eq!(s.download(id).await, data);
    assert!(
        started.elapsed() >= TIMEOUT,
        "the hung request was waited for"
    );
    // A hung change is reported, not repeated.
    s.server.inject("messages.editMessage", Fault::Hang);
    let e = s.channel.edit_caption(id as i32, "x").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert_eq!(s.server.calls("messages.editMessage"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_session_is_reported_and_kept() {
    let s = setup().await;
    s.server.revoke_user_key();
    let e = s.channel.header().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized);
    assert!(e.to_string().contains("sign in again"), "{e}");
    assert!(!e.is_retryable());
    assert!(
        s.conn.session().has_key(),
        "the session is reported, never silently replaced"
    );
    let r = s.tgbox.sync_deep(&NoProgress).await;
    assert!(r.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_file_references_are_refreshed_from_the_message() {
    let s = setup().await;
    let (id, data) = s.upload("f", 100_000).await;
    let m = s.channel.get_messages(&[id as i32]).await.unwrap()[0]
        .clone()
        .unwrap();
    let doc = m.document.clone().unwrap();
    let head = s.channel.read_document(m.id, doc.id, 0, 64).await.unwrap();
    let lookups = s.server.calls("channels.getMessages");
    s.server.shared.world().expire_file_references();
    let again = s.channel.read_document(m.id, doc.id, 0, 64).await.unwrap();
    assert_eq!(again, head);
    assert_eq!(
        s.server.calls("channels.getMessages"),
        lookups + 1,
        "the message was fetched once more for a fresh reference"
    );
    assert_eq!(s.download(id).await, data);
}
