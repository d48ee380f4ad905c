"""Stopping training cleanly on SIGTERM/SIGINT (preempted cluster jobs, Ctrl-C).

:class:`PreemptionSignal` turns the signals into a flag that the training loops of both runtimes
poll at iteration boundaries (agreed across ranks); they then save a checkpoint and raise
:class:`Preempted`, which the command line reports as one line. No torch import at module level:
the CLI imports this before it knows whether a command needs torch.
"""
import signal
import threading
from typing import Any, Dict, Optional


class Preempted(Exception):
    """Training stopped on a signal after saving ``checkpoint``."""

    def __init__(self, signum: int, checkpoint: Optional[str], iteration: int) -> None:
        self.signum = signum
        self.checkpoint = checkpoint
        self.iteration = iteration
        name = signal.Signals(signum).name
        where = f'checkpoint saved to {checkpoint}' if checkpoint else 'no checkpoint saved'
        super().__init__(f'received {name}: stopped after iteration {iteration}, {where}; '
                         'run the same command with --auto-resume to continue')

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


class PreemptionSignal:
    """SIGTERM/SIGINT -> a flag polled at iteration boundaries (clusters send SIGTERM before
    killing a preempted job). A second SIGINT interrupts at once, as Ctrl-C normally does."""

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self) -> None:
        self.received = 0
        self._previous: Dict[int, Any] = {}

    def install(self) -> None:
        # signal handlers can only be set from the main thread; elsewhere the flag stays unset
        if self._previous or threading.current_thread() is not threading.main_thread():
            return
        for signum in self.SIGNALS:
            self._previous[signum] = signal.signal(signum, self._handle)

    def uninstall(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def stopped(self, world_size: int) -> None:
        """After the clean stop: hand the signals back. In a multi-process job SIGTERM stays
        ignored until the process ends: the launcher (torchrun) signals the ranks that are still
        shutting down once the first one has exited, which would cut their exit short."""
        had_handlers = bool(self._previous)
        self.uninstall()
        if had_handlers and world_size > 1:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)

    def _handle(self, signum: int, frame: Any) -> None:
        if self.received and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.received = self.received or signum

    def agreed(self) -> int:
        """The signal number if any rank received one (a collective when distributed), else 0."""
        flag = self.received
        import torch  # only here: the CLI imports this module before deciding to load torch
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            backend = torch.distributed.get_backend()
            device = 'cuda' if backend == 'nccl' else 'cpu'
            t = torch.tensor([flag], dtype=torch.int64, device=device)
            torch.distributed.all_reduce(t, op=torch.distributed.ReduceOp.MAX)
            flag = int(t.item())
        return flag
