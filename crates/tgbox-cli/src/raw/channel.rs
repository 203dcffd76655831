//! `tgbox raw channel`: direct access to a channel's messages, documents and header, without
//! keys. For recovery (fetch a document to decrypt with `tgbox raw decrypt`), for building or
//! inspecting test channels, and for interoperability tests with the reference. Every command
//! prints one JSON object; records and events have the shape of spec/local-channel.md §4–5.

use crate::address::Address;
use crate::failure::CliError;
use crate::output::PendingFile;
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use serde_json::{Value, json};
use std::io::Write;
use std::path::PathBuf;
use tgbox::channel::{
    Channel, Event, EventAction, EventFilter, Message, Photo, READ_MAX, Upload, paging,
};

#[derive(Debug, Subcommand)]
pub enum ChannelCommand {
    /// Create a channel.
    Create(CreateArgs),
    /// Print the header, every message and (with --events) the change feed.
    Show(ShowArgs),
    /// Post a file as a new message's document.
    Post(PostArgs),
    /// Write a message's document to a file.
    Read(ReadArgs),
    /// Set a message's caption.
    Caption(CaptionArgs),
    /// Replace a message's document in place.
    Replace(ReplaceArgs),
    /// Delete messages.
    Delete(DeleteArgs),
    /// Set the title, the description or the photo.
    SetHeader(SetHeaderArgs),
    /// local: only: remove stray document files and staging files older than 24 hours.
    Gc(AddressArg),
}

#[derive(Debug, Args)]
pub struct AddressArg {
    /// Channel address, e.g. local:./chan
    address: String,
}

// Names, captions and descriptions are often base64url, which may begin with "-": those
// options take such text as their value (`allow_hyphen_values`), never as another option.

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Channel address, e.g. local:./chan
    address: String,
    /// Title (a box uses "TGBOX[01]: NAME")
    #[arg(long, allow_hyphen_values = true)]
    title: String,
    /// Description (a box keeps its base64url BoxSalt here)
    #[arg(long, default_value = "", allow_hyphen_values = true)]
    about: String,
    /// Give writers the Telegram Premium limits
    #[arg(long)]
    premium: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Channel address
    address: String,
    /// Include the change feed
    #[arg(long)]
    events: bool,
}

#[derive(Debug, Args)]
pub struct DocumentArgs {
    /// Document file name attribute [default: the file's name]
    #[arg(long, conflicts_with = "box_file", allow_hyphen_values = true)]
    name: Option<String>,
    /// The file is a box file: name the document base64url(FileSalt) from its header, as
    /// TGBOX does (spec/tgbox-boxes.md §3.3)
    #[arg(long)]
    box_file: bool,
    /// MIME type
    #[arg(long, default_value = "application/octet-stream")]
    mime: String,
}

#[derive(Debug, Args)]
pub struct PostArgs {
    /// Channel address
    address: String,
    /// File to post
    file: PathBuf,
    #[command(flatten)]
    document: DocumentArgs,
    /// Caption, sent verbatim
    #[arg(long, default_value = "", allow_hyphen_values = true)]
    caption: String,
}

#[derive(Debug, Args)]
pub struct ReadArgs {
    /// Channel address
    address: String,
    /// Message id
    #[arg(long)]
    id: i32,
    /// Where to write the document
    out: PathBuf,
}

#[derive(Debug, Args)]
pub struct CaptionArgs {
    /// Channel address
    address: String,
    /// Message id
    #[arg(long)]
    id: i32,
    /// The new caption, verbatim
    #[arg(allow_hyphen_values = true)]
    caption: String,
}

#[derive(Debug, Args)]
pub struct ReplaceArgs {
    /// Channel address
    address: String,
    /// Message id
    #[arg(long)]
    id: i32,
    /// The new document
    file: PathBuf,
    #[command(flatten)]
    document: DocumentArgs,
    /// Also set the caption
    #[arg(long, allow_hyphen_values = true)]
    caption: Option<String>,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// Channel address
    address: String,
    /// Message ids
    #[arg(required = true)]
    ids: Vec<i32>,
}

#[derive(Debug, Args)]
pub struct SetHeaderArgs {
    /// Channel address
    address: String,
    /// New title
    #[arg(long, allow_hyphen_values = true)]
    title: Option<String>,
    /// New description
    #[arg(long, allow_hyphen_values = true)]
    about: Option<String>,
    /// New photo (its extension is kept)
    #[arg(long)]
    photo: Option<PathBuf>,
}

pub fn run(cmd: ChannelCommand) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let report = runtime.block_on(dispatch(cmd))?;
    println!("{report}");
    Ok(())
}

async fn dispatch(cmd: ChannelCommand) -> Result<Value> {
    match cmd {
        ChannelCommand::Create(a) => {
            let ch = Address::parse(&a.address)?
                .create_local(&a.title, &a.about, a.premium)
                .await?;
            header_json(ch.as_ref()).await
        }
        ChannelCommand::Show(a) => show(&a).await,
        ChannelCommand::Post(a) => {
            let ch = Address::parse(&a.address)?.open_local().await?;
            let upload = open_upload(&a.file, &a.document).await?;
            Ok(message_json(&ch.post_document(upload, &a.caption).await?))
        }
        ChannelCommand::Read(a) => read(&a).await,
        ChannelCommand::Caption(a) => {
            let ch = Address::parse(&a.address)?.open_local().await?;
            Ok(message_json(&ch.edit_caption(a.id, &a.caption).await?))
        }
        ChannelCommand::Replace(a) => {
            let ch = Address::parse(&a.address)?.open_local().await?;
            let upload = open_upload(&a.file, &a.document).await?;
            Ok(message_json(
                &ch.replace_document(a.id, upload, a.caption.as_deref())
                    .await?,
            ))
        }
        ChannelCommand::Delete(a) => {
            let ch = Address::parse(&a.address)?.open_local().await?;
            Ok(json!({ "deleted": ch.delete_messages(&a.ids).await? }))
        }
        ChannelCommand::SetHeader(a) => set_header(&a).await,
        ChannelCommand::Gc(a) => match Address::parse(&a.address)? {
            Address::Local(dir) => {
                let report = tgbox::channel::LocalChannel::open(&dir)
                    .await?
                    .collect_garbage()
                    .await?;
                Ok(json!({ "documents": report.documents, "tmp": report.tmp }))
            }
            _ => Err(CliError::Usage(
                "the raw tools work offline, on local:DIR channels only".into(),
            )
            .into()),
        },
    }
}

async fn open_upload(path: &PathBuf, doc: &DocumentArgs) -> Result<Upload> {
    let file = tokio::fs::File::open(path)
        .await
        .with_context(|| format!("cannot open {}", path.display()))?;
    let size = file.metadata().await?.len();
    let name = match &doc.name {
        Some(n) => n.clone(),
        None if doc.box_file => box_file_name(path)?,
        None => path
            .file_name()
            .and_then(|n| n.to_str())
            .with_context(|| format!("{} has no UTF-8 file name; pass --name", path.display()))?
            .to_owned(),
    };
    Ok(Upload::new(
        name,
        doc.mime.clone(),
        size,
        tokio::io::BufReader::with_capacity(512 * 1024, file),
    ))
}

/// `base64url(FileSalt)` from a box file's header.
fn box_file_name(path: &PathBuf) -> Result<String> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let header = tgbox_core::boxfile::BoxFileHeader::read_from(
        std::io::BufReader::new(file),
        tgbox_core::boxfile::METADATA_MAX,
    )
    .with_context(|| format!("{} is not a readable box file", path.display()))?;
    Ok(header.file_salt.to_b64())
}

async fn read(a: &ReadArgs) -> Result<Value> {
    let ch = Address::parse(&a.address)?.open_local().await?;
    let Some(msg) = ch.get_messages(&[a.id]).await?.pop().flatten() else {
        bail!("there is no message {}", a.id);
    };
    let Some(doc) = msg.document.clone() else {
        bail!("message {} has no document", a.id)
    };
    let mut out = PendingFile::create(&a.out)?;
    let mut offset = 0u64;
    while offset < doc.size {
        let chunk = ch.read_document(msg.id, doc.id, offset, READ_MAX).await?;
        if chunk.is_empty() {
            bail!(
                "message {}: the document ended after {offset} of {} bytes",
                a.id,
                doc.size
            );
        }
        out.file().write_all(&chunk)?;
        offset += chunk.len() as u64;
    }
    out.commit()?;
    Ok(message_json(&msg))
}

async fn show(a: &ShowArgs) -> Result<Value> {
    let ch = Address::parse(&a.address)?.open_local().await?;
    let messages = paging::all_messages(ch.as_ref()).await?;
    let mut report = json!({
        "channel": header_json(ch.as_ref()).await?,
        "messages": messages.iter().map(message_json).collect::<Vec<_>>(),
    });
    if a.events {
        let events = paging::all_events(ch.as_ref(), 0, EventFilter::ALL).await?;
        report["events"] = events.iter().map(event_json).collect();
    }
    Ok(report)
}

async fn set_header(a: &SetHeaderArgs) -> Result<Value> {
    if a.title.is_none() && a.about.is_none() && a.photo.is_none() {
        bail!("nothing to set: give --title, --about or --photo");
    }
    let ch = Address::parse(&a.address)?.open_local().await?;
    if let Some(t) = &a.title {
        ch.set_title(t).await?;
    }
    if let Some(about) = &a.about {
        ch.set_about(about).await?;
    }
    if let Some(p) = &a.photo {
        let bytes = std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?;
        let extension = p
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_owned();
        ch.set_photo(Photo { bytes, extension }).await?;
    }
    header_json(ch.as_ref()).await
}

async fn header_json(ch: &dyn Channel) -> Result<Value> {
    let h = ch.header().await?;
    Ok(json!({
        "id": h.id, "title": h.title, "about": h.about, "created": h.created,
        "premium": h.premium, "has_photo": h.has_photo,
    }))
}

/// A message in the record shape of spec/local-channel.md §4.1.
fn message_json(m: &Message) -> Value {
    json!({
        "id": m.id,
        "date": m.date,
        "edit_date": m.edit_date,
        "caption": m.caption,
        "document": m.document.as_ref().map(|d| json!({
            "id": d.id, "name": d.name, "size": d.size, "mime": d.mime,
        })),
        "forwarded_from": m.forwarded_from.as_ref().map(|f| json!({
            "channel_id": f.channel_id, "message_id": f.message_id, "date": f.date,
        })),
    })
}

/// An event in the shape of spec/local-channel.md §5 (photo events carry no file name here).
fn event_json(e: &Event) -> Value {
    let mut v = json!({ "id": e.id, "date": e.date });
    let fields = match &e.action {
        EventAction::NewMessage { message } => {
            json!({"action": "new_message", "message_id": message.id, "message": message_json(message)})
        }
        EventAction::EditMessage { message, prev } => json!({
            "action": "edit_message", "message_id": message.id,
            "message": message_json(message), "prev_message": message_json(prev),
        }),
        EventAction::DeleteMessage { message } => {
            json!({"action": "delete_message", "message_id": message.id, "message": message_json(message)})
        }
        EventAction::EditTitle { title, prev } => {
            json!({"action": "edit_title", "title": title, "prev_title": prev})
        }
        EventAction::EditAbout { about, prev } => {
            json!({"action": "edit_about", "about": about, "prev_about": prev})
        }
        EventAction::EditPhoto => json!({"action": "edit_photo"}),
        _ => json!({"action": "unknown"}),
    };
    if let (Some(o), Value::Object(f)) = (v.as_object_mut(), fields) {
        o.extend(f);
    }
    v
}
