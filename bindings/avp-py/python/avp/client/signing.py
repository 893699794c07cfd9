"""Signed writes (``docs/extensions/signed-writes.md``): sign what this client writes, verify what it reads.

Every write this client makes carries, at the start of its payload plaintext, the writer's Ed25519
signature over the repository id, both counters, the hash of the contents, the hash of the roster
and the hash of the signed state it follows (all computed by the Rust core). Reading, the client
refuses:

* ``write_unauthenticated`` — a signature that does not verify, or a writer who may not sign;
* ``roster_unauthenticated`` — a roster that differs from the signed one, or changed in a write
  not signed by a member of the roster this client last accepted;
* ``downgrade_detected`` — an unsigned state in a repository seen signed (under ``refuse``);
* ``fork_detected`` — two signed states for one version, or one not chained to the state held;
  both states are kept as evidence (``avp repo evidence``).

A member added in a version this client did not see proves its membership with its *admission*:
the first signed state it accepted that lists it (the state, and that roster), carried in the
payload body of its writes and so covered by its signature.

The ``unsigned`` policy decides what an unsigned state or roster change gets once a repository
has been seen signed: ``"refuse"`` (the default) or ``"report"`` (accepted, reported through
``progress``) for repositories shared with clients that do not sign.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Callable, Literal, Optional, Sequence

from avp import _native, crypto
from avp.client.store import Store
from avp.errors import AvpError, DowngradeDetected, ForkDetected, RosterUnauthenticated
from avp.identity import Identity
from avp.models import AltAccount, EncryptedEnvelope, MemberEntry, VaultManifest

UnsignedPolicy = Literal["refuse", "report"]
UNSIGNED_POLICIES: tuple[UnsignedPolicy, ...] = ("refuse", "report")

#: ``prev`` of the first signed state of a chain.
GENESIS = bytes(32)
#: The manifest member a signing creator adds (kept by servers as an unknown manifest field): it
#: tells a joiner that this repository is signed from its first version.
MANIFEST_MARK = "signedWrites"
MANIFEST_MARK_VALUE = {"v": 1}
#: The payload-body member carrying the writer's admission.
ADMISSION = "signedWriteAdmission"


@dataclass(frozen=True)
class SignedState:
    """One signed state, as evidence: enough to re-verify its signature without the plaintext."""

    repo_id: str
    payload_version: int
    key_epoch: int
    writer: str
    roster_hash: str
    prev: str
    signature: str
    content_hash: str
    state_hash: str

    @classmethod
    def of(cls, repo_id: str, payload_version: int, key_epoch: int, raw: tuple[bytes, ...]) -> SignedState:
        writer, roster, prev, signature, content, state = (crypto.b64encode(b) for b in raw)
        return cls(repo_id, payload_version, key_epoch, writer, roster, prev, signature, content, state)

    def to_dict(self) -> dict[str, Any]:
        return {
            "repoId": self.repo_id,
            "payloadVersion": self.payload_version,
            "keyEpoch": self.key_epoch,
            "writer": self.writer,
            "rosterHash": self.roster_hash,
            "prev": self.prev,
            "signature": self.signature,
            "contentHash": self.content_hash,
            "stateHash": self.state_hash,
        }

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> SignedState:
        return cls(
            obj["repoId"],
            obj["payloadVersion"],
            obj["keyEpoch"],
            obj["writer"],
            obj["rosterHash"],
            obj["prev"],
            obj["signature"],
            obj["contentHash"],
            obj["stateHash"],
        )

    def verifies(self) -> bool:
        """Re-check the signature from the evidence alone (what a third party does)."""
        raw = crypto.b64decode_strict
        transcript = _native.signed_write_transcript(
            self.repo_id,
            self.payload_version,
            self.key_epoch,
            raw(self.content_hash, 32),
            raw(self.roster_hash, 32),
            raw(self.prev, 32),
            raw(self.writer, 32),
        )
        hashed = hashlib.sha256(transcript).digest() == raw(self.state_hash, 32)
        return hashed and crypto.ed25519_verify(raw(self.writer, 32), transcript, raw(self.signature, 64))


def roster(members: Sequence[MemberEntry]) -> list[tuple[bytes, bytes]]:
    return [
        (crypto.b64decode_strict(m.ed25519_public_key, 32), crypto.b64decode_strict(m.x25519_public_key, 32))
        for m in members
    ]


def _ids(members: Sequence[MemberEntry]) -> list[bytes]:
    return [crypto.b64decode_strict(m.ed25519_public_key, 32) for m in members]


@dataclass(frozen=True)
class Signer:
    """Who signs a write and what it is chained to: the writer, the roster the write will be stored
    with, the signed state it follows (None: the first of a chain) and the writer's admission."""

    identity: Identity
    members: Sequence[MemberEntry]
    prev: Optional[SignedState] = None
    admission: Optional[dict[str, Any]] = None


def seal(
    data_key: bytes,
    repo_id: str,
    payload_version: int,
    key_epoch: int,
    alts: Sequence[AltAccount],
    share_refresh_tokens: bool,
    signer: Signer,
) -> tuple[EncryptedEnvelope, SignedState]:
    """Serialize, sign and seal a write in one native call (the record goes first, the admission
    last in the body): the envelope and its signed state."""
    prev_hash = GENESIS if signer.prev is None else crypto.b64decode_strict(signer.prev.state_hash, 32)
    iv, ciphertext, raw = _native.seal_signed_envelope(
        data_key,
        repo_id,
        payload_version,
        key_epoch,
        alts,
        share_refresh_tokens,
        signer.identity,
        roster(signer.members),
        prev_hash,
        signer.admission,
    )
    envelope = EncryptedEnvelope(repo_id, payload_version, key_epoch, iv, ciphertext)
    return envelope, SignedState.of(repo_id, payload_version, key_epoch, raw)


@dataclass(frozen=True)
class Signed:
    """What an opened signed payload carries: its state (signature checked against the envelope
    header by the Rust core) and the writer's admission, if any."""

    state: SignedState
    admission: Any

    @classmethod
    def of(cls, envelope: EncryptedEnvelope, raw: tuple[bytes, ...], admission: Any) -> Signed:
        state = SignedState.of(envelope.repo_id, envelope.payload_version, envelope.key_epoch, raw)
        return cls(state, admission)


class Ledger:
    """The signed states one identity accepted for one repository, and the forks it saw (in the store)."""

    def __init__(self, store: Store, owner: str, address: str) -> None:
        self._store, self._owner, self._address = store, owner, address

    def state(self, payload_version: int) -> Optional[SignedState]:
        text = self._store.signed_state(self._owner, self._address, payload_version)
        return None if text is None else SignedState.from_dict(json.loads(text))

    def ever_signed(self) -> bool:
        return self._store.has_signed_states(self._owner, self._address)

    def record(self, state: SignedState) -> None:
        self._store.save_signed_state(
            self._owner, self._address, state.payload_version, json.dumps(state.to_dict(), sort_keys=True)
        )

    def fork(self, held: SignedState, served: SignedState, why: str) -> ForkDetected:
        """Keep both states as evidence; the error to raise."""
        evidence = {"reason": why, "held": held.to_dict(), "served": served.to_dict()}
        self._store.save_fork(self._owner, self._address, json.dumps(evidence, sort_keys=True))
        return ForkDetected(f"{why} (evidence kept: avp repo evidence {self._address})")

    def admission(self) -> Optional[dict[str, Any]]:
        text = self._store.admission(self._owner, self._address)
        return None if text is None else dict(json.loads(text))

    def admit(self, state: SignedState, members: Sequence[MemberEntry]) -> None:
        """Remember the first signed state, by another member, that lists this client."""
        roster_json = [
            {"ed25519PublicKey": m.ed25519_public_key, "x25519PublicKey": m.x25519_public_key}
            for m in members
        ]
        admission = {"state": state.to_dict(), "members": roster_json}
        self._store.save_admission(self._owner, self._address, json.dumps(admission, sort_keys=True))

    def evidence(self) -> dict[str, Any]:
        states = [json.loads(t) for t in self._store.signed_states(self._owner, self._address)]
        forks = [json.loads(t) for t in self._store.forks(self._owner, self._address)]
        return {"address": self._address, "signedStates": states, "forks": forks}


def admitted(repo_id: str, writer: str, previous: set[str], admission: Any) -> bool:
    """Whether ``admission`` (a payload body's) verifiably admits ``writer``, by a member of
    ``previous`` (the rules: the Rust core's ``signed::admitted``)."""
    try:
        ids = [crypto.b64decode_strict(m, 32) for m in sorted(previous)]
        return _native.signed_write_admitted(repo_id, crypto.b64decode_strict(writer, 32), ids, admission)
    except AvpError:
        return False


def compare(ours: dict[str, Any], theirs: dict[str, Any]) -> list[dict[str, Any]]:
    """Forks between two exported ledgers (exchanged out of band): pairs of verifying signed
    states with one version and different state hashes."""
    mine = {s["payloadVersion"]: SignedState.from_dict(s) for s in ours.get("signedStates", [])}
    found = []
    for item in theirs.get("signedStates", []):
        other = SignedState.from_dict(item)
        held = mine.get(other.payload_version)
        if held is not None and held.state_hash != other.state_hash and held.verifies() and other.verifies():
            found.append(
                {"reason": "two signed states for one version", "held": held.to_dict(), "served": item}
            )
    return found


class Verifier:
    """Checks one served state of one repository against what this client accepted before."""

    def __init__(
        self, ledger: Ledger, me: str, policy: UnsignedPolicy, report: Callable[[str], None]
    ) -> None:
        self._ledger, self._me, self._policy, self._report = ledger, me, policy, report

    def _unsigned(self, error: AvpError) -> None:
        if self._policy == "refuse":
            raise error
        self._report(f"accepted under the 'report' policy: {error}")

    def check(
        self, previous: Optional[VaultManifest], manifest: VaultManifest, signed: Optional[Signed]
    ) -> Optional[SignedState]:
        """Accept the served state (its signature already checked when the envelope was opened),
        or raise; the signed state (None when the state is unsigned)."""
        v = manifest.payload_version
        if signed is None:
            if self._ledger.ever_signed() or MANIFEST_MARK in manifest.extra:
                self._unsigned(DowngradeDetected(f"version {v} is not signed, in a repository seen signed"))
            return None
        state = signed.state
        writer, roster_hash, prev = (
            crypto.b64decode_strict(x, 32) for x in (state.writer, state.roster_hash, state.prev)
        )
        try:
            _native.signed_write_check_roster(roster_hash, roster(manifest.members))
        except RosterUnauthenticated as err:
            self._unsigned(err)
        allowed = None if previous is None else _ids(previous.members)
        if previous is not None and allowed is not None and writer not in allowed:
            known = {m.ed25519_public_key for m in previous.members}
            if admitted(manifest.repo_id, state.writer, known, signed.admission):
                allowed.append(writer)  # added in a version this client did not see
        served = _ids(manifest.members)
        try:
            _native.signed_write_authorize(writer, allowed, served)
        except RosterUnauthenticated as err:
            # A roster change nobody signed (e.g. an add by a client that does not sign) is an
            # unsigned roster change: 'report' accepts it, but the writer must be a served member.
            _native.signed_write_authorize(writer, None, served)
            self._unsigned(err)
        # Only a state signed by an authorized writer is evidence of a fork.
        held = self._ledger.state(v)
        if held is not None and held.state_hash != state.state_hash:
            raise self._ledger.fork(held, state, f"two signed states for version {v}")
        before = self._ledger.state(v - 1)
        if before is not None:
            try:
                _native.signed_write_check_link(crypto.b64decode_strict(before.state_hash, 32), prev)
            except ForkDetected:
                raise self._ledger.fork(
                    before, state, f"version {v} does not follow the version {v - 1} held"
                ) from None
        self._ledger.record(state)
        if state.writer != self._me and self._me in manifest.member_ids:
            self._ledger.admit(state, manifest.members)
        return state
