"""The built wheel: one top-level package, every data file the rules and reports read at run time."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(out), str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )
    assert build.returncode == 0, build.stderr
    assert "absent from the `packages` configuration" not in build.stderr, build.stderr
    (built,) = out.glob("compose_policy-*.whl")
    return built


def test_the_wheel_installs_one_top_level_package(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/", 1)[0] for name in names if not name.split("/", 1)[0].endswith(".dist-info")}
    assert top == {"compose_policy"}
    for folder in ("rules", "fixers", "harness", "commands", "formats"):
        assert f"compose_policy/{folder}/__init__.py" in names


def test_the_wheel_carries_every_file_the_code_reads(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f"compose_policy/{p.relative_to(ROOT / 'lint')}" for p in (ROOT / "lint").glob("*.json")}
    shipped |= {f"compose_policy/rules/{p.relative_to(ROOT / 'rules')}" for p in (ROOT / "rules").glob("data/*.yml")}
    assert shipped and shipped <= names, sorted(shipped - names)


def test_the_installed_wheel_lints_the_bundled_example(wheel, tmp_path):
    """Unpacked alone (no source tree on the path), the package finds its data and judges the example."""
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); sys.argv[1:] = ['lint', '--no-color', sys.argv[2]];"
        "import compose_policy; assert compose_policy.__file__.startswith(sys.path[0]), compose_policy.__file__;"
        "from compose_policy.cli import main; main()"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, str(site), str(ROOT / "examples" / "heavy-rails")],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "CP101 [error]" in run.stdout, run.stdout
