"""A handle on one repository: pull, push, update, membership and rotation, with every defence applied.

All cryptography is the Rust core's (``avp.crypto``, ``avp.Identity``). The handle keeps the last
accepted manifest and data key in memory and the durable part (high-water marks, pins, the last
manifest and ciphertext envelope, data keys sealed to the identity) in the client's store, so a new
process resumes with the same protections.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Callable, Optional, Sequence

from avp import _native, crypto, federation
from avp.client import defences
from avp.client.store import RepoState
from avp.client.transport import path_segment
from avp.errors import (
    AvpError,
    BadRequest,
    Conflict,
    InvalidTag,
    KeyChanged,
    NotFound,
    ProtocolError,
    ServerError,
    TransportError,
    UnsupportedScheme,
    VersionConflict,
)
from avp.models import (
    AltAccount,
    EncryptedEnvelope,
    MemberEntry,
    PullResponse,
    PushResponse,
    VaultManifest,
    VaultPayload,
    apply_refresh_policy,
    dumps_compact,
    loads_strict,
)

if TYPE_CHECKING:
    from avp.client.client import Client

#: Outcomes after which a write may or may not have been applied: confirm by pulling.
UNCERTAIN = (TransportError, ServerError)


@dataclass(frozen=True)
class Snapshot:
    """The repository as of the last accepted pull (alts decrypted, refresh-token policy applied)."""

    address: str
    repo_id: str
    payload_version: int
    key_epoch: int
    alts: tuple[AltAccount, ...]
    members: tuple[str, ...]
    #: The manifest's ``shareRefreshTokens`` as served (None when absent).
    share_refresh_tokens: Optional[bool]
    #: True when the server answered "unchanged" and the local copy of the envelope was used.
    unchanged: bool
    manifest: VaultManifest


@dataclass(frozen=True)
class PushResult:
    accepted: bool
    conflict: bool
    payload_version: int
    key_epoch: int


@dataclass(frozen=True)
class UpdateResult:
    payload_version: int
    key_epoch: int
    attempts: int


@dataclass(frozen=True)
class RemoveResult:
    payload_version: int
    key_epoch: int
    members: tuple[str, ...]


@dataclass(frozen=True)
class _Current:
    manifest: VaultManifest
    data_key: bytes


def open_envelope(
    envelope: EncryptedEnvelope, data_key: bytes, share_refresh_tokens: bool = True
) -> VaultPayload:
    """Decrypt and parse an envelope in one native call (the AAD is rebuilt from the envelope
    header); with ``share_refresh_tokens`` False the alts come without refresh credentials."""
    alts, version = _native.open_envelope(
        data_key,
        envelope.repo_id,
        envelope.payload_version,
        envelope.key_epoch,
        envelope.iv,
        envelope.ciphertext,
        share_refresh_tokens,
    )
    return VaultPayload(tuple(alts), version)


def seal_envelope(
    data_key: bytes,
    repo_id: str,
    payload_version: int,
    key_epoch: int,
    alts: Sequence[AltAccount],
    share_refresh_tokens: bool = True,
) -> EncryptedEnvelope:
    """Serialize and seal in one native call; with ``share_refresh_tokens`` False the refresh
    credentials are not written (the policy applied on encrypt)."""
    iv, ciphertext = _native.seal_envelope(
        data_key, repo_id, payload_version, key_epoch, alts, share_refresh_tokens
    )
    return EncryptedEnvelope(repo_id, payload_version, key_epoch, iv, ciphertext)


class Repository:
    """One repository at one server, seen by one identity. Obtain it from a :class:`~avp.client.Client`."""

    def __init__(self, client: Client, server: str, repo_id: str) -> None:
        self._client = client
        self.server = server
        self.host = client.host_of(server)
        self.repo_id = repo_id
        self.address = federation.format_address(self.host, repo_id)
        self._current: Optional[_Current] = None
        self._keys: dict[int, bytes] = {}  # data keys held, by epoch (opened from the store lazily)
        self._accepted: dict[str, str] = {}  # member id -> X25519 key the user accepted explicitly
        self._confirm_refresh_policy = False
        #: The last snapshot this handle accepted (None before the first pull).
        self.snapshot: Optional[Snapshot] = None

    def __repr__(self) -> str:
        return f"Repository({self.address!r})"

    # --- small helpers ------------------------------------------------------------------------------
    @property
    def _owner(self) -> str:
        return self._client.identity.member_id

    def _state(self) -> Optional[RepoState]:
        return self._client.store.repo_state(self._owner, self.address)

    def _path(self, suffix: str) -> str:
        return f"/v1/repos/{path_segment(self.repo_id)}/{suffix}"

    def _post(self, suffix: str, body: dict[str, object]) -> object:
        return self._client.transport.call(self.server, "POST", self._path(suffix), body)

    def _progress(self, message: str) -> None:
        self._client.notify(message)

    def held_data_keys(self) -> dict[int, bytes]:
        """Every data key this identity holds or held for this repository, by key epoch."""
        sealed = self._client.store.sealed_data_keys(self._owner, self.address)
        for epoch, blob in sealed.items():
            if epoch not in self._keys:
                self._keys[epoch] = self._client.identity.unwrap_key(loads_strict(blob))
        return dict(self._keys)

    def _check_known_key(self, epoch: int, data_key: bytes) -> bool:
        """True if ``data_key`` is the one held for ``epoch``; ``key_changed`` if another one is held.

        A server can wrap a key of its choice to our public key: for an epoch we know, that is an attack.
        """
        held = self.held_data_keys().get(epoch)
        if held is not None and held != data_key:
            raise KeyChanged(f"the server served another data key for key epoch {epoch}")
        return held is not None

    def _remember_key(self, epoch: int, data_key: bytes) -> None:
        """Keep a data key, sealed to this identity (wrapped to its own X25519 key)."""
        if self._check_known_key(epoch, data_key):
            return
        sealed = crypto.wrap_key(data_key, self._client.identity.x25519_public_key).to_dict()
        self._client.store.save_sealed_data_key(
            self._owner, self.address, epoch, json.dumps(sealed, sort_keys=True)
        )
        self._keys[epoch] = data_key

    def issuer_jwks_url(self) -> Optional[str]:
        """The issuer whose key bindings this repository trusts (locator, else the server's discovery)."""
        state = self._state()
        if state is not None and state.issuer_jwks_url is not None:
            return state.issuer_jwks_url
        return self._client.issuer_jwks_url(self.server)

    def _check_binding(self, entry_ed: str, entry_x: str, signature: Optional[str]) -> None:
        required = self._client.binding_required(self.host)
        if signature is None and not required:
            return
        defences.check_binding(
            self._client.issuers, self.issuer_jwks_url(), entry_ed, entry_x, signature, required
        )

    # --- explicit user decisions --------------------------------------------------------------------
    def accept_key_change(self, member_id: str, x25519_public_key: str) -> None:
        """Accept (and pin) a new X25519 key for a known member: the user checked it out of band."""
        defences.recipient_key(x25519_public_key, "accepted X25519 key")
        self._accepted[member_id] = x25519_public_key
        self._client.store.pin(self._owner, self.address, member_id, x25519_public_key)

    def confirm_refresh_policy(self) -> None:
        """Consent to honour ``shareRefreshTokens: true`` after it was off (applies to the next pull)."""
        self._confirm_refresh_policy = True

    # --- manifest checks shared by every answer that carries one ------------------------------------
    def _check_manifest(self, manifest: VaultManifest, *, require_self: bool = True) -> dict[str, str]:
        if manifest.repo_id != self.repo_id:
            raise ProtocolError("the server answered for another repository", detail=manifest.repo_id)
        if manifest.scheme_id != crypto.SCHEME_ID:
            raise UnsupportedScheme("unsupported repository scheme", detail=manifest.scheme_id)
        defences.check_counters(self._state(), manifest.payload_version, manifest.key_epoch, "a manifest")
        identity = self._client.identity
        pins = self._client.store.pins(self._owner, self.address)
        return defences.check_members(
            manifest,
            identity.member_id,
            identity.x25519_public_key_b64,
            pins,
            self._accepted,
            require_self=require_self,
        )

    def _data_key_from(self, manifest: VaultManifest) -> bytes:
        entry = manifest.member(self._owner)
        if entry is None or entry.key_epoch != manifest.key_epoch:
            raise ProtocolError("this identity's member entry is missing or at another key epoch")
        return self._client.identity.unwrap_key(entry.wrapped_data_key)

    def _commit(
        self,
        manifest: VaultManifest,
        envelope: EncryptedEnvelope,
        data_key: bytes,
        policy_on: bool,
        fresh_pins: dict[str, str],
        issuer_jwks_url: Optional[str] = None,
    ) -> None:
        """Persist an accepted state: data key, pins, high-water marks, manifest and envelope."""
        self._remember_key(manifest.key_epoch, data_key)
        store = self._client.store
        for member, x in fresh_pins.items():
            store.pin(self._owner, self.address, member, x)
        previous = self._state()
        store.save_repo_state(
            self._owner,
            self.address,
            RepoState(
                hw_version=manifest.payload_version,
                hw_epoch=manifest.key_epoch,
                share_refresh_tokens=policy_on,
                issuer_jwks_url=issuer_jwks_url or (previous.issuer_jwks_url if previous else None),
                manifest=dumps_compact(manifest.to_dict()).decode(),
                envelope=dumps_compact(envelope.to_dict()).decode(),
            ),
        )
        self._current = _Current(manifest, data_key)

    def remember_locator(self, issuer_jwks_url: Optional[str], key_epoch: Optional[int]) -> None:
        """Record what a repo locator (from the inviter, out of band) says: the issuer whose key
        bindings to trust, and the key epoch the repository had reached (a floor for rollback checks)."""
        state = self._state() or RepoState(0, 0, False, None, None, None)
        floor = max(state.hw_epoch, key_epoch or 0)
        issuer = issuer_jwks_url or state.issuer_jwks_url
        self._client.store.save_repo_state(
            self._owner, self.address, replace(state, hw_epoch=floor, issuer_jwks_url=issuer)
        )

    def adopt(
        self,
        manifest: VaultManifest,
        envelope: EncryptedEnvelope,
        data_key: bytes,
        alts: Sequence[AltAccount],
        issuer_jwks_url: Optional[str],
    ) -> Snapshot:
        """Take a state this client just created (``Client.create_repo``) as the accepted one."""
        fresh = self._check_manifest(manifest)
        policy_on = manifest.share_refresh_tokens is True
        self._commit(manifest, envelope, data_key, policy_on, fresh, issuer_jwks_url)
        self.snapshot = self._snapshot(manifest, alts, policy_on, unchanged=False)
        return self.snapshot

    def _snapshot(
        self, manifest: VaultManifest, alts: Sequence[AltAccount], policy_on: bool, *, unchanged: bool
    ) -> Snapshot:
        return Snapshot(
            address=self.address,
            repo_id=self.repo_id,
            payload_version=manifest.payload_version,
            key_epoch=manifest.key_epoch,
            alts=tuple(apply_refresh_policy(alts, policy_on)),
            members=tuple(manifest.member_ids),
            share_refresh_tokens=manifest.share_refresh_tokens,
            unchanged=unchanged,
            manifest=manifest,
        )

    # --- pull ---------------------------------------------------------------------------------------
    def pull(self, *, confirm_refresh_policy: bool = False) -> Snapshot:
        """Fetch, verify and decrypt the current state (defences: rollback, pins, policy, header, AAD)."""
        state = self._state()
        stored_envelope = (
            EncryptedEnvelope.from_dict(loads_strict(state.envelope, ProtocolError))
            if state is not None and state.envelope is not None
            else None
        )
        known = stored_envelope.payload_version if stored_envelope is not None else 0
        response = PullResponse.from_dict(
            self._post("pull", {"repoId": self.repo_id, "knownPayloadVersion": known})
        )
        manifest = response.manifest
        fresh = self._check_manifest(manifest)
        policy_on = defences.check_refresh_policy(
            state,
            manifest.share_refresh_tokens,
            confirm_refresh_policy or self._confirm_refresh_policy,
        )
        data_key = self._data_key_from(manifest)
        self._check_known_key(manifest.key_epoch, data_key)  # before trusting what it decrypts
        envelope = response.envelope
        if envelope is None:  # "unchanged": the copy we hold must be the current one
            if stored_envelope is None:
                raise ProtocolError("the server answered 'unchanged' to a client that holds nothing")
            envelope = stored_envelope
        elif stored_envelope is not None and envelope.payload_version == stored_envelope.payload_version:
            if envelope != stored_envelope:  # one version, two contents: a forked history
                raise ProtocolError(
                    f"the server served a second envelope for version {envelope.payload_version}"
                )
        defences.check_envelope(manifest, envelope)
        payload = open_envelope(envelope, data_key, policy_on)
        if state is not None and state.manifest is not None:
            for member in fresh:  # the roster is not signed in AVP 0.4: make additions visible
                self._progress(f"new member in {self.address}: {member}")
        self._commit(manifest, envelope, data_key, policy_on, fresh)
        self._confirm_refresh_policy = False
        self.snapshot = self._snapshot(manifest, payload.alts, policy_on, unchanged=response.unchanged)
        return self.snapshot

    def _ensure_current(self) -> _Current:
        """The last accepted manifest and its data key: in memory, else from the store, else pulled."""
        if self._current is None:
            state = self._state()
            if state is not None and state.manifest is not None:
                manifest = VaultManifest.from_dict(loads_strict(state.manifest, ProtocolError))
                data_key = self.held_data_keys().get(manifest.key_epoch)
                if data_key is not None:
                    self._current = _Current(manifest, data_key)
        if self._current is None:
            self.pull()
        assert self._current is not None  # set by pull()
        return self._current

    # --- push and update ----------------------------------------------------------------------------
    def push(self, alts: Sequence[AltAccount]) -> PushResult:
        """Replace the alt list: one attempt at the last pulled version (a conflict is returned)."""
        current = self._ensure_current()
        manifest = current.manifest
        policy_on = manifest.share_refresh_tokens is True
        new_version = manifest.payload_version + 1
        envelope = seal_envelope(
            current.data_key, self.repo_id, new_version, manifest.key_epoch, alts, policy_on
        )
        answer = PushResponse.from_dict(
            self._post(
                "push",
                {
                    "repoId": self.repo_id,
                    "envelope": envelope.to_dict(),
                    "expectedPayloadVersion": manifest.payload_version,
                },
            )
        )
        defences.check_counters(self._state(), answer.payload_version, answer.key_epoch, "a push answer")
        if answer.accepted:
            if (answer.payload_version, answer.key_epoch) != (new_version, manifest.key_epoch):
                raise ProtocolError("the server accepted the push at other counters than the ones sent")
            pushed = replace(manifest, payload_version=new_version)
            self._commit(pushed, envelope, current.data_key, policy_on, {})
            self.snapshot = self._snapshot(pushed, alts, policy_on, unchanged=False)
        return PushResult(answer.accepted, answer.conflict, answer.payload_version, answer.key_epoch)

    def update(
        self, fn: Callable[[list[AltAccount]], Sequence[AltAccount]], *, max_attempts: Optional[int] = None
    ) -> UpdateResult:
        """Pull → ``fn(alts)`` → push, retrying a conflict with jittered backoff, a bounded number of times.

        ``fn`` may run more than once (once per attempt, on the freshest alts), so it must be pure.
        """
        attempts = max_attempts or self._client.max_attempts
        for attempt in range(1, attempts + 1):
            snapshot = self.pull()
            result = self.push(fn(list(snapshot.alts)))
            if result.accepted:
                return UpdateResult(result.payload_version, result.key_epoch, attempt)
            if attempt < attempts:
                self._progress(
                    f"conflict at version {result.payload_version}, retrying ({attempt}/{attempts})"
                )
                self._client.backoff(attempt)
        raise Conflict(f"the push still conflicted after {attempts} attempts")

    # --- membership ---------------------------------------------------------------------------------
    def members(self) -> tuple[str, ...]:
        """The member ids of the current roster (pulls, so the defences apply)."""
        return self.pull().members

    def fetch_member(self, member_id: str) -> MemberEntry:
        """One member's served entry, checked against its pin (and its key binding when required)."""
        entry = MemberEntry.from_dict(
            self._client.transport.call(
                self.server, "GET", self._path(f"member/{path_segment(member_id)}"), None
            )
        )
        if entry.ed25519_public_key != member_id:
            raise ProtocolError("the server answered with another member's entry")
        defences.public_key(entry.x25519_public_key, "member X25519 key")
        pins = self._client.store.pins(self._owner, self.address)
        me = self._client.identity
        expected = me.x25519_public_key_b64 if member_id == me.member_id else pins.get(member_id)
        if expected is not None and entry.x25519_public_key not in (expected, self._accepted.get(member_id)):
            raise KeyChanged(f"member {member_id} is served with a different X25519 key than the one pinned")
        self._check_binding(entry.ed25519_public_key, entry.x25519_public_key, entry.key_binding_sig)
        if expected is None:
            self._client.store.pin(self._owner, self.address, member_id, entry.x25519_public_key)
        return entry

    def add_member(self, invite_token: str, key_binding_sig: Optional[str] = None) -> tuple[str, ...]:
        """Add the joiner of an invite-request token: wrap the current data key to its X25519 key.

        Idempotent: adding a member already present with the same keys sends nothing.
        """
        invite = federation.decode_invite(invite_token)
        joiner, joiner_x = invite.ed25519_public_key, invite.x25519_public_key
        defences.public_key(joiner, "invitee Ed25519 key")
        recipient = defences.recipient_key(joiner_x, "invitee X25519 key")  # before any request
        attempt = 1
        while True:
            snapshot = self.pull()
            current = self._ensure_current()
            pinned = self._client.store.pins(self._owner, self.address).get(joiner)
            if pinned is not None and joiner_x not in (pinned, self._accepted.get(joiner)):
                raise KeyChanged(f"member {joiner} is already known with a different X25519 key")
            if joiner in snapshot.members:
                return snapshot.members
            self._check_binding(joiner, joiner_x, key_binding_sig)
            entry = MemberEntry(
                joiner,
                joiner_x,
                crypto.wrap_key(current.data_key, recipient).to_dict(),
                current.manifest.key_epoch,
                key_binding_sig,
            )
            self._progress(f"adding member {joiner}")
            try:
                answer = self._post("add-member", {"repoId": self.repo_id, "member": entry.to_dict()})
                break
            except BadRequest:
                # A rotation between our pull and our request makes the wrap stale (400): only then,
                # and a bounded number of times, wrap the new key and try again.
                if attempt >= self._client.max_attempts or self.pull().key_epoch == entry.key_epoch:
                    raise
                attempt += 1
        manifest = VaultManifest.from_dict(answer)
        fresh = self._check_manifest(manifest)
        served = manifest.member(joiner)
        if served is None or served.x25519_public_key != joiner_x:
            raise ProtocolError("the server's roster does not hold the member just added")
        self._client.store.pin(self._owner, self.address, joiner, joiner_x)
        for member, x in fresh.items():
            self._client.store.pin(self._owner, self.address, member, x)
        self._current = _Current(manifest, current.data_key)
        return tuple(manifest.member_ids)

    def remove_member(self, member_id: str, *, max_attempts: Optional[int] = None) -> RemoveResult:
        """Remove a member and rotate: new data key, epoch + 1, version + 1, re-wrap to everyone left.

        A stale computation (``version_conflict``) is recomputed on a fresh pull, a bounded number of
        times; an uncertain outcome (connection lost, 5xx) is settled by pulling to confirm.
        """
        attempts = max_attempts or self._client.max_attempts
        attempt = 1
        while True:
            try:
                return self._remove_once(member_id)
            except VersionConflict:
                if attempt >= attempts:
                    raise
                self._progress(f"the repository moved on, recomputing the rotation ({attempt}/{attempts})")
                self._client.backoff(attempt)
                attempt += 1

    def _remove_once(self, member_id: str) -> RemoveResult:
        snapshot = self.pull()
        current = self._ensure_current()
        manifest = current.manifest
        if member_id not in snapshot.members:
            raise NotFound(f"{member_id} is not a member of {self.address}")
        remaining = [m for m in manifest.members if m.ed25519_public_key != member_id]
        if not remaining:
            raise BadRequest("the last member cannot be removed (the roster may not become empty)")
        me = self._client.identity.member_id
        recipients = []
        for entry in remaining:  # every check before the request that commits the rotation
            recipients.append(
                defences.recipient_key(entry.x25519_public_key, f"X25519 key of {entry.member_id}")
            )
            if entry.ed25519_public_key != me:
                self._check_binding(entry.ed25519_public_key, entry.x25519_public_key, entry.key_binding_sig)
        new_key = crypto.generate_data_key()
        new_epoch, new_version = manifest.key_epoch + 1, manifest.payload_version + 1
        policy_on = manifest.share_refresh_tokens is True
        envelope = seal_envelope(new_key, self.repo_id, new_version, new_epoch, snapshot.alts, policy_on)
        self._progress(f"re-wrapping a new data key to {len(remaining)} member(s)")
        wrapped = crypto.wrap_key_many(new_key, recipients)
        rewrapped = [
            MemberEntry(e.ed25519_public_key, e.x25519_public_key, w.to_dict(), new_epoch, e.key_binding_sig)
            for e, w in zip(remaining, wrapped)
        ]
        body: dict[str, object] = {
            "repoId": self.repo_id,
            "removedMemberId": member_id,
            "rotatedEnvelope": envelope.to_dict(),
            "rewrappedMembers": [m.to_dict() for m in rewrapped],
            "newKeyEpoch": new_epoch,
        }
        removing_self = member_id == me
        try:
            answer = VaultManifest.from_dict(self._post("remove-member", body))
        except UNCERTAIN as err:
            if removing_self:
                raise
            return self._confirm_removal(member_id, new_key, new_epoch, err)
        self._check_manifest(answer, require_self=not removing_self)
        if member_id in answer.member_ids or answer.key_epoch != new_epoch:
            raise ProtocolError("the server's answer does not show the removal and rotation")
        if removing_self:
            self._current = None
        else:
            self._commit(answer, envelope, new_key, policy_on, {})
        return RemoveResult(answer.payload_version, answer.key_epoch, tuple(answer.member_ids))

    def _confirm_removal(self, member_id: str, new_key: bytes, new_epoch: int, err: AvpError) -> RemoveResult:
        self._progress("the outcome of the removal is unknown, pulling to confirm")
        try:
            snapshot = self.pull()
        except AvpError:
            raise err from None
        current = self._ensure_current()
        applied = (
            member_id not in snapshot.members
            and snapshot.key_epoch == new_epoch
            and current.data_key == new_key
        )
        if not applied:
            raise err
        return RemoveResult(snapshot.payload_version, snapshot.key_epoch, snapshot.members)

    # --- federation ---------------------------------------------------------------------------------
    def locator_token(self) -> str:
        """The repo-locator token to hand to a joiner (after :meth:`add_member`)."""
        current = self._ensure_current()
        return federation.encode_locator(
            federation.RepoLocator(
                host=self.host,
                repo_id=self.repo_id,
                scheme_id=current.manifest.scheme_id,
                key_epoch=current.manifest.key_epoch,
                issuer_jwks_url=self.issuer_jwks_url(),
            )
        )

    def open_envelope(self, envelope: EncryptedEnvelope) -> list[AltAccount]:
        """Decrypt ``envelope`` with any data key this identity holds or held (no request is sent).

        A removed member uses this to show it cannot read the new epoch: it raises ``invalid_tag``.
        """
        state = self._state()
        policy_on = state.share_refresh_tokens if state is not None else False
        for data_key in self.held_data_keys().values():
            try:
                payload = open_envelope(envelope, data_key, policy_on)
            except InvalidTag:
                continue
            return list(payload.alts)
        raise InvalidTag("no data key held for this repository opens the envelope")
