"""``avp interop run | conformance | list``: the command-line face of the interop runner."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from avp.cli import EXIT_FAILURES, EXIT_OK, EXIT_USAGE, add_json_flag

if TYPE_CHECKING:
    from avp.interop import registry
    from avp.interop.model import CaseResult

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
        help="only case ids matching (repeatable), e.g. '6.push.*'",
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
    run.add_argument("--strict", action="store_true", help="a SHOULD that is not met counts as a failure")
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
    conf.add_argument("--strict", action="store_true", help="a SHOULD that is not met counts as a failure")
    conf.add_argument("--workers", type=int, default=2, help="checks run in parallel (default 2)")
    add_json_flag(conf)
    conf.set_defaults(func=cmd_conformance)

    lst = sub.add_parser(
        "list", help="the registry's implementations, the scenarios and the conformance checks"
    )
    lst.add_argument("--registry", type=Path, help="implementations file")
    add_json_flag(lst)
    lst.set_defaults(func=cmd_list)


def _registry(path: Any) -> tuple[list[registry.Implementation], Any]:
    """The registry file given or found from here upwards; the built-in entries when there is none."""
    from avp.interop import registry

    found = path or registry.find_registry()
    if found is None:
        return registry.builtin(), None
    return registry.load(found), found


def cmd_run(args: argparse.Namespace) -> int:
    from avp.interop import report, runner

    impls, path = _registry(args.registry)
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
        strict=args.strict,
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
        plan = {"columns": result.columns, "implementations": result.implementations, "notes": result.notes}
        if getattr(args, "json", False):
            print(json.dumps(plan, indent=1))
        else:
            for col in result.columns:
                print(col["key"], "(self-pair)" if col["selfPair"] else "")
            print(*result.notes, sep="\n")
        return EXIT_OK
    paths = report.write_all(result, args.report_dir)
    if getattr(args, "json", False):
        print(json.dumps(report.results_json(result)))
    else:
        print(report.terminal_matrix(result))
        summary = report.results_json(result)["summary"]
        print(
            f"\n{summary['total']} cases in {result.duration_s:.1f} s: pass {summary['pass']}, "
            f"fail {summary['fail']}, warn {summary['warn']}, unsupported {summary['unsupported']}, "
            f"skipped {summary['skipped']}"
        )
        print(f"reports: {paths['json']}, {paths['junit']}, {paths['html']}, {paths['pairs']}/")
    return EXIT_FAILURES if result.failed else EXIT_OK


def cmd_conformance(args: argparse.Namespace) -> int:
    from avp.interop import conformance, launcher, runner
    from avp.interop.model import Outcome

    url = args.url.rstrip("/")
    try:
        discovery = launcher.probe(url + "/.well-known/avp", timeout=5.0)
    except Exception as err:  # any failure to reach it is reported the same way
        print(f"error: {url}/.well-known/avp did not answer with a JSON object: {err}", file=sys.stderr)
        discovery = {}
    started = time.perf_counter()
    results = conformance.run_suite(
        url,
        discovery,
        strict=args.strict,
        column=url,
        select=lambda cid: runner.selected(cid, args.scenario, args.exclude),
        workers=args.workers,
    )
    failed = any(r.outcome is Outcome.FAIL for r in results)
    if getattr(args, "json", False):
        print(json.dumps({"url": url, "ok": not failed, "checks": [r.to_json() for r in results]}))
    else:
        for r in results:
            print(_line(r))
        counts = {o.value: sum(r.outcome is o for r in results) for o in Outcome}
        print(
            f"\n{len(results)} checks in {time.perf_counter() - started:.1f} s: "
            + ", ".join(f"{k} {v}" for k, v in counts.items())
        )
    return EXIT_FAILURES if failed else EXIT_OK


def _line(r: CaseResult) -> str:
    from avp.interop import report
    from avp.interop.model import Outcome

    line = f"{report.SYMBOL[r.outcome.value]:5} {r.case_id:42} [{r.level.value}] {r.summary}"
    if r.step:
        line += f"\n      step {r.step}: expected {r.expected}; actual {r.actual}"
    elif r.reason and r.outcome is not Outcome.PASS:
        line += f"\n      {r.reason}"
    return line


def cmd_list(args: argparse.Namespace) -> int:
    from avp.interop import conformance
    from avp.interop.scenarios import SCENARIOS

    impls, path = _registry(args.registry)
    data = {
        "registry": str(path) if path else None,
        "implementations": [
            {"name": i.name, "role": i.role, "language": i.language, "version": i.version, "notes": i.notes}
            for i in impls
        ],
        "scenarios": [
            {"id": s.id, "level": s.level.value, "actors": s.actors, "summary": s.summary} for s in SCENARIOS
        ],
        "conformance": [
            {"id": c.id, "level": c.level.value, "summary": c.summary} for c in conformance.CHECKS
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
        print(f"  {s.id:46} [{s.level.value}] {s.summary}")
    print(f"\nconformance checks ({len(conformance.CHECKS)}):")
    for c in conformance.CHECKS:
        print(f"  {c.id:46} [{c.level.value}] {c.summary}")
    return EXIT_OK
