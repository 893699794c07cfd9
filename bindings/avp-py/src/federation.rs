//! Federation tokens and addresses as plain tuples; `avp.federation` builds the typed objects.

use avp_crypto::federation::{self as fed, InviteRequest, RepoLocator};
use pyo3::prelude::*;

use crate::buffers::counter;
use crate::errors::IntoPyResult;

type LocatorTuple = (String, String, Option<String>, Option<u64>, Option<String>);

/// Invite-request token of two base64 public keys.
#[pyfunction]
fn encode_invite(
    py: Python<'_>,
    ed25519_public_key: String,
    x25519_public_key: String,
) -> PyResult<String> {
    fed::encode_invite(&InviteRequest {
        ed25519_public_key,
        x25519_public_key,
    })
    .py(py)
}

/// Decode an invite-request token: (ed25519_public_key, x25519_public_key).
#[pyfunction]
fn decode_invite(py: Python<'_>, token: String) -> PyResult<(String, String)> {
    let i = fed::decode_invite(&token).py(py)?;
    Ok((i.ed25519_public_key, i.x25519_public_key))
}

/// Repository-locator token.
#[pyfunction]
#[pyo3(signature = (host, repo_id, scheme_id = None, key_epoch = None, issuer_jwks_url = None))]
fn encode_locator(
    py: Python<'_>,
    host: String,
    repo_id: String,
    scheme_id: Option<String>,
    key_epoch: Option<&Bound<'_, PyAny>>,
    issuer_jwks_url: Option<String>,
) -> PyResult<String> {
    let key_epoch = key_epoch
        .map(|e| counter(e, "keyEpoch"))
        .transpose()?
        .map(|e| e as u64);
    fed::encode_locator(&RepoLocator {
        host,
        repo_id,
        scheme_id,
        key_epoch,
        issuer_jwks_url,
    })
    .py(py)
}

/// Decode a repository-locator token: (host, repo_id, scheme_id, key_epoch, issuer_jwks_url).
#[pyfunction]
fn decode_locator(py: Python<'_>, token: String) -> PyResult<LocatorTuple> {
    let l = fed::decode_locator(&token).py(py)?;
    Ok((
        l.host,
        l.repo_id,
        l.scheme_id,
        l.key_epoch,
        l.issuer_jwks_url,
    ))
}

/// Parse avp://host[:port]/repoId: (host, repo_id).
#[pyfunction]
fn parse_address(py: Python<'_>, uri: String) -> PyResult<(String, String)> {
    let a = fed::parse_address(&uri).py(py)?;
    Ok((a.host, a.repo_id))
}

/// Format avp://host/repoId after checking both parts.
#[pyfunction]
fn format_address(py: Python<'_>, host: String, repo_id: String) -> PyResult<String> {
    fed::format_address(&host, &repo_id).py(py)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(encode_invite, m)?)?;
    m.add_function(wrap_pyfunction!(decode_invite, m)?)?;
    m.add_function(wrap_pyfunction!(encode_locator, m)?)?;
    m.add_function(wrap_pyfunction!(decode_locator, m)?)?;
    m.add_function(wrap_pyfunction!(parse_address, m)?)?;
    m.add_function(wrap_pyfunction!(format_address, m)?)?;
    Ok(())
}
