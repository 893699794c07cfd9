"""Crypto benchmark: ``avp`` (Rust) against the same operation composed from pyca ``cryptography``
and, where it has the primitive, PyNaCl (libsodium), measured in one run on this machine.

Prints one row per operation: the median time of each implementation and the speed-up of ``avp``
(the median over rounds of peer time / avp time, both measured back to back in each round; > 1
means avp is faster). ``--json`` prints the same as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from typing import Any, Callable, Optional

import envelope
import nacl.bindings
import nacl.signing
from avp import crypto
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

INFO = b"avp/rdk-wrap/v1"
#: Goals of the issue (minimum speed-up): against pyca ``cryptography`` per operation; against
#: PyNaCl, "never slower" (1.0) wherever it has the primitive.
GOALS = {
    "wrap_key": 2.0,
    "unwrap_key": 2.0,
    "wrap_key_many (1000 recipients)": 4.0,
    "ed25519_verify": 1.5,
    "ed25519_sign": 1.5,
}
PAYLOAD_GOAL = 1.0
PEER_GOAL = 1.0
RAW = serialization.Encoding.Raw
RAW_PUB = serialization.PublicFormat.Raw


def time_once(fn: Callable[[], Any], inner: int) -> float:
    """Mean seconds of ``inner`` back-to-back calls."""
    start = time.perf_counter()
    for _ in range(inner):
        fn()
    return (time.perf_counter() - start) / inner


def compare(
    avp_fn: Callable[[], Any], peers: dict[str, Callable[[], Any]], *, rounds: int, inner: int
) -> tuple[float, dict[str, tuple[float, float]]]:
    """Interleave avp and each peer in every round (the machine is shared: load changes between
    rounds, not within one), and take medians: avp's time, and per peer its time and the median
    of the per-round ratios peer/avp."""
    for fn in (avp_fn, *peers.values()):
        fn()  # warm up (first-touch pages, lazy imports)
    avp_times: list[float] = []
    peer_times: dict[str, list[float]] = {name: [] for name in peers}
    ratios: dict[str, list[float]] = {name: [] for name in peers}
    for _ in range(rounds):
        t_avp = time_once(avp_fn, inner)
        avp_times.append(t_avp)
        for name, fn in peers.items():
            t = time_once(fn, inner)
            peer_times[name].append(t)
            ratios[name].append(t / t_avp)
    return statistics.median(avp_times), {
        name: (statistics.median(peer_times[name]), statistics.median(ratios[name])) for name in peers
    }


# --- the pyca compositions (what a Python AVP implementation would write) ---------------------------
def pyca_wrap(data_key: bytes, recipient_public: bytes) -> dict[str, bytes]:
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes(RAW, RAW_PUB)
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient_public))
    if shared == bytes(32):
        raise ValueError("all-zero shared secret")
    kek = HKDF(hashes.SHA256(), 32, ephemeral_public, INFO).derive(shared)
    iv = os.urandom(12)
    return {"epk": ephemeral_public, "iv": iv, "ct": AESGCM(kek).encrypt(iv, data_key, INFO)}


def pyca_unwrap(wrapped: dict[str, bytes], recipient_private: bytes) -> bytes:
    private = X25519PrivateKey.from_private_bytes(recipient_private)
    shared = private.exchange(X25519PublicKey.from_public_bytes(wrapped["epk"]))
    if shared == bytes(32):
        raise ValueError("all-zero shared secret")
    kek = HKDF(hashes.SHA256(), 32, wrapped["epk"], INFO).derive(shared)
    return AESGCM(kek).decrypt(wrapped["iv"], wrapped["ct"], INFO)


def run(quick: bool) -> list[dict[str, Any]]:
    rounds = 5 if quick else 15
    scale = 0.2 if quick else 1.0

    def n(count: int) -> int:
        return max(1, int(count * scale))

    rows: list[dict[str, Any]] = []

    def row(name: str, avp_fn: Callable[[], Any], peers: dict[str, Callable[[], Any]], inner: int) -> None:
        t_avp, peer_results = compare(avp_fn, peers, rounds=rounds, inner=inner)
        entry: dict[str, Any] = {"operation": name, "avp_us": t_avp * 1e6, "peers": {}}
        for peer, (t, ratio) in peer_results.items():
            goal = _goal(name, peer)
            entry["peers"][peer] = {
                "us": t * 1e6,
                "ratio": ratio,
                "goal": goal,
                "met": goal is None or ratio >= goal,
            }
        rows.append(entry)

    data_key = crypto.generate_data_key()
    x_priv, x_pub = crypto.x25519_generate()
    wrapped = crypto.wrap_key(data_key, x_pub)
    pyca_wrapped = pyca_wrap(data_key, x_pub)
    row(
        "wrap_key",
        lambda: crypto.wrap_key(data_key, x_pub),
        {"cryptography": lambda: pyca_wrap(data_key, x_pub)},
        n(400),
    )
    row(
        "unwrap_key",
        lambda: crypto.unwrap_key(wrapped, x_priv),
        {"cryptography": lambda: pyca_unwrap(pyca_wrapped, x_priv)},
        n(400),
    )
    publics = [crypto.x25519_generate()[1] for _ in range(1000)]
    row(
        "wrap_key_many (1000 recipients)",
        lambda: crypto.wrap_key_many(data_key, publics),
        {"cryptography (Python loop)": lambda: [pyca_wrap(data_key, p) for p in publics]},
        1,
    )

    seed, ed_pub = crypto.ed25519_generate()
    message = os.urandom(64)
    signature = crypto.ed25519_sign(seed, message)
    nacl_verify_key = nacl.signing.VerifyKey(ed_pub)
    row(
        "ed25519_verify",
        lambda: crypto.ed25519_verify(ed_pub, message, signature),
        {
            "cryptography": lambda: Ed25519PublicKey.from_public_bytes(ed_pub).verify(signature, message),
            "PyNaCl": lambda: nacl.signing.VerifyKey(ed_pub).verify(message, signature),
            "PyNaCl (key preloaded)": lambda: nacl_verify_key.verify(message, signature),
        },
        n(1000),
    )
    row(
        "ed25519_sign",
        lambda: crypto.ed25519_sign(seed, message),
        {
            "cryptography": lambda: Ed25519PrivateKey.from_private_bytes(seed).sign(message),
            "PyNaCl": lambda: nacl.signing.SigningKey(seed).sign(message),
        },
        n(1000),
    )
    row(
        "x25519_generate",
        crypto.x25519_generate,
        {
            "cryptography": lambda: X25519PrivateKey.generate().public_key().public_bytes(RAW, RAW_PUB),
            "PyNaCl": lambda: nacl.bindings.crypto_box_keypair(),
        },
        n(1000),
    )
    row(
        "x25519 (shared secret)",
        lambda: crypto.x25519(x_priv, x_pub),
        {
            "cryptography": lambda: X25519PrivateKey.from_private_bytes(x_priv).exchange(
                X25519PublicKey.from_public_bytes(x_pub)
            ),
            "PyNaCl": lambda: nacl.bindings.crypto_scalarmult(x_priv, x_pub),
        },
        n(1000),
    )

    aad = crypto.aad("repo-bench", 7, 2)
    for size, label, inner in ((1 << 20, "1 MiB", n(40)), (16 << 20, "16 MiB", max(1, n(4)))):
        plaintext = os.urandom(size)
        iv, sealed = crypto.seal_payload(data_key, "repo-bench", 7, 2, plaintext)
        row(
            f"seal_payload {label}",
            lambda p=plaintext: crypto.seal_payload(data_key, "repo-bench", 7, 2, p),
            {"cryptography": lambda p=plaintext: AESGCM(data_key).encrypt(os.urandom(12), p, aad)},
            inner,
        )
        row(
            f"open_payload {label}",
            lambda i=iv, s=sealed: crypto.open_payload(data_key, "repo-bench", 7, 2, i, s),
            {"cryptography": lambda i=iv, s=sealed: AESGCM(data_key).decrypt(i, s, aad)},
            inner,
        )
        for entry in rows[-2:]:
            entry["avp_gbps"] = size / (entry["avp_us"] / 1e6) / 1e9
            for peer in entry["peers"].values():
                peer["gbps"] = size / (peer["us"] / 1e6) / 1e9

    for count, inner in ((1000, n(20)), (100_000, 1)):
        for name, avp_fn, peers in envelope.cases(count):
            row(name, avp_fn, peers, inner)
    return rows


def memory_rows(count: int = 100_000) -> list[dict[str, Any]]:
    """Peak extra RSS while opening ``count`` alts, per implementation (see benchmarks/envelope.py)."""
    out = []
    for which in ("avp", "plain"):
        peak, size = envelope.peak_extra_memory(count, which)
        out.append({"implementation": which, "alts": count, "peakBytes": peak, "plaintextBytes": size})
    return out


def _goal(operation: str, peer: str) -> Optional[float]:
    if peer.startswith("PyNaCl"):
        return PEER_GOAL
    if operation.startswith(("seal_payload", "open_payload")):
        return PAYLOAD_GOAL
    if operation.startswith(("seal_envelope", "open_envelope")):
        return envelope.goal(operation, peer)
    return GOALS.get(operation)


def render(rows: list[dict[str, Any]]) -> str:
    head = f"{'operation':32} {'avp':>11} {'peer':>26} {'peer time':>11} {'speed-up':>9} {'goal':>8}"
    lines = [head]
    for r in rows:
        for i, (peer, p) in enumerate(r["peers"].items()):
            first = r["operation"] if i == 0 else ""
            mine = _fmt(r["avp_us"], r.get("avp_gbps")) if i == 0 else ""
            goal = "" if p["goal"] is None else f"{p['goal']:.1f}x" + ("" if p["met"] else " !")
            peer_time = _fmt(p["us"], p.get("gbps"))
            row = f"{first:32} {mine:>11} {peer:>26} {peer_time:>11} {p['ratio']:>8.2f}x {goal:>8}"
            lines.append(row.rstrip())
    lines.append("speed-up = median over rounds of peer time / avp time; '!' marks a goal not reached")
    return "\n".join(lines)


def render_memory(rows: list[dict[str, Any]]) -> str:
    lines = []
    for r in rows:
        ratio = r["peakBytes"] / r["plaintextBytes"]
        goal = f"  (goal <= {envelope.MEMORY_GOAL:.1f}x{'' if ratio <= envelope.MEMORY_GOAL else ' !'})"
        lines.append(
            f"peak extra memory, open_envelope {r['alts']:,} alts, {r['implementation']:5}: "
            f"{r['peakBytes'] / 2**20:7.1f} MiB = {ratio:.2f}x the plaintext "
            f"({r['plaintextBytes'] / 2**20:.1f} MiB)" + (goal if r["implementation"] == "avp" else "")
        )
    return "\n".join(lines)


def _fmt(us: float, gbps: Optional[float]) -> str:
    if gbps is not None:
        return f"{gbps:.2f} GB/s"
    return f"{us:.1f} us" if us < 10_000 else f"{us / 1000:.1f} ms"


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a smoke run, noisier)")
    args = parser.parse_args(argv)
    rows = run(args.quick)
    memory = memory_rows()
    if args.json:
        document = {"schemaVersion": 1, "python": sys.version.split()[0], "rows": rows, "memory": memory}
        print(json.dumps(document, indent=2))
    else:
        print(render(rows))
        print(render_memory(memory))
    return 0


if __name__ == "__main__":
    sys.exit(main())
