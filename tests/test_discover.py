"""What PATH means: a recipe, a folder of recipes, a lone file, or a folder of stack files."""

import pytest

from compose_policy.discover import discover
from compose_policy.errors import InputError
from compose_policy.readfile import UnreadableFile
from compose_policy.stack import LoadOptions, load_target

BASE = 'version: "3.8"\nservices:\n  app:\n    image: nginx:1.27\n'


def test_recipe_folder_with_overlays(tmp_path, write):
    write("r/compose.yml", BASE)
    write("r/compose.smtp.yml", "services:\n  app:\n    environment: [A=1]\n")
    write("r/postgres/compose.postgres.tune.yml", "services:\n  db:\n    image: postgres\n")
    [target] = discover(str(tmp_path / "r"))
    assert target.kind == "recipe" and target.name == "r"
    assert [p.split("/r/")[-1] for p in target.overlays] == [
        "compose.smtp.yml", "postgres/compose.postgres.tune.yml"]


def test_folder_of_recipes(tmp_path, write):
    write("a/compose.yml", BASE)
    write("b/compose.yml", BASE)
    write("notes/readme.yml", "x: 1\n")
    targets = discover(str(tmp_path))
    assert [t.name for t in targets if t.kind == "recipe"] == ["a", "b"]
    assert [load_target(t) for t in targets if t.kind == "file"] == [None]  # notes/readme.yml


def test_recipes_nested_in_a_tree_keep_their_overlays(tmp_path, write):
    write("fleet/coop/app1/compose.yml", BASE)
    write("fleet/coop/app1/compose.smtp.yml", "services:\n  app:\n    environment: [A=1]\n")
    write("fleet/other/stack.yml", BASE)
    targets = discover(str(tmp_path / "fleet"))
    assert [(t.kind, t.name.split("/")[-1]) for t in targets] == [("recipe", "app1"), ("file", "stack.yml")]
    assert targets[0].overlays[0].endswith("compose.smtp.yml")


def test_other_folder_lints_each_stack_file_alone(tmp_path, write):
    write("deploy/docker-compose.swarm.yml", BASE)
    write("deploy/stack.yml", BASE)
    write(".github/workflows/ci.yml", "on: push\njobs: {}\n")
    targets = discover(str(tmp_path))
    assert sorted(t.file.split("/")[-1] for t in targets) == ["docker-compose.swarm.yml", "stack.yml"]
    assert all(t.kind == "file" and not t.explicit for t in targets)


def test_loose_yaml_that_is_not_compose_is_left_alone(tmp_path, write):
    write("config/prometheus.yml", "scrape_configs: []\n")
    [target] = discover(str(tmp_path))
    assert load_target(target) is None


def test_explicit_non_compose_file_is_cp001(tmp_path, write):
    path = write("list.yml", "- a\n- b\n")
    [target] = discover(str(path))
    stack = load_target(target)
    assert not stack.valid
    assert [(p.kind, p.pos.line) for p in stack.problems] == [("compose", 1)]


def test_missing_path_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        discover(str(tmp_path / "nope"))


def test_file_set_from_env_file_compose_file(tmp_path, write):
    write("r/compose.yml", BASE)
    write("r/compose.heavy.yml", "services:\n  app:\n    deploy:\n      update_config:\n        order: start-first\n")
    write("r/.env", 'COMPOSE_FILE="compose.yml"\nCOMPOSE_FILE="$COMPOSE_FILE:compose.heavy.yml"\n')
    [target] = discover(str(tmp_path / "r"))
    stack = load_target(target)
    assert [p.split("/")[-1] for p in stack.file_set] == ["compose.yml", "compose.heavy.yml"]
    order = stack.services["app"].get("deploy", "update_config", "order")
    assert order.value == "start-first" and order.pos.path.endswith("compose.heavy.yml") and order.pos.line == 5


def test_explicit_compose_files_beat_env(tmp_path, write):
    write("r/compose.yml", BASE)
    write("r/compose.a.yml", "version: \"3.8\"\nservices:\n  app:\n    image: nginx:a\n")
    write("r/.env", 'COMPOSE_FILE="compose.yml:compose.missing.yml"\n')
    [target] = discover(str(tmp_path / "r"))
    stack = load_target(target, LoadOptions(compose_files=("compose.yml", "compose.a.yml")))
    assert stack.services["app"].value("image") == "nginx:a"
    assert stack.problems == []


def test_compose_file_naming_a_missing_file_is_reported_at_the_env_line(tmp_path, write):
    write("r/compose.yml", BASE)
    write("r/.env", '# app env\nCOMPOSE_FILE="compose.yml:compose.missing.yml"\n')
    [target] = discover(str(tmp_path / "r"))
    stack = load_target(target)
    [problem] = stack.problems
    assert problem.kind == "compose" and "compose.missing.yml" in problem.message
    assert (problem.pos.path.endswith(".env"), problem.pos.line) == (True, 2)


def test_unused_overlay_is_still_syntax_checked(tmp_path, write):
    write("r/compose.yml", BASE)
    write("r/compose.broken.yml", "services:\n  app:\n    image: [unclosed\n")
    [target] = discover(str(tmp_path / "r"))
    stack = load_target(target)
    assert stack.valid  # not in the file set: the stack itself is fine
    assert [(p.kind, p.pos.path.endswith("compose.broken.yml")) for p in stack.problems] == [("yaml", True)]


def test_stack_name_comes_from_the_domain_as_abra_derives_it(tmp_path, write):
    write("r/compose.yml", BASE.replace("nginx:1.27", "nginx:${STACK_NAME}"))
    write("r/.env.sample", "TYPE=r\nDOMAIN=app.example.org\n")
    [target] = discover(str(tmp_path / "r"))
    stack = load_target(target)
    assert stack.is_coopcloud and stack.stack_name == "app_example_org"
    assert stack.services["app"].value("image") == "nginx:app_example_org"


def test_an_overlay_written_beside_a_lone_file_is_not_a_stack_of_its_own(tmp_path, write):
    write("deploy/docker-stack.yml", BASE)
    write("deploy/docker-stack.ccci.yml", "services:\n  app:\n    deploy:\n      update_config:\n        order: stop-first\n")
    assert [t.file.split("/")[-1] for t in discover(str(tmp_path))] == ["docker-stack.yml"]


def test_a_dangling_link_is_skipped_and_an_unreadable_overlay_is_a_finding(tmp_path, write, monkeypatch):
    write("fleet/r/compose.yml", BASE)
    (tmp_path / "fleet" / "r" / "compose.gone.yml").symlink_to(tmp_path / "nowhere.yml")
    write("fleet/r/compose.locked.yml", BASE)
    [target] = discover(str(tmp_path / "fleet"))
    assert [p.split("/")[-1] for p in target.overlays] == ["compose.locked.yml"]

    import compose_policy.stack as stack_module
    real = stack_module._read_text

    def refuse(path):
        if path.endswith("compose.locked.yml"):
            raise UnreadableFile(path, "Permission denied")
        return real(path)

    monkeypatch.setattr(stack_module, "_read_text", refuse)
    stack = load_target(target)
    assert stack.valid  # the overlay is not merged: the stack itself is still checked
    [problem] = stack.problems
    assert problem.kind == "yaml" and "cannot read the file" in problem.message
