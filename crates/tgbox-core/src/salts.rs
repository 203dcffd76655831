//! BoxSalt and FileSalt: plain 32-byte random values (spec §12), and their text form.

use crate::{Error, Result, b64, rng::Entropy};

macro_rules! salt {
    ($(#[$m:meta])* $name:ident, $what:literal) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name([u8; 32]);

        impl $name {
            /// Wraps 32 bytes.
            pub fn from_bytes(bytes: [u8; 32]) -> Self {
                Self(bytes)
            }
            /// Wraps a slice that must be 32 bytes.
            ///
            /// # Errors
            /// [`Error::KeyLength`] for any other length.
            pub fn from_slice(bytes: &[u8]) -> Result<Self> {
                Ok(Self(bytes.try_into().map_err(|_| Error::KeyLength {
                    what: $what,
                    expected: 32,
                    got: bytes.len(),
                })?))
            }
            /// 32 fresh random bytes.
            ///
            /// # Errors
            /// [`Error::Entropy`].
            pub fn generate(rng: &mut dyn Entropy) -> Result<Self> {
                Ok(Self(crate::rng::array(rng)?))
            }
            /// The raw bytes.
            pub fn as_bytes(&self) -> &[u8; 32] {
                &self.0
            }
            /// base64url with padding (44 characters): channel descriptions, document names.
            pub fn to_b64(&self) -> String {
                b64::encode(&self.0)
            }
            /// Parses the base64url form.
            ///
            /// # Errors
            /// [`Error::Malformed`] or [`Error::KeyLength`].
            pub fn from_b64(text: &str) -> Result<Self> {
                Self::from_slice(&b64::decode(text)?)
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({})", $what, self.to_b64())
            }
        }
    };
}

salt!(
    /// The random salt of a box, published in the channel description (spec §4.2, §12).
    BoxSalt, "BoxSalt"
);
salt!(
    /// The random salt of a file; its base64url form is the document's name (spec §4.4, §12).
    FileSalt, "FileSalt"
);
