#!/usr/bin/env python3
"""How long the fleet report and the overlay audit take, how much memory, how big each format is.

    python benchmarks/fleet_report.py [--runs 5] [--corpus ../shared/corpus]

Each measurement is a whole ``compose-policy`` process (median wall time of --runs runs, peak
RSS of the process from getrusage): the fleet report of the swarm corpus in every format, and
the fleet report plus overlay audit of the Co-op Cloud recipes with the CI overlays of
tests/fixtures/fleet. Prints a Markdown table for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OVERLAYS = "tests/fixtures/fleet/ci/tests/{recipe}"


def measure(args, runs: int):
    """(median seconds, peak RSS in MiB, output size in bytes) of ``compose-policy ARGS``."""
    times, peaks, size = [], [], 0
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "compose_policy", *args], cwd=ROOT,
                              capture_output=True, timeout=600)
        times.append(time.perf_counter() - start)
        if done.returncode not in (0, 1):
            sys.exit(f"compose-policy {' '.join(args)} failed: {done.stderr.decode()[-300:]}")
        # ru_maxrss of children is the largest so far: exact for the first run, a bound after
        peaks.append(max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024)
        size = len(done.stdout.decode())
    return statistics.median(times), max(peaks), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    options = parser.parse_args()
    swarm = str(options.corpus / "swarm")
    cases = [(f"fleet swarm corpus --format {f}", ["fleet", swarm, "--format", f])
             for f in ("text", "markdown", "html", "json")]
    coop = str(options.corpus / "coopcloud")
    cases.append(("fleet coopcloud --overlay-dir (judge + audit)", ["fleet", coop, "--overlay-dir", OVERLAYS]))
    cases.append(("audit coopcloud --overlay-dir", ["audit", coop, "--overlay-dir", OVERLAYS]))
    cases.append(("lint swarm corpus (for comparison)", ["lint", swarm]))
    print(f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, {options.runs} runs each\n")
    print("| command | median | peak RSS | output |")
    print("|---|---:|---:|---:|")
    for name, args in cases:
        seconds, peak, size = measure(args, options.runs)
        print(f"| `{name}` | {seconds:.2f} s | {peak:.0f} MiB | {size / 1024:.0f} KiB |")


if __name__ == "__main__":
    main()
