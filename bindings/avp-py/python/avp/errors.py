"""The one error vocabulary of the AVP toolkit.

Every exception the package raises is an :class:`AvpError` with a stable snake_case ``code``.
The codes are shared by the Rust core (raised through the binding), the SDK, both servers
(as the ``code`` of an HTTP error body), the vectors (``expectedError``) and the interop reports.
"""

from __future__ import annotations

# No `typing` import: `import avp.crypto` loads this module, and typing (with re, enum, collections)
# would double the import time of the crypto core. Annotations are strings (PEP 563).


class AvpError(Exception):
    """Base class: ``code`` is stable and machine-readable; the message is for people."""

    code: str = "avp_error"
    #: HTTP status a server answers with for this error (None for client-side errors).
    status: int | None = None

    def __init__(self, message: str = "", *, detail: str | None = None) -> None:
        super().__init__(message or self.code)
        self.detail = detail


# --- cryptography and encodings (raised by the Rust core) -----------------------------------------
class InvalidTag(AvpError):
    """Authenticated decryption failed (wrong key, tampered data, wrong AAD). Deliberately opaque."""

    code = "invalid_tag"


class InvalidPassphrase(InvalidTag):
    """A sealed identity could not be opened with the given passphrase or recovery code."""

    code = "invalid_passphrase"


class InvalidKey(AvpError):
    """A key has the wrong length, is a low-order point, or gives an all-zero shared secret."""

    code = "invalid_key"


class UnsupportedScheme(AvpError):
    """A wrapped key or identity names a scheme or format version this toolkit does not know."""

    code = "unsupported_scheme"


class InvalidEncoding(AvpError):
    """Non-canonical base64, bad hex, malformed token JSON or a wrong-length field."""

    code = "invalid_encoding"


class CounterOutOfRange(AvpError):
    """A counter (payloadVersion, keyEpoch, ...) outside the integers 0 ..= 2**53 - 1."""

    code = "counter_out_of_range"


class InvalidAddress(AvpError):
    """An ``avp://host/repoId`` address that does not parse."""

    code = "invalid_address"


# --- HTTP/JSON profile (spec §6 table plus the project's documented extensions) --------------------
class BadRequest(AvpError):
    code = "bad_request"
    status = 400


class Unauthorized(AvpError):
    code = "unauthorized"
    status = 401


class Forbidden(AvpError):
    code = "forbidden"
    status = 403


class PolicyDenied(Forbidden):
    code = "policy_denied"
    status = 403


class NotFound(AvpError):
    code = "not_found"
    status = 404


class MethodNotAllowed(AvpError):
    code = "method_not_allowed"
    status = 405


class RequestTimeout(AvpError):
    """The request's headers or body did not arrive in time; the server closed the connection."""

    code = "request_timeout"
    status = 408


class DuplicateRepo(AvpError):
    code = "duplicate_repo"
    status = 409


class DuplicateMember(AvpError):
    """addMember for a member id already present with different public keys."""

    code = "duplicate_member"
    status = 409


class VersionConflict(AvpError):
    """removeMember computed against a stale payload version: re-pull and recompute."""

    code = "version_conflict"
    status = 409


class TooLarge(AvpError):
    code = "too_large"
    status = 413


class HeadersTooLarge(AvpError):
    """The request line and headers were over the server's limit; the connection was closed."""

    code = "headers_too_large"
    status = 431


class QuotaExceeded(AvpError):
    code = "quota_exceeded"
    status = 429

    def __init__(
        self, message: str = "", *, detail: str | None = None, retry_after: int | None = None
    ) -> None:
        super().__init__(message, detail=detail)
        self.retry_after = retry_after


class RateLimited(QuotaExceeded):
    """Too many requests from one client address (a server's token bucket; see ``Retry-After``)."""

    code = "rate_limited"
    status = 429


class StorageFull(AvpError):
    """The server holds as many repositories, member entries or bytes as it is configured to."""

    code = "storage_full"
    status = 507


class ServerError(AvpError):
    """A 5xx from a server, or a status outside the protocol's table."""

    code = "server_error"
    status = 500


class Overloaded(AvpError):
    """The server refused a new connection beyond its open-connection cap; retry later."""

    code = "overloaded"
    status = 503


# --- client-side defences and transport -------------------------------------------------------------
class BindingInvalid(AvpError):
    """A member's keyBindingSig is missing or does not verify against the pinned issuer key."""

    code = "binding_invalid"


class KeyChanged(AvpError):
    """A known member's X25519 key differs from the pinned one."""

    code = "key_changed"


class RollbackDetected(AvpError):
    """The server served a lower payloadVersion or keyEpoch than this client has already seen."""

    code = "rollback_detected"


class RefreshPolicyChanged(AvpError):
    """shareRefreshTokens turned from false to true; the user must confirm before it is honoured."""

    code = "refresh_policy_changed"


class Conflict(AvpError):
    """A push still conflicted after the bounded number of pull/re-apply/retry attempts."""

    code = "conflict"


class ProtocolError(AvpError):
    """A server answered with a body that breaks the wire contract."""

    code = "protocol_error"


class TransportError(AvpError):
    """The server could not be reached or the connection failed."""

    code = "transport_error"


class LocalStateError(AvpError):
    """The client's local state directory or database cannot be read or written."""

    code = "local_state_error"


class Unsupported(AvpError):
    """An actor or implementation does not support the requested operation (never a pass)."""

    code = "unsupported"


def _all_error_classes() -> list[type[AvpError]]:
    seen: list[type[AvpError]] = []
    stack: list[type[AvpError]] = [AvpError]
    while stack:
        cls = stack.pop()
        seen.append(cls)
        stack.extend(cls.__subclasses__())
    return seen


#: code -> exception class, for turning an error body or an actor reply back into an exception.
BY_CODE: dict[str, type[AvpError]] = {cls.code: cls for cls in _all_error_classes()}


def from_code(code: str, message: str = "", *, detail: str | None = None) -> AvpError:
    """Build the exception for ``code`` (an unknown code gives a plain :class:`AvpError`)."""
    err = BY_CODE.get(code, AvpError)(message or code, detail=detail)
    if err.code != code:
        err.code = code
    return err
