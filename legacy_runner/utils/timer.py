"""``Timer`` / ``TimerError`` / ``check_time``: wall-clock helpers of mmcv 1.x (no torch)."""
import time
from typing import Any, Dict, Optional


class TimerError(Exception):
    """Raised when a stopped timer is read."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class Timer:
    """A wall-clock timer; as a context manager it prints the elapsed time on exit.

    Args:
        start: start at construction.
        print_tmpl: format of the printed seconds (default ``'{:.3f}'``).
    """

    def __init__(self, start: bool = True, print_tmpl: Optional[str] = None) -> None:
        self._is_running = False
        self.print_tmpl = print_tmpl if print_tmpl else '{:.3f}'
        self._t_start = 0.0
        self._t_last = 0.0
        if start:
            self.start()

    @property
    def is_running(self) -> bool:
        return self._is_running

    def __enter__(self) -> 'Timer':
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        print(self.print_tmpl.format(self.since_last_check()))
        self._is_running = False

    def start(self) -> None:
        """Start (no-op if already running)."""
        if not self._is_running:
            self._t_start = time.time()
            self._is_running = True
        self._t_last = time.time()

    def since_start(self) -> float:
        """Seconds since start; also resets the last-check mark."""
        if not self._is_running:
            raise TimerError('timer is not running')
        self._t_last = time.time()
        return self._t_last - self._t_start

    def since_last_check(self) -> float:
        """Seconds since the last check (or the start)."""
        if not self._is_running:
            raise TimerError('timer is not running')
        now = time.time()
        elapsed = now - self._t_last
        self._t_last = now
        return elapsed


_g_timers: Dict[str, Timer] = {}


def check_time(timer_id: str) -> float:
    """Seconds since the previous call with the same ``timer_id`` (0 on the first call)."""
    if timer_id not in _g_timers:
        _g_timers[timer_id] = Timer()
        return 0.0
    return _g_timers[timer_id].since_last_check()
