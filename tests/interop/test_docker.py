"""The runner's Docker backend against our two server images (``make images``): the same case ids and
outcomes as local processes, an entry that gives only a ``docker_image``, and no container of ours
left behind after a pass, a failed case, a server that exits, a readiness timeout or Ctrl-C.

Needs a Docker engine; skipped without one, except under ``CI=true`` (where ``.ci/run`` starts one).
"""

from __future__ import annotations

import base64
import importlib.metadata
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest
from avp.interop import containers, registry
from avp.interop.launcher import free_port
from docker.types import Mount

from .conftest import REGISTRY, ROOT, avp, implementation

pytestmark = pytest.mark.timeout(900)  # the first test may build the base image and both images

PYTHON_IMAGE = "avp-interop/python-server:dev"
TYPESCRIPT_IMAGE = "avp-interop/typescript-server:dev"
LIFECYCLE = "spec/6.lifecycle.two-members"
#: the clients of the comparison (their 2 x 2 assignments: 8 columns over the two servers)
OUR_CLIENTS = ["--client", "python", "--client", "typescript"]


def _engine() -> Any:
    try:
        client, _line = containers.engine("docker")
    except containers.NoEngine as err:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {err}")
        pytest.skip(str(err))
    return client


@pytest.fixture(scope="module")
def docker() -> Iterator[Any]:
    """The engine, with both images built (a cache hit after the first time: tools/docker-images.sh)."""
    client = _engine()
    built = subprocess.run(
        [str(ROOT / "tools" / "docker-images.sh")],
        cwd=ROOT,
        env={**os.environ, "PY": sys.executable},
        capture_output=True,
        text=True,
        timeout=840,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    yield client
    client.close()


def _left(client: Any) -> list[str]:
    """Containers of any interop runner still on the engine (running or not)."""
    return [c.id for c in containers.ours(client)]


def _registry(tmp_path: Path, image: str, env: str = "", ready: str = "") -> Path:
    """A registry with one third-party-style server that gives only an image, and our Python client."""
    path = tmp_path / "implementations.toml"
    path.write_text(
        f"""schema = 1

[[implementation]]
name = "boxed"
role = "server"
language = "python"
version = "auto"
[implementation.server]
docker_image = "{image}"
env = {{ AVP_HOST = "127.0.0.1", AVP_PORT = "{{port}}"{env} }}
{ready}

[[implementation]]
name = "python"
role = "client"
language = "python"
version = "auto"
[implementation.client]
command = ["{{python}}", "-m", "avp.interop.python_actor"]
"""
    )
    return path


def _cases(report_dir: Path) -> dict[tuple[str, str, str], str]:
    doc = json.loads((report_dir / "results.json").read_text())
    return {(c["kind"], c["id"], c["column"]): c["outcome"] for c in doc["cases"]}


def test_images_run_as_a_user_with_a_volume_a_healthcheck_and_the_version(docker: Any) -> None:
    ts_build = implementation("typescript").build
    assert ts_build is not None
    ts_version = json.loads((ts_build.cwd / "package.json").read_text())["version"]
    for image, version in ((PYTHON_IMAGE, importlib.metadata.version("avp")), (TYPESCRIPT_IMAGE, ts_version)):
        config = docker.images.get(image).attrs["Config"]
        assert config["User"] == "avp", image
        assert "/data" in config["Volumes"], image
        assert config["Healthcheck"]["Test"][0] == "CMD", image
        assert config["Labels"]["org.opencontainers.image.version"] == version, image


def test_docker_backend_gives_the_process_backend_matrix(docker: Any, tmp_path: Path) -> None:
    """The conformance suite and one lifecycle scenario in every column, once per backend."""
    listed = avp("list", "--json")
    checks = [c["id"] for c in json.loads(listed.stdout)["conformance"]]
    selection = [arg for case in [LIFECYCLE, *checks] for arg in ("--scenario", case)] + OUR_CLIENTS
    runs = {
        backend: avp(
            "run", "--backend", backend, "--report-dir", str(tmp_path / backend), *selection, timeout=600
        )
        for backend in ("process", "docker")
    }
    process, boxed = (_cases(tmp_path / b) for b in ("process", "docker"))
    assert boxed == process
    assert sum(k == "scenario" for k, _i, _c in boxed) == 8  # one lifecycle scenario in each column
    assert sum(k == "conformance" for k, _i, _c in boxed) == 2 * len(checks)
    assert runs["docker"].returncode == runs["process"].returncode, runs["docker"].stderr
    doc = json.loads((tmp_path / "docker" / "results.json").read_text())
    assert any(n.startswith("backend: docker") for n in doc["notes"]), doc["notes"]
    # the containers' own output was kept in the logs, and the containers are gone
    for name in ("python", "typescript"):
        assert (tmp_path / "docker" / "logs" / f"server-{name}.log").stat().st_size > 0
    assert _left(docker) == []


def _boxed_run(tmp_path: Path, backend: str = "docker", **entry: str) -> Path:
    """``LIFECYCLE`` against the image-only entry of :func:`_registry`; the run fails (exit 1)."""
    report = tmp_path / "r"
    out = avp(
        "run",
        "--backend",
        backend,
        "--registry",
        str(_registry(tmp_path, PYTHON_IMAGE, **entry)),
        "--report-dir",
        str(report),
        "--scenario",
        LIFECYCLE,
    )
    assert out.returncode == 1, out.stdout + out.stderr
    return report


def _unavailable(report: Path) -> str:
    doc = json.loads((report / "results.json").read_text())
    reason: str = next(i for i in doc["implementations"] if i["name"] == "boxed")["unavailable"]
    return reason


def test_a_failed_case_leaves_no_container(docker: Any, tmp_path: Path) -> None:
    # a roster of one member: the second member of the lifecycle cannot be added (429)
    report = _boxed_run(tmp_path, env=', AVP_MAX_MEMBERS_PER_REPO = "1"')
    assert _cases(report) == {("scenario", LIFECYCLE, "python+python@boxed"): "fail"}
    assert b'"status":429' in (report / "logs" / "server-boxed.log").read_bytes()
    assert _left(docker) == []


def test_a_server_that_exits_leaves_no_container(docker: Any, tmp_path: Path) -> None:
    report = _boxed_run(tmp_path, env=', AVP_MAX_BODY_BYTES = "lots"')
    assert "exited with status 2" in _unavailable(report)
    assert b"AVP_MAX_BODY_BYTES" in (report / "logs" / "server-boxed.log").read_bytes()
    assert _left(docker) == []


def test_a_readiness_timeout_leaves_no_container(docker: Any, tmp_path: Path) -> None:
    report = _boxed_run(tmp_path, ready='ready = "/not-a-route"\nready_timeout = 3')
    assert "not ready after 3 s" in _unavailable(report)
    assert _left(docker) == []


def test_ctrl_c_leaves_no_container(docker: Any, tmp_path: Path) -> None:
    """SIGINT to the runner's process group, as a terminal's Ctrl-C, while both containers serve."""
    log = (tmp_path / "runner.log").open("wb")
    runner = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "avp.cli",
            "interop",
            "run",
            "--backend",
            "docker",
            "--registry",
            str(REGISTRY),
            "--report-dir",
            str(tmp_path / "r"),
            "--no-conformance",
            "--exclude",
            "vectors.*",
            *OUR_CLIENTS,
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while len([c for c in containers.ours(docker, runner.pid) if c.status == "running"]) < 2:
            assert runner.poll() is None and time.monotonic() < deadline, "the containers never ran"
            time.sleep(0.2)
        time.sleep(1)  # cases in flight
        os.killpg(runner.pid, signal.SIGINT)
        interrupted = time.monotonic()
        runner.wait(timeout=120)
        print(f"the run ended {time.monotonic() - interrupted:.1f} s after SIGINT")
    finally:
        if runner.poll() is None:
            os.killpg(runner.pid, signal.SIGKILL)
            runner.wait()
        log.close()
    assert containers.ours(docker, runner.pid) == []


def test_containers_of_a_killed_runner_are_removed_by_the_next(docker: Any) -> None:
    dead = subprocess.Popen(["true"])  # a process id that no longer runs
    dead.wait()
    left = docker.containers.create(PYTHON_IMAGE, labels={containers.LABEL: str(dead.pid)})
    try:
        client, _line = containers.engine("docker")
        client.close()
        assert containers.ours(docker, dead.pid) == []
    finally:
        if containers.ours(docker, dead.pid):
            left.remove(force=True)


def test_an_image_only_entry_needs_the_docker_backend(tmp_path: Path) -> None:
    boxed = next(i for i in registry.load(_registry(tmp_path, PYTHON_IMAGE)) if i.name == "boxed")
    assert boxed.server is not None and boxed.server.command == ()
    assert "needs the docker backend" in _unavailable(_boxed_run(tmp_path, backend="process"))


def test_registry_entries_without_a_command(tmp_path: Path) -> None:
    path = tmp_path / "implementations.toml"
    for table in ('[implementation.server]\nready = "/"', '[implementation.client]\ndocker_image = "x"'):
        role = "server" if "server" in table else "client"
        path.write_text(f'schema = 1\n[[implementation]]\nname = "a"\nrole = "{role}"\n{table}\n')
        with pytest.raises(registry.RegistryError, match="command"):
            registry.load(path)


def test_backend_docker_without_an_engine_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    out = avp("run", "--backend", "docker", "--server", "python", "--report-dir", str(tmp_path))
    assert out.returncode == 2, out.stdout + out.stderr
    assert "--backend docker: no Docker engine answers" in out.stderr


def test_the_production_run_line_of_docs_server_md(docker: Any, tmp_path: Path) -> None:
    """docs/server.md's `docker run`: 0.0.0.0 inside, published on the host's 127.0.0.1 only, SQLite
    on a volume, a read-only root, and the issuer key from a secret file (its JWKS key checked with
    the cryptography package)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    seed = os.urandom(32)
    secret = tmp_path / "signing-key"
    secret.write_text(base64.b64encode(seed).decode() + "\n")
    if os.geteuid() == 0:
        os.chown(secret, 10001, 10001)  # the image's user
        secret.chmod(0o400)
    else:
        secret.chmod(0o444)
    port = free_port()
    volume = docker.volumes.create()
    box = docker.containers.run(
        PYTHON_IMAGE,
        detach=True,
        ports={"8787/tcp": ("127.0.0.1", port)},
        volumes={volume.name: {"bind": "/data", "mode": "rw"}},
        mounts=[Mount("/run/secrets/avp-signing-key", str(secret), type="bind", read_only=True)],
        environment={
            "AVP_SIGNING_KEY_FILE": "/run/secrets/avp-signing-key",
            "AVP_PUBLIC_URL": "https://vault.example.org",
        },
        read_only=True,
        tmpfs={"/tmp": ""},
    )
    try:
        jwks = _wait_json(f"http://127.0.0.1:{port}/.well-known/jwks.json", box)
        public = Ed25519PrivateKey.from_private_bytes(seed).public_key()
        raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
        assert jwks["keys"][0]["x"] == base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
        discovery = _wait_json(f"http://127.0.0.1:{port}/.well-known/avp", box)
        assert discovery["issuerJwksUrl"] == "https://vault.example.org/.well-known/jwks.json"
        box.stop(timeout=10)
        assert box.wait()["StatusCode"] == 0  # SIGTERM: a graceful shutdown
        # the database is on the volume, not in the container
        listing = docker.containers.run(
            PYTHON_IMAGE, ["ls", "/data"], volumes={volume.name: {"bind": "/data"}}, remove=True
        )
        assert b"avp.sqlite3" in listing
    finally:
        box.remove(force=True)
        volume.remove(force=True)


def _wait_json(url: str, box: Any) -> Any:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                return json.loads(resp.read())
        except OSError:
            box.reload()
            assert box.status == "running" and time.monotonic() < deadline, box.logs()[-2000:]
            time.sleep(0.2)
