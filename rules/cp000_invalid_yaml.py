from compose_policy.model import Severity
from compose_policy.rule import Rule


class InvalidYaml(Rule):
    """A file that is not valid YAML, or that docker's YAML reader refuses.

    ## What it does
    Reports a YAML syntax error, or a mapping key written twice, at the line where the
    parser stopped; an anchor that contains itself or excessive aliasing (an alias bomb),
    both of which docker refuses too; and a file or folder that cannot be read at all
    (permissions, not a regular file, past a size limit: see docs/security.md). CP000
    runs whatever `--select` says and cannot be ignored: a file that cannot be read is
    never "All clear".

    ## Why is this bad
    `docker stack deploy` refuses the whole stack when one file does not parse, and it
    refuses duplicate keys ("mapping key already defined"), which other YAML readers
    silently accept by keeping the last value. No other rule can judge a file it cannot
    read, so its rollout settings go unchecked.

    ## Example
    ```yaml
    services:
      app:
        image: nginx:1.27
        image: nginx:1.26
    ```

    ## Use instead
    ```yaml
    services:
      app:
        image: nginx:1.27
    ```

    ## Fix
    Not fixable automatically: which of two values was meant is the author's call. The
    fixer refuses to touch a recipe with this finding.

    ## See also
    - Docker: [the compose file reference](https://docs.docker.com/reference/compose-file/)
    - Docker: [docker stack config](https://docs.docker.com/reference/cli/docker/stack/config/)
    """

    code = "CP000"
    name = "invalid-yaml"
    severity = Severity.ERROR
    reported_by_engine = True
