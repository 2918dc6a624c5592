from compose_policy.interpolate import PATTERN
from compose_policy.model import Scalar, Severity
from compose_policy.rule import Rule
from compose_policy.rules._policy import DURATION_PATHS


def references_variable(node) -> bool:
    """The written text substitutes a variable (``$$`` alone is an escape, not a variable)."""
    raw = node.raw if isinstance(node.raw, str) else None
    if not raw or "$" not in raw:
        return False
    return any(m.group("named") or m.group("braced") for m in PATTERN.finditer(raw))


class InterpolatedDuration(Rule):
    """A duration field takes its value from a variable, which abra refuses.

    ## What it does
    Flags `${...}` in a duration field of a Co-op Cloud recipe: the healthcheck's
    `interval`, `timeout`, `start_period`, `start_interval`; `delay` and `monitor` of
    `update_config` and `rollback_config`; `delay` and `window` of `restart_policy`;
    `stop_grace_period`. Set the option `coopcloud-only` to `false` to check every stack.

    ## Why is this bad
    abra validates the compose schema before it interpolates variables, so the text
    `${START_PERIOD:-5m}` is checked as a duration and rejected ("Does not match format
    'duration'"): the recipe cannot be deployed at all. `docker stack deploy`
    interpolates first and accepts it, which is why this passes a local test and fails
    for every abra user.

    ## Example
    ```yaml
    healthcheck:
      start_period: ${START_PERIOD:-5m}
    ```

    ## Use instead
    ```yaml
    healthcheck:
      start_period: 5m
    ```
    A value that must differ per deployment goes into an overlay (`compose.<name>.yml`)
    with a literal duration.

    ## Fix
    Not fixable automatically: the literal to write (the default, or the value of one
    deployment) is the owner's choice.

    ## See also
    - Docker: [interpolation in compose files](https://docs.docker.com/reference/compose-file/interpolation/)
    - Docker: [update_config in the compose deploy specification](https://docs.docker.com/reference/compose-file/deploy/#update_config)
    """

    code = "CP201"
    name = "interpolated-duration"
    severity = Severity.ERROR
    options = {"coopcloud-only": True}
    option_help = {
        "coopcloud-only": "Check Co-op Cloud recipes only (`false`: every stack).",
    }

    def check(self, stack, ctx):
        if ctx.options.get("coopcloud-only", True) and not stack.is_coopcloud:
            return
        yield from super().check(stack, ctx)

    def check_service(self, service, ctx):
        for path in DURATION_PATHS:
            node = service.get(*path)
            if not isinstance(node, Scalar) or not references_variable(node):
                continue
            field = ".".join(path)
            yield self.finding(node, f"{field} is interpolated ({node.raw}): abra refuses to deploy", service,
                               detail=("abra validates durations before interpolating, rejects this one and "
                                       "refuses to deploy the recipe; write a literal duration"))
