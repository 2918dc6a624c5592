from compose_policy.model import Mapping, Severity
from compose_policy.rule import Rule
from compose_policy.rules._policy import order, written_failure_action


class RollbackConfigMissing(Rule):
    """An update rolls back on failure, but no rollback_config says how.

    ## What it does
    Flags a service with `deploy.update_config.failure_action: rollback` and no
    `deploy.rollback_config`.

    ## Why is this bad
    A rollback is a rollout of its own, governed by `rollback_config`; without one swarm
    uses its defaults: parallelism 1, `order: stop-first`, `failure_action: pause`,
    monitor 5s. A service that updates `start-first` to avoid downtime then rolls back
    `stop-first`, with the downtime it wanted to avoid, and a rollback that fails is
    paused half-way. Swarm also reads `rollback_config` from the spec being restored, so
    a rollback_config added in the same change as a bad update does not govern that
    update's rollback: it has to be in place one release earlier.

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
      rollback_config:
        order: start-first
        failure_action: pause
    ```

    ## Fix
    Not fixable automatically: how to roll back is the owner's choice.

    ## See also
    - Docker: [rollback_config in the compose deploy specification](https://docs.docker.com/reference/compose-file/deploy/#rollback_config)
    - Docker: [update_config in the compose deploy specification](https://docs.docker.com/reference/compose-file/deploy/#update_config)
    """

    code = "CP112"
    name = "rollback-config-missing"
    severity = Severity.INFO

    def check_service(self, service, ctx):
        action = written_failure_action(service, "rollback")
        if action is None:
            return
        rollback = service.get("deploy", "rollback_config")
        if isinstance(rollback, Mapping) and rollback.items:
            return
        update_order = order(service)
        contrast = ""
        if update_order.usable and update_order.value == "start-first":
            contrast = ", unlike the start-first update, so a rollback stops the service"
        yield self.finding(action.node, "failure_action: rollback without a rollback_config", service, detail=(
            f"the rollback runs with swarm's defaults (parallelism 1, stop-first{contrast}; pause if the "
            "rollback fails; monitor 5s), and a rollback_config only governs rollbacks once it is in the "
            "deployed spec"))
