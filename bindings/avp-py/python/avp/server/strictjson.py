"""Strict JSON decoding of request bodies (wire contract §3).

Python's ``json`` accepts things the contract rejects: duplicate keys (last one wins), ``NaN`` and
``Infinity``, a UTF-8 BOM, arbitrarily deep nesting. This module closes those holes and turns every
failure into :class:`~avp.errors.BadRequest`.
"""

from __future__ import annotations

import json
import math
from typing import Any, NoReturn

from avp.errors import BadRequest

#: Maximum container depth; the top-level object is depth 1.
MAX_DEPTH = 32


class _DuplicateKey(ValueError):
    pass


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(f"duplicate key {key!r}")
            seen.add(key)
    return obj


def _constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def _float(text: str) -> float:
    # Fractions and exponents are legal JSON numbers (a manifest's unknown field may hold one);
    # only a literal that overflows to infinity is rejected. Counters reject floats separately.
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number {text[:32]} is out of range")
    return value


_DECODER = json.JSONDecoder(object_pairs_hook=_object, parse_constant=_constant, parse_float=_float)


def _depth_ok(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return False
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.values() if isinstance(child, (dict, list)))
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node if isinstance(child, (dict, list)))
    return True


def loads_object(body: bytes) -> dict[str, Any]:
    """Decode a request body that must be a JSON object; raise BadRequest otherwise."""
    if body.startswith(b"\xef\xbb\xbf"):
        raise BadRequest("invalid JSON body", detail="a byte-order mark is not allowed")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("invalid JSON body", detail="the body is not UTF-8") from None
    try:
        value = _DECODER.decode(text)
    except RecursionError:
        raise BadRequest("invalid JSON body", detail=f"nesting deeper than {MAX_DEPTH}") from None
    except ValueError as err:
        raise BadRequest("invalid JSON body", detail=str(err)[:200]) from None
    if not isinstance(value, dict):
        raise BadRequest("invalid JSON body", detail="the top level must be an object")
    if not _depth_ok(value, MAX_DEPTH):
        raise BadRequest("invalid JSON body", detail=f"nesting deeper than {MAX_DEPTH}")
    return value


def dumps(value: Any) -> str:
    """Compact JSON; ASCII-only so that any stored string (even a lone surrogate) round-trips."""
    return json.dumps(value, separators=(",", ":"))
