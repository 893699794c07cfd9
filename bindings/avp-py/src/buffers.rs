//! Argument conversion: any bytes-like object in, fixed-size keys and counters checked.

use std::ops::Deref;

use avp_crypto::{Error, Secret32};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyInt};

use crate::errors::IntoPyResult;

/// Borrowed from an immutable `bytes`, or copied from any other buffer (bytearray, memoryview,
/// array, ...). abi3 for Python 3.9 has no buffer API, so non-`bytes` buffers cost one copy.
pub enum Buf<'a> {
    Borrowed(&'a [u8]),
    Owned(Vec<u8>),
}

impl Deref for Buf<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Buf::Borrowed(b) => b,
            Buf::Owned(v) => v,
        }
    }
}

/// Read a bytes-like argument.
pub fn buf<'a>(obj: &'a Bound<'_, PyAny>, what: &str) -> PyResult<Buf<'a>> {
    if let Ok(b) = obj.downcast::<PyBytes>() {
        return Ok(Buf::Borrowed(b.as_bytes()));
    }
    if let Ok(b) = obj.downcast::<PyByteArray>() {
        return Ok(Buf::Owned(b.to_vec()));
    }
    // bytes(int) would make zeros and bytes(str) needs an encoding: only real buffers pass.
    let py = obj.py();
    let view = py
        .import("builtins")?
        .getattr("memoryview")?
        .call1((obj,))
        .map_err(|_| {
            PyTypeError::new_err(format!(
                "{what} must be a bytes-like object, not {}",
                obj.get_type()
                    .name()
                    .map(|n| n.to_string())
                    .unwrap_or_default()
            ))
        })?;
    let copy = view.call_method0("tobytes")?;
    view.call_method0("release")?;
    Ok(Buf::Owned(copy.downcast::<PyBytes>()?.as_bytes().to_vec()))
}

/// A 32-byte secret argument (wrong length: `InvalidKey`).
pub fn secret32(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Secret32> {
    let b = buf(obj, what)?;
    Secret32::from_slice(what, &b).py(obj.py())
}

/// A 32-byte public key argument (wrong length: `InvalidKey`).
pub fn public32(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<[u8; 32]> {
    let b = buf(obj, what)?;
    let len = b.len();
    (*b).try_into()
        .map_err(|_| Error::InvalidKey(format!("{what} must be 32 bytes, got {len}")))
        .py(obj.py())
}

/// A 12-byte IV argument (wrong length: `InvalidEncoding`).
pub fn iv12(obj: &Bound<'_, PyAny>) -> PyResult<[u8; 12]> {
    let b = buf(obj, "iv")?;
    avp_crypto::aead::iv_from_slice(&b).py(obj.py())
}

/// A counter: a Python `int` (not `bool`) in `[0, 2^53-1]`; anything else is `CounterOutOfRange`.
pub fn counter(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<i128> {
    let py = obj.py();
    let err = || {
        Error::CounterOutOfRange(format!(
            "{what} must be an integer in [0, 2^53-1], got {obj}"
        ))
    };
    if obj.is_instance_of::<PyBool>() || !obj.is_instance_of::<PyInt>() {
        return Err(err()).py(py);
    }
    let value: i128 = obj.extract().or_else(|_| Err(err()).py(py))?;
    avp_crypto::encoding::check_counter(what, value).py(py)?;
    Ok(value)
}
