from compose_policy.model import Applicability, Mapping, Scalar, Sequence, Severity
from compose_policy.rule import Rule
from compose_policy.rules._policy import is_start_first, order, stop_first_fix


def host_ports(service):
    """Published ports in ``mode: host`` as (published, node)."""
    ports = service.get("ports")
    if not isinstance(ports, Sequence):
        return
    for port in ports:
        if not isinstance(port, Mapping):
            continue
        mode = port.get("mode")
        published = port.get("published")
        if not isinstance(mode, Scalar) or mode.unknown or mode.value != "host":
            continue
        if not isinstance(published, Scalar) or published.unknown or published.value in (None, "", 0):
            continue  # no published port: docker picks a free one for each task
        yield published.value, mode


class StartFirstHostPort(Rule):
    """A service that publishes a port in host mode updates start-first.

    ## What it does
    Flags a service with `deploy.update_config.order: start-first` and a published port
    with `mode: host`.

    ## Why is this bad
    A host-mode port is bound on the node itself, by one task at a time. With
    `start-first` the new task must start while the old one still holds the port, so on
    a single node (or wherever every node already runs a task: global mode) the new task
    can never be placed. It stays PENDING ("host-mode port already in use"), swarm has
    no start-up timeout, and the service stays `updating` for ever. Ingress-mode ports
    are fine: the routing mesh owns them, not the task.

    ## Example
    ```yaml
    services:
      proxy:
        image: traefik:v3.1
        ports:
          - target: 443
            published: 443
            mode: host
        deploy:
          update_config:
            order: start-first
    ```

    ## Use instead
    ```yaml
    services:
      proxy:
        image: traefik:v3.1
        ports:
          - target: 443
            published: 443
            mode: host
        deploy:
          update_config:
            order: stop-first
    ```

    ## Fix
    Sets `deploy.update_config.order: stop-first`. Unsafe in place (a short downtime
    while the old task frees the port); written as an overlay by default.

    ## See also
    - Docker: [update_config in the compose deploy specification](https://docs.docker.com/reference/compose-file/deploy/#update_config)
    - Docker: [ports in the compose services specification](https://docs.docker.com/reference/compose-file/services/#ports)
    - Docker: [the swarm routing mesh and host-mode ports](https://docs.docker.com/engine/swarm/ingress/)
    """

    code = "CP103"
    name = "start-first-host-port"
    severity = Severity.ERROR
    fix_applicability = Applicability.UNSAFE

    def check_service(self, service, ctx):
        if not is_start_first(service):
            return
        ports = sorted({str(p) for p, _ in host_ports(service)})
        if not ports:
            return
        listed = ", ".join(ports)
        message = f"start-first with host-mode published port(s) {listed}"
        detail = ("the new task needs the port the old task still holds, so on a single node it is never "
                  "placed and the update stays 'updating' for ever")
        why = f"{self.code} {self.name}: host-mode port(s) {listed} can be bound by one task at a time"
        yield self.finding(order(service).node, message, service,
                           fix=stop_first_fix(service, why), detail=detail)
