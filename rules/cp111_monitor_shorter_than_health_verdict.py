import math

from compose_policy.model import Applicability, Fix, Severity
from compose_policy.rule import Rule
from compose_policy.rules._policy import (absence_position, healthcheck, monitor, seconds_text,
                                          written_failure_action)
from compose_policy.units import MAX_DURATION, format_duration


class MonitorShorterThanHealthVerdict(Rule):
    """The update monitor window ends before a healthcheck can declare a task unhealthy.

    ## What it does
    Flags a service whose `deploy.update_config.failure_action` is explicitly `rollback`
    or `pause`, that has a healthcheck, and whose `update_config.monitor` (default 5s) is
    shorter than `interval x retries + timeout` of the healthcheck (docker's defaults:
    30s, 3, 30s). `start_period` does not count.

    ## Why is this bad
    A task with a healthcheck reaches RUNNING at its first healthy probe, and swarm's
    monitor window starts then; `start_period` is over by that time. A new version that
    turns unhealthy after readiness needs about `interval x retries + timeout` to be
    declared failed. If `monitor` is shorter, that verdict arrives after swarm stopped
    watching: the failure action never fires, the update reports `completed`, and the new
    version crash-loops under the restart policy.

    ## Example
    ```yaml
    healthcheck:
      test: ["CMD", "curl", "-f", "http://localhost:8000"]
      interval: 10s
      retries: 3
      timeout: 5s
    deploy:
      update_config:
        failure_action: rollback
    ```

    ## Use instead
    ```yaml
    healthcheck:
      test: ["CMD", "curl", "-f", "http://localhost:8000"]
      interval: 10s
      retries: 3
      timeout: 5s
    deploy:
      update_config:
        failure_action: rollback
        monitor: 35s
    ```

    ## Fix
    Sets `deploy.update_config.monitor` to the literal duration `interval x retries +
    timeout`, rounded up to whole seconds (abra refuses interpolated durations). Unsafe
    in place: every rollout then takes longer, by up to that much per batch; check the
    recipe's deploy timeout (CP203).

    ## See also
    - Docker: [update_config in the compose deploy specification](https://docs.docker.com/reference/compose-file/deploy/#update_config)
    - Docker: [healthcheck in the compose services specification](https://docs.docker.com/reference/compose-file/services/#healthcheck)
    """

    code = "CP111"
    name = "monitor-shorter-than-health-verdict"
    severity = Severity.WARNING
    fix_applicability = Applicability.UNSAFE

    def check_service(self, service, ctx):
        action = written_failure_action(service, "rollback", "pause")
        if action is None:
            return
        health = healthcheck(service)
        if not health.declared or not health.readable:
            return
        window = monitor(service)
        if not window.usable:
            return
        verdict = health.verdict_seconds()
        if window.value >= verdict:
            return
        needed = format_duration(math.ceil(min(verdict, MAX_DURATION)))
        written = "monitor" if window.explicit else "monitor (swarm's default)"
        message = (f"{written} {seconds_text(window.value)} is shorter than the healthcheck's unhealthy "
                   "verdict")
        detail = (f"interval {seconds_text(health.interval.value)} x retries "
                   f"{health.retries.value} + timeout {seconds_text(health.timeout.value)} = "
                   f"{seconds_text(verdict)}; a new version that turns unhealthy after readiness never "
                   f"triggers failure_action: {action.value}")
        why = (f"{self.code} {self.name}: a healthcheck needs {seconds_text(verdict)} to declare a task "
               f"unhealthy; a monitor of {seconds_text(window.value)} stops watching before that")
        at = window.node if window.explicit else absence_position(service, "deploy", "update_config")
        # past Go's largest duration no monitor can be written: docker would refuse it
        fix = (Fix(service.name, ("deploy", "update_config", "monitor"), needed, why, Applicability.UNSAFE)
               if verdict <= MAX_DURATION else None)
        yield self.finding(at, message, service, detail=detail, fix=fix)
