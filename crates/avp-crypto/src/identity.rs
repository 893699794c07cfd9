//! A member identity (Ed25519 seed + X25519 private key) and its sealed-at-rest JSON form.
//!
//! Format `avp-identity` version 1 (documented in the crate README): the 64 secret bytes
//! `ed25519Seed ‖ x25519Private` are encrypted with AES-256-GCM in one or two "slots", each under
//! a key derived with Argon2id from a passphrase or a recovery code; the KDF parameters and salt
//! are stored in the slot. The AAD binds the slot kind and both public keys.

use argon2::{Algorithm, Argon2, Params, Version};
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use crate::aead::{self, IV_LEN};
use crate::encoding::{b64decode_32, b64decode_strict, b64encode};
use crate::error::{Error, Result};
use crate::secret::Secret32;
use crate::{ed25519, x25519};

const FORMAT: &str = "avp-identity";
const VERSION: u32 = 1;
const CIPHER: &str = "AES-256-GCM";
const KDF: &str = "argon2id";
/// Length of the Argon2id salt `seal` draws for each slot.
pub const SALT_LEN: usize = 16;
const PASSPHRASE: &str = "passphrase";
const RECOVERY: &str = "recoveryCode";
/// Opening refuses parameters above these bounds, so a crafted blob cannot exhaust memory or time.
const MAX_MEMORY_KIB: u32 = 1 << 20;
const MAX_ITERATIONS: u32 = 64;
const MAX_PARALLELISM: u32 = 16;
const RECOVERY_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes over memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for KdfParams {
    /// 64 MiB, 3 passes, 1 lane (RFC 9106 §4's second recommended option, one lane).
    fn default() -> Self {
        KdfParams {
            memory_kib: 64 * 1024,
            iterations: 3,
            parallelism: 1,
        }
    }
}

impl KdfParams {
    fn argon2(&self) -> Result<Argon2<'static>> {
        if self.memory_kib > MAX_MEMORY_KIB
            || self.iterations > MAX_ITERATIONS
            || self.parallelism > MAX_PARALLELISM
        {
            return Err(Error::InvalidEncoding(format!(
                "Argon2id parameters out of bounds: {self:?}"
            )));
        }
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, Some(32))
            .map_err(|e| {
                Error::InvalidEncoding(format!("invalid Argon2id parameters {self:?}: {e}"))
            })?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct KdfJson {
    name: String,
    version: u32,
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
    salt: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SlotJson {
    kind: String,
    kdf: KdfJson,
    cipher: String,
    iv: String,
    ciphertext: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SealedJson {
    format: String,
    version: u32,
    ed25519_public_key: String,
    x25519_public_key: String,
    slots: Vec<SlotJson>,
}

/// The salt and IV of one slot. [`Identity::seal`] draws fresh ones; only the deterministic
/// [`seal_deterministic`] (hazmat) takes them from the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotNonces {
    /// The Argon2id salt.
    pub salt: [u8; SALT_LEN],
    /// The AES-256-GCM IV.
    pub iv: [u8; IV_LEN],
}

impl SlotNonces {
    fn random() -> Self {
        SlotNonces {
            salt: crate::rand::array(),
            iv: crate::rand::array(),
        }
    }
}

/// What unlocks a sealed identity.
#[derive(Debug, Clone, Copy)]
pub enum Unlock<'a> {
    /// The passphrase it was sealed under.
    Passphrase(&'a str),
    /// The recovery code printed when it was sealed.
    RecoveryCode(&'a str),
}

/// A member's two keypairs. Secrets zeroize on drop; not `Clone`; `Debug` shows public keys only.
pub struct Identity {
    ed25519_seed: Secret32,
    x25519_private: Secret32,
    ed25519_public: [u8; 32],
    x25519_public: [u8; 32],
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("ed25519_public_key", &b64encode(&self.ed25519_public))
            .field("x25519_public_key", &b64encode(&self.x25519_public))
            .finish_non_exhaustive()
    }
}

fn passphrase_bytes(passphrase: &str) -> Result<Zeroizing<Vec<u8>>> {
    // NFC, so the same passphrase typed on different systems derives the same key.
    let normalized: Zeroizing<String> = Zeroizing::new(passphrase.nfc().collect());
    if normalized.is_empty() {
        return Err(Error::InvalidKey("the passphrase must not be empty".into()));
    }
    Ok(Zeroizing::new(normalized.as_bytes().to_vec()))
}

fn recovery_bytes(code: &str) -> Result<Zeroizing<Vec<u8>>> {
    let normalized: Zeroizing<Vec<u8>> = Zeroizing::new(
        code.bytes()
            .filter(|b| *b != b'-' && !b.is_ascii_whitespace())
            .map(|b| b.to_ascii_uppercase())
            .collect(),
    );
    if normalized.len() != 32 || !normalized.iter().all(|b| RECOVERY_ALPHABET.contains(b)) {
        return Err(Error::InvalidEncoding(
            "a recovery code is 32 base32 characters (A-Z, 2-7)".into(),
        ));
    }
    Ok(normalized)
}

/// A fresh recovery code: 160 random bits as 32 base32 characters in groups of four.
pub fn new_recovery_code() -> String {
    let bytes = Zeroizing::new(crate::rand::array::<20>());
    let mut out = String::with_capacity(39);
    for i in 0..32 {
        let bit = i * 5;
        let word =
            (u16::from(bytes[bit / 8]) << 8) | u16::from(*bytes.get(bit / 8 + 1).unwrap_or(&0));
        let index = (word >> (11 - bit % 8)) & 0x1f;
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        out.push(RECOVERY_ALPHABET[index as usize] as char);
    }
    out
}

fn slot_aad(kind: &str, ed: &str, x: &str) -> Vec<u8> {
    format!("{FORMAT}/v{VERSION}\x1f{kind}\x1f{ed}\x1f{x}").into_bytes()
}

fn derive(params: &KdfParams, secret: &[u8], salt: &[u8]) -> Result<Secret32> {
    let mut key = Secret32::new([0u8; 32]);
    params
        .argon2()?
        .hash_password_into(secret, salt, key.expose_mut())
        .map_err(|e| Error::InvalidEncoding(format!("Argon2id failed: {e}")))?;
    Ok(key)
}

/// The kind of slot an unlock secret opens, and the bytes the KDF sees (NFC passphrase; recovery
/// code without separators, upper-cased).
fn unlock_secret(unlock: Unlock<'_>) -> Result<(&'static str, Zeroizing<Vec<u8>>)> {
    match unlock {
        Unlock::Passphrase(p) => Ok((PASSPHRASE, passphrase_bytes(p)?)),
        Unlock::RecoveryCode(c) => Ok((RECOVERY, recovery_bytes(c)?)),
    }
}

/// The slot key a passphrase or recovery code derives under `salt` and `params`: Argon2id v0x13,
/// 32 bytes, after the format's normalisation of the secret. The same function `seal` and `open`
/// use; public (as hazmat) so vectors can state the derived key of every case, including the keys
/// of wrong secrets.
pub fn slot_key(unlock: Unlock<'_>, salt: &[u8], params: &KdfParams) -> Result<Secret32> {
    let (_, secret) = unlock_secret(unlock)?;
    derive(params, &secret, salt)
}

/// [`Identity::seal`] with caller-chosen salts and IVs: the passphrase slot with
/// `passphrase_nonces`, and the recovery-code slot (if any) with its own. Deterministic, so it
/// reproduces published vectors byte for byte.
///
/// Hazmat: for test vectors only. Sealing different secrets under the same passphrase, salt and
/// IV reuses an AES-GCM key and IV, which breaks the encryption; a fixed salt also allows
/// precomputing passphrase guesses.
pub fn seal_deterministic(
    identity: &Identity,
    passphrase: &str,
    passphrase_nonces: &SlotNonces,
    recovery: Option<(&str, &SlotNonces)>,
    params: &KdfParams,
) -> Result<String> {
    identity.seal_with(passphrase, passphrase_nonces, recovery, params)
}

impl Identity {
    /// A fresh identity from the OS CSPRNG.
    pub fn generate() -> Self {
        Self::from_secrets(Secret32::random(), Secret32::random())
    }

    /// An identity from its two 32-byte secrets.
    pub fn from_secrets(ed25519_seed: Secret32, x25519_private: Secret32) -> Self {
        let ed25519_public = ed25519::public_key(&ed25519_seed);
        let x25519_public = x25519::public_key(&x25519_private);
        Identity {
            ed25519_seed,
            x25519_private,
            ed25519_public,
            x25519_public,
        }
    }

    /// The Ed25519 seed.
    pub fn ed25519_seed(&self) -> &Secret32 {
        &self.ed25519_seed
    }

    /// The X25519 private key.
    pub fn x25519_private(&self) -> &Secret32 {
        &self.x25519_private
    }

    /// The Ed25519 public key (its base64 is the member id).
    pub fn ed25519_public_key(&self) -> [u8; 32] {
        self.ed25519_public
    }

    /// The X25519 public key.
    pub fn x25519_public_key(&self) -> [u8; 32] {
        self.x25519_public
    }

    /// Sign with the Ed25519 key.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        ed25519::sign(&self.ed25519_seed, message)
    }

    fn seal_slot(
        &self,
        unlock: Unlock<'_>,
        nonces: &SlotNonces,
        params: &KdfParams,
        ed: &str,
        x: &str,
    ) -> Result<SlotJson> {
        let SlotNonces { salt, iv } = nonces;
        let (kind, secret) = unlock_secret(unlock)?;
        let key = derive(params, &secret, salt)?;
        let mut plain = Zeroizing::new([0u8; 64]);
        plain[..32].copy_from_slice(self.ed25519_seed.expose());
        plain[32..].copy_from_slice(self.x25519_private.expose());
        let ciphertext = aead::seal(key.expose(), iv, &slot_aad(kind, ed, x), plain.as_slice());
        Ok(SlotJson {
            kind: kind.into(),
            kdf: KdfJson {
                name: KDF.into(),
                version: 0x13,
                memory_kib: params.memory_kib,
                iterations: params.iterations,
                parallelism: params.parallelism,
                salt: b64encode(salt),
            },
            cipher: CIPHER.into(),
            iv: b64encode(iv),
            ciphertext: b64encode(&ciphertext),
        })
    }

    /// Seal under a passphrase and, optionally, a recovery code (see [`new_recovery_code`]).
    pub fn seal(
        &self,
        passphrase: &str,
        recovery_code: Option<&str>,
        params: &KdfParams,
    ) -> Result<String> {
        let recovery_nonces = SlotNonces::random();
        self.seal_with(
            passphrase,
            &SlotNonces::random(),
            recovery_code.map(|code| (code, &recovery_nonces)),
            params,
        )
    }

    fn seal_with(
        &self,
        passphrase: &str,
        passphrase_nonces: &SlotNonces,
        recovery: Option<(&str, &SlotNonces)>,
        params: &KdfParams,
    ) -> Result<String> {
        let ed = b64encode(&self.ed25519_public);
        let x = b64encode(&self.x25519_public);
        let mut slots = vec![self.seal_slot(
            Unlock::Passphrase(passphrase),
            passphrase_nonces,
            params,
            &ed,
            &x,
        )?];
        if let Some((code, nonces)) = recovery {
            slots.push(self.seal_slot(Unlock::RecoveryCode(code), nonces, params, &ed, &x)?);
        }
        let sealed = SealedJson {
            format: FORMAT.into(),
            version: VERSION,
            ed25519_public_key: ed,
            x25519_public_key: x,
            slots,
        };
        Ok(serde_json::to_string_pretty(&sealed).expect("serializable"))
    }

    /// Open a sealed identity. A wrong passphrase or code is `InvalidPassphrase`.
    pub fn open(blob: &str, unlock: Unlock<'_>) -> Result<Self> {
        let value: serde_json::Value = serde_json::from_str(blob)
            .map_err(|e| Error::InvalidEncoding(format!("sealed identity is not JSON: {e}")))?;
        if value.get("format").and_then(|v| v.as_str()) != Some(FORMAT) {
            return Err(Error::UnsupportedScheme(
                "not an avp-identity document".into(),
            ));
        }
        if value.get("version").and_then(|v| v.as_u64()) != Some(VERSION.into()) {
            return Err(Error::UnsupportedScheme(format!(
                "unknown avp-identity version {:?}",
                value.get("version")
            )));
        }
        let sealed: SealedJson = serde_json::from_value(value)
            .map_err(|e| Error::InvalidEncoding(format!("malformed sealed identity: {e}")))?;
        let (kind, secret) = unlock_secret(unlock)?;
        let slot = sealed
            .slots
            .iter()
            .find(|s| s.kind == kind)
            .ok_or(Error::InvalidPassphrase)?;
        if slot.kdf.name != KDF || slot.kdf.version != 0x13 || slot.cipher != CIPHER {
            return Err(Error::UnsupportedScheme(format!(
                "unknown KDF or cipher {} v{} / {}",
                slot.kdf.name, slot.kdf.version, slot.cipher
            )));
        }
        let params = KdfParams {
            memory_kib: slot.kdf.memory_kib,
            iterations: slot.kdf.iterations,
            parallelism: slot.kdf.parallelism,
        };
        let salt = b64decode_strict(&slot.kdf.salt, None)?;
        let iv = aead::iv_from_slice(&b64decode_strict(&slot.iv, Some(IV_LEN))?)?;
        let ciphertext = b64decode_strict(&slot.ciphertext, Some(64 + aead::TAG_LEN))?;
        b64decode_32("ed25519PublicKey", &sealed.ed25519_public_key)?;
        b64decode_32("x25519PublicKey", &sealed.x25519_public_key)?;
        let key = derive(&params, &secret, &salt)?;
        let aad = slot_aad(kind, &sealed.ed25519_public_key, &sealed.x25519_public_key);
        let mut plain = Zeroizing::new([0u8; 64]);
        aead::open_into(key.expose(), &iv, &aad, &ciphertext, plain.as_mut_slice())
            .map_err(|_| Error::InvalidPassphrase)?;
        let identity = Identity::from_secrets(
            Secret32::from_slice("ed25519 seed", &plain[..32])?,
            Secret32::from_slice("x25519 private key", &plain[32..])?,
        );
        if b64encode(&identity.ed25519_public) != sealed.ed25519_public_key
            || b64encode(&identity.x25519_public) != sealed.x25519_public_key
        {
            return Err(Error::InvalidEncoding(
                "the sealed secrets do not match the stated public keys".into(),
            ));
        }
        Ok(identity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAST: KdfParams = KdfParams {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };

    #[test]
    fn seal_open_round_trip_and_wrong_secrets() {
        let id = Identity::generate();
        let code = new_recovery_code();
        assert_eq!(code.len(), 39);
        let blob = id.seal("correct horse", Some(&code), &FAST).unwrap();
        for unlock in [
            Unlock::Passphrase("correct horse"),
            Unlock::RecoveryCode(&code.to_lowercase()),
        ] {
            let opened = Identity::open(&blob, unlock).unwrap();
            assert_eq!(opened.ed25519_seed().expose(), id.ed25519_seed().expose());
            assert_eq!(
                opened.x25519_private().expose(),
                id.x25519_private().expose()
            );
        }
        assert_eq!(
            Identity::open(&blob, Unlock::Passphrase("wrong")).unwrap_err(),
            Error::InvalidPassphrase
        );
        let other = new_recovery_code();
        assert_eq!(
            Identity::open(&blob, Unlock::RecoveryCode(&other)).unwrap_err(),
            Error::InvalidPassphrase
        );
        let no_recovery = id.seal("p", None, &FAST).unwrap();
        assert_eq!(
            Identity::open(&no_recovery, Unlock::RecoveryCode(&code)).unwrap_err(),
            Error::InvalidPassphrase
        );
        assert!(!format!("{id:?}").contains(&b64encode(id.ed25519_seed().expose())));
    }

    #[test]
    fn deterministic_seal_is_reproducible_and_opens() {
        let id = Identity::from_secrets(Secret32::new([1u8; 32]), Secret32::new([2u8; 32]));
        let code = "ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ23-4567";
        let p = SlotNonces {
            salt: [3u8; SALT_LEN],
            iv: [4u8; IV_LEN],
        };
        let r = SlotNonces {
            salt: [5u8; SALT_LEN],
            iv: [6u8; IV_LEN],
        };
        let blob = seal_deterministic(&id, "caf\u{e9}", &p, Some((code, &r)), &FAST).unwrap();
        assert_eq!(
            blob,
            seal_deterministic(&id, "cafe\u{301}", &p, Some((code, &r)), &FAST).unwrap()
        );
        let sealed: SealedJson = serde_json::from_str(&blob).unwrap();
        let slots: Vec<_> = sealed.slots.iter().map(|s| s.kind.as_str()).collect();
        assert_eq!(slots, [PASSPHRASE, RECOVERY]);
        for (slot, nonces, unlock) in [
            (&sealed.slots[0], &p, Unlock::Passphrase("caf\u{e9}")),
            (
                &sealed.slots[1],
                &r,
                Unlock::RecoveryCode(&code.to_lowercase()),
            ),
        ] {
            assert_eq!(slot.kdf.salt, b64encode(&nonces.salt));
            assert_eq!(slot.iv, b64encode(&nonces.iv));
            assert_eq!(
                (
                    slot.kdf.memory_kib,
                    slot.kdf.iterations,
                    slot.kdf.parallelism
                ),
                (FAST.memory_kib, FAST.iterations, FAST.parallelism)
            );
            // The slot key is what decrypts the slot, under the documented AAD.
            let key = slot_key(unlock, &nonces.salt, &FAST).unwrap();
            let aad = slot_aad(
                &slot.kind,
                &sealed.ed25519_public_key,
                &sealed.x25519_public_key,
            );
            let ciphertext = b64decode_strict(&slot.ciphertext, None).unwrap();
            let plain = aead::open(key.expose(), &nonces.iv, &aad, &ciphertext).unwrap();
            assert_eq!(&plain[..32], id.ed25519_seed().expose());
            assert_eq!(&plain[32..], id.x25519_private().expose());
            let opened = Identity::open(&blob, unlock).unwrap();
            assert_eq!(opened.x25519_public_key(), id.x25519_public_key());
        }
        // Other salt, other key; other IV, other ciphertext; the safe seal never repeats.
        let other_salt = SlotNonces {
            salt: [7u8; SALT_LEN],
            ..p
        };
        let other_iv = SlotNonces {
            iv: [7u8; IV_LEN],
            ..p
        };
        let one = seal_deterministic(&id, "p", &p, None, &FAST).unwrap();
        assert_ne!(
            one,
            seal_deterministic(&id, "p", &other_salt, None, &FAST).unwrap()
        );
        assert_ne!(
            one,
            seal_deterministic(&id, "p", &other_iv, None, &FAST).unwrap()
        );
        assert_ne!(
            id.seal("p", None, &FAST).unwrap(),
            id.seal("p", None, &FAST).unwrap()
        );
        assert_ne!(
            slot_key(Unlock::Passphrase("p"), &p.salt, &FAST)
                .unwrap()
                .expose(),
            slot_key(Unlock::Passphrase("q"), &p.salt, &FAST)
                .unwrap()
                .expose()
        );
        assert!(matches!(
            slot_key(Unlock::Passphrase(""), &p.salt, &FAST),
            Err(Error::InvalidKey(_))
        ));
        assert!(matches!(
            seal_deterministic(&id, "p", &p, Some(("ABC", &r)), &FAST),
            Err(Error::InvalidEncoding(_))
        ));
    }

    #[test]
    fn nfc_equivalent_passphrases_open() {
        let id = Identity::generate();
        let blob = id.seal("caf\u{e9}", None, &FAST).unwrap();
        assert!(Identity::open(&blob, Unlock::Passphrase("cafe\u{301}")).is_ok());
    }

    #[test]
    fn tampered_header_or_params_fail() {
        let id = Identity::generate();
        let blob = id.seal("p", None, &FAST).unwrap();
        let other = b64encode(&Identity::generate().x25519_public_key());
        let swapped = blob.replace(&b64encode(&id.x25519_public_key()), &other);
        assert_eq!(
            Identity::open(&swapped, Unlock::Passphrase("p")).unwrap_err(),
            Error::InvalidPassphrase
        );
        let huge = blob.replace("\"memoryKib\": 64", "\"memoryKib\": 4194304");
        assert!(matches!(
            Identity::open(&huge, Unlock::Passphrase("p")),
            Err(Error::InvalidEncoding(_))
        ));
        let v2 = blob.replace("\"version\": 1,", "\"version\": 2,");
        assert!(matches!(
            Identity::open(&v2, Unlock::Passphrase("p")),
            Err(Error::UnsupportedScheme(_))
        ));
    }
}
