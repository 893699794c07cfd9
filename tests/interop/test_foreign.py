"""Implementations we did not write: the runner and the conformance suite against the lax server
fixture (tests/fixtures/lax_server.py, a spec-following server with the public reference servers'
laxities) and against a server that answers garbage to everything."""

from __future__ import annotations

import http.server
import json
import threading
from pathlib import Path

from avp.interop import conformance
from avp.interop.model import Level, Outcome
from avp.interop.scenarios import signedwrites

from .broken_server import GarbageHandler
from .conftest import REGISTRY, avp

#: the hardening rules the lax server breaks, each for a laxity its docstring names
LAX_HARDENING_FAILURES = {
    # a challenge for any body
    "wire/4.challenge.empty-body",
    "wire/4.challenge.malformed-key",
    # stock Ed25519 verification; a nonce burnt by any attempt; a malformed token body is a 401
    "wire/4.token.universal-signature",
    "wire/4.token.failed-attempt-keeps-nonce",
    "wire/4.token.malformed-body",
    # no strict decoding
    "wire/3.strict.not-json",
    "wire/3.strict.duplicate-keys",
    "wire/3.strict.unknown-field",
    "wire/3.strict.counters",
    "wire/3.strict.base64",
    "wire/3.strict.key-lengths",
    "wire/3.strict.scheme-id",
    "wire/3.strict.nesting",
    "wire/3.strict.types",
    "wire/3.strict.repo-id",
    "spec/6.member.malformed-id",
    "spec/6.path.body-mismatch",
    "spec/6.path.bad-escape",
    # 401 for every path without a token, 404 for every unknown one with it
    "wire/1.errors.unknown-route",
    "wire/1.errors.method-not-allowed",
    "wire/1.errors.trailing-slash",
    # no body limit
    "wire/6.limits.content-length",
    "wire/6.limits.chunked",
    # counters copied from the client; any roster; a removal need not remove
    "wire/5.create.initial-counters",
    "spec/6.push.bad-counters",
    "spec/6.push.rotated-members",
    "spec/6.add.duplicate-member",
    "spec/6.add.wrong-epoch",
    "spec/6.remove.stale",
    "spec/6.remove.invalid",
    "spec/6.remove.last-member",
}
#: no discovery: the TTLs are the spec's defaults, too long to wait for
EXPIRY_CHECKS = {"wire/4.token.expired-nonce", "wire/4.bearer.expired"}


def test_conformance_on_the_lax_server(lax_url: str) -> None:
    results = conformance.run_suite(lax_url, workers=4)
    by = {lv: {r.case_id: r for r in results if r.level is lv} for lv in Level}
    assert all(r.outcome is Outcome.PASS for r in by[Level.SPEC].values()), {
        r.case_id: r.reason for r in by[Level.SPEC].values() if r.outcome is not Outcome.PASS
    }
    failed = {cid for cid, r in by[Level.HARDENING].items() if r.outcome is Outcome.FAIL}
    assert failed == LAX_HARDENING_FAILURES
    skipped = {cid for cid, r in by[Level.HARDENING].items() if r.outcome is Outcome.SKIP}
    assert skipped == EXPIRY_CHECKS
    assert {r.outcome for r in by[Level.EXTENSION].values()} == {Outcome.UNSUPPORTED}


def test_conformance_cli_on_the_lax_server(lax_url: str) -> None:
    spec = avp("conformance", lax_url, "--level", "spec", timeout=300)
    assert spec.returncode == 0, spec.stdout + spec.stderr
    assert "Traceback" not in spec.stdout + spec.stderr
    last = spec.stdout.strip().splitlines()[-1]
    assert last.startswith("spec 33/33 · hardening 1/32 (security: wire/4.token.universal-signature")
    assert last.endswith("· extensions unsupported")
    everything = avp("conformance", lax_url, "--scenario", "wire/3.strict.base64", timeout=120)
    assert everything.returncode == 1  # --level all counts the hardening failure


def test_run_on_the_lax_server_as_a_registry_entry(tmp_path: Path, lax_script: Path) -> None:
    """Both our clients play every scenario against it: the spec level is green, the one hardening
    failure is the missing body limit, the scenarios that need an extension are unsupported."""
    registry = tmp_path / "interop" / "implementations.toml"
    registry.parent.mkdir()
    # our two clients as the repository's registry has them, their folders made absolute
    ours = REGISTRY.read_text().replace('cwd = "', f'cwd = "{REGISTRY.parent}/')
    registry.write_text(
        ours
        + '\n[[implementation]]\nname = "lax"\nrole = "server"\nlanguage = "python"\n'
        + f'[implementation.server]\ncommand = ["{{python}}", "{lax_script}", "--port", "{{port}}"]\n'
        + 'ready = "/.well-known/avp"\nready_status = 401\n'
    )
    out = avp(
        "run",
        "--registry",
        str(registry),
        "--server",
        "lax",
        "--client",
        "python",
        "--client",
        "typescript",
        "--no-conformance",
        "--exclude",
        "vectors/*",
        "--level",
        "spec",
        "--report-dir",
        str(tmp_path / "r"),
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Traceback" not in out.stdout + out.stderr
    doc = json.loads((tmp_path / "r" / "results.json").read_text())
    assert {c["column"] for c in doc["cases"]} == {
        f"{a}+{b}@lax" for a in ("python", "typescript") for b in ("python", "typescript")
    }
    outcomes: dict[str, set[str]] = {}
    for c in doc["cases"]:
        outcomes.setdefault(f"{c['level']} {c['outcome']}", set()).add(c["id"])
    assert set(outcomes) == {
        "spec pass",
        "hardening pass",
        "hardening fail",
        "extension unsupported",
        "extension pass",
    }
    assert outcomes["hardening fail"] == {"wire/6.limits.large-payload"}
    # client extensions need nothing of a server: both our clients sign and verify on a lax one
    assert outcomes["extension pass"] == {c.id for c in signedwrites.CASES}
    assert outcomes["extension unsupported"] == {
        "spec/6.errors.client-codes",
        "spec/9.key-binding.cross-client",
        "spec/9.adversarial.substituted-key-binding",
        "wire/6.limits.client-quota",
    }
    assert doc["summary"]["line"].startswith(
        "spec 38/38 · hardening 16/20 · extensions 16/16 (14 unsupported)"
    )
    lax = next(i for i in doc["implementations"] if i["name"] == "lax")
    assert lax["extensions"] == [] and lax["available"] is True


def test_every_check_against_garbage_ends_in_an_outcome() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), GarbageHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        results = conformance.run_suite(url, workers=4)
    finally:
        server.shutdown()
        server.server_close()
    assert len(results) == len(conformance.CHECKS)
    assert not [r for r in results if r.outcome is Outcome.ERROR], [
        (r.case_id, r.reason) for r in results if r.outcome is Outcome.ERROR
    ]
    assert {r.outcome for r in results if r.level is not Level.EXTENSION} <= {Outcome.FAIL, Outcome.SKIP}


def test_run_by_url_on_the_lax_server(lax_url: str, tmp_path: Path) -> None:
    """``run --server URL``: no discovery is no reason to skip anything; ``--level`` decides the exit."""
    selection = ["--client", "python", "--client", "typescript"]
    selection += ["--scenario", "spec/6.lifecycle.*", "--scenario", "wire/4.token.universal-signature"]
    args = ["run", "--server", lax_url, *selection, "--report-dir", str(tmp_path)]
    spec = avp(*args, "--level", "spec", timeout=300)
    assert spec.returncode == 0, spec.stdout + spec.stderr
    assert "Traceback" not in spec.stdout + spec.stderr
    line = "spec 8/8 · hardening 0/1 (security: wire/4.token.universal-signature)"
    assert line in spec.stdout
    assert "Security findings:\n  wire/4.token.universal-signature: anyone can log in" in spec.stdout
    everything = avp(*args, timeout=300)
    assert everything.returncode == 1 and line in everything.stdout
