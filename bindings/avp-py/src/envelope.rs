//! The payload model (`AltAccount`, `BanInfo`, re-exported by `avp.models`) and the envelope in
//! one call each way. Python objects are built here from the crate's records, never through a
//! JSON round trip in Python; decryption and parsing of large payloads run without the GIL.

use avp_crypto::envelope::{self, header_aad};
use avp_crypto::strict_json::{write_value, Json, MAX_DEPTH};
use avp_crypto::vault_payload::{self as vp, AltFields};
use avp_crypto::{encoding, Error};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyMapping, PySlice, PyString, PyTuple,
};

use crate::buffers::{buf, counter, iv12, public32, secret32};
use crate::errors::IntoPyResult;
use crate::identity::Identity;
use crate::primitives::gil_released_if_large;
use crate::signed::{roster, state_tuple, StateTuple};

/// A large base64 text is decoded in slices of this many characters (a multiple of 4), so
/// opening a large envelope never holds a second full copy of its text. Small enough that the two
/// temporary copies of a slice stay below malloc's mmap threshold (no page faults per slice).
const B64_SLICE: usize = 48 * 1024;
/// Texts up to this many characters are decoded in one piece: one copy of at most 4 MiB costs
/// less than the per-slice calls.
const B64_WHOLE: usize = 4 << 20;

fn u64_counter(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<u64> {
    Ok(counter(obj, what)? as u64) // range-checked: 0 ..= 2^53-1
}

fn invalid(py: Python<'_>, message: String) -> PyErr {
    crate::errors::to_py(py, &Error::InvalidEncoding(message))
}

// --- JSON values of unknown fields <-> Python -------------------------------------------------------

/// A Python value as JSON: None, bool, int, float, str, list/tuple, dict with str keys. A
/// non-finite float becomes ±1e400 (what JSON readers turn back into ±inf); NaN is refused.
pub(crate) fn to_json(obj: &Bound<'_, PyAny>, depth: usize) -> PyResult<Json> {
    let py = obj.py();
    if depth > MAX_DEPTH {
        return Err(invalid(py, format!("value nested deeper than {MAX_DEPTH}")));
    }
    if obj.is_none() {
        return Ok(Json::Null);
    }
    if let Ok(b) = obj.downcast::<PyBool>() {
        return Ok(Json::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        // int.__repr__, not str(): an int subclass (an IntEnum, say) may print a name.
        let digits = py.get_type::<PyInt>().call_method1("__repr__", (obj,))?;
        return Ok(Json::Number(digits.str()?.to_cow()?.into_owned()));
    }
    if let Ok(f) = obj.downcast::<PyFloat>() {
        let v = f.value();
        return match v {
            _ if v.is_nan() => Err(invalid(py, "NaN is not a JSON value".into())),
            _ if v.is_infinite() => Ok(Json::Number(
                if v > 0.0 { "1e400" } else { "-1e400" }.into(),
            )),
            _ => Ok(Json::Number(
                PyFloat::new(py, v).repr()?.to_cow()?.into_owned(),
            )),
        };
    }
    if let Ok(s) = obj.downcast::<PyString>() {
        return s
            .to_cow()
            .map(|s| Json::String(s.into_owned()))
            .map_err(|_| invalid(py, "string is not valid Unicode (lone surrogate)".into()));
    }
    if let Ok(d) = obj.downcast::<PyDict>() {
        let mut members = Vec::with_capacity(d.len());
        for (k, v) in d.iter() {
            let key = k
                .downcast::<PyString>()
                .map_err(|_| invalid(py, "object keys must be strings".into()))?;
            members.push((key.to_cow()?.into_owned(), to_json(&v, depth + 1)?));
        }
        return Ok(Json::Object(members));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let items = obj
            .try_iter()?
            .map(|item| to_json(&item?, depth + 1))
            .collect::<PyResult<_>>()?;
        return Ok(Json::Array(items));
    }
    Err(invalid(
        py,
        format!("a {} is not a JSON value", obj.get_type().name()?),
    ))
}

/// A Python value as the minified JSON text the crate's parser reads.
fn to_json_text(obj: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    let mut out = Vec::new();
    write_value(&mut out, &to_json(obj, 1)?);
    Ok(out)
}

fn from_json(py: Python<'_>, value: &Json) -> PyResult<PyObject> {
    Ok(match value {
        Json::Null => py.None(),
        Json::Bool(b) => PyBool::new(py, *b).to_owned().into_any().unbind(),
        Json::Number(text) if !text.contains(['.', 'e', 'E']) => match text.parse::<i64>() {
            Ok(i) => i.into_pyobject(py)?.into_any().unbind(),
            Err(_) => py.get_type::<PyInt>().call1((text.as_str(),))?.unbind(),
        },
        Json::Number(text) => text
            .parse::<f64>()
            .unwrap_or(f64::NAN) // unreachable: the reader checked the grammar
            .into_pyobject(py)?
            .into_any()
            .unbind(),
        Json::String(s) => PyString::new(py, s).into_any().unbind(),
        Json::Array(items) => {
            let items = items
                .iter()
                .map(|v| from_json(py, v))
                .collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)?.into_any().unbind()
        }
        Json::Object(members) => {
            let d = PyDict::new(py);
            for (k, v) in members {
                d.set_item(k, from_json(py, v)?)?;
            }
            d.into_any().unbind()
        }
    })
}

// --- BanInfo -----------------------------------------------------------------------------------------

/// A ban observation of one alt on one game server.
#[pyclass(frozen, eq, module = "avp.models")]
#[derive(PartialEq)]
pub struct BanInfo(vp::BanInfo);

#[pymethods]
impl BanInfo {
    #[new]
    #[pyo3(signature = (banned, observed_at, source, detail, observed_by=None))]
    fn new(
        banned: bool,
        observed_at: &Bound<'_, PyAny>,
        source: String,
        detail: String,
        observed_by: Option<String>,
    ) -> PyResult<Self> {
        Ok(BanInfo(vp::BanInfo {
            banned,
            observed_at: u64_counter(observed_at, "observed_at")?,
            source,
            detail,
            observed_by,
        }))
    }

    /// Read a ban from its wire dict (the crate's rules).
    #[staticmethod]
    #[pyo3(signature = (obj, r#where = "ban"), text_signature = "(obj, where='ban')")]
    fn from_dict(obj: &Bound<'_, PyAny>, r#where: &str) -> PyResult<Self> {
        let text = to_json_text(obj)?;
        vp::parse_ban(text, r#where).py(obj.py()).map(BanInfo)
    }

    #[getter]
    fn banned(&self) -> bool {
        self.0.banned
    }
    #[getter]
    fn observed_at(&self) -> u64 {
        self.0.observed_at
    }
    #[getter]
    fn source(&self) -> &str {
        &self.0.source
    }
    #[getter]
    fn detail(&self) -> &str {
        &self.0.detail
    }
    #[getter]
    fn observed_by(&self) -> Option<&str> {
        self.0.observed_by.as_deref()
    }

    /// The wire form (camelCase; `observedBy` omitted when absent).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("banned", self.0.banned)?;
        d.set_item("observedAt", self.0.observed_at)?;
        d.set_item("source", &self.0.source)?;
        d.set_item("detail", &self.0.detail)?;
        if let Some(by) = &self.0.observed_by {
            d.set_item("observedBy", by)?;
        }
        Ok(d)
    }

    fn __repr__(&self) -> String {
        let b = &self.0;
        format!(
            "BanInfo(banned={}, observed_at={}, source={:?}, detail={:?}, observed_by={:?})",
            if b.banned { "True" } else { "False" },
            b.observed_at,
            b.source,
            b.detail,
            b.observed_by
        )
    }
}

// --- AltAccount --------------------------------------------------------------------------------------

/// One shared game account. Optional fields are None when absent (or null) in the JSON;
/// `extra` holds fields this version does not know, kept so they survive a rewrite.
#[pyclass(frozen, eq, module = "avp.models")]
#[derive(PartialEq)]
pub struct AltAccount(vp::AltAccount);

fn bans_from_py(obj: &Bound<'_, PyAny>) -> PyResult<Vec<(String, vp::BanInfo)>> {
    let mapping = obj
        .downcast::<PyMapping>()
        .map_err(|_| PyTypeError::new_err("bans must be a mapping of str to BanInfo"))?;
    let mut out = Vec::new();
    for item in mapping.items()?.iter() {
        let (server, ban): (String, Bound<'_, BanInfo>) = item.extract()?;
        out.push((server, ban.get().0.clone()));
    }
    Ok(out)
}

fn extra_from_py(obj: &Bound<'_, PyAny>) -> PyResult<Vec<(String, Json)>> {
    match to_json(obj, 1)? {
        Json::Object(members) => Ok(members),
        _ => Err(PyTypeError::new_err("extra must be a dict")),
    }
}

#[pymethods]
impl AltAccount {
    #[new]
    #[pyo3(signature = (
        uuid, username, access_token, r#type, last_used, refresh_token=None, expires_at=None,
        last_used_by=None, bans=None, source_client=None, source_user=None, extra=None
    ))]
    #[allow(clippy::too_many_arguments)] // the Python constructor mirrors the fields
    fn new(
        py: Python<'_>,
        uuid: String,
        username: String,
        access_token: String,
        r#type: String,
        last_used: &Bound<'_, PyAny>,
        refresh_token: Option<String>,
        expires_at: Option<&Bound<'_, PyAny>>,
        last_used_by: Option<String>,
        bans: Option<&Bound<'_, PyAny>>,
        source_client: Option<String>,
        source_user: Option<String>,
        extra: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let fields = AltFields {
            uuid,
            username,
            access_token,
            alt_type: r#type,
            last_used: u64_counter(last_used, "last_used")?,
            refresh_token,
            expires_at: expires_at
                .map(|e| u64_counter(e, "expires_at"))
                .transpose()?,
            last_used_by,
            bans: bans.map(bans_from_py).transpose()?,
            source_client,
            source_user,
            extra: extra.map(extra_from_py).transpose()?.unwrap_or_default(),
        };
        vp::AltAccount::new(fields).py(py).map(AltAccount)
    }

    /// Read an alt from its wire dict (the crate's rules; `where` names it in errors).
    #[staticmethod]
    #[pyo3(signature = (obj, r#where = "alt"), text_signature = "(obj, where='alt')")]
    fn from_dict(obj: &Bound<'_, PyAny>, r#where: &str) -> PyResult<Self> {
        let text = to_json_text(obj)?;
        vp::parse_alt(text, r#where).py(obj.py()).map(AltAccount)
    }

    #[getter]
    fn uuid(&self) -> std::borrow::Cow<'_, str> {
        self.0.uuid()
    }
    #[getter]
    fn username(&self) -> std::borrow::Cow<'_, str> {
        self.0.username()
    }
    #[getter]
    fn access_token(&self) -> std::borrow::Cow<'_, str> {
        self.0.access_token()
    }
    #[getter(r#type)]
    fn alt_type(&self) -> &'static str {
        self.0.alt_type()
    }
    #[getter]
    fn last_used(&self) -> u64 {
        self.0.last_used()
    }
    #[getter]
    fn refresh_token(&self) -> Option<std::borrow::Cow<'_, str>> {
        self.0.refresh_token()
    }
    /// Expiry of `access_token` in epoch ms; None (absent) or 0 means unknown.
    #[getter]
    fn expires_at(&self) -> Option<u64> {
        self.0.expires_at()
    }
    #[getter]
    fn last_used_by(&self) -> Option<std::borrow::Cow<'_, str>> {
        self.0.last_used_by()
    }
    /// Ban records keyed by game-server id (a new dict each time); a legacy single `ban` is
    /// read as `{"unknown": ban}`.
    #[getter]
    fn bans<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        let Some(bans) = self.0.bans() else {
            return Ok(None);
        };
        let d = PyDict::new(py);
        for (server, ban) in bans {
            d.set_item(server, Bound::new(py, BanInfo(ban.clone()))?)?;
        }
        Ok(Some(d))
    }
    #[getter]
    fn source_client(&self) -> Option<std::borrow::Cow<'_, str>> {
        self.0.source_client()
    }
    #[getter]
    fn source_user(&self) -> Option<std::borrow::Cow<'_, str>> {
        self.0.source_user()
    }
    /// Unknown fields (a new dict each time).
    #[getter]
    fn extra<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (k, v) in self.0.extra() {
            d.set_item(k, from_json(py, v)?)?;
        }
        Ok(d)
    }

    /// The wire form (camelCase); absent optional fields are omitted, `bans` replaces `ban`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let a = &self.0;
        let d = self.extra(py)?;
        d.set_item("uuid", a.uuid())?;
        d.set_item("username", a.username())?;
        d.set_item("accessToken", a.access_token())?;
        d.set_item("type", a.alt_type())?;
        d.set_item("lastUsed", a.last_used())?;
        if let Some(v) = a.refresh_token() {
            d.set_item("refreshToken", v)?;
        }
        if let Some(v) = a.expires_at() {
            d.set_item("expiresAt", v)?;
        }
        for (key, value) in [
            ("lastUsedBy", a.last_used_by()),
            ("sourceClient", a.source_client()),
            ("sourceUser", a.source_user()),
        ] {
            if let Some(v) = value {
                d.set_item(key, v)?;
            }
        }
        if let Some(bans) = a.bans() {
            let out = PyDict::new(py);
            for (server, ban) in bans {
                out.set_item(server, BanInfo(ban.clone()).to_dict(py)?)?;
            }
            d.set_item("bans", out)?;
        }
        Ok(d)
    }

    /// This alt with `refresh_token` and `expires_at` removed (refresh-token policy off).
    fn without_refresh_credentials<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, Self>> {
        let alt = &slf.get().0;
        if !alt.has_refresh_credentials() {
            return Ok(slf.clone());
        }
        Bound::new(slf.py(), AltAccount(alt.without_refresh_credentials()))
    }

    /// Tokens are left out: a repr may end up in a log.
    fn __repr__(&self) -> String {
        let a = &self.0;
        format!(
            "AltAccount(uuid={:?}, username={:?}, type={:?}, last_used={})",
            a.uuid(),
            a.username(),
            a.alt_type(),
            a.last_used()
        )
    }
}

// --- payload JSON and the envelope -------------------------------------------------------------------

fn alt_list<'py>(py: Python<'py>, alts: Vec<vp::AltAccount>) -> PyResult<Bound<'py, PyList>> {
    let objects = alts
        .into_iter()
        .map(|a| Py::new(py, AltAccount(a)))
        .collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, objects)
}

/// Strong references to the alts of an iterable, so they stay alive while the GIL is released.
fn held_alts(alts: &Bound<'_, PyAny>) -> PyResult<Vec<Py<AltAccount>>> {
    alts.try_iter()?
        .map(|item| {
            let item = item?;
            item.downcast::<AltAccount>()
                .map(|a| a.clone().unbind())
                .map_err(|_| {
                    PyTypeError::new_err(format!(
                        "alts must hold AltAccount objects, not {}",
                        item.get_type()
                            .name()
                            .map(|n| n.to_string())
                            .unwrap_or_default()
                    ))
                })
        })
        .collect()
}

/// Parse a JSON array of alts (a user's file); `where` names it in errors.
#[pyfunction]
#[pyo3(signature = (data, r#where = "alts"), text_signature = "(data, where='alts')")]
fn parse_alts<'py>(data: &Bound<'py, PyAny>, r#where: &str) -> PyResult<Bound<'py, PyList>> {
    let py = data.py();
    let bytes = match data.downcast::<PyString>() {
        Ok(s) => s.encode_utf8()?.as_bytes().to_vec(),
        Err(_) => buf(data, "data")?.to_vec(),
    };
    let alts = vp::parse_alts(bytes, r#where).py(py)?;
    alt_list(py, alts)
}

/// Parse a payload plaintext: (alts, inner payloadVersion).
#[pyfunction]
#[pyo3(signature = (plaintext, share_refresh_tokens = true))]
fn parse_payload<'py>(
    plaintext: &Bound<'py, PyAny>,
    share_refresh_tokens: bool,
) -> PyResult<(Bound<'py, PyList>, u64)> {
    let py = plaintext.py();
    let bytes = buf(plaintext, "plaintext")?.to_vec();
    let len = bytes.len();
    let payload =
        gil_released_if_large(py, len, || vp::parse_payload(bytes, share_refresh_tokens)).py(py)?;
    Ok((alt_list(py, payload.alts)?, payload.payload_version))
}

/// The payload plaintext of `alts`: minified UTF-8 JSON, as every writer of this project writes it.
#[pyfunction]
#[pyo3(signature = (alts, payload_version, share_refresh_tokens = true))]
fn payload_json<'py>(
    alts: &Bound<'py, PyAny>,
    payload_version: &Bound<'py, PyAny>,
    share_refresh_tokens: bool,
) -> PyResult<Bound<'py, PyBytes>> {
    let py = alts.py();
    let version = u64_counter(payload_version, "payloadVersion")?;
    let held = held_alts(alts)?;
    let text = vp::write_payload(
        held.iter().map(|a| &a.get().0),
        version,
        share_refresh_tokens,
    );
    Ok(PyBytes::new(py, &text))
}

/// What every seal reads from Python: the key, both counters, the alts and their size.
type SealInputs = (avp_crypto::Secret32, u64, u64, Vec<Py<AltAccount>>, usize);

fn seal_inputs(
    data_key: &Bound<'_, PyAny>,
    payload_version: &Bound<'_, PyAny>,
    key_epoch: &Bound<'_, PyAny>,
    alts: &Bound<'_, PyAny>,
) -> PyResult<SealInputs> {
    let key = secret32(data_key, "data_key")?;
    let version = u64_counter(payload_version, "payloadVersion")?;
    let epoch = u64_counter(key_epoch, "keyEpoch")?;
    let held = held_alts(alts)?;
    let size = held.iter().map(|a| a.get().0.size_hint()).sum();
    Ok((key, version, epoch, held, size))
}

#[allow(clippy::too_many_arguments)] // the envelope header, the alts, the policy and the IV
fn seal_with_iv(
    py: Python<'_>,
    data_key: &Bound<'_, PyAny>,
    repo_id: &str,
    payload_version: &Bound<'_, PyAny>,
    key_epoch: &Bound<'_, PyAny>,
    alts: &Bound<'_, PyAny>,
    share_refresh_tokens: bool,
    iv: &[u8; 12],
) -> PyResult<(String, String)> {
    let (key, version, epoch, held, size) =
        seal_inputs(data_key, payload_version, key_epoch, alts)?;
    let sealed = gil_released_if_large(py, size, || {
        envelope::seal_envelope_with_iv(
            &key,
            repo_id,
            version,
            epoch,
            held.iter().map(|a| &a.get().0),
            share_refresh_tokens,
            iv,
        )
    })
    .py(py)?;
    Ok((sealed.iv, sealed.ciphertext))
}

/// Serialize `alts` as the payload of `payload_version` and seal it under the envelope AAD with a
/// fresh IV: (iv, ciphertext) in base64. The refresh-token policy applies unless
/// `share_refresh_tokens` is True.
#[pyfunction]
fn seal_envelope(
    py: Python<'_>,
    data_key: &Bound<'_, PyAny>,
    repo_id: &str,
    payload_version: &Bound<'_, PyAny>,
    key_epoch: &Bound<'_, PyAny>,
    alts: &Bound<'_, PyAny>,
    share_refresh_tokens: bool,
) -> PyResult<(String, String)> {
    let iv: [u8; 12] = avp_crypto::rand::array();
    seal_with_iv(
        py,
        data_key,
        repo_id,
        payload_version,
        key_epoch,
        alts,
        share_refresh_tokens,
        &iv,
    )
}

/// `seal_envelope` with a caller-chosen IV (vectors only: never repeat an IV under a key).
#[pyfunction]
#[pyo3(signature = (data_key, repo_id, payload_version, key_epoch, alts, share_refresh_tokens, *, iv))]
#[allow(clippy::too_many_arguments)] // seal_envelope's arguments and the IV
fn hazmat_seal_envelope(
    py: Python<'_>,
    data_key: &Bound<'_, PyAny>,
    repo_id: &str,
    payload_version: &Bound<'_, PyAny>,
    key_epoch: &Bound<'_, PyAny>,
    alts: &Bound<'_, PyAny>,
    share_refresh_tokens: bool,
    iv: &Bound<'_, PyAny>,
) -> PyResult<(String, String)> {
    let iv = iv12(iv)?;
    seal_with_iv(
        py,
        data_key,
        repo_id,
        payload_version,
        key_epoch,
        alts,
        share_refresh_tokens,
        &iv,
    )
}

/// Serialize `alts` with `admission` (a writer's, or None) as the body of a signed write, sign it
/// as `identity` with the roster `members` (`[(ed25519, x25519), ...]`, raw) following the state
/// hash `prev`, and seal it with a fresh IV: (iv, ciphertext, state tuple).
#[pyfunction]
#[pyo3(signature = (
    data_key, repo_id, payload_version, key_epoch, alts, share_refresh_tokens, identity, members,
    prev, admission = None
))]
#[allow(clippy::too_many_arguments)] // seal_envelope's arguments and the signer's
fn seal_signed_envelope<'py>(
    py: Python<'py>,
    data_key: &Bound<'py, PyAny>,
    repo_id: &str,
    payload_version: &Bound<'py, PyAny>,
    key_epoch: &Bound<'py, PyAny>,
    alts: &Bound<'py, PyAny>,
    share_refresh_tokens: bool,
    identity: &Identity,
    members: &Bound<'py, PyAny>,
    prev: &Bound<'py, PyAny>,
    admission: Option<&Bound<'py, PyAny>>,
) -> PyResult<(String, String, StateTuple<'py>)> {
    let (key, version, epoch, held, size) =
        seal_inputs(data_key, payload_version, key_epoch, alts)?;
    let members = roster(members)?;
    let admission = admission.map(|a| to_json(a, 1)).transpose()?;
    let signer = envelope::Signer {
        writer_seed: identity.keys().ed25519_seed(),
        roster: &members,
        prev: public32(prev, "prev")?,
        admission: admission.as_ref(),
    };
    let (sealed, state) = gil_released_if_large(py, size, || {
        envelope::seal_signed_envelope(
            &key,
            repo_id,
            version,
            epoch,
            held.iter().map(|a| &a.get().0),
            share_refresh_tokens,
            &signer,
        )
    })
    .py(py)?;
    Ok((sealed.iv, sealed.ciphertext, state_tuple(py, &state)))
}

/// Strict base64 of a Python `str`, decoded slice by slice (abi3 for 3.9 cannot borrow a str's
/// UTF-8, and a whole copy of a large ciphertext text would double the memory of an open).
fn b64decode_str(text: &Bound<'_, PyString>, what: &str) -> PyResult<Vec<u8>> {
    let py = text.py();
    let chars = text.len()?;
    let mut out = Vec::with_capacity(chars / 4 * 3);
    let mut start = 0;
    while start < chars || start == 0 {
        let step = if chars <= B64_WHOLE { chars } else { B64_SLICE };
        let end = (start + step).min(chars);
        let slice = text.get_item(PySlice::new(py, start as isize, end as isize, 1))?;
        let bytes = slice.downcast::<PyString>()?.encode_utf8()?;
        let part = bytes.as_bytes();
        // Padding may only end the whole text, not a slice of it.
        if end < chars && part.ends_with(b"=") {
            return Err(invalid(py, format!("{what}: invalid base64 padding")));
        }
        encoding::b64decode_append(part, &mut out)
            .map_err(|e| invalid(py, format!("{what}: {e}")))?;
        if end == chars {
            break;
        }
        start = end;
    }
    Ok(out)
}

/// A signed payload's verified state and its admission (`None` for an unsigned payload).
type Signed<'py> = Option<(StateTuple<'py>, Option<PyObject>)>;

/// Decrypt and parse an envelope's payload (the AAD is rebuilt from the header): (alts, inner
/// payloadVersion, signed). With `share_refresh_tokens` False the alts come without refresh
/// credentials. `signed` is None for an unsigned payload, else the state tuple of its
/// signed-write record, whose signature is checked here (`WriteUnauthenticated`), and the body's
/// admission (None when absent).
#[pyfunction]
#[allow(clippy::too_many_arguments)] // the envelope's five fields, the key and the policy
fn open_envelope<'py>(
    py: Python<'py>,
    data_key: &Bound<'py, PyAny>,
    repo_id: &str,
    payload_version: &Bound<'py, PyAny>,
    key_epoch: &Bound<'py, PyAny>,
    iv: &str,
    ciphertext: &Bound<'py, PyString>,
    share_refresh_tokens: bool,
) -> PyResult<(Bound<'py, PyList>, u64, Signed<'py>)> {
    let key = secret32(data_key, "data_key")?;
    let version = u64_counter(payload_version, "payloadVersion")?;
    let epoch = u64_counter(key_epoch, "keyEpoch")?;
    let aad = header_aad(repo_id, version, epoch).py(py)?;
    let iv: [u8; 12] = encoding::b64decode_strict(iv, Some(12))
        .map_err(|e| invalid(py, format!("envelope iv: {e}")))?
        .try_into()
        .expect("length checked");
    let body = b64decode_str(ciphertext, "envelope ciphertext")?;
    let len = body.len();
    let payload = gil_released_if_large(py, len, || {
        envelope::open_decoded(&aad, &iv, body, &key, share_refresh_tokens)
    })
    .py(py)?;
    let signed = match &payload.signed {
        None => None,
        Some(part) => {
            let state = part.verify(repo_id, version, epoch).py(py)?;
            let admission = part
                .admission
                .as_ref()
                .map(|a| from_json(py, a))
                .transpose()?;
            Some((state_tuple(py, &state), admission))
        }
    };
    Ok((alt_list(py, payload.alts)?, payload.payload_version, signed))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<AltAccount>()?;
    m.add_class::<BanInfo>()?;
    m.add("ALT_TYPES", vp::ALT_TYPES.to_vec())?;
    m.add("LEGACY_BAN_SERVER", vp::LEGACY_BAN_SERVER)?;
    m.add_function(wrap_pyfunction!(parse_alts, m)?)?;
    m.add_function(wrap_pyfunction!(parse_payload, m)?)?;
    m.add_function(wrap_pyfunction!(payload_json, m)?)?;
    m.add_function(wrap_pyfunction!(seal_envelope, m)?)?;
    m.add_function(wrap_pyfunction!(seal_signed_envelope, m)?)?;
    m.add_function(wrap_pyfunction!(hazmat_seal_envelope, m)?)?;
    m.add_function(wrap_pyfunction!(open_envelope, m)?)?;
    Ok(())
}
