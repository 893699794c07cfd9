//! `avp.Identity`: the member's keys live in Rust memory (zeroized on drop).

use avp_crypto::encoding::b64encode;
use avp_crypto::federation::{encode_invite, InviteRequest};
use avp_crypto::identity::{self as id, KdfParams, SlotNonces, Unlock, SALT_LEN};
use avp_crypto::Error;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyType};

use crate::buffers::{buf, iv12, secret32};
use crate::errors::IntoPyResult;
use crate::primitives::ed25519_verify_any_len;
use crate::wrapped::WrappedKey;

/// A member identity: an Ed25519 keypair (signs; its public key is the member id) and an X25519
/// keypair (receives wrapped data keys).
#[pyclass(frozen, module = "avp")]
pub struct Identity(id::Identity);

impl Identity {
    /// The crate identity, for the binding's other modules (signing a write).
    pub(crate) fn keys(&self) -> &id::Identity {
        &self.0
    }
}

#[pymethods]
impl Identity {
    /// A fresh identity from the OS CSPRNG.
    #[classmethod]
    fn generate(_cls: &Bound<'_, PyType>) -> Self {
        Identity(id::Identity::generate())
    }

    /// An identity from its two 32-byte secrets.
    #[classmethod]
    fn from_seeds(
        _cls: &Bound<'_, PyType>,
        ed25519_seed: &Bound<'_, PyAny>,
        x25519_private: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        Ok(Identity(id::Identity::from_secrets(
            secret32(ed25519_seed, "Ed25519 seed")?,
            secret32(x25519_private, "X25519 private key")?,
        )))
    }

    /// Open a sealed identity with its passphrase or its recovery code (exactly one).
    #[classmethod]
    #[pyo3(signature = (sealed, passphrase = None, *, recovery_code = None))]
    fn open(
        _cls: &Bound<'_, PyType>,
        py: Python<'_>,
        sealed: String,
        passphrase: Option<String>,
        recovery_code: Option<String>,
    ) -> PyResult<Self> {
        let unlock = one_unlock(&passphrase, &recovery_code)?;
        // Argon2id takes tens of milliseconds: let other threads run.
        Ok(Identity(
            py.allow_threads(|| id::Identity::open(&sealed, unlock))
                .py(py)?,
        ))
    }

    /// A fresh recovery code (show it to the user once; pass it to `seal`).
    #[staticmethod]
    fn new_recovery_code() -> String {
        id::new_recovery_code()
    }

    /// Seal under a passphrase (and optionally a recovery code) to versioned JSON.
    #[pyo3(signature = (passphrase, *, recovery_code = None, memory_kib = 65536, iterations = 3, parallelism = 1))]
    fn seal(
        &self,
        py: Python<'_>,
        passphrase: String,
        recovery_code: Option<String>,
        memory_kib: u32,
        iterations: u32,
        parallelism: u32,
    ) -> PyResult<String> {
        let params = KdfParams {
            memory_kib,
            iterations,
            parallelism,
        };
        py.allow_threads(|| self.0.seal(&passphrase, recovery_code.as_deref(), &params))
            .py(py)
    }

    #[getter]
    fn ed25519_public_key<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.0.ed25519_public_key())
    }

    #[getter]
    fn x25519_public_key<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.0.x25519_public_key())
    }

    /// The member id: standard base64 of the Ed25519 public key.
    #[getter]
    fn member_id(&self) -> String {
        b64encode(&self.0.ed25519_public_key())
    }

    /// Standard base64 of the X25519 public key.
    #[getter]
    fn x25519_public_key_b64(&self) -> String {
        b64encode(&self.0.x25519_public_key())
    }

    /// Sign a message with the Ed25519 key.
    fn sign<'py>(
        &self,
        py: Python<'py>,
        message: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        Ok(PyBytes::new(py, &self.0.sign(&buf(message, "message")?)))
    }

    /// Verify a signature made by this identity (strict policy).
    fn verify(&self, message: &Bound<'_, PyAny>, signature: &Bound<'_, PyAny>) -> PyResult<bool> {
        let sig = buf(signature, "signature")?;
        let msg = buf(message, "message")?;
        Ok(ed25519_verify_any_len(
            &self.0.ed25519_public_key(),
            &msg,
            &sig,
        ))
    }

    /// Unwrap a data key wrapped to this identity's X25519 key.
    fn unwrap_key<'py>(
        &self,
        py: Python<'py>,
        wrapped: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let inner = WrappedKey::extract_any(wrapped)?;
        let key = avp_crypto::wrap::unwrap_key(&inner, self.0.x25519_private()).py(py)?;
        Ok(PyBytes::new(py, key.expose()))
    }

    /// The invite-request token (base64url JSON of both public keys) a joiner sends an inviter.
    fn invite_token(&self, py: Python<'_>) -> PyResult<String> {
        encode_invite(&InviteRequest {
            ed25519_public_key: self.member_id(),
            x25519_public_key: self.x25519_public_key_b64(),
        })
        .py(py)
    }

    /// The raw Ed25519 seed (a secret: for interop actors and key export only).
    fn export_ed25519_seed<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.0.ed25519_seed().expose())
    }

    /// The raw X25519 private key (a secret: for interop actors and key export only).
    fn export_x25519_private<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.0.x25519_private().expose())
    }

    fn __repr__(&self) -> String {
        format!(
            "Identity(member_id={:?}, x25519_public_key={:?})",
            self.member_id(),
            self.x25519_public_key_b64()
        )
    }
}

/// Exactly one of a passphrase or a recovery code.
fn one_unlock<'a>(
    passphrase: &'a Option<String>,
    recovery_code: &'a Option<String>,
) -> PyResult<Unlock<'a>> {
    match (passphrase, recovery_code) {
        (Some(p), None) => Ok(Unlock::Passphrase(p)),
        (None, Some(c)) => Ok(Unlock::RecoveryCode(c)),
        _ => Err(pyo3::exceptions::PyTypeError::new_err(
            "give exactly one of passphrase or recovery_code",
        )),
    }
}

/// A slot's salt and IV (wrong lengths: `InvalidEncoding`).
fn slot_nonces(salt: &Bound<'_, PyAny>, iv: &Bound<'_, PyAny>) -> PyResult<SlotNonces> {
    let bytes = buf(salt, "salt")?;
    let salt: [u8; SALT_LEN] = (*bytes)
        .try_into()
        .map_err(|_| {
            Error::InvalidEncoding(format!(
                "salt must be {SALT_LEN} bytes, got {}",
                bytes.len()
            ))
        })
        .py(iv.py())?;
    Ok(SlotNonces {
        salt,
        iv: iv12(iv)?,
    })
}

/// `Identity.seal` with caller-chosen salts and IVs (vectors only: a fixed salt and IV under one
/// passphrase reuse an AES-GCM key and IV). The recovery-code slot needs its own salt and IV.
#[pyfunction]
#[pyo3(signature = (
    identity, passphrase, *, salt, iv, recovery_code = None, recovery_salt = None,
    recovery_iv = None, memory_kib = 65536, iterations = 3, parallelism = 1
))]
#[allow(clippy::too_many_arguments)]
fn hazmat_seal_identity(
    py: Python<'_>,
    identity: &Bound<'_, Identity>,
    passphrase: String,
    salt: &Bound<'_, PyAny>,
    iv: &Bound<'_, PyAny>,
    recovery_code: Option<String>,
    recovery_salt: Option<&Bound<'_, PyAny>>,
    recovery_iv: Option<&Bound<'_, PyAny>>,
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
) -> PyResult<String> {
    let params = KdfParams {
        memory_kib,
        iterations,
        parallelism,
    };
    let nonces = slot_nonces(salt, iv)?;
    let recovery = match (&recovery_code, recovery_salt, recovery_iv) {
        (Some(code), Some(s), Some(i)) => Some((code.as_str(), slot_nonces(s, i)?)),
        (None, None, None) => None,
        _ => {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "recovery_code, recovery_salt and recovery_iv go together",
            ))
        }
    };
    let inner = &identity.get().0;
    py.allow_threads(|| {
        id::seal_deterministic(
            inner,
            &passphrase,
            &nonces,
            recovery.as_ref().map(|(code, n)| (*code, n)),
            &params,
        )
    })
    .py(py)
}

/// The Argon2id slot key a passphrase or a recovery code (exactly one) derives under `salt`
/// (after the format's normalisation): what `seal` and `open` use. For vectors.
#[pyfunction]
#[pyo3(signature = (
    salt, passphrase = None, *, recovery_code = None, memory_kib = 65536, iterations = 3,
    parallelism = 1
))]
fn hazmat_identity_slot_key<'py>(
    py: Python<'py>,
    salt: &Bound<'py, PyAny>,
    passphrase: Option<String>,
    recovery_code: Option<String>,
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
) -> PyResult<Bound<'py, PyBytes>> {
    let params = KdfParams {
        memory_kib,
        iterations,
        parallelism,
    };
    let unlock = one_unlock(&passphrase, &recovery_code)?;
    let salt = buf(salt, "salt")?.to_vec();
    let key = py
        .allow_threads(|| id::slot_key(unlock, &salt, &params))
        .py(py)?;
    Ok(PyBytes::new(py, key.expose()))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Identity>()?;
    m.add_function(wrap_pyfunction!(hazmat_seal_identity, m)?)?;
    m.add_function(wrap_pyfunction!(hazmat_identity_slot_key, m)?)?;
    Ok(())
}
