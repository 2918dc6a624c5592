"""The README's quick start stays true: its command prints exactly the output shown under it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def quick_start() -> tuple[str, str]:
    """(the lint command of the quick-start block, the output block that follows it)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1]
    blocks = re.findall(r"```(?:sh)?\n(.*?)```", section, flags=re.S)
    command, output = blocks[0], blocks[1]
    return command.split("&& ")[-1].strip(), output


def test_the_quick_start_output_is_what_the_command_prints():
    command, shown = quick_start()
    assert command == ".venv/bin/compose-policy lint examples/heavy-rails"
    exe = Path(sys.executable).with_name("compose-policy")
    run = subprocess.run([str(exe), *command.split()[1:]], capture_output=True, text=True, cwd=ROOT,
                         env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1"}, timeout=60)
    assert run.returncode == 1, run.stderr
    assert run.stdout == shown
