"""Keeps `make run` up: a service or embedded server that stops by itself is started again, with
backoff, and each restart is said in the terminal and in the component's own log — what compose
(`restart: unless-stopped`) and Kubernetes do for the production topology.

Backoff: the first restart after a crash waits FIRST_DELAY_S; each further one, while the
component has not stayed up for STABLE_AFTER_S, waits twice as long, up to MAX_DELAY_S. A
component that keeps failing (a port taken, a broken migration) is thus retried rarely rather
than in a tight loop, and one that crashed once long ago restarts at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from gatehouse_devstack.processes import ComponentError, ProcessComponent, note_in_log

FIRST_DELAY_S = 1.0
MAX_DELAY_S = 60.0
STABLE_AFTER_S = 60.0


def backoff_delay(restarts_in_a_row: int, *, first: float, maximum: float) -> float:
    """Seconds to wait before restart number `restarts_in_a_row + 1`: 1, 2, 4, … up to the cap."""
    return float(min(first * 2 ** min(restarts_in_a_row, 30), maximum))


@dataclass
class _Watched:
    up_since: float
    restarts_in_a_row: int = 0
    next_attempt: float | None = None  # set while the component is down


class Supervisor:
    """Call `check()` every second or so; it restarts what is due (one at a time, blocking until
    the component is ready, as the first start did)."""

    def __init__(
        self,
        components: Callable[[], Mapping[str, ProcessComponent]],
        *,
        report: Callable[[str], None],
        clock: Callable[[], float] = time.monotonic,
        first_delay_s: float = FIRST_DELAY_S,
        max_delay_s: float = MAX_DELAY_S,
        stable_after_s: float = STABLE_AFTER_S,
    ) -> None:
        self._components = components
        self._report = report
        self._clock = clock
        self._first = first_delay_s
        self._max = max_delay_s
        self._stable_after = stable_after_s
        self._watched: dict[str, _Watched] = {}
        self.restarts: dict[str, int] = {}

    def check(self) -> None:
        for name, component in self._components().items():
            watched = self._watched.setdefault(name, _Watched(up_since=self._clock()))
            if not component.meant_to_run and watched.next_attempt is None:
                continue  # stopped on purpose (a replica a test stopped), or never started
            if component.is_running:
                if self._clock() - watched.up_since >= self._stable_after:
                    watched.restarts_in_a_row = 0
                continue
            if watched.next_attempt is None:
                self._schedule(
                    name, component, watched, f"stopped (exit code {component.exit_code})"
                )
            elif self._clock() >= watched.next_attempt:
                self._restart(name, component, watched)

    def _schedule(
        self, name: str, component: ProcessComponent, watched: _Watched, what: str
    ) -> None:
        delay = backoff_delay(watched.restarts_in_a_row, first=self._first, maximum=self._max)
        watched.next_attempt = self._clock() + delay
        self._say(component, f"{name} {what}; restarting it in {delay:.0f} s")

    def _restart(self, name: str, component: ProcessComponent, watched: _Watched) -> None:
        watched.restarts_in_a_row += 1
        self.restarts[name] = self.restarts.get(name, 0) + 1
        component.stop()  # reaps the dead process and whatever of its group is left
        try:
            component.start()
        except ComponentError as error:
            first_line = str(error).splitlines()[0]
            self._schedule(name, component, watched, f"did not start again ({first_line})")
            return
        watched.next_attempt = None
        watched.up_since = self._clock()
        count = self.restarts[name]
        self._say(component, f"{name} restarted (pid {component.pid}, restart {count})")

    def _say(self, component: ProcessComponent, line: str) -> None:
        self._report(line)
        note_in_log(component.log_path, f"supervisor: {line}")
