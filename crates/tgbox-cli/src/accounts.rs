//! Telegram accounts of the home: one 0600 file per account under `accounts/`, holding the
//! API credentials, the session (our snapshot: auth keys per DC, home DC, the user), and a
//! login waiting for its code. Connections are made once per command and shared by its boxes;
//! what the session learnt (a key for another DC, a new home DC) is written back at the end.

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tgbox_telegram::login::{ApiCredentials, PendingLogin};
use tgbox_telegram::{AccountSession, ConnectOptions, Connection, SessionSnapshot};
use zeroize::Zeroize;

use crate::failure::CliError;
use crate::home::{Home, private_dir, write_private};

/// Checks an account name (the rules of box names: a safe file name, never an option).
pub fn check_account_name(name: &str) -> Result<()> {
    crate::home::check_box_name(name).map_err(|_| {
        CliError::Usage(format!(
            "{name:?} is not an account name: use 1 to 64 letters, digits, '.', '_' or '-', \
             not starting with '.' or '-'"
        ))
        .into()
    })
}

/// A login that waits for its code or password, kept between invocations.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Pending {
    /// The phone number.
    pub phone: String,
    /// Telegram's handle on the code.
    pub phone_code_hash: String,
    /// Digits in the code, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_length: Option<u32>,
    /// The code was accepted and the two-step password is next.
    #[serde(default)]
    pub password_needed: bool,
}

impl Pending {
    /// The library's form.
    pub fn login(&self) -> PendingLogin {
        PendingLogin {
            phone: self.phone.clone(),
            phone_code_hash: self.phone_code_hash.clone(),
            code_length: self.code_length,
        }
    }
}

/// `accounts/NAME.toml`.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AccountFile {
    /// The application's api_id.
    pub api_id: i32,
    /// The application's api_hash (32 hex digits).
    pub api_hash: String,
    /// The session snapshot, hex.
    pub session: String,
    /// The signed-in user, once signed in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i64>,
    /// A login in progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<Pending>,
}

impl Drop for AccountFile {
    fn drop(&mut self) {
        self.session.zeroize();
        self.api_hash.zeroize();
    }
}

impl std::fmt::Debug for AccountFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountFile")
            .field("api_id", &self.api_id)
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

impl AccountFile {
    /// A new account file for a session.
    pub fn new(api: &ApiCredentials, session: &AccountSession) -> Self {
        AccountFile {
            api_id: api.api_id,
            api_hash: api.api_hash().to_owned(),
            session: hex::encode(session.snapshot().as_bytes()),
            user_id: session.me().map(|m| m.id),
            pending: None,
        }
    }

    /// The stored session.
    pub fn session(&self) -> Result<AccountSession> {
        let bytes = hex::decode(&self.session)
            .map_err(|_| CliError::Integrity("the account's session is not hex".into()))?;
        Ok(AccountSession::restore(&SessionSnapshot::from_bytes(
            bytes,
        ))?)
    }

    /// Records the session's current state.
    pub fn set_session(&mut self, session: &AccountSession) {
        self.session.zeroize();
        self.session = hex::encode(session.snapshot().as_bytes());
        self.user_id = session.me().map(|m| m.id);
    }
}

struct Loaded {
    conn: Arc<Connection>,
    saved: u64,
}

/// The accounts of a home and the connections one command made.
pub struct Accounts {
    dir: PathBuf,
    open: Mutex<HashMap<String, Loaded>>,
}

impl Accounts {
    /// The accounts of `home`.
    pub fn new(home: &Home) -> Self {
        Accounts {
            dir: home.root().join("accounts"),
            open: Mutex::new(HashMap::new()),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.toml"))
    }

    /// Whether account `name` exists.
    pub fn exists(&self, name: &str) -> bool {
        self.path(name).is_file()
    }

    /// The names of every account, sorted.
    pub fn names(&self) -> Result<Vec<String>> {
        let mut out = Vec::new();
        match std::fs::read_dir(&self.dir) {
            Ok(rd) => {
                for e in rd {
                    let e = e.with_context(|| format!("cannot list {}", self.dir.display()))?;
                    let n = e.file_name().to_string_lossy().into_owned();
                    if let Some(stem) = n.strip_suffix(".toml")
                        && check_account_name(stem).is_ok()
                    {
                        out.push(stem.to_owned());
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("cannot list {}", self.dir.display())),
        }
        out.sort();
        Ok(out)
    }

    /// Reads account `name`.
    pub fn read(&self, name: &str) -> Result<AccountFile> {
        check_account_name(name)?;
        let path = self.path(name);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => zeroize::Zeroizing::new(t),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(CliError::NotFound(format!(
                    "there is no account named {name:?} (see `tgbox account list`; \
                     `tgbox account login {name}` adds it)"
                ))
                .into());
            }
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        toml::from_str(&text).map_err(|e| {
            CliError::Integrity(format!(
                "{} is not a tgbox account file: {e}",
                path.display()
            ))
            .into()
        })
    }

    /// Writes account `name` (0600, atomically).
    pub fn write(&self, name: &str, file: &AccountFile) -> Result<()> {
        private_dir(&self.dir)?;
        let text = zeroize::Zeroizing::new(
            toml::to_string_pretty(file).context("cannot write the account")?,
        );
        write_private(&self.path(name), text.as_bytes())
    }

    /// Removes account `name`'s file.
    pub fn remove(&self, name: &str) -> Result<()> {
        if let Ok(mut open) = self.open.lock() {
            open.remove(name);
        }
        let path = self.path(name);
        std::fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))
    }

    /// A connection for `file`'s session, made for this command.
    pub fn connect(session: AccountSession, api_id: i32) -> Arc<Connection> {
        Connection::new(Arc::new(session), ConnectOptions::new(api_id))
    }

    /// The connection of signed-in account `name` (made once per command).
    pub fn connection(&self, name: &str) -> Result<Arc<Connection>> {
        if let Some(l) = self
            .open
            .lock()
            .ok()
            .and_then(|o| o.get(name).map(|l| l.conn.clone()))
        {
            return Ok(l);
        }
        let file = self.read(name)?;
        if file.user_id.is_none() {
            return Err(CliError::Usage(format!(
                "account {name:?} is not signed in: finish `tgbox account login {name}`"
            ))
            .into());
        }
        let session = file.session()?;
        let saved = session.generation();
        let conn = Self::connect(session, file.api_id);
        if let Ok(mut open) = self.open.lock() {
            open.insert(
                name.to_owned(),
                Loaded {
                    conn: conn.clone(),
                    saved,
                },
            );
        }
        Ok(conn)
    }

    /// What a LocalBox of a box on account `name` keeps about the session
    /// (spec/tgbox-boxes.md §2.7): the Telethon StringSession and the API credentials, so the
    /// reference's tools can use the box too.
    pub fn session_info(&self, name: &str) -> Result<tgbox::SessionInfo> {
        let conn = self.connection(name)?;
        let file = self.read(name)?;
        let session = conn.session().to_string_session()?.ok_or_else(|| {
            CliError::Usage(format!("account {name:?} has no key: sign in again"))
        })?;
        let mut api_hash = [0u8; 16];
        hex::decode_to_slice(&file.api_hash, &mut api_hash)
            .map_err(|_| CliError::Integrity("the account's api hash is not hex".into()))?;
        Ok(tgbox::SessionInfo {
            session: session.encode(),
            api_id: i64::from(file.api_id),
            api_hash,
        })
    }

    /// Writes back the sessions that changed during this command.
    pub fn persist(&self) -> Result<()> {
        let changed: Vec<(String, Arc<Connection>)> = match self.open.lock() {
            Ok(open) => open
                .iter()
                .filter(|(_, l)| l.conn.session().generation() != l.saved)
                .map(|(n, l)| (n.clone(), l.conn.clone()))
                .collect(),
            Err(_) => Vec::new(),
        };
        for (name, conn) in changed {
            let mut file = self.read(&name)?;
            file.set_session(conn.session());
            self.write(&name, &file)?;
        }
        Ok(())
    }
}
