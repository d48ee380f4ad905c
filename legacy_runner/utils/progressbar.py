"""mmcv 1.x progress bars: ``ProgressBar`` and the ``track_*`` helpers.

Output formats follow mmcv exactly when the stream is interactive. Two deliberate differences:

* on a stream that is not a tty (CI logs, files, pipes) nothing is written while the bar moves;
  only the final summary line is printed, so logs do not fill up with ``\\r`` redraws;
* on a non-zero distributed rank nothing is written at all.

Pass ``interactive=True`` (or ``False``) to override the tty detection. No torch import here.
"""
import shutil
import sys
import time
from collections.abc import Iterable
from multiprocessing import Pool
from typing import Any, Callable, Iterator, List, Optional, TextIO, Tuple, Union


def _dist_rank() -> int:
    # Only a process that already imported torch.distributed can be part of a process group;
    # checking sys.modules keeps this module free of a torch import.
    dist = sys.modules.get('torch.distributed')
    if dist is not None and dist.is_available() and dist.is_initialized():
        return dist.get_rank()
    return 0


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class ProgressBar:
    """A progress bar that can print the progress (mmcv 1.x format).

    Args:
        task_num: number of tasks; 0 means unknown (a completed-count display is shown).
        bar_width: maximum width of the bar in characters.
        start: write the initial state immediately.
        file: the stream to write to.
        interactive: force tty (True) or log (False) behaviour; None detects it from ``file``.
    """

    def __init__(self, task_num: int = 0, bar_width: int = 50, start: bool = True,
                 file: TextIO = sys.stdout, *, interactive: Optional[bool] = None) -> None:
        self.task_num = task_num
        self.bar_width = bar_width
        self.completed = 0
        self.file = file
        self.interactive = _isatty(file) if interactive is None else interactive
        self.silent = _dist_rank() != 0
        self._summary_written = False
        self._start_time = time.perf_counter()
        if start:
            self.start()

    @property
    def terminal_width(self) -> int:
        return shutil.get_terminal_size()[0]

    def _write(self, text: str) -> None:
        if not self.silent:
            self.file.write(text)
            self.file.flush()

    def start(self) -> None:
        """Write the initial (empty) bar and reset the clock."""
        if self.interactive:
            if self.task_num > 0:
                self._write(f'[{" " * self.bar_width}] 0/{self.task_num}, elapsed: 0s, ETA:')
            else:
                self._write('completed: 0, elapsed: 0s')
        self._start_time = time.perf_counter()

    def _message(self) -> str:
        elapsed = time.perf_counter() - self._start_time
        fps = self.completed / elapsed if elapsed > 0 else float('inf')
        if self.task_num <= 0:
            return f'completed: {self.completed}, elapsed: {int(elapsed + 0.5)}s, {fps:.1f} tasks/s'
        fraction = self.completed / float(self.task_num)
        eta = int(elapsed * (1 - fraction) / fraction + 0.5) if fraction > 0 else 0
        msg = (f'[{{}}] {self.completed}/{self.task_num}, {fps:.1f} task/s, '
               f'elapsed: {int(elapsed + 0.5)}s, ETA: {eta:5}s')
        # The bar shrinks on narrow terminals so that the whole line still fits.
        term = self.terminal_width
        width = max(2, min(self.bar_width, int(term - len(msg)) + 2, int(term * 0.6)))
        marks = int(width * fraction)
        return msg.format('>' * marks + ' ' * (width - marks))

    def update(self, num_tasks: int = 1) -> None:
        """Mark ``num_tasks`` more tasks as done and redraw (tty) or summarise at the end (log)."""
        assert num_tasks > 0
        self.completed += num_tasks
        if self.interactive:
            self._write('\r' + self._message())
        elif self.task_num > 0 and self.completed >= self.task_num and not self._summary_written:
            self._write_summary()

    def _write_summary(self) -> None:
        self._summary_written = True
        self._write(self._message() + '\n')

    def finish(self) -> None:
        """End the bar: a newline on a tty, the summary line (once) on a log stream."""
        if self.interactive:
            self._write('\n')
        elif not self._summary_written:
            self._write_summary()


def tty_progress(task_num: int, file: Optional[TextIO] = None) -> Optional[ProgressBar]:
    """A bar for an interactive terminal on rank 0, else None: loops call it per epoch, and a CI
    log should get no line at all from them (not even the summary). ``file`` defaults to the
    current ``sys.stdout``."""
    file = sys.stdout if file is None else file
    if not _isatty(file) or _dist_rank() != 0:
        return None
    return ProgressBar(task_num, file=file, interactive=True)


TaskSpec = Union[Iterable, Tuple[Iterable, int]]


def _split_tasks(tasks: TaskSpec) -> Tuple[Iterable, int]:
    if isinstance(tasks, tuple):
        assert len(tasks) == 2
        assert isinstance(tasks[0], Iterable)
        assert isinstance(tasks[1], int)
        return tasks[0], tasks[1]
    if isinstance(tasks, Iterable):
        return tasks, len(tasks)  # type: ignore[arg-type]
    raise TypeError('"tasks" must be an iterable object or a (iterator, int) tuple')


def track_progress(func: Callable, tasks: TaskSpec, bar_width: int = 50, file: TextIO = sys.stdout,
                   **kwargs: Any) -> List[Any]:
    """Apply ``func`` to every task while showing a progress bar; return the results."""
    tasks, task_num = _split_tasks(tasks)
    bar = ProgressBar(task_num, bar_width, file=file)
    results = []
    for task in tasks:
        results.append(func(task, **kwargs))
        bar.update()
    bar.finish()
    return results


def init_pool(process_num: int, initializer: Optional[Callable] = None,
              initargs: Optional[tuple] = None) -> Any:
    """A multiprocessing Pool, with or without an initializer."""
    if initializer is None:
        return Pool(process_num)
    if initargs is None:
        return Pool(process_num, initializer)
    if not isinstance(initargs, tuple):
        raise TypeError('"initargs" must be a tuple')
    return Pool(process_num, initializer, initargs)


def track_parallel_progress(func: Callable, tasks: TaskSpec, nproc: int,
                            initializer: Optional[Callable] = None, initargs: Optional[tuple] = None,
                            bar_width: int = 50, chunksize: int = 1, skip_first: bool = False,
                            keep_order: bool = True, file: TextIO = sys.stdout) -> List[Any]:
    """Run ``func`` over ``tasks`` in a process pool with a progress bar.

    ``skip_first`` leaves the first ``nproc * chunksize`` results (pool warm-up) out of the
    speed estimate, as mmcv does.
    """
    tasks, task_num = _split_tasks(tasks)
    warmup = nproc * chunksize if skip_first else 0
    bar = ProgressBar(task_num - warmup, bar_width, start=not skip_first, file=file)
    results: List[Any] = []
    with init_pool(nproc, initializer, initargs) as pool:
        mapper = pool.imap if keep_order else pool.imap_unordered
        for result in mapper(func, tasks, chunksize):
            results.append(result)
            if skip_first and len(results) <= warmup:
                if len(results) == warmup:
                    bar.start()
                continue
            bar.update()
        pool.close()
        pool.join()
    bar.finish()
    return results


def track_iter_progress(tasks: TaskSpec, bar_width: int = 50, file: TextIO = sys.stdout) -> Iterator[Any]:
    """Yield every task, advancing a progress bar after each one."""
    tasks, task_num = _split_tasks(tasks)
    bar = ProgressBar(task_num, bar_width, file=file)
    for task in tasks:
        yield task
        bar.update()
    bar.finish()
