from compose_policy.model import Severity
from compose_policy.rule import Rule
from compose_policy.rules._policy import UPDATE_SECTIONS, order, parallelism, replicas


class ParallelismAllAtOnce(Rule):
    """`parallelism: 0` replaces every task of a multi-task service at once.

    ## What it does
    Flags `deploy.update_config.parallelism: 0` or `deploy.rollback_config.parallelism: 0`
    on a service that runs more than one task: `replicas` above 1 (the default is 1), or
    global mode, which runs one task per node.

    ## Why is this bad
    Swarm reads `0` as "every dirty slot at once". The update has no first batch to fail
    on: a bad version reaches every task before the failure action can fire. With
    `stop-first` every task is stopped together, so the service is down for the whole
    start-up of the new version; with `start-first` every task is doubled at the same
    moment, with the memory that needs.

    ## Example
    ```yaml
    deploy:
      replicas: 4
      update_config:
        parallelism: 0
    ```

    ## Use instead
    ```yaml
    deploy:
      replicas: 4
      update_config:
        parallelism: 1
    ```

    ## Fix
    Not fixable automatically: the batch size is the owner's trade-off between speed and
    safety.

    ## See also
    - Docker: [update_config in the compose deploy specification](https://docs.docker.com/reference/compose-file/deploy/#update_config)
    - Docker: [rolling updates in swarm mode](https://docs.docker.com/engine/swarm/swarm-tutorial/rolling-update/)
    """

    code = "CP114"
    name = "parallelism-all-at-once"
    severity = Severity.WARNING

    def check_service(self, service, ctx):
        count = replicas(service)
        if count.is_global:
            tasks = "global mode (one task per node)"
        elif count.count is not None and count.count > 1:
            tasks = f"replicas {count.count}"
        else:
            return
        for section in UPDATE_SECTIONS:
            batch = parallelism(service, section)
            if not batch.explicit or not batch.usable or batch.value != 0:
                continue
            how = order(service, section)
            effect = ("every task is stopped before any new one starts: the service is down"
                      if not how.usable or how.value != "start-first"
                      else "every task is doubled at once")
            what = "an update" if section == "update_config" else "a rollback"
            yield self.finding(batch.node, f"{section}.parallelism: 0 with {tasks}", detail=(
                f"{what} replaces every task at once, so a bad version reaches all of them before the "
                f"failure action can act, and {effect}"), service=service)
