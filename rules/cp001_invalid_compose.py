from compose_policy.model import Severity
from compose_policy.rule import Rule


class InvalidCompose(Rule):
    """A file that parses as YAML but is not a compose file docker can deploy.

    ## What it does
    Reports what `docker stack config` (and so `docker stack deploy`) refuses in a file,
    with docker's reason in the detail: a key the compose schema of the file's version does
    not know (a typo like `hotsname`, `dns_opt`, `profiles`, `reservations.devices`, a
    `rollback_config` in a 3.4 file), a value of the wrong type (`environment: 5`,
    `image: [x]`, long-form `depends_on`, `monitor: 30`, `order: Start-First`), an invalid
    service name (only letters, digits, `.`, `_` and `-`), a repeated list item, a duration
    that overflows, a negative count, interpolated text that does not cast, an invalid port
    or `${...}` template, files of one stack declaring different versions, and a
    `COMPOSE_FILE` that names a missing file or no file at all.

    While walking a folder, a YAML file counts as compose only when its name says so
    (compose, stack or swarm in it) or it holds nothing but compose sections with
    `services` a mapping: a `.gitlab-ci.yml` or Ansible variables are not reported.

    ## Why is this bad
    `docker stack deploy` fails on such a file, and the rules cannot trust the services
    it was meant to define.

    ## Example
    ```yaml
    services:
      - app
    ```

    ## Use instead
    ```yaml
    services:
      app:
        image: nginx:1.27
    ```

    ## Fix
    Not fixable automatically. The fixer refuses to touch a recipe with this finding.

    ## See also
    - Docker: [the compose file reference](https://docs.docker.com/reference/compose-file/)
    - Docker: [docker stack config](https://docs.docker.com/reference/cli/docker/stack/config/)
    - Docker: [docker stack deploy](https://docs.docker.com/reference/cli/docker/stack/deploy/)
    """

    code = "CP001"
    name = "invalid-compose"
    severity = Severity.ERROR
    reported_by_engine = True
