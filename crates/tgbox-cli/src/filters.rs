//! Search options as flags, turned into the library's `SearchFilter`: every flag given must
//! match (AND), a repeated flag matches any of its values (OR), `--exclude-*` drops what
//! matches. Bad values (a size that is not a size, a tag without `=`, a regex that does not
//! compile) are usage errors before anything is searched.

use anyhow::Result;
use clap::Args;
use tgbox::{Criteria, SearchFilter};

use crate::failure::CliError;

/// The filter flags of `tgbox file search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// The name contains S (or matches it, with --regex); repeatable
    #[arg(long, value_name = "S")]
    name: Vec<String>,
    /// The directory contains S; repeatable
    #[arg(long, value_name = "S")]
    path: Vec<String>,
    /// Only under this directory of the box (and its subdirectories); repeatable
    #[arg(long, value_name = "/DIR")]
    scope: Vec<String>,
    /// The MIME type contains S; repeatable
    #[arg(long, value_name = "S")]
    mime: Vec<String>,
    /// At least N bytes (suffixes K, M, G, T: powers of 1024; KB, MB, GB, TB: of 1000)
    #[arg(long, value_name = "N")]
    min_size: Option<String>,
    /// At most N bytes (same suffixes)
    #[arg(long, value_name = "N")]
    max_size: Option<String>,
    /// Has tag k with a value containing v (k= : has tag k); repeatable, all must hold
    #[arg(long = "tag", value_name = "K=V")]
    tags: Vec<String>,
    /// Only these file ids; repeatable
    #[arg(long, value_name = "ID")]
    id: Vec<i64>,
    /// Only files imported from another box
    #[arg(long, conflicts_with = "own")]
    imported: bool,
    /// Only the box's own files
    #[arg(long)]
    own: bool,
    /// Text values are regular expressions
    #[arg(long)]
    regex: bool,
    /// Drop files whose name contains S; repeatable
    #[arg(long, value_name = "S")]
    exclude_name: Vec<String>,
    /// Drop files whose directory contains S; repeatable
    #[arg(long, value_name = "S")]
    exclude_path: Vec<String>,
    /// Drop files whose MIME type contains S; repeatable
    #[arg(long, value_name = "S")]
    exclude_mime: Vec<String>,
}

/// `k=v` as its two halves; the key must not be empty.
pub fn parse_tag(text: &str) -> Result<(String, String)> {
    match text.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(CliError::Usage(format!("tag {text:?}: expected k=v")).into()),
    }
}

/// A size: digits with an optional unit (`10`, `1.5M`, `2GB`, `512KiB`).
pub fn parse_size(text: &str) -> Result<u64> {
    let bad = || {
        CliError::Usage(format!(
            "{text:?} is not a size: use a number of bytes, optionally with K, M, G, T \
             (1024-based) or KB, MB, GB, TB (1000-based)"
        ))
    };
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let mult: f64 = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1.0,
        "K" | "KIB" => 1024.0,
        "M" | "MIB" => 1024f64.powi(2),
        "G" | "GIB" => 1024f64.powi(3),
        "T" | "TIB" => 1024f64.powi(4),
        "KB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "TB" => 1e12,
        _ => return Err(bad().into()),
    };
    if num.is_empty() || num.matches('.').count() > 1 {
        return Err(bad().into());
    }
    if !num.contains('.') && mult == 1.0 {
        return num.parse().map_err(|_| bad().into());
    }
    let v: f64 = num.parse().map_err(|_| bad())?;
    let bytes = (v * mult).round();
    if !bytes.is_finite() || bytes > u64::MAX as f64 {
        return Err(bad().into());
    }
    Ok(bytes as u64)
}

impl SearchArgs {
    /// The library's filter for these flags.
    pub fn to_filter(&self) -> Result<SearchFilter> {
        let mut include = Criteria {
            file_name: self.name.clone(),
            file_path: self.path.clone(),
            mime: self.mime.clone(),
            id: self.id.clone(),
            regex: self.regex,
            ..Criteria::default()
        };
        for s in &self.scope {
            include.scope.push(tgbox_core::paths::normalize_dir(s)?);
        }
        include.min_size = self.min_size.as_deref().map(parse_size).transpose()?;
        include.max_size = self.max_size.as_deref().map(parse_size).transpose()?;
        for t in &self.tags {
            let (k, v) = parse_tag(t)?;
            include.cattrs.push(vec![(k, v.into_bytes())]);
        }
        if self.imported {
            include.imported = Some(true);
        } else if self.own {
            include.imported = Some(false);
        }
        let exclude = Criteria {
            file_name: self.exclude_name.clone(),
            file_path: self.exclude_path.clone(),
            mime: self.exclude_mime.clone(),
            regex: self.regex,
            ..Criteria::default()
        };
        let filter = SearchFilter { include, exclude };
        // Compile now, so a bad pattern is a usage error with the flag's name.
        filter.validate()?;
        Ok(filter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("0").unwrap(), 0);
        assert_eq!(parse_size("1234").unwrap(), 1234);
        assert_eq!(parse_size("1K").unwrap(), 1024);
        assert_eq!(parse_size("1.5M").unwrap(), 1_572_864);
        assert_eq!(parse_size("2GB").unwrap(), 2_000_000_000);
        assert_eq!(parse_size("512KiB").unwrap(), 524_288);
        assert_eq!(parse_size("18446744073709551615").unwrap(), u64::MAX);
        for bad in [
            "",
            "abc",
            "-1",
            "1.2.3",
            "5X",
            "M",
            "1e9",
            "99999999999999999999",
        ] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tags() {
        assert_eq!(parse_tag("a=b").unwrap(), ("a".into(), "b".into()));
        assert_eq!(parse_tag("a=").unwrap(), ("a".into(), String::new()));
        assert_eq!(parse_tag("a=b=c").unwrap(), ("a".into(), "b=c".into()));
        assert!(parse_tag("=b").is_err());
        assert!(parse_tag("ab").is_err());
    }
}
