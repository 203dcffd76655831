//! The Telegram world of the test server: accounts and keys, channels, messages, documents,
//! uploads in parts, the admin log, sign-in. Each method enforces Telegram's documented rules
//! (core.telegram.org/api/files, /method/upload.getFile, /api/config for the limits) and
//! answers with Telegram's error names.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;

use grammers_tl_types as tl;
use tl::{Identifiable, Serializable};

use super::build::{self, ChannelView, DocView};
use super::wire::AuthKey;
use super::{LOGIN_CODE, PHONE, USER_ID, now, parse};

type Answer = Result<Vec<u8>, (i32, String)>;

fn err(code: i32, name: &str) -> (i32, String) {
    (code, name.to_owned())
}

const MIB: usize = 1024 * 1024;
const PART_MAX: usize = 512 * 1024;
const BIG_FILE: usize = 10 * MIB;
const PARTS_MAX: i32 = 4000;
const CAPTION_MAX: usize = 1024;
const TITLE_MAX: usize = 128;
const ABOUT_MAX: usize = 255;
const ADMIN_LOG_WINDOW: i64 = 48 * 3600;
const MESSAGE_MAX: usize = 4096;
/// Public usernames one account may hold on its channels.
const PUBLIC_LINKS_MAX: usize = 10;

fn utf16(s: &str) -> usize {
    s.encode_utf16().count()
}

/// An auth key the server knows.
pub struct KeyInfo {
    /// The key.
    pub key: AuthKey,
    /// The DC it was made for.
    pub dc: i32,
    /// The user it is signed in as.
    pub user: Option<i64>,
    /// Revoked (logged out or terminated).
    pub revoked: bool,
    /// Unix seconds of creation.
    pub created: i32,
}

struct Doc {
    access_hash: i64,
    file_reference: Vec<u8>,
    bytes: std::sync::Arc<Vec<u8>>,
    name: String,
    mime: String,
    date: i32,
}

struct Msg {
    date: i32,
    edit_date: Option<i32>,
    text: String,
    doc: Option<i64>,
    service: Option<tl::enums::MessageAction>,
}

struct Chan {
    /// Made by someone else (the test account is not its creator).
    foreign: bool,
    access_hash: i64,
    title: String,
    about: String,
    date: i32,
    username: Option<String>,
    photo: Option<(i64, Vec<u8>)>,
    msgs: BTreeMap<i32, Msg>,
    next_id: i32,
    pts: i32,
}

#[derive(Default)]
struct Parts {
    parts: BTreeMap<i32, Vec<u8>>,
    big_total: Option<i32>,
}

/// Everything the server knows.
pub struct World {
    /// Auth keys by key id.
    pub keys: HashMap<[u8; 8], KeyInfo>,
    /// Where each DC listens.
    pub dc_addrs: HashMap<i32, SocketAddr>,
    /// Whether the test account has Premium.
    pub premium: bool,
    channels: BTreeMap<i64, Chan>,
    docs: HashMap<i64, Doc>,
    uploads: HashMap<i64, Parts>,
    log: BTreeMap<i64, (i64, i32, tl::enums::ChannelAdminLogEventAction)>,
    random_ids: HashSet<i64>,
    codes: HashMap<String, String>,
    exported: HashMap<i64, (Vec<u8>, i64)>,
    login_tokens: HashMap<Vec<u8>, [u8; 8]>,
    counter: i64,
    password: Option<(super::srp::Verifier, Option<String>)>,
    srp: HashMap<i64, (Vec<u8>, Vec<u8>)>,
    password_pending: HashSet<[u8; 8]>,
}

impl Default for World {
    fn default() -> Self {
        Self::new()
    }
}

impl World {
    /// An empty world.
    pub fn new() -> Self {
        World {
            keys: HashMap::new(),
            dc_addrs: HashMap::new(),
            premium: false,
            channels: BTreeMap::new(),
            docs: HashMap::new(),
            uploads: HashMap::new(),
            log: BTreeMap::new(),
            random_ids: HashSet::new(),
            codes: HashMap::new(),
            exported: HashMap::new(),
            login_tokens: HashMap::new(),
            counter: 1000,
            password: None,
            srp: HashMap::new(),
            password_pending: HashSet::new(),
        }
    }

    fn next(&mut self) -> i64 {
        self.counter += 1;
        self.counter
    }

    /// Registers an auth key for DC `dc`, signed in as `user`.
    pub fn add_key(&mut self, key: AuthKey, dc: i32, user: Option<i64>) {
        self.keys.insert(
            key.id,
            KeyInfo {
                key,
                dc,
                user,
                revoked: false,
                created: now() as i32,
            },
        );
    }

    /// The key with this id.
    pub fn key(&self, id: [u8; 8]) -> Option<AuthKey> {
        self.keys.get(&id).map(|k| k.key.clone())
    }

    /// Revokes a key: every request on it gets `AUTH_KEY_UNREGISTERED`.
    pub fn revoke(&mut self, id: [u8; 8]) {
        if let Some(k) = self.keys.get_mut(&id) {
            k.revoked = true;
            k.user = None;
        }
    }

    /// Sets the test account's two-step verification password (and its hint).
    pub fn set_password(&mut self, password: &str, hint: Option<&str>) {
        let salt1 = self.next().to_le_bytes().repeat(5);
        let salt2 = self.next().to_be_bytes().repeat(2);
        self.password = Some((
            super::srp::Verifier::new(password.as_bytes(), salt1, salt2),
            hint.map(str::to_owned),
        ));
    }

    /// Approves a QR login token (what scanning it in an app does).
    pub fn accept_login_token(&mut self, token: &[u8]) -> bool {
        match self.login_tokens.get(token).copied() {
            Some(id) => {
                if let Some(k) = self.keys.get_mut(&id) {
                    k.user = Some(USER_ID);
                }
                true
            }
            None => false,
        }
    }

    /// Pushes every admin-log event `secs` into the past (to test the 48-hour window).
    pub fn age_log(&mut self, secs: i32) {
        for e in self.log.values_mut() {
            e.1 -= secs;
        }
    }

    /// Sets a public username on a channel (as the app's settings would).
    pub fn set_username(&mut self, channel: i64, name: &str) {
        if let Some(c) = self.channels.get_mut(&channel) {
            c.username = Some(name.to_owned());
        }
    }

    /// Gives every document a new file reference, as Telegram does from time to time: reads
    /// with the old one get `FILE_REFERENCE_EXPIRED`.
    pub fn expire_file_references(&mut self) {
        for (id, d) in self.docs.iter_mut() {
            d.file_reference = (id ^ 0x7E7E).to_le_bytes().to_vec();
        }
    }

    /// A public channel called `username` that someone else made.
    pub fn add_foreign_channel(&mut self, username: &str) -> i64 {
        let id = 1_000_000_000 + self.next();
        self.channels.insert(
            id,
            Chan {
                foreign: true,
                access_hash: id ^ 0x77,
                title: "not yours".into(),
                about: String::new(),
                date: now() as i32,
                username: Some(username.to_owned()),
                photo: None,
                msgs: BTreeMap::new(),
                next_id: 1,
                pts: 1,
            },
        );
        id
    }

    /// The texts of the messages of the channel called `username`, oldest first (empty when
    /// there is no such channel).
    pub fn texts_of(&self, username: &str) -> Vec<String> {
        self.channels
            .values()
            .find(|c| c.username.as_deref() == Some(username))
            .map(|c| {
                c.msgs
                    .values()
                    .filter(|m| m.service.is_none())
                    .map(|m| m.text.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The title and description of the channel called `username`.
    pub fn header_of(&self, username: &str) -> Option<(String, String)> {
        self.channels
            .values()
            .find(|c| c.username.as_deref() == Some(username))
            .map(|c| (c.title.clone(), c.about.clone()))
    }

    /// How many channels exist.
    pub fn channel_count(&self) -> usize {
        self.channels.len()
    }

    /// The number of messages, service ones included, in `channel`.
    pub fn message_count(&self, channel: i64) -> usize {
        self.channels.get(&channel).map_or(0, |c| c.msgs.len())
    }

    /// Answers one RPC for key `key_id` on DC `dc`.
    pub fn call(
        &mut self,
        dc: i32,
        key_id: [u8; 8],
        method: &str,
        ctor: u32,
        body: &[u8],
        files_on: Option<i32>,
    ) -> Answer {
        let (revoked, user) = match self.keys.get(&key_id) {
            Some(k) => (k.revoked, k.user),
            None => return Err(err(401, "AUTH_KEY_INVALID")),
        };
        if revoked {
            return Err(err(401, "AUTH_KEY_UNREGISTERED"));
        }
        let open = matches!(
            method,
            "help.getConfig"
                | "auth.sendCode"
                | "auth.signIn"
                | "auth.exportLoginToken"
                | "auth.importLoginToken"
                | "auth.importAuthorization"
                | "account.getPassword"
                | "auth.checkPassword"
        );
        if user.is_none() && !open {
            return Err(err(401, "AUTH_KEY_UNREGISTERED"));
        }
        use tl::functions as f;
        macro_rules! on {
            ($($ty:ty => $h:ident),* $(,)?) => {
                match ctor {
                    $(<$ty as Identifiable>::CONSTRUCTOR_ID => {
                        let req: $ty = parse(body)?;
                        self.$h(dc, key_id, req, files_on).map(|r| r.to_bytes())
                    })*
                    _ => Err(err(400, "METHOD_NOT_IMPLEMENTED_BY_TEST_SERVER")),
                }
            };
        }
        on!(
            f::help::GetConfig => get_config,
            f::users::GetUsers => get_users,
            f::channels::CreateChannel => create_channel,
            f::channels::EditTitle => edit_title,
            f::messages::EditChatAbout => edit_about,
            f::channels::EditPhoto => edit_photo,
            f::channels::GetFullChannel => get_full_channel,
            f::channels::GetChannels => get_channels,
            f::channels::DeleteChannel => delete_channel,
            f::channels::UpdateUsername => update_username,
            f::messages::SendMessage => send_message,
            f::contacts::ResolveUsername => resolve_username,
            f::upload::SaveFilePart => save_file_part,
            f::upload::SaveBigFilePart => save_big_file_part,
            f::messages::SendMedia => send_media,
            f::messages::EditMessage => edit_message,
            f::messages::GetHistory => get_history,
            f::channels::GetMessages => get_messages,
            f::channels::DeleteMessages => delete_messages,
            f::channels::GetAdminLog => get_admin_log,
            f::upload::GetFile => get_file,
            f::auth::ExportAuthorization => export_authorization,
            f::auth::ImportAuthorization => import_authorization,
            f::auth::SendCode => send_code,
            f::auth::SignIn => sign_in,
            f::auth::LogOut => log_out,
            f::account::GetPassword => get_password,
            f::auth::CheckPassword => check_password,
            f::auth::ExportLoginToken => export_login_token,
            f::account::GetAuthorizations => get_authorizations,
            f::account::ResetAuthorization => reset_authorization,
        )
    }

    // ---- helpers -------------------------------------------------------------------------

    fn chan_by_input(&self, c: &tl::enums::InputChannel) -> Result<i64, (i32, String)> {
        match c {
            tl::enums::InputChannel::Channel(c) => match self.channels.get(&c.channel_id) {
                Some(ch) if ch.access_hash == c.access_hash => Ok(c.channel_id),
                _ => Err(err(400, "CHANNEL_INVALID")),
            },
            _ => Err(err(400, "CHANNEL_INVALID")),
        }
    }

    fn chan_by_peer(&self, p: &tl::enums::InputPeer) -> Result<i64, (i32, String)> {
        match p {
            tl::enums::InputPeer::Channel(c) => match self.channels.get(&c.channel_id) {
                Some(ch) if ch.access_hash == c.access_hash => Ok(c.channel_id),
                _ => Err(err(400, "CHANNEL_INVALID")),
            },
            _ => Err(err(400, "PEER_ID_INVALID")),
        }
    }

    fn chat(&self, id: i64) -> tl::enums::Chat {
        let c = &self.channels[&id];
        build::channel(ChannelView {
            id,
            access_hash: c.access_hash,
            title: &c.title,
            username: c.username.as_deref(),
            photo: c.photo.as_ref().map(|(pid, _)| (*pid, super::HOME_DC)),
            date: c.date,
            creator: !c.foreign,
        })
    }

    fn render(&self, channel: i64, id: i32) -> tl::enums::Message {
        let c = &self.channels[&channel];
        let m = &c.msgs[&id];
        if let Some(action) = &m.service {
            return build::service(channel, id, m.date, action.clone());
        }
        let media = m
            .doc
            .and_then(|d| self.docs.get(&d).map(|doc| (d, doc)))
            .map(|(d, doc)| {
                build::document(DocView {
                    id: d,
                    access_hash: doc.access_hash,
                    file_reference: &doc.file_reference,
                    date: doc.date,
                    mime: &doc.mime,
                    size: doc.bytes.len() as i64,
                    dc_id: super::HOME_DC,
                    name: &doc.name,
                })
            });
        build::message(channel, id, m.date, m.edit_date, &m.text, media)
    }

    /// The `updates` answer announcing message `id` of `channel` as new.
    fn posted(&self, channel: i64, id: i32) -> tl::enums::Updates {
        build::updates(
            vec![tl::enums::Update::NewChannelMessage(
                tl::types::UpdateNewChannelMessage {
                    message: self.render(channel, id),
                    pts: self.channels[&channel].pts,
                    pts_count: 1,
                },
            )],
            vec![self.chat(channel)],
            now() as i32,
        )
    }

    fn log(&mut self, channel: i64, action: tl::enums::ChannelAdminLogEventAction) {
        let id = self.next();
        self.log.insert(id, (channel, now() as i32, action));
    }

    fn add_message(&mut self, channel: i64, msg: Msg) -> Result<i32, (i32, String)> {
        let c = self
            .channels
            .get_mut(&channel)
            .ok_or_else(|| err(400, "CHANNEL_INVALID"))?;
        let id = c.next_id;
        c.next_id += 1;
        c.pts += 1;
        c.msgs.insert(id, msg);
        Ok(id)
    }

    fn add_service(
        &mut self,
        channel: i64,
        action: tl::enums::MessageAction,
    ) -> Result<i32, (i32, String)> {
        self.add_message(
            channel,
            Msg {
                date: now() as i32,
                edit_date: None,
                text: String::new(),
                doc: None,
                service: Some(action),
            },
        )
    }

    /// Joins the parts of an uploaded file under Telegram's rules; the upload is used up.
    fn assemble(&mut self, file: &tl::enums::InputFile) -> Result<Vec<u8>, (i32, String)> {
        let (id, parts, big) = match file {
            tl::enums::InputFile::File(f) => (f.id, f.parts, false),
            tl::enums::InputFile::Big(f) => (f.id, f.parts, true),
            _ => return Err(err(400, "FILE_PARTS_INVALID")),
        };
        let up = self
            .uploads
            .get(&id)
            .ok_or_else(|| err(400, "FILE_PARTS_INVALID"))?;
        if parts <= 0 || parts > PARTS_MAX || big != up.big_total.is_some() {
            return Err(err(400, "FILE_PARTS_INVALID"));
        }
        if up.big_total.is_some_and(|t| t != parts) {
            return Err(err(400, "FILE_PARTS_INVALID"));
        }
        for i in 0..parts {
            if !up.parts.contains_key(&i) {
                return Err((400, format!("FILE_PART_{i}_MISSING")));
            }
        }
        if up.parts.keys().any(|&i| i >= parts) {
            return Err(err(400, "FILE_PARTS_INVALID"));
        }
        // Every part but the last has the same size, a divisor of 512 KiB and a multiple of
        // 1 KiB (core.telegram.org/api/files).
        let first = up.parts[&0].len();
        for i in 0..parts - 1 {
            let n = up.parts[&i].len();
            if n != first || n % 1024 != 0 || !PART_MAX.is_multiple_of(n) {
                return Err(err(400, "FILE_PART_SIZE_INVALID"));
            }
        }
        if up.parts[&(parts - 1)].len() > first && parts > 1 {
            return Err(err(400, "FILE_PART_SIZE_INVALID"));
        }
        let total: usize = up.parts.values().map(Vec::len).sum();
        // Files over 10 MiB go with saveBigFilePart, smaller ones with saveFilePart.
        if big != (total > BIG_FILE) {
            return Err(err(400, "FILE_PARTS_INVALID"));
        }
        let up = self.uploads.remove(&id).expect("checked above");
        Ok(up.parts.into_values().flatten().collect())
    }

    fn new_doc(&mut self, bytes: Vec<u8>, name: String, mime: String) -> i64 {
        let id = self.next() * 7919;
        let date = now() as i32;
        self.docs.insert(
            id,
            Doc {
                access_hash: id ^ 0x0DDC0FFEE,
                file_reference: id.to_le_bytes().to_vec(),
                bytes: std::sync::Arc::new(bytes),
                name,
                mime,
                date,
            },
        );
        id
    }

    fn uploaded_document(&mut self, media: &tl::enums::InputMedia) -> Result<i64, (i32, String)> {
        let tl::enums::InputMedia::UploadedDocument(d) = media else {
            return Err(err(400, "MEDIA_INVALID"));
        };
        let names: Vec<_> = d
            .attributes
            .iter()
            .filter_map(|a| match a {
                tl::enums::DocumentAttribute::Filename(f) => Some(f.file_name.clone()),
                _ => None,
            })
            .collect();
        let bytes = self.assemble(&d.file)?;
        let name = names.into_iter().next().unwrap_or_default();
        Ok(self.new_doc(bytes, name, d.mime_type.clone()))
    }

    fn caption_max(&self) -> usize {
        if self.premium {
            2 * CAPTION_MAX
        } else {
            CAPTION_MAX
        }
    }

    fn user_of(&self, key: [u8; 8]) -> Option<i64> {
        self.keys.get(&key).and_then(|k| k.user)
    }

    // ---- methods -------------------------------------------------------------------------

    fn get_config(
        &mut self,
        dc: i32,
        _: [u8; 8],
        _: tl::functions::help::GetConfig,
        _: Option<i32>,
    ) -> Result<tl::enums::Config, (i32, String)> {
        Ok(build::config(dc, &self.dc_addrs, now() as i32))
    }

    fn get_users(
        &mut self,
        _: i32,
        _: [u8; 8],
        req: tl::functions::users::GetUsers,
        _: Option<i32>,
    ) -> Result<Vec<tl::enums::User>, (i32, String)> {
        Ok(req
            .id
            .iter()
            .filter(|u| matches!(u, tl::enums::InputUser::UserSelf))
            .map(|_| build::user(USER_ID, self.premium, PHONE))
            .collect())
    }

    fn check_title(title: &str) -> Result<(), (i32, String)> {
        if title.trim().is_empty() {
            return Err(err(400, "CHAT_TITLE_EMPTY"));
        }
        if utf16(title) > TITLE_MAX {
            return Err(err(400, "CHAT_TITLE_TOO_LONG"));
        }
        Ok(())
    }

    fn create_channel(
        &mut self,
        _: i32,
        _: [u8; 8],
        req: tl::functions::channels::CreateChannel,
        _: Option<i32>,
    ) -> Result<tl::enums::Updates, (i32, String)> {
        Self::check_title(&req.title)?;
        if utf16(&req.about) > ABOUT_MAX {
            return Err(err(400, "CHAT_ABOUT_TOO_LONG"));
        }
        if self.channels.len() >= 500 {
            return Err(err(400, "CHANNELS_TOO_MUCH"));
        }
        let id = 1_000_000_000 + self.next();
        let date = now() as i32;
        self.channels.insert(
            id,
            Chan {
                foreign: false,
                access_hash: id.wrapping_mul(0x5DEECE66D),
                title: req.title.clone(),
                about: req.about,
                date,
                username: None,
                photo: None,
                msgs: BTreeMap::new(),
                next_id: 1,
                pts: 1,
            },
        );
        let mid = self.add_service(
            id,
            tl::enums::MessageAction::ChannelCreate(tl::types::MessageActionChannelCreate {
                title: req.title,
            }),
        )?;
        let msg = self.render(id, mid);
        Ok(build::updates(
            vec![
                tl::enums::Update::Channel(tl::types::UpdateChannel { channel_id: id }),
                tl::enums::Update::NewChannelMessage(tl::types::UpdateNewChannelMessage {
                    message: msg,
                    pts: 1,
                    pts_count: 1,
                }),
            ],
            vec![self.chat(id)],
            date,
        ))
    }

    fn edit_title(
        &mut self,
        _: i32,
        _: [u8; 8],
        req: tl::functions::channels::EditTitle,
        _: Option<i32>,
    ) -> Result<tl::enums::Updates, (i32, String)> {
        let id = self.chan_by_input(&req.channel)?;
        Self::check_title(&req.title)?;
        let prev = self.channels[&id].title.clone();
        if prev == req.title {
            return Err(err(400, "CHAT_NOT_MODIFIED"));
        }
        self.channels.get_mut(&id).expect("exists").title = req.title.clone();
        let mid = self.add_service(
            id,
            tl::enums::MessageAction::ChatEditTitle(tl::types::MessageActionChatEditTitle {
                title: req.title.clone(),
            }),
        )?;
        self.log(
            id,
            tl::enums::ChannelAdminLogEventAction::ChangeTitle(
                tl::types::ChannelAdminLogEventActionChangeTitle {
                    prev_value: prev,
                    new_value: req.title,
                },
            ),
        );
        Ok(self.posted(id, mid))
    }

    fn edit_about(
        &mut self,
        _: i32,
        _: [u8; 8],
        req: tl::functions::messages::EditChatAbout,
        _: Option<i32>,
    ) -> Result<bool, (i32, String)> {
        let id = self.chan_by_peer(&req.peer)?;
        if utf16(&req.about) > ABOUT_MAX {
            return Err(err(400, "CHAT_ABOUT_TOO_LONG"));
        }
        let prev = self.channels[&id].about.clone();
        if prev == req.about {
            return Err(err(400, "CHAT_ABOUT_NOT_MODIFIED"));
        }
        self.channels.get_mut(&id).expect("exists").about = req.about.clone();
        self.log(
            id,
            tl::enums::ChannelAdminLogEventAction::ChangeAbout(
                tl::types::ChannelAdminLogEventActionChangeAbout {
                    prev_value: prev,
                    new_value: req.about,
                },
            ),
        );
        Ok(true)
    }

    fn edit_photo(
        &mut self,
        _: i32,
        _: [u8; 8],
        req: tl::functions::channels::EditPhoto,
        _: Option<i32>,
    ) -> Result<tl::enums::Updates, (i32, String)> {
        let id = self.chan_by_input(&req.channel)?;
        let tl::enums::InputChatPhoto::InputChatUploadedPhoto(p) = req.photo else {
            return Err(err(400, "PHOTO_INVALID"));
        };
        let Some(file) = p.file else {
            return Err(err(400, "PHOTO_INVALID"));
        };
        let bytes = self.assemble(&file)?;
        if bytes.is_empty() {
            return Err(err(400, "PHOTO_INVALID"));
        }
        let photo_id = self.next();
        self.channels.get_mut(&id).expect("exists").photo = Some((photo_id, bytes));
        let empty = || tl::enums::Photo::Empty(tl::types::PhotoEmpty { id: 0 });
        let mid = self.add_service(
            id,
            tl::enums::MessageAction::ChatEditPhoto(tl::types::MessageActionChatEditPhoto {
                photo: empty(),
            }),
        )?;
        self.log(
            id,
            tl::enums::ChannelAdminLogEventAction::ChangePhoto(
                tl::types::ChannelAdminLogEventActionChangePhoto {
                    prev_photo: empty(),
                    new_photo: empty(),
                },
            ),
        );
        Ok(self.posted(id, mid))
    }

    fn get_full_channel(
        &mut self,
        _: i32,
        _: [u8; 8],
        req: tl::functions::channels::GetFullChannel,
        _: Option<i32>,
    ) -> Result<tl::enums::messages::ChatFull, (i32, String)> {
        let id = self.chan_by_input(&req.channel)?;
        let c = &self.channels[&id];
        Ok(tl::enums::messages::ChatFull::Full(
            tl::types::messages::ChatFull {
                full_chat: build::channel_full(id, &c.about, c.pts),
                chats: vec![self.chat(id)],
                users: Vec::new(),
            },
        ))
    }

    fn get_channels(
        &mut self,
        _: i32,
        _: [u8; 8],
        req: tl::functions::channels::GetChannels,
        _: Option<i32>,
    ) -> Result<tl::enums::messages::Chats, (i32, String)> {
        let mut chats = Vec::new();
        for c in &req.id {
            // Access hash 0 resolves channels the account is in (the reference relies on it).
            let tl::enums::InputChannel::Channel(c) = c else {
                return Err(err(400, "CHANNEL_INVALID"));
            };
            match self.channels.get(&c.channel_id) {
                Some(ch) if c.access_hash == 0 || c.access_hash == ch.access_hash => {
                    chats.push(self.chat(c.channel_id))
                }
                _ => return Err(err(400, "CHANNEL_INVALID")),
            }
        }
        Ok(tl::enums::messages::Chats::Chats(
            tl::types::messages::Chats { chats },
        ))
    }

    fn delete_channel(
        &mut self,
        _: i32,
        _: [u8; 8],
        req: tl::functions::channels::DeleteChannel,
        _: Option<i32>,
    ) -> Result<tl::enums::Updates, (i32, String)> {
        let id = self.chan_by_input(&req.channel)?;
        if let Some(c) = self.channels.remove(&id) {
            for m in c.msgs.values() {
                if let Some(d) = m.doc {
                    self.docs.remove(&d);
                }
            }
        }
        self.log.retain(|_, e| e.0 != id);
        Ok(build::updates(Vec::new(), Vec::new(), now() as i32))
    }

    fn update_username(
        &mut self,
        _: i32,
        _: [u8; 8],
        req: tl::functions::channels::UpdateUsername,
        _: Option<i32>,
    ) -> Result<bool, (i32, String)> {
        let id = self.chan_by_input(&req.channel)?;
        if self.channels[&id].foreign {
            return Err(err(400, "CHAT_ADMIN_REQUIRED"));
        }
        let u = &req.username;
        let valid = (5..=32).contains(&u.len())
            && u.starts_with(|c: char| c.is_ascii_alphabetic())
            && u.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !u.is_empty() && !valid {
            return Err(err(400, "USERNAME_INVALID"));
        }
        if self.channels[&id].username.as_deref() == Some(u.as_str()) {
            return Err(err(400, "USERNAME_NOT_MODIFIED"));
        }
        let taken = self.channels.iter().any(|(cid, c)| {
            *cid != id
                && c.username
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(u))
        });
        if taken {
            return Err(err(400, "USERNAME_OCCUPIED"));
        }
        let public = self
            .channels
            .values()
            .filter(|c| !c.foreign && c.username.is_some())
            .count();
        if !u.is_empty() && public >= PUBLIC_LINKS_MAX {
            return Err(err(400, "CHANNELS_ADMIN_PUBLIC_TOO_MUCH"));
        }
        self.channels.get_mut(&id).expect("exists").username = (!u.is_empty()).then(|| u.clone());
        Ok(true)
    }

    fn send_message(
        &mut self,
        _: i32,
        _: [u8; 8],
        req: tl::functions::messages::SendMessage,
        _: Option<i32>,
    ) -> Result<tl::enums::Updates, (i32, String)> {
        let channel = self.chan_by_peer(&req.peer)?;
        if self.channels[&channel].foreign {
            return Err(err(403, "CHAT_ADMIN_REQUIRED"));
        }
        if req.message.trim().is_empty() {
            return Err(err(400, "MESSAGE_EMPTY"));
        }
        if utf16(&req.message) > MESSAGE_MAX {
            return Err(err(400, "MESSAGE_TOO_LONG"));
        }
        if self.random_ids.contains(&req.random_id) {
            return Err(err(400, "RANDOM_ID_DUPLICATE"));
        }
        self.random_ids.insert(req.random_id);
        let date = now() as i32;
        let id = self.add_message(
            channel,
            Msg {
                date,
                edit_date: None,
                text: req.message,
                doc: None,
                service: None,
            },
        )?;
        Ok(self.posted(channel, id))
    }

    fn resolve_username(
        &mut self,
        _: i32,
        _: [u8; 8],
        req: tl::functions::contacts::ResolveUsername,
        _: Option<i32>,
    ) -> Result<tl::enums::contacts::ResolvedPeer, (i32, String)> {
        let found = self
            .channels
            .iter()
            .find(|(_, c)| {
                c.username
                    .as_deref()
                    .is_some_and(|u| u.eq_ignore_ascii_case(&req.username))
            })
            .map(|(id, _)| *id)
            .ok_or_else(|| err(400, "USERNAME_NOT_OCCUPIED"))?;
        Ok(tl::enums::contacts::ResolvedPeer::Peer(
            tl::types::contacts::ResolvedPeer {
                peer: build::peer_channel(found),
                chats: vec![self.chat(found)],
                users: Vec::new(),
            },
        ))
    }

    fn check_part(part: i32, bytes: &[u8]) -> Result<(), (i32, String)> {
        if !(0..PARTS_MAX).contains(&part) {
            return Err(err(400, "FILE_PART_INVALID"));
        }
        if bytes.is_empty() {
            return Err(err(400, "FILE_PART_EMPTY"));
        }
        if bytes.len() > PART_MAX {
            return Err(err(400, "FILE_PART_TOO_BIG"));
        }
        Ok(())
    }

    fn save_file_part(
        &mut self,
        _: i32,
        _: [u8; 8],
        req: tl::functions::upload::SaveFilePart,
        _: Option<i32>,
    ) -> Result<bool, (i32, String)> {
        Self::check_part(req.file_part, &req.bytes)?;
        let up = self.uploads.entry(req.file_id).or_default();
        if up.big_total.is_some() {
            return Err(err(400, "FILE_PART_INVALID"));
        }
        up.parts.insert(req.file_part, req.bytes);
        Ok(true)
    }

    fn save_big_file_part(
        &mut self,
        _: i32,
        _: [u8; 8],
        req: tl::functions::upload::SaveBigFilePart,
        _: Option<i32>,
    ) -> Result<bool, (i32, String)> {
        Self::check_part(req.file_part, &req.bytes)?;
        if !(1..=PARTS_MAX).contains(&req.file_total_parts) || req.file_part >= req.file_total_parts
        {
            return Err(err(400, "FILE_PARTS_INVALID"));
        }
        let up = self.uploads.entry(req.file_id).or_default();
        match up.big_total {
            None if up.parts.is_empty() => up.big_total = Some(req.file_total_parts),
            Some(t) if t == req.file_total_parts => {}
            _ => return Err(err(400, "FILE_PARTS_INVALID")),
        }
        up.parts.insert(req.file_part, req.bytes);
        Ok(true)
    }

    fn send_media(
        &mut self,
        _: i32,
        _: [u8; 8],
        req: tl::functions::messages::SendMedia,
        _: Option<i32>,
    ) -> Result<tl::enums::Updates, (i32, String)> {
        let channel = self.chan_by_peer(&req.peer)?;
        if utf16(&req.message) > self.caption_max() {
            return Err(err(400, "MEDIA_CAPTION_TOO_LONG"));
        }
        if self.random_ids.contains(&req.random_id) {
            return Err(err(400, "RANDOM_ID_DUPLICATE"));
        }
        let doc = self.uploaded_document(&req.media)?;
        self.random_ids.insert(req.random_id);
        let date = now() as i32;
        let id = self.add_message(
            channel,
            Msg {
                date,
                edit_date: None,
                text: req.message,
                doc: Some(doc),
                service: None,
            },
        )?;
        let msg = self.render(channel, id);
        self.log(
            channel,
            tl::enums::ChannelAdminLogEventAction::SendMessage(
                tl::types::ChannelAdminLogEventActionSendMessage {
                    message: msg.clone(),
                },
            ),
        );
        Ok(build::updates(
            vec![
                tl::enums::Update::MessageId(tl::types::UpdateMessageId {
                    id,
                    random_id: req.random_id,
                }),
                tl::enums::Update::NewChannelMessage(tl::types::UpdateNewChannelMessage {
                    message: msg,
                    pts: self.channels[&channel].pts,
                    pts_count: 1,
                }),
            ],
            vec![self.chat(channel)],
            date,
        ))
    }

    fn edit_message(
        &mut self,
        _: i32,
        _: [u8; 8],
        req: tl::functions::messages::EditMessage,
        _: Option<i32>,
    ) -> Result<tl::enums::Updates, (i32, String)> {
        let channel = self.chan_by_peer(&req.peer)?;
        let exists = self.channels[&channel]
            .msgs
            .get(&req.id)
            .is_some_and(|m| m.service.is_none());
        if !exists {
            return Err(err(400, "MESSAGE_ID_INVALID"));
        }
        if let Some(t) = &req.message
            && utf16(t) > self.caption_max()
        {
            return Err(err(400, "MEDIA_CAPTION_TOO_LONG"));
        }
        let old = &self.channels[&channel].msgs[&req.id];
        let text_same = req.message.as_ref().is_none_or(|t| *t == old.text);
        if text_same && req.media.is_none() {
            return Err(err(400, "MESSAGE_NOT_MODIFIED"));
        }
        let prev = self.render(channel, req.id);
        let new_doc = match &req.media {
            Some(m) => Some(self.uploaded_document(m)?),
            None => None,
        };
        let m = self
            .channels
            .get_mut(&channel)
            .expect("exists")
            .msgs
            .get_mut(&req.id)
            .expect("exists");
        if let Some(t) = req.message {
            m.text = t;
        }
        let mut dropped = None;
        if let Some(d) = new_doc {
            dropped = m.doc.replace(d);
        }
        m.edit_date = Some(now() as i32);
        if let Some(d) = dropped {
            self.docs.remove(&d);
        }
        self.channels.get_mut(&channel).expect("exists").pts += 1;
        let msg = self.render(channel, req.id);
        self.log(
            channel,
            tl::enums::ChannelAdminLogEventAction::EditMessage(
                tl::types::ChannelAdminLogEventActionEditMessage {
                    prev_message: prev,
                    new_message: msg.clone(),
                },
            ),
        );
        Ok(build::updates(
            vec![tl::enums::Update::EditChannelMessage(
                tl::types::UpdateEditChannelMessage {
                    message: msg,
                    pts: self.channels[&channel].pts,
                    pts_count: 1,
                },
            )],
            vec![self.chat(channel)],
            now() as i32,
        ))
    }

    fn get_history(
        &mut self,
        _: i32,
        _: [u8; 8],
        req: tl::functions::messages::GetHistory,
        _: Option<i32>,
    ) -> Result<tl::enums::messages::Messages, (i32, String)> {
        let channel = self.chan_by_peer(&req.peer)?;
        let c = &self.channels[&channel];
        // Newest first; start at the first id below offset_id, shifted by add_offset.
        let ids: Vec<i32> = c.msgs.keys().rev().copied().collect();
        let p = if req.offset_id == 0 {
            0
        } else {
            ids.iter()
                .position(|&id| id < req.offset_id)
                .unwrap_or(ids.len())
        } as i64;
        let start = (p + i64::from(req.add_offset)).max(0) as usize;
        let limit = req.limit.clamp(0, 100) as usize;
        let page: Vec<i32> = ids
            .iter()
            .skip(start)
            .take(limit)
            .copied()
            .filter(|&id| (req.max_id == 0 || id < req.max_id) && id > req.min_id)
            .collect();
        let messages = page.iter().map(|&id| self.render(channel, id)).collect();
        Ok(tl::enums::messages::Messages::ChannelMessages(
            tl::types::messages::ChannelMessages {
                inexact: false,
                pts: c.pts,
                count: ids.len() as i32,
                offset_id_offset: None,
                messages,
                topics: Vec::new(),
                chats: vec![self.chat(channel)],
                users: Vec::new(),
            },
        ))
    }

    fn get_messages(
        &mut self,
        _: i32,
        _: [u8; 8],
        req: tl::functions::channels::GetMessages,
        _: Option<i32>,
    ) -> Result<tl::enums::messages::Messages, (i32, String)> {
        let channel = self.chan_by_input(&req.channel)?;
        if req.id.len() > 100 {
            return Err(err(400, "LIMIT_INVALID"));
        }
        let messages = req
            .id
            .iter()
            .map(|m| match m {
                tl::enums::InputMessage::Id(i)
                    if self.channels[&channel].msgs.contains_key(&i.id) =>
                {
                    self.render(channel, i.id)
                }
                tl::enums::InputMessage::Id(i) => {
                    tl::enums::Message::Empty(tl::types::MessageEmpty {
                        id: i.id,
                        peer_id: None,
                    })
                }
                _ => tl::enums::Message::Empty(tl::types::MessageEmpty {
                    id: 0,
                    peer_id: None,
                }),
            })
            .collect();
        Ok(tl::enums::messages::Messages::ChannelMessages(
            tl::types::messages::ChannelMessages {
                inexact: false,
                pts: self.channels[&channel].pts,
                count: 0,
                offset_id_offset: None,
                messages,
                topics: Vec::new(),
                chats: vec![self.chat(channel)],
                users: Vec::new(),
            },
        ))
    }

    fn delete_messages(
        &mut self,
        _: i32,
        _: [u8; 8],
        req: tl::functions::channels::DeleteMessages,
        _: Option<i32>,
    ) -> Result<tl::enums::messages::AffectedMessages, (i32, String)> {
        let channel = self.chan_by_input(&req.channel)?;
        if req.id.len() > 100 {
            return Err(err(400, "LIMIT_INVALID"));
        }
        let mut n = 0;
        for id in req.id {
            if !self.channels[&channel].msgs.contains_key(&id) {
                continue;
            }
            let rendered = self.render(channel, id);
            let c = self.channels.get_mut(&channel).expect("exists");
            let m = c.msgs.remove(&id).expect("checked");
            c.pts += 1;
            if let Some(d) = m.doc {
                self.docs.remove(&d);
            }
            n += 1;
            self.log(
                channel,
                tl::enums::ChannelAdminLogEventAction::DeleteMessage(
                    tl::types::ChannelAdminLogEventActionDeleteMessage { message: rendered },
                ),
            );
        }
        Ok(tl::enums::messages::AffectedMessages::Messages(
            tl::types::messages::AffectedMessages {
                pts: self.channels[&channel].pts,
                pts_count: n,
            },
        ))
    }

    fn get_admin_log(
        &mut self,
        _: i32,
        _: [u8; 8],
        req: tl::functions::channels::GetAdminLog,
        _: Option<i32>,
    ) -> Result<tl::enums::channels::AdminLogResults, (i32, String)> {
        use tl::enums::ChannelAdminLogEventAction as A;
        let channel = self.chan_by_input(&req.channel)?;
        let f = req
            .events_filter
            .map(|tl::enums::ChannelAdminLogEventsFilter::Filter(f)| f);
        let passes = |a: &A| match &f {
            None => true,
            Some(f) => match a {
                A::SendMessage(_) => f.send,
                A::EditMessage(_) => f.edit,
                A::DeleteMessage(_) => f.delete,
                A::ChangeTitle(_) | A::ChangeAbout(_) | A::ChangePhoto(_) => f.info,
                _ => false,
            },
        };
        let oldest = now() - ADMIN_LOG_WINDOW;
        let limit = req.limit.clamp(1, 100) as usize;
        let events = self
            .log
            .iter()
            .rev()
            .filter(|(id, (ch, date, a))| {
                *ch == channel
                    && i64::from(*date) >= oldest
                    && (req.max_id == 0 || **id < req.max_id)
                    && **id > req.min_id
                    && passes(a)
            })
            .take(limit)
            .map(|(id, (_, date, a))| {
                tl::enums::ChannelAdminLogEvent::Event(tl::types::ChannelAdminLogEvent {
                    id: *id,
                    date: *date,
                    user_id: USER_ID,
                    action: a.clone(),
                })
            })
            .collect();
        Ok(tl::enums::channels::AdminLogResults::Results(
            tl::types::channels::AdminLogResults {
                events,
                chats: vec![self.chat(channel)],
                users: vec![build::user(USER_ID, self.premium, PHONE)],
            },
        ))
    }

    fn get_file(
        &mut self,
        dc: i32,
        _: [u8; 8],
        req: tl::functions::upload::GetFile,
        files_on: Option<i32>,
    ) -> Result<tl::enums::upload::File, (i32, String)> {
        // https://core.telegram.org/method/upload.getFile: offset and limit multiples of
        // 4 KiB (1 KiB when precise), limit a divisor of 1 MiB, at most 1 MiB, and the
        // request may not cross a 1 MiB boundary.
        let (off, lim) = (req.offset, i64::from(req.limit));
        let unit = if req.precise { 1024 } else { 4096 };
        if lim <= 0
            || lim > MIB as i64
            || lim % unit != 0
            || (!req.precise && MIB as i64 % lim != 0)
        {
            return Err(err(400, "LIMIT_INVALID"));
        }
        if off < 0 || off % unit != 0 {
            return Err(err(400, "OFFSET_INVALID"));
        }
        if off / MIB as i64 != (off + lim - 1) / MIB as i64 {
            return Err(err(400, "LIMIT_INVALID"));
        }
        let bytes: std::sync::Arc<Vec<u8>> = match &req.location {
            tl::enums::InputFileLocation::InputDocumentFileLocation(l) => {
                if let Some(target) = files_on
                    && target != dc
                {
                    return Err((303, format!("FILE_MIGRATE_{target}")));
                }
                match self.docs.get(&l.id) {
                    Some(d)
                        if d.access_hash == l.access_hash
                            && d.file_reference == l.file_reference =>
                    {
                        d.bytes.clone()
                    }
                    Some(d) if d.access_hash == l.access_hash => {
                        return Err(err(400, "FILE_REFERENCE_EXPIRED"));
                    }
                    _ => return Err(err(400, "FILE_REFERENCE_EXPIRED")),
                }
            }
            tl::enums::InputFileLocation::InputPeerPhotoFileLocation(l) => {
                let id = self.chan_by_peer(&l.peer)?;
                match &self.channels[&id].photo {
                    Some((pid, b)) if *pid == l.photo_id => std::sync::Arc::new(b.clone()),
                    _ => return Err(err(400, "FILE_ID_INVALID")),
                }
            }
            _ => return Err(err(400, "LOCATION_INVALID")),
        };
        let start = (off as usize).min(bytes.len());
        let end = (start + lim as usize).min(bytes.len());
        Ok(tl::enums::upload::File::File(tl::types::upload::File {
            r#type: tl::enums::storage::FileType::FileUnknown,
            mtime: 0,
            bytes: bytes[start..end].to_vec(),
        }))
    }

    fn export_authorization(
        &mut self,
        _: i32,
        key: [u8; 8],
        req: tl::functions::auth::ExportAuthorization,
        _: Option<i32>,
    ) -> Result<tl::enums::auth::ExportedAuthorization, (i32, String)> {
        if !self.dc_addrs.contains_key(&req.dc_id) {
            return Err(err(400, "DC_ID_INVALID"));
        }
        let user = self
            .user_of(key)
            .ok_or_else(|| err(401, "AUTH_KEY_UNREGISTERED"))?;
        let id = self.next();
        let bytes = id.to_be_bytes().repeat(4);
        self.exported.insert(id, (bytes.clone(), user));
        Ok(tl::enums::auth::ExportedAuthorization::Authorization(
            tl::types::auth::ExportedAuthorization { id, bytes },
        ))
    }

    fn import_authorization(
        &mut self,
        _: i32,
        key: [u8; 8],
        req: tl::functions::auth::ImportAuthorization,
        _: Option<i32>,
    ) -> Result<tl::enums::auth::Authorization, (i32, String)> {
        let (bytes, user) = self
            .exported
            .remove(&req.id)
            .ok_or_else(|| err(400, "AUTH_BYTES_INVALID"))?;
        if bytes != req.bytes {
            return Err(err(400, "AUTH_BYTES_INVALID"));
        }
        if let Some(k) = self.keys.get_mut(&key) {
            k.user = Some(user);
        }
        Ok(self.authorization())
    }

    fn authorization(&self) -> tl::enums::auth::Authorization {
        tl::enums::auth::Authorization::Authorization(tl::types::auth::Authorization {
            setup_password_required: false,
            otherwise_relogin_days: None,
            tmp_sessions: None,
            future_auth_token: None,
            user: build::user(USER_ID, self.premium, PHONE),
        })
    }

    fn send_code(
        &mut self,
        _: i32,
        _: [u8; 8],
        req: tl::functions::auth::SendCode,
        _: Option<i32>,
    ) -> Result<tl::enums::auth::SentCode, (i32, String)> {
        if req.api_id <= 0 || req.api_hash.len() != 32 {
            return Err(err(400, "API_ID_INVALID"));
        }
        let digits: String = req
            .phone_number
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        if digits.len() < 7 || req.phone_number.chars().any(|c| c.is_alphabetic()) {
            return Err(err(400, "PHONE_NUMBER_INVALID"));
        }
        let hash = format!("{:016x}", self.next() * 104_729);
        self.codes.insert(hash.clone(), digits);
        Ok(tl::enums::auth::SentCode::Code(tl::types::auth::SentCode {
            r#type: tl::enums::auth::SentCodeType::App(tl::types::auth::SentCodeTypeApp {
                length: LOGIN_CODE.len() as i32,
            }),
            phone_code_hash: hash,
            next_type: None,
            timeout: None,
        }))
    }

    fn sign_in(
        &mut self,
        _: i32,
        key: [u8; 8],
        req: tl::functions::auth::SignIn,
        _: Option<i32>,
    ) -> Result<tl::enums::auth::Authorization, (i32, String)> {
        let digits: String = req
            .phone_number
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        match self.codes.get(&req.phone_code_hash) {
            Some(p) if *p == digits => {}
            _ => return Err(err(400, "PHONE_CODE_EXPIRED")),
        }
        if req.phone_code.as_deref() != Some(LOGIN_CODE) {
            return Err(err(400, "PHONE_CODE_INVALID"));
        }
        self.codes.remove(&req.phone_code_hash);
        let ours: String = PHONE.chars().filter(char::is_ascii_digit).collect();
        if digits != ours {
            return Ok(tl::enums::auth::Authorization::SignUpRequired(
                tl::types::auth::AuthorizationSignUpRequired {
                    terms_of_service: None,
                },
            ));
        }
        if self.password.is_some() {
            self.password_pending.insert(key);
            return Err(err(401, "SESSION_PASSWORD_NEEDED"));
        }
        if let Some(k) = self.keys.get_mut(&key) {
            k.user = Some(USER_ID);
        }
        Ok(self.authorization())
    }

    fn algo(&self) -> tl::enums::PasswordKdfAlgo {
        let (salt1, salt2) = match &self.password {
            Some((v, _)) => (v.salt1.clone(), v.salt2.clone()),
            None => (vec![1; 40], vec![2; 16]),
        };
        tl::enums::PasswordKdfAlgo::Sha256Sha256Pbkdf2Hmacsha512iter100000Sha256ModPow(
            tl::types::PasswordKdfAlgoSha256Sha256Pbkdf2Hmacsha512iter100000Sha256ModPow {
                salt1,
                salt2,
                g: super::srp::G,
                p: super::srp::p_bytes(),
            },
        )
    }

    fn get_password(
        &mut self,
        _: i32,
        _: [u8; 8],
        _: tl::functions::account::GetPassword,
        _: Option<i32>,
    ) -> Result<tl::enums::account::Password, (i32, String)> {
        let (current_algo, srp_b, srp_id, hint) = match self.password.clone() {
            Some((v, hint)) => {
                let id = self.next();
                let mut b = Vec::with_capacity(256);
                let mut seed = id.to_le_bytes().to_vec();
                while b.len() < 256 {
                    seed = <sha2::Sha256 as sha2::Digest>::digest(&seed).to_vec();
                    b.extend_from_slice(&seed);
                }
                b.truncate(256);
                let g_b = v.g_b(&b);
                self.srp.insert(id, (b, g_b.clone()));
                (Some(self.algo()), Some(g_b), Some(id), hint)
            }
            None => (None, None, None, None),
        };
        Ok(tl::enums::account::Password::Password(
            tl::types::account::Password {
                has_recovery: false,
                has_secure_values: false,
                has_password: current_algo.is_some(),
                current_algo,
                srp_b,
                srp_id,
                hint,
                email_unconfirmed_pattern: None,
                new_algo: self.algo(),
                new_secure_algo: tl::enums::SecurePasswordKdfAlgo::Unknown,
                secure_random: vec![7; 32],
                pending_reset_date: None,
                login_email_pattern: None,
            },
        ))
    }

    fn check_password(
        &mut self,
        _: i32,
        key: [u8; 8],
        req: tl::functions::auth::CheckPassword,
        _: Option<i32>,
    ) -> Result<tl::enums::auth::Authorization, (i32, String)> {
        let tl::enums::InputCheckPasswordSrp::Srp(srp) = req.password else {
            return Err(err(400, "PASSWORD_HASH_INVALID"));
        };
        let (b, g_b) = self
            .srp
            .remove(&srp.srp_id)
            .ok_or_else(|| err(400, "SRP_ID_INVALID"))?;
        let Some((v, _)) = &self.password else {
            return Err(err(400, "PASSWORD_HASH_INVALID"));
        };
        if !self.password_pending.contains(&key) {
            return Err(err(401, "AUTH_KEY_UNREGISTERED"));
        }
        if !v.check(&b, &srp.a, &g_b, &srp.m1) {
            return Err(err(400, "PASSWORD_HASH_INVALID"));
        }
        self.password_pending.remove(&key);
        if let Some(k) = self.keys.get_mut(&key) {
            k.user = Some(USER_ID);
        }
        Ok(self.authorization())
    }

    fn log_out(
        &mut self,
        _: i32,
        key: [u8; 8],
        _: tl::functions::auth::LogOut,
        _: Option<i32>,
    ) -> Result<tl::enums::auth::LoggedOut, (i32, String)> {
        self.revoke(key);
        Ok(tl::enums::auth::LoggedOut::Out(
            tl::types::auth::LoggedOut {
                future_auth_token: None,
            },
        ))
    }

    fn export_login_token(
        &mut self,
        _: i32,
        key: [u8; 8],
        req: tl::functions::auth::ExportLoginToken,
        _: Option<i32>,
    ) -> Result<tl::enums::auth::LoginToken, (i32, String)> {
        if req.api_id <= 0 || req.api_hash.len() != 32 {
            return Err(err(400, "API_ID_INVALID"));
        }
        if self.user_of(key).is_some() {
            return Ok(tl::enums::auth::LoginToken::Success(
                tl::types::auth::LoginTokenSuccess {
                    authorization: self.authorization(),
                },
            ));
        }
        let token = self.next().to_le_bytes().repeat(2);
        self.login_tokens.insert(token.clone(), key);
        Ok(tl::enums::auth::LoginToken::Token(
            tl::types::auth::LoginToken {
                expires: now() as i32 + 30,
                token,
            },
        ))
    }

    fn get_authorizations(
        &mut self,
        _: i32,
        key: [u8; 8],
        _: tl::functions::account::GetAuthorizations,
        _: Option<i32>,
    ) -> Result<tl::enums::account::Authorizations, (i32, String)> {
        let list = self
            .keys
            .iter()
            .filter(|(_, k)| k.user == Some(USER_ID) && k.dc == super::HOME_DC)
            .map(|(id, k)| {
                tl::enums::Authorization::Authorization(tl::types::Authorization {
                    current: *id == key,
                    official_app: false,
                    password_pending: false,
                    encrypted_requests_disabled: false,
                    call_requests_disabled: false,
                    unconfirmed: false,
                    hash: if *id == key {
                        0
                    } else {
                        i64::from_le_bytes(*id)
                    },
                    device_model: "test device".into(),
                    platform: "loopback".into(),
                    system_version: String::new(),
                    api_id: 1,
                    app_name: "test".into(),
                    app_version: "1".into(),
                    date_created: k.created,
                    date_active: now() as i32,
                    ip: "127.0.0.1".into(),
                    country: String::new(),
                    region: String::new(),
                })
            })
            .collect();
        Ok(tl::enums::account::Authorizations::Authorizations(
            tl::types::account::Authorizations {
                authorization_ttl_days: 180,
                authorizations: list,
            },
        ))
    }

    fn reset_authorization(
        &mut self,
        _: i32,
        _: [u8; 8],
        req: tl::functions::account::ResetAuthorization,
        _: Option<i32>,
    ) -> Result<bool, (i32, String)> {
        let id = req.hash.to_le_bytes();
        if !self.keys.contains_key(&id) || req.hash == 0 {
            return Err(err(400, "HASH_INVALID"));
        }
        self.revoke(id);
        Ok(true)
    }
}
