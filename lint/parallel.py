"""Lint many stacks on several processes, with the result a serial run would give.

Imported only when a run has enough stacks to pay for worker processes: a one-recipe lint
(a pre-commit hook) never imports multiprocessing.

Workers are forked, so they inherit the loaded rules and the list of work without pickling
it. What comes back is pickled, and a stack's positioned node trees cost more to pickle and
unpickle than to parse again; so a worker sends its findings and a detached stack: no
documents, no texts, and each service reduced to the keys the caller asked to keep.
Results are taken in the order of the work, so the output is that of a serial run.
"""

from __future__ import annotations

import copy
import multiprocessing
import os

from compose_policy.errors import PolicyError
from compose_policy.model import Mapping

TYPE_CHECKING = False
if TYPE_CHECKING:  # names for annotations only: importing typing slows every lint run
    from typing import Any, Callable, List, Sequence, Tuple

# the work of the current map: set before the fork, read by the workers
_WORK: list = []
_TASK = None


def available() -> bool:
    """Forking workers is what makes this cheap; where it is not offered, runs stay serial."""
    return "fork" in multiprocessing.get_all_start_methods()


def ordered_map(task: Callable[[Any], Any], items: Sequence[Any], jobs: int) -> List[Any]:
    """``[task(item) for item in items]`` on ``jobs`` forked processes, in the order of ``items``.

    An exception in a task is raised here, the first one in item order, as a serial loop would.
    A worker that dies (killed, out of memory) ends the run with an error, never a hang.
    """
    global _WORK, _TASK
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    _WORK, _TASK = list(items), task
    # a few chunks per worker: even shares when stacks differ in size, few round trips
    chunk = max(1, len(items) // (jobs * 4))
    try:
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            return list(pool.map(_run, range(len(items)), chunksize=chunk))
    except BrokenProcessPool:
        raise PolicyError("a worker process died (out of memory?); run again with --jobs 1 to see "
                          "which stack") from None
    finally:
        _WORK, _TASK = [], None


def _run(index: int):
    return _TASK(_WORK[index])


def detach(stack, service_paths: Sequence[Tuple[str, ...]] = ()):
    """A copy of ``stack`` cheap to send between processes: what reports read of it.

    Name, target, file set, env, problems and validity stay; documents and texts go; each
    service keeps only the subtrees at ``service_paths`` (what a fleet report shows).
    """
    light = copy.copy(stack)
    light.documents = {}
    light.texts = {}
    service_type = None
    services = {}
    for name, service in stack.services.items():
        service_type = type(service)
        services[name] = service_type(name, _pruned(service.node, service_paths), light)
    light.services = services
    return light


def _pruned(node: Mapping, paths: Sequence[Tuple[str, ...]]) -> Mapping:
    """A mapping with only the values at ``paths`` (and the mappings on the way to them)."""
    out = Mapping(node.pos)
    for path in paths:
        source, target = node, out
        for depth, key in enumerate(path):
            if not isinstance(source, Mapping) or key not in source.items:
                break
            value = source.items[key]
            target.key_pos[key] = source.key_pos.get(key, value.pos)
            if depth == len(path) - 1:
                target.items[key] = value
            else:
                if not isinstance(target.items.get(key), Mapping):
                    target.items[key] = Mapping(value.pos)
                target = target.items[key]
            source = value
    return out


def default_jobs() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1
