//! The encrypted envelope (AVP 0.4 §4, §5) in one call each way: alts → minified payload JSON →
//! AES-256-GCM under the envelope AAD → base64, and back through the strict parser.
//!
//! Opening decodes the base64 into one buffer, decrypts it in place and parses it where it lies;
//! that buffer then holds the strings of every alt (see [`crate::vault_payload`]), so the extra
//! memory of an open is about the plaintext once, plus a small record per alt.

use crate::aad::aad;
use crate::aead::{self, IV_LEN};
use crate::encoding::{b64decode_strict, b64encode};
use crate::error::{Error, Result};
use crate::secret::Secret32;
use crate::vault_payload::{parse_payload, write_payload, AltAccount, VaultPayload};

/// An `EncryptedEnvelope` wire object; `iv` and `ciphertext` are standard base64. `S` is
/// `String` for a sealed envelope, `&str` to open one without copying its fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope<S = String> {
    /// Repository id (part of the AAD).
    pub repo_id: S,
    /// Payload version counter (part of the AAD; also stamped inside the plaintext).
    pub payload_version: u64,
    /// Key epoch counter (part of the AAD).
    pub key_epoch: u64,
    /// base64 of the 12-byte IV.
    pub iv: S,
    /// base64 of `ciphertext ‖ tag`.
    pub ciphertext: S,
}

/// Serialize `alts` as the payload of `payload_version` and seal it with a fresh random IV.
/// With `share_refresh_tokens` false, `refreshToken` and `expiresAt` are not written.
pub fn seal_envelope<'a>(
    data_key: &Secret32,
    repo_id: &str,
    payload_version: u64,
    key_epoch: u64,
    alts: impl IntoIterator<Item = &'a AltAccount> + Clone,
    share_refresh_tokens: bool,
) -> Result<Envelope> {
    let iv = crate::rand::array();
    seal_envelope_with_iv(
        data_key,
        repo_id,
        payload_version,
        key_epoch,
        alts,
        share_refresh_tokens,
        &iv,
    )
}

/// [`seal_envelope`] with a caller-chosen IV (vectors only: an IV must never repeat under one key).
pub fn seal_envelope_with_iv<'a>(
    data_key: &Secret32,
    repo_id: &str,
    payload_version: u64,
    key_epoch: u64,
    alts: impl IntoIterator<Item = &'a AltAccount> + Clone,
    share_refresh_tokens: bool,
    iv: &[u8; IV_LEN],
) -> Result<Envelope> {
    let aad = header_aad(repo_id, payload_version, key_epoch)?;
    // Zeroized on drop: were sealing to stop half-way, the buffer would still hold plaintext.
    let mut buffer =
        zeroize::Zeroizing::new(write_payload(alts, payload_version, share_refresh_tokens));
    aead::seal_in_place(data_key.expose(), iv, &aad, &mut buffer);
    Ok(Envelope {
        repo_id: repo_id.to_owned(),
        payload_version,
        key_epoch,
        iv: b64encode(iv),
        ciphertext: b64encode(&buffer),
    })
}

/// Decrypt and parse an envelope (the AAD is rebuilt from its header). Authentication failures
/// are `InvalidTag`; malformed base64 or plaintext `InvalidEncoding`; bad counters
/// `CounterOutOfRange`. With `share_refresh_tokens` false the alts come without refresh
/// credentials.
pub fn open_envelope<S: AsRef<str>>(
    envelope: &Envelope<S>,
    data_key: &Secret32,
    share_refresh_tokens: bool,
) -> Result<VaultPayload> {
    let aad = header_aad(
        envelope.repo_id.as_ref(),
        envelope.payload_version,
        envelope.key_epoch,
    )?;
    let iv: [u8; IV_LEN] = b64decode_strict(envelope.iv.as_ref(), Some(IV_LEN))
        .map_err(|e| Error::InvalidEncoding(format!("envelope iv: {e}")))?
        .try_into()
        .expect("length checked");
    let buffer = b64decode_strict(envelope.ciphertext.as_ref(), None)
        .map_err(|e| Error::InvalidEncoding(format!("envelope ciphertext: {e}")))?;
    open_decoded(&aad, &iv, buffer, data_key, share_refresh_tokens)
}

/// The AAD of an envelope header (counters range-checked).
pub fn header_aad(repo_id: &str, payload_version: u64, key_epoch: u64) -> Result<Vec<u8>> {
    aad(repo_id, payload_version.into(), key_epoch.into())
}

/// The second half of [`open_envelope`], for a caller that decoded the base64 itself: decrypt
/// `ciphertext ‖ tag` in place under `aad` (from [`header_aad`]) and parse the plaintext.
pub fn open_decoded(
    aad: &[u8],
    iv: &[u8; IV_LEN],
    mut ciphertext: Vec<u8>,
    data_key: &Secret32,
    share_refresh_tokens: bool,
) -> Result<VaultPayload> {
    aead::open_in_place(data_key.expose(), iv, aad, &mut ciphertext)?;
    parse_payload(ciphertext, share_refresh_tokens)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault_payload::parse_alts;

    fn alts() -> Vec<AltAccount> {
        parse_alts(
            br#"[{"uuid":"u","username":"n","accessToken":"t","type":"MICROSOFT","lastUsed":7,"refreshToken":"r","expiresAt":9}]"#
                .to_vec(),
            "alts",
        )
        .unwrap()
    }

    #[test]
    fn seal_then_open_and_the_header_is_bound() {
        let key = Secret32::from_slice("k", &[7u8; 32]).unwrap();
        let alts = alts();
        let env = seal_envelope(&key, "repo-1", 2, 1, &alts, true).unwrap();
        let opened = open_envelope(&env, &key, true).unwrap();
        assert_eq!(opened.alts, alts);
        assert_eq!(opened.payload_version, 2);
        let stripped = open_envelope(&env, &key, false).unwrap();
        assert_eq!(stripped.alts[0], alts[0].without_refresh_credentials());
        for wrong in [
            Envelope {
                key_epoch: 2,
                ..env.clone()
            },
            Envelope {
                payload_version: 3,
                ..env.clone()
            },
            Envelope {
                repo_id: "repo-2".into(),
                ..env.clone()
            },
        ] {
            assert_eq!(
                open_envelope(&wrong, &key, true).unwrap_err(),
                Error::InvalidTag
            );
        }
        let other = Secret32::from_slice("k", &[8u8; 32]).unwrap();
        assert_eq!(
            open_envelope(&env, &other, true).unwrap_err(),
            Error::InvalidTag
        );
    }

    /// The ciphertext is plain AES-256-GCM over the serialized payload: open it with the AEAD
    /// layer directly and compare with the serializer's output.
    #[test]
    fn sealed_bytes_are_the_serialized_payload() {
        let key = Secret32::from_slice("k", &[1u8; 32]).unwrap();
        let alts = alts();
        let env = seal_envelope_with_iv(&key, "r", 1, 0, &alts, false, &[9u8; 12]).unwrap();
        let ct = b64decode_strict(&env.ciphertext, None).unwrap();
        let pt = aead::open(&[1u8; 32], &[9u8; 12], &aad("r", 1, 0).unwrap(), &ct).unwrap();
        assert_eq!(pt, write_payload(&alts, 1, false));
        assert_eq!(env.iv, b64encode(&[9u8; 12]));
    }

    #[test]
    fn header_and_encoding_faults() {
        let key = Secret32::from_slice("k", &[7u8; 32]).unwrap();
        let env = seal_envelope(&key, "r", 1, 0, &alts(), true).unwrap();
        let code = |e: Envelope| open_envelope(&e, &key, true).unwrap_err().code();
        let big = crate::encoding::MAX_COUNTER + 1;
        assert_eq!(
            code(Envelope {
                payload_version: big,
                ..env.clone()
            }),
            "counter_out_of_range"
        );
        assert_eq!(
            code(Envelope {
                iv: "AAAA".into(),
                ..env.clone()
            }),
            "invalid_encoding"
        );
        assert_eq!(
            code(Envelope {
                ciphertext: format!("{} ", env.ciphertext),
                ..env.clone()
            }),
            "invalid_encoding"
        );
        assert_eq!(
            code(Envelope {
                ciphertext: "AAAA".into(),
                ..env.clone()
            }),
            "invalid_tag"
        );
        assert!(seal_envelope(&key, "r", big, 0, &alts(), true).is_err());
    }
}
