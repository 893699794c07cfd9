"""``avp interop observe [--server NAME|URL] [--report-dir D] [--level L] -- CMD [ARGS...]``."""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from avp.cli import EXIT_ERROR, EXIT_FAILURES, EXIT_OK, EXIT_USAGE, add_json_flag, wants_json

#: which levels' failures make the exit status 1
LEVEL_CHOICES = ("spec", "hardening", "all")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--server",
        default="python",
        metavar="NAME|URL",
        help="a server from the registry (started for the run) or the URL of a running one (default python)",
    )
    parser.add_argument(
        "--registry", type=Path, help="implementations file (default: found from here upwards)"
    )
    parser.add_argument(
        "--report-dir",
        type=Path,
        default=Path("reports/observe"),
        help="where the reports go (default reports/observe)",
    )
    parser.add_argument(
        "--level",
        choices=LEVEL_CHOICES,
        default="all",
        help="which levels' failures make the exit status 1 (default all)",
    )
    parser.add_argument(
        "--timeout", type=float, default=120.0, help="seconds the command may run (default 120)"
    )
    add_json_flag(parser)
    parser.add_argument(
        "command", nargs=argparse.REMAINDER, metavar="-- CMD [ARGS...]", help="the client to observe"
    )


def run(args: argparse.Namespace) -> int:
    from avp.interop import launcher
    from avp.interop.launcher import Unavailable

    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        print(
            "error: give the client's command after --, e.g. avp interop observe -- ./my-client",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        impl = _server_entry(args.server, args.registry)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    try:
        server = _start(impl, args.report_dir, launcher)
    except Unavailable as err:
        print(f"error: the server {impl.name} is unavailable: {err}", file=sys.stderr)
        return EXIT_USAGE
    try:
        return _observe_and_report(args, command, server)
    except Exception:  # a bug of ours: distinct exit status, the traceback for the bug report
        traceback.print_exc()
        return EXIT_ERROR
    finally:
        server.stop()


def _server_entry(spec: str, registry_path: Any) -> Any:
    from avp.interop import registry

    if spec.startswith(("http://", "https://")):
        return registry.remote_server(spec)
    found = registry_path or registry.find_registry()
    entries = registry.load(found) if found else registry.builtin()
    match = [i for i in entries if i.name == spec and i.is_server]
    if not match:
        known = ", ".join(i.name for i in entries if i.is_server) or "none"
        raise ValueError(f"no server named {spec!r} in the registry (known: {known})")
    return match[0]


def _start(impl: Any, report_dir: Path, launcher: Any) -> Any:
    if impl.url is not None:  # a running server: nothing to start, no route assumed
        return launcher.RunningServer(impl, impl.url, {})
    launcher.run_build(impl, report_dir, lambda line: print(line, file=sys.stderr))
    return launcher.start_server(impl, report_dir)


def _observe_and_report(args: argparse.Namespace, command: list[str], server: Any) -> int:
    from avp.interop import report
    from avp.interop.observe.results import case_results, column_of
    from avp.interop.observe.session import observe
    from avp.interop.runner import RunResult

    started = time.time()
    observation = observe(command, server, args.report_dir, args.timeout)
    column = column_of(observation.command, server.impl.name)
    results = case_results(observation, column)
    run = RunResult(
        results=results,
        implementations=[
            {
                "name": server.impl.name,
                "role": "server",
                "language": server.described("language"),
                "version": server.described("version"),
                "available": True,
            }
        ],
        columns=[],
        started_at=started,
        duration_s=time.time() - started,
        seed="",
        strict=False,
        notes=[
            f"observed: {' '.join(command)} ({len(observation.exchanges)} exchanges, client output in "
            f"{observation.log})"
        ],
    )
    paths = report.write_all(run, args.report_dir)
    if wants_json(args):
        print(json.dumps(report.results_json(run)))
    else:
        print(report.terminal_matrix(run))
        print(f"\nreports: {paths['json']}, {paths['junit']}, {paths['html']}, {paths['pairs']}/")
    return EXIT_FAILURES if _failed(results, args.level) else EXIT_OK


def _failed(results: list[Any], level: str) -> bool:
    from avp.interop.model import Level, Outcome

    counted = {"spec": (Level.MUST,), "hardening": (Level.MUST, Level.SHOULD), "all": tuple(Level)}[level]
    return any(r.outcome is Outcome.FAIL and r.level in counted for r in results)
