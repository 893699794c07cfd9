"""The identity file of a state directory: ``<home>/identity.json``, sealed by ``avp.Identity``.

The file is the crate's sealed format (Argon2id + AES-256-GCM slots for the passphrase and the
recovery code); its two public keys are in clear, so they can be shown without unlocking.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from avp.client.store import resolve_home, write_private_file
from avp.errors import InvalidEncoding, LocalStateError
from avp.identity import Identity
from avp.models import loads_strict

IDENTITY_FILE = "identity.json"


def identity_path(home: Optional[os.PathLike[str] | str] = None) -> Path:
    return resolve_home(home) / IDENTITY_FILE


@dataclass(frozen=True)
class PublicIdentity:
    """The public half of a sealed identity, read without the passphrase (unverified until opened)."""

    member_id: str
    x25519_public_key: str
    path: Path


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LocalStateError(f"no identity at {path}; create one with 'avp id new'") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LocalStateError(f"cannot read the identity at {path}", detail=str(exc)) from None


def save_identity(
    identity: Identity,
    passphrase: str,
    home: Optional[os.PathLike[str] | str] = None,
    *,
    recovery_code: Optional[str] = None,
    overwrite: bool = False,
) -> Path:
    """Seal ``identity`` under ``passphrase`` (and ``recovery_code``) and write it atomically (mode 0600)."""
    path = identity_path(home)
    if path.exists() and not overwrite:
        raise LocalStateError(f"an identity already exists at {path}")
    write_private_file(path, identity.seal(passphrase, recovery_code=recovery_code).encode())
    return path


def load_identity(
    home: Optional[os.PathLike[str] | str] = None,
    *,
    passphrase: Optional[str] = None,
    recovery_code: Optional[str] = None,
) -> Identity:
    """Open the sealed identity with the passphrase or the recovery code (``invalid_passphrase`` if wrong)."""
    return Identity.open(_read(identity_path(home)), passphrase, recovery_code=recovery_code)


def read_public_identity(home: Optional[os.PathLike[str] | str] = None) -> PublicIdentity:
    path = identity_path(home)
    doc = loads_strict(_read(path))
    keys = (doc.get("ed25519PublicKey"), doc.get("x25519PublicKey")) if isinstance(doc, dict) else ()
    if len(keys) != 2 or not all(isinstance(k, str) for k in keys):
        raise InvalidEncoding(f"{path} is not a sealed AVP identity")
    return PublicIdentity(str(keys[0]), str(keys[1]), path)
