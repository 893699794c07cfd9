"""The ASGI application: routing on the raw path, the order of checks, errors and logs.

Wire contract §1 fixes the order in which a request is checked, so that a request with several
faults gets the same answer from every server: route (404) → method (405) → Content-Length (413)
→ bearer token (401) → body size (413) → strict JSON and schema (400) → path ids (400) → repo
exists (404) → caller is a member (403) → route semantics. All of it runs on the event loop; only
store calls that may block go to worker threads (see storeio.py).

Routing splits the *escaped* path on ``/`` before percent-decoding (a member id may contain
``%2F``). The application is a bare ASGI callable: a framework's routing and middleware would cost
a fifth of a pull's time and do nothing this module does not.
"""

from __future__ import annotations

import base64
import os
import re
import time
from collections.abc import Awaitable, MutableMapping
from dataclasses import dataclass
from typing import Any, Callable, Optional, Union
from urllib.parse import unquote_to_bytes

from avp.crypto import ed25519_verify, is_low_order_x25519
from avp.errors import (
    AvpError,
    BadRequest,
    MethodNotAllowed,
    NotFound,
    QuotaExceeded,
    RateLimited,
    TooLarge,
    Unauthorized,
)
from avp.server import http, logs, wire
from avp.server.config import ServerConfig
from avp.server.keys import load_seed
from avp.server.nonces import ChallengeNonces, derive_key
from avp.server.ratelimit import TokenBuckets
from avp.server.store import Capacity, Store, open_store
from avp.server.storeio import StoreIO
from avp.server.strictjson import dumps, loads_object
from avp.server.tokens import Caller, Issuer
from avp.server.vault import Vault

try:
    from importlib.metadata import version as _dist_version

    VERSION = _dist_version("avp")
except Exception:  # not installed as a distribution (e.g. a source checkout on sys.path)
    VERSION = "0+unknown"

AVP_VERSION = "0.4"
_BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")
_JSON = [(b"content-type", b"application/json")]

Body = Union[str, dict[str, Any]]
# ASGI's scope, receive and send (the specification defines them as plain mappings and callables).
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


@dataclass
class Call:
    """What a handler gets: the checked caller, the raw body and the escaped path ids."""

    server: AvpServer
    caller: Optional[Caller]
    body: bytes
    ids: tuple[bytes, ...]
    base_url: str

    @property
    def member_id(self) -> str:
        assert self.caller is not None
        return self.caller.member_id

    def json(self) -> dict[str, Any]:
        return loads_object(self.body)

    def path_id(self, index: int) -> str:
        """Percent-decode one path id segment (UTF-8, strict escapes, ``+`` stays ``+``)."""
        raw = self.ids[index]
        if b"%" in raw:
            if _BAD_ESCAPE.search(raw):
                raise BadRequest("invalid path", detail="bad percent-escape in a path segment")
            raw = unquote_to_bytes(raw)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequest("invalid path", detail="a path segment is not UTF-8") from None

    def path_repo(self, body_repo_id: Optional[str]) -> str:
        repo_id = wire.repo_id(self.path_id(0), "path repoId")
        if body_repo_id is not None and body_repo_id != repo_id:
            raise BadRequest("invalid path", detail="the path repoId and the body repoId differ")
        return repo_id


Handler = Callable[[Call], Awaitable[Body]]


# --- handlers ---------------------------------------------------------------------------------------
async def challenge(call: Call) -> Body:
    member_id = wire.challenge_request(call.json())
    nonce = call.server.nonces.issue(base64.b64decode(member_id), int(time.time() * 1000))
    return {"nonce": base64.b64encode(nonce).decode("ascii")}


async def token(call: Call) -> Body:
    member_id, public, nonce, signature = wire.token_request(call.json())
    now = time.time()
    issued = call.server.nonces.check(nonce, public, int(now * 1000))
    if issued is None:
        raise Unauthorized("unknown, expired or other-key nonce")
    # Verify before recording: a forged attempt must not consume (burn) the client's nonce.
    if not ed25519_verify(public, nonce, signature):
        raise Unauthorized("bad signature")
    random_part, expires_ms = issued
    if not await call.server.io.write(call.server.store.use_nonce, random_part, expires_ms / 1000, now):
        raise Unauthorized("used nonce")
    jwt, expires_at = call.server.issuer.mint(member_id)
    return {"token": jwt, "expiresAt": expires_at}


async def create_repo(call: Call) -> Body:
    manifest, envelope = wire.create_request(call.json())
    return await call.server.vault.create(call.member_id, manifest, envelope)


async def pull(call: Call) -> Body:
    repo_id, known = wire.pull_request(call.json())
    return await call.server.vault.pull(call.member_id, call.path_repo(repo_id), known)


async def push(call: Call) -> Body:
    repo_id, envelope, expected, rotated = wire.push_request(call.json())
    return await call.server.vault.push(call.member_id, call.path_repo(repo_id), envelope, expected, rotated)


async def add_member(call: Call) -> Body:
    repo_id, member = wire.add_member_request(call.json())
    return await call.server.vault.add_member(call.member_id, call.path_repo(repo_id), member)


async def remove_member(call: Call) -> Body:
    repo_id, removed, envelope, rewrapped, epoch = wire.remove_member_request(call.json())
    repo_id = call.path_repo(repo_id)
    return await call.server.vault.remove_member(call.member_id, repo_id, removed, envelope, rewrapped, epoch)


async def fetch_member(call: Call) -> Body:
    repo_id = call.path_repo(None)
    member_id = wire.member_id(call.path_id(1), "path memberId")
    return await call.server.vault.fetch_member(call.member_id, repo_id, member_id)


async def key_binding(call: Call) -> Body:
    x25519_b64, x25519_raw = wire.key_binding_request(call.json())
    if is_low_order_x25519(x25519_raw):
        raise BadRequest("low-order X25519 key", detail="x25519PublicKey is a low-order point")
    issuer = call.server.issuer
    return {
        "ed25519PublicKey": call.member_id,
        "x25519PublicKey": x25519_b64,
        "keyBindingSig": base64.b64encode(issuer.bind(call.member_id, x25519_b64)).decode("ascii"),
        "kid": issuer.kid,
        "issuerJwksUrl": call.base_url + "/.well-known/jwks.json",
    }


async def discovery(call: Call) -> Body:
    limits = call.server.config.limits
    return {
        "profiles": ["http-json"],
        "avpVersion": AVP_VERSION,
        "issuerJwksUrl": call.base_url + "/.well-known/jwks.json",
        "keyBindingUrl": call.base_url + "/v1/key-binding",
        "limits": {
            "maxBodyBytes": limits.max_body_bytes,
            "maxReposPerMember": limits.max_repos_per_member,
            "maxMembersPerRepo": limits.max_members_per_repo,
            "nonceTtlSeconds": limits.nonce_ttl_seconds,
            "tokenTtlSeconds": limits.token_ttl_seconds,
        },
        "implementation": {"name": "avp-python", "language": "python", "version": VERSION},
    }


async def jwks(call: Call) -> Body:
    return call.server.issuer.jwks


@dataclass(frozen=True)
class Route:
    #: Literal segments, with None for an id segment.
    segments: tuple[Optional[str], ...]
    method: str
    template: str
    handler: Handler
    auth: bool
    #: The per-address token bucket the route draws from ("login", "create"), if any.
    bucket: Optional[str]


def _route(
    method: str, template: str, handler: Handler, *, auth: bool, bucket: Optional[str] = None
) -> Route:
    segments = tuple(None if s.startswith("{") else s for s in template.strip("/").split("/"))
    return Route(segments, method, template, handler, auth, bucket)


ROUTES: tuple[Route, ...] = (
    _route("POST", "/api/auth/keypair/challenge", challenge, auth=False, bucket="login"),
    _route("POST", "/api/auth/keypair/token", token, auth=False, bucket="login"),
    _route("POST", "/v1/repos", create_repo, auth=True, bucket="create"),
    _route("POST", "/v1/repos/{repoId}/pull", pull, auth=True),
    _route("POST", "/v1/repos/{repoId}/push", push, auth=True),
    _route("POST", "/v1/repos/{repoId}/add-member", add_member, auth=True),
    _route("POST", "/v1/repos/{repoId}/remove-member", remove_member, auth=True),
    _route("GET", "/v1/repos/{repoId}/member/{memberId}", fetch_member, auth=True),
    _route("POST", "/v1/key-binding", key_binding, auth=True),
    _route("GET", "/.well-known/avp", discovery, auth=False),
    _route("GET", "/.well-known/jwks.json", jwks, auth=False),
)


def match(raw_path: bytes) -> Optional[tuple[Route, tuple[bytes, ...]]]:
    """The route of an escaped path and its (still escaped) id segments."""
    if not raw_path.startswith(b"/"):
        return None
    parts = raw_path[1:].split(b"/")
    if b"" in parts:
        return None
    for route in ROUTES:
        if len(route.segments) != len(parts):
            continue
        ids: list[bytes] = []
        for literal, part in zip(route.segments, parts):
            if literal is None:
                ids.append(part)
            elif literal.encode() != part:
                break
        else:
            return route, tuple(ids)
    return None


def _header(scope: Scope, name: bytes) -> Optional[bytes]:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ConnectionAbortedError("client went away")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise TooLarge("body too large", detail=f"the limit is {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _send(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _error_body(err: AvpError) -> bytes:
    body = {"error": str(err), "code": err.code}
    if err.detail:
        body["detail"] = err.detail
    return dumps(body).encode()


class AvpServer:
    """Serves every path of the HTTP/JSON profile."""

    def __init__(self, config: ServerConfig, store: Store) -> None:
        self.config = config
        self.store = store
        limits = config.limits
        store.capacity = Capacity(limits.max_repos, limits.max_member_entries, limits.max_stored_bytes)
        self.io = StoreIO(store)
        self.vault = Vault(self.io, config.limits)
        issuer_id = config.public_url.rstrip("/") if config.public_url else None
        seed = load_seed(config, store)
        self.issuer = Issuer(seed, issuer_id, config.limits.token_ttl_seconds)
        self.nonces = ChallengeNonces(derive_key(seed), config.limits.nonce_ttl_seconds)
        self.buckets = {
            "login": TokenBuckets(limits.login_burst, limits.login_per_minute),
            "create": TokenBuckets(limits.create_burst, limits.create_per_minute),
        }

    def _base_url(self, scope: Scope) -> str:
        if self.config.public_url:
            return self.config.public_url.rstrip("/")
        host = _header(scope, b"host")
        if host:
            return "http://" + host.decode("latin-1")
        server = scope.get("server") or (self.config.host, self.config.port)
        return f"http://{server[0]}:{server[1]}"

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        method = scope["method"]
        raw_path = scope.get("raw_path") or scope["path"].encode()
        found = match(raw_path.split(b"?", 1)[0])
        template = found[0].template if found else "(unknown)"
        status, code = 200, None
        try:
            if found is None:
                raise NotFound("no such route")
            route, ids = found
            if method != route.method:
                err = MethodNotAllowed(f"use {route.method}")
                status, code = 405, err.code
                await _send(send, 405, _error_body(err), [*_JSON, (b"allow", route.method.encode())])
                return
            if route.bucket is not None:
                self._spend(route.bucket, scope)
            answer = await self._answer(scope, receive, route, ids)
            body = (answer if isinstance(answer, str) else dumps(answer)).encode()
            await _send(send, 200, body, _JSON)
        except AvpError as err:
            status, code = err.status or 500, err.code
            headers = list(_JSON)
            if isinstance(err, QuotaExceeded):
                headers.append((b"retry-after", str(err.retry_after or 60).encode()))
            await _send(send, status, _error_body(err), headers)
        except ConnectionAbortedError:
            status, code = 499, "client_closed"
        except Exception:
            status, code = 500, "server_error"
            logs.LOGGER.exception("unhandled error", extra={"fields": {"route": template}})
            await _send(send, 500, b'{"error":"internal error","code":"server_error"}', _JSON)
        finally:
            logs.request(method, template, status, code, started)

    async def _answer(self, scope: Scope, receive: Receive, route: Route, ids: tuple[bytes, ...]) -> Body:
        limit = self.config.limits.max_body_bytes
        length = _header(scope, b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            raise TooLarge("body too large", detail=f"the limit is {limit} bytes")
        caller = self._caller(scope) if route.auth else None
        call = Call(self, caller, b"", ids, self._base_url(scope))
        if route.method == "POST":
            call.body = await _read_body(receive, limit)
        return await route.handler(call)

    def _spend(self, bucket: str, scope: Scope) -> None:
        client = scope.get("client")
        wait = self.buckets[bucket].take(client[0] if client else "", time.monotonic())
        if wait is not None:
            raise RateLimited("too many requests from this address", retry_after=wait)

    def _caller(self, scope: Scope) -> Caller:
        header = _header(scope, b"authorization")
        if header is None:
            raise Unauthorized("missing bearer token")
        scheme, _, credentials = header.decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            raise Unauthorized("malformed authorization header")
        return self.issuer.check(credentials.strip())


class AvpApp:
    """The ASGI application: HTTP requests go to :class:`AvpServer`; the lifespan's shutdown closes
    the store."""

    def __init__(self, server: AvpServer) -> None:
        self.server = server

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self.server.handle(scope, receive, send)
        elif scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    self.server.store.close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return


def create_app(config: ServerConfig, store: Optional[Store] = None) -> AvpApp:
    """The ASGI application; ``store`` defaults to the one ``config.db`` names (migrated)."""
    if store is None:
        store = open_store(config.db)
        store.migrate()
    http.configure(config.limits)
    return AvpApp(AvpServer(config, store))


def app_from_env() -> AvpApp:
    """Factory for uvicorn worker processes: the configuration comes from ``AVP_*`` variables."""
    from avp.server.config import from_env

    return create_app(from_env(os.environ))
