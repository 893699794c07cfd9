"""The conformance suite against both of our servers (everything passes) and against the broken
fixture (exactly the faults it has are reported, with Expected vs Actual)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import jsonschema
import pytest
from avp.interop import conformance, launcher
from avp.interop.launcher import RunningServer
from avp.interop.model import Level, Outcome
from avp.interop.proxy import Proxy

from .broken_server import EXPECTED_FAILURES, Broken
from .conftest import avp, implementation

SCHEMA = Path(conformance.__file__).parents[1] / "results.schema.json"
EXPIRY_CHECKS = {"wire/4.token.expired-nonce", "wire/4.bearer.expired"}


def _failures(results: list) -> dict[str, object]:
    return {r.case_id: r for r in results if r.outcome is not Outcome.PASS and r.case_id not in EXPIRY_CHECKS}


def _skipped(results: list) -> set[str]:
    return {r.case_id for r in results if r.outcome is Outcome.SKIP}


def test_suite_has_unique_ids_namespaced_by_document_and_section() -> None:
    ids = [c.id for c in conformance.CHECKS]
    assert len(ids) == len(set(ids))
    assert all(
        c.document in ("spec", "wire") and c.section.split(".")[0].isdigit() for c in conformance.CHECKS
    )
    assert len(ids) >= 60


def test_every_extension_case_names_its_extension() -> None:
    for c in conformance.CHECKS:
        assert (c.level is Level.EXTENSION) == bool(c.needs), c.id
        assert c.security is None or c.level is Level.HARDENING, c.id


@pytest.mark.parametrize("name", ["python", "typescript"])
def test_our_servers_pass_every_check(name: str, request: pytest.FixtureRequest) -> None:
    server: RunningServer = request.getfixturevalue(f"{name}_server")
    assert server.extensions == {"discovery", "jwks", "key-binding", "error-codes", "quotas"}
    results = conformance.run_suite(server.url)
    assert _failures(results) == {}, {k: v.reason for k, v in _failures(results).items()}
    assert _skipped(results) == EXPIRY_CHECKS  # a one-hour TTL is not waited for


@pytest.mark.parametrize("name", ["python", "typescript"])
def test_expiry_with_short_ttls(name: str, tmp_path: Path) -> None:
    impl = implementation(name)
    assert impl.server is not None
    short = (("AVP_NONCE_TTL_SECONDS", "2"), ("AVP_TOKEN_TTL_SECONDS", "2"))
    impl = dataclasses.replace(impl, server=dataclasses.replace(impl.server, env=impl.server.env + short))
    launcher.run_build(impl, tmp_path, lambda _message: None)
    server = launcher.start_server(impl, tmp_path)
    try:
        results = conformance.run_suite(
            server.url, select=lambda cid: cid in EXPIRY_CHECKS | {"wire/4.token.jwt"}
        )
    finally:
        server.stop()
    assert {r.case_id: r.outcome for r in results} == {
        cid: Outcome.PASS for cid in EXPIRY_CHECKS | {"wire/4.token.jwt"}
    }, [r.reason for r in results]


def test_broken_server_reports_exactly_its_faults(python_server: RunningServer) -> None:
    with Proxy(python_server.url, Broken()) as proxy:
        results = conformance.run_suite(proxy.url, workers=4)
    failures = _failures(results)
    assert {k: v.outcome for k, v in failures.items()} == {k: Outcome.FAIL for k in EXPECTED_FAILURES}
    empty = failures["wire/4.challenge.empty-body"]
    assert empty.failure is not None
    assert (empty.failure.step, empty.failure.expected) == ("challenge {}", "400 bad_request")
    assert empty.failure.actual.startswith("200")
    assert empty.failure.excerpt is not None and empty.failure.excerpt.startswith(
        "POST /api/auth/keypair/challenge"
    )
    passthrough = failures["wire/5.manifest.passthrough"]
    assert passthrough.failure is not None and passthrough.failure.expected == "shareRefreshTokens: True"
    assert passthrough.transcript, "a failing check carries its HTTP transcript"


def test_cli_exit_codes_and_json(python_server: RunningServer) -> None:
    ok = avp("conformance", python_server.url, "--scenario", "wire/4.*", "--json", timeout=120)
    assert ok.returncode == 0, ok.stderr
    report = json.loads(ok.stdout)
    jsonschema.validate(report, json.loads(SCHEMA.read_text()))
    assert report["schemaVersion"] == 2 and report["summary"]["ok"] is True
    assert report["cases"] and all(c["id"].startswith("wire/4.") for c in report["cases"])
    with Proxy(python_server.url, Broken()) as proxy:
        bad = avp("conformance", proxy.url, "--scenario", "wire/1.errors.*", timeout=120)
        spec_only = avp(
            "conformance", proxy.url, "--scenario", "wire/1.errors.*", "--level", "spec", timeout=120
        )
    assert bad.returncode == 1
    assert "FAIL  wire/1.errors.method-not-allowed" in bad.stdout
    assert "expected 405 method_not_allowed" in bad.stdout
    assert spec_only.returncode == 0, spec_only.stdout  # the broken rule is a hardening one
