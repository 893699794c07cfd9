"""Repository semantics (wire contract §5): the tightened rules, on top of a Store.

Every write is read → decide → compare-and-set on the record's ``rev``; when another write won
the race the decision is taken again on the fresh record, so a rule is never checked against a
state that is no longer the one being replaced. Inputs are already schema-valid (see wire.py).
The rules run on the event loop; store calls go through :class:`~avp.server.storeio.StoreIO`.
"""

from __future__ import annotations

import json
from typing import Optional

from avp.errors import BadRequest, DuplicateMember, Forbidden, NotFound, QuotaExceeded, VersionConflict
from avp.server.config import Limits
from avp.server.store import RepoRecord
from avp.server.storeio import StoreIO
from avp.server.strictjson import dumps
from avp.server.wire import JsonObject


def _rule(problem: str) -> BadRequest:
    return BadRequest("request breaks a repository rule", detail=problem)


def _too_many_members(limit: int) -> QuotaExceeded:
    return QuotaExceeded("too many members", detail=f"at most {limit} members per repository", retry_after=60)


def _ids(members: list[JsonObject]) -> tuple[str, ...]:
    return tuple(m["ed25519PublicKey"] for m in members)


class Vault:
    def __init__(self, io: StoreIO, limits: Limits) -> None:
        self.io = io
        self.store = io.store
        self.limits = limits

    # --- reads ------------------------------------------------------------------------------------
    async def pull(self, caller: str, repo_id: str, known_version: int) -> str:
        view = await self.io.read(self.store.pull, repo_id, caller, known_version)
        if view is None:
            raise NotFound("no such repository")
        if not view.is_member:
            raise Forbidden("not a member of this repository")
        if view.envelope is None:
            return '{"manifest":' + view.manifest + ',"unchanged":true}'
        return '{"manifest":' + view.manifest + ',"envelope":' + view.envelope + ',"unchanged":false}'

    async def fetch_member(self, caller: str, repo_id: str, member_id: str) -> str:
        record = await self._member_record(caller, repo_id)
        for member in json.loads(record.manifest)["members"]:
            if member["ed25519PublicKey"] == member_id:
                return dumps(member)
        raise NotFound("no such member")

    async def _member_record(self, caller: str, repo_id: str) -> RepoRecord:
        record = await self.io.read(self.store.load, repo_id)
        if record is None:
            raise NotFound("no such repository")
        if caller not in record.member_ids:
            raise Forbidden("not a member of this repository")
        return record

    # --- writes -----------------------------------------------------------------------------------
    async def create(self, caller: str, manifest: JsonObject, envelope: JsonObject) -> str:
        members = manifest["members"]
        if len(members) != 1 or members[0]["ed25519PublicKey"] != caller:
            raise Forbidden("the new repository's sole member must be the caller")
        if manifest["repoId"] != envelope["repoId"]:
            raise _rule("manifest.repoId and initialEnvelope.repoId differ")
        counters = (
            manifest["payloadVersion"],
            envelope["payloadVersion"],
            manifest["keyEpoch"],
            envelope["keyEpoch"],
            members[0]["keyEpoch"],
        )
        if counters != (1, 1, 0, 0, 0):
            raise _rule("a new repository starts at payloadVersion 1 and keyEpoch 0")
        text = dumps(manifest)
        record = RepoRecord(manifest["repoId"], 0, 1, 0, text, dumps(envelope), (caller,))
        await self.io.write(self.store.create_repo, record, caller, self.limits.max_repos_per_member)
        return text

    async def push(
        self,
        caller: str,
        repo_id: str,
        envelope: JsonObject,
        expected: int,
        rotated: Optional[list[JsonObject]],
    ) -> JsonObject:
        while True:
            record = await self._member_record(caller, repo_id)
            if expected != record.payload_version:
                return self._push_answer(False, record.payload_version, record.key_epoch)
            epoch = envelope["keyEpoch"]
            if envelope["repoId"] != repo_id:
                raise _rule("envelope.repoId is not this repository")
            if envelope["payloadVersion"] != expected + 1:
                raise _rule("envelope.payloadVersion must be expectedPayloadVersion + 1")
            if epoch < record.key_epoch:
                raise _rule("the key epoch may not go down")
            manifest = json.loads(record.manifest)
            if rotated is None:
                if epoch != record.key_epoch:
                    raise _rule("changing the key epoch needs rotatedMembers")
            else:
                self._check_roster(caller, rotated, epoch, record)
                manifest["members"] = rotated
            manifest["payloadVersion"] = envelope["payloadVersion"]
            manifest["keyEpoch"] = epoch
            if await self._replace(record, manifest, dumps(envelope)) is not None:
                return self._push_answer(True, envelope["payloadVersion"], epoch)

    def _check_roster(self, caller: str, rotated: list[JsonObject], epoch: int, record: RepoRecord) -> None:
        ids = _ids(rotated)
        if not ids:
            raise _rule("rotatedMembers may not be empty")
        if len(set(ids)) != len(ids):
            raise _rule("rotatedMembers lists a member twice")
        if caller not in ids:
            raise _rule("rotatedMembers must contain the caller")
        if any(m["keyEpoch"] != epoch for m in rotated):
            raise _rule("every rotated member must be at envelope.keyEpoch")
        if not set(record.member_ids) <= set(ids) and epoch <= record.key_epoch:
            raise _rule("a roster that drops a member must raise the key epoch")
        if len(ids) > self.limits.max_members_per_repo:
            raise _too_many_members(self.limits.max_members_per_repo)

    @staticmethod
    def _push_answer(accepted: bool, version: int, epoch: int) -> JsonObject:
        return {"accepted": accepted, "payloadVersion": version, "keyEpoch": epoch, "conflict": not accepted}

    async def add_member(self, caller: str, repo_id: str, member: JsonObject) -> str:
        while True:
            record = await self._member_record(caller, repo_id)
            manifest = json.loads(record.manifest)
            new_id = member["ed25519PublicKey"]
            for present in manifest["members"]:
                if present["ed25519PublicKey"] == new_id:
                    if present["x25519PublicKey"] == member["x25519PublicKey"]:
                        return record.manifest
                    raise DuplicateMember("member already present with another X25519 key")
            if member["keyEpoch"] != record.key_epoch:
                raise _rule("member.keyEpoch must be the current key epoch")
            if len(manifest["members"]) >= self.limits.max_members_per_repo:
                raise _too_many_members(self.limits.max_members_per_repo)
            manifest["members"].append(member)
            written = await self._replace(record, manifest, record.envelope)
            if written is not None:
                return written

    async def remove_member(
        self,
        caller: str,
        repo_id: str,
        removed: str,
        envelope: JsonObject,
        rewrapped: list[JsonObject],
        new_epoch: int,
    ) -> str:
        while True:
            record = await self._member_record(caller, repo_id)
            if removed not in record.member_ids:
                raise NotFound("no such member")
            version = envelope["payloadVersion"]
            if version <= record.payload_version:
                raise VersionConflict(
                    "the removal was computed against a stale payload version",
                    detail=f"current payloadVersion is {record.payload_version}: re-pull and recompute",
                )
            if version != record.payload_version + 1:
                raise _rule("rotatedEnvelope.payloadVersion must be the current payloadVersion + 1")
            if envelope["repoId"] != repo_id:
                raise _rule("rotatedEnvelope.repoId is not this repository")
            if new_epoch <= record.key_epoch or new_epoch != envelope["keyEpoch"]:
                raise _rule("newKeyEpoch must exceed the current epoch and equal rotatedEnvelope.keyEpoch")
            manifest = json.loads(record.manifest)
            expected = {
                m["ed25519PublicKey"]: m["x25519PublicKey"]
                for m in manifest["members"]
                if m["ed25519PublicKey"] != removed
            }
            if not expected:
                raise _rule("the roster may not become empty")
            given = {m["ed25519PublicKey"]: m["x25519PublicKey"] for m in rewrapped}
            if len(given) != len(rewrapped) or given != expected:
                raise _rule("rewrappedMembers must be exactly the current roster minus the removed member")
            if any(m["keyEpoch"] != new_epoch for m in rewrapped):
                raise _rule("every rewrapped member must be at newKeyEpoch")
            manifest["members"] = rewrapped
            manifest["payloadVersion"] = version
            manifest["keyEpoch"] = new_epoch
            written = await self._replace(record, manifest, dumps(envelope))
            if written is not None:
                return written

    async def _replace(self, record: RepoRecord, manifest: JsonObject, envelope: str) -> Optional[str]:
        """Compare-and-set the new state; its manifest text, or None when another write won."""
        text = dumps(manifest)
        new = RepoRecord(
            record.repo_id,
            record.rev + 1,
            manifest["payloadVersion"],
            manifest["keyEpoch"],
            text,
            envelope,
            _ids(manifest["members"]),
        )
        return text if await self.io.write(self.store.replace, record, new) else None
