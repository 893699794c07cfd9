"""Load benchmark for AVP servers: pull (unchanged), pull (64 KiB envelope), push, full login.

A bounded asyncio load generator on raw keep-alive HTTP/1.1 sockets (no extra dependencies):
``--connections`` connections per scenario, each sending one request at a time for
``--seconds`` after ``--warmup`` seconds. Prints requests/s, p50 and p99 per server and scenario.

    .venv/bin/python benchmarks/load.py                          # starts `avp serve` on SQLite
    .venv/bin/python benchmarks/load.py http://127.0.0.1:8787 http://127.0.0.1:8788
    .venv/bin/python benchmarks/load.py --with-python http://127.0.0.1:8788   # ours + another
    .venv/bin/python benchmarks/load.py --workers 2 --json out.json

A server given by URL must be started with a login rate limit above the login scenario's rate
(AVP_LOGIN_BURST / AVP_LOGIN_PER_MINUTE), or that scenario measures 429s.

Servers are only ever contacted on the given URLs (127.0.0.1 by default); every loop ends by itself.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Optional
from urllib.parse import quote, urlsplit

from avp.crypto import ed25519_generate, ed25519_sign, wrap_key, x25519_generate

SCHEME = "X25519-HKDF-SHA256-AESGCM-v1"
SCENARIOS = ("pull-unchanged", "pull-64k", "push", "login")


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


# --- a minimal HTTP/1.1 client ------------------------------------------------------------------------
class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: Optional[asyncio.StreamReader] = None
        self.writer: Optional[asyncio.StreamWriter] = None

    async def open(self) -> Connection:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        sock = self.writer.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except ConnectionError:
                pass

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        assert self.reader is not None and self.writer is not None
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        body = await self.reader.readexactly(length) if length else b""
        return status, body


def request(method: str, path: str, host: str, body: bytes = b"", token: Optional[str] = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    if body:
        lines.append("Content-Type: application/json")
    if token:
        lines.append(f"Authorization: Bearer {token}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


# --- fixtures on the server under test --------------------------------------------------------------
@dataclass
class Member:
    seed: bytes
    public: bytes
    x_public: bytes
    token: str = ""

    @classmethod
    def new(cls) -> Member:
        seed, public = ed25519_generate()
        _, x_public = x25519_generate()
        return cls(seed, public, x_public)

    @property
    def id(self) -> str:
        return b64(self.public)


def envelope(repo_id: str, version: int, size: int) -> dict[str, Any]:
    return {
        "repoId": repo_id,
        "payloadVersion": version,
        "keyEpoch": 0,
        "iv": b64(os.urandom(12)),
        "ciphertext": b64(os.urandom(size)),
    }


async def login(conn: Connection, host: str, member: Member) -> str:
    body = json.dumps({"ed25519PublicKey": member.id}).encode()
    status, answer = await conn.send(request("POST", "/api/auth/keypair/challenge", host, body))
    if status != 200:
        raise RuntimeError(f"challenge: {status} {answer[:200]!r}")
    nonce = base64.b64decode(json.loads(answer)["nonce"])
    token_body = {
        "ed25519PublicKey": member.id,
        "nonce": b64(nonce),
        "signature": b64(ed25519_sign(member.seed, nonce)),
    }
    status, answer = await conn.send(
        request("POST", "/api/auth/keypair/token", host, json.dumps(token_body).encode())
    )
    if status != 200:
        raise RuntimeError(f"token: {status} {answer[:200]!r}")
    return str(json.loads(answer)["token"])


async def create_repo(conn: Connection, host: str, member: Member, size: int) -> str:
    repo_id = "bench-" + os.urandom(8).hex()
    entry = {
        "ed25519PublicKey": member.id,
        "x25519PublicKey": b64(member.x_public),
        "wrappedDataKey": wrap_key(os.urandom(32), member.x_public).to_dict(),
        "keyEpoch": 0,
    }
    manifest = {"repoId": repo_id, "schemeId": SCHEME, "keyEpoch": 0, "payloadVersion": 1, "members": [entry]}
    body = json.dumps({"manifest": manifest, "initialEnvelope": envelope(repo_id, 1, size)}).encode()
    status, answer = await conn.send(request("POST", "/v1/repos", host, body, member.token))
    if status != 200:
        raise RuntimeError(f"createRepo: {status} {answer[:200]!r}")
    return repo_id


# --- the load loop ----------------------------------------------------------------------------------
@dataclass
class Result:
    server: str
    scenario: str
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)

    def row(self) -> dict[str, Any]:
        lat = sorted(self.latencies)

        def pct(p: float) -> float:
            return round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 2) if lat else float("nan")

        return {
            "server": self.server,
            "scenario": self.scenario,
            "req_per_s": round(self.requests / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": pct(0.50),
            "p99_ms": pct(0.99),
            "requests": self.requests,
            "errors": self.errors,
        }


#: One operation on one connection: returns True when the answer was the expected one.
Op = Callable[[], Awaitable[bool]]


async def drive(ops: list[Op], warmup: float, seconds: float, result: Result) -> None:
    start = time.perf_counter()
    measure_from = start + warmup
    stop_at = measure_from + seconds

    async def loop(op: Op) -> None:
        while True:
            t0 = time.perf_counter()
            if t0 >= stop_at:
                return
            ok = await op()
            t1 = time.perf_counter()
            if t0 >= measure_from:
                result.requests += 1
                result.latencies.append(t1 - t0)
                if not ok:
                    result.errors += 1

    await asyncio.gather(*(loop(op) for op in ops))
    result.seconds = seconds


async def scenario(base: str, name: str, connections: int, warmup: float, seconds: float) -> Result:
    url = urlsplit(base)
    host_header = url.netloc
    hostname, port = url.hostname or "127.0.0.1", url.port or 80
    conns = [await Connection(hostname, port).open() for _ in range(connections)]
    try:
        ops: list[Op] = []
        members = [Member.new() for _ in range(connections)]
        for conn, member in zip(conns, members):
            member.token = await login(conn, host_header, member)
        if name in ("pull-unchanged", "pull-64k"):
            size, known = (65536, 0) if name == "pull-64k" else (64, 1)
            for conn, member in zip(conns, members):
                repo_id = await create_repo(conn, host_header, member, size)
                body = json.dumps({"repoId": repo_id, "knownPayloadVersion": known}).encode()
                raw = request(
                    "POST", f"/v1/repos/{quote(repo_id, safe='')}/pull", host_header, body, member.token
                )
                ops.append(_constant_op(conn, raw))
        elif name == "push":
            for conn, member in zip(conns, members):
                repo_id = await create_repo(conn, host_header, member, 256)
                ops.append(_push_op(conn, host_header, member, repo_id))
        else:
            for conn, member in zip(conns, members):
                ops.append(_login_op(conn, host_header, member))
        result = Result(base, name)
        await drive(ops, warmup, seconds, result)
        return result
    finally:
        for conn in conns:
            await conn.close()


def _constant_op(conn: Connection, raw: bytes) -> Op:
    async def op() -> bool:
        status, _ = await conn.send(raw)
        return status == 200

    return op


def _push_op(conn: Connection, host: str, member: Member, repo_id: str) -> Op:
    path = f"/v1/repos/{quote(repo_id, safe='')}/push"
    state = {"version": 1}
    template = envelope(repo_id, 0, 256)

    async def op() -> bool:
        version = state["version"]
        body = {
            "repoId": repo_id,
            "envelope": {**template, "payloadVersion": version + 1},
            "expectedPayloadVersion": version,
        }
        status, answer = await conn.send(request("POST", path, host, json.dumps(body).encode(), member.token))
        if status != 200 or not json.loads(answer)["accepted"]:
            return False
        state["version"] = version + 1
        return True

    return op


def _login_op(conn: Connection, host: str, member: Member) -> Op:
    async def op() -> bool:
        try:
            await login(conn, host, member)
        except RuntimeError:
            return False
        return True

    return op


# --- our own server, when no URL is given ------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_python_server(
    workdir: Path, workers: int, db: Optional[str]
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    cmd = [
        sys.executable, "-m", "avp.cli", "serve",
        "--port", str(port),
        "--db", db or str(workdir / "bench.sqlite3"),
        "--workers", str(workers),
        "--log-level", os.environ.get("AVP_BENCH_LOG_LEVEL", "info"),
    ]  # fmt: skip
    # The login scenario measures logins, not the per-address rate limit (start other servers so too).
    env = {**os.environ, "AVP_LOGIN_BURST": "1000000000", "AVP_LOGIN_PER_MINUTE": "1000000000"}
    log = open(workdir / "server.log", "wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=log, env=env)
    log.close()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc, url
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("avp serve did not start")


def print_table(rows: list[dict[str, Any]]) -> None:
    header = f"{'server':<32} {'scenario':<15} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}"
    print(header)
    print("-" * len(header))
    for r in rows:
        numbers = f"{r['req_per_s']:>9} {r['p50_ms']:>8} {r['p99_ms']:>8} {r['errors']:>7}"
        print(f"{r['server']:<32} {r['scenario']:<15} {numbers}")


async def run_all(urls: list[str], args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = []
    for url in urls:
        for name in args.scenarios:
            result = await scenario(url, name, args.connections, args.warmup, args.seconds)
            rows.append(result.row())
            print(json.dumps(rows[-1]), file=sys.stderr)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("urls", nargs="*", help="base URLs of running servers (default: start avp serve)")
    parser.add_argument("--with-python", action="store_true", help="also start avp serve when URLs are given")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds per scenario")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--workers", type=int, default=1, help="workers of the started avp serve")
    parser.add_argument("--db", help="database of the started avp serve (default: a fresh SQLite file)")
    parser.add_argument("--scenarios", nargs="+", choices=SCENARIOS, default=list(SCENARIOS))
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    urls = list(args.urls)
    proc = None
    with tempfile.TemporaryDirectory(prefix="avp-bench-") as tmp:
        if not urls or args.with_python:
            proc, url = start_python_server(Path(tmp), args.workers, args.db)
            urls.insert(0, url)
        try:
            rows = asyncio.run(run_all(urls, args))
        finally:
            if proc is not None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=30)
    print_table(rows)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
