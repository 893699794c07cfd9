"""HTTP/1.1 on a raw socket, for tests that must control every byte a client sends."""

from __future__ import annotations

import json
import socket
from typing import Optional


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One response (status, lower-case headers, body); (0, {}, b"") when the server closed first."""
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return 0, {}, b""
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
        return int(lines[0].split(" ")[1]), headers, body[:length]
    except ConnectionResetError:
        return 0, {}, b""


def json_code(body: bytes) -> Optional[str]:
    try:
        value = json.loads(body)
    except ValueError:
        return None
    return value.get("code") if isinstance(value, dict) else None
