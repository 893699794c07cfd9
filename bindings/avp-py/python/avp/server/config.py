"""Server configuration: flags of ``avp serve``, each with an ``AVP_*`` environment variable."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping, Optional


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int = 2_097_152
    max_repos_per_member: int = 1000
    max_members_per_repo: int = 256
    nonce_ttl_seconds: int = 120
    token_ttl_seconds: int = 3600
    # Connections (avp.server.http): a head over these → 431, late head or body → 408.
    max_header_bytes: int = 16384
    max_headers: int = 100
    header_timeout_seconds: int = 10
    #: A body must arrive within header_timeout_seconds + its size / this rate.
    min_body_bytes_per_second: int = 16384
    idle_timeout_seconds: int = 10
    #: Open connections per process; beyond it a new one gets 503 and is closed.
    max_connections: int = 1000
    # Per client address token buckets (avp.server.ratelimit): requests allowed at once, refill.
    login_burst: int = 10000
    login_per_minute: int = 6000
    create_burst: int = 1000
    create_per_minute: int = 600
    # Global storage (507 storage_full beyond them).
    max_repos: int = 1_000_000
    max_member_entries: int = 10_000_000
    max_stored_bytes: int = 10 * 1024**3


def default_db() -> str:
    """``$XDG_DATA_HOME/avp/server.sqlite3`` (``~/.local/share`` when unset)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return str(Path(base) / "avp" / "server.sqlite3")


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8787
    #: ``memory:``, a SQLite file path, or a ``postgresql://`` URL.
    db: str = field(default_factory=default_db)
    log_level: str = "info"
    #: Base URL clients use (behind a TLS proxy: the https URL); also the token issuer id.
    public_url: Optional[str] = None
    workers: int = 1
    #: File holding the issuer's Ed25519 seed (base64); without it the seed lives in the database.
    signing_key_file: Optional[str] = None
    limits: Limits = field(default_factory=Limits)


#: (config attribute, environment variable, type); limits are spelled ``limits.<name>``.
ENV: tuple[tuple[str, str, type], ...] = (
    ("host", "AVP_HOST", str),
    ("port", "AVP_PORT", int),
    ("db", "AVP_DB", str),
    ("log_level", "AVP_LOG_LEVEL", str),
    ("public_url", "AVP_PUBLIC_URL", str),
    ("workers", "AVP_WORKERS", int),
    ("signing_key_file", "AVP_SIGNING_KEY_FILE", str),
    ("limits.max_body_bytes", "AVP_MAX_BODY_BYTES", int),
    ("limits.max_repos_per_member", "AVP_MAX_REPOS_PER_MEMBER", int),
    ("limits.max_members_per_repo", "AVP_MAX_MEMBERS_PER_REPO", int),
    ("limits.nonce_ttl_seconds", "AVP_NONCE_TTL_SECONDS", int),
    ("limits.token_ttl_seconds", "AVP_TOKEN_TTL_SECONDS", int),
    ("limits.max_header_bytes", "AVP_MAX_HEADER_BYTES", int),
    ("limits.max_headers", "AVP_MAX_HEADERS", int),
    ("limits.header_timeout_seconds", "AVP_HEADER_TIMEOUT_SECONDS", int),
    ("limits.min_body_bytes_per_second", "AVP_MIN_BODY_BYTES_PER_SECOND", int),
    ("limits.idle_timeout_seconds", "AVP_IDLE_TIMEOUT_SECONDS", int),
    ("limits.max_connections", "AVP_MAX_CONNECTIONS", int),
    ("limits.login_burst", "AVP_LOGIN_BURST", int),
    ("limits.login_per_minute", "AVP_LOGIN_PER_MINUTE", int),
    ("limits.create_burst", "AVP_CREATE_BURST", int),
    ("limits.create_per_minute", "AVP_CREATE_PER_MINUTE", int),
    ("limits.max_repos", "AVP_MAX_REPOS", int),
    ("limits.max_member_entries", "AVP_MAX_MEMBER_ENTRIES", int),
    ("limits.max_stored_bytes", "AVP_MAX_STORED_BYTES", int),
)


LOG_LEVELS = ("debug", "info", "warning", "error")


def with_values(config: ServerConfig, values: Mapping[str, Any]) -> ServerConfig:
    """Overlay ``{"port": 1, "limits.max_body_bytes": 2, ...}`` (None values are skipped) and
    check the result; ValueError names the first bad setting."""
    top = {k: v for k, v in values.items() if v is not None and not k.startswith("limits.")}
    lim = {k[7:]: v for k, v in values.items() if v is not None and k.startswith("limits.")}
    known = {f.name for f in fields(Limits)}
    if set(lim) - known:
        raise ValueError(f"unknown limits: {sorted(set(lim) - known)}")
    out = replace(config, **top)
    out = replace(out, limits=replace(out.limits, **lim)) if lim else out
    _check(out)
    return out


def _check(config: ServerConfig) -> None:
    if not 0 <= config.port <= 65535:
        raise ValueError(f"port {config.port} is not in 0..65535")
    if config.workers < 1:
        raise ValueError("workers must be at least 1")
    if config.log_level.lower() not in LOG_LEVELS:
        raise ValueError(f"log level {config.log_level!r} is not one of {', '.join(LOG_LEVELS)}")
    if config.public_url is not None and not config.public_url.startswith(("http://", "https://")):
        raise ValueError("the public URL must start with http:// or https://")
    for item in fields(Limits):
        if getattr(config.limits, item.name) < 1:
            raise ValueError(f"{item.name} must be at least 1")


def from_env(environ: Mapping[str, str], base: Optional[ServerConfig] = None) -> ServerConfig:
    values: dict[str, Any] = {}
    for name, var, kind in ENV:
        raw = environ.get(var)
        if raw:
            try:
                values[name] = kind(raw)
            except ValueError:
                raise ValueError(f"{var}={raw!r} is not a valid {kind.__name__}") from None
    return with_values(base or ServerConfig(), values)


def to_env(config: ServerConfig) -> dict[str, str]:
    """The environment that makes :func:`from_env` rebuild ``config`` (for worker processes)."""
    out: dict[str, str] = {}
    for name, var, _kind in ENV:
        obj: Any = config
        for part in name.split("."):
            obj = getattr(obj, part)
        if obj is not None:
            out[var] = str(obj)
    return out
