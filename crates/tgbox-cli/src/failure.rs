//! What went wrong, for a person: every error becomes one line on stderr, an optional hint, and
//! an exit code that says which kind of failure it was, so scripts can tell a wrong phrase from
//! a missing file or an unreachable channel.

use tgbox::channel::ChannelError;

/// The exit codes of `tgbox` (also listed in `tgbox --help`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Any other failure.
    Failure = 1,
    /// Bad arguments or input: a malformed key, filter, name or path.
    Usage = 2,
    /// No such box, file or directory.
    NotFound = 3,
    /// Wrong phrase, locked box, or a key that does not open what it should.
    Access = 4,
    /// The channel is unreachable or refused the request.
    Channel = 5,
    /// Data failed a check: tampered, truncated, not a box, not a box file.
    Integrity = 6,
    /// A local file could not be read or written.
    LocalIo = 7,
    /// Something already exists where a new thing was to go.
    Conflict = 8,
    /// Stopped by Ctrl-C; the work can be resumed by running the command again.
    Interrupted = 130,
}

/// The table printed under `tgbox --help`.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0    success
  1    any other failure
  2    bad arguments or input (a malformed key, filter, name or path)
  3    no such box, file or directory
  4    wrong phrase, locked box, or a key that does not open it
  5    the channel is unreachable or refused
  6    data failed a check (tampered, truncated, not a box)
  7    a local file could not be read or written
  8    something already exists there
  130  interrupted (run the same command again to resume)";

/// Errors of the command line itself (the library's own are classified from `tgbox::Error`).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A box name that the home does not know.
    #[error("there is no box named {0:?} (see `tgbox box list`)")]
    UnknownBox(String),
    /// No box chosen and none current.
    #[error("no box is in use: give `--in-box NAME` or run `tgbox box use NAME`")]
    NoCurrentBox,
    /// A box of this name is known already.
    #[error("a box named {0:?} exists already")]
    BoxExists(String),
    /// No key cached and no way to ask for the phrase.
    #[error(
        "box {0:?} is locked and there is no terminal to ask for its phrase: \
         give --phrase-file F (or TGBOX_PHRASE_FILE)"
    )]
    Locked(String),
    /// Bad input caught by the CLI.
    #[error("{0}")]
    Usage(String),
    /// A session or key that no longer opens what it should.
    #[error("{0}")]
    Access(String),
    /// Something not found, caught by the CLI.
    #[error("{0}")]
    NotFound(String),
    /// A destructive command without confirmation.
    #[error("{0}")]
    NotConfirmed(String),
    /// Something exists where a new thing was to go.
    #[error("{0}")]
    Conflict(String),
    /// A check found damage it could not repair.
    #[error("{0}")]
    Integrity(String),
    /// Ctrl-C.
    #[error("interrupted; run the same command again to resume")]
    Interrupted,
    /// A command that failed for some of its items, each already reported.
    #[error("{failed} of {total} failed")]
    Partial {
        /// Items that failed.
        failed: usize,
        /// Items in all.
        total: usize,
        /// The exit code of the first failure.
        exit: Exit,
    },
}

/// The exit code and an optional hint for an error.
pub fn classify(err: &anyhow::Error) -> (Exit, Option<&'static str>) {
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<CliError>() {
            return cli(e);
        }
        if let Some(e) = cause.downcast_ref::<tgbox::Error>() {
            return library(e);
        }
        if let Some(e) = cause.downcast_ref::<tgback::Error>() {
            return backup(e);
        }
        if let Some(e) = cause.downcast_ref::<tgbox_core::Error>() {
            return (core(e), None);
        }
        if let Some(e) = cause.downcast_ref::<ChannelError>() {
            return channel(e);
        }
        if let Some(e) = cause.downcast_ref::<tgbox_telegram::Error>() {
            return telegram(e);
        }
        if cause.downcast_ref::<std::io::Error>().is_some() {
            return (Exit::LocalIo, None);
        }
    }
    (Exit::Failure, None)
}

fn cli(e: &CliError) -> (Exit, Option<&'static str>) {
    match e {
        CliError::UnknownBox(_) => (Exit::NotFound, None),
        CliError::NoCurrentBox => (Exit::Usage, None),
        CliError::BoxExists(_) | CliError::Conflict(_) => (Exit::Conflict, None),
        CliError::Locked(_) => (Exit::Access, None),
        CliError::Access(_) => (Exit::Access, None),
        CliError::Usage(_) | CliError::NotConfirmed(_) => (Exit::Usage, None),
        CliError::NotFound(_) => (Exit::NotFound, None),
        CliError::Interrupted => (Exit::Interrupted, None),
        CliError::Integrity(_) => (Exit::Integrity, None),
        CliError::Partial { exit, .. } => (*exit, None),
    }
}

fn library(e: &tgbox::Error) -> (Exit, Option<&'static str>) {
    use tgbox::Error as E;
    match e {
        E::Channel(c) => channel(c),
        E::Protocol(p) => (core(p), None),
        E::WrongPhrase => (
            Exit::Access,
            Some("check the phrase; a box made with custom scrypt options needs the same ones"),
        ),
        E::WrongShareKey => (
            Exit::Access,
            Some("a ShareKey answers one RequestKey: ask the owner for a key made for yours"),
        ),
        E::NotABox(_) | E::NotABoxFile(_) | E::ChannelMismatch { .. } => (Exit::Integrity, None),
        E::LocalBox { .. } => (Exit::Integrity, None),
        E::FingerprintExists(_) => (
            Exit::Conflict,
            Some("rename or move the file in the box first, or upload under another name"),
        ),
        E::NoSuchFile(_) => (Exit::NotFound, Some("`tgbox file list` shows the ids")),
        E::Io { .. } => (Exit::LocalIo, None),
        E::InvalidInput(_) => (Exit::Usage, None),
        _ => (Exit::Failure, None),
    }
}

fn backup(e: &tgback::Error) -> (Exit, Option<&'static str>) {
    use tgback::Error as E;
    match e {
        E::NotFound(_) | E::WrongKeyOrTampered => (
            Exit::Access,
            Some("the phrase must be exact; a backup made with XQt also needs --birthday"),
        ),
        E::Corrupt(_) | E::UnsupportedProtocol(_) => (Exit::Integrity, None),
        E::InvalidInput(_) => (Exit::Usage, None),
        E::Network(_) => (Exit::Channel, None),
        E::Core(c) => (core(c), None),
        E::Io { .. } => (Exit::LocalIo, None),
        _ => (Exit::Failure, None),
    }
}

fn core(e: &tgbox_core::Error) -> Exit {
    use tgbox_core::Error as E;
    match e {
        E::KeyText(_)
        | E::WrongKeyType { .. }
        | E::KeyLength { .. }
        | E::InvalidPoint
        | E::InvalidScalar
        | E::NonAsciiKey(_)
        | E::InvalidPath { .. }
        | E::ScryptParams(_)
        | E::TooLarge { .. }
        | E::RestrictedField(_) => Exit::Usage,
        E::Io(_) => Exit::LocalIo,
        E::ScryptMemory(_) | E::Entropy => Exit::Failure,
        _ => Exit::Integrity,
    }
}

const SIGN_IN_AGAIN: &str =
    "the Telegram session was revoked or signed out: `tgbox account login NAME` again";

fn telegram(e: &tgbox_telegram::Error) -> (Exit, Option<&'static str>) {
    use tgbox_telegram::Error as E;
    match e {
        E::InvalidCode | E::CodeExpired | E::InvalidPassword => (Exit::Access, None),
        E::Unauthorized(_) => (Exit::Access, Some(SIGN_IN_AGAIN)),
        E::InvalidPhone | E::Login(_) => (Exit::Usage, None),
        E::SignUpRequired => (Exit::NotFound, None),
        E::Session(_) => (Exit::Integrity, None),
        E::Channel(c) => channel(c),
        _ => (Exit::Channel, None),
    }
}

fn channel(e: &ChannelError) -> (Exit, Option<&'static str>) {
    use tgbox::channel::ErrorKind as K;
    match e.kind() {
        K::Unauthorized => (Exit::Access, Some(SIGN_IN_AGAIN)),
        K::DirNotEmpty => (
            Exit::Conflict,
            Some("a new local: channel needs an empty or missing directory"),
        ),
        K::TitleEmpty | K::TitleTooLong | K::AboutTooLong | K::CaptionTooLong => {
            (Exit::Usage, None)
        }
        K::Corrupt | K::VersionUnsupported => (Exit::Integrity, None),
        K::Io => (Exit::LocalIo, None),
        _ => (Exit::Channel, None),
    }
}
