import re

from compose_policy.interpolate import PATTERN
from compose_policy.model import Mapping, Scalar, Severity
from compose_policy.rule import Rule
from compose_policy.rules._images import split_image

_WHOLE_VARIABLE = re.compile(r"^\$(\{[^}]*\}|[A-Za-z_][A-Za-z0-9_]*)$")


def _raw_tag(raw: str):
    """The tag part of a written image reference, before interpolation (or None)."""
    ref = raw.split("@", 1)[0]
    # a ':' inside ${VAR:-default} is not a tag separator: blank out substitutions first
    masked = PATTERN.sub(lambda m: "x" * len(m.group(0)), ref)
    last_slash = masked.rfind("/")
    colon = masked.rfind(":")
    if colon <= last_slash:
        return None
    return ref[colon + 1:]


def unpinned_reason(node: Scalar):
    """Why an image reference does not pin a version, or None when it does or cannot tell."""
    raw = node.raw if isinstance(node.raw, str) else str(node.value)
    if "@" in raw:
        return None  # a digest pins it whatever the tag says
    if node.unknown:
        tag = _raw_tag(raw)
        if tag is None or not _WHOLE_VARIABLE.match(tag):
            return None  # the whole reference, or part of the tag, is unknown: cannot tell
        match = PATTERN.fullmatch(tag)
        body = match.group("braced") or match.group("named") if match else None
        if body and (":-" in body or "-" in body):
            return None  # a default would apply
        return f"its tag {tag} is a variable with no default"
    value = str(node.value)
    if not value or "$" in value:
        return None
    _repo, tag = split_image(value)
    if tag is None:
        return "it has no tag, so docker pulls :latest"
    if tag == "latest":
        return "its tag is :latest"
    return None


def _short(image: str) -> str:
    """An image as the short message shows it: a long interpolated one cut, the rest in the detail."""
    return image if len(image) <= 60 else image[:57] + "..."


class UnpinnedImage(Rule):
    """An image reference that does not pin a version.

    ## What it does
    Flags a service whose `image` has no tag, the tag `latest`, or a tag that is a variable
    with no default and no value (`app:${TAG}`). A digest (`@sha256:...`) always pins.
    An image that is entirely a variable is not judged.

    By default (`scope: rollouts`) it looks at the services whose upgrades matter to
    this tool: every service of a Co-op Cloud recipe, and in other stacks the services
    that configure `update_config` or `rollback_config`. `scope: all` checks every
    service.

    ## Why is this bad
    Swarm rolls out a new task only when the service spec changes. With a moving tag the
    spec can stay the same while the image behind it changes (nothing rolls out, or an
    unrelated restart pulls a new version), or a deploy meant to test one release runs
    another. An upgrade test from one recipe version to the next then proves nothing,
    and a rollback returns to whatever the tag pointed to when the previous spec was
    resolved. With a tag from a variable without a default, the file alone cannot say
    what is deployed.

    ## Example
    ```yaml
    services:
      app:
        image: nextcloud:latest
    ```

    ## Use instead
    ```yaml
    services:
      app:
        image: nextcloud:29.0.4
    ```

    ## Fix
    Not fixable automatically: which version to pin is the owner's choice.

    ## See also
    - Docker: [image in the compose services specification](https://docs.docker.com/reference/compose-file/services/#image)
    - Docker: [docker stack deploy](https://docs.docker.com/reference/cli/docker/stack/deploy/)
    """

    code = "CP204"
    name = "unpinned-image"
    severity = Severity.INFO
    options = {"scope": "rollouts"}
    option_choices = {"scope": ("rollouts", "all")}
    option_help = {
        "scope": "`rollouts`: Co-op Cloud services and services with update or rollback settings; `all`: every service.",
    }

    def check_service(self, service, ctx):
        if ctx.options.get("scope", "rollouts") != "all" and not service.stack.is_coopcloud:
            deploy = service.get("deploy")
            if not isinstance(deploy, Mapping) or not any(
                    section in deploy.items for section in ("update_config", "rollback_config")):
                return
        node = service.get("image")
        if not isinstance(node, Scalar) or node.value in (None, ""):
            return
        reason = unpinned_reason(node)
        if reason:
            shown = node.raw if node.unknown else node.value
            yield self.finding(node, f"image {_short(shown)} is not pinned", service,
                               detail=reason if len(shown) <= 60 else f"image {shown}: {reason}")
