from compose_policy.model import Applicability, Mapping, Scalar, Sequence, Severity
from compose_policy.rule import Rule
from compose_policy.rules._images import match_image, shipped_list
from compose_policy.rules._policy import is_start_first, order, stop_first_fix


def _mounts(service):
    """(kind, source, target, node) of every volume or bind mount that can be shared."""
    volumes = service.get("volumes")
    if not isinstance(volumes, Sequence):
        return
    for item in volumes:
        if not isinstance(item, Mapping):
            continue
        target = item.get("target")
        if not isinstance(target, Scalar) or target.unknown or not isinstance(target.value, str):
            continue
        kind = item.value("type", default="volume")
        source = item.value("source")
        if kind not in ("volume", "bind") or not source:
            continue  # tmpfs, or an anonymous volume: every task gets its own
        yield kind, str(source), target.value.rstrip("/") or "/", target


def _covers(target: str, path: str) -> bool:
    """A mount at ``target`` holds ``path`` (the data directory itself or a parent of it)."""
    path = path.rstrip("/")
    return target == path or path.startswith(target + "/")


def _data_dirs(databases):
    """Data directories specific enough to mean a database even in an unknown image."""
    dirs = {}
    for pattern, data in databases.items():
        if not isinstance(data, dict) or data.get("stateless"):
            continue
        for path in data.get("paths") or ():
            if path.strip("/").count("/") >= 1:  # /var/lib/mysql yes, a bare /data no
                dirs.setdefault(path.rstrip("/"), (pattern, data.get("why", "")))
    return dirs


def stateful_evidence(service, databases):
    """Why a service keeps single-writer state, with the node that shows it; or None."""
    mounts = list(_mounts(service))
    image = service.get("image")
    if isinstance(image, Scalar) and isinstance(image.value, str) and not image.unknown:
        hit = match_image(image.value, databases)
        if hit and isinstance(hit[1], dict):
            pattern, data = hit
            if data.get("stateless"):
                return None
            if not data.get("needs_volume"):
                return f"image {image.value} is a database ({data.get('why')})", image
            for kind, source, target, node in mounts:
                if any(_covers(target, p) for p in data.get("paths") or ()):
                    return (f"image {image.value} keeps its data in {kind} {source} at {target} "
                            f"({data.get('why')})"), node
            return None  # a cache without persistence: each task starts empty
    dirs = _data_dirs(databases)
    for kind, source, target, node in mounts:
        for path, (pattern, why) in dirs.items():
            if target == path:  # exactly there: a parent folder of it proves nothing
                return (f"{kind} {source} is mounted at {target}, the data directory of {pattern} "
                        f"images ({why})"), node
    return None


class StartFirstStatefulVolume(Rule):
    """A service that keeps single-writer state on a volume updates start-first.

    ## What it does
    Flags a service with `deploy.update_config.order: start-first` that holds state only
    one process may write: a database or queue image from the curated list (a Redis-like
    cache only when a volume holds its data), or any image with a named volume or bind
    mount at a database's data directory (`/var/lib/postgresql/data`, `/var/lib/mysql`,
    ...).

    ## Why is this bad
    With `start-first` swarm starts the new task while the old one is still running and
    removes the old one only once the new one is RUNNING. Both tasks mount the same local
    named volume, and swarm gives no exclusivity: the new database either fails to take
    its lock (PostgreSQL's `postmaster.pid`, InnoDB, `mongod.lock`), exits inside the
    monitor window and makes swarm pause or roll back the update, or, for servers that
    do not lock, two writers corrupt the files.

    ## Example
    ```yaml
    services:
      db:
        image: postgres:16
        volumes:
          - db-data:/var/lib/postgresql/data
        deploy:
          update_config:
            order: start-first
    ```

    ## Use instead
    ```yaml
    services:
      db:
        image: postgres:16
        volumes:
          - db-data:/var/lib/postgresql/data
        deploy:
          update_config:
            order: stop-first
    ```
    A database cannot be updated without a short stop: stop-first makes that explicit.

    ## Fix
    Sets `deploy.update_config.order: stop-first`. Unsafe in place (the service is down
    while the old task stops and the new one starts); written as an overlay by default.

    ## See also
    - Docker: [update_config in the compose deploy specification](https://docs.docker.com/reference/compose-file/deploy/#update_config)
    - Docker: [volumes in the compose services specification](https://docs.docker.com/reference/compose-file/services/#volumes)
    """

    code = "CP102"
    name = "start-first-stateful-volume"
    severity = Severity.ERROR
    fix_applicability = Applicability.UNSAFE

    def check_service(self, service, ctx):
        if not is_start_first(service):
            return
        databases = dict(shipped_list("database_images.yml"))
        databases.update(ctx.data.get("database-images") or {})
        found = stateful_evidence(service, databases)
        if found is None:
            return
        evidence, _node = found
        message = "start-first on a service with single-writer state"
        detail = (f"{evidence}. Old and new task run side by side on the same data: the new one fails to "
                  "lock it (a silent pause or rollback) or both write it")
        why = f"{self.code} {self.name}: {evidence}; two copies must never share the data directory"
        yield self.finding(order(service).node, message, service,
                           fix=stop_first_fix(service, why), detail=detail)
