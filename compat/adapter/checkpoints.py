"""Cross-format checkpoints: resume/load a legacy-runtime (mmcv 1.x layout) checkpoint in the v2 runtime
and a v2 (mmengine layout) checkpoint in the legacy runtime.

v1 -> v2 happens in :class:`LegacyCheckpointHook.after_load_checkpoint`, which the v2 Runner calls
with the loaded dict before it reads counters, the message hub, the optimizer and the schedulers:

- ``message_hub`` (absent in v1 files) is rebuilt from ``meta`` (epoch, iter), and an fp16 loss
  scaler state (``meta['fp16']['loss_scaler']``) moves to the optimizer state, as AmpOptimWrapper keeps it;
- IterBasedRunner files store the 0-based index of the last finished iteration (an mmcv 1.7.2 quirk;
  the file is ``iter_{iter+1}.pth``), so ``meta['iter']`` becomes the number of finished iterations;
- ``param_schedulers`` (absent) are rebuilt by replaying the run's schedulers from step 0 on a
  stand-in optimizer for the finished iterations/epochs, in the order ParamSchedulerHook steps them;
  the scheduled values (lr, momentum) in the optimizer state are set to the replayed ones, i.e. the
  values the next iteration uses (v1 stored the value of the last finished iteration).

v2 -> v1 is a file conversion (:func:`v2_to_v1_file`): meta, weights and the torch optimizer state.
"""
import copy
import os
import os.path as osp
from typing import Any, Dict, List, Optional

import torch

from compat.v2.hooks import Hook
from compat.v2.registry import HOOKS


def is_v2_checkpoint(checkpoint: Dict[str, Any]) -> bool:
    return isinstance(checkpoint, dict) and 'message_hub' in checkpoint


def is_v1_checkpoint(checkpoint: Dict[str, Any]) -> bool:
    return isinstance(checkpoint, dict) and 'meta' in checkpoint and 'message_hub' not in checkpoint


def _flat_schedulers(schedulers: Any) -> List[Any]:
    if schedulers is None:
        return []
    if isinstance(schedulers, dict):
        return [s for group in schedulers.values() for s in group]
    return list(schedulers)


def replay_schedulers(schedulers: List[Any], group_states: List[Dict[str, Any]], iters: int,
                      epoch_length: Optional[int]) -> List[Dict[str, Any]]:
    """States of ``schedulers`` after ``iters`` finished iterations; ``group_states`` gets the values.

    ``group_states`` are the param group dicts (without params) the run starts from, each with its
    ``initial_*`` values; they are updated in place to the values after the replay.
    """
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in group_states]
    stand_in = torch.optim.SGD([dict(params=[p], **{k: v for k, v in g.items() if k != 'params'})
                                for p, g in zip(params, group_states)], lr=0.0)
    for group in stand_in.param_groups:
        for key in list(group):
            if key.startswith('initial_'):
                group[key[len('initial_'):]] = group[key]
    copies = []
    for scheduler in schedulers:
        twin = copy.copy(scheduler)
        twin.optimizer = stand_in
        twin.last_step, twin._global_step = -1, -1
        twin.step()  # the construction step
        copies.append(twin)
    by_iter = [s for s in copies if not s.by_epoch]
    by_epoch = [s for s in copies if s.by_epoch]
    for it in range(iters):
        for s in by_iter:
            s.step()
        if epoch_length and (it + 1) % epoch_length == 0:
            for s in by_epoch:
                s.step()
    for state, group in zip(group_states, stand_in.param_groups):
        state.update({k: v for k, v in group.items() if k != 'params'})
    return [s.state_dict() for s in copies]


@HOOKS.register_module()
class LegacyCheckpointHook(Hook):
    """Make a legacy-runtime checkpoint resumable by the v2 Runner (see the module docstring)."""

    priority = 'VERY_HIGH'

    def after_load_checkpoint(self, runner: Any, checkpoint: Dict) -> None:
        if not is_v1_checkpoint(checkpoint):
            return
        from compat.v2.loops import IterBasedTrainLoop
        meta = checkpoint['meta']
        loop = runner._train_loop
        iter_based = isinstance(loop, IterBasedTrainLoop)
        if iter_based and 'iter' in meta:
            meta['iter'] = int(meta['iter']) + 1  # v1 stored the 0-based index of the last iteration
        meta.setdefault('epoch', 0)
        meta.setdefault('iter', 0)
        checkpoint['message_hub'] = dict(log_scalars={}, runtime_info=dict(epoch=meta['epoch'],
                                                                          iter=meta['iter']),
                                         resumed_keys=dict(epoch=True, iter=True))
        optimizer = checkpoint.get('optimizer')
        scaler = (meta.get('fp16') or {}).get('loss_scaler')
        amp = hasattr(runner.optim_wrapper, 'loss_scaler')
        if scaler is not None and amp and isinstance(optimizer, dict):
            optimizer['loss_scaler'] = scaler  # Fp16OptimizerHook kept it in meta; AmpOptimWrapper here
        schedulers = runner.param_schedulers
        if (schedulers is None or isinstance(schedulers, dict) or not isinstance(optimizer, dict)
                or 'param_groups' not in optimizer or not hasattr(loop, 'dataloader')):
            return
        flat = _flat_schedulers(schedulers)
        if not flat or not hasattr(flat[0], 'state_dict'):
            return  # not built (a plain load, not a resume)
        current = runner.optim_wrapper.optimizer.param_groups
        groups = []
        for saved, now in zip(optimizer['param_groups'], current):
            state = {k: v for k, v in now.items() if k != 'params'}
            for key, value in saved.items():
                if key.startswith('initial_'):
                    state[key] = value
            groups.append(state)
        epoch_length = None if iter_based else len(loop.dataloader)
        checkpoint['param_schedulers'] = replay_schedulers(flat, groups, int(meta['iter']), epoch_length)
        names = {s.param_name for s in flat}
        for saved, state in zip(optimizer['param_groups'], groups):
            for name in names | {f'initial_{n}' for n in names}:
                if name in state:
                    saved[name] = state[name]
            if 'betas' in saved and 'momentum' in names and 'momentum' in state:
                saved['betas'] = (state['momentum'], saved['betas'][1])


def load_any_checkpoint(path: str, unsafe: Optional[bool] = None) -> Dict[str, Any]:
    """Load a checkpoint of either layout (v2 files may hold message-hub objects) on the CPU.

    Read with the safe loader's allow-list; ``unsafe=True`` trusts the file (full unpickling),
    None follows ``--unsafe-load`` (:func:`legacy_runner.safe_load.allow_unsafe`).
    """
    from compat.v2.checkpoint import load_checkpoint_file
    return load_checkpoint_file(path, map_location='cpu', unsafe=unsafe)


def v2_to_v1_file(path: str, out_dir: str) -> str:
    """Write a legacy-layout copy of a v2 checkpoint into ``out_dir``; returns its path.

    Kept: ``meta`` (epoch = finished epochs, iter = finished iterations: the legacy runners continue
    at exactly that point), ``state_dict`` and the torch optimizer state (an AmpOptimWrapper's
    ``loss_scaler`` goes to ``meta['fp16']`` as Fp16OptimizerHook keeps it). A v1 file is returned as is.
    """
    checkpoint = load_any_checkpoint(path)
    if not is_v2_checkpoint(checkpoint):
        return path
    meta = {k: v for k, v in (checkpoint.get('meta') or {}).items()
            if k not in ('dataset_meta', 'experiment_name', 'mmengine_version')}
    out: Dict[str, Any] = {'meta': meta, 'state_dict': checkpoint['state_dict']}
    optimizer = checkpoint.get('optimizer')
    if isinstance(optimizer, dict) and 'param_groups' in optimizer:
        optimizer = dict(optimizer)
        scaler = optimizer.pop('loss_scaler', None)
        if scaler is not None:
            meta['fp16'] = dict(loss_scaler=scaler)
        out['optimizer'] = optimizer
    os.makedirs(out_dir, exist_ok=True)
    target = osp.join(out_dir, f'v1_{osp.basename(path)}')
    torch.save(out, target)
    return target
