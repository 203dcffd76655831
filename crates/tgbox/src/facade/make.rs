//! Making a new box in an empty channel (spec/tgbox-boxes.md §3.1).

use std::path::Path;
use std::sync::Arc;

use tgbox_core::{BaseKey, BoxSalt, MainKey, OsEntropy};
use zeroize::Zeroizing;

use super::{TgBox, blocking};
use crate::channel::{Channel, Photo};
use crate::error::{Error, Result};
use crate::localbox::{LocalBox, NewBoxData, offline_session, seal_box_data};

/// The title prefix of a box channel: `TGBOX[` + VERBYTE as two hex digits + `]: ` (§3.1).
pub const BOX_TITLE_PREFIX: &str = "TGBOX[01]: ";

/// The Telegram session a LocalBox keeps (sealed with the BaseKey), with its API credentials.
pub struct SessionInfo {
    /// A Telethon StringSession.
    pub session: Zeroizing<String>,
    /// Telegram api_id.
    pub api_id: i64,
    /// Telegram api_hash as 16 raw bytes.
    pub api_hash: [u8; 16],
}

impl SessionInfo {
    /// What a box on an offline channel records, as the reference's local-channel harness
    /// does: an unused session for DC 2 at 127.0.0.1, api_id 1, a zero api_hash.
    ///
    /// # Errors
    /// [`Error::Protocol`] when the OS random source fails.
    pub fn offline() -> Result<Self> {
        Ok(SessionInfo {
            session: offline_session()?,
            api_id: 1,
            api_hash: [0; 16],
        })
    }
}

impl std::fmt::Debug for SessionInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionInfo")
            .field("api_id", &self.api_id)
            .finish_non_exhaustive()
    }
}

/// What a new box needs besides its channel.
pub struct MakeBox<'a> {
    /// Where to create the LocalBox (must not exist).
    pub localbox: &'a Path,
    /// The BaseKey from the phrase.
    pub basekey: &'a BaseKey,
    /// The box salt; random when `None`.
    pub box_salt: Option<BoxSalt>,
    /// A channel photo.
    pub photo: Option<Photo>,
    /// The session to keep.
    pub session: SessionInfo,
}

/// The box salt in a channel description: `base64url(BoxSalt)` or `"<text> @ <salt>"`
/// (protocol §12: split on `@`, the last piece, stripped, is the salt).
///
/// # Errors
/// [`Error::NotABox`] when there is no salt.
pub fn box_salt_from_about(about: &str) -> Result<BoxSalt> {
    let piece = about.rsplit('@').next().unwrap_or("").trim();
    BoxSalt::from_b64(piece).map_err(|_| Error::NotABox("its description holds no box salt".into()))
}

impl TgBox {
    /// Makes a box in `channel`, which must be a fresh channel titled
    /// [`BOX_TITLE_PREFIX`] + the box name: sets the photo and the description (the box salt),
    /// then creates the LocalBox.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a channel that is not titled as a box or already holds
    /// messages, or a LocalBox path that exists; channel and LocalBox errors.
    pub async fn make(channel: Arc<dyn Channel>, opts: MakeBox<'_>) -> Result<TgBox> {
        let header = crate::retry::retrying(|| channel.header()).await?;
        if !header.title.starts_with(BOX_TITLE_PREFIX) {
            return Err(Error::InvalidInput(format!(
                "a box channel's title starts with {BOX_TITLE_PREFIX:?}"
            )));
        }
        if !crate::retry::retrying(|| channel.list_messages(0, 1))
            .await?
            .is_empty()
        {
            return Err(Error::InvalidInput(
                "the channel already holds messages; a box starts empty".into(),
            ));
        }
        if opts.localbox.exists() {
            return Err(Error::InvalidInput(format!(
                "{} already exists",
                opts.localbox.display()
            )));
        }
        let box_salt = match opts.box_salt {
            Some(s) => s,
            None => BoxSalt::generate(&mut OsEntropy)?,
        };
        if let Some(photo) = opts.photo {
            channel.set_photo(photo).await?;
        }
        channel.set_about(&box_salt.to_b64()).await?;
        let mainkey = MainKey::derive(opts.basekey, &box_salt);
        let new = NewBoxData {
            channel_id: header.id,
            created: crate::channel::now_unix(),
            box_salt: &box_salt,
            session: &opts.session.session,
            api_id: opts.session.api_id,
            api_hash: opts.session.api_hash,
            foreign_mainkey: None,
        };
        let sealed = seal_box_data(opts.basekey, &mainkey, &new)?;
        let path = opts.localbox.to_path_buf();
        let lb = blocking(move || LocalBox::create(&path, &sealed)?.finish()).await?;
        let data = lb.unlock(opts.basekey)?.1;
        Ok(TgBox::assemble(channel, lb, Arc::new(mainkey), data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salt_in_descriptions() {
        let salt = "Te05H0skxd1xyHiDfKNIuIkxl5a1-fN7w3dKRyHrXpE=";
        let want = BoxSalt::from_b64(salt).unwrap();
        assert_eq!(
            box_salt_from_about(salt).unwrap().as_bytes(),
            want.as_bytes()
        );
        assert_eq!(
            box_salt_from_about(&format!("my files @ {salt}"))
                .unwrap()
                .as_bytes(),
            want.as_bytes()
        );
        assert_eq!(
            box_salt_from_about(&format!("a@b @ {salt}"))
                .unwrap()
                .as_bytes(),
            want.as_bytes()
        );
        assert!(box_salt_from_about("").is_err());
        assert!(box_salt_from_about("just text").is_err());
    }
}
