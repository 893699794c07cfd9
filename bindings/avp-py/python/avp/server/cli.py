"""``avp serve``: run the AVP server (uvicorn, uvloop + httptools where available)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from avp.server.config import ENV, LOG_LEVELS, ServerConfig, from_env, to_env, with_values

#: (Limits field, flag, help) of the integer limits; each also has its AVP_* variable (config.ENV).
INT_LIMIT_FLAGS = (
    ("max_body_bytes", "--max-body-bytes", "largest request body"),
    ("max_repos_per_member", "--max-repos-per-member", "repos a member may be in"),
    ("max_members_per_repo", "--max-members-per-repo", "members per repository"),
    ("max_header_bytes", "--max-header-bytes", "request line + headers (431)"),
    ("max_headers", "--max-headers", "headers per request (431)"),
    ("header_timeout_seconds", "--header-timeout", "seconds to send the headers (408)"),
    (
        "min_body_bytes_per_second",
        "--min-body-rate",
        "bytes/s a body must keep beyond the header timeout (408)",
    ),
    ("idle_timeout_seconds", "--idle-timeout", "seconds an idle connection stays open"),
    ("max_connections", "--max-connections", "open connections per process (503)"),
    ("login_burst", "--login-burst", "login requests per address at once (429)"),
    ("login_per_minute", "--login-per-minute", "login requests per address refilled per minute"),
    ("create_burst", "--create-burst", "createRepo per address at once (429)"),
    ("create_per_minute", "--create-per-minute", "createRepo per address refilled per minute"),
    ("max_repos", "--max-repos", "repositories on this server (507)"),
    ("max_member_entries", "--max-member-entries", "member entries of all repositories (507)"),
    ("max_stored_bytes", "--max-stored-bytes", "manifest + envelope bytes stored (507)"),
)


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "serve",
        help="run the AVP server",
        description="Serve the AVP 0.4 HTTP/JSON profile. Every flag has an AVP_* environment variable; "
        "a flag wins over the variable. See docs/server.md.",
    )
    env = {name: var for name, var, _ in ENV}
    defaults = ServerConfig()

    def flag(name: str, *flags: str, kind: type = str, metavar: str = "N", help: str, **extra: Any) -> None:
        default = defaults
        for part in name.split("."):
            default = getattr(default, part)
        parser.add_argument(
            *flags,
            dest=name,
            type=kind,
            default=None,
            metavar=metavar,
            help=f"{help} [env {env[name]}; default {default}]",
            **extra,
        )

    flag("host", "--host", metavar="ADDRESS", help="address to listen on")
    flag("port", "--port", kind=int, help="TCP port")
    flag("db", "--db", metavar="DB", help="storage: a SQLite file path, 'memory:', or a postgresql:// URL")
    flag(
        "log_level", "--log-level", metavar="LEVEL", help="debug, info, warning or error", choices=LOG_LEVELS
    )
    flag(
        "public_url",
        "--public-url",
        metavar="URL",
        help="base URL clients use (e.g. the https URL of a TLS proxy)",
    )
    flag("workers", "--workers", kind=int, help="server processes (not with --db memory:)")
    flag(
        "signing_key_file",
        "--signing-key-file",
        metavar="PATH",
        help="file with the issuer's base64 Ed25519 seed",
    )
    for name, option, text in INT_LIMIT_FLAGS:
        flag(f"limits.{name}", option, kind=int, help=text)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from avp.server import logs
    from avp.server.app import app_from_env, create_app
    from avp.server.http import GuardedHttpProtocol
    from avp.server.keys import load_seed
    from avp.server.store import open_store

    try:
        config = with_values(from_env(os.environ), {name: getattr(args, name, None) for name, _, _ in ENV})
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if config.workers > 1 and config.db in ("memory:", ":memory:"):
        print("error: an in-memory store cannot be shared by several workers", file=sys.stderr)
        return 2
    logs.configure(config.log_level)
    if "://" not in config.db and config.db not in ("memory:", ":memory:"):
        Path(config.db).parent.mkdir(parents=True, exist_ok=True)
    # Migrate and settle the issuer key once, before any worker starts.
    store = open_store(config.db)
    try:
        store.migrate()
        load_seed(config, store)
    finally:
        if config.workers > 1:
            store.close()
    common: dict[str, Any] = {
        "host": config.host,
        "port": config.port,
        "log_config": None,
        "access_log": False,
        "server_header": False,
        "timeout_graceful_shutdown": 10,
        "http": GuardedHttpProtocol,
        "ws": "none",
        "lifespan": "on",
    }
    if config.workers > 1:
        os.environ.update(to_env(config))
        uvicorn.run(
            f"{app_from_env.__module__}:{app_from_env.__name__}",
            factory=True,
            workers=config.workers,
            **common,
        )
    else:
        uvicorn.run(create_app(config, store), **common)
    return 0
