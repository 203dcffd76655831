//! The account session: what grammers needs to talk to Telegram as the user, kept by us.
//!
//! grammers' own SQLite storage cannot link beside the bundled SQLite of the LocalBox
//! (notes/grammers.md §1), so [`AccountSession`] implements grammers' `Session` trait over
//! plain memory and hands out a [`SessionSnapshot`] for the caller to persist (sealed in a
//! 0600 account file or a LocalBox). It converts to and from the Telethon `StringSession` that
//! the reference keeps in `BOX_DATA.SESSION` (spec/tgbox-boxes.md §2.7) and tgback backs up.

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};
use std::sync::{Mutex, MutexGuard};

use grammers_session::types::{
    ChannelState, DcOption, PeerId, PeerInfo, UpdateState, UpdatesState,
};
use grammers_session::{BoxFuture, Session, SessionData};
use tgbox_core::session::{AUTH_KEY_LEN, StringSession};
use zeroize::{Zeroize, Zeroizing};

use crate::error::{Error, Result};

/// The version byte of [`SessionSnapshot::encode`].
const SNAPSHOT_VERSION: u8 = 1;

/// The signed-in user as the session knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SelfUser {
    /// The user's id.
    pub id: i64,
    /// Whether the account has Telegram Premium (larger captions and documents).
    pub premium: bool,
}

struct State {
    home_dc: i32,
    dcs: HashMap<i32, DcOption>,
    peers: HashMap<PeerId, PeerInfo>,
    updates: UpdatesState,
    me: Option<SelfUser>,
    /// Bumped on every change that a snapshot would carry.
    generation: u64,
}

impl Drop for State {
    fn drop(&mut self) {
        for dc in self.dcs.values_mut() {
            if let Some(key) = dc.auth_key.as_mut() {
                key.zeroize();
            }
        }
    }
}

/// A Telegram session held in memory: home DC, DC addresses with their auth keys, the
/// signed-in user. Implements grammers' `Session`; persist it with [`Self::snapshot`].
pub struct AccountSession {
    state: Mutex<State>,
}

impl fmt::Debug for AccountSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.lock();
        f.debug_struct("AccountSession")
            .field("home_dc", &s.home_dc)
            .field("dcs", &s.dcs.len())
            .field("auth_keys", &"<redacted>")
            .finish()
    }
}

impl Default for AccountSession {
    fn default() -> Self {
        Self::new()
    }
}

impl AccountSession {
    /// A session with no auth key, knowing Telegram's production DCs (home DC 2).
    pub fn new() -> Self {
        let data = SessionData::default();
        AccountSession {
            state: Mutex::new(State {
                home_dc: data.home_dc,
                dcs: data.dc_options.clone(),
                peers: HashMap::new(),
                updates: UpdatesState::default(),
                me: None,
                generation: 0,
            }),
        }
    }

    /// A session whose DCs are exactly `dcs` (tests point them at a loopback server).
    pub fn with_dcs(home_dc: i32, dcs: impl IntoIterator<Item = DcOption>) -> Self {
        let s = AccountSession::new();
        {
            let mut st = s.lock();
            st.dcs = dcs.into_iter().map(|d| (d.id, d)).collect();
            st.home_dc = home_dc;
        }
        s
    }

    /// Imports a Telethon StringSession: its DC becomes home, with its address and auth key.
    pub fn from_string_session(ts: &StringSession) -> Self {
        let s = AccountSession::new();
        {
            let mut st = s.lock();
            let id = i32::from(ts.dc_id);
            let known = st.dcs.get(&id).cloned();
            let option = match ts.ip {
                IpAddr::V4(v4) => DcOption {
                    id,
                    ipv4: SocketAddrV4::new(v4, ts.port),
                    ipv6: SocketAddrV6::new(v4.to_ipv6_mapped(), ts.port, 0, 0),
                    auth_key: Some(*ts.auth_key()),
                },
                // grammers always needs an IPv4 address: take it from the known table
                // (notes/grammers.md §3.2), keep the IPv6 one from the session.
                IpAddr::V6(v6) => DcOption {
                    id,
                    ipv4: known
                        .map(|k| k.ipv4)
                        .unwrap_or_else(|| SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, ts.port)),
                    ipv6: SocketAddrV6::new(v6, ts.port, 0, 0),
                    auth_key: Some(*ts.auth_key()),
                },
            };
            st.dcs.insert(id, option);
            st.home_dc = id;
            st.generation += 1;
        }
        s
    }

    /// The home DC's auth key as a Telethon StringSession, or `None` without a key.
    ///
    /// # Errors
    /// [`Error::Session`] when the home DC is unknown.
    pub fn to_string_session(&self) -> Result<Option<StringSession>> {
        let st = self.lock();
        let dc = st
            .dcs
            .get(&st.home_dc)
            .ok_or_else(|| Error::Session(format!("home DC {} is unknown", st.home_dc)))?;
        let Some(key) = dc.auth_key.as_ref() else {
            return Ok(None);
        };
        let dc_id = u8::try_from(dc.id)
            .map_err(|_| Error::Session(format!("DC id {} does not fit a StringSession", dc.id)))?;
        let (ip, port) = if dc.ipv4.ip().is_unspecified() {
            (IpAddr::V6(*dc.ipv6.ip()), dc.ipv6.port())
        } else {
            (IpAddr::V4(*dc.ipv4.ip()), dc.ipv4.port())
        };
        StringSession::new(dc_id, ip, port, *key)
            .map(Some)
            .map_err(|e| Error::Session(e.to_string()))
    }

    /// The signed-in user, once known.
    pub fn me(&self) -> Option<SelfUser> {
        self.lock().me
    }

    /// Records the signed-in user.
    pub fn set_me(&self, me: Option<SelfUser>) {
        let mut st = self.lock();
        if st.me != me {
            st.me = me;
            st.generation += 1;
        }
    }

    /// Whether the home DC has an auth key.
    pub fn has_key(&self) -> bool {
        let st = self.lock();
        st.dcs
            .get(&st.home_dc)
            .is_some_and(|d| d.auth_key.is_some())
    }

    /// The home DC.
    pub fn home_dc(&self) -> i32 {
        self.lock().home_dc
    }

    /// Forgets every auth key and the user (after a log-out or a revoked key).
    pub fn wipe_keys(&self) {
        let mut st = self.lock();
        for dc in st.dcs.values_mut() {
            if let Some(k) = dc.auth_key.as_mut() {
                k.zeroize();
            }
            dc.auth_key = None;
        }
        st.me = None;
        st.generation += 1;
    }

    /// A counter that changes whenever [`Self::snapshot`] would change: save when it moved.
    pub fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// What to persist: home DC, every DC with its address and key, the signed-in user.
    pub fn snapshot(&self) -> SessionSnapshot {
        let st = self.lock();
        let mut out = Zeroizing::new(Vec::with_capacity(64 + st.dcs.len() * 300));
        out.push(SNAPSHOT_VERSION);
        out.extend_from_slice(&st.home_dc.to_le_bytes());
        match st.me {
            Some(me) => {
                out.push(1 | if me.premium { 2 } else { 0 });
                out.extend_from_slice(&me.id.to_le_bytes());
            }
            None => out.push(0),
        }
        let mut ids: Vec<_> = st.dcs.keys().copied().collect();
        ids.sort_unstable();
        out.extend_from_slice(&(ids.len() as u16).to_le_bytes());
        for id in ids {
            let dc = &st.dcs[&id];
            out.extend_from_slice(&dc.id.to_le_bytes());
            out.extend_from_slice(&dc.ipv4.ip().octets());
            out.extend_from_slice(&dc.ipv4.port().to_le_bytes());
            out.extend_from_slice(&dc.ipv6.ip().octets());
            out.extend_from_slice(&dc.ipv6.port().to_le_bytes());
            match &dc.auth_key {
                Some(k) => {
                    out.push(1);
                    out.extend_from_slice(k);
                }
                None => out.push(0),
            }
        }
        SessionSnapshot(out)
    }

    /// Restores a session from [`Self::snapshot`]'s bytes.
    ///
    /// # Errors
    /// [`Error::Session`] for bytes that are not a snapshot of this version.
    pub fn restore(snapshot: &SessionSnapshot) -> Result<Self> {
        let mut r = Reader(&snapshot.0);
        let bad = |what: &str| Error::Session(format!("stored session: {what}"));
        if r.take(1).ok_or_else(|| bad("empty"))?[0] != SNAPSHOT_VERSION {
            return Err(bad("unknown version"));
        }
        let home_dc = r.i32().ok_or_else(|| bad("truncated"))?;
        let flags = r.take(1).ok_or_else(|| bad("truncated"))?[0];
        let me = if flags & 1 == 1 {
            Some(SelfUser {
                id: r.i64().ok_or_else(|| bad("truncated"))?,
                premium: flags & 2 == 2,
            })
        } else {
            None
        };
        let n = r.u16().ok_or_else(|| bad("truncated"))?;
        let mut dcs = HashMap::new();
        for _ in 0..n {
            let id = r.i32().ok_or_else(|| bad("truncated"))?;
            let v4: [u8; 4] = r.array().ok_or_else(|| bad("truncated"))?;
            let p4 = r.u16().ok_or_else(|| bad("truncated"))?;
            let v6: [u8; 16] = r.array().ok_or_else(|| bad("truncated"))?;
            let p6 = r.u16().ok_or_else(|| bad("truncated"))?;
            let auth_key = match r.take(1).ok_or_else(|| bad("truncated"))?[0] {
                0 => None,
                1 => Some(r.array::<AUTH_KEY_LEN>().ok_or_else(|| bad("truncated"))?),
                _ => return Err(bad("bad key flag")),
            };
            dcs.insert(
                id,
                DcOption {
                    id,
                    ipv4: SocketAddrV4::new(Ipv4Addr::from(v4), p4),
                    ipv6: SocketAddrV6::new(Ipv6Addr::from(v6), p6, 0, 0),
                    auth_key,
                },
            );
        }
        if !r.0.is_empty() {
            return Err(bad("trailing bytes"));
        }
        if !dcs.contains_key(&home_dc) {
            return Err(bad("the home DC is not among the DCs"));
        }
        Ok(AccountSession {
            state: Mutex::new(State {
                home_dc,
                dcs,
                peers: HashMap::new(),
                updates: UpdatesState::default(),
                me,
                generation: 0,
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave the map half-updated (every change is
        // one insert or assignment), so a poisoned lock is still consistent.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The bytes of a session snapshot: secret (they hold auth keys), zeroized on drop.
pub struct SessionSnapshot(Zeroizing<Vec<u8>>);

impl SessionSnapshot {
    /// Wraps stored bytes.
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        SessionSnapshot(Zeroizing::new(bytes))
    }

    /// The bytes to seal and store.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SessionSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionSnapshot(<redacted>)")
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(a)
    }
    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N).map(|s| s.try_into().expect("N bytes"))
    }
    fn u16(&mut self) -> Option<u16> {
        self.array().map(u16::from_le_bytes)
    }
    fn i32(&mut self) -> Option<i32> {
        self.array().map(i32::from_le_bytes)
    }
    fn i64(&mut self) -> Option<i64> {
        self.array().map(i64::from_le_bytes)
    }
}

/// grammers' session error: ours never fails.
#[derive(Debug, thiserror::Error)]
#[error("session storage error")]
pub struct SessionStoreError;

impl Session for AccountSession {
    type Error = SessionStoreError;

    fn home_dc_id(&self) -> Result<i32, SessionStoreError> {
        Ok(self.lock().home_dc)
    }

    fn set_home_dc_id(&self, dc_id: i32) -> BoxFuture<'_, Result<(), SessionStoreError>> {
        Box::pin(async move {
            let mut st = self.lock();
            if st.home_dc != dc_id {
                st.home_dc = dc_id;
                st.generation += 1;
            }
            Ok(())
        })
    }

    fn dc_option(&self, dc_id: i32) -> Result<Option<DcOption>, SessionStoreError> {
        Ok(self.lock().dcs.get(&dc_id).cloned())
    }

    fn set_dc_option(&self, dc_option: &DcOption) -> BoxFuture<'_, Result<(), SessionStoreError>> {
        let dc_option = dc_option.clone();
        Box::pin(async move {
            let mut st = self.lock();
            if st.dcs.get(&dc_option.id) != Some(&dc_option) {
                st.dcs.insert(dc_option.id, dc_option);
                st.generation += 1;
            }
            Ok(())
        })
    }

    fn peer(&self, peer: PeerId) -> BoxFuture<'_, Result<Option<PeerInfo>, SessionStoreError>> {
        Box::pin(async move { Ok(self.lock().peers.get(&peer).cloned()) })
    }

    fn cache_peer(&self, peer: PeerInfo) -> BoxFuture<'_, Result<(), SessionStoreError>> {
        Box::pin(async move {
            self.lock()
                .peers
                .entry(peer.id())
                .or_insert_with(|| peer.clone())
                .extend_info(&peer);
            Ok(())
        })
    }

    fn updates_state(&self) -> BoxFuture<'_, Result<UpdatesState, SessionStoreError>> {
        Box::pin(async move { Ok(self.lock().updates.clone()) })
    }

    fn set_update_state(
        &self,
        update: UpdateState,
    ) -> BoxFuture<'_, Result<(), SessionStoreError>> {
        Box::pin(async move {
            let mut st = self.lock();
            match update {
                UpdateState::All(all) => st.updates = all,
                UpdateState::Primary { pts, date, seq } => {
                    st.updates.pts = pts;
                    st.updates.date = date;
                    st.updates.seq = seq;
                }
                UpdateState::Secondary { qts } => st.updates.qts = qts,
                UpdateState::Channel { id, pts } => {
                    st.updates.channels.retain(|c| c.id != id);
                    st.updates.channels.push(ChannelState { id, pts });
                }
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> [u8; AUTH_KEY_LEN] {
        let mut k = [0u8; AUTH_KEY_LEN];
        for (i, b) in k.iter_mut().enumerate() {
            *b = (i as u8).wrapping_mul(31).wrapping_add(seed);
        }
        k
    }

    #[test]
    fn telethon_string_session_round_trips_byte_for_byte() {
        let ts = StringSession::new(4, "149.154.167.91".parse().unwrap(), 443, key(7)).unwrap();
        let text = ts.encode();
        let s = AccountSession::from_string_session(&StringSession::parse(&text).unwrap());
        assert_eq!(s.home_dc(), 4);
        assert!(s.has_key());
        let back = s.to_string_session().unwrap().unwrap();
        assert_eq!(*back.encode(), *text);
    }

    #[test]
    fn ipv6_sessions_keep_their_address_and_get_a_known_ipv4() {
        let ts =
            StringSession::new(2, "2001:67c:4e8:f002::a".parse().unwrap(), 443, key(1)).unwrap();
        let s = AccountSession::from_string_session(&ts);
        let dc = s.dc_option(2).unwrap().unwrap();
        assert!(
            !dc.ipv4.ip().is_unspecified(),
            "DC 2 has a known IPv4 address"
        );
        assert_eq!(dc.ipv6.ip().to_string(), "2001:67c:4e8:f002::a");
        assert_eq!(dc.auth_key, Some(key(1)));
    }

    #[test]
    fn snapshots_restore_everything_and_refuse_garbage() {
        let ts = StringSession::new(2, "127.0.0.1".parse().unwrap(), 4000, key(3)).unwrap();
        let s = AccountSession::from_string_session(&ts);
        s.set_me(Some(SelfUser {
            id: 42,
            premium: true,
        }));
        let snap = s.snapshot();
        let r = AccountSession::restore(&snap).unwrap();
        assert_eq!(r.me(), s.me());
        assert_eq!(r.home_dc(), 2);
        assert_eq!(r.dc_option(2).unwrap(), s.dc_option(2).unwrap());
        assert_eq!(r.snapshot().as_bytes(), snap.as_bytes());
        for cut in [0, 1, 5, snap.as_bytes().len() - 1] {
            let bytes = SessionSnapshot::from_bytes(snap.as_bytes()[..cut].to_vec());
            assert!(AccountSession::restore(&bytes).is_err(), "cut at {cut}");
        }
        let mut long = snap.as_bytes().to_vec();
        long.push(0);
        assert!(AccountSession::restore(&SessionSnapshot::from_bytes(long)).is_err());
    }

    #[test]
    fn wiping_forgets_keys_and_user_and_debug_shows_no_key() {
        let s = AccountSession::from_string_session(
            &StringSession::new(2, "127.0.0.1".parse().unwrap(), 1, key(9)).unwrap(),
        );
        let shown = format!("{s:?}");
        assert!(shown.contains("redacted"));
        let before = s.generation();
        s.wipe_keys();
        assert!(!s.has_key());
        assert!(s.to_string_session().unwrap().is_none());
        assert!(s.generation() > before);
    }
}
