//! The `X25519-HKDF-SHA256-AESGCM-v1` key wrap (AVP-PROTOCOL §3).

use crate::aead::{self, IV_LEN, TAG_LEN};
use crate::encoding::{b64decode_32, b64decode_strict, b64encode};
use crate::error::{Error, Result};
use crate::hkdf::hkdf_sha256_into;
use crate::secret::Secret32;
use crate::x25519;

/// The only wrap scheme this crate knows.
pub const SCHEME_ID: &str = "X25519-HKDF-SHA256-AESGCM-v1";
/// HKDF info and AES-GCM AAD of the wrap.
const INFO: &[u8] = b"avp/rdk-wrap/v1";
/// A wrapped 32-byte data key with its tag.
pub const WRAPPED_LEN: usize = 32 + TAG_LEN;

/// A data key wrapped to one recipient, as on the wire (binary fields decoded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrappedKey {
    /// The wrap scheme; only [`SCHEME_ID`] unwraps.
    pub scheme_id: String,
    /// The sender's ephemeral X25519 public key.
    pub ephemeral_public_key: [u8; 32],
    /// The AES-GCM IV.
    pub iv: [u8; IV_LEN],
    /// The wrapped key and tag (48 bytes when well-formed; anything else fails to unwrap).
    pub ciphertext: Vec<u8>,
}

impl WrappedKey {
    /// Parse the wire fields (standard base64, decoded strictly).
    pub fn from_wire(
        scheme_id: &str,
        ephemeral_public_key: &str,
        iv: &str,
        ciphertext: &str,
    ) -> Result<Self> {
        let iv = b64decode_strict(iv, Some(IV_LEN))
            .map_err(|e| Error::InvalidEncoding(format!("iv: {e}")))?;
        Ok(WrappedKey {
            scheme_id: scheme_id.to_owned(),
            ephemeral_public_key: b64decode_32("ephemeralPublicKey", ephemeral_public_key)?,
            iv: iv.try_into().expect("length checked"),
            ciphertext: b64decode_strict(ciphertext, None)
                .map_err(|e| Error::InvalidEncoding(format!("ciphertext: {e}")))?,
        })
    }

    /// The wire fields in order: schemeId, ephemeralPublicKey, iv, ciphertext (base64).
    pub fn to_wire(&self) -> [String; 4] {
        [
            self.scheme_id.clone(),
            b64encode(&self.ephemeral_public_key),
            b64encode(&self.iv),
            b64encode(&self.ciphertext),
        ]
    }
}

fn kek(shared: &Secret32, ephemeral_public: &[u8; 32]) -> Secret32 {
    let mut out = [0u8; 32];
    hkdf_sha256_into(shared.expose(), ephemeral_public, INFO, &mut out)
        .expect("32-byte HKDF output");
    Secret32::new(out)
}

/// Wrap with a fresh ephemeral key and IV.
pub fn wrap_key(data_key: &Secret32, recipient_public: &[u8; 32]) -> Result<WrappedKey> {
    let ephemeral = Secret32::random();
    wrap_key_deterministic(
        data_key,
        recipient_public,
        &ephemeral,
        &crate::rand::array(),
    )
}

/// Wrap with a caller-chosen ephemeral key and IV. Reusing either breaks the scheme: this is
/// for reproducing vectors only (exposed as `hazmat`).
pub fn wrap_key_deterministic(
    data_key: &Secret32,
    recipient_public: &[u8; 32],
    ephemeral_private: &Secret32,
    iv: &[u8; IV_LEN],
) -> Result<WrappedKey> {
    let (ephemeral_public, shared) =
        x25519::public_key_and_shared(ephemeral_private, recipient_public)?;
    let kek = kek(&shared, &ephemeral_public);
    let mut ciphertext = vec![0u8; WRAPPED_LEN];
    aead::seal_into(kek.expose(), iv, INFO, data_key.expose(), &mut ciphertext);
    Ok(WrappedKey {
        scheme_id: SCHEME_ID.to_owned(),
        ephemeral_public_key: ephemeral_public,
        iv: *iv,
        ciphertext,
    })
}

/// Below this many recipients per thread, starting a thread costs more than it saves.
const MIN_PER_THREAD: usize = 8;

/// Wrap one data key to many recipients, on every core. Fails on the first bad key.
///
/// Threads are scoped to the call (no global pool), so a process that forks after using it
/// cannot inherit a pool whose threads are gone.
pub fn wrap_key_many(data_key: &Secret32, recipients: &[[u8; 32]]) -> Result<Vec<WrappedKey>> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = cores.min(recipients.len() / MIN_PER_THREAD).max(1);
    if threads == 1 {
        return recipients.iter().map(|r| wrap_key(data_key, r)).collect();
    }
    let chunk = recipients.len().div_ceil(threads);
    let parts: Vec<Result<Vec<WrappedKey>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = recipients
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(|r| wrap_key(data_key, r)).collect()))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a wrap thread panicked"))
            .collect()
    });
    let mut out = Vec::with_capacity(recipients.len());
    for part in parts {
        out.extend(part?);
    }
    Ok(out)
}

/// Unwrap with the recipient's private key. Every authentication failure is `InvalidTag`.
pub fn unwrap_key(wrapped: &WrappedKey, recipient_private: &Secret32) -> Result<Secret32> {
    if wrapped.scheme_id != SCHEME_ID {
        return Err(Error::UnsupportedScheme(format!(
            "unknown wrap scheme {:?}",
            wrapped.scheme_id
        )));
    }
    let shared = x25519::diffie_hellman(recipient_private, &wrapped.ephemeral_public_key)?;
    let kek = kek(&shared, &wrapped.ephemeral_public_key);
    let mut out = Secret32::new([0u8; 32]);
    aead::open_into(
        kek.expose(),
        &wrapped.iv,
        INFO,
        &wrapped.ciphertext,
        out.expose_mut(),
    )?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper() {
        let (private, public) = x25519::generate();
        let data_key = Secret32::random();
        let w = wrap_key(&data_key, &public).unwrap();
        assert_eq!(w.ciphertext.len(), WRAPPED_LEN);
        assert_eq!(
            unwrap_key(&w, &private).unwrap().expose(),
            data_key.expose()
        );
        let mut bad = w.clone();
        bad.ciphertext[47] ^= 1;
        assert_eq!(unwrap_key(&bad, &private).unwrap_err(), Error::InvalidTag);
        let mut bad = w.clone();
        bad.ciphertext.pop();
        assert_eq!(unwrap_key(&bad, &private).unwrap_err(), Error::InvalidTag);
        let mut bad = w.clone();
        bad.scheme_id = "X25519-HKDF-SHA256-AESGCM-v2".into();
        assert!(matches!(
            unwrap_key(&bad, &private),
            Err(Error::UnsupportedScheme(_))
        ));
        let (other, _) = x25519::generate();
        assert_eq!(unwrap_key(&w, &other).unwrap_err(), Error::InvalidTag);
        let [s, e, i, c] = w.to_wire();
        assert_eq!(WrappedKey::from_wire(&s, &e, &i, &c).unwrap(), w);
    }

    #[test]
    fn many_recipients_each_unwrap() {
        // Enough recipients for several threads, and an uneven last chunk.
        let keys: Vec<_> = (0..37).map(|_| x25519::generate()).collect();
        let publics: Vec<_> = keys.iter().map(|k| k.1).collect();
        let data_key = Secret32::random();
        let wrapped = wrap_key_many(&data_key, &publics).unwrap();
        for ((private, _), w) in keys.iter().zip(&wrapped) {
            assert_eq!(unwrap_key(w, private).unwrap().expose(), data_key.expose());
        }
        let mut with_bad = publics.clone();
        with_bad.push([0u8; 32]);
        assert!(matches!(
            wrap_key_many(&data_key, &with_bad),
            Err(Error::InvalidKey(_))
        ));
    }
}
