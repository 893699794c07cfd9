//! Fixed-size secret bytes: zeroized on drop, never `Clone`, redacted in `Debug`.

use std::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::{Error, Result};

/// A 32-byte secret (data key, X25519 private key, Ed25519 seed, KEK).
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct Secret32([u8; 32]);

impl Secret32 {
    /// Wrap bytes the caller already owns.
    pub fn new(bytes: [u8; 32]) -> Self {
        Secret32(bytes)
    }

    /// Copy a slice that must be exactly 32 bytes (`what` names it in the error).
    pub fn from_slice(what: &str, bytes: &[u8]) -> Result<Self> {
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|_| Error::key_length(what, 32, bytes.len()))?;
        Ok(Secret32(arr))
    }

    /// Fresh bytes from the operating system's CSPRNG.
    pub fn random() -> Self {
        let mut s = Secret32([0u8; 32]);
        crate::rand::fill(&mut s.0);
        s
    }

    /// Room to write the secret in place (decryption straight into zeroize-on-drop memory).
    pub(crate) fn expose_mut(&mut self) -> &mut [u8; 32] {
        &mut self.0
    }

    /// The secret bytes.
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for Secret32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret32(<redacted>)")
    }
}
