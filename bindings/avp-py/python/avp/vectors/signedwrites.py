"""signed-writes.json: the signed-writes extension (docs/extensions/signed-writes.md).

Accept cases pin the roster hash, content hash, transcript, signature, state hash and the exact
signed plaintext of a chain of writes by fixed identities (create, push, add member, remove member);
reject cases are one fault each with the code a verifying client returns. Built through the Rust
core; each verdict is asserted against the core's verification here, and the other two verifiers
check it independently.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Optional

from avp import Identity, _native
from avp.client import signing
from avp.errors import AvpError
from avp.vectors import core
from avp.vectors.fixed_identities import Actor, actor

REPO = "signed-repo-1"
GENESIS = bytes(32)


def _roster(members: list[Actor]) -> list[dict[str, str]]:
    return [{"ed25519PublicKey": m.member_id, "x25519PublicKey": m.x25519_b64} for m in members]


def _raw(members: list[dict[str, str]]) -> list[tuple[bytes, bytes]]:
    return [
        (core.b64decode_strict(m["ed25519PublicKey"]), core.b64decode_strict(m["x25519PublicKey"]))
        for m in members
    ]


def _body(alts: list[str], version: int, admission: Optional[dict[str, Any]] = None) -> bytes:
    body = json.dumps(
        {
            "alts": [
                {"uuid": u, "username": u, "accessToken": "t", "type": "OFFLINE", "lastUsed": 0} for u in alts
            ],
            "payloadVersion": version,
        },
        separators=(",", ":"),
    ).encode()
    if admission is None:
        return body
    member = json.dumps({signing.ADMISSION: admission}, separators=(",", ":")).encode()
    return body[:-1] + b"," + member[1:]  # the admission, last member of the body


def _admission(case: dict[str, Any]) -> dict[str, Any]:
    """The admission a member added in ``case`` carries: that state as evidence, and its roster."""

    def b64(hex_text: str) -> str:
        return core.b64(bytes.fromhex(hex_text))

    state = {
        "repoId": case["repoId"],
        "payloadVersion": case["payloadVersion"],
        "keyEpoch": case["keyEpoch"],
        "writer": case["writer"],
        "rosterHash": b64(case["rosterHashHex"]),
        "prev": case["prev"],
        "signature": case["signature"],
        "contentHash": b64(case["contentHashHex"]),
        "stateHash": b64(case["stateHashHex"]),
    }
    return {"state": state, "members": case["members"]}


def verify(c: dict[str, Any]) -> tuple[str, Optional[dict[str, Any]]]:
    """A verifying client's verdict on one case, by the Rust core: ``("accept", state)`` or
    ``(code, None)``. The order is the document's (signature, roster, writer, chain)."""
    plaintext = c["plaintextUtf8"].encode()
    members = _raw(c["members"])
    try:
        verified = _native.signed_write_verify(c["repoId"], c["payloadVersion"], c["keyEpoch"], plaintext)
        if verified is None:
            return ("downgrade_detected", None) if c["everSigned"] else ("accept", None)
        (writer, roster, prev, _sig, content, state), body = verified
        _native.signed_write_check_roster(roster, members)
        previous = c["previousMembers"]
        allowed = None if previous is None else [m for m, _ in _raw(previous)]
        if allowed is not None and writer not in allowed:
            known = {m["ed25519PublicKey"] for m in previous}
            if signing.admitted(
                c["repoId"], core.b64(writer), known, json.loads(body).get(signing.ADMISSION)
            ):
                allowed.append(writer)  # added in a version this client did not see
        _native.signed_write_authorize(writer, allowed, [m for m, _ in members])
        if c["heldPrev"] is not None:
            _native.signed_write_check_link(core.b64decode_strict(c["heldPrev"]), prev)
    except AvpError as err:
        return err.code, None
    return "accept", {
        "contentHashHex": content.hex(),
        "rosterHashHex": roster.hex(),
        "stateHashHex": state.hex(),
    }


def _signed(
    name: str,
    writer: Actor,
    version: int,
    epoch: int,
    alts: list[str],
    members: list[Actor],
    prev: bytes,
    previous: Optional[list[Actor]],
    admission: Optional[dict[str, Any]] = None,
) -> dict[str, Any]:
    identity = Identity.from_seeds(writer.ed25519_seed, writer.x25519_private)
    body = _body(alts, version, admission)
    roster = _roster(members)
    plaintext, (w, roster_hash, p, signature, content, state) = _native.signed_write_sign(
        identity, REPO, version, epoch, body, _raw(roster), prev
    )
    transcript = _native.signed_write_transcript(REPO, version, epoch, content, roster_hash, p, w)
    assert hashlib.sha256(body).digest() == content and hashlib.sha256(transcript).digest() == state
    return {
        "name": name,
        "repoId": REPO,
        "payloadVersion": version,
        "keyEpoch": epoch,
        "writerSeedHex": writer.ed25519_seed.hex(),
        "writer": writer.member_id,
        "members": roster,
        "previousMembers": None if previous is None else _roster(previous),
        "prev": core.b64(prev),
        "heldPrev": None,
        "everSigned": previous is not None,
        "bodyUtf8": body.decode(),
        "rosterHashHex": roster_hash.hex(),
        "contentHashHex": content.hex(),
        "transcriptHex": transcript.hex(),
        "signature": core.b64(signature),
        "stateHashHex": state.hex(),
        "plaintextUtf8": plaintext.decode(),
        "verdict": "accept",
    }


def _reject(base: dict[str, Any], name: str, mutation: str, code: str, **changes: Any) -> dict[str, Any]:
    case = {k: v for k, v in base.items() if k in _VERIFY_FIELDS}
    case |= changes | {"name": name, "verdict": "reject", "mutation": mutation, "expectedError": code}
    return case


#: What a reject case keeps: the verifier's inputs only.
_VERIFY_FIELDS = (
    "repoId",
    "payloadVersion",
    "keyEpoch",
    "members",
    "previousMembers",
    "heldPrev",
    "everSigned",
    "plaintextUtf8",
)


def signed_write_cases() -> list[dict[str, Any]]:
    alice, bob, carol, mallory = (actor(n) for n in ("alice", "bob", "carol", "mallory"))
    create = _signed("chain/1-create", alice, 1, 0, ["a1"], [alice], GENESIS, None)
    push = _signed(
        "chain/2-push", alice, 2, 0, ["a1", "a2"], [alice], bytes.fromhex(create["stateHashHex"]), [alice]
    )
    add = _signed(
        "chain/3-add-bob",
        alice,
        3,
        0,
        ["a1", "a2"],
        [alice, bob],
        bytes.fromhex(push["stateHashHex"]),
        [alice],
    )
    by_bob = _signed(
        "chain/4-push-by-bob",
        bob,
        4,
        0,
        ["a1", "a2", "b1"],
        [alice, bob],
        bytes.fromhex(add["stateHashHex"]),
        [alice, bob],
    )
    remove = _signed(
        "chain/5-remove-bob-by-bob",
        bob,
        5,
        1,
        ["a1", "a2", "b1"],
        [alice],
        bytes.fromhex(by_bob["stateHashHex"]),
        [alice, bob],
    )
    for earlier, later in ((create, push), (push, add), (add, by_bob), (by_bob, remove)):
        later["heldPrev"] = core.b64(bytes.fromhex(earlier["stateHashHex"]))
    unicode_repo = _signed(
        "first-contact/carol", carol, 7, 2, ["é"], [carol, alice], bytes.fromhex("11" * 32), None
    )
    # carol, added by bob in version 6 (which alice never saw), writes version 7 with her admission
    add_carol = _signed("x", bob, 6, 1, ["a1"], [alice, bob, carol], GENESIS, [alice, bob])
    after_add = bytes.fromhex(add_carol["stateHashHex"])
    admitted = _signed(
        "admission/carol-added-by-bob",
        carol,
        7,
        1,
        ["a1", "c1"],
        [alice, bob, carol],
        after_add,
        [alice, bob],
        _admission(add_carol),
    )
    by_mallory = _signed("x", mallory, 6, 1, ["m"], [alice, bob, carol], GENESIS, None)
    without_carol = _signed("x", bob, 6, 1, ["b"], [alice, bob], GENESIS, None)
    accepts = [create, push, add, by_bob, remove, unicode_repo, admitted]

    def carol_admitted_by(admission_of: dict[str, Any]) -> str:
        forged = _signed(
            "x", carol, 7, 1, ["c1"], [alice, bob, carol], after_add, [alice, bob], _admission(admission_of)
        )
        return str(forged["plaintextUtf8"])

    tampered = add["plaintextUtf8"].replace('"a2"', '"a3"')
    bad_b64 = (
        add["plaintextUtf8"].replace('"writer":"', '"writer":"-', 1).replace('=","roster"', '","roster"', 1)
    )
    injected = _signed(
        "x", mallory, 3, 0, ["m"], [alice, mallory], bytes.fromhex(push["stateHashHex"]), [alice]
    )
    outsider = _signed("x", mallory, 3, 0, ["m"], [alice], bytes.fromhex(push["stateHashHex"]), [alice])
    forked = _signed("x", alice, 3, 0, ["f"], [alice, bob], bytes.fromhex(create["stateHashHex"]), [alice])
    rejects = [
        _reject(
            add,
            "reject/body-tampered",
            "one alt renamed after signing",
            "write_unauthenticated",
            plaintextUtf8=tampered,
        ),
        _reject(
            add, "reject/other-version", "served as version 4", "write_unauthenticated", payloadVersion=4
        ),
        _reject(add, "reject/other-epoch", "served at key epoch 1", "write_unauthenticated", keyEpoch=1),
        _reject(
            add, "reject/other-repo", "served under another repoId", "write_unauthenticated", repoId="other"
        ),
        _reject(
            add,
            "reject/record-malformed",
            "writer not standard base64",
            "write_unauthenticated",
            plaintextUtf8=bad_b64,
        ),
        _reject(
            add,
            "reject/roster-injected",
            "the server lists mallory next to the signed roster",
            "roster_unauthenticated",
            members=_roster([alice, bob, mallory]),
        ),
        _reject(
            add,
            "reject/roster-rekeyed",
            "bob served with carol's X25519 key",
            "roster_unauthenticated",
            members=[
                _roster([alice])[0],
                {"ed25519PublicKey": bob.member_id, "x25519PublicKey": carol.x25519_b64},
            ],
        ),
        _reject(
            injected,
            "reject/member-admits-itself",
            "mallory signs a roster with herself in it",
            "roster_unauthenticated",
        ),
        _reject(
            outsider,
            "reject/non-member-writer",
            "signed by mallory, roster unchanged",
            "write_unauthenticated",
        ),
        _reject(
            by_bob,
            "reject/first-contact-non-member",
            "first contact, writer not in the served roster",
            "write_unauthenticated",
            members=_roster([alice, carol]),
            previousMembers=None,
            plaintextUtf8=_signed("x", bob, 4, 0, ["b"], [alice, carol], GENESIS, None)["plaintextUtf8"],
        ),
        _reject(
            forked,
            "reject/fork-prev",
            "version 3 chained to version 1, not to the version 2 held",
            "fork_detected",
            heldPrev=add["heldPrev"],
        ),
        _reject(
            push,
            "reject/downgrade",
            "an unsigned payload after signed ones",
            "downgrade_detected",
            plaintextUtf8=push["bodyUtf8"],
        ),
        _reject(
            admitted,
            "reject/admission-by-outsider",
            "carol's admission is a state signed by mallory, whom alice does not know",
            "roster_unauthenticated",
            plaintextUtf8=carol_admitted_by(by_mallory),
        ),
        _reject(
            admitted,
            "reject/admission-not-listing-writer",
            "carol's admission is a state of bob's whose roster does not list her",
            "roster_unauthenticated",
            plaintextUtf8=carol_admitted_by(without_carol),
        ),
    ]
    for c in accepts:
        verdict, state = verify(c)
        assert verdict == "accept" and state is not None, c["name"]
        assert state == {k: c[k] for k in ("contentHashHex", "rosterHashHex", "stateHashHex")}, c["name"]
    for c in rejects:
        assert verify(c)[0] == c["expectedError"], (c["name"], verify(c))
    return accepts + rejects
