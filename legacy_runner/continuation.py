"""What a checkpoint carries so that a restarted run continues bitwise as if never stopped.

Shared by both runtimes. A checkpoint's ``meta[KEY]`` holds the record; files without it (written
by real mmcv or mmengine) resume with their library's own semantics.

Three things besides weights and optimizer decide what a continuation computes:
- the random number generators (python, numpy, torch, CUDA, and explicit ``torch.Generator``
  objects of the dataloader/sampler), captured at the iteration boundary where the file is saved;
- the position inside the current pass over each dataloader. A pass's order is drawn from the
  RNGs when the pass starts (worker seeds at ``iter(loader)``, a shuffling sampler's permutation
  at the first batch), so :class:`ResumablePass` records the RNG states at those two moments and
  the number of batches handed out; re-entering a pass replays the two draws and skips ahead;
- anything a runtime keeps between iterations (counters, workflow position, accumulated
  gradients, the log buffer), which each runtime adds to the record itself.

Everything stored is made of tensors, numbers, strings and containers, so the record loads with
``torch.load(weights_only=True)``.

:class:`PreemptionSignal` (re-exported from :mod:`legacy_runner.preemption`) turns SIGTERM/SIGINT
into a flag that training loops poll at iteration boundaries.
"""
import contextlib
import random
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple, cast

import numpy as np
import torch

from .errors import ConfigError
from .preemption import Preempted, PreemptionSignal  # noqa: F401  (re-exported)

KEY = 'continuation'
FORMAT = 1


class ResumeError(ValueError):
    """A continuation record that cannot be honoured here (e.g. a different world size)."""


class EmptyLoaderError(ConfigError):
    """An iteration-based run over a data loader that yields no batch at all (it would never end)."""


def describe_empty_loader(loader: Any) -> str:
    """Why ``loader`` yields nothing, in the config's terms (dataset length, batch size, drop_last)."""
    dataset = getattr(loader, 'dataset', None)
    try:
        length: Any = len(dataset)  # type: ignore[arg-type]
    except TypeError:
        length = 'an unknown number of'
    batch_size = getattr(loader, 'batch_size', None)
    drop_last = getattr(loader, 'drop_last', None)
    if batch_size is None:  # a batch_sampler of its own
        batch_sampler = getattr(loader, 'batch_sampler', None)
        batch_size = getattr(batch_sampler, 'batch_size', None)
        drop_last = getattr(batch_sampler, 'drop_last', drop_last)
    detail = f'{length} samples, batch size {batch_size}, drop_last={drop_last}'
    hint = ': use drop_last=False or a batch size not above the dataset length' if drop_last else ''
    return f'the train data loader yields no batch ({detail}), an iteration-based run would never end{hint}'


# ------------------------------------------------------------------------------------------- RNG
def loader_generators(loader: Any) -> List[torch.Generator]:
    """Explicit generators a DataLoader draws its order from (the global RNG covers the rest)."""
    found: List[torch.Generator] = []
    for owner in (loader, getattr(loader, 'sampler', None), getattr(loader, 'batch_sampler', None),
                  getattr(getattr(loader, 'batch_sampler', None), 'sampler', None)):
        gen = getattr(owner, 'generator', None)
        if isinstance(gen, torch.Generator) and all(gen is not g for g in found):
            found.append(gen)
    return found


def rng_state(generators: Optional[List[torch.Generator]] = None) -> Dict[str, Any]:
    """The state of every RNG a training step may draw from, in a weights_only-safe form."""
    # the legacy (default) form is this tuple; numpy's stubs also allow the dict form
    np_state = cast(Tuple[str, np.ndarray, int, int, float], np.random.get_state())
    kind, keys, pos, has_gauss, cached = np_state
    state: Dict[str, Any] = {
        'python': random.getstate(),
        'numpy': (kind, torch.from_numpy(keys.astype(np.int64)), int(pos), int(has_gauss),
                  float(cached)),
        'torch': torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    if generators:
        state['generators'] = [g.get_state() for g in generators]
    return state


def set_rng_state(state: Dict[str, Any], generators: Optional[List[torch.Generator]] = None) -> None:
    """Inverse of :func:`rng_state`."""
    version, internal, gauss = state['python']
    random.setstate((version, tuple(internal), gauss))
    kind, keys, pos, has_gauss, cached = state['numpy']
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state['torch'])
    if 'cuda' in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state['cuda'])
    for gen, saved in zip(generators or [], state.get('generators', [])):
        gen.set_state(saved)


@contextlib.contextmanager
def rng_preserved() -> Iterator[None]:
    """Run the block without disturbing the RNGs training draws from."""
    state = rng_state()
    try:
        yield
    finally:
        set_rng_state(state)


def draw_as_a_pass(loader: Any) -> None:
    """Draw from the global RNGs what one whole pass over ``loader`` draws in the main process,
    without loading any data: the iterator's base seed (unless a persistent worker iterator is
    reused) and the sampler's own draws. An evaluation during training draws this much (mmcv and
    mmengine let it), so a record saved just before one holds the state after these draws."""
    if not isinstance(loader, torch.utils.data.DataLoader):
        return
    if not (loader.persistent_workers and loader.num_workers > 0 and loader._iterator is not None):
        torch.empty((), dtype=torch.int64).random_(generator=loader.generator)
    for _ in loader._index_sampler:
        pass


# ------------------------------------------------------------------------------ dataloader passes
class ResumablePass:
    """One pass over ``loader`` that records how to re-enter it after a restart.

    ``ResumablePass(loader)`` starts a pass exactly as ``iter(loader)`` does;
    ``ResumablePass(loader, state)`` re-enters the pass ``state`` describes, positioned after the
    batches it had already handed out. The RNGs are left as the replay leaves them: callers
    restore the checkpoint-time RNG state afterwards.
    """

    def __init__(self, loader: Any, state: Optional[Dict[str, Any]] = None) -> None:
        self._loader = loader
        self._generators = loader_generators(loader)
        if state is None:
            self._rng_at_start = rng_state(self._generators)
            self._rng_at_first: Optional[Dict[str, Any]] = None
            self._iterator = iter(loader)
            self.consumed = 0
            return
        self._rng_at_start = state['rng_at_start']
        self._rng_at_first = state['rng_at_first']
        set_rng_state(self._rng_at_start, self._generators)
        self._iterator = iter(loader)
        self.consumed = int(state['consumed'])
        if self.consumed:
            set_rng_state(self._rng_at_first, self._generators)
            self._skip(self.consumed)

    def _skip(self, count: int) -> None:
        # In-process loading over a map-style dataset: advancing the index stream is enough and
        # skips the (possibly expensive) loading. Worker processes prefetch as soon as the
        # iterator exists, so there the batches are fetched and dropped.
        it = self._iterator
        in_process = getattr(self._loader, 'num_workers', 1) == 0 and hasattr(it, '_sampler_iter')
        iterable = isinstance(getattr(self._loader, 'dataset', None), torch.utils.data.IterableDataset)
        if in_process and not iterable:
            for _ in range(count):
                next(it._sampler_iter)
            it._num_yielded += count
            return
        for _ in range(count):
            next(it)

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        if self._rng_at_first is None:
            self._rng_at_first = rng_state(self._generators)
        batch = next(self._iterator)
        self.consumed += 1
        return batch

    def state_dict(self) -> Dict[str, Any]:
        return dict(consumed=self.consumed, rng_at_start=self._rng_at_start,
                    rng_at_first=self._rng_at_first)


class EndlessLoader:
    """Endless iteration over ``dataloader`` in :class:`ResumablePass` passes.

    When a pass ends, ``epoch`` (the number of finished passes) goes up, the sampler is told
    (``set_epoch``) and the next pass starts, without any pause. ``EndlessLoader(loader, epoch,
    pass_state)`` or :meth:`restore` re-enters the pass a checkpoint recorded (:meth:`pass_state`).
    Each runtime's loader subclasses it: ``batch_sampler_epoch`` also looks for ``set_epoch`` on
    ``batch_sampler.sampler`` (mmengine does, mmcv does not); :meth:`_on_restart` may announce a
    roll-over.
    """

    batch_sampler_epoch = False

    def __init__(self, dataloader: Any, epoch: int = 0, pass_state: Optional[Dict[str, Any]] = None) -> None:
        self._dataloader = dataloader
        self._epoch = epoch
        if epoch:  # a fresh loader's sampler is at epoch 0 already
            self._set_sampler_epoch()
        self.iter_loader = ResumablePass(dataloader, pass_state)

    @property
    def epoch(self) -> int:
        return self._epoch

    def _set_sampler_epoch(self) -> None:
        sampler = getattr(self._dataloader, 'sampler', None)
        if self.batch_sampler_epoch and not hasattr(sampler, 'set_epoch'):
            sampler = getattr(getattr(self._dataloader, 'batch_sampler', None), 'sampler', None)
        if sampler is not None and hasattr(sampler, 'set_epoch'):
            sampler.set_epoch(self._epoch)

    def _on_restart(self) -> None:
        """Called when a pass has ended, before the next one starts."""

    def __next__(self) -> Any:
        try:
            return next(self.iter_loader)
        except StopIteration:
            self._on_restart()
            self._epoch += 1
            self._set_sampler_epoch()
            self.iter_loader = ResumablePass(self._dataloader)
            try:
                return next(self.iter_loader)
            except StopIteration:  # a pass that ended at once: every later pass is empty too
                raise EmptyLoaderError(describe_empty_loader(self._dataloader)) from None

    def restore(self, epoch: int, pass_state: Dict[str, Any]) -> None:
        """Re-enter pass number ``epoch`` (``pass_state`` from :meth:`pass_state`)."""
        self._epoch = epoch
        self._set_sampler_epoch()
        self.iter_loader = ResumablePass(self._dataloader, pass_state)

    def pass_state(self) -> Dict[str, Any]:
        """Where the current pass is (see :meth:`ResumablePass.state_dict`)."""
        return self.iter_loader.state_dict()

    def state_dict(self) -> Dict[str, Any]:
        """The pass count and the position in the current pass."""
        return dict(epoch=self._epoch, **{'pass': self.pass_state()})


# ------------------------------------------------------------------------------------- gradients
def pending_grads(params: List[torch.nn.Parameter]) -> List[Optional[torch.Tensor]]:
    """Gradients accumulated so far (for a save in the middle of an accumulation window)."""
    return [None if p.grad is None else p.grad.detach().clone() for p in params]


def restore_grads(params: List[torch.nn.Parameter], grads: List[Optional[torch.Tensor]]) -> None:
    if len(grads) != len(params):
        raise ResumeError(f'the checkpoint holds {len(grads)} accumulated gradients, '
                          f'the model has {len(params)} parameters')
    for p, g in zip(params, grads):
        p.grad = None if g is None else g.to(p.device)


# --------------------------------------------------------------------------------------- records
def rank_part(position: Dict[str, Any], generators: Optional[List[torch.Generator]] = None) -> Dict[str, Any]:
    """This process's part of a record: the RNG streams (``generators`` too) and the runtime's own
    ``position`` (what differs between ranks: a pass order comes from each rank's RNGs)."""
    return dict(rng=rng_state(generators), **position)


def new_record(runtime: str, world_size: int, local: Dict[str, Any],
               parts: Optional[List[Dict[str, Any]]] = None, **shared: Any) -> Dict[str, Any]:
    """A record: format, writing runtime and world size, the keys all ranks share (``shared``), this
    process's ``local`` part and, when gathered (:func:`gather_rank_parts`), every rank's part."""
    record: Dict[str, Any] = dict(format=FORMAT, runtime=runtime, world_size=world_size, **shared)
    record.update(local)
    if parts is not None:
        record['ranks'] = parts
    return record


def accept_record(record: Any, runtime: str, world_size: int, rank: int, filename: str,
                  refuse: Callable[[Dict[str, Any]], None]) -> Optional[Dict[str, Any]]:
    """``rank``'s view (:func:`rank_view`) of a checkpoint's ``record`` when ``runtime`` wrote it in
    this format, else None: no record (a file of mmcv or mmengine, resumed with their semantics),
    or one of another runtime or format, after ``refuse(record)`` says why the resume falls back.

    Raises :class:`ResumeError` when the world size differs (:func:`check_world_size`).
    """
    if not isinstance(record, dict):
        return None
    if record.get('runtime') != runtime or record.get('format') != FORMAT:
        refuse(record)
        return None
    check_world_size(record, world_size, filename)
    return rank_view(record, rank)


def gather_rank_parts(local: Dict[str, Any]) -> Optional[List[Dict[str, Any]]]:
    """Every rank's ``local`` part of a record (a collective), or None outside a multi-process job."""
    dist = torch.distributed
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() < 2:
        return None
    parts: List[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(parts, local)
    return parts


def rank_view(record: Dict[str, Any], rank: int) -> Dict[str, Any]:
    """``record`` as seen by ``rank``: its own part (``record['ranks'][rank]``) over the shared keys."""
    return dict(record, **record['ranks'][rank]) if 'ranks' in record else record


def loader_shape(loader: Any) -> Dict[str, Any]:
    """What a pass position depends on besides the RNGs: the batch size and the dataset length
    (None where the loader does not say). Stored in a record as ``data``."""
    dataset = getattr(loader, 'dataset', None)
    try:
        length: Optional[int] = len(dataset)  # type: ignore[arg-type]
    except TypeError:
        length = None
    batch_size = getattr(loader, 'batch_size', None)
    if batch_size is None:  # a batch_sampler of its own
        batch_size = getattr(getattr(loader, 'batch_sampler', None), 'batch_size', None)
    return dict(batch_size=batch_size if isinstance(batch_size, int) else None, dataset_length=length)


def shape_changes(saved: Any, now: Dict[str, Any]) -> List[str]:
    """How the train loader differs from the one a record was written with ('batch size 64 -> 32'),
    empty for a record without ``data`` (older files) or where either side is unknown."""
    if not isinstance(saved, dict):
        return []
    changes = []
    for key, what in (('batch_size', 'batch size'), ('dataset_length', 'dataset length')):
        old, new = saved.get(key), now.get(key)
        if old is not None and new is not None and old != new:
            changes.append(f'{what} {old} -> {new}')
    return changes


def check_world_size(record: Dict[str, Any], world_size: int, filename: str = 'checkpoint') -> None:
    saved = int(record.get('world_size', 1))
    if saved != world_size:
        raise ResumeError(
            f'{filename} was written by a run with {saved} process(es), this run has {world_size}: '
            'an exact continuation needs the same world size (relaunch with '
            f'--nproc_per_node {saved}, or start from its weights with load_from)')
