"""Env files (.env, .env.sample): quotes, export, comments, self-expanding COMPOSE_FILE."""

from compose_policy.envfile import parse_env_text, read_env_file
from compose_policy.model import Position

SAMPLE = """\
TYPE=bonfire
# a full-line comment
   # an indented one

export DOMAIN=bonfire.example.com
LETS_ENCRYPT_ENV=production   # a trailing comment
HASH=abc#def
SINGLE='literal $DOMAIN # not a comment'
DOUBLE="tab\\there $DOMAIN \\"quoted\\""
BRACED=${DOMAIN}/path
DEFAULTED=${UNSET:-fallback}
EMPTY=
SPACED = around equals
COMPOSE_FILE="compose.yml"
#COMPOSE_FILE="$COMPOSE_FILE:compose.disabled.yml"
COMPOSE_FILE="$COMPOSE_FILE:compose.smtp.yml"
COMPOSE_FILE=$COMPOSE_FILE:postgres/compose.postgres.tune.yml
"""


def test_values():
    env = parse_env_text(SAMPLE, ".env.sample")
    assert env.values == {
        "TYPE": "bonfire",
        "DOMAIN": "bonfire.example.com",
        "LETS_ENCRYPT_ENV": "production",
        "HASH": "abc#def",
        "SINGLE": "literal $DOMAIN # not a comment",
        "DOUBLE": 'tab\there bonfire.example.com "quoted"',
        "BRACED": "bonfire.example.com/path",
        "DEFAULTED": "fallback",
        "EMPTY": "",
        "SPACED": "around equals",
        "COMPOSE_FILE": "compose.yml:compose.smtp.yml:postgres/compose.postgres.tune.yml",
    }
    assert env.problems == []


def test_positions_point_at_the_last_definition():
    env = parse_env_text(SAMPLE, ".env.sample")
    assert env.positions["DOMAIN"] == Position(".env.sample", 5, 1)
    assert env.positions["COMPOSE_FILE"] == Position(".env.sample", 17, 1)


def test_expansion_sees_only_the_lines_above():
    env = parse_env_text("A=$B\nB=set\nC=$B\n", ".env")
    assert env.values == {"A": "", "B": "set", "C": "set"}


def test_a_line_that_is_not_key_value_is_a_problem_with_its_line():
    env = parse_env_text("GOOD=1\nthis is not an assignment\n1BAD=2\n", ".env")
    assert env.values == {"GOOD": "1"}
    assert [p.pos.line for p in env.problems] == [2, 3]
    assert "not a KEY=value line" in str(env.problems[0])


def test_read_env_file_reads_from_disk(write):
    path = write("app/.env", "DOMAIN=x.example.org\nCOMPOSE_FILE=compose.yml:compose.a.yml\n")
    env = read_env_file(str(path))
    assert env.path == str(path)
    assert env.values["COMPOSE_FILE"] == "compose.yml:compose.a.yml"


def test_compose_file_from_an_env_file_chooses_the_file_set(write, tmp_path):
    from compose_policy.discover import discover
    from compose_policy.stack import LoadOptions, load_target

    write("r/compose.yml", 'version: "3.8"\nservices:\n  app:\n    image: nginx:${TAG}\n')
    write("r/compose.tag.yml", 'version: "3.8"\nservices:\n  app:\n    deploy:\n      replicas: 3\n')
    write("r/.env.sample", "TYPE=r\nDOMAIN=r.example.org\nTAG=1.27\n")
    env = write("app.env", 'TAG=1.28\nCOMPOSE_FILE="compose.yml"\nCOMPOSE_FILE="$COMPOSE_FILE:compose.tag.yml"\n')
    [target] = discover(str(tmp_path / "r"))
    stack = load_target(target, LoadOptions(env_file=str(env)))
    assert [p.rsplit("/", 1)[1] for p in stack.file_set] == ["compose.yml", "compose.tag.yml"]
    app = stack.services["app"]
    assert app.value("image") == "nginx:1.28"  # the app's env file wins over .env.sample
    assert app.value("deploy", "replicas") == 3
    assert stack.stack_name == "r_example_org"


def test_env_file_findings_name_the_file_as_compose_findings_do(cli, write, tmp_path, monkeypatch):
    import json

    write("r/compose.yml", 'version: "3.8"\nservices:\n  app:\n    image: nginx:1.27\n')
    write("r/.env", "not env\n")
    write("r/.env.sample", "TYPE=r\nalso not env\n")
    monkeypatch.chdir(tmp_path / "r")
    findings = json.loads(cli("lint", ".", "--format", "json").output)["findings"]
    assert sorted((f["path"], f["line"]) for f in findings if f["rule"] == "CP001") == [(".env", 1), (".env.sample", 2)]
