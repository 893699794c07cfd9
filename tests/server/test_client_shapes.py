"""Issue 17: the request shapes mainstream HTTP clients send by default, through both our servers.

Each shape is a challenge request (then, on a keep-alive connection, a second one) written byte for
byte as that client writes it; the answer must be the normal 200 with a nonce.
"""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import Iterator

import pytest
import requests

from .api import Member
from .conftest import ServerProcess
from .rawhttp import read_response

PATH = "/api/auth/keypair/challenge"


def body_for(member: Member) -> bytes:
    return json.dumps({"ed25519PublicKey": member.id}).encode()


def head(lines: list[str]) -> bytes:
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def assert_nonce(status: int, body: bytes) -> None:
    assert status == 200, body[:300]
    assert len(base64.b64decode(json.loads(body)["nonce"])) >= 32


def go_net_http(sock: socket.socket, host: str, body: bytes) -> None:
    raw = head([
        f"POST {PATH} HTTP/1.1", f"Host: {host}", "User-Agent: Go-http-client/1.1",
        f"Content-Length: {len(body)}", "Content-Type: application/json", "Accept-Encoding: gzip",
    ])  # fmt: skip
    for _ in range(2):  # Go keeps the connection alive
        sock.sendall(raw + body)
        assert_nonce(*read_response(sock)[::2])


def okhttp(sock: socket.socket, host: str, body: bytes) -> None:
    raw = head([
        f"POST {PATH} HTTP/1.1", "Content-Type: application/json; charset=utf-8",
        f"Content-Length: {len(body)}", f"Host: {host}", "Connection: Keep-Alive",
        "Accept-Encoding: gzip", "User-Agent: okhttp/4.12.0",
    ])  # fmt: skip
    for _ in range(2):
        sock.sendall(raw + body)
        status, headers, answer = read_response(sock)
        assert headers.get("content-encoding", "identity") == "identity"  # or the client must gunzip
        assert_nonce(status, answer)


def dotnet_expect_continue(sock: socket.socket, host: str, body: bytes) -> None:
    """.NET sends the head with Expect: 100-continue and the body after a 100 (or after 350 ms)."""
    raw = head([
        f"POST {PATH} HTTP/1.1", f"Host: {host}", "Content-Type: application/json; charset=utf-8",
        f"Content-Length: {len(body)}", "Expect: 100-continue",
    ])  # fmt: skip
    sock.sendall(raw)
    sock.settimeout(0.35)
    try:
        interim = sock.recv(4096)
    except socket.timeout:
        interim = b""
    sock.settimeout(10)
    assert interim == b"" or interim.startswith(b"HTTP/1.1 100 "), interim
    sock.sendall(body)
    assert_nonce(*read_response(sock)[::2])


def h2c_upgrade(sock: socket.socket, host: str, body: bytes) -> None:
    """java.net.http on a plain URL: an HTTP/2 upgrade offer on the first request."""
    raw = head([
        f"POST {PATH} HTTP/1.1", "Connection: Upgrade, HTTP2-Settings", f"Content-Length: {len(body)}",
        f"Host: {host}", "HTTP2-Settings: AAEAAEAAAAIAAAABAAMAAABkAAQBAAAAAAUAAEAA", "Upgrade: h2c",
        "User-Agent: Java-http-client/17.0.15", "Content-Type: application/json",
    ])  # fmt: skip
    sock.sendall(raw + body)
    assert_nonce(*read_response(sock)[::2])
    plain = head([f"POST {PATH} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"])
    sock.sendall(plain + body)  # the connection stays HTTP/1.1 and alive
    assert_nonce(*read_response(sock)[::2])


SHAPES = {
    "go-net-http": go_net_http,
    "okhttp-keepalive-gzip": okhttp,
    "dotnet-expect-100-continue": dotnet_expect_continue,
    "java-h2c-upgrade": h2c_upgrade,
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_a_client_shape_gets_a_nonce(both_servers: ServerProcess, shape: str) -> None:
    with socket.create_connection(("127.0.0.1", both_servers.port), timeout=10) as sock:
        SHAPES[shape](sock, f"127.0.0.1:{both_servers.port}", body_for(Member.new()))


def test_a_chunked_upload_from_requests_with_a_generator(both_servers: ServerProcess) -> None:
    body = body_for(Member.new())

    def pieces() -> Iterator[bytes]:
        for i in range(0, len(body), 7):
            yield body[i : i + 7]

    r = requests.post(
        both_servers.url + PATH, data=pieces(), headers={"Content-Type": "application/json"}, timeout=10
    )
    assert r.request.headers.get("Transfer-Encoding") == "chunked"
    assert_nonce(r.status_code, r.content)
