//! Helpers shared by the integration tests.

use tgbox_core::BaseKey;
use tgbox_core::keys::{DEFAULT_SCRYPT_SALT, ScryptParams};

/// A BaseKey with cheap scrypt (N = 16384, as `ref_box.py --scrypt-n 16384`); the real
/// parameters take a second and 1 GiB per derivation.
pub fn cheap_basekey(phrase: &str) -> BaseKey {
    let params = ScryptParams::new(DEFAULT_SCRYPT_SALT.to_vec(), 16384, 8, 1, 32).unwrap();
    BaseKey::derive(phrase.as_bytes(), &params).unwrap()
}

/// Makes a box in `channel` with its LocalBox at `localbox`, for the phrase's cheap BaseKey.
pub async fn make_box(
    channel: std::sync::Arc<dyn tgbox::channel::Channel>,
    localbox: &std::path::Path,
    basekey: &BaseKey,
) -> tgbox::TgBox {
    let opts = tgbox::MakeBox {
        localbox,
        basekey,
        box_salt: None,
        photo: None,
        session: tgbox::SessionInfo::offline().unwrap(),
    };
    tgbox::TgBox::make(channel, opts).await.unwrap()
}

/// A comparable view of a box's files: (id, name, dir, size, attributes), ascending by id.
pub async fn view(
    tgbox: &tgbox::TgBox,
) -> Vec<(i64, String, Option<String>, u64, tgbox_core::Attributes)> {
    let mut v: Vec<_> = tgbox
        .files()
        .await
        .unwrap()
        .iter()
        .map(|f| {
            (
                f.id,
                f.info().name.clone(),
                f.info().dir.clone(),
                f.info().size,
                f.info().cattrs.clone(),
            )
        })
        .collect();
    v.sort_by_key(|x| x.0);
    v
}
