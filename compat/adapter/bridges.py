"""Bridges that let v1 (mmcv 1.x) pieces run inside the v2 loops, and a v2 model on the legacy runners.

- :func:`adapt_v1_model`: gives a v1 model (``train_step(data_batch, optimizer)`` returning
  ``loss/log_vars/num_samples``) the v2 ``train_step(data, optim_wrapper)`` / ``val_step`` /
  ``test_step`` contract (conversion rules: v1 models on v2). The instance keeps its class hierarchy and its
  ``state_dict`` keys (a subclass is grafted on), so checkpoints stay interchangeable.
- :class:`V1DatasetMetric`: a v1 dataset's ``evaluate()`` as a v2 metric (conversion rules: v1
  evaluation on v2).
- :class:`V2ModelOnLegacy`: a v2 ``BaseModel`` with the v1 ``train_step``/``val_step`` contract.
- :class:`LegacyOrderSampler`: the sample order of the v1 train flow's loaders.

Hooks live in :mod:`compat.adapter.hooks`.
"""
import contextlib
import inspect
from collections.abc import Mapping
from typing import Any, Dict, Iterator, List, Optional, Sequence, Sized, cast

import torch
from torch import nn
from torch.utils.data import Sampler

from compat.v2.data import DefaultSampler
from compat.v2.evaluator import BaseMetric
from compat.v2.logging import get_current_logger
from compat.v2.model import BaseModel
from compat.v2.optim import OptimWrapper, OptimWrapperDict
from compat.v2.registry import DATA_SAMPLERS, METRICS
from legacy_runner.dist import get_dist_info
from legacy_runner.fp16_utils import wrap_fp16_model
from legacy_runner.loss_checks import check_step_losses, check_train_outputs
from legacy_runner.parallel import DataContainer


# -- v1 model in v2 loops ------------------------------------------------------------------------
def has_v1_train_step(model: Any) -> bool:
    """True when ``model.train_step`` takes an ``optimizer`` (the v1 contract), not ``optim_wrapper``."""
    if isinstance(model, BaseModel) or getattr(model, '_v1_adapted', False):
        return False
    step = getattr(model, 'train_step', None)
    if step is None:
        return False
    try:
        params = inspect.signature(step).parameters
    except (TypeError, ValueError):
        return False
    return 'optimizer' in params and 'optim_wrapper' not in params


def _collate_samples(values: List[Any]) -> Any:
    """One field of a pseudo-collated batch (one entry per sample), collated as mmcv's ``collate``
    did for the v1 loaders: tensors stacked, Python and numpy numbers made tensors, DataContainers
    grouped by their flags and unwrapped. Tensors of different shapes stay a list (mmcv's collate
    could not stack them either), as does anything it cannot collate (e.g. ``None``)."""
    if all(isinstance(v, torch.Tensor) for v in values) and len({v.shape for v in values}) > 1:
        return values
    from legacy_runner.parallel import collate
    try:
        return _unwrap(collate(values, samples_per_gpu=len(values)))
    except (TypeError, RuntimeError):
        return values


def _unwrap(value: Any) -> Any:
    """DataContainer -> its single-device payload (what ``scatter`` gave a one-device model)."""
    if isinstance(value, DataContainer):
        return value.data[0]
    return value


def _to_device(value: Any, device: torch.device) -> Any:
    if isinstance(value, torch.Tensor):
        return value.to(device)
    if isinstance(value, Mapping):
        rebuild: Any = type(value)  # a dict (subclass) in practice; Mapping itself takes no items
        return rebuild({k: _to_device(v, device) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return type(value)(_to_device(v, device) for v in value)
    return value


def _field(value: Any) -> Any:
    # A DataContainer was grouped by mmcv's collate already: its payload is what the model gets.
    if isinstance(value, DataContainer):
        return value.data[0]
    if isinstance(value, Mapping):
        rebuild: Any = type(value)  # as in _to_device
        return rebuild({key: _field(v) for key, v in value.items()})
    if isinstance(value, list) and value:
        if all(isinstance(v, list) for v in value):  # pseudo_collate of a sequence field: per position
            return [_field(v) for v in value]
        return _collate_samples(value)
    return value


def v1_batch(data: Any, device: Optional[torch.device] = None) -> Any:
    """A v2 batch (``pseudo_collate`` lists, or the v1 ``collate`` output) as the v1 model expects it:
    per-sample lists stacked, DataContainers unwrapped, tensors on ``device``. A dict stays a dict,
    a list/tuple of fields becomes a tuple (what torch's collate gave a ``(x, y)`` dataset)."""
    if isinstance(data, Mapping):
        out: Any = {key: _field(value) for key, value in data.items()}
    elif isinstance(data, (list, tuple)):
        out = tuple(_field(value) for value in data)
    else:
        out = data
    return _to_device(out, device) if device is not None else out


class _V1ModelBridge:
    """Mixed in before a v1 model class: the v2 step methods on top of the v1 ones."""

    _v1_adapted = True

    def _v1_device(self) -> Optional[torch.device]:
        for p in self.parameters():  # type: ignore[attr-defined]
            return p.device
        return None

    def train_step(self, data: Any, optim_wrapper: Any = None, **kwargs: Any) -> Dict[str, torch.Tensor]:
        """v2 contract: forward through the v1 ``train_step``, then ``optim_wrapper.update_params``."""
        v1_cls = self._v1_class  # type: ignore[attr-defined]
        if optim_wrapper is None or isinstance(optim_wrapper, torch.optim.Optimizer) or (
                isinstance(optim_wrapper, dict) and not hasattr(optim_wrapper, 'optim_context')):
            # called the v1 way (a legacy runner): unchanged behaviour
            return v1_cls.train_step(self, data, optim_wrapper, **kwargs)
        if isinstance(optim_wrapper, OptimWrapperDict):
            # GAN style: the v1 model steps its named optimizers itself (no update_params)
            optimizer: Any = {k: w.optimizer for k, w in optim_wrapper.items()}
            context: Any = contextlib.nullcontext()
        else:
            optimizer = optim_wrapper.optimizer
            context = self._v1_optim_context(optim_wrapper, cast(nn.Module, self))  # mixed into a Module
        with context:
            out = v1_cls.train_step(self, v1_batch(data, self._v1_device()), optimizer, **kwargs)
        if not isinstance(optim_wrapper, OptimWrapperDict):  # a step without a loss trained nothing
            check_train_outputs(out)
            check_step_losses(out['loss'], out.get('log_vars') or {})
            optim_wrapper.update_params(out['loss'])
        log_vars = out.get('log_vars', {})
        return {k: torch.as_tensor(v) for k, v in log_vars.items()}

    def _v1_optim_context(self, optim_wrapper: Any, model: nn.Module) -> Any:
        """The step's context for ``model`` (this model or its DDP wrapper). With an
        AmpOptimWrapper, the v1 autocast scope: only the model's @auto_fp16 methods, as
        Fp16OptimizerHook set it up, not the whole forward."""
        if type(optim_wrapper).__name__ != 'AmpOptimWrapper':
            return optim_wrapper.optim_context(model)
        self._v1_wrap_fp16()
        return OptimWrapper.optim_context(optim_wrapper, model)

    def _v1_wrap_fp16(self) -> None:
        if not getattr(self, '_v1_fp16_wrapped', False):
            wrap_fp16_model(self)  # type: ignore[arg-type]
            self._v1_fp16_wrapped = True

    def _v1_predict_context(self) -> None:
        """An fp16 val/test loop autocasts: the v1 model then runs as Fp16OptimizerHook set it up
        (its @auto_fp16 methods return float32), also when no train step wrapped it first (a
        resumed run whose due validation comes first, the test command)."""
        device = self._v1_device()
        if device is not None and torch.is_autocast_enabled(device.type):
            self._v1_wrap_fp16()

    @property
    def data_preprocessor(self) -> Any:
        """What v2's MMDistributedDataParallel calls first: stack/unwrap the batch, move it to the device."""
        device = self._v1_device()
        return lambda data, training=False: v1_batch(data, device)

    def forward(self, *args: Any, mode: Optional[str] = None, **kwargs: Any) -> Any:
        """The v1 forward; with a v2 ``mode`` (the DDP route; conversion rules: v1 models on v2) mapped
        onto it."""
        v1_forward = self._v1_class.forward  # type: ignore[attr-defined]
        if mode is None:
            return v1_forward(self, *args, **kwargs)
        if mode == 'loss':
            return v1_forward(self, *args, return_loss=True, **kwargs)
        if mode == 'predict':
            self._v1_predict_context()
            return list(v1_forward(self, *args, return_loss=False, **kwargs))
        if mode == 'tensor' and hasattr(self, 'forward_dummy'):
            return self.forward_dummy(*args)  # type: ignore[attr-defined]
        raise ValueError(f'a v1 model has no forward mode {mode!r}')

    def parse_losses(self, losses: Dict[str, Any]) -> Any:
        """v1 ``_parse_losses`` (sum of the 'loss' keys, rank-averaged log_vars), log_vars as tensors."""
        loss, log_vars = self._parse_losses(losses)  # type: ignore[attr-defined]
        return loss, {k: torch.as_tensor(v) for k, v in log_vars.items()}

    def _v1_predict(self, data: Any) -> List[Any]:
        # the call legacy_runner.engine.single_gpu_test makes (EvalHook), one result per sample
        self._v1_predict_context()
        result = self(return_loss=False, **v1_batch(data, self._v1_device()))  # type: ignore[operator]
        return list(result)

    def val_step(self, data: Any, optimizer: Any = None, **kwargs: Any) -> Any:
        """v2 contract (one prediction per sample); the v1 one when called with an optimizer."""
        if optimizer is not None or kwargs:
            return self._v1_class.val_step(self, data, optimizer, **kwargs)  # type: ignore[attr-defined]
        return self._v1_predict(data)

    def test_step(self, data: Any) -> List[Any]:
        return self._v1_predict(data)


_BRIDGED: Dict[type, type] = {}


def adapt_v1_model(model: nn.Module) -> nn.Module:
    """Give ``model`` (in place) the v2 step methods; its parameters and state_dict keys are unchanged."""
    if getattr(model, '_v1_adapted', False):
        return model
    cls = type(model)
    bridged = _BRIDGED.get(cls)
    if bridged is None:
        bridged = type(f'{cls.__name__}', (_V1ModelBridge, cls), {'_v1_class': cls,
                                                                  '__module__': cls.__module__,
                                                                  '__qualname__': cls.__qualname__})
        _BRIDGED[cls] = bridged
    model.__class__ = bridged
    return model


def build_v1_model(v1_cls: type, **kwargs: Any) -> nn.Module:
    """Build a v1 model class found through the v2 MODELS fallback and adapt it when needed."""
    kwargs.pop('data_preprocessor', None)  # v1 models have none; the bridge prepares batches
    model = v1_cls(**kwargs)
    return adapt_v1_model(model) if has_v1_train_step(model) else model


# -- v1 dataset.evaluate as a v2 metric ------------------------------------------------------------
@METRICS.register_module()
class V1DatasetMetric(BaseMetric):
    """``dataset.evaluate(results, logger, **eval_kwargs)`` of a v1 dataset, keys unprefixed.

    ``dataset`` is the v1 dataset object of the loop's dataloader; :class:`V1DatasetBinderHook`
    sets it before every validation/test (``compat.adapter`` registers that hook).
    """

    default_prefix = ''

    def __init__(self, collect_device: str = 'cpu', prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None, dataset: Any = None, **eval_kwargs: Any) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, collect_dir=collect_dir)
        self.dataset = dataset
        self.eval_kwargs = eval_kwargs

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        self.results.extend(data_samples)

    def compute_metrics(self, results: list) -> Dict[str, Any]:
        if self.dataset is None:
            raise RuntimeError('V1DatasetMetric has no dataset: run through compat.adapter (or add '
                               "dict(type='V1DatasetBinderHook') to custom_hooks)")
        return dict(self.dataset.evaluate(results, logger=get_current_logger(),
                                          **self.eval_kwargs))


def bind_v1_datasets(evaluator: Any, dataset: Any) -> None:
    """Point every V1DatasetMetric of ``evaluator`` at ``dataset``."""
    for metric in getattr(evaluator, 'metrics', []):
        if isinstance(metric, V1DatasetMetric):
            metric.dataset = dataset


# -- v2 model on the legacy runners ----------------------------------------------------------------
class V2ModelOnLegacy(nn.Module):
    """Wrap a v2 ``BaseModel`` so EpochBasedRunner/IterBasedRunner can call ``train_step(batch, optimizer)``.

    The optimizer step stays with the v1 ``OptimizerHook``; this only runs the preprocessor, the
    ``'loss'`` forward and ``parse_losses``. ``state_dict`` keys are the wrapped model's.
    """

    def __init__(self, model: BaseModel) -> None:
        super().__init__()
        self.model = model

    def state_dict(self, *args: Any, **kwargs: Any) -> Dict[str, Any]:  # type: ignore[override]
        return self.model.state_dict(*args, **kwargs)

    def load_state_dict(self, state_dict: Any, strict: bool = True) -> Any:  # type: ignore[override]
        return self.model.load_state_dict(state_dict, strict=strict)

    def _losses(self, data_batch: Any, training: bool) -> Dict[str, Any]:
        data = self.model.data_preprocessor(data_batch, training)
        losses = self.model._run_forward(data, mode='loss')
        loss, log_vars = self.model.parse_losses(losses)
        size = _batch_size(data_batch)
        return dict(loss=loss, log_vars={k: float(v) for k, v in log_vars.items()}, num_samples=size)

    def train_step(self, data_batch: Any, optimizer: Any = None, **kwargs: Any) -> Dict[str, Any]:
        return self._losses(data_batch, True)

    def val_step(self, data_batch: Any, optimizer: Any = None, **kwargs: Any) -> Dict[str, Any]:
        return self._losses(data_batch, False)

    def forward(self, *args: Any, return_loss: bool = True, **kwargs: Any) -> Any:
        """The v1 call convention: ``return_loss=False`` predicts (what ``single_gpu_test`` uses)."""
        data = self.model.data_preprocessor(kwargs, False)
        return self.model._run_forward(data, mode='loss' if return_loss else 'predict')


def _batch_size(batch: Any) -> int:
    if isinstance(batch, Mapping):
        for value in batch.values():
            value = _unwrap(value)
            if hasattr(value, '__len__'):
                return len(value)
    return len(batch) if hasattr(batch, '__len__') else 1


# -- the v1 train flow's sample order --------------------------------------------------------------
@DATA_SAMPLERS.register_module()
class LegacyOrderSampler(Sampler):
    """The order the v1 train flow's loaders produced (made exact; conversion rules: Data).

    Non-distributed, v1 used ``DataLoader(shuffle=True)``, i.e. torch's RandomSampler drawing a
    fresh seed from the global torch generator at every pass; this sampler does the same (the
    draw happens at the first ``next``, as torch's). Distributed, v1 used DistributedSampler
    seeded with ``seed`` and ``set_epoch``, which :class:`DefaultSampler` reproduces.
    """

    def __init__(self, dataset: Sized, shuffle: bool = True, seed: Optional[int] = None) -> None:
        self.dataset = dataset
        self.shuffle = shuffle
        _, world_size = get_dist_info()
        self._dist = (DefaultSampler(dataset, shuffle, seed if seed is not None else 0)
                      if world_size > 1 else None)

    def __iter__(self) -> Iterator[int]:
        if self._dist is not None:
            yield from self._dist
            return
        n = len(self.dataset)
        if not self.shuffle:
            yield from range(n)
            return
        seed = int(torch.empty((), dtype=torch.int64).random_().item())
        generator = torch.Generator()
        generator.manual_seed(seed)
        yield from torch.randperm(n, generator=generator).tolist()

    def __len__(self) -> int:
        return len(self._dist) if self._dist is not None else len(self.dataset)  # type: ignore[arg-type]

    def set_epoch(self, epoch: int) -> None:
        if self._dist is not None:
            self._dist.set_epoch(epoch)

