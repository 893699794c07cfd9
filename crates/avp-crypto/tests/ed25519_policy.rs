//! The strict Ed25519 accept-set pinned on the C2SP CCTV edge cases (`../shared/cctv`), when the
//! file is present (a user's fresh clone has no `../shared`: the test says so and passes).

use std::path::PathBuf;

use avp_crypto::ed25519::verify;

/// CCTV flags that the policy rejects; every other case must verify.
const REJECTING: [&str; 5] = [
    "low_order_A",
    "low_order_R",
    "non_canonical_A",
    "non_canonical_R",
    "low_order_residue",
];
/// Measured once and pinned (the Python suite pins the same number).
const ACCEPTED: usize = 43;

fn unhex<const N: usize>(s: &str) -> [u8; N] {
    let bytes: Vec<u8> = (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect();
    bytes.try_into().unwrap()
}

#[test]
fn cctv_accept_set_matches_the_policy() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/cctv/ed25519vectors.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("skipped: {} is absent", path.display());
        return;
    };
    let cases: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(cases.len(), 914);
    let mut accepted = 0;
    for case in &cases {
        let key: [u8; 32] = unhex(case["key"].as_str().unwrap());
        let sig: [u8; 64] = unhex(case["sig"].as_str().unwrap());
        let msg = case["msg"].as_str().unwrap().as_bytes();
        let flags: Vec<&str> = case["flags"]
            .as_array()
            .map(|a| a.iter().filter_map(|f| f.as_str()).collect())
            .unwrap_or_default();
        let expected = !flags.iter().any(|f| REJECTING.contains(f));
        assert_eq!(
            verify(&key, msg, &sig),
            expected,
            "case {} {:?}",
            case["number"],
            flags
        );
        accepted += usize::from(expected);
    }
    assert_eq!(accepted, ACCEPTED);
}
