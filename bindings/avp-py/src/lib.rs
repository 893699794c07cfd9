//! `avp._native`: a thin PyO3 layer over `avp-crypto`. One crossing per composite operation;
//! inputs are any bytes-like object, outputs are `bytes`; errors are the classes of `avp.errors`.

mod buffers;
mod envelope;
mod errors;
mod federation;
mod identity;
mod primitives;
mod wrapped;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    primitives::register(m)?;
    wrapped::register(m)?;
    federation::register(m)?;
    identity::register(m)?;
    envelope::register(m)?;
    Ok(())
}
