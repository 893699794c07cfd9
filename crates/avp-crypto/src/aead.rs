//! AES-256-GCM with a 12-byte IV and the 16-byte tag appended (AWS-LC backend).
//!
//! Sealing and opening are out of place (input and output are separate buffers), so a caller
//! writes the result once, straight into its final allocation.

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};

use crate::error::{Error, Result};

/// GCM IV length.
pub const IV_LEN: usize = 12;
/// GCM tag length.
pub const TAG_LEN: usize = 16;

fn key(key: &[u8; 32]) -> LessSafeKey {
    LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).expect("a 32-byte AES-256 key"))
}

/// Encrypt `plaintext` into `out`, which must be exactly `plaintext.len() + 16` bytes
/// (ciphertext then tag).
pub fn seal_into(k: &[u8; 32], iv: &[u8; IV_LEN], aad: &[u8], plaintext: &[u8], out: &mut [u8]) {
    assert_eq!(
        out.len(),
        plaintext.len() + TAG_LEN,
        "output must hold ciphertext and tag"
    );
    key(k)
        .seal_in_place_scatter(
            Nonce::assume_unique_for_key(*iv),
            Aad::from(aad),
            &mut [],
            plaintext,
            out,
        )
        .expect("AES-GCM input within limits");
}

/// Encrypt into a fresh `ciphertext ‖ tag` vector.
pub fn seal(k: &[u8; 32], iv: &[u8; IV_LEN], aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; plaintext.len() + TAG_LEN];
    seal_into(k, iv, aad, plaintext, &mut out);
    out
}

/// Encrypt `buf` in place and append the tag (no second buffer: large payloads).
pub fn seal_in_place(k: &[u8; 32], iv: &[u8; IV_LEN], aad: &[u8], buf: &mut Vec<u8>) {
    key(k)
        .seal_in_place_append_tag(Nonce::assume_unique_for_key(*iv), Aad::from(aad), buf)
        .expect("AES-GCM input within limits");
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
    let res = key(k).open_separate_gather(
        Nonce::assume_unique_for_key(*iv),
        Aad::from(aad),
        body,
        tag,
        out,
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

/// Decrypt `ciphertext ‖ tag` in place (no second buffer: large payloads). On success `buf`
/// is truncated to the plaintext; on failure it is zeroed.
pub fn open_in_place(k: &[u8; 32], iv: &[u8; IV_LEN], aad: &[u8], buf: &mut Vec<u8>) -> Result<()> {
    if buf.len() < TAG_LEN {
        return Err(Error::InvalidTag);
    }
    let opened = key(k)
        .open_in_place(Nonce::assume_unique_for_key(*iv), Aad::from(aad), buf)
        .map(|plaintext| plaintext.len());
    match opened {
        Ok(n) => {
            buf.truncate(n);
            Ok(())
        }
        Err(_) => {
            buf.fill(0);
            Err(Error::InvalidTag)
        }
    }
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
        let mut sealed_in_place = pt.clone();
        seal_in_place(&k, &iv, &aad, &mut sealed_in_place);
        assert_eq!(sealed_in_place, ct);
        let mut in_place = ct.clone();
        open_in_place(&k, &iv, &aad, &mut in_place).unwrap();
        assert_eq!(in_place, pt);
        let mut tampered = bad.clone();
        assert_eq!(
            open_in_place(&k, &iv, &aad, &mut tampered),
            Err(Error::InvalidTag)
        );
        assert!(tampered.iter().all(|&b| b == 0));
        assert_eq!(
            open_in_place(&k, &iv, &aad, &mut ct[..15].to_vec()),
            Err(Error::InvalidTag)
        );
    }

    #[test]
    fn failed_open_leaves_no_plaintext() {
        let k = [3u8; 32];
        let iv = [4u8; 12];
        let mut ct = seal(&k, &iv, b"", &[0xaa; 64]);
        ct[70] ^= 1;
        let mut out = [0x55u8; 64];
        assert!(open_into(&k, &iv, b"", &ct, &mut out).is_err());
        assert_eq!(out, [0u8; 64]);
    }
}
