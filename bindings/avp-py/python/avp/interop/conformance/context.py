"""What a conformance check gets: an HTTP client recording its transcript, the server's discovery
document and extensions, the helpers every check uses.

A check is a :class:`~avp.interop.model.Case` over this :class:`Context`; it talks to the server only
over HTTP with :class:`~avp.interop.rawhttp.RawClient`, so any server, local or remote, can be checked.
"""

from __future__ import annotations

import secrets
from typing import Any, Optional

from avp.interop import material
from avp.interop.engine import CaseContext
from avp.interop.material import Member
from avp.interop.model import CaseFailed, CaseSkipped
from avp.interop.rawhttp import Body, RawClient, Response, quote_segment
from avp.interop.redact import shorten


class Context(CaseContext):
    def __init__(self, base_url: str, discovery: dict[str, Any], extensions: frozenset[str]) -> None:
        super().__init__([], discovery, extensions)
        self.base_url = base_url
        self.http = RawClient(base_url, self.transcript)
        self._tokens: dict[str, str] = {}

    def close(self) -> None:
        self.http.close()

    # --- limits ---------------------------------------------------------------------------------
    def small_limit(self, name: str, default: int, most: int, too_large: str) -> int:
        """A limit the check must exhaust or wait out: above ``most`` the check is skipped, and
        ``too_large`` says why."""
        value = self.limit(name, default)
        if value > most:
            raise CaseSkipped(f"{name} is {value}: {too_large}")
        return value

    # --- requests -------------------------------------------------------------------------------
    def request(
        self, method: str, path: str, body: Body = None, *, token: Optional[str] = None, **kw: Any
    ) -> Response:
        return self.http.request(method, path, body, token=token, **kw)

    def token(self, member: Member) -> str:
        if member.id not in self._tokens:
            self._tokens[member.id] = material.login(self.http, member)
        return self._tokens[member.id]

    def repo_path(self, repo_id: str, action: str) -> str:
        return f"/v1/repos/{quote_segment(repo_id)}/{action}"

    def member_path(self, repo_id: str, member_id: str) -> str:
        return f"/v1/repos/{quote_segment(repo_id)}/member/{quote_segment(member_id)}"

    def create(
        self,
        owner: Member,
        repo_id: Optional[str] = None,
        alts: Optional[list[dict[str, Any]]] = None,
        **kw: Any,
    ) -> tuple[str, dict[str, Any], bytes]:
        """Create a repository as ``owner`` (a setup step: anything but 200 fails the check)."""
        repo_id = repo_id or new_repo_id()
        body, key = material.new_repo(owner, repo_id, alts, **kw)
        resp = self.request("POST", "/v1/repos", body, token=self.token(owner))
        self.expect_ok(resp, "createRepo (setup)")
        return repo_id, body, key

    def pull(self, member: Member, repo_id: str, known: int = 0) -> Response:
        return self.request(
            "POST",
            self.repo_path(repo_id, "pull"),
            {"repoId": repo_id, "knownPayloadVersion": known},
            token=self.token(member),
        )

    def manifest(self, member: Member, repo_id: str) -> dict[str, Any]:
        resp = self.pull(member, repo_id)
        data = self.expect_ok(resp, "pull (state)")
        manifest = data.get("manifest")
        if not isinstance(manifest, dict):
            raise CaseFailed("pull (state)", "a manifest object", shorten(data))
        return manifest

    def post_add_member(self, actor: Member, repo_id: str, entry: dict[str, Any]) -> Response:
        """addMember of ``entry`` as ``actor``: the answer, whatever it is."""
        return self.request(
            "POST",
            self.repo_path(repo_id, "add-member"),
            {"repoId": repo_id, "member": entry},
            token=self.token(actor),
        )

    def add(self, owner: Member, repo_id: str, joiner: Member, key: bytes, epoch: int = 0) -> dict[str, Any]:
        resp = self.post_add_member(owner, repo_id, material.member_entry(joiner, key, epoch))
        return self.expect_ok(resp, "addMember (setup)")

    # --- expectations ---------------------------------------------------------------------------
    def expect_ok(self, resp: Response, step: str) -> dict[str, Any]:
        data = resp.json()
        if resp.status != 200 or not isinstance(data, dict):
            raise CaseFailed(
                step,
                "200 with a JSON object",
                f"{resp.status} {shorten(resp.body.decode('utf-8', 'replace'))}",
            )
        return data

    def expect_error(self, resp: Response, status: int, code: str, step: str) -> None:
        """The status and the error body every non-2xx must have; the ``code`` too when the server
        has the error-codes extension (AVP 0.4 itself only asks for ``{"error": ...}``)."""
        data = resp.json()
        got = data.get("code") if isinstance(data, dict) else None
        codes = "error-codes" in self.extensions
        if resp.status != status or (codes and got != code):
            raise CaseFailed(
                step,
                f"{status} {code}" if codes else str(status),
                f"{resp.status} {got or shorten(resp.body.decode('utf-8', 'replace'), 120)}",
            )
        if not (resp.header("content-type") or "").startswith("application/json"):
            raise CaseFailed(step, "Content-Type: application/json", str(resp.header("content-type")))
        if not isinstance(data, dict) or not isinstance(data.get("error"), str):
            raise CaseFailed(
                step, "an error body {error, code}" if codes else "an error body {error}", shorten(data)
            )

    def expect_unchanged(self, owner: Member, repo_id: str, version: int, epoch: int, step: str) -> None:
        """A rejected request changes nothing."""
        manifest = self.manifest(owner, repo_id)
        got = (manifest.get("payloadVersion"), manifest.get("keyEpoch"))
        self.expect(
            got == (version, epoch),
            step + " (state unchanged)",
            f"version/epoch {(version, epoch)}",
            str(got),
        )


def new_repo_id(prefix: str = "conf") -> str:
    return f"{prefix}-{secrets.token_hex(8)}"
