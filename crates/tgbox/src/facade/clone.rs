//! Opening a box from its channel with the phrase: the LocalBox is rebuilt from the channel
//! (spec/tgbox-boxes.md §6.5, "clone").

use std::path::Path;
use std::sync::Arc;

use tgbox_core::{BaseKey, MainKey};

use super::make::{SessionInfo, box_salt_from_about};
use super::remote::{decrypt_messages, record_all};
use super::{TgBox, blocking};
use crate::channel::Channel;
use crate::error::{Error, Result};
use crate::localbox::{LocalBox, NewBoxData, seal_box_data};
use crate::progress::Progress;
use crate::retry::retrying;

/// Header reads in flight while cloning (the box's own parallelism is not known yet).
const PARALLEL: usize = 8;

/// Files recorded per LocalBox transaction while cloning (the LocalBox appears only once
/// complete, so a bigger transaction risks nothing).
const RECORD_BATCH: usize = 2000;

/// Messages per page of the walk.
const PAGE: usize = 100;

impl TgBox {
    /// Opens the box in `channel` with the phrase's BaseKey and rebuilds its LocalBox at
    /// `localbox` from the channel, reporting messages walked to `progress`.
    ///
    /// The phrase is checked on the first box file before anything is written: a wrong phrase
    /// (or a channel that is not a box) fails with [`Error::WrongPhrase`] /
    /// [`Error::NotABox`] and leaves no LocalBox. The LocalBox appears only once complete.
    ///
    /// # Errors
    /// As above; [`Error::InvalidInput`] when `localbox` exists; channel and LocalBox errors.
    pub async fn clone_from(
        channel: Arc<dyn Channel>,
        localbox: &Path,
        basekey: &BaseKey,
        session: SessionInfo,
        progress: &dyn Progress,
    ) -> Result<TgBox> {
        let header = retrying(|| channel.header()).await?;
        let box_salt = box_salt_from_about(&header.about)?;
        let mainkey = MainKey::derive(basekey, &box_salt);
        Self::clone_with(
            channel, localbox, basekey, mainkey, false, session, progress,
        )
        .await
    }

    /// A RequestKey for the box in `channel`, made from the receiver's own (new) BaseKey and
    /// the box salt in the channel's description: the first step of being given a whole box.
    ///
    /// # Errors
    /// [`Error::NotABox`]; channel errors.
    pub async fn request_box(
        channel: &dyn Channel,
        basekey: &BaseKey,
    ) -> Result<tgbox_core::RequestKey> {
        let header = retrying(|| channel.header()).await?;
        let box_salt = box_salt_from_about(&header.about)?;
        Ok(tgbox_core::RequestKey::for_box(basekey, &box_salt)?)
    }

    /// The owner's side of sharing the whole box: a ShareKey for `request`.
    ///
    /// # Errors
    /// [`Error::Protocol`] for a malformed RequestKey.
    pub fn share_box(&self, request: &tgbox_core::RequestKey) -> Result<tgbox_core::ShareKey> {
        Ok(tgbox_core::ShareKey::for_box(
            &self.mainkey,
            &self.data.box_salt,
            request,
        )?)
    }

    /// Clones a box that was shared with this BaseKey's owner: the ShareKey gives the box's
    /// MainKey, which the LocalBox keeps sealed with the receiver's BaseKey (spec §5.7), so the
    /// receiver opens it with their own phrase from then on.
    ///
    /// # Errors
    /// [`Error::WrongShareKey`] when the ShareKey does not open the box's files; as
    /// [`TgBox::clone_from`].
    pub async fn clone_shared(
        channel: Arc<dyn Channel>,
        localbox: &Path,
        basekey: &BaseKey,
        share: &tgbox_core::ShareKey,
        session: SessionInfo,
        progress: &dyn Progress,
    ) -> Result<TgBox> {
        let header = retrying(|| channel.header()).await?;
        let box_salt = box_salt_from_about(&header.about)?;
        let import =
            tgbox_core::sharing::import_key(basekey.expose_secret(), box_salt.as_bytes(), share)
                .map_err(|_| Error::WrongShareKey)?;
        let mainkey = MainKey::from_bytes(*import.expose_secret());
        match Self::clone_with(channel, localbox, basekey, mainkey, true, session, progress).await {
            Err(Error::WrongPhrase) => Err(Error::WrongShareKey),
            other => other,
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn clone_with(
        channel: Arc<dyn Channel>,
        localbox: &Path,
        basekey: &BaseKey,
        mainkey: MainKey,
        foreign: bool,
        session: SessionInfo,
        progress: &dyn Progress,
    ) -> Result<TgBox> {
        if localbox.exists() {
            return Err(Error::InvalidInput(format!(
                "{} already exists",
                localbox.display()
            )));
        }
        let header = retrying(|| channel.header()).await?;
        let box_salt = box_salt_from_about(&header.about)?;
        let mainkey = Arc::new(mainkey);
        let new = NewBoxData {
            channel_id: header.id,
            created: crate::channel::now_unix(),
            box_salt: &box_salt,
            session: &session.session,
            api_id: session.api_id,
            api_hash: session.api_hash,
            foreign_mainkey: foreign.then_some(&*mainkey),
        };
        let sealed = seal_box_data(basekey, &mainkey, &new)?;
        let mut partial = None;
        let mut after = 0;
        let mut walked = 0u64;
        let mut found = Vec::new();
        loop {
            let page = retrying(|| channel.list_messages(after, PAGE)).await?;
            let last = page.last().map(|m| m.id);
            let messages: Vec<_> = page.iter().collect();
            let decrypted =
                decrypt_messages(channel.as_ref(), &messages, &mainkey, &box_salt, PARALLEL).await;
            for outcome in decrypted {
                match outcome? {
                    Some(Ok(f)) => found.push(f),
                    // The first box file of this box decides: this phrase does not open it.
                    Some(Err(())) if partial.is_none() && found.is_empty() => {
                        return Err(Error::WrongPhrase);
                    }
                    _ => {}
                }
            }
            walked += page.len() as u64;
            // Rows go in by thousands: a transaction touches index pages all over the file
            // (fingerprints are random), so small ones rewrite the same pages again and again.
            if found.len() >= RECORD_BATCH || (last.is_none() && !found.is_empty()) {
                if partial.is_none() {
                    let path = localbox.to_path_buf();
                    let sealed = seal_box_data(basekey, &mainkey, &new)?;
                    partial = Some(Arc::new(
                        blocking(move || LocalBox::create(&path, &sealed)).await?,
                    ));
                }
                let lb = partial.clone().expect("created above");
                let mk = mainkey.clone();
                let batch = std::mem::take(&mut found);
                blocking(move || record_all(lb.localbox(), &mk, &batch)).await?;
            }
            progress.update(walked, None);
            match last {
                Some(id) => after = id,
                None => break,
            }
        }
        let partial = match partial {
            Some(p) => Arc::try_unwrap(p)
                .map_err(|_| Error::InvalidInput("the LocalBox is still in use".into()))?,
            None => {
                let path = localbox.to_path_buf();
                blocking(move || LocalBox::create(&path, &sealed)).await?
            }
        };
        let lb = blocking(move || partial.finish()).await?;
        let data = lb.unlock(basekey)?.1;
        Ok(TgBox::assemble(channel, lb, mainkey, data))
    }
}
