"""How long after swarm reaches the deciding state does the harness return its verdict?

For each run: deploy a base stack, snapshot it, start an independent poller
that inspects the service every few milliseconds and notes when swarm first
shows the deciding state, redeploy, and time ``check_upgrade`` returning.

    latency = (verdict returned) - (poller first saw the deciding state)

The poller itself lags swarm by up to one of its periods plus one inspect, so
the true latency is at most ``latency + poller_lag`` (both are printed).

Kinds:
  rollback    failure_action rollback, start-first, the new version exits inside
              the monitor: deciding state ``rollback_started``
  pause       failure_action pause: deciding state ``paused``
  no-rollout  label-only redeploy: deciding state is Version.Index advancing
              with every task up to date and running; a passing verdict holds
              the stability window first (2 s here: the monitor), so its
              latency is counted from the end of that window

Each kind runs with events (the default) and with polling alone.

Usage: python benchmarks/harness_latency.py [--runs 5] [--json out.json]
Needs a swarm manager (bash .ci/swarm-up.sh) and the docker CLI.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from compose_policy.harness import check_upgrade, connect, snapshot_stack, stability_window

IMAGE = os.environ.get("HARNESS_TEST_IMAGE", "compose-policy-test/busybox:latest")
POLLER_PERIOD = 0.005
MIN_STABILITY = 1.0  # the window of a passing verdict is then the 2 s monitor


def compose(stack: str, command: str, stamp: str, failure_action: str) -> str:
    service = {
        "image": IMAGE,
        "command": ["sh", "-c", command],
        "init": True,
        "stop_grace_period": "1s",
        "deploy": {
            "labels": {f"coop-cloud.{stack}.chaos-version": stamp},
            "update_config": {"failure_action": failure_action, "order": "start-first", "monitor": "2s"},
            "rollback_config": {"monitor": "1s"},
        },
    }
    return json.dumps({"version": "3.8", "services": {"app": service}})


def deploy(stack: str, text: str, workdir: Path) -> None:
    path = workdir / f"{uuid.uuid4().hex}.yml"
    path.write_text(text)
    subprocess.run(
        ["docker", "stack", "deploy", "--detach=true", "--resolve-image", "never", "-c", str(path), stack],
        check=True,
        capture_output=True,
    )


def remove(client, stack: str) -> None:
    subprocess.run(["docker", "stack", "rm", stack], capture_output=True)
    label = f"com.docker.stack.namespace={stack}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if not client.api.services(filters={"label": label}) and not client.api.networks(filters={"label": label}):
            return
        time.sleep(0.2)


def wait_running(client, service: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        tasks = client.api.tasks(filters={"service": service, "desired-state": "running"})
        if tasks and all(t["Status"]["State"] == "running" for t in tasks):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{service} did not start")


class Poller(threading.Thread):
    """Notes the monotonic time at which ``decided(service_inspect)`` first holds, and its own lag."""

    def __init__(self, client, service: str, decided):
        super().__init__(daemon=True)
        self.client, self.service, self.decided = client, service, decided
        self.seen_at: float | None = None
        self.lag = 0.0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            t0 = time.monotonic()
            inspect = self.client.api.inspect_service(self.service)
            if self.decided(inspect):
                self.seen_at = time.monotonic()
                self.lag = POLLER_PERIOD + (self.seen_at - t0)
                return
            time.sleep(POLLER_PERIOD)


def one_run(client, kind: str, events: bool, workdir: Path) -> dict:
    stack = f"hxbench_{uuid.uuid4().hex[:6]}"
    service = f"{stack}_app"
    action = "pause" if kind == "pause" else "rollback"
    try:
        deploy(stack, compose(stack, "exec sleep 100000", "1111aaaa", action), workdir)
        wait_running(client, service)
        before = snapshot_stack(client, stack)
        index = before.services[service].version
        if kind == "no-rollout":
            new = compose(stack, "exec sleep 100000", "2222bbbb", action)

            def decided(s):
                return s["Version"]["Index"] > index
        else:
            new = compose(stack, "sleep 1; exit 3", "2222bbbb", action)
            wanted = "paused" if kind == "pause" else "rollback_started"

            def decided(s):
                return (s.get("UpdateStatus") or {}).get("State") in (wanted, "rollback_completed")

        poller = Poller(client, service, decided)
        poller.start()
        deploy(stack, new, workdir)
        verdict = check_upgrade(client, stack, before, timeout=60, events=events, min_stability=MIN_STABILITY)
        returned = time.monotonic()
        poller.join(timeout=5)
        outcome = verdict.services[0].outcome
        held = 0.0
        if verdict.passed:
            held = stability_window(client.api.inspect_service(service)["Spec"], MIN_STABILITY)
        return {
            "kind": kind,
            "events": events,
            "outcome": outcome,
            "window": held,
            "latency": returned - poller.seen_at - held if poller.seen_at else None,
            "poller_lag": poller.lag,
        }
    finally:
        remove(client, stack)


def machine() -> dict:
    mem = next((line.split()[1] for line in open("/proc/meminfo") if line.startswith("MemTotal")), "0")
    server = subprocess.run(["docker", "version", "--format", "{{.Server.Version}}"], capture_output=True, text=True).stdout.strip()
    return {
        "nproc": os.cpu_count(),
        "memory_gib": round(int(mem) / 1024 / 1024, 1),
        "dockerd": server,
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    client = connect()
    results = []
    expected = {"rollback": "rolled-back", "pause": "paused", "no-rollout": "no-rollout-needed"}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in expected:
            for events in (True, False):
                for _ in range(args.runs):
                    run = one_run(client, kind, events, Path(tmp))
                    if run["outcome"] != expected[kind] or run["latency"] is None:
                        print(f"unexpected run: {run}", file=sys.stderr)
                        return 1
                    results.append(run)
                    print(f"{kind:10s} events={events!s:5s} latency={run['latency'] * 1000:7.1f} ms (poller lag {run['poller_lag'] * 1000:.1f} ms)")

    print(f"\nmachine: {machine()}")
    print(f"{'kind':10s} {'wake':7s} {'runs':>4s} {'median':>9s} {'max':>9s} {'max+lag':>9s}")
    for kind in expected:
        for events in (True, False):
            rows = [r for r in results if r["kind"] == kind and r["events"] == events]
            lat = [r["latency"] for r in rows]
            bound = max(r["latency"] + r["poller_lag"] for r in rows)
            wake = "events" if events else "polling"
            print(f"{kind:10s} {wake:7s} {len(rows):4d} {statistics.median(lat) * 1000:7.0f}ms {max(lat) * 1000:7.0f}ms {bound * 1000:7.0f}ms")
    worst = max(r["latency"] + r["poller_lag"] for r in results)
    failing = max(r["latency"] + r["poller_lag"] for r in results if r["events"] and r["kind"] != "no-rollout")
    print(f"\nworst bound {worst * 1000:.0f} ms: {'within' if worst < 1.0 else 'OVER'} the 1 s target")
    print(f"failing verdicts with events: worst bound {failing * 1000:.0f} ms: {'within' if failing < 0.25 else 'OVER'} the 250 ms target")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "runs": results}, indent=2))
    return 0 if worst < 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
