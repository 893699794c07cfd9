//! Payload AEAD, HKDF, X25519, Ed25519, key binding, base64 and key generation.

use avp_crypto::aead::{self, TAG_LEN};
use avp_crypto::{binding, ed25519, encoding, hkdf, x25519, Error, Secret32};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::buffers::{buf, counter, iv12, public32, secret32};
use crate::errors::IntoPyResult;

/// Payloads at least this large are processed with the GIL released; below it, re-acquiring the
/// GIL behind a busy thread would cost more than the work.
const RELEASE_GIL_AT: usize = 64 * 1024;

fn header_aad(
    py: Python<'_>,
    repo_id: &str,
    payload_version: &Bound<'_, PyAny>,
    key_epoch: &Bound<'_, PyAny>,
) -> PyResult<Vec<u8>> {
    let v = counter(payload_version, "payloadVersion")?;
    let e = counter(key_epoch, "keyEpoch")?;
    avp_crypto::aad::aad(repo_id, v, e).py(py)
}

/// Run `work` on `len` bytes, with the GIL released when they are at least `RELEASE_GIL_AT`.
pub fn gil_released_if_large<T: Send>(
    py: Python<'_>,
    len: usize,
    work: impl FnOnce() -> T + Send,
) -> T {
    if len >= RELEASE_GIL_AT {
        py.allow_threads(work)
    } else {
        work()
    }
}

/// Encrypt straight into the result `bytes` (one write of the output).
pub fn seal_into_bytes<'py>(
    py: Python<'py>,
    key: &Secret32,
    iv: &[u8; 12],
    aad: &[u8],
    plaintext: &[u8],
) -> PyResult<Bound<'py, PyBytes>> {
    PyBytes::new_with(py, plaintext.len() + TAG_LEN, |out| {
        // The new object is not visible to any other thread yet, and `plaintext` is
        // immutable (`bytes`) or our own copy: safe to work on both without the GIL.
        gil_released_if_large(py, plaintext.len(), || {
            aead::seal_into(key.expose(), iv, aad, plaintext, out)
        });
        Ok(())
    })
}

/// The payload AAD: UTF8(repo_id) ‖ 0x1F ‖ int64BE(payload_version) ‖ int64BE(key_epoch).
#[pyfunction]
fn aad<'py>(
    py: Python<'py>,
    repo_id: String,
    payload_version: &Bound<'py, PyAny>,
    key_epoch: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    Ok(PyBytes::new(
        py,
        &header_aad(py, &repo_id, payload_version, key_epoch)?,
    ))
}

/// AES-256-GCM under the data key with the envelope AAD and a fresh IV: (iv, ciphertext ‖ tag).
#[pyfunction]
fn seal_payload<'py>(
    py: Python<'py>,
    key: &Bound<'py, PyAny>,
    repo_id: String,
    payload_version: &Bound<'py, PyAny>,
    key_epoch: &Bound<'py, PyAny>,
    plaintext: &Bound<'py, PyAny>,
) -> PyResult<(Bound<'py, PyBytes>, Bound<'py, PyBytes>)> {
    let iv: [u8; 12] = avp_crypto::rand::array();
    seal_payload_with_iv(py, key, &repo_id, payload_version, key_epoch, plaintext, iv)
}

/// `seal_payload` under a given IV: (iv, ciphertext ‖ tag).
fn seal_payload_with_iv<'py>(
    py: Python<'py>,
    key: &Bound<'py, PyAny>,
    repo_id: &str,
    payload_version: &Bound<'py, PyAny>,
    key_epoch: &Bound<'py, PyAny>,
    plaintext: &Bound<'py, PyAny>,
    iv: [u8; 12],
) -> PyResult<(Bound<'py, PyBytes>, Bound<'py, PyBytes>)> {
    let key = secret32(key, "key")?;
    let aad = header_aad(py, repo_id, payload_version, key_epoch)?;
    let plaintext = buf(plaintext, "plaintext")?;
    let ct = seal_into_bytes(py, &key, &iv, &aad, &plaintext)?;
    Ok((PyBytes::new(py, &iv), ct))
}

/// `seal_payload` with a caller-chosen IV (vectors only: never repeat an IV under a key).
#[pyfunction]
#[pyo3(signature = (key, repo_id, payload_version, key_epoch, plaintext, *, iv))]
fn hazmat_seal_payload<'py>(
    py: Python<'py>,
    key: &Bound<'py, PyAny>,
    repo_id: String,
    payload_version: &Bound<'py, PyAny>,
    key_epoch: &Bound<'py, PyAny>,
    plaintext: &Bound<'py, PyAny>,
    iv: &Bound<'py, PyAny>,
) -> PyResult<(Bound<'py, PyBytes>, Bound<'py, PyBytes>)> {
    let iv = iv12(iv)?;
    seal_payload_with_iv(py, key, &repo_id, payload_version, key_epoch, plaintext, iv)
}

/// Decrypt a payload; any mismatch (key, header, IV, tampering) raises InvalidTag.
#[pyfunction]
fn open_payload<'py>(
    py: Python<'py>,
    key: &Bound<'py, PyAny>,
    repo_id: String,
    payload_version: &Bound<'py, PyAny>,
    key_epoch: &Bound<'py, PyAny>,
    iv: &Bound<'py, PyAny>,
    ciphertext: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    let key = secret32(key, "key")?;
    let aad = header_aad(py, &repo_id, payload_version, key_epoch)?;
    let iv = iv12(iv)?;
    let ct = buf(ciphertext, "ciphertext")?;
    if ct.len() < TAG_LEN {
        return Err(Error::InvalidTag).py(py);
    }
    let mut failure = None;
    let out = PyBytes::new_with(py, ct.len() - TAG_LEN, |out| {
        failure = gil_released_if_large(py, ct.len(), || {
            aead::open_into(key.expose(), &iv, &aad, &ct, out)
        })
        .err();
        Ok(())
    })?;
    match failure {
        None => Ok(out),
        Some(e) => Err(e).py(py),
    }
}

/// Raw AES-256-GCM with any AAD, for primitive test vectors (Wycheproof) only.
#[pyfunction]
fn hazmat_aes256gcm_seal<'py>(
    py: Python<'py>,
    key: &Bound<'py, PyAny>,
    iv: &Bound<'py, PyAny>,
    aad: &Bound<'py, PyAny>,
    plaintext: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    let key = secret32(key, "key")?;
    let iv = iv12(iv)?;
    let (aad, plaintext) = (buf(aad, "aad")?, buf(plaintext, "plaintext")?);
    seal_into_bytes(py, &key, &iv, &aad, &plaintext)
}

/// Raw AES-256-GCM decryption with any AAD, for primitive test vectors (Wycheproof) only.
#[pyfunction]
fn hazmat_aes256gcm_open<'py>(
    py: Python<'py>,
    key: &Bound<'py, PyAny>,
    iv: &Bound<'py, PyAny>,
    aad: &Bound<'py, PyAny>,
    ciphertext: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    let key = secret32(key, "key")?;
    let iv = iv12(iv)?;
    let (aad, ciphertext) = (buf(aad, "aad")?, buf(ciphertext, "ciphertext")?);
    let out = aead::open(key.expose(), &iv, &aad, &ciphertext).py(py)?;
    Ok(PyBytes::new(py, &out))
}

/// HKDF-SHA256 (RFC 5869) of `length` bytes (1..=8160).
#[pyfunction]
fn hkdf_sha256<'py>(
    py: Python<'py>,
    ikm: &Bound<'py, PyAny>,
    salt: &Bound<'py, PyAny>,
    info: &Bound<'py, PyAny>,
    length: usize,
) -> PyResult<Bound<'py, PyBytes>> {
    let (ikm, salt, info) = (buf(ikm, "ikm")?, buf(salt, "salt")?, buf(info, "info")?);
    let out = hkdf::hkdf_sha256(&ikm, &salt, &info, length).py(py)?;
    Ok(PyBytes::new(py, &out))
}

/// HKDF-Extract alone (RFC 5869 §2.2): the 32-byte PRK = HMAC-SHA256(salt or 32 zero bytes, ikm).
#[pyfunction]
fn hazmat_hkdf_extract<'py>(
    py: Python<'py>,
    ikm: &Bound<'py, PyAny>,
    salt: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    let (ikm, salt) = (buf(ikm, "ikm")?, buf(salt, "salt")?);
    Ok(PyBytes::new(py, &hkdf::hkdf_sha256_extract(&ikm, &salt)))
}

/// HKDF-Expand alone (RFC 5869 §2.3): `length` bytes (1..=8160) from a PRK of at least 32 bytes.
#[pyfunction]
fn hazmat_hkdf_expand<'py>(
    py: Python<'py>,
    prk: &Bound<'py, PyAny>,
    info: &Bound<'py, PyAny>,
    length: usize,
) -> PyResult<Bound<'py, PyBytes>> {
    let (prk, info) = (buf(prk, "prk")?, buf(info, "info")?);
    let out = hkdf::hkdf_sha256_expand(&prk, &info, length).py(py)?;
    Ok(PyBytes::new(py, &out))
}

/// X25519 (RFC 7748) shared secret, raw; an all-zero result raises InvalidKey.
#[pyfunction]
#[pyo3(name = "x25519")]
fn x25519_dh<'py>(
    py: Python<'py>,
    private: &Bound<'py, PyAny>,
    public: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    let private = secret32(private, "X25519 private key")?;
    let public = public32(public, "X25519 public key")?;
    let shared = x25519::diffie_hellman(&private, &public).py(py)?;
    Ok(PyBytes::new(py, shared.expose()))
}

/// The X25519 public key of a 32-byte private key.
#[pyfunction]
fn x25519_public_key<'py>(
    py: Python<'py>,
    private: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    let private = secret32(private, "X25519 private key")?;
    Ok(PyBytes::new(py, &x25519::public_key(&private)))
}

/// A fresh X25519 keypair: (private, public).
#[pyfunction]
fn x25519_generate(py: Python<'_>) -> (Bound<'_, PyBytes>, Bound<'_, PyBytes>) {
    let (private, public) = x25519::generate();
    (
        PyBytes::new(py, private.expose()),
        PyBytes::new(py, &public),
    )
}

/// Whether an X25519 public key is a low-order point (every shared secret with it is zero).
#[pyfunction]
fn is_low_order_x25519(public: &Bound<'_, PyAny>) -> PyResult<bool> {
    Ok(x25519::is_low_order(&public32(
        public,
        "X25519 public key",
    )?))
}

/// The Ed25519 public key of a 32-byte seed.
#[pyfunction]
fn ed25519_public_key<'py>(
    py: Python<'py>,
    seed: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    let seed = secret32(seed, "Ed25519 seed")?;
    Ok(PyBytes::new(py, &ed25519::public_key(&seed)))
}

/// A fresh Ed25519 keypair: (seed, public).
#[pyfunction]
fn ed25519_generate(py: Python<'_>) -> (Bound<'_, PyBytes>, Bound<'_, PyBytes>) {
    let (seed, public) = ed25519::generate();
    (PyBytes::new(py, seed.expose()), PyBytes::new(py, &public))
}

/// A deterministic Ed25519 signature (RFC 8032).
#[pyfunction]
fn ed25519_sign<'py>(
    py: Python<'py>,
    seed: &Bound<'py, PyAny>,
    message: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    let seed = secret32(seed, "Ed25519 seed")?;
    let message = buf(message, "message")?;
    Ok(PyBytes::new(py, &ed25519::sign(&seed, &message)))
}

/// A signature of the wrong length is simply not valid (`False`); a wrong-length key is an error.
fn signature64(sig: &[u8]) -> Option<[u8; 64]> {
    sig.try_into().ok()
}

/// Strict Ed25519 verification of a signature of any length (a wrong length is not valid).
pub fn ed25519_verify_any_len(public: &[u8; 32], message: &[u8], signature: &[u8]) -> bool {
    signature64(signature).is_some_and(|s| ed25519::verify(public, message, &s))
}

/// Verify under the project's strict policy (see the crate README); False on any rejection.
#[pyfunction]
fn ed25519_verify(
    public: &Bound<'_, PyAny>,
    message: &Bound<'_, PyAny>,
    signature: &Bound<'_, PyAny>,
) -> PyResult<bool> {
    let public = public32(public, "Ed25519 public key")?;
    let message = buf(message, "message")?;
    let signature = buf(signature, "signature")?;
    Ok(ed25519_verify_any_len(&public, &message, &signature))
}

/// The key-binding message UTF8(ed25519_b64 + "|" + x25519_b64); both must be strict base64 of 32 bytes.
#[pyfunction]
fn key_binding_message(
    py: Python<'_>,
    ed25519_b64: String,
    x25519_b64: String,
) -> PyResult<Bound<'_, PyBytes>> {
    let msg = binding::key_binding_message(&ed25519_b64, &x25519_b64).py(py)?;
    Ok(PyBytes::new(py, &msg))
}

/// The issuer's Ed25519 signature over the key-binding message.
#[pyfunction]
fn key_binding_sign<'py>(
    py: Python<'py>,
    issuer_seed: &Bound<'py, PyAny>,
    ed25519_b64: String,
    x25519_b64: String,
) -> PyResult<Bound<'py, PyBytes>> {
    let seed = secret32(issuer_seed, "issuer Ed25519 seed")?;
    let sig = binding::key_binding_sign(&seed, &ed25519_b64, &x25519_b64).py(py)?;
    Ok(PyBytes::new(py, &sig))
}

/// Verify an issuer's key-binding signature (strict policy).
#[pyfunction]
fn key_binding_verify(
    py: Python<'_>,
    issuer_public: &Bound<'_, PyAny>,
    ed25519_b64: String,
    x25519_b64: String,
    signature: &Bound<'_, PyAny>,
) -> PyResult<bool> {
    let public = public32(issuer_public, "issuer Ed25519 public key")?;
    let signature = buf(signature, "signature")?;
    match signature64(&signature) {
        Some(s) => binding::key_binding_verify(&public, &ed25519_b64, &x25519_b64, &s).py(py),
        None => binding::key_binding_message(&ed25519_b64, &x25519_b64)
            .py(py)
            .map(|_| false),
    }
}

/// A fresh random 32-byte data key.
#[pyfunction]
fn generate_data_key(py: Python<'_>) -> Bound<'_, PyBytes> {
    PyBytes::new(py, Secret32::random().expose())
}

/// Decode standard base64 strictly (canonical padding and bits, no whitespace); optional exact length.
#[pyfunction]
#[pyo3(signature = (text, length = None))]
fn b64decode_strict(
    py: Python<'_>,
    text: String,
    length: Option<usize>,
) -> PyResult<Bound<'_, PyBytes>> {
    let out = encoding::b64decode_strict(&text, length).py(py)?;
    Ok(PyBytes::new(py, &out))
}

/// Standard base64 with padding.
#[pyfunction]
fn b64encode(data: &Bound<'_, PyAny>) -> PyResult<String> {
    Ok(encoding::b64encode(&buf(data, "data")?))
}

/// Decode base64url without padding strictly (no padding, canonical trailing bits).
#[pyfunction]
fn b64url_decode_strict(py: Python<'_>, text: String) -> PyResult<Bound<'_, PyBytes>> {
    let out = encoding::b64url_decode_strict(&text).py(py)?;
    Ok(PyBytes::new(py, &out))
}

/// base64url without padding (JWT parts, JWK coordinates, federation tokens).
#[pyfunction]
fn b64url_encode(data: &Bound<'_, PyAny>) -> PyResult<String> {
    Ok(encoding::b64url_encode(&buf(data, "data")?))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(aad, m)?)?;
    m.add_function(wrap_pyfunction!(seal_payload, m)?)?;
    m.add_function(wrap_pyfunction!(hazmat_seal_payload, m)?)?;
    m.add_function(wrap_pyfunction!(open_payload, m)?)?;
    m.add_function(wrap_pyfunction!(hkdf_sha256, m)?)?;
    m.add_function(wrap_pyfunction!(hazmat_hkdf_extract, m)?)?;
    m.add_function(wrap_pyfunction!(hazmat_hkdf_expand, m)?)?;
    m.add_function(wrap_pyfunction!(hazmat_aes256gcm_seal, m)?)?;
    m.add_function(wrap_pyfunction!(hazmat_aes256gcm_open, m)?)?;
    m.add_function(wrap_pyfunction!(x25519_dh, m)?)?;
    m.add_function(wrap_pyfunction!(x25519_public_key, m)?)?;
    m.add_function(wrap_pyfunction!(x25519_generate, m)?)?;
    m.add_function(wrap_pyfunction!(is_low_order_x25519, m)?)?;
    m.add_function(wrap_pyfunction!(ed25519_public_key, m)?)?;
    m.add_function(wrap_pyfunction!(ed25519_generate, m)?)?;
    m.add_function(wrap_pyfunction!(ed25519_sign, m)?)?;
    m.add_function(wrap_pyfunction!(ed25519_verify, m)?)?;
    m.add_function(wrap_pyfunction!(key_binding_message, m)?)?;
    m.add_function(wrap_pyfunction!(key_binding_sign, m)?)?;
    m.add_function(wrap_pyfunction!(key_binding_verify, m)?)?;
    m.add_function(wrap_pyfunction!(generate_data_key, m)?)?;
    m.add_function(wrap_pyfunction!(b64decode_strict, m)?)?;
    m.add_function(wrap_pyfunction!(b64encode, m)?)?;
    m.add_function(wrap_pyfunction!(b64url_decode_strict, m)?)?;
    m.add_function(wrap_pyfunction!(b64url_encode, m)?)?;
    Ok(())
}
