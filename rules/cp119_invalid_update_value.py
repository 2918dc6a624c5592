from compose_policy.model import Mapping, Scalar, Severity
from compose_policy.rule import Rule
from compose_policy.rules._policy import UPDATE_SECTIONS, duration_value, number_value

FAILURE_ACTIONS = ("pause", "continue", "rollback")
# the healthcheck durations swarm checks (start_interval it does not)
HEALTH_DURATIONS = ("interval", "timeout", "start_period")
MIN_HEALTH_DURATION = 0.001  # swarm refuses a non-zero interval, timeout or start_period under 1ms


def _suggest(text, choices):
    import difflib  # only on the rare invalid value: keep it off the lint path

    close = difflib.get_close_matches(str(text), choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def _known(node):
    return isinstance(node, Scalar) and node.value is not None and not node.unknown


class InvalidUpdateValue(Rule):
    """A value `docker stack config` accepts but the daemon or the swarm manager refuses.

    ## What it does
    Reports the update, rollback and healthcheck values that pass the docker CLI's
    schema and then make `docker stack deploy` fail when the daemon or the swarm manager
    creates or updates the service:

    - `failure_action` of `update_config` or `rollback_config` other than `pause`,
      `continue` or `rollback` (the daemon: "unrecognized update failure action");
    - a negative `update_config.delay` or `update_config.monitor` (swarm: "update-delay
      cannot be negative", "update-monitor cannot be negative");
    - `update_config.max_failure_ratio` below 0 or above 1 (swarm: "update-maxfailureratio
      cannot be less than 0 or bigger than 1");
    - a healthcheck `interval`, `timeout` or `start_period` that is not 0 but under 1ms,
      negative ones included (swarm: "Interval in HealthConfig cannot be less than 1ms").

    Swarm validates only the update config: a negative delay or monitor, or a ratio
    outside 0..1, in `rollback_config` is deployed as written and not reported here. What
    the CLI itself refuses (unknown keys, `order: Start-First`, a duration without a unit,
    a quoted number) is CP001. Values that depend on a variable with no value are not judged.

    ## Why is this bad
    The file looks valid (`docker stack config` prints it), but the deploy stops at this
    service with an error from the daemon: on an upgrade nothing rolls out, and a typo like
    `rolback` means the rollout policy the owner meant never reaches swarm.

    ## Example
    ```yaml
    deploy:
      update_config:
        failure_action: rolback
        delay: -5s
        max_failure_ratio: 1.5
    ```

    ## Use instead
    ```yaml
    deploy:
      update_config:
        failure_action: rollback
        delay: 5s
        max_failure_ratio: 0.5
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
            config = service.get("deploy", section)
            if isinstance(config, Mapping):
                yield from self._update_section(service, section, config)
        yield from self._healthcheck(service)

    def _update_section(self, service, section, config):
        action = config.get("failure_action")
        if _known(action) and action.value not in FAILURE_ACTIONS:
            yield self.finding(action, f"{section}.failure_action {action.value!r} is not pause, continue or "
                               f"rollback{_suggest(action.value, FAILURE_ACTIONS)}", service,
                               detail="the daemon refuses the service: unrecognized update failure action")
        if section != "update_config":
            return  # swarm checks delay, monitor and the ratio of the update config only
        for key in ("delay", "monitor"):
            node = config.get(key)
            seconds = duration_value(node) if _known(node) else None
            if seconds is not None and seconds < 0:
                yield self.finding(node, f"{section}.{key} {node.value} is negative", service,
                                   detail=f"swarm refuses the service: update-{key} cannot be negative")
        node = config.get("max_failure_ratio")
        ratio = number_value(node) if _known(node) else None
        if ratio is not None and not 0 <= ratio <= 1:
            yield self.finding(node, f"{section}.max_failure_ratio {ratio:g} is outside 0..1", service,
                               detail="swarm refuses the service: update-maxfailureratio cannot be less "
                                      "than 0 or bigger than 1")

    def _healthcheck(self, service):
        health = service.get("healthcheck")
        if not isinstance(health, Mapping):
            return
        for key in HEALTH_DURATIONS:
            node = health.get(key)
            seconds = duration_value(node) if _known(node) else None
            if seconds is not None and seconds != 0 and seconds < MIN_HEALTH_DURATION:
                yield self.finding(node, f"healthcheck.{key} {node.value} is under swarm's 1ms minimum", service,
                                   detail="swarm refuses the service: a healthcheck interval, timeout or "
                                          "start_period must be 0 or at least 1ms")
