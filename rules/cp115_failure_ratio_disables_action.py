from compose_policy.model import Severity
from compose_policy.rule import Rule
from compose_policy.rules._policy import UPDATE_SECTIONS, failure_action, max_failure_ratio


class FailureRatioDisablesAction(Rule):
    """`max_failure_ratio: 1` means the failure action can never fire.

    ## What it does
    Flags `max_failure_ratio` of 1 in `deploy.update_config` or `deploy.rollback_config`
    when the failure action is `pause` (the default) or `rollback`. A ratio above 1 is
    refused by swarm and reported by CP119.

    ## Why is this bad
    Swarm fires the failure action when failed tasks divided by the tasks being updated
    is strictly greater than `max_failure_ratio`. That fraction is never above 1, so a
    ratio of 1 turns the configured `pause` or `rollback` off while the file still
    reads as if failures were handled: every update reports `completed`, however many
    new tasks fail.

    ## Example
    ```yaml
    deploy:
      update_config:
        failure_action: rollback
        max_failure_ratio: 1
    ```

    ## Use instead
    ```yaml
    deploy:
      update_config:
        failure_action: rollback
        max_failure_ratio: 0.2   # tolerate one failure in five
    ```

    ## Fix
    Not fixable automatically: the tolerated share of failures is the owner's choice.

    ## See also
    - Docker: [update_config in the compose deploy specification](https://docs.docker.com/reference/compose-file/deploy/#update_config)
    """

    code = "CP115"
    name = "failure-ratio-disables-action"
    severity = Severity.WARNING

    def check_service(self, service, ctx):
        for section in UPDATE_SECTIONS:
            ratio = max_failure_ratio(service, section)
            if not ratio.explicit or not ratio.usable or ratio.value != 1:
                continue
            action = failure_action(service, section)
            if not action.usable or action.value not in ("pause", "rollback"):
                continue
            written = "" if action.explicit else " (swarm's default)"
            yield self.finding(ratio.node, (
                f"{section}.max_failure_ratio {ratio.value:g}: failure_action: {action.value}{written} can "
                "never fire"), service, detail=(
                "swarm acts only when failures / updated tasks is greater than the ratio, which never "
                "happens"))
