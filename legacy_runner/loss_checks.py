"""Checks on what a train step produced, shared by both runtimes.

* A non-finite loss (or gradient norm, where clipping computes one) stops training by default:
  mmcv 1.x trained on, saved NaN weights as ``latest``/best and exited 0. ``allow_nonfinite = True``
  in the config, or ``--allow-nonfinite``, keeps that behaviour (:func:`set_allow_nonfinite`).
* A loss dict without any ``loss`` entry leaves nothing to optimize: refused as one line instead of
  a traceback (v1) or a run that silently trains nothing (v2).

Both raise :class:`ConfigError` subclasses, so the command line reports one line and exits 2.
"""
import math
import sys
from typing import Any, Iterable, Optional, Tuple

from .errors import ConfigError

_ALLOW_NONFINITE = False


def set_allow_nonfinite(allow: bool) -> None:
    """Process-wide: True trains on through non-finite losses, as mmcv did (set per command)."""
    global _ALLOW_NONFINITE
    _ALLOW_NONFINITE = bool(allow)


def stop_on_nonfinite() -> bool:
    return not _ALLOW_NONFINITE


class NonFiniteLoss(ConfigError):
    """A loss entry or the gradient norm is NaN/Inf; the position is added by the train loop."""

    def __init__(self, key: str, value: float, iteration: Optional[int] = None,
                 epoch: Optional[int] = None) -> None:
        self.key, self.value, self.iteration, self.epoch = key, value, iteration, epoch
        super().__init__(str(self))

    def at(self, iteration: int, epoch: int) -> 'NonFiniteLoss':
        """This error with the (1-based) iteration and epoch where it happened."""
        return NonFiniteLoss(self.key, self.value, iteration, epoch)

    def __str__(self) -> str:
        where = '' if self.iteration is None else f' at iteration {self.iteration} (epoch {self.epoch})'
        return (f'non-finite {self.key} = {self.value}{where}: training stopped before the optimizer step, '
                'no checkpoint of this state was written (set allow_nonfinite=True in the config or '
                'pass --allow-nonfinite to train on as mmcv 1.x did)')


def _as_float(value: Any) -> Optional[float]:
    try:
        return float(value.detach() if hasattr(value, 'detach') else value)
    except (TypeError, ValueError, RuntimeError):  # a non-scalar tensor or a non-number
        return None


def first_nonfinite(log_vars: Any) -> Optional[Tuple[str, float]]:
    """The first non-finite loss entry of ``log_vars``: a named part before the total ``loss``."""
    if not hasattr(log_vars, 'items'):
        return None
    items = [(k, v) for k, v in log_vars.items() if 'loss' in str(k)]
    items.sort(key=lambda kv: kv[0] == 'loss')  # stable: parts first, in their order
    for key, value in items:
        number = _as_float(value)
        if number is not None and not math.isfinite(number):
            return str(key), number
    return None


def _first_rank_with(found: Optional[Tuple[str, float]]) -> Optional[Tuple[str, float]]:
    """What this step found, agreed by every rank of a distributed run: the local finding, or a
    stand-in naming the lowest rank that found one. A rank that stopped alone would leave the
    others waiting in the gradient all-reduce until the collective timeout (loss entries are
    per-rank values; only some models average them). One small all-reduce a step; every rank
    calls this at the same point."""
    dist = sys.modules.get('torch.distributed')
    if dist is None or not dist.is_available() or not dist.is_initialized() or dist.get_world_size() < 2:
        return found
    import torch
    world = dist.get_world_size()
    device = (torch.device('cuda', torch.cuda.current_device()) if dist.get_backend() == 'nccl'
              else torch.device('cpu'))
    first = torch.tensor([dist.get_rank() if found is not None else world], device=device)
    dist.all_reduce(first, op=dist.ReduceOp.MIN)
    rank = int(first.item())
    if found is not None or rank >= world:
        return found
    return f'loss on rank {rank}', math.nan


def check_losses(log_vars: Any, iteration: int, epoch: int) -> None:
    """Raise :class:`NonFiniteLoss` for the first non-finite loss entry (unless allowed), on
    every rank when any rank has one."""
    if _ALLOW_NONFINITE:
        return
    found = _first_rank_with(first_nonfinite(log_vars))
    if found is not None:
        raise NonFiniteLoss(*found, iteration=iteration, epoch=epoch)


def check_step_losses(loss: Any, log_vars: Any) -> None:
    """Before a v2 optimizer step: the total loss is a tensor and every loss entry is finite
    (:class:`NonFiniteLoss` without a position: the train loop adds it)."""
    require_total_loss(loss, log_vars.keys())
    if _ALLOW_NONFINITE:
        return
    found = _first_rank_with(first_nonfinite(log_vars))
    if found is not None:
        raise NonFiniteLoss(*found)


def check_grad_norm(grad_norm: Any, name: str = 'grad_norm') -> None:
    """Raise :class:`NonFiniteLoss` (no position yet) for a non-finite gradient norm (unless allowed)."""
    if _ALLOW_NONFINITE or grad_norm is None:
        return
    number = _as_float(grad_norm)
    if number is not None and not math.isfinite(number):
        raise NonFiniteLoss(name, number)


def require_total_loss(loss: Any, keys: Iterable[str]) -> None:
    """The summed loss must be a tensor: with no ``*loss*`` entry the sum is the int 0."""
    import torch
    if not isinstance(loss, torch.Tensor):
        names = sorted(str(k) for k in keys if k != 'loss')
        raise ConfigError(f"the model's loss dict has no entry whose name contains 'loss' (got {names}): "
                          "there is nothing to optimize (entries such as 'loss_cls' are summed into the "
                          'total loss)')


def check_train_outputs(outputs: Any) -> None:
    """What a v1 ``train_step`` returned, before an optimizer step: a tensor ``loss``."""
    if 'loss' not in outputs:
        raise ConfigError(f"the model's train_step returned no 'loss' (got {sorted(map(str, outputs))}): "
                          'there is nothing to optimize')
    require_total_loss(outputs['loss'], outputs.get('log_vars') or {})
