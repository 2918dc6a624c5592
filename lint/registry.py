"""Find every rule class in ``compose_policy.rules``: adding a rule module is enough."""

from __future__ import annotations

import importlib
import importlib.machinery
import os

from compose_policy.rule import Rule

TYPE_CHECKING = False
if TYPE_CHECKING:  # names for annotations only: importing typing slows every lint run
    from typing import Dict, List, Type

_CACHE: Dict[str, Type[Rule]] = {}


def _module_names(paths) -> List[str]:
    """The modules in the package's folders, as ``pkgutil.iter_modules`` names them.

    pkgutil imports inspect for that, which a one-recipe lint would notice.
    """
    suffixes = sorted(importlib.machinery.all_suffixes(), key=len, reverse=True)
    names: List[str] = []
    for folder in paths:
        try:
            entries = sorted(os.listdir(folder))
        except OSError:
            continue
        for entry in entries:
            suffix = next((s for s in suffixes if entry.endswith(s)), None)
            if suffix is not None:
                name = entry[:-len(suffix)]
            elif os.path.isfile(os.path.join(folder, entry, "__init__.py")):
                name = entry
            else:
                continue
            if name != "__init__" and "." not in name and name not in names:
                names.append(name)
    return names


def all_rules() -> Dict[str, Type[Rule]]:
    """Rule classes by code, sorted by code."""
    if not _CACHE:
        import compose_policy.rules as package

        found: Dict[str, Type[Rule]] = {}
        for name in _module_names(package.__path__):
            if name.startswith("_"):
                continue
            module = importlib.import_module(f"{package.__name__}.{name}")
            for value in vars(module).values():
                if isinstance(value, type) and issubclass(value, Rule) and value is not Rule and value.code:
                    if value.code in found and found[value.code] is not value:
                        raise RuntimeError(f"two rules claim {value.code}: {found[value.code]} and {value}")
                    found[value.code] = value
        _CACHE.update(sorted(found.items()))
    return _CACHE


def get_rule(code: str) -> Type[Rule]:
    rules = all_rules()
    key = code.strip().upper()
    if key in rules:
        return rules[key]
    for rule in rules.values():  # the name works too: explain start-first-heavy-rollback
        if rule.name == code.strip().lower():
            return rule
    raise KeyError(code)


def match_codes(patterns: List[str]) -> List[str]:
    """Codes matched by code prefixes (``CP1`` is every CP1xx rule), names or ``ALL``."""
    rules = all_rules()
    out = []
    for pattern in patterns:
        p = pattern.strip()
        if not p:
            continue
        if p.upper() == "ALL":
            out.extend(rules)
            continue
        hits = [c for c, r in rules.items() if c.startswith(p.upper()) or r.name == p.lower()]
        if not hits:
            raise KeyError(p)
        out.extend(hits)
    return list(dict.fromkeys(out))
