"""One observation: a server (started from the registry, or a URL), the recording proxy in front
of it, the client command run with ``AVP_SERVER_URL`` pointing at the proxy, then the judges.

The command runs in its own process group, bounded by a timeout; its output goes to
``client.log`` in the report folder. The server is stopped however the command ends.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from avp.interop.launcher import RunningServer, start_group, stop_group
from avp.interop.observe.exchanges import Recorder, Seen
from avp.interop.proxy import Proxy

SERVER_URL_ENV = "AVP_SERVER_URL"
DEFAULT_TIMEOUT = 120.0


@dataclass(frozen=True)
class Observation:
    command: tuple[str, ...]
    exchanges: list[Seen]
    #: None when the command could not start or was stopped at the timeout
    exit_code: Optional[int]
    timed_out: bool
    start_error: Optional[str]
    duration_s: float
    log: Path


def observe(command: list[str], server: RunningServer, log_dir: Path, timeout: float) -> Observation:
    """Run ``command`` against ``server`` through the recording proxy."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / "client.log"
    recorder = Recorder()
    started = time.monotonic()
    exit_code: Optional[int] = None
    timed_out, start_error = False, None
    with Proxy(server.url, recorder) as proxy, open(log_path, "wb") as log:
        env = {**os.environ, SERVER_URL_ENV: proxy.url}
        try:
            proc = start_group(command, log, env)
        except OSError as err:
            start_error = f"could not start {command[0]!r}: {err}"
        else:
            try:
                exit_code = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
            finally:
                stop_group(proc)  # whatever it left running too
    return Observation(
        tuple(command),
        recorder.exchanges(),
        exit_code,
        timed_out,
        start_error,
        time.monotonic() - started,
        log_path,
    )
