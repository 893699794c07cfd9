"""Hostile and malformed input (wire contract §1 order of checks, §2 path ids, §3 strict decoding).

Every case asserts the status, the ``code`` and that nothing changed on the server.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterable, Iterator
from typing import Any, Callable
from urllib.parse import urlsplit

import pytest

from .api import Api, Member, b64, enc, envelope, error_code, manifest, new_repo_id

Mutation = Callable[[dict[str, Any]], Any]


@pytest.fixture(scope="module")
def module_api(server_url: str) -> Iterator[Api]:
    with Api(server_url) as api:
        yield api


@pytest.fixture(scope="module")
def target(module_api: Api) -> tuple[Member, str]:
    """A repository at version 1 that every case attacks (and none may change)."""
    owner = Member.new()
    return owner, module_api.create(owner)["repoId"]


@pytest.fixture
def unchanged(module_api: Api, target: tuple[Member, str]) -> Iterator[None]:
    owner, repo_id = target
    before = module_api.state(owner, repo_id)
    yield
    assert module_api.state(owner, repo_id) == before


def push_body(repo_id: str, owner: Member) -> dict[str, Any]:
    """A valid push (with a same-epoch roster, so member entries are checked too)."""
    return {
        "repoId": repo_id,
        "envelope": envelope(repo_id, 2, 0),
        "expectedPayloadVersion": 1,
        "rotatedMembers": [owner.entry(0)],
    }


def raw_json(value: Any) -> bytes:
    return json.dumps(value).encode()


def noncanonical_b64(raw: bytes) -> str:
    """Same bytes, but with non-zero trailing bits in the last character."""
    text = b64(raw)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    pad = text.index("=") if "=" in text else len(text)
    last = alphabet.index(text[pad - 1])
    return text[: pad - 1] + alphabet[last | 1] + text[pad:]


def set_path(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    node: Any = body
    keys = path.split(".")
    for key in keys[:-1]:
        node = node[int(key)] if isinstance(node, list) else node[key]
    node[keys[-1]] = value
    return body


# Each mutation of a valid push body must give 400 bad_request.
PUSH_MUTATIONS: dict[str, Mutation] = {
    "unknown-top-field": lambda b: {**b, "extra": 1},
    "unknown-envelope-field": lambda b: set_path(b, "envelope.tag", "x"),
    "missing-field": lambda b: {k: v for k, v in b.items() if k != "expectedPayloadVersion"},
    "counter-string": lambda b: {**b, "expectedPayloadVersion": "1"},
    "counter-bool": lambda b: {**b, "expectedPayloadVersion": True},
    "counter-null": lambda b: {**b, "expectedPayloadVersion": None},
    "counter-negative": lambda b: {**b, "expectedPayloadVersion": -1},
    "counter-2^53": lambda b: {**b, "expectedPayloadVersion": 2**53},
    "counter-huge": lambda b: {**b, "expectedPayloadVersion": 10**400},
    "envelope-version-string": lambda b: set_path(b, "envelope.payloadVersion", "2"),
    "envelope-epoch-negative": lambda b: set_path(b, "envelope.keyEpoch", -1),
    "envelope-null": lambda b: {**b, "envelope": None},
    "envelope-array": lambda b: {**b, "envelope": []},
    "repo-id-number": lambda b: {**b, "repoId": 5},
    "rotated-not-array": lambda b: {**b, "rotatedMembers": {}},
    "member-unknown-field": lambda b: set_path(b, "rotatedMembers.0.x", 1),
    "member-bad-scheme": lambda b: set_path(b, "rotatedMembers.0.wrappedDataKey.schemeId", "X25519-other"),
    "member-short-wrapped-ciphertext": lambda b: set_path(
        b, "rotatedMembers.0.wrappedDataKey.ciphertext", b64(os.urandom(47))
    ),
    "member-binding-63-bytes": lambda b: set_path(b, "rotatedMembers.0.keyBindingSig", b64(bytes(63))),
    "member-binding-number": lambda b: set_path(b, "rotatedMembers.0.keyBindingSig", 1),
    "member-x25519-noncanonical-bits": lambda b: set_path(
        b, "rotatedMembers.0.x25519PublicKey", noncanonical_b64(os.urandom(32))
    ),
    "member-id-noncanonical-bits": lambda b: set_path(
        b, "rotatedMembers.0.ed25519PublicKey", noncanonical_b64(os.urandom(32))
    ),
    "iv-11-bytes": lambda b: set_path(b, "envelope.iv", b64(os.urandom(11))),
    "iv-13-bytes": lambda b: set_path(b, "envelope.iv", b64(os.urandom(13))),
    "ciphertext-15-bytes": lambda b: set_path(b, "envelope.ciphertext", b64(os.urandom(15))),
    "ciphertext-empty": lambda b: set_path(b, "envelope.ciphertext", ""),
    "ciphertext-noncanonical-bits": lambda b: set_path(
        b, "envelope.ciphertext", noncanonical_b64(os.urandom(40))
    ),
    "ciphertext-unpadded": lambda b: set_path(b, "envelope.ciphertext", b64(os.urandom(40)).rstrip("=")),
    "ciphertext-whitespace": lambda b: set_path(
        b, "envelope.ciphertext", b64(os.urandom(30)) + "\n" + "AAAA"
    ),
    "ciphertext-urlsafe": lambda b: set_path(b, "envelope.ciphertext", "-_" + b64(os.urandom(45))[2:]),
    "ciphertext-overpadded": lambda b: set_path(b, "envelope.ciphertext", b64(os.urandom(48)) + "=="),
}


def test_the_unmutated_bodies_are_accepted(module_api: Api) -> None:
    """Controls: the bodies the cases below mutate are valid, so each 400 is the mutation's."""
    owner = Member.new()
    for send in (raw_json, json.dumps):
        repo_id = module_api.create(owner)["repoId"]
        r = module_api.post(f"/v1/repos/{enc(repo_id)}/push", send(push_body(repo_id, owner)), owner.token)
        assert r.status_code == 200 and r.json()["accepted"] is True, r.text


@pytest.mark.parametrize("name", list(PUSH_MUTATIONS))
def test_schema_violations_are_400(
    module_api: Api, target: tuple[Member, str], unchanged: None, name: str
) -> None:
    owner, repo_id = target
    body = PUSH_MUTATIONS[name](push_body(repo_id, owner))
    r = module_api.post(f"/v1/repos/{enc(repo_id)}/push", raw_json(body), owner.token)
    assert error_code(r) == (400, "bad_request")


def valid_push_text(repo_id: str, owner: Member) -> str:
    return json.dumps(push_body(repo_id, owner))


# Raw-text mutations of a valid push body (things json.dumps cannot produce).
RAW_MUTATIONS: dict[str, Callable[[str], bytes]] = {
    "duplicate-top-key": lambda t: t.replace(
        '{"repoId"', '{"expectedPayloadVersion": 1, "repoId"', 1
    ).encode(),
    "duplicate-nested-key": lambda t: t.replace('"keyEpoch": 0', '"keyEpoch": 0, "keyEpoch": 0', 1).encode(),
    "fraction-counter": lambda t: t.replace(
        '"expectedPayloadVersion": 1', '"expectedPayloadVersion": 1.0'
    ).encode(),
    "exponent-counter": lambda t: t.replace(
        '"expectedPayloadVersion": 1', '"expectedPayloadVersion": 1e0'
    ).encode(),
    "nan": lambda t: t.replace('"expectedPayloadVersion": 1', '"expectedPayloadVersion": NaN').encode(),
    "infinity": lambda t: t.replace(
        '"expectedPayloadVersion": 1', '"expectedPayloadVersion": Infinity'
    ).encode(),
    "minus-infinity": lambda t: t.replace(
        '"expectedPayloadVersion": 1', '"expectedPayloadVersion": -Infinity'
    ).encode(),
    "overflowing-float": lambda t: t.replace(
        '"expectedPayloadVersion": 1', '"expectedPayloadVersion": 1e400'
    ).encode(),
    "bom": lambda t: b"\xef\xbb\xbf" + t.encode(),
    "latin-1": lambda t: t.replace('"repoId"', '"repoId\xe9"', 1).encode("latin-1"),
    "invalid-utf8-in-string": lambda t: t.encode().replace(b'"iv": "', b'"iv": "\xff', 1),
    "trailing-garbage": lambda t: (t + " x").encode(),
    "two-objects": lambda t: (t + t).encode(),
    "top-level-array": lambda t: ("[" + t + "]").encode(),
    "top-level-string": lambda t: json.dumps(t).encode(),
    "empty": lambda t: b"",
    "whitespace-only": lambda t: b" \n",
    "single-quotes": lambda t: t.replace('"', "'").encode(),
    "comment": lambda t: ("/* hi */" + t).encode(),
    "truncated": lambda t: t[:-1].encode(),
    "control-char-in-string": lambda t: t.replace('"repoId": "', '"repoId": "\x01', 1).encode(),
}


@pytest.mark.parametrize("name", list(RAW_MUTATIONS))
def test_malformed_json_is_400(
    module_api: Api, target: tuple[Member, str], unchanged: None, name: str
) -> None:
    owner, repo_id = target
    body = RAW_MUTATIONS[name](valid_push_text(repo_id, owner))
    r = module_api.post(f"/v1/repos/{enc(repo_id)}/push", body, owner.token)
    assert error_code(r) == (400, "bad_request")


def nested(depth: int) -> Any:
    """A JSON value that is ``depth`` containers deep."""
    value: Any = []
    for i in range(depth - 1):
        value = {"k": value} if i % 2 else [value]
    return value


def create_with_extra(api: Api, extra_value: Any) -> tuple[Member, str, Any]:
    owner = Member.new()
    api.login(owner)
    repo_id = new_repo_id()
    body = {
        "manifest": manifest(repo_id, [owner.entry(0)], x=extra_value),
        "initialEnvelope": envelope(repo_id, 1, 0),
    }
    return owner, repo_id, api.post("/v1/repos", raw_json(body), owner.token)


def test_nesting_limit_is_32_levels(module_api: Api) -> None:
    # body (1) > manifest (2) > x: 30 more containers = depth 32, accepted and kept verbatim.
    owner, repo_id, r = create_with_extra(module_api, nested(30))
    assert r.status_code == 200, r.text
    assert module_api.state(owner, repo_id)["manifest"]["x"] == nested(30)
    owner, repo_id, r = create_with_extra(module_api, nested(31))
    assert error_code(r) == (400, "bad_request")
    assert error_code(module_api.pull(owner, repo_id)) == (404, "not_found")


def test_pathological_nesting_is_400_not_500(
    module_api: Api, target: tuple[Member, str], unchanged: None
) -> None:
    owner, repo_id = target
    body = b'{"repoId": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    assert error_code(module_api.post(f"/v1/repos/{enc(repo_id)}/push", body, owner.token)) == (
        400,
        "bad_request",
    )


def test_duplicate_key_inside_a_passthrough_field_is_400(module_api: Api) -> None:
    owner = Member.new()
    module_api.login(owner)
    repo_id = new_repo_id()
    text = json.dumps(
        {
            "manifest": manifest(repo_id, [owner.entry(0)], x={"a": 1}),
            "initialEnvelope": envelope(repo_id, 1, 0),
        }
    ).replace('{"a": 1}', '{"a": 1, "a": 2}')
    assert error_code(module_api.post("/v1/repos", text, owner.token)) == (400, "bad_request")
    assert error_code(module_api.pull(owner, repo_id)) == (404, "not_found")


@pytest.mark.parametrize(
    "field, value",
    [
        ("manifest.repoId", ""),
        ("manifest.repoId", "."),
        ("manifest.repoId", ".."),
        ("manifest.repoId", "a\x00b"),
        ("manifest.repoId", "a\x1fb"),
        ("manifest.repoId", "a\x7fb"),
        ("manifest.repoId", "r" * 256),
        ("manifest.schemeId", "X25519-HKDF-SHA256-AESGCM-v2"),
        ("manifest.shareRefreshTokens", "true"),
        ("manifest.shareRefreshTokens", 1),
        ("manifest.shareRefreshTokens", None),
        ("manifest.members", None),
        ("manifest.members.0.x25519PublicKey", b64(os.urandom(33))),
        ("manifest.members.0.wrappedDataKey.ephemeralPublicKey", b64(os.urandom(31))),
        ("manifest.members.0.wrappedDataKey.iv", b64(os.urandom(16))),
        ("manifest.members.0.wrappedDataKey.extra", "x"),
        ("manifest.members.0.keyEpoch", 0.5),
    ],
)
def test_bad_create_fields_are_400(module_api: Api, field: str, value: Any) -> None:
    owner = Member.new()
    module_api.login(owner)
    repo_id = new_repo_id()
    body = {"manifest": manifest(repo_id, [owner.entry(0)]), "initialEnvelope": envelope(repo_id, 1, 0)}
    set_path(body, field, value)
    if field == "manifest.repoId":
        body["initialEnvelope"]["repoId"] = value
    assert error_code(module_api.post("/v1/repos", raw_json(body), owner.token)) == (400, "bad_request")
    assert error_code(module_api.pull(owner, repo_id)) == (404, "not_found")


def test_repo_id_of_255_characters_is_fine(module_api: Api) -> None:
    owner = Member.new()
    repo_id = "é" * 255
    module_api.create(owner, repo_id=repo_id)
    assert module_api.state(owner, repo_id)["manifest"]["repoId"] == repo_id


def test_lone_surrogate_repo_id_is_400(module_api: Api) -> None:
    owner = Member.new()
    module_api.login(owner)
    text = json.dumps(
        {"manifest": manifest("a\ud800", [owner.entry(0)]), "initialEnvelope": envelope("a\ud800", 1, 0)}
    )
    assert "\\ud800" in text
    assert error_code(module_api.post("/v1/repos", text, owner.token)) == (400, "bad_request")


def test_largest_counter_is_accepted(module_api: Api, target: tuple[Member, str], unchanged: None) -> None:
    owner, repo_id = target
    r = module_api.post(
        f"/v1/repos/{enc(repo_id)}/pull", {"repoId": repo_id, "knownPayloadVersion": 2**53 - 1}, owner.token
    )
    assert r.status_code == 200 and r.json()["unchanged"] is False


# --- path ids --------------------------------------------------------------------------------------
@pytest.mark.parametrize("segment", ["%zz", "%4", "abc%", "%ff", "%c3%28", "%2E", "%2E%2E"])
def test_bad_path_repo_id_is_400(
    module_api: Api, target: tuple[Member, str], unchanged: None, segment: str
) -> None:
    owner, repo_id = target
    r = module_api.post(f"/v1/repos/{segment}/push", raw_json(push_body(repo_id, owner)), owner.token)
    assert error_code(r) == (400, "bad_request")


def test_path_and_body_repo_id_must_agree(
    module_api: Api, target: tuple[Member, str], unchanged: None
) -> None:
    owner, repo_id = target
    other = module_api.create(owner)["repoId"]
    r = module_api.post(f"/v1/repos/{enc(other)}/push", raw_json(push_body(repo_id, owner)), owner.token)
    assert error_code(r) == (400, "bad_request")
    assert module_api.state(owner, other)["manifest"]["payloadVersion"] == 1


# --- body size -------------------------------------------------------------------------------------
def raw_exchange(
    base_url: str, head: bytes, chunks: Iterable[bytes] = ()
) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes; return the status, headers and body of the first response."""
    url = urlsplit(base_url)
    with socket.create_connection((url.hostname, url.port or 80), timeout=30) as sock:
        try:
            sock.sendall(head)
            for chunk in chunks:
                sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered early and closed: read what it said
        data = b""
        while b"\r\n\r\n" not in data:
            part = sock.recv(65536)
            if not part:
                break
            data += part
        head_text, _, body = data.partition(b"\r\n\r\n")
        lines = head_text.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
        while len(body) < int(headers.get("content-length", "0")):
            part = sock.recv(65536)
            if not part:
                break
            body += part
    return int(lines[0].split()[1]), headers, body


def test_content_length_over_the_limit_is_413_before_auth_and_before_reading(
    server_url: str, limits: dict[str, Any]
) -> None:
    host = urlsplit(server_url).netloc
    head = (
        f"POST /v1/repos/r/push HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {limits['maxBodyBytes'] + 1}\r\nConnection: close\r\n\r\n"
    ).encode()
    status, _, body = raw_exchange(server_url, head)  # no body sent at all: the answer comes first
    assert status == 413 and json.loads(body)["code"] == "too_large"


def test_chunked_body_over_the_limit_is_413(server_url: str, limits: dict[str, Any]) -> None:
    member = Member.new()
    with Api(server_url) as api:
        token = api.login(member)
    host = urlsplit(server_url).netloc
    head = (
        f"POST /v1/repos HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    ).encode()
    piece = b" " * 65536

    def chunks() -> Iterator[bytes]:
        for _ in range(limits["maxBodyBytes"] // len(piece) + 2):
            yield b"%x\r\n%s\r\n" % (len(piece), piece)
        yield b"0\r\n\r\n"

    status, _, body = raw_exchange(server_url, head, chunks())
    assert status == 413 and json.loads(body)["code"] == "too_large"


def test_body_at_the_limit_is_read(
    module_api: Api, target: tuple[Member, str], limits: dict[str, Any], unchanged: None
) -> None:
    owner, repo_id = target
    stale = {**push_body(repo_id, owner), "expectedPayloadVersion": 0}
    text = json.dumps(stale)
    padded = text[:-1] + " " * (limits["maxBodyBytes"] - len(text)) + "}"
    assert len(padded) == limits["maxBodyBytes"]
    r = module_api.post(f"/v1/repos/{enc(repo_id)}/push", padded, owner.token)
    assert r.status_code == 200 and r.json()["conflict"] is True


# --- order of checks -------------------------------------------------------------------------------
def test_order_of_checks(
    module_api: Api, target: tuple[Member, str], server_url: str, unchanged: None
) -> None:
    owner, repo_id = target
    stranger = Member.new()
    module_api.login(stranger)
    # 1 route before 2 method
    assert error_code(module_api.call("DELETE", "/v1/nothing")) == (404, "not_found")
    # 2 method before 4 token and 6 body
    assert error_code(module_api.call("PUT", f"/v1/repos/{enc(repo_id)}/pull", b"nonsense")) == (
        405,
        "method_not_allowed",
    )
    # 4 token before 6 body
    assert error_code(module_api.post(f"/v1/repos/{enc(repo_id)}/pull", b"nonsense")) == (401, "unauthorized")
    # 6 body before 7 path ids
    assert error_code(module_api.post("/v1/repos/%zz/pull", b"nonsense", owner.token)) == (400, "bad_request")
    # 7 path before 8 repo exists
    missing = new_repo_id()
    body = {"repoId": missing, "knownPayloadVersion": 0}
    assert error_code(module_api.post(f"/v1/repos/{enc(repo_id)}/pull", body, stranger.token)) == (
        400,
        "bad_request",
    )
    # 8 repo exists before 9 membership
    assert error_code(module_api.pull(stranger, missing)) == (404, "not_found")
    # 9 membership before 10 semantics (a push that would also break a rule)
    bad = module_api.push(stranger, repo_id, 1, envelope(repo_id, 9, 9))
    assert error_code(bad) == (403, "forbidden")
