//! The scrypt options shared by every command that derives a key from a phrase.

use anyhow::Result;

use crate::failure::CliError;
use clap::Args;
use tgbox_core::{ScryptParams, keys::DEFAULT_SCRYPT_SALT};

/// scrypt parameters; the defaults are the reference's (N=2^20, r=8, p=1, its fixed salt).
#[derive(Debug, Args)]
pub struct ScryptArgs {
    /// scrypt salt as hex [default: the reference's global salt]
    #[arg(long, value_name = "HEX")]
    scrypt_salt: Option<String>,
    /// scrypt N, a power of two
    #[arg(long, value_name = "N", default_value_t = 1 << 20)]
    scrypt_n: u64,
    /// scrypt r
    #[arg(long, value_name = "R", default_value_t = 8)]
    scrypt_r: u32,
    /// scrypt p
    #[arg(long, value_name = "P", default_value_t = 1)]
    scrypt_p: u32,
}

impl ScryptArgs {
    /// The parameters, checked.
    pub fn params(&self) -> Result<ScryptParams> {
        let salt = match &self.scrypt_salt {
            Some(h) => hex::decode(h.trim())
                .map_err(|_| CliError::Usage("--scrypt-salt is not hex".into()))?,
            None => DEFAULT_SCRYPT_SALT.to_vec(),
        };
        Ok(ScryptParams::new(
            salt,
            self.scrypt_n,
            self.scrypt_r,
            self.scrypt_p,
            32,
        )?)
    }
}
