"""The ``avp`` command: one entry point, one sub-command module per area.

Conventions every sub-command follows: data on stdout, messages on stderr, ``--json`` for
machine-readable output, exit 0 on success, 1 when a check or run found failures, 2 on a
usage error, 3 when an operation failed with an :class:`~avp.errors.AvpError` (its code is printed).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from typing import Any, Optional, Sequence

from avp.errors import AvpError

#: (sub-command, module): each module has ``register(subparsers)`` that adds its parser and sets
#: ``func(args) -> int`` as the parser default.
COMMANDS: list[tuple[str, str]] = [
    ("serve", "avp.server.cli"),
    ("vectors", "avp.vectors.cli"),
    ("interop", "avp.interop.cli"),
    ("id", "avp.cli.identity"),
    ("repo", "avp.cli.repo"),
    ("member", "avp.cli.member"),
]

EXIT_OK, EXIT_FAILURES, EXIT_USAGE, EXIT_ERROR = 0, 1, 2, 3

#: Third-party modules the commands import lazily, and the extra of pyproject.toml that installs
#: each. The core install has none of them; a command that needs one names its extra.
EXTRA_OF_MODULE: dict[str, str] = {
    "requests": "client",
    "anyio": "server",
    "uvicorn": "server",
    "httptools": "server",
    "uvloop": "server",
    "psycopg": "postgres",
    "jsonschema": "interop",
    "tomli": "interop",
    "docker": "docker",
}


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    """Give a sub-command its own ``--json`` (also accepted before the sub-command)."""
    parser.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output on stdout"
    )


def wants_json(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "json", False))


def emit(args: argparse.Namespace, data: Any, text: str) -> None:
    """Data on stdout: ``data`` as JSON with ``--json``, else ``text``."""
    print(json.dumps(data, indent=2) if wants_json(args) else text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="avp",
        description="AVP 0.4 toolkit: identities, repositories, a server, vectors and the interop runner.",
        epilog="Run 'avp COMMAND --help' for the options of each command.",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for _name, module in COMMANDS:
        importlib.import_module(module).register(sub)
    return parser


def report_error(err: AvpError, as_json: bool) -> None:
    """Print an AvpError to stderr (and as a JSON object on stdout with --json)."""
    if as_json:
        print(json.dumps({"error": {"code": err.code, "message": str(err), "detail": err.detail}}))
    print(f"error[{err.code}]: {err}", file=sys.stderr)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(func(args))
    except AvpError as err:
        report_error(err, wants_json(args))
        return EXIT_ERROR
    except ModuleNotFoundError as err:
        extra = EXTRA_OF_MODULE.get((err.name or "").partition(".")[0])
        if extra is None:
            raise
        print(f"avp {args.command} needs the '{extra}' extra: pip install 'avp[{extra}]'", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
