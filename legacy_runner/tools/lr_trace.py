"""Per-iteration LR/momentum of a v1 or v2 config, from the shared schedule functions.

Nothing is trained and torch is never imported: a v1 config goes through
:func:`legacy_runner.schedules.v1_trace` (what the updater hooks write), a v2 config through
:func:`legacy_runner.schedules.v2_trace` (what ParamSchedulerHook does), with one curve per
param-group base lr (the optimizer lr times every ``lr_mult`` of its ``paramwise_cfg``).
"""
import math
import os
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ..errors import ConfigError, describe
from ..schedules import TraceDiff, trace_diff, v1_trace, v2_trace

V1, V2 = 'v1', 'v2'
_V2_KEYS = ('param_scheduler', 'optim_wrapper', 'train_dataloader')
_V1_KEYS = ('lr_config', 'runner', 'total_epochs', 'optimizer', 'data')


def detect_format(cfg: Mapping[str, Any], filename: str = '<config>') -> str:
    """``'v1'`` or ``'v2'`` by the runtime adapter's rule (a config mixing both is an error).

    A config with no schedule at all (neither ``lr_config`` nor ``param_scheduler``) cannot be
    traced and is reported as such.
    """
    from compat.adapter.detect import detect_format as adapter_detect  # light: no torch

    try:
        fmt = adapter_detect(cfg)
    except ConfigError as e:  # MixedFormatError: the config mixes v1 and v2 keys
        msg = str(e)
        raise ConfigError(msg if msg.startswith(filename) else f'{filename}: {msg}') from e
    if 'lr_config' not in cfg and 'param_scheduler' not in cfg:
        raise ConfigError(f'{filename}: neither a v1 config (lr_config/runner) nor a v2 config '
                          '(param_scheduler/train_cfg): cannot tell which schedule to trace')
    return fmt


def _num(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def derive_epoch_length(cfg: Mapping[str, Any], fmt: str) -> Tuple[Optional[int], str]:
    """Iterations per epoch when the dataset config states its size (``num_samples``), else None.

    Returns ``(length, how)``; one process (a single GPU) is assumed, as in the shared traces.
    """
    if fmt == V1:
        data = cfg.get('data')
        if not isinstance(data, Mapping):
            return None, ''
        dataset = data.get('train')
        loader = data.get('train_dataloader')
        loader = loader if isinstance(loader, Mapping) else {}
        batch = loader.get('samples_per_gpu', data.get('samples_per_gpu'))
        drop_last, where = False, 'data.train.num_samples / data.samples_per_gpu'
    else:
        loader = cfg.get('train_dataloader')
        if not isinstance(loader, Mapping):
            return None, ''
        dataset, batch = loader.get('dataset'), loader.get('batch_size')
        drop_last, where = bool(loader.get('drop_last', False)), \
            'train_dataloader.dataset.num_samples / batch_size'
    if not isinstance(dataset, Mapping) or not _num(dataset.get('num_samples')) or not _num(batch):
        return None, ''
    samples, batch = int(dataset['num_samples']), int(batch)
    if samples <= 0 or batch <= 0:
        return None, ''
    length = samples // batch if drop_last else math.ceil(samples / batch)
    return (length or None), f'{where} = {samples}/{batch}'


def _optimizer(cfg: Mapping[str, Any], fmt: str, filename: str) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """The single optimizer dict and its paramwise_cfg."""
    if fmt == V1:
        opt = cfg.get('optimizer')
        paramwise = opt.get('paramwise_cfg') if isinstance(opt, Mapping) else None
        where = 'optimizer'
    else:
        wrapper = cfg.get('optim_wrapper')
        opt = wrapper.get('optimizer') if isinstance(wrapper, Mapping) else None
        paramwise = wrapper.get('paramwise_cfg') if isinstance(wrapper, Mapping) else None
        where = 'optim_wrapper.optimizer'
    if not isinstance(opt, Mapping) or 'type' not in opt:
        raise ConfigError(f'{filename}: {where}: one optimizer dict with a `type` is needed to trace '
                          'the schedule (several optimizers are not supported)')
    return dict(opt), dict(paramwise or {})


def _group_bases(opt: Dict[str, Any], paramwise: Dict[str, Any]) -> Tuple[List[float], Optional[List[float]]]:
    # the converter's rule: distinct base lrs (lr x bias_lr_mult / custom_keys lr_mult), one
    # momentum (or betas[0]) for all groups; None if the optimizer has neither
    from compat.convert.context import Context

    ctx = Context({'optimizer': dict(opt, paramwise_cfg=paramwise)})
    return ctx.group_lrs(), ctx.group_momenta()


class ScheduleTrace:
    """The traced schedule of one config: ``records`` as returned by v1_trace / v2_trace.

    ``epoch_length`` is None for an iteration-based run whose values do not depend on it.
    """

    def __init__(self, path: str, fmt: str, records: List[Dict[str, Any]], base_lrs: List[float],
                 epoch_length: Optional[int], has_momentum: bool) -> None:
        self.path, self.fmt, self.records = path, fmt, records
        self.base_lrs, self.epoch_length, self.has_momentum = base_lrs, epoch_length, has_momentum
        self.label = f'{os.path.basename(path)} ({fmt})'

    @property
    def num_groups(self) -> int:
        return len(self.base_lrs)

    def values(self, key: str, group: int) -> List[float]:
        """The ``key`` ('lr' or 'momentum') of one param group at every iteration."""
        return [rec[key][group] for rec in self.records]

    @property
    def momentum_scheduled(self) -> bool:
        """True when some group's momentum changes during the run."""
        return self.has_momentum and any(
            len(set(self.values('momentum', g))) > 1 for g in range(self.num_groups))


def needs_epoch_length(cfg: Mapping[str, Any], fmt: str) -> bool:
    """Whether the traced values depend on the epoch length: an epoch runner/loop, or an iteration
    one whose schedule counts epochs (v1 ``by_epoch``/``warmup_by_epoch``, v2 ``convert_to_iter_based``)."""
    if fmt == V1:
        runner = cfg.get('runner') or {}
        if not (isinstance(runner, Mapping) and runner.get('type') == 'IterBasedRunner'):
            return True
        sections = [cfg.get('lr_config'), cfg.get('momentum_config')]
        return any(isinstance(c, Mapping) and (c.get('by_epoch') or c.get('warmup_by_epoch'))
                   for c in sections)
    train_cfg = cfg.get('train_cfg')
    if not isinstance(train_cfg, Mapping):
        return True
    epoch_loop = train_cfg['type'] != 'IterBasedTrainLoop' if 'type' in train_cfg else \
        bool(train_cfg.get('by_epoch'))
    scheds = cfg.get('param_scheduler') or []
    scheds = [scheds] if isinstance(scheds, Mapping) else scheds
    return epoch_loop or any(isinstance(c, Mapping) and c.get('convert_to_iter_based') for c in scheds)


def trace_config(cfg: Mapping[str, Any], path: str, epoch_length: Optional[int],
                 fmt: Optional[str] = None) -> ScheduleTrace:
    """Trace one loaded config (a Config or a plain dict)."""
    fmt = fmt or detect_format(cfg, path)
    cfg = cfg.to_dict() if hasattr(cfg, 'to_dict') else dict(cfg)  # type: ignore[union-attr]
    opt, paramwise = _optimizer(cfg, fmt, path)
    lrs, momenta = _group_bases(opt, paramwise)
    known = epoch_length
    if epoch_length is None:
        if needs_epoch_length(cfg, fmt):
            raise ConfigError(f'{path}: an epoch-based schedule needs the epoch length; pass '
                              '--epoch-length N (iterations per epoch, the train loader length)')
        epoch_length = 1  # any value: nothing traced depends on it
    try:
        if fmt == V1:
            from compat.convert.context import Context
            from compat.convert.errors import ConversionError
            try:
                runner = Context(cfg).runner.v1_runner()
            except ConversionError as e:
                raise ConfigError(f'{path}: {e}') from e
            records = v1_trace(cfg.get('lr_config'), cfg.get('momentum_config'), runner, epoch_length,
                               lrs, momenta, str(opt['type']))
        else:
            if not isinstance(cfg.get('train_cfg'), Mapping):
                raise ConfigError(f'{path}: a v2 config needs train_cfg (the loop and its length)')
            records = v2_trace(cfg.get('param_scheduler'), cfg['train_cfg'], epoch_length, lrs, momenta)
    except ConfigError:
        raise
    except (KeyError, ValueError, TypeError, AssertionError, RuntimeError) as e:
        raise ConfigError(f'{path}: cannot trace the schedule: {type(e).__name__}: {describe(e)}') from e
    return ScheduleTrace(path, fmt, records, lrs, known, momenta is not None)


def resolve_epoch_length(configs: List[Tuple[Mapping[str, Any], str, str]],
                         given: Optional[int]) -> Tuple[Optional[int], str]:
    """The epoch length to use for all configs: ``--epoch-length``, else the first derivable one."""
    if given is not None:
        if given <= 0:
            raise ConfigError(f'--epoch-length must be a positive integer, got {given}')
        return given, ''
    for cfg, path, fmt in configs:
        length, how = derive_epoch_length(cfg, fmt)
        if length is not None:
            return length, f'epoch length {length} derived from {os.path.basename(path)}: {how} ' \
                           '(pass --epoch-length to override)'
    return None, ''


def compare(a: ScheduleTrace, b: ScheduleTrace) -> Dict[str, TraceDiff]:
    """Largest lr and momentum differences of ``b`` relative to ``a``, iteration by iteration."""
    if len(a.records) != len(b.records):
        raise ConfigError(f'the runs differ in length: {len(a.records)} iterations ({a.path}) vs '
                          f'{len(b.records)} ({b.path})')
    if a.num_groups != b.num_groups:
        raise ConfigError(f'the optimizers have different param groups: {a.base_lrs} vs {b.base_lrs}')
    out = {'lr': trace_diff(a.records, b.records, ('lr', ))}
    if a.has_momentum and b.has_momentum:
        out['momentum'] = trace_diff(a.records, b.records, ('momentum', ))
    return out


def format_diff(diffs: Dict[str, TraceDiff], a: ScheduleTrace, b: ScheduleTrace) -> List[str]:
    """Human-readable lines for :func:`compare`."""
    lines = [f'compare: {b.label} vs {a.label}, {len(a.records)} iterations, '
             f'param-group base lrs {", ".join(f"{v:g}" for v in a.base_lrs)}']
    for key, d in diffs.items():
        where = ''
        if d.where is not None and d.max_rel > 0:
            where = f' (iteration {d.where[0]}, group {d.where[2]})'
        lines.append(f'  max relative {key} difference: {d.max_rel:.3g}{where}')
    return lines
