"""Value classes without ``dataclasses``, whose import (inspect, ast, dis, tokenize) and
per-class code generation cost a one-recipe lint more than its rules take.

A subclass names its fields in ``_fields`` and writes its ``__init__``; it gets what
``@dataclass`` would give it: a repr, and equality by fields with the same class. A
``Record`` is mutable and so unhashable; a ``Frozen`` one refuses assignment and hashes by
its fields, like ``@dataclass(frozen=True)``.
"""

from __future__ import annotations


class Record:
    _fields: tuple = ()
    _hidden: tuple = ()  # fields left out of the repr (a back reference, a lookup table)
    __hash__ = None

    def _values(self) -> tuple:
        return tuple(getattr(self, name) for name in self._fields)

    def __eq__(self, other):
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields if name not in self._hidden)
        return f"{type(self).__qualname__}({shown})"


class Frozen(Record):
    def _set(self, **values) -> None:
        """For ``__init__`` only: assignment is refused afterwards."""
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name, value):
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name):
        raise AttributeError(f"cannot delete field {name!r}")

    def __hash__(self):
        return hash(self._values())
