//! `tgbox box`: make, open (clone), list, choose, inspect, lock, close, delete and sync boxes.
//! Boxes are named; the one in use is what `file`, `dir` and `share` act on.

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use serde_json::json;
use std::io::IsTerminal;
use std::sync::Arc;
use tgbox::{BOX_TITLE_PREFIX, MakeBox, SessionInfo, TgBox};
use tgbox_core::ShareKey;

use crate::address::Address;
use crate::context::Ctx;
use crate::failure::CliError;
use crate::home::{BoxEntry, check_box_name};
use crate::out;
use crate::progress::{Bar, Unit, human_bytes};
use crate::scrypt_args::ScryptArgs;

#[derive(Debug, Subcommand)]
pub enum BoxCommand {
    /// Make a new box in a new channel; prints a generated phrase once when none is given
    Make(MakeArgs),
    /// Open an existing box (or one shared with you) from its channel, rebuilding its LocalBox
    Open(OpenArgs),
    /// List the boxes of this home
    List(JsonArg),
    /// Choose the box the other commands act on
    Use(NameArg),
    /// Show a box: channel, files, size, whether it is unlocked
    Info(InfoArgs),
    /// Forget the unlocked key of a box: the phrase is asked again next time
    Lock(LockArgs),
    /// Forget a box on this machine (its LocalBox); the channel keeps everything
    Close(NameArg),
    /// Delete a box: its channel with every file in it, and its LocalBox
    Delete(DeleteArgs),
    /// Bring the LocalBox up to date with the channel
    Sync(SyncArgs),
    /// Prove the box whole: the LocalBox against the channel (repaired by a deep sync where
    /// they differ); with --deep, every file read back and its tag verified
    Check(CheckArgs),
}

#[derive(Debug, Args)]
pub struct MakeArgs {
    /// The box's name
    name: String,
    /// Where to make the channel: local:DIR, or telegram (a new private channel)
    #[arg(long, value_name = "ADDRESS")]
    channel: String,
    /// The Telegram account for a telegram channel [default: the one in use]
    #[arg(long, value_name = "NAME")]
    account: Option<String>,
    #[command(flatten)]
    scrypt: ScryptArgs,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct OpenArgs {
    /// A name for the box on this machine
    name: String,
    /// The box's channel: local:DIR, telegram:@name or telegram:ID
    #[arg(long, value_name = "ADDRESS")]
    channel: String,
    /// The Telegram account for a telegram: channel [default: the one in use]
    #[arg(long, value_name = "NAME")]
    account: Option<String>,
    #[command(flatten)]
    scrypt: ScryptArgs,
    /// The ShareKey from the owner, for a box shared with you (after `tgbox share request --box`)
    #[arg(long, value_name = "KEY")]
    share_key: Option<String>,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct JsonArg {
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct NameArg {
    /// The box's name
    name: String,
}

#[derive(Debug, Args)]
pub struct InfoArgs {
    /// The box [default: the one in use]
    name: Option<String>,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct LockArgs {
    /// The box [default: the one in use]
    name: Option<String>,
    /// Lock every box of this home
    #[arg(long, conflicts_with = "name")]
    all: bool,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The box's name
    name: String,
    /// Do not ask for confirmation
    #[arg(long, short)]
    yes: bool,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Walk the whole channel instead of reading its recent changes
    #[arg(long)]
    deep: bool,
    /// Print the report as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The box [default: the one in use]
    name: Option<String>,
    /// Also download every file (to nowhere) and verify its tag
    #[arg(long)]
    deep: bool,
    /// Only report; do not repair the LocalBox
    #[arg(long)]
    no_repair: bool,
    /// Print the report as JSON
    #[arg(long)]
    json: bool,
}

pub async fn run(ctx: &Ctx, cmd: BoxCommand) -> Result<()> {
    match cmd {
        BoxCommand::Make(a) => make(ctx, a).await,
        BoxCommand::Open(a) => open(ctx, a).await,
        BoxCommand::List(a) => list(ctx, a),
        BoxCommand::Use(a) => use_box(ctx, a),
        BoxCommand::Info(a) => info(ctx, a).await,
        BoxCommand::Lock(a) => lock(ctx, a),
        BoxCommand::Close(a) => close(ctx, &a.name),
        BoxCommand::Delete(a) => delete(ctx, a).await,
        BoxCommand::Sync(a) => sync(ctx, a).await,
        BoxCommand::Check(a) => crate::check::run(ctx, a.name, a.deep, !a.no_repair, a.json).await,
    }
}

/// Checks that `name` is free for a new box.
fn new_name(ctx: &Ctx, name: &str) -> Result<()> {
    check_box_name(name)?;
    if ctx.home.config()?.boxes.contains_key(name) {
        return Err(CliError::BoxExists(name.to_owned()).into());
    }
    Ok(())
}

/// Where a new box's LocalBox goes. What a killed `box make` or `box open` of this name left
/// behind — a LocalBox the config never recorded, or one still under its temporary name — is
/// removed first: it was never in use, and the channel still holds everything.
fn new_localbox(ctx: &Ctx, name: &str) -> Result<(String, std::path::PathBuf)> {
    let (rel, path) = ctx.home.new_localbox(name)?;
    if let Some(dir) = path.parent()
        && let Ok(entries) = std::fs::read_dir(dir)
    {
        let partial = format!(".{name}.tgbox.tgbox-partial-");
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with(&partial) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    if path.exists() {
        ctx.note(format!(
            "removing {}, left by an interrupted run (no box {name:?} was recorded)",
            path.display()
        ));
        remove_localbox(&path)?;
    }
    Ok((rel, path))
}

fn reach_error() -> CliError {
    CliError::Usage(
        "a telegram channel needs a Telegram account: `tgbox account login NAME` first, or \
         give --account NAME"
            .into(),
    )
}

/// Records a new box in the config and makes it the one in use.
fn remember(ctx: &Ctx, name: &str, entry: BoxEntry) -> Result<()> {
    ctx.home.update(|c| {
        if c.boxes.contains_key(name) {
            return Err(CliError::BoxExists(name.to_owned()).into());
        }
        c.boxes.insert(name.to_owned(), entry);
        c.current_box = Some(name.to_owned());
        Ok(())
    })
}

async fn make(ctx: &Ctx, a: MakeArgs) -> Result<()> {
    new_name(ctx, &a.name)?;
    let address = Address::parse(&a.channel)?.absolute()?;
    let params = a.scrypt.params()?;
    let (phrase, generated) = match ctx.global.phrase_file.as_deref() {
        Some(f) => (crate::phrase::from_file(f)?, false),
        None => (crate::phrase::generate()?, true),
    };
    let shown = generated.then(|| String::from_utf8_lossy(phrase.expose_secret()).into_owned());
    let (rel, localbox) = new_localbox(ctx, &a.name)?;
    let basekey = crate::phrase::derive(phrase, params.clone(), ctx.quiet()).await?;
    let title = format!("{BOX_TITLE_PREFIX}{}", a.name);
    let account = address
        .is_telegram()
        .then(|| ctx.account_for(a.account.as_deref()).map(str::to_owned))
        .flatten();
    let reach = ctx.reach(account.as_deref());
    let session = match &account {
        Some(name) => ctx.accounts.session_info(name)?,
        None if address.is_telegram() => {
            return Err(reach_error().into());
        }
        None => SessionInfo::offline()?,
    };
    let (channel, address) = address.create(&title, "", false, &reach).await?;
    let made = TgBox::make(
        Arc::from(channel),
        MakeBox {
            localbox: &localbox,
            basekey: &basekey,
            box_salt: None,
            photo: None,
            session,
        },
    )
    .await;
    let tgbox = match made {
        Ok(t) => t,
        Err(e) => {
            // The channel is ours and empty: do not leave it behind.
            let _ = address.destroy(&reach).await;
            return Err(e.into());
        }
    };
    tgbox.localbox().remember_scrypt(&params)?;
    let entry = BoxEntry {
        channel: address.to_string(),
        localbox: rel,
        account,
    };
    remember(ctx, &a.name, entry)?;
    ctx.keys.store(&a.name, &basekey)?;
    if a.json {
        let mut v = json!({
            "name": a.name,
            "channel": address.to_string(),
            "channel_id": tgbox.channel_id(),
        });
        if let Some(p) = &shown {
            v["phrase"] = json!(p);
        }
        out::json(&v)?;
    } else {
        out::line(format!("made box {} in {address}", a.name))?;
        if let Some(p) = &shown {
            out::line(format!("phrase: {p}"))?;
        }
    }
    if shown.is_some() {
        ctx.note(
            "write the phrase down now: it is shown only this once, and it is the only way \
             into the box",
        );
    }
    Ok(())
}

async fn open(ctx: &Ctx, a: OpenArgs) -> Result<()> {
    new_name(ctx, &a.name)?;
    let share = a
        .share_key
        .as_deref()
        .map(|k| ShareKey::decode(k.trim()))
        .transpose()?;
    let address = Address::parse(&a.channel)?.absolute()?;
    let params = a.scrypt.params()?;
    let account = address
        .is_telegram()
        .then(|| ctx.account_for(a.account.as_deref()).map(str::to_owned))
        .flatten();
    let session = match &account {
        Some(name) => ctx.accounts.session_info(name)?,
        None if address.is_telegram() => return Err(reach_error().into()),
        None => SessionInfo::offline()?,
    };
    let reach = ctx.reach(account.as_deref());
    let channel: Arc<dyn tgbox::channel::Channel> = Arc::from(address.open(&reach).await?);
    let phrase = crate::phrase::obtain(ctx.global.phrase_file.as_deref(), &a.name)?;
    let (rel, localbox) = new_localbox(ctx, &a.name)?;
    let basekey = crate::phrase::derive(phrase, params.clone(), ctx.quiet()).await?;
    let bar = Bar::new(ctx.quiet(), "reading the channel", Unit::Items);
    let tgbox = match &share {
        None => TgBox::clone_from(channel, &localbox, &basekey, session, &bar).await?,
        Some(k) => TgBox::clone_shared(channel, &localbox, &basekey, k, session, &bar).await?,
    };
    bar.finish();
    tgbox.localbox().remember_scrypt(&params)?;
    let files = tgbox.localbox().file_ids()?.len();
    remember(
        ctx,
        &a.name,
        BoxEntry {
            channel: address.to_string(),
            localbox: rel,
            account,
        },
    )?;
    ctx.keys.store(&a.name, &basekey)?;
    if a.json {
        out::json(&json!({
            "name": a.name,
            "channel": address.to_string(),
            "channel_id": tgbox.channel_id(),
            "files": files,
        }))
    } else {
        out::line(format!(
            "opened box {} from {address}: {files} file(s)",
            a.name
        ))
    }
}

fn list(ctx: &Ctx, a: JsonArg) -> Result<()> {
    let config = ctx.home.config()?;
    let current = config.current_box.as_deref();
    if a.json {
        let items: Vec<_> = config
            .boxes
            .iter()
            .map(|(name, e)| {
                json!({
                    "name": name,
                    "channel": e.channel,
                    "current": current == Some(name.as_str()),
                    "unlocked": ctx.keys.remaining(name).is_some(),
                })
            })
            .collect();
        return out::json(&items);
    }
    if config.boxes.is_empty() {
        ctx.note("no boxes yet: `tgbox box make NAME --channel local:DIR` makes one");
    }
    for (name, e) in &config.boxes {
        let mark = if current == Some(name.as_str()) {
            "*"
        } else {
            " "
        };
        let state = if ctx.keys.remaining(name).is_some() {
            "unlocked"
        } else {
            "locked"
        };
        out::line(format!("{mark} {name}  {}  ({state})", e.channel))?;
    }
    Ok(())
}

fn use_box(ctx: &Ctx, a: NameArg) -> Result<()> {
    ctx.home.update(|c| {
        if !c.boxes.contains_key(&a.name) {
            return Err(CliError::UnknownBox(a.name.clone()).into());
        }
        c.current_box = Some(a.name.clone());
        Ok(())
    })?;
    ctx.note(format!("using box {}", a.name));
    Ok(())
}

async fn info(ctx: &Ctx, a: InfoArgs) -> Result<()> {
    let opened = match &a.name {
        Some(n) => ctx.open_named(n).await?,
        None => ctx.open_current().await?,
    };
    let tgbox = &opened.tgbox;
    let files = tgbox.search(&tgbox::SearchFilter::default()).await?;
    let total: u64 = files.iter().map(|f| f.size).sum();
    let params = tgbox.localbox().scrypt_params()?.unwrap_or_default();
    let pending = tgbox.localbox().journal_pending()?.len();
    let unlocked = ctx.keys.remaining(&opened.name).map(|d| d.as_secs());
    let current = ctx.home.config()?.current_box == Some(opened.name.clone());
    if a.json {
        return out::json(&json!({
            "name": opened.name,
            "channel": opened.entry.channel,
            "channel_id": tgbox.channel_id(),
            "localbox": tgbox.localbox().path(),
            "current": current,
            "files": files.len(),
            "total_size": total,
            "pending_uploads": pending,
            "unlocked_for_secs": unlocked,
            "scrypt": {"n": params.n(), "r": params.r(), "p": params.p(), "salt": hex::encode(params.salt())},
        }));
    }
    out::line(format!("box:          {}", opened.name))?;
    out::line(format!("channel:      {}", opened.entry.channel))?;
    out::line(format!("channel id:   {}", tgbox.channel_id()))?;
    out::line(format!(
        "localbox:     {}",
        tgbox.localbox().path().display()
    ))?;
    out::line(format!(
        "files:        {} ({})",
        files.len(),
        human_bytes(total)
    ))?;
    if pending > 0 {
        out::line(format!(
            "pending:      {pending} upload(s) cut short; `tgbox file upload --resume` finishes them"
        ))?;
    }
    out::line(format!(
        "scrypt:       N={} r={} p={}",
        params.n(),
        params.r(),
        params.p()
    ))?;
    match unlocked {
        Some(s) => out::line(format!("unlocked:     for {s} s more without use")),
        None => out::line("unlocked:     no"),
    }
}

fn lock(ctx: &Ctx, a: LockArgs) -> Result<()> {
    let names: Vec<String> = if a.all {
        ctx.home.config()?.boxes.keys().cloned().collect()
    } else {
        let (name, _) = ctx
            .home
            .resolve(a.name.as_deref().or(ctx.global.in_box.as_deref()))?;
        vec![name]
    };
    for name in names {
        if ctx.keys.forget(&name)? {
            ctx.note(format!("locked {name}"));
        } else {
            ctx.note(format!("{name} was locked already"));
        }
    }
    Ok(())
}

/// Removes a LocalBox file and SQLite's companions.
fn remove_localbox(path: &std::path::Path) -> Result<()> {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(e).with_context(|| format!("cannot remove {}", path.display()));
            }
        }
    }
    Ok(())
}

fn close(ctx: &Ctx, name: &str) -> Result<()> {
    let (name, entry) = ctx.home.resolve(Some(name))?;
    ctx.keys.forget(&name)?;
    ctx.home.update(|c| {
        c.boxes.remove(&name);
        if c.current_box.as_deref() == Some(name.as_str()) {
            c.current_box = None;
        }
        Ok(())
    })?;
    remove_localbox(&ctx.home.localbox_path(&entry))?;
    ctx.note(format!(
        "closed {name}; its channel {} still holds it: `tgbox box open {name} --channel {}` \
         brings it back",
        entry.channel, entry.channel
    ));
    Ok(())
}

/// Asks the person at the terminal to type `name`; refuses without a terminal.
fn confirm_by_name(what: &str, name: &str) -> Result<()> {
    if !std::io::stdin().is_terminal() {
        return Err(CliError::NotConfirmed(format!(
            "{what} cannot be undone: give --yes to confirm"
        ))
        .into());
    }
    eprint!("{what} cannot be undone. Type the box name ({name}) to confirm: ");
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .context("cannot read the confirmation")?;
    if answer.trim() != name {
        return Err(CliError::NotConfirmed("not confirmed; nothing was deleted".into()).into());
    }
    Ok(())
}

async fn delete(ctx: &Ctx, a: DeleteArgs) -> Result<()> {
    // Opening proves the phrase (or an unlocked key) and that the channel is this box's.
    let opened = ctx.open_named(&a.name).await?;
    let address = Address::parse(&opened.entry.channel)?;
    if !a.yes {
        confirm_by_name(
            &format!("Deleting box {} and its channel {address}", opened.name),
            &opened.name,
        )?;
    }
    let account = opened.entry.account.clone();
    drop(opened);
    address.destroy(&ctx.reach(account.as_deref())).await?;
    close(ctx, &a.name)?;
    out::line(format!("deleted box {} and its channel {address}", a.name))
}

async fn sync(ctx: &Ctx, a: SyncArgs) -> Result<()> {
    let opened = ctx.open_current().await?;
    let bar = Bar::new(ctx.quiet(), "syncing", Unit::Items);
    let report = if a.deep {
        opened.tgbox.sync_deep(&bar).await?
    } else {
        opened.tgbox.sync_fast(&bar).await?
    };
    bar.finish();
    if a.json {
        return out::json(&json!({
            "box": opened.name,
            "deep": a.deep,
            "added": report.added,
            "updated": report.updated,
            "removed": report.removed,
            "skipped": report.skipped.iter().map(|(id, why)| json!({"message": id, "reason": why})).collect::<Vec<_>>(),
            "requests": report.requests,
        }));
    }
    out::line(format!(
        "synced {}: {} added, {} updated, {} removed{}",
        opened.name,
        report.added.len(),
        report.updated.len(),
        report.removed.len(),
        if report.skipped.is_empty() {
            String::new()
        } else {
            format!(", {} skipped", report.skipped.len())
        }
    ))?;
    for (id, why) in &report.skipped {
        ctx.note(format!("skipped message {id}: {why}"));
    }
    Ok(())
}
