"""``avp interop run | conformance | list``: the command-line face of the interop runner."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from avp.cli import EXIT_ERROR, EXIT_FAILURES, EXIT_OK, EXIT_USAGE, add_json_flag
from avp.interop.observe import command as observe_command

if TYPE_CHECKING:
    from avp.interop import registry, runner
    from avp.interop.model import Case, CaseResult

# The runner, the suite and the scenarios are imported by the commands, not here: building the
# ``avp`` parser imports this module, and ``avp --help`` should not pay for them.


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "interop",
        help="the interop matrix, the server conformance suite, the registry",
        description="Play AVP clients against AVP servers and report what works (docs/interop.md).",
    )
    sub = parser.add_subparsers(dest="interop_command", metavar="SUBCOMMAND")
    parser.set_defaults(func=lambda _args: (parser.print_help(sys.stderr), EXIT_USAGE)[1])

    run = sub.add_parser("run", help="build, start the servers, play every scenario, write the reports")
    run.add_argument(
        "--registry",
        type=Path,
        help="implementations file (default: interop/implementations.toml here or above)",
    )
    run.add_argument(
        "--client",
        action="append",
        default=[],
        metavar="NAME",
        help="a client from the registry (repeatable; default all)",
    )
    run.add_argument(
        "--server",
        action="append",
        default=[],
        metavar="NAME|URL",
        help="a server from the registry or the URL of a running one (repeatable)",
    )
    run.add_argument(
        "--scenario",
        action="append",
        default=[],
        metavar="GLOB",
        help="only case ids matching (repeatable), e.g. 'spec/6.push.*'",
    )
    run.add_argument(
        "--exclude", action="append", default=[], metavar="GLOB", help="skip case ids matching (repeatable)"
    )
    run.add_argument(
        "--fail-fast", action="store_true", help="stop at the first failure (the rest is reported as skipped)"
    )
    run.add_argument(
        "--dry-run", action="store_true", help="print the plan (columns and case count) and start nothing"
    )
    add_level_flag(run)
    run.add_argument(
        "--report-dir",
        type=Path,
        default=Path("reports/interop"),
        help="where the reports go (default reports/interop)",
    )
    run.add_argument(
        "--no-conformance", action="store_true", help="leave the conformance suite out of the matrix"
    )
    run.add_argument(
        "--vectors", type=Path, help="vectors folder for the vectors mode (default: the clone's vectors/)"
    )
    run.add_argument("--seed", default=None, help="derives every actor identity (same seed: same keys)")
    run.add_argument(
        "--workers",
        type=int,
        default=None,
        help="parallel units (default 4 or $AVP_INTEROP_WORKERS)",
    )
    run.add_argument(
        "--backend",
        choices=("auto", "docker", "process"),
        default=None,
        help="servers with a docker_image as containers (docker), local processes (process), or "
        "containers when an engine answers (auto; the default, or $AVP_INTEROP_BACKEND)",
    )
    add_json_flag(run)
    run.set_defaults(func=cmd_run)

    conf = sub.add_parser("conformance", help="the black-box server conformance suite against one URL")
    conf.add_argument("url", help="base URL of a running AVP server, e.g. http://127.0.0.1:8787")
    conf.add_argument(
        "--scenario", action="append", default=[], metavar="GLOB", help="only check ids matching (repeatable)"
    )
    conf.add_argument(
        "--exclude", action="append", default=[], metavar="GLOB", help="skip check ids matching (repeatable)"
    )
    add_level_flag(conf)
    conf.add_argument("--workers", type=int, default=2, help="checks run in parallel (default 2)")
    add_json_flag(conf)
    conf.set_defaults(func=cmd_conformance)

    obs = sub.add_parser(
        "observe",
        help="judge a client from its HTTP traffic: run it against a server through a recording proxy",
    )
    add_level_flag(obs)
    observe_command.configure(obs)
    obs.set_defaults(func=observe_command.run)

    lst = sub.add_parser(
        "list", help="the registry's implementations, the scenarios and the conformance checks"
    )
    lst.add_argument("--registry", type=Path, help="implementations file")
    add_json_flag(lst)
    lst.set_defaults(func=cmd_list)


def add_level_flag(parser: Any) -> None:
    parser.add_argument(
        "--level",
        choices=("spec", "hardening", "all"),
        default="all",
        help="which levels' failures make the exit status 1 (default all; 'spec' for a server we did "
        "not write: only AVP 0.4's MUSTs)",
    )


def _registry(path: Any) -> tuple[list[registry.Implementation], Any]:
    """The registry file given or found from here upwards; the built-in entries when there is none."""
    from avp.interop import registry

    found = path or registry.find_registry()
    if found is None:
        return registry.builtin(), None
    return registry.load(found), found


def cmd_run(args: argparse.Namespace) -> int:
    from avp.interop import report, runner

    try:
        impls, path = _registry(args.registry)
    except ValueError as err:  # a RegistryError: the file, not the servers, is at fault
        print(f"error: registry: {err}", file=sys.stderr)
        return EXIT_USAGE
    if path is None:
        print(
            "no interop/implementations.toml here or above: playing the built-in Python entries",
            file=sys.stderr,
        )
    opts = runner.Options(
        registry=impls,
        registry_path=path,
        clients=args.client,
        servers=args.server,
        include=args.scenario,
        exclude=args.exclude,
        fail_fast=args.fail_fast,
        dry_run=args.dry_run,
        level=args.level,
        report_dir=args.report_dir,
        seed=runner.DEFAULT_SEED if args.seed is None else args.seed,
        workers=runner.env_workers() if args.workers is None else args.workers,
        vectors_dir=args.vectors or runner.default_vectors_dir(path),
        conformance=not args.no_conformance,
        progress=not getattr(args, "json", False),
        backend=args.backend or os.environ.get("AVP_INTEROP_BACKEND", "auto"),
    )
    try:
        result = runner.run(opts)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    if args.dry_run:
        plan = {
            "columns": [c.to_json() for c in result.columns],
            "implementations": [i.to_json() for i in result.implementations],
            "notes": result.notes,
        }
        if getattr(args, "json", False):
            print(json.dumps(plan, indent=1))
        else:
            for col in result.columns:
                print(col.key, "(self-pair)" if col.self_pair else "")
            print(*result.notes, sep="\n")
        return EXIT_OK
    paths = report.write_all(result, args.report_dir)
    if getattr(args, "json", False):
        print(json.dumps(report.results_json(result)))
    else:
        print(report.terminal_matrix(result))
        summary = report.results_json(result)["summary"]
        print(
            f"{summary['total']} cases in {result.duration_s:.1f} s: "
            + ", ".join(f"{o} {summary[o]}" for o in ("pass", "fail", "unsupported", "skip", "error"))
        )
        print(f"reports: {paths['json']}, {paths['junit']}, {paths['html']}, {paths['pairs']}/")
    return exit_status(result)


def exit_status(result: runner.RunResult) -> int:
    """3: a bug of the runner showed up; 1: a failure of a level ``--level`` counts; else 0."""
    if result.errored:
        return EXIT_ERROR
    return EXIT_FAILURES if result.failed else EXIT_OK


def cmd_conformance(args: argparse.Namespace) -> int:
    """The conformance suite alone against one server by URL: the same engine, cases and report
    entry points as ``run``, one column, no clients."""
    from avp.interop import conformance, launcher, report, runner

    url = args.url.rstrip("/")
    started_at, t0 = time.time(), time.perf_counter()
    discovery = launcher.discovery(url)
    extensions = launcher.extensions(url, discovery)
    results = conformance.run_suite(
        url,
        select=lambda cid: runner.selected(cid, args.scenario, args.exclude),
        workers=args.workers,
        discovery=discovery,
        extensions=extensions,
    )
    status = runner.ImplementationStatus(url, "server", "unknown", "unknown", url=url, extensions=extensions)
    result = runner.RunResult(
        results, [status], [], started_at, time.perf_counter() - t0, "-", args.level, []
    )
    if getattr(args, "json", False):
        print(json.dumps(report.results_json(result)))
    else:
        for r in results:
            print(_line(r))
        print(f"\nextensions offered: {', '.join(sorted(extensions)) or 'none'}")
        print(report.level_line(results))
    return exit_status(result)


def _line(r: CaseResult) -> str:
    from avp.interop import report
    from avp.interop.model import Outcome

    line = f"{report.SYMBOL[r.outcome.value]:5} {r.case_id:46} [{r.level.value}] {r.summary}"
    if r.outcome in (Outcome.FAIL, Outcome.ERROR):
        line += "\n      " + report.problem_line(r)
    elif r.reason and r.outcome is not Outcome.PASS:
        line += f"\n      {r.reason}"
    return line


def cmd_list(args: argparse.Namespace) -> int:
    from avp.interop import conformance
    from avp.interop.scenarios import SCENARIOS

    try:
        impls, path = _registry(args.registry)
    except ValueError as err:  # a RegistryError
        print(f"error: registry: {err}", file=sys.stderr)
        return EXIT_USAGE
    data = {
        "registry": str(path) if path else None,
        "implementations": [
            {"name": i.name, "role": i.role, "language": i.language, "version": i.version, "notes": i.notes}
            for i in impls
        ],
        "scenarios": [
            {
                "id": s.id,
                "level": s.level.value,
                "needs": sorted(s.needs),
                "actors": s.actors,
                "requirement": s.requirement,
            }
            for s in SCENARIOS
        ],
        "conformance": [
            {"id": c.id, "level": c.level.value, "needs": sorted(c.needs), "requirement": c.requirement}
            for c in conformance.CHECKS
        ],
    }
    if getattr(args, "json", False):
        print(json.dumps(data, indent=1))
        return EXIT_OK
    print(f"registry: {data['registry']}")
    for i in impls:
        print(f"  {i.name:12} {i.role:7} {i.language:11} {i.notes}")
    print(f"\nscenarios ({len(SCENARIOS)}):")
    for s in SCENARIOS:
        print(f"  {s.id:50} [{_level(s)}] {s.requirement}")
    print(f"\nconformance checks ({len(conformance.CHECKS)}):")
    for c in conformance.CHECKS:
        print(f"  {c.id:50} [{_level(c)}] {c.requirement}")
    return EXIT_OK


def _level(case: Case[Any]) -> str:
    """``hardening``, or ``extension: jwks`` with the extensions a case needs."""
    return case.level.value + (": " + ", ".join(sorted(case.needs)) if case.needs else "")
