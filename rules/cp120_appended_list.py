import re

from compose_policy.model import Scalar, Sequence, Severity
from compose_policy.rule import Rule

TEST_KEYWORDS = ("CMD", "CMD-SHELL", "NONE")
_CONSTRAINT = re.compile(r"^\s*(.+?)\s*(==|!=)\s*(.+?)\s*$")


def _from_later_file(items, index) -> bool:
    return items[index].pos.path != items[0].pos.path


def _words(items) -> str:
    shown = ", ".join(f'"{i.value}"' if isinstance(i, Scalar) else "..." for i in items[:6])
    return f"[{shown}{', ...' if len(items) > 6 else ''}]"


class AppendedList(Rule):
    """An overlay's list that docker appends to the base's, where the result is nonsense.

    ## What it does
    Looks at the lists docker's merge appends rather than replaces (command and
    entrypoint it replaces) and flags the two results that cannot be what the author of
    the overlay meant:

    - `healthcheck.test` set in the base and again in an overlay: docker appends the
      lists, so the check runs the base's command with the overlay's words as extra
      arguments, `["CMD", "true", "CMD", "wget", ...]`;
    - `deploy.placement.constraints` that, once appended, require one node attribute to
      equal two different values (`node.role == manager` from the base and
      `node.role == worker` from the overlay).

    Other appended lists (`dns`, `cap_add`, `security_opt`, placement `preferences`, ...)
    add up to something that still works and are not reported.

    ## Why is this bad
    The overlay looks like it replaces the check, and `docker stack config` shows no
    error. But the merged test runs the base's program with junk arguments: with a base
    of `["CMD", "true"]` the check always passes, so swarm calls a broken task healthy and
    an update is never rolled back; with a real base check, the overlay's check never
    runs. Contradictory constraints match no node: every task stays pending, for ever.

    ## Example
    ```yaml
    # compose.yml
    services:
      app:
        healthcheck:
          test: ["CMD", "true"]
    # compose.prod.yml
    services:
      app:
        healthcheck:
          test: ["CMD", "wget", "-qO-", "http://localhost/health"]
    ```

    ## Use instead
    Set `test` in one file of the stack only: move the base's check to an overlay of its
    own, or make the base's check read a variable each environment sets:
    ```yaml
    # compose.yml
    services:
      app:
        healthcheck:
          test: ["CMD-SHELL", "${HEALTH_CHECK:-wget -qO- http://localhost/health}"]
    ```

    ## Fix
    Not fixable automatically: which check (or which constraint) is meant is the
    author's call.

    ## See also
    - Docker: [healthcheck in the compose file reference](https://docs.docker.com/reference/compose-file/services/#healthcheck)
    - Docker: [merging compose files](https://docs.docker.com/compose/how-tos/multiple-compose-files/merge/)
    - Docker: [docker stack config](https://docs.docker.com/reference/cli/docker/stack/config/)
    """

    code = "CP120"
    name = "appended-list"
    severity = Severity.ERROR

    def check_service(self, service, ctx):
        yield from self._healthcheck(service)
        yield from self._constraints(service)

    def _healthcheck(self, service):
        test = service.get("healthcheck", "test")
        if not isinstance(test, Sequence) or len(test.items) < 2:
            return
        items = test.items
        for index in range(1, len(items)):
            item = items[index]
            if (isinstance(item, Scalar) and item.value in TEST_KEYWORDS and not item.unknown
                    and _from_later_file(items, index)):
                yield self.finding(item, "healthcheck.test of an overlay is appended to the base's, not "
                                   "replacing it", service, detail=(
                                       f"docker merges the two into {_words(items)}: the base's command runs "
                                       f"with the overlay's words as arguments, so the overlay's check never "
                                       f"runs{_always_passes(items)}; set test in one file only"))
                return

    def _constraints(self, service):
        constraints = service.get("deploy", "placement", "constraints")
        if not isinstance(constraints, Sequence):
            return
        equal = {}  # attribute -> (value, node) of the first "==" seen
        for item in constraints.items:
            if not isinstance(item, Scalar) or item.unknown or not isinstance(item.value, str):
                continue
            match = _CONSTRAINT.match(item.value)
            if not match or match.group(2) != "==":
                continue
            key, value = match.group(1), match.group(3)
            if key in equal and equal[key][0] != value and item.pos.path != equal[key][1].pos.path:
                yield self.finding(item, f"appended constraints need {key} to be both {equal[key][0]} and "
                                   f"{value}", service, detail=(
                                       "docker appends an overlay's placement constraints to the base's, and a "
                                       "task must meet all of them: no node does, so every task stays pending"))
                continue
            equal.setdefault(key, (value, item))


def _always_passes(items) -> str:
    first = items[1] if len(items) > 1 else None
    if isinstance(first, Scalar) and items[0].value == "CMD" and first.value in ("true", "/bin/true"):
        return ", and `true` with any arguments always passes"
    return ""
