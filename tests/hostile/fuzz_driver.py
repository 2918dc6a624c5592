"""A seeded mutation fuzzer for lint, config and fix; run by test_fuzz.py in a child process
bounded in memory and time.

Case N is fully determined by N: ``random.Random(N)`` picks a seed input (rule case
snippets, the example recipe, hostile snippets, and the corpus recipes when present) and
mutates it (bytes, lines, YAML tokens, env files, suppression comments). Each case runs
``lint``, ``config``, ``fix`` (overlay) on the recipe, and ``fix --in-place
--unsafe-fixes`` on a copy, in this process through click's runner, and checks:

- the exit code is one of 0, 1, 2, 3, and no exception escaped (no traceback);
- lint, config and the overlay fix leave every existing file byte for byte as it was
  (the overlay fix may add its overlay, nothing else);
- no command takes more than PER_COMMAND_S seconds.

Usage: ``python fuzz_driver.py FIRST LAST OUT.json [SEED_DIR...]``; prints nothing, writes
the failures (case, command, reason, input) as JSON.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import sys
import tempfile
import time
import traceback

PER_COMMAND_S = 5.0
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

HOSTILE_SEEDS = [
    "x-a: &a {k: v}\nx-b: &b [*a, *a, *a]\nservices:\n  app:\n    image: x\n    deploy: {<<: *a}\n    x-l: *b\n",
    "services:\n  app:\n    image: ${IMG:-nginx}\n    ports: ['8000-8010:8000-8010', '53:53/udp']\n"
    "    deploy:\n      replicas: ${N:-2}\n      update_config: {order: start-first, monitor: 1m}\n",
    "services:\n  app:\n    image: discourse/discourse:3.2  # compose-policy: disable=CP101 -- ok\n"
    "    healthcheck: {test: 'curl -f x', interval: 10s, retries: 3}\n"
    "    deploy:\n      update_config: {failure_action: rollback, order: start-first}\n"
    "      labels: [a=1, 'b=${B}']\n",
]
ENV_SEEDS = ["A=1\nB=${A}${A}\nexport C='x y'\nD=\"q\\n${B}\"\nCOMPOSE_FILE=compose.yml\n", "TYPE=x\nDOMAIN=a.b\n",
             "A=xxxxxxxxxx\n" + "".join(f"{b}=" + f"${{{a}}}" * 10 + "\n" for a, b in zip("ABCDEFGHI", "BCDEFGHIJ")),
             "COMPOSE_FILE=compose.yml:compose.extra.yml\nX=5m\nN=1" + "0" * 30 + "\n"]
TOKENS = [":", ": ", "- ", "&a ", "*a", "<<: *a", "${X}", "${X:-1}", "${X:?e}", "$", "$$", "{", "}", "[", "]",
          '"', "'", "\t", "\x00", "\n", "\r\n", "#", " # compose-policy: disable=CP101", "# compose-policy: disable-file=all\n",
          "1" + "0" * 30 + "s", "-1", "0x1F", ".inf", "~", "null", "yes", "!!binary ", "!tag ", "? ", "|\n  ",
          "\ufeff", "\u2028", "é", "---\n", "...\n", "%YAML 1.1\n", "deploy:", "update_config:", "order: start-first",
          "failure_action: rollback", "monitor: ", "healthcheck:", "services:", "x-compose-policy: {ignore: [all]}",
          "  ", "    ", "\\", "\"\\u0000\"", "65535-1:1-65535"]
CONFIG_SEEDS = ["select: [CP1, CP2]\nignore: [CP112]\nfail-on: error\noptions: {heavy-memory: 2G}\n"
                "rules: {CP105: {severity: warning}}\nheavy-images: {acme/big: why}\n"
                "overrides:\n  - {recipes: [r], services: [app], ignore: [CP101]}\n"]
# values that stay valid YAML but probe the readers: overflow, ranges, templates, escapes
VALUES = ["1" + "0" * 310 + "s", "1" + "0" * 30, "-1", "0", "0s", "1e400", ".inf", ".nan", "-.inf", "0x7fffffffffffffff",
          "18446744073709551616", "'1-65535:1-65535'", "'0-65535'", "'${X}'", "'${X:-5m}'", "'${X:?}'", "'$'",
          "'$$'", "[x]", "{a: 1}", "~", "''", "yes", "\"\\x1b[31m\\n::error::x\"", "\"a\\u202eb\\x00\"",
          "rollback", "start-first", "stop-first", "pause", "continue", "'10s'", "1.5", "2562047h47m17s", "30s",
          "'2G'", "'9999999999999999G'", "[CMD, 'true']", "'curl x'", "'a=b'", "[a=1, a=1]", "'${A}${A}${A}${A}'"]
KEYS = ["deploy", "update_config", "rollback_config", "order", "failure_action", "monitor", "delay", "parallelism",
        "max_failure_ratio", "healthcheck", "interval", "timeout", "retries", "start_period", "replicas", "ports",
        "labels", "environment", "image", "x-compose-policy", "memory", "'a\\nb: c'", "\"s\\n/x.yml:1:1: CP000\"",
        "<<", "?", "'1'", "1", "true"]
COMMANDS = (
    ("lint", ["lint", "--format", "json", "{root}"]),
    ("config", ["config", "{root}"]),
    ("fix", ["fix", "--no-config", "{root}"]),
    ("fix-in-place", ["fix", "--no-config", "--in-place", "--unsafe-fixes", "{copy}"]),
)


def seeds(extra_dirs):
    """(compose text, env text or None) pairs, in a stable order."""
    import yaml

    out = [(text, None) for text in HOSTILE_SEEDS]
    with open(os.path.join(ROOT, "examples", "heavy-rails", "compose.yml"), encoding="utf-8") as handle:
        out.append((handle.read(), None))
    cases_dir = os.path.join(ROOT, "tests", "rule_cases")
    for name in sorted(os.listdir(cases_dir)):
        with open(os.path.join(cases_dir, name), encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
        for case in (data.get("cases") or {}).values():
            if isinstance(case, dict) and isinstance(case.get("compose"), str):
                out.append((case["compose"], None))
    for folder in extra_dirs:
        for current, dirs, files in os.walk(folder):
            dirs.sort()
            env = None
            if ".env.sample" in files:
                with open(os.path.join(current, ".env.sample"), encoding="utf-8", errors="replace") as handle:
                    env = handle.read()
            for name in sorted(files):  # compose.yml, docker-compose.yml, stack.yml...
                if not name.endswith((".yml", ".yaml")) or "compose" not in name and "stack" not in name:
                    continue
                with open(os.path.join(current, name), encoding="utf-8", errors="replace") as handle:
                    text = handle.read()
                if "services:" in text and len(text) < 64 << 10:
                    out.append((text, env))
    return out


def _structural(lines, rng: random.Random) -> None:
    """Mutations that keep the YAML readable: values, keys, anchors and aliases."""
    keyed = [i for i, line in enumerate(lines) if ":" in line and not line.lstrip().startswith("#")]
    if not keyed:
        return
    at = rng.choice(keyed)
    head, _, tail = lines[at].partition(":")
    choice = rng.randrange(4)
    if choice == 0:  # a strange value
        lines[at] = f"{head}: {rng.choice(VALUES)}"
    elif choice == 1:  # a strange key at the same indentation
        indent = head[:len(head) - len(head.lstrip())]
        lines[at] = f"{indent}{rng.choice(KEYS)}:{tail}"
    elif choice == 2:  # an anchor here and an alias elsewhere (maybe inside itself)
        lines[at] = f"{head}: &a{tail}"
        other = rng.choice(keyed)
        other_head = lines[other].partition(":")[0]
        lines[other] = f"{other_head}: *a"
    else:  # a block copied to another place (deeper, wider)
        end = min(len(lines), at + rng.randint(1, 8))
        lines[rng.randrange(len(lines)):0] = lines[at:end]


def mutate(text: str, rng: random.Random) -> str:
    for _ in range(rng.randint(1, 4)):
        kind = rng.randrange(10)
        lines = text.split("\n")
        if kind >= 7:
            _structural(lines, rng)
            text = "\n".join(lines)
            continue
        if kind == 0 and text:  # insert a token
            at = rng.randrange(len(text) + 1)
            text = text[:at] + rng.choice(TOKENS) + text[at:]
        elif kind == 1 and text:  # delete a span
            at = rng.randrange(len(text))
            text = text[:at] + text[at + rng.randint(1, 12):]
        elif kind == 2 and lines:  # duplicate a line
            at = rng.randrange(len(lines))
            lines.insert(at, lines[at])
            text = "\n".join(lines)
        elif kind == 3 and len(lines) > 1:  # swap two lines
            a, b = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[a], lines[b] = lines[b], lines[a]
            text = "\n".join(lines)
        elif kind == 4 and lines:  # indent or dedent a line
            at = rng.randrange(len(lines))
            lines[at] = (" " * rng.choice((1, 2, 4)) + lines[at]) if rng.random() < 0.5 else lines[at].lstrip()
            text = "\n".join(lines)
        elif kind == 5 and text:  # replace a character with a random code point
            at = rng.randrange(len(text))
            text = text[:at] + chr(rng.choice((rng.randrange(0, 0x80), rng.randrange(0x80, 0x3000)))) + text[at + 1:]
        elif kind == 6 and lines:  # a line's value made huge or strange
            at = rng.randrange(len(lines))
            if ":" in lines[at]:
                head = lines[at].split(":", 1)[0]
                lines[at] = head + ": " + rng.choice(TOKENS) * rng.randint(1, 50)
                text = "\n".join(lines)
    return text


def case_files(number: int, pool):
    rng = random.Random(number)
    compose, env = pool[rng.randrange(len(pool))]
    files = {"compose.yml": mutate(compose, rng)}
    roll = rng.random()
    if roll < 0.3:
        files[".env"] = mutate(env if env is not None else rng.choice(ENV_SEEDS), rng)
    elif env is not None:
        files[".env.sample"] = env if roll < 0.7 else mutate(env, rng)
    if rng.random() < 0.2:
        files["compose.extra.yml"] = mutate(compose, rng)
    if rng.random() < 0.15:
        files[".compose-policy.yml"] = mutate(rng.choice(CONFIG_SEEDS), rng)
    if rng.random() < 0.1:  # a file the text encodings must cope with
        files["compose.yml"] = files["compose.yml"].encode("utf-16").decode("latin-1")
    return files


def snapshot(folder: str):
    out = {}
    for current, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(current, name)
            with open(path, "rb") as handle:
                out[os.path.relpath(path, folder)] = hashlib.sha256(handle.read()).hexdigest()
    return out


def write(folder: str, files) -> None:
    os.makedirs(folder)
    for name, text in files.items():
        with open(os.path.join(folder, name), "wb") as handle:
            handle.write(text.encode("latin-1") if name == "compose.yml" and text.startswith("\xff\xfe")
                         else text.encode("utf-8", errors="surrogatepass"))


def run_case(number: int, pool, runner, cli, workdir: str):
    failures = []
    files = case_files(number, pool)
    root = os.path.join(workdir, f"case{number}", "r")
    copy = os.path.join(workdir, f"case{number}", "copy", "r")
    write(root, files)
    write(copy, files)
    for name, template in COMMANDS:
        args = [a.format(root=root, copy=copy) for a in template]
        before = snapshot(root)
        started = time.monotonic()
        result = runner.invoke(cli, args, catch_exceptions=True)
        seconds = time.monotonic() - started
        reason = None
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            reason = "".join(traceback.format_exception(*result.exc_info))[-3000:]
        elif result.exit_code not in (0, 1, 2, 3):
            reason = f"exit code {result.exit_code}"
        elif "Traceback" in (result.stderr or ""):
            reason = "traceback on stderr: " + result.stderr[-2000:]
        elif seconds > PER_COMMAND_S:
            reason = f"took {seconds:.1f} s"
        elif name != "fix-in-place":
            after = snapshot(root)
            added = set(after) - set(before)
            allowed = {"compose.ccci.yml"} if name == "fix" else set()
            changed = [f for f in before if after.get(f) != before[f]]
            if changed or added - allowed:
                reason = f"changed {changed}, added {sorted(added - allowed)}"
        if reason:
            failures.append({"case": number, "command": name, "reason": reason, "files": files})
    shutil.rmtree(os.path.join(workdir, f"case{number}"))
    return failures


def main(argv) -> int:
    first, last, out = int(argv[0]), int(argv[1]), argv[2]
    from click.testing import CliRunner

    from compose_policy.commands.group import cli

    pool = seeds(argv[3:])
    runner = CliRunner()
    failures = []
    workdir = tempfile.mkdtemp(prefix="compose-policy-fuzz-")
    cwd = os.getcwd()
    os.chdir(workdir)  # a fix never writes outside the recipe; if it did, it lands here
    try:
        for number in range(first, last):
            failures.extend(run_case(number, pool, runner, cli, workdir))
    finally:
        os.chdir(cwd)
        shutil.rmtree(workdir, ignore_errors=True)
    with open(out, "w", encoding="utf-8") as handle:
        json.dump({"cases": last - first, "seeds": len(pool), "failures": failures}, handle, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
