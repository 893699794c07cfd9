"""payload-parse.json: the strict payload parser and the one serializer (spec §5, project rules).

Each case is a payload plaintext (``plaintextUtf8``, or ``plaintextHex`` when it is not UTF-8). An
``accept`` case states what the Rust core writes back: ``canonicalUtf8`` with the refresh-token policy
on, ``strippedUtf8`` with it off. A ``reject`` case states the ``expectedError``. The verdicts come
from the Rust core (``avp._native``); the pyca-independent and Node verifiers recompute them.
"""

from __future__ import annotations

import json
from typing import Any, Optional

from avp import _native
from avp.errors import AvpError
from avp.vectors.envelopes import alt
from avp.vectors.fixed_identities import actor

MAX_COUNTER = 2**53 - 1


def _alt(name: str = "Steve", **over: Any) -> dict[str, Any]:
    return {**alt(name), **over}


def _payload(*alts: Any, version: int = 4, **top: Any) -> str:
    return json.dumps({"alts": list(alts), "payloadVersion": version, **top}, separators=(",", ":"))


def _with_field(raw: str, version: int = 4) -> str:
    """A payload whose only alt ends with the raw JSON member text ``raw``."""
    base = json.dumps(alt("Steve"), separators=(",", ":"))
    return f'{{"alts":[{base[:-1]},{raw}}}],"payloadVersion":{version}}}'


def _without(key: str) -> str:
    a = alt("Steve")
    del a[key]
    return _payload(a)


def _nested(depth: int) -> str:
    """An unknown alt field nested so the deepest array is at ``depth`` (the payload object is 1)."""
    arrays = depth - 3  # payload object, alts array, alt object
    return _with_field(f'"nested":{"[" * arrays}{"]" * arrays}')


def _accepts() -> list[tuple[str, str]]:
    member = actor("alice").member_id
    ban = {"banned": True, "observedAt": 1_767_000_000_000, "source": "kick", "detail": "Cheating."}
    every = _alt(
        "Notch",
        refreshToken="M.C5-refresh",
        expiresAt=1_767_312_000_000,
        lastUsedBy=None,
        bans={"hypixel.net": {**ban, "observedBy": member}},
        sourceClient="lol.trq.alts",
        sourceUser=None,
    )
    pretty = json.dumps(
        {"payloadVersion": 9, "alts": [dict(reversed(list(_alt("Alex", expiresAt=0).items())))]}, indent=2
    )
    return [
        ("accept/empty", _payload(version=1)),
        ("accept/minimal", _payload(_alt())),
        ("accept/every-field", _payload(every)),
        ("accept/legacy-ban", _payload(_alt(ban=ban))),
        (
            "accept/legacy-ban-and-explicit-unknown",
            _payload(_alt(ban=ban, bans={"unknown": {**ban, "source": "new"}})),
        ),
        ("accept/legacy-ban-null", _payload(_alt(ban=None, bans=None))),
        (
            "accept/unknown-fields-kept-verbatim",
            _with_field(
                '"skin":{"url":"https://x","layers":[1,2.50,-0,1E400]},"big":123456789012345678901234567890'
            ),
        ),
        (
            "accept/escapes-rewritten-canonically",
            _with_field('"note":"\\u00e9\\/\\ud83d\\ude00\\n\\u001f\\"\\\\"'),
        ),
        ("accept/non-ascii", _payload(_alt("J\u00f6rg-\u91d1\U0001f510"))),
        ("accept/whitespace-and-member-order", pretty),
        (
            "accept/counters-at-the-limits",
            _payload(_alt(lastUsed=MAX_COUNTER, expiresAt=0), version=MAX_COUNTER),
        ),
        ("accept/unknown-top-level-member-dropped", _payload(_alt(), meta={"by": "a newer client"})),
        ("accept/depth-32", _nested(32)),
        ("accept/escaped-unknown-key", _with_field('"u\\u0075id2":"a"')),
    ]


def _rejects() -> list[tuple[str, str | bytes, str, str]]:
    """(name, plaintext, mutation, expected error)."""
    enc, rng = "invalid_encoding", "counter_out_of_range"
    text = alt("Steve")
    good = _payload(text)
    return [
        ("type/uuid-number", _payload(_alt(uuid=5)), "uuid is a number", enc),
        ("type/username-null", _payload(_alt(username=None)), "required username is null", enc),
        ("type/access-token-missing", _without("accessToken"), "required accessToken is absent", enc),
        ("type/last-used-missing", _without("lastUsed"), "required lastUsed is absent", enc),
        ("type/alt-type-unknown", _payload(_alt(type="PREMIUM")), "type is not one of the four", enc),
        ("type/alt-type-lowercase", _payload(_alt(type="microsoft")), "type in lower case", enc),
        ("type/last-used-string", _payload(_alt(lastUsed="5")), "counter as a string", enc),
        ("type/last-used-boolean", _payload(_alt(lastUsed=True)), "counter as a boolean", enc),
        ("type/refresh-token-number", _payload(_alt(refreshToken=5)), "optional string is a number", enc),
        ("type/expires-at-string", _payload(_alt(expiresAt="0")), "optional counter as a string", enc),
        ("type/bans-array", _payload(_alt(bans=[])), "bans is an array", enc),
        (
            "type/ban-banned-number",
            _payload(_alt(bans={"s": {"banned": 1, "observedAt": 1, "source": "", "detail": ""}})),
            "banned is 1, not a boolean",
            enc,
        ),
        (
            "type/legacy-ban-incomplete",
            _payload(_alt(ban={"banned": True})),
            "legacy ban without its fields",
            enc,
        ),
        ("type/alt-is-array", _payload([text]), "an alt is an array", enc),
        ("type/alts-object", _payload().replace('"alts":[]', '"alts":{}'), "alts is an object", enc),
        ("type/payload-array", f"[{good}]", "the payload is an array", enc),
        ("type/payload-version-missing", json.dumps({"alts": [text]}), "payloadVersion is absent", enc),
        ("counter/last-used-negative", _payload(_alt(lastUsed=-1)), "lastUsed = -1", rng),
        ("counter/last-used-2^53", _payload(_alt(lastUsed=2**53)), "lastUsed = 2^53", rng),
        ("counter/last-used-2^64", _payload(_alt(lastUsed=2**64)), "lastUsed = 2^64", rng),
        (
            "counter/last-used-fraction",
            _with_field('"lastUsed":1.0').replace('"lastUsed":1767225600000,', ""),
            "1.0",
            rng,
        ),
        (
            "counter/last-used-exponent",
            _with_field('"lastUsed":1e3').replace('"lastUsed":1767225600000,', ""),
            "1e3",
            rng,
        ),
        ("counter/expires-at-negative", _payload(_alt(expiresAt=-5)), "expiresAt = -5", rng),
        (
            "counter/observed-at-2^53",
            _payload(_alt(bans={"s": {"banned": True, "observedAt": 2**53, "source": "", "detail": ""}})),
            "observedAt = 2^53",
            rng,
        ),
        ("counter/payload-version-negative", _payload(version=-1), "payloadVersion = -1", rng),
        (
            "duplicate/top-level-alts",
            good.replace('"payloadVersion"', '"alts":[],"payloadVersion"'),
            "alts twice",
            enc,
        ),
        ("duplicate/alt-uuid", _with_field('"uuid":"again"'), "uuid twice in one alt", enc),
        (
            "duplicate/after-unescaping",
            _with_field('"\\u0075uid":"again"'),
            '"\\u0075uid" equals "uuid"',
            enc,
        ),
        (
            "duplicate/inside-unknown-field",
            _with_field('"x":{"a":{"b":1,"b":2}}'),
            "duplicate at depth 5",
            enc,
        ),
        (
            "duplicate/ban-server",
            _with_field(
                '"bans":{"s":{"banned":true,"observedAt":1,"source":"","detail":""},'
                '"s":{"banned":false,"observedAt":1,"source":"","detail":""}}'
            ),
            "one game server twice in bans",
            enc,
        ),
        ("utf8/invalid-byte", good.encode().replace(b'"Steve"', b'"St\xffve"'), "0xFF in a string", enc),
        (
            "utf8/overlong-slash",
            good.encode().replace(b'"Steve"', b'"St\xc0\xafve"'),
            "overlong encoding of /",
            enc,
        ),
        (
            "utf8/encoded-surrogate",
            good.encode().replace(b'"Steve"', b'"St\xed\xa0\x80ve"'),
            "CESU-8 surrogate",
            enc,
        ),
        (
            "utf8/truncated-sequence",
            good.encode().replace(b'"Steve"', b'"Steve\xe2\x82"'),
            "cut 3-byte sequence",
            enc,
        ),
        ("utf8/byte-order-mark", b"\xef\xbb\xbf" + good.encode(), "leading BOM", enc),
        ("utf8/lone-surrogate-escape", _with_field('"note":"\\ud800"'), "\\ud800 alone", enc),
        ("syntax/nan", _with_field('"score":NaN'), "NaN", enc),
        ("syntax/trailing-comma", good.replace("]", ",]", 1), "trailing comma in alts", enc),
        ("syntax/trailing-data", good + "{}", "a second value", enc),
        ("syntax/control-character", good.replace("Steve", "St\tve"), "raw TAB in a string", enc),
        ("syntax/depth-33", _nested(33), "nested one deeper than 32", enc),
    ]


def _verdict(plaintext: bytes) -> tuple[Optional[str], dict[str, Any]]:
    """The Rust core's verdict: (None, accept fields) or (error code, {})."""
    try:
        alts, version = _native.parse_payload(plaintext, True)
        stripped, _ = _native.parse_payload(plaintext, False)
    except AvpError as err:
        return err.code, {}
    return None, {
        "payloadVersion": version,
        "altCount": len(alts),
        "canonicalUtf8": _native.payload_json(alts, version, True).decode(),
        "strippedUtf8": _native.payload_json(stripped, version, False).decode(),
    }


def _plaintext_fields(plaintext: str | bytes) -> dict[str, str]:
    data = plaintext.encode() if isinstance(plaintext, str) else plaintext
    try:
        return {"plaintextUtf8": data.decode()}
    except UnicodeDecodeError:
        return {"plaintextHex": data.hex()}


def payload_parse_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    for name, text in _accepts():
        code, fields = _verdict(text.encode())
        if code is not None:
            raise AssertionError(f"{name}: the core refuses an accept case ({code})")
        cases.append({"name": name, **_plaintext_fields(text), "verdict": "accept", **fields})
    for name, plaintext, mutation, expected in _rejects():
        data = plaintext.encode() if isinstance(plaintext, str) else plaintext
        code, _ = _verdict(data)
        if code != expected:
            raise AssertionError(f"reject/{name}: the core says {code}, the case expects {expected}")
        cases.append(
            {
                "name": f"reject/{name}",
                **_plaintext_fields(data),
                "verdict": "reject",
                "rule": "project",
                "mutation": mutation,
                "expectedError": expected,
            }
        )
    return cases
