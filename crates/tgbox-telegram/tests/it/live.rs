//! The live suite: the same checks against real Telegram, run by hand (README "Testing against
//! real Telegram"). It needs an account's session and a scratch channel it may fill and empty:
//!
//! - `TGBOX_LIVE_API_ID`, `TGBOX_LIVE_API_HASH`: the application's credentials;
//! - `TGBOX_LIVE_SESSION_FILE`: a file holding a Telethon StringSession of the account;
//! - `TGBOX_LIVE_CHANNEL`: `@username` or id of a channel the account owns, used as scratch.
//!
//! Nothing here runs unless asked with `--ignored`; each test fails with a clear message when
//! a variable is missing.

use std::sync::Arc;

use tgbox::channel::conformance::{ChannelFactory, pattern, read_all};
use tgbox::channel::{Channel, Result, Upload};
use tgbox_core::session::StringSession;
use tgbox_telegram::login::{self, ApiCredentials};
use tgbox_telegram::{AccountSession, ChannelAddress, ConnectOptions, Connection, TelegramChannel};

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("the live suite needs {name} (see the README)"))
}

fn live_connection() -> Arc<Connection> {
    let api_id: i32 = var("TGBOX_LIVE_API_ID")
        .parse()
        .expect("TGBOX_LIVE_API_ID is a number");
    ApiCredentials::new(api_id, &var("TGBOX_LIVE_API_HASH")).expect("api credentials");
    let text = std::fs::read_to_string(var("TGBOX_LIVE_SESSION_FILE")).expect("session file");
    let session = StringSession::parse(&text).expect("a Telethon StringSession");
    Connection::new(
        Arc::new(AccountSession::from_string_session(&session)),
        ConnectOptions::new(api_id),
    )
}

async fn scratch(conn: Arc<Connection>) -> TelegramChannel {
    let address = ChannelAddress::parse(&var("TGBOX_LIVE_CHANNEL")).expect("channel address");
    TelegramChannel::find(conn, &address)
        .await
        .expect("the scratch channel")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "live: needs Telegram credentials (README, Testing against real Telegram)"]
async fn live_session_is_signed_in() {
    let conn = live_connection();
    let me = login::whoami(&conn).await.expect("reaching Telegram");
    assert!(me.is_some(), "the session is not signed in");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "live: needs Telegram credentials (README, Testing against real Telegram)"]
async fn live_post_read_edit_delete() {
    let ch = scratch(live_connection()).await;
    let data = pattern(7, 3 * 1024 * 1024 + 77);
    let m = ch
        .post_document(
            Upload::from_bytes("live.bin", "application/octet-stream", data.clone()),
            "",
        )
        .await
        .expect("post");
    assert_eq!(read_all(&ch, &m).await.expect("read"), data);
    let e = ch.edit_caption(m.id, "**verbatim**").await.expect("edit");
    assert_eq!(e.caption, "**verbatim**");
    assert_eq!(ch.delete_messages(&[m.id]).await.expect("delete"), 1);
}

/// Makes channels on the live account for the conformance suite (and leaves them: delete them
/// in the app afterwards, or run `live_cleanup`).
pub struct LiveFactory;

#[async_trait::async_trait]
impl ChannelFactory for LiveFactory {
    type Channel = TelegramChannel;
    async fn fresh(&self, title: &str) -> Result<TelegramChannel> {
        TelegramChannel::create(live_connection(), title, "").await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "live: creates channels on the account (README, Testing against real Telegram)"]
async fn live_conformance_post_and_read_ranges() {
    let ch = LiveFactory
        .fresh("TGBOX[01]: live conformance")
        .await
        .expect("create");
    tgbox::channel::conformance::post_and_read_ranges(&SingleUse(std::sync::Mutex::new(Some(ch))))
        .await;
}

struct SingleUse(std::sync::Mutex<Option<TelegramChannel>>);

#[async_trait::async_trait]
impl ChannelFactory for SingleUse {
    type Channel = TelegramChannel;
    async fn fresh(&self, _: &str) -> Result<TelegramChannel> {
        Ok(self.0.lock().unwrap().take().expect("one channel"))
    }
}
