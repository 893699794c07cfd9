//! X25519 (RFC 7748) with the project's rule: an all-zero shared secret is an error.
//!
//! AWS-LC does the scalar multiplications. Public keys go through aws-lc-rs's safe API; the
//! shared secret calls AWS-LC's raw `X25519()` ([`aws_lc_x25519`], the crate's only `unsafe`):
//! loading a private key into aws-lc-rs also computes its public key, a fixed-base multiplication
//! (≈ 8 µs) that a shared secret with a static key does not need.

use aws_lc_rs::agreement::{PrivateKey, X25519};
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

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

/// `X25519(private, peer)` (RFC 7748: clamps the scalar, masks the top bit of `u`) into `out`,
/// by AWS-LC's raw C function. Returns AWS-LC's verdict: `false` exactly when the output is all
/// zero (AWS-LC compares with `CRYPTO_memcmp`, in constant time).
///
/// The crate's only `unsafe` code (the workspace denies it everywhere else; see README.md,
/// "Dependencies and why").
#[allow(unsafe_code)]
fn aws_lc_x25519(out: &mut [u8; 32], private: &[u8; 32], peer: &[u8; 32]) -> bool {
    // CPU-capability detection (selects the BMI2/ADX code path); a no-op after the first call.
    aws_lc_rs::init();
    // SAFETY: `X25519(uint8_t out[32], const uint8_t private[32], const uint8_t peer[32])`
    // (openssl/curve25519.h) reads exactly 32 bytes through each input pointer and writes exactly
    // 32 bytes through `out`. All three pointers come from references to `[u8; 32]`, so each is
    // non-null, valid for 32 bytes and (for `u8`) aligned; `out` comes from a `&mut`, so it does not
    // overlap the inputs. AWS-LC keeps none of the pointers after returning, and the function
    // touches no shared mutable state (the capability flags are written once, by `init` above),
    // so concurrent calls from several threads are sound. The declaration is aws-lc-sys's own
    // binding of the exact AWS-LC build linked here (versions pinned together in Cargo.toml).
    let status = unsafe { aws_lc_sys::X25519(out.as_mut_ptr(), private.as_ptr(), peer.as_ptr()) };
    status == 1
}

/// The shared secret; an all-zero output is rejected, and the output buffer is zeroized.
fn shared_secret(private: &Secret32, peer: &[u8; 32]) -> Result<Secret32> {
    let mut out = Secret32::new([0u8; 32]);
    let accepted = aws_lc_x25519(out.expose_mut(), private.expose(), peer);
    // Our own constant-time check as well, so the rule does not rest on the C return value alone.
    let zero: bool = out.expose().ct_eq(&[0u8; 32]).into();
    if !accepted || zero {
        out.zeroize();
        return Err(Error::InvalidKey(
            "X25519 shared secret is all zero (low-order public key)".into(),
        ));
    }
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
    shared_secret(private, public)
}

/// Our public key and the shared secret with `peer` (the ephemeral side of a key wrap): one
/// fixed-base and one variable-base multiplication.
pub fn public_key_and_shared(private: &Secret32, peer: &[u8; 32]) -> Result<([u8; 32], Secret32)> {
    let shared = shared_secret(private, peer)?;
    Ok((public_key(private), shared))
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

    // RFC 7748 §5.2: the second u has its top bit set (0x93), which X25519 must mask.
    #[test]
    fn rfc7748_section_5_2_and_top_bit_masking() {
        let cases = [
            (
                "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
                "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
                "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552",
            ),
            (
                "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
                "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
                "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957",
            ),
        ];
        for (k, u, out) in cases {
            let shared = diffie_hellman(&Secret32::new(b(k)), &b(u)).unwrap();
            assert_eq!(hex::encode(shared.expose()), out);
        }
    }

    /// The raw AWS-LC call against two other implementations: aws-lc-rs's safe agreement (the
    /// previous code path) and curve25519-dalek, on random keys and random (mostly off-curve,
    /// sometimes non-canonical) u-coordinates.
    #[test]
    fn raw_call_matches_safe_api_and_dalek() {
        use aws_lc_rs::agreement::{agree, UnparsedPublicKey};
        for i in 0..64 {
            let private = Secret32::random();
            let mut peer: [u8; 32] = crate::rand::array();
            if i % 2 == 0 {
                peer = public_key(&Secret32::random());
            }
            if i % 8 == 1 {
                peer[31] |= 0x80;
            }
            let ours = diffie_hellman(&private, &peer).unwrap();
            let mut safe = [0u8; 32];
            agree(
                &load(&private),
                UnparsedPublicKey::new(&X25519, &peer),
                (),
                |s| {
                    safe.copy_from_slice(s);
                    Ok(())
                },
            )
            .unwrap();
            assert_eq!(ours.expose(), &safe);
            let dalek = curve25519_dalek::montgomery::MontgomeryPoint(peer)
                .mul_clamped(*private.expose())
                .to_bytes();
            assert_eq!(ours.expose(), &dalek);
            let (public, shared) = public_key_and_shared(&private, &peer).unwrap();
            assert_eq!(public, public_key(&private));
            assert_eq!(shared.expose(), &safe);
        }
    }

    #[test]
    fn low_order_points_are_rejected() {
        let (private, _) = generate();
        let mut one = [0u8; 32];
        one[0] = 1;
        // 0, 1, a point of order 8, p - 1, p, p + 1 (non-canonical encodings of -1, 0, 1).
        let order8 = b("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800");
        let mut p_minus_1 = [0xffu8; 32];
        p_minus_1[0] = 0xec;
        p_minus_1[31] = 0x7f;
        let mut p = p_minus_1;
        p[0] = 0xed;
        let mut p_plus_1 = p_minus_1;
        p_plus_1[0] = 0xee;
        for p in [[0u8; 32], one, order8, p_minus_1, p, p_plus_1] {
            assert!(is_low_order(&p));
            assert!(matches!(
                diffie_hellman(&private, &p),
                Err(Error::InvalidKey(_))
            ));
            assert!(matches!(
                public_key_and_shared(&private, &p),
                Err(Error::InvalidKey(_))
            ));
        }
    }
}
