from compose_policy.model import Severity
from compose_policy.rule import Rule
from compose_policy.rules._policy import failure_action, is_start_first, order


class SilentPause(Rule):
    """A start-first update pauses on failure: the new spec stays while the old task serves.

    ## What it does
    Flags a service with `deploy.update_config.order: start-first` whose `failure_action`
    is `pause`, written or by default.

    ## Why is this bad
    When a start-first update fails, swarm pauses it: the service keeps the NEW spec, new
    labels included, while the OLD task, which was never stopped, keeps serving. State
    `paused` is sticky until the next deploy. Health checks pass, the service answers,
    and a check of the deployed labels (a recipe's version or chaos-version) reads the
    new value: everything looks updated although the new version never ran. Only the
    update status tells the truth.

    ## Example
    ```yaml
    deploy:
      update_config:
        order: start-first
    ```

    ## Use instead
    ```yaml
    deploy:
      update_config:
        order: start-first
        failure_action: rollback
    ```
    and let whatever waits for the deploy check the update status (`paused`,
    `rollback_completed`), not only health or labels.

    ## Fix
    Not fixable automatically: `rollback` changes what happens on failure, a decision for
    the owner.

    ## See also
    - Docker: [update_config in the compose deploy specification](https://docs.docker.com/reference/compose-file/deploy/#update_config)
    - Docker: [docker service update](https://docs.docker.com/reference/cli/docker/service/update/)
    """

    code = "CP117"
    name = "silent-pause"
    severity = Severity.INFO

    def check_service(self, service, ctx):
        if not is_start_first(service):
            return
        action = failure_action(service)
        if not action.usable or action.value != "pause":
            return
        written = "failure_action: pause" if action.explicit else "failure_action unset (swarm pauses)"
        at = action.node if action.explicit else order(service).node
        yield self.finding(at, f"start-first with {written}: a failed update pauses silently", service, detail=(
            "a failed update is paused with the new spec and labels in place while the old task keeps "
            "serving, so health and label checks pass although the new version never ran"))
