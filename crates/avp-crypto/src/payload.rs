//! Payload AEAD: AES-256-GCM under the data key, AAD from the envelope header, random IV.

use crate::aad::aad;
use crate::aead::{self, IV_LEN};
use crate::error::Result;
use crate::secret::Secret32;

/// The envelope header fields that form the AAD.
#[derive(Debug, Clone, Copy)]
pub struct Header<'a> {
    /// Repository id.
    pub repo_id: &'a str,
    /// Payload version counter.
    pub payload_version: i128,
    /// Key epoch counter.
    pub key_epoch: i128,
}

impl Header<'_> {
    /// The AAD (counters range-checked).
    pub fn aad(&self) -> Result<Vec<u8>> {
        aad(self.repo_id, self.payload_version, self.key_epoch)
    }
}

/// Seal with a fresh random IV: returns (iv, ciphertext ‖ tag).
pub fn seal_payload(
    key: &Secret32,
    header: &Header<'_>,
    plaintext: &[u8],
) -> Result<([u8; IV_LEN], Vec<u8>)> {
    let iv = crate::rand::array();
    Ok((iv, seal_payload_with_iv(key, header, plaintext, &iv)?))
}

/// Seal with a caller-chosen IV (vectors only: an IV must never repeat under one key).
pub fn seal_payload_with_iv(
    key: &Secret32,
    header: &Header<'_>,
    plaintext: &[u8],
    iv: &[u8; IV_LEN],
) -> Result<Vec<u8>> {
    Ok(aead::seal(key.expose(), iv, &header.aad()?, plaintext))
}

/// Open `ciphertext ‖ tag`; any mismatch is `InvalidTag`.
pub fn open_payload(
    key: &Secret32,
    header: &Header<'_>,
    iv: &[u8; IV_LEN],
    ciphertext: &[u8],
) -> Result<Vec<u8>> {
    aead::open(key.expose(), iv, &header.aad()?, ciphertext)
}
