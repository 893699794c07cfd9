"""The published AVP 0.4 conformance cases, embedded as data (``published.json``) so the repository
needs no ``../shared``.

Provenance: the Alt Vault Protocol 0.4 repository ``trqlmao/avp``, folder ``vectors/`` (MIT licence):
``hkdf``, ``x25519``, ``ed25519``, ``key-wrap`` and ``federation`` as published there; ``aad``,
``key-binding-message``, ``payload-aead`` and ``negative`` as vendored verbatim from avp commit 5fb48e8
into ``trqlmao/lol.trq.alts`` (``src/test/resources/avp-vectors/``). Values are unchanged; the only
additions are a ``name`` on the ``aad`` and ``key-binding-message`` cases (the published ones have
none, and our lint requires unique names). The key-wrap case uses RFC 7748 §6.1: recipient = Alice,
ephemeral = Bob (Bob's private key, below, is from the RFC and not in the published file).
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

#: RFC 7748 §6.1 Bob's private key: the ephemeral key of the published key-wrap case.
RFC7748_BOB_PRIVATE_HEX = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"

#: The published cases by file name (``aad``, ``key-binding-message``, ``hkdf``, ``x25519``,
#: ``ed25519``, ``payload-aead``, ``key-wrap``, ``federation``, ``negative``).
PUBLISHED: dict[str, Any] = json.loads(
    resources.files("avp.vectors").joinpath("published.json").read_text(encoding="utf-8")
)["files"]
