//! The `BOX_DATA` row (spec/tgbox-boxes.md §2.3): which channel the box is, its salt, the
//! Telegram session sealed with the BaseKey, and the rest sealed with the MainKey.

use tgbox_core::ints::{bytes_to_int, int_to_bytes};
use tgbox_core::keys::EncryptedMainKey;
use tgbox_core::{BaseKey, BoxSalt, MainKey, OsEntropy, aes_cbc};
use zeroize::Zeroizing;

/// The row as stored: everything but the salt encrypted.
#[derive(Clone)]
pub(super) struct RawBoxData {
    pub channel_id: Vec<u8>,
    pub created: Vec<u8>,
    pub box_salt: Vec<u8>,
    pub mainkey: Option<Vec<u8>>,
    pub session: Vec<u8>,
    pub api_id: Vec<u8>,
    pub api_hash: Vec<u8>,
    pub fast_sync_last_event_id: Option<Vec<u8>>,
}

/// What a new box records about itself.
pub struct NewBoxData<'a> {
    /// The channel's bare id.
    pub channel_id: i64,
    /// Unix seconds of the LocalBox's creation.
    pub created: i64,
    /// The box salt.
    pub box_salt: &'a BoxSalt,
    /// The Telegram session text (a Telethon StringSession), sealed with the BaseKey.
    pub session: &'a str,
    /// Telegram api_id.
    pub api_id: i64,
    /// Telegram api_hash as 16 raw bytes.
    pub api_hash: [u8; 16],
    /// Set when the MainKey does not derive from the BaseKey (a box cloned with a ShareKey).
    pub foreign_mainkey: Option<&'a MainKey>,
}

/// The decrypted row.
pub struct BoxData {
    /// The channel's bare id.
    pub channel_id: i64,
    /// Unix seconds of this LocalBox's creation.
    pub created: i64,
    /// The box salt.
    pub box_salt: BoxSalt,
    /// Telegram api_id.
    pub api_id: i64,
    /// The newest admin-log event fast sync has processed.
    pub fast_sync_last_event_id: Option<i64>,
}

impl std::fmt::Debug for BoxData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoxData")
            .field("channel_id", &self.channel_id)
            .field("created", &self.created)
            .finish_non_exhaustive()
    }
}

fn int(v: i64) -> Vec<u8> {
    int_to_bytes(v.max(0) as u64)
}

/// Seals a new row.
pub(super) fn seal(
    basekey: &BaseKey,
    mainkey: &MainKey,
    new: &NewBoxData<'_>,
) -> tgbox_core::Result<RawBoxData> {
    let mut rng = OsEntropy;
    let mk = mainkey.expose_secret();
    let mainkey_col = match new.foreign_mainkey {
        Some(foreign) => Some(
            EncryptedMainKey::seal(basekey, foreign, &mut rng)?
                .as_bytes()
                .to_vec(),
        ),
        None => None,
    };
    Ok(RawBoxData {
        channel_id: aes_cbc::encrypt(mk, &int(new.channel_id), &mut rng)?,
        created: aes_cbc::encrypt(mk, &int(new.created), &mut rng)?,
        box_salt: new.box_salt.as_bytes().to_vec(),
        mainkey: mainkey_col,
        session: aes_cbc::encrypt(basekey.expose_secret(), new.session.as_bytes(), &mut rng)?,
        api_id: aes_cbc::encrypt(mk, &int(new.api_id), &mut rng)?,
        api_hash: aes_cbc::encrypt(mk, &new.api_hash, &mut rng)?,
        fast_sync_last_event_id: None,
    })
}

impl RawBoxData {
    /// The box salt (stored in the clear).
    pub fn box_salt(&self) -> tgbox_core::Result<BoxSalt> {
        BoxSalt::from_slice(&self.box_salt)
    }

    /// The MainKey this row opens with, from the BaseKey: the sealed foreign MainKey when the
    /// box was cloned with one, else the derivation of §4.2.
    pub fn mainkey(&self, basekey: &BaseKey) -> tgbox_core::Result<MainKey> {
        match &self.mainkey {
            Some(sealed) => EncryptedMainKey::from_slice(sealed)?.open(basekey),
            None => Ok(MainKey::derive(basekey, &self.box_salt()?)),
        }
    }

    /// Checks the BaseKey the way the reference does (the session decrypts and is UTF-8) and
    /// returns the session text.
    pub fn session(&self, basekey: &BaseKey) -> tgbox_core::Result<Zeroizing<String>> {
        let plain = aes_cbc::decrypt(basekey.expose_secret(), &self.session)?;
        String::from_utf8(plain.to_vec())
            .map(Zeroizing::new)
            .map_err(|_| tgbox_core::Error::Decryption)
    }

    /// Decrypts the MainKey-sealed fields.
    pub fn open(&self, mainkey: &MainKey) -> tgbox_core::Result<BoxData> {
        let mk = mainkey.expose_secret();
        let num = |v: &[u8]| -> tgbox_core::Result<i64> {
            Ok(bytes_to_int(&aes_cbc::decrypt(mk, v)?)? as i64)
        };
        Ok(BoxData {
            channel_id: num(&self.channel_id)?,
            created: num(&self.created)?,
            box_salt: self.box_salt()?,
            api_id: num(&self.api_id)?,
            fast_sync_last_event_id: self
                .fast_sync_last_event_id
                .as_deref()
                .map(num)
                .transpose()?,
        })
    }
}

/// The session a box on an offline channel records, as `ref_box.py` does (local-channel.md
/// Appendix A): a Telethon StringSession for DC 2 at 127.0.0.1 port 0 with a random auth key
/// that is never used.
pub(crate) fn offline_session() -> tgbox_core::Result<Zeroizing<String>> {
    let mut key = Zeroizing::new([0u8; tgbox_core::session::AUTH_KEY_LEN]);
    tgbox_core::Entropy::fill(&mut OsEntropy, &mut key[..])?;
    let session =
        tgbox_core::session::StringSession::new(2, std::net::Ipv4Addr::LOCALHOST.into(), 0, *key)?;
    Ok(session.encode())
}
