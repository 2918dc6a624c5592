"""Reaching a swarm manager, and the one error that means "could not check".

The docker SDK is imported here, inside functions, so that importing the harness
(every pytest run loads its plugin) costs nothing and never fails.

Where the daemon is, in the order the docker CLI uses: an explicit ``host``,
``DOCKER_HOST`` (``unix://``, ``tcp://`` with ``DOCKER_TLS_VERIFY``/``DOCKER_CERT_PATH``,
``ssh://user@host``), then the current docker context (``DOCKER_CONTEXT`` or
``currentContext`` in the CLI config). ``ssh://`` goes through the system ``ssh``
client, as docker contexts do, so keys and ``~/.ssh/config`` apply unchanged.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time
from typing import Any, Iterator


class HarnessUnavailable(Exception):
    """The harness could not check: no daemon, not a manager, no such stack.

    Never a verdict: the CLI maps it to exit code 2. ``transient`` marks a failed
    API call (worth retrying during a long wait), as opposed to a missing stack.
    """

    def __init__(self, message: str, *, transient: bool = False):
        super().__init__(message)
        self.transient = transient


DEFAULT_API_TIMEOUT = 60
MIN_CALL_TIMEOUT = 1.0  # a call made at the deadline still gets this long
_deadline = threading.local()  # per thread: clients are shared between threads (and tests)


def connect(host: str | None = None, *, timeout: float = DEFAULT_API_TIMEOUT, require_manager: bool = True) -> Any:
    """A ``docker.DockerClient`` talking to a reachable swarm manager.

    ``timeout`` bounds each API call, also one to a daemon that accepts the
    connection and never answers (the verdict loop tightens it to its deadline).
    Raises HarnessUnavailable when the daemon cannot be reached or, with
    ``require_manager``, when it is not a manager of an active swarm (services,
    tasks and service events are only visible on managers).
    """
    try:
        import docker
    except ImportError as exc:  # a lint-only install: the SDK comes with the harness extra
        raise HarnessUnavailable("the docker SDK for Python is not installed; install the harness extra: "
                                 "pip install 'compose-policy[harness]'") from exc

    where = describe_endpoint(host)
    try:
        client = _make_client(docker, host, timeout)
        client.ping()
    except HarnessUnavailable:
        raise
    except Exception as exc:  # connection refused, ssh failure, TLS error, bad URL...
        raise HarnessUnavailable(f"cannot reach the docker daemon at {where}: {_short(exc)}") from exc
    if require_manager:
        ensure_manager(client, where)
    return client


def _make_client(docker: Any, host: str | None, timeout: float) -> Any:
    if host:
        return docker.DockerClient(base_url=host, timeout=timeout, use_ssh_client=True)
    if os.environ.get("DOCKER_HOST"):
        return docker.DockerClient.from_env(timeout=timeout, use_ssh_client=True)
    context = _current_context_name()
    if context and context != "default":
        from docker.context import ContextAPI

        ctx = ContextAPI.get_context(context)
        if ctx is None:
            raise HarnessUnavailable(f"docker context {context!r} does not exist")
        return docker.DockerClient(
            base_url=ctx.Host, tls=ctx.TLSConfig or False, timeout=timeout, use_ssh_client=True
        )
    return docker.DockerClient.from_env(timeout=timeout, use_ssh_client=True)


def _current_context_name() -> str | None:
    if os.environ.get("DOCKER_CONTEXT"):
        return os.environ["DOCKER_CONTEXT"]
    try:
        from docker.context.config import get_current_context_name

        return get_current_context_name()
    except Exception:
        return None


def describe_endpoint(host: str | None = None) -> str:
    """Where the harness will look for the daemon, for messages."""
    if host:
        return host
    if os.environ.get("DOCKER_HOST"):
        return os.environ["DOCKER_HOST"]
    context = _current_context_name()
    if context and context != "default":
        return f"docker context {context}"
    return "unix:///var/run/docker.sock"


def ensure_manager(client: Any, where: str = "the daemon") -> dict:
    """The daemon's ``info``, after checking it is a manager of an active swarm."""
    with api_errors(f"read swarm state from {where}"):
        info = client.info()
    swarm = info.get("Swarm") or {}
    state = swarm.get("LocalNodeState") or "inactive"
    if state != "active":
        raise HarnessUnavailable(f"{where} is not part of an active swarm (node state: {state})")
    if not swarm.get("ControlAvailable"):
        raise HarnessUnavailable(
            f"{where} is a swarm worker: services, tasks and their events are only visible on a manager"
        )
    return info


@contextlib.contextmanager
def api_errors(doing: str) -> Iterator[None]:
    """Turn transport and daemon errors into HarnessUnavailable ("could not ``doing``")."""
    try:
        yield
    except HarnessUnavailable:
        raise
    except Exception as exc:
        if _is_docker_error(exc):
            raise HarnessUnavailable(f"could not {doing}: {_short(exc)}", transient=True) from exc
        raise


@contextlib.contextmanager
def calls_bounded(client: Any, deadline: float) -> Iterator[None]:
    """Every API call this thread makes through ``client`` times out by ``deadline`` (monotonic).

    The SDK has one timeout per client (60 s by default); a daemon that accepts
    connections and never answers would hold each call that long. Streams the
    SDK opens without a timeout (events) stay without one.
    """
    api = getattr(client, "api", None)
    if api is not None and not getattr(api, "_harness_bounded", False) and hasattr(api, "_set_request_timeout"):
        usual = api._set_request_timeout

        def bounded(kwargs: dict) -> dict:
            kwargs = usual(kwargs)
            end = getattr(_deadline, "value", None)
            if end is not None and kwargs.get("timeout") is not None:
                kwargs["timeout"] = max(MIN_CALL_TIMEOUT, min(kwargs["timeout"], end - time.monotonic()))
            return kwargs

        api._set_request_timeout = bounded
        api._harness_bounded = True
    previous = getattr(_deadline, "value", None)
    _deadline.value = deadline
    try:
        yield
    finally:
        _deadline.value = previous


def is_not_found(exc: BaseException) -> bool:
    try:
        from docker.errors import NotFound
    except ImportError:  # pragma: no cover
        return False
    return isinstance(exc, NotFound)


def _is_docker_error(exc: BaseException) -> bool:
    try:
        from docker.errors import DockerException
        from requests.exceptions import RequestException
    except ImportError:  # pragma: no cover
        return False
    return isinstance(exc, (DockerException, RequestException, ConnectionError, OSError))


def _short(exc: BaseException) -> str:
    """One line from a docker/requests error (they nest reprs of whole exception chains)."""
    explanation = getattr(exc, "explanation", None)
    text = str(explanation or exc).strip() or type(exc).__name__
    text = text.removeprefix("Error while fetching server API version: ")
    errno = re.search(r"\[Errno -?\d+\] ([^'\"()]+)", text)
    inner = re.search(r"\w+(?:Error|Disconnected|Exception)\((?:-?\d+, )?'([^']+)'", text)
    if errno:
        text = errno.group(1)
    elif inner:
        text = inner.group(1)
    text = " ".join(text.split())
    return text if len(text) <= 300 else text[:297] + "..."
