from compose_policy.model import Mapping, Scalar, Severity
from compose_policy.rule import Rule
from compose_policy.rules._policy import UPDATE_SECTIONS, duration_value, number_value

UPDATE_KEYS = ("parallelism", "delay", "failure_action", "monitor", "max_failure_ratio", "order")
CHOICES = {
    "failure_action": ("pause", "continue", "rollback"),
    "order": ("stop-first", "start-first"),
}
HEALTH_DURATIONS = ("interval", "timeout", "start_period", "start_interval")
MIN_HEALTH_DURATION = 0.001  # swarm refuses an interval or timeout under 1ms (0 means default)


def _suggest(text, choices):
    import difflib  # only on the rare invalid value: keep it off the lint path

    close = difflib.get_close_matches(str(text), choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def _duration_problem(node, health: bool = False):
    if not isinstance(node.value, str):
        return f"{node.raw!r} must be a string with a unit, like 30s or 1m30s"
    seconds = duration_value(node)
    if seconds is None:
        return f"{node.value!r} is not a duration (like 30s, 1m30s, 500ms)"
    if seconds < 0:
        return f"{node.value} is negative"
    if health and 0 < seconds < MIN_HEALTH_DURATION:
        return f"{node.value} is under swarm's minimum of 1ms"
    return None


def _number_problem(node, integer: bool, upper=None):
    value = number_value(node, integer)
    if value is None:
        if isinstance(node.value, str) and not node.interpolated:
            return f"{node.raw!r} is a quoted string: write the number unquoted"
        return f"{node.raw!r} is not {'an integer' if integer else 'a number'}"
    if value < 0:
        return f"{value:g} is negative"
    if upper is not None and value > upper:
        return f"{value:g} is above {upper:g}"
    return None


class InvalidUpdateValue(Rule):
    """A value in update_config, rollback_config or healthcheck that docker or swarm refuses.

    ## What it does
    Checks every field of `deploy.update_config` and `deploy.rollback_config`, and the
    timings of `healthcheck`, the way `docker stack deploy`, the docker daemon and the
    swarm manager do:

    - `failure_action` is one of `pause`, `continue`, `rollback`; `order` is `stop-first`
      or `start-first` (case matters);
    - `delay`, `monitor` and the healthcheck's `interval`, `timeout`, `start_period`,
      `start_interval` are Go durations written as strings (`30s`, `1m30s`), never
      negative, and a healthcheck interval or timeout not under 1ms;
    - `parallelism` and `retries` are non-negative integers, `max_failure_ratio` a number
      from 0 to 1, all written unquoted (an interpolated `${N:-2}` is fine);
    - no other key appears in update_config or rollback_config.

    Values that depend on a variable with no value are not judged.

    ## Why is this bad
    Each of these makes the deploy fail: the docker CLI rejects the schema ("Does not
    match format 'duration'", "must be a integer", "Additional property ... is not
    allowed"), the daemon rejects an unknown failure action ("unrecognized update failure
    action"), the swarm manager rejects a negative delay or monitor and a ratio outside
    0..1. A typo like `rolback` means the rollout policy the owner meant never reaches
    swarm, and on an upgrade the deploy stops before anything rolls out.

    ## Example
    ```yaml
    deploy:
      update_config:
        failure_action: rolback
        monitor: 30
        parallelism: "2"
    ```

    ## Use instead
    ```yaml
    deploy:
      update_config:
        failure_action: rollback
        monitor: 30s
        parallelism: 2
    ```

    ## Fix
    Not fixable automatically: a typo has a likely meaning (the message suggests it), but
    the owner has to confirm it.

    ## See also
    - Docker: [update_config in the compose deploy specification](https://docs.docker.com/reference/compose-file/deploy/#update_config)
    - Docker: [docker stack config](https://docs.docker.com/reference/cli/docker/stack/config/)
    """

    code = "CP119"
    name = "invalid-update-value"
    severity = Severity.ERROR

    def check_service(self, service, ctx):
        for section in UPDATE_SECTIONS:
            yield from self._update_section(service, section)
        yield from self._healthcheck(service)

    def _update_section(self, service, section):
        config = service.get("deploy", section)
        if config is None or (isinstance(config, Scalar) and config.value is None):
            return
        if not isinstance(config, Mapping):
            yield self.finding(config, f"{section} must be a mapping of update settings", service)
            return
        for key, node in config.items.items():
            problem = None
            if key not in UPDATE_KEYS:
                if key.startswith("x-"):
                    continue
                yield self.finding(config.key_pos.get(key, node.pos), (
                    f"{section}.{key} is not an update setting{_suggest(key, UPDATE_KEYS)}: docker "
                    f"stack deploy refuses the file (allowed: {', '.join(UPDATE_KEYS)})"), service)
                continue
            if not isinstance(node, Scalar) or node.value is None or node.unknown:
                if not isinstance(node, Scalar):
                    yield self.finding(node, f"{section}.{key} must be a single value", service)
                continue
            if key in CHOICES:
                if node.value not in CHOICES[key]:
                    problem = (f"{node.value!r} is not one of {', '.join(CHOICES[key])}"
                               f"{_suggest(node.value, CHOICES[key])}")
            elif key in ("delay", "monitor"):
                problem = _duration_problem(node, health=False)
            elif key == "parallelism":
                problem = _number_problem(node, integer=True)
            elif key == "max_failure_ratio":
                problem = _number_problem(node, integer=False, upper=1)
            if problem:
                yield self.finding(node, f"{section}.{key}: {problem}; the deploy is refused", service)

    def _healthcheck(self, service):
        health = service.get("healthcheck")
        if not isinstance(health, Mapping):
            return
        for key in HEALTH_DURATIONS + ("retries",):
            node = health.get(key)
            if not isinstance(node, Scalar) or node.value is None or node.unknown:
                continue
            if key == "retries":
                problem = _number_problem(node, integer=True)
            else:
                problem = _duration_problem(node, health=key in ("interval", "timeout"))
            if problem:
                yield self.finding(node, f"healthcheck.{key}: {problem}; the deploy is refused", service)
