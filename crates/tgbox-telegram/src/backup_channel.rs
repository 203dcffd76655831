//! The Telegram side of TGBACK-X backups (spec/tgback-x.md §9): a public broadcast channel
//! named by the KeyID holds each sealed backup as one plain text message, which anyone can
//! read from the channel's web preview without signing in (tgback reads it; this module only
//! writes, checks and removes).
//!
//! Fixes over the reference (spec §9.5, §12): the username is checked to be our own broadcast
//! channel before anything is posted; a channel whose username could not be set is deleted
//! rather than left behind; the text goes raw, never through a Markdown parser; the log-out is
//! verified.

use std::sync::Arc;

use grammers_tl_types as tl;

use crate::channel::TelegramChannel;
use crate::connection::{Connection, Lane};
use crate::error::{Error, Failure, Result};
use crate::{ChannelAddress, login};

/// Telegram's limit on a text message (spec §10): a backup that does not fit is refused.
pub const MESSAGE_MAX: usize = 4096;
/// The description of a backup channel (spec §9.1).
pub const ABOUT: &str = "Made with TGBACK-X v1.1";

/// Where a backup went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stored {
    /// The channel's id.
    pub channel_id: i64,
    /// The message holding the backup.
    pub message_id: i32,
}

/// What resolving the KeyID found.
enum Found {
    Nothing,
    Ours(i64, i64),
    Foreign,
}

async fn resolve(conn: &Connection, key_id: &str) -> Result<Found> {
    let req = tl::functions::contacts::ResolveUsername {
        username: key_id.to_owned(),
        referer: None,
    };
    match conn.invoke(Lane::Main, &req).await {
        Ok(tl::enums::contacts::ResolvedPeer::Peer(r)) => {
            let tl::enums::Peer::Channel(p) = r.peer else {
                return Ok(Found::Foreign);
            };
            Ok(r.chats
                .iter()
                .find_map(|c| match c {
                    // Ours: a broadcast channel this account created.
                    tl::enums::Chat::Channel(c)
                        if c.id == p.channel_id && c.broadcast && c.creator =>
                    {
                        Some(Found::Ours(c.id, c.access_hash.unwrap_or(0)))
                    }
                    _ => None,
                })
                .unwrap_or(Found::Foreign))
        }
        Err(f) if f.is("USERNAME_NOT_OCCUPIED") => Ok(Found::Nothing),
        Err(f) => Err(f.into_error("contacts.resolveUsername")),
    }
}

fn input_channel(id: i64, hash: i64) -> tl::enums::InputChannel {
    tl::enums::InputChannel::Channel(tl::types::InputChannel {
        channel_id: id,
        access_hash: hash,
    })
}

/// Posts `text` (the `+T+` message) to the channel named `key_id`, making it when there is
/// none (titled `title`, spec §9.1). Every call goes through the session being backed up.
///
/// # Errors
/// [`Error::Login`] for a text over [`MESSAGE_MAX`]; [`Error::Rpc`] `OCCUPIED_KEY_ID` when the
/// username belongs to something not ours, `CHANNELS_ADMIN_PUBLIC_TOO_MUCH` when the account
/// has no public link left (the new channel is deleted again); transport errors.
pub async fn store(
    conn: &Arc<Connection>,
    key_id: &str,
    text: &str,
    title: &str,
) -> Result<Stored> {
    if text.chars().count() > MESSAGE_MAX {
        return Err(Error::Login(format!(
            "a backup of {} characters does not fit one Telegram message ({MESSAGE_MAX})",
            text.chars().count()
        )));
    }
    let (id, hash) = match resolve(conn, key_id).await? {
        Found::Ours(id, hash) => (id, hash),
        Found::Foreign => return Err(occupied(key_id)),
        Found::Nothing => {
            let made = TelegramChannel::create(conn.clone(), title, ABOUT).await?;
            let (id, hash) = (made.id(), made.access_hash());
            let named = conn
                .invoke(
                    Lane::Main,
                    &tl::functions::channels::UpdateUsername {
                        channel: input_channel(id, hash),
                        username: key_id.to_owned(),
                    },
                )
                .await;
            if let Err(f) = named {
                // Not left behind as the reference leaves it (spec §9.5).
                let _ = made.delete_channel().await;
                return Err(match &f {
                    Failure::Rpc(r) if r.name == "USERNAME_OCCUPIED" => occupied(key_id),
                    _ => f.into_error("channels.updateUsername"),
                });
            }
            // The name must now lead to this very channel before a secret is posted to it.
            match resolve(conn, key_id).await? {
                Found::Ours(rid, rhash) if rid == id => (rid, rhash),
                _ => return Err(occupied(key_id)),
            }
        }
    };
    let updates = conn
        .invoke(
            Lane::Main,
            &tl::functions::messages::SendMessage {
                no_webpage: true,
                silent: true,
                background: false,
                clear_draft: false,
                noforwards: false,
                update_stickersets_order: false,
                invert_media: false,
                allow_paid_floodskip: false,
                peer: tl::enums::InputPeer::Channel(tl::types::InputPeerChannel {
                    channel_id: id,
                    access_hash: hash,
                }),
                reply_to: None,
                message: text.to_owned(),
                random_id: random_id()?,
                reply_markup: None,
                // Raw text: no entities, no Markdown (spec §9.1 step 3).
                entities: None,
                schedule_date: None,
                schedule_repeat_period: None,
                send_as: None,
                quick_reply_shortcut: None,
                effect: None,
                allow_paid_stars: None,
                suggested_post: None,
                rich_message: None,
            },
        )
        .await
        .map_err(|f| {
            if f.is("CHAT_ADMIN_REQUIRED") || f.is("CHAT_WRITE_FORBIDDEN") {
                occupied(key_id)
            } else {
                f.into_error("messages.sendMessage")
            }
        })?;
    let message_id = crate::convert::updated_messages(&updates)
        .first()
        .map(|m| m.id())
        .ok_or_else(|| Error::Unexpected {
            method: "messages.sendMessage",
            detail: "no message in the answer".into(),
        })?;
    Ok(Stored {
        channel_id: id,
        message_id,
    })
}

fn occupied(key_id: &str) -> Error {
    Error::Rpc {
        method: "contacts.resolveUsername",
        code: 400,
        name: format!("OCCUPIED_KEY_ID: @{key_id} belongs to a chat this account does not own"),
    }
}

fn random_id() -> Result<i64> {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).map_err(|e| Error::Login(format!("OS random source: {e}")))?;
    Ok(i64::from_le_bytes(b))
}

/// Removes a backup: the channel named `key_id` is deleted and the backed-up session signed
/// out, and the sign-out is verified (spec §9.4). `backup` is a connection with the backed-up
/// session. With `owner` (another live session of the same account) the session is signed out
/// first and the channel deleted through `owner`, so the secret dies even if the deletion
/// fails; without it the channel is deleted first, as only the backed-up session can.
///
/// # Errors
/// [`Error::Rpc`] `OCCUPIED_KEY_ID` when the name is not our channel; `NOT_ENOUGH_RIGHTS`
/// when the channel could not be deleted (the session is signed out all the same);
/// [`Error::Login`] when the sign-out did not take; transport errors.
pub async fn destroy(
    backup: &Arc<Connection>,
    owner: Option<&Arc<Connection>>,
    key_id: &str,
) -> Result<()> {
    let (id, hash) = match resolve(backup, key_id).await? {
        Found::Ours(id, hash) => (id, hash),
        Found::Foreign => return Err(occupied(key_id)),
        Found::Nothing => {
            return Err(Error::Channel(tgbox::channel::ChannelError::new(
                tgbox::channel::ErrorKind::ChannelInvalid,
                format!("no channel is called @{key_id}"),
            )));
        }
    };
    let deleted = match owner {
        Some(owner) => {
            sign_out_verified(backup).await?;
            let found = TelegramChannel::find(owner.clone(), &ChannelAddress::Id(id)).await?;
            found.delete_channel().await.map_err(Error::Channel)
        }
        None => {
            let req = tl::functions::channels::DeleteChannel {
                channel: input_channel(id, hash),
            };
            let r = backup.invoke(Lane::Main, &req).await.map(|_| ());
            sign_out_verified(backup).await?;
            r.map_err(|f| f.into_error("channels.deleteChannel"))
        }
    };
    deleted.map_err(|e| Error::Rpc {
        method: "channels.deleteChannel",
        code: 403,
        name: format!("NOT_ENOUGH_RIGHTS: the session is signed out, the channel stays ({e})"),
    })
}

/// Signs out and proves it with the same key: Telegram must now refuse it.
async fn sign_out_verified(conn: &Connection) -> Result<()> {
    login::log_out_only(conn).await?;
    match login::whoami(conn).await? {
        None => {
            conn.session().wipe_keys();
            conn.reconnect();
            Ok(())
        }
        Some(_) => Err(Error::Login(
            "Telegram still accepts the backed-up session after the sign-out".into(),
        )),
    }
}
