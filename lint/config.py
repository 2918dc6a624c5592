"""``.compose-policy.yml``: which rules run, how severe, with which options, and where.

The nearest file above a linted stack wins (or the one given with ``--config``). A file is
checked against the JSON schema shipped beside this module, then its rule codes and
option names against the registry; any mistake is a ConfigError naming the file, the key
path and the reason, on one line. jsonschema is imported only when a file exists: most
lints have none and should not pay for it.
"""

from __future__ import annotations

import fnmatch
import os

from compose_policy.errors import ConfigError
from compose_policy.model import Severity
from compose_policy.record import Record
from compose_policy.registry import all_rules, get_rule, match_codes
from compose_policy.units import try_bytes, try_duration

TYPE_CHECKING = False
if TYPE_CHECKING:  # names for annotations only: importing typing slows every lint run
    from typing import Any, Dict, FrozenSet, List, Optional, Sequence, Tuple

CONFIG_NAMES = (".compose-policy.yml", ".compose-policy.yaml")
SCHEMA_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "config_schema.json")


class Override(Record):
    """Settings for the stacks named by ``recipes`` and/or the services named by ``services``."""

    _fields = ("recipes", "services", "ignore", "severities", "options")

    def __init__(self, recipes: Tuple[str, ...] = (), services: Tuple[str, ...] = (),
                 ignore: FrozenSet[str] = frozenset(), severities: Optional[Dict[str, Severity]] = None,
                 options: Optional[Dict[str, Dict[str, Any]]] = None):
        self.recipes = recipes
        self.services = services
        self.ignore = ignore
        self.severities: Dict[str, Severity] = {} if severities is None else severities
        self.options: Dict[str, Dict[str, Any]] = {} if options is None else options  # by code

    def matches_stack(self, stack) -> bool:
        if not self.recipes:
            return True
        names = {stack.name}
        if stack.recipe is None:  # a lone file: its path as given, or its file name
            names.add(os.path.basename(stack.name))
        return any(fnmatch.fnmatchcase(n, p) for p in self.recipes for n in names)

    def matches_service(self, service: Optional[str]) -> bool:
        if not self.services:
            return True
        return service is not None and any(fnmatch.fnmatchcase(service, p) for p in self.services)


class Config(Record):
    _fields = ("path", "select", "ignore", "fail_on", "severities", "options", "data", "overrides")

    def __init__(self, path: Optional[str] = None, select: Optional[List[str]] = None,
                 ignore: Optional[List[str]] = None, fail_on: Optional[Severity] = None,
                 severities: Optional[Dict[str, Severity]] = None,
                 options: Optional[Dict[str, Dict[str, Any]]] = None,
                 data: Optional[Dict[str, Dict[str, Any]]] = None, overrides: Optional[List[Override]] = None):
        self.path = path  # as shown in messages; None when no file applies
        self.select = select  # codes; None = every rule
        self.ignore: List[str] = [] if ignore is None else ignore
        self.fail_on = fail_on
        self.severities: Dict[str, Severity] = {} if severities is None else severities
        # by code, global ones merged in
        self.options: Dict[str, Dict[str, Any]] = {} if options is None else options
        self.data: Dict[str, Dict[str, Any]] = {} if data is None else data  # heavy-images, database-images
        self.overrides: List[Override] = [] if overrides is None else overrides


DEFAULT_CONFIG = Config()


def display_path(path: str) -> str:
    """Relative to the working directory when below it, else absolute."""
    absolute = os.path.abspath(path)
    relative = os.path.relpath(absolute)
    return absolute if relative.startswith("..") else relative


def key_path(parts: Sequence[Any]) -> str:
    """``["rules", "CP101", "severity"]`` -> ``rules.CP101.severity``; list indexes as ``[0]``."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


# --- reading and schema ----------------------------------------------------------------

def _read(path: str, shown: str) -> Any:
    from compose_policy.errors import InputError
    from compose_policy.readfile import CONFIG_FILE_LIMIT, read_text
    from compose_policy.yamlload import load_document

    try:
        text = read_text(path, CONFIG_FILE_LIMIT)
    except InputError as exc:
        raise ConfigError(str(exc).replace(path, shown, 1)) from None
    doc = load_document(text, shown)
    if doc.problems:
        problem = doc.problems[0]
        reason = problem.message.split("; docker", 1)[0]  # what docker does with compose files is beside the point
        raise ConfigError(f"{problem.pos}: invalid YAML: {reason}")
    return {} if doc.root is None else doc.root.plain()


def _schema() -> dict:
    import json  # only when a configuration file exists

    with open(SCHEMA_FILE, encoding="utf-8") as handle:
        return json.load(handle)


def _describe(error) -> Tuple[List[Any], str]:
    """A key path and a reason a person can act on, from a jsonschema error."""
    for candidate in (error, error.parent):  # "anyOf: required x / required y", descended into or not
        if candidate is not None and candidate.validator == "anyOf" and all(
                set(s) == {"required"} for s in candidate.validator_value):
            wanted = " or ".join(r for s in candidate.validator_value for r in s["required"])
            return list(candidate.absolute_path), f"needs {wanted}"
    path = list(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {})
        extra = [k for k in error.instance if k not in known and not str(k).startswith("x-")]
        if extra:
            expected = ", ".join(sorted(known))
            return path + [extra[0]], f"unknown key (expected one of: {expected})"
    return path, error.message


def validate_schema(data: Any, shown: str) -> None:
    import jsonschema  # slow to import: only here, when a configuration file exists

    validator = jsonschema.Draft7Validator(_schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is not None:
        path, reason = _describe(error)
        raise ConfigError(f"{shown}: {key_path(path)}: {reason}")


# --- meaning: codes, options, data ------------------------------------------------------

def _option_problem(default: Any, value: Any, choices: Optional[Sequence[str]]) -> Optional[str]:
    """Why ``value`` cannot stand for an option whose default is ``default``. A rule reads a
    value it cannot parse as its default, so without this a typo would silently change nothing."""
    if isinstance(default, (bool, list)):  # types checked above, list items by the schema
        return None
    if isinstance(default, int):
        return None if type(value) is int and value >= 1 else "not a whole number of at least 1"
    if choices:
        return None if value in choices else "not one of " + ", ".join(choices)
    if try_duration(default) is not None:  # before sizes: "2m" reads as both
        return None if try_duration(value) is not None else "not a duration (like 30s or 2m)"
    if try_bytes(default) is not None:  # a plain number of bytes is a size, as in compose files
        return None if try_bytes(value) is not None else "not a size (like 512M or 1G)"
    return None


class _Reader:
    """Turns validated data into a Config; the registry decides which codes and options exist."""

    def __init__(self, shown: str):
        self.shown = shown
        self.rules = all_rules()

    def fail(self, path: Sequence[Any], reason: str) -> "ConfigError":
        return ConfigError(f"{self.shown}: {key_path(path)}: {reason}")

    def codes(self, values: List[str], path: List[Any]) -> List[str]:
        out: List[str] = []
        for index, value in enumerate(values):
            try:
                out.extend(match_codes([value]))
            except KeyError:
                raise self.fail(path + [index], f"unknown rule code or name {value!r}") from None
        return list(dict.fromkeys(out))

    def option_value(self, code: str, name: str, value: Any, path: List[Any]) -> Any:
        rule = self.rules[code]
        default = rule.options[name]
        if isinstance(default, bool) != isinstance(value, bool) or isinstance(default, list) != isinstance(value, list):
            raise self.fail(path, f"{value!r} does not fit option {name} of {code} (default {default!r})")
        problem = _option_problem(default, value, rule.option_choices.get(name))
        if problem:
            raise self.fail(path, f"{value!r} does not fit option {name} of {code}: {problem} (default {default!r})")
        return value

    def global_options(self, values: Dict[str, Any], path: List[Any]) -> Dict[str, Dict[str, Any]]:
        out: Dict[str, Dict[str, Any]] = {}
        for name, value in values.items():
            owners = [code for code, rule in self.rules.items() if name in rule.options]
            if not owners:
                known = sorted({o for rule in self.rules.values() for o in rule.options})
                raise self.fail(path + [name], f"no rule has this option (options: {', '.join(known)})")
            for code in owners:
                out.setdefault(code, {})[name] = self.option_value(code, name, value, path + [name])
        return out

    def rule_settings(self, values: Dict[str, Any], path: List[Any]):
        severities: Dict[str, Severity] = {}
        options: Dict[str, Dict[str, Any]] = {}
        for key, settings in values.items():
            try:
                code = get_rule(key).code
            except KeyError:
                raise self.fail(path + [key], "unknown rule code or name") from None
            if "severity" in settings:
                severities[code] = Severity.parse(settings["severity"])
            for name, value in (settings.get("options") or {}).items():
                where = path + [key, "options", name]
                if name not in self.rules[code].options:
                    known = ", ".join(self.rules[code].options) or "none"
                    raise self.fail(where, f"{code} has no option {name!r} (options: {known})")
                options.setdefault(code, {})[name] = self.option_value(code, name, value, where)
        return severities, options

    def layered_options(self, data: Dict[str, Any], path: List[Any]):
        """Global options under each rule's own: rule defaults < options < rules.CODE.options."""
        merged = self.global_options(data.get("options") or {}, path + ["options"])
        severities, per_rule = self.rule_settings(data.get("rules") or {}, path + ["rules"])
        for code, values in per_rule.items():
            merged.setdefault(code, {}).update(values)
        return severities, merged

    def image_data(self, data: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
        out: Dict[str, Dict[str, Any]] = {}
        heavy = data.get("heavy-images")
        if heavy is not None:
            out["heavy-images"] = (dict(heavy) if isinstance(heavy, dict)
                                   else {p: f"listed as memory-heavy in {self.shown}" for p in heavy})
        databases = data.get("database-images")
        if databases is not None:
            out["database-images"] = (dict(databases) if isinstance(databases, dict)
                                      else {p: {"why": f"listed as a database in {self.shown}"} for p in databases})
        return out

    def override(self, data: Dict[str, Any], index: int) -> Override:
        path: List[Any] = ["overrides", index]
        severities, options = self.layered_options(data, path)
        return Override(
            recipes=tuple(data.get("recipes") or ()), services=tuple(data.get("services") or ()),
            ignore=frozenset(self.codes(data.get("ignore") or [], path + ["ignore"])),
            severities=severities, options=options,
        )

    def config(self, data: Dict[str, Any]) -> Config:
        severities, options = self.layered_options(data, [])
        return Config(
            path=self.shown,
            select=self.codes(data["select"], ["select"]) if "select" in data else None,
            ignore=self.codes(data.get("ignore") or [], ["ignore"]),
            fail_on=Severity.parse(data["fail-on"]) if "fail-on" in data else None,
            severities=severities, options=options, data=self.image_data(data),
            overrides=[self.override(o, i) for i, o in enumerate(data.get("overrides") or [])],
        )


def load_config(path: str) -> Config:
    """Read, validate and resolve one configuration file. Raises ConfigError."""
    shown = display_path(path)
    if not os.path.exists(path):
        raise ConfigError(f"{shown}: no such configuration file")
    data = _read(path, shown)
    validate_schema(data, shown)
    return _Reader(shown).config(data)


class ConfigResolver:
    """The configuration of each linted folder: ``--config FILE``, else the nearest file above."""

    def __init__(self, explicit: Optional[str] = None, discover: bool = True):
        self.explicit = explicit
        self.discover = discover
        self._loaded: Dict[str, Config] = {}
        self._nearest: Dict[str, Optional[str]] = {}  # folder -> config file, from walks so far

    def load(self, path: str) -> Config:
        key = os.path.abspath(path)
        if key not in self._loaded:
            self._loaded[key] = load_config(path)
        return self._loaded[key]

    def nearest_file(self, folder: str) -> Optional[str]:
        current = os.path.abspath(folder)
        walked: List[str] = []
        found: Optional[str] = None
        while True:
            if current in self._nearest:
                found = self._nearest[current]
                break
            walked.append(current)
            found = next((os.path.join(current, n) for n in CONFIG_NAMES
                          if os.path.exists(os.path.join(current, n))), None)
            parent = os.path.dirname(current)
            if found or parent == current:
                break
            current = parent
        for folder_walked in walked:
            self._nearest[folder_walked] = found
        return found

    def for_folder(self, folder: str) -> Config:
        if self.explicit:
            return self.load(self.explicit)
        if not self.discover:
            return DEFAULT_CONFIG
        found = self.nearest_file(folder)
        return self.load(found) if found else DEFAULT_CONFIG
