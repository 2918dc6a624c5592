"""--verdicts: the harness's JSON verdicts of CI runs, per recipe, in the fleet report.

The verdicts are written by the harness's own Verdict.to_dict(), the object
``harness verify-upgrade --format json`` prints.
"""

import json
import os

from compose_policy.harness.verdict import (
    CONVERGED, PAUSED, ROLLED_BACK, CommitCheck, ServiceVerdict, TaskFailure, Verdict)

HEAVY = """services:
  app:
    image: discourse/discourse:3.2
    deploy:
      update_config: {failure_action: rollback, order: start-first}
"""
LIGHT = """services:
  app:
    image: nginx:1.27
    deploy:
      update_config: {failure_action: rollback, order: start-first}
"""


def rolled_back(stack: str) -> dict:
    task = TaskFailure(task_id="a" * 25, state="failed", error="task: non-zero exit (137)", exit_code=137,
                       timestamp="2026-11-27T12:48:40.1Z")
    verdict = Verdict(stack=stack, services=[
        ServiceVerdict(service=f"{stack}_app", outcome=ROLLED_BACK, reason="swarm rolled the update back",
                       update_state="rollback_completed", failed_task=task)],
        commit=CommitCheck(service="app", label="coop-cloud.x.chaos-version", expected="1111aaaa",
                           deployed="0000bbbb", passed=False, reason="the deployed stamp is the previous commit"))
    return verdict.to_dict()


def passed(stack: str) -> dict:
    return Verdict(stack=stack, services=[ServiceVerdict(service=f"{stack}_app", outcome=CONVERGED,
                                                         reason="rollout completed")]).to_dict()


def paused(stack: str) -> dict:
    return Verdict(stack=stack, services=[ServiceVerdict(service=f"{stack}_app", outcome=PAUSED,
                                                         reason="update paused")]).to_dict()


def save(path, data, mtime=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    if mtime is not None:
        os.utime(path, (mtime, mtime))


def test_runs_tell_sharing_the_policy_from_failing_in_a_run(cli, write, tmp_path):
    write("fleet/heavy/compose.yml", HEAVY)
    write("fleet/light/compose.yml", LIGHT)
    write("fleet/calm/compose.yml", LIGHT)
    runs = tmp_path / "runs"
    save(runs / "light.upgrade.json", rolled_back("light_ci_example_org"))          # by file name
    save(runs / "heavy" / "run-7.json", passed("heavy_ci_example_org"), mtime=1_700_000_000)  # by folder
    save(runs / "x.json", paused("calm_ci_example_org"))                            # by stack name
    save(runs / "unchecked.json", {"passed": False, "checked": False, "error": "daemon unreachable",
                                   "stack": "heavy_ci_example_org"})
    save(runs / "garbage.json", "{not json")
    save(runs / "other.json", passed("nobody_example_org"))
    result = cli("fleet", tmp_path / "fleet", "--verdicts", runs, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    recipes = {r["name"]: r for r in data["recipes"]}
    light = recipes["light"]["runs"]
    assert [(r["failed"], r["hc1_failed"], r["when"]) for r in light] == [(True, True, "2026-11-27T12:48:40.1Z")]
    assert light[0]["failures"] == [{"service": "app", "outcome": "rolled-back",
                                     "reason": "swarm rolled the update back", "when": "2026-11-27T12:48:40.1Z"}]
    heavy = {r["checked"]: r for r in recipes["heavy"]["runs"]}
    assert heavy[True]["passed"] is True and heavy[True]["when"] == "2023-11-14T22:13:20Z"  # the file's time
    assert heavy[False]["error"] == "daemon unreachable"
    assert recipes["calm"]["runs"][0]["failures"][0]["outcome"] == "paused"
    assert data["summary"]["runs"] == {"verdicts": 5, "unreadable": 2, "recipes_failed": ["calm", "light"]}
    why = {os.path.basename(v["file"]): v["why"] for v in data["unreadable_verdicts"]}
    assert set(why) == {"garbage.json", "other.json"} and "nobody_example_org" in why["other.json"]
    # the recipes that really failed come first, before the merely risky heavy one
    assert [r["name"] for r in data["recipes"]][:2] == ["calm", "light"]
    text = cli("fleet", tmp_path / "fleet", "--verdicts", runs).output
    section = text[text.index("Failed in CI runs"):text.index("[")]
    assert "light: 2026-11-27T12:48:40.1Z: app rolled-back" in section and "heavy" not in section


def test_min_risk_keeps_recipes_that_failed_a_run(cli, write, tmp_path):
    write("fleet/calm/compose.yml", "services:\n  app:\n    image: nginx:1.27\n")
    save(tmp_path / "runs" / "calm.json", paused("calm_x"))
    data = json.loads(cli("fleet", tmp_path / "fleet", "--verdicts", tmp_path / "runs", "--min-risk", "high",
                          "--format", "json").output)
    assert [r["name"] for r in data["recipes"]] == ["calm"]


def test_verdicts_must_be_a_folder(cli, write, tmp_path):
    write("fleet/calm/compose.yml", LIGHT)
    result = cli("fleet", tmp_path / "fleet", "--verdicts", tmp_path / "missing")
    assert result.exit_code == 2 and "--verdicts must be a folder" in result.output


def test_a_run_that_only_failed_hc1_is_a_failed_run(cli, write, tmp_path):
    """Every service converged but the deployed stamp is not the commit under test: the harness
    failed that run, so the report lists it with the failed ones, in every format."""
    write("fleet/calm/compose.yml", "services:\n  app:\n    image: nginx:1.27\n")
    verdict = Verdict(stack="calm_ci_example_org", services=[
        ServiceVerdict(service="calm_ci_example_org_app", outcome=CONVERGED, reason="rollout completed")],
        commit=CommitCheck(service="app", label="coop-cloud.x.chaos-version", expected="1111aaaa",
                           deployed="0000bbbb", passed=False, reason="the deployed stamp is the previous commit"))
    save(tmp_path / "runs" / "calm.json", verdict.to_dict())
    args = (tmp_path / "fleet", "--verdicts", tmp_path / "runs")
    data = json.loads(cli("fleet", *args, "--format", "json").output)
    assert data["summary"]["runs"]["recipes_failed"] == ["calm"]
    text = cli("fleet", *args).output
    assert "Failed in CI runs" in text and "calm: " in text.split("Failed in CI runs", 1)[1]
    markdown = cli("fleet", *args, "--format", "markdown").output
    [row] = [line for line in markdown.splitlines() if line.startswith("| calm |")]
    assert "HC1 failed" in row
