"""Push latency with a large state: does a 64-byte push slow down when 40 MB of other state exist?

For each server it starts (on 127.0.0.1, a free port, a fresh temporary database), one client logs
in, creates a repository and times ``--pushes`` sequential 64-byte pushes on one keep-alive
connection; then other members create repositories of ~1.9 MB envelopes until ``--other-mb`` of
other state exist, and the same pushes are timed again. Prints median and p99 before and after,
their ratio (1.0 = the push does not care about the rest of the state) and the server's RSS.

    .venv/bin/python benchmarks/large_state.py                       # TS SQLite, TS memory, Python
    .venv/bin/python benchmarks/large_state.py --servers ts-sqlite --other-mb 40 --pushes 300

The TypeScript server must be built (``make build-ts``). Every loop is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable
from urllib.parse import quote, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import Connection, Member, create_repo, envelope, free_port, login, request

ROOT = Path(__file__).resolve().parent.parent
TS_MAIN = ROOT / "interop" / "implementations" / "typescript" / "dist" / "main.js"
BIG_ENVELOPE_BYTES = 1_400_000  # raw ciphertext; ~1.9 MB as base64 JSON, under the 2 MiB body limit


def ts_server(durable: bool) -> Callable[[Path, int], tuple[list[str], dict[str, str]]]:
    def command(workdir: Path, port: int) -> tuple[list[str], dict[str, str]]:
        env = {"PORT": str(port), "AVP_LOG": "off"}
        if durable:
            env["AVP_DB"] = str(workdir / "ts.sqlite3")
        return ["node", str(TS_MAIN)], env

    return command


def python_server(workdir: Path, port: int) -> tuple[list[str], dict[str, str]]:
    db = str(workdir / "py.sqlite3")
    cmd = [
        sys.executable,
        "-m",
        "avp.cli",
        "serve",
        "--port",
        str(port),
        "--db",
        db,
        "--log-level",
        "warning",
    ]
    return cmd, {}


SERVERS = {"ts-sqlite": ts_server(True), "ts-memory": ts_server(False), "python": python_server}


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def time_pushes(
    conn: Connection, host: str, member: Member, repo_id: str, start: int, n: int
) -> list[float]:
    path = f"/v1/repos/{quote(repo_id, safe='')}/push"
    latencies = []
    for version in range(start, start + n):
        body = {
            "repoId": repo_id,
            "envelope": envelope(repo_id, version + 1, 64),
            "expectedPayloadVersion": version,
        }
        raw = request("POST", path, host, json.dumps(body).encode(), member.token)
        began = time.perf_counter()
        status, answer = await conn.send(raw)
        latencies.append((time.perf_counter() - began) * 1000)
        if status != 200 or not json.loads(answer)["accepted"]:
            raise RuntimeError(f"push: {status} {answer[:200]!r}")
    return latencies


def summary(latencies: list[float]) -> tuple[float, float]:
    ordered = sorted(latencies)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


async def measure(url: str, pid: int, other_mb: float, pushes: int) -> dict[str, float]:
    parts = urlsplit(url)
    host = parts.netloc
    conn = await Connection(parts.hostname or "127.0.0.1", parts.port or 80).open()
    try:
        member = Member.new()
        member.token = await login(conn, host, member)
        repo_id = await create_repo(conn, host, member, 64)
        before = await time_pushes(conn, host, member, repo_id, 1, pushes)
        rss_before = rss_mb(pid)
        other = 0
        while other < other_mb * 1_000_000:
            owner = Member.new()
            owner.token = await login(conn, host, owner)
            await create_repo(conn, host, owner, BIG_ENVELOPE_BYTES)
            other += BIG_ENVELOPE_BYTES * 4 // 3
        after = await time_pushes(conn, host, member, repo_id, 1 + pushes, pushes)
    finally:
        await conn.close()
    (b50, b99), (a50, a99) = summary(before), summary(after)
    return {
        "p50_before_ms": round(b50, 3),
        "p99_before_ms": round(b99, 3),
        "p50_after_ms": round(a50, 3),
        "p99_after_ms": round(a99, 3),
        "p50_ratio": round(a50 / b50, 2),
        "other_state_mb": round(other / 1_000_000, 1),
        "rss_before_mb": round(rss_before, 1),
        "rss_after_mb": round(rss_mb(pid), 1),
    }


def run(name: str, other_mb: float, pushes: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix=f"avp-large-{name}-") as tmp:
        workdir = Path(tmp)
        port = free_port()
        cmd, env = SERVERS[name](workdir, port)
        log = open(workdir / "server.log", "wb")
        proc = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=log, stderr=log)
        log.close()
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                try:
                    asyncio.run(asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 1))
                    break
                except OSError as e:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        tail = (workdir / "server.log").read_text()[-500:]
                        raise RuntimeError(f"{name} did not start: {tail}") from e
                    time.sleep(0.1)
            return asyncio.run(measure(url, proc.pid, other_mb, pushes))
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--servers", nargs="+", choices=list(SERVERS), default=list(SERVERS))
    parser.add_argument(
        "--other-mb", type=float, default=40.0, help="other state to add between the two timings"
    )
    parser.add_argument("--pushes", type=int, default=300, help="timed pushes before and after")
    args = parser.parse_args()
    columns = ("p50 0 MB", "p50 big", "ratio", "p99 0 MB", "p99 big", "state MB")
    print(f"{'server':<10} " + " ".join(f"{c:>9}" for c in columns) + f" {'RSS MB':>13}")
    for name in args.servers:
        r = run(name, args.other_mb, args.pushes)
        print(json.dumps({"server": name, **r}), file=sys.stderr)
        rss = f"{r['rss_before_mb']:.0f} -> {r['rss_after_mb']:.0f}"
        print(
            f"{name:<10} {r['p50_before_ms']:>9} {r['p50_after_ms']:>9} {r['p50_ratio']:>9} "
            f"{r['p99_before_ms']:>9} {r['p99_after_ms']:>9} {r['other_state_mb']:>9} {rss:>13}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
