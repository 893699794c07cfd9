"""``avp interop observe [--server NAME|URL] [--report-dir D] [--level L] -- CMD [ARGS...]``."""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

from avp.cli import EXIT_ERROR, EXIT_USAGE, add_json_flag, wants_json

if TYPE_CHECKING:
    from avp.interop.launcher import RunningServer


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
        "--timeout", type=float, default=120.0, help="seconds the command may run (default 120)"
    )
    add_json_flag(parser)
    parser.add_argument(
        "command", nargs=argparse.REMAINDER, metavar="-- CMD [ARGS...]", help="the client to observe"
    )


def run(args: argparse.Namespace) -> int:
    from avp.interop import launcher, registry, runner
    from avp.interop.launcher import Unavailable

    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        print(
            "error: give the client's command after --, e.g. avp interop observe -- ./my-client",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        found = args.registry or registry.find_registry()
        entries = registry.load(found) if found else registry.builtin()
        impl = runner.pick(entries, [args.server], "server")[0]
    except ValueError as err:  # an unknown server or a RegistryError
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    try:
        launcher.run_build(impl, args.report_dir, lambda line: print(line, file=sys.stderr))
        server = launcher.start_server(impl, args.report_dir)
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


def _observe_and_report(args: argparse.Namespace, command: list[str], server: RunningServer) -> int:
    from avp.interop import report, runner
    from avp.interop.cli import exit_status
    from avp.interop.observe.results import case_results, column_of
    from avp.interop.observe.session import observe

    started = time.time()
    observation = observe(command, server, args.report_dir, args.timeout)
    column = column_of(observation.command, server.impl.name)
    status = runner.ImplementationStatus(
        server.impl.name,
        "server",
        server.described("language"),
        server.described("version"),
        url=server.impl.url,
        extensions=server.extensions,
    )
    note = (
        f"observed: {' '.join(command)} ({len(observation.exchanges)} exchanges; output in {observation.log})"
    )
    run = runner.RunResult(
        case_results(observation, column),
        [status],
        [],
        started,
        time.time() - started,
        "-",
        args.level,
        [note],
    )
    paths = report.write_all(run, args.report_dir)
    if wants_json(args):
        print(json.dumps(report.results_json(run)))
    else:
        print(report.terminal_matrix(run))
        print(f"reports: {paths['json']}, {paths['junit']}, {paths['html']}, {paths['pairs']}/")
    return exit_status(run)
