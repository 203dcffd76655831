//! `tgbox raw`: offline tools for single box files, for disaster recovery (decrypt a document
//! saved by hand from Telegram) and for tests outside the project.

mod channel;

use crate::output::PendingFile;
use crate::scrypt_args::ScryptArgs;
use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Subcommand};
use serde_json::{Map, Value, json};
use std::{
    fs::File,
    io::{BufReader, Write},
    path::{Path, PathBuf},
};
use tgbox_core::{
    AnyKey, Attributes, BaseKey, BoxSalt, Key, MainKey, OsEntropy, Phrase,
    boxfile::{self, BoxFileHeader, KeyRef, NewFile},
};
use zeroize::Zeroizing;

/// Read size of the streaming decryptor.
const CHUNK: usize = 512 * 1024;

#[derive(Debug, Subcommand)]
pub enum RawCommand {
    /// Derive the BaseKey from a phrase (and the MainKey of a box), printed one per line.
    Key(KeyArgs),
    /// Encrypt a file into a v1.8 box file.
    Encrypt(EncryptArgs),
    /// Decrypt a box file; the plaintext is written only once its tag verified.
    Decrypt(DecryptArgs),
    /// Print a box file's public metadata as JSON (no key needed).
    Inspect(InspectArgs),
    /// Work on a channel directly: post, read, edit and delete documents, edit the header
    /// (ciphertext only, no keys).
    #[command(subcommand)]
    Channel(channel::ChannelCommand),
}

#[derive(Debug, Args)]
pub struct KeyArgs {
    /// File holding the phrase (one trailing line ending is ignored)
    #[arg(long, value_name = "F")]
    phrase_file: PathBuf,
    /// The box's BoxSalt (base64url, from the channel description); also prints the MainKey
    // base64url may begin with "-": taken as the value, not an option.
    #[arg(long, value_name = "B64URL", allow_hyphen_values = true)]
    box_salt: Option<String>,
    #[command(flatten)]
    scrypt: ScryptArgs,
}

#[derive(Debug, Args)]
pub struct EncryptArgs {
    /// The box's MainKey (M…)
    #[arg(long, value_name = "MKEY")]
    key: String,
    /// The box's BoxSalt (base64url)
    // base64url may begin with "-": taken as the value, not an option.
    #[arg(long, value_name = "B64URL", allow_hyphen_values = true)]
    box_salt: String,
    /// Directory of the file inside the box
    #[arg(long, value_name = "/DIR")]
    path: String,
    /// File name in the box [default: IN's name]
    #[arg(long)]
    name: Option<String>,
    /// MIME type to record [default: none]
    #[arg(long, default_value = "")]
    mime: String,
    /// Custom attribute, repeatable; keys must be ASCII
    #[arg(long = "cattr", value_name = "K=V")]
    cattrs: Vec<String>,
    /// Plaintext input
    input: PathBuf,
    /// Box file to write
    output: PathBuf,
}

#[derive(Debug, Args)]
pub struct DecryptArgs {
    /// MainKey (M…), BaseKey (B…), FileKey (F…), DirectoryKey (D…) or ImportKey (I…)
    #[arg(long)]
    key: String,
    /// The message caption, if the file's metadata was edited
    #[arg(long, value_name = "TEXT")]
    caption: Option<String>,
    /// Box file to read
    input: PathBuf,
    /// Plaintext to write
    output: PathBuf,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Box file to read
    input: PathBuf,
}

pub fn run(cmd: RawCommand) -> Result<()> {
    match cmd {
        RawCommand::Key(a) => key(&a),
        RawCommand::Encrypt(a) => encrypt(&a),
        RawCommand::Decrypt(a) => decrypt(&a),
        RawCommand::Inspect(a) => inspect(&a),
        RawCommand::Channel(c) => channel::run(c),
    }
}

fn read_phrase(path: &Path) -> Result<Phrase> {
    let mut raw = Zeroizing::new(
        std::fs::read(path)
            .with_context(|| format!("cannot read the phrase file {}", path.display()))?,
    );
    for ending in [&b"\r\n"[..], b"\n"] {
        if raw.ends_with(ending) {
            let len = raw.len() - ending.len();
            raw.truncate(len);
            break;
        }
    }
    if raw.is_empty() {
        bail!("the phrase file {} is empty", path.display());
    }
    Ok(Phrase::from_bytes(raw.to_vec()))
}

fn key(a: &KeyArgs) -> Result<()> {
    let params = a.scrypt.params()?;
    let box_salt = a
        .box_salt
        .as_deref()
        .map(BoxSalt::from_b64)
        .transpose()
        .context("--box-salt")?;
    let phrase = read_phrase(&a.phrase_file)?;
    let base = BaseKey::derive(phrase.expose_secret(), &params)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", &*base.encode())?;
    if let Some(salt) = box_salt {
        writeln!(out, "{}", &*MainKey::derive(&base, &salt).encode())?;
    }
    Ok(())
}

fn parse_cattrs(list: &[String]) -> Result<Attributes> {
    let mut out = Attributes::new();
    for item in list {
        let (k, v) = item
            .split_once('=')
            .ok_or_else(|| anyhow!("--cattr {item:?} is not K=V"))?;
        if k.is_empty() || !k.is_ascii() {
            bail!("--cattr key {k:?} must be non-empty ASCII");
        }
        out.set(k, v.as_bytes());
    }
    Ok(out)
}

fn encrypt(a: &EncryptArgs) -> Result<()> {
    let mainkey = MainKey::decode(&a.key).context("--key")?;
    let box_salt = BoxSalt::from_b64(&a.box_salt).context("--box-salt")?;
    let cattrs = parse_cattrs(&a.cattrs)?;
    let name = match &a.name {
        Some(n) => n.clone(),
        None => a
            .input
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| anyhow!("{} has no UTF-8 file name; give --name", a.input.display()))?
            .to_owned(),
    };
    let input =
        File::open(&a.input).with_context(|| format!("cannot open {}", a.input.display()))?;
    let size = input.metadata()?.len();
    let file = NewFile {
        dir: &a.path,
        name: &name,
        size,
        mime: &a.mime,
        preview: &[],
        duration: 0,
        cattrs: &cattrs,
    };
    let prepared = boxfile::prepare(
        &mainkey,
        &box_salt,
        &file,
        &Default::default(),
        &mut OsEntropy,
    )?;
    let mut out = PendingFile::create(&a.output)?;
    prepared
        .encrypt_stream(
            BufReader::with_capacity(CHUNK, input),
            std::io::BufWriter::with_capacity(CHUNK, out.file()),
        )
        .with_context(|| format!("cannot encrypt {}", a.input.display()))?;
    out.commit()
}

fn decrypt(a: &DecryptArgs) -> Result<()> {
    let key = AnyKey::decode(&a.key).context("--key")?;
    let key_ref = match &key {
        AnyKey::Main(k) => KeyRef::Main(k),
        AnyKey::Base(k) => KeyRef::Base(k),
        AnyKey::File(k) => KeyRef::File(k),
        AnyKey::Directory(k) => KeyRef::Directory(k),
        AnyKey::Import(k) => KeyRef::Import(k),
        other => bail!("--key: a {} cannot decrypt a file", other.type_name()),
    };
    let mut input = BufReader::with_capacity(
        CHUNK,
        File::open(&a.input).with_context(|| format!("cannot open {}", a.input.display()))?,
    );
    let header = BoxFileHeader::read_from(&mut input, boxfile::METADATA_MAX)?;
    let mut file = header.decrypt(key_ref)?;
    let derived_main = match &key {
        AnyKey::Base(b) => Some(MainKey::derive(b, &header.box_salt)),
        _ => None,
    };
    let mainkey = match &key {
        AnyKey::Main(m) => Some(m),
        _ => derived_main.as_ref(),
    };
    if let Some(caption) = &a.caption {
        file.apply_caption(caption, mainkey).context("--caption")?;
    }
    let mut out = PendingFile::create(&a.output)?;
    // The plaintext goes to the 0600 temporary file and is renamed into place only once the
    // tag verified (commit); on any error the temporary file is removed.
    let verified = file.decrypt_stream(&mut input, out.file())?;
    out.commit()?;
    let info = &file.info;
    let report = json!({
        "file_name": info.name,
        "file_path": info.dir,
        "file_size": info.size,
        "mime": info.mime,
        "cattrs": attrs_json(&info.cattrs),
        "minor_version": header.minor_version,
        "has_hmac": file.has_hmac(),
        "tag_verified": verified.tag_checked,
    });
    println!("{report}");
    Ok(())
}

/// Attribute values as text when they are UTF-8, else as `{"hex": …}`.
fn attrs_json(attrs: &Attributes) -> Value {
    let mut map = Map::new();
    for (k, v) in attrs.iter() {
        let value = match std::str::from_utf8(v) {
            Ok(s) => Value::String(s.to_owned()),
            Err(_) => json!({ "hex": hex::encode(v) }),
        };
        map.insert(k.to_owned(), value);
    }
    Value::Object(map)
}

fn inspect(a: &InspectArgs) -> Result<()> {
    let file =
        File::open(&a.input).with_context(|| format!("cannot open {}", a.input.display()))?;
    let len = file.metadata()?.len();
    let header = BoxFileHeader::read_from(BufReader::new(file), boxfile::METADATA_MAX)?;
    let keys: Vec<&str> = header.public.keys().collect();
    let report = json!({
        "document_size": len,
        "metadata_size": header.metadata_size,
        "minor_version": header.minor_version,
        "box_salt": header.box_salt.to_b64(),
        "file_salt": header.file_salt.to_b64(),
        "file_iv": hex::encode(header.file_iv),
        "file_fingerprint": header.fingerprint.as_ref().map(hex::encode),
        "payload_offset": header.payload_offset(),
        "public_keys": keys,
    });
    println!("{report}");
    Ok(())
}
