//! A Telegram server on loopback for tests: MTProto 2.0 over TCP to an unmodified grammers
//! client holding a pre-seeded auth key (grammers then skips the RSA handshake), with the TL
//! methods the backend uses kept in memory under Telegram's documented rules, and faults on
//! demand. Test support only: a dev-dependency, never part of a binary. See README.md.
//!
//! ```no_run
//! # async fn demo() {
//! let server = tgbox_testserver::TestServer::start().await;
//! let session = server.session(); // signed in as the test account, pointing at the server
//! server.inject("upload.getFile", tgbox_testserver::Fault::FloodWait(1));
//! # }
//! ```

mod build;
mod srp;
mod wire;
mod world;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use grammers_session::types::DcOption;
use grammers_tl_types as tl;
use tgbox_telegram::AccountSession;
use tl::{Deserializable, Identifiable, Serializable};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use wire::{AuthKey, Tl};
pub use world::{KeyInfo, World};

/// The home DC of the test account.
pub const HOME_DC: i32 = 2;
/// The DC that "migrated" files live on.
pub const FILE_DC: i32 = 4;
/// The test account's user id.
pub const USER_ID: i64 = 777_000_001;
/// The test account's phone number.
pub const PHONE: &str = "+99966 2 1234";
/// The login code the server accepts.
pub const LOGIN_CODE: &str = "12345";

const MSG_CONTAINER: u32 = 0x73f1_f8dc;
const GZIP_PACKED: u32 = 0x3072_cfa1;
const RPC_RESULT: u32 = 0xf35c_6d01;
const MSGS_ACK: u32 = 0x62d6_b459;
const INVOKE_WITH_LAYER: u32 = 0xda9b_0d0d;
const INIT_CONNECTION: u32 = 0xc1cd_5ea9;

/// What the next requests of a method meet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// `FLOOD_WAIT_X` (420) instead of an answer.
    FloodWait(u32),
    /// `FLOOD_PREMIUM_WAIT_X` (420).
    FloodPremiumWait(u32),
    /// The connection is closed before the request is carried out.
    DropBefore,
    /// The request is carried out, then the connection is closed before the answer.
    DropAfter,
    /// No answer, ever (the connection stays open).
    Hang,
    /// Any RPC error, e.g. (500, "INTERNAL").
    Error(i32, String),
}

/// Faults and counters, shared by every connection.
#[derive(Default)]
pub struct Control {
    faults: HashMap<String, VecDeque<Fault>>,
    /// Requests seen per TL method name.
    pub calls: HashMap<String, usize>,
    /// TCP connections accepted per DC.
    pub connections: HashMap<i32, usize>,
    /// Messages answered with bad_server_salt.
    pub bad_salts: usize,
    /// Requests that came gzip-packed.
    pub gzipped: usize,
    /// When set, every `upload.getFile` on the home DC answers `FILE_MIGRATE_X`.
    pub files_on_dc: Option<i32>,
}

/// The server's state: the Telegram world and the fault controls.
pub struct Shared {
    world: Mutex<World>,
    control: Mutex<Control>,
}

impl Shared {
    /// The Telegram world (locked).
    pub fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|p| p.into_inner())
    }
    /// Faults and counters (locked).
    pub fn control(&self) -> MutexGuard<'_, Control> {
        self.control.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A running test server with two DCs and the public web preview (`/s/<username>`).
pub struct TestServer {
    /// The state, for assertions and faults.
    pub shared: Arc<Shared>,
    addrs: HashMap<i32, SocketAddr>,
    preview: SocketAddr,
    tasks: Vec<JoinHandle<()>>,
    user_key: [u8; 256],
    file_dc_key: [u8; 256],
}

impl Drop for TestServer {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

fn test_key(seed: u8) -> [u8; 256] {
    let mut k = [0u8; 256];
    let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ u64::from(seed);
    for b in k.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
    k
}

impl TestServer {
    /// Starts DC 2 (home) and DC 4 (files) on loopback. DC 2 knows a key signed in as the
    /// test account; DC 4 knows a key bound to nobody until the authorization is imported.
    pub async fn start() -> TestServer {
        let user_key = test_key(1);
        let file_dc_key = test_key(2);
        let mut world = World::new();
        world.add_key(AuthKey::new(user_key), HOME_DC, Some(USER_ID));
        world.add_key(AuthKey::new(file_dc_key), FILE_DC, None);
        let shared = Arc::new(Shared {
            world: Mutex::new(world),
            control: Mutex::new(Control::default()),
        });
        let mut addrs = HashMap::new();
        let mut tasks = Vec::new();
        for dc in [HOME_DC, FILE_DC] {
            let listener = TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind loopback");
            addrs.insert(dc, listener.local_addr().expect("address"));
            let shared = shared.clone();
            tasks.push(tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    *shared.control().connections.entry(dc).or_default() += 1;
                    tokio::spawn(serve(stream, dc, shared.clone()));
                }
            }));
        }
        shared.world().dc_addrs = addrs.clone();
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let preview = listener.local_addr().expect("address");
        let web = shared.clone();
        tasks.push(tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve_preview(stream, web.clone()));
            }
        }));
        TestServer {
            shared,
            addrs,
            preview,
            tasks,
            user_key,
            file_dc_key,
        }
    }

    /// The base URL of the public web preview (what `https://t.me` is to Telegram): public
    /// channels are at `/s/<username>`.
    pub fn preview_url(&self) -> String {
        format!("http://{}", self.preview)
    }

    /// A session signed in as the test account, pointing at this server.
    pub fn session(&self) -> AccountSession {
        self.session_with(Some(self.user_key))
    }

    /// A session with a key the server knows but that is not signed in (for login tests).
    pub fn fresh_session(&self) -> AccountSession {
        self.session_with(Some(self.fresh_key()))
    }

    fn fresh_key(&self) -> [u8; 256] {
        let key = test_key(9 + self.shared.world().keys.len() as u8);
        self.shared
            .world()
            .add_key(AuthKey::new(key), HOME_DC, None);
        key
    }

    /// The signed-in session as a Telethon StringSession pointing at this server's home DC
    /// (what a tgbox-cli LocalBox or a tgback backup carries).
    pub fn string_session(&self) -> String {
        self.telethon(self.user_key)
    }

    /// A StringSession whose key the server knows but that is not signed in.
    pub fn fresh_string_session(&self) -> String {
        let key = self.fresh_key();
        self.telethon(key)
    }

    fn telethon(&self, key: [u8; 256]) -> String {
        let a = self.addrs[&HOME_DC];
        let s = tgbox_core::session::StringSession::new(HOME_DC as u8, a.ip(), a.port(), key)
            .expect("a non-zero test key");
        s.encode().to_string()
    }

    fn session_with(&self, home_key: Option<[u8; 256]>) -> AccountSession {
        let dc = |id: i32, key: Option<[u8; 256]>| {
            let a = self.addrs[&id];
            let SocketAddr::V4(v4) = a else {
                unreachable!("bound to 127.0.0.1")
            };
            DcOption {
                id,
                ipv4: v4,
                ipv6: std::net::SocketAddrV6::new(v4.ip().to_ipv6_mapped(), v4.port(), 0, 0),
                auth_key: key,
            }
        };
        AccountSession::with_dcs(
            HOME_DC,
            [dc(HOME_DC, home_key), dc(FILE_DC, Some(self.file_dc_key))],
        )
    }

    /// Queues `fault` for the next request of `method` (a TL name like `upload.getFile`).
    pub fn inject(&self, method: &str, fault: Fault) {
        self.shared
            .control()
            .faults
            .entry(method.to_owned())
            .or_default()
            .push_back(fault);
    }

    /// How many requests of `method` arrived.
    pub fn calls(&self, method: &str) -> usize {
        self.shared
            .control()
            .calls
            .get(method)
            .copied()
            .unwrap_or(0)
    }

    /// How many connections DC `dc` accepted.
    pub fn connections(&self, dc: i32) -> usize {
        self.shared
            .control()
            .connections
            .get(&dc)
            .copied()
            .unwrap_or(0)
    }

    /// Revokes the test account's key (as "terminate session" in an app would).
    pub fn revoke_user_key(&self) {
        let id = AuthKey::new(self.user_key).id;
        self.shared.world().revoke(id);
    }
}

/// Answers `GET /s/<username>` with the channel's posts in t.me's preview markup (one
/// `tgme_widget_message_text` block per post, oldest first), 404 for anything else.
async fn serve_preview(mut stream: TcpStream, shared: Arc<Shared>) {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&head);
    let path = text.split_whitespace().nth(1).unwrap_or("/");
    let name = path.strip_prefix("/s/").map(|n| n.trim_end_matches('/'));
    let page = name.and_then(|n| {
        let world = shared.world();
        world.header_of(n)?;
        let posts: String = world
            .texts_of(n)
            .iter()
            .map(|t| {
                let escaped = t
                    .replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;")
                    .replace('\n', "<br/>");
                format!(
                    "<div class=\"tgme_widget_message_text js-message_text\" dir=\"auto\">{escaped}</div>\n"
                )
            })
            .collect();
        Some(format!("<!DOCTYPE html><html><body>{posts}</body></html>"))
    });
    let (status, body) = match page {
        Some(p) => ("200 OK", p),
        None => ("404 Not Found", String::new()),
    };
    let reply = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(reply.as_bytes()).await;
    let _ = stream.shutdown().await;
}

enum Out {
    Packet(Vec<u8>),
    Close,
}

struct Conn {
    dc: i32,
    key: Option<AuthKey>,
    salt: i64,
    session_id: Option<i64>,
    last_msg_id: i64,
    seq: i32,
    tx: mpsc::UnboundedSender<Out>,
    shared: Arc<Shared>,
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

async fn serve(stream: TcpStream, dc: i32, shared: Arc<Shared>) {
    let (mut rd, mut wr) = stream.into_split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Out>();
    let writer = tokio::spawn(async move {
        let mut seq = 0u32;
        while let Some(out) = rx.recv().await {
            match out {
                Out::Packet(p) => {
                    if wr.write_all(&wire::frame(seq, &p)).await.is_err() {
                        break;
                    }
                    seq += 1;
                }
                Out::Close => break,
            }
        }
        let _ = wr.shutdown().await;
    });
    let mut conn = Conn {
        dc,
        key: None,
        salt: 0x5A17_5A17_0000_0000 | i64::from(dc),
        session_id: None,
        last_msg_id: 0,
        seq: 0,
        tx: tx.clone(),
        shared,
    };
    let mut expect_seq = 0u32;
    loop {
        let mut head = [0u8; 8];
        if rd.read_exact(&mut head).await.is_err() {
            break;
        }
        let len = u32::from_le_bytes(head[..4].try_into().unwrap()) as usize;
        let seq = u32::from_le_bytes(head[4..].try_into().unwrap());
        if !(12..=4 << 20).contains(&len) || seq != expect_seq {
            break;
        }
        expect_seq += 1;
        let mut rest = vec![0u8; len - 8];
        if rd.read_exact(&mut rest).await.is_err() {
            break;
        }
        let (payload, crc) = rest.split_at(len - 12);
        let mut whole = head.to_vec();
        whole.extend_from_slice(payload);
        if crc32fast::hash(&whole).to_le_bytes() != crc {
            break;
        }
        if !conn.packet(payload) {
            break;
        }
    }
    let _ = tx.send(Out::Close);
    let _ = writer.await;
}

impl Conn {
    /// Handles one packet; `false` closes the connection.
    fn packet(&mut self, payload: &[u8]) -> bool {
        if payload.len() < 8 {
            return false;
        }
        if self.key.is_none() {
            let id: [u8; 8] = payload[..8].try_into().unwrap();
            match self.shared.world().key(id) {
                Some(k) => self.key = Some(k),
                // Unknown key: Telegram answers the transport error -404.
                None => {
                    let _ = self.tx.send(Out::Packet((-404i32).to_le_bytes().to_vec()));
                    return false;
                }
            }
        }
        let key = self.key.clone().expect("set above");
        let Some(plain) = wire::decrypt_from_client(&key, payload) else {
            return false;
        };
        let mut r = Tl::new(&plain);
        let (Some(salt), Some(session_id), Some(msg_id), Some(seqno), Some(len)) =
            (r.i64(), r.i64(), r.i64(), r.i32(), r.u32())
        else {
            return false;
        };
        let Some(body) = r.take(len as usize) else {
            return false;
        };
        if self.session_id.is_some_and(|s| s != session_id) {
            return false;
        }
        self.session_id = Some(session_id);
        if salt != self.salt {
            self.shared.control().bad_salts += 1;
            let bad = tl::enums::BadMsgNotification::BadServerSalt(tl::types::BadServerSalt {
                bad_msg_id: msg_id,
                bad_msg_seqno: seqno,
                error_code: 48,
                new_server_salt: self.salt,
            });
            self.send(bad.to_bytes(), false);
            return true;
        }
        if self.last_msg_id == 0 {
            let created = tl::enums::NewSession::Created(tl::types::NewSessionCreated {
                first_msg_id: msg_id,
                unique_id: msg_id ^ 0x55,
                server_salt: self.salt,
            });
            self.send(created.to_bytes(), false);
        }
        self.message(msg_id, body.to_vec())
    }

    fn message(&mut self, msg_id: i64, body: Vec<u8>) -> bool {
        let mut r = Tl::new(&body);
        match r.u32() {
            Some(MSG_CONTAINER) => {
                let n = r.u32().unwrap_or(0);
                for _ in 0..n {
                    let (Some(id), Some(_seq), Some(len)) = (r.i64(), r.i32(), r.u32()) else {
                        return false;
                    };
                    let Some(inner) = r.take(len as usize) else {
                        return false;
                    };
                    if !self.message(id, inner.to_vec()) {
                        return false;
                    }
                }
                true
            }
            Some(GZIP_PACKED) => {
                let Some(packed) = r.bytes() else {
                    return false;
                };
                let mut inner = Vec::new();
                if std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(packed), &mut inner)
                    .is_err()
                {
                    return false;
                }
                self.shared.control().gzipped += 1;
                self.message(msg_id, inner)
            }
            Some(MSGS_ACK) => true,
            Some(c)
                if c == tl::functions::PingDelayDisconnect::CONSTRUCTOR_ID
                    || c == tl::functions::Ping::CONSTRUCTOR_ID =>
            {
                let ping_id = r.i64().unwrap_or(0);
                let pong = tl::enums::Pong::Pong(tl::types::Pong { msg_id, ping_id });
                self.send(pong.to_bytes(), false);
                true
            }
            Some(c) if c == tl::functions::GetFutureSalts::CONSTRUCTOR_ID => {
                let t = now() as i32;
                let salts = tl::enums::FutureSalts::Salts(tl::types::FutureSalts {
                    req_msg_id: msg_id,
                    now: t,
                    salts: tl::RawVec(
                        (0..2)
                            .map(|i| tl::types::FutureSalt {
                                valid_since: t - 10 + i * 3600,
                                valid_until: t + 3600 + i * 3600,
                                salt: self.salt,
                            })
                            .collect(),
                    ),
                });
                self.send(salts.to_bytes(), false);
                true
            }
            Some(_) => self.rpc(msg_id, &body),
            None => false,
        }
    }

    /// Unwraps `invokeWithLayer(initConnection(query))` and answers the query.
    fn rpc(&mut self, msg_id: i64, body: &[u8]) -> bool {
        let mut query = body;
        loop {
            let mut r = Tl::new(query);
            match r.u32() {
                Some(INVOKE_WITH_LAYER) => {
                    let _layer = r.i32();
                    query = r.rest();
                }
                Some(INIT_CONNECTION) => {
                    let flags = r.u32().unwrap_or(0);
                    let _api_id = r.i32();
                    for _ in 0..6 {
                        if r.bytes().is_none() {
                            return false;
                        }
                    }
                    if flags & 3 != 0 {
                        // proxy/params are never sent by grammers.
                        return false;
                    }
                    query = r.rest();
                }
                _ => break,
            }
        }
        let ctor = Tl::new(query).u32().unwrap_or(0);
        let method = tl::name_for_id(ctor).to_owned();
        let fault = {
            let mut c = self.shared.control();
            *c.calls.entry(method.clone()).or_default() += 1;
            c.faults.get_mut(&method).and_then(|q| q.pop_front())
        };
        let key_id = self.key.as_ref().map(|k| k.id).unwrap_or_default();
        let answer = match fault {
            Some(Fault::Hang) => return true,
            Some(Fault::DropBefore) => {
                let _ = self.tx.send(Out::Close);
                return false;
            }
            Some(Fault::FloodWait(s)) => Err((420, format!("FLOOD_WAIT_{s}"))),
            Some(Fault::FloodPremiumWait(s)) => Err((420, format!("FLOOD_PREMIUM_WAIT_{s}"))),
            Some(Fault::Error(code, name)) => Err((code, name)),
            Some(Fault::DropAfter) | None => {
                let files_on = self.shared.control().files_on_dc;
                let answer = self
                    .shared
                    .world()
                    .call(self.dc, key_id, &method, ctor, query, files_on);
                if fault == Some(Fault::DropAfter) {
                    let _ = self.tx.send(Out::Close);
                    return false;
                }
                answer
            }
        };
        let mut out = RPC_RESULT.to_le_bytes().to_vec();
        out.extend_from_slice(&msg_id.to_le_bytes());
        match answer {
            Ok(bytes) => out.extend_from_slice(&bytes),
            Err((code, name)) => out.extend_from_slice(
                &tl::enums::RpcError::Error(tl::types::RpcError {
                    error_code: code,
                    error_message: name,
                })
                .to_bytes(),
            ),
        }
        self.send(out, true);
        true
    }

    fn send(&mut self, body: Vec<u8>, content_related: bool) {
        let Some(key) = self.key.clone() else { return };
        let mut id = (now() << 32) | 1;
        if id <= self.last_msg_id {
            id = self.last_msg_id + 4;
        }
        self.last_msg_id = id;
        let seqno = if content_related {
            self.seq += 1;
            self.seq * 2 - 1
        } else {
            self.seq * 2
        };
        let mut plain = Vec::with_capacity(32 + body.len());
        plain.extend_from_slice(&self.salt.to_le_bytes());
        plain.extend_from_slice(&self.session_id.unwrap_or(0).to_le_bytes());
        plain.extend_from_slice(&id.to_le_bytes());
        plain.extend_from_slice(&seqno.to_le_bytes());
        plain.extend_from_slice(&(body.len() as u32).to_le_bytes());
        plain.extend_from_slice(&body);
        let _ = self
            .tx
            .send(Out::Packet(wire::encrypt_to_client(&key, plain)));
    }
}

/// Parses a request of type `R` (generated function deserializers start after the
/// constructor id), or answers `INPUT_REQUEST_INVALID`.
pub fn parse<R: Deserializable>(body: &[u8]) -> Result<R, (i32, String)> {
    R::from_bytes(body.get(4..).unwrap_or_default()).map_err(|e| {
        eprintln!(
            "test server: cannot parse {}: {e:?}",
            std::any::type_name::<R>()
        );
        (400, "INPUT_REQUEST_INVALID".to_owned())
    })
}
