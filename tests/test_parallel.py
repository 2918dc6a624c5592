"""--jobs: linting on several processes gives, byte for byte, what a serial run gives."""

import subprocess
import sys

import pytest

from compose_policy.engine import LintOptions, auto_jobs, lint_paths
from compose_policy.parallel import detach

LINT_FORMATS = ["text", "json", "sarif", "junit", "github"]
FLEET_FORMATS = ["text", "json", "markdown", "html"]


def run(*args, cwd=None):
    proc = subprocess.run([sys.executable, "-m", "compose_policy", *map(str, args)], capture_output=True,
                          cwd=cwd, env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin"})
    return proc.returncode, proc.stdout, proc.stderr


def lint_reports(corpus, out, jobs):
    """Every lint format of one run over the whole corpus: (exit code, stdout, stderr, reports)."""
    args = ["lint", corpus, "--statistics", "--jobs", jobs]
    for name in LINT_FORMATS:
        args += ["--format", name, "--output", out / f"{name}.{jobs}"]
    code, stdout, stderr = run(*args)
    return code, stdout, stderr, [(out / f"{name}.{jobs}").read_bytes() for name in LINT_FORMATS]


@pytest.mark.corpus
def test_lint_on_two_processes_equals_a_serial_lint(corpus, tmp_path):
    serial = lint_reports(corpus, tmp_path, 1)
    parallel = lint_reports(corpus, tmp_path, 2)
    assert serial[0] == 1 and b"[error]" in serial[3][0]  # the corpus has findings: a real comparison
    assert parallel == serial


@pytest.mark.corpus
@pytest.mark.parametrize("output_format", FLEET_FORMATS)
def test_fleet_on_two_processes_equals_a_serial_fleet(corpus, output_format):
    args = ["fleet", corpus / "coopcloud", corpus / "swarm", "--format", output_format, "--fail-on-risk", "high"]
    serial = run(*args, "--jobs", "1")
    assert serial[0] == 1 and serial[1]
    assert run(*args, "--jobs", "2") == serial


@pytest.mark.corpus
def test_the_services_a_fleet_report_reads_survive_detaching(corpus):
    from compose_policy.fleet import SERVICE_PATHS, _services

    serial = lint_paths([str(corpus)], LintOptions(), jobs=1)
    checked = 0
    for run_ in serial.runs:
        light = detach(run_.stack, SERVICE_PATHS)
        assert light.documents == {} and light.texts == {}
        assert list(light.services) == list(run_.stack.services)
        assert _services(light, run_.findings) == _services(run_.stack, run_.findings)
        checked += len(light.services)
    assert checked > 50


def test_an_input_error_is_the_same_on_several_processes(write, tmp_path):
    for index in range(3):
        write(f"r{index}/compose.yml", "services:\n  app:\n    image: nginx:1.25\n")
    missing = tmp_path / "missing.env"
    serial = run("lint", tmp_path, "--env-file", missing, "--jobs", "1")
    assert serial[0] == 2 and b"not found" in serial[2]
    assert run("lint", tmp_path, "--env-file", missing, "--jobs", "2") == serial


def test_bad_jobs_is_a_usage_error(write, tmp_path):
    write("r/compose.yml", "services:\n  app:\n    image: nginx:1.25\n")
    for value in ("0", "-1", "many"):
        code, _, stderr = run("lint", tmp_path / "r", "--jobs", value)
        assert code == 2 and b"--jobs" in stderr and b"Traceback" not in stderr


def test_few_stacks_stay_in_one_process():
    assert auto_jobs(1) == 1
    assert auto_jobs(39) == 1
    assert auto_jobs(1000) >= 1


def test_results_come_in_order_and_the_first_error_in_order_is_raised():
    from compose_policy import parallel

    assert parallel.ordered_map(lambda item: item * 2, list(range(50)), 2) == [item * 2 for item in range(50)]

    def task(item):
        if item in (3, 7):
            raise ValueError(item)
        return item

    with pytest.raises(ValueError) as raised:
        parallel.ordered_map(task, list(range(10)), 2)
    assert raised.value.args == (3,)


def test_a_dying_worker_is_an_error_not_a_hang():
    import os

    from compose_policy import parallel
    from compose_policy.errors import PolicyError

    def task(item):
        if item == 5:
            os._exit(3)  # as the kernel's OOM killer would end it
        return item

    with pytest.raises(PolicyError, match="worker process died"):
        parallel.ordered_map(task, list(range(10)), 2)
