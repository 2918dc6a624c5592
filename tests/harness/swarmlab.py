"""Helpers for the swarm tests.

Services run ``sh -c`` in the busybox test image that .ci/swarm-up.sh imports.
Stacks are deployed with the real ``docker stack deploy`` from compose files
written into tmp dirs, and removed after each test, waiting for their services,
containers and networks to go.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

from compose_policy.harness.converge import ServiceView, running_check
from compose_policy.harness.snapshot import stack_services

IMAGE = os.environ.get("HARNESS_TEST_IMAGE", "compose-policy-test/busybox:latest")
RECORD_DIR = Path(__file__).parent / "recorded"
CREATED_STACKS: set = set()  # every stack a test created this session, for the final sweep


def service_spec(
    command: str,
    *,
    chaos: str | None = None,
    stack: str | None = None,
    update: dict | None = None,
    rollback: dict | None = None,
    healthcheck: dict | None = None,
    memory: str | None = None,
    ports: list | None = None,
    env: dict | None = None,
) -> dict:
    """One compose service running ``sh -c command`` in the busybox test image."""
    spec: dict = {
        "image": IMAGE,
        "command": ["sh", "-c", command],
        "init": True,  # tini forwards SIGTERM, so stops (and stack rm) are quick
        "stop_grace_period": "1s",
        "deploy": {"restart_policy": {"condition": "any", "delay": "1s"}},
    }
    if chaos is not None:
        spec["deploy"]["labels"] = {f"coop-cloud.{stack}.chaos-version": chaos}
    if update is not None:
        spec["deploy"]["update_config"] = update
    if rollback is not None:
        spec["deploy"]["rollback_config"] = rollback
    if memory is not None:
        spec["deploy"]["resources"] = {"limits": {"memory": memory}}
    if healthcheck is not None:
        spec["healthcheck"] = healthcheck
    if ports is not None:
        spec["ports"] = ports
    if env is not None:
        spec["environment"] = env
    return spec


class SwarmLab:
    """Deploys and removes the stacks of one test."""

    def __init__(self, client, tmp_path: Path, prefix: str):
        self.client = client
        self.tmp_path = tmp_path
        self.prefix = prefix
        self.stacks: list[str] = []

    def new_stack(self, tag: str) -> str:
        name = f"hx{tag}_{uuid.uuid4().hex[:6]}"
        self.stacks.append(name)
        CREATED_STACKS.add(name)
        return name

    def write(self, filename: str, services: dict) -> Path:
        """A compose file (JSON is YAML) with ``$`` already escaped by the caller."""
        path = self.tmp_path / filename
        path.write_text(json.dumps({"version": "3.8", "services": services}, indent=2))
        return path

    def deploy(self, stack: str, *files: Path, prune: bool = False) -> None:
        args = ["docker", "stack", "deploy", "--detach=true", "--resolve-image", "never"] + (["--prune"] if prune else [])
        for f in files:
            args += ["-c", str(f)]
        result = subprocess.run(args + [stack], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"docker stack deploy failed: {result.stderr}"

    def wait_running(self, stack: str, timeout: float = 60) -> None:
        """Every service's tasks up to date and running (for base deploys)."""
        deadline = time.monotonic() + timeout
        while True:
            services = stack_services(self.client, stack)
            if services and all(running_check(ServiceView(self.client, s))[0] for s in services):
                return
            if time.monotonic() > deadline:
                states = {
                    s["Spec"]["Name"]: [p.describe() for p in running_check(ServiceView(self.client, s))[1]]
                    for s in services
                }
                raise AssertionError(f"stack {stack} not running after {timeout}s: {states}")
            time.sleep(0.2)

    def deploy_base(self, stack: str, *files: Path) -> None:
        self.deploy(stack, *files)
        self.wait_running(stack)

    def remove(self, stack: str, timeout: float = 60) -> None:
        """``docker stack rm``, then wait until the stack's services and networks are gone.

        Under churn dockerd 20.10 can keep a node-local copy of a removed overlay
        network; once the services are gone such leftovers are removed directly.
        """
        subprocess.run(["docker", "stack", "rm", stack], capture_output=True, text=True, timeout=60)
        label = f"com.docker.stack.namespace={stack}"
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            services = self.client.api.services(filters={"label": label})
            networks = self.client.api.networks(filters={"label": label})
            if not services and not networks:
                return
            if not services and time.monotonic() - started > 3:
                for network in networks:
                    try:
                        self.client.api.remove_network(network["Id"])
                    except Exception:
                        pass  # still in use: try again on the next round
            time.sleep(0.3)
        raise AssertionError(f"stack {stack} still not removed after {timeout}s")

    def cleanup(self) -> None:
        for stack in self.stacks:
            self.remove(stack)

    def record(self, name: str, stack: str, before, verdict) -> None:
        """With HARNESS_RECORD=1, store the live inspect data behind a verdict for the replay tests."""
        if os.environ.get("HARNESS_RECORD") != "1":
            return
        services = {}
        for s in stack_services(self.client, stack):
            view = ServiceView(self.client, s)
            oom = {}
            for t in view.tasks():
                cid = ((t.get("Status") or {}).get("ContainerStatus") or {}).get("ContainerID")
                if cid:
                    oom[cid] = view.oom_killed(cid)
            services[s["Spec"]["Name"]] = {
                "service": s,
                "tasks": view.tasks(),
                "up_to_date": sorted(view.up_to_date_ids()),
                "current_spec": sorted(view.current_spec_ids()),
                "oom_killed": oom,
            }
        RECORD_DIR.mkdir(exist_ok=True)
        data = {
            "scenario": name,
            "stack": stack,
            "snapshot": before.to_dict(),
            "services": services,
            "verdict": {v.service: v.outcome for v in verdict.services},
        }
        (RECORD_DIR / f"{name}.json").write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")




def sweep_networks(client, stacks) -> list:
    """Remove networks of ``stacks`` that outlived their stack (a node-local leftover); returns their names."""
    swept = []
    for network in client.api.networks(filters={"label": "com.docker.stack.namespace"}):
        if (network.get("Labels") or {}).get("com.docker.stack.namespace") in stacks:
            try:
                client.api.remove_network(network["Id"])
                swept.append(network["Name"])
            except Exception:
                pass
    return swept


class LocalSshd:
    """An sshd on 127.0.0.1 with a throw-away key, and an ``ssh`` wrapper that uses it.

    The harness reaches ``ssh://`` daemons through the system ssh client, as docker
    contexts do; putting ``bin_dir`` first on PATH points that client at this sshd
    without touching the user's ~/.ssh.
    """

    def __init__(self, root: Path):
        self.root = root
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.bin_dir = root / "bin"

    def __enter__(self) -> "LocalSshd":
        import socket

        self.root.mkdir(parents=True, exist_ok=True)
        self.bin_dir.mkdir(exist_ok=True)
        key, host_key = self.root / "id_ed25519", self.root / "host_ed25519"
        for path in (key, host_key):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
        (self.root / "authorized_keys").write_text((self.root / "id_ed25519.pub").read_text())
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        config = self.root / "sshd_config"
        config.write_text(
            "\n".join(
                [
                    "ListenAddress 127.0.0.1",
                    f"Port {self.port}",
                    f"HostKey {host_key}",
                    f"AuthorizedKeysFile {self.root / 'authorized_keys'}",
                    f"PidFile {self.root / 'sshd.pid'}",
                    "PermitRootLogin prohibit-password",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "UsePAM no",
                    "StrictModes no",
                    f"SetEnv PATH={os.environ.get('PATH', '/usr/local/bin:/usr/bin:/bin')}",
                    "",
                ]
            )
        )
        Path("/run/sshd").mkdir(exist_ok=True)
        sshd = shutil.which("sshd") or "/usr/sbin/sshd"
        self.proc = subprocess.Popen([sshd, "-D", "-e", "-f", str(config)], stderr=open(self.root / "sshd.log", "w"))
        client_config = self.root / "ssh_config"
        client_config.write_text(
            f"Host *\n  IdentityFile {key}\n  IdentitiesOnly yes\n  UserKnownHostsFile /dev/null\n"
            "  StrictHostKeyChecking no\n  LogLevel ERROR\n  BatchMode yes\n"
        )
        wrapper = self.bin_dir / "ssh"
        wrapper.write_text(f'#!/bin/sh\nexec {shutil.which("ssh")} -F {client_config} "$@"\n')
        wrapper.chmod(0o755)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            probe = subprocess.run(
                [str(wrapper), "-p", str(self.port), "root@127.0.0.1", "true"], capture_output=True, timeout=10
            )
            if probe.returncode == 0:
                return self
            time.sleep(0.2)
        self.__exit__()
        raise AssertionError(f"sshd did not come up: {(self.root / 'sshd.log').read_text()}")

    @property
    def url(self) -> str:
        return f"ssh://root@127.0.0.1:{self.port}"

    def env(self) -> dict:
        return {"PATH": f"{self.bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self.proc = None


def swarm_scenario(body):
    """Mark a test whose body runs against the swarm concurrently with the other scenarios.

    The body takes ``(lab, tmp_path)``; the test itself takes the session's
    ``scenarios`` runner, which starts every selected scenario at once (most of
    a scenario is waiting for swarm's monitor windows) and hands each test the
    outcome of its own: its assertions, its skip, its error. Each scenario
    removes its stacks as soon as it ends.
    """

    def test(scenarios):
        scenarios.result(body)

    test.__name__ = test.__qualname__ = body.__name__
    test.__doc__ = body.__doc__
    test.__module__ = body.__module__
    test.swarm_scenario = body
    return test


class ScenarioRunner:
    def __init__(self, client, tmp_path_factory, workers: int):
        from concurrent.futures import ThreadPoolExecutor

        self.client = client
        self.tmp_path_factory = tmp_path_factory
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="scenario")
        tmp_path_factory.getbasetemp()  # created once here: its lazy creation is not thread-safe
        self.futures: dict = {}

    def start(self, bodies) -> None:
        for body in bodies:
            if body not in self.futures:
                self.futures[body] = self.pool.submit(self._run, body)

    def _run(self, body) -> None:
        tmp_path = self.tmp_path_factory.mktemp(body.__name__[:40])
        lab = SwarmLab(self.client, tmp_path, body.__name__)
        try:
            body(lab, tmp_path)
        finally:
            lab.cleanup()

    def result(self, body) -> None:
        self.start([body])
        self.futures[body].result()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def wait_for(predicate, what: str, timeout: float = 60, period: float = 0.2):
    """Poll ``predicate`` until it returns something truthy; that value, or AssertionError naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(period)


def running_new_task(client, service_name: str):
    """The id of a running task of the service's current spec, or None."""
    service = client.api.inspect_service(service_name)
    view = ServiceView(client, service)
    fresh = view.up_to_date_ids()
    for task in view.tasks():
        if task["ID"] in fresh and (task.get("Status") or {}).get("State") == "running":
            return task["ID"]
    return None


def container_of(client, task_id: str) -> str:
    return client.api.inspect_task(task_id)["Status"]["ContainerStatus"]["ContainerID"]


class FreezingProxy:
    """A TCP endpoint in front of the local docker socket that can stop answering at will.

    Until ``freeze()`` it relays every byte both ways; after it, connections are
    still accepted and requests read, but nothing comes back: a daemon that hangs.
    """

    def __init__(self, socket_path: str = "/var/run/docker.sock"):
        import socket
        import threading

        self.socket_path = socket_path
        self.frozen = threading.Event()
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.url = f"tcp://127.0.0.1:{self.server.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def freeze(self) -> None:
        self.frozen.set()

    def close(self) -> None:
        self.server.close()

    def _accept(self) -> None:
        import socket
        import threading

        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX)
            upstream.connect(self.socket_path)
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._relay, args=(source, target), daemon=True).start()

    def _relay(self, source, target) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if self.frozen.is_set():
                    continue  # swallow: the "daemon" never answers
                target.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, target):
                try:
                    s.shutdown(2)
                except OSError:
                    pass
