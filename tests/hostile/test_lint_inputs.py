"""Inputs that are not what they claim: pipes, devices, huge or nested files, overflowing
numbers, other encodings. Each ends in a finding or a one-line error (exit 2), never in a
hang, a traceback or a read of /dev/zero."""

import os
import re

import pytest

from boundedcli import assert_clean

SERVICE = "services:\n  app:\n    image: nginx:1.25\n"
HEAVY = ("services:\n  app:\n    image: discourse/discourse:3.2\n    deploy:\n      update_config:\n"
         "        failure_action: rollback\n        order: start-first\n")


def one_line_error(run, *needles):
    assert_clean(run, codes=(2,))
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("compose-policy: error: "), run
    for needle in needles:
        assert needle in lines[0], run


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("option", ["--baseline", "--config", "--env-file"])
def test_a_pipe_or_device_given_as_an_input_file_is_refused(hostile, recipe, fifo, option):
    root = recipe({"compose.yml": SERVICE})
    one_line_error(hostile("lint", root, option, fifo), "not a regular file")
    one_line_error(hostile("lint", root, option, "/dev/zero"), "not a regular file")


def test_a_pipe_as_the_configuration_of_a_tree_is_refused(hostile, recipe):
    root = recipe({"compose.yml": SERVICE})
    os.mkfifo(root / ".compose-policy.yml")
    one_line_error(hostile("lint", root), ".compose-policy.yml", "not a regular file")


@pytest.mark.parametrize("name", [".env", ".env.sample"])
def test_a_recipe_env_file_that_is_a_pipe_or_device_is_a_finding(hostile, recipe, tmp_path, name):
    fleet = tmp_path / "fleet"
    bad = recipe({"compose.yml": HEAVY}, name="fleet/bad")
    os.mkfifo(bad / name)
    zero = recipe({"compose.yml": HEAVY}, name="fleet/zero")
    os.symlink("/dev/zero", zero / name)
    recipe({"compose.yml": HEAVY}, name="fleet/good")
    run = hostile("lint", fleet)
    assert_clean(run, codes=(1,))
    for folder in ("bad", "zero"):
        assert re.search(rf"fleet/{folder}/{re.escape(name)}:1:1: CP000 \[error\] cannot read the env file: "
                         "not a regular file", run.stdout), run
    # the walk goes on: every recipe is still linted
    assert len(re.findall(r"CP101", run.stdout)) == 3, run


def test_an_unreadable_env_sample_does_not_end_the_walk(tmp_path, recipe, monkeypatch):
    """As root every file is readable: the refusal is injected at the read itself."""
    from compose_policy import envfile
    from compose_policy.engine import LintOptions, lint_paths
    from compose_policy.readfile import UnreadableFile

    recipe({"compose.yml": HEAVY, ".env.sample": "TYPE=x\n"}, name="fleet/locked")
    recipe({"compose.yml": HEAVY}, name="fleet/open")
    real = envfile.read_text

    def refuse(path, limit):
        if "locked" in path:
            raise UnreadableFile(path, "Permission denied")
        return real(path, limit)

    monkeypatch.setattr(envfile, "read_text", refuse)
    result = lint_paths([str(tmp_path / "fleet")], LintOptions(find_config=False))
    by_rule = sorted((f.rule, os.path.basename(os.path.dirname(f.path))) for f in result.findings)
    assert ("CP000", "locked") in by_rule and ("CP101", "locked") in by_rule and ("CP101", "open") in by_rule


def test_a_baseline_nested_100000_deep_is_a_one_line_error(hostile, recipe, tmp_path):
    root = recipe({"compose.yml": SERVICE})
    baseline = tmp_path / "deep.json"
    baseline.write_text("[" * 100000)
    one_line_error(hostile("lint", root, "--baseline", baseline), "not a compose-policy baseline")


def test_a_huge_baseline_is_refused_before_it_is_read(hostile, recipe, tmp_path):
    root = recipe({"compose.yml": SERVICE})
    baseline = tmp_path / "big.json"
    with open(baseline, "wb") as handle:
        handle.truncate(17 << 20)  # sparse: 17 MiB of NUL bytes
    one_line_error(hostile("lint", root, "--baseline", baseline), "larger than 16 MiB")


DIGITS = "1" + "0" * 310


@pytest.mark.parametrize("where", [
    f"    healthcheck:\n      test: [CMD, 'true']\n      interval: {DIGITS}s\n",
    f"    healthcheck:\n      test: [CMD, 'true']\n      retries: ${{R:-{DIGITS}}}\n",
    f"    healthcheck:\n      start_period: {DIGITS}h\n",
    f"    deploy:\n      update_config:\n        monitor: {DIGITS}s\n        delay: {DIGITS}ms\n",
    f"    deploy:\n      replicas: ${{R:-{DIGITS}}}\n      resources: {{limits: {{memory: {DIGITS}G}}}}\n",
    f"    stop_grace_period: {DIGITS}s\n",
])
def test_310_digit_numbers_are_invalid_values_not_tracebacks(hostile, recipe, where):
    text = ("services:\n  app:\n    image: discourse/discourse:3.2\n" + where.replace("    deploy:\n", "")
            + "    deploy:\n      update_config:\n        failure_action: rollback\n        order: start-first\n")
    if "update_config:\n        monitor" in where:
        text = HEAVY.replace("order: start-first\n", "order: start-first\n        monitor: " + DIGITS + "s\n")
    root = recipe({"compose.yml": text})
    assert_clean(hostile("lint", root), codes=(1,))
    assert_clean(hostile("config", root))
    assert_clean(hostile("fix", root, "--diff"))


def test_an_out_of_range_duration_is_what_go_refuses():
    from compose_policy.units import parse_duration, try_duration

    assert parse_duration("2562047h47m16s") == pytest.approx(9223372036.0)
    assert try_duration("2562047h47m17s") is None
    assert try_duration(DIGITS + "s") is None


@pytest.mark.parametrize("encoding, bom", [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"),
                                           ("utf-8", b"\xef\xbb\xbf")])
def test_utf16_and_utf8_with_a_byte_order_mark_are_read_as_docker_reads_them(hostile, recipe, encoding, bom):
    root = recipe({"compose.yml": bom + HEAVY.encode(encoding)})
    run = hostile("lint", root, "--select", "CP101")
    assert_clean(run, codes=(1,))
    assert re.search(r"compose\.yml:7:16: CP101", run.stdout), run


@pytest.mark.parametrize("encoding, bom", [("utf-32-le", b"\xff\xfe\x00\x00"), ("utf-32-be", b"\x00\x00\xfe\xff")])
def test_utf32_is_refused_as_docker_refuses_it(hostile, recipe, encoding, bom):
    # docker stack config: "yaml: control characters are not allowed"
    run = hostile("lint", recipe({"compose.yml": bom + HEAVY.encode(encoding)}))
    assert_clean(run, codes=(1,))
    assert re.search(r"compose\.yml:\d+:\d+: CP000 .*control characters are not allowed", run.stdout), run


def test_an_env_file_linked_to_another_file_never_shows_its_lines(hostile, recipe, tmp_path):
    secret = tmp_path / "id_rsa"
    secret.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\n")
    root = recipe({"compose.yml": SERVICE})
    os.symlink(secret, root / ".env")
    run = hostile("lint", root, "--format", "json")
    assert_clean(run, codes=(1,))
    assert "not a KEY=value line" in run.stdout and "OPENSSH" not in run.stdout and "b3Bl" not in run.stdout, run


@pytest.mark.parametrize("command", ["lint", "config", "fix"])
def test_a_pipe_or_device_named_as_the_path_is_a_one_line_error(hostile, fifo, command):
    one_line_error(hostile(command, fifo), "not a regular file or folder")
    one_line_error(hostile(command, "/dev/zero"), "not a regular file or folder")
