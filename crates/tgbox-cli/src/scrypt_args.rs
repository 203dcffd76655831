//! The scrypt options shared by every command that derives a key from a phrase.

use anyhow::Result;

use crate::failure::CliError;
use clap::Args;
use tgbox_core::{ScryptParams, keys::DEFAULT_SCRYPT_SALT};

/// scrypt's cost: the same options and defaults (N=2^20, r=8, p=1) for boxes and backups.
#[derive(Debug, Args)]
pub struct ScryptCost {
    /// scrypt N, a power of two
    #[arg(long, value_name = "N", default_value_t = 1 << 20)]
    pub scrypt_n: u64,
    /// scrypt r
    #[arg(long, value_name = "R", default_value_t = 8)]
    pub scrypt_r: u32,
    /// scrypt p
    #[arg(long, value_name = "P", default_value_t = 1)]
    pub scrypt_p: u32,
}

/// scrypt parameters of a box; the defaults are the reference's (its fixed salt).
#[derive(Debug, Args)]
pub struct ScryptArgs {
    /// scrypt salt as hex [default: the reference's global salt]
    #[arg(long, value_name = "HEX")]
    scrypt_salt: Option<String>,
    #[command(flatten)]
    cost: ScryptCost,
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
            self.cost.scrypt_n,
            self.cost.scrypt_r,
            self.cost.scrypt_p,
            32,
        )?)
    }
}
