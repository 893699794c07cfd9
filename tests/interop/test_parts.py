"""The runner's parts on their own: registry validation, build cache, redaction, selection, and an
actor that breaks the contract."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import sys
import threading
import time
from pathlib import Path

import jsonschema
import pytest
from avp.interop import engine, launcher, redact, registry, report, runner, vectorcheck
from avp.interop.actor_pool import Actor, ActorBroken, ActorError
from avp.interop.model import Case, CaseFailed, CaseUnsupported, Kind, Level, Outcome

from .conftest import REGISTRY, avp


def test_repository_registry_loads() -> None:
    impls = {i.name: i for i in registry.load(REGISTRY)}
    assert impls["python"].is_server and impls["python"].is_client
    assert impls["typescript"].build is not None and impls["typescript"].server is not None
    for name in ("go", "java"):  # client actors only, each built (and cached) by the runner
        assert impls[name].is_client and not impls[name].is_server and impls[name].build is not None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("schema = 2\n", "schema = 1"),
        ('schema = 1\n[[implementation]]\nname = "x"\nrole = "proxy"\n', "role"),
        ('schema = 1\n[[implementation]]\nname = "x"\nrole = "client"\n', "[client]"),
        ('schema = 1\n[[implementation]]\nname = "x"\nrole = "server"\n', "[server]"),
        (
            'schema = 1\n[[implementation]]\nname = "x"\nrole = "client"\n'
            "[implementation.client]\ncommand = 3\n",
            "command",
        ),
        ("schema = ", "cannot read"),
        (
            'schema = 1\n[[implementation]]\nname = "x"\nrole = "server"\n'
            '[implementation.server]\ncommand = ["x"]\nready_status = "sometimes"\n',
            "ready_status",
        ),
    ],
)
def test_registry_errors_name_the_entry(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "implementations.toml"
    path.write_text(text)
    with pytest.raises(registry.RegistryError) as err:
        registry.load(path)
    assert message in str(err.value)


def test_a_broken_registry_is_a_usage_error_not_an_http_one(tmp_path: Path) -> None:
    path = tmp_path / "implementations.toml"
    path.write_text("schema = 7\n")
    out = avp("run", "--registry", str(path), "--dry-run")
    assert out.returncode == 2
    assert "expected 'schema = 1'" in out.stderr and "bad_request" not in out.stderr + out.stdout


def test_readiness_probe_any_status_and_tcp(tmp_path: Path) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Always401)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        launcher.answers(url, "/anything", None, timeout=2)
        launcher.answers(url, registry.READY_TCP, None, timeout=2)
        with pytest.raises(ValueError, match="HTTP 401"):
            launcher.answers(url, "/anything", 200, timeout=2)
        assert launcher.discovery(url) == {}
        assert launcher.extensions(url, {}) == frozenset()
    finally:
        server.shutdown()
        server.server_close()
    with pytest.raises(OSError):
        launcher.answers(url, registry.READY_TCP, None, timeout=2)


class _Always401(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self._deny()

    def do_POST(self) -> None:
        self._deny()

    def _deny(self) -> None:
        body = b'{"error": "missing or unknown bearer token"}'
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_build_cache_follows_mtimes(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.ts").write_text("x")
    build = registry.Build(commands=(("true",),), cwd=tmp_path, inputs=("src",), outputs=("out.js",))
    assert not launcher.build_is_fresh(build)  # no output yet
    (tmp_path / "out.js").write_text("y")
    past = time.time() - 100
    os.utime(tmp_path / "src" / "a.ts", (past, past))
    assert launcher.build_is_fresh(build)
    os.utime(tmp_path / "src" / "a.ts", None)
    os.utime(tmp_path / "out.js", (past, past))
    assert not launcher.build_is_fresh(build)  # a source changed after the build


def test_redaction_masks_secrets_and_keeps_public_data() -> None:
    body = {
        "token": "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJrZXk6In0.c2lnbmF0dXJlc2ln",
        "ed25519PublicKey": "pub",
        "nested": [{"refreshToken": "rt"}],
    }
    out = redact.redact(body)
    assert out["token"].startswith("<redacted") and out["nested"][0]["refreshToken"].startswith("<redacted")
    assert out["ed25519PublicKey"] == "pub"
    assert redact.redact_text("Authorization: Bearer abc.def") == "Authorization: Bearer <redacted>"


def test_selection_globs() -> None:
    assert runner.selected("spec/6.push.conflict", ["spec/6.push.*"], [])
    assert not runner.selected("spec/6.push.conflict", ["wire/6.push.*"], [])
    assert runner.selected("spec/6.push.conflict", ["6.push.*"], [])
    assert not runner.selected("spec/6.push.conflict", ["6.pull.*"], [])
    assert not runner.selected("spec/6.push.conflict", [], ["*.conflict"])


def _script_actor(tmp_path: Path, body: str) -> Actor:
    script = tmp_path / "actor.py"
    script.write_text(body)
    impl = registry.Implementation(
        name="scripted",
        role="client",
        language="python",
        version="0",
        client=registry.Launch(command=(sys.executable, str(script))),
    )
    return Actor(impl, "alice", tmp_path / "logs")


def test_actor_unsupported_and_garbage(tmp_path: Path) -> None:
    actor = _script_actor(
        tmp_path,
        "import json, sys\n"
        "for line in sys.stdin:\n"
        "    req = json.loads(line)\n"
        "    if req['op'] == 'garbage':\n"
        "        print('not json', flush=True)\n"
        "    else:\n"
        "        reply = {'id': req['id'], 'ok': False, 'error': {'code': 'unsupported'}}\n"
        "        print(json.dumps(reply), flush=True)\n",
    )
    try:
        with pytest.raises(ActorError) as err:
            actor.call("pull", server="http://127.0.0.1:1", repoId="r")
        assert err.value.code == "unsupported"
        with pytest.raises(ActorBroken, match="not JSON"):
            actor.call("garbage")
        with pytest.raises(ActorBroken):
            actor.call("pull")  # a broken actor stays broken
    finally:
        actor.close()


@pytest.mark.parametrize(
    ("body", "timeout", "broken"),
    [
        ("import sys\nsys.exit(0)\n", 10, "exited"),
        ("import time, sys\nsys.stdin.readline()\ntime.sleep(30)\n", 0.5, "no reply"),
    ],
    ids=["exits", "hangs"],
)
def test_actor_that_exits_or_hangs(tmp_path: Path, body: str, timeout: float, broken: str) -> None:
    actor = _script_actor(tmp_path, body)
    try:
        with pytest.raises(ActorBroken, match=broken):
            actor.call("hello", timeout=timeout)
    finally:
        actor.close()


def test_python_vectors_mode_checks_every_file_and_catches_a_bad_case(tmp_path: Path) -> None:
    vectors = REGISTRY.parents[1] / "vectors"
    files = {p.name for p in vectors.glob("*.json")}
    assert "index.json" in files, "the repository ships vectors/"
    shutil.copytree(vectors, tmp_path / "v")
    clean = vectorcheck.verify_dir(tmp_path / "v")
    assert all(r["failed"] == 0 and r["skipped"] == 0 and r["checked"] > 0 for r in clean.values()), clean
    aad = json.loads((tmp_path / "v" / "aad.json").read_text())
    first = aad["cases"][0]
    first["expectedAadHex"] = first["expectedAadHex"][:-2] + (
        "00" if not first["expectedAadHex"].endswith("00") else "01"
    )
    (tmp_path / "v" / "aad.json").write_text(json.dumps(aad))
    broken = vectorcheck.verify_dir(tmp_path / "v")["aad.json"]
    assert broken["failed"] == 1 and broken["failures"] == [f"{first['name']}: AAD differs"]


def test_results_schema_is_a_valid_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(report.schema())
    assert report.schema()["properties"]["schemaVersion"] == {"const": report.SCHEMA_VERSION}


class _Ctx(engine.CaseContext):
    def __init__(self, extensions: frozenset[str] = frozenset()) -> None:
        super().__init__(
            [
                {
                    "request": {"method": "GET", "path": "/x", "body": None},
                    "response": {"status": 500, "body": "boom"},
                }
            ],
            {},
            extensions,
        )
        self.closed = False

    def close(self) -> None:
        self.closed = True


def _raises(err: BaseException) -> Case[_Ctx]:
    def run(_ctx: _Ctx) -> None:
        raise err

    return Case("wire/1.test.case", Level.SPEC, "a test case", run)


@pytest.mark.parametrize(
    ("err", "outcome"),
    [
        (CaseFailed("step", "200", "500"), Outcome.FAIL),
        (KeyError("manifest"), Outcome.FAIL),  # a field missing from an answer
        (ValueError("Expecting value"), Outcome.FAIL),  # not JSON
        (ConnectionResetError("reset"), Outcome.FAIL),
        (TimeoutError("timed out"), Outcome.FAIL),
        (CaseUnsupported("no such op"), Outcome.UNSUPPORTED),
        (ZeroDivisionError("a runner bug"), Outcome.ERROR),
    ],
)
def test_engine_turns_every_exception_into_an_outcome(err: BaseException, outcome: Outcome) -> None:
    ctx = _Ctx()
    result = engine.execute(_raises(err), ctx, kind=Kind.CONFORMANCE, column="c")
    assert result.outcome is outcome and ctx.closed
    if outcome is Outcome.FAIL:
        assert result.failure is not None and result.failure.excerpt == "GET /x null -> 500 boom"
    if outcome is Outcome.ERROR:
        assert result.traceback is not None and "ZeroDivisionError" in result.traceback


def test_engine_reports_a_missing_extension_as_unsupported() -> None:
    ran: list[bool] = []
    case = Case(
        "wire/7.x", Level.EXTENSION, "needs discovery", lambda _c: ran.append(True), frozenset({"discovery"})
    )
    ctx = _Ctx()
    result = engine.execute(case, ctx, kind=Kind.CONFORMANCE, column="c")
    assert result.outcome is Outcome.UNSUPPORTED and "discovery" in (result.reason or "") and not ran
    assert ctx.closed
    assert (
        engine.execute(case, _Ctx(frozenset({"discovery"})), kind=Kind.CONFORMANCE, column="c").outcome
        is Outcome.PASS
    )


def test_report_writers_from_results_built_by_hand(tmp_path: Path) -> None:
    """What a producer other than the engine (e.g. observe) does: build CaseResults, wrap them in a
    RunResult, call the writers. Levels, the security finding and the runner error reach every report."""
    from avp.interop.cli import exit_status
    from avp.interop.model import CaseResult, Failure

    finding = CaseResult(
        Kind.CONFORMANCE,
        "wire/4.token.universal-signature",
        Level.HARDENING,
        "the universal signature is 401",
        "srv",
        Outcome.FAIL,
        1.0,
        reason="token: expected 401",
        failure=Failure("token", "401", "200", "POST /api/auth/keypair/token -> 200"),
        security="anyone can log in as the small-order key",
    )
    bug = CaseResult(
        Kind.CONFORMANCE,
        "runner/error",
        Level.SPEC,
        "the runner itself failed",
        "srv",
        Outcome.ERROR,
        0.0,
        reason="runner error: ZeroDivisionError",
        traceback="Traceback ...\nZeroDivisionError: division by zero",
    )
    status = runner.ImplementationStatus("srv", "server", "go", "1", url="http://x", extensions=frozenset())
    run = runner.RunResult([finding, bug], [status], [], 0.0, 1.0, "seed", "spec", [])
    paths = report.write_all(run, tmp_path)
    doc = json.loads(paths["json"].read_text())
    jsonschema.validate(doc, report.schema())
    assert doc["summary"]["security"] == [
        {"id": finding.case_id, "column": "srv", "why": "anyone can log in as the small-order key"}
    ]
    assert doc["summary"]["line"] == "spec 0/1 · hardening 0/1 (security: wire/4.token.universal-signature)"
    junit = paths["junit"].read_text()
    assert 'type="hardening"' in junit and "<error " in junit and "security: anyone" in junit
    assert "ZeroDivisionError: division by zero" in (tmp_path / "pairs" / "conformance-srv.log").read_text()
    page = paths["html"].read_text()
    assert "Security findings" in page and "hardening</small>" in page
    text = report.terminal_matrix(run)
    assert "[hardening]" in text and "Security findings:" in text
    assert exit_status(run) == 3  # a runner error outranks the failure
    run.results.remove(bug)
    assert exit_status(run) == 0  # --level spec: the hardening failure does not count
    run.level = "all"
    assert exit_status(run) == 1
