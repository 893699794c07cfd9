//! The one conversion from the crate's error to the Python exceptions of `avp.errors`.

use avp_crypto::Error;
use pyo3::prelude::*;

fn class_name(e: &Error) -> &'static str {
    match e {
        Error::InvalidTag => "InvalidTag",
        Error::InvalidPassphrase => "InvalidPassphrase",
        Error::InvalidKey(_) => "InvalidKey",
        Error::UnsupportedScheme(_) => "UnsupportedScheme",
        Error::InvalidEncoding(_) => "InvalidEncoding",
        Error::CounterOutOfRange(_) => "CounterOutOfRange",
        Error::InvalidAddress(_) => "InvalidAddress",
        Error::WriteUnauthenticated(_) => "WriteUnauthenticated",
        Error::RosterUnauthenticated(_) => "RosterUnauthenticated",
        Error::DowngradeDetected(_) => "DowngradeDetected",
        Error::ForkDetected(_) => "ForkDetected",
        _ => "AvpError",
    }
}

/// Build the `avp.errors` exception for `e`.
pub fn to_py(py: Python<'_>, e: &Error) -> PyErr {
    match py
        .import("avp.errors")
        .and_then(|m| m.getattr(class_name(e)))
        .and_then(|cls| cls.call1((e.to_string(),)))
    {
        Ok(exc) => PyErr::from_value(exc),
        Err(import_failure) => import_failure,
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
