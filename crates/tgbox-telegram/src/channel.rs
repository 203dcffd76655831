//! [`TelegramChannel`]: the channel seam over a real Telegram channel (spec/tgbox-boxes.md §3–4).
//!
//! Every method is raw TL through [`Connection`]: grammers' high-level helpers add a second
//! file-name attribute, parse captions, cannot clear a caption and panic on some answers
//! (notes/grammers.md §5), and a box file must be exactly one `documentAttributeFilename`,
//! `force_file`, a verbatim caption (§3.3).
//!
//! - Uploads go in 512 KiB parts, several in flight over the transfer links; documents over
//!   10 MiB use `upload.saveBigFilePart` (§3.5). An upload token is
//!   `tg1.<file_id hex>.<size>`: Telegram keeps the parts under that file id, so a token
//!   survives a restart.
//! - Reads align to Telegram's `upload.getFile` rules (offset and limit multiples of 4 KiB,
//!   `1 MiB % limit == 0`, never crossing a 1 MiB boundary, notes/grammers.md §6.2), follow
//!   `FILE_MIGRATE_X` to the file's DC and refresh expired file references by fetching the
//!   message again (§3.8).
//! - Service messages ("channel created", "photo changed") carry no document and are left out
//!   of listings and lookups: the seam's log holds documents.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use grammers_tl_types as tl;
use tgbox::channel::{
    Capabilities, Channel, ChannelError, ChannelHeader, ErrorKind, Event, EventAction, EventFilter,
    EventId, Limits, Message, MessageId, PART_SIZE, Photo, Result, Upload, UploadToken, part_count,
    part_len,
};
use tokio::io::AsyncReadExt;

use crate::connection::{Connection, Lane};
use crate::convert::{self, RemoteDocument};
use crate::error::{Failure, channel_error};
use crate::session::SelfUser;

/// The largest read one `read_document` accepts: grammers' receive buffer holds 1 MiB + 8 KiB,
/// so a full 1 MiB answer leaves no headroom (notes/grammers.md §6.2).
pub const TELEGRAM_READ_MAX: usize = 512 * 1024;
/// Documents above this size go up with `upload.saveBigFilePart` (spec/tgbox-boxes.md §3.5).
const BIG_FILE: u64 = 10 * 1024 * 1024;
/// Telegram's cap on ids per `channels.getMessages` / `deleteMessages` call.
const IDS_PER_CALL: usize = 100;
/// How long Telegram keeps admin-log events (spec/tgbox-boxes.md §6.2).
const ADMIN_LOG_RETENTION: Duration = Duration::from_secs(48 * 3600);

/// A Telegram channel used as a box's RemoteBox.
pub struct TelegramChannel {
    conn: Arc<Connection>,
    id: i64,
    access_hash: i64,
    docs: Mutex<HashMap<MessageId, RemoteDocument>>,
    used_tokens: Mutex<HashSet<i64>>,
    me: tokio::sync::OnceCell<SelfUser>,
}

impl std::fmt::Debug for TelegramChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelegramChannel")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// What names a channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChannelAddress {
    /// A public username, without the `@`.
    Username(String),
    /// A bare channel id (the LocalBox's `BOX_CHANNEL_ID`).
    Id(i64),
}

impl ChannelAddress {
    /// Parses `@name` or a (possibly `-100`-prefixed) numeric id.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`] for anything else.
    pub fn parse(text: &str) -> Result<Self> {
        let t = text.trim();
        if let Some(name) = t.strip_prefix('@') {
            let ok = (4..=32).contains(&name.len())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
            return if ok {
                Ok(ChannelAddress::Username(name.to_owned()))
            } else {
                Err(ChannelError::new(
                    ErrorKind::InvalidArgument,
                    format!("{t:?} is not a Telegram username (5-32 of a-z, 0-9, _)"),
                ))
            };
        }
        let digits = t.strip_prefix("-100").unwrap_or(t);
        match digits.parse::<i64>() {
            Ok(id) if id > 0 => Ok(ChannelAddress::Id(id)),
            _ => Err(ChannelError::new(
                ErrorKind::InvalidArgument,
                format!("{t:?} is neither @username nor a channel id"),
            )),
        }
    }
}

fn fail(method: &'static str) -> impl FnOnce(Failure) -> ChannelError {
    move |f| channel_error(f, method)
}

fn unexpected(method: &str, what: &str) -> ChannelError {
    ChannelError::new(
        ErrorKind::Other,
        format!("unexpected answer to {method}: {what}"),
    )
}

fn parts_invalid(detail: impl Into<String>) -> ChannelError {
    ChannelError::new(ErrorKind::FilePartsInvalid, detail)
}

fn random_i64() -> Result<i64> {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b)
        .map_err(|e| ChannelError::new(ErrorKind::Other, format!("OS random source: {e}")))?;
    Ok(i64::from_le_bytes(b))
}

/// An upload in parts: Telegram's file id and the document size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Token {
    file_id: i64,
    size: u64,
}

impl Token {
    fn encode(self) -> UploadToken {
        UploadToken(format!("tg1.{:016x}.{}", self.file_id as u64, self.size))
    }

    fn parse(token: &UploadToken) -> Result<Token> {
        let bad = || {
            parts_invalid(format!(
                "{:?} is not an upload token of this backend",
                token.0
            ))
        };
        let mut it = token.0.split('.');
        let (Some("tg1"), Some(id), Some(size), None) =
            (it.next(), it.next(), it.next(), it.next())
        else {
            return Err(bad());
        };
        if id.len() != 16 {
            return Err(bad());
        }
        let file_id = u64::from_str_radix(id, 16).map_err(|_| bad())? as i64;
        let size: u64 = size.parse().map_err(|_| bad())?;
        if size == 0 || size.to_string().len() != token.0.len() - 21 {
            return Err(bad());
        }
        Ok(Token { file_id, size })
    }

    fn big(self) -> bool {
        self.size > BIG_FILE
    }

    fn input_file(self, name: &str) -> tl::enums::InputFile {
        let parts = part_count(self.size) as i32;
        if self.big() {
            tl::enums::InputFile::Big(tl::types::InputFileBig {
                id: self.file_id,
                parts,
                name: name.to_owned(),
            })
        } else {
            // The MD5 is optional; parts may come from several processes, so none is sent.
            tl::enums::InputFile::File(tl::types::InputFile {
                id: self.file_id,
                parts,
                name: name.to_owned(),
                md5_checksum: String::new(),
            })
        }
    }
}

/// The `inputMediaUploadedDocument` of a box file: `force_file`, the MIME type, exactly one
/// file-name attribute, no thumbnail (spec/tgbox-boxes.md §3.3).
fn uploaded_document(file: tl::enums::InputFile, name: &str, mime: &str) -> tl::enums::InputMedia {
    tl::enums::InputMedia::UploadedDocument(tl::types::InputMediaUploadedDocument {
        nosound_video: false,
        force_file: true,
        spoiler: false,
        file,
        thumb: None,
        mime_type: mime.to_owned(),
        attributes: vec![tl::enums::DocumentAttribute::Filename(
            tl::types::DocumentAttributeFilename {
                file_name: name.to_owned(),
            },
        )],
        stickers: None,
        video_cover: None,
        video_timestamp: None,
        ttl_seconds: None,
    })
}

impl TelegramChannel {
    /// A handle on the channel `id` with its `access_hash` (no request is made).
    pub fn open(conn: Arc<Connection>, id: i64, access_hash: i64) -> Self {
        TelegramChannel {
            conn,
            id,
            access_hash,
            docs: Mutex::new(HashMap::new()),
            used_tokens: Mutex::new(HashSet::new()),
            me: tokio::sync::OnceCell::new(),
        }
    }

    /// Creates a new broadcast channel (spec/tgbox-boxes.md §3.1: `broadcast` set explicitly).
    /// Sent once: `channels.createChannel` is not idempotent, so a lost answer is reported,
    /// never repeated.
    ///
    /// # Errors
    /// [`ErrorKind::TitleEmpty`]/[`ErrorKind::TitleTooLong`], Telegram's refusals
    /// (`CHANNELS_TOO_MUCH`), transport errors.
    pub async fn create(conn: Arc<Connection>, title: &str, about: &str) -> Result<Self> {
        let limits = Limits::for_account(false);
        limits.check_title(title)?;
        limits.check_about(about)?;
        let updates = conn
            .invoke(
                Lane::Main,
                &tl::functions::channels::CreateChannel {
                    broadcast: true,
                    megagroup: false,
                    for_import: false,
                    forum: false,
                    title: title.to_owned(),
                    about: about.to_owned(),
                    geo_point: None,
                    address: None,
                    ttl_period: None,
                },
            )
            .await
            .map_err(fail("channels.createChannel"))?;
        let (id, hash) = convert::updated_chats(&updates)
            .iter()
            .find_map(|c| match c {
                tl::enums::Chat::Channel(c) => Some((c.id, c.access_hash.unwrap_or(0))),
                _ => None,
            })
            .ok_or_else(|| unexpected("channels.createChannel", "no channel in the answer"))?;
        Ok(TelegramChannel::open(conn, id, hash))
    }

    /// Finds a channel by username or id. A bare id is resolved the way the reference does
    /// (`channels.getChannels` with access hash 0, spec/tgbox-boxes.md §3.2).
    ///
    /// # Errors
    /// [`ErrorKind::ChannelInvalid`] when there is no such channel or it is not a channel.
    pub async fn find(conn: Arc<Connection>, address: &ChannelAddress) -> Result<Self> {
        let chats = match address {
            ChannelAddress::Username(name) => {
                let tl::enums::contacts::ResolvedPeer::Peer(r) = conn
                    .invoke(
                        Lane::Main,
                        &tl::functions::contacts::ResolveUsername {
                            username: name.clone(),
                            referer: None,
                        },
                    )
                    .await
                    .map_err(|f| {
                        if f.is("USERNAME_NOT_OCCUPIED") || f.is("USERNAME_INVALID") {
                            ChannelError::new(
                                ErrorKind::ChannelInvalid,
                                format!("no channel is called @{name}"),
                            )
                        } else {
                            channel_error(f, "contacts.resolveUsername")
                        }
                    })?;
                r.chats
            }
            ChannelAddress::Id(id) => {
                let chats = conn
                    .invoke(
                        Lane::Main,
                        &tl::functions::channels::GetChannels {
                            id: vec![tl::enums::InputChannel::Channel(tl::types::InputChannel {
                                channel_id: *id,
                                access_hash: 0,
                            })],
                        },
                    )
                    .await
                    .map_err(fail("channels.getChannels"))?;
                match chats {
                    tl::enums::messages::Chats::Chats(c) => c.chats,
                    tl::enums::messages::Chats::Slice(c) => c.chats,
                }
            }
        };
        let want = match address {
            ChannelAddress::Id(id) => Some(*id),
            ChannelAddress::Username(_) => None,
        };
        chats
            .iter()
            .find_map(|c| match c {
                tl::enums::Chat::Channel(c) if want.is_none_or(|w| w == c.id) => {
                    Some((c.id, c.access_hash.unwrap_or(0)))
                }
                _ => None,
            })
            .map(|(id, hash)| TelegramChannel::open(conn.clone(), id, hash))
            .ok_or_else(|| {
                ChannelError::new(
                    ErrorKind::ChannelInvalid,
                    format!("{address:?} is not a channel"),
                )
            })
    }

    /// The channel's bare id.
    pub fn id(&self) -> i64 {
        self.id
    }

    /// The access hash that addresses it.
    pub fn access_hash(&self) -> i64 {
        self.access_hash
    }

    /// Deletes the whole channel (creator only).
    ///
    /// # Errors
    /// [`ErrorKind::AdminRequired`] for a non-creator; transport errors.
    pub async fn delete_channel(&self) -> Result<()> {
        self.conn
            .invoke(
                Lane::Main,
                &tl::functions::channels::DeleteChannel {
                    channel: self.input_channel(),
                },
            )
            .await
            .map_err(fail("channels.deleteChannel"))?;
        Ok(())
    }

    fn input_channel(&self) -> tl::enums::InputChannel {
        tl::enums::InputChannel::Channel(tl::types::InputChannel {
            channel_id: self.id,
            access_hash: self.access_hash,
        })
    }

    fn input_peer(&self) -> tl::enums::InputPeer {
        tl::enums::InputPeer::Channel(tl::types::InputPeerChannel {
            channel_id: self.id,
            access_hash: self.access_hash,
        })
    }

    async fn me(&self) -> Result<SelfUser> {
        self.me
            .get_or_try_init(|| async {
                if let Some(me) = self.conn.session().me() {
                    return Ok(me);
                }
                let users = self
                    .conn
                    .invoke(
                        Lane::Main,
                        &tl::functions::users::GetUsers {
                            id: vec![tl::enums::InputUser::UserSelf],
                        },
                    )
                    .await
                    .map_err(fail("users.getUsers"))?;
                let me = users
                    .iter()
                    .find_map(|u| match u {
                        tl::enums::User::User(u) => Some(SelfUser {
                            id: u.id,
                            premium: u.premium,
                        }),
                        tl::enums::User::Empty(_) => None,
                    })
                    .ok_or_else(|| unexpected("users.getUsers", "no user"))?;
                self.conn.session().set_me(Some(me));
                Ok(me)
            })
            .await
            .copied()
    }

    async fn limits(&self) -> Result<Limits> {
        Ok(Limits::for_account(self.me().await?.premium))
    }

    async fn full(&self) -> Result<(tl::types::Channel, tl::types::ChannelFull)> {
        let tl::enums::messages::ChatFull::Full(full) = self
            .conn
            .invoke(
                Lane::Main,
                &tl::functions::channels::GetFullChannel {
                    channel: self.input_channel(),
                },
            )
            .await
            .map_err(fail("channels.getFullChannel"))?;
        let tl::enums::ChatFull::ChannelFull(cf) = full.full_chat else {
            return Err(unexpected("channels.getFullChannel", "not a channel"));
        };
        let chat = full
            .chats
            .into_iter()
            .find_map(|c| match c {
                tl::enums::Chat::Channel(c) if c.id == self.id => Some(c),
                _ => None,
            })
            .ok_or_else(|| unexpected("channels.getFullChannel", "the channel is missing"))?;
        Ok((chat, cf))
    }

    /// Messages by id, raw, in chunks of 100.
    async fn raw_messages(
        &self,
        ids: &[MessageId],
    ) -> Result<HashMap<MessageId, tl::enums::Message>> {
        let mut out = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(IDS_PER_CALL) {
            let got = self
                .conn
                .invoke(
                    Lane::Main,
                    &tl::functions::channels::GetMessages {
                        channel: self.input_channel(),
                        id: chunk
                            .iter()
                            .map(|&id| {
                                tl::enums::InputMessage::Id(tl::types::InputMessageId { id })
                            })
                            .collect(),
                    },
                )
                .await
                .map_err(fail("channels.getMessages"))?;
            for m in convert::listed(got) {
                out.insert(m.id(), m);
            }
        }
        Ok(out)
    }

    fn remember(&self, id: MessageId, doc: Option<RemoteDocument>) {
        if let Ok(mut docs) = self.docs.lock() {
            match doc {
                Some(d) => {
                    docs.insert(id, d);
                }
                None => {
                    docs.remove(&id);
                }
            }
        }
    }

    fn map_message(&self, raw: &tl::enums::Message) -> Option<Message> {
        let (m, doc) = convert::message(raw)?;
        self.remember(m.id, doc);
        Some(m)
    }

    /// The message an `Updates` answer carries.
    fn message_from(&self, method: &'static str, updates: &tl::enums::Updates) -> Result<Message> {
        convert::updated_messages(updates)
            .into_iter()
            .find_map(|m| self.map_message(m))
            .ok_or_else(|| unexpected(method, "no message in the answer"))
    }

    /// Where message `id`'s document `document` lives, refreshed from Telegram if asked.
    async fn locate(&self, id: MessageId, document: u64, refresh: bool) -> Result<RemoteDocument> {
        if !refresh {
            let cached = self.docs.lock().ok().and_then(|d| d.get(&id).cloned());
            if let Some(d) = cached.filter(|d| d.id as u64 == document) {
                return Ok(d);
            }
        }
        let raw = self.raw_messages(&[id]).await?;
        let doc = raw
            .get(&id)
            .and_then(|m| self.map_message(m))
            .and_then(|_| self.docs.lock().ok().and_then(|d| d.get(&id).cloned()));
        match doc {
            Some(d) if d.id as u64 == document => Ok(d),
            _ => Err(ChannelError::new(
                ErrorKind::FileReferenceExpired,
                format!("message {id} no longer carries document {document:x}"),
            )),
        }
    }

    /// One aligned `upload.getFile`, following `FILE_MIGRATE` and refreshing the reference.
    async fn get_file(
        &self,
        id: MessageId,
        doc: &mut RemoteDocument,
        offset: i64,
        limit: i32,
    ) -> Result<Vec<u8>> {
        let home = self.conn.session().home_dc();
        let mut refreshed = false;
        let mut dc = if doc.dc_id > 0 { doc.dc_id } else { home };
        for _ in 0..4 {
            let req = tl::functions::upload::GetFile {
                precise: false,
                cdn_supported: false,
                location: doc.location(),
                offset,
                limit,
            };
            match self.conn.invoke_in_dc(Lane::Transfer, dc, &req).await {
                Ok(tl::enums::upload::File::File(f)) => return Ok(f.bytes),
                Ok(tl::enums::upload::File::CdnRedirect(_)) => {
                    return Err(unexpected(
                        "upload.getFile",
                        "a CDN redirect (not requested)",
                    ));
                }
                Err(Failure::Rpc(r)) if r.code == 303 && r.value.is_some() => {
                    dc = r.value.unwrap_or_default() as i32;
                    doc.dc_id = dc;
                    self.remember(id, Some(doc.clone()));
                }
                Err(f) if f.is("FILE_REFERENCE_*") && !refreshed => {
                    refreshed = true;
                    *doc = self.locate(id, doc.id as u64, true).await?;
                    dc = if doc.dc_id > 0 { doc.dc_id } else { home };
                }
                Err(f) => return Err(channel_error(f, "upload.getFile")),
            }
        }
        Err(unexpected("upload.getFile", "too many DC migrations"))
    }

    /// Sends one part of an upload.
    async fn send_part(&self, t: Token, index: u32, bytes: Bytes) -> Result<()> {
        let ok = if t.big() {
            self.conn
                .invoke(
                    Lane::Transfer,
                    &tl::functions::upload::SaveBigFilePart {
                        file_id: t.file_id,
                        file_part: index as i32,
                        file_total_parts: part_count(t.size) as i32,
                        bytes: bytes.to_vec(),
                    },
                )
                .await
                .map_err(fail("upload.saveBigFilePart"))?
        } else {
            self.conn
                .invoke(
                    Lane::Transfer,
                    &tl::functions::upload::SaveFilePart {
                        file_id: t.file_id,
                        file_part: index as i32,
                        bytes: bytes.to_vec(),
                    },
                )
                .await
                .map_err(fail("upload.saveFilePart"))?
        };
        if ok {
            Ok(())
        } else {
            Err(parts_invalid(format!(
                "Telegram did not store part {index}"
            )))
        }
    }

    /// Reads `upload`'s body and sends it in parts, several in flight. The body must be exactly
    /// `upload.size` bytes.
    async fn upload_body(&self, mut upload: Upload) -> Result<Token> {
        let limits = self.limits().await?;
        limits.check_document_size(upload.size)?;
        let token = Token::parse(&self.begin_upload(upload.size).await?)?;
        let total = part_count(upload.size);
        let in_flight = self.conn.options().links.max(1) * 2;
        let mut sending = futures::stream::FuturesUnordered::new();
        for index in 0..total {
            let len = part_len(upload.size, index).unwrap_or(0);
            let mut buf = BytesMut::zeroed(len);
            upload
                .body
                .read_exact(&mut buf)
                .await
                .map_err(|e| match e.kind() {
                    std::io::ErrorKind::UnexpectedEof => parts_invalid(format!(
                        "the body ended before the declared {} bytes",
                        upload.size
                    )),
                    _ => ChannelError::io("reading the document", e),
                })?;
            if index + 1 == total {
                let mut probe = [0u8; 1];
                let more = upload
                    .body
                    .read(&mut probe)
                    .await
                    .map_err(|e| ChannelError::io("reading the document", e))?;
                if more != 0 {
                    return Err(parts_invalid(format!(
                        "the body is longer than the declared {} bytes",
                        upload.size
                    )));
                }
            }
            sending.push(self.send_part(token, index, buf.freeze()));
            while sending.len() >= in_flight {
                if let Some(r) = futures::StreamExt::next(&mut sending).await {
                    r?;
                }
            }
        }
        while let Some(r) = futures::StreamExt::next(&mut sending).await {
            r?;
        }
        Ok(token)
    }

    fn take_token(&self, token: &UploadToken) -> Result<Token> {
        let t = Token::parse(token)?;
        if self
            .used_tokens
            .lock()
            .is_ok_and(|u| u.contains(&t.file_id))
        {
            return Err(parts_invalid("this upload was posted already"));
        }
        Ok(t)
    }

    fn used(&self, t: Token) {
        if let Ok(mut u) = self.used_tokens.lock() {
            u.insert(t.file_id);
        }
    }

    async fn send_media(&self, t: Token, name: &str, mime: &str, caption: &str) -> Result<Message> {
        let updates = self
            .conn
            .invoke(
                Lane::Main,
                &tl::functions::messages::SendMedia {
                    silent: false,
                    background: false,
                    clear_draft: false,
                    noforwards: false,
                    update_stickersets_order: false,
                    invert_media: false,
                    allow_paid_floodskip: false,
                    peer: self.input_peer(),
                    reply_to: None,
                    media: uploaded_document(t.input_file(name), name, mime),
                    message: caption.to_owned(),
                    random_id: random_i64()?,
                    reply_markup: None,
                    entities: None,
                    schedule_date: None,
                    schedule_repeat_period: None,
                    send_as: None,
                    quick_reply_shortcut: None,
                    effect: None,
                    allow_paid_stars: None,
                    suggested_post: None,
                },
            )
            .await
            .map_err(fail("messages.sendMedia"))?;
        self.used(t);
        self.message_from("messages.sendMedia", &updates)
    }

    async fn edit_message(
        &self,
        id: MessageId,
        caption: Option<&str>,
        media: Option<tl::enums::InputMedia>,
    ) -> Result<Message> {
        let updates = self
            .conn
            .invoke(
                Lane::Main,
                &tl::functions::messages::EditMessage {
                    no_webpage: false,
                    invert_media: false,
                    peer: self.input_peer(),
                    id,
                    message: caption.map(str::to_owned),
                    media,
                    reply_markup: None,
                    entities: None,
                    schedule_date: None,
                    schedule_repeat_period: None,
                    quick_reply_shortcut_id: None,
                    rich_message: None,
                },
            )
            .await
            .map_err(fail("messages.editMessage"))?;
        self.message_from("messages.editMessage", &updates)
    }

    async fn read_whole_photo(&self, photo_id: i64, dc: i32) -> Result<Bytes> {
        let mut out = BytesMut::new();
        let step = TELEGRAM_READ_MAX as i32;
        loop {
            let req = tl::functions::upload::GetFile {
                precise: false,
                cdn_supported: false,
                location: tl::enums::InputFileLocation::InputPeerPhotoFileLocation(
                    tl::types::InputPeerPhotoFileLocation {
                        big: true,
                        peer: self.input_peer(),
                        photo_id,
                    },
                ),
                offset: out.len() as i64,
                limit: step,
            };
            let tl::enums::upload::File::File(f) = self
                .conn
                .invoke_in_dc(Lane::Transfer, dc, &req)
                .await
                .map_err(fail("upload.getFile"))?
            else {
                return Err(unexpected(
                    "upload.getFile",
                    "a CDN redirect (not requested)",
                ));
            };
            let n = f.bytes.len();
            out.extend_from_slice(&f.bytes);
            if n < step as usize {
                return Ok(out.freeze());
            }
        }
    }
}

/// The smallest power-of-two request window (4 KiB to 512 KiB) that holds `[x, x + want)` or
/// as much of it as one window can: Telegram requires `offset % limit == 0` with `limit` a
/// divisor of 1 MiB, which also keeps a request inside one 1 MiB block.
fn window(x: u64, want: u64) -> (u64, u64) {
    let mut limit = 4096u64;
    while limit < TELEGRAM_READ_MAX as u64 && (x % limit) + want > limit {
        limit *= 2;
    }
    (x - x % limit, limit)
}

fn admin_log_filter(f: EventFilter) -> tl::enums::ChannelAdminLogEventsFilter {
    tl::enums::ChannelAdminLogEventsFilter::Filter(tl::types::ChannelAdminLogEventsFilter {
        join: false,
        leave: false,
        invite: false,
        ban: false,
        unban: false,
        kick: false,
        unkick: false,
        promote: false,
        demote: false,
        info: f.info,
        settings: false,
        pinned: false,
        edit: f.edits,
        delete: f.deletes,
        group_call: false,
        invites: false,
        send: f.new_messages,
        forums: false,
        sub_extend: false,
        edit_rank: false,
    })
}

#[async_trait]
impl Channel for TelegramChannel {
    async fn header(&self) -> Result<ChannelHeader> {
        let (chat, full) = self.full().await?;
        Ok(ChannelHeader {
            id: chat.id,
            title: chat.title,
            about: full.about,
            has_photo: matches!(chat.photo, tl::enums::ChatPhoto::Photo(_)),
            created: i64::from(chat.date),
            premium: self.me().await?.premium,
        })
    }

    async fn capabilities(&self) -> Result<Capabilities> {
        Ok(Capabilities {
            limits: self.limits().await?,
            event_retention: Some(ADMIN_LOG_RETENTION),
            read_max: TELEGRAM_READ_MAX,
        })
    }

    async fn set_title(&self, title: &str) -> Result<()> {
        self.limits().await?.check_title(title)?;
        self.conn
            .invoke(
                Lane::Main,
                &tl::functions::channels::EditTitle {
                    channel: self.input_channel(),
                    title: title.to_owned(),
                },
            )
            .await
            .map_err(fail("channels.editTitle"))?;
        Ok(())
    }

    async fn set_about(&self, about: &str) -> Result<()> {
        self.limits().await?.check_about(about)?;
        self.conn
            .invoke(
                Lane::Main,
                &tl::functions::messages::EditChatAbout {
                    peer: self.input_peer(),
                    about: about.to_owned(),
                },
            )
            .await
            .map_err(fail("messages.editChatAbout"))?;
        Ok(())
    }

    async fn set_photo(&self, photo: Photo) -> Result<()> {
        let size = photo.bytes.len() as u64;
        if size == 0 || size > BIG_FILE {
            return Err(parts_invalid(format!("a channel photo of {size} bytes")));
        }
        let t = Token {
            file_id: random_i64()?,
            size,
        };
        for index in 0..part_count(size) {
            let start = index as usize * PART_SIZE;
            let end = start + part_len(size, index).unwrap_or(0);
            self.send_part(t, index, Bytes::copy_from_slice(&photo.bytes[start..end]))
                .await?;
        }
        let ext = if !photo.extension.is_empty()
            && photo.extension.len() <= 8
            && photo
                .extension
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        {
            photo.extension.as_str()
        } else {
            "jpg"
        };
        self.conn
            .invoke(
                Lane::Main,
                &tl::functions::channels::EditPhoto {
                    channel: self.input_channel(),
                    photo: tl::enums::InputChatPhoto::InputChatUploadedPhoto(
                        tl::types::InputChatUploadedPhoto {
                            file: Some(t.input_file(&format!("photo.{ext}"))),
                            video: None,
                            video_start_ts: None,
                            video_emoji_markup: None,
                        },
                    ),
                },
            )
            .await
            .map_err(fail("channels.editPhoto"))?;
        Ok(())
    }

    async fn photo(&self) -> Result<Option<Bytes>> {
        let (chat, _) = self.full().await?;
        match chat.photo {
            tl::enums::ChatPhoto::Photo(p) => {
                Ok(Some(self.read_whole_photo(p.photo_id, p.dc_id).await?))
            }
            tl::enums::ChatPhoto::Empty => Ok(None),
        }
    }

    async fn post_document(&self, upload: Upload, caption: &str) -> Result<Message> {
        self.limits().await?.check_caption(caption)?;
        let (name, mime) = (upload.name.clone(), upload.mime.clone());
        let t = self.upload_body(upload).await?;
        self.send_media(t, &name, &mime, caption).await
    }

    async fn begin_upload(&self, size: u64) -> Result<UploadToken> {
        self.limits().await?.check_document_size(size)?;
        Ok(Token {
            file_id: random_i64()?,
            size,
        }
        .encode())
    }

    async fn upload_part(&self, token: &UploadToken, index: u32, bytes: Bytes) -> Result<()> {
        let t = self.take_token(token)?;
        match part_len(t.size, index) {
            Some(len) if len == bytes.len() => self.send_part(t, index, bytes).await,
            Some(len) => Err(parts_invalid(format!(
                "part {index} must be {len} bytes, not {}",
                bytes.len()
            ))),
            None => Err(parts_invalid(format!(
                "part {index} is past the last part ({})",
                part_count(t.size).saturating_sub(1)
            ))),
        }
    }

    async fn commit_upload(
        &self,
        token: &UploadToken,
        name: &str,
        mime: &str,
        caption: &str,
    ) -> Result<Message> {
        let t = self.take_token(token)?;
        self.limits().await?.check_caption(caption)?;
        self.send_media(t, name, mime, caption).await
    }

    async fn commit_replacement(
        &self,
        id: MessageId,
        token: &UploadToken,
        name: &str,
        mime: &str,
        caption: Option<&str>,
    ) -> Result<Message> {
        let t = self.take_token(token)?;
        if let Some(c) = caption {
            self.limits().await?.check_caption(c)?;
        }
        let m = self
            .edit_message(
                id,
                caption,
                Some(uploaded_document(t.input_file(name), name, mime)),
            )
            .await?;
        self.used(t);
        Ok(m)
    }

    async fn replace_document(
        &self,
        id: MessageId,
        upload: Upload,
        caption: Option<&str>,
    ) -> Result<Message> {
        if let Some(c) = caption {
            self.limits().await?.check_caption(c)?;
        }
        let (name, mime) = (upload.name.clone(), upload.mime.clone());
        let t = self.upload_body(upload).await?;
        let m = self
            .edit_message(
                id,
                caption,
                Some(uploaded_document(t.input_file(&name), &name, &mime)),
            )
            .await?;
        self.used(t);
        Ok(m)
    }

    async fn edit_caption(&self, id: MessageId, caption: &str) -> Result<Message> {
        self.limits().await?.check_caption(caption)?;
        self.edit_message(id, Some(caption), None).await
    }

    async fn read_document(
        &self,
        id: MessageId,
        document: u64,
        offset: u64,
        len: usize,
    ) -> Result<Bytes> {
        if len > TELEGRAM_READ_MAX {
            return Err(ChannelError::new(
                ErrorKind::InvalidArgument,
                format!("a read of {len} bytes; at most {TELEGRAM_READ_MAX}"),
            ));
        }
        let mut doc = self.locate(id, document, false).await?;
        if len == 0 || offset >= doc.size {
            return Ok(Bytes::new());
        }
        let end = doc.size.min(offset + len as u64);
        let mut out = BytesMut::with_capacity((end - offset) as usize);
        let mut x = offset;
        while x < end {
            let (start, limit) = window(x, end - x);
            let got = self
                .get_file(id, &mut doc, start as i64, limit as i32)
                .await?;
            let skip = (x - start) as usize;
            if got.len() <= skip {
                break;
            }
            let take = (got.len() - skip).min((end - x) as usize);
            out.extend_from_slice(&got[skip..skip + take]);
            x += take as u64;
            if got.len() < limit as usize {
                break;
            }
        }
        Ok(out.freeze())
    }

    async fn list_messages(&self, after: MessageId, limit: usize) -> Result<Vec<Message>> {
        let limit = limit.clamp(1, IDS_PER_CALL) as i32;
        let mut after = after;
        loop {
            if after == i32::MAX {
                return Ok(Vec::new());
            }
            // offset_id = after + 1 with add_offset = -limit yields the `limit` messages just
            // above `after`, newest first (Telethon's reverse iteration); min_id makes the
            // lower bound exact.
            let got = self
                .conn
                .invoke(
                    Lane::Main,
                    &tl::functions::messages::GetHistory {
                        peer: self.input_peer(),
                        offset_id: after + 1,
                        offset_date: 0,
                        add_offset: -limit,
                        limit,
                        max_id: 0,
                        min_id: after,
                        hash: 0,
                    },
                )
                .await
                .map_err(fail("messages.getHistory"))?;
            let mut raw: Vec<_> = convert::listed(got)
                .into_iter()
                .filter(|m| m.id() > after)
                .collect();
            if raw.is_empty() {
                return Ok(Vec::new());
            }
            raw.sort_by_key(|m| m.id());
            let top = raw.last().map_or(after, |m| m.id());
            let page: Vec<_> = raw.iter().filter_map(|m| self.map_message(m)).collect();
            if !page.is_empty() {
                return Ok(page);
            }
            // A page of service messages only: keep walking rather than end the listing.
            after = top;
        }
    }

    async fn get_messages(&self, ids: &[MessageId]) -> Result<Vec<Option<Message>>> {
        let wanted: Vec<_> = ids.iter().copied().filter(|&id| id > 0).collect();
        let raw = self.raw_messages(&wanted).await?;
        Ok(ids
            .iter()
            .map(|id| raw.get(id).and_then(|m| self.map_message(m)))
            .collect())
    }

    async fn delete_messages(&self, ids: &[MessageId]) -> Result<usize> {
        let mut deleted = 0usize;
        for chunk in ids.chunks(IDS_PER_CALL) {
            let tl::enums::messages::AffectedMessages::Messages(a) = self
                .conn
                .invoke(
                    Lane::Main,
                    &tl::functions::channels::DeleteMessages {
                        channel: self.input_channel(),
                        id: chunk.to_vec(),
                    },
                )
                .await
                .map_err(fail("channels.deleteMessages"))?;
            deleted += usize::try_from(a.pts_count).unwrap_or(0);
            for id in chunk {
                self.remember(*id, None);
            }
        }
        Ok(deleted)
    }

    async fn events(
        &self,
        after: EventId,
        filter: EventFilter,
        limit: usize,
    ) -> Result<Vec<Event>> {
        // The admin log pages newest first by max_id; the seam wants the oldest events after
        // `after`. The log holds 48 hours, so walking it down to `after` is bounded.
        let mut all = Vec::new();
        let mut max_id = 0i64;
        loop {
            let tl::enums::channels::AdminLogResults::Results(r) = self
                .conn
                .invoke(
                    Lane::Main,
                    &tl::functions::channels::GetAdminLog {
                        channel: self.input_channel(),
                        q: String::new(),
                        events_filter: Some(admin_log_filter(filter)),
                        admins: None,
                        max_id,
                        min_id: i64::try_from(after).unwrap_or(i64::MAX),
                        limit: 100,
                    },
                )
                .await
                .map_err(fail("channels.getAdminLog"))?;
            let mut lowest = None::<i64>;
            let mut fresh = 0;
            let full_page = r.events.len() >= 100;
            for tl::enums::ChannelAdminLogEvent::Event(e) in r.events {
                if (max_id != 0 && e.id >= max_id) || e.id <= after as i64 {
                    continue;
                }
                fresh += 1;
                lowest = Some(lowest.map_or(e.id, |l| l.min(e.id)));
                if let Some(ev) = self.event(e) {
                    all.push(ev);
                }
            }
            match lowest {
                Some(l) if fresh > 0 && full_page => max_id = l,
                _ => break,
            }
        }
        all.retain(|e: &Event| filter.matches(&e.action));
        all.sort_by_key(|e| e.id);
        all.truncate(limit.max(1));
        Ok(all)
    }
}

impl TelegramChannel {
    fn event(&self, e: tl::types::ChannelAdminLogEvent) -> Option<Event> {
        use tl::enums::ChannelAdminLogEventAction as A;
        let conv = |m: &tl::enums::Message| convert::message(m).map(|(m, _)| m);
        let action = match e.action {
            A::SendMessage(a) => EventAction::NewMessage {
                message: conv(&a.message)?,
            },
            A::EditMessage(a) => EventAction::EditMessage {
                message: conv(&a.new_message)?,
                prev: conv(&a.prev_message)?,
            },
            A::DeleteMessage(a) => EventAction::DeleteMessage {
                message: conv(&a.message)?,
            },
            A::ChangeTitle(a) => EventAction::EditTitle {
                title: a.new_value,
                prev: a.prev_value,
            },
            A::ChangeAbout(a) => EventAction::EditAbout {
                about: a.new_value,
                prev: a.prev_value,
            },
            A::ChangePhoto(_) => EventAction::EditPhoto,
            _ => return None,
        };
        Some(Event {
            id: u64::try_from(e.id).ok()?,
            date: i64::from(e.date),
            action,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_obey_telegrams_get_file_rules() {
        for x in [
            0u64, 1, 4095, 4096, 5000, 524_287, 524_288, 1_048_575, 1_048_576, 3_000_001,
        ] {
            for want in [1u64, 10, 4096, 100_000, 524_288] {
                let (start, limit) = window(x, want);
                assert!(start <= x && x < start + limit, "{x}+{want}");
                assert_eq!(start % 4096, 0);
                assert_eq!(limit % 4096, 0);
                assert_eq!(1_048_576 % limit, 0);
                assert_eq!(start % limit, 0, "offset is a multiple of the limit");
                assert_eq!(
                    start / 1_048_576,
                    (start + limit - 1) / 1_048_576,
                    "one 1 MiB block"
                );
                assert!(limit <= TELEGRAM_READ_MAX as u64);
            }
        }
        assert_eq!(window(10, 100), (0, 4096), "small reads stay small");
        assert_eq!(window(4095, 2), (0, 8192));
    }

    #[test]
    fn tokens_round_trip_and_refuse_anything_else() {
        let t = Token {
            file_id: -5,
            size: 123_456,
        };
        assert_eq!(Token::parse(&t.encode()).unwrap(), t);
        for bad in [
            "",
            "../../etc",
            "tg1.00.1",
            "tg1.fffffffffffffffb.0",
            "tg1.fffffffffffffffb.01",
            "tg1.fffffffffffffffb.12.3",
            "tg2.fffffffffffffffb.12",
            "tg1.zzzzzzzzzzzzzzzz.12",
        ] {
            let e = Token::parse(&UploadToken(bad.into())).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::FilePartsInvalid, "{bad}");
        }
    }

    #[test]
    fn addresses_parse_usernames_and_ids() {
        assert_eq!(
            ChannelAddress::parse("@my_box1").unwrap(),
            ChannelAddress::Username("my_box1".into())
        );
        assert_eq!(
            ChannelAddress::parse("-1001234").unwrap(),
            ChannelAddress::Id(1234)
        );
        assert_eq!(ChannelAddress::parse("42").unwrap(), ChannelAddress::Id(42));
        for bad in ["", "@", "@1abc", "@a-b-c-d", "x", "-5", "0"] {
            assert!(ChannelAddress::parse(bad).is_err(), "{bad}");
        }
    }
}
