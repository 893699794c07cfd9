//! `WrappedKey` and the wrap / unwrap functions.

use avp_crypto::wrap::{self, WrappedKey as Inner};
use avp_crypto::Error;
use pyo3::exceptions::{PyKeyError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyMapping};

use crate::buffers::{iv12, public32, secret32};
use crate::errors::IntoPyResult;

/// A data key wrapped to one recipient. Binary attributes are `bytes`; `to_dict()` gives the wire
/// form (base64 strings, camelCase names).
#[pyclass(frozen, eq, module = "avp.crypto")]
#[derive(PartialEq)]
pub struct WrappedKey(pub Inner);

const FIELDS: [&str; 4] = ["schemeId", "ephemeralPublicKey", "iv", "ciphertext"];

fn dict_str(py: Python<'_>, d: &Bound<'_, PyMapping>, key: &str) -> PyResult<String> {
    let value = match d.get_item(key) {
        Ok(v) => v,
        Err(e) if e.is_instance_of::<PyKeyError>(py) => {
            return Err(Error::InvalidEncoding(format!(
                "WrappedKey is missing {key:?}"
            )))
            .py(py)
        }
        Err(e) => return Err(e),
    };
    value.extract::<String>().or_else(|_| {
        Err(Error::InvalidEncoding(format!(
            "WrappedKey {key:?} must be a string"
        )))
        .py(py)
    })
}

impl WrappedKey {
    fn parse_dict(d: &Bound<'_, PyMapping>) -> PyResult<Inner> {
        let py = d.py();
        let [s, e, i, c] = FIELDS;
        Inner::from_wire(
            &dict_str(py, d, s)?,
            &dict_str(py, d, e)?,
            &dict_str(py, d, i)?,
            &dict_str(py, d, c)?,
        )
        .py(py)
    }

    /// A `WrappedKey` or its wire dict.
    pub fn extract_any(obj: &Bound<'_, PyAny>) -> PyResult<Inner> {
        if let Ok(w) = obj.downcast::<WrappedKey>() {
            return Ok(w.get().0.clone());
        }
        if let Ok(d) = obj.downcast::<PyMapping>() {
            return Self::parse_dict(d);
        }
        Err(PyTypeError::new_err(
            "wrapped must be a WrappedKey or its wire dict",
        ))
    }
}

#[pymethods]
impl WrappedKey {
    #[new]
    fn new(
        scheme_id: String,
        ephemeral_public_key: &Bound<'_, PyAny>,
        iv: &Bound<'_, PyAny>,
        ciphertext: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        Ok(WrappedKey(Inner {
            scheme_id,
            ephemeral_public_key: public32(ephemeral_public_key, "ephemeral public key")?,
            iv: iv12(iv)?,
            ciphertext: crate::buffers::buf(ciphertext, "ciphertext")?.to_vec(),
        }))
    }

    #[getter]
    fn scheme_id(&self) -> &str {
        &self.0.scheme_id
    }

    #[getter]
    fn ephemeral_public_key<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.0.ephemeral_public_key)
    }

    #[getter]
    fn iv<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.0.iv)
    }

    #[getter]
    fn ciphertext<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.0.ciphertext)
    }

    /// The wire dict `{schemeId, ephemeralPublicKey, iv, ciphertext}` (base64 values).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (k, v) in FIELDS.iter().zip(self.0.to_wire()) {
            d.set_item(k, v)?;
        }
        Ok(d)
    }

    /// Parse the wire dict strictly (base64, key and IV lengths).
    #[classmethod]
    fn from_dict(
        _cls: &Bound<'_, pyo3::types::PyType>,
        d: &Bound<'_, PyMapping>,
    ) -> PyResult<Self> {
        Ok(WrappedKey(Self::parse_dict(d)?))
    }

    fn __repr__(&self) -> String {
        let [s, e, i, c] = self.0.to_wire();
        format!(
            "WrappedKey(scheme_id={s:?}, ephemeral_public_key={e:?}, iv={i:?}, ciphertext={c:?})"
        )
    }
}

/// Wrap a 32-byte data key to one recipient (X25519-HKDF-SHA256-AESGCM-v1).
#[pyfunction]
fn wrap_key(
    data_key: &Bound<'_, PyAny>,
    recipient_x25519_public: &Bound<'_, PyAny>,
) -> PyResult<WrappedKey> {
    let key = secret32(data_key, "data key")?;
    let public = public32(recipient_x25519_public, "recipient X25519 public key")?;
    Ok(WrappedKey(wrap::wrap_key(&key, &public).py(data_key.py())?))
}

/// `wrap_key` with a caller-chosen ephemeral key and IV (vectors only).
#[pyfunction]
#[pyo3(signature = (data_key, recipient_x25519_public, *, ephemeral_private, iv))]
fn hazmat_wrap_key(
    data_key: &Bound<'_, PyAny>,
    recipient_x25519_public: &Bound<'_, PyAny>,
    ephemeral_private: &Bound<'_, PyAny>,
    iv: &Bound<'_, PyAny>,
) -> PyResult<WrappedKey> {
    let key = secret32(data_key, "data key")?;
    let public = public32(recipient_x25519_public, "recipient X25519 public key")?;
    let ephemeral = secret32(ephemeral_private, "ephemeral X25519 private key")?;
    let iv = iv12(iv)?;
    Ok(WrappedKey(
        wrap::wrap_key_deterministic(&key, &public, &ephemeral, &iv).py(data_key.py())?,
    ))
}

/// Wrap one data key to many recipients in one call (all cores, GIL released); any bad key raises
/// InvalidKey and nothing is returned.
#[pyfunction]
fn wrap_key_many(
    py: Python<'_>,
    data_key: &Bound<'_, PyAny>,
    recipient_x25519_publics: &Bound<'_, PyAny>,
) -> PyResult<Vec<WrappedKey>> {
    let key = secret32(data_key, "data key")?;
    let publics = recipient_x25519_publics
        .try_iter()?
        .map(|p| public32(&p?, "recipient X25519 public key"))
        .collect::<PyResult<Vec<_>>>()?;
    let wrapped = py
        .allow_threads(|| wrap::wrap_key_many(&key, &publics))
        .py(py)?;
    Ok(wrapped.into_iter().map(WrappedKey).collect())
}

/// Unwrap a WrappedKey (or its wire dict) with the recipient's X25519 private key.
#[pyfunction]
fn unwrap_key<'py>(
    py: Python<'py>,
    wrapped: &Bound<'py, PyAny>,
    recipient_x25519_private: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    let inner = WrappedKey::extract_any(wrapped)?;
    let private = secret32(recipient_x25519_private, "recipient X25519 private key")?;
    let key = wrap::unwrap_key(&inner, &private).py(py)?;
    Ok(PyBytes::new(py, key.expose()))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<WrappedKey>()?;
    m.add("SCHEME_ID", wrap::SCHEME_ID)?;
    m.add_function(wrap_pyfunction!(wrap_key, m)?)?;
    m.add_function(wrap_pyfunction!(hazmat_wrap_key, m)?)?;
    m.add_function(wrap_pyfunction!(wrap_key_many, m)?)?;
    m.add_function(wrap_pyfunction!(unwrap_key, m)?)?;
    Ok(())
}
