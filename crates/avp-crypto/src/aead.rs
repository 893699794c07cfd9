//! AES-256-GCM with a 12-byte IV and the 16-byte tag appended, in place (ring backend).

use ring::aead::{Aad, LessSafeKey, Nonce, Tag, UnboundKey, AES_256_GCM};

use crate::error::{Error, Result};

/// GCM IV length.
pub const IV_LEN: usize = 12;
/// GCM tag length.
pub const TAG_LEN: usize = 16;

fn key(key: &[u8; 32]) -> LessSafeKey {
    // A 32-byte key is always accepted by AES-256-GCM.
    LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).expect("32-byte AES-256 key"))
}

/// Encrypt `buf[..buf.len() - 16]` in place and write the tag into the last 16 bytes.
/// `buf` must hold the plaintext followed by 16 bytes of room for the tag.
pub fn seal_in_place(k: &[u8; 32], iv: &[u8; IV_LEN], aad: &[u8], buf: &mut [u8]) {
    let split = buf.len() - TAG_LEN;
    let (body, tag_out) = buf.split_at_mut(split);
    let tag = key(k)
        .seal_in_place_separate_tag(Nonce::assume_unique_for_key(*iv), Aad::from(aad), body)
        .expect("AES-GCM input within limits");
    tag_out.copy_from_slice(tag.as_ref());
}

/// Encrypt into a fresh `plaintext ‖ tag` vector.
pub fn seal(k: &[u8; 32], iv: &[u8; IV_LEN], aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(plaintext.len() + TAG_LEN);
    out.extend_from_slice(plaintext);
    out.resize(plaintext.len() + TAG_LEN, 0);
    seal_in_place(k, iv, aad, &mut out);
    out
}

/// Decrypt `ciphertext ‖ tag` into `out` (exactly `ciphertext.len() - 16` bytes). On failure
/// `out` is zeroed so no unauthenticated plaintext survives.
pub fn open_into(
    k: &[u8; 32],
    iv: &[u8; IV_LEN],
    aad: &[u8],
    ciphertext: &[u8],
    out: &mut [u8],
) -> Result<()> {
    if ciphertext.len() < TAG_LEN || out.len() != ciphertext.len() - TAG_LEN {
        return Err(Error::InvalidTag);
    }
    let (body, tag) = ciphertext.split_at(out.len());
    let tag = Tag::try_from(tag).map_err(|_| Error::InvalidTag)?;
    out.copy_from_slice(body);
    let res = key(k).open_in_place_separate_tag(
        Nonce::assume_unique_for_key(*iv),
        Aad::from(aad),
        tag,
        out,
        0..,
    );
    if res.is_err() {
        out.fill(0);
        return Err(Error::InvalidTag);
    }
    Ok(())
}

/// Decrypt `ciphertext ‖ tag` into a fresh vector.
pub fn open(k: &[u8; 32], iv: &[u8; IV_LEN], aad: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>> {
    let mut out = vec![
        0u8;
        ciphertext
            .len()
            .checked_sub(TAG_LEN)
            .ok_or(Error::InvalidTag)?
    ];
    open_into(k, iv, aad, ciphertext, &mut out)?;
    Ok(out)
}

/// Check an IV slice is 12 bytes.
pub fn iv_from_slice(iv: &[u8]) -> Result<[u8; IV_LEN]> {
    iv.try_into()
        .map_err(|_| Error::InvalidEncoding(format!("iv must be {IV_LEN} bytes, got {}", iv.len())))
}

#[cfg(test)]
mod tests {
    use super::*;

    // NIST GCM test case 16 (AES-256, 96-bit IV, with AAD), from the GCM specification.
    #[test]
    fn gcm_spec_test_case_16() {
        let k: [u8; 32] =
            hex::decode("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")
                .unwrap()
                .try_into()
                .unwrap();
        let iv: [u8; 12] = hex::decode("cafebabefacedbaddecaf888")
            .unwrap()
            .try_into()
            .unwrap();
        let pt = hex::decode("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39").unwrap();
        let aad = hex::decode("feedfacedeadbeeffeedfacedeadbeefabaddad2").unwrap();
        let ct = seal(&k, &iv, &aad, &pt);
        assert_eq!(hex::encode(&ct), "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f66276fc6ece0f4e1768cddf8853bb2d551b");
        assert_eq!(open(&k, &iv, &aad, &ct).unwrap(), pt);
        let mut bad = ct.clone();
        bad[0] ^= 1;
        assert_eq!(open(&k, &iv, &aad, &bad), Err(Error::InvalidTag));
        assert_eq!(open(&k, &iv, b"", &ct), Err(Error::InvalidTag));
        assert_eq!(open(&k, &iv, &aad, &ct[..15]), Err(Error::InvalidTag));
    }
}
