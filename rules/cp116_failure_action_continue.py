from compose_policy.model import Severity
from compose_policy.rule import Rule
from compose_policy.rules._policy import written_failure_action


class FailureActionContinue(Rule):
    """`failure_action: continue` makes swarm ignore failed tasks during an update.

    ## What it does
    Flags `deploy.update_config.failure_action: continue`. (In `rollback_config`,
    `continue` lets a rollback finish despite failures, a reasonable choice, and is not
    flagged.)

    ## Why is this bad
    With `continue` swarm's updater does not even watch for failed tasks: a new version
    that exits, is killed or turns unhealthy is rolled out to every task, the update
    reports `completed`, and `monitor` and `max_failure_ratio` have no effect. A CI or a
    person waiting for the update sees success while the service crash-loops.

    ## Example
    ```yaml
    deploy:
      update_config:
        failure_action: continue
    ```

    ## Use instead
    ```yaml
    deploy:
      update_config:
        failure_action: rollback
    ```

    ## Fix
    Not fixable automatically: choosing between pausing and rolling back is the owner's
    call.

    ## See also
    - Docker: [update_config in the compose deploy specification](https://docs.docker.com/reference/compose-file/deploy/#update_config)
    """

    code = "CP116"
    name = "failure-action-continue"
    severity = Severity.WARNING

    def check_service(self, service, ctx):
        action = written_failure_action(service, "continue")
        if action is None:
            return
        yield self.finding(action.node, "failure_action: continue: failed tasks never stop the update", service,
                           detail=("swarm never watches for failed tasks during the update, so a broken "
                                   "version reaches every task and the update still reports completed"))
