"""avp.federation beyond the published vectors: any member order, strict shapes, addresses."""

from __future__ import annotations

import base64
import json

import pytest
from avp import federation
from avp.errors import CounterOutOfRange, InvalidAddress, InvalidEncoding, UnsupportedScheme

ED = base64.b64encode(b"\x11" * 32).decode()
X = base64.b64encode(b"\x22" * 32).decode()


def token(obj: object, *, indent: int | None = None) -> str:
    raw = json.dumps(obj, indent=indent).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_invite_round_trip_all_entry_points() -> None:
    invite = federation.InviteRequest(ED, X)
    encoded = federation.encode_invite(invite)
    assert encoded == federation.encode_invite(ED, X) == federation.encode_invite(invite.to_dict())
    assert federation.decode_invite(encoded) == invite
    raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    assert raw == json.dumps(invite.to_dict(), separators=(",", ":")).encode()


def test_decoders_accept_any_order_whitespace_and_unknown_members() -> None:
    reordered = token({"x25519PublicKey": X, "extra": [1], "v": 1, "ed25519PublicKey": ED}, indent=2)
    assert federation.decode_invite(reordered) == federation.InviteRequest(ED, X)
    loc = federation.decode_locator(token({"repoId": "r", "keyEpoch": 4, "host": "h:1", "v": 1}))
    assert loc == federation.RepoLocator("h:1", "r", None, 4, None)
    assert loc.to_dict() == {"v": 1, "host": "h:1", "repoId": "r", "keyEpoch": 4}


@pytest.mark.parametrize(
    ("obj", "error"),
    [
        ({"v": 2, "ed25519PublicKey": ED, "x25519PublicKey": X}, UnsupportedScheme),
        ({"v": "1", "ed25519PublicKey": ED, "x25519PublicKey": X}, InvalidEncoding),
        ({"v": 1, "ed25519PublicKey": ED}, InvalidEncoding),
        ({"v": 1, "ed25519PublicKey": ED, "x25519PublicKey": X.rstrip("=")}, InvalidEncoding),
        ({"v": 1, "ed25519PublicKey": ED, "x25519PublicKey": 5}, InvalidEncoding),
        ([1], InvalidEncoding),
    ],
)
def test_bad_invites(obj: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        federation.decode_invite(token(obj))


@pytest.mark.parametrize(
    ("obj", "error"),
    [
        ({"v": 1, "host": "h", "repoId": "r", "keyEpoch": -1}, CounterOutOfRange),
        ({"v": 1, "host": "h", "repoId": "r", "keyEpoch": 2**53}, CounterOutOfRange),
        ({"v": 1, "host": "h", "repoId": "r", "keyEpoch": 1.5}, CounterOutOfRange),
        ({"v": 1, "host": "h", "repoId": "r", "keyEpoch": "1"}, InvalidEncoding),
        ({"v": 1, "host": "h/x", "repoId": "r"}, InvalidAddress),
        ({"v": 1, "host": "h", "repoId": ""}, InvalidEncoding),
    ],
)
def test_bad_locators(obj: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        federation.decode_locator(token(obj))


def test_token_base64url_is_strict() -> None:
    good = federation.encode_invite(ED, X)
    for bad in (good + "=", good.replace("-", "+") if "-" in good else good + "+", good + " "):
        with pytest.raises(InvalidEncoding):
            federation.decode_invite(bad)


def test_addresses() -> None:
    a = federation.parse_address("avp://vault.example:8443/abc/def")
    assert (a.host, a.repo_id) == ("vault.example:8443", "abc/def")
    assert str(a) == "avp://vault.example:8443/abc/def"
    assert a.to_dict() == {"host": "vault.example:8443", "repoId": "abc/def"}
    assert federation.format_address("[::1]:9", "r") == "avp://[::1]:9/r"
    for bad in (
        "vault.example/r",
        "avp://",
        "avp://h",
        "avp://h/",
        "avp://:80/r",
        "avp://h:99999/r",
        "avp://a b/r",
    ):
        with pytest.raises(InvalidAddress):
            federation.parse_address(bad)
    with pytest.raises(InvalidAddress):
        federation.format_address("h", "r?x")
