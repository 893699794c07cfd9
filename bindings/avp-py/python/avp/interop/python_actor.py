"""The Python client under test: ``python -m avp.interop.python_actor`` speaks docs/actor-contract.md over
stdin/stdout and does every operation through the SDK (:mod:`avp.client`), defences included.

State lives in a private temporary directory that each ``identity`` request replaces, so one
process can play many scenarios without one leaking into the next.
"""

from __future__ import annotations

import base64
import json
import sys
import tempfile
from pathlib import Path
from typing import IO, Any, Callable, Optional

from avp.client import Client, Repository, Snapshot
from avp.client.transport import normalize_base_url
from avp.errors import AvpError, BadRequest
from avp.identity import Identity
from avp.interop import vectorcheck
from avp.models import AltAccount, EncryptedEnvelope

Handler = Callable[[dict[str, Any]], dict[str, Any]]


def _alts(raw: Any) -> list[AltAccount]:
    if not isinstance(raw, list):
        raise BadRequest("'alts' must be a list of AltAccount objects")
    # the Rust payload rules, with the alt's position in errors
    return [AltAccount.from_dict(a, f"alts[{i}]") for i, a in enumerate(raw)]


def _str(args: dict[str, Any], name: str) -> str:
    value = args.get(name)
    if not isinstance(value, str):
        raise BadRequest(f"'{name}' must be a string")
    return value


class PythonActor:
    def __init__(self) -> None:
        self._home: Optional[tempfile.TemporaryDirectory[str]] = None
        self._client: Optional[Client] = None
        self._repos: dict[tuple[str, str], Repository] = {}
        self.ops: dict[str, Handler] = {
            "hello": self.hello,
            "identity": self.identity,
            "authenticate": self.authenticate,
            "create_repo": self.create_repo,
            "pull": self.pull,
            "push": self.push,
            "update": self.update,
            "add_member": self.add_member,
            "remove_member": self.remove_member,
            "fetch_member": self.fetch_member,
            "key_binding": self.key_binding,
            "locator": self.locator,
            "join": self.join,
            "open_envelope": self.open_envelope,
            "verify_vectors": self.verify_vectors,
            "shutdown": self.shutdown,
        }

    # --- plumbing -----------------------------------------------------------------------------------
    @property
    def client(self) -> Client:
        if self._client is None:
            self.identity({})
        assert self._client is not None
        return self._client

    def reset(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._home is not None:
            self._home.cleanup()
            self._home = None
        self._repos.clear()

    def _repo(self, args: dict[str, Any]) -> Repository:
        server = normalize_base_url(_str(args, "server"))
        repo_id = _str(args, "repoId")
        repo = self._repos.get((server, repo_id))
        if repo is None:
            repo = self.client.repository(server, repo_id)
            self._repos[(server, repo_id)] = repo
        return repo

    def _with_options(self, args: dict[str, Any], action: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """Apply ``requireBinding`` for one operation (the SDK's default otherwise)."""
        client = self.client
        saved = client.require_binding
        if isinstance(args.get("requireBinding"), bool):
            client.require_binding = args["requireBinding"]
        try:
            return action()
        finally:
            client.require_binding = saved

    @staticmethod
    def _snapshot(snap: Snapshot) -> dict[str, Any]:
        return {
            "unchanged": snap.unchanged,
            "payloadVersion": snap.payload_version,
            "keyEpoch": snap.key_epoch,
            "alts": [a.to_dict() for a in snap.alts],
            "members": list(snap.members),
            "shareRefreshTokens": snap.share_refresh_tokens,
        }

    # --- operations ---------------------------------------------------------------------------------
    def hello(self, args: dict[str, Any]) -> dict[str, Any]:
        from importlib import metadata

        try:
            version = metadata.version("avp")
        except metadata.PackageNotFoundError:
            version = "unknown"
        return {"name": "python", "language": "python", "version": version, "ops": sorted(self.ops)}

    def identity(self, args: dict[str, Any]) -> dict[str, Any]:
        self.reset()
        seed, xpriv = args.get("ed25519SeedB64"), args.get("x25519PrivateB64")
        if isinstance(seed, str) and isinstance(xpriv, str):
            ident = Identity.from_seeds(
                base64.b64decode(seed, validate=True), base64.b64decode(xpriv, validate=True)
            )
        else:
            ident = Identity.generate()
        self._home = tempfile.TemporaryDirectory(prefix="avp-actor-")
        # Retry-After waits are capped low: a scenario must not stall on a server's 60 s hint.
        self._client = Client(ident, home=self._home.name, max_retry_after=1.0)
        return {
            "ed25519PublicKey": ident.member_id,
            "x25519PublicKey": ident.x25519_public_key_b64,
            "inviteToken": ident.invite_token(),
        }

    def authenticate(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"expiresAt": self.client.authenticate(_str(args, "server")).expires_at}

    def create_repo(self, args: dict[str, Any]) -> dict[str, Any]:
        def run() -> dict[str, Any]:
            share = args.get("shareRefreshTokens")
            repo = self.client.create_repo(
                _str(args, "server"),
                _alts(args.get("alts", [])),
                repo_id=args.get("repoId"),
                share_refresh_tokens=share if isinstance(share, bool) else None,
                key_binding_sig=args.get("keyBindingSig"),
            )
            self._repos[(repo.server, repo.repo_id)] = repo
            return {"repoId": repo.repo_id, "address": repo.address, "payloadVersion": 1, "keyEpoch": 0}

        return self._with_options(args, run)

    def pull(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._with_options(args, lambda: self._snapshot(self._repo(args).pull()))

    def push(self, args: dict[str, Any]) -> dict[str, Any]:
        def run() -> dict[str, Any]:
            result = self._repo(args).push(_alts(args.get("alts")))
            return {
                "accepted": result.accepted,
                "conflict": result.conflict,
                "payloadVersion": result.payload_version,
                "keyEpoch": result.key_epoch,
            }

        return self._with_options(args, run)

    def update(self, args: dict[str, Any]) -> dict[str, Any]:
        added = _alts(args.get("addAlts"))

        def run() -> dict[str, Any]:
            result = self._repo(args).update(lambda alts: [*alts, *added])
            return {
                "payloadVersion": result.payload_version,
                "keyEpoch": result.key_epoch,
                "attempts": result.attempts,
            }

        return self._with_options(args, run)

    def add_member(self, args: dict[str, Any]) -> dict[str, Any]:
        def run() -> dict[str, Any]:
            members = self._repo(args).add_member(_str(args, "inviteToken"), args.get("keyBindingSig"))
            return {"members": list(members)}

        return self._with_options(args, run)

    def remove_member(self, args: dict[str, Any]) -> dict[str, Any]:
        def run() -> dict[str, Any]:
            result = self._repo(args).remove_member(_str(args, "memberId"))
            return {
                "payloadVersion": result.payload_version,
                "keyEpoch": result.key_epoch,
                "members": list(result.members),
            }

        return self._with_options(args, run)

    def fetch_member(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._with_options(
            args, lambda: self._repo(args).fetch_member(_str(args, "memberId")).to_dict()
        )

    def key_binding(self, args: dict[str, Any]) -> dict[str, Any]:
        binding = self.client.key_binding(_str(args, "server"))
        return {"keyBindingSig": binding.key_binding_sig, "issuerJwksUrl": binding.issuer_jwks_url}

    def locator(self, args: dict[str, Any]) -> dict[str, Any]:
        repo = self._repo(args)
        return {"token": repo.locator_token(), "address": repo.address}

    def join(self, args: dict[str, Any]) -> dict[str, Any]:
        def run() -> dict[str, Any]:
            repo = self.client.join(_str(args, "locatorToken"))
            self._repos[(repo.server, repo.repo_id)] = repo
            snap = repo.snapshot
            assert snap is not None  # join pulls
            out = self._snapshot(snap)
            out.update(server=repo.server, repoId=repo.repo_id)
            return out

        return self._with_options(args, run)

    def open_envelope(self, args: dict[str, Any]) -> dict[str, Any]:
        repo_id = _str(args, "repoId")
        envelope = EncryptedEnvelope.from_dict(args.get("envelope"))
        repos = [r for (_server, rid), r in self._repos.items() if rid == repo_id]
        if not repos:
            raise BadRequest(f"this actor never saw repository {repo_id!r}")
        return {"alts": [a.to_dict() for a in repos[0].open_envelope(envelope)]}

    def verify_vectors(self, args: dict[str, Any]) -> dict[str, Any]:
        folder = Path(_str(args, "dir"))
        if not (folder / "index.json").is_file():
            raise BadRequest(f"{folder} has no index.json")
        return {"files": vectorcheck.verify_dir(folder)}

    def shutdown(self, args: dict[str, Any]) -> dict[str, Any]:
        self.reset()
        return {}

    # --- the loop -----------------------------------------------------------------------------------
    def handle(self, line: bytes) -> dict[str, Any]:
        try:
            request = json.loads(line)
        except ValueError:
            return {
                "id": None,
                "ok": False,
                "error": {"code": "bad_request", "message": "not JSON", "status": None},
            }
        req_id = request.get("id") if isinstance(request, dict) else None
        op = request.get("op") if isinstance(request, dict) else None
        args = request.get("args") if isinstance(request, dict) else None
        handler = self.ops.get(op) if isinstance(op, str) else None
        if handler is None:
            message = f"operation {op!r} is not supported by the Python actor"
            return {
                "id": req_id,
                "ok": False,
                "error": {"code": "unsupported", "message": message, "status": None},
            }
        try:
            result = handler(args if isinstance(args, dict) else {})
        except AvpError as err:
            # only an error built from an HTTP answer carries the received status on the instance
            status = vars(err).get("status")
            error = {"code": err.code, "message": str(err), "status": status}
            return {"id": req_id, "ok": False, "error": error}
        return {"id": req_id, "ok": True, "result": result}


def serve(stdin: IO[bytes], stdout: IO[bytes]) -> int:
    actor = PythonActor()
    try:
        for line in stdin:
            if not line.strip():
                continue
            reply = actor.handle(line)
            stdout.write(json.dumps(reply).encode("utf-8") + b"\n")
            stdout.flush()
            if reply.get("ok") and json.loads(line).get("op") == "shutdown":
                break
    finally:
        actor.reset()
    return 0


if __name__ == "__main__":
    sys.exit(serve(sys.stdin.buffer, sys.stdout.buffer))
