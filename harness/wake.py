"""Waking the verdict loop early on swarm events.

Service events (``updatestate.new``) and container events are only hints: they
are visible on managers only, the daemon keeps the last 256, no-op updates carry
no state, and a stream can drop. So an event merely wakes the loop, which then
inspects the services (the source of truth); without events the loop still
polls on its own interval.
"""

from __future__ import annotations

import threading
from typing import Any

STACK_LABEL = "com.docker.stack.namespace"
# service changes, and the container events that can decide a verdict (not the
# exec events every healthcheck probe produces)
EVENT_FILTERS = {
    "type": ["service", "container"],
    "event": ["create", "update", "remove", "start", "die", "oom", "health_status"],
}


class EventWaker:
    """Sets a flag whenever a service or container of ``stack`` changes."""

    def __init__(self, client: Any, stack: str, *, enabled: bool = True):
        self._enabled = enabled
        self._client = client
        self._stack = stack
        self._flag = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()  # stop() and the reader thread agree on who closes the stream
        self._stream = None
        self._thread: threading.Thread | None = None
        self.events_seen = 0
        self.last_update_state: dict[str, str] = {}  # service name -> updatestate.new

    def __enter__(self) -> "EventWaker":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        if not self._enabled:
            return
        # the stream is opened in the thread: the SDK opens it without a timeout, and
        # a daemon that accepts connections but never answers must not hold the loop
        self._thread = threading.Thread(target=self._read, name="harness-events", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            stream = self._client.events(filters=EVENT_FILTERS, decode=True)
        except Exception:
            return  # no events: polling alone still decides
        with self._lock:
            if self._stop.is_set():
                self._close(stream)
                return
            self._stream = stream
        try:
            for event in stream:
                if self._stop.is_set():
                    return
                if self._concerns_stack(event):
                    self.events_seen += 1
                    attrs = (event.get("Actor") or {}).get("Attributes") or {}
                    if "updatestate.new" in attrs:
                        self.last_update_state[attrs.get("name", "")] = attrs["updatestate.new"]
                    self._flag.set()
        except Exception:
            return  # stream closed or dropped: the loop keeps polling

    def _concerns_stack(self, event: dict) -> bool:
        attrs = (event.get("Actor") or {}).get("Attributes") or {}
        if event.get("Type") == "service":
            return attrs.get("name", "").startswith(f"{self._stack}_")
        return attrs.get(STACK_LABEL) == self._stack

    def wait(self, timeout: float) -> bool:
        """Sleep until an event for the stack arrives or ``timeout`` seconds pass."""
        woke = self._flag.wait(max(0.0, timeout))
        self._flag.clear()
        return woke

    def stop(self) -> None:
        with self._lock:
            self._stop.set()
            stream, self._stream = self._stream, None
        if stream is not None:
            self._close(stream)

    @staticmethod
    def _close(stream: Any) -> None:
        try:
            stream.close()
        except Exception:
            # over ssh:// the stream reads a pipe from the ssh client process,
            # which the SDK's close() does not know; ending that process ends it
            channel = getattr(getattr(getattr(getattr(stream, "_response", None), "raw", None), "_fp", None), "fp", None)
            channel = getattr(channel, "channel", None)
            if channel is not None:
                try:
                    channel.close()
                except Exception:
                    pass
