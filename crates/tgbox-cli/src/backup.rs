//! `tgbox backup`: encrypted backups of a Telegram session that the phrase alone brings back
//! (TGBACK-X 1.1, spec/tgback-x.md), kept in a file or read from the public channel named by
//! the phrase's KeyID.
//!
//! `--provider file:PATH` keeps the sealed backup in a file; `--provider telegram` posts it to
//! the public channel named by the KeyID, through the session being backed up, and reads it
//! back anonymously from the channel's public page. `check`, `refresh` and `destroy` use the
//! backed-up session itself; `open --account NAME` restores it as a tgbox account.

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use serde_json::json;
use std::path::PathBuf;
use tgback::keys::{Birthday, DEFAULT_SALT, salt_from_hex_int};
use tgback::provider::{FileProvider, Provider, ProviderAddress, TelegramPreview};
use tgback::{Backup, BackupKey, KeyParams};
use tgbox_core::OsEntropy;
use zeroize::Zeroizing;

use crate::accounts::Accounts;
use crate::context::Ctx;
use crate::failure::CliError;
use crate::out;
use crate::scrypt_args::ScryptCost;
use std::sync::Arc;
use tgbox_core::session::StringSession;
use tgbox_telegram::backup_channel;
use tgbox_telegram::login::{self, ApiCredentials};
use tgbox_telegram::{AccountSession, Connection};

#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// Back up a session under a phrase (a new one is generated and shown once when none is given)
    Make(MakeArgs),
    /// Open a backup with its phrase
    Open(OpenArgs),
    /// Is the backed-up session still signed in?
    Check(CheckArgs),
    /// Back up an account's session instead and sign the old backed-up session out
    Refresh(RefreshArgs),
    /// Sign the backed-up session out (verified) and delete the backup
    Destroy(DestroyArgs),
    /// Print the sealed backup (no secret in the clear) as text or a QR code, to keep offline
    Export(ExportArgs),
}

/// How the key is derived: the TGBACK-X defaults, or custom options as XQt offers them.
#[derive(Debug, Args)]
pub struct KeyArgs {
    /// scrypt salt as hex, read as XQt reads it (as a number: leading zero bytes are dropped)
    /// [default: the library's salt]
    #[arg(long, value_name = "HEX")]
    scrypt_salt: Option<String>,
    #[command(flatten)]
    cost: ScryptCost,
    /// Key length in bytes
    #[arg(long, value_name = "LEN", default_value_t = 32, hide = true)]
    scrypt_dklen: usize,
    /// The birth date XQt mixes into the salt
    #[arg(long, value_name = "DD/MM/YYYY")]
    birthday: Option<String>,
}

impl KeyArgs {
    fn params(&self) -> Result<KeyParams> {
        let salt = match &self.scrypt_salt {
            Some(h) => salt_from_hex_int(h)?,
            None => DEFAULT_SALT.to_vec(),
        };
        let birthday = self.birthday.as_deref().map(Birthday::parse).transpose()?;
        let params = KeyParams {
            salt,
            n: self.cost.scrypt_n,
            r: self.cost.scrypt_r,
            p: self.cost.scrypt_p,
            dklen: self.scrypt_dklen,
            birthday,
        };
        params.scrypt()?;
        Ok(params)
    }
}

/// Where the backup is.
#[derive(Debug, Args)]
pub struct ProviderArgs {
    /// `telegram` (the public channel named by the KeyID) or `file:PATH`
    #[arg(long, value_name = "PROVIDER")]
    provider: String,
    /// Read the public page from this address instead of https://t.me (a mirror)
    #[arg(long, value_name = "URL", env = "TGBACK_PREVIEW_URL", hide = true)]
    preview_url: Option<String>,
}

impl ProviderArgs {
    fn provider(&self) -> Result<Box<dyn Provider>> {
        Ok(match ProviderAddress::parse(&self.provider)? {
            ProviderAddress::File(p) => Box::new(FileProvider::new(p)),
            ProviderAddress::Telegram => Box::new(match &self.preview_url {
                Some(u) => TelegramPreview::with_base(u.as_str()),
                None => TelegramPreview::default(),
            }),
        })
    }
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("source").required(true).args(["account", "session_string"]))]
pub struct MakeArgs {
    #[command(flatten)]
    provider: ProviderArgs,
    /// Back up this tgbox account's session (needs the Telegram backend)
    #[arg(long, value_name = "NAME")]
    account: Option<String>,
    /// Back up this Telethon StringSession
    #[arg(long, value_name = "S", requires_all = ["api_id", "api_hash"])]
    session_string: Option<String>,
    /// The API id that goes with the session
    #[arg(long, value_name = "N")]
    api_id: Option<i64>,
    /// The API hash that goes with the session
    #[arg(long, value_name = "H")]
    api_hash: Option<String>,
    #[command(flatten)]
    key: KeyArgs,
    /// Language of a generated phrase (cs en es fr it ja ko pt ru tr zh_cn zh_hant)
    #[arg(long, value_name = "CODE", default_value = "en")]
    language: String,
    /// Words in a generated phrase
    #[arg(long, value_name = "N", default_value_t = tgback::phrase::DEFAULT_WORDS as u16, value_parser = clap::value_parser!(u16).range(6..=24))]
    words: u16,
    /// Print {key_id, provider} (and the generated phrase) as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct OpenArgs {
    #[command(flatten)]
    provider: ProviderArgs,
    #[command(flatten)]
    key: KeyArgs,
    /// Print the session (a Telethon StringSession) with its API id and hash
    #[arg(long, conflicts_with = "account")]
    print_session: bool,
    /// Restore the session as this tgbox account
    #[arg(long, value_name = "NAME")]
    account: Option<String>,
    /// Print {key_id, session, api_id, api_hash, created_at, version} as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    provider: ProviderArgs,
    #[command(flatten)]
    key: KeyArgs,
    /// Print {key_id, alive, user_id} as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct RefreshArgs {
    #[command(flatten)]
    provider: ProviderArgs,
    #[command(flatten)]
    key: KeyArgs,
    /// The tgbox account whose session is backed up from now on
    #[arg(long, value_name = "NAME")]
    account: String,
}

#[derive(Debug, Args)]
pub struct DestroyArgs {
    #[command(flatten)]
    provider: ProviderArgs,
    #[command(flatten)]
    key: KeyArgs,
    /// Another signed-in account of the same user: the backed-up session is signed out first
    /// and the backup channel deleted through this one
    #[arg(long, value_name = "NAME")]
    account: Option<String>,
    /// Do not ask for confirmation
    #[arg(long, short)]
    yes: bool,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    provider: ProviderArgs,
    #[command(flatten)]
    key: KeyArgs,
    /// Draw it as a QR code in the terminal
    #[arg(long)]
    qr: bool,
    /// Write it as a QR code to this PNG file
    #[arg(long, value_name = "FILE")]
    qr_png: Option<PathBuf>,
}

pub async fn run(ctx: &Ctx, cmd: BackupCommand) -> Result<()> {
    match cmd {
        BackupCommand::Make(a) => make(ctx, a).await,
        BackupCommand::Open(a) => open(ctx, a).await,
        BackupCommand::Check(a) => check(ctx, a).await,
        BackupCommand::Refresh(a) => refresh(ctx, a).await,
        BackupCommand::Destroy(a) => destroy(ctx, a).await,
        BackupCommand::Export(a) => export(ctx, a).await,
    }
}

/// Derives the key on a blocking thread (1 GiB and seconds at the defaults).
async fn derive(ctx: &Ctx, phrase: Zeroizing<String>, params: KeyParams) -> Result<BackupKey> {
    let spinner = crate::progress::Spinner::start(ctx.quiet(), "deriving the key (scrypt)");
    let key = tokio::task::spawn_blocking(move || BackupKey::derive(phrase.as_bytes(), &params))
        .await
        .context("the key derivation thread failed")??;
    spinner.finish();
    Ok(key)
}

/// The phrase from `--phrase-file` or the terminal, as UTF-8 text.
fn typed_phrase(ctx: &Ctx) -> Result<Zeroizing<String>> {
    let phrase = crate::phrase::obtain(ctx.global.phrase_file.as_deref(), "backup")?;
    let text = std::str::from_utf8(phrase.expose_secret())
        .map_err(|_| CliError::Usage("the phrase is not UTF-8 text".into()))?;
    Ok(Zeroizing::new(text.to_owned()))
}

/// The backup of account `name`'s session, and a connection with that session.
fn account_backup(ctx: &Ctx, name: &str) -> Result<(Backup, Arc<Connection>)> {
    let info = ctx.accounts.session_info(name)?;
    let file = ctx.accounts.read(name)?;
    let backup = Backup::new(&info.session, info.api_id, &file.api_hash)?;
    Ok((backup, ctx.accounts.connection(name)?))
}

/// A connection with a backed-up session (its own API credentials, spec §6).
fn backup_connection(backup: &Backup) -> Result<Arc<Connection>> {
    let session = StringSession::parse(backup.session.as_str())?;
    let api_id = i32::try_from(backup.api_id)
        .map_err(|_| CliError::Integrity(format!("api id {} is out of range", backup.api_id)))?;
    Ok(Accounts::connect(
        AccountSession::from_string_session(&session),
        api_id,
    ))
}

/// Keeps `message` at the provider: a file, or a post in the KeyID's public channel made
/// through `conn` (the session being backed up).
async fn store(
    provider: &ProviderArgs,
    key_id: &tgback::KeyId,
    message: &str,
    conn: Option<&Arc<Connection>>,
) -> Result<()> {
    match ProviderAddress::parse(&provider.provider)? {
        ProviderAddress::File(_) => Ok(provider.provider()?.store(key_id, message)?),
        ProviderAddress::Telegram => {
            let conn = conn.ok_or_else(|| {
                CliError::Usage("storing in Telegram needs the session's connection".into())
            })?;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            let title = tgback::backup::channel_title(now);
            backup_channel::store(conn, &key_id.to_string(), message, &title).await?;
            Ok(())
        }
    }
}

async fn make(ctx: &Ctx, a: MakeArgs) -> Result<()> {
    let (backup, conn) = match &a.account {
        Some(name) => {
            let (b, c) = account_backup(ctx, name)?;
            (b, Some(c))
        }
        None => {
            let b = Backup::new(
                a.session_string.as_deref().unwrap_or_default(),
                a.api_id.unwrap_or_default(),
                a.api_hash.as_deref().unwrap_or_default(),
            )?;
            let telegram = matches!(
                ProviderAddress::parse(&a.provider.provider)?,
                ProviderAddress::Telegram
            );
            let c = telegram.then(|| backup_connection(&b)).transpose()?;
            (b, c)
        }
    };
    // Refused before the phrase is asked: the file provider reads and writes locally.
    if let ProviderAddress::File(_) = ProviderAddress::parse(&a.provider.provider)? {
        a.provider.provider()?;
    }
    let params = a.key.params()?;
    let (phrase, generated) = match ctx.global.phrase_file {
        Some(_) => (typed_phrase(ctx)?, false),
        None => (
            tgback::phrase::generate(&a.language, usize::from(a.words))?,
            true,
        ),
    };
    let shown = generated.then(|| phrase.clone());
    let key = derive(ctx, phrase, params).await?;
    let key_id = key.key_id();
    let message = tgback::backup::message(&backup.seal(&key, &mut OsEntropy)?)?;
    store(&a.provider, &key_id, &message, conn.as_ref()).await?;
    if a.json {
        let mut v = json!({"key_id": key_id.to_string(), "provider": a.provider.provider});
        if let Some(p) = &shown {
            v["phrase"] = json!(p.as_str());
        }
        out::json(&v)?;
    } else {
        out::line(&key_id)?;
        if let Some(p) = &shown {
            out::line(format!("phrase: {}", p.as_str()))?;
        }
    }
    if shown.is_some() {
        ctx.note(
            "write the phrase down now: it is shown only this once, and with it anyone can use \
             the account",
        );
    }
    Ok(())
}

/// Opens the backup: the phrase exactly as given first, then its NFC and NFD forms (a phrase
/// from a decomposed word list, typed on a keyboard, arrives composed; spec §2.2).
async fn open_backup(
    ctx: &Ctx,
    provider: &ProviderArgs,
    key: &KeyArgs,
) -> Result<(Backup, tgback::KeyId)> {
    let provider = provider.provider()?;
    let params = key.params()?;
    let phrase = typed_phrase(ctx)?;
    let variants = tgback::phrase::variants(&phrase);
    let mut first_err = None;
    for (i, form) in variants.into_iter().enumerate() {
        if i > 0 {
            ctx.note("trying the phrase in another Unicode form");
        }
        let key = derive(ctx, form, params.clone()).await?;
        match tgback::provider::open_from(provider.as_ref(), &key) {
            Ok((backup, skipped)) => {
                if skipped > 0 {
                    ctx.note(format!(
                        "the newest {skipped} backup(s) under this KeyID did not open; an older one did"
                    ));
                }
                return Ok((backup, key.key_id()));
            }
            Err(e @ (tgback::Error::NotFound(_) | tgback::Error::WrongKeyOrTampered)) => {
                first_err.get_or_insert(e);
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(first_err
        .unwrap_or_else(|| tgback::Error::NotFound(String::new()))
        .into())
}

async fn open(ctx: &Ctx, a: OpenArgs) -> Result<()> {
    if !a.print_session && a.account.is_none() {
        return Err(CliError::Usage(
            "say what to do with the session: --account NAME restores it as a tgbox account, \
             --print-session prints it"
                .into(),
        )
        .into());
    }
    if let Some(name) = &a.account {
        crate::accounts::check_account_name(name)?;
        if ctx.accounts.exists(name) {
            return Err(
                CliError::Conflict(format!("an account named {name:?} exists already")).into(),
            );
        }
    }
    let (backup, key_id) = open_backup(ctx, &a.provider, &a.key).await?;
    if let Some(name) = &a.account {
        let conn = backup_connection(&backup)?;
        let me = login::whoami(&conn).await?.ok_or_else(dead_session)?;
        let api = ApiCredentials::new(conn.options().api_id, backup.api_hash.as_str())?;
        ctx.accounts.write(
            name,
            &crate::accounts::AccountFile::new(&api, conn.session()),
        )?;
        if a.json {
            return out::json(
                &json!({"key_id": key_id.to_string(), "account": name, "user_id": me.id}),
            );
        }
        return out::line(format!(
            "restored account {name} (user {}) from backup {key_id}",
            me.id
        ));
    }
    if a.json {
        return out::json(&json!({
            "key_id": key_id.to_string(),
            "session": backup.session.as_str(),
            "api_id": backup.api_id,
            "api_hash": backup.api_hash.as_str(),
            "created_at": backup.created_at,
            "version": backup.version,
        }));
    }
    out::line(format!("key_id:     {key_id}"))?;
    out::line(format!("session:    {}", backup.session.as_str()))?;
    out::line(format!("api_id:     {}", backup.api_id))?;
    out::line(format!("api_hash:   {}", backup.api_hash.as_str()))?;
    out::line(format!(
        "created_at: {}",
        crate::view::rfc3339(backup.created_at as i64)
    ))?;
    out::line(format!("version:    {}", backup.version))
}

fn dead_session() -> anyhow::Error {
    CliError::Access(
        "the backed-up session is no longer signed in (signed out, terminated, or expired)".into(),
    )
    .into()
}

async fn check(ctx: &Ctx, a: CheckArgs) -> Result<()> {
    let (backup, key_id) = open_backup(ctx, &a.provider, &a.key).await?;
    let conn = backup_connection(&backup)?;
    let me = login::whoami(&conn).await?;
    if a.json {
        out::json(&json!({
            "key_id": key_id.to_string(),
            "alive": me.is_some(),
            "user_id": me.map(|m| m.id),
        }))?;
    } else if let Some(me) = me {
        out::line(format!("backup {key_id}: signed in as user {}", me.id))?;
    }
    match me {
        Some(_) => Ok(()),
        None => Err(dead_session()),
    }
}

async fn refresh(ctx: &Ctx, a: RefreshArgs) -> Result<()> {
    let (old, key_id) = open_backup(ctx, &a.provider, &a.key).await?;
    let (new, conn) = account_backup(ctx, &a.account)?;
    if new.session.as_str() == old.session.as_str() {
        return Err(CliError::Usage(format!(
            "the backup already holds account {}'s session",
            a.account
        ))
        .into());
    }
    // The same phrase seals the new backup; the key is derived again from it.
    let params = a.key.params()?;
    let key = derive(ctx, typed_phrase(ctx)?, params).await?;
    if key.key_id() != key_id {
        return Err(CliError::Usage("the phrase changed between the two readings".into()).into());
    }
    let message = tgback::backup::message(&new.seal(&key, &mut OsEntropy)?)?;
    store(&a.provider, &key_id, &message, Some(&conn)).await?;
    // Only now, with the new backup in place, the old session goes.
    let old_conn = backup_connection(&old)?;
    login::sign_out(&old_conn).await?;
    out::line(format!(
        "backup {key_id} now holds account {}'s session; the old session is signed out",
        a.account
    ))
}

async fn destroy(ctx: &Ctx, a: DestroyArgs) -> Result<()> {
    let (backup, key_id) = open_backup(ctx, &a.provider, &a.key).await?;
    if !a.yes {
        if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
            return Err(CliError::NotConfirmed(
                "destroying a backup signs its session out and cannot be undone: give --yes".into(),
            )
            .into());
        }
        eprint!("Sign the backed-up session out and delete backup {key_id}? Type yes: ");
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        if answer.trim() != "yes" {
            return Err(CliError::NotConfirmed("not confirmed; nothing changed".into()).into());
        }
    }
    let conn = backup_connection(&backup)?;
    match ProviderAddress::parse(&a.provider.provider)? {
        ProviderAddress::Telegram => {
            let owner = a
                .account
                .as_deref()
                .map(|n| ctx.accounts.connection(n))
                .transpose()?;
            backup_channel::destroy(&conn, owner.as_ref(), &key_id.to_string()).await?;
        }
        ProviderAddress::File(_) => {
            login::sign_out(&conn).await?;
            a.provider.provider()?.destroy(&key_id)?;
        }
    }
    out::line(format!(
        "destroyed backup {key_id}: its session is signed out"
    ))
}

async fn export(ctx: &Ctx, a: ExportArgs) -> Result<()> {
    // The phrase must open it: an export nobody can read back is worse than none.
    let (_, key_id) = open_backup(ctx, &a.provider, &a.key).await?;
    let provider = a.provider.provider()?;
    let capsule = provider
        .fetch(&key_id)?
        .into_iter()
        .next()
        .ok_or_else(|| tgback::Error::NotFound(String::new()))?;
    let message = tgback::backup::message(&capsule)?;
    let code = qrcode::QrCode::with_error_correction_level(message.as_bytes(), qrcode::EcLevel::L)
        .map_err(|e| anyhow::anyhow!("cannot make a QR code: {e}"))?;
    if let Some(path) = &a.qr_png {
        write_png(&code, path)?;
        ctx.note(format!("wrote {}", path.display()));
    }
    if a.qr {
        let text = code
            .render::<qrcode::render::unicode::Dense1x2>()
            .quiet_zone(true)
            .build();
        out::line(text)?;
    } else if a.qr_png.is_none() {
        out::line(&message)?;
    }
    Ok(())
}

/// Pixels per QR module in the PNG.
const PNG_SCALE: usize = 8;

fn write_png(code: &qrcode::QrCode, path: &std::path::Path) -> Result<()> {
    let quiet = 4;
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * quiet) * PNG_SCALE;
    let mut pixels = vec![255u8; side * side];
    for y in 0..modules {
        for x in 0..modules {
            if colors[y * modules + x] == qrcode::Color::Dark {
                for dy in 0..PNG_SCALE {
                    let row = ((y + quiet) * PNG_SCALE + dy) * side;
                    let start = row + (x + quiet) * PNG_SCALE;
                    pixels[start..start + PNG_SCALE].fill(0);
                }
            }
        }
    }
    let mut bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut bytes, side as u32, side as u32);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().context("cannot encode the PNG")?;
        w.write_image_data(&pixels)
            .context("cannot encode the PNG")?;
    }
    let mut pending = crate::output::PendingFile::create(path)?;
    std::io::Write::write_all(pending.file(), &bytes)
        .with_context(|| format!("cannot write {}", path.display()))?;
    pending.commit()
}
