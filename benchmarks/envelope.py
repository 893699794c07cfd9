"""Envelope benchmark rows for ``benchmarks/crypto.py``: seal and open of 1,000 and 100,000 alts.

avp is ``avp.client.repository.seal_envelope`` / ``open_envelope`` (one native call each: payload
JSON, AES-256-GCM under the envelope AAD, base64, strict parsing, typed alts). Its peers, measured in
the same run:

* **plain**: the same job written plainly, ``json`` + pyca ``AESGCM`` + ``base64`` with dicts, no
  validation at all (what a naive script does);
* **strict Python models**: the SDK's path before issue 12 — the native AEAD, then ``json.loads``
  refusing duplicate keys and NaN, then one frozen dataclass per alt with every type and counter
  checked in Python (a condensed copy of the old ``avp.models`` payload code, kept here only as the
  baseline the issue's "open >= 8x today's SDK path" goal refers to).

Peak extra memory of an open is measured in a fresh subprocess per implementation: the envelope is
built, the fixtures' freed heap is returned to the OS (``malloc_trim``), the kernel's RSS high-water
mark is reset (``/proc/self/clear_refs`` ← ``5``), the envelope is opened and the result kept, and
``VmHWM - VmRSS(before)`` is the peak. RSS sees every allocation,
Rust's included (``tracemalloc`` only sees Python's).
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any, Optional

from avp import crypto
from avp.client.repository import open_envelope, seal_envelope
from avp.models import AltAccount, EncryptedEnvelope
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

REPO_ID = "repo-bench"
VERSION, EPOCH = 7, 2
#: Goals of issue 12: every seal/open row >= 3x plain; open >= 8x the strict Python models.
GOAL_VS_PLAIN = 3.0
GOAL_OPEN_VS_MODELS = 8.0
#: Peak extra memory of opening 100,000 alts, as a multiple of the plaintext size.
MEMORY_GOAL = 2.0


def alt_dict(i: int) -> dict[str, Any]:
    """One alt with ~300-byte tokens (the shape of a real Microsoft account entry)."""
    token = f"{i:08d}" + "x" * 292
    return {
        "uuid": f"{i:08x}-4e8b-4c6d-9a1f-{i:012x}",
        "username": f"player{i}",
        "accessToken": "eyJ" + token,
        "type": "MICROSOFT",
        "lastUsed": 1_767_225_600_000 + i,
        "refreshToken": "M.C5" + token,
        "expiresAt": 1_767_312_000_000,
        "sourceClient": "lol.trq.alts",
    }


# --- plain: json + pyca + base64 ---------------------------------------------------------------------
def plain_seal(key: bytes, alts: list[dict[str, Any]]) -> dict[str, Any]:
    plaintext = json.dumps({"alts": alts, "payloadVersion": VERSION}, separators=(",", ":")).encode()
    iv = os.urandom(12)
    aad = crypto.aad(REPO_ID, VERSION, EPOCH)
    ciphertext = AESGCM(key).encrypt(iv, plaintext, aad)
    return {
        "repoId": REPO_ID,
        "payloadVersion": VERSION,
        "keyEpoch": EPOCH,
        "iv": base64.b64encode(iv).decode(),
        "ciphertext": base64.b64encode(ciphertext).decode(),
    }


def plain_open(key: bytes, envelope: dict[str, Any]) -> Any:
    aad = crypto.aad(envelope["repoId"], envelope["payloadVersion"], envelope["keyEpoch"])
    iv = base64.b64decode(envelope["iv"])
    plaintext = AESGCM(key).decrypt(iv, base64.b64decode(envelope["ciphertext"]), aad)
    return json.loads(plaintext)


# --- strict Python models: the SDK's open path before issue 12 ----------------------------------------
@dataclass(frozen=True)
class _PyAlt:
    uuid: str
    username: str
    access_token: str
    type: str
    last_used: int
    refresh_token: Optional[str]
    expires_at: Optional[int]
    last_used_by: Optional[str]
    source_client: Optional[str]
    source_user: Optional[str]
    extra: dict[str, Any]


_KNOWN = {"uuid", "username", "accessToken", "type", "lastUsed", "refreshToken", "expiresAt", "lastUsedBy"}
_KNOWN |= {"bans", "ban", "sourceClient", "sourceUser"}


def _no_dup(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError("duplicate key")
        out[k] = v
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(name)


def _text(obj: dict[str, Any], key: str, optional: bool = False) -> Any:
    value = obj.get(key)
    if not isinstance(value, str) and not (optional and value is None):
        raise ValueError(key)
    return value


def _counter(obj: dict[str, Any], key: str, optional: bool = False) -> Any:
    value = obj.get(key)
    if optional and value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 2**53 - 1:
        raise ValueError(key)
    return value


def _py_alt(obj: Any) -> _PyAlt:
    if not isinstance(obj, dict):
        raise ValueError("alt")
    if _text(obj, "type") not in ("MICROSOFT", "COOKIE", "SESSION", "OFFLINE"):
        raise ValueError("type")
    return _PyAlt(
        _text(obj, "uuid"),
        _text(obj, "username"),
        _text(obj, "accessToken"),
        obj["type"],
        _counter(obj, "lastUsed"),
        _text(obj, "refreshToken", True),
        _counter(obj, "expiresAt", True),
        _text(obj, "lastUsedBy", True),
        _text(obj, "sourceClient", True),
        _text(obj, "sourceUser", True),
        {k: v for k, v in obj.items() if k not in _KNOWN},
    )


def models_open(key: bytes, envelope: EncryptedEnvelope) -> list[_PyAlt]:
    plaintext = crypto.open_payload(
        key,
        envelope.repo_id,
        envelope.payload_version,
        envelope.key_epoch,
        crypto.b64decode_strict(envelope.iv, 12),
        crypto.b64decode_strict(envelope.ciphertext),
    )
    doc = json.loads(plaintext, object_pairs_hook=_no_dup, parse_constant=_no_constant)
    _counter(doc, "payloadVersion")
    return [_py_alt(a) for a in doc["alts"]]


# --- rows ----------------------------------------------------------------------------------------------
def fixtures(count: int) -> tuple[bytes, list[dict[str, Any]], list[AltAccount], EncryptedEnvelope]:
    key = crypto.generate_data_key()
    dicts = [alt_dict(i) for i in range(count)]
    alts = [AltAccount.from_dict(d) for d in dicts]
    return key, dicts, alts, seal_envelope(key, REPO_ID, VERSION, EPOCH, alts, True)


def cases(count: int) -> list[tuple[str, Any, dict[str, Any]]]:
    """(operation, avp function, {peer: function}) for seal and open of ``count`` alts."""
    key, dicts, alts, envelope = fixtures(count)
    plain_envelope = plain_seal(key, dicts)
    label = f"{count:,} alts"
    return [
        (
            f"seal_envelope {label}",
            lambda: seal_envelope(key, REPO_ID, VERSION, EPOCH, alts, True),
            {"json+cryptography+base64": lambda: plain_seal(key, dicts)},
        ),
        (
            f"open_envelope {label}",
            lambda: open_envelope(envelope, key, True),
            {
                "json+cryptography+base64": lambda: plain_open(key, plain_envelope),
                "strict Python models": lambda: models_open(key, envelope),
            },
        ),
    ]


def goal(operation: str, peer: str) -> Optional[float]:
    if peer == "strict Python models":
        return GOAL_OPEN_VS_MODELS
    return GOAL_VS_PLAIN


_MEMORY_CHILD = """
import ctypes, gc, sys
sys.path.insert(0, {here!r})
import envelope as b
key, dicts, alts, env = b.fixtures({count})
plain_env = b.plain_seal(key, dicts)
plaintext_size = len(b.crypto.b64decode_strict(env.ciphertext)) - 16
open_one = {{
    "avp": lambda: b.open_envelope(env, key, True),
    "plain": lambda: b.plain_open(key, plain_env),
}}[{which!r}]
del dicts, alts
gc.collect()
ctypes.CDLL("libc.so.6").malloc_trim(0)  # freed heap back to the OS, so it cannot hide new allocations
def status(field):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":")) * 1024
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
before = status("VmRSS")
kept = open_one()
print(status("VmHWM") - before, plaintext_size)
"""


def peak_extra_memory(count: int, which: str) -> tuple[int, int]:
    """(peak extra bytes while opening and keeping the result, plaintext bytes), in a subprocess."""
    here = os.path.dirname(os.path.abspath(__file__))
    code = _MEMORY_CHILD.format(here=here, count=count, which=which)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=600
    )
    peak, size = out.stdout.split()
    return int(peak), int(size)
