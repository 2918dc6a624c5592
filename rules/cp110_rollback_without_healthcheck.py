from compose_policy.model import Severity
from compose_policy.rule import Rule
from compose_policy.rules._policy import healthcheck, monitor, seconds_text, written_failure_action


class RollbackWithoutHealthcheck(Rule):
    """An update rolls back or pauses on failure, but the service has no healthcheck.

    ## What it does
    Flags a service whose `deploy.update_config.failure_action` is explicitly `rollback`
    or `pause` while the compose file declares no healthcheck, or disables it
    (`disable: true`, `test: ["NONE"]`). A healthcheck that sets only timings is taken to
    complete the image's own test and is not flagged.

    ## Why is this bad
    Swarm decides that a new task failed from its state: with a healthcheck a task stays
    STARTING until its first healthy probe and is marked FAILED on an unhealthy verdict;
    without one, a task counts as RUNNING as soon as its process starts, and the only
    failure swarm can see is the process exiting within the `monitor` window (5s by
    default). A new version that starts and then serves errors, or hangs, completes the
    update, and the rollback or pause the owner asked for never happens. An image can
    carry its own `HEALTHCHECK`, which a linter cannot see from the compose file: if it
    does, declare it in the compose file so that the policy is visible where it is set.

    ## Example
    ```yaml
    services:
      app:
        image: nginx:1.27
        deploy:
          update_config:
            failure_action: rollback
    ```

    ## Use instead
    ```yaml
    services:
      app:
        image: nginx:1.27
        healthcheck:
          test: ["CMD", "wget", "-qO-", "http://localhost/"]
          interval: 10s
          retries: 3
        deploy:
          update_config:
            failure_action: rollback
    ```

    ## Fix
    Not fixable automatically: only the owner knows what proves the service healthy.

    ## See also
    - Docker: [healthcheck in the compose services specification](https://docs.docker.com/reference/compose-file/services/#healthcheck)
    - Docker: [update_config in the compose deploy specification](https://docs.docker.com/reference/compose-file/deploy/#update_config)
    """

    code = "CP110"
    name = "rollback-without-healthcheck"
    severity = Severity.WARNING

    def check_service(self, service, ctx):
        action = written_failure_action(service, "rollback", "pause")
        if action is None:
            return
        health = healthcheck(service)
        if health.declared:
            return
        how = "disables its healthcheck" if health.disabled else "declares no healthcheck"
        window = monitor(service)
        within = f"within the {seconds_text(window.value)} monitor window" if window.usable else "within the monitor window"
        yield self.finding(action.node, f"failure_action: {action.value} but the service {how}", service, detail=(
            f"swarm then sees a failure only when the process exits {within}, so a new version that runs "
            "but is broken completes the update (an image's own HEALTHCHECK cannot be seen from the "
            "compose file: if it has one, declare it here)"))
