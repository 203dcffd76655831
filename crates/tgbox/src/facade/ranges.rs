//! Reading a byte range of a file's plaintext without downloading it (for streaming and
//! previews). CBC decrypts any block from the ciphertext block before it, so only the blocks
//! of the range (and one before, as IV) are fetched.
//!
//! A range is **not verified**: the HMAC covers the whole file. Use [`TgBox::download`] for
//! anything that must be authentic.

use tgbox_core::aes_cbc::{BLOCK, CbcDecryptor, padded_len};

use super::TgBox;
use crate::error::{Error, Result};
use crate::retry::retrying;

impl TgBox {
    /// Up to `len` bytes of file `id`'s plaintext from `offset` (fewer at the end of the file,
    /// none past it). Unverified: see the module documentation.
    ///
    /// # Errors
    /// [`Error::NoSuchFile`], [`Error::NotABoxFile`] when the channel's message no longer
    /// holds this file, [`Error::Protocol`] for a garbled last block, channel errors.
    pub async fn read_range(&self, id: i64, offset: u64, len: usize) -> Result<Vec<u8>> {
        let local = self.file(id).await?;
        let size = local.info().size;
        if offset >= size || len == 0 {
            return Ok(Vec::new());
        }
        let end = size.min(offset.saturating_add(len as u64));
        let (msg_id, doc) = super::remote::current_document(self.channel.as_ref(), &local).await?;
        let block = BLOCK as u64;
        let blocks = padded_len(size) / block;
        let first = offset / block;
        // One block past the range when there is one, so the decryptor need not hold the
        // range's last block back (it holds back the final block for unpadding).
        let last = (end - 1) / block;
        let upto = (last + 2).min(blocks);
        let payload = local.file.header.payload_offset();
        let from = payload + first.saturating_sub(1) * block;
        let to = payload + upto * block;
        let step = retrying(|| self.channel.capabilities()).await?.read_max;
        let mut cipher = Vec::with_capacity((to - from) as usize);
        while (from + cipher.len() as u64) < to {
            let at = from + cipher.len() as u64;
            let want = ((to - at) as usize).min(step);
            let piece = retrying(|| self.channel.read_document(msg_id, doc.id, at, want)).await?;
            if piece.is_empty() {
                return Err(Error::NotABoxFile(msg_id));
            }
            cipher.extend_from_slice(&piece);
        }
        let (iv, body) = if first == 0 {
            (local.file.header.file_iv, &cipher[..])
        } else {
            let iv: [u8; 16] = cipher[..BLOCK].try_into().expect("one block");
            (iv, &cipher[BLOCK..])
        };
        let mut dec = CbcDecryptor::new(local.file.filekey().expose_secret(), &iv);
        let mut plain = Vec::with_capacity(body.len());
        dec.update(body, &mut plain);
        if upto == blocks {
            dec.finish(&mut plain)?;
        }
        let skip = (offset - first * block) as usize;
        let want = (end - offset) as usize;
        if plain.len() < skip + want {
            return Err(Error::Protocol(tgbox_core::Error::Decryption));
        }
        Ok(plain[skip..skip + want].to_vec())
    }
}
