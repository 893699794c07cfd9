//! HKDF-SHA256 (RFC 5869).

use hkdf::Hkdf;
use sha2::Sha256;

use crate::error::{Error, Result};

/// Largest HKDF-SHA256 output: 255 blocks of 32 bytes.
pub const MAX_OUTPUT: usize = 255 * 32;

/// Extract-then-expand into `out` (any length up to 8160 bytes).
pub fn hkdf_sha256_into(ikm: &[u8], salt: &[u8], info: &[u8], out: &mut [u8]) -> Result<()> {
    // An empty salt means "HashLen zero bytes" (RFC 5869 §2.2); the hkdf crate does the same.
    Hkdf::<Sha256>::new(Some(salt), ikm)
        .expand(info, out)
        .map_err(|_| {
            Error::InvalidEncoding(format!(
                "HKDF-SHA256 output length must be 1..={MAX_OUTPUT}"
            ))
        })
}

/// Extract-then-expand into a fresh vector of `length` bytes.
pub fn hkdf_sha256(ikm: &[u8], salt: &[u8], info: &[u8], length: usize) -> Result<Vec<u8>> {
    if length == 0 || length > MAX_OUTPUT {
        return Err(Error::InvalidEncoding(format!(
            "HKDF-SHA256 output length must be 1..={MAX_OUTPUT}, got {length}"
        )));
    }
    let mut out = vec![0u8; length];
    hkdf_sha256_into(ikm, salt, info, &mut out)?;
    Ok(out)
}

/// HKDF-Extract alone: `PRK = HMAC-SHA256(salt, ikm)`, an empty salt meaning 32 zero bytes
/// (RFC 5869 §2.2). For known-answer tests of the two steps (exposed as `hazmat`).
pub fn hkdf_sha256_extract(ikm: &[u8], salt: &[u8]) -> [u8; 32] {
    let (prk, _) = Hkdf::<Sha256>::extract(Some(salt), ikm);
    prk.into()
}

/// HKDF-Expand alone (RFC 5869 §2.3): `length` bytes (1..=8160) from a PRK of at least 32 bytes.
/// For known-answer tests of the two steps (exposed as `hazmat`).
pub fn hkdf_sha256_expand(prk: &[u8], info: &[u8], length: usize) -> Result<Vec<u8>> {
    if length == 0 || length > MAX_OUTPUT {
        return Err(Error::InvalidEncoding(format!(
            "HKDF-SHA256 output length must be 1..={MAX_OUTPUT}, got {length}"
        )));
    }
    let hk = Hkdf::<Sha256>::from_prk(prk).map_err(|_| {
        Error::InvalidKey(format!(
            "an HKDF-SHA256 PRK must be at least 32 bytes, got {}",
            prk.len()
        ))
    })?;
    let mut out = vec![0u8; length];
    hk.expand(info, &mut out)
        .expect("length checked against MAX_OUTPUT");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 5869 Appendix A.1 and A.3.
    #[test]
    fn rfc5869_a1_and_a3() {
        let ikm = [0x0bu8; 22];
        let salt = hex::decode("000102030405060708090a0b0c").unwrap();
        let info = hex::decode("f0f1f2f3f4f5f6f7f8f9").unwrap();
        assert_eq!(
            hex::encode(hkdf_sha256_extract(&ikm, &salt)),
            "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5"
        );
        assert_eq!(
            hex::encode(hkdf_sha256(&ikm, &salt, &info, 42).unwrap()),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
        );
        assert_eq!(
            hex::encode(hkdf_sha256(&ikm, b"", b"", 42).unwrap()),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"
        );
        let prk = hkdf_sha256_extract(&ikm, &salt);
        assert_eq!(
            hkdf_sha256_expand(&prk, &info, 42).unwrap(),
            hkdf_sha256(&ikm, &salt, &info, 42).unwrap()
        );
        // A.3's PRK, with the empty salt standing for 32 zero bytes.
        assert_eq!(
            hex::encode(hkdf_sha256_extract(&ikm, b"")),
            "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04"
        );
        assert_eq!(
            hkdf_sha256_extract(&ikm, b""),
            hkdf_sha256_extract(&ikm, &[0u8; 32])
        );
        assert!(hkdf_sha256_expand(&prk, b"", 0).is_err());
        assert!(hkdf_sha256_expand(&prk, b"", MAX_OUTPUT + 1).is_err());
        assert_eq!(
            hkdf_sha256_expand(&prk, b"", MAX_OUTPUT).unwrap().len(),
            MAX_OUTPUT
        );
        assert!(matches!(
            hkdf_sha256_expand(&prk[..31], b"", 32),
            Err(Error::InvalidKey(_))
        ));
        assert!(hkdf_sha256(&ikm, b"", b"", 0).is_err());
        assert!(hkdf_sha256(&ikm, b"", b"", MAX_OUTPUT + 1).is_err());
    }
}
