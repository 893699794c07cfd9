"""A subset of the C2SP CCTV Ed25519 edge cases, embedded as data (BSD licence) in ``cctv.json``.

Source: C2SP CCTV ``ed25519/ed25519vectors.json`` (914 cases). We keep the first case of every
distinct flag set (66 sets), so every kind of edge the suite knows is represented once: low-order or
non-canonical ``A`` and ``R``, low-order components, cofactored-only equations (``low_order_residue``)
and re-encoded hashes. Each case is ``{number, key, sig, msg, flags}`` as in the CCTV file (``key``
and ``sig`` in hex, ``msg`` as text); ``number`` is the case number there.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

CCTV_CASES: list[dict[str, Any]] = json.loads(
    resources.files("avp.vectors").joinpath("cctv.json").read_text(encoding="utf-8")
)["cases"]
