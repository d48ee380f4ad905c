"""One training run per work dir: the ``train`` command holds ``<work_dir>/train.lock``.

mmcv let two runs write into one work dir, mixing their checkpoints (``latest.pth`` of one run
next to ``epoch_N.pth`` of the other). Here rank 0 of a ``train`` command takes an exclusive
``flock`` on the lock file, which names the owner (pid, host, start time). The kernel drops the
lock with the process however it ends (SIGKILL included), so a file left behind by a dead run is
stale by construction and simply taken over. ``work_dir_lock = False`` in the config or
``train --no-work-dir-lock`` skips it (mmcv's behaviour). Only the command line enables locking
(:func:`enabled`): runners built through the Python API never lock.
"""
import contextlib
import os
import os.path as osp
import re
import socket
import tempfile
import time
import warnings
from typing import Dict, List, Optional

from .errors import ConfigError

LOCK_NAME = 'train.lock'
_enabled = False
_held: Dict[str, int] = {}  # absolute work dir -> the open descriptor holding its lock


class WorkDirError(ConfigError, OSError):
    """A work dir that cannot be created or written (one error line; still an OSError)."""


def _process_rank() -> int:
    """This process's rank: the process group's, or before one exists the launcher's (torchrun's
    RANK, slurm's SLURM_PROCID)."""
    from .dist import get_dist_info
    rank, world_size = get_dist_info()
    if world_size > 1:
        return rank
    try:
        return int(os.environ.get('RANK', os.environ.get('SLURM_PROCID', '0')))
    except ValueError:
        return 0


def make_work_dir(work_dir: str) -> None:
    """Create ``work_dir`` (with its parents) and make sure files can be written there, so that a
    read-only file system, a missing permission or a file in the way is one error naming the dir
    before the run starts, not a traceback from whichever write comes first."""
    try:
        os.makedirs(work_dir, exist_ok=True)
        if _process_rank() == 0:  # only rank 0 ever writes into the work dir
            fd, probe = tempfile.mkstemp(prefix='.write_test_', dir=work_dir)
            os.close(fd)
            os.remove(probe)
    except OSError as e:
        where = '' if not e.filename or osp.dirname(str(e.filename)) == work_dir else f' ({e.filename})'
        raise WorkDirError(f'work dir {work_dir}: cannot write there: {e.strerror or e}{where}') from e


def enable(flag: bool) -> None:
    """Whether :func:`acquire` locks (set by the ``train`` command for its duration)."""
    global _enabled
    _enabled = bool(flag)


def _owner(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 4096).decode('utf-8', 'replace').strip()
    except OSError:
        text = ''
    return text or 'an unknown process'


def acquire(work_dir: str, rank: int = 0) -> None:
    """Lock ``work_dir`` for this process (rank 0 only; a no-op unless :func:`enable`\\ d).

    Raises ConfigError when another live process holds it."""
    if not _enabled or rank != 0:
        return
    key = osp.abspath(work_dir)
    if key in _held:
        return
    path = osp.join(key, LOCK_NAME)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no lock, as mmcv
        return
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        raise ConfigError(f'work dir {work_dir}: cannot create {LOCK_NAME}: {e.strerror or e}') from e
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        owner = _owner(fd)
        os.close(fd)
        raise ConfigError(f'work dir {work_dir} is in use by another training run ({owner}); wait for '
                          'it to end or choose another --work-dir (--no-work-dir-lock skips this check)'
                          ) from None
    # ours now; whatever the file held came from a run that has ended (a stale lock)
    stamp = time.strftime('%Y-%m-%d %H:%M:%S')
    info = f'pid {os.getpid()} on host {socket.gethostname()}, started {stamp}\n'.encode()
    os.ftruncate(fd, 0)
    os.pwrite(fd, info, 0)
    _held[key] = fd
    remove_partial_saves(key)


# the temporary name legacy_runner.checkpoint.atomic_write saves under before the rename
_PARTIAL_SAVE = re.compile(r'^\..+\.[0-9a-f]{12}\.tmp$')


def remove_partial_saves(work_dir: str) -> List[str]:
    """Remove the temporary files of checkpoint saves that a killed run left in ``work_dir`` (never
    picked up by a resume, but each as large as a checkpoint); returns their names. Called with the
    work dir's lock held, so no live run of ours is writing them."""
    removed = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(work_dir):
            if _PARTIAL_SAVE.match(entry.name) and not entry.is_dir(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    os.remove(entry.path)
                    removed.append(entry.name)
    if removed:
        warnings.warn(f'work dir {work_dir}: removed {len(removed)} partial checkpoint file(s) left by an '
                      f'interrupted save: {", ".join(sorted(removed))}')
    return removed


def release_all() -> None:
    """Release every work dir lock this process holds and remove the lock files."""
    import fcntl
    for key, fd in list(_held.items()):
        try:
            os.unlink(osp.join(key, LOCK_NAME))  # while still locked: no one else can hold it
            fcntl.flock(fd, fcntl.LOCK_UN)
        except OSError:
            pass
        finally:
            os.close(fd)
            _held.pop(key, None)


def held(work_dir: str) -> Optional[int]:
    """The descriptor holding ``work_dir``'s lock in this process, if any (for tests)."""
    return _held.get(osp.abspath(work_dir))
