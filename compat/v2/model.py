"""Model side of the v2 face: BaseModel, data preprocessors, the DDP wrapper, SyncBN revert."""
import math
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.parallel import DistributedDataParallel

from legacy_runner.base_module import BaseModule as _V1BaseModule
from legacy_runner.loss_checks import check_step_losses

from .logging import get_current_logger
from .registry import MODEL_WRAPPERS, MODELS


def _move(data: Any, device: Any, non_blocking: bool) -> Any:
    """Tensors (and objects with ``.to``) inside mappings/sequences/namedtuples moved to ``device``."""
    if isinstance(data, torch.Tensor):
        return data.to(device, non_blocking=non_blocking)
    if isinstance(data, dict):
        return type(data)((k, _move(v, device, non_blocking)) for k, v in data.items())
    if isinstance(data, tuple) and hasattr(data, '_fields'):
        return type(data)(*(_move(v, device, non_blocking) for v in data))
    if isinstance(data, (list, tuple)):
        return type(data)(_move(v, device, non_blocking) for v in data)
    if hasattr(data, 'to') and callable(data.to) and not isinstance(data, (str, bytes)):
        return data.to(device)
    return data


@MODELS.register_module()
class BaseDataPreprocessor(nn.Module):
    """Moves the batch to the model's device (kept in sync by ``.to``/``.cuda``/``.cpu``)."""

    def __init__(self, non_blocking: bool = False) -> None:
        super().__init__()
        self._non_blocking = non_blocking
        self._device = torch.device('cpu')

    def cast_data(self, data: Any) -> Any:
        if self._device.type == 'cpu' and not torch.cuda.is_available():
            return data  # everything already lives on the CPU: skip the walk on the hot path
        return _move(data, self._device, self._non_blocking)

    def forward(self, data: Any, training: bool = False) -> Any:
        return self.cast_data(data)

    @property
    def device(self) -> torch.device:
        return self._device

    def to(self, *args: Any, **kwargs: Any) -> nn.Module:
        if args and (isinstance(args[0], (str, torch.device, int))):
            self._device = torch.device(args[0]) if not isinstance(args[0], int) else torch.device(
                'cuda', args[0])
        elif 'device' in kwargs:
            self._device = torch.device(kwargs['device'])
        return super().to(*args, **kwargs)

    def cuda(self, device: Any = None) -> nn.Module:
        self._device = torch.device('cuda', torch.cuda.current_device() if device is None else device)
        return super().cuda(device)

    def cpu(self) -> nn.Module:
        self._device = torch.device('cpu')
        return super().cpu()


def stack_batch(tensor_list: List[torch.Tensor],
                pad_size_divisor: int = 1,
                pad_value: Union[int, float] = 0) -> torch.Tensor:
    """Stack CHW tensors, padding right/bottom to the largest size rounded up to ``pad_size_divisor``."""
    assert isinstance(tensor_list, list), f'Expected input type to be list, but got {type(tensor_list)}'
    assert tensor_list, '`tensor_list` could not be an empty list'
    ndim = tensor_list[0].dim()
    assert all(t.dim() == ndim for t in tensor_list), \
        f'Expected the dimensions of all tensors must be the same, but got {[t.dim() for t in tensor_list]}'
    shapes = torch.tensor([list(t.shape) for t in tensor_list])
    target = (torch.ceil(shapes.max(0)[0] / pad_size_divisor) * pad_size_divisor).long()
    target[0] = shapes[0, 0]  # channels are never padded
    padded = []
    for t in tensor_list:
        pad = (target - torch.tensor(list(t.shape))).tolist()
        if any(pad):
            flat = []
            for amount in reversed(pad):
                flat += [0, amount]
            t = F.pad(t, flat, value=pad_value)
        padded.append(t)
    return torch.stack(padded)


@MODELS.register_module()
class ImgDataPreprocessor(BaseDataPreprocessor):
    """BGR↔RGB, float, ``(x - mean) / std``, then ``stack_batch``; ``data['inputs']`` is a list or NCHW."""

    def __init__(self, mean: Optional[Sequence[Union[float, int]]] = None,
                 std: Optional[Sequence[Union[float, int]]] = None, pad_size_divisor: int = 1,
                 pad_value: Union[float, int] = 0, bgr_to_rgb: bool = False, rgb_to_bgr: bool = False,
                 non_blocking: bool = False) -> None:
        super().__init__(non_blocking)
        assert not (bgr_to_rgb
                    and rgb_to_bgr), '`bgr2rgb` and `rgb2bgr` cannot be set to True at the same time'
        assert (mean is None) == (std is None), 'mean and std should be both None or tuple'
        self._enable_normalize = mean is not None
        if mean is not None:
            assert len(mean) in (1, 3) and len(std) in (1, 3), '`mean`/`std` should have 1 or 3 values'
            self.register_buffer('mean', torch.tensor(mean).view(-1, 1, 1), False)
            self.register_buffer('std', torch.tensor(std).view(-1, 1, 1), False)
        self._channel_conversion = bgr_to_rgb or rgb_to_bgr
        self.pad_size_divisor = pad_size_divisor
        self.pad_value = pad_value

    def _prepare(self, img: torch.Tensor) -> torch.Tensor:
        if self._channel_conversion and img.shape[-3] == 3:
            img = img[..., [2, 1, 0], :, :]
        img = img.float()
        if self._enable_normalize:
            img = (img - self.mean) / self.std
        return img

    def forward(self, data: Dict[str, Any], training: bool = False) -> Dict[str, Any]:
        data = self.cast_data(data)
        inputs = data['inputs']
        if isinstance(inputs, torch.Tensor):
            assert inputs.dim() == 4, 'The input of `ImgDataPreprocessor` should be a NCHW tensor'
            inputs = self._prepare(inputs)
            h, w = inputs.shape[2:]
            th = math.ceil(h / self.pad_size_divisor) * self.pad_size_divisor
            tw = math.ceil(w / self.pad_size_divisor) * self.pad_size_divisor
            inputs = F.pad(inputs, (0, tw - w, 0, th - h), 'constant', self.pad_value)
        else:
            inputs = stack_batch([self._prepare(img) for img in inputs], self.pad_size_divisor,
                                 self.pad_value)
        data['inputs'] = inputs
        data.setdefault('data_samples', None)
        return data


class BaseModule(_V1BaseModule):
    """The shared BaseModule (``init_cfg`` / ``init_weights``), reporting to the v2 runner's log file."""

    def _dump_init_info(self, logger_name: str) -> None:
        from logging import FileHandler
        handlers = [h for h in get_current_logger().handlers if isinstance(h, FileHandler)]
        for handler in handlers:  # like mmengine: the table goes to the file only
            handler.stream.write('Name of parameter - Initialization information\n')
            for name, param in self.named_parameters():
                handler.stream.write(f'\n{name} - {param.shape}: '
                                     f'\n{self._params_init_info[param]["init_info"]} \n')
            handler.stream.flush()


class BaseModel(BaseModule):
    """mmengine's BaseModel: ``forward(inputs, data_samples=None, mode='tensor'|'loss'|'predict')``.

    ``train_step`` runs preprocessor + forward(mode='loss') inside ``optim_wrapper.optim_context``,
    parses the losses and calls ``update_params``; ``val_step``/``test_step`` predict.
    """

    def __init__(self,
                 data_preprocessor: Union[dict, nn.Module, None] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        if data_preprocessor is None:
            data_preprocessor = dict(type='BaseDataPreprocessor')
        if isinstance(data_preprocessor, nn.Module):
            self.data_preprocessor = data_preprocessor
        elif isinstance(data_preprocessor, dict):
            self.data_preprocessor = MODELS.build(data_preprocessor)
        else:
            raise TypeError('data_preprocessor should be a `dict` or `nn.Module` instance, but got '
                            f'{type(data_preprocessor)}')

    def train_step(self, data: Union[dict, tuple, list], optim_wrapper: Any) -> Dict[str, torch.Tensor]:
        with optim_wrapper.optim_context(self):
            data = self.data_preprocessor(data, True)
            losses = self._run_forward(data, mode='loss')
        parsed_losses, log_vars = self.parse_losses(losses)
        check_step_losses(parsed_losses, log_vars)
        optim_wrapper.update_params(parsed_losses)
        return log_vars

    def val_step(self, data: Union[tuple, dict, list]) -> list:
        return self._run_forward(self.data_preprocessor(data, False), mode='predict')

    def test_step(self, data: Union[dict, tuple, list]) -> list:
        return self._run_forward(self.data_preprocessor(data, False), mode='predict')

    def parse_losses(self, losses: Dict[str, Any]) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
        """Sum every entry whose key contains 'loss'; ``log_vars`` starts with that sum as 'loss'."""
        log_vars: List[list] = []
        for name, value in losses.items():
            if isinstance(value, torch.Tensor):
                # the mean of a 0-d tensor is itself: skip the op (same value, same gradient)
                log_vars.append([name, value if value.dim() == 0 else value.mean()])
            elif isinstance(value, (list, tuple)) and all(isinstance(v, torch.Tensor) for v in value):
                log_vars.append([name, sum(v.mean() for v in value)])
            else:
                raise TypeError(f'{name} is not a tensor or list of tensors')
        terms = [value for key, value in log_vars if 'loss' in key]
        loss = terms[0] if len(terms) == 1 else sum(terms)  # 0 + x == x: skip the add for one term
        log_vars.insert(0, ['loss', loss])
        return loss, OrderedDict(log_vars)  # type: ignore[return-value]

    def _run_forward(self, data: Union[dict, tuple, list], mode: str) -> Any:
        if isinstance(data, dict):
            return self(**data, mode=mode)
        if isinstance(data, (list, tuple)):
            return self(*data, mode=mode)
        raise TypeError('Output of `data_preprocessor` should be list, tuple or dict, but got '
                        f'{type(data)}')

    def forward(self, inputs: Any, data_samples: Optional[list] = None, mode: str = 'tensor') -> Any:
        raise NotImplementedError

    def to(self, *args: Any, **kwargs: Any) -> nn.Module:
        if self.data_preprocessor is not None:
            self.data_preprocessor.to(*args, **kwargs)
        return super().to(*args, **kwargs)


@MODEL_WRAPPERS.register_module()
class WrappedTrainStep:
    """``train_step`` of a distributed wrapper (DDP, FSDP): the module's preprocessor, the wrapper's
    forward (so gradients are synchronised or sharded), parse_losses, then the optimizer update."""

    def train_step(self, data: Union[dict, tuple, list], optim_wrapper: Any) -> Dict[str, torch.Tensor]:
        # a v1 model run by compat.adapter sets its own autocast scope (its @auto_fp16 methods)
        own_context = getattr(self.module, '_v1_optim_context', None)
        context = own_context(optim_wrapper, self) if own_context else optim_wrapper.optim_context(self)
        with context:
            data = self.module.data_preprocessor(data, training=True)
            losses = self._run_forward(data, mode='loss')
        parsed_loss, log_vars = self.module.parse_losses(losses)
        check_step_losses(parsed_loss, log_vars)
        optim_wrapper.update_params(parsed_loss)
        return log_vars

    def _run_forward(self, data: Union[dict, tuple, list], mode: str) -> Any:
        if isinstance(data, dict):
            return self(**data, mode=mode)
        if isinstance(data, (list, tuple)):
            return self(*data, mode=mode)
        raise TypeError(f'Output of `data_preprocessor` should be list tuple or dict, but got {type(data)}')


class MMDistributedDataParallel(WrappedTrainStep, DistributedDataParallel):
    """DDP whose ``train_step`` runs the module's preprocessor, DDP forward, parse_losses and update."""

    def __init__(self, module: nn.Module, detect_anomalous_params: bool = False, **kwargs: Any) -> None:
        super().__init__(module=module, **kwargs)
        self.detect_anomalous_params = detect_anomalous_params

    def val_step(self, data: Union[dict, tuple, list]) -> list:
        return self.module.val_step(data)

    def test_step(self, data: Union[dict, tuple, list]) -> list:
        return self.module.test_step(data)


MODEL_WRAPPERS.register_module(module=DistributedDataParallel)
MODEL_WRAPPERS.register_module(module=nn.DataParallel)


def is_model_wrapper(model: nn.Module) -> bool:
    """True for instances of any class registered in MODEL_WRAPPERS."""
    return isinstance(model, tuple(MODEL_WRAPPERS.module_dict.values()))


class _BatchNormXd(_BatchNorm):
    """A BatchNorm accepting any input rank (what SyncBatchNorm is reverted to)."""

    def _check_input_dim(self, input: torch.Tensor) -> None:
        return


def revert_sync_batchnorm(module: nn.Module) -> nn.Module:
    """Replace every ``nn.SyncBatchNorm`` by an equivalent ``_BatchNormXd`` (non-distributed runs)."""
    out = module
    if isinstance(module, nn.SyncBatchNorm):
        out = _BatchNormXd(module.num_features, module.eps, module.momentum, module.affine,
                           module.track_running_stats)
        if module.affine:
            with torch.no_grad():
                out.weight = module.weight
                out.bias = module.bias
        out.running_mean = module.running_mean
        out.running_var = module.running_var
        out.num_batches_tracked = module.num_batches_tracked
        out.training = module.training
    for name, child in module.named_children():
        out.add_module(name, revert_sync_batchnorm(child))
    return out
