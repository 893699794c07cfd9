"""§6 limits and quotas, taken from the server's own discovery document."""

from __future__ import annotations

import http.client
import json
import urllib.parse

from avp.interop import material
from avp.interop.conformance.context import Context
from avp.interop.material import Member
from avp.interop.model import Case, Level, case
from avp.interop.rawhttp import Response

#: quotas larger than this are not exhausted by the suite (too slow for a quick run); the check says so
MAX_QUOTA_TO_EXHAUST = 300
QUOTA_TOO_LARGE = f"above {MAX_QUOTA_TO_EXHAUST}, not exhausted by the suite"


def _expect_quota_exceeded(ctx: Context, resp: Response, step: str) -> None:
    """429 quota_exceeded, with Retry-After: 60."""
    ctx.expect_error(resp, 429, "quota_exceeded", step)
    ctx.expect(resp.header("retry-after") == "60", step, "Retry-After: 60", str(resp.header("retry-after")))


@case(
    "wire/6.limits.content-length",
    "a Content-Length over maxBodyBytes is 413 too_large, answered before the body",
    level=Level.HARDENING,
    security="a server that reads any body to its end can be made to hold gigabytes in memory",
)
def content_length(ctx: Context) -> None:
    limit = ctx.limit("maxBodyBytes", 2_097_152)
    parts = urllib.parse.urlsplit(ctx.base_url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=5)
    try:
        conn.putrequest("POST", "/v1/repos")
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(limit + 1))
        conn.endheaders()  # and no body at all: a server that waits for it never answers
        try:
            resp = conn.getresponse()
            status, body = resp.status, resp.read()
        except (OSError, http.client.HTTPException) as err:
            status, body = 0, str(err).encode()
    finally:
        conn.close()
    ctx.http.transcript.append(
        {
            "request": {
                "method": "POST",
                "path": "/v1/repos",
                "headers": {"Content-Length": str(limit + 1)},
                "body": None,
            },
            "response": {"status": status, "body": body[:300].decode("utf-8", "replace")},
        }
    )
    code = None
    try:
        code = json.loads(body).get("code")
    except (ValueError, AttributeError):
        pass
    ctx.expect(
        (status, code) == (413, "too_large"),
        "oversize Content-Length, body not sent",
        "413 too_large",
        f"{status} {code}",
    )


@case(
    "wire/6.limits.chunked",
    "a chunked body that passes maxBodyBytes is 413 as soon as it passes the limit",
    level=Level.HARDENING,
    security="a server that reads any body to its end can be made to hold gigabytes in memory",
)
def chunked(ctx: Context) -> None:
    owner = Member.random()
    repo_id, _body, _key = ctx.create(owner)
    limit = ctx.limit("maxBodyBytes", 2_097_152)
    status = ctx.http.streamed_over_limit(ctx.repo_path(repo_id, "push"), limit, ctx.token(owner))
    ctx.expect(
        status == 413,
        "chunked body past the limit, never finished",
        "413 while the body is still open",
        str(status),
    )
    ctx.expect_unchanged(owner, repo_id, 1, 0, "oversize push")


@case("wire/6.limits.near-limit", "a valid push just under maxBodyBytes is accepted", level=Level.SPEC)
def near_limit(ctx: Context) -> None:
    owner = Member.random()
    repo_id, _body, key = ctx.create(owner)
    limit = ctx.limit("maxBodyBytes", 2_097_152)
    filler = "a" * int(limit * 0.7)  # base64 of the ciphertext adds a third
    body = {
        "repoId": repo_id,
        "expectedPayloadVersion": 1,
        "envelope": material.envelope(key, repo_id, 2, 0, [material.alt("big", accessToken=filler)]),
    }
    size = len(json.dumps(body, separators=(",", ":")))
    ctx.expect(size < limit, "build the body", f"a body under {limit} bytes", f"{size} bytes")
    data = ctx.expect_ok(
        ctx.request("POST", ctx.repo_path(repo_id, "push"), body, token=ctx.token(owner)),
        f"push of {size} bytes",
    )
    ctx.expect(data.get("accepted") is True, f"push of {size} bytes", "accepted", data)


@case(
    "wire/6.limits.members-quota",
    "addMember past maxMembersPerRepo is 429 quota_exceeded with Retry-After",
    level=Level.EXTENSION,
    needs=("quotas",),
)
def members_quota(ctx: Context) -> None:
    limit = ctx.small_limit("maxMembersPerRepo", 256, MAX_QUOTA_TO_EXHAUST, QUOTA_TOO_LARGE)
    owner = Member.random()
    repo_id, _body, key = ctx.create(owner)
    for _ in range(limit - 1):
        ctx.add(owner, repo_id, Member.random(), key)
    resp = ctx.post_add_member(owner, repo_id, material.member_entry(Member.random(), key, 0))
    _expect_quota_exceeded(ctx, resp, f"member {limit + 1}")


@case(
    "wire/6.limits.repos-quota",
    "createRepo past maxReposPerMember is 429 quota_exceeded with Retry-After",
    level=Level.EXTENSION,
    needs=("quotas",),
)
def repos_quota(ctx: Context) -> None:
    limit = ctx.small_limit("maxReposPerMember", 1000, MAX_QUOTA_TO_EXHAUST, QUOTA_TOO_LARGE)
    owner = Member.random()
    for _ in range(limit):
        ctx.create(owner)
    body, _key = material.new_repo(owner, f"quota-{owner.id[:8]}-over")
    resp = ctx.request("POST", "/v1/repos", body, token=ctx.token(owner))
    _expect_quota_exceeded(ctx, resp, f"repository {limit + 1}")


CASES: list[Case[Context]] = [
    content_length,
    chunked,
    near_limit,
    members_quota,
    repos_quota,
]
