"""``avp interop run``: build, start, play every selected case, stop, report.

The work is split into units — one per column (a client assignment against a server), one
conformance suite per server, one vector check per client — run by a small thread pool. Each worker
thread keeps its own actor processes and reuses them across scenarios (starting a client is the
most expensive step of a case). Self-pairs run first, as controls.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

from avp.interop import conformance, containers, launcher
from avp.interop.actors import Actor, ActorBroken, ActorError, ActorPool
from avp.interop.launcher import RunningServer, Unavailable
from avp.interop.model import CaseResult, Kind, Level, Outcome
from avp.interop.registry import Implementation, remote_server
from avp.interop.scenarios import SCENARIOS, SLOTS, Scenario, run_case, transcript_identities

DEFAULT_SEED = "avp-interop-1"


@dataclass
class Options:
    registry: list[Implementation]
    registry_path: Optional[Path]
    clients: list[str] = field(default_factory=list)
    servers: list[str] = field(default_factory=list)
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    fail_fast: bool = False
    dry_run: bool = False
    strict: bool = False
    report_dir: Path = Path("reports/interop")
    seed: str = DEFAULT_SEED
    workers: int = 4
    vectors_dir: Optional[Path] = None
    conformance: bool = True
    progress: bool = True
    #: where servers run: ``auto``, ``docker`` or ``process`` (:data:`avp.interop.containers.BACKENDS`)
    backend: str = "auto"


@dataclass(frozen=True)
class Column:
    clients: tuple[Implementation, Implementation]
    server: Implementation

    @property
    def key(self) -> str:
        return f"{self.clients[0].name}+{self.clients[1].name}@{self.server.name}"

    @property
    def self_pair(self) -> bool:
        return self.clients[0].name == self.clients[1].name

    def slot_impl(self, slot: str) -> Implementation:
        return self.clients[SLOTS.index(slot) % 2]


def selected(case_id: str, include: list[str], exclude: list[str]) -> bool:
    if include and not any(fnmatch.fnmatchcase(case_id, g) for g in include):
        return False
    return not any(fnmatch.fnmatchcase(case_id, g) for g in exclude)


def _pick(registry: list[Implementation], names: list[str], role: str) -> list[Implementation]:
    pool = [i for i in registry if (i.is_server if role == "server" else i.is_client)]
    if not names:
        return pool
    out: list[Implementation] = []
    for name in names:
        match = [i for i in pool if i.name == name]
        if match:
            out.extend(match)
        elif role == "server" and name.startswith(("http://", "https://")):
            out.append(remote_server(name))
        else:
            known = ", ".join(i.name for i in pool) or "none"
            raise ValueError(f"no {role} named {name!r} in the registry (known: {known})")
    return out


def columns_for(clients: list[Implementation], servers: list[Implementation]) -> list[Column]:
    """Every client assignment against every server; self-pairs (and same-implementation servers) first."""
    cols = [Column((a, b), s) for s in servers for a in clients for b in clients]

    def order(col: Column) -> tuple[int, int]:
        same = col.self_pair and col.clients[0].name == col.server.name
        return (0 if same else 1 if col.self_pair else 2, servers.index(col.server))

    return sorted(cols, key=order)


def scenarios_for(col: Column, include: list[str], exclude: list[str]) -> list[Scenario]:
    # a one-actor scenario gives the same answer in every column with that client: play it once
    return [s for s in SCENARIOS if selected(s.id, include, exclude) and (s.actors > 1 or col.self_pair)]


class Progress:
    """One live line on a terminal (plain lines per finished unit otherwise)."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total = total
        self.done = 0
        self.counts: dict[str, int] = {}
        self.enabled = enabled
        self.tty = sys.stderr.isatty()
        self.lock = threading.Lock()

    def case(self, result: CaseResult) -> None:
        with self.lock:
            self.done += 1
            self.counts[result.outcome.value] = self.counts.get(result.outcome.value, 0) + 1
            if self.enabled and self.tty:
                summary = " ".join(f"{k} {v}" for k, v in sorted(self.counts.items()))
                line = f"[{self.done}/{self.total}] {summary} | {result.case_id} @ {result.column}"
                sys.stderr.write("\r\x1b[2K" + line[:150])
                sys.stderr.flush()

    def unit(self, name: str, results: list[CaseResult]) -> None:
        """Without a terminal, one line per finished unit (a column, a server's suite, a client's vectors)."""
        if self.enabled and not self.tty:
            counts: dict[str, int] = {}
            for r in results:
                counts[r.outcome.value] = counts.get(r.outcome.value, 0) + 1
            summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
            self.say(f"[{self.done}/{self.total}] {name}: {summary}")

    def say(self, message: str) -> None:
        with self.lock:
            if self.enabled:
                sys.stderr.write(("\r\x1b[2K" if self.tty else "") + message + "\n")
                sys.stderr.flush()

    def finish(self) -> None:
        if self.enabled and self.tty:
            sys.stderr.write("\r\x1b[2K")
            sys.stderr.flush()


@dataclass
class RunResult:
    results: list[CaseResult]
    implementations: list[dict[str, Any]]
    columns: list[dict[str, Any]]
    started_at: float
    duration_s: float
    seed: str
    strict: bool
    notes: list[str]

    @property
    def failed(self) -> bool:
        return any(r.outcome is Outcome.FAIL for r in self.results) or any(
            i.get("available") is False for i in self.implementations
        )


def _skip(kind: Kind, case_id: str, level: Level, summary: str, column: str, reason: str) -> CaseResult:
    return CaseResult(kind, case_id, level, summary, column, Outcome.SKIPPED, 0.0, reason=reason)


def vectors_cases(
    actor: Actor, vectors_dir: Path, column: str, files: list[str], strict: bool
) -> list[CaseResult]:
    """Ask one client to check every vector file with its own crypto; one result per file."""
    started = time.perf_counter()
    per_file: dict[str, Any] = {}
    problem: Optional[tuple[Outcome, str]] = None
    try:
        reply = actor.call("verify_vectors", timeout=120.0, dir=str(vectors_dir))
        files_reply = reply.get("files")
        per_file = files_reply if isinstance(files_reply, dict) else {}
    except ActorError as err:
        outcome = Outcome.UNSUPPORTED if err.code == "unsupported" else Outcome.FAIL
        problem = (outcome, f"{err.code}: {err.message}")
    except ActorBroken as err:
        problem = (Outcome.FAIL, f"actor broke: {err}")
    elapsed = (time.perf_counter() - started) * 1000
    out: list[CaseResult] = []
    for name in files:
        case_id = f"vectors.{name.removesuffix('.json')}"
        summary = f"every case of vectors/{name}, checked with the client's own crypto"
        entry = per_file.get(name)
        details: dict[str, Any] = {}
        if problem is not None:
            outcome, reason = problem
        elif not isinstance(entry, dict):
            outcome, reason = Outcome.UNSUPPORTED, "the client did not check this file"
        else:
            checked, failed, skipped = (int(entry.get(k, 0)) for k in ("checked", "failed", "skipped"))
            details = {
                "checked": checked,
                "failed": failed,
                "skipped": skipped,
                "failures": entry.get("failures", [])[:20],
            }
            if failed:
                outcome, reason = (
                    Outcome.FAIL,
                    f"{failed} of {checked} cases failed: {details['failures'][:3]}",
                )
            elif checked == 0:
                outcome, reason = Outcome.UNSUPPORTED, f"no case checked ({skipped} skipped)"
            elif skipped:
                outcome, reason = (Outcome.FAIL if strict else Outcome.WARN), f"{skipped} cases not checked"
            else:
                outcome, reason = Outcome.PASS, None
        out.append(
            CaseResult(
                Kind.VECTORS,
                case_id,
                Level.MUST,
                summary,
                column,
                outcome,
                elapsed / max(1, len(files)),
                reason=reason,
                details=details,
            )
        )
    return out


def vector_files(vectors_dir: Optional[Path]) -> list[str]:
    if vectors_dir is None:
        return []
    try:
        index = json.loads((vectors_dir / "index.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    entries = index.get("vectors", index.get("files", []))
    return sorted(str(e["file"]) for e in entries if isinstance(e, dict) and isinstance(e.get("file"), str))


def run(opts: Options, say: Callable[[str], None] = lambda m: print(m, file=sys.stderr)) -> RunResult:
    started_at = time.time()
    t0 = time.perf_counter()
    clients = _pick(opts.registry, opts.clients, "client")
    servers = _pick(opts.registry, opts.servers, "server")
    cols = columns_for(clients, servers)
    log_dir = opts.report_dir / "logs"
    notes: list[str] = []
    files = vector_files(opts.vectors_dir)
    fixed = transcript_identities(opts.vectors_dir)

    scenario_cases = sum(len(scenarios_for(c, opts.include, opts.exclude)) for c in cols)
    checks = (
        [c for c in conformance.CHECKS if selected(c.id, opts.include, opts.exclude)]
        if opts.conformance
        else []
    )
    vec_ids = [f for f in files if selected(f"vectors.{f.removesuffix('.json')}", opts.include, opts.exclude)]
    total = scenario_cases + len(checks) * len(servers) + len(vec_ids) * len(clients)
    if total == 0:
        raise ValueError("no case matches the selection (--scenario/--exclude, --client/--server)")
    if opts.dry_run:
        return RunResult(
            [],
            [_impl_json(i, None, None) for i in {i.name: i for i in [*clients, *servers]}.values()],
            [_col_json(c) for c in cols],
            started_at,
            0.0,
            opts.seed,
            opts.strict,
            [f"dry run: {total} cases planned"],
        )

    docker, line = containers.engine(opts.backend)
    say(line)
    notes.append(line)
    unavailable: dict[str, str] = {}
    for impl in {i.name: i for i in [*clients, *servers]}.values():
        try:
            launcher.run_build(impl, log_dir, say)
        except Unavailable as err:
            unavailable[impl.name] = f"build failed: {err}"
            say(f"{impl.name}: unavailable ({unavailable[impl.name]})")

    running: dict[str, RunningServer] = {}
    server_errors: dict[str, str] = {}

    def start(impl: Implementation) -> None:
        if impl.name in unavailable:
            server_errors[impl.name] = unavailable[impl.name]
            return
        try:
            running[impl.name] = launcher.start_server(impl, log_dir, docker)
        except Unavailable as err:
            server_errors[impl.name] = str(err)
            say(f"server {impl.name}: unavailable ({err})")

    progress = Progress(total, opts.progress)
    stop = threading.Event()
    results: list[CaseResult] = []
    results_lock = threading.Lock()
    local = threading.local()
    pools: list[ActorPool] = []
    client_versions: dict[str, str] = {}
    client_errors: dict[str, str] = dict(unavailable)

    def actor_pool() -> ActorPool:
        if not hasattr(local, "pool"):
            local.pool = ActorPool(log_dir / threading.current_thread().name)
            with results_lock:
                pools.append(local.pool)
        pool: ActorPool = local.pool
        return pool

    def record(result: CaseResult) -> None:
        with results_lock:
            results.append(result)
        progress.case(result)
        if opts.fail_fast and result.outcome is Outcome.FAIL:
            stop.set()

    def get_actor(impl: Implementation, slot: str) -> Actor:
        if impl.name in client_errors:
            raise Unavailable(client_errors[impl.name])
        try:
            actor = actor_pool().get(impl, slot)
        except (Unavailable, ActorBroken, ActorError) as err:
            with results_lock:
                client_errors.setdefault(impl.name, f"actor could not start: {err}")
            raise Unavailable(client_errors[impl.name]) from err
        client_versions.setdefault(impl.name, str(actor.hello.get("version", "unknown")))
        return actor

    def play_column(col: Column) -> None:
        for sc in scenarios_for(col, opts.include, opts.exclude):
            reason = None
            if stop.is_set():
                reason = "not run: --fail-fast stopped the run"
            elif col.server.name in server_errors:
                reason = f"server {col.server.name} unavailable: {server_errors[col.server.name]}"
            actors: dict[str, Actor] = {}
            if reason is None:
                try:
                    actors = {slot: get_actor(col.slot_impl(slot), slot) for slot in SLOTS[: sc.actors]}
                except Unavailable as err:
                    reason = f"client unavailable: {err}"
            if reason is not None:
                record(_skip(Kind.SCENARIO, sc.id, sc.level, sc.summary, col.key, reason))
                continue
            srv = running[col.server.name]
            play = functools.partial(
                run_case,
                sc,
                server=srv.url,
                discovery=srv.discovery,
                actors=actors,
                column=col.key,
                seed=opts.seed,
                strict=opts.strict,
                fixed=fixed,
            )
            result = play()
            if result.outcome in (Outcome.FAIL, Outcome.WARN) and not stop.is_set():
                # once more through a recording proxy: the clients' own HTTP exchanges, for diagnosis
                rerun = play(record_http=True)
                result.details["httpRerun"] = {"outcome": rerun.outcome.value, "transcript": rerun.transcript}
            record(result)

    def play_conformance(impl: Implementation) -> None:
        if impl.name in server_errors or stop.is_set():
            reason = (
                f"server unavailable: {server_errors[impl.name]}"
                if impl.name in server_errors
                else "not run: --fail-fast"
            )
            for chk in checks:
                record(_skip(Kind.CONFORMANCE, chk.id, chk.level, chk.summary, impl.name, reason))
            return
        srv = running[impl.name]
        conformance.run_suite(
            srv.url,
            srv.discovery,
            strict=opts.strict,
            column=impl.name,
            select=lambda cid: cid in {c.id for c in checks},
            workers=1,
            on_result=record,
        )

    def play_vectors(impl: Implementation) -> None:
        if not vec_ids:
            return
        assert opts.vectors_dir is not None
        try:
            actor = get_actor(impl, "vectors")
        except Unavailable as err:
            for name in vec_ids:
                record(
                    _skip(
                        Kind.VECTORS,
                        f"vectors.{name.removesuffix('.json')}",
                        Level.MUST,
                        f"vectors/{name}",
                        impl.name,
                        f"client unavailable: {err}",
                    )
                )
            return
        for result in vectors_cases(actor, opts.vectors_dir, impl.name, vec_ids, opts.strict):
            record(result)

    def unit(kind: Kind, column: str, body: Callable[[], None]) -> None:
        try:
            body()
        except Exception as err:  # a bug of the runner itself: reported as a failure, the run goes on
            reason = f"{type(err).__name__}: {err}"
            record(
                CaseResult(
                    kind,
                    "runner.error",
                    Level.MUST,
                    "the runner itself failed",
                    column,
                    Outcome.FAIL,
                    0.0,
                    reason=reason,
                )
            )
        with results_lock:
            mine = [r for r in results if r.kind is kind and r.column == column]
        progress.unit(f"{kind.value} {column}", mine)

    units: list[Callable[[], None]] = [
        functools.partial(unit, Kind.SCENARIO, c.key, functools.partial(play_column, c)) for c in cols
    ]
    if checks:
        units.extend(
            functools.partial(unit, Kind.CONFORMANCE, s.name, functools.partial(play_conformance, s))
            for s in servers
        )
    units.extend(
        functools.partial(unit, Kind.VECTORS, c.name, functools.partial(play_vectors, c)) for c in clients
    )
    try:  # everything started from here on is stopped in the finally clause
        with ThreadPoolExecutor(max_workers=max(1, len(servers))) as pool:
            list(pool.map(start, servers))
        with ThreadPoolExecutor(max_workers=max(1, opts.workers), thread_name_prefix="worker") as pool:
            futures = [pool.submit(u) for u in units]
            try:
                for fut in futures:
                    fut.result()
            except KeyboardInterrupt:  # Ctrl-C: the units in flight end their case, the rest never start
                stop.set()
                pool.shutdown(cancel_futures=True)
                raise
    finally:
        for p in pools:
            p.close()
        for srv in running.values():
            srv.stop()
        if docker is not None:
            containers.close(docker)
        progress.finish()
    if not fixed:
        notes.append("no vectors/transcript.json: the lifecycle scenarios used derived identities")
    if not files and opts.vectors_dir is not None:
        notes.append(f"vectors: no index.json under {opts.vectors_dir}; vector checks skipped")
    impls = [
        _impl_json(
            i, running.get(i.name), server_errors.get(i.name) if i.is_server and i in servers else None
        )
        for i in {i.name: i for i in [*clients, *servers]}.values()
    ]
    for entry in impls:
        name = entry["name"]
        if name in client_versions and entry["version"] in ("auto", "unknown"):
            entry["version"] = client_versions[name]
        if name in client_errors and any(c.name == name for c in clients):
            entry["available"] = False
            entry.setdefault("unavailable", client_errors[name])
    order = {c.key: n for n, c in enumerate(cols)}
    results.sort(key=lambda r: (r.kind.value, order.get(r.column, 0), r.column))
    return RunResult(
        results,
        impls,
        [_col_json(c) for c in cols],
        started_at,
        time.perf_counter() - t0,
        opts.seed,
        opts.strict,
        notes,
    )


def _impl_json(impl: Implementation, srv: Optional[RunningServer], error: Optional[str]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": impl.name,
        "role": impl.role,
        "language": srv.described("language") if srv is not None else impl.language,
        "version": srv.described("version") if srv is not None else impl.version,
        "available": error is None,
    }
    if srv is not None:
        out["url"] = srv.url if impl.url is not None else "local process"
    if error is not None:
        out["unavailable"] = error
    return out


def _col_json(col: Column) -> dict[str, Any]:
    return {
        "key": col.key,
        "server": col.server.name,
        "clients": {slot: col.slot_impl(slot).name for slot in SLOTS},
        "selfPair": col.self_pair,
    }


def default_vectors_dir(registry_path: Optional[Path]) -> Optional[Path]:
    if registry_path is None:
        return None
    candidate = registry_path.resolve().parent.parent / "vectors"
    return candidate if (candidate / "index.json").is_file() else None


def env_workers() -> int:
    try:
        return max(1, int(os.environ.get("AVP_INTEROP_WORKERS", "4")))
    except ValueError:
        return 4
