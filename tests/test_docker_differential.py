"""The merged model equals what ``docker stack config`` prints, over the whole corpus.

For every Co-op Cloud recipe (compose.yml alone, and with each of its overlays in turn),
every loose swarm file, and the merge cases under tests/fixtures/model/docker, the
``deploy``, ``healthcheck``, ``image`` and ``ports`` of each service (and also its labels,
environment, command, entrypoint, logging, secrets, configs, volumes, networks and
stop_grace_period), as our loader merges them, are compared with docker's output for the same files and the same environment
(exactly the variables our env resolution produced: .env.sample values and STACK_NAME).

Both sides are brought to one canonical form only where docker re-formats a value:
durations become nanoseconds, sizes bytes, ports the long form with docker's defaults
(mode ingress, protocol tcp) in a fixed order (docker orders merged ports by published
port and leaves ties in random order), and struct fields that docker omits when zero
(``omitempty``) count as absent on both sides. Everything else must be equal, with these
documented exceptions:

- a value we mark unknown (it needs a variable no env provides) matches anything: docker
  substitutes "" where the linter says "cannot tell";
- bind-mount sources are compared relative to the working folder (docker prints them
  absolute), and environment is not compared for a service with ``env_file`` (docker reads
  those files into it; the model does not read them);
- a text that starts with a line break matches docker's without it: docker's YAML printer
  drops that first line break when it prints a literal block (``|2-`` with no empty line);
- a file docker refuses is not compared; the linter must then report CP000/CP001 for it,
  and for a file docker accepts it must report neither: refusal and CP000/CP001 are compared
  on every combination, with no exception list. Three refusals are worked around, on both sides
  alike, because they come from the deploying environment rather than the files: an env_file or
  config file that the corpus does not carry gets an empty stand-in (docker reads it only into
  ``environment``, which is not compared); a required ``${VAR:?}`` with no value is given one;
  and when docker refuses a file that uses variables no env provides (docker reads them as "",
  which the linter calls unknown), every such variable is given a stand-in value and the
  combination is judged again with it.
"""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import pytest
import yaml

from compose_policy.discover import discover, recipe_overlays
from compose_policy.engine import LintOptions, lint_paths
from compose_policy.interpolate import has_unresolved
from compose_policy.model import Mapping, Node, Scalar, Sequence
from compose_policy.stack import LoadOptions, load_target
from compose_policy.units import parse_bytes, parse_duration

FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures" / "model" / "docker"
# the sections the rules read, and the rest of a service's deploy-relevant settings
SECTIONS = ("deploy", "healthcheck", "image", "ports", "labels", "environment", "command", "entrypoint",
            "logging", "secrets", "configs", "volumes", "networks", "stop_grace_period")
PATH_ENV = "/usr/local/bin:/usr/bin:/bin"

# --- docker ------------------------------------------------------------------------------

def _docker() -> Optional[str]:
    if os.access("/usr/local/bin/docker", os.X_OK):
        return "/usr/local/bin/docker"
    return shutil.which("docker")


@pytest.fixture(scope="session")
def docker_cli() -> str:
    path = _docker()
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the docker CLI is missing; CI installs docker.io")
        pytest.skip("no docker CLI to compare with")
    return path


def run_docker(docker: str, cwd: str, files: Tuple[str, ...], env: Dict[str, str]):
    args = [docker, "stack", "config"]
    for name in files:
        args += ["-c", name]
    proc = subprocess.run(args, cwd=cwd, env={"PATH": PATH_ENV, **env}, capture_output=True, text=True,
                          timeout=60)
    return proc.returncode, proc.stdout, proc.stderr


_CODES = {"yaml": "CP000", "compose": "CP001"}  # how the engine reports a loader problem
_MISSING_FILE = re.compile(r"open (\S+): no such file or directory")
_REQUIRED = re.compile(r"required variable (\w+) is missing a value")
_REQUIRED_REFERENCE = re.compile(r"\$\{([_a-zA-Z][_a-zA-Z0-9]*):?\?")
_ANY_REFERENCE = re.compile(r"\$(?:\{([_a-zA-Z][_a-zA-Z0-9]*)|([_a-zA-Z][_a-zA-Z0-9]*))")


# --- one comparison --------------------------------------------------------------------

@dataclass
class Combo:
    label: str
    root: str  # recipe folder, or the file's folder
    files: Tuple[str, ...]  # relative to root
    recipe: bool


@dataclass
class Outcome:
    combo: Combo
    accepted: bool
    docker_error: str = ""
    differences: List[str] = field(default_factory=list)
    services: int = 0
    lint_codes: Tuple[str, ...] = ()
    problems: List[str] = field(default_factory=list)


def load_ours(combo: Combo, env_file: Optional[str] = None):
    if combo.recipe:
        [target] = discover(combo.root)
        return load_target(target, LoadOptions(compose_files=combo.files, env_file=env_file))
    [target] = discover(os.path.join(combo.root, combo.files[0]))
    return load_target(target, LoadOptions(env_file=env_file))


def _mirror_dir(tmp: str) -> str:
    return os.path.join(tmp, "a", "b", "c", "d")  # room for ../ in the references


def _mirror(combo: Combo, missing: List[str], tmp: str) -> Optional[str]:
    """A copy of the combo's files beside empty stand-ins for files the corpus lacks."""
    work = _mirror_dir(tmp)
    for name in combo.files:
        os.makedirs(os.path.dirname(os.path.join(work, name)), exist_ok=True)
        shutil.copy(os.path.join(combo.root, name), os.path.join(work, name))
    for relative in missing:
        stand_in = os.path.normpath(os.path.join(work, relative))
        if not stand_in.startswith(tmp + os.sep):
            return None
        os.makedirs(os.path.dirname(stand_in), exist_ok=True)
        open(stand_in, "a").close()
    return work


def compare_combo(docker: str, combo: Combo) -> Outcome:
    with tempfile.TemporaryDirectory() as tmp:
        env_file = None
        required: Dict[str, str] = {}
        missing: List[str] = []
        stand_ins = False
        for _ in range(12):
            if required:
                env_file = os.path.join(tmp, "required.env")
                with open(env_file, "w") as handle:
                    handle.writelines(f"{k}={v}\n" for k, v in required.items())
            stack = load_ours(combo, env_file)
            cwd = _mirror(combo, missing, tmp) if missing else combo.root
            if cwd is None:
                break
            code, out, err = run_docker(docker, cwd, combo.files, stack.env)
            if code == 0:
                return Outcome(combo, True, differences=diff_stack(stack, yaml.safe_load(out) or {}, cwd),
                               services=len(stack.services),
                               lint_codes=tuple(sorted({_CODES[p.kind] for p in stack.problems})),
                               problems=[f"{p.pos}: {p.message}" for p in stack.problems])
            need = _REQUIRED.search(err)
            gone = _MISSING_FILE.search(err)
            if need and need.group(1) not in required:
                # every required variable of the files at once: one more docker run, not one each
                names = {need.group(1)} | {m.group(1) for text in stack.texts.values()
                                           for m in _REQUIRED_REFERENCE.finditer(text)}
                # "1" reads as a text, a port, a count and an image tag alike
                required.update({name: "1" for name in names if name not in stack.env})
            elif not stand_ins and _unset_variables(stack):
                stand_ins = True  # docker read unset variables as "": judge the files with values
                required.update({name: "1" for name in _unset_variables(stack)})
            elif gone:
                base = _mirror_dir(tmp) if gone.group(1).startswith(tmp + os.sep) else combo.root
                relative = os.path.relpath(gone.group(1), base)
                if relative in missing:
                    break
                missing.append(relative)
            else:
                break
        return Outcome(combo, False, docker_error=err.strip(), lint_codes=lint_codes(combo, env_file),
                       problems=[f"{p.pos}: {p.message}" for p in stack.problems])


def _unset_variables(stack) -> List[str]:
    names = {m.group(1) or m.group(2) for text in stack.texts.values()
             for m in _ANY_REFERENCE.finditer(text.replace("$$", ""))}
    return sorted(name for name in names if name not in stack.env)


def lint_codes(combo: Combo, env_file: Optional[str] = None) -> Tuple[str, ...]:
    """The codes our linter reports for the combo, from its real lint path."""
    options = LintOptions(select=["CP000", "CP001"],
                          load=LoadOptions(compose_files=combo.files if combo.recipe else (), env_file=env_file))
    path = combo.root if combo.recipe else os.path.join(combo.root, combo.files[0])
    return tuple(sorted({f.rule for f in lint_paths([path], options).findings}))


# --- canonical forms ---------------------------------------------------------------------

class _Unknown:
    """A value that needed a variable with no value: matches whatever docker made of it."""

    def __repr__(self):
        return "<unknown>"


UNKNOWN = _Unknown()
_DURATIONS = {
    ("healthcheck", "interval"), ("healthcheck", "timeout"), ("healthcheck", "start_period"),
    ("healthcheck", "start_interval"),
    ("deploy", "update_config", "delay"), ("deploy", "update_config", "monitor"),
    ("deploy", "rollback_config", "delay"), ("deploy", "rollback_config", "monitor"),
    ("deploy", "restart_policy", "delay"), ("deploy", "restart_policy", "window"), ("stop_grace_period",),
}
_SIZES = {("deploy", "resources", "limits", "memory"), ("deploy", "resources", "reservations", "memory")}
# pointers in docker's types: printed even when zero
_POINTERS = {
    ("deploy", "replicas"), ("deploy", "update_config", "parallelism"),
    ("deploy", "rollback_config", "parallelism"), ("deploy", "restart_policy", "max_attempts"),
    ("healthcheck", "retries"), ("healthcheck", "interval"), ("healthcheck", "timeout"),
    ("healthcheck", "start_period"), ("healthcheck", "start_interval"),
    ("deploy", "restart_policy", "delay"), ("deploy", "restart_policy", "window"),
    ("healthcheck",), ("deploy", "update_config"), ("deploy", "rollback_config"),
    ("deploy", "restart_policy"), ("deploy", "resources", "limits"), ("deploy", "resources", "reservations"),
    ("stop_grace_period",), ("logging",),
}
# free keys, whose values are kept as they are (an empty label is a label)
_MAPS = {("deploy", "labels"), ("labels",), ("environment",), ("logging", "options"), ("networks",)}
# Go's time.Duration.String(): 1h2m3.5s, 1.5ms, 0s
_GO_DURATION = re.compile(r"(-)?(?:(\d+)h)?(?:(\d+)m(?!s))?(?:([\d.]+)(s|ms|µs|ns))?")
_NS = {"s": 10**9, "ms": 10**6, "µs": 10**3, "ns": 1}


def docker_duration(text: str) -> int:
    match = _GO_DURATION.fullmatch(text)
    assert match and text, f"docker printed an unexpected duration {text!r}"
    sign, hours, minutes, amount, unit = match.groups()
    total = (int(hours or 0) * 3600 + int(minutes or 0) * 60) * 10**9
    if amount:
        whole, _, frac = amount.partition(".")
        total += int(whole) * _NS[unit] + (int(frac.ljust(9, "0")[:9]) * _NS[unit] // 10**9 if frac else 0)
    return -total if sign else total


def _ours_duration(value):
    try:
        return round(parse_duration(value) * 1e9)
    except ValueError:
        return value  # left as written: it cannot equal docker's reading


def _is_omitted_zero(path, value) -> bool:
    if path in _POINTERS:
        return value is None
    return value is None or value is False or value == "" or value == [] or value == {} or (
        isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0)


def canonical(value, path: Tuple[str, ...], side: str):
    if value is UNKNOWN:
        return UNKNOWN
    if path in _DURATIONS and isinstance(value, str):
        return docker_duration(value) if side == "docker" else _ours_duration(value)
    if path in _SIZES and isinstance(value, (str, int)) and not isinstance(value, bool):
        try:
            return int(value) if side == "docker" else parse_bytes(value)
        except ValueError:
            return value
    if path == ("ports",) and isinstance(value, list):
        return _canonical_ports(value, side)
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            sub = path + (str(key),)
            item = canonical(item, sub, side)
            if path not in _MAPS and _is_omitted_zero(sub, item):
                continue
            out[str(key)] = item
        return out
    if isinstance(value, list):
        return [canonical(item, path + ("[]",), side) for item in value]
    return value


def _canonical_ports(ports, side):
    out = []
    for port in ports:
        if isinstance(port, dict):
            port = dict(port)
            port.setdefault("mode", "ingress")
            port.setdefault("protocol", "tcp")
            if not port.get("published"):
                port.pop("published", None)
        out.append(port)

    def order(port):
        if not isinstance(port, dict):
            return (1, repr(port))
        return (0, repr(sorted((k, repr(v)) for k, v in port.items())))
    return sorted(out, key=order)


def ours_plain(node: Node):
    """Service.node.plain(), with unknown values marked."""
    if isinstance(node, Scalar):
        return UNKNOWN if node.unknown else node.value
    if isinstance(node, Mapping):
        return {key: ours_plain(child) for key, child in node.items.items()}
    if isinstance(node, Sequence):
        return [ours_plain(child) for child in node.items]
    return node.plain()


_LEFT_REFERENCE = re.compile(r"\$\{[_a-zA-Z][_a-zA-Z0-9]*\}|\$[_a-zA-Z][_a-zA-Z0-9]*")


def differences(ours, theirs, path: str) -> List[str]:
    if ours is UNKNOWN:
        return []
    if isinstance(ours, dict) and isinstance(theirs, dict):
        found = []
        left = dict(theirs)
        for key, value in ours.items():
            if key not in left and has_unresolved(key):
                key_as_docker = _LEFT_REFERENCE.sub("", key)  # docker put "" where we say unknown
                if key_as_docker in left:
                    found += differences(value, left.pop(key_as_docker), f"{path}.{key}")
                    continue
            if key not in left:
                if value is not UNKNOWN:
                    found.append(f"{path}.{key}: ours {value!r}, docker has none")
                continue
            found += differences(value, left.pop(key), f"{path}.{key}")
        found += [f"{path}.{key}: docker {value!r}, ours has none" for key, value in left.items()]
        return found
    if isinstance(ours, list) and isinstance(theirs, list):
        if any(item is UNKNOWN for item in ours):
            known = [item for item in ours if item is not UNKNOWN]
            rest = list(theirs)
            for item in known:
                if item not in rest:
                    return [f"{path}: ours {ours!r}, docker {theirs!r}"]
                rest.remove(item)
            return []
        if len(ours) != len(theirs):
            return [f"{path}: ours {ours!r}, docker {theirs!r}"]
        found = []
        for index, (a, b) in enumerate(zip(ours, theirs)):
            found += differences(a, b, f"{path}[{index}]")
        return found
    if isinstance(ours, str) and isinstance(theirs, str) and ours.startswith("\n") and ours[1:] == theirs:
        return []  # docker's YAML printer loses a leading line break (it prints "|2-" and no empty line)
    if ours != theirs or type(ours) is not type(theirs):
        return [f"{path}: ours {ours!r}, docker {theirs!r}"]
    return []


def _relative_sources(volumes, workdir: Optional[str]):
    """Bind mounts relative to the working folder: docker prints them absolute."""
    if not isinstance(volumes, list):
        return volumes
    out = []
    for volume in volumes:
        if isinstance(volume, dict) and volume.get("type") == "bind" and isinstance(volume.get("source"), str):
            source = volume["source"]
            if workdir and os.path.isabs(source) and (source + os.sep).startswith(workdir + os.sep):
                source = os.path.relpath(source, workdir)
            elif not os.path.isabs(source) and not source.startswith("~"):
                source = os.path.normpath(source)
            volume = {**volume, "source": source}
        out.append(volume)
    return out


def diff_stack(stack, docker_config: dict, workdir: Optional[str] = None) -> List[str]:
    theirs_services = docker_config.get("services") or {}
    found = []
    if set(stack.services) != set(theirs_services):
        found.append(f"services: ours {sorted(stack.services)}, docker {sorted(theirs_services)}")
    for name, service in stack.services.items():
        theirs = dict(theirs_services.get(name) or {})
        ours = ours_plain(service.node)
        ours["volumes"] = _relative_sources(ours.get("volumes"), None)
        theirs["volumes"] = _relative_sources(theirs.get("volumes"), workdir)
        if "env_file" in ours:
            # docker reads env files into environment; the model does not read them
            ours.pop("environment", None)
            theirs.pop("environment", None)
        for section in SECTIONS:
            mine = canonical({section: ours.get(section)}, (), "ours")
            docker = canonical({section: theirs.get(section)}, (), "docker")
            found += differences(mine, docker, name)
    return found


# --- the corpus --------------------------------------------------------------------------

def recipe_combos(folder: pathlib.Path, label: str) -> List[Combo]:
    combos = [Combo(f"{label} compose.yml", str(folder), ("compose.yml",), True)]
    for overlay in recipe_overlays(str(folder)):
        relative = os.path.relpath(overlay, folder)
        combos.append(Combo(f"{label} compose.yml + {relative}", str(folder), ("compose.yml", relative), True))
    return combos


def corpus_combos(corpus: pathlib.Path) -> Dict[str, List[Combo]]:
    recipes = []
    for folder in sorted((corpus / "coopcloud").iterdir()):
        if (folder / "compose.yml").is_file():
            recipes += recipe_combos(folder, f"coopcloud/{folder.name}")
    loose = []
    for path in sorted((corpus / "swarm").rglob("*")):
        if path.suffix in (".yml", ".yaml") and path.is_file():
            loose.append(Combo(str(path.relative_to(corpus)), str(path.parent), (path.name,), False))
    return {"coopcloud": recipes, "swarm": loose}


def run_all(docker: str, groups: Dict[str, List[Combo]]) -> Dict[str, List[Outcome]]:
    flat = [(group, combo) for group, combos in groups.items() for combo in combos]
    # docker runs in subprocesses, so threads overlap them with our own loading
    with ThreadPoolExecutor(max_workers=max(4, (os.cpu_count() or 2) * 2)) as pool:
        results = list(pool.map(lambda item: (item[0], compare_combo(docker, item[1])), flat))
    out: Dict[str, List[Outcome]] = {group: [] for group in groups}
    for group, outcome in results:
        out[group].append(outcome)
    return out


@pytest.fixture(scope="session")
def outcomes(corpus, docker_cli) -> Dict[str, List[Outcome]]:
    """docker's verdict on every corpus combo, compared with ours: computed once per session."""
    return run_all(docker_cli, corpus_combos(corpus))


@pytest.fixture(scope="session")
def fixture_outcomes(docker_cli) -> List[Outcome]:
    combos = []
    for folder in sorted(FIXTURES.iterdir()):
        combos += recipe_combos(folder, f"fixture/{folder.name}")
    return run_all(docker_cli, {"fixtures": combos})["fixtures"]


def _report(outcomes: List[Outcome]) -> str:
    lines = []
    for outcome in outcomes:
        lines.append(f"{outcome.combo.label}:")
        lines += [f"    {d}" for d in outcome.differences[:12]]
    return "\n".join(lines)


def _assert_equal(outcomes: List[Outcome], what: str):
    compared = [o for o in outcomes if o.accepted]
    assert compared, f"docker accepted no {what} combo: nothing was compared"
    wrong = [o for o in compared if o.differences]
    assert not wrong, f"{len(wrong)} of {len(compared)} {what} combos differ from docker:\n" + _report(wrong)


@pytest.mark.corpus
@pytest.mark.parametrize("group", ["coopcloud", "swarm"])
def test_corpus_model_equals_docker_stack_config(outcomes, group):
    _assert_equal(outcomes[group], group)


def test_merge_fixtures_equal_docker_stack_config(fixture_outcomes):
    refused = [f"{o.combo.label}: {o.docker_error}" for o in fixture_outcomes if not o.accepted]
    assert not refused, "\n".join(refused)
    _assert_equal(fixture_outcomes, "fixture")


@pytest.mark.corpus
def test_every_recipe_combo_is_compared(outcomes):
    # recipes are deployed with exactly these file sets: docker must accept each of them
    refused = [f"{o.combo.label}: {o.docker_error}" for o in outcomes["coopcloud"] if not o.accepted]
    assert not refused, "\n".join(refused)


@pytest.mark.corpus
def test_files_docker_accepts_get_no_cp000_or_cp001(outcomes):
    flagged = [f"{o.combo.label}: {o.problems}" for group in ("coopcloud", "swarm") for o in outcomes[group]
               if o.accepted and o.lint_codes]
    assert not flagged, "\n".join(flagged)


@pytest.mark.corpus
def test_files_docker_refuses_are_reported(outcomes):
    missed = [f"{o.combo.label}: docker says {o.docker_error!r}" for group in ("coopcloud", "swarm")
              for o in outcomes[group] if not o.accepted and not o.lint_codes]
    assert not missed, "docker refuses these files but the linter reports no CP000/CP001:\n" + "\n".join(missed)


def test_the_comparison_can_fail(fixture_outcomes, docker_cli):
    """A changed image, an added label and a lost port must all show as differences."""
    combo = next(o.combo for o in fixture_outcomes if o.combo.label == "fixture/short-ports compose.yml")
    stack = load_ours(combo)
    code, out, _ = run_docker(docker_cli, combo.root, combo.files, stack.env)
    assert code == 0
    docker_config = yaml.safe_load(out)
    assert diff_stack(stack, docker_config, combo.root) == []
    service = docker_config["services"]["app"]
    service["image"] = "other:1"
    service.setdefault("deploy", {}).setdefault("labels", {})["added"] = "x"
    service["ports"] = service["ports"][1:]
    found = diff_stack(stack, docker_config, combo.root)
    assert any(d.startswith("app.image:") for d in found)
    assert any("added" in d for d in found)
    assert any(d.startswith("app.ports") for d in found)


def test_docker_durations_are_read_independently():
    assert docker_duration("1h2m3.5s") == (3723 * 10**9 + 5 * 10**8)
    assert docker_duration("1.5ms") == 1_500_000
    assert docker_duration("0s") == 0
    assert docker_duration("2m0s") == 120 * 10**9
    assert docker_duration("90µs") == 90_000


# --- hand-made files docker refuses (and their valid twins): refusal and CP000/CP001 agree ----

_SERVICE = 'version: "3.8"\nservices:\n  {name}:\n    image: nginx:1.27\n{extra}'
REFUSAL_CASES = {
    "typo_hotsname": ("app", "    hotsname: web\n"),
    "dns_opt": ("app", "    dns_opt: [use-vc]\n"),
    "reservations_devices": ("app", "    deploy:\n      resources:\n        reservations:\n          devices:\n"
                                    "            - capabilities: [gpu]\n"),
    "long_depends_on": ("app", "    depends_on:\n      db:\n        condition: service_healthy\n"),
    "environment_number": ("app", "    environment: 5\n"),
    "image_list": ("app", "    image: [x]\n".replace("    image", "    labels: [a=1]\n    entrypoint: [sh]\n    image")),
    "overflowing_duration": ("app", "    stop_grace_period: 999999999999h\n"),
    "overflowing_monitor": ("app", "    deploy:\n      update_config:\n        monitor: 9999999999999999s\n"),
    "service_name_space": ("my app", ""),
    "service_name_newline": ('"a\\nb"', ""),
    "service_name_slash": ("web/1", ""),
    "unknown_top_level": ("app", "volumez: {}\n"),
    "compose_spec_name": ("app", "name: shop\n"),
    "service_null": ("app", "  db:\n"),
    "replicas_negative": ("app", "    deploy:\n      replicas: -1\n"),
    "retries_negative": ("app", "    healthcheck:\n      test: [CMD, 'true']\n      retries: -2\n"),
    "parallelism_text": ("app", "    deploy:\n      update_config:\n        parallelism: '2'\n"),
    "order_wrong_case": ("app", "    deploy:\n      update_config:\n        order: Start-First\n"),
    "monitor_number": ("app", "    deploy:\n      update_config:\n        monitor: 30\n"),
    "update_config_unknown_key": ("app", "    deploy:\n      update_config:\n        failure-action: rollback\n"),
    "update_config_null": ("app", "    deploy:\n      update_config:\n"),
    "interpolated_parallelism": ("app", "    deploy:\n      update_config:\n        parallelism: ${P:-two}\n"),
    "labels_repeated": ("app", "    labels: [a=1, a=1]\n"),
    "ok_volumes_repeated": ("app", "    volumes: [a:/a, a:/a]\n"),
    "port_number_too_big": ("app", "    ports: [65536]\n"),
    "port_negative_published": ("app", "    ports:\n      - {target: 80, published: -1}\n"),
    "port_bad_ip": ("app", "    ports: ['1:8090:80']\n"),
    "start_interval_before_3_12": ("app", "    healthcheck:\n      test: [CMD, 'true']\n      start_interval: 5s\n"),
    "cpus_number": ("app", "    deploy:\n      resources:\n        limits:\n          cpus: 0.5\n"),
    # accepted by docker: the linter must stay quiet
    "ok_negative_delay": ("app", "    deploy:\n      update_config:\n        delay: -5s\n"),
    "ok_ratio_above_one": ("app", "    deploy:\n      rollback_config:\n        max_failure_ratio: 1.5\n"),
    "ok_service_name_dots": ("web.v1_a-b", ""),
    "ok_null_deploy": ("app", "    deploy:\n"),
    "ok_extension_keys": ("app", "    x-anything: {a: 1}\n    deploy:\n      labels: {x: '1'}\nx-top: 1\n"),
    "ok_long_ports_and_volumes": ("app", "    ports:\n      - {target: 80, published: 8080}\n    volumes:\n"
                                         "      - {type: volume, source: data, target: /data}\nvolumes:\n  data:\n"),
    "ok_interpolated_replicas": ("app", "    deploy:\n      replicas: ${N:-2}\n"),
}
VERSION_CASES = {
    "version_number": 'version: 3.8\nservices:\n  app:\n    image: nginx:1.27\n',
    "version_unsupported": 'version: "2.4"\nservices:\n  app:\n    image: nginx:1.27\n',
    "rollback_config_in_3_4": 'version: "3.4"\nservices:\n  app:\n    image: x:1\n    deploy:\n      rollback_config:\n'
                              '        parallelism: 1\n',
    "max_replicas_per_node_in_3_7": 'version: "3.7"\nservices:\n  app:\n    image: x:1\n    deploy:\n'
                                    '      placement:\n        max_replicas_per_node: 1\n',
    "ok_max_replicas_per_node_in_3_8": 'version: "3.8"\nservices:\n  app:\n    image: x:1\n    deploy:\n'
                                       '      placement:\n        max_replicas_per_node: 1\n',
    "ok_start_interval_in_3_12": 'version: "3.12"\nservices:\n  app:\n    image: x:1\n    healthcheck:\n'
                                 '      test: [CMD, "true"]\n      start_interval: 5s\n',
    "ok_version_3": 'version: "3"\nservices:\n  app:\n    image: x:1\n    init: true\n',
    "volumes_repeated_in_3_1": 'version: "3.1"\nservices:\n  app:\n    image: x:1\n    volumes: [a:/a, a:/a]\n',
    "long_port_in_3_1": 'version: "3.1"\nservices:\n  app:\n    image: x:1\n    ports:\n      - {}\n',
    "build_extra_key_in_3_10": 'version: "3.10"\nservices:\n  app:\n    image: x:1\n    build:\n'
                               '      context: .\n      platform: x\n',
    "ok_build_extra_key_in_3_11": 'version: "3.11"\nservices:\n  app:\n    image: x:1\n    build:\n'
                                  '      context: .\n      platform: x\n',
}


def _hand_made(name: str) -> str:
    if name in VERSION_CASES:
        return VERSION_CASES[name]
    service, extra = REFUSAL_CASES[name]
    return _SERVICE.format(name=service, extra=extra)


@pytest.mark.parametrize("name", sorted(REFUSAL_CASES) + sorted(VERSION_CASES))
def test_hand_made_refusals_match_docker(tmp_path, docker_cli, name):
    (tmp_path / "stack.yml").write_text(_hand_made(name))
    code, _, err = run_docker(docker_cli, str(tmp_path), ("stack.yml",), {})
    combo = Combo(name, str(tmp_path), ("stack.yml",), False)
    codes = lint_codes(combo)
    assert (code != 0) == (not name.startswith("ok_")), f"the case is wrong about docker: {err}"
    assert bool(codes) == (code != 0), f"docker: {err.strip() or 'accepted'}; linter: {codes}"


def test_file_sets_with_different_versions_are_refused_like_docker(tmp_path, docker_cli):
    (tmp_path / "compose.yml").write_text('version: "3.8"\nservices:\n  app:\n    image: x:1\n')
    (tmp_path / "compose.o.yml").write_text('services:\n  app:\n    hostname: h\n')  # no version: 3.13
    (tmp_path / "compose.same.yml").write_text('version: "3.8"\nservices:\n  app:\n    hostname: h\n')
    for overlay, refused in (("compose.o.yml", True), ("compose.same.yml", False)):
        code, _, err = run_docker(docker_cli, str(tmp_path), ("compose.yml", overlay), {})
        assert (code != 0) == refused, err
        codes = lint_codes(Combo(overlay, str(tmp_path), ("compose.yml", overlay), True))
        assert bool(codes) == refused, codes


@pytest.mark.parametrize("path, since", sorted(
    (path, since) for path, since in __import__("compose_policy.compose_schema", fromlist=["SINCE"]).SINCE.items()
    if path[:2] == ("services", "*")))
def test_keys_newer_than_a_version_are_refused_like_docker(tmp_path, docker_cli, path, since):
    """Each version-gated key, in a file of the version before and of its own version."""
    minor = int(since.split(".")[1])
    keys = [k for k in path[2:]]
    for version, refused in ((f"3.{minor - 1}", True), (since, False)):
        service: dict = {"image": "x:1"}
        cursor = service
        for index, key in enumerate(keys):
            last = index == len(keys) - 1
            if key == "[]":
                continue
            if last:
                cursor[key] = _sample_for(keys)
            elif index + 1 < len(keys) and keys[index + 1] == "[]":
                item = {"type": "volume", "target": "/x"} if key == "volumes" else {}
                cursor[key] = [item]
                cursor = item
            else:
                cursor = cursor.setdefault(key, {})
        (tmp_path / "stack.yml").write_text(yaml.safe_dump({"version": version, "services": {"app": service}}))
        code, _, err = run_docker(docker_cli, str(tmp_path), ("stack.yml",), {})
        assert (code != 0) == refused, f"{version}: {err}"
        codes = lint_codes(Combo(version, str(tmp_path), ("stack.yml",), False))
        assert bool(codes) == refused, f"{version}: docker {err.strip() or 'accepted'}; linter {codes}"


def _sample_for(keys) -> object:
    """A value docker accepts for the key at the end of ``keys``."""
    last = keys[-1]
    samples = {"rollback_config": {"parallelism": 1}, "order": "start-first", "pids": 10,
               "generic_resources": [{"discrete_resource_spec": {"kind": "gpu", "value": 1}}],
               "preferences": [{"spread": "node.id"}], "max_replicas_per_node": 1, "labels": ["a=1"],
               "cache_from": ["x"], "shm_size": "1G", "extra_hosts": ["a:1.2.3.4"], "configs": ["c"],
               "credential_spec": {"file": "x"}, "config": "x", "start_period": "5s", "start_interval": "5s",
               "init": True, "oom_score_adj": 1, "secrets": ["s"], "tmpfs": {"size": 1}, "target": 80,
               "published": 8080, "read_only": True, "bind": {"propagation": "rshared"},
               "volume": {"nocopy": True}, "type": "volume"}
    if last == "target" and "volumes" in keys:
        return "/y"
    if last == "target" and "build" in keys:
        return "x"
    return samples.get(last, "x")


def test_docker_appends_an_overlays_healthcheck_test_and_constraints(tmp_path, docker_cli):
    """What CP120 says of docker's merge, seen in docker's own output."""
    (tmp_path / "compose.yml").write_text(
        'version: "3.8"\nservices:\n  app:\n    image: x:1\n    healthcheck:\n      test: ["CMD", "true"]\n'
        '    deploy:\n      placement:\n        constraints: [node.role == manager]\n')
    (tmp_path / "compose.o.yml").write_text(
        'version: "3.8"\nservices:\n  app:\n    healthcheck:\n      test: ["CMD", "wget", "http://x"]\n'
        '    deploy:\n      placement:\n        constraints: [node.role == worker]\n')
    code, out, err = run_docker(docker_cli, str(tmp_path), ("compose.yml", "compose.o.yml"), {})
    assert code == 0, err
    app = yaml.safe_load(out)["services"]["app"]
    assert app["healthcheck"]["test"] == ["CMD", "true", "CMD", "wget", "http://x"]
    assert app["deploy"]["placement"]["constraints"] == ["node.role == manager", "node.role == worker"]
    combo = Combo("cp120", str(tmp_path), ("compose.yml", "compose.o.yml"), True)
    stack = load_ours(combo)
    assert stack.services["app"].node.plain()["healthcheck"]["test"] == app["healthcheck"]["test"]
    result = lint_paths([str(tmp_path)], LintOptions(select=["CP120"], load=LoadOptions(
        compose_files=combo.files)))
    assert sorted(f.rule for f in result.findings) == ["CP120", "CP120"]


TOP_LEVEL_GATED = {
    "secrets": ({"secrets": {"s": {"file": "./f"}}}, "3.1"),
    "configs": ({"configs": {"c": {"file": "./f"}}}, "3.3"),
    "x_top": ({"x-foo": 1}, "3.4"),
    "x_service": ({"services": {"app": {"image": "x:1", "x-foo": 1}}}, "3.7"),
    "x_network": ({"networks": {"n": {"x-a": 1}}}, "3.7"),
    "network_name": ({"networks": {"n": {"name": "nn"}}}, "3.5"),
    "network_attachable": ({"networks": {"n": {"attachable": True}}}, "3.2"),
    "volume_name": ({"volumes": {"v": {"name": "vv"}}}, "3.4"),
    "secret_name": ({"secrets": {"s": {"name": "n", "file": "./f"}}}, "3.5"),
    "secret_driver": ({"secrets": {"s": {"driver": "d"}}}, "3.8"),
    "config_template_driver": ({"configs": {"c": {"template_driver": "golang", "file": "./f"}}}, "3.8"),
}


@pytest.mark.parametrize("name", sorted(TOP_LEVEL_GATED))
def test_top_level_keys_newer_than_a_version_are_refused_like_docker(tmp_path, docker_cli, name):
    sections, since = TOP_LEVEL_GATED[name]
    (tmp_path / "f").write_text("")
    minor = int(since.split(".")[1])
    for version, refused in ((f"3.{minor - 1}", True), (since, False)):
        doc = {"version": version, "services": {"app": {"image": "x:1"}}, **sections}
        (tmp_path / "stack.yml").write_text(yaml.safe_dump(doc))
        code, _, err = run_docker(docker_cli, str(tmp_path), ("stack.yml",), {})
        assert (code != 0) == refused, f"{version}: {err}"
        codes = lint_codes(Combo(version, str(tmp_path), ("stack.yml",), False))
        assert bool(codes) == refused, f"{version}: docker {err.strip() or 'accepted'}; linter {codes}"



# --- seeded mutations of corpus files -------------------------------------------------------

_MUTANT_VALUES = [5, -1, 1.5, True, None, "x", "10s", "-5s", [], ["a"], {}, {"a": 1}, "1G", "99999999999h",
                  "Start-First", "0.5", ["a", "a"]]
_MUTANT_KEYS = ["hotsname", "dns_opt", "profiles", "runtime", "mem_limit", "platform", "x-a", "pull_policy",
                "devices", "order", "name"]


def _tree_paths(data, prefix=()):
    if isinstance(data, dict):
        for key, value in data.items():
            yield prefix + (key,)
            yield from _tree_paths(value, prefix + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield prefix + (index,)
            yield from _tree_paths(value, prefix + (index,))


def mutants(corpus: pathlib.Path, count: int, seed: int):
    """Corpus files without variables, each with one value changed or one key added."""
    import random

    rng = random.Random(seed)
    sources = []
    for path in sorted(corpus.glob("coopcloud/*/compose*.yml")) + sorted(corpus.glob("swarm/**/*.yml")):
        text = path.read_text(errors="replace")
        if "$" in text or "env_file" in text:
            # an unset variable is read as "" by docker and unknown by the linter; an env file the
            # corpus does not carry is the deploying machine's (see the stand-ins above)
            continue
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError:
            continue
        if isinstance(data, dict) and isinstance(data.get("services"), dict):
            sources.append((path, data))
    made = 0
    while made < count:
        path, data = rng.choice(sources)
        data = yaml.safe_load(yaml.safe_dump(data))  # a fresh copy
        where = rng.choice(list(_tree_paths(data)))
        parent = data
        for key in where[:-1]:
            parent = parent[key]
        if rng.random() < 0.6:
            parent[where[-1]] = rng.choice(_MUTANT_VALUES)
        elif isinstance(parent, dict):
            parent[rng.choice(_MUTANT_KEYS)] = rng.choice(_MUTANT_VALUES)
        else:
            continue
        made += 1
        yield f"{path.relative_to(corpus)} {list(where)}", yaml.safe_dump(data)


@pytest.mark.corpus
def test_mutated_corpus_files_are_refused_exactly_where_docker_refuses(corpus, docker_cli, tmp_path):
    def judge(item):
        index, (label, text) = item
        folder = tmp_path / str(index)
        folder.mkdir()
        (folder / "stack.yml").write_text(text)
        code, _, err = run_docker(docker_cli, str(folder), ("stack.yml",), {})
        return label, code != 0, err.strip(), lint_codes(Combo(label, str(folder), ("stack.yml",), False))

    with ThreadPoolExecutor(max_workers=4) as pool:
        verdicts = list(pool.map(judge, enumerate(mutants(corpus, 300, seed=12))))
    assert sum(refused for _, refused, _, _ in verdicts) > 100, "the mutations must make docker refuse often"
    wrong = [f"{label}: docker {err or 'accepted'}; linter {codes}" for label, refused, err, codes in verdicts
             if refused != bool(codes)]
    assert not wrong, "\n".join(wrong)


RESOURCES = """\
version: "3.8"
services:
  app:
    image: nginx:1.27
    networks: [proxy, legacy, internal]
    volumes: ["data:/data", "shared:/shared"]
    secrets: [token]
    configs: [conf]
networks:
  proxy:
    external: true
  legacy:
    external:
      name: real_proxy
  internal:
volumes:
  data:
  shared:
    external: true
    name: shared_data
secrets:
  token:
    external: true
configs:
  conf:
    external: true
"""


def test_config_prints_top_level_resources_as_docker_does(cli, tmp_path, docker_cli):
    """Empty entries print as {}, external ones carry the name docker's loader gives them."""
    (tmp_path / "compose.yml").write_text(RESOURCES)
    ours = yaml.safe_load(cli("config", tmp_path).output)
    proc = subprocess.run([docker_cli, "stack", "config", "-c", "compose.yml"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    theirs = yaml.safe_load(proc.stdout)
    for section in ("networks", "volumes", "secrets", "configs"):
        assert ours[section] == theirs[section], section
