//! The signed-writes extension: sign, verify, authorize and chain a write (`avp.crypto.signed`).

use avp_crypto::signed::{self, RosterEntry, SignedState};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::buffers::{buf, counter, public32};
use crate::errors::IntoPyResult;
use crate::identity::Identity;

/// (writer, roster_hash, prev, signature, content_hash, state_hash), all raw bytes.
pub(crate) type StateTuple<'py> = (
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
);

pub(crate) fn state_tuple<'py>(py: Python<'py>, s: &SignedState) -> StateTuple<'py> {
    (
        PyBytes::new(py, &s.record.writer),
        PyBytes::new(py, &s.record.roster),
        PyBytes::new(py, &s.record.prev),
        PyBytes::new(py, &s.record.signature),
        PyBytes::new(py, &s.content_hash),
        PyBytes::new(py, &s.state_hash),
    )
}

pub(crate) fn roster(members: &Bound<'_, PyAny>) -> PyResult<Vec<RosterEntry>> {
    members
        .try_iter()?
        .map(|item| {
            let (ed, x): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item?.extract()?;
            Ok((public32(&ed, "member id")?, public32(&x, "X25519 key")?))
        })
        .collect()
}

/// `(payloadVersion, keyEpoch)` as the crate takes them (range-checked).
fn counters(
    payload_version: &Bound<'_, PyAny>,
    key_epoch: &Bound<'_, PyAny>,
) -> PyResult<(u64, u64)> {
    Ok((
        counter(payload_version, "payloadVersion")? as u64,
        counter(key_epoch, "keyEpoch")? as u64,
    ))
}

fn ids(members: &Bound<'_, PyAny>) -> PyResult<Vec<[u8; 32]>> {
    members
        .try_iter()?
        .map(|item| public32(&item?, "member id"))
        .collect()
}

/// SHA-256 roster hash of `[(ed25519, x25519), ...]` (order-independent; duplicates refused).
#[pyfunction]
fn signed_write_roster_hash<'py>(
    py: Python<'py>,
    members: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    Ok(PyBytes::new(
        py,
        &signed::roster_hash(&roster(members)?).py(py)?,
    ))
}

/// The transcript a writer signs.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn signed_write_transcript<'py>(
    py: Python<'py>,
    repo_id: &str,
    payload_version: &Bound<'py, PyAny>,
    key_epoch: &Bound<'py, PyAny>,
    content_hash: &Bound<'py, PyAny>,
    roster_hash: &Bound<'py, PyAny>,
    prev: &Bound<'py, PyAny>,
    writer: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    let (v, e) = counters(payload_version, key_epoch)?;
    let t = signed::transcript(
        repo_id,
        v,
        e,
        &public32(content_hash, "contentHash")?,
        &public32(roster_hash, "rosterHash")?,
        &public32(prev, "prev")?,
        &public32(writer, "writer")?,
    )
    .py(py)?;
    Ok(PyBytes::new(py, &t))
}

/// Sign `body` as a state of the repository: (plaintext to encrypt, state tuple).
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn signed_write_sign<'py>(
    py: Python<'py>,
    identity: &Identity,
    repo_id: &str,
    payload_version: &Bound<'py, PyAny>,
    key_epoch: &Bound<'py, PyAny>,
    body: &Bound<'py, PyAny>,
    members: &Bound<'py, PyAny>,
    prev: &Bound<'py, PyAny>,
) -> PyResult<(Bound<'py, PyBytes>, StateTuple<'py>)> {
    let (v, e) = counters(payload_version, key_epoch)?;
    let (plaintext, state) = signed::sign(
        identity.keys().ed25519_seed(),
        repo_id,
        v,
        e,
        &buf(body, "body")?,
        &roster(members)?,
        &public32(prev, "prev")?,
    )
    .py(py)?;
    Ok((PyBytes::new(py, &plaintext), state_tuple(py, &state)))
}

/// Verify a decrypted plaintext: None when unsigned, else (state tuple, body);
/// `WriteUnauthenticated` when the record is malformed or the signature does not verify.
#[pyfunction]
fn signed_write_verify<'py>(
    py: Python<'py>,
    repo_id: &str,
    payload_version: &Bound<'py, PyAny>,
    key_epoch: &Bound<'py, PyAny>,
    plaintext: &Bound<'py, PyAny>,
) -> PyResult<Option<(StateTuple<'py>, Bound<'py, PyBytes>)>> {
    let (v, e) = counters(payload_version, key_epoch)?;
    let verified = signed::verify(repo_id, v, e, &buf(plaintext, "plaintext")?).py(py)?;
    Ok(verified.map(|(state, body)| (state_tuple(py, &state), PyBytes::new(py, &body))))
}

/// `RosterUnauthenticated` unless `members` hashes to `roster_hash` (the roster that was signed).
#[pyfunction]
fn signed_write_check_roster(
    py: Python<'_>,
    roster_hash: &Bound<'_, PyAny>,
    members: &Bound<'_, PyAny>,
) -> PyResult<()> {
    signed::check_roster(&public32(roster_hash, "rosterHash")?, &roster(members)?).py(py)
}

/// Who may sign: `RosterUnauthenticated` / `WriteUnauthenticated` when `writer` may not.
#[pyfunction]
#[pyo3(signature = (writer, previous, members))]
fn signed_write_authorize(
    py: Python<'_>,
    writer: &Bound<'_, PyAny>,
    previous: Option<&Bound<'_, PyAny>>,
    members: &Bound<'_, PyAny>,
) -> PyResult<()> {
    let previous = previous.map(ids).transpose()?;
    signed::authorize(
        &public32(writer, "writer")?,
        previous.as_deref(),
        &ids(members)?,
    )
    .py(py)
}

/// Whether `admission` (a payload body's `signedWriteAdmission`, as Python objects) proves that
/// `writer` was admitted by a member of `previous` (malformed: False).
#[pyfunction]
fn signed_write_admitted(
    repo_id: &str,
    writer: &Bound<'_, PyAny>,
    previous: &Bound<'_, PyAny>,
    admission: &Bound<'_, PyAny>,
) -> PyResult<bool> {
    let Ok(admission) = crate::envelope::to_json(admission, 1) else {
        return Ok(false);
    };
    Ok(signed::admitted(
        repo_id,
        &public32(writer, "writer")?,
        &ids(previous)?,
        &admission,
    ))
}

/// `ForkDetected` unless `prev` is the state hash the client holds for the version before.
#[pyfunction]
fn signed_write_check_link(
    py: Python<'_>,
    held_prev: &Bound<'_, PyAny>,
    prev: &Bound<'_, PyAny>,
) -> PyResult<()> {
    signed::check_link(&public32(held_prev, "held prev")?, &public32(prev, "prev")?).py(py)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(signed_write_roster_hash, m)?)?;
    m.add_function(wrap_pyfunction!(signed_write_transcript, m)?)?;
    m.add_function(wrap_pyfunction!(signed_write_sign, m)?)?;
    m.add_function(wrap_pyfunction!(signed_write_verify, m)?)?;
    m.add_function(wrap_pyfunction!(signed_write_authorize, m)?)?;
    m.add_function(wrap_pyfunction!(signed_write_check_roster, m)?)?;
    m.add_function(wrap_pyfunction!(signed_write_check_link, m)?)?;
    m.add_function(wrap_pyfunction!(signed_write_admitted, m)?)?;
    Ok(())
}
