//! Where a phrase comes from: `--phrase-file F` (or `TGBOX_PHRASE_FILE`, a path: the phrase
//! itself never goes into the environment), a hidden prompt on the terminal, or — for a new box
//! only — a fresh one from the OS random source.

use anyhow::{Context, Result};
use std::io::IsTerminal;
use std::path::Path;
use tgbox_core::{BaseKey, OsEntropy, Phrase, ScryptParams};
use zeroize::Zeroizing;

use crate::failure::CliError;

/// Words in a generated phrase. Eight words of 2048 is 88 bits, above the reference's six.
pub const GENERATED_WORDS: usize = 8;

/// The phrase in a file: its bytes, with one trailing line ending removed.
pub fn from_file(path: &Path) -> Result<Phrase> {
    let mut bytes = Zeroizing::new(
        std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?,
    );
    let len = bytes.len();
    if bytes.ends_with(b"\r\n") {
        bytes.truncate(len - 2);
    } else if bytes.ends_with(b"\n") {
        bytes.truncate(len - 1);
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(CliError::Usage(format!("{} holds no phrase", path.display())).into());
    }
    Ok(Phrase::from_bytes(bytes.to_vec()))
}

/// Asks for the phrase of box `name` on the terminal, without echo.
pub fn prompt(name: &str) -> Result<Phrase> {
    if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        return Err(CliError::Locked(name.to_owned()).into());
    }
    let text = Zeroizing::new(
        rpassword::prompt_password(format!("Phrase of box {name}: "))
            .context("cannot read the phrase from the terminal")?,
    );
    if text.trim().is_empty() {
        return Err(CliError::Usage("an empty phrase opens nothing".into()).into());
    }
    Ok(Phrase::from_text(&text))
}

/// The phrase from `file` when given, else from the terminal.
pub fn obtain(file: Option<&Path>, name: &str) -> Result<Phrase> {
    match file {
        Some(f) => from_file(f),
        None => prompt(name),
    }
}

/// A new phrase of [`GENERATED_WORDS`] words.
pub fn generate() -> Result<Phrase> {
    Ok(Phrase::generate(GENERATED_WORDS, &mut OsEntropy)?)
}

/// Derives the BaseKey on a blocking thread (scrypt takes seconds and 1 GiB at the defaults),
/// showing a spinner meanwhile.
pub async fn derive(phrase: Phrase, params: ScryptParams, quiet: bool) -> Result<BaseKey> {
    let spinner =
        crate::progress::Spinner::start(quiet, "deriving the key from the phrase (scrypt)");
    let key = tokio::task::spawn_blocking(move || BaseKey::derive(phrase.expose_secret(), &params))
        .await
        .context("the key derivation thread failed")??;
    spinner.finish();
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("p");
        for (content, want) in [
            ("a b c\n", "a b c"),
            ("a b c\r\n", "a b c"),
            ("a b c", "a b c"),
            (" a b c \n\n", " a b c \n"),
        ] {
            std::fs::write(&p, content).unwrap();
            assert_eq!(from_file(&p).unwrap().expose_secret(), want.as_bytes());
        }
        std::fs::write(&p, "\n").unwrap();
        assert!(from_file(&p).is_err());
        assert!(from_file(&dir.path().join("missing")).is_err());
    }

    #[test]
    fn generated_phrases_differ() {
        let a = generate().unwrap();
        let b = generate().unwrap();
        assert_eq!(
            a.expose_secret().split(|&c| c == b' ').count(),
            GENERATED_WORDS
        );
        assert_ne!(a.expose_secret(), b.expose_secret());
    }
}
