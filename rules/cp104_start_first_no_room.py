import math

from compose_policy.model import Scalar, Severity
from compose_policy.rule import Rule
from compose_policy.rules._policy import int_value, is_start_first, parallelism, replicas
from compose_policy.units import format_bytes, try_bytes


def _per_node_limit(service):
    node = service.get("deploy", "placement", "max_replicas_per_node")
    limit = int_value(node) if isinstance(node, Scalar) and not node.unknown else None
    return node, (limit if limit and limit > 0 else None)  # 0 means no limit


def _implied_nodes(service, count: int) -> int:
    """The nodes a stack must have to place its replicas at all: replicas 3, 1 per node -> 3."""
    _, limit = _per_node_limit(service)
    return math.ceil(count / limit) if limit else 1


class StartFirstNoRoom(Rule):
    """A start-first update needs room for an extra task that the nodes cannot give.

    ## What it does
    Flags a service with `deploy.update_config.order: start-first` when the extra task an
    update starts cannot be placed:

    - memory: the tasks one node runs plus one update batch, times
      `deploy.resources.reservations.memory`, exceed `node-memory` (with one replica on
      one node: twice the reservation);
    - placement: `deploy.placement.max_replicas_per_node` times the nodes leaves no slot
      for the batch of new tasks next to the old ones. The node count is the `nodes`
      option, or what the replicas imply if that is more: `replicas: 3` with
      `max_replicas_per_node: 1` deploys only on 3 nodes or more, and on exactly 3 the
      extra task never fits.

    `node-memory` (default `4G`, a small single-node host or CI runner) and `nodes`
    (default `1`) describe the swarm the stack is deployed to.

    ## Why is this bad
    Under `start-first` the old task keeps running, and keeps its reservation and its
    place, until the new one is RUNNING. The scheduler places a task only where its
    reservation fits and `max_replicas_per_node` allows; a task that fits nowhere stays
    PENDING, and swarm has no start-up timeout: the update stays `updating` for ever.

    ## Example
    ```yaml
    deploy:
      replicas: 1
      update_config:
        order: start-first
      resources:
        reservations:
          memory: 3G
    ```

    ## Use instead
    ```yaml
    deploy:
      replicas: 1
      update_config:
        order: stop-first
      resources:
        reservations:
          memory: 3G
    ```
    or reserve what one task really needs, or raise `max_replicas_per_node`.

    ## Fix
    Not fixable automatically: lowering a reservation, changing the placement or the
    order are choices only the owner can make.

    ## See also
    - Docker: [update_config in the compose deploy specification](https://docs.docker.com/reference/compose-file/deploy/#update_config)
    - Docker: [resources in the compose deploy specification](https://docs.docker.com/reference/compose-file/deploy/#resources)
    - Docker: [placement in the compose deploy specification](https://docs.docker.com/reference/compose-file/deploy/#placement)
    """

    code = "CP104"
    name = "start-first-no-room"
    severity = Severity.WARNING
    options = {"node-memory": "4G", "nodes": 1}
    option_help = {
        "node-memory": "Memory of one swarm node, for the reservations of old and new tasks side by side.",
        "nodes": "Number of swarm nodes the service can be placed on.",
    }

    def check_service(self, service, ctx):
        if not is_start_first(service):
            return
        count = replicas(service)
        nodes = ctx.options.get("nodes", 1)
        if isinstance(nodes, bool) or not isinstance(nodes, int) or nodes < 1:
            return  # not a node count: nothing to measure against
        if count.is_global:
            per_node = 1
        elif count.count is None or count.count == 0:
            return
        else:
            nodes = max(nodes, _implied_nodes(service, count.count))
            per_node = math.ceil(count.count / nodes)
        batch_setting = parallelism(service)
        if not batch_setting.usable:
            return
        batch = per_node if batch_setting.value == 0 else min(int(batch_setting.value), per_node)
        yield from self._memory(service, ctx, per_node, batch)
        if not count.is_global:
            yield from self._placement(service, count.count, nodes, batch)

    def _memory(self, service, ctx, per_node, batch):
        node = service.get("deploy", "resources", "reservations", "memory")
        if not isinstance(node, Scalar) or node.unknown or node.value is None:
            return
        reservation = try_bytes(node.value)
        capacity = try_bytes(ctx.options.get("node-memory", "4G"))
        if not reservation or not capacity:
            return
        needed = (per_node + batch) * reservation
        if needed <= capacity:
            return
        tasks = per_node + batch
        node_memory = ctx.options.get("node-memory", "4G")
        yield self.finding(node, (
            f"start-first needs {format_bytes(needed)} reserved on one node, more than node-memory {node_memory}"),
            service, detail=(
                f"{tasks} tasks of {node.value} reserved memory ({per_node} running + {batch} starting) = "
                f"{format_bytes(needed)}: the new task stays pending and the update never completes"))

    def _placement(self, service, count, nodes, batch):
        node, limit = _per_node_limit(service)
        if limit is None:
            return
        slots = limit * nodes
        if count + batch <= slots:
            return
        needed = math.ceil((count + batch) / limit)
        yield self.finding(node, (
            f"start-first needs {needed} nodes here, {nodes} assumed: the new task stays pending"), service,
            detail=(f"replicas {count} with max_replicas_per_node {limit} fill {slots} slot(s) on {nodes} "
                    f"node(s) (the replicas alone need {math.ceil(count / limit)}); the {batch} extra task(s) "
                    f"an update starts next to the old ones need {count + batch} slots, so the update never "
                    "completes; set the nodes option to the swarm's size if it has more"))
