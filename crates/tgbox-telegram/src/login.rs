//! Signing in to Telegram, split so that each step can be its own process (spec/tgbox-boxes.md
//! §4 `auth.*`; notes/grammers.md §2).
//!
//! grammers' `LoginToken` cannot be saved and its `request_login_code` panics on some answers,
//! so this module uses the raw calls: [`request_code`] returns a [`PendingLogin`] the caller
//! keeps (it holds no secret that signs in by itself), [`submit_code`] finishes or asks for the
//! two-step password, [`submit_password`] runs SRP. [`qr_login`] is the QR alternative. A
//! wrong code or password is its own error so the caller can ask again.

use std::fmt;

use grammers_tl_types as tl;
use zeroize::Zeroizing;

use crate::connection::{Connection, Lane};
use crate::error::{Error, Failure, Result};
use crate::session::SelfUser;

/// The application's API credentials (my.telegram.org). The hash is secret-ish: never logged.
pub struct ApiCredentials {
    /// api_id.
    pub api_id: i32,
    api_hash: Zeroizing<String>,
}

impl ApiCredentials {
    /// Credentials from an id and a 32-hex-digit hash.
    ///
    /// # Errors
    /// [`Error::Login`] for an id ≤ 0 or a hash that is not 32 hex digits.
    pub fn new(api_id: i32, api_hash: &str) -> Result<Self> {
        let h = api_hash.trim();
        if api_id <= 0 {
            return Err(Error::Login(format!("api id {api_id} is not positive")));
        }
        if h.len() != 32 || !h.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(Error::Login(
                "the api hash must be 32 hexadecimal digits (my.telegram.org)".into(),
            ));
        }
        Ok(ApiCredentials {
            api_id,
            api_hash: Zeroizing::new(h.to_ascii_lowercase()),
        })
    }

    /// The hash.
    pub fn api_hash(&self) -> &str {
        &self.api_hash
    }
}

impl fmt::Debug for ApiCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiCredentials")
            .field("api_id", &self.api_id)
            .field("api_hash", &"<redacted>")
            .finish()
    }
}

/// A login waiting for its code: what to keep between `login --phone` and `login --code`.
#[derive(Clone, PartialEq, Eq)]
pub struct PendingLogin {
    /// The phone number as given.
    pub phone: String,
    /// Telegram's handle on the sent code.
    pub phone_code_hash: String,
    /// How many digits the code has, when Telegram said.
    pub code_length: Option<u32>,
}

impl fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingLogin")
            .field("phone", &"<redacted>")
            .field("code_length", &self.code_length)
            .finish_non_exhaustive()
    }
}

/// Where a sign-in stands after the code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignIn {
    /// Signed in.
    Done(SelfUser),
    /// The account has two-step verification: call [`submit_password`].
    PasswordNeeded {
        /// The password hint the user set, if any.
        hint: Option<String>,
    },
}

fn user_of(a: tl::enums::auth::Authorization) -> Result<SelfUser> {
    match a {
        tl::enums::auth::Authorization::Authorization(a) => match a.user {
            tl::enums::User::User(u) => Ok(SelfUser {
                id: u.id,
                premium: u.premium,
            }),
            tl::enums::User::Empty(_) => Err(Error::Unexpected {
                method: "auth.signIn",
                detail: "an empty user".into(),
            }),
        },
        tl::enums::auth::Authorization::SignUpRequired(_) => Err(Error::SignUpRequired),
    }
}

fn signed_in(conn: &Connection, me: SelfUser) -> SelfUser {
    conn.session().set_me(Some(me));
    me
}

/// Telegram moves a phone to its home DC with `PHONE_MIGRATE_X` (303): switch and reconnect.
async fn migrate(conn: &Connection, f: &Failure) -> bool {
    if let Failure::Rpc(r) = f
        && r.code == 303
        && let Some(dc) = r.value
    {
        use grammers_session::Session;
        let _ = conn.session().set_home_dc_id(dc as i32).await;
        conn.reconnect();
        return true;
    }
    false
}

/// Asks Telegram to send a login code to `phone`.
///
/// # Errors
/// [`Error::InvalidPhone`], [`Error::FloodWait`], transport errors.
pub async fn request_code(
    conn: &Connection,
    phone: &str,
    api: &ApiCredentials,
) -> Result<PendingLogin> {
    let req = tl::functions::auth::SendCode {
        phone_number: phone.to_owned(),
        api_id: api.api_id,
        api_hash: api.api_hash().to_owned(),
        settings: tl::enums::CodeSettings::Settings(tl::types::CodeSettings {
            allow_flashcall: false,
            current_number: false,
            allow_app_hash: false,
            allow_missed_call: false,
            allow_firebase: false,
            unknown_number: false,
            logout_tokens: None,
            token: None,
            app_sandbox: None,
        }),
    };
    let mut tries = 0;
    let sent = loop {
        match conn.invoke(Lane::Main, &req).await {
            Ok(s) => break s,
            Err(f) if tries == 0 && migrate(conn, &f).await => tries += 1,
            Err(f) if f.is("PHONE_NUMBER_INVALID") || f.is("PHONE_NUMBER_BANNED") => {
                return Err(Error::InvalidPhone);
            }
            Err(f) => return Err(f.into_error("auth.sendCode")),
        }
    };
    match sent {
        tl::enums::auth::SentCode::Code(c) => Ok(PendingLogin {
            phone: phone.to_owned(),
            phone_code_hash: c.phone_code_hash,
            code_length: match c.r#type {
                tl::enums::auth::SentCodeType::App(a) => u32::try_from(a.length).ok(),
                tl::enums::auth::SentCodeType::Sms(a) => u32::try_from(a.length).ok(),
                _ => None,
            },
        }),
        tl::enums::auth::SentCode::Success(s) => {
            let me = user_of(s.authorization)?;
            signed_in(conn, me);
            Err(Error::Login(
                "Telegram signed this session in without a code".into(),
            ))
        }
        tl::enums::auth::SentCode::PaymentRequired(_) => Err(Error::Login(
            "Telegram asks for a payment before sending a code to this number; \
             sign in with a QR code instead (tgbox account login --qr)"
                .into(),
        )),
    }
}

/// Signs in with the code Telegram sent.
///
/// # Errors
/// [`Error::InvalidCode`] (ask again), [`Error::CodeExpired`], [`Error::SignUpRequired`],
/// transport errors.
pub async fn submit_code(conn: &Connection, pending: &PendingLogin, code: &str) -> Result<SignIn> {
    let code: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    let req = tl::functions::auth::SignIn {
        phone_number: pending.phone.clone(),
        phone_code_hash: pending.phone_code_hash.clone(),
        phone_code: Some(code),
        email_verification: None,
    };
    match conn.invoke(Lane::Main, &req).await {
        Ok(a) => Ok(SignIn::Done(signed_in(conn, user_of(a)?))),
        Err(f) if f.is("SESSION_PASSWORD_NEEDED") => {
            let pw = password_params(conn).await?;
            Ok(SignIn::PasswordNeeded { hint: pw.hint })
        }
        Err(f) if f.is("PHONE_CODE_INVALID") || f.is("PHONE_CODE_EMPTY") => Err(Error::InvalidCode),
        Err(f) if f.is("PHONE_CODE_EXPIRED") => Err(Error::CodeExpired),
        Err(f) => Err(f.into_error("auth.signIn")),
    }
}

async fn password_params(conn: &Connection) -> Result<tl::types::account::Password> {
    let tl::enums::account::Password::Password(pw) = conn
        .invoke(Lane::Main, &tl::functions::account::GetPassword {})
        .await
        .map_err(|f| f.into_error("account.getPassword"))?;
    Ok(pw)
}

/// Finishes a sign-in with the two-step verification password (SRP: the password never
/// leaves this machine).
///
/// # Errors
/// [`Error::InvalidPassword`] (ask again), [`Error::Login`] when the account has no password
/// or Telegram's SRP parameters fail the safety checks, transport errors.
pub async fn submit_password(conn: &Connection, password: &[u8]) -> Result<SelfUser> {
    let pw = password_params(conn).await?;
    let (
        Some(tl::enums::PasswordKdfAlgo::Sha256Sha256Pbkdf2Hmacsha512iter100000Sha256ModPow(algo)),
        Some(srp_b),
        Some(srp_id),
    ) = (pw.current_algo, pw.srp_b, pw.srp_id)
    else {
        return Err(Error::Login("this account has no two-step password".into()));
    };
    // grammers panics on a g outside 2..=7: refuse it first.
    if !(2..=7).contains(&algo.g)
        || !grammers_crypto::two_factor_auth::check_p_and_g(&algo.p, &algo.g)
    {
        return Err(Error::Login(
            "Telegram's password parameters failed the safety check; not sending a proof".into(),
        ));
    }
    let mut a = Zeroizing::new(vec![0u8; 256]);
    getrandom::fill(&mut a).map_err(|e| Error::Login(format!("OS random source: {e}")))?;
    let (m1, g_a) = grammers_crypto::two_factor_auth::calculate_2fa(
        &algo.salt1,
        &algo.salt2,
        &algo.p,
        &algo.g,
        srp_b,
        a.to_vec(),
        password,
    );
    let req = tl::functions::auth::CheckPassword {
        password: tl::enums::InputCheckPasswordSrp::Srp(tl::types::InputCheckPasswordSrp {
            srp_id,
            a: g_a.to_vec(),
            m1: m1.to_vec(),
        }),
    };
    match conn.invoke(Lane::Main, &req).await {
        Ok(a) => Ok(signed_in(conn, user_of(a)?)),
        Err(f) if f.is("PASSWORD_HASH_INVALID") => Err(Error::InvalidPassword),
        Err(f) => Err(f.into_error("auth.checkPassword")),
    }
}

/// Where a QR login stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QrState {
    /// Show this `tg://login?token=…` link as a QR code until `expires` (Unix seconds), then
    /// call [`qr_login`] again: it answers [`QrState::Done`] once an app scanned it.
    Show {
        /// The link to encode.
        url: String,
        /// When it stops working.
        expires: i64,
    },
    /// Signed in.
    Done(SelfUser),
    /// Scanned, and the account has two-step verification: call [`submit_password`].
    PasswordNeeded,
}

/// One step of a QR login (`auth.exportLoginToken`, spec/tgbox-boxes.md §4; the flow of
/// notes/grammers.md §2), following a `MigrateTo` to the account's DC.
///
/// # Errors
/// Transport errors.
pub async fn qr_login(conn: &Connection, api: &ApiCredentials) -> Result<QrState> {
    let req = tl::functions::auth::ExportLoginToken {
        api_id: api.api_id,
        api_hash: api.api_hash().to_owned(),
        except_ids: Vec::new(),
    };
    let answer = match conn.invoke(Lane::Main, &req).await {
        Ok(a) => a,
        Err(f) if f.is("SESSION_PASSWORD_NEEDED") => return Ok(QrState::PasswordNeeded),
        Err(f) => return Err(f.into_error("auth.exportLoginToken")),
    };
    let answer = match answer {
        tl::enums::auth::LoginToken::MigrateTo(m) => {
            use grammers_session::Session;
            let _ = conn.session().set_home_dc_id(m.dc_id).await;
            conn.reconnect();
            match conn
                .invoke(
                    Lane::Main,
                    &tl::functions::auth::ImportLoginToken { token: m.token },
                )
                .await
            {
                Ok(a) => a,
                Err(f) if f.is("SESSION_PASSWORD_NEEDED") => return Ok(QrState::PasswordNeeded),
                Err(f) => return Err(f.into_error("auth.importLoginToken")),
            }
        }
        other => other,
    };
    match answer {
        tl::enums::auth::LoginToken::Token(t) => Ok(QrState::Show {
            url: format!(
                "tg://login?token={}",
                tgbox_core::b64::encode(&t.token).trim_end_matches('=')
            ),
            expires: i64::from(t.expires),
        }),
        tl::enums::auth::LoginToken::Success(s) => {
            Ok(QrState::Done(signed_in(conn, user_of(s.authorization)?)))
        }
        tl::enums::auth::LoginToken::MigrateTo(_) => Err(Error::Unexpected {
            method: "auth.importLoginToken",
            detail: "a second migration".into(),
        }),
    }
}

/// The signed-in user, or `None` when the session is not (or no longer) signed in: a cheap
/// "is this session alive" check.
///
/// # Errors
/// Transport errors (never for a dead session).
pub async fn whoami(conn: &Connection) -> Result<Option<SelfUser>> {
    match conn
        .invoke(
            Lane::Main,
            &tl::functions::users::GetUsers {
                id: vec![tl::enums::InputUser::UserSelf],
            },
        )
        .await
    {
        Ok(users) => Ok(users.into_iter().find_map(|u| match u {
            tl::enums::User::User(u) => Some(signed_in(
                conn,
                SelfUser {
                    id: u.id,
                    premium: u.premium,
                },
            )),
            tl::enums::User::Empty(_) => None,
        })),
        Err(f) if f.is_unauthorized() => Ok(None),
        Err(f) => Err(f.into_error("users.getUsers")),
    }
}

/// Signs this session out (`auth.logOut`) and forgets its keys: a logged-out key is useless
/// and must not be reused (notes/grammers.md §2).
///
/// # Errors
/// Transport errors; the keys are forgotten only once Telegram confirmed (or the key was
/// already dead).
pub async fn sign_out(conn: &Connection) -> Result<()> {
    log_out_only(conn).await?;
    conn.session().wipe_keys();
    conn.reconnect();
    Ok(())
}

/// `auth.logOut`, keeping the key so that the caller can prove it dead with it.
pub(crate) async fn log_out_only(conn: &Connection) -> Result<()> {
    match conn
        .invoke(Lane::Main, &tl::functions::auth::LogOut {})
        .await
    {
        Ok(_) => Ok(()),
        Err(f) if f.is_unauthorized() => Ok(()),
        Err(f) => Err(f.into_error("auth.logOut")),
    }
}

/// One signed-in session of the account, as `account.getAuthorizations` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authorization {
    /// Its handle for [`terminate`]; 0 for the current one.
    pub hash: i64,
    /// Whether it is this session.
    pub current: bool,
    /// Device model.
    pub device: String,
    /// Platform.
    pub platform: String,
    /// Application name and version.
    pub app: String,
    /// The application's api_id.
    pub api_id: i32,
    /// Unix seconds of creation.
    pub created: i64,
    /// Unix seconds of last activity.
    pub active: i64,
    /// Last IP address.
    pub ip: String,
    /// Country.
    pub country: String,
}

/// Every session of the account.
///
/// # Errors
/// [`Error::Unauthorized`], transport errors.
pub async fn authorizations(conn: &Connection) -> Result<Vec<Authorization>> {
    let tl::enums::account::Authorizations::Authorizations(a) = conn
        .invoke(Lane::Main, &tl::functions::account::GetAuthorizations {})
        .await
        .map_err(|f| f.into_error("account.getAuthorizations"))?;
    Ok(a.authorizations
        .into_iter()
        .map(|tl::enums::Authorization::Authorization(x)| Authorization {
            hash: x.hash,
            current: x.current,
            device: x.device_model,
            platform: x.platform,
            app: format!("{} {}", x.app_name, x.app_version),
            api_id: x.api_id,
            created: i64::from(x.date_created),
            active: i64::from(x.date_active),
            ip: x.ip,
            country: x.country,
        })
        .collect())
}

/// Ends another session of the account.
///
/// # Errors
/// [`Error::Rpc`] `FRESH_RESET_AUTHORISATION_FORBIDDEN` while this session is under a day
/// old; transport errors.
pub async fn terminate(conn: &Connection, hash: i64) -> Result<()> {
    if hash == 0 {
        return Err(Error::Login(
            "that is this session: sign out instead".into(),
        ));
    }
    conn.invoke(
        Lane::Main,
        &tl::functions::account::ResetAuthorization { hash },
    )
    .await
    .map_err(|f| f.into_error("account.resetAuthorization"))?;
    Ok(())
}
