//! Ed25519 (RFC 8032) signing and the project's one strict verification policy.
//!
//! Accepted iff all of: the public key A and the commitment R are canonical encodings (y < p)
//! of points that are not of small order; S < L; and the cofactorless equation
//! `[S]B = R + [k]A` holds with the recomputed R equal to R's bytes. This rejects the "universal
//! signature" of the small-order key `01 00..00` with `01 00..00 ‖ 0^32`. The accept-set is
//! pinned by the CCTV and Wycheproof tests (see the crate README).
//!
//! The encoding and small-order checks are done here, byte-wise; AWS-LC (whose verification is
//! cofactorless, requires S < L and compares R as bytes) does the group arithmetic.

use std::sync::OnceLock;

use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair, UnparsedPublicKey, ED25519};
use curve25519_dalek::constants::EIGHT_TORSION;
use curve25519_dalek::scalar::Scalar;

use crate::secret::Secret32;

fn key_pair(seed: &Secret32) -> Ed25519KeyPair {
    Ed25519KeyPair::from_seed_unchecked(seed.expose()).expect("any 32-byte seed is an Ed25519 key")
}

/// The public key of a 32-byte seed.
pub fn public_key(seed: &Secret32) -> [u8; 32] {
    key_pair(seed)
        .public_key()
        .as_ref()
        .try_into()
        .expect("32-byte Ed25519 public key")
}

/// A fresh keypair: (seed, public).
pub fn generate() -> (Secret32, [u8; 32]) {
    let seed = Secret32::random();
    let public = public_key(&seed);
    (seed, public)
}

/// A deterministic RFC 8032 signature.
pub fn sign(seed: &Secret32, message: &[u8]) -> [u8; 64] {
    key_pair(seed)
        .sign(message)
        .as_ref()
        .try_into()
        .expect("64-byte Ed25519 signature")
}

/// Whether the y coordinate of an encoded point is reduced (y < p = 2^255 - 19). The other
/// non-canonical form, a set sign bit with x = 0, only exists for the small-order points y = ±1.
fn is_canonical_y(bytes: &[u8; 32]) -> bool {
    let top = bytes[31] & 0x7f;
    !(top == 0x7f && bytes[1..31].iter().all(|b| *b == 0xff) && bytes[0] >= 0xed)
}

/// The y encodings (sign bit cleared) of the eight points of small order. A point P and -P share
/// y, so comparing with the sign bit cleared covers every encoding of every small-order point.
fn small_order_ys() -> &'static [[u8; 32]; 8] {
    static YS: OnceLock<[[u8; 32]; 8]> = OnceLock::new();
    YS.get_or_init(|| {
        EIGHT_TORSION.map(|p| {
            let mut y = p.compress().to_bytes();
            y[31] &= 0x7f;
            y
        })
    })
}

fn is_small_order(bytes: &[u8; 32]) -> bool {
    let mut y = *bytes;
    y[31] &= 0x7f;
    small_order_ys().contains(&y)
}

/// Verify under the strict policy above. Every rejection is a plain `false`.
pub fn verify(public: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
    let r: &[u8; 32] = signature[..32].try_into().expect("64-byte signature");
    let s: [u8; 32] = signature[32..].try_into().expect("64-byte signature");
    if !is_canonical_y(public) || !is_canonical_y(r) || is_small_order(public) || is_small_order(r)
    {
        return false;
    }
    if bool::from(Scalar::from_canonical_bytes(s).is_none()) {
        return false;
    }
    UnparsedPublicKey::new(&ED25519, public)
        .verify(message, signature)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h32(h: &str) -> [u8; 32] {
        hex::decode(h).unwrap().try_into().unwrap()
    }

    // RFC 8032 §7.1 TEST 1 and TEST 2.
    #[test]
    fn rfc8032_tests_1_and_2() {
        let cases = [
            (
                "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
                "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
                "",
                "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
            ),
            (
                "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
                "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
                "72",
                "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
            ),
        ];
        for (seed, public, msg, sig) in cases {
            let seed = Secret32::new(h32(seed));
            let msg = hex::decode(msg).unwrap();
            assert_eq!(hex::encode(public_key(&seed)), public);
            let s = sign(&seed, &msg);
            assert_eq!(hex::encode(s), sig);
            assert!(verify(&h32(public), &msg, &s));
            assert!(!verify(&h32(public), b"other", &s));
        }
    }

    #[test]
    fn universal_signature_is_rejected() {
        let mut key = [0u8; 32];
        key[0] = 1;
        let mut sig = [0u8; 64];
        sig[0] = 1;
        for msg in [&b""[..], b"any message", b"login"] {
            assert!(!verify(&key, msg, &sig));
        }
    }

    #[test]
    fn non_canonical_y_is_detected() {
        let mut p = [0xffu8; 32];
        p[31] = 0x7f;
        p[0] = 0xec; // p - 1: canonical
        assert!(is_canonical_y(&p));
        p[0] = 0xed; // p: non-canonical encoding of 0
        assert!(!is_canonical_y(&p));
        p[31] = 0xff; // sign bit does not matter
        assert!(!is_canonical_y(&p));
        assert!(is_canonical_y(&[0u8; 32]));
    }

    #[test]
    fn small_order_points_are_detected_with_either_sign() {
        let mut one = [0u8; 32];
        one[0] = 1;
        assert!(is_small_order(&one));
        one[31] = 0x80; // "negative zero" encoding of the identity
        assert!(is_small_order(&one));
        assert!(is_small_order(&[0u8; 32]));
        let (_, public) = generate();
        assert!(!is_small_order(&public));
    }

    #[test]
    fn s_not_reduced_is_rejected() {
        let seed = Secret32::new([7u8; 32]);
        let public = public_key(&seed);
        let mut sig = sign(&seed, b"m");
        // S + L is the same scalar mod L but not canonical.
        let l = h32("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
        let mut carry = 0u16;
        for i in 0..32 {
            let v = sig[32 + i] as u16 + l[i] as u16 + carry;
            sig[32 + i] = v as u8;
            carry = v >> 8;
        }
        assert!(!verify(&public, b"m", &sig));
    }
}
