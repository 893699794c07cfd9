//! Every cryptographic construction of AVP 0.4 (the Alt Vault Protocol): pure Rust, no I/O.
//!
//! The safe API draws every IV and ephemeral key itself; [`hazmat`] holds the deterministic
//! variants that exist only to reproduce published vectors.

pub mod aad;
pub mod aead;
pub mod binding;
pub mod ed25519;
pub mod encoding;
pub mod envelope;
pub mod error;
pub mod federation;
pub mod hkdf;
pub mod identity;
pub mod payload;
pub mod rand;
pub mod secret;
pub mod strict_json;
pub mod vault_payload;
pub mod wrap;
pub mod x25519;

pub use error::{Error, Result};
pub use secret::Secret32;

/// Deterministic variants (caller-chosen IV / ephemeral key / salt) and the separate steps of
/// HKDF: for test vectors only. Reusing an IV under one key, or an ephemeral key, breaks
/// confidentiality.
pub mod hazmat {
    pub use crate::envelope::seal_envelope_with_iv;
    pub use crate::hkdf::{hkdf_sha256_expand, hkdf_sha256_extract};
    pub use crate::identity::{seal_deterministic as seal_identity_deterministic, slot_key};
    pub use crate::identity::{SlotNonces, Unlock};
    pub use crate::payload::seal_payload_with_iv;
    pub use crate::wrap::wrap_key_deterministic;
}
