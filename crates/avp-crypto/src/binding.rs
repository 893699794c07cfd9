//! The key-binding message an identity provider signs (SPEC §9): `UTF8(ed25519B64 + "|" + x25519B64)`.

use crate::ed25519;
use crate::encoding::b64decode_32;
use crate::error::Result;
use crate::secret::Secret32;

/// The message over the two base64 strings; each must be strict base64 of 32 bytes.
pub fn key_binding_message(ed25519_b64: &str, x25519_b64: &str) -> Result<Vec<u8>> {
    b64decode_32("ed25519PublicKey", ed25519_b64)?;
    b64decode_32("x25519PublicKey", x25519_b64)?;
    Ok(format!("{ed25519_b64}|{x25519_b64}").into_bytes())
}

/// The issuer's signature over the binding message.
pub fn key_binding_sign(
    issuer_seed: &Secret32,
    ed25519_b64: &str,
    x25519_b64: &str,
) -> Result<[u8; 64]> {
    Ok(ed25519::sign(
        issuer_seed,
        &key_binding_message(ed25519_b64, x25519_b64)?,
    ))
}

/// Verify a binding signature under the strict Ed25519 policy.
pub fn key_binding_verify(
    issuer_public: &[u8; 32],
    ed25519_b64: &str,
    x25519_b64: &str,
    signature: &[u8; 64],
) -> Result<bool> {
    Ok(ed25519::verify(
        issuer_public,
        &key_binding_message(ed25519_b64, x25519_b64)?,
        signature,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_then_verify_and_reject_swaps() {
        let (seed, public) = ed25519::generate();
        let (a, b) = (
            "ERERERERERERERERERERERERERERERERERERERERERE=",
            "IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI=",
        );
        let sig = key_binding_sign(&seed, a, b).unwrap();
        assert!(key_binding_verify(&public, a, b, &sig).unwrap());
        assert!(!key_binding_verify(&public, b, a, &sig).unwrap());
        assert!(key_binding_message("not base64", b).is_err());
    }
}
