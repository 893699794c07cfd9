"""HTTP transport: bearer tokens cached per server, error mapping, 429 handling.

Rules (spec §3, §6): a token is server-local, so the cache is keyed by the server's origin and a
token is only ever sent to the origin that minted it. Every non-2xx answer is terminal and becomes
the :mod:`avp.errors` class named by the body's ``code`` (or by the status when a server sends no
code); the two exceptions are a 401 on a cached token (the token may have expired or the server
restarted: authenticate once more, then the 401 is terminal) and a 429 whose ``Retry-After`` is short
enough to wait for (a rejected request changed nothing, so sending it again is safe).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Optional
from urllib.parse import quote, urlsplit

import requests

from avp import crypto
from avp.errors import AvpError, ProtocolError, QuotaExceeded, TransportError, from_code
from avp.models import check_counter, dumps_compact, loads_strict

#: Default code for a status when the server's error body carries none (the reference servers).
STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "duplicate_repo",
    413: "too_large",
    429: "quota_exceeded",
}
#: Re-authenticate this long before the server's stated expiry (clock skew, request latency).
EXPIRY_MARGIN_MS = 30_000

Signer = Callable[[bytes], bytes]


def normalize_base_url(base_url: str) -> str:
    """``scheme://authority[/path]`` without a trailing slash; rejects anything that is not http(s)."""
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise TransportError("a server must be an http:// or https:// base URL", detail=base_url)
    return f"{parts.scheme}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


def host_of(base_url: str) -> str:
    """The ``host[:port]`` authority of a base URL: the host part of an ``avp://`` address."""
    return urlsplit(base_url).netloc.lower()


def path_segment(value: str) -> str:
    """Percent-encode one path segment (``+`` → ``%2B``, ``/`` → ``%2F``, ``=`` → ``%3D``)."""
    return quote(value, safe="")


def printable(text: str, limit: int = 300) -> str:
    """Server-supplied text made safe to print: no control characters (terminal escapes), bounded."""
    clean = "".join(c if c.isprintable() else "?" for c in text)
    return clean if len(clean) <= limit else clean[: limit - 3] + "..."


def error_from_response(status: int, body: bytes, retry_after: Optional[int] = None) -> AvpError:
    """The exception for a non-2xx answer: the body's ``code`` wins, else the status decides."""
    message, detail, code = f"HTTP {status}", None, None
    try:
        parsed = loads_strict(body, ProtocolError)
    except ProtocolError:
        parsed = None
    if isinstance(parsed, dict):
        if isinstance(parsed.get("error"), str):
            message = printable(parsed["error"])
        if isinstance(parsed.get("detail"), str):
            detail = printable(parsed["detail"])
        raw_code = parsed.get("code")
        if isinstance(raw_code, str) and raw_code and len(raw_code) <= 64 and raw_code.isidentifier():
            code = raw_code
    if code is None:
        code = STATUS_CODES.get(status, "server_error" if status >= 500 else "protocol_error")
    err = from_code(code, message, detail=detail)
    if isinstance(err, QuotaExceeded):
        err.retry_after = retry_after
    err.status = status  # the status actually received (the class default is the usual one)
    return err


def _retry_after_seconds(value: Optional[str]) -> Optional[int]:
    if value is None or not value.strip().isdigit():
        return None  # an HTTP-date is not worth the parse: treat it as "do not wait"
    return int(value.strip())


@dataclass(frozen=True)
class Token:
    token: str
    expires_at: int  # epoch ms, as the server stated it


class Transport:
    """One HTTP session for one identity, talking to any number of servers.

    ``sleep`` and ``clock`` are injectable so tests can observe waits without waiting.
    """

    def __init__(
        self,
        member_id: str,
        sign: Signer,
        *,
        session: Optional[requests.Session] = None,
        timeout: float = 30.0,
        max_retry_after: float = 10.0,
        max_rate_limit_retries: int = 3,
        max_response_bytes: int = 64 * 1024 * 1024,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.member_id = member_id
        self._sign = sign
        self._session = session or requests.Session()
        self._owns_session = session is None
        self.timeout = timeout
        self.max_retry_after = max_retry_after
        self.max_rate_limit_retries = max_rate_limit_retries
        self.max_response_bytes = max_response_bytes
        self._sleep = sleep
        self._clock = clock
        self._tokens: dict[str, Token] = {}

    def close(self) -> None:
        self._tokens.clear()
        if self._owns_session:
            self._session.close()

    # --- raw exchange -------------------------------------------------------------------------------
    def _send(self, method: str, url: str, body: Any, token: Optional[str]) -> requests.Response:
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = dumps_compact(body)
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        try:
            return self._session.request(
                method,
                url,
                data=data,
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,
                stream=True,  # read the body ourselves, with a size limit
            )
        except requests.RequestException as exc:
            # The exception text may carry the URL but never a header, so no token leaks through it.
            raise TransportError(f"cannot reach {host_of(url)}", detail=type(exc).__name__) from None

    def _exchange(self, method: str, url: str, body: Any, token: Optional[str]) -> Any:
        """Send, honouring a short ``Retry-After`` on 429; return the parsed 2xx JSON body."""
        attempt = 0
        while True:
            response = self._send(method, url, body, token)
            with response:
                status = response.status_code
                content = self._read_body(response, url)
                retry_after = _retry_after_seconds(response.headers.get("Retry-After"))
            if 200 <= status < 300:
                return loads_strict(content, ProtocolError)
            err = error_from_response(status, content, retry_after)
            can_wait = retry_after is not None and retry_after <= self.max_retry_after
            if status == 429 and can_wait and attempt < self.max_rate_limit_retries:
                attempt += 1
                self._sleep(float(retry_after or 0))
                continue
            raise err

    def _read_body(self, response: requests.Response, url: str) -> bytes:
        chunks, size = [], 0
        try:
            for chunk in response.iter_content(chunk_size=65536):
                size += len(chunk)
                if size > self.max_response_bytes:
                    raise ProtocolError(
                        f"{host_of(url)} answered with more than {self.max_response_bytes} bytes"
                    )
                chunks.append(chunk)
        except requests.RequestException as exc:
            raise TransportError(f"connection to {host_of(url)} failed", detail=type(exc).__name__) from None
        return b"".join(chunks)

    # --- public -------------------------------------------------------------------------------------
    def get_json(self, url: str) -> Any:
        """An unauthenticated GET of an absolute URL (discovery, JWKS)."""
        return self._exchange("GET", url, None, None)

    def authenticate(self, base_url: str) -> Token:
        """Challenge → sign the raw nonce bytes → token; the token is cached for ``base_url`` only."""
        base = normalize_base_url(base_url)
        challenge = self._exchange(
            "POST", f"{base}/api/auth/keypair/challenge", {"ed25519PublicKey": self.member_id}, None
        )
        nonce = challenge.get("nonce") if isinstance(challenge, dict) else None
        if not isinstance(nonce, str):
            raise ProtocolError("challenge answer has no nonce")
        try:
            nonce_bytes = crypto.b64decode_strict(nonce)
        except AvpError:
            raise ProtocolError("challenge nonce is not strict base64") from None
        if len(nonce_bytes) < 32:
            raise ProtocolError("challenge nonce is shorter than 32 bytes")
        signature = crypto.b64encode(self._sign(nonce_bytes))
        answer = self._exchange(
            "POST",
            f"{base}/api/auth/keypair/token",
            {"ed25519PublicKey": self.member_id, "nonce": nonce, "signature": signature},
            None,
        )
        if not isinstance(answer, dict) or not isinstance(answer.get("token"), str):
            raise ProtocolError("token answer has no token")
        raw_expiry = answer.get("expiresAt")
        # Servers that never expire tokens may omit expiresAt; then rely on the 401 path.
        expires_at = 2**53 - 1 if raw_expiry is None else check_counter(raw_expiry, "token answer expiresAt")
        token = Token(answer["token"], expires_at)
        self._tokens[base] = token
        return token

    def cached_token(self, base_url: str) -> Optional[Token]:
        return self._tokens.get(normalize_base_url(base_url))

    def _valid_token(self, base: str) -> Token:
        token = self._tokens.get(base)
        if token is None or token.expires_at - EXPIRY_MARGIN_MS <= self._clock() * 1000:
            token = self.authenticate(base)
        return token

    def call(self, base_url: str, method: str, path: str, body: Any = None) -> Any:
        """An authenticated vault request; ``path`` must already have its ids percent-encoded."""
        base = normalize_base_url(base_url)
        was_cached = base in self._tokens
        token = self._valid_token(base)
        try:
            return self._exchange(method, f"{base}{path}", body, token.token)
        except AvpError as err:
            if not was_cached or err.status != 401 or err.code != "unauthorized":
                raise
        # The cached token was refused (expired early, or the server restarted): one fresh token.
        self._tokens.pop(base, None)
        return self._exchange(method, f"{base}{path}", body, self.authenticate(base).token)
