#!/usr/bin/env python3
"""What hostile inputs cost `compose-policy fix`: wall time and peak memory of the process.

    python benchmarks/fix_hostile.py            # Markdown table on stdout
    python benchmarks/fix_hostile.py --services 2000,10000

Each case is a fresh recipe in a temporary folder and one `fix` process, measured with
wait4 (peak RSS of that process alone). Cases: a 600-byte alias bomb (overlay and in
place), a recursive anchor, and in place on files of N services that each get a fix.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import subprocess
import sys
import tempfile
import time

HEAVY_SERVICE = ("  {name}:\n    image: discourse/discourse:3.2\n    deploy:\n      update_config:\n"
                 "        failure_action: rollback\n        order: start-first\n")


def alias_bomb(levels: int = 8, width: int = 9) -> str:
    lines = ['version: "3.8"', "x-a0: &a0 [" + ", ".join(["x"] * width) + "]"]
    for i in range(1, levels + 1):
        lines.append(f"x-a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\nservices:\n" + HEAVY_SERVICE.format(name="app") + f"    x-bomb: *a{levels}\n"


RECURSIVE = 'version: "3.8"\nx-loop: &loop\n  again: *loop\nservices:\n' + HEAVY_SERVICE.format(name="app")


def many(count: int) -> str:
    return 'version: "3.8"\nservices:\n' + "".join(HEAVY_SERVICE.format(name=f"s{i}") for i in range(count))


def measure(text: str, args) -> tuple:
    with tempfile.TemporaryDirectory() as tmp:
        folder = pathlib.Path(tmp) / "app"
        folder.mkdir()
        (folder / "compose.yml").write_text(text)
        (folder / ".env.sample").write_text("TYPE=app\n")
        started = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "compose_policy", "fix", str(folder), *args],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        return len(text), os.waitstatus_to_exitcode(status), time.monotonic() - started, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", default="1000,10000", help="service counts for the in-place cases")
    options = parser.parse_args()
    in_place = ["--in-place", "--unsafe-fixes"]
    cases = [("alias bomb, overlay", alias_bomb(), []), ("alias bomb, in place", alias_bomb(), in_place),
             ("recursive anchor, in place", RECURSIVE, in_place)]
    cases += [(f"{n} services, in place, {n} fixes", many(int(n)), in_place) for n in options.services.split(",")]
    print("| case | input | exit | wall | peak RSS |\n|---|---:|---:|---:|---:|")
    for name, text, args in cases:
        size, code, seconds, peak = measure(text, args)
        print(f"| {name} | {size:,} B | {code} | {seconds:.2f} s | {peak:.0f} MB |", flush=True)


if __name__ == "__main__":
    main()
