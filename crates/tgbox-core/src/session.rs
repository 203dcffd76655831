//! The Telethon `StringSession` text form of a Telegram session (spec/tgback-x.md §7): what a
//! LocalBox keeps, what tgback backs up, and what moves a session between this tool and
//! Telethon-based tools.
//!
//! `"1" + base64url(dc_id:u8 ‖ ip:4|16 bytes ‖ port:u16 BE ‖ auth_key:256 bytes)`. The IP
//! version is decided from the decoded length (263 bytes: IPv4, 275: IPv6); anything else is
//! refused, as is an all-zero auth key (Telethon's "no key").

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use zeroize::Zeroizing;

use crate::{Error, Result, b64};

/// Length of a Telegram auth key.
pub const AUTH_KEY_LEN: usize = 256;

/// A Telegram session: the data centre, its address, and the auth key (full account access).
pub struct StringSession {
    /// The data centre the auth key belongs to.
    pub dc_id: u8,
    /// That data centre's address as last used.
    pub ip: IpAddr,
    /// Its port.
    pub port: u16,
    auth_key: Zeroizing<[u8; AUTH_KEY_LEN]>,
}

impl std::fmt::Debug for StringSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StringSession")
            .field("dc_id", &self.dc_id)
            .field("ip", &self.ip)
            .field("port", &self.port)
            .field("auth_key", &"<redacted>")
            .finish()
    }
}

impl StringSession {
    /// A session from its parts.
    ///
    /// # Errors
    /// [`Error::Malformed`] for an all-zero auth key.
    pub fn new(dc_id: u8, ip: IpAddr, port: u16, auth_key: [u8; AUTH_KEY_LEN]) -> Result<Self> {
        let auth_key = Zeroizing::new(auth_key);
        if auth_key.iter().all(|&b| b == 0) {
            return Err(Error::malformed("session", "the auth key is empty"));
        }
        Ok(StringSession {
            dc_id,
            ip,
            port,
            auth_key,
        })
    }

    /// Parses the text form.
    ///
    /// # Errors
    /// [`Error::Malformed`] for another version, bad base64, a wrong length or an empty key.
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim();
        let body = text
            .strip_prefix('1')
            .ok_or_else(|| Error::malformed("session", "a StringSession starts with \"1\""))?;
        let raw = Zeroizing::new(b64::decode(body)?);
        let ip_len = match raw.len() {
            263 => 4,
            275 => 16,
            n => {
                return Err(Error::malformed(
                    "session",
                    format!("{n} bytes; a StringSession holds 263 (IPv4) or 275 (IPv6)"),
                ));
            }
        };
        let ip = if ip_len == 4 {
            let b: [u8; 4] = raw[1..5].try_into().expect("4 bytes");
            IpAddr::V4(Ipv4Addr::from(b))
        } else {
            let b: [u8; 16] = raw[1..17].try_into().expect("16 bytes");
            IpAddr::V6(Ipv6Addr::from(b))
        };
        let at = 1 + ip_len;
        let port = u16::from_be_bytes([raw[at], raw[at + 1]]);
        let mut key = [0u8; AUTH_KEY_LEN];
        key.copy_from_slice(&raw[at + 2..]);
        let out = StringSession::new(raw[0], ip, port, key);
        zeroize::Zeroize::zeroize(&mut key);
        out
    }

    /// The auth key.
    pub fn auth_key(&self) -> &[u8; AUTH_KEY_LEN] {
        &self.auth_key
    }

    /// The text form.
    pub fn encode(&self) -> Zeroizing<String> {
        let mut raw = Zeroizing::new(Vec::with_capacity(275));
        raw.push(self.dc_id);
        match self.ip {
            IpAddr::V4(a) => raw.extend_from_slice(&a.octets()),
            IpAddr::V6(a) => raw.extend_from_slice(&a.octets()),
        }
        raw.extend_from_slice(&self.port.to_be_bytes());
        raw.extend_from_slice(&self.auth_key[..]);
        let mut out = Zeroizing::new(String::with_capacity(369));
        out.push('1');
        out.push_str(&b64::encode(&raw));
        out
    }
}
