//! `tgbox account`: sign in to Telegram (phone and code, two-step password, QR code, or an
//! existing Telethon session), list and choose accounts, sign out, and see or end the
//! account's other sessions.
//!
//! A phone login can be split across invocations for scripts: `login NAME --phone P` sends the
//! code and keeps the pending login in the account file; `login NAME --code C` finishes it,
//! and `login NAME --password-file F` gives the two-step password when one is set. At a
//! terminal one invocation asks for each in turn, and a wrong code or password is asked again.

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use serde_json::json;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tgbox_core::session::StringSession;
use tgbox_telegram::login::{self, ApiCredentials, QrState, SignIn};
use tgbox_telegram::{AccountSession, Connection, SelfUser};
use zeroize::Zeroizing;

use crate::accounts::{AccountFile, Accounts, Pending, check_account_name};
use crate::context::Ctx;
use crate::failure::CliError;
use crate::out;

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Sign in to Telegram as a named account (phone and code, --qr, or --session-file)
    Login(LoginArgs),
    /// List the accounts of this home
    List(JsonArg),
    /// Choose the account telegram boxes use when none is named
    Use(NameArg),
    /// Sign an account out of Telegram and forget it here
    Logout(LogoutArgs),
    /// List the account's sessions on Telegram, or end one of them
    Sessions(SessionsArgs),
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// A name for the account on this machine
    name: String,
    /// The application's api_id (https://my.telegram.org)
    #[arg(long, env = "TGBOX_API_ID", value_name = "N")]
    api_id: Option<i32>,
    /// The application's api_hash (32 hex digits)
    #[arg(
        long,
        env = "TGBOX_API_HASH",
        value_name = "HASH",
        hide_env_values = true
    )]
    api_hash: Option<String>,
    /// The phone number to send a login code to
    #[arg(long, value_name = "PHONE", conflicts_with_all = ["code", "qr", "session_file"])]
    phone: Option<String>,
    /// The login code Telegram sent (finishes a `--phone` login)
    #[arg(long, value_name = "CODE", conflicts_with_all = ["qr", "session_file"])]
    code: Option<String>,
    /// Read the two-step verification password from this file
    #[arg(long, value_name = "F")]
    password_file: Option<PathBuf>,
    /// Sign in by scanning a QR code with Telegram on another device
    #[arg(long, conflicts_with = "session_file")]
    qr: bool,
    /// Use an existing signed-in Telethon StringSession read from this file
    #[arg(long, value_name = "F")]
    session_file: Option<PathBuf>,
    /// Start from this (not signed in) StringSession instead of a new key (tests)
    #[arg(long, value_name = "F", hide = true)]
    seed_session_file: Option<PathBuf>,
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
    /// The account's name
    name: String,
}

#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// The account's name
    name: String,
    /// Do not ask for confirmation
    #[arg(long, short)]
    yes: bool,
}

#[derive(Debug, Args)]
pub struct SessionsArgs {
    /// The account [default: the one in use]
    name: Option<String>,
    /// End the session with this hash (from the list)
    #[arg(long, value_name = "HASH", allow_hyphen_values = true)]
    terminate: Option<i64>,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

/// Runs an account command.
pub async fn run(ctx: &Ctx, cmd: AccountCommand) -> Result<()> {
    match cmd {
        AccountCommand::Login(a) => login_cmd(ctx, a).await,
        AccountCommand::List(a) => list(ctx, a),
        AccountCommand::Use(a) => use_account(ctx, &a.name),
        AccountCommand::Logout(a) => logout(ctx, a).await,
        AccountCommand::Sessions(a) => sessions(ctx, a).await,
    }
}

fn read_secret_file(path: &std::path::Path, what: &str) -> Result<Zeroizing<String>> {
    let text = Zeroizing::new(
        std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the {what} file {}", path.display()))?,
    );
    Ok(Zeroizing::new(
        text.strip_suffix('\n')
            .map(|t| t.strip_suffix('\r').unwrap_or(t))
            .unwrap_or(&text)
            .to_owned(),
    ))
}

fn credentials(ctx: &Ctx, a: &LoginArgs, existing: Option<&AccountFile>) -> Result<ApiCredentials> {
    let id = a
        .api_id
        .or(ctx.config.api_id)
        .or(existing.map(|f| f.api_id));
    let hash = a
        .api_hash
        .clone()
        .or_else(|| ctx.config.api_hash.clone())
        .or_else(|| existing.map(|f| f.api_hash.clone()));
    match (id, hash) {
        (Some(id), Some(hash)) => {
            ApiCredentials::new(id, &hash).map_err(|e| CliError::Usage(e.to_string()).into())
        }
        _ => Err(CliError::Usage(
            "Telegram needs the application's api id and hash: give --api-id and --api-hash \
             (or TGBOX_API_ID and TGBOX_API_HASH, or api_id/api_hash in config.toml); get them \
             at https://my.telegram.org"
                .into(),
        )
        .into()),
    }
}

fn terminal() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

fn ask(prompt: &str) -> Result<String> {
    eprint!("{prompt}");
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("cannot read the answer")?;
    Ok(line.trim().to_owned())
}

struct Login<'a> {
    ctx: &'a Ctx,
    name: &'a str,
    api: ApiCredentials,
    conn: Arc<Connection>,
    pending: Option<Pending>,
}

impl Login<'_> {
    /// Saves the session and the pending state after every step, so that nothing Telegram
    /// gave (a new key, a home DC, a code hash) is lost if the next step fails.
    fn save(&self) -> Result<()> {
        let mut file = AccountFile::new(&self.api, self.conn.session());
        file.pending = self.pending.clone();
        self.ctx.accounts.write(self.name, &file)
    }

    fn finished(&mut self, me: SelfUser, json: bool) -> Result<()> {
        self.pending = None;
        self.save()?;
        let current = self.ctx.home.update(|c| {
            if c.current_account.is_none() {
                c.current_account = Some(self.name.to_owned());
            }
            Ok(c.current_account.clone())
        })?;
        if json {
            return out::json(&json!({
                "account": self.name,
                "user_id": me.id,
                "premium": me.premium,
                "current": current.as_deref() == Some(self.name),
            }));
        }
        out::line(format!(
            "signed in as user {} (account {})",
            me.id, self.name
        ))
    }

    async fn password(
        &mut self,
        file: Option<&PathBuf>,
        hint: Option<String>,
        json: bool,
    ) -> Result<()> {
        if let Some(f) = file {
            let pw = read_secret_file(f, "password")?;
            let me = login::submit_password(&self.conn, pw.as_bytes()).await?;
            return self.finished(me, json);
        }
        if !terminal() {
            if let Some(p) = self.pending.as_mut() {
                p.password_needed = true;
            }
            self.save()?;
            return Err(CliError::Usage(format!(
                "this account has a two-step password{}: finish with `tgbox account login {} \
                 --password-file F`",
                hint.map(|h| format!(" (hint: {h})")).unwrap_or_default(),
                self.name
            ))
            .into());
        }
        for attempt in 1..=3 {
            let prompt = match &hint {
                Some(h) => format!("Two-step password (hint: {h}): "),
                None => "Two-step password: ".to_owned(),
            };
            let pw = Zeroizing::new(
                rpassword::prompt_password(prompt).context("cannot read the password")?,
            );
            match login::submit_password(&self.conn, pw.as_bytes()).await {
                Ok(me) => return self.finished(me, json),
                Err(tgbox_telegram::Error::InvalidPassword) if attempt < 3 => {
                    eprintln!("wrong password; try again");
                }
                Err(e) => return Err(e.into()),
            }
        }
        unreachable!("the loop returns on its last attempt")
    }

    async fn code(&mut self, given: Option<String>, a: &LoginArgs) -> Result<()> {
        let Some(pending) = self.pending.clone() else {
            return Err(CliError::Usage(format!(
                "no login is waiting for a code: start with `tgbox account login {} --phone P`",
                self.name
            ))
            .into());
        };
        let mut given = given;
        for attempt in 1..=3 {
            let code = match given.take() {
                Some(c) => c,
                None => ask(&format!(
                    "Login code sent to your Telegram app{}: ",
                    pending
                        .code_length
                        .map(|n| format!(" ({n} digits)"))
                        .unwrap_or_default()
                ))?,
            };
            match login::submit_code(&self.conn, &pending.login(), &code).await {
                Ok(SignIn::Done(me)) => return self.finished(me, a.json),
                Ok(SignIn::PasswordNeeded { hint }) => {
                    return self.password(a.password_file.as_ref(), hint, a.json).await;
                }
                Err(tgbox_telegram::Error::InvalidCode) if attempt < 3 && terminal() => {
                    eprintln!("wrong code; try again");
                }
                Err(e @ tgbox_telegram::Error::CodeExpired) => {
                    self.pending = None;
                    self.save()?;
                    return Err(e.into());
                }
                Err(e) => {
                    self.save()?;
                    return Err(e.into());
                }
            }
        }
        unreachable!("the loop returns on its last attempt")
    }

    async fn qr(&mut self, json: bool, password_file: Option<&PathBuf>) -> Result<()> {
        let deadline = std::time::Instant::now() + Duration::from_secs(300);
        let mut shown = String::new();
        while std::time::Instant::now() < deadline {
            match login::qr_login(&self.conn, &self.api).await? {
                QrState::Done(me) => return self.finished(me, json),
                QrState::PasswordNeeded => {
                    self.save()?;
                    return self.password(password_file, None, json).await;
                }
                QrState::Show { url, .. } => {
                    if url != shown {
                        let code = qrcode::QrCode::new(url.as_bytes())
                            .map_err(|e| anyhow::anyhow!("cannot make a QR code: {e}"))?;
                        let art = code
                            .render::<qrcode::render::unicode::Dense1x2>()
                            .quiet_zone(true)
                            .build();
                        eprintln!(
                            "{art}\nScan with Telegram on your phone: Settings > Devices > Link \
                             Desktop Device (or open {url})"
                        );
                        shown = url;
                    }
                    self.save()?;
                    tokio::time::sleep(Duration::from_secs(2)).await;
                }
            }
        }
        Err(CliError::Usage("the QR code was not scanned within 5 minutes".into()).into())
    }
}

async fn login_cmd(ctx: &Ctx, a: LoginArgs) -> Result<()> {
    check_account_name(&a.name)?;
    let existing = if ctx.accounts.exists(&a.name) {
        Some(ctx.accounts.read(&a.name)?)
    } else {
        None
    };
    if let Some(f) = &existing
        && f.user_id.is_some()
        && f.pending.is_none()
    {
        return Err(CliError::Conflict(format!(
            "account {:?} is signed in already (`tgbox account logout {}` first)",
            a.name, a.name
        ))
        .into());
    }
    let api = credentials(ctx, &a, existing.as_ref())?;
    let continuing = a.code.is_some() || (a.password_file.is_some() && a.phone.is_none() && !a.qr);
    let session = if let Some(f) = &a.session_file {
        let text = read_secret_file(f, "session")?;
        AccountSession::from_string_session(&StringSession::parse(&text)?)
    } else if continuing {
        existing
            .as_ref()
            .map(AccountFile::session)
            .transpose()?
            .ok_or_else(|| {
                CliError::Usage(format!(
                    "no login of {:?} is in progress: start with --phone",
                    a.name
                ))
            })?
    } else if let Some(f) = &a.seed_session_file {
        let text = read_secret_file(f, "session")?;
        AccountSession::from_string_session(&StringSession::parse(&text)?)
    } else {
        AccountSession::new()
    };
    let conn = Accounts::connect(session, api.api_id);
    let mut l = Login {
        ctx,
        name: &a.name,
        api,
        conn,
        pending: if continuing {
            existing.as_ref().and_then(|f| f.pending.clone())
        } else {
            None
        },
    };
    if a.session_file.is_some() {
        return match login::whoami(&l.conn).await? {
            Some(me) => l.finished(me, a.json),
            None => Err(CliError::Usage(
                "that session is not signed in (or was revoked); sign in with --phone or --qr"
                    .into(),
            )
            .into()),
        };
    }
    if a.qr {
        return l.qr(a.json, a.password_file.as_ref()).await;
    }
    if a.code.is_some() {
        return l.code(a.code.clone(), &a).await;
    }
    if continuing {
        if !l.pending.as_ref().is_some_and(|p| p.password_needed) {
            return Err(CliError::Usage(
                "no login is waiting for a password: start with --phone".into(),
            )
            .into());
        }
        return l.password(a.password_file.as_ref(), None, a.json).await;
    }
    let phone = match &a.phone {
        Some(p) => p.clone(),
        None if terminal() => ask("Phone number (international format, e.g. +44 7700 900123): ")?,
        None => {
            return Err(CliError::Usage(
                "give --phone P, --qr or --session-file F (no terminal to ask)".into(),
            )
            .into());
        }
    };
    let pending = login::request_code(&l.conn, &phone, &l.api).await?;
    l.pending = Some(Pending {
        phone: pending.phone.clone(),
        phone_code_hash: pending.phone_code_hash.clone(),
        code_length: pending.code_length,
        password_needed: false,
    });
    l.save()?;
    if terminal() {
        return l.code(None, &a).await;
    }
    if a.json {
        return out::json(
            &json!({"account": a.name, "code_sent": true, "code_length": pending.code_length}),
        );
    }
    out::line(format!(
        "a login code was sent to your Telegram app; finish with `tgbox account login {} --code CODE`",
        a.name
    ))
}

fn list(ctx: &Ctx, a: JsonArg) -> Result<()> {
    let current = ctx.home.config()?.current_account;
    let mut rows = Vec::new();
    for name in ctx.accounts.names()? {
        let f = ctx.accounts.read(&name)?;
        let state = match (&f.user_id, &f.pending) {
            (_, Some(p)) if p.password_needed => "waiting for the password",
            (_, Some(_)) => "waiting for the code",
            (Some(_), None) => "signed in",
            (None, None) => "not signed in",
        };
        rows.push((name, f.user_id, f.api_id, state));
    }
    if a.json {
        let items: Vec<_> = rows
            .iter()
            .map(|(name, user, api_id, state)| {
                json!({
                    "name": name,
                    "user_id": user,
                    "api_id": api_id,
                    "state": state,
                    "current": current.as_deref() == Some(name.as_str()),
                })
            })
            .collect();
        return out::json(&items);
    }
    if rows.is_empty() {
        return out::line("no accounts; `tgbox account login NAME` adds one");
    }
    for (name, user, _, state) in rows {
        let mark = if current.as_deref() == Some(name.as_str()) {
            "*"
        } else {
            " "
        };
        let user = user.map(|u| format!("user {u}")).unwrap_or_default();
        out::line(format!("{mark} {name}  {state}  {user}").trim_end())?;
    }
    Ok(())
}

fn use_account(ctx: &Ctx, name: &str) -> Result<()> {
    ctx.accounts.read(name)?;
    ctx.home.update(|c| {
        c.current_account = Some(name.to_owned());
        Ok(())
    })?;
    out::line(format!("using account {name}"))
}

async fn logout(ctx: &Ctx, a: LogoutArgs) -> Result<()> {
    let file = ctx.accounts.read(&a.name)?;
    if !a.yes {
        if !std::io::stdin().is_terminal() {
            return Err(CliError::NotConfirmed(format!(
                "signing {} out of Telegram cannot be undone: give --yes to confirm",
                a.name
            ))
            .into());
        }
        let answer = ask(&format!(
            "Signing account {} out of Telegram cannot be undone. Type its name to confirm: ",
            a.name
        ))?;
        if answer != a.name {
            return Err(CliError::NotConfirmed("not confirmed; still signed in".into()).into());
        }
    }
    if file.user_id.is_some() {
        let conn = Accounts::connect(file.session()?, file.api_id);
        login::sign_out(&conn).await?;
    }
    ctx.accounts.remove(&a.name)?;
    let boxes: Vec<String> = ctx.home.update(|c| {
        if c.current_account.as_deref() == Some(a.name.as_str()) {
            c.current_account = None;
        }
        Ok(c.boxes
            .iter()
            .filter(|(_, e)| e.account.as_deref() == Some(a.name.as_str()))
            .map(|(n, _)| n.clone())
            .collect())
    })?;
    if !boxes.is_empty() {
        ctx.note(format!(
            "box(es) {} reach their channel through {}: sign in again under that name to use them",
            boxes.join(", "),
            a.name
        ));
    }
    out::line(format!("signed out and forgot account {}", a.name))
}

async fn sessions(ctx: &Ctx, a: SessionsArgs) -> Result<()> {
    let name = ctx
        .account_for(a.name.as_deref())
        .ok_or_else(|| CliError::Usage("no account in use: give its name".into()))?
        .to_owned();
    let conn = ctx.accounts.connection(&name)?;
    if let Some(hash) = a.terminate {
        login::terminate(&conn, hash).await?;
        return out::line(format!("ended session {hash}"));
    }
    let list = login::authorizations(&conn).await?;
    if a.json {
        let items: Vec<_> = list
            .iter()
            .map(|s| {
                json!({
                    "hash": s.hash, "current": s.current, "device": s.device,
                    "platform": s.platform, "app": s.app, "api_id": s.api_id,
                    "created": s.created, "active": s.active, "ip": s.ip, "country": s.country,
                })
            })
            .collect();
        return out::json(&items);
    }
    for s in &list {
        out::line(format!(
            "{} {:>20}  {}  {} ({})  {}",
            if s.current { "*" } else { " " },
            s.hash,
            s.app,
            s.device,
            s.platform,
            s.ip
        ))?;
    }
    Ok(())
}
