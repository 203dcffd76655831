//! Errors of the Telegram backend, and how Telegram's RPC errors map onto the channel seam.
//!
//! Telegram names its errors (`FLOOD_WAIT_31`, `MESSAGE_NOT_MODIFIED`, …); grammers splits the
//! number off (notes/grammers.md §7). [`channel_error`] turns each into the
//! [`ErrorKind`] the library reacts to, so `telegram:` fails the same way `local:` does
//! (spec/local-channel.md §7 uses Telegram's names on purpose).

use std::time::Duration;

use grammers_mtsender::{InvocationError, RpcError};
use tgbox::channel::{ChannelError, ErrorKind};

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong talking to Telegram, signing in, or handling a session.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Telegram refused the request.
    #[error("Telegram refused {method}: {code} {name}")]
    Rpc {
        /// The TL method.
        method: &'static str,
        /// Telegram's numeric class (400, 401, 403, 420, 500, …).
        code: i32,
        /// Telegram's error name with its number put back (`FLOOD_WAIT_31`).
        name: String,
    },
    /// A rate limit longer than this call may wait.
    #[error("Telegram asks to wait {} s before {method}", .wait.as_secs())]
    FloodWait {
        /// The TL method.
        method: &'static str,
        /// How long.
        wait: Duration,
    },
    /// The session's auth key is not (or no longer) signed in.
    #[error("the Telegram session is not signed in or was revoked ({0}): sign in again")]
    Unauthorized(String),
    /// The connection broke before an answer came.
    #[error("the connection to Telegram broke during {method}: {detail}")]
    ConnectionLost {
        /// The TL method.
        method: &'static str,
        /// What the transport said.
        detail: String,
    },
    /// No answer within the timeout.
    #[error("Telegram did not answer {method} within {} s", .after.as_secs())]
    Timeout {
        /// The TL method.
        method: &'static str,
        /// The timeout.
        after: Duration,
    },
    /// The answer was not what the method returns.
    #[error("unexpected answer to {method}: {detail}")]
    Unexpected {
        /// The TL method.
        method: &'static str,
        /// What was wrong with it.
        detail: String,
    },
    /// A session that cannot be used or stored.
    #[error("session: {0}")]
    Session(String),
    /// The login code was wrong.
    #[error("the login code is wrong")]
    InvalidCode,
    /// The login code expired; ask for a new one.
    #[error("the login code expired: ask for a new one")]
    CodeExpired,
    /// The two-step verification password was wrong.
    #[error("the password is wrong")]
    InvalidPassword,
    /// The phone number is not one Telegram accepts.
    #[error("Telegram does not accept this phone number")]
    InvalidPhone,
    /// The number has no account; tgbox does not create accounts.
    #[error("no Telegram account uses this phone number (sign up in a Telegram app first)")]
    SignUpRequired,
    /// A login step came out of order (e.g. a code with no pending login).
    #[error("{0}")]
    Login(String),
    /// A channel that is not where it should be or not what it should be.
    #[error(transparent)]
    Channel(#[from] ChannelError),
}

impl Error {
    /// The Telegram error name, when Telegram refused.
    pub fn rpc_name(&self) -> Option<&str> {
        match self {
            Error::Rpc { name, .. } => Some(name),
            _ => None,
        }
    }

    /// Whether this says the session is dead.
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, Error::Unauthorized(_))
    }
}

/// A failed invocation, before it is given meaning by its caller.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Telegram answered with an error.
    Rpc(RpcError),
    /// The connection dropped or could not be made.
    Lost(String),
    /// No answer in time.
    Timeout(Duration),
    /// Anything else (bad answer, session error).
    Other(String),
}

impl Failure {
    pub(crate) fn from_invocation(e: InvocationError) -> Failure {
        match e {
            InvocationError::Rpc(r) => Failure::Rpc(r),
            InvocationError::Io(e) => Failure::Lost(e.to_string()),
            InvocationError::Dropped(why) => Failure::Lost(why.to_owned()),
            InvocationError::Transport(t) => Failure::Lost(t.to_string()),
            other => Failure::Other(other.to_string()),
        }
    }

    /// Whether Telegram answered with this error name (`*` suffix matches a prefix).
    pub(crate) fn is(&self, name: &str) -> bool {
        match self {
            Failure::Rpc(r) => r.is(name),
            _ => false,
        }
    }

    /// The rate-limit wait, for 420 errors.
    pub(crate) fn flood_wait(&self) -> Option<Duration> {
        match self {
            Failure::Rpc(r) if r.code == 420 => {
                Some(Duration::from_secs(u64::from(r.value.unwrap_or(1))))
            }
            _ => None,
        }
    }

    /// Whether the auth key is not signed in (401).
    pub(crate) fn is_unauthorized(&self) -> bool {
        matches!(self, Failure::Rpc(r) if r.code == 401)
    }

    pub(crate) fn into_error(self, method: &'static str) -> Error {
        match self {
            Failure::Rpc(r) if r.code == 420 => Error::FloodWait {
                method,
                wait: Duration::from_secs(u64::from(r.value.unwrap_or(1))),
            },
            Failure::Rpc(r) if r.code == 401 => Error::Unauthorized(full_name(&r)),
            Failure::Rpc(r) => Error::Rpc {
                method,
                code: r.code,
                name: full_name(&r),
            },
            Failure::Lost(detail) => Error::ConnectionLost { method, detail },
            Failure::Timeout(after) => Error::Timeout { method, after },
            Failure::Other(detail) => Error::Unexpected { method, detail },
        }
    }
}

/// The error name with its number put back where Telegram had it (`FLOOD_WAIT_31`,
/// `FILE_MIGRATE_4`, `INTERDC_2_CALL_ERROR` is left as grammers gives it).
fn full_name(r: &RpcError) -> String {
    match r.value {
        Some(v) => format!("{}_{v}", r.name),
        None => r.name.clone(),
    }
}

/// The channel error for a failed request `method` (spec/local-channel.md §7 names).
pub(crate) fn channel_error(f: Failure, method: &'static str) -> ChannelError {
    let kind = match &f {
        Failure::Rpc(r) => match r.code {
            420 => return ChannelError::flood_wait(f.flood_wait().unwrap_or_default()),
            401 => ErrorKind::Unauthorized,
            c if !(0..500).contains(&c) => ErrorKind::ConnectionLost,
            _ => rpc_kind(r),
        },
        Failure::Lost(_) => ErrorKind::ConnectionLost,
        Failure::Timeout(_) => ErrorKind::Timeout,
        Failure::Other(_) => ErrorKind::Other,
    };
    let detail = f.into_error(method).to_string();
    ChannelError::new(kind, detail)
}

fn rpc_kind(r: &RpcError) -> ErrorKind {
    let n = r.name.as_str();
    match n {
        "MEDIA_CAPTION_TOO_LONG" => ErrorKind::CaptionTooLong,
        "CHAT_TITLE_EMPTY" => ErrorKind::TitleEmpty,
        "CHAT_TITLE_TOO_LONG" => ErrorKind::TitleTooLong,
        "CHAT_ABOUT_TOO_LONG" => ErrorKind::AboutTooLong,
        "MESSAGE_ID_INVALID" | "MESSAGE_EDIT_TIME_EXPIRED" => ErrorKind::MessageIdInvalid,
        "MESSAGE_NOT_MODIFIED" => ErrorKind::MessageNotModified,
        "CHAT_NOT_MODIFIED" => ErrorKind::TitleNotModified,
        "CHAT_ABOUT_NOT_MODIFIED" => ErrorKind::AboutNotModified,
        "CHANNEL_INVALID" | "CHANNEL_PRIVATE" | "CHAT_ID_INVALID" | "PEER_ID_INVALID" => {
            ErrorKind::ChannelInvalid
        }
        "CHAT_ADMIN_REQUIRED" | "CHAT_WRITE_FORBIDDEN" | "MESSAGE_AUTHOR_REQUIRED" => {
            ErrorKind::AdminRequired
        }
        _ if n.starts_with("FILE_REFERENCE_") => ErrorKind::FileReferenceExpired,
        _ if n.starts_with("FILE_PART")
            || n == "FILE_PARTS_INVALID"
            || n == "MD5_CHECKSUM_INVALID"
            || n == "PHOTO_INVALID"
            || n == "IMAGE_PROCESS_FAILED" =>
        {
            ErrorKind::FilePartsInvalid
        }
        _ => ErrorKind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rpc(code: i32, message: &str) -> Failure {
        Failure::Rpc(RpcError::from(grammers_tl_types::types::RpcError {
            error_code: code,
            error_message: message.into(),
        }))
    }

    #[test]
    fn telegram_names_map_onto_the_seam() {
        for (code, name, kind) in [
            (400, "MEDIA_CAPTION_TOO_LONG", ErrorKind::CaptionTooLong),
            (400, "MESSAGE_NOT_MODIFIED", ErrorKind::MessageNotModified),
            (400, "CHAT_NOT_MODIFIED", ErrorKind::TitleNotModified),
            (400, "CHAT_ABOUT_NOT_MODIFIED", ErrorKind::AboutNotModified),
            (400, "MESSAGE_ID_INVALID", ErrorKind::MessageIdInvalid),
            (
                400,
                "FILE_REFERENCE_EXPIRED",
                ErrorKind::FileReferenceExpired,
            ),
            (400, "FILE_PART_2_MISSING", ErrorKind::FilePartsInvalid),
            (400, "FILE_PARTS_INVALID", ErrorKind::FilePartsInvalid),
            (400, "CHANNEL_INVALID", ErrorKind::ChannelInvalid),
            (403, "CHAT_ADMIN_REQUIRED", ErrorKind::AdminRequired),
            (401, "AUTH_KEY_UNREGISTERED", ErrorKind::Unauthorized),
            (401, "SESSION_REVOKED", ErrorKind::Unauthorized),
            (500, "INTERNAL_SERVER_ERROR", ErrorKind::ConnectionLost),
            (400, "SOMETHING_NEW", ErrorKind::Other),
        ] {
            let e = channel_error(rpc(code, name), "test.method");
            assert_eq!(e.kind(), kind, "{name}");
            assert!(
                e.detail().contains(name.trim_end_matches("_2_MISSING")),
                "{e}"
            );
        }
    }

    #[test]
    fn flood_waits_carry_their_wait_whatever_the_name() {
        for name in ["FLOOD_WAIT_31", "FLOOD_PREMIUM_WAIT_7", "SLOWMODE_WAIT_3"] {
            let f = rpc(420, name);
            let wait = f.flood_wait().unwrap();
            let e = channel_error(f, "upload.saveBigFilePart");
            assert_eq!(e.kind(), ErrorKind::FloodWait);
            assert_eq!(e.retry_after(), Some(wait));
            assert!(e.is_retryable());
        }
        assert_eq!(
            rpc(420, "FLOOD_WAIT_31").flood_wait(),
            Some(Duration::from_secs(31))
        );
    }

    #[test]
    fn transport_failures_are_retryable_and_named() {
        let e = channel_error(Failure::Lost("read 0 bytes".into()), "upload.getFile");
        assert_eq!(e.kind(), ErrorKind::ConnectionLost);
        assert!(e.is_retryable());
        let t = channel_error(Failure::Timeout(Duration::from_secs(9)), "upload.getFile");
        assert_eq!(t.kind(), ErrorKind::Timeout);
        assert!(t.to_string().contains("upload.getFile"));
        let err = rpc(400, "FILE_MIGRATE_4").into_error("upload.getFile");
        assert_eq!(err.rpc_name(), Some("FILE_MIGRATE_4"));
    }
}
