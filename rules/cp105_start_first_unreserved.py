from compose_policy.model import Severity
from compose_policy.rule import Rule
from compose_policy.rules._policy import (MEMORY_HEAVY_OPTION_HELP, MEMORY_HEAVY_OPTIONS, heavy_images, is_start_first,
                                          memory_evidence, order, written_failure_action)


class StartFirstUnreserved(Rule):
    """A start-first service that rolls back on failure reserves no memory.

    ## What it does
    Flags a service with `order: start-first` and `failure_action: rollback` that shows
    no sign of being memory-heavy (else CP101 reports it) but has no
    `deploy.resources.reservations.memory`.

    ## Why is this bad
    Without a reservation the scheduler does not know that an update needs room for a
    second copy of the task: both start, and the kernel decides which one survives. If
    it is the new one that gets killed inside the monitor window, swarm rolls the service
    back silently. Light services usually get away with it; a reservation makes the risk
    visible to the scheduler (a task that does not fit stays pending instead of
    being killed later).

    ## Example
    ```yaml
    deploy:
      update_config:
        failure_action: rollback
        order: start-first
    ```

    ## Use instead
    ```yaml
    deploy:
      update_config:
        failure_action: rollback
        order: start-first
      resources:
        reservations:
          memory: 256M
    ```

    ## Fix
    Not fixable automatically: only the owner knows how much the service needs.

    ## See also
    - Docker: [resources in the compose deploy specification](https://docs.docker.com/reference/compose-file/deploy/#resources)
    - Docker: [update_config in the compose deploy specification](https://docs.docker.com/reference/compose-file/deploy/#update_config)
    """

    code = "CP105"
    name = "start-first-unreserved"
    severity = Severity.INFO
    options = MEMORY_HEAVY_OPTIONS
    option_help = MEMORY_HEAVY_OPTION_HELP

    def check_service(self, service, ctx):
        if not is_start_first(service):
            return
        if written_failure_action(service, "rollback") is None:
            return
        if service.get("deploy", "resources", "reservations", "memory") is not None:
            return
        verdict = memory_evidence(service, ctx.options, heavy_images(ctx))
        if verdict.evidence or verdict.unknown or verdict.opted_out:
            return  # CP101's business, or cannot tell
        yield self.finding(order(service).node,
                           "start-first with failure_action: rollback and no memory reservation",
                           service, detail="the scheduler cannot see that an update needs room for two tasks")
