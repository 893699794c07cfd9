"""The runner's parts on their own: registry validation, build cache, redaction, selection, and an
actor that breaks the contract."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

import jsonschema
import pytest
from avp.errors import BadRequest
from avp.interop import launcher, redact, registry, report, runner, vectorcheck
from avp.interop.actors import Actor, ActorBroken, ActorError

from .conftest import REGISTRY


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
    ],
)
def test_registry_errors_name_the_entry(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "implementations.toml"
    path.write_text(text)
    with pytest.raises(BadRequest) as err:
        registry.load(path)
    assert message in str(err.value)


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
    assert runner.selected("6.push.conflict", ["6.push.*"], [])
    assert not runner.selected("6.push.conflict", ["6.pull.*"], [])
    assert not runner.selected("6.push.conflict", [], ["*.conflict"])


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
