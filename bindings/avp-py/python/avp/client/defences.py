"""The client's defences against a malicious or broken server (spec §9, §10; project rules).

Each check is a small function that either returns or raises the error whose code names the attack:

* ``binding_invalid`` — a member's key binding is missing (when required) or does not verify against
  the pinned issuer key;
* ``key_changed`` — a known member (or this client itself) is served with another X25519 key, or
  the issuer's signing key changed;
* ``rollback_detected`` — a counter went below the highest one already accepted;
* ``refresh_policy_changed`` — ``shareRefreshTokens`` turned from off to on without the user's consent;
* ``invalid_key`` — a low-order X25519 key, refused before any request is sent.

The issuer key is trusted on first use per JWKS URL and pinned in the local store.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Mapping, Optional

from avp import crypto
from avp.client.store import RepoState, Store
from avp.client.transport import Transport
from avp.errors import (
    AvpError,
    BindingInvalid,
    InvalidEncoding,
    InvalidKey,
    KeyChanged,
    ProtocolError,
    RefreshPolicyChanged,
    RollbackDetected,
    TransportError,
)
from avp.models import EncryptedEnvelope, VaultManifest


def public_key(b64: str, what: str) -> bytes:
    """Strictly decode a base64 32-byte public key (``invalid_encoding`` otherwise)."""
    try:
        return crypto.b64decode_strict(b64, 32)
    except AvpError as exc:
        raise InvalidEncoding(f"{what} is not a base64 32-byte key", detail=exc.code) from None


def recipient_key(b64: str, what: str) -> bytes:
    """An X25519 key data may be wrapped to: well-formed and not of low order."""
    raw = public_key(b64, what)
    if crypto.is_low_order_x25519(raw):
        raise InvalidKey(f"{what} is a low-order X25519 key (it would give an all-zero shared secret)")
    return raw


def is_loopback(host: str) -> bool:
    """``localhost``, ``127.0.0.0/8`` or ``[::1]`` (with or without a port)."""
    name = host.rsplit("]", 1)[0].lstrip("[") if host.startswith("[") else host.rsplit(":", 1)[0]
    if name.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


# --- key bindings -----------------------------------------------------------------------------------


def _jwk_ed25519_keys(jwks: Any) -> set[str]:
    """The Ed25519 keys of a JWKS, as standard base64 of the raw 32 bytes."""
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    if not isinstance(keys, list):
        raise ProtocolError("JWKS has no keys array")
    out: set[str] = set()
    for jwk in keys:
        if not isinstance(jwk, dict) or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
            continue
        x = jwk.get("x")
        if not isinstance(x, str) or any(c in x for c in "+/="):
            raise ProtocolError("JWKS key x is not base64url without padding")
        standard = x.replace("-", "+").replace("_", "/") + "=" * (-len(x) % 4)
        out.add(crypto.b64encode(public_key(standard, "JWKS key")))
    if not out:
        raise ProtocolError("JWKS has no Ed25519 key")
    return out


class IssuerKeys:
    """Issuer (IdP) signing keys, fetched from a JWKS URL and pinned on first use."""

    def __init__(self, transport: Transport, store: Store) -> None:
        self._transport = transport
        self._store = store
        self._checked: dict[str, set[str]] = {}  # fetched and compared during this session

    def keys(self, jwks_url: str) -> set[str]:
        """The pinned keys for ``jwks_url``; ``key_changed`` if the issuer no longer serves any of them."""
        if jwks_url in self._checked:
            return self._checked[jwks_url]
        served = _jwk_ed25519_keys(self._transport.get_json(jwks_url))
        pinned = self._store.issuer_keys(jwks_url)
        if pinned and not pinned & served:
            raise KeyChanged("the issuer's signing key changed since it was first seen", detail=jwks_url)
        if not pinned:
            self._store.pin_issuer_keys(jwks_url, served)
            pinned = served
        self._checked[jwks_url] = pinned
        return pinned

    def verify(self, jwks_url: str, ed25519_b64: str, x25519_b64: str, signature_b64: str) -> bool:
        try:
            signature = crypto.b64decode_strict(signature_b64, 64)
        except AvpError:
            return False
        return any(
            crypto.key_binding_verify(crypto.b64decode_strict(k, 32), ed25519_b64, x25519_b64, signature)
            for k in self.keys(jwks_url)
        )


def check_binding(
    issuers: IssuerKeys,
    jwks_url: Optional[str],
    ed25519_b64: str,
    x25519_b64: str,
    signature_b64: Optional[str],
    required: bool,
) -> None:
    """Refuse a member whose binding is required and missing, or present and not verifying.

    A binding that is present is always checked when an issuer is known: a bad one is evidence of
    tampering even where bindings are optional.
    """
    if signature_b64 is None:
        if required:
            raise BindingInvalid(f"member {ed25519_b64} has no key binding and one is required")
        return
    if jwks_url is None:
        if required:
            raise BindingInvalid("a key binding is required but no issuer key is known for this host")
        return
    try:
        issuers.keys(jwks_url)
    except (KeyChanged, TransportError):
        raise
    except AvpError as err:  # the JWKS is missing or malformed: nothing to verify against
        if required:
            raise BindingInvalid(
                "the issuer key cannot be fetched", detail=f"{jwks_url}: {err.code}"
            ) from None
        return
    if not issuers.verify(jwks_url, ed25519_b64, x25519_b64, signature_b64):
        raise BindingInvalid(f"the key binding of member {ed25519_b64} does not verify")


# --- served manifests -------------------------------------------------------------------------------


def check_counters(state: Optional[RepoState], payload_version: int, key_epoch: int, what: str) -> None:
    """``rollback_detected`` if a served counter is below the high-water mark."""
    if state is None:
        return
    if payload_version < state.hw_version or key_epoch < state.hw_epoch:
        raise RollbackDetected(
            f"the server served {what} at version {payload_version} epoch {key_epoch},"
            f" below the version {state.hw_version} epoch {state.hw_epoch} already seen",
        )


def check_members(
    manifest: VaultManifest,
    me: str,
    my_x25519: str,
    pins: Mapping[str, str],
    accepted: Mapping[str, str],
    *,
    require_self: bool = True,
) -> dict[str, str]:
    """Check a served roster against the pins; return the pins to add (members seen the first time).

    ``accepted`` maps member ids to new X25519 keys the user explicitly accepted.
    """
    fresh: dict[str, str] = {}
    seen: set[str] = set()
    for entry in manifest.members:
        member, x = entry.ed25519_public_key, entry.x25519_public_key
        public_key(member, "member id")
        public_key(x, "member X25519 key")
        if member in seen:
            raise ProtocolError("the roster lists a member twice", detail=member)
        seen.add(member)
        expected = my_x25519 if member == me else pins.get(member)
        if expected is None:
            fresh[member] = x
        elif x != expected and accepted.get(member) != x:
            raise KeyChanged(f"member {member} is served with a different X25519 key than the one pinned")
    if require_self and me not in seen:
        raise ProtocolError("the server answered for a roster this identity is not in")
    return fresh


def check_envelope(manifest: VaultManifest, envelope: EncryptedEnvelope) -> None:
    """The envelope header must name the manifest's repository and counters."""
    header = (envelope.repo_id, envelope.payload_version, envelope.key_epoch)
    if header != (manifest.repo_id, manifest.payload_version, manifest.key_epoch):
        raise ProtocolError(
            "the envelope header does not match the manifest",
            detail=f"envelope {header[1]}/{header[2]} vs manifest"
            f" {manifest.payload_version}/{manifest.key_epoch}",
        )


def check_refresh_policy(state: Optional[RepoState], served: Optional[bool], confirmed: bool) -> bool:
    """The policy to honour now; ``refresh_policy_changed`` for an unconfirmed false → true."""
    now_on = served is True
    seen_before = state is not None and state.manifest is not None  # a first contact changes nothing
    if now_on and seen_before and state is not None and not state.share_refresh_tokens and not confirmed:
        raise RefreshPolicyChanged(
            "this repository now asks members to share refresh tokens; confirm to honour it"
            " (pull(confirm_refresh_policy=True), or 'avp repo pull --confirm-refresh-policy')"
        )
    return now_on
