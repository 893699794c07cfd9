//! The one conversion from the crate's error to the Python exceptions of `avp.errors`.

use avp_crypto::Error;
use pyo3::prelude::*;

/// Build the `avp.errors` exception for `e`: the class registered for `e.code()` in
/// `avp.errors.BY_CODE`. There is no fallback: a code without a class raises `KeyError` (the
/// drift test `tests/test_error_codes.py` keeps the crate's codes and the classes in step).
pub fn to_py(py: Python<'_>, e: &Error) -> PyErr {
    match py
        .import("avp.errors")
        .and_then(|m| m.getattr("BY_CODE"))
        .and_then(|by_code| by_code.get_item(e.code()))
        .and_then(|cls| cls.call1((e.to_string(),)))
    {
        Ok(exc) => PyErr::from_value(exc),
        Err(lookup_failure) => lookup_failure,
    }
}

/// `?`-friendly conversion of crate results.
pub trait IntoPyResult<T> {
    /// Map the crate error to its Python exception.
    fn py(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for avp_crypto::Result<T> {
    fn py(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_py(py, &e))
    }
}
