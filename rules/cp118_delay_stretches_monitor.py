from compose_policy.model import Severity
from compose_policy.rule import Rule
from compose_policy.rules._policy import delay, monitor, seconds_text, written_failure_action


class DelayStretchesMonitor(Rule):
    """The update delay is at least the monitor window.

    ## What it does
    Flags `deploy.update_config.delay` greater than or equal to `monitor` (default 5s),
    when the owner chose what a failure does (`failure_action` written as `rollback` or
    `pause`).

    ## Why is this bad
    `delay` is the pause each update worker takes after its new task reached RUNNING;
    `monitor` is how long after RUNNING a failure still counts. They are easy to take
    for one another. A task that fails after `monitor` but within `delay` does not count,
    although the update was still waiting, and when `delay >= monitor` swarm stretches the
    final monitoring period to `delay + 1s`, so every rollout takes longer than `monitor`
    suggests. A long delay usually means the owner wanted a long `monitor`.

    ## Example
    ```yaml
    deploy:
      update_config:
        delay: 30s
        failure_action: rollback
    ```

    ## Use instead
    ```yaml
    deploy:
      update_config:
        delay: 5s
        monitor: 30s
        failure_action: rollback
    ```

    ## Fix
    Not fixable automatically: which of the two the owner meant is theirs to say.

    ## See also
    - Docker: [update_config in the compose deploy specification](https://docs.docker.com/reference/compose-file/deploy/#update_config)
    """

    code = "CP118"
    name = "delay-stretches-monitor"
    severity = Severity.INFO

    def check_service(self, service, ctx):
        if written_failure_action(service, "rollback", "pause") is None:
            return
        wait = delay(service)
        window = monitor(service)
        if not wait.explicit or not wait.usable or not window.usable or wait.value <= 0:
            return
        if wait.value < window.value:
            return
        written = "monitor" if window.explicit else "monitor (swarm's default)"
        yield self.finding(wait.node, f"delay {seconds_text(wait.value)} >= {written} {seconds_text(window.value)}",
                           service, detail=(
            f"a task failing later than {seconds_text(window.value)} after it is running does not count "
            f"although the update is still waiting, and the last batch is watched for "
            f"{seconds_text(wait.value + 1)}; did you mean a longer monitor?"))
