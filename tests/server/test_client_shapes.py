"""Issue 17: the request shapes mainstream HTTP clients send by default, through both our servers.

Each shape is a challenge request (then, on a keep-alive connection, a second one) written byte for
byte as that client writes it; the answer must be the normal 200 with a nonce.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import time
from collections.abc import Iterator
from urllib.parse import quote

import pytest
import requests

from .api import Api, Member, envelope, manifest, new_repo_id
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


H2C = "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n"


@pytest.mark.parametrize("framing", ["length", "chunked"])
def test_an_h2c_offer_with_a_body_near_the_limit_in_pieces_is_read_whole(
    both_servers: ServerProcess, framing: str
) -> None:
    """Issue 17: every route, body sizes up to the limit, the body in later packets, keep-alive."""
    member = Member.new()
    with Api(both_servers.url) as api:
        token = api.login(member)
        limit = int(api.call("GET", "/.well-known/avp").json()["limits"]["maxBodyBytes"])
    repo_id = new_repo_id()
    # Base64 grows 4/3: a payload whose createRepo body is just under the limit.
    payload = os.urandom((limit - 4096) * 3 // 4)
    body = json.dumps(
        {
            "manifest": manifest(repo_id, [member.entry(0)]),
            "initialEnvelope": envelope(repo_id, 1, 0, payload),
        }
    ).encode()
    assert len(body) <= limit
    if framing == "length":
        framed, length_header = body, f"Content-Length: {len(body)}\r\n"
    else:
        framed = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in (body[:1000], body[1000:])) + b"0\r\n\r\n"
        length_header = "Transfer-Encoding: chunked\r\n"
    host = f"127.0.0.1:{both_servers.port}"
    request_head = (
        f"POST /v1/repos HTTP/1.1\r\nHost: {host}\r\n{H2C}Authorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\n{length_header}\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", both_servers.port), timeout=30) as sock:
        sock.sendall(request_head)
        time.sleep(0.2)  # the head arrives alone, the body later and in pieces
        for i in range(0, len(framed), 65536):
            sock.sendall(framed[i : i + 65536])
        status, _, answer = read_response(sock)
        assert status == 200, answer[:300]
        pull = json.dumps({"repoId": repo_id, "knownPayloadVersion": 0}).encode()
        sock.sendall(
            f"POST /v1/repos/{quote(repo_id, safe='')}/pull HTTP/1.1\r\nHost: {host}\r\n{H2C}"
            f"Authorization: Bearer {token}\r\nContent-Length: {len(pull)}\r\n\r\n".encode()
            + pull
        )
        status, _, answer = read_response(sock)
    assert status == 200, answer[:300]
    assert base64.b64decode(json.loads(answer)["envelope"]["ciphertext"]) == payload
