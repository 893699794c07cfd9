//! Strict base64 and counter range checks (project rules, AVP-PROTOCOL §1).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::error::{Error, Result};

/// Largest counter value: 2^53 - 1, the largest integer JavaScript represents exactly.
pub const MAX_COUNTER: u64 = (1 << 53) - 1;

/// Standard base64 with padding (RFC 4648 §4).
pub fn b64encode(bytes: &[u8]) -> String {
    base64_simd::STANDARD.encode_to_string(bytes)
}

/// Decode standard base64 strictly: canonical padding and trailing bits, no whitespace, no
/// url-safe alphabet. With `length`, the decoded value must have exactly that many bytes.
pub fn b64decode_strict(text: &str, length: Option<usize>) -> Result<Vec<u8>> {
    // base64-simd's STANDARD requires canonical padding and zero trailing bits.
    let out = base64_simd::STANDARD
        .decode_to_vec(text)
        .map_err(|_| Error::InvalidEncoding("invalid base64".into()))?;
    check_length(&out, length)?;
    Ok(out)
}

/// Decode strict standard base64 and append it to `out` (a large field decoded piece by piece:
/// every piece but the last must be a multiple of 4 characters without padding).
pub fn b64decode_append(text: &[u8], out: &mut Vec<u8>) -> Result<()> {
    base64_simd::STANDARD
        .decode_append(text, out)
        .map_err(|_| Error::InvalidEncoding("invalid base64".into()))
}

/// base64url without padding (RFC 4648 §5), for the federation tokens.
pub fn b64url_encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decode base64url without padding, strictly (no padding, canonical trailing bits).
pub fn b64url_decode_strict(text: &str) -> Result<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|e| Error::InvalidEncoding(format!("invalid base64url: {e}")))
}

/// Decode a standard-base64 field that must hold exactly 32 bytes.
pub fn b64decode_32(what: &str, text: &str) -> Result<[u8; 32]> {
    let v =
        b64decode_strict(text, None).map_err(|e| Error::InvalidEncoding(format!("{what}: {e}")))?;
    v.as_slice().try_into().map_err(|_| {
        Error::InvalidEncoding(format!("{what} must decode to 32 bytes, got {}", v.len()))
    })
}

fn check_length(out: &[u8], length: Option<usize>) -> Result<()> {
    match length {
        Some(n) if out.len() != n => Err(Error::InvalidEncoding(format!(
            "expected {n} bytes after base64 decoding, got {}",
            out.len()
        ))),
        _ => Ok(()),
    }
}

/// Check a counter (`payloadVersion`, `keyEpoch`, ...) is in `0 ..= 2^53 - 1`.
pub fn check_counter(what: &str, value: i128) -> Result<u64> {
    if (0..=MAX_COUNTER as i128).contains(&value) {
        Ok(value as u64)
    } else {
        Err(Error::CounterOutOfRange(format!(
            "{what} must be an integer in [0, 2^53-1], got {value}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_base64_rejects_non_canonical_forms() {
        assert_eq!(b64decode_strict("AAE=", None).unwrap(), vec![0, 1]);
        for bad in ["AAF=", "AAE", "AAE==", " AAE=", "AA E=", "AAE=\n", "-_8="] {
            assert!(b64decode_strict(bad, None).is_err(), "{bad:?} accepted");
        }
        assert_eq!(b64decode_strict("AA==", Some(1)).unwrap(), vec![0]);
        assert!(b64decode_strict("AA==", Some(2)).is_err());
        assert!(b64decode_strict("AB==", None).is_err()); // non-zero trailing bits
    }

    /// base64-simd (standard fields) and the `base64` crate (an independent implementation)
    /// agree on every verdict and output, over all short inputs built from a few edge characters.
    #[test]
    fn simd_decoder_agrees_with_the_base64_crate() {
        use base64::engine::general_purpose::STANDARD;
        let alphabet = ["A", "B", "Q", "g", "/", "+", "=", "-", " ", "w"];
        let mut inputs = vec![String::new()];
        for _ in 0..4 {
            let next: Vec<String> = inputs
                .iter()
                .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
                .collect();
            inputs.extend(next);
        }
        for prefix in ["", "QUJD"] {
            for s in &inputs {
                let text = format!("{prefix}{s}");
                let ours = b64decode_strict(&text, None).ok();
                assert_eq!(ours, STANDARD.decode(&text).ok(), "{text:?}");
                if let Some(bytes) = ours {
                    assert_eq!(b64encode(&bytes), STANDARD.encode(&bytes));
                }
            }
        }
        let mut out = vec![9];
        b64decode_append(b"QUJD", &mut out).unwrap();
        b64decode_append(b"RA==", &mut out).unwrap();
        assert_eq!(out, b"\x09ABCD");
        assert!(b64decode_append(b"RA=", &mut out).is_err());
    }

    #[test]
    fn base64url_is_unpadded() {
        assert_eq!(b64url_encode(&[0xfb, 0xff]), "-_8");
        assert_eq!(b64url_decode_strict("-_8").unwrap(), vec![0xfb, 0xff]);
        assert!(b64url_decode_strict("-_8=").is_err());
        assert!(b64url_decode_strict("+/8").is_err());
    }

    #[test]
    fn counters_are_range_checked() {
        assert_eq!(check_counter("c", 0).unwrap(), 0);
        assert_eq!(
            check_counter("c", MAX_COUNTER as i128).unwrap(),
            MAX_COUNTER
        );
        assert!(check_counter("c", -1).is_err());
        assert!(check_counter("c", MAX_COUNTER as i128 + 1).is_err());
    }
}
