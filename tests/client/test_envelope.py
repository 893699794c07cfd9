"""seal_envelope / open_envelope (one native call each way), checked against pyca ``AESGCM`` + the
standard library's ``base64`` and ``json`` as the independent implementation."""

from __future__ import annotations

import base64
import enum
import json
import sys
import threading
from typing import Any

import pytest
from avp import _native
from avp.client.repository import open_envelope, seal_envelope
from avp.errors import CounterOutOfRange, InvalidEncoding, InvalidTag
from avp.models import AltAccount, BanInfo, EncryptedEnvelope
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY = bytes(range(32))
REPO, VERSION, EPOCH = "repo-\u00e9", 3, 1


def wire_alt(i: int, **over: Any) -> dict[str, Any]:
    return {
        "uuid": f"u-{i}",
        "username": f"player{i}",
        "accessToken": f"at-{i}-" + "x" * 40,
        "type": "MICROSOFT",
        "lastUsed": 1_700_000_000_000 + i,
        "refreshToken": f"rt-{i}",
        "expiresAt": 1_800_000_000_000,
        **over,
    }


def pyca_open(envelope: EncryptedEnvelope) -> Any:
    aad = REPO.encode() + b"\x1f" + VERSION.to_bytes(8, "big") + EPOCH.to_bytes(8, "big")
    iv = base64.b64decode(envelope.iv, validate=True)
    plaintext = AESGCM(KEY).decrypt(iv, base64.b64decode(envelope.ciphertext, validate=True), aad)
    return json.loads(plaintext)


def pyca_seal(payload: Any) -> EncryptedEnvelope:
    aad = REPO.encode() + b"\x1f" + VERSION.to_bytes(8, "big") + EPOCH.to_bytes(8, "big")
    iv = bytes(12)
    ciphertext = AESGCM(KEY).encrypt(iv, json.dumps(payload).encode(), aad)
    return EncryptedEnvelope(
        REPO, VERSION, EPOCH, base64.b64encode(iv).decode(), base64.b64encode(ciphertext).decode()
    )


def test_sealed_envelope_is_plain_aes_gcm_over_the_payload_json() -> None:
    extra = {"skin": {"layers": [1, 2.5, None, True]}, "big": 2**70}
    alts = [AltAccount.from_dict(wire_alt(1, **extra)), AltAccount.from_dict(wire_alt(2))]
    envelope = seal_envelope(KEY, REPO, VERSION, EPOCH, alts, True)
    assert pyca_open(envelope) == {"alts": [wire_alt(1, **extra), wire_alt(2)], "payloadVersion": VERSION}
    assert open_envelope(envelope, KEY).alts == tuple(alts)


def test_policy_off_strips_refresh_credentials_on_seal_and_on_open() -> None:
    alts = [AltAccount.from_dict(wire_alt(1))]
    stripped = pyca_open(seal_envelope(KEY, REPO, VERSION, EPOCH, alts, False))["alts"][0]
    assert "refreshToken" not in stripped and "expiresAt" not in stripped
    careless = pyca_seal({"alts": [wire_alt(1)], "payloadVersion": VERSION})
    opened = open_envelope(careless, KEY, False).alts[0]
    assert (opened.refresh_token, opened.expires_at, opened.access_token) == (
        None,
        None,
        wire_alt(1)["accessToken"],
    )
    assert open_envelope(careless, KEY, True).alts[0].refresh_token == "rt-1"


def test_a_payload_written_by_another_client_opens() -> None:
    raw = [wire_alt(i, ban={"banned": True, "observedAt": 5, "source": "s", "detail": "d"}) for i in range(3)]
    opened = open_envelope(pyca_seal({"alts": raw, "payloadVersion": VERSION, "meta": 1}), KEY)
    assert opened.payload_version == VERSION
    assert [a.uuid for a in opened.alts] == ["u-0", "u-1", "u-2"]
    assert opened.alts[0].bans == {"unknown": BanInfo(True, 5, "s", "d")}


def test_large_envelopes_round_trip_across_base64_slices() -> None:
    # Over 4 Mi characters of ciphertext text: decoded in the binding's 48 Ki-character slices.
    alts = [AltAccount.from_dict(wire_alt(i, sourceUser="s" * 4000)) for i in range(1000)]
    envelope = seal_envelope(KEY, REPO, VERSION, EPOCH, alts, True)
    assert len(envelope.ciphertext) > 4 << 20
    assert open_envelope(envelope, KEY).alts == tuple(alts)
    assert pyca_open(envelope)["alts"][999] == wire_alt(999, sourceUser="s" * 4000)
    # Padding that would end one slice is not the end of the text: refused, not accepted piecewise.
    cut = 48 * 1024
    padded = envelope.ciphertext[: cut - 2] + "==" + envelope.ciphertext[cut:]
    with pytest.raises(InvalidEncoding):
        open_envelope(EncryptedEnvelope(REPO, VERSION, EPOCH, envelope.iv, padded), KEY)


def test_a_large_open_releases_the_gil() -> None:
    """With a switch interval far longer than the open, another thread can only run during the call
    if the call releases the GIL."""
    alts = [AltAccount.from_dict(wire_alt(i)) for i in range(20_000)]
    envelope = seal_envelope(KEY, REPO, VERSION, EPOCH, alts, True)
    ticks = 0
    done = threading.Event()

    def count() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1

    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.5)
    counter = threading.Thread(target=count)
    try:
        counter.start()
        before = ticks
        open_envelope(envelope, KEY)
        during = ticks - before
        before = ticks
        json.loads(_native.payload_json(alts, 1))  # the same size of work, GIL held throughout
        held = ticks - before
    finally:
        done.set()
        counter.join()
        sys.setswitchinterval(interval)
    assert held == 0 and during > 0


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"key_epoch": EPOCH + 1}, InvalidTag),
        ({"repo_id": "other"}, InvalidTag),
        ({"iv": "AAAAAAAAAAAAAAAA"}, InvalidTag),
        ({"iv": "AAAA"}, InvalidEncoding),
        ({"ciphertext": "AAAA"}, InvalidTag),
        ({"ciphertext": "AA=A"}, InvalidEncoding),
        ({"ciphertext": "-_8="}, InvalidEncoding),
        ({"payload_version": 2**53}, CounterOutOfRange),
    ],
)
def test_envelope_faults(change: dict[str, Any], error: type[Exception]) -> None:
    envelope = seal_envelope(KEY, REPO, VERSION, EPOCH, [AltAccount.from_dict(wire_alt(1))], True)
    fields = {**vars(envelope), **change}
    with pytest.raises(error):
        open_envelope(EncryptedEnvelope(**fields), KEY)


def test_a_sealed_payload_that_does_not_parse_is_invalid_encoding() -> None:
    envelope = pyca_seal({"alts": [wire_alt(1, lastUsed="yesterday")], "payloadVersion": VERSION})
    with pytest.raises(InvalidEncoding, match=r"payload\.alts\[0\]\.lastUsed"):
        open_envelope(envelope, KEY)


def test_seal_takes_only_alt_accounts() -> None:
    with pytest.raises(TypeError):
        seal_envelope(KEY, REPO, VERSION, EPOCH, [wire_alt(1)], True)  # type: ignore[list-item]


def test_constructor_applies_the_core_rules() -> None:
    with pytest.raises(InvalidEncoding):
        AltAccount("u", "n", "t", "PREMIUM", 1)
    with pytest.raises(CounterOutOfRange):
        AltAccount("u", "n", "t", "COOKIE", 2**53)
    with pytest.raises(InvalidEncoding):
        AltAccount("u", "n", "t", "COOKIE", 1, extra={"uuid": "shadow"})
    with pytest.raises(InvalidEncoding):
        AltAccount("u", "n", "t", "COOKIE", 1, extra={"x": float("nan")})
    alt = AltAccount('u"\n', "n", "t", "COOKIE", 1, extra={"big": 2**80, "f": 0.1, "inf": float("inf")})
    assert json.loads(_native.payload_json([alt], 1))["alts"][0] == {
        "big": 2**80,
        "f": 0.1,
        "inf": float("inf"),
        "uuid": 'u"\n',
        "username": "n",
        "accessToken": "t",
        "type": "COOKIE",
        "lastUsed": 1,
    }
    assert alt.extra == {"big": 2**80, "f": 0.1, "inf": float("inf")}
    # int and float subclasses are written as their numeric values, not as their str()
    flag = AltAccount("u", "n", "t", "COOKIE", 1, extra={"e": enum.IntEnum("E", "ONE")["ONE"]})
    assert json.loads(_native.payload_json([flag], 1))["alts"][0]["e"] == 1


def test_repr_leaves_tokens_out() -> None:
    text = repr(AltAccount.from_dict(wire_alt(1)))
    assert "u-1" in text and "at-1" not in text and "rt-1" not in text
