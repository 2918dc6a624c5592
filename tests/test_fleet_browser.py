"""The HTML fleet report in a real headless Chromium: no risk badge wraps, even in a narrow window.

Skips when no chromium is installed (Debian: apt-get install -y chromium), except under CI=true,
where .ci/run installs it and its absence is a failure.
"""

import importlib.util
import json
import os
import pathlib
import re
import shutil

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
if not shutil.which("chromium") and os.environ.get("CI") == "true":  # CI installs it: missing there is a failure
    pytestmark = pytest.mark.usefixtures("_chromium_required")
else:
    pytestmark = pytest.mark.skipif(not shutil.which("chromium"), reason="no chromium (apt-get install -y chromium)")


@pytest.fixture
def _chromium_required():
    pytest.fail("CI=true but no chromium: .ci/run installs Debian's chromium for this test")

HEAVY = """services:
  app:
    image: discourse/discourse:3.2
    deploy:
      update_config: {failure_action: rollback, order: start-first}
"""
MEDIUM = """services:
  app:
    image: nginx:1.27
    deploy:
      update_config: {failure_action: rollback, order: start-first}
"""
# measures every badge once the page is laid out: a wrapped badge has two line boxes
PROBE = """<script>
const out = [...document.querySelectorAll('.badge')].map(b => {
  const style = getComputedStyle(b);
  return {text: b.textContent, boxes: b.getClientRects().length, height: b.getBoundingClientRect().height,
          font: parseFloat(style.fontSize)};
});
const pre = document.createElement('pre'); pre.id = 'probe'; pre.textContent = JSON.stringify(out);
document.body.appendChild(pre);
</script>"""


def screenshot_module():
    spec = importlib.util.spec_from_file_location("fleet_screenshot", ROOT / "scripts" / "fleet_screenshot.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("width", [700, 1280])
def test_no_badge_wraps(cli, write, tmp_path, width):
    write("fleet/heavy/compose.yml", HEAVY)
    write("fleet/a-recipe-with-a-rather-long-name-indeed/compose.yml", MEDIUM)
    write("fleet/broken/compose.yml", "services: [\n")
    write("ci/a-recipe-with-a-rather-long-name-indeed/compose.ccci.yml",
          "# CI: stop-first\nservices:\n  app:\n    deploy:\n      update_config: {order: stop-first}\n")
    page = tmp_path / "report.html"
    result = cli("fleet", tmp_path / "fleet", "--format", "html", "--output", page,
                 "--overlay-dir", tmp_path / "ci" / "{recipe}")
    assert result.exit_code == 0, result.output
    probed = tmp_path / "probed.html"
    # the report allows no script (its CSP); the probe is added to a copy, without the CSP
    text = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page.read_text())
    probed.write_text(text.replace("</body>", PROBE + "</body>"))
    run = screenshot_module().chromium([f"--window-size={width},900", "--dump-dom", probed.as_uri()])
    assert run.returncode == 0, run.stderr[-500:]
    badges = json.loads(re.search(r'<pre id="probe">(.*?)</pre>', run.stdout, re.S).group(1))
    texts = [b["text"] for b in badges]
    assert {"high", "medium"} <= set(texts)
    for badge in badges:
        assert badge["boxes"] == 1 and badge["height"] < 2 * badge["font"], badge
