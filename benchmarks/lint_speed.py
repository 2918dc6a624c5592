#!/usr/bin/env python3
"""How fast `compose-policy lint` is: the whole corpus against dclint, and one recipe alone.

    python benchmarks/lint_speed.py                     # everything, results as Markdown + JSON
    python benchmarks/lint_speed.py --no-dclint --runs 30
    python benchmarks/lint_speed.py --regular-venv /tmp/bench-venv   # also a non-editable install

Measures, each as the wall time of a whole process (median of repeated runs):

- ``compose-policy lint <corpus>``: every YAML file of the corpus in one run, with the
  default ``--jobs`` (a worker per core for that many stacks) and with ``--jobs 1``;
- ``dclint <the same files>``: the npm linter, installed on first use under
  benchmarks/node_modules (git-ignored), also in one process;
- ``compose-policy lint <recipe>``: what a pre-commit hook runs (target: under 100 ms).

Targets: the corpus at least 100x faster than dclint (with --no-dclint, against dclint's
recorded time), one recipe within 100 ms.

The editable install (``pip install -e``) adds an import hook, so the compose-policy runs
are repeated with a regular install when ``--regular-venv`` names one (created with
``pip install <repo>`` when it does not exist yet). Python's bytecode cache is enabled for
the measured processes, as it is for users (PYTHONDONTWRITEBYTECODE is removed), and warm-up
runs fill it. hyperfine is used when it is on PATH, else a plain loop of subprocesses.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
TARGET_SINGLE_MS = 100.0
TARGET_RATIO = 100.0
# dclint's whole-corpus time recorded in RESULTS.md (3 runs, 2026-12): the ratio with --no-dclint
RECORDED_DCLINT_SECONDS = 108.0


def measured_env() -> Dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # users have a bytecode cache
    env["NO_COLOR"] = "1"
    return env


def machine() -> Dict[str, str]:
    info = {"python": platform.python_version(), "platform": platform.platform()}
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
        info["cpu"] = cpu
    except (OSError, StopIteration):
        info["cpu"] = platform.processor() or "unknown"
    info["cores"] = str(os.cpu_count())
    try:
        kib = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
        info["memory"] = f"{kib / (1 << 20):.0f} GiB"
    except (OSError, StopIteration):
        pass
    info["load average (1, 5, 15 min) at start"] = " ".join(f"{v:.2f}" for v in os.getloadavg())
    for tool, args in (("node", ["node", "--version"]), ("hyperfine", ["hyperfine", "--version"])):
        if shutil.which(args[0]):
            info[tool] = subprocess.run(args, capture_output=True, text=True).stdout.strip()
    return info


# --- the tools -------------------------------------------------------------------------

def dclint_bin() -> Path:
    binary = BENCH / "node_modules" / ".bin" / "dclint"
    if not binary.exists():
        if not shutil.which("npm"):
            sys.exit("lint_speed: npm is needed to install dclint (apt-get install npm)")
        print("installing dclint under benchmarks/node_modules ...", file=sys.stderr)
        subprocess.run(["npm", "install", "--no-save", "--no-audit", "--no-fund", "--prefix", str(BENCH),
                        "dclint"], check=True, stdout=subprocess.DEVNULL)
    return binary


def dclint_version(binary: Path) -> str:
    return subprocess.run([str(binary), "--version"], capture_output=True, text=True).stdout.strip()


def regular_venv(path: Path) -> Path:
    binary = path / "bin" / "compose-policy"
    if not binary.exists():
        print(f"creating {path} with a regular (non-editable) install ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
        subprocess.run([str(path / "bin" / "pip"), "install", "-q", str(ROOT)], check=True)
    return binary


def corpus_files(corpus: Path) -> List[str]:
    return sorted(str(p) for p in corpus.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())


def files_compose_policy_reads(binary: str, corpus: Path) -> int:
    proc = subprocess.run([binary, "lint", str(corpus), "--format", "json"], capture_output=True, text=True,
                          env=measured_env())
    return json.loads(proc.stdout)["summary"]["files"]


# --- timing ------------------------------------------------------------------------------

def time_command(argv: List[str], runs: int, warmup: int) -> Dict[str, float]:
    """Median, min and max wall seconds of ``argv`` over ``runs`` runs."""
    if shutil.which("hyperfine") and len(" ".join(argv)) < 100_000:
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            subprocess.run(["hyperfine", "-N", "-i", "--style", "none", "--warmup", str(warmup),
                            "--runs", str(runs), "--export-json", out.name, shlex.join(argv)],
                           check=True, env=measured_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            result = json.load(open(out.name))["results"][0]
        times = result["times"]
        return {"median": result["median"], "min": min(times), "max": max(times), "runs": len(times),
                "user": result.get("user"), "system": result.get("system"), "tool": "hyperfine"}
    times = []
    for index in range(warmup + runs):
        start = time.perf_counter()
        subprocess.run(argv, env=measured_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if index >= warmup:
            times.append(time.perf_counter() - start)
    return {"median": statistics.median(times), "min": min(times), "max": max(times), "runs": len(times),
            "tool": "subprocess loop"}


def import_profile(binary: str, recipe: Path, runs: int = 5) -> List[tuple]:
    """The slowest imports of a single-recipe lint (best of ``runs``), from -X importtime."""
    python = Path(binary).with_name("python")
    best: Dict[str, tuple] = {}
    for _ in range(runs):
        proc = subprocess.run([str(python), "-X", "importtime", "-m", "compose_policy", "lint", str(recipe)],
                              capture_output=True, text=True, env=measured_env())
        for line in proc.stderr.splitlines():
            match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
            if match:
                name, own, total = match.group(4), int(match.group(1)), int(match.group(2))
                if name not in best or total < best[name][1]:
                    best[name] = (own, total, len(match.group(3)))
    return sorted(((name, own, total) for name, (own, total, _) in best.items()), key=lambda r: -r[2])


# --- report ------------------------------------------------------------------------------

def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def markdown(results: dict) -> str:
    lines = ["| what | runs | median wall | min wall | max wall | mean CPU (user+sys) |", "|---|---|---|---|---|---|"]
    for row in results["timings"]:
        t = row["time"]
        cpu = ms(t["user"] + t["system"]) if t.get("user") is not None else "-"
        lines.append(f"| {row['what']} | {t['runs']} | {ms(t['median'])} | {ms(t['min'])} | {ms(t['max'])} "
                     f"| {cpu} |")
    lines.append("")
    for verdict in results["verdicts"]:
        lines.append(f"- {verdict}")
    lines.append("")
    lines.append("Machine: " + "; ".join(f"{k} {v}" for k, v in results["machine"].items()))
    if results.get("imports"):
        lines += ["", "Slowest imports of a single-recipe lint (cumulative, best of 5):", "",
                  "| module | self | cumulative |", "|---|---|---|"]
        for name, own, total in results["imports"][:15]:
            lines.append(f"| {name} | {own / 1000:.1f} ms | {total / 1000:.1f} ms |")
    return "\n".join(lines) + "\n"


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--recipe", type=Path, default=None, help="default: <corpus>/coopcloud/bonfire")
    parser.add_argument("--compose-policy", default=str(ROOT / ".venv" / "bin" / "compose-policy"),
                        help="the (editable) install to time")
    parser.add_argument("--regular-venv", type=Path, default=None,
                        help="also time a regular install in this venv (created when missing)")
    parser.add_argument("--runs", type=int, default=10, help="runs of each compose-policy measurement")
    parser.add_argument("--single-runs", type=int, default=40, help="runs of the single-recipe lint")
    parser.add_argument("--dclint-runs", type=int, default=3)
    parser.add_argument("--no-dclint", action="store_true")
    parser.add_argument("--imports", action="store_true", help="add an -X importtime breakdown")
    parser.add_argument("--json", type=Path, default=None, help="write the raw results here")
    args = parser.parse_args(argv)

    corpus = args.corpus.resolve()
    if not corpus.is_dir():
        print(f"lint_speed: no corpus at {corpus}", file=sys.stderr)
        return 2
    recipe = (args.recipe or corpus / "coopcloud" / "bonfire").resolve()
    files = corpus_files(corpus)
    installs = {"editable install": args.compose_policy}
    if args.regular_venv:
        installs["regular install"] = str(regular_venv(args.regular_venv))

    results = {"machine": machine(), "timings": [], "verdicts": [], "files": len(files)}
    read = files_compose_policy_reads(args.compose_policy, corpus)
    if read != len(files):
        results["verdicts"].append(f"note: compose-policy read {read} files, dclint is given {len(files)}")

    corpus_time = {}
    for label, binary in installs.items():
        for jobs, how in (([], "default --jobs"), (["--jobs", "1"], "--jobs 1")):
            t = time_command([binary, "lint", str(corpus), *jobs], args.runs, warmup=2)
            corpus_time[f"{label}, {how}"] = t["median"]
            results["timings"].append({"what": f"compose-policy lint, whole corpus ({len(files)} files), "
                                               f"{label}, {how}", "time": t})
    if args.no_dclint:
        for label, seconds in corpus_time.items():
            ratio = RECORDED_DCLINT_SECONDS / seconds
            results["verdicts"].append(f"whole corpus, {label}: {ratio:.0f}x faster than dclint's recorded "
                                       f"{RECORDED_DCLINT_SECONDS:.0f} s (target {TARGET_RATIO:.0f}x: "
                                       f"{'met' if ratio >= TARGET_RATIO else 'MISSED'})")
    else:
        binary = dclint_bin()
        results["machine"]["dclint"] = dclint_version(binary)
        t = time_command([str(binary), *files], args.dclint_runs, warmup=0)
        results["timings"].append({"what": f"dclint, the same {len(files)} files", "time": t})
        for label, seconds in corpus_time.items():
            ratio = t["median"] / seconds
            results["verdicts"].append(f"whole corpus, {label}: {ratio:.0f}x faster than dclint "
                                       f"(target {TARGET_RATIO:.0f}x: {'met' if ratio >= TARGET_RATIO else 'MISSED'})")
        recipe_files = [f for f in files if f.startswith(str(recipe) + os.sep)]
        t = time_command([str(binary), *recipe_files], args.dclint_runs, warmup=1)
        results["timings"].append({"what": f"dclint, {recipe.name}'s {len(recipe_files)} files", "time": t})
    for label, binary in installs.items():
        t = time_command([binary, "lint", str(recipe)], args.single_runs, warmup=3)
        results["timings"].append({"what": f"compose-policy lint {recipe.name} (one recipe), {label}", "time": t})
        results["verdicts"].append(
            f"one recipe, {label}: median {ms(t['median'])} (target {TARGET_SINGLE_MS:.0f} ms: "
            f"{'met' if t['median'] * 1000 <= TARGET_SINGLE_MS else 'MISSED'})")
    python = str(Path(args.compose_policy).with_name("python"))
    t = time_command([python, "-c", "pass"], args.single_runs, warmup=3)
    results["timings"].append({"what": "python -c pass (interpreter start-up, same venv)", "time": t})
    t = time_command([python, "-S", "-c", "pass"], args.single_runs, warmup=3)
    results["timings"].append({"what": "python -S -c pass (start-up without site)", "time": t})
    if args.imports:
        results["imports"] = import_profile(args.compose_policy, recipe)
    results["machine"]["load average (1, 5, 15 min) at end"] = " ".join(f"{v:.2f}" for v in os.getloadavg())

    print(markdown(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
