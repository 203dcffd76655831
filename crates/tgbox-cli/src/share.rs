//! `tgbox share`: give files, directories and whole boxes to another person, and take what is
//! given (spec/tgbox-protocol.md, sharing). The receiver asks with a RequestKey, the owner
//! answers with a ShareKey made for that RequestKey only, and the receiver imports with it.

use anyhow::Result;
use clap::{Args, Subcommand};
use serde_json::json;
use std::sync::Arc;
use tgbox::TgBox;
use tgbox_core::{Key, RequestKey, ShareKey};

use crate::address::Address;
use crate::context::Ctx;
use crate::failure::CliError;
use crate::out;
use crate::scrypt_args::ScryptArgs;
use crate::view::FileView;

#[derive(Debug, Subcommand)]
pub enum ShareCommand {
    /// Ask for a key: for a file forwarded into your box, or for a whole box
    Request(RequestArgs),
    /// Answer a RequestKey with a ShareKey for a file, a directory or the whole box
    Give(GiveArgs),
    /// Import files into your box with the ShareKey you were given
    Accept(AcceptArgs),
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("what").required(true).args(["file", "whole_box"]))]
pub struct RequestArgs {
    /// The message id of the shared file in your box's channel
    #[arg(long, value_name = "ID")]
    file: Option<i32>,
    /// Ask for a whole box (give its --channel); open it later with `tgbox box open --share-key`
    #[arg(long = "box", requires = "channel")]
    whole_box: bool,
    /// The shared box's channel, with --box
    #[arg(long, value_name = "ADDRESS")]
    channel: Option<String>,
    /// The Telegram account for a telegram: channel [default: the one in use]
    #[arg(long, value_name = "NAME")]
    account: Option<String>,
    #[command(flatten)]
    scrypt: ScryptArgs,
    /// Print {request_key} as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("what").required(true).args(["file", "dir", "whole_box"]))]
pub struct GiveArgs {
    /// The RequestKey you were sent
    #[arg(value_name = "REQUESTKEY")]
    request: String,
    /// Share this file (its id in your box)
    #[arg(long, value_name = "ID")]
    file: Option<i64>,
    /// Share this directory: its files now and those uploaded later
    #[arg(long, value_name = "/DIR")]
    dir: Option<String>,
    /// Share the whole box
    #[arg(long = "box")]
    whole_box: bool,
    /// Print {share_key} as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct AcceptArgs {
    /// The ShareKey you were given
    #[arg(value_name = "SHAREKEY")]
    share: String,
    /// The message id of the shared file in your box's channel; repeat for several files of a
    /// shared directory
    #[arg(long, value_name = "ID", required = true)]
    file: Vec<i32>,
    /// For a directory: the message the RequestKey was made on [default: the first --file]
    #[arg(long, value_name = "ID")]
    requested_on: Option<i32>,
    /// The directory of your box to file them under [default: the box's folder for imports]
    #[arg(long, value_name = "/DIR")]
    to: Option<String>,
    /// Print the imported files as JSON
    #[arg(long)]
    json: bool,
}

pub async fn run(ctx: &Ctx, cmd: ShareCommand) -> Result<()> {
    match cmd {
        ShareCommand::Request(a) => request(ctx, a).await,
        ShareCommand::Give(a) => give(ctx, a).await,
        ShareCommand::Accept(a) => accept(ctx, a).await,
    }
}

fn print_key(json_name: &str, text: &str, json: bool) -> Result<()> {
    if json {
        out::json(&json!({ json_name: text }))
    } else {
        out::line(text)
    }
}

async fn request(ctx: &Ctx, a: RequestArgs) -> Result<()> {
    let key = if let Some(id) = a.file {
        let opened = ctx.open_current().await?;
        opened.tgbox.request_key(id).await?
    } else {
        let text = a.channel.as_deref().unwrap_or_default();
        let address = Address::parse(text)?.absolute()?;
        let reach = ctx.reach(a.account.as_deref());
        let channel: Arc<dyn tgbox::channel::Channel> = Arc::from(address.open(&reach).await?);
        // The receiver's own phrase: the one they will open the shared box with.
        let phrase = crate::phrase::obtain(ctx.global.phrase_file.as_deref(), "to be shared")?;
        let basekey = crate::phrase::derive(phrase, a.scrypt.params()?, ctx.quiet()).await?;
        TgBox::request_box(channel.as_ref(), &basekey).await?
    };
    print_key("request_key", &key.encode(), a.json)
}

async fn give(ctx: &Ctx, a: GiveArgs) -> Result<()> {
    let request = RequestKey::decode(a.request.trim())?;
    let opened = ctx.open_current().await?;
    let tgbox = &opened.tgbox;
    let key = if let Some(id) = a.file {
        tgbox.share_key(id, &request).await?
    } else if let Some(dir) = &a.dir {
        let dir = tgbox_core::paths::normalize_dir(dir)?;
        let part = tgbox_core::paths::head_part_id(tgbox.mainkey(), &dir)?;
        if !tgbox.localbox().has_directory(&part)? {
            return Err(CliError::NotFound(format!("the box has no directory {dir}")).into());
        }
        tgbox.share_directory(&dir, &request)?
    } else {
        ctx.note(
            "this ShareKey opens every file of the box, now and later: give it only to that person",
        );
        tgbox.share_box(&request)?
    };
    print_key("share_key", &key.encode(), a.json)
}

async fn accept(ctx: &Ctx, a: AcceptArgs) -> Result<()> {
    let share = ShareKey::decode(a.share.trim())?;
    let opened = ctx.open_current().await?;
    let to =
        a.to.as_deref()
            .map(tgbox_core::paths::normalize_dir)
            .transpose()?;
    let files = match (a.file.as_slice(), a.requested_on) {
        ([one], None) => vec![
            opened
                .tgbox
                .import_file(*one, &share, to.as_deref())
                .await?,
        ],
        (ids, on) => {
            let on = on.unwrap_or(ids[0]);
            opened
                .tgbox
                .import_directory(on, &share, ids, to.as_deref())
                .await?
        }
    };
    let views: Vec<FileView> = files.iter().map(FileView::from).collect();
    if a.json {
        return out::json(&views);
    }
    for v in &views {
        out::line(v.line())?;
    }
    Ok(())
}
