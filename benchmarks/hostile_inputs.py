"""Cost of hostile inputs: wall time and peak Python allocation of one lint per case.

Each case is a small recipe (about 1 KB, except where the size is the point) built in a
temporary folder and linted in a child process under an address-space limit and a
timeout, so that a version without the limits ends in MemoryError or a timeout instead of
taking the machine down. Peak allocation is tracemalloc's, for the lint call alone
(imports and rule loading excluded).

    python benchmarks/hostile_inputs.py [--runs 5] [--memory-mb 1024] [--timeout 30]

``--pythonpath DIR`` runs another checkout's package (a folder holding compose_policy/).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile

SERVICE = "services:\n  app:\n    image: nginx:1.25\n"


def alias_bomb(levels: int = 12, fanout: int = 4) -> str:
    lines = ["x-a0: &a0 {k: v}"]
    for i in range(1, levels):
        lines.append(f"x-a{i}: &a{i} {{" + ", ".join(f"k{j}: *a{i - 1}" for j in range(fanout)) + "}")
    return "\n".join(lines) + "\n" + SERVICE + f"    deploy: *a{levels - 1}\n"


ENV_BOMB = "A=xxxxxxxxxx\n" + "".join(f"{b}=" + f"${{{a}}}" * 10 + "\n" for a, b in zip("ABCDEFGHI", "BCDEFGHIJ"))
CASES = {
    "alias bomb (4^11 nodes)": {"compose.yml": alias_bomb()},
    "recursive anchor": {"compose.yml": "services:\n  app: &a\n    image: x\n    deploy: *a\n"},
    "nesting 700 levels": {"compose.yml": SERVICE + "    x-d:\n" + "".join(" " * (6 + i) + f"k{i}:\n"
                                                                           for i in range(700))},
    "env expansion bomb (10 lines)": {"compose.yml": SERVICE + "    environment: {BIG: '${J}'}\n", ".env": ENV_BOMB},
    "ports 1-65535:1-65535 x 40": {"compose.yml": SERVICE + "    ports:\n" + '      - "1-65535:1-65535"\n' * 40},
    "20000 suppression comments": {"compose.yml": "# compose-policy: disable=CP101\n" * 20000 + SERVICE},
    "310-digit durations": {"compose.yml": SERVICE + "    healthcheck:\n      test: [CMD, 'true']\n"
                            f"      interval: 1{'0' * 310}s\n    deploy:\n"
                            "      update_config: {failure_action: rollback}\n"},
    "50 MB compose file": None,  # written by make_case
}

CHILD = r"""
import json, sys, time, tracemalloc
from compose_policy.engine import LintOptions, lint_paths
warm = sys.argv[2]
lint_paths([warm], LintOptions(find_config=False))
tracemalloc.start()
started = time.perf_counter()
try:
    result = lint_paths([sys.argv[1]], LintOptions(find_config=False))
    outcome = ",".join(sorted({f.rule for f in result.findings})) or "clean"
except BaseException as exc:
    outcome = type(exc).__name__
seconds = time.perf_counter() - started
peak = tracemalloc.get_traced_memory()[1]
print(json.dumps({"seconds": seconds, "peak": peak, "outcome": outcome}))
"""


def make_case(root: str, name: str, label: str) -> str:
    folder = os.path.join(root, label)
    os.makedirs(folder)
    files = CASES[name]
    if files is None:
        with open(os.path.join(folder, "compose.yml"), "w") as handle:
            handle.write(SERVICE + "    labels:\n")
            line = "      k{}: " + "v" * 80 + "\n"
            for i in range(50 * 1024 * 1024 // len(line)):
                handle.write(line.format(i))
        return folder
    for rel, text in files.items():
        with open(os.path.join(folder, rel), "w") as handle:
            handle.write(text)
    return folder


def run_one(folder: str, warm: str, memory_mb: int, timeout: float, pythonpath: str):
    limit = memory_mb << 20
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath

    def bound():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    try:
        done = subprocess.run([sys.executable, "-c", CHILD, folder, warm], capture_output=True, text=True,
                              timeout=timeout, preexec_fn=bound, env=env)
    except subprocess.TimeoutExpired:
        return {"seconds": timeout, "peak": None, "outcome": f"timeout after {timeout:g} s"}
    if done.returncode != 0 or not done.stdout.strip():
        last = (done.stderr.strip().splitlines() or ["killed"])[-1]
        return {"seconds": None, "peak": None, "outcome": last[:60]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--memory-mb", type=int, default=1024)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--pythonpath", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        warm = os.path.join(root, "warm")
        os.makedirs(warm)
        with open(os.path.join(warm, "compose.yml"), "w") as handle:
            handle.write(SERVICE)
        print("| input | median time | max time | peak allocation | outcome |")
        print("|---|---:|---:|---:|---|")
        for index, name in enumerate(CASES):
            folder = make_case(root, name, f"case{index}")
            results = [run_one(folder, warm, args.memory_mb, args.timeout, args.pythonpath)
                       for _ in range(args.runs)]
            times = [r["seconds"] for r in results if r["seconds"] is not None]
            peaks = [r["peak"] for r in results if r["peak"] is not None]
            median = f"{statistics.median(times) * 1000:.0f} ms" if times else "-"
            worst = f"{max(times) * 1000:.0f} ms" if times else "-"
            peak = f"{max(peaks) / (1 << 20):.2f} MB" if peaks else "-"
            print(f"| {name} | {median} | {worst} | {peak} | {results[-1]['outcome']} |")


if __name__ == "__main__":
    main()
