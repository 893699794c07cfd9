//! X25519 (RFC 7748) with the project's rule: an all-zero shared secret is an error.
//! AWS-LC does the scalar multiplications (static private keys are supported, unlike ring).

use aws_lc_rs::agreement::{agree, PrivateKey, UnparsedPublicKey, X25519};
use subtle::ConstantTimeEq;

use crate::error::{Error, Result};
use crate::secret::Secret32;

fn load(private: &Secret32) -> PrivateKey {
    PrivateKey::from_private_key(&X25519, private.expose()).expect("any 32 bytes are an X25519 key")
}

fn public_of(key: &PrivateKey) -> [u8; 32] {
    let public = key.compute_public_key().expect("X25519 public key");
    public
        .as_ref()
        .try_into()
        .expect("32-byte X25519 public key")
}

fn agree_with(key: &PrivateKey, public: &[u8; 32]) -> Result<Secret32> {
    let mut out = Secret32::new([0u8; 32]);
    // AWS-LC fails the agreement exactly when the output is all zero (checked in constant time);
    // the peer key always has the right length here.
    agree(key, UnparsedPublicKey::new(&X25519, public), (), |shared| {
        out.expose_mut().copy_from_slice(shared);
        Ok(())
    })
    .map_err(|()| {
        Error::InvalidKey("X25519 shared secret is all zero (low-order public key)".into())
    })?;
    Ok(out)
}

/// The public key of a private key (clamping is applied by the scalar multiplication).
pub fn public_key(private: &Secret32) -> [u8; 32] {
    public_of(&load(private))
}

/// A fresh keypair: (private, public).
pub fn generate() -> (Secret32, [u8; 32]) {
    let private = Secret32::random();
    let public = public_key(&private);
    (private, public)
}

/// The raw shared secret; an all-zero result (a low-order peer key) is `InvalidKey`.
pub fn diffie_hellman(private: &Secret32, public: &[u8; 32]) -> Result<Secret32> {
    agree_with(&load(private), public)
}

/// Our public key and the shared secret with `peer`, loading the private key once (the
/// ephemeral side of a key wrap).
pub fn public_key_and_shared(private: &Secret32, peer: &[u8; 32]) -> Result<([u8; 32], Secret32)> {
    let key = load(private);
    Ok((public_of(&key), agree_with(&key, peer)?))
}

/// Whether a public key is a low-order point: X25519 with it gives an all-zero secret for every
/// private key. Every clamped scalar is a multiple of the cofactor 8 and not of the group order,
/// so one fixed clamped multiplication yields zero exactly for those points.
pub fn is_low_order(public: &[u8; 32]) -> bool {
    let product = curve25519_dalek::montgomery::MontgomeryPoint(*public).mul_clamped([1u8; 32]);
    product.to_bytes().ct_eq(&[0u8; 32]).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(h: &str) -> [u8; 32] {
        hex::decode(h).unwrap().try_into().unwrap()
    }

    // RFC 7748 §6.1.
    #[test]
    fn rfc7748_section_6_1() {
        let a = Secret32::new(b(
            "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
        ));
        let bk = Secret32::new(b(
            "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
        ));
        let a_pub = public_key(&a);
        let b_pub = public_key(&bk);
        assert_eq!(
            hex::encode(a_pub),
            "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
        );
        assert_eq!(
            hex::encode(b_pub),
            "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"
        );
        let k = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
        assert_eq!(hex::encode(diffie_hellman(&a, &b_pub).unwrap().expose()), k);
        assert_eq!(
            hex::encode(diffie_hellman(&bk, &a_pub).unwrap().expose()),
            k
        );
        assert!(!is_low_order(&a_pub));
    }

    #[test]
    fn low_order_points_are_rejected() {
        let (private, _) = generate();
        let mut one = [0u8; 32];
        one[0] = 1;
        for p in [[0u8; 32], one] {
            assert!(is_low_order(&p));
            assert!(matches!(
                diffie_hellman(&private, &p),
                Err(Error::InvalidKey(_))
            ));
        }
    }
}
