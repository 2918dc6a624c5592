from compose_policy.model import Severity
from compose_policy.rule import Rule
from compose_policy.rules._policy import written_failure_action


class RollbackOfRollback(Rule):
    """rollback_config asks a failed rollback to roll back, which swarm never does.

    ## What it does
    Flags `deploy.rollback_config.failure_action: rollback`.

    ## Why is this bad
    Swarm never rolls back a rollback: when a rollback fails and its failure action is
    `rollback`, the updater pauses it instead (state `rollback_paused`). The file
    promises a behaviour that cannot happen, and whoever reads it expects the service to
    end on some known spec when it in fact stays half rolled back, old and new tasks
    mixed, until the next deploy.

    ## Example
    ```yaml
    deploy:
      rollback_config:
        failure_action: rollback
    ```

    ## Use instead
    ```yaml
    deploy:
      rollback_config:
        failure_action: pause      # what swarm does anyway; or continue to finish it
    ```

    ## Fix
    Not fixable automatically: whether a failing rollback should stop (`pause`) or carry
    on (`continue`) is the owner's call.

    ## See also
    - Docker: [rollback_config in the compose deploy specification](https://docs.docker.com/reference/compose-file/deploy/#rollback_config)
    """

    code = "CP113"
    name = "rollback-of-rollback"
    severity = Severity.ERROR

    def check_service(self, service, ctx):
        action = written_failure_action(service, "rollback", section="rollback_config")
        if action is None:
            return
        yield self.finding(action.node, "rollback_config.failure_action: rollback cannot happen", service, detail=(
            "swarm never rolls back a rollback and pauses it instead (rollback_paused), leaving old and "
            "new tasks mixed; write pause (what swarm does) or continue"))
