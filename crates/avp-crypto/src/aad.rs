//! The payload AAD: `UTF8(repoId) ‖ 0x1F ‖ int64BE(payloadVersion) ‖ int64BE(keyEpoch)`.

use crate::encoding::check_counter;
use crate::error::Result;

/// Build the AAD after range-checking both counters.
pub fn aad(repo_id: &str, payload_version: i128, key_epoch: i128) -> Result<Vec<u8>> {
    let version = check_counter("payloadVersion", payload_version)?;
    let epoch = check_counter("keyEpoch", key_epoch)?;
    let mut out = Vec::with_capacity(repo_id.len() + 17);
    out.extend_from_slice(repo_id.as_bytes());
    out.push(0x1f);
    out.extend_from_slice(&version.to_be_bytes());
    out.extend_from_slice(&epoch.to_be_bytes());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_example() {
        assert_eq!(
            hex::encode(aad("repo-1", 1, 0).unwrap()),
            "7265706f2d311f00000000000000010000000000000000"
        );
    }

    #[test]
    fn counters_out_of_range_are_rejected() {
        assert!(aad("r", -1, 0).is_err());
        assert!(aad("r", 0, 1 << 53).is_err());
    }
}
