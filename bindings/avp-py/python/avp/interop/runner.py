"""``avp interop run``: plan → execute → report.

:meth:`Runner.plan` picks the implementations, the columns (a client assignment against a server)
and the cases; :meth:`Runner.execute` builds, starts the servers and plays units — one per column,
one conformance suite per server, one vector check per client — on a small thread pool, every case
through the one engine (:func:`avp.interop.engine.execute`); the :class:`RunResult` it returns feeds
the report writers (:mod:`avp.interop.report`). Each worker thread keeps its own actor processes and
reuses them across cases (starting a client is the most expensive step). Self-pairs run first, as
controls.
"""

from __future__ import annotations

import fnmatch
import functools
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

from avp.interop import conformance, containers, engine, launcher, vectorcases
from avp.interop.actor_pool import Actor, ActorBroken, ActorError, ActorPool
from avp.interop.launcher import RunningServer, Unavailable
from avp.interop.model import Case, CaseResult, Kind, Level, Outcome
from avp.interop.progress import Progress
from avp.interop.registry import Implementation, remote_server
from avp.interop.scenarios import SCENARIOS, SLOTS, Context, members_for, transcript_identities

DEFAULT_SEED = "avp-interop-1"
#: ``--level``: which levels' failures make the exit status 1
LEVELS = {"spec": (Level.SPEC,), "hardening": (Level.SPEC, Level.HARDENING), "all": tuple(Level)}


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
    level: str = "all"
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

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "server": self.server.name,
            "clients": {slot: self.slot_impl(slot).name for slot in SLOTS},
            "selfPair": self.self_pair,
        }


@dataclass
class ImplementationStatus:
    """What the run learnt about one implementation: its version, its extensions, whether it played."""

    name: str
    role: str
    language: str
    version: str
    url: Optional[str] = None
    unavailable: Optional[str] = None
    extensions: Optional[frozenset[str]] = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "role": self.role,
            "language": self.language,
            "version": self.version,
            "available": self.unavailable is None,
        }
        if self.url is not None:
            out["url"] = self.url
        if self.unavailable is not None:
            out["unavailable"] = self.unavailable
        if self.extensions is not None:
            out["extensions"] = sorted(self.extensions)
        return out


@dataclass
class Plan:
    clients: list[Implementation]
    servers: list[Implementation]
    columns: list[Column]
    checks: list[Case[conformance.Context]]
    vectors: list[Case[vectorcases.Context]]
    include: list[str]
    exclude: list[str]

    def scenarios(self, col: Column) -> list[Case[Context]]:
        # a one-actor scenario gives the same answer in every column with that client: play it once
        return [
            s
            for s in SCENARIOS
            if selected(s.id, self.include, self.exclude) and (s.actors > 1 or col.self_pair)
        ]

    @property
    def total(self) -> int:
        played = sum(len(self.scenarios(c)) for c in self.columns)
        return played + len(self.checks) * len(self.servers) + len(self.vectors) * len(self.clients)

    @property
    def implementations(self) -> list[Implementation]:
        return list({i.name: i for i in [*self.clients, *self.servers]}.values())


@dataclass
class RunResult:
    results: list[CaseResult]
    implementations: list[ImplementationStatus]
    columns: list[Column]
    started_at: float
    duration_s: float
    seed: str
    level: str
    notes: list[str]

    @property
    def errored(self) -> bool:
        """A bug of the runner showed up (exit status 3)."""
        return any(r.outcome is Outcome.ERROR for r in self.results)

    @property
    def failed(self) -> bool:
        """A case of a level ``--level`` counts failed, or an implementation could not play."""
        counted = LEVELS[self.level]
        return any(r.outcome is Outcome.FAIL and r.level in counted for r in self.results) or any(
            i.unavailable is not None for i in self.implementations
        )


def selected(case_id: str, include: list[str], exclude: list[str]) -> bool:
    """Whether ``--scenario``/``--exclude`` globs pick a case; a glob may leave out the document
    (``6.push.*`` picks ``spec/6.push.conflict``)."""

    def matches(glob: str) -> bool:
        return fnmatch.fnmatchcase(case_id, glob) or fnmatch.fnmatchcase(case_id.split("/", 1)[-1], glob)

    if include and not any(matches(g) for g in include):
        return False
    return not any(matches(g) for g in exclude)


def pick(registry: list[Implementation], names: list[str], role: str) -> list[Implementation]:
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


def skipped(kind: Kind, case: Case[Any], column: str, reason: str) -> CaseResult:
    return CaseResult(kind, case.id, case.level, case.requirement, column, Outcome.SKIP, 0.0, reason=reason)


class Runner:
    """One run: owns the servers, the actor pools and the results until :meth:`run` returns."""

    def __init__(self, opts: Options, say: Callable[[str], None]) -> None:
        self.opts = opts
        self.say = say
        self.log_dir = opts.report_dir / "logs"
        self.fixed = transcript_identities(opts.vectors_dir)
        self.notes: list[str] = []
        self.results: list[CaseResult] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.local = threading.local()
        self.pools: list[ActorPool] = []
        self.running: dict[str, RunningServer] = {}
        #: why an implementation cannot play (a server that did not start, a client that broke)
        self.server_errors: dict[str, str] = {}
        self.client_errors: dict[str, str] = {}
        self.client_versions: dict[str, str] = {}
        self.progress = Progress(0, False)

    # --- plan ---------------------------------------------------------------------------------------
    def plan(self) -> Plan:
        o = self.opts
        clients, servers = pick(o.registry, o.clients, "client"), pick(o.registry, o.servers, "server")
        checks = (
            [c for c in conformance.CHECKS if selected(c.id, o.include, o.exclude)] if o.conformance else []
        )
        files = vectorcases.vector_files(o.vectors_dir)
        if not files and o.vectors_dir is not None:
            self.notes.append(f"vectors: no index.json under {o.vectors_dir}; vector checks skipped")
        extensions = vectorcases.extension_files(o.vectors_dir)
        vectors = [c for c in vectorcases.cases(files, extensions) if selected(c.id, o.include, o.exclude)]
        plan = Plan(clients, servers, columns_for(clients, servers), checks, vectors, o.include, o.exclude)
        if plan.total == 0:
            raise ValueError("no case matches the selection (--scenario/--exclude, --client/--server)")
        return plan

    # --- execute ------------------------------------------------------------------------------------
    def run(self) -> RunResult:
        started_at, t0 = time.time(), time.perf_counter()
        plan = self.plan()
        if self.opts.dry_run:
            self.notes.append(f"dry run: {plan.total} cases planned")
            return self.result(plan, started_at, 0.0)
        self.progress = Progress(plan.total, self.opts.progress)
        docker, line = containers.engine(self.opts.backend)
        self.say(line)
        self.notes.append(line)
        try:  # everything started from here on is stopped in the finally clause
            self.build(plan)
            self.execute(plan, docker)
        finally:
            self.shut_down(docker)
        if not self.fixed:
            self.notes.append("no vectors/transcript.json: the lifecycle scenarios used derived identities")
        return self.result(plan, started_at, time.perf_counter() - t0)

    def build(self, plan: Plan) -> None:
        for impl in plan.implementations:
            try:
                launcher.run_build(impl, self.log_dir, self.say)
            except Unavailable as err:
                self.server_errors[impl.name] = self.client_errors[impl.name] = f"build failed: {err}"
                self.say(f"{impl.name}: unavailable (build failed: {err})")

    def execute(self, plan: Plan, docker: Any) -> None:
        with ThreadPoolExecutor(max_workers=max(1, len(plan.servers))) as pool:
            list(pool.map(lambda impl: self.start(impl, docker), plan.servers))
        units: list[tuple[Kind, str, Callable[[], None]]] = [
            (Kind.SCENARIO, c.key, functools.partial(self.play_column, plan, c)) for c in plan.columns
        ]
        if plan.checks:
            units += [
                (Kind.CONFORMANCE, s.name, functools.partial(self.play_conformance, plan, s))
                for s in plan.servers
            ]
        if plan.vectors:
            units += [
                (Kind.VECTORS, c.name, functools.partial(self.play_vectors, plan, c)) for c in plan.clients
            ]
        with ThreadPoolExecutor(max_workers=max(1, self.opts.workers), thread_name_prefix="worker") as pool:
            futures = [pool.submit(self.unit, *u) for u in units]
            try:
                for fut in futures:
                    fut.result()
            except KeyboardInterrupt:  # Ctrl-C: the units in flight end their case, the rest never start
                self.stop.set()
                pool.shutdown(cancel_futures=True)
                raise

    def start(self, impl: Implementation, docker: Any) -> None:
        if impl.name in self.server_errors:
            return
        try:
            self.running[impl.name] = launcher.start_server(impl, self.log_dir, docker)
        except Unavailable as err:
            self.server_errors[impl.name] = str(err)
            self.say(f"server {impl.name}: unavailable ({err})")

    def unit(self, kind: Kind, column: str, body: Callable[[], None]) -> None:
        """One unit of work; a bug of the runner outside any case is an ``error`` result."""
        try:
            body()
        except Exception as err:
            self.record(
                CaseResult(
                    kind,
                    "runner/error",
                    Level.SPEC,
                    "the runner itself failed",
                    column,
                    Outcome.ERROR,
                    0.0,
                    reason=f"runner error: {type(err).__name__}: {err}",
                    traceback=engine.format_exception(err),
                )
            )
        with self.lock:
            mine = [r for r in self.results if r.kind is kind and r.column == column]
        self.progress.unit(f"{kind.value} {column}", mine)

    def record(self, result: CaseResult) -> None:
        with self.lock:
            self.results.append(result)
        self.progress.case(result)
        if self.opts.fail_fast and result.outcome in (Outcome.FAIL, Outcome.ERROR):
            self.stop.set()

    def actor(self, impl: Implementation, slot: str) -> Actor:
        if impl.name in self.client_errors:
            raise Unavailable(self.client_errors[impl.name])
        if not hasattr(self.local, "pool"):
            self.local.pool = ActorPool(self.log_dir / threading.current_thread().name)
            with self.lock:
                self.pools.append(self.local.pool)
        try:
            actor: Actor = self.local.pool.get(impl, slot)
        except (Unavailable, ActorBroken, ActorError) as err:
            with self.lock:
                self.client_errors.setdefault(impl.name, f"actor could not start: {err}")
            raise Unavailable(self.client_errors[impl.name]) from err
        self.client_versions.setdefault(impl.name, str(actor.hello.get("version", "unknown")))
        return actor

    def why_not(self, server: str) -> Optional[str]:
        if self.stop.is_set():
            return "not run: --fail-fast stopped the run"
        if server in self.server_errors:
            return f"server {server} unavailable: {self.server_errors[server]}"
        return None

    def play_column(self, plan: Plan, col: Column) -> None:
        for case in plan.scenarios(col):
            reason = self.why_not(col.server.name)
            actors: dict[str, Actor] = {}
            if reason is None:
                try:
                    actors = {slot: self.actor(col.slot_impl(slot), slot) for slot in SLOTS[: case.actors]}
                except Unavailable as err:
                    reason = f"client unavailable: {err}"
            if reason is not None:
                self.record(skipped(Kind.SCENARIO, case, col.key, reason))
                continue
            self.record(self.play_scenario(case, col, actors))

    def play_scenario(self, case: Case[Context], col: Column, actors: dict[str, Actor]) -> CaseResult:
        srv = self.running[col.server.name]
        members = members_for(case, actors, self.opts.seed, col.key, self.fixed)

        def play(record_http: bool) -> CaseResult:
            ctx = Context(srv.url, srv.discovery, srv.extensions, actors, members, record_http=record_http)
            return engine.execute(case, ctx, kind=Kind.SCENARIO, column=col.key)

        result = play(record_http=False)
        if result.outcome is Outcome.FAIL and not self.stop.is_set():
            # once more through a recording proxy: the clients' own HTTP exchanges, for diagnosis
            rerun = play(record_http=True)
            result.details["httpRerun"] = {"outcome": rerun.outcome.value, "transcript": rerun.transcript}
        return result

    def play_conformance(self, plan: Plan, impl: Implementation) -> None:
        for check in plan.checks:
            reason = self.why_not(impl.name)
            if reason is not None:
                self.record(skipped(Kind.CONFORMANCE, check, impl.name, reason))
                continue
            srv = self.running[impl.name]
            ctx = conformance.Context(srv.url, srv.discovery, srv.extensions)
            self.record(engine.execute(check, ctx, kind=Kind.CONFORMANCE, column=impl.name))

    def play_vectors(self, plan: Plan, impl: Implementation) -> None:
        assert self.opts.vectors_dir is not None
        try:
            answer = vectorcases.Answer(self.actor(impl, "vectors"), self.opts.vectors_dir)
        except Unavailable as err:
            for case in plan.vectors:
                self.record(skipped(Kind.VECTORS, case, impl.name, f"client unavailable: {err}"))
            return
        for case in plan.vectors:
            self.record(
                engine.execute(case, vectorcases.Context(answer), kind=Kind.VECTORS, column=impl.name)
            )

    def shut_down(self, docker: Any) -> None:
        for p in self.pools:
            p.close()
        for srv in self.running.values():
            srv.stop()
        if docker is not None:
            containers.close(docker)
        self.progress.finish()

    # --- report -------------------------------------------------------------------------------------
    def result(self, plan: Plan, started_at: float, duration_s: float) -> RunResult:
        order = {c.key: n for n, c in enumerate(plan.columns)}
        self.results.sort(key=lambda r: (r.kind.value, order.get(r.column, 0), r.column))
        impls = [self.status(i, plan) for i in plan.implementations]
        o = self.opts
        return RunResult(
            self.results, impls, plan.columns, started_at, duration_s, o.seed, o.level, self.notes
        )

    def status(self, impl: Implementation, plan: Plan) -> ImplementationStatus:
        srv = self.running.get(impl.name)
        out = ImplementationStatus(impl.name, impl.role, impl.language, impl.version)
        if srv is not None:
            out.language, out.version = srv.described("language"), srv.described("version")
            out.url = srv.url if impl.url is not None else "local process"
            out.extensions = srv.extensions
        if out.version in ("auto", "unknown") and impl.name in self.client_versions:
            out.version = self.client_versions[impl.name]
        if impl in plan.servers and impl.name in self.server_errors:
            out.unavailable = self.server_errors[impl.name]
        elif impl in plan.clients and impl.name in self.client_errors:
            out.unavailable = self.client_errors[impl.name]
        return out


def run(opts: Options, say: Callable[[str], None] = lambda m: print(m, file=sys.stderr)) -> RunResult:
    return Runner(opts, say).run()


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
