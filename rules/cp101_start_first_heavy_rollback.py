from compose_policy.model import Applicability, Severity
from compose_policy.rule import Rule
from compose_policy.rules._policy import (MEMORY_HEAVY_OPTION_HELP, MEMORY_HEAVY_OPTIONS, failure_action, heavy_images,
                                          is_start_first, memory_evidence, order, stop_first_fix)


class StartFirstHeavyRollback(Rule):
    """A memory-heavy service updates start-first and rolls back or pauses on failure.

    ## What it does
    Flags a service whose `deploy.update_config` has `order: start-first` and whose
    `failure_action` is `rollback` or `pause` (pause is swarm's default when unset), when
    the service is memory-heavy: a memory limit or reservation of at least
    `heavy-memory`, an image on the curated list of heavy apps, a
    `healthcheck.start_period` of at least `heavy-start-period` (a long boot marks heavy
    precompile or migration work), or `x-compose-policy: {memory-heavy: true}`.

    ## Why is this bad
    With `start-first` swarm starts the new task while the old one keeps running, so the
    service needs about twice its memory during every update. When the host cannot give
    it, the new task is killed (exit 137) inside the update monitor window; swarm then
    counts a failure and, with `failure_action: rollback`, replaces the service spec with
    the previous one, labels included, while the old task keeps serving. Health checks
    pass, `docker stack deploy --detach=false` exits 0, and a CI reading the deployed
    `coop-cloud.<stack>.chaos-version` label sees the previous commit. With `pause` the
    new spec stays but the old task serves it: the update is silently stuck.

    ## Example
    ```yaml
    services:
      app:
        image: discourse/discourse:3.2
        deploy:
          update_config:
            failure_action: rollback
            order: start-first
    ```

    ## Use instead
    ```yaml
    services:
      app:
        image: discourse/discourse:3.2
        deploy:
          update_config:
            failure_action: rollback
            order: stop-first
    ```
    Keep `failure_action: rollback`: stop-first removes the double memory, not the
    failure detection. Mark a service that is not heavy after all with
    `x-compose-policy: {memory-heavy: false}`.

    ## Fix
    Sets `deploy.update_config.order: stop-first`. Unsafe in place (it changes the
    rollout: a short downtime while the old task stops); written as a `compose.ccci.yml`
    overlay by default, which changes nothing until COMPOSE_FILE enables it.

    ## See also
    - Docker: [update_config in the compose deploy specification](https://docs.docker.com/reference/compose-file/deploy/#update_config)
    - Docker: [rollback_config in the compose deploy specification](https://docs.docker.com/reference/compose-file/deploy/#rollback_config)
    - Docker: [resources in the compose deploy specification](https://docs.docker.com/reference/compose-file/deploy/#resources)
    - Docker: [rolling updates in swarm mode](https://docs.docker.com/engine/swarm/swarm-tutorial/rolling-update/)
    """

    code = "CP101"
    name = "start-first-heavy-rollback"
    severity = Severity.ERROR
    fix_applicability = Applicability.UNSAFE
    options = MEMORY_HEAVY_OPTIONS
    option_help = MEMORY_HEAVY_OPTION_HELP

    def check_service(self, service, ctx):
        if not is_start_first(service):
            return
        action = failure_action(service)
        if action.unknown or action.value not in ("rollback", "pause"):
            return
        verdict = memory_evidence(service, ctx.options, heavy_images(ctx))
        if not verdict.heavy:
            return
        how = "rolls back" if action.value == "rollback" else "pauses"
        if not action.explicit:
            how += " (swarm's default failure_action)"
        evidence = "; ".join(e.text for e in verdict.evidence)
        outcome = ("makes swarm revert the whole spec, labels included" if action.value == "rollback"
                   else "pauses the update with the new spec and labels in place while the old task serves")
        message = f"start-first on a memory-heavy service that {how} on failure"
        detail = (f"{evidence}. Old and new task run side by side; a new task killed inside the monitor "
                  f"window {outcome}")
        why = (f"{self.code} {self.name}: {evidence}; start-first runs old and new task side by "
               "side, so an update can fail for lack of memory and be rolled back silently")
        yield self.finding(order(service).node, message, service,
                           fix=stop_first_fix(service, why), detail=detail)
