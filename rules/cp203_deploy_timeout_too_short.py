import math

from compose_policy.model import Scalar, Severity
from compose_policy.rule import Rule
from compose_policy.rules._policy import (DEFAULT_STOP_GRACE, absence_position, delay, duration, healthcheck,
                                          is_start_first, monitor, parallelism, replicas, seconds_text)

DEFAULT_TIMEOUT = 50  # seconds abra waits when the recipe sets no timeout label


def timeout_label(stack):
    """(seconds or None when it cannot be read, node or None) of the app's timeout label."""
    app = stack.services.get("app")
    if app is None:
        return DEFAULT_TIMEOUT, None
    node = app.get("deploy", "labels", f"coop-cloud.{stack.stack_name}.timeout")
    if not isinstance(node, Scalar) or node.value in (None, ""):
        return DEFAULT_TIMEOUT, None
    if node.unknown:
        return None, node
    try:
        return int(str(node.value).strip()), node
    except ValueError:
        return None, node


def worst_case(service):
    """Seconds from the start of a rollout to swarm's verdict, at worst, with the terms; or None."""
    health = healthcheck(service)
    wait, window, batch = delay(service), monitor(service), parallelism(service)
    settings = [wait, window, batch] + (health.timings if health.declared else [])
    if any(not s.usable for s in settings):
        return None
    count = replicas(service)
    if count.is_global:
        tasks = 1  # one task on the single node a recipe CI deploys to
    elif count.count is None:
        return None
    else:
        tasks = count.count
    if tasks == 0:
        return None
    size = tasks if batch.value == 0 else min(int(batch.value), tasks)
    batches = math.ceil(tasks / size)
    terms = []
    if health.declared:
        terms += [("start_period", health.start_period.value),
                  (f"(retries {health.retries.value} + 1) x interval {seconds_text(health.interval.value)} =",
                   (health.retries.value + 1) * health.interval.value),
                  ("healthcheck timeout", health.timeout.value)]
    if not is_start_first(service):
        grace = duration(service, "stop_grace_period", default=DEFAULT_STOP_GRACE)
        if not grace.usable:
            return None
        terms.append(("stop_grace_period (stop-first)", grace.value))
    terms.append(("delay", wait.value))
    per_batch = sum(seconds for _, seconds in terms)
    # swarm watches the last batch for one more monitor period, or delay + 1s when longer
    final = wait.value + 1 if wait.value and wait.value >= window.value else window.value
    total = batches * per_batch + final
    return total, batches, terms, final


class DeployTimeoutTooShort(Rule):
    """abra stops waiting for a recipe's deploy before swarm can reach a verdict.

    ## What it does
    For a Co-op Cloud recipe, computes for each service the longest a rollout can take
    before swarm decides it succeeded or failed, and flags the recipe when the slowest
    service needs more than the deploy timeout: the `coop-cloud.${STACK_NAME}.timeout`
    deploy label of the `app` service, in seconds (abra waits 50 seconds without it).
    Per batch of `parallelism` tasks (`ceil(replicas / parallelism)` batches; global
    mode counts as one task on a single node):

    `start_period + (retries + 1) x interval + timeout` of the healthcheck (docker's
    defaults for unset timings; nothing without a healthcheck), plus `stop_grace_period`
    (default 10s) under `stop-first`, plus `delay`; then the final `monitor` (or
    `delay + 1s` when the delay is longer).

    ## Why is this bad
    abra waits for every service of the stack to converge, then gives up. When the
    timeout is shorter than the time swarm needs to declare a task healthy or failed,
    a slow but healthy upgrade is reported as a timeout, and a failing one times out
    before swarm pauses or rolls it back: the deploy's outcome is decided by abra's clock
    instead of by swarm, and a CI cannot tell a slow success from a failure.

    ## Example
    ```yaml
    services:
      app:
        healthcheck:
          interval: 30s
          retries: 10
          start_period: 1m
        deploy:
          labels:
            - "coop-cloud.${STACK_NAME}.version=1.0.0+2.0"
    ```

    ## Use instead
    ```yaml
    services:
      app:
        healthcheck:
          interval: 30s
          retries: 10
          start_period: 1m
        deploy:
          labels:
            - "coop-cloud.${STACK_NAME}.version=1.0.0+2.0"
            - "coop-cloud.${STACK_NAME}.timeout=${TIMEOUT:-480}"
    ```

    ## Fix
    Not fixable automatically: how long the recipe may take is the maintainer's call;
    the message gives the computed worst case.

    ## See also
    - Docker: [healthcheck in the compose services specification](https://docs.docker.com/reference/compose-file/services/#healthcheck)
    - Docker: [update_config in the compose deploy specification](https://docs.docker.com/reference/compose-file/deploy/#update_config)
    - Docker: [docker stack deploy](https://docs.docker.com/reference/cli/docker/stack/deploy/)
    """

    code = "CP203"
    name = "deploy-timeout-too-short"
    severity = Severity.WARNING

    def check(self, stack, ctx):
        if not stack.is_coopcloud:
            return
        timeout, node = timeout_label(stack)
        if timeout is None:
            return  # an unreadable timeout: cannot tell
        slowest = None
        for service in stack.services.values():
            result = worst_case(service)
            if result is not None and (slowest is None or result[0] > slowest[1][0]):
                slowest = (service, result)
        if slowest is None or slowest[1][0] <= timeout:
            return
        service, (total, batches, terms, final) = slowest
        breakdown = " + ".join(f"{name} {seconds_text(seconds)}" for name, seconds in terms if seconds)
        per_batch = f"{batches} x ({breakdown})" if batches > 1 else breakdown
        per_batch = per_batch or "no healthcheck or delay"
        source = (f"timeout label {timeout}s" if node is not None
                  else f"abra's default timeout of {timeout}s (no coop-cloud.${{STACK_NAME}}.timeout label)")
        at = node if node is not None else absence_position(stack.services.get("app", service), "deploy")
        short_source = f"timeout {timeout}s" if node is not None else f"abra's default timeout {timeout}s"
        yield self.finding(at, (
            f"{short_source} is shorter than the {seconds_text(total)} service {service.name} may need to reach a verdict"),
            service, detail=(
            f"{source}; worst case {per_batch} + final monitor {seconds_text(final)} = {seconds_text(total)}; "
            "abra gives up before swarm declares the rollout healthy or failed"))
