#!/usr/bin/env python3
"""Render the HTML fleet report to a PNG in a headless Chromium (Debian's chromium package).

    python scripts/fleet_screenshot.py [--output docs/fleet-report.png] [PATH ...]

By default it reports on the Co-op Cloud recipes of ../shared/corpus plus the bundled
heavy-rails example, with the hand-made CI overlays of tests/fixtures/fleet, so that the
picture shows every part of the report. Chromium runs with no network, sync, component
updates or GPU, and a fresh profile that is removed afterwards.
"""

from __future__ import annotations

import argparse
import pathlib
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
                  "--force-device-scale-factor=1"]


def find_chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("no chromium found: apt-get install -y chromium")


def chromium(args, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run headless Chromium with a fresh profile; returns the finished process."""
    with tempfile.TemporaryDirectory(prefix="compose-policy-chromium-") as profile:
        command = [find_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def render_report(paths, html_path: pathlib.Path, overlay_dir: str) -> None:
    command = [sys.executable, "-m", "compose_policy", "fleet", *map(str, paths), "--format", "html",
               "--output", str(html_path), "--no-progress"]
    if overlay_dir:
        command += ["--overlay-dir", overlay_dir]
    subprocess.run(command, check=True, timeout=300, cwd=ROOT)  # paths as a reader of the repository writes them


def screenshot(html_path: pathlib.Path, png: pathlib.Path, width: int, height: int) -> None:
    result = chromium([f"--window-size={width},{height}", f"--screenshot={png}", html_path.resolve().as_uri()])
    if result.returncode != 0 or not png.is_file():
        sys.exit(f"chromium failed ({result.returncode}): {result.stderr.strip()[-500:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=pathlib.Path,
                        help="recipes to report on (default: ../shared/corpus/coopcloud and examples/)")
    parser.add_argument("--output", type=pathlib.Path, default=ROOT / "docs" / "fleet-report.png")
    parser.add_argument("--overlay-dir", default="tests/fixtures/fleet/ci/tests/{recipe}",
                        help="CI overlay TEMPLATE, relative to the repository ('' for none)")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=2200)
    args = parser.parse_args()
    # the report runs in the repository, so that its default paths read as a reader of it writes them
    paths = [p.resolve() for p in args.paths] or [pathlib.Path("../shared/corpus/coopcloud"), pathlib.Path("examples")]
    with tempfile.TemporaryDirectory(prefix="compose-policy-fleet-") as folder:
        page = pathlib.Path(folder) / "fleet.html"
        render_report(paths, page, args.overlay_dir)
        screenshot(page, args.output, args.width, args.height)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
