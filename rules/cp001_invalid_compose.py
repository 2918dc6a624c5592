from compose_policy.model import Severity
from compose_policy.rule import Rule


class InvalidCompose(Rule):
    """A file that parses as YAML but is not a compose file docker can deploy.

    ## What it does
    Reports a top level that is not a mapping, `services` or a service that is not a
    mapping, a `deploy` or `healthcheck` that is not a mapping, an invalid `${...}`
    template, an invalid port, or a `COMPOSE_FILE` entry naming a file that does not exist.

    ## Why is this bad
    `docker stack deploy` fails on such a file, and the rules cannot see the services
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
