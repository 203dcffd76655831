//! The MTProto 2.0 transport of the test server: Full framing and server-side message
//! encryption (https://core.telegram.org/mtproto/description).
//!
//! Full transport: `len:u32 LE | seq:u32 LE | payload | crc32:u32 LE`, `len` counting all of
//! it. Encrypted payload: `auth_key_id:8 | msg_key:16 | AES-256-IGE(plaintext)`; the client
//! encrypts with x = 0, the server with x = 8.

use grammers_crypto::aes::{ige_decrypt, ige_encrypt};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// A Telegram auth key with its id.
#[derive(Clone)]
pub struct AuthKey {
    /// The 256 key bytes.
    pub data: [u8; 256],
    /// SHA1(key)[12..20].
    pub id: [u8; 8],
}

impl AuthKey {
    /// A key and its id.
    pub fn new(data: [u8; 256]) -> Self {
        let sha = Sha1::digest(data);
        let mut id = [0u8; 8];
        id.copy_from_slice(&sha[12..20]);
        AuthKey { data, id }
    }
}

fn key_iv(key: &AuthKey, msg_key: &[u8; 16], x: usize) -> ([u8; 32], [u8; 32]) {
    let a = Sha256::new()
        .chain_update(msg_key)
        .chain_update(&key.data[x..x + 36])
        .finalize();
    let b = Sha256::new()
        .chain_update(&key.data[40 + x..76 + x])
        .chain_update(msg_key)
        .finalize();
    let mut aes_key = [0u8; 32];
    aes_key[..8].copy_from_slice(&a[..8]);
    aes_key[8..24].copy_from_slice(&b[8..24]);
    aes_key[24..].copy_from_slice(&a[24..32]);
    let mut aes_iv = [0u8; 32];
    aes_iv[..8].copy_from_slice(&b[..8]);
    aes_iv[8..24].copy_from_slice(&a[8..24]);
    aes_iv[24..].copy_from_slice(&b[24..32]);
    (aes_key, aes_iv)
}

/// Decrypts a client message (x = 0) and checks its msg_key.
pub fn decrypt_from_client(key: &AuthKey, payload: &[u8]) -> Option<Vec<u8>> {
    if payload.len() < 24 + 16 || !(payload.len() - 24).is_multiple_of(16) || payload[..8] != key.id
    {
        return None;
    }
    let msg_key: [u8; 16] = payload[8..24].try_into().ok()?;
    let (k, iv) = key_iv(key, &msg_key, 0);
    let mut plain = payload[24..].to_vec();
    ige_decrypt(&mut plain, &k, &iv);
    let check = Sha256::new()
        .chain_update(&key.data[88..120])
        .chain_update(&plain)
        .finalize();
    (check[8..24] == msg_key).then_some(plain)
}

/// Encrypts a server message (x = 8) with 12 to 1024 bytes of padding.
pub fn encrypt_to_client(key: &AuthKey, mut plain: Vec<u8>) -> Vec<u8> {
    let pad = 16 + (16 - plain.len() % 16);
    plain.extend(std::iter::repeat_n(0xA5u8, pad));
    let large = Sha256::new()
        .chain_update(&key.data[96..128])
        .chain_update(&plain)
        .finalize();
    let msg_key: [u8; 16] = large[8..24].try_into().expect("16 bytes");
    let (k, iv) = key_iv(key, &msg_key, 8);
    ige_encrypt(&mut plain, &k, &iv);
    let mut out = Vec::with_capacity(24 + plain.len());
    out.extend_from_slice(&key.id);
    out.extend_from_slice(&msg_key);
    out.extend_from_slice(&plain);
    out
}

/// Frames `payload` as one Full-transport packet numbered `seq`.
pub fn frame(seq: u32, payload: &[u8]) -> Vec<u8> {
    let len = (payload.len() + 12) as u32;
    let mut out = Vec::with_capacity(len as usize);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(payload);
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// A little-endian TL reader over a body.
pub struct Tl<'a> {
    pub buf: &'a [u8],
    pub pos: usize,
}

impl<'a> Tl<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Tl { buf, pos: 0 }
    }
    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.buf.get(self.pos..self.pos + n)?;
        self.pos += n;
        Some(s)
    }
    pub fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|b| u32::from_le_bytes(b.try_into().unwrap()))
    }
    pub fn i32(&mut self) -> Option<i32> {
        self.u32().map(|v| v as i32)
    }
    pub fn i64(&mut self) -> Option<i64> {
        self.take(8)
            .map(|b| i64::from_le_bytes(b.try_into().unwrap()))
    }
    /// A TL `bytes`/`string`: a 1-byte length (or 254 + 3 bytes), padded to 4.
    pub fn bytes(&mut self) -> Option<&'a [u8]> {
        let first = *self.take(1)?.first()?;
        let (len, head) = if first == 254 {
            let b = self.take(3)?;
            (u32::from_le_bytes([b[0], b[1], b[2], 0]) as usize, 4)
        } else {
            (first as usize, 1)
        };
        let data = self.take(len)?;
        let pad = (4 - (head + len) % 4) % 4;
        self.take(pad)?;
        Some(data)
    }
    pub fn rest(&self) -> &'a [u8] {
        &self.buf[self.pos..]
    }
}
