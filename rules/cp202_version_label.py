import re

from compose_policy.model import Mapping, Scalar, Severity
from compose_policy.rule import Rule
from compose_policy.rules._policy import absence_position

_LITERAL_KEY = re.compile(r"^coop-cloud\.\$\{?STACK_NAME\}?\.version$")


def version_label_key(stack) -> str:
    return f"coop-cloud.{stack.stack_name}.version"


def as_written(key: str, stack) -> str:
    """A label key as the recipe writes it: STACK_NAME comes from the example DOMAIN of
    .env.sample (or is a placeholder), which is no name for an author to copy."""
    prefix = f"coop-cloud.{stack.stack_name}."
    return "coop-cloud.${STACK_NAME}." + key[len(prefix):] if key.startswith(prefix) else key


class VersionLabel(Rule):
    """A Co-op Cloud recipe's `app` service lacks its version label.

    ## What it does
    Flags the `app` service of a Co-op Cloud recipe (a folder with a `.env.sample`
    naming its `TYPE` or `RECIPE`) when its `deploy.labels` have no
    `coop-cloud.${STACK_NAME}.version` label, or the label is empty. It recognises the
    label written as a mapping key, which docker never interpolates, and the older
    per-service `coop-cloud.${STACK_NAME}.app.version` form, and says so.

    ## Why is this bad
    abra records the deployed recipe version in this service label. On a normal deploy it
    writes the version it deploys; on a chaos deploy (`abra app deploy --chaos`, the
    upgrade a recipe CI tests) it keeps the value written in compose.yml, read from the
    `app` service's deploy labels. Without the label the deployed service carries an
    empty version, and neither abra (listing, upgrading, rolling back an app) nor a
    person can tell which release is running. Labels on the service itself (`labels:`)
    are container labels and do not count.

    ## Example
    ```yaml
    services:
      app:
        image: nginx:1.27
        deploy:
          labels:
            - "traefik.enable=true"
    ```

    ## Use instead
    ```yaml
    services:
      app:
        image: nginx:1.27
        deploy:
          labels:
            - "traefik.enable=true"
            - "coop-cloud.${STACK_NAME}.version=0.1.0+1.27"
    ```

    ## Fix
    Not fixable automatically: the version is set by the recipe's release process
    (`abra recipe release`).

    ## See also
    - Docker: [deploy labels](https://docs.docker.com/reference/compose-file/deploy/#labels)
    - Docker: [docker stack deploy](https://docs.docker.com/reference/cli/docker/stack/deploy/)
    """

    code = "CP202"
    name = "version-label"
    severity = Severity.WARNING

    def check(self, stack, ctx):
        if not stack.is_coopcloud or "app" not in stack.services:
            return
        service = stack.services["app"]
        key = version_label_key(stack)
        labels = service.get("deploy", "labels")
        labels = labels if isinstance(labels, Mapping) else Mapping(service.pos)
        value = labels.get(key)
        if isinstance(value, Scalar):
            if value.unknown or (value.value not in (None, "") and str(value.value).strip()):
                return
            yield self.finding(value, f"the app service's {as_written(key, stack)} label is empty", service, detail=(
                "a chaos deploy keeps this value, so the deployed app would carry no version"))
            return
        hint = ""
        literal = [k for k in labels.items if _LITERAL_KEY.match(k)]
        old = [k for k in labels.items if k.startswith(f"coop-cloud.{stack.stack_name}.") and k.endswith(".version")]
        container = service.get("labels")
        if literal:
            hint = (f" ({literal[0]} is written as a mapping key, which docker never interpolates: "
                    "use the list form - \"coop-cloud.${STACK_NAME}.version=...\")")
        elif old:
            hint = f" (found the older per-service {as_written(old[0], stack)}, which abra no longer reads)"
        elif isinstance(container, Mapping) and key in container.items:
            hint = " (it is under the service's labels:, which are container labels; move it to deploy.labels)"
        yield self.finding(absence_position(service, "deploy", "labels"), (
            f"the app service has no {as_written(key, stack)} deploy label"), service, detail=(
            f"{hint.strip(' ()') + '; ' if hint else ''}abra records the deployed recipe version there and a chaos deploy copies it "
            "from compose.yml, so without it the running release cannot be told"))
