//! `tgbox dir`: browse the directories of the box in use.

use anyhow::Result;
use clap::{Args, Subcommand};
use serde_json::json;

use crate::context::Ctx;
use crate::out;
use crate::view::FileView;

#[derive(Debug, Subcommand)]
pub enum DirCommand {
    /// List a directory: its subdirectories, then its files
    List(ListArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// The directory [default: the top of the box]
    #[arg(value_name = "/DIR")]
    dir: Option<String>,
    /// Print {path, dirs, files} as JSON
    #[arg(long)]
    json: bool,
}

pub async fn run(ctx: &Ctx, cmd: DirCommand) -> Result<()> {
    let DirCommand::List(a) = cmd;
    let opened = ctx.open_current().await?;
    let dir = a
        .dir
        .as_deref()
        .map(tgbox_core::paths::normalize_dir)
        .transpose()?;
    let listing = opened.tgbox.list_dir(dir.as_deref()).await?;
    let files: Vec<FileView> = listing
        .files
        .iter()
        .map(|f| FileView::from(f.as_ref()))
        .collect();
    if a.json {
        return out::json(&json!({
            "path": dir,
            "dirs": listing.dirs,
            "files": files,
        }));
    }
    for d in &listing.dirs {
        out::line(format!("{d}/"))?;
    }
    for f in &files {
        out::line(f.line())?;
    }
    Ok(())
}
