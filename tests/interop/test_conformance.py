"""The conformance suite against both of our servers (everything passes) and against the broken
fixture (exactly the faults it has are reported, with Expected vs Actual)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from avp.interop import conformance, launcher
from avp.interop.launcher import RunningServer
from avp.interop.model import Outcome
from avp.interop.proxy import Proxy

from .broken_server import EXPECTED_FAILURES, Broken
from .conftest import avp, implementation

EXPIRY_CHECKS = {"4.token.expired-nonce", "4.bearer.expired"}


def _failures(results: list) -> dict[str, object]:
    return {r.case_id: r for r in results if r.outcome is not Outcome.PASS and r.case_id not in EXPIRY_CHECKS}


def _skipped(results: list) -> set[str]:
    return {r.case_id for r in results if r.outcome is Outcome.SKIPPED}


def test_suite_has_unique_ids_by_section() -> None:
    ids = [c.id for c in conformance.CHECKS]
    assert len(ids) == len(set(ids))
    assert all(i.split(".")[0].isdigit() for i in ids)
    assert len(ids) >= 60


def test_python_server_passes(python_server: RunningServer) -> None:
    results = conformance.run_suite(python_server.url, python_server.discovery, strict=True)
    assert _failures(results) == {}, {k: v.reason for k, v in _failures(results).items()}
    assert _skipped(results) == EXPIRY_CHECKS  # a one-hour TTL is not waited for


def test_typescript_server_passes(typescript_server: RunningServer) -> None:
    results = conformance.run_suite(typescript_server.url, typescript_server.discovery, strict=True)
    assert _failures(results) == {}, {k: v.reason for k, v in _failures(results).items()}
    assert _skipped(results) == EXPIRY_CHECKS


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
            server.url, server.discovery, select=lambda cid: cid in EXPIRY_CHECKS | {"4.token.jwt"}
        )
    finally:
        server.stop()
    assert {r.case_id: r.outcome for r in results} == {
        cid: Outcome.PASS for cid in EXPIRY_CHECKS | {"4.token.jwt"}
    }, [r.reason for r in results]


def test_broken_server_reports_exactly_its_faults(python_server: RunningServer) -> None:
    with Proxy(python_server.url, Broken()) as proxy:
        results = conformance.run_suite(proxy.url, python_server.discovery, workers=4)
    failures = _failures(results)
    assert {k: v.outcome for k, v in failures.items()} == {k: Outcome.FAIL for k in EXPECTED_FAILURES}
    empty = failures["4.challenge.empty-body"]
    assert (empty.step, empty.expected) == ("challenge {}", "400 bad_request")
    assert empty.actual is not None and empty.actual.startswith("200")
    passthrough = failures["5.manifest.passthrough"]
    assert passthrough.expected == "shareRefreshTokens: True"
    assert passthrough.transcript, "a failing check carries its HTTP transcript"


def test_cli_exit_codes_and_json(python_server: RunningServer) -> None:
    ok = avp("conformance", python_server.url, "--scenario", "4.*", "--json", timeout=120)
    assert ok.returncode == 0, ok.stderr
    report = json.loads(ok.stdout)
    assert (
        report["ok"] is True and report["checks"] and all(c["id"].startswith("4.") for c in report["checks"])
    )
    with Proxy(python_server.url, Broken()) as proxy:
        bad = avp("conformance", proxy.url, "--scenario", "1.errors.*", timeout=120)
    assert bad.returncode == 1
    assert "FAIL  1.errors.method-not-allowed" in bad.stdout
    assert "expected 405 method_not_allowed" in bad.stdout
