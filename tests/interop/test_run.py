"""``avp interop run`` end to end: a small selection of the matrix across both servers and both
clients, the reports (schema, JUnit, HTML, pair logs, no secret), failures and unavailable pieces."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from avp.interop.launcher import RunningServer
from avp.interop.proxy import DropShareRefreshTokens, Proxy

from .conftest import REGISTRY, avp


def load_report(folder: Path) -> dict:
    doc = json.loads((folder / "results.json").read_text())
    jsonschema.validate(doc, json.loads((folder / "results.schema.json").read_text()))
    return doc


def test_dry_run_lists_self_pairs_first(tmp_path: Path) -> None:
    out = avp("run", "--dry-run", "--report-dir", str(tmp_path))
    assert out.returncode == 0, out.stderr
    lines = [line for line in out.stdout.splitlines() if "@" in line]
    assert lines[:2] == ["python+python@python (self-pair)", "typescript+typescript@typescript (self-pair)"]
    assert len(lines) == 4 * 4 * 2  # python, typescript, go, java: every client assignment on both servers
    self_pairs = [line for line in lines if line.endswith("(self-pair)")]
    assert self_pairs == lines[:8]  # 4 clients x 2 servers, before every mixed column
    assert not (tmp_path / "results.json").exists()


@pytest.mark.usefixtures("typescript_server")  # builds the TypeScript side when needed
def test_small_matrix_across_implementations(tmp_path: Path) -> None:
    out = avp(
        "run",
        "--report-dir",
        str(tmp_path),
        "--client",
        "python",
        "--client",
        "typescript",
        "--no-conformance",
        "--scenario",
        "6.lifecycle.*",
        "--scenario",
        "4.adversarial.*",
        "--scenario",
        "vectors/aad",
    )
    assert out.returncode == 0, out.stdout + out.stderr
    doc = load_report(tmp_path)
    cases = doc["cases"]
    scenario_columns = {c["column"] for c in cases if c["kind"] == "scenario"}
    assert len(scenario_columns) == 8  # 2 x 2 client assignments x 2 servers
    assert {c["id"] for c in cases} == {
        "spec/6.lifecycle.two-members",
        "spec/6.lifecycle.three-members",
        "spec/4.adversarial.replayed-envelope",
        "vectors/aad",
    }
    assert all(c["outcome"] == "pass" for c in cases), [c for c in cases if c["outcome"] != "pass"]
    assert {i["name"]: i["available"] for i in doc["implementations"]} == {"python": True, "typescript": True}
    suites = ET.parse(tmp_path / "junit.xml").getroot()
    assert suites.tag == "testsuites" and sum(int(s.get("tests", 0)) for s in suites) == len(cases)
    page = (tmp_path / "matrix.html").read_text()
    assert "<table" in page and "python+<wbr>typescript<br>@typescript" in page and "<script" not in page
    logs = list((tmp_path / "pairs").glob("*.log"))
    assert len(logs) == 8 + 2  # one per scenario column, one per vectors client
    # no secret anywhere in the reports: no bearer token, no JWT, no actor seed
    text = "".join(p.read_text() for p in [tmp_path / "results.json", *logs])
    assert not re.search(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.", text)
    assert "Bearer ey" not in text
    assert not re.search(r'"(ed25519SeedB64|x25519PrivateB64|accessToken)": "[^<]', text)


def test_failure_against_a_broken_server_is_reported(python_server: RunningServer, tmp_path: Path) -> None:
    with Proxy(python_server.url, DropShareRefreshTokens()) as proxy:
        out = avp(
            "run",
            "--client",
            "python",
            "--server",
            proxy.url,
            "--report-dir",
            str(tmp_path),
            "--scenario",
            "spec/5.1.refresh-tokens.shared",
            "--scenario",
            "wire/5.manifest.passthrough",
        )
    assert out.returncode == 1, out.stdout + out.stderr
    doc = load_report(tmp_path)
    by_id = {c["id"]: c for c in doc["cases"]}
    shared = by_id["spec/5.1.refresh-tokens.shared"]
    assert shared["outcome"] == "fail" and shared["step"] == "server manifest"
    assert shared["expected"] == "shareRefreshTokens: true" and shared["transcript"]
    rerun = shared["details"]["httpRerun"]  # re-played through a recording proxy for diagnosis
    assert rerun["outcome"] == "fail"
    assert any(e.get("via") == "proxy" and e["request"]["path"] == "/v1/repos" for e in rerun["transcript"])
    assert by_id["wire/5.manifest.passthrough"]["outcome"] == "fail"
    assert "FAIL" in out.stdout and doc["summary"]["ok"] is False
    assert doc["summary"]["line"].startswith("spec 0/2") and doc["summary"]["line"] in out.stdout


def test_missing_client_is_unavailable_not_a_pass(python_server: RunningServer, tmp_path: Path) -> None:
    registry = tmp_path / "interop" / "implementations.toml"
    registry.parent.mkdir()
    registry.write_text(
        REGISTRY.read_text()
        + '\n[[implementation]]\nname = "ghost"\nrole = "client"\nlanguage = "none"\n'
        + '[implementation.client]\ncommand = ["/nonexistent/ghost-actor"]\n'
    )
    out = avp(
        "run",
        "--registry",
        str(registry),
        "--client",
        "ghost",
        "--client",
        "python",
        "--server",
        python_server.url,
        "--report-dir",
        str(tmp_path / "r"),
        "--scenario",
        "spec/6.lifecycle.two-members",
    )
    assert out.returncode == 1
    doc = load_report(tmp_path / "r")
    outcomes = {c["column"]: c["outcome"] for c in doc["cases"]}
    assert outcomes[f"python+python@{python_server.url}"] == "pass"
    ghost = [c for c in doc["cases"] if "ghost" in c["column"]]
    assert len(ghost) == 3 and all(c["outcome"] == "skip" and "unavailable" in c["reason"] for c in ghost)
    assert {i["name"]: i["available"] for i in doc["implementations"]}["ghost"] is False


@pytest.mark.usefixtures("typescript_server")  # builds the TypeScript side when needed
@pytest.mark.parametrize(
    ("clients", "server"),
    [(("go", "java"), "typescript"), (("go", "java"), "python")],
)
def test_go_and_java_clients_end_to_end(tmp_path: Path, clients: tuple[str, ...], server: str) -> None:
    """The standard-library actors (built by the runner) pass the lifecycle, every adversarial defence
    and every vector file, on both servers (Java's HttpClient offers h2c on its first request)."""
    selection = [arg for c in clients for arg in ("--client", c)]
    out = avp(
        "run",
        "--report-dir",
        str(tmp_path),
        *selection,
        "--server",
        server,
        "--no-conformance",
        "--scenario",
        "6.lifecycle.*",
        "--scenario",
        "*.adversarial.*",
        "--scenario",
        "vectors/*",
    )
    assert out.returncode == 0, out.stdout + out.stderr
    doc = load_report(tmp_path)
    cases = doc["cases"]
    assert {c["column"] for c in cases if c["kind"] == "scenario"} == {
        f"{a}+{b}@{server}" for a in clients for b in clients
    }
    assert all(c["outcome"] == "pass" for c in cases), [c for c in cases if c["outcome"] != "pass"]
    index = json.loads((REGISTRY.parent.parent / "vectors" / "index.json").read_text())
    announced = {f"vectors/{v['id']}": v["cases"] for v in index["vectors"]}
    vectors = [c for c in cases if c["kind"] == "vectors"]
    assert len(vectors) == len(announced) * len(clients)
    assert all(c["details"]["checked"] == announced[c["id"]] for c in vectors)
