//! First contact: the client connects, survives bad_server_salt, and gets an answer.

use std::sync::Arc;
use std::time::Duration;

use tgbox::channel::Channel;
use tgbox_telegram::{ConnectOptions, Connection, TelegramChannel};

use tgbox_testserver::TestServer;

pub fn connect(server: &TestServer) -> Arc<Connection> {
    let mut opts = ConnectOptions::new(1);
    opts.timeout = Duration::from_secs(5);
    Connection::new(Arc::new(server.session()), opts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_a_channel_and_read_its_header() {
    let server = TestServer::start().await;
    let conn = connect(&server);
    let ch = TelegramChannel::create(conn, "TGBOX[01]: smoke", "")
        .await
        .unwrap();
    let h = ch.header().await.unwrap();
    assert_eq!(h.title, "TGBOX[01]: smoke");
    assert!(server.shared.control().bad_salts >= 1);
}
