"""Federation (AVP §8): ``avp://host/repoId`` addresses and the join-handshake tokens.

Encoders write minified JSON in the spec's member order; decoders accept any order and
whitespace and ignore unknown members. Compare tokens by their decoded objects, never as strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional, Union, overload

from avp import _native
from avp.errors import InvalidEncoding

__all__ = [
    "Address",
    "InviteRequest",
    "RepoLocator",
    "decode_invite",
    "decode_locator",
    "encode_invite",
    "encode_locator",
    "format_address",
    "parse_address",
]


@dataclass(frozen=True)
class InviteRequest:
    """Joiner → inviter: the joiner's public keys (standard base64)."""

    ed25519_public_key: str
    x25519_public_key: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "v": 1,
            "ed25519PublicKey": self.ed25519_public_key,
            "x25519PublicKey": self.x25519_public_key,
        }


@dataclass(frozen=True)
class RepoLocator:
    """Inviter → joiner: where the repository lives."""

    host: str
    repo_id: str
    scheme_id: Optional[str] = None
    key_epoch: Optional[int] = None
    issuer_jwks_url: Optional[str] = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"v": 1, "host": self.host, "repoId": self.repo_id}
        for key, value in (
            ("schemeId", self.scheme_id),
            ("keyEpoch", self.key_epoch),
            ("issuerJwksUrl", self.issuer_jwks_url),
        ):
            if value is not None:
                out[key] = value
        return out


@dataclass(frozen=True)
class Address:
    """A parsed ``avp://host[:port]/repoId``."""

    host: str
    repo_id: str

    def __str__(self) -> str:
        return _native.format_address(self.host, self.repo_id)

    def to_dict(self) -> dict[str, Any]:
        return {"host": self.host, "repoId": self.repo_id}


def _field(d: Mapping[str, Any], key: str) -> Any:
    if key not in d:
        raise InvalidEncoding(f"missing {key!r}")
    return d[key]


@overload
def encode_invite(invite: Union[InviteRequest, Mapping[str, Any]]) -> str: ...
@overload
def encode_invite(invite: str, x25519_public_key: str) -> str: ...
def encode_invite(
    invite: Union[InviteRequest, Mapping[str, Any], str], x25519_public_key: Optional[str] = None
) -> str:
    """Token for an :class:`InviteRequest`, its dict (``ed25519PublicKey``, ``x25519PublicKey``), or
    the two base64 public keys given directly."""
    if isinstance(invite, str):
        if x25519_public_key is None:
            raise TypeError("encode_invite(ed25519_public_key, x25519_public_key) needs both keys")
        return _native.encode_invite(invite, x25519_public_key)
    if x25519_public_key is not None:
        raise TypeError("x25519_public_key is only given with a base64 Ed25519 key")
    if isinstance(invite, InviteRequest):
        return _native.encode_invite(invite.ed25519_public_key, invite.x25519_public_key)
    return _native.encode_invite(_field(invite, "ed25519PublicKey"), _field(invite, "x25519PublicKey"))


def decode_invite(token: str) -> InviteRequest:
    return InviteRequest(*_native.decode_invite(token))


def encode_locator(locator: Union[RepoLocator, Mapping[str, Any]]) -> str:
    """Token for a :class:`RepoLocator` or its dict (camelCase members)."""
    if isinstance(locator, RepoLocator):
        return _native.encode_locator(
            locator.host, locator.repo_id, locator.scheme_id, locator.key_epoch, locator.issuer_jwks_url
        )
    return _native.encode_locator(
        _field(locator, "host"),
        _field(locator, "repoId"),
        locator.get("schemeId"),
        locator.get("keyEpoch"),
        locator.get("issuerJwksUrl"),
    )


def decode_locator(token: str) -> RepoLocator:
    return RepoLocator(*_native.decode_locator(token))


def parse_address(uri: str) -> Address:
    """Parse ``avp://host[:port]/repoId`` (the repoId is everything after the first ``/``)."""
    return Address(*_native.parse_address(uri))


def format_address(host: str, repo_id: str) -> str:
    return _native.format_address(host, repo_id)
