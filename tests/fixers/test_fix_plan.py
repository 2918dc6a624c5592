"""Findings -> one change per key; the notes block keeps what it does not replace."""

from compose_policy.fixers.notes import END, Note, Reason, update_notes
from compose_policy.fixers.plan import plan_fixes
from compose_policy.model import Applicability, Finding, Fix, Position, Severity

ORDER = ("deploy", "update_config", "order")


def finding(rule, service, key_path, value, applicability=Applicability.UNSAFE):
    return Finding(rule=rule, name=f"rule-{rule.lower()}", severity=Severity.ERROR, message="m",
                   pos=Position("compose.yml", 3, 1), service=service,
                   fix=Fix(service, key_path, value, f"{rule} rule-{rule.lower()}: because {rule}", applicability))


def test_two_rules_asking_for_one_value_make_one_change_with_both_reasons():
    plan = plan_fixes([finding("CP102", "app", ORDER, "stop-first"), finding("CP101", "app", ORDER, "stop-first")])
    [fix] = plan.fixes
    assert (fix.service, fix.key_path, fix.value) == ("app", ORDER, "stop-first")
    assert [r.code for r in fix.reasons] == ["CP101", "CP102"]
    assert len(fix.findings) == 2 and plan.conflicts == []


def test_different_values_for_one_key_conflict_and_the_first_rule_wins():
    plan = plan_fixes([finding("CP111", "app", ("deploy", "update_config", "monitor"), "1m"),
                       finding("CP118", "app", ("deploy", "update_config", "monitor"), "2m")])
    [fix] = plan.fixes
    assert fix.value == "1m" and [f.rule for f in fix.findings] == ["CP111"]
    assert len(plan.conflicts) == 1 and "CP118" in plan.conflicts[0]


def test_a_mapping_value_becomes_one_change_per_leaf_and_unsafe_wins():
    plan = plan_fixes([
        finding("CP112", "app", ("deploy", "rollback_config"), {"order": "stop-first", "monitor": "30s"},
                Applicability.SAFE),
        finding("CP113", "app", ("deploy", "rollback_config", "order"), "stop-first"),
    ])
    assert [(f.key_path, f.value) for f in plan.fixes] == [
        (("deploy", "rollback_config", "monitor"), "30s"), (("deploy", "rollback_config", "order"), "stop-first")]
    assert plan.fixes[1].applicability is Applicability.UNSAFE
    assert plan.fixes[0].applicability is Applicability.SAFE


def test_findings_without_a_fix_plan_nothing():
    plain = finding("CP110", "app", ORDER, "x")
    plain.fix = None
    assert plan_fixes([plain]).fixes == []


def note(key, value, why="because"):
    return Note("app", ("deploy", "update_config", key), value, "unset",
                (Reason("CP111", "monitor-shorter-than-health-verdict", why),), "leave x out of COMPOSE_FILE")


def test_a_reason_that_starts_with_its_code_is_not_repeated():
    text = Reason("CP101", "start-first-heavy-rollback", "CP101 start-first-heavy-rollback: image x").text()
    assert text == "CP101 start-first-heavy-rollback: image x"


def test_notes_are_replaced_in_place_kept_or_appended():
    body = "# hand-written\nservices: {}\n"
    first = update_notes(body, [note("monitor", "35s"), note("order", "stop-first")], "ENABLE")
    assert first.endswith(END + "\n" + body)
    second = update_notes(first, [note("monitor", "1m45s", "longer"), note("delay", "0s")], "ENABLE")
    lines = second.splitlines()
    keys = [line for line in lines if line.startswith("# [")]
    assert keys == ["# [app] deploy.update_config.monitor: 1m45s (was: unset)",
                    "# [app] deploy.update_config.order: stop-first (was: unset)",
                    "# [app] deploy.update_config.delay: 0s (was: unset)"]
    assert "longer" in second and second.endswith(body)
    assert second.count(END) == 1
