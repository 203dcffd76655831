//! The whole journey of a box on the embedded `local:` channel, in one run: make a box, upload
//! files, search, list, download and verify — then open the box again from its channel alone
//! with the phrase, as a second device would, rename a file on the first and sync the second.
//!
//! ```text
//! cargo run --release -p tgbox --example quickstart -- [DIR] [FILE...]
//! ```
//!
//! DIR (default `./quickstart`) receives the channel (`DIR/channel`), the LocalBox
//! (`DIR/box.tgbox`) and the downloads. The phrase is generated and printed once, the way a
//! user would write it down; scrypt runs with the real parameters (1 GiB, a few seconds).

use std::path::PathBuf;
use std::sync::Arc;

use tgbox::channel::{Channel, LocalChannel};
use tgbox::{
    BOX_TITLE_PREFIX, Edit, MakeBox, NoProgress, SearchFilter, SessionInfo, TgBox, UploadFile,
};
use tgbox_core::keys::ScryptParams;
use tgbox_core::{Attributes, BaseKey, OsEntropy, Phrase};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "quickstart".into()));
    let mut files: Vec<PathBuf> = args.map(PathBuf::from).collect();
    if files.is_empty() {
        files.push(PathBuf::from(file!()));
    }
    if dir.join("channel").exists() {
        return Err(format!(
            "{} already holds a quickstart box; remove it or pick another DIR",
            dir.display()
        )
        .into());
    }
    std::fs::create_dir_all(&dir)?;

    // The reference's phrase: six words of its wordlist.
    let phrase = Phrase::generate(6, &mut OsEntropy)?;
    println!(
        "phrase (write it down; it is the only key): {}",
        String::from_utf8_lossy(phrase.expose_secret())
    );
    let params = ScryptParams::default();
    let derive = |p: &Phrase| BaseKey::derive(p.expose_secret(), &params);
    let basekey = tokio::task::block_in_place(|| derive(&phrase))?;

    let channel: Arc<dyn Channel> = Arc::new(
        LocalChannel::create(
            dir.join("channel"),
            &format!("{BOX_TITLE_PREFIX}Quickstart"),
            "",
            false,
        )
        .await?,
    );
    let localbox = dir.join("box.tgbox");
    let tgbox = TgBox::make(
        channel.clone(),
        MakeBox {
            localbox: &localbox,
            basekey: &basekey,
            box_salt: None,
            photo: None,
            session: SessionInfo::offline()?,
        },
    )
    .await?;
    tgbox.localbox().remember_scrypt(&params)?;
    println!(
        "made a box in local:{} with its LocalBox {}",
        dir.join("channel").display(),
        localbox.display()
    );

    let none = Attributes::default();
    for file in &files {
        let f = tgbox
            .upload(
                UploadFile {
                    source: file,
                    dir: "/quickstart",
                    name: None,
                    mime: "",
                    cattrs: &none,
                },
                Arc::new(NoProgress),
            )
            .await?;
        println!(
            "uploaded {} as file {} ({} bytes)",
            file.display(),
            f.id,
            f.info().size
        );
    }
    let listing = tgbox.list_dir(Some("/quickstart")).await?;
    println!("/quickstart holds {} file(s)", listing.files.len());
    let mut filter = SearchFilter::default();
    filter.include.scope = vec!["/quickstart".into()];
    for hit in tgbox.search(&filter).await? {
        let out = dir.join(format!("downloaded-{}-{}", hit.id, hit.name));
        let got = tgbox.download(hit.id, &out, Arc::new(NoProgress)).await?;
        println!(
            "downloaded file {} to {} ({} bytes, tag verified: {})",
            hit.id,
            out.display(),
            got.size,
            got.tag_checked
        );
    }

    // A second device: only the channel and the phrase.
    let again = dir.join("second-device.tgbox");
    let basekey = tokio::task::block_in_place(|| derive(&phrase))?;
    let second = TgBox::clone_from(
        channel,
        &again,
        &basekey,
        SessionInfo::offline()?,
        &NoProgress,
    )
    .await?;
    println!(
        "opened the box again from its channel alone: {} file(s) in {}",
        second.files().await?.len(),
        again.display()
    );

    // The first device renames a file; the second one catches up from the change feed.
    let first_id = tgbox
        .files()
        .await?
        .first()
        .map(|f| f.id)
        .ok_or("no files")?;
    tgbox
        .edit(first_id, &[Edit::Rename("renamed-on-device-1".into())])
        .await?;
    let report = second.sync_fast(&NoProgress).await?;
    let seen = second.file(first_id).await?;
    println!(
        "device 2 synced ({} updated): file {first_id} is now {:?}",
        report.updated.len(),
        seen.info().name
    );
    Ok(())
}
