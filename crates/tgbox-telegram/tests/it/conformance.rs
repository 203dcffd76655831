//! The channel conformance suite, run through `TelegramChannel` and a real grammers client
//! against the loopback test server.

use std::sync::Mutex;

use async_trait::async_trait;
use tgbox::channel::Result;
use tgbox::channel::conformance::ChannelFactory;
use tgbox_telegram::TelegramChannel;

use crate::smoke::connect;
use tgbox_testserver::TestServer;

/// Starts a server per fresh channel and keeps it running until the factory is dropped.
#[derive(Default)]
pub struct ServerFactory {
    servers: Mutex<Vec<TestServer>>,
}

#[async_trait]
impl ChannelFactory for ServerFactory {
    type Channel = TelegramChannel;

    async fn fresh(&self, title: &str) -> Result<TelegramChannel> {
        let server = TestServer::start().await;
        let conn = connect(&server);
        self.servers.lock().unwrap().push(server);
        TelegramChannel::create(conn, title, "").await
    }
}

tgbox::channel_conformance_tests!(ServerFactory::default());
