"""What importing the core adds to an interpreter start (goal: `import avp.crypto` ≤ 20 ms).

Two measures, each the median of N fresh processes run in the same sitting: the wall time of
`python -c "import X"` minus that of `python -c pass`, and the cumulative time Python's own
`-X importtime` reports for X (less sensitive to a busy machine).
Usage: python benchmarks/import_time.py [--python PY] [-n N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

MODULES = ("avp.crypto", "avp", "avp.models", "avp.federation")


def run_ms(python: str, statement: str) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(
        [python, "-X", "importtime", "-c", statement], capture_output=True, text=True, check=True
    )
    return (time.perf_counter() - start) * 1000, done.stderr


def cumulative_ms(importtime: str, module: str) -> float:
    """The cumulative microseconds of the line for `module` (the last one: imports are post-order)."""
    for line in reversed(importtime.splitlines()):
        _, _, cumulative, name = (
            part.strip() for part in (line.split(":", 1)[0], *line.split(":", 1)[1].split("|"))
        )
        if name.strip() == module:
            return int(cumulative) / 1000
    raise SystemExit(f"{module} not in the -X importtime output")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=sys.executable, help="interpreter with avp installed")
    parser.add_argument("-n", type=int, default=30, help="processes per measure (median reported)")
    args = parser.parse_args()
    bare = statistics.median(run_ms(args.python, "pass")[0] for _ in range(args.n))
    print(f"bare interpreter start: {bare:.1f} ms (median of {args.n})")
    print(f"{'module':16} {'wall - bare':>12} {'-X importtime':>14}")
    for module in MODULES:
        runs = [run_ms(args.python, f"import {module}") for _ in range(args.n)]
        wall = statistics.median(ms for ms, _ in runs) - bare
        own = statistics.median(cumulative_ms(err, module) for _, err in runs)
        print(f"{module:16} {wall:9.1f} ms {own:11.1f} ms")
    print("goal: import avp.crypto ≤ 20 ms over a bare interpreter")


if __name__ == "__main__":
    main()
