from compose_policy.model import Severity
from compose_policy.rule import Rule


class UnusedSuppression(Rule):
    """A suppression that silences nothing.

    ## What it does
    Reports a `# compose-policy: disable=...` comment, a
    `# compose-policy: disable-file=...` comment or an entry of a service's
    `x-compose-policy: {ignore: [...]}` that matched no finding in this run, a suppression
    that names no known rule, and a `# compose-policy:` comment that is not a suppression
    at all. Only rules that ran are judged: `--select CP101` never calls a suppression of
    CP105 unused. Comments in overlays that the current `COMPOSE_FILE` does not merge are
    left alone, since another file set may need them.

    ## Why is this bad
    A suppression outlives the problem it hid: once the setting is fixed, the comment
    stays and silently hides the next, real finding of that rule on that line, file or
    service. A misspelt code or directive silences nothing while looking as if it did.

    ## Example
    ```yaml
    services:
      app:
        image: nginx:1.27
        deploy:
          update_config:
            # compose-policy: disable=CP101 -- heavy, but the host has room
            order: stop-first
    ```

    ## Use instead
    ```yaml
    services:
      app:
        image: nginx:1.27
        deploy:
          update_config:
            order: stop-first
    ```

    ## Fix
    Not fixable automatically: delete the comment or the `ignore` entry, or correct the
    rule code it names. Suppress this report itself with `disable=CP900` where a
    suppression must stay for a file set the run did not see.
    """

    code = "CP900"
    name = "unused-suppression"
    severity = Severity.INFO
    reported_by_engine = True
