//! Telegram's limits on what a channel stores, and the checks every backend applies.
//!
//! spec/local-channel.md §7 and spec/tgbox-boxes.md §3.10: text lengths are counted in UTF-16
//! code units (Telegram's unit); documents are 1 byte to 4000 (8000 with Premium) parts of
//! 512 KiB. The same checks run in `local:` and `memory:` so that a box built offline behaves
//! the same once moved to Telegram.

use super::error::{ChannelError, ErrorKind, Result};

const MIB: u64 = 1024 * 1024;

/// Largest caption of a default account, in UTF-16 code units.
pub const CAPTION_MAX: usize = 1024;
/// Largest caption of a Premium account, in UTF-16 code units.
pub const CAPTION_MAX_PREMIUM: usize = 2048;
/// Largest document of a default account: 4000 parts of 512 KiB.
pub const DOCUMENT_MAX: u64 = 2000 * MIB;
/// Largest document of a Premium account: 8000 parts of 512 KiB.
pub const DOCUMENT_MAX_PREMIUM: u64 = 4000 * MIB;
/// Largest channel title, in UTF-16 code units.
pub const TITLE_MAX: usize = 128;
/// Largest channel description, in UTF-16 code units.
pub const ABOUT_MAX: usize = 255;
/// Largest byte range one [`Channel::read_document`](super::Channel::read_document) call may
/// ask for (Telegram's `upload.getFile` limit).
pub const READ_MAX: usize = MIB as usize;

/// The limits a channel enforces for its writers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Whether these are the Premium limits.
    pub premium: bool,
    /// Largest caption, in UTF-16 code units.
    pub caption_max: usize,
    /// Largest document, in bytes.
    pub document_max: u64,
    /// Largest title, in UTF-16 code units.
    pub title_max: usize,
    /// Largest description, in UTF-16 code units.
    pub about_max: usize,
}

impl Limits {
    /// The limits of a default (`premium = false`) or Premium account.
    pub fn for_account(premium: bool) -> Self {
        Limits {
            premium,
            caption_max: if premium {
                CAPTION_MAX_PREMIUM
            } else {
                CAPTION_MAX
            },
            document_max: if premium {
                DOCUMENT_MAX_PREMIUM
            } else {
                DOCUMENT_MAX
            },
            title_max: TITLE_MAX,
            about_max: ABOUT_MAX,
        }
    }

    /// Checks a caption's length.
    ///
    /// # Errors
    /// [`ErrorKind::CaptionTooLong`] past [`Limits::caption_max`].
    pub fn check_caption(&self, caption: &str) -> Result<()> {
        let len = utf16_len(caption);
        if len > self.caption_max {
            return Err(ChannelError::new(
                ErrorKind::CaptionTooLong,
                format!(
                    "caption of {len} UTF-16 units, the limit is {}",
                    self.caption_max
                ),
            ));
        }
        Ok(())
    }

    /// Checks a document's size.
    ///
    /// # Errors
    /// [`ErrorKind::FilePartsInvalid`] for an empty document or one over
    /// [`Limits::document_max`].
    pub fn check_document_size(&self, size: u64) -> Result<()> {
        if size == 0 {
            return Err(ChannelError::new(
                ErrorKind::FilePartsInvalid,
                "empty document",
            ));
        }
        if size > self.document_max {
            return Err(ChannelError::new(
                ErrorKind::FilePartsInvalid,
                format!(
                    "document of {size} bytes, the limit is {}",
                    self.document_max
                ),
            ));
        }
        Ok(())
    }

    /// Checks a channel title.
    ///
    /// # Errors
    /// [`ErrorKind::TitleEmpty`] for an empty or all-white-space title,
    /// [`ErrorKind::TitleTooLong`] past [`Limits::title_max`].
    pub fn check_title(&self, title: &str) -> Result<()> {
        if title.trim().is_empty() {
            return Err(ChannelError::new(
                ErrorKind::TitleEmpty,
                "the title is empty",
            ));
        }
        let len = utf16_len(title);
        if len > self.title_max {
            return Err(ChannelError::new(
                ErrorKind::TitleTooLong,
                format!(
                    "title of {len} UTF-16 units, the limit is {}",
                    self.title_max
                ),
            ));
        }
        Ok(())
    }

    /// Checks a channel description.
    ///
    /// # Errors
    /// [`ErrorKind::AboutTooLong`] past [`Limits::about_max`].
    pub fn check_about(&self, about: &str) -> Result<()> {
        let len = utf16_len(about);
        if len > self.about_max {
            return Err(ChannelError::new(
                ErrorKind::AboutTooLong,
                format!(
                    "description of {len} UTF-16 units, the limit is {}",
                    self.about_max
                ),
            ));
        }
        Ok(())
    }
}

/// Length of `text` in UTF-16 code units, Telegram's unit for text limits.
pub fn utf16_len(text: &str) -> usize {
    text.chars().map(char::len_utf16).sum()
}

/// Checks a read request against [`READ_MAX`].
pub(crate) fn check_read_len(len: usize) -> Result<()> {
    if len > READ_MAX {
        return Err(ChannelError::new(
            ErrorKind::InvalidArgument,
            format!("a read of {len} bytes, the most one request may ask is {READ_MAX}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_counts_surrogate_pairs_twice() {
        assert_eq!(utf16_len("abc"), 3);
        assert_eq!(utf16_len("é"), 1);
        assert_eq!(utf16_len("😀"), 2);
    }

    #[test]
    fn caption_limit_is_in_utf16_units() {
        let l = Limits::for_account(false);
        assert!(l.check_caption(&"a".repeat(1024)).is_ok());
        assert_eq!(
            l.check_caption(&"a".repeat(1025)).unwrap_err().kind(),
            ErrorKind::CaptionTooLong
        );
        assert_eq!(
            l.check_caption(&"😀".repeat(513)).unwrap_err().kind(),
            ErrorKind::CaptionTooLong
        );
        assert!(
            Limits::for_account(true)
                .check_caption(&"a".repeat(2048))
                .is_ok()
        );
    }

    #[test]
    fn document_bounds() {
        let l = Limits::for_account(false);
        assert_eq!(
            l.check_document_size(0).unwrap_err().kind(),
            ErrorKind::FilePartsInvalid
        );
        assert!(l.check_document_size(1).is_ok());
        assert!(l.check_document_size(DOCUMENT_MAX).is_ok());
        assert!(l.check_document_size(DOCUMENT_MAX + 1).is_err());
        assert!(
            Limits::for_account(true)
                .check_document_size(DOCUMENT_MAX_PREMIUM)
                .is_ok()
        );
        assert!(
            Limits::for_account(true)
                .check_document_size(DOCUMENT_MAX_PREMIUM + 1)
                .is_err()
        );
    }

    #[test]
    fn title_and_about() {
        let l = Limits::for_account(false);
        assert_eq!(
            l.check_title(" \t").unwrap_err().kind(),
            ErrorKind::TitleEmpty
        );
        assert!(l.check_title(&"t".repeat(128)).is_ok());
        assert_eq!(
            l.check_title(&"t".repeat(129)).unwrap_err().kind(),
            ErrorKind::TitleTooLong
        );
        assert!(l.check_about("").is_ok());
        assert_eq!(
            l.check_about(&"a".repeat(256)).unwrap_err().kind(),
            ErrorKind::AboutTooLong
        );
    }
}
