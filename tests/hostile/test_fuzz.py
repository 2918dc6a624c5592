"""Seeded mutation fuzzing of lint, config and fix (see fuzz_driver.py for what is checked).

The cases are deterministic (case N is random.Random(N)), split into batches that each run
in a child process under an address-space limit and a timeout. About 600 cases, four
commands each, take some 20 s on an idle machine. A failure names the case and the command
to reproduce it: ``python tests/hostile/fuzz_driver.py N N+1 out.json [corpus folders]``.

No fuzzing library: a seeded loop over hand-picked mutations finds what hypothesis would
here, replays exactly from a number, and adds no dependency.
"""

import json
import os
import resource
import subprocess
import sys

import pytest

from boundedcli import ROOT_DIR

DRIVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fuzz_driver.py")
CORPUS = os.environ.get("COMPOSE_POLICY_CORPUS", os.path.join(ROOT_DIR, "..", "shared", "corpus"))
BATCH = 150
BATCHES = 4
MEMORY_MB = 768
TIMEOUT_S = 180


def corpus_folders():
    return [os.path.join(CORPUS, sub) for sub in ("coopcloud", "swarm") if os.path.isdir(os.path.join(CORPUS, sub))]


def run_driver(first: int, last: int, out: str):
    limit = MEMORY_MB << 20

    def bound():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    done = subprocess.run([sys.executable, DRIVER, str(first), str(last), out, *corpus_folders()],
                          capture_output=True, text=True, timeout=TIMEOUT_S, preexec_fn=bound)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-3000:]
    with open(out, encoding="utf-8") as handle:
        return json.load(handle)


def describe(failure) -> str:
    files = {name: text[:300] for name, text in failure["files"].items()}
    return f"case {failure['case']} ({failure['command']}): {failure['reason'][-1500:]}\n  input: {files!r}"


@pytest.mark.parametrize("batch", range(BATCHES))
def test_fuzzed_inputs_end_honestly_and_change_nothing(batch, tmp_path):
    report = run_driver(batch * BATCH, (batch + 1) * BATCH, str(tmp_path / "report.json"))
    assert report["cases"] == BATCH and report["seeds"] > 20
    failures = report["failures"]
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(describe(f) for f in failures[:5])


def test_the_fuzzer_finds_what_it_is_meant_to_find(tmp_path):
    """The mutations reach the hostile shapes: anchors, aliases and strange values parse."""
    sys.path.insert(0, os.path.dirname(DRIVER))
    import fuzz_driver

    pool = fuzz_driver.seeds([])
    texts = [fuzz_driver.case_files(n, pool)["compose.yml"] for n in range(300)]
    assert sum("*a" in t for t in texts) > 20
    assert sum("1" + "0" * 310 in t for t in texts) > 1
    assert sum(t.startswith("\xff\xfe") for t in texts) > 10
