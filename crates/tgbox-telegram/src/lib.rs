//! The Telegram backend of tgbox: [`TelegramChannel`] implements the library's
//! [`Channel`](tgbox::channel::Channel) seam over a real Telegram channel, through grammers
//! 0.11 (the only crate of the workspace that links it).
//!
//! - [`AccountSession`] keeps the account's auth keys in memory and hands out snapshots to
//!   persist; it converts to and from the Telethon StringSession the reference stores.
//! - [`Connection`] is one account's links to Telegram: request timeouts, a per-method flood
//!   gate, reconnection, exported authorization for other DCs.
//! - [`TelegramChannel`] maps each channel operation onto raw TL calls following the
//!   reference's conventions (spec/tgbox-boxes.md §3–4).
//! - [`login`] signs in with phone, code and password (split across processes), or a QR code,
//!   signs out, lists and ends other sessions.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use tgbox::channel::Channel;
//! use tgbox_telegram::{AccountSession, ChannelAddress, ConnectOptions, Connection, TelegramChannel};
//!
//! let session = Arc::new(AccountSession::new()); // or restored from a saved snapshot
//! let conn = Connection::new(session, ConnectOptions::new(12345));
//! let box_channel = TelegramChannel::find(conn, &ChannelAddress::parse("@my_box")?).await?;
//! println!("{}", box_channel.header().await?.title);
//! # Ok(()) }
//! ```

pub mod backup_channel;
mod channel;
mod connection;
mod convert;
mod error;
pub mod login;
mod session;

pub use channel::{ChannelAddress, TELEGRAM_READ_MAX, TelegramChannel};
pub use connection::{ConnectOptions, Connection};
pub use error::{Error, Result};
pub use session::{AccountSession, SelfUser, SessionSnapshot};
