"""Reproduce the resource-exhaustion probe's numbers (issue 11) for the servers this script starts.

For each server: RSS and database size before and after a flood of challenges (reported per 10k),
and how many of a crowd of idle and slow-header connections the server still holds after a while,
with the latency a real request sees meanwhile.

    .venv/bin/python benchmarks/exhaustion.py                           # avp serve on SQLite
    .venv/bin/python benchmarks/exhaustion.py --servers python typescript --challenges 20000
    .venv/bin/python benchmarks/exhaustion.py --python-path /tmp/old/bindings/avp-py/python  # another tree

127.0.0.1 only; every loop is bounded by a count or a deadline.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Optional

REPO = Path(__file__).resolve().parents[1]
TS_MAIN = REPO / "interop" / "implementations" / "typescript" / "dist" / "main.js"
#: The flood measures storage, not the login rate limit.
ENV = {"AVP_LOGIN_BURST": "100000000", "AVP_LOGIN_PER_MINUTE": "100000000", "AVP_LOG_LEVEL": "warning"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, kind: str, workdir: Path, python_path: Optional[str]) -> None:
        self.kind = kind
        self.port = free_port()
        self.db = workdir / f"{kind}.sqlite3"
        env = {**os.environ, **ENV}
        if kind == "typescript":
            cmd = ["node", str(TS_MAIN)]
            env.update({"PORT": str(self.port), "HOST": "127.0.0.1", "AVP_LOG": "off"})
        else:
            cmd = [sys.executable, "-m", "avp.cli", "serve", "--port", str(self.port), "--db", str(self.db)]
            if python_path:
                env["PYTHONPATH"] = python_path
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError(f"{kind} server did not start") from None
                time.sleep(0.1)

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def db_mb(self) -> Optional[float]:
        if self.kind == "typescript":
            return None  # in memory
        files = list(self.db.parent.glob(self.db.name + "*"))
        return sum(f.stat().st_size for f in files if not f.name.endswith(".lock")) / 1e6

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


async def exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes) -> int:
    writer.write(raw)
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    await reader.readexactly(length)
    return int(head[9:12])


async def challenge_flood(port: int, count: int, connections: int = 8) -> tuple[int, float]:
    """(non-200 answers, seconds) for ``count`` challenges over keep-alive connections."""
    key = base64.b64encode(os.urandom(32)).decode()
    body = json.dumps({"ed25519PublicKey": key}).encode()
    raw = (
        b"POST /api/auth/keypair/challenge HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
    ) + body
    failures = 0
    started = time.perf_counter()

    async def worker(share: int) -> None:
        nonlocal failures
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(share):
            if await exchange(reader, writer, raw) != 200:
                failures += 1
        writer.close()

    await asyncio.gather(*(worker(count // connections) for _ in range(connections)))
    return failures, time.perf_counter() - started


async def crowd(port: int, idle: int, slow: int, seconds: float) -> dict[str, Any]:
    """Hold ``idle`` silent and ``slow`` 1-byte-a-second connections for ``seconds``; how many the
    server closed, and the latency of real requests meanwhile."""
    opened: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    for _ in range(idle + slow):
        try:
            opened.append(await asyncio.open_connection("127.0.0.1", port))
        except OSError:
            break
    slow_ones = opened[idle:]
    for _, writer in slow_ones:
        writer.write(b"GET /.well-known/avp HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    latencies: list[float] = []
    failures = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for _, writer in slow_ones:
            if not writer.is_closing():
                writer.write(b"a")
        t0 = time.perf_counter()
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)
            status = await asyncio.wait_for(
                exchange(reader, writer, b"GET /.well-known/avp HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), 5
            )
            writer.close()
            failures += status != 200
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError):
            failures += 1
        latencies.append(time.perf_counter() - t0)
        await asyncio.sleep(1)
    closed = [await _closed(reader) for reader, _ in opened]
    closed_idle, closed_slow = sum(closed[:idle]), sum(closed[idle:])
    for _, writer in opened:
        writer.close()
    latencies.sort()
    return {
        "idle_open": idle,
        "idle_closed": closed_idle,
        "slow_open": len(slow_ones),
        "slow_closed": closed_slow,
        "probe_requests": len(latencies),
        "probe_failures": failures,
        "probe_max_ms": round(latencies[-1] * 1000, 1) if latencies else None,
    }


async def _closed(reader: asyncio.StreamReader) -> bool:
    """True when the server has closed (possibly after an error response)."""
    try:
        while True:
            data = await asyncio.wait_for(reader.read(65536), 0.05)
            if not data:
                return True
    except asyncio.TimeoutError:
        return False
    except ConnectionError:
        return True


def measure(server: Server, args: argparse.Namespace) -> dict[str, Any]:
    time.sleep(1)
    rss0, db0 = server.rss_mb(), server.db_mb()
    failures, took = asyncio.run(challenge_flood(server.port, args.challenges))
    time.sleep(1)
    rss1, db1 = server.rss_mb(), server.db_mb()
    per10k = 10000 / args.challenges
    row: dict[str, Any] = {
        "server": server.kind
        + (" (" + args.python_path + ")" if args.python_path and server.kind == "python" else ""),
        "challenges": args.challenges,
        "challenge_failures": failures,
        "challenges_per_s": round(args.challenges / took),
        "rss_mb_per_10k": round((rss1 - rss0) * per10k, 2),
        "db_mb_per_10k": None if db0 is None or db1 is None else round((db1 - db0) * per10k, 3),
    }
    row.update(asyncio.run(crowd(server.port, args.idle, args.slow, args.hold)))
    return row


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--servers", nargs="+", choices=("python", "typescript"), default=["python"])
    parser.add_argument("--python-path", help="PYTHONPATH of the Python server (e.g. an older tree)")
    parser.add_argument("--challenges", type=int, default=10000)
    parser.add_argument("--idle", type=int, default=500, help="silent connections held")
    parser.add_argument("--slow", type=int, default=50, help="connections sending a header at 1 B/s")
    parser.add_argument("--hold", type=float, default=20.0, help="seconds the crowd is held")
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="avp-exhaustion-") as tmp:
        for kind in args.servers:
            server = Server(kind, Path(tmp), args.python_path)
            try:
                rows.append(measure(server, args))
            finally:
                server.stop()
            print(json.dumps(rows[-1]), file=sys.stderr)
    for row in rows:
        print("  ".join(f"{k}={v}" for k, v in row.items()))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
