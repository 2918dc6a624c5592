#!/usr/bin/env python3
"""How a fleet of 1,000 recipes scales: wall time and peak memory, serial and on all cores.

    python benchmarks/fleet_scale.py [--recipes 1000] [--runs 5] [--corpus ../shared/corpus]

The fleet is built in a temporary folder (never in the repository) from the Co-op Cloud
recipes of the corpus, each copied under new names (``bonfire-0001``, ...) until there are
--recipes of them. Each measurement is a whole ``compose-policy`` process run with the
bytecode cache enabled, as for users. Peak memory is sampled every 10 ms as the summed RSS
of the process and its worker processes (so a parallel run is charged for every worker).
Prints a Markdown table for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build_fleet(corpus: Path, count: int, into: Path) -> int:
    recipes = sorted(p for p in (corpus / "coopcloud").iterdir() if (p / "compose.yml").is_file())
    if not recipes:
        sys.exit(f"fleet_scale: no Co-op Cloud recipes under {corpus / 'coopcloud'}")
    for index in range(count):
        source = recipes[index % len(recipes)]
        shutil.copytree(source, into / f"{source.name}-{index:04d}", symlinks=True)
    return len(recipes)


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            return next((int(line.split()[1]) for line in handle if line.startswith("VmRSS:")), 0)
    except OSError:
        return 0


def _tree(pid: int) -> list:
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        try:
            with open(f"/proc/{current}/task/{current}/children") as handle:
                todo.extend(int(child) for child in handle.read().split())
        except OSError:
            pass
    return out


def run_once(argv, env):
    """(wall seconds, peak summed RSS in MiB, exit code, stdout)."""
    peak = [0]
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], sum(_rss_kib(pid) for pid in _tree(proc.pid)))
            done.wait(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, _ = proc.communicate(timeout=600)
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    return seconds, peak[0] / 1024, proc.returncode, stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipes", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--compose-policy", default=str(Path(sys.executable).with_name("compose-policy")))
    options = parser.parse_args()
    env = dict(os.environ, NO_COLOR="1")
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # users have a bytecode cache
    with tempfile.TemporaryDirectory(prefix="fleet-scale-") as tmp:
        fleet = Path(tmp)
        distinct = build_fleet(options.corpus, options.recipes, fleet)
        print(f"{options.recipes} recipes ({distinct} distinct, copied), {os.cpu_count()} cores, "
              f"Python {sys.version.split()[0]}, {options.runs} runs each, "
              f"load average {' '.join(f'{v:.1f}' for v in os.getloadavg())} at start\n")
        print("| command | jobs | median | min | max | peak RSS (all processes) |")
        print("|---|---:|---:|---:|---:|---:|")
        outputs = {}
        for command in (["fleet", "--format", "json"], ["lint", "--format", "json"]):
            for jobs in ("1", "auto"):
                argv = [options.compose_policy, command[0], str(fleet), *command[1:], "--jobs", jobs]
                run_once(argv, env)  # warm-up: bytecode cache, page cache
                results = [run_once(argv, env) for _ in range(options.runs)]
                times = [r[0] for r in results]
                outputs[(command[0], jobs)] = {(r[2], r[3]) for r in results}
                print(f"| `{command[0]}` | {jobs} | {statistics.median(times):.2f} s | {min(times):.2f} s | "
                      f"{max(times):.2f} s | {max(r[1] for r in results):.0f} MiB |")
        for name in ("fleet", "lint"):
            same = outputs[(name, "1")] == outputs[(name, "auto")] and len(outputs[(name, "1")]) == 1
            print(f"\n{name}: output and exit code of --jobs auto {'identical to' if same else 'DIFFER from'} --jobs 1")
        print(f"load average {' '.join(f'{v:.1f}' for v in os.getloadavg())} at the end")


if __name__ == "__main__":
    main()
